//! Numbers and dates as a British reader expects them: "12,345", "1,234.5", "1 April 2024".

use chrono::NaiveDate;

/// An integer with thousands separators.
pub fn int(n: i64) -> String {
    let digits = group(&n.unsigned_abs().to_string());
    if n < 0 { format!("-{digits}") } else { digits }
}

/// A string of digits with a comma every three from the right.
fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number with `decimals` decimals and thousands separators ("1,234.50").
pub fn number(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "–".to_owned();
    }
    let text = format!("{:.*}", decimals, v.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text.as_str(), None),
    };
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match fraction {
        Some(f) => format!("{sign}{}.{f}", group(whole)),
        None => format!("{sign}{}", group(whole)),
    }
}

/// A money amount in minor units, with its currency ("£1,200.00", "EUR 5.00").
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let major = int((minor / 100).abs());
    let cents = (minor % 100).abs();
    match currency {
        "GBP" => format!("{sign}£{major}.{cents:02}"),
        other => format!("{sign}{other} {major}.{cents:02}"),
    }
}

/// "1 project", "3 projects".
pub fn count(n: usize, one: &str, many: &str) -> String {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    format!("{} {}", int(n), if n == 1 { one } else { many })
}

/// A stored snake_case value as words ("waiting_well" → "Waiting well").
pub fn label(value: &str) -> String {
    let words = value.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "1 April 2024".
pub fn date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// "April 2024".
pub fn month(d: NaiveDate) -> String {
    d.format("%B %Y").to_string()
}

/// "Apr 2024" (chart axes).
pub fn month_short(d: NaiveDate) -> String {
    d.format("%b %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_written() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(-1234567), "-1,234,567");
        assert_eq!(number(1234.5, 1), "1,234.5");
        assert_eq!(number(-0.04, 1), "0.0");
        assert_eq!(number(-12.5, 0), "-12");
        assert_eq!(number(1e19, 0), "10,000,000,000,000,000,000");
        assert_eq!(money(120000, "GBP"), "£1,200.00");
        assert_eq!(money(-5, "EUR"), "-EUR 0.05");
        let d = NaiveDate::from_ymd_opt(2024, 4, 1).unwrap_or_default();
        assert_eq!(date(d), "1 April 2024");
        assert_eq!(month_short(d), "Apr 2024");
        assert_eq!(label("waiting_well"), "Waiting well");
    }
}
