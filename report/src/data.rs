//! The data behind the charts: as a table per chart (shown under each chart in HTML, a sheet each
//! in XLSX) and as one CSV in long form (a row per chart, category and series), so an evaluator
//! can load every chart's figures at once.

use crate::{Cell, Chart, Column, Report, ReportError, Table};

/// A chart's data as a table: its categories down, one column per series.
pub fn chart_table(chart: &Chart) -> Table {
    let mut columns = vec![Column {
        heading: chart.category.clone(),
        unit: None,
    }];
    columns.extend(chart.series.iter().map(|s| Column {
        heading: s.name.clone(),
        unit: Some(chart.unit.clone()),
    }));
    let rows = chart
        .categories
        .iter()
        .enumerate()
        .map(|(i, category)| {
            let mut row = vec![Cell::Text(category.clone())];
            row.extend(chart.series.iter().map(|s| match s.values.get(i) {
                Some(Some(v)) => Cell::Number(*v, decimals(*v)),
                _ => Cell::Missing("withheld".into()),
            }));
            row
        })
        .collect();
    Table {
        id: chart.id.clone(),
        title: chart.title.clone(),
        columns,
        rows,
    }
}

/// Whole numbers as such; other values to two decimals.
fn decimals(v: f64) -> usize {
    if v.fract() == 0.0 { 0 } else { 2 }
}

/// Every chart's data as one CSV: `chart, title, category_kind, category, series, value, unit,
/// note` (a withheld value is empty with the note `withheld`).
pub fn csv(report: &Report) -> Result<Vec<u8>, ReportError> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record([
        "chart",
        "title",
        "category_kind",
        "category",
        "series",
        "value",
        "unit",
        "note",
    ])?;
    for chart in &report.charts {
        chart.check()?;
        for (i, category) in chart.categories.iter().enumerate() {
            for series in &chart.series {
                let (value, note) = match series.values.get(i) {
                    Some(Some(v)) => (number(*v), ""),
                    _ => (String::new(), "withheld"),
                };
                out.write_record([
                    chart.id.as_str(),
                    chart.title.as_str(),
                    chart.category.as_str(),
                    category.as_str(),
                    series.name.as_str(),
                    value.as_str(),
                    chart.unit.as_str(),
                    note,
                ])?;
            }
        }
    }
    out.into_inner()
        .map_err(|e| ReportError::Data(csv::Error::from(e.into_error())))
}

/// A value as a reader parses it back: no thousands separators, whole numbers without decimals.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}
