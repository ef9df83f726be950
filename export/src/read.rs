//! The snapshot's one consistent read, and the channel its batches go to the file writer by.

use crate::catalog::{Table, count_sql};
use crate::error::ExportError;
use crate::{Progress, Step, postgres, sqlite};
use arrow_array::RecordBatch;
use chrono::{DateTime, Utc};
use sea_orm::sqlx::{self, Connection, PgConnection, Sqlite, Transaction};
use sea_orm::{DatabaseBackend, DatabaseConnection};
use tokio::sync::mpsc;

/// Rows per Arrow batch handed to the writer.
pub const BATCH_ROWS: usize = 16 * 1024;

/// Sends batches to the table's writer; fails when the writer has stopped (with its own error).
pub struct BatchSink {
    pub sender: mpsc::Sender<RecordBatch>,
    pub progress: Option<Progress>,
}

impl BatchSink {
    pub async fn send(&mut self, batch: RecordBatch) -> Result<(), ExportError> {
        let rows = batch.num_rows() as u64;
        self.sender
            .send(batch)
            .await
            .map_err(|_| ExportError::WriterStopped)?;
        if let Some(progress) = &self.progress {
            progress(Step::Rows(rows));
        }
        Ok(())
    }
}

/// A PostgreSQL connection of the pool's settings that the pool no longer owns.
async fn detached(db: &DatabaseConnection) -> Result<PgConnection, ExportError> {
    let conn = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .map_err(ExportError::database)?;
    Ok(conn.detach())
}

/// How long a snapshot's reads wait for a table lock. A schema change (ALTER TABLE) queues behind
/// the export's first reader, and a second reader's lock then queues behind the schema change:
/// without a bound the three wait on each other for ever. With it the export fails, lets the
/// change through, and is tried again.
const LOCK_WAIT: &str = "SET LOCAL lock_timeout = '10s'";

/// One read-only transaction that every table of a snapshot is read in.
pub enum Snapshot {
    /// A connection detached from the pool: a COPY stopped part-way leaves it out of step, so it
    /// is closed with the export, never handed back to other users of the pool.
    Postgres(PgConnection),
    Sqlite(Transaction<'static, Sqlite>),
}

impl Snapshot {
    /// Begins the read: REPEATABLE READ on PostgreSQL (one snapshot for all tables); on SQLite a
    /// read transaction sees one state of the database until it ends.
    pub async fn begin(db: &DatabaseConnection) -> Result<(Self, DateTime<Utc>), ExportError> {
        match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                let mut tx = detached(db).await?;
                for sql in [
                    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                    LOCK_WAIT,
                ] {
                    sqlx::query(sql)
                        .execute(&mut tx)
                        .await
                        .map_err(ExportError::database)?;
                }
                // The transaction's own time: the moment the snapshot shows.
                let at: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
                    .fetch_one(&mut tx)
                    .await
                    .map_err(ExportError::database)?;
                Ok((Snapshot::Postgres(tx), at))
            }
            DatabaseBackend::Sqlite => {
                let mut tx = db
                    .get_sqlite_connection_pool()
                    .begin()
                    .await
                    .map_err(ExportError::database)?;
                // A deferred transaction takes its read snapshot at the first read.
                sqlx::query("SELECT count(*) FROM nation")
                    .execute(&mut *tx)
                    .await
                    .map_err(ExportError::database)?;
                Ok((Snapshot::Sqlite(tx), Utc::now()))
            }
            _ => Err(ExportError::Backend),
        }
    }

    /// A second reader of the same snapshot, so that two tables are read at once: on PostgreSQL
    /// another connection whose transaction imports this one's snapshot; `None` on SQLite.
    pub async fn fork(&mut self, db: &DatabaseConnection) -> Result<Option<Self>, ExportError> {
        let Snapshot::Postgres(tx) = self else {
            return Ok(None);
        };
        let exported: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut *tx)
            .await
            .map_err(ExportError::database)?;
        if !exported.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(ExportError::Decode {
                table: "snapshot",
                column: None,
                reason: format!("unexpected snapshot id {exported:?}"),
            });
        }
        let mut other = detached(db).await?;
        for sql in [
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY".to_owned(),
            format!("SET TRANSACTION SNAPSHOT '{exported}'"),
            LOCK_WAIT.to_owned(),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut other)
                .await
                .map_err(ExportError::database)?;
        }
        Ok(Some(Snapshot::Postgres(other)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Snapshot::Postgres(_) => "postgresql",
            Snapshot::Sqlite(_) => "sqlite",
        }
    }

    /// The newest applied migration: the database schema the snapshot was read from.
    pub async fn migration(&mut self) -> Result<Option<String>, ExportError> {
        let sql = "SELECT max(version) FROM seaql_migrations";
        match self {
            Snapshot::Postgres(tx) => sqlx::query_scalar(sql).fetch_one(&mut *tx).await,
            Snapshot::Sqlite(tx) => sqlx::query_scalar(sql).fetch_one(&mut **tx).await,
        }
        .map_err(ExportError::database)
    }

    /// A whole number read in the snapshot (`None` when the query gives no row or null).
    pub async fn scalar(&mut self, sql: &'static str) -> Result<Option<i64>, ExportError> {
        match self {
            Snapshot::Postgres(tx) => sqlx::query_scalar(sql).fetch_optional(&mut *tx).await,
            Snapshot::Sqlite(tx) => sqlx::query_scalar(sql).fetch_optional(&mut **tx).await,
        }
        .map(Option::flatten)
        .map_err(ExportError::database)
    }

    /// How many rows `table` will have.
    pub async fn count(&mut self, table: &Table) -> Result<u64, ExportError> {
        let sql = sqlx::AssertSqlSafe(count_sql(table));
        let n: i64 = match self {
            Snapshot::Postgres(tx) => sqlx::query_scalar(sql).fetch_one(&mut *tx).await,
            Snapshot::Sqlite(tx) => sqlx::query_scalar(sql).fetch_one(&mut **tx).await,
        }
        .map_err(ExportError::database)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Streams `table` into `sink`; returns its rows.
    pub async fn read(
        &mut self,
        table: &'static Table,
        sink: &mut BatchSink,
    ) -> Result<u64, ExportError> {
        match self {
            Snapshot::Postgres(tx) => postgres::read_table(tx, table, BATCH_ROWS, sink).await,
            Snapshot::Sqlite(tx) => sqlite::read_table(tx, table, BATCH_ROWS, sink).await,
        }
    }

    pub async fn finish(self) -> Result<(), ExportError> {
        match self {
            Snapshot::Postgres(mut conn) => {
                sqlx::query("COMMIT")
                    .execute(&mut conn)
                    .await
                    .map_err(ExportError::database)?;
                conn.close().await
            }
            Snapshot::Sqlite(tx) => tx.commit().await,
        }
        .map_err(ExportError::database)
    }
}
