//! Electrum's history export (History tab, Export, CSV), every layout seen:
//!
//! - 1.x: `transaction_hash,label,confirmations,value,fee,balance,timestamp`
//! - 2.x: `transaction_hash,label,confirmations,value,timestamp` (also without
//!   `confirmations`), times to the minute, values with a sign (`+0.5`)
//! - 3.3 to 4.5: `transaction_hash,label,confirmations,value,fiat_value,fee,fiat_fee,timestamp`
//! - 4.6 on: `oc_transaction_hash,ln_payment_hash,label,confirmations,amount_chain_bc,
//!   amount_lightning_bc,fiat_value,network_fee_satoshi,fiat_fee,timestamp`
//!   (`network_fee_bc`, in BTC, in later versions).
//!
//! Fee convention: `value` is the signed change of the wallet's balance (the
//! running `balance` column of 1.x is its sum), so a send's value includes the
//! network fee the wallet paid. The ledger's withdrawal is what left towards
//! the recipient, |value| - fee, with the fee on top in BTC; a receive is a
//! deposit of value (a fee shown on it was the sender's). A send whose value is
//! the fee alone (a self-transfer) is a `fee` row. Without a fee column (2.x)
//! the fee stays inside the withdrawal's quantity.
//!
//! 1.x's `balance`, the wallet's BTC after the row (oldest row first), is kept
//! for each row read with a time, for `harvest balances` to compare with the
//! ledger's. Its first row may be one without a hash or a time (`unknown`):
//! the part of the balance whose history the wallet did not have. It is
//! skipped with the rows that have no time, so every later balance differs
//! from the ledger's by it (one divergence, at the first dated row) until it
//! is entered by hand.
//!
//! Amounts are BTC (`network_fee_satoshi` in satoshis). The file never names
//! the coin (rows are BTC) nor the currency of `fiat_value`/`fiat_fee`
//! (Electrum's setting, EUR by default), so the fiat columns are not a USD
//! value and are not read. Times are the exporting computer's
//! local time, without a zone: they are read in `--tz`. Rows with no
//! confirmation or no time are skipped until a later export has them;
//! Lightning payments (4.6 on) are not on-chain and are skipped, naming them,
//! while the on-chain part of a channel open or close is booked.
//!
//! [`wallet_row`] turns one row of a Bitcoin wallet's history into a ledger
//! row; Sparrow's reader (`sparrow`) shares it.

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use super::draft::{fmt_decimal, fmt_time};
use super::{Cx, Draft, Entry, ImportError, RowStream, Sheet, SheetRow, mul, parse_time_cell};
use crate::model::Kind;

/// Every column some Electrum version writes: a header with any other column
/// (a fork's `asset`) is not Electrum's Bitcoin history.
const COLUMNS: [&str; 15] = [
    "transaction_hash",
    "oc_transaction_hash",
    "ln_payment_hash",
    "label",
    "confirmations",
    "value",
    "amount_chain_bc",
    "amount_lightning_bc",
    "fiat_value",
    "fee",
    "network_fee_satoshi",
    "network_fee_bc",
    "fiat_fee",
    "balance",
    "timestamp",
];

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    (has("transaction_hash") || has("oc_transaction_hash"))
        && has("label")
        && (has("value") || has("amount_chain_bc"))
        && has("timestamp")
        && h.iter().all(|c| COLUMNS.contains(&c.as_str()))
}

struct Cols {
    txid: usize,
    label: usize,
    confirmations: Option<usize>,
    value: usize,
    lightning: Option<usize>,
    /// The fee column and whether it counts satoshis.
    fee: Option<(usize, bool)>,
    /// 1.x's running `balance`: the wallet's BTC after the row.
    balance: Option<usize>,
    time: usize,
}

/// Reads the export's rows: those already in `sheet`, then the rest of
/// `stream`, one at a time.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let fee = match sheet.col(&["network_fee_satoshi"]) {
        Some(i) => Some((i, true)),
        None => sheet.col(&["fee", "network_fee_bc"]).map(|i| (i, false)),
    };
    let c = Cols {
        txid: sheet.need(cx, &["transaction_hash", "oc_transaction_hash"]),
        label: sheet.need(cx, &["label"]),
        confirmations: sheet.col(&["confirmations"]),
        value: sheet.need(cx, &["value", "amount_chain_bc"]),
        lightning: sheet.col(&["amount_lightning_bc"]),
        fee,
        balance: sheet.col(&["balance"]),
        time: sheet.need(cx, &["timestamp"]),
    };
    let mut row = SheetRow::default();
    if cx.failed() {
        // The rows are still read: a CSV error in them is the one to report.
        while stream.next_into(&mut row)? {}
        return Ok(());
    }
    for r in &sheet.rows {
        if let Some(e) = one_row(&c, sheet, r, cx) {
            emit(cx, e);
        }
    }
    while stream.next_into(&mut row)? {
        if let Some(e) = one_row(&c, sheet, &row, cx) {
            emit(cx, e);
        }
    }
    Ok(())
}

/// Times as Electrum's versions write them (2.x to the minute).
const TIMES: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
];

fn one_row(c: &Cols, sheet: &Sheet, row: &SheetRow, cx: &mut Cx) -> Option<Entry> {
    if !sheet.check_width(cx, row, 0) {
        return None;
    }
    let line = row.line;
    if row.is_blank() {
        return Some(Entry::skip(line, "blank or footer row"));
    }
    let before = cx.problem_count();
    // Only a Lightning row (4.6 on) has no on-chain amount.
    if c.lightning.is_none() && row.get(c.value).is_empty() {
        let name = sheet.header.get(c.value).map_or("value", String::as_str);
        cx.problem(line, Some(name), None, "is empty; this row needs it");
    }
    let value = btc(cx, row, c.value, sheet).unwrap_or_default();
    let lightning = c
        .lightning
        .and_then(|i| btc(cx, row, i, sheet))
        .unwrap_or_default();
    if cx.problem_count() != before {
        return None;
    }
    if value.is_zero() && !lightning.is_zero() {
        return Some(Entry::skip(
            line,
            "Lightning payment (not on-chain): not imported, enter it by hand (a payment sent \
             is a spend, one received income or a deposit)",
        ));
    }
    let confirmations = c.confirmations.map(|i| row.get(i)).unwrap_or("");
    if !confirmations.is_empty() {
        match confirmations.parse::<i64>() {
            Ok(n) if n <= 0 => {
                return Some(Entry::skip(
                    line,
                    "unconfirmed transaction (0 confirmations): not final; export again once \
                     it is in a block",
                ));
            }
            Ok(_) => {}
            Err(_) => {
                cx.bad_cell(
                    line,
                    "confirmations",
                    confirmations,
                    "is not a whole number of confirmations",
                );
                return None;
            }
        }
    }
    // Unconfirmed or unverified transactions have no time (empty, or a word
    // such as `unconfirmed` in 2.x).
    let time_cell = row.get(c.time);
    if !time_cell.bytes().any(|b| b.is_ascii_digit()) {
        return Some(Entry::skip(
            line,
            "no time in the export (an unconfirmed or not yet verified transaction): export \
             again once Electrum shows its date",
        ));
    }
    let tz = cx.opts.tz;
    let time = parse_time_cell(cx, row, c.time, "timestamp", &TIMES, tz)?;
    let fee = match c.fee {
        Some((i, sats)) => fee_cell(cx, row, i, sats, sheet),
        None => None,
    };
    let balance = c.balance.and_then(|i| btc(cx, row, i, sheet));
    if cx.problem_count() != before {
        return None;
    }
    // The wallet's own balance after the row, for the comparison with the
    // ledger's (`harvest balances`); a zero-value row states one too.
    if let Some(balance) = balance {
        cx.report_balance(line, time, "BTC", balance);
    }
    if value.is_zero() {
        return Some(Entry::skip(
            line,
            "zero value: nothing moved in or out of the wallet",
        ));
    }
    let txid = row.get(c.txid);
    // A grouped row with no transaction of its own is written `----`.
    let txid = if txid.bytes().all(|b| b == b'-') {
        ""
    } else {
        txid
    };
    let channel = (!lightning.is_zero()).then_some(
        "on-chain part of a Lightning channel open or close (the channel's payments are not \
         imported)",
    );
    Some(wallet_row(
        cx,
        WalletRow {
            line,
            time,
            txid,
            label: row.get(c.label),
            value,
            fee,
            fee_column: c.fee.is_some(),
            // The fiat columns do not say their currency: not a USD value.
            usd: None,
            fee_usd: None,
            extra: channel,
        },
    ))
}

/// An amount in BTC as Electrum writes it (`-0.0012`, `+1.`, `0.5 BTC`); None
/// when empty, or a problem (also None) when it is not a BTC amount.
fn btc(cx: &mut Cx, row: &SheetRow, col: usize, sheet: &Sheet) -> Option<Decimal> {
    let name = sheet.header.get(col).map_or("value", String::as_str);
    let cell = row.get(col);
    if cell == "--" {
        cx.bad_cell(
            row.line,
            name,
            cell,
            "is Electrum's mark for an amount it did not know (the wallet was not synchronized); \
             let it synchronize and export again",
        );
        return None;
    }
    let a = cx.amount(row, col, name)?;
    match a.unit {
        Some(u) if !u.eq_ignore_ascii_case("BTC") => {
            cx.bad_cell(
                row.line,
                name,
                cell,
                "is not in BTC; harvest reads Electrum's BTC history only",
            );
            None
        }
        _ => Some(a.value),
    }
}

/// The fee cell: BTC, or whole satoshis for `network_fee_satoshi`. Electrum
/// writes an unknown fee as empty, `unknown` or `None`: no fee.
fn fee_cell(cx: &mut Cx, row: &SheetRow, col: usize, sats: bool, sheet: &Sheet) -> Option<Decimal> {
    let cell = row.get(col);
    if cell.eq_ignore_ascii_case("unknown") || cell.eq_ignore_ascii_case("none") {
        return None;
    }
    if !sats {
        return btc(cx, row, col, sheet).map(|f| f.abs());
    }
    let n = cx.number(row, col, "network_fee_satoshi")?;
    if !n.fract().is_zero() {
        cx.bad_cell(
            row.line,
            "network_fee_satoshi",
            cell,
            "is not a whole number of satoshis",
        );
        return None;
    }
    Some(sats_to_btc(n.abs()))
}

/// Satoshis as BTC.
pub(crate) fn sats_to_btc(n: Decimal) -> Decimal {
    let mut q = n;
    // A shift of the point: exact for any whole number of satoshis.
    if q.set_scale(q.scale() + 8).is_err() {
        return n / Decimal::from(100_000_000u32);
    }
    q.normalize()
}

/// One row of a Bitcoin wallet's history, as the wallet's export states it.
pub(crate) struct WalletRow<'a> {
    /// The input line.
    pub line: u64,
    pub time: DateTime<Utc>,
    /// The transaction hash ("" when the row has none).
    pub txid: &'a str,
    /// The user's label for the transaction.
    pub label: &'a str,
    /// The signed change of the wallet's balance in BTC; a send's includes
    /// the network fee the wallet paid.
    pub value: Decimal,
    /// That network fee in BTC, when the export knows it.
    pub fee: Option<Decimal>,
    /// Whether the export has a fee column at all.
    pub fee_column: bool,
    /// The USD value of the whole change (a magnitude), when the export gives one.
    pub usd: Option<Decimal>,
    /// The USD value of the fee, when the export gives it apart.
    pub fee_usd: Option<Decimal>,
    /// More for the note.
    pub extra: Option<&'a str>,
}

/// The ledger row of a wallet's history row: a receive is a `deposit` of the
/// value; a send a `withdrawal` of |value| less the fee, with the fee on top
/// (the ledger's convention); a send of the fee alone (a self-transfer, or a
/// loss no larger than the fee) a `fee` row. A USD value of the whole change
/// is shared between what was sent and the fee in proportion (to the cent)
/// unless the export values the fee apart. Ids are `<prefix>-<txid>-<in|out|fee>-<satoshis>`:
/// the same transaction seen by two wallets of the user (a move between
/// them, or a mix spread over several wallets) makes distinct rows, and the
/// same wallet exported twice, or by Electrum and by Sparrow, the same ids.
pub(crate) fn wallet_row(cx: &mut Cx, r: WalletRow) -> Entry {
    let line = r.line;
    let out = r.value.abs();
    let fee = if r.value.is_sign_negative() {
        r.fee.filter(|f| !f.is_zero()).unwrap_or_default()
    } else {
        // A receive's fee was the sender's.
        Decimal::ZERO
    };
    let (dir, kind) = if !r.value.is_sign_negative() {
        ("in", Kind::Deposit)
    } else if fee >= out {
        ("fee", Kind::Fee)
    } else {
        ("out", Kind::Withdrawal)
    };
    let id = if r.txid.is_empty() {
        let value = r.value.to_string();
        cx.content_id(&[&fmt_time(r.time), &value, r.label])
    } else {
        let sats = fmt_decimal(mul(out, Decimal::from(100_000_000u32)));
        cx.exchange_id(&format!("{}-{dir}-{sats}", r.txid))
    };
    let mut note: Vec<&str> = Vec::new();
    if !r.label.is_empty() {
        note.push(r.label);
    }
    if let Some(x) = r.extra {
        note.push(x);
    }
    let d = Draft::new(id, r.time, kind).txid(r.txid);
    let d = match kind {
        Kind::Deposit => d.received(out, "BTC").usd(r.usd),
        Kind::Fee => {
            note.push(if fee > out {
                "the wallet lost less than the network fee (others' inputs paid part of it): \
                 what it lost is booked as the fee"
            } else {
                "self-transfer: only the network fee left the wallet"
            });
            let fee_usd = r
                .usd
                .or(r.fee_usd)
                .or_else(|| cx.price(line, "BTC", r.time).map(|p| cent(mul(out, p))));
            d.fee(out, "BTC").fee_usd(fee_usd)
        }
        _ => {
            let sent = out - fee;
            // A fee the export values apart, else its share of the whole value.
            let fee_usd = if fee.is_zero() {
                None
            } else {
                r.fee_usd.or_else(|| {
                    r.usd
                        .map(|total| cent(mul(total, fee).checked_div(out).unwrap_or_default()))
                })
            };
            let usd = r
                .usd
                .map(|u| (u - fee_usd.unwrap_or_default()).max(Decimal::ZERO));
            if !r.fee_column {
                note.push("the export has no fee column: the network fee is inside the quantity");
            } else if fee.is_zero() {
                // Electrum and Sparrow leave it out when an input was not the
                // wallet's (a payjoin, a coinjoin).
                note.push(
                    "the export gives no fee for this send: any network fee the wallet paid is \
                     inside the quantity",
                );
            }
            d.sent(sent, "BTC")
                .fee(fee, "BTC")
                .usd(usd)
                .fee_usd(fee_usd)
        }
    };
    let account = cx.account.clone();
    Entry::Rec {
        rows: vec![line],
        rec: d.note(note.join("; ")).finish(&account),
    }
}

/// Rounded to the cent, half away from zero.
fn cent(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satoshis_and_electrum_amounts() {
        assert_eq!(sats_to_btc(Decimal::from(2100)).to_string(), "0.000021");
        assert_eq!(
            sats_to_btc(Decimal::from(2_100_000_000_000_000u64)).to_string(),
            "21000000"
        );
        for (cell, want) in [
            ("1.", "1"),
            ("+0.5", "0.5"),
            ("-0.0012 BTC", "-0.0012"),
            ("0.", "0"),
        ] {
            let a = super::super::num::parse_amount(cell).unwrap().unwrap();
            assert_eq!(a.value.normalize().to_string(), want, "{cell}");
        }
    }

    #[test]
    fn a_send_of_the_fee_alone_is_a_fee_row() {
        let opts = super::super::ImportOptions {
            account: None,
            accounts: Default::default(),
            prices: None,
            tz: chrono_tz::Tz::UTC,
        };
        let mut cx = Cx::new(&opts, "w".into(), super::super::Format::Electrum);
        let time = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut row = |value: &str, fee: &str| {
            let r = WalletRow {
                line: 2,
                time,
                txid: "ab",
                label: "",
                value: value.parse().unwrap(),
                fee: Some(fee.parse().unwrap()),
                fee_column: true,
                usd: Some(Decimal::from(3)),
                fee_usd: None,
                extra: None,
            };
            match wallet_row(&mut cx, r) {
                Entry::Rec { rec, .. } => rec,
                Entry::Skip { .. } | Entry::Extra { .. } => panic!("no record"),
            }
        };
        let r = row("-0.00002", "0.00002");
        assert_eq!(
            (
                r.kind.as_str(),
                r.id.as_str(),
                r.fee_qty.as_str(),
                r.fee_usd.as_str()
            ),
            ("fee", "btc-wallet-ab-fee-2000", "0.00002", "3")
        );
        // Others' inputs paid part of the fee: the wallet's loss is the fee.
        let r = row("-0.00001", "0.00002");
        assert_eq!((r.kind.as_str(), r.fee_qty.as_str()), ("fee", "0.00001"));
        assert!(
            r.note.contains("lost less than the network fee"),
            "{}",
            r.note
        );
        // A receive's fee was the sender's.
        let r = row("0.5", "0.0001");
        assert_eq!((r.kind.as_str(), r.fee_qty.as_str()), ("deposit", ""));
    }

    /// 1.x's running balance is kept for each row read with a time, zero
    /// value included, as BTC; unconfirmed and undated rows state none.
    #[test]
    fn the_running_balance_of_1x_is_kept() {
        let text = "transaction_hash,label,confirmations,value,fee,balance,timestamp\n\
,,1000,+0.1,0,0.1,unknown\n\
aa,,300,+1.2,0,1.3,2013-08-20 15:43\n\
bb,,200,-0.2005,0.0005,1.0995,2013-08-22 09:10\n\
cc,,100,0.,0,1.0995,2013-08-23 10:00\n\
dd,,0,+0.5,0,1.5995,pending\n";
        let got = crate::import::import_whole(text).unwrap();
        let b: Vec<(u64, String, &str, String)> = got
            .balances
            .iter()
            .map(|b| {
                (
                    b.line,
                    b.time.to_rfc3339(),
                    b.asset.as_str(),
                    b.balance.to_string(),
                )
            })
            .collect();
        let row =
            |line, time: &str, balance: &str| (line, time.to_string(), "BTC", balance.to_string());
        assert_eq!(
            b,
            [
                row(3, "2013-08-20T15:43:00+00:00", "1.3"),
                row(4, "2013-08-22T09:10:00+00:00", "1.0995"),
                row(5, "2013-08-23T10:00:00+00:00", "1.0995"),
            ]
        );
        assert!(got.balances.iter().all(|b| b.account == "electrum"));
    }

    #[test]
    fn header_layouts() {
        let h = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
        for ok in [
            "transaction_hash,label,confirmations,value,fee,balance,timestamp",
            "transaction_hash,label,confirmations,value,timestamp",
            "transaction_hash,label,value,timestamp",
            "transaction_hash,label,confirmations,value,fiat_value,fee,fiat_fee,timestamp",
            "oc_transaction_hash,ln_payment_hash,label,confirmations,amount_chain_bc,amount_lightning_bc,fiat_value,network_fee_satoshi,fiat_fee,timestamp",
            "oc_transaction_hash,ln_payment_hash,label,confirmations,amount_chain_bc,amount_lightning_bc,fiat_value,network_fee_bc,fiat_fee,timestamp",
        ] {
            assert!(matches(&h(ok)), "{ok}");
        }
        // A fork's extra column: not Electrum's Bitcoin history.
        assert!(!matches(&h(
            "transaction_hash,label,confirmations,value,asset,fiat_value,fee,fiat_fee,timestamp"
        )));
    }
}
