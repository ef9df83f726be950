//! The one aggregation every figure is made by: the records a request takes, project by
//! project, each measure's records in period order, added up per cell (a group of the
//! dimensions asked for, and a measure) by everything each aggregation kind needs. A project's
//! records of one measure in one cell are one run of its chunk (time buckets follow period end),
//! so a run's last record is the project's latest in the cell, and each run adds one project.

use super::store::{Chunk, Day, Store};
use crate::analytics::disclosure::CellKey;
use crate::analytics::impact::{Dimension, KeyPart, MAX_GROUPS, time_part};
use crate::analytics::totals::Totals;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A small fast hasher for the scan's integer keys (the keys are ours, not an attacker's choice
/// beyond what the bound on groups allows).
#[derive(Default)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_i32(&mut self, i: i32) {
        self.write_u64(i as u32 as u64);
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;

/// A month as a number: year × 12 + (month − 1).
pub type Month = i32;

pub fn month_number(date: NaiveDate) -> Month {
    use chrono::Datelike;
    date.year() * 12 + date.month0() as i32
}

pub fn month_date(month: Month) -> NaiveDate {
    NaiveDate::from_ymd_opt(month.div_euclid(12), month.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or_default()
}

/// The funder group of projects without a live allocation.
pub const NO_FUNDER: u32 = u32::MAX;

/// What the public figures leave out (see `published`): a project's records of a measure in a
/// month, and funder groups that have too few projects in a month.
#[derive(Clone, Debug, Default)]
pub struct LeftOut {
    pub records: HashSet<(u32, u16, Month), FxBuild>,
    /// Projects with any record left out (the others skip the check).
    pub projects: Vec<bool>,
    /// (funder group, measure, month) without a public cell.
    pub funders: HashSet<(u32, u16, Month), FxBuild>,
}

impl LeftOut {
    fn record(&self, project: u32, measure: u16, month: Month) -> bool {
        self.projects
            .get(project as usize)
            .copied()
            .unwrap_or(false)
            && self.records.contains(&(project, measure, month))
    }

    fn funder(&self, funder: u32, measure: u16, month: Month) -> bool {
        !self.funders.is_empty() && self.funders.contains(&(funder, measure, month))
    }
}

/// Which records a scan takes and how it groups them.
#[derive(Clone, Debug, Default)]
pub struct Scan<'a> {
    /// `period_end` on or after / on or before.
    pub from: Option<Day>,
    pub to: Option<Day>,
    /// By measure index; all when `None`.
    pub measures: Option<Vec<bool>>,
    /// Submitted and verified records both, unless one is asked for.
    pub submitted: bool,
    pub verified: bool,
    /// By index in `DataSource::ALL` / `EvidenceStrength::ALL`; all when `None`.
    pub sources: Option<Vec<bool>>,
    pub evidence: Option<Vec<bool>>,
    /// By project index; all when `None`.
    pub projects: Option<&'a [bool]>,
    /// Projects whose records the reader may read: each cell counts how many of its projects
    /// are among them.
    pub readable: Option<&'a [bool]>,
    pub dimensions: &'a [Dimension],
    /// All the measures taken as one (people supported: their values added up).
    pub pool_measures: bool,
    /// The public figures' exclusions.
    pub left_out: Option<&'a LeftOut>,
}

impl Scan<'_> {
    /// Counted records (submitted and verified), no other filter, grouped by `dimensions`.
    pub fn counted(dimensions: &[Dimension]) -> Scan<'_> {
        Scan {
            submitted: true,
            verified: true,
            dimensions,
            ..Scan::default()
        }
    }
}

/// One cell of a scan's answer.
#[derive(Clone, Debug, Default)]
pub struct Cell {
    /// In the order of the dimensions asked for.
    pub key: Vec<KeyPart>,
    /// `None` when measures were pooled.
    pub measure: Option<u16>,
    pub totals: Totals,
    /// The disclosure key: the sum of its records' keys.
    pub cell_key: CellKey,
    /// How many of its projects the reader may read.
    pub readable: i64,
    /// Records the public figures left out of it.
    pub left_out: i64,
}

#[derive(Debug, thiserror::Error)]
#[error("more than {MAX_GROUPS} groups: group by fewer dimensions or filter")]
pub struct TooManyGroups;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
struct GroupKey {
    stage: u8,
    area: u16,
    funder: u32,
    project: u32,
    organisation: u32,
    time: i32,
}

#[derive(Clone, Default)]
struct Acc {
    totals: Totals,
    cell_key: CellKey,
    readable: i64,
    left_out: i64,
    last_project: Option<u32>,
}

/// The records of one project of one measure in one cell, being added up.
#[derive(Default)]
struct Run {
    cell: usize,
    totals: Totals,
    last: Option<(f64, Option<f64>, Option<f64>)>,
    cell_key: CellKey,
    left_out: i64,
}

struct Shape {
    stage: bool,
    area: bool,
    funder: bool,
    project: bool,
    organisation: bool,
    month: bool,
    quarter: bool,
    year: bool,
    financial_year: bool,
}

impl Shape {
    fn of(dimensions: &[Dimension]) -> Self {
        let has = |d| dimensions.contains(&d);
        Shape {
            stage: has(Dimension::PathwayStage),
            area: has(Dimension::Region),
            funder: has(Dimension::Funder),
            project: has(Dimension::Project),
            organisation: has(Dimension::Organisation),
            month: has(Dimension::Month),
            quarter: has(Dimension::Quarter),
            year: has(Dimension::Year),
            financial_year: has(Dimension::FinancialYear),
        }
    }

    /// The time bucket of a month: a number that is the same for two months exactly when every
    /// time dimension asked for gives them the same value.
    fn time(&self, month: Month) -> i32 {
        let (year, m0) = (month.div_euclid(12), month.rem_euclid(12));
        let april_on = i32::from(m0 >= 3);
        if self.month {
            month
        } else if self.quarter {
            year * 4 + m0 / 3
        } else if self.year && self.financial_year {
            year * 2 + april_on
        } else if self.year {
            year
        } else if self.financial_year {
            year - 1 + april_on
        } else {
            0
        }
    }
}

/// Adds up the records `scan` takes.
pub fn scan(store: &Store, scan: &Scan) -> Result<Vec<Cell>, TooManyGroups> {
    let shape = Shape::of(scan.dimensions);
    let projects = &store.projects;
    let width = if scan.pool_measures {
        1
    } else {
        store.measures.len().max(1)
    };
    let measures: Vec<u16> = (0..store.measures.len() as u16)
        .filter(|m| {
            scan.measures
                .as_ref()
                .is_none_or(|mask| mask.get(usize::from(*m)).copied().unwrap_or(false))
        })
        .collect();
    let allowed = |mask: &Option<Vec<bool>>, i: usize| {
        mask.as_ref()
            .is_none_or(|m| m.get(i).copied().unwrap_or(false))
    };
    let sources: [bool; 4] = std::array::from_fn(|i| allowed(&scan.sources, i));
    let evidence: [bool; 4] = std::array::from_fn(|i| allowed(&scan.evidence, i));
    let mut groups: HashMap<GroupKey, usize, FxBuild> = HashMap::default();
    // Each group's key and a month in it (for the time parts of its key).
    let mut group_list: Vec<(GroupKey, Month)> = Vec::new();
    let mut accs: Vec<Acc> = Vec::new();
    for (p, row) in projects.rows.iter().enumerate() {
        if scan
            .projects
            .is_some_and(|mask| !mask.get(p).copied().unwrap_or(false))
        {
            continue;
        }
        let chunk: &Chunk = store.chunk(p as u32);
        if chunk.is_empty() {
            continue;
        }
        let p = p as u32;
        let readable = scan
            .readable
            .is_some_and(|mask| mask.get(p as usize).copied().unwrap_or(false));
        let no_funder = [NO_FUNDER];
        let funder_groups: &[u32] = if shape.funder && !row.funders.is_empty() {
            &row.funders
        } else {
            &no_funder
        };
        for &funder in funder_groups {
            let base = GroupKey {
                stage: if shape.stage { row.stage as u8 } else { 0 },
                area: if shape.area { row.area } else { 0 },
                funder: if shape.funder { funder } else { 0 },
                project: if shape.project { p } else { 0 },
                organisation: if shape.organisation { row.lead } else { 0 },
                time: 0,
            };
            for &m in &measures {
                let range = chunk.measure_range(m);
                let ends = &chunk.end[range.clone()];
                let lo = range.start + scan.from.map_or(0, |f| ends.partition_point(|e| *e < f));
                let hi = range.start
                    + scan
                        .to
                        .map_or(ends.len(), |t| ends.partition_point(|e| *e <= t));
                let slot = if scan.pool_measures {
                    0
                } else {
                    usize::from(m)
                };
                let mut run: Option<(i32, Run)> = None;
                for i in lo..hi {
                    let flags = chunk.flags[i];
                    let status_ok = if flags.verified() {
                        scan.verified
                    } else {
                        scan.submitted
                    };
                    if !status_ok || !sources[flags.source()] || !evidence[flags.evidence()] {
                        continue;
                    }
                    let month = chunk.month[i];
                    let time = shape.time(month);
                    if run.as_ref().is_none_or(|(t, _)| *t != time) {
                        if let Some((_, done)) = run.take() {
                            flush(&mut accs, done, p, readable, scan.pool_measures);
                        }
                        let key = GroupKey { time, ..base };
                        let group = match groups.get(&key) {
                            Some(g) => *g,
                            None => {
                                if group_list.len() >= MAX_GROUPS {
                                    return Err(TooManyGroups);
                                }
                                let g = group_list.len();
                                groups.insert(key, g);
                                group_list.push((key, month));
                                accs.resize(accs.len() + width, Acc::default());
                                g
                            }
                        };
                        run = Some((
                            time,
                            Run {
                                cell: group * width + slot,
                                ..Run::default()
                            },
                        ));
                    }
                    let Some((_, r)) = run.as_mut() else {
                        continue;
                    };
                    let left_out = scan.left_out.is_some_and(|l| {
                        l.record(p, m, month) || (shape.funder && l.funder(funder, m, month))
                    });
                    if left_out {
                        r.left_out += 1;
                        continue;
                    }
                    let (value, baseline, target) =
                        (chunk.value[i], chunk.baseline(i), chunk.target(i));
                    r.totals
                        .add_record(value, chunk.sample(i), baseline, target);
                    r.last = Some((value, baseline, target));
                    r.cell_key = r.cell_key.with(i16::from(chunk.key[i]));
                }
                if let Some((_, done)) = run.take() {
                    flush(&mut accs, done, p, readable, scan.pool_measures);
                }
            }
        }
    }
    let mut cells = Vec::new();
    for (g, (key, month)) in group_list.iter().enumerate() {
        for slot in 0..width {
            let acc = &accs[g * width + slot];
            if acc.totals.records == 0 && acc.left_out == 0 {
                continue;
            }
            let measure = (!scan.pool_measures).then_some(slot as u16);
            cells.push(Cell {
                key: key_parts(store, scan.dimensions, key, *month, measure),
                measure,
                totals: acc.totals.clone(),
                cell_key: acc.cell_key,
                readable: acc.readable,
                left_out: acc.left_out,
            });
        }
    }
    Ok(cells)
}

/// Adds a finished run to its cell: one more project unless the project was there already
/// (pooled measures visit a cell once per measure).
fn flush(accs: &mut [Acc], run: Run, project: u32, readable: bool, pooled: bool) {
    let acc = &mut accs[run.cell];
    acc.left_out += run.left_out;
    if run.totals.records == 0 {
        return;
    }
    let mut totals = run.totals;
    let new_project = acc.last_project != Some(project);
    if let Some((value, baseline, target)) = run.last
        && !pooled
    {
        totals.set_latest(value, baseline, target);
    }
    totals.projects = i64::from(new_project);
    if new_project {
        acc.last_project = Some(project);
        acc.readable += i64::from(readable);
    }
    acc.totals.add(&totals, 1);
    acc.cell_key = CellKey(acc.cell_key.0.wrapping_add(run.cell_key.0));
}

fn key_parts(
    store: &Store,
    dimensions: &[Dimension],
    key: &GroupKey,
    month: Month,
    measure: Option<u16>,
) -> Vec<KeyPart> {
    let projects = &store.projects;
    dimensions
        .iter()
        .filter_map(|d| {
            Some(match d {
                Dimension::PathwayStage => KeyPart::Stage(
                    *b2h_entity::enums::PathwayStage::ALL.get(usize::from(key.stage))?,
                ),
                Dimension::Region => {
                    KeyPart::Area(projects.areas.get(usize::from(key.area))?.clone())
                }
                Dimension::Funder => {
                    KeyPart::Funder(projects.funders.get(key.funder as usize).copied())
                }
                Dimension::Project => KeyPart::Project(projects.rows.get(key.project as usize)?.id),
                Dimension::Organisation => {
                    KeyPart::Organisation(*projects.organisations.get(key.organisation as usize)?)
                }
                Dimension::Measure => {
                    KeyPart::Measure(store.measures.get(usize::from(measure?))?.id)
                }
                time => time_part(*time, month_date(month)),
            })
        })
        .collect()
}

/// A return that is due: the project, the measure and the end of the last period it reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub project: u32,
    pub measure: u16,
    pub last_period_end: Day,
}

/// For each reporting project (in `projects`, when given) and measure: it reported before
/// `start` and has no record overlapping `start..=end`.
pub fn missing_returns(store: &Store, start: Day, end: Day, projects: Option<&[bool]>) -> Vec<Due> {
    let mut due = Vec::new();
    for (p, row) in store.projects.rows.iter().enumerate() {
        if !row.reporting || projects.is_some_and(|mask| !mask.get(p).copied().unwrap_or(false)) {
            continue;
        }
        let chunk = store.chunk(p as u32);
        for m in 0..store.measures.len() as u16 {
            let range = chunk.measure_range(m);
            if range.is_empty() {
                continue;
            }
            let ends = &chunk.end[range.clone()];
            let before = ends.partition_point(|e| *e < start);
            if before == 0 {
                continue;
            }
            // Records ending on or after `start` overlap the period when they start by its end.
            let overlapping = (range.start + before..range.end).any(|i| chunk.start[i] <= end);
            if !overlapping {
                due.push(Due {
                    project: p as u32,
                    measure: m,
                    last_period_end: ends[before - 1],
                });
            }
        }
    }
    due
}
