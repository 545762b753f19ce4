//! Form 8949 rows: one per disposal and lot, in cents that add up.
//!
//! Rounding (SPEC section 3): amounts stay exact until a row is written, then a
//! row's proceeds are round(P through this row) - round(P before it), P running
//! over the rows of one disposal, and its basis likewise over all the rows of one
//! lot across disposals and years, in ledger order. A lot sold in three parts
//! still adds up to its rounded basis.

use std::collections::HashMap;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::term::{Term, lot_term, term};
use crate::engine::{LotIdx, Outcome};
use crate::model::Ledger;

pub use crate::cell::cents;

/// A Form 8949 check box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
pub enum Box8949 {
    A,
    B,
    C,
    D,
    E,
    F,
    G,
    H,
    I,
    J,
    K,
    L,
}

impl Box8949 {
    /// Parses a box letter (case-insensitive).
    pub fn parse(s: &str) -> Option<Box8949> {
        use Box8949::*;
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "A" => A,
            "B" => B,
            "C" => C,
            "D" => D,
            "E" => E,
            "F" => F,
            "G" => G,
            "H" => H,
            "I" => I,
            "J" => J,
            "K" => K,
            "L" => L,
            _ => return None,
        })
    }

    /// The part of Form 8949 the box belongs to.
    pub fn term(self) -> Term {
        use Box8949::*;
        match self {
            A | B | C | G | H | I => Term::Short,
            D | E | F | J | K | L => Term::Long,
        }
    }

    /// The letter.
    pub fn as_str(self) -> &'static str {
        use Box8949::*;
        match self {
            A => "A",
            B => "B",
            C => "C",
            D => "D",
            E => "E",
            F => "F",
            G => "G",
            H => "H",
            I => "I",
            J => "J",
            K => "K",
            L => "L",
        }
    }
}

impl fmt::Display for Box8949 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The account names the importers give to US brokers' exports: every US
/// custodial exchange files Form 1099-DA from tax year 2025 (Treas. Reg.
/// 1.6045-1). `cashapp` and `coinbase-advanced` are the spellings of
/// what the importers call `cash-app` and `coinbase`; both are listed.
pub const US_BROKERS: [&str; 11] = [
    "coinbase",
    "coinbase-advanced",
    "kraken",
    "gemini",
    "binance-us",
    "robinhood",
    "cashapp",
    "cash-app",
    "paypal",
    "crypto-com",
    "bitstamp",
];

/// The first day a broker reports the basis of units acquired in the account
/// (covered securities, Treas. Reg. 1.6045-1(a)(15)(i)(J)).
pub const COVERED_FROM: i32 = 2026;

/// Which box each row goes in (see [`BoxRules::box_for`]), and which assets
/// are collectibles (code C).
#[derive(Debug, Clone, Default)]
pub struct BoxRules {
    /// Per account name: (short-term box, long-term box).
    pub accounts: HashMap<String, (Option<Box8949>, Option<Box8949>)>,
    /// Per account name: whether it is a US broker (harvest.toml `broker`),
    /// over [`US_BROKERS`].
    pub brokers: HashMap<String, bool>,
    /// Asset names (upper case) that are collectibles: their rows get code C
    /// (harvest.toml `[assets] collectibles`).
    pub collectibles: std::collections::HashSet<String>,
}

impl BoxRules {
    /// Whether `asset` is a collectible.
    pub fn is_collectible(&self, asset: &str) -> bool {
        !self.collectibles.is_empty() && self.collectibles.contains(&asset.to_ascii_uppercase())
    }

    /// Whether `account` is a US broker that files Form 1099-DA: harvest.toml
    /// `broker` when given, else its name in [`US_BROKERS`].
    pub fn is_broker(&self, account: &str) -> bool {
        self.brokers
            .get(account)
            .copied()
            .unwrap_or_else(|| US_BROKERS.contains(&account))
    }

    /// The box of a row sold in `year` with `term` from `account`; `covered`
    /// when its units were acquired in that account from 2026 on and never
    /// transferred in (a broker reports their basis).
    ///
    /// - An account's own `box_short`/`box_long` in harvest.toml wins.
    /// - A US broker: 2025 sales on a 1099-DA with gross proceeds only (H/K);
    ///   from 2026, G/J for covered units, H/K for the rest.
    /// - Self-custody and foreign exchanges: not reported on a 1099-DA (I/L).
    /// - Before 2025: C/F (no Form 1099-B for digital assets).
    pub fn box_for(&self, year: i32, term: Term, account: &str, covered: bool) -> Box8949 {
        if let Some(&(s, l)) = self.accounts.get(account) {
            let chosen = match term {
                Term::Short => s,
                Term::Long => l,
            };
            if let Some(b) = chosen {
                return b;
            }
        }
        let short = term == Term::Short;
        if year < 2025 {
            return if short { Box8949::C } else { Box8949::F };
        }
        if !self.is_broker(account) {
            return if short { Box8949::I } else { Box8949::L };
        }
        match (year >= COVERED_FROM && covered, short) {
            (true, true) => Box8949::G,
            (true, false) => Box8949::J,
            (false, true) => Box8949::H,
            (false, false) => Box8949::K,
        }
    }
}

/// One Form 8949 row, in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GainRow {
    /// Index into [`Outcome::disposals`].
    pub disposal: u32,
    pub lot: LotIdx,
    pub quantity: Decimal,
    pub date_acquired: NaiveDate,
    pub date_sold: NaiveDate,
    pub term: Term,
    pub box_: Box8949,
    pub proceeds: Decimal,
    pub cost_basis: Decimal,
    /// Column (f), codes in alphabetical order; empty when none.
    pub adjustment_code: AdjustmentCode,
    /// Column (g).
    pub adjustment: Decimal,
    /// Column (h): proceeds - basis + adjustment.
    pub gain: Decimal,
    /// Which basis column (e) holds, when not the lot's own.
    pub basis_rule: BasisRule,
}

/// Column (f) of a Form 8949 row: its code letters in alphabetical order, held
/// in the row itself. A `String` took 24 bytes of every row and an allocation
/// for each coded one; a large year has millions of rows.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AdjustmentCode {
    len: u8,
    letters: [u8; AdjustmentCode::MAX],
}

impl AdjustmentCode {
    /// The most letters a row can hold: more than the distinct codes harvest
    /// writes (B, C, E or O, T, W).
    pub const MAX: usize = 7;

    /// No code.
    pub const NONE: AdjustmentCode = AdjustmentCode {
        len: 0,
        letters: [0; AdjustmentCode::MAX],
    };

    /// The code of `letters`: `None` unless they are at most [`Self::MAX`]
    /// ASCII capital letters.
    pub fn new(letters: &str) -> Option<AdjustmentCode> {
        let mut code = AdjustmentCode::NONE;
        for c in letters.chars() {
            if !c.is_ascii_uppercase() || usize::from(code.len) == Self::MAX {
                return None;
            }
            code.push(c);
        }
        Some(code)
    }

    /// Appends the code letter `c` (the caller keeps the alphabetical order).
    ///
    /// # Panics
    /// If `c` is not an ASCII capital letter or the code is full: both are
    /// harvest's own mistakes, never a file's.
    pub fn push(&mut self, c: char) {
        assert!(c.is_ascii_uppercase(), "code letter {c:?}");
        let at = usize::from(self.len);
        assert!(
            at < Self::MAX,
            "column (f) holds at most {} codes",
            Self::MAX
        );
        self.letters[at] = c as u8;
        self.len += 1;
    }

    /// The letters, as column (f) shows them.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored, so this never falls back.
        std::str::from_utf8(&self.letters[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::ops::Deref for AdjustmentCode {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<&str> for AdjustmentCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for AdjustmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for AdjustmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which basis a row's column (e) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BasisRule {
    /// The lot's basis (a gift's: the donor's).
    #[default]
    Lot,
    /// A gift worth less than the donor's basis, sold at a loss below that
    /// value: the fair value at the gift, with a holding period from the gift
    /// (Treas. Reg. 1.1015-1(a)(1)).
    GiftFairValue,
    /// A gift worth less than the donor's basis, sold between the two: no gain
    /// and no loss (Treas. Reg. 1.1015-1(a)(2)); column (e) equals (d).
    GiftNoGainNoLoss,
}

impl BasisRule {
    /// A short note for people, empty for [`BasisRule::Lot`].
    pub fn note(self) -> &'static str {
        match self {
            BasisRule::Lot => "",
            BasisRule::GiftFairValue => "gift: loss from fair value at the gift",
            BasisRule::GiftNoGainNoLoss => "gift: sold between fair value and donor's basis",
        }
    }

    /// The JSON spelling (`lot`, `gift_fair_value`, `gift_no_gain_no_loss`).
    pub fn as_str(self) -> &'static str {
        match self {
            BasisRule::Lot => "lot",
            BasisRule::GiftFairValue => "gift_fair_value",
            BasisRule::GiftNoGainNoLoss => "gift_no_gain_no_loss",
        }
    }
}

/// Column totals of a set of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub proceeds: Decimal,
    pub cost_basis: Decimal,
    pub adjustment: Decimal,
    pub gain: Decimal,
}

impl Totals {
    /// Adds a row.
    pub fn add(&mut self, r: &GainRow) {
        add_cents(&mut self.proceeds, r.proceeds);
        add_cents(&mut self.cost_basis, r.cost_basis);
        add_cents(&mut self.adjustment, r.adjustment);
        add_cents(&mut self.gain, r.gain);
    }

    /// The totals of `rows`.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a GainRow>) -> Totals {
        let mut t = Totals::default();
        for r in rows {
            t.add(r);
        }
        t
    }

    /// The totals of the short-term rows and of the long-term rows, in one
    /// pass.
    pub fn by_term<'a>(rows: impl IntoIterator<Item = &'a GainRow>) -> (Totals, Totals) {
        let (mut short, mut long) = (Totals::default(), Totals::default());
        for r in rows {
            match r.term {
                Term::Short => short.add(r),
                Term::Long => long.add(r),
            }
        }
        (short, long)
    }
}

/// `*sum += d`, by one integer addition when both are cents, as a row's
/// amounts and their sums are: rust_decimal's addition, general, cost some
/// 70 instructions, four a row for each total of a year of millions of
/// rows. The result is the same value and scale.
fn add_cents(sum: &mut Decimal, d: Decimal) {
    // A zero of no more decimals (a row's adjustment, mostly) leaves a sum
    // that is not zero as it is.
    if d.is_zero() && d.scale() <= sum.scale() && !sum.is_zero() {
        return;
    }
    if sum.scale() == 2 && d.scale() == 2 {
        let m = sum.mantissa() + d.mantissa();
        // Past 28 digits (never for cents), Decimal's own addition decides.
        if let Ok(t) = Decimal::try_from_i128_with_scale(m, 2) {
            *sum = t;
            return;
        }
    }
    *sum += d;
}

/// Puts `rows` in Part I then Part II, then by box, each box in the order
/// given: a stable sort by `(term, box)`, by counting, as there are only 24
/// keys.
pub fn sort_by_part_and_box(rows: &mut Vec<&GainRow>) {
    const BOXES: usize = Box8949::L as usize + 1;
    let key = |r: &GainRow| r.term as usize * BOXES + r.box_ as usize;
    let mut start = [0usize; 2 * BOXES + 1];
    for r in rows.iter() {
        start[key(r) + 1] += 1;
    }
    // One key: already in order.
    if start.iter().filter(|&&n| n > 0).count() <= 1 {
        return;
    }
    for k in 0..2 * BOXES {
        start[k + 1] += start[k];
    }
    let mut sorted = rows.clone();
    for r in rows.iter() {
        let at = &mut start[key(r)];
        sorted[*at] = r;
        *at += 1;
    }
    *rows = sorted;
}

/// Builds the rows of every disposal of every year, in ledger order.
pub fn build_rows(ledger: &Ledger, outcome: &Outcome, boxes: &BoxRules) -> Vec<GainRow> {
    build_rows_where(ledger, outcome, boxes, |_| true)
}

/// Builds the rows of the disposals `keep` accepts (a tax year, say). Every
/// disposal is still walked, so a lot's running basis spans years.
pub fn build_rows_where(
    ledger: &Ledger,
    outcome: &Outcome,
    boxes: &BoxRules,
    keep: impl Fn(&crate::engine::Disposal) -> bool + Sync,
) -> Vec<GainRow> {
    let split = Split::of(outcome, &keep, per_thread());
    build_rows_split(ledger, outcome, boxes, &keep, &split)
}

/// [`build_rows_where`] as `split` shares the disposals between two threads,
/// each writing its rows straight into its own part of the one list (no
/// second list of half a year's rows, copied over at the end).
fn build_rows_split(
    ledger: &Ledger,
    outcome: &Outcome,
    boxes: &BoxRules,
    keep: &(impl Fn(&crate::engine::Disposal) -> bool + Sync),
    split: &Split,
) -> Vec<GainRow> {
    let n = outcome.disposals.len();
    let mut rows: Vec<GainRow> = Vec::with_capacity(split.rows);
    if split.mid >= n {
        rows_in(ledger, outcome, boxes, keep, 0..n, |r| rows.push(r));
        return rows;
    }
    // Each kept disposal makes one row a leg, so each thread's count is
    // known: the first fills the slots before `split.before`, the second the
    // others.
    let fill = |slots: &mut [std::mem::MaybeUninit<GainRow>], range| {
        let mut slots = slots.iter_mut();
        // Rows made, and slots left: a row with no slot is counted, not lost.
        let mut made = 0;
        rows_in(ledger, outcome, boxes, keep, range, |r| {
            made += 1;
            if let Some(slot) = slots.next() {
                slot.write(r);
            }
        });
        (made, slots.len())
    };
    let (first, second) = rows.spare_capacity_mut()[..split.rows].split_at_mut(split.before);
    let (a, b) = crate::threads::join(|| fill(first, 0..split.mid), || fill(second, split.mid..n));
    assert!(
        a == (split.before, 0) && b == (split.rows - split.before, 0),
        "internal error: a Form 8949 row for each leg of each disposal kept"
    );
    // SAFETY: the first `split.rows` slots were each written once: each
    // thread made as many rows as its part has slots and left none (checked
    // above), writing them in turn.
    unsafe { rows.set_len(split.rows) };
    rows
}

/// [`build_rows_where`] on two threads however few the rows (for tests).
#[cfg(test)]
pub(crate) fn build_rows_halves(
    ledger: &Ledger,
    outcome: &Outcome,
    boxes: &BoxRules,
    keep: &(impl Fn(&crate::engine::Disposal) -> bool + Sync),
) -> Vec<GainRow> {
    let split = Split::of(outcome, keep, 1);
    assert!(split.mid < outcome.disposals.len(), "two threads");
    build_rows_split(ledger, outcome, boxes, keep, &split)
}

/// Where a second thread takes over building a year's rows.
struct Split {
    /// The rows of the disposals kept.
    rows: usize,
    /// The disposal the second thread starts at (past the last: none).
    mid: usize,
    /// The rows of the disposals kept before `mid`.
    before: usize,
}

impl Split {
    /// Half the rows of the disposals `keep` keeps on each thread, when
    /// there are `per_thread` rows a thread or more.
    fn of(
        outcome: &Outcome,
        keep: &impl Fn(&crate::engine::Disposal) -> bool,
        per_thread: usize,
    ) -> Split {
        let rows_of = |d: &crate::engine::Disposal| {
            if keep(d) && d.kind != crate::engine::DisposalKind::Removal {
                d.legs.len()
            } else {
                0
            }
        };
        let rows: usize = outcome.disposals.iter().map(rows_of).sum();
        let none = Split {
            rows,
            mid: usize::MAX,
            before: rows,
        };
        if rows < per_thread.saturating_mul(2) {
            return none;
        }
        let mut before = 0;
        for (i, d) in outcome.disposals.iter().enumerate() {
            before += rows_of(d);
            if before > rows / 2 {
                return Split {
                    rows,
                    mid: i + 1,
                    before,
                };
            }
        }
        none
    }
}

/// Kept rows below which one thread builds them all: a second costs more
/// than it saves.
const ROWS_PER_THREAD: usize = 50_000;

/// [`ROWS_PER_THREAD`] where a second core can take the half, else never.
fn per_thread() -> usize {
    crate::threads::worth_a_thread(ROWS_PER_THREAD)
}

/// [`build_rows_where`], folding the rows into `A`s instead of keeping them
/// (what only sums the rows needs no room for a year of them): on two
/// threads when there are many, each folding a run of disposals into its own
/// `init()`, the folds returned in ledger order. Each thread starts from the
/// lots' running basis where its run begins, added up leg by leg in the same
/// order as one thread would, so the rows are the same either way.
pub fn fold_rows_where<A: Send>(
    ledger: &Ledger,
    outcome: &Outcome,
    boxes: &BoxRules,
    keep: impl Fn(&crate::engine::Disposal) -> bool + Sync,
    init: impl Fn() -> A + Sync,
    fold: impl Fn(&mut A, GainRow) + Sync,
) -> Vec<A> {
    let mid = Split::of(outcome, &keep, per_thread()).mid;
    fold_rows_split(ledger, outcome, boxes, &keep, init, fold, mid)
}

/// [`fold_rows_where`], the disposals from `mid` on folded by a second
/// thread (none when `mid` is past the last).
pub(crate) fn fold_rows_split<A: Send>(
    ledger: &Ledger,
    outcome: &Outcome,
    boxes: &BoxRules,
    keep: &(impl Fn(&crate::engine::Disposal) -> bool + Sync),
    init: impl Fn() -> A + Sync,
    fold: impl Fn(&mut A, GainRow) + Sync,
    mid: usize,
) -> Vec<A> {
    in_halves(outcome.disposals.len(), mid, |range| {
        let mut acc = init();
        rows_in(ledger, outcome, boxes, keep, range, |r| fold(&mut acc, r));
        acc
    })
}

/// `run` over the disposals `0..n`, or over `0..mid` and `mid..n` on two
/// threads (when `mid` is before `n`): its results in that order.
fn in_halves<A: Send>(
    n: usize,
    mid: usize,
    run: impl Fn(std::ops::Range<usize>) -> A + Sync,
) -> Vec<A> {
    if mid >= n {
        return vec![run(0..n)];
    }
    let (first, second) = crate::threads::join(|| run(0..mid), || run(mid..n));
    vec![first, second]
}

/// The gains of Form 8949 rows summed by term, and the long-term gain of
/// collectibles among them (28% Rate Gain Worksheet line 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GainSums {
    pub short: Decimal,
    pub long: Decimal,
    pub collectibles_long: Decimal,
}

impl GainSums {
    /// Adds one row's gain.
    fn add(&mut self, term: Term, collectible: bool, gain: Decimal) {
        match term {
            Term::Short => self.short += gain,
            Term::Long => {
                self.long += gain;
                if collectible {
                    self.collectibles_long += gain;
                }
            }
        }
    }
}

impl std::ops::Add for GainSums {
    type Output = GainSums;
    fn add(self, o: GainSums) -> GainSums {
        GainSums {
            short: self.short + o.short,
            long: self.long + o.long,
            collectibles_long: self.collectibles_long + o.collectibles_long,
        }
    }
}

/// The sums of the gains of the rows [`build_rows_where`] makes of the
/// disposals `keep` keeps, without making a row for most disposals (what a
/// plan for the year so far needs). A disposal whose legs share one term,
/// with no wash-sale adjustment and no gift's dual basis, gains its proceeds
/// in cents less each leg's basis in cents: its rows' proceeds add up to
/// exactly that, however the legs split it, so the division sharing the
/// proceeds out is not needed. Any other disposal is made into its rows.
/// The same sums as adding up the rows (every amount is whole cents), on two
/// threads as [`fold_rows_where`] when there are many.
pub fn gain_sums_where(
    ledger: &Ledger,
    outcome: &Outcome,
    boxes: &BoxRules,
    keep: impl Fn(&crate::engine::Disposal) -> bool + Sync,
) -> GainSums {
    let mid = Split::of(outcome, &keep, per_thread()).mid;
    gain_sums_split(ledger, outcome, boxes, &keep, mid)
}

/// [`gain_sums_where`], the disposals from `mid` on summed by a second
/// thread (none when `mid` is past the last).
pub(crate) fn gain_sums_split(
    ledger: &Ledger,
    outcome: &Outcome,
    boxes: &BoxRules,
    keep: &(impl Fn(&crate::engine::Disposal) -> bool + Sync),
    mid: usize,
) -> GainSums {
    in_halves(outcome.disposals.len(), mid, |range| {
        sums_in(ledger, outcome, boxes, keep, range)
    })
    .into_iter()
    .fold(GainSums::default(), |a, b| a + b)
}

/// [`gain_sums_where`]'s sums of the disposals in `range`.
fn sums_in(
    ledger: &Ledger,
    outcome: &Outcome,
    boxes: &BoxRules,
    keep: &impl Fn(&crate::engine::Disposal) -> bool,
    range: std::ops::Range<usize>,
) -> GainSums {
    let mut sums = GainSums::default();
    walk_kept(ledger, outcome, keep, range, false, |di, lot_cum| {
        let d = &outcome.disposals[di];
        let legs = outcome.legs_of(d);
        let Some(first) = legs.first() else {
            return;
        };
        let t = lot_term(&outcome.lots[first.lot as usize], d.date);
        let plain = legs
            .iter()
            .all(|leg| lot_term(&outcome.lots[leg.lot as usize], d.date) == t)
            && (outcome.dual_basis.is_empty()
                || !legs.iter().any(|l| outcome.dual_basis.contains_key(&l.lot)))
            && (outcome.disallowed.is_empty()
                || !d.legs.clone().any(|i| outcome.disallowed.contains_key(&i)));
        if plain {
            let collectible = boxes.is_collectible(ledger.syms.name(d.asset));
            let mut gain = cents(d.proceeds);
            for leg in legs {
                let cum = &mut lot_cum[leg.lot as usize];
                let before = cents(*cum);
                *cum += leg.basis;
                gain -= cents(*cum) - before;
            }
            sums.add(t, collectible, gain);
        } else {
            disposal_rows(ledger, outcome, boxes, di, lot_cum, &mut |r| {
                sums.add(r.term, r.adjustment_code.contains('C'), r.gain)
            });
        }
    });
    sums
}

/// How many disposals ahead of the one made into rows the lots of their
/// legs are fetched into the cache (and half as many ahead, the lots' rows).
const AHEAD: usize = 8;

/// Starts fetching what [`rows_in`] reads for the disposals after `di`: the
/// legs' lots of disposal `di + AHEAD` and their running basis and, when
/// `rows` (rows are made: a row names the account sold from, and its box
/// asks where its lot was acquired), that disposal's ledger row (a disposal
/// every few rows: a page apart every few dozen) and the ledger rows of the
/// lots of disposal `di + AHEAD / 2` (whose lots were fetched as many
/// disposals ago). A disposal's lots are anywhere in the run's list, their
/// rows anywhere in the ledger.
fn fetch_legs_ahead(
    ledger: &Ledger,
    outcome: &Outcome,
    lot_cum: &[Decimal],
    di: usize,
    rows: bool,
) {
    use crate::memory::prefetch;
    if let Some(d) = outcome.disposals.get(di + AHEAD) {
        if rows && let Some(row) = ledger.rows.get(d.row as usize) {
            prefetch(&row.account);
        }
        for leg in outcome.legs_of(d) {
            if let Some(lot) = outcome.lots.get(leg.lot as usize) {
                prefetch(lot);
            }
            if let Some(cum) = lot_cum.get(leg.lot as usize) {
                prefetch(cum);
            }
        }
    }
    if !rows {
        return;
    }
    if let Some(d) = outcome.disposals.get(di + AHEAD / 2) {
        for leg in outcome.legs_of(d) {
            if let Some(lot) = outcome.lots.get(leg.lot as usize)
                && let Some(row) = ledger.rows.get(lot.row as usize)
            {
                prefetch(&row.account);
            }
        }
    }
}

/// The rows of the kept disposals in `range`, in order.
fn rows_in(
    ledger: &Ledger,
    outcome: &Outcome,
    boxes: &BoxRules,
    keep: &impl Fn(&crate::engine::Disposal) -> bool,
    range: std::ops::Range<usize>,
    mut row: impl FnMut(GainRow),
) {
    walk_kept(ledger, outcome, keep, range, true, |di, lot_cum| {
        disposal_rows(ledger, outcome, boxes, di, lot_cum, &mut row)
    });
}

/// Walks the disposals in `range` with the lots' running basis: `kept` is
/// given each disposal `keep` keeps (its index, and the running basis its
/// legs add to); a disposal not kept only adds its legs' basis, as a gift
/// given, a donation or a loss does (no row, but their units' basis leaves
/// the lot). `rows`: rows are made (see [`fetch_legs_ahead`]).
fn walk_kept(
    ledger: &Ledger,
    outcome: &Outcome,
    keep: &impl Fn(&crate::engine::Disposal) -> bool,
    range: std::ops::Range<usize>,
    rows: bool,
    mut kept: impl FnMut(usize, &mut [Decimal]),
) {
    let mut lot_cum = lot_cum_before(outcome, range.start);
    let start = range.start;
    for (di, d) in outcome.disposals[range].iter().enumerate() {
        let di = start + di;
        fetch_legs_ahead(ledger, outcome, &lot_cum, di, rows);
        if !keep(d) || d.kind == crate::engine::DisposalKind::Removal {
            take_basis(outcome, d, &mut lot_cum);
            continue;
        }
        kept(di, &mut lot_cum);
    }
}

/// The basis each lot has given up before disposal `start`: what disposals
/// not kept (a run for one year) took, then what the run's disposals before
/// `start` took, added in the same order as walking them would add them.
fn lot_cum_before(outcome: &Outcome, start: usize) -> Vec<Decimal> {
    let mut lot_cum = vec![Decimal::ZERO; outcome.lots.len()];
    for (cum, taken) in lot_cum.iter_mut().zip(&outcome.taken_before) {
        *cum = *taken;
    }
    for d in &outcome.disposals[..start] {
        take_basis(outcome, d, &mut lot_cum);
    }
    lot_cum
}

/// Adds what disposal `d` takes of each lot's basis to the lots' running basis.
fn take_basis(outcome: &Outcome, d: &crate::engine::Disposal, lot_cum: &mut [Decimal]) {
    for leg in outcome.legs_of(d) {
        lot_cum[leg.lot as usize] += leg.basis;
    }
}

/// The rows of disposal `di`, one a leg, in order; `lot_cum` is the lots'
/// running basis, which its legs add to.
fn disposal_rows(
    ledger: &Ledger,
    outcome: &Outcome,
    boxes: &BoxRules,
    di: usize,
    lot_cum: &mut [Decimal],
    row: &mut impl FnMut(GainRow),
) {
    let d = &outcome.disposals[di];
    let sold_in = ledger.rows[d.row as usize].account;
    let account = ledger.syms.name(sold_in);
    // Units a broker reports the basis of: acquired in this account from
    // 2026 on (bought, traded for, received as income there, or converted
    // there from such units), never transferred in.
    let covered = |lot: &crate::engine::Lot| {
        d.date.year() >= COVERED_FROM
            && lot.acquired_date.year() >= COVERED_FROM
            && matches!(
                lot.origin,
                crate::engine::Origin::Acquired | crate::engine::Origin::Converted
            )
            && !lot.came_back
            && ledger.rows[lot.row as usize].account == sold_in
    };
    let collectible = boxes.is_collectible(ledger.syms.name(d.asset));
    let mut qty_cum = Decimal::ZERO;
    let mut p_before = Decimal::ZERO;
    let legs = outcome.legs_of(d);
    for (n, leg) in legs.iter().enumerate() {
        qty_cum += leg.qty;
        let p_through = if n + 1 == legs.len() || d.qty.is_zero() {
            cents(d.proceeds)
        } else {
            cents(mul_div(d.proceeds, qty_cum, d.qty))
        };
        let proceeds = p_through - p_before;
        p_before = p_through;

        let cum = &mut lot_cum[leg.lot as usize];
        let b_before = cents(*cum);
        *cum += leg.basis;
        let cost_basis = cents(*cum) - b_before;

        let lot = &outcome.lots[leg.lot as usize];
        // A wash-sale replacement reports the date its holding period counts
        // from, as brokers do.
        let mut t = lot_term(lot, d.date);
        let mut date_acquired = lot.holding_from;
        let mut cost_basis = cost_basis;
        let mut basis_rule = BasisRule::Lot;
        if !outcome.dual_basis.is_empty()
            && let Some(db) = outcome.dual_basis.get(&leg.lot)
            && proceeds < cost_basis
        {
            // A gift worth less than the donor's basis, sold below it: a
            // loss only below the fair value at the gift.
            let fair = if lot.qty.is_zero() {
                Decimal::ZERO
            } else {
                cents(mul_div(db.fair_value, leg.qty, lot.qty))
            };
            if proceeds < fair {
                cost_basis = fair;
                date_acquired = db.gift_date;
                t = term(db.gift_date, d.date);
                basis_rule = BasisRule::GiftFairValue;
            } else {
                cost_basis = proceeds;
                basis_rule = BasisRule::GiftNoGainNoLoss;
            }
        }
        let leg_index = d.legs.start + n as u32;
        // Column (g) never turns the row's loss into a gain, and a wholly
        // disallowed loss leaves exactly zero, whatever the cents.
        let row_loss = (cost_basis - proceeds).max(Decimal::ZERO);
        let adjustment = match outcome.disallowed.get(&leg_index) {
            Some(&(_, true)) => row_loss,
            Some(&(w, false)) => cents(w).min(row_loss),
            None => Decimal::ZERO,
        };
        // Code C (a collectible) comes before W: codes are alphabetical.
        let mut code = AdjustmentCode::NONE;
        if collectible {
            code.push('C');
        }
        // Less than half a cent disallowed: nothing to report.
        if !adjustment.is_zero() {
            code.push('W');
        }
        row(GainRow {
            disposal: di as u32,
            lot: leg.lot,
            quantity: leg.qty,
            date_acquired,
            date_sold: d.date,
            term: t,
            box_: boxes.box_for(d.date.year(), t, account, covered(lot)),
            proceeds,
            cost_basis,
            adjustment_code: code,
            adjustment,
            gain: proceeds - cost_basis + adjustment,
            basis_rule,
        });
    }
}

/// a × b / c, exact where a × b fits a Decimal, else (a / c) × b: a share of
/// an amount by quantity that never overflows.
pub fn mul_div(a: Decimal, b: Decimal, c: Decimal) -> Decimal {
    match a.checked_mul(b) {
        Some(p) => p / c,
        None => a / c * b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_holds_its_letters_in_the_row() {
        let mut c = AdjustmentCode::NONE;
        assert!(c.is_empty());
        assert_eq!(c, "");
        c.push('C');
        c.push('W');
        assert_eq!(c.as_str(), "CW");
        assert_eq!(format!("{c} {c:?}"), "CW \"CW\"");
        assert!(c.contains('W') && !c.contains('B'));
        assert_eq!(AdjustmentCode::new("BEOTWXY").map(|c| c.len()), Some(7));
        assert_eq!(AdjustmentCode::new("CW"), Some(c));
        for bad in ["BEOTWXYZ", "w", "B,W", "É"] {
            assert_eq!(AdjustmentCode::new(bad), None, "{bad}");
        }
        // A row without a String: 20 bytes less each, no allocation when coded.
        assert!(size_of::<GainRow>() <= 108, "{}", size_of::<GainRow>());
    }

    proptest::proptest! {
        /// The integer addition of cents gives rust_decimal's sum: the same
        /// value, scale and sign, amounts in cents and in other scales mixed.
        #[test]
        fn cents_add_as_rust_decimal_adds(
            a in proptest::num::i64::ANY,
            b in proptest::num::i64::ANY,
            scale_a in proptest::sample::select(vec![0u32, 2, 2, 2, 3, 8]),
            scale_b in proptest::sample::select(vec![0u32, 2, 2, 2, 3, 8]),
            small in proptest::bool::ANY,
        ) {
            // Small amounts, so that zeros, sums to zero and opposite signs
            // come up.
            let (a, b) = if small { (a % 5, b % 5) } else { (a, b) };
            let (x, y) = (Decimal::new(a, scale_a), Decimal::new(b, scale_b));
            let mut got = x;
            add_cents(&mut got, y);
            proptest::prop_assert_eq!(got.serialize(), (x + y).serialize(), "{} + {}", x, y);
        }

        /// The counting sort is the stable sort by (term, box).
        #[test]
        fn part_and_box_order_is_a_stable_sort(
            keys in proptest::collection::vec((proptest::bool::ANY, 0usize..12), 0..200),
        ) {
            use Box8949::*;
            let day = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
            let rows: Vec<GainRow> = keys
                .iter()
                .enumerate()
                .map(|(i, &(long, b))| GainRow {
                    disposal: i as u32,
                    lot: 0,
                    quantity: Decimal::ONE,
                    date_acquired: day,
                    date_sold: day,
                    term: if long { Term::Long } else { Term::Short },
                    box_: [A, B, C, D, E, F, G, H, I, J, K, L][b],
                    proceeds: Decimal::ZERO,
                    cost_basis: Decimal::ZERO,
                    adjustment_code: AdjustmentCode::NONE,
                    adjustment: Decimal::ZERO,
                    gain: Decimal::ZERO,
                    basis_rule: BasisRule::Lot,
                })
                .collect();
            let mut want: Vec<&GainRow> = rows.iter().collect();
            want.sort_by_key(|r| (r.term, r.box_));
            let mut got: Vec<&GainRow> = rows.iter().collect();
            sort_by_part_and_box(&mut got);
            let order = |v: &[&GainRow]| v.iter().map(|r| r.disposal).collect::<Vec<_>>();
            proptest::prop_assert_eq!(order(&got), order(&want));
        }
    }

    #[test]
    fn cents_round_half_away_from_zero() {
        assert_eq!(cents(Decimal::new(12345, 3)), Decimal::new(1235, 2));
        assert_eq!(cents(Decimal::new(-12345, 3)), Decimal::new(-1235, 2));
        assert_eq!(cents(Decimal::new(12344, 3)), Decimal::new(1234, 2));
    }

    #[test]
    fn boxes_by_year_and_override() {
        let mut b = BoxRules::default();
        assert_eq!(b.box_for(2024, Term::Short, "cb", false), Box8949::C);
        assert_eq!(b.box_for(2024, Term::Long, "cb", false), Box8949::F);
        assert_eq!(b.box_for(2025, Term::Short, "cb", false), Box8949::I);
        assert_eq!(b.box_for(2026, Term::Long, "cb", true), Box8949::L);
        b.accounts
            .insert("cb".into(), (Some(Box8949::H), Some(Box8949::K)));
        assert_eq!(b.box_for(2025, Term::Short, "cb", false), Box8949::H);
        assert_eq!(b.box_for(2025, Term::Long, "cb", false), Box8949::K);
        assert_eq!(b.box_for(2025, Term::Long, "ledger", false), Box8949::L);
    }

    /// A broker by name: H/K in 2025 whatever the lot; from 2026 G/J for
    /// covered units, H/K for the rest. `broker = false` makes it I/L; an
    /// explicit box wins over both.
    #[test]
    fn boxes_by_what_the_broker_reports() {
        let mut b = BoxRules::default();
        assert!(b.is_broker("kraken") && b.is_broker("cash-app") && !b.is_broker("ledger"));
        assert_eq!(b.box_for(2024, Term::Short, "kraken", false), Box8949::C);
        assert_eq!(b.box_for(2025, Term::Short, "kraken", true), Box8949::H);
        assert_eq!(b.box_for(2025, Term::Long, "kraken", false), Box8949::K);
        assert_eq!(b.box_for(2026, Term::Short, "kraken", true), Box8949::G);
        assert_eq!(b.box_for(2027, Term::Long, "kraken", true), Box8949::J);
        assert_eq!(b.box_for(2026, Term::Short, "kraken", false), Box8949::H);
        assert_eq!(b.box_for(2026, Term::Long, "kraken", false), Box8949::K);
        b.brokers.insert("kraken".into(), false);
        b.brokers.insert("my-broker".into(), true);
        assert_eq!(b.box_for(2026, Term::Short, "kraken", true), Box8949::I);
        assert_eq!(b.box_for(2026, Term::Short, "my-broker", true), Box8949::G);
        b.accounts
            .insert("my-broker".into(), (Some(Box8949::I), None));
        assert_eq!(b.box_for(2026, Term::Short, "my-broker", true), Box8949::I);
        assert_eq!(b.box_for(2026, Term::Long, "my-broker", false), Box8949::K);
    }
}
