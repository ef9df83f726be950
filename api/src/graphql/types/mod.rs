//! GraphQL object types over the domain, one module per type.

pub mod campaign;
pub mod enums;
pub mod funder;
pub mod geography;
pub mod grant;
pub mod measure;
pub mod organisation;
pub mod project;
pub mod record;

use super::error::{ApiError, ApiResult, coded};
use async_graphql::ID;
use uuid::Uuid;

/// Parses a GraphQL `ID` that must be a UUID.
pub fn uuid_of(id: &ID) -> ApiResult<Uuid> {
    id.parse::<Uuid>().map_err(|_| {
        coded(ApiError::BadUserInput(format!(
            "'{}' is not a valid id: ids are UUIDs",
            id.as_str()
        )))
    })
}

/// A UUID as a GraphQL `ID`.
pub fn id_of(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

/// Loader failures are database failures: logged, masked.
pub fn load_error(e: std::sync::Arc<sea_orm::DbErr>) -> async_graphql::Error {
    coded(ApiError::Internal(e.to_string()))
}
