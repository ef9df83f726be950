//! The graphql-http server audit (GraphQL over HTTP) against the real server: no error, no warning.
//! Its npm packages live in tests/audit/node_modules, installed by scripts/test.

use b2h_tests::{TestApp, TestBackend};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_http_server_audit_passes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("audit");
    if !dir.join("node_modules/graphql-http").is_dir() {
        let why = "tests/audit/node_modules is missing: run scripts/test (or npm ci --prefix tests/audit)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{why}");
        }
        eprintln!("SKIPPED: graphql-http audit: {why}");
        return;
    }
    let app = TestApp::demo(TestBackend::Sqlite).await.expect("sqlite");
    let url = format!("{}/graphql", app.base);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(dir.join("audit.mjs"))
            .arg(url)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(results.len() > 40, "the audits ran: {}", results.len());
    let failed: Vec<&Value> = results
        .iter()
        .filter(|r| r["status"] == "error" || r["status"] == "warn")
        .collect();
    assert!(
        failed.is_empty(),
        "audits with errors or warnings: {failed:#?}"
    );
}
