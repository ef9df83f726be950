//! Reads a table from PostgreSQL as `COPY (SELECT …) TO STDOUT (FORMAT binary)` and decodes the
//! binary rows straight into Arrow builders: no text parsing, no per-row allocation.

use crate::catalog::{Table, select_sql};
use crate::column::{BatchBuilder, Cell, Kind, schema_of};
use crate::error::ExportError;
use crate::read::BatchSink;
use futures_util::StreamExt;
use sea_orm::sqlx::PgConnection;

/// Days and microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
const PG_EPOCH_DAYS: i32 = 10_957;
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// Streams `table` from `conn` (inside the snapshot's transaction) into `sink`; returns the rows.
pub async fn read_table(
    conn: &mut PgConnection,
    table: &'static Table,
    batch_rows: usize,
    sink: &mut BatchSink,
) -> Result<u64, ExportError> {
    let sql = format!(
        "COPY ({}) TO STDOUT (FORMAT binary)",
        select_sql(table, true)
    );
    let kinds: Vec<Kind> = table.columns.iter().map(|c| c.kind).collect();
    let mut decoder = Decoder {
        table,
        kinds: &kinds,
        batch: BatchBuilder::new(schema_of(table), &kinds, batch_rows),
        header_done: false,
        finished: false,
        rows: 0,
    };
    let mut stream = conn
        .copy_out_raw(&sql)
        .await
        .map_err(ExportError::database)?;
    let mut carry: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(ExportError::database)?;
        // PostgreSQL sends one row per message; a row split across messages is carried over.
        if carry.is_empty() {
            let used = decoder.decode(&chunk)?;
            carry.extend_from_slice(&chunk[used..]);
        } else {
            carry.extend_from_slice(&chunk);
            let used = decoder.decode(&carry)?;
            carry.drain(..used);
        }
        if decoder.batch.rows() >= batch_rows {
            sink.send(decoder.batch.finish()?).await?;
        }
    }
    drop(stream);
    if !decoder.finished || !carry.is_empty() {
        return Err(decoder.malformed("the data ended before the COPY trailer"));
    }
    if decoder.batch.rows() > 0 {
        sink.send(decoder.batch.finish()?).await?;
    }
    Ok(decoder.rows)
}

struct Decoder<'k> {
    table: &'static Table,
    kinds: &'k [Kind],
    batch: BatchBuilder,
    header_done: bool,
    finished: bool,
    rows: u64,
}

impl Decoder<'_> {
    fn malformed(&self, reason: &str) -> ExportError {
        ExportError::Decode {
            table: self.table.name,
            column: None,
            reason: reason.to_owned(),
        }
    }

    /// Decodes every complete row at the start of `data`; returns the bytes used.
    fn decode(&mut self, data: &[u8]) -> Result<usize, ExportError> {
        let mut pos = 0;
        if !self.header_done {
            // Signature, flags, then a header extension of the given length.
            let Some(ext) = data.get(15..19) else {
                return Ok(0);
            };
            if !data.starts_with(SIGNATURE) {
                return Err(self.malformed("not a binary COPY stream"));
            }
            let ext_len = be_u32(ext) as usize;
            if data.len() < 19 + ext_len {
                return Ok(0);
            }
            pos = 19 + ext_len;
            self.header_done = true;
        }
        while !self.finished {
            match self.row_end(data, pos)? {
                None => break,
                Some(RowEnd::Trailer) => {
                    self.finished = true;
                    pos += 2;
                }
                Some(RowEnd::Row(end)) => {
                    self.decode_row(&data[pos + 2..end])?;
                    pos = end;
                }
            }
        }
        Ok(pos)
    }

    /// Where the row starting at `pos` ends, if all of it is in `data`.
    fn row_end(&self, data: &[u8], pos: usize) -> Result<Option<RowEnd>, ExportError> {
        let Some(count) = data.get(pos..pos + 2) else {
            return Ok(None);
        };
        let count = i16::from_be_bytes([count[0], count[1]]);
        if count == -1 {
            return Ok(Some(RowEnd::Trailer));
        }
        if usize::try_from(count).ok() != Some(self.kinds.len()) {
            return Err(self.malformed(&format!(
                "a row has {count} fields, the catalog {}",
                self.kinds.len()
            )));
        }
        let mut at = pos + 2;
        for _ in 0..count {
            let Some(len) = data.get(at..at + 4) else {
                return Ok(None);
            };
            let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
            at += 4 + usize::try_from(len).unwrap_or(0);
        }
        Ok((at <= data.len()).then_some(RowEnd::Row(at)))
    }

    /// Decodes the fields of one complete row (after its field count).
    fn decode_row(&mut self, mut fields: &[u8]) -> Result<(), ExportError> {
        for (column, kind) in self.kinds.iter().enumerate() {
            let len = i32::from_be_bytes([fields[0], fields[1], fields[2], fields[3]]);
            fields = &fields[4..];
            let cell = if len < 0 {
                Cell::Null
            } else {
                let (value, rest) = fields.split_at(len as usize);
                fields = rest;
                self.cell(column, *kind, value)?
            };
            self.batch
                .push(column, cell)
                .map_err(|m| self.mismatch(m.column, &m.found))?;
        }
        self.batch.end_row();
        self.rows += 1;
        Ok(())
    }

    fn cell<'v>(&self, column: usize, kind: Kind, v: &'v [u8]) -> Result<Cell<'v>, ExportError> {
        let wrong = || self.mismatch(column, &format!("{} bytes for {kind:?}", v.len()));
        Ok(match (kind, v.len()) {
            (Kind::Id, 16) => {
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(v);
                Cell::Uuid(bytes)
            }
            (Kind::Text | Kind::Category, _) => Cell::Str(self.utf8(column, v)?),
            // jsonb's binary form is a version byte (1) and the JSON text.
            (Kind::TextList, 1..) if v[0] == 1 => Cell::Str(self.utf8(column, &v[1..])?),
            (Kind::TextList, _) => Cell::Str(self.utf8(column, v)?),
            // `infinity` and `-infinity` (the extremes) have no Arrow value.
            (Kind::Date, 4) => Cell::Date(
                be_i32(v)
                    .checked_add(PG_EPOCH_DAYS)
                    .filter(|d| *d != i32::MAX && be_i32(v) != i32::MIN)
                    .ok_or_else(|| self.mismatch(column, "an infinite date"))?,
            ),
            (Kind::Timestamp, 8) => Cell::Timestamp(
                be_i64(v)
                    .checked_add(PG_EPOCH_MICROS)
                    .filter(|_| be_i64(v) != i64::MIN && be_i64(v) != i64::MAX)
                    .ok_or_else(|| self.mismatch(column, "an infinite timestamp"))?,
            ),
            (Kind::Int32, 4) => Cell::Int32(be_i32(v)),
            (Kind::Int64 | Kind::Money, 8) => Cell::Int64(be_i64(v)),
            (Kind::Float64, 8) => Cell::Float64(f64::from_bits(be_i64(v) as u64)),
            (Kind::Bool, 1) => Cell::Bool(v[0] != 0),
            _ => return Err(wrong()),
        })
    }

    fn utf8<'v>(&self, column: usize, v: &'v [u8]) -> Result<&'v str, ExportError> {
        std::str::from_utf8(v).map_err(|_| self.mismatch(column, "text that is not UTF-8"))
    }

    fn mismatch(&self, column: usize, found: &str) -> ExportError {
        ExportError::Decode {
            table: self.table.name,
            column: self.table.columns.get(column).map(|c| c.name),
            reason: format!("unexpected value: {found}"),
        }
    }
}

enum RowEnd {
    Row(usize),
    Trailer,
}

fn be_u32(v: &[u8]) -> u32 {
    u32::from_be_bytes([v[0], v[1], v[2], v[3]])
}

fn be_i32(v: &[u8]) -> i32 {
    i32::from_be_bytes([v[0], v[1], v[2], v[3]])
}

fn be_i64(v: &[u8]) -> i64 {
    i64::from_be_bytes([v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]])
}
