//! `b2h apikey create|list|revoke`: secrets shown once, only hashes kept, scopes checked,
//! every change audited, nothing written on bad input.

use b2h_tests::{TestDb, both_backends, rows, scalar_i64};

both_backends!(keys_are_made_listed_and_revoked, |db: TestDb| async move {
    db.b2h(&["seed", "--no-progress"]).ok();

    // A partner key for an organisation named by Org-ID; the secret is printed once.
    let made = db
        .b2h(&[
            "apikey",
            "create",
            "--name",
            "GEH outcomes",
            "--role",
            "partner",
            "--organisation",
            "GB-NHS-RLT",
            "--expires",
            "2099-12-31",
        ])
        .ok();
    let secret = made.stdout.lines().next().unwrap().trim().to_owned();
    assert!(secret.starts_with("b2h_"), "{}", made.stdout);
    assert!(secret.len() > 50, "{secret}");
    assert!(made.stdout.contains("not shown again"), "{}", made.stdout);
    let prefix = secret.split('_').nth(1).unwrap().to_owned();

    let conn = db.connect().await;
    let stored = rows(
        &conn,
        "SELECT k.key_prefix, k.secret_hash, k.role, k.created_by, o.org_id
         FROM api_key k JOIN organisation o ON o.id = k.organisation_id",
    )
    .await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["key_prefix"], prefix.as_str());
    assert_eq!(stored[0]["role"], "partner");
    assert_eq!(stored[0]["org_id"], "GB-NHS-RLT");
    assert!(
        stored[0]["created_by"]
            .as_str()
            .unwrap()
            .starts_with("cli:")
    );
    let hash = stored[0]["secret_hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64, "a SHA-256 in hex");
    assert!(!hash.contains(&secret) && !secret.contains(hash));

    // Admin and evaluator keys take no scope; a funder key takes its funder.
    db.b2h(&["apikey", "create", "--name", "ops", "--role", "admin"])
        .ok();
    let funder_id = rows(&conn, "SELECT id FROM funder ORDER BY name LIMIT 1").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    db.b2h(&[
        "apikey", "create", "--name", "Burdett", "--role", "funder", "--funder", &funder_id,
    ])
    .ok();

    // The list shows every key with its prefix and state, never a secret.
    let list = db.b2h(&["apikey", "list"]).ok().stdout;
    assert_eq!(list.lines().count(), 4, "{list}");
    assert!(
        list.contains(&prefix) && list.contains("GEH outcomes"),
        "{list}"
    );
    assert!(!list.contains(&secret), "{list}");
    assert_eq!(list.matches("active").count(), 3, "{list}");

    // Revoked by prefix; revoking again changes nothing.
    let revoked = db.b2h(&["apikey", "revoke", &prefix]).ok().stdout;
    assert!(revoked.contains("GEH outcomes"), "{revoked}");
    db.b2h(&["apikey", "revoke", &prefix]).ok();
    let list = db.b2h(&["apikey", "list"]).ok().stdout;
    assert_eq!(list.matches("revoked").count(), 1, "{list}");

    // Each change left one audit event, by the CLI user, without the hash.
    let events = rows(
        &conn,
        "SELECT action, actor, after FROM audit_event WHERE entity_type = 'api_key' ORDER BY at, action",
    )
    .await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "apikey.create",
            "apikey.create",
            "apikey.create",
            "apikey.revoke"
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e["actor"].as_str().unwrap().starts_with("cli:"))
    );
    assert!(
        events
            .iter()
            .all(|e| !e["after"].to_string().contains(hash))
    );
    conn.close().await.ok();
});

both_backends!(bad_key_requests_write_nothing, |db: TestDb| async move {
    db.b2h(&["seed", "--no-progress"]).ok();
    for (args, message) in [
        (
            vec!["--name", "x", "--role", "partner"],
            "needs --organisation",
        ),
        (vec!["--name", "x", "--role", "funder"], "needs --funder"),
        (
            vec![
                "--name",
                "x",
                "--role",
                "admin",
                "--organisation",
                "GB-NHS-RLT",
            ],
            "does not apply to a admin key",
        ),
        (
            vec![
                "--name",
                "x",
                "--role",
                "partner",
                "--organisation",
                "GB-NOPE-1",
            ],
            "no organisation has the id or Org-ID 'GB-NOPE-1'",
        ),
        (
            vec![
                "--name",
                "x",
                "--role",
                "funder",
                "--funder",
                "00000000-0000-4000-8000-000000000000",
            ],
            "no funder has the id",
        ),
        (
            vec![
                "--name",
                "x",
                "--role",
                "evaluator",
                "--expires",
                "2001-01-01",
            ],
            "not in the future",
        ),
        (vec!["--name", "  ", "--role", "admin"], "must not be blank"),
    ] {
        let mut all = vec!["apikey", "create"];
        all.extend(args);
        db.b2h(&all).fails_with(message);
    }
    // Not a role at all: a usage error (exit 2) naming the choices.
    let run = db.b2h(&["apikey", "create", "--name", "x", "--role", "root"]);
    assert_eq!(run.status.code(), Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("invalid value 'root'") && run.stderr.contains("evaluator"),
        "{}",
        run.stderr
    );
    db.b2h(&["apikey", "revoke", "0123456789ab"])
        .fails_with("no API key has the id or prefix '0123456789ab'");
    let conn = db.connect().await;
    assert_eq!(scalar_i64(&conn, "SELECT COUNT(*) FROM api_key").await, 0);
    assert_eq!(
        scalar_i64(
            &conn,
            "SELECT COUNT(*) FROM audit_event WHERE entity_type = 'api_key'"
        )
        .await,
        0
    );
    conn.close().await.ok();
});

both_backends!(
    requests_authenticate_with_bearer_keys,
    |db: TestDb| async move {
        use b2h_entity::api_key;
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

        let app = b2h_tests::TestApp::spawn(db, true).await;
        let make = |name: &str| {
            let out = app
                .db
                .b2h(&["apikey", "create", "--name", name, "--role", "evaluator"])
                .ok();
            out.stdout.lines().next().unwrap().trim().to_owned()
        };
        let (good, revoked, expired) = (make("good"), make("revoked"), make("expired"));
        app.db
            .b2h(&["apikey", "revoke", revoked.split('_').nth(1).unwrap()])
            .ok();
        let conn = app.db.connect().await;
        api_key::Entity::update_many()
            .col_expr(
                api_key::Column::ExpiresAt,
                Expr::value(chrono::Utc::now() - chrono::TimeDelta::hours(1)),
            )
            .filter(api_key::Column::Name.eq("expired"))
            .exec(&conn)
            .await
            .unwrap();

        let url = format!("{}/graphql", app.base);
        let query = serde_json::json!({ "query": "{ nations { code } }" });
        let call = |authorization: Option<String>| {
            let mut request = app.client.post(&url).json(&query);
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let challenge = response.headers().get("www-authenticate").is_some();
                let body: serde_json::Value = response.json().await.unwrap();
                (status, challenge, body)
            }
        };
        // No key is the public; a valid key is accepted and marked used.
        let (status, _, body) = call(None).await;
        assert_eq!(status, 200, "{body}");
        let (status, _, body) = call(Some(format!("Bearer {good}"))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["nations"].as_array().unwrap().len(), 4);
        let used = api_key::Entity::find()
            .filter(api_key::Column::Name.eq("good"))
            .one(&conn)
            .await
            .unwrap()
            .unwrap();
        assert!(used.last_used_at.is_some());
        conn.close().await.ok();

        // Every bad key is a 401 that says what is wrong, with a Bearer challenge.
        let wrong_secret = format!("{}x", &good[..good.len() - 1]);
        for (header, message) in [
            (format!("Bearer {revoked}"), "revoked"),
            (format!("Bearer {expired}"), "expired"),
            (format!("Bearer {wrong_secret}"), "unknown API key"),
            ("Bearer nonsense".to_owned(), "not a b2h API key"),
            (format!("Basic {good}"), "must read 'Bearer <API key>'"),
        ] {
            let (status, challenge, body) = call(Some(header.clone())).await;
            assert_eq!(status, 401, "{header}: {body}");
            assert!(challenge, "{header}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
            assert!(
                body["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains(message),
                "{header}: {body}"
            );
            assert!(body.get("data").is_none());
        }
    }
);

b2h_tests::with_demo_app!(
    record_level_data_follows_the_key,
    |app: b2h_tests::TestApp| async move {
        use serde_json::json;
        let mut app = app;
        let top = "{ outcomeRecords(first: 500) { totalCount nodes { project { reference } } } }";
        let nested =
            "{ projects(first: 500) { nodes { reference latestOutcomeRecords { value } } } }";
        let geh_records = "{ projects(filter: { reference: { eq: \"GEH-B2H-01\" } }) { nodes {
        outcomeRecords(first: 1) { totalCount } } } }";

        // The public gets FORBIDDEN, wherever the records are asked for (what funders read is
        // in access::every_role_against_every_operation).
        {
            app.key = None;
            for query in [top, nested, geh_records] {
                let (_, body) = app.graphql(query, json!({})).await;
                assert_eq!(
                    body["errors"][0]["extensions"]["code"], "FORBIDDEN",
                    "{query}: {body}"
                );
                assert!(
                    body["errors"][0]["message"]
                        .as_str()
                        .unwrap()
                        .contains("record-level")
                );
            }
            // Everything else stays readable.
            app.data("{ projects(first: 5) { nodes { reference } } }", json!({}))
                .await;
        }

        // A partner reads its own projects' records only, through every path.
        app.key = None;
        app.authenticate(&["--role", "partner", "--organisation", "GB-NHS-RLT"]);
        let data = app.data(top, json!({})).await;
        let records = data["outcomeRecords"]["nodes"].as_array().unwrap();
        assert!(!records.is_empty());
        let conn = app.db.connect().await;
        let own: Vec<String> = b2h_tests::rows(
        &conn,
        "SELECT DISTINCT p.reference FROM project p JOIN project_partner pp ON pp.project_id = p.id
         JOIN organisation o ON o.id = pp.organisation_id
         WHERE o.org_id = 'GB-NHS-RLT' AND pp.role IN ('lead', 'delivery')",
    )
    .await
    .iter()
    .map(|r| r["reference"].as_str().unwrap().to_owned())
    .collect();
        let own_total = b2h_tests::scalar_i64(
            &conn,
            "SELECT COUNT(*) FROM outcome_record r WHERE r.project_id IN (SELECT pp.project_id
         FROM project_partner pp JOIN organisation o ON o.id = pp.organisation_id
         WHERE o.org_id = 'GB-NHS-RLT' AND pp.role IN ('lead', 'delivery'))",
        )
        .await;
        conn.close().await.ok();
        assert_eq!(
            data["outcomeRecords"]["totalCount"].as_i64().unwrap(),
            own_total
        );
        assert!(
            records
                .iter()
                .all(|r| own.contains(&r["project"]["reference"].as_str().unwrap().to_owned()))
        );
        let data = app.data(nested, json!({})).await;
        let mut seen_own = false;
        for project in data["projects"]["nodes"].as_array().unwrap() {
            let reference = project["reference"].as_str().unwrap().to_owned();
            let latest = project["latestOutcomeRecords"].as_array().unwrap();
            if own.contains(&reference) {
                seen_own |= !latest.is_empty();
            } else {
                assert!(latest.is_empty(), "{reference} is not the partner's");
            }
        }
        assert!(
            seen_own,
            "the partner sees its own projects' latest records"
        );
        // Filtering for another organisation's project finds nothing rather than leaking it.
        let other = "{ outcomeRecords(filter: { measureCode: { eq: \"patients_supported\" } }, first: 500) {
        nodes { project { leadOrganisation { orgId } partners { role organisation { orgId } } } } } }";
        let data = app.data(other, json!({})).await;
        for record in data["outcomeRecords"]["nodes"].as_array().unwrap() {
            let partners = record["project"]["partners"].as_array().unwrap();
            assert!(
                partners
                    .iter()
                    .any(|p| p["organisation"]["orgId"] == "GB-NHS-RLT"
                        && (p["role"] == "LEAD" || p["role"] == "DELIVERY"))
            );
        }

        // Evaluators and admins read every record.
        for role in ["evaluator", "admin"] {
            app.key = None;
            app.authenticate(&["--role", role]);
            let data = app
                .data("{ outcomeRecords(first: 1) { totalCount } }", json!({}))
                .await;
            let conn = app.db.connect().await;
            let all = b2h_tests::scalar_i64(&conn, "SELECT COUNT(*) FROM outcome_record").await;
            conn.close().await.ok();
            assert_eq!(
                data["outcomeRecords"]["totalCount"].as_i64().unwrap(),
                all,
                "{role}"
            );
        }
    }
);
