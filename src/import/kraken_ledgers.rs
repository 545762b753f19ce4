//! Kraken `ledgers.csv`: every balance change, in all header versions (with or
//! without `subtype`, `wallet`, `subclass`, `amountusd`).
//!
//! Fee convention: Kraken's `fee` is charged in the row's asset in addition to
//! `amount` (balance = old + amount - fee). That is the ledger's convention, so a
//! trade leg's amount goes to sent/received as is and its fee to the fee columns.
//!
//! The rows of one trade (`trade`, or `spend`/`receive` for the Buy Crypto
//! button) share a `refid`; they are summed per asset (one order can be filled
//! from several wallets) and become one ledger row whose id is `kraken-<refid>`,
//! the trade's `txid` in trades.csv; the same trade in both exports is booked
//! once, from here (`Importer`). A deposit or withdrawal written twice (an
//! "initiated" copy with an empty balance, then the completed one) is counted
//! once. Asset codes are normalized:
//! `XXBT`/`XBT` -> `BTC`, `XXDG` -> `DOGE`, `XETH` -> `ETH`, `ZUSD` -> `USD`, …, and
//! the staking suffixes `.S`, `.M`, `.P`, `.F`, `.B`, `.HOLD` (and bonded forms
//! like `DOT28.S`) are dropped: staked units are the same asset. `ETH2` stays
//! `ETH2` (Kraken never redeemed it 1:1 before Shanghai).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{Cx, Draft, Entry, ISO_NAIVE, Sheet, TradeIn, is_fiat, parse_time_cell};
use crate::model::{Category, Kind};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("txid")
        && has("refid")
        && has("time")
        && has("type")
        && has("asset")
        && has("amount")
        && has("fee")
        && !has("ordertxid")
}

/// Kraken's asset code as the ledger's.
pub(crate) fn asset_name(code: &str) -> String {
    let mut a = code.trim().to_ascii_uppercase();
    for suffix in [".HOLD", ".S", ".M", ".P", ".F", ".B"] {
        if let Some(base) = a.strip_suffix(suffix) {
            // Bonded forms carry a two-digit duration: DOT28.S -> DOT, but
            // ETH2.S -> ETH2.
            let trimmed = base.trim_end_matches(|c: char| c.is_ascii_digit());
            let digits = base.len() - trimmed.len();
            a = if digits >= 2 && !trimmed.is_empty() {
                trimmed.to_string()
            } else {
                base.to_string()
            };
            break;
        }
    }
    let mapped = match a.as_str() {
        "XXBT" | "XBT" => "BTC",
        "XXDG" | "XDG" => "DOGE",
        "XETH" => "ETH",
        "XLTC" => "LTC",
        "XXRP" => "XRP",
        "XXLM" => "XLM",
        "XXMR" => "XMR",
        "XZEC" => "ZEC",
        "XETC" => "ETC",
        "XMLN" => "MLN",
        "XREP" => "REP",
        "XICN" => "ICN",
        "ZUSD" => "USD",
        "ZEUR" => "EUR",
        "ZGBP" => "GBP",
        "ZCAD" => "CAD",
        "ZJPY" => "JPY",
        "ZAUD" => "AUD",
        "ZCHF" => "CHF",
        other => other,
    };
    mapped.to_string()
}

struct Leg {
    line: u64,
    typ: String,
    subtype: String,
    asset: String,
    amount: Decimal,
    fee: Decimal,
    amount_usd: Option<Decimal>,
    txid: String,
    refid: String,
    balance_empty: bool,
    /// Kraken's own code (`DOT.S`, `XXBT`) and its balance after the row.
    code: String,
    balance: Option<Decimal>,
    time: DateTime<Utc>,
}

/// Reads the rows of `sheet`, taking them: each row's cells are freed as its
/// leg is made, so that a large export is not held twice.
pub(crate) fn parse(sheet: &mut Sheet, cx: &mut Cx) -> Vec<Entry> {
    let c_txid = sheet.need(cx, &["txid"]);
    let c_refid = sheet.need(cx, &["refid"]);
    let c_time = sheet.need(cx, &["time"]);
    let c_type = sheet.need(cx, &["type"]);
    let c_sub = sheet.col(&["subtype"]);
    let c_asset = sheet.need(cx, &["asset"]);
    let c_amount = sheet.need(cx, &["amount"]);
    let c_fee = sheet.need(cx, &["fee"]);
    let c_balance = sheet.col(&["balance"]);
    let c_usd = sheet.col(&["amountusd"]);
    if cx.failed() {
        return Vec::new();
    }
    // A trailing empty header cell ("") is allowed to be missing from rows.
    let tail = usize::from(sheet.header.last().is_some_and(|h| h.is_empty()));
    let mut out = Vec::new();
    let mut legs: Vec<Leg> = Vec::new();
    let rows = std::mem::take(&mut sheet.rows);
    legs.reserve(rows.len());
    for row in rows {
        let row = &row;
        if !sheet.check_width(cx, row, tail) {
            continue;
        }
        if row.is_blank() || row.get(c_time).is_empty() {
            out.push(Entry::skip(row.line, "blank or footer row"));
            continue;
        }
        let time = parse_time_cell(cx, row, c_time, "time", &ISO_NAIVE, chrono_tz::Tz::UTC);
        let amount = cx.required(row, c_amount, "amount");
        let fee = cx.number(row, c_fee, "fee");
        let amount_usd = c_usd.and_then(|i| cx.number(row, i, "amountusd"));
        let balance = c_balance.and_then(|i| cx.number(row, i, "balance"));
        let asset = cx.required_asset(row, c_asset, "asset");
        let (Some(time), Some(amount), Some(asset)) = (time, amount, asset) else {
            continue;
        };
        legs.push(Leg {
            line: row.line,
            typ: row.get(c_type).to_ascii_lowercase(),
            subtype: c_sub.map_or("", |i| row.get(i)).to_ascii_lowercase(),
            asset: asset_name(asset),
            amount,
            fee: fee.unwrap_or_default().abs(),
            amount_usd,
            txid: row.get(c_txid).to_string(),
            refid: row.get(c_refid).to_string(),
            balance_empty: c_balance.is_some_and(|i| row.get(i).is_empty()),
            code: asset.trim().to_ascii_uppercase(),
            balance,
            time,
        });
    }
    if cx.failed() {
        return Vec::new();
    }
    running_balances(cx, &legs);
    // Refids that have a completed (balance-bearing) copy of a row. Only a
    // row outside a trade's group may be an initiated copy, and it is looked
    // up by its own type and refid: the legs of trades are left out.
    let completed: HashSet<(&str, &str, &str)> = legs
        .iter()
        .filter(|l| !l.balance_empty && !in_group(l))
        .map(|l| (l.refid.as_str(), l.typ.as_str(), l.asset.as_str()))
        .collect();
    // Refids of staking transfers: the deposit/withdrawal pair around them is an
    // internal move (pre-2023 staking).
    let staking_refids: HashSet<String> = legs
        .iter()
        .filter(|l| l.typ == "transfer" && is_internal_transfer(&l.subtype))
        .map(|l| l.refid.clone())
        .collect();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut order: Vec<(u64, GroupOrRow)> = Vec::new();
    for (i, l) in legs.iter().enumerate() {
        if in_group(l) {
            let g = groups.entry(l.refid.clone()).or_default();
            if g.is_empty() {
                order.push((l.line, GroupOrRow::Group(l.refid.clone())));
            }
            g.push(i);
        } else {
            order.push((l.line, GroupOrRow::Row(i)));
        }
    }
    let mut used_ids: HashMap<String, usize> = HashMap::new();
    for (_, item) in order {
        match item {
            GroupOrRow::Group(refid) => trade(cx, &legs, &groups[&refid], &refid, &mut out),
            GroupOrRow::Row(i) => {
                let l = &legs[i];
                let pending = l.balance_empty
                    && l.txid.is_empty()
                    && completed.contains(&(l.refid.as_str(), l.typ.as_str(), l.asset.as_str()));
                if pending {
                    out.push(Entry::skip(
                        l.line,
                        "initiated copy of a deposit/withdrawal (kept once, as completed)",
                    ));
                    continue;
                }
                single(cx, l, &staking_refids, &mut used_ids, &mut out);
            }
        }
    }
    out
}

/// Kraken's balance of each asset after each row that states one, for the
/// comparison with the ledger's (`harvest balances`): the balances of every
/// code of one asset (spot `DOT`, staked `DOT.S`, bonded `DOT28.S`) summed,
/// as harvest holds them as one. Fiat and fee credits are not lots.
fn running_balances(cx: &mut Cx, legs: &[Leg]) {
    let mut order: Vec<&Leg> = legs
        .iter()
        .filter(|l| l.balance.is_some() && !is_fiat(&l.asset) && l.asset != "KFEE")
        .collect();
    order.sort_by_key(|l| (l.time, l.line));
    let mut by_code: BTreeMap<&str, (&str, Decimal)> = BTreeMap::new();
    for l in order {
        let Some(b) = l.balance else { continue };
        by_code.insert(&l.code, (&l.asset, b));
        let total = by_code
            .values()
            .filter(|(a, _)| *a == l.asset)
            .map(|(_, b)| *b)
            .sum();
        cx.report_balance(l.line, l.time, &l.asset, total);
    }
}

/// Whether the row is a leg of a trade, summed with the others of its refid.
fn in_group(l: &Leg) -> bool {
    matches!(l.typ.as_str(), "trade" | "spend" | "receive") && !l.refid.is_empty()
}

enum GroupOrRow {
    Group(String),
    Row(usize),
}

fn is_internal_transfer(sub: &str) -> bool {
    matches!(
        sub,
        "spottostaking"
            | "stakingfromspot"
            | "stakingtospot"
            | "spotfromstaking"
            | "spottofutures"
            | "spotfromfutures"
            | "futurestospot"
            | "futuresfromspot"
    )
}

fn single(
    cx: &mut Cx,
    l: &Leg,
    staking_refids: &HashSet<String>,
    used_ids: &mut HashMap<String, usize>,
    out: &mut Vec<Entry>,
) {
    let base = if l.txid.is_empty() { &l.refid } else { &l.txid };
    let n = used_ids.entry(base.clone()).or_default();
    *n += 1;
    let id = if *n == 1 {
        cx.exchange_id(base)
    } else {
        format!("{}-{}", cx.exchange_id(base), *n - 1)
    };
    let account = cx.account.clone();
    let line = l.line;
    let push = |out: &mut Vec<Entry>, d: Draft| {
        out.push(Entry::Rec {
            rows: vec![line],
            rec: d.finish(&account),
        })
    };
    if l.asset == "KFEE" {
        out.push(Entry::skip(
            line,
            "Kraken fee credits (KFEE): promotional, not a lot",
        ));
        return;
    }
    let qty = l.amount.abs();
    let incoming = l.amount.is_sign_positive();
    let note = format!("{} {}", l.typ, l.subtype).trim().to_string();
    if qty.is_zero() {
        if l.fee.is_zero() {
            out.push(Entry::skip(line, "zero amount and zero fee: nothing moved"));
        } else if is_fiat(&l.asset) && l.asset != "USD" {
            out.push(Entry::skip(
                line,
                "fee in a non-USD fiat currency outside a trade",
            ));
        } else if l.asset == "USD" {
            out.push(Entry::skip(
                line,
                "USD fee outside a trade: cash, not a lot",
            ));
        } else {
            push(
                out,
                Draft::new(id, l.time, Kind::Fee)
                    .fee(l.fee, &l.asset)
                    .note(note),
            );
        }
        return;
    }
    let income = |cx: &mut Cx, out: &mut Vec<Entry>, id: String, category: Category| {
        if is_fiat(&l.asset) {
            out.push(Entry::skip(
                line,
                "income paid in cash: not a crypto lot (report it as interest)",
            ));
            return;
        }
        // The export's USD value, else --prices; else none (for the engine).
        let v = match l.amount_usd {
            Some(v) => Some(v.abs()),
            None => cx.value_legs(line, l.time, Some((qty, &l.asset)), None),
        };
        push(
            out,
            Draft::new(id, l.time, Kind::Income)
                .category(category)
                .received(qty, &l.asset)
                .fee(l.fee, &l.asset)
                .usd(v)
                .note(note.clone()),
        );
    };
    match l.typ.as_str() {
        "deposit" | "withdrawal" => {
            if staking_refids.contains(&l.refid) {
                out.push(Entry::skip(line, "move between Kraken spot and staking wallets: not a tax event"));
            } else if is_fiat(&l.asset) {
                out.push(Entry::skip(line, format!("fiat {}: not a tax event", l.typ)));
            } else if incoming {
                push(out, Draft::new(id, l.time, Kind::Deposit).received(qty, &l.asset).fee(l.fee, &l.asset));
            } else {
                push(out, Draft::new(id, l.time, Kind::Withdrawal).sent(qty, &l.asset).fee(l.fee, &l.asset));
            }
        }
        // Kraken Earn pays staking rewards as `staking` (before 2024) or
        // `earn`/`reward`; `dividend` is its opt-in rewards on held balances.
        "staking" if incoming => income(cx, out, id, Category::Staking),
        "dividend" | "invite bonus" | "reward" if incoming => income(cx, out, id, Category::Reward),
        "staking" => out.push(Entry::skip(line, "negative staking row (staked-balance update): not a tax event")),
        "earn" => match l.subtype.as_str() {
            "reward" if incoming => income(cx, out, id, Category::Staking),
            "airdrop" if incoming => income(cx, out, id, Category::Airdrop),
            "" if incoming && !l.fee.is_zero() => income(cx, out, id, Category::Staking),
            "allocation" | "deallocation" | "autoallocate" | "autoallocation" | "migration" | "" => {
                out.push(Entry::skip(line, "move between Kraken spot and earn wallets: not a tax event"))
            }
            other => out.push(Entry::skip(line, format!("Kraken earn/{other}: not imported, enter it by hand"))),
        },
        "transfer" => {
            if is_internal_transfer(&l.subtype) {
                out.push(Entry::skip(line, "move between Kraken spot and staking wallets: not a tax event"));
            } else if l.subtype == "airdrop" && incoming {
                income(cx, out, id, Category::Airdrop)
            } else {
                out.push(Entry::skip(
                    line,
                    format!("Kraken transfer/{}: not imported, enter it by hand", l.subtype),
                ))
            }
        }
        other => out.push(Entry::skip(
            line,
            format!("Kraken {other} row (margin, adjustment, conversion …): not imported, enter it by hand"),
        )),
    }
}

fn trade(cx: &mut Cx, legs: &[Leg], idx: &[usize], refid: &str, out: &mut Vec<Entry>) {
    let first = &legs[idx[0]];
    let (line, time) = (first.line, first.time);
    let rows: Vec<u64> = idx.iter().map(|&i| legs[i].line).collect();
    // Net amount and fee per asset, in first-seen order.
    let mut assets: Vec<String> = Vec::new();
    let mut amount: HashMap<String, Decimal> = HashMap::new();
    let mut fee: HashMap<String, Decimal> = HashMap::new();
    let mut usd: HashMap<String, Decimal> = HashMap::new();
    for &i in idx {
        let l = &legs[i];
        if !assets.contains(&l.asset) {
            assets.push(l.asset.clone());
        }
        *amount.entry(l.asset.clone()).or_default() += l.amount;
        *fee.entry(l.asset.clone()).or_default() += l.fee;
        if let Some(u) = l.amount_usd {
            *usd.entry(l.asset.clone()).or_default() += u.abs();
        }
    }
    let sent: Vec<&String> = assets
        .iter()
        .filter(|a| amount[*a].is_sign_negative() && !amount[*a].is_zero())
        .collect();
    let received: Vec<&String> = assets
        .iter()
        .filter(|a| amount[*a].is_sign_positive() && !amount[*a].is_zero())
        .collect();
    if sent.len() != 1 || received.len() != 1 {
        cx.problem(
            line,
            Some("refid"),
            Some(refid),
            format!(
                "the trade rows with this refid (lines {}) do not net to one asset sent and one \
                 received; check the export is complete",
                rows.iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return;
    }
    let (s, r) = (sent[0].clone(), received[0].clone());
    let (sq, rq) = (amount[&s].abs(), amount[&r].abs());
    let fees: Vec<(&String, Decimal)> = assets
        .iter()
        .map(|a| (a, fee[a]))
        .filter(|(_, f)| !f.is_zero())
        .collect();
    // trades.csv names this trade by its refid and lists these ledger txids.
    let id = cx.exchange_id(refid);
    let keys = std::iter::once(refid.to_string()).chain(idx.iter().map(|&i| legs[i].txid.clone()));
    cx.link(&id, keys);
    super::trade_record(
        cx,
        TradeIn {
            id,
            rows,
            time,
            sent: (sq, s.clone()),
            received: (rq, r.clone()),
            fees: fees.into_iter().map(|(a, f)| (f, a.clone())).collect(),
            usd_hint: usd.get(&r).or_else(|| usd.get(&s)).copied(),
            note: String::new(),
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::asset_name;

    #[test]
    fn asset_codes() {
        for (code, name) in [
            ("XXBT", "BTC"),
            ("XBT", "BTC"),
            ("BTC", "BTC"),
            ("XXDG", "DOGE"),
            ("ZUSD", "USD"),
            ("DOT.S", "DOT"),
            ("DOT28.S", "DOT"),
            ("ETH2.S", "ETH2"),
            ("ETH2", "ETH2"),
            ("USDC.M", "USDC"),
            ("SOL.F", "SOL"),
            ("XTZ", "XTZ"),
            ("1INCH", "1INCH"),
        ] {
            assert_eq!(asset_name(code), name, "{code}");
        }
    }

    /// Staked and spot wallets of one asset are one balance: moving 5 DOT to
    /// staking leaves the total at 20; fiat states no balance of a lot.
    #[test]
    fn the_balances_of_one_assets_wallets_are_summed() {
        let text = "txid,refid,time,type,subtype,aclass,asset,amount,fee,balance\n\
L1,R1,2025-01-01 00:00:00,deposit,,currency,DOT,20,0,20\n\
L2,R2,2025-01-02 00:00:00,withdrawal,,currency,DOT,-5,0,15\n\
L3,R2,2025-01-02 00:00:05,deposit,,currency,DOT.S,5,0,5\n\
L4,R3,2025-01-03 00:00:00,deposit,,currency,ZUSD,100,0,100\n\
L5,R4,2025-01-04 00:00:00,staking,,currency,DOT.S,0.1,0,5.1\n";
        let got = crate::import::import_whole(text).unwrap();
        let b: Vec<(u64, &str, String)> = got
            .balances
            .iter()
            .map(|b| (b.line, b.asset.as_str(), b.balance.to_string()))
            .collect();
        assert_eq!(
            b,
            [
                (2, "DOT", "20".to_string()),
                (3, "DOT", "15".to_string()),
                (4, "DOT", "20".to_string()),
                (6, "DOT", "20.1".to_string()),
            ]
        );
        assert!(got.balances.iter().all(|b| b.account == "kraken"));
    }
}
