//! The change feed: entries in commit order (a listener never misses a transaction that commits
//! after a later one started), every write path appending one, and a second server process
//! following a write through the first.

use b2h_api::changes::{self, Changes, Entity};
use b2h_tests::{Served, TestDb, both_backends, graphql_at, http_client, rows, with_demo_app};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;
use uuid::Uuid;

/// A listener that reads the log from where it last was, as followers do.
async fn read_on(db: &impl ConnectionTrait, last: &mut i64, seen: &mut Vec<i64>) {
    let entries = changes::since(db, *last, 1000)
        .await
        .unwrap()
        .unwrap_or_else(|_| panic!("entries after {last} were pruned"));
    for e in entries {
        seen.push(e.sequence);
        *last = e.sequence;
    }
}

both_backends!(
    listeners_see_every_commit_in_order,
    |db: TestDb| async move {
        db.b2h(&["migrate"]).ok();
        let conn = db.connect().await;
        let start = changes::current(&conn).await.unwrap();
        let (mut last, mut seen) = (start, Vec::new());
        let a = Uuid::from_u128(0xA);
        let b = Uuid::from_u128(0xB);

        // A begins first and works for a while; B begins later and commits first. With a plain
        // sequence taken when each began, A would hold the smaller number and commit after a
        // listener had moved past it. Here the number is taken as each commits. (SQLite has one
        // writer at a time: writes do not overlap there, so this part is PostgreSQL's.)
        if b2h_tests::is_postgres(&conn) {
            let first = conn.begin().await.unwrap();
            first
                .execute_unprepared("UPDATE campaign SET version = version WHERE 1 = 0")
                .await
                .unwrap();
            let second = conn.begin().await.unwrap();
            let b_seq = changes::commit(second, &Changes::one(Entity::Project, b))
                .await
                .unwrap()
                .unwrap();
            read_on(&conn, &mut last, &mut seen).await;
            let a_seq = changes::commit(first, &Changes::one(Entity::Project, a))
                .await
                .unwrap()
                .unwrap();
            assert!(a_seq > b_seq, "the later commit has the later sequence");
            read_on(&conn, &mut last, &mut seen).await;
            assert_eq!(seen, vec![b_seq, a_seq]);
        }

        // Two writers appending at once: the second waits for the first to commit, so a
        // listener reading while the first is open sees neither, then both, in order.
        let holder = conn.begin().await.unwrap();
        let held = changes::append(&holder, &Changes::one(Entity::Project, a))
            .await
            .unwrap()
            .unwrap();
        let waiter = {
            let conn = db.connect().await;
            tokio::spawn(async move {
                let txn = conn.begin().await.unwrap();
                let seq = changes::commit(txn, &Changes::one(Entity::Project, b))
                    .await
                    .unwrap()
                    .unwrap();
                conn.close().await.ok();
                seq
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = seen.len();
        read_on(&conn, &mut last, &mut seen).await;
        assert_eq!(seen.len(), before, "nothing uncommitted is visible");
        assert!(
            !waiter.is_finished(),
            "the second writer waits for the first"
        );
        holder.commit().await.unwrap();
        let waited = waiter.await.unwrap();
        assert_eq!(waited, held + 1);
        read_on(&conn, &mut last, &mut seen).await;
        assert_eq!(&seen[before..], &[held, waited]);

        // No gaps: every sequence from the start to the last is an entry.
        let all: Vec<i64> = (start + 1..=last).collect();
        assert_eq!(seen, all);

        // Pruning keeps the newest, and a reader that was behind what was pruned is told.
        let pruned = changes::prune(&conn, chrono::Utc::now() + chrono::Duration::days(1))
            .await
            .unwrap();
        assert_eq!(pruned as usize, all.len() - 1);
        assert!(changes::since(&conn, start, 10).await.unwrap().is_err());
        assert_eq!(
            changes::since(&conn, last - 1, 10)
                .await
                .unwrap()
                .unwrap()
                .len(),
            1
        );
        conn.close().await.ok();
    }
);

/// The entities of the entries after `after`.
async fn entities_since(app: &b2h_tests::TestApp, after: i64) -> BTreeSet<String> {
    let conn = app.db.connect().await;
    let found = rows(
        &conn,
        &format!("SELECT changes FROM change_log WHERE sequence > {after} ORDER BY sequence"),
    )
    .await;
    conn.close().await.ok();
    let mut out = BTreeSet::new();
    for row in found {
        let text = row["changes"].as_str().unwrap_or_default();
        let changes: Changes = serde_json::from_str(text).unwrap();
        if changes.everything {
            out.insert("everything".to_owned());
        }
        for (entity, ids) in changes.ids {
            assert!(!ids.is_empty());
            out.insert(
                serde_json::to_value(entity)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    out
}

with_demo_app!(
    every_write_path_appends_to_the_feed,
    |mut app: b2h_tests::TestApp| async move {
        let conn = app.db.connect().await;
        let seeded = rows(&conn, "SELECT changes FROM change_log ORDER BY sequence").await;
        conn.close().await.ok();
        assert_eq!(
            seeded,
            vec![json!({"changes": "{\"everything\":true}"})],
            "the seed is one bulk entry"
        );
        app.authenticate(&["--role", "admin"]);
        let start = crate::figures::committed_sequence(&app).await;
        assert_eq!(
            entities_since(&app, 0).await.len(),
            2,
            "the seed and the key"
        );

        // GraphQL writes: a record, its submission, a project change, a funder.
        let made = app
        .data(
            "mutation { recordOutcomes(records: [{project: \"GEH-B2H-01\", measure: \"patients_supported\",
               periodStart: \"2024-08-01\", periodEnd: \"2024-08-31\", value: 4, dataSource: SURVEY,
               evidenceStrength: STRONG}]) { records { id } } }",
            json!({}),
        )
        .await;
        let id = made["recordOutcomes"]["records"][0]["id"].clone();
        let (_, answer) = app
            .graphql(
                "mutation($ids: [ID!]!) { submitOutcomes(ids: $ids) { id } }",
                json!({"ids": [id]}),
            )
            .await;
        let sequence = answer["extensions"]["changeSequence"].as_i64().unwrap();
        assert_eq!(sequence, crate::figures::committed_sequence(&app).await);
        app.data(
            "mutation { createFunder(input: {name: \"Feed Trust\"}) { id } }",
            json!({}),
        )
        .await;
        // The CLI: a key revoked.
        let spare = app
            .db
            .b2h(&["apikey", "create", "--name", "spare", "--role", "evaluator"])
            .ok()
            .first_line();
        let prefix = spare.split('_').nth(1).unwrap().to_owned();
        app.db.b2h(&["apikey", "revoke", &prefix]).ok();
        let after = entities_since(&app, start).await;
        for entity in ["outcome_record", "funder", "api_key"] {
            assert!(after.contains(entity), "{entity} missing from {after:?}");
        }
        // Reads append nothing.
        let now = crate::figures::committed_sequence(&app).await;
        app.data("{ projects(first: 5) { nodes { id } } }", json!({}))
            .await;
        assert_eq!(crate::figures::committed_sequence(&app).await, now);
    }
);

both_backends!(a_second_server_follows_the_first, |db: TestDb| async move {
    db.b2h(&["seed", "--no-progress"]).ok();
    let key = db
        .b2h(&["apikey", "create", "--name", "two", "--role", "admin"])
        .ok()
        .first_line();
    let one = Served::start(db.url(), &["--rate-limit", "0"]).await;
    let two = Served::start(db.url(), &["--rate-limit", "0"]).await;
    let client = http_client();
    let people = "{ impact(filter: {measure: [\"patients_supported\"]}) { figures { value } } }";
    let value =
        |body: &serde_json::Value| body["data"]["impact"][0]["figures"][0]["value"].as_f64();
    let before = graphql_at(&client, &two.base, Some(&key), people).await;

    // A new record of 1,000 patients, submitted through the first server.
    let made = graphql_at(
        &client,
        &one.base,
        Some(&key),
        "mutation { recordOutcomes(records: [{project: \"GEH-B2H-01\", measure: \"patients_supported\",
           periodStart: \"2024-08-01\", periodEnd: \"2024-08-31\", value: 1000, dataSource: SURVEY,
           evidenceStrength: STRONG}]) { records { id } } }",
    )
    .await;
    let id = made["data"]["recordOutcomes"]["records"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submitted = graphql_at(
        &client,
        &one.base,
        Some(&key),
        &format!("mutation {{ submitOutcomes(ids: [\"{id}\"]) {{ id }} }}"),
    )
    .await;
    let sequence = submitted["extensions"]["changeSequence"].as_i64().unwrap();
    // Read-your-writes on the first.
    let own = graphql_at(&client, &one.base, Some(&key), people).await;
    assert_eq!(value(&own), value(&before).map(|v| v + 1000.0));
    // The second catches up through the feed (a generous wait).
    let mut seen = None;
    for _ in 0..300 {
        let body = graphql_at(&client, &two.base, Some(&key), people).await;
        if body["extensions"]["changeSequence"].as_i64() >= Some(sequence) {
            seen = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = seen.expect("the second server did not reach the write's sequence in 30 s");
    assert_eq!(value(&seen), value(&own));
});
