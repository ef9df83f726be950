//! Impact reports: a funder's figures gathered from the figure engine, by the same functions (and
//! so the same numbers) as `funderImpactSummary` and `impact`, then laid out by `b2h-report`.
//! The CLI reads as an admin: live, exact figures.

use crate::access::RecordAccess;
use crate::analytics::engine::Store;
use crate::analytics::funder::{self, Summary};
use crate::analytics::impact::{self, Dimension, ImpactError, ImpactFilter, KeyPart, Reader};
use crate::analytics::published::{PublishedFigure, Snapshot};
use crate::analytics::returns;
use crate::changes;
use crate::graphql::reference::Reference;
use b2h_entity::enums::{DataSource, EvidenceStrength};
use b2h_entity::outcome_measure;
use b2h_report::{
    AsOf, Audience, Cell, Chart, Column, Report, Section, Series, Shape, Stat, Table, Window,
    format,
};
use chrono::{Datelike, NaiveDate};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

mod public_funder;

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportsError {
    #[error(transparent)]
    Figures(#[from] ImpactError),
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Layout(#[from] b2h_report::ReportError),
    /// A request the public figures do not answer.
    #[error("{0}")]
    NotPublished(String),
}

/// The formats a report is written in (the CLI's `--format`, the routes' extensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, async_graphql::Enum)]
#[graphql(name = "ReportFormat")]
pub enum Format {
    /// An A4 PDF: fonts embedded, charts as vectors, tagged, page numbers.
    Pdf,
    /// One self-contained HTML file with SVG charts, each followed by its data.
    Html,
    /// The data behind every chart, one row per chart, category and series.
    Csv,
    /// A workbook: the headline, then a sheet per chart (its data) and per table.
    Xlsx,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Pdf, Format::Html, Format::Csv, Format::Xlsx];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.extension().eq_ignore_ascii_case(text))
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// Whether a browser shows it (PDF, HTML) or saves it (CSV, XLSX) when a link is opened.
    pub fn disposition(self) -> &'static str {
        match self {
            Format::Pdf | Format::Html => "inline",
            Format::Csv | Format::Xlsx => "attachment",
        }
    }

    /// The media type it is served as.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Html => "text/html; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Every funder not archived, by name: (id, name).
pub async fn funders(db: &DatabaseConnection) -> Result<Vec<(Uuid, String)>, ReportsError> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    Ok(b2h_entity::funder::Entity::find()
        .filter(b2h_entity::funder::Column::ArchivedAt.is_null())
        .order_by_asc(b2h_entity::funder::Column::Name)
        .order_by_asc(b2h_entity::funder::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f.name))
        .collect())
}

/// A file name for a report about `subject`, unique among `taken`: `oak-foundation.pdf`.
pub fn file_name(subject: &str, format: Format, taken: &mut HashSet<String>) -> String {
    let mut slug = String::new();
    for c in subject.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(80).collect();
    let slug = if slug.is_empty() {
        "funder".to_owned()
    } else {
        slug
    };
    let mut name = format!("{slug}.{}", format.extension());
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{slug}-{n}.{}", format.extension());
        n += 1;
    }
    name
}

/// The report's bytes in `format` (CPU-bound: the server calls it off its async threads).
pub fn render(report: &Report, format: Format) -> Result<Vec<u8>, ReportsError> {
    Ok(match format {
        Format::Pdf => {
            let (bytes, warnings) = b2h_report::pdf::render(report)?;
            for warning in warnings {
                tracing::warn!(report = %report.title, warning, "the PDF's layout warned");
            }
            bytes
        }
        Format::Html => b2h_report::html::render(report)?.into_bytes(),
        Format::Csv => b2h_report::data::csv(report)?,
        Format::Xlsx => b2h_report::data::xlsx(report)?,
    })
}

/// The UK financial year (April to March) that ends in March of `year + 1`.
fn financial_year(year: i32) -> Option<Window> {
    Some(Window {
        from: NaiveDate::from_ymd_opt(year, 4, 1)?,
        to: NaiveDate::from_ymd_opt(year + 1, 3, 31)?,
    })
}

/// The funder's default window: the latest whole UK financial year (ended by `today`) in which
/// its projects have counted records; the last ended one when they have none.
pub async fn default_window(
    db: &DatabaseConnection,
    store: &Store,
    funder_id: Uuid,
    today: NaiveDate,
) -> Result<Option<Window>, ReportsError> {
    let ended = if today.month() >= 4 {
        today.year() - 1
    } else {
        today.year() - 2
    };
    let filter = ImpactFilter {
        to: financial_year(ended).map(|w| w.to),
        projects: Some(funder::funded(funder_id)),
        ..ImpactFilter::default()
    };
    let years = impact::impact(
        db,
        store,
        &filter,
        &[Dimension::FinancialYear],
        Reader::default(),
    )
    .await?;
    let latest = years
        .iter()
        .filter_map(|g| match g.key.first() {
            Some(KeyPart::FinancialYear(y)) => Some(*y),
            _ => None,
        })
        .max()
        .unwrap_or(ended);
    Ok(financial_year(latest))
}

/// Who reads a funder's report, and so how its figures are shown (the rule of `access`,
/// [`RecordAccess::sees_exact`]: full record access sees every cell exact, a funder the cells
/// made only of its projects' records, the public none).
#[derive(Clone, Copy)]
pub enum Reading<'a> {
    /// Full record access: the funder's and the campaign's figures live and exact.
    Exact,
    /// The funder's own key, or a signed link (which can be forwarded): the funder's figures
    /// live and exact, the campaign's as published.
    OwnFigures(&'a Snapshot),
    /// The public: every figure as published, disclosure controlled.
    Public(&'a Snapshot),
}

/// Longest window a report covers: twenty years of months.
pub const MAX_MONTHS: usize = 240;

/// A window a report can cover: days in the years 1900 to 2200, at most [`MAX_MONTHS`] months.
pub fn check_window(window: Window) -> Result<(), String> {
    if window.to < window.from {
        return Err(format!("to {} is before from {}", window.to, window.from));
    }
    if window.from.year() < 1900 || window.to.year() > 2200 {
        return Err("a report's window lies between the years 1900 and 2200".into());
    }
    let months = (window.to.year() - window.from.year()) * 12 + window.to.month() as i32
        - window.from.month() as i32
        + 1;
    if months > MAX_MONTHS as i32 {
        return Err(format!(
            "a report's window is at most {} years ({MAX_MONTHS} months); this one is {months} months",
            MAX_MONTHS / 12
        ));
    }
    Ok(())
}

/// A funder's report for the window (funder figures exact: only readers who may read its
/// summary get one); `None` when no funder has the id.
pub async fn funder_report(
    db: &DatabaseConnection,
    store: &Store,
    funder_id: Uuid,
    window: Window,
    reading: Reading<'_>,
) -> Result<Option<Report>, ReportsError> {
    if let Reading::Public(published) = reading {
        return public_funder::report(db, published, funder_id, window).await;
    }
    let Some(summary) = funder::summary(db, store, funder_id, window.from, window.to).await? else {
        return Ok(None);
    };
    let measures = outcome_measure::Entity::find().all(db).await?;
    let people_codes: Vec<String> = measures
        .iter()
        .filter(|m| m.counts_toward_target)
        .map(|m| m.code.clone())
        .collect();
    let people = |projects| ImpactFilter {
        from: Some(window.from),
        to: Some(window.to),
        measures: people_codes.clone(),
        projects,
        ..ImpactFilter::default()
    };
    let reference = Reference::load(db).await?;
    let months = months(&window);
    let funded_by_month = people_by(
        db,
        store,
        people(Some(funder::funded(funder_id))),
        Dimension::Month,
    )
    .await?;
    let by_region = people_by(
        db,
        store,
        people(Some(funder::funded(funder_id))),
        Dimension::Region,
    )
    .await?;
    let per_month = |by: &BTreeMap<KeyPart, i64>| -> Vec<Option<f64>> {
        months
            .iter()
            .map(|m| Some(by.get(&KeyPart::Month(*m)).copied().unwrap_or(0) as f64))
            .collect()
    };
    let campaign_months = match reading {
        Reading::Exact => per_month(&people_by(db, store, people(None), Dimension::Month).await?),
        Reading::OwnFigures(published) | Reading::Public(published) => {
            published_campaign_months(db, published, &months).await?
        }
    };
    let name = &summary.funding.funder.name;
    let [by_month, running] = month_charts(
        name,
        window,
        &months,
        per_month(&funded_by_month),
        campaign_months,
        match reading {
            Reading::Exact => "",
            _ => " The campaign's figures are the public ones (disclosure controlled).",
        },
    );
    let mut charts = vec![
        by_month,
        running,
        Chart {
            id: "people-by-stage".into(),
            title: "People supported by pathway stage".into(),
            description: format!(
                "People supported by the projects {name} funds, by each project's primary stage \
                 of the recovery pathway."
            ),
            unit: "people".into(),
            shape: Shape::Bars,
            category: "Pathway stage".into(),
            categories: summary
                .by_stage
                .iter()
                .map(|(s, _)| format::label(s.as_str()))
                .collect(),
            series: vec![Series {
                name: format!("Projects {name} funds"),
                values: summary
                    .by_stage
                    .iter()
                    .map(|(_, n)| Some(*n as f64))
                    .collect(),
            }],
        },
    ];
    let regions: Vec<(&KeyPart, &i64)> = by_region.iter().collect();
    charts.push(Chart {
        id: "people-by-region".into(),
        title: "People supported by region".into(),
        description: format!(
            "People supported by the projects {name} funds, by NHS England region (or nation \
             outside England)."
        ),
        unit: "people".into(),
        shape: Shape::Bars,
        category: "Region or nation".into(),
        categories: regions
            .iter()
            .map(|(k, _)| match k {
                KeyPart::Area(code) => reference.place_name(code),
                _ => String::new(),
            })
            .collect(),
        series: vec![Series {
            name: format!("Projects {name} funds"),
            values: regions.iter().map(|(_, n)| Some(**n as f64)).collect(),
        }],
    });

    let funded_ids: HashSet<Uuid> = summary.funding.projects.iter().map(|p| p.id).collect();
    let due = returns::missing_returns(db, store, window.from, window.to, RecordAccess::All)
        .await?
        .into_iter()
        .filter(|m| funded_ids.contains(&m.project_id))
        .count();
    let (quality, evidence) = quality(db, store, funder_id, window).await?;
    let notice = (summary.supported == 0 && summary.highlights.is_empty()).then(|| {
        format!(
            "No counted records of the projects {name} funds have a period ending in this window: \
             the figures below are zero."
        )
    });
    let as_of = AsOf {
        sequence: store.sequence,
        at: changes::committed_at(db, store.sequence).await?,
    };
    Ok(Some(Report {
        title: format!("Impact report: {name}"),
        subject: name.clone(),
        window,
        as_of,
        audience: Audience::Exact,
        notice,
        headline: headline(&summary, due),
        charts,
        tables: vec![
            highlights(
                &summary
                    .highlights
                    .iter()
                    .map(|figure| Highlight {
                        figure,
                        published: None,
                    })
                    .collect::<Vec<_>>(),
                Some(&evidence),
            ),
            projects(&summary.funding, &reference),
            quality,
        ],
        methods: methods(&[EXACT_FIGURES]),
    }))
}

/// People supported (the measures that count toward the target), by one dimension.
async fn people_by(
    db: &DatabaseConnection,
    store: &Store,
    filter: ImpactFilter,
    dimension: Dimension,
) -> Result<BTreeMap<KeyPart, i64>, ReportsError> {
    let groups = impact::impact(db, store, &filter, &[dimension], Reader::default()).await?;
    let mut by = BTreeMap::new();
    for g in groups {
        if let Some(key) = g.key.into_iter().next() {
            *by.entry(key).or_default() += g
                .figures
                .iter()
                .map(|f| f.figure.value.round() as i64)
                .sum::<i64>();
        }
    }
    Ok(by)
}

/// The campaign's people supported each month of `months`, as published (a withheld month is
/// `None`).
async fn published_campaign_months(
    db: &DatabaseConnection,
    published: &Snapshot,
    months: &[NaiveDate],
) -> Result<Vec<Option<f64>>, ReportsError> {
    let public = match crate::analytics::progress::find_campaign(db, None).await? {
        Some(c) => published.public_progress(c).by_month,
        None => Vec::new(),
    };
    let shown: BTreeMap<NaiveDate, Option<f64>> =
        public.iter().map(|(m, s, _)| (*m, s.value)).collect();
    Ok(months
        .iter()
        .map(|m| shown.get(m).copied().unwrap_or(Some(0.0)))
        .collect())
}

/// Running totals; a withheld month shows as a gap and the total goes on with the months shown.
fn cumulative(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut total = 0.0;
    values
        .iter()
        .map(|v| {
            total += v.unwrap_or(0.0);
            v.map(|_| total)
        })
        .collect()
}

/// People supported each month and cumulatively by the projects `name` funds, beside the whole
/// campaign's; `note` ends the descriptions (whose figures are the public ones).
fn month_charts(
    name: &str,
    window: Window,
    months: &[NaiveDate],
    funded: Vec<Option<f64>>,
    campaign: Vec<Option<f64>>,
    note: &str,
) -> [Chart; 2] {
    let labels: Vec<String> = months.iter().map(|m| format::month_short(*m)).collect();
    let funded_name = format!("Projects {name} funds");
    let campaign_name = "The whole campaign".to_owned();
    [
        Chart {
            id: "people-by-month".into(),
            title: "People supported each month".into(),
            description: format!(
                "People supported each month from {} to {} by the projects {name} funds, beside \
                 the whole campaign's.{note}",
                format::month(window.from),
                format::month(window.to)
            ),
            unit: "people".into(),
            shape: Shape::Lines,
            category: "Month".into(),
            categories: labels.clone(),
            series: vec![
                Series {
                    name: funded_name.clone(),
                    values: funded.clone(),
                },
                Series {
                    name: campaign_name.clone(),
                    values: campaign.clone(),
                },
            ],
        },
        Chart {
            id: "people-cumulative".into(),
            title: "People supported, cumulative".into(),
            description: format!(
                "People supported since {}, added up month by month, by the projects {name} \
                 funds and by the whole campaign.{note}",
                format::month(window.from)
            ),
            unit: "people".into(),
            shape: Shape::Lines,
            category: "Month".into(),
            categories: labels,
            series: vec![
                Series {
                    name: funded_name,
                    values: cumulative(&funded),
                },
                Series {
                    name: campaign_name,
                    values: cumulative(&campaign),
                },
            ],
        },
    ]
}

/// The first day of every month the window touches.
fn months(window: &Window) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut m = window.from.with_day(1);
    while let Some(month) = m {
        if month > window.to || out.len() >= MAX_MONTHS {
            break;
        }
        out.push(month);
        m = month.checked_add_months(chrono::Months::new(1));
    }
    out
}

fn money(by: &BTreeMap<String, i64>) -> String {
    if by.is_empty() {
        return format::money(0, "GBP");
    }
    by.iter()
        .map(|(currency, minor)| format::money(*minor, currency))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn headline(summary: &Summary, due: usize) -> Vec<Stat> {
    let beneficiaries = summary
        .by_beneficiary
        .iter()
        .map(|(b, n)| {
            format!(
                "{} {}",
                format::int(*n),
                format::label(b.as_str()).to_lowercase()
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let cost = summary.cost_per_person();
    let [grants, allocated] = funding_stats(&summary.funding);
    vec![
        Stat {
            label: "People supported".into(),
            value: format::int(summary.supported),
            detail: Some(beneficiaries),
        },
        grants,
        allocated,
        Stat {
            label: COST_PER_PERSON.into(),
            value: if cost.is_empty() {
                "–".into()
            } else {
                money(&cost.into_iter().collect())
            },
            detail: Some(left_out(&summary.funding).unwrap_or_else(|| {
                "allocations to projects active in the window ÷ the people they supported".into()
            })),
        },
        Stat {
            label: "Returns missing".into(),
            value: format::int(due as i64),
            detail: Some("a funded project's measure with no counted record for the window".into()),
        },
    ]
}

const COST_PER_PERSON: &str = "Cost per person supported";

/// The grants and what they allocate (public, as 360Giving publishes grants).
fn funding_stats(funding: &funder::Funding) -> [Stat; 2] {
    [
        Stat {
            label: "Grants".into(),
            value: format::int(funding.grants.len() as i64),
            detail: Some(format!("{} awarded", money(&funding.awarded()))),
        },
        Stat {
            label: "Allocated to projects".into(),
            value: money(&funding.allocated()),
            detail: Some(format!(
                "{} funded",
                format::count(funding.projects.len(), "project", "projects")
            )),
        },
    ]
}

/// The grants the cost per person leaves out, when there are any.
fn left_out(funding: &funder::Funding) -> Option<String> {
    let left_out = funding.unallocated_grants();
    (!left_out.is_empty()).then(|| {
        format!(
            "{} left out: {}",
            format::count(
                left_out.len(),
                "grant without allocations",
                "grants without allocations"
            ),
            left_out
                .iter()
                .map(|g| g.identifier.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Columns with these headings and no unit.
fn headings(names: &[&str]) -> Vec<Column> {
    names
        .iter()
        .map(|h| Column {
            heading: (*h).into(),
            unit: None,
        })
        .collect()
}

/// A measure's figure in the outcome highlights: exact, or as the public reads it.
struct Highlight<'a> {
    figure: &'a impact::MeasureFigure,
    published: Option<PublishedFigure>,
}

/// The outcome highlights; with each measure's records by evidence strength when the reader
/// may see them (`evidence`).
fn highlights(rows: &[Highlight<'_>], evidence: Option<&BTreeMap<String, String>>) -> Table {
    // Whole figures as such, the others to one decimal.
    let number = |v: f64| Cell::Number(v, if v.fract() == 0.0 { 0 } else { 1 });
    let mut columns = vec![
        "Measure",
        "Adds up as",
        "Value",
        "Baseline",
        "Target",
        "Sample size",
        "Records",
        "Projects",
    ];
    if evidence.is_some() {
        columns.push("Evidence (records)");
    }
    let row = |h: &Highlight<'_>| {
        let f = h.figure;
        let withheld = h.published.is_some_and(|p| p.shown.suppressed);
        let optional = |v: Option<f64>, missing: &str| match v {
            Some(v) => number(v),
            None if withheld => Cell::Missing("withheld".into()),
            None => Cell::Missing(missing.into()),
        };
        let (value, baseline, target, sample) = match h.published {
            None => (Some(f.value), f.baseline, f.target, f.sample_size),
            Some(p) => (p.shown.value, p.baseline, p.target, p.shown.sample),
        };
        let mut cells = vec![
            Cell::Text(f.measure.name.clone()),
            Cell::Text(format::label(f.measure.aggregation.as_str())),
            optional(value, "–"),
            optional(baseline, "none given"),
            optional(target, "none given"),
            match sample {
                Some(n) => Cell::Number(n as f64, 0),
                None => Cell::Missing("–".into()),
            },
            Cell::Number(f.records as f64, 0),
            Cell::Number(f.projects as f64, 0),
        ];
        if let Some(evidence) = evidence {
            cells.push(match evidence.get(&f.measure.code) {
                Some(mix) => Cell::Text(mix.clone()),
                None => Cell::Missing("–".into()),
            });
        }
        cells
    };
    Table {
        id: "outcome-highlights".into(),
        title: "Outcome highlights".into(),
        columns: headings(&columns),
        rows: rows.iter().map(row).collect(),
    }
}

fn projects(funding: &funder::Funding, reference: &Reference) -> Table {
    Table {
        id: "projects-funded".into(),
        title: "Projects funded".into(),
        columns: headings(&[
            "Reference",
            "Project",
            "Pathway stage",
            "Region or nation",
            "Status",
        ]),
        rows: funding
            .projects
            .iter()
            .map(|p| {
                let area = p.region_code.as_deref().unwrap_or(p.nation_code.as_str());
                vec![
                    Cell::Text(p.reference.clone()),
                    Cell::Text(p.title.clone()),
                    Cell::Text(format::label(p.primary_stage.as_str())),
                    Cell::Text(reference.place_name(area)),
                    Cell::Text(format::label(p.status.as_str())),
                ]
            })
            .collect(),
    }
}

/// Share of the funded projects' counted records in the window by evidence strength and by data
/// source; and each measure's records by evidence strength ("Strong 12 · Weak 3"), for the
/// outcome highlights.
async fn quality(
    db: &DatabaseConnection,
    store: &Store,
    funder_id: Uuid,
    window: Window,
) -> Result<(Table, BTreeMap<String, String>), ReportsError> {
    // Counted records per measure code, of the funded projects in the window.
    let by_measure = |evidence: Vec<EvidenceStrength>, sources: Vec<DataSource>| {
        let filter = ImpactFilter {
            from: Some(window.from),
            to: Some(window.to),
            evidence_strengths: evidence,
            data_sources: sources,
            projects: Some(funder::funded(funder_id)),
            ..ImpactFilter::default()
        };
        async move {
            let groups = impact::impact(db, store, &filter, &[], Reader::default()).await?;
            let mut by = BTreeMap::<String, i64>::new();
            for f in groups.iter().flat_map(|g| g.figures.iter()) {
                *by.entry(f.figure.measure.code.clone()).or_default() += f.figure.records;
            }
            Ok::<_, ReportsError>(by)
        }
    };
    let records = |evidence, sources| {
        let by = by_measure(evidence, sources);
        async move { Ok::<i64, ReportsError>(by.await?.values().sum()) }
    };
    let mut evidence_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut by_evidence = Vec::new();
    for e in EvidenceStrength::ALL {
        let by = by_measure(vec![*e], Vec::new()).await?;
        for (code, n) in &by {
            evidence_of.entry(code.clone()).or_default().push(format!(
                "{} {}",
                format::label(e.as_str()),
                format::int(*n)
            ));
        }
        by_evidence.push((*e, by.values().sum::<i64>()));
    }
    let total = records(Vec::new(), Vec::new()).await?;
    let share = |n: i64| {
        if total > 0 {
            Cell::Number(100.0 * n as f64 / total as f64, 1)
        } else {
            Cell::Missing("–".into())
        }
    };
    let mut rows = Vec::new();
    for (e, n) in by_evidence {
        rows.push(vec![
            Cell::Text(format!("Evidence: {}", format::label(e.as_str()))),
            Cell::Number(n as f64, 0),
            share(n),
        ]);
    }
    for s in DataSource::ALL {
        let n = records(Vec::new(), vec![*s]).await?;
        rows.push(vec![
            Cell::Text(format!("Source: {}", format::label(s.as_str()))),
            Cell::Number(n as f64, 0),
            share(n),
        ]);
    }
    let evidence = evidence_of
        .into_iter()
        .map(|(code, parts)| (code, parts.join(" · ")))
        .collect();
    Ok((
        Table {
            id: "data-quality".into(),
            title: "Data quality: counted records by evidence and source".into(),
            columns: vec![
                Column {
                    heading: "Records".into(),
                    unit: None,
                },
                Column {
                    heading: "Count".into(),
                    unit: Some("records".into()),
                },
                Column {
                    heading: "Share".into(),
                    unit: Some("%".into()),
                },
            ],
            rows,
        },
        evidence,
    ))
}

/// How an exact report's figures stand to the public ones.
const EXACT_FIGURES: &str = "This report shows exact, live figures: it is for the funder, \
evaluators and the campaign. The public figures below national level withhold small cells and \
carry a small, fixed noise, so that no combination of public answers reveals a small group.";

/// The public rules, as every public report applies them.
const PUBLIC_FIGURES: &str = "These are the public figures of the latest publication, which \
everyone reads alike. Below national level a figure of 1 to 7 people, or one made by fewer than \
three projects, is withheld, and the others carry a small noise that is the same every time the \
same cell is shown (cell-key perturbation), so that no combination of public answers reveals a \
small group. Withheld months are left out of a running total rather than shown as zero.";

/// What the campaign's report adds to the public rules.
const CAMPAIGN_HEADLINE: &str = "The national headline and its three beneficiary groups are \
exact, and the months shown add up to the headline.";

/// The methods page, with what it says of disclosure control.
fn methods(disclosure: &[&str]) -> Vec<Section> {
    let p = |s: &str| s.to_owned();
    let disclosure = disclosure.iter().map(|d| p(d)).collect();
    vec![
        Section {
            heading: "What counts".into(),
            paragraphs: vec![p(
                "Only submitted and verified outcome records count; drafts never do. A record \
                 belongs to the month, quarter and financial year in which its period ends. \
                 People supported are the records of the measures that count toward the \
                 campaign's target of one million: patients and service users, health and care \
                 staff, and volunteers.",
            )],
        },
        Section {
            heading: "How each kind of measure adds up".into(),
            paragraphs: vec![p(
                "Flows (people supported, hours given) are summed. Stocks (active volunteers) take \
                 each project's latest period in the window, then add up across projects, never \
                 across months. Rates and scores are means weighted by each record's sample size.",
            )],
        },
        Section {
            heading: "Funders overlap".into(),
            paragraphs: vec![p(
                "A project funded by several funders counts in full for each of them, so funders' \
                 figures are not to be added together. The cost per person supported divides the \
                 funder's allocations to the projects active in the window by the people those \
                 projects supported in it; grants without allocations are listed but left out.",
            )],
        },
        Section {
            heading: "Disclosure control".into(),
            paragraphs: disclosure,
        },
    ]
}

/// The campaign's public report: people supported against the target, by beneficiary group,
/// pathway stage, region and month, with the projection, under the public rules, from
/// `published` (everyone reads the same); from the campaign's start to its last month shown.
/// `None` when there is no campaign.
pub async fn campaign_report(
    db: &DatabaseConnection,
    published: &crate::analytics::published::Snapshot,
) -> Result<Option<Report>, ReportsError> {
    let Some(campaign) = crate::analytics::progress::find_campaign(db, None).await? else {
        return Ok(None);
    };
    let reference = Reference::load(db).await?;
    let target = campaign.target_people;
    let progress = published.public_progress(campaign.clone());
    let value = |s: &crate::analytics::disclosure::Shown| s.value;
    let last_month = progress.by_month.last().map(|(m, _, _)| *m);
    let to = last_month
        .and_then(|m| m.checked_add_months(chrono::Months::new(1)))
        .and_then(|m| m.pred_opt())
        .unwrap_or(campaign.target_date);
    let window = Window {
        from: campaign.start_date,
        to: to.max(campaign.start_date),
    };
    let withheld = |n: usize| match n {
        0 => String::new(),
        n => format!(
            " {} withheld under disclosure control.",
            format::count(n, "figure is", "figures are")
        ),
    };
    let months: Vec<String> = progress
        .by_month
        .iter()
        .map(|(m, _, _)| format::month_short(*m))
        .collect();
    let monthly: Vec<Option<f64>> = progress.by_month.iter().map(|(_, s, _)| value(s)).collect();
    let running: Vec<Option<f64>> = progress
        .by_month
        .iter()
        .map(|(_, _, c)| c.map(|c| c as f64))
        .collect();
    let stages: Vec<Option<f64>> = progress.by_stage.iter().map(|(_, s)| value(s)).collect();
    let areas: Vec<Option<f64>> = progress.by_area.iter().map(|(_, s)| value(s)).collect();
    let gaps = |v: &[Option<f64>]| v.iter().filter(|x| x.is_none()).count();
    let charts = vec![
        Chart {
            id: "people-by-month".into(),
            title: "People supported each month".into(),
            description: format!(
                "People the campaign's projects supported each month, by the month their period \
                 ends.{}",
                withheld(gaps(&monthly))
            ),
            unit: "people".into(),
            shape: Shape::Bars,
            category: "Month".into(),
            categories: months.clone(),
            series: vec![Series {
                name: "People supported".into(),
                values: monthly.clone(),
            }],
        },
        Chart {
            id: "people-cumulative".into(),
            title: "People supported, cumulative, toward the target".into(),
            description: format!(
                "People supported since the campaign began, month by month, ending at the \
                 headline of {} against the target of {}.{}",
                format::int(progress.supported),
                format::int(target),
                withheld(gaps(&running))
            ),
            unit: "people".into(),
            shape: Shape::Lines,
            category: "Month".into(),
            categories: months,
            series: vec![Series {
                name: "People supported so far".into(),
                values: running,
            }],
        },
        Chart {
            id: "people-by-stage".into(),
            title: "People supported by pathway stage".into(),
            description: format!(
                "People supported by each project's primary stage of the recovery pathway.{}",
                withheld(gaps(&stages))
            ),
            unit: "people".into(),
            shape: Shape::Bars,
            category: "Pathway stage".into(),
            categories: progress
                .by_stage
                .iter()
                .map(|(s, _)| format::label(s.as_str()))
                .collect(),
            series: vec![Series {
                name: "People supported".into(),
                values: stages,
            }],
        },
        Chart {
            id: "people-by-region".into(),
            title: "People supported by region".into(),
            description: format!(
                "People supported by NHS England region, or nation outside England.{}",
                withheld(gaps(&areas))
            ),
            unit: "people".into(),
            shape: Shape::Bars,
            category: "Region or nation".into(),
            categories: progress
                .by_area
                .iter()
                .map(|(code, _)| reference.place_name(code))
                .collect(),
            series: vec![Series {
                name: "People supported".into(),
                values: areas,
            }],
        },
    ];
    let percent = if target > 0 {
        100.0 * progress.supported as f64 / target as f64
    } else {
        0.0
    };
    let mut headline = vec![Stat {
        label: "People supported".into(),
        value: format::int(progress.supported),
        detail: Some(format!(
            "{}% of the target of {} by {}",
            format::number(percent, 1),
            format::int(target),
            format::date(campaign.target_date)
        )),
    }];
    for (b, shown) in &progress.by_beneficiary {
        headline.push(Stat {
            label: format::label(b.as_str()),
            value: shown
                .value
                .map_or("withheld".into(), |v| format::number(v, 0)),
            detail: None,
        });
    }
    headline.push(Stat {
        label: "Target reached by".into(),
        value: progress
            .projected_target_date
            .map_or("not projected".into(), format::month),
        detail: Some("projected from the months shown".into()),
    });
    let as_of = AsOf {
        sequence: published.store.sequence,
        at: changes::committed_at(db, published.store.sequence).await?,
    };
    Ok(Some(Report {
        title: format!("{}: progress report", campaign.name),
        subject: campaign.name.clone(),
        window,
        as_of,
        audience: Audience::Public {
            published_at: published.published_at,
        },
        notice: (progress.supported == 0)
            .then(|| "No counted records yet: the figures below are zero.".to_owned()),
        headline,
        charts,
        tables: Vec::new(),
        methods: methods(&[PUBLIC_FIGURES, CAMPAIGN_HEADLINE]),
    }))
}
