//! The audit trail: one `audit_event` per write, in the write's own transaction.

use super::{Actor, WriteError, new_id};
use b2h_entity::audit_event;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

/// What one write changed.
pub struct Change<'a> {
    /// `organisation.update`, `outcome_record.submit`…
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<Uuid>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Records one change by `actor`.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    change: Change<'_>,
) -> Result<(), WriteError> {
    record_as(db, &actor.label(), actor.request_id.as_deref(), change).await
}

/// Records one change by an actor named in the audit trail's terms (`cli:<user>`).
pub async fn record_as(
    db: &impl ConnectionTrait,
    actor: &str,
    request_id: Option<&str>,
    change: Change<'_>,
) -> Result<(), WriteError> {
    audit_event::ActiveModel {
        id: Set(new_id()?),
        at: Set(chrono::Utc::now()),
        actor: Set(actor.to_owned()),
        action: Set(change.action.to_owned()),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(request_id.map(str::to_owned)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A row as the audit trail keeps it.
pub fn snapshot(row: &impl serde::Serialize) -> Option<serde_json::Value> {
    serde_json::to_value(row).ok()
}
