//! Amounts as funders write them: JSON numbers, or text with thousands separators and a
//! currency sign or code (`£50,000`, `"50,000.00"`, `GBP 1,000`), into minor units.

use serde_json::Value;

/// The largest amount accepted, in major units (pounds for GBP).
const MAX_AMOUNT: f64 = 1e13;
const MAX_WHOLE_AMOUNT: u64 = 10_000_000_000_000;
const MAX_AMOUNT_TEXT: &str = "10,000,000,000,000";
/// How far (in major units) an amount may sit from a whole number of minor units, to absorb
/// binary floating-point noise such as `0.30000000000000004`.
const DECIMAL_TOLERANCE: f64 = 1e-6;
/// Currency signs and the ISO 4217 code each stands for.
const SIGNS: &[(char, &str)] = &[('£', "GBP"), ('€', "EUR"), ('$', "USD")];

/// An amount in minor units, with the currency its text named (`£`, `GBP 1,000`), if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amount {
    pub minor: i64,
    pub currency: Option<String>,
}

/// Converts an amount to minor units (pence for GBP).
///
/// Accepts a JSON number (integer or decimal) or text holding a decimal number, optionally
/// with thousands separators grouped by three (`"1,250.50"`; the European `1,25` is refused
/// rather than misread) and a currency sign or three-letter code before or after it. The
/// amount must be finite, not negative, at most 10,000,000,000,000 major units, and have at
/// most two decimal places (within 1e-6 for floating-point noise). The error reads after the
/// field name, e.g. `"1.234 has more than 2 decimal places"`.
pub fn amount_in_minor_units(value: &Value) -> Result<Amount, String> {
    let plain = |minor| Amount {
        minor,
        currency: None,
    };
    match value {
        Value::Number(number) => {
            let shown = number.to_string();
            if let Some(whole) = number.as_u64() {
                whole_minor_units(whole, &shown).map(plain)
            } else if number.as_i64().is_some() {
                Err(format!("{shown} is negative"))
            } else if let Some(amount) = number.as_f64() {
                float_minor_units(amount, &shown).map(plain)
            } else {
                Err(format!("{shown} is not a usable number"))
            }
        }
        Value::String(text) => text_minor_units(text),
        other => Err(format!(
            "must be a number or numeric text, found {}",
            super::describe(other)
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

fn text_minor_units(text: &str) -> Result<Amount, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("is blank".to_owned());
    }
    let shown = format!("'{trimmed}'");
    let not_a_number = || {
        format!("{shown} is not a number (expected digits such as 1250.50, 1,250.50 or £1,250.50)")
    };
    let (currency, number) = split_currency(trimmed).ok_or_else(not_a_number)?;
    let (negative, unsigned) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number.strip_prefix('+').unwrap_or(number)),
    };
    let plain = plain_decimal(unsigned).ok_or_else(not_a_number)?;
    let amount: f64 = plain.parse().map_err(|_| not_a_number())?;
    if negative && amount > 0.0 {
        return Err(format!("{shown} is negative"));
    }
    Ok(Amount {
        minor: float_minor_units(amount, &shown)?,
        currency,
    })
}

/// Splits off a currency sign (`£1,000`, `1,000£`) or code (`GBP 1,000`, `1000 GBP`); `None`
/// when the text has letters that are not one code.
fn split_currency(text: &str) -> Option<(Option<String>, &str)> {
    for &(sign, code) in SIGNS {
        if let Some(rest) = text.strip_prefix(sign).or_else(|| text.strip_suffix(sign)) {
            return Some((Some(code.to_owned()), rest.trim()));
        }
    }
    let code = |part: &str| part.len() == 3 && part.bytes().all(|b| b.is_ascii_alphabetic());
    if let Some((head, rest)) = text.split_once(' ')
        && code(head)
    {
        return Some((Some(head.to_ascii_uppercase()), rest.trim()));
    }
    if let Some((rest, tail)) = text.rsplit_once(' ')
        && code(tail)
    {
        return Some((Some(tail.to_ascii_uppercase()), rest.trim()));
    }
    if text.chars().any(char::is_alphabetic) {
        return None;
    }
    Some((None, text))
}

/// `1,250.50` → `1250.50`. Digits with an optional fraction; thousands separators must group
/// by three.
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minor(value: Value) -> Result<i64, String> {
        amount_in_minor_units(&value).map(|a| a.minor)
    }

    #[test]
    fn amounts_become_minor_units() {
        assert_eq!(minor(json!(50000.0)), Ok(5_000_000));
        assert_eq!(minor(json!(702428.4)), Ok(70_242_840));
        assert_eq!(minor(json!(8727.86)), Ok(872_786));
        assert_eq!(minor(json!(100000)), Ok(10_000_000));
        assert_eq!(minor(json!(0)), Ok(0));
        assert_eq!(minor(json!("1,250.50")), Ok(125_050));
        assert_eq!(minor(json!("50,000.00")), Ok(5_000_000));
        assert_eq!(minor(json!(" 50000.000 ")), Ok(5_000_000));
        assert_eq!(minor(json!("1,000,000")), Ok(100_000_000));
        assert_eq!(minor(json!(0.1 + 0.2)), Ok(30));
        assert_eq!(
            minor(json!(10_000_000_000_000_u64)),
            Ok(1_000_000_000_000_000)
        );
    }

    #[test]
    fn currency_signs_and_codes_are_read() {
        let read = |text: &str| amount_in_minor_units(&json!(text)).unwrap();
        assert_eq!(
            read("£50,000"),
            Amount {
                minor: 5_000_000,
                currency: Some("GBP".to_owned())
            }
        );
        assert_eq!(read("GBP 1,000").minor, 100_000);
        assert_eq!(read("GBP 1,000").currency.as_deref(), Some("GBP"));
        assert_eq!(read("1000 usd").currency.as_deref(), Some("USD"));
        assert_eq!(read("€ 12.50").currency.as_deref(), Some("EUR"));
        assert_eq!(read("$5").minor, 500);
        assert_eq!(read("50,000.00").currency, None);
    }

    #[test]
    fn unusable_amounts_are_refused() {
        let negative = minor(json!(-5)).unwrap_err();
        assert!(negative.contains("negative"), "{negative}");
        let negative = minor(json!(-5.5)).unwrap_err();
        assert!(negative.contains("negative"), "{negative}");
        let negative = minor(json!("-1,000")).unwrap_err();
        assert!(negative.contains("negative"), "{negative}");
        let negative = minor(json!("£-1,000")).unwrap_err();
        assert!(negative.contains("negative"), "{negative}");
        assert_eq!(
            minor(json!(1.234)).unwrap_err(),
            "1.234 has more than 2 decimal places"
        );
        for bad in [
            json!("1,25"),
            json!("12,34.5"),
            json!("1.2.3"),
            json!("1e5"),
            json!("NaN"),
            json!("05/12/2014"),
            json!("GBP"),
            json!("fifty pounds"),
            json!("£"),
            json!(""),
            json!(true),
            json!(null),
            json!([100]),
            json!(10_000_000_000_001_u64),
            json!(2e13),
        ] {
            assert!(minor(bad.clone()).is_err(), "{bad}");
        }
    }
}
