//! Projects: volunteering services.

use super::campaign::Campaign;
use super::enums::{PartnerRole, PathwayStage, ProjectSetting, ProjectStatus};
use super::geography::{Nation, Region, nation_by_code, region_by_code};
use super::grant::GrantAllocation;
use super::id_of;
use super::organisation::Organisation;
use super::record::{
    OutcomeRecord, OutcomeRecordConnection, OutcomeRecordFilter, OutcomeRecordOrderField,
};
use super::{load_error, related, related_list};
use crate::access::{RECORDS_FORBIDDEN, RecordAccess};
use crate::graphql::connection::{Key, OrderBy, PageArgs, SortField, column, page_cost, text_key};
use crate::graphql::error::ApiResult;
use crate::graphql::error::{ApiError, coded};
use crate::graphql::filter::{DateFilter, EnumFilter, IdFilter, StringFilter, combine};
use crate::graphql::loaders::Loaders;
use crate::graphql::query::{outcome_record_page, record_access};
use crate::graphql::scalars::{Date, DateTime};
use async_graphql::{Context, ID, Object};
use b2h_entity::enums as domain;
use b2h_entity::project;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoCondition, Query};
use sea_orm::{Condition, DbBackend};
use std::sync::Arc;

/// A volunteering service run by a lead organisation within a campaign.
#[derive(Clone)]
pub struct Project(pub project::Model);

/// A volunteering service run by a lead organisation within a campaign.
#[Object]
impl Project {
    /// Project id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// Short unique code partners use in files (`GEH-B2H-01`).
    async fn reference(&self) -> &str {
        &self.0.reference
    }

    /// Title of the service.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What the service does.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The organisation that leads the project.
    async fn lead_organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<Organisation>> {
        related(
            ctx,
            |l| &l.organisations,
            self.0.lead_organisation_id,
            Organisation,
        )
        .await
    }

    /// The campaign the project belongs to.
    async fn campaign(&self, ctx: &Context<'_>) -> ApiResult<Option<Campaign>> {
        related(ctx, |l| &l.campaigns, self.0.campaign_id, Campaign).await
    }

    /// The pathway stage the project mainly works in (groups add up to totals by this stage).
    async fn primary_stage(&self) -> PathwayStage {
        self.0.primary_stage.into()
    }

    /// Where the service is delivered.
    async fn setting(&self) -> ProjectSetting {
        self.0.setting.into()
    }

    /// Lifecycle status.
    async fn status(&self) -> ProjectStatus {
        self.0.status.into()
    }

    /// First day of the service.
    async fn start_date(&self) -> Date {
        self.0.start_date.into()
    }

    /// Last day of the service, or its planned end.
    async fn end_date(&self) -> Option<Date> {
        self.0.end_date.map(Date)
    }

    /// The UK nation the service runs in.
    async fn nation(&self, ctx: &Context<'_>) -> ApiResult<Option<Nation>> {
        nation_by_code(ctx, Some(&self.0.nation_code)).await
    }

    /// The NHS England region the service runs in (England only).
    async fn region(&self, ctx: &Context<'_>) -> ApiResult<Option<Region>> {
        region_by_code(ctx, self.0.region_code.as_ref()).await
    }

    /// Roles volunteers take in the service.
    async fn volunteer_roles(&self) -> Vec<String> {
        self.0
            .volunteer_roles
            .as_array()
            .map(|roles| {
                roles
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every pathway stage the project works in, the primary first.
    async fn stages(&self, ctx: &Context<'_>) -> ApiResult<Vec<ProjectStage>> {
        related_list(
            ctx,
            |l| &l.stages_by_project,
            self.0.id,
            |s| ProjectStage {
                stage: s.stage.into(),
                is_primary: s.is_primary,
            },
        )
        .await
    }

    /// Organisations taking part and their roles (the lead included).
    async fn partners(&self, ctx: &Context<'_>) -> ApiResult<Vec<ProjectPartner>> {
        related_list(ctx, |l| &l.partners_by_project, self.0.id, ProjectPartner).await
    }

    /// Grant allocations that pay for the project.
    async fn grant_allocations(&self, ctx: &Context<'_>) -> ApiResult<Vec<GrantAllocation>> {
        let loaders = ctx.data::<Arc<Loaders>>()?;
        let rows = loaders
            .allocations_by_project
            .load_one(self.0.id)
            .await
            .map_err(load_error)?
            .unwrap_or_default();
        loaders.answer.charge(rows.len())?;
        Ok(rows
            .iter()
            .map(|(allocation, grant, funder)| {
                // Read in the same query: `grant` and `funder` below cost nothing more.
                loaders.funders.prime(funder.id, funder.clone());
                loaders.grants.prime(grant.id, grant.clone());
                GrantAllocation(allocation.clone())
            })
            .collect())
    }

    /// The latest submitted or verified record of each measure the project reports.
    /// Record-level data: admins and evaluators; a partner for its own projects and a funder
    /// for the projects it funds (empty for others); `FORBIDDEN` for the public.
    async fn latest_outcome_records(&self, ctx: &Context<'_>) -> ApiResult<Vec<OutcomeRecord>> {
        let readable = match record_access(ctx) {
            RecordAccess::None => {
                return Err(coded(ApiError::Forbidden(RECORDS_FORBIDDEN.into())));
            }
            RecordAccess::All => true,
            RecordAccess::OwnProjects(organisation) => {
                let partners = related_list(
                    ctx,
                    |l| &l.partners_by_project,
                    self.0.id,
                    |p: b2h_entity::project_partner::Model| p,
                )
                .await?;
                partners
                    .iter()
                    .any(|p| p.organisation_id == organisation && crate::access::writes_as(p.role))
            }
            RecordAccess::FundedProjects(funder) => {
                let loaders = ctx.data::<Arc<Loaders>>()?;
                let allocations = loaders
                    .allocations_by_project
                    .load_one(self.0.id)
                    .await
                    .map_err(load_error)?
                    .unwrap_or_default();
                allocations
                    .iter()
                    .any(|(_, grant, _)| grant.funder_id == funder)
            }
        };
        if !readable {
            return Ok(Vec::new());
        }
        related_list(
            ctx,
            |l| &l.latest_records_by_project,
            self.0.id,
            OutcomeRecord,
        )
        .await
    }

    /// The project's outcome records (all statuses), a page at a time, by period end unless
    /// `orderBy` says otherwise. Each use is one query per project: to page through records
    /// of many projects, use the top-level `outcomeRecords` with a `project` filter.
    /// Record-level data, readable as the top-level `outcomeRecords` is.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn outcome_records(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which of the project's records; all when left out.")] filter: Option<
            OutcomeRecordFilter,
        >,
        #[graphql(desc = "Sort criteria in order; ties are broken by id.")] order_by: Option<
            Vec<OrderBy<OutcomeRecordOrderField>>,
        >,
        #[graphql(desc = "Rows after the cursor `after`, at most 500 (default 50).")] first: Option<
            i32,
        >,
        #[graphql(desc = "A cursor: rows after it.")] after: Option<String>,
        #[graphql(desc = "Rows before the cursor `before`, at most 500.")] last: Option<i32>,
        #[graphql(desc = "A cursor: rows before it.")] before: Option<String>,
    ) -> ApiResult<crate::graphql::planner::Answer<OutcomeRecordConnection>> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        outcome_record_page(ctx, Some(self.0.id), filter.as_ref(), order_by, args).await
    }

    /// When the row was created (UTC).
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// When the row was last changed (UTC).
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }

    /// Version for optimistic concurrency: send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A pathway stage of a project.
#[derive(async_graphql::SimpleObject)]
pub struct ProjectStage {
    /// The stage.
    pub stage: PathwayStage,
    /// Whether it is the project's primary stage.
    pub is_primary: bool,
}

/// An organisation's part in a project.
pub struct ProjectPartner(pub b2h_entity::project_partner::Model);

/// An organisation's part in a project.
#[Object]
impl ProjectPartner {
    /// Its role: lead, delivery, host or evaluation.
    async fn role(&self) -> PartnerRole {
        self.0.role.into()
    }

    /// The organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<Organisation>> {
        related(
            ctx,
            |l| &l.organisations,
            self.0.organisation_id,
            Organisation,
        )
        .await
    }
}

crate::graphql::connection::connection!(Project, ProjectConnection, ProjectEdge, "project");

/// What a project list can be sorted by (ties are broken by id).
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum ProjectOrderField {
    /// Title, ignoring case.
    Title,
    /// Reference, ignoring case.
    Reference,
    /// Start date.
    StartDate,
    /// End date (projects without one last).
    EndDate,
    /// Lifecycle status.
    Status,
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
}

/// Which projects to list. Fields combine with AND; `and`, `or` and `not` nest.
#[derive(async_graphql::InputObject, Default)]
pub struct ProjectFilter {
    /// The project's id.
    pub id: Option<IdFilter>,
    /// The project's reference (`GEH-B2H-01`).
    pub reference: Option<StringFilter>,
    /// The title.
    pub title: Option<StringFilter>,
    /// The description.
    pub description: Option<StringFilter>,
    /// Lifecycle status.
    pub status: Option<EnumFilter<ProjectStatus>>,
    /// Where the service is delivered.
    pub setting: Option<EnumFilter<ProjectSetting>>,
    /// The primary pathway stage.
    pub primary_stage: Option<EnumFilter<PathwayStage>>,
    /// Any of the project's pathway stages (primary or further).
    pub stage: Option<EnumFilter<PathwayStage>>,
    /// NHS England region code (`E40000011`).
    pub region: Option<StringFilter>,
    /// Nation code (`W92000004`).
    pub nation: Option<StringFilter>,
    /// The lead organisation's id.
    pub lead_organisation: Option<IdFilter>,
    /// Any partner organisation's id (lead, delivery, host or evaluation).
    pub partner_organisation: Option<IdFilter>,
    /// The id of a funder with a grant allocated to the project.
    pub funder: Option<IdFilter>,
    /// The campaign's id.
    pub campaign: Option<IdFilter>,
    /// First day of the service.
    pub start_date: Option<DateFilter>,
    /// Last day of the service.
    pub end_date: Option<DateFilter>,
    /// All of these.
    pub and: Option<Vec<ProjectFilter>>,
    /// Any of these.
    pub or: Option<Vec<ProjectFilter>>,
    /// Not this.
    pub not: Option<Box<ProjectFilter>>,
}

/// `project.id IN (SELECT key FROM table WHERE condition)`.
fn project_in(table: &str, key: &str, condition: Condition) -> Condition {
    let mut sub = Query::select();
    sub.expr(column(table, key))
        .from(Alias::new(table))
        .cond_where(condition);
    column("project", "id").in_subquery(sub).into_condition()
}

impl ProjectFilter {
    pub fn condition(&self, backend: DbBackend) -> ApiResult<Condition> {
        let col = |name: &str| column("project", name);
        let mut c = Condition::all();
        if let Some(f) = &self.id {
            c = c.add(f.condition(col("id"))?);
        }
        if let Some(f) = &self.reference {
            c = c.add(f.condition(backend, col("reference"))?);
        }
        if let Some(f) = &self.title {
            c = c.add(f.condition(backend, col("title"))?);
        }
        if let Some(f) = &self.description {
            c = c.add(f.condition(backend, col("description"))?);
        }
        if let Some(f) = &self.status {
            c = c.add(f.condition(col("status"), |v| domain::ProjectStatus::from(v).as_str())?);
        }
        if let Some(f) = &self.setting {
            c = c.add(f.condition(col("setting"), |v| domain::ProjectSetting::from(v).as_str())?);
        }
        if let Some(f) = &self.primary_stage {
            c = c.add(f.condition(col("primary_stage"), |v| {
                domain::PathwayStage::from(v).as_str()
            })?);
        }
        if let Some(f) = &self.stage {
            let stage = f.condition(column("project_stage", "stage"), |v| {
                domain::PathwayStage::from(v).as_str()
            })?;
            c = c.add(project_in("project_stage", "project_id", stage));
        }
        if let Some(f) = &self.region {
            c = c.add(f.condition(backend, col("region_code"))?);
        }
        if let Some(f) = &self.nation {
            c = c.add(f.condition(backend, col("nation_code"))?);
        }
        if let Some(f) = &self.lead_organisation {
            c = c.add(f.condition(col("lead_organisation_id"))?);
        }
        if let Some(f) = &self.partner_organisation {
            let partner = f.condition(column("project_partner", "organisation_id"))?;
            c = c.add(project_in("project_partner", "project_id", partner));
        }
        if let Some(f) = &self.funder {
            let mut sub = Query::select();
            sub.expr(column("grant_allocation", "project_id"))
                .from(Alias::new("grant_allocation"))
                .inner_join(
                    Alias::new("grant_award"),
                    column("grant_award", "id").eq(column("grant_allocation", "grant_id")),
                )
                .cond_where(
                    Condition::all()
                        .add(column("grant_allocation", "archived_at").is_null())
                        .add(f.condition(column("grant_award", "funder_id"))?),
                );
            c = c.add(column("project", "id").in_subquery(sub));
        }
        if let Some(f) = &self.campaign {
            c = c.add(f.condition(col("campaign_id"))?);
        }
        if let Some(f) = &self.start_date {
            c = c.add(f.condition(col("start_date"))?);
        }
        if let Some(f) = &self.end_date {
            c = c.add(f.condition(col("end_date"))?);
        }
        combine(c, &self.and, &self.or, &self.not, |f| f.condition(backend))
    }
}

impl SortField<project::Model> for ProjectOrderField {
    fn key(self) -> Expr {
        match self {
            ProjectOrderField::Title => text_key("project", "title"),
            ProjectOrderField::Reference => text_key("project", "reference"),
            ProjectOrderField::StartDate => column("project", "start_date"),
            ProjectOrderField::EndDate => column("project", "end_date"),
            ProjectOrderField::Status => column("project", "status"),
            ProjectOrderField::CreatedAt => column("project", "created_at"),
            ProjectOrderField::UpdatedAt => column("project", "updated_at"),
        }
    }

    /// Every key but a project's end date is a column that holds no null.
    fn nullable(self) -> bool {
        matches!(self, ProjectOrderField::EndDate)
    }

    fn value(self, p: &project::Model) -> Key {
        match self {
            ProjectOrderField::Title => Key::text(&p.title),
            ProjectOrderField::Reference => Key::text(&p.reference),
            ProjectOrderField::StartDate => Key::Date(p.start_date),
            ProjectOrderField::EndDate => Key::date(p.end_date),
            ProjectOrderField::Status => Key::Text(p.status.as_str().to_owned()),
            ProjectOrderField::CreatedAt => Key::Time(p.created_at),
            ProjectOrderField::UpdatedAt => Key::Time(p.updated_at),
        }
    }
}
