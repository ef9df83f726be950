//! `b2h seed`: synthetic, clearly labelled, deterministic demo data.
//!
//! The same options give identical rows, ids and timestamps included. The default shape's
//! submitted and verified records of the three target measures add up exactly to the campaign's
//! published figures (449,283 patients, 111,472 staff, 63,019 volunteers).

mod dice;
mod load;
mod names;
mod plan;
mod records;

pub use plan::{LAST_MONTH, Shape};
pub use records::{HEADLINE_SHAPE, HEADLINE_TOTALS, MEASURE_CODES};

use crate::progress::Progress;
use b2h_entity::{enums::RecordStatus, outcome_measure, outcome_record};
use load::{Cell, Loader};
use plan::Plan;
use records::{apportion_targets, project_records};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Statement,
};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How much to seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedOptions {
    pub shape: Shape,
    /// Show a progress bar on a terminal.
    pub progress: bool,
}

impl SeedOptions {
    pub const DEFAULT_SEED: u64 = 2022;

    /// About 120 projects over March 2022 to June 2024: the demo data.
    pub fn demo() -> Self {
        Self {
            shape: Shape {
                projects: HEADLINE_SHAPE.0,
                months: HEADLINE_SHAPE.1,
                seed: Self::DEFAULT_SEED,
            },
            progress: true,
        }
    }

    /// About 5,000 projects over eight years (July 2016 to June 2024): over three million records.
    pub fn national() -> Self {
        Self {
            shape: Shape {
                projects: 5_000,
                months: 96,
                seed: Self::DEFAULT_SEED,
            },
            progress: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "the database is not empty ({table} has {rows} rows): seed only a new database, \
         or start again with `b2h migrate fresh` (which deletes everything)"
    )]
    NotEmpty { table: &'static str, rows: i64 },
    #[error("--projects must be between 1 and 100000 (got {0})")]
    Projects(u32),
    #[error("--months must be between 1 and 240 (got {0})")]
    Months(u32),
    #[error("outcome measure '{0}' is missing: run `b2h migrate` first")]
    MissingMeasure(&'static str),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("loading rows failed: {0}")]
    Load(#[from] sea_orm::sqlx::Error),
}

/// What a seed loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedSummary {
    pub shape: Shape,
    pub organisations: usize,
    pub funders: usize,
    pub projects: usize,
    pub grants: usize,
    pub allocations: usize,
    pub records: u64,
    pub draft_records: u64,
    /// Submitted and verified patients, staff and volunteers supported.
    pub supported: [u64; 3],
    pub first_month: String,
    pub last_month: String,
    pub elapsed: Duration,
}

/// Tables that must be empty before a seed.
const DATA_TABLES: [&str; 5] = [
    "organisation",
    "funder",
    "project",
    "grant_award",
    "outcome_record",
];

/// Loads a seed into an empty, migrated database in one transaction.
pub async fn seed(db: &DatabaseConnection, options: SeedOptions) -> Result<SeedSummary, SeedError> {
    let started = Instant::now();
    let shape = options.shape;
    if !(1..=100_000).contains(&shape.projects) {
        return Err(SeedError::Projects(shape.projects));
    }
    if !(1..=240).contains(&shape.months) {
        return Err(SeedError::Months(shape.months));
    }
    ensure_empty(db).await?;
    let measures = measure_ids(db).await?;
    let campaign: Uuid = b2h_migration::reference::BACK_TO_HEALTH_CAMPAIGN_ID
        .parse()
        .map_err(|e| DbErr::Custom(format!("campaign id: {e}")))?;

    let plan = Plan::draw(shape);
    let targets = apportion_targets(&plan);
    let expected = expected_records(&plan);
    tracing::info!(
        projects = shape.projects,
        months = shape.months,
        seed = shape.seed,
        records = expected,
        "seeding synthetic demo data"
    );

    let mut loader = Loader::begin(db).await?;
    // A fixed disclosure secret, so that the demo's public figures are the same everywhere.
    let secret = demo_secret(shape.seed);
    loader
        .execute_owned(format!(
            "UPDATE installation SET disclosure_secret = '{}' WHERE id = 1",
            crate::digest::hex(&secret)
        ))
        .await?;
    write_reference_rows(&mut loader, &plan, campaign).await?;

    let rebuilds = loader.defer_indexes("outcome_record").await?;
    let mut progress = Progress::new("records", expected, options.progress);
    let mut batch: Vec<Vec<Cell>> = Vec::with_capacity(RECORD_BATCH + 64);
    let mut keys: Vec<Vec<Cell>> = Vec::with_capacity(RECORD_BATCH + 64);
    let (mut records, mut drafts) = (0u64, 0u64);
    for pi in 0..plan.projects.len() {
        for record in project_records(&plan, &targets, &measures, pi) {
            drafts += u64::from(record.status == RecordStatus::Draft);
            batch.push(record_row(&record));
            keys.push(key_row(&secret, record.id));
        }
        if batch.len() >= RECORD_BATCH {
            loader
                .write("outcome_record", &RECORD_COLUMNS, &batch)
                .await?;
            loader
                .write("outcome_record_key", &KEY_COLUMNS, &keys)
                .await?;
            records += batch.len() as u64;
            progress.inc(batch.len() as u64);
            batch.clear();
            keys.clear();
        }
    }
    loader
        .write("outcome_record", &RECORD_COLUMNS, &batch)
        .await?;
    loader
        .write("outcome_record_key", &KEY_COLUMNS, &keys)
        .await?;
    records += batch.len() as u64;
    progress.inc(batch.len() as u64);
    progress.finish();
    tracing::info!("building outcome record indexes");
    loader.rebuild_indexes(rebuilds).await?;

    let summary = SeedSummary {
        shape,
        organisations: plan.organisations.len(),
        funders: plan.funders.len(),
        projects: plan.projects.len(),
        grants: plan.grants.len(),
        allocations: plan.allocations.len(),
        records,
        draft_records: drafts,
        supported: targets.totals(&plan),
        first_month: plan
            .months
            .first()
            .map(|m| m.first.format("%Y-%m").to_string())
            .unwrap_or_default(),
        last_month: plan
            .months
            .last()
            .map(|m| m.first.format("%Y-%m").to_string())
            .unwrap_or_default(),
        elapsed: Duration::ZERO,
    };
    write_audit_event(&mut loader, &plan, &summary).await?;
    // Fresh statistics for the query planner.
    let postgres = matches!(loader, Loader::Postgres(_));
    if postgres {
        loader.execute("ANALYZE").await?;
    }
    // One bulk entry on the change feed: followers reload everything.
    for statement in crate::changes::bulk_entry_statements(postgres) {
        loader.execute_owned(statement).await?;
    }
    loader.commit().await?;
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // Fresh statistics for the query planner; harmless if it fails.
        let _ = db.execute_unprepared("ANALYZE").await;
    }
    Ok(SeedSummary {
        elapsed: started.elapsed(),
        ..summary
    })
}

const RECORD_BATCH: usize = 20_000;

async fn ensure_empty(db: &DatabaseConnection) -> Result<(), SeedError> {
    for table in DATA_TABLES {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await?;
        let rows: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        if rows > 0 {
            return Err(SeedError::NotEmpty { table, rows });
        }
    }
    Ok(())
}

/// The seeded measures' ids, in [`MEASURE_CODES`] order, with their unit and aggregation.
async fn measure_ids(db: &DatabaseConnection) -> Result<Vec<outcome_measure::Model>, SeedError> {
    let found = outcome_measure::Entity::find()
        .filter(outcome_measure::Column::Code.is_in(MEASURE_CODES))
        .all(db)
        .await?;
    MEASURE_CODES
        .iter()
        .map(|code| {
            found
                .iter()
                .find(|m| m.code == *code)
                .cloned()
                .ok_or(SeedError::MissingMeasure(code))
        })
        .collect()
}

/// The exact number of records a plan produces (for progress).
fn expected_records(plan: &Plan) -> u64 {
    plan.projects
        .iter()
        .map(|p| {
            let Some((first, last)) = p.reported else {
                return 0;
            };
            let r = p.reporting;
            let per_month = 4
                + u64::from(r.staff)
                + u64::from(r.wellbeing)
                + u64::from(r.anxiety)
                + u64::from(r.did_not_attend)
                + u64::from(r.readmissions)
                + u64::from(r.staff_time)
                + u64::from(r.swemwbs)
                + u64::from(r.bed_days);
            per_month * (last - first + 1) as u64
        })
        .sum()
}

const EDITABLE: [&str; 4] = ["created_at", "updated_at", "version", "archived_at"];

fn editable(created_at: chrono::DateTime<chrono::Utc>) -> [Cell; 4] {
    [
        Cell::Time(created_at),
        Cell::Time(created_at),
        Cell::Int(1),
        Cell::Null,
    ]
}

fn with_editable<const N: usize>(columns: [&'static str; N]) -> Vec<&'static str> {
    columns.into_iter().chain(EDITABLE).collect()
}

async fn write_reference_rows(
    loader: &mut Loader,
    plan: &Plan,
    campaign: Uuid,
) -> Result<(), SeedError> {
    let rows: Vec<Vec<Cell>> = plan
        .organisations
        .iter()
        .map(|o| {
            let mut row = vec![
                Cell::Uuid(o.id),
                Cell::Text(o.name.clone()),
                Cell::Str(o.kind.as_str()),
                Cell::Text(o.org_id.clone()),
                o.ods_code.clone().into(),
                o.charity_number.clone().into(),
                o.company_number.clone().into(),
                Cell::Null,
                Cell::Str(o.nation),
                o.region.into(),
            ];
            row.extend(editable(o.created_at));
            row
        })
        .collect();
    let columns = with_editable([
        "id",
        "name",
        "kind",
        "org_id",
        "ods_code",
        "charity_number",
        "company_number",
        "website",
        "nation_code",
        "region_code",
    ]);
    loader.write("organisation", &columns, &rows).await?;

    let rows: Vec<Vec<Cell>> = plan
        .funders
        .iter()
        .map(|f| {
            let mut row = vec![
                Cell::Uuid(f.id),
                Cell::Str(f.name),
                Cell::Null,
                Cell::Null,
                Cell::Null,
            ];
            row.extend(editable(f.created_at));
            row
        })
        .collect();
    let columns = with_editable(["id", "name", "org_id", "website", "organisation_id"]);
    loader.write("funder", &columns, &rows).await?;

    let rows: Vec<Vec<Cell>> = plan
        .projects
        .iter()
        .map(|p| {
            let roles = serde_json::to_string(p.service.roles).unwrap_or_else(|_| "[]".to_owned());
            let mut row = vec![
                Cell::Uuid(p.id),
                Cell::Text(p.reference.clone()),
                Cell::Text(p.title.clone()),
                Cell::Text(p.description.clone()),
                Cell::Uuid(plan.organisations[p.lead].id),
                Cell::Uuid(campaign),
                Cell::Str(p.service.primary.as_str()),
                Cell::Str(p.service.setting.as_str()),
                Cell::Str(p.status.as_str()),
                Cell::Date(p.start_date),
                p.end_date.into(),
                Cell::Str(p.nation),
                p.region.into(),
                Cell::Json(roles),
            ];
            row.extend(editable(p.created_at));
            row
        })
        .collect();
    let columns = with_editable([
        "id",
        "reference",
        "title",
        "description",
        "lead_organisation_id",
        "campaign_id",
        "primary_stage",
        "setting",
        "status",
        "start_date",
        "end_date",
        "nation_code",
        "region_code",
        "volunteer_roles",
    ]);
    loader.write("project", &columns, &rows).await?;

    let rows: Vec<Vec<Cell>> = plan
        .projects
        .iter()
        .flat_map(|p| {
            p.stages
                .iter()
                .enumerate()
                .map(|(i, s)| vec![Cell::Uuid(p.id), Cell::Str(s.as_str()), Cell::Bool(i == 0)])
        })
        .collect();
    loader
        .write(
            "project_stage",
            &["project_id", "stage", "is_primary"],
            &rows,
        )
        .await?;

    let rows: Vec<Vec<Cell>> = plan
        .projects
        .iter()
        .flat_map(|p| {
            p.partners.iter().map(|(org, role)| {
                vec![
                    Cell::Uuid(p.id),
                    Cell::Uuid(plan.organisations[*org].id),
                    Cell::Str(role.as_str()),
                ]
            })
        })
        .collect();
    loader
        .write(
            "project_partner",
            &["project_id", "organisation_id", "role"],
            &rows,
        )
        .await?;

    let rows: Vec<Vec<Cell>> = plan
        .grants
        .iter()
        .map(|g| {
            let mut row = vec![
                Cell::Uuid(g.id),
                Cell::Text(g.identifier.clone()),
                Cell::Text(g.title.clone()),
                Cell::Text(g.description.clone()),
                Cell::Uuid(plan.funders[g.funder].id),
                Cell::Uuid(plan.organisations[g.recipient].id),
                Cell::Int(g.amount_awarded),
                Cell::Str("GBP"),
                Cell::Date(g.award_date),
                Cell::Date(g.planned_start),
                Cell::Date(g.planned_end),
                Cell::Str("Back to Health"),
            ];
            row.extend(editable(g.created_at));
            row
        })
        .collect();
    let columns = with_editable([
        "id",
        "identifier",
        "title",
        "description",
        "funder_id",
        "recipient_organisation_id",
        "amount_awarded",
        "currency",
        "award_date",
        "planned_start_date",
        "planned_end_date",
        "grant_programme",
    ]);
    loader.write("grant_award", &columns, &rows).await?;

    let rows: Vec<Vec<Cell>> = plan
        .allocations
        .iter()
        .map(|a| {
            let mut row = vec![
                Cell::Uuid(a.id),
                Cell::Uuid(plan.grants[a.grant].id),
                Cell::Uuid(plan.projects[a.project].id),
                Cell::Int(a.amount),
                Cell::Str("GBP"),
            ];
            row.extend(editable(a.created_at));
            row
        })
        .collect();
    let columns = with_editable(["id", "grant_id", "project_id", "amount", "currency"]);
    loader.write("grant_allocation", &columns, &rows).await?;
    Ok(())
}

const RECORD_COLUMNS: [&str; 21] = [
    "id",
    "project_id",
    "measure_id",
    "measure_unit",
    "measure_aggregation",
    "period_start",
    "period_end",
    "value",
    "baseline",
    "target",
    "sample_size",
    "status",
    "data_source",
    "evidence_strength",
    "note",
    "submitted_at",
    "verified_at",
    "created_at",
    "updated_at",
    "version",
    "archived_at",
];

/// The demo's disclosure secret: fixed by the seed number (the demo is synthetic; a real
/// installation keeps the random secret its migration made).
pub fn demo_secret(seed: u64) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("b2h synthetic demo seed {seed}").as_bytes()).into()
}

const KEY_COLUMNS: [&str; 2] = ["record_id", "record_key"];

fn key_row(secret: &[u8], id: Uuid) -> Vec<Cell> {
    vec![
        Cell::Uuid(id),
        Cell::Int(i64::from(crate::record_keys::record_key(secret, id))),
    ]
}

fn record_row(r: &outcome_record::Model) -> Vec<Cell> {
    vec![
        Cell::Uuid(r.id),
        Cell::Uuid(r.project_id),
        Cell::Uuid(r.measure_id),
        Cell::Str(r.measure_unit.as_str()),
        Cell::Str(r.measure_aggregation.as_str()),
        Cell::Date(r.period_start),
        Cell::Date(r.period_end),
        Cell::Float(r.value),
        r.baseline.into(),
        r.target.into(),
        r.sample_size.into(),
        Cell::Str(r.status.as_str()),
        Cell::Str(r.data_source.as_str()),
        Cell::Str(r.evidence_strength.as_str()),
        r.note.clone().into(),
        r.submitted_at.into(),
        r.verified_at.into(),
        Cell::Time(r.created_at),
        Cell::Time(r.updated_at),
        Cell::Int(r.version.into()),
        r.archived_at.into(),
    ]
}

async fn write_audit_event(
    loader: &mut Loader,
    plan: &Plan,
    summary: &SeedSummary,
) -> Result<(), SeedError> {
    let after = serde_json::json!({
        "synthetic": true,
        "label": "Synthetic demo data, not real figures",
        "projects": summary.projects,
        "months": summary.shape.months,
        "seed": summary.shape.seed,
        "firstMonth": summary.first_month,
        "lastMonth": summary.last_month,
        "organisations": summary.organisations,
        "funders": summary.funders,
        "grants": summary.grants,
        "allocations": summary.allocations,
        "records": summary.records,
        "draftRecords": summary.draft_records,
        "supported": {
            "patients": summary.supported[0],
            "staff": summary.supported[1],
            "volunteers": summary.supported[2],
        },
    });
    let at = plan.months.last().map(|m| m.last).unwrap_or_default() + chrono::Days::new(1);
    let row = vec![
        Cell::Uuid(plan.dice.uuid("audit-seed", &[0])),
        Cell::Time(dice::at(at, 0)),
        Cell::Str("seed"),
        Cell::Str("seed"),
        Cell::Str("database"),
        Cell::Null,
        Cell::Null,
        Cell::Json(after.to_string()),
        Cell::Null,
    ];
    loader
        .write(
            "audit_event",
            &[
                "id",
                "at",
                "actor",
                "action",
                "entity_type",
                "entity_id",
                "before",
                "after",
                "request_id",
            ],
            &[row],
        )
        .await?;
    Ok(())
}
