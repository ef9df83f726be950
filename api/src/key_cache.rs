//! API keys already found, by prefix, so that a request's key is checked without a statement
//! of its own (a `304 Not Modified` then costs one statement, the change counter it is tagged
//! by). The change feed keeps it current: any committed change to a key (made, revoked) empties
//! it. It is used only by a request that has read the counter, and only when the cache has
//! applied every change up to it, so a revoked key is refused as soon as its revocation has
//! committed.

use crate::changes::{self, Entity, Feed};
use b2h_entity::api_key;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Keys found valid by the database, by prefix.
#[derive(Default)]
pub struct KeyCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<String, api_key::Model>,
    /// The change sequence up to which key changes have been applied.
    through: i64,
}

/// Most keys held (a handful per organisation; beyond, the cache starts again).
const MAX_KEYS: usize = 10_000;

impl KeyCache {
    /// A cache current up to `sequence`.
    pub fn new(sequence: i64) -> Self {
        Self {
            inner: Mutex::new(Inner {
                keys: HashMap::new(),
                through: sequence,
            }),
        }
    }

    /// The key of `prefix` when held and the cache has applied every change up to `committed`
    /// (the change counter as the request read it), and the sequence to hand back to
    /// [`KeyCache::put`].
    pub fn get(&self, prefix: &str, committed: i64) -> (Option<api_key::Model>, i64) {
        let Ok(inner) = self.inner.lock() else {
            return (None, i64::MIN);
        };
        if inner.through < committed {
            return (None, inner.through);
        }
        (inner.keys.get(prefix).cloned(), inner.through)
    }

    /// Holds `key`, read from the database when the cache was at `seen`: not when a change
    /// to keys has been applied since (the key read may be the one it changed).
    pub fn put(&self, key: api_key::Model, seen: i64) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.through != seen {
            return;
        }
        if inner.keys.len() >= MAX_KEYS {
            inner.keys.clear();
        }
        inner.keys.insert(key.key_prefix.clone(), key);
    }

    /// Applies the feed's entries up to `sequence`: keys are forgotten when one changed.
    fn apply(&self, sequence: i64, keys_changed: bool) {
        if let Ok(mut inner) = self.inner.lock() {
            if keys_changed {
                inner.keys.clear();
            }
            inner.through = inner.through.max(sequence);
        }
    }

    fn through(&self) -> i64 {
        self.inner.lock().map_or(i64::MIN, |i| i.through)
    }

    /// Follows the feed in the background, reading what each new entry changed.
    pub fn follow(self: &Arc<Self>, feed: &Feed, db: DatabaseConnection) {
        let cache = Arc::clone(self);
        let mut latest = feed.subscribe();
        tokio::spawn(async move {
            loop {
                let wanted = *latest.borrow_and_update();
                let mut after = cache.through();
                while after < wanted {
                    match changes::since(&db, after, 1000).await {
                        Ok(Ok(entries)) if !entries.is_empty() => {
                            let last = entries.last().map_or(after, |e| e.sequence);
                            let keys_changed = entries
                                .iter()
                                .any(|e| e.changes.everything || e.changes.touches(Entity::ApiKey));
                            cache.apply(last, keys_changed);
                            after = last;
                        }
                        // Sequences are announced once committed, and visible in commit order.
                        Ok(Ok(_)) => {
                            cache.apply(wanted, false);
                            break;
                        }
                        // Entries older than the retention are gone: start again.
                        Ok(Err(_pruned)) => {
                            cache.apply(wanted, true);
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot read the change feed for keys");
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        }
                    }
                }
                if latest.changed().await.is_err() {
                    return;
                }
            }
        });
    }
}
