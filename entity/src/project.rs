//! A volunteering service run by a lead organisation within a campaign.

use crate::enums::{PathwayStage, ProjectSetting, ProjectStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "project")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short unique code partners use in files (`GEH-B2H-01`).
    pub reference: String,
    pub title: String,
    pub description: Option<String>,
    pub lead_organisation_id: Uuid,
    pub campaign_id: Uuid,
    pub primary_stage: PathwayStage,
    pub setting: ProjectSetting,
    pub status: ProjectStatus,
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub nation_code: String,
    /// NHS England region; required in England, absent elsewhere.
    pub region_code: Option<String>,
    /// JSON array of volunteer role names.
    pub volunteer_roles: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::LeadOrganisationId",
        to = "super::organisation::Column::Id"
    )]
    LeadOrganisation,
    #[sea_orm(
        belongs_to = "super::campaign::Entity",
        from = "Column::CampaignId",
        to = "super::campaign::Column::Id"
    )]
    Campaign,
    #[sea_orm(has_many = "super::project_stage::Entity")]
    Stage,
    #[sea_orm(has_many = "super::project_partner::Entity")]
    Partner,
    #[sea_orm(has_many = "super::grant_allocation::Entity")]
    Allocation,
    #[sea_orm(has_many = "super::outcome_record::Entity")]
    OutcomeRecord,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LeadOrganisation.def()
    }
}

impl Related<super::campaign::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl Related<super::project_stage::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Stage.def()
    }
}

impl Related<super::project_partner::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Partner.def()
    }
}

impl Related<super::grant_allocation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Allocation.def()
    }
}

impl Related<super::outcome_record::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OutcomeRecord.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
