//! compose.yaml: its services are what the README promises, and its three b2h commands (migrate,
//! the API, the export worker) run as written against a real PostgreSQL. (No Docker engine runs
//! here: the commands run on the host with the service names swapped for local addresses.)

use b2h_tests::{KillOnDrop, TestBackend, TestDb, b2h_path, free_port, graphql_at, interop_python};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// compose.yaml as JSON, read by PyYAML (merge keys resolved), or `None` when Python with
/// PyYAML is missing outside CI.
fn compose() -> Option<Value> {
    let python = interop_python("yaml")?;
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../compose.yaml");
    let out = Command::new(&python)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(&file)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(serde_json::from_slice(&o.stdout).unwrap()),
        Ok(o) => panic!(
            "{} cannot read compose.yaml: {}",
            python.display(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("cannot run {}: {e}", python.display()),
    }
}

/// A service's command with the compose network's names replaced by this machine's.
fn command(service: &Value, db_url: &str, listen: &str, exports: &Path) -> Command {
    let args: Vec<&str> = service["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[0], "b2h", "{args:?}");
    let mut cmd = Command::new(b2h_path());
    for arg in &args[1..] {
        cmd.arg(if *arg == "/exports" {
            exports.to_str().unwrap()
        } else {
            arg
        });
    }
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (key, value) in service["environment"].as_object().unwrap() {
        let value = match key.as_str() {
            "DATABASE_URL" => {
                assert!(
                    value.as_str().unwrap().contains("@postgres:5432/"),
                    "{value}"
                );
                db_url.to_owned()
            }
            "B2H_LISTEN" => listen.to_owned(),
            _ => value.as_str().unwrap().to_owned(),
        };
        cmd.env(key, value);
    }
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_services_run_as_written_against_postgres() {
    let Some(compose) = compose() else { return };
    let services = &compose["services"];
    // PostgreSQL with a health check; migrations after it is healthy; API and worker after them.
    let postgres = &services["postgres"];
    assert!(postgres["image"].as_str().unwrap().starts_with("postgres:"));
    assert!(
        postgres["healthcheck"]["test"]
            .to_string()
            .contains("pg_isready")
    );
    assert_eq!(
        services["migrate"]["depends_on"]["postgres"]["condition"],
        "service_healthy"
    );
    for name in ["api", "export-worker"] {
        assert_eq!(
            services[name]["depends_on"]["migrate"]["condition"], "service_completed_successfully",
            "{name}"
        );
        assert!(
            services[name]["volumes"]
                .to_string()
                .contains("exports:/exports"),
            "{name}"
        );
    }
    assert!(
        services["export-worker"]["command"]
            .to_string()
            .contains("--every")
    );

    let Some(db) = TestDb::new(TestBackend::Postgres).await else {
        return;
    };
    let exports =
        std::env::temp_dir().join(format!("b2h-compose-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&exports).unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");

    // 1. migrate
    let out = command(&services["migrate"], db.url(), &listen, &exports)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db.b2h(&["seed", "--no-progress"]).ok();

    // 2. the API, serving what the migrations made, with exports on
    let _api = KillOnDrop(
        command(&services["api"], db.url(), &listen, &exports)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = b2h_tests::http_client();
    let mut ready = false;
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("http://{listen}/readyz")).send().await {
            ready = r.status().is_success();
            if ready {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the API never became ready at {listen}");
    let base = format!("http://{listen}");
    let body = graphql_at(&client, &base, None, "{ campaignProgress { supported } }").await;
    assert_eq!(
        body["data"]["campaignProgress"]["supported"], 623_774,
        "{body}"
    );

    // 3. the export worker: its first snapshot lands in the shared folder; SIGTERM stops it.
    let mut worker = KillOnDrop(
        command(&services["export-worker"], db.url(), &listen, &exports)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut latest = None;
    for _ in 0..600 {
        latest = std::fs::read_to_string(exports.join("latest")).ok();
        if latest.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let latest = latest.expect("the worker published a snapshot");
    assert!(
        exports
            .join("snapshots")
            .join(&latest)
            .join("manifest.json")
            .is_file()
    );
    Command::new("kill")
        .args(["-TERM", &worker.0.id().to_string()])
        .status()
        .unwrap();
    let status = worker.0.wait().unwrap();
    assert!(status.success(), "{status}");

    // The API lists the worker's snapshot to an evaluator.
    let key = db
        .b2h(&[
            "apikey",
            "create",
            "--name",
            "evaluator",
            "--role",
            "evaluator",
        ])
        .ok();
    let key = key.stdout.lines().next().unwrap().trim().to_owned();
    let body = graphql_at(&client, &base, Some(&key), "{ exports { id latest } }").await;
    assert_eq!(body["data"]["exports"][0]["id"], latest.as_str(), "{body}");
    std::fs::remove_dir_all(&exports).ok();
}
