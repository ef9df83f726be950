//! Campaign progress: people supported (the measures that count toward the target, submitted and
//! verified records only) against the target, broken down by beneficiary group, primary pathway
//! stage, region (nations outside England) and month of `period_end`, by the figure engine.

use super::disclosure::CellKey;
use super::engine::{self, Scan, Store};
use super::impact::{Dimension, KeyPart, Reader};
use b2h_entity::campaign;
use b2h_entity::enums::{Beneficiary, PathwayStage};
use chrono::{Datelike, NaiveDate};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QueryOrder};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Months of recent history the projection follows.
pub const TREND_MONTHS: usize = 6;

/// The target measures' beneficiary groups, in display order.
pub const BENEFICIARIES: [Beneficiary; 3] = [
    Beneficiary::Patients,
    Beneficiary::Staff,
    Beneficiary::Volunteers,
];

/// A campaign's progress, exact (disclosure control is applied where it is shown).
#[derive(Clone, Debug)]
pub struct Progress {
    pub campaign: campaign::Model,
    pub supported: i64,
    pub by_beneficiary: Vec<(Beneficiary, i64)>,
    pub by_stage: Vec<(PathwayStage, i64)>,
    /// NHS England region code, or nation code outside England, with the people supported there.
    pub by_area: Vec<(String, i64)>,
    /// First day of each month from the first with figures to the last, with its people and the
    /// running total.
    pub by_month: Vec<(NaiveDate, i64, i64)>,
    pub projected_target_date: Option<NaiveDate>,
}

/// People supported in one cell of campaign progress, with what disclosure control needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PeopleCell {
    pub people: i64,
    pub key: CellKey,
    /// Projects whose records make the cell, and how many of them the reader may read.
    pub projects: i64,
    pub readable: i64,
    /// Whether records of the cell were left out of public cells (so an empty cell is withheld,
    /// not a known zero).
    pub left_out: bool,
}

/// Campaign progress cell by cell: the headline exact (every counted record), the breakdowns
/// as the reader's scan makes them.
#[derive(Clone, Debug)]
pub struct ProgressCells {
    pub supported: i64,
    pub by_beneficiary: Vec<(Beneficiary, i64)>,
    pub by_stage: Vec<(PathwayStage, PeopleCell)>,
    pub by_area: Vec<(String, PeopleCell)>,
    /// Every month from the first with figures (or left-out records) to the last.
    pub by_month: Vec<(NaiveDate, PeopleCell)>,
}

/// The campaign named, or the earliest campaign; `None` when there is none.
pub async fn find_campaign(
    db: &DatabaseConnection,
    id: Option<Uuid>,
) -> Result<Option<campaign::Model>, DbErr> {
    match id {
        Some(id) => campaign::Entity::find_by_id(id).one(db).await,
        None => {
            campaign::Entity::find()
                .order_by_asc(campaign::Column::StartDate)
                .order_by_asc(campaign::Column::Id)
                .one(db)
                .await
        }
    }
}

fn next_month(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(1)).unwrap_or(d)
}

fn month_end(d: NaiveDate) -> NaiveDate {
    next_month(d).pred_opt().unwrap_or(d)
}

fn people(totals: &super::totals::Totals) -> i64 {
    totals.sum_value.round() as i64
}

/// A campaign's progress cells from `store`: people are the values of the target measures'
/// counted records added up. Answers for every reader alike (no readable projects) are kept
/// with the store until it changes.
pub fn cells(store: &Store, campaign: Uuid, reader: Reader<'_>) -> ProgressCells {
    if reader.readable.is_some() || reader.within.is_some() {
        return compute(store, campaign, reader);
    }
    // A publication's store is its own: its exclusions are part of the key only by kind.
    let key = format!("progress {campaign} {}", reader.left_out.is_some());
    ProgressCells::clone(&store.memo.get_or(key, || compute(store, campaign, reader)))
}

fn compute(store: &Store, campaign: Uuid, reader: Reader<'_>) -> ProgressCells {
    let projects: Vec<bool> = store
        .projects
        .rows
        .iter()
        .map(|p| p.campaign == campaign)
        .collect();
    let targets: Vec<bool> = store
        .measures
        .iter()
        .map(|m| m.counts_toward_target)
        .collect();
    let base = Scan {
        measures: Some(targets),
        projects: Some(&projects),
        ..Scan::counted(&[])
    };
    let run = |scan: Scan| engine::scan(store, &scan).unwrap_or_default();
    // The headline: exact for everyone, every counted record in it.
    let mut by_beneficiary: BTreeMap<Beneficiary, i64> = BTreeMap::new();
    let mut supported = 0;
    for cell in run(base.clone()) {
        if let Some(m) = cell
            .measure
            .and_then(|m| store.measures.get(usize::from(m)))
        {
            supported += people(&cell.totals);
            *by_beneficiary.entry(m.beneficiary).or_default() += people(&cell.totals);
        }
    }
    let breakdown = |dimension: Dimension| -> Vec<(KeyPart, PeopleCell)> {
        let dimensions = [dimension];
        run(Scan {
            dimensions: &dimensions,
            pool_measures: true,
            readable: reader.readable,
            left_out: reader.left_out,
            ..base.clone()
        })
        .into_iter()
        .filter_map(|cell| {
            let part = cell.key.into_iter().next()?;
            Some((
                part,
                PeopleCell {
                    people: people(&cell.totals),
                    key: cell.cell_key,
                    projects: cell.totals.projects,
                    readable: cell.readable,
                    left_out: cell.left_out > 0,
                },
            ))
        })
        .collect()
    };
    let stages: BTreeMap<PathwayStage, PeopleCell> = breakdown(Dimension::PathwayStage)
        .into_iter()
        .filter_map(|(k, c)| match k {
            KeyPart::Stage(s) => Some((s, c)),
            _ => None,
        })
        .collect();
    let mut by_area: Vec<(String, PeopleCell)> = breakdown(Dimension::Region)
        .into_iter()
        .filter_map(|(k, c)| match k {
            KeyPart::Area(a) => Some((a, c)),
            _ => None,
        })
        .collect();
    by_area.sort_by(|a, b| a.0.cmp(&b.0));
    let months: BTreeMap<NaiveDate, PeopleCell> = breakdown(Dimension::Month)
        .into_iter()
        .filter_map(|(k, c)| match k {
            KeyPart::Month(m) => Some((m, c)),
            _ => None,
        })
        .collect();
    let mut by_month = Vec::new();
    if let (Some(first), Some(last)) = (months.keys().next(), months.keys().next_back()) {
        let mut month = *first;
        while month <= *last {
            by_month.push((month, months.get(&month).cloned().unwrap_or_default()));
            match month.checked_add_months(chrono::Months::new(1)) {
                Some(next) => month = next,
                None => break,
            }
        }
    }
    ProgressCells {
        supported,
        by_beneficiary: every(&BENEFICIARIES, &by_beneficiary),
        by_stage: PathwayStage::ALL
            .iter()
            .map(|s| (*s, stages.get(s).cloned().unwrap_or_default()))
            .collect(),
        by_area,
        by_month,
    }
}

/// A campaign's progress, live and exact; `None` when there is no such campaign.
pub async fn campaign_progress(
    db: &DatabaseConnection,
    store: &Store,
    campaign_id: Option<Uuid>,
) -> Result<Option<Progress>, DbErr> {
    let Some(campaign) = find_campaign(db, campaign_id).await? else {
        return Ok(None);
    };
    let cells = cells(store, campaign.id, Reader::default());
    let mut cumulative = 0;
    let by_month: Vec<(NaiveDate, i64, i64)> = cells
        .by_month
        .iter()
        .map(|(m, c)| {
            cumulative += c.people;
            (*m, c.people, cumulative)
        })
        .collect();
    let projected_target_date = project(&by_month, campaign.target_people);
    Ok(Some(Progress {
        supported: cells.supported,
        by_beneficiary: cells.by_beneficiary,
        by_stage: cells.by_stage.iter().map(|(s, c)| (*s, c.people)).collect(),
        by_area: cells
            .by_area
            .iter()
            .map(|(a, c)| (a.clone(), c.people))
            .collect(),
        by_month,
        projected_target_date,
        campaign,
    }))
}

/// `all` in order with their people (0 where there are none).
pub fn every<K: Ord + Copy>(all: &[K], people: &BTreeMap<K, i64>) -> Vec<(K, i64)> {
    all.iter()
        .map(|k| (*k, people.get(k).copied().unwrap_or(0)))
        .collect()
}

/// When the target is (or was) reached: the month's end when the running total crossed it, or
/// the end of the month in which the average of the last [`TREND_MONTHS`] months would reach it;
/// `None` without figures or without growth.
pub fn project(months: &[(NaiveDate, i64, i64)], target: i64) -> Option<NaiveDate> {
    if let Some((month, _, _)) = months.iter().find(|(_, _, total)| *total >= target) {
        return Some(month_end(*month));
    }
    let (last, _, total) = *months.last()?;
    let recent = &months[months.len().saturating_sub(TREND_MONTHS)..];
    let rate =
        recent.iter().map(|(_, people, _)| *people).sum::<i64>() as f64 / recent.len() as f64;
    if rate <= 0.0 {
        return None;
    }
    let needed = ((target - total) as f64 / rate).ceil() as u32;
    // Past the year 9999 there is nothing useful to say.
    let reached = last.checked_add_months(chrono::Months::new(needed))?;
    (reached.year() <= 9999).then(|| month_end(reached))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    }

    #[test]
    fn projection_follows_the_recent_average() {
        // 100 a month for six months: 600 of 1,000; four more months: end of April 2025.
        let months: Vec<_> = (0..6)
            .map(|i| (d(2024, 7 + i), 100, 100 * (i64::from(i) + 1)))
            .collect();
        assert_eq!(
            project(&months, 1_000),
            NaiveDate::from_ymd_opt(2025, 4, 30)
        );
        // Reached in the third month.
        assert_eq!(project(&months, 250), NaiveDate::from_ymd_opt(2024, 9, 30));
        // No growth, no projection.
        let flat = vec![(d(2024, 1), 0, 0)];
        assert_eq!(project(&flat, 10), None);
        assert_eq!(project(&[], 10), None);
    }
}
