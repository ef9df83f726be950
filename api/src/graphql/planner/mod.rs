//! The read planner: a root list or lookup field answered by one SQL statement that returns
//! its whole nested answer as JSON text, written into the response as a raw value (see
//! docs/planner.md). The selection is walked as `plain` walks it (aliases, fragments and
//! merged fields); what the catalog does not describe is [`Unplannable`], and that root field
//! is resolved the usual way.

mod catalog;
mod compile;
mod computed;
mod plans;
mod sql;

pub use catalog::Type;
pub use compile::Unplannable;
pub use plans::{PlanKey, Plans};

use super::connection::{JsonPage, JsonStatement, Listing, PageArgs};
use super::error::{ApiResult, coded};
use super::loaders::Loaders;
use super::plain::{self, Plan};
use super::query::record_access;
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::Field;
use async_graphql::{
    Context, ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value, registry,
};
use async_graphql_value::RAW_VALUE_TOKEN;
use compile::{Compiler, Info};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, JoinType, Query, QueryStatementBuilder, SelectStatement,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QuerySelect, QueryTrait, Select,
    Statement,
};
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

/// What is left to write into an answer once the database wrote it.
struct Holes {
    /// Floats and cursors (see [`sql::fill_holes`]).
    written: bool,
    /// Fields Rust writes (see [`computed`]).
    computed: Vec<computed::Computed>,
}

impl Holes {
    fn of(compiler: &mut Compiler<'_, '_>) -> Self {
        Self {
            written: compiler.holes,
            computed: std::mem::take(&mut compiler.computed),
        }
    }

    /// `text`, the answer of the root field `ctx` resolves, with its holes filled: the
    /// database's floats and cursors written as the resolvers write them, computed fields
    /// written by Rust.
    async fn fill(&self, ctx: &Context<'_>, text: String) -> ApiResult<String> {
        let text = if self.written {
            sql::fill_holes(&text).ok_or_else(|| {
                coded(super::error::ApiError::Internal(
                    "the database wrote a float the planner cannot read".into(),
                ))
            })?
        } else {
            text
        };
        computed::fill(ctx, &self.computed, text).await
    }
}

/// The database wrote no answer for a row within the budget: a bug of the planner.
fn unwritten() -> async_graphql::Error {
    coded(super::error::ApiError::Internal(
        "the planner's statement wrote no answer for a row".into(),
    ))
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

/// The select expressions of `json` (`b2h_json_<n>`) for rows of `table` whose key is among
/// `rows` (a statement selecting keys), and, when they hold lists without pages, of the items
/// those rows hold together (`b2h_items`). Each JSON is written only when those items fit in
/// what the answer may still hold, so a selection that would make the database write more is
/// refused before it writes it; and each list's items are counted along its chain of joins
/// with a `LIMIT` of the budget, so counting costs at most the budget per list, however deep.
fn budgeted(
    backend: DbBackend,
    table: &catalog::Table,
    rows: &SelectStatement,
    json: &[String],
    (lists, values): (&[Vec<compile::Hop>], &[sea_orm::Value]),
    remaining: usize,
) -> Vec<(Expr, String)> {
    let alias = |i: usize| format!("b2h_json_{i}");
    if lists.is_empty() {
        return json
            .iter()
            .enumerate()
            .map(|(i, j)| (sql::expr(backend, j, values), alias(i)))
            .collect();
    }
    let cap = u64::try_from(remaining)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let root = compile::CHAIN_ROOT;
    let mut total: Option<Expr> = None;
    for chain in lists {
        let mut paths = Query::select();
        paths
            .expr(Expr::cust("1"))
            .from_as(Alias::new(table.name), Alias::new(root));
        for hop in chain {
            paths.join_as(
                JoinType::InnerJoin,
                Alias::new(hop.table),
                Alias::new(&hop.alias),
                sql::expr(backend, &hop.on, values),
            );
        }
        paths
            .and_where(Expr::cust(format!("{root}.\"{}\"", table.key)).in_subquery(rows.clone()))
            .limit(cap);
        let mut count = Query::select();
        count
            .expr(Expr::cust("count(*)"))
            .from_subquery(paths, Alias::new("b2h_paths"));
        let count = Expr::SubQuery(None, Box::new(count.into_sub_query_statement()));
        total = Some(match total {
            Some(sum) => sum.add(count),
            None => count,
        });
    }
    let total = total.unwrap_or_else(|| Expr::cust("0"));
    let fits = total
        .clone()
        .lte(i64::try_from(remaining).unwrap_or(i64::MAX));
    let mut columns: Vec<(Expr, String)> = json
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let written =
                Expr::case(fits.clone(), sql::expr(backend, j, values)).finally(Expr::cust("NULL"));
            (written.into(), alias(i))
        })
        .collect();
    columns.push((total, "b2h_items".into()));
    columns
}

/// Items the request's answer may still hold.
fn remaining(ctx: &Context<'_>) -> ApiResult<usize> {
    Ok(ctx.data::<Arc<Loaders>>()?.answer.remaining())
}

/// A root field's statement as compiled, kept by [`plans`] for the next request that asks
/// the same.
enum Compiled {
    /// The selection is not compiled: the field is resolved the usual way.
    Unplannable,
    /// Objects in the order of their rows, each row's JSON in `b2h_json_0`, with the items
    /// their lists hold in `b2h_items` when `counted`.
    Objects {
        statement: Statement,
        holes: Holes,
        counted: bool,
    },
    /// A connection's page.
    Page {
        statement: JsonStatement,
        plan: ConnectionPlan,
    },
}

impl Compiled {
    /// About the bytes it holds.
    fn size(&self) -> usize {
        let values = |s: &Statement| s.values.as_ref().map_or(0, |v| v.0.len() * 32);
        match self {
            Compiled::Unplannable => 64,
            Compiled::Objects { statement, .. } => statement.sql.len() + values(statement) + 256,
            Compiled::Page { statement, plan } => statement.size() + 64 * plan.shape.len() + 256,
        }
    }
}

/// The statement of the root field `ctx` resolves: kept from an earlier request that asked the
/// same (see [`plans`]), or made by `compile` and kept.
fn compiled(
    ctx: &Context<'_>,
    remaining: usize,
    compile: impl FnOnce() -> ApiResult<Compiled>,
) -> ApiResult<Arc<Compiled>> {
    let plans = ctx.data_opt::<Plans>();
    let key = plans.and(plans::key(ctx, remaining));
    if let (Some(plans), Some(key)) = (plans, key.as_deref())
        && let Some(kept) = plans.get(key)
    {
        return Ok(kept);
    }
    let compiled = Arc::new(compile()?);
    if let (Some(plans), Some(key)) = (plans, key) {
        plans.put(key, &compiled);
    }
    Ok(compiled)
}

/// The statement finding the objects `select` (rows of `ty`'s table) finds, in its order, with
/// the selection of the root field `ctx` resolves, given the items the answer may still hold.
fn compile_objects<E: EntityTrait>(
    ctx: &Context<'_>,
    backend: DbBackend,
    ty: Type,
    select: Select<E>,
    remaining: usize,
) -> Compiled {
    let (set, plan) = selection(ctx);
    let table = ty.table();
    let row = format!("\"{}\"", table.name);
    let mut compiler = Compiler::new(&set, backend, record_access(ctx));
    let Ok(json) = compiler.object(ty, &row, &plan) else {
        return Compiled::Unplannable;
    };
    let holes = Holes::of(&mut compiler);
    let lists = compiler.lists;
    let values = compiler.values;
    let mut query = select.into_query();
    let mut keys = query.clone();
    keys.clear_selects();
    keys.expr(Expr::cust(format!("{row}.\"{}\"", table.key)));
    query.clear_selects();
    let columns = budgeted(
        backend,
        table,
        &keys,
        std::slice::from_ref(&json),
        (&lists, &values),
        remaining,
    );
    for (expr, alias) in columns {
        query.expr_as(expr, Alias::new(alias));
    }
    Compiled::Objects {
        statement: backend.build(&query),
        holes,
        counted: !lists.is_empty(),
    }
}

/// The JSON of the objects `select` (rows of `ty`'s table) finds, in its order, with the
/// selection of the root field `ctx` resolves, and the statement that found them; `None` when
/// the selection is not compiled.
async fn objects<E: EntityTrait>(
    ctx: &Context<'_>,
    ty: Type,
    select: Select<E>,
) -> ApiResult<Option<(Vec<String>, Arc<Compiled>)>> {
    let db = ctx.data::<DatabaseConnection>()?;
    let remaining = remaining(ctx)?;
    let compiled = compiled(ctx, remaining, || {
        Ok(compile_objects(
            ctx,
            db.get_database_backend(),
            ty,
            select,
            remaining,
        ))
    })?;
    let Compiled::Objects {
        statement, counted, ..
    } = &*compiled
    else {
        return Ok(None);
    };
    let rows = db.query_all_raw(statement.clone()).await.map_err(coded)?;
    let mut texts = Vec::with_capacity(rows.len());
    for row in &rows {
        if *counted && texts.is_empty() {
            // Refused here when the answer would hold too many items (and nothing was written).
            charge(ctx, row.try_get::<i64>("", "b2h_items").map_err(coded)?)?;
        }
        let text: Option<String> = row.try_get("", "b2h_json_0").map_err(coded)?;
        texts.push(text.ok_or_else(unwritten)?);
    }
    Ok(Some((texts, compiled)))
}

/// The answer `json` of objects' statement with its holes filled.
async fn filled(ctx: &Context<'_>, compiled: &Compiled, json: String) -> ApiResult<String> {
    match compiled {
        Compiled::Objects { holes, .. } => holes.fill(ctx, json).await,
        _ => Ok(json),
    }
}

/// A root list (`regions`, `campaigns`…): `None` when the selection is not compiled.
pub async fn list<E: EntityTrait>(
    ctx: &Context<'_>,
    ty: Type,
    select: Select<E>,
) -> ApiResult<Option<String>> {
    let Some((texts, compiled)) = objects(ctx, ty, select).await? else {
        return Ok(None);
    };
    let mut json = String::with_capacity(texts.iter().map(String::len).sum::<usize>() + 2);
    json.push('[');
    json.push_str(&texts.join(","));
    json.push(']');
    Ok(Some(filled(ctx, &compiled, json).await?))
}

/// A root lookup (`project(reference:)`…): the object or `null`; `None` when the selection is
/// not compiled.
pub async fn lookup<E: EntityTrait>(
    ctx: &Context<'_>,
    ty: Type,
    select: Select<E>,
) -> ApiResult<Option<String>> {
    let Some((mut texts, compiled)) = objects(ctx, ty, select.limit(1)).await? else {
        return Ok(None);
    };
    let json = texts.pop().unwrap_or_else(|| "null".into());
    Ok(Some(filled(ctx, &compiled, json).await?))
}

/// A row a mutation wrote, answered as a query's would be (see [`written`]).
pub trait Written: Sized {
    type Entity: EntityTrait;
    const TYPE: Type;
    /// The row's id.
    fn id(&self) -> uuid::Uuid;
}

/// Declares the node types mutations write (`Written`), each with its entity and planner type.
macro_rules! written_nodes {
    ($($node:path => $entity:path, $ty:ident;)+) => {
        $(impl Written for $node {
            type Entity = $entity;
            const TYPE: Type = Type::$ty;
            fn id(&self) -> uuid::Uuid {
                self.0.id
            }
        })+
    };
}

written_nodes! {
    super::types::organisation::Organisation => b2h_entity::organisation::Entity, Organisation;
    super::types::funder::Funder => b2h_entity::funder::Entity, Funder;
    super::types::project::Project => b2h_entity::project::Entity, Project;
    super::types::grant::Grant => b2h_entity::grant::Entity, Grant;
    super::types::grant::GrantAllocation => b2h_entity::grant_allocation::Entity, GrantAllocation;
}

/// The answer of a mutation that wrote `row`: read back by the planner with the payload's
/// selection, after the write committed (so relations are read as any query reads them, in
/// one statement), or `row` resolved the usual way when the selection is not compiled.
pub async fn written<N: Written>(ctx: &Context<'_>, row: N) -> ApiResult<Answer<N>>
where
    <<N::Entity as EntityTrait>::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType:
        From<uuid::Uuid>,
{
    let select = N::Entity::find_by_id(row.id());
    match lookup(ctx, N::TYPE, select).await? {
        Some(json) if json != "null" => Ok(Answer::Planned(json)),
        _ => Ok(Answer::Resolved(row)),
    }
}

/// What a connection's selection asks for, each node selection compiled to a column.
struct ConnectionPlan {
    backend: DbBackend,
    table: &'static catalog::Table,
    /// What is left to write once the database wrote the page.
    holes: Holes,
    /// The values the columns' SQL marks.
    values: Vec<sea_orm::Value>,
    node: &'static str,
    columns: Vec<String>,
    lists: Vec<Vec<compile::Hop>>,
    shape: Vec<(Name, Part)>,
}

enum Part {
    Typename,
    TotalCount,
    PageInfo(Vec<(Name, Info)>),
    Nodes(usize),
    Edges(Vec<(Name, Edge)>),
}

enum Edge {
    Typename,
    Cursor,
    Node(usize),
}

/// The page of `listing` that the connection field `ctx` resolves (over rows of `ty`) in one
/// statement; `None` when the selection is not compiled.
pub async fn page<E: EntityTrait, N>(
    ctx: &Context<'_>,
    ty: Type,
    listing: &Listing<'_, E, N>,
    args: &PageArgs,
) -> ApiResult<Option<String>>
where
    E::Model: Sync,
{
    let backend = ctx.data::<DatabaseConnection>()?.get_database_backend();
    let remaining = remaining(ctx)?;
    let compiled = compiled(ctx, remaining, || {
        let Some(plan) = ConnectionPlan::of(ctx, ty, backend) else {
            return Ok(Compiled::Unplannable);
        };
        let id = format!("\"{}\".\"{}\"", plan.table.name, plan.table.key);
        let columns = |rows: &SelectStatement| plan.columns(rows, remaining);
        let statement = listing.json_statement(args.clone(), &id, &columns)?;
        Ok(Compiled::Page {
            statement,
            plan: plan.kept(),
        })
    })?;
    let Compiled::Page { statement, plan } = &*compiled else {
        return Ok(None);
    };
    let page = listing.json_page(statement).await?;
    let json = plan.write(ctx, &page)?;
    Ok(Some(plan.holes.fill(ctx, json).await?))
}

impl ConnectionPlan {
    /// The plan of the connection field `ctx` resolves, over rows of `ty`; `None` when the
    /// selection is not compiled.
    fn of(ctx: &Context<'_>, ty: Type, backend: sea_orm::DbBackend) -> Option<Self> {
        let (set, plan) = selection(ctx);
        let mut compiler = Compiler::new(&set, backend, record_access(ctx));
        let row = format!("\"{}\"", ty.table().name);
        let mut columns = Vec::new();
        let mut node = |compiled: Result<String, Unplannable>| {
            columns.push(compiled.ok()?);
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
                        let part = Info::of(f.fields.first()?.node.name.node.as_str())?;
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
            backend,
            table: ty.table(),
            holes: Holes::of(&mut compiler),
            values: compiler.values,
            node: ty.name(),
            columns,
            lists: compiler.lists,
            shape,
        })
    }

    /// What the page's query adds for this plan, given the statement that finds the page's
    /// row ids and the items the answer may still hold.
    fn columns(&self, rows: &SelectStatement, remaining: usize) -> Vec<(Expr, String)> {
        budgeted(
            self.backend,
            self.table,
            rows,
            &self.columns,
            (&self.lists, &self.values),
            remaining,
        )
    }

    /// The plan without what only its statement needed, to be kept beside it.
    fn kept(mut self) -> Self {
        self.values = Vec::new();
        self.columns = Vec::new();
        self.lists = Vec::new();
        self
    }

    /// The connection's JSON from its page, the answer budget charged with its lists; its
    /// holes are not filled yet.
    fn write(&self, ctx: &Context<'_>, page: &JsonPage) -> ApiResult<String> {
        charge(ctx, page.items)?;
        if page.rows.iter().flatten().any(String::is_empty) {
            return Err(unwritten());
        }
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
