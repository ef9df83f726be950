//! `impact(filter, groupBy)`: figures per measure, added up by each measure's aggregation kind, per
//! group; disclosure controlled below national level for readers without full record access.

use super::enums::{Aggregation, DataSource, EvidenceStrength, PathwayStage, RecordStatus};
use super::funder::Funder;
use super::measure::OutcomeMeasure;
use super::organisation::Organisation;
use super::progress::Place;
use super::project::{Project, ProjectFilter};
use super::related;
use crate::analytics::disclosure::{CellKey, Shown};
use crate::analytics::impact::{self, Dimension, KeyPart};
use crate::analytics::published::{PublishedFigure, figure_kind};
use crate::graphql::error::ApiResult;
use crate::graphql::plain::{self, Fields, Out, leaf};
use crate::graphql::reference::Reference;
use crate::graphql::scalars::{Date, DateTime};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, Value};
use std::sync::Arc;
use uuid::Uuid;

/// What impact figures can be grouped by (several at once).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ImpactDimension {
    /// The project's primary pathway stage (groups add up to the total).
    PathwayStage,
    /// The project's NHS England region, or its nation outside England.
    Region,
    /// Every funder with an allocation to the project: groups overlap (a project funded twice
    /// counts in both); projects without one form a group without a funder.
    Funder,
    /// The project.
    Project,
    /// The project's lead organisation.
    Organisation,
    /// The measure (each group then holds one figure).
    Measure,
    /// Month of `periodEnd`.
    Month,
    /// Calendar quarter of `periodEnd`.
    Quarter,
    /// Calendar year of `periodEnd`.
    Year,
    /// UK financial year (April to March) of `periodEnd`.
    FinancialYear,
}

impl From<ImpactDimension> for Dimension {
    fn from(d: ImpactDimension) -> Self {
        match d {
            ImpactDimension::PathwayStage => Dimension::PathwayStage,
            ImpactDimension::Region => Dimension::Region,
            ImpactDimension::Funder => Dimension::Funder,
            ImpactDimension::Project => Dimension::Project,
            ImpactDimension::Organisation => Dimension::Organisation,
            ImpactDimension::Measure => Dimension::Measure,
            ImpactDimension::Month => Dimension::Month,
            ImpactDimension::Quarter => Dimension::Quarter,
            ImpactDimension::Year => Dimension::Year,
            ImpactDimension::FinancialYear => Dimension::FinancialYear,
        }
    }
}

/// Which records the figures add up. Submitted and verified records only; drafts never count.
#[derive(InputObject, Default)]
pub struct ImpactFilter {
    /// Records whose period ends on or after this day.
    pub period_from: Option<Date>,
    /// Records whose period ends on or before this day.
    pub period_to: Option<Date>,
    /// Measure codes (`patients_supported`); all when left out.
    pub measure: Option<Vec<String>>,
    /// SUBMITTED, VERIFIED or both (the default).
    pub status: Option<Vec<RecordStatus>>,
    /// Where the figures come from.
    pub data_source: Option<Vec<DataSource>>,
    /// How strong the evidence is.
    pub evidence_strength: Option<Vec<EvidenceStrength>>,
    /// Which projects (the project filter: funder, stage, region, lead organisation…).
    pub project: Option<ProjectFilter>,
}

/// A group's key: the value of each dimension grouped by (the others are null).
pub struct ImpactKey {
    parts: Vec<KeyPart>,
    reference: Arc<Reference>,
}

impl ImpactKey {
    fn stage(&self) -> Option<PathwayStage> {
        self.parts.iter().find_map(|p| match p {
            KeyPart::Stage(s) => Some((*s).into()),
            _ => None,
        })
    }

    fn place(&self) -> Option<Place> {
        self.parts.iter().find_map(|p| match p {
            KeyPart::Area(code) => Some(Place {
                code: code.clone(),
                name: self.reference.place_name(code),
            }),
            _ => None,
        })
    }

    fn funder_id(&self) -> Option<Uuid> {
        self.parts.iter().find_map(|p| match p {
            KeyPart::Funder(f) => *f,
            _ => None,
        })
    }

    fn project_id(&self) -> Option<Uuid> {
        self.parts.iter().find_map(|p| match p {
            KeyPart::Project(id) => Some(*id),
            _ => None,
        })
    }

    fn organisation_id(&self) -> Option<Uuid> {
        self.parts.iter().find_map(|p| match p {
            KeyPart::Organisation(id) => Some(*id),
            _ => None,
        })
    }

    fn measure_id(&self) -> Option<Uuid> {
        self.parts.iter().find_map(|p| match p {
            KeyPart::Measure(id) => Some(*id),
            _ => None,
        })
    }

    fn month_start(&self) -> Option<Date> {
        self.parts.iter().find_map(|p| match p {
            KeyPart::Month(m) => Some((*m).into()),
            _ => None,
        })
    }

    fn quarter_label(&self) -> Option<String> {
        self.parts.iter().find_map(|p| match p {
            KeyPart::Quarter(y, q) => Some(format!("{y}-Q{q}")),
            _ => None,
        })
    }

    fn year_number(&self) -> Option<i32> {
        self.parts.iter().find_map(|p| match p {
            KeyPart::Year(y) => Some(*y),
            _ => None,
        })
    }

    fn financial_year_label(&self) -> Option<String> {
        self.parts.iter().find_map(|p| match p {
            KeyPart::FinancialYear(y) => Some(format!("{y}/{:02}", (y + 1) % 100)),
            _ => None,
        })
    }
}

// The schema's side of the key; answers come from its `Fields` below.
/// A group's key: the value of each dimension grouped by (the others are null).
#[Object]
impl ImpactKey {
    /// The primary pathway stage.
    async fn pathway_stage(&self) -> Option<PathwayStage> {
        self.stage()
    }

    /// The region, or nation outside England.
    async fn region(&self) -> Option<Place> {
        self.place()
    }

    /// The funder (null in the group of projects without one, and when not grouped by funder).
    async fn funder(&self, ctx: &Context<'_>) -> ApiResult<Option<Funder>> {
        match self.funder_id() {
            Some(id) => related(ctx, |l| &l.funders, id, Funder).await,
            None => Ok(None),
        }
    }

    /// The project.
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<Option<Project>> {
        match self.project_id() {
            Some(id) => related(ctx, |l| &l.projects, id, Project).await,
            None => Ok(None),
        }
    }

    /// The lead organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<Organisation>> {
        match self.organisation_id() {
            Some(id) => related(ctx, |l| &l.organisations, id, Organisation).await,
            None => Ok(None),
        }
    }

    /// The measure.
    async fn measure(&self, ctx: &Context<'_>) -> ApiResult<Option<OutcomeMeasure>> {
        match self.measure_id() {
            Some(id) => related(ctx, |l| &l.measures, id, OutcomeMeasure::of).await,
            None => Ok(None),
        }
    }

    /// The month's first day.
    async fn month(&self) -> Option<Date> {
        self.month_start()
    }

    /// The calendar quarter (`2024-Q2`).
    async fn quarter(&self) -> Option<String> {
        self.quarter_label()
    }

    /// The calendar year.
    async fn year(&self) -> Option<i32> {
        self.year_number()
    }

    /// The UK financial year (`2023/24`: April 2023 to March 2024).
    async fn financial_year(&self) -> Option<String> {
        self.financial_year_label()
    }
}

impl Fields for ImpactKey {
    fn type_name(&self) -> &'static str {
        "ImpactKey"
    }

    fn field<'a>(&'a self, name: &str) -> Out<'a> {
        let later = |id: Option<Uuid>, out: fn(Uuid) -> Out<'static>| match id {
            Some(id) => out(id),
            None => Out::Value(Value::Null),
        };
        match name {
            "pathwayStage" => leaf(&self.stage()),
            "region" => match self.place() {
                Some(place) => Out::Owned(Box::new(place)),
                None => Out::Value(Value::Null),
            },
            "funder" => later(self.funder_id(), |id| {
                plain::related(|l| &l.funders, id, Funder)
            }),
            "project" => later(self.project_id(), |id| {
                plain::related(|l| &l.projects, id, Project)
            }),
            "organisation" => later(self.organisation_id(), |id| {
                plain::related(|l| &l.organisations, id, Organisation)
            }),
            "measure" => later(self.measure_id(), |id| {
                plain::related(|l| &l.measures, id, OutcomeMeasure::of)
            }),
            "month" => leaf(&self.month_start()),
            "quarter" => leaf(&self.quarter_label()),
            "year" => leaf(&self.year_number()),
            "financialYear" => leaf(&self.financial_year_label()),
            _ => Out::Unknown,
        }
    }
}

/// One measure's figure in a group. A suppressed figure's values are null.
#[derive(SimpleObject)]
pub struct ImpactFigure {
    /// The measure.
    pub measure: OutcomeMeasure,
    /// How its records add up: SUM, LATEST (each project's latest period, summed over projects)
    /// or WEIGHTED_MEAN (by sample size).
    pub aggregation: Aggregation,
    /// The figure, in the measure's unit (perturbed for the public: see `perturbed`).
    pub value: Option<f64>,
    /// Records behind the figure (never withheld).
    pub records: i64,
    /// Projects behind the figure (never withheld).
    pub projects: i64,
    /// Total sample size of the records that give one (for the public: a mean's perturbed
    /// denominator; null when the mean is withheld).
    pub sample_size: Option<i64>,
    /// The baseline, added up the same way, where records give one.
    pub baseline: Option<f64>,
    /// The target, added up the same way, where records give one.
    pub target: Option<f64>,
    /// Whether the figure is withheld (fewer than three projects, 1 to 7 people, or a mean over
    /// fewer than 8 people), for readers who may not see it exact.
    pub suppressed: bool,
    /// Whether the figure is rounded (no longer: public figures are perturbed instead).
    pub rounded: bool,
    /// Whether the figure carries the public figures' noise (cell-key perturbation: the same
    /// cell always shows the same value); exact when false.
    pub perturbed: bool,
    /// When the publication this figure comes from was made; null for live figures.
    pub published_at: Option<DateTime>,
}

/// How a figure is shown.
#[derive(Clone, Copy, Debug)]
pub enum Showing {
    /// Live and exact (keys that may see it so).
    Exact,
    /// As published: perturbed or withheld by the cell's key and projects.
    Published {
        key: CellKey,
        at: chrono::DateTime<chrono::Utc>,
    },
}

/// The figure as `showing` says.
pub fn figure(f: impact::MeasureFigure, showing: Showing) -> ImpactFigure {
    let m = &f.measure;
    let kind = |v: f64| figure_kind(m, v, f.sample_size);
    let (shown, baseline, target, published_at) = match showing {
        Showing::Exact => {
            let mut shown = Shown::exact_with(kind(f.value));
            shown.sample = f.sample_size;
            (shown, f.baseline, f.target, None)
        }
        Showing::Published { key, at } => {
            let p = PublishedFigure::of(&f, key);
            (p.shown, p.baseline, p.target, Some(at))
        }
    };
    ImpactFigure {
        aggregation: m.aggregation.into(),
        value: shown.value,
        records: f.records,
        projects: f.projects,
        sample_size: shown.sample,
        baseline,
        target,
        suppressed: shown.suppressed,
        rounded: shown.rounded,
        perturbed: shown.perturbed,
        published_at: published_at.map(DateTime),
        measure: OutcomeMeasure(Arc::clone(&f.measure)),
    }
}

/// One group of an impact breakdown.
#[derive(SimpleObject)]
pub struct ImpactGroup {
    /// The group's key.
    pub key: ImpactKey,
    /// A figure per measure with records in the group, by measure code.
    pub figures: Vec<ImpactFigure>,
}

impl Fields for ImpactGroup {
    fn type_name(&self) -> &'static str {
        "ImpactGroup"
    }

    fn field<'a>(&'a self, name: &str) -> Out<'a> {
        match name {
            "key" => Out::Object(Some(&self.key)),
            "figures" => Out::List(self.figures.iter().map(|f| f as &dyn Fields).collect()),
            _ => Out::Unknown,
        }
    }
}

impl Fields for ImpactFigure {
    fn type_name(&self) -> &'static str {
        "ImpactFigure"
    }

    fn field<'a>(&'a self, name: &str) -> Out<'a> {
        match name {
            "measure" => Out::Object(Some(&self.measure)),
            "aggregation" => leaf(&self.aggregation),
            "value" => leaf(&self.value),
            "records" => leaf(&self.records),
            "projects" => leaf(&self.projects),
            "sampleSize" => leaf(&self.sample_size),
            "baseline" => leaf(&self.baseline),
            "target" => leaf(&self.target),
            "suppressed" => leaf(&self.suppressed),
            "rounded" => leaf(&self.rounded),
            "perturbed" => leaf(&self.perturbed),
            "publishedAt" => leaf(&self.published_at),
            _ => Out::Unknown,
        }
    }
}

/// Wraps computed groups for the answer, each figure shown as `showing` says of it.
pub fn groups<F>(
    computed: Vec<(Vec<KeyPart>, Vec<F>)>,
    showing: impl Fn(&F) -> Showing,
    into: impl Fn(F) -> impact::MeasureFigure,
    reference: &Arc<Reference>,
) -> Vec<ImpactGroup> {
    computed
        .into_iter()
        .map(|(key, figures)| ImpactGroup {
            key: ImpactKey {
                parts: key,
                reference: Arc::clone(reference),
            },
            figures: figures
                .into_iter()
                .map(|f| {
                    let showing = showing(&f);
                    figure(into(f), showing)
                })
                .collect(),
        })
        .collect()
}
