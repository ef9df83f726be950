//! HTTP caching of GraphQL reads sent by GET (and HEAD): the answer's tag is the one ETag helper
//! (`etag::tag`) over the change sequence it reads at, who asks (the key, not only its role: two
//! partners read different rows), the current publication (what the public reads), the day
//! (answers that count from today), the document, its variables and the media type. A client
//! that sends the tag back gets `304 Not Modified` before the query runs. POST answers are not
//! cached.

use crate::access::Principal;
use crate::etag;
use async_graphql::parser::types::{ExecutableDocument, Selection};
use axum::http::{HeaderMap, HeaderValue, header};

/// Fields whose answer is made anew at every request (a signed link's expiry counts from now):
/// a document that selects one is not cached.
const UNCACHEABLE: &[&str] = &["reportUrl"];

/// Whether `document` (its operations and fragments) selects a field that is never cached.
pub fn cacheable(document: &ExecutableDocument) -> bool {
    let mut sets: Vec<&[async_graphql::Positioned<Selection>]> = Vec::new();
    for (_, operation) in document.operations.iter() {
        sets.push(&operation.node.selection_set.node.items);
    }
    for fragment in document.fragments.values() {
        sets.push(&fragment.node.selection_set.node.items);
    }
    // A stack, not recursion: the document is not yet validated, so not yet depth-limited.
    while let Some(items) = sets.pop() {
        for item in items {
            match &item.node {
                Selection::Field(field) => {
                    if UNCACHEABLE.contains(&field.node.name.node.as_str()) {
                        return false;
                    }
                    sets.push(&field.node.selection_set.node.items);
                }
                Selection::InlineFragment(inline) => {
                    sets.push(&inline.node.selection_set.node.items);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    true
}

/// Who asks, as the tag tells readers apart.
pub(crate) fn scope(principal: &Principal) -> String {
    match principal {
        Principal::Public => "public".to_owned(),
        Principal::Operator { user } => format!("operator {user}"),
        Principal::Key {
            id,
            role,
            organisation_id,
            funder_id,
            ..
        } => format!("key {id} {role:?} {organisation_id:?} {funder_id:?}"),
    }
}

/// What one GET request's answer depends on, besides the data.
pub struct Request<'a> {
    pub principal: &'a Principal,
    /// The publication the public's figures come from (its time), if any.
    pub publication: Option<String>,
    /// The query text, or the persisted query's hash.
    pub document: &'a str,
    pub operation: Option<&'a str>,
    pub variables: &'a str,
    pub media: &'a str,
}

/// The tag of the answer to `request` at change `sequence`.
pub fn tag(sequence: i64, request: &Request<'_>) -> String {
    let today = chrono::Utc::now().date_naive().to_string();
    etag::tag(
        sequence,
        &[
            "graphql",
            &scope(request.principal),
            request.publication.as_deref().unwrap_or("unpublished"),
            &today,
            request.document,
            request.operation.unwrap_or(""),
            request.variables,
            request.media,
        ],
    )
}

/// The caching headers of an answer tagged `tag`.
pub fn headers(headers: &mut HeaderMap, tag: &str, principal: &Principal) {
    if let Some(value) = etag::header_value(tag) {
        headers.insert(header::ETAG, value);
    }
    let control = if matches!(principal, Principal::Public) {
        "public, no-cache"
    } else {
        "private, no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(control));
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Authorization, Accept"),
    );
}
