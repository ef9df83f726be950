//! Dates as users write them, read by one set of rules.

use chrono::{Datelike, NaiveDate};

/// A date written exactly `YYYY-MM-DD`: four-digit year from 0001 to 9999, two-digit month and
/// day. Stored dates are then always the same width, so they compare as dates on both backends
/// (SQLite compares them as text).
pub fn iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return None;
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    (date.year() >= 1).then_some(date)
}

/// For `clap`: a date argument in strict ISO form.
pub fn iso_date_arg(text: &str) -> Result<NaiveDate, String> {
    iso_date(text).ok_or_else(|| format!("'{text}' is not a date in the form YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict_iso() {
        assert_eq!(iso_date("2024-07-01"), NaiveDate::from_ymd_opt(2024, 7, 1));
        for bad in [
            "2024-7-1",
            "+10000-01-01",
            "0000-01-01",
            "2024-02-30",
            " 2024-07-01",
            "2024/07/01",
            "20240701",
            "2024-07-011",
        ] {
            assert_eq!(iso_date(bad), None, "{bad}");
        }
        assert!(iso_date("0001-01-01").is_some() && iso_date("9999-12-31").is_some());
    }
}
