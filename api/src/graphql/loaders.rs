//! Batched loading of related rows: one query per relation and request, however many rows ask.

use super::batch::{BatchLoad, Batched, Batches};
use super::reference::Reference;
use b2h_entity::{
    campaign, funder, grant, grant_allocation, nation, organisation, outcome_measure,
    outcome_record, project, project_partner, project_stage, region,
};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::Order;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use uuid::Uuid;

/// An entity whose rows are found by one key column.
pub trait Keyed: EntityTrait {
    type Key: Send + Sync + std::hash::Hash + Eq + Clone + Into<sea_orm::Value> + 'static;
    fn key_column() -> Self::Column;
    fn key_of(model: &Self::Model) -> Self::Key;
}

macro_rules! keyed {
    ($module:ident, $key:ty, $column:ident, $field:ident) => {
        impl Keyed for $module::Entity {
            type Key = $key;
            fn key_column() -> Self::Column {
                $module::Column::$column
            }
            fn key_of(model: &Self::Model) -> Self::Key {
                model.$field.clone()
            }
        }
    };
}

keyed!(organisation, Uuid, Id, id);
keyed!(campaign, Uuid, Id, id);
keyed!(funder, Uuid, Id, id);
keyed!(grant, Uuid, Id, id);
keyed!(project, Uuid, Id, id);
keyed!(outcome_measure, Uuid, Id, id);
keyed!(region, String, Code, code);
keyed!(nation, String, Code, code);

/// Loads rows of `E` by key, many keys per query.
pub struct ByKey<E> {
    db: DatabaseConnection,
    entity: PhantomData<fn() -> E>,
}

impl<E> BatchLoad for ByKey<E>
where
    E: Keyed,
    E::Model: Send + Sync + Clone + 'static,
{
    type Key = E::Key;
    type Value = E::Model;

    async fn load(&self, keys: &[E::Key]) -> Result<HashMap<E::Key, E::Model>, Arc<DbErr>> {
        let rows = E::find()
            .filter(E::key_column().is_in(keys.iter().cloned()))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|m| (E::key_of(&m), m)).collect())
    }
}

/// Loads the rows of `E` that belong to each parent id, in a fixed order.
pub struct ByParent<E: EntityTrait> {
    db: DatabaseConnection,
    column: E::Column,
    parent: fn(&E::Model) -> Uuid,
    order: Vec<(E::Column, Order)>,
    /// When set, rows with a value here (archived) are left out.
    archived: Option<E::Column>,
}

impl<E> BatchLoad for ByParent<E>
where
    E: EntityTrait,
    E::Model: Send + Sync + Clone + 'static,
    E::Column: Send + Sync + 'static,
{
    type Key = Uuid;
    type Value = Arc<Vec<E::Model>>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Arc<DbErr>> {
        let mut select = E::find().filter(self.column.is_in(keys.iter().copied()));
        if let Some(archived) = self.archived {
            select = select.filter(archived.is_null());
        }
        for (column, order) in &self.order {
            select = select.order_by(*column, order.clone());
        }
        let rows = select.all(&self.db).await.map_err(Arc::new)?;
        let mut grouped: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
        for row in rows {
            grouped.entry((self.parent)(&row)).or_default().push(row);
        }
        Ok(shared(grouped))
    }
}

/// Each parent's rows behind an `Arc`: every resolver waiting on a parent gets a handle, not a
/// copy, so rows are copied only for the items an answer really holds (after they are counted
/// against its [`AnswerBudget`]).
fn shared<T>(grouped: HashMap<Uuid, Vec<T>>) -> HashMap<Uuid, Arc<Vec<T>>> {
    grouped.into_iter().map(|(k, v)| (k, Arc::new(v))).collect()
}

fn by_parent<E>(
    db: &DatabaseConnection,
    column: E::Column,
    parent: fn(&E::Model) -> Uuid,
    order: Vec<(E::Column, Order)>,
    archived: Option<E::Column>,
) -> Batched<ByParent<E>>
where
    E: EntityTrait,
    E::Model: Send + Sync + Clone + 'static,
    E::Column: Send + Sync + 'static,
{
    Batched::new(ByParent {
        db: db.clone(),
        column,
        parent,
        order,
        archived,
    })
}

/// Each project's latest counted record (submitted or verified) of every measure it reports.
pub struct LatestRecords {
    db: DatabaseConnection,
}

impl BatchLoad for LatestRecords {
    type Key = Uuid;
    type Value = Arc<Vec<outcome_record::Model>>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Arc<DbErr>> {
        let latest = sea_orm::sea_query::Expr::cust(
            "\"outcome_record\".\"period_end\" = (SELECT MAX(x.period_end) FROM outcome_record x
               WHERE x.project_id = \"outcome_record\".\"project_id\"
                 AND x.measure_id = \"outcome_record\".\"measure_id\"
                 AND x.status IN ('submitted', 'verified') AND x.archived_at IS NULL)",
        );
        let rows = outcome_record::Entity::find()
            .filter(outcome_record::Column::ProjectId.is_in(keys.iter().copied()))
            .filter(outcome_record::Column::Status.is_in(["submitted", "verified"]))
            .filter(outcome_record::Column::ArchivedAt.is_null())
            .filter(latest)
            .order_by_asc(outcome_record::Column::MeasureId)
            .order_by_asc(outcome_record::Column::Id)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let mut grouped: HashMap<Uuid, Vec<outcome_record::Model>> = HashMap::new();
        for row in rows {
            grouped.entry(row.project_id).or_default().push(row);
        }
        Ok(shared(grouped))
    }
}

/// A grant allocation with its grant and the grant's funder.
pub type AllocationWithGrant = (grant_allocation::Model, grant::Model, funder::Model);

/// Each project's grant allocations, their grants and funders joined in: pages of projects
/// nearly always show who pays, and the join saves two queries (and two waves) per request.
pub struct AllocationsWithGrants {
    db: DatabaseConnection,
}

impl BatchLoad for AllocationsWithGrants {
    type Key = Uuid;
    type Value = Arc<Vec<AllocationWithGrant>>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Arc<DbErr>> {
        let rows = grant_allocation::Entity::find()
            .filter(grant_allocation::Column::ProjectId.is_in(keys.iter().copied()))
            .filter(grant_allocation::Column::ArchivedAt.is_null())
            .find_also_related(grant::Entity)
            .find_also(grant::Entity, funder::Entity)
            .order_by_asc(grant_allocation::Column::Id)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let mut grouped: HashMap<Uuid, Vec<AllocationWithGrant>> = HashMap::new();
        for (allocation, grant, funder) in rows {
            // Foreign keys make both present; a row without them would be a broken database.
            let (Some(grant), Some(funder)) = (grant, funder) else {
                return Err(Arc::new(DbErr::RecordNotFound(format!(
                    "grant or funder of allocation {}",
                    allocation.id
                ))));
            };
            grouped
                .entry(allocation.project_id)
                .or_default()
                .push((allocation, grant, funder));
        }
        Ok(shared(grouped))
    }
}

/// Items of lists without pages (a funder's grants, a project's partners…) one answer may hold.
/// Pages are bounded before execution by the complexity limit; these lists are bounded by
/// what they really hold, counted as each one is resolved, so lists nested in lists
/// (`funders → grants → funder → grants …`) stop at this many items whatever their depth.
pub const MAX_LIST_ITEMS: usize = 25_000;

/// What one answer has spent of [`MAX_LIST_ITEMS`].
#[derive(Default)]
pub struct AnswerBudget {
    items: AtomicUsize,
}

impl AnswerBudget {
    /// Counts `n` more list items; an error once the answer holds too many.
    pub fn charge(&self, n: usize) -> Result<(), async_graphql::Error> {
        let before = self.items.fetch_add(n, AtomicOrdering::Relaxed);
        if before.saturating_add(n) > MAX_LIST_ITEMS {
            return Err(super::error::coded(super::error::ApiError::LimitExceeded(
                answer_too_large(),
            )));
        }
        Ok(())
    }

    /// Items the answer may still hold.
    pub fn remaining(&self) -> usize {
        MAX_LIST_ITEMS.saturating_sub(self.items.load(AtomicOrdering::Relaxed))
    }

    /// Whether the answer went past the bound (the whole request is then refused).
    pub fn exceeded(&self) -> bool {
        self.items.load(AtomicOrdering::Relaxed) > MAX_LIST_ITEMS
    }
}

/// Why an answer with too many list items is refused.
pub fn answer_too_large() -> String {
    format!(
        "the answer would hold more than {MAX_LIST_ITEMS} items of lists without pages (such as \
         a funder's grants): select fewer nested lists, or page through a top-level list"
    )
}

/// Every loader of the API, made anew for each request (see [`super::batch`]).
pub struct Loaders {
    /// List items the answer holds so far.
    pub answer: AnswerBudget,
    pub organisations: Batched<ByKey<organisation::Entity>>,
    pub campaigns: Batched<ByKey<campaign::Entity>>,
    pub regions: Batched<ByKey<region::Entity>>,
    pub nations: Batched<ByKey<nation::Entity>>,
    pub funders: Batched<ByKey<funder::Entity>>,
    pub grants: Batched<ByKey<grant::Entity>>,
    pub projects: Batched<ByKey<project::Entity>>,
    pub stages_by_project: Batched<ByParent<project_stage::Entity>>,
    pub partners_by_project: Batched<ByParent<project_partner::Entity>>,
    pub allocations_by_project: Batched<AllocationsWithGrants>,
    pub allocations_by_grant: Batched<ByParent<grant_allocation::Entity>>,
    pub grants_by_funder: Batched<ByParent<grant::Entity>>,
    pub projects_by_lead: Batched<ByParent<project::Entity>>,
    pub grants_by_recipient: Batched<ByParent<grant::Entity>>,
    pub measures: Batched<ByKey<outcome_measure::Entity>>,
    pub latest_records_by_project: Batched<LatestRecords>,
}

fn by_key<E: Keyed>(db: &DatabaseConnection) -> ByKey<E> {
    ByKey {
        db: db.clone(),
        entity: PhantomData,
    }
}

fn loader<E: Keyed>(db: &DatabaseConnection) -> Batched<ByKey<E>>
where
    E::Model: Send + Sync + Clone + 'static,
{
    Batched::new(by_key(db))
}

impl Loaders {
    /// The loaders of one request; nations and regions come from `reference` without a query.
    pub fn new(db: DatabaseConnection, reference: &Reference) -> Self {
        Self {
            answer: AnswerBudget::default(),
            organisations: loader(&db),
            campaigns: loader(&db),
            regions: Batched::with_known(by_key(&db), Arc::clone(&reference.regions)),
            nations: Batched::with_known(by_key(&db), Arc::clone(&reference.nations)),
            funders: loader(&db),
            grants: loader(&db),
            projects: loader(&db),
            stages_by_project: by_parent(
                &db,
                project_stage::Column::ProjectId,
                |m: &project_stage::Model| m.project_id,
                vec![
                    (project_stage::Column::IsPrimary, Order::Desc),
                    (project_stage::Column::Stage, Order::Asc),
                ],
                None,
            ),
            partners_by_project: by_parent(
                &db,
                project_partner::Column::ProjectId,
                |m: &project_partner::Model| m.project_id,
                vec![
                    (project_partner::Column::Role, Order::Asc),
                    (project_partner::Column::OrganisationId, Order::Asc),
                ],
                None,
            ),
            allocations_by_project: Batched::new(AllocationsWithGrants { db: db.clone() }),
            allocations_by_grant: by_parent(
                &db,
                grant_allocation::Column::GrantId,
                |m: &grant_allocation::Model| m.grant_id,
                vec![(grant_allocation::Column::Id, Order::Asc)],
                Some(grant_allocation::Column::ArchivedAt),
            ),
            grants_by_funder: by_parent(
                &db,
                grant::Column::FunderId,
                |m: &grant::Model| m.funder_id,
                vec![
                    (grant::Column::AwardDate, Order::Asc),
                    (grant::Column::Id, Order::Asc),
                ],
                Some(grant::Column::ArchivedAt),
            ),
            projects_by_lead: by_parent(
                &db,
                project::Column::LeadOrganisationId,
                |m: &project::Model| m.lead_organisation_id,
                vec![
                    (project::Column::Reference, Order::Asc),
                    (project::Column::Id, Order::Asc),
                ],
                Some(project::Column::ArchivedAt),
            ),
            grants_by_recipient: by_parent(
                &db,
                grant::Column::RecipientOrganisationId,
                |m: &grant::Model| m.recipient_organisation_id,
                vec![
                    (grant::Column::AwardDate, Order::Asc),
                    (grant::Column::Id, Order::Asc),
                ],
                Some(grant::Column::ArchivedAt),
            ),
            measures: loader(&db),
            latest_records_by_project: Batched::new(LatestRecords { db: db.clone() }),
        }
    }
}

impl Batches for Loaders {
    fn take_all(&self) -> Vec<BoxFuture<'static, ()>> {
        [
            self.organisations.take(),
            self.campaigns.take(),
            self.regions.take(),
            self.nations.take(),
            self.funders.take(),
            self.grants.take(),
            self.projects.take(),
            self.stages_by_project.take(),
            self.partners_by_project.take(),
            self.allocations_by_project.take(),
            self.allocations_by_grant.take(),
            self.grants_by_funder.take(),
            self.projects_by_lead.take(),
            self.grants_by_recipient.take(),
            self.measures.take(),
            self.latest_records_by_project.take(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
