//! Parquet snapshots of the b2h database for evaluators.
//!
//! One export reads every table in one transaction (REPEATABLE READ on PostgreSQL), streams rows
//! in batches into Parquet files under a hidden folder, writes `README.md` and `manifest.json`,
//! then publishes the folder by rename and points `latest` at it. Memory stays flat: a table is
//! never held whole, only a batch and the row groups being encoded.

mod catalog;
mod column;
mod error;
mod local;
mod manifest;
mod postgres;
mod read;
mod readme;
mod s3;
mod sqlite;
mod write;

pub use catalog::{Column, TABLES, Table};
pub use column::Kind;
pub use error::ExportError;
pub use local::{LATEST, SNAPSHOTS};
pub use manifest::{ColumnEntry, FileEntry, Manifest, SCHEMA_VERSION, TableEntry};
pub use s3::install_crypto_provider;
pub use write::{FILE_ROWS, ROW_GROUP_ROWS, hex};

use arrow_array::RecordBatch;
use local::LocalTarget;
use read::Snapshot;
pub use read::{BATCH_ROWS, BatchSink, Snapshot as ConsistentRead};
use sea_orm::DatabaseConnection;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tokio::sync::mpsc;
use write::TableWriter;

/// Where snapshots are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    Local(PathBuf),
    /// `s3://bucket/prefix` (credentials and endpoint from the AWS environment variables).
    S3 {
        bucket: String,
        prefix: String,
    },
}

impl std::str::FromStr for Destination {
    type Err = ExportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Err(ExportError::Destination(
                "(empty): give a folder".to_owned(),
            ));
        }
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(ExportError::Destination(format!(
                    "{s}: the bucket is missing"
                )));
            }
            return Ok(Destination::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            });
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(ExportError::Destination(format!(
                "{s}: {scheme}:// is not supported; give a local folder or s3://bucket/prefix"
            )));
        }
        Ok(Destination::Local(PathBuf::from(s)))
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::Local(path) => write!(f, "{}", path.display()),
            Destination::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// Each table's name, the SELECT that reads it on the given backend and its partition column:
/// what benchmarks give the other exporters so that all read the same rows.
pub fn queries(postgres: bool) -> Vec<(&'static str, String, Option<&'static str>)> {
    TABLES
        .iter()
        .map(|t| {
            (
                t.name,
                catalog::select_sql(t, postgres),
                t.partition_by_year,
            )
        })
        .collect()
}

/// The published snapshots at `destination`, newest first, with whether `latest` names each.
/// A folder without a readable manifest is skipped (and logged): it is not a complete snapshot.
pub async fn snapshots(destination: &Destination) -> Result<Vec<(Manifest, bool)>, ExportError> {
    match destination {
        Destination::Local(root) => {
            let root = root.clone();
            tokio::task::spawn_blocking(move || local_snapshots(&root))
                .await
                .map_err(|_| ExportError::WriterStopped)?
        }
        Destination::S3 { bucket, prefix } => s3::S3Target::open(bucket, prefix)?.snapshots().await,
    }
}

fn local_snapshots(root: &Path) -> Result<Vec<(Manifest, bool)>, ExportError> {
    let dir = root.join(SNAPSHOTS);
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let latest = std::fs::read_to_string(root.join(LATEST))
        .ok()
        .map(|s| s.trim().to_owned());
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(ExportError::io(&dir))? {
        let entry = entry.map_err(ExportError::io(&dir))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path().join("manifest.json");
        let manifest = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Manifest>(&bytes).ok());
        match manifest {
            Some(m) => {
                let is_latest = latest.as_deref() == Some(m.snapshot_id.as_str());
                found.push((m, is_latest));
            }
            None => {
                tracing::warn!(path = %path.display(), "a snapshot folder without a readable manifest")
            }
        }
    }
    found.sort_by(|a, b| {
        b.0.created_at
            .cmp(&a.0.created_at)
            .then(b.0.snapshot_id.cmp(&a.0.snapshot_id))
    });
    Ok(found)
}

/// A published snapshot.
#[derive(Clone, Debug)]
pub struct Published {
    pub manifest: Manifest,
    /// Where it is, e.g. `out/snapshots/20261123T140000Z`.
    pub location: String,
}

/// Told how far an export has got: first the rows it will write (when asked for, as counting
/// costs a scan), then the rows of each batch as it is written.
pub type Progress = std::sync::Arc<dyn Fn(Step) + Send + Sync>;

#[derive(Clone, Copy, Debug)]
pub enum Step {
    Planned {
        rows: u64,
    },
    Rows(u64),
    /// Every table is written.
    Written,
}

/// How an export runs.
#[derive(Clone, Default)]
pub struct Options {
    /// Snapshots to keep after this one is published (older ones are removed); all when `None`.
    pub keep: Option<usize>,
    pub progress: Option<Progress>,
}

/// Writes one snapshot of `db` to `destination` and publishes it.
pub async fn export(
    db: &DatabaseConnection,
    destination: &Destination,
    options: &Options,
) -> Result<Published, ExportError> {
    let (manifest, location) = match destination {
        Destination::Local(root) => {
            let target = LocalTarget::open(root).await?;
            let (snapshot, created_at) = Snapshot::begin(db).await?;
            let id = target.allocate_id(created_at);
            let staged = target.stage(&id)?;
            let written = write_all(db, snapshot, created_at, &staged, &id, options).await;
            let published = written.and_then(|m| Ok((m, target.publish(&id)?)));
            let (manifest, location) = published.inspect_err(|_| target.discard(&id))?;
            if let Some(keep) = options.keep {
                pruned(target.prune(keep), keep);
            }
            (manifest, location.display().to_string())
        }
        Destination::S3 { bucket, prefix } => {
            let target = s3::S3Target::open(bucket, prefix)?;
            // Written to a hidden local folder first, then uploaded.
            // A folder of this run's own (the local lock only guards a folder, not the bucket).
            let staging_root =
                std::env::temp_dir().join(format!("b2h-export-{}", uuid::Uuid::new_v4().simple()));
            let staging = LocalTarget::open(&staging_root).await?;
            let (snapshot, created_at) = Snapshot::begin(db).await?;
            let id = target.allocate_id(local::base_id(created_at)).await?;
            let staged = staging.stage(&id)?;
            let written = write_all(db, snapshot, created_at, &staged, &id, options).await;
            let published = match written {
                Ok(manifest) => target.publish(&staged, &id).await.map(|l| (manifest, l)),
                Err(e) => Err(e),
            };
            drop(staging);
            if let Err(e) = std::fs::remove_dir_all(&staging_root) {
                tracing::warn!(path = %staging_root.display(), error = %e, "could not remove the staging folder");
            }
            let published = published?;
            if let Some(keep) = options.keep {
                pruned(target.prune(keep).await, keep);
            }
            published
        }
    };
    tracing::info!(
        snapshot = %manifest.snapshot_id,
        rows = manifest.total_rows(),
        bytes = manifest.total_bytes(),
        location = %location,
        "snapshot published"
    );
    Ok(Published { manifest, location })
}

/// Logs what pruning removed; a failure to prune does not undo a published snapshot, so it is a
/// warning (the next export tries again).
fn pruned(result: Result<Vec<String>, ExportError>, keep: usize) {
    match result {
        Ok(removed) => {
            for snapshot in removed {
                tracing::info!(%snapshot, keep, "removed an old snapshot");
            }
        }
        Err(e) => tracing::warn!(error = %e, keep, "could not remove old snapshots"),
    }
}

/// Reads every table into `staged`, then writes README.md and manifest.json.
async fn write_all(
    db: &DatabaseConnection,
    mut snapshot: Snapshot,
    created_at: chrono::DateTime<chrono::Utc>,
    staged: &Path,
    id: &str,
    options: &Options,
) -> Result<Manifest, ExportError> {
    let tables = write_snapshot(db, &mut snapshot, staged, id, options.progress.as_ref()).await?;
    let source_migration = snapshot.migration().await?;
    let manifest = Manifest {
        snapshot_id: id.to_owned(),
        created_at,
        schema_version: SCHEMA_VERSION,
        source: snapshot.backend_name().to_owned(),
        source_migration,
        record_level: true,
        disclosure_controlled: false,
        notice: manifest::NOTICE.to_owned(),
        tables,
    };
    finish(snapshot, staged, &manifest).await?;
    Ok(manifest)
}

/// Ends the read and writes the snapshot's README.md and manifest.json (last, as its seal).
async fn finish(snapshot: Snapshot, staged: &Path, manifest: &Manifest) -> Result<(), ExportError> {
    snapshot.finish().await?;
    local::write_file(
        &staged.join("README.md"),
        readme::render(manifest).as_bytes(),
    )?;
    let json = serde_json::to_vec_pretty(manifest).map_err(|e| ExportError::Decode {
        table: "manifest",
        column: None,
        reason: e.to_string(),
    })?;
    local::write_file(&staged.join("manifest.json"), &json)
}

/// Writes every table's files into `dir`.
async fn write_snapshot(
    db: &DatabaseConnection,
    snapshot: &mut Snapshot,
    dir: &Path,
    id: &str,
    progress: Option<&Progress>,
) -> Result<Vec<TableEntry>, ExportError> {
    if let Some(progress) = progress {
        let mut rows = 0;
        for table in TABLES {
            rows += snapshot.count(table).await?;
        }
        progress(Step::Planned { rows });
    }
    let mut tables = Vec::with_capacity(TABLES.len());
    let (small, large): (Vec<&'static Table>, Vec<&'static Table>) =
        TABLES.iter().partition(|t| t.partition_by_year.is_none());
    for table in small {
        tables.push(write_logged(snapshot, table, dir, id, progress).await?);
    }
    // The two fact tables at once where the database can share the snapshot with a second
    // connection: the database sorts one while this process encodes the other.
    match (large.as_slice(), snapshot.fork(db).await?) {
        ([first, second], Some(mut other)) => {
            // The first failure stops both (their connections close with them).
            let (a, b) = tokio::try_join!(
                write_logged(snapshot, first, dir, id, progress),
                write_logged(&mut other, second, dir, id, progress),
            )?;
            other.finish().await?;
            tables.push(a);
            tables.push(b);
        }
        (_, other) => {
            if let Some(other) = other {
                other.finish().await?;
            }
            for table in large {
                tables.push(write_logged(snapshot, table, dir, id, progress).await?);
            }
        }
    }
    if let Some(progress) = progress {
        progress(Step::Written);
    }
    Ok(tables)
}

async fn write_logged(
    snapshot: &mut Snapshot,
    table: &'static Table,
    dir: &Path,
    id: &str,
    progress: Option<&Progress>,
) -> Result<TableEntry, ExportError> {
    let started = Instant::now();
    let (rows, files) = write_table(snapshot, table, dir, id, progress).await?;
    tracing::info!(
        table = table.name,
        rows,
        files = files.len(),
        seconds = started.elapsed().as_secs_f64(),
        "table exported"
    );
    Ok(TableEntry::new(table, rows, files))
}

/// Reads one table on this task while a blocking thread encodes and writes its files.
async fn write_table(
    snapshot: &mut Snapshot,
    table: &'static Table,
    dir: &Path,
    id: &str,
    progress: Option<&Progress>,
) -> Result<(u64, Vec<FileEntry>), ExportError> {
    let (sender, mut batches) = mpsc::channel::<RecordBatch>(2);
    let mut writer = TableWriter::new(table, dir, id)?;
    let encoding = tokio::task::spawn_blocking(move || {
        while let Some(batch) = batches.blocking_recv() {
            writer.write(&batch)?;
        }
        writer.finish()
    });
    let read = {
        let mut sink = BatchSink {
            sender,
            progress: progress.cloned(),
        };
        snapshot.read(table, &mut sink).await
    };
    let written = encoding.await.map_err(|_| ExportError::WriterStopped)?;
    match (read, written) {
        (Ok(rows), Ok(files)) => {
            let in_files: u64 = files.iter().map(|f| f.rows).sum();
            if in_files != rows {
                return Err(ExportError::Decode {
                    table: table.name,
                    column: None,
                    reason: format!("read {rows} rows but wrote {in_files}"),
                });
            }
            Ok((rows, files))
        }
        // The writer's own error explains why it stopped taking batches.
        (Err(ExportError::WriterStopped), Err(e)) | (Ok(_), Err(e)) | (Err(e), _) => Err(e),
    }
}
