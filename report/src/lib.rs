//! Impact reports as documents a funder or the campaign can send on.
//!
//! The api gathers a [`Report`] from the figure engine (the same figures its GraphQL answers, for
//! the same reader); this crate only lays it out: [`html`] (one self-contained file, SVG charts
//! with a table equivalent each), [`pdf`] (the same content on A4) and [`data`] (the data behind every chart, as CSV, and a
//! workbook with a sheet per chart and table). The layout
//! holds no clock and no randomness: the same report gives the same bytes.

pub mod data;
pub mod format;
pub mod html;
pub mod pdf;
pub mod svg;

use chrono::{DateTime, NaiveDate, Utc};

/// A report: what it covers, the figures, the charts with their data, and how they were made.
#[derive(Clone, Debug)]
pub struct Report {
    /// "Impact report: The Baring Foundation".
    pub title: String,
    /// Who the report is about (a funder's name, the campaign's).
    pub subject: String,
    /// The window the figures cover: records whose period ends in it.
    pub window: Window,
    /// The data the report was made from.
    pub as_of: AsOf,
    /// Whose figures: exact, or the public ones under disclosure control.
    pub audience: Audience,
    /// Said on the cover when there is something the reader must know first (no data).
    pub notice: Option<String>,
    /// The headline figures.
    pub headline: Vec<Stat>,
    pub charts: Vec<Chart>,
    /// Tables that are not the data of a chart (projects funded, outcome highlights…).
    pub tables: Vec<Table>,
    /// How the figures were made.
    pub methods: Vec<Section>,
}

/// Both days inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The change sequence the figures reflect, and when it was committed (unknown once the change
/// feed has pruned its entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsOf {
    pub sequence: i64,
    pub at: Option<DateTime<Utc>>,
}

/// Whose figures a report shows (never a mix on one page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Live and exact (the funder's own key, evaluators, admins).
    Exact,
    /// The public figures of the publication made at this time, disclosure controlled.
    Public { published_at: DateTime<Utc> },
}

/// One headline figure.
#[derive(Clone, Debug)]
pub struct Stat {
    pub label: String,
    /// Formatted for reading ("12,345", "£1,200.00").
    pub value: String,
    pub detail: Option<String>,
}

/// A chart and the data behind it.
#[derive(Clone, Debug)]
pub struct Chart {
    /// A short name for files and sheets (`people-by-month`).
    pub id: String,
    pub title: String,
    /// What the chart shows, in words (the SVG's description for screen readers).
    pub description: String,
    /// The values' unit ("people").
    pub unit: String,
    pub shape: Shape,
    /// What the categories are ("Month", "Pathway stage").
    pub category: String,
    /// What the values are of (months, stages, regions), in order.
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

/// How a chart draws its series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One bar per category and series, side by side.
    Bars,
    /// A line per series over the categories (months).
    Lines,
}

/// One series of a chart: a value per category.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    /// `None` where the figure is withheld (disclosure control) or there is none.
    pub values: Vec<Option<f64>>,
}

/// A table of the report.
#[derive(Clone, Debug)]
pub struct Table {
    pub id: String,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Clone, Debug)]
pub struct Column {
    pub heading: String,
    /// The unit of the column's values, when they have one.
    pub unit: Option<String>,
}

/// One cell of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    /// A number shown with this many decimals.
    Number(f64, usize),
    /// No value, with why ("withheld", "none given").
    Missing(String),
}

/// A titled part of the methods page.
#[derive(Clone, Debug)]
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
}

/// Why a report cannot be laid out.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the report's data: {0}")]
    Data(#[from] csv::Error),
    #[error("a chart's series has {got} values for {want} categories")]
    Shape { got: usize, want: usize },
    #[error("table '{table}' has a row of {got} cells for {want} columns")]
    Row {
        table: String,
        got: usize,
        want: usize,
    },
    #[error("cannot write the workbook: {0}")]
    Workbook(#[from] rust_xlsxwriter::XlsxError),
    #[error("cannot lay out the PDF: {0}")]
    Layout(String),
}

impl Report {
    /// Every chart and table is whole: the layouts rely on it.
    pub fn check(&self) -> Result<(), ReportError> {
        for chart in &self.charts {
            chart.check()?;
        }
        for table in &self.tables {
            table.check()?;
        }
        Ok(())
    }
}

impl Table {
    /// Every row has a cell per column (and there is a column).
    pub fn check(&self) -> Result<(), ReportError> {
        let want = self.columns.len();
        match self.rows.iter().find(|r| r.len() != want || want == 0) {
            Some(row) => Err(ReportError::Row {
                table: self.id.clone(),
                got: row.len(),
                want,
            }),
            None if want == 0 => Err(ReportError::Row {
                table: self.id.clone(),
                got: 0,
                want,
            }),
            None => Ok(()),
        }
    }
}

impl Chart {
    /// The chart's data is whole: every series gives a value (or a gap) per category.
    pub fn check(&self) -> Result<(), ReportError> {
        for s in &self.series {
            if s.values.len() != self.categories.len() {
                return Err(ReportError::Shape {
                    got: s.values.len(),
                    want: self.categories.len(),
                });
            }
        }
        Ok(())
    }
}
