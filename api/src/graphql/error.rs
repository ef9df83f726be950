//! Errors clients see: a stable `extensions.code`, a clear message, never internal details.

use async_graphql::{ErrorExtensions, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0}")]
    NotFound(String),
    /// The caller's key (or the lack of one) does not allow this.
    #[error("{0}")]
    Forbidden(String),
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
            ApiError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> FieldError {
        if let ApiError::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error");
        }
        self.extend_with(|_, e| e.set("code", self.code()))
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// Resolver results: errors already carry their code.
pub type ApiResult<T> = Result<T, FieldError>;

/// Maps any [`ApiError`]-convertible error into a coded GraphQL error.
pub fn coded(e: impl Into<ApiError>) -> FieldError {
    e.into().extend()
}
