//! The HTTP server: `/graphql`, `/healthz`, `/readyz`, request ids, tracing, CORS, timeouts and
//! graceful shutdown.

use crate::analytics::engine::Figures;
use crate::changes::Feed;
use crate::graphql::documents::Documents;
use crate::graphql::limits::RateLimiter;
use crate::graphql::reference::Reference;
use crate::graphql::{self, B2hSchema};
use crate::key_cache::KeyCache;
use crate::publication::Publication;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The default listen address: loopback only, so a demo never exposes data by accident.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Requests per minute one API key (or one client address without a key) may make.
pub const DEFAULT_RATE_LIMIT: u32 = 3_000;

/// How the server is run.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Origins allowed by CORS; empty: no CORS headers; `*`: any origin.
    pub cors_origins: Vec<String>,
    pub request_timeout: Duration,
    /// Largest GraphQL request body (JSON).
    pub max_body_bytes: usize,
    /// Largest file upload (a multipart request to `importOutcomes`).
    pub max_upload_bytes: usize,
    /// Requests per minute per API key (or client address for the public); 0: no limit.
    pub rate_limit_per_minute: u32,
    /// Where `requestExport` writes snapshots and `exports` lists them; none: exports are off.
    pub export_destination: Option<b2h_export::Destination>,
    /// Time between publications of the public figures.
    pub publish_every: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            cors_origins: Vec::new(),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 2 * 1024 * 1024,
            // 100,000 rows of an outcome file with short notes.
            max_upload_bytes: 32 * 1024 * 1024,
            rate_limit_per_minute: DEFAULT_RATE_LIMIT,
            export_destination: None,
            publish_every: crate::publication::DEFAULT_EVERY,
        }
    }
}

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: B2hSchema,
    /// Parsed documents and persisted queries.
    pub documents: Arc<Documents>,
    /// Nations and regions, read at start.
    pub reference: Arc<Reference>,
    /// Per-caller request rate.
    pub rate_limiter: Arc<RateLimiter>,
    /// Longest a GraphQL request may execute.
    pub request_timeout: Duration,
    /// The figure engine.
    pub figures: Figures,
    /// The public figures' current publication.
    pub publication: Publication,
    /// Keys already checked, kept current by the feed.
    pub keys: Arc<KeyCache>,
}

/// A bound, not yet running server (bind to port 0 in tests, then read [`Application::port`]).
pub struct Application {
    listener: TcpListener,
    router: Router,
    publication: Publication,
    figures: Figures,
    feed: Feed,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("a CORS origin is not a valid header value: {0}")]
    CorsOrigin(String),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

impl Application {
    pub async fn build(config: &ServerConfig, db: DatabaseConnection) -> Result<Self, ServerError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: config.listen,
                    source,
                })?;
        // Jobs a stopped server left behind will never finish: say so.
        match crate::exports::fail_interrupted(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "marked interrupted export jobs as failed"),
            Err(e) => tracing::warn!(error = %e, "cannot check for interrupted export jobs"),
        }
        let exports = crate::exports::Exports::new(config.export_destination.clone());
        // The change feed, followed by the figure engine (loaded in the background: `/readyz`
        // says when), whose figures are published once loaded, then on schedule.
        let background = crate::db::background(&db);
        let feed = Feed::new(crate::changes::current(&background).await.unwrap_or(0));
        feed.follow(background.clone(), crate::changes::DEFAULT_RETENTION);
        let keys = Arc::new(KeyCache::new(feed.latest()));
        keys.follow(&feed, background.clone());
        let figures = Figures::new(background);
        figures.follow(&feed);
        let publication = Publication::new(figures.clone());
        publication.refresh_every(config.publish_every);
        let schema =
            graphql::build_schema(db.clone(), exports, publication.clone(), figures.clone());
        // Without it (a database not yet migrated, say) nations and regions are simply queried.
        let reference = Reference::load(&db).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read nations and regions; they will be queried");
            Reference::default()
        });
        let state = AppState {
            db,
            schema,
            documents: Arc::default(),
            reference: Arc::new(reference),
            rate_limiter: Arc::new(RateLimiter::new(config.rate_limit_per_minute)),
            request_timeout: config.request_timeout,
            figures: figures.clone(),
            publication: publication.clone(),
            keys,
        };
        let router = app(state, config)?;
        Ok(Self {
            listener,
            router,
            publication,
            figures,
            feed,
        })
    }

    /// The server's publication of the public figures (tests publish on demand).
    pub fn publication(&self) -> Publication {
        self.publication.clone()
    }

    /// The server's figure engine.
    pub fn figures(&self) -> Figures {
        self.figures.clone()
    }

    /// The change feed as this server follows it.
    pub fn feed(&self) -> Feed {
        self.feed.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServerError::Serve)
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The router with every layer, testable in-process.
pub fn app(state: AppState, config: &ServerConfig) -> Result<Router, ServerError> {
    let limits = graphql::body_limit::BodyLimits {
        request: config.max_body_bytes,
        upload: config.max_upload_bytes,
    };
    let router = Router::new()
        .route(
            "/graphql",
            get(graphql::http::get)
                .post(graphql::http::post)
                // `limit_body` (below) is the bound that applies.
                .layer::<_, std::convert::Infallible>(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/graphql/assets/{file}", get(graphql::graphiql::asset))
        .route("/templates/outcomes.csv", get(outcome_template))
        .route("/reports/funders/{file}", get(crate::report_routes::funder))
        .route("/reports/{file}", get(crate::report_routes::campaign))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            limits,
            graphql::body_limit::limit_body,
        ))
        // A backstop: GraphQL execution stops itself at `request_timeout` with a clear error.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout + Duration::from_secs(5),
        ))
        .layer(cors(&config.cors_origins)?)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let path = request
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or(request.uri().path(), |p| p.as_str());
                let request_id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %request.method(), path, request_id)
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid));
    Ok(router)
}

fn cors(origins: &[String]) -> Result<CorsLayer, ServerError> {
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
        .expose_headers([REQUEST_ID])
        .max_age(Duration::from_secs(3600));
    if origins.is_empty() {
        return Ok(CorsLayer::new());
    }
    if origins.iter().any(|o| o == "*") {
        return Ok(base.allow_origin(AllowOrigin::any()));
    }
    let list = origins
        .iter()
        .map(|o| HeaderValue::from_str(o).map_err(|_| ServerError::CorsOrigin(o.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(base.allow_origin(AllowOrigin::list(list)))
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
/// The outcome CSV template partners fill in (`b2h import outcomes --template` prints it too).
async fn outcome_template() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"b2h-outcomes-template.csv\"",
            ),
        ],
        crate::import::outcomes::template(),
    )
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) if !state.figures.is_loaded() => {
            (StatusCode::SERVICE_UNAVAILABLE, "loading the figures")
        }
        Ok(Ok(())) if state.publication.current().is_none() => (
            StatusCode::SERVICE_UNAVAILABLE,
            "publishing the public figures",
        ),
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database did not answer"),
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
