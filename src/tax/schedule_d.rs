//! Schedule D netting, the capital loss limit and next year's carryover
//! (Schedule D instructions, Capital Loss Carryover Worksheet; RULES.md §2-§4).
//!
//! Every amount here is already in cents: the lines are sums of rounded Form 8949
//! rows, so the 8949 and Schedule D agree to the cent.

use rust_decimal::Decimal;

use super::form8949::{Box8949, GainRow};

/// Filing status: it sets the loss limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilingStatus {
    Single,
    MarriedJoint,
    MarriedSeparate,
    HeadOfHousehold,
    QualifyingSurvivor,
}

impl FilingStatus {
    /// The flag spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FilingStatus::Single => "single",
            FilingStatus::MarriedJoint => "mfj",
            FilingStatus::MarriedSeparate => "mfs",
            FilingStatus::HeadOfHousehold => "hoh",
            FilingStatus::QualifyingSurvivor => "qss",
        }
    }

    /// The most of a net capital loss deductible against other income
    /// (IRC §1211(b)): 1,500 married filing separately, 3,000 otherwise.
    pub fn loss_limit(self) -> Decimal {
        match self {
            FilingStatus::MarriedSeparate => Decimal::from(1500),
            _ => Decimal::from(3000),
        }
    }
}

/// Capital loss carryovers, as positive amounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Carryover {
    pub short_term: Decimal,
    pub long_term: Decimal,
}

/// What Schedule D needs besides the 8949 rows.
#[derive(Debug, Clone, Copy)]
pub struct TaxInputs {
    pub filing_status: FilingStatus,
    /// Carried in from last year (lines 6 and 14).
    pub carryover_in: Carryover,
    /// Form 1040 taxable income, may be negative; `None` reads as large.
    pub taxable_income: Option<Decimal>,
}

/// The Capital Loss Carryover Worksheet, lines 1-13 (for next year). Lines not
/// entered (the worksheet says skip) are zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Worksheet {
    pub lines: [Decimal; 13],
}

/// Schedule D lines, with the form's signs: losses and carryovers negative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScheduleD {
    /// Short-term sales a Form 1099-DA or 1099-B reports with basis and that
    /// need no adjustment, reported here instead of on Form 8949 (Exception 1
    /// of the Form 8949 instructions, `--exception-1`); zero otherwise.
    pub line_1a: Decimal,
    pub line_1b: Decimal,
    pub line_2: Decimal,
    pub line_3: Decimal,
    pub line_6: Decimal,
    pub line_7: Decimal,
    /// The long-term counterpart of line 1a.
    pub line_8a: Decimal,
    pub line_8b: Decimal,
    pub line_9: Decimal,
    pub line_10: Decimal,
    pub line_14: Decimal,
    pub line_15: Decimal,
    pub line_16: Decimal,
    /// The 28% Rate Gain Worksheet's result (collectibles), when lines 15 and
    /// 16 are both gains; zero otherwise.
    pub line_18: Decimal,
    pub line_21: Decimal,
    /// Next year's carryovers (positive).
    pub carryover_next_year: Carryover,
    pub worksheet: Worksheet,
}

impl ScheduleD {
    /// Moves the gain of the rows reported under Exception 1 (box G rows to
    /// line 1a, box J rows to line 8a): lines 7, 15 and everything after them
    /// stay as they are.
    pub fn exception_1(&mut self, short_term: Decimal, long_term: Decimal) {
        self.line_1b -= short_term;
        self.line_1a += short_term;
        self.line_8b -= long_term;
        self.line_8a += long_term;
    }
}

/// The Schedule D line a box's column (h) total goes on.
pub fn line_of(b: Box8949) -> &'static str {
    use Box8949::*;
    match b {
        A | G => "1b",
        B | H => "2",
        C | I => "3",
        D | J => "8b",
        E | K => "9",
        F | L => "10",
    }
}

/// Nets a year's Form 8949 rows with the carryovers in.
pub fn schedule_d<'a>(rows: impl IntoIterator<Item = &'a GainRow>, t: &TaxInputs) -> ScheduleD {
    let mut s = ScheduleD::default();
    let mut collectibles = Decimal::ZERO;
    for r in rows {
        if r.term == super::Term::Long && r.adjustment_code.contains('C') {
            collectibles += r.gain;
        }
        let line = match line_of(r.box_) {
            "1b" => &mut s.line_1b,
            "2" => &mut s.line_2,
            "3" => &mut s.line_3,
            "8b" => &mut s.line_8b,
            "9" => &mut s.line_9,
            _ => &mut s.line_10,
        };
        *line += r.gain;
    }
    s.line_6 = -t.carryover_in.short_term;
    s.line_14 = -t.carryover_in.long_term;
    s.line_7 = s.line_1a + s.line_1b + s.line_2 + s.line_3 + s.line_6;
    s.line_15 = s.line_8a + s.line_8b + s.line_9 + s.line_10 + s.line_14;
    s.line_16 = s.line_7 + s.line_15;
    s.line_18 = rate_28_gain(collectibles, s.line_7, s.line_14, s.line_15, s.line_16);
    s.line_21 = if s.line_16 < Decimal::ZERO {
        -(-s.line_16).min(t.filing_status.loss_limit())
    } else {
        Decimal::ZERO
    };
    let (w, c) = carryover_worksheet(s.line_7, s.line_15, s.line_21, t.taxable_income);
    s.worksheet = w;
    s.carryover_next_year = c;
    s
}

/// The 28% Rate Gain Worksheet (Schedule D instructions, line 18): the
/// collectibles gain of Form 8949 Part II (line 1), less the long-term
/// carryover (line 6: line 14, negative) and a short-term loss (line 7: line 7
/// when negative); zero when that is not a gain, or when lines 15 and 16 are
/// not both gains (the form then skips line 18).
pub fn rate_28_gain(
    collectibles: Decimal,
    line_7: Decimal,
    line_14: Decimal,
    line_15: Decimal,
    line_16: Decimal,
) -> Decimal {
    if line_15 <= Decimal::ZERO || line_16 <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    (collectibles + line_14 + line_7.min(Decimal::ZERO)).max(Decimal::ZERO)
}

/// The Capital Loss Carryover Worksheet, computed for the year that produced the
/// loss ("prior year" in the worksheet's words). `line_21` is negative or zero.
pub fn carryover_worksheet(
    line_7: Decimal,
    line_15: Decimal,
    line_21: Decimal,
    taxable_income: Option<Decimal>,
) -> (Worksheet, Carryover) {
    let zero = Decimal::ZERO;
    let mut l = [zero; 13];
    if line_21.is_zero() {
        return (Worksheet { lines: l }, Carryover::default());
    }
    let l2 = -line_21;
    // Without taxable income, read it as large: the whole deduction was used.
    let l1 = taxable_income.unwrap_or(l2);
    let l3 = (l1 + l2).max(zero);
    let l4 = l2.min(l3);
    l[0] = l1;
    l[1] = l2;
    l[2] = l3;
    l[3] = l4;
    let mut st = zero;
    let mut l5 = zero;
    if line_7 < zero {
        l5 = -line_7;
        let l6 = line_15.max(zero);
        let l7 = l4 + l6;
        st = (l5 - l7).max(zero);
        l[4] = l5;
        l[5] = l6;
        l[6] = l7;
        l[7] = st;
    }
    let mut lt = zero;
    if line_15 < zero {
        let l9 = -line_15;
        let l10 = line_7.max(zero);
        let l11 = (l4 - l5).max(zero);
        let l12 = l10 + l11;
        lt = (l9 - l12).max(zero);
        l[8] = l9;
        l[9] = l10;
        l[10] = l11;
        l[11] = l12;
        l[12] = lt;
    }
    (
        Worksheet { lines: l },
        Carryover {
            short_term: st,
            long_term: lt,
        },
    )
}

#[cfg(test)]
mod tests {
    /// The 28% Rate Gain Worksheet: 10,000 of collectibles gain, 5,000 of other
    /// long-term gain, a 2,000 short-term loss and a 1,000 long-term carryover:
    /// line 7 = -2,000, line 15 = 14,000, line 16 = 12,000, and line 18 =
    /// 10,000 - 1,000 - 2,000 = 7,000. With a long-term loss overall there is
    /// no line 18.
    #[test]
    fn line_18_follows_the_28_percent_worksheet() {
        let d = |n: i64| Decimal::from(n);
        assert_eq!(
            rate_28_gain(d(10_000), d(-2_000), d(-1_000), d(14_000), d(12_000)),
            d(7_000)
        );
        assert_eq!(
            rate_28_gain(d(10_000), d(0), d(0), d(-500), d(-500)),
            Decimal::ZERO
        );
        assert_eq!(
            rate_28_gain(d(1_000), d(-5_000), d(0), d(6_000), d(1_000)),
            Decimal::ZERO
        );
    }

    use super::*;
    use chrono::NaiveDate;

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    fn row(b: Box8949, gain: i64) -> GainRow {
        let day = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        GainRow {
            disposal: 0,
            lot: 0,
            quantity: Decimal::ONE,
            date_acquired: day,
            date_sold: day,
            term: b.term(),
            box_: b,
            proceeds: d(gain.max(0)),
            cost_basis: d((-gain).max(0)),
            adjustment_code: Default::default(),
            adjustment: Decimal::ZERO,
            gain: d(gain),
            basis_rule: Default::default(),
        }
    }

    /// (st, lt, co_st, co_lt, status, ti, l7, l15, l16, l21, next st, next lt)
    type Example = (
        i64,
        i64,
        i64,
        i64,
        FilingStatus,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    );

    /// RULES.md §11: all twelve worked examples, from 8949 rows to next year's
    /// carryover.
    #[test]
    fn rules_md_worked_examples() {
        use FilingStatus::*;
        // (st, lt, co_st, co_lt, status, ti, l7, l15, l16, l21, next st, next lt)
        let cases: [Example; 12] = [
            (
                -5000, 0, 0, 0, Single, 50000, -5000, 0, -5000, -3000, 2000, 0,
            ),
            (
                -8000, 3000, 0, 0, Single, 60000, -8000, 3000, -5000, -3000, 2000, 0,
            ),
            (
                2000, -10000, 0, 0, Single, 70000, 2000, -10000, -8000, -3000, 0, 5000,
            ),
            (
                -4000,
                -6000,
                0,
                0,
                MarriedJoint,
                120000,
                -4000,
                -6000,
                -10000,
                -3000,
                1000,
                6000,
            ),
            (
                -1000,
                -4000,
                0,
                0,
                MarriedSeparate,
                40000,
                -1000,
                -4000,
                -5000,
                -1500,
                0,
                3500,
            ),
            (
                -5000, 0, 0, 0, Single, -2000, -5000, 0, -5000, -3000, 4000, 0,
            ),
            (
                -2000, -3000, 0, 0, Single, -4000, -2000, -3000, -5000, -3000, 2000, 3000,
            ),
            (
                1500, 4000, 6000, 9000, Single, 80000, -4500, -5000, -9500, -3000, 1500, 5000,
            ),
            (
                500, 12000, 2500, 0, Single, 90000, -2000, 12000, 10000, 0, 0, 0,
            ),
            (
                -1200, -800, 0, 0, Single, 40000, -1200, -800, -2000, -2000, 0, 0,
            ),
            (
                0,
                -7000,
                0,
                0,
                MarriedSeparate,
                -500,
                0,
                -7000,
                -7000,
                -1500,
                0,
                6000,
            ),
            (
                5000,
                -12000,
                0,
                0,
                HeadOfHousehold,
                90000,
                5000,
                -12000,
                -7000,
                -3000,
                0,
                4000,
            ),
        ];
        for (n, c) in cases.iter().enumerate() {
            let rows = [row(Box8949::I, c.0), row(Box8949::L, c.1)];
            let t = TaxInputs {
                filing_status: c.4,
                carryover_in: Carryover {
                    short_term: d(c.2),
                    long_term: d(c.3),
                },
                taxable_income: Some(d(c.5)),
            };
            let s = schedule_d(rows.iter(), &t);
            let got = (
                s.line_7,
                s.line_15,
                s.line_16,
                s.line_21,
                s.carryover_next_year.short_term,
                s.carryover_next_year.long_term,
            );
            assert_eq!(
                got,
                (d(c.6), d(c.7), d(c.8), d(c.9), d(c.10), d(c.11)),
                "example {}",
                n + 1
            );
            // The statutory form of §1212(b) agrees (RULES.md §4).
            let allowed = -s.line_21;
            let deemed = allowed.min((d(c.5) + allowed).max(Decimal::ZERO));
            let st_after = s.line_7 + deemed;
            let st = (-(st_after) - s.line_15.max(Decimal::ZERO)).max(Decimal::ZERO);
            let lt = (-s.line_15 - st_after.max(Decimal::ZERO)).max(Decimal::ZERO);
            if !s.line_21.is_zero() {
                assert_eq!((st, lt), (got.4, got.5), "example {} statutory", n + 1);
            }
        }
    }

    #[test]
    fn worksheet_lines_of_example_6() {
        let (w, c) = carryover_worksheet(d(-5000), d(0), d(-3000), Some(d(-2000)));
        assert_eq!(
            &w.lines[..8],
            &[
                d(-2000),
                d(3000),
                d(1000),
                d(1000),
                d(5000),
                d(0),
                d(1000),
                d(4000)
            ]
        );
        assert_eq!(c.short_term, d(4000));
    }

    #[test]
    fn no_taxable_income_reads_as_large() {
        let (_, c) = carryover_worksheet(d(-5000), d(0), d(-3000), None);
        assert_eq!(c.short_term, d(2000));
    }

    #[test]
    fn lines_by_box() {
        let rows = [
            row(Box8949::G, 10),
            row(Box8949::H, 20),
            row(Box8949::I, 30),
            row(Box8949::J, 1),
            row(Box8949::K, 2),
            row(Box8949::L, 3),
        ];
        let t = TaxInputs {
            filing_status: FilingStatus::Single,
            carryover_in: Carryover::default(),
            taxable_income: None,
        };
        let s = schedule_d(rows.iter(), &t);
        assert_eq!(
            (s.line_1b, s.line_2, s.line_3, s.line_7),
            (d(10), d(20), d(30), d(60))
        );
        assert_eq!(
            (s.line_8b, s.line_9, s.line_10, s.line_15),
            (d(1), d(2), d(3), d(6))
        );
        assert_eq!(s.line_16, d(66));
        assert_eq!(s.line_21, d(0));
    }
}
