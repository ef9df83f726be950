//! A measure's counted records added up over a set of projects: everything each aggregation kind
//! needs (sums for flows, each project's latest record for stocks, sample-weighted sums for
//! means). Every field adds up over projects, so totals of disjoint sets of projects add up and
//! a write can apply its change as a difference. The columns of `impact_rollup` are these fields.

use b2h_entity::enums::Aggregation;
use b2h_entity::{outcome_measure, outcome_record};
use sea_orm::{DbErr, QueryResult};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    pub records: i64,
    pub projects: i64,
    pub sum_value: f64,
    /// Σ value × sample size, over the records that give a sample size.
    pub weighted: f64,
    pub sample: i64,
    /// Records that give a sample size.
    pub samples: i64,
    pub base_sum: f64,
    pub base_n: i64,
    pub base_weighted: f64,
    pub base_sample: i64,
    pub target_sum: f64,
    pub target_n: i64,
    pub target_weighted: f64,
    pub target_sample: i64,
    /// Σ over projects of the value of the project's latest record.
    pub latest_value: f64,
    pub latest_base: f64,
    pub latest_base_n: i64,
    pub latest_target: f64,
    pub latest_target_n: i64,
}

/// A measure's figure in one group, by its aggregation kind.
#[derive(Clone, Debug, PartialEq)]
pub struct MeasureFigure {
    pub measure: outcome_measure::Model,
    pub value: f64,
    pub records: i64,
    pub projects: i64,
    /// Σ sample sizes of the records that have one.
    pub sample_size: Option<i64>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
}

impl Totals {
    /// The fields, by column name, in one order used for reading and writing.
    pub const COLUMNS: [&'static str; 19] = b2h_migration::IMPACT_TOTALS;

    /// The SQL type of a column: whole numbers are counts and sample sizes.
    pub fn column_type(column: &str) -> &'static str {
        let float = column.ends_with("value")
            || column.ends_with("weighted")
            || column.ends_with("_sum")
            || matches!(column, "latest_base" | "latest_target");
        if float { "double precision" } else { "bigint" }
    }

    /// One project's records of one measure (in one bucket): their totals.
    pub fn of_project<'a>(records: impl IntoIterator<Item = &'a outcome_record::Model>) -> Totals {
        let mut t = Totals::default();
        let mut latest: Option<&outcome_record::Model> = None;
        for r in records {
            t.records += 1;
            t.sum_value += r.value;
            let sample = r.sample_size.map(i64::from);
            if let Some(s) = sample {
                t.weighted += r.value * s as f64;
                t.sample += s;
                t.samples += 1;
            }
            if let Some(b) = r.baseline {
                t.base_sum += b;
                t.base_n += 1;
                if let Some(s) = sample {
                    t.base_weighted += b * s as f64;
                    t.base_sample += s;
                }
            }
            if let Some(g) = r.target {
                t.target_sum += g;
                t.target_n += 1;
                if let Some(s) = sample {
                    t.target_weighted += g * s as f64;
                    t.target_sample += s;
                }
            }
            if latest.is_none_or(|l| r.period_end > l.period_end) {
                latest = Some(r);
            }
        }
        if let Some(l) = latest {
            t.projects = 1;
            t.set_latest(l.value, l.baseline, l.target);
        }
        t
    }

    /// Makes these one project's totals whose latest record has these figures.
    pub fn set_latest(&mut self, value: f64, baseline: Option<f64>, target: Option<f64>) {
        self.projects = 1;
        self.latest_value = value;
        self.latest_base = baseline.unwrap_or(0.0);
        self.latest_base_n = i64::from(baseline.is_some());
        self.latest_target = target.unwrap_or(0.0);
        self.latest_target_n = i64::from(target.is_some());
    }

    /// Adds `sign` (1 or -1) × `other`.
    pub fn add(&mut self, other: &Totals, sign: i64) {
        let f = sign as f64;
        self.records += sign * other.records;
        self.projects += sign * other.projects;
        self.sum_value += f * other.sum_value;
        self.weighted += f * other.weighted;
        self.sample += sign * other.sample;
        self.samples += sign * other.samples;
        self.base_sum += f * other.base_sum;
        self.base_n += sign * other.base_n;
        self.base_weighted += f * other.base_weighted;
        self.base_sample += sign * other.base_sample;
        self.target_sum += f * other.target_sum;
        self.target_n += sign * other.target_n;
        self.target_weighted += f * other.target_weighted;
        self.target_sample += sign * other.target_sample;
        self.latest_value += f * other.latest_value;
        self.latest_base += f * other.latest_base;
        self.latest_base_n += sign * other.latest_base_n;
        self.latest_target += f * other.latest_target;
        self.latest_target_n += sign * other.latest_target_n;
    }

    pub fn is_zero(&self) -> bool {
        *self == Totals::default()
    }

    /// The fields in [`Self::COLUMNS`] order, as values to bind.
    pub fn values(&self) -> [sea_orm::Value; 19] {
        [
            self.records.into(),
            self.projects.into(),
            self.sum_value.into(),
            self.weighted.into(),
            self.sample.into(),
            self.samples.into(),
            self.base_sum.into(),
            self.base_n.into(),
            self.base_weighted.into(),
            self.base_sample.into(),
            self.target_sum.into(),
            self.target_n.into(),
            self.target_weighted.into(),
            self.target_sample.into(),
            self.latest_value.into(),
            self.latest_base.into(),
            self.latest_base_n.into(),
            self.latest_target.into(),
            self.latest_target_n.into(),
        ]
    }

    /// Reads the fields from a row whose columns are named as in [`Self::COLUMNS`] (null as 0).
    pub fn from_row(row: &QueryResult) -> Result<Totals, DbErr> {
        let whole = |name: &str| -> Result<i64, DbErr> {
            Ok(row.try_get::<Option<i64>>("", name)?.unwrap_or(0))
        };
        let float = |name: &str| -> Result<f64, DbErr> {
            Ok(row.try_get::<Option<f64>>("", name)?.unwrap_or(0.0))
        };
        Ok(Totals {
            records: whole("records")?,
            projects: whole("projects")?,
            sum_value: float("sum_value")?,
            weighted: float("weighted")?,
            sample: whole("sample")?,
            samples: whole("samples")?,
            base_sum: float("base_sum")?,
            base_n: whole("base_n")?,
            base_weighted: float("base_weighted")?,
            base_sample: whole("base_sample")?,
            target_sum: float("target_sum")?,
            target_n: whole("target_n")?,
            target_weighted: float("target_weighted")?,
            target_sample: whole("target_sample")?,
            latest_value: float("latest_value")?,
            latest_base: float("latest_base")?,
            latest_base_n: whole("latest_base_n")?,
            latest_target: float("latest_target")?,
            latest_target_n: whole("latest_target_n")?,
        })
    }

    /// The measure's figure from these totals, by its aggregation kind.
    pub fn figure(&self, measure: &outcome_measure::Model) -> MeasureFigure {
        let mean = |sum: f64, n: i64| (n > 0).then(|| sum / n as f64);
        let (value, baseline, target) = match measure.aggregation {
            Aggregation::Sum => (
                self.sum_value,
                (self.base_n > 0).then_some(self.base_sum),
                (self.target_n > 0).then_some(self.target_sum),
            ),
            Aggregation::Latest => (
                self.latest_value,
                (self.latest_base_n > 0).then_some(self.latest_base),
                (self.latest_target_n > 0).then_some(self.latest_target),
            ),
            Aggregation::WeightedMean => (
                mean(self.weighted, self.sample).unwrap_or(0.0),
                mean(self.base_weighted, self.base_sample),
                mean(self.target_weighted, self.target_sample),
            ),
        };
        MeasureFigure {
            measure: measure.clone(),
            value,
            records: self.records,
            projects: self.projects,
            sample_size: (self.samples > 0).then_some(self.sample),
            baseline,
            target,
        }
    }
}
