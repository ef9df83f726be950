//! Outcome records: batches upserted by (project, measure, period) after the whole batch is
//! checked, and moved between draft, submitted and verified.

use super::edit;
use super::{
    Actor, Changes, Entity, MAX_BATCH, Problem, WriteError, begin, check, commit, new_id,
    optional_text,
};
use crate::access::{ADMIN_ONLY, WRITE_FORBIDDEN, WriteAccess, own_projects};
use b2h_entity::enums::{Aggregation, DataSource, EvidenceStrength, MeasureUnit, RecordStatus};
use b2h_entity::{outcome_measure, outcome_record, project};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Longest note on a record (the schema's limit).
pub const MAX_NOTE: usize = 2_000;

/// One record to create or update, as a partner states it.
#[derive(Clone, Debug, Default)]
pub struct RecordInput {
    /// The project's id or reference (`GEH-B2H-01`).
    pub project: String,
    /// The measure's code (`patients_supported`) or id.
    pub measure: String,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub value: Option<f64>,
    pub sample_size: Option<i64>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub data_source: Option<DataSource>,
    pub evidence_strength: Option<EvidenceStrength>,
    pub note: Option<String>,
    /// The version the client last saw, when it updates a record it read.
    pub version: Option<i32>,
}

/// What a batch did (or, on a dry run, would do).
#[derive(Clone, Debug, Default)]
pub struct RecordSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub dry_run: bool,
    /// The records as written, in the batch's order (on a dry run, as they would be).
    pub records: Vec<outcome_record::Model>,
}

/// An item's index and period.
type Period = (usize, NaiveDate, NaiveDate);

/// A record of the batch after checking: what to write, and over which existing row.
struct Planned {
    row: outcome_record::Model,
    existing: Option<outcome_record::Model>,
}

/// How a batch's project or measure name is looked up: an id in the one spelling ids are
/// printed in (lower case, hyphenated), whatever case or form it was given in; anything else
/// (a reference, a code) as given.
fn lookup_key(name: &str) -> String {
    let name = name.trim();
    match name.parse::<Uuid>() {
        Ok(id) => id.to_string(),
        Err(_) => name.to_owned(),
    }
}

/// The projects a batch names, by id and by reference.
async fn find_projects(
    db: &impl ConnectionTrait,
    names: &HashSet<&str>,
) -> Result<HashMap<String, project::Model>, WriteError> {
    let ids: Vec<Uuid> = names.iter().filter_map(|n| n.parse().ok()).collect();
    let references: Vec<String> = names
        .iter()
        .filter(|n| n.parse::<Uuid>().is_err())
        .map(|n| n.to_string())
        .collect();
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        for p in project::Entity::find()
            .filter(project::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            found.insert(p.id.to_string(), p);
        }
    }
    for chunk in references.chunks(500) {
        for p in project::Entity::find()
            .filter(project::Column::Reference.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            found.insert(p.reference.clone(), p);
        }
    }
    Ok(found)
}

/// Every measure, by code and by id (a small reference table).
async fn find_measures(
    db: &impl ConnectionTrait,
) -> Result<HashMap<String, outcome_measure::Model>, WriteError> {
    let mut found = HashMap::new();
    for m in outcome_measure::Entity::find().all(db).await? {
        found.insert(m.id.to_string(), m.clone());
        found.insert(m.code.clone(), m);
    }
    Ok(found)
}

/// Of `projects`, those the caller may write.
async fn writable(
    db: &impl ConnectionTrait,
    access: WriteAccess,
    projects: &[Uuid],
) -> Result<HashSet<Uuid>, WriteError> {
    match access {
        WriteAccess::All => Ok(projects.iter().copied().collect()),
        WriteAccess::None => Ok(HashSet::new()),
        WriteAccess::OwnProjects(organisation) => {
            let rows: Vec<Uuid> = project::Entity::find()
                .select_only()
                .column(project::Column::Id)
                .filter(project::Column::Id.is_in(projects.to_vec()))
                .filter(Expr::col(project::Column::Id).in_subquery(own_projects(organisation)))
                .into_tuple()
                .all(db)
                .await?;
            Ok(rows.into_iter().collect())
        }
    }
}

/// Refuses a batch naming the items of projects the caller may not write.
fn not_writable(items: &[usize]) -> WriteError {
    let shown: Vec<String> = items.iter().take(10).map(|i| i.to_string()).collect();
    WriteError::Forbidden(format!(
        "{WRITE_FORBIDDEN} (items {}{} concern projects this key may not write)",
        shown.join(", "),
        if items.len() > 10 { ", …" } else { "" }
    ))
}

/// Checks one number against the measure's unit.
fn check_number(
    problems: &mut Vec<Problem>,
    index: usize,
    field: &str,
    value: f64,
    unit: MeasureUnit,
) {
    let problem = if !value.is_finite() || value.abs() > 1e15 {
        Some("must be a finite number of at most 1e15".to_owned())
    } else {
        match unit {
            MeasureUnit::People if value < 0.0 => {
                Some(format!("{value} is negative: people counts start at 0"))
            }
            MeasureUnit::People if value.fract() != 0.0 => {
                Some(format!("{value} is not a whole number of people"))
            }
            MeasureUnit::Hours if value < 0.0 => Some(format!("{value} hours is negative")),
            MeasureUnit::Percent if !(0.0..=100.0).contains(&value) => {
                Some(format!("{value} is not a percentage between 0 and 100"))
            }
            _ => None,
        }
    };
    if let Some(message) = problem {
        problems.push(Problem::at(index, field, message));
    }
}

fn overlaps(a: &outcome_record::Model, b: &outcome_record::Model) -> bool {
    a.period_start <= b.period_end && b.period_start <= a.period_end
}

fn same_figures(a: &outcome_record::Model, b: &outcome_record::Model) -> bool {
    a.value == b.value
        && a.baseline == b.baseline
        && a.target == b.target
        && a.sample_size == b.sample_size
        && a.data_source == b.data_source
        && a.evidence_strength == b.evidence_strength
        && a.note == b.note
}

/// Checks a whole batch against the database; what to write, or every problem found.
async fn plan(
    db: &impl ConnectionTrait,
    actor: &Actor,
    items: &[RecordInput],
    max: usize,
) -> Result<Vec<Planned>, WriteError> {
    if items.is_empty() {
        return Err(WriteError::Invalid(vec![Problem::field(
            "records",
            "the batch is empty",
        )]));
    }
    if items.len() > max {
        return Err(WriteError::Invalid(vec![Problem::field(
            "records",
            format!(
                "{} records in one batch; at most {max} (split the batch)",
                items.len()
            ),
        )]));
    }
    let access = actor.principal.write_access();
    if access == WriteAccess::None {
        return Err(WriteError::Forbidden(WRITE_FORBIDDEN.into()));
    }
    let names: HashSet<&str> = items.iter().map(|i| i.project.trim()).collect();
    let projects = find_projects(db, &names).await?;
    let measures = find_measures(db).await?;
    let ids: Vec<Uuid> = projects.values().map(|p| p.id).collect();
    let allowed = writable(db, access, &ids).await?;

    let mut problems = Vec::new();
    let mut forbidden = Vec::new();
    let mut rows = Vec::with_capacity(items.len());
    let today = Utc::now().date_naive();
    for (i, item) in items.iter().enumerate() {
        let project = projects.get(&lookup_key(&item.project));
        let measure = measures.get(&lookup_key(&item.measure));
        match project {
            None => problems.push(Problem::at(
                i,
                "project",
                format!(
                    "no project has the id or reference '{}'",
                    item.project.trim()
                ),
            )),
            Some(p) if p.archived_at.is_some() => problems.push(Problem::at(
                i,
                "project",
                format!("project {} is archived", p.reference),
            )),
            Some(p) if !allowed.contains(&p.id) => forbidden.push(i),
            Some(_) => {}
        }
        match measure {
            None => problems.push(Problem::at(
                i,
                "measure",
                format!("no measure has the code '{}'", item.measure.trim()),
            )),
            Some(m) if m.archived_at.is_some() => problems.push(Problem::at(
                i,
                "measure",
                format!("measure {} is retired", m.code),
            )),
            Some(_) => {}
        }
        let (Some(start), Some(end)) = (item.period_start, item.period_end) else {
            if item.period_start.is_none() {
                problems.push(Problem::at(i, "periodStart", "is required"));
            }
            if item.period_end.is_none() {
                problems.push(Problem::at(i, "periodEnd", "is required"));
            }
            continue;
        };
        if end < start {
            problems.push(Problem::at(
                i,
                "periodEnd",
                format!("{end} is before the period start {start}"),
            ));
        }
        if start > today {
            problems.push(Problem::at(
                i,
                "periodStart",
                format!("{start} is in the future: report periods that have begun"),
            ));
        }
        if let Some(p) = project {
            if start < p.start_date {
                problems.push(Problem::at(
                    i,
                    "periodStart",
                    format!(
                        "{start} is before project {} started ({})",
                        p.reference, p.start_date
                    ),
                ));
            }
            if let Some(project_end) = p.end_date
                && end > project_end
            {
                problems.push(Problem::at(
                    i,
                    "periodEnd",
                    format!(
                        "{end} is after project {} ended ({project_end})",
                        p.reference
                    ),
                ));
            }
        }
        let Some(value) = item.value else {
            problems.push(Problem::at(i, "value", "is required"));
            continue;
        };
        let note = optional_text(
            &mut problems,
            Some(i),
            "note",
            item.note.as_deref(),
            MAX_NOTE,
        );
        if item.data_source.is_none() {
            problems.push(Problem::at(
                i,
                "dataSource",
                "is required (survey, volunteer_management_system, trust_system or estimate)",
            ));
        }
        if item.evidence_strength.is_none() {
            problems.push(Problem::at(
                i,
                "evidenceStrength",
                "is required (weak, moderate or strong)",
            ));
        }
        let sample_size = match item.sample_size {
            Some(n) if n <= 0 || n > i64::from(i32::MAX) => {
                problems.push(Problem::at(
                    i,
                    "sampleSize",
                    format!("{n} is not a positive whole number"),
                ));
                None
            }
            Some(n) => i32::try_from(n).ok(),
            None => None,
        };
        let (Some(p), Some(m)) = (project, measure) else {
            continue;
        };
        check_number(&mut problems, i, "value", value, m.unit);
        if let Some(b) = item.baseline {
            check_number(&mut problems, i, "baseline", b, m.unit);
        }
        if let Some(t) = item.target {
            check_number(&mut problems, i, "target", t, m.unit);
        }
        if m.aggregation == Aggregation::WeightedMean && item.sample_size.is_none() {
            problems.push(Problem::at(
                i,
                "sampleSize",
                format!(
                    "is required for {}: its records are averaged weighted by sample size",
                    m.code
                ),
            ));
        }
        let now = Utc::now();
        rows.push((
            i,
            outcome_record::Model {
                id: Uuid::nil(),
                project_id: p.id,
                measure_id: m.id,
                measure_unit: m.unit,
                measure_aggregation: m.aggregation,
                period_start: start,
                period_end: end,
                value,
                baseline: item.baseline,
                target: item.target,
                sample_size,
                status: RecordStatus::Draft,
                data_source: item.data_source.unwrap_or(DataSource::Estimate),
                evidence_strength: item.evidence_strength.unwrap_or(EvidenceStrength::Weak),
                note,
                submitted_at: None,
                verified_at: None,
                created_at: now,
                updated_at: now,
                version: 1,
                archived_at: None,
            },
        ));
    }
    if !forbidden.is_empty() {
        return Err(not_writable(&forbidden));
    }

    // Existing records of the same projects and measures: the one with the same period is
    // updated; any other whose period overlaps is a problem.
    let pairs: HashSet<(Uuid, Uuid)> = rows
        .iter()
        .map(|(_, r)| (r.project_id, r.measure_id))
        .collect();
    let project_ids: Vec<Uuid> = pairs
        .iter()
        .map(|(p, _)| *p)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut existing: HashMap<(Uuid, Uuid), Vec<outcome_record::Model>> = HashMap::new();
    for chunk in project_ids.chunks(500) {
        for r in outcome_record::Entity::find()
            .filter(outcome_record::Column::ProjectId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            if pairs.contains(&(r.project_id, r.measure_id)) {
                existing
                    .entry((r.project_id, r.measure_id))
                    .or_default()
                    .push(r);
            }
        }
    }
    let mut planned = Vec::with_capacity(rows.len());
    let mut conflicts = Vec::new();
    // Periods earlier items of the batch give, per (project, measure), by start: only periods
    // that overlap nothing earlier are kept, so they are disjoint and the one with the latest
    // start at or before an item's end is the only one to compare with (a batch of N items
    // costs N log N, and each item gets at most one problem per cause, never one per other item).
    let mut batch: HashMap<(Uuid, Uuid), BTreeMap<NaiveDate, Period>> = HashMap::new();
    for (i, mut row) in rows {
        let key = (row.project_id, row.measure_id);
        let mut found = None;
        let mut overlapped = None;
        for other in existing.get(&key).into_iter().flatten() {
            if other.period_start == row.period_start && other.period_end == row.period_end {
                found = Some(other.clone());
            } else if other.archived_at.is_some() {
                // Withdrawn: it no longer claims its period.
            } else if overlapped.is_none() && overlaps(other, &row) {
                overlapped = Some(other);
            }
        }
        if let Some(other) = overlapped {
            problems.push(Problem::at(
                i,
                "periodStart",
                format!(
                    "{} to {} overlaps the record for {} to {} of the same project and measure",
                    row.period_start, row.period_end, other.period_start, other.period_end
                ),
            ));
        }
        let earlier = batch.entry(key).or_default();
        match earlier.range(..=row.period_end).next_back() {
            Some((_, (j, start, end))) if *end >= row.period_start => {
                problems.push(Problem::at(
                    i,
                    "periodStart",
                    if *start == row.period_start && *end == row.period_end {
                        format!("item {j} already gives this project, measure and period")
                    } else {
                        format!(
                            "overlaps item {j}'s period {start} to {end} (same project and measure)"
                        )
                    },
                ));
            }
            _ => {
                earlier.insert(row.period_start, (i, row.period_start, row.period_end));
            }
        }
        let item = &items[i];
        if let Some(old) = found.as_ref().filter(|old| old.archived_at.is_some()) {
            // Recorded again: the archived record comes back as a draft with these figures
            // (its id and history kept; nobody could have read its version in a list).
            row.id = old.id;
            row.created_at = old.created_at;
            row.version = old.version;
        } else if let Some(old) = &found {
            match item.version {
                Some(seen) if seen != old.version => conflicts.push(format!(
                    "item {i}: the outcome record {} has changed since version {seen} (it is now \
                     at version {})",
                    old.id, old.version
                )),
                // Replacing figures unseen would lose someone's write: the version says the
                // client read what it replaces.
                None if !same_figures(old, &row) => problems.push(Problem::at(
                    i,
                    "version",
                    format!(
                        "a record for {} to {} exists (version {}, value {}); give the version \
                         you read to replace it",
                        old.period_start, old.period_end, old.version, old.value
                    ),
                )),
                _ => {}
            }
            if old.status == RecordStatus::Verified && !same_figures(old, &row) {
                problems.push(Problem::at(
                    i,
                    "periodStart",
                    format!(
                        "the record for {} to {} is verified: an admin must reopen it before it changes",
                        old.period_start, old.period_end
                    ),
                ));
            }
            row.id = old.id;
            row.created_at = old.created_at;
            row.version = old.version;
            row.status = old.status;
            row.submitted_at = old.submitted_at;
            row.verified_at = old.verified_at;
        } else if item.version.is_some() {
            problems.push(Problem::at(
                i,
                "version",
                "no record has this project, measure and period to update",
            ));
        }
        planned.push(Planned {
            row,
            existing: found,
        });
    }
    check(problems)?;
    if !conflicts.is_empty() {
        return Err(WriteError::Clash(conflicts.join("; ")));
    }
    Ok(planned)
}

/// Checks a batch and, unless `dry_run`, writes it in one transaction: new records as drafts,
/// changed ones updated (a changed submitted record becomes a draft again, to be resubmitted).
pub async fn record_outcomes(
    db: &DatabaseConnection,
    actor: &Actor,
    items: &[RecordInput],
    dry_run: bool,
) -> Result<RecordSummary, WriteError> {
    write_batch(db, actor, items, dry_run, MAX_BATCH).await
}

/// [`record_outcomes`] with its own limit on the batch size (files may hold more).
pub async fn write_batch(
    db: &DatabaseConnection,
    actor: &Actor,
    items: &[RecordInput],
    dry_run: bool,
    max: usize,
) -> Result<RecordSummary, WriteError> {
    let mut summary = RecordSummary {
        dry_run,
        ..Default::default()
    };
    let txn = begin(db).await?;
    let planned = plan(&txn, actor, items, max).await?;
    let mut replaced = Vec::new();
    let mut created = Vec::new();
    for Planned { mut row, existing } in planned {
        match existing {
            None => {
                summary.created += 1;
                if !dry_run {
                    row.id = new_id()?;
                    row = edit::insert::<outcome_record::Entity>(&txn, actor, row).await?;
                    created.push(row.id);
                }
            }
            Some(old) if same_figures(&old, &row) && old.archived_at.is_none() => {
                summary.unchanged += 1;
                row = old;
            }
            Some(old) => {
                summary.updated += 1;
                if row.status == RecordStatus::Submitted {
                    row.status = RecordStatus::Draft;
                    row.submitted_at = None;
                }
                if !dry_run {
                    row = edit::save::<outcome_record::Entity>(&txn, actor, "update", &old, row)
                        .await?;
                    replaced.push((old, row.clone()));
                }
            }
        }
        summary.records.push(row);
    }
    // Every new record gets its disclosure key with it.
    if !created.is_empty() {
        let secret = crate::record_keys::installation_secret(&txn).await?;
        crate::record_keys::insert_record_keys(&txn, &secret, &created).await?;
    }
    if dry_run {
        txn.rollback().await?;
    } else {
        let mut changes = Changes::default();
        changes.extend(Entity::OutcomeRecord, created);
        changes.extend(
            Entity::OutcomeRecord,
            replaced.iter().map(|(_, after)| after.id),
        );
        commit(txn, changes).await?;
    }
    Ok(summary)
}

/// A move between record statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// draft → submitted: the partner vouches for the figures; they now count.
    Submit,
    /// submitted → verified (admins).
    Verify,
    /// submitted or verified → draft (admins), with a reason.
    Reopen,
    /// Withdrawn (admins), with a reason: the record no longer counts or lists, its status
    /// kept. Recording the same project, measure and period again brings it back as a draft.
    Archive,
}

impl Transition {
    fn verb(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Verify => "verify",
            Transition::Reopen => "reopen",
            Transition::Archive => "archive",
        }
    }
}

/// Moves the records `ids` (all or none) and audits each move; a record already where the move
/// leads is left as it is.
pub async fn change_status(
    db: &DatabaseConnection,
    actor: &Actor,
    ids: &[Uuid],
    versions: Option<&[i32]>,
    transition: Transition,
    reason: Option<&str>,
) -> Result<Vec<outcome_record::Model>, WriteError> {
    let access = actor.principal.write_access();
    match (transition, access) {
        (_, WriteAccess::None) => return Err(WriteError::Forbidden(WRITE_FORBIDDEN.into())),
        (
            Transition::Verify | Transition::Reopen | Transition::Archive,
            WriteAccess::OwnProjects(_),
        ) => {
            return Err(WriteError::Forbidden(ADMIN_ONLY.into()));
        }
        _ => {}
    }
    if ids.is_empty() {
        return Err(WriteError::Invalid(vec![Problem::field(
            "ids",
            "no record ids given",
        )]));
    }
    if ids.len() > MAX_BATCH {
        return Err(WriteError::Invalid(vec![Problem::field(
            "ids",
            format!("{} ids; at most {MAX_BATCH} at once", ids.len()),
        )]));
    }
    let mut problems = Vec::new();
    if let Some(versions) = versions
        && versions.len() != ids.len()
    {
        problems.push(Problem::field(
            "versions",
            format!(
                "{} versions for {} ids: give one per id, in order",
                versions.len(),
                ids.len()
            ),
        ));
    }
    let reason = match transition {
        Transition::Reopen | Transition::Archive => {
            let text = super::required_text(
                &mut problems,
                None,
                "reason",
                reason.unwrap_or(""),
                MAX_NOTE,
            );
            check(std::mem::take(&mut problems))?;
            Some(text)
        }
        _ => None,
    };
    let txn = begin(db).await?;
    let mut rows = HashMap::new();
    for chunk in ids.chunks(500) {
        for r in outcome_record::Entity::find()
            .filter(outcome_record::Column::Id.is_in(chunk.to_vec()))
            .all(&txn)
            .await?
        {
            rows.insert(r.id, r);
        }
    }
    let project_ids: Vec<Uuid> = rows
        .values()
        .map(|r| r.project_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let allowed = writable(&txn, access, &project_ids).await?;
    let mut seen = HashSet::new();
    let mut forbidden = Vec::new();
    let mut conflicts = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if !seen.insert(*id) {
            problems.push(Problem::at(i, "ids", format!("{id} is listed twice")));
            continue;
        }
        let Some(row) = rows.get(id) else {
            problems.push(Problem::at(
                i,
                "ids",
                format!("no outcome record has the id {id}"),
            ));
            continue;
        };
        if !allowed.contains(&row.project_id) {
            forbidden.push(i);
            continue;
        }
        if let Some(seen) = versions.and_then(|v| v.get(i))
            && *seen != row.version
        {
            conflicts.push(format!(
                "item {i}: the outcome record {id} has changed since version {seen} (it is now at \
                 version {})",
                row.version
            ));
        }
        let wrong = match (transition, row.status) {
            (Transition::Archive, _) => None,
            _ if row.archived_at.is_some() => Some("is archived: record it again to restore it"),
            (Transition::Submit, RecordStatus::Verified) => Some("is verified already"),
            (Transition::Verify, RecordStatus::Draft) => {
                Some("is a draft: it must be submitted before it is verified")
            }
            _ => None,
        };
        if let Some(message) = wrong {
            problems.push(Problem::at(i, "ids", format!("record {id} {message}")));
        }
    }
    if !forbidden.is_empty() {
        return Err(not_writable(&forbidden));
    }
    check(problems)?;
    if !conflicts.is_empty() {
        return Err(WriteError::Clash(conflicts.join("; ")));
    }
    let now = Utc::now();
    let mut moved = Vec::new();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(before) = rows.remove(id) else {
            continue;
        };
        let mut after = before.clone();
        match transition {
            Transition::Submit if before.status == RecordStatus::Draft => {
                after.status = RecordStatus::Submitted;
                after.submitted_at = Some(now);
            }
            Transition::Verify if before.status == RecordStatus::Submitted => {
                after.status = RecordStatus::Verified;
                after.verified_at = Some(now);
            }
            Transition::Reopen if before.status != RecordStatus::Draft => {
                after.status = RecordStatus::Draft;
                after.submitted_at = None;
                after.verified_at = None;
                if let Some(reason) = &reason {
                    after.note = Some(reason_note(before.note.as_deref(), "Reopened", reason));
                }
            }
            Transition::Archive if before.archived_at.is_none() => {
                after.archived_at = Some(now);
                if let Some(reason) = &reason {
                    after.note = Some(reason_note(before.note.as_deref(), "Archived", reason));
                }
            }
            _ => {
                out.push(before);
                continue;
            }
        }
        let saved =
            edit::save::<outcome_record::Entity>(&txn, actor, transition.verb(), &before, after)
                .await?;
        moved.push((before, saved.clone()));
        out.push(saved);
    }
    let mut changes = Changes::default();
    changes.extend(
        Entity::OutcomeRecord,
        moved.iter().map(|(_, after)| after.id),
    );
    commit(txn, changes).await?;
    Ok(out)
}

/// The record's note with why it was reopened or archived, kept within the note's limit.
fn reason_note(note: Option<&str>, what: &str, reason: &str) -> String {
    let line = format!("{what}: {reason}");
    let text = match note {
        Some(note) if !note.is_empty() => format!("{note}\n{line}"),
        _ => line,
    };
    text.chars()
        .rev()
        .take(MAX_NOTE)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}
