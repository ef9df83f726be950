//! The data behind the charts: as a table per chart (shown under each chart in HTML, a sheet each
//! in XLSX) and as one CSV in long form (a row per chart, category and series), so an evaluator
//! can load every chart's figures at once.

use crate::{Cell, Chart, Column, Report, ReportError, Table, html};
use chrono::Datelike;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

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
                    text(&chart.id).as_ref(),
                    text(&chart.title).as_ref(),
                    text(&chart.category).as_ref(),
                    text(category).as_ref(),
                    text(&series.name).as_ref(),
                    value.as_str(),
                    text(&chart.unit).as_ref(),
                    note,
                ])?;
            }
        }
    }
    out.into_inner()
        .map_err(|e| ReportError::Data(csv::Error::from(e.into_error())))
}

/// A text cell a spreadsheet will not run: one starting like a formula (`=`, `+`, `-`, `@`, a
/// tab or a carriage return; names come from funders' own files) gets a leading apostrophe.
fn text(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

/// A value as a reader parses it back: no thousands separators, whole numbers without decimals.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The report as a workbook: a sheet of what it covers and its headline, then one sheet per
/// chart (its data: headings with units, numbers as numbers) and one per table.
pub fn xlsx(report: &Report) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    // The file's own date is the data's, not the clock's: the same data gives the same bytes.
    let day = report
        .as_of
        .at
        .map_or(report.window.to, |at| at.date_naive());
    let created = ExcelDateTime::from_ymd(
        u16::try_from(day.year()).unwrap_or(2000),
        u8::try_from(day.month()).unwrap_or(1),
        u8::try_from(day.day()).unwrap_or(1),
    )?;
    book.set_properties(
        &DocProperties::new()
            .set_title(report.title.as_str())
            .set_author("b2h")
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("Report")?;
    let lines = [
        ("Report", report.title.clone()),
        (
            "Window",
            format!(
                "{} to {}",
                crate::format::date(report.window.from),
                crate::format::date(report.window.to)
            ),
        ),
        ("Data as of", html::as_of(report)),
        ("Figures", html::audience(report.audience)),
    ];
    let mut row = 0;
    for (label, value) in lines {
        sheet.write_string_with_format(row, 0, label, &bold)?;
        sheet.write_string(row, 1, value)?;
        row += 1;
    }
    if let Some(notice) = &report.notice {
        sheet.write_string_with_format(row, 0, "Notice", &bold)?;
        sheet.write_string(row, 1, notice.as_str())?;
        row += 1;
    }
    row += 1;
    for stat in &report.headline {
        sheet.write_string_with_format(row, 0, stat.label.as_str(), &bold)?;
        sheet.write_string(row, 1, stat.value.as_str())?;
        if let Some(detail) = &stat.detail {
            sheet.write_string(row, 2, detail.as_str())?;
        }
        row += 1;
    }
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 40)?;
    for chart in &report.charts {
        chart.check()?;
        let table = chart_table(chart);
        write_table(book.add_worksheet(), &table, &bold)?;
    }
    for table in &report.tables {
        write_table(book.add_worksheet(), table, &bold)?;
    }
    Ok(book.save_to_buffer()?)
}

/// One table on its own sheet: its title, then headings (with units) and rows.
fn write_table(sheet: &mut Worksheet, table: &Table, bold: &Format) -> Result<(), ReportError> {
    // Sheet names: at most 31 characters.
    let name: String = table.id.chars().take(31).collect();
    sheet.set_name(name)?;
    sheet.write_string_with_format(0, 0, table.title.as_str(), bold)?;
    for (c, column) in table.columns.iter().enumerate() {
        let heading = match &column.unit {
            Some(unit) => format!("{} ({unit})", column.heading),
            None => column.heading.clone(),
        };
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(1, c, heading, bold)?;
        sheet.set_column_width(c, if c == 0 { 36 } else { 18 })?;
    }
    for (r, cells) in table.rows.iter().enumerate() {
        let r = u32::try_from(r + 2).unwrap_or(u32::MAX);
        for (c, cell) in cells.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            match cell {
                Cell::Text(t) => sheet.write_string(r, c, t.as_str())?,
                Cell::Number(v, _) => sheet.write_number(r, c, *v)?,
                Cell::Missing(why) => sheet.write_string(r, c, why.as_str())?,
            };
        }
    }
    sheet.set_freeze_panes(2, 0)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AsOf, Audience, Series, Shape, Window};
    use chrono::NaiveDate;

    fn report() -> Report {
        let day = NaiveDate::from_ymd_opt(2024, 4, 1).unwrap_or_default();
        Report {
            title: "t".into(),
            subject: "s".into(),
            window: Window { from: day, to: day },
            as_of: AsOf {
                sequence: 1,
                at: None,
            },
            audience: Audience::Exact,
            notice: None,
            headline: Vec::new(),
            charts: vec![Chart {
                id: "c".into(),
                title: "Chart".into(),
                description: "d".into(),
                unit: "people".into(),
                shape: Shape::Bars,
                category: "Funder".into(),
                categories: vec!["=HYPERLINK(\"http://x\")".into(), "-5 Trust".into()],
                series: vec![Series {
                    name: "@people".into(),
                    values: vec![Some(-3.0), None],
                }],
            }],
            tables: Vec::new(),
            methods: Vec::new(),
        }
    }

    #[test]
    fn csv_cells_never_start_a_formula_and_numbers_stay_numbers() {
        let bytes = csv(&report()).unwrap_or_default();
        let text = String::from_utf8(bytes).unwrap_or_default();
        assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{text}");
        assert!(
            text.contains(",'-5 Trust,'@people,,people,withheld"),
            "{text}"
        );
        assert!(
            text.contains(",'@people,-3,people,"),
            "a negative value is a number: {text}"
        );
    }

    #[test]
    fn workbooks_repeat_byte_for_byte() {
        let a = xlsx(&report()).unwrap_or_default();
        assert!(!a.is_empty());
        assert_eq!(a, xlsx(&report()).unwrap_or_default());
    }
}
