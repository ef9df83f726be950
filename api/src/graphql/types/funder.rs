//! Funders.

use super::id_of;
use super::organisation::Organisation;
use crate::graphql::error::ApiResult;
use crate::graphql::loaders::Loaders;
use async_graphql::{Context, ID, Object};
use b2h_entity::funder;

/// A charitable funder that gives grants.
pub struct Funder(pub funder::Model);

/// A charitable funder that gives grants.
#[Object]
impl Funder {
    /// Funder id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// Name of the funder.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Org-ID identifier, when known.
    async fn org_id(&self) -> Option<&str> {
        self.0.org_id.as_deref()
    }

    /// Website address.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// The organisation record of the funder, when it has one.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<Organisation>> {
        let Some(id) = self.0.organisation_id else {
            return Ok(None);
        };
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders
            .organisations
            .load_one(id)
            .await
            .map_err(super::load_error)?
            .map(Organisation))
    }

    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
}
