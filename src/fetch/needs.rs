//! Which prices a ledger needs: a pure function over [`Ledger`], no lot
//! matching. It mirrors what the engine looks up in `--prices`
//! (engine/apply.rs `main_value`, `money_value`, `fee_value`, and the
//! transfers of engine/transfer.rs), so that a ledger that oversells or lacks
//! a basis still gets every price it will ask for:
//!
//! - a buy, sell, trade, income or spend with no USD side, no `usd_value` and
//!   no USD stablecoin side: its side in another currency (EUR, GBP, ...) at
//!   that currency's rate, else the received asset (then the sent one, when no
//!   source has the received one);
//! - a fee in another currency without `fee_usd`; a crypto fee in a third
//!   asset, a transfer's crypto fee or a `fee` row's crypto, unless the row
//!   values it (`fee_usd`, `usd_value`);
//! - a withdrawal larger than the deposit it may pair with (the units lost on
//!   the way are a network fee), unless `usd_value` prices the moved asset;
//! - with an as-of time, the current price of every asset with a positive
//!   balance then (received minus sent minus fees, over all accounts).
//!
//! USD and the USD stablecoins ([`crate::model::USD_STABLECOINS`]) are 1.00
//! and need nothing.

use std::collections::HashMap;
use std::ops::Range;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use crate::model::{Amount, Kind, Ledger, Row, Sym, is_usd_stablecoin};

/// Why a price is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Rows of the ledger value an amount at this time: `file:line (id X)` of
    /// the first few, and how many there are.
    Rows { first: Vec<String>, count: usize },
    /// Holdings valued at the as-of time (`lots`, `scan`).
    Holding,
}

/// One price to find: an asset (or, in order, the assets that would each do)
/// at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The asset, then alternatives the engine would take instead (a trade's
    /// sent asset when the received one has no price).
    pub assets: Vec<String>,
    pub time: DateTime<Utc>,
    pub why: Why,
}

/// Every price the ledger needs, and the USD stablecoins held at the as-of
/// time (1.00 each).
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub needs: Vec<Need>,
    /// Stablecoins with a positive balance at the as-of time.
    pub stable_held: Vec<String>,
}

/// How many rows a need names before it counts the rest.
const ROWS_NAMED: usize = 5;

/// The prices `ledger` needs; with `as_of`, the current prices of what is held
/// then too. `own_addresses`: harvest.toml lists own addresses, so that a
/// withdrawal may pair as engine/transfer.rs pairs a send to one.
/// `conversion`: the sent and received amounts of a row that harvest.toml
/// `[assets] same` or `migrations` makes a conversion (engine/convert.rs),
/// which needs no value but may need its fee's.
pub fn needed(
    ledger: &Ledger,
    as_of: Option<DateTime<Utc>>,
    own_addresses: bool,
    conversion: impl Fn(&Row) -> Option<(Amount, Amount)>,
) -> Needs {
    let mut out: Vec<Need> = Vec::new();
    let mut index: HashMap<(Vec<String>, DateTime<Utc>), usize> = HashMap::new();
    let deposits = deposits_by_asset(ledger);
    for row in &ledger.rows {
        let needs = match conversion(row) {
            Some((s, r)) => conversion_needs(ledger, row, s, r),
            None => row_needs(ledger, row, &deposits, own_addresses),
        };
        for assets in needs {
            let key = (assets, row.time);
            match index.get(&key) {
                Some(&i) => {
                    if let Why::Rows { first, count } = &mut out[i].why {
                        if first.len() < ROWS_NAMED {
                            first.push(ledger.locate(row));
                        }
                        *count += 1;
                    }
                }
                None => {
                    index.insert(key.clone(), out.len());
                    out.push(Need {
                        assets: key.0,
                        time: row.time,
                        why: Why::Rows {
                            first: vec![ledger.locate(row)],
                            count: 1,
                        },
                    });
                }
            }
        }
    }
    let mut stable_held = Vec::new();
    if let Some(t) = as_of {
        for (asset, balance) in balances(ledger, t) {
            if balance <= Decimal::ZERO {
                continue;
            }
            if is_usd_stablecoin(&asset) {
                stable_held.push(asset);
            } else {
                out.push(Need {
                    assets: vec![asset],
                    time: t,
                    why: Why::Holding,
                });
            }
        }
    }
    Needs {
        needs: out,
        stable_held,
    }
}

/// Whether an amount's asset needs no price: money in USD or a USD stablecoin.
fn fixed(ledger: &Ledger, a: Sym) -> bool {
    a == Sym::USD || (!a.is_money() && is_usd_stablecoin(ledger.syms.name(a)))
}

/// A deposit: (time, account, quantity, txid).
type Deposit<'a> = (DateTime<Utc>, Sym, Decimal, Option<&'a str>);

/// The deposits of one asset in time order, those of them without a txid, and
/// the least quantity of those carrying each txid; and, so that a withdrawal
/// reads the deposits of its window by blocks of [`BLOCK`], not one by one,
/// each block's [`Least`] of both lists and the quantities of each block of
/// `list` in order.
#[derive(Default)]
struct AssetDeposits<'a> {
    list: Vec<Deposit<'a>>,
    no_txid: Vec<Deposit<'a>>,
    least_by_txid: HashMap<&'a str, Decimal>,
    list_least: Vec<Least>,
    no_txid_least: Vec<Least>,
    list_sorted: Vec<Decimal>,
}

/// Deposits in a block. A hot wallet that takes in and sends out thousands
/// a day would otherwise have every withdrawal read each deposit of the next
/// 48 hours (or 7 days) one by one.
const BLOCK: usize = 64;

/// The least quantity among some deposits and an account that received it,
/// and the least among those into other accounts than that one: enough to
/// tell whether any of them is of less than a quantity and into another
/// account than a given one.
#[derive(Debug, Clone, Copy)]
struct Least {
    least: Decimal,
    into: Sym,
    least_elsewhere: Option<Decimal>,
}

impl Least {
    /// The summary of a block; None when it is empty.
    fn of(block: &[Deposit<'_>]) -> Option<Least> {
        let &(_, into, least, _) = block.iter().min_by_key(|x| x.2)?;
        let least_elsewhere = block.iter().filter(|x| x.1 != into).map(|x| x.2).min();
        Some(Least {
            least,
            into,
            least_elsewhere,
        })
    }

    /// Whether some deposit is of less than `qty` and into another account
    /// than `account`: the least one when `account` did not receive it, else
    /// the least of the other accounts'.
    fn has(&self, qty: Decimal, account: Sym) -> bool {
        (self.into != account && self.least < qty) || self.least_elsewhere.is_some_and(|l| l < qty)
    }
}

/// The deposits of a time-ordered list from `from` to `until` (both
/// included).
fn window(list: &[Deposit<'_>], from: DateTime<Utc>, until: DateTime<Utc>) -> Range<usize> {
    let start = list.partition_point(|x| x.0 < from);
    start..start + list[start..].partition_point(|x| x.0 <= until)
}

/// A range of a list cut at the blocks of [`BLOCK`]: the part before the
/// first whole block in it, the whole blocks (their indices), the part after.
fn by_blocks(r: Range<usize>) -> (Range<usize>, Range<usize>, Range<usize>) {
    let first = r.start.next_multiple_of(BLOCK).min(r.end);
    let last = (r.end / BLOCK * BLOCK).max(first);
    (r.start..first, first / BLOCK..last / BLOCK, last..r.end)
}

/// Whether a deposit of `list[r]` is of less than `qty` and into another
/// account than `account`; `least`: the summaries of `list`'s blocks.
fn smaller_elsewhere(
    list: &[Deposit<'_>],
    least: &[Least],
    r: Range<usize>,
    qty: Decimal,
    account: Sym,
) -> bool {
    let one = |x: &Deposit<'_>| x.2 < qty && x.1 != account;
    let (head, blocks, tail) = by_blocks(r);
    list[head].iter().any(one)
        || least[blocks].iter().any(|b| b.has(qty, account))
        || list[tail].iter().any(one)
}

/// Whether a deposit of `list[r]` is of at least `lo` and less than `hi`;
/// `sorted`: the quantities of each block of `list`, in order.
fn between(
    list: &[Deposit<'_>],
    sorted: &[Decimal],
    r: Range<usize>,
    lo: Decimal,
    hi: Decimal,
) -> bool {
    let one = |x: &Deposit<'_>| lo <= x.2 && x.2 < hi;
    let (head, blocks, tail) = by_blocks(r);
    list[head].iter().any(one)
        || blocks.into_iter().any(|b| {
            let s = &sorted[b * BLOCK..(b + 1) * BLOCK];
            // A block wholly past either end is passed at once; in another,
            // the least quantity that is at least `lo` tells.
            s[0] < hi
                && s[BLOCK - 1] >= lo
                && s.get(s.partition_point(|&q| q < lo))
                    .is_some_and(|&q| q < hi)
        })
        || list[tail].iter().any(one)
}

/// The deposits of each asset.
type Deposits<'a> = HashMap<Sym, AssetDeposits<'a>>;

fn deposits_by_asset(ledger: &Ledger) -> Deposits<'_> {
    let mut m: Deposits<'_> = HashMap::new();
    // The ledger's transfers are in time order, and so each asset's list.
    for &i in ledger.transfers() {
        let r = &ledger.rows[i as usize];
        if r.kind == Kind::Deposit
            && let Some(a) = r.received.filter(Amount::is_crypto)
        {
            let d = m.entry(a.asset).or_default();
            let txid = ledger.txid(r);
            d.list.push((r.time, r.account, a.qty, txid));
            match txid {
                Some(tx) => {
                    let least = d.least_by_txid.entry(tx).or_insert(a.qty);
                    *least = (*least).min(a.qty);
                }
                None => d.no_txid.push((r.time, r.account, a.qty, None)),
            }
        }
    }
    for d in m.values_mut() {
        d.list_least = d.list.chunks(BLOCK).filter_map(Least::of).collect();
        d.no_txid_least = d.no_txid.chunks(BLOCK).filter_map(Least::of).collect();
        d.list_sorted = Vec::with_capacity(d.list.len());
        for block in d.list.chunks(BLOCK) {
            let from = d.list_sorted.len();
            d.list_sorted.extend(block.iter().map(|x| x.2));
            d.list_sorted[from..].sort_unstable();
        }
    }
    m
}

/// What a conversion (engine/convert.rs) needs priced: only a crypto fee,
/// valued as a transfer's network fee (fee_usd, the row's usd_value for an
/// asset it exchanges, 1.00 for a stablecoin, else a price).
fn conversion_needs(ledger: &Ledger, row: &Row, s: Amount, r: Amount) -> Vec<Vec<String>> {
    let Some(f) = row.fee.filter(|f| f.is_crypto() && !f.qty.is_zero()) else {
        return Vec::new();
    };
    let side = row.usd_value.get().is_some() && (f.asset == s.asset || f.asset == r.asset);
    if ledger.fee_usd(row).is_some() || side || fixed(ledger, f.asset) {
        return Vec::new();
    }
    vec![vec![ledger.syms.name(f.asset).to_string()]]
}

/// The assets (each with its alternatives) a row needs priced at its time.
fn row_needs(
    ledger: &Ledger,
    row: &Row,
    deposits: &Deposits<'_>,
    own_addresses: bool,
) -> Vec<Vec<String>> {
    let name = |a: Sym| ledger.syms.name(a).to_string();
    let mut out: Vec<Vec<String>> = Vec::new();
    let fee = row.fee.filter(|f| !f.qty.is_zero());
    // A crypto fee valued by fee_value: fee_usd, the row's usd_value when it
    // prices that asset (`side`), 1.00 for a stablecoin, else a price.
    let crypto_fee = |out: &mut Vec<Vec<String>>, f: Amount, explicit: bool, side: bool| {
        let a = vec![name(f.asset)];
        if !(explicit || side || fixed(ledger, f.asset) || out.contains(&a)) {
            out.push(a);
        }
    };
    match row.kind {
        Kind::Buy | Kind::Sell | Kind::Trade | Kind::Income | Kind::Spend => {
            let sides = [row.sent, row.received];
            let valued = row.usd_value.get().is_some()
                || sides.iter().flatten().any(|a| fixed(ledger, a.asset));
            if !valued {
                let foreign = sides.iter().flatten().find(|a| a.asset.is_foreign_money());
                match foreign {
                    Some(a) => out.push(vec![name(a.asset)]),
                    None => {
                        let alts: Vec<String> = [row.received, row.sent]
                            .into_iter()
                            .flatten()
                            .map(|a| name(a.asset))
                            .collect();
                        if !alts.is_empty() {
                            out.push(alts);
                        }
                    }
                }
            }
            if let Some(f) = fee {
                let sent = row.sent.filter(Amount::is_crypto);
                let received = row.received.filter(Amount::is_crypto);
                if f.asset.is_foreign_money() {
                    if ledger.fee_usd(row).is_none() {
                        out.push(vec![name(f.asset)]);
                    }
                } else if f.is_crypto()
                    && sent.is_none_or(|s| s.asset != f.asset)
                    && received.is_none_or(|r| r.asset != f.asset)
                {
                    crypto_fee(&mut out, f, ledger.fee_usd(row).is_some(), false);
                }
            }
        }
        Kind::Withdrawal => {
            let Some(sent) = row.sent.filter(Amount::is_crypto) else {
                return out;
            };
            let side = row.usd_value.get().is_some();
            if let Some(f) = fee.filter(Amount::is_crypto) {
                crypto_fee(
                    &mut out,
                    f,
                    ledger.fee_usd(row).is_some(),
                    side && f.asset == sent.asset,
                );
            }
            // Units lost on the way: a deposit this withdrawal may pair with
            // (same txid, or another account within 48 hours) that is smaller.
            if !side
                && !fixed(ledger, sent.asset)
                && may_lose_units(row, ledger.txid(row), sent, deposits, own_addresses)
            {
                let a = vec![name(sent.asset)];
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        Kind::Deposit => {
            let Some(recv) = row.received.filter(Amount::is_crypto) else {
                return out;
            };
            if let Some(f) = fee.filter(Amount::is_crypto) {
                let side = row.usd_value.get().is_some() && f.asset == recv.asset;
                crypto_fee(&mut out, f, ledger.fee_usd(row).is_some(), side);
            }
        }
        Kind::GiftIn | Kind::GiftOut | Kind::Donation | Kind::Inheritance | Kind::Lost => {
            let Some(moved) = row.sent.or(row.received).filter(Amount::is_crypto) else {
                return out;
            };
            // A gift's and a donation's fair value is asked for; an
            // inheritance carries its basis, a loss needs none.
            let valued = row.usd_value.get().is_some() || fixed(ledger, moved.asset);
            if !valued && matches!(row.kind, Kind::GiftIn | Kind::GiftOut | Kind::Donation) {
                out.push(vec![name(moved.asset)]);
            }
            if let Some(f) = fee.filter(Amount::is_crypto) {
                let side = row.usd_value.get().is_some() && f.asset == moved.asset;
                crypto_fee(&mut out, f, ledger.fee_usd(row).is_some(), side);
            }
        }
        Kind::Fee => {
            let f = fee.filter(Amount::is_crypto);
            let sent = row.sent.filter(Amount::is_crypto);
            match (sent, f) {
                (Some(s), Some(f)) if s.asset == f.asset => {
                    crypto_fee(&mut out, s, row.usd_value.get().is_some(), false);
                    let side = row.usd_value.get().is_some();
                    crypto_fee(&mut out, f, ledger.fee_usd(row).is_some(), side);
                }
                (Some(s), f) => {
                    if let Some(f) = f {
                        crypto_fee(&mut out, f, ledger.fee_usd(row).is_some(), false);
                    }
                    crypto_fee(&mut out, s, row.usd_value.get().is_some(), false);
                }
                (None, Some(f)) => {
                    crypto_fee(
                        &mut out,
                        f,
                        ledger.fee_usd(row).is_some() || row.usd_value.get().is_some(),
                        false,
                    );
                }
                (None, None) => {}
            }
        }
    }
    out
}

/// Whether a withdrawal may pair with a smaller deposit (transfer pairing,
/// SPEC section 3): one with its txid, or, without txids that differ, one
/// in another account 0 to 48 hours later, or one short of it by at most its
/// fee in that asset from 2 hours before to 7 days after (own addresses). An
/// over-estimate costs one price row, never a missing one.
fn may_lose_units(
    row: &Row,
    txid: Option<&str>,
    sent: Amount,
    deposits: &Deposits<'_>,
    own_addresses: bool,
) -> bool {
    let Some(d) = deposits.get(&sent.asset) else {
        return false;
    };
    // A withdrawal to an own address (harvest.toml) may pair, whatever the
    // txids, with a deposit short of it by at most its fee in that asset, from
    // 2 hours before to 7 days after it (engine/transfer.rs `pair_own`).
    let fee = row
        .fee
        .filter(|f| own_addresses && f.asset == sent.asset)
        .map_or(Decimal::ZERO, |f| f.qty);
    // One with its txid, found by the txid: a decade of transfers would
    // otherwise have every withdrawal read every deposit of its asset.
    if let Some(tx) = txid
        && d.least_by_txid.get(tx).is_some_and(|&q| q < sent.qty)
    {
        return true;
    }
    // Another account's smaller deposit 0 to 48 hours later: for a
    // withdrawal with a txid, one without (a deposit's own txid was told
    // above). The window's whole blocks are told by their summaries.
    let near = || {
        let (list, least) = match txid {
            Some(_) => (&d.no_txid, &d.no_txid_least),
            None => (&d.list, &d.list_least),
        };
        let r = window(list, row.time, row.time + Duration::hours(48));
        smaller_elsewhere(list, least, r, sent.qty, row.account)
    };
    if fee.is_zero() {
        return near();
    }
    // With a fee to allow for (own addresses): any deposit short of it by at
    // most the fee from 2 hours before to 7 days after, whatever its account
    // and txid (quantities are never negative: the difference cannot
    // overflow), else, within that window, one the rule without a fee takes.
    let r = window(
        &d.list,
        row.time - Duration::hours(2),
        row.time + Duration::days(7),
    );
    between(&d.list, &d.list_sorted, r, sent.qty - fee, sent.qty) || near()
}

/// Each crypto asset's holdings at `t` (rows at or before it): per account,
/// received minus sent minus fees, never below zero (units sold beyond a
/// balance came from somewhere the ledger does not show, and the engine's
/// `--missing-basis zero` keeps what is bought after), summed over the
/// accounts. USD and other money are left out. An over-estimate costs one
/// price row, never a missing one.
fn balances(ledger: &Ledger, t: DateTime<Utc>) -> Vec<(String, Decimal)> {
    let mut b: HashMap<(Sym, Sym), Decimal> = HashMap::new();
    for row in ledger.rows.iter().take_while(|r| r.time <= t) {
        let mut add = |a: Option<Amount>, sign: Decimal| {
            if let Some(a) = a.filter(Amount::is_crypto) {
                let e = b.entry((row.account, a.asset)).or_default();
                *e = e.checked_add(sign * a.qty).unwrap_or(*e).max(Decimal::ZERO);
            }
        };
        add(row.received, Decimal::ONE);
        add(row.sent, Decimal::NEGATIVE_ONE);
        add(row.fee, Decimal::NEGATIVE_ONE);
    }
    let mut sum: HashMap<Sym, Decimal> = HashMap::new();
    for ((_, asset), q) in b {
        let e = sum.entry(asset).or_default();
        *e = e.checked_add(q).unwrap_or(*e);
    }
    let mut v: Vec<(String, Decimal)> = sum
        .into_iter()
        .map(|(s, q)| (ledger.syms.name(s).to_string(), q))
        .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LedgerBuilder;

    fn ledger(rows: &str) -> Ledger {
        let text = format!(
            "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n{rows}"
        );
        let mut b = LedgerBuilder::new(chrono_tz::Tz::UTC);
        b.read_csv(text.as_bytes(), "l.csv").unwrap();
        b.finish().unwrap()
    }

    fn assets(n: &Needs) -> Vec<String> {
        n.needs
            .iter()
            .map(|n| format!("{}@{}", n.assets.join("|"), n.time.format("%d")))
            .collect()
    }

    /// The rows the engine would look up, the same as import's count of
    /// rows needing a price (import/accounting.rs), one need per asset and
    /// time however many rows share it.
    #[test]
    fn the_prices_the_engine_looks_up() {
        let l = ledger(
            "\
a,2025-01-01T00:00:00Z,k,buy,100,USD,1,ETH,1,USD,,,,
b,2025-01-02T00:00:00Z,k,trade,1,ETH,600,DOT,0.96,DOT,,,,
c,2025-01-02T00:00:00Z,k,income,,,1,DOT,,,,,,
d,2025-01-03T00:00:00Z,k,buy,200,EUR,6,DOT,0.3,EUR,,,,
e,2025-01-04T00:00:00Z,k,trade,600,USDT,1,ETH,,,,,,
f,2025-01-05T00:00:00Z,k,trade,1,ETH,600,DOT,0.01,BNB,3000,,,
g,2025-01-06T00:00:00Z,k,withdrawal,1,ETH,,,0.01,ETH,,,,
h,2025-01-07T00:00:00Z,k,withdrawal,1,ETH,,,0.01,USDC,,,,
i,2025-01-08T00:00:00Z,k,fee,,,,,0.001,BNB,,,,
j,2025-01-09T00:00:00Z,k,sell,1,ETH,900,GBP,1,GBP,1000,,,
",
        );
        let n = needed(&l, None, false, |_| None);
        assert_eq!(
            assets(&n),
            [
                "DOT|ETH@02",
                "DOT@02",
                "EUR@03",
                "BNB@05",
                "ETH@06",
                "BNB@08",
                "GBP@09"
            ]
        );
        assert_eq!(
            n.needs[0].why,
            Why::Rows {
                first: vec!["l.csv:3 (id b)".into()],
                count: 1
            }
        );
    }

    /// A ledger that oversells still gets its prices; holdings are the
    /// positive balances at the as-of time; a stablecoin held is 1.00.
    #[test]
    fn holdings_at_the_as_of_time() {
        let l = ledger(
            "\
a,2025-01-01T00:00:00Z,k,buy,100,USD,1,ETH,0.1,ETH,,,,
b,2025-01-02T00:00:00Z,k,sell,2,BTC,100,USD,,,,,,
c,2025-01-03T00:00:00Z,k,buy,100,USD,100,USDC,,,,,,
d,2025-02-01T00:00:00Z,k,buy,100,USD,1,SOL,,,,,,
",
        );
        let t = "2025-01-15T00:00:00Z".parse().unwrap();
        let n = needed(&l, Some(t), false, |_| None);
        assert_eq!(assets(&n), ["ETH@15"]);
        assert_eq!(n.needs[0].why, Why::Holding);
        assert_eq!(n.stable_held, ["USDC"]);
    }

    /// A withdrawal whose deposit is smaller lost units on the way: a
    /// network fee the engine values at a price.
    #[test]
    fn units_lost_in_a_transfer() {
        let l = ledger(
            "\
a,2025-01-01T00:00:00Z,k,buy,100,USD,1,ETH,,,,,,
w,2025-01-02T00:00:00Z,k,withdrawal,1,ETH,,,,,,,0xa,
d,2025-01-02T01:00:00Z,n,deposit,,,0.99,ETH,,,,,0xa,
w2,2025-01-03T00:00:00Z,n,withdrawal,0.5,ETH,,,,,,,,
d2,2025-01-03T01:00:00Z,k,deposit,,,0.5,ETH,,,,,,
",
        );
        assert_eq!(assets(&needed(&l, None, false, |_| None)), ["ETH@02"]);
    }

    /// With own addresses, a withdrawal may pair with a deposit short by at
    /// most its fee up to 7 days later: the units lost need a price even when
    /// the fee has its value.
    #[test]
    fn units_lost_on_the_way_to_an_own_address() {
        let l = ledger(
            "\
a,2025-01-01T00:00:00Z,k,buy,100,USD,2,ETH,,,,,,
w,2025-01-02T00:00:00Z,k,withdrawal,1,ETH,,,0.01,ETH,,3,,to my wallet
d,2025-01-06T00:00:00Z,n,deposit,,,0.995,ETH,,,,,,
",
        );
        assert!(assets(&needed(&l, None, false, |_| None)).is_empty());
        assert_eq!(assets(&needed(&l, None, true, |_| None)), ["ETH@02"]);
    }

    /// A conversion ([assets] same or migrations) needs no value, only its
    /// fee's price when nothing else values the fee; as a trade it needs a
    /// price of what it exchanges.
    #[test]
    fn a_conversion_needs_only_its_fee_priced() {
        let l = ledger(
            "\
a,2025-01-01T00:00:00Z,k,buy,100,USD,1,ETH,,,,,,
w,2025-01-02T00:00:00Z,k,trade,0.5,ETH,0.5,WETH,0.001,ETH,,,,
m,2025-01-03T00:00:00Z,k,trade,0.2,ETH,0.2,WETH,0.001,ETH,,0.30,,
",
        );
        let wrap = |r: &Row| {
            let (s, v) = (r.sent?, r.received?);
            (r.kind == Kind::Trade && l.syms.name(v.asset) == "WETH").then_some((s, v))
        };
        assert_eq!(assets(&needed(&l, None, false, wrap)), ["ETH@02"]);
        assert_eq!(
            assets(&needed(&l, None, false, |_| None)),
            ["WETH|ETH@02", "WETH|ETH@03"]
        );
    }

    /// `may_lose_units` as it was, reading each deposit of the window: what
    /// the blocks must answer exactly as.
    fn may_lose_units_one_by_one(
        row: &Row,
        txid: Option<&str>,
        sent: Amount,
        deposits: &Deposits<'_>,
        own_addresses: bool,
    ) -> bool {
        let Some(d) = deposits.get(&sent.asset) else {
            return false;
        };
        let fee = row
            .fee
            .filter(|f| own_addresses && f.asset == sent.asset)
            .map_or(Decimal::ZERO, |f| f.qty);
        if let Some(tx) = txid
            && d.least_by_txid.get(tx).is_some_and(|&q| q < sent.qty)
        {
            return true;
        }
        let (list, from, until) = match (fee.is_zero(), txid) {
            (true, Some(_)) => (&d.no_txid, row.time, row.time + Duration::hours(48)),
            (true, None) => (&d.list, row.time, row.time + Duration::hours(48)),
            (false, _) => (
                &d.list,
                row.time - Duration::hours(2),
                row.time + Duration::days(7),
            ),
        };
        let start = list.partition_point(|x| x.0 < from);
        list[start..]
            .iter()
            .take_while(|x| x.0 <= until)
            .any(|&(t, account, qty, dtx)| {
                if qty >= sent.qty {
                    return false;
                }
                if !fee.is_zero() && qty >= sent.qty - fee {
                    return true;
                }
                match (txid, dtx) {
                    (Some(_), Some(_)) => false,
                    _ => {
                        account != row.account
                            && t >= row.time
                            && t - row.time <= Duration::hours(48)
                    }
                }
            })
    }

    /// The windows hold their ends, and nothing past them: a deposit 48
    /// hours after a withdrawal into another account, 2 hours before or 7
    /// days after one to an own address short of it by at most the fee.
    #[test]
    fn windows_hold_their_ends() {
        let cases = [
            // (deposit time, withdrawal fee, own addresses, may lose units)
            ("2025-01-03T00:00:00Z", "", false, true),
            ("2025-01-03T00:00:01Z", "", false, false),
            ("2024-12-31T23:59:59Z", "", false, false),
            ("2024-12-31T22:00:00Z", "0.5", true, true),
            ("2024-12-31T21:59:59Z", "0.5", true, false),
            ("2025-01-08T00:00:00Z", "0.5", true, true),
            ("2025-01-08T00:00:01Z", "0.5", true, false),
            ("2025-01-08T00:00:00Z", "0.5", false, false),
        ];
        for (time, fee, own, lose) in cases {
            let fee_asset = if fee.is_empty() { "" } else { "BTC" };
            let l = ledger(&format!(
                "w,2025-01-01T00:00:00Z,k,withdrawal,1,BTC,,,{fee},{fee_asset},,,,\n\
                 d,{time},n,deposit,,,0.75,BTC,,,,,,\n"
            ));
            let deposits = deposits_by_asset(&l);
            let row = l.rows.iter().find(|r| r.id == "w").unwrap();
            let sent = row.sent.unwrap();
            let got = may_lose_units(row, None, sent, &deposits, own);
            assert_eq!(got, lose, "{time} fee {fee:?} own {own}");
            assert_eq!(
                may_lose_units_one_by_one(row, None, sent, &deposits, own),
                lose
            );
        }
    }

    /// Deposits of a block's summary: (account, quantity).
    fn list_of(ds: &[(u32, u32)]) -> Vec<Deposit<'static>> {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        ds.iter()
            .map(|&(a, q)| (t, Sym::from_index(a), Decimal::from(q), None))
            .collect()
    }

    proptest::proptest! {
        /// The blocks of a range answer as a look at each of its deposits
        /// does: smaller and into another account, and between two
        /// quantities.
        #[test]
        fn blocks_tell_what_their_deposits_hold(
            offsets in proptest::collection::vec(0u32..6, 3),
            ds in proptest::collection::vec((0u32..3, 0u32..3), 0..(5 * BLOCK)),
            asks in proptest::collection::vec(
                (0usize..(5 * BLOCK + 2), 0usize..(5 * BLOCK + 2), 0u32..10, 0u32..10, 0u32..3, proptest::bool::ANY),
                1..30,
            ),
        ) {
            // Each account's quantities from its own offset: the least of a
            // block is often one account's.
            let ds: Vec<(u32, u32)> = ds.iter().map(|&(a, q)| (a, offsets[a as usize] + q)).collect();
            let list = list_of(&ds);
            let least: Vec<Least> = list.chunks(BLOCK).filter_map(Least::of).collect();
            let mut sorted: Vec<Decimal> = Vec::new();
            for b in list.chunks(BLOCK) {
                let mut q: Vec<Decimal> = b.iter().map(|x| x.2).collect();
                q.sort();
                sorted.extend(q);
            }
            for &(i, j, q, lo, a, whole) in &asks {
                // Whole blocks only, or not.
                let (i, j) = if whole { (i / BLOCK * BLOCK, j / BLOCK * BLOCK) } else { (i, j) };
                let (i, j) = (i.min(list.len()), j.min(list.len()));
                let r = i.min(j)..j.max(i);
                let (q, lo, a) = (Decimal::from(q), Decimal::from(lo), Sym::from_index(a));
                proptest::prop_assert_eq!(
                    smaller_elsewhere(&list, &least, r.clone(), q, a),
                    list[r.clone()].iter().any(|x| x.2 < q && x.1 != a),
                    "{:?} {} {:?}", r, q, a
                );
                proptest::prop_assert_eq!(
                    between(&list, &sorted, r.clone(), lo, q),
                    list[r.clone()].iter().any(|x| lo <= x.2 && x.2 < q),
                    "{:?} {} {}", r, lo, q
                );
            }
        }

        /// Every withdrawal may lose units, or not, as when each deposit of
        /// its window was read: dense ledgers of a few accounts, quantities
        /// and txids, times on the hour (the windows' ends) or just off it,
        /// fees of none, zero, some, in the asset moved or another, with and
        /// without own addresses.
        #[test]
        fn may_lose_units_as_read_one_by_one(
            span in proptest::sample::select(vec![0u32, 3, 50, 60, 200]),
            keep in proptest::sample::select(vec![4usize, 10, 40, 700]),
            offsets in proptest::collection::vec(0u32..4, 3),
            rows in proptest::collection::vec(
                (
                    proptest::bool::ANY,
                    0u32..200,
                    proptest::sample::select(vec![0u32, 0, 0, 1, 1800, 3599]),
                    0u32..3,
                    0u32..3,
                    proptest::sample::select(vec!["", "", ".0", ".00", ".5"]),
                    0u8..12,
                    0u8..5,
                ),
                0..700,
            ),
        ) {
            let base = "2025-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
            let mut text = String::new();
            for (k, &(dep, h, s, acct, q, scale, fee, tx)) in rows.iter().take(keep).enumerate() {
                // Span 0: hours at the windows' ends from one another.
                let ends = [0, 2, 24, 48, 50, 168, 170];
                let h = if span == 0 { ends[h as usize % ends.len()] } else { h % span };
                let time = base + Duration::seconds(i64::from(h) * 3600 + i64::from(s));
                let time = time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                // Each account's quantities from its own offset: the least of
                // a block is often one account's.
                let qty = format!("{}{scale}", 1 + offsets[acct as usize] + q);
                let asset = if fee == 11 { "ETH" } else { "BTC" };
                let (fq, fa) = match fee {
                    0..=3 => ("", ""),
                    4 => ("0", "BTC"),
                    5 | 6 => ("0.5", "BTC"),
                    7 | 8 => ("1", "BTC"),
                    9 => ("2", "BTC"),
                    _ => ("0.5", "ETH"),
                };
                let txid = if tx < 2 { String::new() } else { format!("tx{tx}") };
                if dep {
                    text += &format!("r{k},{time},a{acct},deposit,,,{qty},{asset},,,,,{txid},\n");
                } else {
                    text += &format!("r{k},{time},a{acct},withdrawal,{qty},{asset},,,{fq},{fa},,,{txid},\n");
                }
            }
            let l = ledger(&text);
            let deposits = deposits_by_asset(&l);
            for row in l.rows.iter().filter(|r| r.kind == Kind::Withdrawal) {
                let Some(sent) = row.sent else { continue };
                for own in [false, true] {
                    let txid = l.txid(row);
                    proptest::prop_assert_eq!(
                        may_lose_units(row, txid, sent, &deposits, own),
                        may_lose_units_one_by_one(row, txid, sent, &deposits, own),
                        "{} own {}", l.locate(row), own
                    );
                }
            }
        }
    }
}
