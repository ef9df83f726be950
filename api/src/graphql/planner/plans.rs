//! Statements the planner compiled, kept for the next request that asks the same question.
//!
//! A statement is a function of the document and operation, the variables, who reads (their
//! record access is compiled into it), the day, the root field and the answer budget left, and
//! of nothing the database holds: so it is kept under those, and the rows are always read
//! afresh. Dashboards send the same few queries again and again, and compiling a small read's
//! statement again was a quarter of b2h's time on it (docs/benchmarks.md).
//!
//! Only reads are kept (the HTTP handler sets a [`PlanKey`] for them alone): a mutation's
//! payload is read back by a row id that changes at every call.

use crate::access::Principal;
use crate::sized_cache::SizedCache;
use async_graphql::Context;
use std::sync::Arc;

/// Bytes of statements kept, the least recently used dropped first (about twice the text, with
/// what reading a page's rows needs besides).
const CAPACITY_BYTES: usize = 4 * 1024 * 1024;
/// Statements larger than this are compiled for each request and never kept.
const MAX_KEPT_BYTES: usize = 256 * 1024;

/// What one read's statements depend on besides its root fields and the budget: set as
/// request data by the HTTP handler for queries (not for mutations).
#[derive(Clone)]
pub struct PlanKey(String);

impl PlanKey {
    /// The key of a read of `document` (its text, or a persisted query's hash) by `principal`
    /// with these variables (as JSON), today.
    pub fn of(
        principal: &Principal,
        document: &str,
        operation: Option<&str>,
        variables: &str,
    ) -> Self {
        let today = chrono::Utc::now().date_naive().to_string();
        let reader = crate::graphql::cache::scope(principal);
        let mut text = String::with_capacity(document.len() + variables.len() + 128);
        // Each part led by its length, so that no two lists of parts read the same.
        for part in [
            reader.as_str(),
            &today,
            document,
            operation.unwrap_or(""),
            variables,
        ] {
            text.push_str(&part.len().to_string());
            text.push(':');
            text.push_str(part);
        }
        Self(crate::digest::sha256_hex(&text))
    }
}

/// The statements kept, bounded by their bytes.
pub struct Plans {
    cache: SizedCache<super::Compiled>,
}

impl Default for Plans {
    fn default() -> Self {
        Self {
            cache: SizedCache::new(CAPACITY_BYTES, MAX_KEPT_BYTES),
        }
    }
}

/// The key of the root field `ctx` resolves with `remaining` items left in the budget, when
/// the request is a read that has a [`PlanKey`].
pub(super) fn key(ctx: &Context<'_>, remaining: usize) -> Option<String> {
    let read = ctx.data_opt::<PlanKey>()?;
    let field = ctx
        .path_node
        .map(|path| path.to_string())
        .unwrap_or_default();
    Some(format!("{} {remaining} {field}", read.0))
}

impl Plans {
    pub(super) fn get(&self, key: &str) -> Option<Arc<super::Compiled>> {
        self.cache.get(key)
    }

    pub(super) fn put(&self, key: String, compiled: &Arc<super::Compiled>) {
        let size = compiled.size() + key.len();
        self.cache.put(key, compiled, size);
    }
}
