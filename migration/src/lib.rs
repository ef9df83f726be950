//! Schema migrations of b2h, for SQLite (the embedded default) and PostgreSQL.
//!
//! DDL is written as SQL per table, rendered for the connected backend by [`dialect::Dialect`]:
//! the CHECK constraints, composite foreign keys and partial indexes we rely on are clearer in
//! SQL than in a builder, and SQLite cannot add constraints after `CREATE TABLE`.
//! Each migration runs in one transaction on both backends and reverses cleanly.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod dialect;
mod m20261123_000001_reference_geography;
mod m20261123_000002_campaigns_and_organisations;
mod m20261123_000003_projects;
mod m20261123_000004_grants;
mod m20261123_000005_outcomes;
mod m20261123_000006_access_audit_exports;
mod m20261123_000007_sort_keys;
mod m20261124_000008_progress_rollup;
mod m20261124_000009_impact_rollup;
mod m20261201_000010_grant_file_details;
mod m20261201_000011_disclosure_keys;
mod m20261202_000012_change_feed;
mod m20261202_000013_retire_rollups;

/// Fixed identifiers of the reference rows the migrations insert, so that every database agrees.
pub mod reference {
    /// The Back to Health campaign.
    pub const BACK_TO_HEALTH_CAMPAIGN_ID: &str = "b2b2b2b2-0000-4000-8000-000000000001";
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_reference_geography::Migration),
            Box::new(m20261123_000002_campaigns_and_organisations::Migration),
            Box::new(m20261123_000003_projects::Migration),
            Box::new(m20261123_000004_grants::Migration),
            Box::new(m20261123_000005_outcomes::Migration),
            Box::new(m20261123_000006_access_audit_exports::Migration),
            Box::new(m20261123_000007_sort_keys::Migration),
            Box::new(m20261124_000008_progress_rollup::Migration),
            Box::new(m20261124_000009_impact_rollup::Migration),
            Box::new(m20261201_000010_grant_file_details::Migration),
            Box::new(m20261201_000011_disclosure_keys::Migration),
            Box::new(m20261202_000012_change_feed::Migration),
            Box::new(m20261202_000013_retire_rollups::Migration),
        ]
    }
}
