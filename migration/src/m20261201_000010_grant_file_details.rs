//! What real 360Giving files carry beyond the first schema: how precise each grant date was as
//! written (a month-only `08/2013` is stored as its first or last day, and exported back as
//! `2013-08`), and identifiers that are not Org-IDs (`360G-dulverton`, `E08000009`), kept as
//! given beside the Org-ID rather than forced into it.

use crate::dialect::{not_blank, one_of, run};
use sea_orm_migration::prelude::*;

const PRECISIONS: [&str; 3] = ["day", "month", "year"];
const DATE_COLUMNS: [&str; 3] = [
    "award_date_precision",
    "planned_start_date_precision",
    "planned_end_date_precision",
];
/// Tables that get `other_identifier`, with its index.
const IDENTIFIED: [&str; 2] = ["organisation", "funder"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut sql = Vec::new();
        // Column constraints only: SQLite can add (and drop) a column whose CHECK is its own.
        for column in DATE_COLUMNS {
            sql.push(format!(
                "ALTER TABLE grant_award ADD COLUMN {column} text NOT NULL DEFAULT 'day' CHECK ({})",
                one_of(column, &PRECISIONS)
            ));
        }
        for table in IDENTIFIED {
            sql.push(format!(
                "ALTER TABLE {table} ADD COLUMN other_identifier text CHECK (other_identifier IS NULL OR \
                 ({} AND length(other_identifier) <= 200 AND other_identifier = trim(other_identifier)))",
                not_blank("other_identifier")
            ));
            sql.push(format!(
                "CREATE INDEX {table}_other_identifier_idx ON {table} (other_identifier)"
            ));
        }
        run(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut sql = Vec::new();
        for table in IDENTIFIED.iter().rev() {
            sql.push(format!("DROP INDEX {table}_other_identifier_idx"));
            sql.push(format!("ALTER TABLE {table} DROP COLUMN other_identifier"));
        }
        for column in DATE_COLUMNS.iter().rev() {
            sql.push(format!("ALTER TABLE grant_award DROP COLUMN {column}"));
        }
        run(manager, &sql).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
