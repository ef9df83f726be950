//! The published state: the counted records as they stood at the last publication (with their
//! disclosure keys), from which every public figure is computed, and the rule of which requests
//! the public may make. Publications are made at start and on a schedule (`publication`), so a
//! write between two publications changes nothing public.

use super::disclosure::{CellKey, Figure, MIN_PROJECTS, Shown, publish};
use super::engine::scan::{FxBuild, Month, NO_FUNDER};
use super::engine::{LeftOut, Store};
use super::impact::{self, Dimension, Group, ImpactError, ImpactFilter, Reader};
use super::progress::{PeopleCell, Progress, ProgressCells, cells, project};
use b2h_entity::enums::{Beneficiary, MeasureUnit, PathwayStage};
use b2h_entity::{campaign, outcome_measure};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
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
        (Some(from), Some(to)) => {
            let month = from.month();
            let starts = [
                (1, true),
                (3, (month - 1) % 3 == 0),
                (12, month == 1 || month == 4),
            ];
            from.day() == 1
                && starts.iter().any(|(months, aligned)| {
                    *aligned
                        && from
                            .checked_add_months(Months::new(*months))
                            .and_then(|n| n.pred_opt())
                            == Some(to)
                })
        }
        _ => false,
    }
}

/// The counted records as they stood at one publication (a store of the figure engine, kept
/// as it was), with what the public figures leave out of it.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub published_at: DateTime<Utc>,
    pub store: Arc<Store>,
    left_out: LeftOut,
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

/// One measure's figure of a cell as the public reads it: the value (and a mean's sample size)
/// published by the cell's key; the baseline and the target as cells of their own, with keys
/// of their own, and withheld with the value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PublishedFigure {
    pub shown: Shown,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
}

impl PublishedFigure {
    pub fn of(f: &impact::MeasureFigure, key: CellKey) -> Self {
        let kind = |v: f64| figure_kind(&f.measure, v, f.sample_size);
        let shown = publish(kind(f.value), f.projects, key);
        let side = |v: Option<f64>, salt| {
            v.filter(|_| !shown.suppressed)
                .and_then(|v| publish(kind(v), f.projects, key.salted(salt)).value)
        };
        PublishedFigure {
            shown,
            baseline: side(f.baseline, 2),
            target: side(f.target, 3),
        }
    }
}

impl Snapshot {
    /// A publication of `store` now.
    pub fn new(store: Arc<Store>) -> Self {
        let left_out = left_out(&store);
        Snapshot {
            published_at: Utc::now(),
            store,
            left_out,
        }
    }

    /// Public impact cells, exact, each with its key and projects (and how many of them
    /// `readable` holds).
    pub async fn impact(
        &self,
        db: &impl ConnectionTrait,
        request: &PublicRequest,
        readable: Option<&[bool]>,
    ) -> Result<Vec<Group>, ImpactError> {
        let filter = ImpactFilter {
            from: request.from,
            to: request.to,
            measures: request.measures.clone(),
            ..ImpactFilter::default()
        };
        let reader = Reader {
            readable,
            left_out: Some(&self.left_out),
            within: None,
        };
        impact::impact(db, &self.store, &filter, &request.dimensions, reader).await
    }

    /// A campaign's progress at this publication, cell by cell.
    pub fn progress(&self, campaign: Uuid, readable: Option<&[bool]>) -> ProgressCells {
        let reader = Reader {
            readable,
            left_out: Some(&self.left_out),
            within: None,
        };
        cells(&self.store, campaign, reader)
    }

    /// The campaign's progress as everyone may read it: the public rules of `access`, applied to
    /// this publication.
    pub fn public_progress(&self, campaign: campaign::Model) -> ShownProgress {
        ShownProgress::published(
            &self.progress(campaign.id, None),
            campaign,
            self.published_at,
            |own, all| {
                crate::access::RecordAccess::None.sees_exact(
                    usize::try_from(own).unwrap_or(0),
                    usize::try_from(all).unwrap_or(0),
                )
            },
        )
    }

    /// Projects whose counted records of the target measures differ from `other`'s: a
    /// publication waits until at least three projects have moved.
    pub fn projects_changed_since(&self, other: &Snapshot) -> usize {
        let (a, b) = (&self.store, &other.store);
        let print = |store: &Store, p: u32| {
            let chunk = store.chunk(p);
            let mut print = (0i64, 0u64, 0u32);
            for i in 0..chunk.len() {
                let m = &store.measures[usize::from(chunk.measure[i])];
                if m.counts_toward_target {
                    print.0 += 1;
                    print.1 = print.1.wrapping_add(chunk.value[i].to_bits());
                    print.2 = print.2.wrapping_add(u32::from(chunk.key[i]));
                }
            }
            print
        };
        let same_chunk = |p: u32, q: u32| match (a.chunks.get(p as usize), b.chunks.get(q as usize))
        {
            (Some(x), Some(y)) => Arc::ptr_eq(x, y),
            _ => false,
        };
        let mut changed = 0;
        for (p, row) in a.projects.rows.iter().enumerate() {
            let p = p as u32;
            match b.projects.index.get(&row.id) {
                Some(q) if same_chunk(p, *q) || print(a, p) == print(b, *q) => {}
                Some(_) => changed += 1,
                None if print(a, p).0 > 0 => changed += 1,
                None => {}
            }
        }
        for (q, row) in b.projects.rows.iter().enumerate() {
            if !a.projects.index.contains_key(&row.id) && print(b, q as u32).0 > 0 {
                changed += 1;
            }
        }
        changed
    }
}

/// A cell of fewer than [`MIN_PROJECTS`] projects is withheld, but withholding alone is undone
/// by differencing (a month's total minus its other regions is the withheld region). So, for
/// each month and measure, the records of projects in a stage or area (or the whole month) with
/// fewer than [`MIN_PROJECTS`] contributing projects are left out of every public cell,
/// repeatedly until every stage and area left has none or enough; and a funder with too few of
/// the remaining projects has no cell that month (a project's funders are not a partition, so
/// its records stay in the others). Every public cell of a month, and so of any longer period,
/// is then made of none or at least [`MIN_PROJECTS`] projects, and no difference of public cells
/// contains a left-out record. Only the exact headline counts them. Which records are left out
/// follows from how many projects report, which is public.
fn left_out(store: &Store) -> LeftOut {
    let enough = MIN_PROJECTS as usize;
    let projects = &store.projects;
    // (month, measure) → the projects with records of it, in index order.
    let mut reporting: BTreeMap<(Month, u16), Vec<u32>> = BTreeMap::new();
    for p in 0..projects.len() as u32 {
        let chunk = store.chunk(p);
        let mut last: Option<(Month, u16)> = None;
        for i in 0..chunk.len() {
            let (month, measure) = (chunk.month[i], chunk.measure[i]);
            if last != Some((month, measure)) {
                let reported = reporting.entry((month, measure)).or_default();
                if reported.last() != Some(&p) {
                    reported.push(p);
                }
            }
            last = Some((month, measure));
        }
    }
    let mut out = LeftOut {
        projects: vec![false; projects.len()],
        ..LeftOut::default()
    };
    for ((month, measure), reported) in reporting {
        let mut kept: BTreeSet<u32> = reported.into_iter().collect();
        loop {
            let mut stages: HashMap<PathwayStage, usize> = HashMap::new();
            let mut areas: HashMap<u16, usize> = HashMap::new();
            for p in &kept {
                let row = &projects.rows[*p as usize];
                *stages.entry(row.stage).or_default() += 1;
                *areas.entry(row.area).or_default() += 1;
            }
            let few = kept.len() < enough;
            let out_now: Vec<u32> = kept
                .iter()
                .copied()
                .filter(|p| {
                    let row = &projects.rows[*p as usize];
                    let count = |n: Option<&usize>| n.copied().unwrap_or(0);
                    few || count(stages.get(&row.stage)) < enough
                        || count(areas.get(&row.area)) < enough
                })
                .collect();
            if out_now.is_empty() {
                break;
            }
            for p in out_now {
                kept.remove(&p);
                out.records.insert((p, measure, month));
                out.projects[p as usize] = true;
            }
        }
        let mut funded: HashMap<u32, usize, FxBuild> = HashMap::default();
        for p in &kept {
            let funders = &projects.rows[*p as usize].funders;
            if funders.is_empty() {
                *funded.entry(NO_FUNDER).or_default() += 1;
            }
            for f in funders {
                *funded.entry(*f).or_default() += 1;
            }
        }
        for (funder, n) in funded {
            if n < enough {
                out.funders.insert((funder, measure, month));
            }
        }
    }
    out
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
    /// `exact_for(readable, all)` of its projects says so (the access rule).
    pub fn published(
        p: &ProgressCells,
        campaign: campaign::Model,
        published_at: DateTime<Utc>,
        exact_for: impl Fn(i64, i64) -> bool,
    ) -> Self {
        let show = |c: &PeopleCell| {
            if exact_for(c.readable, c.projects) {
                Shown::exact(c.people as f64)
            } else {
                publish(Figure::People(c.people as f64), c.projects, c.key)
            }
        };
        let shown: Vec<(NaiveDate, Shown)> = p
            .by_month
            .iter()
            .map(|(m, c)| {
                // A month without records is a known zero (one whose records were all left out
                // is withheld).
                let shown = if c.projects == 0 && !c.left_out {
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
