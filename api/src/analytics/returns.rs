//! Missing returns: active projects that reported a measure before a period but have no submitted
//! or verified record of it for the period, so that programme managers can chase them.

use crate::access::RecordAccess;
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, StatementBuilder};
use uuid::Uuid;

/// A return that is due: the project, the measure and the end of the last period it reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingReturn {
    pub project_id: Uuid,
    pub measure_id: Uuid,
    pub last_period_end: NaiveDate,
}

fn col(table: &str, name: &str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(name)))
}

/// The returns missing for the period `start..=end`, among the projects `access` may read.
pub async fn missing_returns(
    db: &DatabaseConnection,
    start: NaiveDate,
    end: NaiveDate,
    access: RecordAccess,
) -> Result<Vec<MissingReturn>, DbErr> {
    let counted = ["submitted", "verified"];
    let mut reported = Query::select();
    reported
        .expr(Expr::val(1))
        .from_as(Alias::new("outcome_record"), Alias::new("x"))
        .and_where(
            col("x", "project_id").equals((Alias::new("outcome_record"), Alias::new("project_id"))),
        )
        .and_where(
            col("x", "measure_id").equals((Alias::new("outcome_record"), Alias::new("measure_id"))),
        )
        .and_where(col("x", "status").is_in(counted))
        .and_where(col("x", "archived_at").is_null())
        .and_where(col("x", "period_start").lte(end))
        .and_where(col("x", "period_end").gte(start));
    let mut query = Query::select();
    query
        .expr_as(
            col("outcome_record", "project_id"),
            Alias::new("project_id"),
        )
        .expr_as(
            col("outcome_record", "measure_id"),
            Alias::new("measure_id"),
        )
        .expr_as(
            col("outcome_record", "period_end").max(),
            Alias::new("last_period_end"),
        )
        .from(Alias::new("outcome_record"))
        .inner_join(
            Alias::new("project"),
            col("project", "id").equals((Alias::new("outcome_record"), Alias::new("project_id"))),
        )
        .and_where(col("project", "status").eq("active"))
        .and_where(col("project", "archived_at").is_null())
        .and_where(col("outcome_record", "status").is_in(counted))
        .and_where(col("outcome_record", "archived_at").is_null())
        .and_where(col("outcome_record", "period_end").lt(start))
        .and_where(Expr::exists(reported).not())
        .group_by_col((Alias::new("outcome_record"), Alias::new("project_id")))
        .group_by_col((Alias::new("outcome_record"), Alias::new("measure_id")));
    if let Some(condition) = access.condition() {
        query.cond_where(condition);
    }
    let rows = db
        .query_all_raw(StatementBuilder::build(&query, &db.get_database_backend()))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(MissingReturn {
            project_id: row.try_get("", "project_id")?,
            measure_id: row.try_get("", "measure_id")?,
            last_period_end: row.try_get("", "last_period_end")?,
        });
    }
    Ok(out)
}
