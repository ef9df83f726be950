//! Applying and reverting schema migrations.

use b2h_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};

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
    if db.get_database_backend() != DbBackend::Sqlite {
        return Migrator::fresh(db).await;
    }
    // SQLite enforces foreign keys on DROP TABLE: drop newest tables first (children are
    // always created after their parents), in one transaction.
    let tx = db.begin().await?;
    let tables = tx
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid DESC",
        ))
        .await?;
    for row in tables {
        let name: String = row.try_get("", "name")?;
        tx.execute_unprepared(&format!("DROP TABLE \"{}\"", name.replace('"', "\"\"")))
            .await?;
    }
    tx.commit().await?;
    Migrator::up(db, None).await
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
