//! Query limits over HTTP: aliases, depth, complexity, body size, time, per-key rate; internal
//! errors masked with the request id.

use b2h_api::server::ServerConfig;
use b2h_tests::{TestApp, TestDb, both_backends, with_demo_app};
use serde_json::{Value, json};
use std::time::Duration;

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
}

fn config(change: impl FnOnce(&mut ServerConfig)) -> ServerConfig {
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    change(&mut config);
    config
}

with_demo_app!(documents_are_limited, |app: TestApp| async move {
    // Aliases: 30 pass, 31 do not.
    let aliased = |n: usize| {
        let fields: Vec<String> = (0..n)
            .map(|i| format!("a{i}: campaigns {{ name }}"))
            .collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let (status, body) = app.graphql(&aliased(30), json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app.graphql(&aliased(31), json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "LIMIT_EXCEEDED", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("31 aliases"),
        "{body}"
    );

    // Depth: relations nested past the limit.
    let mut deep = "name".to_owned();
    for _ in 0..9 {
        deep = format!("ledProjects {{ leadOrganisation {{ {deep} }} }}");
    }
    let (status, body) = app
        .graphql(
            &format!("{{ organisations {{ nodes {{ {deep} }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "LIMIT_EXCEEDED", "{body}");

    // Complexity: page sizes multiply.
    let (_, body) = app
        .graphql(
            "{ projects(first: 500) { nodes { outcomeRecords(first: 500) { nodes { value } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "LIMIT_EXCEEDED", "{body}");

    // Body size: 2 MiB at most, refused from the declared length before the body is read.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address.as_str())
        .await
        .unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        3 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 64];
    let n = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
});

both_backends!(requests_are_rate_limited_per_key, |db: TestDb| async move {
    let mut app =
        TestApp::spawn_with(db, false, None, config(|c| c.rate_limit_per_minute = 5)).await;
    for _ in 0..5 {
        let (status, _) = app.graphql("{ campaigns { name } }", json!({})).await;
        assert_eq!(status, 200);
    }
    let (status, body) = app.graphql("{ campaigns { name } }", json!({})).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(code(&body), "LIMIT_EXCEEDED");
    // Another caller (a key) has its own allowance.
    app.authenticate(&["--role", "evaluator"]);
    let (status, _) = app.graphql("{ campaigns { name } }", json!({})).await;
    assert_eq!(status, 200);
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": "{ campaigns { name } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&wait), "{wait}");
});

both_backends!(slow_requests_are_stopped, |db: TestDb| async move {
    // A request of a hundred statements (one per project) against a limit of a millisecond.
    let limit = Duration::from_millis(1);
    let mut app = TestApp::spawn_with(db, true, None, config(|c| c.request_timeout = limit)).await;
    app.authenticate(&["--role", "evaluator"]);
    let (status, body) = app
        .graphql(
            "{ projects(first: 100) { nodes { outcomeRecords(first: 10) { totalCount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(code(&body), "LIMIT_EXCEEDED", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("longer than 0.001 s"),
        "{body}"
    );
});

with_demo_app!(internal_errors_are_masked, |app: TestApp| async move {
    // A database that lost a table: the client learns only that something failed.
    let conn = app.db.connect().await;
    sea_orm::ConnectionTrait::execute_unprepared(&conn, "ALTER TABLE funder RENAME TO funder_gone")
        .await
        .unwrap();
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": "{ funders { nodes { name } } }" }))
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "INTERNAL_SERVER_ERROR", "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["requestId"],
        request_id.as_str()
    );
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert_eq!(
        message,
        format!("internal server error (request id {request_id})")
    );
    let text = body.to_string();
    assert!(
        !text.contains("funder_gone") && !text.contains("relation") && !text.contains("table"),
        "{body}"
    );
});
