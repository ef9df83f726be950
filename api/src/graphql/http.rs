//! `/graphql` over HTTP, following the GraphQL-over-HTTP specification: GET for queries, POST for
//! everything, the response media type negotiated from `Accept`.

use super::documents::DocumentError;
use crate::access::Principal;
use crate::apikey::AuthError;
use crate::server::AppState;
use async_graphql::http::parse_query_string;
use async_graphql::parser::types::{ExecutableDocument, OperationDefinition, OperationType};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Largest answer sent; a larger one is refused whole. (Page sizes, the complexity limit and
/// the bound on list items keep answers far below this; it is the last guard, against long
/// texts in many rows.)
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// The two response media types of the specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: request errors get a 4xx status.
    GraphQlResponse,
    /// `application/json`: the legacy type, always 200 for well-formed requests.
    Json,
}

impl MediaType {
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            MediaType::GraphQlResponse => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        })
    }
}

/// Chooses the response type from `Accept` (by quality, then order); `None` when nothing we
/// offer is acceptable. No `Accept`, or `*/*`, means `application/json`.
pub fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(MediaType::Json);
    };
    let mut offers: Vec<(f32, usize, MediaType)> = Vec::new();
    for (position, item) in accept.split(',').enumerate() {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if quality <= 0.0 {
            continue;
        }
        // A client that accepts anything gets the legacy type, which every client reads.
        let offered = match media.as_str() {
            "application/graphql-response+json" => MediaType::GraphQlResponse,
            "application/json" | "application/*" | "*/*" => MediaType::Json,
            _ => continue,
        };
        offers.push((quality, position, offered));
    }
    offers.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    offers.first().map(|o| o.2)
}

/// `GET /graphql?query=…`: queries only; a browser asking for a page gets GraphiQL.
pub async fn get(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if super::graphiql::wants_page(&headers, uri.query()) {
        return super::graphiql::page();
    }
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let request = match parse_query_string(uri.query().unwrap_or_default()) {
        Ok(request) => request,
        Err(e) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                &format!("cannot read the request: {e}"),
            );
        }
    };
    let caller = Caller::of(&extensions);
    execute(&state, &headers, caller, request, media, Method::Get).await
}

/// `POST /graphql` with a JSON body.
pub async fn post(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = Caller::of(&extensions);
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        // File uploads (`importOutcomes`), by the GraphQL multipart request specification.
        let options = async_graphql::http::MultipartOptions::default().max_num_files(1);
        let reader = futures_util::io::Cursor::new(body.to_vec());
        // The boundary is case-sensitive: pass the header as sent.
        let sent = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        return match async_graphql::http::receive_body(sent, reader, options).await {
            Ok(request) => execute(&state, &headers, caller, request, media, Method::Post).await,
            Err(e) => request_error(
                media,
                StatusCode::BAD_REQUEST,
                &format!("cannot read the multipart request: {e}"),
            ),
        };
    }
    if !content_type.starts_with("application/json") {
        return request_error(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as application/json (or multipart/form-data to upload a file)",
        );
    }
    let request = match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) => request,
        Err(e) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                &format!("the body is not a GraphQL request in JSON: {e}"),
            );
        }
    };
    execute(&state, &headers, caller, request, media, Method::Post).await
}

pub(crate) fn address_bucket(caller: Caller) -> String {
    format!(
        "ip:{}",
        caller.0.map_or_else(String::new, |a| a.ip().to_string())
    )
}

/// A 429 saying when to retry.
fn too_many(media: MediaType, wait: u64) -> Response {
    let mut response = error_response(
        media,
        StatusCode::TOO_MANY_REQUESTS,
        "LIMIT_EXCEEDED",
        &format!("too many requests from this key or address; retry in {wait} s"),
    );
    if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The client's address, which rate-limits requests without a key.
#[derive(Clone, Copy)]
pub(crate) struct Caller(Option<std::net::SocketAddr>);

impl Caller {
    pub(crate) fn of(extensions: &Extensions) -> Self {
        Caller(
            extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
        )
    }
}

/// How the request came.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// Who is asking, by the request's key, with the caller's rate taken; a refusal is the response
/// to send (401 naming what is wrong with the key, 429, or 503 when the database is away).
/// `committed`, the change counter when the request has read it, lets a key already checked
/// be taken from the key cache.
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    caller: Caller,
    media: MediaType,
    committed: Option<i64>,
) -> Result<Principal, Response> {
    let authorization = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => match value.to_str() {
            Ok(value) => Some(value),
            Err(_) => return Err(unauthenticated(media, &AuthError::NotBearer)),
        },
    };
    let keys = committed.map(|sequence| (state.keys.as_ref(), sequence));
    let principal = match Principal::from_header(&state.db, keys, authorization).await {
        Ok(principal) => principal,
        Err(AuthError::Db(e)) if crate::db::unavailable(&e) => {
            tracing::warn!(error = %e, "cannot check an API key: the database is unavailable");
            return Err(error_response(
                media,
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                super::error::DATABASE_UNAVAILABLE,
            ));
        }
        Err(AuthError::Db(e)) => {
            tracing::error!(error = %e, "cannot check an API key");
            return Err(error_response(
                media,
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "internal server error",
            ));
        }
        Err(e) => {
            // Failed keys count against the address, so keys cannot be guessed at speed.
            if let Err(wait) = state.rate_limiter.take(&address_bucket(caller)) {
                return Err(too_many(media, wait));
            }
            return Err(unauthenticated(media, &e));
        }
    };
    let bucket = match &principal {
        Principal::Key { id, .. } => format!("key:{id}"),
        _ => address_bucket(caller),
    };
    if let Err(wait) = state.rate_limiter.take(&bucket) {
        return Err(too_many(media, wait));
    }
    Ok(principal)
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    caller: Caller,
    mut request: async_graphql::Request,
    media: MediaType,
    method: Method,
) -> Response {
    // A read by GET is tagged by the change counter, read first: the key cache is current up
    // to it, and a client holding the tag gets a 304 before the query runs.
    let committed = if method == Method::Get {
        crate::changes::current(&state.db).await.ok()
    } else {
        None
    };
    let principal = match authenticate(state, headers, caller, media, committed).await {
        Ok(principal) => principal,
        Err(refused) => return refused,
    };
    // Like any request error: 400 under graphql-response+json, 200 under legacy JSON.
    let request_failed = match media {
        MediaType::GraphQlResponse => StatusCode::BAD_REQUEST,
        MediaType::Json => StatusCode::OK,
    };
    // A persisted query is known by its hash (the query text may be left out).
    let persisted = request
        .extensions
        .get("persistedQuery")
        .and_then(|v| v.clone().into_json().ok())
        .map(|v| v.to_string());
    let document = match state.documents.prepare(&mut request) {
        Ok(document) => document,
        Err(e) => {
            // A request without a query is no GraphQL request: 400 whatever the media type.
            let status = match e {
                DocumentError::NoQuery => StatusCode::BAD_REQUEST,
                _ => request_failed,
            };
            if let DocumentError::Syntax(error) = &e {
                // Keep the position of the syntax error.
                let body = json!({ "errors": [{ "message": error.message, "locations": error.locations, "extensions": { "code": e.code() } }] });
                return json_response(status, media, &body);
            }
            return error_response(media, status, e.code(), &e.to_string());
        }
    };
    if method == Method::Get && is_mutation(&document, request.operation_name.as_deref()) {
        let mut response = request_error(
            media,
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    if let Some(message) = missing_variable(&document, &request) {
        return request_error(media, request_failed, &message);
    }
    if let Err(e) = super::shape::check_variables(&request.variables) {
        return error_response(media, request_failed, e.code(), &e.to_string());
    }
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let read_only = !is_mutation(&document, request.operation_name.as_deref());
    let document_key = if request.query.is_empty() {
        persisted.as_deref().unwrap_or_default()
    } else {
        request.query.as_str()
    };
    let variables = if read_only {
        serde_json::to_string(&request.variables).unwrap_or_default()
    } else {
        String::new()
    };
    // A read's compiled statements are kept for the next request that asks the same.
    let plan_key = read_only.then(|| {
        super::planner::PlanKey::of(
            &principal,
            document_key,
            request.operation_name.as_deref(),
            &variables,
        )
    });
    let etag = match committed {
        Some(sequence) if read_only && super::cache::cacheable(&document) => {
            let cached = super::cache::Request {
                principal: &principal,
                publication: state
                    .publication
                    .current()
                    .map(|p| p.published_at.to_rfc3339()),
                document: document_key,
                operation: request.operation_name.as_deref(),
                variables: &variables,
                media: match media {
                    MediaType::GraphQlResponse => "graphql-response",
                    MediaType::Json => "json",
                },
            };
            Some(super::cache::tag(sequence, &cached))
        }
        _ => None,
    };
    if let Some(tag) = &etag
        && crate::etag::not_modified(headers, tag)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        super::cache::headers(response.headers_mut(), tag, &principal);
        return response;
    }
    // What a retry needs to make the request again (a read has no uploads); the document is
    // copied only for a retry.
    let again = read_only.then(|| {
        let mut copy =
            async_graphql::Request::new(request.query.clone()).variables(request.variables.clone());
        copy.operation_name.clone_from(&request.operation_name);
        copy
    });
    // Every figure of the request comes from one store, one change sequence.
    let store = state.figures.current();
    let run = |request: async_graphql::Request| {
        let mut request = request
            .data(principal.clone())
            .data(std::sync::Arc::clone(&state.reference))
            .data(super::mutation::RequestId(request_id.clone()));
        if let Some(store) = &store {
            request = request.data(std::sync::Arc::clone(store));
        }
        if let Some(key) = &plan_key {
            request = request.data(key.clone());
        }
        super::execute(&state.schema, &state.db, &state.reference, request)
    };
    let executed = tokio::time::timeout(state.request_timeout, async {
        let response = run(request).await;
        match again {
            // A read that met a dead or refused connection runs once more when the database
            // answers again (a restart takes a moment); its pool hands out fresh connections.
            Some(mut again) if unavailable(&response) => {
                if wait_for_database(&state.db, state.request_timeout / 2).await {
                    again.set_parsed_query(ExecutableDocument::clone(&document));
                    run(again).await
                } else {
                    response
                }
            }
            _ => response,
        }
    })
    .await;
    // Stopping drops the execution: a write transaction not yet committed rolls back.
    let Ok(mut response) = executed else {
        return error_response(
            media,
            StatusCode::SERVICE_UNAVAILABLE,
            "LIMIT_EXCEEDED",
            &format!(
                "the request took longer than {} s and was stopped (a write stands only if it \
                 had committed: read again before retrying)",
                state.request_timeout.as_secs_f64()
            ),
        );
    };
    // The change sequence the answer reflects; a write's figures are applied before it answers
    // (read-your-writes), so its answer says the sequence that includes it.
    let sequence = if read_only {
        store.as_ref().map(|s| s.sequence)
    } else {
        match state.figures.catch_up().await {
            Ok(sequence) => Some(sequence),
            Err(e) => {
                tracing::warn!(error = %e, "cannot apply a write to the figures");
                state.figures.current().map(|s| s.sequence)
            }
        }
    };
    if let Some(sequence) = sequence {
        response.extensions.insert(
            CHANGE_SEQUENCE.to_owned(),
            async_graphql::Value::from(sequence),
        );
    }
    if unavailable(&response) {
        // One line per failed request, however many fields failed.
        tracing::warn!(request_id, "request failed: the database is unavailable");
    }
    if response.errors.is_empty() {
        // The common case, written straight from the response.
        return match serde_json::to_vec(&response) {
            Ok(body) if body.len() > MAX_ANSWER_BYTES => error_response(
                media,
                request_failed,
                "LIMIT_EXCEEDED",
                &format!(
                    "the answer would be larger than {} MiB: select fewer fields or smaller pages",
                    MAX_ANSWER_BYTES / (1024 * 1024)
                ),
            ),
            Ok(body) => {
                let mut response = bytes_response(StatusCode::OK, media, body);
                if let Some(tag) = &etag {
                    super::cache::headers(response.headers_mut(), tag, &principal);
                }
                response
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot serialise a GraphQL response");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response()
            }
        };
    }
    // A request error (unparsable or invalid document, bad variables) stops before execution:
    // there is no data and no error has a path.
    let request_failed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut body = match serde_json::to_value(&response) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a GraphQL response");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response();
        }
    };
    add_missing_codes(&mut body, &request_id);
    if let (true, Some(object)) = (request_failed, body.as_object_mut()) {
        object.remove("data");
    }
    let status = if request_failed && media == MediaType::GraphQlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    json_response(status, media, &body)
}

/// The response extension that says which change sequence an answer reflects.
pub const CHANGE_SEQUENCE: &str = "changeSequence";

/// Whether the response failed because the database was away.
fn unavailable(response: &async_graphql::Response) -> bool {
    response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from("UNAVAILABLE"))
    })
}

/// Waits, pinging with growing pauses, until the database answers or `patience` has passed.
async fn wait_for_database(
    db: &sea_orm::DatabaseConnection,
    patience: std::time::Duration,
) -> bool {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(50);
    loop {
        if db.ping().await.is_ok() {
            return true;
        }
        if started.elapsed() + pause > patience {
            return false;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(1));
    }
}

/// Errors our resolvers raise carry a code; the rest (syntax, validation, argument coercion)
/// come from the client's input. Internal errors name the request id, which the logs carry.
fn add_missing_codes(body: &mut Value, request_id: &str) {
    let Some(errors) = body.get_mut("errors").and_then(Value::as_array_mut) else {
        return;
    };
    for error in errors {
        let Some(object) = error.as_object_mut() else {
            continue;
        };
        let message = object.get("message").and_then(Value::as_str).unwrap_or("");
        let limit = message.starts_with("Query is nested too deep")
            || message.starts_with("Query is too complex")
            || message.starts_with("The recursion depth of the query");
        let extensions = object.entry("extensions").or_insert_with(|| json!({}));
        let mut internal = false;
        if let Some(ext) = extensions.as_object_mut() {
            let code = ext.entry("code").or_insert_with(|| {
                json!(if limit {
                    "LIMIT_EXCEEDED"
                } else {
                    "BAD_USER_INPUT"
                })
            });
            if code == "INTERNAL_SERVER_ERROR" {
                internal = true;
                ext.insert("requestId".into(), json!(request_id));
            }
        }
        if internal {
            object.insert(
                "message".into(),
                json!(format!("internal server error (request id {request_id})")),
            );
        }
    }
}

/// The operation the request runs: the one named, or the only one.
fn operation<'a>(
    document: &'a ExecutableDocument,
    wanted: Option<&str>,
) -> Option<&'a OperationDefinition> {
    document
        .operations
        .iter()
        .find(|(name, _)| wanted.is_none() || name.map(|n| n.as_str()) == wanted)
        .map(|(_, operation)| &operation.node)
}

/// A required variable the request leaves out: a request error, caught before execution.
fn missing_variable(
    document: &ExecutableDocument,
    request: &async_graphql::Request,
) -> Option<String> {
    operation(document, request.operation_name.as_deref())?
        .variable_definitions
        .iter()
        .find_map(|definition| {
            let variable = &definition.node;
            let given = request
                .variables
                .get(&variable.name.node)
                .is_some_and(|v| *v != async_graphql::Value::Null);
            let required = !variable.var_type.node.nullable && variable.default_value.is_none();
            (required && !given).then(|| {
                format!(
                    "variable ${} of required type {} was not provided",
                    variable.name.node, variable.var_type.node
                )
            })
        })
}

fn is_mutation(document: &ExecutableDocument, wanted: Option<&str>) -> bool {
    operation(document, wanted).is_some_and(|op| op.ty == OperationType::Mutation)
}

fn json_response(status: StatusCode, media: MediaType, body: &Value) -> Response {
    bytes_response(status, media, body.to_string().into_bytes())
}

fn bytes_response(status: StatusCode, media: MediaType, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.header());
    response
}

/// A response of one error, without `data`.
pub(crate) fn error_response(
    media: MediaType,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    json_response(status, media, &body)
}

fn request_error(media: MediaType, status: StatusCode, message: &str) -> Response {
    error_response(media, status, "BAD_USER_INPUT", message)
}

/// A 401 naming what is wrong with the key.
pub(crate) fn unauthenticated(media: MediaType, error: &AuthError) -> Response {
    let mut response = error_response(
        media,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
        &error.to_string(),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"b2h\""),
    );
    response
}

fn not_acceptable() -> Response {
    (
        StatusCode::NOT_ACCEPTABLE,
        "accept application/graphql-response+json or application/json",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn negotiates_from_accept() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(MediaType::Json));
        assert_eq!(
            negotiate(&accept("application/json")),
            Some(MediaType::Json)
        );
        assert_eq!(
            negotiate(&accept("application/graphql-response+json")),
            Some(MediaType::GraphQlResponse)
        );
        assert_eq!(
            negotiate(&accept(
                "application/json;q=0.9, application/graphql-response+json"
            )),
            Some(MediaType::GraphQlResponse)
        );
        assert_eq!(
            negotiate(&accept(
                "application/json, application/graphql-response+json"
            )),
            Some(MediaType::Json)
        );
        assert_eq!(negotiate(&accept("*/*")), Some(MediaType::Json));
        assert_eq!(negotiate(&accept("text/html")), None);
        assert_eq!(negotiate(&accept("application/json;q=0")), None);
    }
}
