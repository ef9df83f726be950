//! Reads a table from SQLite row by row into Arrow builders.

use crate::catalog::{Table, select_sql};
use crate::column::{BatchBuilder, Cell, Kind, schema_of};
use crate::error::ExportError;
use crate::read::BatchSink;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use futures_util::StreamExt;
use sea_orm::sqlx::{self, Row, SqliteConnection, sqlite::SqliteRow};

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_FROM_CE: i32 = 719_163;

/// Streams `table` from `conn` (inside the snapshot's transaction) into `sink`; returns the rows.
pub async fn read_table(
    conn: &mut SqliteConnection,
    table: &'static Table,
    batch_rows: usize,
    sink: &mut BatchSink,
) -> Result<u64, ExportError> {
    let sql = select_sql(table, false);
    let kinds: Vec<Kind> = table.columns.iter().map(|c| c.kind).collect();
    let mut batch = BatchBuilder::new(schema_of(table), &kinds, batch_rows);
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
    let mut count = 0u64;
    while let Some(row) = rows.next().await {
        let row = row.map_err(ExportError::database)?;
        for (column, kind) in kinds.iter().enumerate() {
            let mismatch = |reason: String| ExportError::Decode {
                table: table.name,
                column: table.columns.get(column).map(|c| c.name),
                reason,
            };
            let cell = cell(&row, column, *kind).map_err(|e| mismatch(e.to_string()))?;
            batch
                .push(column, cell)
                .map_err(|m| mismatch(format!("unexpected value: {}", m.found)))?;
        }
        batch.end_row();
        count += 1;
        if batch.rows() >= batch_rows {
            sink.send(batch.finish()?).await?;
        }
    }
    if batch.rows() > 0 {
        sink.send(batch.finish()?).await?;
    }
    Ok(count)
}

fn cell(row: &SqliteRow, i: usize, kind: Kind) -> Result<Cell<'_>, sqlx::Error> {
    let cell = match kind {
        Kind::Id => row
            .try_get::<Option<uuid::Uuid>, _>(i)?
            .map(|id| Cell::Uuid(id.into_bytes())),
        Kind::Text | Kind::Category | Kind::TextList => {
            row.try_get::<Option<&str>, _>(i)?.map(Cell::Str)
        }
        Kind::Date => row
            .try_get::<Option<NaiveDate>, _>(i)?
            .map(|d| Cell::Date(d.num_days_from_ce() - UNIX_EPOCH_FROM_CE)),
        Kind::Timestamp => row
            .try_get::<Option<DateTime<Utc>>, _>(i)?
            .map(|t| Cell::Timestamp(t.timestamp_micros())),
        Kind::Int32 => row.try_get::<Option<i32>, _>(i)?.map(Cell::Int32),
        Kind::Int64 | Kind::Money => row.try_get::<Option<i64>, _>(i)?.map(Cell::Int64),
        Kind::Float64 => row.try_get::<Option<f64>, _>(i)?.map(Cell::Float64),
        Kind::Bool => row.try_get::<Option<bool>, _>(i)?.map(Cell::Bool),
    };
    Ok(cell.unwrap_or(Cell::Null))
}
