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
//! treated as the same row (users concatenate overlapping date-range exports), and
//! a trade whose rows are each there as often, twice or more, is counted once.
//!
//! The file is read three times a row at a time and never held: see
//! [`parse_stream`].

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::sheet::{DataRows, hand_over};
use super::{
    Cx, Draft, Entry, ImportError, RowStream, Sheet, SheetRow, TradeIn, in_zone, is_fiat,
    is_foreign_money, once_each, parse_naive, plain_time,
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

/// A statement row, read: its line and cells (borrowed from the row being
/// read, or owned by a trade waiting for its other rows).
struct Leg<'r> {
    line: u64,
    cells: Cow<'r, [String]>,
    time: DateTime<Utc>,
    account: Cow<'r, str>,
    op: Cow<'r, str>,
    coin: String,
    change: Decimal,
}

impl Leg<'_> {
    fn into_owned(self) -> Leg<'static> {
        Leg {
            line: self.line,
            cells: Cow::Owned(self.cells.into_owned()),
            time: self.time,
            account: Cow::Owned(self.account.into_owned()),
            op: Cow::Owned(self.op.into_owned()),
            coin: self.coin,
            change: self.change,
        }
    }

    /// Whether the row is part of a trade (netted with the rows of its second).
    fn in_trade(&self) -> bool {
        let op = &*self.op;
        TRADE_OPS.contains(&op) || FEE_OPS.contains(&op)
    }
}

/// Binance's ticker as the ledger's (renames documented by Binance).
fn coin_name(c: &str) -> String {
    match c.trim().to_ascii_uppercase().as_str() {
        "BCC" => "BCH".into(),
        other => other.to_string(),
    }
}

/// The columns of a statement.
struct Cols {
    time: usize,
    /// The zone of its times (UTC, or `--tz` for the 2025 layout's).
    zone: chrono_tz::Tz,
    account: usize,
    op: usize,
    coin: usize,
    change: usize,
    /// `Remark` is the last column and is sometimes left off.
    tail: usize,
}

/// A row read: a leg, a row skipped (and why), or a row with a problem
/// (reported).
enum Read<'r> {
    Leg(Leg<'r>),
    Skip(&'static str),
    Bad,
}

impl Cols {
    fn of(sheet: &Sheet, cx: &mut Cx) -> Option<Cols> {
        let (time, zone) = match sheet.col(&["UTC_Time"]) {
            Some(i) => (i, chrono_tz::Tz::UTC),
            None => (sheet.need(cx, &["Time"]), cx.opts.tz),
        };
        let cols = Cols {
            time,
            zone,
            account: sheet.need(cx, &["Account"]),
            op: sheet.need(cx, &["Operation"]),
            coin: sheet.need(cx, &["Coin"]),
            change: sheet.need(cx, &["Change"]),
            tail: usize::from(sheet.header.last().is_some_and(|h| h == "Remark")),
        };
        (!cx.failed()).then_some(cols)
    }

    fn read<'r>(&self, sheet: &Sheet, cx: &mut Cx, row: &'r SheetRow) -> Read<'r> {
        if !sheet.check_width(cx, row, self.tail) {
            return Read::Bad;
        }
        if row.is_blank() {
            return Read::Skip("blank row");
        }
        let cell = row.get(self.time);
        if cell.is_empty() {
            return Read::Skip("row without a time: not a transaction");
        }
        if row.get(self.coin).is_empty() && row.get(self.change).is_empty() {
            return Read::Skip("row without coin or amount: nothing moved");
        }
        // Two-digit years in the 2025 layout: `24-01-20 14:30:00`.
        let fmts: &[&str] = if cell.find('-') == Some(2) {
            &["%y-%m-%d %H:%M:%S", "%y-%m-%d %H:%M"]
        } else {
            &["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"]
        };
        // The common `2021-06-21 12:31:12` and `24-01-20 14:30:00` without
        // chrono's layout parser (the rows are read three times); anything
        // else as before.
        let c = cell.trim();
        let time = match c.len() {
            19 if fmts[0].starts_with("%Y") => plain_time(c, self.zone),
            17 if fmts[0].starts_with("%y") => short_year_time(c).map(|n| in_zone(n, self.zone)),
            _ => None,
        }
        .or_else(|| parse_naive(cell, fmts).map(|n| in_zone(n, self.zone)));
        if time.is_none() {
            cx.problem(
                row.line,
                Some("time"),
                Some(cell),
                "is not a time like 2021-06-21 12:31:12",
            );
        }
        let change = cx.required(row, self.change, "Change");
        let (Some(time), Some(change)) = (time, change) else {
            return Read::Bad;
        };
        Read::Leg(Leg {
            line: row.line,
            cells: Cow::Borrowed(&row.cells),
            time,
            account: Cow::Borrowed(row.get(self.account)),
            op: Cow::Borrowed(row.get(self.op)),
            coin: coin_name(row.get(self.coin)),
            change,
        })
    }
}

/// `24-01-20 14:30:00` as chrono reads it with `%y-%m-%d %H:%M:%S` (a
/// two-digit year 70-99 in the 1900s, 00-69 in the 2000s); None for anything
/// else.
fn short_year_time(c: &str) -> Option<chrono::NaiveDateTime> {
    let b = c.as_bytes();
    if b.len() != 17 || b[2] != b'-' || b[5] != b'-' || b[8] != b' ' || b[11] != b':' {
        return None;
    }
    if b[14] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let yy = num(0..2)? as i32;
    let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
    chrono::NaiveDate::from_ymd_opt(year, num(3..5)?, num(6..8)?)?.and_hms_opt(
        num(9..11)?,
        num(12..14)?,
        num(15..17)?,
    )
}

/// The statement's entries, read in three readings of its rows, none of
/// which holds the file: the first checks every row (a file with a problem
/// is read no further), gives the rows skipped, and learns each trade's
/// rows (those of one second and account, in the order first seen: their
/// time, sides and number); the second makes the trades in time order,
/// joining a one-sided trade with the complementary one a second later, and
/// holds only the rows of trades not yet complete; the third makes the other
/// rows' entries in file order. The entries come in the order reading the
/// whole file at once gave them: skips, trades, the rest.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    second: &mut RowStream,
    third: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let Some(cols) = Cols::of(sheet, cx) else {
        return DataRows::new(sheet, stream).skip_all();
    };
    let mut trades = Trades::default();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        match cols.read(sheet, cx, row) {
            Read::Leg(l) if l.in_trade() => trades.add(&l),
            Read::Skip(why) if !cx.failed() => emit(cx, Entry::skip(row.line, why)),
            _ => {}
        }
    }
    if cx.failed() {
        return Ok(());
    }
    let mut order = trades.order();
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, second);
    while let Some(row) = rows.next()? {
        if let Read::Leg(l) = cols.read(sheet, cx, row)
            && l.in_trade()
        {
            order.take(l, cx, &mut out);
            hand_over(&mut out, cx, emit);
        }
    }
    order.finish(cx, &mut out);
    hand_over(&mut out, cx, emit);
    let mut rows = DataRows::new(sheet, third);
    while let Some(row) = rows.next()? {
        if let Read::Leg(l) = cols.read(sheet, cx, row)
            && !l.in_trade()
        {
            single(cx, &l, &mut out);
            hand_over(&mut out, cx, emit);
        }
    }
    Ok(())
}

/// One second's trade rows in one account, as the first reading learns them.
struct Trade {
    time: DateTime<Utc>,
    /// Into [`Trades::accounts`].
    account: u32,
    /// Whether a row other than a fee takes coins out, or puts them in.
    neg: bool,
    pos: bool,
    rows: u32,
}

/// The trades of a statement, in the order first seen.
#[derive(Default)]
struct Trades {
    list: Vec<Trade>,
    at: rustc_hash::FxHashMap<(DateTime<Utc>, u32), u32>,
    accounts: Vec<String>,
    account_at: rustc_hash::FxHashMap<String, u32>,
}

impl Trades {
    fn account(&mut self, name: &str) -> u32 {
        if let Some(&a) = self.account_at.get(name) {
            return a;
        }
        let a = self.accounts.len() as u32;
        self.accounts.push(name.to_string());
        self.account_at.insert(name.to_string(), a);
        a
    }

    /// The trade a row belongs to, made if new.
    fn of(&mut self, l: &Leg) -> usize {
        let account = self.account(&l.account);
        let next = self.list.len() as u32;
        let t = *self.at.entry((l.time, account)).or_insert(next);
        if t == next {
            self.list.push(Trade {
                time: l.time,
                account,
                neg: false,
                pos: false,
                rows: 0,
            });
        }
        t as usize
    }

    fn add(&mut self, l: &Leg) {
        let t = self.of(l);
        let trade = &mut self.list[t];
        trade.rows += 1;
        if !FEE_OPS.contains(&&*l.op) {
            if l.change.is_sign_negative() {
                trade.neg = true;
            } else {
                trade.pos = true;
            }
        }
    }

    /// The trades in time order (then as first seen), a one-sided trade
    /// joined with the complementary one a second later: each one's place
    /// in that order, and how many rows each place has.
    fn order(self) -> Order {
        let list = &self.list;
        let mut by_time: Vec<usize> = (0..list.len()).collect();
        by_time.sort_by_key(|&t| (list[t].time, t));
        let one_sided = |t: &Trade| t.neg != t.pos;
        let mut place = vec![0u32; list.len()];
        let mut rows = Vec::new();
        let mut k = 0;
        while k < by_time.len() {
            let g = by_time[k];
            let p = rows.len() as u32;
            place[g] = p;
            rows.push(list[g].rows);
            k += 1;
            if let Some(&h) = by_time.get(k) {
                let (a, b) = (&list[g], &list[h]);
                if a.account == b.account
                    && b.time - a.time <= Duration::seconds(1)
                    && one_sided(a)
                    && one_sided(b)
                    && (a.neg, a.pos) != (b.neg, b.pos)
                {
                    place[h] = p | JOINED;
                    rows[p as usize] += list[h].rows;
                    k += 1;
                }
            }
        }
        Order {
            trades: self,
            place,
            rows,
            next: 0,
            waiting: HashMap::new(),
        }
    }
}

/// The bit of a place that marks a trade joined to the one before it.
const JOINED: u32 = 1 << 31;

/// The second reading: each trade's rows, gathered until it is complete and
/// the trades before it are made.
struct Order {
    trades: Trades,
    /// Each trade's place (with [`JOINED`] for the second of two joined).
    place: Vec<u32>,
    /// The rows of each place.
    rows: Vec<u32>,
    /// The next place to make.
    next: u32,
    /// The rows read of places not yet made: those of the first trade, then
    /// those of one joined to it.
    waiting: HashMap<u32, (Vec<Leg<'static>>, Vec<Leg<'static>>)>,
}

impl Order {
    fn take(&mut self, l: Leg, cx: &mut Cx, out: &mut Vec<Entry>) {
        let t = self.trades.of(&l);
        let Some(&place) = self.place.get(t) else {
            // A trade the first reading did not see (the file changed
            // between the readings): made at the end, on its own.
            self.place.push(u32::MAX);
            return self.lone(l, cx, out);
        };
        if place == u32::MAX {
            return self.lone(l, cx, out);
        }
        let p = place & !JOINED;
        let w = self.waiting.entry(p).or_default();
        if place & JOINED == 0 {
            w.0.push(l.into_owned());
        } else {
            w.1.push(l.into_owned());
        }
        while let Some(w) = self.waiting.get(&self.next) {
            if ((w.0.len() + w.1.len()) as u32) < self.rows[self.next as usize] {
                break;
            }
            let (mut legs, rest) = self.waiting.remove(&self.next).unwrap_or_default();
            legs.extend(rest);
            make(cx, &legs, out);
            self.next += 1;
        }
    }

    fn lone(&mut self, l: Leg, cx: &mut Cx, out: &mut Vec<Entry>) {
        make(cx, &[l.into_owned()], out);
    }

    /// Makes the trades still waiting (only when the file changed between the
    /// readings), in order.
    fn finish(mut self, cx: &mut Cx, out: &mut Vec<Entry>) {
        let mut left: Vec<u32> = self.waiting.keys().copied().collect();
        left.sort_unstable();
        for p in left {
            if let Some((mut legs, rest)) = self.waiting.remove(&p) {
                legs.extend(rest);
                make(cx, &legs, out);
            }
        }
    }
}

/// Makes the trade of `legs`: of a k-th of each row's copies when the
/// trade is there k times (see [`once_each`]: two overlapping statements
/// joined into one file), else of all of them.
fn make(cx: &mut Cx, legs: &[Leg], out: &mut Vec<Entry>) {
    let idx = once_each(legs.iter().map(|l| &*l.cells), |k| legs[k].line, out);
    trade_group(cx, legs, &idx, out);
}

fn group_id(cx: &mut Cx, legs: &[Leg], idx: &[usize], part: usize) -> String {
    let mut cells: Vec<&str> = Vec::new();
    for &i in idx {
        cells.extend(legs[i].cells.iter().map(String::as_str));
    }
    let part = part.to_string();
    cells.push(&part);
    cx.content_id_unique(&cells)
}

fn trade_group(cx: &mut Cx, legs: &[Leg], idx: &[usize], out: &mut Vec<Entry>) {
    let lines: Vec<u64> = idx.iter().map(|&i| legs[i].line).collect();
    let time = legs[idx[0]].time;
    let mut fees: Vec<(Decimal, String)> = Vec::new();
    let mut neg: Vec<usize> = Vec::new();
    let mut pos: Vec<usize> = Vec::new();
    for &i in idx {
        let l = &legs[i];
        if FEE_OPS.contains(&&*l.op) {
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
    // The trade's operation: its first row's other than a fee (a newest-first
    // file may list the fee first).
    let op = idx
        .iter()
        .map(|&i| &legs[i].op)
        .find(|op| !FEE_OPS.contains(&&***op))
        .unwrap_or(&legs[idx[0]].op)
        .to_string();
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
            let mut rows = vec![legs[s].line, legs[r].line];
            let f = if n == 0 {
                rows.extend(
                    idx.iter()
                        .filter(|&&i| !neg.contains(&i) && !pos.contains(&i))
                        .map(|&i| legs[i].line),
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
    let line = l.line;
    let op = &*l.op;
    let qty = l.change.abs();
    let account = cx.account.clone();
    let cells: Vec<&str> = l.cells.iter().map(String::as_str).collect();
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
        let remark = l.cells.last().map_or("", |s| s.as_str());
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
        if is_fiat(&l.coin) {
            // Paid from a cash balance: no crypto is disposed of.
            out.push(Entry::skip(
                line,
                "card spending paid in cash: not a crypto event",
            ));
            return;
        }
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

#[cfg(test)]
mod tests {
    use crate::import::import_text;

    const HEADER: &str = "User_ID,UTC_Time,Account,Operation,Coin,Change,Remark\n";

    /// The entries come as when the file was read at once: the trades in
    /// time order (a trade at its earliest second, its rows anywhere, one
    /// split over two seconds joined), then the other rows in file order,
    /// though a deposit comes first in the file at a trade's second.
    #[test]
    fn trades_in_time_order_then_the_other_rows() {
        let text = format!(
            "{HEADER}\
1,2022-03-01 10:00:05,Spot,Deposit,BTC,0.5,\"\"
1,2022-03-01 10:00:05,Spot,Transaction Buy,ETH,1,\"\"
,,,,,,
1,2022-03-01 10:00:01,Earn,Simple Earn Flexible Interest,ADA,2,\"\"
1,2022-03-01 10:00:05,Funding,Transaction Buy,SOL,3,\"\"
1,2022-03-01 10:00:05,Spot,Transaction Spend,USDT,-100,\"\"
1,2022-03-01 10:00:01,Spot,Transaction Sold,BTC,-0.1,\"\"
1,2022-03-01 10:00:05,Funding,Transaction Spend,USDT,-60,\"\"
1,2022-03-01 10:00:02,Spot,Transaction Revenue,USDT,300,\"\"
"
        );
        let recs = import_text(&text).unwrap();
        let got: Vec<(&str, &str, &str, &str)> = recs
            .iter()
            .map(|r| {
                (
                    r.time.as_str(),
                    r.kind.as_str(),
                    r.sent_asset.as_str(),
                    r.received_asset.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2022-03-01T10:00:01Z", "trade", "BTC", "USDT"),
                ("2022-03-01T10:00:05Z", "trade", "USDT", "ETH"),
                ("2022-03-01T10:00:05Z", "trade", "USDT", "SOL"),
                ("2022-03-01T10:00:05Z", "deposit", "", "BTC"),
                ("2022-03-01T10:00:01Z", "income", "", "ADA"),
            ]
        );
    }

    /// A trade whose rows are each there twice (two overlapping exports
    /// joined) is counted once, as identical rows outside a trade are; two
    /// coins changed into BNB for the same amount stay two rows.
    #[test]
    fn a_trade_repeated_whole_is_counted_once() {
        let trade = "\
1,2022-03-01 10:00:05,Spot,Transaction Buy,ETH,0.017,\"\"
1,2022-03-01 10:00:05,Spot,Transaction Spend,USDT,-50,\"\"
1,2022-03-01 10:00:05,Spot,Transaction Fee,BNB,-0.0001,\"\"
";
        let deposit = "1,2022-03-02 10:00:00,Spot,Deposit,BTC,0.5,\"\"\n";
        let once = import_text(&format!("{HEADER}{trade}{deposit}")).unwrap();
        let twice = import_text(&format!("{HEADER}{trade}{deposit}{trade}{deposit}")).unwrap();
        let cells = |r: &crate::model::Record| r.fields().map(str::to_string);
        assert_eq!(
            once.iter().map(cells).collect::<Vec<_>>(),
            twice.iter().map(cells).collect::<Vec<_>>()
        );
        assert_eq!(twice[0].received_qty, "0.017");
        // Rows repeated unevenly are all counted: the n-th coin out pairs with
        // the n-th BNB row in.
        let dust = format!(
            "{HEADER}\
1,2022-03-03 10:00:00,Spot,Small assets exchange BNB,ADA,-2,\"\"
1,2022-03-03 10:00:00,Spot,Small assets exchange BNB,XRP,-3,\"\"
1,2022-03-03 10:00:00,Spot,Small assets exchange BNB,BNB,0.001,\"\"
1,2022-03-03 10:00:00,Spot,Small assets exchange BNB,BNB,0.001,\"\"
"
        );
        let recs = import_text(&dust).unwrap();
        assert_eq!(recs.len(), 2);
        assert!(recs.iter().all(|r| r.received_qty == "0.001"));
    }

    /// A trade is known by its rows other than the fee, whichever comes
    /// first: a card purchase listed fee first is a purchase, and a trade's
    /// note is its operation, not the fee's.
    #[test]
    fn a_trade_listed_fee_first() {
        let text = format!(
            "{HEADER}\
1,2022-03-01 10:00:05,Spot,Fee,USD,-2,\"\"
1,2022-03-01 10:00:05,Spot,Buy Crypto,BTC,0.01,\"\"
1,2022-03-02 10:00:05,Spot,BNB Fee Deduction,BNB,-0.001,\"\"
1,2022-03-02 10:00:05,Spot,Buy,ETH,1,\"\"
1,2022-03-02 10:00:05,Spot,Buy,USDT,-3000,\"\"
"
        );
        let recs = import_text(&text).unwrap();
        let got: Vec<(&str, &str)> = recs
            .iter()
            .map(|r| (r.kind.as_str(), r.note.as_str()))
            .collect();
        assert_eq!(got, [("buy", "Buy Crypto"), ("trade", "Buy")]);
    }

    /// Card spending from a cash balance is skipped; from crypto it is a
    /// spend.
    #[test]
    fn card_spending_in_cash_is_no_crypto_event() {
        let text = format!(
            "{HEADER}\
1,2022-03-01 10:00:05,Spot,Binance Card Spending,EUR,-20,\"\"
1,2022-03-01 10:00:06,Spot,Binance Card Spending,BTC,-0.001,\"\"
"
        );
        let recs = import_text(&text).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(
            (recs[0].kind.as_str(), recs[0].sent_asset.as_str()),
            ("spend", "BTC")
        );
    }

    /// The two-digit-year time is read as chrono reads it, every year and
    /// some days that do not exist.
    #[test]
    fn short_year_times_as_chrono_reads_them() {
        let fmts = ["%y-%m-%d %H:%M:%S", "%y-%m-%d %H:%M"];
        for yy in 0..100 {
            for (md, hms) in [
                ("01-20", "14:30:00"),
                ("02-29", "00:00:59"),
                ("02-30", "10:00:00"),
                ("12-31", "23:59:59"),
                ("13-01", "10:00:00"),
                ("06-15", "24:00:00"),
                ("06-15", "12:60:00"),
            ] {
                let c = format!("{yy:02}-{md} {hms}");
                assert_eq!(
                    super::short_year_time(&c),
                    super::parse_naive(&c, &fmts),
                    "{c}"
                );
            }
        }
        for c in ["24-1-20 14:30:00", "24-01-20T14:30:00", "2a-01-20 14:30:00"] {
            assert_eq!(super::short_year_time(c), None, "{c}");
        }
    }

    /// A file with a problem names its rows, and makes no trade of them.
    #[test]
    fn a_bad_row_stops_before_the_trades() {
        let text = format!(
            "{HEADER}\
1,2022-03-01 10:00:05,Spot,Transaction Buy,ETH,1,\"\"
1,2022-03-01 10:00:05,Spot,Transaction Spend,USDT,x,\"\"
1,2022-03-01 10:00:06,Spot,Transaction Buy,ETH,1,\"\"
"
        );
        let e = import_text(&text).unwrap_err();
        assert!(e.contains("t.csv:3: column Change"), "{e}");
        assert!(!e.contains("cannot be paired"), "{e}");
        let e = import_text(&text.replace(",x,", ",-100,")).unwrap_err();
        assert!(
            e.contains("t.csv:4") && e.contains("cannot be paired"),
            "{e}"
        );
    }

    /// The rows are read three times, and a progress bar fed by the reading
    /// moves by the file's size in all, reaching its end with the third.
    #[test]
    fn a_file_read_three_times_moves_the_bar_by_its_size() {
        let mut text = String::from(HEADER);
        for k in 0..20_000 {
            let t = format!(
                "2022-03-01 {:02}:{:02}:{:02}",
                k / 3600 % 24,
                k / 60 % 60,
                k % 60
            );
            let d = 1 + k / 86_400;
            let t = t.replace("03-01", &format!("03-{d:02}"));
            text.push_str(&format!(
                "1,{t},Spot,Transaction Buy,ETH,1,\"\"\n1,{t},Spot,Transaction Spend,USDT,-100,\"\"\n"
            ));
        }
        let (records, told, first) = crate::import::import_file_with_bar("statement.csv", &text);
        assert_eq!(records, 20_000);
        assert_eq!(told, text.len() as u64);
        // The first trade is made by the second reading, the bar then over a
        // third of the way.
        let len = text.len() as u64;
        assert!(first > len / 3 && first < len * 2 / 3, "{first} of {len}");
    }
}
