//! Choosing and opening the database named by `DATABASE_URL`.

use sea_orm::sqlx::Connection;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{DatabaseConnection, DbBackend, SqlxPostgresConnector, SqlxSqliteConnector};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The embedded default: a SQLite file in the working directory, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://b2h.db?mode=rwc";

#[derive(Debug, thiserror::Error)]
pub enum DbUrlError {
    #[error("DATABASE_URL is empty; use e.g. {DEFAULT_DATABASE_URL} or postgres://user@host/db")]
    Empty,
    #[error(
        "DATABASE_URL has the unsupported scheme '{0}'; use sqlite://FILE?mode=rwc or postgres://user@host:port/db"
    )]
    UnsupportedScheme(String),
    #[error("DATABASE_URL is not a valid URL: {0}")]
    Malformed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot open the SQLite database {target}: {reason}")]
    Sqlite { target: String, reason: String },
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Postgres { target: String, reason: String },
}

/// Which database engine a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    pub fn of(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            DbBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}

/// A validated database URL. Its `Display` never shows a password.
#[derive(Clone)]
pub struct DatabaseUrl {
    raw: String,
    backend: Backend,
}

impl DatabaseUrl {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL as given, password included: for connecting only, never for logs or errors.
    pub fn expose(&self) -> &str {
        &self.raw
    }
}

impl FromStr for DatabaseUrl {
    type Err = DbUrlError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(DbUrlError::Empty);
        }
        let scheme = raw
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let backend = match scheme.as_str() {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            _ if !raw.contains(':') => {
                return Err(DbUrlError::Malformed(format!(
                    "'{raw}' has no scheme; use sqlite://FILE?mode=rwc or postgres://…"
                )));
            }
            other => return Err(DbUrlError::UnsupportedScheme(other.to_owned())),
        };
        let parsed = match backend {
            Backend::Sqlite => SqliteConnectOptions::from_str(raw).map(|_| ()),
            Backend::Postgres => {
                url::Url::parse(raw).map_err(|e| DbUrlError::Malformed(e.to_string()))?;
                PgConnectOptions::from_str(raw).map(|_| ())
            }
        };
        parsed.map_err(|e| DbUrlError::Malformed(e.to_string()))?;
        Ok(Self {
            raw: raw.to_owned(),
            backend,
        })
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.raw) {
            Ok(mut url) if url.password().is_some() => {
                // Setting a password on a URL that has one cannot fail.
                let _ = url.set_password(Some("***"));
                f.write_str(url.as_str())
            }
            _ => f.write_str(&self.raw),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Opens a pool on the database, failing fast with a clear message when it cannot be reached.
pub async fn connect(url: &DatabaseUrl) -> Result<DatabaseConnection, ConnectError> {
    match url.backend {
        Backend::Sqlite => connect_sqlite(url).await,
        Backend::Postgres => connect_postgres(url).await,
    }
}

async fn connect_sqlite(url: &DatabaseUrl) -> Result<DatabaseConnection, ConnectError> {
    let fail = |reason: String| ConnectError::Sqlite {
        target: url.to_string(),
        reason,
    };
    let options = SqliteConnectOptions::from_str(url.expose())
        .map_err(|e| fail(e.to_string()))?
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let in_memory = url.expose().contains(":memory:") || url.expose().contains("mode=memory");
    // WAL lets readers run beside the one writer; an in-memory database has a single connection.
    let (options, max) = if in_memory {
        (options, 1)
    } else {
        (
            options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal),
            8,
        )
    };
    let pool = SqlitePoolOptions::new()
        .max_connections(max)
        .test_before_acquire(false)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| {
            let reason = describe(&e);
            if reason.contains("unable to open") {
                fail(format!(
                    "{reason} (does its directory exist, and may b2h write there?)"
                ))
            } else {
                fail(reason)
            }
        })?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

async fn connect_postgres(url: &DatabaseUrl) -> Result<DatabaseConnection, ConnectError> {
    let target = postgres_target(url);
    let fail = |reason: String| ConnectError::Postgres {
        target: target.clone(),
        reason,
    };
    // Our statements are prepared once per connection and are keyed lookups and keyset pages,
    // whose plans do not depend on the values bound. PostgreSQL would otherwise re-plan most of
    // them on every execution (custom plans), which cost more than running them (see the read
    // benchmark in docs/benchmarks.md).
    let options = PgConnectOptions::from_str(url.expose())
        .map_err(|e| fail(e.to_string()))?
        .options([("plan_cache_mode", "force_generic_plan")]);
    // One direct connection first: a pool would only report that it timed out.
    let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
        .await
        .map_err(|_| fail(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())))?
        .map_err(|e| fail(describe(&e)))?;
    probe.close().await.ok();
    // No ping before every acquire: it doubled the round trips of each statement (a dead
    // connection fails its statement instead, and the pool then replaces it).
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| fail(e.to_string()))?;
    Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether an error says the database is away for now (a dropped or refused connection, a
/// server shutting down or starting up, a pool with nothing to give, a locked SQLite file),
/// so that the same request can succeed later: the API answers it with the retryable
/// `UNAVAILABLE`, never as an internal error.
pub fn unavailable(error: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match error {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => sqlx_unavailable(e),
        DbErr::Conn(_) => true,
        _ => false,
    }
}

fn sqlx_unavailable(error: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match error {
        Error::Io(_)
        | Error::Tls(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed
        | Error::Protocol(_) => true,
        Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // PostgreSQL: connection exceptions (08…), operator intervention (57P01 admin
            // shutdown, 57P02 crash shutdown, 57P03 cannot connect now); SQLite: busy (5) and
            // locked (6) and their extended codes, once the busy timeout has passed.
            code.starts_with("08")
                || matches!(
                    code.as_ref(),
                    "57P01" | "57P02" | "57P03" | "5" | "6" | "261" | "262" | "517"
                )
        }
        _ => false,
    }
}

/// The useful part of a driver error: the server's message without driver decoration.
fn describe(error: &sea_orm::sqlx::Error) -> String {
    match error {
        sea_orm::sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    }
}

/// `host:port/database`, for messages (no user or password).
fn postgres_target(url: &DatabaseUrl) -> String {
    match url::Url::parse(url.expose()) {
        Ok(u) => format!(
            "{}:{}{}",
            u.host_str().unwrap_or("localhost"),
            u.port().unwrap_or(5432),
            u.path()
        ),
        Err(_) => url.to_string(),
    }
}

/// Connections of their own, of the same settings as `db`'s, for the background work that
/// follows the change feed (the listener, polling, the figure engine's catch-up): it never takes
/// a request's connection, and its statements are no request's. Opened lazily.
pub fn background(db: &DatabaseConnection) -> DatabaseConnection {
    const CONNECTIONS: u32 = 4;
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            let options = PgPoolOptions::new()
                .max_connections(CONNECTIONS)
                .acquire_timeout(Duration::from_secs(10))
                .connect_lazy_with((*pool.connect_options()).clone());
            SqlxPostgresConnector::from_sqlx_postgres_pool(options)
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            // An in-memory database is only the pool's own.
            if pool.connect_options().get_filename() == std::path::Path::new(":memory:") {
                return SqlxSqliteConnector::from_sqlx_sqlite_pool(pool.clone());
            }
            let options = SqlitePoolOptions::new()
                .max_connections(CONNECTIONS)
                .acquire_timeout(Duration::from_secs(10))
                .connect_lazy_with((*pool.connect_options()).clone());
            SqlxSqliteConnector::from_sqlx_sqlite_pool(options)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_both_backends() {
        let sqlite: DatabaseUrl = DEFAULT_DATABASE_URL.parse().unwrap();
        assert_eq!(sqlite.backend(), Backend::Sqlite);
        let pg: DatabaseUrl = "postgres://postgres@127.0.0.1:5432/b2h".parse().unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
    }

    #[test]
    fn rejects_other_schemes_and_garbage() {
        assert!(matches!(
            "mysql://root@localhost/db".parse::<DatabaseUrl>(),
            Err(DbUrlError::UnsupportedScheme(s)) if s == "mysql"
        ));
        assert!(matches!("".parse::<DatabaseUrl>(), Err(DbUrlError::Empty)));
        assert!(matches!(
            "b2h.db".parse::<DatabaseUrl>(),
            Err(DbUrlError::Malformed(_))
        ));
        assert!(matches!(
            "postgres://user@host:notaport/db".parse::<DatabaseUrl>(),
            Err(DbUrlError::Malformed(_))
        ));
    }

    #[test]
    fn display_hides_the_password() {
        let url: DatabaseUrl = "postgres://app:s3cret@db.example:5432/b2h".parse().unwrap();
        assert_eq!(url.to_string(), "postgres://app:***@db.example:5432/b2h");
        assert!(!format!("{url:?}").contains("s3cret"));
    }
}
