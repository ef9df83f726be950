//! Campaigns (with Back to Health), organisations and funders.

use crate::dialect::{Dialect, drop_tables, editable_columns, not_blank, one_of, run};
use crate::reference::BACK_TO_HEALTH_CAMPAIGN_ID;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ORGANISATION_KINDS: [&str; 8] = [
    "nhs_trust",
    "integrated_care_board",
    "community_organisation",
    "charity",
    "local_authority",
    "hospice",
    "social_enterprise",
    "other",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let d = Dialect::of(manager);
        let Dialect { uuid, date, .. } = d;
        let editable = editable_columns(&d);
        let sql = vec![
            format!(
                "CREATE TABLE campaign (
                    id {uuid} PRIMARY KEY,
                    name text NOT NULL UNIQUE CHECK ({name}),
                    description text,
                    start_date {date} NOT NULL,
                    target_date {date} NOT NULL,
                    target_people bigint NOT NULL CHECK (target_people > 0),
                    {editable},
                    CHECK (target_date > start_date)
                )",
                name = not_blank("name"),
            ),
            format!(
                "INSERT INTO campaign (id, name, description, start_date, target_date, target_people,
                    created_at, updated_at, version)
                 VALUES ({id}, 'Back to Health',
                    'Helping NHS trusts and community organisations run volunteering services that \
help people wait well, get well, recover well and live well.',
                    '2022-03-01', '2025-03-31', 1000000, {at}, {at}, 1)",
                id = d.uuid_literal(BACK_TO_HEALTH_CAMPAIGN_ID),
                at = d.ts_literal("2022-03-01T00:00:00+00:00"),
            ),
            format!(
                "CREATE TABLE organisation (
                    id {uuid} PRIMARY KEY,
                    name text NOT NULL CHECK ({name}),
                    kind text NOT NULL CHECK ({kind}),
                    org_id text UNIQUE CHECK (org_id IS NULL OR (length(org_id) BETWEEN 5 AND 64 AND org_id = trim(org_id))),
                    ods_code text UNIQUE CHECK (ods_code IS NULL OR length(ods_code) BETWEEN 3 AND 8),
                    charity_number text CHECK (charity_number IS NULL OR {charity}),
                    company_number text CHECK (company_number IS NULL OR {company}),
                    website text,
                    nation_code text REFERENCES nation (code),
                    region_code text,
                    {editable},
                    FOREIGN KEY (region_code, nation_code) REFERENCES region (code, nation_code),
                    CHECK (region_code IS NULL OR nation_code IS NOT NULL)
                )",
                name = not_blank("name"),
                kind = one_of("kind", &ORGANISATION_KINDS),
                charity = not_blank("charity_number"),
                company = not_blank("company_number"),
            ),
            "CREATE INDEX organisation_kind_idx ON organisation (kind)".to_owned(),
            "CREATE INDEX organisation_region_idx ON organisation (region_code)".to_owned(),
            "CREATE INDEX organisation_nation_idx ON organisation (nation_code)".to_owned(),
            "CREATE INDEX organisation_name_idx ON organisation (name)".to_owned(),
            format!(
                "CREATE TABLE funder (
                    id {uuid} PRIMARY KEY,
                    name text NOT NULL CHECK ({name}),
                    org_id text UNIQUE CHECK (org_id IS NULL OR (length(org_id) BETWEEN 5 AND 64 AND org_id = trim(org_id))),
                    website text,
                    organisation_id {uuid} REFERENCES organisation (id),
                    {editable}
                )",
                name = not_blank("name"),
            ),
            "CREATE INDEX funder_name_idx ON funder (name)".to_owned(),
            "CREATE INDEX funder_organisation_idx ON funder (organisation_id)".to_owned(),
        ];
        run(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["funder", "organisation", "campaign"]).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
