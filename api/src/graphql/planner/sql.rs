//! SQL that writes JSON text, per backend: each value formatted exactly as async-graphql
//! formats it from the row the resolvers read (the snapshots in `tests/snapshots` hold them to
//! it), and the pieces put together by concatenation so that the database hands back one text.
//!
//! Every expression here is non-null: a null column becomes the text `null`.

use sea_orm::DbBackend;
use sea_orm::sea_query::{
    Condition, Expr, PostgresQueryBuilder, Query, SelectStatement, SqliteQueryBuilder, Value,
};

/// How a column's value is written in an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A UUID as a GraphQL `ID`: lower-case and hyphenated (SQLite holds 16 bytes).
    Id,
    /// A string.
    Text,
    /// An integer.
    Int,
    /// A boolean (SQLite holds 0 or 1).
    Bool,
    /// An enum: the stored snake case value in upper case.
    Enum,
    /// A `Date`, `YYYY-MM-DD`.
    Date,
    /// A `DateTime`: RFC 3339 in UTC with `Z`, and 0, 3, 6 (or, SQLite, 9) fraction digits.
    DateTime,
    /// A `Decimal` held as integer minor units: `"12.50"`.
    Decimal,
    /// A JSON array of strings held as JSON (`volunteerRoles`).
    StringArray,
    /// A `Float`: the database writes a text that reads back as the same double, between the
    /// marks [`FLOAT_START`] and [`FLOAT_END`], and [`fill_holes`] writes it as serde_json
    /// writes an `f64` (shortest round trip, `205.0`), which no SQL function does on both.
    Float,
}

/// Marks a float the database wrote; JSON text cannot hold the byte (strings escape it).
pub const FLOAT_START: char = '\u{1}';
pub const FLOAT_END: char = '\u{2}';

/// The JSON text of `column` (a qualified column reference) of kind `kind`.
pub fn value(backend: DbBackend, kind: Kind, column: &str, nullable: bool) -> String {
    let postgres = backend == DbBackend::Postgres;
    let text = match kind {
        // `json_quote` writes `null` for null itself; `to_json` is null for null.
        Kind::Text if !postgres => return format!("json_quote({column})"),
        Kind::Text => format!("to_json({column})::text"),
        Kind::Id if postgres => format!("'\"' || {column}::text || '\"'"),
        Kind::Id => format!(
            "'\"' || lower(substr(hex({column}), 1, 8) || '-' || substr(hex({column}), 9, 4) || '-' \
             || substr(hex({column}), 13, 4) || '-' || substr(hex({column}), 17, 4) || '-' \
             || substr(hex({column}), 21, 12)) || '\"'"
        ),
        Kind::Int if postgres => format!("{column}::text"),
        Kind::Int => format!("CAST({column} AS TEXT)"),
        Kind::Bool => format!(
            "CASE WHEN {column} IS NULL THEN NULL WHEN {column} THEN 'true' ELSE 'false' END"
        ),
        Kind::Enum => format!("'\"' || upper({column}) || '\"'"),
        Kind::Date if postgres => format!("'\"' || to_char({column}, 'YYYY-MM-DD') || '\"'"),
        // SQLite holds dates as the text sqlx binds, `YYYY-MM-DD`.
        Kind::Date => format!("'\"' || {column} || '\"'"),
        Kind::DateTime if postgres => {
            let utc = format!("({column} AT TIME ZONE 'UTC')");
            format!(
                "'\"' || to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE \
                 WHEN to_char({utc}, 'US') = '000000' THEN '' \
                 WHEN substr(to_char({utc}, 'US'), 4) = '000' THEN '.' || to_char({utc}, 'MS') \
                 ELSE '.' || to_char({utc}, 'US') END || 'Z\"'"
            )
        }
        // sqlx binds an instant as RFC 3339 with AutoSi fraction digits and `+00:00`.
        Kind::DateTime => format!("'\"' || replace({column}, '+00:00', 'Z') || '\"'"),
        Kind::Decimal if postgres => format!(
            "'\"' || CASE WHEN {column} < 0 THEN '-' ELSE '' END || (abs({column}) / 100)::text \
             || '.' || lpad((abs({column}) % 100)::text, 2, '0') || '\"'"
        ),
        Kind::Decimal => format!(
            "'\"' || CASE WHEN {column} < 0 THEN '-' ELSE '' END || (abs({column}) / 100) \
             || '.' || substr('0' || (abs({column}) % 100), -2) || '\"'"
        ),
        Kind::StringArray if postgres => format!("{column}::text"),
        Kind::StringArray => format!("json({column})"),
        // PostgreSQL writes a double's shortest exact text (extra_float_digits > 0, as sqlx
        // sets it); 17 significant digits always read back as the same double.
        Kind::Float if postgres => format!("chr(1) || {column}::text || chr(2)"),
        Kind::Float => format!("char(1) || printf('%!.17g', {column}) || char(2)"),
    };
    if nullable {
        format!("coalesce({text}, 'null')")
    } else {
        text
    }
}

/// A constant of the answer (a key, a type name), as an SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Most pieces one concatenation takes: SQLite refuses expressions nested deeper than 1,000,
/// and a chain of `||` nests once per piece, so long chains are split into groups.
const GROUP: usize = 32;

/// The pieces written one after another, as one text.
pub fn concat(pieces: Vec<String>) -> String {
    let mut pieces = pieces;
    loop {
        match pieces.len() {
            0 => return literal(""),
            1 => return pieces.pop().unwrap_or_default(),
            n if n <= GROUP => return format!("({})", pieces.join(" || ")),
            _ => {
                pieces = pieces
                    .chunks(GROUP)
                    .map(|group| format!("({})", group.join(" || ")))
                    .collect();
            }
        }
    }
}

/// The texts of `item` over the rows of `from` (`FROM … WHERE …`) in `order`, as a JSON array.
pub fn array(backend: DbBackend, item: &str, from: &str, order: &str) -> String {
    let aggregate = match backend {
        DbBackend::Postgres => format!("string_agg({item}, ',' ORDER BY {order})"),
        _ => format!("group_concat({item}, ',' ORDER BY {order})"),
    };
    format!("(SELECT '[' || coalesce({aggregate}, '') || ']' {from})")
}

/// The text of `item` for the one row of `from`, or `null` when there is none.
pub fn object_or_null(item: &str, from: &str) -> String {
    format!("coalesce((SELECT {item} {from}), 'null')")
}

/// Marks a cursor the database wrote: the JSON of its sort keys, which [`fill_holes`] writes
/// as the cursor (base64url, no padding), as `connection::encode_cursor` does.
pub const CURSOR_START: char = '\u{3}';
pub const CURSOR_END: char = '\u{4}';

/// `text` with every marked float written as serde_json writes an `f64` and every marked
/// cursor encoded; `None` when a mark does not hold what it should.
pub fn fill_holes(text: &str) -> Option<String> {
    use base64::Engine as _;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find([FLOAT_START, CURSOR_START]) {
        out.push_str(&rest[..start]);
        let cursor = rest[start..].starts_with(CURSOR_START);
        let after = &rest[start + 1..];
        let end = after.find(if cursor { CURSOR_END } else { FLOAT_END })?;
        let inner = &after[..end];
        if cursor {
            out.push_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(inner));
        } else {
            let value: f64 = inner.trim().parse().ok()?;
            out.push_str(&serde_json::Number::from_f64(value)?.to_string());
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// `text` with each hole of a computed field (`super::computed`), `slot "id"` between its
/// marks, replaced by what `fill` writes for that slot and id; `None` when a hole is not one.
pub fn fill_computed(
    text: &str,
    mut fill: impl FnMut(usize, &str) -> Option<String>,
) -> Option<String> {
    use super::computed::{END, START};
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(START) {
        out.push_str(&rest[..start]);
        let after = &rest[start + START.len_utf8()..];
        let end = after.find(END)?;
        let (slot, id) = after[..end].split_once('"')?;
        out.push_str(&fill(slot.parse().ok()?, id.strip_suffix('"')?)?);
        rest = &after[end + END.len_utf8()..];
    }
    out.push_str(rest);
    Some(out)
}

/// The text that marks the planner's bound value number `index` (see [`expr`]).
fn marker(index: usize) -> String {
    format!("\u{5}{index}\u{6}")
}

/// Binds `value`: its mark in the SQL text.
pub fn bind(values: &mut Vec<Value>, value: Value) -> String {
    values.push(value);
    marker(values.len() - 1)
}

/// The planner's SQL `text` as an expression, each marked value bound in the order it comes
/// in the text (values are never written into SQL).
pub fn expr(backend: DbBackend, text: &str, values: &[Value]) -> Expr {
    if !text.contains('\u{5}') {
        return Expr::cust(text.to_owned());
    }
    let mut sql = String::with_capacity(text.len());
    let mut bound = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('\u{5}') {
        sql.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('\u{6}') else {
            break;
        };
        if let Some(value) = after[..end]
            .parse::<usize>()
            .ok()
            .and_then(|i| values.get(i))
        {
            bound.push(value.clone());
        }
        // The query builder's own placeholder: `$n` (of this expression's values) or `?`.
        if backend == DbBackend::Postgres {
            sql.push_str(&format!("${}", bound.len()));
        } else {
            sql.push('?');
        }
        rest = &after[end + 1..];
    }
    sql.push_str(rest);
    Expr::cust_with_values(sql, bound)
}

/// `statement` as SQL text of the planner, its values bound by mark.
pub fn statement(
    backend: DbBackend,
    statement: &SelectStatement,
    values: &mut Vec<Value>,
) -> String {
    let (sql, built) = match backend {
        DbBackend::Postgres => statement.build(PostgresQueryBuilder),
        _ => statement.build(SqliteQueryBuilder),
    };
    let marks: Vec<String> = built.0.into_iter().map(|v| bind(values, v)).collect();
    if backend == DbBackend::Postgres {
        // `$10` before `$1`.
        let mut text = sql;
        for (i, mark) in marks.iter().enumerate().rev() {
            text = text.replace(&format!("${}", i + 1), mark);
        }
        text
    } else {
        let mut parts = sql.split('?');
        let mut out = parts.next().unwrap_or_default().to_owned();
        for (part, mark) in parts.zip(marks.iter()) {
            out.push_str(mark);
            out.push_str(part);
        }
        out
    }
}

/// `condition` (a rule of `access`, a filter) as SQL text of the planner.
pub fn condition(backend: DbBackend, condition: Condition, values: &mut Vec<Value>) -> String {
    let mut query = Query::select();
    query.expr(Expr::cust("1")).cond_where(condition);
    let text = statement(backend, &query, values);
    text.split_once(" WHERE ")
        .map_or_else(|| "1 = 1".to_owned(), |(_, rule)| rule.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_concatenations_nest_shallowly() {
        let pieces: Vec<String> = (0..2000).map(|i| format!("'{i}'")).collect();
        let sql = concat(pieces);
        let depth = sql
            .chars()
            .scan(0i32, |d, c| {
                *d += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                Some(*d)
            })
            .max();
        assert_eq!(depth, Some(3));
        assert!(sql.contains("'1999'"));
    }

    #[test]
    fn floats_are_written_as_serde_json_writes_them() {
        let cases = [
            ("205", "205.0"),
            ("2.0500000000000000e+02", "205.0"),
            ("0.30000000000000004", "0.30000000000000004"),
            ("1e+15", "1000000000000000.0"),
            ("1e-07", "1e-7"),
            ("-0", "-0.0"),
        ];
        for (db, json) in cases {
            let marked = format!("{{\"v\":{FLOAT_START}{db}{FLOAT_END}}}");
            assert_eq!(
                fill_holes(&marked).as_deref(),
                Some(format!("{{\"v\":{json}}}").as_str())
            );
        }
        assert_eq!(fill_holes("{\"v\":\u{1}nonsense\u{2}}"), None);
        let cursor = format!("\"{CURSOR_START}[{{\"Int\":1}}]{CURSOR_END}\"");
        let expected = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            "[{\"Int\":1}]",
        );
        assert_eq!(fill_holes(&cursor), Some(format!("\"{expected}\"")));
    }

    #[test]
    fn access_rules_are_bound_not_written() {
        let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let rule = crate::access::RecordAccess::FundedProjects(id).condition();
        let Some(rule) = rule else {
            panic!("a funder's rule")
        };
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let mut values = Vec::new();
            let text = condition(backend, rule.clone(), &mut values);
            assert!(
                !text.contains("0123") && !text.contains('$') && !text.contains('?'),
                "{text}"
            );
            assert!(values.contains(&Value::Uuid(Some(id))), "{values:?}");
            let expr = expr(backend, &format!("x AND {text}"), &values);
            let mut query = Query::select();
            query.expr(expr);
            let (sql, bound) = match backend {
                DbBackend::Postgres => query.build(PostgresQueryBuilder),
                _ => query.build(SqliteQueryBuilder),
            };
            assert_eq!(bound.0.len(), values.len(), "{sql}");
            assert!(!sql.contains('\u{5}'), "{sql}");
        }
    }

    #[test]
    fn literals_cannot_close_their_quotes() {
        assert_eq!(literal("it's"), "'it''s'");
    }
}
