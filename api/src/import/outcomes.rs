//! Outcome CSV files: read, checked row by row (problems name the file's lines), then written
//! as one `recordOutcomes` batch, all or nothing.

use super::{Progress, dates};
use crate::write::outcomes::{RecordInput, RecordSummary, write_batch};
use crate::write::{Actor, Problem, WriteError, check};
use b2h_entity::enums::{DataSource, EvidenceStrength};
use sea_orm::DatabaseConnection;

/// The file's columns, in the template's order.
pub const COLUMNS: [&str; 11] = [
    "project_reference",
    "measure_code",
    "period_start",
    "period_end",
    "value",
    "sample_size",
    "baseline",
    "target",
    "data_source",
    "evidence_strength",
    "note",
];

/// Accepted besides the template's: the version of the stored record a row replaces.
const OPTIONAL: [&str; 1] = ["version"];

/// Columns every row fills in.
const REQUIRED: [&str; 7] = [
    "project_reference",
    "measure_code",
    "period_start",
    "period_end",
    "value",
    "data_source",
    "evidence_strength",
];

/// Most rows one file may hold.
pub const MAX_ROWS: usize = 100_000;

/// The template: the header and one example row.
pub fn template() -> String {
    format!(
        "{}\nGEH-B2H-01,patients_supported,2024-05-01,2024-05-31,120,,,,volunteer_management_system,moderate,May figures\n",
        COLUMNS.join(",")
    )
}

/// The API's name for a CSV column, as problems from the batch check name fields.
fn column_of(field: &str) -> &str {
    match field {
        "project" => "project_reference",
        "measure" => "measure_code",
        "periodStart" => "period_start",
        "periodEnd" => "period_end",
        "sampleSize" => "sample_size",
        "dataSource" => "data_source",
        "evidenceStrength" => "evidence_strength",
        other => other,
    }
}

fn number(problems: &mut Vec<Problem>, line: u64, column: &str, text: &str) -> Option<f64> {
    // No thousands separators: "2,5" could be 2.5 or 25.
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            problems.push(located(
                line,
                column,
                format!("'{text}' is not a number (digits and a decimal point, no separators)"),
            ));
            None
        }
    }
}

fn located(line: u64, field: &str, message: impl Into<String>) -> Problem {
    Problem {
        index: None,
        line: Some(line),
        field: field.to_owned(),
        message: message.into(),
    }
}

/// A file's readable rows with their lines, and the problems of the rows that are not.
pub type Parsed = (Vec<(u64, RecordInput)>, Vec<Problem>);

/// Reads the file into records, each with its line, and the problems of rows that cannot be
/// read (those rows left out).
pub fn parse(bytes: &[u8]) -> Result<Parsed, WriteError> {
    let text = super::text::decode(bytes)
        .map_err(|e| WriteError::Invalid(vec![located(1, "file", e.to_string())]))?;
    let bytes = super::lf_line_endings(text.as_bytes());
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(&bytes[..]);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            return Err(WriteError::Invalid(vec![located(
                1,
                "header",
                format!("cannot read the header: {e}"),
            )]));
        }
    };
    let mut problems = Vec::new();
    for column in &header {
        if !COLUMNS.contains(&column.as_str()) && !OPTIONAL.contains(&column.as_str()) {
            problems.push(located(
                1,
                column,
                format!("unknown column; the columns are {}", COLUMNS.join(", ")),
            ));
        }
    }
    for column in REQUIRED {
        if !header.iter().any(|c| c == column) {
            problems.push(located(1, column, "the column is missing"));
        }
    }
    check(problems)?;
    let at = |name: &str| header.iter().position(|c| c == name);
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    for result in reader.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(located(line, "row", format!("cannot read the row: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if let Some(column) = record.iter().position(|cell| cell.contains('\0')) {
            let name = header.get(column).map_or("row", String::as_str);
            problems.push(located(
                line,
                name,
                "contains the NUL character (U+0000), which text may not hold",
            ));
            continue;
        }
        if rows.len() >= MAX_ROWS {
            return Err(WriteError::Invalid(vec![located(
                line,
                "row",
                format!("the file has more than {MAX_ROWS} rows; split it"),
            )]));
        }
        if record.len() != header.len() {
            problems.push(located(
                line,
                "row",
                format!(
                    "{} fields where the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let problems_before = problems.len();
        let get = |name: &str| {
            at(name)
                .and_then(|i| record.get(i))
                .filter(|v| !v.is_empty())
        };
        // Excel saves dates the way the sheet shows them: UK files carry DD/MM/YYYY.
        let date = |problems: &mut Vec<Problem>, name: &str| {
            get(name).and_then(|text| match dates::read_day(text) {
                Some(read) => Some(read.date),
                None => {
                    problems.push(located(
                        line,
                        name,
                        format!("'{text}' is not a date (YYYY-MM-DD or DD/MM/YYYY)"),
                    ));
                    None
                }
            })
        };
        let mut item = RecordInput {
            project: get("project_reference").unwrap_or_default().to_owned(),
            measure: get("measure_code").unwrap_or_default().to_owned(),
            period_start: date(&mut problems, "period_start"),
            period_end: date(&mut problems, "period_end"),
            note: get("note").map(str::to_owned),
            ..RecordInput::default()
        };
        for name in REQUIRED {
            if get(name).is_none() {
                problems.push(located(line, name, "is empty"));
            }
        }
        item.value = get("value").and_then(|t| number(&mut problems, line, "value", t));
        item.baseline = get("baseline").and_then(|t| number(&mut problems, line, "baseline", t));
        item.target = get("target").and_then(|t| number(&mut problems, line, "target", t));
        item.version = get("version").and_then(|t| match t.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(located(
                    line,
                    "version",
                    format!("'{t}' is not a whole number"),
                ));
                None
            }
        });
        item.sample_size = get("sample_size").and_then(|t| match t.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(located(
                    line,
                    "sample_size",
                    format!("'{t}' is not a whole number"),
                ));
                None
            }
        });
        item.data_source = get("data_source").and_then(|t| {
            let parsed = DataSource::parse(&t.to_ascii_lowercase());
            if parsed.is_none() {
                problems.push(located(line, "data_source", format!(
                    "'{t}' is not one of survey, volunteer_management_system, trust_system, estimate"
                )));
            }
            parsed
        });
        item.evidence_strength = get("evidence_strength").and_then(|t| {
            let parsed = EvidenceStrength::parse(&t.to_ascii_lowercase());
            if parsed.is_none() {
                problems.push(located(
                    line,
                    "evidence_strength",
                    format!("'{t}' is not one of weak, moderate, strong"),
                ));
            }
            parsed
        });
        if problems.len() == problems_before {
            rows.push((line, item));
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(located(2, "row", "the file has no rows under its header"));
    }
    Ok((rows, problems))
}

/// Imports a file: every row checked, then all written in one transaction (or, on a dry run,
/// nothing). `progress` hears how many rows are read and when the write is done.
pub async fn import(
    db: &DatabaseConnection,
    actor: &Actor,
    bytes: &[u8],
    dry_run: bool,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<RecordSummary, WriteError> {
    let (rows, unreadable) = parse(bytes)?;
    let total = rows.len() as u64;
    progress(Progress { done: 0, total });
    let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
    let items: Vec<RecordInput> = rows.into_iter().map(|(_, item)| item).collect();
    // With unreadable rows nothing is written, but the readable ones are still checked, so
    // that one pass reports every problem of the file.
    let checked = if items.is_empty() {
        Ok(RecordSummary::default())
    } else {
        write_batch(
            db,
            actor,
            &items,
            dry_run || !unreadable.is_empty(),
            MAX_ROWS,
        )
        .await
    };
    progress(Progress { done: total, total });
    let mut problems = unreadable;
    let summary = match checked {
        Ok(summary) => summary,
        // Name the file's lines and columns rather than batch positions and API fields.
        Err(WriteError::Invalid(found)) => {
            problems.extend(found.into_iter().map(|p| Problem {
                line: p.index.and_then(|i| lines.get(i).copied()),
                index: None,
                field: column_of(&p.field).to_owned(),
                message: relabel(&p.message, &lines),
            }));
            RecordSummary::default()
        }
        Err(e) => return Err(e),
    };
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(WriteError::Invalid(problems));
    }
    Ok(summary)
}

/// "item 3" in a batch problem becomes the line that item came from.
fn relabel(message: &str, lines: &[u64]) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("item ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 5..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        match digits.parse::<usize>().ok().and_then(|i| lines.get(i)) {
            Some(line) => {
                out.push_str(&format!("line {line}"));
                rest = &after[digits.len()..];
            }
            None => {
                out.push_str("item ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
