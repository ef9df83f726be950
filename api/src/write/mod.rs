//! Every write the API and the CLI make: validated as a whole before anything is written, in one
//! transaction, guarded by the version the caller saw, and audited.

pub mod audit;
pub mod edit;
pub mod entities;
pub mod outcomes;

use crate::access::Principal;
pub use crate::changes::{Changes, Entity};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr};
use sea_orm::{SqlErr, TransactionTrait};
use uuid::Uuid;

/// Most items one batch (mutation or file) may hold.
pub const MAX_BATCH: usize = 5_000;
/// Longest name or title.
pub const MAX_NAME: usize = 300;
/// Longest description or note.
pub const MAX_TEXT: usize = 5_000;

/// Who writes: the caller's principal and the request it came in (for the audit trail).
#[derive(Clone, Debug)]
pub struct Actor {
    pub principal: Principal,
    pub request_id: Option<String>,
}

impl Actor {
    /// Someone at the command line, named by `$USER`.
    pub fn operator() -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".to_owned());
        Self {
            principal: Principal::Operator { user },
            request_id: None,
        }
    }

    /// How the audit trail names the actor: `apikey:<name>`, `cli:<user>` or `public`.
    pub fn label(&self) -> String {
        self.principal.audit_name()
    }
}

/// One thing wrong with one item of a write.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The item's position in the batch (from 0), when the write is a batch.
    pub index: Option<usize>,
    /// The item's line in the file it came from, for imports.
    pub line: Option<u64>,
    /// The input field at fault, in the API's spelling (`periodEnd`).
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn at(index: usize, field: &str, message: impl Into<String>) -> Self {
        Self {
            index: Some(index),
            line: None,
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self {
            index: None,
            line: None,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.index) {
            (Some(line), _) => write!(f, "line {line}, {}: {}", self.field, self.message),
            (None, Some(i)) => write!(f, "item {i}, {}: {}", self.field, self.message),
            (None, None) => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

/// Why a write did not happen. Nothing is written when any of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{}", invalid_summary(.0))]
    Invalid(Vec<Problem>),
    #[error(
        "the {entity} {id} has changed since version {expected} (it is now at version {actual}); \
         read it again and reapply your change"
    )]
    Conflict {
        entity: &'static str,
        id: Uuid,
        expected: i32,
        actual: i32,
    },
    /// A concurrent write took a unique value (or the row) first.
    #[error("{0}")]
    Clash(String),
    #[error("no {entity} has the id {id}")]
    NotFound { entity: &'static str, id: Uuid },
    #[error("{0}")]
    Forbidden(String),
    #[error("database error: {0}")]
    Db(DbErr),
}

impl From<DbErr> for WriteError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => WriteError::Clash(
                "another write took the same unique value first; read again and retry".into(),
            ),
            _ => WriteError::Db(e),
        }
    }
}

fn invalid_summary(problems: &[Problem]) -> String {
    const SHOWN: usize = 5;
    let mut text = format!(
        "{} problem{} found; nothing was written: ",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    let shown: Vec<String> = problems.iter().take(SHOWN).map(|p| p.to_string()).collect();
    text.push_str(&shown.join("; "));
    if problems.len() > SHOWN {
        text.push_str(&format!(" (and {} more)", problems.len() - SHOWN));
    }
    text
}

/// Fails with every problem found, or goes on when there are none.
pub fn check(mut problems: Vec<Problem>) -> Result<(), WriteError> {
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort_by_key(|p| p.index);
    Err(WriteError::Invalid(problems))
}

/// A new random (version 4) id.
pub fn new_id() -> Result<Uuid, WriteError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| WriteError::Db(DbErr::Custom(format!("no random bytes: {e}"))))?;
    Ok(uuid::Builder::from_random_bytes(bytes).into_uuid())
}

/// Begins a write transaction. On SQLite it takes the write lock first, so that two writers
/// queue (within the busy timeout) instead of the later one failing when it upgrades its read.
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, WriteError> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        txn.execute_unprepared("UPDATE campaign SET version = version WHERE 0")
            .await?;
    }
    Ok(txn)
}

/// Appends the write's changes to the change feed and commits: every write path ends here.
pub async fn commit(txn: DatabaseTransaction, changes: Changes) -> Result<Option<i64>, WriteError> {
    Ok(crate::changes::commit(txn, &changes).await?)
}

/// Checks a text field: trimmed, not blank, at most `max` characters. Returns the trimmed text.
pub fn required_text(
    problems: &mut Vec<Problem>,
    index: Option<usize>,
    field: &str,
    value: &str,
    max: usize,
) -> String {
    let text = value.trim();
    let problem = if text.is_empty() {
        Some("must not be blank".to_owned())
    } else if text.chars().count() > max {
        Some(format!("is longer than {max} characters"))
    } else {
        None
    };
    if let Some(message) = problem {
        problems.push(Problem {
            index,
            line: None,
            field: field.to_owned(),
            message,
        });
    }
    text.to_owned()
}

/// Checks an optional text field; blank becomes absent.
pub fn optional_text(
    problems: &mut Vec<Problem>,
    index: Option<usize>,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let text = value.map(str::trim).filter(|t| !t.is_empty())?;
    if text.chars().count() > max {
        problems.push(Problem {
            index,
            line: None,
            field: field.to_owned(),
            message: format!("is longer than {max} characters"),
        });
    }
    Some(text.to_owned())
}
