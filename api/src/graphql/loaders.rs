//! Batched loading of related rows: one query per relation and request, however many rows ask.

use async_graphql::dataloader::{DataLoader, Loader};
use b2h_entity::{campaign, nation, organisation, region};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use uuid::Uuid;

/// An entity whose rows are found by one key column.
pub trait Keyed: EntityTrait {
    type Key: Send + Sync + std::hash::Hash + Eq + Clone + Into<sea_orm::Value> + 'static;
    fn key_column() -> Self::Column;
    fn key_of(model: &Self::Model) -> Self::Key;
}

macro_rules! keyed {
    ($module:ident, $key:ty, $column:ident, $field:ident) => {
        impl Keyed for $module::Entity {
            type Key = $key;
            fn key_column() -> Self::Column {
                $module::Column::$column
            }
            fn key_of(model: &Self::Model) -> Self::Key {
                model.$field.clone()
            }
        }
    };
}

keyed!(organisation, Uuid, Id, id);
keyed!(campaign, Uuid, Id, id);
keyed!(region, String, Code, code);
keyed!(nation, String, Code, code);

/// Loads rows of `E` by key, many keys per query.
pub struct ByKey<E> {
    db: DatabaseConnection,
    entity: PhantomData<fn() -> E>,
}

impl<E> Loader<E::Key> for ByKey<E>
where
    E: Keyed,
    E::Model: Send + Sync + Clone + 'static,
{
    type Value = E::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[E::Key]) -> Result<HashMap<E::Key, E::Model>, Self::Error> {
        let rows = E::find()
            .filter(E::key_column().is_in(keys.iter().cloned()))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|m| (E::key_of(&m), m)).collect())
    }
}

/// Every loader of the API, shared by all requests (they batch, they do not cache).
pub struct Loaders {
    pub organisations: DataLoader<ByKey<organisation::Entity>>,
    pub campaigns: DataLoader<ByKey<campaign::Entity>>,
    pub regions: DataLoader<ByKey<region::Entity>>,
    pub nations: DataLoader<ByKey<nation::Entity>>,
}

fn loader<E: Keyed>(db: &DatabaseConnection) -> DataLoader<ByKey<E>>
where
    E::Model: Send + Sync + Clone + 'static,
{
    DataLoader::new(
        ByKey {
            db: db.clone(),
            entity: PhantomData,
        },
        tokio::spawn,
    )
}

impl Loaders {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            organisations: loader(&db),
            campaigns: loader(&db),
            regions: loader(&db),
            nations: loader(&db),
        }
    }
}
