//! Read entry points.

use super::connection::{Listing, OrderBy, Page, PageArgs, SortField, Wanted, page_cost};
use super::error::{ApiError, ApiResult, coded};
use super::plain::PlainList;
use super::planner::{self, Answer};
use super::reference::Reference;
use super::types::audit::{
    AuditEvent, AuditEventConnection, AuditEventFilter, AuditEventOrderField,
};
use super::types::campaign::Campaign;
use super::types::export::{ExportJob, Snapshot};
use super::types::funder::{Funder, FunderConnection, FunderFilter, FunderOrderField};
use super::types::funder_summary::FunderImpactSummary;
use super::types::geography::{Nation, Region};
use super::types::grant::{Grant, GrantConnection, GrantFilter, GrantOrderField};
use super::types::impact::{ImpactDimension, ImpactFilter, ImpactGroup};
use super::types::measure::OutcomeMeasure;
use super::types::organisation::{
    Organisation, OrganisationConnection, OrganisationFilter, OrganisationOrderField,
};
use super::types::progress::CampaignProgress;
use super::types::project::{Project, ProjectConnection, ProjectFilter, ProjectOrderField};
use super::types::record::{
    OutcomeRecord, OutcomeRecordConnection, OutcomeRecordFilter, OutcomeRecordOrderField,
};
use super::types::returns::{MissingReturn, PeriodInput};
use super::types::uuid_of;
use crate::access::{
    AUDIT_FORBIDDEN, EXPORTS_FORBIDDEN, Principal, RECORDS_FORBIDDEN, RecordAccess,
};
use crate::analytics::impact::Dimension;
use crate::analytics::published::ShownProgress;
use async_graphql::{Context, ID, Object};
use b2h_entity::{
    audit_event, campaign, funder, grant, nation, organisation, outcome_measure, outcome_record,
    project, region,
};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    Select,
};
use std::sync::Arc;

pub struct Query;

/// A list filter: its SQL condition for a backend.
pub(crate) trait Filter: Sync {
    fn condition(&self, backend: DbBackend) -> ApiResult<Condition>;
}

macro_rules! filters {
    ($($t:ty),+) => {$(
        impl Filter for $t {
            fn condition(&self, backend: DbBackend) -> ApiResult<Condition> {
                <$t>::condition(self, backend)
            }
        }
    )+};
}
filters!(
    AuditEventFilter,
    OrganisationFilter,
    FunderFilter,
    ProjectFilter,
    GrantFilter,
    OutcomeRecordFilter
);

/// Most sort keys one list takes (every field of a type fits; more only repeats them).
pub(crate) const MAX_ORDER_BY: usize = 8;

/// Reads one page of a list: filter, order, keyset page, `totalCount` only when selected.
#[allow(clippy::too_many_arguments)]
/// With `planned`, the page's whole answer is one statement when the planner compiles its
/// selection.
pub(crate) async fn list<E, F, N, C>(
    ctx: &Context<'_>,
    mut select: Select<E>,
    filter: Option<&dyn Filter>,
    order_by: Option<Vec<OrderBy<F>>>,
    default: F,
    (table, planned): (&str, Option<planner::Type>),
    id: fn(&E::Model) -> uuid::Uuid,
    wrap: fn(E::Model) -> N,
    args: PageArgs,
) -> ApiResult<Answer<C>>
where
    E: EntityTrait,
    E::Model: Sync,
    F: SortField<E::Model> + async_graphql::InputType,
    C: From<Page<N>>,
{
    let db = ctx.data::<DatabaseConnection>()?;
    if let Some(filter) = filter {
        let backend = db.get_database_backend();
        select = select.filter(super::filter::bounded(|| filter.condition(backend))?);
    }
    if let Some(order) = &order_by
        && order.len() > MAX_ORDER_BY
    {
        return Err(coded(ApiError::BadUserInput(format!(
            "orderBy takes at most {MAX_ORDER_BY} entries (got {})",
            order.len()
        ))));
    }
    let look_ahead = ctx.look_ahead();
    let wanted = Wanted {
        total: look_ahead.field("totalCount").exists(),
        edges: look_ahead.field("edges").exists(),
        page_info: look_ahead.field("pageInfo").exists(),
    };
    let listing = Listing::new(db, select, order_by, default, table, id, wrap, wanted)
        .filtered(filter.is_some());
    if let Some(ty) = planned
        && let Some(json) = planner::page(ctx, ty, &listing, &args).await?
    {
        return Ok(Answer::Planned(json));
    }
    Ok(Answer::Resolved(listing.page(args).await?.into()))
}

/// A page of outcome records (not archived), of one project or all, by period end unless
/// `order_by` says otherwise.
pub(crate) async fn outcome_record_page(
    ctx: &Context<'_>,
    project: Option<uuid::Uuid>,
    filter: Option<&OutcomeRecordFilter>,
    order_by: Option<Vec<OrderBy<OutcomeRecordOrderField>>>,
    args: PageArgs,
) -> ApiResult<Answer<OutcomeRecordConnection>> {
    let mut select =
        outcome_record::Entity::find().filter(outcome_record::Column::ArchivedAt.is_null());
    match record_access(ctx) {
        RecordAccess::None => return Err(coded(ApiError::Forbidden(RECORDS_FORBIDDEN.into()))),
        access => {
            if let Some(allowed) = access.condition() {
                select = select.filter(allowed);
            }
        }
    }
    if let Some(project) = project {
        select = select.filter(outcome_record::Column::ProjectId.eq(project));
    }
    // A project's page of records is left to the resolvers: the planner compiles no
    // connection inside an object yet.
    let planned = project.is_none().then_some(planner::Type::OutcomeRecord);
    list(
        ctx,
        select,
        filter.map(|f| f as &dyn Filter),
        order_by,
        OutcomeRecordOrderField::PeriodEnd,
        ("outcome_record", planned),
        |m| m.id,
        OutcomeRecord,
        args,
    )
    .await
}

/// What record-level data the request's caller may read (nothing when unknown).
pub(crate) fn record_access(ctx: &Context<'_>) -> RecordAccess {
    ctx.data_opt::<Principal>()
        .map_or(RecordAccess::None, Principal::record_access)
}

fn count(projects: i64) -> usize {
    usize::try_from(projects).unwrap_or(0)
}

/// The server's current publication of the public figures.
pub(crate) fn current_publication(
    ctx: &Context<'_>,
) -> ApiResult<Arc<crate::analytics::published::Snapshot>> {
    ctx.data::<crate::publication::Publication>()?
        .current()
        .ok_or_else(|| {
            coded(ApiError::Unavailable(
                "the public figures are not published yet: try again shortly".into(),
            ))
        })
}

/// How a lookup names its row: by id, or by the unique key of its type.
enum Lookup {
    Id(ID),
    Unique(String),
}

/// The one key a lookup was given, or why it needs exactly one.
fn one_key(
    id_name: &str,
    id: Option<ID>,
    key_name: &str,
    key: Option<String>,
) -> ApiResult<Lookup> {
    match (id, key) {
        (Some(id), None) => Ok(Lookup::Id(id)),
        (None, Some(key)) => Ok(Lookup::Unique(key)),
        (Some(_), Some(_)) => Err(coded(ApiError::BadUserInput(format!(
            "give {id_name} or {key_name}, not both"
        )))),
        (None, None) => Err(coded(ApiError::BadUserInput(format!(
            "give {id_name} or {key_name}"
        )))),
    }
}

/// One row of `ty` by its id or by its unique `column`; null when no row has it.
async fn by_key<E, N>(
    ctx: &Context<'_>,
    key: Lookup,
    column: E::Column,
    (ty, wrap): (planner::Type, fn(E::Model) -> N),
) -> ApiResult<Answer<Option<N>>>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<uuid::Uuid>,
{
    let db = ctx.data::<DatabaseConnection>()?;
    let select = match key {
        Lookup::Id(id) => E::find_by_id(uuid_of(&id)?),
        Lookup::Unique(key) => {
            super::filter::check_text(&key)?;
            E::find().filter(column.eq(key))
        }
    };
    if let Some(json) = planner::lookup(ctx, ty, select.clone()).await? {
        return Ok(Answer::Planned(json));
    }
    Ok(Answer::Resolved(
        select.one(db).await.map_err(coded)?.map(wrap),
    ))
}

/// A root list of `ty`'s rows in `select`'s order.
async fn rows<E: EntityTrait, N>(
    ctx: &Context<'_>,
    select: Select<E>,
    (ty, wrap): (planner::Type, fn(E::Model) -> N),
) -> ApiResult<Answer<Vec<N>>> {
    if let Some(json) = planner::list(ctx, ty, select.clone()).await? {
        return Ok(Answer::Planned(json));
    }
    let db = ctx.data::<DatabaseConnection>()?;
    let found = select.all(db).await.map_err(coded)?;
    Ok(Answer::Resolved(found.into_iter().map(wrap).collect()))
}

/// Reads anyone may make; record-level outcome data needs a key (see the access rules).
#[Object]
impl Query {
    /// Campaigns, by name.
    async fn campaigns(&self, ctx: &Context<'_>) -> ApiResult<Answer<Vec<Campaign>>> {
        let select = campaign::Entity::find()
            .filter(campaign::Column::ArchivedAt.is_null())
            .order_by_asc(campaign::Column::Name)
            .order_by_asc(campaign::Column::Id);
        rows(ctx, select, (planner::Type::Campaign, Campaign)).await
    }

    /// One campaign; null when no campaign has this id.
    async fn campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Campaign id (UUID).")] id: ID,
    ) -> ApiResult<Answer<Option<Campaign>>> {
        by_key::<campaign::Entity, _>(
            ctx,
            Lookup::Id(id),
            campaign::Column::Id,
            (planner::Type::Campaign, Campaign),
        )
        .await
    }

    /// The four UK nations, by code.
    async fn nations(&self, ctx: &Context<'_>) -> ApiResult<Answer<Vec<Nation>>> {
        let select = nation::Entity::find().order_by_asc(nation::Column::Code);
        rows(ctx, select, (planner::Type::Nation, Nation)).await
    }

    /// The seven NHS England regions, by code.
    async fn regions(&self, ctx: &Context<'_>) -> ApiResult<Answer<Vec<Region>>> {
        let select = region::Entity::find().order_by_asc(region::Column::Code);
        rows(ctx, select, (planner::Type::Region, Region)).await
    }

    /// Outcome measures, by code.
    async fn outcome_measures(&self, ctx: &Context<'_>) -> ApiResult<Answer<Vec<OutcomeMeasure>>> {
        let select = outcome_measure::Entity::find()
            .filter(outcome_measure::Column::ArchivedAt.is_null())
            .order_by_asc(outcome_measure::Column::Code);
        rows(
            ctx,
            select,
            (planner::Type::OutcomeMeasure, OutcomeMeasure::of),
        )
        .await
    }

    /// Organisations, a page at a time (by name unless `orderBy` says otherwise).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which organisations; all when left out.")] filter: Option<
            OrganisationFilter,
        >,
        #[graphql(desc = "Sort criteria in order; ties are broken by id.")] order_by: Option<
            Vec<OrderBy<OrganisationOrderField>>,
        >,
        #[graphql(desc = "Rows after the cursor `after`, at most 500 (default 50).")] first: Option<
            i32,
        >,
        #[graphql(desc = "A cursor: rows after it.")] after: Option<String>,
        #[graphql(desc = "Rows before the cursor `before`, at most 500.")] last: Option<i32>,
        #[graphql(desc = "A cursor: rows before it.")] before: Option<String>,
    ) -> ApiResult<Answer<OrganisationConnection>> {
        let select =
            organisation::Entity::find().filter(organisation::Column::ArchivedAt.is_null());
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            select,
            filter.as_ref().map(|f| f as &dyn Filter),
            order_by,
            OrganisationOrderField::Name,
            ("organisation", Some(planner::Type::Organisation)),
            |m| m.id,
            Organisation,
            args,
        )
        .await
    }

    /// A campaign's progress towards its people target (the Back to Health campaign when
    /// `campaignId` is left out); null when no campaign has the id.
    async fn campaign_progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Campaign id (UUID); the earliest campaign when left out.")]
        campaign_id: Option<ID>,
    ) -> ApiResult<Option<CampaignProgress>> {
        let id = campaign_id.as_ref().map(uuid_of).transpose()?;
        let db = ctx.data::<DatabaseConnection>()?;
        let reference = Arc::clone(ctx.data::<Arc<Reference>>()?);
        let access = record_access(ctx);
        // Full record access reads live and exact; everyone else the last publication.
        let store = super::figures::store(ctx)?;
        if access == RecordAccess::All {
            let progress = crate::analytics::progress::campaign_progress(db, &store, id)
                .await
                .map_err(coded)?;
            return Ok(progress.map(|p| CampaignProgress {
                progress: ShownProgress::exact(p),
                reference,
            }));
        }
        let Some(campaign) = crate::analytics::progress::find_campaign(db, id)
            .await
            .map_err(coded)?
        else {
            return Ok(None);
        };
        let campaign_id = campaign.id;
        let published = current_publication(ctx)?;
        let mut progress = if access == RecordAccess::None {
            published.public_progress(campaign)
        } else {
            let readable = super::figures::readable(db, &published.store, access).await?;
            ShownProgress::published(
                &published.progress(campaign_id, readable.as_deref()),
                campaign,
                published.published_at,
                |own, all| access.sees_exact(count(own), count(all)),
            )
        };
        if access != RecordAccess::None {
            // Key holders read the headline live (it is exact for everyone).
            if let Some(live) =
                crate::analytics::progress::campaign_progress(db, &store, Some(campaign_id))
                    .await
                    .map_err(coded)?
            {
                progress.live_headline(&live);
            }
        }
        Ok(Some(CampaignProgress {
            progress,
            reference,
        }))
    }

    /// Impact figures per group: for each measure, its records added up by the measure's
    /// aggregation kind. Submitted and verified records only. Anonymous readers see the last
    /// publication, disclosure controlled, and may ask only by published dimensions; evaluators
    /// and admins see live exact figures; a partner's or funder's key sees live cells made only of
    /// records it may read exact and other cells as published (and, outside the published
    /// dimensions, only the records it may read).
    async fn impact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which records; all submitted and verified ones when left out.")]
        filter: Option<ImpactFilter>,
        #[graphql(desc = "Dimensions to group by, in order; one group of everything when empty.")]
        group_by: Option<Vec<ImpactDimension>>,
    ) -> ApiResult<PlainList<ImpactGroup>> {
        let dimensions: Vec<Dimension> = group_by
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        // Boxed: the answer's future is large, and it would sit in this resolver's frame.
        Box::pin(super::figures::impact_for_caller(
            ctx,
            filter.unwrap_or_default(),
            dimensions,
        ))
        .await
        .map(PlainList)
    }

    /// The published Parquet snapshots, newest first, with their manifests (evaluator and admin
    /// keys). Empty when the server has no export folder.
    async fn exports(&self, ctx: &Context<'_>) -> ApiResult<Vec<Snapshot>> {
        if record_access(ctx) != RecordAccess::All {
            return Err(coded(ApiError::Forbidden(EXPORTS_FORBIDDEN.into())));
        }
        let exports = ctx.data::<crate::exports::Exports>()?;
        let found = exports.snapshots().await.map_err(coded)?;
        Ok(found
            .into_iter()
            .map(|(manifest, latest)| Snapshot { manifest, latest })
            .collect())
    }

    /// An export job by id (evaluator and admin keys); null when no job has the id.
    async fn export_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job's id, from `requestExport`.")] id: ID,
    ) -> ApiResult<Option<ExportJob>> {
        if record_access(ctx) != RecordAccess::All {
            return Err(coded(ApiError::Forbidden(EXPORTS_FORBIDDEN.into())));
        }
        let id = uuid_of(&id)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let exports = ctx.data::<crate::exports::Exports>()?;
        Ok(exports.job(db, id).await.map_err(coded)?.map(ExportJob))
    }

    /// Active projects that reported a measure before `period` but have no submitted or
    /// verified record of it for the period, by project reference and measure code. Needs a key
    /// that reads records: admins and evaluators see all, a partner its own projects, a funder the
    /// projects it funds.
    async fn missing_returns(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reporting period, e.g. a month.")] period: PeriodInput,
    ) -> ApiResult<PlainList<MissingReturn>> {
        if period.end.0 < period.start.0 {
            return Err(coded(ApiError::BadUserInput(format!(
                "period.end {} is before period.start {}",
                period.end.0, period.start.0
            ))));
        }
        let access = record_access(ctx);
        if access == RecordAccess::None {
            return Err(coded(ApiError::Forbidden(RECORDS_FORBIDDEN.into())));
        }
        let db = ctx.data::<DatabaseConnection>()?;
        let store = super::figures::store(ctx)?;
        let mut rows = crate::analytics::returns::missing_returns(
            db,
            &store,
            period.start.0,
            period.end.0,
            access,
        )
        .await
        .map_err(coded)?;
        // By project reference, then measure code.
        let ids: std::collections::HashSet<uuid::Uuid> =
            rows.iter().map(|r| r.project_id).collect();
        let ids: Vec<uuid::Uuid> = ids.into_iter().collect();
        let mut projects = std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            for p in project::Entity::find()
                .filter(project::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await
                .map_err(coded)?
            {
                projects.insert(p.id, p.reference);
            }
        }
        let measures: std::collections::HashMap<uuid::Uuid, String> =
            outcome_measure::Entity::find()
                .all(db)
                .await
                .map_err(coded)?
                .into_iter()
                .map(|m| (m.id, m.code))
                .collect();
        rows.sort_by(|a, b| {
            (projects.get(&a.project_id), measures.get(&a.measure_id))
                .cmp(&(projects.get(&b.project_id), measures.get(&b.measure_id)))
        });
        Ok(PlainList(rows.into_iter().map(MissingReturn).collect()))
    }

    /// A funder's impact summary for a window (records whose period ends in it): its grants,
    /// allocations and funded projects, people supported, cost per person supported and outcome
    /// highlights. For the funder's own key, evaluators and admins; null when no funder has the id.
    async fn funder_impact_summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The funder (UUID).")] funder_id: ID,
        #[graphql(desc = "First day of the window.")] from: crate::graphql::scalars::Date,
        #[graphql(desc = "Last day of the window.")] to: crate::graphql::scalars::Date,
    ) -> ApiResult<Option<FunderImpactSummary>> {
        let id = uuid_of(&funder_id)?;
        if to.0 < from.0 {
            return Err(coded(ApiError::BadUserInput(format!(
                "to {} is before from {}",
                to.0, from.0
            ))));
        }
        if !record_access(ctx).reads_funder_summary(id) {
            return Err(coded(ApiError::Forbidden(
                "a funder's impact summary is for its own key, evaluators and admins".into(),
            )));
        }
        let db = ctx.data::<DatabaseConnection>()?;
        let store = super::figures::store(ctx)?;
        let summary = crate::analytics::funder::summary(db, &store, id, from.0, to.0)
            .await
            .map_err(coded)?;
        Ok(summary.map(FunderImpactSummary))
    }

    /// The audit trail, a page at a time (oldest first unless `orderBy` says otherwise):
    /// one event per write with the entity before and after. Admin keys only.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which events; all when left out.")] filter: Option<AuditEventFilter>,
        #[graphql(desc = "Sort criteria in order; ties are broken by id.")] order_by: Option<
            Vec<OrderBy<AuditEventOrderField>>,
        >,
        #[graphql(desc = "Rows after the cursor `after`, at most 500 (default 50).")] first: Option<
            i32,
        >,
        #[graphql(desc = "A cursor: rows after it.")] after: Option<String>,
        #[graphql(desc = "Rows before the cursor `before`, at most 500.")] last: Option<i32>,
        #[graphql(desc = "A cursor: rows before it.")] before: Option<String>,
    ) -> ApiResult<Answer<AuditEventConnection>> {
        let admin = ctx.data_opt::<Principal>().is_some_and(Principal::is_admin);
        if !admin {
            return Err(coded(ApiError::Forbidden(AUDIT_FORBIDDEN.into())));
        }
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            audit_event::Entity::find(),
            filter.as_ref().map(|f| f as &dyn Filter),
            order_by,
            AuditEventOrderField::At,
            ("audit_event", None),
            |m| m.id,
            AuditEvent,
            args,
        )
        .await
    }

    /// Funders, a page at a time (by name unless `orderBy` says otherwise).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn funders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which funders; all when left out.")] filter: Option<FunderFilter>,
        #[graphql(desc = "Sort criteria in order; ties are broken by id.")] order_by: Option<
            Vec<OrderBy<FunderOrderField>>,
        >,
        #[graphql(desc = "Rows after the cursor `after`, at most 500 (default 50).")] first: Option<
            i32,
        >,
        #[graphql(desc = "A cursor: rows after it.")] after: Option<String>,
        #[graphql(desc = "Rows before the cursor `before`, at most 500.")] last: Option<i32>,
        #[graphql(desc = "A cursor: rows before it.")] before: Option<String>,
    ) -> ApiResult<Answer<FunderConnection>> {
        let select = funder::Entity::find().filter(funder::Column::ArchivedAt.is_null());
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            select,
            filter.as_ref().map(|f| f as &dyn Filter),
            order_by,
            FunderOrderField::Name,
            ("funder", Some(planner::Type::Funder)),
            |m| m.id,
            Funder,
            args,
        )
        .await
    }

    /// Projects, a page at a time (by title unless `orderBy` says otherwise).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which projects; all when left out.")] filter: Option<ProjectFilter>,
        #[graphql(desc = "Sort criteria in order; ties are broken by id.")] order_by: Option<
            Vec<OrderBy<ProjectOrderField>>,
        >,
        #[graphql(desc = "Rows after the cursor `after`, at most 500 (default 50).")] first: Option<
            i32,
        >,
        #[graphql(desc = "A cursor: rows after it.")] after: Option<String>,
        #[graphql(desc = "Rows before the cursor `before`, at most 500.")] last: Option<i32>,
        #[graphql(desc = "A cursor: rows before it.")] before: Option<String>,
    ) -> ApiResult<Answer<ProjectConnection>> {
        let select = project::Entity::find().filter(project::Column::ArchivedAt.is_null());
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            select,
            filter.as_ref().map(|f| f as &dyn Filter),
            order_by,
            ProjectOrderField::Title,
            ("project", Some(planner::Type::Project)),
            |m| m.id,
            Project,
            args,
        )
        .await
    }

    /// Grants, a page at a time (by award date unless `orderBy` says otherwise).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn grants(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which grants; all when left out.")] filter: Option<GrantFilter>,
        #[graphql(desc = "Sort criteria in order; ties are broken by id.")] order_by: Option<
            Vec<OrderBy<GrantOrderField>>,
        >,
        #[graphql(desc = "Rows after the cursor `after`, at most 500 (default 50).")] first: Option<
            i32,
        >,
        #[graphql(desc = "A cursor: rows after it.")] after: Option<String>,
        #[graphql(desc = "Rows before the cursor `before`, at most 500.")] last: Option<i32>,
        #[graphql(desc = "A cursor: rows before it.")] before: Option<String>,
    ) -> ApiResult<Answer<GrantConnection>> {
        let select = grant::Entity::find().filter(grant::Column::ArchivedAt.is_null());
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            select,
            filter.as_ref().map(|f| f as &dyn Filter),
            order_by,
            GrantOrderField::AwardDate,
            ("grant_award", Some(planner::Type::Grant)),
            |m| m.id,
            Grant,
            args,
        )
        .await
    }

    /// Outcome records, a page at a time (by period end unless `orderBy` says otherwise).
    /// Record-level data: admins and evaluators read all, a partner its own projects' records
    /// (lead or delivery partner); others get `FORBIDDEN`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn outcome_records(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which records; all when left out.")] filter: Option<OutcomeRecordFilter>,
        #[graphql(desc = "Sort criteria in order; ties are broken by id.")] order_by: Option<
            Vec<OrderBy<OutcomeRecordOrderField>>,
        >,
        #[graphql(desc = "Rows after the cursor `after`, at most 500 (default 50).")] first: Option<
            i32,
        >,
        #[graphql(desc = "A cursor: rows after it.")] after: Option<String>,
        #[graphql(desc = "Rows before the cursor `before`, at most 500.")] last: Option<i32>,
        #[graphql(desc = "A cursor: rows before it.")] before: Option<String>,
    ) -> ApiResult<Answer<OutcomeRecordConnection>> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        outcome_record_page(ctx, None, filter.as_ref(), order_by, args).await
    }

    /// One grant by its id or its 360Giving identifier (give one); null when none has it.
    async fn grant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Grant id (UUID).")] id: Option<ID>,
        #[graphql(desc = "360Giving identifier (`360G-…`).")] identifier: Option<String>,
    ) -> ApiResult<Answer<Option<Grant>>> {
        let key = one_key("id", id, "identifier", identifier)?;
        by_key::<grant::Entity, _>(
            ctx,
            key,
            grant::Column::Identifier,
            (planner::Type::Grant, Grant),
        )
        .await
    }

    /// One organisation by its id or its Org-ID (give one); null when none has it.
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Organisation id (UUID).")] id: Option<ID>,
        #[graphql(desc = "Org-ID identifier (`GB-NHS-RLT`).")] org_id: Option<String>,
    ) -> ApiResult<Answer<Option<Organisation>>> {
        let key = one_key("id", id, "orgId", org_id)?;
        by_key::<organisation::Entity, _>(
            ctx,
            key,
            organisation::Column::OrgId,
            (planner::Type::Organisation, Organisation),
        )
        .await
    }

    /// One funder by its id or its Org-ID (give one); null when none has it.
    async fn funder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Funder id (UUID).")] id: Option<ID>,
        #[graphql(desc = "Org-ID identifier (`GB-CHC-230260`).")] org_id: Option<String>,
    ) -> ApiResult<Answer<Option<Funder>>> {
        let key = one_key("id", id, "orgId", org_id)?;
        by_key::<funder::Entity, _>(
            ctx,
            key,
            funder::Column::OrgId,
            (planner::Type::Funder, Funder),
        )
        .await
    }

    /// One project by its id or its reference (give one); null when none has it.
    async fn project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Project id (UUID).")] id: Option<ID>,
        #[graphql(desc = "The project's reference (`GEH-B2H-01`), exactly.")] reference: Option<
            String,
        >,
    ) -> ApiResult<Answer<Option<Project>>> {
        let key = one_key("id", id, "reference", reference)?;
        by_key::<project::Entity, _>(
            ctx,
            key,
            project::Column::Reference,
            (planner::Type::Project, Project),
        )
        .await
    }
}
