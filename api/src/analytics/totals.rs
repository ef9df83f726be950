//! A measure's counted records added up over a set of projects: everything each aggregation kind
//! needs (sums for flows, each project's latest record for stocks, sample-weighted sums for
//! means). Every field adds up over projects, so totals of disjoint sets of projects add up.

use b2h_entity::enums::Aggregation;
use b2h_entity::outcome_measure;
use std::sync::Arc;

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
    pub measure: Arc<outcome_measure::Model>,
    pub value: f64,
    pub records: i64,
    pub projects: i64,
    /// Σ sample sizes of the records that have one.
    pub sample_size: Option<i64>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
}

impl Totals {
    /// Adds one record's figures (not its latest: see [`Self::set_latest`]).
    pub fn add_record(
        &mut self,
        value: f64,
        sample: Option<i64>,
        baseline: Option<f64>,
        target: Option<f64>,
    ) {
        self.records += 1;
        self.sum_value += value;
        if let Some(s) = sample {
            self.weighted += value * s as f64;
            self.sample += s;
            self.samples += 1;
        }
        if let Some(b) = baseline {
            self.base_sum += b;
            self.base_n += 1;
            if let Some(s) = sample {
                self.base_weighted += b * s as f64;
                self.base_sample += s;
            }
        }
        if let Some(g) = target {
            self.target_sum += g;
            self.target_n += 1;
            if let Some(s) = sample {
                self.target_weighted += g * s as f64;
                self.target_sample += s;
            }
        }
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

    /// The measure's figure from these totals, by its aggregation kind.
    pub fn figure(&self, measure: &Arc<outcome_measure::Model>) -> MeasureFigure {
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
            measure: Arc::clone(measure),
            value,
            records: self.records,
            projects: self.projects,
            sample_size: (self.samples > 0).then_some(self.sample),
            baseline,
            target,
        }
    }
}
