//! Relay connections with keyset cursors.
//!
//! A page is read with `WHERE (sort keys) > (cursor)` rather than an offset, so a cursor stays
//! correct while rows are inserted before it. Every ordering ends with the id, which makes it
//! total; nulls sort last in both directions; text sorts case-insensitively (ASCII) and by code
//! point otherwise, identically on SQLite and PostgreSQL.

use super::error::{ApiError, ApiResult, coded};
use async_graphql::{Enum, InputObject, InputType, SimpleObject};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, IntoCondition, NullOrdering, Order, QueryStatementBuilder,
    SelectStatement, WindowStatement,
};
use sea_orm::{
    Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// The largest `first` or `last` accepted.
pub const MAX_PAGE_SIZE: u64 = 500;

/// Query complexity of a page: its selection once per row it can hold, so that a large page
/// of a deep selection counts for what it costs.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let rows = first
        .or(last)
        .map_or(DEFAULT_PAGE_SIZE, |n| Ord::max(n, 1) as u64);
    (rows as usize).saturating_mul(child_complexity)
}

/// Sort direction.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Smallest first; nulls last.
    #[default]
    Asc,
    /// Largest first; nulls last.
    Desc,
}

/// One sort criterion of a list.
#[derive(InputObject, Clone, Copy, Debug)]
#[graphql(concrete(
    name = "ProjectOrder",
    params(super::types::project::ProjectOrderField)
))]
#[graphql(concrete(
    name = "OrganisationOrder",
    params(super::types::organisation::OrganisationOrderField)
))]
#[graphql(concrete(name = "FunderOrder", params(super::types::funder::FunderOrderField)))]
#[graphql(concrete(
    name = "AuditEventOrder",
    params(super::types::audit::AuditEventOrderField)
))]
#[graphql(concrete(name = "GrantOrder", params(super::types::grant::GrantOrderField)))]
#[graphql(concrete(
    name = "OutcomeRecordOrder",
    params(super::types::record::OutcomeRecordOrderField)
))]
pub struct OrderBy<F: InputType + Copy> {
    /// What to sort by.
    pub field: F,
    /// Which way; ascending when left out.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// A value of a sort key, as held in a cursor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Key {
    Null,
    Text(String),
    Int(i64),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Uuid(Uuid),
}

impl Key {
    fn to_expr(&self) -> Expr {
        match self {
            Key::Null => Expr::value(Option::<String>::None),
            Key::Text(t) => Expr::value(t.clone()),
            Key::Int(i) => Expr::value(*i),
            Key::Date(d) => Expr::value(*d),
            Key::Time(t) => Expr::value(*t),
            Key::Uuid(u) => Expr::value(*u),
        }
    }

    /// A text sort value: lower-cased like [`text_key`] does in SQL.
    pub fn text(value: &str) -> Key {
        Key::Text(value.to_ascii_lowercase())
    }

    pub fn date(value: Option<NaiveDate>) -> Key {
        value.map_or(Key::Null, Key::Date)
    }
}

/// An opaque cursor: the sort values of a row, its id last.
fn encode_cursor(keys: &[Key]) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(keys).unwrap_or_default())
}

fn decode_cursor(cursor: &str, expected: usize) -> ApiResult<Vec<Key>> {
    let invalid = || {
        coded(ApiError::BadUserInput(format!(
            "'{cursor}' is not a cursor of this list with this ordering"
        )))
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let keys: Vec<Key> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if keys.len() != expected {
        return Err(invalid());
    }
    Ok(keys)
}

/// The sort key of a text column: its generated `<column>_key` (ASCII letters folded to lower
/// case, code point order, the same on both backends), indexed with the id by the migrations.
pub fn text_key(table: &str, column_name: &str) -> Expr {
    column(table, &format!("{column_name}_key"))
}

/// A plain column as a sort or filter expression.
pub fn column(table: &str, column: &str) -> Expr {
    Expr::cust(format!("\"{table}\".\"{column}\""))
}

/// A sort key of a query: its SQL expression and direction.
#[derive(Clone, Debug)]
pub struct SortKey {
    pub expr: Expr,
    pub direction: OrderDirection,
    /// Whether rows may hold null (sorted last).
    pub nullable: bool,
}

/// `first`/`after`/`last`/`before`, validated.
#[derive(Clone, Debug)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// Relay page information.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct PageInfo {
    /// Whether rows follow this page.
    pub has_next_page: bool,
    /// Whether rows precede this page.
    pub has_previous_page: bool,
    /// Cursor of the first edge.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge.
    pub end_cursor: Option<String>,
}

/// A page read by a [`Listing`], before it becomes a concrete connection type.
pub struct Page<N> {
    /// The rows of the page.
    pub nodes: Vec<N>,
    /// Each row's cursor, when the request selects `edges` (else empty: they cost a JSON and
    /// base64 encoding per row).
    pub cursors: Vec<String>,
    pub page_info: PageInfo,
    pub total_count: i64,
}

/// What of a page the request selects, so that nothing else is computed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wanted {
    /// `totalCount`: a `COUNT(*)` query.
    pub total: bool,
    /// `edges`: a cursor per row.
    pub edges: bool,
    /// `pageInfo`: the cursors of the first and last rows.
    pub page_info: bool,
}

/// Declares the Relay connection and edge types of a node type.
macro_rules! connection {
    ($node:ty, $connection:ident, $edge:ident, $what:literal) => {
        #[doc = concat!("A ", $what, " and its cursor.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Pass to `after` or `before` to page from this row.
            pub cursor: String,
            #[doc = concat!("The ", $what, ".")]
            pub node: $node,
        }

        #[doc = concat!("A page of ", $what, "s (Relay connection).")]
        pub struct $connection(pub $crate::graphql::connection::Page<$node>);

        #[doc = concat!("A page of ", $what, "s (Relay connection).")]
        #[async_graphql::Object]
        impl $connection {
            /// The rows of the page with their cursors.
            async fn edges(&self) -> async_graphql::Result<Vec<$edge>> {
                let page = &self.0;
                if page.cursors.len() != page.nodes.len() {
                    // Cursors are computed when `edges` is selected; this is a bug if reached.
                    return Err($crate::graphql::error::coded(
                        $crate::graphql::error::ApiError::Internal("edges without cursors".into()),
                    ));
                }
                Ok(page
                    .nodes
                    .iter()
                    .zip(&page.cursors)
                    .map(|(node, cursor)| $edge {
                        cursor: cursor.clone(),
                        node: node.clone(),
                    })
                    .collect())
            }

            /// The rows of the page.
            async fn nodes(&self) -> &[$node] {
                &self.0.nodes
            }

            /// Where the page is in the list.
            async fn page_info(&self) -> &$crate::graphql::connection::PageInfo {
                &self.0.page_info
            }

            /// Rows in the whole list (all pages) under the filter.
            async fn total_count(&self) -> i64 {
                self.0.total_count
            }
        }

        impl From<$crate::graphql::connection::Page<$node>> for $connection {
            fn from(page: $crate::graphql::connection::Page<$node>) -> Self {
                Self(page)
            }
        }
    };
}
pub(crate) use connection;

/// A field a list of `M` rows can be sorted by.
pub trait SortField<M>: Copy + Send + Sync + 'static {
    /// The SQL expression sorted on.
    fn key(self) -> Expr;
    /// The same value read from a row, for its cursor.
    fn value(self, row: &M) -> Key;
    /// Whether the key may be null in a row (the keyset condition then keeps the nulls).
    fn nullable(self) -> bool;
}

/// The sort values of a row, in the order of a listing's keys.
type RowKeys<M> = Box<dyn Fn(&M) -> Vec<Key> + Send + Sync>;

/// How to read one kind of row as a list.
pub struct Listing<'a, E: EntityTrait, N> {
    db: &'a DatabaseConnection,
    select: Select<E>,
    /// Sort keys, the id last.
    keys: Vec<SortKey>,
    values: RowKeys<E::Model>,
    wrap: fn(E::Model) -> N,
    wanted: Wanted,
    /// Whether `select` holds a filter (see [`Listing::filtered`]).
    filtered: bool,
}

impl<'a, E: EntityTrait, N> Listing<'a, E, N> {
    /// A list of `select`'s rows sorted by `order` (or `default`), ties broken by `table`.id.
    #[allow(clippy::too_many_arguments)]
    pub fn new<F: SortField<E::Model> + InputType>(
        db: &'a DatabaseConnection,
        select: Select<E>,
        order: Option<Vec<OrderBy<F>>>,
        default: F,
        table: &str,
        id: fn(&E::Model) -> Uuid,
        wrap: fn(E::Model) -> N,
        wanted: Wanted,
    ) -> Self {
        let order = order.unwrap_or_else(|| {
            vec![OrderBy {
                field: default,
                direction: OrderDirection::Asc,
            }]
        });
        let mut keys: Vec<SortKey> = order
            .iter()
            .map(|o| SortKey {
                expr: o.field.key(),
                direction: o.direction,
                nullable: o.field.nullable(),
            })
            .collect();
        keys.push(SortKey {
            expr: column(table, "id"),
            direction: OrderDirection::Asc,
            nullable: false,
        });
        let fields: Vec<F> = order.iter().map(|o| o.field).collect();
        let values: RowKeys<E::Model> = Box::new(move |row| {
            let mut v: Vec<Key> = fields.iter().map(|f| f.value(row)).collect();
            v.push(Key::Uuid(id(row)));
            v
        });
        Self {
            db,
            select,
            keys,
            values,
            wrap,
            wanted,
            filtered: false,
        }
    }

    /// Says that the list is filtered: its rows are then likely sorted rather than read in
    /// index order, and `totalCount` of a first page is counted over the same rows as the page
    /// (PostgreSQL), instead of finding them twice.
    pub fn filtered(self, filtered: bool) -> Self {
        Self { filtered, ..self }
    }
}

fn page_size(value: Option<i32>, name: &str) -> ApiResult<Option<u64>> {
    match value {
        None => Ok(None),
        Some(n) if n < 0 => Err(coded(ApiError::BadUserInput(format!(
            "{name} must not be negative"
        )))),
        Some(n) if n as u64 > MAX_PAGE_SIZE => Err(coded(ApiError::BadUserInput(format!(
            "{name} must be at most {MAX_PAGE_SIZE} (got {n})"
        )))),
        Some(n) => Ok(Some(n as u64)),
    }
}

/// Rows after (or, `before`, preceding) the cursor in the list's order. Written so that the
/// list's index on its keys finds them: a row comparison `(k1, …, id) > (v1, …, id)` when the
/// keys run one way and hold no null; otherwise the exact condition key by key, with the first
/// key's bound beside it when that key holds no null.
fn beyond(keys: &[SortKey], cursor: &[Key], after: bool) -> Condition {
    let forward = |key: &SortKey| (key.direction == OrderDirection::Asc) == after;
    let no_nulls = keys.iter().all(|k| !k.nullable) && !cursor.contains(&Key::Null);
    if no_nulls
        && keys.len() == cursor.len()
        && let Some(first) = keys.first()
        && keys.iter().all(|k| k.direction == first.direction)
    {
        let row = Expr::tuple(keys.iter().map(|k| k.expr.clone()));
        let at = Expr::tuple(cursor.iter().map(Key::to_expr));
        return Condition::all().add(if forward(first) {
            row.gt(at)
        } else {
            row.lt(at)
        });
    }
    let mut any = Condition::any();
    for i in 0..keys.len() {
        let mut all = Condition::all();
        for (key, value) in keys.iter().zip(cursor).take(i) {
            all = all.add(match value {
                Key::Null => key.expr.clone().is_null(),
                v => key.expr.clone().eq(v.to_expr()),
            });
        }
        let (key, value) = (&keys[i], &cursor[i]);
        let ascending = key.direction == OrderDirection::Asc;
        let step = match (value, after) {
            // Nulls sort last: nothing follows a null but other nulls (ties), all else precedes it.
            (Key::Null, true) => continue,
            (Key::Null, false) => key.expr.clone().is_not_null().into_condition(),
            (v, true) => Condition::any()
                .add(if ascending {
                    key.expr.clone().gt(v.to_expr())
                } else {
                    key.expr.clone().lt(v.to_expr())
                })
                .add(key.expr.clone().is_null()),
            (v, false) => Condition::all().add(if ascending {
                key.expr.clone().lt(v.to_expr())
            } else {
                key.expr.clone().gt(v.to_expr())
            }),
        };
        any = any.add(all.add(step));
    }
    match (keys.first(), cursor.first()) {
        // Beside the exact condition, the bound the index on the first key can seek to.
        (Some(key), Some(value)) if !key.nullable && *value != Key::Null => {
            let bound = if forward(key) {
                key.expr.clone().gte(value.to_expr())
            } else {
                key.expr.clone().lte(value.to_expr())
            };
            Condition::all().add(bound).add(any)
        }
        _ => any,
    }
}

/// A page's query, cursors applied and sorted, before it runs.
struct Prepared<E: EntityTrait> {
    select: Select<E>,
    bounds: Bounds,
}

/// Where a page lies in its list: how many rows it holds at most, which way it is read, and
/// from which cursors.
#[derive(Clone, Copy)]
pub struct Bounds {
    limit: u64,
    backward: bool,
    after: bool,
    before: bool,
}

/// A page's statement as the planner made it, and how to read its rows: kept by the planner
/// for the next request that asks the same (see `planner::plans`).
pub struct JsonStatement {
    statement: sea_orm::Statement,
    bounds: Bounds,
    /// The planner's JSON columns (`b2h_json_<n>`).
    json_columns: usize,
    /// Whether the rows carry the items of lists without pages (`b2h_items`).
    with_items: bool,
}

impl JsonStatement {
    /// Bytes the statement holds (its text and about as much per value), to bound what is kept.
    pub fn size(&self) -> usize {
        self.statement.sql.len() + self.statement.values.as_ref().map_or(0, |v| v.0.len() * 32)
    }
}

/// A page inside the planner's statement (a connection inside an object): its rows, each with
/// the planner's columns, its rank in the list's order (`b2h_rn`, from 1) and how many rows the
/// list holds from the cursor on (`b2h_n`); the count of the whole list; and what its page
/// information needs.
pub struct NestedPage {
    pub rows: SelectStatement,
    pub total: SelectStatement,
    pub limit: u64,
    pub backward: bool,
    pub after: bool,
    pub before: bool,
}

/// A page whose rows the planner wrote: each row's JSON texts and the list items it holds.
pub struct JsonPage {
    /// Each row's texts, in the order of the expressions asked for.
    pub rows: Vec<Vec<String>>,
    /// Each row's cursor, when asked for.
    pub cursors: Vec<String>,
    /// List items (of lists without pages) the page holds.
    pub items: i64,
    pub page_info: PageInfo,
    pub total_count: i64,
}

/// What the planner adds to a page's query: its select expressions with their aliases
/// (`b2h_json_<n>`, `b2h_items`), given the statement that finds the page's row ids.
pub type JsonColumns<'s> = &'s (dyn Fn(&SelectStatement) -> Vec<(Expr, String)> + Sync);

impl<E: EntityTrait, N> Listing<'_, E, N>
where
    E::Model: Sync,
{
    /// `select` in the list's order (reversed to read a page backwards).
    fn ordered(&self, mut select: Select<E>, backward: bool) -> Select<E> {
        for key in &self.keys {
            let (order, nulls) = match (key.direction, backward) {
                (OrderDirection::Asc, false) => (Order::Asc, NullOrdering::Last),
                (OrderDirection::Desc, false) => (Order::Desc, NullOrdering::Last),
                (OrderDirection::Asc, true) => (Order::Desc, NullOrdering::First),
                (OrderDirection::Desc, true) => (Order::Asc, NullOrdering::First),
            };
            // A key without nulls is sorted without saying where nulls go, so that its index
            // serves either direction.
            select = if key.nullable {
                select.order_by_with_nulls(key.expr.clone(), order, nulls)
            } else {
                select.order_by(key.expr.clone(), order)
            };
        }
        select
    }

    fn prepare(&self, args: PageArgs) -> ApiResult<Prepared<E>> {
        let first = page_size(args.first, "first")?;
        let last = page_size(args.last, "last")?;
        if first.is_some() && last.is_some() {
            return Err(coded(ApiError::BadUserInput(
                "give first or last, not both".into(),
            )));
        }
        let after = args
            .after
            .as_deref()
            .map(|c| decode_cursor(c, self.keys.len()))
            .transpose()?;
        let before = args
            .before
            .as_deref()
            .map(|c| decode_cursor(c, self.keys.len()))
            .transpose()?;
        let backward = last.is_some();
        let limit = first.or(last).unwrap_or(DEFAULT_PAGE_SIZE);
        let mut select = self.select.clone();
        if let Some(cursor) = &after {
            select = select.filter(beyond(&self.keys, cursor, true));
        }
        if let Some(cursor) = &before {
            select = select.filter(beyond(&self.keys, cursor, false));
        }
        select = self.ordered(select, backward);
        Ok(Prepared {
            select: select.limit(limit + 1),
            bounds: Bounds {
                limit,
                backward,
                after: after.is_some(),
                before: before.is_some(),
            },
        })
    }

    /// Where a page is, given whether rows follow it in the direction read and the cursors of
    /// its first and last rows.
    fn page_info(
        bounds: Bounds,
        more: bool,
        (start_cursor, end_cursor): (Option<String>, Option<String>),
    ) -> PageInfo {
        PageInfo {
            has_next_page: if bounds.backward { bounds.before } else { more },
            has_previous_page: if bounds.backward { more } else { bounds.after },
            start_cursor,
            end_cursor,
        }
    }

    pub async fn page(self, args: PageArgs) -> ApiResult<Page<N>> {
        let prepared = self.prepare(args)?;
        let total = if self.wanted.total {
            self.select.clone().count(self.db).await.map_err(coded)? as i64
        } else {
            0 // not selected: never sent
        };
        let mut rows = prepared.select.clone().all(self.db).await.map_err(coded)?;
        let more = rows.len() as u64 > prepared.bounds.limit;
        rows.truncate(prepared.bounds.limit as usize);
        if prepared.bounds.backward {
            rows.reverse();
        }
        let cursor = |row: &E::Model| encode_cursor(&(self.values)(row));
        let cursors: Vec<String> = if self.wanted.edges {
            rows.iter().map(cursor).collect()
        } else {
            Vec::new()
        };
        let ends = (rows.first().map(cursor), rows.last().map(cursor));
        let page_info = Self::page_info(prepared.bounds, more, ends);
        let nodes = rows.into_iter().map(self.wrap).collect();
        Ok(Page {
            nodes,
            cursors,
            page_info,
            total_count: total,
        })
    }

    /// The page as a subquery of the planner's statement, with `columns` (see [`NestedPage`]).
    pub fn nested_page(
        &self,
        args: PageArgs,
        columns: Vec<(Expr, String)>,
    ) -> ApiResult<NestedPage> {
        let prepared = self.prepare(args)?;
        let mut rows = prepared.select.clone().into_query();
        rows.clear_selects();
        for (expr, alias) in columns {
            rows.expr_as(expr, Alias::new(alias));
        }
        let mut window = WindowStatement::new();
        for key in &self.keys {
            let (order, nulls) = match (key.direction, prepared.bounds.backward) {
                (OrderDirection::Asc, false) => (Order::Asc, NullOrdering::Last),
                (OrderDirection::Desc, false) => (Order::Desc, NullOrdering::Last),
                (OrderDirection::Asc, true) => (Order::Desc, NullOrdering::First),
                (OrderDirection::Desc, true) => (Order::Asc, NullOrdering::First),
            };
            window.order_by_expr_with_nulls(key.expr.clone(), order, nulls);
        }
        rows.expr_window_as(Expr::cust("row_number()"), window, Alias::new("b2h_rn"));
        rows.expr_window_as(
            Expr::cust("count(*)"),
            WindowStatement::new(),
            Alias::new("b2h_n"),
        );
        let mut total = self.select.clone().into_query();
        total.clear_selects();
        total.expr(Expr::cust("count(*)"));
        Ok(NestedPage {
            rows,
            total,
            limit: prepared.bounds.limit,
            backward: prepared.bounds.backward,
            after: prepared.bounds.after,
            before: prepared.bounds.before,
        })
    }

    /// The page's statement, each row with the texts of the planner's `columns`, and
    /// `totalCount` counted in the same statement when wanted. The answer is written for the
    /// page's rows alone: PostgreSQL writes the columns after its sort and limit, as it does for
    /// costly expressions; SQLite would write them for every row it sorts, so there the page's
    /// rows are found by a subquery first.
    pub fn json_statement(
        &self,
        args: PageArgs,
        id: &str,
        columns: JsonColumns<'_>,
    ) -> ApiResult<JsonStatement> {
        let prepared = self.prepare(args)?;
        let bounds = prepared.bounds;
        let mut page = prepared.select.clone().into_query();
        page.clear_selects();
        page.expr(Expr::cust(id.to_owned()));
        let postgres = self.db.get_database_backend() == DbBackend::Postgres;
        let mut select = if postgres {
            prepared.select
        } else {
            let rows_of_page = Expr::cust(id.to_owned()).in_subquery(page.clone());
            self.ordered(self.select.clone().filter(rows_of_page), bounds.backward)
        };
        let added = columns(&page);
        let json_columns = added
            .iter()
            .filter(|(_, a)| a.starts_with("b2h_json_"))
            .count();
        let with_items = added.iter().any(|(_, a)| a == "b2h_items");
        for (expr, alias) in added {
            select = select.expr_as(expr, alias);
        }
        if self.wanted.total && postgres && self.filtered && !bounds.after && !bounds.before {
            // Without a cursor the page's rows before the limit are the whole list.
            select = select.expr_as(Expr::cust("count(*) OVER ()"), "b2h_total");
        } else if self.wanted.total {
            let mut count = self.select.clone().into_query();
            count.clear_selects();
            count.expr(Expr::cust("count(*)"));
            select = select.expr_as(
                Expr::SubQuery(None, Box::new(count.into_sub_query_statement())),
                "b2h_total",
            );
        }
        let mut query = select.into_query();
        let statement = if postgres {
            // The limit written, not bound: PostgreSQL's plan for a prepared statement, made
            // once for any values, would guess it and can choose a plan many times slower.
            query.reset_limit();
            let mut statement = DbBackend::Postgres.build(&query);
            statement
                .sql
                .push_str(&format!(" LIMIT {}", bounds.limit + 1));
            statement
        } else {
            DbBackend::Sqlite.build(&query)
        };
        Ok(JsonStatement {
            statement,
            bounds,
            json_columns,
            with_items,
        })
    }

    /// The page `statement` finds: each row's texts, the items its lists hold, its cursors
    /// as the selection wants them, its page information and count.
    pub async fn json_page(&self, statement: &JsonStatement) -> ApiResult<JsonPage> {
        let JsonStatement {
            bounds,
            json_columns,
            with_items,
            ..
        } = *statement;
        let found = self
            .db
            .query_all_raw(statement.statement.clone())
            .await
            .map_err(coded)?;
        let more = found.len() as u64 > bounds.limit;
        let mut found: Vec<_> = found.into_iter().take(bounds.limit as usize).collect();
        let mut total = 0;
        let mut items = 0;
        let mut rows = Vec::with_capacity(found.len());
        for row in &found {
            let mut texts = Vec::with_capacity(json_columns);
            for i in 0..json_columns {
                // Null: the answer would hold too many list items, and was not written.
                let text: Option<String> =
                    row.try_get("", &format!("b2h_json_{i}")).map_err(coded)?;
                texts.push(text.unwrap_or_default());
            }
            if with_items {
                items = row.try_get::<i64>("", "b2h_items").map_err(coded)?;
            }
            if self.wanted.total {
                total = row.try_get::<i64>("", "b2h_total").map_err(coded)?;
            }
            rows.push(texts);
        }
        if self.wanted.total && rows.is_empty() {
            // No row to carry the count: counted on its own.
            total = self.select.clone().count(self.db).await.map_err(coded)? as i64;
        }
        if bounds.backward {
            rows.reverse();
            found.reverse();
        }
        // A row is read as a model only for a cursor the answer gives: every row's when edges
        // are selected, else the first's and the last's when page info is (reading every
        // column of every row was a fifth of a page's time).
        let cursor = |row: &sea_orm::QueryResult| -> ApiResult<String> {
            let model = E::Model::from_query_result(row, "").map_err(coded)?;
            Ok(encode_cursor(&(self.values)(&model)))
        };
        let cursors: Vec<String> = if self.wanted.edges {
            found.iter().map(cursor).collect::<ApiResult<_>>()?
        } else {
            Vec::new()
        };
        let ends = match (cursors.first(), cursors.last()) {
            (Some(first), Some(last)) => (Some(first.clone()), Some(last.clone())),
            _ if self.wanted.page_info => (
                found.first().map(cursor).transpose()?,
                found.last().map(cursor).transpose()?,
            ),
            // Not selected: never written.
            _ => (None, None),
        };
        let page_info = Self::page_info(bounds, more, ends);
        Ok(JsonPage {
            rows,
            cursors,
            items,
            page_info,
            total_count: total,
        })
    }
}
