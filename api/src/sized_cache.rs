//! A least-recently-used cache of shared values bounded by the bytes they hold, as their
//! owners count them: the parsed documents and the planner's statements are kept in one.

use lru::LruCache;
use std::sync::{Arc, Mutex, PoisonError};

pub struct SizedCache<V> {
    /// Bytes the cache holds at most; the least recently used entries are dropped first.
    capacity: usize,
    /// An entry larger than this is never kept.
    max_entry: usize,
    inner: Mutex<Entries<V>>,
}

/// Values by key with the bytes each holds, and the sum of those.
struct Entries<V> {
    values: LruCache<String, (Arc<V>, usize)>,
    bytes: usize,
}

impl<V> SizedCache<V> {
    pub fn new(capacity: usize, max_entry: usize) -> Self {
        Self {
            capacity,
            max_entry,
            inner: Mutex::new(Entries {
                values: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.values.get(key).map(|(value, _)| Arc::clone(value))
    }

    /// Keeps `value` (of `size` bytes) under `key`, unless it is larger than an entry may be.
    pub fn put(&self, key: String, value: &Arc<V>, size: usize) {
        if size > self.max_entry {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, old)) = inner.values.put(key, (Arc::clone(value), size)) {
            inner.bytes -= old;
        }
        inner.bytes += size;
        while inner.bytes > self.capacity {
            let Some((_, (_, dropped))) = inner.values.pop_lru() else {
                break;
            };
            inner.bytes -= dropped;
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
    }
}
