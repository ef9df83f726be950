//! The published state: the counted records as they stood at the last publication (with their
//! disclosure keys), from which every public figure is computed, and the rule of which requests
//! the public may make. Publications are made at start and on a schedule (`publication`), so a
//! write between two publications changes nothing public.

use super::disclosure::{CellKey, Figure, MIN_PROJECTS, Shown, publish};
use super::impact::{Dimension, ImpactError, KeyPart, MeasureFigure, time_part};
use super::progress::{BENEFICIARIES, Progress, every, project};
use super::totals::Totals;
use b2h_entity::enums::{Beneficiary, MeasureUnit, PathwayStage};
use b2h_entity::{campaign, outcome_measure};
use b2h_migration::ImpactGrain;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, Statement};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// What the public may ask of `impact`, said when it asks for more.
pub const PUBLIC_REQUESTS: &str = "the public's impact figures are by published dimensions \
only: group by at most one of PATHWAY_STAGE, REGION or FUNDER, with MEASURE and MONTH, QUARTER, \
YEAR or FINANCIAL_YEAR; filter by measure and by one whole month, quarter, calendar year or \
financial year (periodFrom its first day, periodTo its last) or none; no project, status, source \
or evidence filters. Keys of partners, funders and evaluators read more";

/// Why a request is refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Malformed whoever asks.
    #[error("{0}")]
    Invalid(String),
    /// Outside what the public may ask ([`PUBLIC_REQUESTS`]).
    #[error("{0}")]
    NotPublished(String),
}

/// A public request of `impact`, checked.
#[derive(Clone, Debug, Default)]
pub struct PublicRequest {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub measures: Vec<String>,
    pub dimensions: Vec<Dimension>,
}

impl PublicRequest {
    /// The request, or why the public may not make it.
    pub fn check(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        measures: Vec<String>,
        dimensions: Vec<Dimension>,
        other_filters: bool,
    ) -> Result<Self, Refused> {
        let who = dimensions
            .iter()
            .filter(|d| {
                matches!(
                    d,
                    Dimension::PathwayStage | Dimension::Region | Dimension::Funder
                )
            })
            .count();
        let unpublished = dimensions
            .iter()
            .any(|d| matches!(d, Dimension::Project | Dimension::Organisation));
        let mut seen = std::collections::HashSet::new();
        if let Some(d) = dimensions.iter().find(|d| !seen.insert(**d)) {
            return Err(Refused::Invalid(format!("groupBy names {d:?} twice")));
        }
        if other_filters || unpublished || who > 1 || !whole_bucket(from, to) {
            return Err(Refused::NotPublished(PUBLIC_REQUESTS.to_owned()));
        }
        Ok(Self {
            from,
            to,
            measures,
            dimensions,
        })
    }
}

/// No period, or exactly one month, quarter, calendar year or financial year.
fn whole_bucket(from: Option<NaiveDate>, to: Option<NaiveDate>) -> bool {
    match (from, to) {
        (None, None) => true,
        (Some(from), Some(to)) => ImpactGrain::EVERY.iter().any(|g| {
            *g != ImpactGrain::All
                && g.bucket_start(from) == from
                && g.next_start(from).and_then(|n| n.pred_opt()) == Some(to)
        }),
        _ => false,
    }
}

/// A project as the published figures see it.
#[derive(Clone, Debug)]
struct ProjectFacts {
    id: Uuid,
    campaign: Uuid,
    stage: PathwayStage,
    /// Region code, or nation code outside England.
    area: String,
    /// Funders with a live allocation to it.
    funders: Vec<Uuid>,
}

/// One counted record's figures.
#[derive(Clone, Debug)]
struct Fact {
    project: u32,
    measure: u16,
    end: NaiveDate,
    value: f64,
    sample: Option<i64>,
    baseline: Option<f64>,
    target: Option<f64>,
    key: i16,
    /// Whether the record is in public cells at all (it always counts in the exact headline):
    /// see [`Snapshot::keep_small_groups_out`].
    public: bool,
    /// Which of its project's funders' cells it is in, bit `i` for `funders[i]` (bit 0 for the
    /// group without a funder when the project has none).
    funder_cells: u32,
}

/// The records as they stood at one publication.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub published_at: DateTime<Utc>,
    measures: Vec<outcome_measure::Model>,
    projects: Vec<ProjectFacts>,
    /// By period end.
    facts: Vec<Fact>,
}

/// One measure's figure in one public cell, exact, with what publishing it needs.
#[derive(Clone, Debug)]
pub struct PublishedFigure {
    pub figure: MeasureFigure,
    pub key: CellKey,
    /// The projects whose records make the cell.
    pub projects: Vec<Uuid>,
}

impl PublishedFigure {
    /// The figure for the rules.
    pub fn kind(&self) -> Figure {
        figure_kind(
            &self.figure.measure,
            self.figure.value,
            self.figure.sample_size,
        )
    }
}

/// What a value of `measure` is, for the disclosure rules.
pub fn figure_kind(measure: &outcome_measure::Model, value: f64, sample: Option<i64>) -> Figure {
    use b2h_entity::enums::Aggregation;
    match (measure.aggregation, measure.unit) {
        (Aggregation::WeightedMean, unit) => Figure::Mean {
            value,
            sample: sample.unwrap_or(0),
            percent: unit == MeasureUnit::Percent,
        },
        (_, MeasureUnit::People) => Figure::People(value),
        _ => Figure::Other(value),
    }
}

/// One group of a public impact answer.
#[derive(Clone, Debug)]
pub struct PublishedGroup {
    pub key: Vec<KeyPart>,
    pub figures: Vec<PublishedFigure>,
}

/// People supported in one public cell of campaign progress.
#[derive(Clone, Debug, Default)]
pub struct PeopleCell {
    pub people: i64,
    pub key: CellKey,
    pub projects: Vec<Uuid>,
    /// Whether records of the cell were left out of public cells (so an empty cell is withheld,
    /// not a known zero).
    pub left_out: bool,
}

/// Campaign progress at a publication, exact, cell by cell.
#[derive(Clone, Debug)]
pub struct PublishedProgress {
    pub supported: i64,
    pub by_beneficiary: Vec<(Beneficiary, i64)>,
    pub by_stage: Vec<(PathwayStage, PeopleCell)>,
    pub by_area: Vec<(String, PeopleCell)>,
    /// Every month from the first with figures to the last.
    pub by_month: Vec<(NaiveDate, PeopleCell)>,
}

/// One project's records of one measure in one cell: their totals, the latest aside.
#[derive(Default)]
struct Partial {
    totals: Totals,
    last: Option<(NaiveDate, f64, Option<f64>, Option<f64>)>,
}

impl Partial {
    fn add(&mut self, f: &Fact) {
        let t = &mut self.totals;
        t.records += 1;
        t.sum_value += f.value;
        if let Some(s) = f.sample {
            t.weighted += f.value * s as f64;
            t.sample += s;
            t.samples += 1;
        }
        if let Some(b) = f.baseline {
            t.base_sum += b;
            t.base_n += 1;
            if let Some(s) = f.sample {
                t.base_weighted += b * s as f64;
                t.base_sample += s;
            }
        }
        if let Some(g) = f.target {
            t.target_sum += g;
            t.target_n += 1;
            if let Some(s) = f.sample {
                t.target_weighted += g * s as f64;
                t.target_sample += s;
            }
        }
        if self.last.is_none_or(|l| f.end > l.0) {
            self.last = Some((f.end, f.value, f.baseline, f.target));
        }
    }

    fn into_totals(self) -> Totals {
        let mut totals = self.totals;
        if let Some((_, value, baseline, target)) = self.last {
            totals.set_latest(value, baseline, target);
        }
        totals
    }
}

#[derive(Default)]
struct CellAcc {
    projects: BTreeMap<u32, Partial>,
    key: CellKey,
}

fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

impl Snapshot {
    /// Reads the counted records (submitted and verified, live) with their keys, giving a key to
    /// any record without one first.
    pub async fn load(db: &DatabaseConnection) -> Result<Snapshot, DbErr> {
        crate::record_keys::fill_missing_record_keys(db).await?;
        let backend = db.get_database_backend();
        let query = |sql: &str| db.query_all_raw(Statement::from_string(backend, sql));
        let measures = outcome_measure::Entity::find().all(db).await?;
        let measure_index: HashMap<Uuid, u16> = measures
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id, i as u16))
            .collect();
        let mut projects = Vec::new();
        let mut project_index: HashMap<Uuid, u32> = HashMap::new();
        for row in query(
            "SELECT id, campaign_id, primary_stage, COALESCE(region_code, nation_code) AS area
             FROM project ORDER BY id",
        )
        .await?
        {
            let id: Uuid = row.try_get("", "id")?;
            let stage: String = row.try_get("", "primary_stage")?;
            let Some(stage) = PathwayStage::parse(&stage) else {
                continue;
            };
            project_index.insert(id, projects.len() as u32);
            projects.push(ProjectFacts {
                id,
                campaign: row.try_get("", "campaign_id")?,
                stage,
                area: row.try_get("", "area")?,
                funders: Vec::new(),
            });
        }
        for row in query(
            "SELECT DISTINCT a.project_id AS project_id, g.funder_id AS funder_id
             FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id
             WHERE a.archived_at IS NULL ORDER BY 1, 2",
        )
        .await?
        {
            let project: Uuid = row.try_get("", "project_id")?;
            if let Some(i) = project_index.get(&project) {
                projects[*i as usize]
                    .funders
                    .push(row.try_get("", "funder_id")?);
            }
        }
        let mut facts = Vec::new();
        for row in query(
            "SELECT r.project_id AS project_id, r.measure_id AS measure_id,
                    r.period_end AS period_end, r.value AS value, r.sample_size AS sample_size,
                    r.baseline AS baseline, r.target AS target, k.record_key AS record_key
             FROM outcome_record r JOIN outcome_record_key k ON k.record_id = r.id
             WHERE r.status IN ('submitted', 'verified') AND r.archived_at IS NULL
             ORDER BY r.period_end, r.id",
        )
        .await?
        {
            let project: Uuid = row.try_get("", "project_id")?;
            let measure: Uuid = row.try_get("", "measure_id")?;
            let (Some(project), Some(measure)) =
                (project_index.get(&project), measure_index.get(&measure))
            else {
                continue;
            };
            facts.push(Fact {
                project: *project,
                measure: *measure,
                end: row.try_get("", "period_end")?,
                value: row.try_get("", "value")?,
                sample: row
                    .try_get::<Option<i32>>("", "sample_size")?
                    .map(i64::from),
                baseline: row.try_get("", "baseline")?,
                target: row.try_get("", "target")?,
                key: row.try_get("", "record_key")?,
                public: true,
                funder_cells: u32::MAX,
            });
        }
        let mut snapshot = Snapshot {
            published_at: Utc::now(),
            measures,
            projects,
            facts,
        };
        snapshot.keep_small_groups_out();
        Ok(snapshot)
    }

    /// A cell of fewer than [`MIN_PROJECTS`] projects is withheld, but withholding alone is
    /// undone by differencing (a month's total minus its other regions is the withheld region).
    /// So, for each month and measure, the records of projects in a stage or area (or the whole
    /// month) with fewer than [`MIN_PROJECTS`] contributing projects are left out of every
    /// public cell, repeatedly until every stage and area left has none or enough; and a funder
    /// with too few of the remaining projects has no cell that month (a project's funders are
    /// not a partition, so its records stay in the others). Every public cell of a month, and
    /// so of any longer period, is then made of none or at least [`MIN_PROJECTS`] projects, and
    /// no difference of public cells contains a left-out record. Only the exact headline counts
    /// them. Which records are left out follows from how many projects report, which is public.
    fn keep_small_groups_out(&mut self) {
        let enough = MIN_PROJECTS as usize;
        let mut start = 0;
        while start < self.facts.len() {
            let month = month_of(self.facts[start].end);
            let end = start + self.facts[start..].partition_point(|f| month_of(f.end) == month);
            let mut by_measure: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
            for i in start..end {
                by_measure.entry(self.facts[i].measure).or_default().push(i);
            }
            for facts in by_measure.values() {
                let mut kept: BTreeSet<u32> =
                    facts.iter().map(|i| self.facts[*i].project).collect();
                loop {
                    let mut stages: HashMap<PathwayStage, usize> = HashMap::new();
                    let mut areas: HashMap<&str, usize> = HashMap::new();
                    for p in &kept {
                        let p = &self.projects[*p as usize];
                        *stages.entry(p.stage).or_default() += 1;
                        *areas.entry(p.area.as_str()).or_default() += 1;
                    }
                    let few = kept.len() < enough;
                    let out: Vec<u32> = kept
                        .iter()
                        .copied()
                        .filter(|p| {
                            let p = &self.projects[*p as usize];
                            let count = |n: Option<&usize>| n.copied().unwrap_or(0);
                            few || count(stages.get(&p.stage)) < enough
                                || count(areas.get(p.area.as_str())) < enough
                        })
                        .collect();
                    if out.is_empty() {
                        break;
                    }
                    for p in out {
                        kept.remove(&p);
                    }
                }
                let mut funded: HashMap<Option<Uuid>, usize> = HashMap::new();
                for p in &kept {
                    for funder in self.funder_groups(*p) {
                        *funded.entry(funder).or_default() += 1;
                    }
                }
                for i in facts {
                    let project = self.facts[*i].project;
                    let public = kept.contains(&project);
                    let mut cells = 0u32;
                    if public {
                        for (bit, funder) in self.funder_groups(project).into_iter().enumerate() {
                            if bit < 32 && funded.get(&funder).is_some_and(|n| *n >= enough) {
                                cells |= 1 << bit;
                            }
                        }
                    }
                    let fact = &mut self.facts[*i];
                    fact.public = public;
                    fact.funder_cells = cells;
                }
            }
            start = end;
        }
    }

    /// The funder groups a project's records fall in: each funder with a live allocation, or
    /// the group without a funder.
    fn funder_groups(&self, project: u32) -> Vec<Option<Uuid>> {
        let funders = &self.projects[project as usize].funders;
        if funders.is_empty() {
            vec![None]
        } else {
            funders.iter().copied().map(Some).collect()
        }
    }

    /// Projects whose counted records of the target measures differ from `other`'s: a
    /// publication waits until at least three projects have moved.
    pub fn projects_changed_since(&self, other: &Snapshot) -> usize {
        let prints = |s: &Snapshot| {
            let mut by: BTreeMap<Uuid, (i64, u64, u32)> = BTreeMap::new();
            for f in &s.facts {
                if s.measures[usize::from(f.measure)].counts_toward_target {
                    let e = by.entry(s.projects[f.project as usize].id).or_default();
                    e.0 += 1;
                    e.1 = e.1.wrapping_add(f.value.to_bits());
                    e.2 = e.2.wrapping_add(u32::from(f.key.unsigned_abs()));
                }
            }
            by
        };
        let (a, b) = (prints(self), prints(other));
        let mut changed = a.iter().filter(|(id, p)| b.get(id) != Some(p)).count();
        changed += b.keys().filter(|id| !a.contains_key(id)).count();
        changed
    }

    fn measure(&self, code: &str) -> Option<u16> {
        self.measures
            .iter()
            .position(|m| m.code == code)
            .map(|i| i as u16)
    }

    /// Public impact cells, exact, each with its key and projects.
    pub fn impact(&self, request: &PublicRequest) -> Result<Vec<PublishedGroup>, ImpactError> {
        let mut wanted = Vec::new();
        for code in &request.measures {
            match self.measure(code) {
                Some(m) => wanted.push(m),
                None => {
                    return Err(ImpactError::Invalid(format!(
                        "no measure has the code '{code}'"
                    )));
                }
            }
        }
        let mut cells: BTreeMap<(Vec<KeyPart>, u16), CellAcc> = BTreeMap::new();
        let first = request
            .from
            .map_or(0, |from| self.facts.partition_point(|f| f.end < from));
        let by_funder = request.dimensions.contains(&Dimension::Funder);
        for f in &self.facts[first..] {
            if request.to.is_some_and(|to| f.end > to) {
                break;
            }
            if !f.public || (!wanted.is_empty() && !wanted.contains(&f.measure)) {
                continue;
            }
            let p = &self.projects[f.project as usize];
            let funders: Vec<Option<Uuid>> = if by_funder {
                self.funder_groups(f.project)
                    .into_iter()
                    .enumerate()
                    .filter(|(bit, _)| *bit < 32 && f.funder_cells & (1 << bit) != 0)
                    .map(|(_, funder)| funder)
                    .collect()
            } else {
                vec![None]
            };
            for funder in &funders {
                let mut key = Vec::with_capacity(request.dimensions.len());
                for d in &request.dimensions {
                    key.push(match d {
                        Dimension::PathwayStage => KeyPart::Stage(p.stage),
                        Dimension::Region => KeyPart::Area(p.area.clone()),
                        Dimension::Funder => KeyPart::Funder(*funder),
                        Dimension::Measure => {
                            KeyPart::Measure(self.measures[usize::from(f.measure)].id)
                        }
                        Dimension::Project => KeyPart::Project(p.id),
                        Dimension::Organisation => continue,
                        time => time_part(*time, month_of(f.end)),
                    });
                }
                let cell = cells.entry((key, f.measure)).or_default();
                cell.key = cell.key.with(f.key);
                cell.projects.entry(f.project).or_default().add(f);
            }
        }
        let mut groups: BTreeMap<Vec<KeyPart>, Vec<PublishedFigure>> = BTreeMap::new();
        for ((key, measure), cell) in cells {
            let measure = &self.measures[usize::from(measure)];
            let projects = cell
                .projects
                .keys()
                .map(|i| self.projects[*i as usize].id)
                .collect();
            let mut totals = Totals::default();
            for partial in cell.projects.into_values() {
                totals.add(&partial.into_totals(), 1);
            }
            groups.entry(key).or_default().push(PublishedFigure {
                figure: totals.figure(measure),
                key: cell.key,
                projects,
            });
            if groups.len() > super::impact::MAX_GROUPS {
                return Err(ImpactError::Invalid(format!(
                    "more than {} groups: group by fewer dimensions or filter",
                    super::impact::MAX_GROUPS
                )));
            }
        }
        Ok(groups
            .into_iter()
            .map(|(key, mut figures)| {
                figures.sort_by(|a, b| a.figure.measure.code.cmp(&b.figure.measure.code));
                PublishedGroup { key, figures }
            })
            .collect())
    }

    /// A campaign's progress at this publication.
    pub fn progress(&self, campaign: Uuid) -> PublishedProgress {
        let mut by_beneficiary: BTreeMap<Beneficiary, i64> = BTreeMap::new();
        // People, key, projects and whether records were left out, per cell.
        type Acc = (i64, CellKey, BTreeMap<u32, ()>, bool);
        let mut stages: BTreeMap<PathwayStage, Acc> = BTreeMap::new();
        let mut areas: BTreeMap<String, Acc> = BTreeMap::new();
        let mut months: BTreeMap<NaiveDate, Acc> = BTreeMap::new();
        let mut supported = 0;
        for f in &self.facts {
            let m = &self.measures[usize::from(f.measure)];
            let p = &self.projects[f.project as usize];
            if !m.counts_toward_target || p.campaign != campaign {
                continue;
            }
            let people = f.value.round() as i64;
            supported += people;
            *by_beneficiary.entry(m.beneficiary).or_default() += people;
            let cells = [
                stages.entry(p.stage).or_default(),
                areas.entry(p.area.clone()).or_default(),
                months.entry(month_of(f.end)).or_default(),
            ];
            if !f.public {
                for cell in cells {
                    cell.3 = true;
                }
                continue;
            }
            for cell in cells {
                cell.0 += people;
                cell.1 = cell.1.with(f.key);
                cell.2.insert(f.project, ());
            }
        }
        let cell = |c: Option<&Acc>| {
            c.map(|(people, key, projects, left_out)| PeopleCell {
                people: *people,
                key: *key,
                projects: projects
                    .keys()
                    .map(|i| self.projects[*i as usize].id)
                    .collect(),
                left_out: *left_out,
            })
            .unwrap_or_default()
        };
        let mut by_month = Vec::new();
        if let (Some(first), Some(last)) = (months.keys().next(), months.keys().next_back()) {
            let mut month = *first;
            while month <= *last {
                by_month.push((month, cell(months.get(&month))));
                match month.checked_add_months(chrono::Months::new(1)) {
                    Some(next) => month = next,
                    None => break,
                }
            }
        }
        PublishedProgress {
            supported,
            by_beneficiary: every(&BENEFICIARIES, &by_beneficiary),
            by_stage: PathwayStage::ALL
                .iter()
                .map(|s| (*s, cell(stages.get(s))))
                .collect(),
            by_area: areas
                .keys()
                .map(|a| (a.clone(), cell(areas.get(a))))
                .collect(),
            by_month,
        }
    }
}

/// Campaign progress as one reader sees it.
#[derive(Clone, Debug)]
pub struct ShownProgress {
    pub campaign: campaign::Model,
    pub supported: i64,
    pub by_beneficiary: Vec<(Beneficiary, Shown)>,
    pub by_stage: Vec<(PathwayStage, Shown)>,
    pub by_area: Vec<(String, Shown)>,
    /// Each month with its people and the running total: live, or counted back from the
    /// published headline by the months shown (`None` up to the last withheld month).
    pub by_month: Vec<(NaiveDate, Shown, Option<i64>)>,
    pub projected_target_date: Option<NaiveDate>,
    /// When the figures were published; `None` for live ones.
    pub published_at: Option<DateTime<Utc>>,
}

impl ShownProgress {
    /// Live and exact.
    pub fn exact(p: Progress) -> Self {
        let exact = |v: i64| Shown::exact(v as f64);
        Self {
            supported: p.supported,
            by_beneficiary: p
                .by_beneficiary
                .iter()
                .map(|(b, v)| (*b, exact(*v)))
                .collect(),
            by_stage: p.by_stage.iter().map(|(s, v)| (*s, exact(*v))).collect(),
            by_area: p
                .by_area
                .iter()
                .map(|(a, v)| (a.clone(), exact(*v)))
                .collect(),
            by_month: p
                .by_month
                .iter()
                .map(|(m, v, c)| (*m, exact(*v), Some(*c)))
                .collect(),
            projected_target_date: p.projected_target_date,
            published_at: None,
            campaign: p.campaign,
        }
    }

    /// From a publication: the headline exact, every other cell published, or exact where
    /// `exact_for` its projects says so (the access rule).
    pub fn published(
        p: &PublishedProgress,
        campaign: campaign::Model,
        published_at: DateTime<Utc>,
        exact_for: impl Fn(&[Uuid]) -> bool,
    ) -> Self {
        let show = |c: &PeopleCell| {
            if exact_for(&c.projects) {
                Shown::exact(c.people as f64)
            } else {
                publish(
                    Figure::People(c.people as f64),
                    c.projects.len() as i64,
                    c.key,
                )
            }
        };
        let shown: Vec<(NaiveDate, Shown)> = p
            .by_month
            .iter()
            .map(|(m, c)| {
                // A month without records is a known zero (one whose records were all left out
                // is withheld).
                let shown = if c.projects.is_empty() && !c.left_out {
                    Shown::exact(0.0)
                } else {
                    show(c)
                };
                (*m, shown)
            })
            .collect();
        // The running total is counted back from the exact headline by the months shown after
        // each month, so that it ends at the headline and is known up to the last withheld
        // month (left-out records of later months count in it).
        let mut running = Some(p.supported);
        let mut cumulative = vec![None; shown.len()];
        for (i, (_, s)) in shown.iter().enumerate().rev() {
            cumulative[i] = running;
            running = running.zip(s.value).map(|(r, v)| r - v.round() as i64);
        }
        let by_month: Vec<(NaiveDate, Shown, Option<i64>)> = shown
            .into_iter()
            .zip(cumulative)
            .map(|((m, s), c)| (m, s, c))
            .collect();
        // The projection follows the months whose people and running total are both shown.
        let months: Vec<(NaiveDate, i64, i64)> = by_month
            .iter()
            .filter_map(|(m, s, c)| Some((*m, s.value?.round() as i64, (*c)?)))
            .collect();
        let projected_target_date = project(&months, campaign.target_people);
        Self {
            supported: p.supported,
            by_beneficiary: p
                .by_beneficiary
                .iter()
                .map(|(b, v)| (*b, Shown::exact(*v as f64)))
                .collect(),
            by_stage: p.by_stage.iter().map(|(s, c)| (*s, show(c))).collect(),
            by_area: p
                .by_area
                .iter()
                .map(|(a, c)| (a.clone(), show(c)))
                .collect(),
            by_month,
            projected_target_date,
            published_at: Some(published_at),
            campaign,
        }
    }
}

impl ShownProgress {
    /// The headline (people supported and by beneficiary group) from live figures, for key
    /// holders: it is exact for everyone, and keys read live.
    pub fn live_headline(&mut self, live: &Progress) {
        self.supported = live.supported;
        self.by_beneficiary = live
            .by_beneficiary
            .iter()
            .map(|(b, v)| (*b, Shown::exact(*v as f64)))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn the_public_asks_for_whole_periods_and_published_dimensions() {
        let ok = |from, to, dims: &[Dimension]| {
            PublicRequest::check(from, to, Vec::new(), dims.to_vec(), false).is_ok()
        };
        use Dimension::*;
        assert!(ok(None, None, &[Region, Month, Measure]));
        assert!(ok(d(2024, 1, 1), d(2024, 1, 31), &[PathwayStage]));
        assert!(ok(d(2024, 4, 1), d(2024, 6, 30), &[Funder]));
        assert!(ok(d(2023, 4, 1), d(2024, 3, 31), &[]));
        assert!(ok(d(2023, 1, 1), d(2023, 12, 31), &[Quarter]));
        // Not whole buckets, open ends, windows of several months.
        assert!(!ok(d(2024, 1, 2), d(2024, 1, 31), &[]));
        assert!(!ok(d(2024, 1, 1), None, &[]));
        assert!(!ok(d(2024, 1, 1), d(2024, 2, 29), &[]));
        // Unpublished dimensions and cross-tabulations of who and where.
        assert!(!ok(None, None, &[Project]));
        assert!(!ok(None, None, &[Organisation]));
        assert!(!ok(None, None, &[Region, PathwayStage]));
        assert!(!ok(None, None, &[Funder, Region]));
        assert!(PublicRequest::check(None, None, Vec::new(), vec![], true).is_err());
    }
}
