//! The audit trail: one event per write (admins read it).

use super::id_of;
use crate::graphql::connection::{Key, SortField, column};
use crate::graphql::error::ApiResult;
use crate::graphql::filter::{IdFilter, StringFilter, combine};
use crate::graphql::scalars::DateTime;
use async_graphql::{ID, Json, Object};
use b2h_entity::audit_event;
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, DbBackend};

/// One write: who made it, what it did, and the entity before and after.
#[derive(Clone)]
pub struct AuditEvent(pub audit_event::Model);

/// One write: who made it, what it did, and the entity before and after.
#[Object]
impl AuditEvent {
    /// Event id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// When the write was committed (UTC).
    async fn at(&self) -> DateTime {
        self.0.at.into()
    }

    /// Who wrote: `apikey:<key name>`, `cli:<user>` or `seed`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// What was done: `<entity>.<verb>` (`outcome_record.submit`, `project.update`…).
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// The kind of entity written (`project`, `outcome_record`…).
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }

    /// The entity's id, when the write concerned one row.
    async fn entity_id(&self) -> Option<ID> {
        self.0.entity_id.map(id_of)
    }

    /// The entity before the write (null when it was created).
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }

    /// The entity after the write.
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }

    /// The id of the HTTP request that made the write (as in the server's logs).
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
}

crate::graphql::connection::connection!(
    AuditEvent,
    AuditEventConnection,
    AuditEventEdge,
    "audit event"
);

/// What the audit trail can be sorted by (ties are broken by id).
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum AuditEventOrderField {
    /// When the write happened.
    At,
}

impl SortField<audit_event::Model> for AuditEventOrderField {
    fn key(self) -> Expr {
        column("audit_event", "at")
    }

    fn nullable(self) -> bool {
        false
    }

    fn value(self, e: &audit_event::Model) -> Key {
        Key::Time(e.at)
    }
}

/// Which audit events to list. Fields combine with AND; `and`, `or` and `not` nest.
#[derive(async_graphql::InputObject, Default)]
pub struct AuditEventFilter {
    /// Who wrote (`apikey:…`, `cli:…`, `seed`).
    pub actor: Option<StringFilter>,
    /// What was done (`project.update`).
    pub action: Option<StringFilter>,
    /// The kind of entity (`outcome_record`).
    pub entity_type: Option<StringFilter>,
    /// The entity's id.
    pub entity_id: Option<IdFilter>,
    /// The HTTP request's id.
    pub request_id: Option<StringFilter>,
    /// All of these.
    pub and: Option<Vec<AuditEventFilter>>,
    /// Any of these.
    pub or: Option<Vec<AuditEventFilter>>,
    /// Not this.
    pub not: Option<Box<AuditEventFilter>>,
}

impl AuditEventFilter {
    pub fn condition(&self, backend: DbBackend) -> ApiResult<Condition> {
        let col = |name: &str| column("audit_event", name);
        let mut c = Condition::all();
        if let Some(f) = &self.actor {
            c = c.add(f.condition(backend, col("actor"))?);
        }
        if let Some(f) = &self.action {
            c = c.add(f.condition(backend, col("action"))?);
        }
        if let Some(f) = &self.entity_type {
            c = c.add(f.condition(backend, col("entity_type"))?);
        }
        if let Some(f) = &self.entity_id {
            c = c.add(f.condition(col("entity_id"))?);
        }
        if let Some(f) = &self.request_id {
            c = c.add(f.condition(backend, col("request_id"))?);
        }
        combine(c, &self.and, &self.or, &self.not, |f| f.condition(backend))
    }
}
