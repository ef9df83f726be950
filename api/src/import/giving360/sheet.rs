//! The flattened form's files, CSV and XLSX, read into nested grant objects (see [`super::flat`])
//! with the spreadsheet row each came from.
//!
//! CSVs come from Excel and funders' systems, in any encoding `import::text` reads, with LF,
//! CRLF or CR line ends.

use super::flat::{self, Column};
use chrono::NaiveDate;
use serde_json::{Map, Number, Value};

/// Most grants one file may hold.
pub const MAX_ROWS: usize = 100_000;

/// A data row of a sheet: its spreadsheet row number (the header is row 1 in a CSV) and the
/// grant it holds.
#[derive(Debug, Clone)]
pub struct SheetRow {
    pub row: u64,
    pub grant: Map<String, Value>,
    /// Field labels of the nested form → the column titles as the file writes them, so that
    /// problems name the sheet's columns.
    pub titles: Vec<(String, String)>,
}

/// Why a sheet cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error(transparent)]
    Encoding(#[from] crate::import::text::TextError),
    #[error("row {row}: cannot read the CSV: {reason}")]
    Csv { row: u64, reason: String },
    #[error("cannot read the XLSX workbook: {0}")]
    Xlsx(String),
    #[error("the workbook unpacks to more than {} MiB: not a spreadsheet of grants", MAX_UNPACKED_BYTES / (1024 * 1024))]
    Unpacked,
    #[error("the workbook has no worksheet")]
    NoSheet,
    #[error(
        "row 1 has no 360Giving column titles (expected the standard's titles such as Identifier, Title, Amount Awarded, Award Date, Recipient Org:Identifier)"
    )]
    NoColumns,
    #[error("row 1: the columns '{first}' and '{second}' both give {label}")]
    DuplicateColumn {
        first: String,
        second: String,
        label: String,
    },
    #[error("the file has more than {MAX_ROWS} grants; split it")]
    TooManyRows,
    #[error("the file has no grants under its header")]
    NoRows,
}

/// Reads a CSV of the flattened form.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<SheetRow>, SheetError> {
    let text = crate::import::text::decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header.iter().map(str::to_owned).collect::<Vec<_>>(),
        Some(Err(e)) => {
            return Err(SheetError::Csv {
                row: 1,
                reason: e.to_string(),
            });
        }
        None => return Err(SheetError::NoColumns),
    };
    let columns = Header::new(&header)?;
    let mut rows = Vec::new();
    for (at, record) in records.enumerate() {
        let row = at as u64 + 2;
        let record = record.map_err(|e| SheetError::Csv {
            row,
            reason: e.to_string(),
        })?;
        let cells = record.iter().map(|cell| Cell::Text(cell.to_owned()));
        if let Some(sheet_row) = columns.row(row, cells) {
            push(&mut rows, sheet_row)?;
        }
    }
    finish(rows)
}

/// Most bytes an XLSX workbook may hold once unpacked: a spreadsheet of [`MAX_ROWS`] grants is
/// far smaller, and a "zip bomb" of a few kilobytes would otherwise unpack to gigabytes.
pub const MAX_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;

/// The widest sheet Excel makes (column XFD).
const MAX_COLUMNS: usize = 16_384;

/// Reads the first worksheet of an XLSX workbook of the flattened form, cell by cell (a sheet
/// with one cell in A1 and one in XFD1048576 is two cells, not a grid of billions).
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<SheetRow>, SheetError> {
    use calamine::{Reader, Xlsx};
    check_unpacked_size(bytes)?;
    let xlsx = |e: calamine::XlsxError| SheetError::Xlsx(e.to_string());
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(xlsx)?;
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or(SheetError::NoSheet)?;
    let mut reader = workbook.worksheet_cells_reader(&name).map_err(xlsx)?;
    let mut columns: Option<Header> = None;
    let mut rows = Vec::new();
    let mut line: Option<(u32, Vec<Cell>)> = None;
    loop {
        let next = reader.next_cell().map_err(xlsx)?;
        let at = next.as_ref().map(|c| c.get_position());
        // A row is complete when a cell of a later row (or the end) comes.
        let done = line
            .as_ref()
            .is_some_and(|(row, _)| at.is_none_or(|(r, _)| r != *row));
        if done && let Some((row, cells)) = line.take() {
            let number = u64::from(row) + 1;
            match &columns {
                None => {
                    let header: Vec<String> =
                        cells.iter().map(|c| c.text().unwrap_or_default()).collect();
                    columns = Some(Header::new(&header)?);
                }
                Some(columns) => {
                    if let Some(sheet_row) = columns.row(number, cells.into_iter()) {
                        push(&mut rows, sheet_row)?;
                    }
                }
            }
        }
        let Some(cell) = next else { break };
        let (row, column) = cell.get_position();
        let column = column as usize;
        if column >= MAX_COLUMNS {
            return Err(SheetError::Xlsx(format!(
                "row {}: a cell beyond column XFD, the widest Excel sheet",
                u64::from(row) + 1
            )));
        }
        let (_, cells) = line.get_or_insert_with(|| (row, Vec::new()));
        if cells.len() <= column {
            cells.resize(column + 1, Cell::Empty);
        }
        cells[column] = Cell::from_xlsx(&calamine::Data::from(cell.get_value().clone()));
    }
    if columns.is_none() {
        return Err(SheetError::NoColumns);
    }
    finish(rows)
}

/// Refuses a workbook that unpacks to more than [`MAX_UNPACKED_BYTES`], by unpacking it into
/// nothing (the sizes an archive declares can lie).
fn check_unpacked_size(bytes: &[u8]) -> Result<(), SheetError> {
    check_unpacked_within(bytes, MAX_UNPACKED_BYTES)
}

fn check_unpacked_within(bytes: &[u8], limit: u64) -> Result<(), SheetError> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| SheetError::Xlsx(e.to_string()))?;
    let mut left = limit;
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| SheetError::Xlsx(e.to_string()))?;
        let read = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink())
            .map_err(|e| SheetError::Xlsx(e.to_string()))?;
        if read > left {
            return Err(SheetError::Unpacked);
        }
        left -= read;
    }
    Ok(())
}

fn push(rows: &mut Vec<SheetRow>, row: SheetRow) -> Result<(), SheetError> {
    if rows.len() >= MAX_ROWS {
        return Err(SheetError::TooManyRows);
    }
    rows.push(row);
    Ok(())
}

fn finish(rows: Vec<SheetRow>) -> Result<Vec<SheetRow>, SheetError> {
    if rows.is_empty() {
        Err(SheetError::NoRows)
    } else {
        Ok(rows)
    }
}

/// The header's columns that b2h reads, by position.
struct Header {
    columns: Vec<Option<(&'static Column, String)>>,
}

impl Header {
    fn new(titles: &[String]) -> Result<Self, SheetError> {
        let mut columns: Vec<Option<(&'static Column, String)>> = Vec::new();
        for title in titles {
            let title = title.trim().to_owned();
            let column = flat::column(&title);
            if let Some(column) = column
                && let Some((_, first)) = columns
                    .iter()
                    .flatten()
                    .find(|(c, _)| c.label() == column.label())
            {
                return Err(SheetError::DuplicateColumn {
                    first: first.clone(),
                    second: title,
                    label: column.label(),
                });
            }
            columns.push(column.map(|c| (c, title)));
        }
        if columns.iter().flatten().next().is_none() {
            return Err(SheetError::NoColumns);
        }
        Ok(Self { columns })
    }

    /// The grant of one data row; `None` for a row with nothing in b2h's columns.
    fn row(&self, row: u64, cells: impl Iterator<Item = Cell>) -> Option<SheetRow> {
        let mut grant = Map::new();
        for (cell, column) in cells.zip(&self.columns) {
            let Some((column, _)) = column else {
                continue;
            };
            if let Some(value) = cell.value(column.key == "amountAwarded") {
                column.set(&mut grant, value);
            }
        }
        if grant.is_empty() {
            return None;
        }
        let titles = self
            .columns
            .iter()
            .flatten()
            .map(|(column, title)| (column.label(), title.clone()))
            .collect();
        Some(SheetRow { row, grant, titles })
    }
}

/// A cell as read, before it becomes a JSON value.
#[derive(Clone, Debug)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

impl Cell {
    fn from_xlsx(data: &calamine::Data) -> Self {
        use calamine::Data;
        match data {
            Data::Empty => Cell::Empty,
            Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => {
                Cell::Text(text.clone())
            }
            Data::Int(n) => Cell::Number(*n as f64),
            Data::Float(n) => Cell::Number(*n),
            Data::Bool(b) => Cell::Text(b.to_string()),
            Data::Error(e) => Cell::Text(format!("#{e:?}")),
            Data::DateTime(excel) if excel.is_datetime() => {
                excel_date(excel.as_f64()).map_or_else(|| Cell::Number(excel.as_f64()), Cell::Date)
            }
            Data::DateTime(excel) => Cell::Number(excel.as_f64()),
        }
    }

    fn text(&self) -> Option<String> {
        match self {
            Cell::Empty => None,
            Cell::Text(text) => Some(text.clone()),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(format!("{n:.0}")),
            Cell::Number(n) => Some(n.to_string()),
            Cell::Date(date) => Some(date.format("%Y-%m-%d").to_string()),
        }
    }

    /// The JSON value of the cell: numbers stay numbers in the amount column, text elsewhere
    /// (a charity number typed as a number is still an identifier); blank cells are absent.
    fn value(self, amount: bool) -> Option<Value> {
        match self {
            Cell::Number(n) if amount => Number::from_f64(n).map(Value::Number),
            Cell::Text(text) if text.trim().is_empty() => None,
            other => other.text().map(Value::String),
        }
    }
}

/// An Excel date serial (days since 1899-12-30 in the 1900 date system) as a date.
fn excel_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    epoch.checked_add_days(chrono::Days::new(serial.floor() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HEADER: &str = "Identifier,Title,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,Funding Org:Identifier,Funding Org:Name,Other";

    #[test]
    fn a_workbook_that_unpacks_too_far_is_refused() {
        use std::io::Write;
        let mut packed = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut packed);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/sharedStrings.xml", options).unwrap();
        zip.write_all(&vec![b' '; 2 * 1024 * 1024]).unwrap();
        zip.finish().unwrap();
        let bytes = packed.into_inner();
        assert!(bytes.len() < 64 * 1024, "{} bytes packed", bytes.len());
        assert!(matches!(
            check_unpacked_within(&bytes, 1024 * 1024),
            Err(SheetError::Unpacked)
        ));
        assert!(check_unpacked_within(&bytes, 4 * 1024 * 1024).is_ok());
    }

    #[test]
    fn a_csv_becomes_nested_grants() {
        let csv = format!(
            "{HEADER}\r\n360G-x-1,A grant,GBP,\"£1,000\",17/03/2014,GB-CHC-1,Recipient,GB-CHC-2,Funder,ignored\r\n,,,,,,,,,\r\n"
        );
        let rows = read_csv(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[0].grant["amountAwarded"], json!("£1,000"));
        assert_eq!(
            rows[0].grant["recipientOrganization"],
            json!([{"id": "GB-CHC-1", "name": "Recipient"}])
        );
        assert!(!rows[0].grant.contains_key("Other"));
        assert!(
            rows[0]
                .titles
                .contains(&("awardDate".to_owned(), "Award Date".to_owned()))
        );
    }

    #[test]
    fn encodings_and_line_ends() {
        let body = "360G-x-1,A grant,GBP,\u{a3}5,2014-03-17,GB-CHC-1,Caf\u{e9},GB-CHC-2,F,";
        for line_end in ["\n", "\r\n", "\r"] {
            let csv = format!("{HEADER}{line_end}{body}{line_end}");
            let mut with_bom = b"\xEF\xBB\xBF".to_vec();
            with_bom.extend_from_slice(csv.as_bytes());
            let latin: Vec<u8> = csv.chars().map(|c| c as u32 as u8).collect();
            let mut utf16 = b"\xFF\xFE".to_vec();
            utf16.extend(csv.encode_utf16().flat_map(u16::to_le_bytes));
            for bytes in [csv.as_bytes().to_vec(), with_bom, latin, utf16] {
                let rows = read_csv(&bytes).unwrap();
                assert_eq!(rows.len(), 1, "{line_end:?}");
                assert_eq!(rows[0].grant["amountAwarded"], json!("£5"));
                assert_eq!(
                    rows[0].grant["recipientOrganization"][0]["name"],
                    json!("Café")
                );
            }
        }
        assert!(matches!(
            read_csv(b"Identifier\n\x81\n"),
            Err(SheetError::Encoding(
                crate::import::text::TextError::NotText { byte: 0x81, .. }
            ))
        ));
    }

    #[test]
    fn unusable_sheets_are_errors() {
        assert!(matches!(
            read_csv(b"name,amount\nx,1\n"),
            Err(SheetError::NoColumns)
        ));
        assert!(matches!(read_csv(b"Identifier\n"), Err(SheetError::NoRows)));
        assert!(matches!(
            read_csv(b"Identifier,id\n360G-1,360G-1\n"),
            Err(SheetError::DuplicateColumn { .. })
        ));
        assert!(matches!(
            read_xlsx(b"PK\x03\x04 not a zip"),
            Err(SheetError::Xlsx(_))
        ));
    }

    #[test]
    fn excel_serials_are_dates() {
        assert_eq!(excel_date(41715.0), NaiveDate::from_ymd_opt(2014, 3, 17));
        assert_eq!(excel_date(-1.0), None);
    }
}
