//! Lot matching: every row of the merged ledger applied in order to per-account
//! (or per-asset) pools of lots, producing disposals split into legs, one per lot
//! they draw from (SPEC section 3).
//!
//! Pools are ordered maps keyed by the method's order (FIFO, LIFO, HIFO), so taking
//! the next lot is O(log n) and no disposal scans the lots. Amounts stay exact
//! Decimals; rounding to cents is left to [`crate::tax`].
//!
//! By stage: `config` (how a run is set up), `outcome` (what it produces, and
//! [`run`]), `apply` (one row: each kind, its fees and values, taking and opening
//! lots), `identify` (which lots a disposal names: standing orders, selections),
//! `transfer` (pairing and moving lots between accounts), `convert` (trades
//! between assets harvest.toml links, which move lots), `allocation` (the
//! transition to wallets), `wash` (the simulated wash-sale rule), `pool` (the
//! ordered pools), `skip` (scanning windows past entries done), `shard` (two
//! threads), `warnings` and `error`. This file
//! holds the `Engine` that carries a run's state through them.

/// The pool orders of an engine, borrowing only the fields it needs so that a
/// pool can be borrowed mutably beside it.
macro_rules! orders {
    ($e:expr) => {
        $crate::engine::pool::Orders {
            methods: &$e.orders,
            lots: &$e.out.lots,
            times: &$e.lot_times,
        }
    };
}

mod addresses;
mod allocation;
mod apply;
mod carried;
mod config;
mod convert;
mod error;
mod identify;
mod outcome;
mod pool;
mod reach;
mod shard;
pub(crate) mod skip;
mod transfer;
mod warnings;
mod wash;

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

pub use crate::readers::selections::{Selection, Selections};
pub use addresses::{
    AddressBook, AddressError, Destination, MIN_ADDRESS_LEN, Owner, address_key, mark_payments,
};
pub use allocation::{Allocated, AllocationRule, FrozenAllocation, Transition, WalletOrder};
pub use config::{Config, Keep, Method, MissingBasis, Parallel, Scope};
pub use convert::{AssetLinks, Conversions};
pub use error::EngineError;
pub use identify::StandingOrder;
pub use outcome::{
    Disposal, DisposalKind, DualBasis, Holding, IncomeReceived, Leg, Lot, LotIdx, Move, Origin,
    Outcome, RowFlag, UNALLOCATED, UNIVERSAL, account_name, priced_note, run, run_assets, what_if,
};
pub use pool::LotKey;
pub use warnings::Warnings;

use crate::model::{Ledger, Row, Sym};
use crate::readers::prices::PriceTable;
use pool::Pool;

/// The state of one run of lot matching (or of one shard of it) as the rows are
/// applied.
struct Engine<'a> {
    ledger: &'a Ledger,
    cfg: &'a Config,
    prices: Option<&'a PriceTable>,
    selections: Option<&'a Selections>,
    partner: &'a transfer::Partners,
    /// The withdrawals to own addresses (harvest.toml), by row.
    own: &'a HashMap<u32, transfer::OwnSend<'a>>,
    /// When this engine matches only some assets, beside another.
    shard: Option<shard::Shard<'a>>,
    pools: Pools,
    out: Outcome,
    /// Each lot's [`pool::lot_time`] and the account of the row that opened
    /// it, by lot: what putting a lot into a pool reads, without reading the
    /// lot and then its row (a transfer moves old lots, anywhere in memory).
    lot_times: Vec<u128>,
    lot_accounts: Vec<Sym>,
    /// Legs withdrawn and not yet deposited, by destination pool and withdrawal
    /// row (oldest first).
    in_transit: HashMap<(Sym, Sym), BTreeMap<u32, Vec<Leg>>>,
    /// Deposits applied before their withdrawal (clock skew), by withdrawal row:
    /// the account the units go to.
    arrived: HashMap<u32, Sym>,
    /// Last (value, quantity, row) seen per asset, by symbol, for valuing fees
    /// as a last resort.
    implied: Vec<Option<(Decimal, Decimal, u32)>>,
    /// Lots opened by each row, for specific identification.
    lot_of_row: HashMap<u32, Vec<LotIdx>>,
    /// How much of each selection line was used.
    used_selections: HashMap<(String, usize), Decimal>,
    scratch: Vec<Leg>,
    /// Wash-sale state, when `--wash-window` is on.
    wash: Option<wash::Wash>,
    /// The orders pools are kept in: the method's, then any other a standing
    /// order or strict identification needs.
    orders: Vec<Method>,
    /// Standing orders by time: from, index into `orders`, accounts (all when
    /// `None`).
    standing: Vec<identify::Standing>,
    /// With `Scope::Transition`, until the allocation: the instant it happens.
    cutoff: Option<DateTime<Utc>>,
    /// With `Scope::Transition`, until the allocation: units each account holds.
    wallet_units: HashMap<(Sym, Sym), Decimal>,
    /// The (sent, received) assets whose trades are conversions.
    conversions: convert::Conversions,
    /// The lot each converted lot's units first came from.
    root_lot: HashMap<LotIdx, LotIdx>,
    /// The converted lot of each original lot and asset.
    converted: HashMap<(LotIdx, Sym), LotIdx>,
    /// The row being applied (for [`Outcome::flags`]).
    row_at: u32,
    /// The disposals stored ([`Config::keep`], as the run allows).
    keep: Keep,
}

fn fmt_qty(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Decimal places kept for amounts the engine derives by division (a lot's part
/// of its basis, a fee's share of a value). 1e-16 USD is far below a cent, and at
/// this scale sums of parts never exceed Decimal's 28 digits, so conservation of
/// basis is exact, not approximate.
pub const SCALE: u32 = 16;

/// `a * b / c`, to [`SCALE`] decimals (rounded once, half to even, when it
/// fits 128-bit integers).
fn mul_div(a: Decimal, b: Decimal, c: Decimal) -> Option<Decimal> {
    if let Some(d) = pool::pro_rata_int(a, b, c) {
        return Some(d);
    }
    match a.checked_mul(b) {
        Some(p) => p.checked_div(c),
        None => a.checked_div(c)?.checked_mul(b),
    }
    .map(|d| d.round_dp(SCALE))
}

impl<'a> Engine<'a> {
    fn new(
        ledger: &'a Ledger,
        cfg: &'a Config,
        prices: Option<&'a PriceTable>,
        selections: Option<&'a Selections>,
        pairing: &'a transfer::Pairing<'a>,
    ) -> Engine<'a> {
        let (orders, standing) = identify::plan(ledger, cfg);
        let cutoff = (cfg.scope == Scope::Transition).then(|| cfg.transition.cutoff(cfg.tz));
        // Room for as many lots, legs and disposals as rows: these vectors then
        // never grow by copying.
        let mut out = Outcome {
            method: orders[0],
            ..Outcome::default()
        };
        let n = ledger.rows.len();
        crate::memory::reserve(&mut out.lots, n);
        crate::memory::reserve(&mut out.legs, n);
        crate::memory::reserve(&mut out.disposals, n);
        Engine {
            ledger,
            cfg,
            prices,
            selections,
            partner: &pairing.partner,
            own: &pairing.own,
            shard: None,
            pools: Pools::default(),
            out,
            lot_times: Vec::new(),
            lot_accounts: Vec::new(),
            in_transit: HashMap::default(),
            arrived: HashMap::default(),
            implied: vec![None; ledger.syms.len()],
            lot_of_row: HashMap::default(),
            used_selections: HashMap::default(),
            scratch: Vec::new(),
            wash: (cfg.wash_window > 0).then(|| wash::Wash::new(ledger, cfg)),
            orders,
            standing,
            cutoff,
            wallet_units: HashMap::default(),
            conversions: cfg.assets.resolve(ledger),
            root_lot: HashMap::default(),
            converted: HashMap::default(),
            row_at: 0,
            keep: if cfg.wash_window == 0 && !cfg.trace_moves {
                cfg.keep
            } else {
                Keep::All
            },
        }
    }

    /// Applies every row in order; see [`run`].
    fn go(&mut self, snapshot: Option<DateTime<Utc>>) -> Result<(), Box<EngineError>> {
        if self.shard.as_ref().is_none_or(|s| s.first()) {
            self.warn_unknown_standing_accounts();
        }
        let mut snapped = false;
        let rows = self.ledger.rows.iter().enumerate();
        let n = self.ledger.rows.len() as u32;
        for (i, row) in rows {
            if !snapped && let Some(t) = snapshot.filter(|&t| row.time >= t) {
                if self.cutoff.is_some_and(|c| t >= c) {
                    self.allocate(i as u32)?;
                }
                self.snapshot();
                snapped = true;
            }
            if self.cutoff.is_some_and(|c| row.time >= c) {
                self.allocate(i as u32)?;
            }
            self.row_at = i as u32;
            self.apply(i as u32, row)?;
        }
        if !snapped && let Some(t) = snapshot {
            if self.cutoff.is_some_and(|c| t >= c) {
                self.allocate(n)?;
            }
            self.snapshot();
        }
        self.out.outside = self
            .pools
            .iter()
            .filter(|((a, _), p)| *a == Sym::EXTERNAL && !p.total().is_zero())
            .map(|((_, asset), p)| (*asset, p.total()))
            .collect();
        self.out.outside.sort_unstable_by_key(|x| x.0);
        self.check_selections_used()
    }
}

impl Engine<'_> {
    /// Whether this engine matches `asset` (all of them unless sharded).
    fn mine(&self, asset: Sym) -> bool {
        self.shard.as_ref().is_none_or(|s| s.has(asset))
    }

    /// Marks the part of row `i` being applied (0, 1, 2: the order in which a
    /// row's assets are handled), for ordering the work of shards.
    fn part(&mut self, i: u32, role: u64) {
        if let Some(s) = &mut self.shard {
            s.at = shard::position(i, 2, role);
            self.out.warnings.at(s.at);
        }
    }

    /// With [`Config::trace_moves`]: marks the row being applied with a
    /// warning that changed its figures, for the audit trail.
    fn flag(&mut self, flag: RowFlag) {
        if self.cfg.trace_moves {
            self.out.flags.push((self.row_at, flag));
        }
    }

    fn name(&self, s: Sym) -> &str {
        account_name(self.ledger, s)
    }

    fn pool_account(&self, account: Sym) -> Sym {
        match self.cfg.scope {
            Scope::Universal if account != Sym::EXTERNAL => UNIVERSAL,
            Scope::Transition if self.cutoff.is_some() && account != Sym::EXTERNAL => UNIVERSAL,
            _ => account,
        }
    }

    /// Before a transition's allocation: counts units into or out of an account.
    fn count_units(&mut self, account: Sym, asset: Sym, qty: Decimal, into: bool) {
        if self.cutoff.is_some() {
            let u = self.wallet_units.entry((account, asset)).or_default();
            if into {
                *u += qty;
            } else {
                *u -= qty;
            }
        }
    }

    fn checked(
        &self,
        row: &Row,
        v: Option<Decimal>,
        what: &'static str,
    ) -> Result<Decimal, Box<EngineError>> {
        v.ok_or_else(|| {
            EngineError::Overflow {
                at: self.ledger.locate(row),
                what,
            }
            .into()
        })
    }

    /// Puts a lot part into the pool of `account` (as scoped).
    fn put(&mut self, account: Sym, asset: Sym, leg: Leg) {
        let acct = self.pool_account(account);
        self.pools
            .get_or_make((acct, asset))
            .put(leg, &orders!(self));
    }
}

/// The pools by (account, asset), and the accounts with a pool of each
/// asset: the wash-sale rule's lookups of a lot's units read only its
/// asset's pools, where a pass over every pool cost the number of tokens and
/// wallets for each loss sale.
#[derive(Debug, Default)]
struct Pools {
    map: HashMap<(Sym, Sym), Pool>,
    accounts: HashMap<Sym, Vec<Sym>>,
}

impl Pools {
    /// The pool of `key`, made empty if there is none.
    fn get_or_make(&mut self, key: (Sym, Sym)) -> &mut Pool {
        match self.map.entry(key) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                self.accounts.entry(key.1).or_default().push(key.0);
                v.insert(Pool::default())
            }
        }
    }

    fn get_mut(&mut self, key: &(Sym, Sym)) -> Option<&mut Pool> {
        self.map.get_mut(key)
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = (&(Sym, Sym), &mut Pool)> {
        self.map.iter_mut()
    }

    /// The accounts with a pool of `asset`, in the order their pools were
    /// made.
    fn accounts_of(&self, asset: Sym) -> &[Sym] {
        self.accounts.get(&asset).map_or(&[], Vec::as_slice)
    }
}

impl std::ops::Deref for Pools {
    type Target = HashMap<(Sym, Sym), Pool>;

    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

#[cfg(test)]
mod tests;
