//! The access matrix: every role against every query and mutation, including attempts to reach
//! another organisation's records through nested fields and filters.

use b2h_tests::{TestApp, rows, scalar_i64, uuid_sql, with_demo_app};
use serde_json::{Value, json};
use std::collections::HashMap;

const ROLES: [&str; 6] = [
    "public",
    "admin",
    "evaluator",
    "partner",
    "other_partner",
    "funder",
];

fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// Sends `query` with `role`'s key (none for the public).
async fn as_role(
    app: &mut TestApp,
    keys: &HashMap<&str, String>,
    role: &str,
    query: &str,
    variables: Value,
) -> Value {
    app.key = keys.get(role).cloned();
    let (_, body) = app.graphql(query, variables).await;
    body
}

with_demo_app!(
    every_role_against_every_operation,
    |mut app: TestApp| async move {
        let conn = app.db.connect().await;
        let one = |sql: &'static str| {
            let conn = conn.clone();
            async move { rows(&conn, sql).await[0]["id"].as_str().unwrap().to_owned() }
        };
        let own_project = one("SELECT id FROM project WHERE reference = 'GEH-B2H-01'").await;
        let other_project = one("SELECT id FROM project WHERE reference = 'ASH-B2H-01'").await;
        let other_org =
            one("SELECT lead_organisation_id AS id FROM project WHERE reference = 'ASH-B2H-01'")
                .await;
        // A funder with an allocation to some projects (not to GEH-B2H-01's lead's all).
        let funder = one(
        "SELECT g.funder_id AS id FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id
         GROUP BY g.funder_id ORDER BY count(*) DESC, g.funder_id LIMIT 1",
    )
    .await;
        let rlt = one("SELECT id FROM organisation WHERE org_id = 'GB-NHS-RLT'").await;
        // An organisation no test writes to otherwise, at version 1.
        let funder_org = one("SELECT id FROM organisation WHERE version = 1 AND id NOT IN
        (SELECT lead_organisation_id FROM project) ORDER BY id LIMIT 1")
        .await;
        let mut keys = HashMap::new();
        for (role, args) in [
            ("admin", vec!["--role", "admin"]),
            ("evaluator", vec!["--role", "evaluator"]),
            (
                "partner",
                vec!["--role", "partner", "--organisation", "GB-NHS-RLT"],
            ),
            (
                "other_partner",
                vec!["--role", "partner", "--organisation", other_org.as_str()],
            ),
            (
                "funder",
                vec!["--role", "funder", "--funder", funder.as_str()],
            ),
        ] {
            app.authenticate(&args);
            keys.insert(role, app.key.clone().unwrap());
        }
        let b = app.db.backend;
        let count = |sql: String| {
            let conn = conn.clone();
            async move { scalar_i64(&conn, &sql).await }
        };
        let all_records = count("SELECT count(*) FROM outcome_record".into()).await;
        let partner_records = count(
        "SELECT count(*) FROM outcome_record WHERE project_id IN (SELECT pp.project_id FROM project_partner pp
         JOIN organisation o ON o.id = pp.organisation_id WHERE o.org_id = 'GB-NHS-RLT' AND pp.role IN ('lead', 'delivery'))"
            .into(),
    )
    .await;
        let funder_records = count(format!(
        "SELECT count(*) FROM outcome_record WHERE status <> 'draft' AND project_id IN (SELECT a.project_id
         FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id WHERE g.funder_id = {})",
        uuid_sql(b, funder.parse().unwrap())
    ))
    .await;
        assert!(partner_records > 0 && funder_records > 0 && partner_records < all_records);

        // Published data: every role reads it alike.
        let published = "query($p: ID!, $o: ID!, $f: ID!, $g: ID!, $c: ID!) {
        campaigns { name } outcomeMeasures { code } regions { code } nations { code }
        organisations { totalCount } funders { totalCount } projects { totalCount } grants { totalCount }
        project(id: $p) { reference grantAllocations { amount } } organisation(id: $o) { name }
        funder(id: $f) { name } grant(id: $g) { identifier allocations { amount } } campaign(id: $c) { name } }";
        let lookups = json!({
            "p": own_project, "o": rlt, "f": funder,
            "g": one("SELECT id FROM grant_award ORDER BY identifier LIMIT 1").await,
            "c": one("SELECT id FROM campaign LIMIT 1").await,
        });
        let mut answers = Vec::new();
        for role in ROLES {
            let body = as_role(&mut app, &keys, role, published, lookups.clone()).await;
            assert!(body.get("errors").is_none(), "{role}: {body}");
            answers.push(body["data"].clone());
        }
        assert!(answers.windows(2).all(|w| w[0] == w[1]));

        // Record-level data: what each role sees, through the list, filters and nested paths.
        let expected_total = |role: &str| match role {
            "admin" | "evaluator" => Some(all_records),
            "partner" => Some(partner_records),
            "funder" => Some(funder_records),
            "other_partner" => None, // checked below: its own only
            _ => None,
        };
        for role in ROLES {
            let body = as_role(
                &mut app,
                &keys,
                role,
                "{ outcomeRecords { totalCount } }",
                json!({}),
            )
            .await;
            if role == "public" {
                assert_eq!(code(&body), Some("FORBIDDEN"), "{role}: {body}");
                continue;
            }
            if let Some(total) = expected_total(role) {
                assert_eq!(
                    body["data"]["outcomeRecords"]["totalCount"], total,
                    "{role}: {body}"
                );
            }
            // Asking for another organisation's project by filter finds nothing for partners.
            let body = as_role(
                &mut app,
                &keys,
                role,
                "query($p: ID!) { outcomeRecords(filter: {project: {eq: $p}}) { totalCount } }",
                json!({"p": other_project}),
            )
            .await;
            let total = body["data"]["outcomeRecords"]["totalCount"]
                .as_i64()
                .unwrap();
            match role {
                "partner" => assert_eq!(total, 0, "{role}"),
                "admin" | "evaluator" | "other_partner" => assert!(total > 0, "{role}: {body}"),
                _ => {}
            }
            // Nested: the other project's records and latest records.
            let body = as_role(
            &mut app,
            &keys,
            role,
            "query($p: ID!) { project(id: $p) { outcomeRecords { totalCount } latestOutcomeRecords { id } } }",
            json!({"p": other_project}),
        )
        .await;
            let nested = body["data"]["project"]["outcomeRecords"]["totalCount"]
                .as_i64()
                .unwrap();
            let latest = body["data"]["project"]["latestOutcomeRecords"]
                .as_array()
                .unwrap()
                .len();
            if role == "partner" {
                assert_eq!((nested, latest), (0, 0), "{role}: {body}");
            } else if role != "funder" {
                assert!(nested > 0 && latest > 0, "{role}: {body}");
            }
        }
        // Through organisations and their projects, a partner's latest records are its own only.
        let body = as_role(
        &mut app,
        &keys,
        "partner",
        "{ organisations(first: 500) { nodes { orgId ledProjects { reference latestOutcomeRecords { id } } } } }",
        json!({}),
    )
    .await;
        for org in body["data"]["organisations"]["nodes"].as_array().unwrap() {
            for project in org["ledProjects"].as_array().unwrap() {
                let n = project["latestOutcomeRecords"].as_array().unwrap().len();
                if org["orgId"] != "GB-NHS-RLT" {
                    assert_eq!(n, 0, "{project}");
                }
            }
        }
        let body = as_role(
            &mut app,
            &keys,
            "public",
            "query($p: ID!) { project(id: $p) { latestOutcomeRecords { id } } }",
            json!({"p": own_project}),
        )
        .await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");

        // Aggregates: everyone reads them; only full record access sees regional cells exact
        // (no role learns from an aggregate what it may not read record by record): the others
        // read them as published, perturbed.
        for role in ROLES {
            let body = as_role(
                &mut app,
                &keys,
                role,
                "{ campaignProgress { supported byRegion { perturbed suppressed } }
                   impact(groupBy: [REGION], filter: {measure: [\"patients_supported\"]}) { figures { perturbed suppressed } } }",
                json!({}),
            )
            .await;
            assert!(body.get("errors").is_none(), "{role}: {body}");
            let exact = matches!(role, "admin" | "evaluator");
            let progress = &body["data"]["campaignProgress"];
            assert!(progress["supported"].as_i64().unwrap() > 0);
            for cell in progress["byRegion"].as_array().unwrap() {
                let controlled = cell["perturbed"] == true || cell["suppressed"] == true;
                assert_eq!(controlled, !exact, "{role}: {cell}");
            }
            for group in body["data"]["impact"].as_array().unwrap() {
                let f = &group["figures"][0];
                let controlled = f["perturbed"] == true || f["suppressed"] == true;
                assert_eq!(controlled, !exact, "{role}: {group}");
            }
            let body = as_role(
                &mut app,
                &keys,
                role,
                "{ missingReturns(period: {start: \"2024-07-01\", end: \"2024-07-31\"}) { lastPeriodEnd } }",
                json!({}),
            )
            .await;
            let expected = if role == "public" {
                Some("FORBIDDEN")
            } else {
                None
            };
            assert_eq!(code(&body), expected, "{role}: {body}");
            // A funder's summary: its own key, evaluators and admins.
            let body = as_role(
                &mut app,
                &keys,
                role,
                "query($f: ID!) { funderImpactSummary(funderId: $f, from: \"2022-01-01\", to: \"2024-06-30\") { supported } }",
                json!({"f": funder}),
            )
            .await;
            let expected = if matches!(role, "admin" | "evaluator" | "funder") {
                None
            } else {
                Some("FORBIDDEN")
            };
            assert_eq!(code(&body), expected, "{role}: {body}");
        }

        // The audit trail: admins only.
        for role in ROLES {
            let body = as_role(
                &mut app,
                &keys,
                role,
                "{ auditEvents { totalCount } }",
                json!({}),
            )
            .await;
            let expected = if role == "admin" {
                None
            } else {
                Some("FORBIDDEN")
            };
            assert_eq!(code(&body), expected, "{role}: {body}");
        }

        // Snapshots are record-level: evaluators and admins only. (This server has no export
        // folder, so the allowed roles get an empty list and UNAVAILABLE.)
        for role in ROLES {
            let allowed = matches!(role, "admin" | "evaluator");
            let body = as_role(&mut app, &keys, role, "{ exports { id } }", json!({})).await;
            assert_eq!(
                code(&body),
                (!allowed).then_some("FORBIDDEN"),
                "{role}: {body}"
            );
            if allowed {
                assert_eq!(body["data"]["exports"], json!([]), "{role}");
            }
            let body = as_role(
                &mut app,
                &keys,
                role,
                "mutation { requestExport { id } }",
                json!({}),
            )
            .await;
            let expected = if allowed { "UNAVAILABLE" } else { "FORBIDDEN" };
            assert_eq!(code(&body), Some(expected), "{role}: {body}");
            let body = as_role(
                &mut app,
                &keys,
                role,
                "query($id: ID!) { exportJob(id: $id) { id } }",
                json!({"id": "00000000-0000-4000-8000-000000000000"}),
            )
            .await;
            assert_eq!(
                code(&body),
                (!allowed).then_some("FORBIDDEN"),
                "{role}: {body}"
            );
        }

        // Reports: a funder's for its own key, evaluators and admins (over HTTP and as a signed
        // link), the campaign's for everyone.
        for role in ROLES {
            let allowed = matches!(role, "admin" | "evaluator" | "funder");
            let get = |path: String| {
                let mut request = app.client.get(format!("{}{path}", app.base));
                if let Some(key) = keys.get(role) {
                    request = request.bearer_auth(key);
                }
                async move { request.send().await.unwrap().status().as_u16() }
            };
            let funder_report = get(format!(
                "/reports/funders/{funder}.csv?from=2023-04-01&to=2024-03-31"
            ))
            .await;
            assert_eq!(funder_report, if allowed { 200 } else { 403 }, "{role}");
            assert_eq!(get("/reports/campaign.csv".into()).await, 200, "{role}");
            let body = as_role(
                &mut app,
                &keys,
                role,
                "query($f: ID!) { funder(id: $f) { reportUrl(from: \"2023-04-01\", to: \"2024-03-31\", format: CSV) } }",
                json!({"f": funder}),
            )
            .await;
            assert_eq!(
                code(&body),
                (!allowed).then_some("FORBIDDEN"),
                "{role}: {body}"
            );
        }

        // Mutations: which roles may, and that a refused one writes nothing.
        let events = || count("SELECT count(*) FROM audit_event".into());
        let org_input = |name: &str| json!({"name": name, "kind": "OTHER"});
        let record = |project: &str, day: u32| {
            json!([{ "project": project, "measure": "volunteer_hours", "periodStart": format!("2024-07-{day:02}"),
                 "periodEnd": format!("2024-07-{day:02}"), "value": 2.0, "dataSource": "ESTIMATE", "evidenceStrength": "WEAK" }])
        };
        let mut day = 0;
        for role in ROLES {
            let may_admin = role == "admin";
            // GEH-B2H-01 is the partner's; ASH-B2H-01 is the other partner's.
            let may_own = matches!(role, "admin" | "partner");
            let may_other = matches!(role, "admin" | "other_partner");
            let checks: Vec<(&str, String, Value, bool)> = vec![
            ("createOrganisation", "mutation($i: CreateOrganisationInput!) { createOrganisation(input: $i) { id } }".into(),
             json!({"i": org_input(&format!("Made by {role}"))}), may_admin),
            ("createFunder", "mutation { createFunder(input: {name: \"F\"}) { id } }".into(), json!({}), may_admin),
            ("archiveOrganisation", "mutation($id: ID!) { archiveOrganisation(id: $id) { id } }".into(),
             json!({"id": other_org}), false),
            ("updateProject own", "mutation($id: ID!, $v: Int!) { updateProject(input: {id: $id, version: $v, description: \"checked\"}) { id } }".into(),
             json!({"id": own_project}), may_own),
            ("updateProject other", "mutation($id: ID!, $v: Int!) { updateProject(input: {id: $id, version: $v, description: \"checked\"}) { id } }".into(),
             json!({"id": other_project}), may_other),
            ("createGrant", "mutation($f: ID!, $o: ID!, $i: String!) { createGrant(input: {identifier: $i, title: \"T\",
               funderId: $f, recipientOrganisationId: $o, amountAwarded: \"10.00\", awardDate: \"2024-01-01\"}) { id } }".into(),
             json!({"f": funder, "o": rlt, "i": format!("360G-ACCESS-{role}")}), may_admin),
            ("updateOrganisation", "mutation($id: ID!) { updateOrganisation(input: {id: $id, version: 1, website: \"https://x.example\"}) { id } }".into(),
             json!({"id": funder_org.clone()}), may_admin),
            ("recordOutcomes own", RECORD.into(), json!({"r": "GEH-B2H-01"}), may_own),
            ("recordOutcomes other", RECORD.into(), json!({"r": "ASH-B2H-01"}), may_other),
        ];
            for (name, query, mut variables, allowed) in checks {
                if let Some(id) = variables.get("id").and_then(Value::as_str)
                    && name.starts_with("updateProject")
                {
                    let v = count(format!(
                        "SELECT CAST(version AS bigint) FROM project WHERE id = {}",
                        uuid_sql(b, id.parse().unwrap())
                    ))
                    .await;
                    variables["v"] = json!(v);
                }
                if let Some(project) = variables
                    .get("r")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                {
                    day += 1;
                    variables = json!({"records": record(&project, day)});
                }
                let before = events().await;
                let body = as_role(&mut app, &keys, role, &query, variables).await;
                // archiveOrganisation is checked last by the admin, so the organisation stays for the others.
                let allowed = allowed || (name == "archiveOrganisation" && may_admin);
                if allowed {
                    assert!(body.get("errors").is_none(), "{role} {name}: {body}");
                    assert!(events().await > before, "{role} {name} left no audit event");
                } else {
                    assert_eq!(code(&body), Some("FORBIDDEN"), "{role} {name}: {body}");
                    assert_eq!(events().await, before, "{role} {name} wrote");
                }
            }
            // Status moves: partners submit their own; only admins verify and reopen.
            let draft = one("SELECT r.id FROM outcome_record r JOIN project p ON p.id = r.project_id
                          WHERE p.reference = 'GEH-B2H-01' AND r.status <> 'verified' ORDER BY r.status, r.id LIMIT 1").await;
            let body = as_role(
                &mut app,
                &keys,
                role,
                "mutation($ids: [ID!]!) { submitOutcomes(ids: $ids) { status } }",
                json!({"ids": [draft]}),
            )
            .await;
            if may_own {
                assert!(body.get("errors").is_none(), "{role}: {body}");
            } else {
                assert_eq!(code(&body), Some("FORBIDDEN"), "{role}: {body}");
            }
            let submitted = one("SELECT r.id FROM outcome_record r JOIN project p ON p.id = r.project_id
                              WHERE p.reference = 'GEH-B2H-01' AND r.status = 'submitted' ORDER BY r.id LIMIT 1").await;
            let body = as_role(
                &mut app,
                &keys,
                role,
                "mutation($ids: [ID!]!) { verifyOutcomes(ids: $ids) { status } }",
                json!({"ids": [submitted]}),
            )
            .await;
            if may_admin {
                assert!(body.get("errors").is_none(), "{role}: {body}");
            } else {
                assert_eq!(code(&body), Some("FORBIDDEN"), "{role}: {body}");
            }
        }

        // Admin-only writes: refused for every other role (nothing written), then done by the admin.
        let third = one("SELECT id FROM project WHERE lead_organisation_id NOT IN
            (SELECT id FROM organisation WHERE org_id = 'GB-NHS-RLT') AND reference <> 'ASH-B2H-01'
            AND id NOT IN (SELECT project_id FROM project_partner pp JOIN organisation o ON o.id = pp.organisation_id
                           WHERE o.org_id = 'GB-NHS-RLT') ORDER BY reference LIMIT 1").await;
        let third_lead = one("SELECT lead_organisation_id AS id FROM project WHERE reference =
            (SELECT min(reference) FROM project WHERE lead_organisation_id NOT IN
               (SELECT id FROM organisation WHERE org_id = 'GB-NHS-RLT') AND reference <> 'ASH-B2H-01'
               AND id NOT IN (SELECT project_id FROM project_partner pp JOIN organisation o ON o.id = pp.organisation_id
                              WHERE o.org_id = 'GB-NHS-RLT'))").await;
        let grant =
            one("SELECT grant_id AS id FROM grant_allocation ORDER BY grant_id LIMIT 1").await;
        let allocation = one("SELECT id FROM grant_allocation ORDER BY grant_id, id LIMIT 1").await;
        let unallocated = one("SELECT id FROM project WHERE id NOT IN (SELECT project_id FROM grant_allocation
            WHERE grant_id = (SELECT grant_id FROM grant_allocation ORDER BY grant_id LIMIT 1)) ORDER BY reference LIMIT 1").await;
        let verified =
            one("SELECT id FROM outcome_record WHERE status = 'verified' ORDER BY id LIMIT 1")
                .await;
        let version_of = |table: &'static str, id: String| {
            let conn = conn.clone();
            async move {
                scalar_i64(
                    &conn,
                    &format!(
                        "SELECT CAST(version AS bigint) FROM {table} WHERE id = {}",
                        uuid_sql(b, id.parse().unwrap())
                    ),
                )
                .await
            }
        };
        for role in [
            "public",
            "evaluator",
            "partner",
            "other_partner",
            "funder",
            "admin",
        ] {
            let writes: Vec<(&str, &str, Value)> = vec![
                ("updateFunder", "mutation($id: ID!, $v: Int!) { updateFunder(input: {id: $id, version: $v, website: \"https://f.example\"}) { id } }",
                 json!({"id": funder, "v": version_of("funder", funder.clone()).await})),
                ("updateGrant", "mutation($id: ID!, $v: Int!) { updateGrant(input: {id: $id, version: $v, amountAwarded: \"99000000.00\"}) { id } }",
                 json!({"id": grant, "v": version_of("grant_award", grant.clone()).await})),
                ("createGrantAllocation", "mutation($g: ID!, $p: ID!) { createGrantAllocation(input: {grantId: $g, projectId: $p, amount: \"100.00\"}) { id } }",
                 json!({"g": grant, "p": unallocated})),
                ("updateGrantAllocation", "mutation($id: ID!, $v: Int!) { updateGrantAllocation(input: {id: $id, version: $v, amount: \"1.00\"}) { id } }",
                 json!({"id": allocation, "v": version_of("grant_allocation", allocation.clone()).await})),
                ("archiveGrantAllocation", "mutation($id: ID!) { archiveGrantAllocation(id: $id) { id } }", json!({"id": allocation})),
                ("archiveGrant", "mutation($id: ID!) { archiveGrant(id: $id) { id } }", json!({"id": grant})),
                ("archiveFunder", "mutation($id: ID!) { archiveFunder(id: $id) { id } }", json!({"id": funder})),
                ("reopenOutcomes", "mutation($ids: [ID!]!) { reopenOutcomes(ids: $ids, reason: \"checking\") { status } }", json!({"ids": [verified]})),
                ("archiveOutcomes", "mutation($ids: [ID!]!) { archiveOutcomes(ids: $ids, reason: \"checking\") { archivedAt } }", json!({"ids": [verified]})),
                ("createProject", "mutation($lead: ID!) { createProject(input: {reference: \"ACC-B2H-01\", title: \"T\", leadOrganisationId: $lead,
                   primaryStage: WAITING_WELL, setting: VIRTUAL, startDate: \"2024-01-01\", nationCode: \"W92000004\"}) { id } }",
                 json!({"lead": third_lead})),
                ("archiveProject", "mutation($id: ID!) { archiveProject(id: $id) { id } }", json!({"id": third})),
            ];
            for (name, query, variables) in writes {
                let before = events().await;
                let body = as_role(&mut app, &keys, role, query, variables).await;
                if role == "admin" {
                    assert!(body.get("errors").is_none(), "{role} {name}: {body}");
                    assert!(events().await > before, "{role} {name} left no audit event");
                } else {
                    assert_eq!(code(&body), Some("FORBIDDEN"), "{role} {name}: {body}");
                    assert_eq!(events().await, before, "{role} {name} wrote");
                }
            }
        }
    }
);

const RECORD: &str =
    "mutation($records: [OutcomeRecordInput!]!) { recordOutcomes(records: $records) { created } }";
