//! Projects: volunteering services.

use super::campaign::Campaign;
use super::enums::{PathwayStage, ProjectSetting, ProjectStatus};
use super::geography::{Nation, Region, nation_by_code, region_by_code};
use super::organisation::Organisation;
use super::{id_of, load_error};
use crate::graphql::error::ApiResult;
use crate::graphql::loaders::Loaders;
use crate::graphql::scalars::{Date, DateTime};
use async_graphql::{Context, ID, Object};
use b2h_entity::project;

/// A volunteering service run by a lead organisation within a campaign.
pub struct Project(pub project::Model);

/// A volunteering service run by a lead organisation within a campaign.
#[Object]
impl Project {
    /// Project id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// Short unique code partners use in files (`GEH-B2H-01`).
    async fn reference(&self) -> &str {
        &self.0.reference
    }

    /// Title of the service.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What the service does.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The organisation that leads the project.
    async fn lead_organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<Organisation>> {
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders
            .organisations
            .load_one(self.0.lead_organisation_id)
            .await
            .map_err(load_error)?
            .map(Organisation))
    }

    /// The campaign the project belongs to.
    async fn campaign(&self, ctx: &Context<'_>) -> ApiResult<Option<Campaign>> {
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders
            .campaigns
            .load_one(self.0.campaign_id)
            .await
            .map_err(load_error)?
            .map(Campaign))
    }

    /// The pathway stage the project mainly works in (groups add up to totals by this stage).
    async fn primary_stage(&self) -> PathwayStage {
        self.0.primary_stage.into()
    }

    /// Where the service is delivered.
    async fn setting(&self) -> ProjectSetting {
        self.0.setting.into()
    }

    /// Lifecycle status.
    async fn status(&self) -> ProjectStatus {
        self.0.status.into()
    }

    /// First day of the service.
    async fn start_date(&self) -> Date {
        self.0.start_date.into()
    }

    /// Last day of the service, or its planned end.
    async fn end_date(&self) -> Option<Date> {
        self.0.end_date.map(Date)
    }

    /// The UK nation the service runs in.
    async fn nation(&self, ctx: &Context<'_>) -> ApiResult<Option<Nation>> {
        nation_by_code(ctx, Some(&self.0.nation_code)).await
    }

    /// The NHS England region the service runs in (England only).
    async fn region(&self, ctx: &Context<'_>) -> ApiResult<Option<Region>> {
        region_by_code(ctx, self.0.region_code.as_ref()).await
    }

    /// Roles volunteers take in the service.
    async fn volunteer_roles(&self) -> Vec<String> {
        self.0
            .volunteer_roles
            .as_array()
            .map(|roles| {
                roles
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
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
