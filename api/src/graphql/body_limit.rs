//! Request body limits for `/graphql`: a GraphQL document and its variables are small, a file
//! upload (`importOutcomes`) is not, so each has its own bound. Over either, the answer is a
//! 413 with a GraphQL error that carries a code, like every other refusal.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The two bounds, in bytes.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// JSON requests (and anything that is not an upload).
    pub request: usize,
    /// `multipart/form-data` requests, which carry a file.
    pub upload: usize,
}

impl BodyLimits {
    fn for_request(&self, request: &Request) -> usize {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
        if multipart { self.upload } else { self.request }
    }

    fn refusal(&self) -> Response {
        let message = format!(
            "the request body is too large: at most {} for a GraphQL request and {} for a file upload",
            size(self.request),
            size(self.upload)
        );
        let body = serde_json::json!({
            "errors": [{ "message": message, "extensions": { "code": "LIMIT_EXCEEDED" } }]
        });
        let mut response = (StatusCode::PAYLOAD_TOO_LARGE, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

fn size(bytes: usize) -> String {
    if bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// Refuses a body over its bound: from the declared length before reading anything, or as soon
/// as a body without one (chunked) passes the bound while it is read.
pub async fn limit_body(
    State(limits): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    let limit = limits.for_request(&request);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return limits.refusal();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return limits.refusal();
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
