//! The change feed: a counter row and a log of one entry per write transaction. What an entry
//! holds, how writes append to it and how readers follow it is the API's `changes` module; the
//! counter row is taken under lock by every write as it commits, so sequences are visible in
//! commit order.

use crate::dialect::{Dialect, drop_tables, run};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let Dialect { ts, .. } = Dialect::of(manager);
        run(
            manager,
            &[
                "CREATE TABLE change_counter (
                    id integer PRIMARY KEY CHECK (id = 1),
                    sequence bigint NOT NULL CHECK (sequence >= 0)
                )"
                .to_owned(),
                "INSERT INTO change_counter (id, sequence) VALUES (1, 0)".to_owned(),
                format!(
                    "CREATE TABLE change_log (
                        sequence bigint PRIMARY KEY,
                        committed_at {ts} NOT NULL,
                        changes text NOT NULL
                    )"
                ),
                "CREATE INDEX change_log_committed_at ON change_log (committed_at)".to_owned(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["change_log", "change_counter"]).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
