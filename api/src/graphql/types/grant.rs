//! 360Giving-compatible grants and their allocations to projects.

use super::enums::DatePrecision;
use super::funder::Funder;
use super::id_of;
use super::organisation::Organisation;
use super::project::Project;
use super::{related, related_list};
use crate::graphql::connection::{Key, SortField, column, text_key};
use crate::graphql::error::ApiResult;
use crate::graphql::filter::{DateFilter, IdFilter, StringFilter, combine};
use crate::graphql::scalars::{Date, Decimal};
use async_graphql::{Context, ID, Object};
use b2h_entity::{grant, grant_allocation};
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, DbBackend};

/// A grant as 360Giving publishes it (same field names), with what it pays for.
#[derive(Clone)]
pub struct Grant(pub grant::Model);

/// A grant as 360Giving publishes it (same field names), with what it pays for.
#[Object]
impl Grant {
    /// Grant id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// 360Giving identifier (`360G-…`), unique.
    async fn identifier(&self) -> &str {
        &self.0.identifier
    }

    /// Title of the grant.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What the grant is for.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Amount awarded, in `currency`.
    async fn amount_awarded(&self) -> Decimal {
        Decimal(self.0.amount_awarded)
    }

    /// ISO 4217 currency code of the amounts.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// Day the grant was awarded.
    async fn award_date(&self) -> Date {
        self.0.award_date.into()
    }

    /// Planned first day of the funded work.
    async fn planned_start_date(&self) -> Option<Date> {
        self.0.planned_start_date.map(Date)
    }

    /// Planned last day of the funded work.
    async fn planned_end_date(&self) -> Option<Date> {
        self.0.planned_end_date.map(Date)
    }

    /// How precisely the source gave `awardDate`: `MONTH` or `YEAR` when only that was given
    /// (the date is then the first day of it).
    async fn award_date_precision(&self) -> DatePrecision {
        self.0.award_date_precision.into()
    }

    /// How precisely the source gave `plannedStartDate` (`MONTH`, `YEAR`: its first day).
    async fn planned_start_date_precision(&self) -> DatePrecision {
        self.0.planned_start_date_precision.into()
    }

    /// How precisely the source gave `plannedEndDate` (`MONTH`, `YEAR`: its last day).
    async fn planned_end_date_precision(&self) -> DatePrecision {
        self.0.planned_end_date_precision.into()
    }

    /// The funder's grant programme.
    async fn grant_programme(&self) -> Option<&str> {
        self.0.grant_programme.as_deref()
    }

    /// Who gave the grant.
    async fn funder(&self, ctx: &Context<'_>) -> ApiResult<Option<Funder>> {
        related(ctx, |l| &l.funders, self.0.funder_id, Funder).await
    }

    /// Who received the grant.
    async fn recipient_organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<Organisation>> {
        related(
            ctx,
            |l| &l.organisations,
            self.0.recipient_organisation_id,
            Organisation,
        )
        .await
    }

    /// The projects the grant pays for, with amounts.
    async fn allocations(&self, ctx: &Context<'_>) -> ApiResult<Vec<GrantAllocation>> {
        related_list(ctx, |l| &l.allocations_by_grant, self.0.id, GrantAllocation).await
    }

    /// Version for optimistic concurrency: send it back with an update.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// The part of a grant that pays for one project.
pub struct GrantAllocation(pub grant_allocation::Model);

/// The part of a grant that pays for one project.
#[Object]
impl GrantAllocation {
    /// Allocation id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// Amount allocated, in `currency` (always the grant's).
    async fn amount(&self) -> Decimal {
        Decimal(self.0.amount)
    }

    /// ISO 4217 currency code.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// The grant.
    async fn grant(&self, ctx: &Context<'_>) -> ApiResult<Option<Grant>> {
        related(ctx, |l| &l.grants, self.0.grant_id, Grant).await
    }

    /// The project paid for.
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<Option<Project>> {
        related(ctx, |l| &l.projects, self.0.project_id, Project).await
    }

    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

crate::graphql::connection::connection!(Grant, GrantConnection, GrantEdge, "grant");

/// What a grant list can be sorted by (ties are broken by id).
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum GrantOrderField {
    /// Award date.
    AwardDate,
    /// Title, ignoring case.
    Title,
    /// 360Giving identifier, ignoring case.
    Identifier,
    /// Amount awarded (in minor units of the grant's currency).
    AmountAwarded,
}

impl SortField<grant::Model> for GrantOrderField {
    fn key(self) -> Expr {
        match self {
            GrantOrderField::AwardDate => column("grant_award", "award_date"),
            GrantOrderField::Title => text_key("grant_award", "title"),
            GrantOrderField::Identifier => text_key("grant_award", "identifier"),
            GrantOrderField::AmountAwarded => column("grant_award", "amount_awarded"),
        }
    }

    fn nullable(self) -> bool {
        false
    }

    fn value(self, g: &grant::Model) -> Key {
        match self {
            GrantOrderField::AwardDate => Key::Date(g.award_date),
            GrantOrderField::Title => Key::text(&g.title),
            GrantOrderField::Identifier => Key::text(&g.identifier),
            GrantOrderField::AmountAwarded => Key::Int(g.amount_awarded),
        }
    }
}

/// Which grants to list. Fields combine with AND; `and`, `or` and `not` nest.
#[derive(async_graphql::InputObject, Default)]
pub struct GrantFilter {
    /// The grant's id.
    pub id: Option<IdFilter>,
    /// 360Giving identifier.
    pub identifier: Option<StringFilter>,
    /// Title.
    pub title: Option<StringFilter>,
    /// The funder's id.
    pub funder: Option<IdFilter>,
    /// The recipient organisation's id.
    pub recipient_organisation: Option<IdFilter>,
    /// Award date.
    pub award_date: Option<DateFilter>,
    /// Grant programme.
    pub grant_programme: Option<StringFilter>,
    /// All of these.
    pub and: Option<Vec<GrantFilter>>,
    /// Any of these.
    pub or: Option<Vec<GrantFilter>>,
    /// Not this.
    pub not: Option<Box<GrantFilter>>,
}

impl GrantFilter {
    pub fn condition(&self, backend: DbBackend) -> ApiResult<Condition> {
        let col = |name: &str| column("grant_award", name);
        let mut c = Condition::all();
        if let Some(f) = &self.id {
            c = c.add(f.condition(col("id"))?);
        }
        if let Some(f) = &self.identifier {
            c = c.add(f.condition(backend, col("identifier"))?);
        }
        if let Some(f) = &self.title {
            c = c.add(f.condition(backend, col("title"))?);
        }
        if let Some(f) = &self.funder {
            c = c.add(f.condition(col("funder_id"))?);
        }
        if let Some(f) = &self.recipient_organisation {
            c = c.add(f.condition(col("recipient_organisation_id"))?);
        }
        if let Some(f) = &self.award_date {
            c = c.add(f.condition(col("award_date"))?);
        }
        if let Some(f) = &self.grant_programme {
            c = c.add(f.condition(backend, col("grant_programme"))?);
        }
        combine(c, &self.and, &self.or, &self.not, |f| f.condition(backend))
    }
}
