//! Disclosure keys: an installation secret, made once, and a table of one key per outcome record
//! (0-255). What a key is, and giving records theirs, is the API's `record_keys`; public cells
//! take their cell key from their records' keys (`analytics::disclosure`). Keys are kept beside
//! the records in their own table, which no export lists: knowing them would let a reader undo
//! the noise.

use crate::dialect::{Dialect, drop_tables, run};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Record keys run from 0 to 255 (frozen here; the running code's rule is `record_keys` in the
/// API, which gives existing records their keys before the first publication).
const LARGEST_KEY: u32 = 255;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let d = Dialect::of(manager);
        let Dialect { uuid, ts, .. } = d;
        // 32 random bytes as hex, from the database's own generator (cryptographic on both).
        let random_secret = if d.is_postgres() {
            "replace(CAST(gen_random_uuid() AS text), '-', '') \
             || replace(CAST(gen_random_uuid() AS text), '-', '')"
        } else {
            "lower(hex(randomblob(32)))"
        };
        let now = if d.is_postgres() {
            "now()"
        } else {
            "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')"
        };
        run(
            manager,
            &[
                format!(
                    "CREATE TABLE installation (
                        id integer PRIMARY KEY CHECK (id = 1),
                        disclosure_secret text NOT NULL CHECK (length(disclosure_secret) = 64),
                        created_at {ts} NOT NULL
                    )"
                ),
                format!(
                    "INSERT INTO installation (id, disclosure_secret, created_at)
                     VALUES (1, {random_secret}, {now})"
                ),
                format!(
                    "CREATE TABLE outcome_record_key (
                        record_id {uuid} PRIMARY KEY
                            REFERENCES outcome_record (id) ON DELETE CASCADE,
                        record_key smallint NOT NULL
                            CHECK (record_key BETWEEN 0 AND {max})
                    )",
                    max = LARGEST_KEY
                ),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["outcome_record_key", "installation"]).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
