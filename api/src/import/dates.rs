//! Reading dates as people write them in files saved from spreadsheets and funders' systems:
//! the one date reader of the grant and outcome imports.
//!
//! It reads what 360Giving's own tools read: ISO dates and timestamps (the date as written,
//! never shifted by an offset), UK day-first dates with or without a time (`26/03/2001 00:00`),
//! month-only (`08/2013`, `2013-08`) and year-only (`2013`) dates, and day, month name and year
//! (`19 April 2013`, `19 Apr 2013`, `19-Apr-2013`). Years run from 0001 to 9999.
//!
//! A month- or year-only date stands for a day chosen by its [`Bound`] (the first day for a
//! start or an award, the last for an end) and keeps its [`DatePrecision`], so that an export
//! can write it back as it was given. A slash date whose day and month are both 12 or less (and
//! differ) is read day first and flagged [`ReadDate::ambiguous`], for the import to report.

use crate::dates::iso_date;
pub use b2h_entity::enums::DatePrecision;
use chrono::{Datelike, NaiveDate};

/// The date forms [`read_date`] accepts, for problems to quote.
pub const DATE_FORMS: &str = "expected YYYY-MM-DD, an ISO timestamp, DD/MM/YYYY, MM/YYYY, \
     YYYY-MM, YYYY or a day, month name and year such as 19 April 2013";

/// Which day a month- or year-only date stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// The first day (start and award dates).
    First,
    /// The last day (end dates).
    Last,
}

/// A date read from text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadDate {
    pub date: NaiveDate,
    pub precision: DatePrecision,
    /// A slash date such as `03/04/2014` that could be read either way round (read day first).
    pub ambiguous: bool,
}

impl ReadDate {
    fn day(date: NaiveDate) -> Self {
        Self {
            date,
            precision: DatePrecision::Day,
            ambiguous: false,
        }
    }

    /// The date as 360Giving writes one of this precision: `2013-08-19`, `2013-08` or `2013`.
    pub fn as_written(date: NaiveDate, precision: DatePrecision) -> String {
        match precision {
            DatePrecision::Day => date.format("%Y-%m-%d").to_string(),
            DatePrecision::Month => date.format("%Y-%m").to_string(),
            DatePrecision::Year => date.format("%Y").to_string(),
        }
    }
}

/// Reads a date in any of the accepted forms; `None` for anything else, including impossible
/// dates such as `31/02/2014`. Surrounding whitespace is ignored.
pub fn read_date(text: &str, bound: Bound) -> Option<ReadDate> {
    let text = text.trim();
    if text.contains('/') {
        return slash_date(text, bound);
    }
    if text.bytes().any(|b| b.is_ascii_alphabetic()) && !is_iso_timestamp_shape(text) {
        return named_month_date(text, bound);
    }
    match text.len() {
        4 => month_or_year(year(text)?, None, bound),
        7 => {
            let (y, m) = text.split_once('-')?;
            month_or_year(year(y)?, Some(digits(m, 2..=2)?), bound)
        }
        _ => iso_date_time(text).map(ReadDate::day),
    }
}

/// Reads a whole date (day precision) the way [`read_date`] does, for fields that must name a
/// day (outcome periods): a month- or year-only date is `None`.
pub fn read_day(text: &str) -> Option<ReadDate> {
    read_date(text, Bound::First).filter(|d| d.precision == DatePrecision::Day)
}

/// `2020-04-28T…`: letters in it are the `T` and zone, not a month name.
fn is_iso_timestamp_shape(text: &str) -> bool {
    text.get(..10).is_some_and(|head| iso_date(head).is_some())
}

/// `YYYY-MM-DD` with an optional time (`T` or a space, then `HH:MM[:SS[.fff]]` and a zone).
fn iso_date_time(text: &str) -> Option<NaiveDate> {
    let date = iso_date(text.get(..10)?)?;
    let rest = text.get(10..)?;
    if rest.is_empty() {
        return Some(date);
    }
    let time = rest.strip_prefix(|c: char| matches!(c, 'T' | 't' | ' '))?;
    valid_time(time).then_some(date)
}

/// `DD/MM/YYYY` (optionally `D/M/YYYY` and a time after a space), or `MM/YYYY`.
fn slash_date(text: &str, bound: Bound) -> Option<ReadDate> {
    let (date_part, time) = match text.split_once(' ') {
        Some((date, time)) => (date, Some(time.trim())),
        None => (text, None),
    };
    if time.is_some_and(|t| !valid_time(t)) {
        return None;
    }
    let parts: Vec<&str> = date_part.splitn(4, '/').collect();
    match parts.as_slice() {
        [month, y] if time.is_none() => month_or_year(year(y)?, Some(digits(month, 1..=2)?), bound),
        [day, month, y] => {
            let (day, month) = (digits(day, 1..=2)?, digits(month, 1..=2)?);
            let date = NaiveDate::from_ymd_opt(year(y)?, month, day)?;
            Some(ReadDate {
                ambiguous: day <= 12 && month <= 12 && day != month,
                ..ReadDate::day(date)
            })
        }
        _ => None,
    }
}

/// `19 April 2013`, `19 Apr 2013`, `19-Apr-2013`, or a month name and year (`April 2013`).
fn named_month_date(text: &str, bound: Bound) -> Option<ReadDate> {
    let parts: Vec<&str> = text
        .split([' ', '-'])
        .filter(|p| !p.is_empty())
        .take(4)
        .collect();
    match parts.as_slice() {
        [month, y] => month_or_year(year(y)?, Some(month_number(month)?), bound),
        [day, month, y] => {
            let day = digits(
                day.trim_end_matches(|c: char| c.is_ascii_alphabetic()),
                1..=2,
            )?;
            NaiveDate::from_ymd_opt(year(y)?, month_number(month)?, day).map(ReadDate::day)
        }
        _ => None,
    }
}

/// `Jan`/`January` … `Dec`/`December` (also `Sept`), any case.
fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|month| month.starts_with(&name))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// The first or last day of a month (`month` given) or of a year.
fn month_or_year(year: i32, month: Option<u32>, bound: Bound) -> Option<ReadDate> {
    let (first, precision) = match month {
        Some(month) => (
            NaiveDate::from_ymd_opt(year, month, 1)?,
            DatePrecision::Month,
        ),
        None => (NaiveDate::from_ymd_opt(year, 1, 1)?, DatePrecision::Year),
    };
    let date = match (bound, precision) {
        (Bound::First, _) => first,
        (Bound::Last, DatePrecision::Year) => NaiveDate::from_ymd_opt(year, 12, 31)?,
        (Bound::Last, _) => last_of_month(first)?,
    };
    Some(ReadDate {
        date,
        precision,
        ambiguous: false,
    })
}

fn last_of_month(first: NaiveDate) -> Option<NaiveDate> {
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    // December 9999 has no next month in range: its last day is the 31st.
    next.and_then(|n| n.pred_opt())
        .or_else(|| NaiveDate::from_ymd_opt(first.year(), 12, 31))
}

/// A four-digit year from 0001 to 9999.
fn year(text: &str) -> Option<i32> {
    digits(text, 4..=4)
        .filter(|y| *y >= 1)
        .and_then(|y| i32::try_from(y).ok())
}

/// `part` as a number if it is all ASCII digits and its length is in `lengths`.
fn digits(part: &str, lengths: std::ops::RangeInclusive<usize>) -> Option<u32> {
    if lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

/// The part of a timestamp after the date: `HH:MM[:SS[.fff]]` and an optional `Z`, `±HH:MM`,
/// `±HHMM` or `±HH` offset.
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
    digits(hour, 1..=2).is_some_and(|h| h < 24)
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

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn day_of(text: &str) -> Option<NaiveDate> {
        read_date(text, Bound::First)
            .filter(|d| d.precision == DatePrecision::Day)
            .map(|d| d.date)
    }

    fn read(text: &str, bound: Bound) -> (NaiveDate, DatePrecision) {
        let read = read_date(text, bound).unwrap_or_else(|| panic!("{text:?} not read"));
        (read.date, read.precision)
    }

    #[test]
    fn uk_dates_are_day_first_with_or_without_a_time() {
        assert_eq!(day_of("17/03/2014"), Some(date(2014, 3, 17)));
        assert_eq!(day_of("7/3/2014"), Some(date(2014, 3, 7)));
        assert_eq!(day_of(" 17/03/2014 "), Some(date(2014, 3, 17)));
        assert_eq!(day_of("26/03/2001 00:00"), Some(date(2001, 3, 26)));
        assert_eq!(day_of("26/03/2001 14:05:09"), Some(date(2001, 3, 26)));
        assert_eq!(day_of("26/03/2001 9:05"), Some(date(2001, 3, 26)));
    }

    #[test]
    fn ambiguous_slash_dates_are_read_day_first_and_flagged() {
        let read = read_date("03/04/2014", Bound::First).unwrap();
        assert_eq!(read.date, date(2014, 4, 3));
        assert!(read.ambiguous);
        assert!(read_date("05/12/2014", Bound::First).unwrap().ambiguous);
        // Either way round the same day, or only one reading possible: not ambiguous.
        assert!(!read_date("05/05/2014", Bound::First).unwrap().ambiguous);
        assert!(!read_date("13/04/2014", Bound::First).unwrap().ambiguous);
        assert!(!read_date("2014-04-03", Bound::First).unwrap().ambiguous);
    }

    #[test]
    fn iso_dates_and_timestamps_keep_the_written_date() {
        assert_eq!(day_of("2020-04-28"), Some(date(2020, 4, 28)));
        assert_eq!(day_of("2020-04-28T00:00:00+00:00"), Some(date(2020, 4, 28)));
        assert_eq!(day_of("2020-04-28T23:30:00Z"), Some(date(2020, 4, 28)));
        assert_eq!(day_of("2020-04-28T23:30:00"), Some(date(2020, 4, 28)));
        assert_eq!(
            day_of("2020-04-28T23:30:00.123-05:00"),
            Some(date(2020, 4, 28))
        );
        assert_eq!(day_of("2020-04-28T01:00:00+0100"), Some(date(2020, 4, 28)));
        // Never shifted by the offset: midnight at +01:00 is still the 1st.
        assert_eq!(day_of("2020-01-01T00:00:00+01:00"), Some(date(2020, 1, 1)));
        assert_eq!(day_of("2020-04-28 09:15"), Some(date(2020, 4, 28)));
        assert_eq!(day_of("2015-03-01 00:00:00.000000"), Some(date(2015, 3, 1)));
    }

    #[test]
    fn month_and_year_dates_keep_their_precision() {
        use DatePrecision::{Month, Year};
        assert_eq!(read("08/2013", Bound::First), (date(2013, 8, 1), Month));
        assert_eq!(read("8/2013", Bound::Last), (date(2013, 8, 31), Month));
        assert_eq!(read("2013-08", Bound::First), (date(2013, 8, 1), Month));
        assert_eq!(read("2013-08", Bound::Last), (date(2013, 8, 31), Month));
        assert_eq!(read("2012-02", Bound::Last), (date(2012, 2, 29), Month));
        assert_eq!(read("2013", Bound::First), (date(2013, 1, 1), Year));
        assert_eq!(read("2013", Bound::Last), (date(2013, 12, 31), Year));
        assert_eq!(read("9999-12", Bound::Last), (date(9999, 12, 31), Month));
        assert_eq!(read("April 2013", Bound::Last), (date(2013, 4, 30), Month));
        assert_eq!(read_day("08/2013"), None);
        assert_eq!(
            ReadDate::as_written(date(2013, 8, 31), Month),
            "2013-08".to_owned()
        );
        assert_eq!(ReadDate::as_written(date(2013, 1, 1), Year), "2013");
        assert_eq!(
            ReadDate::as_written(date(2013, 1, 1), DatePrecision::Day),
            "2013-01-01"
        );
    }

    #[test]
    fn month_names_are_read() {
        assert_eq!(day_of("19 April 2013"), Some(date(2013, 4, 19)));
        assert_eq!(day_of("19 Apr 2013"), Some(date(2013, 4, 19)));
        assert_eq!(day_of("19 apr 2013"), Some(date(2013, 4, 19)));
        assert_eq!(day_of("19-Apr-2013"), Some(date(2013, 4, 19)));
        assert_eq!(day_of("1 Sept 2013"), Some(date(2013, 9, 1)));
        assert_eq!(day_of("1st September 2013"), Some(date(2013, 9, 1)));
        assert_eq!(day_of("31 Feb 2013"), None);
        assert_eq!(day_of("19 Ap 2013"), None);
        assert_eq!(day_of("19 Month 2013"), None);
    }

    #[test]
    fn other_dates_are_refused() {
        for text in [
            "",
            "yesterday",
            "GBP",
            "25000",
            "31/02/2014",
            "2014-02-30",
            "2014/03/17",
            "17-03-2014",
            "17/03/14",
            "17/3/2014/1",
            "13/2013",
            "00/2013",
            "0000",
            "0000-01-01",
            "10000",
            "2020-4-28",
            "20200428",
            "2020-04-28T",
            "2020-04-28T25:00:00",
            "2020-04-28T10:00:00+25:00",
            "2020-04-28Tnoon",
            "2020-04-28T10:00:00+é1",
            "26/03/2001 25:00",
            "08/2013 00:00",
        ] {
            assert_eq!(read_date(text, Bound::First), None, "{text:?}");
        }
    }
}
