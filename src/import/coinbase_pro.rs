//! Coinbase Pro / Exchange account statement:
//! `portfolio,type,time,amount,balance,amount/balance unit,transfer id,trade id,order id`
//! (also without `portfolio`, and the capitalised
//! `Portfolio,Type,Timestamp,Amount,Balance,Amount/balance unit,Transfer id,Trade id,Order id`).
//! Times are ISO-8601 UTC; `amount` is signed.
//!
//! One fill is two `match` rows (the base received or sent, the quote sent or
//! received, both gross) plus a `fee` row, all sharing `trade id` and `order
//! id`; the fee is charged on top, which is the ledger's convention. They make
//! one ledger row with id `coinbase-pro-<order id>-<trade id>` (trade ids are
//! unique per product only). `conversion` rows (USD↔USDC) at one instant make
//! one exchange. Crypto `deposit`/`withdrawal` rows become ledger deposits and
//! withdrawals (id from `transfer id`); USD ones are cash movements, skipped
//! with a reason. A `rebate` is income.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::sheet::{DataRows, hand_over};
use super::{
    Cx, Draft, Entry, ISO_NAIVE, ImportError, RowStream, Sheet, SheetRow, TradeIn, is_fiat,
    once_each, parse_time_cell,
};
use crate::model::{Category, Kind};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c.eq_ignore_ascii_case(n));
    has("type")
        && (has("time") || has("timestamp"))
        && has("amount")
        && has("balance")
        && has("amount/balance unit")
        && has("trade id")
        && has("transfer id")
}

struct Leg {
    line: u64,
    kind: String,
    qty: Decimal,
    asset: String,
    /// [`SheetRow::cells_key`] and whether the row states a balance, for a
    /// fill of more rows than one fill has ([`Group::more_than_one`]).
    cells: Option<(u128, bool)>,
}

/// The columns of a statement.
struct Cols {
    typ: usize,
    time: usize,
    amount: usize,
    unit: usize,
    transfer: usize,
    trade: usize,
    order: Option<usize>,
    balance: Option<usize>,
}

/// A row read: its kind, time, amount and unit (a problem reported if any).
struct Read {
    kind: String,
    time: DateTime<Utc>,
    qty: Decimal,
    asset: String,
}

impl Cols {
    fn read(
        &self,
        sheet: &Sheet,
        cx: &mut Cx,
        row: &SheetRow,
        out: &mut Vec<Entry>,
    ) -> Option<Read> {
        if !sheet.data_row(cx, row, self.time, out) {
            return None;
        }
        let kind = row.get(self.typ).to_ascii_lowercase();
        let time = parse_time_cell(cx, row, self.time, "time", &ISO_NAIVE, chrono_tz::Tz::UTC);
        let qty = cx.required(row, self.amount, "amount");
        let asset = row.get(self.unit).to_ascii_uppercase();
        let (Some(time), Some(qty)) = (time, qty) else {
            return None;
        };
        if asset.is_empty() {
            cx.problem(
                row.line,
                Some("amount/balance unit"),
                None,
                "is empty; this row needs it",
            );
            return None;
        }
        Some(Read {
            kind,
            time,
            qty,
            asset,
        })
    }

    /// The id of a row without one of its own: a hash of its cells. With
    /// the statement's running balance among them, identical rows are one
    /// row repeated (a statement joined with one overlapping it: the balance
    /// after a second such row would differ), so they share the id and the
    /// repeat is a duplicate; without one, the N-th identical row is
    /// numbered, as in other exports.
    fn content_id(&self, cx: &mut Cx, row: &SheetRow) -> String {
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        if self.states_balance(row) {
            cx.content_id_unique(&cells)
        } else {
            cx.content_id(&cells)
        }
    }

    /// Whether the row states the balance after it.
    fn states_balance(&self, row: &SheetRow) -> bool {
        self.balance.is_some_and(|i| !row.get(i).trim().is_empty())
    }

    /// The key of a fill's rows, (order id, trade id), or a conversion's, its
    /// time; None (a problem reported) for a fill row without a trade id.
    fn group_key(&self, cx: &mut Cx, row: &SheetRow, kind: &str) -> Option<String> {
        if kind == "conversion" {
            return Some(format!("conversion-{}", row.get(self.time)));
        }
        let trade = row.get(self.trade);
        if trade.is_empty() {
            cx.problem(row.line, Some("trade id"), None, "is empty on a trade row");
            return None;
        }
        let order = self.order.map_or("", |i| row.get(i));
        Some(if order.is_empty() {
            trade.to_string()
        } else {
            format!("{order}-{trade}")
        })
    }
}

/// What the first reading learns of one fill (or conversion): its first
/// row, time and number of rows.
struct Group {
    first: u64,
    time: DateTime<Utc>,
    rows: usize,
    /// Its `fee` rows.
    fees: usize,
}

impl Group {
    /// Whether it has more rows than one fill (two `match` rows and a
    /// `fee`) or conversion (two rows): only then can a row be repeated.
    fn more_than_one(&self) -> bool {
        self.fees > 1 || self.rows - self.fees > 2
    }
}

/// The statement's entries, read twice a row at a time and never held: the
/// first reading checks every row, makes the entries of the rows outside a
/// fill (and states the balances), and learns each fill's rows (those of one
/// order and trade id, or a conversion's instant: the first, and how many);
/// the second makes the fills in the order of their first rows, holding only
/// the rows of fills not yet complete. The entries come in the order reading
/// the whole file at once gave them.
pub(crate) fn parse_stream<'t>(
    sheet: &Sheet,
    stream: &mut RowStream<'t>,
    again: &mut RowStream<'t>,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let cols = Cols {
        typ: sheet.need(cx, &["type"]),
        time: sheet.need(cx, &["time", "Timestamp"]),
        amount: sheet.need(cx, &["amount"]),
        unit: sheet.need(cx, &["amount/balance unit"]),
        transfer: sheet.need(cx, &["transfer id"]),
        trade: sheet.need(cx, &["trade id"]),
        order: sheet.col(&["order id"]),
        balance: sheet.col(&["balance"]),
    };
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    let mut out = Vec::new();
    // Fills by (order id, trade id); conversions by time: their place in the
    // order of first rows.
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let account = cx.account.clone();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        // The entries of the row before: each row's are handed over before
        // the next is read.
        hand_over(&mut out, cx, emit);
        let Some(Read {
            kind,
            time,
            qty,
            asset,
        }) = cols.read(sheet, cx, row, &mut out)
        else {
            continue;
        };
        // The statement's own balance of the unit after the row, for the
        // comparison with the ledger's (`harvest balances`).
        if !is_fiat(&asset)
            && let Some(balance) = cols.balance.and_then(|i| cx.number(row, i, "balance"))
        {
            cx.report_balance(row.line, time, &asset, balance);
        }
        let c_transfer = cols.transfer;
        match kind.as_str() {
            "match" | "fee" | "conversion" => {
                let Some(key) = cols.group_key(cx, row, &kind) else {
                    continue;
                };
                let next = groups.len();
                let g = *keys.entry(key).or_insert(next);
                if g == next {
                    groups.push(Group {
                        first: row.line,
                        time,
                        rows: 0,
                        fees: 0,
                    });
                }
                groups[g].rows += 1;
                groups[g].fees += usize::from(kind == "fee");
            }
            "deposit" | "withdrawal" => {
                let what = kind.as_str();
                if is_fiat(&asset) {
                    out.push(Entry::skip(
                        row.line,
                        format!("fiat {what}: a cash movement, not a crypto event"),
                    ));
                    continue;
                }
                if qty.is_zero() {
                    out.push(Entry::skip(row.line, format!("zero-amount {what}")));
                    continue;
                }
                let transfer = row.get(c_transfer);
                let id = if transfer.is_empty() {
                    cols.content_id(cx, row)
                } else {
                    cx.exchange_id(transfer)
                };
                let d = if qty.is_sign_negative() {
                    Draft::new(id, time, Kind::Withdrawal).sent(qty, &asset)
                } else {
                    Draft::new(id, time, Kind::Deposit).received(qty, &asset)
                };
                out.push(Entry::Rec {
                    rows: vec![row.line],
                    rec: d.note(format!("Coinbase Pro {what}")).finish(&account),
                });
            }
            "rebate" => {
                if qty.is_sign_negative() || qty.is_zero() {
                    out.push(Entry::skip(row.line, "rebate without a positive amount"));
                    continue;
                }
                if is_fiat(&asset) {
                    out.push(Entry::skip(
                        row.line,
                        "rebate paid in cash: not a crypto lot",
                    ));
                    continue;
                }
                let id = cols.content_id(cx, row);
                let v = cx.value_legs(row.line, time, Some((qty, &asset)), None);
                let d = Draft::new(id, time, Kind::Income)
                    .category(Category::Reward)
                    .received(qty, &asset)
                    .usd(v)
                    .note("Coinbase Pro fee rebate");
                out.push(Entry::Rec {
                    rows: vec![row.line],
                    rec: d.finish(&account),
                });
            }
            other => out.push(Entry::skip(
                row.line,
                format!("unknown Coinbase Pro type {other:?}: not imported, enter it by hand"),
            )),
        }
    }
    hand_over(&mut out, cx, emit);
    // The fills, in the order of their first rows. The rows are read again
    // by a context of their own: their problems were reported above.
    let mut quiet = Cx::new(cx.opts, account, cx.format);
    let mut waiting: HashMap<usize, (String, Vec<Leg>)> = HashMap::new();
    let mut next = 0;
    let mut rows = DataRows::new(sheet, again);
    while let Some(row) = rows.next()? {
        let Some(r) = cols.read(sheet, &mut quiet, row, &mut Vec::new()) else {
            continue;
        };
        if !matches!(r.kind.as_str(), "match" | "fee" | "conversion") {
            continue;
        }
        let Some(key) = cols.group_key(&mut quiet, row, &r.kind) else {
            continue;
        };
        let Some(&g) = keys.get(&key) else {
            continue;
        };
        let leg = Leg {
            line: row.line,
            kind: r.kind,
            qty: r.qty,
            asset: r.asset,
            cells: (groups[g].more_than_one()).then(|| (row.cells_key(), cols.states_balance(row))),
        };
        waiting
            .entry(g)
            .or_insert_with(|| (key, Vec::new()))
            .1
            .push(leg);
        while let Some((_, legs)) = waiting.get(&next)
            && legs.len() >= groups[next].rows
        {
            let (key, legs) = waiting.remove(&next).unwrap_or_default();
            make_fill(cx, &key, &groups[next], legs, &mut out);
            hand_over(&mut out, cx, emit);
            next += 1;
        }
    }
    // Fills left incomplete (the file changed between the readings).
    let mut left: Vec<usize> = waiting.keys().copied().collect();
    left.sort_unstable();
    for g in left {
        let (key, legs) = waiting.remove(&g).unwrap_or_default();
        make_fill(cx, &key, &groups[g], legs, &mut out);
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}

/// The problem of a fill whose rows are not one asset sent and another
/// received.
fn not_netting(cx: &mut Cx, key: &str, g: &Group, legs: &[Leg]) {
    cx.problem(
        g.first,
        None,
        None,
        format!(
            "the {} rows of trade {key} do not net to one asset sent and another received",
            legs.len()
        ),
    );
}

/// Why a fill's row repeated with its balance is skipped.
const ROW_REPEATED: &str = "a fill's row repeated whole, balance included (an export joined \
                            with one overlapping it): counted once";

/// Makes the fill (or conversion) `key` of `legs`, its rows. A fill there
/// k times (each row's copies a multiple of k: a statement joined with one
/// overlapping it) is made once, as Binance's trades are; then a row still
/// repeated whole, balance included, is one row (the overlap began inside
/// the fill: a second real row would leave another balance).
fn make_fill(cx: &mut Cx, key: &str, g: &Group, mut legs: Vec<Leg>, out: &mut Vec<Entry>) {
    if legs.iter().all(|l| l.cells.is_some()) {
        let keys = legs.iter().map(|l| l.cells.map(|(key, _)| key));
        let idx = once_each(keys, |k| legs[k].line, out);
        let mut kept = vec![false; legs.len()];
        for k in idx {
            kept[k] = true;
        }
        let mut kept = kept.into_iter();
        legs.retain(|_| kept.next().unwrap_or(true));
        let mut seen = std::collections::HashSet::new();
        legs.retain(|l| match l.cells {
            Some((key, true)) if !seen.insert(key) => {
                out.push(Entry::skip(l.line, ROW_REPEATED));
                false
            }
            _ => true,
        });
    }
    let legs = legs.as_slice();
    {
        let mut sent: Vec<&Leg> = Vec::new();
        let mut received: Vec<&Leg> = Vec::new();
        let mut fees = Vec::new();
        for l in legs {
            if l.kind == "fee" {
                fees.push((l.qty.abs(), l.asset.clone()));
            } else if l.qty.is_sign_negative() {
                sent.push(l);
            } else {
                received.push(l);
            }
        }
        let rows: Vec<u64> = legs.iter().map(|l| l.line).collect();
        // One asset out and another in: a match row out and one in of the
        // same asset are no trade.
        let (&[s], &[r]) = (sent.as_slice(), received.as_slice()) else {
            return not_netting(cx, key, g, legs);
        };
        if s.asset == r.asset {
            return not_netting(cx, key, g, legs);
        }
        let id = cx.exchange_id(key);
        super::trade_record(
            cx,
            TradeIn {
                id,
                rows,
                time: g.time,
                sent: (s.qty.abs(), s.asset.clone()),
                received: (r.qty.abs(), r.asset.clone()),
                fees,
                usd_hint: None,
                note: String::new(),
            },
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::import::import_text;

    /// The rows outside a fill come first, in file order; then the fills in
    /// the order of their first rows, though a later fill's rows are all read
    /// before an earlier one's last.
    #[test]
    fn fills_after_the_other_rows_in_the_order_of_their_first_rows() {
        let text =
            "portfolio,type,time,amount,balance,amount/balance unit,transfer id,trade id,order id
default,match,2021-03-01T12:00:00.000Z,0.5,0.5,BTC,,7,o1
default,deposit,2021-03-01T11:00:00.000Z,1,1,ETH,t1,,
default,match,2021-03-01T12:00:01.000Z,0.2,0.7,BTC,,8,o2
default,match,2021-03-01T12:00:01.000Z,-2000,8000,USD,,8,o2
default,match,2021-03-01T12:00:00.000Z,-5000,3000,USD,,7,o1
default,fee,2021-03-01T12:00:00.000Z,-5,2995,USD,,7,o1
";
        let ids: Vec<String> = import_text(text)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(
            ids,
            ["coinbase-pro-t1", "coinbase-pro-o1-7", "coinbase-pro-o2-8"]
        );
        // A row with a problem is named once, though the fills are read
        // twice.
        let e = import_text(&text.replace("-2000,", "x,")).unwrap_err();
        assert_eq!(e.matches("t.csv:5").count(), 1, "{e}");
    }

    /// A fill's match rows out and in of one asset are no trade.
    #[test]
    fn a_fill_in_one_asset_is_a_problem() {
        let text =
            "portfolio,type,time,amount,balance,amount/balance unit,transfer id,trade id,order id
default,match,2021-03-01T12:00:00.000Z,0.06,0.06,BTC,,7,o1
default,match,2021-03-01T12:00:00.000Z,-0.05,0.01,BTC,,7,o1
";
        let e = import_text(text).unwrap_err();
        assert!(e.contains("t.csv:2") && e.contains("do not net"), "{e}");
        let fixed = text.replace("-0.05,0.01,BTC", "-3000,0,USD");
        assert_eq!(import_text(&fixed).unwrap()[0].kind, "buy");
    }

    /// A statement joined with one overlapping it: a fill there twice is
    /// made once, and a row repeated whole, balance included, is one row,
    /// in a fill or not; identical rows without a balance outside a fill
    /// are numbered, each counted, and a fill's repeated unevenly is a
    /// problem.
    #[test]
    fn a_statement_joined_with_an_overlapping_one_counts_each_row_once() {
        let head = "portfolio,type,time,amount,balance,amount/balance unit,transfer id,trade id,order id\n";
        let rows = "\
default,deposit,2021-03-01T11:00:00.000Z,1,1,ETH,,,
default,match,2021-03-01T12:00:00.000Z,0.5,0.5,BTC,,7,o1
default,match,2021-03-01T12:00:00.000Z,-5000,3000,USD,,7,o1
default,fee,2021-03-01T12:00:00.000Z,-5,2995,USD,,7,o1
default,rebate,2021-03-02T12:00:00.000Z,0.01,1.01,ETH,,,
";
        let fill = &rows[rows.find("default,match").unwrap()..rows.find("default,rebate").unwrap()];
        let fee = &fill[fill.find("default,fee").unwrap()..];
        let import = |text: &str| crate::import::import_whole(&format!("{head}{text}")).unwrap();
        let cells = |i: &crate::import::Imported| {
            i.records
                .iter()
                .map(|(_, r)| r.fields().map(str::to_string))
                .collect::<Vec<_>>()
        };
        let once = import(rows);
        assert_eq!(once.records.len(), 3);
        let whole = crate::import::accounting::REPEATED;
        // A match row without its balance: the fill is still there twice.
        let part = rows.replace("-5000,3000,", "-5000,,");
        for (text, read, duplicates, reason) in [
            (format!("{rows}{rows}"), 10, 2, whole),
            (format!("{part}{part}"), 10, 2, whole),
            // A fill's fee row alone repeated: the fee once.
            (format!("{rows}{fee}"), 6, 0, super::ROW_REPEATED),
        ] {
            let joined = import(&text);
            assert_eq!(cells(&once), cells(&joined), "{text}");
            assert_eq!(
                (joined.stats.read, joined.stats.duplicates),
                (read, duplicates)
            );
            let skipped = read - once.stats.read - duplicates;
            assert_eq!(joined.stats.skipped.get(reason), Some(&skipped));
        }
        // A fill without a fee row, one of its two rows repeated.
        let no_fee = rows.replace(fee, "");
        let first_match = &fill[..=fill.find('\n').unwrap()];
        let joined = import(&format!("{no_fee}{first_match}"));
        assert_eq!(cells(&import(&no_fee)), cells(&joined));
        assert_eq!(joined.stats.skipped.get(super::ROW_REPEATED), Some(&1));
        // Without a balance: identical rows outside a fill are two rows; a
        // fill's rows all repeated as often are one fill.
        let blank = |text: String| {
            let no_balance = |l: &str| {
                let mut c: Vec<&str> = l.split(',').collect();
                c[4] = "";
                c.join(",")
            };
            text.lines().map(no_balance).collect::<Vec<_>>().join("\n") + "\n"
        };
        let twice = import(&blank(format!("{rows}{rows}")));
        assert_eq!(twice.records.len(), 5);
        assert_eq!(
            twice.stats.skipped.get(crate::import::accounting::REPEATED),
            Some(&3)
        );
        // Unevenly, they make no fill.
        let e = import_text(&format!("{head}{}", blank(format!("{fill}{fill}{fee}")))).unwrap_err();
        assert!(e.contains("do not net"), "{e}");
    }
}
