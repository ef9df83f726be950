//! The change feed: every write transaction, on every path (GraphQL, the CLI, imports, the
//! seed as one bulk entry), appends one entry to `change_log` as it commits, saying what changed
//! (the entities and their ids). Caches follow it (the figure engine, the public publication,
//! and later subscriptions, HTTP caching and replicas); nothing else invents its own.
//!
//! Sequences are visible in commit order: a write takes the counter row (`change_counter`) under
//! its row lock as the last thing before it commits, so a later writer waits for the earlier to
//! commit (or roll back) before taking the next number. A reader that sees sequence `n` has seen
//! every entry below it, and the sequence has no gaps but those pruning leaves at the start.
//!
//! Listeners learn of new entries from PostgreSQL `NOTIFY` (on SQLite, and after a missed
//! notification or a reconnect, by polling the counter) and catch up from the last sequence they
//! saw ([`since`]). Entries older than the retention period are pruned; a listener that fell
//! further behind than that reloads everything.

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement, Value,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// The PostgreSQL channel a commit notifies, with its sequence as the payload.
pub const CHANNEL: &str = "b2h_changes";

/// How long entries are kept.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// How often a listener reads the counter when no notification came (SQLite, missed ones).
pub const POLL_SQLITE: Duration = Duration::from_millis(200);
pub const POLL_POSTGRES: Duration = Duration::from_secs(2);

/// What a change is to: the things caches hold. (`last_used_at` of keys and other bookkeeping
/// are not changes.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    OutcomeRecord,
    Project,
    Organisation,
    Funder,
    Grant,
    GrantAllocation,
    ApiKey,
    ExportJob,
}

/// What one write transaction changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    /// Anything may have changed (a seed, a bulk load): followers reload everything.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub everything: bool,
    /// The ids changed, by entity.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ids: BTreeMap<Entity, BTreeSet<Uuid>>,
}

impl Changes {
    /// A bulk change: followers reload everything.
    pub fn everything() -> Self {
        Self {
            everything: true,
            ids: BTreeMap::new(),
        }
    }

    pub fn one(entity: Entity, id: Uuid) -> Self {
        let mut changes = Self::default();
        changes.add(entity, id);
        changes
    }

    pub fn add(&mut self, entity: Entity, id: Uuid) {
        self.ids.entry(entity).or_default().insert(id);
    }

    pub fn extend(&mut self, entity: Entity, ids: impl IntoIterator<Item = Uuid>) {
        let mut ids = ids.into_iter().peekable();
        if ids.peek().is_some() {
            self.ids.entry(entity).or_default().extend(ids);
        }
    }

    /// Adds everything `other` changed.
    pub fn merge(&mut self, other: Changes) {
        self.everything |= other.everything;
        for (entity, ids) in other.ids {
            self.ids.entry(entity).or_default().extend(ids);
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.everything && self.ids.values().all(BTreeSet::is_empty)
    }

    /// Whether anything of `entity` changed (everything counts).
    pub fn touches(&self, entity: Entity) -> bool {
        self.everything || self.ids.get(&entity).is_some_and(|ids| !ids.is_empty())
    }

    /// The ids of `entity` changed.
    pub fn of(&self, entity: Entity) -> impl Iterator<Item = Uuid> + '_ {
        self.ids.get(&entity).into_iter().flatten().copied()
    }
}

/// One entry of the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub sequence: i64,
    pub committed_at: DateTime<Utc>,
    pub changes: Changes,
}

fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// Takes the next sequence: the counter row stays locked until the transaction ends, which is
/// what orders sequences by commit.
const TAKE_SEQUENCE: &str =
    "UPDATE change_counter SET sequence = sequence + 1 WHERE id = 1 RETURNING sequence";

/// Appends `changes` to the log inside the write's transaction and returns its sequence (`None`
/// when nothing changed). Call it last before committing, so that the counter row is held for
/// as short a time as possible.
pub async fn append(db: &impl ConnectionTrait, changes: &Changes) -> Result<Option<i64>, DbErr> {
    if changes.is_empty() {
        return Ok(None);
    }
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, TAKE_SEQUENCE))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the change counter row".into()))?;
    let sequence: i64 = row.try_get_by_index(0)?;
    let text = serde_json::to_string(changes)
        .map_err(|e| DbErr::Custom(format!("cannot write a change entry: {e}")))?;
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        format!(
            "INSERT INTO change_log (sequence, committed_at, changes) VALUES ({}, {}, {})",
            placeholder(backend, 1),
            placeholder(backend, 2),
            placeholder(backend, 3)
        ),
        [
            Value::from(sequence),
            Value::from(Utc::now()),
            Value::from(text),
        ],
    ))
    .await?;
    if backend == DbBackend::Postgres {
        // Delivered when (and only if) the transaction commits.
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_notify($1, $2)",
            [Value::from(CHANNEL), Value::from(sequence.to_string())],
        ))
        .await?;
    }
    Ok(Some(sequence))
}

/// The statements that append a bulk entry ([`Changes::everything`]), for loaders that write
/// through their own connection (the seed): run them last in the load's transaction.
pub fn bulk_entry_statements(postgres: bool) -> Vec<String> {
    let (now, notify) = if postgres {
        (
            "now()",
            Some(format!(
                "SELECT pg_notify('{CHANNEL}', CAST(sequence AS text)) FROM change_counter \
                 WHERE id = 1"
            )),
        )
    } else {
        ("strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')", None)
    };
    let mut statements = vec![
        TAKE_SEQUENCE.to_owned(),
        format!(
            "INSERT INTO change_log (sequence, committed_at, changes) \
             SELECT sequence, {now}, '{{\"everything\":true}}' FROM change_counter WHERE id = 1"
        ),
    ];
    statements.extend(notify);
    statements
}

/// Appends `changes` and commits the transaction; returns the entry's sequence.
pub async fn commit(txn: DatabaseTransaction, changes: &Changes) -> Result<Option<i64>, DbErr> {
    let sequence = append(&txn, changes).await?;
    txn.commit().await?;
    Ok(sequence)
}

/// The latest committed sequence (0 before any change).
pub async fn current(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT sequence FROM change_counter WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the change counter row".into()))?;
    row.try_get_by_index(0)
}

/// When the change `sequence` was committed, while its entry is kept (`None` for 0 and for
/// pruned entries).
pub async fn committed_at(
    db: &impl ConnectionTrait,
    sequence: i64,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT committed_at FROM change_log WHERE sequence = {}",
                placeholder(backend, 1)
            ),
            [Value::from(sequence)],
        ))
        .await?;
    row.map(|r| r.try_get("", "committed_at")).transpose()
}

/// Entries after `after`, oldest first, at most `limit`; `Err` when entries after `after` were
/// pruned (the reader must reload everything).
pub async fn since(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u32,
) -> Result<Result<Vec<Entry>, Pruned>, DbErr> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT sequence, committed_at, changes FROM change_log WHERE sequence > {}
                 ORDER BY sequence LIMIT {}",
                placeholder(backend, 1),
                limit.max(1)
            ),
            [Value::from(after)],
        ))
        .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let text: String = row.try_get("", "changes")?;
        let changes = serde_json::from_str(&text).unwrap_or_else(|e| {
            // An entry this build cannot read: reload everything rather than miss it.
            tracing::warn!(error = %e, "unreadable change entry; treating it as a bulk change");
            Changes::everything()
        });
        entries.push(Entry {
            sequence: row.try_get("", "sequence")?,
            committed_at: row.try_get("", "committed_at")?,
            changes,
        });
    }
    match entries.first() {
        Some(first) if first.sequence != after + 1 => Ok(Err(Pruned)),
        _ => Ok(Ok(entries)),
    }
}

/// Entries the reader needed were pruned: it must reload everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pruned;

/// Deletes entries committed before `before`, always keeping the newest.
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let done = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "DELETE FROM change_log WHERE committed_at < {}
                 AND sequence < (SELECT max(sequence) FROM change_log)",
                placeholder(backend, 1)
            ),
            [Value::from(before)],
        ))
        .await?;
    Ok(done.rows_affected())
}

/// The latest sequence this process knows has committed, shared with everything that follows the
/// feed: woken by its own writes at once, by other processes' through `NOTIFY` or polling.
#[derive(Clone)]
pub struct Feed {
    latest: watch::Sender<i64>,
}

impl Feed {
    /// A feed that starts at `sequence`.
    pub fn new(sequence: i64) -> Self {
        Self {
            latest: watch::Sender::new(sequence),
        }
    }

    /// Learns that `sequence` has committed.
    pub fn announce(&self, sequence: i64) {
        self.latest.send_if_modified(|latest| {
            let newer = sequence > *latest;
            if newer {
                *latest = sequence;
            }
            newer
        });
    }

    pub fn latest(&self) -> i64 {
        *self.latest.borrow()
    }

    /// Changes whenever a newer sequence is known.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.latest.subscribe()
    }

    /// Follows the database in the background: `LISTEN` on PostgreSQL, and on both backends the
    /// counter polled, which also covers notifications missed while a connection was down; old
    /// entries are pruned hourly.
    pub fn follow(&self, db: DatabaseConnection, retention: Duration) {
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        if postgres {
            let feed = self.clone();
            let pool = db.get_postgres_connection_pool().clone();
            tokio::spawn(async move { feed.listen(pool).await });
        }
        let feed = self.clone();
        tokio::spawn(async move {
            let every = if postgres { POLL_POSTGRES } else { POLL_SQLITE };
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut pruned_at = std::time::Instant::now();
            loop {
                ticks.tick().await;
                match current(&db).await {
                    Ok(sequence) => feed.announce(sequence),
                    Err(e) => tracing::debug!(error = %e, "cannot read the change counter"),
                }
                if pruned_at.elapsed() >= Duration::from_secs(3600) {
                    pruned_at = std::time::Instant::now();
                    let before = Utc::now()
                        - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
                    match prune(&db, before).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(entries = n, "pruned the change log"),
                        Err(e) => tracing::warn!(error = %e, "cannot prune the change log"),
                    }
                }
            }
        });
    }

    async fn listen(self, pool: sea_orm::sqlx::PgPool) {
        use sea_orm::sqlx::postgres::PgListener;
        loop {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for changes; polling meanwhile");
                    tokio::time::sleep(POLL_POSTGRES).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %e, "cannot listen for changes; polling meanwhile");
                tokio::time::sleep(POLL_POSTGRES).await;
                continue;
            }
            // `recv` reconnects by itself; notifications sent meanwhile are caught by polling.
            loop {
                match listener.recv().await {
                    Ok(note) => {
                        if let Ok(sequence) = note.payload().parse::<i64>() {
                            self.announce(sequence);
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "change notifications interrupted");
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_as_written() {
        let mut changes = Changes::default();
        assert!(changes.is_empty());
        changes.add(Entity::OutcomeRecord, Uuid::nil());
        changes.extend(Entity::Project, []);
        let text = serde_json::to_string(&changes).unwrap();
        assert_eq!(
            text,
            r#"{"ids":{"outcome_record":["00000000-0000-0000-0000-000000000000"]}}"#
        );
        assert_eq!(serde_json::from_str::<Changes>(&text).unwrap(), changes);
        assert!(changes.touches(Entity::OutcomeRecord));
        assert!(!changes.touches(Entity::Project));
        let all = serde_json::to_string(&Changes::everything()).unwrap();
        assert_eq!(all, r#"{"everything":true}"#);
        assert!(Changes::everything().touches(Entity::Funder));
    }

    #[test]
    fn the_feed_only_moves_forward() {
        let feed = Feed::new(5);
        let mut rx = feed.subscribe();
        feed.announce(3);
        assert_eq!(feed.latest(), 5);
        assert!(!rx.has_changed().unwrap());
        feed.announce(7);
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), 7);
    }
}
