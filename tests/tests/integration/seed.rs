//! `b2h seed`: deterministic to the row, exact headline totals, realistic coverage, refusals.

use b2h_entity as entity;
use b2h_tests::{TestDb, both_backends, rows, scalar_i64};
use sea_orm::{DatabaseConnection, EntityTrait, JsonValue};

/// Tables and the columns that order them completely.
const TABLE_KEYS: [(&str, &str); 15] = [
    ("nation", "code"),
    ("region", "code"),
    ("campaign", "id"),
    ("organisation", "id"),
    ("funder", "id"),
    ("project", "id"),
    ("project_stage", "project_id, stage"),
    ("project_partner", "project_id, organisation_id"),
    ("grant_award", "id"),
    ("grant_allocation", "id"),
    ("outcome_measure", "id"),
    ("outcome_record", "id"),
    ("api_key", "id"),
    ("audit_event", "id"),
    ("export_job", "id"),
];

async fn dump(db: &DatabaseConnection) -> Vec<(String, Vec<JsonValue>)> {
    let mut out = Vec::new();
    for (table, key) in TABLE_KEYS {
        out.push((
            table.to_owned(),
            rows(db, &format!("SELECT * FROM {table} ORDER BY {key}")).await,
        ));
    }
    out
}

const SUPPORTED_SQL: &str = "SELECT m.code AS code, SUM(r.value) AS total FROM outcome_record r
    JOIN outcome_measure m ON m.id = r.measure_id
    WHERE m.counts_toward_target AND r.status IN ('submitted', 'verified')
    GROUP BY m.code ORDER BY m.code";

both_backends!(identical_across_runs, |first: TestDb| async move {
    let second = TestDb::new(first.backend).await.expect("a second database");
    let other = TestDb::new(first.backend).await.expect("a third database");
    // Big enough to span several load batches.
    let args = [
        "seed",
        "--no-progress",
        "--projects",
        "400",
        "--months",
        "30",
    ];
    first.b2h(&args).ok();
    second.b2h(&args).ok();
    other
        .b2h(&[
            "seed",
            "--no-progress",
            "--projects",
            "400",
            "--months",
            "30",
            "--seed",
            "7",
        ])
        .ok();
    let (a, b, c) = (
        first.connect().await,
        second.connect().await,
        other.connect().await,
    );
    let (dump_a, dump_b, dump_c) = (dump(&a).await, dump(&b).await, dump(&c).await);
    assert!(
        dump_a
            .iter()
            .find(|(t, _)| t == "outcome_record")
            .is_some_and(|(_, r)| r.len() > 40_000)
    );
    for ((table, rows_a), (_, rows_b)) in dump_a.iter().zip(&dump_b) {
        assert_eq!(rows_a.len(), rows_b.len(), "{table}: row counts differ");
        for (x, y) in rows_a.iter().zip(rows_b) {
            assert_eq!(x, y, "{table}: rows differ");
        }
    }
    let records = |d: &Vec<(String, Vec<JsonValue>)>| {
        d.iter()
            .find(|(t, _)| t == "outcome_record")
            .map(|(_, r)| r.clone())
    };
    assert_ne!(
        records(&dump_a),
        records(&dump_c),
        "another --seed gives other data"
    );
    for conn in [a, b, c] {
        conn.close().await.ok();
    }
});

both_backends!(
    default_seed_reproduces_the_published_totals,
    |db: TestDb| async move {
        let out = db.b2h(&["seed", "--no-progress"]).ok().stdout;
        assert!(
            out.contains("synthetic demo data (not real figures)"),
            "{out}"
        );
        assert!(out.contains("623,774 of 1,000,000"), "{out}");
        let conn = db.connect().await;
        let totals = rows(&conn, SUPPORTED_SQL).await;
        let total = |code: &str| {
            totals
                .iter()
                .find(|r| r["code"] == code)
                .and_then(|r| r["total"].as_f64())
                .unwrap_or_default()
        };
        assert_eq!(total("patients_supported"), 449_283.0);
        assert_eq!(total("staff_supported"), 111_472.0);
        assert_eq!(total("volunteers_supported"), 63_019.0);
        // Drafts exist and come on top.
        let drafts = scalar_i64(
            &conn,
            "SELECT COUNT(*) FROM outcome_record r JOIN outcome_measure m ON m.id = r.measure_id
        WHERE m.counts_toward_target AND r.status = 'draft' AND r.value > 0",
        )
        .await;
        assert!(drafts > 0, "the seed has draft target records");
        let all = scalar_i64(&conn, "SELECT CAST(SUM(r.value) AS BIGINT) FROM outcome_record r JOIN outcome_measure m ON m.id = r.measure_id
        WHERE m.counts_toward_target").await;
        assert!(all > 623_774, "drafts add {} on top", all - 623_774);
        // Monthly periods from March 2022 to June 2024 only.
        let span = &rows(
            &conn,
            "SELECT MIN(period_start) AS first, MAX(period_end) AS last FROM outcome_record",
        )
        .await[0];
        assert!(
            span["first"].as_str().unwrap().starts_with("2022-03-01"),
            "{span}"
        );
        assert!(
            span["last"].as_str().unwrap().starts_with("2024-06-30"),
            "{span}"
        );
        conn.close().await.ok();
    }
);

both_backends!(seed_is_realistic_and_labelled, |db: TestDb| async move {
    db.b2h(&["seed", "--no-progress"]).ok();
    let conn = db.connect().await;
    let projects = scalar_i64(&conn, "SELECT COUNT(*) FROM project").await;
    assert!((100..=140).contains(&projects), "{projects} projects");
    // Every NHS England region and the other three nations have projects.
    assert_eq!(
        scalar_i64(
            &conn,
            "SELECT COUNT(DISTINCT region_code) FROM project WHERE region_code IS NOT NULL"
        )
        .await,
        7
    );
    assert_eq!(
        scalar_i64(&conn, "SELECT COUNT(DISTINCT nation_code) FROM project").await,
        4
    );
    // Led by NHS trusts and community organisations.
    let leads = rows(&conn, "SELECT o.kind AS kind, COUNT(*) AS n FROM project p JOIN organisation o ON o.id = p.lead_organisation_id GROUP BY o.kind ORDER BY o.kind").await;
    let kinds: Vec<&str> = leads.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["community_organisation", "nhs_trust"]);
    // The five funders, each with grants; allocations; a project funded by two funders.
    let funders = rows(&conn, "SELECT f.name AS name, COUNT(g.id) AS grants FROM funder f JOIN grant_award g ON g.funder_id = f.id GROUP BY f.name ORDER BY f.name").await;
    let names: Vec<&str> = funders
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Burdett Trust for Nursing",
            "Garfield Weston Foundation",
            "John Armitage Charitable Trust",
            "Oak Foundation",
            "Peacock Charitable Trust"
        ]
    );
    assert!(scalar_i64(&conn, "SELECT COUNT(*) FROM grant_allocation").await > 0);
    assert!(scalar_i64(&conn, "SELECT COUNT(*) FROM (SELECT a.project_id FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id
        GROUP BY a.project_id HAVING COUNT(DISTINCT g.funder_id) > 1) shared").await > 0, "funders share a project");
    assert!(scalar_i64(&conn, "SELECT COUNT(*) FROM grant_award g WHERE NOT EXISTS (SELECT 1 FROM grant_allocation a WHERE a.grant_id = g.id)").await > 0, "some grants have no allocation");
    assert_eq!(scalar_i64(&conn, "SELECT COUNT(*) FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id
        WHERE (SELECT SUM(x.amount) FROM grant_allocation x WHERE x.grant_id = g.id) > g.amount_awarded").await, 0, "allocations stay within grants");
    // Every seeded measure has records; weighted means carry sample sizes; all statuses occur.
    assert_eq!(scalar_i64(&conn, "SELECT COUNT(*) FROM outcome_measure m WHERE NOT EXISTS (SELECT 1 FROM outcome_record r WHERE r.measure_id = m.id)").await, 0);
    assert_eq!(
        scalar_i64(&conn, "SELECT COUNT(DISTINCT status) FROM outcome_record").await,
        3
    );
    assert!(scalar_i64(&conn, "SELECT COUNT(*) FROM outcome_record WHERE measure_aggregation = 'weighted_mean' AND sample_size < 8").await > 0, "small samples exist for suppression");
    // Project stages: exactly one primary each, equal to the project's primary stage.
    assert_eq!(
        scalar_i64(
            &conn,
            "SELECT COUNT(*) FROM project p WHERE NOT EXISTS (SELECT 1 FROM project_stage s
        WHERE s.project_id = p.id AND s.is_primary AND s.stage = p.primary_stage)"
        )
        .await,
        0
    );
    assert!(scalar_i64(&conn, "SELECT COUNT(*) FROM (SELECT project_id FROM project_stage GROUP BY project_id HAVING COUNT(*) > 1) multi").await > 0);
    // Clearly labelled synthetic, and recorded as one audit event.
    assert_eq!(
        scalar_i64(
            &conn,
            "SELECT COUNT(*) FROM project WHERE description NOT LIKE 'Synthetic demo data%'"
        )
        .await,
        0
    );
    assert_eq!(
        scalar_i64(
            &conn,
            "SELECT COUNT(*) FROM grant_award WHERE description NOT LIKE 'Synthetic demo grant%'"
        )
        .await,
        0
    );
    let audit = rows(
        &conn,
        "SELECT actor, action, entity_type, after FROM audit_event",
    )
    .await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["actor"], "seed");
    let after = match &audit[0]["after"] {
        JsonValue::String(s) => serde_json::from_str::<JsonValue>(s).unwrap(),
        other => other.clone(),
    };
    assert_eq!(after["synthetic"], true);
    assert_eq!(after["supported"]["patients"], 449_283);
    conn.close().await.ok();
});

both_backends!(every_entity_reads_back, |db: TestDb| async move {
    db.b2h(&["seed", "--no-progress"]).ok();
    let conn = db.connect().await;
    // The bulk loader writes values exactly as sea-orm reads them (UUIDs, dates, JSON, booleans).
    macro_rules! all_of {
        ($($module:ident => $table:literal),+ $(,)?) => {$(
            let found = entity::$module::Entity::find().all(&conn).await
                .unwrap_or_else(|e| panic!("{} does not read back: {e}", $table));
            assert_eq!(found.len() as i64, scalar_i64(&conn, concat!("SELECT COUNT(*) FROM ", $table)).await, $table);
        )+};
    }
    all_of!(
        nation => "nation", region => "region", campaign => "campaign", organisation => "organisation",
        funder => "funder", project => "project", project_stage => "project_stage",
        project_partner => "project_partner", grant => "grant_award", grant_allocation => "grant_allocation",
        outcome_measure => "outcome_measure", outcome_record => "outcome_record", api_key => "api_key",
        audit_event => "audit_event", export_job => "export_job",
    );
    let geh = entity::project::Entity::find()
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.reference == "GEH-B2H-01")
        .expect("GEH-B2H-01");
    assert_eq!(
        geh.primary_stage,
        entity::enums::PathwayStage::RecoveringWell
    );
    assert_eq!(geh.region_code.as_deref(), Some("E40000011"));
    assert!(
        geh.volunteer_roles
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
    conn.close().await.ok();
});

both_backends!(refuses_a_non_empty_database, |db: TestDb| async move {
    db.b2h(&["seed", "--no-progress"]).ok();
    let conn = db.connect().await;
    let before = scalar_i64(&conn, "SELECT COUNT(*) FROM outcome_record").await;
    db.b2h(&["seed", "--no-progress"])
        .fails_with("the database is not empty (organisation has");
    db.b2h(&["seed", "--no-progress", "--seed", "9"])
        .fails_with("b2h migrate fresh");
    assert_eq!(
        scalar_i64(&conn, "SELECT COUNT(*) FROM outcome_record").await,
        before
    );
    conn.close().await.ok();
});

both_backends!(rejects_bad_sizes_without_writing, |db: TestDb| async move {
    db.b2h(&["seed", "--projects", "0"])
        .fails_with("--projects must be between 1 and 100000");
    db.b2h(&["seed", "--months", "500"])
        .fails_with("--months must be between 1 and 240");
    db.b2h(&["seed", "--projects", "many"])
        .status
        .code()
        .filter(|c| *c == 2)
        .expect("usage error");
    let conn = db.connect().await;
    assert_eq!(scalar_i64(&conn, "SELECT COUNT(*) FROM project").await, 0);
    conn.close().await.ok();
});

/// Indexes and constraints as the database reports them.
async fn schema(db: &DatabaseConnection) -> Vec<JsonValue> {
    let sql = if b2h_tests::is_postgres(db) {
        "SELECT indexdef AS item FROM pg_indexes WHERE schemaname = 'public'
         UNION ALL
         SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS item
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace
         ORDER BY 1"
    } else {
        "SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS item FROM sqlite_master
         WHERE name NOT LIKE 'sqlite_%' ORDER BY 1"
    };
    rows(db, sql).await
}

both_backends!(
    bulk_load_leaves_the_schema_as_migrated,
    |db: TestDb| async move {
        db.b2h(&["migrate"]).ok();
        let conn = db.connect().await;
        let migrated = schema(&conn).await;
        assert!(migrated.len() > 40, "{migrated:?}");
        db.b2h(&["seed", "--no-progress"]).ok();
        assert_eq!(schema(&conn).await, migrated);
        conn.close().await.ok();
    }
);

both_backends!(a_failed_seed_writes_nothing, |db: TestDb| async move {
    // The seed writes its audit event last: a clashing event makes the very end of the load fail.
    let other = TestDb::new(db.backend).await.expect("a second database");
    other.b2h(&["seed", "--no-progress"]).ok();
    let other_conn = other.connect().await;
    let event = rows(&other_conn, "SELECT id FROM audit_event").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    other_conn.close().await.ok();

    db.b2h(&["migrate"]).ok();
    let conn = db.connect().await;
    let migrated = schema(&conn).await;
    let id = b2h_tests::uuid_sql(db.backend, event.parse().unwrap());
    sea_orm::ConnectionTrait::execute_unprepared(
        &conn,
        &format!("INSERT INTO audit_event (id, at, actor, action, entity_type) VALUES ({id}, '2024-01-01T00:00:00+00:00', 'test', 'block', 'test')"),
    )
    .await
    .unwrap();
    db.b2h(&["seed", "--no-progress"])
        .fails_with("loading rows failed");
    for table in [
        "organisation",
        "funder",
        "project",
        "project_stage",
        "grant_award",
        "grant_allocation",
        "outcome_record",
    ] {
        assert_eq!(
            scalar_i64(&conn, &format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table} left half-written"
        );
    }
    assert_eq!(
        schema(&conn).await,
        migrated,
        "indexes and keys are back after the rollback"
    );
    conn.close().await.ok();
});
