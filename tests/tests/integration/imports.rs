//! Outcome CSV files (CLI and GraphQL upload) and 360Giving grant files: checked whole,
//! problems named by line or grant, nothing written unless everything is accepted.

use b2h_tests::{TestApp, TestDb, b2h_with, both_backends, scalar_i64, with_demo_app};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The 360Giving fixtures in the project's shared folder (`../shared` beside the checkout, or
/// `B2H_SHARED_DIR`).
fn fixtures() -> String {
    let shared = std::env::var("B2H_SHARED_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared").to_owned());
    let dir = format!("{shared}/fixtures/360giving");
    assert!(
        Path::new(&dir).is_dir(),
        "{dir} is missing: the shared folder sits beside the checkout (or set B2H_SHARED_DIR)"
    );
    dir
}

fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("b2h-import-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_template_is_printed() {
    let run = b2h_with(&["import", "outcomes", "--template"], &[], None).ok();
    let header = run.stdout.lines().next().unwrap();
    assert_eq!(
        header,
        "project_reference,measure_code,period_start,period_end,value,sample_size,baseline,target,data_source,evidence_strength,note"
    );
}

both_backends!(
    outcome_files_import_all_or_nothing,
    |db: TestDb| async move {
        db.b2h(&["seed", "--no-progress"]).ok();
        let conn = db.connect().await;
        let before = scalar_i64(&conn, "SELECT count(*) FROM outcome_record").await;
        let dir = scratch();
        let header = "project_reference,measure_code,period_start,period_end,value,sample_size,baseline,target,data_source,evidence_strength,note";

        // Rejected rows are reported with their line numbers; nothing is written.
        let bad = write_file(
            &dir,
            "bad.csv",
            &format!(
                "{header}\n\
             GEH-B2H-01,patients_supported,2024-07-01,2024-07-31,12,,,,survey,strong,\n\
             GEH-B2H-01,patients_supported,2024-08-01,31/02/2024,12,,,,survey,strong,\n\
             NOPE-B2H-01,patients_supported,2024-07-01,2024-07-31,12,,,,survey,strong,\n\
             GEH-B2H-01,wellbeing_improved_pct,2024-07-01,2024-07-31,104,,,,survey,strong,\n\
             GEH-B2H-01,volunteers_supported,2024-07-01,2024-07-31,4,,,,guesswork,strong,\n"
            ),
        );
        let run = db
            .b2h(&["import", "outcomes", &bad])
            .fails_with("nothing was written");
        for needle in [
            "line 3, period_end",
            "line 4, project_reference",
            "line 5, value",
            "line 5, sample_size",
            "line 6, data_source",
        ] {
            assert!(
                run.stderr.contains(needle),
                "no {needle:?} in:\n{}",
                run.stderr
            );
        }
        assert!(!run.stderr.contains("line 2,"), "{}", run.stderr);
        assert_eq!(
            scalar_i64(&conn, "SELECT count(*) FROM outcome_record").await,
            before
        );

        // A good file: a dry run first, then the import, then again (unchanged).
        let good = write_file(
            &dir,
            "good.csv",
            &format!(
                "{header}\n\
             GEH-B2H-01,patients_supported,2024-07-01,2024-07-31,12,,,,survey,strong,\n\
             GEH-B2H-01,wellbeing_improved_pct,2024-07-01,2024-07-31,64.5,31,50,70,survey,moderate,\"July, first cohort\"\n"
            ),
        );
        let dry = db
            .b2h(&["import", "outcomes", &good, "--dry-run", "--no-progress"])
            .ok();
        assert!(dry.stdout.contains("2 created"), "{}", dry.stdout);
        assert_eq!(
            scalar_i64(&conn, "SELECT count(*) FROM outcome_record").await,
            before
        );
        let done = db.b2h(&["import", "outcomes", &good, "--no-progress"]).ok();
        assert!(
            done.stdout.contains("Imported") && done.stdout.contains("2 created"),
            "{}",
            done.stdout
        );
        assert_eq!(
            scalar_i64(&conn, "SELECT count(*) FROM outcome_record").await,
            before + 2
        );
        let again = db.b2h(&["import", "outcomes", &good, "--no-progress"]).ok();
        assert!(again.stdout.contains("2 unchanged"), "{}", again.stdout);
        // Other figures for a stored period need the version read (an optional column).
        let corrected = write_file(
            &dir,
            "corrected.csv",
            &format!(
                "{header}\nGEH-B2H-01,patients_supported,2024-07-01,2024-07-31,13,,,,survey,strong,\n"
            ),
        );
        db.b2h(&["import", "outcomes", &corrected])
            .fails_with("line 2, version");
        let versioned = write_file(
            &dir,
            "versioned.csv",
            &format!(
                "{header},version\nGEH-B2H-01,patients_supported,2024-07-01,2024-07-31,13,,,,survey,strong,,1\n"
            ),
        );
        let run = db
            .b2h(&["import", "outcomes", &versioned, "--no-progress"])
            .ok();
        assert!(run.stdout.contains("1 updated"), "{}", run.stdout);
        // Numbers have no separators: "2,5" is not guessed at.
        let commas = write_file(
            &dir,
            "commas.csv",
            &format!(
                "{header}\nGEH-B2H-01,volunteer_hours,2024-07-01,2024-07-31,\"2,5\",,,,survey,strong,\n"
            ),
        );
        db.b2h(&["import", "outcomes", &commas])
            .fails_with("line 2, value");
        assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM audit_event WHERE actor LIKE 'cli:%' AND entity_type = 'outcome_record'").await,
        3
    );
        // A file that is not a CSV of ours.
        let junk = write_file(&dir, "junk.csv", "name,amount\nx,1\n");
        db.b2h(&["import", "outcomes", &junk])
            .fails_with("the column is missing");
        db.b2h(&["import", "outcomes", "/nonexistent.csv"])
            .fails_with("cannot read /nonexistent.csv");
        std::fs::remove_dir_all(dir).ok();
    }
);

/// POSTs a GraphQL multipart request (the upload specification) with one file.
async fn upload(app: &TestApp, query: &str, variables: Value, file: &str) -> (u16, Value) {
    let boundary = "b2hboundary7MA4YWxkTrZu0gW";
    let operations = json!({"query": query, "variables": variables}).to_string();
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\": [\"variables.file\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"outcomes.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n\
         --{boundary}--\r\n"
    );
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body);
    if let Some(key) = &app.key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

with_demo_app!(
    outcome_files_upload_over_graphql,
    |mut app: TestApp| async move {
        let template = app
            .client
            .get(format!("{}/templates/outcomes.csv", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(template.status(), 200);
        assert!(
            template.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = template.text().await.unwrap();
        assert!(
            text.starts_with("project_reference,measure_code,"),
            "{text}"
        );

        let query = "mutation($file: Upload!, $dryRun: Boolean) { importOutcomes(file: $file, dryRun: $dryRun) { created updated unchanged dryRun } }";
        let header = text.lines().next().unwrap().to_owned();
        let file = format!(
            "{header}\nGEH-B2H-01,patients_supported,2024-07-01,2024-07-31,12,,,,survey,strong,\n"
        );
        // The public may not; a partner for another organisation may not.
        let (_, body) = upload(&app, query, json!({"file": null}), &file).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body}"
        );
        app.authenticate(&["--role", "partner", "--organisation", "GB-NHS-RLT"]);
        let (status, body) =
            upload(&app, query, json!({"file": null, "dryRun": true}), &file).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["data"]["importOutcomes"],
            json!({"created": 1, "updated": 0, "unchanged": 0, "dryRun": true})
        );
        let (_, body) = upload(&app, query, json!({"file": null}), &file).await;
        assert_eq!(body["data"]["importOutcomes"]["created"], 1, "{body}");
        // A bad row: the problem names its line.
        let bad = format!(
            "{header}\nGEH-B2H-01,patients_supported,2024-09-01,2024-09-30,-5,,,,survey,strong,\n"
        );
        let (_, body) = upload(&app, query, json!({"file": null}), &bad).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["problems"][0]["line"], 2,
            "{body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["problems"][0]["field"], "value",
            "{body}"
        );
    }
);

both_backends!(grant_files_import_by_identifier, |db: TestDb| async move {
    db.b2h(&["migrate"]).ok();
    let conn = db.connect().await;
    let baring = format!("{}/baring-2015.json", fixtures());
    let abct = format!("{}/abct-2020-modern.json", fixtures());

    // The older file: UK dates, extra keys, float amounts — all 53 accepted.
    let dry = db
        .b2h(&["import", "grants", &baring, "--dry-run", "--no-progress"])
        .ok();
    assert!(dry.stdout.contains("53 grants created"), "{}", dry.stdout);
    assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM grant_award").await,
        0
    );
    let done = db.b2h(&["import", "grants", &baring, "--no-progress"]).ok();
    assert!(done.stdout.contains("53 grants created"), "{}", done.stdout);
    assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM grant_award").await,
        53
    );
    assert_eq!(
        scalar_i64(
            &conn,
            "SELECT count(*) FROM funder WHERE org_id = 'GB-CHC-258583'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM grant_award WHERE identifier = '360G-baringfoundation-20130071' AND award_date = '2014-03-17' AND amount_awarded = 5000000").await,
        1
    );
    // Idempotent: a re-import changes nothing.
    let again = db.b2h(&["import", "grants", &baring, "--no-progress"]).ok();
    assert!(
        again
            .stdout
            .contains("0 grants created, 0 updated, 53 unchanged"),
        "{}",
        again.stdout
    );
    let organisations = scalar_i64(&conn, "SELECT count(*) FROM organisation").await;

    // The modern file has grants to individuals: reported by index and identifier, nothing
    // written; with --skip-invalid the rest go in.
    let run = db
        .b2h(&["import", "grants", &abct, "--no-progress"])
        .fails_with("99 of the grants");
    assert!(
        run.stderr.contains("recipientIndividual") || run.stderr.contains("individual"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("grant 15 (360G-DevonCF-A482904)"),
        "{}",
        run.stderr
    );
    assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM grant_award").await,
        53
    );
    assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM organisation").await,
        organisations
    );
    let skipped = db
        .b2h(&["import", "grants", &abct, "--skip-invalid", "--no-progress"])
        .ok();
    assert!(
        skipped.stdout.contains("55 grants created") && skipped.stdout.contains("99 skipped"),
        "{}",
        skipped.stdout
    );
    assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM grant_award").await,
        108
    );

    // A changed grant is updated (new version, audited).
    let dir = scratch();
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(&baring).unwrap()).unwrap();
    file["grants"] = json!([file["grants"][0].clone()]);
    file["grants"][0]["amountAwarded"] = json!(55000.5);
    let changed = write_file(&dir, "changed.json", &file.to_string());
    let run = db
        .b2h(&["import", "grants", &changed, "--no-progress"])
        .ok();
    assert!(run.stdout.contains("1 updated"), "{}", run.stdout);
    assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM grant_award WHERE version = 2 AND identifier = '360G-baringfoundation-20130071'").await,
        1
    );
    assert_eq!(
        scalar_i64(
            &conn,
            "SELECT count(*) FROM audit_event WHERE action = 'grant.update'"
        )
        .await,
        1
    );
    let not_json = write_file(&dir, "x.json", "{\"grants\": [");
    db.b2h(&["import", "grants", &not_json])
        .fails_with("not valid JSON");
    std::fs::remove_dir_all(dir).ok();
});
