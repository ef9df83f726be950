//! UK nations and NHS England regions.

use super::related;
use crate::graphql::error::ApiResult;
use async_graphql::{Context, Object};
use b2h_entity::{nation, region};

/// One of the four UK nations.
pub struct Nation(pub nation::Model);

/// One of the four UK nations.
#[Object]
impl Nation {
    /// ONS code (`E92000001` England, `W92000004` Wales, `S92000003` Scotland, `N92000002` Northern Ireland).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Name of the nation.
    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// One of the seven NHS England regions.
pub struct Region(pub region::Model);

/// One of the seven NHS England regions.
#[Object]
impl Region {
    /// ONS code (`E40000003` London…).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// NHS ODS code (`Y56` London…).
    async fn ods_code(&self) -> &str {
        &self.0.ods_code
    }

    /// Name of the region.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The nation the region is in (England).
    async fn nation(&self, ctx: &Context<'_>) -> ApiResult<Option<Nation>> {
        related(ctx, |l| &l.nations, self.0.nation_code.clone(), Nation).await
    }
}

/// Loads a region by code, if any.
pub async fn region_by_code(ctx: &Context<'_>, code: Option<&String>) -> ApiResult<Option<Region>> {
    let Some(code) = code else { return Ok(None) };
    related(ctx, |l| &l.regions, code.clone(), Region).await
}

/// Loads a nation by code, if any.
pub async fn nation_by_code(ctx: &Context<'_>, code: Option<&String>) -> ApiResult<Option<Nation>> {
    let Some(code) = code else { return Ok(None) };
    related(ctx, |l| &l.nations, code.clone(), Nation).await
}
