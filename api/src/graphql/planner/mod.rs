//! The read planner: a root list or lookup field answered by one SQL statement that returns
//! its whole nested answer as JSON text, written into the response as a raw value (see
//! docs/planner.md). The selection is walked as `plain` walks it (aliases, fragments and
//! merged fields); what the catalog does not describe is [`Unplannable`], and that root field
//! is resolved the usual way.

mod catalog;
mod compile;
mod sql;

pub use catalog::Type;
pub use compile::Unplannable;

use super::connection::{JsonColumns, JsonPage};
use super::error::{ApiResult, coded};
use super::loaders::Loaders;
use super::plain::{self, Plan};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::Field;
use async_graphql::{
    Context, ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value, registry,
};
use async_graphql_value::RAW_VALUE_TOKEN;
use compile::Compiler;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QuerySelect, QueryTrait, Select};
use std::borrow::Cow;
use std::sync::Arc;

/// A root field's answer: the planner's JSON, or a value resolved the usual way. Registers in
/// the schema exactly as `T` does.
pub enum Answer<T> {
    Planned(String),
    Resolved(T),
}

impl<T: OutputType> OutputType for Answer<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut registry::Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match self {
            Answer::Planned(json) => Ok(Value::Object(IndexMap::from([(
                Name::new(RAW_VALUE_TOKEN),
                Value::String(json.clone()),
            )]))),
            Answer::Resolved(value) => value.resolve(ctx, field).await,
        }
    }
}

/// The selection of the root field `ctx` resolves, as the walk collects it.
fn selection<'c>(ctx: &'c Context<'c>) -> (ContextSelectionSet<'c>, Plan<'c>) {
    let set = ctx.with_selection_set(&ctx.item.node.selection_set);
    let plan = plain::collect(&set, &[&ctx.item.node.selection_set]);
    (set, plan)
}

/// Charges the answer budget with list items the planner's rows hold.
fn charge(ctx: &Context<'_>, items: i64) -> ApiResult<()> {
    if items > 0 {
        let loaders = ctx.data::<Arc<Loaders>>()?;
        loaders
            .answer
            .charge(usize::try_from(items).unwrap_or(usize::MAX))?;
    }
    Ok(())
}

/// The JSON of the objects `select` (rows of `ty`'s table) finds, in its order, with the
/// selection of the root field `ctx` resolves.
async fn objects<E: EntityTrait>(
    ctx: &Context<'_>,
    ty: Type,
    select: Select<E>,
) -> ApiResult<Option<Vec<String>>> {
    let db = ctx.data::<DatabaseConnection>()?;
    let (set, plan) = selection(ctx);
    let row = format!("\"{}\"", ty.table().name);
    let Ok(compiled) = Compiler::new(&set, db.get_database_backend()).object(ty, &row, &plan)
    else {
        return Ok(None);
    };
    let mut query = select.into_query();
    query.clear_selects();
    query.expr_as(Expr::cust(compiled.json), "b2h_json");
    if let Some(items) = &compiled.items {
        query.expr_as(Expr::cust(format!("CAST({items} AS BIGINT)")), "b2h_items");
    }
    let rows = db.query_all(&query).await.map_err(coded)?;
    let mut texts = Vec::with_capacity(rows.len());
    let mut items = 0i64;
    for row in &rows {
        texts.push(row.try_get::<String>("", "b2h_json").map_err(coded)?);
        if compiled.items.is_some() {
            items = items.saturating_add(row.try_get::<i64>("", "b2h_items").map_err(coded)?);
        }
    }
    charge(ctx, items)?;
    Ok(Some(texts))
}

/// A root list (`regions`, `campaigns`…): `None` when the selection is not compiled.
pub async fn list<E: EntityTrait>(
    ctx: &Context<'_>,
    ty: Type,
    select: Select<E>,
) -> ApiResult<Option<String>> {
    Ok(objects(ctx, ty, select).await?.map(|texts| {
        let mut json = String::with_capacity(texts.iter().map(String::len).sum::<usize>() + 2);
        json.push('[');
        json.push_str(&texts.join(","));
        json.push(']');
        json
    }))
}

/// A root lookup (`project(reference:)`…): the object or `null`; `None` when the selection is
/// not compiled.
pub async fn lookup<E: EntityTrait>(
    ctx: &Context<'_>,
    ty: Type,
    select: Select<E>,
) -> ApiResult<Option<String>> {
    Ok(objects(ctx, ty, select.limit(1))
        .await?
        .map(|mut texts| texts.pop().unwrap_or_else(|| "null".into())))
}

/// What a connection's selection asks for, each node selection compiled to a column.
pub struct ConnectionPlan {
    node: &'static str,
    columns: Vec<String>,
    items: Option<String>,
    shape: Vec<(Name, Part)>,
}

enum Part {
    Typename,
    TotalCount,
    PageInfo(Vec<(Name, Info)>),
    Nodes(usize),
    Edges(Vec<(Name, Edge)>),
}

enum Info {
    Typename,
    HasNext,
    HasPrevious,
    Start,
    End,
}

enum Edge {
    Typename,
    Cursor,
    Node(usize),
}

impl ConnectionPlan {
    /// The plan of the connection field `ctx` resolves, over rows of `ty`; `None` when the
    /// selection is not compiled.
    pub fn of(ctx: &Context<'_>, ty: Type, backend: sea_orm::DbBackend) -> Option<Self> {
        let (set, plan) = selection(ctx);
        let mut compiler = Compiler::new(&set, backend);
        let row = format!("\"{}\"", ty.table().name);
        let mut columns = Vec::new();
        let mut items = Vec::new();
        let mut node = |compiled: Result<compile::Compiled, Unplannable>| {
            let compiled = compiled.ok()?;
            columns.push(compiled.json);
            items.extend(compiled.items);
            Some(columns.len() - 1)
        };
        let mut shape = Vec::with_capacity(plan.fields.len());
        for planned in &plan.fields {
            let name = planned.fields.first()?.node.name.node.as_str();
            let part = match name {
                "__typename" => Part::Typename,
                "totalCount" => Part::TotalCount,
                "nodes" => Part::Nodes(node(compiler.object(ty, &row, planned.inner(&set)))?),
                "pageInfo" => {
                    let mut info = Vec::new();
                    for f in &planned.inner(&set).fields {
                        let part = match f.fields.first()?.node.name.node.as_str() {
                            "__typename" => Info::Typename,
                            "hasNextPage" => Info::HasNext,
                            "hasPreviousPage" => Info::HasPrevious,
                            "startCursor" => Info::Start,
                            "endCursor" => Info::End,
                            _ => return None,
                        };
                        info.push((f.key.clone(), part));
                    }
                    Part::PageInfo(info)
                }
                "edges" => {
                    let mut edge = Vec::new();
                    for f in &planned.inner(&set).fields {
                        let part = match f.fields.first()?.node.name.node.as_str() {
                            "__typename" => Edge::Typename,
                            "cursor" => Edge::Cursor,
                            "node" => Edge::Node(node(compiler.object(ty, &row, f.inner(&set)))?),
                            _ => return None,
                        };
                        edge.push((f.key.clone(), part));
                    }
                    Part::Edges(edge)
                }
                _ => return None,
            };
            shape.push((planned.key.clone(), part));
        }
        Some(Self {
            node: ty.name(),
            columns,
            items: (!items.is_empty()).then(|| items.join(" + ")),
            shape,
        })
    }

    /// What the page's query adds for this plan.
    pub fn columns(&self) -> JsonColumns<'_> {
        JsonColumns {
            json: &self.columns,
            items: self.items.as_deref(),
        }
    }

    /// The connection's JSON from its page, the answer budget charged with its lists.
    pub fn write(&self, ctx: &Context<'_>, page: &JsonPage) -> ApiResult<String> {
        charge(
            ctx,
            page.items.iter().fold(0i64, |a, b| a.saturating_add(*b)),
        )?;
        let rows_len: usize = page.rows.iter().flatten().map(String::len).sum();
        let mut out = String::with_capacity(rows_len + 64 * page.rows.len() + 256);
        out.push('{');
        for (index, (key, part)) in self.shape.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            push_key(&mut out, key);
            match part {
                Part::Typename => push_str(&mut out, &format!("{}Connection", self.node)),
                Part::TotalCount => out.push_str(&page.total_count.to_string()),
                Part::Nodes(column) => {
                    out.push('[');
                    for (i, row) in page.rows.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(row.get(*column).map_or("null", String::as_str));
                    }
                    out.push(']');
                }
                Part::PageInfo(info) => {
                    out.push('{');
                    for (i, (key, part)) in info.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        push_key(&mut out, key);
                        let info = &page.page_info;
                        match part {
                            Info::Typename => push_str(&mut out, "PageInfo"),
                            Info::HasNext => out.push_str(bool_text(info.has_next_page)),
                            Info::HasPrevious => out.push_str(bool_text(info.has_previous_page)),
                            Info::Start => push_opt(&mut out, info.start_cursor.as_deref()),
                            Info::End => push_opt(&mut out, info.end_cursor.as_deref()),
                        }
                    }
                    out.push('}');
                }
                Part::Edges(edge) => {
                    out.push('[');
                    for (i, row) in page.rows.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push('{');
                        for (j, (key, part)) in edge.iter().enumerate() {
                            if j > 0 {
                                out.push(',');
                            }
                            push_key(&mut out, key);
                            match part {
                                Edge::Typename => push_str(&mut out, &format!("{}Edge", self.node)),
                                Edge::Cursor => {
                                    push_opt(&mut out, page.cursors.get(i).map(String::as_str))
                                }
                                Edge::Node(column) => {
                                    out.push_str(row.get(*column).map_or("null", String::as_str))
                                }
                            }
                        }
                        out.push('}');
                    }
                    out.push(']');
                }
            }
        }
        out.push('}');
        Ok(out)
    }
}

fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

fn push_str(out: &mut String, text: &str) {
    // Writing a string to JSON cannot fail.
    out.push_str(&serde_json::Value::from(text).to_string());
}

fn push_opt(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => push_str(out, text),
        None => out.push_str("null"),
    }
}

fn push_key(out: &mut String, key: &Name) {
    push_str(out, key.as_str());
    out.push(':');
}
