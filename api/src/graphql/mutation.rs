//! Writes: each mutation hands its input to the write layer ([`crate::write`]), which checks
//! the caller's rights, validates the whole input, writes in one transaction and audits.

use super::error::{ApiError, ApiResult, coded};
use super::planner::{self, Answer};
use super::scalars::{Date, Decimal};
use super::types::enums::{
    DataSource, EvidenceStrength, OrganisationKind, PartnerRole, PathwayStage, ProjectSetting,
    ProjectStatus,
};
use super::types::funder::Funder;
use super::types::grant::{Grant, GrantAllocation};
use super::types::organisation::Organisation;
use super::types::project::Project;
use super::types::record::OutcomeRecord;
use super::types::uuid_of;
use crate::access::Principal;
use crate::write::entities::{
    self, AllocationFields, FunderFields, GrantFields, OrganisationFields, ProjectFields,
};
use crate::write::outcomes::{self, RecordInput, RecordSummary, Transition};
use crate::write::{Actor, WriteError};
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject, Upload};
use b2h_entity::{funder, grant, grant_allocation, organisation};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

/// The request's id, as the audit trail and masked errors name it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Who makes this request's writes.
fn actor(ctx: &Context<'_>) -> Actor {
    Actor {
        principal: ctx
            .data_opt::<Principal>()
            .cloned()
            .unwrap_or(Principal::Public),
        request_id: ctx.data_opt::<RequestId>().map(|r| r.0.clone()),
    }
}

fn failed(e: WriteError) -> async_graphql::Error {
    coded(ApiError::from(e))
}

/// `undefined` keeps, `null` clears, a value sets.
fn change<T, U>(value: MaybeUndefined<T>, map: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(map(v))),
    }
}

fn ids(list: &[ID]) -> ApiResult<Vec<Uuid>> {
    list.iter().map(uuid_of).collect()
}

fn optional_id(id: Option<ID>) -> ApiResult<Option<Uuid>> {
    id.as_ref().map(uuid_of).transpose()
}

fn changed_id(id: MaybeUndefined<ID>) -> ApiResult<Option<Option<Uuid>>> {
    Ok(match id {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(uuid_of(&v)?)),
    })
}

/// A new organisation.
#[derive(InputObject)]
pub struct CreateOrganisationInput {
    /// The name.
    pub name: String,
    /// What kind of body it is.
    pub kind: OrganisationKind,
    /// Org-ID identifier (`GB-NHS-RLT`), unique.
    pub org_id: Option<String>,
    /// NHS ODS code, unique.
    pub ods_code: Option<String>,
    /// Charity number.
    pub charity_number: Option<String>,
    /// Companies House number.
    pub company_number: Option<String>,
    /// Web address.
    pub website: Option<String>,
    /// Nation code (`E92000001`); England when a region is given.
    pub nation_code: Option<String>,
    /// NHS England region code (`E40000011`), England only.
    pub region_code: Option<String>,
}

/// Changes to an organisation: fields left out keep their values; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateOrganisationInput {
    /// The id (UUID) of the row to change.
    pub id: ID,
    /// The version the client last read; a newer one in the database is a `CONFLICT`.
    pub version: i32,
    /// The name.
    pub name: Option<String>,
    /// What kind of body it is.
    pub kind: Option<OrganisationKind>,
    /// Org-ID identifier, unique.
    pub org_id: MaybeUndefined<String>,
    /// NHS ODS code, unique.
    pub ods_code: MaybeUndefined<String>,
    /// Charity number.
    pub charity_number: MaybeUndefined<String>,
    /// Companies House number.
    pub company_number: MaybeUndefined<String>,
    /// Web address.
    pub website: MaybeUndefined<String>,
    /// Nation code (`E92000001`).
    pub nation_code: MaybeUndefined<String>,
    /// NHS England region code (`E40000011`), England only.
    pub region_code: MaybeUndefined<String>,
}

/// A new funder.
#[derive(InputObject)]
pub struct CreateFunderInput {
    /// The name.
    pub name: String,
    /// Org-ID identifier, unique.
    pub org_id: Option<String>,
    /// Web address.
    pub website: Option<String>,
    /// The organisation the funder is, if it is one of ours.
    pub organisation_id: Option<ID>,
}

/// Changes to a funder: fields left out keep their values; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateFunderInput {
    /// The id (UUID) of the row to change.
    pub id: ID,
    /// The version the client last read; a newer one in the database is a `CONFLICT`.
    pub version: i32,
    /// The name.
    pub name: Option<String>,
    /// Org-ID identifier, unique.
    pub org_id: MaybeUndefined<String>,
    /// Web address.
    pub website: MaybeUndefined<String>,
    /// The organisation (UUID).
    pub organisation_id: MaybeUndefined<ID>,
}

/// An organisation's part in a project, other than the lead.
#[derive(InputObject)]
pub struct PartnerInput {
    /// The organisation (UUID).
    pub organisation_id: ID,
    /// DELIVERY, HOST or EVALUATION (the lead is `leadOrganisationId`).
    pub role: PartnerRole,
}

/// A new project (volunteering service).
#[derive(InputObject)]
pub struct CreateProjectInput {
    /// Short unique code partners use in files (`GEH-B2H-01`); upper case, digits and dashes.
    pub reference: String,
    /// The title.
    pub title: String,
    /// A longer description.
    pub description: Option<String>,
    /// The lead organisation (UUID).
    pub lead_organisation_id: ID,
    /// The campaign; Back to Health when left out.
    pub campaign_id: Option<ID>,
    /// The primary pathway stage.
    pub primary_stage: PathwayStage,
    /// Further pathway stages besides the primary one.
    pub further_stages: Option<Vec<PathwayStage>>,
    /// Where the service is delivered.
    pub setting: ProjectSetting,
    /// PLANNED when left out.
    pub status: Option<ProjectStatus>,
    /// First day of the service.
    pub start_date: Date,
    /// Last day of the service.
    pub end_date: Option<Date>,
    /// Nation code (`E92000001`).
    pub nation_code: String,
    /// NHS England region code; required in England, absent elsewhere.
    pub region_code: Option<String>,
    /// Volunteer role names.
    pub volunteer_roles: Option<Vec<String>>,
    /// Partners besides the lead.
    pub partners: Option<Vec<PartnerInput>>,
}

/// Changes to a project: fields left out keep their values; `null` clears an optional one;
/// `furtherStages` and `partners`, when given, replace the lists.
#[derive(InputObject)]
pub struct UpdateProjectInput {
    /// The id (UUID) of the row to change.
    pub id: ID,
    /// The version the client last read; a newer one in the database is a `CONFLICT`.
    pub version: i32,
    /// Short unique code (`GEH-B2H-01`).
    pub reference: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// A longer description.
    pub description: MaybeUndefined<String>,
    /// The lead organisation (UUID).
    pub lead_organisation_id: Option<ID>,
    /// The primary pathway stage.
    pub primary_stage: Option<PathwayStage>,
    /// Further pathway stages besides the primary one (replaces them).
    pub further_stages: Option<Vec<PathwayStage>>,
    /// Where the service is delivered.
    pub setting: Option<ProjectSetting>,
    /// Lifecycle status.
    pub status: Option<ProjectStatus>,
    /// First day of the service.
    pub start_date: Option<Date>,
    /// Last day of the service.
    pub end_date: MaybeUndefined<Date>,
    /// Nation code (`E92000001`).
    pub nation_code: Option<String>,
    /// NHS England region code (`E40000011`), England only.
    pub region_code: MaybeUndefined<String>,
    /// Volunteer role names.
    pub volunteer_roles: Option<Vec<String>>,
    /// Partners besides the lead (replaces them).
    pub partners: Option<Vec<PartnerInput>>,
}

/// A new grant (360Giving fields).
#[derive(InputObject)]
pub struct CreateGrantInput {
    /// 360Giving identifier (`360G-…`), unique.
    pub identifier: String,
    /// The title.
    pub title: String,
    /// A longer description.
    pub description: Option<String>,
    /// The funder (UUID).
    pub funder_id: ID,
    /// The recipient organisation (UUID).
    pub recipient_organisation_id: ID,
    /// The amount awarded.
    pub amount_awarded: Decimal,
    /// ISO 4217 code; GBP when left out.
    pub currency: Option<String>,
    /// When the grant was awarded.
    pub award_date: Date,
    /// Planned first day.
    pub planned_start_date: Option<Date>,
    /// Planned last day.
    pub planned_end_date: Option<Date>,
    /// The funder's grant programme.
    pub grant_programme: Option<String>,
}

/// Changes to a grant: fields left out keep their values; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateGrantInput {
    /// The id (UUID) of the row to change.
    pub id: ID,
    /// The version the client last read; a newer one in the database is a `CONFLICT`.
    pub version: i32,
    /// 360Giving identifier (`360G-…`), unique.
    pub identifier: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// A longer description.
    pub description: MaybeUndefined<String>,
    /// The funder (UUID).
    pub funder_id: Option<ID>,
    /// The recipient organisation (UUID).
    pub recipient_organisation_id: Option<ID>,
    /// The amount awarded.
    pub amount_awarded: Option<Decimal>,
    /// ISO 4217 currency code.
    pub currency: Option<String>,
    /// When the grant was awarded.
    pub award_date: Option<Date>,
    /// Planned first day.
    pub planned_start_date: MaybeUndefined<Date>,
    /// Planned last day.
    pub planned_end_date: MaybeUndefined<Date>,
    /// The funder's grant programme.
    pub grant_programme: MaybeUndefined<String>,
}

/// Part of a grant paying for one project.
#[derive(InputObject)]
pub struct CreateGrantAllocationInput {
    /// The grant (UUID).
    pub grant_id: ID,
    /// The project (UUID).
    pub project_id: ID,
    /// The amount, in the grant's currency.
    pub amount: Decimal,
    /// Must be the grant's currency; the grant's when left out.
    pub currency: Option<String>,
}

/// A changed allocation amount.
#[derive(InputObject)]
pub struct UpdateGrantAllocationInput {
    /// The id (UUID) of the row to change.
    pub id: ID,
    /// The version the client last read; a newer one in the database is a `CONFLICT`.
    pub version: i32,
    /// The amount, in the grant's currency.
    pub amount: Option<Decimal>,
    /// ISO 4217 currency code.
    pub currency: Option<String>,
}

/// One outcome record to create or update, keyed by project, measure and period.
#[derive(InputObject)]
pub struct OutcomeRecordInput {
    /// The project's id or reference (`GEH-B2H-01`).
    pub project: String,
    /// The measure's code (`patients_supported`) or id.
    pub measure: String,
    /// First day of the period (inclusive).
    pub period_start: Date,
    /// Last day of the period (inclusive).
    pub period_end: Date,
    /// The figure, in the measure's unit.
    pub value: f64,
    /// People behind the figure; required for weighted-mean measures.
    pub sample_size: Option<i32>,
    /// The figure before the project, where known.
    pub baseline: Option<f64>,
    /// The figure aimed for, where set.
    pub target: Option<f64>,
    /// Where the figure comes from.
    pub data_source: DataSource,
    /// How strong the evidence behind the figure is.
    pub evidence_strength: EvidenceStrength,
    /// At most 2,000 characters.
    pub note: Option<String>,
    /// The version last read, when updating a record: a newer one is a `CONFLICT`.
    pub version: Option<i32>,
}

impl From<OutcomeRecordInput> for RecordInput {
    fn from(r: OutcomeRecordInput) -> Self {
        RecordInput {
            project: r.project,
            measure: r.measure,
            period_start: Some(r.period_start.0),
            period_end: Some(r.period_end.0),
            value: Some(r.value),
            sample_size: r.sample_size.map(i64::from),
            baseline: r.baseline,
            target: r.target,
            data_source: Some(r.data_source.into()),
            evidence_strength: Some(r.evidence_strength.into()),
            note: r.note,
            version: r.version,
        }
    }
}

/// What a batch of outcome records did (or, on a dry run, would do).
#[derive(SimpleObject)]
pub struct RecordOutcomesResult {
    /// Records that are new.
    pub created: i32,
    /// Records that changed (a changed submitted record is a draft again).
    pub updated: i32,
    /// Records given exactly as stored.
    pub unchanged: i32,
    /// Whether nothing was written (the batch was only checked).
    pub dry_run: bool,
    /// The records as written, in the batch's order; empty on a dry run.
    pub records: Vec<OutcomeRecord>,
}

impl From<RecordSummary> for RecordOutcomesResult {
    fn from(s: RecordSummary) -> Self {
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            created: count(s.created),
            updated: count(s.updated),
            unchanged: count(s.unchanged),
            dry_run: s.dry_run,
            records: if s.dry_run {
                Vec::new()
            } else {
                s.records.into_iter().map(OutcomeRecord).collect()
            },
        }
    }
}

fn partners(
    list: Option<Vec<PartnerInput>>,
) -> ApiResult<Option<Vec<(Uuid, b2h_entity::enums::PartnerRole)>>> {
    list.map(|l| {
        l.into_iter()
            .map(|p| Ok((uuid_of(&p.organisation_id)?, p.role.into())))
            .collect::<ApiResult<Vec<_>>>()
    })
    .transpose()
}

fn stages(list: Option<Vec<PathwayStage>>) -> Option<Vec<b2h_entity::enums::PathwayStage>> {
    list.map(|l| l.into_iter().map(Into::into).collect())
}

pub struct Mutation;

/// Writes. Admins write everything; a partner key writes the projects its organisation leads
/// or delivers and their outcome records; other keys and the public write nothing. Every write
/// is checked whole (nothing is written when anything is wrong: `BAD_USER_INPUT` with
/// `extensions.problems`), runs in one transaction and leaves an audit event.
#[Object]
impl Mutation {
    /// Starts a Parquet snapshot export in the server's background (evaluator and admin keys);
    /// returns the job, whose status `exportJob(id:)` reads. While an export is queued or
    /// running, that job is returned instead of a second one.
    async fn request_export(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<super::types::export::ExportJob> {
        let actor = actor(ctx);
        if actor.principal.record_access() != crate::access::RecordAccess::All {
            return Err(coded(ApiError::Forbidden(
                crate::access::EXPORTS_FORBIDDEN.into(),
            )));
        }
        let db = ctx.data::<DatabaseConnection>()?;
        let exports = ctx.data::<crate::exports::Exports>()?;
        let job = exports.request(db, actor.label()).await.map_err(coded)?;
        Ok(super::types::export::ExportJob(job))
    }

    /// Creates an organisation (admins).
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganisationInput,
    ) -> ApiResult<Answer<Organisation>> {
        let fields = OrganisationFields {
            name: Some(input.name),
            kind: Some(input.kind.into()),
            org_id: Some(input.org_id),
            ods_code: Some(input.ods_code),
            charity_number: Some(input.charity_number),
            company_number: Some(input.company_number),
            website: Some(input.website),
            nation_code: Some(input.nation_code),
            region_code: Some(input.region_code),
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let row = entities::create::<organisation::Entity>(db, &actor(ctx), fields)
            .await
            .map_err(failed)?;
        planner::written(ctx, Organisation(row)).await
    }

    /// Changes an organisation (admins) at the version the client read.
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganisationInput,
    ) -> ApiResult<Answer<Organisation>> {
        let id = uuid_of(&input.id)?;
        let fields = OrganisationFields {
            name: input.name,
            kind: input.kind.map(Into::into),
            org_id: change(input.org_id, |v| v),
            ods_code: change(input.ods_code, |v| v),
            charity_number: change(input.charity_number, |v| v),
            company_number: change(input.company_number, |v| v),
            website: change(input.website, |v| v),
            nation_code: change(input.nation_code, |v| v),
            region_code: change(input.region_code, |v| v),
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let row =
            entities::update::<organisation::Entity>(db, &actor(ctx), id, input.version, fields)
                .await
                .map_err(failed)?;
        planner::written(ctx, Organisation(row)).await
    }

    /// Archives an organisation (admins): it leaves lists but keeps its history.
    async fn archive_organisation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "The version last read; a newer one is a `CONFLICT`.")] version: Option<
            i32,
        >,
    ) -> ApiResult<Answer<Organisation>> {
        let db = ctx.data::<DatabaseConnection>()?;
        let row =
            entities::archive::<organisation::Entity>(db, &actor(ctx), uuid_of(&id)?, version)
                .await
                .map_err(failed)?;
        planner::written(ctx, Organisation(row)).await
    }

    /// Creates a funder (admins).
    async fn create_funder(
        &self,
        ctx: &Context<'_>,
        input: CreateFunderInput,
    ) -> ApiResult<Answer<Funder>> {
        let fields = FunderFields {
            name: Some(input.name),
            org_id: Some(input.org_id),
            website: Some(input.website),
            organisation_id: Some(optional_id(input.organisation_id)?),
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let row = entities::create::<funder::Entity>(db, &actor(ctx), fields)
            .await
            .map_err(failed)?;
        planner::written(ctx, Funder(row)).await
    }

    /// Changes a funder (admins) at the version the client read.
    async fn update_funder(
        &self,
        ctx: &Context<'_>,
        input: UpdateFunderInput,
    ) -> ApiResult<Answer<Funder>> {
        let id = uuid_of(&input.id)?;
        let fields = FunderFields {
            name: input.name,
            org_id: change(input.org_id, |v| v),
            website: change(input.website, |v| v),
            organisation_id: changed_id(input.organisation_id)?,
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let row = entities::update::<funder::Entity>(db, &actor(ctx), id, input.version, fields)
            .await
            .map_err(failed)?;
        planner::written(ctx, Funder(row)).await
    }

    /// Archives a funder (admins).
    async fn archive_funder(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "The version last read; a newer one is a `CONFLICT`.")] version: Option<
            i32,
        >,
    ) -> ApiResult<Answer<Funder>> {
        let db = ctx.data::<DatabaseConnection>()?;
        let row = entities::archive::<funder::Entity>(db, &actor(ctx), uuid_of(&id)?, version)
            .await
            .map_err(failed)?;
        planner::written(ctx, Funder(row)).await
    }

    /// Creates a project with its stages and partners (admins; a partner key for a project its
    /// organisation leads or delivers).
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        input: CreateProjectInput,
    ) -> ApiResult<Answer<Project>> {
        let fields = ProjectFields {
            reference: Some(input.reference),
            title: Some(input.title),
            description: Some(input.description),
            lead_organisation_id: Some(uuid_of(&input.lead_organisation_id)?),
            campaign_id: optional_id(input.campaign_id)?,
            primary_stage: Some(input.primary_stage.into()),
            further_stages: stages(input.further_stages),
            setting: Some(input.setting.into()),
            status: input.status.map(Into::into),
            start_date: Some(input.start_date.0),
            end_date: Some(input.end_date.map(|d| d.0)),
            nation_code: Some(input.nation_code),
            region_code: Some(input.region_code),
            volunteer_roles: input.volunteer_roles,
            partners: partners(input.partners)?,
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let written = entities::create_project(db, &actor(ctx), fields)
            .await
            .map_err(failed)?;
        planner::written(ctx, Project(written.project)).await
    }

    /// Changes a project at the version the client read (admins; a partner key for its own).
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        input: UpdateProjectInput,
    ) -> ApiResult<Answer<Project>> {
        let id = uuid_of(&input.id)?;
        let fields = ProjectFields {
            reference: input.reference,
            title: input.title,
            description: change(input.description, |v| v),
            lead_organisation_id: optional_id(input.lead_organisation_id)?,
            campaign_id: None,
            primary_stage: input.primary_stage.map(Into::into),
            further_stages: stages(input.further_stages),
            setting: input.setting.map(Into::into),
            status: input.status.map(Into::into),
            start_date: input.start_date.map(|d| d.0),
            end_date: change(input.end_date, |d| d.0),
            nation_code: input.nation_code,
            region_code: change(input.region_code, |v| v),
            volunteer_roles: input.volunteer_roles,
            partners: partners(input.partners)?,
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let written = entities::update_project(db, &actor(ctx), id, input.version, fields)
            .await
            .map_err(failed)?;
        planner::written(ctx, Project(written.project)).await
    }

    /// Archives a project (admins; a partner key for its own).
    async fn archive_project(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "The version last read; a newer one is a `CONFLICT`.")] version: Option<
            i32,
        >,
    ) -> ApiResult<Answer<Project>> {
        let db = ctx.data::<DatabaseConnection>()?;
        let written = entities::archive_project(db, &actor(ctx), uuid_of(&id)?, version)
            .await
            .map_err(failed)?;
        planner::written(ctx, Project(written.project)).await
    }

    /// Creates a grant (admins).
    async fn create_grant(
        &self,
        ctx: &Context<'_>,
        input: CreateGrantInput,
    ) -> ApiResult<Answer<Grant>> {
        let fields = GrantFields {
            identifier: Some(input.identifier),
            title: Some(input.title),
            description: Some(input.description),
            funder_id: Some(uuid_of(&input.funder_id)?),
            recipient_organisation_id: Some(uuid_of(&input.recipient_organisation_id)?),
            amount_awarded: Some(input.amount_awarded.0),
            currency: input.currency,
            award_date: Some(input.award_date.0),
            planned_start_date: Some(input.planned_start_date.map(|d| d.0)),
            planned_end_date: Some(input.planned_end_date.map(|d| d.0)),
            grant_programme: Some(input.grant_programme),
            ..GrantFields::default()
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let row = entities::create::<grant::Entity>(db, &actor(ctx), fields)
            .await
            .map_err(failed)?;
        planner::written(ctx, Grant(row)).await
    }

    /// Changes a grant (admins) at the version the client read.
    async fn update_grant(
        &self,
        ctx: &Context<'_>,
        input: UpdateGrantInput,
    ) -> ApiResult<Answer<Grant>> {
        let id = uuid_of(&input.id)?;
        let fields = GrantFields {
            identifier: input.identifier,
            title: input.title,
            description: change(input.description, |v| v),
            funder_id: optional_id(input.funder_id)?,
            recipient_organisation_id: optional_id(input.recipient_organisation_id)?,
            amount_awarded: input.amount_awarded.map(|d| d.0),
            currency: input.currency,
            award_date: input.award_date.map(|d| d.0),
            planned_start_date: change(input.planned_start_date, |d| d.0),
            planned_end_date: change(input.planned_end_date, |d| d.0),
            grant_programme: change(input.grant_programme, |v| v),
            ..GrantFields::default()
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let row = entities::update::<grant::Entity>(db, &actor(ctx), id, input.version, fields)
            .await
            .map_err(failed)?;
        planner::written(ctx, Grant(row)).await
    }

    /// Archives a grant (admins).
    async fn archive_grant(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "The version last read; a newer one is a `CONFLICT`.")] version: Option<
            i32,
        >,
    ) -> ApiResult<Answer<Grant>> {
        let db = ctx.data::<DatabaseConnection>()?;
        let row = entities::archive::<grant::Entity>(db, &actor(ctx), uuid_of(&id)?, version)
            .await
            .map_err(failed)?;
        planner::written(ctx, Grant(row)).await
    }

    /// Allocates part of a grant to a project (admins); allocations never exceed the award.
    async fn create_grant_allocation(
        &self,
        ctx: &Context<'_>,
        input: CreateGrantAllocationInput,
    ) -> ApiResult<Answer<GrantAllocation>> {
        let fields = AllocationFields {
            grant_id: Some(uuid_of(&input.grant_id)?),
            project_id: Some(uuid_of(&input.project_id)?),
            amount: Some(input.amount.0),
            currency: input.currency,
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let row = entities::create::<grant_allocation::Entity>(db, &actor(ctx), fields)
            .await
            .map_err(failed)?;
        planner::written(ctx, GrantAllocation(row)).await
    }

    /// Changes an allocation's amount (admins) at the version the client read.
    async fn update_grant_allocation(
        &self,
        ctx: &Context<'_>,
        input: UpdateGrantAllocationInput,
    ) -> ApiResult<Answer<GrantAllocation>> {
        let id = uuid_of(&input.id)?;
        let fields = AllocationFields {
            grant_id: None,
            project_id: None,
            amount: input.amount.map(|d| d.0),
            currency: input.currency,
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let row = entities::update::<grant_allocation::Entity>(
            db,
            &actor(ctx),
            id,
            input.version,
            fields,
        )
        .await
        .map_err(failed)?;
        planner::written(ctx, GrantAllocation(row)).await
    }

    /// Archives an allocation (admins).
    async fn archive_grant_allocation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "The version last read; a newer one is a `CONFLICT`.")] version: Option<
            i32,
        >,
    ) -> ApiResult<Answer<GrantAllocation>> {
        let db = ctx.data::<DatabaseConnection>()?;
        let row =
            entities::archive::<grant_allocation::Entity>(db, &actor(ctx), uuid_of(&id)?, version)
                .await
                .map_err(failed)?;
        planner::written(ctx, GrantAllocation(row)).await
    }

    /// Creates or updates outcome records, keyed by (project, measure, period), in one
    /// transaction (admins; a partner key for its own projects). New records are drafts; a
    /// changed submitted record becomes a draft again; verified records need reopening first.
    async fn record_outcomes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most 5,000 records.")] records: Vec<OutcomeRecordInput>,
        #[graphql(desc = "Only check the batch and say what would happen (false when left out).")]
        dry_run: Option<bool>,
    ) -> ApiResult<RecordOutcomesResult> {
        let items: Vec<RecordInput> = records.into_iter().map(Into::into).collect();
        let db = ctx.data::<DatabaseConnection>()?;
        outcomes::record_outcomes(db, &actor(ctx), &items, dry_run.unwrap_or(false))
            .await
            .map(Into::into)
            .map_err(failed)
    }

    /// Submits draft records: from now on they count (admins; a partner key for its own).
    async fn submit_outcomes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The records (at most 5,000).")] ids: Vec<ID>,
        #[graphql(
            desc = "The version read of each record, in the order of `ids`: a record that changed since is a `CONFLICT`."
        )]
        versions: Option<Vec<i32>>,
    ) -> ApiResult<Vec<OutcomeRecord>> {
        transition(ctx, &ids, versions, Transition::Submit, None).await
    }

    /// Verifies submitted records (admins).
    async fn verify_outcomes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The records (at most 5,000).")] ids: Vec<ID>,
        #[graphql(
            desc = "The version read of each record, in the order of `ids`: a record that changed since is a `CONFLICT`."
        )]
        versions: Option<Vec<i32>>,
    ) -> ApiResult<Vec<OutcomeRecord>> {
        transition(ctx, &ids, versions, Transition::Verify, None).await
    }

    /// Returns submitted or verified records to draft, with the reason (admins). The reason is
    /// added to each record's note and kept in the audit trail.
    async fn reopen_outcomes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The records (at most 5,000).")] ids: Vec<ID>,
        #[graphql(desc = "Why the records are reopened (required).")] reason: String,
        #[graphql(
            desc = "The version read of each record, in the order of `ids`: a record that changed since is a `CONFLICT`."
        )]
        versions: Option<Vec<i32>>,
    ) -> ApiResult<Vec<OutcomeRecord>> {
        transition(ctx, &ids, versions, Transition::Reopen, Some(&reason)).await
    }

    /// Withdraws records entered by mistake (admins), with the reason: they no longer count in
    /// any figure or appear in lists; the reason is added to each record's note and kept in the
    /// audit trail. Recording the same project, measure and period again brings a record back
    /// as a draft.
    async fn archive_outcomes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The records (at most 5,000).")] ids: Vec<ID>,
        #[graphql(desc = "Why the records are withdrawn (required).")] reason: String,
        #[graphql(
            desc = "The version read of each record, in the order of `ids`: a record that changed since is a `CONFLICT`."
        )]
        versions: Option<Vec<i32>>,
    ) -> ApiResult<Vec<OutcomeRecord>> {
        transition(ctx, &ids, versions, Transition::Archive, Some(&reason)).await
    }

    /// Imports an outcome CSV (the columns of the template at `/templates/outcomes.csv`) as
    /// `recordOutcomes` would; problems name the file's line numbers.
    async fn import_outcomes(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        #[graphql(desc = "Only check the file and say what would happen (false when left out).")]
        dry_run: Option<bool>,
    ) -> ApiResult<RecordOutcomesResult> {
        let upload = file.value(ctx).map_err(|e| {
            coded(ApiError::BadUserInput(format!(
                "cannot read the upload: {e}"
            )))
        })?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut upload.into_read(), &mut bytes).map_err(|e| {
            coded(ApiError::BadUserInput(format!(
                "cannot read the upload: {e}"
            )))
        })?;
        let db = ctx.data::<DatabaseConnection>()?;
        crate::import::outcomes::import(
            db,
            &actor(ctx),
            &bytes,
            dry_run.unwrap_or(false),
            &mut |_| {},
        )
        .await
        .map(Into::into)
        .map_err(failed)
    }
}

async fn transition(
    ctx: &Context<'_>,
    list: &[ID],
    versions: Option<Vec<i32>>,
    transition: Transition,
    reason: Option<&str>,
) -> ApiResult<Vec<OutcomeRecord>> {
    let ids = ids(list)?;
    let db = ctx.data::<DatabaseConnection>()?;
    outcomes::change_status(
        db,
        &actor(ctx),
        &ids,
        versions.as_deref(),
        transition,
        reason,
    )
    .await
    .map(|rows| rows.into_iter().map(OutcomeRecord).collect())
    .map_err(failed)
}
