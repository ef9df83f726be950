//! Funders.

use super::grant::Grant;
use super::id_of;
use super::organisation::Organisation;
use super::{related, related_list};
use crate::access::Principal;
use crate::graphql::connection::{Key, SortField, column, text_key};
use crate::graphql::error::ApiResult;
use crate::graphql::error::{ApiError, coded};
use crate::graphql::filter::{IdFilter, StringFilter, combine};
use crate::graphql::scalars::Date;
use crate::report_links;
use async_graphql::{Context, ID, Object};
use b2h_entity::funder;
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, DbBackend};
use sea_orm::{DatabaseConnection, EntityTrait};

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

    /// A link to this funder's impact report that a browser can open without a key: signed for
    /// the key that asks (the funder's own, an evaluator's or an admin's), it expires after
    /// `validHours` and stops working once that key is revoked. Relative to this server's root.
    async fn report_url(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "First day of the window.")] from: Date,
        #[graphql(desc = "Last day of the window.")] to: Date,
        #[graphql(
            desc = "The document's format.",
            default_with = "crate::reports::Format::Pdf"
        )]
        format: crate::reports::Format,
        #[graphql(desc = "How long the link works, in hours (1 to 168).", default = 24)]
        valid_hours: i64,
    ) -> ApiResult<String> {
        let args = ReportUrlArgs {
            from: from.0,
            to: to.0,
            format,
            valid_hours,
        };
        let link = report_link(
            ctx.data_opt::<Principal>(),
            self.0.id,
            &args,
            chrono::Utc::now(),
        )?;
        let db = ctx.data::<DatabaseConnection>()?;
        let signer = LinkSigner::load(db, link.key).await?;
        signer.url(&link)
    }
}

/// The arguments of `Funder.reportUrl`.
pub struct ReportUrlArgs {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub format: crate::reports::Format,
    pub valid_hours: i64,
}

/// The link `Funder.reportUrl` gives the reader for `funder` at `now`, before it is signed:
/// only the funder's own key, evaluators and admins get one, for a whole window and a valid
/// lifetime. The one rule for both the resolver and the planner.
pub fn report_link(
    principal: Option<&Principal>,
    funder: uuid::Uuid,
    args: &ReportUrlArgs,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<report_links::ReportLink> {
    let key = match principal {
        Some(p @ Principal::Key { id, .. }) if p.record_access().reads_funder_summary(funder) => {
            *id
        }
        _ => {
            return Err(coded(ApiError::Forbidden(
                "a report link is for the funder's own key, evaluators and admins".into(),
            )));
        }
    };
    if args.to < args.from {
        return Err(coded(ApiError::BadUserInput(format!(
            "to {} is before from {}",
            args.to, args.from
        ))));
    }
    let window = b2h_report::Window {
        from: args.from,
        to: args.to,
    };
    crate::reports::check_window(window).map_err(|m| coded(ApiError::BadUserInput(m)))?;
    let expires = report_links::expiry(now, args.valid_hours)
        .map_err(|m| coded(ApiError::BadUserInput(m)))?;
    Ok(report_links::ReportLink {
        funder,
        format: args.format,
        window,
        key,
        expires,
    })
}

/// What signs the links of one key: its stored hash and the installation's secret, read once.
pub struct LinkSigner {
    key: Option<(uuid::Uuid, String)>,
    secret: Vec<u8>,
}

impl LinkSigner {
    pub async fn load(db: &DatabaseConnection, key: uuid::Uuid) -> ApiResult<Self> {
        let key = b2h_entity::api_key::Entity::find_by_id(key)
            .one(db)
            .await
            .map_err(coded)?
            .map(|k| (k.id, k.secret_hash));
        let secret = crate::record_keys::installation_secret(db)
            .await
            .map_err(coded)?;
        Ok(Self { key, secret })
    }

    /// A signer for no key (the reader has none): every link it is asked for is refused.
    pub fn without_key() -> Self {
        Self {
            key: None,
            secret: Vec::new(),
        }
    }

    /// `link` signed, relative to the server's root.
    pub fn url(&self, link: &report_links::ReportLink) -> ApiResult<String> {
        match &self.key {
            Some((id, hash)) if *id == link.key => Ok(link.url(&self.secret, hash)),
            _ => Err(coded(ApiError::Forbidden(
                "the key that asks is gone".into(),
            ))),
        }
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

    fn nullable(self) -> bool {
        false
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
