//! The impact rollup: every measure's submitted and verified records added up per (time grain,
//! bucket, area, primary stage, measure), holding what each aggregation kind needs: sums for flows,
//! sample-weighted sums for means, and each project's latest record in the bucket for stocks.
//!
//! Cells add up across areas and stages (a project has one of each), never across buckets (a
//! project's latest record and the count of projects do not add up over time), so each time grain
//! (month, quarter, calendar year, financial year, all time) is kept on its own; cells of stage
//! `*` add up every stage of their area. Every field adds
//! up over projects, so every write path keeps the cells exact in its own transaction by adding the
//! difference it makes to each touched project's totals; `impact` then reads tens of thousands of
//! rows instead of grouping millions of records.

use crate::dialect::{Dialect, drop_tables, run};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The time grains the rollup keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImpactGrain {
    Month,
    Quarter,
    Year,
    /// UK financial year, April to March.
    FinancialYear,
    /// Everything in one bucket.
    All,
}

impl ImpactGrain {
    pub const EVERY: [ImpactGrain; 5] = [
        ImpactGrain::Month,
        ImpactGrain::Quarter,
        ImpactGrain::Year,
        ImpactGrain::FinancialYear,
        ImpactGrain::All,
    ];

    /// The value of the `grain` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ImpactGrain::Month => "month",
            ImpactGrain::Quarter => "quarter",
            ImpactGrain::Year => "year",
            ImpactGrain::FinancialYear => "financial_year",
            ImpactGrain::All => "all",
        }
    }

    /// SQL for the bucket holding `r.period_end`: its first day, as a timestamp on PostgreSQL
    /// (cheap to compare while sorting) and as `YYYY-MM-DD` text on SQLite.
    fn bucket_sql(self, postgres: bool) -> &'static str {
        match (self, postgres) {
            (ImpactGrain::Month, true) => "date_trunc('month', CAST(r.period_end AS timestamp))",
            (ImpactGrain::Quarter, true) => {
                "date_trunc('quarter', CAST(r.period_end AS timestamp))"
            }
            (ImpactGrain::Year, true) => "date_trunc('year', CAST(r.period_end AS timestamp))",
            (ImpactGrain::FinancialYear, true) => {
                "(date_trunc('year', CAST(r.period_end AS timestamp) - interval '3 months') \
                 + interval '3 months')"
            }
            (ImpactGrain::Month, false) => "date(r.period_end, 'start of month')",
            (ImpactGrain::Quarter, false) => {
                "date(r.period_end, 'start of month', \
                 '-' || ((CAST(strftime('%m', r.period_end) AS INTEGER) - 1) % 3) || ' months')"
            }
            (ImpactGrain::Year, false) => "date(r.period_end, 'start of year')",
            (ImpactGrain::FinancialYear, false) => {
                "date(r.period_end, 'start of month', '-3 months', 'start of year', '+3 months')"
            }
            (ImpactGrain::All, _) => "'0001-01-01'",
        }
    }

    /// SQL turning the `bucket` column of [`Self::bucket_sql`] into `YYYY-MM-DD` text.
    fn bucket_text(self, postgres: bool) -> &'static str {
        if postgres && self != ImpactGrain::All {
            "to_char(bucket, 'YYYY-MM-DD')"
        } else {
            "bucket"
        }
    }
}

/// The statement that fills one grain's cells from the records.
fn fill(postgres: bool, grain: ImpactGrain) -> String {
    let bucket = grain.bucket_sql(postgres);
    let bucket_text = grain.bucket_text(postgres);
    let name = grain.as_str();
    format!(
        "INSERT INTO impact_rollup (grain, bucket_start, area_code, primary_stage, measure_id,
             records, projects, sum_value, weighted, sample, samples,
             base_sum, base_n, base_weighted, base_sample,
             target_sum, target_n, target_weighted, target_sample,
             latest_value, latest_base, latest_base_n, latest_target, latest_target_n)
         SELECT '{name}', {bucket_text}, area, stage, measure_id,
             COUNT(*), COUNT(CASE WHEN latest = 1 THEN 1 END),
             SUM(value), COALESCE(SUM(value * sample_size), 0),
             COALESCE(SUM(sample_size), 0), COUNT(sample_size),
             COALESCE(SUM(baseline), 0), COUNT(baseline),
             COALESCE(SUM(baseline * sample_size), 0),
             COALESCE(SUM(CASE WHEN baseline IS NOT NULL THEN sample_size END), 0),
             COALESCE(SUM(target), 0), COUNT(target),
             COALESCE(SUM(target * sample_size), 0),
             COALESCE(SUM(CASE WHEN target IS NOT NULL THEN sample_size END), 0),
             COALESCE(SUM(CASE WHEN latest = 1 THEN value END), 0),
             COALESCE(SUM(CASE WHEN latest = 1 THEN baseline END), 0),
             COUNT(CASE WHEN latest = 1 THEN baseline END),
             COALESCE(SUM(CASE WHEN latest = 1 THEN target END), 0),
             COUNT(CASE WHEN latest = 1 THEN target END)
         FROM (
             SELECT {bucket} AS bucket, COALESCE(p.region_code, p.nation_code) AS area,
                 p.primary_stage AS stage, r.measure_id, r.project_id, r.value, r.baseline,
                 r.target, r.sample_size,
                 ROW_NUMBER() OVER (PARTITION BY r.project_id, r.measure_id, {bucket}
                                    ORDER BY r.period_end DESC) AS latest
             FROM outcome_record r JOIN project p ON p.id = r.project_id
             WHERE r.status IN ('submitted', 'verified') AND r.archived_at IS NULL
         ) counted
         GROUP BY bucket, area, stage, measure_id"
    )
}

/// The `primary_stage` of the cells that add up every stage of their area: most requests do not
/// group by stage, and read a quarter of the rows from these.
pub const IMPACT_ALL_STAGES: &str = "*";

/// The columns after the key: what each aggregation kind needs, every one adding up over projects.
pub const IMPACT_TOTALS: [&str; 19] = [
    "records",
    "projects",
    "sum_value",
    "weighted",
    "sample",
    "samples",
    "base_sum",
    "base_n",
    "base_weighted",
    "base_sample",
    "target_sum",
    "target_n",
    "target_weighted",
    "target_sample",
    "latest_value",
    "latest_base",
    "latest_base_n",
    "latest_target",
    "latest_target_n",
];

/// The statement that fills the every-stage cells from the per-stage ones (their fields add up).
fn fill_all_stages() -> String {
    let columns = IMPACT_TOTALS;
    let sums: Vec<String> = columns.iter().map(|c| format!("SUM({c})")).collect();
    format!(
        "INSERT INTO impact_rollup (grain, bucket_start, area_code, primary_stage, measure_id, {})
         SELECT grain, bucket_start, area_code, '{IMPACT_ALL_STAGES}', measure_id, {}
         FROM impact_rollup WHERE primary_stage <> '{IMPACT_ALL_STAGES}'
         GROUP BY grain, bucket_start, area_code, measure_id",
        columns.join(", "),
        sums.join(", ")
    )
}

/// Statements that rebuild the whole rollup from the records (the migration's backfill, the
/// seed's last step, and a repair).
pub fn rebuild_impact_rollup(postgres: bool) -> Vec<String> {
    let mut sql = vec!["DELETE FROM impact_rollup".to_owned()];
    sql.extend(ImpactGrain::EVERY.iter().map(|g| fill(postgres, *g)));
    sql.push(fill_all_stages());
    sql
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let d = Dialect::of(manager);
        let Dialect { uuid, .. } = d;
        let float = "double precision";
        let mut sql = vec![
            format!(
                "CREATE TABLE impact_rollup (
                grain text NOT NULL
                    CHECK (grain IN ('month', 'quarter', 'year', 'financial_year', 'all')),
                bucket_start text NOT NULL CHECK (length(bucket_start) = 10),
                area_code text NOT NULL,
                primary_stage text NOT NULL,
                measure_id {uuid} NOT NULL REFERENCES outcome_measure (id),
                records bigint NOT NULL,
                projects bigint NOT NULL,
                sum_value {float} NOT NULL,
                weighted {float} NOT NULL,
                sample bigint NOT NULL,
                samples bigint NOT NULL,
                base_sum {float} NOT NULL,
                base_n bigint NOT NULL,
                base_weighted {float} NOT NULL,
                base_sample bigint NOT NULL,
                target_sum {float} NOT NULL,
                target_n bigint NOT NULL,
                target_weighted {float} NOT NULL,
                target_sample bigint NOT NULL,
                latest_value {float} NOT NULL,
                latest_base {float} NOT NULL,
                latest_base_n bigint NOT NULL,
                latest_target {float} NOT NULL,
                latest_target_n bigint NOT NULL,
                PRIMARY KEY (grain, primary_stage, bucket_start, area_code, measure_id)
            )"
            ),
            // Writes apply changes as deltas and then drop the cells left empty.
            "CREATE INDEX impact_rollup_empty_idx ON impact_rollup (records) WHERE records = 0"
                .to_owned(),
        ];
        sql.extend(rebuild_impact_rollup(d.is_postgres()));
        run(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["impact_rollup"]).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
