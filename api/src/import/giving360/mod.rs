//! Reads 360Giving grant files into plain rows that b2h can import: the Data Standard's JSON
//! package (`{"grants": [...]}`) and its flattened form, CSV and XLSX sheets titled as the
//! standard titles its fields (see [`flat`], [`sheet`]). Every form becomes the nested JSON
//! grant first, so one set of rules reads them all.
//!
//! This module is pure: no database, no I/O, no async. It only reads and normalises.
//!
//! Funders publish these files by hand or with home-made converters, so real files vary: UK
//! dates (`17/03/2014`), month-only dates (`08/2013`) and ISO timestamps side by side (see
//! [`crate::import::dates`]), amounts as floats or text such as `"£50,000.00"`, identifiers that
//! are not Org-IDs, lower-case currency codes, stray whitespace, extra columns, rows whose
//! columns slipped. The rule is to accept what a careful human reading the file would accept,
//! normalise it, and report every grant that cannot be accepted with its position, identifier
//! and every reason (a slipped row says which fields hold what looks like another's value).
//! Deciding whether a file with rejected grants is imported at all is the caller's business.
//!
//! Only the first entry of the list fields (`fundingOrganization`, `recipientOrganization`,
//! `plannedDates`, `grantProgramme`) is used. Keys this module does not know are ignored. Grants to
//! individuals (`recipientIndividual`) are rejected: b2h records grants to organisations only.

mod amounts;
mod core;
pub mod flat;
mod looks;
pub mod orgid;
pub mod sheet;

use std::collections::HashMap;
use std::collections::hash_map::Entry;

pub use self::amounts::{Amount, amount_in_minor_units};
pub use self::core::AWARD_PRECISION_KEY;
use self::core::{Notes, Problems, read_grant, read_identifier};
use b2h_entity::enums::{DatePrecision, OrganisationKind};
use chrono::NaiveDate;
use serde_json::Value;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// An organisation named by a grant (its funder or its recipient).
#[derive(Debug, Clone, PartialEq)]
pub struct OrgRef {
    /// The Org-ID (e.g. `GB-CHC-1126147`), when the identifier given is one.
    pub org_id: Option<String>,
    /// The identifier given when it is not an Org-ID (`360G-dulverton`), kept as given.
    pub other_identifier: Option<String>,
    pub name: String,
    /// Derived from the Org-ID's list prefix; [`OrganisationKind::Other`] when it says nothing.
    pub kind: OrganisationKind,
    /// `charityNumber` if given, else the suffix of a `GB-CHC-`, `GB-SC-` or `GB-NIC-` Org-ID.
    pub charity_number: Option<String>,
    /// `companyNumber` if given, else the suffix of a `GB-COH-` Org-ID.
    pub company_number: Option<String>,
}

impl OrgRef {
    /// The identifier as the file gave it (the Org-ID, else the other identifier).
    pub fn identifier(&self) -> Option<&str> {
        self.org_id.as_deref().or(self.other_identifier.as_deref())
    }
}

/// One accepted grant, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantRow {
    /// The 360Giving grant identifier (`360G-…`), trimmed.
    pub identifier: String,
    /// As given, or `Grant to <recipient>` when the file gives none.
    pub title: String,
    pub description: Option<String>,
    /// In minor units of `currency` (pence for GBP).
    pub amount_awarded: i64,
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// A month- or year-only award date is its first day.
    pub award_date: NaiveDate,
    pub award_date_precision: DatePrecision,
    /// A month- or year-only start is its first day.
    pub planned_start_date: Option<NaiveDate>,
    pub planned_start_date_precision: DatePrecision,
    /// A month- or year-only end is its last day.
    pub planned_end_date: Option<NaiveDate>,
    pub planned_end_date_precision: DatePrecision,
    pub grant_programme: Option<String>,
    /// `None` when the grant names no funder: the file's publisher gave it.
    pub funder: Option<OrgRef>,
    pub recipient: OrgRef,
}

/// A grant the file holds but b2h cannot accept.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// 0-based position in the file's `grants` list (or among a sheet's data rows).
    pub index: usize,
    /// The spreadsheet row of a CSV or XLSX grant (the header is row 1).
    pub row: Option<u64>,
    /// The grant's `id` as written (trimmed), when it has one, even if it is not valid.
    pub identifier: Option<String>,
    /// Every problem found, each naming its field (a sheet's column), joined with `"; "`.
    pub reason: String,
}

impl Rejected {
    /// Where the grant is: `grant 12` or `row 14`.
    pub fn position(&self) -> String {
        match self.row {
            Some(row) => format!("row {row}"),
            None => format!("grant {}", self.index),
        }
    }
}

/// A slash date whose day and month could be read either way round, read day first.
#[derive(Debug, Clone, PartialEq)]
pub struct AmbiguousDate {
    /// The field (or a sheet's column) it was in.
    pub field: String,
    /// As written.
    pub text: String,
    pub read_as: NaiveDate,
}

/// An ambiguous date of an accepted grant, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct AmbiguousAt {
    pub index: usize,
    pub row: Option<u64>,
    pub identifier: String,
    pub date: AmbiguousDate,
}

/// The forms a grants file comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Json,
    Csv,
    Xlsx,
}

impl Form {
    /// The form of a file: by its content when that says (a ZIP container is XLSX, `{` starts
    /// JSON), else by its extension, else CSV.
    pub fn of(extension: Option<&str>, bytes: &[u8]) -> Form {
        let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        if bytes.starts_with(b"PK\x03\x04") {
            return Form::Xlsx;
        }
        if bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{' || *b == b'[')
        {
            return Form::Json;
        }
        match extension.map(str::to_ascii_lowercase).as_deref() {
            Some("json") => Form::Json,
            Some("xlsx") => Form::Xlsx,
            _ => Form::Csv,
        }
    }
}

/// The outcome of reading a file: every grant is either accepted or rejected.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub form: Form,
    /// Accepted grants with their 0-based position, in file order.
    pub accepted: Vec<(usize, GrantRow)>,
    /// Rejected grants, in file order.
    pub rejected: Vec<Rejected>,
    /// Dates of accepted grants read day first that could have been read month first.
    pub ambiguous: Vec<AmbiguousAt>,
    /// Accepted grants the file gave no title, named `Grant to <recipient>`.
    pub untitled: usize,
    /// A sheet's spreadsheet row of each grant, by position (empty for JSON).
    pub rows: Vec<u64>,
}

impl Parsed {
    /// The spreadsheet row of the grant at `index`, for a sheet.
    pub fn row_of(&self, index: usize) -> Option<u64> {
        self.rows.get(index).copied()
    }
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
    #[error("the file has more than {} grants; split it", sheet::MAX_ROWS)]
    TooManyGrants,
    #[error(transparent)]
    Sheet(#[from] sheet::SheetError),
}

/// One grant of any form, before it is read: the nested object (or what stands in its place),
/// its sheet row, and the labels of its sheet's columns.
struct Source {
    grant: Value,
    row: Option<u64>,
    titles: Vec<(String, String)>,
}

/// Reads a 360Giving file of the given form and sorts its grants into accepted and rejected.
///
/// Fails only when the file as a whole is unusable; problems with single grants are reported in
/// [`Parsed::rejected`]. A leading UTF-8 byte order mark is tolerated. A grant identifier seen
/// earlier in the same file rejects the later occurrences. Funders named without an identifier
/// take the identifier the file gives the same name elsewhere.
pub fn parse(bytes: &[u8], form: Form) -> Result<Parsed, FileError> {
    let sources = match form {
        Form::Json => json_sources(bytes)?,
        Form::Csv => sheet_sources(sheet::read_csv(bytes)?),
        Form::Xlsx => sheet_sources(sheet::read_xlsx(bytes)?),
    };
    let mut parsed = Parsed {
        form,
        accepted: Vec::new(),
        rejected: Vec::new(),
        ambiguous: Vec::new(),
        untitled: 0,
        rows: sources.iter().filter_map(|s| s.row).collect(),
    };
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for (index, source) in sources.into_iter().enumerate() {
        read_one(index, source, &mut first_seen, &mut parsed);
    }
    fill_funders_by_name(&mut parsed.accepted);
    Ok(parsed)
}

fn json_sources(bytes: &[u8]) -> Result<Vec<Source>, FileError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let root: Value = serde_json::from_slice(bytes)?;
    let Some(Value::Array(grants)) = root.get("grants") else {
        return Err(FileError::NoGrants);
    };
    if grants.is_empty() {
        return Err(FileError::EmptyGrants);
    }
    if grants.len() > sheet::MAX_ROWS {
        return Err(FileError::TooManyGrants);
    }
    Ok(grants
        .iter()
        .map(|grant| Source {
            grant: match grant {
                Value::Object(fields) => Value::Object(flat::lift(fields)),
                other => other.clone(),
            },
            row: None,
            titles: Vec::new(),
        })
        .collect())
}

fn sheet_sources(rows: Vec<sheet::SheetRow>) -> Vec<Source> {
    rows.into_iter()
        .map(|row| Source {
            grant: Value::Object(row.grant),
            row: Some(row.row),
            titles: row.titles,
        })
        .collect()
}

fn read_one(
    index: usize,
    source: Source,
    first_seen: &mut HashMap<String, usize>,
    parsed: &mut Parsed,
) {
    let Source { grant, row, titles } = source;
    let Value::Object(fields) = grant else {
        parsed.rejected.push(Rejected {
            index,
            row,
            identifier: None,
            reason: format!(
                "the grant is not a JSON object (found {})",
                describe(&grant)
            ),
        });
        return;
    };
    let identifier = fields
        .get("id")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let mut problems = Problems::default();
    let checked_identifier = read_identifier(&fields, &mut problems);
    if let Some(id) = &identifier {
        match first_seen.entry(id.clone()) {
            Entry::Occupied(earlier) => {
                let earlier = *earlier.get();
                let at = match parsed.row_of(earlier) {
                    Some(row) => format!("row {row}"),
                    None => format!("index {earlier}"),
                };
                problems.push(format!("identifier appears earlier in the file at {at}"));
            }
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
        }
    }
    let mut notes = Notes::default();
    match read_grant(&fields, checked_identifier, &mut problems, &mut notes) {
        Some(grant) if problems.is_empty() => {
            parsed.untitled += usize::from(notes.untitled);
            parsed
                .ambiguous
                .extend(notes.ambiguous.into_iter().map(|mut date| {
                    date.field = in_columns(&date.field, &titles);
                    AmbiguousAt {
                        index,
                        row,
                        identifier: grant.identifier.clone(),
                        date,
                    }
                }));
            parsed.accepted.push((index, grant));
        }
        _ => parsed.rejected.push(Rejected {
            index,
            row,
            identifier,
            reason: in_columns(&problems.reason(), &titles),
        }),
    }
}

/// A reason naming nested fields, rewritten to name a sheet's columns as the file titles them
/// (`recipientOrganization[0].id` → `column 'Recipient Org:Identifier'`).
fn in_columns(reason: &str, titles: &[(String, String)]) -> String {
    let mut text = reason.to_owned();
    let mut titles: Vec<&(String, String)> = titles.iter().collect();
    // Longest labels first, so no label is replaced inside a longer one.
    titles.sort_by_key(|(label, _)| std::cmp::Reverse(label.len()));
    for (label, title) in titles {
        text = text.replace(label.as_str(), &format!("column '{title}'"));
    }
    text
}

/// Funders named without an identifier take the one the file gives the same name (ignoring case
/// and spacing) elsewhere, when it gives exactly one.
fn fill_funders_by_name(accepted: &mut [(usize, GrantRow)]) {
    let mut named: HashMap<String, Option<OrgRef>> = HashMap::new();
    for (_, grant) in accepted.iter() {
        let Some(funder) = &grant.funder else {
            continue;
        };
        if funder.identifier().is_none() {
            continue;
        }
        match named.entry(name_key(&funder.name)) {
            Entry::Vacant(slot) => {
                slot.insert(Some(funder.clone()));
            }
            Entry::Occupied(mut slot) => {
                if slot.get().as_ref().and_then(OrgRef::identifier) != funder.identifier() {
                    // Two identifiers for one name: leave the match to the database.
                    slot.insert(None);
                }
            }
        }
    }
    for (_, grant) in accepted.iter_mut() {
        let Some(funder) = &mut grant.funder else {
            continue;
        };
        if funder.identifier().is_some() {
            continue;
        }
        if let Some(Some(found)) = named.get(&name_key(&funder.name)) {
            *funder = found.clone();
        }
    }
}

/// A name as matched: case and spacing ignored.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn field_label(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::core::INDIVIDUAL_REASON;
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

    fn json(bytes: &[u8]) -> Result<Parsed, FileError> {
        parse(bytes, Form::Json)
    }

    fn parse_one(grant: Value) -> Parsed {
        json(&file(vec![grant])).unwrap()
    }

    fn only_reason(parsed: &Parsed) -> &str {
        assert!(parsed.accepted.is_empty(), "{parsed:?}");
        assert_eq!(parsed.rejected.len(), 1, "{parsed:?}");
        &parsed.rejected[0].reason
    }

    fn only_row(parsed: &Parsed) -> &GrantRow {
        assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
        &parsed.accepted[0].1
    }

    #[test]
    fn an_invalid_award_date_is_named_in_the_reason() {
        let mut grant = valid_grant("360G-test-1");
        grant["awardDate"] = json!("31/02/2014");
        let parsed = parse_one(grant);
        assert!(
            only_reason(&parsed)
                .starts_with("awardDate '31/02/2014' is not a date (expected YYYY-MM-DD"),
            "{}",
            only_reason(&parsed)
        );
        assert_eq!(
            parsed.rejected[0].identifier.as_deref(),
            Some("360G-test-1")
        );
        assert_eq!(parsed.rejected[0].index, 0);
    }

    #[test]
    fn every_date_form_is_read_with_its_precision() {
        let mut grant = valid_grant("360G-test-1");
        grant["awardDate"] = json!("08/2013");
        grant["plannedDates"] = json!([{"startDate": "2013", "endDate": "2014-02"}]);
        let parsed = parse_one(grant);
        let row = only_row(&parsed);
        assert_eq!(row.award_date, date(2013, 8, 1));
        assert_eq!(row.award_date_precision, DatePrecision::Month);
        assert_eq!(row.planned_start_date, Some(date(2013, 1, 1)));
        assert_eq!(row.planned_start_date_precision, DatePrecision::Year);
        assert_eq!(row.planned_end_date, Some(date(2014, 2, 28)));
        assert_eq!(row.planned_end_date_precision, DatePrecision::Month);

        for (text, expected) in [
            ("26/03/2001 00:00", date(2001, 3, 26)),
            ("17/03/2014", date(2014, 3, 17)),
            ("19 April 2013", date(2013, 4, 19)),
            ("19 Apr 2013", date(2013, 4, 19)),
            ("2015-03-01 00:00:00.000000", date(2015, 3, 1)),
            ("2020-01-01T00:00:00+01:00", date(2020, 1, 1)),
        ] {
            let mut grant = valid_grant("360G-test-1");
            grant["awardDate"] = json!(text);
            let parsed = parse_one(grant);
            let row = only_row(&parsed);
            assert_eq!(row.award_date, expected, "{text}");
            assert_eq!(row.award_date_precision, DatePrecision::Day, "{text}");
        }
    }

    #[test]
    fn an_exported_award_precision_is_read_back() {
        let mut grant = valid_grant("360G-test-1");
        grant["awardDate"] = json!("2013-08-01");
        grant["additional_data"] = json!({ AWARD_PRECISION_KEY: "month" });
        let parsed = parse_one(grant.clone());
        assert_eq!(only_row(&parsed).award_date_precision, DatePrecision::Month);
        // Only when the date can stand for the month.
        grant["awardDate"] = json!("2013-08-02");
        let parsed = parse_one(grant);
        assert_eq!(only_row(&parsed).award_date_precision, DatePrecision::Day);
    }

    #[test]
    fn ambiguous_dates_are_listed() {
        let mut first = valid_grant("360G-test-1");
        first["awardDate"] = json!("03/04/2014");
        first["plannedDates"] = json!([{"startDate": "13/04/2014", "endDate": "05/06/2015"}]);
        let parsed = json(&file(vec![first, valid_grant("360G-test-2")])).unwrap();
        assert_eq!(parsed.accepted.len(), 2);
        let listed: Vec<(&str, &str, NaiveDate)> = parsed
            .ambiguous
            .iter()
            .map(|a| (a.identifier.as_str(), a.date.field.as_str(), a.date.read_as))
            .collect();
        assert_eq!(
            listed,
            [
                ("360G-test-1", "awardDate", date(2014, 4, 3)),
                ("360G-test-1", "plannedDates[0].endDate", date(2015, 6, 5)),
            ]
        );
    }

    #[test]
    fn amounts_with_signs_and_separators() {
        for (amount, minor) in [
            (json!("£50,000"), 5_000_000),
            (json!("50,000.00"), 5_000_000),
            (json!("GBP 1,000"), 100_000),
            (json!(1000.5), 100_050),
        ] {
            let mut grant = valid_grant("360G-test-1");
            grant["amountAwarded"] = amount.clone();
            assert_eq!(
                only_row(&parse_one(grant)).amount_awarded,
                minor,
                "{amount}"
            );
        }
        let mut grant = valid_grant("360G-test-1");
        grant["amountAwarded"] = json!("USD 1,000");
        assert_eq!(
            only_reason(&parse_one(grant)),
            "amountAwarded \"USD 1,000\" is in USD but the grant's currency is GBP"
        );
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
        let row = only_row(&parsed);
        assert_eq!(parsed.accepted[0].0, 0);
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
            Some(OrgRef {
                org_id: Some("GB-SC-SC022910".to_owned()),
                other_identifier: None,
                name: "Scottish Funder".to_owned(),
                kind: OrganisationKind::Charity,
                charity_number: Some("SC022910".to_owned()),
                company_number: None,
            })
        );
        assert_eq!(row.recipient.kind, OrganisationKind::Charity);
        assert_eq!(row.recipient.charity_number.as_deref(), Some("999"));
        assert_eq!(row.recipient.company_number.as_deref(), Some("01234567"));
    }

    #[test]
    fn identifiers_that_are_not_org_ids_are_kept_as_given() {
        let mut grant = valid_grant("360G-test-1");
        grant["recipientOrganization"][0]["id"] = json!("GB-CHC-n/a");
        grant["fundingOrganization"][0]["id"] = json!("360G-dulverton");
        let parsed = parse_one(grant);
        let row = only_row(&parsed);
        assert_eq!(row.recipient.org_id, None);
        assert_eq!(
            row.recipient.other_identifier.as_deref(),
            Some("GB-CHC-n/a")
        );
        assert_eq!(row.recipient.kind, OrganisationKind::Other);
        assert_eq!(row.recipient.charity_number, None);
        let funder = row.funder.as_ref().unwrap();
        assert_eq!(funder.org_id, None);
        assert_eq!(funder.other_identifier.as_deref(), Some("360G-dulverton"));
    }

    #[test]
    fn funders_without_an_identifier() {
        // No funder at all: the file's publisher gave it.
        let mut grant = valid_grant("360G-test-1");
        grant.as_object_mut().unwrap().remove("fundingOrganization");
        assert_eq!(only_row(&parse_one(grant)).funder, None);
        // A name only: the identifier the file gives that name elsewhere.
        let mut named = valid_grant("360G-test-2");
        named["fundingOrganization"] = json!([{"name": "  a   FUNDER "}]);
        let mut unknown = valid_grant("360G-test-3");
        unknown["fundingOrganization"] = json!([{"name": "Someone Else"}]);
        let parsed = json(&file(vec![named, valid_grant("360G-test-1"), unknown])).unwrap();
        let funders: Vec<(Option<&str>, &str)> = parsed
            .accepted
            .iter()
            .map(|(_, row)| {
                let funder = row.funder.as_ref().unwrap();
                (funder.org_id.as_deref(), funder.name.as_str())
            })
            .collect();
        assert_eq!(
            funders,
            [
                (Some("GB-CHC-123456"), "A Funder"),
                (Some("GB-CHC-123456"), "A Funder"),
                (None, "Someone Else"),
            ]
        );
    }

    #[test]
    fn slipped_rows_say_which_fields_hold_what() {
        // The row of mixed-publishers.json whose columns slipped.
        let grant = json!({
            "id": "360G-macc:RSI-S15",
            "RecipientOrgIdentifier": "9856.08",
            "RecipientOrgName": "MACC-DUMMY-06",
            "FundingOrgName": "GB-CHC-1145921",
            "currency": "a time when volunteers are most available and where there is a distinct lack.\"",
            "awardDate": "GBP",
            "FundingOrgIdentifier": "http://www.thegenerationproject.co.uk/",
            "amountAwarded": "05/12/2014",
        });
        let parsed = parse_one(grant);
        let reason = only_reason(&parsed);
        assert!(
            reason.starts_with("the row's columns look slipped: "),
            "{reason}"
        );
        for needle in [
            "awardDate holds 'GBP', which looks like a currency code",
            "amountAwarded holds '05/12/2014', which looks like a date",
            "currency holds 'a time when",
            "which looks like running text",
            "fundingOrganization[0].id holds 'http://www.thegenerationproject.co.uk/', which looks like a web address",
            "fundingOrganization[0].name holds 'GB-CHC-1145921', which looks like an Org-ID",
            "recipientOrganization[0].id holds '9856.08', which looks like an amount",
        ] {
            assert!(reason.contains(needle), "no {needle:?} in {reason}");
        }
        assert_eq!(
            parsed.rejected[0].identifier.as_deref(),
            Some("360G-macc:RSI-S15")
        );

        let mut grant = valid_grant("360G-test-1");
        grant["fundingOrganization"] = json!([{"id": "Blackbird Leys", "name": "GB"}]);
        assert!(
            only_reason(&parse_one(grant)).contains(
                "fundingOrganization[0].id holds 'Blackbird Leys', which looks like words"
            )
        );
        let mut grant = valid_grant("360G-test-1");
        grant["awardDate"] = json!("25000");
        assert_eq!(
            only_reason(&parse_one(grant)),
            "the row's columns look slipped: awardDate holds '25000', which looks like an amount"
        );
    }

    #[test]
    fn untitled_grants_are_named_after_their_recipient() {
        let mut grant = valid_grant("360G-test-1");
        grant.as_object_mut().unwrap().remove("title");
        let parsed = parse_one(grant);
        assert_eq!(only_row(&parsed).title, "Grant to A Recipient");
        assert_eq!(parsed.untitled, 1);
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
        assert_eq!(only_reason(&parsed), INDIVIDUAL_REASON);
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
        let mut grant = valid_grant("360G-test-1");
        grant["recipientOrganization"] = json!([{"name": "No id"}]);
        let parsed = parse_one(grant);
        assert_eq!(
            only_reason(&parsed),
            "recipientOrganization[0].id is missing"
        );
    }

    #[test]
    fn duplicate_identifiers_are_refused_after_the_first() {
        let parsed = json(&file(vec![
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
        grant["title"] = json!(7);
        grant["currency"] = json!("POUNDS");
        grant["amountAwarded"] = json!(-1);
        grant["plannedDates"] = json!([{"startDate": "2020-05-01", "endDate": "2020-04-01"}]);
        let parsed = parse_one(grant);
        assert_eq!(
            only_reason(&parsed),
            "id 'GRANT-1' does not start with the 360Giving prefix '360G-'; \
             title must be text, found a number; \
             currency 'POUNDS' is not an ISO 4217 code (expected three letters such as GBP); \
             amountAwarded -1 is negative; \
             plannedDates[0].endDate 2020-04-01 is before plannedDates[0].startDate 2020-05-01"
        );
        assert_eq!(parsed.rejected[0].identifier.as_deref(), Some("GRANT-1"));
    }

    #[test]
    fn grants_that_are_not_objects_are_refused() {
        let parsed = json(br#"{"grants": [42, {"id": 7}]}"#).unwrap();
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
        let error = json(b"not json").unwrap_err();
        assert!(matches!(error, FileError::NotJson(_)));
        assert!(error.to_string().contains("line 1 column"), "{error}");
        assert!(matches!(json(b"[1, 2]"), Err(FileError::NoGrants)));
        assert!(matches!(
            json(br#"{"grant": []}"#),
            Err(FileError::NoGrants)
        ));
        assert!(matches!(
            json(br#"{"grants": {}}"#),
            Err(FileError::NoGrants)
        ));
        assert!(matches!(
            json(br#"{"grants": []}"#),
            Err(FileError::EmptyGrants)
        ));
    }

    #[test]
    fn a_byte_order_mark_is_tolerated() {
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend(file(vec![valid_grant("360G-test-1")]));
        assert_eq!(json(&bytes).unwrap().accepted.len(), 1);
    }

    #[test]
    fn forms_are_told_by_content_then_extension() {
        assert_eq!(Form::of(Some("csv"), b" {\"grants\": []}"), Form::Json);
        assert_eq!(Form::of(Some("json"), b"PK\x03\x04..."), Form::Xlsx);
        assert_eq!(Form::of(Some("JSON"), b""), Form::Json);
        assert_eq!(Form::of(None, b"Identifier,Title\n"), Form::Csv);
    }

    const HEADER: &str = "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Planned Dates:Start Date,Planned Dates:End Date,Recipient Org:Identifier,Recipient Org:Name,Recipient Org:Charity Number,Funding Org:Identifier,Funding Org:Name,Grant Programme:Title";

    #[test]
    fn a_flattened_csv_reads_as_the_json_does() {
        let csv = format!(
            "{HEADER}\n360G-test-1,A grant,,GBP,\"£1,000\",2020-04-28,08/2020,2021,GB-CHC-1126147,A Recipient,,GB-CHC-123456,A Funder,Main\n"
        );
        let from_csv = parse(csv.as_bytes(), Form::Csv).unwrap();
        let mut grant = valid_grant("360G-test-1");
        grant["recipientOrganization"] = json!([{"id": "GB-CHC-1126147", "name": "A Recipient"}]);
        grant["plannedDates"] = json!([{"startDate": "2020-08", "endDate": "2021"}]);
        grant["grantProgramme"] = json!([{"title": "Main"}]);
        let from_json = parse_one(grant);
        assert_eq!(from_csv.accepted, from_json.accepted);
        assert_eq!(from_csv.rows, [2]);
    }

    #[test]
    fn sheet_problems_name_the_row_and_column() {
        let csv = format!(
            "{HEADER}\n360G-test-1,A grant,,GBP,1000,2020-04-28,,,GB-CHC-1126147,A Recipient,,GB-CHC-123456,A Funder,\n\
             360G-test-2,A grant,,GBP,lots,31/02/2020,,,GB-CHC-1126147,A Recipient,,GB-CHC-123456,A Funder,\n"
        );
        let parsed = parse(csv.as_bytes(), Form::Csv).unwrap();
        assert_eq!(parsed.accepted.len(), 1);
        let rejected = &parsed.rejected[0];
        assert_eq!(rejected.position(), "row 3");
        assert!(
            rejected
                .reason
                .contains("column 'Amount Awarded' 'lots' is not a number"),
            "{}",
            rejected.reason
        );
        assert!(
            rejected
                .reason
                .contains("column 'Award Date' '31/02/2020' is not a date"),
            "{}",
            rejected.reason
        );
    }

    #[test]
    fn mixed_publishers_imports_all_but_its_slipped_rows() {
        let parsed = json(&fixture("mixed-publishers.json")).unwrap();
        assert_eq!(parsed.accepted.len() + parsed.rejected.len(), 5945);
        let rejected: Vec<usize> = parsed.rejected.iter().map(|r| r.index).collect();
        assert_eq!(
            rejected,
            [
                2723, 3003, 3005, 3020, 3041, 3045, 3114, 3142, 3153, 3235, 3253, 3471, 3472, 3473
            ],
            "{:#?}",
            parsed.rejected
        );
        // Eleven rows whose columns slipped, and three placeholder grants (`DUMMY01`…).
        for refusal in &parsed.rejected[..11] {
            assert!(
                refusal
                    .reason
                    .starts_with("the row's columns look slipped: "),
                "{refusal:?}"
            );
        }
        for refusal in &parsed.rejected[11..] {
            assert!(
                refusal
                    .reason
                    .ends_with("does not start with the 360Giving prefix '360G-'"),
                "{refusal:?}"
            );
        }
        // Month-only, UK and microsecond dates are all read.
        let nominet = parsed
            .accepted
            .iter()
            .filter(|(_, g)| g.award_date_precision == DatePrecision::Month)
            .count();
        assert_eq!(nominet, 267);
        let dulverton = accepted_at(&parsed, 1_000);
        assert!(dulverton.identifier.starts_with("360G-"), "{dulverton:?}");
        let untitled = parsed.accepted.len();
        assert_eq!(parsed.untitled, untitled);
        let without_org_id = parsed
            .accepted
            .iter()
            .filter(|(_, g)| g.funder.as_ref().is_some_and(|f| f.org_id.is_none()))
            .count();
        assert!(without_org_id > 2_000, "{without_org_id}");
    }

    #[test]
    fn baring_2015_is_accepted_whole() {
        let baring = fixture("baring-2015.json");
        let parsed = json(&baring).unwrap();
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
        let funder = first.funder.as_ref().unwrap();
        assert_eq!(funder.org_id.as_deref(), Some("GB-CHC-258583"));
        assert_eq!(funder.name, "The Baring Foundation");
        assert_eq!(funder.kind, OrganisationKind::Charity);
        assert_eq!(funder.charity_number.as_deref(), Some("258583"));
        assert_eq!(first.recipient.org_id.as_deref(), Some("GB-CHC-326568"));
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
        let parsed = json(&abct).unwrap();
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
        assert_eq!(first.recipient.org_id.as_deref(), Some("GB-CHC-1126147"));
        assert_eq!(first.recipient.charity_number.as_deref(), Some("1126147"));

        let float_amount = accepted_at(&parsed, 4);
        assert_eq!(float_amount.amount_awarded, 70_242_840);
        let funder = float_amount.funder.as_ref().unwrap();
        assert_eq!(funder.org_id.as_deref(), Some("GB-GOR-D5"));
        assert_eq!(funder.kind, OrganisationKind::Other);
        assert_eq!(
            float_amount.recipient.charity_number.as_deref(),
            Some("105105")
        );

        assert_eq!(accepted_at(&parsed, 113).amount_awarded, 872_786);
        let company_funder = accepted_at(&parsed, 103);
        let funder = company_funder.funder.as_ref().unwrap();
        assert_eq!(funder.name, "Joseph Rowntree Reform Trust");
        assert_eq!(funder.company_number.as_deref(), Some("00357963"));
        assert_eq!(
            accepted_at(&parsed, 118).title,
            "Grant to Walcot Educational Foundation"
        );
    }
}
