//! Bounds on a request's shape, checked before anything recursive or super-linear runs.
//!
//! The parser, input coercion and the filter builders recurse once per level of nesting, and
//! validation walks each fragment once per place it is spread. So a 2 KB document of 2,000
//! nested lists overflows a thread's stack, and a chain of fragments that each spread the next
//! twice makes validation take minutes. The checks here hold the worst case down by
//! construction: [`check_text`] scans the query text with a flat loop before it is parsed,
//! [`check_variables`] walks the variables with an explicit stack, and [`check_document`]
//! counts the fields a parsed document expands to (fragments inlined) with memoised, iterative
//! arithmetic before validation sees it.

use async_graphql::Variables;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Value};
use std::collections::HashMap;

/// Deepest nesting of brackets (`{`, `[`, `(`) in the query text, and of lists and objects in
/// the variables. Selections are limited further by the schema's depth limit; this bound is
/// what keeps every recursive step (parsing, coercion, filters, SQL) well inside a stack: the
/// parser's and async-graphql's input coercion recurse once per level, and 60 levels of nested
/// input objects overflowed a runtime thread's 2 MiB in a debug build. Nothing the schema
/// accepts needs more (selections are at most 16 deep, filters 8).
pub const MAX_NESTING: usize = 32;
/// Most field selections a document expands to with its fragments inlined.
pub const MAX_EXPANDED_FIELDS: usize = 5_000;
/// Longest chain of fragments spreading one another.
pub const MAX_FRAGMENT_CHAIN: usize = 16;
/// Most items one list value may hold (a batch of records is at most 5,000): long lists become
/// as many bound parameters, and databases refuse statements past a few tens of thousands.
pub const MAX_LIST_VALUES: usize = 5_000;
/// Most aliased fields one document may expand to (aliases multiply work past the complexity
/// count).
pub const MAX_ALIASES: usize = 30;

/// Why a request's shape is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShapeError {
    #[error("the query nests brackets more than {MAX_NESTING} levels deep")]
    TextTooDeep,
    #[error("the variables nest lists and objects more than {MAX_NESTING} levels deep")]
    VariablesTooDeep,
    #[error(
        "the query expands to more than {MAX_EXPANDED_FIELDS} fields with its fragments inlined"
    )]
    TooManyFields,
    #[error("fragments spread one another more than {MAX_FRAGMENT_CHAIN} deep")]
    FragmentChain,
    #[error("the query has {0} aliases; at most {MAX_ALIASES} are allowed")]
    TooManyAliases(u64),
    #[error("text may not contain the NUL character (U+0000)")]
    Nul,
    #[error("a list holds more than {MAX_LIST_VALUES} values")]
    LongList,
}

impl ShapeError {
    /// The `extensions.code`: a NUL or an overlong list is bad input, everything else a limit.
    pub fn code(&self) -> &'static str {
        match self {
            ShapeError::Nul | ShapeError::LongList => "BAD_USER_INPUT",
            _ => "LIMIT_EXCEEDED",
        }
    }
}

/// Scans the query text: bracket nesting at most [`MAX_NESTING`] (brackets inside strings and
/// comments do not count) and no NUL, raw or escaped.
pub fn check_text(query: &str) -> Result<(), ShapeError> {
    let bytes = query.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0 => return Err(ShapeError::Nul),
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    if bytes[i] == 0 {
                        return Err(ShapeError::Nul);
                    }
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                // A block string ends at the first `"""` not escaped as `\"""`.
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    if bytes[i] == 0 {
                        return Err(ShapeError::Nul);
                    }
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    match bytes[i] {
                        0 => return Err(ShapeError::Nul),
                        b'\\'
                            if bytes[i..].starts_with(b"\\u0000")
                                || bytes[i..].starts_with(b"\\u{0}")
                                || bytes[i..].starts_with(b"\\u{0000}") =>
                        {
                            return Err(ShapeError::Nul);
                        }
                        b'\\' => i += 2,
                        _ => i += 1,
                    }
                }
                i += 1;
                continue;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(ShapeError::TextTooDeep);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Walks the variables with an explicit stack: nesting at most [`MAX_NESTING`], no NUL in any
/// string or object key.
pub fn check_variables(variables: &Variables) -> Result<(), ShapeError> {
    let mut stack: Vec<(&Value, usize)> = variables.values().map(|v| (v, 1)).collect();
    for (name, _) in variables.iter() {
        if name.contains('\0') {
            return Err(ShapeError::Nul);
        }
    }
    while let Some((value, depth)) = stack.pop() {
        match value {
            Value::String(text) if text.contains('\0') => return Err(ShapeError::Nul),
            Value::List(items) => {
                if depth >= MAX_NESTING {
                    return Err(ShapeError::VariablesTooDeep);
                }
                if items.len() > MAX_LIST_VALUES {
                    return Err(ShapeError::LongList);
                }
                stack.extend(items.iter().map(|v| (v, depth + 1)));
            }
            Value::Object(fields) => {
                if depth >= MAX_NESTING {
                    return Err(ShapeError::VariablesTooDeep);
                }
                for (key, v) in fields {
                    if key.contains('\0') {
                        return Err(ShapeError::Nul);
                    }
                    stack.push((v, depth + 1));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// What one selection set holds directly, and the fragments it spreads (once per spread).
#[derive(Default)]
struct Direct<'a> {
    fields: u64,
    aliases: u64,
    spreads: Vec<&'a Name>,
    /// An argument holds a list longer than [`MAX_LIST_VALUES`].
    long_list: bool,
}

/// Whether a literal argument value holds a list longer than [`MAX_LIST_VALUES`] (an explicit
/// stack; the text's nesting is bounded anyway).
fn has_long_list(value: &async_graphql_value::Value) -> bool {
    use async_graphql_value::Value as Literal;
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Literal::List(items) if items.len() > MAX_LIST_VALUES => return true,
            Literal::List(items) => stack.extend(items.iter()),
            Literal::Object(fields) => stack.extend(fields.values()),
            _ => {}
        }
    }
    false
}

/// Fields and aliases of a selection set, inline fragments included, spreads listed. The
/// recursion follows the text's nesting, which [`check_text`] bounded before parsing.
fn direct<'a>(set: &'a SelectionSet, into: &mut Direct<'a>) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                into.fields += 1;
                into.long_list |= field
                    .node
                    .arguments
                    .iter()
                    .any(|(_, value)| has_long_list(&value.node));
                into.aliases += u64::from(field.node.alias.is_some());
                direct(&field.node.selection_set.node, into);
            }
            Selection::InlineFragment(fragment) => direct(&fragment.node.selection_set.node, into),
            Selection::FragmentSpread(spread) => into.spreads.push(&spread.node.fragment_name.node),
        }
    }
}

/// A fragment's expansion: fields and aliases with every spread inlined, and the longest chain
/// of spreads below it.
#[derive(Clone, Copy, Default)]
struct Expanded {
    fields: u64,
    aliases: u64,
    chain: usize,
}

/// Counts what the document expands to: fields at most [`MAX_EXPANDED_FIELDS`], aliases at most
/// [`MAX_ALIASES`], fragment chains at most [`MAX_FRAGMENT_CHAIN`]. Each fragment is counted
/// once and its total reused (an explicit stack, no recursion over fragments); a spread of an
/// unknown fragment or one that closes a cycle counts nothing here, and validation refuses it.
pub fn check_document(document: &ExecutableDocument) -> Result<(), ShapeError> {
    let directs: HashMap<&Name, Direct> = document
        .fragments
        .iter()
        .map(|(name, fragment)| {
            let mut d = Direct::default();
            direct(&fragment.node.selection_set.node, &mut d);
            (name, d)
        })
        .collect();
    let mut done: HashMap<&Name, Expanded> = HashMap::new();
    let mut visiting: std::collections::HashSet<&Name> = std::collections::HashSet::new();
    for start in directs.keys() {
        let mut stack: Vec<(&Name, usize)> = vec![(*start, 0)];
        while let Some(&(name, next)) = stack.last() {
            if done.contains_key(name) {
                stack.pop();
                continue;
            }
            visiting.insert(name);
            let spreads = directs.get(name).map_or(&[][..], |d| &d.spreads[..]);
            // Descend into the next spread not yet counted.
            if let Some(child) = spreads.get(next) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                if directs.contains_key(child)
                    && !done.contains_key(child)
                    && !visiting.contains(child)
                {
                    stack.push((child, 0));
                }
                continue;
            }
            let d = &directs[name];
            let mut total = Expanded {
                fields: d.fields,
                aliases: d.aliases,
                chain: 0,
            };
            for child in &d.spreads {
                if let Some(c) = done.get(child) {
                    total.fields = total.fields.saturating_add(c.fields);
                    total.aliases = total.aliases.saturating_add(c.aliases);
                    total.chain = total.chain.max(c.chain + 1);
                }
            }
            if total.chain > MAX_FRAGMENT_CHAIN {
                return Err(ShapeError::FragmentChain);
            }
            visiting.remove(name);
            done.insert(name, total);
            stack.pop();
        }
    }
    if directs.values().any(|d| d.long_list) {
        return Err(ShapeError::LongList);
    }
    let mut fields = 0u64;
    let mut aliases = 0u64;
    for (_, operation) in document.operations.iter() {
        let mut d = Direct::default();
        direct(&operation.node.selection_set.node, &mut d);
        if d.long_list {
            return Err(ShapeError::LongList);
        }
        fields = fields.saturating_add(d.fields);
        aliases = aliases.saturating_add(d.aliases);
        for child in &d.spreads {
            if let Some(c) = done.get(child) {
                fields = fields.saturating_add(c.fields);
                aliases = aliases.saturating_add(c.aliases);
            }
        }
    }
    // Every fragment definition is validated once on its own too.
    for d in directs.values() {
        fields = fields.saturating_add(d.fields);
    }
    if fields > MAX_EXPANDED_FIELDS as u64 {
        return Err(ShapeError::TooManyFields);
    }
    if aliases > MAX_ALIASES as u64 {
        return Err(ShapeError::TooManyAliases(aliases));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).unwrap()
    }

    #[test]
    fn nesting_is_counted_outside_strings_and_comments() {
        let deep = |n: usize| format!("{{ a(x: {}1{}) }}", "[".repeat(n), "]".repeat(n));
        assert!(check_text(&deep(MAX_NESTING - 2)).is_ok());
        assert_eq!(check_text(&deep(MAX_NESTING)), Err(ShapeError::TextTooDeep));
        let brackets = "[".repeat(500);
        assert!(check_text(&format!("{{ a(x: \"{brackets}\") }}")).is_ok());
        assert!(check_text(&format!("{{ a(x: \"\"\"{brackets}\\\"\"\"\"\"\") }}")).is_ok());
        assert!(check_text(&format!("# {brackets}\n{{ a }}")).is_ok());
        assert!(check_text("{ a(x: \"\\\"[[[\") }").is_ok());
    }

    #[test]
    fn nul_is_refused_raw_or_escaped() {
        assert_eq!(check_text("{ a(x: \"a\u{0}b\") }"), Err(ShapeError::Nul));
        assert_eq!(check_text("{ a(x: \"a\\u0000b\") }"), Err(ShapeError::Nul));
        assert!(check_text("{ a(x: \"a\\u0041b\") }").is_ok());
        let vars = Variables::from_json(serde_json::json!({ "x": ["ok", { "k": "a\u{0}" }] }));
        assert_eq!(check_variables(&vars), Err(ShapeError::Nul));
    }

    #[test]
    fn variables_are_bounded_in_depth() {
        let mut value = serde_json::json!(1);
        for _ in 0..MAX_NESTING {
            value = serde_json::json!({ "not": value });
        }
        let vars = Variables::from_json(serde_json::json!({ "f": value }));
        assert_eq!(check_variables(&vars), Err(ShapeError::VariablesTooDeep));
        let vars = Variables::from_json(serde_json::json!({ "f": { "not": { "a": [1, 2] } } }));
        assert!(check_variables(&vars).is_ok());
    }

    #[test]
    fn doubling_fragments_are_counted_without_expanding_them() {
        let mut query = String::from("{ ...F0 } fragment F28 on Query { campaigns { name } }");
        for i in 0..28 {
            query.push_str(&format!(
                " fragment F{i} on Query {{ ...F{n} ...F{n} }}",
                n = i + 1
            ));
        }
        // The chain is 28 deep and expands to 2^29 fields: refused either way, at once.
        assert!(check_document(&document(&query)).is_err());
        let mut query = String::from("{ ...F0 } fragment F12 on Query { campaigns { name } }");
        for i in 0..12 {
            query.push_str(&format!(
                " fragment F{i} on Query {{ ...F{n} ...F{n} }}",
                n = i + 1
            ));
        }
        assert_eq!(
            check_document(&document(&query)),
            Err(ShapeError::TooManyFields)
        );
    }

    #[test]
    fn aliases_count_once_per_spread() {
        let doc = document(
            "{ a: projects { n: totalCount } ...F ...F } fragment F on Query { b: funders { totalCount } }",
        );
        assert_eq!(check_document(&doc), Ok(()));
        let spreads = " ...F".repeat(31);
        let doc = document(&format!(
            "{{ {spreads} }} fragment F on Query {{ b: funders {{ totalCount }} }}"
        ));
        assert_eq!(check_document(&doc), Err(ShapeError::TooManyAliases(31)));
    }

    #[test]
    fn cycles_and_unknown_fragments_are_left_to_validation() {
        let doc = document(
            "{ ...A ...Missing } fragment A on Query { ...B } fragment B on Query { ...A campaigns { name } }",
        );
        assert_eq!(check_document(&doc), Ok(()));
    }
}
