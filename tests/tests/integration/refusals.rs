//! Input refused with a clear error that names what is wrong, or accepted as users really send
//! it: CSV line endings, ids in any case, strict ISO dates, the upload limit as a coded JSON
//! error and the rows per file the README promises.

use b2h_tests::{TestApp, with_demo_app};
use serde_json::{Value, json};

const IMPORT: &str = "mutation($file: Upload!, $dryRun: Boolean) { importOutcomes(file: $file, dryRun: $dryRun) { created dryRun } }";
const HEADER: &str = "project_reference,measure_code,period_start,period_end,value,sample_size,baseline,target,data_source,evidence_strength,note";

async fn upload(app: &TestApp, file: &[u8]) -> (u16, Value) {
    app.upload(IMPORT, json!({"file": null, "dryRun": true}), file)
        .await
}

/// Creates projects `OWN-B2H-01`… running since 2000 (so that any past period fits), as an
/// admin; returns their ids.
async fn own_projects(app: &TestApp, count: usize) -> Vec<String> {
    let lead = app
        .data("{ organisations(first: 1) { nodes { id } } }", json!({}))
        .await["organisations"]["nodes"][0]["id"]
        .clone();
    let mut ids = Vec::new();
    for n in 1..=count {
        let input = json!({"reference": format!("OWN-B2H-{n:02}"), "title": format!("Own {n}"),
            "leadOrganisationId": lead, "primaryStage": "GETTING_WELL", "setting": "COMMUNITY",
            "startDate": "2000-01-01", "nationCode": "E92000001", "regionCode": "E40000003"});
        let data = app
            .data(
                "mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        ids.push(data["createProject"]["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// Sends only the head of a POST declaring `length` bytes and reads the answer: the status and
/// the JSON body.
async fn declared_only(app: &TestApp, content_type: &str, length: usize) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address.as_str())
        .await
        .unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{answer}"
    );
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}")),
    )
}

fn row(period: &str, value: &str) -> String {
    format!("OWN-B2H-01,volunteer_hours,{period}-01,{period}-28,{value},,,,estimate,weak,")
}

with_demo_app!(
    csv_lines_are_counted_for_every_line_ending,
    |mut app: TestApp| async move {
        app.authenticate(&["--role", "admin"]);
        own_projects(&app, 1).await;
        // Header on line 1, good rows on 2 and 3, the bad value on line 4, a good row on 5.
        let lines = [
            HEADER.to_owned(),
            row("2011-01", "1"),
            row("2011-02", "2"),
            row("2011-03", "-5"),
            row("2011-04", "4"),
        ];
        let dir = std::env::temp_dir().join(format!("b2h-lines-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, ending) in [("LF", "\n"), ("CRLF", "\r\n"), ("CR", "\r")] {
            let file = format!("{}{ending}", lines.join(ending));
            // As UTF-8, and as UTF-16 with its byte order mark (Excel's "Unicode Text").
            let mut utf16 = b"\xFF\xFE".to_vec();
            utf16.extend(file.encode_utf16().flat_map(u16::to_le_bytes));
            for bytes in [file.as_bytes(), &utf16[..]] {
                let (_, body) = upload(&app, bytes).await;
                let problems = &body["errors"][0]["extensions"]["problems"];
                assert_eq!(problems.as_array().map(Vec::len), Some(1), "{name}: {body}");
                assert_eq!(problems[0]["line"], 4, "{name}: {body}");
                assert_eq!(problems[0]["field"], "value", "{name}: {body}");
            }
            // The command line reads files the same way.
            let path = dir.join(format!("{name}.csv"));
            std::fs::write(&path, &file).unwrap();
            app.db
                .b2h(&[
                    "import",
                    "outcomes",
                    path.to_str().unwrap(),
                    "--dry-run",
                    "--no-progress",
                ])
                .fails_with("line 4, value");
        }
        // Windows-1252 (Excel's plain CSV) is read; bytes that are no text are refused whole.
        let latin: Vec<u8> = format!("{HEADER}\n{}£\n", row("2011-05", "1"))
            .chars()
            .map(|c| c as u32 as u8)
            .collect();
        let (_, body) = upload(&app, &latin).await;
        assert_eq!(
            body["data"]["importOutcomes"],
            json!({"created": 1, "dryRun": true}),
            "{body}"
        );
        let (_, body) = upload(&app, b"project\x81\x8d\n").await;
        let problem = &body["errors"][0]["extensions"]["problems"][0];
        assert_eq!(
            (problem["line"].clone(), problem["field"].clone()),
            (json!(1), json!("file")),
            "{body}"
        );
        assert!(
            problem["message"]
                .as_str()
                .unwrap_or("")
                .contains("Windows-1252"),
            "{body}"
        );

        // A NUL in a cell is refused with its line and column.
        let nul = format!(
            "{HEADER}\n{}\nOWN-B2H-01,volunteer_hours,2011-06-01,2011-06-28,3,,,,estimate,weak,a\0b\n",
            row("2011-05", "1")
        );
        let (_, body) = upload(&app, nul.as_bytes()).await;
        let problem = &body["errors"][0]["extensions"]["problems"][0];
        assert_eq!(
            (problem["line"].clone(), problem["field"].clone()),
            (json!(3), json!("note")),
            "{body}"
        );
        std::fs::remove_dir_all(dir).ok();
    }
);

with_demo_app!(ids_are_read_in_any_case, |mut app: TestApp| async move {
    app.authenticate(&["--role", "admin"]);
    let project = own_projects(&app, 1).await[0].to_ascii_uppercase();
    let record = json!({
        "project": project, "measure": "volunteer_hours", "periodStart": "2012-01-01",
        "periodEnd": "2012-01-31", "value": 5, "dataSource": "ESTIMATE", "evidenceStrength": "WEAK"
    });
    let data = app
        .data(
            "mutation($r: [OutcomeRecordInput!]!) { recordOutcomes(records: $r, dryRun: true) { created } }",
            json!({ "r": [record] }),
        )
        .await;
    assert_eq!(data["recordOutcomes"]["created"], 1);
    let file =
        format!("{HEADER}\n{project},volunteer_hours,2012-02-01,2012-02-28,5,,,,estimate,weak,\n");
    let (_, body) = upload(&app, file.as_bytes()).await;
    assert_eq!(body["data"]["importOutcomes"]["created"], 1, "{body}");
    // GraphQL ids, as before.
    let data = app
        .data(
            &format!("{{ project(id: \"{project}\") {{ id }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        data["project"]["id"].as_str().map(str::to_ascii_uppercase),
        Some(project)
    );
});

with_demo_app!(
    dates_are_strict_iso_with_four_digit_years,
    |mut app: TestApp| async move {
        app.authenticate(&["--role", "admin"]);
        for bad in [
            "2024-7-1",
            "+10000-01-01",
            "0000-12-31",
            "2024-02-30",
            "01/07/2024",
        ] {
            let (_, body) = app
                .graphql(
                    "query($d: Date) { projects(filter: {startDate: {lt: $d}}) { totalCount } }",
                    json!({ "d": bad }),
                )
                .await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{bad}: {body}"
            );
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("YYYY-MM-DD"), "{bad}: {message}");
        }
        // The edges of the range are dates, compared as dates on both backends.
        let data = app
        .data(
            "{ early: projects(filter: {startDate: {lt: \"0001-01-02\"}}) { totalCount } late: projects(filter: {startDate: {lt: \"9999-12-31\"}}) { totalCount } all: projects { totalCount } }",
            json!({}),
        )
        .await;
        assert_eq!(data["early"]["totalCount"], 0);
        assert_eq!(data["late"]["totalCount"], data["all"]["totalCount"]);
        app.db
            .b2h(&[
                "apikey",
                "create",
                "--name",
                "x",
                "--role",
                "admin",
                "--expires",
                "2030-1-1",
            ])
            .fails_with_code(2, "YYYY-MM-DD");
    }
);

with_demo_app!(
    uploads_take_the_rows_the_readme_promises,
    |mut app: TestApp| async move {
        app.authenticate(&["--role", "admin"]);
        own_projects(&app, 4).await;
        // 100,000 rows: four projects, five measures, a day each from 2000 on.
        let measures = [
            "volunteer_hours",
            "readmissions_avoided",
            "staff_time_released_hours",
            "patients_supported",
            "volunteers_supported",
        ];
        let start = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let mut file = format!("{HEADER}\n");
        for day in 0..5_000 {
            let date = start + chrono::Days::new(day);
            for project in 1..=4 {
                for measure in measures {
                    file.push_str(&format!(
                        "OWN-B2H-{project:02},{measure},{date},{date},12,,,,volunteer_management_system,moderate,daily return\n"
                    ));
                }
            }
        }
        assert!(file.len() < 32 * 1024 * 1024, "{} bytes", file.len());
        let (status, body) = upload(&app, file.as_bytes()).await;
        assert_eq!(
            status,
            200,
            "{}",
            &body.to_string()[..300.min(body.to_string().len())]
        );
        assert_eq!(
            body["data"]["importOutcomes"],
            json!({"created": 100_000, "dryRun": true})
        );

        // Past the upload limit: a 413 that says so in JSON with a code, from the declared
        // length before the body is read.
        let (status, body) =
            declared_only(&app, "multipart/form-data; boundary=x", 33 * 1024 * 1024).await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
            "{body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("32 MiB"),
            "{body}"
        );
        let (status, body) = declared_only(&app, "application/json", 3 * 1024 * 1024).await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
            "{body}"
        );
        // A JSON request is bounded lower, and the body is not read to learn it.
        let response = app
            .client
            .post(format!("{}/graphql", app.base))
            .header("content-type", "application/json")
            .body(format!(
                "{{\"query\": \"{}\"}}",
                " ".repeat(3 * 1024 * 1024)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
            "{body}"
        );
    }
);
