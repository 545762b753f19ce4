//! Ordinary income from digital assets received in a tax year (staking, mining,
//! rewards, airdrops, interest, forks): each row at its fair value when received,
//! the totals by category, asset, month and account, where each total goes
//! (Schedule 1 line 8v, or Schedule C for a business), and how each account's
//! total compares with the Form 1099-MISC the exchange sent.
//!
//! Sources: Rev. Rul. 2019-24 (airdrops after a hard fork), Rev. Rul. 2023-14
//! (staking rewards, income when the taxpayer gains dominion and control),
//! Notice 2014-21 Q&A 8-9 (mining; a trade or business is self-employment
//! income), and the 2025 Schedule 1 instructions, line 8v ("digital assets
//! received as ordinary income not reported elsewhere").

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::cell::cents;
use crate::engine::Outcome;
use crate::model::{Category, Ledger};
use crate::time::date_in;

/// Where an income row is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Schedule {
    /// Schedule 1 (Form 1040), line 8v: digital assets received as ordinary
    /// income not reported elsewhere.
    Line8v,
    /// Schedule C: income of a trade or business (mining or staking run as
    /// one, harvest.toml `income_as_business`), subject to self-employment tax.
    ScheduleC,
}

impl Schedule {
    /// The short name outputs write: `schedule_1_line_8v` or `schedule_c`.
    pub fn as_str(self) -> &'static str {
        match self {
            Schedule::Line8v => "schedule_1_line_8v",
            Schedule::ScheduleC => "schedule_c",
        }
    }

    /// The form and line for people.
    pub fn label(self) -> &'static str {
        match self {
            Schedule::Line8v => "Schedule 1, line 8v",
            Schedule::ScheduleC => "Schedule C, line 1",
        }
    }
}

/// One income row of the year.
#[derive(Debug, Clone)]
pub struct IncomeLine<'a> {
    /// The row's id, which is also the id of the lot it opened.
    pub id: &'a str,
    pub time: DateTime<Utc>,
    /// The date in the tax time zone (which decides the year and month).
    pub date: NaiveDate,
    pub account: &'a str,
    pub asset: &'a str,
    /// Units kept (received less units withheld for a fee).
    pub quantity: Decimal,
    /// The row's category, `other` when it has none (see `given`).
    pub category: Category,
    /// False when the row had no category and is counted as `other`.
    pub given: bool,
    /// Fair value in USD when received, in cents: the lot's basis.
    pub usd_value: Decimal,
    pub schedule: Schedule,
}

/// What an account's Form 1099-MISC says beside what the ledger says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormCheck {
    pub account: String,
    /// The form's amount (box 3, other income), as given.
    pub form: Decimal,
    /// The account's income of the year in the ledger.
    pub ledger: Decimal,
    /// ledger − form.
    pub difference: Decimal,
}

/// An asset's income of the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetIncome {
    pub quantity: Decimal,
    pub usd_value: Decimal,
}

/// The year's income from digital assets.
#[derive(Debug, Clone)]
pub struct IncomeSummary<'a> {
    pub year: i32,
    pub rows: Vec<IncomeLine<'a>>,
    pub total: Decimal,
    /// Every income category, in [`Category::INCOME`] order, with its total
    /// (zero when the year has none).
    pub by_category: Vec<(Category, Decimal)>,
    /// By asset name.
    pub by_asset: BTreeMap<&'a str, AssetIncome>,
    /// January to December.
    pub by_month: [Decimal; 12],
    /// By account name.
    pub by_account: BTreeMap<&'a str, Decimal>,
    pub schedule_1_line_8v: Decimal,
    pub schedule_c: Decimal,
    /// The categories reported as a business (harvest.toml `income_as_business`).
    pub business: Vec<Category>,
    /// One line per `--1099misc ACCOUNT=AMOUNT`.
    pub forms: Vec<FormCheck>,
    /// Income rows of the year without a category (counted as `other`).
    pub uncategorized: usize,
}

/// The income rows of `year` (calendar year in `tz`) and their totals. `business`
/// lists the categories run as a trade or business; `forms` the 1099-MISC
/// amounts by account.
pub fn income<'a>(
    ledger: &'a Ledger,
    outcome: &Outcome,
    year: i32,
    tz: Tz,
    business: &[Category],
    forms: &[(String, Decimal)],
) -> IncomeSummary<'a> {
    let mut s = IncomeSummary {
        year,
        rows: Vec::new(),
        total: Decimal::ZERO,
        by_category: Category::INCOME
            .iter()
            .map(|&c| (c, Decimal::ZERO))
            .collect(),
        by_asset: BTreeMap::new(),
        by_month: [Decimal::ZERO; 12],
        by_account: BTreeMap::new(),
        schedule_1_line_8v: Decimal::ZERO,
        schedule_c: Decimal::ZERO,
        business: business.to_vec(),
        forms: Vec::new(),
        uncategorized: 0,
    };
    for inc in &outcome.incomes {
        let row = &ledger.rows[inc.row as usize];
        let date = date_in(row.time, tz);
        if date.year() != year {
            continue;
        }
        let Some(received) = row.received else {
            continue;
        };
        let category = row.category.unwrap_or(Category::Other);
        let schedule = if business.contains(&category) {
            Schedule::ScheduleC
        } else {
            Schedule::Line8v
        };
        let usd_value = cents(inc.value);
        let asset = ledger.syms.name(received.asset);
        let account = ledger.syms.name(row.account);
        s.total += usd_value;
        if let Some(c) = s.by_category.iter_mut().find(|(c, _)| *c == category) {
            c.1 += usd_value;
        }
        let a = s.by_asset.entry(asset).or_insert(AssetIncome {
            quantity: Decimal::ZERO,
            usd_value: Decimal::ZERO,
        });
        a.quantity += inc.qty;
        a.usd_value += usd_value;
        s.by_month[date.month0() as usize] += usd_value;
        *s.by_account.entry(account).or_default() += usd_value;
        match schedule {
            Schedule::Line8v => s.schedule_1_line_8v += usd_value,
            Schedule::ScheduleC => s.schedule_c += usd_value,
        }
        s.uncategorized += usize::from(row.category.is_none());
        s.rows.push(IncomeLine {
            id: &row.id,
            time: row.time,
            date,
            account,
            asset,
            quantity: inc.qty,
            category,
            given: row.category.is_some(),
            usd_value,
            schedule,
        });
    }
    s.forms = forms
        .iter()
        .map(|(account, form)| {
            let ledger = s
                .by_account
                .get(account.as_str())
                .copied()
                .unwrap_or_default();
            FormCheck {
                account: account.clone(),
                form: *form,
                ledger,
                difference: ledger - form,
            }
        })
        .collect();
    s
}

impl IncomeSummary<'_> {
    /// The notes every format prints under the totals: what each schedule
    /// holds, rows counted as `other`, and what a 1099-MISC difference means.
    pub fn notes(&self) -> Vec<String> {
        let mut v = Vec::new();
        if !self.rows.is_empty() {
            v.push(
                "Each row is ordinary income at its fair value in USD when received (Rev. Rul. 2023-14, Notice 2014-21), and the basis of the lot it opened (harvest lots shows it)."
                    .to_string(),
            );
        }
        if !self.schedule_c.is_zero() {
            let names: Vec<&str> = self.business.iter().map(|c| c.as_str()).collect();
            v.push(format!(
                "Schedule C: {} income ({}, harvest.toml income_as_business) is business income: self-employment income for Schedule SE; its expenses (power, equipment, pool fees) are not in the ledger and are yours to deduct on Schedule C.",
                names.join(", "),
                crate::cell::money(self.schedule_c)
            ));
        }
        if self.uncategorized > 0 {
            v.push(format!(
                "{} without a category {} counted as other: fill in the ledger's category column (staking, mining, reward, airdrop, interest, fork, other) to total it where it belongs.",
                if self.uncategorized == 1 {
                    "1 income row".to_string()
                } else {
                    format!("{} income rows", self.uncategorized)
                },
                if self.uncategorized == 1 { "is" } else { "are" }
            ));
        }
        for f in &self.forms {
            if !f.difference.is_zero() {
                v.push(format!(
                    "{}: the ledger has {} of income for {} and the Form 1099-MISC {} ({} {}): the exchange valued the rewards at its own prices or times, or a row is missing from one side; explain the difference in your records, and report the income the ledger supports.",
                    f.account,
                    crate::cell::money(f.ledger),
                    self.year,
                    crate::cell::money(f.form),
                    if f.difference > Decimal::ZERO { "more by" } else { "less by" },
                    crate::cell::money(f.difference.abs())
                ));
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Config, run};
    use crate::ledger::LedgerBuilder;

    fn ledger(text: &str) -> Ledger {
        let mut b = LedgerBuilder::new(Tz::UTC);
        b.read_csv(text.as_bytes(), "t.csv").unwrap();
        b.finish().unwrap()
    }

    const H: &str = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note,category,basis_usd,acquired\n";

    /// Hand arithmetic: staking 0.01 ETH at 3,100.00 = 31.00 and 0.02 ETH at
    /// 2,500.125 = 50.0025 → 50.00 (cents, half away from zero); mining
    /// 0.001 BTC at 60,000 = 60.00; an airdrop of 2025-12-31 23:30 in New York
    /// is 2026-01-01 04:30 UTC and still 2025. Line 8v = 31.00 + 50.00 + 10.50
    /// = 91.50; Schedule C (mining as a business) = 60.00; total 151.50.
    #[test]
    fn totals_by_category_schedule_and_month_by_hand() {
        let l = ledger(&format!(
            "{H}\
s1,2025-02-01T06:00:00Z,coinbase,income,,,0.01,ETH,,,31,,,,staking,,\n\
s2,2025-03-01T06:00:00Z,kraken,income,,,0.02,ETH,,,50.0025,,,,staking,,\n\
m1,2025-03-15T00:00:00Z,rig,income,,,0.001,BTC,,,60,,,,mining,,\n\
a1,2026-01-01T04:30:00Z,wallet,income,,,100,ARB,,,10.5,,,,airdrop,,\n\
old,2024-06-01T00:00:00Z,coinbase,income,,,1,ETH,,,3000,,,,staking,,\n"
        ));
        let o = run(&l, &Config::default(), None, None, None).unwrap();
        let tz: Tz = "America/New_York".parse().unwrap();
        let forms = [("coinbase".to_string(), Decimal::new(3050, 2))];
        let s = income(&l, &o, 2025, tz, &[Category::Mining], &forms);
        assert_eq!(s.rows.len(), 4);
        assert_eq!(s.total, Decimal::new(15150, 2));
        assert_eq!(s.schedule_1_line_8v, Decimal::new(9150, 2));
        assert_eq!(s.schedule_c, Decimal::new(6000, 2));
        let cat = |c| s.by_category.iter().find(|x| x.0 == c).unwrap().1;
        assert_eq!(cat(Category::Staking), Decimal::new(8100, 2));
        assert_eq!(cat(Category::Airdrop), Decimal::new(1050, 2));
        assert_eq!(cat(Category::Fork), Decimal::ZERO);
        assert_eq!(s.by_month[1], Decimal::new(3100, 2));
        assert_eq!(s.by_month[2], Decimal::new(11000, 2));
        assert_eq!(s.by_month[11], Decimal::new(1050, 2));
        assert_eq!(s.by_asset["ETH"].quantity, Decimal::new(3, 2));
        assert_eq!(s.forms[0].difference, Decimal::new(50, 2));
        // The total is the sum of the rows as written.
        let sum: Decimal = s.rows.iter().map(|r| r.usd_value).sum();
        assert_eq!(sum, s.total);
    }

    /// A fee withheld from the reward (Kraken's staking commission) leaves
    /// income of the units kept: 1 DOT received, 0.1 withheld, 5.00 a DOT:
    /// 0.9 DOT and 4.50 of income, which is the lot's basis.
    #[test]
    fn income_is_the_value_of_the_units_kept() {
        let l = ledger(&format!(
            "{H}k1,2025-05-01T00:00:00Z,kraken,income,,,1,DOT,0.1,DOT,5,,,,staking,,\n"
        ));
        let o = run(&l, &Config::default(), None, None, None).unwrap();
        let s = income(&l, &o, 2025, Tz::UTC, &[], &[]);
        assert_eq!(s.rows[0].quantity, Decimal::new(9, 1));
        assert_eq!(s.total, Decimal::new(450, 2));
        assert_eq!(o.lots[0].basis, Decimal::new(45, 1));
        assert_eq!(o.lots[0].qty, Decimal::new(9, 1));
    }
}
