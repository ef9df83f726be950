//! Scalars: `Date` (ISO 8601 calendar date) and `DateTime` (RFC 3339, UTC).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime as ChronoDateTime, NaiveDate, SecondsFormat, Utc};

/// A calendar date, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

/// A calendar date in ISO 8601 form, `YYYY-MM-DD`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => crate::dates::iso_date(s).map(Date).ok_or_else(|| {
                InputValueError::custom(format!(
                    "'{s}' is not a date in the form YYYY-MM-DD (a year from 0001 to 9999)"
                ))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// An instant in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub ChronoDateTime<Utc>);

/// An instant in RFC 3339 form, always in UTC (`2024-07-01T09:30:00Z`).
#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => ChronoDateTime::parse_from_rfc3339(s)
                .map(|t| DateTime(t.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(format!("'{s}' is not an RFC 3339 date-time"))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<NaiveDate> for Date {
    fn from(d: NaiveDate) -> Self {
        Date(d)
    }
}

impl From<ChronoDateTime<Utc>> for DateTime {
    fn from(t: ChronoDateTime<Utc>) -> Self {
        DateTime(t)
    }
}

/// Money in major units with two decimals, as a string (`"40000.00"`), beside its currency.
/// Stored as integer minor units, so it is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal(pub i64);

/// An exact decimal amount as a string with two decimals (`"40000.00"`); its currency is given
/// beside it.
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_minor_units(s).map(Decimal).ok_or_else(|| {
                InputValueError::custom(format!("'{s}' is not an amount such as \"1250.00\""))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        let sign = if self.0 < 0 { "-" } else { "" };
        let minor = self.0.unsigned_abs();
        Value::String(format!("{sign}{}.{:02}", minor / 100, minor % 100))
    }
}

/// `"1250"`, `"1250.5"`, `"1250.50"` → 125050; more than two decimals is refused.
fn parse_minor_units(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    let minor = whole.checked_mul(100)?.checked_add(fraction)?;
    Some(if negative { -minor } else { minor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip_exactly() {
        assert_eq!(
            Decimal(4_000_000).to_value(),
            Value::String("40000.00".into())
        );
        assert_eq!(Decimal(-5).to_value(), Value::String("-0.05".into()));
        assert_eq!(parse_minor_units("1250.5"), Some(125_050));
        assert_eq!(parse_minor_units("1250"), Some(125_000));
        assert_eq!(parse_minor_units("0.01"), Some(1));
        assert_eq!(parse_minor_units("1.234"), None);
        assert_eq!(parse_minor_units("1e3"), None);
        assert_eq!(parse_minor_units(""), None);
    }
}
