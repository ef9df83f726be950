//! Faults without lost requests: a PostgreSQL restart under load loses no read and no write
//! (writes are refused with the retryable `UNAVAILABLE`, never half-applied, and retried by
//! the client exactly once in effect), `/readyz` says not-ready while the database is away,
//! and each failed request logs one line. SQLite under concurrent writers loses nothing.

use b2h_tests::{OwnCluster, Served, TestApp, TestDb, b2h_with, both_backends, scalar_i64};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const READ: &str = "{ projects(first: 20) { totalCount nodes { reference leadOrganisation { name } stages { stage } } } }";
const WRITE: &str = "mutation($r: [OutcomeRecordInput!]!) { recordOutcomes(records: $r) { created updated unchanged } }";

/// The record a writer's `n`th write makes: a day of its own, so every write is one new row.
fn record(project: &str, n: u64) -> Value {
    let day = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(n);
    json!({ "project": project, "measure": "volunteer_hours", "periodStart": day.to_string(),
            "periodEnd": day.to_string(), "value": n + 1, "dataSource": "ESTIMATE",
            "evidenceStrength": "WEAK" })
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    key: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let mut request = client
        .post(format!("{base}/graphql"))
        .timeout(Duration::from_secs(30))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("{status}: not JSON: {e}"))?;
    match body["errors"][0]["extensions"]["code"].as_str() {
        None if status.is_success() => Ok(body),
        code => Err(format!("{status} {}: {body}", code.unwrap_or("no code"))),
    }
}

/// Creates a project running since 2000 (any past day fits) with an admin key; its reference.
async fn own_project(client: &reqwest::Client, base: &str, admin: &str) -> String {
    let lead = post(
        client,
        base,
        Some(admin),
        "{ organisations(first: 1) { nodes { id } } }",
        json!({}),
    )
    .await
    .unwrap()["data"]["organisations"]["nodes"][0]["id"]
        .clone();
    let input = json!({"reference": "FLT-B2H-01", "title": "Faults", "leadOrganisationId": lead,
        "primaryStage": "GETTING_WELL", "setting": "COMMUNITY", "startDate": "2000-01-01",
        "nationCode": "E92000001", "regionCode": "E40000003"});
    post(
        client,
        base,
        Some(admin),
        "mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }",
        json!({ "i": input }),
    )
    .await
    .unwrap();
    "FLT-B2H-01".to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_under_load_loses_no_request() {
    let Some(cluster) = OwnCluster::start() else {
        return;
    };
    let admin_url = cluster.url("postgres");
    let created = std::process::Command::new("psql")
        .args([&admin_url, "-qc", "CREATE DATABASE b2h"])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let url = cluster.url("b2h");
    let env = [("DATABASE_URL", url.as_str())];
    b2h_with(
        &["seed", "--no-progress", "--projects", "12", "--months", "6"],
        &env,
        None,
    )
    .ok();
    let admin = b2h_with(
        &["apikey", "create", "--name", "faults", "--role", "admin"],
        &env,
        None,
    )
    .ok()
    .first_line();
    let mut served = Served::start(&url, &["--request-timeout", "10", "--rate-limit", "0"]).await;
    let base = served.base.clone();
    let client = b2h_tests::http_client();
    let project = own_project(&client, &base, &admin).await;

    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::new();
    for _ in 0..8 {
        let (client, base, stop, reads) =
            (client.clone(), base.clone(), stop.clone(), reads.clone());
        readers.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match post(&client, &base, None, READ, json!({})).await {
                    Ok(_) => {
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => failures.push(e),
                }
            }
            failures
        }));
    }
    let writer = {
        let (client, base, stop, admin, project) = (
            client.clone(),
            base.clone(),
            stop.clone(),
            admin.clone(),
            project.clone(),
        );
        tokio::spawn(async move {
            // Each write is sent until it is acknowledged; a refusal must say UNAVAILABLE.
            let (mut written, mut refusals) = (0u64, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                loop {
                    match post(
                        &client,
                        &base,
                        Some(&admin),
                        WRITE,
                        json!({ "r": [record(&project, written)] }),
                    )
                    .await
                    {
                        Ok(_) => break,
                        Err(e) => {
                            assert!(
                                e.contains("UNAVAILABLE") || e.starts_with("transport"),
                                "write {written}: {e}"
                            );
                            assert!(
                                started.elapsed() < Duration::from_secs(60),
                                "write {written} never succeeded: {e}"
                            );
                            refusals.push(e);
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
                written += 1;
            }
            (written, refusals)
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before_restart = reads.load(Ordering::Relaxed);
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.pg_ctl("restart");
        cluster
    })
    .await
    .unwrap();
    // Keep the load on after the restart, then stop.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut failures = Vec::new();
    for reader in readers {
        failures.extend(reader.await.unwrap());
    }
    let (written, refusals) = writer.await.unwrap();
    let total_reads = reads.load(Ordering::Relaxed);
    eprintln!(
        "restart under load: {total_reads} reads ({before_restart} before the restart), {written} writes, {} write refusals",
        refusals.len()
    );
    assert!(
        failures.is_empty(),
        "{} reads failed, e.g. {:?}",
        failures.len(),
        failures.first()
    );
    assert!(total_reads > before_restart, "no read after the restart");
    assert!(served.alive());

    // While the database is away: not ready, reads and writes refused as UNAVAILABLE.
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.pg_ctl("stop");
        cluster
    })
    .await
    .unwrap();
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let read = post(&client, &base, None, READ, json!({}))
        .await
        .unwrap_err();
    assert!(read.contains("UNAVAILABLE"), "{read}");
    let write = post(
        &client,
        &base,
        Some(&admin),
        WRITE,
        json!({ "r": [record(&project, 99_999)] }),
    )
    .await
    .unwrap_err();
    assert!(
        write.contains("UNAVAILABLE") && write.starts_with("503"),
        "{write}"
    );
    let failed_requests = refusals.len() + 2;
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.pg_ctl("start");
        cluster
    })
    .await
    .unwrap();
    let mut ready = false;
    for _ in 0..100 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "/readyz did not recover");

    // Every acknowledged write is there exactly once, and nothing else.
    let db = sea_orm::Database::connect(cluster.url("b2h"))
        .await
        .unwrap();
    let stored = scalar_i64(
        &db,
        "SELECT COUNT(*) FROM outcome_record r JOIN project p ON p.id = r.project_id WHERE p.reference = 'FLT-B2H-01'",
    )
    .await;
    assert_eq!(
        stored as u64, written,
        "acknowledged writes and stored records differ"
    );
    db.close().await.ok();
    // One log line per failed request, not one per field or per connection.
    let lines = served.log_lines();
    let noisy: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("\"level\":\"ERROR\"") || l.contains("\"level\":\"WARN\""))
        .collect();
    assert!(
        noisy.len() <= failed_requests + 20,
        "{} warning and error lines for {failed_requests} failed requests:\n{}",
        noisy.len(),
        noisy
            .iter()
            .take(20)
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    drop(cluster);
}

both_backends!(concurrent_writers_lose_nothing, |db: TestDb| async move {
    let mut app = TestApp::spawn(db, true).await;
    app.authenticate(&["--role", "admin"]);
    let key = app.key.clone().unwrap();
    let project = own_project(&app.client, &app.base, &key).await;
    // Eight writers at once, each its own days, twenty batches of five records each.
    let mut writers = Vec::new();
    for w in 0..8u64 {
        let (client, base, key, project) = (
            app.client.clone(),
            app.base.clone(),
            key.clone(),
            project.clone(),
        );
        writers.push(tokio::spawn(async move {
            for batch in 0..20u64 {
                let records: Vec<Value> = (0..5)
                    .map(|i| record(&project, w * 1000 + batch * 5 + i))
                    .collect();
                let body = post(&client, &base, Some(&key), WRITE, json!({ "r": records }))
                    .await
                    .unwrap_or_else(|e| panic!("writer {w}, batch {batch}: {e}"));
                assert_eq!(body["data"]["recordOutcomes"]["created"], 5);
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let conn = app.db.connect().await;
    let stored = scalar_i64(
        &conn,
        "SELECT COUNT(*) FROM outcome_record r JOIN project p ON p.id = r.project_id WHERE p.reference = 'FLT-B2H-01'",
    )
    .await;
    assert_eq!(stored, 8 * 20 * 5);
    conn.close().await.ok();
});
