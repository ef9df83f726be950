//! A funder's 360Giving file into b2h: grants matched by identifier (a re-import updates them),
//! funders and recipient organisations matched by Org-ID and created when missing. Nothing is
//! written when any grant is rejected, unless the caller asks to skip the invalid ones.

use super::Progress;
use super::giving360::{self, GrantRow, OrgRef, Rejected};
use crate::write::edit;
use crate::write::entities::{allocated_total, money};
use crate::write::{Actor, MAX_NAME, MAX_TEXT, WriteError, begin, new_id};
use b2h_entity::{funder, grant, organisation};
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// Why a grants file was not imported.
#[derive(Debug, thiserror::Error)]
pub enum GrantImportError {
    #[error(transparent)]
    File(#[from] giving360::FileError),
    #[error("{} of the file's grants cannot be imported, so nothing was written (--skip-invalid imports the rest)", .0.len())]
    Rejected(Vec<Rejected>),
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl From<sea_orm::DbErr> for GrantImportError {
    fn from(e: sea_orm::DbErr) -> Self {
        GrantImportError::Write(e.into())
    }
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Default)]
pub struct GrantImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub organisations_created: usize,
    pub funders_created: usize,
    /// Grants left out (only with `skip_invalid`).
    pub rejected: Vec<Rejected>,
    pub dry_run: bool,
}

async fn organisation_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org: &OrgRef,
    summary: &mut GrantImportSummary,
) -> Result<organisation::Model, WriteError> {
    if let Some(found) = organisation::Entity::find()
        .filter(organisation::Column::OrgId.eq(org.org_id.as_str()))
        .one(db)
        .await?
    {
        return Ok(found);
    }
    let now = Utc::now();
    summary.organisations_created += 1;
    edit::insert::<organisation::Entity>(
        db,
        actor,
        organisation::Model {
            id: new_id()?,
            name: org.name.clone(),
            kind: org.kind,
            org_id: Some(org.org_id.clone()),
            ods_code: None,
            charity_number: org.charity_number.clone(),
            company_number: org.company_number.clone(),
            website: None,
            nation_code: None,
            region_code: None,
            created_at: now,
            updated_at: now,
            version: 1,
            archived_at: None,
        },
    )
    .await
}

async fn funder_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org: &OrgRef,
    summary: &mut GrantImportSummary,
) -> Result<funder::Model, WriteError> {
    if let Some(found) = funder::Entity::find()
        .filter(funder::Column::OrgId.eq(org.org_id.as_str()))
        .one(db)
        .await?
    {
        return Ok(found);
    }
    let linked = organisation::Entity::find()
        .filter(organisation::Column::OrgId.eq(org.org_id.as_str()))
        .one(db)
        .await?;
    let now = Utc::now();
    summary.funders_created += 1;
    edit::insert::<funder::Entity>(
        db,
        actor,
        funder::Model {
            id: new_id()?,
            name: org.name.clone(),
            org_id: Some(org.org_id.clone()),
            website: None,
            organisation_id: linked.map(|o| o.id),
            created_at: now,
            updated_at: now,
            version: 1,
            archived_at: None,
        },
    )
    .await
}

/// The grant row the file describes, over `existing` when there is one.
fn grant_model(
    row: &GrantRow,
    funder: &funder::Model,
    recipient: &organisation::Model,
    existing: Option<&grant::Model>,
) -> Result<grant::Model, WriteError> {
    let now = Utc::now();
    Ok(grant::Model {
        id: match existing {
            Some(g) => g.id,
            None => new_id()?,
        },
        identifier: row.identifier.clone(),
        title: row.title.clone(),
        description: row.description.clone(),
        funder_id: funder.id,
        recipient_organisation_id: recipient.id,
        amount_awarded: row.amount_awarded,
        currency: row.currency.clone(),
        award_date: row.award_date,
        planned_start_date: row.planned_start_date,
        planned_end_date: row.planned_end_date,
        grant_programme: row.grant_programme.clone(),
        created_at: existing.map_or(now, |g| g.created_at),
        updated_at: existing.map_or(now, |g| g.updated_at),
        version: existing.map_or(1, |g| g.version),
        // A re-import does not bring an archived grant back.
        archived_at: existing.and_then(|g| g.archived_at),
    })
}

fn same_grant(a: &grant::Model, b: &grant::Model) -> bool {
    let mut b = b.clone();
    b.updated_at = a.updated_at;
    b.version = a.version;
    b.created_at = a.created_at;
    *a == b
}

/// Imports a 360Giving file as `actor` (admins and the command line).
pub async fn import(
    db: &DatabaseConnection,
    actor: &Actor,
    bytes: &[u8],
    dry_run: bool,
    skip_invalid: bool,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<GrantImportSummary, GrantImportError> {
    if !actor.principal.is_admin() {
        return Err(WriteError::Forbidden(crate::access::ADMIN_ONLY.into()).into());
    }
    let parsed = giving360::parse(bytes)?;
    let mut summary = GrantImportSummary {
        dry_run,
        ..Default::default()
    };
    let mut rejected = parsed.rejected;
    let total = parsed.accepted.len() as u64;
    let txn = begin(db).await?;
    // What the database says about each grant (an update must not fall below its allocations).
    let mut writes = Vec::new();
    for (index, row) in &parsed.accepted {
        let existing = grant::Entity::find()
            .filter(grant::Column::Identifier.eq(row.identifier.as_str()))
            .one(&txn)
            .await?;
        if let Some(g) = &existing {
            let allocated = allocated_total(&txn, g.id, None).await?;
            if allocated > row.amount_awarded {
                rejected.push(Rejected {
                    index: *index,
                    identifier: Some(row.identifier.clone()),
                    reason: format!(
                        "amountAwarded is below the {} already allocated to projects",
                        money(allocated)
                    ),
                });
                continue;
            }
            if g.currency != row.currency && allocated > 0 {
                rejected.push(Rejected {
                    index: *index,
                    identifier: Some(row.identifier.clone()),
                    reason: format!(
                        "currency {} differs from the {} its allocations are in",
                        row.currency, g.currency
                    ),
                });
                continue;
            }
        }
        let mut reasons = Vec::new();
        if row.title.chars().count() > MAX_NAME {
            reasons.push(format!("title is longer than {MAX_NAME} characters"));
        }
        if row
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_TEXT)
        {
            reasons.push(format!("description is longer than {MAX_TEXT} characters"));
        }
        for (what, org_id) in [
            ("funder", &row.funder.org_id),
            ("recipient", &row.recipient.org_id),
        ] {
            let archived = match what {
                "funder" => funder::Entity::find()
                    .filter(funder::Column::OrgId.eq(org_id.as_str()))
                    .filter(funder::Column::ArchivedAt.is_not_null())
                    .one(&txn)
                    .await?
                    .is_some(),
                _ => organisation::Entity::find()
                    .filter(organisation::Column::OrgId.eq(org_id.as_str()))
                    .filter(organisation::Column::ArchivedAt.is_not_null())
                    .one(&txn)
                    .await?
                    .is_some(),
            };
            if archived {
                reasons.push(format!("the {what} {org_id} is archived in b2h"));
            }
        }
        if !reasons.is_empty() {
            rejected.push(Rejected {
                index: *index,
                identifier: Some(row.identifier.clone()),
                reason: reasons.join("; "),
            });
            continue;
        }
        writes.push((row, existing));
    }
    rejected.sort_by_key(|r| r.index);
    if !rejected.is_empty() && !skip_invalid {
        return Err(GrantImportError::Rejected(rejected));
    }
    summary.rejected = rejected;
    for (done, (row, existing)) in writes.into_iter().enumerate() {
        let funder = funder_for(&txn, actor, &row.funder, &mut summary).await?;
        let recipient = organisation_for(&txn, actor, &row.recipient, &mut summary).await?;
        let model = grant_model(row, &funder, &recipient, existing.as_ref())?;
        match existing {
            None => {
                edit::insert::<grant::Entity>(&txn, actor, model).await?;
                summary.created += 1;
            }
            Some(old) if same_grant(&old, &model) => summary.unchanged += 1,
            Some(old) => {
                edit::save::<grant::Entity>(&txn, actor, "update", &old, model).await?;
                summary.updated += 1;
            }
        }
        progress(Progress {
            done: done as u64 + 1,
            total,
        });
    }
    if dry_run {
        txn.rollback().await.map_err(WriteError::from)?;
    } else {
        txn.commit().await.map_err(WriteError::from)?;
    }
    Ok(summary)
}
