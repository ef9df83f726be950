//! Parsed GraphQL documents, cached by the SHA-256 of their text, and automatic persisted
//! queries (APQ) on top of the same cache.
//!
//! Dashboards send the same few queries again and again, so parsing each one once pays off.
//! Doing this here rather than with async-graphql's APQ extension also keeps the schema free of
//! extensions: with any extension installed, async-graphql routes every field through the
//! extension chain, which cost a fifth of a request's time in the read benchmark.

use crate::digest::sha256_hex;
use crate::sized_cache::SizedCache;
use async_graphql::parser::types::ExecutableDocument;
use serde::Deserialize;
use std::sync::Arc;

/// Query text the cache holds, in bytes; the least recently used documents are dropped first.
/// A parsed document takes about twenty times its text, so this keeps the cache under 100 MB
/// however many distinct documents callers send.
const CAPACITY_BYTES: usize = 4 * 1024 * 1024;
/// Documents longer than this are parsed for each request and never cached.
const MAX_CACHED_BYTES: usize = 64 * 1024;

/// The `persistedQuery` request extension of the APQ protocol.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersistedQuery {
    version: i64,
    sha256_hash: String,
}

/// Why a request's document cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// APQ: the hash is not known yet; the client resends with the query text.
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    /// Not a GraphQL request at all.
    #[error("the request has no query")]
    NoQuery,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Syntax(async_graphql::ServerError),
    #[error("{0}")]
    Shape(#[from] super::shape::ShapeError),
}

impl DocumentError {
    /// The `extensions.code` the error carries.
    pub fn code(&self) -> &'static str {
        match self {
            DocumentError::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            DocumentError::NoQuery | DocumentError::Invalid(_) | DocumentError::Syntax(_) => {
                "BAD_USER_INPUT"
            }
            DocumentError::Shape(e) => e.code(),
        }
    }
}

/// The per-process document cache, bounded by the bytes of query text it holds.
pub struct Documents {
    cache: SizedCache<ExecutableDocument>,
}

impl Default for Documents {
    fn default() -> Self {
        Self {
            cache: SizedCache::new(CAPACITY_BYTES, MAX_CACHED_BYTES),
        }
    }
}

impl Documents {
    fn get(&self, hash: &str) -> Option<Arc<ExecutableDocument>> {
        self.cache.get(hash)
    }

    /// Parses a document whose shape is within bounds (checked on the text first, since the
    /// parser recurses), and caches it when it is small enough.
    fn parse(&self, hash: String, query: &str) -> Result<Arc<ExecutableDocument>, DocumentError> {
        super::shape::check_text(query)?;
        let document = async_graphql::parser::parse_query(query)
            .map_err(|e| DocumentError::Syntax(e.into()))?;
        super::shape::check_document(&document)?;
        let document = Arc::new(document);
        self.cache.put(hash, &document, query.len());
        Ok(document)
    }

    /// Bytes of query text cached (for tests of the bound).
    pub fn cached_bytes(&self) -> usize {
        self.cache.bytes()
    }

    /// Sets the request's parsed document (from the cache when it has been seen), resolving an
    /// APQ hash to its query. Returns the document.
    pub fn prepare(
        &self,
        request: &mut async_graphql::Request,
    ) -> Result<Arc<ExecutableDocument>, DocumentError> {
        let document = match request.extensions.remove("persistedQuery") {
            Some(value) => {
                let json = value
                    .into_json()
                    .map_err(|e| DocumentError::Invalid(e.to_string()))?;
                let persisted: PersistedQuery = serde_json::from_value(json).map_err(|_| {
                    DocumentError::Invalid(
                        "the persistedQuery extension needs version and sha256Hash".into(),
                    )
                })?;
                if persisted.version != 1 {
                    return Err(DocumentError::Invalid(format!(
                        "persistedQuery version {} is not supported: use version 1",
                        persisted.version
                    )));
                }
                let hash = persisted.sha256_hash.to_ascii_lowercase();
                if request.query.is_empty() {
                    self.get(&hash)
                        .ok_or(DocumentError::PersistedQueryNotFound)?
                } else {
                    if sha256_hex(&request.query) != hash {
                        return Err(DocumentError::Invalid(
                            "persistedQuery.sha256Hash is not the SHA-256 of the query".into(),
                        ));
                    }
                    match self.get(&hash) {
                        Some(document) => document,
                        None => self.parse(hash, &request.query)?,
                    }
                }
            }
            None => {
                if request.query.trim().is_empty() {
                    return Err(DocumentError::NoQuery);
                }
                let hash = sha256_hex(&request.query);
                match self.get(&hash) {
                    Some(document) => document,
                    None => self.parse(hash, &request.query)?,
                }
            }
        };
        request.set_parsed_query(ExecutableDocument::clone(&document));
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded_by_bytes_not_count() {
        let documents = Documents::default();
        // 200 distinct documents of 50 KB each: 10 MB of text, more than the cache holds.
        for i in 0..200 {
            let padding = " ".repeat(50 * 1024);
            let mut request =
                async_graphql::Request::new(format!("{{ campaigns {{ name }} }}{padding}# {i}"));
            documents.prepare(&mut request).unwrap();
            assert!(documents.cached_bytes() <= CAPACITY_BYTES);
        }
        assert!(documents.cached_bytes() > CAPACITY_BYTES / 2);
        // A document over the per-document bound is parsed but never kept.
        let before = documents.cached_bytes();
        let big = format!(
            "{{ campaigns {{ name }} }}{}",
            " ".repeat(MAX_CACHED_BYTES + 1)
        );
        documents
            .prepare(&mut async_graphql::Request::new(big))
            .unwrap();
        assert_eq!(documents.cached_bytes(), before);
    }
}
