//! Organisations, funders, projects (with stages and partners), grants and allocations: created,
//! changed and archived after the row as it would be is checked whole.
//!
//! Each `*Fields` struct serves create and update alike: on create a required field left out is a
//! problem; on update a left-out field keeps its value, and `Some(None)` clears an optional one.

use super::edit::{self, Editable, load};
use super::{
    Actor, MAX_NAME, MAX_TEXT, Problem, WriteError, begin, check, new_id, optional_text,
    required_text,
};
use super::{Changes, Entity, commit};
use crate::access::{ADMIN_ONLY, WRITE_FORBIDDEN, WriteAccess, writes_as};
use b2h_entity::enums::{
    DatePrecision, OrganisationKind, PartnerRole, PathwayStage, ProjectSetting, ProjectStatus,
};
use b2h_entity::{
    campaign, funder, grant, grant_allocation, nation, organisation, project, project_partner,
    project_stage, region,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseTransaction;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use std::future::Future;
use uuid::Uuid;

/// The England nation code: projects and organisations there have an NHS England region.
const ENGLAND: &str = "E92000001";

fn admin_only(actor: &Actor) -> Result<(), WriteError> {
    if actor.principal.is_admin() {
        Ok(())
    } else {
        Err(WriteError::Forbidden(ADMIN_ONLY.into()))
    }
}

/// `Some(None)` clears, `Some(Some(v))` sets, `None` keeps.
fn patch<T>(slot: &mut T, change: Option<T>) {
    if let Some(v) = change {
        *slot = v;
    }
}

/// A required field on create.
fn require<T>(problems: &mut Vec<Problem>, creating: bool, field: &str, value: &Option<T>) {
    if creating && value.is_none() {
        problems.push(Problem::field(field, "is required"));
    }
}

/// Checks an optional trimmed identifier's length; blank becomes absent.
fn identifier(
    problems: &mut Vec<Problem>,
    field: &str,
    value: Option<String>,
    min: usize,
    max: usize,
) -> Option<String> {
    let text = value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())?;
    let length = text.chars().count();
    if length < min || length > max || text.contains(char::is_whitespace) {
        problems.push(Problem::field(
            field,
            format!("'{text}' must be {min} to {max} characters without spaces"),
        ));
    }
    Some(text)
}

/// Whether another row than `id` of `E` has `value` in `column`.
async fn taken<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    id_column: E::Column,
    value: &str,
    id: Uuid,
) -> Result<bool, WriteError>
where
    E::Column: ColumnTrait,
{
    Ok(E::find()
        .filter(column.eq(value))
        .filter(id_column.ne(id))
        .one(db)
        .await?
        .is_some())
}

/// Checks a nation and region pair against the reference data.
async fn check_place(
    db: &impl ConnectionTrait,
    problems: &mut Vec<Problem>,
    nation_code: Option<&str>,
    region_code: Option<&str>,
    region_required_in_england: bool,
) -> Result<(), WriteError> {
    if let Some(code) = nation_code
        && nation::Entity::find_by_id(code.to_owned())
            .one(db)
            .await?
            .is_none()
    {
        problems.push(Problem::field(
            "nationCode",
            format!(
                "'{code}' is not a UK nation code (E92000001, W92000004, S92000003, N92000002)"
            ),
        ));
    }
    match (nation_code, region_code) {
        (_, Some(code)) => match region::Entity::find_by_id(code.to_owned()).one(db).await? {
            None => problems.push(Problem::field(
                "regionCode",
                format!("'{code}' is not an NHS England region code (E40000003…E40000012)"),
            )),
            Some(r) if Some(r.nation_code.as_str()) != nation_code => problems.push(
                Problem::field("regionCode", format!("region {code} is in England only")),
            ),
            Some(_) => {}
        },
        (Some(ENGLAND), None) if region_required_in_england => problems.push(Problem::field(
            "regionCode",
            "is required in England (an NHS England region code)",
        )),
        _ => {}
    }
    Ok(())
}

/// A live (not archived) row of `E`, or a problem naming `field`.
async fn live<E>(
    db: &impl ConnectionTrait,
    problems: &mut Vec<Problem>,
    field: &str,
    id: Uuid,
) -> Result<Option<E::Model>, WriteError>
where
    E: Editable,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
{
    live_at::<E>(db, problems, None, field, id).await
}

/// [`live`] for the item `index` of a list field.
async fn live_at<E>(
    db: &impl ConnectionTrait,
    problems: &mut Vec<Problem>,
    index: Option<usize>,
    field: &str,
    id: Uuid,
) -> Result<Option<E::Model>, WriteError>
where
    E: Editable,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
{
    match load::<E>(db, id, None).await {
        Ok(row) if E::archived_at(&row).is_some() => {
            problems.push(Problem {
                index,
                line: None,
                field: field.to_owned(),
                message: format!("{} {id} is archived", E::NAME),
            });
            Ok(None)
        }
        Ok(row) => Ok(Some(row)),
        Err(WriteError::NotFound { .. }) => {
            problems.push(Problem {
                index,
                line: None,
                field: field.to_owned(),
                message: format!("no {} has the id {id}", E::NAME),
            });
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------- organisations

#[derive(Clone, Debug, Default)]
pub struct OrganisationFields {
    pub name: Option<String>,
    pub kind: Option<OrganisationKind>,
    pub org_id: Option<Option<String>>,
    pub ods_code: Option<Option<String>>,
    pub charity_number: Option<Option<String>>,
    pub company_number: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub nation_code: Option<Option<String>>,
    pub region_code: Option<Option<String>>,
}

async fn organisation_row(
    db: &impl ConnectionTrait,
    mut row: organisation::Model,
    f: OrganisationFields,
    creating: bool,
) -> Result<organisation::Model, WriteError> {
    let mut p = Vec::new();
    require(&mut p, creating, "name", &f.name);
    require(&mut p, creating, "kind", &f.kind);
    if let Some(name) = f.name {
        row.name = required_text(&mut p, None, "name", &name, MAX_NAME);
    }
    patch(&mut row.kind, f.kind);
    patch(&mut row.org_id, f.org_id);
    patch(&mut row.ods_code, f.ods_code);
    patch(&mut row.charity_number, f.charity_number);
    patch(&mut row.company_number, f.company_number);
    patch(&mut row.website, f.website);
    patch(&mut row.nation_code, f.nation_code);
    patch(&mut row.region_code, f.region_code);
    row.org_id = identifier(&mut p, "orgId", row.org_id.take(), 5, 64);
    row.ods_code = identifier(&mut p, "odsCode", row.ods_code.take(), 3, 8);
    row.charity_number = identifier(&mut p, "charityNumber", row.charity_number.take(), 1, 32);
    row.company_number = identifier(&mut p, "companyNumber", row.company_number.take(), 1, 32);
    row.website = optional_text(&mut p, None, "website", row.website.as_deref(), MAX_NAME);
    if let Some(org_id) = &row.org_id
        && taken::<organisation::Entity>(
            db,
            organisation::Column::OrgId,
            organisation::Column::Id,
            org_id,
            row.id,
        )
        .await?
    {
        p.push(Problem::field(
            "orgId",
            format!("another organisation has the Org-ID {org_id}"),
        ));
    }
    if let Some(ods) = &row.ods_code
        && taken::<organisation::Entity>(
            db,
            organisation::Column::OdsCode,
            organisation::Column::Id,
            ods,
            row.id,
        )
        .await?
    {
        p.push(Problem::field(
            "odsCode",
            format!("another organisation has the ODS code {ods}"),
        ));
    }
    if row.region_code.is_some() && row.nation_code.is_none() {
        row.nation_code = Some(ENGLAND.to_owned());
    }
    check_place(
        db,
        &mut p,
        row.nation_code.as_deref(),
        row.region_code.as_deref(),
        false,
    )
    .await?;
    check(p)?;
    Ok(row)
}

// ---------------------------------------------------------------- funders

#[derive(Clone, Debug, Default)]
pub struct FunderFields {
    pub name: Option<String>,
    pub org_id: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub organisation_id: Option<Option<Uuid>>,
}

async fn funder_row(
    db: &impl ConnectionTrait,
    mut row: funder::Model,
    f: FunderFields,
    creating: bool,
) -> Result<funder::Model, WriteError> {
    let mut p = Vec::new();
    require(&mut p, creating, "name", &f.name);
    if let Some(name) = f.name {
        row.name = required_text(&mut p, None, "name", &name, MAX_NAME);
    }
    patch(&mut row.org_id, f.org_id);
    patch(&mut row.website, f.website);
    patch(&mut row.organisation_id, f.organisation_id);
    row.org_id = identifier(&mut p, "orgId", row.org_id.take(), 5, 64);
    row.website = optional_text(&mut p, None, "website", row.website.as_deref(), MAX_NAME);
    if let Some(org_id) = &row.org_id
        && taken::<funder::Entity>(
            db,
            funder::Column::OrgId,
            funder::Column::Id,
            org_id,
            row.id,
        )
        .await?
    {
        p.push(Problem::field(
            "orgId",
            format!("another funder has the Org-ID {org_id}"),
        ));
    }
    if let Some(organisation) = row.organisation_id {
        live::<organisation::Entity>(db, &mut p, "organisationId", organisation).await?;
    }
    check(p)?;
    Ok(row)
}

// ---------------------------------------------------------------- projects

#[derive(Clone, Debug, Default)]
pub struct ProjectFields {
    pub reference: Option<String>,
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub lead_organisation_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub primary_stage: Option<PathwayStage>,
    /// Further stages (besides the primary one); replaces them all when given.
    pub further_stages: Option<Vec<PathwayStage>>,
    pub setting: Option<ProjectSetting>,
    pub status: Option<ProjectStatus>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<Option<NaiveDate>>,
    pub nation_code: Option<String>,
    pub region_code: Option<Option<String>>,
    pub volunteer_roles: Option<Vec<String>>,
    /// Partners other than the lead; replaces them all when given.
    pub partners: Option<Vec<(Uuid, PartnerRole)>>,
}

/// A project with its stages and partners: what its audit events hold.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ProjectWhole {
    pub project: project::Model,
    pub stages: Vec<project_stage::Model>,
    pub partners: Vec<project_partner::Model>,
}

impl ProjectWhole {
    /// Stages (the primary first) and partners (the lead first, then by role and organisation)
    /// in one order, whether read back or about to be written: the database keeps children in
    /// no order, and an audit event's before and after must not differ by it.
    fn in_order(mut self) -> Self {
        self.stages.sort_by_key(|s| (!s.is_primary, s.stage));
        self.partners.sort_by_key(|p| (p.role, p.organisation_id));
        self
    }
}

async fn project_whole(
    db: &impl ConnectionTrait,
    project: project::Model,
) -> Result<ProjectWhole, WriteError> {
    let stages = project_stage::Entity::find()
        .filter(project_stage::Column::ProjectId.eq(project.id))
        .all(db)
        .await?;
    let partners = project_partner::Entity::find()
        .filter(project_partner::Column::ProjectId.eq(project.id))
        .all(db)
        .await?;
    Ok(ProjectWhole {
        project,
        stages,
        partners,
    }
    .in_order())
}

async fn project_whole_after(
    db: &impl ConnectionTrait,
    before: Option<&ProjectWhole>,
    mut row: project::Model,
    f: ProjectFields,
    creating: bool,
) -> Result<ProjectWhole, WriteError> {
    let mut p = Vec::new();
    require(&mut p, creating, "reference", &f.reference);
    require(&mut p, creating, "title", &f.title);
    require(
        &mut p,
        creating,
        "leadOrganisationId",
        &f.lead_organisation_id,
    );
    require(&mut p, creating, "primaryStage", &f.primary_stage);
    require(&mut p, creating, "setting", &f.setting);
    require(&mut p, creating, "startDate", &f.start_date);
    require(&mut p, creating, "nationCode", &f.nation_code);
    if let Some(reference) = f.reference {
        let reference = reference.trim().to_ascii_uppercase();
        let well_formed = (3..=32).contains(&reference.len())
            && reference
                .split('-')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !well_formed {
            p.push(Problem::field(
                "reference",
                format!("'{reference}' must be 3 to 32 letters and digits in dash-separated parts (GEH-B2H-01)"),
            ));
        } else if taken::<project::Entity>(
            db,
            project::Column::Reference,
            project::Column::Id,
            &reference,
            row.id,
        )
        .await?
        {
            p.push(Problem::field(
                "reference",
                format!("another project has the reference {reference}"),
            ));
        }
        row.reference = reference;
    }
    if let Some(title) = f.title {
        row.title = required_text(&mut p, None, "title", &title, MAX_NAME);
    }
    if let Some(description) = f.description {
        row.description = optional_text(
            &mut p,
            None,
            "description",
            description.as_deref(),
            MAX_TEXT,
        );
    }
    patch(&mut row.lead_organisation_id, f.lead_organisation_id);
    patch(&mut row.campaign_id, f.campaign_id);
    patch(&mut row.primary_stage, f.primary_stage);
    patch(&mut row.setting, f.setting);
    patch(&mut row.status, f.status);
    patch(&mut row.start_date, f.start_date);
    patch(&mut row.end_date, f.end_date);
    patch(&mut row.nation_code, f.nation_code);
    patch(&mut row.region_code, f.region_code);
    if let Some(roles) = f.volunteer_roles {
        let mut clean = Vec::new();
        for (i, role) in roles.iter().enumerate() {
            let role = required_text(&mut p, Some(i), "volunteerRoles", role, MAX_NAME);
            if !clean.contains(&role) {
                clean.push(role);
            }
        }
        row.volunteer_roles = serde_json::json!(clean);
    }
    if let Some(end) = row.end_date
        && end < row.start_date
    {
        p.push(Problem::field(
            "endDate",
            format!("{end} is before the start date {}", row.start_date),
        ));
    }
    if creating || f.lead_organisation_id.is_some() {
        live::<organisation::Entity>(db, &mut p, "leadOrganisationId", row.lead_organisation_id)
            .await?;
    }
    if campaign::Entity::find_by_id(row.campaign_id)
        .one(db)
        .await?
        .is_none()
    {
        p.push(Problem::field(
            "campaignId",
            format!("no campaign has the id {}", row.campaign_id),
        ));
    }
    check_place(
        db,
        &mut p,
        Some(&row.nation_code),
        row.region_code.as_deref(),
        true,
    )
    .await?;

    let stages = match (&f.further_stages, before) {
        (Some(further), _) => {
            let mut stages = vec![row.primary_stage];
            for stage in further {
                if !stages.contains(stage) {
                    stages.push(*stage);
                }
            }
            stages
        }
        (None, Some(before)) => {
            let mut stages = vec![row.primary_stage];
            for s in &before.stages {
                if !stages.contains(&s.stage) {
                    stages.push(s.stage);
                }
            }
            stages
        }
        (None, None) => vec![row.primary_stage],
    };
    let mut partners = vec![(row.lead_organisation_id, PartnerRole::Lead)];
    let others: Vec<(Uuid, PartnerRole)> = match (f.partners, before) {
        (Some(given), _) => given,
        (None, Some(before)) => before
            .partners
            .iter()
            .filter(|pp| pp.role != PartnerRole::Lead)
            .map(|pp| (pp.organisation_id, pp.role))
            .collect(),
        (None, None) => Vec::new(),
    };
    for (i, (organisation, role)) in others.into_iter().enumerate() {
        if role == PartnerRole::Lead {
            p.push(Problem::at(i, "partners", "the lead is set by leadOrganisationId; give other partners delivery, host or evaluation"));
        } else if partners.iter().any(|(o, _)| *o == organisation) {
            if organisation != row.lead_organisation_id {
                p.push(Problem::at(
                    i,
                    "partners",
                    format!("organisation {organisation} is listed twice"),
                ));
            }
        } else {
            live_at::<organisation::Entity>(db, &mut p, Some(i), "partners", organisation).await?;
            partners.push((organisation, role));
        }
    }
    check(p)?;
    Ok(ProjectWhole {
        stages: stages
            .iter()
            .map(|s| project_stage::Model {
                project_id: row.id,
                stage: *s,
                is_primary: *s == row.primary_stage,
            })
            .collect(),
        partners: partners
            .iter()
            .map(|(o, r)| project_partner::Model {
                project_id: row.id,
                organisation_id: *o,
                role: *r,
            })
            .collect(),
        project: row,
    }
    .in_order())
}

/// The caller's write access to projects, refused when it has none.
fn project_writer(actor: &Actor) -> Result<WriteAccess, WriteError> {
    match actor.principal.write_access() {
        WriteAccess::None => Err(WriteError::Forbidden(WRITE_FORBIDDEN.into())),
        access => Ok(access),
    }
}

/// Refuses a change to a stored project the caller's organisation neither leads nor delivers.
fn may_write_existing(access: WriteAccess, whole: &ProjectWhole) -> Result<(), WriteError> {
    if partner_may_write(access, whole) {
        return Ok(());
    }
    Err(WriteError::Forbidden(format!(
        "{WRITE_FORBIDDEN}: this key's organisation does not lead or deliver {}",
        whole.project.reference
    )))
}

/// Whether a partner key's organisation leads or delivers the project (as it would be).
fn partner_may_write(access: WriteAccess, whole: &ProjectWhole) -> bool {
    match access {
        WriteAccess::All => true,
        WriteAccess::None => false,
        WriteAccess::OwnProjects(organisation) => whole
            .partners
            .iter()
            .any(|p| p.organisation_id == organisation && writes_as(p.role)),
    }
}

/// Replaces the project's stages and partners with `whole`'s.
async fn write_children(db: &impl ConnectionTrait, whole: &ProjectWhole) -> Result<(), WriteError> {
    let id = whole.project.id;
    project_stage::Entity::delete_many()
        .filter(project_stage::Column::ProjectId.eq(id))
        .exec(db)
        .await?;
    project_partner::Entity::delete_many()
        .filter(project_partner::Column::ProjectId.eq(id))
        .exec(db)
        .await?;
    project_stage::Entity::insert_many(whole.stages.iter().map(|s| project_stage::ActiveModel {
        project_id: Set(s.project_id),
        stage: Set(s.stage),
        is_primary: Set(s.is_primary),
    }))
    .exec_without_returning(db)
    .await?;
    project_partner::Entity::insert_many(whole.partners.iter().map(|p| {
        project_partner::ActiveModel {
            project_id: Set(p.project_id),
            organisation_id: Set(p.organisation_id),
            role: Set(p.role),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

async fn audit_project(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    before: Option<&ProjectWhole>,
    after: &ProjectWhole,
) -> Result<(), WriteError> {
    super::audit::record(
        db,
        actor,
        super::audit::Change {
            action,
            entity_type: "project",
            entity_id: Some(after.project.id),
            before: before.and_then(super::audit::snapshot),
            after: super::audit::snapshot(after),
        },
    )
    .await
}

pub async fn create_project(
    db: &DatabaseConnection,
    actor: &Actor,
    fields: ProjectFields,
) -> Result<ProjectWhole, WriteError> {
    let access = project_writer(actor)?;
    let txn = begin(db).await?;
    let now = Utc::now();
    // The default campaign: the earliest (Back to Health).
    let campaign_id = match campaign::Entity::find()
        .order_by_asc(campaign::Column::StartDate)
        .order_by_asc(campaign::Column::Id)
        .one(&txn)
        .await?
    {
        Some(c) => c.id,
        None => Uuid::nil(),
    };
    let blank = project::Model {
        id: new_id()?,
        reference: String::new(),
        title: String::new(),
        description: None,
        lead_organisation_id: Uuid::nil(),
        campaign_id,
        primary_stage: PathwayStage::GettingWell,
        setting: ProjectSetting::Community,
        status: ProjectStatus::Planned,
        start_date: now.date_naive(),
        end_date: None,
        nation_code: ENGLAND.to_owned(),
        region_code: None,
        volunteer_roles: serde_json::json!([]),
        created_at: now,
        updated_at: now,
        version: 1,
        archived_at: None,
    };
    if let (WriteAccess::OwnProjects(organisation), Some(lead)) =
        (access, fields.lead_organisation_id)
        && organisation != lead
    {
        return Err(WriteError::Forbidden(format!(
            "{WRITE_FORBIDDEN}: a partner key makes projects its own organisation leads"
        )));
    }
    let mut whole = project_whole_after(&txn, None, blank, fields, true).await?;
    whole.project = edit::plain_insert::<project::Entity>(&txn, whole.project.clone()).await?;
    write_children(&txn, &whole).await?;
    audit_project(&txn, actor, "project.create", None, &whole).await?;
    commit(txn, Changes::one(Entity::Project, whole.project.id)).await?;
    Ok(whole)
}

pub async fn update_project(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    version: i32,
    fields: ProjectFields,
) -> Result<ProjectWhole, WriteError> {
    let access = project_writer(actor)?;
    let txn = begin(db).await?;
    let before = edit::load_live::<project::Entity>(&txn, id, Some(version)).await?;
    let before = project_whole(&txn, before).await?;
    may_write_existing(access, &before)?;
    // Who runs a project is for admins and the lead: a delivery partner cannot take over.
    if let WriteAccess::OwnProjects(organisation) = access {
        let lead = before.project.lead_organisation_id;
        if fields.lead_organisation_id.is_some_and(|l| l != lead) {
            return Err(WriteError::Forbidden(
                "only an admin key may change a project's lead organisation".into(),
            ));
        }
        if fields.partners.is_some() && organisation != lead {
            return Err(WriteError::Forbidden(
                "only the lead organisation's key (or an admin's) may change a project's partners"
                    .into(),
            ));
        }
    }
    let children_change = fields.partners.is_some()
        || fields.further_stages.is_some()
        || fields.primary_stage.is_some()
        || fields.lead_organisation_id.is_some();
    let after =
        project_whole_after(&txn, Some(&before), before.project.clone(), fields, false).await?;
    if !partner_may_write(access, &after) {
        return Err(WriteError::Forbidden(format!(
            "{WRITE_FORBIDDEN}: the change would leave this key's organisation neither lead nor delivery partner"
        )));
    }
    let project =
        edit::guarded_update::<project::Entity>(&txn, &before.project, after.project.clone())
            .await?;
    let after = ProjectWhole { project, ..after };
    if children_change {
        write_children(&txn, &after).await?;
    }
    audit_project(&txn, actor, "project.update", Some(&before), &after).await?;
    commit(txn, Changes::one(Entity::Project, after.project.id)).await?;
    Ok(after)
}

pub async fn archive_project(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    version: Option<i32>,
) -> Result<ProjectWhole, WriteError> {
    let access = project_writer(actor)?;
    let txn = begin(db).await?;
    let before = load::<project::Entity>(&txn, id, version).await?;
    let before = project_whole(&txn, before).await?;
    may_write_existing(access, &before)?;
    if before.project.archived_at.is_some() {
        return Ok(before);
    }
    let mut row = before.project.clone();
    row.archived_at = Some(Utc::now());
    let project = edit::guarded_update::<project::Entity>(&txn, &before.project, row).await?;
    let after = ProjectWhole {
        project,
        ..before.clone()
    };
    audit_project(&txn, actor, "project.archive", Some(&before), &after).await?;
    commit(txn, Changes::one(Entity::Project, after.project.id)).await?;
    Ok(after)
}

// ---------------------------------------------------------------- grants

#[derive(Clone, Debug, Default)]
pub struct GrantFields {
    pub identifier: Option<String>,
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub funder_id: Option<Uuid>,
    pub recipient_organisation_id: Option<Uuid>,
    /// Minor units.
    pub amount_awarded: Option<i64>,
    pub currency: Option<String>,
    pub award_date: Option<NaiveDate>,
    pub planned_start_date: Option<Option<NaiveDate>>,
    pub planned_end_date: Option<Option<NaiveDate>>,
    pub grant_programme: Option<Option<String>>,
    /// How precisely each date was given (files); a date changed without one is a whole day.
    pub award_date_precision: Option<DatePrecision>,
    pub planned_start_date_precision: Option<DatePrecision>,
    pub planned_end_date_precision: Option<DatePrecision>,
}

/// Checks an ISO 4217 code's form; returns it in upper case.
pub fn currency_code(problems: &mut Vec<Problem>, field: &str, code: &str) -> String {
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        problems.push(Problem::field(
            field,
            format!("'{code}' is not an ISO 4217 currency code (GBP)"),
        ));
    }
    code
}

async fn grant_row(
    db: &impl ConnectionTrait,
    mut row: grant::Model,
    f: GrantFields,
    creating: bool,
) -> Result<grant::Model, WriteError> {
    let mut p = Vec::new();
    require(&mut p, creating, "identifier", &f.identifier);
    require(&mut p, creating, "title", &f.title);
    require(&mut p, creating, "funderId", &f.funder_id);
    require(
        &mut p,
        creating,
        "recipientOrganisationId",
        &f.recipient_organisation_id,
    );
    require(&mut p, creating, "amountAwarded", &f.amount_awarded);
    require(&mut p, creating, "awardDate", &f.award_date);
    if let Some(identifier) = f.identifier {
        let identifier = identifier.trim().to_owned();
        if !identifier.starts_with("360G-")
            || identifier.chars().count() < 6
            || identifier.chars().count() > 200
        {
            p.push(Problem::field(
                "identifier",
                format!(
                    "'{identifier}' is not a 360Giving identifier (360G-…, at most 200 characters)"
                ),
            ));
        } else if taken::<grant::Entity>(
            db,
            grant::Column::Identifier,
            grant::Column::Id,
            &identifier,
            row.id,
        )
        .await?
        {
            p.push(Problem::field(
                "identifier",
                format!("another grant has the identifier {identifier}"),
            ));
        }
        row.identifier = identifier;
    }
    if let Some(title) = f.title {
        row.title = required_text(&mut p, None, "title", &title, MAX_NAME);
    }
    if let Some(description) = f.description {
        row.description = optional_text(
            &mut p,
            None,
            "description",
            description.as_deref(),
            MAX_TEXT,
        );
    }
    if let Some(programme) = f.grant_programme {
        row.grant_programme = optional_text(
            &mut p,
            None,
            "grantProgramme",
            programme.as_deref(),
            MAX_NAME,
        );
    }
    patch(&mut row.funder_id, f.funder_id);
    patch(
        &mut row.recipient_organisation_id,
        f.recipient_organisation_id,
    );
    patch(&mut row.amount_awarded, f.amount_awarded);
    let day = |given: Option<DatePrecision>| Some(given.unwrap_or(DatePrecision::Day));
    if f.award_date.is_some() {
        patch(&mut row.award_date_precision, day(f.award_date_precision));
    }
    if f.planned_start_date.is_some() {
        patch(
            &mut row.planned_start_date_precision,
            day(f.planned_start_date_precision),
        );
    }
    if f.planned_end_date.is_some() {
        patch(
            &mut row.planned_end_date_precision,
            day(f.planned_end_date_precision),
        );
    }
    patch(&mut row.award_date, f.award_date);
    patch(&mut row.planned_start_date, f.planned_start_date);
    patch(&mut row.planned_end_date, f.planned_end_date);
    let currency_given = f.currency.is_some();
    if let Some(currency) = f.currency {
        row.currency = currency_code(&mut p, "currency", &currency);
    }
    if row.amount_awarded < 0 {
        p.push(Problem::field("amountAwarded", "must not be negative"));
    }
    if let (Some(start), Some(end)) = (row.planned_start_date, row.planned_end_date)
        && end < start
    {
        p.push(Problem::field(
            "plannedEndDate",
            format!("{end} is before the planned start {start}"),
        ));
    }
    if creating || f.funder_id.is_some() {
        live::<funder::Entity>(db, &mut p, "funderId", row.funder_id).await?;
    }
    if creating || f.recipient_organisation_id.is_some() {
        live::<organisation::Entity>(
            db,
            &mut p,
            "recipientOrganisationId",
            row.recipient_organisation_id,
        )
        .await?;
    }
    if !creating {
        let allocated = allocated_total(db, row.id, None).await?;
        if allocated > 0 && currency_given {
            let before = load::<grant::Entity>(db, row.id, None).await?;
            if before.currency != row.currency {
                p.push(Problem::field(
                    "currency",
                    format!(
                        "the grant's allocations are in {}: archive them before changing its currency",
                        before.currency
                    ),
                ));
            }
        }
        if allocated > row.amount_awarded {
            p.push(Problem::field(
                "amountAwarded",
                format!(
                    "{} is less than the {} already allocated to projects",
                    money(row.amount_awarded),
                    money(allocated)
                ),
            ));
        }
    }
    check(p)?;
    Ok(row)
}

/// Minor units as a decimal amount (`40000.00`).
pub fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
}

/// Σ of a grant's live allocations, leaving out `except`.
pub async fn allocated_total(
    db: &impl ConnectionTrait,
    grant: Uuid,
    except: Option<Uuid>,
) -> Result<i64, WriteError> {
    let mut select = grant_allocation::Entity::find()
        .filter(grant_allocation::Column::GrantId.eq(grant))
        .filter(grant_allocation::Column::ArchivedAt.is_null());
    if let Some(id) = except {
        select = select.filter(grant_allocation::Column::Id.ne(id));
    }
    Ok(select.all(db).await?.iter().map(|a| a.amount).sum())
}

// ---------------------------------------------------------------- allocations

#[derive(Clone, Debug, Default)]
pub struct AllocationFields {
    pub grant_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    /// Minor units.
    pub amount: Option<i64>,
    /// Must be the grant's currency when given.
    pub currency: Option<String>,
}

async fn allocation_row(
    db: &impl ConnectionTrait,
    mut row: grant_allocation::Model,
    f: AllocationFields,
    creating: bool,
) -> Result<grant_allocation::Model, WriteError> {
    let mut p = Vec::new();
    require(&mut p, creating, "grantId", &f.grant_id);
    require(&mut p, creating, "projectId", &f.project_id);
    require(&mut p, creating, "amount", &f.amount);
    if !creating
        && (f.grant_id.is_some_and(|g| g != row.grant_id)
            || f.project_id.is_some_and(|x| x != row.project_id))
    {
        p.push(Problem::field(
            "grantId",
            "an allocation's grant and project do not change: archive it and allocate anew",
        ));
    }
    patch(&mut row.grant_id, f.grant_id);
    patch(&mut row.project_id, f.project_id);
    patch(&mut row.amount, f.amount);
    if row.amount < 0 {
        p.push(Problem::field("amount", "must not be negative"));
    }
    let grant = live::<grant::Entity>(db, &mut p, "grantId", row.grant_id).await?;
    if creating {
        live::<project::Entity>(db, &mut p, "projectId", row.project_id).await?;
        let existing = grant_allocation::Entity::find()
            .filter(grant_allocation::Column::GrantId.eq(row.grant_id))
            .filter(grant_allocation::Column::ProjectId.eq(row.project_id))
            .count(db)
            .await?;
        if existing > 0 {
            p.push(Problem::field(
                "projectId",
                "the grant already has an allocation to this project: update it",
            ));
        }
    }
    if let Some(grant) = grant {
        let currency = match &f.currency {
            Some(c) => currency_code(&mut p, "currency", c),
            None => grant.currency.clone(),
        };
        if currency != grant.currency {
            p.push(Problem::field(
                "currency",
                format!("{currency} is not the grant's currency ({}): an allocation is in its grant's currency", grant.currency),
            ));
        }
        row.currency = grant.currency.clone();
        let others = allocated_total(db, grant.id, Some(row.id)).await?;
        if others + row.amount > grant.amount_awarded {
            p.push(Problem::field(
                "amount",
                format!(
                    "{} with the {} already allocated exceeds the {} awarded",
                    money(row.amount),
                    money(others),
                    money(grant.amount_awarded)
                ),
            ));
        }
    }
    check(p)?;
    Ok(row)
}

// ---------------------------------------------------------------- admin-edited tables

/// A table only admins write, through create and update: its blank row and its whole-row check.
pub trait AdminEdited: Editable
where
    Self::Model: serde::Serialize + Clone + IntoActiveModel<Self::ActiveModel>,
{
    type Fields: Send;
    /// A new row before the caller's fields are applied.
    fn blank(id: Uuid, at: DateTime<Utc>) -> Self::Model;
    /// The row with `fields` applied, when it is valid as a whole.
    fn checked(
        db: &DatabaseTransaction,
        row: Self::Model,
        fields: Self::Fields,
        creating: bool,
    ) -> impl Future<Output = Result<Self::Model, WriteError>> + Send;
}

/// Creates a row of an admin-edited table: checked, inserted and audited in one transaction.
pub async fn create<E>(
    db: &DatabaseConnection,
    actor: &Actor,
    fields: E::Fields,
) -> Result<E::Model, WriteError>
where
    E: AdminEdited,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    admin_only(actor)?;
    let txn = begin(db).await?;
    let row = E::checked(&txn, E::blank(new_id()?, Utc::now()), fields, true).await?;
    let row = edit::insert::<E>(&txn, actor, row).await?;
    commit(txn, Changes::one(E::CHANGE, E::id(&row))).await?;
    Ok(row)
}

/// Changes a row of an admin-edited table at the version the caller read.
pub async fn update<E>(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    version: i32,
    fields: E::Fields,
) -> Result<E::Model, WriteError>
where
    E: AdminEdited,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    admin_only(actor)?;
    let txn = begin(db).await?;
    let before = edit::load_live::<E>(&txn, id, Some(version)).await?;
    let after = E::checked(&txn, before.clone(), fields, false).await?;
    let row = edit::save::<E>(&txn, actor, "update", &before, after).await?;
    commit(txn, Changes::one(E::CHANGE, E::id(&row))).await?;
    Ok(row)
}

impl AdminEdited for organisation::Entity {
    type Fields = OrganisationFields;

    fn blank(id: Uuid, at: DateTime<Utc>) -> Self::Model {
        organisation::Model {
            id,
            name: String::new(),
            kind: OrganisationKind::Other,
            org_id: None,
            other_identifier: None,
            ods_code: None,
            charity_number: None,
            company_number: None,
            website: None,
            nation_code: None,
            region_code: None,
            created_at: at,
            updated_at: at,
            version: 1,
            archived_at: None,
        }
    }

    fn checked(
        db: &DatabaseTransaction,
        row: Self::Model,
        fields: OrganisationFields,
        creating: bool,
    ) -> impl Future<Output = Result<Self::Model, WriteError>> + Send {
        organisation_row(db, row, fields, creating)
    }
}

impl AdminEdited for funder::Entity {
    type Fields = FunderFields;

    fn blank(id: Uuid, at: DateTime<Utc>) -> Self::Model {
        funder::Model {
            id,
            name: String::new(),
            org_id: None,
            other_identifier: None,
            website: None,
            organisation_id: None,
            created_at: at,
            updated_at: at,
            version: 1,
            archived_at: None,
        }
    }

    fn checked(
        db: &DatabaseTransaction,
        row: Self::Model,
        fields: FunderFields,
        creating: bool,
    ) -> impl Future<Output = Result<Self::Model, WriteError>> + Send {
        funder_row(db, row, fields, creating)
    }
}

impl AdminEdited for grant::Entity {
    type Fields = GrantFields;

    fn blank(id: Uuid, at: DateTime<Utc>) -> Self::Model {
        grant::Model {
            id,
            identifier: String::new(),
            title: String::new(),
            description: None,
            funder_id: Uuid::nil(),
            recipient_organisation_id: Uuid::nil(),
            amount_awarded: 0,
            currency: "GBP".to_owned(),
            award_date: at.date_naive(),
            planned_start_date: None,
            planned_end_date: None,
            award_date_precision: DatePrecision::Day,
            planned_start_date_precision: DatePrecision::Day,
            planned_end_date_precision: DatePrecision::Day,
            grant_programme: None,
            created_at: at,
            updated_at: at,
            version: 1,
            archived_at: None,
        }
    }

    fn checked(
        db: &DatabaseTransaction,
        row: Self::Model,
        fields: GrantFields,
        creating: bool,
    ) -> impl Future<Output = Result<Self::Model, WriteError>> + Send {
        grant_row(db, row, fields, creating)
    }
}

impl AdminEdited for grant_allocation::Entity {
    type Fields = AllocationFields;

    fn blank(id: Uuid, at: DateTime<Utc>) -> Self::Model {
        grant_allocation::Model {
            id,
            grant_id: Uuid::nil(),
            project_id: Uuid::nil(),
            amount: 0,
            currency: String::new(),
            created_at: at,
            updated_at: at,
            version: 1,
            archived_at: None,
        }
    }

    fn checked(
        db: &DatabaseTransaction,
        row: Self::Model,
        fields: AllocationFields,
        creating: bool,
    ) -> impl Future<Output = Result<Self::Model, WriteError>> + Send {
        allocation_row(db, row, fields, creating)
    }
}

// ---------------------------------------------------------------- archiving

/// Archives an organisation, funder, grant or allocation (admins; projects have their own).
pub async fn archive<E>(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    version: Option<i32>,
) -> Result<E::Model, WriteError>
where
    E: Editable,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    admin_only(actor)?;
    let txn = begin(db).await?;
    let before = load::<E>(&txn, id, version).await?;
    let row = edit::archive::<E>(&txn, actor, before).await?;
    commit(txn, Changes::one(E::CHANGE, E::id(&row))).await?;
    Ok(row)
}
