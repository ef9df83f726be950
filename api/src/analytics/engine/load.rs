//! Filling the store: all of it at start (and after a bulk change) in one consistent read, as the
//! export reads (PostgreSQL `COPY … (FORMAT binary)`, SQLite by rows), with the change sequence
//! it reflects; afterwards only what the change feed says changed, re-read in one transaction
//! with the sequence it reflects.

use super::EngineError;
use super::store::{Chunk, Flags, ProjectInput, Projects, RecordRow, Store, day_of};
use crate::changes::{self, Entity};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type};
use arrow_array::{Array, RecordBatch};
use b2h_entity::enums::{DataSource, EvidenceStrength, PathwayStage, RecordStatus};
use b2h_entity::outcome_measure;
use b2h_export::{BatchSink, Column, ConsistentRead, Kind, Table};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, EntityTrait, IsolationLevel, QueryOrder,
    Statement, TransactionTrait, Value,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use uuid::Uuid;

const fn column(name: &'static str, kind: Kind, sql: &'static str) -> Column {
    Column {
        name,
        kind,
        sql,
        nullable: true,
        description: "",
    }
}

/// Submitted and verified records, live: the only ones any figure counts.
const COUNTED: &str = "r.status IN ('submitted', 'verified') AND r.archived_at IS NULL";

static RECORDS: Table = Table {
    name: "engine_records",
    description: "",
    from: "outcome_record r LEFT JOIN outcome_record_key k ON k.record_id = r.id",
    filter: Some(COUNTED),
    columns: &[
        column("project_id", Kind::Id, "r.project_id"),
        column("measure_id", Kind::Id, "r.measure_id"),
        column("period_start", Kind::Date, "r.period_start"),
        column("period_end", Kind::Date, "r.period_end"),
        column("value", Kind::Float64, "r.value"),
        column("sample_size", Kind::Int32, "r.sample_size"),
        column("baseline", Kind::Float64, "r.baseline"),
        column("target", Kind::Float64, "r.target"),
        column("status", Kind::Category, "r.status"),
        column("data_source", Kind::Category, "r.data_source"),
        column("evidence_strength", Kind::Category, "r.evidence_strength"),
        column("record_key", Kind::Int32, "CAST(k.record_key AS integer)"),
    ],
    // Rows come project by project (the project and period index), so one project's rows are
    // held at a time.
    sorted_by: &["project_id"],
    partition_by_year: None,
    unique: &[],
};

static PROJECTS: Table = Table {
    name: "engine_projects",
    description: "",
    from: "project p",
    filter: None,
    columns: &[
        column("id", Kind::Id, "p.id"),
        column("campaign_id", Kind::Id, "p.campaign_id"),
        column("primary_stage", Kind::Category, "p.primary_stage"),
        column(
            "area",
            Kind::Category,
            "COALESCE(p.region_code, p.nation_code)",
        ),
        column("lead", Kind::Id, "p.lead_organisation_id"),
        column(
            "reporting",
            Kind::Category,
            "CASE WHEN p.status = 'active' AND p.archived_at IS NULL THEN 'yes' ELSE 'no' END",
        ),
    ],
    sorted_by: &[],
    partition_by_year: None,
    unique: &[],
};

/// Funders pay for a project through live allocations of their grants.
const FUNDING_FROM: &str = "grant_allocation a JOIN grant_award g ON g.id = a.grant_id";
const FUNDING_FILTER: &str = "a.archived_at IS NULL";

static FUNDING: Table = Table {
    name: "engine_funding",
    description: "",
    from: FUNDING_FROM,
    filter: Some(FUNDING_FILTER),
    columns: &[
        column("project_id", Kind::Id, "a.project_id"),
        column("funder_id", Kind::Id, "g.funder_id"),
    ],
    sorted_by: &[],
    partition_by_year: None,
    unique: &[],
};

const SEQUENCE: &str = "SELECT sequence FROM change_counter WHERE id = 1";

fn bad(what: &str) -> EngineError {
    EngineError::Shape(what.to_owned())
}

/// A table's columns as a select list (`expr AS name, …`): the partial re-reads select what
/// the full read does.
fn select_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| format!("{} AS {}", c.sql, c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a whole table of the snapshot into batches (the small ones).
async fn batches(
    read: &mut ConsistentRead,
    table: &'static Table,
) -> Result<Vec<RecordBatch>, EngineError> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
    let mut sink = BatchSink {
        sender,
        progress: None,
    };
    let reading = async move {
        let rows = read.read(table, &mut sink).await;
        drop(sink);
        rows
    };
    let collecting = async {
        let mut out = Vec::new();
        while let Some(batch) = receiver.recv().await {
            out.push(batch);
        }
        out
    };
    let (rows, out) = tokio::join!(reading, collecting);
    rows?;
    Ok(out)
}

/// Text of a string or dictionary column at a row.
fn text(array: &dyn Array, row: usize) -> Option<&str> {
    if array.is_null(row) {
        return None;
    }
    if let Some(s) = array.as_string_opt::<i32>() {
        return Some(s.value(row));
    }
    let dict = array.as_dictionary_opt::<Int32Type>()?;
    let values = dict.values().as_string_opt::<i32>()?;
    let key = usize::try_from(dict.keys().value(row)).ok()?;
    Some(values.value(key))
}

fn uuid(array: &dyn Array, row: usize) -> Option<Uuid> {
    text(array, row)?.parse().ok()
}

fn projects_from(
    batches: &[RecordBatch],
    funding: &[RecordBatch],
) -> Result<Projects, EngineError> {
    let mut inputs = Vec::new();
    for b in batches {
        let c = |i: usize| b.column(i).as_ref();
        for row in 0..b.num_rows() {
            let stage = text(c(2), row).and_then(PathwayStage::parse);
            let (Some(id), Some(campaign), Some(stage), Some(area), Some(lead)) = (
                uuid(c(0), row),
                uuid(c(1), row),
                stage,
                text(c(3), row),
                uuid(c(4), row),
            ) else {
                return Err(bad(
                    "a project row without its id, campaign, stage, place or lead",
                ));
            };
            inputs.push(ProjectInput {
                id,
                campaign,
                stage,
                area: area.to_owned(),
                lead,
                reporting: text(c(5), row) == Some("yes"),
            });
        }
    }
    let mut pairs = Vec::new();
    for b in funding {
        for row in 0..b.num_rows() {
            if let (Some(p), Some(f)) = (uuid(b.column(0), row), uuid(b.column(1), row)) {
                pairs.push((p, f));
            }
        }
    }
    Ok(Projects::build(inputs, pairs))
}

/// What a record row's text columns say, decoded once per dictionary value.
fn status_flags(status: &str, source: &str, evidence: &str) -> Option<Flags> {
    Some(Flags::new(
        RecordStatus::parse(status)?,
        DataSource::parse(source)?,
        EvidenceStrength::parse(evidence)?,
    ))
}

async fn measures(db: &impl ConnectionTrait) -> Result<Vec<outcome_measure::Model>, EngineError> {
    Ok(outcome_measure::Entity::find()
        .order_by_asc(outcome_measure::Column::Code)
        .all(db)
        .await?)
}

/// The whole store, in one consistent read.
pub async fn everything(db: &DatabaseConnection) -> Result<Store, EngineError> {
    // Records written before keys existed get theirs first (every write path gives new ones).
    crate::record_keys::fill_missing_record_keys(db).await?;
    let measures = measures(db).await?;
    let measure_index: HashMap<Uuid, u16> = measures
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id, i as u16))
        .collect();
    let (mut read, _) = ConsistentRead::begin(db).await?;
    let sequence = read.scalar(SEQUENCE).await?.unwrap_or(0);
    let project_batches = batches(&mut read, &PROJECTS).await?;
    let funding = batches(&mut read, &FUNDING).await?;
    let projects = projects_from(&project_batches, &funding)?;
    drop(project_batches);
    let mut chunks: Vec<Arc<Chunk>> = (0..projects.len()).map(|_| Arc::default()).collect();

    let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
    let mut sink = BatchSink {
        sender,
        progress: None,
    };
    let reading = async {
        let rows = read.read(&RECORDS, &mut sink).await;
        drop(sink);
        rows
    };
    let building = async {
        // One project's rows at a time: they come sorted by project.
        let mut current: Option<(Uuid, Vec<RecordRow>)> = None;
        let finish = |current: Option<(Uuid, Vec<RecordRow>)>, chunks: &mut Vec<Arc<Chunk>>| {
            if let Some((id, rows)) = current
                && let Some(p) = projects.index.get(&id)
            {
                chunks[*p as usize] = Arc::new(Chunk::build(rows));
            }
        };
        let mut last_project_text = String::new();
        while let Some(batch) = receiver.recv().await {
            let c = |i: usize| batch.column(i).as_ref();
            let (
                Some(starts),
                Some(ends),
                Some(values),
                Some(samples),
                Some(baselines),
                Some(targets),
                Some(keys),
            ) = (
                c(2).as_primitive_opt::<Date32Type>(),
                c(3).as_primitive_opt::<Date32Type>(),
                c(4).as_primitive_opt::<Float64Type>(),
                c(5).as_primitive_opt::<Int32Type>(),
                c(6).as_primitive_opt::<Float64Type>(),
                c(7).as_primitive_opt::<Float64Type>(),
                c(11).as_primitive_opt::<Int32Type>(),
            )
            else {
                return Err(bad("the records' columns are not of the expected types"));
            };
            let mut flags_of: HashMap<(String, String, String), Flags> = HashMap::new();
            let mut measure_of: HashMap<String, Option<u16>> = HashMap::new();
            for row in 0..batch.num_rows() {
                let Some(project) = text(c(0), row) else {
                    return Err(bad("a record without its project"));
                };
                if project != last_project_text {
                    finish(current.take(), &mut chunks);
                    last_project_text = project.to_owned();
                    let id: Uuid = project
                        .parse()
                        .map_err(|_| bad("a project id that is not a UUID"))?;
                    current = Some((id, Vec::new()));
                }
                let measure_text = text(c(1), row).unwrap_or_default();
                let measure = match measure_of.get(measure_text) {
                    Some(m) => *m,
                    None => {
                        let m = measure_text
                            .parse::<Uuid>()
                            .ok()
                            .and_then(|id| measure_index.get(&id).copied());
                        measure_of.insert(measure_text.to_owned(), m);
                        m
                    }
                };
                let (status, source, evidence) = (
                    text(c(8), row).unwrap_or_default(),
                    text(c(9), row).unwrap_or_default(),
                    text(c(10), row).unwrap_or_default(),
                );
                let flags = match flags_of.get(&(
                    status.to_owned(),
                    source.to_owned(),
                    evidence.to_owned(),
                )) {
                    Some(f) => Some(*f),
                    None => {
                        let f = status_flags(status, source, evidence);
                        if let Some(f) = f {
                            flags_of.insert(
                                (status.to_owned(), source.to_owned(), evidence.to_owned()),
                                f,
                            );
                        }
                        f
                    }
                };
                let (Some(measure), Some(flags)) = (measure, flags) else {
                    return Err(bad(
                        "a record of an unknown measure, status, source or evidence",
                    ));
                };
                let optional =
                    |a: &arrow_array::Float64Array| (!a.is_null(row)).then(|| a.value(row));
                if let Some((_, rows)) = current.as_mut() {
                    rows.push(RecordRow {
                        measure,
                        start: starts.value(row),
                        end: ends.value(row),
                        value: values.value(row),
                        sample: (!samples.is_null(row)).then(|| samples.value(row)),
                        baseline: optional(baselines),
                        target: optional(targets),
                        flags,
                        key: if keys.is_null(row) {
                            0
                        } else {
                            keys.value(row).clamp(0, 255) as u8
                        },
                    });
                }
            }
        }
        finish(current.take(), &mut chunks);
        Ok::<_, EngineError>(chunks)
    };
    let (rows, built) = tokio::join!(reading, building);
    rows?;
    let chunks = built?;
    read.finish().await?;
    Ok(Store {
        sequence,
        measures: Arc::new(measures.into_iter().map(Arc::new).collect()),
        projects: Arc::new(projects),
        chunks,
        memo: Arc::default(),
    })
}

fn placeholders(backend: sea_orm::DbBackend, n: usize) -> String {
    (1..=n)
        .map(|i| match backend {
            sea_orm::DbBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ids per statement.
const CHUNK: usize = 500;

/// The next store: `store` with the changes committed since its sequence applied, read in one
/// transaction (so the store reflects exactly the sequence it says). `None` when there were
/// none; a bulk change, or entries pruned before they were read, reload everything.
pub async fn changes(db: &DatabaseConnection, store: &Store) -> Result<Option<Store>, EngineError> {
    let txn = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        _ => db.begin().await?,
    };
    let backend = txn.get_database_backend();
    let sequence = changes::current(&txn).await?;
    if sequence <= store.sequence {
        txn.commit().await?;
        return Ok(None);
    }
    let mut all = changes::Changes::default();
    let mut after = store.sequence;
    while after < sequence {
        let entries = match changes::since(&txn, after, 1000).await? {
            Ok(entries) => entries,
            Err(changes::Pruned) => {
                txn.commit().await?;
                return everything(db).await.map(Some);
            }
        };
        let Some(last) = entries.last().map(|e| e.sequence) else {
            break;
        };
        for entry in entries.into_iter().filter(|e| e.sequence <= sequence) {
            all.merge(entry.changes);
        }
        after = last;
    }
    if all.everything {
        txn.commit().await?;
        return everything(db).await.map(Some);
    }
    let mut next = store.clone();
    next.sequence = sequence;
    next.memo = Arc::default();
    let project_side = [
        Entity::Project,
        Entity::GrantAllocation,
        Entity::Grant,
        Entity::Funder,
    ];
    if project_side.iter().any(|e| all.touches(*e)) {
        let query = |sql: String| txn.query_all_raw(Statement::from_string(backend, sql));
        let mut inputs = Vec::new();
        for row in query(format!(
            "SELECT {} FROM {}",
            select_list(&PROJECTS),
            PROJECTS.from
        ))
        .await?
        {
            let stage: String = row.try_get("", "primary_stage")?;
            let reporting: String = row.try_get("", "reporting")?;
            inputs.push(ProjectInput {
                id: row.try_get("", "id")?,
                campaign: row.try_get("", "campaign_id")?,
                stage: PathwayStage::parse(&stage)
                    .ok_or_else(|| bad("a project of an unknown stage"))?,
                area: row.try_get("", "area")?,
                lead: row.try_get("", "lead")?,
                reporting: reporting == "yes",
            });
        }
        let mut funding = Vec::new();
        for row in query(format!(
            "SELECT a.project_id AS project_id, g.funder_id AS funder_id FROM {FUNDING_FROM} WHERE {FUNDING_FILTER}"
        ))
        .await?
        {
            funding.push((row.try_get("", "project_id")?, row.try_get("", "funder_id")?));
        }
        let projects = Projects::build(inputs, funding);
        // Chunks follow their projects to their new indexes.
        let by_id: HashMap<Uuid, Arc<Chunk>> = store
            .projects
            .rows
            .iter()
            .zip(&store.chunks)
            .map(|(p, c)| (p.id, Arc::clone(c)))
            .collect();
        next.chunks = projects
            .rows
            .iter()
            .map(|p| by_id.get(&p.id).cloned().unwrap_or_default())
            .collect();
        next.projects = Arc::new(projects);
    }
    // Records never move between projects: the projects of the changed records are re-read.
    let records: Vec<Uuid> = all.of(Entity::OutcomeRecord).collect();
    let mut touched: BTreeSet<Uuid> = BTreeSet::new();
    for ids in records.chunks(CHUNK) {
        let sql = format!(
            "SELECT DISTINCT project_id FROM outcome_record WHERE id IN ({})",
            placeholders(backend, ids.len())
        );
        let values: Vec<Value> = ids.iter().map(|id| Value::from(*id)).collect();
        for row in txn
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
        {
            touched.insert(row.try_get("", "project_id")?);
        }
    }
    let measure_index: HashMap<Uuid, u16> = next
        .measures
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id, i as u16))
        .collect();
    let touched: Vec<Uuid> = touched.into_iter().collect();
    for ids in touched.chunks(CHUNK) {
        let sql = format!(
            "SELECT {} FROM {} WHERE {COUNTED} AND r.project_id IN ({})",
            select_list(&RECORDS),
            RECORDS.from,
            placeholders(backend, ids.len())
        );
        let values: Vec<Value> = ids.iter().map(|id| Value::from(*id)).collect();
        let mut rows_of: HashMap<Uuid, Vec<RecordRow>> =
            ids.iter().map(|id| (*id, Vec::new())).collect();
        for row in txn
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
        {
            let project: Uuid = row.try_get("", "project_id")?;
            let measure: Uuid = row.try_get("", "measure_id")?;
            let status: String = row.try_get("", "status")?;
            let source: String = row.try_get("", "data_source")?;
            let evidence: String = row.try_get("", "evidence_strength")?;
            let (Some(measure), Some(flags)) = (
                measure_index.get(&measure).copied(),
                status_flags(&status, &source, &evidence),
            ) else {
                return Err(bad(
                    "a record of an unknown measure, status, source or evidence",
                ));
            };
            let key: Option<i32> = row.try_get("", "record_key")?;
            rows_of.entry(project).or_default().push(RecordRow {
                measure,
                start: day_of(row.try_get("", "period_start")?),
                end: day_of(row.try_get("", "period_end")?),
                value: row.try_get("", "value")?,
                sample: row.try_get("", "sample_size")?,
                baseline: row.try_get("", "baseline")?,
                target: row.try_get("", "target")?,
                flags,
                key: key.map_or(0, |k| k.clamp(0, 255) as u8),
            });
        }
        for (project, rows) in rows_of {
            if let Some(p) = next.projects.index.get(&project) {
                next.chunks[*p as usize] = Arc::new(Chunk::build(rows));
            }
        }
    }
    txn.commit().await?;
    Ok(Some(next))
}
