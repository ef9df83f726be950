//! The GraphQL API over HTTP: reference data, lookups by id, errors and HTTP semantics.

use b2h_tests::{TestApp, with_demo_app};
use serde_json::{Value, json};

#[test]
fn schema_file_is_current() {
    let run = b2h_tests::b2h_with(&["schema"], &[], None).ok();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == run.stdout,
        "schema.graphql is stale: regenerate it with `cargo run -q -- schema > schema.graphql`"
    );
}

#[test]
fn every_type_and_field_is_described() {
    let sdl = b2h_api::graphql::sdl();
    // A field or type line not preceded by a description block.
    let lines: Vec<&str> = sdl.lines().collect();
    let mut in_schema_block = false;
    let mut in_description = false;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        // Lines inside a multi-line description are text, not definitions.
        if t == "\"\"\"" {
            in_description = !in_description;
            continue;
        }
        if in_description {
            continue;
        }
        if t.starts_with("schema ") || t.starts_with("directive ") {
            in_schema_block = t.ends_with('{');
            continue;
        }
        if in_schema_block {
            in_schema_block = t != "}";
            continue;
        }
        let is_definition = t.starts_with("type ")
            || t.starts_with("enum ")
            || t.starts_with("input ")
            || t.starts_with("scalar ");
        let is_field = line.starts_with('\t')
            && (t.contains(':') || t.ends_with('('))
            && !t.starts_with('"')
            && !t.starts_with(')');
        if (is_definition && !t.starts_with("type Query")) || is_field {
            let previous = if i > 0 { lines[i - 1].trim() } else { "" };
            assert!(
                previous.ends_with("\"\"\"") || previous.ends_with('"'),
                "undocumented: {t}"
            );
        }
    }
}

with_demo_app!(reference_data, |app: TestApp| async move {
    let data = app
        .data(
            "{ nations { code name } regions { code odsCode name nation { code } }
               campaigns { name targetPeople startDate targetDate }
               outcomeMeasures { code aggregation unit beneficiary countsTowardTarget } }",
            json!({}),
        )
        .await;
    assert_eq!(data["nations"].as_array().unwrap().len(), 4);
    assert_eq!(
        data["regions"][0],
        json!({ "code": "E40000003", "odsCode": "Y56", "name": "London", "nation": { "code": "E92000001" } })
    );
    assert_eq!(
        data["campaigns"][0],
        json!({ "name": "Back to Health", "targetPeople": 1000000, "startDate": "2022-03-01", "targetDate": "2025-03-31" })
    );
    let measures = data["outcomeMeasures"].as_array().unwrap();
    let active = measures
        .iter()
        .find(|m| m["code"] == "active_volunteers")
        .unwrap();
    assert_eq!(active["aggregation"], "LATEST");
    let wellbeing = measures
        .iter()
        .find(|m| m["code"] == "wellbeing_improved_pct")
        .unwrap();
    assert_eq!(wellbeing["aggregation"], "WEIGHTED_MEAN");
    assert_eq!(wellbeing["unit"], "PERCENT");
    assert_eq!(
        measures
            .iter()
            .filter(|m| m["countsTowardTarget"] == true)
            .count(),
        3
    );
});

with_demo_app!(lookup_by_id, |app: TestApp| async move {
    let conn = app.db.connect().await;
    let id = b2h_tests::rows(
        &conn,
        "SELECT id FROM project WHERE reference = 'GEH-B2H-01'",
    )
    .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    conn.close().await.ok();
    let query = "query($id: ID!) { project(id: $id) { id reference title primaryStage status startDate
        leadOrganisation { name orgId kind region { name } } region { code } nation { name } campaign { name } volunteerRoles } }";
    let data = app.data(query, json!({ "id": id })).await;
    let project = &data["project"];
    assert_eq!(project["id"], Value::String(id));
    assert_eq!(project["reference"], "GEH-B2H-01");
    assert_eq!(project["primaryStage"], "RECOVERING_WELL");
    assert_eq!(
        project["leadOrganisation"],
        json!({ "name": "George Eliot Hospital NHS Trust", "orgId": "GB-NHS-RLT", "kind": "NHS_TRUST", "region": { "name": "Midlands" } })
    );
    assert_eq!(project["region"]["code"], "E40000011");
    assert_eq!(project["campaign"]["name"], "Back to Health");
    assert!(!project["volunteerRoles"].as_array().unwrap().is_empty());

    // A well-formed id that names nothing is null, not an error.
    let unknown = app
        .data(
            query,
            json!({ "id": "00000000-0000-4000-8000-000000000000" }),
        )
        .await;
    assert_eq!(unknown["project"], Value::Null);
    // A malformed id is the client's error.
    let (status, body) = app.graphql(query, json!({ "id": "GEH-B2H-01" })).await;
    assert_eq!(status, 200, "a field error still has data: {body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a valid id")
    );
});

with_demo_app!(http_semantics, |app: TestApp| async move {
    let url = format!("{}/graphql", app.base);
    let client = &app.client;
    // GET runs queries.
    let response = client
        .get(&url)
        .header("accept", "application/json")
        .query(&[("query", "{ campaigns { name } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["campaigns"][0]["name"], "Back to Health");
    // …but never mutations.
    let response = client
        .get(&url)
        .query(&[("query", "mutation { x }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    // The media type follows Accept.
    for (accept, expected) in [
        (
            "application/graphql-response+json",
            "application/graphql-response+json",
        ),
        ("application/json", "application/json"),
        (
            "application/json;q=0.5, application/graphql-response+json",
            "application/graphql-response+json",
        ),
    ] {
        let response = client
            .post(&url)
            .header("accept", accept)
            .json(&json!({ "query": "{ nations { code } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(expected),
            "{accept}"
        );
    }
    let response = client
        .post(&url)
        .header("accept", "text/plain")
        .json(&json!({ "query": "{ nations { code } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 406);
    // A syntax error is a request error: 400 under graphql-response+json, 200 under application/json.
    let (status, body) = app.graphql("{ nations { code }", json!({})).await;
    assert_eq!(status, 400);
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let response = client
        .post(&url)
        .header("accept", "application/json")
        .json(&json!({ "query": "{ nations { code }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // A missing required variable is a request error too.
    let (status, body) = app
        .graphql("query($id: ID!) { project(id: $id) { id } }", json!({}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("$id"),
        "{body}"
    );
    assert!(body.get("data").is_none());
    // So is a variable of the wrong type, or an enum value the schema does not have.
    for (query, variables, named) in [
        (
            "query($f: Int) { projects(first: $f) { totalCount } }",
            json!({ "f": "ten" }),
            "Int",
        ),
        (
            "query($f: ProjectFilter) { projects(filter: $f) { totalCount } }",
            json!({ "f": { "status": { "eq": "PAUSED_FOREVER" } } }),
            "PAUSED_FOREVER",
        ),
    ] {
        let (status, body) = app.graphql(query, variables).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.get("data").is_none(), "{body}");
        assert!(body.to_string().contains(named), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
    // Unknown fields are request errors too.
    let (status, body) = app.graphql("{ nations { population } }", json!({})).await;
    assert_eq!(status, 400, "{body}");
    // Bodies that are not GraphQL requests in JSON.
    let response = client
        .post(&url)
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let response = client
        .post(&url)
        .header("content-type", "text/plain")
        .body("{ nations { code } }")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
});

with_demo_app!(
    graphiql_is_served_without_a_cdn,
    |app: TestApp| async move {
        let url = format!("{}/graphql", app.base);
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        let page = app
            .client
            .get(&url)
            .header("accept", browser)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = page.text().await.unwrap();
        assert!(html.contains("graphiql.min.js"), "{html}");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no external resources: {html}"
        );
        for asset in [
            "graphiql.min.js",
            "graphiql.min.css",
            "react.production.min.js",
            "react-dom.production.min.js",
            "start.js",
        ] {
            assert!(html.contains(asset), "{asset} referenced");
            let response = app
                .client
                .get(format!("{url}/assets/{asset}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{asset}");
            assert!(response.bytes().await.unwrap().len() > 500, "{asset}");
        }
        assert_eq!(
            app.client
                .get(format!("{url}/assets/secrets.txt"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        // A browser GET with a query still gets data.
        let data = app
            .client
            .get(&url)
            .header("accept", "application/json")
            .query(&[("query", "{ nations { code } }")])
            .send()
            .await
            .unwrap();
        assert_eq!(data.status(), 200);
    }
);

with_demo_app!(
    graphiql_introspection_is_allowed,
    |app: TestApp| async move {
        // The shape of graphql-js's getIntrospectionQuery(), which GraphiQL sends on load.
        let type_ref = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }";
        let query = format!(
        "query IntrospectionQuery {{ __schema {{ queryType {{ name }} mutationType {{ name }} types {{ ...FullType }}
           directives {{ name description locations args {{ ...InputValue }} }} }} }}
         fragment FullType on __Type {{ kind name description
           fields(includeDeprecated: true) {{ name description args {{ ...InputValue }} type {{ ...TypeRef }} isDeprecated deprecationReason }}
           inputFields {{ ...InputValue }} interfaces {{ ...TypeRef }}
           enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }} possibleTypes {{ ...TypeRef }} }}
         fragment InputValue on __InputValue {{ name description type {{ ...TypeRef }} defaultValue }}
         fragment TypeRef on __Type {{ {type_ref} }}"
    );
        let data = app.data(&query, serde_json::json!({})).await;
        assert!(data["__schema"]["types"].as_array().unwrap().len() > 40);
    }
);

with_demo_app!(automatic_persisted_queries, |app: TestApp| async move {
    use sha2::{Digest, Sha256};
    let url = format!("{}/graphql", app.base);
    let query = "{ regions { code name } }";
    let hash: String = Sha256::digest(query.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let apq = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let post = |body: Value| {
        let request = app.client.post(&url).json(&body);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    // An unknown hash asks the client to send the query along.
    let (status, body) = post(json!({ "extensions": apq })).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    // With the query, it is registered and answered...
    let (_, full) = post(json!({ "query": query, "extensions": apq })).await;
    assert_eq!(
        full["data"]["regions"].as_array().unwrap().len(),
        7,
        "{full}"
    );
    // ...and from then on the hash alone does, by POST and by GET.
    let (_, by_hash) = post(json!({ "extensions": apq })).await;
    assert_eq!(by_hash, full);
    let response = app
        .client
        .get(&url)
        .header("accept", "application/json")
        .query(&[("extensions", apq.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), full);
    // A hash that is not the query's is refused, and so is another protocol version.
    let wrong = json!({ "persistedQuery": { "version": 1, "sha256Hash": "00".repeat(32) } });
    let (_, body) = post(json!({ "query": query, "extensions": wrong })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sha256Hash"),
        "{body}"
    );
    let v2 = json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } });
    let (_, body) = post(json!({ "query": query, "extensions": v2 })).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("version 2"),
        "{body}"
    );
});
