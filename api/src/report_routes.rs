//! Reports over HTTP: `GET /reports/funders/{id}.{pdf,html,csv,xlsx}?from=&to=` for that
//! funder's key, evaluators and admins, and `GET /reports/campaign.{pdf,html,csv,xlsx}` for everyone (the
//! public figures of the current publication). Each answer carries an ETag from the change
//! feed, so downloading unchanged data again is a 304.

use crate::access::{Principal, RecordAccess};
use crate::etag;
use crate::graphql::http::{Caller, MediaType, address_bucket, authenticate, error_response};
use crate::report_links::{LinkError, ReportLink};
use crate::reports::{self, Format};
use crate::server::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use b2h_report::{Report, Window};
use chrono::NaiveDate;
use sea_orm::EntityTrait;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

/// The window a funder's report covers: both days or neither (the default window).
#[derive(Debug, serde::Deserialize)]
pub struct WindowQuery {
    from: Option<String>,
    to: Option<String>,
    /// A signed link's key id, expiry (Unix seconds) and signature (`Funder.reportUrl`).
    key: Option<String>,
    expires: Option<String>,
    signature: Option<String>,
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    error_response(MediaType::Json, status, code, message)
}

/// `{name}.{extension}` with a known format.
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, extension) = file.rsplit_once('.')?;
    Some((name, Format::parse(extension)?))
}

fn date(value: &str, name: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| format!("{name} must be a date as YYYY-MM-DD, not '{value}'"))
}

/// Who may keep a copy: shared caches (the campaign's public report), the caller's own browser
/// (a key's), or nobody once read (a signed link's: it outlives no expiry).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cache {
    Public,
    Private,
    Link,
}

/// The document, or a 304 when the caller holds this tag already.
fn answer(
    headers: &HeaderMap,
    tag: &str,
    cache: Cache,
    file_name: &str,
    format: Format,
    bytes: Vec<u8>,
) -> Response {
    let mut response = if etag::not_modified(headers, tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (StatusCode::OK, bytes).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        );
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{}; filename=\"{file_name}\"",
            format.disposition()
        )) {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        r
    };
    let h = response.headers_mut();
    if let Some(v) = etag::header_value(tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(match cache {
            Cache::Public => "public, no-cache",
            Cache::Private => "private, no-cache",
            Cache::Link => "private, no-store",
        }),
    );
    if cache == Cache::Private {
        h.insert(header::VARY, HeaderValue::from_static("Authorization"));
    }
    // The document asks for nothing; a browser that opens it inline is told so as well.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Reports laid out at once: laying out is CPU work (a PDF most), kept off the async threads.
/// The permit goes into the blocking task, so a download given up half-way still holds its place
/// until its layout ends.
static LAYING_OUT: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(2)));
/// Downloads that may wait for a place; more are told to come back (503).
const MAX_WAITING: usize = 32;
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// One place in the queue, given back when dropped.
struct Waiting;

impl Waiting {
    fn take() -> Option<Self> {
        let before = WAITING.fetch_add(1, Ordering::SeqCst);
        if before >= MAX_WAITING {
            WAITING.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Waiting)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The report's bytes in `format`, laid out on a blocking thread; the report comes back for its
/// file name.
async fn rendered(report: Report, format: Format) -> Result<(Report, Vec<u8>), Response> {
    let Some(queued) = Waiting::take() else {
        return Err(refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "too many reports are being made: try again shortly",
        ));
    };
    let Ok(permit) = Arc::clone(&LAYING_OUT).acquire_owned().await else {
        return Err(internal("the layout queue is closed"));
    };
    drop(queued);
    match tokio::task::spawn_blocking(move || {
        let bytes = reports::render(&report, format);
        drop(permit);
        (report, bytes)
    })
    .await
    {
        Ok((report, Ok(bytes))) => Ok((report, bytes)),
        Ok((_, Err(e))) => Err(internal(e)),
        Err(e) => Err(internal(e)),
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "cannot make a report");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_SERVER_ERROR",
        "internal server error",
    )
}

/// The holder of the key a signed link stands for, when the link is whole, signed, unexpired and
/// its key still valid; otherwise a 403 saying which, or a 429 like any key over its rate.
async fn signed(
    state: &AppState,
    caller: Caller,
    query: &WindowQuery,
    funder: uuid::Uuid,
    format: Format,
    signature: &str,
) -> Result<Principal, Response> {
    // One answer for every link that does not hold, so that a stranger learns nothing of keys;
    // each counts against the address, as a bad key does.
    let refused = |state: &AppState| {
        if let Err(wait) = state.rate_limiter.take(&address_bucket(caller)) {
            return too_many(wait);
        }
        refuse(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "this report link is not valid: ask for a new one (Funder.reportUrl)",
        )
    };
    let (Some(from), Some(to), Some(key), Some(expires)) = (
        query.from.as_deref(),
        query.to.as_deref(),
        query
            .key
            .as_deref()
            .and_then(|k| uuid::Uuid::parse_str(k).ok()),
        query
            .expires
            .as_deref()
            .and_then(|e| e.parse::<i64>().ok())
            .and_then(|e| chrono::DateTime::from_timestamp(e, 0)),
    ) else {
        return Err(refused(state));
    };
    let (Ok(from), Ok(to)) = (date(from, "from"), date(to, "to")) else {
        return Err(refused(state));
    };
    let link = ReportLink {
        funder,
        format,
        window: Window { from, to },
        key,
        expires,
    };
    let found = b2h_entity::api_key::Entity::find_by_id(key)
        .one(&state.db)
        .await
        .map_err(database)?;
    let Some(model) = found else {
        return Err(refused(state));
    };
    let secret = crate::record_keys::installation_secret(&state.db)
        .await
        .map_err(database)?;
    match link.verify(signature, &secret, &model.secret_hash, chrono::Utc::now()) {
        Ok(()) => {}
        Err(LinkError::BadSignature) => return Err(refused(state)),
        // The signature holds: its holder may know why the link no longer works.
        Err(e @ LinkError::Expired(_)) => {
            return Err(refuse(StatusCode::FORBIDDEN, "FORBIDDEN", &e.to_string()));
        }
    }
    let model = match crate::apikey::admit(&state.db, model).await {
        Ok(model) => model,
        Err(crate::apikey::AuthError::Db(e)) => return Err(database(e)),
        Err(e) => {
            let why = format!("this report link's key is refused: {e}");
            return Err(refuse(StatusCode::FORBIDDEN, "FORBIDDEN", &why));
        }
    };
    if let Err(wait) = state.rate_limiter.take(&format!("key:{key}")) {
        return Err(too_many(wait));
    }
    Ok(Principal::of_key(model))
}

fn too_many(wait: u64) -> Response {
    refuse(
        StatusCode::TOO_MANY_REQUESTS,
        "LIMIT_EXCEEDED",
        &format!("too many requests from this key or address; retry in {wait} s"),
    )
}

/// A database error: 503 while the database is away, otherwise a masked 500.
fn database(e: sea_orm::DbErr) -> Response {
    if crate::db::unavailable(&e) {
        tracing::warn!(error = %e, "cannot make a report: the database is unavailable");
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            crate::graphql::error::DATABASE_UNAVAILABLE,
        );
    }
    internal(e)
}

/// `GET /reports/funders/{id}.{format}`: by `Authorization: Bearer`, or by a signed link.
pub async fn funder(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(window): Query<WindowQuery>,
) -> Response {
    let Some((id, format)) = split(&file) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "a funder's report is /reports/funders/{id}.pdf, .html, .csv or .xlsx",
        );
    };
    let Ok(funder) = uuid::Uuid::parse_str(id) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("'{id}' is not a funder id (a UUID)"),
        );
    };
    let by_link = window.signature.is_some();
    let principal = match window.signature.as_deref() {
        Some(signature) => match signed(
            &state,
            Caller::of(&extensions),
            &window,
            funder,
            format,
            signature,
        )
        .await
        {
            Ok(p) => p,
            Err(refused) => return refused,
        },
        None => {
            match authenticate(
                &state,
                &headers,
                Caller::of(&extensions),
                MediaType::Json,
                None,
            )
            .await
            {
                Ok(p) => p,
                Err(refused) => return refused,
            }
        }
    };
    let access = principal.record_access();
    if !access.reads_funder_summary(funder) {
        return refuse(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            crate::access::FUNDER_REPORT_FORBIDDEN,
        );
    }
    let Ok(store) = state.figures.store() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "the figures are still loading: try again shortly",
        );
    };
    let window = match (window.from.as_deref(), window.to.as_deref()) {
        (Some(from), Some(to)) => {
            let (from, to) = match (date(from, "from"), date(to, "to")) {
                (Ok(f), Ok(t)) => (f, t),
                (Err(m), _) | (_, Err(m)) => {
                    return refuse(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &m);
                }
            };
            let window = Window { from, to };
            if let Err(m) = reports::check_window(window) {
                return refuse(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &m);
            }
            window
        }
        (None, None) => {
            let today = chrono::Utc::now().date_naive();
            match reports::default_window(&state.db, &store, funder, today).await {
                Ok(Some(w)) => w,
                Ok(None) => return internal("no default window"),
                Err(e) => return internal(e),
            }
        }
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                "give both from and to, or neither (the latest whole financial year)",
            );
        }
    };
    // Beside the funder's own figures, the campaign's: exact only for full record access.
    let published = state.publication.current();
    // A signed link can be forwarded: it never carries the campaign's exact figures.
    let campaign = match (access, published.as_deref()) {
        (RecordAccess::All, _) if !by_link => reports::Reading::Exact,
        (_, Some(published)) => reports::Reading::OwnFigures(published),
        (_, None) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "the public figures are not published yet: try again shortly",
            );
        }
    };
    // The bytes follow the engine's figures and rows read live (grants, names): the tag takes
    // the database's latest change, and whose campaign figures stand beside the funder's.
    let sequence = match crate::changes::current(&state.db).await {
        Ok(s) => s.max(store.sequence),
        Err(e) => return internal(e),
    };
    let audience = match campaign {
        reports::Reading::Exact => "exact".to_owned(),
        reports::Reading::OwnFigures(p) => p.published_at.to_rfc3339(),
        reports::Reading::Public(p) => format!("public {}", p.published_at.to_rfc3339()),
    };
    let tag = etag::tag(
        sequence,
        &[
            "funder-report",
            id,
            &window.from.to_string(),
            &window.to.to_string(),
            format.extension(),
            &audience,
        ],
    );
    let cache = if by_link { Cache::Link } else { Cache::Private };
    if etag::not_modified(&headers, &tag) {
        return answer(&headers, &tag, cache, "", format, Vec::new());
    }
    let report = match reports::funder_report(&state.db, &store, funder, window, campaign).await {
        Ok(Some(report)) => report,
        Ok(None) => {
            return refuse(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                &format!("no funder has the id {funder}"),
            );
        }
        Err(e) => return internal(e),
    };
    let (report, bytes) = match rendered(report, format).await {
        Ok(done) => done,
        Err(refused) => return refused,
    };
    let name = reports::file_name(
        &format!("{} impact {} to {}", report.subject, window.from, window.to),
        format,
        &mut HashSet::new(),
    );
    answer(&headers, &tag, cache, &name, format, bytes)
}

/// `GET /reports/{campaign}.{format}`: the campaign's public report.
pub async fn campaign(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    // Anyone may ask, so each address takes its rate like a request without a key.
    if let Err(wait) = state
        .rate_limiter
        .take(&address_bucket(Caller::of(&extensions)))
    {
        return too_many(wait);
    }
    let Some(("campaign", format)) = split(&file) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "the campaign's report is /reports/campaign.pdf, .html, .csv or .xlsx",
        );
    };
    let Some(published) = state.publication.current() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "the public figures are not published yet: try again shortly",
        );
    };
    // The campaign's row and the place names are read live: the database's latest change too.
    let sequence = match crate::changes::current(&state.db).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let tag = etag::tag(
        published.store.sequence,
        &[
            "campaign-report",
            &sequence.to_string(),
            &published.published_at.to_rfc3339(),
            format.extension(),
        ],
    );
    if etag::not_modified(&headers, &tag) {
        return answer(&headers, &tag, Cache::Public, "", format, Vec::new());
    }
    let report = match reports::campaign_report(&state.db, &published).await {
        Ok(Some(report)) => report,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "NOT_FOUND", "there is no campaign"),
        Err(e) => return internal(e),
    };
    let (report, bytes) = match rendered(report, format).await {
        Ok(done) => done,
        Err(refused) => return refused,
    };
    let name = reports::file_name(
        &format!("{} progress", report.subject),
        format,
        &mut HashSet::new(),
    );
    answer(&headers, &tag, Cache::Public, &name, format, bytes)
}
