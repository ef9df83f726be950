//! b2h: the Back to Health data platform — CLI, database access, seed (and, in later issues,
//! the GraphQL API and analytics).

pub mod access;
pub mod analytics;
pub mod apikey;
pub mod changes;
pub mod cli;
pub mod dates;
pub mod db;
pub mod digest;
pub mod etag;
pub mod export360;
pub mod exporter;
pub mod exports;
pub mod graphql;
pub mod import;
pub mod key_cache;
pub mod migrate;
pub mod progress;
pub mod publication;
pub mod record_keys;
pub mod report_links;
pub mod report_routes;
pub mod reports;
pub mod seed;
pub mod server;
pub mod sized_cache;
pub mod stats;
pub mod telemetry;
pub mod write;
