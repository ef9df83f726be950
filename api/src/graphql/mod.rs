//! The GraphQL API: schema, HTTP handlers, errors, and the types over the domain.

mod batch;
pub mod body_limit;
mod cache;
mod connection;
pub mod documents;
pub mod error;
mod figures;
mod filter;
pub mod graphiql;
pub mod http;
pub mod limits;
mod loaders;
pub mod mutation;
mod plain;
mod planner;
mod query;
pub mod reference;
mod scalars;
pub mod shape;
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
    figures: crate::analytics::engine::Figures,
) -> B2hSchema {
    builder()
        .data(db)
        .data(exports)
        .data(publication)
        .data(figures)
        .data(planner::Plans::default())
        .finish()
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
    let response = batch::run_batched(schema.execute(request), loaders.as_ref()).await;
    if loaders.answer.exceeded() {
        // One error for the whole answer, not one per list that went past the bound.
        let mut error = async_graphql::ServerError::new(loaders::answer_too_large(), None);
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", "LIMIT_EXCEEDED");
        error.extensions = Some(extensions);
        return async_graphql::Response::from_errors(vec![error]);
    }
    response
}
