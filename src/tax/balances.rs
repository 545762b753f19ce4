//! Balances that tie out: for each account and asset, a year's opening
//! quantity, what came in and went out by kind, and the closing quantity, beside
//! the quantity and basis of the lots the engine holds there at the year's end.

use std::collections::BTreeMap;

use chrono::Datelike;
use rust_decimal::Decimal;

use crate::engine::{Outcome, account_name};
use crate::model::{Kind, Ledger, Sym};
use crate::time::date_in;

/// One account's year in one asset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balance {
    pub opening: Decimal,
    /// Bought, received in a trade, as income, a gift or an inheritance, or by a
    /// deposit carrying its basis.
    pub acquired: Decimal,
    /// Sold, traded away, spent, given, donated or lost.
    pub disposed: Decimal,
    pub moved_in: Decimal,
    pub moved_out: Decimal,
    /// Fees paid in the asset (on top of what the rows send or receive).
    pub fees: Decimal,
    pub closing: Decimal,
    /// The lots held there at the year's end: quantity and basis. Under a
    /// universal pool the lots are the pool's, not the account's.
    pub lots_quantity: Decimal,
    pub lots_basis: Decimal,
}

/// The balances of a year, by (account, asset) name.
pub fn balances<'a>(
    ledger: &'a Ledger,
    outcome: &Outcome,
    year: i32,
    tz: chrono_tz::Tz,
) -> BTreeMap<(&'a str, &'a str), Balance> {
    let mut by: BTreeMap<(Sym, Sym), Balance> = BTreeMap::new();
    for row in &ledger.rows {
        let y = date_in(row.time, tz).year();
        if y > year {
            break;
        }
        let mut add = |asset: Sym, f: &dyn Fn(&mut Balance, Decimal), q: Decimal, opening: bool| {
            if asset.is_money() {
                return;
            }
            let b = by.entry((row.account, asset)).or_default();
            if opening {
                // Before the year: only the net counts.
                let mut t = Balance::default();
                f(&mut t, q);
                b.opening += t.acquired - t.disposed + t.moved_in - t.moved_out - t.fees;
            } else {
                f(b, q);
            }
        };
        let before = y < year;
        let carried = row.kind == Kind::Deposit && ledger.basis_usd(row).is_some();
        if let Some(r) = row.received {
            let f: &dyn Fn(&mut Balance, Decimal) = if row.kind == Kind::Deposit && !carried {
                &|b, q| b.moved_in += q
            } else {
                &|b, q| b.acquired += q
            };
            add(r.asset, f, r.qty, before);
        }
        if let Some(s) = row.sent {
            let f: &dyn Fn(&mut Balance, Decimal) = if row.kind == Kind::Withdrawal {
                &|b, q| b.moved_out += q
            } else {
                &|b, q| b.disposed += q
            };
            add(s.asset, f, s.qty, before);
        }
        if let Some(fee) = row.fee {
            add(fee.asset, &|b, q| b.fees += q, fee.qty, before);
        }
    }
    for h in &outcome.holdings {
        let b = by.entry((h.account, h.asset)).or_default();
        b.lots_quantity += h.qty;
        b.lots_basis += h.basis;
    }
    by.into_iter()
        .map(|((acct, asset), mut b)| {
            b.closing = b.opening + b.acquired - b.disposed + b.moved_in - b.moved_out - b.fees;
            b.lots_basis = crate::cell::cents(b.lots_basis);
            ((account_name(ledger, acct), ledger.syms.name(asset)), b)
        })
        .filter(|(_, b)| *b != Balance::default())
        .collect()
}

/// Where the ledger's balance of an account and asset stops (or starts again)
/// agreeing with the balance the exchange's export states after a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence<'a> {
    /// The export and the line whose stated balance is compared.
    pub file: &'a str,
    pub line: u64,
    pub time: chrono::DateTime<chrono::Utc>,
    pub account: &'a str,
    pub asset: &'a str,
    /// The balance the export states, and the ledger's at the same instant.
    pub reported: Decimal,
    pub ledger: Decimal,
    /// ledger - reported: zero when they agree again.
    pub difference: Decimal,
    /// The last line before this one where the two agreed, if any: the row
    /// that is missing, repeated or mis-read lies between the two.
    pub agreed_at: Option<(&'a str, u64)>,
}

/// What the comparison with the exchanges' own balances found.
#[derive(Debug, Clone, Default)]
pub struct Comparison<'a> {
    /// How many stated balances were compared (the last of each instant).
    pub compared: usize,
    /// The files that state balances.
    pub files: Vec<&'a str>,
    /// Each change of the difference, in time order per account and asset.
    pub divergences: Vec<Divergence<'a>>,
}

/// Compares the ledger's balance of each account and asset with the balance
/// the exports state ([`Ledger::reported`]) up to the end of `year`, after the
/// last row of each instant (rows of one instant may come in any order).
/// A divergence is listed where the difference changes: a missing row shows
/// once, where the chain breaks, not on every later line.
pub fn compare(ledger: &Ledger, year: i32, tz: chrono_tz::Tz) -> Comparison<'_> {
    let mut groups: BTreeMap<(&str, &str), Vec<&crate::model::ReportedBalance>> = BTreeMap::new();
    for r in &ledger.reported {
        if date_in(r.time, tz).year() <= year {
            groups
                .entry((r.account.as_str(), r.asset.as_str()))
                .or_default()
                .push(r);
        }
    }
    let mut out = Comparison::default();
    let mut files: Vec<u32> = ledger.reported.iter().map(|r| r.file).collect();
    files.sort_unstable();
    files.dedup();
    out.files = files
        .iter()
        .map(|&f| ledger.files.get(f as usize).map_or("?", String::as_str))
        .collect();
    // The ledger's movements of the compared accounts and assets, in time order.
    let mut key_of: rustc_hash::FxHashMap<(Sym, Sym), usize> = Default::default();
    let keys: Vec<(&str, &str)> = groups.keys().copied().collect();
    for (k, (acct, asset)) in keys.iter().enumerate() {
        if let (Some(a), Some(s)) = (ledger.syms.get(acct), ledger.syms.get(asset)) {
            key_of.insert((a, s), k);
        }
    }
    let mut moves: Vec<Vec<(chrono::DateTime<chrono::Utc>, Decimal)>> =
        vec![Vec::new(); keys.len()];
    if !key_of.is_empty() {
        for row in &ledger.rows {
            let mut add = |asset: Sym, q: Decimal| {
                if let Some(&k) = key_of.get(&(row.account, asset)) {
                    moves[k].push((row.time, q));
                }
            };
            if let Some(r) = row.received {
                add(r.asset, r.qty);
            }
            if let Some(s) = row.sent {
                add(s.asset, -s.qty);
            }
            if let Some(f) = row.fee {
                add(f.asset, -f.qty);
            }
        }
    }
    for (k, ((account, asset), mut stated)) in groups.into_iter().enumerate() {
        stated.sort_by_key(|r| (r.time, r.file, r.line));
        let (mut at, mut held) = (0usize, Decimal::ZERO);
        let (mut diff, mut agreed_at) = (Decimal::ZERO, None);
        for (i, r) in stated.iter().enumerate() {
            if stated.get(i + 1).is_some_and(|n| n.time == r.time) {
                continue;
            }
            while let Some(&(t, q)) = moves[k].get(at) {
                if t > r.time {
                    break;
                }
                held += q;
                at += 1;
            }
            out.compared += 1;
            let d = held - r.balance;
            if d != diff {
                out.divergences.push(Divergence {
                    file: ledger
                        .files
                        .get(r.file as usize)
                        .map_or("?", String::as_str),
                    line: r.line,
                    time: r.time,
                    account,
                    asset,
                    reported: r.balance,
                    ledger: held,
                    difference: d,
                    agreed_at,
                });
                diff = d;
            }
            if d.is_zero() {
                agreed_at = Some((
                    ledger
                        .files
                        .get(r.file as usize)
                        .map_or("?", String::as_str),
                    r.line,
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Config, run};
    use crate::ledger::LedgerBuilder;
    use chrono_tz::Tz;

    /// 2 BTC bought in 2024; in 2025 1 BTC moved to a Ledger with a 0.0001 fee,
    /// 0.5 sold there and 0.2 given away: Coinbase opens at 2 and closes at
    /// 0.9999, the Ledger opens at 0 and closes at 0.3, and each matches the
    /// lots held (basis 10,000 a BTC).
    #[test]
    fn a_year_ties_out_by_account() {
        let text = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n\
b,2024-01-01T00:00:00Z,cb,buy,20000,USD,2,BTC,,,,,,\n\
w,2025-02-01T00:00:00Z,cb,withdrawal,1,BTC,,,0.0001,BTC,,5,t,\n\
d,2025-02-01T01:00:00Z,ln,deposit,,,1,BTC,,,,,t,\n\
s,2025-03-01T00:00:00Z,ln,sell,0.5,BTC,30000,USD,,,,,,\n\
g,2025-04-01T00:00:00Z,ln,gift-out,0.2,BTC,,,,,12000,,,Sam\n";
        let mut bld = LedgerBuilder::new(Tz::UTC);
        bld.read_csv(text.as_bytes(), "t.csv").unwrap();
        let l = bld.finish().unwrap();
        let end = crate::time::end_of_day(
            chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            Tz::UTC,
        );
        let o = run(&l, &Config::default(), None, None, Some(end)).unwrap();
        let b = balances(&l, &o, 2025, Tz::UTC);
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let cb = &b[&("cb", "BTC")];
        assert_eq!(
            (cb.opening, cb.moved_out, cb.fees, cb.closing),
            (d("2"), d("1"), d("0.0001"), d("0.9999"))
        );
        assert_eq!(
            (cb.lots_quantity, cb.lots_basis),
            (d("0.9999"), d("9999.00"))
        );
        let ln = &b[&("ln", "BTC")];
        assert_eq!(
            (ln.opening, ln.moved_in, ln.disposed, ln.closing),
            (d("0"), d("1"), d("0.7"), d("0.3"))
        );
        assert_eq!((ln.lots_quantity, ln.lots_basis), (d("0.3"), d("3000.00")));
    }
}
