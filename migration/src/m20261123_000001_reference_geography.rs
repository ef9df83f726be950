//! The four UK nations and the seven NHS England regions (ONS codes, NHS ODS codes).

use crate::dialect::{drop_tables, not_blank, run};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NATIONS: [(&str, &str); 4] = [
    ("E92000001", "England"),
    ("W92000004", "Wales"),
    ("S92000003", "Scotland"),
    ("N92000002", "Northern Ireland"),
];

/// (ONS code, ODS code, name): NHS England regions, in the order NHS England lists them.
const REGIONS: [(&str, &str, &str); 7] = [
    ("E40000003", "Y56", "London"),
    ("E40000005", "Y59", "South East"),
    ("E40000006", "Y58", "South West"),
    ("E40000007", "Y61", "East of England"),
    ("E40000010", "Y62", "North West"),
    ("E40000011", "Y60", "Midlands"),
    ("E40000012", "Y63", "North East and Yorkshire"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut sql = vec![
            format!(
                "CREATE TABLE nation (
                    code text PRIMARY KEY CHECK (length(code) = 9),
                    name text NOT NULL UNIQUE CHECK ({name})
                )",
                name = not_blank("name")
            ),
            format!(
                "CREATE TABLE region (
                    code text PRIMARY KEY CHECK (length(code) = 9),
                    ods_code text NOT NULL UNIQUE CHECK (length(ods_code) = 3),
                    name text NOT NULL UNIQUE CHECK ({name}),
                    nation_code text NOT NULL REFERENCES nation (code),
                    UNIQUE (code, nation_code)
                )",
                name = not_blank("name")
            ),
        ];
        for (code, name) in NATIONS {
            sql.push(format!(
                "INSERT INTO nation (code, name) VALUES ('{code}', '{name}')"
            ));
        }
        for (code, ods, name) in REGIONS {
            sql.push(format!(
                "INSERT INTO region (code, ods_code, name, nation_code) \
                 VALUES ('{code}', '{ods}', '{name}', 'E92000001')"
            ));
        }
        run(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["region", "nation"]).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
