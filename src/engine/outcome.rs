//! What lot matching produces (lots, the legs disposals and transfers take of
//! them, disposals, holdings at a snapshot) and [`run`], the entry point that
//! produces it.

use std::ops::Range;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;

use super::{
    Allocated, Config, Engine, EngineError, LotKey, Selections, Warnings, shard, transfer,
};
use crate::model::{Ledger, Sym};
use crate::readers::prices::PriceTable;

/// Index of a [`Lot`] in [`Outcome::lots`].
pub type LotIdx = u32;

/// How a lot came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A buy, the received side of a trade, or income.
    Acquired,
    /// A zero-basis lot standing in for units disposed of beyond the holdings
    /// (`--missing-basis zero`).
    Shortfall,
    /// A zero-basis lot for a deposit with no known origin (`--missing-basis zero`).
    UnknownDeposit,
    /// Units of another lot converted into this asset (harvest.toml `[assets]`
    /// `same` or `migrations`): that lot's id, dates and basis.
    Converted,
    /// A gift received: the donor's basis and acquisition date (IRC 1015,
    /// 1223(2)).
    Gift,
    /// Inherited units: the fair value at death, long-term whatever the dates
    /// (IRC 1014, 1223(9)).
    Inherited,
    /// A deposit whose basis and acquisition date the row carries
    /// (`basis_usd`, `acquired`): units from a wallet the ledger does not cover.
    Carried,
}

/// A tax lot: units acquired together, with one date and one basis. Its
/// acquisition time and its id's rank among the rows of that instant are its
/// row's ([`Ledger::rows`], [`Ledger::id_rank`]), not stored again: at 10M
/// rows a lot of 68 bytes instead of 84 saves about 90 MB.
#[derive(Debug, Clone)]
pub struct Lot {
    /// The row whose id is the lot id.
    pub row: u32,
    pub asset: Sym,
    /// Acquisition date in the tax time zone.
    pub acquired_date: NaiveDate,
    /// The date the holding period counts from: the acquisition date, or earlier
    /// when a wash sale's holding period tacks on (§1223(3)).
    pub holding_from: NaiveDate,
    /// Units and basis acquired, less what was converted to another asset
    /// (plus what was converted into it).
    pub qty: Decimal,
    pub basis: Decimal,
    pub origin: Origin,
    /// Long-term whatever the dates (inherited units, and units converted
    /// from them); fits in the padding after `origin`.
    pub always_long: bool,
    /// Units of the lot came back by a transfer into the account that
    /// acquired it: from 2026 a broker reports their basis as not covered
    /// (Treas. Reg. 1.6045-1(a)(15)), as for any units transferred in.
    pub came_back: bool,
    /// Basis per unit at acquisition, for highest-basis orders (zero when the run
    /// has none).
    pub unit_basis: Decimal,
}

/// A part of one lot taken by a disposal or moved by a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leg {
    pub lot: LotIdx,
    pub qty: Decimal,
    pub basis: Decimal,
}

/// Why units left the holdings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisposalKind {
    /// A sell, trade, spend or fee row disposing of its own asset.
    Sale,
    /// The fee of a row paid in a third crypto asset, disposed at fair value.
    FeeAsset,
    /// Units lost to the network on a transfer, or a withdrawal's crypto fee.
    NetworkFee,
    /// Units that left with no gain or loss and no Form 8949 row: a gift given,
    /// a donation, coins lost or stolen (the row's kind says which). Its
    /// `proceeds` are the fair value given (zero for a loss with no value).
    Removal,
}

/// One disposal: units of one asset leaving one account, with their proceeds.
/// The account and time are its row's ([`Disposal::row`]).
#[derive(Debug, Clone)]
pub struct Disposal {
    /// The row whose id is the disposal id.
    pub row: u32,
    pub kind: DisposalKind,
    pub asset: Sym,
    /// Disposal date in the tax time zone.
    pub date: NaiveDate,
    pub qty: Decimal,
    /// Net proceeds in USD, exact.
    pub proceeds: Decimal,
    /// Its legs in [`Outcome::legs`].
    pub legs: Range<u32>,
}

/// An open lot (or the part of one) held in an account at a point in time.
#[derive(Debug, Clone)]
pub struct Holding {
    /// The account, or [`UNIVERSAL`] for the universal pool.
    pub account: Sym,
    pub asset: Sym,
    pub lot: LotIdx,
    pub qty: Decimal,
    pub basis: Decimal,
}

/// The account of a universal pool.
pub const UNIVERSAL: Sym = Sym::from_index(u32::MAX - 1);

/// The account of units of basis a transition allocated to no wallet.
pub const UNALLOCATED: Sym = Sym::from_index(u32::MAX - 2);

/// The name of an account, including the engine's own pools.
pub fn account_name(ledger: &Ledger, account: Sym) -> &str {
    match account {
        UNIVERSAL => "(universal)",
        UNALLOCATED => "(unallocated)",
        a => ledger.syms.name(a),
    }
}

/// Everything lot matching produced.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The run's method: the order of [`Outcome::lot_key`].
    pub method: super::Method,
    pub lots: Vec<Lot>,
    pub legs: Vec<Leg>,
    pub disposals: Vec<Disposal>,
    /// Open lots at the snapshot time given to [`run`] (or at the end).
    pub holdings: Vec<Holding>,
    pub warnings: Warnings,
    /// Wash-sale loss disallowed on a leg (by index into `legs`), positive, and
    /// whether it is the leg's whole loss.
    pub disallowed: HashMap<u32, (Decimal, bool)>,
    /// With `Scope::Transition`: the remaining lots as allocated to wallets.
    pub allocation: Vec<Allocated>,
    /// Disposals and transfers from 2025 whose lots `late_identification` let
    /// LIFO or HIFO pick with nothing identified in time.
    pub late_identified: u64,
    /// How many amounts were valued from `--prices`, by the table's source
    /// index (see [`crate::readers::prices::PriceTable::sources`]).
    pub priced: Vec<u64>,
    /// The withdrawals to own addresses (harvest.toml) that moved or kept
    /// their coins, in ledger order: the withdrawal row and its deposit row,
    /// or None for a self-transfer whose units stayed in its account.
    pub own_transfers: Vec<(u32, Option<u32>)>,
    /// The income rows, in ledger order, with the fair value each was taken
    /// into income at (the basis of the lot it opened).
    pub incomes: Vec<IncomeReceived>,
    /// Gifts received whose fair value at the gift was below the donor's basis:
    /// the dual-basis rule applies when they are sold (Treas. Reg. 1.1015-1).
    pub dual_basis: HashMap<LotIdx, DualBasis>,
    /// The gifts received, in ledger order, with their fair value at the gift.
    pub gifts_received: Vec<IncomeReceived>,
    /// With [`Config::trace_moves`]: each part of a lot a transfer moved, in
    /// ledger order of the rows that moved them.
    pub moves: Vec<Move>,
    /// With [`Config::trace_moves`]: rows whose figures rest on a warning of
    /// the run, in ledger order (a row may carry several flags).
    pub flags: Vec<(u32, RowFlag)>,
    /// Units withdrawn to `external` that no deposit took back by the end of
    /// the ledger, by asset: withdrawals never deposited.
    pub outside: Vec<(Sym, Decimal)>,
    /// With [`Keep::Year`](super::Keep::Year): the basis the disposals of earlier years
    /// (not kept) took from each lot, by lot index (lots past its end gave up
    /// none). Form 8949 rows round a lot's basis as it is used up, across
    /// years, so they start from it.
    pub taken_before: Vec<Decimal>,
}

/// A warning that changed one row's figures, kept by row so that the audit
/// trail marks each Form 8949 row it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowFlag {
    /// A crypto fee of the row valued at the price an earlier row implied.
    FeeEarlierPrice,
    /// An amount of the row valued from `--prices` at a price more than 24
    /// hours older than the row.
    StalePrice,
    /// The row's lots were taken FIFO: no standing order or selection recorded
    /// by the sale identified them (2025 on).
    TakenFifo,
    /// The row's lots were picked by the method with nothing identified in
    /// time (`--late-identification`, a what-if).
    LateIdentification,
}

impl RowFlag {
    /// The flag's name in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            RowFlag::FeeEarlierPrice => "fee-valued-at-earlier-price",
            RowFlag::StalePrice => "price-older-than-24h",
            RowFlag::TakenFifo => "taken-fifo-not-identified",
            RowFlag::LateIdentification => "late-identification",
        }
    }

    /// The flag's name on a Form 8949 row whose lot was opened by the flagged
    /// row (its basis rests on the warning), when it reaches the basis.
    pub fn lot_str(self) -> Option<&'static str> {
        match self {
            RowFlag::FeeEarlierPrice => Some("lot-fee-valued-at-earlier-price"),
            RowFlag::StalePrice => Some("lot-price-older-than-24h"),
            RowFlag::TakenFifo | RowFlag::LateIdentification => None,
        }
    }
}

/// A part of a lot moved by a transfer (a withdrawal, with the deposit it
/// paired with, or a deposit drawing back units withdrawn to `external`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// The row that moved it: the withdrawal, or an unpaired deposit.
    pub row: u32,
    /// The deposit it arrived with, when paired.
    pub deposit: Option<u32>,
    pub from: Sym,
    pub to: Sym,
    pub lot: LotIdx,
    pub qty: Decimal,
}

/// A gift received worth less than the donor's basis: a loss on its units is
/// figured from this value, with a holding period from the gift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DualBasis {
    /// Fair value of the lot's units at the gift, exact.
    pub fair_value: Decimal,
    /// The gift's date in the tax time zone.
    pub gift_date: NaiveDate,
}

/// Units received as income (`kind=income`): ordinary income at their fair
/// value when received, which is the basis of the lot they open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncomeReceived {
    /// The income row (its id is the lot id).
    pub row: u32,
    /// Units kept: received less any withheld in the same asset.
    pub qty: Decimal,
    /// Fair value in USD of the units kept, exact.
    pub value: Decimal,
}

/// What the run valued from `--prices`, for a note: `N amounts valued from
/// --prices: n from SOURCE, ...`, or `None` when it valued none.
pub fn priced_note(prices: Option<&PriceTable>, outcome: &Outcome) -> Option<String> {
    let prices = prices?;
    let total: u64 = outcome.priced.iter().sum();
    if total == 0 {
        return None;
    }
    let parts: Vec<String> = outcome
        .priced
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| {
            format!(
                "{n} from {}",
                prices.sources().get(i).map_or("?", String::as_str)
            )
        })
        .collect();
    Some(format!(
        "{total} amount{} valued from --prices: {}",
        if total == 1 { "" } else { "s" },
        parts.join(", ")
    ))
}

impl Outcome {
    /// The position of `lot` in its pool's order under the run's method
    /// (computed, not stored: a lot is then 68 bytes instead of 128).
    pub fn lot_key(&self, ledger: &Ledger, lot: LotIdx) -> LotKey {
        let l = &self.lots[lot as usize];
        let row = l.row as usize;
        LotKey::new(
            self.method,
            ledger.rows[row].time,
            l.unit_basis,
            ledger.id_rank[row],
            lot,
        )
    }

    /// The legs of a disposal.
    pub fn legs_of(&self, d: &Disposal) -> &[Leg] {
        &self.legs[d.legs.start as usize..d.legs.end as usize]
    }
}

/// Sorts holdings by asset name, account name and the method's lot order,
/// the order every listing of them uses, given each holding's lot key
/// (`keys[i]` is `h[i]`'s). Names become their ranks among the names in the
/// list, equal names equal ranks.
fn sort_holdings(ledger: &Ledger, h: &mut [Holding], keys: Vec<LotKey>) {
    let rank = name_ranks(ledger, h.iter().flat_map(|x| [x.asset, x.account]));
    let rank = |s: Sym| rank.get(&s).copied().unwrap_or(u32::MAX);
    // Stable, as the sort by names and key was: a lot split between two
    // transfers in transit keeps its legs' order. The position makes every
    // key unique, so the sort's result is the stable one; a plain sort merges
    // the runs the holdings come in (each pool's lots are in key order).
    let mut order: Vec<((u32, u32, LotKey), u32)> = h
        .iter()
        .zip(keys)
        .enumerate()
        .map(|(i, (x, key))| ((rank(x.asset), rank(x.account), key), i as u32))
        .collect();
    order.sort();
    let order: Vec<u32> = order.into_iter().map(|(_, i)| i).collect();
    crate::memory::permute(h, &order);
}

/// Each symbol's rank among `syms` by name: equal names, equal ranks.
fn name_ranks(ledger: &Ledger, syms: impl Iterator<Item = Sym>) -> rustc_hash::FxHashMap<Sym, u32> {
    let mut syms: Vec<Sym> = syms.collect();
    syms.sort_unstable();
    syms.dedup();
    syms.sort_by_key(|&s| account_name(ledger, s));
    let mut rank = rustc_hash::FxHashMap::default();
    let mut r = 0u32;
    for (k, &s) in syms.iter().enumerate() {
        if k > 0 && account_name(ledger, syms[k - 1]) != account_name(ledger, s) {
            r += 1;
        }
        rank.insert(s, r);
    }
    rank
}

/// Puts the holdings of shards, each sorted as [`sort_holdings`] sorts them,
/// in that order. An asset is one shard's, so the asset's name alone orders
/// the shards' lists; within an asset, its shard's order stands (a stable
/// sort), and no lot key is made again.
pub(super) fn merge_sorted_holdings(ledger: &Ledger, h: &mut [Holding]) {
    let rank = name_ranks(ledger, h.iter().map(|x| x.asset));
    h.sort_by_key(|x| rank.get(&x.asset).copied().unwrap_or(u32::MAX));
}

/// Why a run's figures are a what-if and not a filing position: a simulated
/// rule, or lots picked by an identification the law does not allow. Empty for
/// a filing position. Every output of such a run says so.
pub fn what_if(cfg: &Config, outcome: &Outcome) -> Vec<String> {
    let mut v = Vec::new();
    if cfg.wash_window > 0 {
        v.push(format!(
            "--wash-window {} simulates a wash-sale rule that is not law for digital assets",
            cfg.wash_window
        ));
    }
    if outcome.late_identified > 0 {
        v.push(format!(
            "--late-identification: {} disposal{} or transfer{} from 2025 took their lots by {} though nothing identified them in time; the law's default is FIFO within the wallet (Treas. Reg. 1.1012-1(j))",
            outcome.late_identified,
            if outcome.late_identified == 1 { "" } else { "s" },
            if outcome.late_identified == 1 { "" } else { "s" },
            cfg.method.as_str().to_uppercase()
        ));
    }
    v
}

/// Applies every row of `ledger` in order. `snapshot` (an instant) captures the
/// open lots held just before it (`DateTime::MAX_UTC`: at the end); without it
/// no holdings are listed.
pub fn run(
    ledger: &Ledger,
    cfg: &Config,
    prices: Option<&PriceTable>,
    selections: Option<&Selections>,
    snapshot: Option<DateTime<Utc>>,
) -> Result<Outcome, Box<EngineError>> {
    if let Some(masks) = shard::plan(ledger, cfg, selections) {
        let parts = run_shards(ledger, cfg, prices, selections, snapshot, masks);
        // On an error the serial run below reports the first one, exactly.
        if let Ok(parts) = parts.into_iter().collect::<Result<Vec<_>, _>>() {
            return Ok(shard::merge(ledger, cfg, parts));
        }
    }
    let pairing = transfer::pair(ledger, &cfg.addresses, None)?;
    let mut e = Engine::new(ledger, cfg, prices, selections, &pairing);
    e.go(snapshot)?;
    Ok(e.out)
}

/// Like [`run`] without a snapshot, but matching only the lots of `assets`
/// (on two threads when the run is large): no disposal of another asset is
/// made. A selection must name a disposal whose row moves one asset of
/// `assets` (its fee in USD or in that asset) and a lot of that asset: a
/// shard does not check the selections of a disposal it does not make. What
/// it makes of `assets` is what a full run makes of them when that run
/// succeeds (the premise of [`shard`]); an error is the first of a shard's,
/// which a full run may precede with another. Runs in which assets depend on
/// each other (see [`shard::separable`]) match every asset, as [`run`].
pub fn run_assets(
    ledger: &Ledger,
    cfg: &Config,
    prices: Option<&PriceTable>,
    selections: Option<&Selections>,
    assets: &[Sym],
) -> Result<Outcome, Box<EngineError>> {
    if !shard::separable(cfg) {
        return run(ledger, cfg, prices, selections, None);
    }
    let mut mask = vec![false; ledger.syms.len()];
    for a in assets {
        if let Some(m) = mask.get_mut(a.index() as usize) {
            *m = true;
        }
    }
    let masks = shard::split(ledger, cfg, Some(&mask)).unwrap_or_else(|| vec![mask]);
    let parts = run_shards(ledger, cfg, prices, selections, None, masks);
    let parts = parts.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(shard::merge(ledger, cfg, parts))
}

/// Runs one engine per mask of assets, each on a thread of its own; the
/// parts (or each one's error) in the masks' order.
fn run_shards(
    ledger: &Ledger,
    cfg: &Config,
    prices: Option<&PriceTable>,
    selections: Option<&Selections>,
    snapshot: Option<DateTime<Utc>>,
    masks: Vec<Vec<bool>>,
) -> Vec<Result<shard::Part, Box<EngineError>>> {
    let ranks = shard::name_ranks(ledger);
    std::thread::scope(|s| {
        let handles: Vec<_> = masks
            .into_iter()
            .enumerate()
            .map(|(n, mask)| {
                let ranks = &ranks;
                s.spawn(move || {
                    let pairing = transfer::pair(ledger, &cfg.addresses, Some(&mask))?;
                    let mut e = Engine::new(ledger, cfg, prices, selections, &pairing);
                    e.shard = Some(shard::Shard::new(n, mask, ranks));
                    e.go(snapshot).map(|()| e.into_part())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

impl Engine<'_> {
    /// Lists the open lots held now, in pools and in transit, as the outcome's
    /// holdings.
    pub(super) fn snapshot(&mut self) {
        let mut h = Vec::new();
        // The pools keep their lots by the run's lot key (the primary order's,
        // which is the run's method): taken with them, not made again.
        let mut keys = Vec::new();
        for (&(account, asset), pool) in self.pools.iter_mut() {
            for (key, leg) in pool.entries(&orders!(self)) {
                debug_assert_eq!(*key, self.out.lot_key(self.ledger, leg.lot));
                keys.push(*key);
                h.push(Holding {
                    account,
                    asset,
                    lot: leg.lot,
                    qty: leg.qty,
                    basis: leg.basis,
                });
            }
        }
        for (&(to, asset), pending) in &self.in_transit {
            for leg in pending.values().flatten() {
                keys.push(self.out.lot_key(self.ledger, leg.lot));
                h.push(Holding {
                    account: to,
                    asset,
                    lot: leg.lot,
                    qty: leg.qty,
                    basis: leg.basis,
                });
            }
        }
        sort_holdings(self.ledger, &mut h, keys);
        self.out.holdings = h;
    }
}
