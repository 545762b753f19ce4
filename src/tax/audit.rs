//! The audit trail of a year's Form 8949 rows: for each row, the lot it drew
//! on, where that lot came from (the input file and line harvest read, and the
//! row's id, which keeps the exchange's own id), and every transfer that
//! carried its units to the account that sold them, with the part of the lot
//! each one lost to its network fee.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;

use super::GainRow;
use crate::engine::{DisposalKind, LotIdx, Move, Origin, Outcome, RowFlag, account_name};
use crate::model::{Kind, Ledger, Row, Sym};
use crate::time::date_in;

/// Where a row was read: the input's display name and its 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source<'a> {
    pub file: &'a str,
    pub line: u32,
    /// The row's id (for an export, harvest's id around the exchange's own).
    pub id: &'a str,
}

impl<'a> Source<'a> {
    /// Where `row` was read.
    pub fn of(ledger: &'a Ledger, row: &'a Row) -> Source<'a> {
        Source {
            file: ledger
                .files
                .get(row.source.file as usize)
                .map_or("?", String::as_str),
            line: row.source.line,
            id: &row.id,
        }
    }
}

/// One transfer that moved a part of the lot.
#[derive(Debug, Clone)]
pub struct TrailMove<'a> {
    pub date: NaiveDate,
    /// The withdrawal (or, from `external`, the deposit) that moved it.
    pub source: Source<'a>,
    /// The deposit it arrived with, when paired.
    pub deposit: Option<Source<'a>>,
    pub from: &'a str,
    pub to: &'a str,
    /// Units of this lot moved.
    pub quantity: Decimal,
    /// Units of this lot the transfer's network fee took.
    pub fee_lost: Decimal,
}

/// One Form 8949 row's trail.
#[derive(Debug, Clone)]
pub struct Trail<'a> {
    pub disposal: Source<'a>,
    pub lot: Source<'a>,
    pub asset: &'a str,
    pub quantity: Decimal,
    /// The lot's row kind (`buy`, `trade`, `income`, `gift-in`, ...).
    pub acquired_by: Kind,
    pub account_acquired: &'a str,
    pub date_acquired: NaiveDate,
    pub account_sold: &'a str,
    pub date_sold: NaiveDate,
    pub proceeds: Decimal,
    pub cost_basis: Decimal,
    pub gain: Decimal,
    /// The transfers that carried the units, oldest first.
    pub moves: Vec<TrailMove<'a>>,
    /// The warnings of the run that reach this row's figures (see [`flags`]).
    pub flags: Vec<&'static str>,
}

/// The warnings that reach a Form 8949 row drawn on `lot` by the disposal on
/// row `sold`: those the engine marked on the disposal's row, on the lot's
/// row (`lot-` before the name: its basis), and those the lot's origin
/// implies.
fn flags(
    outcome: &Outcome,
    by_row: &HashMap<u32, Vec<RowFlag>>,
    allocated_by_default: bool,
    allocated: &rustc_hash::FxHashSet<LotIdx>,
    sold: u32,
    lot: LotIdx,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    let l = &outcome.lots[lot as usize];
    match l.origin {
        Origin::Shortfall => out.push("zero-basis-shortfall"),
        Origin::UnknownDeposit => out.push("unknown-basis-deposit"),
        _ => {}
    }
    for f in by_row.get(&sold).into_iter().flatten() {
        out.push(f.as_str());
    }
    if l.row != sold {
        out.extend(
            by_row
                .get(&l.row)
                .into_iter()
                .flatten()
                .filter_map(|f| f.lot_str()),
        );
    }
    if allocated_by_default && allocated.contains(&lot) {
        out.push("allocated-by-default-rule");
    }
    // A row with two fees valued the same way is flagged once.
    let mut seen = Vec::with_capacity(out.len());
    out.retain(|f| {
        let new = !seen.contains(f);
        seen.push(*f);
        new
    });
    out
}

/// One lot's moves, in ledger order, linked for walking back a trail: each
/// row of a lot sold in thousands of parts after thousands of moves once
/// looked through all the moves before it.
#[derive(Default)]
struct LotMoves {
    /// Indices into the outcome's moves.
    all: Vec<usize>,
    /// For each, the latest move before it into the account it left (from
    /// another account): the one a trail walking back takes next.
    prev: Vec<Option<usize>>,
    /// Per account, the moves into it from another account, in order.
    into: HashMap<Sym, Vec<usize>>,
}

impl LotMoves {
    /// The lot's moves `all` (indices into `moves`, in ledger order).
    fn new(moves: &[Move], all: Vec<usize>) -> LotMoves {
        let mut prev = Vec::with_capacity(all.len());
        let mut into: HashMap<Sym, Vec<usize>> = HashMap::default();
        for (p, &k) in all.iter().enumerate() {
            let m = &moves[k];
            prev.push(into.get(&m.from).and_then(|v| v.last().copied()));
            if m.to != m.from {
                into.entry(m.to).or_default().push(p);
            }
        }
        LotMoves { all, prev, into }
    }

    /// The latest of the first `end` moves into `account` from another.
    fn last_into(&self, account: Sym, end: usize) -> Option<usize> {
        let v = self.into.get(&account)?;
        let n = v.partition_point(|&p| p < end);
        n.checked_sub(1).map(|i| v[i])
    }

    /// The moves that brought the lot's units to `account` before its first
    /// `end` moves ended, oldest first: walking back, each the latest move
    /// into the account the one after it left.
    fn trail(&self, account: Sym, end: usize) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut next = self.last_into(account, end);
        while let Some(p) = next {
            chain.push(self.all[p]);
            next = self.prev[p];
        }
        chain.reverse();
        chain
    }
}

/// The trails of `rows` (a year's Form 8949 rows), from a run made with
/// [`crate::engine::Config::trace_moves`].
pub fn trails<'a>(
    ledger: &'a Ledger,
    outcome: &Outcome,
    rows: &[&GainRow],
    tz: chrono_tz::Tz,
) -> Vec<Trail<'a>> {
    // Only the lots the rows drew on are looked at.
    let mut by_lot: HashMap<LotIdx, Vec<usize>> = HashMap::default();
    for r in rows {
        by_lot.entry(r.lot).or_default();
    }
    let mut fee_rows: HashMap<u32, usize> = HashMap::default();
    for (k, m) in outcome.moves.iter().enumerate() {
        if let Some(v) = by_lot.get_mut(&m.lot) {
            v.push(k);
            fee_rows.insert(m.row, usize::MAX);
        }
    }
    let moves_of: HashMap<LotIdx, LotMoves> = by_lot
        .into_iter()
        .map(|(lot, all)| (lot, LotMoves::new(&outcome.moves, all)))
        .collect();
    for (di, d) in outcome.disposals.iter().enumerate() {
        if d.kind == DisposalKind::NetworkFee
            && let Some(slot) = fee_rows.get_mut(&d.row)
        {
            *slot = di;
        }
    }
    let mut flagged: HashMap<u32, Vec<RowFlag>> = HashMap::default();
    for &(row, f) in &outcome.flags {
        flagged.entry(row).or_default().push(f);
    }
    let allocated_by_default = outcome.warnings.count("allocation rule not named") > 0;
    let allocated: rustc_hash::FxHashSet<LotIdx> = if allocated_by_default {
        outcome.allocation.iter().map(|a| a.lot).collect()
    } else {
        Default::default()
    };
    let lost = |w: u32, lot: LotIdx| -> Decimal {
        match fee_rows.get(&w) {
            Some(&di) if di != usize::MAX => outcome
                .legs_of(&outcome.disposals[di])
                .iter()
                .filter(|l| l.lot == lot)
                .map(|l| l.qty)
                .sum(),
            _ => Decimal::ZERO,
        }
    };
    rows.iter()
        .map(|r| {
            let d = &outcome.disposals[r.disposal as usize];
            let drow = &ledger.rows[d.row as usize];
            let lot = &outcome.lots[r.lot as usize];
            let lrow = &ledger.rows[lot.row as usize];
            // Walk back from the selling account through the moves that
            // brought units of this lot there (the lot's moves before the
            // sale: moves are in ledger order).
            let no_moves = LotMoves::default();
            let lm = moves_of.get(&r.lot).unwrap_or(&no_moves);
            let end = lm.all.partition_point(|&k| outcome.moves[k].row < d.row);
            let mut chain = lm.trail(drow.account, end);
            // Sold where it was acquired, the units never left. In a universal
            // pool they need not have come to the selling account: then every
            // earlier move of the lot is listed.
            if chain.is_empty() && drow.account != lrow.account {
                chain = lm.all[..end].to_vec();
            }
            let moves = chain
                .into_iter()
                .map(|k| {
                    let m = &outcome.moves[k];
                    let mrow = &ledger.rows[m.row as usize];
                    TrailMove {
                        date: date_in(mrow.time, tz),
                        source: Source::of(ledger, mrow),
                        deposit: m
                            .deposit
                            .filter(|&dep| dep != m.row)
                            .map(|dep| Source::of(ledger, &ledger.rows[dep as usize])),
                        from: account_name(ledger, m.from),
                        to: account_name(ledger, m.to),
                        quantity: m.qty,
                        fee_lost: lost(m.row, m.lot),
                    }
                })
                .collect();
            Trail {
                disposal: Source::of(ledger, drow),
                lot: Source::of(ledger, lrow),
                asset: ledger.syms.name(d.asset),
                quantity: r.quantity,
                acquired_by: lrow.kind,
                account_acquired: ledger.syms.name(lrow.account),
                date_acquired: r.date_acquired,
                account_sold: ledger.syms.name(drow.account),
                date_sold: r.date_sold,
                proceeds: r.proceeds,
                cost_basis: r.cost_basis,
                gain: r.gain,
                moves,
                flags: flags(
                    outcome,
                    &flagged,
                    allocated_by_default,
                    &allocated,
                    d.row,
                    r.lot,
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Config, run};
    use crate::ledger::LedgerBuilder;
    use crate::tax::{BoxRules, build_rows};
    use chrono_tz::Tz;

    /// A lot bought on Coinbase moves to a Ledger, then to Kraken (losing
    /// 0.0001 to a network fee on the way), and is sold there in two years:
    /// each sale's trail names the buy's line and both transfers.
    #[test]
    fn a_lot_through_three_wallets_sold_in_two_years() {
        let text = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n\
b1,2023-01-05T00:00:00Z,coinbase,buy,10000,USD,1,BTC,,,,,,\n\
w1,2023-06-01T00:00:00Z,coinbase,withdrawal,1,BTC,,,,,,,t1,\n\
d1,2023-06-01T01:00:00Z,ledger,deposit,,,1,BTC,,,,,t1,\n\
w2,2024-03-01T00:00:00Z,ledger,withdrawal,0.9999,BTC,,,0.0001,BTC,,6,t2,\n\
d2,2024-03-01T01:00:00Z,kraken,deposit,,,0.9999,BTC,,,,,t2,\n\
s1,2024-08-01T00:00:00Z,kraken,sell,0.5,BTC,30000,USD,,,,,,\n\
s2,2025-02-01T00:00:00Z,kraken,sell,0.4999,BTC,40000,USD,,,,,,\n";
        let mut b = LedgerBuilder::new(Tz::UTC);
        b.read_csv(text.as_bytes(), "ledger.csv").unwrap();
        let l = b.finish().unwrap();
        let cfg = Config {
            trace_moves: true,
            ..Config::default()
        };
        let o = run(&l, &cfg, None, None, None).unwrap();
        let rows = build_rows(&l, &o, &BoxRules::default());
        let sales: Vec<&GainRow> = rows
            .iter()
            .filter(|r| o.disposals[r.disposal as usize].kind == DisposalKind::Sale)
            .collect();
        let t = trails(&l, &o, &sales, Tz::UTC);
        assert_eq!(t.len(), 2);
        for tr in &t {
            assert_eq!(
                tr.lot,
                Source {
                    file: "ledger.csv",
                    line: 2,
                    id: "b1"
                }
            );
            assert_eq!(tr.account_acquired, "coinbase");
            assert_eq!(tr.account_sold, "kraken");
            let path: Vec<(&str, &str, &str)> = tr
                .moves
                .iter()
                .map(|m| (m.source.id, m.from, m.to))
                .collect();
            assert_eq!(
                path,
                [("w1", "coinbase", "ledger"), ("w2", "ledger", "kraken")]
            );
            assert_eq!(tr.moves[0].deposit.map(|d| d.line), Some(4));
            assert_eq!(tr.moves[1].fee_lost, Decimal::new(1, 4));
            assert_eq!(tr.moves[1].quantity, Decimal::new(9999, 4));
        }
        assert_eq!(t[0].disposal.id, "s1");
        assert_eq!(t[1].disposal.line, 8);
    }

    /// A buy whose ETH fee is valued at the price an earlier row implied
    /// flags the rows that sell its lot (their basis rests on it); a trade
    /// valued from a price two days old flags its own rows.
    #[test]
    fn rows_resting_on_a_warning_are_flagged() {
        let text = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n\
e1,2024-01-01T00:00:00Z,kraken,buy,2000,USD,1,ETH,,,,,,\n\
b1,2024-01-02T00:00:00Z,kraken,buy,30000,USD,1,BTC,0.01,ETH,,,,\n\
t1,2024-03-05T00:00:00Z,kraken,trade,0.5,BTC,10,ETH,,,,,,\n";
        let mut b = LedgerBuilder::new(Tz::UTC);
        b.read_csv(text.as_bytes(), "ledger.csv").unwrap();
        let l = b.finish().unwrap();
        let prices = crate::readers::prices::PriceTable::read(
            "time,asset,price\n2024-03-03,BTC,60000\n".as_bytes(),
            "prices.csv",
            Tz::UTC,
        )
        .unwrap();
        let cfg = Config {
            trace_moves: true,
            ..Config::default()
        };
        let o = run(&l, &cfg, Some(&prices), None, None).unwrap();
        let rows = build_rows(&l, &o, &BoxRules::default());
        let sales: Vec<&GainRow> = rows
            .iter()
            .filter(|r| {
                l.rows[o.disposals[r.disposal as usize].row as usize]
                    .id
                    .as_str()
                    == "t1"
            })
            .collect();
        let t = trails(&l, &o, &sales, Tz::UTC);
        assert_eq!(t.len(), 1);
        assert_eq!(
            t[0].flags,
            ["price-older-than-24h", "lot-fee-valued-at-earlier-price"]
        );
    }

    proptest::proptest! {
        /// A lot's trail to an account is what a walk back through its moves
        /// before the sale finds (each move into the account the walk is at,
        /// from another, the walk then at the account it left), for moves
        /// among three accounts, self-moves among them, and any sale.
        #[test]
        fn a_trail_is_the_walk_back_through_the_moves(
            moves in proptest::collection::vec((0u32..3, 0u32..3), 0..60),
            sales in proptest::collection::vec((0usize..61, 0u32..3), 1..10),
        ) {
            let sym = |a: u32| crate::model::Sym::from_index(a + 1);
            let all: Vec<Move> = moves
                .iter()
                .enumerate()
                .map(|(k, &(from, to))| Move {
                    row: k as u32,
                    deposit: None,
                    from: sym(from),
                    to: sym(to),
                    lot: 0,
                    qty: Decimal::ONE,
                })
                .collect();
            let lm = LotMoves::new(&all, (0..all.len()).collect());
            for &(end, account) in &sales {
                let end = end.min(all.len());
                let mut want = Vec::new();
                let mut at = sym(account);
                for k in (0..end).rev() {
                    if all[k].to == at && all[k].from != at {
                        want.push(k);
                        at = all[k].from;
                    }
                }
                want.reverse();
                proptest::prop_assert_eq!(lm.trail(sym(account), end), want);
            }
        }
    }
}
