//! A funder's 360Giving file into b2h: grants matched by identifier (a re-import updates them),
//! funders and recipient organisations matched by Org-ID and created when missing. Nothing is
//! written when any grant is rejected, unless the caller asks to skip the invalid ones.

use super::Progress;
use super::giving360::{self, OrgRef, Rejected};
use crate::write::edit;
use crate::write::entities::{AdminEdited, GrantFields};
use crate::write::{Actor, WriteError, begin, new_id};
use b2h_entity::{funder, grant, organisation};
use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};

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
    for (done, (index, row)) in parsed.accepted.iter().enumerate() {
        let existing = grant::Entity::find()
            .filter(grant::Column::Identifier.eq(row.identifier.as_str()))
            .one(&txn)
            .await?;
        // Each grant in a savepoint: a rejected one leaves no funder or organisation behind.
        let grant_txn = txn.begin().await?;
        let created = (summary.funders_created, summary.organisations_created);
        let funder = funder_for(&grant_txn, actor, &row.funder, &mut summary).await?;
        let recipient = organisation_for(&grant_txn, actor, &row.recipient, &mut summary).await?;
        // The same whole-row check as `createGrant`/`updateGrant` (lengths, archived funder or
        // recipient, identifier, dates, allocations against the amount and currency).
        let base = match &existing {
            Some(g) => g.clone(),
            None => <grant::Entity as AdminEdited>::blank(new_id()?, Utc::now()),
        };
        let fields = GrantFields {
            identifier: Some(row.identifier.clone()),
            title: Some(row.title.clone()),
            description: Some(row.description.clone()),
            funder_id: Some(funder.id),
            recipient_organisation_id: Some(recipient.id),
            amount_awarded: Some(row.amount_awarded),
            currency: Some(row.currency.clone()),
            award_date: Some(row.award_date),
            planned_start_date: Some(row.planned_start_date),
            planned_end_date: Some(row.planned_end_date),
            grant_programme: Some(row.grant_programme.clone()),
        };
        let checked =
            <grant::Entity as AdminEdited>::checked(&grant_txn, base, fields, existing.is_none())
                .await;
        let model = match checked {
            Ok(model) => model,
            Err(WriteError::Invalid(problems)) => {
                grant_txn.rollback().await.map_err(WriteError::from)?;
                (summary.funders_created, summary.organisations_created) = created;
                let reasons: Vec<String> = problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect();
                rejected.push(Rejected {
                    index: *index,
                    identifier: Some(row.identifier.clone()),
                    reason: reasons.join("; "),
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        match existing {
            None => {
                edit::insert::<grant::Entity>(&grant_txn, actor, model).await?;
                summary.created += 1;
            }
            Some(old) if same_grant(&old, &model) => summary.unchanged += 1,
            Some(old) => {
                edit::save::<grant::Entity>(&grant_txn, actor, "update", &old, model).await?;
                summary.updated += 1;
            }
        }
        grant_txn.commit().await.map_err(WriteError::from)?;
        progress(Progress {
            done: done as u64 + 1,
            total,
        });
    }
    rejected.sort_by_key(|r| r.index);
    if !rejected.is_empty() && !skip_invalid {
        // Dropping the transaction rolls everything back.
        return Err(GrantImportError::Rejected(rejected));
    }
    summary.rejected = rejected;
    if dry_run {
        txn.rollback().await.map_err(WriteError::from)?;
    } else {
        txn.commit().await.map_err(WriteError::from)?;
    }
    Ok(summary)
}
