//! `b2h serve` as a process: prints where it listens, answers health checks, stops on SIGTERM.

use b2h_tests::{TestApp, TestBackend, TestDb, b2h_path};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn serve_demo_starts_answers_and_stops_on_sigterm() {
    let db = TestDb::new(TestBackend::Sqlite).await.expect("sqlite");
    let mut child = Command::new(b2h_path())
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("b2h serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    let base = url.trim_end_matches("/graphql");
    let client = b2h_tests::http_client();
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    // Ready once the figures are loaded and published (a moment on the demo data).
    let mut ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    for _ in 0..300 {
        if ready.status() == 200 {
            break;
        }
        assert_eq!(ready.status(), 503);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    }
    assert_eq!(ready.status(), 200);
    // --demo loaded the demo data.
    let body =
        b2h_tests::graphql_at(&client, base, None, "{ campaigns { name targetPeople } }").await;
    assert_eq!(body["data"]["campaigns"][0]["targetPeople"], 1_000_000);
    let conn = db.connect().await;
    assert_eq!(
        b2h_tests::scalar_i64(&conn, "SELECT COUNT(*) FROM project").await,
        120
    );
    conn.close().await.ok();

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let db = TestDb::new(TestBackend::Sqlite).await.expect("sqlite");
    let app = TestApp::spawn(db, false).await;
    let client = &app.client;
    assert_eq!(
        client
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn(
        TestDb::new(TestBackend::Sqlite).await.expect("sqlite"),
        false,
    )
    .await;
    let response = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    let id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id")
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "{id}");
    // A caller's own id is kept.
    let response = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "dashboard-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "dashboard-42");
}
