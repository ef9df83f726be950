//! Missing returns: active projects that reported a measure before a period but have no submitted
//! or verified record of it for the period, so that programme managers can chase them.

use super::engine::{self, Store, date_of, day_of};
use super::impact::projects_where;
use crate::access::RecordAccess;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

/// A return that is due: the project, the measure and the end of the last period it reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingReturn {
    pub project_id: Uuid,
    pub measure_id: Uuid,
    pub last_period_end: NaiveDate,
}

/// The returns missing for the period `start..=end`, among the projects `access` may read.
pub async fn missing_returns(
    db: &impl ConnectionTrait,
    store: &Store,
    start: NaiveDate,
    end: NaiveDate,
    access: RecordAccess,
) -> Result<Vec<MissingReturn>, DbErr> {
    let readable = match access.project_condition() {
        Some(condition) => Some(store.project_mask(projects_where(db, condition).await?)),
        None => None,
    };
    let due = engine::scan::missing_returns(store, day_of(start), day_of(end), readable.as_deref());
    Ok(due
        .into_iter()
        .filter_map(|d| {
            Some(MissingReturn {
                project_id: store.projects.rows.get(d.project as usize)?.id,
                measure_id: store.measures.get(usize::from(d.measure))?.id,
                last_period_end: date_of(d.last_period_end),
            })
        })
        .collect())
}
