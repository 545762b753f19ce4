//! Transfers (SPEC section 3, Transfers): pairing withdrawals with deposits, then
//! moving the lots of each pair between accounts (in transit until the deposit,
//! or delivered early when the deposit is stamped late), to and from `external`
//! when unpaired, with the network fees and lost units disposed of.
//!
//! Pairing is first by txid (same asset, the earliest unpaired withdrawal).
//! Then each withdrawal whose note names an own address of an account
//! (harvest.toml `addresses`, see [`super::addresses`]), oldest first, takes
//! the earliest unpaired deposit of its asset in that account made from 2
//! hours before to 7 days after it, whose quantity is between the
//! withdrawal's less its fee in that asset and the withdrawal's (the fee is on
//! top, but an export may have taken it from the amount), whatever the txids
//! say. Then each deposit still unpaired takes the earliest unpaired
//! withdrawal of the same asset, from another account, whose quantity is at
//! least the deposit's, made 0 to 48 hours before it, where the two rows do
//! not carry different txids; a withdrawal to an own address pairs so only
//! with a deposit in that address's account.

use std::collections::BTreeSet;
use std::ops::Bound::{Excluded, Unbounded};

use rustc_hash::FxHashMap as HashMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::addresses::{AddressBook, Destination, Owner};
use super::pool::Pool;
use super::reach::{self, Reach};
use super::skip::Skips;
use super::{DisposalKind, Engine, EngineError, Leg, MissingBasis, Move, Origin, fmt_qty};
use crate::model::{Amount, Kind, Ledger, Row, Sym};

/// How long before a withdrawal its deposit to an own address may be stamped:
/// two files' clocks differ, and a block's timestamp may be off by as much.
pub const OWN_BEFORE: Duration = Duration::hours(2);

/// How long after a withdrawal its deposit to an own address may arrive.
pub const OWN_AFTER: Duration = Duration::days(7);

/// A withdrawal whose note names an own address.
#[derive(Debug, Clone, Copy)]
pub struct OwnSend<'b> {
    /// The address and the account it belongs to.
    pub to: &'b Owner,
    /// That account, when the ledger has rows of it.
    pub account: Option<Sym>,
    /// The address is one of the sending account's own.
    pub self_transfer: bool,
}

/// What pairing found.
#[derive(Debug, Default)]
pub struct Pairing<'b> {
    /// The partner of each withdrawal and deposit row, by row index.
    pub partner: Partners,
    /// The withdrawals whose note names an own address, by row index.
    pub own: HashMap<u32, OwnSend<'b>>,
}

/// The row each withdrawal and deposit pairs with, by row index: 4 bytes a
/// row (`u32::MAX` for none), where `Option<u32>` takes 8, for each engine
/// running side by side.
#[derive(Debug, Default)]
pub struct Partners(Vec<u32>);

impl Partners {
    const NONE: u32 = u32::MAX;

    fn new(rows: usize) -> Partners {
        Partners(vec![Partners::NONE; rows])
    }

    /// The row `row` pairs with.
    pub fn get(&self, row: u32) -> Option<u32> {
        let p = self.0[row as usize];
        (p != Partners::NONE).then_some(p)
    }

    /// Pairs withdrawal `w` with deposit `d`.
    fn pair(&mut self, w: u32, d: u32) {
        self.0[w as usize] = d;
        self.0[d as usize] = w;
    }
}

/// `t + d`, or the latest or earliest time when that is out of range.
fn shift(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d < Duration::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// What pairing reads of a withdrawal or deposit row. Transfer rows lie all
/// over a large ledger, each on a cache line of its own; they are read once
/// into a list of these, which the passes after that read in order.
#[derive(Debug, Clone, Copy)]
struct Side<'l> {
    /// The row's index.
    row: u32,
    time: DateTime<Utc>,
    account: Sym,
    /// What was sent (a withdrawal) or received (a deposit).
    amount: Amount,
    txid: Option<&'l str>,
}

impl<'l> Side<'l> {
    fn new(ledger: &'l Ledger, row: u32, r: &Row, amount: Amount) -> Side<'l> {
        Side {
            row,
            time: r.time,
            account: r.account,
            amount,
            txid: ledger.txid(r),
        }
    }
}

/// Pairs the withdrawals and deposits of `ledger`, with the own addresses of
/// `book`. With `only` (by symbol), just the transfers of those assets are
/// paired: transfers pair within one asset, so each shard of a run pairs its
/// own, and the pairs are those of a run over every asset.
pub fn pair<'b>(
    ledger: &Ledger,
    book: &'b AddressBook,
    only: Option<&[bool]>,
) -> Result<Pairing<'b>, Box<EngineError>> {
    let wanted = |a: Option<Amount>| {
        a.filter(|a| only.is_none_or(|m| m.get(a.asset.index() as usize).copied().unwrap_or(false)))
    };
    let rows = &ledger.rows;
    let mut partner = Partners::new(rows.len());
    // Only the transfer rows, which the ledger noted while sorting.
    let (mut withdrawals, mut deposits) = (Vec::new(), Vec::new());
    let transfers = ledger.transfers();
    for (k, &i) in transfers.iter().enumerate() {
        // Transfers are a row in several, far apart for the cache: the rows
        // a few transfers on are fetched meanwhile.
        if let Some(r) = transfers.get(k + 8).and_then(|&j| rows.get(j as usize)) {
            crate::memory::prefetch(&r.kind);
            crate::memory::prefetch(&r.received);
        }
        let r = &rows[i as usize];
        match r.kind {
            Kind::Withdrawal => {
                if let Some(sent) = wanted(r.sent) {
                    withdrawals.push(Side::new(ledger, i, r, sent));
                }
            }
            // A deposit carrying its basis comes from outside the ledger: it
            // pairs with no withdrawal.
            Kind::Deposit => {
                if let Some(recv) = wanted(r.received)
                    && ledger.basis_usd(r).is_none()
                {
                    deposits.push(Side::new(ledger, i, r, recv));
                }
            }
            _ => {}
        }
    }
    // Where each withdrawal's note says it went (one lookup per token).
    let mut own: HashMap<u32, OwnSend<'b>> = HashMap::default();
    if book.has_own() {
        for w in &withdrawals {
            let r = &rows[w.row as usize];
            let (to, self_transfer) =
                match book.destination(ledger.syms.name(r.account), ledger.note(r)) {
                    Some(Destination::Own(o)) => (o, false),
                    Some(Destination::SelfTransfer(o)) => (o, true),
                    _ => continue,
                };
            let account = ledger.syms.get(&to.account);
            own.insert(
                w.row,
                OwnSend {
                    to,
                    account,
                    self_transfer,
                },
            );
        }
    }
    // The withdrawals of each (txid, asset), oldest first, as a chain through
    // `next` (by position in `withdrawals`): txids are nearly always unique, so a
    // queue per txid would be an allocation per withdrawal.
    const END: u32 = u32::MAX;
    let mut by_txid: HashMap<(&str, Sym), (u32, u32)> = HashMap::default();
    by_txid.reserve(withdrawals.len());
    let mut next = vec![END; withdrawals.len()];
    // The withdrawals of each asset, by position in `withdrawals`.
    let mut by_asset: HashMap<Sym, Vec<u32>> = HashMap::default();
    for (k, w) in withdrawals.iter().enumerate() {
        let k = k as u32;
        if let Some(tx) = w.txid {
            by_txid
                .entry((tx, w.amount.asset))
                .and_modify(|(_, tail)| {
                    next[*tail as usize] = k;
                    *tail = k;
                })
                .or_insert((k, k));
        }
        by_asset.entry(w.amount.asset).or_default().push(k);
    }
    for d in &deposits {
        let (Some(tx), recv) = (d.txid, d.amount) else {
            continue;
        };
        let Some(queue) = by_txid.get_mut(&(tx, recv.asset)) else {
            continue;
        };
        let head = queue.0;
        if head == END {
            continue;
        }
        queue.0 = next[head as usize];
        let w = &withdrawals[head as usize];
        if recv.qty > w.amount.qty {
            return Err(EngineError::DepositExceedsWithdrawal {
                at: ledger.locate(&rows[d.row as usize]),
                withdrawal: ledger.locate(&rows[w.row as usize]),
                deposited: recv.qty.normalize().to_string(),
                sent: w.amount.qty.normalize().to_string(),
                asset: ledger.syms.name(recv.asset).to_string(),
            }
            .into());
        }
        partner.pair(w.row, d.row);
    }
    if !own.is_empty() {
        pair_own(ledger, &withdrawals, &deposits, &own, &mut partner);
    }
    let window = Duration::hours(48);
    // Each asset's withdrawals with their blocks' summaries, made with the
    // pairs so far: a deposit passes over a block it can take nothing of.
    let entry = |partner: &Partners, k: u32| {
        let w = &withdrawals[k as usize];
        reach::Entry {
            qty: w.amount.qty,
            account: w.account,
            has_txid: w.txid.is_some(),
            paired: partner.get(w.row).is_some(),
            own: own.contains_key(&w.row),
        }
    };
    let mut reach: HashMap<Sym, Reach> = by_asset
        .iter()
        .map(|(&asset, list)| {
            let entries = list.iter().map(|&k| entry(&partner, k));
            (asset, Reach::new(entries))
        })
        .collect();
    let mut by_asset = with_skips(by_asset, |k| {
        partner.get(withdrawals[k as usize].row).is_some()
    });
    for d in &deposits {
        if partner.get(d.row).is_some() {
            continue;
        }
        let recv = d.amount;
        let (Some((cands, unpaired)), Some(reach)) =
            (by_asset.get_mut(&recv.asset), reach.get_mut(&recv.asset))
        else {
            continue;
        };
        let from = d.time - window;
        let start = cands.partition_point(|&w| withdrawals[w as usize].time < from);
        let end = cands.partition_point(|&w| withdrawals[w as usize].time <= d.time);
        // A deposit with a txid takes only a withdrawal without one: the
        // withdrawals of its txid were paired above if any deposit of it
        // stayed unpaired.
        let (with_txid, blocks_end) = (d.txid.is_some(), end.div_ceil(reach::BLOCK));
        let mut looked = usize::MAX;
        let mut k = unpaired.first_from(start);
        while k < end {
            let block = k / reach::BLOCK;
            if block != looked {
                looked = reach.first_from(block, blocks_end, recv.qty, d.account, with_txid);
                if looked != block {
                    k = unpaired.first_from(looked * reach::BLOCK);
                    continue;
                }
            }
            let at = k;
            k = unpaired.first_from(k + 1);
            let w = &withdrawals[cands[at] as usize];
            if w.account == d.account {
                continue;
            }
            // A withdrawal to an own address goes to that address's account.
            if !own.is_empty()
                && let Some(o) = own.get(&w.row)
                && (o.self_transfer || o.account != Some(d.account))
            {
                continue;
            }
            if let (Some(a), Some(b)) = (w.txid, d.txid)
                && a != b
            {
                continue;
            }
            if w.amount.qty >= recv.qty {
                partner.pair(w.row, d.row);
                unpaired.take(at);
                let block = at / reach::BLOCK;
                let list =
                    &cands[block * reach::BLOCK..cands.len().min((block + 1) * reach::BLOCK)];
                reach.refresh(block, list.iter().map(|&k| entry(&partner, k)));
                break;
            }
        }
    }
    Ok(Pairing { partner, own })
}

/// Each list (of positions in a list of transfer rows) with its skips, the
/// rows `paired` says are paired already passed over.
fn with_skips<K: std::hash::Hash + Eq>(
    lists: HashMap<K, Vec<u32>>,
    paired: impl Fn(u32) -> bool,
) -> HashMap<K, (Vec<u32>, Skips)> {
    lists
        .into_iter()
        .map(|(key, list)| {
            let skips = Skips::new(list.len(), |k| paired(list[k]));
            (key, (list, skips))
        })
        .collect()
}

/// Pairs each withdrawal to an own address (oldest first) with the earliest
/// unpaired deposit of its asset in that address's account, from
/// [`OWN_BEFORE`] before to [`OWN_AFTER`] after it, of the withdrawal's
/// quantity less at most its fee in that asset.
fn pair_own(
    ledger: &Ledger,
    withdrawals: &[Side<'_>],
    deposits: &[Side<'_>],
    own: &HashMap<u32, OwnSend<'_>>,
    partner: &mut Partners,
) {
    let rows = &ledger.rows;
    // The places (account, asset) own sends go to.
    let mut places: HashMap<(Sym, Sym), BTreeSet<(Decimal, u32)>> = HashMap::default();
    for w in withdrawals {
        if let Some(o) = own.get(&w.row)
            && let Some(account) = o.account
        {
            places.entry((account, w.amount.asset)).or_default();
        }
    }
    // The unpaired deposits of each place, by quantity and then by position
    // in `deposits` (ledger, so time, order): a send finds the earliest
    // deposit of each quantity it may take at once, not by reading the
    // deposits of its days one by one (thousands a day that do not fit made
    // that quadratic).
    for (k, d) in deposits.iter().enumerate() {
        if partner.get(d.row).is_none()
            && let Some(set) = places.get_mut(&(d.account, d.amount.asset))
        {
            set.insert((d.amount.qty, k as u32));
        }
    }
    for w in withdrawals {
        let Some(o) = own.get(&w.row) else { continue };
        let (Some(account), None) = (o.account, partner.get(w.row)) else {
            continue;
        };
        let sent = w.amount;
        let fee = rows[w.row as usize]
            .fee
            .filter(|f| f.asset == sent.asset)
            .map_or(Decimal::ZERO, |f| f.qty);
        let least = sent.qty - fee;
        let Some(set) = places.get_mut(&(account, sent.asset)) else {
            continue;
        };
        let (from, until) = (shift(w.time, -OWN_BEFORE), shift(w.time, OWN_AFTER));
        let start = deposits.partition_point(|d| d.time < from) as u32;
        // The earliest deposit from `start` of each quantity in
        // [least, sent]; the earliest of those pairs if it is in time.
        let mut best: Option<(Decimal, u32)> = None;
        let mut q = least;
        while let Some(&(qty, k)) = set.range((q, start)..).next() {
            if qty > sent.qty {
                break;
            }
            if qty != q && k < start {
                // A larger quantity, whose first deposits are before the
                // window: its first from the window's start.
                q = qty;
                continue;
            }
            if best.is_none_or(|(_, b)| k < b) {
                best = Some((qty, k));
            }
            match set.range((Excluded((qty, u32::MAX)), Unbounded)).next() {
                Some(&(next, _)) => q = next,
                None => break,
            }
        }
        if let Some((qty, k)) = best
            && deposits[k as usize].time <= until
        {
            partner.pair(w.row, deposits[k as usize].row);
            set.remove(&(qty, k));
        }
    }
}

impl Engine<'_> {
    pub(super) fn withdrawal(&mut self, i: u32, row: &Row) -> Result<(), Box<EngineError>> {
        let Some(sent) = row.sent.filter(Amount::is_crypto) else {
            return Ok(());
        };
        let partner = self.partner.get(i);
        let deposited = partner.and_then(|d| self.ledger.rows[d as usize].received);
        let lost = deposited.map_or(Decimal::ZERO, |d| sent.qty - d.qty);
        let mut fee_qty = Decimal::ZERO;
        if let Some(fee) = row.fee.filter(|f| f.is_crypto() && !f.qty.is_zero()) {
            if fee.asset == sent.asset {
                fee_qty = fee.qty;
            } else {
                self.part(i, 0);
                self.third_asset_fee(i, row, fee)?;
            }
        }
        if !self.mine(sent.asset) {
            return Ok(());
        }
        self.part(i, 1);
        // The network fee is disposed of first, then the rest moves.
        if !(lost + fee_qty).is_zero() {
            let mut value = Decimal::ZERO;
            if !fee_qty.is_zero() {
                value += self.fee_value(row, sent.asset, fee_qty, self.ledger.fee_usd(row))?;
            }
            if !lost.is_zero() {
                value += self.fee_value(row, sent.asset, lost, None)?;
            }
            let a = Amount {
                qty: lost + fee_qty,
                asset: sent.asset,
            };
            self.dispose(i, row, DisposalKind::NetworkFee, a, value)?;
        }
        let own = self.own.get(&i).copied();
        if let (Some(o), None) = (own, partner)
            && o.self_transfer
        {
            // To an address of its own account, with no deposit to pair: the
            // units never left it.
            self.out.own_transfers.push((i, None));
            return Ok(());
        }
        let moving = sent.qty - lost;
        let (order, _) = self.identify(row, None, sent.asset);
        self.take(i, row, sent.asset, moving, "withdrawal", None, order)?;
        let legs = std::mem::take(&mut self.scratch);
        if self.cfg.trace_moves {
            let to = partner.map_or(Sym::EXTERNAL, |d| self.ledger.rows[d as usize].account);
            self.out.moves.extend(legs.iter().map(|l| Move {
                row: i,
                deposit: partner,
                from: row.account,
                to,
                lot: l.lot,
                qty: l.qty,
            }));
        }
        if let Some(o) = own {
            self.own_send(i, row, sent, o, partner);
        }
        match partner {
            Some(d) => {
                let to = self.ledger.rows[d as usize].account;
                if let Some(to) = self.arrived.remove(&i) {
                    self.put_legs(to, sent.asset, &legs);
                } else {
                    let dest = (self.pool_account(to), sent.asset);
                    self.in_transit.entry(dest).or_default().insert(i, legs);
                }
            }
            None => self.put_legs(Sym::EXTERNAL, sent.asset, &legs),
        }
        Ok(())
    }

    /// Records a withdrawal to an own address: paired, it is listed for the
    /// note commands print; paired elsewhere by txid, or not at all, warned.
    fn own_send(&mut self, i: u32, row: &Row, sent: Amount, o: OwnSend<'_>, partner: Option<u32>) {
        let ledger = self.ledger;
        let (address, account) = (&*o.to.address, &*o.to.account);
        match partner {
            Some(d) => {
                self.out.own_transfers.push((i, Some(d)));
                let dr = &ledger.rows[d as usize];
                if o.account != Some(dr.account) {
                    let other = self.name(dr.account).to_string();
                    self.out
                        .warnings
                        .add_with("own address paired elsewhere by txid", || {
                            format!(
                                "{}: withdrawal to {address}, an address of {account} in harvest.toml, pairs by its txid with the deposit {} in {other}; check which account that address belongs to",
                                ledger.locate(row),
                                ledger.locate(dr)
                            )
                        });
                }
            }
            None => {
                let fee = row
                    .fee
                    .filter(|f| f.asset == sent.asset)
                    .map_or(Decimal::ZERO, |f| f.qty);
                let asset = self.name(sent.asset).to_string();
                let low = (sent.qty - fee).max(Decimal::ZERO);
                let range = if low == sent.qty {
                    fmt_qty(sent.qty)
                } else {
                    format!("{} to {}", fmt_qty(low), fmt_qty(sent.qty))
                };
                let missing = if o.account.is_some() {
                    format!("import {account}'s history, or check the address")
                } else {
                    format!(
                        "the ledger has no account {account}: import its history (with --account {account})"
                    )
                };
                self.out
                    .warnings
                    .add_with("withdrawal to an own address without its deposit", || {
                        format!(
                            "{}: withdrawal of {} {asset} to {address}, an address of {account} in harvest.toml, has no deposit of {range} {asset} in {account} from 2 hours before to 7 days after it; its lots go to `external` until a deposit draws them back: {missing}",
                            ledger.locate(row),
                            fmt_qty(sent.qty),
                        )
                    });
            }
        }
    }

    /// When an account is short of units that a transfer already withdrawn will
    /// bring (its deposit stamped later, as exchanges' clocks and crediting
    /// delays do), the units are delivered now, oldest withdrawal first, with a
    /// warning, rather than reported as oversold.
    pub(super) fn deliver_early(&mut self, row: &Row, acct: Sym, asset: Sym, need: Decimal) {
        loop {
            let held = self
                .pools
                .get(&(acct, asset))
                .map_or(Decimal::ZERO, Pool::total);
            if held >= need {
                return;
            }
            let Some(pending) = self.in_transit.get_mut(&(acct, asset)) else {
                return;
            };
            let Some((w, legs)) = pending.pop_first() else {
                return;
            };
            let pool = self.pools.get_or_make((acct, asset));
            for leg in &legs {
                pool.put(*leg, &orders!(self));
            }
            if self.cutoff.is_some()
                && let Some(d) = self.partner.get(w)
            {
                let to = self.ledger.rows[d as usize].account;
                let q: Decimal = legs.iter().map(|l| l.qty).sum();
                self.count_units(to, asset, q, true);
            }
            let ledger = self.ledger;
            self.out
                .warnings
                .add_with("transfer delivered before its deposit time", || {
                    format!(
                        "{}: needs units still in transit; the transfer withdrawn at {} is delivered before its deposit is stamped",
                        ledger.locate(row),
                        ledger.locate(&ledger.rows[w as usize])
                    )
                });
        }
    }

    fn put_legs(&mut self, account: Sym, asset: Sym, legs: &[Leg]) {
        if self.cutoff.is_some() {
            let q: Decimal = legs.iter().map(|l| l.qty).sum();
            self.count_units(account, asset, q, true);
        }
        if account != Sym::EXTERNAL {
            for leg in legs {
                if self.lot_accounts[leg.lot as usize] == account {
                    self.out.lots[leg.lot as usize].came_back = true;
                }
            }
        }
        let acct = self.pool_account(account);
        let pool = self.pools.get_or_make((acct, asset));
        for leg in legs {
            pool.put(*leg, &orders!(self));
        }
    }

    pub(super) fn deposit(&mut self, i: u32, row: &Row) -> Result<(), Box<EngineError>> {
        let Some(recv) = row.received.filter(Amount::is_crypto) else {
            return Ok(());
        };
        if self.mine(recv.asset) {
            self.part(i, 0);
            self.deposit_units(i, row, recv)?;
        }
        if let Some(fee) = row.fee.filter(|f| f.is_crypto() && !f.qty.is_zero()) {
            self.part(i, 1);
            if fee.asset != recv.asset {
                self.third_asset_fee(i, row, fee)?;
            } else if self.mine(fee.asset) {
                let v = self.fee_value(row, fee.asset, fee.qty, self.ledger.fee_usd(row))?;
                self.dispose(i, row, DisposalKind::NetworkFee, fee, v)?;
            }
        }
        Ok(())
    }

    /// The units a deposit brings: from their withdrawal, from `external`, or
    /// of unknown basis.
    fn deposit_units(&mut self, i: u32, row: &Row, recv: Amount) -> Result<(), Box<EngineError>> {
        match self.partner.get(i) {
            Some(w) if w < i => {
                let dest = (self.pool_account(row.account), recv.asset);
                if let Some(legs) = self.in_transit.get_mut(&dest).and_then(|m| m.remove(&w)) {
                    self.put_legs(row.account, recv.asset, &legs);
                }
            }
            Some(w) => {
                // The withdrawal is stamped later (clock skew): it delivers.
                self.arrived.insert(w, row.account);
            }
            None => {
                // Units coming back from outside: first from `external`, then of
                // unknown basis.
                let ext = self
                    .pools
                    .get(&(Sym::EXTERNAL, recv.asset))
                    .map_or(Decimal::ZERO, Pool::total);
                let from_ext = ext.min(recv.qty);
                self.scratch.clear();
                if let Some(p) = self.pools.get_mut(&(Sym::EXTERNAL, recv.asset)) {
                    p.take(0, from_ext, &mut self.scratch, &orders!(self));
                }
                let legs = std::mem::take(&mut self.scratch);
                if self.cfg.trace_moves {
                    self.out.moves.extend(legs.iter().map(|l| Move {
                        row: i,
                        deposit: Some(i),
                        from: Sym::EXTERNAL,
                        to: row.account,
                        lot: l.lot,
                        qty: l.qty,
                    }));
                }
                self.put_legs(row.account, recv.asset, &legs);
                let unknown = recv.qty - from_ext;
                if !unknown.is_zero() {
                    if self.cfg.missing_basis == MissingBasis::Error {
                        return Err(EngineError::UnknownBasis {
                            at: self.ledger.locate(row),
                            qty: fmt_qty(unknown),
                            asset: self.name(recv.asset).to_string(),
                            account: self.name(row.account).to_string(),
                        }
                        .into());
                    }
                    let lot = self.new_lot(
                        i,
                        row,
                        recv.asset,
                        unknown,
                        Decimal::ZERO,
                        Origin::UnknownDeposit,
                    )?;
                    self.count_units(row.account, recv.asset, unknown, true);
                    self.put(
                        row.account,
                        recv.asset,
                        Leg {
                            lot,
                            qty: unknown,
                            basis: Decimal::ZERO,
                        },
                    );
                    self.out.warnings.add(
                        "deposit of unknown basis",
                        format!(
                            "{}: deposit of {} {} has no matching withdrawal; it is a zero-basis lot (--missing-basis zero); if you know its basis, give it in the deposit's basis_usd and acquired columns",
                            self.ledger.locate(row),
                            fmt_qty(unknown),
                            self.name(recv.asset)
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}
