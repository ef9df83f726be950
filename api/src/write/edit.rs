//! Creating, changing and archiving rows of editable tables: every change bumps `version`,
//! is refused with a conflict when the caller saw an older version, and leaves an audit event.

use super::audit::{self, Change, snapshot};
use super::{Actor, WriteError};
use b2h_entity::{funder, grant, grant_allocation, organisation, outcome_record, project};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

/// A table whose rows carry `id`, `version`, `updated_at` and `archived_at`.
pub trait Editable: EntityTrait
where
    Self::Model: serde::Serialize + Clone + IntoActiveModel<Self::ActiveModel>,
{
    /// The entity's name in messages and the audit trail (`organisation`).
    const NAME: &'static str;
    /// What the change feed calls it.
    const CHANGE: crate::changes::Entity;
    fn id_column() -> Self::Column;
    fn version_column() -> Self::Column;
    fn id(row: &Self::Model) -> Uuid;
    fn version(row: &Self::Model) -> i32;
    fn archived_at(row: &Self::Model) -> Option<DateTime<Utc>>;
    /// Sets the version and last-change time a write gives the row.
    fn stamp(row: &mut Self::Model, version: i32, at: DateTime<Utc>);
    fn archive(row: &mut Self::Model, at: DateTime<Utc>);
}

macro_rules! editable {
    ($module:ident, $name:literal, $change:ident) => {
        impl Editable for $module::Entity {
            const NAME: &'static str = $name;
            const CHANGE: crate::changes::Entity = crate::changes::Entity::$change;
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
            fn version_column() -> Self::Column {
                $module::Column::Version
            }
            fn id(row: &Self::Model) -> Uuid {
                row.id
            }
            fn version(row: &Self::Model) -> i32 {
                row.version
            }
            fn archived_at(row: &Self::Model) -> Option<DateTime<Utc>> {
                row.archived_at
            }
            fn stamp(row: &mut Self::Model, version: i32, at: DateTime<Utc>) {
                row.version = version;
                row.updated_at = at;
            }
            fn archive(row: &mut Self::Model, at: DateTime<Utc>) {
                row.archived_at = Some(at);
            }
        }
    };
}

editable!(organisation, "organisation", Organisation);
editable!(funder, "funder", Funder);
editable!(project, "project", Project);
editable!(grant, "grant", Grant);
editable!(grant_allocation, "grant allocation", GrantAllocation);
editable!(outcome_record, "outcome record", OutcomeRecord);

/// The row to change, when it exists and is at the version the caller saw (when it says).
pub async fn load<E>(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<E::Model, WriteError>
where
    E: Editable,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
{
    let row = E::find()
        .filter(E::id_column().eq(id))
        .one(db)
        .await?
        .ok_or(WriteError::NotFound {
            entity: E::NAME,
            id,
        })?;
    match expected_version {
        Some(expected) if expected != E::version(&row) => Err(WriteError::Conflict {
            entity: E::NAME,
            id,
            expected,
            actual: E::version(&row),
        }),
        _ => Ok(row),
    }
}

/// Inserts a new row (version 1) and audits `<entity>.create`.
pub async fn insert<E>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    row: E::Model,
) -> Result<E::Model, WriteError>
where
    E: Editable,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let row = plain_insert::<E>(db, row).await?;
    audit::record(
        db,
        actor,
        Change {
            action: &format!("{}.create", audit_type::<E>()),
            entity_type: &audit_type::<E>(),
            entity_id: Some(E::id(&row)),
            before: None,
            after: snapshot(&row),
        },
    )
    .await?;
    Ok(row)
}

/// Writes `after` over `before` if nobody changed the row since `before` was read, bumping its
/// version, and audits `<entity>.<verb>`.
pub async fn save<E>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    verb: &str,
    before: &E::Model,
    after: E::Model,
) -> Result<E::Model, WriteError>
where
    E: Editable,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let id = E::id(before);
    let after = guarded_update::<E>(db, before, after).await?;
    audit::record(
        db,
        actor,
        Change {
            action: &format!("{}.{verb}", audit_type::<E>()),
            entity_type: &audit_type::<E>(),
            entity_id: Some(id),
            before: snapshot(before),
            after: snapshot(&after),
        },
    )
    .await?;
    Ok(after)
}

/// Writes `after` over `before` if the row is still at `before`'s version, as the next version;
/// a conflict when someone else wrote in between. (Callers audit.)
pub async fn guarded_update<E>(
    db: &impl ConnectionTrait,
    before: &E::Model,
    mut after: E::Model,
) -> Result<E::Model, WriteError>
where
    E: Editable,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let id = E::id(before);
    let seen = E::version(before);
    E::stamp(&mut after, seen + 1, Utc::now());
    let done = E::update_many()
        .set(after.clone().into_active_model().reset_all())
        .filter(E::id_column().eq(id))
        .filter(E::version_column().eq(seen))
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        // Someone else wrote between our read and this update.
        let now = load::<E>(db, id, None).await?;
        return Err(WriteError::Conflict {
            entity: E::NAME,
            id,
            expected: seen,
            actual: E::version(&now),
        });
    }
    Ok(after)
}

/// Inserts a new row as version 1. (Callers audit.)
pub async fn plain_insert<E>(
    db: &impl ConnectionTrait,
    mut row: E::Model,
) -> Result<E::Model, WriteError>
where
    E: Editable,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    E::stamp(&mut row, 1, Utc::now());
    E::insert(row.clone().into_active_model().reset_all())
        .exec_without_returning(db)
        .await?;
    Ok(row)
}

/// The row to change, refused when it is archived (archived rows keep their history as is).
pub async fn load_live<E>(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<E::Model, WriteError>
where
    E: Editable,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
{
    let row = load::<E>(db, id, expected_version).await?;
    if E::archived_at(&row).is_some() {
        return Err(WriteError::Invalid(vec![super::Problem::field(
            "id",
            format!("{} {id} is archived and no longer changes", E::NAME),
        )]));
    }
    Ok(row)
}

/// Archives a row (idempotent: an archived row stays as it was).
pub async fn archive<E>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    before: E::Model,
) -> Result<E::Model, WriteError>
where
    E: Editable,
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    if E::archived_at(&before).is_some() {
        return Ok(before);
    }
    let mut after = before.clone();
    E::archive(&mut after, Utc::now());
    save::<E>(db, actor, "archive", &before, after).await
}

/// The entity's name in the audit trail: its table's name (`grant_allocation`).
fn audit_type<E: Editable>() -> String
where
    E::Model: serde::Serialize + Clone + IntoActiveModel<E::ActiveModel>,
{
    E::NAME.replace(' ', "_")
}
