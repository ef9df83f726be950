//! Org-IDs (org-id.guide): `GB-CHC-1126147` is a list prefix (a country code, or `XI`/`XM`
//! for international lists, then the list's code) and the organisation's id on that list.
//!
//! Funders' files also carry identifiers that are not Org-IDs: their own (`360G-dulverton`,
//! `360G-phf:org-14108`), bare codes (`E08000009`, `DUMMY`) or an Org-ID prefix on a value that
//! is no id on that list (`GB-CHC-n/a`, `GB-CHC-SCO 00296`). Those are kept as given beside the
//! Org-ID, never made into one.

use b2h_entity::enums::OrganisationKind;

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

/// The longest identifier kept.
pub const MAX_IDENTIFIER: usize = 200;

/// Whether `id` is an Org-ID: `CC-LIST-id` with a two-letter country code (or `XI`, `XM`), a
/// list code of capitals and digits, and an id without spaces; for the UK registers whose
/// numbers have a known form (charities, Scottish and Northern Irish charities, companies), the
/// id must have that form, so that `GB-CHC-n/a` is not taken for a charity.
pub fn is_org_id(id: &str) -> bool {
    let mut parts = id.splitn(3, '-');
    let (Some(country), Some(list), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let capitals = |s: &str| s.bytes().all(|b| b.is_ascii_uppercase());
    let list_ok = (2..=12).contains(&list.len())
        && list
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && list.bytes().any(|b| b.is_ascii_uppercase());
    let rest_ok = !rest.is_empty()
        && rest.len() <= 64
        && rest
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b','));
    if !(country.len() == 2 && capitals(country) && list_ok && rest_ok) {
        return false;
    }
    match (country, list) {
        ("GB", "CHC") => charity_number(rest),
        ("GB", "SC") => {
            rest.len() == 8
                && rest.starts_with("SC")
                && rest[2..].bytes().all(|b| b.is_ascii_digit())
        }
        ("GB", "NIC") => (5..=7).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit()),
        ("GB", "COH") => {
            rest.len() == 8
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        }
        // Other lists: an id with at least one letter or digit (not "-" or ".").
        _ => rest.bytes().any(|b| b.is_ascii_alphanumeric()),
    }
}

/// An England and Wales charity number: digits, with an optional `-N` for a linked charity.
fn charity_number(rest: &str) -> bool {
    let (main, linked) = rest.split_once('-').unwrap_or((rest, "0"));
    (5..=8).contains(&main.len())
        && main.bytes().all(|b| b.is_ascii_digit())
        && !linked.is_empty()
        && linked.len() <= 3
        && linked.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `text` starts the way identifiers do (`XX-XXX-` or `360G-`), for telling a messy
/// identifier (`GB-CHC-Exempt Charity`) from words that slipped into the identifier's column.
pub fn has_identifier_prefix(text: &str) -> bool {
    if text.starts_with("360G-") {
        return true;
    }
    let mut parts = text.splitn(3, '-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(country), Some(list), Some(_)) => {
            country.len() == 2
                && country.bytes().all(|b| b.is_ascii_uppercase())
                && (2..=12).contains(&list.len())
                && list
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        }
        _ => false,
    }
}

/// What the Org-ID's list prefix says about the organisation.
pub fn organisation_kind(org_id: &str) -> OrganisationKind {
    KIND_PREFIXES
        .iter()
        .find_map(|&(prefix, kind)| {
            strip_prefix_ignore_case(org_id, prefix)
                .is_some()
                .then_some(kind)
        })
        .unwrap_or(OrganisationKind::Other)
}

/// The charity number an Org-ID carries (`GB-CHC-`, `GB-SC-`, `GB-NIC-`).
pub fn charity_number_of(org_id: &str) -> Option<String> {
    id_suffix(org_id, CHARITY_PREFIXES)
}

/// The company number an Org-ID carries (`GB-COH-`).
pub fn company_number_of(org_id: &str) -> Option<String> {
    id_suffix(org_id, &[COMPANY_PREFIX])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_ids_are_told_from_other_identifiers() {
        for id in [
            "GB-CHC-1126147",
            "GB-CHC-200051",
            "GB-CHC-1126147-1",
            "GB-SC-SC022910",
            "GB-NIC-105105",
            "GB-COH-01234567",
            "GB-COH-SC123456",
            "GB-NHS-RLT",
            "GB-LAE-MAN",
            "GB-GOR-D5",
            "GB-REV-X7943",
            "IN-MHA-FCRA-337750090",
            "NL-KVK-8190",
            "ZA-NPO-004-920",
            "XI-IATI-EC_ECHO",
            "XM-DAC-41114",
        ] {
            assert!(is_org_id(id), "{id}");
        }
        for id in [
            "360G-dulverton",
            "360G-phf:org-14108",
            "NominetTrust",
            "E08000009",
            "DUMMY",
            "Overseas",
            "GB-REV",
            "GB-CHC-n/a",
            "GB-CHC-NA",
            "GB-CHC-Exempt Charity",
            "GB-CHC-SCO 00296",
            "GB-CHC-SC018094",
            "GB-CHC-502623.0",
            "GB-CHC-CA-99,314",
            "GB-SC-SCO44652",
            "GB-COH-123",
            "gb-chc-1126147",
            "GB CHC 1",
            "GB-1",
            "9856.08",
            "",
        ] {
            assert!(!is_org_id(id), "{id}");
        }
    }

    #[test]
    fn identifier_prefixes() {
        assert!(has_identifier_prefix("GB-CHC-Exempt Charity"));
        assert!(has_identifier_prefix("360G-ocf-org:299786 / 1157084"));
        assert!(!has_identifier_prefix("Blackbird Leys"));
        assert!(!has_identifier_prefix("day-trips and more. KEEN gives"));
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
            organisation_kind("GB-LAS-GLG"),
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
            charity_number_of("GB-SC-SC022910").as_deref(),
            Some("SC022910")
        );
        assert_eq!(
            company_number_of("GB-COH-01234567").as_deref(),
            Some("01234567")
        );
        assert_eq!(charity_number_of("GB-COH-01234567"), None);
    }
}
