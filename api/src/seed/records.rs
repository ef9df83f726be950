//! Outcome records of a seed: realistic series per project and measure, with the target measures'
//! submitted and verified records apportioned to add up exactly to the campaign's headline figures.

use super::dice::{Dice, at};
use super::plan::{Plan, Project};
use b2h_entity::enums::{DataSource, EvidenceStrength, OrganisationKind, RecordStatus};
use b2h_entity::{outcome_measure, outcome_record};
use chrono::{Datelike, NaiveDate};

/// Measures the seed reports, in the order records are written.
pub const MEASURE_CODES: [&str; 12] = [
    "patients_supported",
    "staff_supported",
    "volunteers_supported",
    "active_volunteers",
    "volunteer_hours",
    "wellbeing_improved_pct",
    "less_anxious_pct",
    "did_not_attend_rate",
    "readmissions_avoided",
    "staff_time_released_hours",
    "swemwbs_mean_score",
    "bed_days_saved_value_gbp",
];

/// Published totals of Back to Health (patients, staff, volunteers) that the default seed's
/// submitted and verified records reproduce exactly.
pub const HEADLINE_TOTALS: [u64; 3] = [449_283, 111_472, 63_019];
/// The shape those totals belong to; other shapes scale them by projects × months.
pub const HEADLINE_SHAPE: (u32, u32) = (120, 28);

/// Cost of one NHS bed day used for the bed-days value estimate (GBP).
const BED_DAY_GBP: f64 = 395.0;

/// Exact values of the three target measures per project and reported month.
pub struct TargetValues {
    /// `[project][month - first reported month][measure]`; `None` where not reported.
    values: Vec<Vec<[Option<u64>; 3]>>,
}

impl TargetValues {
    fn get(&self, project: usize, offset: usize, measure: usize) -> Option<u64> {
        self.values
            .get(project)
            .and_then(|months| months.get(offset))
            .and_then(|m| m[measure])
    }

    /// Sum of the non-draft values of each target measure.
    pub fn totals(&self, plan: &Plan) -> [u64; 3] {
        let mut totals = [0u64; 3];
        for (p, months) in self.values.iter().enumerate() {
            let first = plan.projects[p].reported.map(|r| r.0).unwrap_or(0);
            for (offset, values) in months.iter().enumerate() {
                if status_of(plan, &plan.projects[p], first + offset) == RecordStatus::Draft {
                    continue;
                }
                for k in 0..3 {
                    totals[k] += values[k].unwrap_or(0);
                }
            }
        }
        totals
    }
}

/// The review status of a project's records for a month.
pub fn status_of(plan: &Plan, project: &Project, month: usize) -> RecordStatus {
    let dice = plan.dice;
    let p = project.index;
    let last = plan.months.len().saturating_sub(1);
    let from_end = last - month.min(last);
    if (from_end == 0 && dice.chance("draft-latest", &[p], 0.3))
        || dice.chance("draft-any", &[p, month as u64], 0.01)
    {
        RecordStatus::Draft
    } else if from_end <= 2 || !dice.chance("verified", &[p, month as u64], 0.85) {
        RecordStatus::Submitted
    } else {
        RecordStatus::Verified
    }
}

fn ramp(age: usize) -> f64 {
    (0.3 + 0.1 * age as f64).min(1.0)
}

fn winter(date: NaiveDate) -> f64 {
    if matches!(date.month(), 12 | 1 | 2) {
        1.12
    } else {
        1.0
    }
}

/// Typical monthly people of each target measure for a project.
fn target_bases(dice: &Dice, project: &Project) -> [Option<f64>; 3] {
    let p = project.index;
    let staff = dice.uniform("staff-ratio", &[p], 0.15, 0.45);
    let volunteers = dice.uniform("volunteer-ratio", &[p], 0.08, 0.2);
    [
        Some(project.size),
        project.reporting.staff.then_some(project.size * staff),
        Some(project.size * volunteers),
    ]
}

fn target_weight(plan: &Plan, project: &Project, month: usize, k: usize, base: f64) -> f64 {
    let first = project.reported.map(|r| r.0).unwrap_or(0);
    let noise = plan.dice.uniform(
        "target-noise",
        &[project.index, month as u64, k as u64],
        0.75,
        1.25,
    );
    base * ramp(month - first) * winter(plan.months[month].last) * noise
}

/// Apportions the headline totals (scaled to the shape) over the non-draft target records by
/// largest remainder, and sizes drafts on the same scale.
pub fn apportion_targets(plan: &Plan) -> TargetValues {
    let (hp, hm) = HEADLINE_SHAPE;
    let scale = (plan.shape.projects as f64 * plan.months.len() as f64) / (hp as f64 * hm as f64);
    let mut values: Vec<Vec<[Option<u64>; 3]>> = plan
        .projects
        .iter()
        .map(|p| match p.reported {
            Some((first, last)) => vec![[None; 3]; last - first + 1],
            None => Vec::new(),
        })
        .collect();
    for k in 0..3 {
        let total = (HEADLINE_TOTALS[k] as f64 * scale).round() as u64;
        // (project, month offset, weight, draft)
        let mut cells: Vec<(usize, usize, f64, bool)> = Vec::new();
        for (pi, project) in plan.projects.iter().enumerate() {
            let (Some((first, last)), Some(base)) =
                (project.reported, target_bases(&plan.dice, project)[k])
            else {
                continue;
            };
            for month in first..=last {
                let draft = status_of(plan, project, month) == RecordStatus::Draft;
                cells.push((
                    pi,
                    month - first,
                    target_weight(plan, project, month, k, base),
                    draft,
                ));
            }
        }
        let weight: f64 = cells.iter().filter(|c| !c.3).map(|c| c.2).sum();
        if weight <= 0.0 {
            continue;
        }
        let mut floors: Vec<(usize, f64)> = Vec::new();
        let mut given = 0u64;
        for (i, &(pi, offset, w, draft)) in cells.iter().enumerate() {
            let exact = total as f64 * w / weight;
            if draft {
                values[pi][offset][k] = Some(exact.round() as u64);
                continue;
            }
            let floor = exact.floor();
            values[pi][offset][k] = Some(floor as u64);
            given += floor as u64;
            floors.push((i, exact - floor));
        }
        // Largest remainders first; ties by position keep it deterministic.
        floors.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for &(i, _) in floors.iter().take((total - given.min(total)) as usize) {
            let (pi, offset, _, _) = cells[i];
            if let Some(v) = values[pi][offset][k].as_mut() {
                *v += 1;
            }
        }
    }
    TargetValues { values }
}

/// Rounds to a multiple of `step`, dividing by a whole number for decimal steps so that values
/// print as written (64.3, not 64.30000000000001).
fn round_to(value: f64, step: f64) -> f64 {
    if step >= 1.0 {
        (value / step).round() * step
    } else {
        let per_unit = (1.0 / step).round();
        (value * per_unit).round() / per_unit
    }
}

/// Every record of one project, month by month, measure by measure.
///
/// `measures` are the seeded measures in [`MEASURE_CODES`] order.
pub fn project_records(
    plan: &Plan,
    targets: &TargetValues,
    measures: &[outcome_measure::Model],
    pi: usize,
) -> Vec<outcome_record::Model> {
    let project = &plan.projects[pi];
    let Some((first, last)) = project.reported else {
        return Vec::new();
    };
    let dice = &plan.dice;
    let p = project.index;
    let bases = target_bases(dice, project);
    let nhs_lead = plan.organisations[project.lead].kind == OrganisationKind::NhsTrust;
    let r = project.reporting;
    let wellbeing_mean = dice.uniform("wellbeing-mean", &[p], 58.0, 86.0);
    let anxiety_mean = dice.uniform("anxiety-mean", &[p], 50.0, 82.0);
    let dna_baseline = round_to(dice.uniform("dna-baseline", &[p], 9.0, 15.0), 0.1);
    let swemwbs_baseline = round_to(dice.uniform("swemwbs-baseline", &[p], 18.5, 21.5), 0.1);
    let staff_hours = dice.uniform("staff-hours", &[p], 1.5, 4.0);
    let mut out = Vec::with_capacity((last - first + 1) * MEASURE_CODES.len());
    for month in first..=last {
        let offset = month - first;
        let period = plan.months[month];
        let status = status_of(plan, project, month);
        let key = |k: usize| [p, month as u64, k as u64];
        let created_at = at(
            period.last + chrono::Days::new(dice.int("created", &[p, month as u64], 3, 12) as u64),
            9 * 3600 + dice.int("created-s", &[p, month as u64], 0, 28_800),
        );
        let submitted_at = (status != RecordStatus::Draft).then(|| {
            created_at
                + chrono::Duration::seconds(dice.int(
                    "submitted",
                    &[p, month as u64],
                    600,
                    3 * 86_400,
                ))
        });
        let verified_at = (status == RecordStatus::Verified).then(|| {
            submitted_at.unwrap_or(created_at)
                + chrono::Duration::seconds(dice.int(
                    "verified",
                    &[p, month as u64],
                    5 * 86_400,
                    20 * 86_400,
                ))
        });
        let updated_at = verified_at.or(submitted_at).unwrap_or(created_at);
        let age = month - first;
        let volunteers_base = bases[2].unwrap_or(1.0);
        let active =
            (volunteers_base * 3.5 * ramp(age) * dice.uniform("active", &key(3), 0.92, 1.08))
                .round()
                .max(1.0);
        let mut push = |measure: usize,
                        value: f64,
                        baseline: Option<f64>,
                        target: Option<f64>,
                        sample_size: Option<i32>,
                        source: DataSource| {
            let evidence = match source {
                DataSource::TrustSystem => EvidenceStrength::Strong,
                DataSource::Estimate => EvidenceStrength::Weak,
                _ => EvidenceStrength::Moderate,
            };
            let note = (measure == 0 && period.last.month() == 12)
                .then(|| "Reduced service over the holiday period.".to_owned());
            let m = &measures[measure];
            out.push(outcome_record::Model {
                id: dice.uuid("record", &[p, month as u64, measure as u64]),
                project_id: project.id,
                measure_id: m.id,
                measure_unit: m.unit,
                measure_aggregation: m.aggregation,
                period_start: period.first,
                period_end: period.last,
                value,
                baseline,
                target,
                sample_size,
                status,
                data_source: source,
                evidence_strength: evidence,
                note,
                submitted_at,
                verified_at,
                created_at,
                updated_at,
                version: 1,
                archived_at: None,
            });
        };
        let people_source = if nhs_lead {
            DataSource::TrustSystem
        } else {
            DataSource::VolunteerManagementSystem
        };
        if let Some(v) = targets.get(pi, offset, 0) {
            let monthly_target = round_to(bases[0].unwrap_or(0.0) * 1.1, 5.0);
            push(0, v as f64, None, Some(monthly_target), None, people_source);
        }
        if let Some(v) = targets.get(pi, offset, 1) {
            push(1, v as f64, None, None, None, DataSource::TrustSystem);
        }
        if let Some(v) = targets.get(pi, offset, 2) {
            push(
                2,
                v as f64,
                None,
                None,
                None,
                DataSource::VolunteerManagementSystem,
            );
        }
        push(
            3,
            active,
            None,
            None,
            None,
            DataSource::VolunteerManagementSystem,
        );
        let hours = round_to(active * dice.uniform("hours", &key(4), 4.0, 11.0), 0.5);
        push(
            4,
            hours,
            None,
            None,
            None,
            DataSource::VolunteerManagementSystem,
        );
        if r.wellbeing {
            let v = (wellbeing_mean + 6.0 * dice.normal("wellbeing", &key(5))).clamp(0.0, 100.0);
            let n = dice.int("wellbeing-n", &key(5), 4, 60) as i32;
            push(
                5,
                round_to(v, 0.1),
                None,
                Some(75.0),
                Some(n),
                DataSource::Survey,
            );
        }
        if r.anxiety {
            let v = (anxiety_mean + 7.0 * dice.normal("anxiety", &key(6))).clamp(0.0, 100.0);
            let n = dice.int("anxiety-n", &key(6), 3, 45) as i32;
            push(
                6,
                round_to(v, 0.1),
                None,
                Some(70.0),
                Some(n),
                DataSource::Survey,
            );
        }
        if r.did_not_attend {
            let improved = dna_baseline * (1.0 - 0.4 * ramp(age));
            let v = (improved + 0.8 * dice.normal("dna", &key(7))).clamp(0.0, 100.0);
            let n = dice.int("dna-n", &key(7), 40, 600) as i32;
            push(
                7,
                round_to(v, 0.1),
                Some(dna_baseline),
                Some(7.0),
                Some(n),
                DataSource::TrustSystem,
            );
        }
        if r.readmissions {
            let most = (project.size / 25.0).max(1.0) as i64;
            let v = dice.int("readmissions", &key(8), 0, most) as f64;
            push(8, v, None, None, None, DataSource::TrustSystem);
        }
        if r.staff_time {
            let v = round_to(
                bases[1].unwrap_or(1.0)
                    * staff_hours
                    * dice.uniform("staff-time", &key(9), 0.8, 1.2),
                0.5,
            );
            push(9, v, None, None, None, DataSource::Estimate);
        }
        if r.swemwbs {
            let v = (swemwbs_baseline
                + ramp(age) * dice.uniform("swemwbs", &key(10), 1.0, 4.0)
                + 0.8 * dice.normal("swemwbs-noise", &key(10)))
            .clamp(7.0, 35.0);
            let n = dice.int("swemwbs-n", &key(10), 5, 50) as i32;
            push(
                10,
                round_to(v, 0.01),
                Some(swemwbs_baseline),
                Some(24.0),
                Some(n),
                DataSource::Survey,
            );
        }
        if r.bed_days {
            let days = dice.int(
                "bed-days",
                &key(11),
                2,
                (project.size / 8.0).max(3.0) as i64,
            );
            push(
                11,
                days as f64 * BED_DAY_GBP,
                None,
                None,
                None,
                DataSource::Estimate,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::plan::Shape;
    use super::*;

    #[test]
    fn decimal_rounding_prints_as_written() {
        assert_eq!(round_to(64.2999, 0.1).to_string(), "64.3");
        assert_eq!(round_to(21.456, 0.01).to_string(), "21.46");
        assert_eq!(round_to(12.26, 0.5).to_string(), "12.5");
        assert_eq!(round_to(123.0, 5.0).to_string(), "125");
    }

    /// Stand-ins for the migrated measures: ids 0..12 in code order.
    fn measures() -> Vec<outcome_measure::Model> {
        use b2h_entity::enums::{Aggregation, Beneficiary, MeasureUnit, ResultType};
        let at = chrono::DateTime::<chrono::Utc>::default();
        MEASURE_CODES
            .iter()
            .enumerate()
            .map(|(k, code)| outcome_measure::Model {
                id: uuid::Uuid::from_u128(k as u128),
                code: (*code).to_owned(),
                name: (*code).to_owned(),
                description: None,
                beneficiary: Beneficiary::Patients,
                result_type: ResultType::Output,
                unit: MeasureUnit::People,
                ascending: true,
                aggregation: Aggregation::Sum,
                counts_toward_target: k < 3,
                created_at: at,
                updated_at: at,
                version: 1,
                archived_at: None,
            })
            .collect()
    }

    #[test]
    fn default_shape_reproduces_the_headline_totals() {
        let plan = Plan::draw(Shape {
            projects: 120,
            months: 28,
            seed: 2022,
        });
        let targets = apportion_targets(&plan);
        assert_eq!(targets.totals(&plan), HEADLINE_TOTALS);
        // And the records carry exactly those values.
        let measures = measures();
        let mut sums = [0f64; 3];
        for pi in 0..plan.projects.len() {
            for r in project_records(&plan, &targets, &measures, pi) {
                let k = r.measure_id.as_u128() as usize;
                if k < 3 && r.status != RecordStatus::Draft {
                    sums[k] += r.value;
                }
            }
        }
        assert_eq!(sums, HEADLINE_TOTALS.map(|t| t as f64));
    }
}
