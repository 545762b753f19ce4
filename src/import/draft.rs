//! Building ledger records: a row under construction ([`Draft`]) and its text,
//! and a two-sided exchange ([`TradeIn`]) turned into a buy, sell or trade with
//! its fee rows.

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;

use crate::model::{Category, Kind, Record, Text};

use super::accounting::Entry;
use super::cx::Cx;
use super::num;
use super::value::{is_fiat, is_foreign_money, mul};

/// A ledger row under construction; `finish` writes it as text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Draft {
    pub id: String,
    pub time: Option<DateTime<Utc>>,
    pub kind: Option<Kind>,
    // Symbols are short: held inline, a row's legs cost no allocation.
    pub sent: Option<(Decimal, Text)>,
    pub received: Option<(Decimal, Text)>,
    pub fee: Option<(Decimal, Text)>,
    pub usd_value: Option<Decimal>,
    pub fee_usd: Option<Decimal>,
    pub txid: String,
    pub note: String,
    /// What kind of income the row is, where the export says.
    pub category: Option<Category>,
}

impl Draft {
    pub fn new(id: String, time: DateTime<Utc>, kind: Kind) -> Draft {
        Draft {
            id,
            time: Some(time),
            kind: Some(kind),
            ..Draft::default()
        }
    }

    pub fn sent(mut self, q: Decimal, a: &str) -> Draft {
        self.sent = Some((q.abs(), Text::from(a)));
        self
    }

    pub fn received(mut self, q: Decimal, a: &str) -> Draft {
        self.received = Some((q.abs(), Text::from(a)));
        self
    }

    /// A fee; a zero fee is left out.
    pub fn fee(mut self, q: Decimal, a: &str) -> Draft {
        if !q.is_zero() {
            self.fee = Some((q.abs(), Text::from(a)));
        }
        self
    }

    pub fn usd(mut self, v: Option<Decimal>) -> Draft {
        self.usd_value = v.map(|v| v.abs());
        self
    }

    pub fn fee_usd(mut self, v: Option<Decimal>) -> Draft {
        self.fee_usd = v.map(|v| v.abs());
        self
    }

    pub fn txid(mut self, t: &str) -> Draft {
        self.txid = t.trim().to_string();
        self
    }

    pub fn note(mut self, n: impl Into<String>) -> Draft {
        self.note = n.into();
        self
    }

    /// The kind of income the export names.
    pub fn category(mut self, c: Category) -> Draft {
        self.category = Some(c);
        self
    }

    pub fn finish(self, account: &str) -> Record {
        let mut rec = Record::default();
        self.finish_into(account, &mut rec);
        rec
    }

    /// Writes the row into `rec`, every cell replaced, in the room its cells
    /// already have: a record reused row after row (see [`Cx::finish_in`])
    /// takes a row without a new string.
    pub fn finish_into(self, account: &str, rec: &mut Record) {
        let has_fee = self.fee.is_some();
        let put_leg = |x: Option<(Decimal, Text)>, qty: &mut String, asset: &mut String| {
            qty.clear();
            match x {
                Some((q, a)) => {
                    push_decimal(qty, q);
                    set(asset, &a);
                }
                None => asset.clear(),
            }
        };
        put_leg(self.sent, &mut rec.sent_qty, &mut rec.sent_asset);
        put_leg(
            self.received,
            &mut rec.received_qty,
            &mut rec.received_asset,
        );
        put_leg(self.fee, &mut rec.fee_qty, &mut rec.fee_asset);
        let put_value = |v: Option<Decimal>, to: &mut String| {
            to.clear();
            if let Some(v) = v {
                push_decimal(to, v);
            }
        };
        put_value(self.fee_usd.filter(|_| has_fee), &mut rec.fee_usd);
        put_value(self.usd_value, &mut rec.usd_value);
        set_owned(&mut rec.id, self.id);
        rec.time.clear();
        if let Some(t) = self.time {
            push_time(&mut rec.time, t);
        }
        set(&mut rec.account, account);
        set(&mut rec.kind, self.kind.map_or("", |k| k.as_str()));
        set_owned(&mut rec.txid, self.txid);
        set_owned(&mut rec.note, self.note);
        set(&mut rec.category, self.category.map_or("", |c| c.as_str()));
        rec.basis_usd.clear();
        rec.acquired.clear();
    }
}

/// `to` becomes `s`, copied into its room if it has enough, else moved in.
fn set_owned(to: &mut String, s: String) {
    if to.capacity() >= s.len() {
        set(to, &s);
    } else {
        *to = s;
    }
}

/// `to` becomes `s`.
fn set(to: &mut String, s: &str) {
    to.clear();
    to.push_str(s);
}

/// The kind of income a label of an export or another tool names (`staking`,
/// `Staking Reward`, `mined`, `hard fork`, `lending interest`, ...): `other`
/// when it names none of them.
pub(crate) fn income_category(label: &str) -> Category {
    let l = label.to_ascii_lowercase();
    let has = |k: &[&str]| k.iter().any(|k| l.contains(k));
    if has(&["stak", "validator", "delegat", "inflation", "dpos"]) {
        Category::Staking
    } else if has(&["mining", "mined"]) {
        Category::Mining
    } else if has(&["airdrop", "air drop", "drop"]) {
        Category::Airdrop
    } else if has(&["fork"]) {
        Category::Fork
    } else if has(&["interest", "lending", "savings"]) {
        Category::Interest
    } else if has(&[
        "reward", "referral", "bonus", "cashback", "rebate", "learn", "earn",
    ]) {
        Category::Reward
    } else {
        Category::Other
    }
}

/// The ledger spelling of a time: RFC 3339 in UTC, fractional seconds only when
/// the export had them.
pub fn fmt_time(t: DateTime<Utc>) -> String {
    let mut s = String::new();
    push_time(&mut s, t);
    s
}

/// Appends [`fmt_time`]'s spelling of `t` to `out`.
pub(crate) fn push_time(out: &mut String, t: DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    // The fields of the naive time: each of `t`'s would add the offset again.
    let n = t.naive_utc();
    let (date, time) = (n.date(), n.time());
    // The common whole second of a four-digit year, written directly.
    if time.nanosecond() == 0 && (0..=9999).contains(&date.year()) {
        let mut b = *b"0000-00-00T00:00:00Z";
        // Two digits at a time from the table: a division a pair, not a digit.
        let mut pair = |at: usize, n: u32| {
            let r = n as usize % 100 * 2;
            b[at..at + 2].copy_from_slice(&DIGIT_PAIRS[r..r + 2]);
        };
        let year = date.year() as u32;
        pair(0, year / 100);
        pair(2, year);
        pair(5, date.month());
        pair(8, date.day());
        let secs = time.num_seconds_from_midnight();
        pair(11, secs / 3600);
        pair(14, secs / 60 % 60);
        pair(17, secs % 60);
        // SAFETY: the buffer holds ASCII only: its digits and separators.
        out.push_str(unsafe { std::str::from_utf8_unchecked(&b) });
        return;
    }
    out.push_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
}

/// [`num::fmt_decimal`], written directly when the digits fit in a u64.
pub(crate) fn fmt_decimal(d: Decimal) -> String {
    let mut s = String::new();
    push_decimal(&mut s, d);
    s
}

/// Appends [`fmt_decimal`]'s spelling of `d` to `out`.
pub(crate) fn push_decimal(out: &mut String, d: Decimal) {
    let m = d.mantissa();
    let Ok(mut abs) = u64::try_from(m.unsigned_abs()) else {
        out.push_str(&num::fmt_decimal(d));
        return;
    };
    if abs == 0 {
        out.push('0');
        return;
    }
    // Normalized: no trailing zeros after the point.
    let mut scale = d.scale() as usize;
    while scale > 0 && abs % 10 == 0 {
        abs /= 10;
        scale -= 1;
    }
    // Written from the right, two digits at a time, into a buffer of ASCII:
    // a u64 has at most 20 digits, then the point, the zeros before the
    // digits up to a scale of 28, `0.` and the sign take 31 more.
    let mut b = [0u8; 52];
    let mut at = b.len();
    let mut v = abs;
    while v >= 100 {
        let r = (v % 100) as usize * 2;
        v /= 100;
        at -= 2;
        b[at..at + 2].copy_from_slice(&DIGIT_PAIRS[r..r + 2]);
    }
    if v >= 10 {
        let r = v as usize * 2;
        at -= 2;
        b[at..at + 2].copy_from_slice(&DIGIT_PAIRS[r..r + 2]);
    } else {
        at -= 1;
        b[at] = b'0' + v as u8;
    }
    let len = b.len() - at;
    if scale >= len {
        let zeros = scale - len;
        at -= zeros;
        b[at..at + zeros].fill(b'0');
        at -= 2;
        b[at..at + 2].copy_from_slice(b"0.");
    } else if scale > 0 {
        // The whole part moves one place left for the point.
        let whole = len - scale;
        b.copy_within(at..at + whole, at - 1);
        at -= 1;
        b[at + whole] = b'.';
    }
    if m < 0 {
        at -= 1;
        b[at] = b'-';
    }
    // SAFETY: only ASCII digits, `.` and `-` were written from `at` on.
    out.push_str(unsafe { std::str::from_utf8_unchecked(&b[at..]) });
}

/// "00", "01", ... "99": two digits written at once.
const DIGIT_PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// A two-sided exchange as an export describes it, before the ledger's rules:
/// amounts as magnitudes, fees (possibly in several assets) on top.
pub(crate) struct TradeIn {
    pub id: String,
    /// The input lines it came from (the first is the row's line).
    pub rows: Vec<u64>,
    pub time: DateTime<Utc>,
    pub sent: (Decimal, String),
    pub received: (Decimal, String),
    pub fees: Vec<(Decimal, String)>,
    /// The USD value the export gives, if any.
    pub usd_hint: Option<Decimal>,
    pub note: String,
}

/// Turns an exchange into ledger rows: a side in money (USD, or another
/// currency such as EUR, kept as itself) makes it a buy or a sell, otherwise
/// it is a trade. Its USD value is a USD side, else the export's own USD
/// value, else what [`Cx::value_legs`] finds (a stablecoin side at 1.00, the
/// currency's `--prices` rate, a `--prices` price); with none the row is
/// written without one, for the engine to value. The first fee goes in the
/// fee columns (a USD fee, then one in another currency, then one in a traded
/// asset, preferred); a fee in a further crypto asset becomes its own `fee`
/// row. Kraken fee credits (`KFEE`) are promotional, worth no basis, and only
/// noted.
pub(crate) fn trade_record(cx: &mut Cx, t: TradeIn, out: &mut Vec<Entry>) {
    let line = t.rows[0];
    let time = t.time;
    let mut notes: Vec<String> = Vec::new();
    if !t.note.is_empty() {
        notes.push(t.note.clone());
    }
    let (sent, received) = (t.sent, t.received);
    let mut fees = Vec::new();
    for f in t.fees {
        if f.1 == "KFEE" {
            notes.push(format!("fee {} KFEE credits", num::fmt_decimal(f.0)));
            continue;
        }
        fees.push(f);
    }
    if is_fiat(&sent.1) && is_fiat(&received.1) {
        for l in t.rows {
            out.push(Entry::skip(
                l,
                "exchange between government currencies: not a crypto event",
            ));
        }
        return;
    }
    let kind = if is_fiat(&sent.1) {
        Kind::Buy
    } else if is_fiat(&received.1) {
        Kind::Sell
    } else {
        Kind::Trade
    };
    let value = if sent.1 == "USD" {
        Some(sent.0)
    } else if received.1 == "USD" {
        Some(received.0)
    } else {
        t.usd_hint.or_else(|| {
            cx.value_legs(
                line,
                time,
                Some((received.0, &received.1)),
                Some((sent.0, &sent.1)),
            )
        })
    };
    // The main fee: USD first, then another currency, then one in a traded
    // asset, then any.
    fees.sort_by_key(|(_, a)| {
        if a == "USD" {
            0
        } else if is_fiat(a) {
            1
        } else if *a == sent.1 || *a == received.1 {
            2
        } else {
            3
        }
    });
    // Several fees in the same asset add up.
    let mut merged: Vec<(Decimal, String)> = Vec::new();
    for (q, a) in fees {
        match merged.iter_mut().find(|(_, b)| *b == a) {
            Some(m) => m.0 += q,
            None => merged.push((q, a)),
        }
    }
    merged.retain(|(q, _)| !q.is_zero());
    let mut it = merged.into_iter().peekable();
    let mut main_fee = it.next();
    // A fee in a second currency beside a USD one joins it at its rate; a row
    // has one fee, and money is no fee row.
    while let Some((q, a)) = it.next_if(|(_, a)| is_fiat(a)) {
        let usd = main_fee
            .as_ref()
            .filter(|(_, m)| m == "USD")
            .and_then(|_| cx.fiat_to_usd(line, time, q, &a));
        match (usd, main_fee.as_mut()) {
            (Some(u), Some(m)) => m.0 += u,
            _ => cx.problem(
                line,
                None,
                Some(&a),
                format!(
                    "fees in two currencies on one trade ({} and {a}): add a USD rate for {a} \
                     at {} to --prices (CSV time,asset,price), or enter the row by hand",
                    main_fee.as_ref().map_or("", |(_, m)| m.as_str()),
                    fmt_time(time)
                ),
            ),
        }
    }
    let mut d = Draft::new(t.id.clone(), time, kind)
        .sent(sent.0, &sent.1)
        .received(received.0, &received.1)
        .usd(value)
        .note(notes.join("; "));
    if let Some((q, a)) = main_fee {
        if is_foreign_money(&a) {
            d = d.fee_usd(cx.fiat_to_usd(line, time, q, &a));
        } else if a != "USD" && a != sent.1 && a != received.1 {
            d = d.fee_usd(cx.unit_price(line, &a, time).map(|p| mul(q, p)));
        }
        d = d.fee(q, &a);
    }
    let account = cx.account.clone();
    out.push(Entry::Rec {
        rows: t.rows,
        rec: d.finish(&account),
    });
    for (n, (q, a)) in it.enumerate() {
        let fee_usd = cx.unit_price(line, &a, time).map(|p| mul(q, p));
        let d = Draft::new(format!("{}-fee{}", t.id, n + 1), time, Kind::Fee)
            .fee(q, &a)
            .fee_usd(fee_usd)
            .note("second fee of the trade above");
        out.push(Entry::Extra {
            row: line,
            rec: d.finish(&account),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_other_tools_name_their_income_category() {
        for (label, c) in [
            ("staking", Category::Staking),
            ("reward: Staking reward", Category::Staking),
            (
                "finance.dpos.compound_interest.crypto_wallet",
                Category::Staking,
            ),
            ("mined", Category::Mining),
            ("MINING", Category::Mining),
            ("Hard Fork", Category::Fork),
            ("HODLer Airdrops Distribution", Category::Airdrop),
            ("lending interest", Category::Interest),
            ("crypto_earn_interest_paid", Category::Interest),
            ("referral_card_cashback", Category::Reward),
            ("Earn", Category::Reward),
            ("income", Category::Other),
            ("WAGES", Category::Other),
        ] {
            assert_eq!(income_category(label), c, "{label}");
        }
    }

    #[test]
    fn fast_formats_match_the_general_ones() {
        for s in [
            "0",
            "-0",
            "0.000",
            "-0.00",
            "1",
            "-1",
            "10",
            "100.00",
            "0.5",
            "-0.5",
            "0.00000001",
            "1234.5600",
            "-2280.10",
            "999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "123456789.123456789",
            "1e-28",
            "5e3",
        ] {
            let d = if s.contains('e') {
                Decimal::from_scientific(s).unwrap()
            } else {
                s.parse::<Decimal>().unwrap()
            };
            assert_eq!(fmt_decimal(d), num::fmt_decimal(d), "{s}");
        }
        for s in [
            "2019-01-01T00:32:06Z",
            "0999-12-31T23:59:59Z",
            "9999-12-31T23:59:59Z",
            "2019-01-01T00:32:06.5Z",
            "2016-12-31T23:59:60Z",
        ] {
            let t = DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
            assert_eq!(
                fmt_time(t),
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                "{s}"
            );
        }
    }

    /// A reused record's cells are all replaced: nothing of the row it held
    /// before is left.
    #[test]
    fn a_record_written_into_holds_only_the_new_row() {
        let t = DateTime::parse_from_rfc3339("2024-03-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let full = Draft::new("cb-1".into(), t, Kind::Trade)
            .sent(Decimal::new(150, 2), "ETH")
            .received(Decimal::new(5, 3), "BTC")
            .fee(Decimal::new(1, 2), "ETH")
            .fee_usd(Some(Decimal::new(3012, 2)))
            .usd(Some(Decimal::new(500000, 2)))
            .txid("0xabc")
            .note("a long note that leaves room behind")
            .category(Category::Staking);
        let bare = Draft::new("cb-2".into(), t, Kind::Deposit).received(Decimal::ONE, "BTC");
        let mut rec = full.finish("Coinbase");
        rec.basis_usd = "12".into();
        rec.acquired = "2020-01-01T00:00:00Z".into();
        bare.clone().finish_into("Coinbase", &mut rec);
        assert_eq!(rec, bare.finish("Coinbase"));
    }

    proptest::proptest! {
        #[test]
        fn decimals_are_written_as_the_general_format_writes_them(
            m in proptest::prelude::any::<i128>(),
            scale in 0u32..=28,
            small in proptest::prelude::any::<bool>(),
        ) {
            // Mantissas that fit in a u64 (the fast path) half of the time.
            let m = if small { m % (1i128 << 64) } else { m % (1i128 << 96) };
            let d = Decimal::from_i128_with_scale(m, scale);
            proptest::prop_assert_eq!(fmt_decimal(d), num::fmt_decimal(d));
        }

        #[test]
        fn times_are_written_as_chrono_writes_them(
            secs in -70_000_000_000i64..300_000_000_000,
            nanos in 0u32..1_000_000_000,
            whole in proptest::prelude::any::<bool>(),
        ) {
            // Whole seconds (the fast path) half of the time; years 0-9999 and
            // a few thousand either side.
            let t = DateTime::from_timestamp(secs, if whole { 0 } else { nanos }).unwrap();
            proptest::prop_assert_eq!(fmt_time(t), t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        }
    }
}
