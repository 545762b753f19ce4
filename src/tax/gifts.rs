//! Units that came in or left with no sale: gifts received and inherited (their
//! basis from outside the ledger), gifts given, donations, and coins lost or
//! stolen. None makes a Form 8949 row; the report lists each with what the
//! forms around it need.
//!
//! - Gifts given (no gain or loss to the donor): the units' basis and fair
//!   value, and per recipient whether the year's gifts exceed the annual
//!   exclusion, so that a Form 709 is due (IRC 2503(b); Rev. Proc. 2024-40 for
//!   2025: 19,000 dollars).
//! - Donations: no gain or loss (IRC 170); the deduction per lot by IRC
//!   170(e)(1): short-term, the smaller of basis and fair value; long-term, the
//!   fair value to a public charity, and to a private non-operating foundation
//!   the fair value less the long-term gain it would have had (the basis, or
//!   the fair value when below it). Form 8283 when the year's noncash deduction
//!   exceeds 500 dollars; Section B and a qualified appraisal when a group of
//!   similar items (one asset, all donees, the year) exceeds 5,000 dollars (IRC
//!   170(f)(11); the IRS applies it to digital assets, CCA 202302012).
//! - Lost, stolen or scammed coins: they leave the holdings and make no row; no
//!   personal casualty or theft loss is deductible after 2017 outside a
//!   declared disaster (IRC 165(h)(5)), and a theft loss in a transaction entered into for profit is a
//!   question for a tax professional: harvest deducts nothing.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::term::{Term, lot_term};
use crate::cell::cents;
use crate::engine::{DisposalKind, Origin, Outcome};
use crate::model::{Category, Kind, Ledger};

/// A part of a lot that left with a gift, donation or loss.
#[derive(Debug, Clone)]
pub struct RemovedLot<'a> {
    pub lot_id: &'a str,
    pub date_acquired: NaiveDate,
    /// How the lot was acquired, as Form 8283 asks: `purchase`, `exchange`,
    /// `income`, `gift`, `inheritance`, `other`.
    pub how_acquired: &'static str,
    pub quantity: Decimal,
    pub basis: Decimal,
    /// Its share of the fair value given, in cents.
    pub fair_value: Decimal,
    pub term: Term,
    /// A donation's deduction for this part (IRC 170(e)(1)); zero otherwise.
    pub deduction: Decimal,
}

/// A gift given, a donation or a loss of the year.
#[derive(Debug, Clone)]
pub struct RemovalLine<'a> {
    pub id: &'a str,
    pub date: NaiveDate,
    pub kind: Kind,
    pub account: &'a str,
    pub asset: &'a str,
    pub quantity: Decimal,
    /// The recipient (the row's note) for a gift or donation.
    pub recipient: &'a str,
    pub category: Option<Category>,
    pub basis: Decimal,
    pub fair_value: Decimal,
    pub deduction: Decimal,
    pub lots: Vec<RemovedLot<'a>>,
}

/// A gift received or an inheritance of the year.
#[derive(Debug, Clone)]
pub struct ReceivedLine<'a> {
    pub id: &'a str,
    pub date: NaiveDate,
    pub kind: Kind,
    pub account: &'a str,
    pub asset: &'a str,
    pub quantity: Decimal,
    /// The donor's basis, or the fair value at death.
    pub basis: Decimal,
    /// The donor's acquisition date, or the date of death.
    pub acquired: NaiveDate,
    /// A gift's fair value when received (none for an inheritance).
    pub fair_value: Option<Decimal>,
    /// A gift worth less than the donor's basis: the dual-basis rule applies.
    pub dual_basis: bool,
}

/// One recipient's gifts of the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    pub fair_value: Decimal,
    /// More than the annual exclusion: a Form 709 is due.
    pub over_exclusion: bool,
}

/// One asset's donations of the year (a group of similar items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonationGroup {
    pub asset: String,
    pub deduction: Decimal,
    /// Over 5,000 dollars: Form 8283 Section B and a qualified appraisal.
    pub appraisal_required: bool,
}

/// What came in or left without a sale in a tax year.
#[derive(Debug, Clone, Default)]
pub struct Transfers<'a> {
    pub year: i32,
    pub received: Vec<ReceivedLine<'a>>,
    pub gifts: Vec<RemovalLine<'a>>,
    pub recipients: Vec<Recipient>,
    /// The gift tax annual exclusion of the year, per recipient.
    pub exclusion: Decimal,
    pub donations: Vec<RemovalLine<'a>>,
    pub donation_groups: Vec<DonationGroup>,
    pub donations_fair_value: Decimal,
    pub deduction: Decimal,
    /// The year's noncash deduction exceeds 500 dollars.
    pub form_8283_required: bool,
    pub lost: Vec<RemovalLine<'a>>,
    pub lost_basis: Decimal,
}

impl Transfers<'_> {
    /// Whether the year has any of these.
    pub fn is_empty(&self) -> bool {
        self.received.is_empty()
            && self.gifts.is_empty()
            && self.donations.is_empty()
            && self.lost.is_empty()
    }

    /// Notes for every format: what each list means for the return.
    pub fn notes(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.received.iter().any(|r| r.dual_basis) {
            v.push("A gift received worth less than the donor's basis has two bases (Treas. Reg. 1.1015-1): a sale above the donor's basis gains from it, a sale below the fair value at the gift loses from that value (held from the gift), and a sale in between has no gain or loss; the Form 8949 rows say which applied.".to_string());
        }
        for r in self.recipients.iter().filter(|r| r.over_exclusion) {
            v.push(format!(
                "Gifts to {} in {} total {}, over the {} annual exclusion: file Form 709 (gift tax return); tax is usually due only beyond the lifetime exemption.",
                r.name,
                self.year,
                crate::cell::money(r.fair_value),
                crate::cell::money(self.exclusion)
            ));
        }
        if self.form_8283_required {
            v.push(format!(
                "Noncash charitable deduction of {} is over 500: attach Form 8283 (the donations list gives its columns); the deduction is limited by your AGI and only helps if you itemize.",
                crate::cell::money(self.deduction)
            ));
        }
        for g in self.donation_groups.iter().filter(|g| g.appraisal_required) {
            v.push(format!(
                "Donations of {} deduct {} in {}, over 5,000: Form 8283 Section B, with a qualified appraisal signed by the appraiser and the charity's acknowledgment (IRC 170(f)(11)); without it the deduction is denied.",
                g.asset,
                crate::cell::money(g.deduction),
                self.year
            ));
        }
        if !self.lost.is_empty() {
            v.push(format!(
                "Coins lost, stolen or taken by a scam ({} of basis) left the holdings with no deduction: a personal casualty or theft loss is not deductible after 2017 outside a declared disaster (IRC 165(h)(5)); whether a theft in a transaction entered into for profit is deductible (IRC 165(c)(2)) is a question for a tax professional.",
                crate::cell::money(self.lost_basis)
            ));
        }
        v
    }
}

/// The gift tax annual exclusion per recipient (IRC 2503(b), as indexed).
pub fn annual_exclusion(year: i32) -> Decimal {
    Decimal::from(match year {
        ..=2012 => 13_000,
        2013..=2017 => 14_000,
        2018..=2021 => 15_000,
        2022 => 16_000,
        2023 => 17_000,
        2024 => 18_000,
        _ => 19_000,
    })
}

/// How a lot's row acquired it, in Form 8283's words.
fn how_acquired(kind: Kind) -> &'static str {
    match kind {
        Kind::Buy => "purchase",
        Kind::Trade => "exchange",
        Kind::Income => "income",
        Kind::GiftIn => "gift",
        Kind::Inheritance => "inheritance",
        _ => "other",
    }
}

/// The year's gifts received and inherited, gifts given, donations and losses.
pub fn transfers<'a>(
    ledger: &'a Ledger,
    outcome: &Outcome,
    year: i32,
    tz: chrono_tz::Tz,
) -> Transfers<'a> {
    let mut t = Transfers {
        year,
        exclusion: annual_exclusion(year),
        ..Transfers::default()
    };
    // Gifts received and inheritances: one lot each, carrying the basis and
    // the date from outside the ledger.
    for (li, lot) in outcome.lots.iter().enumerate() {
        if !matches!(lot.origin, Origin::Gift | Origin::Inherited) {
            continue;
        }
        let row = &ledger.rows[lot.row as usize];
        let date = crate::time::date_in(row.time, tz);
        if date.year() != year {
            continue;
        }
        // In ledger order (by row): one search per gift.
        let gifts = &outcome.gifts_received;
        let fair_value = gifts
            .binary_search_by_key(&lot.row, |g| g.row)
            .ok()
            .map(|k| cents(gifts[k].value));
        t.received.push(ReceivedLine {
            id: &row.id,
            date,
            kind: row.kind,
            account: ledger.syms.name(row.account),
            asset: ledger.syms.name(lot.asset),
            quantity: lot.qty,
            basis: cents(lot.basis),
            acquired: lot.acquired_date,
            fair_value,
            dual_basis: outcome.dual_basis.contains_key(&(li as u32)),
        });
    }
    let mut by_recipient: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut by_asset: BTreeMap<String, Decimal> = BTreeMap::new();
    for d in &outcome.disposals {
        if d.kind != DisposalKind::Removal || d.date.year() != year {
            continue;
        }
        let row = &ledger.rows[d.row as usize];
        let fair_value = cents(d.proceeds);
        let mut lots = Vec::new();
        let mut f_before = Decimal::ZERO;
        let mut q_cum = Decimal::ZERO;
        let legs = outcome.legs_of(d);
        for (n, leg) in legs.iter().enumerate() {
            let lot = &outcome.lots[leg.lot as usize];
            let lot_row = &ledger.rows[lot.row as usize];
            q_cum += leg.qty;
            let f_through = if n + 1 == legs.len() || d.qty.is_zero() {
                fair_value
            } else {
                cents(super::form8949::mul_div(d.proceeds, q_cum, d.qty))
            };
            let fair = f_through - f_before;
            f_before = f_through;
            let basis = cents(leg.basis);
            let term = lot_term(lot, d.date);
            let deduction = if row.kind == Kind::Donation {
                match (term, row.category) {
                    (Term::Long, Some(Category::Public)) => fair,
                    _ => basis.min(fair),
                }
            } else {
                Decimal::ZERO
            };
            lots.push(RemovedLot {
                lot_id: &lot_row.id,
                date_acquired: lot.holding_from,
                how_acquired: how_acquired(lot_row.kind),
                quantity: leg.qty,
                basis,
                fair_value: fair,
                term,
                deduction,
            });
        }
        let line = RemovalLine {
            id: &row.id,
            date: d.date,
            kind: row.kind,
            account: ledger.syms.name(row.account),
            asset: ledger.syms.name(d.asset),
            quantity: d.qty,
            recipient: ledger.note(row),
            category: row.category,
            basis: lots.iter().map(|l| l.basis).sum(),
            fair_value,
            deduction: lots.iter().map(|l| l.deduction).sum(),
            lots,
        };
        match row.kind {
            Kind::GiftOut => {
                let who = if line.recipient.trim().is_empty() {
                    "(no recipient in the note)".to_string()
                } else {
                    line.recipient.trim().to_string()
                };
                *by_recipient.entry(who).or_default() += line.fair_value;
                t.gifts.push(line);
            }
            Kind::Donation => {
                *by_asset.entry(line.asset.to_string()).or_default() += line.deduction;
                t.donations_fair_value += line.fair_value;
                t.deduction += line.deduction;
                t.donations.push(line);
            }
            _ => {
                t.lost_basis += line.basis;
                t.lost.push(line);
            }
        }
    }
    t.recipients = by_recipient
        .into_iter()
        .map(|(name, fair_value)| Recipient {
            over_exclusion: fair_value > t.exclusion,
            name,
            fair_value,
        })
        .collect();
    t.donation_groups = by_asset
        .into_iter()
        .map(|(asset, deduction)| DonationGroup {
            appraisal_required: deduction > Decimal::from(5_000),
            asset,
            deduction,
        })
        .collect();
    t.form_8283_required = t.deduction > Decimal::from(500);
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Config, run};
    use crate::ledger::LedgerBuilder;
    use crate::tax::{BasisRule, BoxRules, GainRow, build_rows};
    use chrono_tz::Tz;

    const H: &str = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note,category,basis_usd,acquired\n";

    fn ledger(rows: &str) -> Ledger {
        let mut b = LedgerBuilder::new(Tz::UTC);
        b.read_csv(format!("{H}{rows}").as_bytes(), "t.csv")
            .unwrap();
        b.finish().unwrap()
    }

    fn rows(l: &Ledger) -> (Outcome, Vec<GainRow>) {
        let o = run(l, &Config::default(), None, None, None).unwrap();
        let r = build_rows(l, &o, &BoxRules::default());
        (o, r)
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A gift of 1 BTC: the donor's basis 10,000 (bought 2020-03-01), worth
    /// 6,000 at the gift (2025-01-10). Sold for 12,000: a gain of 2,000 from
    /// the donor's basis, long-term with the donor's date. Sold for 5,000: a
    /// loss of 1,000 from the fair value, short-term from the gift. Sold for
    /// 8,000: between the two, no gain and no loss (basis = proceeds).
    #[test]
    fn a_gift_below_the_donors_basis_has_two_bases() {
        let gift =
            "g,2025-01-10T00:00:00Z,cb,gift-in,,,1,BTC,,,6000,,,from Dad,,10000,2020-03-01\n";
        for (price, basis, gain, acquired, term, rule) in [
            (
                "12000",
                "10000",
                "2000",
                "2020-03-01",
                Term::Long,
                BasisRule::Lot,
            ),
            (
                "5000",
                "6000",
                "-1000",
                "2025-01-10",
                Term::Short,
                BasisRule::GiftFairValue,
            ),
            (
                "8000",
                "8000",
                "0",
                "2020-03-01",
                Term::Long,
                BasisRule::GiftNoGainNoLoss,
            ),
        ] {
            let l = ledger(&format!(
                "{gift}s,2025-06-01T00:00:00Z,cb,sell,1,BTC,{price},USD,,,,,,,,,\n"
            ));
            let (_, r) = rows(&l);
            assert_eq!(r.len(), 1, "{price}");
            assert_eq!(r[0].cost_basis, d(basis), "{price}");
            assert_eq!(r[0].gain, d(gain), "{price}");
            assert_eq!(r[0].date_acquired, date(acquired), "{price}");
            assert_eq!(r[0].term, term, "{price}");
            assert_eq!(r[0].basis_rule, rule, "{price}");
        }
        // Half sold below the fair value: half the fair value, 3,000.
        let l = ledger(&format!(
            "{gift}s,2025-06-01T00:00:00Z,cb,sell,0.5,BTC,2000,USD,,,,,,,,,\n"
        ));
        let (_, r) = rows(&l);
        assert_eq!((r[0].cost_basis, r[0].gain), (d("3000"), d("-1000")));
    }

    /// A gift worth more than the donor's basis has one basis: the donor's, a
    /// loss below it included.
    #[test]
    fn a_gift_above_the_donors_basis_keeps_the_donors_basis() {
        let l = ledger(
            "g,2025-01-10T00:00:00Z,cb,gift-in,,,1,ETH,,,3000,,,,,2000,2021-01-01\n\
             s,2025-06-01T00:00:00Z,cb,sell,1,ETH,1500,USD,,,,,,,,,\n",
        );
        let (o, r) = rows(&l);
        assert!(o.dual_basis.is_empty());
        assert_eq!((r[0].cost_basis, r[0].gain), (d("2000"), d("-500")));
        assert_eq!(r[0].term, Term::Long);
    }

    /// Inherited units: basis the fair value at death (50,000 on 2025-05-01),
    /// sold two days after they arrived: long-term, gain 2,000.
    #[test]
    fn an_inherited_lot_sold_two_days_later_is_long_term() {
        let l = ledger(
            "i,2025-05-20T00:00:00Z,cb,inheritance,,,1,BTC,,,,,,estate of Mom,,50000,2025-05-01\n\
             s,2025-05-22T00:00:00Z,cb,sell,1,BTC,52000,USD,,,,,,,,,\n",
        );
        let (o, r) = rows(&l);
        assert_eq!(r[0].term, Term::Long);
        assert_eq!(r[0].date_acquired, date("2025-05-01"));
        assert_eq!((r[0].cost_basis, r[0].gain), (d("50000"), d("2000")));
        assert!(o.lots[0].always_long);
    }

    /// A deposit carrying its basis opens its lot with it, paired with nothing.
    #[test]
    fn a_deposit_with_a_known_basis_opens_its_lot() {
        let l = ledger(
            "w,2025-02-01T00:00:00Z,cb,withdrawal,1,SOL,,,,,,,,,,,\n\
             dep,2025-02-01T01:00:00Z,kr,deposit,,,2,SOL,,,,,,from an old wallet,,300,2021-01-01\n\
             s,2025-06-01T00:00:00Z,kr,sell,2,SOL,400,USD,,,,,,,,,\n\
             b,2024-01-01T00:00:00Z,cb,buy,100,USD,1,SOL,,,,,,,,,\n",
        );
        let (_, r) = rows(&l);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].cost_basis, r[0].gain), (d("300"), d("100")));
        assert_eq!(r[0].term, Term::Long);
    }

    /// Donations: bought 1 ETH for 1,000 in 2023 and 1 ETH for 1,000 in 2025;
    /// each given when worth 1,500. Short-term: the smaller of basis and fair
    /// value, 1,000; long-term to a public charity: fair value, 1,500; to a
    /// private non-operating foundation: basis, 1,000; depreciated (basis
    /// 2,000) to a foundation: fair value, 1,500.
    #[test]
    fn a_donations_deduction_follows_170e() {
        for (bought, basis, category, want) in [
            ("2025-01-01", "1000", "public", "1000"),
            ("2023-01-01", "1000", "public", "1500"),
            ("2023-01-01", "1000", "private", "1000"),
            ("2023-01-01", "2000", "private", "1500"),
            ("2025-01-01", "2000", "public", "1500"),
        ] {
            let l = ledger(&format!(
                "b,{bought}T00:00:00Z,cb,buy,{basis},USD,1,ETH,,,,,,,,,\n\
                 x,2025-06-01T00:00:00Z,cb,donation,1,ETH,,,,,1500,,,Red Cross,{category},,\n"
            ));
            let (o, r) = rows(&l);
            assert!(r.is_empty(), "a donation makes no Form 8949 row");
            let t = transfers(&l, &o, 2025, Tz::UTC);
            assert_eq!(t.donations.len(), 1);
            assert_eq!(t.deduction, d(want), "{bought} {basis} {category}");
            assert_eq!(t.donations[0].recipient, "Red Cross");
            assert_eq!(t.donations[0].lots[0].how_acquired, "purchase");
            assert!(t.form_8283_required);
            assert!(!t.donation_groups[0].appraisal_required);
        }
        // Over 5,000 of one asset: Section B, an appraisal.
        let l = ledger(
            "b,2023-01-01T00:00:00Z,cb,buy,1000,USD,3,ETH,,,,,,,,,\n\
             x,2025-06-01T00:00:00Z,cb,donation,2,ETH,,,,,3000,,,A,public,,\n\
             y,2025-09-01T00:00:00Z,cb,donation,1,ETH,,,,,2500,,,B,public,,\n",
        );
        let (o, _) = rows(&l);
        let t = transfers(&l, &o, 2025, Tz::UTC);
        assert_eq!(t.deduction, d("5500"));
        assert!(t.donation_groups[0].appraisal_required);
    }

    /// Gifts given leave by FIFO with no row; one recipient over the 19,000
    /// exclusion of 2025 needs a Form 709, the other not. A loss makes no row
    /// and deducts nothing; its basis is listed.
    #[test]
    fn gifts_given_and_coins_lost_leave_without_a_row() {
        let l = ledger(
            "b1,2024-01-01T00:00:00Z,cb,buy,10000,USD,1,BTC,,,,,,,,,\n\
             b2,2024-02-01T00:00:00Z,cb,buy,20000,USD,1,BTC,,,,,,,,,\n\
             g1,2025-03-01T00:00:00Z,cb,gift-out,0.25,BTC,,,,,20000,,,Alice,,,\n\
             g2,2025-04-01T00:00:00Z,cb,gift-out,0.1,BTC,,,,,9000,,,Bob,,,\n\
             lo,2025-05-01T00:00:00Z,cb,lost,0.65,BTC,,,,,,,,phishing site,scam,,\n\
             s,2025-06-01T00:00:00Z,cb,sell,1,BTC,90000,USD,,,,,,,,,\n",
        );
        let (o, r) = rows(&l);
        // Only the sale: the rest of lot b1 is gone, so it sells lot b2.
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].cost_basis, d("20000"));
        let t = transfers(&l, &o, 2025, Tz::UTC);
        assert_eq!(t.gifts.len(), 2);
        assert_eq!(t.gifts[0].basis, d("2500"));
        assert_eq!(t.recipients[0].name, "Alice");
        assert!(t.recipients[0].over_exclusion);
        assert!(!t.recipients[1].over_exclusion);
        assert_eq!(t.lost[0].category, Some(Category::Scam));
        assert_eq!(t.lost_basis, d("6500"));
        assert!(t.notes().iter().any(|n| n.contains("Form 709")));
    }
}
