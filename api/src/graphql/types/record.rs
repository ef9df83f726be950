//! Outcome records: one aggregate figure of a project for a measure and period.

use super::enums::{DataSource, EvidenceStrength, RecordStatus};
use super::id_of;
use super::measure::OutcomeMeasure;
use super::project::Project;
use super::related;
use crate::graphql::connection::{Key, SortField, column};
use crate::graphql::error::ApiResult;
use crate::graphql::filter::{DateFilter, EnumFilter, IdFilter, StringFilter, combine};
use crate::graphql::scalars::{Date, DateTime};
use async_graphql::{Context, ID, Object};
use b2h_entity::enums as domain;
use b2h_entity::outcome_record;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{Condition, DbBackend};

/// One aggregate figure (never personal data) of a project for a measure and period.
#[derive(Clone)]
pub struct OutcomeRecord(pub outcome_record::Model);

/// One aggregate figure (never personal data) of a project for a measure and period.
#[Object]
impl OutcomeRecord {
    /// Record id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// The project reporting.
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<Option<Project>> {
        related(ctx, |l| &l.projects, self.0.project_id, Project).await
    }

    /// The measure reported against.
    async fn measure(&self, ctx: &Context<'_>) -> ApiResult<Option<OutcomeMeasure>> {
        related(ctx, |l| &l.measures, self.0.measure_id, OutcomeMeasure::of).await
    }

    /// First day of the period (inclusive).
    async fn period_start(&self) -> Date {
        self.0.period_start.into()
    }

    /// Last day of the period (inclusive); the record counts in this day's month, quarter and year.
    async fn period_end(&self) -> Date {
        self.0.period_end.into()
    }

    /// The figure, in the measure's unit.
    async fn value(&self) -> f64 {
        self.0.value
    }

    /// The figure before the project, where known.
    async fn baseline(&self) -> Option<f64> {
        self.0.baseline
    }

    /// The figure aimed for, where set.
    async fn target(&self) -> Option<f64> {
        self.0.target
    }

    /// How many people or events a rate or score is based on (required for weighted means).
    async fn sample_size(&self) -> Option<i32> {
        self.0.sample_size
    }

    /// Review status; drafts never count.
    async fn status(&self) -> RecordStatus {
        self.0.status.into()
    }

    /// Where the figure comes from.
    async fn data_source(&self) -> DataSource {
        self.0.data_source.into()
    }

    /// How strong the evidence is.
    async fn evidence_strength(&self) -> EvidenceStrength {
        self.0.evidence_strength.into()
    }

    /// The partner's note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// When it was submitted (UTC).
    async fn submitted_at(&self) -> Option<DateTime> {
        self.0.submitted_at.map(DateTime)
    }

    /// When it was verified (UTC).
    async fn verified_at(&self) -> Option<DateTime> {
        self.0.verified_at.map(DateTime)
    }

    /// When it was withdrawn (UTC; `archiveOutcomes`); null while it counts.
    async fn archived_at(&self) -> Option<DateTime> {
        self.0.archived_at.map(DateTime)
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

crate::graphql::connection::connection!(
    OutcomeRecord,
    OutcomeRecordConnection,
    OutcomeRecordEdge,
    "outcome record"
);

/// What an outcome record list can be sorted by (ties are broken by id).
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeRecordOrderField {
    /// Last day of the period.
    PeriodEnd,
    /// First day of the period.
    PeriodStart,
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
}

impl SortField<outcome_record::Model> for OutcomeRecordOrderField {
    fn key(self) -> Expr {
        match self {
            OutcomeRecordOrderField::PeriodEnd => column("outcome_record", "period_end"),
            OutcomeRecordOrderField::PeriodStart => column("outcome_record", "period_start"),
            OutcomeRecordOrderField::CreatedAt => column("outcome_record", "created_at"),
            OutcomeRecordOrderField::UpdatedAt => column("outcome_record", "updated_at"),
        }
    }

    fn nullable(self) -> bool {
        false
    }

    fn value(self, r: &outcome_record::Model) -> Key {
        match self {
            OutcomeRecordOrderField::PeriodEnd => Key::Date(r.period_end),
            OutcomeRecordOrderField::PeriodStart => Key::Date(r.period_start),
            OutcomeRecordOrderField::CreatedAt => Key::Time(r.created_at),
            OutcomeRecordOrderField::UpdatedAt => Key::Time(r.updated_at),
        }
    }
}

/// Which outcome records to list. Fields combine with AND; `and`, `or` and `not` nest.
#[derive(async_graphql::InputObject, Default)]
pub struct OutcomeRecordFilter {
    /// The record's id.
    pub id: Option<IdFilter>,
    /// The project's id.
    pub project: Option<IdFilter>,
    /// The measure's id.
    pub measure: Option<IdFilter>,
    /// The measure's code (`patients_supported`).
    pub measure_code: Option<StringFilter>,
    /// Review status.
    pub status: Option<EnumFilter<RecordStatus>>,
    /// Where the figure comes from.
    pub data_source: Option<EnumFilter<DataSource>>,
    /// How strong the evidence is.
    pub evidence_strength: Option<EnumFilter<EvidenceStrength>>,
    /// First day of the period.
    pub period_start: Option<DateFilter>,
    /// Last day of the period.
    pub period_end: Option<DateFilter>,
    /// All of these.
    pub and: Option<Vec<OutcomeRecordFilter>>,
    /// Any of these.
    pub or: Option<Vec<OutcomeRecordFilter>>,
    /// Not this.
    pub not: Option<Box<OutcomeRecordFilter>>,
}

impl OutcomeRecordFilter {
    pub fn condition(&self, backend: DbBackend) -> ApiResult<Condition> {
        let col = |name: &str| column("outcome_record", name);
        let mut c = Condition::all();
        if let Some(f) = &self.id {
            c = c.add(f.condition(col("id"))?);
        }
        if let Some(f) = &self.project {
            c = c.add(f.condition(col("project_id"))?);
        }
        if let Some(f) = &self.measure {
            c = c.add(f.condition(col("measure_id"))?);
        }
        if let Some(f) = &self.measure_code {
            let mut sub = Query::select();
            sub.expr(column("outcome_measure", "id"))
                .from(Alias::new("outcome_measure"))
                .cond_where(f.condition(backend, column("outcome_measure", "code"))?);
            c = c.add(col("measure_id").in_subquery(sub));
        }
        if let Some(f) = &self.status {
            c = c.add(f.condition(col("status"), |v| domain::RecordStatus::from(v).as_str())?);
        }
        if let Some(f) = &self.data_source {
            c = c.add(f.condition(col("data_source"), |v| domain::DataSource::from(v).as_str())?);
        }
        if let Some(f) = &self.evidence_strength {
            c = c.add(f.condition(col("evidence_strength"), |v| {
                domain::EvidenceStrength::from(v).as_str()
            })?);
        }
        if let Some(f) = &self.period_start {
            c = c.add(f.condition(col("period_start"))?);
        }
        if let Some(f) = &self.period_end {
            c = c.add(f.condition(col("period_end"))?);
        }
        combine(c, &self.and, &self.or, &self.not, |f| f.condition(backend))
    }
}
