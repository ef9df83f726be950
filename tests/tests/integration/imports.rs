//! Outcome CSV files (CLI and GraphQL upload) and 360Giving grant files: checked whole,
//! problems named by line or grant, nothing written unless everything is accepted.

use b2h_tests::{
    TestApp, TestDb, b2h_with, both_backends, interop_python, rows, scalar_i64, with_demo_app,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The 360Giving fixtures in the project's shared folder (`../shared` beside the checkout, or
/// `B2H_SHARED_DIR`).
pub(crate) fn fixtures() -> String {
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
    app.upload(query, variables, file.as_bytes()).await
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

/// Every imported grant with its funder and recipient, as the database holds them (ids and
/// times left out), for comparing imports.
const GRANT_ROWS: &str = "SELECT g.identifier, g.title, g.description, g.amount_awarded, g.currency, \
     g.award_date, g.award_date_precision, g.planned_start_date, g.planned_start_date_precision, \
     g.planned_end_date, g.planned_end_date_precision, g.grant_programme, \
     f.name AS funder, f.org_id AS funder_org_id, f.other_identifier AS funder_other, \
     o.name AS recipient, o.org_id AS recipient_org_id, o.other_identifier AS recipient_other, \
     o.kind, o.charity_number, o.company_number \
     FROM grant_award g JOIN funder f ON f.id = g.funder_id \
     JOIN organisation o ON o.id = g.recipient_organisation_id ORDER BY g.identifier";

fn mixed() -> String {
    format!("{}/mixed-publishers.json", fixtures())
}

both_backends!(
    mixed_publishers_import_as_published,
    |db: TestDb| async move {
        db.b2h(&["migrate"]).ok();
        let conn = db.connect().await;
        // All or nothing: the 14 it cannot accept are listed with their reasons.
        let run = db
            .b2h(&["import", "grants", &mixed(), "--no-progress"])
            .fails_with("14 of the grants");
        for needle in [
            "grant 2723 (360G-macc:RSI-S15): the row's columns look slipped: ",
            "amountAwarded holds '05/12/2014', which looks like a date",
            "awardDate holds 'GBP', which looks like a currency code",
            "grant 3003 (360G-nominettrust-98): the row's columns look slipped: ",
            "grant 3471 (DUMMY01): id 'DUMMY01' does not start with the 360Giving prefix",
        ] {
            assert!(
                run.stderr.contains(needle),
                "no {needle:?} in\n{}",
                run.stderr
            );
        }
        assert_eq!(
            scalar_i64(&conn, "SELECT count(*) FROM grant_award").await,
            0
        );

        let done = db
            .b2h(&[
                "import",
                "grants",
                &mixed(),
                "--skip-invalid",
                "--no-progress",
            ])
            .ok();
        for needle in [
            "5931 grants created",
            "14 skipped",
            "28 ambiguous dates",
            "awardDate '05/12/2014' read as 2014-12-05",
            "5931 grants had no title",
        ] {
            assert!(
                done.stdout.contains(needle),
                "no {needle:?} in\n{}",
                done.stdout
            );
        }
        assert_eq!(
            scalar_i64(&conn, "SELECT count(*) FROM grant_award").await,
            5931
        );
        // Month-only dates (Nominet Trust's `08/2013`) keep their precision.
        assert_eq!(
            scalar_i64(
                &conn,
                "SELECT count(*) FROM grant_award WHERE award_date_precision = 'month'"
            )
            .await,
            267
        );
        // Identifiers that are not Org-IDs are kept beside it, never as one.
        assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM funder WHERE other_identifier = '360G-dulverton' AND org_id IS NULL").await,
        1
    );
        assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM organisation WHERE org_id LIKE 'GB-CHC-n/a%' OR org_id = 'DUMMY'").await,
        0
    );
        assert!(
            scalar_i64(
                &conn,
                "SELECT count(*) FROM organisation WHERE other_identifier = 'GB-CHC-n/a'"
            )
            .await
                > 1
        );
        // The other fixtures still import whole.
        let baring = format!("{}/baring-2015.json", fixtures());
        let run = db.b2h(&["import", "grants", &baring, "--no-progress"]).ok();
        assert!(run.stdout.contains("0 skipped"), "{}", run.stdout);
    }
);

/// Three grants in the JSON package form, and the same in the flattened form's columns.
const FLAT_HEADER: [&str; 13] = [
    "Identifier",
    "Title",
    "Currency",
    "Amount Awarded",
    "Award Date",
    "Planned Dates:Start Date",
    "Planned Dates:End Date",
    "Recipient Org:Identifier",
    "Recipient Org:Name",
    "Recipient Org:Charity Number",
    "Funding Org:Identifier",
    "Funding Org:Name",
    "Grant Programme:Title",
];

fn flat_rows() -> Vec<[&'static str; 13]> {
    vec![
        [
            "360G-flat-1",
            "Volunteer drivers",
            "GBP",
            "£12,500.50",
            "17/03/2014",
            "08/2014",
            "2015",
            "GB-CHC-1126147",
            "Drivers Charity",
            "1126147",
            "GB-CHC-200051",
            "Esmée Fairbairn Foundation",
            "Main",
        ],
        [
            "360G-flat-2",
            "Ward volunteers",
            "GBP",
            "5000",
            "2020-01-01T00:00:00+01:00",
            "",
            "",
            "360G-flat-org:7",
            "Ward Friends",
            "",
            "GB-CHC-200051",
            "Esmée Fairbairn Foundation",
            "",
        ],
        [
            "360G-flat-3",
            "Befriending",
            "GBP",
            "GBP 1,000",
            "19 April 2013",
            "2013-05-01",
            "2014-04",
            "GB-COH-01234567",
            "Befrienders Ltd",
            "",
            "360G-dulverton",
            "The Dulverton Trust",
            "",
        ],
    ]
}

fn flat_json() -> String {
    let grants: Vec<Value> = flat_rows()
        .iter()
        .map(|r| {
            let mut planned = serde_json::Map::new();
            if !r[5].is_empty() {
                planned.insert("startDate".into(), json!(r[5]));
            }
            if !r[6].is_empty() {
                planned.insert("endDate".into(), json!(r[6]));
            }
            let mut recipient = json!({"id": r[7], "name": r[8]});
            if !r[9].is_empty() {
                recipient["charityNumber"] = json!(r[9]);
            }
            let mut grant = json!({
                "id": r[0], "title": r[1], "currency": r[2], "amountAwarded": r[3],
                "awardDate": r[4], "recipientOrganization": [recipient],
                "fundingOrganization": [{"id": r[10], "name": r[11]}],
            });
            if !planned.is_empty() {
                grant["plannedDates"] = json!([planned]);
            }
            if !r[12].is_empty() {
                grant["grantProgramme"] = json!([{"title": r[12]}]);
            }
            grant
        })
        .collect();
    json!({ "grants": grants }).to_string()
}

/// The flattened CSV, in Windows-1252 with CRLF line ends as Excel saves it.
fn flat_csv_windows_1252() -> Vec<u8> {
    let mut text = FLAT_HEADER.join(",");
    text.push_str("\r\n");
    for row in flat_rows() {
        let cells: Vec<String> = row.iter().map(|c| format!("\"{c}\"")).collect();
        text.push_str(&cells.join(","));
        text.push_str("\r\n");
    }
    // Every character here is Latin-1, which Windows-1252 shares above 0x9F.
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

fn flat_xlsx(path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (column, title) in FLAT_HEADER.iter().enumerate() {
        sheet.write_string(0, column as u16, *title).unwrap();
    }
    for (row, cells) in flat_rows().iter().enumerate() {
        for (column, cell) in cells.iter().enumerate() {
            let (row, column) = (row as u32 + 1, column as u16);
            // Amounts typed as numbers where they are plain, as a sheet would hold them.
            match cell.parse::<f64>() {
                Ok(number) if column == 3 => sheet.write_number(row, column, number),
                _ => sheet.write_string(row, column, *cell),
            }
            .unwrap();
        }
    }
    book.save(path).unwrap();
}

both_backends!(
    flattened_sheets_import_as_the_json_does,
    |db: TestDb| async move {
        db.b2h(&["migrate"]).ok();
        let conn = db.connect().await;
        let dir = scratch();
        let json_file = write_file(&dir, "grants.json", &flat_json());
        let csv_file = dir.join("grants.csv");
        std::fs::write(&csv_file, flat_csv_windows_1252()).unwrap();
        let xlsx_file = dir.join("grants.xlsx");
        flat_xlsx(&xlsx_file);

        let run = db
            .b2h(&["import", "grants", &json_file, "--no-progress"])
            .ok();
        assert!(run.stdout.contains("3 grants created"), "{}", run.stdout);
        let from_json = rows(&conn, GRANT_ROWS).await;
        assert_eq!(from_json[0]["amount_awarded"], 1_250_050);
        assert_eq!(from_json[0]["planned_start_date_precision"], "month");
        assert_eq!(from_json[0]["planned_end_date"], "2015-12-31");
        assert_eq!(from_json[0]["planned_end_date_precision"], "year");
        assert_eq!(from_json[1]["award_date"], "2020-01-01");
        assert_eq!(from_json[1]["recipient_other"], "360G-flat-org:7");
        assert_eq!(from_json[2]["funder_other"], "360G-dulverton");
        assert_eq!(from_json[2]["award_date"], "2013-04-19");
        // The same grants as sheets: nothing changes.
        for sheet in [&csv_file, &xlsx_file] {
            let run = db
                .b2h(&[
                    "import",
                    "grants",
                    &sheet.display().to_string(),
                    "--no-progress",
                ])
                .ok();
            assert!(
                run.stdout
                    .contains("0 grants created, 0 updated, 3 unchanged"),
                "{}: {}",
                sheet.display(),
                run.stdout
            );
            assert_eq!(rows(&conn, GRANT_ROWS).await, from_json);
        }
        // A sheet with a stray cell in its last cell (XFD1048576) is read cell by cell, not as
        // a grid of seventeen billion cells.
        let far = dir.join("far.xlsx");
        {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            for (column, title) in FLAT_HEADER.iter().enumerate() {
                sheet.write_string(0, column as u16, *title).unwrap();
            }
            for (row, cells) in flat_rows().iter().enumerate() {
                for (column, cell) in cells.iter().enumerate() {
                    sheet
                        .write_string(row as u32 + 1, column as u16, *cell)
                        .unwrap();
                }
            }
            sheet.write_string(1_048_575, 16_383, "stray").unwrap();
            book.save(&far).unwrap();
        }
        let run = db
            .b2h(&[
                "import",
                "grants",
                &far.display().to_string(),
                "--no-progress",
            ])
            .ok();
        assert!(run.stdout.contains("3 unchanged"), "{}", run.stdout);

        // A sheet's problems name the spreadsheet row and column.
        let bad = write_file(
            &dir,
            "bad.csv",
            &format!(
                "{}\n360G-flat-9,T,GBP,lots,31/02/2014,,,GB-CHC-1126147,R,,GB-CHC-200051,F,\n",
                FLAT_HEADER.join(",")
            ),
        );
        let run = db
            .b2h(&["import", "grants", &bad])
            .fails_with("row 2 (360G-flat-9)");
        assert!(
            run.stderr
                .contains("column 'Amount Awarded' 'lots' is not a number"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("column 'Award Date' '31/02/2014' is not a date"),
            "{}",
            run.stderr
        );
        std::fs::remove_dir_all(dir).ok();
    }
);

both_backends!(
    grants_without_a_funder_identifier,
    |db: TestDb| async move {
        db.b2h(&["migrate"]).ok();
        let conn = db.connect().await;
        let dir = scratch();
        let grant = |id: &str, funder: Value| {
            let mut grant = json!({
                "id": id, "title": "A grant", "currency": "GBP", "amountAwarded": 100,
                "awardDate": "2020-04-28",
                "recipientOrganization": [{"id": "GB-CHC-1126147", "name": "A Recipient"}],
            });
            if !funder.is_null() {
                grant["fundingOrganization"] = funder;
            }
            grant
        };
        let file = |name: &str, grants: Vec<Value>| {
            write_file(&dir, name, &json!({ "grants": grants }).to_string())
        };
        let none = file("none.json", vec![grant("360G-nofunder-1", Value::Null)]);
        db.b2h(&["import", "grants", &none])
            .fails_with("the grant names no funder");
        db.b2h(&["import", "grants", &none, "--publisher", "GB-CHC-999999"])
            .fails_with("the publisher 'GB-CHC-999999' is neither a funder");

        // A funder in the database (from a file naming it), then grants naming it by name only,
        // or not at all with --publisher.
        let known = file(
            "known.json",
            vec![grant(
                "360G-nofunder-0",
                json!([{"id": "GB-CHC-200051", "name": "Esmée Fairbairn Foundation"}]),
            )],
        );
        db.b2h(&["import", "grants", &known, "--no-progress"]).ok();
        let by_name = file(
            "by-name.json",
            vec![grant(
                "360G-nofunder-2",
                json!([{"name": "  esmée   FAIRBAIRN foundation "}]),
            )],
        );
        let run = db
            .b2h(&["import", "grants", &by_name, "--no-progress"])
            .ok();
        assert!(
            run.stdout
                .contains("1 grants named their funder without an identifier"),
            "{}",
            run.stdout
        );
        let unknown_name = file(
            "unknown-name.json",
            vec![grant("360G-nofunder-3", json!([{"name": "Somebody Else"}]))],
        );
        db.b2h(&["import", "grants", &unknown_name])
            .fails_with("no funder is named 'Somebody Else'");
        for (path, publisher) in [
            (&none, "GB-CHC-200051"),
            (&unknown_name, "esmée fairbairn foundation"),
        ] {
            let run = db
                .b2h(&[
                    "import",
                    "grants",
                    path,
                    "--publisher",
                    publisher,
                    "--no-progress",
                ])
                .ok();
            assert!(
                run.stdout.contains("1 grants given to the publisher"),
                "{}",
                run.stdout
            );
        }
        assert_eq!(scalar_i64(&conn, "SELECT count(*) FROM funder").await, 1);
        assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM grant_award g JOIN funder f ON f.id = g.funder_id WHERE f.org_id = 'GB-CHC-200051'").await,
        4
    );
        std::fs::remove_dir_all(dir).ok();
    }
);

both_backends!(
    grants_export_as_360giving_and_back,
    |db: TestDb| async move {
        db.b2h(&["migrate"]).ok();
        let conn = db.connect().await;
        db.b2h(&[
            "import",
            "grants",
            &mixed(),
            "--skip-invalid",
            "--no-progress",
        ])
        .ok();
        let flat = scratch();
        let flat_file = write_file(&flat, "flat.json", &flat_json());
        db.b2h(&["import", "grants", &flat_file, "--no-progress"])
            .ok();
        let dir = scratch();
        let out = dir.join("grants.json").display().to_string();
        let run = db
            .b2h(&["export", "grants", "--format", "360giving", "--out", &out])
            .ok();
        assert!(
            run.stdout.contains("Exported 5934 grants"),
            "{}",
            run.stdout
        );
        // Standard output without --out, the same package.
        let printed = db.b2h(&["export", "grants", "--format", "360giving"]).ok();
        let package: Value = serde_json::from_str(&printed.stdout).unwrap();
        assert_eq!(package["version"], "1.4");
        assert_eq!(package["grants"].as_array().map(Vec::len), Some(5934));

        if let Some(python) = interop_python("jsonschema, rfc3339_validator") {
            let schemas = format!("{}/schema", fixtures());
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/interop/check_360giving.py");
            let check = std::process::Command::new(python)
                .args([script, &schemas, &out])
                .output()
                .unwrap();
            assert!(
                check.status.success(),
                "{}{}",
                String::from_utf8_lossy(&check.stdout),
                String::from_utf8_lossy(&check.stderr)
            );
        }

        // Into a fresh database of the same kind: the same rows.
        let Some(again) = TestDb::new(db.backend).await else {
            return;
        };
        again.b2h(&["migrate"]).ok();
        let run = again.b2h(&["import", "grants", &out, "--no-progress"]).ok();
        assert!(run.stdout.contains("5934 grants created"), "{}", run.stdout);
        let other = again.connect().await;
        assert_eq!(
            rows(&other, GRANT_ROWS).await,
            rows(&conn, GRANT_ROWS).await
        );
        std::fs::remove_dir_all(dir).ok();
        std::fs::remove_dir_all(flat).ok();
    }
);

both_backends!(outcome_files_take_uk_dates, |db: TestDb| async move {
    db.b2h(&["seed", "--no-progress"]).ok();
    let conn = db.connect().await;
    let dir = scratch();
    let header = "project_reference,measure_code,period_start,period_end,value,sample_size,baseline,target,data_source,evidence_strength,note";
    let file = write_file(
        &dir,
        "uk.csv",
        &format!(
            "{header}\r\nGEH-B2H-01,patients_supported,01/07/2024,31/07/2024,12,,,,survey,strong,\r\n"
        ),
    );
    let run = db.b2h(&["import", "outcomes", &file, "--no-progress"]).ok();
    assert!(run.stdout.contains("1 created"), "{}", run.stdout);
    assert_eq!(
        scalar_i64(&conn, "SELECT count(*) FROM outcome_record WHERE period_start = '2024-07-01' AND period_end = '2024-07-31' AND value = 12").await,
        1
    );
    // A month is not a period's day.
    let month = write_file(
        &dir,
        "month.csv",
        &format!(
            "{header}\nGEH-B2H-01,patients_supported,07/2024,31/07/2024,12,,,,survey,strong,\n"
        ),
    );
    db.b2h(&["import", "outcomes", &month])
        .fails_with("line 2, period_start");
    std::fs::remove_dir_all(dir).ok();
});
