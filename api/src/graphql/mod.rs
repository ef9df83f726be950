//! The GraphQL API: schema, HTTP handlers, errors, and the types over the domain.

mod batch;
mod connection;
pub mod documents;
pub mod error;
mod filter;
pub mod graphiql;
pub mod http;
pub mod limits;
mod loaders;
pub mod mutation;
mod query;
pub mod reference;
mod scalars;
mod types;

use async_graphql::{EmptySubscription, SDLExportOptions, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

pub use mutation::Mutation;
pub use query::Query;

pub type B2hSchema = Schema<Query, Mutation, EmptySubscription>;

/// Limits that keep one request from exhausting the server.
/// (GraphiQL's introspection query nests 13 levels deep.)
const MAX_DEPTH: usize = 16;
const MAX_COMPLEXITY: usize = 20_000;

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema with its database. (No extensions: see [`documents`] for why.)
pub fn build_schema(
    db: DatabaseConnection,
    exports: crate::exports::Exports,
    publication: crate::publication::Publication,
) -> B2hSchema {
    builder().data(db).data(exports).data(publication).finish()
}

/// The schema's SDL, fields and enum values sorted: what `schema.graphql` holds.
pub fn sdl() -> String {
    builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}

/// Executes one request, its related-row loads batched per request.
pub async fn execute(
    schema: &B2hSchema,
    db: &DatabaseConnection,
    reference: &reference::Reference,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let loaders = std::sync::Arc::new(loaders::Loaders::new(db.clone(), reference));
    let request = request.data(std::sync::Arc::clone(&loaders));
    batch::run_batched(schema.execute(request), loaders.as_ref()).await
}
