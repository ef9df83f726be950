//! Migrations apply, revert one by one and apply again on both backends.

use b2h_tests::{TestDb, both_backends, rows};

const TABLES: [&str; 19] = [
    "nation",
    "region",
    "campaign",
    "organisation",
    "funder",
    "project",
    "project_stage",
    "project_partner",
    "grant_award",
    "grant_allocation",
    "outcome_measure",
    "outcome_record",
    "api_key",
    "audit_event",
    "export_job",
    "installation",
    "outcome_record_key",
    "change_counter",
    "change_log",
];

async fn tables(db: &TestDb) -> Vec<String> {
    let conn = db.connect().await;
    let sql = match db.backend {
        b2h_tests::TestBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        }
        b2h_tests::TestBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
    };
    let names = rows(&conn, sql)
        .await
        .into_iter()
        .filter_map(|r| r["name"].as_str().map(str::to_owned))
        .collect();
    conn.close().await.ok();
    names
}

/// How many migrations b2h has.
const MIGRATIONS: usize = 13;

both_backends!(up_down_up, |db: TestDb| async move {
    let out = db.b2h(&["migrate"]).ok();
    assert!(
        out.stdout
            .contains(&format!("Applied {MIGRATIONS} migration(s)")),
        "{}",
        out.stdout
    );
    let mut expected: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
    expected.push("seaql_migrations".into());
    expected.sort();
    assert_eq!(tables(&db).await, expected);

    let status = db.b2h(&["migrate", "status"]).ok().stdout;
    assert_eq!(status.matches("applied").count(), MIGRATIONS, "{status}");

    // Every step reverses on its own, newest first.
    for left in (0..MIGRATIONS).rev() {
        db.b2h(&["migrate", "down"]).ok();
        let status = db.b2h(&["migrate", "status"]).ok().stdout;
        assert_eq!(status.matches("applied").count(), left, "{status}");
    }
    assert_eq!(tables(&db).await, vec!["seaql_migrations".to_owned()]);

    db.b2h(&["migrate", "up"]).ok();
    assert_eq!(tables(&db).await, expected);
    // Reference data is back after the round trip.
    let conn = db.connect().await;
    assert_eq!(
        b2h_tests::scalar_i64(&conn, "SELECT COUNT(*) FROM region").await,
        7
    );
    assert_eq!(
        b2h_tests::scalar_i64(&conn, "SELECT COUNT(*) FROM nation").await,
        4
    );
    assert_eq!(
        b2h_tests::scalar_i64(&conn, "SELECT COUNT(*) FROM outcome_measure").await,
        12
    );
    assert_eq!(
        b2h_tests::scalar_i64(&conn, "SELECT COUNT(*) FROM campaign").await,
        1
    );
    conn.close().await.ok();

    // Reverting everything at once, with data in every table, also works; so does fresh.
    db.b2h(&["seed", "--no-progress"]).ok();
    db.b2h(&["migrate", "down", "--all"]).ok();
    assert_eq!(tables(&db).await, vec!["seaql_migrations".to_owned()]);
    db.b2h(&["seed", "--no-progress"]).ok();
    db.b2h(&["migrate", "fresh"]).ok();
    assert_eq!(tables(&db).await, expected);
    let conn = db.connect().await;
    assert_eq!(
        b2h_tests::scalar_i64(&conn, "SELECT COUNT(*) FROM project").await,
        0
    );
    conn.close().await.ok();
});

both_backends!(reference_data_matches_the_design, |db: TestDb| async move {
    db.b2h(&["migrate"]).ok();
    let conn = db.connect().await;
    let regions = rows(
        &conn,
        "SELECT code, ods_code, name, nation_code FROM region ORDER BY code",
    )
    .await;
    let got: Vec<(String, String, String)> = regions
        .iter()
        .map(|r| {
            assert_eq!(r["nation_code"], "E92000001");
            (
                r["code"].as_str().unwrap().into(),
                r["ods_code"].as_str().unwrap().into(),
                r["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        ("E40000003", "Y56", "London"),
        ("E40000005", "Y59", "South East"),
        ("E40000006", "Y58", "South West"),
        ("E40000007", "Y61", "East of England"),
        ("E40000010", "Y62", "North West"),
        ("E40000011", "Y60", "Midlands"),
        ("E40000012", "Y63", "North East and Yorkshire"),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    assert_eq!(got, want);
    let nations = rows(&conn, "SELECT code, name FROM nation ORDER BY code").await;
    let nations: Vec<String> = nations
        .iter()
        .map(|n| {
            format!(
                "{} {}",
                n["code"].as_str().unwrap(),
                n["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        nations,
        [
            "E92000001 England",
            "N92000002 Northern Ireland",
            "S92000003 Scotland",
            "W92000004 Wales"
        ]
    );

    let campaign = &rows(
        &conn,
        "SELECT name, start_date, target_date, target_people FROM campaign",
    )
    .await[0];
    assert_eq!(campaign["name"], "Back to Health");
    assert_eq!(campaign["target_people"], 1_000_000);
    assert!(
        campaign["target_date"]
            .as_str()
            .unwrap()
            .starts_with("2025-03-31"),
        "{campaign}"
    );

    // The measures DESIGN.md names, with their aggregation kinds.
    let measures = rows(
        &conn,
        "SELECT code, aggregation, unit, counts_toward_target FROM outcome_measure ORDER BY code",
    )
    .await;
    let kind = |code: &str| {
        measures
            .iter()
            .find(|m| m["code"] == code)
            .map(|m| m["aggregation"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no measure {code}"))
    };
    for code in [
        "patients_supported",
        "staff_supported",
        "volunteers_supported",
        "volunteer_hours",
        "readmissions_avoided",
        "staff_time_released_hours",
    ] {
        assert_eq!(kind(code), "sum", "{code}");
    }
    assert_eq!(kind("active_volunteers"), "latest");
    for code in [
        "wellbeing_improved_pct",
        "less_anxious_pct",
        "did_not_attend_rate",
    ] {
        assert_eq!(kind(code), "weighted_mean", "{code}");
    }
    let counting: Vec<&str> = measures
        .iter()
        .filter(|m| m["counts_toward_target"] == true || m["counts_toward_target"] == 1)
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        counting,
        [
            "patients_supported",
            "staff_supported",
            "volunteers_supported"
        ]
    );
    conn.close().await.ok();
});
