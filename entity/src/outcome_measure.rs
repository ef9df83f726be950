//! An indicator that partners report against, and how its records add up.

use crate::enums::{Aggregation, Beneficiary, MeasureUnit, ResultType};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "outcome_measure")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub beneficiary: Beneficiary,
    pub result_type: ResultType,
    pub unit: MeasureUnit,
    /// Whether a higher value is better.
    pub ascending: bool,
    pub aggregation: Aggregation,
    pub counts_toward_target: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::outcome_record::Entity")]
    OutcomeRecord,
}

impl Related<super::outcome_record::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OutcomeRecord.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
