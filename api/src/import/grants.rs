//! A funder's 360Giving file into b2h: grants matched by identifier (a re-import updates them),
//! funders and recipient organisations matched by Org-ID (or by an identifier that is not one,
//! kept as given) and created when missing. Nothing is written when any grant is rejected,
//! unless the caller asks to skip the invalid ones.
//!
//! A grant whose funder has no identifier gets the funder of that name (case and spacing
//! ignored), or else the file's publisher, when the caller names one.

use super::Progress;
use super::giving360::{self, AmbiguousAt, Form, OrgRef, Rejected, name_key};
use crate::write::edit;
use crate::write::entities::{AdminEdited, GrantFields};
use crate::write::{Actor, Changes, Entity, WriteError, begin, commit, new_id};
use b2h_entity::{funder, grant, organisation};
use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

/// The identifiers b2h's 360Giving export gives organisations and funders that have none (the
/// standard requires one); an import reading them back finds the same row.
pub const OWN_ORGANISATION_PREFIX: &str = "360G-b2h-organisation-";
pub const OWN_FUNDER_PREFIX: &str = "360G-b2h-funder-";

/// Why a grants file was not imported.
#[derive(Debug, thiserror::Error)]
pub enum GrantImportError {
    #[error(transparent)]
    File(#[from] giving360::FileError),
    #[error("{} of the file's grants cannot be imported, so nothing was written (--skip-invalid imports the rest)", .0.len())]
    Rejected(Vec<Rejected>),
    #[error(
        "the publisher '{0}' is neither a funder in the database nor one the file names (give its Org-ID, other identifier, name or id)"
    )]
    UnknownPublisher(String),
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl From<sea_orm::DbErr> for GrantImportError {
    fn from(e: sea_orm::DbErr) -> Self {
        GrantImportError::Write(e.into())
    }
}

/// How to import a file.
#[derive(Debug, Clone, Copy)]
pub struct GrantImportOptions<'a> {
    pub form: Form,
    pub dry_run: bool,
    pub skip_invalid: bool,
    /// Who published the file (an Org-ID, other identifier, name or funder id): the funder of
    /// the grants that name none or name one b2h cannot find.
    pub publisher: Option<&'a str>,
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Default)]
pub struct GrantImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub organisations_created: usize,
    pub funders_created: usize,
    /// Grants whose funder was found by name (no identifier given).
    pub funders_by_name: usize,
    /// Grants given to the publisher (no usable funder in the grant).
    pub by_publisher: usize,
    /// Grants the file gave no title, named `Grant to <recipient>`.
    pub untitled: usize,
    /// Slash dates read day first that could have been read month first.
    pub ambiguous: Vec<AmbiguousAt>,
    /// Grants left out (only with `skip_invalid`).
    pub rejected: Vec<Rejected>,
    pub dry_run: bool,
}

/// A b2h id in one of the export's own identifiers.
fn own_id(identifier: Option<&str>, prefix: &str) -> Option<Uuid> {
    identifier?
        .strip_prefix(prefix)
        .and_then(|id| Uuid::parse_str(id).ok())
}

async fn organisation_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org: &OrgRef,
    summary: &mut GrantImportSummary,
) -> Result<organisation::Model, WriteError> {
    let found = if let Some(org_id) = &org.org_id {
        organisation::Entity::find()
            .filter(organisation::Column::OrgId.eq(org_id.as_str()))
            .one(db)
            .await?
    } else if let Some(id) = own_id(org.other_identifier.as_deref(), OWN_ORGANISATION_PREFIX) {
        organisation::Entity::find_by_id(id).one(db).await?
    } else {
        // Identifiers that are not Org-IDs are not unique (`DUMMY`, `GB-CHC-n/a`): the name
        // must agree too.
        let key = name_key(&org.name);
        organisation::Entity::find()
            .filter(organisation::Column::OtherIdentifier.eq(org.other_identifier.clone()))
            .all(db)
            .await?
            .into_iter()
            .find(|o| name_key(&o.name) == key)
    };
    if let Some(found) = found {
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
            org_id: org.org_id.clone(),
            other_identifier: org.other_identifier.clone(),
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

/// Funders whose name matches (case and spacing ignored).
async fn funders_named(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Vec<funder::Model>, WriteError> {
    let key = name_key(name);
    // Funders are few (tens); names are compared in Rust to ignore spacing the same way on
    // both backends.
    Ok(funder::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|f| name_key(&f.name) == key)
        .collect())
}

/// A funder found for a grant, or why none is.
enum FunderFound {
    Found(funder::Model),
    /// Not in the database: create it from the grant.
    Missing,
    ByName(funder::Model),
    Unresolved(String),
}

async fn find_funder(db: &impl ConnectionTrait, org: &OrgRef) -> Result<FunderFound, WriteError> {
    if let Some(org_id) = &org.org_id {
        let found = funder::Entity::find()
            .filter(funder::Column::OrgId.eq(org_id.as_str()))
            .one(db)
            .await?;
        return Ok(found.map_or(FunderFound::Missing, FunderFound::Found));
    }
    if let Some(other) = &org.other_identifier {
        if let Some(id) = own_id(Some(other), OWN_FUNDER_PREFIX)
            && let Some(found) = funder::Entity::find_by_id(id).one(db).await?
        {
            return Ok(FunderFound::Found(found));
        }
        let found = funder::Entity::find()
            .filter(funder::Column::OtherIdentifier.eq(other.as_str()))
            .one(db)
            .await?;
        return Ok(found.map_or(FunderFound::Missing, FunderFound::Found));
    }
    let mut named = funders_named(db, &org.name).await?;
    Ok(match named.len() {
        1 => FunderFound::ByName(named.remove(0)),
        0 => FunderFound::Unresolved(format!(
            "fundingOrganization has no identifier and no funder is named '{}' (give the funder's \
             Org-ID, or the file's publisher with --publisher)",
            org.name
        )),
        n => FunderFound::Unresolved(format!(
            "fundingOrganization has no identifier and its name '{}' matches {n} funders (give the \
             funder's Org-ID)",
            org.name
        )),
    })
}

async fn create_funder(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org: &OrgRef,
    summary: &mut GrantImportSummary,
) -> Result<funder::Model, WriteError> {
    let linked = match &org.org_id {
        Some(org_id) => {
            organisation::Entity::find()
                .filter(organisation::Column::OrgId.eq(org_id.as_str()))
                .one(db)
                .await?
        }
        None => None,
    };
    let now = Utc::now();
    summary.funders_created += 1;
    edit::insert::<funder::Entity>(
        db,
        actor,
        funder::Model {
            id: new_id()?,
            name: org.name.clone(),
            org_id: org.org_id.clone(),
            other_identifier: org.other_identifier.clone(),
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

/// The publisher given on the command line: a funder in the database, or one the file names.
enum Publisher {
    Stored(funder::Model),
    InFile(OrgRef),
}

async fn resolve_publisher(
    db: &impl ConnectionTrait,
    given: &str,
    parsed: &giving360::Parsed,
) -> Result<Publisher, GrantImportError> {
    let given = given.trim();
    if let Ok(id) = Uuid::parse_str(given)
        && let Some(found) = funder::Entity::find_by_id(id).one(db).await?
    {
        return Ok(Publisher::Stored(found));
    }
    let by_identifier = funder::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(funder::Column::OrgId.eq(given))
                .add(funder::Column::OtherIdentifier.eq(given)),
        )
        .one(db)
        .await?;
    if let Some(found) = by_identifier {
        return Ok(Publisher::Stored(found));
    }
    let mut named = funders_named(db, given).await?;
    if named.len() == 1 {
        return Ok(Publisher::Stored(named.remove(0)));
    }
    let key = name_key(given);
    parsed
        .accepted
        .iter()
        .filter_map(|(_, row)| row.funder.as_ref())
        .find(|f| {
            f.identifier() == Some(given) || (f.identifier().is_some() && name_key(&f.name) == key)
        })
        .map(|f| Publisher::InFile(f.clone()))
        .ok_or_else(|| GrantImportError::UnknownPublisher(given.to_owned()))
}

/// The funder of one grant: its own, found or created, else the publisher's.
async fn funder_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org: Option<&OrgRef>,
    publisher: Option<&Publisher>,
    summary: &mut GrantImportSummary,
) -> Result<Result<funder::Model, String>, WriteError> {
    let unresolved = match org {
        Some(org) => match find_funder(db, org).await? {
            FunderFound::Found(found) => return Ok(Ok(found)),
            FunderFound::ByName(found) => {
                summary.funders_by_name += 1;
                return Ok(Ok(found));
            }
            FunderFound::Missing => return create_funder(db, actor, org, summary).await.map(Ok),
            FunderFound::Unresolved(reason) => reason,
        },
        None => "the grant names no funder (fundingOrganization): give the file's publisher with \
                 --publisher"
            .to_owned(),
    };
    let Some(publisher) = publisher else {
        return Ok(Err(unresolved));
    };
    summary.by_publisher += 1;
    match publisher {
        Publisher::Stored(found) => Ok(Ok(found.clone())),
        Publisher::InFile(org) => match find_funder(db, org).await? {
            FunderFound::Found(found) | FunderFound::ByName(found) => Ok(Ok(found)),
            FunderFound::Missing => create_funder(db, actor, org, summary).await.map(Ok),
            FunderFound::Unresolved(reason) => Ok(Err(reason)),
        },
    }
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
    options: GrantImportOptions<'_>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<GrantImportSummary, GrantImportError> {
    if !actor.principal.is_admin() {
        return Err(WriteError::Forbidden(crate::access::ADMIN_ONLY.into()).into());
    }
    let parsed = giving360::parse(bytes, options.form)?;
    let publisher = match options.publisher {
        Some(given) => Some(resolve_publisher(db, given, &parsed).await?),
        None => None,
    };
    let mut summary = GrantImportSummary {
        dry_run: options.dry_run,
        untitled: parsed.untitled,
        ambiguous: parsed.ambiguous.clone(),
        ..Default::default()
    };
    let mut rejected = parsed.rejected.clone();
    let total = parsed.accepted.len() as u64;
    let txn = begin(db).await?;
    // What the import touched: its grants, and the funders and recipients they name (a superset
    // of those it created).
    let mut changes = Changes::default();
    for (done, (index, row)) in parsed.accepted.iter().enumerate() {
        let reject = |reason: String| Rejected {
            index: *index,
            row: parsed.row_of(*index),
            identifier: Some(row.identifier.clone()),
            reason,
        };
        let existing = grant::Entity::find()
            .filter(grant::Column::Identifier.eq(row.identifier.as_str()))
            .one(&txn)
            .await?;
        // Each grant in a savepoint: a rejected one leaves no funder or organisation behind.
        let grant_txn = txn.begin().await?;
        let counts = (
            summary.funders_created,
            summary.organisations_created,
            summary.funders_by_name,
            summary.by_publisher,
        );
        let funder = match funder_for(
            &grant_txn,
            actor,
            row.funder.as_ref(),
            publisher.as_ref(),
            &mut summary,
        )
        .await?
        {
            Ok(funder) => funder,
            Err(reason) => {
                grant_txn.rollback().await.map_err(WriteError::from)?;
                (
                    summary.funders_created,
                    summary.organisations_created,
                    summary.funders_by_name,
                    summary.by_publisher,
                ) = counts;
                rejected.push(reject(reason));
                continue;
            }
        };
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
            award_date_precision: Some(row.award_date_precision),
            planned_start_date_precision: Some(row.planned_start_date_precision),
            planned_end_date_precision: Some(row.planned_end_date_precision),
        };
        let checked =
            <grant::Entity as AdminEdited>::checked(&grant_txn, base, fields, existing.is_none())
                .await;
        let model = match checked {
            Ok(model) => model,
            Err(WriteError::Invalid(problems)) => {
                grant_txn.rollback().await.map_err(WriteError::from)?;
                (
                    summary.funders_created,
                    summary.organisations_created,
                    summary.funders_by_name,
                    summary.by_publisher,
                ) = counts;
                let reasons: Vec<String> = problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect();
                rejected.push(reject(reasons.join("; ")));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let touched = [
            (Entity::Grant, model.id),
            (Entity::Funder, funder.id),
            (Entity::Organisation, recipient.id),
        ];
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
        for (entity, id) in touched {
            changes.add(entity, id);
        }
        progress(Progress {
            done: done as u64 + 1,
            total,
        });
    }
    rejected.sort_by_key(|r| r.index);
    // Dates of grants left out are not reported as read.
    summary.ambiguous.retain(|a| {
        rejected
            .binary_search_by_key(&a.index, |r| r.index)
            .is_err()
    });
    if !rejected.is_empty() && !options.skip_invalid {
        // Dropping the transaction rolls everything back.
        return Err(GrantImportError::Rejected(rejected));
    }
    summary.rejected = rejected;
    if options.dry_run {
        txn.rollback().await.map_err(WriteError::from)?;
    } else {
        commit(txn, changes).await?;
    }
    Ok(summary)
}
