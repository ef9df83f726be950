//! The rollups retire: every figure is now made by the API's figure engine, which holds the
//! counted records in memory and follows the change feed. `down` brings the tables back filled
//! from the records, as migrations 8 and 9 made them.

use crate::dialect::drop_tables;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["impact_rollup", "progress_rollup"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::m20261124_000008_progress_rollup::Migration
            .up(manager)
            .await?;
        crate::m20261124_000009_impact_rollup::Migration
            .up(manager)
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
