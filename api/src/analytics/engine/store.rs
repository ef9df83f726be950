//! What the engine holds: the counted records' figure columns, one chunk per project, and the
//! projects' attributes in side tables joined by index. A store is never changed once built: a
//! change builds the next store, sharing every chunk it did not touch, so readers and the
//! publication keep the store they took for as long as they need it.

use b2h_entity::enums::{DataSource, EvidenceStrength, PathwayStage, RecordStatus};
use b2h_entity::outcome_measure;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Days since 1970-01-01 (Arrow's `date32`).
pub type Day = i32;

const EPOCH_FROM_CE: i32 = 719_163;

pub fn day_of(date: NaiveDate) -> Day {
    date.num_days_from_ce() - EPOCH_FROM_CE
}

pub fn date_of(day: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day.saturating_add(EPOCH_FROM_CE)).unwrap_or_default()
}

/// A record's status, data source and evidence strength in one byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags(pub u8);

impl Flags {
    pub fn new(status: RecordStatus, source: DataSource, evidence: EvidenceStrength) -> Self {
        let verified = u8::from(status == RecordStatus::Verified);
        Flags(
            verified
                | (ordinal(DataSource::ALL, source) << 1)
                | (ordinal(EvidenceStrength::ALL, evidence) << 3),
        )
    }

    pub fn verified(self) -> bool {
        self.0 & 1 == 1
    }

    /// Index in [`DataSource::ALL`].
    pub fn source(self) -> usize {
        usize::from((self.0 >> 1) & 0b11)
    }

    /// Index in [`EvidenceStrength::ALL`].
    pub fn evidence(self) -> usize {
        usize::from((self.0 >> 3) & 0b11)
    }
}

fn ordinal<T: PartialEq>(all: &[T], value: T) -> u8 {
    all.iter().position(|v| *v == value).unwrap_or(0) as u8
}

/// One counted record as read, before it goes into its project's chunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RecordRow {
    pub measure: u16,
    pub start: Day,
    pub end: Day,
    pub value: f64,
    pub sample: Option<i32>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub flags: Flags,
    /// The record's disclosure key (0-255).
    pub key: u8,
}

/// No sample size, baseline or target.
const NO_SAMPLE: i32 = i32::MIN;

/// One project's counted records, as columns, in the order figures read them: by measure, then
/// period end. Ties on period end go to the later start, then the larger value, baseline and
/// target, so that "the latest record" is the last of its measure and well defined (records
/// equal in all of those have the same figures).
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    pub measure: Vec<u16>,
    pub start: Vec<Day>,
    pub end: Vec<Day>,
    /// The month of `end` (year × 12 + month − 1): kept beside it because time groupings ask
    /// for it for every record.
    pub month: Vec<i32>,
    pub value: Vec<f64>,
    sample: Vec<i32>,
    /// NaN for none (values are finite: the schema refuses others).
    baseline: Vec<f64>,
    target: Vec<f64>,
    pub flags: Vec<Flags>,
    pub key: Vec<u8>,
}

fn optional(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

impl Chunk {
    pub fn build(mut rows: Vec<RecordRow>) -> Chunk {
        let number = |v: Option<f64>| v.unwrap_or(f64::NEG_INFINITY);
        rows.sort_by(|a, b| {
            (a.measure, a.end, a.start)
                .cmp(&(b.measure, b.end, b.start))
                .then(a.value.total_cmp(&b.value))
                .then(number(a.baseline).total_cmp(&number(b.baseline)))
                .then(number(a.target).total_cmp(&number(b.target)))
        });
        let n = rows.len();
        let mut chunk = Chunk {
            measure: Vec::with_capacity(n),
            start: Vec::with_capacity(n),
            end: Vec::with_capacity(n),
            month: Vec::with_capacity(n),
            value: Vec::with_capacity(n),
            sample: Vec::with_capacity(n),
            baseline: Vec::with_capacity(n),
            target: Vec::with_capacity(n),
            flags: Vec::with_capacity(n),
            key: Vec::with_capacity(n),
        };
        for r in rows {
            chunk.measure.push(r.measure);
            chunk.start.push(r.start);
            chunk.end.push(r.end);
            let date = date_of(r.end);
            chunk.month.push(date.year() * 12 + date.month0() as i32);
            chunk.value.push(r.value);
            chunk.sample.push(r.sample.unwrap_or(NO_SAMPLE));
            chunk.baseline.push(r.baseline.unwrap_or(f64::NAN));
            chunk.target.push(r.target.unwrap_or(f64::NAN));
            chunk.flags.push(r.flags);
            chunk.key.push(r.key);
        }
        chunk
    }

    pub fn len(&self) -> usize {
        self.measure.len()
    }

    pub fn is_empty(&self) -> bool {
        self.measure.is_empty()
    }

    pub fn sample(&self, i: usize) -> Option<i64> {
        let s = self.sample[i];
        (s != NO_SAMPLE).then_some(i64::from(s))
    }

    pub fn baseline(&self, i: usize) -> Option<f64> {
        optional(self.baseline[i])
    }

    pub fn target(&self, i: usize) -> Option<f64> {
        optional(self.target[i])
    }

    /// The records of measure `m`: a range of positions.
    pub fn measure_range(&self, m: u16) -> std::ops::Range<usize> {
        let first = self.measure.partition_point(|x| *x < m);
        let last = self.measure.partition_point(|x| *x <= m);
        first..last
    }

    /// Bytes held, for the memory figures.
    pub fn bytes(&self) -> usize {
        self.len() * (2 + 4 + 4 + 4 + 8 + 4 + 8 + 8 + 1 + 1)
    }
}

/// A project as figures see it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectRow {
    pub id: Uuid,
    pub campaign: Uuid,
    pub stage: PathwayStage,
    /// Index in [`Projects::areas`]: the region, or the nation outside England.
    pub area: u16,
    /// Index in [`Projects::organisations`]: the lead organisation.
    pub lead: u32,
    /// Active and not archived: expected to report (missing returns).
    pub reporting: bool,
    /// Indexes in [`Projects::funders`] of the funders with a live allocation to it, sorted.
    pub funders: Vec<u32>,
}

/// The projects and the dictionaries their attributes are coded in.
#[derive(Clone, Debug, Default)]
pub struct Projects {
    /// By id.
    pub rows: Vec<ProjectRow>,
    pub index: HashMap<Uuid, u32>,
    /// Sorted.
    pub areas: Vec<String>,
    pub organisations: Vec<Uuid>,
    pub funders: Vec<Uuid>,
}

/// A project as read, before coding.
pub struct ProjectInput {
    pub id: Uuid,
    pub campaign: Uuid,
    pub stage: PathwayStage,
    pub area: String,
    pub lead: Uuid,
    pub reporting: bool,
}

impl Projects {
    /// Codes projects and their funders (`(project, funder)` pairs of live allocations).
    pub fn build(mut inputs: Vec<ProjectInput>, funding: Vec<(Uuid, Uuid)>) -> Projects {
        inputs.sort_by_key(|p| p.id);
        inputs.dedup_by_key(|p| p.id);
        let mut areas: Vec<String> = inputs.iter().map(|p| p.area.clone()).collect();
        areas.sort();
        areas.dedup();
        let mut organisations: Vec<Uuid> = inputs.iter().map(|p| p.lead).collect();
        organisations.sort();
        organisations.dedup();
        let mut funders: Vec<Uuid> = funding.iter().map(|(_, f)| *f).collect();
        funders.sort();
        funders.dedup();
        let index: HashMap<Uuid, u32> = inputs
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i as u32))
            .collect();
        let code = |all: &[Uuid], id: &Uuid| all.binary_search(id).unwrap_or(0) as u32;
        let mut rows: Vec<ProjectRow> = inputs
            .into_iter()
            .map(|p| ProjectRow {
                area: areas.binary_search(&p.area).unwrap_or(0) as u16,
                lead: code(&organisations, &p.lead),
                id: p.id,
                campaign: p.campaign,
                stage: p.stage,
                reporting: p.reporting,
                funders: Vec::new(),
            })
            .collect();
        for (project, funder) in &funding {
            if let Some(i) = index.get(project) {
                rows[*i as usize].funders.push(code(&funders, funder));
            }
        }
        for row in &mut rows {
            row.funders.sort_unstable();
            row.funders.dedup();
        }
        Projects {
            rows,
            index,
            areas,
            organisations,
            funders,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Answers derived from one store, kept while the store is current (the next store starts
/// empty): the same question asked again between two changes costs a lookup.
#[derive(Default)]
pub struct Memo {
    answers: std::sync::Mutex<HashMap<String, Arc<dyn std::any::Any + Send + Sync>>>,
}

/// Most answers one store keeps.
const MEMO_ANSWERS: usize = 256;

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl Memo {
    /// The answer kept under `key`, or `make`'s, kept (unless the memo is full).
    pub fn get_or<T: Send + Sync + 'static>(
        &self,
        key: String,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        if let Some(found) = self
            .answers
            .lock()
            .ok()
            .and_then(|a| a.get(&key).cloned())
            .and_then(|a| a.downcast::<T>().ok())
        {
            return found;
        }
        let made = Arc::new(make());
        if let Ok(mut answers) = self.answers.lock()
            && answers.len() < MEMO_ANSWERS
        {
            answers.insert(key, made.clone());
        }
        made
    }
}

/// Everything the engine answers from, as of one change sequence.
#[derive(Clone, Debug, Default)]
pub struct Store {
    /// The change sequence the store reflects: every entry up to it, none after.
    pub sequence: i64,
    pub measures: Arc<Vec<Arc<outcome_measure::Model>>>,
    pub projects: Arc<Projects>,
    /// By project index.
    pub chunks: Vec<Arc<Chunk>>,
    /// Answers made from this store.
    pub memo: Arc<Memo>,
}

impl Store {
    pub fn records(&self) -> usize {
        self.chunks.iter().map(|c| c.len()).sum()
    }

    pub fn measure(&self, code: &str) -> Option<u16> {
        self.measures
            .iter()
            .position(|m| m.code == code)
            .map(|i| i as u16)
    }

    pub fn measure_by_id(&self, id: Uuid) -> Option<u16> {
        self.measures
            .iter()
            .position(|m| m.id == id)
            .map(|i| i as u16)
    }

    /// The chunk of project `p` (empty for a project without counted records).
    pub fn chunk(&self, p: u32) -> &Chunk {
        static EMPTY: Chunk = Chunk {
            measure: Vec::new(),
            start: Vec::new(),
            end: Vec::new(),
            month: Vec::new(),
            value: Vec::new(),
            sample: Vec::new(),
            baseline: Vec::new(),
            target: Vec::new(),
            flags: Vec::new(),
            key: Vec::new(),
        };
        self.chunks.get(p as usize).map_or(&EMPTY, |c| c.as_ref())
    }

    /// A mask over projects from a set of ids.
    pub fn project_mask(&self, ids: impl IntoIterator<Item = Uuid>) -> Vec<bool> {
        let mut mask = vec![false; self.projects.len()];
        for id in ids {
            if let Some(i) = self.projects.index.get(&id) {
                mask[*i as usize] = true;
            }
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_match_arrow_dates() {
        let d = NaiveDate::from_ymd_opt(1970, 1, 2).unwrap();
        assert_eq!(day_of(d), 1);
        assert_eq!(date_of(day_of(d)), d);
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(date_of(day_of(d)), d);
    }

    #[test]
    fn flags_keep_what_they_code() {
        let f = Flags::new(
            RecordStatus::Verified,
            DataSource::Estimate,
            EvidenceStrength::Strong,
        );
        assert!(f.verified());
        assert_eq!(DataSource::ALL[f.source()], DataSource::Estimate);
        assert_eq!(
            EvidenceStrength::ALL[f.evidence()],
            EvidenceStrength::Strong
        );
    }

    #[test]
    fn the_latest_record_of_a_measure_is_its_last() {
        let row = |measure, end, value| RecordRow {
            measure,
            start: end - 30,
            end,
            value,
            sample: None,
            baseline: None,
            target: None,
            flags: Flags(0),
            key: 0,
        };
        let chunk = Chunk::build(vec![
            row(1, 10, 5.0),
            row(0, 20, 1.0),
            row(1, 5, 7.0),
            row(1, 10, 2.0),
        ]);
        assert_eq!(chunk.measure, vec![0, 1, 1, 1]);
        assert_eq!(chunk.value, vec![1.0, 7.0, 2.0, 5.0]);
        assert_eq!(chunk.measure_range(1), 1..4);
        assert_eq!(chunk.measure_range(2), 4..4);
    }
}
