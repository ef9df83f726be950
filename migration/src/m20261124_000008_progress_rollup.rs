//! The campaign-progress rollup: people supported per (campaign, beneficiary group, primary
//! stage, area, month of period end), from submitted and verified records of the measures that
//! count toward the target. Kept exact by every write path in its own transaction, so that
//! progress reads a few thousand rows instead of grouping millions of records.

use crate::dialect::{Dialect, drop_tables, run};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Statements that rebuild the whole rollup from the records (the migration's backfill, the
/// seed's last step, and a repair).
pub fn rebuild_progress_rollup(postgres: bool) -> [String; 2] {
    let month = if postgres {
        "to_char(r.period_end, 'YYYY-MM')"
    } else {
        "substr(r.period_end, 1, 7)"
    };
    [
        "DELETE FROM progress_rollup".to_owned(),
        format!(
            "INSERT INTO progress_rollup (campaign_id, beneficiary, primary_stage, area_code, month, supported)
             SELECT p.campaign_id, m.beneficiary, p.primary_stage, COALESCE(p.region_code, p.nation_code),
                    {month}, CAST(ROUND(SUM(r.value)) AS bigint)
             FROM outcome_record r
             JOIN outcome_measure m ON m.id = r.measure_id
             JOIN project p ON p.id = r.project_id
             WHERE m.counts_toward_target AND r.status IN ('submitted', 'verified')
               AND r.archived_at IS NULL
             GROUP BY p.campaign_id, m.beneficiary, p.primary_stage,
                      COALESCE(p.region_code, p.nation_code), {month}"
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let d = Dialect::of(manager);
        let Dialect { uuid, .. } = d;
        let mut sql = vec![format!(
            "CREATE TABLE progress_rollup (
                campaign_id {uuid} NOT NULL REFERENCES campaign (id),
                beneficiary text NOT NULL,
                primary_stage text NOT NULL,
                area_code text NOT NULL,
                month text NOT NULL CHECK (length(month) = 7),
                supported bigint NOT NULL,
                PRIMARY KEY (campaign_id, beneficiary, primary_stage, area_code, month)
            )"
        )];
        sql.extend(rebuild_progress_rollup(d.is_postgres()));
        run(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["progress_rollup"]).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
