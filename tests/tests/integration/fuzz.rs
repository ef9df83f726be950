//! Schemathesis's GraphQL mode against a real `b2h serve`: generated queries and mutations for
//! every field, as the public and as an admin, and not one answer with a 5xx status or an
//! `INTERNAL_SERVER_ERROR` (the property lives in tests/interop/schemathesis_hooks.py). The
//! suite runs a bounded number of examples; a longer run by hand is in the README.

use b2h_tests::{Served, TestDb, both_backends, interop_python};
use std::path::Path;
use std::process::Command;

/// Examples per operation in the test suite (the hand run uses hundreds).
const EXAMPLES: &str = "4";

both_backends!(
    fuzzed_requests_never_get_an_internal_error,
    |db: TestDb| async move {
        let Some(python) = interop_python("schemathesis") else {
            return;
        };
        let schemathesis = python.with_file_name("schemathesis");
        db.b2h(&["seed", "--no-progress"]).ok();
        let admin = db
            .b2h(&["apikey", "create", "--name", "fuzz", "--role", "admin"])
            .ok()
            .first_line();
        let mut served = Served::start(db.url(), &["--rate-limit", "0"]).await;
        let hooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop");
        let url = format!("{}/graphql", served.base);
        for (who, header) in [
            ("public", None),
            ("admin", Some(format!("Authorization: Bearer {admin}"))),
        ] {
            let mut command = Command::new(&schemathesis);
            command
                .args([
                    "run",
                    &url,
                    "--checks",
                    "no_internal_errors",
                    "--max-examples",
                    EXAMPLES,
                ])
                .args(["--seed", "20261201", "--no-color"])
                .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
                .env("PYTHONPATH", &hooks);
            if let Some(header) = &header {
                command.args(["-H", header]);
            }
            let out = tokio::task::spawn_blocking(move || command.output())
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("cannot run schemathesis: {e}"));
            let stdout = String::from_utf8_lossy(&out.stdout);
            let summary = stdout
                .lines()
                .skip_while(|l| !l.contains("Test cases:"))
                .nth(1)
                .unwrap_or_default()
                .trim()
                .to_owned();
            eprintln!("schemathesis as {who}: {summary}");
            assert!(
                out.status.success(),
                "schemathesis as {who} found failures:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                served.alive(),
                "the server died under schemathesis as {who}"
            );
        }
    }
);
