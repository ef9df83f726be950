//! Fields the database cannot write (`Funder.reportUrl` is signed with the installation's
//! secret): the statement writes a hole holding the field's slot and the row's id, and Rust
//! fills it once the rows are back. A field that fails is dropped from its object with an
//! error at its path, as async-graphql does for a field that fails (an object left with no
//! field is `null`), so both paths answer alike.

use super::sql;
use crate::access::Principal;
use crate::graphql::error::ApiResult;
use crate::graphql::types::funder::{LinkSigner, ReportUrlArgs, report_link};
use async_graphql::{Context, Pos, ServerError, Value};
use sea_orm::{DatabaseConnection, DbBackend};

/// Marks a hole the planner fills: `START slot "id" END` (JSON text cannot hold the bytes).
pub const START: char = '\u{7}';
pub const END: char = '\u{8}';

/// A field of the selection that Rust writes, with the arguments it was asked with.
pub enum Computed {
    ReportUrl { args: ReportUrlArgs, pos: Pos },
}

/// The SQL of hole `slot` for the row whose JSON id `id` (as `sql::value` writes an id) is.
pub fn hole(backend: DbBackend, slot: usize, id: &str) -> String {
    let (start, end) = match backend {
        DbBackend::Postgres => ("chr(7)", "chr(8)"),
        _ => ("char(7)", "char(8)"),
    };
    format!(
        "{start} || {} || {id} || {end}",
        sql::literal(&slot.to_string())
    )
}

/// Fills the holes of `text` (an answer the planner's statement wrote for the root field `ctx`
/// resolves), reporting each field that fails as async-graphql would.
pub async fn fill(ctx: &Context<'_>, computed: &[Computed], text: String) -> ApiResult<String> {
    if computed.is_empty() || !text.contains(START) {
        return Ok(text);
    }
    let principal = ctx.data_opt::<Principal>();
    let now = chrono::Utc::now();
    // Every link of one request is for the reader's key: it and the secret are read once.
    let signer = match principal {
        Some(Principal::Key { id, .. }) => {
            LinkSigner::load(ctx.data::<DatabaseConnection>()?, *id).await?
        }
        _ => LinkSigner::without_key(),
    };
    let nonce = format!("\u{0}b2h-failed-{}-", uuid::Uuid::new_v4().simple());
    let mut failures: Vec<ServerError> = Vec::new();
    let filled = sql::fill_computed(&text, |slot, id| {
        let Computed::ReportUrl { args, pos } = computed.get(slot)?;
        let funder = uuid::Uuid::parse_str(id).ok()?;
        let url = report_link(principal, funder, args, now).and_then(|link| signer.url(&link));
        Some(match url {
            Ok(url) => serde_json::Value::from(url).to_string(),
            Err(error) => {
                failures.push(error.into_server_error(*pos));
                serde_json::Value::from(format!("{nonce}{}", failures.len() - 1)).to_string()
            }
        })
    })
    .ok_or_else(|| {
        crate::graphql::error::coded(crate::graphql::error::ApiError::Internal(
            "the planner's statement wrote a hole it cannot read".into(),
        ))
    })?;
    if failures.is_empty() {
        return Ok(filled);
    }
    report_failures(ctx, &filled, &nonce, failures)
}

/// `text` without the fields that failed (each marked by `nonce` and its index), each failure
/// reported at its path.
fn report_failures(
    ctx: &Context<'_>,
    text: &str,
    nonce: &str,
    failures: Vec<ServerError>,
) -> ApiResult<String> {
    let internal = || {
        crate::graphql::error::coded(crate::graphql::error::ApiError::Internal(
            "the planner wrote an answer that is not JSON".into(),
        ))
    };
    let mut value: Value = serde_json::from_str(text).map_err(|_| internal())?;
    let mut path: Vec<async_graphql::PathSegment> = Vec::new();
    if let Some(node) = &ctx.path_node {
        let mut nodes: Vec<_> = std::iter::once(node).chain(node.parents()).collect();
        nodes.reverse();
        for node in nodes {
            path.push(match node.segment {
                async_graphql::QueryPathSegment::Name(name) => {
                    async_graphql::PathSegment::Field(name.to_owned())
                }
                async_graphql::QueryPathSegment::Index(i) => async_graphql::PathSegment::Index(i),
            });
        }
    }
    let mut failures: Vec<Option<ServerError>> = failures.into_iter().map(Some).collect();
    let mut report = |index: usize, path: &[async_graphql::PathSegment]| {
        if let Some(Some(mut error)) = failures.get_mut(index).map(Option::take) {
            error.path = path.to_vec();
            ctx.add_error(error);
        }
    };
    drop_failed(&mut value, nonce, &mut path, &mut report);
    serde_json::to_string(&value).map_err(|_| internal())
}

/// Drops each field of `value` whose value is a failure's mark, reporting it; an object left
/// without fields becomes `null`. Nested no deeper than the answer (which the depth limit
/// bounds).
fn drop_failed(
    value: &mut Value,
    nonce: &str,
    path: &mut Vec<async_graphql::PathSegment>,
    report: &mut dyn FnMut(usize, &[async_graphql::PathSegment]),
) {
    match value {
        Value::Object(fields) => {
            let mut failed = Vec::new();
            for (key, field) in fields.iter_mut() {
                path.push(async_graphql::PathSegment::Field(key.to_string()));
                match field {
                    Value::String(text) if text.starts_with(nonce) => {
                        if let Ok(index) = text[nonce.len()..].parse::<usize>() {
                            report(index, path);
                        }
                        failed.push(key.clone());
                    }
                    _ => drop_failed(field, nonce, path, report),
                }
                path.pop();
            }
            if !failed.is_empty() {
                fields.retain(|key, _| !failed.contains(key));
                if fields.is_empty() {
                    *value = Value::Null;
                }
            }
        }
        Value::List(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                path.push(async_graphql::PathSegment::Index(index));
                drop_failed(item, nonce, path, report);
                path.pop();
            }
        }
        _ => {}
    }
}
