//! Who makes a request: the anonymous public, or the holder of an API key with its role and
//! scope, and the rules of what each may read, in one place.

use crate::apikey::{self, AuthError};
use crate::key_cache::KeyCache;
use b2h_entity::enums::{ApiRole, PartnerRole};
use sea_orm::Condition;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::collections::HashSet;
use uuid::Uuid;

/// The caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No key: reads what is published, aggregates with disclosure control.
    Public,
    /// Someone at the server's command line (`b2h import …`): acts as an admin.
    Operator { user: String },
    /// A valid API key.
    Key {
        id: Uuid,
        /// The key's name, for the audit trail (`apikey:<name>`).
        name: String,
        role: ApiRole,
        /// A partner key's organisation.
        organisation_id: Option<Uuid>,
        /// A funder key's funder.
        funder_id: Option<Uuid>,
    },
}

impl Principal {
    /// The caller named by an `Authorization` header value, or the public without one.
    pub async fn from_header(
        db: &DatabaseConnection,
        keys: Option<(&KeyCache, i64)>,
        authorization: Option<&str>,
    ) -> Result<Self, AuthError> {
        let Some(header) = authorization else {
            return Ok(Principal::Public);
        };
        Ok(Principal::of_key(
            apikey::authenticate(db, keys, header).await?,
        ))
    }

    /// The holder of a key already found valid.
    pub fn of_key(key: b2h_entity::api_key::Model) -> Self {
        Principal::Key {
            id: key.id,
            name: key.name,
            role: key.role,
            organisation_id: key.organisation_id,
            funder_id: key.funder_id,
        }
    }
}

/// Which projects, and their outcome records, a caller may write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteAccess {
    /// Admins and the command line.
    All,
    /// A partner: projects its organisation leads or delivers.
    OwnProjects(Uuid),
    /// Funders, evaluators and the public write nothing.
    None,
}

/// Why a write is refused.
pub const ADMIN_ONLY: &str = "only an admin key may make this change";
pub const WRITE_FORBIDDEN: &str = "this key may not write: partners write their own projects and \
their outcome records, admins write everything";
pub const AUDIT_FORBIDDEN: &str = "the audit trail is for admin keys";
pub const EXPORTS_FORBIDDEN: &str =
    "snapshots are record-level and not disclosure-controlled: for evaluator and admin keys";

/// Why a funder's report is refused over HTTP (the CLI's `--as-public` writes the public's version).
pub const FUNDER_REPORT_FORBIDDEN: &str = "a funder's report is for its own key, evaluators and \
admins; the campaign's report is everyone's";

/// Which outcome records (record-level data) a caller may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordAccess {
    /// Admins and evaluators: every record.
    All,
    /// A partner: the records of projects its organisation leads or delivers.
    OwnProjects(Uuid),
    /// A funder: the records of the projects its grants pay for (its grants' detail).
    FundedProjects(Uuid),
    /// The public: none (it reads aggregates).
    None,
}

/// Why record-level data is refused.
pub const RECORDS_FORBIDDEN: &str = "record-level outcome data needs the API key of a partner \
(for its own projects), a funder (for the projects it funds), an evaluator or an admin; anyone may \
read the aggregates";

impl Principal {
    /// How the audit trail names the caller: `apikey:<name>`, `cli:<user>` or `public`.
    pub fn audit_name(&self) -> String {
        match self {
            Principal::Public => "public".to_owned(),
            Principal::Operator { user } => format!("cli:{user}"),
            Principal::Key { name, .. } => format!("apikey:{name}"),
        }
    }

    /// Admins and the command line: every write and the audit trail.
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Principal::Operator { .. }
                | Principal::Key {
                    role: ApiRole::Admin,
                    ..
                }
        )
    }

    /// Which projects (and their outcome records) the caller may write.
    pub fn write_access(&self) -> WriteAccess {
        match self {
            _ if self.is_admin() => WriteAccess::All,
            Principal::Key {
                role: ApiRole::Partner,
                organisation_id: Some(organisation),
                ..
            } => WriteAccess::OwnProjects(*organisation),
            _ => WriteAccess::None,
        }
    }

    pub fn record_access(&self) -> RecordAccess {
        match self {
            Principal::Public => RecordAccess::None,
            Principal::Operator { .. } => RecordAccess::All,
            Principal::Key {
                role,
                organisation_id,
                funder_id,
                ..
            } => match (role, organisation_id) {
                (ApiRole::Admin | ApiRole::Evaluator, _) => RecordAccess::All,
                (ApiRole::Partner, Some(organisation)) => RecordAccess::OwnProjects(*organisation),
                (ApiRole::Funder, _) => match funder_id {
                    Some(funder) => RecordAccess::FundedProjects(*funder),
                    None => RecordAccess::None,
                },
                _ => RecordAccess::None,
            },
        }
    }
}

impl RecordAccess {
    /// The SQL condition on `outcome_record` rows this access allows; `None` for all rows.
    pub fn condition(self) -> Option<Condition> {
        match self {
            RecordAccess::All => None,
            RecordAccess::OwnProjects(organisation) => Some(
                Condition::all().add(
                    Expr::cust("\"outcome_record\".\"project_id\"")
                        .in_subquery(own_projects(organisation)),
                ),
            ),
            // A funder reads what partners have vouched for, never their drafts.
            RecordAccess::FundedProjects(funder) => Some(
                Condition::all()
                    .add(
                        Expr::cust("\"outcome_record\".\"project_id\"")
                            .in_subquery(funded_projects(funder)),
                    )
                    .add(
                        Expr::cust("\"outcome_record\".\"status\"")
                            .is_in(["submitted", "verified"]),
                    ),
            ),
            // Never used to read: callers refuse first. Matches nothing, to be safe.
            RecordAccess::None => Some(Condition::all().add(Expr::cust("1 = 0"))),
        }
    }
}

impl RecordAccess {
    /// Whether the caller sees a figure cell exact rather than as published: full record access
    /// always; a partner or a funder when the cell has records and every project whose records
    /// make it (`all`) is one whose records it may read (`readable` of them); the public never.
    /// The one rule for every aggregate.
    pub fn sees_exact(self, readable: usize, all: usize) -> bool {
        match self {
            RecordAccess::All => true,
            RecordAccess::None => false,
            RecordAccess::OwnProjects(_) | RecordAccess::FundedProjects(_) => {
                all > 0 && readable == all
            }
        }
    }

    /// Whether this access reads `funder`'s impact summary and reports: the funder's own key,
    /// evaluators and admins.
    pub fn reads_funder_summary(self, funder: Uuid) -> bool {
        match self {
            RecordAccess::All => true,
            RecordAccess::FundedProjects(own) => own == funder,
            RecordAccess::OwnProjects(_) | RecordAccess::None => false,
        }
    }

    /// The condition on `project` rows whose records this access reads; `None` for all.
    pub fn project_condition(self) -> Option<Condition> {
        let projects = match self {
            RecordAccess::All => return None,
            RecordAccess::OwnProjects(organisation) => own_projects(organisation),
            RecordAccess::FundedProjects(funder) => funded_projects(funder),
            RecordAccess::None => return Some(Condition::all().add(Expr::cust("1 = 0"))),
        };
        Some(Condition::all().add(Expr::cust("\"project\".\"id\"").in_subquery(projects)))
    }

    /// The projects whose records this access reads (empty for all and for none: see
    /// [`RecordAccess::sees_exact`]).
    pub async fn readable_projects(
        self,
        db: &DatabaseConnection,
    ) -> Result<HashSet<Uuid>, sea_orm::DbErr> {
        let select = match self {
            RecordAccess::OwnProjects(organisation) => own_projects(organisation),
            RecordAccess::FundedProjects(funder) => funded_projects(funder),
            RecordAccess::All | RecordAccess::None => return Ok(HashSet::new()),
        };
        let rows = db
            .query_all_raw(db.get_database_backend().build(&select))
            .await?;
        rows.iter().map(|r| r.try_get_by_index::<Uuid>(0)).collect()
    }
}

/// `SELECT project_id` of the projects an organisation leads or delivers: what its partner key
/// may read record by record and write.
pub fn own_projects(organisation: Uuid) -> SelectStatement {
    let mut own = Query::select();
    own.expr(Expr::cust("\"project_partner\".\"project_id\""))
        .from(b2h_entity::project_partner::Entity)
        .and_where(Expr::cust("\"project_partner\".\"organisation_id\"").eq(organisation))
        .and_where(
            Expr::cust("\"project_partner\".\"role\"")
                .is_in(WRITING_ROLES.iter().map(|r| r.as_str())),
        );
    own
}

/// The partner roles whose organisation's key reads and writes a project's records.
pub const WRITING_ROLES: [PartnerRole; 2] = [PartnerRole::Lead, PartnerRole::Delivery];

/// Whether an organisation in `role` on a project writes it (lead or delivery partner).
pub fn writes_as(role: PartnerRole) -> bool {
    WRITING_ROLES.contains(&role)
}

/// `SELECT project_id` of the projects a funder's grants pay for (live allocations).
pub fn funded_projects(funder: Uuid) -> SelectStatement {
    let mut funded = Query::select();
    funded
        .expr(Expr::cust("\"grant_allocation\".\"project_id\""))
        .from(b2h_entity::grant_allocation::Entity)
        .inner_join(
            b2h_entity::grant::Entity,
            Expr::cust("\"grant_award\".\"id\"")
                .eq(Expr::cust("\"grant_allocation\".\"grant_id\"")),
        )
        .and_where(Expr::cust("\"grant_award\".\"funder_id\"").eq(funder))
        .and_where(Expr::cust("\"grant_allocation\".\"archived_at\"").is_null());
    funded
}
