//! A selection on an object type compiled to one SQL expression that writes the object's JSON:
//! columns formatted in place, to-one relations as correlated subqueries, to-many relations as
//! correlated aggregates in the relation's order.
//!
//! Beside it, for each list without pages the selection holds (nested ones included), the
//! chain of joins from the root row to that list's items: counting the rows of each chain,
//! each count stopped at the budget, tells how many items the answer would hold before any of it
//! is written, in work bounded by the budget whatever the nesting (see `super::budgeted`).

use super::catalog::{Field, Type};
use super::sql;
use crate::access::RecordAccess;
use crate::graphql::plain::Plan;
use async_graphql::ContextSelectionSet;
use sea_orm::DbBackend;

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
    /// Whether the answer holds floats for [`sql::fill_floats`].
    pub floats: bool,
    /// For each list without pages, the joins from the root row to its items.
    pub lists: Vec<Vec<Hop>>,
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
            floats: false,
            lists: Vec::new(),
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
            if planned.fields.iter().any(|f| !f.node.arguments.is_empty()) {
                return Err(Unplannable);
            }
            let ctx = self.ctx;
            let inner_plan = || planned.inner(ctx);
            match ty.field(name).ok_or(Unplannable)? {
                Field::Column {
                    column,
                    kind,
                    nullable,
                } => {
                    self.floats |= kind == sql::Kind::Float;
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
                let rule = sql::condition(self.backend, rule).ok_or(Unplannable)?;
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
        let chain_row = hop.alias.clone();
        chain.push(hop);
        let inner = At {
            row: record,
            chain_row: &chain_row,
            depth: at.depth + 1,
        };
        let json = self.nested(Type::OutcomeRecord, &inner, plan, chain);
        chain.pop();
        let order = format!("{record}.\"measure_id\" ASC, {record}.\"id\" ASC");
        Ok(sql::array(self.backend, &json?, &from, &order))
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
