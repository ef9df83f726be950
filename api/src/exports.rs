//! Exports requested over the API: a job row in `export_job` per request, run in the server's
//! background; the snapshots themselves are listed from their manifests at the destination.

use crate::changes::{Changes, Entity};
use crate::exporter::error_chain;
use b2h_entity::enums::ExportStatus;
use b2h_entity::export_job;
use b2h_export::{Destination, ExportError, Manifest, Options};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};
use uuid::Uuid;

/// The server's export destination, if it has one.
#[derive(Clone, Debug, Default)]
pub struct Exports {
    pub destination: Option<Destination>,
    /// Serialises "is one active? if not, queue one" within this server.
    requesting: std::sync::Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportsError {
    #[error(
        "exports are not set up on this server: start it with --export-out DIR (or B2H_EXPORT_OUT)"
    )]
    NotConfigured,
    #[error("database error")]
    Db(#[from] DbErr),
    #[error("cannot read the snapshots")]
    Read(#[from] ExportError),
}

impl Exports {
    pub fn new(destination: Option<Destination>) -> Self {
        Self {
            destination,
            requesting: std::sync::Arc::default(),
        }
    }

    /// The published snapshots, newest first, each with whether `latest` names it.
    pub async fn snapshots(&self) -> Result<Vec<(Manifest, bool)>, ExportsError> {
        let Some(destination) = self.destination.clone() else {
            return Ok(Vec::new());
        };
        b2h_export::snapshots(&destination)
            .await
            .map_err(ExportsError::Read)
    }

    /// Queues an export and starts it in the background; while one is queued or running, that
    /// one is returned instead of starting another.
    pub async fn request(
        &self,
        db: &DatabaseConnection,
        requested_by: String,
    ) -> Result<export_job::Model, ExportsError> {
        let destination = self
            .destination
            .clone()
            .ok_or(ExportsError::NotConfigured)?;
        let _one_at_a_time = self.requesting.lock().await;
        let active = export_job::Entity::find()
            .filter(export_job::Column::Status.is_in([ExportStatus::Queued, ExportStatus::Running]))
            .order_by_asc(export_job::Column::RequestedAt)
            .one(db)
            .await?;
        if let Some(job) = active {
            return Ok(job);
        }
        let now = Utc::now();
        let job = export_job::ActiveModel {
            id: Set(Uuid::new_v4()),
            status: Set(ExportStatus::Queued),
            requested_by: Set(requested_by),
            destination: Set(destination.to_string()),
            snapshot_id: Set(None),
            total_rows: Set(None),
            total_bytes: Set(None),
            error: Set(None),
            requested_at: Set(now),
            started_at: Set(None),
            finished_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            archived_at: Set(None),
        };
        let job = save(db, job, true).await?;
        tokio::spawn(supervise(db.clone(), destination, job.clone()));
        Ok(job)
    }

    pub async fn job(
        &self,
        db: &DatabaseConnection,
        id: Uuid,
    ) -> Result<Option<export_job::Model>, ExportsError> {
        Ok(export_job::Entity::find_by_id(id).one(db).await?)
    }
}

/// Runs a job; should it panic, its row says it failed instead of running for ever.
async fn supervise(db: DatabaseConnection, destination: Destination, job: export_job::Model) {
    let id = job.id;
    if tokio::spawn(run(db.clone(), destination, job))
        .await
        .is_err()
    {
        tracing::error!(job = %id, "export job panicked");
        let failed = export_job::ActiveModel {
            id: Set(id),
            status: Set(ExportStatus::Failed),
            error: Set(Some(format!(
                "the export stopped unexpectedly; the server log has the detail (job {id})"
            ))),
            finished_at: Set(Some(Utc::now())),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        if let Err(e) = save(&db, failed, false).await {
            tracing::error!(job = %id, error = %e, "cannot record a failed export job");
        }
    }
}

/// Runs a queued job to its end, recording the outcome on its row.
async fn run(db: DatabaseConnection, destination: Destination, job: export_job::Model) {
    let id = job.id;
    let mut row: export_job::ActiveModel = job.into();
    row.status = Set(ExportStatus::Running);
    row.started_at = Set(Some(Utc::now()));
    row.updated_at = Set(Utc::now());
    row.version = Set(2);
    let job = match save(&db, row, false).await {
        Ok(job) => job,
        Err(e) => {
            tracing::error!(job = %id, error = %e, "cannot start an export job");
            return;
        }
    };
    let result = b2h_export::export(&db, &destination, &Options::default()).await;
    let mut row: export_job::ActiveModel = job.into();
    let now = Utc::now();
    row.finished_at = Set(Some(now));
    row.updated_at = Set(now);
    row.version = Set(3);
    match result {
        Ok(published) => {
            let m = &published.manifest;
            tracing::info!(job = %id, snapshot = %m.snapshot_id, "export job finished");
            row.status = Set(ExportStatus::Succeeded);
            row.snapshot_id = Set(Some(m.snapshot_id.clone()));
            row.total_rows = Set(i64::try_from(m.total_rows()).ok());
            row.total_bytes = Set(i64::try_from(m.total_bytes()).ok());
        }
        Err(e) => {
            tracing::error!(job = %id, error = %error_chain(&e), "export job failed");
            row.status = Set(ExportStatus::Failed);
            row.error = Set(Some(public_reason(&e, id)));
        }
    }
    if let Err(e) = save(&db, row, false).await {
        tracing::error!(job = %id, error = %e, "cannot record the end of an export job");
    }
}

/// Writes a job's row with its entry on the change feed (watchers of the job follow it).
async fn save(
    db: &DatabaseConnection,
    row: export_job::ActiveModel,
    insert: bool,
) -> Result<export_job::Model, DbErr> {
    let txn = db.begin().await?;
    let job = if insert {
        row.insert(&txn).await?
    } else {
        row.update(&txn).await?
    };
    crate::changes::commit(txn, &Changes::one(Entity::ExportJob, job.id)).await?;
    Ok(job)
}

/// What a client is told about a failed export: the kind of failure, never internal detail.
fn public_reason(e: &ExportError, job: Uuid) -> String {
    let what = match e {
        e if e.is_database() => "the database failed while the snapshot was read",
        ExportError::Io { .. } => "the snapshot could not be written to the export folder",
        _ => "the export failed",
    };
    format!("{what}; the server log has the detail (job {job})")
}

/// Marks jobs a stopped server left queued or running as failed (called at start).
pub async fn fail_interrupted(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let unfinished: Vec<Uuid> = export_job::Entity::find()
        .filter(export_job::Column::Status.is_in([ExportStatus::Queued, ExportStatus::Running]))
        .all(&txn)
        .await?
        .into_iter()
        .map(|j| j.id)
        .collect();
    let result = export_job::Entity::update_many()
        .col_expr(
            export_job::Column::Status,
            sea_orm::sea_query::Expr::value(ExportStatus::Failed.as_str()),
        )
        .col_expr(
            export_job::Column::Error,
            sea_orm::sea_query::Expr::value("the server stopped before the export finished"),
        )
        .col_expr(
            export_job::Column::FinishedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            export_job::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(export_job::Column::Id.is_in(unfinished.clone()))
        .exec(&txn)
        .await?;
    let mut changes = Changes::default();
    changes.extend(Entity::ExportJob, unfinished);
    crate::changes::commit(txn, &changes).await?;
    Ok(result.rows_affected)
}
