//! Parquet snapshots and the export jobs that make them (evaluator and admin keys).

use super::id_of;
use crate::graphql::scalars::DateTime;
use async_graphql::{Enum, ID, Object, SimpleObject};
use b2h_entity::enums as domain;
use b2h_entity::export_job;

/// A published snapshot, as its manifest describes it.
pub struct Snapshot {
    pub manifest: b2h_export::Manifest,
    pub latest: bool,
}

/// A published Parquet snapshot: record-level data for evaluators, not disclosure-controlled.
#[Object]
impl Snapshot {
    /// Snapshot id: the UTC time it was taken, `20261123T140000Z` (`-2`… if taken twice).
    async fn id(&self) -> &str {
        &self.manifest.snapshot_id
    }

    /// The moment of the database the snapshot shows (UTC).
    async fn created_at(&self) -> DateTime {
        self.manifest.created_at.into()
    }

    /// Whether `latest` names this snapshot.
    async fn latest(&self) -> bool {
        self.latest
    }

    /// Version of the export's tables and columns.
    async fn schema_version(&self) -> i32 {
        i32::try_from(self.manifest.schema_version).unwrap_or(i32::MAX)
    }

    /// The database kind it was read from (`postgresql` or `sqlite`).
    async fn source(&self) -> &str {
        &self.manifest.source
    }

    /// Record-level rows (always true: snapshots are for evaluators).
    async fn record_level(&self) -> bool {
        self.manifest.record_level
    }

    /// Whether small numbers are suppressed (always false).
    async fn disclosure_controlled(&self) -> bool {
        self.manifest.disclosure_controlled
    }

    /// What readers must do before publishing figures from it.
    async fn notice(&self) -> &str {
        &self.manifest.notice
    }

    /// Rows in all its tables.
    async fn rows(&self) -> i64 {
        i64::try_from(self.manifest.total_rows()).unwrap_or(i64::MAX)
    }

    /// Bytes of all its Parquet files.
    async fn bytes(&self) -> i64 {
        i64::try_from(self.manifest.total_bytes()).unwrap_or(i64::MAX)
    }

    /// Its tables with their files and columns, in the manifest's order.
    async fn tables(&self) -> Vec<SnapshotTable> {
        self.manifest
            .tables
            .iter()
            .map(|t| SnapshotTable {
                name: t.name.clone(),
                description: t.description.clone(),
                rows: i64::try_from(t.rows).unwrap_or(i64::MAX),
                partitioned_by: t.partitioned_by.clone(),
                sorted_by: t.sorted_by.clone(),
                files: t
                    .files
                    .iter()
                    .map(|f| SnapshotFile {
                        path: f.path.clone(),
                        rows: i64::try_from(f.rows).unwrap_or(i64::MAX),
                        bytes: i64::try_from(f.bytes).unwrap_or(i64::MAX),
                        sha256: f.sha256.clone(),
                    })
                    .collect(),
                columns: t
                    .columns
                    .iter()
                    .map(|c| SnapshotColumn {
                        name: c.name.clone(),
                        data_type: c.data_type.clone(),
                        nullable: c.nullable,
                        description: c.description.clone(),
                    })
                    .collect(),
            })
            .collect()
    }
}

/// One table of a snapshot.
#[derive(SimpleObject)]
pub struct SnapshotTable {
    /// Table name, e.g. `fact_outcomes`.
    pub name: String,
    /// What the table holds.
    pub description: String,
    /// Rows in all its files.
    pub rows: i64,
    /// `year(period_end)` for tables split into `year=YYYY` folders.
    pub partitioned_by: Option<String>,
    /// Columns the rows are sorted by.
    pub sorted_by: Vec<String>,
    /// Its Parquet files.
    pub files: Vec<SnapshotFile>,
    /// Its columns.
    pub columns: Vec<SnapshotColumn>,
}

/// One Parquet file of a snapshot.
#[derive(SimpleObject)]
pub struct SnapshotFile {
    /// Path within the snapshot's folder, `/`-separated.
    pub path: String,
    /// Rows in the file.
    pub rows: i64,
    /// Size in bytes.
    pub bytes: i64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// One column of a snapshot table.
#[derive(SimpleObject)]
pub struct SnapshotColumn {
    /// Column name.
    pub name: String,
    /// Arrow type as pyarrow prints it, e.g. `decimal128(18, 2)`.
    #[graphql(name = "type")]
    pub data_type: String,
    /// Whether it may be null.
    pub nullable: bool,
    /// What it means.
    pub description: String,
}

/// Where an export job is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::ExportStatus")]
pub enum ExportStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

/// An export requested over the API, run in the server's background.
pub struct ExportJob(pub export_job::Model);

/// An export requested over the API, run in the server's background.
#[Object]
impl ExportJob {
    /// Job id (UUID): read its status with `exportJob(id:)`.
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// Queued, running, succeeded or failed.
    async fn status(&self) -> ExportStatus {
        self.0.status.into()
    }

    /// Who asked for it (`apikey:<key name>`).
    async fn requested_by(&self) -> &str {
        &self.0.requested_by
    }

    /// The snapshot it published, once it has succeeded.
    async fn snapshot_id(&self) -> Option<&str> {
        self.0.snapshot_id.as_deref()
    }

    /// Rows written, once it has succeeded.
    async fn total_rows(&self) -> Option<i64> {
        self.0.total_rows
    }

    /// Bytes written, once it has succeeded.
    async fn total_bytes(&self) -> Option<i64> {
        self.0.total_bytes
    }

    /// Why it failed (the kind of failure; the server log has the detail).
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// When it was requested (UTC).
    async fn requested_at(&self) -> DateTime {
        self.0.requested_at.into()
    }

    /// When it started (UTC).
    async fn started_at(&self) -> Option<DateTime> {
        self.0.started_at.map(Into::into)
    }

    /// When it finished (UTC).
    async fn finished_at(&self) -> Option<DateTime> {
        self.0.finished_at.map(Into::into)
    }
}
