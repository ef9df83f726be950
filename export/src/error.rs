//! What can go wrong while exporting a snapshot.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("database error")]
    Database(#[source] sea_orm::sqlx::Error),
    #[error("database error")]
    Orm(#[from] sea_orm::DbErr),
    #[error("table {table}{}: {reason}", column.map(|c| format!(", column {c}")).unwrap_or_default())]
    Decode {
        table: &'static str,
        column: Option<&'static str>,
        reason: String,
    },
    #[error("cannot write {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Parquet writer")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("Arrow")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("object store")]
    Store(#[source] Box<object_store::Error>),
    #[error("cannot upload {key}")]
    Upload {
        key: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid export destination {0}")]
    Destination(String),
    #[error("the export's file writer stopped")]
    WriterStopped,
    #[error("exports read from SQLite or PostgreSQL only")]
    Backend,
}

impl ExportError {
    /// The database failed (unreachable, restarting, refused the read): worth retrying later.
    pub fn is_database(&self) -> bool {
        matches!(self, ExportError::Database(_) | ExportError::Orm(_))
    }

    pub fn database(e: sea_orm::sqlx::Error) -> Self {
        ExportError::Database(e)
    }

    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| ExportError::Io { path, source }
    }
}
