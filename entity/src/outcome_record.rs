//! One aggregate figure of a project for a measure and period (never personal data).

use crate::enums::{Aggregation, DataSource, EvidenceStrength, MeasureUnit, RecordStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "outcome_record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub measure_id: Uuid,
    /// Copy of the measure's unit, kept in step by a foreign key; lets CHECKs apply unit rules.
    pub measure_unit: MeasureUnit,
    /// Copy of the measure's aggregation kind, kept in step by a foreign key.
    pub measure_aggregation: Aggregation,
    /// Periods are inclusive; a record belongs to the month of its `period_end`.
    pub period_start: Date,
    pub period_end: Date,
    pub value: f64,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// Required for weighted-mean measures.
    pub sample_size: Option<i32>,
    pub status: RecordStatus,
    pub data_source: DataSource,
    pub evidence_strength: EvidenceStrength,
    pub note: Option<String>,
    pub submitted_at: Option<DateTimeUtc>,
    pub verified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::project::Entity",
        from = "Column::ProjectId",
        to = "super::project::Column::Id"
    )]
    Project,
    #[sea_orm(
        belongs_to = "super::outcome_measure::Entity",
        from = "Column::MeasureId",
        to = "super::outcome_measure::Column::Id"
    )]
    Measure,
}

impl Related<super::project::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Project.def()
    }
}

impl Related<super::outcome_measure::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Measure.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
