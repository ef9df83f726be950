//! Request body limits for `/graphql`: a GraphQL document and its variables are small, a file
//! upload (`importOutcomes`) is not, so each has its own bound. Over either, the answer is a
//! 413 with a GraphQL error that carries a code, like every other refusal.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

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

/// How much of a refused body is still read and thrown away, and for how long, so that a client
/// that sends its whole body before reading (most do) reads the 413 instead of a reset
/// connection: closing a socket with unread data makes the kernel reset it, and the reset can
/// overtake the answer. Past either bound the connection is dropped.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(10);

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
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > limit as u64) {
        drain(stream);
        return limits.refusal();
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            // The client went away or sent a malformed body; there is no one to tell.
            return (
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            )
                .into_response();
        };
        if bytes.len() + chunk.len() > limit {
            drain(stream);
            return limits.refusal();
        }
        bytes.extend_from_slice(&chunk);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Reads what is left of a refused body in the background, within `DRAIN_BYTES` and
/// `DRAIN_TIME`, while the refusal is written.
fn drain(mut stream: axum::body::BodyDataStream) {
    tokio::spawn(async move {
        let read = async {
            let mut read = 0usize;
            while let Some(Ok(chunk)) = stream.next().await {
                read += chunk.len();
                if read > DRAIN_BYTES {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, read).await;
    });
}
