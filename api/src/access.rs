//! Who makes a request: the anonymous public, or the holder of an API key with its role and
//! scope, and the rules of what each may read, in one place.

use crate::apikey::{self, AuthError};
use b2h_entity::enums::ApiRole;
use sea_orm::Condition;
use sea_orm::DatabaseConnection;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use uuid::Uuid;

/// The caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No key: reads what is published, aggregates with disclosure control.
    Public,
    /// A valid API key.
    Key {
        id: Uuid,
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
        authorization: Option<&str>,
    ) -> Result<Self, AuthError> {
        let Some(header) = authorization else {
            return Ok(Principal::Public);
        };
        let key = apikey::authenticate(db, header).await?;
        Ok(Principal::Key {
            id: key.id,
            role: key.role,
            organisation_id: key.organisation_id,
            funder_id: key.funder_id,
        })
    }
}

/// Which outcome records (record-level data) a caller may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordAccess {
    /// Admins and evaluators: every record.
    All,
    /// A partner: the records of projects its organisation leads or delivers.
    OwnProjects(Uuid),
    /// The public and funders: none (they read aggregates).
    None,
}

/// Why record-level data is refused.
pub const RECORDS_FORBIDDEN: &str = "record-level outcome data needs the API key of a partner \
(for its own projects), an evaluator or an admin; anyone may read the aggregates";

impl Principal {
    pub fn record_access(&self) -> RecordAccess {
        match self {
            Principal::Public => RecordAccess::None,
            Principal::Key {
                role,
                organisation_id,
                ..
            } => match (role, organisation_id) {
                (ApiRole::Admin | ApiRole::Evaluator, _) => RecordAccess::All,
                (ApiRole::Partner, Some(organisation)) => RecordAccess::OwnProjects(*organisation),
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
            RecordAccess::OwnProjects(organisation) => {
                let mut own = Query::select();
                own.expr(Expr::cust("\"project_partner\".\"project_id\""))
                    .from(b2h_entity::project_partner::Entity)
                    .and_where(
                        Expr::cust("\"project_partner\".\"organisation_id\"").eq(organisation),
                    )
                    .and_where(
                        Expr::cust("\"project_partner\".\"role\"").is_in(["lead", "delivery"]),
                    );
                Some(
                    Condition::all()
                        .add(Expr::cust("\"outcome_record\".\"project_id\"").in_subquery(own)),
                )
            }
            // Never used to read: callers refuse first. Matches nothing, to be safe.
            RecordAccess::None => Some(Condition::all().add(Expr::cust("1 = 0"))),
        }
    }
}
