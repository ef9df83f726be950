//! Writes through GraphQL over HTTP: create/update/archive with versions, outcome batches
//! checked whole, status moves, conflicts (also between concurrent writers), the audit trail.

use b2h_tests::{TestApp, rows, scalar_i64, with_demo_app};
use serde_json::{Value, json};

/// Makes a key with `args` and returns its secret, leaving `app` sending it.
fn key(app: &mut TestApp, args: &[&str]) -> String {
    app.authenticate(args);
    app.key.clone().unwrap()
}

/// The `extensions.code` of the first error.
fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
}

async fn id_of(app: &TestApp, sql: &str) -> String {
    let conn = app.db.connect().await;
    rows(&conn, sql).await[0]["id"].as_str().unwrap().to_owned()
}

const RECORD: &str = "mutation($records: [OutcomeRecordInput!]!, $dryRun: Boolean) {
  recordOutcomes(records: $records, dryRun: $dryRun) {
    created updated unchanged dryRun records { id status version value periodEnd }
  }
}";

fn record(project: &str, measure: &str, start: &str, end: &str, value: f64) -> Value {
    json!({
        "project": project, "measure": measure, "periodStart": start, "periodEnd": end,
        "value": value, "dataSource": "SURVEY", "evidenceStrength": "MODERATE"
    })
}

with_demo_app!(
    entities_are_created_changed_and_archived,
    |mut app: TestApp| async move {
        key(&mut app, &["--role", "admin"]);
        let org = app
        .data(
            "mutation { createOrganisation(input: {name: \" Riverside Hospice \", kind: HOSPICE,
               orgId: \"GB-CHC-1234567\", regionCode: \"E40000011\"}) { id name version nation { code } region { code } } }",
            json!({}),
        )
        .await["createOrganisation"]
        .clone();
        assert_eq!(org["name"], "Riverside Hospice", "names are trimmed");
        assert_eq!(org["version"], 1);
        assert_eq!(
            org["nation"]["code"], "E92000001",
            "a region implies England"
        );
        let org_id = org["id"].as_str().unwrap().to_owned();

        // An update at the version read bumps it; the same version again is a CONFLICT.
        let update =
            "mutation($v: Int!, $id: ID!) { updateOrganisation(input: {id: $id, version: $v,
        website: \"https://riverside.example\", odsCode: null}) { version website } }";
        let data = app.data(update, json!({"id": org_id, "v": 1})).await;
        assert_eq!(data["updateOrganisation"]["version"], 2);
        let (_, body) = app.graphql(update, json!({"id": org_id, "v": 1})).await;
        assert_eq!(code(&body), "CONFLICT", "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("version 1"),
            "{body}"
        );

        // A duplicate Org-ID and a bad region are named, and nothing is written.
        let (_, body) = app
        .graphql(
            "mutation { createOrganisation(input: {name: \"Copy\", kind: CHARITY,
               orgId: \"GB-CHC-1234567\", nationCode: \"W92000004\", regionCode: \"E40000011\"}) { id } }",
            json!({}),
        )
        .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        let fields: Vec<&str> = body["errors"][0]["extensions"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["orgId", "regionCode"], "{body}");
        let conn = app.db.connect().await;
        assert_eq!(
            scalar_i64(
                &conn,
                "SELECT count(*) FROM organisation WHERE name = 'Copy'"
            )
            .await,
            0
        );

        // A funder, a project with stages and partners, a grant and an allocation.
        let funder = app
        .data("mutation { createFunder(input: {name: \"Riverside Trust\", orgId: \"GB-CHC-7654321\"}) { id } }", json!({}))
        .await["createFunder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
        let partner = id_of(
            &app,
            "SELECT id FROM organisation WHERE org_id = 'GB-NHS-RLT'",
        )
        .await;
        let project = app
        .data(
            "mutation($lead: ID!, $partner: ID!) { createProject(input: {reference: \"rsh-b2h-01\",
               title: \"Hospice at home volunteers\", leadOrganisationId: $lead, primaryStage: LIVING_WELL,
               furtherStages: [RECOVERING_WELL, LIVING_WELL], setting: HOME, startDate: \"2024-01-01\",
               nationCode: \"E92000001\", regionCode: \"E40000011\", volunteerRoles: [\"driver\", \"driver\", \"companion\"],
               partners: [{organisationId: $partner, role: DELIVERY}]}) {
                 id reference status version volunteerRoles stages { stage isPrimary }
                 partners { role organisation { orgId } } } }",
            json!({"lead": org_id, "partner": partner}),
        )
        .await["createProject"]
        .clone();
        assert_eq!(project["reference"], "RSH-B2H-01");
        assert_eq!(project["status"], "PLANNED");
        assert_eq!(project["volunteerRoles"], json!(["driver", "companion"]));
        assert_eq!(
            project["stages"],
            json!([{"stage": "LIVING_WELL", "isPrimary": true}, {"stage": "RECOVERING_WELL", "isPrimary": false}])
        );
        assert_eq!(project["partners"].as_array().unwrap().len(), 2);
        let project_id = project["id"].as_str().unwrap().to_owned();

        let grant = app
        .data(
            "mutation($f: ID!, $r: ID!) { createGrant(input: {identifier: \"360G-RT-0001\", title: \"Hospice volunteers\",
               funderId: $f, recipientOrganisationId: $r, amountAwarded: \"40000.00\", awardDate: \"2024-01-15\"})
               { id currency amountAwarded version } }",
            json!({"f": funder, "r": org_id}),
        )
        .await["createGrant"]
        .clone();
        assert_eq!(grant["currency"], "GBP");
        let grant_id = grant["id"].as_str().unwrap().to_owned();
        let allocate =
            "mutation($g: ID!, $p: ID!, $a: Decimal!, $c: String) { createGrantAllocation(input:
        {grantId: $g, projectId: $p, amount: $a, currency: $c}) { id amount currency version } }";
        // Wrong currency and more than the award: both named.
        let (_, body) = app
            .graphql(
                allocate,
                json!({"g": grant_id, "p": project_id, "a": "50000.00", "c": "EUR"}),
            )
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("currency") && message.contains("exceeds"),
            "{message}"
        );
        let allocation = app
            .data(
                allocate,
                json!({"g": grant_id, "p": project_id, "a": "25000.00", "c": "GBP"}),
            )
            .await["createGrantAllocation"]
            .clone();
        assert_eq!(allocation["amount"], "25000.00");
        // The award cannot drop below what is allocated.
        let (_, body) = app
        .graphql(
            "mutation($id: ID!) { updateGrant(input: {id: $id, version: 1, amountAwarded: \"20000.00\"}) { id } }",
            json!({"id": grant_id}),
        )
        .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");

        // The project is found by the funder filter; archived, it leaves the lists.
        let listed = app
            .data(
                "query($f: ID!) { projects(filter: {funder: {eq: $f}}) { nodes { reference } } }",
                json!({"f": funder}),
            )
            .await;
        assert_eq!(
            listed["projects"]["nodes"],
            json!([{"reference": "RSH-B2H-01"}])
        );
        let archived = app
            .data(
                "mutation($id: ID!) { archiveProject(id: $id, version: 1) { version } }",
                json!({"id": project_id}),
            )
            .await;
        assert_eq!(archived["archiveProject"]["version"], 2);
        let listed = app
            .data(
                "query($f: ID!) { projects(filter: {funder: {eq: $f}}) { totalCount } }",
                json!({"f": funder}),
            )
            .await;
        assert_eq!(listed["projects"]["totalCount"], 0);

        // Every write left an audit event by this key, readable by admins.
        let events = app
        .data(
            "{ auditEvents(first: 500, filter: {actor: {eq: \"apikey:test\"}}) { totalCount nodes { action entityType before after requestId } } }",
            json!({}),
        )
        .await;
        let actions: Vec<&str> = events["auditEvents"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "organisation.create",
                "organisation.update",
                "funder.create",
                "project.create",
                "grant.create",
                "grant_allocation.create",
                "project.archive"
            ]
        );
        let update = &events["auditEvents"]["nodes"][1];
        assert_eq!(update["before"]["version"], 1);
        assert_eq!(update["after"]["website"], "https://riverside.example");
        assert!(
            update["requestId"].as_str().is_some_and(|r| !r.is_empty()),
            "{update}"
        );
    }
);

with_demo_app!(
    outcome_batches_are_checked_whole,
    |mut app: TestApp| async move {
        key(
            &mut app,
            &["--role", "partner", "--organisation", "GB-NHS-RLT"],
        );
        let conn = app.db.connect().await;
        let before = scalar_i64(&conn, "SELECT count(*) FROM outcome_record").await;
        let audit_before = scalar_i64(&conn, "SELECT count(*) FROM audit_event").await;

        // One batch with every kind of mistake: each named by index and field; nothing written.
        let mut weighted = record(
            "GEH-B2H-01",
            "wellbeing_improved_pct",
            "2024-07-01",
            "2024-07-31",
            140.0,
        );
        weighted["baseline"] = json!(-1);
        let batch = json!([
            record(
                "NOPE-01",
                "patients_supported",
                "2024-07-01",
                "2024-07-31",
                5.0
            ),
            record(
                "GEH-B2H-01",
                "no_such_measure",
                "2024-07-01",
                "2024-07-31",
                5.0
            ),
            record(
                "GEH-B2H-01",
                "patients_supported",
                "2024-07-31",
                "2024-07-01",
                5.0
            ),
            record(
                "GEH-B2H-01",
                "patients_supported",
                "2024-08-01",
                "2024-08-31",
                -3.0
            ),
            weighted,
            record(
                "GEH-B2H-01",
                "patients_supported",
                "2024-06-15",
                "2024-07-14",
                5.0
            ),
            record(
                "GEH-B2H-01",
                "patients_supported",
                "2025-03-01",
                "2025-04-30",
                5.0
            ),
            record(
                "GEH-B2H-01",
                "patients_supported",
                "2023-01-01",
                "2023-01-31",
                5.0
            ),
        ]);
        let (_, body) = app.graphql(RECORD, json!({"records": batch})).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        let problems: Vec<(u64, String)> = body["errors"][0]["extensions"]["problems"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|p| {
                (
                    p["index"].as_u64().unwrap(),
                    p["field"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expect = |i: u64, f: &str| {
            assert!(
                problems.contains(&(i, f.to_owned())),
                "no problem ({i}, {f}) in {problems:?}"
            );
        };
        expect(0, "project");
        expect(1, "measure");
        expect(2, "periodEnd");
        expect(3, "value");
        expect(4, "value");
        expect(4, "baseline");
        expect(4, "sampleSize");
        expect(5, "periodStart"); // overlaps June's stored record
        expect(6, "periodEnd"); // after the project's end
        expect(7, "periodStart"); // before the project's start
        assert_eq!(
            scalar_i64(&conn, "SELECT count(*) FROM outcome_record").await,
            before
        );
        assert_eq!(
            scalar_i64(&conn, "SELECT count(*) FROM audit_event").await,
            audit_before
        );

        // Another organisation's project is FORBIDDEN, also inside an otherwise good batch.
        let (_, body) = app
            .graphql(
                RECORD,
                json!({"records": [
                record("GEH-B2H-01", "patients_supported", "2024-07-01", "2024-07-31", 5.0),
                record("ASH-B2H-01", "patients_supported", "2024-07-01", "2024-07-31", 5.0)]}),
            )
            .await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");

        // A dry run says what would happen and writes nothing.
        let good = json!([
            record(
                "GEH-B2H-01",
                "patients_supported",
                "2024-07-01",
                "2024-07-31",
                41.0
            ),
            record(
                "GEH-B2H-01",
                "volunteers_supported",
                "2024-07-01",
                "2024-07-31",
                3.0
            ),
        ]);
        let dry = app
            .data(RECORD, json!({"records": good, "dryRun": true}))
            .await;
        assert_eq!(dry["recordOutcomes"]["created"], 2);
        assert_eq!(dry["recordOutcomes"]["dryRun"], true);
        assert_eq!(
            scalar_i64(&conn, "SELECT count(*) FROM outcome_record").await,
            before
        );

        // Written: drafts. Again with one change: one updated, one unchanged.
        let done = app.data(RECORD, json!({"records": good})).await;
        assert_eq!(done["recordOutcomes"]["created"], 2);
        let first = done["recordOutcomes"]["records"][0].clone();
        assert_eq!(first["status"], "DRAFT");
        let mut changed = good.clone();
        changed[0]["value"] = json!(42.0);
        changed[0]["version"] = json!(1);
        let again = app.data(RECORD, json!({"records": changed})).await;
        assert_eq!(again["recordOutcomes"]["updated"], 1);
        assert_eq!(again["recordOutcomes"]["unchanged"], 1);
        // The version the client saw is now stale: CONFLICT.
        changed[0]["value"] = json!(43.0);
        let (_, body) = app.graphql(RECORD, json!({"records": changed})).await;
        assert_eq!(code(&body), "CONFLICT", "{body}");

        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("item 0:"),
            "{body}"
        );
        // Other figures over a stored record without saying which version was read: refused.
        let mut blind = good.clone();
        blind[1]["value"] = json!(9.0);
        let (_, body) = app.graphql(RECORD, json!({"records": [blind[1]]})).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["problems"][0]["field"], "version",
            "{body}"
        );

        // Submit (partner), verify and reopen (admin only).
        let id = first["id"].as_str().unwrap().to_owned();
        // Status moves can carry the versions read: a stale one is a CONFLICT.
        let (_, body) = app
            .graphql(
                "mutation($ids: [ID!]!) { submitOutcomes(ids: $ids, versions: [1]) { status } }",
                json!({"ids": [id]}),
            )
            .await;
        assert_eq!(code(&body), "CONFLICT", "{body}");
        let submitted = app
            .data(
                "mutation($ids: [ID!]!) { submitOutcomes(ids: $ids, versions: [2]) { status } }",
                json!({"ids": [id]}),
            )
            .await;
        assert_eq!(submitted["submitOutcomes"][0]["status"], "SUBMITTED");
        let (_, body) = app
            .graphql(
                "mutation($ids: [ID!]!) { verifyOutcomes(ids: $ids) { status } }",
                json!({"ids": [id]}),
            )
            .await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
        key(&mut app, &["--role", "admin"]);
        let verified = app
            .data(
                "mutation($ids: [ID!]!) { verifyOutcomes(ids: $ids) { status version } }",
                json!({"ids": [id]}),
            )
            .await;
        assert_eq!(verified["verifyOutcomes"][0]["status"], "VERIFIED");
        // A verified record does not change until reopened.
        let mut fix = good.clone();
        fix[0]["value"] = json!(44.0);
        let (_, body) = app.graphql(RECORD, json!({"records": [fix[0]]})).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("reopen"),
            "{body}"
        );
        let (_, body) = app
            .graphql(
                "mutation($ids: [ID!]!) { reopenOutcomes(ids: $ids, reason: \" \") { status } }",
                json!({"ids": [id]}),
            )
            .await;
        assert_eq!(
            code(&body),
            "BAD_USER_INPUT",
            "a reason is required: {body}"
        );
        let reopened = app
        .data(
            "mutation($ids: [ID!]!) { reopenOutcomes(ids: $ids, reason: \"figure double-counted\") { status note } }",
            json!({"ids": [id]}),
        )
        .await;
        assert_eq!(reopened["reopenOutcomes"][0]["status"], "DRAFT");
        assert!(
            reopened["reopenOutcomes"][0]["note"]
                .as_str()
                .unwrap()
                .contains("double-counted")
        );
        let actions = rows(
            &conn,
            &format!(
                "SELECT action FROM audit_event WHERE entity_id = {} ORDER BY at",
                b2h_tests::uuid_sql(app.db.backend, id.parse().unwrap())
            ),
        )
        .await;
        let actions: Vec<&str> = actions
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "outcome_record.create",
                "outcome_record.update",
                "outcome_record.submit",
                "outcome_record.verify",
                "outcome_record.reopen"
            ]
        );
    }
);

with_demo_app!(
    concurrent_writers_get_a_conflict,
    |mut app: TestApp| async move {
        // Which writer wins is the race the test makes.
        app.answers.off();
        key(&mut app, &["--role", "admin"]);
        let id = id_of(
            &app,
            "SELECT id FROM project WHERE reference = 'GEH-B2H-01'",
        )
        .await;
        let version = app
            .data(
                "query($id: ID!) { project(id: $id) { version } }",
                json!({"id": id}),
            )
            .await["project"]["version"]
            .as_i64()
            .unwrap();
        let update = "mutation($id: ID!, $v: Int!, $t: String!) { updateProject(input: {id: $id, version: $v, title: $t}) { title version } }";
        // Many pairs of writers race on the same version; exactly one of each pair wins.
        let mut version = version;
        for round in 0..5 {
            let a = app.graphql(
                update,
                json!({"id": id, "v": version, "t": format!("A{round}")}),
            );
            let b = app.graphql(
                update,
                json!({"id": id, "v": version, "t": format!("B{round}")}),
            );
            let ((_, a), (_, b)) = tokio::join!(a, b);
            let codes = [code(&a), code(&b)];
            let winners = [&a, &b]
                .iter()
                .filter(|r| r.get("errors").is_none())
                .count();
            assert_eq!(winners, 1, "round {round}: {a} {b}");
            assert!(codes.contains(&"CONFLICT"), "round {round}: {a} {b}");
            version += 1;
            let title = app
                .data(
                    "query($id: ID!) { project(id: $id) { title version } }",
                    json!({"id": id}),
                )
                .await;
            assert_eq!(title["project"]["version"], version);
        }
    }
);

with_demo_app!(
    delivery_partners_cannot_take_projects_over,
    |mut app: TestApp| async move {
        // Denwick Age Friendly Trust delivers GEH-B2H-01, which George Eliot leads.
        key(
            &mut app,
            &["--role", "partner", "--organisation", "GB-CHC-9000097"],
        );
        let id = id_of(
            &app,
            "SELECT id FROM project WHERE reference = 'GEH-B2H-01'",
        )
        .await;
        let own = id_of(
            &app,
            "SELECT id FROM organisation WHERE org_id = 'GB-CHC-9000097'",
        )
        .await;
        let v = app
            .data(
                "query($id: ID!) { project(id: $id) { version } }",
                json!({"id": id}),
            )
            .await["project"]["version"]
            .as_i64()
            .unwrap();
        for input in [json!({"leadOrganisationId": own}), json!({"partners": []})] {
            let mut input = input;
            input["id"] = json!(id);
            input["version"] = json!(v);
            let (_, body) = app
                .graphql(
                    "mutation($i: UpdateProjectInput!) { updateProject(input: $i) { id } }",
                    json!({"i": input}),
                )
                .await;
            assert_eq!(code(&body), "FORBIDDEN", "{input}: {body}");
        }
        // It may still change the project's details, and make projects it leads, not others'.
        let changed = app
        .data(
            "mutation($id: ID!, $v: Int!) { updateProject(input: {id: $id, version: $v, description: \"Now with weekend cover\"}) { version } }",
            json!({"id": id, "v": v}),
        )
        .await;
        assert_eq!(changed["updateProject"]["version"], v + 1);
        let lead = id_of(
            &app,
            "SELECT id FROM organisation WHERE org_id = 'GB-NHS-RLT'",
        )
        .await;
        let create = "mutation($lead: ID!) { createProject(input: {reference: \"DEN-B2H-09\", title: \"T\", leadOrganisationId: $lead,
       primaryStage: LIVING_WELL, setting: HOME, startDate: \"2024-01-01\", nationCode: \"E92000001\", regionCode: \"E40000011\"}) { reference } }";
        let (_, body) = app.graphql(create, json!({"lead": lead})).await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
        let made = app.data(create, json!({"lead": own})).await;
        assert_eq!(made["createProject"]["reference"], "DEN-B2H-09");
    }
);

// A record entered by mistake is withdrawn (admins, with a reason): it leaves every figure and
// list, refuses further moves, and comes back as a draft when recorded again.
with_demo_app!(
    archived_records_leave_the_figures,
    |app: TestApp| async move {
        let mut app = app;
        app.authenticate(&["--role", "admin"]);
        let people =
            "{ impact(filter: {measure: [\"patients_supported\"]}) { figures { value records } } }";
        let total = |data: &Value| {
            (
                data["impact"][0]["figures"][0]["value"]
                    .as_f64()
                    .unwrap_or(0.0),
                data["impact"][0]["figures"][0]["records"]
                    .as_i64()
                    .unwrap_or(0),
            )
        };
        let before = total(&app.data(people, json!({})).await);
        let found = app
        .data(
            "{ outcomeRecords(first: 1, filter: {status: {eq: SUBMITTED}, measureCode: {eq: \"patients_supported\"}}) { nodes { id value project { reference } measure { code } periodStart periodEnd sampleSize dataSource evidenceStrength } } }",
            json!({}),
        )
        .await;
        let mut record = found["outcomeRecords"]["nodes"][0].clone();
        let id = record["id"].clone();
        let (_, body) = app
            .graphql(
                "mutation($ids: [ID!]!) { archiveOutcomes(ids: $ids, reason: \"\") { id } }",
                json!({"ids": [id]}),
            )
            .await;
        assert_eq!(
            code(&body),
            "BAD_USER_INPUT",
            "a reason is required: {body}"
        );
        let done = app
        .data(
            "mutation($ids: [ID!]!) { archiveOutcomes(ids: $ids, reason: \"entered twice\") { id status archivedAt note } }",
            json!({"ids": [id]}),
        )
        .await;
        let archived = &done["archiveOutcomes"][0];
        assert!(archived["archivedAt"].is_string(), "{done}");
        assert_eq!(archived["status"], "SUBMITTED", "the status is kept");
        assert!(
            archived["note"]
                .as_str()
                .unwrap_or_default()
                .contains("Archived: entered twice")
        );
        let listed = app
        .data(
            "query($id: ID!) { outcomeRecords(first: 1, filter: {id: {eq: $id}}) { nodes { id } } }",
            json!({"id": id}),
        )
        .await;
        assert_eq!(
            listed["outcomeRecords"]["nodes"],
            json!([]),
            "archived records do not list"
        );
        // Figures follow at once (read-your-writes).
        assert_eq!(record["measure"]["code"], "patients_supported");
        let value = record["value"].as_f64().unwrap_or(0.0);
        assert_eq!(
            total(&app.data(people, json!({})).await),
            (before.0 - value, before.1 - 1)
        );
        let (_, body) = app
            .graphql(
                "mutation($ids: [ID!]!) { verifyOutcomes(ids: $ids) { id } }",
                json!({"ids": [id]}),
            )
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body.to_string().contains("is archived"), "{body}");
        // Recorded again, without a version (nobody can list it): a draft, the same record.
        record["project"] = record["project"]["reference"].clone();
        record["measure"] = record["measure"]["code"].clone();
        let back = app
        .data(
            "mutation($r: [OutcomeRecordInput!]!) { recordOutcomes(records: $r) { updated records { id status archivedAt } } }",
            json!({"r": [{"project": record["project"], "measure": record["measure"],
                "periodStart": record["periodStart"], "periodEnd": record["periodEnd"],
                "value": record["value"], "sampleSize": record["sampleSize"],
                "dataSource": record["dataSource"], "evidenceStrength": record["evidenceStrength"]}]}),
        )
        .await;
        let restored = &back["recordOutcomes"]["records"][0];
        assert_eq!(restored["id"], id);
        assert_eq!(
            (
                restored["status"].as_str(),
                restored["archivedAt"].is_null()
            ),
            (Some("DRAFT"), true)
        );
        app.data(
            "mutation($ids: [ID!]!) { submitOutcomes(ids: $ids) { id } }",
            json!({"ids": [id]}),
        )
        .await;
        assert_eq!(total(&app.data(people, json!({})).await), before);
    }
);
