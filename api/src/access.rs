//! Who makes a request: the anonymous public, or the holder of an API key with its role and
//! scope. (The rules of what each may read and write build on this.)

use crate::apikey::{self, AuthError};
use b2h_entity::enums::ApiRole;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

/// The caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No key: reads what is published, aggregates with disclosure control.
    Public,
    /// A valid API key.
    Key {
        id: Uuid,
        role: ApiRole,
        /// A partner key's organisation.
        organisation_id: Option<Uuid>,
        /// A funder key's funder.
        funder_id: Option<Uuid>,
    },
}

impl Principal {
    /// The caller named by an `Authorization` header value, or the public without one.
    pub async fn from_header(
        db: &DatabaseConnection,
        authorization: Option<&str>,
    ) -> Result<Self, AuthError> {
        let Some(header) = authorization else {
            return Ok(Principal::Public);
        };
        let key = apikey::authenticate(db, header).await?;
        Ok(Principal::Key {
            id: key.id,
            role: key.role,
            organisation_id: key.organisation_id,
            funder_id: key.funder_id,
        })
    }
}
