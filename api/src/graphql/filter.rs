//! The filter grammar shared by every list: per-field operators (`eq`, `ne`, `in`, `notIn`, `lt`,
//! `lte`, `gt`, `gte`, `contains`, `startsWith`, `isNull`) combined with `and`, `or` and `not`.

use super::error::{ApiError, ApiResult, coded};
use super::scalars::Date;
use super::types::enums::{
    DataSource, EvidenceStrength, OrganisationKind, PathwayStage, ProjectSetting, ProjectStatus,
    RecordStatus,
};
use super::types::uuid_of;
use async_graphql::{ID, InputObject, InputType};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{Condition, DbBackend};

/// The largest number of values in one `in` or `notIn`.
const MAX_LIST: usize = 1_000;
/// Deepest nesting of `and`, `or` and `not` in one filter.
pub const MAX_FILTER_DEPTH: usize = 8;
/// Most filters one `and` or `or` combines.
pub const MAX_BRANCHES: usize = 50;
/// Most conditions and listed values one filter holds in all: each becomes a bound parameter
/// or a node of the statement, and databases refuse statements past a few tens of thousands.
pub const MAX_FILTER_TERMS: usize = 5_000;
/// Longest text one condition compares with, in characters.
pub const MAX_TEXT_CHARS: usize = 1_000;

fn limit_error(message: String) -> async_graphql::Error {
    coded(ApiError::BadUserInput(message))
}

/// A filter is turned into SQL by synchronous recursion (no `await` inside), so what one filter
/// spends of its budget is counted per thread, within [`bounded`].
#[derive(Clone, Copy, Default)]
struct Spent {
    active: bool,
    depth: usize,
    terms: usize,
}

thread_local! {
    static SPENT: std::cell::Cell<Spent> = const { std::cell::Cell::new(Spent { active: false, depth: 0, terms: 0 }) };
}

/// Builds one whole filter's condition within the limits on its depth and size.
pub fn bounded<T>(build: impl FnOnce() -> ApiResult<T>) -> ApiResult<T> {
    let before = SPENT.with(|s| {
        s.replace(Spent {
            active: true,
            depth: 0,
            terms: 0,
        })
    });
    let built = build();
    SPENT.with(|s| s.set(before));
    built
}

/// Counts `n` terms against the filter's budget.
fn spend(n: usize) -> ApiResult<()> {
    let over = SPENT.with(|s| {
        let mut spent = s.get();
        if !spent.active {
            return false;
        }
        spent.terms = spent.terms.saturating_add(n);
        s.set(spent);
        spent.terms > MAX_FILTER_TERMS
    });
    if over {
        return Err(limit_error(format!(
            "the filter holds more than {MAX_FILTER_TERMS} conditions and listed values"
        )));
    }
    Ok(())
}

fn check_list<T>(values: &[T]) -> ApiResult<()> {
    if values.len() > MAX_LIST {
        return Err(limit_error(format!(
            "in and notIn take at most {MAX_LIST} values"
        )));
    }
    spend(values.len())
}

pub(crate) fn check_text(text: &str) -> ApiResult<()> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(limit_error(format!(
            "a text condition takes at most {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(())
}

/// The comparison operators every scalar filter shares, with values already converted.
struct Ops<V> {
    eq: Option<V>,
    ne: Option<V>,
    in_: Option<Vec<V>>,
    not_in: Option<Vec<V>>,
    lt: Option<V>,
    lte: Option<V>,
    gt: Option<V>,
    gte: Option<V>,
    is_null: Option<bool>,
}

impl<V> Default for Ops<V> {
    fn default() -> Self {
        Self {
            eq: None,
            ne: None,
            in_: None,
            not_in: None,
            lt: None,
            lte: None,
            gt: None,
            gte: None,
            is_null: None,
        }
    }
}

impl<V: Into<sea_orm::Value>> Ops<V> {
    /// `ordered` is the expression range comparisons use (code point order for text).
    /// `ne` and `notIn` keep nulls, as "not equal to" reads.
    fn condition(self, expr: Expr, ordered: Expr) -> ApiResult<Condition> {
        spend(1)?;
        let mut c = Condition::all();
        if let Some(v) = self.eq {
            c = c.add(expr.clone().eq(v.into()));
        }
        if let Some(v) = self.ne {
            c = c.add(
                Condition::any()
                    .add(expr.clone().ne(v.into()))
                    .add(expr.clone().is_null()),
            );
        }
        if let Some(v) = self.in_ {
            check_list(&v)?;
            c = c.add(expr.clone().is_in(v.into_iter().map(Into::into)));
        }
        if let Some(v) = self.not_in {
            check_list(&v)?;
            c = c.add(
                Condition::any()
                    .add(expr.clone().is_not_in(v.into_iter().map(Into::into)))
                    .add(expr.clone().is_null()),
            );
        }
        if let Some(v) = self.lt {
            c = c.add(ordered.clone().lt(v.into()));
        }
        if let Some(v) = self.lte {
            c = c.add(ordered.clone().lte(v.into()));
        }
        if let Some(v) = self.gt {
            c = c.add(ordered.clone().gt(v.into()));
        }
        if let Some(v) = self.gte {
            c = c.add(ordered.gte(v.into()));
        }
        if let Some(null) = self.is_null {
            c = c.add(if null {
                expr.is_null()
            } else {
                expr.is_not_null()
            });
        }
        Ok(c)
    }
}

/// Conditions on a text field. `contains` and `startsWith` ignore case; the others compare exactly.
#[derive(InputObject, Clone, Default)]
pub struct StringFilter {
    /// Equal to.
    pub eq: Option<String>,
    /// Not equal to.
    pub ne: Option<String>,
    /// One of.
    #[graphql(name = "in")]
    pub in_: Option<Vec<String>>,
    /// None of.
    pub not_in: Option<Vec<String>>,
    /// Before, in code point order.
    pub lt: Option<String>,
    /// Before or equal, in code point order.
    pub lte: Option<String>,
    /// After, in code point order.
    pub gt: Option<String>,
    /// After or equal, in code point order.
    pub gte: Option<String>,
    /// Contains, ignoring case.
    pub contains: Option<String>,
    /// Starts with, ignoring case.
    pub starts_with: Option<String>,
    /// Null (true) or not null (false).
    pub is_null: Option<bool>,
}

/// Escapes LIKE wildcards so that user text matches literally.
fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Case-insensitive LIKE that behaves the same on both backends (ASCII case folding).
fn like_ignoring_case(backend: DbBackend, expr: Expr, pattern: String) -> Expr {
    match backend {
        DbBackend::Postgres => {
            // PostgreSQL's LIKE is case-sensitive: fold ASCII on both sides, as SQLite's LIKE does.
            let folded = Expr::cust_with_exprs(
                "translate($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')",
                [expr],
            );
            folded.like(LikeExpr::new(pattern.to_ascii_lowercase()).escape('\\'))
        }
        _ => expr.like(LikeExpr::new(pattern).escape('\\')),
    }
}

/// Code point comparison on both backends.
fn binary(backend: DbBackend, expr: Expr) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_exprs("$1 COLLATE \"C\"", [expr]),
        _ => expr,
    }
}

impl StringFilter {
    pub fn condition(&self, backend: DbBackend, expr: Expr) -> ApiResult<Condition> {
        for text in [
            &self.eq,
            &self.ne,
            &self.lt,
            &self.lte,
            &self.gt,
            &self.gte,
            &self.contains,
            &self.starts_with,
        ]
        .into_iter()
        .flatten()
        .chain(self.in_.iter().flatten())
        .chain(self.not_in.iter().flatten())
        {
            check_text(text)?;
        }
        let ops = Ops {
            eq: self.eq.clone(),
            ne: self.ne.clone(),
            in_: self.in_.clone(),
            not_in: self.not_in.clone(),
            lt: self.lt.clone(),
            lte: self.lte.clone(),
            gt: self.gt.clone(),
            gte: self.gte.clone(),
            is_null: self.is_null,
        };
        let mut c = ops.condition(expr.clone(), binary(backend, expr.clone()))?;
        if let Some(v) = &self.contains {
            c = c.add(like_ignoring_case(
                backend,
                expr.clone(),
                format!("%{}%", like_literal(v)),
            ));
        }
        if let Some(v) = &self.starts_with {
            c = c.add(like_ignoring_case(
                backend,
                expr,
                format!("{}%", like_literal(v)),
            ));
        }
        Ok(c)
    }
}

/// Conditions on an id (a UUID).
#[derive(InputObject, Clone, Default)]
pub struct IdFilter {
    /// Equal to.
    pub eq: Option<ID>,
    /// Not equal to.
    pub ne: Option<ID>,
    /// One of.
    #[graphql(name = "in")]
    pub in_: Option<Vec<ID>>,
    /// None of.
    pub not_in: Option<Vec<ID>>,
    /// Null (true) or not null (false).
    pub is_null: Option<bool>,
}

impl IdFilter {
    pub fn condition(&self, expr: Expr) -> ApiResult<Condition> {
        let ids = |v: &Option<Vec<ID>>| -> ApiResult<Option<Vec<uuid::Uuid>>> {
            v.as_ref()
                .map(|ids| ids.iter().map(uuid_of).collect())
                .transpose()
        };
        let ops = Ops {
            eq: self.eq.as_ref().map(uuid_of).transpose()?,
            ne: self.ne.as_ref().map(uuid_of).transpose()?,
            in_: ids(&self.in_)?,
            not_in: ids(&self.not_in)?,
            is_null: self.is_null,
            ..Ops::default()
        };
        ops.condition(expr.clone(), expr)
    }
}

/// Conditions on a date.
#[derive(InputObject, Clone, Default)]
pub struct DateFilter {
    /// On.
    pub eq: Option<Date>,
    /// Not on.
    pub ne: Option<Date>,
    /// On one of.
    #[graphql(name = "in")]
    pub in_: Option<Vec<Date>>,
    /// On none of.
    pub not_in: Option<Vec<Date>>,
    /// Before.
    pub lt: Option<Date>,
    /// On or before.
    pub lte: Option<Date>,
    /// After.
    pub gt: Option<Date>,
    /// On or after.
    pub gte: Option<Date>,
    /// Null (true) or not null (false).
    pub is_null: Option<bool>,
}

impl DateFilter {
    pub fn condition(&self, expr: Expr) -> ApiResult<Condition> {
        let dates = |v: &Option<Vec<Date>>| v.as_ref().map(|d| d.iter().map(|d| d.0).collect());
        let ops = Ops {
            eq: self.eq.map(|d| d.0),
            ne: self.ne.map(|d| d.0),
            in_: dates(&self.in_),
            not_in: dates(&self.not_in),
            lt: self.lt.map(|d| d.0),
            lte: self.lte.map(|d| d.0),
            gt: self.gt.map(|d| d.0),
            gte: self.gte.map(|d| d.0),
            is_null: self.is_null,
        };
        ops.condition(expr.clone(), expr)
    }
}

/// Conditions on an enum field.
#[derive(InputObject, Clone)]
#[graphql(concrete(name = "ProjectStatusFilter", params(ProjectStatus)))]
#[graphql(concrete(name = "PathwayStageFilter", params(PathwayStage)))]
#[graphql(concrete(name = "ProjectSettingFilter", params(ProjectSetting)))]
#[graphql(concrete(name = "OrganisationKindFilter", params(OrganisationKind)))]
#[graphql(concrete(name = "RecordStatusFilter", params(RecordStatus)))]
#[graphql(concrete(name = "DataSourceFilter", params(DataSource)))]
#[graphql(concrete(name = "EvidenceStrengthFilter", params(EvidenceStrength)))]
pub struct EnumFilter<T: InputType + Copy> {
    /// Equal to.
    pub eq: Option<T>,
    /// Not equal to.
    pub ne: Option<T>,
    /// One of.
    #[graphql(name = "in")]
    pub in_: Option<Vec<T>>,
    /// None of.
    pub not_in: Option<Vec<T>>,
}

impl<T: InputType + Copy> EnumFilter<T> {
    /// `stored` turns a value into the text the database holds.
    pub fn condition(
        &self,
        expr: Expr,
        stored: impl Fn(T) -> &'static str,
    ) -> ApiResult<Condition> {
        let list = |v: &Option<Vec<T>>| v.as_ref().map(|v| v.iter().map(|x| stored(*x)).collect());
        let ops = Ops {
            eq: self.eq.map(&stored),
            ne: self.ne.map(&stored),
            in_: list(&self.in_),
            not_in: list(&self.not_in),
            ..Ops::default()
        };
        ops.condition(expr.clone(), expr)
    }
}

/// Combines a filter's own conditions with its `and`, `or` and `not`.
pub fn combine<F>(
    own: Condition,
    and: &Option<Vec<F>>,
    or: &Option<Vec<F>>,
    not: &Option<Box<F>>,
    nested: impl Fn(&F) -> ApiResult<Condition>,
) -> ApiResult<Condition> {
    for (name, list) in [("and", and), ("or", or)] {
        if let Some(list) = list
            && list.len() > MAX_BRANCHES
        {
            return Err(limit_error(format!(
                "{name} takes at most {MAX_BRANCHES} filters (got {})",
                list.len()
            )));
        }
    }
    let branches = and.as_ref().map_or(0, Vec::len)
        + or.as_ref().map_or(0, Vec::len)
        + usize::from(not.is_some());
    if branches == 0 {
        return Ok(own);
    }
    spend(branches)?;
    let depth = SPENT.with(|s| {
        let mut spent = s.get();
        spent.depth += 1;
        s.set(spent);
        spent.depth
    });
    let combined = if depth > MAX_FILTER_DEPTH {
        Err(limit_error(format!(
            "and, or and not nest at most {MAX_FILTER_DEPTH} levels deep"
        )))
    } else {
        combine_branches(own, and, or, not, nested)
    };
    SPENT.with(|s| {
        let mut spent = s.get();
        spent.depth -= 1;
        s.set(spent);
    });
    combined
}

fn combine_branches<F>(
    own: Condition,
    and: &Option<Vec<F>>,
    or: &Option<Vec<F>>,
    not: &Option<Box<F>>,
    nested: impl Fn(&F) -> ApiResult<Condition>,
) -> ApiResult<Condition> {
    let mut c = own;
    if let Some(all) = and {
        for f in all {
            c = c.add(nested(f)?);
        }
    }
    if let Some(any) = or {
        let mut alternatives = Condition::any();
        for f in any {
            alternatives = alternatives.add(nested(f)?);
        }
        c = c.add(alternatives);
    }
    if let Some(f) = not {
        c = c.add(nested(f)?.not());
    }
    Ok(c)
}
