//! Column kinds, their Arrow types, and the builders that gather one batch of a column.

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int32Builder, Int64Builder,
    ListBuilder, StringBuilder, StringDictionaryBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use std::collections::HashMap;
use std::sync::Arc;

/// Money is kept in pence; exported as a decimal with two places.
pub const MONEY_PRECISION: u8 = 18;
pub const MONEY_SCALE: i8 = 2;

/// How a column is stored in the database and written to Parquet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A UUID, written as lower-case hyphenated text (what every reader can join on).
    Id,
    Text,
    /// Text from a small set of values: dictionary-encoded (a pandas/polars category).
    Category,
    Date,
    Timestamp,
    Int32,
    Int64,
    Float64,
    Bool,
    /// A whole number of pence, written as `Decimal128(18, 2)`.
    Money,
    /// A JSON array of strings in the database, a list of strings in Parquet.
    TextList,
}

impl Kind {
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Id | Kind::Text => DataType::Utf8,
            Kind::Category => {
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
            }
            Kind::Date => DataType::Date32,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Kind::Int32 => DataType::Int32,
            Kind::Int64 => DataType::Int64,
            Kind::Float64 => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Money => DataType::Decimal128(MONEY_PRECISION, MONEY_SCALE),
            Kind::TextList => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        }
    }

    /// The type as pyarrow prints it, which is how evaluators will see it.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Id | Kind::Text => "string",
            Kind::Category => "dictionary<values=string, indices=int32, ordered=0>",
            Kind::Date => "date32[day]",
            Kind::Timestamp => "timestamp[us, tz=UTC]",
            Kind::Int32 => "int32",
            Kind::Int64 => "int64",
            Kind::Float64 => "double",
            Kind::Bool => "bool",
            Kind::Money => "decimal128(18, 2)",
            Kind::TextList => "list<item: string>",
        }
    }

    /// Stored as text in the database (PostgreSQL keeps ids as `uuid`).
    pub fn is_stored_as_text(self) -> bool {
        matches!(self, Kind::Text | Kind::Category)
    }
}

/// The Arrow schema of a table, each field carrying its description.
pub fn schema_of(table: &crate::catalog::Table) -> SchemaRef {
    let fields: Vec<Field> = table
        .columns
        .iter()
        .map(|c| {
            Field::new(c.name, c.kind.data_type(), c.nullable).with_metadata(HashMap::from([(
                "description".to_owned(),
                c.description.to_owned(),
            )]))
        })
        .collect();
    let metadata = HashMap::from([
        ("b2h.table".to_owned(), table.name.to_owned()),
        ("description".to_owned(), table.description.to_owned()),
    ]);
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

/// One value as a database reader decoded it, before it is appended to its column.
#[derive(Clone, Copy, Debug)]
pub enum Cell<'a> {
    Null,
    Uuid([u8; 16]),
    Str(&'a str),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01T00:00:00Z.
    Timestamp(i64),
    Int32(i32),
    Int64(i64),
    Float64(f64),
    Bool(bool),
}

impl Cell<'_> {
    fn kind_name(&self) -> &'static str {
        match self {
            Cell::Null => "null",
            Cell::Uuid(_) => "a uuid",
            Cell::Str(_) => "text",
            Cell::Date(_) => "a date",
            Cell::Timestamp(_) => "a timestamp",
            Cell::Int32(_) => "a 32-bit integer",
            Cell::Int64(_) => "a 64-bit integer",
            Cell::Float64(_) => "a float",
            Cell::Bool(_) => "a boolean",
        }
    }
}

/// The builder of one column of a batch.
enum Builder {
    Str(StringBuilder),
    Dict(StringDictionaryBuilder<Int32Type>),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Bool(BooleanBuilder),
    Money(Decimal128Builder),
    List(ListBuilder<StringBuilder>),
}

/// A value the column cannot hold (a reader's type does not match the catalog).
#[derive(Debug)]
pub struct Mismatch {
    pub column: usize,
    pub found: String,
}

/// Gathers rows into the columns of one Arrow batch.
pub struct BatchBuilder {
    schema: SchemaRef,
    builders: Vec<Builder>,
    rows: usize,
}

impl BatchBuilder {
    pub fn new(schema: SchemaRef, kinds: &[Kind], capacity: usize) -> Self {
        let builders = kinds
            .iter()
            .map(|kind| match kind {
                Kind::Id | Kind::Text => Builder::Str(StringBuilder::with_capacity(
                    capacity,
                    capacity * if *kind == Kind::Id { 36 } else { 16 },
                )),
                Kind::Category => Builder::Dict(StringDictionaryBuilder::new()),
                Kind::Date => Builder::Date(Date32Builder::with_capacity(capacity)),
                Kind::Timestamp => Builder::Timestamp(
                    TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone("UTC"),
                ),
                Kind::Int32 => Builder::Int32(Int32Builder::with_capacity(capacity)),
                Kind::Int64 => Builder::Int64(Int64Builder::with_capacity(capacity)),
                Kind::Float64 => Builder::Float64(Float64Builder::with_capacity(capacity)),
                Kind::Bool => Builder::Bool(BooleanBuilder::with_capacity(capacity)),
                Kind::Money => Builder::Money(
                    Decimal128Builder::with_capacity(capacity)
                        .with_data_type(Kind::Money.data_type()),
                ),
                Kind::TextList => Builder::List(ListBuilder::new(StringBuilder::new())),
            })
            .collect();
        Self {
            schema,
            builders,
            rows: 0,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Appends the value of column `column` of the current row.
    pub fn push(&mut self, column: usize, cell: Cell<'_>) -> Result<(), Mismatch> {
        // The kind of value only: errors are logged, and values are record-level data.
        let mismatch = |cell: Cell<'_>| Mismatch {
            column,
            found: cell.kind_name().to_owned(),
        };
        let Some(builder) = self.builders.get_mut(column) else {
            return Err(mismatch(cell));
        };
        match (builder, cell) {
            (Builder::Str(b), Cell::Null) => b.append_null(),
            (Builder::Str(b), Cell::Str(s)) => b.append_value(s),
            (Builder::Str(b), Cell::Uuid(bytes)) => {
                let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
                b.append_value(
                    uuid::Uuid::from_bytes(bytes)
                        .hyphenated()
                        .encode_lower(&mut text),
                );
            }
            (Builder::Dict(b), Cell::Null) => b.append_null(),
            (Builder::Dict(b), Cell::Str(s)) => {
                b.append(s).map_err(|e| Mismatch {
                    column,
                    found: e.to_string(),
                })?;
            }
            (Builder::Date(b), Cell::Null) => b.append_null(),
            (Builder::Date(b), Cell::Date(d)) => b.append_value(d),
            (Builder::Timestamp(b), Cell::Null) => b.append_null(),
            (Builder::Timestamp(b), Cell::Timestamp(t)) => b.append_value(t),
            (Builder::Int32(b), Cell::Null) => b.append_null(),
            (Builder::Int32(b), Cell::Int32(v)) => b.append_value(v),
            (Builder::Int64(b), Cell::Null) => b.append_null(),
            (Builder::Int64(b), Cell::Int64(v)) => b.append_value(v),
            (Builder::Float64(b), Cell::Null) => b.append_null(),
            (Builder::Float64(b), Cell::Float64(v)) => b.append_value(v),
            (Builder::Bool(b), Cell::Null) => b.append_null(),
            (Builder::Bool(b), Cell::Bool(v)) => b.append_value(v),
            (Builder::Money(b), Cell::Null) => b.append_null(),
            (Builder::Money(b), Cell::Int64(pence)) => b.append_value(i128::from(pence)),
            (Builder::List(b), Cell::Null) => b.append_null(),
            (Builder::List(b), Cell::Str(json)) => {
                let items: Vec<String> = serde_json::from_str(json).map_err(|_| Mismatch {
                    column,
                    found: "text that is not a JSON array of strings".to_owned(),
                })?;
                for item in items {
                    b.values().append_value(item);
                }
                b.append(true);
            }
            (_, cell) => return Err(mismatch(cell)),
        }
        Ok(())
    }

    /// Marks the end of a row.
    pub fn end_row(&mut self) {
        self.rows += 1;
    }

    /// The gathered rows as a batch; the builder is empty again afterwards.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Str(b) => Arc::new(b.finish()),
                    Builder::Dict(b) => Arc::new(b.finish()),
                    Builder::Date(b) => Arc::new(b.finish()),
                    Builder::Timestamp(b) => Arc::new(b.finish()),
                    Builder::Int32(b) => Arc::new(b.finish()),
                    Builder::Int64(b) => Arc::new(b.finish()),
                    Builder::Float64(b) => Arc::new(b.finish()),
                    Builder::Bool(b) => Arc::new(b.finish()),
                    Builder::Money(b) => Arc::new(b.finish()),
                    Builder::List(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::TABLES;
    use arrow_array::{Array, Decimal128Array, StringArray};

    #[test]
    fn money_is_exact_pence_and_ids_are_text() {
        let grants = TABLES
            .iter()
            .find(|t| t.name == "grant_allocations")
            .unwrap();
        let kinds: Vec<Kind> = grants.columns.iter().map(|c| c.kind).collect();
        let mut batch = BatchBuilder::new(schema_of(grants), &kinds, 4);
        let id = [0x12u8; 16];
        let cells = [
            Cell::Uuid(id),
            Cell::Uuid(id),
            Cell::Uuid(id),
            Cell::Int64(123_456_789_012_345),
            Cell::Str("GBP"),
            Cell::Timestamp(0),
            Cell::Timestamp(1),
            Cell::Null,
        ];
        for (i, cell) in cells.into_iter().enumerate() {
            batch.push(i, cell).unwrap();
        }
        batch.end_row();
        assert!(batch.push(3, Cell::Str("12.50")).is_err());
        let batch = batch.finish().unwrap();
        let amount = batch
            .column(3)
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap();
        assert_eq!(amount.value_as_string(0), "1234567890123.45");
        let ids = batch
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(ids.value(0), "12121212-1212-1212-1212-121212121212");
        assert!(batch.column(7).is_null(0));
    }
}
