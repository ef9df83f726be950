//! Organisations: NHS trusts, community organisations and other bodies.

use super::enums::OrganisationKind;
use super::geography::{Nation, Region, nation_by_code, region_by_code};
use super::id_of;
use crate::graphql::error::ApiResult;
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, Object};
use b2h_entity::organisation;

/// An NHS trust, community organisation or other body that runs, hosts or funds projects.
pub struct Organisation(pub organisation::Model);

/// An NHS trust, community organisation or other body that runs, hosts or funds projects.
#[Object]
impl Organisation {
    /// Organisation id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// Name of the organisation.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What kind of body it is.
    async fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    /// Org-ID identifier (`GB-NHS-RLT`, `GB-CHC-1234567`, `GB-COH-01234567`).
    async fn org_id(&self) -> Option<&str> {
        self.0.org_id.as_deref()
    }

    /// NHS ODS code, for NHS bodies.
    async fn ods_code(&self) -> Option<&str> {
        self.0.ods_code.as_deref()
    }

    /// Registered charity number.
    async fn charity_number(&self) -> Option<&str> {
        self.0.charity_number.as_deref()
    }

    /// Companies House number.
    async fn company_number(&self) -> Option<&str> {
        self.0.company_number.as_deref()
    }

    /// Website address.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// The UK nation it is based in.
    async fn nation(&self, ctx: &Context<'_>) -> ApiResult<Option<Nation>> {
        nation_by_code(ctx, self.0.nation_code.as_ref()).await
    }

    /// The NHS England region it is based in (England only).
    async fn region(&self, ctx: &Context<'_>) -> ApiResult<Option<Region>> {
        region_by_code(ctx, self.0.region_code.as_ref()).await
    }

    /// When the row was created (UTC).
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// When the row was last changed (UTC).
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }

    /// Version for optimistic concurrency: send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
}
