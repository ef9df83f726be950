//! 360Giving-compatible grants and their allocations to projects.

use crate::dialect::{Dialect, drop_tables, editable_columns, not_blank, run};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let d = Dialect::of(manager);
        let Dialect { uuid, date, .. } = d;
        let editable = editable_columns(&d);
        // `grant` is an SQL keyword, so the table is `grant_award`.
        let sql = vec![
            format!(
                "CREATE TABLE grant_award (
                    id {uuid} PRIMARY KEY,
                    identifier text NOT NULL UNIQUE
                        CHECK (identifier LIKE '360G-%' AND length(identifier) BETWEEN 6 AND 200),
                    title text NOT NULL CHECK ({title}),
                    description text,
                    funder_id {uuid} NOT NULL REFERENCES funder (id),
                    recipient_organisation_id {uuid} NOT NULL REFERENCES organisation (id),
                    amount_awarded bigint NOT NULL CHECK (amount_awarded >= 0),
                    currency text NOT NULL CHECK ({currency}),
                    award_date {date} NOT NULL,
                    planned_start_date {date},
                    planned_end_date {date},
                    grant_programme text,
                    {editable},
                    UNIQUE (id, currency),
                    CHECK (planned_end_date IS NULL OR planned_start_date IS NULL
                           OR planned_end_date >= planned_start_date)
                )",
                title = not_blank("title"),
                currency = d.currency_code("currency"),
            ),
            "CREATE INDEX grant_award_funder_idx ON grant_award (funder_id)".to_owned(),
            "CREATE INDEX grant_award_recipient_idx ON grant_award (recipient_organisation_id)"
                .to_owned(),
            "CREATE INDEX grant_award_award_date_idx ON grant_award (award_date)".to_owned(),
            // An allocation is in its grant's currency: the composite key makes that a constraint.
            format!(
                "CREATE TABLE grant_allocation (
                    id {uuid} PRIMARY KEY,
                    grant_id {uuid} NOT NULL,
                    project_id {uuid} NOT NULL REFERENCES project (id),
                    amount bigint NOT NULL CHECK (amount >= 0),
                    currency text NOT NULL CHECK ({currency}),
                    {editable},
                    FOREIGN KEY (grant_id, currency) REFERENCES grant_award (id, currency)
                        ON UPDATE CASCADE ON DELETE CASCADE,
                    UNIQUE (grant_id, project_id)
                )",
                currency = d.currency_code("currency"),
            ),
            "CREATE INDEX grant_allocation_project_idx ON grant_allocation (project_id, grant_id)"
                .to_owned(),
        ];
        run(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["grant_allocation", "grant_award"]).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
