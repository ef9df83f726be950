//! Renders portable DDL for the connected backend.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Column types and predicates that differ between SQLite and PostgreSQL.
///
/// SQLite keeps UUIDs as 16-byte blobs and dates/timestamps as ISO 8601 text (what sqlx binds),
/// so both backends sort ids byte-wise and dates chronologically.
pub struct Dialect {
    pub backend: DbBackend,
    pub uuid: &'static str,
    pub ts: &'static str,
    pub date: &'static str,
    pub json: &'static str,
}

impl Dialect {
    pub fn of(manager: &SchemaManager) -> Self {
        let backend = manager.get_database_backend();
        match backend {
            DbBackend::Postgres => Self {
                backend,
                uuid: "uuid",
                ts: "timestamptz",
                date: "date",
                json: "jsonb",
            },
            _ => Self {
                backend,
                uuid: "blob",
                ts: "text",
                date: "text",
                json: "text",
            },
        }
    }

    pub(crate) fn is_postgres(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// The type of a generated column holding `col`'s sort key: ASCII letters folded to lower
    /// case, compared by code point. (PostgreSQL's `lower` would fold every letter under a
    /// database collation, SQLite's only ASCII; `translate` with the C collation matches SQLite.)
    pub fn sort_key(&self, col: &str) -> String {
        if self.is_postgres() {
            format!(
                "text COLLATE \"C\" GENERATED ALWAYS AS \
                 (translate({col}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) STORED"
            )
        } else {
            // SQLite cannot add a stored column to a table; a virtual one can be indexed.
            format!("text GENERATED ALWAYS AS (lower({col})) VIRTUAL")
        }
    }

    /// `col` is a three-letter upper-case code (ISO 4217 currency).
    pub fn currency_code(&self, col: &str) -> String {
        if self.is_postgres() {
            format!("{col} ~ '^[A-Z]{{3}}$'")
        } else {
            format!("{col} GLOB '[A-Z][A-Z][A-Z]'")
        }
    }

    /// `col` is an upper-case code of letters, digits and single inner hyphens (`GEH-B2H-01`).
    pub fn reference_code(&self, col: &str) -> String {
        if self.is_postgres() {
            format!("{col} ~ '^[A-Z0-9]+(-[A-Z0-9]+)*$'")
        } else {
            format!(
                "({col} NOT GLOB '*[^A-Z0-9-]*' AND {col} NOT GLOB '-*' \
                 AND {col} NOT GLOB '*-' AND {col} NOT GLOB '*--*')"
            )
        }
    }

    /// `col` is a lower-case snake_case code (`patients_supported`).
    pub fn snake_code(&self, col: &str) -> String {
        if self.is_postgres() {
            format!("{col} ~ '^[a-z][a-z0-9_]*$'")
        } else {
            format!("({col} GLOB '[a-z]*' AND {col} NOT GLOB '*[^a-z0-9_]*')")
        }
    }

    /// `col` holds a JSON array.
    pub fn json_array(&self, col: &str) -> String {
        if self.is_postgres() {
            format!("jsonb_typeof({col}) = 'array'")
        } else {
            format!("(json_valid({col}) AND json_type({col}) = 'array')")
        }
    }

    /// `col` holds a JSON value (any type) when not null.
    pub fn json_valid(&self, col: &str) -> String {
        if self.is_postgres() {
            "TRUE".to_owned()
        } else {
            format!("({col} IS NULL OR json_valid({col}))")
        }
    }

    /// A UUID literal for reference rows.
    pub fn uuid_literal(&self, uuid: &str) -> String {
        if self.is_postgres() {
            format!("'{uuid}'::uuid")
        } else {
            format!("X'{}'", uuid.replace('-', ""))
        }
    }

    /// A timestamp literal in the representation sqlx reads back on this backend.
    pub fn ts_literal(&self, rfc3339: &str) -> String {
        format!("'{rfc3339}'")
    }
}

/// `col IN ('a', 'b', …)` for a text enum.
pub fn one_of(col: &str, values: &[&str]) -> String {
    let list = values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{col} IN ({list})")
}

/// Non-blank text: not empty and not only spaces.
pub fn not_blank(col: &str) -> String {
    format!("length(trim({col})) > 0")
}

/// Runs statements in order on the migration's connection.
pub async fn run(manager: &SchemaManager<'_>, statements: &[String]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

/// Drops tables, children first.
pub async fn drop_tables(manager: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    let statements: Vec<String> = tables
        .iter()
        .map(|t| format!("DROP TABLE IF EXISTS {t}"))
        .collect();
    run(manager, &statements).await
}

/// The columns every editable table carries.
pub fn editable_columns(d: &Dialect) -> String {
    let ts = d.ts;
    format!(
        "created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL,
        version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        archived_at {ts},
        CHECK (updated_at >= created_at)"
    )
}
