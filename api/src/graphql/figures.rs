//! Who sees which `impact` figures: full record access live and exact; the public the last
//! publication, disclosure controlled; a partner or a funder live, each cell exact when it is
//! made only of records the key may read and as published otherwise ([`RecordAccess::sees_exact`]).

use super::error::{ApiError, ApiResult, coded};
use super::query::{current_publication, record_access};
use super::reference::Reference;
use super::types::enums::RecordStatus;
use super::types::impact::{ImpactFilter, ImpactGroup, Showing, groups};
use crate::access::RecordAccess;
use crate::analytics::impact::{self, Dimension, KeyPart, MeasureFigure};
use crate::analytics::published::{PublicRequest, Refused};
use async_graphql::Context;
use b2h_entity::enums::{DataSource, EvidenceStrength};
use sea_orm::{Condition, DatabaseConnection};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use uuid::Uuid;

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
            |f| f,
            reference,
        )
    };
    if access == RecordAccess::All {
        return Ok(exact(live(db, &filter, None, &dimensions).await?));
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
            let own = live(db, &filter, access.project_condition(), &dimensions).await?;
            return Ok(exact(own));
        }
    };
    let published = current_publication(ctx)?;
    let at = published.published_at;
    let public = published.impact(&request).map_err(coded)?;
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
    // as published. Comparing the cell's projects with and without the key's restriction tells
    // which cells those are.
    let everyone = live(db, &filter, None, &dimensions).await?;
    let own = live(db, &filter, access.project_condition(), &dimensions).await?;
    let contributing: HashMap<(Vec<KeyPart>, Uuid), i64> = everyone
        .into_iter()
        .flat_map(|g| {
            let key = g.key;
            g.figures
                .into_iter()
                .map(move |f| ((key.clone(), f.measure.id), f.projects))
        })
        .collect();
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
    for g in own {
        for f in g.figures {
            let all = contributing
                .get(&(g.key.clone(), f.measure.id))
                .copied()
                .unwrap_or(0);
            if access.sees_exact(count(f.projects), count(all)) {
                cells
                    .entry(g.key.clone())
                    .or_default()
                    .insert(f.measure.code.clone(), (f, Showing::Exact));
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

/// Live figures of the records the filter takes, within `readable` (a condition on projects).
async fn live(
    db: &DatabaseConnection,
    filter: &ImpactFilter,
    readable: Option<Condition>,
    dimensions: &[Dimension],
) -> ApiResult<Vec<impact::Group>> {
    let backend = db.get_database_backend();
    let asked = filter
        .project
        .as_ref()
        .map(|f| super::filter::bounded(|| f.condition(backend)))
        .transpose()?;
    let projects = match (asked, readable) {
        (Some(asked), Some(readable)) => Some(Condition::all().add(asked).add(readable)),
        (asked, readable) => asked.or(readable),
    };
    impact::impact(
        db,
        &impact::ImpactFilter {
            from: filter.period_from.map(|d| d.0),
            to: filter.period_to.map(|d| d.0),
            measures: list(&filter.measure),
            statuses: list(&filter.status).into_iter().map(Into::into).collect(),
            data_sources: list(&filter.data_source)
                .into_iter()
                .map(|d| DataSource::from(d).as_str().to_owned())
                .collect(),
            evidence_strengths: list(&filter.evidence_strength)
                .into_iter()
                .map(|e| EvidenceStrength::from(e).as_str().to_owned())
                .collect(),
            projects,
        },
        dimensions,
    )
    .await
    .map_err(coded)
}
