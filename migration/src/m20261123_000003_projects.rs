//! Projects (volunteering services), their pathway stages and partner organisations.

use crate::dialect::{Dialect, drop_tables, editable_columns, not_blank, one_of, run};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const STAGES: [&str; 4] = [
    "waiting_well",
    "getting_well",
    "recovering_well",
    "living_well",
];
const SETTINGS: [&str; 6] = [
    "hospital",
    "emergency_department",
    "outpatient",
    "community",
    "home",
    "virtual",
];
const STATUSES: [&str; 4] = ["planned", "active", "paused", "completed"];
const PARTNER_ROLES: [&str; 4] = ["lead", "delivery", "host", "evaluation"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let d = Dialect::of(manager);
        let Dialect {
            uuid, date, json, ..
        } = d;
        let editable = editable_columns(&d);
        let sql = vec![
            format!(
                "CREATE TABLE project (
                    id {uuid} PRIMARY KEY,
                    reference text NOT NULL UNIQUE
                        CHECK (length(reference) BETWEEN 3 AND 32 AND {reference}),
                    title text NOT NULL CHECK ({title}),
                    description text,
                    lead_organisation_id {uuid} NOT NULL REFERENCES organisation (id),
                    campaign_id {uuid} NOT NULL REFERENCES campaign (id),
                    primary_stage text NOT NULL CHECK ({stage}),
                    setting text NOT NULL CHECK ({setting}),
                    status text NOT NULL CHECK ({status}),
                    start_date {date} NOT NULL,
                    end_date {date},
                    nation_code text NOT NULL REFERENCES nation (code),
                    region_code text,
                    volunteer_roles {json} NOT NULL DEFAULT '[]' CHECK ({roles}),
                    {editable},
                    FOREIGN KEY (region_code, nation_code) REFERENCES region (code, nation_code),
                    CHECK (end_date IS NULL OR end_date >= start_date),
                    CHECK ((nation_code = 'E92000001') = (region_code IS NOT NULL))
                )",
                reference = d.reference_code("reference"),
                title = not_blank("title"),
                stage = one_of("primary_stage", &STAGES),
                setting = one_of("setting", &SETTINGS),
                status = one_of("status", &STATUSES),
                roles = d.json_array("volunteer_roles"),
            ),
            "CREATE INDEX project_lead_organisation_idx ON project (lead_organisation_id)".to_owned(),
            "CREATE INDEX project_campaign_idx ON project (campaign_id)".to_owned(),
            "CREATE INDEX project_region_idx ON project (region_code)".to_owned(),
            "CREATE INDEX project_nation_idx ON project (nation_code)".to_owned(),
            "CREATE INDEX project_status_idx ON project (status)".to_owned(),
            "CREATE INDEX project_primary_stage_idx ON project (primary_stage)".to_owned(),
            "CREATE INDEX project_title_idx ON project (title)".to_owned(),
            "CREATE INDEX project_start_date_idx ON project (start_date)".to_owned(),
            format!(
                "CREATE TABLE project_stage (
                    project_id {uuid} NOT NULL REFERENCES project (id) ON DELETE CASCADE,
                    stage text NOT NULL CHECK ({stage}),
                    is_primary boolean NOT NULL DEFAULT FALSE,
                    PRIMARY KEY (project_id, stage)
                )",
                stage = one_of("stage", &STAGES),
            ),
            // A project has exactly one primary stage row (the application writes it with the project).
            "CREATE UNIQUE INDEX project_stage_one_primary_idx ON project_stage (project_id) WHERE is_primary"
                .to_owned(),
            "CREATE INDEX project_stage_stage_idx ON project_stage (stage, project_id)".to_owned(),
            format!(
                "CREATE TABLE project_partner (
                    project_id {uuid} NOT NULL REFERENCES project (id) ON DELETE CASCADE,
                    organisation_id {uuid} NOT NULL REFERENCES organisation (id),
                    role text NOT NULL CHECK ({role}),
                    PRIMARY KEY (project_id, organisation_id)
                )",
                role = one_of("role", &PARTNER_ROLES),
            ),
            "CREATE UNIQUE INDEX project_partner_one_lead_idx ON project_partner (project_id) WHERE role = 'lead'"
                .to_owned(),
            "CREATE INDEX project_partner_organisation_idx ON project_partner (organisation_id, project_id)"
                .to_owned(),
        ];
        run(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["project_partner", "project_stage", "project"]).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
