//! b2h's grants as a 360Giving 1.4 JSON package (`b2h export grants --format 360giving`), the
//! mirror of [`crate::import::giving360`]: importing the package gives back the same rows.
//!
//! Dates are written as precisely as they were given (`2013-08` for a month-only planned
//! start); the standard's `awardDate` is always a whole date, so a month- or year-only award
//! date is written as its first day with its precision in `additional_data` (see
//! [`AWARD_PRECISION_KEY`]). Identifiers that are not Org-IDs go in the standard's `id` field as
//! given; an organisation or funder with no identifier at all (made over the API) gets b2h's
//! own (`360G-b2h-funder-<uuid>`), which an import reads back as that row.

use crate::import::dates::{DatePrecision, ReadDate};
use crate::import::giving360::AWARD_PRECISION_KEY;
use crate::import::grants::{OWN_FUNDER_PREFIX, OWN_ORGANISATION_PREFIX};
use b2h_entity::{funder, grant, organisation};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// The version of the standard the package follows.
pub const STANDARD_VERSION: &str = "1.4";

/// Who the package says published it, and when.
#[derive(Debug, Clone)]
pub struct PackageInfo {
    pub publisher_name: String,
    pub issued: NaiveDate,
}

/// Why the grants could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum Export360Error {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("grant {identifier} names a {what} ({id}) that is not in the database")]
    Dangling {
        identifier: String,
        what: &'static str,
        id: Uuid,
    },
}

/// Every live (not archived) grant, by identifier, as a 360Giving package.
pub async fn package(
    db: &impl ConnectionTrait,
    info: &PackageInfo,
) -> Result<Value, Export360Error> {
    let grants = grant::Entity::find()
        .filter(grant::Column::ArchivedAt.is_null())
        .order_by_asc(grant::Column::Identifier)
        .all(db)
        .await?;
    let funders: HashMap<Uuid, funder::Model> = funder::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let organisations: HashMap<Uuid, organisation::Model> = organisation::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut written = Vec::with_capacity(grants.len());
    for g in &grants {
        let dangling = |what, id| Export360Error::Dangling {
            identifier: g.identifier.clone(),
            what,
            id,
        };
        let funder = funders
            .get(&g.funder_id)
            .ok_or_else(|| dangling("funder", g.funder_id))?;
        let recipient = organisations
            .get(&g.recipient_organisation_id)
            .ok_or_else(|| dangling("recipient", g.recipient_organisation_id))?;
        written.push(grant_json(g, funder, recipient));
    }
    Ok(json!({
        "version": STANDARD_VERSION,
        "title": format!("Grants recorded by {}", info.publisher_name),
        "description": "Grants held by b2h, the Back to Health data platform, written in the 360Giving Data Standard.",
        "identifier": format!("b2h-grants-{}", info.issued.format("%Y%m%d")),
        "issued": info.issued.format("%Y-%m-%d").to_string(),
        "publisher": { "name": info.publisher_name },
        "grants": written,
    }))
}

fn grant_json(g: &grant::Model, funder: &funder::Model, recipient: &organisation::Model) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(g.identifier));
    out.insert("title".into(), json!(g.title));
    // The standard requires a description.
    out.insert(
        "description".into(),
        json!(g.description.clone().unwrap_or_default()),
    );
    out.insert("currency".into(), json!(g.currency));
    out.insert("amountAwarded".into(), amount(g.amount_awarded));
    out.insert(
        "awardDate".into(),
        json!(ReadDate::as_written(g.award_date, DatePrecision::Day)),
    );
    if g.award_date_precision != DatePrecision::Day {
        out.insert(
            "additional_data".into(),
            json!({ AWARD_PRECISION_KEY: g.award_date_precision.as_str() }),
        );
    }
    let mut planned = Map::new();
    if let Some(start) = g.planned_start_date {
        planned.insert(
            "startDate".into(),
            json!(ReadDate::as_written(start, g.planned_start_date_precision)),
        );
    }
    if let Some(end) = g.planned_end_date {
        planned.insert(
            "endDate".into(),
            json!(ReadDate::as_written(end, g.planned_end_date_precision)),
        );
    }
    if !planned.is_empty() {
        out.insert("plannedDates".into(), json!([planned]));
    }
    let mut to = Map::new();
    to.insert(
        "id".into(),
        json!(identifier(
            recipient.org_id.as_deref(),
            recipient.other_identifier.as_deref(),
            OWN_ORGANISATION_PREFIX,
            recipient.id
        )),
    );
    to.insert("name".into(), json!(recipient.name));
    if let Some(number) = &recipient.charity_number {
        to.insert("charityNumber".into(), json!(number));
    }
    if let Some(number) = &recipient.company_number {
        to.insert("companyNumber".into(), json!(number));
    }
    out.insert("recipientOrganization".into(), json!([to]));
    out.insert(
        "fundingOrganization".into(),
        json!([{
            "id": identifier(
                funder.org_id.as_deref(),
                funder.other_identifier.as_deref(),
                OWN_FUNDER_PREFIX,
                funder.id
            ),
            "name": funder.name,
        }]),
    );
    if let Some(programme) = &g.grant_programme {
        out.insert("grantProgramme".into(), json!([{ "title": programme }]));
    }
    Value::Object(out)
}

/// The Org-ID, else the identifier given, else b2h's own.
fn identifier(org_id: Option<&str>, other: Option<&str>, own_prefix: &str, id: Uuid) -> String {
    org_id
        .or(other)
        .map_or_else(|| format!("{own_prefix}{id}"), str::to_owned)
}

/// Minor units as the number of major units: whole amounts as integers.
fn amount(minor: i64) -> Value {
    if minor % 100 == 0 {
        json!(minor / 100)
    } else {
        // Exact to the penny: the nearest double to a two-decimal number prints as it.
        json!(minor as f64 / 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_major_units() {
        assert_eq!(amount(5_000_000), json!(50000));
        assert_eq!(amount(125_050), json!(1250.5));
        assert_eq!(amount(1), json!(0.01));
        assert_eq!(amount(0), json!(0));
    }

    #[test]
    fn identifiers_prefer_the_org_id() {
        let id = Uuid::nil();
        assert_eq!(
            identifier(Some("GB-CHC-1"), Some("x"), OWN_FUNDER_PREFIX, id),
            "GB-CHC-1"
        );
        assert_eq!(
            identifier(None, Some("DUMMY"), OWN_FUNDER_PREFIX, id),
            "DUMMY"
        );
        assert_eq!(
            identifier(None, None, OWN_FUNDER_PREFIX, id),
            format!("360G-b2h-funder-{id}")
        );
    }
}
