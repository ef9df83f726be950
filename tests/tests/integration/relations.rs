//! Nested relations both ways, loaded in batches: the number of SQL statements of a request does
//! not grow with the rows it returns.

use b2h_tests::{TestApp, TestBackend, TestDb, both_backends, with_demo_app};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const NESTED: &str = "query($first: Int) { projects(first: $first) { nodes {
    reference
    leadOrganisation { name region { name nation { name } } }
    stages { stage isPrimary }
    partners { role organisation { name kind } }
    grantAllocations { amount currency grant { identifier amountAwarded funder { name } recipientOrganisation { name } } }
    latestOutcomeRecords { periodEnd value status measure { code aggregation } }
} } }";

both_backends!(
    a_mutations_answer_is_read_as_a_querys,
    |db: TestDb| async move {
        let counter = Arc::new(AtomicUsize::new(0));
        let mut app = TestApp::spawn_counting(db, true, Some(counter.clone())).await;
        app.authenticate(&["--role", "admin"]);
        let selection = "reference title
            leadOrganisation { name region { name nation { name } } }
            stages { stage isPrimary }
            partners { role organisation { name kind } }
            grantAllocations { amount grant { identifier funder { name } } }";
        let found = app
            .data(
                &format!("{{ project(reference: \"GEH-B2H-01\") {{ id version {selection} }} }}"),
                json!({}),
            )
            .await;
        let project = &found["project"];
        let update = |version: i64, title: &str, payload: &str| {
            (
                format!(
                    "mutation($id: ID!) {{ updateProject(input: {{id: $id, version: {version}, title: \"{title}\"}}) {{ {payload} }} }}"
                ),
                json!({ "id": project["id"] }),
            )
        };
        // Once, so that the key's last use is recorded before counting.
        let (query, variables) = update(project["version"].as_i64().unwrap(), "Checked once", "id");
        app.data(&query, variables).await;
        let version = project["version"].as_i64().unwrap() + 1;
        counter.store(0, Ordering::SeqCst);
        let (query, variables) = update(version, "Checked twice", "id");
        app.data(&query, variables).await;
        let shallow = counter.swap(0, Ordering::SeqCst);
        let (query, variables) = update(version + 1, "Checked three times", selection);
        let written = app.data(&query, variables).await;
        let deep = counter.load(Ordering::SeqCst);
        // The payload is read back by the planner in one statement, however deep.
        assert_eq!(shallow, deep, "statements of the write and its answer");
        let mut expected = project.clone();
        let expected = expected.as_object_mut().unwrap();
        expected.remove("id");
        expected.remove("version");
        expected.insert("title".into(), json!("Checked three times"));
        assert_eq!(written["updateProject"], json!(expected));
    }
);

with_demo_app!(
    a_kept_statement_answers_its_reader_alone,
    |mut app: TestApp| async move {
        // The planner keeps a read's statement for the next request that asks the same; what
        // a reader may see is compiled into it, so it must never answer another reader, and
        // the rows are read afresh each time.
        let other = app
            .data(
                "{ project(reference: \"ASH-B2H-01\") { leadOrganisation { id } } }",
                json!({}),
            )
            .await;
        let other = other["project"]["leadOrganisation"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut keys = Vec::new();
        for args in [
            vec!["--role", "partner", "--organisation", "GB-NHS-RLT"],
            vec!["--role", "partner", "--organisation", other.as_str()],
            vec!["--role", "evaluator"],
            vec!["--role", "admin"],
        ] {
            app.authenticate(&args);
            keys.push(app.key.clone().unwrap());
        }
        let records =
            "{ outcomeRecords(first: 500) { totalCount nodes { id project { reference } } } }";
        let read = |key: usize, query: &'static str| {
            let app = &app;
            let key = keys[key].clone();
            async move {
                let (status, body) = app.graphql_as(Some(&key), query, json!({})).await;
                assert!(
                    status.is_success() && body.get("errors").is_none(),
                    "{body:#}"
                );
                body["data"].clone()
            }
        };
        let first = read(0, records).await;
        let other = read(1, records).await;
        let evaluator = read(2, records).await;
        assert_eq!(
            read(0, records).await,
            first,
            "the same reader, asked again"
        );
        assert_eq!(
            read(1, records).await,
            other,
            "the other reader, asked again"
        );
        assert_ne!(first, other, "two partners see different records");
        let total = |data: &Value| data["outcomeRecords"]["totalCount"].as_i64().unwrap();
        assert!(
            total(&first) < total(&evaluator),
            "{} {}",
            total(&first),
            total(&evaluator)
        );
        assert!(total(&first) > 0);
        // The same question spelled otherwise is compiled afresh, and answers the same.
        let respelled = "query { outcomeRecords(first: 500) { totalCount nodes { id project { reference } } } }";
        assert_eq!(read(0, respelled).await, first);
        // A kept statement reads what is there now.
        let title = "{ project(reference: \"GEH-B2H-01\") { id version title } }";
        let before = read(2, title).await;
        assert_eq!(read(2, title).await, before);
        let (status, body) = app
            .graphql_as(
                Some(&keys[3]),
                "mutation($id: ID!, $version: Int!) { updateProject(input: {id: $id, version: $version, title: \"Kept statement, new title\"}) { id } }",
                json!({ "id": before["project"]["id"], "version": before["project"]["version"] }),
            )
            .await;
        assert!(
            status.is_success() && body.get("errors").is_none(),
            "{body:#}"
        );
        assert_eq!(
            read(2, title).await["project"]["title"],
            "Kept statement, new title"
        );
    }
);

both_backends!(
    nested_queries_do_not_multiply_statements,
    |db: TestDb| async move {
        let counter = Arc::new(AtomicUsize::new(0));
        let mut app = TestApp::spawn_counting(db, true, Some(counter.clone())).await;
        app.authenticate(&["--role", "evaluator"]);
        // Once, so that the key's last use is recorded before counting.
        app.data(NESTED, json!({ "first": 1 })).await;
        let mut counts = Vec::new();
        for first in [5, 50, 120] {
            counter.store(0, Ordering::SeqCst);
            let data = app.data(NESTED, json!({ "first": first })).await;
            assert_eq!(
                data["projects"]["nodes"].as_array().unwrap().len(),
                first as usize
            );
            counts.push(counter.load(Ordering::SeqCst));
        }
        assert_eq!(
            counts[0], counts[1],
            "5 and 50 projects take the same statements: {counts:?}"
        );
        assert_eq!(counts[1], counts[2], "{counts:?}");
        // The key, then the page with every relation of the query in it (the read planner),
        // whatever the rows.
        assert_eq!(counts[0], 2, "{counts:?}");
    }
);

with_demo_app!(relations_both_ways, |app: TestApp| async move {
    let data = app.data("{ projects(first: 1, filter: { reference: { eq: \"GEH-B2H-01\" } }) { nodes {
        stages { stage isPrimary } partners { role organisation { name } }
        grantAllocations { amount grant { identifier funder { name } allocations { project { reference } } } } } } }", json!({})).await;
    let geh = &data["projects"]["nodes"][0];
    assert_eq!(
        geh["stages"][0],
        json!({ "stage": "RECOVERING_WELL", "isPrimary": true })
    );
    assert!(
        geh["stages"].as_array().unwrap()[1..]
            .iter()
            .all(|s| s["isPrimary"] == false)
    );
    let lead: Vec<&Value> = geh["partners"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["role"] == "LEAD")
        .collect();
    assert_eq!(lead.len(), 1);
    assert_eq!(
        lead[0]["organisation"]["name"],
        "George Eliot Hospital NHS Trust"
    );
    for allocation in geh["grantAllocations"].as_array().unwrap() {
        let back: Vec<&str> = allocation["grant"]["allocations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["project"]["reference"].as_str().unwrap())
            .collect();
        assert!(
            back.contains(&"GEH-B2H-01"),
            "the grant leads back to the project: {back:?}"
        );
    }

    // Organisation -> led projects and grants received, and back.
    let data = app.data("{ organisations(first: 1, filter: { orgId: { eq: \"GB-NHS-RLT\" } }) { nodes { name
        ledProjects { reference leadOrganisation { orgId } } grantsReceived { identifier recipientOrganisation { orgId } } } } }", json!({})).await;
    let geh = &data["organisations"]["nodes"][0];
    let led = geh["ledProjects"].as_array().unwrap();
    assert!(led.iter().any(|p| p["reference"] == "GEH-B2H-01"));
    assert!(
        led.iter()
            .all(|p| p["leadOrganisation"]["orgId"] == "GB-NHS-RLT")
    );
    assert!(
        geh["grantsReceived"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["recipientOrganisation"]["orgId"] == "GB-NHS-RLT")
    );

    // Funder -> grants -> allocations -> projects; amounts are exact decimals.
    let data = app.data("{ funders(first: 10) { totalCount nodes { name grants { identifier amountAwarded currency
        allocations { amount project { reference } } } } } }", json!({})).await;
    let funders = data["funders"]["nodes"].as_array().unwrap();
    assert_eq!(data["funders"]["totalCount"], 5);
    assert_eq!(funders[0]["name"], "Burdett Trust for Nursing", "by name");
    let conn = app.db.connect().await;
    let pence = b2h_tests::scalar_i64(
        &conn,
        "SELECT CAST(SUM(amount_awarded) AS BIGINT) FROM grant_award",
    )
    .await;
    conn.close().await.ok();
    let mut total = 0i64;
    for funder in funders {
        for grant in funder["grants"].as_array().unwrap() {
            let amount = grant["amountAwarded"].as_str().unwrap();
            let (pounds, p) = amount.split_once('.').unwrap();
            assert_eq!(p.len(), 2, "{amount}");
            total += pounds.parse::<i64>().unwrap() * 100 + p.parse::<i64>().unwrap();
            assert_eq!(grant["currency"], "GBP");
            assert!(grant["identifier"].as_str().unwrap().starts_with("360G-"));
        }
    }
    assert_eq!(total, pence);
});

with_demo_app!(grant_lists, |app: TestApp| async move {
    let data = app.data("{ grants(first: 500, orderBy: [{ field: AMOUNT_AWARDED, direction: DESC }]) { totalCount nodes { identifier amountAwarded awardDate funder { id name } } } }", json!({})).await;
    let grants = data["grants"]["nodes"].as_array().unwrap();
    assert_eq!(
        grants.len() as i64,
        data["grants"]["totalCount"].as_i64().unwrap()
    );
    let amounts: Vec<f64> = grants
        .iter()
        .map(|g| g["amountAwarded"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "largest first");
    let oak = grants
        .iter()
        .find(|g| g["funder"]["name"] == "Oak Foundation")
        .unwrap()["funder"]["id"]
        .clone();
    let by_funder = app.data("query($f: ID!) { grants(filter: { funder: { eq: $f } }) { totalCount nodes { funder { name } } } }", json!({ "f": oak })).await;
    assert!(
        by_funder["grants"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["funder"]["name"] == "Oak Foundation")
    );
    assert_eq!(
        by_funder["grants"]["totalCount"].as_i64().unwrap(),
        grants
            .iter()
            .filter(|g| g["funder"]["name"] == "Oak Foundation")
            .count() as i64
    );
    let early = app.data("{ grants(filter: { awardDate: { lt: \"2022-06-01\" } }, first: 500) { nodes { awardDate } } }", json!({})).await;
    assert!(
        early["grants"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["awardDate"].as_str().unwrap() < "2022-06-01")
    );
    // Lookup by id, unknown and malformed.
    let id = grants[0]["identifier"].clone();
    let one = app
        .data(
            "query($i: String!) { grants(filter: { identifier: { eq: $i } }) { nodes { id } } }",
            json!({ "i": id }),
        )
        .await;
    let grant_id = one["grants"]["nodes"][0]["id"].clone();
    let found = app
        .data(
            "query($id: ID!) { grant(id: $id) { identifier } }",
            json!({ "id": grant_id }),
        )
        .await;
    assert_eq!(found["grant"]["identifier"], id);
    let missing = app
        .data(
            "{ grant(id: \"00000000-0000-4000-8000-000000000000\") { identifier } }",
            json!({}),
        )
        .await;
    assert_eq!(missing["grant"], Value::Null);
});

#[tokio::test]
async fn same_nested_answers_on_both_backends() {
    let Some(pg) = TestApp::demo(TestBackend::Postgres).await else {
        return;
    };
    let mut pg = pg;
    pg.authenticate(&["--role", "admin"]);
    let mut sqlite = TestApp::demo(TestBackend::Sqlite).await.expect("sqlite");
    sqlite.authenticate(&["--role", "admin"]);
    let a = sqlite.data(NESTED, json!({ "first": 120 })).await;
    let b = pg.data(NESTED, json!({ "first": 120 })).await;
    assert_eq!(a, b);
}

with_demo_app!(outcome_records, |app: TestApp| async move {
    let mut app = app;
    app.authenticate(&["--role", "evaluator"]);
    // The latest counted record of each measure of a project, never a draft.
    let data = app
        .data(
            "{ projects(filter: { reference: { eq: \"GEH-B2H-01\" } }) { nodes { id
        latestOutcomeRecords { periodEnd value sampleSize status measure { code } } } } }",
            json!({}),
        )
        .await;
    let project = &data["projects"]["nodes"][0];
    let latest = project["latestOutcomeRecords"].as_array().unwrap();
    assert!(latest.len() >= 5, "{latest:?}");
    let codes: Vec<&str> = latest
        .iter()
        .map(|r| r["measure"]["code"].as_str().unwrap())
        .collect();
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), codes.len(), "one record per measure");
    assert!(latest.iter().all(|r| r["status"] != "DRAFT"));
    let conn = app.db.connect().await;
    let newest = b2h_tests::rows(
        &conn,
        "SELECT MAX(r.period_end) AS last FROM outcome_record r
        JOIN project p ON p.id = r.project_id JOIN outcome_measure m ON m.id = r.measure_id
        WHERE p.reference = 'GEH-B2H-01' AND m.code = 'patients_supported' AND r.status <> 'draft'",
    )
    .await;
    conn.close().await.ok();
    let patients = latest
        .iter()
        .find(|r| r["measure"]["code"] == "patients_supported")
        .unwrap();
    assert!(
        newest[0]["last"]
            .as_str()
            .unwrap()
            .starts_with(patients["periodEnd"].as_str().unwrap())
    );

    // The list, filtered by project, measure code, status and period, paged by period end.
    let query = "query($p: ID!, $after: String) { outcomeRecords(first: 10, after: $after,
        filter: { project: { eq: $p }, measureCode: { eq: \"wellbeing_improved_pct\" }, status: { in: [SUBMITTED, VERIFIED] },
                  periodEnd: { gte: \"2023-01-01\" } }) {
        totalCount pageInfo { hasNextPage endCursor } nodes { periodEnd value sampleSize status measure { code } } } }";
    let mut after = Value::Null;
    let mut seen = Vec::new();
    let mut total;
    loop {
        let page = app
            .data(query, json!({ "p": project["id"], "after": after }))
            .await;
        let records = &page["outcomeRecords"];
        total = records["totalCount"].as_i64().unwrap();
        for r in records["nodes"].as_array().unwrap() {
            assert_eq!(r["measure"]["code"], "wellbeing_improved_pct");
            assert!(r["sampleSize"].as_i64().unwrap() > 0);
            assert!(r["periodEnd"].as_str().unwrap() >= "2023-01-01");
            seen.push(r["periodEnd"].as_str().unwrap().to_owned());
        }
        if records["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = records["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len() as i64, total);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "by period end");

    // The same records through the project: its own connection gives the same rows and order.
    let nested = app
        .data(
            "query($p: ID!) { project(id: $p) { reference outcomeRecords(first: 500,
            filter: { measureCode: { eq: \"wellbeing_improved_pct\" }, status: { in: [SUBMITTED, VERIFIED] },
                      periodEnd: { gte: \"2023-01-01\" } }) { totalCount nodes { periodEnd project { reference } } } } }",
            json!({ "p": project["id"] }),
        )
        .await;
    let records = &nested["project"]["outcomeRecords"];
    assert_eq!(records["totalCount"].as_i64().unwrap(), total);
    let periods: Vec<&str> = records["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|r| assert_eq!(r["project"]["reference"], "GEH-B2H-01"))
        .map(|r| r["periodEnd"].as_str().unwrap())
        .collect();
    assert_eq!(periods, seen);
    // All of the project's records, drafts included, newest first, a page at a time.
    let all = app
        .data(
            "query($p: ID!) { project(id: $p) { outcomeRecords(first: 3, orderBy: [{ field: PERIOD_END, direction: DESC }]) {
            totalCount pageInfo { hasNextPage } nodes { periodEnd } } } }",
            json!({ "p": project["id"] }),
        )
        .await;
    let conn = app.db.connect().await;
    let count = b2h_tests::scalar_i64(
        &conn,
        "SELECT COUNT(*) FROM outcome_record r JOIN project p ON p.id = r.project_id WHERE p.reference = 'GEH-B2H-01'",
    )
    .await;
    conn.close().await.ok();
    let records = &all["project"]["outcomeRecords"];
    assert_eq!(records["totalCount"].as_i64().unwrap(), count);
    assert_eq!(records["pageInfo"]["hasNextPage"], true);
    let periods: Vec<&str> = records["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["periodEnd"].as_str().unwrap())
        .collect();
    assert_eq!(periods.len(), 3);
    assert!(
        periods.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {periods:?}"
    );
});

with_demo_app!(
    a_projects_record_pages_are_the_lists,
    |app: TestApp| async move {
        let mut app = app;
        app.authenticate(&["--role", "evaluator"]);
        let project = app
            .data("{ project(reference: \"GEH-B2H-01\") { id } }", json!({}))
            .await["project"]["id"]
            .clone();
        let page = "query($p: ID!, $first: Int, $after: String, $last: Int, $before: String) {
        project(id: $p) { outcomeRecords(first: $first, after: $after, last: $last, before: $before,
          orderBy: [{ field: CREATED_AT, direction: DESC }]) {
          totalCount edges { cursor node { id } } nodes { id value }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }";
        let list = "query($p: ID!, $first: Int, $after: String, $last: Int, $before: String) {
        outcomeRecords(first: $first, after: $after, last: $last, before: $before,
          filter: { project: { eq: $p } }, orderBy: [{ field: CREATED_AT, direction: DESC }]) {
          totalCount edges { cursor node { id } } nodes { id value }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
        // The project's page (compiled into its statement) equals the top-level list's page,
        // cursor for cursor.
        let both = |vars: Value| {
            let app = &app;
            async move {
                let nested =
                    app.data(page, vars.clone()).await["project"]["outcomeRecords"].clone();
                let top = app.data(list, vars.clone()).await["outcomeRecords"].clone();
                assert_eq!(nested, top, "{vars}");
                nested
            }
        };
        // Forward through every page.
        let mut after = Value::Null;
        let mut ids = Vec::new();
        let end = loop {
            let nested = both(json!({ "p": project, "first": 7, "after": after })).await;
            for edge in nested["edges"].as_array().unwrap() {
                ids.push(edge["node"]["id"].as_str().unwrap().to_owned());
            }
            after = nested["pageInfo"]["endCursor"].clone();
            if nested["pageInfo"]["hasNextPage"] != true {
                break after;
            }
        };
        let all = both(json!({ "p": project })).await;
        assert_eq!(ids.len() as i64, all["totalCount"].as_i64().unwrap());
        assert!(ids.len() > 7, "several pages: {}", ids.len());
        // Backward from the end; past the end, an empty page.
        let back = both(json!({ "p": project, "last": 5, "before": end })).await;
        assert_eq!(back["pageInfo"]["hasNextPage"], true);
        assert_eq!(back["nodes"].as_array().unwrap().len(), 5);
        let past = both(json!({ "p": project, "first": 3, "after": end })).await;
        assert_eq!(past["nodes"], json!([]));
        assert_eq!(past["pageInfo"]["startCursor"], Value::Null);
    }
);
