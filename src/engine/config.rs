//! How the engine runs: the lot-selection method, where lots are pooled, what a
//! shortfall gets, and the rest of [`Config`].

use chrono_tz::Tz;

use std::sync::Arc;

use super::{AddressBook, AssetLinks, StandingOrder, Transition};

/// Lot-selection method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Oldest lot first.
    #[default]
    Fifo,
    /// Newest lot first.
    Lifo,
    /// Highest unit basis (fees included, as of acquisition) first.
    Hifo,
    /// As the selections file says; FIFO for the rest.
    Specific,
}

impl Method {
    /// The flag spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Fifo => "fifo",
            Method::Lifo => "lifo",
            Method::Hifo => "hifo",
            Method::Specific => "specific",
        }
    }
}

/// Where lots are pooled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One pool per account and asset.
    Wallet,
    /// One pool per asset across accounts (units withdrawn to unknown places stay
    /// apart, in `external`).
    Universal,
    /// Universal through the day before [`Transition::date`], then per account
    /// after allocating the remaining lots to the wallets holding the units
    /// (Rev. Proc. 2024-28).
    Transition,
}

impl Scope {
    /// The flag spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Wallet => "wallet",
            Scope::Universal => "universal",
            Scope::Transition => "transition",
        }
    }
}

/// What a disposal larger than the holdings gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingBasis {
    /// Stop with an error.
    Error,
    /// A zero-basis lot, acquired at the disposal, with a warning.
    Zero,
}

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct Config {
    pub method: Method,
    pub scope: Scope,
    pub missing_basis: MissingBasis,
    pub tz: Tz,
    /// Days before and after a loss sale in which a purchase of the same asset
    /// makes it a wash sale; 0 (current law for digital assets) turns it off.
    pub wash_window: u32,
    /// Standing orders from harvest.toml: from a time, an account's disposals
    /// take lots in a set order.
    pub standing_orders: Vec<StandingOrder>,
    /// From 2025, a disposal that neither a standing order nor a selection
    /// identified in time takes its lots FIFO, the law's default (Treas. Reg.
    /// 1.1012-1(j)); `true` lets `method` pick them anyway: a what-if, not a
    /// filing position (counted in
    /// [`Outcome::late_identified`](super::Outcome::late_identified)).
    pub late_identification: bool,
    /// How `Scope::Transition` allocates the remaining lots to wallets.
    pub transition: Transition,
    /// Whether lot matching may run on two threads.
    pub parallel: Parallel,
    /// The user's own and payment addresses (harvest.toml): a withdrawal to
    /// an own address pairs with that account's deposit.
    pub addresses: Arc<AddressBook>,
    /// The assets that are one and the token migrations (harvest.toml
    /// `[assets]`): their trades move lots instead of disposing of them.
    pub assets: Arc<AssetLinks>,
    /// Record every transfer's lots in [`Outcome::moves`](super::Outcome::moves)
    /// (`audit`'s trails); off, a run keeps no such list.
    pub trace_moves: bool,
    /// Which disposals (and their legs) the outcome stores. Ignored with a
    /// wash window or `trace_moves`, which read disposals of every year.
    pub keep: Keep,
}

/// Which disposals a run stores. Every disposal takes its lots either way:
/// one not stored only leaves no record, so that a run for one year holds
/// that year's disposals, not the whole history's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keep {
    /// Every disposal.
    #[default]
    All,
    /// The disposals dated in this year (in the run's time zone). What Form
    /// 8949 rows need of earlier years, the basis each lot gave up, is kept
    /// in [`Outcome::taken_before`](super::Outcome::taken_before).
    Year(i32),
    /// None (`lots`, `balances` and `allocation` need only the lots held).
    Nothing,
}

/// Whether [`run`](super::run) may match the lots of different assets on two threads.
/// The outcome is the same either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parallel {
    /// For large ledgers on a machine with two cores or more.
    #[default]
    Auto,
    /// Never.
    Off,
    /// Whenever the run allows it (tests use this on small ledgers).
    Always,
}

impl Config {
    /// This configuration, storing the disposals `keep` says.
    pub fn keeping(&self, keep: Keep) -> Config {
        Config {
            keep,
            ..self.clone()
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            method: Method::Fifo,
            scope: Scope::Wallet,
            missing_basis: MissingBasis::Error,
            tz: Tz::UTC,
            wash_window: 0,
            standing_orders: Vec::new(),
            late_identification: false,
            transition: Transition::default(),
            parallel: Parallel::Auto,
            addresses: Arc::default(),
            assets: Arc::default(),
            trace_moves: false,
            keep: Keep::All,
        }
    }
}
