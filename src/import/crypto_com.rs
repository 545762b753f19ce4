//! Crypto.com App's crypto wallet history (`crypto_transactions_record_*.csv`,
//! Accounts, Crypto Wallet, Export): `Timestamp (UTC),Transaction Description,
//! Currency,Amount,To Currency,To Amount,Native Currency,Native Amount,Native
//! Amount (in USD),Transaction Kind,Transaction Hash`. Versions: without
//! `Transaction Hash` (older files, as BittyTax reads them); a file without
//! `Native Amount (in USD)` is read too, its values then coming from `Native
//! Amount` alone.
//! Newest rows first; times are UTC. The app's fiat wallet and card exports
//! are other files and are not read.
//!
//! `Amount` is signed (negative when the coins left), `To Amount` the other
//! side of an exchange, and `Native Amount` Crypto.com's value of the row in
//! the account's currency (`Native Currency`: USD, EUR, …). The rows carry no
//! fee (a card purchase's fee is inside `Native Amount`; a withdrawal's
//! network fee is not given apart, so the withdrawal is `|Amount|`). A row's
//! USD value is `Native Amount (in USD)` when the file has it, else `Native
//! Amount` when the native currency is USD, else `Native Amount` converted at
//! that currency's `--prices` rate (as the Coinbase importer converts a
//! report in EUR), else none: the row is then written without a value, for
//! the engine to value from `--prices`, the note keeping Crypto.com's figure.
//!
//! Kinds: `crypto_purchase` (bought with a card) → `buy` sending `Native
//! Amount` of the native currency; `viban_purchase`, `van_purchase`,
//! `recurring_buy_order`, `crypto_exchange`, `crypto_viban_exchange`,
//! `crypto_to_van_sell_order` and `trading.limit_order.*.sell_commit` → an
//! exchange of `|Amount| Currency` for `To Amount To Currency` (a buy, sell or
//! trade); `crypto_deposit`, `exchange_to_crypto_transfer` → `deposit`;
//! `crypto_withdrawal`, `crypto_to_exchange_transfer` → `withdrawal`;
//! interest, staking, rewards, cashback and referral bonuses → `income`;
//! `crypto_payment` → `spend`; `card_top_up` (coins sold for the card's
//! balance) → `sell` of `|Amount|` for `Native Amount` of the native currency; a `dust_conversion_debited`
//! row followed by one `dust_conversion_credited` row of the same second → one
//! `trade` (several coins converted at once are skipped to enter by hand).
//! Moves inside the app (Earn, lockups, Supercharger, staking) are skipped:
//! the coins stay the user's. Coin swaps and migrations inside the app
//! (`lockup_swap_*`, `crypto_wallet_swap_*`, …), transfers to other
//! Crypto.com users, reversed cashback and other unclear kinds are skipped
//! with a reason saying what to enter by hand.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::draft::fmt_decimal;
use super::sheet::stream_rows;
use super::{
    Cx, Draft, Entry, ISO_NAIVE, ImportError, RowStream, Sheet, SheetRow, TradeIn, is_fiat,
    parse_time_cell, trade_record,
};
use crate::model::Kind;

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Timestamp (UTC)")
        && has("Transaction Kind")
        && has("Currency")
        && has("Amount")
        && has("Native Amount")
}

struct Cols {
    time: usize,
    desc: Option<usize>,
    currency: usize,
    amount: usize,
    to_currency: Option<usize>,
    to_amount: Option<usize>,
    native_currency: usize,
    native: usize,
    native_usd: Option<usize>,
    kind: usize,
    hash: Option<usize>,
}

/// Kinds paid to the user: interest, staking, rewards, cashback, referrals.
const INCOME: [&str; 20] = [
    "crypto_earn_interest_paid",
    "crypto_earn_extra_interest_paid",
    "mco_stake_reward",
    "supercharger_reward_to_app_credited",
    "finance.lockup.dpos_compound_interest.crypto_wallet",
    "finance.dpos.non_compound_interest.crypto_wallet",
    "finance.dpos.compound_interest.crypto_wallet",
    "staking_reward",
    "rewards_platform_deposit_credited",
    "referral_bonus",
    "referral_gift",
    "referral_card_cashback",
    "card_cashback",
    "transfer_cashback",
    "reimbursement",
    "gift_card_reward",
    "campaign_reward",
    "pay_checkout_reward",
    "crypto_pay_cashback",
    "airdrop_to_exchange_transfer",
];

/// Two-sided exchanges: `|Amount| Currency` for `To Amount To Currency`.
const EXCHANGES: [&str; 8] = [
    "viban_purchase",
    "van_purchase",
    "recurring_buy_order",
    "crypto_exchange",
    "crypto_viban_exchange",
    "crypto_to_van_sell_order",
    "trading.limit_order.fiat_wallet.sell_commit",
    "trading.limit_order.cash_account.sell_commit",
];

/// Moves inside the app: the coins stay the user's.
const INTERNAL: [&str; 20] = [
    "crypto_earn_program_created",
    "crypto_earn_program_withdrawn",
    "lockup_lock",
    "lockup_unlock",
    "supercharger_deposit",
    "supercharger_withdrawal",
    "council_node_deposit_created",
    "trading.limit_order.fiat_wallet.purchase_lock",
    "trading.limit_order.fiat_wallet.purchase_unlock",
    "trading.limit_order.fiat_wallet.sell_lock",
    "trading.limit_order.fiat_wallet.sell_unlock",
    "trading.limit_order.cash_account.purchase_lock",
    "trading.limit_order.cash_account.purchase_unlock",
    "trading.limit_order.cash_account.sell_lock",
    "trading.limit_order.cash_account.sell_unlock",
    "finance.lockup.dpos_lock.crypto_wallet",
    "finance.lockup.dpos_unlock.crypto_wallet",
    "finance.dpos.staking.crypto_wallet",
    "finance.dpos.unstaking.crypto_wallet",
    "crypto_earn_program_updated",
];

/// Swaps and migrations of one coin into another inside the app.
const SWAPS: [&str; 10] = [
    "lockup_upgrade",
    "lockup_swap_credited",
    "lockup_swap_debited",
    "dynamic_coin_swap_credited",
    "dynamic_coin_swap_debited",
    "dynamic_coin_swap_bonus_exchange_deposit",
    "interest_swap_credited",
    "interest_swap_debited",
    "crypto_wallet_swap_credited",
    "crypto_wallet_swap_debited",
];

/// A row read.
struct Row {
    line: u64,
    time: DateTime<Utc>,
    kind: String,
    desc: String,
    amount: Decimal,
    currency: String,
    to: Option<(Decimal, String)>,
    native: Decimal,
    native_ccy: String,
    /// The row's USD value, when something gives it (see the module doc).
    usd: Option<Decimal>,
    hash: String,
    cells: Vec<String>,
}

/// Reads the export row by row (see [`stream_rows`]), holding back one
/// `dust_conversion_debited` row to pair it with the credit that follows.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c = Cols {
        time: sheet.need(cx, &["Timestamp (UTC)"]),
        desc: sheet.col(&["Transaction Description"]),
        currency: sheet.need(cx, &["Currency"]),
        amount: sheet.need(cx, &["Amount"]),
        to_currency: sheet.col(&["To Currency"]),
        to_amount: sheet.col(&["To Amount"]),
        native_currency: sheet.need(cx, &["Native Currency"]),
        native: sheet.need(cx, &["Native Amount"]),
        native_usd: sheet.col(&["Native Amount (in USD)"]),
        kind: sheet.need(cx, &["Transaction Kind"]),
        hash: sheet.col(&["Transaction Hash"]),
    };
    let mut dust: Vec<Row> = Vec::new();
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        let Some(row) = row else {
            flush_dust(cx, &mut dust, out);
            return;
        };
        if !sheet.data_row(cx, row, c.time, out) {
            return;
        }
        let Some(r) = read(&c, row, cx) else {
            return;
        };
        if r.kind.starts_with("dust_conversion_") {
            // A conversion is its debits and its credit at one second, in
            // either order (the file is newest first).
            if dust.first().is_some_and(|d| d.time != r.time) {
                flush_dust(cx, &mut dust, out);
            }
            dust.push(r);
            return;
        }
        flush_dust(cx, &mut dust, out);
        one_row(r, cx, out);
    })
}

/// The dust rows of one second: one debit and one credit are one trade;
/// any other set is skipped, row by row, to enter by hand.
fn flush_dust(cx: &mut Cx, dust: &mut Vec<Row>, out: &mut Vec<Entry>) {
    if let [a, b] = dust.as_slice()
        && a.amount.is_sign_negative() != b.amount.is_sign_negative()
        && a.kind != b.kind
    {
        pair_dust(cx, dust, out);
        return;
    }
    for r in dust.drain(..) {
        out.push(Entry::skip(
            r.line,
            "Crypto.com dust conversion of several coins at once (or a part of one): the file \
             does not say how much each coin bought; enter the trades by hand",
        ));
    }
}

/// One debit and one credit of one second: a trade of the debited coin for
/// the credited one, at Crypto.com's value of the debit.
fn pair_dust(cx: &mut Cx, dust: &mut Vec<Row>, out: &mut Vec<Entry>) {
    let rows: Vec<Row> = std::mem::take(dust);
    let (debit, credit) = if rows[0].amount.is_sign_negative() {
        (&rows[0], &rows[1])
    } else {
        (&rows[1], &rows[0])
    };
    let (first, second) = (rows[0].line, rows[1].line);
    let mut cells: Vec<&str> = debit.cells.iter().map(String::as_str).collect();
    cells.extend(credit.cells.iter().map(String::as_str));
    let id = cx.content_id(&cells);
    trade_record(
        cx,
        TradeIn {
            id,
            rows: vec![first, second],
            time: debit.time,
            sent: (debit.amount.abs(), debit.currency.clone()),
            received: (credit.amount.abs(), credit.currency.clone()),
            fees: Vec::new(),
            usd_hint: debit.usd.or(credit.usd),
            note: "Crypto.com dust conversion".into(),
        },
        out,
    );
}

fn read(c: &Cols, row: &SheetRow, cx: &mut Cx) -> Option<Row> {
    let line = row.line;
    let get = |i: Option<usize>| i.map_or("", |i| row.get(i).trim());
    let before = cx.problem_count();
    let time = parse_time_cell(
        cx,
        row,
        c.time,
        "Timestamp (UTC)",
        &ISO_NAIVE,
        chrono_tz::UTC,
    );
    let amount = cx.number(row, c.amount, "Amount");
    let native = cx.number(row, c.native, "Native Amount");
    let native_usd = c
        .native_usd
        .and_then(|i| cx.number(row, i, "Native Amount (in USD)"));
    let to_amount = c.to_amount.and_then(|i| cx.number(row, i, "To Amount"));
    if cx.problem_count() != before {
        return None;
    }
    let time = time?;
    let native = native.unwrap_or_default().abs();
    let native_ccy = row.get(c.native_currency).trim().to_ascii_uppercase();
    let to = match (to_amount, get(c.to_currency)) {
        (Some(q), a) if !q.is_zero() && !a.is_empty() => Some((q.abs(), a.to_ascii_uppercase())),
        _ => None,
    };
    // A zero USD figure beside a nonzero native one is not a value.
    let native_usd = native_usd.filter(|u| !u.is_zero() || native.is_zero());
    let usd = match native_usd {
        Some(u) => Some(u.abs()),
        None if native.is_zero() => None,
        None if is_fiat(&native_ccy) => cx.fiat_to_usd(line, time, native, &native_ccy),
        None => None,
    };
    Some(Row {
        line,
        time,
        kind: row.get(c.kind).trim().to_string(),
        desc: get(c.desc).to_string(),
        amount: amount.unwrap_or_default(),
        currency: row.get(c.currency).trim().to_ascii_uppercase(),
        to,
        native,
        native_ccy,
        usd,
        hash: get(c.hash).to_string(),
        cells: row.cells.clone(),
    })
}

fn one_row(r: Row, cx: &mut Cx, out: &mut Vec<Entry>) {
    let line = r.line;
    let kind = r.kind.as_str();
    let skip = |out: &mut Vec<Entry>, why: String| out.push(Entry::skip(line, why));
    if kind.is_empty() {
        skip(
            out,
            format!(
                "Crypto.com row without a kind ({:?}): a fiat wallet move, not a crypto event",
                r.desc
            ),
        );
        return;
    }
    if INTERNAL.contains(&kind) {
        skip(
            out,
            format!("Crypto.com {kind}: a move inside the app, the coins stay yours"),
        );
        return;
    }
    if SWAPS.contains(&kind) {
        skip(
            out,
            format!(
                "Crypto.com {kind}: one coin swapped for another inside the app (a migration \
                 such as MCO to CRO); enter it by hand (a trade, or a migration carrying the \
                 basis over)"
            ),
        );
        return;
    }
    if r.amount.is_zero() {
        skip(out, format!("Crypto.com {kind} of nothing (amount 0)"));
        return;
    }
    if r.currency.is_empty() {
        cx.problem(
            line,
            Some("Currency"),
            None,
            "is empty: fill in the coin's symbol",
        );
        return;
    }
    let account = cx.account.clone();
    let cells: Vec<&str> = r.cells.iter().map(String::as_str).collect();
    let id = cx.content_id(&cells);
    let mut note = format!("Crypto.com {kind}");
    if !r.desc.is_empty() {
        note = format!("{note}: {}", r.desc);
    }
    // Crypto.com's figure, kept when nothing turns it into dollars.
    let value_note = |note: &str, usd: Option<Decimal>| {
        if usd.is_none() && !r.native.is_zero() {
            format!("{note}; value {} {}", fmt_decimal(r.native), r.native_ccy)
        } else {
            note.to_string()
        }
    };
    let q = r.amount.abs();
    let incoming = r.amount.is_sign_positive();
    let rec = |d: Draft| Entry::Rec {
        rows: vec![line],
        rec: d.finish(&account),
    };
    if INCOME.contains(&kind) {
        if !incoming {
            skip(
                out,
                format!("Crypto.com {kind} with a negative amount (taken back?): enter it by hand"),
            );
        } else if is_fiat(&r.currency) {
            skip(
                out,
                format!("Crypto.com {kind} paid in {}: not a crypto lot", r.currency),
            );
        } else {
            let usd = r.usd.or_else(|| cx.usd_of(line, q, &r.currency, r.time));
            let n = value_note(&note, r.usd);
            out.push(rec(Draft::new(id, r.time, Kind::Income)
                .category(super::income_category(kind))
                .received(q, &r.currency)
                .usd(usd)
                .note(n)));
        }
        return;
    }
    if EXCHANGES.contains(&kind) {
        let Some(to) = r.to.clone() else {
            cx.problem(
                line,
                Some("To Amount"),
                None,
                format!("is empty: a {kind} row needs To Amount and To Currency"),
            );
            return;
        };
        let note = if is_fiat(&r.currency) || is_fiat(&to.1) {
            note
        } else {
            value_note(&note, r.usd)
        };
        trade_record(
            cx,
            TradeIn {
                id,
                rows: vec![line],
                time: r.time,
                sent: (q, r.currency.clone()),
                received: to,
                fees: Vec::new(),
                usd_hint: r.usd,
                note,
            },
            out,
        );
        return;
    }
    match kind {
        "crypto_purchase" => {
            if !incoming || r.native.is_zero() {
                skip(
                    out,
                    "Crypto.com crypto_purchase without coins in or a price: enter it by hand"
                        .to_string(),
                );
                return;
            }
            trade_record(
                cx,
                TradeIn {
                    id,
                    rows: vec![line],
                    time: r.time,
                    sent: (r.native, r.native_ccy.clone()),
                    received: (q, r.currency.clone()),
                    fees: Vec::new(),
                    usd_hint: r.usd,
                    note,
                },
                out,
            );
        }
        "crypto_deposit"
        | "exchange_to_crypto_transfer"
        | "crypto_withdrawal"
        | "crypto_to_exchange_transfer" => {
            let deposit = kind == "crypto_deposit" || kind == "exchange_to_crypto_transfer";
            if deposit != incoming {
                skip(
                    out,
                    format!(
                        "Crypto.com {kind} with the amount's sign the other way: enter it by hand"
                    ),
                );
                return;
            }
            if is_fiat(&r.currency) {
                skip(
                    out,
                    format!("Crypto.com {kind} of {}: a cash movement", r.currency),
                );
                return;
            }
            let d = if deposit {
                Draft::new(id, r.time, Kind::Deposit).received(q, &r.currency)
            } else {
                Draft::new(id, r.time, Kind::Withdrawal).sent(q, &r.currency)
            };
            out.push(rec(d.txid(&r.hash).note(note)));
        }
        "card_top_up" => {
            // Coins sold for the card's balance in the account's currency.
            if incoming || r.native.is_zero() {
                skip(
                    out,
                    format!("Crypto.com {kind} without coins out or a value: enter it by hand"),
                );
                return;
            }
            trade_record(
                cx,
                TradeIn {
                    id,
                    rows: vec![line],
                    time: r.time,
                    sent: (q, r.currency.clone()),
                    received: (r.native, r.native_ccy.clone()),
                    fees: Vec::new(),
                    usd_hint: r.usd,
                    note,
                },
                out,
            );
        }
        "crypto_payment" => {
            if incoming {
                skip(
                    out,
                    format!("Crypto.com {kind} with coins coming in (a refund?): enter it by hand"),
                );
                return;
            }
            let usd = r.usd.or_else(|| cx.usd_of(line, q, &r.currency, r.time));
            let n = value_note(&note, r.usd);
            out.push(rec(Draft::new(id, r.time, Kind::Spend)
                .sent(q, &r.currency)
                .usd(usd)
                .note(n)));
        }
        "card_cashback_reverted" | "reimbursement_reverted" => skip(
            out,
            format!(
                "Crypto.com {kind}: an earlier cashback or reimbursement taken back; lower or \
                 delete that income row by hand"
            ),
        ),
        "crypto_payment_refund" => skip(
            out,
            format!(
                "Crypto.com {kind}: coins of an earlier crypto payment given back; lower or \
                 delete that spend by hand"
            ),
        ),
        "airdrop_locked" => skip(
            out,
            format!("Crypto.com {kind}: an airdrop not yet claimable, not in the wallet"),
        ),
        "viban_deposit" | "viban_card_top_up" | "viban_withdrawal" => skip(
            out,
            format!("Crypto.com {kind}: a fiat wallet move, not a crypto event"),
        ),
        "crypto_transfer" => skip(
            out,
            format!(
                "Crypto.com {kind} (to or from another Crypto.com user): the export does not say \
                 whether it was a payment, a gift or your own account; enter it by hand"
            ),
        ),
        other => skip(
            out,
            format!(
                "unknown Crypto.com transaction kind {other:?}: not imported, enter it by hand"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::import_text as import;

    const HEADER: &str = "Timestamp (UTC),Transaction Description,Currency,Amount,To Currency,To Amount,Native Currency,Native Amount,Transaction Kind";

    #[test]
    fn one_debit_and_one_credit_of_a_second_are_one_dust_trade() {
        let csv = format!(
            "{HEADER}\n\
             2024-06-10 09:00:00,Dust,CRO,3.2,,,EUR,0.30,dust_conversion_credited\n\
             2024-06-10 09:00:00,Dust,ATOM,-0.04,,,EUR,0.30,dust_conversion_debited\n\
             2024-06-09 09:00:00,Dust,CRO,3,,,EUR,0.30,dust_conversion_credited\n\
             2024-06-09 09:00:00,Dust,ATOM,-0.02,,,EUR,0.15,dust_conversion_debited\n\
             2024-06-09 09:00:00,Dust,DOGE,-1,,,EUR,0.15,dust_conversion_debited\n"
        );
        let r = import(&csv).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(
            (
                r[0].kind.as_str(),
                r[0].sent_asset.as_str(),
                r[0].received_qty.as_str()
            ),
            ("trade", "ATOM", "3.2")
        );
        // No USD column and no EUR rate: unvalued, Crypto.com's figure noted.
        assert_eq!(r[0].usd_value, "");
    }

    #[test]
    fn income_in_a_eur_account_keeps_its_value_in_the_note() {
        let csv = format!(
            "{HEADER}\n2024-06-01 00:05:00,Earn,CRO,1.8,,,EUR,0.16,crypto_earn_interest_paid\n"
        );
        let r = import(&csv).unwrap();
        assert_eq!(r[0].kind, "income");
        assert_eq!(r[0].usd_value, "");
        assert!(r[0].note.ends_with("value 0.16 EUR"), "{}", r[0].note);
    }
}
