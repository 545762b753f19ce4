//! Reading the numbers exchanges write: `$1,234.56`, `-€597.49846`, `($53.62)`,
//! `(0.035 BTC)`, `0.2092 BTC `, `43.7000000000VET`, `2.103e-05`, `249.73 USD`.
//!
//! Everything is parsed straight into `rust_decimal::Decimal`; no binary float is
//! ever involved. A comma is accepted only as a thousands separator in groups of
//! three (`1,234.5`); anything else (`0,00087766`) is refused, because a decimal
//! comma cannot be told apart from a thousands comma.

use rust_decimal::Decimal;

/// A parsed amount: the signed value and the unit glued or appended to it, if any
/// (`43.7VET` gives `VET`, `249.73 USD` gives `USD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    pub value: Decimal,
    pub unit: Option<String>,
}

/// Parses an amount cell. `Ok(None)` for an empty cell (or one holding only
/// spaces).
pub fn parse_amount(cell: &str) -> Result<Option<Amount>, String> {
    let mut s = cell.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') {
        negative = true;
        s = s[1..s.len() - 1].trim();
    }
    if let Some(rest) = s.strip_prefix('-') {
        negative = !negative;
        s = rest.trim_start();
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest.trim_start();
    }
    // A currency symbol or code before the digits: `$`, `€`, `£`, `Kč`, `US$`.
    let start = s
        .char_indices()
        .find(|&(_, c)| c.is_ascii_digit() || c == '.' || c == '-')
        .map(|(i, _)| i)
        .ok_or_else(|| "is not a number".to_string())?;
    let prefix = &s[..start];
    if prefix
        .chars()
        .any(|c| c.is_ascii_digit() || c == ',' || c == '(' || c == ')')
    {
        return Err("is not a number".into());
    }
    // Only a currency may stand before the digits: a symbol (`$`, `€`, `US$`,
    // `Kč`) or a three-letter code (`USD 12.50`). A letter or word (`x2`,
    // `abc 5`) is a typo, never a quantity to read as 2 or 5.
    let p = prefix.trim();
    let currency = p.is_empty()
        || p.chars()
            .any(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace())
        || p.len() == 3 && p.chars().all(|c| c.is_ascii_uppercase());
    if !currency {
        return Err("is not a number".into());
    }
    s = &s[start..];
    if let Some(rest) = s.strip_prefix('-') {
        if negative || !prefix.is_empty() && prefix.trim().is_empty() {
            return Err("has two signs".into());
        }
        negative = true;
        s = rest;
    }
    // The numeric part: digits, commas, one dot, then an optional exponent.
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b',' || b[i] == b'.') {
        i += 1;
    }
    let mantissa = &s[..i];
    let mut exponent = "";
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let digits_from = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        // `1.5EOS` is a unit, `1.5E-05` an exponent.
        let unit_follows = j < b.len() && b[j].is_ascii_alphabetic();
        if j > digits_from && !unit_follows {
            exponent = &s[i + 1..j];
            i = j;
        }
    }
    let unit = s[i..].trim();
    let unit_ok = unit.is_empty()
        || unit.starts_with(|c: char| c.is_alphabetic())
            && unit
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == '_');
    if !unit_ok {
        return Err("is not a number".into());
    }
    let plain = strip_thousands(mantissa)?;
    if plain.is_empty() || plain == "." {
        return Err("is not a number".into());
    }
    let mut value = if exponent.is_empty() {
        Decimal::from_str_exact(&plain).map_err(|_| too_precise(&plain))?
    } else {
        Decimal::from_scientific(&format!("{plain}e{exponent}"))
            .map_err(|_| "exponent is out of range".to_string())?
    };
    if negative {
        value = -value;
    }
    Ok(Some(Amount {
        value,
        unit: (!unit.is_empty()).then(|| unit.to_string()),
    }))
}

/// Parses a cell that must be a number or empty, ignoring any unit.
pub fn parse_number(cell: &str) -> Result<Option<Decimal>, String> {
    Ok(parse_amount(cell)?.map(|a| a.value))
}

fn too_precise(s: &str) -> String {
    if s.chars().filter(|c| c.is_ascii_digit()).count() > 28 {
        "has more than 28 significant digits".into()
    } else {
        "is not a number".into()
    }
}

fn strip_thousands(m: &str) -> Result<String, String> {
    if !m.contains(',') {
        if m.matches('.').count() > 1 {
            return Err("has more than one decimal point".into());
        }
        return Ok(m.to_string());
    }
    let (int, frac) = match m.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (m, None),
    };
    if frac.is_some_and(|f| f.contains(',') || f.contains('.')) {
        return Err("has a comma after the decimal point".into());
    }
    let groups: Vec<&str> = int.split(',').collect();
    let ok =
        !groups[0].is_empty() && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3);
    if !ok {
        return Err(
            "has a comma that is not a thousands separator (decimal commas are not accepted)"
                .into(),
        );
    }
    let mut out = groups.concat();
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    Ok(out)
}

/// The ledger spelling of a quantity or money amount: plain digits, no exponent,
/// no trailing zeros, never negative zero.
pub fn fmt_decimal(d: Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        "0".into()
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> String {
        fmt_decimal(parse_amount(s).unwrap().unwrap().value)
    }
    fn unit(s: &str) -> Option<String> {
        parse_amount(s).unwrap().unwrap().unit
    }

    #[test]
    fn exchange_spellings() {
        assert_eq!(v("$1,234.56"), "1234.56");
        assert_eq!(v("$4,478.35 "), "4478.35");
        assert_eq!(v("-€597.49846"), "-597.49846");
        assert_eq!(v("-$2,280.10"), "-2280.1");
        assert_eq!(v("($53.62)"), "-53.62");
        assert_eq!(v("(0.035 BTC)"), "-0.035");
        assert_eq!(v("0.2092 BTC "), "0.2092");
        assert_eq!(v("43.7000000000VET"), "43.7");
        assert_eq!(unit("43.7000000000VET").as_deref(), Some("VET"));
        assert_eq!(unit("249.73 USD").as_deref(), Some("USD"));
        assert_eq!(v("2.103e-05"), "0.00002103");
        assert_eq!(v("-3.605E-05"), "-0.00003605");
        assert_eq!(v("1.0e-08"), "0.00000001");
        assert_eq!(v("4.9751199256E-05"), "0.000049751199256");
        assert_eq!(v("Kč16233.43638"), "16233.43638");
        assert_eq!(v("€3102.3217898325970226955"), "3102.3217898325970226955");
        assert_eq!(v("1.5EOS"), "1.5");
        assert_eq!(unit("1.5EOS").as_deref(), Some("EOS"));
        assert_eq!(v("0"), "0");
        assert_eq!(v("-0.00"), "0");
        assert_eq!(parse_amount("  ").unwrap(), None);
    }

    #[test]
    fn refuses_ambiguous_or_broken() {
        assert!(parse_amount("0,00087766").is_err());
        assert!(parse_amount("1,5").is_err());
        assert!(parse_amount("abc").is_err());
        assert!(parse_amount("1.2.3").is_err());
        assert!(parse_amount("12 34").is_err());
        assert!(parse_amount("1e999").is_err());
        // A letter before the digits is a typo, not a currency: `x2` is not 2.
        assert!(parse_amount("x2").is_err());
        assert!(parse_amount("abc 5").is_err());
        assert!(parse_amount("Usd 5").is_err());
        assert_eq!(v("USD 12.50"), "12.5");
        assert_eq!(v("US$3"), "3");
        assert_eq!(v("Kč 100"), "100");
    }
}
