//! Entity tags from the change feed: an answer's tag is a hash of the change sequence it reflects
//! and of everything else it depends on (who asks, what, in which format), so a repeated request
//! for unchanged data is a `304 Not Modified` without the work. Reports use it; GraphQL GET
//! answers are to use the same helper.

use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};

/// A strong tag (`"…"`) over the parts, each length-prefixed so that no two lists of parts give
/// the same bytes.
pub fn tag(sequence: i64, parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    hash.update(sequence.to_be_bytes());
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether the request's `If-None-Match` names `tag`: answer 304. (`*` is not honoured: it would
/// answer 304 before the answer is known to exist.)
pub fn not_modified(headers: &HeaderMap, tag: &str) -> bool {
    let bare = tag.trim_start_matches("W/");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate.trim_start_matches("W/") == bare)
}

/// The header value of a tag (tags are hex in quotes: always a valid value).
pub fn header_value(tag: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(tag).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_change_with_every_part_and_match_as_sent() {
        let a = tag(7, &["funder", "html"]);
        assert_eq!(a, tag(7, &["funder", "html"]));
        assert_ne!(a, tag(8, &["funder", "html"]));
        assert_ne!(a, tag(7, &["funderh", "tml"]));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{a}")).unwrap_or(HeaderValue::from_static("")),
        );
        assert!(not_modified(&headers, &a));
        assert!(!not_modified(&headers, &tag(9, &[])));
        assert!(!not_modified(&HeaderMap::new(), &a));
    }
}
