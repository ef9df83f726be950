//! Grouped impact figures: each measure's records added up by its aggregation kind (sum, latest per
//! project, weighted mean), per group of any of the dimensions, by the figure engine's scan. The
//! project filter (any condition on projects, through their relations) is resolved to the set of
//! projects it takes by one query; everything else is the engine's.

use super::disclosure::CellKey;
use super::engine::{self, LeftOut, Scan, Store, day_of};
use b2h_entity::enums::{DataSource, EvidenceStrength, PathwayStage, RecordStatus};
use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::{Alias, Condition, Expr, Query};
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

/// What impact figures can be grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    PathwayStage,
    Region,
    Funder,
    Project,
    Organisation,
    Measure,
    Month,
    Quarter,
    Year,
    FinancialYear,
}

impl Dimension {
    /// Breakdowns below national level: controlled for anonymous readers.
    pub fn is_local(self) -> bool {
        matches!(
            self,
            Dimension::Region | Dimension::Funder | Dimension::Project | Dimension::Organisation
        )
    }

    pub fn is_time(self) -> bool {
        matches!(
            self,
            Dimension::Month | Dimension::Quarter | Dimension::Year | Dimension::FinancialYear
        )
    }
}

/// Most groups one answer may hold.
pub const MAX_GROUPS: usize = 10_000;

/// Which records count.
#[derive(Clone, Debug, Default)]
pub struct ImpactFilter {
    /// `period_end` on or after.
    pub from: Option<NaiveDate>,
    /// `period_end` on or before.
    pub to: Option<NaiveDate>,
    /// Measure codes; all when empty.
    pub measures: Vec<String>,
    /// Submitted and verified when empty (drafts never count).
    pub statuses: Vec<RecordStatus>,
    /// All when empty.
    pub data_sources: Vec<DataSource>,
    pub evidence_strengths: Vec<EvidenceStrength>,
    /// A condition on `project` rows (the project filter grammar).
    pub projects: Option<Condition>,
}

/// One value of a dimension in a group's key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyPart {
    Stage(PathwayStage),
    /// Region code, or nation code outside England.
    Area(String),
    /// `None`: the projects no funder has an allocation to.
    Funder(Option<Uuid>),
    Project(Uuid),
    Organisation(Uuid),
    Measure(Uuid),
    /// First day of the month.
    Month(NaiveDate),
    /// Year and quarter 1-4.
    Quarter(i32, u32),
    Year(i32),
    /// The year the financial year starts (2023 for April 2023 to March 2024).
    FinancialYear(i32),
}

pub use super::totals::MeasureFigure;

/// One measure's figure in one cell, with what disclosure control needs.
#[derive(Clone, Debug, PartialEq)]
pub struct CellFigure {
    pub figure: MeasureFigure,
    /// The sum of its records' keys.
    pub key: CellKey,
    /// How many of its projects the reader may read (when the request said whose they are).
    pub readable: i64,
}

/// One group: its key (in the order of the dimensions asked for) and a figure per measure with
/// records in it, by measure code.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub key: Vec<KeyPart>,
    pub figures: Vec<CellFigure>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Engine(#[from] engine::EngineError),
}

impl From<engine::TooManyGroups> for ImpactError {
    fn from(e: engine::TooManyGroups) -> Self {
        ImpactError::Invalid(e.to_string())
    }
}

pub(crate) fn time_part(dimension: Dimension, month: NaiveDate) -> KeyPart {
    match dimension {
        Dimension::Quarter => KeyPart::Quarter(month.year(), (month.month() - 1) / 3 + 1),
        Dimension::Year => KeyPart::Year(month.year()),
        Dimension::FinancialYear => KeyPart::FinancialYear(if month.month() >= 4 {
            month.year()
        } else {
            month.year() - 1
        }),
        _ => KeyPart::Month(month),
    }
}

/// The ids of the projects a condition on `project` rows takes.
pub async fn projects_where(
    db: &impl ConnectionTrait,
    condition: Condition,
) -> Result<Vec<Uuid>, DbErr> {
    let mut query = Query::select();
    query
        .expr(Expr::col((Alias::new("project"), Alias::new("id"))))
        .from(Alias::new("project"))
        .cond_where(condition);
    let rows = db
        .query_all_raw(db.get_database_backend().build(&query))
        .await?;
    rows.iter().map(|r| r.try_get_by_index::<Uuid>(0)).collect()
}

/// Who reads: the projects whose records the reader may read, counted in each cell.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reader<'a> {
    pub readable: Option<&'a [bool]>,
    /// Only these projects' records (a key outside the published dimensions reads its own).
    pub within: Option<&'a [bool]>,
    /// The public figures' exclusions, for a publication.
    pub left_out: Option<&'a LeftOut>,
}

/// Checks a request's dimensions and statuses.
pub fn check(filter: &ImpactFilter, dimensions: &[Dimension]) -> Result<(), ImpactError> {
    let mut seen = HashSet::new();
    for d in dimensions {
        if !seen.insert(*d) {
            return Err(ImpactError::Invalid(format!("groupBy names {d:?} twice")));
        }
    }
    if filter.statuses.contains(&RecordStatus::Draft) {
        return Err(ImpactError::Invalid(
            "drafts never count in figures: filter by SUBMITTED and VERIFIED".into(),
        ));
    }
    Ok(())
}

/// A mask over `all` of the values asked for; `None` (all) when none are.
fn mask<T: PartialEq>(all: &[T], asked: &[T]) -> Option<Vec<bool>> {
    (!asked.is_empty()).then(|| all.iter().map(|v| asked.contains(v)).collect())
}

/// Computes the groups from `store`.
pub async fn impact(
    db: &impl ConnectionTrait,
    store: &Store,
    filter: &ImpactFilter,
    dimensions: &[Dimension],
    reader: Reader<'_>,
) -> Result<Vec<Group>, ImpactError> {
    check(filter, dimensions)?;
    let mut measures = vec![false; store.measures.len()];
    for code in &filter.measures {
        match store.measure(code) {
            Some(m) => measures[usize::from(m)] = true,
            None => {
                return Err(ImpactError::Invalid(format!(
                    "no measure has the code '{code}'"
                )));
            }
        }
    }
    let mut projects = match &filter.projects {
        Some(condition) => Some(store.project_mask(projects_where(db, condition.clone()).await?)),
        None => None,
    };
    if let Some(within) = reader.within {
        projects = Some(match projects {
            Some(mask) => mask.iter().zip(within).map(|(a, b)| *a && *b).collect(),
            None => within.to_vec(),
        });
    }
    let statuses = &filter.statuses;
    let scan = Scan {
        from: filter.from.map(day_of),
        to: filter.to.map(day_of),
        measures: (!filter.measures.is_empty()).then_some(measures),
        submitted: statuses.is_empty() || statuses.contains(&RecordStatus::Submitted),
        verified: statuses.is_empty() || statuses.contains(&RecordStatus::Verified),
        sources: mask(DataSource::ALL, &filter.data_sources),
        evidence: mask(EvidenceStrength::ALL, &filter.evidence_strengths),
        projects: projects.as_deref(),
        readable: reader.readable,
        dimensions,
        pool_measures: false,
        left_out: reader.left_out,
    };
    Ok(groups(store, engine::scan(store, &scan)?))
}

/// The cells of a scan as groups in key order, each group's figures by measure code.
pub fn groups(store: &Store, cells: Vec<engine::Cell>) -> Vec<Group> {
    let mut groups: BTreeMap<Vec<KeyPart>, Vec<CellFigure>> = BTreeMap::new();
    for cell in cells {
        let Some(measure) = cell
            .measure
            .and_then(|m| store.measures.get(usize::from(m)))
        else {
            continue;
        };
        if cell.totals.records == 0 {
            continue;
        }
        groups.entry(cell.key).or_default().push(CellFigure {
            figure: cell.totals.figure(measure),
            key: cell.cell_key,
            readable: cell.readable,
        });
    }
    groups
        .into_iter()
        .map(|(key, mut figures)| {
            figures.sort_by(|a, b| a.figure.measure.code.cmp(&b.figure.measure.code));
            Group { key, figures }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn financial_years_start_in_april() {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        assert_eq!(
            time_part(Dimension::FinancialYear, d(2024, 3)),
            KeyPart::FinancialYear(2023)
        );
        assert_eq!(
            time_part(Dimension::FinancialYear, d(2024, 4)),
            KeyPart::FinancialYear(2024)
        );
        assert_eq!(
            time_part(Dimension::Quarter, d(2024, 6)),
            KeyPart::Quarter(2024, 2)
        );
    }
}
