//! The Rev. Proc. 2024-28 transition (RULES.md §7.3): lots pooled universally
//! through Dec 31, 2024 are allocated, as of Jan 1, 2025, to the wallets that
//! hold the units, by a global rule fixed in advance or by a frozen allocation
//! file; from then on every wallet is its own pool.

use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::pool::split;
use super::{Config, Engine, EngineError, Leg, LotIdx, UNALLOCATED, UNIVERSAL, Warnings, fmt_qty};
use crate::model::Sym;
use crate::time::start_of_day;

/// The order a global allocation gives the units of unused basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllocationRule {
    /// Oldest acquisition first (then lot id).
    #[default]
    OldestFirst,
    /// Lowest basis per unit first (then oldest).
    LowestBasisFirst,
    /// Highest basis per unit first (then oldest).
    HighestBasisFirst,
}

impl AllocationRule {
    /// Every rule, for help and error messages.
    pub const ALL: [AllocationRule; 3] = [
        AllocationRule::OldestFirst,
        AllocationRule::LowestBasisFirst,
        AllocationRule::HighestBasisFirst,
    ];

    /// The harvest.toml spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationRule::OldestFirst => "oldest-first",
            AllocationRule::LowestBasisFirst => "lowest-basis-first",
            AllocationRule::HighestBasisFirst => "highest-basis-first",
        }
    }

    /// Parses the harvest.toml spelling.
    pub fn parse(s: &str) -> Option<AllocationRule> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The order wallets receive units of unused basis in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WalletOrder {
    /// The wallet holding the most units first (ties by name).
    #[default]
    MostUnits,
    /// These wallets first, in this order; any other by most units.
    Listed(Vec<String>),
}

/// How `Scope::Transition` allocates.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The allocation happens at the start of this day in the tax time zone.
    pub date: NaiveDate,
    pub rule: AllocationRule,
    pub wallets: WalletOrder,
    /// Whether the user named the rule (harvest.toml), rather than the default.
    pub named: bool,
    /// When the user wrote the rule in their books.
    pub recorded: Option<NaiveDate>,
    /// A frozen allocation (`--allocation FILE`) instead of the rule.
    pub frozen: Option<Arc<FrozenAllocation>>,
}

impl Default for Transition {
    fn default() -> Self {
        Transition {
            date: super::identify::IDENTIFY_FROM,
            rule: AllocationRule::default(),
            wallets: WalletOrder::default(),
            named: false,
            recorded: None,
            frozen: None,
        }
    }
}

impl Transition {
    /// The instant of the allocation: the start of `date` in `tz`.
    pub fn cutoff(&self, tz: Tz) -> DateTime<Utc> {
        start_of_day(self.date, tz)
    }

    /// Describes the rule for the record.
    pub fn describe(&self) -> String {
        if let Some(f) = &self.frozen {
            return format!("frozen allocation {}", f.file);
        }
        let wallets = match &self.wallets {
            WalletOrder::MostUnits => "wallets by most units held".to_string(),
            WalletOrder::Listed(w) => format!("wallets in the order {}", w.join(" then ")),
        };
        format!("{}, to {wallets}", self.rule.as_str())
    }
}

pub use crate::readers::allocation::{FrozenAllocation, FrozenLine};

/// Units of one lot given to one wallet by the allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocated {
    pub asset: Sym,
    /// The wallet, or [`UNALLOCATED`] for units of basis no wallet received.
    pub account: Sym,
    pub lot: LotIdx,
    pub qty: Decimal,
    pub basis: Decimal,
}

impl Engine<'_> {
    /// Ends the universal pools: the lots still held go to the wallets holding
    /// the units, and every later row uses per-wallet pools.
    /// `before` is the index of the first row after the cut-off.
    pub(super) fn allocate(&mut self, before: u32) -> Result<(), Box<EngineError>> {
        if self.cutoff.take().is_none() {
            return Ok(());
        }
        // Units in transit at the cut-off count for the wallet they go to.
        let moving: Vec<(Sym, Sym)> = self
            .in_transit
            .keys()
            .filter(|k| k.0 == UNIVERSAL)
            .copied()
            .collect();
        for k in moving {
            for (w, legs) in self.in_transit.remove(&k).unwrap_or_default() {
                if let Some(d) = self.partner.get(w) {
                    let to = self.ledger.rows[d as usize].account;
                    let q: Decimal = legs.iter().map(|l| l.qty).sum();
                    *self.wallet_units.entry((to, k.1)).or_default() += q;
                }
                let pool = self.pools.get_or_make(k);
                for leg in legs {
                    pool.put(leg, &orders!(self));
                }
            }
        }
        let mut assets: Vec<Sym> = self
            .pools
            .keys()
            .filter(|k| k.0 == UNIVERSAL)
            .map(|k| k.1)
            .collect();
        assets.sort_by(|a, b| self.ledger.syms.name(*a).cmp(self.ledger.syms.name(*b)));
        // Each asset's wallets and its lines of a frozen allocation, gathered
        // in one pass each: looked for among all of them for each asset, a
        // ledger of 100,000 tokens in 800 wallets took 7 s to allocate.
        let mut held: HashMap<Sym, Vec<(Sym, Decimal)>> = HashMap::default();
        for (&(acct, a), &q) in &std::mem::take(&mut self.wallet_units) {
            if acct != Sym::EXTERNAL && q > Decimal::ZERO {
                held.entry(a).or_default().push((acct, q));
            }
        }
        let frozen = self.cfg.transition.frozen.clone();
        let mut lines: HashMap<&str, Vec<&FrozenLine>> = HashMap::default();
        for l in frozen.iter().flat_map(|f| &f.lines) {
            if l.wallet != "(unallocated)" {
                lines.entry(l.asset.as_str()).or_default().push(l);
            }
        }
        let mut shared = 0;
        for asset in assets {
            if let Some(s) = &mut self.shard {
                s.at = super::shard::position(before, 1, s.rank(asset));
                self.out.warnings.at(s.at);
            }
            let legs = match self.pools.get_mut(&(UNIVERSAL, asset)) {
                Some(p) => p.drain(&orders!(self)),
                None => continue,
            };
            let wallets = held.remove(&asset).unwrap_or_default();
            if legs.is_empty() && wallets.is_empty() {
                continue;
            }
            if wallets.len() > 1 {
                shared += 1;
            }
            match &frozen {
                Some(f) => {
                    let lines = lines
                        .get(self.ledger.syms.name(asset))
                        .map_or(&[][..], Vec::as_slice);
                    self.allocate_frozen(f, lines, asset, legs, &wallets)?
                }
                None => self.allocate_by_rule(asset, legs, wallets),
            }
        }
        if let Some(f) = &frozen {
            let names: std::collections::HashSet<&str> = self
                .out
                .allocation
                .iter()
                .map(|a| self.ledger.syms.name(a.asset))
                .collect();
            if let Some(l) = f.lines.iter().find(|l| !names.contains(l.asset.as_str())) {
                return Err(EngineError::AllocationFile {
                    file: f.file.clone(),
                    line: l.line,
                    message: format!(
                        "no {} was held before {} to allocate; was the file written for this ledger?",
                        l.asset, self.cfg.transition.date
                    ),
                }
                .into());
            }
        }
        match &mut self.shard {
            Some(s) => s.shared = shared,
            None => allocation_warnings(self.cfg, &mut self.out.warnings, shared),
        }
        Ok(())
    }

    /// Gives `leg` of `asset` to `wallet` (or leaves it unallocated).
    fn place(&mut self, asset: Sym, wallet: Sym, leg: Leg) {
        if let Some(s) = &mut self.shard {
            s.allocation_pos.push(s.at);
        }
        self.out.allocation.push(Allocated {
            asset,
            account: wallet,
            lot: leg.lot,
            qty: leg.qty,
            basis: leg.basis,
        });
        self.pools
            .get_or_make((wallet, asset))
            .put(leg, &orders!(self));
    }

    /// Leaves units of basis no wallet holds in the unallocated pool, with a
    /// warning.
    fn leave_unallocated(&mut self, asset: Sym, legs: Vec<Leg>, why: &str) {
        let q: Decimal = legs.iter().map(|l| l.qty).sum();
        if q.is_zero() {
            return;
        }
        self.out.warnings.add(
            "unused basis not allocated",
            format!(
                "allocation on {}: {} {} of unused basis {why}; they stay unallocated (shown as \"(unallocated)\") and no later sale uses them",
                self.cfg.transition.date,
                fmt_qty(q),
                self.name(asset)
            ),
        );
        for leg in legs {
            self.place(asset, UNALLOCATED, leg);
        }
    }

    fn allocate_by_rule(&mut self, asset: Sym, legs: Vec<Leg>, mut wallets: Vec<(Sym, Decimal)>) {
        let t = &self.cfg.transition;
        let listed: &[String] = match &t.wallets {
            WalletOrder::Listed(w) => w,
            WalletOrder::MostUnits => &[],
        };
        let syms = &self.ledger.syms;
        let rank = |s: Sym| {
            listed
                .iter()
                .position(|n| n == syms.name(s))
                .unwrap_or(usize::MAX)
        };
        wallets.sort_by(|a, b| {
            rank(a.0)
                .cmp(&rank(b.0))
                .then(b.1.cmp(&a.1))
                .then_with(|| syms.name(a.0).cmp(syms.name(b.0)))
        });
        let lots = &self.out.lots;
        let times = &self.lot_times;
        let mut legs = legs;
        legs.sort_by_cached_key(|leg| {
            // The basis per unit only when the rule orders by it: a division
            // for each of a decade's open lots otherwise.
            let unit = || {
                let l = &lots[leg.lot as usize];
                l.basis.checked_div(l.qty).unwrap_or_default()
            };
            let unit = match t.rule {
                AllocationRule::OldestFirst => Decimal::ZERO,
                AllocationRule::LowestBasisFirst => unit(),
                AllocationRule::HighestBasisFirst => -unit(),
            };
            // The time, then the id's rank at that instant.
            (unit, times[leg.lot as usize], leg.lot)
        });
        let mut legs: VecDeque<Leg> = legs.into();
        for (wallet, held) in wallets {
            let mut need = held;
            while need > Decimal::ZERO {
                let Some(front) = legs.front_mut() else {
                    break;
                };
                if front.qty <= need {
                    need -= front.qty;
                    if let Some(leg) = legs.pop_front() {
                        self.place(asset, wallet, leg);
                    }
                } else {
                    let part = split(front, need);
                    need = Decimal::ZERO;
                    self.place(asset, wallet, part);
                }
            }
            if need > Decimal::ZERO {
                self.wallet_short(asset, wallet, held, need);
            }
        }
        self.leave_unallocated(
            asset,
            legs.into(),
            "exceed the units the wallets held (a wallet's history has more disposals than acquisitions)",
        );
    }

    fn wallet_short(&mut self, asset: Sym, wallet: Sym, held: Decimal, short: Decimal) {
        self.out.warnings.add(
            "wallet short of unused basis",
            format!(
                "allocation on {}: {} held {} {} but only {} of them received unused basis; a later sale of the rest is oversold: add the missing acquisitions before {}",
                self.cfg.transition.date,
                self.name(wallet),
                fmt_qty(held),
                self.name(asset),
                fmt_qty(held - short),
                self.cfg.transition.date
            ),
        );
    }

    /// Gives `asset`'s `legs` to the wallets as `lines` (the file's lines of
    /// the asset, but those it lists as unallocated) say; `wallets` held it.
    fn allocate_frozen(
        &mut self,
        f: &FrozenAllocation,
        lines: &[&FrozenLine],
        asset: Sym,
        legs: Vec<Leg>,
        wallets: &[(Sym, Decimal)],
    ) -> Result<(), Box<EngineError>> {
        let name = self.ledger.syms.name(asset).to_string();
        let mut legs: Vec<Leg> = legs;
        // The legs of each lot id, in order: a line takes from its lot's only.
        let ledger = self.ledger;
        let mut by_id: HashMap<&str, Vec<usize>> = HashMap::default();
        for (i, leg) in legs.iter().enumerate() {
            let row = self.out.lots[leg.lot as usize].row;
            by_id
                .entry(&ledger.rows[row as usize].id)
                .or_default()
                .push(i);
        }
        let mut given: Vec<(Sym, Decimal)> = Vec::new();
        let mut given_at: HashMap<Sym, usize> = HashMap::default();
        // Units the file itself lists as unallocated stay so (below).
        for &l in lines {
            let err = |message: String| EngineError::AllocationFile {
                file: f.file.clone(),
                line: l.line,
                message,
            };
            let Some(wallet) = self
                .ledger
                .syms
                .get(&l.wallet)
                .filter(|&w| w != Sym::EXTERNAL)
            else {
                return Err(err(format!(
                    "wallet {:?} is not an account of the ledger",
                    l.wallet
                ))
                .into());
            };
            let mut need = l.qty;
            let mut basis = Decimal::ZERO;
            for &i in by_id.get(l.lot_id.as_str()).into_iter().flatten() {
                if need.is_zero() {
                    break;
                }
                let leg = &mut legs[i];
                if leg.qty.is_zero() {
                    continue;
                }
                let part = if leg.qty <= need {
                    std::mem::replace(
                        leg,
                        Leg {
                            lot: leg.lot,
                            qty: Decimal::ZERO,
                            basis: Decimal::ZERO,
                        },
                    )
                } else {
                    split(leg, need)
                };
                need -= part.qty;
                basis += part.basis;
                self.place(asset, wallet, part);
            }
            if need == l.qty {
                return Err(err(format!(
                    "lot {} of {name} has no unused basis left on {} (unknown lot, another asset's, already allocated above, or sold before); was the file written for this ledger?",
                    l.lot_id, self.cfg.transition.date
                ))
                .into());
            }
            if !need.is_zero() {
                return Err(err(format!(
                    "allocates {} {name} of lot {}, which has only {} left; was the file written for this ledger?",
                    fmt_qty(l.qty),
                    l.lot_id,
                    fmt_qty(l.qty - need)
                ))
                .into());
            }
            if let Some(b) = l.basis
                && (b - basis).abs() >= Decimal::new(1, 2)
            {
                let lot_id = l.lot_id.clone();
                let file = f.file.clone();
                let line = l.line;
                self.out.warnings.add(
                    "frozen allocation basis differs",
                    format!(
                        "{file}:{line}: lot {lot_id} carries {} USD of basis in the ledger, the file says {}; the ledger's figure is used",
                        basis.round_dp(2),
                        b
                    ),
                );
            }
            match given_at.get(&wallet) {
                Some(&g) => given[g].1 += l.qty,
                None => {
                    given_at.insert(wallet, given.len());
                    given.push((wallet, l.qty));
                }
            }
        }
        for &(wallet, held) in wallets {
            let got = given_at.get(&wallet).map_or(Decimal::ZERO, |&g| given[g].1);
            if got < held {
                self.wallet_short(asset, wallet, held, held - got);
            }
        }
        let held_by: HashMap<Sym, Decimal> = wallets.iter().copied().collect();
        for &(wallet, got) in &given {
            let held = held_by.get(&wallet).copied().unwrap_or(Decimal::ZERO);
            if got > held {
                self.out.warnings.add(
                    "frozen allocation exceeds holdings",
                    format!(
                        "{}: gives {} {} {name} of basis, but the ledger shows it held {} on {}",
                        f.file,
                        self.name(wallet),
                        fmt_qty(got),
                        fmt_qty(held),
                        self.cfg.transition.date
                    ),
                );
            }
        }
        legs.retain(|l| !l.qty.is_zero());
        self.leave_unallocated(asset, legs, "are not in the allocation file");
        Ok(())
    }
}

/// The warnings about the allocation as a whole: `shared` assets were held
/// in several wallets.
pub(super) fn allocation_warnings(cfg: &Config, warnings: &mut Warnings, shared: usize) {
    let frozen = &cfg.transition.frozen;
    if shared > 0
        && frozen.is_none()
        && let Some(r) = cfg
            .transition
            .recorded
            .filter(|&r| r >= cfg.transition.date)
    {
        warnings.add(
            "allocation rule recorded late",
            format!(
                "--scope transition: harvest.toml says the allocation rule was recorded on {r}; a global allocation must be written in your books before {} (Rev. Proc. 2024-28 sec. 5.02): if it was not, make a specific unit allocation and pass it with --allocation",
                cfg.transition.date
            ),
        );
    }
    if shared > 0 && frozen.is_none() && !cfg.transition.named {
        warnings.add(
            "allocation rule not named",
            format!(
                "--scope transition: no allocation rule in harvest.toml, so the remaining lots of {shared} asset{} held in several wallets on {} were allocated {}; Rev. Proc. 2024-28 needs the rule written in your books before 2025: name it in harvest.toml ([transition] rule), or freeze an allocation with `harvest allocation --format csv -o allocation.csv` and pass --allocation",
                if shared == 1 { "" } else { "s" },
                cfg.transition.date,
                cfg.transition.describe()
            ),
        );
    }
}
