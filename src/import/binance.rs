//! Binance (global) transaction history, "Generate all statements": the
//! `UTC_Time` layouts (with or without `User_ID`) and the 2025 `User ID,Time`
//! layout (two-digit years, no zone: read in `--tz`).
//!
//! Fee convention: every row is a signed balance change; a trade's fee is its
//! own row (`Fee`, `Transaction Fee`, `BNB Fee Deduction`) taken in addition to
//! the bought amount. The ledger's fee is on top too, so the legs go to
//! sent/received as their absolute changes and the fee rows to the fee columns
//! (a fee in a third asset such as BNB gets `fee_usd` from `--prices` when given).
//!
//! A trade is several rows at the same second and account (`Buy`+`Buy`+`Fee`,
//! `Transaction Buy`+`Transaction Spend`+`Transaction Fee`, `Transaction
//! Sold`+`Transaction Revenue`, `Binance Convert`×2, …). The rows of a second
//! are netted per coin; one coin out and one coin in make one ledger row. Dust
//! conversions (several coins out, as many BNB rows in) are paired in row order.
//! A trade split over two adjacent seconds is joined. Anything else is an error
//! naming the lines. Ids hash the rows' cells; identical rows within one file are
//! treated as the same row (users concatenate overlapping date-range exports).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::{
    Cx, Draft, Entry, Sheet, SheetRow, TradeIn, in_zone, is_fiat, is_foreign_money, parse_naive,
};
use crate::model::{Category, Kind};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    (has("UTC_Time") || has("Time") && has("User ID"))
        && has("Account")
        && has("Operation")
        && has("Coin")
        && has("Change")
}

const TRADE_OPS: [&str; 24] = [
    "Buy",
    "Sell",
    "Transaction Related",
    "Transaction Buy",
    "Transaction Spend",
    "Transaction Sold",
    "Transaction Revenue",
    "Binance Convert",
    "Large OTC trading",
    "Large OTC Trading",
    "Small assets exchange BNB",
    "Small Assets Exchange BNB",
    "ETH 2.0 Staking",
    "Leverage Token Redemption",
    "Stablecoins Auto-Conversion",
    "Buy Crypto",
    "Buy Crypto With Card",
    "Swap Farming Transaction",
    "Liquid Swap Sell",
    "Leveraged Coin Consolidation",
    "Asset Recovery",
    "Auto-Invest Transaction",
    "Token Swap - Redenomination/Rebranding",
    "Crypto Box",
];

const FEE_OPS: [&str; 3] = ["Fee", "Transaction Fee", "BNB Fee Deduction"];

/// The operations that pay income, with the kind of income each is.
const INCOME_OPS: [(&str, Category); 46] = [
    ("POS savings interest", Category::Interest),
    ("Savings Interest", Category::Interest),
    ("Savings distribution", Category::Interest),
    ("Staking Rewards", Category::Staking),
    ("ETH 2.0 Staking Rewards", Category::Staking),
    ("Simple Earn Flexible Interest", Category::Interest),
    ("Simple Earn Locked Rewards", Category::Staking),
    (
        "Simple Earn Flexible Airdrop Distribution",
        Category::Airdrop,
    ),
    ("Launchpool Interest", Category::Reward),
    ("Launchpool Earnings Withdrawal", Category::Reward),
    ("BNB Vault Rewards", Category::Reward),
    ("Swap Farming Rewards", Category::Reward),
    ("Liquid Swap rewards", Category::Reward),
    ("Liquid Swap Rewards", Category::Reward),
    ("DOT Slot Auction Rewards", Category::Staking),
    ("Pool Distribution", Category::Mining),
    ("Super BNB Mining", Category::Reward),
    ("Commission History", Category::Reward),
    ("Referrer rebates", Category::Reward),
    ("Commission Rebate", Category::Reward),
    ("Commission Fee Shared With You", Category::Reward),
    ("Referral Kickback", Category::Reward),
    ("Referral Commission", Category::Reward),
    ("Airdrop Assets", Category::Airdrop),
    ("Distribution", Category::Airdrop),
    ("Asset - Transfer", Category::Other),
    ("Cash Voucher distribution", Category::Reward),
    ("Cash Voucher Distribution", Category::Reward),
    ("Campaign Related Reward", Category::Reward),
    ("Mission Reward Distribution", Category::Reward),
    ("Launchpool Airdrop", Category::Airdrop),
    (
        "Launchpool Airdrop - User Claim Distribution",
        Category::Airdrop,
    ),
    (
        "Launchpool Airdrop - System Distribution",
        Category::Airdrop,
    ),
    ("HODLer Airdrops Distribution", Category::Airdrop),
    ("Megadrop Rewards", Category::Airdrop),
    ("Token Swap - Distribution", Category::Other),
    ("Binance Card Cashback", Category::Reward),
    ("Staking Reward", Category::Staking),
    ("Simple Earn Locked Airdrop Distribution", Category::Airdrop),
    ("Flexible Savings Interest", Category::Interest),
    ("Locked Savings Interest", Category::Interest),
    ("Savings Distribution", Category::Interest),
    ("Rewards Distribution", Category::Reward),
    ("Card Cashback", Category::Reward),
    ("Airdrop", Category::Airdrop),
    ("Mining Rewards", Category::Mining),
];

const INTERNAL_OPS: [&str; 29] = [
    "transfer_in",
    "transfer_out",
    "Transfer Between Main and Funding Wallet",
    "Transfer Between Spot Account and UM Futures Account",
    "Transfer Between Spot Account and CM Futures Account",
    "Transfer Between Main Account/Futures and Margin Account",
    "Transfer Between Main Account And Mining Account",
    "Savings purchase",
    "Savings Principal redemption",
    "POS savings purchase",
    "POS savings redemption",
    "Staking Purchase",
    "Staking Redemption",
    "Simple Earn Flexible Subscription",
    "Simple Earn Flexible Redemption",
    "Simple Earn Locked Subscription",
    "Simple Earn Locked Redemption",
    "Launchpool Subscription/Redemption",
    "Launchpad Subscribe",
    "Liquid Swap Add",
    "Liquid Swap Add/Sell",
    "Liquidity Farming Remove",
    "Main and Funding Account Transfer",
    "Funding Account Transfer",
    "Isolated Margin Transfer",
    "Cross Margin Transfer",
    "Savings Purchase",
    "Savings Redemption",
    "Auto-Invest Subscription",
];

const FUTURES_OPS: [&str; 16] = [
    "Realized Profit and Loss",
    "Realize profit and loss",
    "Funding Fee",
    "Insurance Fund Compensation",
    "Insurance Fund Refund",
    "Referee rebates",
    "Asset Conversion Transfer",
    "Futures Convert",
    "Margin Loan",
    "Margin loan",
    "Isolated Margin Loan",
    "Margin Repayment",
    "Isolated Margin Repayment",
    "Cross Margin Liquidation - Repayment",
    "Isolated Margin Liquidation - Fee",
    "Cross Margin Liquidation - Small Assets Takeover",
];

const TRANSFER_OPS: [&str; 8] = [
    "Deposit",
    "Withdraw",
    "Withdrawal",
    "Fiat Deposit",
    "Fiat Withdraw",
    "Fiat Withdrawal",
    "Send",
    "Fiat OCBS - Add Fiat and Fees",
];

/// A statement row, read.
struct Leg<'r> {
    row: &'r SheetRow,
    time: DateTime<Utc>,
    account: String,
    op: String,
    coin: String,
    change: Decimal,
}

/// Binance's ticker as the ledger's (renames documented by Binance).
fn coin_name(c: &str) -> String {
    match c.trim().to_ascii_uppercase().as_str() {
        "BCC" => "BCH".into(),
        other => other.to_string(),
    }
}

pub(crate) fn parse(sheet: &Sheet, cx: &mut Cx) -> Vec<Entry> {
    let (c_time, naive_tz) = match sheet.col(&["UTC_Time"]) {
        Some(i) => (i, chrono_tz::Tz::UTC),
        None => (sheet.need(cx, &["Time"]), cx.opts.tz),
    };
    let c_account = sheet.need(cx, &["Account"]);
    let c_op = sheet.need(cx, &["Operation"]);
    let c_coin = sheet.need(cx, &["Coin"]);
    let c_change = sheet.need(cx, &["Change"]);
    if cx.failed() {
        return Vec::new();
    }
    // `Remark` is the last column and is sometimes left off.
    let tail = usize::from(sheet.header.last().is_some_and(|h| h == "Remark"));
    let mut out = Vec::new();
    let mut legs: Vec<Leg> = Vec::new();
    for row in &sheet.rows {
        if !sheet.check_width(cx, row, tail) {
            continue;
        }
        if row.is_blank() {
            out.push(Entry::skip(row.line, "blank row"));
            continue;
        }
        let cell = row.get(c_time);
        if cell.is_empty() {
            out.push(Entry::skip(
                row.line,
                "row without a time: not a transaction",
            ));
            continue;
        }
        if row.get(c_coin).is_empty() && row.get(c_change).is_empty() {
            out.push(Entry::skip(
                row.line,
                "row without coin or amount: nothing moved",
            ));
            continue;
        }
        // Two-digit years in the 2025 layout: `24-01-20 14:30:00`.
        let fmts: &[&str] = if cell.find('-') == Some(2) {
            &["%y-%m-%d %H:%M:%S", "%y-%m-%d %H:%M"]
        } else {
            &["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"]
        };
        let time = parse_naive(cell, fmts).map(|n| in_zone(n, naive_tz));
        if time.is_none() {
            cx.problem(
                row.line,
                Some("time"),
                Some(cell),
                "is not a time like 2021-06-21 12:31:12",
            );
        }
        let change = cx.required(row, c_change, "Change");
        let (Some(time), Some(change)) = (time, change) else {
            continue;
        };
        legs.push(Leg {
            row,
            time,
            account: row.get(c_account).to_string(),
            op: row.get(c_op).to_string(),
            coin: coin_name(row.get(c_coin)),
            change,
        });
    }
    if cx.failed() {
        return Vec::new();
    }
    // Trade rows grouped by (time, account), in first-seen order.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<(DateTime<Utc>, String), usize> = HashMap::new();
    let mut singles: Vec<usize> = Vec::new();
    for (i, l) in legs.iter().enumerate() {
        let op = l.op.as_str();
        if TRADE_OPS.contains(&op) || FEE_OPS.contains(&op) {
            let key = (l.time, l.account.clone());
            match index.get(&key) {
                Some(&g) => groups[g].push(i),
                None => {
                    index.insert(key, groups.len());
                    groups.push(vec![i]);
                }
            }
        } else {
            singles.push(i);
        }
    }
    // Join a one-sided group with a complementary one a second later.
    let sides = |g: &[usize]| {
        let trade_rows = g
            .iter()
            .filter(|&&i| !FEE_OPS.contains(&legs[i].op.as_str()));
        let (mut neg, mut pos) = (false, false);
        for &i in trade_rows {
            if legs[i].change.is_sign_negative() {
                neg = true;
            } else {
                pos = true;
            }
        }
        (neg, pos)
    };
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| (legs[groups[g][0]].time, groups[g][0]));
    let mut merged: Vec<Vec<usize>> = Vec::new();
    let mut k = 0;
    while k < order.len() {
        let g = groups[order[k]].clone();
        if k + 1 < order.len() {
            let h = &groups[order[k + 1]];
            let (a, b) = (&legs[g[0]], &legs[h[0]]);
            let (gs, hs) = (sides(&g), sides(h));
            let one_sided = |s: (bool, bool)| s.0 != s.1;
            if a.account == b.account
                && b.time - a.time <= Duration::seconds(1)
                && one_sided(gs)
                && one_sided(hs)
                && gs != hs
            {
                let mut all = g;
                all.extend(h.iter().copied());
                merged.push(all);
                k += 2;
                continue;
            }
        }
        merged.push(g);
        k += 1;
    }
    for g in merged {
        trade_group(cx, &legs, &g, &mut out);
    }
    for i in singles {
        single(cx, &legs[i], &mut out);
    }
    out
}

fn group_id(cx: &mut Cx, legs: &[Leg], idx: &[usize], part: usize) -> String {
    let mut cells: Vec<&str> = Vec::new();
    for &i in idx {
        cells.extend(legs[i].row.cells.iter().map(String::as_str));
    }
    let part = part.to_string();
    cells.push(&part);
    cx.content_id_unique(&cells)
}

fn trade_group(cx: &mut Cx, legs: &[Leg], idx: &[usize], out: &mut Vec<Entry>) {
    let lines: Vec<u64> = idx.iter().map(|&i| legs[i].row.line).collect();
    let time = legs[idx[0]].time;
    let mut fees: Vec<(Decimal, String)> = Vec::new();
    let mut neg: Vec<usize> = Vec::new();
    let mut pos: Vec<usize> = Vec::new();
    for &i in idx {
        let l = &legs[i];
        if FEE_OPS.contains(&l.op.as_str()) {
            // A positive fee row is a refund; it lowers the fee.
            match fees.iter_mut().find(|(_, a)| *a == l.coin) {
                Some(f) => f.0 -= l.change,
                None => fees.push((-l.change, l.coin.clone())),
            }
        } else if l.change.is_sign_negative() {
            neg.push(i);
        } else if !l.change.is_zero() {
            pos.push(i);
        }
    }
    fees.retain(|(q, _)| !q.is_zero());
    let net = |rows: &[usize]| -> Vec<(Decimal, String)> {
        let mut v: Vec<(Decimal, String)> = Vec::new();
        for &i in rows {
            let l = &legs[i];
            match v.iter_mut().find(|(_, a)| *a == l.coin) {
                Some(x) => x.0 += l.change.abs(),
                None => v.push((l.change.abs(), l.coin.clone())),
            }
        }
        v
    };
    let (sent, received) = (net(&neg), net(&pos));
    let op = legs[idx[0]].op.clone();
    let note = op.clone();
    if sent.len() == 1 && received.len() == 1 {
        let id = group_id(cx, legs, idx, 0);
        super::trade_record(
            cx,
            TradeIn {
                id,
                rows: lines,
                time,
                sent: sent[0].clone(),
                received: received[0].clone(),
                fees,
                usd_hint: None,
                note,
            },
            out,
        );
        return;
    }
    if neg.len() == pos.len() && neg.len() > 1 {
        // Dust conversions: the n-th coin out pairs with the n-th coin in.
        for (n, (&s, &r)) in neg.iter().zip(&pos).enumerate() {
            let id = group_id(cx, legs, idx, n);
            let mut rows = vec![legs[s].row.line, legs[r].row.line];
            let f = if n == 0 {
                rows.extend(
                    idx.iter()
                        .filter(|&&i| !neg.contains(&i) && !pos.contains(&i))
                        .map(|&i| legs[i].row.line),
                );
                std::mem::take(&mut fees)
            } else {
                Vec::new()
            };
            super::trade_record(
                cx,
                TradeIn {
                    id,
                    rows,
                    time,
                    sent: (legs[s].change.abs(), legs[s].coin.clone()),
                    received: (legs[r].change.abs(), legs[r].coin.clone()),
                    fees: f,
                    usd_hint: None,
                    note: note.clone(),
                },
                out,
            );
        }
        return;
    }
    let account = cx.account.clone();
    if sent.is_empty() && received.len() == 1 && op.starts_with("Buy Crypto") {
        // A card purchase: the money side is outside the statement.
        let (q, a) = received[0].clone();
        let id = group_id(cx, legs, idx, 0);
        let v = cx.value_legs(lines[0], time, Some((q, &a)), None);
        let mut d = Draft::new(id, time, Kind::Buy)
            .received(q, &a)
            .usd(v)
            .note(note);
        if let Some((fq, fa)) = fees.first() {
            if is_foreign_money(fa) {
                d = d.fee_usd(cx.fiat_to_usd(lines[0], time, *fq, fa));
            }
            d = d.fee(*fq, fa);
        }
        out.push(Entry::Rec {
            rows: lines,
            rec: d.finish(&account),
        });
        return;
    }
    if sent.is_empty() && received.is_empty() && !fees.is_empty() {
        // Fee rows alone (a BNB fee deduction booked apart from its trade).
        for (n, (q, a)) in fees.iter().enumerate() {
            let id = group_id(cx, legs, idx, n);
            let rows = if n == 0 { lines.clone() } else { Vec::new() };
            let d = Draft::new(id, time, Kind::Fee)
                .fee(*q, a)
                .note(note.clone());
            if a == "USD" || is_fiat(a) {
                for l in &rows {
                    out.push(Entry::skip(*l, "fee paid in cash outside a trade"));
                }
                continue;
            }
            let fee_usd = cx.unit_price(lines[0], a, time).map(|p| super::mul(*q, p));
            let d = d.fee_usd(fee_usd);
            if rows.is_empty() {
                out.push(Entry::Extra {
                    row: lines[0],
                    rec: d.finish(&account),
                });
            } else {
                out.push(Entry::Rec {
                    rows,
                    rec: d.finish(&account),
                });
            }
        }
        return;
    }
    let list = |v: &[(Decimal, String)]| {
        v.iter()
            .map(|(q, a)| format!("{} {a}", super::num::fmt_decimal(*q)))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    cx.problem(
        lines[0],
        None,
        None,
        format!(
            "the trade rows at this second (lines {}) cannot be paired: out {} / in {}; import the \
             trade history (binance-trades) for these trades, or split the rows by hand",
            lines
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if sent.is_empty() {
                "nothing".to_string()
            } else {
                list(&sent)
            },
            if received.is_empty() {
                "nothing".to_string()
            } else {
                list(&received)
            },
        ),
    );
}

fn single(cx: &mut Cx, l: &Leg, out: &mut Vec<Entry>) {
    let line = l.row.line;
    let op = l.op.as_str();
    let qty = l.change.abs();
    let account = cx.account.clone();
    let cells: Vec<&str> = l.row.cells.iter().map(String::as_str).collect();
    if qty.is_zero() {
        out.push(Entry::skip(line, "zero change: nothing moved"));
        return;
    }
    let rec = |out: &mut Vec<Entry>, d: Draft| {
        out.push(Entry::Rec {
            rows: vec![line],
            rec: d.finish(&account),
        })
    };
    if TRANSFER_OPS.contains(&op) {
        let incoming = l.change.is_sign_positive();
        if is_fiat(&l.coin) {
            let what = if incoming { "deposit" } else { "withdrawal" };
            out.push(Entry::skip(line, format!("fiat {what}: not a tax event")));
            return;
        }
        let id = cx.content_id_unique(&cells);
        let d = if incoming {
            Draft::new(id, l.time, Kind::Deposit).received(qty, &l.coin)
        } else {
            Draft::new(id, l.time, Kind::Withdrawal).sent(qty, &l.coin)
        };
        let remark = l.row.cells.last().map_or("", |s| s.as_str());
        let d = if remark.eq_ignore_ascii_case("Withdraw fee is included") {
            d.note(remark)
        } else {
            d
        };
        rec(out, d);
    } else if let Some(&(_, category)) = INCOME_OPS.iter().find(|(o, _)| *o == op) {
        if l.change.is_sign_negative() {
            out.push(Entry::skip(
                line,
                format!("negative {op} row (a clawback or service fee): review by hand"),
            ));
            return;
        }
        if is_fiat(&l.coin) {
            out.push(Entry::skip(line, "income paid in cash: not a crypto lot"));
            return;
        }
        let id = cx.content_id_unique(&cells);
        let v = cx.value_legs(line, l.time, Some((qty, &l.coin)), None);
        rec(
            out,
            Draft::new(id, l.time, Kind::Income)
                .category(category)
                .received(qty, &l.coin)
                .usd(v)
                .note(op),
        );
    } else if op == "Binance Card Spending" {
        let id = cx.content_id_unique(&cells);
        let v = cx.value_legs(line, l.time, None, Some((qty, &l.coin)));
        rec(
            out,
            Draft::new(id, l.time, Kind::Spend)
                .sent(qty, &l.coin)
                .usd(v)
                .note("Binance Card Spending"),
        );
    } else if INTERNAL_OPS.contains(&op) || op.starts_with("Transfer Between") {
        out.push(Entry::skip(
            line,
            "move between Binance wallets (spot, funding, earn, futures): not a tax event",
        ));
    } else if FUTURES_OPS.contains(&op) {
        out.push(Entry::skip(
            line,
            "futures or margin row: not supported, report derivatives separately",
        ));
    } else {
        out.push(Entry::skip(
            line,
            format!("unknown Binance operation {op:?}: not imported, enter it by hand"),
        ));
    }
}
