//! Reads 360Giving grant files (the Data Standard's JSON package, `{"grants": [...]}`) into
//! plain rows that b2h can import.
//!
//! This module is pure: no database, no I/O, no async. It only reads and normalises.
//!
//! Funders publish these files by hand or with home-made converters, so real files vary: UK
//! dates (`17/03/2014`) next to ISO timestamps, amounts as floats, integers or text such as
//! `"50,000.00"`, lower-case currency codes, stray whitespace, extra columns. The rule here is to
//! accept what a careful human reading the file would accept, normalise it (trimmed text,
//! upper-case currency, amounts in minor units, plain dates), and report every grant that cannot
//! be accepted with its position, identifier and every reason, rather than stopping at the first
//! bad grant or silently dropping it. Deciding whether a file with rejected grants is imported at
//! all is the caller's business.
//!
//! Only the first entry of the list fields (`fundingOrganization`, `recipientOrganization`,
//! `plannedDates`, `grantProgramme`) is used. Keys this module does not know are ignored. Grants to
//! individuals (`recipientIndividual`) are rejected: b2h records grants to organisations only.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use b2h_entity::enums::OrganisationKind;
use chrono::NaiveDate;
use serde_json::{Map, Value};

type Object = Map<String, Value>;

/// Every 360Giving grant identifier starts with this prefix.
const GRANT_ID_PREFIX: &str = "360G-";
/// The date forms [`parse_date`] accepts, for rejection reasons.
const DATE_FORMS: &str = "expected YYYY-MM-DD, an ISO timestamp or DD/MM/YYYY";
/// The largest amount accepted, in major units (pounds for GBP).
const MAX_AMOUNT: f64 = 1e13;
const MAX_WHOLE_AMOUNT: u64 = 10_000_000_000_000;
const MAX_AMOUNT_TEXT: &str = "10,000,000,000,000";
/// How far (in major units) an amount may sit from a whole number of minor units, to absorb
/// binary floating-point noise such as `0.30000000000000004`.
const DECIMAL_TOLERANCE: f64 = 1e-6;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const INDIVIDUAL_REASON: &str = "the grant is to an individual (recipientIndividual, no recipientOrganization): \
     b2h records grants to organisations only, so grants to individuals are not accepted";

/// Org-ID list prefixes that tell b2h what kind of organisation an identifier names.
const KIND_PREFIXES: &[(&str, OrganisationKind)] = &[
    ("GB-NHS-", OrganisationKind::NhsTrust),
    ("GB-CHC-", OrganisationKind::Charity),
    ("GB-SC-", OrganisationKind::Charity),
    ("GB-NIC-", OrganisationKind::Charity),
    ("GB-LAE-", OrganisationKind::LocalAuthority),
    ("GB-LAS-", OrganisationKind::LocalAuthority),
    ("GB-LAN-", OrganisationKind::LocalAuthority),
    ("GB-PLA-", OrganisationKind::LocalAuthority),
];
/// Org-ID lists whose suffix is a charity number (England and Wales, Scotland, Northern Ireland).
const CHARITY_PREFIXES: &[&str] = &["GB-CHC-", "GB-SC-", "GB-NIC-"];
/// The Org-ID list whose suffix is a Companies House number.
const COMPANY_PREFIX: &str = "GB-COH-";

/// An organisation named by a grant (its funder or its recipient).
#[derive(Debug, Clone, PartialEq)]
pub struct OrgRef {
    /// The Org-ID (e.g. `GB-CHC-1126147`), trimmed.
    pub org_id: String,
    pub name: String,
    /// Derived from the Org-ID's list prefix; [`OrganisationKind::Other`] when it says nothing.
    pub kind: OrganisationKind,
    /// `charityNumber` if given, else the suffix of a `GB-CHC-`, `GB-SC-` or `GB-NIC-` Org-ID.
    pub charity_number: Option<String>,
    /// `companyNumber` if given, else the suffix of a `GB-COH-` Org-ID.
    pub company_number: Option<String>,
}

/// One accepted grant, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantRow {
    /// The 360Giving grant identifier (`360G-…`), trimmed.
    pub identifier: String,
    pub title: String,
    pub description: Option<String>,
    /// In minor units of `currency` (pence for GBP).
    pub amount_awarded: i64,
    /// ISO 4217 code, upper case.
    pub currency: String,
    pub award_date: NaiveDate,
    pub planned_start_date: Option<NaiveDate>,
    pub planned_end_date: Option<NaiveDate>,
    pub grant_programme: Option<String>,
    pub funder: OrgRef,
    pub recipient: OrgRef,
}

/// A grant the file holds but b2h cannot accept.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// 0-based position in the file's `grants` list.
    pub index: usize,
    /// The grant's `id` as written (trimmed), when it has one, even if it is not valid.
    pub identifier: Option<String>,
    /// Every problem found, each naming its field, joined with `"; "`.
    pub reason: String,
}

/// The outcome of reading a file: every grant is either accepted or rejected.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// Accepted grants with their 0-based position in `grants`, in file order.
    pub accepted: Vec<(usize, GrantRow)>,
    /// Rejected grants, in file order.
    pub rejected: Vec<Rejected>,
}

/// The file as a whole cannot be read as a 360Giving grants file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is not valid JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error(
        "the file has no top-level \"grants\" list (a 360Giving file looks like {{\"grants\": [...]}})"
    )]
    NoGrants,
    #[error("the file's \"grants\" list is empty")]
    EmptyGrants,
}

/// Reads a 360Giving JSON file and sorts its grants into accepted and rejected.
///
/// Fails only when the file as a whole is unusable; problems with single grants are reported in
/// [`Parsed::rejected`]. A leading UTF-8 byte order mark is tolerated. A grant identifier seen
/// earlier in the same file rejects the later occurrences.
pub fn parse(bytes: &[u8]) -> Result<Parsed, FileError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let root: Value = serde_json::from_slice(bytes)?;
    let Some(Value::Array(grants)) = root.get("grants") else {
        return Err(FileError::NoGrants);
    };
    if grants.is_empty() {
        return Err(FileError::EmptyGrants);
    }

    let mut parsed = Parsed {
        accepted: Vec::new(),
        rejected: Vec::new(),
    };
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for (index, grant) in grants.iter().enumerate() {
        let Value::Object(fields) = grant else {
            parsed.rejected.push(Rejected {
                index,
                identifier: None,
                reason: format!("the grant is not a JSON object (found {})", describe(grant)),
            });
            continue;
        };
        let identifier = fields
            .get("id")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned);

        let mut problems = Vec::new();
        let checked_identifier = read_identifier(fields, &mut problems);
        if let Some(id) = &identifier {
            match first_seen.entry(id.clone()) {
                Entry::Occupied(earlier) => problems.push(format!(
                    "identifier appears earlier in the file at index {}",
                    earlier.get()
                )),
                Entry::Vacant(slot) => {
                    slot.insert(index);
                }
            }
        }
        match read_grant(fields, checked_identifier, &mut problems) {
            Some(row) if problems.is_empty() => parsed.accepted.push((index, row)),
            _ => {
                let reason = if problems.is_empty() {
                    "the grant could not be read".to_owned()
                } else {
                    problems.join("; ")
                };
                parsed.rejected.push(Rejected {
                    index,
                    identifier,
                    reason,
                });
            }
        }
    }
    Ok(parsed)
}

/// Reads a date the way UK publishers write them.
///
/// Accepts `2020-04-28`, ISO 8601 / RFC 3339 timestamps (`2020-04-28T00:00:00+00:00`, `…Z`, or
/// with no offset; the date is taken as written, never shifted by the offset) and day-first
/// slash dates (`17/03/2014`, `7/3/2014`). Slash dates are always read day first. Surrounding
/// whitespace is ignored; anything else, including impossible dates such as `31/02/2014`, is
/// `None`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.contains('/') {
        return day_first_date(text);
    }
    let date = iso_date(text.get(..10)?)?;
    let rest = text.get(10..)?;
    if rest.is_empty() {
        return Some(date);
    }
    let time = rest.strip_prefix(|c: char| matches!(c, 'T' | 't' | ' '))?;
    valid_time(time).then_some(date)
}

/// Converts an amount to minor units (pence for GBP).
///
/// Accepts a JSON number (integer or decimal) or text holding a plain decimal number, optionally
/// with thousands separators (`"1,250.50"`). The amount must be finite, not negative, at most
/// 10,000,000,000,000 major units, and have at most two decimal places (within a tolerance of
/// 1e-6 for floating-point noise). The error reads after the field name, e.g.
/// `"1.234 has more than 2 decimal places"`.
pub fn amount_in_minor_units(value: &Value) -> Result<i64, String> {
    match value {
        Value::Number(number) => {
            let shown = number.to_string();
            if let Some(whole) = number.as_u64() {
                whole_minor_units(whole, &shown)
            } else if number.as_i64().is_some() {
                Err(format!("{shown} is negative"))
            } else if let Some(amount) = number.as_f64() {
                float_minor_units(amount, &shown)
            } else {
                Err(format!("{shown} is not a usable number"))
            }
        }
        Value::String(text) => text_minor_units(text),
        other => Err(format!(
            "must be a number or numeric text, found {}",
            describe(other)
        )),
    }
}

fn whole_minor_units(whole: u64, shown: &str) -> Result<i64, String> {
    if whole > MAX_WHOLE_AMOUNT {
        return Err(format!("{shown} is over the limit of {MAX_AMOUNT_TEXT}"));
    }
    i64::try_from(whole * 100)
        .map_err(|_| format!("{shown} is over the limit of {MAX_AMOUNT_TEXT}"))
}

fn float_minor_units(amount: f64, shown: &str) -> Result<i64, String> {
    if !amount.is_finite() {
        return Err(format!("{shown} is not a finite number"));
    }
    if amount < 0.0 {
        return Err(format!("{shown} is negative"));
    }
    if amount > MAX_AMOUNT {
        return Err(format!("{shown} is over the limit of {MAX_AMOUNT_TEXT}"));
    }
    let minor = (amount * 100.0).round();
    if (amount - minor / 100.0).abs() > DECIMAL_TOLERANCE {
        return Err(format!("{shown} has more than 2 decimal places"));
    }
    // In range: 0 <= minor <= 1e15, a whole number.
    Ok(minor as i64)
}

fn text_minor_units(text: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("is blank".to_owned());
    }
    let shown = format!("'{trimmed}'");
    let (negative, unsigned) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let not_a_number =
        || format!("{shown} is not a number (expected digits such as 1250.50 or 1,250.50)");
    let plain = plain_decimal(unsigned).ok_or_else(not_a_number)?;
    let amount: f64 = plain.parse().map_err(|_| not_a_number())?;
    if negative && amount > 0.0 {
        return Err(format!("{shown} is negative"));
    }
    float_minor_units(amount, &shown)
}

/// `1,250.50` → `1250.50`. Digits with an optional fraction; thousands separators must group
/// by three (so the European `1,25` is refused rather than misread).
fn plain_decimal(text: &str) -> Option<String> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let whole_ok = if whole.contains(',') {
        let mut groups = whole.split(',');
        groups
            .next()
            .is_some_and(|first| (1..=3).contains(&first.len()) && all_digits(first))
            && groups.all(|group| group.len() == 3 && all_digits(group))
    } else {
        all_digits(whole)
    };
    if !whole_ok || fraction.is_some_and(|fraction| !all_digits(fraction)) {
        return None;
    }
    let mut plain = whole.replace(',', "");
    if let Some(fraction) = fraction {
        plain.push('.');
        plain.push_str(fraction);
    }
    Some(plain)
}

/// Reads every field of one grant, recording each problem. `None` when any field is unusable.
fn read_grant(
    fields: &Object,
    identifier: Option<String>,
    problems: &mut Vec<String>,
) -> Option<GrantRow> {
    let title = required_text(fields, "", "title", problems);
    let description = optional_text(fields, "", "description", problems);
    let amount_awarded = read_amount(fields, problems);
    let currency = read_currency(fields, problems);
    let award_date = match present(fields, "awardDate") {
        Some(value) => date_value(value, "awardDate", problems),
        None => {
            problems.push("awardDate is missing".to_owned());
            None
        }
    };
    let planned_dates = read_planned_dates(fields, problems);
    let grant_programme = read_programme(fields, problems);
    let funder = read_org(fields, "fundingOrganization", problems);
    let recipient = read_recipient(fields, problems);

    let (
        Some(identifier),
        Some(title),
        Some(description),
        Some(amount_awarded),
        Some(currency),
        Some(award_date),
        Some((planned_start_date, planned_end_date)),
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
    Some(GrantRow {
        identifier,
        title,
        description,
        amount_awarded,
        currency,
        award_date,
        planned_start_date,
        planned_end_date,
        grant_programme,
        funder,
        recipient,
    })
}

fn read_identifier(fields: &Object, problems: &mut Vec<String>) -> Option<String> {
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

fn read_amount(fields: &Object, problems: &mut Vec<String>) -> Option<i64> {
    let Some(value) = present(fields, "amountAwarded") else {
        problems.push("amountAwarded is missing".to_owned());
        return None;
    };
    match amount_in_minor_units(value) {
        Ok(amount) => Some(amount),
        Err(reason) => {
            problems.push(format!("amountAwarded {reason}"));
            None
        }
    }
}

fn read_currency(fields: &Object, problems: &mut Vec<String>) -> Option<String> {
    let code = required_text(fields, "", "currency", problems)?;
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Some(code.to_ascii_uppercase())
    } else {
        problems.push(format!(
            "currency '{code}' is not an ISO 4217 code (expected three letters such as GBP)"
        ));
        None
    }
}

/// The first `plannedDates` entry's start and end, either of which may be absent.
fn read_planned_dates(
    fields: &Object,
    problems: &mut Vec<String>,
) -> Option<(Option<NaiveDate>, Option<NaiveDate>)> {
    let Some(value) = present(fields, "plannedDates") else {
        return Some((None, None));
    };
    let Some((entry, prefix)) = first_entry(value, "plannedDates", problems)? else {
        return Some((None, None));
    };
    let start = optional_date(entry, &prefix, "startDate", problems);
    let end = optional_date(entry, &prefix, "endDate", problems);
    let (start, end) = (start?, end?);
    match (start, end) {
        (Some(start), Some(end)) if end < start => {
            problems.push(format!(
                "{prefix}.endDate {end} is before {prefix}.startDate {start}"
            ));
            None
        }
        _ => Some((start, end)),
    }
}

/// The first `grantProgramme` entry's title.
fn read_programme(fields: &Object, problems: &mut Vec<String>) -> Option<Option<String>> {
    let Some(value) = present(fields, "grantProgramme") else {
        return Some(None);
    };
    let Some((entry, prefix)) = first_entry(value, "grantProgramme", problems)? else {
        return Some(None);
    };
    optional_text(entry, &prefix, "title", problems)
}

fn read_recipient(fields: &Object, problems: &mut Vec<String>) -> Option<OrgRef> {
    let no_organisation = present(fields, "recipientOrganization")
        .is_none_or(|value| matches!(value, Value::Array(items) if items.is_empty()));
    if no_organisation && present(fields, "recipientIndividual").is_some() {
        problems.push(INDIVIDUAL_REASON.to_owned());
        return None;
    }
    read_org(fields, "recipientOrganization", problems)
}

/// The first organisation listed under `key` (`fundingOrganization` or `recipientOrganization`).
fn read_org(fields: &Object, key: &str, problems: &mut Vec<String>) -> Option<OrgRef> {
    let Some(value) = present(fields, key) else {
        problems.push(format!("{key} is missing"));
        return None;
    };
    let Some((entry, prefix)) = first_entry(value, key, problems)? else {
        problems.push(format!("{key} is empty"));
        return None;
    };
    org_ref(entry, &prefix, problems)
}

fn org_ref(entry: &Object, prefix: &str, problems: &mut Vec<String>) -> Option<OrgRef> {
    let org_id = required_text(entry, prefix, "id", problems)
        .and_then(|id| checked_org_id(id, prefix, problems));
    let name = required_text(entry, prefix, "name", problems);
    let charity_number = optional_text(entry, prefix, "charityNumber", problems);
    let company_number = optional_text(entry, prefix, "companyNumber", problems);
    let (Some(org_id), Some(name), Some(charity_number), Some(company_number)) =
        (org_id, name, charity_number, company_number)
    else {
        return None;
    };
    let kind = organisation_kind(&org_id);
    let charity_number = charity_number.or_else(|| id_suffix(&org_id, CHARITY_PREFIXES));
    let company_number = company_number.or_else(|| id_suffix(&org_id, &[COMPANY_PREFIX]));
    Some(OrgRef {
        org_id,
        name,
        kind,
        charity_number,
        company_number,
    })
}

fn checked_org_id(id: String, prefix: &str, problems: &mut Vec<String>) -> Option<String> {
    let length = id.chars().count();
    if (5..=64).contains(&length) && !id.chars().any(char::is_whitespace) {
        Some(id)
    } else {
        problems.push(format!(
            "{} '{id}' is not an Org-ID (expected 5 to 64 characters without spaces, such as GB-CHC-1126147)",
            field_label(prefix, "id")
        ));
        None
    }
}

/// What the Org-ID's list prefix says about the organisation.
fn organisation_kind(org_id: &str) -> OrganisationKind {
    KIND_PREFIXES
        .iter()
        .find_map(|&(prefix, kind)| {
            strip_prefix_ignore_case(org_id, prefix)
                .is_some()
                .then_some(kind)
        })
        .unwrap_or(OrganisationKind::Other)
}

/// The part of `org_id` after the first matching list prefix, if non-blank.
fn id_suffix(org_id: &str, prefixes: &[&str]) -> Option<String> {
    prefixes
        .iter()
        .find_map(|prefix| strip_prefix_ignore_case(org_id, prefix))
        .map(str::trim)
        .filter(|suffix| !suffix.is_empty())
        .map(str::to_owned)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

/// The first entry of a 360Giving list field, with the label to name its fields by.
///
/// A bare object (written by some converters) counts as a one-entry list. `Some(None)` for an
/// empty list; `None` after recording a problem.
fn first_entry<'a>(
    value: &'a Value,
    key: &str,
    problems: &mut Vec<String>,
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
fn present<'a>(fields: &'a Object, key: &str) -> Option<&'a Value> {
    fields.get(key).filter(|value| !value.is_null())
}

fn field_label(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Trimmed, non-blank text; `None` after recording a problem.
fn required_text(
    fields: &Object,
    prefix: &str,
    key: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    match present(fields, key) {
        None => {
            problems.push(format!("{} is missing", field_label(prefix, key)));
            None
        }
        Some(Value::String(text)) if text.trim().is_empty() => {
            problems.push(format!("{} is blank", field_label(prefix, key)));
            None
        }
        Some(Value::String(text)) => Some(text.trim().to_owned()),
        Some(other) => {
            problems.push(format!(
                "{} must be text, found {}",
                field_label(prefix, key),
                describe(other)
            ));
            None
        }
    }
}

/// Trimmed text, `Some(None)` when absent, null or blank; `None` after recording a problem.
fn optional_text(
    fields: &Object,
    prefix: &str,
    key: &str,
    problems: &mut Vec<String>,
) -> Option<Option<String>> {
    match present(fields, key) {
        None => Some(None),
        Some(Value::String(text)) => {
            let text = text.trim();
            Some((!text.is_empty()).then(|| text.to_owned()))
        }
        Some(other) => {
            problems.push(format!(
                "{} must be text, found {}",
                field_label(prefix, key),
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
    problems: &mut Vec<String>,
) -> Option<Option<NaiveDate>> {
    match present(fields, key) {
        None => Some(None),
        Some(Value::String(text)) if text.trim().is_empty() => Some(None),
        Some(value) => date_value(value, &field_label(prefix, key), problems).map(Some),
    }
}

fn date_value(value: &Value, label: &str, problems: &mut Vec<String>) -> Option<NaiveDate> {
    match value {
        Value::String(text) => {
            let date = parse_date(text);
            if date.is_none() {
                problems.push(format!("{label} '{text}' is not a date ({DATE_FORMS})"));
            }
            date
        }
        other => {
            problems.push(format!(
                "{label} must be a date written as text, found {}",
                describe(other)
            ));
            None
        }
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `part` as a number if it is all ASCII digits and its length is in `lengths`.
fn digits(part: &str, lengths: std::ops::RangeInclusive<usize>) -> Option<u32> {
    if lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

/// Exactly `YYYY-MM-DD`.
fn iso_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let year = i32::try_from(digits(year, 4..=4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(month, 2..=2)?, digits(day, 2..=2)?)
}

/// `DD/MM/YYYY` or `D/M/YYYY`, always day first.
fn day_first_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('/');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let year = i32::try_from(digits(year, 4..=4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(month, 1..=2)?, digits(day, 1..=2)?)
}

/// The part of a timestamp after the date and `T`: `HH:MM[:SS[.fff]]` and an optional `Z`,
/// `±HH:MM`, `±HHMM` or `±HH` offset.
fn valid_time(text: &str) -> bool {
    let (clock, zone) = match text.find(['Z', 'z', '+', '-']) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    valid_clock(clock) && valid_zone(zone)
}

fn valid_clock(text: &str) -> bool {
    let mut parts = text.split(':');
    let (Some(hour), Some(minute)) = (parts.next(), parts.next()) else {
        return false;
    };
    let second = parts.next();
    if parts.next().is_some() {
        return false;
    }
    let second_ok = second.is_none_or(|second| {
        let (whole, fraction) = second.split_once('.').unwrap_or((second, "0"));
        digits(whole, 2..=2).is_some_and(|s| s <= 60)
            && !fraction.is_empty()
            && fraction.bytes().all(|b| b.is_ascii_digit())
    });
    digits(hour, 2..=2).is_some_and(|h| h < 24)
        && digits(minute, 2..=2).is_some_and(|m| m < 60)
        && second_ok
}

fn valid_zone(zone: &str) -> bool {
    if zone.is_empty() || zone.eq_ignore_ascii_case("z") {
        return true;
    }
    let Some(offset) = zone.strip_prefix(|c: char| matches!(c, '+' | '-')) else {
        return false;
    };
    if !offset.is_ascii() {
        return false;
    }
    let (hours, minutes) = match offset.split_once(':') {
        Some(pair) => pair,
        None if offset.len() == 4 => offset.split_at(2),
        None => (offset, "00"),
    };
    digits(hours, 2..=2).is_some_and(|h| h < 24) && digits(minutes, 2..=2).is_some_and(|m| m < 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A 360Giving fixture from the project's shared folder (`../shared` beside the checkout, or
    /// `B2H_SHARED_DIR`).
    fn fixture(name: &str) -> Vec<u8> {
        let shared = std::env::var("B2H_SHARED_DIR").map_or_else(
            |_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
            std::path::PathBuf::from,
        );
        let path = shared.join("fixtures/360giving").join(name);
        std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read {}: {e}; the shared folder sits beside the checkout (or set B2H_SHARED_DIR)",
                path.display()
            )
        })
    }

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn valid_grant(id: &str) -> Value {
        json!({
            "id": id,
            "title": "A grant",
            "currency": "GBP",
            "amountAwarded": 1000,
            "awardDate": "2020-04-28",
            "fundingOrganization": [{"id": "GB-CHC-123456", "name": "A Funder"}],
            "recipientOrganization": [{"id": "GB-COH-01234567", "name": "A Recipient"}]
        })
    }

    fn file(grants: Vec<Value>) -> Vec<u8> {
        serde_json::to_vec(&json!({ "grants": grants })).unwrap()
    }

    fn parse_one(grant: Value) -> Parsed {
        parse(&file(vec![grant])).unwrap()
    }

    fn only_reason(parsed: &Parsed) -> &str {
        assert!(parsed.accepted.is_empty(), "{parsed:?}");
        assert_eq!(parsed.rejected.len(), 1, "{parsed:?}");
        &parsed.rejected[0].reason
    }

    #[test]
    fn uk_dates_are_day_first() {
        assert_eq!(parse_date("17/03/2014"), Some(date(2014, 3, 17)));
        assert_eq!(parse_date("03/04/2014"), Some(date(2014, 4, 3)));
        assert_eq!(parse_date("7/3/2014"), Some(date(2014, 3, 7)));
        assert_eq!(parse_date(" 17/03/2014 "), Some(date(2014, 3, 17)));
    }

    #[test]
    fn iso_dates_and_timestamps_keep_the_written_date() {
        assert_eq!(parse_date("2020-04-28"), Some(date(2020, 4, 28)));
        assert_eq!(
            parse_date("2020-04-28T00:00:00+00:00"),
            Some(date(2020, 4, 28))
        );
        assert_eq!(parse_date("2020-04-28T23:30:00Z"), Some(date(2020, 4, 28)));
        assert_eq!(parse_date("2020-04-28T23:30:00"), Some(date(2020, 4, 28)));
        assert_eq!(
            parse_date("2020-04-28T23:30:00.123-05:00"),
            Some(date(2020, 4, 28))
        );
        assert_eq!(
            parse_date("2020-04-28T01:00:00+0100"),
            Some(date(2020, 4, 28))
        );
        assert_eq!(parse_date("2020-04-28 09:15"), Some(date(2020, 4, 28)));
    }

    #[test]
    fn other_dates_are_refused() {
        for text in [
            "",
            "yesterday",
            "31/02/2014",
            "2014-02-30",
            "2014/03/17",
            "17-03-2014",
            "17/03/14",
            "17/3/2014/1",
            "2020-4-28",
            "20200428",
            "2020-04-28T",
            "2020-04-28T25:00:00",
            "2020-04-28T10:00:00+25:00",
            "2020-04-28Tnoon",
            "2020-04-28T10:00:00+é1",
        ] {
            assert_eq!(parse_date(text), None, "{text:?}");
        }
    }

    #[test]
    fn an_invalid_award_date_is_named_in_the_reason() {
        let mut grant = valid_grant("360G-test-1");
        grant["awardDate"] = json!("31/02/2014");
        let parsed = parse_one(grant);
        assert_eq!(
            only_reason(&parsed),
            "awardDate '31/02/2014' is not a date (expected YYYY-MM-DD, an ISO timestamp or DD/MM/YYYY)"
        );
        assert_eq!(
            parsed.rejected[0].identifier.as_deref(),
            Some("360G-test-1")
        );
        assert_eq!(parsed.rejected[0].index, 0);
    }

    #[test]
    fn amounts_become_minor_units() {
        assert_eq!(amount_in_minor_units(&json!(50000.0)), Ok(5_000_000));
        assert_eq!(amount_in_minor_units(&json!(702428.4)), Ok(70_242_840));
        assert_eq!(amount_in_minor_units(&json!(8727.86)), Ok(872_786));
        assert_eq!(amount_in_minor_units(&json!(100000)), Ok(10_000_000));
        assert_eq!(amount_in_minor_units(&json!(0)), Ok(0));
        assert_eq!(amount_in_minor_units(&json!("1,250.50")), Ok(125_050));
        assert_eq!(amount_in_minor_units(&json!(" 50000.000 ")), Ok(5_000_000));
        assert_eq!(amount_in_minor_units(&json!("1,000,000")), Ok(100_000_000));
        assert_eq!(amount_in_minor_units(&json!(0.1 + 0.2)), Ok(30));
        assert_eq!(
            amount_in_minor_units(&json!(10_000_000_000_000_u64)),
            Ok(1_000_000_000_000_000)
        );
    }

    #[test]
    fn unusable_amounts_are_refused() {
        let negative = amount_in_minor_units(&json!(-5)).unwrap_err();
        assert!(negative.contains("negative"), "{negative}");
        let negative = amount_in_minor_units(&json!(-5.5)).unwrap_err();
        assert!(negative.contains("negative"), "{negative}");
        let negative = amount_in_minor_units(&json!("-1,000")).unwrap_err();
        assert!(negative.contains("negative"), "{negative}");
        let decimals = amount_in_minor_units(&json!(1.234)).unwrap_err();
        assert_eq!(decimals, "1.234 has more than 2 decimal places");
        for bad in [
            json!("1,25"),
            json!("12,34.5"),
            json!("1.2.3"),
            json!("1e5"),
            json!("NaN"),
            json!("£100"),
            json!(""),
            json!(true),
            json!(null),
            json!([100]),
            json!(10_000_000_000_001_u64),
            json!(2e13),
        ] {
            assert!(amount_in_minor_units(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_grant_is_normalised() {
        let mut grant = valid_grant("  360G-test-1 ");
        grant["title"] = json!("  A grant  ");
        grant["description"] = json!("   ");
        grant["currency"] = json!("gbp");
        grant["amountAwarded"] = json!("2,500.5");
        grant["plannedDates"] =
            json!([{"startDate": "01/05/2020", "endDate": "2021-04-30T00:00:00Z"}]);
        grant["grantProgramme"] = json!([{"title": " Main "}, {"title": "Other"}]);
        grant["fundingOrganization"] =
            json!([{"id": " GB-SC-SC022910 ", "name": "Scottish Funder "}]);
        grant["recipientOrganization"] = json!([{"id": "GB-CHC-1126147", "name": "Charity", "charityNumber": " 999 ", "companyNumber": "01234567"}]);
        grant["additional_data"] = json!({"anything": [1, 2, 3]});
        let parsed = parse_one(grant);
        assert!(parsed.rejected.is_empty(), "{parsed:?}");
        let (index, row) = &parsed.accepted[0];
        assert_eq!(*index, 0);
        assert_eq!(row.identifier, "360G-test-1");
        assert_eq!(row.title, "A grant");
        assert_eq!(row.description, None);
        assert_eq!(row.currency, "GBP");
        assert_eq!(row.amount_awarded, 250_050);
        assert_eq!(row.planned_start_date, Some(date(2020, 5, 1)));
        assert_eq!(row.planned_end_date, Some(date(2021, 4, 30)));
        assert_eq!(row.grant_programme.as_deref(), Some("Main"));
        assert_eq!(
            row.funder,
            OrgRef {
                org_id: "GB-SC-SC022910".to_owned(),
                name: "Scottish Funder".to_owned(),
                kind: OrganisationKind::Charity,
                charity_number: Some("SC022910".to_owned()),
                company_number: None,
            }
        );
        assert_eq!(row.recipient.kind, OrganisationKind::Charity);
        assert_eq!(row.recipient.charity_number.as_deref(), Some("999"));
        assert_eq!(row.recipient.company_number.as_deref(), Some("01234567"));
    }

    #[test]
    fn org_id_prefixes_give_the_kind_and_numbers() {
        assert_eq!(organisation_kind("GB-NHS-RX1"), OrganisationKind::NhsTrust);
        assert_eq!(
            organisation_kind("GB-CHC-1126147"),
            OrganisationKind::Charity
        );
        assert_eq!(
            organisation_kind("GB-NIC-105105"),
            OrganisationKind::Charity
        );
        assert_eq!(
            organisation_kind("gb-chc-1126147"),
            OrganisationKind::Charity
        );
        assert_eq!(
            organisation_kind("GB-LAE-MAN"),
            OrganisationKind::LocalAuthority
        );
        assert_eq!(
            organisation_kind("GB-LAS-GLG"),
            OrganisationKind::LocalAuthority
        );
        assert_eq!(
            organisation_kind("GB-LAN-BFS"),
            OrganisationKind::LocalAuthority
        );
        assert_eq!(
            organisation_kind("GB-PLA-E1234"),
            OrganisationKind::LocalAuthority
        );
        assert_eq!(
            organisation_kind("GB-COH-01234567"),
            OrganisationKind::Other
        );
        assert_eq!(
            organisation_kind("360G-funder:org-x"),
            OrganisationKind::Other
        );

        let parsed = parse_one(valid_grant("360G-test-1"));
        let recipient = &parsed.accepted[0].1.recipient;
        assert_eq!(recipient.kind, OrganisationKind::Other);
        assert_eq!(recipient.company_number.as_deref(), Some("01234567"));
        assert_eq!(recipient.charity_number, None);
    }

    #[test]
    fn bad_org_ids_are_refused() {
        let mut grant = valid_grant("360G-test-1");
        grant["recipientOrganization"][0]["id"] = json!("GB CHC 1");
        let parsed = parse_one(grant);
        let reason = only_reason(&parsed);
        assert!(
            reason.starts_with("recipientOrganization[0].id 'GB CHC 1' is not an Org-ID"),
            "{reason}"
        );

        let mut grant = valid_grant("360G-test-1");
        grant["fundingOrganization"] = json!([{"id": "GB-1", "name": " "}]);
        let parsed = parse_one(grant);
        let reason = only_reason(&parsed);
        assert!(
            reason.contains("fundingOrganization[0].id 'GB-1'"),
            "{reason}"
        );
        assert!(
            reason.contains("fundingOrganization[0].name is blank"),
            "{reason}"
        );
    }

    #[test]
    fn grants_to_individuals_are_refused() {
        let mut grant = valid_grant("360G-test-1");
        let fields = grant.as_object_mut().unwrap();
        fields.remove("recipientOrganization");
        fields.insert(
            "recipientIndividual".to_owned(),
            json!({"id": "360G-test-person-1", "name": "Individual Recipient"}),
        );
        let parsed = parse_one(grant);
        let reason = only_reason(&parsed);
        assert!(reason.contains("individual"), "{reason}");
        assert!(reason.contains("organisations only"), "{reason}");
        assert_eq!(
            parsed.rejected[0].identifier.as_deref(),
            Some("360G-test-1")
        );
    }

    #[test]
    fn a_grant_with_no_recipient_is_refused() {
        let mut grant = valid_grant("360G-test-1");
        grant
            .as_object_mut()
            .unwrap()
            .remove("recipientOrganization");
        let parsed = parse_one(grant);
        assert_eq!(only_reason(&parsed), "recipientOrganization is missing");
    }

    #[test]
    fn duplicate_identifiers_are_refused_after_the_first() {
        let parsed = parse(&file(vec![
            valid_grant("360G-test-1"),
            valid_grant("360G-test-2"),
            valid_grant("360G-test-1"),
            valid_grant(" 360G-test-1"),
        ]))
        .unwrap();
        let accepted: Vec<usize> = parsed.accepted.iter().map(|(index, _)| *index).collect();
        assert_eq!(accepted, [0, 1]);
        assert_eq!(parsed.rejected.len(), 2);
        for rejected in &parsed.rejected {
            assert_eq!(rejected.identifier.as_deref(), Some("360G-test-1"));
            assert_eq!(
                rejected.reason,
                "identifier appears earlier in the file at index 0"
            );
        }
        assert_eq!(parsed.rejected[0].index, 2);
        assert_eq!(parsed.rejected[1].index, 3);
    }

    #[test]
    fn every_problem_of_a_grant_is_reported() {
        let mut grant = valid_grant("GRANT-1");
        grant["title"] = json!("");
        grant["currency"] = json!("POUNDS");
        grant["amountAwarded"] = json!(-1);
        grant["plannedDates"] = json!([{"startDate": "2020-05-01", "endDate": "2020-04-01"}]);
        let parsed = parse_one(grant);
        assert_eq!(
            only_reason(&parsed),
            "id 'GRANT-1' does not start with the 360Giving prefix '360G-'; \
             title is blank; \
             amountAwarded -1 is negative; \
             currency 'POUNDS' is not an ISO 4217 code (expected three letters such as GBP); \
             plannedDates[0].endDate 2020-04-01 is before plannedDates[0].startDate 2020-05-01"
        );
        assert_eq!(parsed.rejected[0].identifier.as_deref(), Some("GRANT-1"));
    }

    #[test]
    fn grants_that_are_not_objects_are_refused() {
        let parsed = parse(br#"{"grants": [42, {"id": 7}]}"#).unwrap();
        assert!(parsed.accepted.is_empty());
        assert_eq!(
            parsed.rejected[0].reason,
            "the grant is not a JSON object (found a number)"
        );
        assert_eq!(parsed.rejected[1].identifier, None);
        assert!(
            parsed.rejected[1]
                .reason
                .starts_with("id must be text, found a number"),
            "{}",
            parsed.rejected[1].reason
        );
    }

    #[test]
    fn unusable_files_are_errors() {
        let error = parse(b"not json").unwrap_err();
        assert!(matches!(error, FileError::NotJson(_)));
        assert!(error.to_string().contains("line 1 column"), "{error}");
        assert!(matches!(parse(b"[1, 2]"), Err(FileError::NoGrants)));
        assert!(matches!(
            parse(br#"{"grant": []}"#),
            Err(FileError::NoGrants)
        ));
        assert!(matches!(
            parse(br#"{"grants": {}}"#),
            Err(FileError::NoGrants)
        ));
        assert!(matches!(
            parse(br#"{"grants": []}"#),
            Err(FileError::EmptyGrants)
        ));
    }

    #[test]
    fn a_byte_order_mark_is_tolerated() {
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend(file(vec![valid_grant("360G-test-1")]));
        assert_eq!(parse(&bytes).unwrap().accepted.len(), 1);
    }

    #[test]
    fn baring_2015_is_accepted_whole() {
        let baring = fixture("baring-2015.json");
        let parsed = parse(&baring).unwrap();
        assert_eq!(parsed.accepted.len(), 53);
        assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);

        let (index, first) = &parsed.accepted[0];
        assert_eq!(*index, 0);
        assert_eq!(first.identifier, "360G-baringfoundation-20130071");
        assert_eq!(first.award_date, date(2014, 3, 17));
        assert_eq!(first.amount_awarded, 5_000_000);
        assert_eq!(first.currency, "GBP");
        assert_eq!(first.grant_programme.as_deref(), Some("AD-AD"));
        // Its planned dates are only in the non-standard "Planned Dates" key, which is ignored.
        assert_eq!(first.planned_start_date, None);
        assert_eq!(first.funder.org_id, "GB-CHC-258583");
        assert_eq!(first.funder.name, "The Baring Foundation");
        assert_eq!(first.funder.kind, OrganisationKind::Charity);
        assert_eq!(first.funder.charity_number.as_deref(), Some("258583"));
        assert_eq!(first.recipient.org_id, "GB-CHC-326568");
        assert_eq!(first.recipient.name, "Comic Relief Limited");
        assert_eq!(first.recipient.charity_number.as_deref(), Some("326568"));

        // The first grant with a standard plannedDates entry.
        let (index, planned) = &parsed.accepted[23];
        assert_eq!(*index, 23);
        assert_eq!(planned.identifier, "360G-baringfoundation-20140044");
        assert_eq!(planned.award_date, date(2014, 12, 8));
        assert_eq!(planned.planned_start_date, Some(date(2015, 3, 2)));
        assert_eq!(planned.planned_end_date, None);
        let with_planned_dates = parsed
            .accepted
            .iter()
            .filter(|(_, row)| row.planned_start_date.is_some())
            .count();
        assert_eq!(with_planned_dates, 11);
    }

    fn accepted_at(parsed: &Parsed, wanted: usize) -> &GrantRow {
        parsed
            .accepted
            .iter()
            .find(|(index, _)| *index == wanted)
            .map(|(_, row)| row)
            .unwrap()
    }

    #[test]
    fn abct_2020_refuses_exactly_the_grants_to_individuals() {
        let abct = fixture("abct-2020-modern.json");
        let parsed = parse(&abct).unwrap();
        let root: Value = serde_json::from_slice(&abct).unwrap();
        let to_individuals: Vec<usize> = root["grants"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(_, grant)| grant.get("recipientIndividual").is_some())
            .map(|(index, _)| index)
            .collect();
        assert_eq!(to_individuals.len(), 99);

        let rejected: Vec<usize> = parsed.rejected.iter().map(|r| r.index).collect();
        assert_eq!(rejected, to_individuals);
        for refusal in &parsed.rejected {
            assert_eq!(refusal.reason, INDIVIDUAL_REASON, "{refusal:?}");
            assert!(refusal.identifier.is_some());
        }
        assert_eq!(parsed.accepted.len(), 154 - 99);

        let first = accepted_at(&parsed, 0);
        assert_eq!(first.identifier, "360G-ABCT-0065I000002yzGKQAY");
        assert_eq!(first.award_date, date(2020, 4, 28));
        assert_eq!(first.amount_awarded, 10_000_000);
        assert_eq!(first.recipient.org_id, "GB-CHC-1126147");
        assert_eq!(first.recipient.charity_number.as_deref(), Some("1126147"));

        let float_amount = accepted_at(&parsed, 4);
        assert_eq!(float_amount.amount_awarded, 70_242_840);
        assert_eq!(float_amount.funder.org_id, "GB-GOR-D5");
        assert_eq!(float_amount.funder.kind, OrganisationKind::Other);
        assert_eq!(
            float_amount.recipient.charity_number.as_deref(),
            Some("105105")
        );

        assert_eq!(accepted_at(&parsed, 113).amount_awarded, 872_786);
        let company_funder = accepted_at(&parsed, 103);
        assert_eq!(company_funder.funder.name, "Joseph Rowntree Reform Trust");
        assert_eq!(
            company_funder.funder.company_number.as_deref(),
            Some("00357963")
        );
        assert_eq!(
            accepted_at(&parsed, 118).title,
            "Grant to Walcot Educational Foundation"
        );
    }
}
