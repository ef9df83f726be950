//! Sort keys for the text columns lists are ordered by.
//!
//! Lists sort text with ASCII letters folded to lower case, then by code point, identically on
//! both backends. Computing that per row on every page was the largest cost of a page (a
//! `translate` per row on PostgreSQL), so each sorted column gets a generated `<column>_key` and
//! an index on (key, id), the keyset order of the list.

use crate::dialect::{Dialect, run};
use sea_orm_migration::prelude::*;

/// (table, column) pairs that get a sort key.
const SORTED: &[(&str, &str)] = &[
    ("organisation", "name"),
    ("funder", "name"),
    ("project", "title"),
    ("project", "reference"),
    ("grant_award", "title"),
    ("grant_award", "identifier"),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let d = Dialect::of(manager);
        let mut sql = Vec::new();
        for (table, column) in SORTED {
            sql.push(format!(
                "ALTER TABLE {table} ADD COLUMN {column}_key {}",
                d.sort_key(column)
            ));
            sql.push(format!(
                "CREATE INDEX {table}_{column}_key_idx ON {table} ({column}_key, id)"
            ));
        }
        run(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut sql = Vec::new();
        for (table, column) in SORTED.iter().rev() {
            sql.push(format!("DROP INDEX {table}_{column}_key_idx"));
            sql.push(format!("ALTER TABLE {table} DROP COLUMN {column}_key"));
        }
        run(manager, &sql).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
