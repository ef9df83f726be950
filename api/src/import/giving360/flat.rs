//! The 360Giving flattened form: spreadsheet columns titled as the standard's schema titles
//! them (`Recipient Org:Identifier`), and JSON written from such sheets with the titles run
//! together as keys (`RecipientOrgIdentifier`). Both are turned into the nested grant object of
//! the JSON form, so that one set of rules reads every form.

use serde_json::{Map, Value};

/// A column of the flattened form: its title in the standard's template and the field of the
/// nested form it fills (list fields' first entry).
pub struct Column {
    pub title: &'static str,
    /// Top-level key of the nested form.
    pub key: &'static str,
    /// Field inside the key's first entry, for list fields.
    pub field: Option<&'static str>,
}

const fn top(title: &'static str, key: &'static str) -> Column {
    Column {
        title,
        key,
        field: None,
    }
}

const fn entry(title: &'static str, key: &'static str, field: &'static str) -> Column {
    Column {
        title,
        key,
        field: Some(field),
    }
}

/// The columns b2h reads; others are ignored (as unknown JSON keys are).
pub const COLUMNS: &[Column] = &[
    top("Identifier", "id"),
    top("Title", "title"),
    top("Description", "description"),
    top("Currency", "currency"),
    top("Amount Awarded", "amountAwarded"),
    top("Award Date", "awardDate"),
    entry("Planned Dates:Start Date", "plannedDates", "startDate"),
    entry("Planned Dates:End Date", "plannedDates", "endDate"),
    entry("Recipient Org:Identifier", "recipientOrganization", "id"),
    entry("Recipient Org:Name", "recipientOrganization", "name"),
    entry(
        "Recipient Org:Charity Number",
        "recipientOrganization",
        "charityNumber",
    ),
    entry(
        "Recipient Org:Company Number",
        "recipientOrganization",
        "companyNumber",
    ),
    entry("Recipient Ind:Identifier", "recipientIndividual", "id"),
    entry("Recipient Ind:Name", "recipientIndividual", "name"),
    entry("Funding Org:Identifier", "fundingOrganization", "id"),
    entry("Funding Org:Name", "fundingOrganization", "name"),
    entry("Grant Programme:Code", "grantProgramme", "code"),
    entry("Grant Programme:Title", "grantProgramme", "title"),
];

/// A title or key compared the way people vary them: letters and digits only, any case
/// (`Recipient Org:Identifier`, `RecipientOrgIdentifier` and `recipient org identifier` agree).
pub fn normalised(title: &str) -> String {
    title
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The column a title names, if b2h reads it. `id` is accepted for `Identifier`.
pub fn column(title: &str) -> Option<&'static Column> {
    let wanted = normalised(title);
    let wanted = if wanted == "id" {
        "identifier".to_owned()
    } else {
        wanted
    };
    COLUMNS.iter().find(|c| normalised(c.title) == wanted)
}

impl Column {
    /// How problems name the field in the nested form (`recipientOrganization[0].id`).
    pub fn label(&self) -> String {
        match self.field {
            Some(field) => format!("{}[0].{field}", self.key),
            None => self.key.to_owned(),
        }
    }

    /// Sets this column's field of a nested grant to `value`.
    pub fn set(&self, grant: &mut Map<String, Value>, value: Value) {
        let Some(field) = self.field else {
            grant.insert(self.key.to_owned(), value);
            return;
        };
        let list = grant
            .entry(self.key.to_owned())
            .or_insert_with(|| Value::Array(vec![Value::Object(Map::new())]));
        if let Some(Value::Object(first)) = list.as_array_mut().and_then(|items| items.first_mut())
        {
            first.insert(field.to_owned(), value);
        }
    }
}

/// A JSON grant written with flattened keys (`RecipientOrgIdentifier`) as the nested form. Keys
/// of the nested form are kept; a flattened key fills its field only when the grant has no
/// nested value for that key, so a file mixing both keeps what the standard says.
pub fn lift(grant: &Map<String, Value>) -> Map<String, Value> {
    let mut nested = grant.clone();
    for (key, value) in grant {
        let Some(column) = column(key) else {
            continue;
        };
        if column.field.is_none() || grant.contains_key(column.key) {
            continue;
        }
        column.set(&mut nested, value.clone());
    }
    nested
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn titles_and_keys_name_the_same_columns() {
        assert_eq!(
            column("Recipient Org:Identifier").map(Column::label),
            Some("recipientOrganization[0].id".to_owned())
        );
        assert_eq!(
            column("RecipientOrgIdentifier").map(|c| c.title),
            Some("Recipient Org:Identifier")
        );
        assert_eq!(
            column(" planned dates:start date ").map(Column::label),
            Some("plannedDates[0].startDate".to_owned())
        );
        assert_eq!(column("id").map(|c| c.title), Some("Identifier"));
        assert!(column("Beneficiary Location:Name").is_none());
    }

    #[test]
    fn flattened_keys_are_lifted() {
        let grant = json!({
            "id": "360G-x-1",
            "RecipientOrgIdentifier": "GB-CHC-1",
            "RecipientOrgName": "A",
            "FundingOrgIdentifier": "GB-CHC-2",
            "fundingOrganization": [{"id": "GB-CHC-3", "name": "Kept"}],
            "Publisher": "ignored"
        });
        let lifted = lift(grant.as_object().unwrap());
        assert_eq!(
            lifted["recipientOrganization"],
            json!([{"id": "GB-CHC-1", "name": "A"}])
        );
        assert_eq!(
            lifted["fundingOrganization"],
            json!([{"id": "GB-CHC-3", "name": "Kept"}])
        );
    }
}
