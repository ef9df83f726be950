//! Parquet snapshots: `b2h export` read back by pyarrow, pandas, polars and DuckDB, checked
//! against the database and the API; published atomically even when the exporter is killed.

use b2h_tests::{KillOnDrop, TestApp, TestDb, both_backends, scalar_i64};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const PROGRESS: &str = "{ campaignProgress { supported
  byBeneficiary { beneficiary supported } byPathwayStage { stage supported }
  byRegion { region { code } supported } byMonth { month supported } } }";

const IMPACT: &str = "{ impact(groupBy: [MEASURE, YEAR]) { key { year }
  figures { measure { code } aggregation value records projects sampleSize } } }";

/// Each exported table and the SQL counting its rows in the database.
const TABLE_COUNTS: [(&str, &str); 13] = [
    ("nations", "SELECT count(*) FROM nation"),
    ("regions", "SELECT count(*) FROM region"),
    ("campaigns", "SELECT count(*) FROM campaign"),
    ("organisations", "SELECT count(*) FROM organisation"),
    ("funders", "SELECT count(*) FROM funder"),
    ("grants", "SELECT count(*) FROM grant_award"),
    ("grant_allocations", "SELECT count(*) FROM grant_allocation"),
    ("projects", "SELECT count(*) FROM project"),
    ("project_stages", "SELECT count(*) FROM project_stage"),
    ("project_partners", "SELECT count(*) FROM project_partner"),
    ("outcome_measures", "SELECT count(*) FROM outcome_measure"),
    ("outcome_records", "SELECT count(*) FROM outcome_record"),
    (
        "fact_outcomes",
        "SELECT count(*) FROM outcome_record WHERE archived_at IS NULL",
    ),
];

fn temp_out(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "b2h-export-{label}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The interop Python with the notebook readers.
fn interop_python() -> Option<PathBuf> {
    b2h_tests::interop_python("pyarrow, pandas, polars, duckdb")
}

/// Pence as the exact decimal text readers must reproduce.
fn pounds(pence: i64) -> String {
    format!("{}.{:02}", pence / 100, pence % 100)
}

fn latest(out: &Path) -> Option<String> {
    std::fs::read_to_string(out.join("latest")).ok()
}

/// What readers see: every visible snapshot is complete (its manifest lists files that all exist
/// with their size and checksum) and `latest` names one of them. Returns the visible ids.
fn assert_only_complete_snapshots(out: &Path) -> BTreeSet<String> {
    let mut visible = BTreeSet::new();
    let snapshots = out.join("snapshots");
    for entry in std::fs::read_dir(&snapshots).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let manifest_path = entry.path().join("manifest.json");
        let manifest: Value = serde_json::from_slice(
            &std::fs::read(&manifest_path)
                .unwrap_or_else(|e| panic!("visible snapshot {name} has no manifest: {e}")),
        )
        .unwrap_or_else(|e| panic!("snapshot {name}: manifest is not JSON: {e}"));
        assert_eq!(manifest["snapshotId"], name.as_str());
        assert!(entry.path().join("README.md").is_file(), "{name}: README");
        for table in manifest["tables"].as_array().unwrap() {
            for file in table["files"].as_array().unwrap() {
                let path = entry.path().join(file["path"].as_str().unwrap());
                let bytes = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("{name}: {} missing: {e}", path.display()));
                assert_eq!(bytes.len() as u64, file["bytes"].as_u64().unwrap());
                let digest: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(digest, file["sha256"].as_str().unwrap(), "{name}: checksum");
            }
        }
        visible.insert(name);
    }
    if let Some(id) = latest(out) {
        assert!(
            visible.contains(&id),
            "latest names {id}, not a complete snapshot"
        );
    }
    visible
}

both_backends!(
    snapshot_reads_back_in_every_notebook_reader,
    |db: TestDb| async move {
        let mut app = TestApp::spawn(db, true).await;
        app.authenticate(&["--role", "evaluator"]);
        let progress = app.data(PROGRESS, json!({})).await["campaignProgress"].clone();
        assert_eq!(progress["supported"], 623_774);
        let impact = app.data(IMPACT, json!({})).await["impact"].clone();
        let conn = app.db.connect().await;
        let mut tables = serde_json::Map::new();
        for (table, sql) in TABLE_COUNTS {
            tables.insert(table.to_owned(), json!(scalar_i64(&conn, sql).await));
        }
        let money = json!({
            "grants.amount_awarded": pounds(scalar_i64(&conn, "SELECT CAST(sum(amount_awarded) AS bigint) FROM grant_award").await),
            "grant_allocations.amount": pounds(scalar_i64(&conn, "SELECT CAST(sum(amount) AS bigint) FROM grant_allocation").await),
        });

        let out = temp_out("interop");
        let run = app.db.b2h(&["export", "--out", out.to_str().unwrap()]).ok();
        let id = latest(&out).expect("latest written");
        assert!(
            run.stdout.contains(&format!("Exported snapshot {id}")),
            "{}",
            run.stdout
        );
        assert_eq!(assert_only_complete_snapshots(&out).len(), 1);
        let manifest: Value = serde_json::from_slice(
            &std::fs::read(out.join("snapshots").join(&id).join("manifest.json")).unwrap(),
        )
        .unwrap();
        let backend = if b2h_tests::is_postgres(&conn) {
            "postgresql"
        } else {
            "sqlite"
        };
        assert_eq!(manifest["source"], backend);
        assert!(
            !manifest.to_string().contains(app.db.url()),
            "the manifest never holds the connection string"
        );
        assert_eq!(manifest["schemaVersion"], 1);
        let fact_columns: Vec<&str> = manifest["tables"][12]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        for required in [
            "record_id",
            "project_id",
            "project_reference",
            "project_title",
            "lead_organisation_id",
            "lead_organisation_name",
            "nation_code",
            "region_code",
            "region_name",
            "primary_stage",
            "measure_code",
            "beneficiary",
            "unit",
            "aggregation",
            "counts_toward_target",
            "period_start",
            "period_end",
            "value",
            "sample_size",
            "baseline",
            "target",
            "status",
            "data_source",
            "evidence_strength",
        ] {
            assert!(fact_columns.contains(&required), "fact_outcomes.{required}");
        }

        let Some(python) = interop_python() else {
            return;
        };
        let expected = out.join("expected.json");
        std::fs::write(
            &expected,
            json!({ "tables": tables, "money": money, "progress": progress, "impact": impact })
                .to_string(),
        )
        .unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/check_snapshot.py");
        // expected.json sits beside the snapshots, outside them.
        let check = Command::new(&python)
            .arg(script)
            .arg(&out)
            .arg(&expected)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&check.stdout);
        let stderr = String::from_utf8_lossy(&check.stderr);
        assert!(
            check.status.success(),
            "interop check failed:\n{stdout}\n{stderr}"
        );
        eprintln!("{stdout}");
        // The evaluators' example loads the same snapshot in pandas, polars and DuckDB.
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/load_snapshot.py");
        let run = Command::new(interop_python().unwrap())
            .arg(example)
            .arg(&out)
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "examples/load_snapshot.py failed:\n{printed}\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(printed.contains("NOT disclosure-controlled"), "{printed}");
        assert!(
            printed.contains("120 projects with their lead organisation"),
            "{printed}"
        );
        std::fs::remove_dir_all(&out).ok();
    }
);

both_backends!(
    each_export_is_a_new_snapshot_and_latest_moves,
    |db: TestDb| async move {
        db.b2h(&["seed", "--no-progress"]).ok();
        let out = temp_out("repeat");
        let dir = out.to_str().unwrap();
        db.b2h(&["export", "--out", dir]).ok();
        let first = latest(&out).unwrap();
        // A record is archived between the two exports: only the second leaves it out.
        let conn = db.connect().await;
        let records = scalar_i64(&conn, "SELECT count(*) FROM outcome_record").await;
        let live = scalar_i64(
            &conn,
            "SELECT count(*) FROM outcome_record WHERE archived_at IS NULL",
        )
        .await;
        conn.execute_unprepared(
            "UPDATE outcome_record SET archived_at = updated_at WHERE id = \
             (SELECT id FROM outcome_record WHERE status = 'draft' ORDER BY id LIMIT 1)",
        )
        .await
        .unwrap();
        db.b2h(&["export", "--out", dir]).ok();
        let second = latest(&out).unwrap();
        // Ids sort by time; one taken in the same second gets -2.
        assert!(second > first, "{first} then {second}");
        let visible = assert_only_complete_snapshots(&out);
        assert_eq!(
            visible,
            BTreeSet::from([first.clone(), second.clone()]),
            "both kept"
        );
        for (id, facts) in [(&first, live), (&second, live - 1)] {
            let manifest: Value = serde_json::from_slice(
                &std::fs::read(out.join("snapshots").join(id).join("manifest.json")).unwrap(),
            )
            .unwrap();
            assert_eq!(manifest["tables"][11]["name"], "outcome_records");
            assert_eq!(manifest["tables"][11]["rows"], records);
            assert_eq!(manifest["tables"][12]["name"], "fact_outcomes");
            assert_eq!(manifest["tables"][12]["rows"], facts);
        }
        std::fs::remove_dir_all(&out).ok();
    }
);

both_backends!(
    bad_export_requests_get_clear_errors,
    |db: TestDb| async move {
        // A database whose schema is behind the binary is refused, not migrated by a reader.
        let out = temp_out("bad");
        let dir = out.to_str().unwrap();
        db.b2h(&["export", "--out", dir])
            .fails_with("the database schema is not current");
        db.b2h(&["seed", "--no-progress"]).ok();
        let file = out.join("a-file");
        std::fs::write(&file, "not a folder").unwrap();
        db.b2h(&["export", "--out", file.to_str().unwrap()])
            .fails_with("cannot write");
        db.b2h(&["export", "--out", "ftp://example.org/x"])
            .fails_with("ftp:// is not supported");
        db.b2h(&["export", "--out", ""]).fails_with("give a folder");
        assert!(latest(&out).is_none(), "nothing published");
        std::fs::remove_dir_all(&out).ok();
    }
);

/// What a killed export left behind, seen from outside.
fn moment(out: &Path, before: &BTreeSet<String>) -> &'static str {
    let snapshots = out.join("snapshots");
    let Ok(entries) = std::fs::read_dir(&snapshots) else {
        return "before the snapshot folder";
    };
    let names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if let Some(staged) = names.iter().find(|n| n.starts_with(".partial-")) {
        let staged = snapshots.join(staged);
        if staged.join("manifest.json").exists() {
            return "after the manifest, before publishing";
        }
        // (On PostgreSQL the two fact tables are written at once.)
        if staged.join("fact_outcomes").exists() || staged.join("outcome_records").exists() {
            return "writing the fact tables";
        }
        return "writing the dimension tables";
    }
    if names
        .iter()
        .any(|n| !n.starts_with('.') && !before.contains(n))
    {
        return "published";
    }
    "before staging"
}

both_backends!(
    killed_exports_never_show_a_partial_snapshot,
    |db: TestDb| async move {
        db.b2h(&["seed", "--no-progress"]).ok();
        let out = temp_out("kill");
        let dir = out.to_str().unwrap().to_owned();
        db.b2h(&["export", "--out", &dir]).ok();
        let mut seen = BTreeSet::new();
        let mut delay = 0u64;
        loop {
            let before = assert_only_complete_snapshots(&out);
            let mut child = Command::new(b2h_tests::b2h_path())
                .args(["export", "--out", &dir])
                .env("DATABASE_URL", db.url())
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let finished = child.try_wait().unwrap().is_some_and(|s| s.success());
            child.kill().ok(); // SIGKILL
            child.wait().unwrap();
            seen.insert(moment(&out, &before));
            // Readers never see a partial snapshot, and latest names a complete one.
            assert_only_complete_snapshots(&out);
            assert!(latest(&out).is_some());
            if finished {
                break;
            }
            // 15 ms steps; with the early moments covered, growing steps to the end.
            delay += if seen.len() >= 3 { 15 + delay / 4 } else { 15 };
            assert!(delay < 60_000, "the export never finished: {seen:?}");
        }
        eprintln!("killed at: {seen:?}");
        for moment in [
            "before staging",
            "writing the dimension tables",
            "writing the fact tables",
        ] {
            assert!(seen.contains(moment), "never killed {moment}: {seen:?}");
        }
        // The next run succeeds and clears what killed runs left.
        db.b2h(&["export", "--out", &dir]).ok();
        let leftovers: Vec<String> = std::fs::read_dir(out.join("snapshots"))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        assert_only_complete_snapshots(&out);
        std::fs::remove_dir_all(&out).ok();
    }
);

/// Waits until `done` holds for the worker's log (JSON lines), or panics with the log.
async fn wait_for_log(log: &Path, what: &str, done: impl Fn(&str) -> bool) -> String {
    for _ in 0..600 {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if done(&text) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the worker never {what}:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

both_backends!(
    the_worker_exports_on_schedule_prunes_and_backs_off,
    |db: TestDb| async move {
        db.b2h(&["seed", "--no-progress"]).ok();
        let conn = db.connect().await;
        let out = temp_out("worker");
        let log = out.join("worker.log");
        let mut worker = KillOnDrop(
            Command::new(b2h_tests::b2h_path())
                .args([
                    "export",
                    "--out",
                    out.to_str().unwrap(),
                    "--every",
                    "1s",
                    "--keep",
                    "2",
                ])
                .args(["--log-format", "json"])
                .env("DATABASE_URL", db.url())
                .env("RUST_LOG", "info")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap(),
        );
        let finished = |text: &str| text.matches("\"export finished\"").count();
        wait_for_log(&log, "exported three times", |t| finished(t) >= 3).await;

        // The database fails the read: the worker logs it and retries, then recovers.
        conn.execute_unprepared("ALTER TABLE nation RENAME TO nation_away")
            .await
            .unwrap();
        let text = wait_for_log(&log, "reported the failure", |t| {
            t.contains("\"export failed\"")
        })
        .await;
        let failure = text
            .lines()
            .find(|l| l.contains("\"export failed\""))
            .unwrap();
        let failure: Value = serde_json::from_str(failure).unwrap();
        assert_eq!(failure["database"], true, "{failure}");
        assert!(failure["retry_in_seconds"].as_u64().unwrap() <= 1);
        let before = finished(&text);
        conn.execute_unprepared("ALTER TABLE nation_away RENAME TO nation")
            .await
            .unwrap();
        wait_for_log(&log, "recovered", |t| finished(t) > before).await;
        assert_only_complete_snapshots(&out);

        // SIGTERM stops it cleanly.
        let pid = worker.0.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = worker.0.wait().unwrap();
        assert!(status.success(), "{status}");
        wait_for_log(&log, "said it stopped", |t| {
            t.contains("export worker stopped")
        })
        .await;
        // It kept two snapshots (pruning after each), latest among them.
        let kept = assert_only_complete_snapshots(&out);
        assert!(kept.len() <= 2, "{kept:?}");
        assert!(kept.contains(&latest(&out).unwrap()));
        std::fs::remove_dir_all(&out).ok();
    }
);

const JOB: &str = "query($id: ID!) { exportJob(id: $id) {
  id status requestedBy snapshotId totalRows totalBytes error requestedAt startedAt finishedAt } }";

/// Polls a job until it has finished.
async fn finished_job(app: &TestApp, id: &str) -> Value {
    for _ in 0..600 {
        let job = app.data(JOB, json!({"id": id})).await["exportJob"].clone();
        if matches!(job["status"].as_str(), Some("SUCCEEDED" | "FAILED")) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("export job {id} never finished");
}

both_backends!(
    request_export_runs_a_job_and_exports_lists_snapshots,
    |db: TestDb| async move {
        let out = temp_out("graphql");
        let config = b2h_api::server::ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            export_destination: Some(b2h_export::Destination::Local(out.clone())),
            ..Default::default()
        };
        let mut app = TestApp::spawn_with(db, true, None, config).await;
        app.authenticate(&["--role", "evaluator"]);
        let empty = app.data("{ exports { id } }", json!({})).await;
        assert_eq!(empty["exports"], json!([]));

        let job = app
            .data(
                "mutation { requestExport { id status requestedBy } }",
                json!({}),
            )
            .await["requestExport"]
            .clone();
        assert!(
            matches!(job["status"].as_str(), Some("QUEUED" | "RUNNING")),
            "{job}"
        );
        assert_eq!(job["requestedBy"], "apikey:test");
        let done = finished_job(&app, job["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "SUCCEEDED", "{done}");
        assert!(done["error"].is_null());
        assert!(done["startedAt"].as_str() <= done["finishedAt"].as_str());
        let id = done["snapshotId"].as_str().unwrap().to_owned();
        assert_eq!(latest(&out).as_deref(), Some(id.as_str()));
        assert_only_complete_snapshots(&out);

        let listed = app
            .data(
                "{ exports { id latest createdAt source recordLevel disclosureControlled rows bytes
                   tables { name rows partitionedBy sortedBy files { path rows bytes sha256 }
                            columns { name type nullable description } } } }",
                json!({}),
            )
            .await["exports"]
            .clone();
        let snapshot = &listed[0];
        assert_eq!(snapshot["id"], id.as_str());
        assert_eq!(snapshot["latest"], true);
        assert_eq!(snapshot["recordLevel"], true);
        assert_eq!(snapshot["disclosureControlled"], false);
        assert_eq!(snapshot["rows"], done["totalRows"]);
        assert_eq!(snapshot["bytes"], done["totalBytes"]);
        let tables = snapshot["tables"].as_array().unwrap();
        assert_eq!(tables.len(), 13);
        let facts = &tables[12];
        assert_eq!(facts["name"], "fact_outcomes");
        assert_eq!(facts["partitionedBy"], "year(period_end)");
        assert_eq!(facts["sortedBy"], json!(["period_end"]));
        let money = tables[6]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "amount")
            .unwrap()
            .clone();
        assert_eq!(money["type"], "decimal128(18, 2)");

        // A second export: the list is newest first and latest moves.
        let again = app
            .data("mutation { requestExport { id } }", json!({}))
            .await["requestExport"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let done = finished_job(&app, &again).await;
        assert_eq!(done["status"], "SUCCEEDED", "{done}");
        let ids = app.data("{ exports { id latest } }", json!({})).await["exports"].clone();
        assert_eq!(ids[0]["id"], done["snapshotId"]);
        assert_eq!(ids[0]["latest"], true);
        assert_eq!(ids[1]["id"], id.as_str());
        assert_eq!(ids[1]["latest"], false);

        // A destination that cannot be written: the job fails with a reason, no internal detail.
        std::fs::remove_dir_all(&out).unwrap();
        std::fs::write(&out, "a file where the folder was").unwrap();
        let failing = app
            .data("mutation { requestExport { id } }", json!({}))
            .await["requestExport"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let failed = finished_job(&app, &failing).await;
        assert_eq!(failed["status"], "FAILED", "{failed}");
        let reason = failed["error"].as_str().unwrap();
        assert!(reason.contains("could not be written"), "{reason}");
        assert!(
            !reason.contains(out.to_str().unwrap()),
            "no paths: {reason}"
        );
        std::fs::remove_file(&out).ok();
    }
);

/// Copies everything under `s3://bucket/prefix` (moto at `endpoint`) into `into`, by pyarrow.
fn download(python: &Path, endpoint: &str, bucket_prefix: &str, into: &Path) {
    let script = "import sys, pyarrow.fs as fs
s3 = fs.S3FileSystem(access_key='test', secret_key='test', region='us-east-1', scheme='http', endpoint_override=sys.argv[1])
fs.copy_files(sys.argv[2], sys.argv[3], source_filesystem=s3, destination_filesystem=fs.LocalFileSystem())";
    let out = Command::new(python)
        .args([
            "-c",
            script,
            endpoint.trim_start_matches("http://"),
            bucket_prefix,
        ])
        .arg(into)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "download failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

both_backends!(
    exports_to_s3_upload_every_object_before_latest,
    |db: TestDb| async move {
        let Some(python) = interop_python() else {
            return;
        };
        let moto = python.with_file_name("moto_server");
        let port = b2h_tests::free_port();
        let endpoint = format!("http://127.0.0.1:{port}");
        let _moto = KillOnDrop(
            Command::new(&moto)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let client = b2h_tests::http_client();
        let mut up = false;
        for _ in 0..600 {
            if client.get(&endpoint).send().await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "moto_server never answered at {endpoint}");
        let created = client
            .put(format!("{endpoint}/evaluation"))
            .send()
            .await
            .unwrap();
        assert!(created.status().is_success(), "{}", created.status());

        db.b2h(&["seed", "--no-progress"]).ok();
        let env = [
            ("DATABASE_URL", db.url()),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
        ];
        let export = |out: &str, keep: &str| {
            b2h_tests::b2h_with(&["export", "--out", out, "--keep", keep], &env, None)
        };
        let first = export("s3://evaluation/b2h/snapshots-prod", "2").ok();
        assert!(
            first
                .stdout
                .contains("to s3://evaluation/b2h/snapshots-prod/snapshots/"),
            "{}",
            first.stdout
        );
        for _ in 0..2 {
            export("s3://evaluation/b2h/snapshots-prod", "2").ok();
        }
        // What a reader downloads: complete snapshots only, latest among them, two kept.
        let local = temp_out("s3");
        download(&python, &endpoint, "evaluation/b2h/snapshots-prod", &local);
        let kept = assert_only_complete_snapshots(&local);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept.contains(&latest(&local).unwrap()));

        // A bucket that does not exist: a clear failure, nothing published there.
        let failed = export("s3://no-such-bucket/x", "2").fails_with("export failed");
        assert!(
            failed.stderr.contains("NoSuchBucket") || failed.stderr.contains("does not exist"),
            "{}",
            failed.stderr
        );
        std::fs::remove_dir_all(&local).ok();
    }
);

both_backends!(
    one_snapshot_even_while_records_change,
    |db: TestDb| async move {
        let Some(python) = interop_python() else {
            return;
        };
        db.b2h(&["seed", "--no-progress"]).ok();
        let conn = db.connect().await;
        let out = temp_out("consistent");
        // Drafts are archived and restored, a few at a time, all through the export: records and
        // facts read in different statements (on PostgreSQL, different connections) must agree.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flipper = {
            let (conn, stop) = (conn.clone(), stop.clone());
            tokio::spawn(async move {
                let mut flips = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let sql = if flips.is_multiple_of(2) {
                        "UPDATE outcome_record SET archived_at = updated_at WHERE status = 'draft' AND archived_at IS NULL AND id IN (SELECT id FROM outcome_record WHERE status = 'draft' AND archived_at IS NULL ORDER BY id LIMIT 25)"
                    } else {
                        "UPDATE outcome_record SET archived_at = NULL WHERE status = 'draft' AND archived_at IS NOT NULL"
                    };
                    conn.execute_unprepared(sql).await.unwrap();
                    flips += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                flips
            })
        };
        for _ in 0..3 {
            db.b2h(&["export", "--out", out.to_str().unwrap()]).ok();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let flips = flipper.await.unwrap();
        assert!(flips > 10, "the records hardly changed ({flips} flips)");
        let script = "import duckdb, json, os, sys
root = os.path.join(sys.argv[1], 'snapshots')
for snap in sorted(os.listdir(root)):
    d = os.path.join(root, snap)
    live = duckdb.sql(f\"SELECT count(*) FROM read_parquet('{d}/outcome_records/*/*.parquet') WHERE archived_at IS NULL\").fetchone()[0]
    facts = duckdb.sql(f\"SELECT count(*) FROM read_parquet('{d}/fact_outcomes/*/*.parquet')\").fetchone()[0]
    print(snap, live, facts)
    assert live == facts, (snap, live, facts)";
        let check = Command::new(&python)
            .args(["-c", script])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        std::fs::remove_dir_all(&out).ok();
    }
);
