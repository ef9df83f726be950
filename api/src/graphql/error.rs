//! Errors clients see: a stable `extensions.code`, a clear message, never internal details.

use crate::write::{Problem, WriteError};
use async_graphql::{ErrorExtensions, FieldError};

/// Most problems listed in `extensions.problems` (`extensions.problemCount` gives them all).
pub const MAX_LISTED_PROBLEMS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0}")]
    NotFound(String),
    /// The caller's key (or the lack of one) does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The row changed since the version the client saw, or a concurrent write came first.
    #[error("{0}")]
    Conflict(String),
    /// Input checked as a whole: every problem, each naming its item and field.
    #[error("{message}")]
    Invalid {
        message: String,
        problems: Vec<Problem>,
    },
    /// A limit on the request (size, aliases, rate).
    #[error("{0}")]
    LimitExceeded(String),
    /// The server is not set up for this (exports without an export folder).
    #[error("{0}")]
    Unavailable(String),
    /// The detail is logged with the request id; the client sees only that something failed.
    #[error("internal server error")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::Invalid { .. } => "BAD_USER_INPUT",
            ApiError::LimitExceeded(_) => "LIMIT_EXCEEDED",
            ApiError::Unavailable(_) => "UNAVAILABLE",
            ApiError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> FieldError {
        if let ApiError::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error");
        }
        self.extend_with(|_, e| {
            e.set("code", self.code());
            if let ApiError::Invalid { problems, .. } = self {
                // The count is always there; the list stops at a bound, so that a batch with
                // a problem on every one of its items cannot make a huge answer.
                e.set("problemCount", problems.len() as u64);
                let list: Vec<async_graphql::Value> = problems
                    .iter()
                    .take(MAX_LISTED_PROBLEMS)
                    .map(|p| {
                        let mut item = async_graphql::indexmap::IndexMap::new();
                        if let Some(index) = p.index {
                            item.insert(
                                async_graphql::Name::new("index"),
                                async_graphql::Value::from(index as u64),
                            );
                        }
                        if let Some(line) = p.line {
                            item.insert(
                                async_graphql::Name::new("line"),
                                async_graphql::Value::from(line),
                            );
                        }
                        item.insert(
                            async_graphql::Name::new("field"),
                            async_graphql::Value::from(p.field.as_str()),
                        );
                        item.insert(
                            async_graphql::Name::new("message"),
                            async_graphql::Value::from(p.message.as_str()),
                        );
                        async_graphql::Value::Object(item)
                    })
                    .collect();
                e.set("problems", async_graphql::Value::List(list));
            }
        })
    }
}

impl From<crate::analytics::impact::ImpactError> for ApiError {
    fn from(e: crate::analytics::impact::ImpactError) -> Self {
        match e {
            crate::analytics::impact::ImpactError::Invalid(message) => {
                ApiError::BadUserInput(message)
            }
            crate::analytics::impact::ImpactError::Db(e) => e.into(),
            crate::analytics::impact::ImpactError::Engine(e) => e.into(),
        }
    }
}

impl From<crate::analytics::engine::EngineError> for ApiError {
    fn from(e: crate::analytics::engine::EngineError) -> Self {
        use crate::analytics::engine::EngineError;
        match e {
            EngineError::NotLoaded => ApiError::Unavailable(e.to_string()),
            EngineError::Db(e) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Invalid(problems) => ApiError::Invalid {
                message: WriteError::Invalid(problems.clone()).to_string(),
                problems,
            },
            WriteError::Conflict { .. } | WriteError::Clash(_) => ApiError::Conflict(e.to_string()),
            WriteError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            WriteError::Forbidden(message) => ApiError::Forbidden(message),
            WriteError::Db(e) => e.into(),
        }
    }
}

impl From<crate::exports::ExportsError> for ApiError {
    fn from(e: crate::exports::ExportsError) -> Self {
        match e {
            crate::exports::ExportsError::NotConfigured => ApiError::Unavailable(e.to_string()),
            other => ApiError::Internal(crate::exporter::error_chain(&other)),
        }
    }
}

/// What a client is told while the database is away.
pub const DATABASE_UNAVAILABLE: &str = "the database is unavailable for the moment; retry shortly \
(a write either happened whole or not at all: read again before retrying it)";

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        if crate::db::unavailable(&e) {
            ApiError::Unavailable(DATABASE_UNAVAILABLE.into())
        } else {
            ApiError::Internal(e.to_string())
        }
    }
}

/// Resolver results: errors already carry their code.
pub type ApiResult<T> = Result<T, FieldError>;

/// Maps any [`ApiError`]-convertible error into a coded GraphQL error.
pub fn coded(e: impl Into<ApiError>) -> FieldError {
    e.into().extend()
}
