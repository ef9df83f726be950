//! Organisations: NHS trusts, community organisations and other bodies.

use super::enums::OrganisationKind;
use super::geography::{Nation, Region, nation_by_code, region_by_code};
use super::grant::Grant;
use super::id_of;
use super::project::Project;
use super::related_list;
use crate::graphql::connection::{Key, SortField, column, text_key};
use crate::graphql::error::ApiResult;
use crate::graphql::filter::{EnumFilter, IdFilter, StringFilter, combine};
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, Object};
use b2h_entity::enums as domain;
use b2h_entity::organisation;
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, DbBackend};

/// An NHS trust, community organisation or other body that runs, hosts or funds projects.
#[derive(Clone)]
pub struct Organisation(pub organisation::Model);

/// An NHS trust, community organisation or other body that runs, hosts or funds projects.
#[Object]
impl Organisation {
    /// Organisation id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// Name of the organisation.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What kind of body it is.
    async fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    /// Org-ID identifier (`GB-NHS-RLT`, `GB-CHC-1234567`, `GB-COH-01234567`).
    async fn org_id(&self) -> Option<&str> {
        self.0.org_id.as_deref()
    }

    /// An identifier the source gave that is not an Org-ID (such as `360G-…` or a bare
    /// registry code), kept as given; `orgId` holds the Org-ID when there is one.
    async fn other_identifier(&self) -> Option<&str> {
        self.0.other_identifier.as_deref()
    }

    /// NHS ODS code, for NHS bodies.
    async fn ods_code(&self) -> Option<&str> {
        self.0.ods_code.as_deref()
    }

    /// Registered charity number.
    async fn charity_number(&self) -> Option<&str> {
        self.0.charity_number.as_deref()
    }

    /// Companies House number.
    async fn company_number(&self) -> Option<&str> {
        self.0.company_number.as_deref()
    }

    /// Website address.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// The UK nation it is based in.
    async fn nation(&self, ctx: &Context<'_>) -> ApiResult<Option<Nation>> {
        nation_by_code(ctx, self.0.nation_code.as_ref()).await
    }

    /// The NHS England region it is based in (England only).
    async fn region(&self, ctx: &Context<'_>) -> ApiResult<Option<Region>> {
        region_by_code(ctx, self.0.region_code.as_ref()).await
    }

    /// Projects the organisation leads, by reference.
    async fn led_projects(&self, ctx: &Context<'_>) -> ApiResult<Vec<Project>> {
        related_list(ctx, |l| &l.projects_by_lead, self.0.id, Project).await
    }

    /// Grants the organisation received, by award date.
    async fn grants_received(&self, ctx: &Context<'_>) -> ApiResult<Vec<Grant>> {
        related_list(ctx, |l| &l.grants_by_recipient, self.0.id, Grant).await
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

crate::graphql::connection::connection!(
    Organisation,
    OrganisationConnection,
    OrganisationEdge,
    "organisation"
);

/// What an organisation list can be sorted by (ties are broken by id).
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationOrderField {
    /// Name, ignoring case.
    Name,
    /// Kind of body.
    Kind,
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
}

/// Which organisations to list. Fields combine with AND; `and`, `or` and `not` nest.
#[derive(async_graphql::InputObject, Default)]
pub struct OrganisationFilter {
    /// The organisation's id.
    pub id: Option<IdFilter>,
    /// The name.
    pub name: Option<StringFilter>,
    /// Kind of body.
    pub kind: Option<EnumFilter<OrganisationKind>>,
    /// Org-ID identifier.
    pub org_id: Option<StringFilter>,
    /// NHS ODS code.
    pub ods_code: Option<StringFilter>,
    /// NHS England region code (`E40000011`).
    pub region: Option<StringFilter>,
    /// Nation code (`W92000004`).
    pub nation: Option<StringFilter>,
    /// All of these.
    pub and: Option<Vec<OrganisationFilter>>,
    /// Any of these.
    pub or: Option<Vec<OrganisationFilter>>,
    /// Not this.
    pub not: Option<Box<OrganisationFilter>>,
}

impl OrganisationFilter {
    pub fn condition(&self, backend: DbBackend) -> ApiResult<Condition> {
        let col = |name: &str| column("organisation", name);
        let mut c = Condition::all();
        if let Some(f) = &self.id {
            c = c.add(f.condition(col("id"))?);
        }
        if let Some(f) = &self.name {
            c = c.add(f.condition(backend, col("name"))?);
        }
        if let Some(f) = &self.kind {
            c = c.add(f.condition(col("kind"), |v| domain::OrganisationKind::from(v).as_str())?);
        }
        if let Some(f) = &self.org_id {
            c = c.add(f.condition(backend, col("org_id"))?);
        }
        if let Some(f) = &self.ods_code {
            c = c.add(f.condition(backend, col("ods_code"))?);
        }
        if let Some(f) = &self.region {
            c = c.add(f.condition(backend, col("region_code"))?);
        }
        if let Some(f) = &self.nation {
            c = c.add(f.condition(backend, col("nation_code"))?);
        }
        combine(c, &self.and, &self.or, &self.not, |f| f.condition(backend))
    }
}

impl SortField<organisation::Model> for OrganisationOrderField {
    fn key(self) -> Expr {
        match self {
            OrganisationOrderField::Name => text_key("organisation", "name"),
            OrganisationOrderField::Kind => column("organisation", "kind"),
            OrganisationOrderField::CreatedAt => column("organisation", "created_at"),
            OrganisationOrderField::UpdatedAt => column("organisation", "updated_at"),
        }
    }

    fn nullable(self) -> bool {
        false
    }

    fn value(self, o: &organisation::Model) -> Key {
        match self {
            OrganisationOrderField::Name => Key::text(&o.name),
            OrganisationOrderField::Kind => Key::Text(o.kind.as_str().to_owned()),
            OrganisationOrderField::CreatedAt => Key::Time(o.created_at),
            OrganisationOrderField::UpdatedAt => Key::Time(o.updated_at),
        }
    }
}
