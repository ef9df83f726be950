//! Who sees which `impact` figures: full record access live and exact; the public the last
//! publication, disclosure controlled; a partner or a funder live, each cell exact when it is
//! made only of records the key may read and as published otherwise ([`RecordAccess::sees_exact`]).

use super::error::{ApiError, ApiResult, coded};
use super::query::{current_publication, record_access};
use super::reference::Reference;
use super::types::enums::RecordStatus;
use super::types::impact::{ImpactFilter, ImpactGroup, Showing, groups};
use crate::access::RecordAccess;
use crate::analytics::engine::{Figures, Store};
use crate::analytics::impact::{self, Dimension, KeyPart, MeasureFigure, Reader, projects_where};
use crate::analytics::published::{PublicRequest, Refused};
use async_graphql::Context;
use b2h_entity::enums::{DataSource, EvidenceStrength};
use sea_orm::DatabaseConnection;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The store of figures this request reads (taken once per request, so that all its answers
/// reflect one change sequence).
pub fn store(ctx: &Context<'_>) -> ApiResult<Arc<Store>> {
    match ctx.data_opt::<Arc<Store>>() {
        Some(store) => Ok(Arc::clone(store)),
        None => ctx
            .data::<Figures>()?
            .store()
            .map_err(|e| coded(ApiError::Unavailable(e.to_string()))),
    }
}

/// The projects whose records the caller may read, as a mask over the store's projects (`None`
/// for every project).
pub async fn readable(
    db: &DatabaseConnection,
    store: &Store,
    access: RecordAccess,
) -> ApiResult<Option<Vec<bool>>> {
    match access.project_condition() {
        Some(condition) => Ok(Some(
            store.project_mask(projects_where(db, condition).await.map_err(coded)?),
        )),
        None => Ok(None),
    }
}

/// The answer to `impact(filter, groupBy)` for the caller.
pub async fn impact_for_caller(
    ctx: &Context<'_>,
    filter: ImpactFilter,
    dimensions: Vec<Dimension>,
) -> ApiResult<Vec<ImpactGroup>> {
    let db = ctx.data::<DatabaseConnection>()?;
    let reference = ctx.data::<Arc<Reference>>()?;
    if filter
        .status
        .as_ref()
        .is_some_and(|s| s.contains(&RecordStatus::Draft))
    {
        return Err(coded(ApiError::BadUserInput(
            "drafts never count in figures: filter by SUBMITTED and VERIFIED".into(),
        )));
    }
    let access = record_access(ctx);
    let exact = |computed: Vec<impact::Group>| {
        groups(
            computed.into_iter().map(|g| (g.key, g.figures)).collect(),
            |_| Showing::Exact,
            |f| f.figure,
            reference,
        )
    };
    let store = store(ctx)?;
    if access == RecordAccess::All {
        return Ok(exact(live(db, &store, &filter, None, &dimensions).await?));
    }
    let request = PublicRequest::check(
        filter.period_from.map(|d| d.0),
        filter.period_to.map(|d| d.0),
        filter.measure.clone().unwrap_or_default(),
        dimensions.clone(),
        filter.project.is_some()
            || filter.status.is_some()
            || filter.data_source.is_some()
            || filter.evidence_strength.is_some(),
    );
    let request = match (request, access) {
        (Ok(request), _) => request,
        (Err(Refused::Invalid(m)), _) => return Err(coded(ApiError::BadUserInput(m))),
        (Err(Refused::NotPublished(m)), RecordAccess::None) => {
            return Err(coded(ApiError::Forbidden(m)));
        }
        // Outside the published dimensions a key reads only the records it may read, exact.
        (Err(Refused::NotPublished(_)), _) => {
            let own = readable(db, &store, access).await?;
            return Ok(exact(
                live(db, &store, &filter, own.as_deref(), &dimensions).await?,
            ));
        }
    };
    let published = current_publication(ctx)?;
    let at = published.published_at;
    let public = published.impact(db, &request, None).await.map_err(coded)?;
    let as_published = |key| Showing::Published { key, at };
    if access == RecordAccess::None {
        return Ok(groups(
            public.into_iter().map(|g| (g.key, g.figures)).collect(),
            |f| as_published(f.key),
            |f| f.figure,
            reference,
        ));
    }
    // A key that reads some projects' records: live cells made only of them, exact; the rest
    // as published. Each live cell counts how many of its projects the key may read.
    let own = readable(db, &store, access).await?;
    let everyone = impact::impact(
        db,
        &store,
        &live_filter(db, &filter)?,
        &dimensions,
        Reader {
            readable: own.as_deref(),
            ..Reader::default()
        },
    )
    .await
    .map_err(coded)?;
    let mut cells: BTreeMap<Vec<KeyPart>, BTreeMap<String, (MeasureFigure, Showing)>> =
        BTreeMap::new();
    for g in public {
        let shown = cells.entry(g.key).or_default();
        for f in g.figures {
            shown.insert(
                f.figure.measure.code.clone(),
                (f.figure, as_published(f.key)),
            );
        }
    }
    for g in everyone {
        for f in g.figures {
            if access.sees_exact(count(f.readable), count(f.figure.projects)) {
                cells
                    .entry(g.key.clone())
                    .or_default()
                    .insert(f.figure.measure.code.clone(), (f.figure, Showing::Exact));
            }
        }
    }
    Ok(groups(
        cells
            .into_iter()
            .map(|(key, figures)| (key, figures.into_values().collect()))
            .collect(),
        |(_, showing)| *showing,
        |(f, _)| f,
        reference,
    ))
}

fn count(projects: i64) -> usize {
    usize::try_from(projects).unwrap_or(0)
}

fn list<T: Clone>(values: &Option<Vec<T>>) -> Vec<T> {
    values.clone().unwrap_or_default()
}

/// The engine's filter for the API's.
fn live_filter(db: &DatabaseConnection, filter: &ImpactFilter) -> ApiResult<impact::ImpactFilter> {
    let backend = db.get_database_backend();
    let projects = filter
        .project
        .as_ref()
        .map(|f| super::filter::bounded(|| f.condition(backend)))
        .transpose()?;
    Ok(impact::ImpactFilter {
        from: filter.period_from.map(|d| d.0),
        to: filter.period_to.map(|d| d.0),
        measures: list(&filter.measure),
        statuses: list(&filter.status).into_iter().map(Into::into).collect(),
        data_sources: list(&filter.data_source)
            .into_iter()
            .map(DataSource::from)
            .collect(),
        evidence_strengths: list(&filter.evidence_strength)
            .into_iter()
            .map(EvidenceStrength::from)
            .collect(),
        projects,
    })
}

/// Live figures of the records the filter takes, within `readable` (a mask over projects).
async fn live(
    db: &DatabaseConnection,
    store: &Store,
    filter: &ImpactFilter,
    readable: Option<&[bool]>,
    dimensions: &[Dimension],
) -> ApiResult<Vec<impact::Group>> {
    let filter = live_filter(db, filter)?;
    let reader = Reader {
        within: readable,
        ..Reader::default()
    };
    impact::impact(db, store, &filter, dimensions, reader)
        .await
        .map_err(coded)
}
