//! Returns that are due: what programme managers chase.

use super::measure::OutcomeMeasure;
use super::project::Project;
use super::related;
use crate::analytics::returns;
use crate::graphql::error::ApiResult;
use crate::graphql::plain::{self, Fields, Out, leaf};
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
        related(ctx, |l| &l.measures, self.0.measure_id, OutcomeMeasure::of).await
    }

    /// End of the last period it reported for the measure.
    async fn last_period_end(&self) -> Date {
        self.0.last_period_end.into()
    }
}

impl Fields for MissingReturn {
    fn type_name(&self) -> &'static str {
        "MissingReturn"
    }

    fn field<'a>(&'a self, name: &str) -> Out<'a> {
        match name {
            "project" => plain::related(|l| &l.projects, self.0.project_id, Project),
            "measure" => plain::related(|l| &l.measures, self.0.measure_id, OutcomeMeasure::of),
            "lastPeriodEnd" => leaf(&Date::from(self.0.last_period_end)),
            _ => Out::Unknown,
        }
    }
}
