//! Lists: Relay connections with keyset cursors, ordering, the filter grammar, limits — the same
//! answers in the same order on SQLite and PostgreSQL.

use b2h_tests::{TestApp, TestBackend, with_demo_app};
use serde_json::{Value, json};

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String, $filter: ProjectFilter, $orderBy: [ProjectOrder!]) {
    projects(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id reference title startDate endDate } }
        nodes { reference }
    } }";

fn references(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["reference"].as_str().unwrap().to_owned())
        .collect()
}

/// Walks a whole list forwards in pages of `size`.
async fn walk(app: &TestApp, size: i64, filter: Value, order: Value) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data(
                PAGE,
                json!({ "first": size, "after": after, "filter": filter, "orderBy": order }),
            )
            .await;
        let page = &data["projects"];
        seen.extend(references(page));
        if page["pageInfo"]["hasNextPage"] != true {
            return seen;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

with_demo_app!(
    pages_cover_the_list_exactly_once,
    |app: TestApp| async move {
        let all = app.data(PAGE, json!({ "first": 500 })).await;
        let everything = references(&all["projects"]);
        assert_eq!(everything.len(), 120);
        assert_eq!(all["projects"]["totalCount"], 120);
        assert_eq!(all["projects"]["nodes"].as_array().unwrap().len(), 120);
        // Default order: title ignoring case, then id.
        let titles: Vec<String> = all["projects"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["title"].as_str().unwrap().to_ascii_lowercase())
            .collect();
        let mut sorted = titles.clone();
        sorted.sort();
        assert_eq!(titles, sorted);
        // Forward in pages of 7, under several orderings including a nullable column.
        for order in [
            json!(null),
            json!([{ "field": "START_DATE", "direction": "DESC" }]),
            json!([{ "field": "END_DATE" }, { "field": "REFERENCE", "direction": "DESC" }]),
        ] {
            let whole = app
                .data(PAGE, json!({ "first": 500, "orderBy": order }))
                .await;
            assert_eq!(
                walk(&app, 7, Value::Null, order.clone()).await,
                references(&whole["projects"]),
                "{order}"
            );
        }
        // Backwards from the end with last/before gives the same list.
        let mut backwards: Vec<String> = Vec::new();
        let mut before = Value::Null;
        loop {
            let data = app.data(PAGE, json!({ "last": 9, "before": before })).await;
            let page = &data["projects"];
            let mut refs = references(page);
            refs.extend(backwards);
            backwards = refs;
            if page["pageInfo"]["hasPreviousPage"] != true {
                break;
            }
            before = page["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(backwards, everything);
    }
);

with_demo_app!(nulls_sort_last_both_ways, |app: TestApp| async move {
    for direction in ["ASC", "DESC"] {
        let data = app.data(PAGE, json!({ "first": 500, "orderBy": [{ "field": "END_DATE", "direction": direction }] })).await;
        let ends: Vec<&Value> = data["projects"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"]["endDate"])
            .collect();
        let first_null = ends
            .iter()
            .position(|e| e.is_null())
            .expect("some projects have no end date");
        assert!(
            ends[first_null..].iter().all(|e| e.is_null()),
            "{direction}: nulls last"
        );
        let dates: Vec<&str> = ends[..first_null]
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        let mut sorted = dates.clone();
        sorted.sort();
        if direction == "DESC" {
            sorted.reverse();
        }
        assert_eq!(dates, sorted, "{direction}");
    }
});

with_demo_app!(cursors_survive_inserts, |app: TestApp| async move {
    let first = app.data(PAGE, json!({ "first": 10 })).await;
    let after = first["projects"]["pageInfo"]["endCursor"].clone();
    let expected =
        references(&app.data(PAGE, json!({ "first": 10, "after": after })).await["projects"]);
    // A project whose title sorts before every other arrives between the two page reads.
    let conn = app.db.connect().await;
    let id = b2h_tests::uuid_sql(app.db.backend, uuid::Uuid::new_v4());
    sea_orm::ConnectionTrait::execute_unprepared(&conn, &format!(
        "INSERT INTO project (id, reference, title, lead_organisation_id, campaign_id, primary_stage, setting, status,
            start_date, nation_code, region_code, volunteer_roles, created_at, updated_at, version)
         SELECT {id}, 'AAA-B2H-01', 'Aaa first project', lead_organisation_id, campaign_id, primary_stage, setting, status,
            start_date, nation_code, region_code, volunteer_roles, created_at, updated_at, 1
         FROM project WHERE reference = 'GEH-B2H-01'")).await.unwrap();
    conn.close().await.ok();
    let again = app.data(PAGE, json!({ "first": 10, "after": after })).await;
    assert_eq!(
        references(&again["projects"]),
        expected,
        "the page after a cursor does not shift"
    );
    assert_eq!(
        app.data(PAGE, json!({ "first": 1 })).await["projects"]["edges"][0]["node"]["reference"],
        "AAA-B2H-01"
    );
});

with_demo_app!(filters, |app: TestApp| async move {
    let count = |filter: Value| {
        let app = &app;
        async move {
            app.data(
                "query($f: ProjectFilter) { projects(filter: $f) { totalCount } }",
                json!({ "f": filter }),
            )
            .await["projects"]["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    let all = count(json!(null)).await;
    // contains and startsWith ignore case; eq does not.
    let home = count(json!({ "title": { "contains": "HOME FROM" } })).await;
    assert!(home > 0);
    assert_eq!(
        home,
        count(json!({ "title": { "contains": "home from" } })).await
    );
    assert_eq!(
        count(json!({ "reference": { "startsWith": "geh-" } })).await,
        count(json!({ "reference": { "startsWith": "GEH-" } })).await
    );
    assert_eq!(
        count(json!({ "reference": { "eq": "geh-b2h-01" } })).await,
        0
    );
    assert_eq!(
        count(json!({ "reference": { "eq": "GEH-B2H-01" } })).await,
        1
    );
    // LIKE wildcards in user text are literal.
    assert_eq!(count(json!({ "title": { "contains": "%" } })).await, 0);
    assert_eq!(count(json!({ "title": { "contains": "_" } })).await, 0);
    // Enum operators and not partition the list.
    let active = count(json!({ "status": { "eq": "ACTIVE" } })).await;
    assert_eq!(
        active + count(json!({ "not": { "status": { "eq": "ACTIVE" } } })).await,
        all
    );
    assert_eq!(
        count(json!({ "status": { "ne": "ACTIVE" } })).await,
        all - active
    );
    assert_eq!(
        count(json!({ "status": { "in": ["PAUSED", "COMPLETED", "PLANNED"] } })).await,
        all - active
    );
    // Any stage matches further stages too: at least as many as by primary stage.
    let primary = count(json!({ "primaryStage": { "eq": "LIVING_WELL" } })).await;
    let any = count(json!({ "stage": { "eq": "LIVING_WELL" } })).await;
    assert!(any > primary && primary > 0, "{any} > {primary}");
    // or and and.
    let london = count(json!({ "region": { "eq": "E40000003" } })).await;
    let wales = count(json!({ "nation": { "eq": "W92000004" } })).await;
    assert_eq!(count(json!({ "or": [{ "region": { "eq": "E40000003" } }, { "nation": { "eq": "W92000004" } }] })).await, london + wales);
    assert_eq!(count(json!({ "and": [{ "region": { "eq": "E40000003" } }, { "nation": { "eq": "W92000004" } }] })).await, 0);
    assert_eq!(
        count(json!({ "region": { "isNull": true } })).await,
        count(json!({ "nation": { "ne": "E92000001" } })).await
    );
    // Dates.
    let early = count(json!({ "startDate": { "lt": "2023-01-01" } })).await;
    assert_eq!(
        early + count(json!({ "startDate": { "gte": "2023-01-01" } })).await,
        all
    );
    // Through relations: by funder, by lead and by partner organisation.
    let funders = app.data("{ projects(first: 1, filter: { reference: { eq: \"GEH-B2H-01\" } }) { nodes { leadOrganisation { id } } } }", json!({})).await;
    let lead = funders["projects"]["nodes"][0]["leadOrganisation"]["id"].clone();
    let led = count(json!({ "leadOrganisation": { "eq": lead } })).await;
    assert!(led >= 1);
    assert!(
        count(json!({ "partnerOrganisation": { "eq": lead } })).await >= led,
        "a lead is a partner"
    );
    let conn = app.db.connect().await;
    let funder_rows = b2h_tests::rows(&conn, "SELECT f.id AS id, COUNT(DISTINCT a.project_id) AS n FROM funder f
        JOIN grant_award g ON g.funder_id = f.id JOIN grant_allocation a ON a.grant_id = g.id GROUP BY f.id ORDER BY f.id").await;
    conn.close().await.ok();
    for row in funder_rows {
        assert_eq!(
            count(json!({ "funder": { "eq": row["id"] } })).await,
            row["n"].as_i64().unwrap()
        );
    }
});

with_demo_app!(organisation_lists, |app: TestApp| async move {
    let data = app.data("{ organisations(first: 500, filter: { kind: { in: [NHS_TRUST] }, region: { eq: \"E40000011\" } }) {
        totalCount nodes { name kind region { code } } } }", json!({})).await;
    let nodes = data["organisations"]["nodes"].as_array().unwrap();
    assert_eq!(
        nodes.len() as i64,
        data["organisations"]["totalCount"].as_i64().unwrap()
    );
    assert!(
        nodes
            .iter()
            .any(|n| n["name"] == "George Eliot Hospital NHS Trust")
    );
    assert!(
        nodes
            .iter()
            .all(|n| n["kind"] == "NHS_TRUST" && n["region"]["code"] == "E40000011")
    );
    let names: Vec<String> = nodes
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
});

with_demo_app!(bad_arguments_are_user_errors, |app: TestApp| async move {
    for (variables, message) in [
        (json!({ "first": 501 }), "at most 500"),
        (json!({ "first": -1 }), "must not be negative"),
        (json!({ "first": 1, "last": 1 }), "not both"),
        (json!({ "after": "not-a-cursor" }), "is not a cursor"),
        (json!({ "after": "W10" }), "is not a cursor"),
        (
            json!({ "filter": { "id": { "eq": "nope" } } }),
            "not a valid id",
        ),
    ] {
        let (status, body) = app.graphql(PAGE, variables.clone()).await;
        assert_eq!(status, 200, "{variables}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{variables}: {body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{variables}: {body}"
        );
    }
    // An unknown enum value is rejected before execution.
    let (status, body) = app
        .graphql(
            "{ projects(filter: { status: { eq: CANCELLED } }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
});

/// Both backends give the same rows in the same order (the seeds are identical to the id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_answers_on_both_backends() {
    let Some(pg) = TestApp::demo(TestBackend::Postgres).await else {
        return;
    };
    let sqlite = TestApp::demo(TestBackend::Sqlite).await.expect("sqlite");
    let query = "query($o: [ProjectOrder!], $f: ProjectFilter) { projects(first: 500, orderBy: $o, filter: $f) { edges { cursor node { id } } } }";
    for (order, filter) in [
        (json!(null), json!(null)),
        (
            json!([{ "field": "STATUS" }, { "field": "END_DATE", "direction": "DESC" }]),
            json!(null),
        ),
        (
            json!([{ "field": "UPDATED_AT", "direction": "DESC" }]),
            json!({ "title": { "contains": "service" } }),
        ),
        (
            json!([{ "field": "REFERENCE" }]),
            json!({ "or": [{ "stage": { "eq": "WAITING_WELL" } }, { "setting": { "eq": "HOME" } }] }),
        ),
    ] {
        let a = sqlite.data(query, json!({ "o": order, "f": filter })).await;
        let b = pg.data(query, json!({ "o": order, "f": filter })).await;
        assert_eq!(a, b, "{order} {filter}");
    }
}
