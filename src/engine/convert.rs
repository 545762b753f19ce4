//! Conversions (issue 20): a `trade` between two assets harvest.toml says are
//! one (`[assets] same`: a wrap, a bridged copy) or from an old token to its
//! migration (`[assets] migrations`) is no disposal. The units sent are taken
//! as a sale would take them (the account's method, selections, pooling) and
//! each part reopens, in the same account, as a lot of the asset received
//! with the same basis, acquisition date and holding period, its quantity
//! scaled by received / sent. Whether such a trade is taxable is unsettled
//! law, so it is the user's call; without the settings it stays a trade.
//!
//! Fees are paid as on a transfer (SPEC section 3, Transfers), since nothing
//! is sold: a fee in the sent or the received asset is a network fee, a
//! disposal at fair value; a fee in a third crypto asset is that asset's
//! disposal; a fee in money is no part of any basis or proceeds.
//!
//! The lots of one asset's pools then come from another asset's: a run with
//! conversions is never split over two threads (see [`super::shard`]).

use rust_decimal::Decimal;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::{DisposalKind, Engine, EngineError, Leg, LotIdx, Origin, mul_div};
use crate::model::{Amount, Kind, Ledger, Row, Sym};

/// `[assets] same` and `migrations` of harvest.toml, checked (see
/// [`crate::config::Assets::links`]): asset names in upper case, matched
/// with the ledger's names in any case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetLinks {
    same: Vec<Vec<String>>,
    migrations: Vec<(String, String)>,
}

/// The (sent, received) asset pairs of a ledger whose trades are
/// conversions ([`AssetLinks::resolve`]).
#[derive(Debug, Default)]
pub struct Conversions(HashSet<(Sym, Sym)>);

impl Conversions {
    /// The sent and received crypto of `row` when it is a conversion.
    pub fn of(&self, row: &Row) -> Option<(Amount, Amount)> {
        if self.0.is_empty() || row.kind != Kind::Trade {
            return None;
        }
        let (s, r) = (row.sent?, row.received?);
        (s.is_crypto() && r.is_crypto() && self.0.contains(&(s.asset, r.asset))).then_some((s, r))
    }
}

impl AssetLinks {
    /// Groups of names that are one asset, and migrations (from, to). The
    /// names are compared with the ledger's in any case.
    pub fn new(same: Vec<Vec<String>>, migrations: Vec<(String, String)>) -> AssetLinks {
        let up = |s: String| s.to_ascii_uppercase();
        AssetLinks {
            same: same
                .into_iter()
                .map(|g| g.into_iter().map(up).collect())
                .collect(),
            migrations: migrations
                .into_iter()
                .map(|(a, b)| (up(a), up(b)))
                .collect(),
        }
    }

    /// True when nothing is linked: every trade is a trade.
    pub fn is_empty(&self) -> bool {
        self.same.is_empty() && self.migrations.is_empty()
    }

    /// How many rows of `ledger` are conversions, for a note.
    pub fn conversions(&self, ledger: &Ledger) -> usize {
        let pairs = self.resolve(ledger);
        if pairs.0.is_empty() {
            return 0;
        }
        ledger.rows.iter().filter(|r| pairs.of(r).is_some()).count()
    }

    /// The pairs of the ledger's assets whose trades are conversions: both
    /// ways within a `same` group, one way for a migration. Every spelling of
    /// a name the ledger uses counts (`weth` and `WETH`).
    pub fn resolve(&self, ledger: &Ledger) -> Conversions {
        let mut pairs = HashSet::default();
        if self.is_empty() {
            return Conversions(pairs);
        }
        let mut by_name: HashMap<String, Vec<Sym>> = HashMap::default();
        for k in 0..ledger.syms.len() {
            let s = Sym::from_index(k as u32);
            if !s.is_money() {
                by_name
                    .entry(ledger.syms.name(s).to_ascii_uppercase())
                    .or_default()
                    .push(s);
            }
        }
        let syms = |n: &String| by_name.get(n).map_or(&[][..], Vec::as_slice);
        let mut link = |from: &String, to: &String| {
            for &a in syms(from) {
                for &b in syms(to) {
                    if a != b {
                        pairs.insert((a, b));
                    }
                }
            }
        };
        for g in &self.same {
            for a in g {
                for b in g {
                    link(a, b);
                }
            }
        }
        for (from, to) in &self.migrations {
            link(from, to);
        }
        Conversions(pairs)
    }
}

impl Engine<'_> {
    /// Applies a conversion of `s` into `r` (see the module's comment).
    pub(super) fn convert(
        &mut self,
        i: u32,
        row: &Row,
        s: Amount,
        r: Amount,
    ) -> Result<(), Box<EngineError>> {
        let mut fee_sent = Decimal::ZERO;
        let mut fee_received = None;
        if let Some(fee) = row.fee.filter(|f| f.is_crypto() && !f.qty.is_zero()) {
            if fee.asset == s.asset {
                fee_sent = fee.qty;
            } else if fee.asset == r.asset {
                fee_received = Some(fee);
            } else {
                self.part(i, 0);
                // Its value would be a USD fee: with no proceeds or purchase
                // here, it goes nowhere, as on a transfer.
                self.third_asset_fee(i, row, fee)?;
            }
        }
        self.part(i, 1);
        // The network fee is disposed of first, then the rest converts.
        if !fee_sent.is_zero() {
            let v = self.fee_value(row, s.asset, fee_sent, self.ledger.fee_usd(row))?;
            let a = Amount {
                qty: fee_sent,
                asset: s.asset,
            };
            self.dispose(i, row, DisposalKind::NetworkFee, a, v)?;
        }
        // The lots a sale on this row would take, selections included.
        let (order, selected) = self.identify(row, Some(DisposalKind::Sale), s.asset);
        let select = selected.then_some(&*row.id);
        self.take(i, row, s.asset, s.qty, "conversion", select, order)?;
        let legs = std::mem::take(&mut self.scratch);
        self.part(i, 2);
        self.reopen(row, &legs, s, r)?;
        self.scratch = legs;
        if let Some(fee) = fee_received {
            let v = self.fee_value(row, fee.asset, fee.qty, self.ledger.fee_usd(row))?;
            self.dispose(i, row, DisposalKind::NetworkFee, fee, v)?;
        }
        // A valued row still tells the price of both assets (for valuing
        // later fees), as a trade does.
        if let Some(v) = row.usd_value.get() {
            self.note_price(i, s.asset, v, s.qty);
            self.note_price(i, r.asset, v, r.qty);
        }
        Ok(())
    }

    /// Reopens the parts `legs` of `s` as lots of `r` in the row's account:
    /// basis exact, quantities scaled by r / s with the rounding of each part
    /// carried into the next, so that they add up to `r` exactly.
    fn reopen(
        &mut self,
        row: &Row,
        legs: &[Leg],
        s: Amount,
        r: Amount,
    ) -> Result<(), Box<EngineError>> {
        let mut sent_through = Decimal::ZERO;
        let mut given = Decimal::ZERO;
        // Basis of parts too small to show after scaling, for the next part:
        // no lot of zero units, and no basis lost.
        let mut carry = Decimal::ZERO;
        let mut parts: Vec<(LotIdx, Decimal, Decimal)> = Vec::with_capacity(legs.len());
        for (k, leg) in legs.iter().enumerate() {
            // The units leave their lot of `s`: what each asset's lots hold
            // stays what was disposed of and is held of that asset.
            let l = &mut self.out.lots[leg.lot as usize];
            l.qty -= leg.qty;
            l.basis -= leg.basis;
            sent_through += leg.qty;
            // Part k is round(sent through k × r / s) less the parts before
            // it; the last part is what is left of r.
            let through = if k + 1 == legs.len() {
                r.qty
            } else {
                self.checked(
                    row,
                    mul_div(sent_through, r.qty, s.qty),
                    "conversion quantity",
                )?
            };
            // Never below zero unless r has more decimals than the scaling keeps.
            let qty = self.checked(
                row,
                Some(through - given).filter(|q| *q >= Decimal::ZERO),
                "conversion quantity",
            )?;
            given = through;
            if qty.is_zero() {
                carry += leg.basis;
                continue;
            }
            parts.push((leg.lot, qty, leg.basis + carry));
            carry = Decimal::ZERO;
        }
        if let Some(last) = parts.last_mut() {
            last.2 += carry;
        }
        for (source, qty, basis) in parts {
            let target = self.converted_lot(row, source, s, r)?;
            let l = &mut self.out.lots[target as usize];
            l.qty += qty;
            l.basis += basis;
            self.count_units(row.account, r.asset, qty, true);
            self.put(
                row.account,
                r.asset,
                Leg {
                    lot: target,
                    qty,
                    basis,
                },
            );
        }
        Ok(())
    }

    /// The lot of `r` that units of lot `source` become: the lot they were
    /// converted from in the first place when it is of `r` (an unwrap joins
    /// its wrap's lot again), else the one lot of `r` made from that lot, made
    /// on first need with its dates and id and no units yet.
    fn converted_lot(
        &mut self,
        row: &Row,
        source: LotIdx,
        s: Amount,
        r: Amount,
    ) -> Result<LotIdx, Box<EngineError>> {
        let root = self.root_lot.get(&source).copied().unwrap_or(source);
        if self.out.lots[root as usize].asset == r.asset {
            return Ok(root);
        }
        if let Some(&lot) = self.converted.get(&(root, r.asset)) {
            return Ok(lot);
        }
        let src = &self.out.lots[source as usize];
        // HIFO compares basis per unit of what is held: per unit of `r`.
        let unit_basis = if src.unit_basis.is_zero() {
            Decimal::ZERO
        } else {
            self.checked(row, mul_div(src.unit_basis, s.qty, r.qty), "unit basis")?
        };
        let lot = super::Lot {
            asset: r.asset,
            qty: Decimal::ZERO,
            basis: Decimal::ZERO,
            origin: Origin::Converted,
            unit_basis,
            ..src.clone()
        };
        let idx = self.out.lots.len() as LotIdx;
        let acq_row = lot.row;
        self.out.lots.push(lot);
        // The converted lot keeps its source's time and account.
        self.lot_times.push(self.lot_times[source as usize]);
        self.lot_accounts.push(self.lot_accounts[source as usize]);
        self.root_lot.insert(idx, root);
        self.converted.insert((root, r.asset), idx);
        // A selection naming the original lot finds this one in a sale of `r`.
        if self.selections.is_some() || self.cfg.wash_window > 0 {
            self.lot_of_row.entry(acq_row).or_default().push(idx);
        }
        Ok(idx)
    }
}
