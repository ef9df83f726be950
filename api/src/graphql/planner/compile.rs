//! A selection on an object type compiled to one SQL expression that writes the object's JSON:
//! columns formatted in place, to-one relations as correlated subqueries, to-many relations as
//! correlated aggregates in the relation's order. Beside it, an expression that counts the items
//! of lists without pages the object holds, nested ones included, so that the answer budget is
//! charged exactly as the resolvers charge it.

use super::catalog::{Field, Type};
use super::sql;
use crate::graphql::plain::Plan;
use async_graphql::ContextSelectionSet;
use sea_orm::DbBackend;

/// The selection asks for something the planner does not compile (a field with arguments, a
/// field of a type it does not know): the root field is resolved the usual way.
#[derive(Debug)]
pub struct Unplannable;

/// An object's JSON, and the number of list items it holds (when it holds lists).
pub struct Compiled {
    pub json: String,
    pub items: Option<String>,
}

/// Compiles the selections of one root field.
pub struct Compiler<'a, 'c> {
    ctx: &'a ContextSelectionSet<'c>,
    backend: DbBackend,
    aliases: usize,
}

/// Deepest nesting compiled; the depth limit stops queries well before it.
const MAX_NESTING: usize = 32;

impl<'a, 'c> Compiler<'a, 'c> {
    pub fn new(ctx: &'a ContextSelectionSet<'c>, backend: DbBackend) -> Self {
        Self {
            ctx,
            backend,
            aliases: 0,
        }
    }

    /// The JSON of `plan` on the row of `ty` that `row` (a table name or alias, quoted) names.
    pub fn object(
        &mut self,
        ty: Type,
        row: &str,
        plan: &Plan<'c>,
    ) -> Result<Compiled, Unplannable> {
        self.nested(ty, row, plan, 0)
    }

    fn nested(
        &mut self,
        ty: Type,
        row: &str,
        plan: &Plan<'c>,
        depth: usize,
    ) -> Result<Compiled, Unplannable> {
        if depth > MAX_NESTING {
            return Err(Unplannable);
        }
        let mut pieces = Vec::with_capacity(plan.fields.len() * 2 + 1);
        let mut items = Vec::new();
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
            let field = ty.field(name).ok_or(Unplannable)?;
            match field {
                Field::Column {
                    column,
                    kind,
                    nullable,
                } => pieces.push(sql::value(
                    self.backend,
                    kind,
                    &format!("{row}.\"{column}\""),
                    nullable,
                )),
                Field::One {
                    target,
                    column,
                    key,
                } => {
                    let alias = self.alias();
                    let from = format!(
                        "FROM \"{}\" {alias} WHERE {alias}.\"{key}\" = {row}.\"{column}\"",
                        target.table().name
                    );
                    let inner = self.nested(target, &alias, planned.inner(self.ctx), depth + 1)?;
                    pieces.push(sql::object_or_null(&inner.json, &from));
                    if let Some(count) = inner.items {
                        items.push(format!("coalesce((SELECT {count} {from}), 0)"));
                    }
                }
                Field::Many {
                    target,
                    column,
                    key,
                    order,
                    unarchived,
                } => {
                    let alias = self.alias();
                    let archived = if unarchived {
                        format!(" AND {alias}.\"archived_at\" IS NULL")
                    } else {
                        String::new()
                    };
                    let from = format!(
                        "FROM \"{}\" {alias} WHERE {alias}.\"{column}\" = {row}.\"{key}\"{archived}",
                        target.table().name
                    );
                    let order = order
                        .iter()
                        .map(|(c, desc)| {
                            format!("{alias}.\"{c}\" {}", if *desc { "DESC" } else { "ASC" })
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let inner = self.nested(target, &alias, planned.inner(self.ctx), depth + 1)?;
                    pieces.push(sql::array(self.backend, &inner.json, &from, &order));
                    let nested = inner
                        .items
                        .map(|count| format!(" + coalesce(sum({count}), 0)"))
                        .unwrap_or_default();
                    items.push(format!("(SELECT count(*){nested} {from})"));
                }
            }
        }
        open.push('}');
        pieces.push(sql::literal(&open));
        Ok(Compiled {
            json: sql::concat(merge_literals(pieces)),
            items: (!items.is_empty()).then(|| format!("({})", items.join(" + "))),
        })
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
