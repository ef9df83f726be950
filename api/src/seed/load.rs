//! Bulk loading of rows in one transaction: `COPY … FROM STDIN` on PostgreSQL, multi-row
//! prepared `INSERT`s on SQLite. Values are bound exactly as sea-orm binds them, so rows read
//! back through the entities unchanged.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseConnection;
use sea_orm::sqlx::{self, Postgres, Sqlite, Transaction};
use std::fmt::Write as _;
use uuid::Uuid;

/// One value of a row.
#[derive(Clone, Debug)]
pub enum Cell {
    Null,
    Uuid(Uuid),
    Text(String),
    Str(&'static str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    /// Serialised JSON.
    Json(String),
}

impl From<Option<Uuid>> for Cell {
    fn from(v: Option<Uuid>) -> Self {
        v.map_or(Cell::Null, Cell::Uuid)
    }
}
impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Self {
        v.map_or(Cell::Null, Cell::Text)
    }
}
impl From<Option<&'static str>> for Cell {
    fn from(v: Option<&'static str>) -> Self {
        v.map_or(Cell::Null, Cell::Str)
    }
}
impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Cell::Null, Cell::Float)
    }
}
impl From<Option<i32>> for Cell {
    fn from(v: Option<i32>) -> Self {
        v.map_or(Cell::Null, |v| Cell::Int(v.into()))
    }
}
impl From<Option<NaiveDate>> for Cell {
    fn from(v: Option<NaiveDate>) -> Self {
        v.map_or(Cell::Null, Cell::Date)
    }
}
impl From<Option<DateTime<Utc>>> for Cell {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        v.map_or(Cell::Null, Cell::Time)
    }
}

/// A transaction that rows are streamed into.
pub enum Loader {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

/// SQLite's limit on bound parameters per statement (bundled SQLite ≥ 3.32).
const SQLITE_MAX_PARAMS: usize = 32_766;
/// Rows per multi-row INSERT on SQLite.
const SQLITE_ROWS_PER_INSERT: usize = 400;

impl Loader {
    pub async fn begin(db: &DatabaseConnection) -> Result<Self, sqlx::Error> {
        Ok(match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                Loader::Postgres(db.get_postgres_connection_pool().begin().await?)
            }
            _ => Loader::Sqlite(db.get_sqlite_connection_pool().begin().await?),
        })
    }

    /// Appends rows to `table`; each row has one cell per column.
    pub async fn write(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Cell>],
    ) -> Result<(), sqlx::Error> {
        if rows.is_empty() {
            return Ok(());
        }
        match self {
            Loader::Postgres(tx) => copy_in(tx, table, columns, rows).await,
            Loader::Sqlite(tx) => insert_many(tx, table, columns, rows).await,
        }
    }

    /// Runs one SQL statement inside the load's transaction.
    pub async fn execute(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        match self {
            Loader::Postgres(tx) => sqlx::query(sql).execute(&mut **tx).await.map(|_| ()),
            Loader::Sqlite(tx) => sqlx::query(sql).execute(&mut **tx).await.map(|_| ()),
        }
    }

    /// Drops `table`'s secondary indexes (and, on PostgreSQL, its foreign keys) for a bulk load
    /// into the empty table, returning the statements that rebuild them. Building an index once
    /// after the load is several times faster than maintaining it row by row; a foreign key added
    /// back is validated by one join instead of a trigger per row. All of it stays inside the
    /// load's transaction, so a failed load leaves the schema as it was.
    pub async fn defer_indexes(&mut self, table: &'static str) -> Result<Vec<String>, sqlx::Error> {
        let (drops, rebuilds): (Vec<String>, Vec<String>) = match self {
            Loader::Postgres(tx) => {
                let foreign_keys: Vec<(String, String)> = sqlx::query_as(
                    "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
                     WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname",
                )
                .bind(table)
                .fetch_all(&mut **tx)
                .await?;
                let indexes: Vec<(String, String)> = sqlx::query_as(
                    "SELECT i.relname::text, pg_get_indexdef(i.oid) FROM pg_index x
                     JOIN pg_class i ON i.oid = x.indexrelid
                     WHERE x.indrelid = $1::regclass
                       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
                     ORDER BY i.relname",
                )
                .bind(table)
                .fetch_all(&mut **tx)
                .await?;
                let drops = foreign_keys
                    .iter()
                    .map(|(name, _)| format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
                    .chain(indexes.iter().map(|(name, _)| format!("DROP INDEX {name}")))
                    .collect();
                let rebuilds = indexes
                    .into_iter()
                    .map(|(_, def)| def)
                    .chain(foreign_keys.into_iter().map(|(name, def)| {
                        format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}")
                    }))
                    .collect();
                (drops, rebuilds)
            }
            Loader::Sqlite(tx) => {
                let indexes: Vec<(String, String)> = sqlx::query_as(
                    "SELECT name, sql FROM sqlite_master
                     WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name",
                )
                .bind(table)
                .fetch_all(&mut **tx)
                .await?;
                let drops = indexes
                    .iter()
                    .map(|(name, _)| format!("DROP INDEX {name}"))
                    .collect();
                (drops, indexes.into_iter().map(|(_, sql)| sql).collect())
            }
        };
        for sql in drops {
            self.execute_owned(sql).await?;
        }
        Ok(rebuilds)
    }

    /// Runs the statements [`Loader::defer_indexes`] returned.
    pub async fn rebuild_indexes(&mut self, rebuilds: Vec<String>) -> Result<(), sqlx::Error> {
        for sql in rebuilds {
            self.execute_owned(sql).await?;
        }
        Ok(())
    }

    /// Runs DDL that this module built from catalogue names and definitions.
    pub async fn execute_owned(&mut self, sql: String) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql);
        match self {
            Loader::Postgres(tx) => sqlx::query(sql).execute(&mut **tx).await.map(|_| ()),
            Loader::Sqlite(tx) => sqlx::query(sql).execute(&mut **tx).await.map(|_| ()),
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Loader::Postgres(tx) => tx.commit().await,
            Loader::Sqlite(tx) => tx.commit().await,
        }
    }
}

async fn copy_in(
    tx: &mut Transaction<'static, Postgres>,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
) -> Result<(), sqlx::Error> {
    let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
    let mut copy = tx.copy_in_raw(&statement).await?;
    let mut buf = String::with_capacity(1 << 20);
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                buf.push('\t');
            }
            write_copy_text(&mut buf, cell);
        }
        buf.push('\n');
        if buf.len() >= 1 << 20 {
            copy.send(std::mem::take(&mut buf).into_bytes()).await?;
            buf.reserve(1 << 20);
        }
    }
    if !buf.is_empty() {
        copy.send(buf.into_bytes()).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// A value in COPY's text format.
fn write_copy_text(buf: &mut String, cell: &Cell) {
    fn escaped(buf: &mut String, text: &str) {
        for c in text.chars() {
            match c {
                '\\' => buf.push_str("\\\\"),
                '\t' => buf.push_str("\\t"),
                '\n' => buf.push_str("\\n"),
                '\r' => buf.push_str("\\r"),
                c => buf.push(c),
            }
        }
    }
    // Writing to a String cannot fail.
    let _ = match cell {
        Cell::Null => {
            buf.push_str("\\N");
            Ok(())
        }
        Cell::Uuid(u) => write!(buf, "{u}"),
        Cell::Text(t) => {
            escaped(buf, t);
            Ok(())
        }
        Cell::Str(t) => {
            escaped(buf, t);
            Ok(())
        }
        Cell::Json(t) => {
            escaped(buf, t);
            Ok(())
        }
        Cell::Int(i) => write!(buf, "{i}"),
        Cell::Float(f) => write!(buf, "{f}"),
        Cell::Bool(b) => write!(buf, "{}", if *b { 't' } else { 'f' }),
        Cell::Date(d) => write!(buf, "{}", d.format("%Y-%m-%d")),
        Cell::Time(t) => write!(buf, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00")),
    };
}

async fn insert_many(
    tx: &mut Transaction<'static, Sqlite>,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
) -> Result<(), sqlx::Error> {
    let per_insert = (SQLITE_MAX_PARAMS / columns.len()).min(SQLITE_ROWS_PER_INSERT);
    let placeholders = format!("({})", vec!["?"; columns.len()].join(", "));
    for chunk in rows.chunks(per_insert) {
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            vec![placeholders.as_str(); chunk.len()].join(", ")
        );
        // Table and column names come from this crate's constants, never from input.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            for cell in row {
                query = match cell {
                    Cell::Null => query.bind(None::<String>),
                    Cell::Uuid(u) => query.bind(*u),
                    Cell::Text(t) => query.bind(t.as_str()),
                    Cell::Str(t) => query.bind(*t),
                    Cell::Json(t) => query.bind(t.as_str()),
                    Cell::Int(i) => query.bind(*i),
                    Cell::Float(f) => query.bind(*f),
                    Cell::Bool(b) => query.bind(*b),
                    Cell::Date(d) => query.bind(*d),
                    Cell::Time(t) => query.bind(*t),
                };
            }
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
