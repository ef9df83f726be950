//! Writes one table's batches as Parquet files under the snapshot's (hidden) folder: one file
//! for a dimension table, `year=YYYY/part-NNNNN.parquet` files for a partitioned one.

use crate::catalog::Table;
use crate::column::schema_of;
use crate::error::ExportError;
use crate::manifest::FileEntry;
use arrow_array::{Array, Date32Array, RecordBatch, UInt32Array};
use arrow_schema::SchemaRef;
use chrono::{Datelike, NaiveDate};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Rows per row group: big enough for fast scans, small enough that memory stays flat.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;
/// Rows per file of a partitioned table before the next part starts.
pub const FILE_ROWS: u64 = 8 * ROW_GROUP_ROWS as u64;
/// Pages are compressed when full: small pages keep the unfinished row groups of the open
/// partitions (one per year) compressed in memory, and give the page index a finer grain.
const PAGE_BYTES: usize = 128 * 1024;
const PAGE_ROWS: usize = 8 * 1024;
/// zstd level 3: zstd's own default, and DuckDB's.
const ZSTD_LEVEL: i32 = 3;

/// The writer properties of `table`'s files: what evaluators' readers rely on.
pub fn properties(table: &Table, snapshot_id: &str) -> Result<WriterProperties, ExportError> {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_dictionary_enabled(true)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_data_page_size_limit(PAGE_BYTES)
        .set_data_page_row_count_limit(PAGE_ROWS)
        .set_created_by(format!("b2h {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(vec![
            KeyValue::new("b2h.snapshot_id".to_owned(), snapshot_id.to_owned()),
            KeyValue::new("b2h.table".to_owned(), table.name.to_owned()),
        ]));
    for name in table.unique {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(*name), false);
    }
    // Each column is one Parquet leaf (the one list column has a single leaf too), so a field's
    // position is its leaf index.
    let sorting: Vec<SortingColumn> = table
        .sorted_by
        .iter()
        .filter_map(|name| table.column(name))
        .map(|(index, _)| SortingColumn {
            column_idx: index as i32,
            descending: false,
            nulls_first: false,
        })
        .collect();
    if !sorting.is_empty() {
        builder = builder.set_sorting_columns(Some(sorting));
    }
    Ok(builder.build())
}

/// A file being written that counts and hashes its bytes on the way out.
struct HashingFile {
    out: BufWriter<File>,
    hasher: Sha256,
    bytes: u64,
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// One open Parquet file.
struct Part {
    writer: ArrowWriter<HashingFile>,
    path: String,
    rows: u64,
}

/// Writes the batches of one table.
pub struct TableWriter {
    table: &'static Table,
    dir: PathBuf,
    schema: SchemaRef,
    props: WriterProperties,
    partition_column: Option<usize>,
    sorted_by_partition: bool,
    open: BTreeMap<Option<i32>, Part>,
    next_part: BTreeMap<Option<i32>, u32>,
    files: Vec<FileEntry>,
    /// Most bytes the open files' unfinished row groups held at once (logged: memory evidence).
    peak_buffered: usize,
}

impl TableWriter {
    pub fn new(table: &'static Table, dir: &Path, snapshot_id: &str) -> Result<Self, ExportError> {
        Ok(Self {
            table,
            dir: dir.to_owned(),
            schema: schema_of(table),
            props: properties(table, snapshot_id)?,
            partition_column: table
                .partition_by_year
                .and_then(|name| table.column(name))
                .map(|(index, _)| index),
            sorted_by_partition: table.partition_by_year.is_some()
                && table.sorted_by.first() == table.partition_by_year.as_ref(),
            open: BTreeMap::new(),
            next_part: BTreeMap::new(),
            files: Vec::new(),
            peak_buffered: 0,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), ExportError> {
        let Some(column) = self.partition_column else {
            return self.write_part(None, batch);
        };
        let years = years_of(batch, column).ok_or_else(|| ExportError::Decode {
            table: self.table.name,
            column: self.table.partition_by_year,
            reason: "the partition column is not a date without nulls".to_owned(),
        })?;
        let mut rows_by_year: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
        for (row, year) in years.iter().enumerate() {
            rows_by_year.entry(*year).or_default().push(row as u32);
        }
        if rows_by_year.len() == 1 {
            return self.write_part(Some(years[0]), batch);
        }
        for (year, rows) in rows_by_year {
            let part = arrow_select::take::take_record_batch(batch, &UInt32Array::from(rows))?;
            self.write_part(Some(year), &part)?;
        }
        Ok(())
    }

    fn write_part(&mut self, key: Option<i32>, batch: &RecordBatch) -> Result<(), ExportError> {
        if !self.open.contains_key(&key) {
            // Rows sorted by the partition's date never return to an earlier year: its file is done.
            if self.sorted_by_partition {
                let done: Vec<Option<i32>> = self.open.keys().copied().collect();
                for old in done {
                    if let Some(part) = self.open.remove(&old) {
                        self.close(part)?;
                    }
                }
            }
            let part = self.open_part(key)?;
            self.open.insert(key, part);
        }
        let Some(part) = self.open.get_mut(&key) else {
            return Ok(());
        };
        part.writer.write(batch)?;
        part.rows += batch.num_rows() as u64;
        let full = key.is_some() && part.rows >= FILE_ROWS;
        let buffered: usize = self.open.values().map(|p| p.writer.memory_size()).sum();
        self.peak_buffered = self.peak_buffered.max(buffered);
        if full && let Some(part) = self.open.remove(&key) {
            self.close(part)?;
        }
        Ok(())
    }

    fn open_part(&mut self, key: Option<i32>) -> Result<Part, ExportError> {
        let path = match key {
            None => format!("{}.parquet", self.table.name),
            Some(year) => {
                let n = self.next_part.entry(key).or_default();
                let path = format!("{}/year={year:04}/part-{n:05}.parquet", self.table.name);
                *n += 1;
                path
            }
        };
        let full = self.dir.join(&path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(ExportError::io(parent))?;
        }
        let file = File::create(&full).map_err(ExportError::io(&full))?;
        let out = HashingFile {
            out: BufWriter::with_capacity(1 << 20, file),
            hasher: Sha256::new(),
            bytes: 0,
        };
        let writer = ArrowWriter::try_new(out, self.schema.clone(), Some(self.props.clone()))?;
        Ok(Part {
            writer,
            path,
            rows: 0,
        })
    }

    fn close(&mut self, part: Part) -> Result<(), ExportError> {
        let full = self.dir.join(&part.path);
        let HashingFile { out, hasher, bytes } = part.writer.into_inner()?;
        let file = out
            .into_inner()
            .map_err(|e| ExportError::io(&full)(e.into_error()))?;
        file.sync_all().map_err(ExportError::io(&full))?;
        self.files.push(FileEntry {
            path: part.path,
            rows: part.rows,
            bytes,
            sha256: hex(&hasher.finalize()),
        });
        Ok(())
    }

    /// Closes every open file; a dimension table gets its file even when it has no rows.
    pub fn finish(mut self) -> Result<Vec<FileEntry>, ExportError> {
        if self.partition_column.is_none() && self.open.is_empty() {
            let part = self.open_part(None)?;
            self.open.insert(None, part);
        }
        for part in std::mem::take(&mut self.open).into_values() {
            self.close(part)?;
        }
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        tracing::debug!(
            table = self.table.name,
            peak_buffered_bytes = self.peak_buffered,
            "row groups buffered at most"
        );
        Ok(self.files)
    }
}

/// The year of each row's date in `column`, or `None` if it is not a date column without nulls.
fn years_of(batch: &RecordBatch, column: usize) -> Option<Vec<i32>> {
    let dates = batch
        .column(column)
        .as_any()
        .downcast_ref::<Date32Array>()?;
    if dates.null_count() > 0 {
        return None;
    }
    let epoch = NaiveDate::default();
    dates
        .values()
        .iter()
        .map(|days| {
            epoch
                .checked_add_signed(chrono::TimeDelta::days(i64::from(*days)))
                .map(|d| d.year())
        })
        .collect()
}

/// Lower-case hex of `bytes` (checksums here; API keys and query hashes in the API).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
