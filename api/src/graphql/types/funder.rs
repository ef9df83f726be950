//! Funders.

use super::grant::Grant;
use super::id_of;
use super::organisation::Organisation;
use super::{related, related_list};
use crate::graphql::connection::{Key, SortField, column, text_key};
use crate::graphql::error::ApiResult;
use crate::graphql::filter::{IdFilter, StringFilter, combine};
use async_graphql::{Context, ID, Object};
use b2h_entity::funder;
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, DbBackend};

/// A charitable funder that gives grants.
#[derive(Clone)]
pub struct Funder(pub funder::Model);

/// A charitable funder that gives grants.
#[Object]
impl Funder {
    /// Funder id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// Name of the funder.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Org-ID identifier, when known.
    async fn org_id(&self) -> Option<&str> {
        self.0.org_id.as_deref()
    }

    /// An identifier the source gave that is not an Org-ID (such as `360G-…` or a bare
    /// registry code), kept as given; `orgId` holds the Org-ID when there is one.
    async fn other_identifier(&self) -> Option<&str> {
        self.0.other_identifier.as_deref()
    }

    /// Website address.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// The organisation record of the funder, when it has one.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<Organisation>> {
        let Some(id) = self.0.organisation_id else {
            return Ok(None);
        };
        related(ctx, |l| &l.organisations, id, Organisation).await
    }

    /// Grants from this funder, by award date.
    async fn grants(&self, ctx: &Context<'_>) -> ApiResult<Vec<Grant>> {
        related_list(ctx, |l| &l.grants_by_funder, self.0.id, Grant).await
    }

    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

crate::graphql::connection::connection!(Funder, FunderConnection, FunderEdge, "funder");

/// What a funder list can be sorted by (ties are broken by id).
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum FunderOrderField {
    /// Name, ignoring case.
    Name,
    /// Creation time.
    CreatedAt,
}

impl SortField<funder::Model> for FunderOrderField {
    fn key(self) -> Expr {
        match self {
            FunderOrderField::Name => text_key("funder", "name"),
            FunderOrderField::CreatedAt => column("funder", "created_at"),
        }
    }

    fn value(self, f: &funder::Model) -> Key {
        match self {
            FunderOrderField::Name => Key::text(&f.name),
            FunderOrderField::CreatedAt => Key::Time(f.created_at),
        }
    }
}

/// Which funders to list. Fields combine with AND; `and`, `or` and `not` nest.
#[derive(async_graphql::InputObject, Default)]
pub struct FunderFilter {
    /// The funder's id.
    pub id: Option<IdFilter>,
    /// Name.
    pub name: Option<StringFilter>,
    /// Org-ID identifier.
    pub org_id: Option<StringFilter>,
    /// All of these.
    pub and: Option<Vec<FunderFilter>>,
    /// Any of these.
    pub or: Option<Vec<FunderFilter>>,
    /// Not this.
    pub not: Option<Box<FunderFilter>>,
}

impl FunderFilter {
    pub fn condition(&self, backend: DbBackend) -> ApiResult<Condition> {
        let mut c = Condition::all();
        if let Some(f) = &self.id {
            c = c.add(f.condition(column("funder", "id"))?);
        }
        if let Some(f) = &self.name {
            c = c.add(f.condition(backend, column("funder", "name"))?);
        }
        if let Some(f) = &self.org_id {
            c = c.add(f.condition(backend, column("funder", "org_id"))?);
        }
        combine(c, &self.and, &self.or, &self.not, |f| f.condition(backend))
    }
}
