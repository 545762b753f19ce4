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
/// the least quantity of those carrying each txid.
#[derive(Default)]
struct AssetDeposits<'a> {
    list: Vec<Deposit<'a>>,
    no_txid: Vec<Deposit<'a>>,
    least_by_txid: HashMap<&'a str, Decimal>,
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
    // The others are in a window of time: only its deposits are read, and,
    // for a withdrawal with a txid and no fee to allow for, only those
    // without one (a deposit's own txid was told above).
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
            // With a fee, the window read is the own-address one.
            if !fee.is_zero() && qty >= sent.qty - fee {
                return true;
            }
            match (txid, dtx) {
                // Told by the txid above.
                (Some(_), Some(_)) => false,
                _ => account != row.account && t >= row.time && t - row.time <= Duration::hours(48),
            }
        })
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
}
