//! A funder's impact summary: its grants and allocations, the projects they pay for, the people
//! those projects supported in a window, the cost per person supported and outcome highlights.

use super::engine::Store;
use super::impact::{self, Dimension, Group, ImpactError, ImpactFilter, KeyPart, Reader};
use super::progress::{BENEFICIARIES, every};
use crate::access::funded_projects;
use b2h_entity::enums::{Beneficiary, PathwayStage};
use b2h_entity::{funder, grant, grant_allocation, outcome_measure, project};
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What a funder's grants pay for: its grants, their live allocations and the projects they
/// fund. Public (360Giving); the figures of what those projects achieved are not.
#[derive(Clone, Debug)]
pub struct Funding {
    pub funder: funder::Model,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub grants: Vec<grant::Model>,
    pub allocations: Vec<grant_allocation::Model>,
    pub projects: Vec<project::Model>,
    /// Σ allocations (minor units) to the projects active in the window, by currency.
    pub allocated_to_active: BTreeMap<String, i64>,
    /// The funded projects active in the window (started by its end, not ended before its start).
    pub active: Vec<Uuid>,
}

impl Funding {
    /// Amounts awarded (minor units), by currency.
    pub fn awarded(&self) -> BTreeMap<String, i64> {
        let mut by = BTreeMap::new();
        for g in &self.grants {
            *by.entry(g.currency.clone()).or_default() += g.amount_awarded;
        }
        by
    }

    /// Amounts allocated to projects (minor units), by currency.
    pub fn allocated(&self) -> BTreeMap<String, i64> {
        let mut by = BTreeMap::new();
        for a in &self.allocations {
            *by.entry(a.currency.clone()).or_default() += a.amount;
        }
        by
    }

    /// Grants with no live allocation: listed, but left out of the cost per person.
    pub fn unallocated_grants(&self) -> Vec<&grant::Model> {
        self.grants
            .iter()
            .filter(|g| !self.allocations.iter().any(|a| a.grant_id == g.id))
            .collect()
    }
}

/// The summary, exact (only the funder's own key, evaluators and admins read it).
#[derive(Clone, Debug)]
pub struct Summary {
    pub funding: Funding,
    pub supported: i64,
    pub by_beneficiary: Vec<(Beneficiary, i64)>,
    pub by_stage: Vec<(PathwayStage, i64)>,
    /// People supported in the window by the projects active in it.
    pub supported_by_active: i64,
    /// Measures whose records give a baseline or a target: the figure with both.
    pub highlights: Vec<impact::MeasureFigure>,
}

impl Summary {
    /// Cost per person supported (DESIGN): Σ allocations to the projects active in the window ÷
    /// the people those projects supported in it, per currency, in minor units rounded; none
    /// when they supported nobody.
    pub fn cost_per_person(&self) -> Vec<(String, i64)> {
        if self.supported_by_active <= 0 {
            return Vec::new();
        }
        self.funding
            .allocated_to_active
            .iter()
            .map(|(currency, minor)| {
                let per = (*minor as f64 / self.supported_by_active as f64).round() as i64;
                (currency.clone(), per)
            })
            .collect()
    }
}

/// `project.id IN (projects the funder's live allocations pay for)`.
pub fn funded(funder: Uuid) -> Condition {
    Condition::all().add(
        Expr::col((Alias::new("project"), Alias::new("id"))).in_subquery(funded_projects(funder)),
    )
}

/// Reads what the funder's grants pay for; `None` when no funder has the id.
pub async fn funding(
    db: &DatabaseConnection,
    funder_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<Funding>, DbErr> {
    let Some(funder) = funder::Entity::find_by_id(funder_id).one(db).await? else {
        return Ok(None);
    };
    let grants = grant::Entity::find()
        .filter(grant::Column::FunderId.eq(funder_id))
        .filter(grant::Column::ArchivedAt.is_null())
        .order_by_asc(grant::Column::AwardDate)
        .order_by_asc(grant::Column::Identifier)
        .all(db)
        .await?;
    let grant_ids: Vec<Uuid> = grants.iter().map(|g| g.id).collect();
    let allocations = grant_allocation::Entity::find()
        .filter(grant_allocation::Column::GrantId.is_in(grant_ids))
        .filter(grant_allocation::Column::ArchivedAt.is_null())
        .order_by_asc(grant_allocation::Column::Id)
        .all(db)
        .await?;
    let mut project_ids: Vec<Uuid> = allocations.iter().map(|a| a.project_id).collect();
    project_ids.sort();
    project_ids.dedup();
    let projects = project::Entity::find()
        .filter(project::Column::Id.is_in(project_ids))
        .order_by_asc(project::Column::Reference)
        .all(db)
        .await?;
    let active: Vec<Uuid> = projects
        .iter()
        .filter(|p| p.start_date <= to && p.end_date.is_none_or(|end| end >= from))
        .map(|p| p.id)
        .collect();
    let mut allocated_to_active: BTreeMap<String, i64> = BTreeMap::new();
    for a in &allocations {
        if active.contains(&a.project_id) {
            *allocated_to_active.entry(a.currency.clone()).or_default() += a.amount;
        }
    }

    Ok(Some(Funding {
        funder,
        from,
        to,
        grants,
        allocations,
        projects,
        allocated_to_active,
        active,
    }))
}

/// Reads the summary; `None` when no funder has the id.
pub async fn summary(
    db: &DatabaseConnection,
    store: &Store,
    funder_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<Summary>, ImpactError> {
    let Some(funding) = funding(db, funder_id, from, to).await? else {
        return Ok(None);
    };
    let active = funding.active.clone();
    let measures = outcome_measure::Entity::find().all(db).await?;
    let target_codes: Vec<String> = measures
        .iter()
        .filter(|m| m.counts_toward_target)
        .map(|m| m.code.clone())
        .collect();
    let window = |projects: Condition, codes: Vec<String>| ImpactFilter {
        from: Some(from),
        to: Some(to),
        measures: codes,
        projects: Some(projects),
        ..ImpactFilter::default()
    };
    let figures = |filter: ImpactFilter, dimensions: &'static [Dimension]| async move {
        impact::impact(db, store, &filter, dimensions, Reader::default()).await
    };
    let measure_figures = |groups: Vec<Group>| {
        groups
            .into_iter()
            .flat_map(|g| g.figures.into_iter().map(|f| f.figure))
            .collect::<Vec<_>>()
    };
    // People supported, by beneficiary and by primary stage.
    let people = figures(window(funded(funder_id), target_codes.clone()), &[]).await?;
    let mut by_beneficiary: BTreeMap<Beneficiary, i64> = BTreeMap::new();
    for f in measure_figures(people) {
        *by_beneficiary.entry(f.measure.beneficiary).or_default() += f.value.round() as i64;
    }
    let stages = figures(
        window(funded(funder_id), target_codes.clone()),
        &[Dimension::PathwayStage],
    )
    .await?;
    let mut by_stage: BTreeMap<PathwayStage, i64> = BTreeMap::new();
    for g in &stages {
        if let Some(KeyPart::Stage(stage)) = g.key.first() {
            *by_stage.entry(*stage).or_default() += g
                .figures
                .iter()
                .map(|f| f.figure.value.round() as i64)
                .sum::<i64>();
        }
    }
    let active_condition = Condition::all()
        .add(Expr::col((Alias::new("project"), Alias::new("id"))).is_in(active.clone()));
    let supported_by_active = if active.is_empty() {
        0
    } else {
        measure_figures(figures(window(active_condition, target_codes), &[]).await?)
            .iter()
            .map(|f| f.value.round() as i64)
            .sum()
    };
    // Highlights: every measure whose records give a baseline or a target.
    let all = figures(window(funded(funder_id), Vec::new()), &[]).await?;
    let highlights = measure_figures(all)
        .into_iter()
        .filter(|f| f.baseline.is_some() || f.target.is_some())
        .collect();
    Ok(Some(Summary {
        supported: by_beneficiary.values().sum(),
        by_beneficiary: every(&BENEFICIARIES, &by_beneficiary),
        by_stage: every(PathwayStage::ALL, &by_stage),
        funding,
        supported_by_active,
        highlights,
    }))
}
