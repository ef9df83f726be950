//! Helpers for b2h's end-to-end tests: a fresh database per test on SQLite or PostgreSQL
//! (dropped afterwards), and the real `b2h` binary.
//!
//! PostgreSQL tests use `B2H_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! to create and drop their databases. Outside CI they are skipped, with a message, when no server
//! answers; under `CI=true` they fail instead.

use b2h_api::db::{self, Backend, DatabaseUrl};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, JsonValue, Statement};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;
use uuid::Uuid;

pub use b2h_api::db::Backend as TestBackend;

pub mod answers;

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn admin_url() -> String {
    std::env::var("B2H_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A database that exists for one test.
pub struct TestDb {
    pub backend: Backend,
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Postgres { admin: String, name: String },
}

impl TestDb {
    /// A new empty database, or `None` (after saying why) when PostgreSQL is unavailable outside CI.
    pub async fn new(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite()),
            Backend::Postgres => Self::postgres().await,
        }
    }

    fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("b2h-test-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let url = format!("sqlite://{}?mode=rwc", dir.join("b2h.db").display());
        Self {
            backend: Backend::Sqlite,
            url,
            cleanup: Cleanup::Dir(dir),
        }
    }

    async fn postgres() -> Option<Self> {
        let admin = admin_url();
        let admin_db = match connect_admin(&admin).await {
            Ok(db) => db,
            Err(reason) if in_ci() => {
                panic!("PostgreSQL is required under CI but {admin} failed: {reason}")
            }
            Err(reason) => {
                eprintln!(
                    "SKIPPED: PostgreSQL test, no server at {admin} ({reason}); set B2H_TEST_POSTGRES_URL or start one"
                );
                return None;
            }
        };
        let name = format!("b2h_test_{}", Uuid::new_v4().simple());
        admin_db
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        admin_db.close().await.ok();
        let mut url =
            url::Url::parse(&admin).unwrap_or_else(|e| panic!("bad B2H_TEST_POSTGRES_URL: {e}"));
        url.set_path(&name);
        Some(Self {
            backend: Backend::Postgres,
            url: url.to_string(),
            cleanup: Cleanup::Postgres { admin, name },
        })
    }

    /// The `DATABASE_URL` of this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connection pool (no migrations run).
    pub async fn connect(&self) -> DatabaseConnection {
        let url: DatabaseUrl = self.url.parse().unwrap_or_else(|e| panic!("{e}"));
        db::connect(&url).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs the real `b2h` binary against this database.
    pub fn b2h(&self, args: &[&str]) -> Run {
        b2h_with(args, &[("DATABASE_URL", &self.url)], None)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin, name } => {
                let (admin, name) = (admin.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(db) = connect_admin(&admin).await {
                            let _ = db
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            db.close().await.ok();
                        }
                    });
                })
                .join();
            }
        }
    }
}

async fn connect_admin(admin: &str) -> Result<DatabaseConnection, String> {
    let url: DatabaseUrl = admin.parse().map_err(|e| format!("{e}"))?;
    tokio::time::timeout(Duration::from_secs(5), db::connect(&url))
        .await
        .map_err(|_| "no answer within 5 s".to_owned())?
        .map_err(|e| e.to_string())
}

/// What a run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The first line it printed, trimmed (the secret `apikey create` prints, say).
    pub fn first_line(&self) -> String {
        self.stdout
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// Panics with the output unless the command succeeded.
    pub fn ok(self) -> Self {
        assert!(
            self.status.success(),
            "b2h failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless the command failed cleanly (exit code 1, no panic) with `needle` in stderr.
    pub fn fails_with(self, needle: &str) -> Self {
        self.fails_with_code(1, needle)
    }

    /// Panics unless the command exited with `code` (2: a command-line usage error) and said
    /// `needle` on stderr.
    pub fn fails_with_code(self, code: i32, needle: &str) -> Self {
        assert_eq!(
            self.status.code(),
            Some(code),
            "expected exit {code}:\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "b2h panicked:\n{}",
            self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            status: o.status,
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// The `b2h` binary, built once per test run.
pub fn b2h_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        escargot::CargoBuild::new()
            .manifest_path(manifest)
            .package("b2h-api")
            .bin("b2h")
            .run()
            .unwrap_or_else(|e| panic!("cannot build the b2h binary: {e}"))
            .path()
            .to_path_buf()
    })
}

/// Runs `b2h` with arguments, extra environment and an optional working directory.
pub fn b2h_with(args: &[&str], env: &[(&str, &str)], cwd: Option<&Path>) -> Run {
    let mut cmd = Command::new(b2h_path());
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run b2h: {e}"))
        .into()
}

/// A UUID literal in the backend's SQL.
pub fn uuid_sql(backend: Backend, id: Uuid) -> String {
    match backend {
        Backend::Postgres => format!("'{id}'::uuid"),
        Backend::Sqlite => format!("X'{}'", id.simple()),
    }
}

/// Runs a query and returns its rows as JSON objects (column name to value).
///
/// Values are decoded by trying types in turn, so computed columns (which SQLite reports without
/// a type) keep their values; UUIDs, dates and timestamps become strings.
pub async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<JsonValue> {
    let result = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("query failed: {sql}: {e}"));
    result
        .iter()
        .map(|row| {
            let object = row
                .column_names()
                .into_iter()
                .enumerate()
                .map(|(i, name)| (name, cell(row, i)))
                .collect();
            JsonValue::Object(object)
        })
        .collect()
}

fn cell(row: &sea_orm::QueryResult, i: usize) -> JsonValue {
    use chrono::{DateTime, NaiveDate, Utc};
    macro_rules! first_that_decodes {
        ($($ty:ty => $to_json:expr),+ $(,)?) => {$(
            if let Ok(value) = row.try_get_by_index::<Option<$ty>>(i) {
                return value.map_or(JsonValue::Null, $to_json);
            }
        )+};
    }
    first_that_decodes!(
        i64 => JsonValue::from,
        i32 => JsonValue::from,
        f64 => JsonValue::from,
        bool => JsonValue::Bool,
        // Text before UUID: a 16-character SQLite text would otherwise read as a UUID.
        String => JsonValue::String,
        Uuid => |v| JsonValue::String(v.to_string()),
        NaiveDate => |v| JsonValue::String(v.to_string()),
        DateTime<Utc> => |v| JsonValue::String(v.to_rfc3339()),
        JsonValue => |v| v,
        Vec<u8> => JsonValue::from,
    );
    panic!("column {i} has a type the test helper cannot read")
}

/// A single integer from a query such as `SELECT COUNT(*) AS n …`.
pub async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("query failed: {sql}: {e}"))
        .unwrap_or_else(|| panic!("no row: {sql}"));
    row.try_get_by_index::<i64>(0)
        .unwrap_or_else(|e| panic!("not an integer: {sql}: {e}"))
}

/// Whether the backend is PostgreSQL.
pub fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// Declares a test that runs once on SQLite and once on PostgreSQL:
/// `both_backends!(name, |db: TestDb| async move { … });`
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(db) = $crate::TestDb::new($crate::TestBackend::Sqlite).await {
                    ($body)(db).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::TestDb::new($crate::TestBackend::Postgres).await {
                    ($body)(db).await;
                }
            }
        }
    };
}

/// The Python that `scripts/test` installs into tests/interop/.venv (pyarrow, pandas, polars,
/// DuckDB, PyYAML, moto), or `None` after saying why, outside CI, when it lacks `modules`.
pub fn interop_python(modules: &str) -> Option<PathBuf> {
    let python = std::env::var_os("B2H_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/.venv/bin/python"));
    let ready = Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    match (ready, in_ci()) {
        (true, _) => Some(python),
        (false, true) => panic!(
            "{} lacks {modules}: run ./scripts/test, which installs them",
            python.display()
        ),
        (false, false) => {
            eprintln!(
                "SKIPPED: {} lacks {modules} (./scripts/test installs them)",
                python.display()
            );
            None
        }
    }
}

/// A command-line tool a test needs (`pdftotext`), or `None` with a message when it is missing
/// outside CI; under CI a missing tool fails the test (./scripts/test installs it).
pub fn tool(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    match (found, in_ci()) {
        (Some(path), _) => Some(path),
        (None, true) => panic!("{name} is missing: run ./scripts/test, which installs {package}"),
        (None, false) => {
            eprintln!("SKIPPED: {name} is missing (./scripts/test installs {package})");
            None
        }
    }
}

/// What a reader sees of a page in Debian's chromium (tests/browser/read_page.mjs, driven by
/// playwright-core): requests made, headline, charts, tables and the accessibility tree. `None`
/// when the browser set-up is missing outside CI.
pub fn browse(url: &str, key: Option<&str>) -> Option<serde_json::Value> {
    let node = tool("node", "nodejs")?;
    tool("chromium", "chromium")?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    if !dir.join("node_modules/playwright-core").is_dir() {
        if in_ci() {
            panic!("tests/browser lacks playwright-core: run ./scripts/test, which installs it");
        }
        eprintln!("SKIPPED: tests/browser lacks playwright-core (./scripts/test installs it)");
        return None;
    }
    let mut command = Command::new(node);
    command.arg(dir.join("read_page.mjs")).arg(url);
    if let Some(key) = key {
        command.arg(key);
    }
    let run = command.output().expect("node runs");
    assert!(
        run.status.success(),
        "the browser could not read {url}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    Some(serde_json::from_slice(&run.stdout).expect("read_page.mjs prints JSON"))
}

/// A child process a failing test must not leave running: killed when dropped.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TCP port free on loopback just now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// An HTTP client for the tests (TLS is rustls with ring, installed first as in the binary).
pub fn http_client() -> reqwest::Client {
    b2h_export::install_crypto_provider();
    reqwest::Client::new()
}

/// POSTs a GraphQL query to a server at `base` (`http://HOST:PORT`), with a key when given,
/// and returns the JSON body.
pub async fn graphql_at(
    client: &reqwest::Client,
    base: &str,
    key: Option<&str>,
    query: &str,
) -> JsonValue {
    let mut request = client
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({ "query": query }));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {base}/graphql failed: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("not JSON: {e}"))
}

/// A running server (in-process, on a free port) over a test database.
pub struct TestApp {
    pub db: TestDb,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub client: reqwest::Client,
    /// The API key [`TestApp::graphql`] sends, if any.
    pub key: Option<String>,
    /// The server's publication of the public figures.
    pub publication: b2h_api::publication::Publication,
    /// The read queries sent and their answers, checked against the test's snapshot.
    pub answers: answers::Answers,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    /// Migrates the database (and seeds the demo data when `demo`), then starts the server.
    pub async fn spawn(db: TestDb, demo: bool) -> Self {
        Self::spawn_counting(db, demo, None).await
    }

    /// As [`TestApp::spawn`], counting every SQL statement the server runs into `statements`.
    pub async fn spawn_counting(
        db: TestDb,
        demo: bool,
        statements: Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
    ) -> Self {
        let config = b2h_api::server::ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
            ..Default::default()
        };
        Self::spawn_with(db, demo, statements, config).await
    }

    /// As [`TestApp::spawn_counting`], with a server configuration of the test's own.
    pub async fn spawn_with(
        db: TestDb,
        demo: bool,
        statements: Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
        config: b2h_api::server::ServerConfig,
    ) -> Self {
        if demo {
            db.b2h(&["seed", "--no-progress"]).ok();
        } else {
            db.b2h(&["migrate"]).ok();
        }
        let mut conn = db.connect().await;
        if let Some(counter) = statements {
            conn.set_metric_callback(move |_| {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        let app = b2h_api::server::Application::build(&config, conn)
            .await
            .unwrap_or_else(|e| panic!("cannot start the server: {e}"));
        let base = format!("http://{}", app.local_addr());
        let publication = app.publication();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        // Ready once the figures are loaded and published.
        let client = http_client();
        for _ in 0..600 {
            let ready = client.get(format!("{base}/readyz")).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            db,
            base,
            client: http_client(),
            key: None,
            publication,
            answers: answers::Answers::for_this_test(),
            stop: Some(stop),
        }
    }

    /// Publishes the public figures now (as the server does on schedule).
    pub async fn publish(&self) -> b2h_api::publication::Published {
        self.publication
            .publish()
            .await
            .unwrap_or_else(|e| panic!("cannot publish: {e}"))
    }

    /// A fresh database on `backend` with the demo data, served; `None` when PostgreSQL is
    /// unavailable outside CI.
    pub async fn demo(backend: Backend) -> Option<Self> {
        Some(Self::spawn(TestDb::new(backend).await?, true).await)
    }

    /// Makes an API key with `b2h apikey create --name test ARGS…` (e.g. `--role admin`) and
    /// sends it with every later request of [`TestApp::graphql`].
    pub fn authenticate(&mut self, args: &[&str]) -> &mut Self {
        let mut all = vec!["apikey", "create", "--name", "test"];
        all.extend_from_slice(args);
        let out = self.db.b2h(&all).ok();
        self.key = out.stdout.lines().next().map(|l| l.trim().to_owned());
        self
    }

    /// POSTs a GraphQL request as JSON and returns the status and the JSON body.
    pub async fn graphql(
        &self,
        query: &str,
        variables: JsonValue,
    ) -> (reqwest::StatusCode, JsonValue) {
        self.graphql_as(self.key.as_deref(), query, variables).await
    }

    /// [`TestApp::graphql`] with `key` (or none) instead of the app's.
    pub async fn graphql_as(
        &self,
        key: Option<&str>,
        query: &str,
        variables: JsonValue,
    ) -> (reqwest::StatusCode, JsonValue) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .header("accept", "application/graphql-response+json")
            .json(&serde_json::json!({ "query": query, "variables": variables }));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /graphql failed: {e}"));
        let status = response.status();
        let body = response
            .json::<JsonValue>()
            .await
            .unwrap_or_else(|e| panic!("not JSON: {e}"));
        self.answers.note(query, &variables, status.as_u16(), &body);
        (status, body)
    }

    /// POSTs a GraphQL multipart request uploading `file` as `variables.file` (with the key,
    /// if any) and returns the status and the JSON body.
    pub async fn upload(&self, query: &str, variables: JsonValue, file: &[u8]) -> (u16, JsonValue) {
        let (content_type, body) = multipart_upload(query, variables, file);
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .header("content-type", content_type)
            .body(body);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /graphql failed: {e}"));
        let status = response.status().as_u16();
        let body = response
            .json::<JsonValue>()
            .await
            .unwrap_or_else(|e| panic!("not JSON: {e}"));
        (status, body)
    }

    /// The `data` of a query that must succeed.
    pub async fn data(&self, query: &str, variables: JsonValue) -> JsonValue {
        let (status, body) = self.graphql(query, variables).await;
        assert!(
            status.is_success() && body.get("errors").is_none(),
            "{status}: {body:#}"
        );
        body["data"].clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if !std::thread::panicking() {
            self.answers.check();
        }
    }
}

/// Declares an HTTP test against a served demo database, once per backend:
/// `with_demo_app!(name, |app: TestApp| async move { … });`
#[macro_export]
macro_rules! with_demo_app {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::TestApp::demo($crate::TestBackend::Sqlite).await {
                    ($body)(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::TestApp::demo($crate::TestBackend::Postgres).await {
                    ($body)(app).await;
                }
            }
        }
    };
}

/// `b2h serve` as a real process over a test database, so that a crash or an abort shows as
/// one (an in-process server would take the test binary down with it), and its memory can be
/// read from `/proc`.
pub struct Served {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub process: KillOnDrop,
    /// Where its log (stderr, JSON lines) goes.
    pub log: PathBuf,
}

impl Served {
    /// Starts `b2h serve --no-migrate` on a free port over `url` with `extra` arguments, and
    /// waits until it answers `/healthz`.
    pub async fn start(url: &str, extra: &[&str]) -> Self {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut args = vec!["serve", "--no-migrate", "--listen", &listen];
        args.extend_from_slice(extra);
        let log = std::env::temp_dir().join(format!("b2h-serve-{port}.log"));
        let log_file = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let child = Command::new(b2h_path())
            .args(&args)
            .env("DATABASE_URL", url)
            // The log filter a deployment has by default.
            .env_remove("RUST_LOG")
            .env("RUST_LOG_FORMAT", "json")
            .stdout(std::process::Stdio::null())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start b2h serve: {e}"));
        let served = Self {
            base: format!("http://{listen}"),
            process: KillOnDrop(child),
            log,
        };
        let client = http_client();
        for _ in 0..600 {
            if client
                .get(format!("{}/healthz", served.base))
                .send()
                .await
                .is_ok()
            {
                // Then, for a while, until the figures are loaded (a server whose database is
                // away stays unready: fault tests start those too).
                for _ in 0..200 {
                    let ready = client.get(format!("{}/readyz", served.base)).send().await;
                    if ready.is_ok_and(|r| r.status().is_success()) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                return served;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("b2h serve did not answer on {listen} within 60 s");
    }

    pub fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// Whether the process is still running (it has not crashed or aborted).
    pub fn alive(&mut self) -> bool {
        matches!(self.process.0.try_wait(), Ok(None))
    }

    /// The lines the server has logged so far.
    pub fn log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// A `/proc/PID/status` figure in KiB: `VmRSS` (resident now) or `VmHWM` (the peak).
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .unwrap_or_else(|e| panic!("cannot read the server's /proc status: {e}"));
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc status"))
    }
}

/// A GraphQL multipart request (the upload specification) with one file as `variables.file`:
/// the `content-type` header value and the body.
pub fn multipart_upload(query: &str, variables: JsonValue, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "b2hboundary7MA4YWxkTrZu0gW";
    let operations = serde_json::json!({"query": query, "variables": variables}).to_string();
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\": [\"variables.file\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"outcomes.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A PostgreSQL cluster of a test's own on a free port (Debian's `pg_createcluster`, trust
/// authentication), for fault tests that stop and restart the server; dropped afterwards.
pub struct OwnCluster {
    version: String,
    name: String,
    pub port: u16,
}

impl OwnCluster {
    /// Creates and starts the cluster, or `None` (after saying why) outside CI when Debian's
    /// PostgreSQL cluster tools are missing.
    pub fn start() -> Option<Self> {
        let version = std::fs::read_dir("/etc/postgresql").ok().and_then(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .max()
        });
        let Some(version) = version else {
            if in_ci() {
                panic!("fault tests need Debian's PostgreSQL (pg_createcluster) under CI");
            }
            eprintln!("SKIPPED: no PostgreSQL cluster tools (/etc/postgresql) for a fault test");
            return None;
        };
        let port = free_port();
        let cluster = Self {
            version,
            name: format!("b2h_fault_{port}"),
            port,
        };
        let port_text = port.to_string();
        cluster.run(
            "pg_createcluster",
            &[
                &cluster.version,
                &cluster.name,
                "-p",
                &port_text,
                "--",
                "--auth=trust",
            ],
        );
        cluster.pg_ctl("start");
        Some(cluster)
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `pg_ctlcluster VERSION NAME ACTION` (start, stop, restart…), waiting for it to finish.
    pub fn pg_ctl(&self, action: &str) {
        self.run(
            "pg_ctlcluster",
            &[
                "--skip-systemctl-redirect",
                "-m",
                "fast",
                &self.version,
                &self.name,
                action,
            ],
        );
    }

    /// `postgres://postgres@127.0.0.1:PORT/DATABASE`
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new("pg_dropcluster")
            .args(["--stop", &self.version, &self.name])
            .output();
    }
}
