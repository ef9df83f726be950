//! Every read query a test sends through [`crate::TestApp`], with its answer, kept as an insta
//! snapshot per test and backend (`tests/snapshots/`): the record of what the read API answers,
//! which a rewrite of the read path (the planner) must give back value for value.
//!
//! What differs from run to run is normalised, and nothing else: ids of rows a test makes are
//! random (each entry numbers its UUIDs in order of appearance, `<id 1>`), times are the clock's
//! (`<time>`), the server's port is free-chosen (`<base>`), a signed link's signature and expiry
//! are the key's; a cursor is opened (`cursor:[...]`, normalised the same way), so that its sort
//! values are compared too. Numbers are kept as the server wrote them (`1.0` is not `1`).
//! Entries are sorted, so that requests a test sends at once may answer in any order, and kept
//! once each, so that a test may poll.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

/// Answers longer than this are kept as their digest (and the first part of their text).
const KEPT_WHOLE: usize = 4_000;

/// The read queries of one test and their answers.
#[derive(Debug)]
pub struct Answers {
    /// The snapshot's name: the test's path with its backend, `reports__funder_reports__sqlite`.
    name: Option<String>,
    entries: Mutex<Vec<String>>,
}

thread_local! {
    /// How many apps this test thread has made, so that a second app gets a name of its own.
    static APPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Answers {
    /// Records for the test running on this thread; records nothing off a test thread or when
    /// `B2H_RECORD_ANSWERS=0`.
    pub fn for_this_test() -> Self {
        let off = std::env::var("B2H_RECORD_ANSWERS").is_ok_and(|v| v == "0");
        let name = std::thread::current()
            .name()
            .filter(|n| n.contains("::") && !off)
            .map(|n| {
                let nth = APPS.with(|c| {
                    c.set(c.get() + 1);
                    c.get()
                });
                let base = n.replace("::", "__");
                if nth == 1 {
                    base
                } else {
                    format!("{base}-{nth}")
                }
            });
        Answers {
            name,
            entries: Mutex::new(Vec::new()),
        }
    }

    /// Notes a request and its answer, when the request only reads.
    pub fn note(&self, query: &str, variables: &Value, status: u16, body: &Value) {
        if self.name.is_none() || !recorded(query) {
            return;
        }
        let mut ids = HashMap::new();
        // Ids a test writes into its documents are random too.
        let query = text(query, &mut ids);
        let variables = normalised(variables, &mut ids);
        let mut body = normalised(body, &mut ids);
        // How many writes came before depends on the test's timing (a key's first use…).
        if let Some(sequence) = body.pointer_mut("/extensions/changeSequence") {
            *sequence = Value::String("<sequence>".into());
        }
        let answer = serde_json::to_string(&body).unwrap_or_default();
        let answer = if answer.len() > KEPT_WHOLE {
            use sha2::Digest as _;
            let digest = sha2::Sha256::digest(answer.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            let head: String = answer.chars().take(KEPT_WHOLE / 4).collect();
            format!("sha256 {hex} of {} bytes, beginning:\n{head}", answer.len())
        } else {
            answer
        };
        let entry = format!(
            "query: {}\nvariables: {}\nstatus: {status}\n{answer}\n",
            query.split_whitespace().collect::<Vec<_>>().join(" "),
            serde_json::to_string(&variables).unwrap_or_default(),
        );
        if let Ok(mut entries) = self.entries.lock() {
            entries.push(entry);
        }
    }

    /// Records nothing more: for a test whose answers depend on a race it sets up.
    pub fn off(&mut self) {
        self.name = None;
    }

    /// Compares the test's answers with its snapshot (at the end of a test that passed).
    pub fn check(&self) {
        let Some(name) = &self.name else {
            return;
        };
        // Always checked (INSTA_UPDATE=always records anew); B2H_CHECK_ANSWERS=0 skips it.
        if std::env::var("B2H_CHECK_ANSWERS").is_ok_and(|v| v == "0") {
            return;
        }
        let mut entries = match self.entries.lock() {
            Ok(entries) => entries.clone(),
            Err(_) => return,
        };
        if entries.is_empty() {
            return;
        }
        // Sorted, and each answer once: a test that polls (for the change feed, say) sends the
        // same request as often as it takes.
        entries.sort();
        entries.dedup();
        let text = entries.join("\n---\n");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(name.as_str(), text));
    }
}

/// Fields whose answers are not recorded: figures (their own tests hold them to the records;
/// the public's carry noise from the installation's random secret, and tests make random
/// records) and exports (sizes and times of files). The record is of the read API's rows.
const NOT_RECORDED: &[&str] = &[
    "impact",
    "campaignProgress",
    "funderImpactSummary",
    "missingReturns",
    "exports",
    "exportJob",
];

/// Whether a document is recorded: it only reads (no mutation or subscription), and none of
/// [`NOT_RECORDED`].
fn recorded(query: &str) -> bool {
    !query
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .any(|w| w == "mutation" || w == "subscription" || NOT_RECORDED.contains(&w))
}

/// The value with what differs between runs replaced (see the module's comment).
fn normalised(value: &Value, ids: &mut HashMap<String, usize>) -> Value {
    match value {
        Value::String(s) => Value::String(text(s, ids)),
        Value::Array(items) => Value::Array(items.iter().map(|v| normalised(v, ids)).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), normalised(v, ids)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn text(s: &str, ids: &mut HashMap<String, usize>) -> String {
    if let Some(keys) = cursor(s) {
        return format!("cursor:{}", normalised(&keys, ids));
    }
    if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return "<time>".to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(base) = rest.strip_prefix("http://127.0.0.1:") {
            let port = base
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(base.len());
            out.push_str("<base>");
            rest = &base[port..];
            continue;
        }
        if rest.len() >= 36
            && rest.is_char_boundary(36)
            && uuid::Uuid::try_parse(&rest[..36]).is_ok()
        {
            let id = &rest[..36];
            let next = ids.len() + 1;
            let n = *ids.entry(id.to_ascii_lowercase()).or_insert(next);
            // The case is kept: an id written in capitals is a different answer.
            let upper = id.bytes().any(|b| b.is_ascii_uppercase());
            out.push_str(&if upper {
                format!("<ID {n}>")
            } else {
                format!("<id {n}>")
            });
            rest = &rest[36..];
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    signed(&out)
}

/// A cursor's sort values, when `s` is one (base64url of a JSON array).
fn cursor(s: &str) -> Option<Value> {
    if s.len() < 8
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
    let keys: Value = serde_json::from_slice(&bytes).ok()?;
    keys.is_array().then_some(keys)
}

/// A signed link with its expiry, key and signature masked.
fn signed(s: &str) -> String {
    if !s.contains("sig=") && !s.contains("signature=") {
        return s.to_owned();
    }
    let (path, query) = s.split_once('?').unwrap_or((s, ""));
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k @ ("expires" | "sig" | "signature" | "key"), _)) => format!("{k}=<{k}>"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}
