//! Keeps the campaign-progress rollup (`progress_rollup`) exact: every write that changes what
//! counts passes its records' contributions here, in the write's own transaction.

use super::WriteError;
use b2h_entity::enums::RecordStatus;
use b2h_entity::{outcome_measure, outcome_record, project};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// One rollup cell: (campaign, beneficiary, primary stage, area, month `YYYY-MM`).
type Cell = (Uuid, String, String, String, String);

/// Changes to the rollup, summed per cell before they are written.
#[derive(Default)]
pub struct Delta {
    cells: BTreeMap<Cell, i64>,
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
        changes: &[(
            Option<&outcome_record::Model>,
            Option<&outcome_record::Model>,
        )],
    ) -> Result<(), WriteError> {
        let measures: HashMap<Uuid, outcome_measure::Model> = outcome_measure::Entity::find()
            .filter(outcome_measure::Column::CountsTowardTarget.eq(true))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
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
        let mut ids: Vec<Uuid> = relevant.iter().map(|r| r.project_id).collect();
        ids.sort();
        ids.dedup();
        let mut projects = HashMap::new();
        for chunk in ids.chunks(500) {
            for p in project::Entity::find()
                .filter(project::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
            {
                projects.insert(p.id, p);
            }
        }
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
        let same = before.campaign_id == after.campaign_id
            && before.primary_stage == after.primary_stage
            && before.region_code == after.region_code
            && before.nation_code == after.nation_code;
        if same {
            return Ok(());
        }
        let measures: HashMap<Uuid, outcome_measure::Model> = outcome_measure::Entity::find()
            .filter(outcome_measure::Column::CountsTowardTarget.eq(true))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let records = outcome_record::Entity::find()
            .filter(outcome_record::Column::ProjectId.eq(before.id))
            .filter(
                outcome_record::Column::MeasureId
                    .is_in(measures.keys().copied().collect::<Vec<_>>()),
            )
            .filter(
                outcome_record::Column::Status
                    .is_in([RecordStatus::Submitted, RecordStatus::Verified]),
            )
            .filter(outcome_record::Column::ArchivedAt.is_null())
            .all(db)
            .await?;
        for r in records {
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

    /// Writes the summed changes.
    pub async fn write(self, db: &impl ConnectionTrait) -> Result<(), WriteError> {
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
