//! Grouped impact figures: each measure's records added up by its aggregation kind (sum, latest per
//! project, weighted mean), per group of any of the dimensions, from one grouped query per request.
//!
//! The query groups counted records by the requested dimensions, measure, project and (for time
//! dimensions) month; the per-project partials are then combined here, which is what `latest`
//! needs (each project's latest period in the group, then summed over projects).

use b2h_entity::enums::{PathwayStage, RecordStatus};
use b2h_entity::outcome_measure;
use b2h_migration::{IMPACT_ALL_STAGES, ImpactGrain};
use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::{Condition, PostgresQueryBuilder, Query, SqliteQueryBuilder};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryResult, Statement,
};
use std::collections::{BTreeMap, HashMap, HashSet};
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

    fn is_time(self) -> bool {
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
    pub data_sources: Vec<String>,
    pub evidence_strengths: Vec<String>,
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
use super::totals::Totals;

/// One group: its key (in the order of the dimensions asked for) and a figure per measure.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub key: Vec<KeyPart>,
    pub figures: Vec<MeasureFigure>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// One project's records of one measure in one group, from the grouped query: its totals but for
/// the latest record, which is kept aside until all its partials are in.
#[derive(Clone, Debug, Default)]
struct Partial {
    totals: Totals,
    /// The latest record: its period end, value, baseline and target.
    last: Option<(String, f64, Option<f64>, Option<f64>)>,
}

impl Partial {
    fn absorb(&mut self, other: Partial) {
        self.totals.add(&other.totals, 1);
        if other.last.as_ref().map(|l| &l.0) > self.last.as_ref().map(|l| &l.0) {
            self.last = other.last;
        }
    }

    /// The project's totals.
    fn into_totals(self) -> Totals {
        let mut totals = self.totals;
        if let Some((_, value, baseline, target)) = self.last {
            totals.set_latest(value, baseline, target);
        }
        totals
    }
}

/// Splits `end|value|baseline|target` (empty for null).
fn parse_last(text: &str) -> Option<(String, f64, Option<f64>, Option<f64>)> {
    let mut parts = text.split('|');
    let end = parts.next()?.to_owned();
    let value = parts.next()?.trim().parse().ok()?;
    let number = |p: Option<&str>| p.and_then(|t| t.trim().parse::<f64>().ok());
    let baseline = number(parts.next());
    let target = number(parts.next());
    Some((end, value, baseline, target))
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

/// A row's group key, in the order of `dimensions`, from its `stage`, `area`, `organisation` and
/// `funder` columns, the measure and project it is of and the first day of its time bucket (a
/// value the row cannot give leaves its part out).
fn group_key(
    row: &QueryResult,
    dimensions: &[Dimension],
    measure_id: Uuid,
    project_id: Option<Uuid>,
    time: Option<NaiveDate>,
) -> Result<Vec<KeyPart>, DbErr> {
    let mut key = Vec::with_capacity(dimensions.len());
    for d in dimensions {
        let part = match d {
            Dimension::PathwayStage => {
                let stage: String = row.try_get("", "stage")?;
                PathwayStage::parse(&stage).map(KeyPart::Stage)
            }
            Dimension::Region => Some(KeyPart::Area(row.try_get("", "area")?)),
            Dimension::Organisation => {
                Some(KeyPart::Organisation(row.try_get("", "organisation")?))
            }
            Dimension::Funder => Some(KeyPart::Funder(row.try_get("", "funder")?)),
            Dimension::Project => project_id.map(KeyPart::Project),
            Dimension::Measure => Some(KeyPart::Measure(measure_id)),
            time_dimension => time.map(|t| time_part(*time_dimension, t)),
        };
        key.extend(part);
    }
    Ok(key)
}

/// Computes the groups.
pub async fn impact(
    db: &DatabaseConnection,
    filter: &ImpactFilter,
    dimensions: &[Dimension],
) -> Result<Vec<Group>, ImpactError> {
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
    let measures: Vec<outcome_measure::Model> = outcome_measure::Entity::find().all(db).await?;
    let mut measure_ids = Vec::new();
    for code in &filter.measures {
        match measures.iter().find(|m| &m.code == code) {
            Some(m) => measure_ids.push(m.id),
            None => {
                return Err(ImpactError::Invalid(format!(
                    "no measure has the code '{code}'"
                )));
            }
        }
    }
    let groups = match rollup_plan(filter, dimensions) {
        Some(plan) => from_rollup(db, &plan, &measure_ids, dimensions, &measures).await?,
        None => from_records(db, filter, &measure_ids, dimensions, &measures).await?,
    };
    if groups.len() > MAX_GROUPS {
        return Err(ImpactError::Invalid(format!(
            "more than {MAX_GROUPS} groups: group by fewer dimensions or filter"
        )));
    }
    Ok(groups)
}

/// How the rollup answers a request: the grain to read and the range of its buckets' first days.
#[derive(Debug, PartialEq)]
struct RollupPlan {
    grain: ImpactGrain,
    /// The first and last bucket read (by first day); open ends when `None`.
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
}

/// The plan when the rollup holds the answer exactly: the default statuses, no filter on data
/// source, evidence or projects, dimensions the rollup keeps (stage, region, measure, time), and
/// a period that covers whole buckets of the finest time dimension asked for.
fn rollup_plan(filter: &ImpactFilter, dimensions: &[Dimension]) -> Option<RollupPlan> {
    let default_statuses = filter
        .statuses
        .iter()
        .all(|s| matches!(s, RecordStatus::Submitted | RecordStatus::Verified))
        && (filter.statuses.is_empty()
            || (filter.statuses.contains(&RecordStatus::Submitted)
                && filter.statuses.contains(&RecordStatus::Verified)));
    let kept = dimensions.iter().all(|d| {
        matches!(
            d,
            Dimension::PathwayStage | Dimension::Region | Dimension::Measure
        ) || d.is_time()
    });
    if !default_statuses
        || !kept
        || !filter.data_sources.is_empty()
        || !filter.evidence_strengths.is_empty()
        || filter.projects.is_some()
    {
        return None;
    }
    let has = |d| dimensions.contains(&d);
    // Buckets of the grain must nest in every time dimension asked for.
    let grain = if has(Dimension::Month) {
        ImpactGrain::Month
    } else if has(Dimension::Quarter) {
        ImpactGrain::Quarter
    } else if has(Dimension::Year) && has(Dimension::FinancialYear) {
        return None;
    } else if has(Dimension::Year) {
        ImpactGrain::Year
    } else if has(Dimension::FinancialYear) {
        ImpactGrain::FinancialYear
    } else {
        ImpactGrain::All
    };
    let starts = |g: ImpactGrain, day: NaiveDate| g.bucket_start(day) == day;
    let ends = |g: ImpactGrain, day: NaiveDate| {
        day.succ_opt()
            .is_some_and(|next| g.bucket_start(next) == next)
    };
    match (grain, filter.from, filter.to) {
        (_, None, None) => Some(RollupPlan {
            grain,
            first: None,
            last: None,
        }),
        // Without a time dimension, a period of exactly one bucket of some grain.
        (ImpactGrain::All, Some(from), Some(to)) => ImpactGrain::EVERY
            .into_iter()
            .find(|g| {
                *g != ImpactGrain::All
                    && starts(*g, from)
                    && g.next_start(from).and_then(|n| n.pred_opt()) == Some(to)
            })
            .map(|g| RollupPlan {
                grain: g,
                first: Some(from),
                last: Some(from),
            }),
        (ImpactGrain::All, _, _) => None,
        (_, from, to) => {
            let aligned =
                from.is_none_or(|d| starts(grain, d)) && to.is_none_or(|d| ends(grain, d));
            aligned.then_some(RollupPlan {
                grain,
                first: from,
                last: to,
            })
        }
    }
}

/// The groups, from the impact rollup: its cells added up over the dimensions not asked for.
async fn from_rollup(
    db: &DatabaseConnection,
    plan: &RollupPlan,
    measure_ids: &[Uuid],
    dimensions: &[Dimension],
    measures: &[outcome_measure::Model],
) -> Result<Vec<Group>, ImpactError> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func};
    let table = Alias::new("impact_rollup");
    let col = |name: &str| Expr::col((table.clone(), Alias::new(name)));
    let mut query = Query::select();
    query
        .from(table.clone())
        .expr_as(col("measure_id"), Alias::new("measure_id"))
        .and_where(col("grain").eq(plan.grain.as_str()))
        .and_where(if dimensions.contains(&Dimension::PathwayStage) {
            col("primary_stage").ne(IMPACT_ALL_STAGES)
        } else {
            col("primary_stage").eq(IMPACT_ALL_STAGES)
        })
        .group_by_col((table.clone(), Alias::new("measure_id")));
    let timed = dimensions.iter().any(|d| d.is_time());
    // Named as `from_records` names them, for `group_key`.
    for (wanted, column, name) in [
        (dimensions.contains(&Dimension::Region), "area_code", "area"),
        (
            dimensions.contains(&Dimension::PathwayStage),
            "primary_stage",
            "stage",
        ),
        (timed, "bucket_start", "bucket_start"),
    ] {
        if wanted {
            query
                .expr_as(col(column), Alias::new(name))
                .group_by_col((table.clone(), Alias::new(column)));
        }
    }
    for column in Totals::COLUMNS {
        // Whole numbers are summed as doubles (exact below 2^53): PostgreSQL sums bigints as
        // numerics, several times slower.
        let float = Func::cast_as(col(column), Alias::new("double precision"));
        query.expr_as(
            Func::cast_as(Func::sum(float), Alias::new(Totals::column_type(column))),
            Alias::new(column),
        );
    }
    if !measure_ids.is_empty() {
        query.and_where(col("measure_id").is_in(measure_ids.to_vec()));
    }
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    if let Some(first) = plan.first {
        query.and_where(col("bucket_start").gte(day(first)));
    }
    if let Some(last) = plan.last {
        query.and_where(col("bucket_start").lte(day(last)));
    }
    let rows = db
        .query_all_raw(db.get_database_backend().build(&query))
        .await?;
    let by_id: HashMap<Uuid, &outcome_measure::Model> =
        measures.iter().map(|m| (m.id, m)).collect();
    let mut groups: BTreeMap<Vec<KeyPart>, Vec<MeasureFigure>> = BTreeMap::new();
    for row in rows {
        let measure_id: Uuid = row.try_get("", "measure_id")?;
        let Some(measure) = by_id.get(&measure_id) else {
            continue;
        };
        let bucket = if timed {
            let text: String = row.try_get("", "bucket_start")?;
            NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()
        } else {
            None
        };
        let key = group_key(&row, dimensions, measure_id, None, bucket)?;
        let figure = Totals::from_row(&row)?.figure(measure);
        groups.entry(key).or_default().push(figure);
        if groups.len() > MAX_GROUPS {
            break;
        }
    }
    Ok(sorted(groups))
}

/// The groups, from the records themselves: per project partials combined here.
async fn from_records(
    db: &DatabaseConnection,
    filter: &ImpactFilter,
    measure_ids: &[Uuid],
    dimensions: &[Dimension],
    measures: &[outcome_measure::Model],
) -> Result<Vec<Group>, ImpactError> {
    let backend = db.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
    let text = |expr: &str| {
        if postgres {
            format!("CAST({expr} AS text)")
        } else {
            format!("CAST({expr} AS TEXT)")
        }
    };
    let month_expr = if postgres {
        "to_char(r.period_end, 'YYYY-MM')".to_owned()
    } else {
        "substr(r.period_end, 1, 7)".to_owned()
    };
    let mut select: Vec<String> = Vec::new();
    let mut group: Vec<String> = vec!["r.measure_id".into(), "r.project_id".into()];
    let mut from = "outcome_record r JOIN project p ON p.id = r.project_id".to_owned();
    for d in dimensions {
        let (name, expr) = match d {
            Dimension::PathwayStage => ("stage", "p.primary_stage".to_owned()),
            Dimension::Region => ("area", "COALESCE(p.region_code, p.nation_code)".to_owned()),
            Dimension::Organisation => ("organisation", "p.lead_organisation_id".to_owned()),
            Dimension::Funder => {
                // Each funder with a live allocation to the project, once (groups overlap).
                from.push_str(
                    " LEFT JOIN (SELECT DISTINCT a.project_id AS project_id, g.funder_id AS funder_id
                       FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id
                       WHERE a.archived_at IS NULL) pf ON pf.project_id = p.id",
                );
                ("funder", "pf.funder_id".to_owned())
            }
            _ => continue,
        };
        select.push(format!("{expr} AS {name}"));
        group.push(expr);
    }
    let timed = dimensions.iter().any(|d| d.is_time());
    if timed {
        select.push(format!("{month_expr} AS month"));
        group.push(month_expr.clone());
    }
    let last = format!(
        "MAX({end} || '|' || {value} || '|' || COALESCE({baseline}, '') || '|' || COALESCE({target}, ''))",
        end = text("r.period_end"),
        value = text("r.value"),
        baseline = text("r.baseline"),
        target = text("r.target"),
    );
    select.extend([
        "r.measure_id AS measure_id".to_owned(),
        "r.project_id AS project_id".to_owned(),
        "COUNT(*) AS records".to_owned(),
        "SUM(r.value) AS sum_value".to_owned(),
        "SUM(r.value * r.sample_size) AS weighted".to_owned(),
        "SUM(r.sample_size) AS sample".to_owned(),
        "COUNT(r.sample_size) AS samples".to_owned(),
        "SUM(r.baseline) AS base_sum".to_owned(),
        "COUNT(r.baseline) AS base_n".to_owned(),
        "SUM(r.baseline * r.sample_size) AS base_weighted".to_owned(),
        "SUM(CASE WHEN r.baseline IS NOT NULL THEN r.sample_size END) AS base_sample".to_owned(),
        "SUM(r.target) AS target_sum".to_owned(),
        "COUNT(r.target) AS target_n".to_owned(),
        "SUM(r.target * r.sample_size) AS target_weighted".to_owned(),
        "SUM(CASE WHEN r.target IS NOT NULL THEN r.sample_size END) AS target_sample".to_owned(),
        format!("{last} AS last"),
    ]);
    // The rest of the totals' columns: a project's count and latest record come from `last`.
    select.push("CAST(0 AS bigint) AS projects".to_owned());
    for name in ["latest_value", "latest_base", "latest_target"] {
        select.push(format!("CAST(0 AS double precision) AS {name}"));
    }
    for name in ["latest_base_n", "latest_target_n"] {
        select.push(format!("CAST(0 AS bigint) AS {name}"));
    }

    // The WHERE clause, built with sea-query so that values are bound, not spliced.
    let mut condition = Condition::all();
    use sea_orm::sea_query::{Alias, Expr, ExprTrait};
    let col = |table: &str, name: &str| Expr::col((Alias::new(table), Alias::new(name)));
    let statuses: Vec<&str> = if filter.statuses.is_empty() {
        vec!["submitted", "verified"]
    } else {
        filter.statuses.iter().map(|s| s.as_str()).collect()
    };
    condition = condition
        .add(col("r", "status").is_in(statuses))
        .add(col("r", "archived_at").is_null());
    if let Some(from) = filter.from {
        condition = condition.add(col("r", "period_end").gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(col("r", "period_end").lte(to));
    }
    if !measure_ids.is_empty() {
        condition = condition.add(col("r", "measure_id").is_in(measure_ids.to_vec()));
    }
    if !filter.data_sources.is_empty() {
        condition = condition.add(col("r", "data_source").is_in(filter.data_sources.clone()));
    }
    if !filter.evidence_strengths.is_empty() {
        condition =
            condition.add(col("r", "evidence_strength").is_in(filter.evidence_strengths.clone()));
    }
    if let Some(projects) = &filter.projects {
        let mut sub = Query::select();
        sub.expr(Expr::cust("\"project\".\"id\""))
            .from(Alias::new("project"))
            .cond_where(projects.clone());
        condition = condition.add(col("r", "project_id").in_subquery(sub));
    }
    let mut where_query = Query::select();
    where_query.expr(Expr::cust("1")).cond_where(condition);
    let (where_sql, values) = if postgres {
        where_query.build(PostgresQueryBuilder)
    } else {
        where_query.build(SqliteQueryBuilder)
    };
    let where_clause = where_sql
        .split_once(" WHERE ")
        .map(|(_, w)| w.to_owned())
        .unwrap_or_else(|| "TRUE".to_owned());
    let sql = format!(
        "SELECT {} FROM {from} WHERE {where_clause} GROUP BY {}",
        select.join(", "),
        group.join(", ")
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;

    let by_id: HashMap<Uuid, &outcome_measure::Model> =
        measures.iter().map(|m| (m.id, m)).collect();
    // (key, measure) → project → partial
    let mut cells: BTreeMap<(Vec<KeyPart>, Uuid), BTreeMap<Uuid, Partial>> = BTreeMap::new();
    for row in rows {
        let measure_id: Uuid = row.try_get("", "measure_id")?;
        let project_id: Uuid = row.try_get("", "project_id")?;
        let month = if timed {
            let text: String = row.try_get("", "month")?;
            NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()
        } else {
            None
        };
        let key = group_key(&row, dimensions, measure_id, Some(project_id), month)?;
        let last: Option<String> = row.try_get("", "last")?;
        let partial = Partial {
            totals: Totals::from_row(&row)?,
            last: last.as_deref().and_then(parse_last),
        };
        cells
            .entry((key, measure_id))
            .or_default()
            .entry(project_id)
            .or_default()
            .absorb(partial);
    }

    let mut groups: BTreeMap<Vec<KeyPart>, Vec<MeasureFigure>> = BTreeMap::new();
    for ((key, measure_id), projects) in cells {
        let Some(measure) = by_id.get(&measure_id) else {
            continue;
        };
        groups
            .entry(key)
            .or_default()
            .push(combine(measure, projects.into_values().collect()));
        if groups.len() > MAX_GROUPS {
            break;
        }
    }
    Ok(sorted(groups))
}

/// The groups in key order, each group's figures by measure code.
fn sorted(groups: BTreeMap<Vec<KeyPart>, Vec<MeasureFigure>>) -> Vec<Group> {
    groups
        .into_iter()
        .map(|(key, mut figures)| {
            figures.sort_by(|a, b| a.measure.code.cmp(&b.measure.code));
            Group { key, figures }
        })
        .collect()
}

/// One measure's figure from its projects' partials, by the measure's aggregation kind.
fn combine(measure: &outcome_measure::Model, projects: Vec<Partial>) -> MeasureFigure {
    let mut totals = Totals::default();
    for p in projects {
        totals.add(&p.into_totals(), 1);
    }
    totals.figure(measure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_records_are_parsed() {
        assert_eq!(
            parse_last("2024-06-30|12|10|"),
            Some(("2024-06-30".into(), 12.0, Some(10.0), None))
        );
        assert_eq!(parse_last("x"), None);
    }

    #[test]
    fn the_rollup_answers_only_what_it_holds_exactly() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let plan = |filter: &ImpactFilter, dims: &[Dimension]| {
            rollup_plan(filter, dims).map(|p| (p.grain, p.first, p.last))
        };
        let all = ImpactFilter::default();
        use Dimension::*;
        assert_eq!(
            plan(&all, &[Region, Month]),
            Some((ImpactGrain::Month, None, None))
        );
        assert_eq!(
            plan(&all, &[Year, Quarter]),
            Some((ImpactGrain::Quarter, None, None))
        );
        assert_eq!(
            plan(&all, &[PathwayStage]),
            Some((ImpactGrain::All, None, None))
        );
        // Calendar and financial years cut each other: no grain nests in both.
        assert_eq!(plan(&all, &[Year, FinancialYear]), None);
        // Dimensions and filters the rollup does not keep.
        for dims in [&[Funder][..], &[Project], &[Organisation, Month]] {
            assert_eq!(plan(&all, dims), None);
        }
        let sources = ImpactFilter {
            data_sources: vec!["survey".into()],
            ..ImpactFilter::default()
        };
        assert_eq!(plan(&sources, &[Region]), None);
        let submitted = ImpactFilter {
            statuses: vec![RecordStatus::Submitted],
            ..ImpactFilter::default()
        };
        assert_eq!(plan(&submitted, &[Region]), None);
        // Periods of whole buckets only.
        let period = |from, to| ImpactFilter {
            from,
            to,
            ..ImpactFilter::default()
        };
        let q2 = period(Some(d(2024, 4, 1)), Some(d(2024, 6, 30)));
        assert_eq!(
            plan(&q2, &[Month]),
            Some((
                ImpactGrain::Month,
                Some(d(2024, 4, 1)),
                Some(d(2024, 6, 30))
            ))
        );
        assert_eq!(
            plan(&q2, &[Region]),
            Some((
                ImpactGrain::Quarter,
                Some(d(2024, 4, 1)),
                Some(d(2024, 4, 1))
            ))
        );
        let fy = period(Some(d(2023, 4, 1)), Some(d(2024, 3, 31)));
        assert_eq!(
            plan(&fy, &[]),
            Some((
                ImpactGrain::FinancialYear,
                Some(d(2023, 4, 1)),
                Some(d(2023, 4, 1))
            ))
        );
        assert_eq!(
            plan(&fy, &[Quarter]).map(|p| p.0),
            Some(ImpactGrain::Quarter)
        );
        assert_eq!(plan(&fy, &[Year]), None);
        assert_eq!(plan(&period(Some(d(2024, 4, 2)), None), &[Month]), None);
        assert_eq!(plan(&period(Some(d(2024, 4, 1)), None), &[Region]), None);
    }

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
