//! Returns that are due: what programme managers chase.

use super::measure::OutcomeMeasure;
use super::project::Project;
use super::related;
use crate::analytics::returns;
use crate::graphql::error::ApiResult;
use crate::graphql::scalars::Date;
use async_graphql::{Context, InputObject, Object};

/// A reporting period (both days inclusive).
#[derive(InputObject)]
pub struct PeriodInput {
    /// First day.
    pub start: Date,
    /// Last day.
    pub end: Date,
}

/// An active project that reported a measure before the period but has no submitted or verified
/// record of it for the period.
pub struct MissingReturn(pub returns::MissingReturn);

/// An active project that reported a measure before the period but has no submitted or verified
/// record of it for the period.
#[Object]
impl MissingReturn {
    /// The project.
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<Option<Project>> {
        related(ctx, |l| &l.projects, self.0.project_id, Project).await
    }

    /// The measure it has not returned.
    async fn measure(&self, ctx: &Context<'_>) -> ApiResult<Option<OutcomeMeasure>> {
        related(ctx, |l| &l.measures, self.0.measure_id, OutcomeMeasure).await
    }

    /// End of the last period it reported for the measure.
    async fn last_period_end(&self) -> Date {
        self.0.last_period_end.into()
    }
}
