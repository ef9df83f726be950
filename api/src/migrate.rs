//! Applying and reverting schema migrations.

use b2h_migration::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbErr};

/// One migration and whether it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub name: String,
    pub applied: bool,
}

/// Applies every pending migration.
pub async fn up(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let pending = Migrator::get_pending_migrations(db).await?.len();
    Migrator::up(db, None).await?;
    Ok(pending)
}

/// Reverts the last `steps` applied migrations (all of them when `None`).
pub async fn down(db: &DatabaseConnection, steps: Option<u32>) -> Result<usize, DbErr> {
    let applied = Migrator::get_applied_migrations(db).await?.len();
    Migrator::down(db, steps).await?;
    let left = Migrator::get_applied_migrations(db).await?.len();
    Ok(applied - left)
}

/// Drops every table and applies all migrations again.
pub async fn fresh(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::fresh(db).await
}

/// Every migration in order with its state.
pub async fn status(db: &DatabaseConnection) -> Result<Vec<MigrationState>, DbErr> {
    Ok(Migrator::get_migration_with_status(db)
        .await?
        .into_iter()
        .map(|m| MigrationState {
            name: m.name().to_owned(),
            applied: m.status() == b2h_migration::MigrationStatus::Applied,
        })
        .collect())
}
