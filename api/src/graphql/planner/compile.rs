//! A selection on an object type compiled to one SQL expression that writes the object's JSON:
//! columns formatted in place, to-one relations as correlated subqueries, to-many relations as
//! correlated aggregates in the relation's order.
//!
//! Beside it, for each list without pages the selection holds (nested ones included), the
//! chain of joins from the root row to that list's items: counting the rows of each chain,
//! each count stopped at the budget, tells how many items the answer would hold before any of it
//! is written, in work bounded by the budget whatever the nesting (see `super::budgeted`).

use super::catalog::{Field, Type};
use super::computed::{self, Computed};
use super::sql;
use crate::access::RecordAccess;
use crate::graphql::connection::{Listing, OrderBy, PageArgs, Wanted};
use crate::graphql::plain::Plan;
use crate::graphql::types::funder::ReportUrlArgs;
use crate::graphql::types::record::{OutcomeRecordFilter, OutcomeRecordOrderField};
use async_graphql::parser::types::Field as GraphqlField;
use async_graphql::{ContextSelectionSet, Positioned};
use b2h_entity::outcome_record;
use sea_orm::sea_query::{Expr, Value};
use sea_orm::{ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter};

/// The selection asks for something the planner does not compile (a field with arguments, a
/// field of a type it does not know): the root field is resolved the usual way.
#[derive(Debug)]
pub struct Unplannable;

/// One join of a chain from the root row: `JOIN "table" alias ON on`.
#[derive(Clone, Debug)]
pub struct Hop {
    pub table: &'static str,
    pub alias: String,
    pub on: String,
}

/// Compiles the selections of one root field.
pub struct Compiler<'a, 'c> {
    ctx: &'a ContextSelectionSet<'c>,
    backend: DbBackend,
    /// What record-level data the reader may read.
    access: RecordAccess,
    aliases: usize,
    /// Whether the answer holds floats or cursors for [`sql::fill_holes`].
    pub holes: bool,
    /// The values the SQL text marks (see [`sql::bind`]).
    pub values: Vec<Value>,
    /// For each list without pages, the joins from the root row to its items.
    pub lists: Vec<Vec<Hop>>,
    /// The fields Rust writes into the answer's holes, by slot.
    pub computed: Vec<Computed>,
}

/// Where the walk is: the row's name in the JSON expression, and in the chain of joins.
struct At<'r> {
    row: &'r str,
    chain_row: &'r str,
    depth: usize,
}

/// Deepest nesting compiled; the depth limit stops queries well before it.
const MAX_NESTING: usize = 32;

/// The alias of the root row in the chains of joins.
pub const CHAIN_ROOT: &str = "b2h_root";

impl<'a, 'c> Compiler<'a, 'c> {
    pub fn new(ctx: &'a ContextSelectionSet<'c>, backend: DbBackend, access: RecordAccess) -> Self {
        Self {
            ctx,
            backend,
            access,
            aliases: 0,
            holes: false,
            values: Vec::new(),
            lists: Vec::new(),
            computed: Vec::new(),
        }
    }

    /// The JSON of `plan` on the row of `ty` that `row` (a table name or alias, quoted) names.
    pub fn object(&mut self, ty: Type, row: &str, plan: &Plan<'c>) -> Result<String, Unplannable> {
        let at = At {
            row,
            chain_row: CHAIN_ROOT,
            depth: 0,
        };
        self.nested(ty, &at, plan, &mut Vec::new())
    }

    fn nested(
        &mut self,
        ty: Type,
        at: &At<'_>,
        plan: &Plan<'c>,
        chain: &mut Vec<Hop>,
    ) -> Result<String, Unplannable> {
        if at.depth > MAX_NESTING {
            return Err(Unplannable);
        }
        let row = at.row;
        let mut pieces = Vec::with_capacity(plan.fields.len() * 2 + 1);
        let mut open = String::from("{");
        for (index, planned) in plan.fields.iter().enumerate() {
            let Some(first) = planned.fields.first() else {
                continue;
            };
            if index > 0 {
                open.push(',');
            }
            open.push_str(&serde_json::to_string(planned.key.as_str()).map_err(|_| Unplannable)?);
            open.push(':');
            pieces.push(sql::literal(&std::mem::take(&mut open)));
            let name = first.node.name.node.as_str();
            if name == "__typename" {
                pieces.push(sql::literal(&format!("\"{}\"", ty.name())));
                continue;
            }
            let field = ty.field(name).ok_or(Unplannable)?;
            let takes_arguments = matches!(field, Field::RecordPage | Field::ReportUrl);
            if !takes_arguments && planned.fields.iter().any(|f| !f.node.arguments.is_empty()) {
                return Err(Unplannable);
            }
            let ctx = self.ctx;
            let inner_plan = || planned.inner(ctx);
            match field {
                Field::Column {
                    column,
                    kind,
                    nullable,
                } => {
                    self.holes |= kind == sql::Kind::Float;
                    let column = format!("{row}.\"{column}\"");
                    pieces.push(sql::value(self.backend, kind, &column, nullable));
                }
                Field::One {
                    target,
                    column,
                    key,
                } => {
                    let alias = self.alias();
                    let table = target.table().name;
                    let from = format!(
                        "FROM \"{table}\" {alias} WHERE {alias}.\"{key}\" = {row}.\"{column}\""
                    );
                    let hop = Hop {
                        table,
                        on: format!("{alias}.\"{key}\" = {}.\"{column}\"", at.chain_row),
                        alias: alias.clone(),
                    };
                    let inner = self.hop(target, &alias, at, hop, inner_plan(), chain)?;
                    pieces.push(sql::object_or_null(&inner, &from));
                }
                Field::Many {
                    target,
                    column,
                    key,
                    order,
                    unarchived,
                } => {
                    let alias = self.alias();
                    let table = target.table().name;
                    let archived = if unarchived {
                        format!(" AND {alias}.\"archived_at\" IS NULL")
                    } else {
                        String::new()
                    };
                    let from = format!(
                        "FROM \"{table}\" {alias} WHERE {alias}.\"{column}\" = {row}.\"{key}\"{archived}"
                    );
                    let order = order
                        .iter()
                        .map(|(c, desc)| {
                            format!("{alias}.\"{c}\" {}", if *desc { "DESC" } else { "ASC" })
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let hop = Hop {
                        table,
                        on: format!(
                            "{alias}.\"{column}\" = {}.\"{key}\"{archived}",
                            at.chain_row
                        ),
                        alias: alias.clone(),
                    };
                    self.lists
                        .push(chain.iter().cloned().chain([hop.clone()]).collect());
                    let inner = self.hop(target, &alias, at, hop, inner_plan(), chain)?;
                    pieces.push(sql::array(self.backend, &inner, &from, &order));
                }
                Field::LatestRecords => {
                    pieces.push(self.latest_records(at, inner_plan(), chain)?);
                }
                Field::RecordPage => {
                    pieces.push(self.record_page(at, first, inner_plan(), chain)?);
                }
                Field::ReportUrl => {
                    pieces.push(self.report_url(row, first)?);
                }
            }
        }
        open.push('}');
        pieces.push(sql::literal(&open));
        Ok(sql::concat(merge_literals(pieces)))
    }

    /// The JSON of `plan` on the rows of `target` one `hop` further along the chain.
    fn hop(
        &mut self,
        target: Type,
        row: &str,
        at: &At<'_>,
        hop: Hop,
        plan: &Plan<'c>,
        chain: &mut Vec<Hop>,
    ) -> Result<String, Unplannable> {
        let chain_row = hop.alias.clone();
        chain.push(hop);
        let inner = At {
            row,
            chain_row: &chain_row,
            depth: at.depth + 1,
        };
        let json = self.nested(target, &inner, plan, chain);
        chain.pop();
        json
    }

    /// `Project.latestOutcomeRecords` of the project `at`: its latest submitted or verified
    /// record of each measure, by measure and id, limited by the reader's record access (the
    /// public is refused by the resolvers, so it is not compiled).
    fn latest_records(
        &mut self,
        at: &At<'_>,
        plan: &Plan<'c>,
        chain: &mut Vec<Hop>,
    ) -> Result<String, Unplannable> {
        if self.access == RecordAccess::None {
            return Err(Unplannable);
        }
        let rule = match self.access.condition() {
            Some(rule) => {
                let rule = sql::condition(self.backend, rule, &mut self.values);
                format!(" AND ({rule})")
            }
            None => String::new(),
        };
        // Unaliased, so that the access rule's `"outcome_record"` names this row.
        let record = "\"outcome_record\"";
        let latest = |other: &str| {
            let counted = "('submitted', 'verified')";
            format!(
                "{record}.\"status\" IN {counted} AND {record}.\"archived_at\" IS NULL \
                 AND {record}.\"period_end\" = (SELECT max({other}.\"period_end\") \
                 FROM \"outcome_record\" {other} WHERE {other}.\"project_id\" = {record}.\"project_id\" \
                 AND {other}.\"measure_id\" = {record}.\"measure_id\" \
                 AND {other}.\"status\" IN {counted} AND {other}.\"archived_at\" IS NULL){rule}"
            )
        };
        let other = self.alias();
        let from = format!(
            "FROM {record} WHERE {record}.\"project_id\" = {}.\"id\" AND {}",
            at.row,
            latest(&other)
        );
        // In the chain the record is an alias; the rule is checked on the same row by id.
        let alias = self.alias();
        let other = self.alias();
        let hop = Hop {
            table: "outcome_record",
            on: format!(
                "{alias}.\"project_id\" = {}.\"id\" AND EXISTS (SELECT 1 FROM {record} \
                 WHERE {record}.\"id\" = {alias}.\"id\" AND {})",
                at.chain_row,
                latest(&other)
            ),
            alias: alias.clone(),
        };
        self.lists
            .push(chain.iter().cloned().chain([hop.clone()]).collect());
        let json = self.hop(Type::OutcomeRecord, record, at, hop, plan, chain);
        let order = format!("{record}.\"measure_id\" ASC, {record}.\"id\" ASC");
        Ok(sql::array(self.backend, &json?, &from, &order))
    }

    /// `Project.outcomeRecords(…)` of the project `at`: the page's rows found by the list's own
    /// statement (filter, order, keyset cursor, the reader's access), as a subquery ranked in
    /// the list's order, and the connection's JSON aggregated from them; cursors are written by
    /// [`sql::fill_holes`] from their keys.
    fn record_page(
        &mut self,
        at: &At<'_>,
        field: &'c Positioned<GraphqlField>,
        plan: &Plan<'c>,
        chain: &mut Vec<Hop>,
    ) -> Result<String, Unplannable> {
        if self.access == RecordAccess::None {
            return Err(Unplannable);
        }
        let arguments = self.ctx.with_field(field);
        fn argument<T: async_graphql::InputType>(
            arguments: &async_graphql::Context<'_>,
            name: &str,
        ) -> Result<T, Unplannable> {
            Ok(arguments
                .param_value(name, None)
                .map_err(|_| Unplannable)?
                .1)
        }
        let filter: Option<OutcomeRecordFilter> = argument(&arguments, "filter")?;
        let order_by: Option<Vec<OrderBy<OutcomeRecordOrderField>>> =
            argument(&arguments, "orderBy")?;
        let args = PageArgs {
            first: argument(&arguments, "first")?,
            after: argument(&arguments, "after")?,
            last: argument(&arguments, "last")?,
            before: argument(&arguments, "before")?,
        };
        if order_by
            .as_ref()
            .is_some_and(|o| o.len() > crate::graphql::query::MAX_ORDER_BY)
        {
            return Err(Unplannable);
        }
        let db = self
            .ctx
            .data::<DatabaseConnection>()
            .map_err(|_| Unplannable)?;
        let record = "\"outcome_record\"";
        let mut select = outcome_record::Entity::find()
            .filter(outcome_record::Column::ArchivedAt.is_null())
            .filter(Expr::cust(format!(
                "{record}.\"project_id\" = {}.\"id\"",
                at.row
            )));
        if let Some(rule) = self.access.condition() {
            select = select.filter(rule);
        }
        if let Some(filter) = &filter {
            let backend = self.backend;
            select = select.filter(
                crate::graphql::filter::bounded(|| filter.condition(backend))
                    .map_err(|_| Unplannable)?,
            );
        }
        let keys: Vec<OutcomeRecordOrderField> = order_by.as_ref().map_or_else(
            || vec![OutcomeRecordOrderField::PeriodEnd],
            |o| o.iter().map(|o| o.field).collect(),
        );
        let listing = Listing::new(
            db,
            select,
            order_by,
            OutcomeRecordOrderField::PeriodEnd,
            "outcome_record",
            |m: &outcome_record::Model| m.id,
            |m: outcome_record::Model| m,
            Wanted::default(),
        );

        // The connection's selection: each node selection a column of the page's rows.
        let hop = Hop {
            table: "outcome_record",
            alias: self.alias(),
            on: String::new(),
        };
        let hop = Hop {
            on: format!(
                "{a}.\"project_id\" = {}.\"id\" AND {a}.\"archived_at\" IS NULL",
                at.chain_row,
                a = hop.alias
            ),
            ..hop
        };
        let mut columns: Vec<String> = Vec::new();
        let mut node = |compiler: &mut Self, plan: &Plan<'c>| -> Result<String, Unplannable> {
            let json = compiler.hop(Type::OutcomeRecord, record, at, hop.clone(), plan, chain);
            columns.push(json?);
            Ok(format!("b2h_page.b2h_node_{}", columns.len() - 1))
        };
        let ctx = self.ctx;
        let mut shape = Vec::new();
        for part in &plan.fields {
            let name = part.fields.first().map(|f| f.node.name.node.as_str());
            shape.push((
                part.key.as_str().to_owned(),
                match name {
                    Some("__typename") => PagePart::Constant("\"OutcomeRecordConnection\"".into()),
                    Some("totalCount") => PagePart::Total,
                    Some("nodes") => PagePart::Nodes(node(self, part.inner(ctx))?),
                    Some("pageInfo") => PagePart::Info(
                        part.inner(ctx)
                            .fields
                            .iter()
                            .map(|f| {
                                Ok((
                                    f.key.as_str().to_owned(),
                                    f.fields
                                        .first()
                                        .and_then(|f| Info::of(f.node.name.node.as_str()))
                                        .ok_or(Unplannable)?,
                                ))
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    Some("edges") => {
                        let mut edge = Vec::new();
                        for f in &part.inner(ctx).fields {
                            edge.push((
                                f.key.as_str().to_owned(),
                                match f.fields.first().map(|f| f.node.name.node.as_str()) {
                                    Some("__typename") => EdgePart::Typename,
                                    Some("cursor") => EdgePart::Cursor,
                                    Some("node") => EdgePart::Node(node(self, f.inner(ctx))?),
                                    _ => return Err(Unplannable),
                                },
                            ));
                        }
                        PagePart::Edges(edge)
                    }
                    _ => return Err(Unplannable),
                },
            ));
        }

        // The cursor: the row's sort keys, the id last, as `connection::encode_cursor` writes them.
        let key = |kind: sql::Kind, column: &str, variant: &str| {
            let value = sql::value(self.backend, kind, &format!("{record}.\"{column}\""), false);
            format!("'{{\"{variant}\":' || {value} || '}}'")
        };
        let mut cursor = vec![];
        for field in keys {
            cursor.push(match field {
                OutcomeRecordOrderField::PeriodEnd => key(sql::Kind::Date, "period_end", "Date"),
                OutcomeRecordOrderField::PeriodStart => {
                    key(sql::Kind::Date, "period_start", "Date")
                }
                OutcomeRecordOrderField::CreatedAt => {
                    key(sql::Kind::DateTime, "created_at", "Time")
                }
                OutcomeRecordOrderField::UpdatedAt => {
                    key(sql::Kind::DateTime, "updated_at", "Time")
                }
            });
        }
        cursor.push(key(sql::Kind::Id, "id", "Uuid"));
        let (start, end) = match self.backend {
            DbBackend::Postgres => ("chr(3)", "chr(4)"),
            _ => ("char(3)", "char(4)"),
        };
        let cursor = format!(
            "{start} || '[' || {} || ']' || {end}",
            cursor.join(" || ',' || ")
        );
        self.holes = true;

        let mut selected: Vec<(Expr, String)> = columns
            .iter()
            .enumerate()
            .map(|(i, json)| (Expr::cust(json.clone()), format!("b2h_node_{i}")))
            .collect();
        selected.push((Expr::cust(cursor), "b2h_cursor".into()));
        let page = listing
            .nested_page(args, selected)
            .map_err(|_| Unplannable)?;
        let rows = sql::statement(self.backend, &page.rows, &mut self.values);
        let total = sql::statement(self.backend, &page.total, &mut self.values);
        let limit = page.limit;
        let order = if page.backward {
            "b2h_page.b2h_rn DESC"
        } else {
            "b2h_page.b2h_rn"
        };
        let list = |item: &str| {
            let aggregate = match self.backend {
                DbBackend::Postgres => "string_agg",
                _ => "group_concat",
            };
            format!(
                "'[' || coalesce({aggregate}({item}, ',' ORDER BY {order}) \
                 FILTER (WHERE b2h_page.b2h_rn <= {limit}), '') || ']'"
            )
        };
        let more = format!("CASE WHEN max(b2h_page.b2h_n) > {limit} THEN 'true' ELSE 'false' END");
        let last =
            format!("CASE WHEN b2h_page.b2h_n < {limit} THEN b2h_page.b2h_n ELSE {limit} END");
        let cursor_at = |rank: &str| {
            format!(
                "coalesce(max(CASE WHEN b2h_page.b2h_rn = {rank} \
                 THEN '\"' || b2h_page.b2h_cursor || '\"' END), 'null')"
            )
        };
        let constant = |yes: bool| sql::literal(if yes { "true" } else { "false" });
        let text = |sql_text: String| match self.backend {
            DbBackend::Postgres => format!("({sql_text})::text"),
            _ => format!("CAST(({sql_text}) AS TEXT)"),
        };
        let object = |fields: Vec<(String, String)>| {
            let mut pieces = Vec::new();
            let mut open = String::from("{");
            for (i, (key, value)) in fields.into_iter().enumerate() {
                if i > 0 {
                    open.push(',');
                }
                open.push_str(&serde_json::Value::from(key).to_string());
                open.push(':');
                pieces.push(sql::literal(&std::mem::take(&mut open)));
                pieces.push(value);
            }
            open.push('}');
            pieces.push(sql::literal(&open));
            sql::concat(merge_literals(pieces))
        };
        let mut fields = Vec::new();
        for (key, part) in shape {
            let value = match part {
                PagePart::Constant(json) => sql::literal(&json),
                PagePart::Total => text(total.clone()),
                PagePart::Nodes(column) => list(&column),
                PagePart::Edges(edge) => {
                    let item = object(
                        edge.into_iter()
                            .map(|(key, part)| {
                                (
                                    key,
                                    match part {
                                        EdgePart::Typename => sql::literal("\"OutcomeRecordEdge\""),
                                        EdgePart::Cursor => {
                                            "'\"' || b2h_page.b2h_cursor || '\"'".into()
                                        }
                                        EdgePart::Node(column) => column,
                                    },
                                )
                            })
                            .collect(),
                    );
                    list(&item)
                }
                PagePart::Info(info) => object(
                    info.into_iter()
                        .map(|(key, part)| {
                            (
                                key,
                                match (part, page.backward) {
                                    (Info::Typename, _) => sql::literal("\"PageInfo\""),
                                    (Info::HasNext, false) => more.clone(),
                                    (Info::HasNext, true) => constant(page.before),
                                    (Info::HasPrevious, false) => constant(page.after),
                                    (Info::HasPrevious, true) => more.clone(),
                                    (Info::Start, false) | (Info::End, true) => cursor_at("1"),
                                    (Info::Start, true) | (Info::End, false) => cursor_at(&last),
                                },
                            )
                        })
                        .collect(),
                ),
            };
            fields.push((key, value));
        }
        // `count(*)` makes it one aggregate row, also of an empty page and of a selection
        // without a list (`totalCount` alone).
        Ok(format!(
            "(SELECT CASE WHEN count(*) >= 0 THEN {} END FROM ({rows}) b2h_page)",
            object(fields)
        ))
    }

    /// `Funder.reportUrl` of the funder `row`: a hole that `computed::fill` signs.
    fn report_url(
        &mut self,
        row: &str,
        field: &'c Positioned<GraphqlField>,
    ) -> Result<String, Unplannable> {
        let arguments = self.ctx.with_field(field);
        let date = |name: &str| -> Result<chrono::NaiveDate, Unplannable> {
            Ok(arguments
                .param_value::<crate::graphql::scalars::Date>(name, None)
                .map_err(|_| Unplannable)?
                .1
                .0)
        };
        let args = ReportUrlArgs {
            from: date("from")?,
            to: date("to")?,
            format: arguments
                .param_value("format", Some(|| crate::reports::Format::Pdf))
                .map_err(|_| Unplannable)?
                .1,
            valid_hours: arguments
                .param_value("validHours", Some(|| crate::report_links::DEFAULT_HOURS))
                .map_err(|_| Unplannable)?
                .1,
        };
        self.computed.push(Computed::ReportUrl {
            args,
            pos: field.pos,
        });
        let id = sql::value(self.backend, sql::Kind::Id, &format!("{row}.\"id\""), false);
        Ok(computed::hole(self.backend, self.computed.len() - 1, &id))
    }

    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("b2h_{}", self.aliases)
    }
}

/// Adjacent constants written as one (`'{"a":' || '"Project"' || ',"b":'` is one literal).
fn merge_literals(pieces: Vec<String>) -> Vec<String> {
    let mut merged: Vec<String> = Vec::with_capacity(pieces.len());
    for piece in pieces {
        let constant = is_literal(&piece);
        match merged.last_mut() {
            Some(last) if constant && is_literal(last) => {
                last.pop();
                last.push_str(&piece[1..]);
            }
            _ => merged.push(piece),
        }
    }
    merged
}

/// Whether `sql` is one string literal (as [`sql::literal`] writes them).
fn is_literal(sql: &str) -> bool {
    sql.len() >= 2
        && sql.starts_with('\'')
        && sql.ends_with('\'')
        && !sql[1..sql.len() - 1].replace("''", "").contains('\'')
}

/// A part of a connection's selection.
enum PagePart {
    Constant(String),
    Total,
    Nodes(String),
    Info(Vec<(String, Info)>),
    Edges(Vec<(String, EdgePart)>),
}

/// A field of `PageInfo`; the connection writers of the root (`super`) and of a nested page
/// both read a selection with it.
pub enum Info {
    Typename,
    HasNext,
    HasPrevious,
    Start,
    End,
}

impl Info {
    /// The field of `PageInfo` named `name`.
    pub fn of(name: &str) -> Option<Info> {
        Some(match name {
            "__typename" => Info::Typename,
            "hasNextPage" => Info::HasNext,
            "hasPreviousPage" => Info::HasPrevious,
            "startCursor" => Info::Start,
            "endCursor" => Info::End,
            _ => return None,
        })
    }
}

enum EdgePart {
    Typename,
    Cursor,
    Node(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_merge_and_expressions_stay() {
        let pieces = vec![
            "'{\"a\":'".to_string(),
            "'\"Project\"'".to_string(),
            "'it''s'".to_string(),
            "x.\"b\"".to_string(),
            "'}'".to_string(),
        ];
        assert_eq!(
            merge_literals(pieces),
            vec![
                "'{\"a\":\"Project\"it''s'".to_string(),
                "x.\"b\"".into(),
                "'}'".into()
            ]
        );
        assert!(!is_literal("'a' || 'b'"));
    }
}
