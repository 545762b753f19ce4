//! Ledger Live's operations export ("Export operations" in the accounts
//! menu): `Operation Date,Status,Currency Ticker,Operation Type,Operation
//! Amount,Operation Fees,Operation Hash,Account Name,Account xpub,Countervalue
//! Ticker,Countervalue at Operation Date,Countervalue at CSV Export` (2024
//! on). Older files have no `Status` (2020-2023), no countervalue columns
//! (2019-2020), or `Account id` for `Account xpub`. One row per operation of
//! every account exported, each account's newest first; times are ISO 8601
//! UTC; commas are dropped from cells, so nothing is quoted.
//!
//! Fee convention: `Operation Amount` is a magnitude that, for an `OUT`,
//! includes the network fee (Ledger Live's `op.value`), and excludes it for
//! an `IN` (there `Operation Fees` is the sender's fee, not this account's).
//! So an `OUT` sends `Amount - Fees` with the fee on top (the ledger's
//! convention), and an `IN` receives `Amount`. Token accounts (an ERC-20 on
//! an Ethereum account) have an empty `Operation Fees`: the parent account
//! pays the fee, and writes it as its own `FEES` operation. A cosmos-style
//! `REWARD` is the gross reward, its claim fee paid apart: income of the
//! amount plus a `fee` row. Staking moves (`DELEGATE`, `BOND`, `FREEZE`, ...)
//! keep the coins the user's: only their fee is booked, as a `fee` row. A
//! `Failed` operation still paid its fee on chain (Ethereum and the like):
//! the fee is booked, nothing else.
//!
//! `Countervalue at Operation Date` is the value of `Operation Amount` in the
//! `Countervalue Ticker` currency (an estimate Ledger Live takes from Kaiko).
//! In USD it is the row's USD value (an `OUT`'s is split between the coins
//! sent and the fee, by quantity); in another currency it is converted at
//! that currency's `--prices` rate, or left out. `Countervalue at CSV Export`
//! is today's value and is not used.
//!
//! The account is `Ledger Live: <Account Name>` (for a token, its parent
//! account's name), which `[import.accounts]` can rename.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::draft::fmt_decimal;
use super::sheet::stream_rows;
use super::value::share;
use super::{
    Cx, Draft, Entry, ISO_NAIVE, ImportError, RowStream, Sheet, SheetRow, is_fiat, parse_time_cell,
};
use crate::model::{Category, Kind};

/// The wallet's name in the accounts it names (`Ledger Live: Bitcoin 1`).
const WALLET: &str = "Ledger Live";

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Operation Date")
        && has("Currency Ticker")
        && has("Operation Type")
        && has("Operation Amount")
}

struct Cols {
    date: usize,
    status: Option<usize>,
    ticker: usize,
    kind: usize,
    amount: usize,
    fees: Option<usize>,
    hash: Option<usize>,
    name: Option<usize>,
    key: Option<usize>,
    cv_ticker: Option<usize>,
    cv: Option<usize>,
}

/// Operations that move no coins out of the user's hands (staking,
/// governance, account set-up): only their network fee is a disposal.
const FEE_ONLY: [&str; 24] = [
    "REVEAL",
    "DELEGATE",
    "UNDELEGATE",
    "REDELEGATE",
    "FREEZE",
    "UNFREEZE",
    "VOTE",
    "BOND",
    "UNBOND",
    "WITHDRAW_UNBONDED",
    "SET_CONTROLLER",
    "NOMINATE",
    "CHILL",
    "OPT_IN",
    "OPT_OUT",
    "LOCK",
    "UNLOCK",
    "WITHDRAW",
    "REVOKE",
    "ACTIVATE",
    "REGISTER",
    "APPROVE",
    "STAKE",
    "UNSTAKE",
];

/// Reads the export row by row (see [`stream_rows`]).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c = Cols {
        date: sheet.need(cx, &["Operation Date"]),
        status: sheet.col(&["Status"]),
        ticker: sheet.need(cx, &["Currency Ticker"]),
        kind: sheet.need(cx, &["Operation Type"]),
        amount: sheet.need(cx, &["Operation Amount"]),
        fees: sheet.col(&["Operation Fees"]),
        hash: sheet.col(&["Operation Hash"]),
        name: sheet.col(&["Account Name"]),
        key: sheet.col(&["Account xpub", "Account id"]),
        cv_ticker: sheet.col(&["Countervalue Ticker"]),
        cv: sheet.col(&["Countervalue at Operation Date"]),
    };
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        if let Some(row) = row
            && sheet.data_row(cx, row, c.date, out)
        {
            one_row(&c, row, cx, out);
        }
    })
}

fn one_row(c: &Cols, row: &SheetRow, cx: &mut Cx, out: &mut Vec<Entry>) {
    let line = row.line;
    let before = cx.problem_count();
    let time = parse_time_cell(
        cx,
        row,
        c.date,
        "Operation Date",
        &ISO_NAIVE,
        chrono_tz::UTC,
    );
    let ticker = cx
        .required_asset(row, c.ticker, "Currency Ticker")
        .map(str::to_ascii_uppercase);
    let amount = cx
        .required(row, c.amount, "Operation Amount")
        .map(|a| a.abs());
    let fee = c
        .fees
        .and_then(|i| cx.number(row, i, "Operation Fees"))
        .map(|f| f.abs())
        .unwrap_or_default();
    let cv =
        c.cv.and_then(|i| cx.number(row, i, "Countervalue at Operation Date"))
            .map(|v| v.abs());
    let (Some(time), Some(ticker), Some(amount)) = (time, ticker, amount) else {
        return;
    };
    if cx.problem_count() != before {
        return;
    }
    let kind = row.get(c.kind).to_ascii_uppercase();
    let hash = c.hash.map_or("", |i| row.get(i));
    let key = c.key.map_or("", |i| row.get(i));
    // The same hash is an operation of each account it touched (a send
    // between two of the user's accounts, a token and its parent).
    let id = cx.wallet_id(
        hash,
        || format!("{hash}-{}", kind.to_ascii_lowercase()),
        &[&ticker, key],
        &row.cells,
    );
    let account = cx.named_account(WALLET, c.name.map_or("", |i| row.get(i)));
    // The countervalue in USD, at the currency's rate when it is another one.
    let cv_ccy = c
        .cv_ticker
        .map_or(String::new(), |i| row.get(i).to_ascii_uppercase());
    let usd = match cv {
        Some(v) if cv_ccy == "USD" => Some(v),
        Some(v) if is_fiat(&cv_ccy) => cx.fiat_to_usd(line, time, v, &cv_ccy),
        _ => None,
    };
    let op = Op {
        line,
        id,
        time,
        ticker,
        account,
        txid: hash.to_string(),
    };
    let status = c.status.map_or("Confirmed", |i| row.get(i));
    if !status.eq_ignore_ascii_case("Confirmed") {
        if status.eq_ignore_ascii_case("Failed") && kind == "IN" {
            out.push(Entry::skip(
                line,
                "failed incoming operation: nothing received (its fee was the sender's)",
            ));
        } else if status.eq_ignore_ascii_case("Failed") && !fee.is_zero() {
            let fee_usd = usd.and_then(|v| share(v, fee, amount));
            let note = format!("failed {kind} operation: only its network fee was paid");
            out.push(op.fee_row(cx, fee, fee_usd, note));
        } else if status.eq_ignore_ascii_case("Failed") {
            out.push(Entry::skip(
                line,
                "failed operation without a fee: nothing moved",
            ));
        } else {
            out.push(Entry::skip(
                line,
                format!("operation with status {status:?}: not final, nothing booked"),
            ));
        }
        return;
    }
    match kind.as_str() {
        "IN" if amount.is_zero() => out.push(Entry::skip(line, "zero amount: nothing received")),
        "IN" => out.push(
            op.rec(
                Draft::new(op.id.clone(), time, Kind::Deposit)
                    .received(amount, &op.ticker)
                    .usd(usd),
            ),
        ),
        "OUT" => {
            let sent = amount - fee;
            if sent.is_sign_negative() && !sent.is_zero() {
                cx.problem(
                    line,
                    Some("Operation Amount"),
                    Some(&fmt_decimal(amount)),
                    format!(
                        "is smaller than Operation Fees ({}), which an OUT amount includes; \
                         check the row against the account in Ledger Live",
                        fmt_decimal(fee)
                    ),
                );
                return;
            }
            let fee_usd = usd.and_then(|v| share(v, fee, amount));
            if sent.is_zero() {
                if fee.is_zero() {
                    out.push(Entry::skip(line, "zero amount: nothing sent"));
                } else {
                    out.push(op.fee_row(cx, fee, fee_usd, "OUT of its network fee only".into()));
                }
                return;
            }
            let d = Draft::new(op.id.clone(), time, Kind::Withdrawal)
                .sent(sent, &op.ticker)
                .fee(fee, &op.ticker)
                .usd(usd.map(|v| v - fee_usd.unwrap_or_default()))
                .fee_usd(fee_usd);
            out.push(op.rec(d));
        }
        "FEES" => {
            // The fee of a token transfer (or a contract call), paid by the
            // parent account: the whole amount is the fee.
            let q = if amount.is_zero() { fee } else { amount };
            if q.is_zero() {
                out.push(Entry::skip(line, "FEES operation of zero: nothing paid"));
            } else {
                let note = "network fee of a token transfer or contract call".to_string();
                out.push(op.fee_row(cx, q, usd.and_then(|v| share(v, q, amount)), note));
            }
        }
        "REWARD" | "REWARD_PAYOUT" if amount.is_zero() => {
            out.push(Entry::skip(line, "zero reward: nothing received"))
        }
        "REWARD" | "REWARD_PAYOUT" => {
            let note = match (usd, cv) {
                (None, Some(v)) if !cv_ccy.is_empty() => {
                    format!("staking reward; value {} {cv_ccy}", fmt_decimal(v))
                }
                _ => "staking reward".to_string(),
            };
            let fee_usd = usd
                .and_then(|v| share(v, fee, amount))
                .or_else(|| cx.usd_of(line, fee, &op.ticker, time));
            out.push(
                op.rec(
                    Draft::new(op.id.clone(), time, Kind::Income)
                        .category(Category::Staking)
                        .received(amount, &op.ticker)
                        .usd(usd)
                        .note(note),
                ),
            );
            if !fee.is_zero() {
                let d = Draft::new(format!("{}-fee", op.id), time, Kind::Fee)
                    .fee(fee, &op.ticker)
                    .fee_usd(fee_usd)
                    .txid(&op.txid)
                    .note("network fee of claiming this transaction's staking reward");
                out.push(Entry::Extra {
                    row: line,
                    rec: d.finish(&op.account),
                });
            }
        }
        k if FEE_ONLY.contains(&k) => {
            if fee.is_zero() {
                out.push(Entry::skip(
                    line,
                    format!("{k} operation without a fee: nothing left the account"),
                ));
            } else {
                let fee_usd = usd.and_then(|v| share(v, fee, amount));
                let note = format!("network fee of the {k} operation (its coins stay yours)");
                out.push(op.fee_row(cx, fee, fee_usd, note));
            }
        }
        "NFT_IN" | "NFT_OUT" => out.push(Entry::skip(
            line,
            "NFT operation: not imported, enter it by hand (its fee is the parent account's \
             FEES or OUT row)",
        )),
        "NONE" => out.push(Entry::skip(
            line,
            "NONE operation (another account's transaction seen here): nothing moved",
        )),
        other => out.push(Entry::skip(
            line,
            format!("unknown Ledger Live operation type {other:?}: not imported, enter it by hand"),
        )),
    }
}

/// What every ledger row of one operation shares.
struct Op {
    line: u64,
    id: String,
    time: DateTime<Utc>,
    ticker: String,
    account: String,
    txid: String,
}

impl Op {
    fn rec(&self, d: Draft) -> Entry {
        Entry::Rec {
            rows: vec![self.line],
            rec: d.txid(&self.txid).finish(&self.account),
        }
    }

    /// A `fee` row: the network fee `q` of the operation, in its coin, valued
    /// from the export (`fee_usd`) or else at its `--prices` price.
    fn fee_row(&self, cx: &mut Cx, q: Decimal, fee_usd: Option<Decimal>, note: String) -> Entry {
        let fee_usd = fee_usd.or_else(|| cx.usd_of(self.line, q, &self.ticker, self.time));
        self.rec(
            Draft::new(self.id.clone(), self.time, Kind::Fee)
                .fee(q, &self.ticker)
                .fee_usd(fee_usd)
                .note(note),
        )
    }
}
