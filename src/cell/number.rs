//! Numbers in cells: how money, quantities and prices are written, and how an
//! exact decimal is read. Never a binary float.

use rust_decimal::{Decimal, RoundingStrategy};

/// Why a cell is not an exact, non-negative decimal below [`MAX_AMOUNT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumberProblem {
    #[error("is not a decimal number (write it like 1234.56, without separators or symbols)")]
    NotANumber,
    #[error("has more digits than an exact decimal holds (28 significant digits): shorten it")]
    TooPrecise,
    #[error("is too large: amounts, quantities and prices must be below 10^15")]
    TooLarge,
    #[error(
        "is negative: quantities and values are positive, the direction comes from sent/received"
    )]
    Negative,
}

/// Rounds to cents, half away from zero.
///
/// One integer division of the digits: rust_decimal's rounding took about 300
/// instructions (600 for the 28-digit results of a division), and a Form 8949
/// row rounds three amounts. The result is the same value, scale and sign as
/// [`Decimal::round_dp_with_strategy`]'s (see the tests).
pub fn cents(d: Decimal) -> Decimal {
    let scale = d.scale();
    // A zero keeps its sign (rust_decimal's rule), and is rare.
    if scale <= 2 || d.is_zero() {
        return d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    }
    // The digits are below 2^96 and the divisor at most 10^26.
    let a = d.mantissa().unsigned_abs();
    let p = POW10_WIDE[(scale - 2) as usize];
    let (q, r) = match (u64::try_from(a), u64::try_from(p)) {
        // Nearly every amount: a 64-bit division, not a 128-bit one.
        (Ok(a), Ok(p)) => (u128::from(a / p), u128::from(a % p)),
        _ => (a / p, a % p),
    };
    // Half away from zero: up when the rest is at least half of p.
    let q = if r >= p - r { q + 1 } else { q };
    // q is at most 2^96 / 10 + 1: it fits a Decimal's 96 bits. A rounding to
    // zero has no sign, as rust_decimal's.
    Decimal::from_parts(
        q as u32,
        (q >> 32) as u32,
        (q >> 64) as u32,
        d.is_sign_negative(),
        2,
    )
}

/// 10^n for the scales of a Decimal less two.
const POW10_WIDE: [u128; 27] = {
    let mut t = [1u128; 27];
    let mut i = 1;
    while i < t.len() {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Money as written everywhere: two decimals, no negative zero.
pub fn money(d: Decimal) -> String {
    Money(d).to_string()
}

/// A quantity: exact, without trailing zeros.
pub fn qty(d: Decimal) -> String {
    Qty(d).to_string()
}

/// Displays money with two decimals and no negative zero, without allocating.
#[derive(Debug, Clone, Copy)]
pub struct Money(pub Decimal);

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Integer cents, written by hand: Decimal's own Display is general and
        // slow, and a year of rows writes millions of amounts.
        let m = money_cents(self.0);
        if m == 0 {
            return f.write_str("0.00");
        }
        // Every amount harvest writes is below 10^15 (2^64 cents is 1.8e17):
        // its digits are made with 64-bit divisions, not 128-bit ones.
        match u64::try_from(m.unsigned_abs()) {
            Ok(u) => write_fixed(f, m < 0, u, 2),
            Err(_) => {
                let (sign, u) = (if m < 0 { "-" } else { "" }, m.unsigned_abs());
                write!(f, "{sign}{}.{:02}", u / 100, u % 100)
            }
        }
    }
}

/// `d` in whole cents, rounded as [`cents`] rounds (an amount in cents
/// already, as a Form 8949 row's are, is not rounded again).
fn money_cents(d: Decimal) -> i128 {
    if d.scale() == 2 {
        return d.mantissa();
    }
    let mut c = cents(d);
    c.rescale(2);
    c.mantissa()
}

/// Displays a date as the forms write it, MM/DD/YYYY, without parsing a
/// format string on every date (chrono's `format` does).
#[derive(Debug, Clone, Copy)]
pub struct UsDate(pub chrono::NaiveDate);

impl std::fmt::Display for UsDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::Datelike;
        let d = self.0;
        let y = d.year();
        if !(0..=9999).contains(&y) {
            return write!(f, "{}", d.format("%m/%d/%Y"));
        }
        let (m, day, y) = (d.month() as u8, d.day() as u8, y as u16);
        let digit = |n: u16| b'0' + (n % 10) as u8;
        let buf = [
            b'0' + m / 10,
            b'0' + m % 10,
            b'/',
            b'0' + day / 10,
            b'0' + day % 10,
            b'/',
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
        ];
        // SAFETY: ASCII digits and slashes only.
        f.write_str(unsafe { std::str::from_utf8_unchecked(&buf) })
    }
}

/// Displays a date as chrono does, YYYY-MM-DD, at a small part of the cost
/// (chrono's `Display` goes through its `Debug` and formats each part): a
/// Form 8949 row has two, and a large year writes millions.
#[derive(Debug, Clone, Copy)]
pub struct IsoDate(pub chrono::NaiveDate);

impl std::fmt::Display for IsoDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        let Some(buf) = iso_bytes(d) else {
            return write!(f, "{d}");
        };
        // SAFETY: ASCII digits and dashes only. Written as chrono writes a
        // date: a width or alignment asked for is ignored.
        f.write_str(unsafe { std::str::from_utf8_unchecked(&buf) })
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Displays a quantity exactly, without trailing zeros, without allocating.
#[derive(Debug, Clone, Copy)]
pub struct Qty(pub Decimal);

impl std::fmt::Display for Qty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match qty_digits(self.0) {
            Some((negative, m, scale)) => write_fixed(f, negative, m, scale),
            None => write!(f, "{}", self.0.normalize()),
        }
    }
}

/// A quantity's sign, digits and decimals without trailing zeros (zero is
/// `0`), when its mantissa fits 64 bits (every quantity with fewer than 20
/// significant digits), for the digits by hand, as for Money; `None` leaves
/// it to Decimal's `normalize` and Display.
fn qty_digits(d: Decimal) -> Option<(bool, u64, u32)> {
    let m = d.mantissa();
    let mut u = u64::try_from(m.unsigned_abs()).ok()?;
    if u == 0 {
        return Some((false, 0, 0));
    }
    let mut scale = d.scale();
    while scale > 0 && u % 10 == 0 {
        u /= 10;
        scale -= 1;
    }
    Some((m < 0, u, scale))
}

/// Writes `-` when `negative`, then `m / 10^scale` with exactly `scale`
/// decimals (none without a point) and at least one digit before the point:
/// the digits made with 64-bit divisions into a buffer on the stack.
fn write_fixed(
    f: &mut std::fmt::Formatter<'_>,
    negative: bool,
    m: u64,
    scale: u32,
) -> std::fmt::Result {
    let mut buf = [0u8; FIXED];
    let at = fixed_digits(&mut buf, m, scale);
    if negative {
        f.write_str("-")?;
    }
    // SAFETY: only ASCII digits and a point were written there.
    f.write_str(unsafe { std::str::from_utf8_unchecked(&buf[at..]) })
}

/// Room for [`fixed_digits`]: 20 digits, a point, a leading zero and up to 28
/// decimals.
const FIXED: usize = 52;

/// Writes `m / 10^scale` as [`write_fixed`] does, without the sign, at the end
/// of `buf`, and returns where it starts.
fn fixed_digits(buf: &mut [u8; FIXED], mut m: u64, scale: u32) -> usize {
    let mut at = buf.len();
    for _ in 0..scale {
        at -= 1;
        buf[at] = b'0' + (m % 10) as u8;
        m /= 10;
    }
    if scale > 0 {
        at -= 1;
        buf[at] = b'.';
    }
    loop {
        at -= 1;
        buf[at] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    at
}

/// Appends `-` when `negative`, then `m / 10^scale` as [`write_fixed`] does.
fn push_fixed(out: &mut Vec<u8>, negative: bool, m: u64, scale: u32) {
    let mut buf = [0u8; FIXED];
    let at = fixed_digits(&mut buf, m, scale);
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[at..]);
}

/// Appends [`Money`]'s text to `out`, byte for byte, without going through
/// `fmt`: the Form 8949 lines of a large year write millions of amounts, and
/// the formatting machinery cost more than the digits.
pub fn push_money(out: &mut Vec<u8>, d: Decimal) {
    let m = money_cents(d);
    if m == 0 {
        out.extend_from_slice(b"0.00");
        return;
    }
    match u64::try_from(m.unsigned_abs()) {
        Ok(u) => push_fixed(out, m < 0, u, 2),
        Err(_) => {
            use std::io::Write as _;
            let _ = write!(out, "{}", Money(d));
        }
    }
}

/// Appends [`Qty`]'s text to `out`, as [`push_money`] does for [`Money`].
pub fn push_qty(out: &mut Vec<u8>, d: Decimal) {
    match qty_digits(d) {
        Some((negative, m, scale)) => push_fixed(out, negative, m, scale),
        None => {
            use std::io::Write as _;
            let _ = write!(out, "{}", Qty(d));
        }
    }
}

/// Appends [`IsoDate`]'s text to `out`, as [`push_money`] does for [`Money`].
pub fn push_iso_date(out: &mut Vec<u8>, d: chrono::NaiveDate) {
    match iso_bytes(d) {
        Some(b) => out.extend_from_slice(&b),
        None => {
            use std::io::Write as _;
            let _ = write!(out, "{d}");
        }
    }
}

/// YYYY-MM-DD for the years 0 to 9999.
fn iso_bytes(d: chrono::NaiveDate) -> Option<[u8; 10]> {
    use chrono::Datelike;
    let y = d.year();
    if !(0..=9999).contains(&y) {
        return None;
    }
    let (m, day, y) = (d.month() as u8, d.day() as u8, y as u16);
    let digit = |n: u16| b'0' + (n % 10) as u8;
    Some([
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        b'0' + m / 10,
        b'0' + m % 10,
        b'-',
        b'0' + day / 10,
        b'0' + day % 10,
    ])
}

impl serde::Serialize for Qty {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A unit price: up to 8 decimals, at least 2.
pub fn price(d: Decimal) -> String {
    let r = d.round_dp(8).normalize();
    if r.scale() < 2 {
        format!("{r:.2}")
    } else {
        r.to_string()
    }
}

/// Appends [`price`]'s text to `out`, as [`push_money`] does for [`Money`]:
/// the digits rounded to 8 decimals (half to even, as `round_dp`) with one
/// integer division, where `round_dp` and `normalize` took about 800
/// instructions for a unit basis of 28 digits.
pub fn push_price(out: &mut Vec<u8>, d: Decimal) {
    let mut m = d.mantissa().unsigned_abs();
    let mut scale = d.scale();
    if scale > 8 {
        let p = POW10_WIDE[(scale - 8) as usize];
        let (q, r) = (m / p, m % p);
        // Half to even: up past half, and at half when q is odd.
        m = if r > p - r || (r == p - r && q % 2 == 1) {
            q + 1
        } else {
            q
        };
        scale = 8;
    }
    while scale > 0 && m.is_multiple_of(10) && m != 0 {
        m /= 10;
        scale -= 1;
    }
    if scale < 2 {
        m *= POW10_WIDE[(2 - scale) as usize];
        scale = 2;
    }
    match u64::try_from(m) {
        // A zero (its sign is rust_decimal's to say) and 20-digit prices take
        // the long way.
        Ok(u) if u != 0 => push_fixed(out, d.is_sign_negative(), u, scale),
        _ => out.extend_from_slice(price(d).as_bytes()),
    }
}

/// Every quantity, value and price is below this (10^15).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2764472320, 232830, 0, false, 0);

/// An integer in the order of the Decimals (sorting by it is sorting by the
/// value, with integer comparisons): a sign bit, then for a positive
/// value the position of its first digit and its digits, left-aligned to 29
/// places (a Decimal has at most 29 significant digits and 28 decimals).
pub fn order_key(d: Decimal) -> u128 {
    const SIGN: u128 = 1 << 127;
    let m = d.mantissa().unsigned_abs();
    if m == 0 {
        return SIGN;
    }
    let digits = m.ilog10() + 1;
    // Position of the first digit, shifted to be positive: 1..=57.
    let exp = u128::from(digits + 28 - d.scale());
    let magnitude = (exp << 97) | (m * 10u128.pow(29 - digits));
    if d.is_sign_negative() {
        SIGN - magnitude
    } else {
        SIGN | magnitude
    }
}

/// Parses an exact, non-negative decimal, as the ledger writes them.
pub fn parse_decimal(s: &str) -> Result<Decimal, NumberProblem> {
    let t = s.trim_ascii();
    if let Some(d) = parse_plain(t.as_bytes()) {
        return d;
    }
    match Decimal::from_str_exact(t) {
        Ok(d) if d.is_sign_negative() && !d.is_zero() => Err(NumberProblem::Negative),
        // Far above any real holding or price, and it keeps every sum and
        // product of amounts inside Decimal's 28 digits.
        Ok(d) if d.abs() >= MAX_AMOUNT => Err(NumberProblem::TooLarge),
        Ok(d) => Ok(d.abs()),
        Err(_) => {
            let digits = t.trim_start_matches(['-', '+']);
            let numeric = !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
                && digits.matches('.').count() <= 1;
            if numeric {
                Err(NumberProblem::TooPrecise)
            } else {
                Err(NumberProblem::NotANumber)
            }
        }
    }
}

/// The fast path for the common cell: ASCII digits with at most one point (not
/// first or last) and at most 18 digits in all (which fit a u64 exactly).
/// Anything else (signs, exponents, long numbers) goes through the general parser.
fn parse_plain(b: &[u8]) -> Option<Result<Decimal, NumberProblem>> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut point: Option<usize> = None;
    for (i, &c) in b.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            mantissa = mantissa * 10 + u64::from(d);
        } else if c == b'.' && point.is_none() && i > 0 && i + 1 < b.len() {
            point = Some(i);
        } else {
            return None;
        }
    }
    let scale = point.map_or(0, |i| (b.len() - i - 1) as u32);
    let digits = b.len() - usize::from(point.is_some());
    if digits > 18 {
        return None;
    }
    // mantissa / 10^scale >= 10^15, without leaving u64 (mantissa < 10^18).
    if scale <= 3 && mantissa >= POW10[15 + scale as usize] {
        return Some(Err(NumberProblem::TooLarge));
    }
    Some(Ok(Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        0,
        false,
        scale,
    )))
}

/// 10^0 to 10^18 (`pow` is a loop at run time).
const POW10: [u64; 19] = {
    let mut p = [1u64; 19];
    let mut i = 1;
    while i < 19 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_unit_basis_keeps_the_order_of_decimals() {
        let mut v: Vec<Decimal> = [
            "0",
            "0.0000000000000000000000000001",
            "0.001",
            "0.00100",
            "0.0011",
            "0.01",
            "0.999999999999",
            "1",
            "1.0000000000000000000000000001",
            "9",
            "10",
            "10.5",
            "99999.99",
            "100000",
            "79228162514264337593543950335",
            "-1",
            "-0.5",
            "-100",
            "-79228162514264337593543950335",
            "123456789.123456789",
            "123456789.12345679",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        v.sort();
        for w in v.windows(2) {
            assert_eq!(
                w[0].cmp(&w[1]),
                order_key(w[0]).cmp(&order_key(w[1])),
                "{} vs {}",
                w[0],
                w[1]
            );
        }
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("1.50"), Ok(Decimal::new(150, 2)));
        assert_eq!(parse_decimal("1.50").unwrap().to_string(), "1.50");
        assert_eq!(parse_decimal("0.00000001"), Ok(Decimal::new(1, 8)));
        assert_eq!(
            parse_decimal("12345678901234.5678"),
            Ok(Decimal::new(123456789012345678, 4))
        );
        assert_eq!(
            parse_decimal("1234567890.123456789012"),
            Ok("1234567890.123456789012".parse().unwrap())
        );
        assert_eq!(parse_decimal(".5"), Ok(Decimal::new(5, 1)));
        assert_eq!(parse_decimal("1.2.3"), Err(NumberProblem::NotANumber));
        assert_eq!(parse_decimal("-0"), Ok(Decimal::ZERO));
        assert_eq!(parse_decimal("1,000"), Err(NumberProblem::NotANumber));
        assert_eq!(parse_decimal("$5"), Err(NumberProblem::NotANumber));
        assert_eq!(parse_decimal("-5"), Err(NumberProblem::Negative));
        assert_eq!(
            parse_decimal("1.00000000000000000000000000000000001"),
            Err(NumberProblem::TooPrecise)
        );
        assert_eq!(
            parse_decimal("123456789012345678901234567890123"),
            Err(NumberProblem::TooPrecise)
        );
        assert_eq!(MAX_AMOUNT, Decimal::new(1_000_000_000_000_000, 0));
        assert_eq!(
            parse_decimal("999999999999999.99"),
            Ok(Decimal::new(99999999999999999, 2))
        );
        assert_eq!(
            parse_decimal("1000000000000000"),
            Err(NumberProblem::TooLarge)
        );
    }

    /// Money as it was written before the 64-bit digits: the reference.
    fn money_reference(d: Decimal) -> String {
        let mut c = cents(d);
        if c.is_zero() {
            return "0.00".into();
        }
        c.rescale(2);
        let m = c.mantissa();
        let sign = if m < 0 { "-" } else { "" };
        let m = m.unsigned_abs();
        format!("{sign}{}.{:02}", m / 100, m % 100)
    }

    #[test]
    fn money_at_the_edges_of_its_digits() {
        for d in [
            Decimal::new(1, 2),
            Decimal::new(-1, 2),
            Decimal::new(10, 2),
            Decimal::new(99, 2),
            Decimal::new(100, 2),
            Decimal::new(-100_005, 3),
            Decimal::new(99_999_999_999_999_999, 2),
            Decimal::from(u64::MAX) / Decimal::from(100),
            Decimal::from(u64::MAX),
            Decimal::MAX,
            Decimal::MIN,
        ] {
            assert_eq!(Money(d).to_string(), money_reference(d), "{d}");
        }
    }

    /// The dates harvest writes by hand are chrono's: MM/DD/YYYY as its
    /// `format`, YYYY-MM-DD as its `Display`, years past 9999 and before 0
    /// too.
    #[test]
    fn dates_are_chronos() {
        use chrono::NaiveDate;
        let every_37_days = (0..400u64)
            .map(|k| NaiveDate::from_ymd_opt(1999, 12, 25).unwrap() + chrono::Days::new(37 * k));
        let edges = [
            (1, 1, 1),
            (0, 2, 29),
            (9999, 12, 31),
            (10000, 1, 1),
            (-5, 3, 4),
        ]
        .map(|(y, m, day)| NaiveDate::from_ymd_opt(y, m, day).unwrap());
        for d in every_37_days.chain(edges) {
            assert_eq!(UsDate(d).to_string(), d.format("%m/%d/%Y").to_string());
            assert_eq!(IsoDate(d).to_string(), d.to_string());
            let mut pushed = b"x".to_vec();
            push_iso_date(&mut pushed, d);
            assert_eq!(pushed, format!("x{d}").into_bytes());
        }
        for d in edges {
            // chrono ignores a width or alignment asked for; so does IsoDate.
            assert_eq!(format!("{:>12}", IsoDate(d)), format!("{:>12}", d));
            assert_eq!(format!("{:<12}|", IsoDate(d)), format!("{:<12}|", d));
        }
    }

    #[test]
    fn pushed_price_rounds_half_to_even_as_price() {
        for t in [
            "0.000000005",
            "0.000000015",
            "0.000000025",
            "-0.000000035",
            "1.000000005",
            "2.0000000050000000000000000001",
            "-2.5000000050",
            "12.3",
            "100",
            "0.1",
            "0.00000001",
            "-0.000000001",
            "79228162514264337593543950335",
            "7922816251426433759354395033.5",
            "99999999.999999995",
        ] {
            let d: Decimal = t.parse().unwrap();
            let mut pushed = Vec::new();
            push_price(&mut pushed, d);
            assert_eq!(String::from_utf8(pushed).unwrap(), price(d), "{t}");
        }
    }

    proptest::proptest! {
        /// Rounding to cents gives rust_decimal's result exactly: the same
        /// value, scale and sign (a rounding to zero has none; a zero keeps
        /// its), for every scale and for mantissas past 64 bits.
        #[test]
        fn cents_are_rust_decimals_rounding(
            lo in proptest::num::u64::ANY,
            hi in proptest::num::u32::ANY,
            wide in proptest::bool::ANY,
            negative in proptest::bool::ANY,
            scale in 0u32..=28,
            digits in 0u32..=20,
        ) {
            // Short mantissas, whose rests are often exact halves, and long.
            let lo = if wide { lo } else { lo % 10u64.pow(digits.min(19)) };
            let d = Decimal::from_parts(
                lo as u32,
                (lo >> 32) as u32,
                if wide { hi } else { 0 },
                negative,
                scale,
            );
            let want = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            proptest::prop_assert_eq!(cents(d).serialize(), want.serialize(), "{}", d);
        }
    }

    #[test]
    fn cents_round_halves_away_from_zero() {
        for (m, scale, want) in [
            (5i64, 3u32, "0.01"),
            (-5, 3, "-0.01"),
            (4, 3, "0.00"),
            (-4, 3, "0.00"),
            (125, 4, "0.01"),
            (1234567890123456789, 19, "0.12"),
            (999, 3, "1.00"),
            (-1005, 3, "-1.01"),
        ] {
            let got = cents(Decimal::new(m, scale));
            assert_eq!(got.to_string(), want, "{m}e-{scale}");
            let slow = Decimal::new(m, scale)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            assert_eq!(got.serialize(), slow.serialize(), "{m}e-{scale}");
        }
    }

    proptest::proptest! {
        /// The fast path gives what the general parser gives (or leaves the
        /// text to it): digits and points of every length around 18 digits.
        #[test]
        fn plain_numbers_are_the_general_parsers(
            text in proptest::collection::vec(
                // Mostly digits, so that most texts are numbers.
                proptest::sample::select(vec![
                    b'0', b'1', b'5', b'9', b'0', b'3', b'8', b'2', b'.', b'/', b':', b' ', b'-',
                ]),
                0..21,
            ),
        ) {
            let t = std::str::from_utf8(&text).unwrap_or_default();
            let want = match Decimal::from_str_exact(t.trim_ascii()) {
                Ok(d) if d.is_sign_negative() && !d.is_zero() => Err(NumberProblem::Negative),
                Ok(d) if d.abs() >= MAX_AMOUNT => Err(NumberProblem::TooLarge),
                Ok(d) => Ok(d.abs()),
                Err(_) => Err(NumberProblem::NotANumber),
            };
            let got = parse_decimal(t);
            match (&got, &want) {
                (Ok(g), Ok(w)) => {
                    proptest::prop_assert_eq!(g, w);
                    proptest::prop_assert_eq!(g.scale(), w.scale(), "{:?}", t);
                }
                (Err(g), Err(w)) if g == w || *w == NumberProblem::NotANumber => {}
                _ => proptest::prop_assert!(false, "{:?}: {:?} against {:?}", t, got, want),
            }
        }

        #[test]
        fn money_is_the_reference(m in proptest::num::i128::ANY, scale in 0u32..=28) {
            let d = Decimal::try_from_i128_with_scale(m % 10i128.pow(28), scale).unwrap();
            proptest::prop_assert_eq!(Money(d).to_string(), money_reference(d));
            let mut pushed = b"x".to_vec();
            push_money(&mut pushed, d);
            proptest::prop_assert_eq!(pushed, format!("x{}", money_reference(d)).into_bytes());
        }

        #[test]
        fn pushed_price_is_price(
            m in proptest::prop_oneof![
                proptest::strategy::Strategy::prop_map(proptest::num::i128::ANY, |m| m % 10i128.pow(28)),
                -10i128.pow(12)..10i128.pow(12),
                -1000i128..1000,
            ],
            scale in 0u32..=28,
        ) {
            let d = Decimal::try_from_i128_with_scale(m, scale).unwrap();
            let mut pushed = b"x".to_vec();
            push_price(&mut pushed, d);
            proptest::prop_assert_eq!(pushed, format!("x{}", price(d)).into_bytes());
        }

        /// Quantities are Decimal's own normalized text, for mantissas of
        /// every size (small ones, as quantities are, most of the time).
        #[test]
        fn qty_is_decimal_normalized(
            m in proptest::prop_oneof![
                proptest::strategy::Strategy::prop_map(proptest::num::i128::ANY, |m| m % 10i128.pow(28)),
                -10i128.pow(12)..10i128.pow(12),
                proptest::strategy::Strategy::prop_map(proptest::num::i64::ANY, |m| i128::from(m) * 1000),
            ],
            scale in 0u32..=28,
        ) {
            let d = Decimal::try_from_i128_with_scale(m, scale).unwrap();
            let expected = if d.is_zero() { "0".to_string() } else { d.normalize().to_string() };
            proptest::prop_assert_eq!(Qty(d).to_string(), expected.clone());
            let mut pushed = b"x".to_vec();
            push_qty(&mut pushed, d);
            proptest::prop_assert_eq!(pushed, format!("x{expected}").into_bytes());
        }
    }
}
