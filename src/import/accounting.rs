//! The accounting of every input row: what a format made of each row (a ledger
//! row or a skip with its reason), the per-file counts (read = used + skipped +
//! duplicates), the bad rows a format reports, and the errors that stop a file.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use rustc_hash::FxHashSet as HashSet;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::cell::trim;
use crate::model::{FIAT, Kind, Record};

use super::cx::Cx;
use super::duplicates::Superseded;
use super::format::{Format, PREAMBLE_ROWS};

/// The accounting of one input file: `read = used + skipped + duplicates`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Data rows read below the header.
    pub read: usize,
    /// Ledger rows written.
    pub written: usize,
    /// Input rows skipped, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Input rows dropped because the same exchange row was already imported.
    pub duplicates: usize,
    /// Input rows that became (part of) a ledger row; several rows of one trade
    /// make one ledger row.
    pub used: usize,
    /// The first input line skipped for each reason, to find it in the file.
    pub first_skipped: BTreeMap<String, u64>,
    /// The ledger rows written without the USD value the engine needs: it
    /// will look a price up for each (see [`price_needed`]).
    pub need_price: Named<PriceNeeded>,
    /// The ledger rows `import --prices` valued at a price more than 24 hours
    /// older than the row.
    pub stale_prices: Named<StalePrice>,
}

/// Written rows the account of a file names: how many, and the first in the
/// file. Each is kept only where a later file may take some of them back
/// (Kraken's trades.csv, whose trades ledgers.csv gives exactly): a file of
/// a million rows needing a price held a million ids, assets and times to
/// name one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named<T> {
    /// How many were counted and not kept, and the first of them.
    counted: usize,
    first: Option<Box<T>>,
    kept: Vec<T>,
}

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named {
            counted: 0,
            first: None,
            kept: Vec::new(),
        }
    }
}

/// A row [`Named`] lists: its input line and the id of its ledger row.
pub trait NamedRow {
    /// The input line the ledger row was made from.
    fn line(&self) -> u64;
    /// The ledger row's id.
    fn id(&self) -> &str;
}

impl NamedRow for PriceNeeded {
    fn line(&self) -> u64 {
        self.line
    }
    fn id(&self) -> &str {
        &self.id
    }
}

impl NamedRow for StalePrice {
    fn line(&self) -> u64 {
        self.line
    }
    fn id(&self) -> &str {
        &self.id
    }
}

impl<T: NamedRow> Named<T> {
    /// Adds the row of input line `line`, made by `row` if it is kept;
    /// `keep`: a later file may take it back ([`ImportStats::supersede`]).
    pub(super) fn push(&mut self, line: u64, keep: bool, row: impl FnOnce() -> T) {
        if keep {
            self.kept.push(row());
            return;
        }
        self.counted += 1;
        if self.first.as_ref().is_none_or(|f| line < f.line()) {
            self.first = Some(Box::new(row()));
        }
    }

    /// How many rows were added (less those taken back).
    pub fn len(&self) -> usize {
        self.counted + self.kept.len()
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The row of the first line (of two rows of one line, the first added).
    pub fn first(&self) -> Option<&T> {
        let kept = self.kept.iter().min_by_key(|r| r.line());
        match (self.first.as_deref(), kept) {
            (Some(a), Some(b)) if b.line() < a.line() => Some(b),
            (Some(a), _) => Some(a),
            (None, b) => b,
        }
    }

    /// Drops the kept rows whose ledger rows are `ids`.
    fn forget(&mut self, ids: &HashSet<&str>) {
        self.kept.retain(|r| !ids.contains(r.id()));
    }
}

/// A written ledger row whose USD value is left to a price: the engine looks
/// one up in `--prices` at the row's time when it applies the row, and stops
/// naming the row when there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceNeeded {
    /// The ledger row's id.
    pub id: String,
    /// The input line it was made from.
    pub line: u64,
    /// The asset or currency it needs a USD price for.
    pub asset: String,
    /// The row's time, as written.
    pub time: String,
}

/// A written ledger row valued at a `--prices` price more than 24 hours
/// older than the row (a sparse price file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StalePrice {
    /// The ledger row's id.
    pub id: String,
    /// The input line it was made from.
    pub line: u64,
    /// The asset or currency priced.
    pub asset: String,
    /// The time of the price used.
    pub priced_at: DateTime<Utc>,
    /// How much older than the row the price is.
    pub age: chrono::Duration,
}

impl ImportStats {
    /// Writes the per-file account of rows (for stderr): read, used, written,
    /// skipped by reason, duplicates dropped.
    /// The account of an import in one line, for a report's statement of the
    /// files it read.
    pub fn summary(&self, file: &str, format: Format) -> String {
        let s = self;
        let mut out = format!(
            "{file}: format {format}: {} rows read, {} used, {} ledger rows, {} skipped",
            s.read,
            s.used,
            s.written,
            s.skipped_total()
        );
        if !s.skipped.is_empty() {
            let reasons: Vec<String> = s
                .skipped
                .iter()
                .map(|(reason, n)| format!("{n} {reason}"))
                .collect();
            out += &format!(" ({})", reasons.join("; "));
        }
        out += &format!(", {} duplicates dropped", s.duplicates);
        if !s.stale_prices.is_empty() {
            out += &format!(
                ", {} valued at a price over 24 hours old",
                s.stale_prices.len()
            );
        }
        out
    }

    pub fn write_account(
        &self,
        w: &mut dyn std::io::Write,
        file: &str,
        format: Format,
    ) -> std::io::Result<()> {
        let s = self;
        writeln!(w, "{file}: format {format}")?;
        writeln!(w, "  rows read:           {}", s.read)?;
        writeln!(w, "  rows used:           {}", s.used)?;
        writeln!(w, "  ledger rows written: {}", s.written)?;
        writeln!(w, "  rows skipped:        {}", s.skipped_total())?;
        for (reason, n) in &s.skipped {
            match s.first_skipped.get(reason) {
                Some(line) => writeln!(w, "    {n:>5}  {reason} (first at line {line})")?,
                None => writeln!(w, "    {n:>5}  {reason}")?,
            }
        }
        writeln!(w, "  duplicates dropped:  {}", s.duplicates)?;
        // The first in the file: a trade comes before its fee row.
        if let Some(p) = s.need_price.first() {
            writeln!(
                w,
                "  rows needing a USD price: {} (first at {file}:{}, {} at {}); run 'harvest \
                 prices {file} -o prices.csv' to fetch them and give --prices prices.csv (or \
                 give --prices with a dated price for each: CSV time,asset,price)",
                s.need_price.len(),
                p.line,
                p.asset,
                p.time
            )?;
        }
        if let Some(p) = s.stale_prices.first() {
            writeln!(
                w,
                "  rows valued at a price over 24 hours old: {} (first at {file}:{}, {} priced \
                 at {}, {} before the row)",
                s.stale_prices.len(),
                p.line,
                p.asset,
                p.priced_at
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                crate::time::age(p.age)
            )?;
        }
        Ok(())
    }

    /// Rows skipped for any reason.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }

    /// Counts ledger rows given up for a later file's copy as duplicates, in
    /// one pass over the rows needing a price however many there are (a pass
    /// for each took minutes when a Kraken trades.csv of 100,000 trades, each
    /// needing a price, gave way to ledgers.csv).
    pub fn supersede<'a>(&mut self, sups: impl IntoIterator<Item = &'a Superseded>) {
        let mut ids: HashSet<&str> = HashSet::default();
        for s in sups {
            self.written -= s.ids.len();
            self.used -= s.rows;
            self.duplicates += s.rows;
            ids.extend(s.ids.iter().map(String::as_str));
        }
        if !ids.is_empty() {
            self.need_price.forget(&ids);
            self.stale_prices.forget(&ids);
        }
    }
}

/// The asset or currency a written ledger row needs a USD price for when the
/// engine applies it, if any: what `engine::apply` and `engine::transfer`
/// look up in `--prices` (SPEC section 3, "Valuing what the row does not
/// value").
///
/// - A buy, sell, trade, income or spend with no USD side and no `usd_value`:
///   its side in another currency (valued at that currency's rate), else the
///   received (or sent) asset.
/// - Its fee in another currency without `fee_usd` (the engine values it at
///   the currency's rate, even when the row has a `usd_value`), or in a crypto
///   asset that is neither side of the row (a disposal of that asset).
/// - A withdrawal's or deposit's crypto fee without `fee_usd`, unless the
///   row's `usd_value` prices the moved asset; a `fee` row's crypto without
///   `usd_value` (or `fee_usd` for its fee).
///
/// A crypto fee the engine could value at a price an earlier row implies
/// (with a warning) is counted too: that is a fallback, not a price.
pub(super) fn price_needed<'a>(r: &'a Record) -> Option<&'a str> {
    let usd = |a: &str| a.eq_ignore_ascii_case("USD");
    let money = |a: &str| usd(a) || FIAT.iter().any(|f| f.eq_ignore_ascii_case(a));
    let side = |a: &'a str| Some(trim(a)).filter(|a| !a.is_empty());
    let sent = side(&r.sent_asset);
    let received = side(&r.received_asset);
    // A zero fee is no fee (the engine leaves it out).
    let zero_fee = || Decimal::from_str_exact(trim(&r.fee_qty)).is_ok_and(|d| d.is_zero());
    let fee = side(&r.fee_asset).filter(|_| !zero_fee());
    // A USD stablecoin is valued at 1.00, by import and the engine alike.
    let stable = |a: &str| crate::model::is_usd_stablecoin(a);
    let crypto = |a: Option<&'a str>| a.filter(|a| !money(a) && !stable(a));
    let valued = !trim(&r.usd_value).is_empty();
    let fee_valued = !trim(&r.fee_usd).is_empty();
    match Kind::parse(trim(&r.kind))? {
        Kind::Buy | Kind::Sell | Kind::Trade | Kind::Income | Kind::Spend => {
            let fixed = |a: &str| usd(a) || stable(a);
            if !(valued || sent.is_some_and(fixed) || received.is_some_and(fixed)) {
                let foreign = [sent, received].into_iter().flatten().find(|a| money(a));
                if let Some(a) = foreign.or(received).or(sent) {
                    return Some(a);
                }
            }
            let f = fee.filter(|_| !fee_valued)?;
            if fixed(f) || crypto(sent) == Some(f) || crypto(received) == Some(f) {
                None
            } else {
                Some(f)
            }
        }
        Kind::GiftIn | Kind::GiftOut | Kind::Donation | Kind::Inheritance | Kind::Lost => {
            let moved = crypto(sent).or(crypto(received));
            let kind = Kind::parse(trim(&r.kind))?;
            if !valued
                && matches!(kind, Kind::GiftIn | Kind::GiftOut | Kind::Donation)
                && let Some(m) = moved
            {
                return Some(m);
            }
            let f = crypto(fee).filter(|_| !fee_valued)?;
            (!(valued && moved == Some(f))).then_some(f)
        }
        Kind::Withdrawal | Kind::Deposit => {
            let moved = if trim(&r.kind).eq_ignore_ascii_case("withdrawal") {
                sent
            } else {
                received
            };
            let f = crypto(fee).filter(|_| !fee_valued)?;
            (!(valued && moved == Some(f))).then_some(f)
        }
        Kind::Fee => {
            if let Some(s) = crypto(sent)
                && !valued
            {
                return Some(s);
            }
            let f = crypto(fee).filter(|_| !fee_valued)?;
            match crypto(sent) {
                // Valued at the row's own unit price.
                Some(s) if s == f => None,
                // A third asset.
                Some(_) => Some(f),
                None => (!valued).then_some(f),
            }
        }
    }
}

/// One bad cell or row of an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub column: Option<String>,
    pub value: Option<String>,
    pub problem: String,
}

/// Why an input could not be imported. Every message names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "{file}:{line}: unknown export format (header seen: {header:?}); known formats: {known}; \
         pass --format NAME if the file is one of them"
    )]
    UnknownFormat {
        file: String,
        line: u64,
        header: String,
        known: String,
    },
    #[error(
        "{file}:{line}: no {format} header found in the first {PREAMBLE_ROWS} rows (first row \
         seen: {header:?}); check --format (known formats: {known})"
    )]
    HeaderNotFound {
        file: String,
        line: u64,
        format: Format,
        header: String,
        known: String,
    },
    #[error(
        "{file}: the file is empty: give a ledger (header line {}) or an exchange export \
         (known formats: {known})",
        crate::model::LEDGER_COLUMNS.join(",")
    )]
    Empty { file: String, known: String },
    /// A quote left open, or closed by a quote rows further on.
    #[error(
        "{file}:{line}: {}{problem}",
        column.as_ref().map_or(String::new(), |c| format!("column {c}: "))
    )]
    Quoting {
        file: String,
        line: u64,
        /// The cell's index in its row, and its column's name when known.
        field: usize,
        column: Option<String>,
        problem: String,
    },
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}: not readable as CSV: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: {}", list_problems(file, problems, *more))]
    BadRows {
        file: String,
        problems: Vec<RowProblem>,
        more: usize,
    },
    #[error(
        "{file}: internal error: {read} rows read but {used} used + {skipped} skipped + \
         {duplicates} duplicates; please report this"
    )]
    Unaccounted {
        file: String,
        read: usize,
        used: usize,
        skipped: usize,
        duplicates: usize,
    },
}

impl ImportError {
    /// Names the column of a quoting error, from the header's cells.
    pub(super) fn in_column_of(self, header: Option<&[String]>) -> ImportError {
        match self {
            ImportError::Quoting {
                file,
                line,
                field,
                problem,
                ..
            } => ImportError::Quoting {
                file,
                line,
                field,
                column: header.and_then(|h| h.get(field)).cloned(),
                problem,
            },
            e => e,
        }
    }
}

/// The bad rows, one line each: a row's problems are joined on its line, and
/// the count is of rows (problems of one row are adjacent: sorted by line).
fn list_problems(file: &str, problems: &[RowProblem], more: usize) -> String {
    let rows = problems
        .iter()
        .enumerate()
        .filter(|(i, p)| *i == 0 || problems[i - 1].line != p.line)
        .count();
    let mut s = format!(
        "{} bad row(s); fix them (or remove the rows) and import again",
        rows + more
    );
    for (i, p) in problems.iter().enumerate() {
        if i > 0 && problems[i - 1].line == p.line {
            s.push_str("; ");
        } else {
            s.push_str(&format!("\n  {file}:{}: ", p.line));
        }
        if let Some(c) = &p.column {
            s.push_str(&format!("column {c} "));
        }
        if let Some(v) = &p.value {
            s.push_str(&format!("{v:?} "));
        }
        s.push_str(&p.problem);
    }
    if more > 0 {
        s.push_str(&format!("\n  ... and {more} more"));
    }
    s
}

/// What a format made of its rows.
pub(crate) enum Entry {
    /// A ledger row made from the input rows at these lines.
    Rec { rows: Vec<u64>, rec: Record },
    /// A further ledger row from rows another `Rec` already accounts for (a
    /// second fee asset on a Kraken trade).
    Extra { row: u64, rec: Record },
    /// An input row that does not become a ledger row, and why.
    Skip { row: u64, reason: String },
}

impl Entry {
    pub fn skip(row: u64, reason: impl Into<String>) -> Entry {
        Entry::Skip {
            row,
            reason: reason.into(),
        }
    }
}

/// At most this many bad rows are listed; the rest are counted.
pub(super) const MAX_PROBLEMS: usize = 50;

// The bad rows of a file, as its format reports them while reading it: the
// list an [`ImportError::BadRows`] gives.
impl Cx<'_, '_> {
    /// Records a problem with a row; the file fails after all rows are read.
    pub fn problem(
        &mut self,
        line: u64,
        column: Option<&str>,
        value: Option<&str>,
        problem: impl Into<String>,
    ) {
        self.record(line, column, value, problem.into(), false);
    }

    /// Records a cell whose text cannot be read (a number, a time).
    pub(super) fn bad_cell(
        &mut self,
        line: u64,
        column: &str,
        value: &str,
        problem: impl Into<String>,
    ) {
        self.record(line, Some(column), Some(value), problem.into(), true);
    }

    /// Each bad row is listed once: a second unreadable cell joins its row; a
    /// problem repeated (the same one found for two legs of a trade), or
    /// following from a cell already found unreadable (the amount then reads
    /// as empty), is not listed again.
    fn record(
        &mut self,
        line: u64,
        column: Option<&str>,
        value: Option<&str>,
        problem: String,
        unreadable: bool,
    ) {
        self.reported += 1;
        if !unreadable && self.unreadable.contains(&line) {
            return;
        }
        if unreadable {
            self.unreadable.insert(line);
        }
        let value = value.map(shorten);
        let mut row = self.problems.iter().filter(|p| p.line == line).peekable();
        if row.peek().is_none() {
            if self.listed >= MAX_PROBLEMS || self.more.contains(&line) {
                self.more.insert(line);
                return;
            }
            self.listed += 1;
        } else if row
            .any(|p| p.column.as_deref() == column && p.value == value && p.problem == problem)
        {
            return;
        }
        self.problems.push(RowProblem {
            line,
            column: column.map(str::to_string),
            value,
            problem,
        });
    }

    /// How many problems were reported so far (to tell whether one row added any).
    pub fn problem_count(&self) -> usize {
        self.reported
    }

    /// True once any problem was reported.
    pub fn failed(&self) -> bool {
        self.reported > 0
    }
}

pub(super) fn shorten(s: &str) -> String {
    const MAX: usize = 160;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let t: String = s.chars().take(MAX).collect();
        format!("{t}...")
    }
}

/// Why a trade's repeated rows are skipped.
pub(crate) const REPEATED: &str = "a trade's rows repeated, each as often (an export joined \
                                   with one overlapping it): the trade counted once";

/// The rows to make one trade of, given a key of each row's cells in the
/// rows' order. When the number of times each distinct row is there shares a
/// factor k of two or more, the trade is there k times (a trade in k
/// overlapping exports joined into one file, as identical rows outside a
/// trade are one row): each row's first 1/k of its copies is kept, so that
/// two coins changed into BNB for the same amount (two identical rows) are
/// still two rows once the export is pasted twice (four). Otherwise every
/// row is kept. The rows left out are skipped as [`REPEATED`] (`line` gives
/// the line of the row at an index).
pub(crate) fn once_each<K: Eq + Hash + Copy>(
    keys: impl IntoIterator<Item = K>,
    line: impl Fn(usize) -> u64,
    out: &mut Vec<Entry>,
) -> Vec<usize> {
    let keys: Vec<K> = keys.into_iter().collect();
    let mut left: HashMap<K, usize> = HashMap::new();
    for &key in &keys {
        *left.entry(key).or_default() += 1;
    }
    let k = left.values().fold(0, |g, &n| gcd(g, n));
    if k < 2 {
        return (0..keys.len()).collect();
    }
    for n in left.values_mut() {
        *n /= k;
    }
    let mut kept = Vec::with_capacity(keys.len() / k);
    for (i, key) in keys.iter().enumerate() {
        match left.get_mut(key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                kept.push(i);
            }
            _ => out.push(Entry::skip(line(i), REPEATED)),
        }
    }
    kept
}

/// The greatest common divisor (`gcd(0, n)` is `n`).
fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::super::ImportOptions;
    use super::*;

    /// A trade whose distinct rows' counts share a factor k is there k
    /// times: the first 1/k of each row's copies is kept, the rest skipped.
    #[test]
    fn a_trade_there_k_times_keeps_a_kth_of_each_row() {
        let kept = |keys: &[char]| {
            let mut out = Vec::new();
            let idx = once_each(keys.iter().copied(), |i| i as u64 + 2, &mut out);
            let skipped: Vec<u64> = (out.iter())
                .filter_map(|e| match e {
                    Entry::Skip { row, .. } => Some(*row),
                    _ => None,
                })
                .collect();
            (idx, skipped)
        };
        // Two coins changed into BNB for the same amount, pasted twice.
        assert_eq!(
            kept(&['a', 'b', 'n', 'n', 'a', 'b', 'n', 'n']),
            (vec![0, 1, 2, 3], vec![6, 7, 8, 9])
        );
        assert_eq!(kept(&['a', 'b', 'a', 'b', 'a', 'b']).0, [0, 1]);
        // Counts with no common factor: every row.
        assert_eq!(kept(&['a', 'n', 'n']), (vec![0, 1, 2], vec![]));
        assert_eq!(kept(&['a', 'b']), (vec![0, 1], vec![]));
        assert_eq!(kept(&[]), (vec![], vec![]));
    }

    fn needed(id: &str, line: u64) -> PriceNeeded {
        PriceNeeded {
            id: id.into(),
            line,
            asset: "EUR".into(),
            time: format!("t{line}"),
        }
    }

    /// Rows counted name the first of their lines (the first added of two
    /// rows of one line, a trade before its fee row), made only when first;
    /// rows kept name theirs after some are taken back.
    #[test]
    fn named_rows_count_and_name_the_first() {
        let mut n: Named<PriceNeeded> = Named::default();
        assert!(n.is_empty() && n.first().is_none());
        let mut made = 0;
        for (id, line) in [("a", 5), ("b", 3), ("c", 3), ("d", 9)] {
            n.push(line, false, || {
                made += 1;
                needed(id, line)
            });
        }
        assert_eq!((n.len(), n.first().map(|p| p.id.as_str())), (4, Some("b")));
        assert_eq!(made, 2);
        let mut k: Named<PriceNeeded> = Named::default();
        for (id, line) in [("a", 5), ("b", 3), ("c", 3), ("d", 9)] {
            k.push(line, true, || needed(id, line));
        }
        assert_eq!(k.first().map(|p| p.id.as_str()), Some("b"));
        k.forget(&["b", "d"].into_iter().collect());
        assert_eq!((k.len(), k.first().map(|p| p.id.as_str())), (2, Some("c")));
        n.forget(&["b"].into_iter().collect());
        assert_eq!(n.len(), 4);
    }

    /// A ledger row from its CSV cells (the ledger's columns, id first).
    fn rec(line: &str) -> Record {
        let c: Vec<String> = line.split(',').map(str::to_string).collect();
        let c = |i: usize| c.get(i).cloned().unwrap_or_default();
        Record {
            id: c(0),
            time: c(1),
            account: c(2),
            kind: c(3),
            sent_qty: c(4),
            sent_asset: c(5),
            received_qty: c(6),
            received_asset: c(7),
            fee_qty: c(8),
            fee_asset: c(9),
            usd_value: c(10),
            fee_usd: c(11),
            txid: c(12),
            note: c(13),
            category: c(14),
            basis_usd: c(15),
            acquired: c(16),
        }
    }

    // Issue 16 part 1: the rows counted as needing a USD price are those whose
    // value the engine looks up in --prices (SPEC section 3, "Valuing what the
    // row does not value"; engine/apply.rs main_value, money_value, fee_value
    // and engine/transfer.rs): no USD side and no usd_value (a side in another
    // currency at its rate, else the received then sent asset), a fee in
    // another currency or a third crypto without fee_usd, a transfer's crypto
    // fee without fee_usd nor a usd_value pricing the moved asset.
    #[test]
    fn rows_needing_a_price_are_those_the_engine_looks_up() {
        let t = "2025-01-02T00:00:00Z,k";
        for (row, want) in [
            // A USD side or usd_value values it; a USD fee needs nothing.
            ("buy,100,USD,1,ETH,1,USD,,", None),
            ("sell,1,ETH,0,USD,,,,", None),
            ("trade,1,ETH,600,DOT,0.96,DOT,3000,", None),
            ("income,,,0.1,ETH,,,2.5,", None),
            // Nothing values it: the received asset, then the sent one.
            ("trade,1,ETH,600,DOT,0.96,DOT,,", Some("DOT")),
            ("income,,,0.1,ETH,,,,", Some("ETH")),
            ("spend,0.1,ETH,,,,,,", Some("ETH")),
            // Another currency is valued at its rate, not at a crypto price.
            ("buy,200,EUR,6.25,DOT,0.32,EUR,,", Some("EUR")),
            ("sell,1,ETH,2500,gbp,,,,", Some("gbp")),
            // ... and its fee too, even when the row has a usd_value.
            ("buy,200,EUR,6.25,DOT,0.32,EUR,220,", Some("EUR")),
            ("buy,200,EUR,6.25,DOT,0.32,EUR,220,0.352", None),
            ("buy,200,EUR,6.25,DOT,0,EUR,220,", None),
            // A fee in a third crypto is a disposal of it.
            ("trade,1,ETH,600,DOT,0.01,BNB,3000,", Some("BNB")),
            ("trade,1,ETH,600,DOT,0.01,BNB,3000,5", None),
            // A transfer's crypto fee, unless usd_value prices its asset.
            ("withdrawal,1,BTC,,,0.0001,BTC,,", Some("BTC")),
            ("withdrawal,1,BTC,,,0.0001,BTC,,6", None),
            ("withdrawal,1,BTC,,,0.0001,BTC,60000,", None),
            ("deposit,,,1,BTC,0.0001,BNB,60000,", Some("BNB")),
            ("withdrawal,1,BTC,,,1,USD,,", None),
            ("deposit,,,1,BTC,,,,", None),
            // A fee row: its crypto at usd_value (or fee_usd).
            ("fee,,,,,0.001,BNB,,", Some("BNB")),
            ("fee,,,,,0.001,BNB,,0.5", None),
            ("fee,0.001,BNB,,,,,,", Some("BNB")),
            ("fee,0.001,BNB,,,0.001,BNB,0.5,", None),
            ("fee,0.001,BNB,,,0.1,KFEE,0.5,", Some("KFEE")),
            // A USD stablecoin is 1.00: a side, a fee or a transfer's fee.
            ("trade,600,USDT,0.2,ETH,,,,", None),
            ("trade,1,ETH,600,DOT,0.5,USDC,3000,", None),
            ("deposit,,,1,BTC,1,USDT,,", None),
        ] {
            let r = rec(&format!("r1,{t},{row},,"));
            assert_eq!(price_needed(&r), want, "{row}");
        }
    }

    // Issue 14 item 13: a bad row is listed once and counted once. Two cells of
    // it that cannot be read are both named on its line; a problem repeated, or
    // one that follows from a cell already unreadable, is not listed again.
    #[test]
    fn each_bad_row_is_listed_once() {
        let opts = ImportOptions {
            account: None,
            prices: None,
            tz: chrono_tz::Tz::UTC,
            accounts: Default::default(),
        };
        let mut cx = Cx::new(&opts, "x".into(), Format::Koinly);
        cx.bad_cell(3, "Amount", "abc", "is not a number");
        cx.problem(3, Some("Amount"), None, "is empty on a trade");
        cx.problem(3, None, None, "no USD value for this row");
        cx.bad_cell(3, "Fee", "x", "is not a number");
        cx.problem(5, None, Some("CHF"), "add a CHF rate");
        cx.problem(5, None, Some("CHF"), "add a CHF rate");
        assert_eq!(cx.problem_count(), 6);
        let text = list_problems("f.csv", &cx.problems, cx.more.len());
        assert_eq!(
            text,
            "2 bad row(s); fix them (or remove the rows) and import again\n  \
             f.csv:3: column Amount \"abc\" is not a number; column Fee \"x\" is not a number\n  \
             f.csv:5: \"CHF\" add a CHF rate"
        );
        // Past the rows listed, further rows are counted once each.
        for line in 10..70 {
            cx.bad_cell(line, "Amount", "abc", "is not a number");
            cx.bad_cell(line, "Fee", "abc", "is not a number");
        }
        assert_eq!(cx.listed, MAX_PROBLEMS);
        let text = list_problems("f.csv", &cx.problems, cx.more.len());
        assert!(text.starts_with("62 bad row(s)"), "{text}");
        assert!(text.ends_with("... and 12 more"), "{text}");
    }
}
