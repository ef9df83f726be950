//! `manifest.json`: what a snapshot holds, file by file, for readers to check before they load.

use crate::catalog::Table;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Bumped when a table or column is removed, renamed or changes type (adding one is compatible).
pub const SCHEMA_VERSION: u32 = 1;

/// What every snapshot says about who may see it.
pub const NOTICE: &str = "Record-level outcome data for evaluators. It is NOT disclosure-controlled: \
small numbers are neither withheld nor perturbed. Before publishing any figure from it, apply the \
campaign's disclosure rules (README, Disclosure control for analysts): cells of fewer than three \
projects left out, 1-7 people and means over a sample under 8 withheld, other cells perturbed by \
their cell key.";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub snapshot_id: String,
    pub created_at: DateTime<Utc>,
    pub schema_version: u32,
    /// The database kind, never a connection string.
    pub source: String,
    /// The newest database migration applied when the snapshot was read.
    pub source_migration: Option<String>,
    pub record_level: bool,
    pub disclosure_controlled: bool,
    pub notice: String,
    pub tables: Vec<TableEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TableEntry {
    pub name: String,
    pub description: String,
    pub rows: u64,
    /// `year` (of the named date column) for partitioned tables.
    pub partitioned_by: Option<String>,
    pub sorted_by: Vec<String>,
    pub files: Vec<FileEntry>,
    pub columns: Vec<ColumnEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// Relative to the snapshot's folder, `/`-separated.
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ColumnEntry {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
    pub nullable: bool,
    pub description: String,
}

impl TableEntry {
    pub fn new(table: &Table, rows: u64, files: Vec<FileEntry>) -> Self {
        Self {
            name: table.name.to_owned(),
            description: table.description.to_owned(),
            rows,
            partitioned_by: table.partition_by_year.map(|c| format!("year({c})")),
            sorted_by: table.sorted_by.iter().map(|s| (*s).to_owned()).collect(),
            files,
            columns: table
                .columns
                .iter()
                .map(|c| ColumnEntry {
                    name: c.name.to_owned(),
                    data_type: c.kind.type_name().to_owned(),
                    nullable: c.nullable,
                    description: c.description.to_owned(),
                })
                .collect(),
        }
    }
}

impl Manifest {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    pub fn total_bytes(&self) -> u64 {
        self.tables
            .iter()
            .flat_map(|t| &t.files)
            .map(|f| f.bytes)
            .sum()
    }
}
