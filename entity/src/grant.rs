//! A 360Giving-compatible grant (table `grant_award`: `grant` is an SQL keyword).

use crate::enums::DatePrecision;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "grant_award")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// 360Giving identifier (`360G-…`), unique.
    pub identifier: String,
    pub title: String,
    pub description: Option<String>,
    pub funder_id: Uuid,
    pub recipient_organisation_id: Uuid,
    /// In minor units of `currency` (pence for GBP).
    pub amount_awarded: i64,
    /// ISO 4217 code.
    pub currency: String,
    pub award_date: Date,
    pub planned_start_date: Option<Date>,
    pub planned_end_date: Option<Date>,
    /// How precisely the source gave `award_date` (a month-only date is its first day).
    pub award_date_precision: DatePrecision,
    /// How precisely the source gave `planned_start_date` (month or year: its first day).
    pub planned_start_date_precision: DatePrecision,
    /// How precisely the source gave `planned_end_date` (month or year: its last day).
    pub planned_end_date_precision: DatePrecision,
    pub grant_programme: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::funder::Entity",
        from = "Column::FunderId",
        to = "super::funder::Column::Id"
    )]
    Funder,
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::RecipientOrganisationId",
        to = "super::organisation::Column::Id"
    )]
    RecipientOrganisation,
    #[sea_orm(has_many = "super::grant_allocation::Entity")]
    Allocation,
}

impl Related<super::funder::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Funder.def()
    }
}

impl Related<super::grant_allocation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Allocation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
