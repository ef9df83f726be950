//! API keys, the audit trail and export jobs.

use crate::dialect::{Dialect, drop_tables, editable_columns, not_blank, one_of, run};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ROLES: [&str; 4] = ["admin", "partner", "funder", "evaluator"];
const EXPORT_STATUSES: [&str; 4] = ["queued", "running", "succeeded", "failed"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let d = Dialect::of(manager);
        let Dialect { uuid, ts, json, .. } = d;
        let editable = editable_columns(&d);
        let sql = vec![
            // Only a hash of the secret is kept; the prefix finds the key without scanning hashes.
            format!(
                "CREATE TABLE api_key (
                    id {uuid} PRIMARY KEY,
                    name text NOT NULL CHECK ({name}),
                    role text NOT NULL CHECK ({role}),
                    organisation_id {uuid} REFERENCES organisation (id),
                    funder_id {uuid} REFERENCES funder (id),
                    key_prefix text NOT NULL UNIQUE CHECK (length(key_prefix) BETWEEN 8 AND 32),
                    secret_hash text NOT NULL CHECK (length(secret_hash) >= 32),
                    created_by text NOT NULL CHECK ({created_by}),
                    created_at {ts} NOT NULL,
                    expires_at {ts},
                    last_used_at {ts},
                    revoked_at {ts},
                    CHECK ((role = 'partner') = (organisation_id IS NOT NULL)),
                    CHECK ((role = 'funder') = (funder_id IS NOT NULL))
                )",
                name = not_blank("name"),
                role = one_of("role", &ROLES),
                created_by = not_blank("created_by"),
            ),
            format!(
                "CREATE TABLE audit_event (
                    id {uuid} PRIMARY KEY,
                    at {ts} NOT NULL,
                    actor text NOT NULL CHECK ({actor}),
                    action text NOT NULL CHECK ({action}),
                    entity_type text NOT NULL CHECK ({entity_type}),
                    entity_id {uuid},
                    before {json} CHECK ({before}),
                    after {json} CHECK ({after}),
                    request_id text
                )",
                actor = not_blank("actor"),
                action = not_blank("action"),
                entity_type = not_blank("entity_type"),
                before = d.json_valid("before"),
                after = d.json_valid("after"),
            ),
            "CREATE INDEX audit_event_entity_idx ON audit_event (entity_type, entity_id, at)"
                .to_owned(),
            "CREATE INDEX audit_event_at_idx ON audit_event (at)".to_owned(),
            "CREATE INDEX audit_event_actor_idx ON audit_event (actor, at)".to_owned(),
            format!(
                "CREATE TABLE export_job (
                    id {uuid} PRIMARY KEY,
                    status text NOT NULL CHECK ({status}),
                    requested_by text NOT NULL CHECK ({requested_by}),
                    destination text NOT NULL CHECK ({destination}),
                    snapshot_id text,
                    total_rows bigint CHECK (total_rows IS NULL OR total_rows >= 0),
                    total_bytes bigint CHECK (total_bytes IS NULL OR total_bytes >= 0),
                    error text,
                    requested_at {ts} NOT NULL,
                    started_at {ts},
                    finished_at {ts},
                    {editable},
                    CHECK (status <> 'succeeded' OR snapshot_id IS NOT NULL),
                    CHECK (finished_at IS NULL OR started_at IS NULL OR finished_at >= started_at)
                )",
                status = one_of("status", &EXPORT_STATUSES),
                requested_by = not_blank("requested_by"),
                destination = not_blank("destination"),
            ),
            "CREATE INDEX export_job_status_idx ON export_job (status, requested_at)".to_owned(),
        ];
        run(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["export_job", "audit_event", "api_key"]).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
