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
