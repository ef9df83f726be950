//! Reading one grant (the nested form of the JSON package) into a [`GrantRow`], recording
//! every problem; slipped columns explained as such.

use super::amounts::amount_in_minor_units;
use super::looks::{Kind, looks_like, not_an_identifier};
use super::orgid::{self, MAX_IDENTIFIER};
use super::{AmbiguousDate, GrantRow, OrgRef, describe};
use crate::import::dates::{Bound, DATE_FORMS, DatePrecision, ReadDate, read_date};
use chrono::Datelike;
use serde_json::{Map, Value};

pub(super) type Object = Map<String, Value>;

/// Every 360Giving grant identifier starts with this prefix.
const GRANT_ID_PREFIX: &str = "360G-";
pub(super) const INDIVIDUAL_REASON: &str = "the grant is to an individual (recipientIndividual, no recipientOrganization): \
     b2h records grants to organisations only, so grants to individuals are not accepted";
/// Where an export keeps an award date's precision: the standard's `awardDate` is always a
/// whole date, so a month-only award date is written as its first day and this says so.
pub const AWARD_PRECISION_KEY: &str = "b2hAwardDatePrecision";

/// A grant's problems: plain ones, and fields holding what looks like another field's value.
#[derive(Default)]
pub(super) struct Problems {
    plain: Vec<String>,
    slipped: Vec<String>,
}

impl Problems {
    pub(super) fn push(&mut self, problem: String) {
        self.plain.push(problem);
    }

    fn slipped(&mut self, label: &str, value: &Value, looks: &str) {
        let shown = match value {
            Value::String(text) => format!("'{}'", text.trim()),
            other => other.to_string(),
        };
        self.slipped
            .push(format!("{label} holds {shown}, which looks like {looks}"));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.slipped.is_empty()
    }

    /// The reason of a rejection: slipped columns first (they explain the rest).
    pub(super) fn reason(self) -> String {
        let mut parts = Vec::new();
        if !self.slipped.is_empty() {
            parts.push(format!(
                "the row's columns look slipped: {}",
                self.slipped.join("; ")
            ));
        }
        parts.extend(self.plain);
        if parts.is_empty() {
            "the grant could not be read".to_owned()
        } else {
            parts.join("; ")
        }
    }
}

/// What reading a grant found besides the row: dates read day first that could be read either
/// way, and whether its title was supplied.
#[derive(Default)]
pub(super) struct Notes {
    pub ambiguous: Vec<AmbiguousDate>,
    pub untitled: bool,
}

/// Reads every field of one grant. `None` when any field is unusable.
pub(super) fn read_grant(
    fields: &Object,
    identifier: Option<String>,
    problems: &mut Problems,
    notes: &mut Notes,
) -> Option<GrantRow> {
    let title = optional_text(fields, "", "title", problems);
    let description = optional_text(fields, "", "description", problems);
    let currency = read_currency(fields, problems);
    let amount_awarded = read_amount(fields, currency.as_deref(), problems);
    let award_date = match present(fields, "awardDate") {
        Some(value) => date_value(value, "awardDate", Bound::First, problems, notes),
        None => {
            problems.push("awardDate is missing".to_owned());
            None
        }
    };
    let award_date = award_date.map(|read| award_precision(fields, read));
    let planned_dates = read_planned_dates(fields, problems, notes);
    let grant_programme = read_programme(fields, problems);
    let funder = read_funder(fields, problems);
    let recipient = read_recipient(fields, problems);

    let (
        Some(identifier),
        Some(title),
        Some(description),
        Some(amount_awarded),
        Some(currency),
        Some(award_date),
        Some((planned_start, planned_end)),
        Some(grant_programme),
        Some(funder),
        Some(recipient),
    ) = (
        identifier,
        title,
        description,
        amount_awarded,
        currency,
        award_date,
        planned_dates,
        grant_programme,
        funder,
        recipient,
    )
    else {
        return None;
    };
    // The standard requires a title; files from spreadsheets often have none. The convention
    // 360Giving publishers use for untitled grants names the recipient.
    let title = title.unwrap_or_else(|| {
        notes.untitled = true;
        format!("Grant to {}", recipient.name)
    });
    let precision = |read: Option<ReadDate>| read.map_or(DatePrecision::Day, |r| r.precision);
    Some(GrantRow {
        identifier,
        title,
        description,
        amount_awarded,
        currency,
        award_date: award_date.date,
        award_date_precision: award_date.precision,
        planned_start_date: planned_start.map(|r| r.date),
        planned_start_date_precision: precision(planned_start),
        planned_end_date: planned_end.map(|r| r.date),
        planned_end_date_precision: precision(planned_end),
        grant_programme,
        funder,
        recipient,
    })
}

/// An award date b2h exported as the first day of its month or year, with the precision it
/// was given (see [`AWARD_PRECISION_KEY`]).
fn award_precision(fields: &Object, read: ReadDate) -> ReadDate {
    let given = fields
        .get("additional_data")
        .and_then(|extra| extra.get(AWARD_PRECISION_KEY))
        .and_then(Value::as_str)
        .and_then(DatePrecision::parse);
    let date = read.date;
    match given {
        Some(DatePrecision::Month) if read.precision == DatePrecision::Day && date.day() == 1 => {
            ReadDate {
                precision: DatePrecision::Month,
                ..read
            }
        }
        Some(DatePrecision::Year)
            if read.precision == DatePrecision::Day && date.ordinal() == 1 =>
        {
            ReadDate {
                precision: DatePrecision::Year,
                ..read
            }
        }
        _ => read,
    }
}

pub(super) fn read_identifier(fields: &Object, problems: &mut Problems) -> Option<String> {
    let id = required_text(fields, "", "id", problems)?;
    if !id.starts_with(GRANT_ID_PREFIX) {
        problems.push(format!(
            "id '{id}' does not start with the 360Giving prefix '{GRANT_ID_PREFIX}'"
        ));
        return None;
    }
    let length = id.chars().count();
    if !(6..=200).contains(&length) {
        problems.push(format!(
            "id '{id}' is {length} characters long (expected 6 to 200)"
        ));
        return None;
    }
    Some(id)
}

fn read_amount(fields: &Object, currency: Option<&str>, problems: &mut Problems) -> Option<i64> {
    let Some(value) = present(fields, "amountAwarded") else {
        problems.push("amountAwarded is missing".to_owned());
        return None;
    };
    match amount_in_minor_units(value) {
        Ok(amount) => match (amount.currency, currency) {
            (Some(written), Some(currency)) if written != currency => {
                problems.push(format!(
                    "amountAwarded {value} is in {written} but the grant's currency is {currency}"
                ));
                None
            }
            _ => Some(amount.minor),
        },
        Err(reason) => {
            const OTHERS: &[Kind] = &[
                Kind::Date,
                Kind::Currency,
                Kind::OrgId,
                Kind::WebAddress,
                Kind::Prose,
            ];
            match looks_like(value, OTHERS) {
                Some(kind) => problems.slipped("amountAwarded", value, kind.describe()),
                None => problems.push(format!("amountAwarded {reason}")),
            }
            None
        }
    }
}

fn read_currency(fields: &Object, problems: &mut Problems) -> Option<String> {
    let code = required_text(fields, "", "currency", problems)?;
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Some(code.to_ascii_uppercase());
    }
    const OTHERS: &[Kind] = &[
        Kind::Date,
        Kind::Amount,
        Kind::OrgId,
        Kind::WebAddress,
        Kind::Prose,
    ];
    let value = Value::String(code.clone());
    match looks_like(&value, OTHERS) {
        Some(kind) => problems.slipped("currency", &value, kind.describe()),
        None => problems.push(format!(
            "currency '{code}' is not an ISO 4217 code (expected three letters such as GBP)"
        )),
    }
    None
}

/// The first `plannedDates` entry's start and end, either of which may be absent.
#[allow(clippy::type_complexity)]
fn read_planned_dates(
    fields: &Object,
    problems: &mut Problems,
    notes: &mut Notes,
) -> Option<(Option<ReadDate>, Option<ReadDate>)> {
    let Some(value) = present(fields, "plannedDates") else {
        return Some((None, None));
    };
    let Some((entry, prefix)) = first_entry(value, "plannedDates", problems)? else {
        return Some((None, None));
    };
    let start = optional_date(entry, &prefix, "startDate", Bound::First, problems, notes);
    let end = optional_date(entry, &prefix, "endDate", Bound::Last, problems, notes);
    let (start, end) = (start?, end?);
    match (start, end) {
        (Some(start), Some(end)) if end.date < start.date => {
            problems.push(format!(
                "{prefix}.endDate {} is before {prefix}.startDate {}",
                end.date, start.date
            ));
            None
        }
        _ => Some((start, end)),
    }
}

/// The first `grantProgramme` entry's title.
fn read_programme(fields: &Object, problems: &mut Problems) -> Option<Option<String>> {
    let Some(value) = present(fields, "grantProgramme") else {
        return Some(None);
    };
    let Some((entry, prefix)) = first_entry(value, "grantProgramme", problems)? else {
        return Some(None);
    };
    optional_text(entry, &prefix, "title", problems)
}

fn read_recipient(fields: &Object, problems: &mut Problems) -> Option<OrgRef> {
    let no_organisation = present(fields, "recipientOrganization")
        .is_none_or(|value| matches!(value, Value::Array(items) if items.is_empty()));
    if no_organisation && present(fields, "recipientIndividual").is_some() {
        problems.push(INDIVIDUAL_REASON.to_owned());
        return None;
    }
    let key = "recipientOrganization";
    let Some(value) = present(fields, key) else {
        problems.push(format!("{key} is missing"));
        return None;
    };
    let Some((entry, prefix)) = first_entry(value, key, problems)? else {
        problems.push(format!("{key} is empty"));
        return None;
    };
    let org = org_ref(entry, &prefix, problems)?;
    if org.org_id.is_none() && org.other_identifier.is_none() {
        problems.push(format!("{prefix}.id is missing"));
        return None;
    }
    Some(org)
}

/// The funder: `Some(None)` when the grant names none (the file's publisher gave it).
fn read_funder(fields: &Object, problems: &mut Problems) -> Option<Option<OrgRef>> {
    let key = "fundingOrganization";
    let Some(value) = present(fields, key) else {
        return Some(None);
    };
    let Some((entry, prefix)) = first_entry(value, key, problems)? else {
        return Some(None);
    };
    if present(entry, "id").is_none() && present(entry, "name").is_none() {
        return Some(None);
    }
    org_ref(entry, &prefix, problems).map(Some)
}

fn org_ref(entry: &Object, prefix: &str, problems: &mut Problems) -> Option<OrgRef> {
    let id = optional_text(entry, prefix, "id", problems);
    let name = required_text(entry, prefix, "name", problems);
    let charity_number = optional_text(entry, prefix, "charityNumber", problems);
    let company_number = optional_text(entry, prefix, "companyNumber", problems);
    let id_label = super::field_label(prefix, "id");
    let id = match id {
        Some(Some(id)) => checked_identifier(id, &id_label, problems).map(Some),
        given => given,
    };
    let name = name.and_then(|name| {
        let value = Value::String(name.clone());
        match looks_like(&value, &[Kind::OrgId, Kind::WebAddress]) {
            Some(kind) => {
                problems.slipped(&super::field_label(prefix, "name"), &value, kind.describe());
                None
            }
            None => Some(name),
        }
    });
    let (Some(id), Some(name), Some(charity_number), Some(company_number)) =
        (id, name, charity_number, company_number)
    else {
        return None;
    };
    let (org_id, other_identifier) = match id {
        Some(id) if orgid::is_org_id(&id) => (Some(id), None),
        other => (None, other),
    };
    let from_id = |derive: fn(&str) -> Option<String>| org_id.as_deref().and_then(derive);
    Some(OrgRef {
        kind: org_id.as_deref().map_or(
            b2h_entity::enums::OrganisationKind::Other,
            orgid::organisation_kind,
        ),
        charity_number: charity_number.or_else(|| from_id(orgid::charity_number_of)),
        company_number: company_number.or_else(|| from_id(orgid::company_number_of)),
        org_id,
        other_identifier,
        name,
    })
}

/// An organisation identifier unless it holds something else (words, a web address).
fn checked_identifier(id: String, label: &str, problems: &mut Problems) -> Option<String> {
    if let Some(looks) = not_an_identifier(&id) {
        problems.slipped(
            label,
            &Value::String(id),
            &format!("{looks}, not an identifier"),
        );
        return None;
    }
    if id.chars().count() > MAX_IDENTIFIER {
        problems.push(format!(
            "{label} is longer than {MAX_IDENTIFIER} characters"
        ));
        return None;
    }
    Some(id)
}

/// The first entry of a 360Giving list field, with the label to name its fields by.
///
/// A bare object (written by some converters) counts as a one-entry list. `Some(None)` for an
/// empty list; `None` after recording a problem.
fn first_entry<'a>(
    value: &'a Value,
    key: &str,
    problems: &mut Problems,
) -> Option<Option<(&'a Object, String)>> {
    let (entry, prefix) = match value {
        Value::Array(items) => match items.first() {
            Some(item) => (item, format!("{key}[0]")),
            None => return Some(None),
        },
        other => (other, key.to_owned()),
    };
    match entry {
        Value::Object(object) => Some(Some((object, prefix))),
        Value::Null => Some(None),
        other => {
            problems.push(format!(
                "{prefix} must be an object, found {}",
                describe(other)
            ));
            None
        }
    }
}

/// A field's value unless it is absent or `null` (both mean "not given").
pub(super) fn present<'a>(fields: &'a Object, key: &str) -> Option<&'a Value> {
    fields.get(key).filter(|value| !value.is_null())
}

/// Trimmed, non-blank text; `None` after recording a problem.
pub(super) fn required_text(
    fields: &Object,
    prefix: &str,
    key: &str,
    problems: &mut Problems,
) -> Option<String> {
    match optional_text(fields, prefix, key, problems)? {
        Some(text) => Some(text),
        None => {
            let label = super::field_label(prefix, key);
            match present(fields, key) {
                Some(_) => problems.push(format!("{label} is blank")),
                None => problems.push(format!("{label} is missing")),
            }
            None
        }
    }
}

/// Trimmed text, `Some(None)` when absent, null or blank; `None` after recording a problem.
/// Numbers are taken as their text (a charity number typed as a number).
fn optional_text(
    fields: &Object,
    prefix: &str,
    key: &str,
    problems: &mut Problems,
) -> Option<Option<String>> {
    match present(fields, key) {
        None => Some(None),
        Some(Value::String(text)) => {
            let text = text.trim();
            Some((!text.is_empty()).then(|| text.to_owned()))
        }
        Some(Value::Number(number)) if !prefix.is_empty() && key != "name" => {
            Some(Some(number.to_string()))
        }
        Some(other) => {
            problems.push(format!(
                "{} must be text, found {}",
                super::field_label(prefix, key),
                describe(other)
            ));
            None
        }
    }
}

/// A date, `Some(None)` when absent, null or blank; `None` after recording a problem.
fn optional_date(
    fields: &Object,
    prefix: &str,
    key: &str,
    bound: Bound,
    problems: &mut Problems,
    notes: &mut Notes,
) -> Option<Option<ReadDate>> {
    match present(fields, key) {
        None => Some(None),
        Some(Value::String(text)) if text.trim().is_empty() => Some(None),
        Some(value) => date_value(
            value,
            &super::field_label(prefix, key),
            bound,
            problems,
            notes,
        )
        .map(Some),
    }
}

fn date_value(
    value: &Value,
    label: &str,
    bound: Bound,
    problems: &mut Problems,
    notes: &mut Notes,
) -> Option<ReadDate> {
    const OTHERS: &[Kind] = &[
        Kind::Amount,
        Kind::Currency,
        Kind::OrgId,
        Kind::WebAddress,
        Kind::Prose,
    ];
    let read = match value {
        Value::String(text) => read_date(text, bound),
        _ => None,
    };
    match (read, value) {
        (Some(read), Value::String(text)) => {
            if read.ambiguous {
                notes.ambiguous.push(AmbiguousDate {
                    field: label.to_owned(),
                    text: text.trim().to_owned(),
                    read_as: read.date,
                });
            }
            Some(read)
        }
        _ => {
            match (looks_like(value, OTHERS), value) {
                (Some(kind), _) => problems.slipped(label, value, kind.describe()),
                (None, Value::String(text)) => {
                    problems.push(format!("{label} '{text}' is not a date ({DATE_FORMS})"))
                }
                (None, other) => problems.push(format!(
                    "{label} must be a date written as text, found {}",
                    describe(other)
                )),
            }
            None
        }
    }
}
