//! What a misplaced value looks like, to explain rows whose columns slipped (a CSV with a
//! stray comma, converted to JSON): `awardDate` holding `GBP` looks like a currency code,
//! `amountAwarded` holding `05/12/2014` like a date.

use super::amounts::amount_in_minor_units;
use super::orgid;
use crate::import::dates::{Bound, read_date};
use serde_json::Value;

/// Kinds of value a field can be told to hold by mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Date,
    Amount,
    Currency,
    OrgId,
    WebAddress,
    Prose,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Date => "a date",
            Kind::Amount => "an amount",
            Kind::Currency => "a currency code",
            Kind::OrgId => "an Org-ID",
            Kind::WebAddress => "a web address",
            Kind::Prose => "running text",
        }
    }
}

/// The first of `kinds` that `value` looks like.
pub fn looks_like(value: &Value, kinds: &[Kind]) -> Option<Kind> {
    kinds.iter().copied().find(|kind| is(value, *kind))
}

fn is(value: &Value, kind: Kind) -> bool {
    let text = match value {
        Value::String(text) => text.trim(),
        Value::Number(_) => return kind == Kind::Amount,
        _ => return false,
    };
    match kind {
        Kind::Date => read_date(text, Bound::First).is_some(),
        Kind::Amount => {
            text.bytes().any(|b| b.is_ascii_digit())
                && amount_in_minor_units(&Value::String(text.to_owned())).is_ok()
        }
        Kind::Currency => text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()),
        Kind::OrgId => orgid::is_org_id(text),
        Kind::WebAddress => {
            let lower = text.to_ascii_lowercase();
            lower.starts_with("http://")
                || lower.starts_with("https://")
                || lower.starts_with("www.")
        }
        Kind::Prose => is_prose(text),
    }
}

/// Words rather than a code: several words, or text ending as a sentence does.
fn is_prose(text: &str) -> bool {
    let words = text.split_whitespace().count();
    words >= 4 || (words >= 2 && text.ends_with(['.', '"', '!', '?']))
}

/// An identifier field holding something that is not an identifier: words (`Blackbird Leys`),
/// a web address or a decimal amount (`9856.08`). Messy identifiers that start like one
/// (`GB-CHC-Exempt Charity`, `360G-ocf-org:1 / 2`) are not flagged.
pub fn not_an_identifier(text: &str) -> Option<&'static str> {
    let value = Value::String(text.to_owned());
    if is(&value, Kind::WebAddress) {
        return Some(Kind::WebAddress.describe());
    }
    if orgid::has_identifier_prefix(text) {
        return None;
    }
    if text.split_whitespace().count() >= 2 {
        return Some("words (a name, place or description)");
    }
    if text.contains('.') && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Some(Kind::Amount.describe());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALL: &[Kind] = &[
        Kind::Date,
        Kind::Amount,
        Kind::Currency,
        Kind::OrgId,
        Kind::WebAddress,
        Kind::Prose,
    ];

    #[test]
    fn slipped_values_are_recognised() {
        assert_eq!(looks_like(&json!("GBP"), ALL), Some(Kind::Currency));
        assert_eq!(looks_like(&json!("05/12/2014"), ALL), Some(Kind::Date));
        assert_eq!(looks_like(&json!("25000"), ALL), Some(Kind::Amount));
        assert_eq!(looks_like(&json!(25000.0), ALL), Some(Kind::Amount));
        assert_eq!(looks_like(&json!("GB-CHC-1145921"), ALL), Some(Kind::OrgId));
        assert_eq!(
            looks_like(&json!("http://www.thegenerationproject.co.uk/"), ALL),
            Some(Kind::WebAddress)
        );
        assert_eq!(
            looks_like(&json!("keyboards or a mouse (e.g.: blind people).\""), ALL),
            Some(Kind::Prose)
        );
        assert_eq!(looks_like(&json!("POUNDS"), ALL), None);
    }

    #[test]
    fn identifiers_holding_other_things() {
        assert!(not_an_identifier("Blackbird Leys").is_some());
        assert!(not_an_identifier("http://example.org").is_some());
        assert!(not_an_identifier("www.goodneighbourscheme.com").is_some());
        assert!(not_an_identifier("9856.08").is_some());
        assert_eq!(not_an_identifier("GB-CHC-Exempt Charity"), None);
        assert_eq!(not_an_identifier("360G-dulverton"), None);
        assert_eq!(not_an_identifier("DUMMY"), None);
        assert_eq!(not_an_identifier("E08000009"), None);
    }
}
