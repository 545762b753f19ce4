//! Federal tax on a year's capital result, to price a harvest in dollars
//! (RULES.md §12): ordinary brackets, the 0/15/20% long-term stacking, the 3.8% net
//! investment income tax, or flat marginal rates when no income is given.

use rust_decimal::Decimal;

use super::schedule_d::FilingStatus;

fn d(n: i64) -> Decimal {
    Decimal::from(n)
}

/// Lower edges of the 10, 12, 22, 24, 32, 35 and 37% brackets.
fn brackets(year: i32, s: FilingStatus) -> [i64; 7] {
    use FilingStatus::*;
    if year <= 2025 {
        match s {
            Single => [0, 11_925, 48_475, 103_350, 197_300, 250_525, 626_350],
            MarriedJoint | QualifyingSurvivor => {
                [0, 23_850, 96_950, 206_700, 394_600, 501_050, 751_600]
            }
            HeadOfHousehold => [0, 17_000, 64_850, 103_350, 197_300, 250_500, 626_350],
            MarriedSeparate => [0, 11_925, 48_475, 103_350, 197_300, 250_525, 375_800],
        }
    } else {
        match s {
            Single => [0, 12_400, 50_400, 105_700, 201_775, 256_225, 640_600],
            MarriedJoint | QualifyingSurvivor => {
                [0, 24_800, 100_800, 211_400, 403_550, 512_450, 768_700]
            }
            HeadOfHousehold => [0, 17_700, 67_450, 105_700, 201_750, 256_200, 640_600],
            MarriedSeparate => [0, 12_400, 50_400, 105_700, 201_775, 256_225, 384_350],
        }
    }
}

/// Top of the 0% and of the 15% long-term bands.
fn lt_breakpoints(year: i32, s: FilingStatus) -> (i64, i64) {
    use FilingStatus::*;
    match (year <= 2025, s) {
        (true, Single) => (48_350, 533_400),
        (true, MarriedJoint | QualifyingSurvivor) => (96_700, 600_050),
        (true, HeadOfHousehold) => (64_750, 566_700),
        (true, MarriedSeparate) => (48_350, 300_000),
        (false, Single) => (49_450, 545_500),
        (false, MarriedJoint | QualifyingSurvivor) => (98_900, 613_700),
        (false, HeadOfHousehold) => (66_200, 579_600),
        (false, MarriedSeparate) => (49_450, 306_850),
    }
}

/// NIIT threshold of modified AGI (statutory, not indexed).
fn niit_threshold(s: FilingStatus) -> Decimal {
    match s {
        FilingStatus::MarriedJoint | FilingStatus::QualifyingSurvivor => d(250_000),
        FilingStatus::MarriedSeparate => d(125_000),
        _ => d(200_000),
    }
}

/// True when the tables cover `year` exactly (2025 and 2026); other years use the
/// nearest table.
pub fn has_tables(year: i32) -> bool {
    year == 2025 || year == 2026
}

/// Ordinary income tax on `ti` by the brackets.
pub fn ordinary_tax(year: i32, s: FilingStatus, ti: Decimal) -> Decimal {
    let edges = brackets(year, s);
    let rates = [10, 12, 22, 24, 32, 35, 37];
    let mut tax = Decimal::ZERO;
    for i in 0..7 {
        let lo = d(edges[i]);
        let hi = if i + 1 < 7 {
            d(edges[i + 1])
        } else {
            Decimal::MAX
        };
        if ti > lo {
            tax += (ti.min(hi) - lo) * Decimal::new(rates[i], 2);
        }
    }
    tax
}

/// How a year's capital result enters the return: the part taxed as ordinary
/// income (negative for the loss deduction) and the part taxed at long-term rates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapitalIncome {
    pub ordinary: Decimal,
    pub preferential: Decimal,
    /// The part of `preferential` that is 28% rate gain (collectibles,
    /// Schedule D line 18): taxed at ordinary rates, at most 28%.
    pub collectibles: Decimal,
}

impl CapitalIncome {
    /// With `line_18` of it a 28% rate gain (at most the preferential part).
    pub fn with_collectibles(mut self, line_18: Decimal) -> CapitalIncome {
        self.collectibles = line_18.max(Decimal::ZERO).min(self.preferential);
        self
    }
}

/// Splits Schedule D lines 7 and 15 (after carryovers) into ordinary and
/// preferential income, applying the loss limit.
pub fn capital_income(line_7: Decimal, line_15: Decimal, cap: Decimal) -> CapitalIncome {
    let line_16 = line_7 + line_15;
    if line_16 <= Decimal::ZERO {
        return CapitalIncome {
            ordinary: -(-line_16).min(cap),
            preferential: Decimal::ZERO,
            collectibles: Decimal::ZERO,
        };
    }
    // Net capital gain is the smaller of lines 15 and 16 (when both are gains).
    let pref = line_15.min(line_16).max(Decimal::ZERO);
    CapitalIncome {
        ordinary: line_16 - pref,
        preferential: pref,
        collectibles: Decimal::ZERO,
    }
}

/// Ordinary tax on the slice of taxable income from `lo` to `hi` with no
/// rate above 28%: the 28% rate gain's tax (IRC 1(h)(1)(E); Schedule D Tax
/// Worksheet).
fn capped_28(year: i32, s: FilingStatus, lo: Decimal, hi: Decimal) -> Decimal {
    // The 32% bracket is the first above 28%.
    let top = d(brackets(year, s)[4]);
    let below = ordinary_tax(year, s, hi.min(top)) - ordinary_tax(year, s, lo.min(top));
    below + (hi.max(top) - lo.max(top)) * Decimal::new(28, 2)
}

/// Federal tax of a year with ordinary taxable income `ti` (before the capital
/// result), the capital result, and modified AGI `magi` for the NIIT.
pub fn federal_tax(
    year: i32,
    s: FilingStatus,
    ti: Decimal,
    c: CapitalIncome,
    magi: Decimal,
) -> Decimal {
    // Qualified Dividends and Capital Gain Tax Worksheet: taxable income (line 1)
    // includes the gains, and only what of it exceeds the net capital gain is
    // ordinary (line 5, at least zero). A negative income before the gains thus
    // absorbs gains first, instead of being clamped to zero on its own.
    let taxable = (ti + c.ordinary + c.preferential).max(Decimal::ZERO);
    let preferential = c.preferential.min(taxable);
    let ordinary = taxable - preferential;
    let mut tax = ordinary_tax(year, s, ordinary);
    // The 28% rate gain (collectibles) stacks next, at ordinary rates up to
    // 28%; the other long-term gains on top of it, at 0, 15 and 20%.
    let c28 = c.collectibles.min(preferential);
    tax += capped_28(year, s, ordinary, ordinary + c28);
    let (zero_top, fifteen_top) = lt_breakpoints(year, s);
    let (zero_top, fifteen_top) = (d(zero_top), d(fifteen_top));
    let lo = ordinary + c28;
    let hi = ordinary + preferential;
    let band = |a: Decimal, b: Decimal| (hi.min(b) - lo.max(a)).max(Decimal::ZERO);
    tax += band(zero_top, fifteen_top) * Decimal::new(15, 2);
    tax += band(fifteen_top, Decimal::MAX) * Decimal::new(20, 2);
    let nii = (c.ordinary + c.preferential).max(Decimal::ZERO);
    let over = (magi - niit_threshold(s)).max(Decimal::ZERO);
    tax += nii.min(over) * Decimal::new(38, 3);
    tax
}

/// Tax on the capital result at flat marginal rates: ordinary-taxed capital income
/// (short-term gains, or the loss deduction) at `st_rate`, the rest at `lt_rate`.
pub fn flat_tax(c: CapitalIncome, st_rate: Decimal, lt_rate: Decimal) -> Decimal {
    // A 28% rate gain pays the ordinary rate, at most 28%.
    let rate_28 = st_rate.min(Decimal::new(28, 2));
    c.ordinary * st_rate + (c.preferential - c.collectibles) * lt_rate + c.collectibles * rate_28
}

/// What a slice of a tax is on (see [`federal_breakdown`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceKind {
    /// Income taxed at ordinary rates: other income, short-term gains and
    /// the loss deduction, in one bracket (or at `--st-rate`).
    Ordinary,
    /// The 28% rate gain (collectibles) in one bracket: the ordinary rate, at
    /// most 28%.
    Collectibles,
    /// Long-term gains in the 0, 15 or 20% band (or at `--lt-rate`).
    LongTerm,
    /// The 3.8% net investment income tax.
    Niit,
}

/// One slice of a tax: an amount of income taxed at one rate, and that tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxSlice {
    pub kind: SliceKind,
    /// A fraction (0.22).
    pub rate: Decimal,
    pub amount: Decimal,
    /// `amount` x `rate`, exact (see [`in_cents`]).
    pub tax: Decimal,
}

impl TaxSlice {
    fn new(kind: SliceKind, rate: Decimal, amount: Decimal) -> TaxSlice {
        TaxSlice {
            kind,
            rate,
            amount,
            tax: amount * rate,
        }
    }

    /// The rate in percent as written: `22%`, `3.8%`.
    pub fn percent(&self) -> String {
        percent(self.rate)
    }
}

/// A rate (a fraction) in percent as written: `22%`, `3.8%`.
pub fn percent(rate: Decimal) -> String {
    format!("{}%", (rate * Decimal::ONE_HUNDRED).normalize())
}

/// The part of `[lo, hi)` that lies in `[a, b)`.
fn overlap(lo: Decimal, hi: Decimal, a: Decimal, b: Decimal) -> Decimal {
    (hi.min(b) - lo.max(a)).max(Decimal::ZERO)
}

/// [`federal_tax`] slice by slice: the income in each ordinary bracket, the
/// 28% rate gain in each bracket (at most 28%), the long-term gains in the 0,
/// 15 and 20% bands, and the NIIT, in that order, with the slices of no
/// income left out. The slices' taxes add up to [`federal_tax`] exactly.
pub fn federal_breakdown(
    year: i32,
    s: FilingStatus,
    ti: Decimal,
    c: CapitalIncome,
    magi: Decimal,
) -> Vec<TaxSlice> {
    // As federal_tax: the Qualified Dividends and Capital Gain Tax Worksheet.
    let taxable = (ti + c.ordinary + c.preferential).max(Decimal::ZERO);
    let preferential = c.preferential.min(taxable);
    let ordinary = taxable - preferential;
    let edges = brackets(year, s);
    let rates = [10, 12, 22, 24, 32, 35, 37];
    let bracket = |i: usize| {
        let hi = if i + 1 < 7 {
            d(edges[i + 1])
        } else {
            Decimal::MAX
        };
        (d(edges[i]), hi, Decimal::new(rates[i], 2))
    };
    let mut out: Vec<TaxSlice> = Vec::new();
    let mut push = |sl: TaxSlice| {
        if sl.amount.is_zero() {
            return;
        }
        // Slices of one kind at one rate (the 28% rate gain above the 32%
        // bracket) are one.
        match out.last_mut() {
            Some(last) if last.kind == sl.kind && last.rate == sl.rate => {
                last.amount += sl.amount;
                last.tax += sl.tax;
            }
            _ => out.push(sl),
        }
    };
    for i in 0..7 {
        let (lo, hi, r) = bracket(i);
        push(TaxSlice::new(
            SliceKind::Ordinary,
            r,
            overlap(Decimal::ZERO, ordinary, lo, hi),
        ));
    }
    let c28 = c.collectibles.min(preferential);
    let cap = Decimal::new(28, 2);
    for i in 0..7 {
        let (lo, hi, r) = bracket(i);
        push(TaxSlice::new(
            SliceKind::Collectibles,
            r.min(cap),
            overlap(ordinary, ordinary + c28, lo, hi),
        ));
    }
    let (zero_top, fifteen_top) = lt_breakpoints(year, s);
    let (zero_top, fifteen_top) = (d(zero_top), d(fifteen_top));
    let (lo, hi) = (ordinary + c28, ordinary + preferential);
    for (a, b, r) in [
        (Decimal::ZERO, zero_top, Decimal::ZERO),
        (zero_top, fifteen_top, Decimal::new(15, 2)),
        (fifteen_top, Decimal::MAX, Decimal::new(20, 2)),
    ] {
        push(TaxSlice::new(SliceKind::LongTerm, r, overlap(lo, hi, a, b)));
    }
    let nii = (c.ordinary + c.preferential).max(Decimal::ZERO);
    let over = (magi - niit_threshold(s)).max(Decimal::ZERO);
    push(TaxSlice::new(
        SliceKind::Niit,
        Decimal::new(38, 3),
        nii.min(over),
    ));
    out
}

/// [`flat_tax`] slice by slice: the ordinary-taxed capital income (short-term
/// gains, or the loss deduction as a negative amount) at `st_rate`, long-term
/// gains at `lt_rate`, a 28% rate gain at `st_rate` (at most 28%); the slices
/// of no income left out. The taxes add up to [`flat_tax`] exactly.
pub fn flat_breakdown(c: CapitalIncome, st_rate: Decimal, lt_rate: Decimal) -> Vec<TaxSlice> {
    [
        TaxSlice::new(SliceKind::Ordinary, st_rate, c.ordinary),
        TaxSlice::new(
            SliceKind::Collectibles,
            st_rate.min(Decimal::new(28, 2)),
            c.collectibles,
        ),
        TaxSlice::new(
            SliceKind::LongTerm,
            lt_rate,
            c.preferential - c.collectibles,
        ),
    ]
    .into_iter()
    .filter(|s| !s.amount.is_zero())
    .collect()
}

/// The slices with their taxes in cents by running totals (each is the
/// rounded total through it less the rounded total before it), so that the
/// cents shown add up to the whole tax rounded once: no cent is lost.
pub fn in_cents(slices: &[TaxSlice]) -> Vec<TaxSlice> {
    let cents = crate::cell::cents;
    let mut run = Decimal::ZERO;
    slices
        .iter()
        .map(|s| {
            let before = cents(run);
            run += s.tax;
            TaxSlice {
                amount: cents(s.amount),
                tax: cents(run) - before,
                ..*s
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// The 28% rate gain (collectibles) pays ordinary rates up to 28%: 10,000
    /// of it on 50,000 of ordinary income (single, 2025) is in the 22% bracket
    /// (2,200); on 300,000 it would be 35% and pays 28% (2,800). At flat rates
    /// 0.35 and 0.15, 6,000 of other long-term gain and 4,000 of collectibles
    /// pay 900 + 1,120.
    #[test]
    fn a_28_percent_gain_pays_ordinary_rates_capped_at_28() {
        let d = |n: i64| Decimal::from(n);
        let c = capital_income(Decimal::ZERO, d(10_000), d(3_000)).with_collectibles(d(10_000));
        let tax = |ti: i64, c: CapitalIncome| {
            federal_tax(2025, Single, d(ti), c, Decimal::ZERO)
                - federal_tax(
                    2025,
                    Single,
                    d(ti),
                    capital_income(Decimal::ZERO, Decimal::ZERO, d(3_000)),
                    Decimal::ZERO,
                )
        };
        assert_eq!(tax(50_000, c), d(2_200));
        assert_eq!(tax(300_000, c), d(2_800));
        let plain = capital_income(Decimal::ZERO, d(10_000), d(3_000));
        assert_eq!(tax(300_000, plain), d(1_500));
        let mixed = capital_income(Decimal::ZERO, d(10_000), d(3_000)).with_collectibles(d(4_000));
        assert_eq!(
            flat_tax(mixed, Decimal::new(35, 2), Decimal::new(15, 2)),
            d(2_020)
        );
    }

    use super::*;
    use FilingStatus::*;

    fn saved(
        s: FilingStatus,
        ti: i64,
        st: i64,
        lt: i64,
        harvest: i64,
        magi: Option<i64>,
    ) -> Decimal {
        let cap = s_cap(s);
        let before = capital_income(d(st), d(lt), cap);
        // The harvested loss is short-term here unless only LT gains exist.
        let (st2, lt2) = if st > 0 || lt == 0 {
            (st - harvest, lt)
        } else {
            (st, lt - harvest)
        };
        let after = capital_income(d(st2), d(lt2), cap);
        let magi_before = magi.map_or(d(ti) + before.ordinary + before.preferential, d);
        let magi_after = magi_before + (after.ordinary + after.preferential)
            - (before.ordinary + before.preferential);
        federal_tax(2025, s, d(ti), before, magi_before)
            - federal_tax(2025, s, d(ti), after, magi_after)
    }

    fn s_cap(s: FilingStatus) -> Decimal {
        s.loss_limit()
    }

    /// RULES.md §12.4, examples T1-T4.
    #[test]
    fn rules_md_tax_examples() {
        assert_eq!(saved(Single, 80_000, 10_000, 0, 10_000, None), d(2200));
        assert_eq!(
            saved(Single, 40_000, 0, 20_000, 20_000, None),
            Decimal::new(174750, 2)
        );
        assert_eq!(
            saved(MarriedJoint, 170_000, 0, 50_000, 30_000, Some(270_000)),
            d(5260)
        );
        assert_eq!(saved(Single, 80_000, 0, 0, 10_000, None), d(660));
    }

    /// Issue 14 item 2: income before the gains of -10,000 absorbs the first
    /// 10,000 of a 60,000 long-term gain (Qualified Dividends and Capital Gain
    /// Tax Worksheet, lines 1-5: taxable income 50,000, all of it net capital
    /// gain): 48,350 at 0% and 1,650 at 15% = 247.50, not 1,747.50.
    #[test]
    fn negative_income_absorbs_gains_first() {
        let c = capital_income(d(0), d(60_000), d(3000));
        assert_eq!(
            federal_tax(2025, Single, d(-10_000), c, d(50_000)),
            Decimal::new(24750, 2)
        );
        // Income so negative that nothing is taxable.
        assert_eq!(federal_tax(2025, Single, d(-70_000), c, d(0)), d(0));
        // A short-term gain is ordinary income and absorbs the negative first.
        let st = capital_income(d(5_000), d(60_000), d(3000));
        assert_eq!(
            federal_tax(2025, Single, d(-10_000), st, d(55_000)),
            Decimal::new(99750, 2)
        );
    }

    fn total(slices: &[TaxSlice]) -> Decimal {
        slices.iter().map(|s| s.tax).sum()
    }

    /// RULES.md §12.4 T3 by slice (MFJ 2025, ordinary income 170,000, a
    /// long-term gain of 50,000, MAGI 270,000): 10% of 23,850 = 2,385; 12% of
    /// 96,950 - 23,850 = 73,100 is 8,772; 22% of 170,000 - 96,950 = 73,050 is
    /// 16,071; the gain sits above the 0% band's top (96,700): 15% of 50,000
    /// = 7,500; NIIT 3.8% of the smaller of 50,000 and 270,000 - 250,000 =
    /// 760. Total 35,488, federal_tax's.
    #[test]
    fn the_breakdown_of_t3_by_hand() {
        let c = capital_income(d(0), d(50_000), d(3000));
        let b = federal_breakdown(2025, MarriedJoint, d(170_000), c, d(270_000));
        let got: Vec<(SliceKind, String, Decimal, Decimal)> = b
            .iter()
            .map(|s| (s.kind, s.percent(), s.amount, s.tax))
            .collect();
        use SliceKind::*;
        assert_eq!(
            got,
            vec![
                (Ordinary, "10%".into(), d(23_850), d(2_385)),
                (Ordinary, "12%".into(), d(73_100), d(8_772)),
                (Ordinary, "22%".into(), d(73_050), d(16_071)),
                (LongTerm, "15%".into(), d(50_000), d(7_500)),
                (Niit, "3.8%".into(), d(20_000), d(760)),
            ]
        );
        assert_eq!(total(&b), d(35_488));
        assert_eq!(
            total(&b),
            federal_tax(2025, MarriedJoint, d(170_000), c, d(270_000))
        );
    }

    /// A 28% rate gain of 10,000 on 300,000 of ordinary income (single,
    /// 2025) is in the 35% bracket: one slice at 28%, 2,800. Below the 0%
    /// band's top, the rest of a long-term gain is a 0% slice.
    #[test]
    fn the_breakdown_caps_collectibles_and_shows_the_zero_band() {
        let c = capital_income(d(0), d(10_000), d(3000)).with_collectibles(d(10_000));
        let b = federal_breakdown(2025, Single, d(300_000), c, d(0));
        let coll: Vec<&TaxSlice> = b
            .iter()
            .filter(|s| s.kind == SliceKind::Collectibles)
            .collect();
        assert_eq!(coll.len(), 1);
        assert_eq!((coll[0].percent(), coll[0].tax), ("28%".into(), d(2_800)));
        // Single 2025, 40,000 + 20,000 long-term: 8,350 at 0%, 11,650 at 15%.
        let c = capital_income(d(0), d(20_000), d(3000));
        let b = federal_breakdown(2025, Single, d(40_000), c, d(0));
        let lt: Vec<(String, Decimal)> = b
            .iter()
            .filter(|s| s.kind == SliceKind::LongTerm)
            .map(|s| (s.percent(), s.amount))
            .collect();
        assert_eq!(lt, vec![("0%".into(), d(8_350)), ("15%".into(), d(11_650))]);
    }

    /// Over a grid of incomes, results, collectibles, statuses and years, the
    /// slices add up to federal_tax exactly (and so to the cent), and flat
    /// slices to flat_tax.
    #[test]
    fn the_breakdown_adds_up_to_the_tax() {
        let incomes = [
            -70_000, -20_000, 0, 11_925, 50_000, 103_350, 250_000, 700_000,
        ];
        let sts = [
            Decimal::new(-500_000, 2),
            Decimal::ZERO,
            Decimal::new(300_037, 2),
            d(150_000),
        ];
        let lts = [
            Decimal::new(-400_000, 2),
            Decimal::ZERO,
            Decimal::new(2_000_055, 2),
            d(600_000),
        ];
        let statuses = [
            Single,
            MarriedJoint,
            MarriedSeparate,
            HeadOfHousehold,
            QualifyingSurvivor,
        ];
        for year in [2025, 2026] {
            for s in statuses {
                for ti in incomes {
                    for st in sts {
                        for lt in lts {
                            for coll in [d(0), d(5_000)] {
                                let c =
                                    capital_income(st, lt, s.loss_limit()).with_collectibles(coll);
                                let magi = d(ti) + c.ordinary + c.preferential;
                                let b = federal_breakdown(year, s, d(ti), c, magi);
                                let want = federal_tax(year, s, d(ti), c, magi);
                                assert_eq!(total(&b), want, "{year} {s:?} {ti} {st} {lt} {coll}");
                                let cents = in_cents(&b);
                                assert_eq!(total(&cents), crate::cell::cents(want));
                                let (r1, r2) = (Decimal::new(35, 2), Decimal::new(15, 2));
                                assert_eq!(total(&flat_breakdown(c, r1, r2)), flat_tax(c, r1, r2));
                            }
                        }
                    }
                }
            }
        }
    }

    /// Three slices of half a cent each: 0.01, 0.00, 0.01 by running totals,
    /// 0.02 in all, as the total 0.015 rounds; rounding each would say 0.03.
    #[test]
    fn slices_in_cents_lose_no_cent() {
        let half = TaxSlice {
            kind: SliceKind::Ordinary,
            rate: Decimal::ONE,
            amount: Decimal::new(5, 3),
            tax: Decimal::new(5, 3),
        };
        let c = in_cents(&[half, half, half]);
        let taxes: Vec<Decimal> = c.iter().map(|s| s.tax).collect();
        assert_eq!(
            taxes,
            vec![Decimal::new(1, 2), Decimal::ZERO, Decimal::new(1, 2)]
        );
    }

    /// Flat rates: -3,000 of deduction at 24% is -720; long-term 6,000 at
    /// 15% is 900.
    #[test]
    fn flat_slices() {
        let c = capital_income(d(-5000), d(0), d(3000));
        let b = flat_breakdown(c, Decimal::new(24, 2), Decimal::new(15, 2));
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].amount, b[0].tax), (d(-3000), d(-720)));
        let c = capital_income(d(0), d(6000), d(3000));
        let b = flat_breakdown(c, Decimal::new(24, 2), Decimal::new(15, 2));
        assert_eq!(
            (b[0].kind, b[0].amount, b[0].tax),
            (SliceKind::LongTerm, d(6000), d(900))
        );
    }

    #[test]
    fn brackets_2026_single() {
        // 10% of 12,400 + 12% of (50,400 - 12,400) = 1,240 + 4,560.
        assert_eq!(ordinary_tax(2026, Single, d(50_400)), d(5800));
    }

    #[test]
    fn flat_rates() {
        let c = capital_income(d(-5000), d(0), d(3000));
        assert_eq!(
            flat_tax(c, Decimal::new(24, 2), Decimal::new(15, 2)),
            d(-720)
        );
    }
}
