//! Campaign progress: people supported (the measures that count toward the target, submitted and
//! verified records only) against the target, broken down by beneficiary group, primary pathway
//! stage, region (nations outside England) and month of `period_end`, read from the rollup
//! that every write keeps exact.

use b2h_entity::campaign;
use b2h_entity::enums::{Beneficiary, PathwayStage};
use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryOrder, Statement,
};
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

fn month_start(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", text.get(..7)?), "%Y-%m-%d").ok()
}

fn next_month(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(1)).unwrap_or(d)
}

fn month_end(d: NaiveDate) -> NaiveDate {
    next_month(d).pred_opt().unwrap_or(d)
}

/// Reads a campaign's progress in one grouped query.
pub async fn campaign_progress(
    db: &DatabaseConnection,
    campaign_id: Option<Uuid>,
) -> Result<Option<Progress>, DbErr> {
    let Some(campaign) = find_campaign(db, campaign_id).await? else {
        return Ok(None);
    };
    // The rollup every write keeps exact (migration 8): a few thousand rows at national scale.
    let backend = db.get_database_backend();
    let id = match backend {
        DbBackend::Postgres => "$1",
        _ => "?",
    };
    let sql = format!(
        "SELECT beneficiary, primary_stage AS stage, area_code AS area, month, supported
         FROM progress_rollup WHERE campaign_id = {id} AND supported <> 0"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [campaign.id.into()],
        ))
        .await?;
    let mut by_beneficiary: BTreeMap<Beneficiary, i64> = BTreeMap::new();
    let mut by_stage: BTreeMap<PathwayStage, i64> = BTreeMap::new();
    let mut by_area: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_month: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut supported = 0i64;
    for row in rows {
        let beneficiary: String = row.try_get("", "beneficiary")?;
        let stage: String = row.try_get("", "stage")?;
        let area: String = row.try_get("", "area")?;
        let month: String = row.try_get("", "month")?;
        let people: i64 = row.try_get("", "supported")?;
        supported += people;
        if let Some(b) = Beneficiary::parse(&beneficiary) {
            *by_beneficiary.entry(b).or_default() += people;
        }
        if let Some(s) = PathwayStage::parse(&stage) {
            *by_stage.entry(s).or_default() += people;
        }
        *by_area.entry(area).or_default() += people;
        if let Some(m) = month_start(&month) {
            *by_month.entry(m).or_default() += people;
        }
    }
    let months = fill_months(&by_month);
    let projected_target_date = project(&months, campaign.target_people);
    Ok(Some(Progress {
        supported,
        by_beneficiary: every(&BENEFICIARIES, &by_beneficiary),
        by_stage: every(PathwayStage::ALL, &by_stage),
        by_area: by_area.into_iter().collect(),
        by_month: months,
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

/// Every month from the first to the last with figures (gaps as zero), with running totals.
fn fill_months(by_month: &BTreeMap<NaiveDate, i64>) -> Vec<(NaiveDate, i64, i64)> {
    let (Some(first), Some(last)) = (by_month.keys().next(), by_month.keys().next_back()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut month = *first;
    let mut cumulative = 0;
    while month <= *last {
        let people = by_month.get(&month).copied().unwrap_or(0);
        cumulative += people;
        out.push((month, people, cumulative));
        month = next_month(month);
    }
    out
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
    fn months_are_filled_and_summed() {
        let mut by = BTreeMap::new();
        by.insert(d(2024, 1), 10);
        by.insert(d(2024, 3), 5);
        assert_eq!(
            fill_months(&by),
            vec![
                (d(2024, 1), 10, 10),
                (d(2024, 2), 0, 10),
                (d(2024, 3), 5, 15)
            ]
        );
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
