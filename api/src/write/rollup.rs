//! Keeps the rollups exact: every write that changes what counts passes its records' changes
//! here, in the write's own transaction. The campaign-progress rollup (`progress_rollup`) takes
//! each record's people as a difference; the impact rollup (`impact_rollup`) takes the difference
//! of each touched project's totals per measure and bucket, before and after the write.

use super::WriteError;
use crate::analytics::totals::Totals;
use b2h_entity::enums::RecordStatus;
use b2h_entity::{outcome_measure, outcome_record, project};
use b2h_migration::{IMPACT_ALL_STAGES, ImpactGrain};
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// One progress rollup cell: (campaign, beneficiary, primary stage, area, month `YYYY-MM`).
type Cell = (Uuid, String, String, String, String);

/// An outcome record before → after a write (either side absent for inserts).
pub type Change<'a> = (
    Option<&'a outcome_record::Model>,
    Option<&'a outcome_record::Model>,
);

/// One impact rollup cell: (grain, bucket start, area, primary stage, measure).
type ImpactCell = (ImpactGrain, NaiveDate, String, String, Uuid);

/// Changes to the rollups, summed per cell before they are written.
#[derive(Default)]
pub struct Delta {
    cells: BTreeMap<Cell, i64>,
    impact: BTreeMap<ImpactCell, Totals>,
}

/// The area (region, or nation outside England) and primary stage a project's figures count in.
fn place(project: &project::Model) -> (String, String) {
    (
        project
            .region_code
            .clone()
            .unwrap_or_else(|| project.nation_code.clone()),
        project.primary_stage.as_str().to_owned(),
    )
}

/// Whether a record counts in figures.
fn counted(record: &outcome_record::Model) -> bool {
    counts(record.status) && record.archived_at.is_none()
}

/// Whether two versions of a record count alike (same figures, period and status class).
fn counts_alike(a: &outcome_record::Model, b: &outcome_record::Model) -> bool {
    counted(a) == counted(b)
        && a.project_id == b.project_id
        && a.measure_id == b.measure_id
        && a.period_end == b.period_end
        && a.value == b.value
        && a.baseline == b.baseline
        && a.target == b.target
        && a.sample_size == b.sample_size
}

/// The counted records of the given projects (and measures, when given).
async fn counted_records(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    measures: Option<&[Uuid]>,
) -> Result<Vec<outcome_record::Model>, WriteError> {
    let mut out = Vec::new();
    for chunk in projects.chunks(500) {
        let mut query = outcome_record::Entity::find()
            .filter(outcome_record::Column::ProjectId.is_in(chunk.to_vec()))
            .filter(
                outcome_record::Column::Status
                    .is_in([RecordStatus::Submitted, RecordStatus::Verified]),
            )
            .filter(outcome_record::Column::ArchivedAt.is_null());
        if let Some(measures) = measures {
            query = query.filter(outcome_record::Column::MeasureId.is_in(measures.to_vec()));
        }
        out.extend(query.all(db).await?);
    }
    Ok(out)
}

/// The projects with these ids.
/// The measures that count toward the campaign target, by id.
async fn target_measures(
    db: &impl ConnectionTrait,
) -> Result<HashMap<Uuid, outcome_measure::Model>, WriteError> {
    Ok(outcome_measure::Entity::find()
        .filter(outcome_measure::Column::CountsTowardTarget.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}

/// The projects with these ids; `lock`ed against other writers until the transaction ends, in id
/// order (so that writers never wait on each other in a circle), on PostgreSQL (SQLite has one
/// writer at a time).
async fn projects_by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
    lock: bool,
) -> Result<HashMap<Uuid, project::Model>, WriteError> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    let lock = lock && db.get_database_backend() == DbBackend::Postgres;
    let mut projects = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut query = project::Entity::find()
            .filter(project::Column::Id.is_in(chunk.to_vec()))
            .order_by_asc(project::Column::Id);
        if lock {
            // FOR NO KEY UPDATE: writers of the project wait for each other, but not for the
            // key-share locks that inserting records (or anything else referring to the project)
            // takes, which FOR UPDATE would, deadlocking two batches that each insert and change.
            query = query.lock(LockType::NoKeyUpdate);
        }
        for p in query.all(db).await? {
            projects.insert(p.id, p);
        }
    }
    Ok(projects)
}

fn counts(status: RecordStatus) -> bool {
    matches!(status, RecordStatus::Submitted | RecordStatus::Verified)
}

impl Delta {
    /// Adds `sign` × the people a record counts for, if it counts, in the cell of `project`.
    fn add(&mut self, project: &project::Model, beneficiary: &str, month: String, people: i64) {
        if people == 0 {
            return;
        }
        let cell = (
            project.campaign_id,
            beneficiary.to_owned(),
            project.primary_stage.as_str().to_owned(),
            project
                .region_code
                .clone()
                .unwrap_or_else(|| project.nation_code.clone()),
            month,
        );
        *self.cells.entry(cell).or_default() += people;
    }

    /// Records `before` → `after` of outcome records (either side absent for inserts).
    pub async fn records(
        &mut self,
        db: &impl ConnectionTrait,
        changes: &[Change<'_>],
    ) -> Result<(), WriteError> {
        self.impact_records(db, changes).await?;
        let measures = target_measures(db).await?;
        let relevant: Vec<&outcome_record::Model> = changes
            .iter()
            .flat_map(|(b, a)| [*b, *a])
            .flatten()
            .filter(|r| {
                counts(r.status) && measures.contains_key(&r.measure_id) && r.archived_at.is_none()
            })
            .collect();
        if relevant.is_empty() {
            return Ok(());
        }
        let projects = projects_by_id(db, relevant.iter().map(|r| r.project_id), false).await?;
        for (before, after) in changes {
            for (record, sign) in [(before, -1i64), (after, 1)] {
                let Some(r) = record else { continue };
                if !counts(r.status) || r.archived_at.is_some() {
                    continue;
                }
                let (Some(m), Some(p)) = (measures.get(&r.measure_id), projects.get(&r.project_id))
                else {
                    continue;
                };
                let month = r.period_end.format("%Y-%m").to_string();
                self.add(
                    p,
                    m.beneficiary.as_str(),
                    month,
                    sign * r.value.round() as i64,
                );
            }
        }
        Ok(())
    }

    /// A project moving between campaigns, stages or areas takes its counted people along.
    pub async fn project_moved(
        &mut self,
        db: &impl ConnectionTrait,
        before: &project::Model,
        after: &project::Model,
    ) -> Result<(), WriteError> {
        let impact_moves = place(before) != place(after);
        let progress_moves = impact_moves || before.campaign_id != after.campaign_id;
        if !progress_moves {
            return Ok(());
        }
        // One read of the project's counted records serves both rollups.
        let records = counted_records(db, &[before.id], None).await?;
        if impact_moves {
            let mut by_measure: BTreeMap<Uuid, Vec<&outcome_record::Model>> = BTreeMap::new();
            for r in &records {
                by_measure.entry(r.measure_id).or_default().push(r);
            }
            for (measure, records) in by_measure {
                self.impact_change(measure, &place(before), &records, &place(after), &records);
            }
        }
        let measures = target_measures(db).await?;
        for r in &records {
            let Some(m) = measures.get(&r.measure_id) else {
                continue;
            };
            let month = r.period_end.format("%Y-%m").to_string();
            let people = r.value.round() as i64;
            self.add(before, m.beneficiary.as_str(), month.clone(), -people);
            self.add(after, m.beneficiary.as_str(), month, people);
        }
        Ok(())
    }

    /// The impact rollup's share of [`Self::records`]: for every (project, measure) whose counted
    /// records changed, its totals per bucket after the write (read back) less those before
    /// (the same records with the changed ones as they were).
    async fn impact_records(
        &mut self,
        db: &impl ConnectionTrait,
        changes: &[Change<'_>],
    ) -> Result<(), WriteError> {
        let changed: Vec<_> = changes
            .iter()
            .filter(|(before, after)| match (before, after) {
                (Some(b), Some(a)) => !counts_alike(b, a),
                (Some(r), None) | (None, Some(r)) => counted(r),
                (None, None) => false,
            })
            .collect();
        let touched = |r: &&outcome_record::Model| counted(r);
        let pairs: BTreeSet<(Uuid, Uuid)> = changed
            .iter()
            .flat_map(|(b, a)| [*b, *a])
            .flatten()
            .filter(touched)
            .map(|r| (r.project_id, r.measure_id))
            .collect();
        if pairs.is_empty() {
            return Ok(());
        }
        let project_ids: Vec<Uuid> = pairs
            .iter()
            .map(|p| p.0)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let measure_ids: Vec<Uuid> = pairs
            .iter()
            .map(|p| p.1)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // A project's latest record and whether it has any in a bucket depend on its other
        // records: writers of the same project take turns here, and each then reads the records
        // as the one before it committed them (read committed reads afresh per statement).
        let projects = projects_by_id(db, project_ids.iter().copied(), true).await?;
        let current = counted_records(db, &project_ids, Some(&measure_ids)).await?;
        let changed_ids: HashSet<Uuid> = changed
            .iter()
            .flat_map(|(b, a)| [*b, *a])
            .flatten()
            .map(|r| r.id)
            .collect();
        let mut after: BTreeMap<(Uuid, Uuid), Vec<&outcome_record::Model>> = BTreeMap::new();
        let mut before: BTreeMap<(Uuid, Uuid), Vec<&outcome_record::Model>> = BTreeMap::new();
        for r in &current {
            let pair = (r.project_id, r.measure_id);
            if pairs.contains(&pair) {
                after.entry(pair).or_default().push(r);
                if !changed_ids.contains(&r.id) {
                    before.entry(pair).or_default().push(r);
                }
            }
        }
        for r in changed.iter().filter_map(|(b, _)| *b).filter(touched) {
            before
                .entry((r.project_id, r.measure_id))
                .or_default()
                .push(r);
        }
        for pair in &pairs {
            let Some(project) = projects.get(&pair.0) else {
                continue;
            };
            let place = place(project);
            let none = Vec::new();
            self.impact_change(
                pair.1,
                &place,
                before.get(pair).unwrap_or(&none),
                &place,
                after.get(pair).unwrap_or(&none),
            );
        }
        Ok(())
    }

    /// One project's counted records of one measure, `before` (counted at `from`) → `after`
    /// (counted at `to`), as changes to the impact rollup's cells of every grain.
    fn impact_change(
        &mut self,
        measure: Uuid,
        from: &(String, String),
        before: &[&outcome_record::Model],
        to: &(String, String),
        after: &[&outcome_record::Model],
    ) {
        let per_bucket = |grain: ImpactGrain, records: &[&outcome_record::Model]| {
            let mut buckets: BTreeMap<NaiveDate, Vec<&outcome_record::Model>> = BTreeMap::new();
            for r in records {
                buckets
                    .entry(grain.bucket_start(r.period_end))
                    .or_default()
                    .push(r);
            }
            buckets
                .into_iter()
                .map(|(bucket, rs)| (bucket, Totals::of_project(rs)))
                .collect::<BTreeMap<_, _>>()
        };
        for grain in ImpactGrain::EVERY {
            let old = per_bucket(grain, before);
            let mut new = per_bucket(grain, after);
            let mut changes: Vec<(&(String, String), NaiveDate, Totals)> = Vec::new();
            if from == to {
                // The difference per bucket, so that untouched buckets stay exactly as they are.
                for (bucket, totals) in old {
                    let entry = new.entry(bucket).or_default();
                    entry.add(&totals, -1);
                }
                changes.extend(new.into_iter().map(|(b, t)| (to, b, t)));
            } else {
                for (bucket, totals) in old {
                    let mut negative = Totals::default();
                    negative.add(&totals, -1);
                    changes.push((from, bucket, negative));
                }
                changes.extend(new.into_iter().map(|(b, t)| (to, b, t)));
            }
            for ((area, stage), bucket, totals) in changes {
                if totals.is_zero() {
                    continue;
                }
                for stage in [stage.as_str(), IMPACT_ALL_STAGES] {
                    self.impact
                        .entry((grain, bucket, area.clone(), stage.to_owned(), measure))
                        .or_default()
                        .add(&totals, 1);
                }
            }
        }
    }

    /// Writes the summed changes.
    pub async fn write(self, db: &impl ConnectionTrait) -> Result<(), WriteError> {
        write_impact(db, self.impact).await?;
        let backend = db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "INSERT INTO progress_rollup (campaign_id, beneficiary, primary_stage, area_code, month, supported)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (campaign_id, beneficiary, primary_stage, area_code, month)
                 DO UPDATE SET supported = progress_rollup.supported + excluded.supported"
            }
            _ => {
                "INSERT INTO progress_rollup (campaign_id, beneficiary, primary_stage, area_code, month, supported)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (campaign_id, beneficiary, primary_stage, area_code, month)
                 DO UPDATE SET supported = progress_rollup.supported + excluded.supported"
            }
        };
        for ((campaign, beneficiary, stage, area, month), people) in self.cells {
            if people == 0 {
                continue;
            }
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    campaign.into(),
                    beneficiary.into(),
                    stage.into(),
                    area.into(),
                    month.into(),
                    people.into(),
                ],
            ))
            .await?;
        }
        Ok(())
    }
}

/// Adds the changes to the impact rollup's cells (a new cell starts from nothing) and drops the
/// cells left without records.
async fn write_impact(
    db: &impl ConnectionTrait,
    cells: BTreeMap<ImpactCell, Totals>,
) -> Result<(), WriteError> {
    let cells: Vec<_> = cells.into_iter().filter(|(_, t)| !t.is_zero()).collect();
    if cells.is_empty() {
        return Ok(());
    }
    let table = Alias::new("impact_rollup");
    let key = [
        "grain",
        "bucket_start",
        "area_code",
        "primary_stage",
        "measure_id",
    ];
    let columns: Vec<Alias> = key
        .iter()
        .chain(Totals::COLUMNS.iter())
        .map(|c| Alias::new(*c))
        .collect();
    let backend = db.get_database_backend();
    // Rows per statement, well inside both backends' limits on bound values.
    for chunk in cells.chunks(200) {
        let mut insert = Query::insert();
        insert.into_table(table.clone()).columns(columns.clone());
        for ((grain, bucket, area, stage, measure), totals) in chunk {
            let mut values: Vec<Expr> = vec![
                Expr::val(grain.as_str()),
                Expr::val(bucket.format("%Y-%m-%d").to_string()),
                Expr::val(area.clone()),
                Expr::val(stage.clone()),
                Expr::val(*measure),
            ];
            values.extend(totals.values().into_iter().map(Expr::val));
            insert
                .values(values)
                .map_err(|e| WriteError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
        }
        insert.on_conflict(
            OnConflict::columns(key.iter().map(|c| Alias::new(*c)))
                .values(Totals::COLUMNS.iter().map(|c| {
                    (
                        Alias::new(*c),
                        Expr::col((table.clone(), Alias::new(*c)))
                            .add(Expr::col((Alias::new("excluded"), Alias::new(*c)))),
                    )
                }))
                .to_owned(),
        );
        db.execute_raw(backend.build(&insert)).await?;
    }
    db.execute_raw(Statement::from_string(
        backend,
        "DELETE FROM impact_rollup WHERE records = 0",
    ))
    .await?;
    Ok(())
}
