//! The context a format reads one file's rows with: its options, account and
//! format, the ids it makes for rows, and its cell readers (numbers, amounts,
//! required cells, assets and times), which report a bad cell as a problem.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rust_decimal::Decimal;

use super::accounting::RowProblem;
use super::format::Format;
use super::importer::ImportOptions;
use super::num;
use super::sheet::SheetRow;

/// Import context of one file: options, account, collected problems, ids.
pub(crate) struct Cx<'a, 'b> {
    pub opts: &'b ImportOptions<'a>,
    pub account: String,
    pub format: Format,
    pub(super) problems: Vec<RowProblem>,
    /// The rows `problems` is about.
    pub(super) listed: usize,
    /// Problems reported, listed or not: formats compare counts to tell
    /// whether a row added any.
    pub(super) reported: usize,
    /// The lines with a cell that could not be read.
    pub(super) unreadable: rustc_hash::FxHashSet<u64>,
    /// Bad rows past the first [`MAX_PROBLEMS`](super::accounting::MAX_PROBLEMS),
    /// counted but not listed.
    pub(super) more: rustc_hash::FxHashSet<u64>,
    ids: HashMap<String, usize>,
    /// Ledger row id -> the exchange's ids of the event it was made from (a
    /// Kraken trade's refid and ledger txids), to find one trade in two exports.
    pub(super) links: Vec<(String, Vec<String>)>,
    /// (line, asset) -> (the time of the price, its age) for every `--prices`
    /// price used more than a day older than its row: the accounting counts
    /// the written rows valued with one.
    pub(super) stale: rustc_hash::FxHashMap<(u64, String), (DateTime<Utc>, chrono::Duration)>,
    /// The exchange's own running balances the export states (see
    /// [`crate::model::Ledger::reported`]).
    pub(super) balances: Vec<crate::model::ReportedBalance>,
    /// Whether `balances` is kept (see [`super::Importer::without_balances`]).
    pub(super) keep_balances: bool,
}

impl<'a, 'b> Cx<'a, 'b> {
    /// Keeps the balance of `asset` the export states after its `line`, in
    /// the export's account (see [`crate::model::Ledger::reported`]).
    pub(super) fn report_balance(
        &mut self,
        line: u64,
        time: DateTime<Utc>,
        asset: &str,
        balance: rust_decimal::Decimal,
    ) {
        let account = self.account.clone();
        self.report_balance_in(account, line, time, asset, balance);
    }

    /// [`Cx::report_balance`] for rows booked to another account than the
    /// export's (an Exodus portfolio).
    pub(super) fn report_balance_in(
        &mut self,
        account: String,
        line: u64,
        time: DateTime<Utc>,
        asset: &str,
        balance: rust_decimal::Decimal,
    ) {
        if !self.keep_balances {
            return;
        }
        // The ledger builder sets the file.
        self.balances.push(crate::model::ReportedBalance {
            file: 0,
            line,
            time,
            account,
            asset: asset.to_string(),
            balance,
        });
    }

    pub fn new(opts: &'b ImportOptions<'a>, account: String, format: Format) -> Self {
        Cx {
            opts,
            account,
            format,
            problems: Vec::new(),
            listed: 0,
            reported: 0,
            unreadable: rustc_hash::FxHashSet::default(),
            more: rustc_hash::FxHashSet::default(),
            ids: HashMap::new(),
            links: Vec::new(),
            stale: rustc_hash::FxHashMap::default(),
            balances: Vec::new(),
            keep_balances: true,
        }
    }
}

impl Cx<'_, '_> {
    /// The row `d` as a record of this file's account, written into the cells
    /// of `rec`, a record the caller reuses row after row (Coinbase's
    /// importer, for the largest exports): no new string for a row's
    /// numbers, time, account and kind.
    pub fn finish_in(&mut self, d: super::Draft, rec: &mut crate::model::Record) {
        d.finish_into(&self.account, rec);
    }

    /// Notes the exchange's ids of the event ledger row `id` was made from
    /// (empty ones are left out).
    pub fn link(&mut self, id: &str, keys: impl IntoIterator<Item = String>) {
        let keys: Vec<String> = keys.into_iter().filter(|k| !k.is_empty()).collect();
        if !keys.is_empty() {
            self.links.push((id.to_string(), keys));
        }
    }

    /// An id from the exchange's own id: `<prefix>-<id>`.
    pub fn exchange_id(&self, id: &str) -> String {
        // Built by hand: `format!` costs more than the rest of a row's id work.
        let (prefix, id) = (self.format.id_prefix(), id.trim());
        let mut out = String::with_capacity(prefix.len() + 1 + id.len());
        out.push_str(prefix);
        out.push('-');
        out.push_str(id);
        out
    }

    /// An id for a row without an exchange id: a hash of its cells, plus `-N`
    /// for the N-th identical row of the same file. It depends on the row
    /// content only, so the same row in two overlapping exports gets the same id.
    pub fn content_id(&mut self, parts: &[&str]) -> String {
        let base = format!("{}-{:016x}", self.format.id_prefix(), fnv(parts));
        self.numbered_id(base)
    }

    /// A wallet row's id: `<prefix>-<name>-<hash of parts>`, numbered as
    /// [`Cx::numbered_id`], where `name` holds the row's transaction `key` (a
    /// hash is shared by the rows of each account and asset it touched, which
    /// `parts` tell apart); without a key, a hash of the row's `cells`
    /// ([`Cx::content_id`]).
    pub fn wallet_id(
        &mut self,
        key: &str,
        name: impl FnOnce() -> String,
        parts: &[&str],
        cells: &[String],
    ) -> String {
        if key.is_empty() {
            let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
            return self.content_id(&cells);
        }
        let base = format!(
            "{}-{}-{}",
            self.format.id_prefix(),
            name(),
            short_hash(parts)
        );
        self.numbered_id(base)
    }

    /// `base`, or `base-N` for the N-th further row of the file given the
    /// same id (two outputs of one transaction to one address): wallet ids
    /// are built from a transaction hash, which several rows may share.
    pub fn numbered_id(&mut self, base: String) -> String {
        let n = self.ids.entry(base.clone()).or_default();
        *n += 1;
        if *n == 1 {
            base
        } else {
            format!("{base}-{}", *n - 1)
        }
    }

    /// The account of a row whose export names its account `name` (Ledger
    /// Live's `Account Name`, an Exodus portfolio): `<wallet>: <name>`, as
    /// `[import.accounts]` renames it; the file's account when the cell is
    /// empty; `--account` whatever the cell says.
    pub fn named_account(&self, wallet: &str, name: &str) -> String {
        let name = name.trim();
        if name.is_empty() || self.opts.account.is_some() {
            return self.account.clone();
        }
        self.opts.account_for(&format!("{wallet}: {name}"))
    }

    /// An id hashed from the cells alone: identical rows in one file get the
    /// same id and the later ones count as duplicates.
    pub fn content_id_unique(&self, parts: &[&str]) -> String {
        format!("{}-{:016x}", self.format.id_prefix(), fnv(parts))
    }

    /// Parses an amount cell; a bad one is a problem (and `None`).
    pub fn amount(&mut self, row: &SheetRow, col: usize, name: &str) -> Option<num::Amount> {
        let cell = row.get(col);
        if let Some(value) = plain_amount(cell) {
            return Some(num::Amount { value, unit: None });
        }
        match num::parse_amount(cell) {
            Ok(a) => a,
            Err(p) => {
                self.bad_cell(row.line, name, cell, p);
                None
            }
        }
    }

    /// Parses a number cell that must not be empty.
    pub fn required(&mut self, row: &SheetRow, col: usize, name: &str) -> Option<Decimal> {
        if row.get(col).is_empty() {
            self.problem(row.line, Some(name), None, "is empty; this row needs it");
            return None;
        }
        self.number(row, col, name)
    }

    /// An asset's symbol that must be there: an empty cell is one problem on
    /// the export's own column, not one per ledger column it would fill (the
    /// amount's and the fee's asset).
    pub fn required_asset<'r>(
        &mut self,
        row: &'r SheetRow,
        col: usize,
        name: &str,
    ) -> Option<&'r str> {
        let v = row.get(col).trim();
        if v.is_empty() {
            self.problem(
                row.line,
                Some(name),
                None,
                "is empty: fill in the asset's symbol",
            );
            return None;
        }
        Some(v)
    }

    /// Parses a number cell, ignoring any unit.
    pub fn number(&mut self, row: &SheetRow, col: usize, name: &str) -> Option<Decimal> {
        self.amount(row, col, name).map(|a| a.value)
    }
}

/// The common money or quantity cell, read as [`num::parse_amount`] reads it:
/// an optional `-`, an optional `$`, then digits (commas between groups of
/// three) with an optional fraction, at most 18 digits. None for anything else.
pub(crate) fn plain_amount(cell: &str) -> Option<Decimal> {
    let mut b = cell.as_bytes();
    let negative = b.first() == Some(&b'-');
    if negative {
        b = &b[1..];
    }
    if b.first() == Some(&b'$') {
        b = &b[1..];
    }
    // One pass, no checked arithmetic: 18 digits fit a u64, and a cell with
    // more is refused at the end (a wrapped mantissa is never used).
    let mut mantissa: u64 = 0;
    let mut digits = 0u32;
    // Digits since the start or the last comma, and whether there was one.
    let (mut run, mut commas) = (0u32, false);
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                digits += 1;
                run += 1;
            }
            // 1-3 digits before the first comma, 3 before each later one.
            b',' if run == 3 || !commas && (1..=3).contains(&run) => {
                (run, commas) = (0, true);
            }
            _ => break,
        }
        i += 1;
    }
    if i == 0 || commas && run != 3 {
        return None;
    }
    let mut scale = 0;
    if let Some(&c) = b.get(i) {
        let frac = &b[i + 1..];
        if c != b'.' || frac.is_empty() {
            return None;
        }
        for &c in frac {
            if !c.is_ascii_digit() {
                return None;
            }
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
        }
        digits += frac.len() as u32;
        scale = frac.len() as u32;
    }
    if digits > 18 {
        return None;
    }
    let value = Decimal::from_parts(mantissa as u32, (mantissa >> 32) as u32, 0, false, scale);
    Some(if negative { -value } else { value })
}

/// Eight hex digits of [`fnv`] over the cells: the part of a wallet row's id
/// that tells apart rows of one transaction (its account key, address, asset).
pub(crate) fn short_hash(parts: &[&str]) -> String {
    format!("{:08x}", (fnv(parts) >> 32) as u32)
}

/// FNV-1a over the cells (stable across runs and platforms, unlike std's
/// hasher), each cell trimmed and followed by a separator byte.
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for p in parts {
        for &b in p.trim().as_bytes() {
            eat(b);
        }
        eat(0x1f);
    }
    h
}

/// Reads a time written without a zone, in `tz` (the export's documented zone,
/// or `--tz`). Formats are tried in order; `%y` two-digit years are accepted
/// only where listed.
pub(crate) fn parse_naive(s: &str, formats: &[&str]) -> Option<NaiveDateTime> {
    let s = s.trim();
    for f in formats {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t);
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return d.and_hms_opt(0, 0, 0);
        }
    }
    None
}

/// A naive time in `tz` as UTC (the earlier instant when a clock change makes
/// it ambiguous; one in the hour a clock change skips, read with the offset
/// before the change, as if the clock had not moved yet).
pub(crate) fn in_zone(t: NaiveDateTime, tz: chrono_tz::Tz) -> DateTime<Utc> {
    // UTC, the zone of most exports, has no gaps or repeats to look up.
    if tz == chrono_tz::Tz::UTC {
        return t.and_utc();
    }
    if let Some(x) = tz.from_local_datetime(&t).earliest() {
        return x.with_timezone(&Utc);
    }
    // No zone skips more than three hours: three hours before is before the
    // gap, in the offset the clock had.
    match tz
        .from_local_datetime(&(t - chrono::Duration::hours(3)))
        .earliest()
    {
        Some(before) => (t - chrono::Duration::seconds(i64::from(
            chrono::Offset::fix(before.offset()).local_minus_utc(),
        )))
        .and_utc(),
        None => t.and_utc(),
    }
}

/// Parses a time cell; a bad one is a problem. `naive_tz` is the zone for
/// times without an offset.
pub(crate) fn parse_time_cell(
    cx: &mut Cx,
    row: &SheetRow,
    col: usize,
    name: &str,
    formats: &[&str],
    naive_tz: chrono_tz::Tz,
) -> Option<DateTime<Utc>> {
    let cell = row.get(col).trim();
    if formats.first() == Some(&"%Y-%m-%d %H:%M:%S%.f")
        && let Some(t) = plain_time(cell, naive_tz)
    {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(cell) {
        return Some(t.with_timezone(&Utc));
    }
    let stripped = cell
        .strip_suffix(" UTC")
        .or_else(|| cell.strip_suffix('Z'))
        .map(|s| (s, chrono_tz::Tz::UTC));
    let (body, tz) = stripped.unwrap_or((cell, naive_tz));
    if let Some(n) = parse_naive(body, formats) {
        return Some(in_zone(n, tz));
    }
    cx.bad_cell(
        row.line,
        name,
        cell,
        format!(
            "is not a time this export writes (expected e.g. {})",
            example_time(formats.first().copied().unwrap_or("%Y-%m-%d %H:%M:%S"))
        ),
    );
    None
}

/// The common `YYYY-MM-DD HH:MM:SS` cell, bare (in `naive_tz`) or followed by
/// ` UTC`, read as [`parse_time_cell`] reads it when its first layout is
/// `%Y-%m-%d %H:%M:%S%.f`. None for anything else.
pub(crate) fn plain_time(cell: &str, naive_tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let (body, tz) = match cell.strip_suffix(" UTC") {
        Some(body) => (body, chrono_tz::Tz::UTC),
        None => (cell, naive_tz),
    };
    let b = body.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time = date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    Some(in_zone(time, tz))
}

/// A strftime layout shown as an example value for messages; a layout a naive
/// time cannot show (one with an offset, `%z`) is shown as written.
fn example_time(layout: &str) -> String {
    use std::fmt::Write as _;
    let t = NaiveDate::from_ymd_opt(2025, 3, 1)
        .and_then(|d| d.and_hms_opt(14, 5, 0))
        .expect("a valid fixed date");
    let mut s = String::new();
    match write!(s, "{}", t.format(layout)) {
        Ok(()) => s,
        Err(_) => layout.to_string(),
    }
}

/// Common naive time layouts.
pub(crate) const ISO_NAIVE: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A time in the hour a clock change skips is read with the offset
    /// before the change (not as UTC, hours away); a repeated one is the
    /// earlier instant.
    #[test]
    fn times_at_clock_changes() {
        let at = |s: &str, tz: chrono_tz::Tz| {
            let n = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
            in_zone(n, tz).to_rfc3339()
        };
        let ny = chrono_tz::America::New_York;
        assert_eq!(at("2024-03-10 02:30", ny), "2024-03-10T07:30:00+00:00");
        assert_eq!(at("2024-03-10 03:30", ny), "2024-03-10T07:30:00+00:00");
        assert_eq!(at("2024-11-03 01:30", ny), "2024-11-03T05:30:00+00:00");
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(at("2024-03-31 02:30", berlin), "2024-03-31T01:30:00+00:00");
        assert_eq!(at("2024-06-01 12:00", berlin), "2024-06-01T10:00:00+00:00");
    }

    /// The reader before its one-pass form (checked arithmetic, a split at
    /// the point): what the fast path must still agree with.
    fn plain_amount_reference(cell: &str) -> Option<Decimal> {
        let mut b = cell.as_bytes();
        let negative = b.first() == Some(&b'-');
        if negative {
            b = &b[1..];
        }
        if b.first() == Some(&b'$') {
            b = &b[1..];
        }
        let (int, frac) = match b.iter().position(|&c| c == b'.') {
            Some(p) => (&b[..p], Some(&b[p + 1..])),
            None => (b, None),
        };
        if int.is_empty() || frac.is_some_and(|f| f.is_empty()) {
            return None;
        }
        let mut mantissa: u64 = 0;
        let mut digits = 0;
        // Digits since the last comma (None before the first comma).
        let mut group: Option<usize> = None;
        let mut first_group = 0;
        for &c in int {
            match c {
                b'0'..=b'9' => {
                    mantissa = mantissa.checked_mul(10)? + u64::from(c - b'0');
                    digits += 1;
                    match &mut group {
                        Some(g) => *g += 1,
                        None => first_group += 1,
                    }
                }
                b',' => {
                    if group.is_some_and(|g| g != 3) || first_group == 0 || first_group > 3 {
                        return None;
                    }
                    group = Some(0);
                }
                _ => return None,
            }
        }
        if group.is_some_and(|g| g != 3) {
            return None;
        }
        let mut scale = 0;
        for &c in frac.unwrap_or_default() {
            if !c.is_ascii_digit() {
                return None;
            }
            mantissa = mantissa.checked_mul(10)? + u64::from(c - b'0');
            digits += 1;
            scale += 1;
        }
        if digits > 18 {
            return None;
        }
        let value = Decimal::from_parts(mantissa as u32, (mantissa >> 32) as u32, 0, false, scale);
        Some(if negative { -value } else { value })
    }

    proptest::proptest! {
        #[test]
        fn plain_amounts_read_as_before(s in "[-$0-9,.a ]{0,24}") {
            proptest::prop_assert_eq!(plain_amount(&s), plain_amount_reference(&s));
            if let Some(v) = plain_amount(&s) {
                let a = num::parse_amount(&s).unwrap().unwrap();
                proptest::prop_assert_eq!((v, v.to_string()), (a.value, a.value.to_string()));
            }
        }

        #[test]
        fn plain_amounts_of_grouped_digits_read_as_before(
            neg in proptest::prelude::any::<bool>(),
            dollar in proptest::prelude::any::<bool>(),
            head in 0u32..1000,
            groups in proptest::collection::vec(0u32..1000, 0..7),
            frac in "[0-9]{0,12}",
        ) {
            let mut s = format!("{}{}{head}", if neg { "-" } else { "" }, if dollar { "$" } else { "" });
            for g in groups {
                s.push_str(&format!(",{g:03}"));
            }
            if !frac.is_empty() {
                s.push('.');
                s.push_str(&frac);
            }
            proptest::prop_assert_eq!(plain_amount(&s), plain_amount_reference(&s));
        }
    }

    #[test]
    fn plain_cells_read_as_the_general_readers_do() {
        for s in [
            "0",
            "-0.00",
            "$1,234.56",
            "-$2,280.10",
            "1,234",
            "12,34",
            "1234,567",
            ",123",
            "1,",
            "1,2345",
            "1,234,567.891",
            "$",
            "-",
            "",
            ".5",
            "5.",
            "1.2.3",
            "$-5",
            "--5",
            "+5",
            "0.5 BTC",
            "1e5",
            " 5",
            "0001.50",
            "123456789012345678",
            "1234567890123456789",
            "99999999999999999999",
            "1,234.5,6",
        ] {
            if let Some(v) = plain_amount(s) {
                let a = num::parse_amount(s).unwrap().unwrap();
                assert_eq!((v, v.to_string()), (a.value, a.value.to_string()), "{s}");
                assert_eq!(a.unit, None, "{s}");
            }
        }
        assert!(plain_amount("$1,234.56").is_some() && plain_amount("12,34").is_none());
        let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
        for s in [
            "2019-01-01 00:32:06 UTC",
            "2019-01-01 00:32:06",
            "2019-03-10 02:30:00",
            "2019-02-29 00:00:00",
            "2019-01-01 24:00:00",
            "2019-1-01 00:32:06",
        ] {
            if let Some(t) = plain_time(s, ny) {
                let (body, tz) = s
                    .strip_suffix(" UTC")
                    .map_or((s, ny), |b| (b, chrono_tz::Tz::UTC));
                let n = parse_naive(body, &ISO_NAIVE).unwrap();
                assert_eq!(t, in_zone(n, tz), "{s}");
            }
        }
        assert!(plain_time("2019-02-29 00:00:00", ny).is_none());
    }

    #[test]
    fn content_ids_are_stable_and_count_repeats() {
        let opts = ImportOptions {
            account: None,
            prices: None,
            tz: chrono_tz::Tz::UTC,
            accounts: Default::default(),
        };
        let mut cx = Cx::new(&opts, "x".into(), Format::Koinly);
        let a = cx.content_id(&["2024-01-01", "1", "BTC"]);
        let b = cx.content_id(&["2024-01-01", "1", "BTC"]);
        assert_eq!(a, "koinly-dd8b4311899b4816");
        assert_eq!(b, format!("{a}-1"));
        assert_eq!(cx.content_id_unique(&["2024-01-01", "1", "BTC"]), a);
        assert_ne!(cx.content_id(&["2024-01-01", "1B", "TC"]), a);
    }
}
