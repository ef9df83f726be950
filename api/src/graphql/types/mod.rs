//! GraphQL object types over the domain, one module per type.

pub mod audit;
pub mod campaign;
pub mod enums;
pub mod export;
pub mod funder;
pub mod funder_summary;
pub mod geography;
pub mod grant;
pub mod impact;
pub mod measure;
pub mod organisation;
pub mod progress;
pub mod project;
pub mod record;
pub mod returns;

use super::batch::{BatchLoad, Batched};
use super::error::{ApiError, ApiResult, coded};
use super::loaders::Loaders;
use async_graphql::{Context, ID};
use std::sync::Arc;
use uuid::Uuid;

/// Parses a GraphQL `ID` that must be a UUID.
pub fn uuid_of(id: &ID) -> ApiResult<Uuid> {
    id.parse::<Uuid>().map_err(|_| {
        coded(ApiError::BadUserInput(format!(
            "'{}' is not a valid id: ids are UUIDs",
            id.as_str()
        )))
    })
}

/// A UUID as a GraphQL `ID`.
pub fn id_of(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

/// Loader failures are database failures: the database away (retryable), or logged and masked.
pub fn load_error(e: std::sync::Arc<sea_orm::DbErr>) -> async_graphql::Error {
    if crate::db::unavailable(&e) {
        return coded(ApiError::Unavailable(
            super::error::DATABASE_UNAVAILABLE.into(),
        ));
    }
    coded(ApiError::Internal(e.to_string()))
}

/// The row related by `key`, through the request's loader that `pick` names, as a GraphQL type.
pub async fn related<L: BatchLoad, N>(
    ctx: &Context<'_>,
    pick: fn(&Loaders) -> &Batched<L>,
    key: L::Key,
    wrap: fn(L::Value) -> N,
) -> ApiResult<Option<N>> {
    let loaders = ctx.data::<Arc<Loaders>>()?;
    Ok(pick(loaders)
        .load_one(key)
        .await
        .map_err(load_error)?
        .map(wrap))
}

/// The rows related by `key` (none when there are none), as GraphQL types.
pub async fn related_list<L, M, N>(
    ctx: &Context<'_>,
    pick: fn(&Loaders) -> &Batched<L>,
    key: L::Key,
    wrap: fn(M) -> N,
) -> ApiResult<Vec<N>>
where
    L: BatchLoad<Value = Arc<Vec<M>>>,
    M: Clone,
{
    let loaders = ctx.data::<Arc<Loaders>>()?;
    let Some(rows) = pick(loaders).load_one(key).await.map_err(load_error)? else {
        return Ok(Vec::new());
    };
    loaders.answer.charge(rows.len())?;
    Ok(rows.iter().cloned().map(wrap).collect())
}
