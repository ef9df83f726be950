//! HTTP caching of GraphQL reads sent by GET: tagged by the change feed, per reader, document,
//! variables and media type; a held tag is a 304 that costs one statement.

use b2h_tests::{TestApp, TestDb, both_backends};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One GET of `query` (and `variables`), with `key` and the tag `held`, if any.
async fn get(
    app: &TestApp,
    query: &str,
    variables: Value,
    key: Option<&str>,
    held: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let mut request = app
        .client
        .get(format!("{}/graphql", app.base))
        .header("accept", "application/graphql-response+json")
        .query(&[("query", query), ("variables", &variables.to_string())]);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(tag) = held {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn tag_of(headers: &HeaderMap) -> String {
    headers
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no ETag in {headers:?}"))
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers.get(name).map_or("", |v| v.to_str().unwrap_or(""))
}

fn key(app: &mut TestApp, args: &[&str]) -> String {
    app.authenticate(args);
    app.key.take().unwrap()
}

const PAGE: &str = "query($n: Int) { projects(first: $n) { nodes { reference title } } }";

both_backends!(
    get_answers_are_cached_by_the_change_feed,
    |db: TestDb| async move {
        let counter = Arc::new(AtomicUsize::new(0));
        let mut app = TestApp::spawn_counting(db, true, Some(counter.clone())).await;

        // Anonymous: public, and a held tag is a 304 without the query.
        let (status, headers, body) = get(&app, PAGE, json!({ "n": 3 }), None, None).await;
        assert_eq!(status, 200, "{body}");
        let public = tag_of(&headers);
        assert_eq!(header(&headers, "cache-control"), "public, no-cache");
        assert_eq!(header(&headers, "vary"), "Authorization, Accept");
        counter.store(0, Ordering::SeqCst);
        let (status, again, body) = get(&app, PAGE, json!({ "n": 3 }), None, Some(&public)).await;
        assert_eq!(status, 304);
        assert!(body.is_empty(), "{body}");
        assert_eq!(tag_of(&again), public);
        assert_eq!(
            counter.load(Ordering::SeqCst),
            1,
            "a 304 costs the change counter only"
        );
        // Other variables, another document or another media type: another answer.
        let (_, other, _) = get(&app, PAGE, json!({ "n": 4 }), None, Some(&public)).await;
        assert_ne!(tag_of(&other), public);
        let json_media = app
            .client
            .get(format!("{}/graphql", app.base))
            .header("accept", "application/json")
            .query(&[("query", PAGE), ("variables", "{\"n\":3}")])
            .header("if-none-match", &public)
            .send()
            .await
            .unwrap();
        assert_eq!(json_media.status(), 200);
        assert_ne!(tag_of(json_media.headers()), public);

        // Keys: each reader its own tag, private; two partners apart; a cached key's 304 costs the
        // counter alone too.
        let leads = app
            .data(
                "{ projects(first: 40) { nodes { leadOrganisation { orgId } } } }",
                json!({}),
            )
            .await;
        let mut orgs: Vec<String> = leads["projects"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["leadOrganisation"]["orgId"].as_str().map(str::to_owned))
            .collect();
        orgs.sort();
        orgs.dedup();
        let one = key(&mut app, &["--role", "partner", "--organisation", &orgs[0]]);
        let two = key(&mut app, &["--role", "partner", "--organisation", &orgs[1]]);
        let (_, first, _) = get(&app, PAGE, json!({ "n": 3 }), Some(&one), None).await;
        let (_, second, _) = get(&app, PAGE, json!({ "n": 3 }), Some(&two), None).await;
        assert_eq!(header(&first, "cache-control"), "private, no-cache");
        let (one_tag, two_tag) = (tag_of(&first), tag_of(&second));
        assert!(
            one_tag != two_tag && one_tag != public,
            "{one_tag} {two_tag} {public}"
        );
        // (The cache holds the key once it has applied the feed up to the last key made.)
        let mut statements = Vec::new();
        for _ in 0..50 {
            counter.store(0, Ordering::SeqCst);
            let (status, _, _) =
                get(&app, PAGE, json!({ "n": 3 }), Some(&one), Some(&one_tag)).await;
            assert_eq!(status, 304);
            statements.push(counter.load(Ordering::SeqCst));
            if statements.last() == Some(&1) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(
            statements.last(),
            Some(&1),
            "the key came from the cache: {statements:?}"
        );

        // A change anywhere gives a new tag: the held one is answered in full.
        app.db
            .b2h(&["apikey", "create", "--name", "x", "--role", "evaluator"])
            .ok();
        let (status, changed, _) = get(&app, PAGE, json!({ "n": 3 }), None, Some(&public)).await;
        assert_eq!(status, 200);
        assert_ne!(tag_of(&changed), public);

        // A revoked key is refused at once, held tag or not.
        let prefix = one.split('_').nth(1).unwrap().to_owned();
        app.db.b2h(&["apikey", "revoke", &prefix]).ok();
        let (status, _, body) =
            get(&app, PAGE, json!({ "n": 3 }), Some(&one), Some(&one_tag)).await;
        assert_eq!(status, 401, "{body}");

        // POST answers carry no tag; HEAD does, without a body; a signed link is never cached.
        let post = app
            .client
            .post(format!("{}/graphql", app.base))
            .json(&json!({ "query": PAGE, "variables": { "n": 3 } }))
            .send()
            .await
            .unwrap();
        assert!(post.headers().get("etag").is_none());
        let head = app
            .client
            .head(format!("{}/graphql", app.base))
            .header("accept", "application/graphql-response+json")
            .query(&[("query", PAGE), ("variables", "{\"n\":3}")])
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200);
        assert!(head.headers().get("etag").is_some());
        let evaluator = key(&mut app, &["--role", "evaluator"]);
        let link = "{ funders(first: 1) { nodes { reportUrl(from: \"2024-04-01\", to: \"2025-03-31\") } } }";
        let (status, headers, body) = get(&app, link, json!({}), Some(&evaluator), None).await;
        assert_eq!(status, 200, "{body}");
        assert!(headers.get("etag").is_none(), "{headers:?}");
    }
);
