//! The Etherscan-family block explorers' CSV downloads (Etherscan, Arbiscan,
//! Basescan, Optimistic Etherscan, Polygonscan, BscScan, and the same layout
//! on Snowtrace, FTMScan, GnosisScan, CronoScan): for one address, three
//! downloads, each its own format detected by header.
//!
//! - **Normal transactions** (`etherscan`): `Txhash` (`Transaction Hash`
//!   since 2024), `Blockno`, `UnixTimestamp`, `DateTime` (`DateTime (UTC)`
//!   since 2023), `From`, `To`, `ContractAddress`, `Value_IN(ETH)`,
//!   `Value_OUT(ETH)`, `CurrentValue @ $…/Eth` (today's value, not read),
//!   `TxnFee(ETH)`, `TxnFee(USD)`, `Historical $Price/Eth`, `Status`,
//!   `ErrCode`, then `Method` (2021 on) and `PrivateNote` (when the user has
//!   notes). The coin in the names is the chain's: `(BNB)` on BscScan,
//!   `(MATIC)` then `(POL)` on Polygonscan, `(AVAX)`, `(FTM)`, `(xDAI)`,
//!   `(CRO)`; Arbiscan, Basescan and Optimistic Etherscan write `(ETH)` and
//!   `Historical $Price/ETH`. `Status` is empty for a transaction that
//!   succeeded and `Error(0)`/`Error(1)` for one that failed (its gas was
//!   still paid; `ErrCode` says why).
//! - **Internal transactions** (`etherscan-internal`): `Txhash`, `Blockno`,
//!   `UnixTimestamp`, `DateTime`, `ParentTxFrom`, `ParentTxTo`,
//!   `ParentTxETH_Value`, `From`, `TxTo`, `ContractAddress`, `Value_IN(ETH)`,
//!   `Value_OUT(ETH)`, `CurrentValue…`, `Historical $Price/Eth`, `Status`,
//!   `ErrCode`, `Type`: coin moved by a contract (a DEX paying out ETH).
//!   `Status` is `0` when it happened, `1` when it reverted.
//! - **Token transfers** (`etherscan-tokens`, ERC-20/BEP-20): `Txhash`,
//!   `Blockno`, `UnixTimestamp`, `DateTime`, `From`, `To`, `TokenValue`
//!   (`Value` before 2022, without `Blockno`), `USDValueDayOfTx` (2023 on:
//!   the transfer's USD value at the day's price, empty when the explorer
//!   has none), `ContractAddress`, `TokenName`, `TokenSymbol`.
//!
//! Quantities are in whole units (ETH, not wei), a magnitude, with `,`
//! thousands separators in token values; `UnixTimestamp` (UTC) is the time.
//!
//! **One transaction, one event.** Given together (`harvest import
//! normal.csv internal.csv tokens.csv`), every row of one transaction hash
//! is read as one event of the exported address, whatever the file: the
//! coin and tokens it sent and received are netted per asset, then: one
//! asset out and one in is a `trade` (a DEX swap); one out a `withdrawal`
//! (its note `to <address>`, so that a send to an own address of harvest.toml
//! pairs as a transfer); one in a `deposit` (`from <address>`); nothing moved
//! (an approval, a failed transaction) only the gas. The gas (`TxnFee`) is
//! the exported address's only when it signed the transaction (`From` of the
//! normal transaction is the address): then it is the withdrawal's or the
//! trade's fee, on top, or a `fee` row (a disposal of the chain's coin). A
//! failed transaction moved nothing: its gas is a `fee` row. More than one
//! asset on a side (adding liquidity) is written leg by leg, each a deposit
//! or withdrawal noted to be checked by hand. The event is written from the
//! normal download's row (else the internal one's, else the tokens'); the
//! rows of the other downloads are skipped as "booked with the rest of its
//! transaction from FILE". To see every row of a hash the downloads are
//! read once before the import ([`Pool`], by `import` and by the commands
//! given exports): memory holds the legs of the address's rows (a download
//! holds at most tens of thousands of rows: the explorers cap a download
//! at a few thousand rows a page). A download imported without being read
//! before (alone) groups its own rows only.
//!
//! **The address and the account.** The exported address is the one in
//! every row (`From`, `To`/`TxTo`, an internal row's `ParentTxFrom`); when
//! two are (a one-row file), the one the file name holds (Etherscan names a
//! download `export-0x….csv`), else the one harvest.toml lists as own, else
//! the one the other downloads of the import name; `--address` names it
//! for every download given. Its account is the `[accounts.NAME]` listing it under
//! `addresses`, else `<chain>:<address>` (lower case), which
//! `[import.accounts]` renames; `--account` wins.
//!
//! **The chain.** From the coin of the header when it tells (BNB: `bsc`,
//! MATIC/POL: `polygon`, AVAX: `avalanche`, FTM: `fantom`, xDAI: `gnosis`,
//! CRO: `cronos`); an `(ETH)` header is `ethereum` unless `--chain` says
//! `arbitrum`, `optimism` or `base`; a tokens download takes the chain of
//! the normal or internal download of the same address in the import, else
//! `--chain`, else `ethereum`.
//!
//! **Asset identity.** A token's symbol is not its identity (anyone can
//! deploy a token called USDC). A contract of [`CANONICAL`] (USDC, USDT,
//! DAI, WETH, WBTC, ... on each chain) is its plain symbol; any other is
//! `SYMBOL-xxxxxx`, the symbol and the first six hex digits of its contract,
//! so two contracts never merge and the name does not depend on the files'
//! order. Every token row's note gives its chain and contract. A token
//! listed in `[assets] spam` (by contract or name), or one with no price
//! (no USD value in the export, none in `--prices`) that is received or
//! sent alone and not in `[assets] keep`, is skipped with its contract and
//! what to do, once per token in the summary.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

use super::draft::fmt_decimal;
use super::format::{Format, PREAMBLE_ROWS};
use super::sheet::{Text, stream_rows};
use super::{Cx, Draft, Entry, ISO_NAIVE, ImportError, RowStream, Sheet, TradeIn};
use crate::model::Kind;

/// Settings of the on-chain downloads, from the command line and harvest.toml.
#[derive(Debug, Clone, Default)]
pub struct EvmSettings {
    /// `--chain`: the chain of downloads whose header does not tell it.
    pub chain: Option<String>,
    /// `--address` (lower case): the address every download given is of.
    pub address: Option<String>,
    /// Own addresses (lower case) -> the account listing them.
    pub owners: HashMap<String, String>,
    /// `[assets] spam`: contracts (lower case) or asset names (upper case).
    pub spam: BTreeSet<String>,
    /// `[assets] keep`: contracts (lower case) or asset names (upper case).
    pub keep: BTreeSet<String>,
}

/// The chains `--chain` names.
pub const CHAINS: [&str; 10] = [
    "ethereum",
    "arbitrum",
    "optimism",
    "base",
    "polygon",
    "bsc",
    "avalanche",
    "fantom",
    "gnosis",
    "cronos",
];

/// The chain a header's coin tells; None for ETH (several chains).
fn chain_of_coin(coin: &str) -> Option<&'static str> {
    Some(match coin.to_ascii_uppercase().as_str() {
        "BNB" => "bsc",
        "MATIC" | "POL" => "polygon",
        "AVAX" => "avalanche",
        "FTM" => "fantom",
        "XDAI" => "gnosis",
        "CRO" => "cronos",
        _ => return None,
    })
}

/// CoinGecko's id of a chain ("asset platform"), for pricing a token by its
/// contract: `{platform}/contract/{contract}`.
pub fn coingecko_platform(chain: &str) -> Option<&'static str> {
    Some(match chain {
        "ethereum" => "ethereum",
        "arbitrum" => "arbitrum-one",
        "optimism" => "optimistic-ethereum",
        "base" => "base",
        "polygon" => "polygon-pos",
        "bsc" => "binance-smart-chain",
        "avalanche" => "avalanche",
        "fantom" => "fantom",
        "gnosis" => "xdai",
        "cronos" => "cronos",
        _ => return None,
    })
}

/// The tokens a ledger note names as import writes them (`PEPE-698250 =
/// ethereum token 0x6982… (Pepe)`): (asset, chain, contract), so that
/// `harvest prices` can price a token by its contract.
pub fn note_contracts(note: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for part in note.split("; ") {
        let Some((asset, rest)) = part.split_once(" = ") else {
            continue;
        };
        let mut w = rest.split(' ');
        let (Some(chain), Some("token"), Some(contract)) = (w.next(), w.next(), w.next()) else {
            continue;
        };
        let hex = contract.strip_prefix("0x").unwrap_or("");
        if CHAINS.contains(&chain) && hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            out.push((
                asset.to_string(),
                chain.to_string(),
                contract.to_ascii_lowercase(),
            ));
        }
    }
    out
}

/// The widely used token contracts of each chain, written as their plain
/// symbol: (chain, contract in lower case, asset). Bridged copies that are
/// a different contract keep a name of their own (`USDC.e`): whether they
/// are the same asset is the user's call.
pub const CANONICAL: &[(&str, &str, &str)] = &[
    (
        "ethereum",
        "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
        "USDC",
    ),
    (
        "ethereum",
        "0xdac17f958d2ee523a2206206994597c13d831ec7",
        "USDT",
    ),
    (
        "ethereum",
        "0x6b175474e89094c44da98b954eedeac495271d0f",
        "DAI",
    ),
    (
        "ethereum",
        "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
        "WETH",
    ),
    (
        "ethereum",
        "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599",
        "WBTC",
    ),
    (
        "arbitrum",
        "0xaf88d065e77c8cc2239327c5edb3a432268e5831",
        "USDC",
    ),
    (
        "arbitrum",
        "0xff970a61a04b1ca14834a43f5de4533ebddb5cc8",
        "USDC.e",
    ),
    (
        "arbitrum",
        "0xfd086bc7cd5c481dcc9c85ebe478a1c0b69fcbb9",
        "USDT",
    ),
    (
        "arbitrum",
        "0xda10009cbd5d07dd0cecc66161fc93d7c9000da1",
        "DAI",
    ),
    (
        "arbitrum",
        "0x82af49447d8a07e3bd95bd0d56f35241523fbab1",
        "WETH",
    ),
    (
        "arbitrum",
        "0x2f2a2543b76a4166549f7aab2e75bef0aefc5b0f",
        "WBTC",
    ),
    (
        "optimism",
        "0x0b2c639c533813f4aa9d7837caf62653d097ff85",
        "USDC",
    ),
    (
        "optimism",
        "0x7f5c764cbc14f9669b88837ca1490cca17c31607",
        "USDC.e",
    ),
    (
        "optimism",
        "0x94b008aa00579c1307b0ef2c499ad98a8ce58e58",
        "USDT",
    ),
    (
        "optimism",
        "0xda10009cbd5d07dd0cecc66161fc93d7c9000da1",
        "DAI",
    ),
    (
        "optimism",
        "0x4200000000000000000000000000000000000006",
        "WETH",
    ),
    ("base", "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", "USDC"),
    ("base", "0x50c5725949a6f0c72e6c4a641f24049a917db0cb", "DAI"),
    ("base", "0x4200000000000000000000000000000000000006", "WETH"),
    (
        "polygon",
        "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359",
        "USDC",
    ),
    (
        "polygon",
        "0x2791bca1f2de4661ed88a30c99a7a9449aa84174",
        "USDC.e",
    ),
    (
        "polygon",
        "0xc2132d05d31c914a87c6611c10748aeb04b58e8f",
        "USDT",
    ),
    (
        "polygon",
        "0x8f3cf7ad23cd3cadbd9735aff958023239c6a063",
        "DAI",
    ),
    (
        "polygon",
        "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619",
        "WETH",
    ),
    (
        "polygon",
        "0x1bfd67037b42cf73acf2047067bd4f2c47d9bfd6",
        "WBTC",
    ),
    (
        "polygon",
        "0x0d500b1d8e8ef31e21c99d1db9a6444d3adf1270",
        "WPOL",
    ),
    ("bsc", "0x55d398326f99059ff775485246999027b3197955", "USDT"),
    ("bsc", "0x8ac76a51cc950d9822d68b83fe1ad97b32cd580d", "USDC"),
    ("bsc", "0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c", "WBNB"),
    ("bsc", "0xe9e7cea3dedca5984780bafc599bd69add087d56", "BUSD"),
];

/// The download a row comes from; its order is the order in which a
/// transaction's event is looked for (written from the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Download {
    Normal,
    Internal,
    Tokens,
}

impl Download {
    fn of(f: Format) -> Option<Download> {
        match f {
            Format::Etherscan => Some(Download::Normal),
            Format::EtherscanInternal => Some(Download::Internal),
            Format::EtherscanTokens => Some(Download::Tokens),
            _ => None,
        }
    }
}

fn has(h: &[String], n: &str) -> bool {
    h.iter().any(|c| c.eq_ignore_ascii_case(n))
}

fn has_prefix(h: &[String], p: &str) -> bool {
    h.iter().any(|c| c.starts_with(p))
}

fn hash_and_time(h: &[String]) -> bool {
    (has(h, "Txhash") || has(h, "Transaction Hash")) && has(h, "UnixTimestamp")
}

/// The normal transactions download.
pub(crate) fn matches_normal(h: &[String]) -> bool {
    hash_and_time(h)
        && has_prefix(h, "Value_IN(")
        && has_prefix(h, "TxnFee(")
        && !has(h, "ParentTxFrom")
}

/// The internal transactions download.
pub(crate) fn matches_internal(h: &[String]) -> bool {
    hash_and_time(h) && has_prefix(h, "Value_IN(") && has(h, "ParentTxFrom")
}

/// The token (ERC-20) transfers download; NFT downloads (`TokenId`) are not.
pub(crate) fn matches_tokens(h: &[String]) -> bool {
    hash_and_time(h)
        && has(h, "TokenSymbol")
        && has(h, "ContractAddress")
        && (has(h, "TokenValue") || has(h, "Value"))
        && !has_prefix(h, "Value_IN(")
        && !has(h, "TokenId")
}

/// The columns of one download (None: not in this version).
#[derive(Debug, Clone, Default)]
struct Cols {
    hash: Option<usize>,
    unix: Option<usize>,
    date: Option<usize>,
    from: Option<usize>,
    to: Option<usize>,
    value_in: Option<usize>,
    value_out: Option<usize>,
    fee: Option<usize>,
    fee_usd: Option<usize>,
    price: Option<usize>,
    status: Option<usize>,
    err: Option<usize>,
    method: Option<usize>,
    qty: Option<usize>,
    usd: Option<usize>,
    contract: Option<usize>,
    name: Option<usize>,
    symbol: Option<usize>,
    parent: Option<usize>,
    /// The coin the header names (`ETH` of `Value_IN(ETH)`).
    coin: Option<String>,
}

impl Cols {
    fn of(h: &[String], kind: Download) -> Cols {
        let col = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| h.iter().position(|c| c.eq_ignore_ascii_case(n)))
        };
        let prefixed = |p: &str, not: &str| {
            h.iter()
                .position(|c| c.starts_with(p) && !c.eq_ignore_ascii_case(not))
        };
        let coin = h.iter().find_map(|c| {
            c.strip_prefix("Value_IN(")
                .and_then(|r| r.strip_suffix(')'))
                .map(|s| s.trim().to_ascii_uppercase())
        });
        let mut c = Cols {
            hash: col(&["Txhash", "Transaction Hash"]),
            unix: col(&["UnixTimestamp"]),
            date: col(&["DateTime (UTC)", "DateTime"]),
            from: col(&["From"]),
            to: col(&["To"]),
            coin,
            ..Cols::default()
        };
        match kind {
            Download::Normal | Download::Internal => {
                c.value_in = prefixed("Value_IN(", "");
                c.value_out = prefixed("Value_OUT(", "");
                c.price = prefixed("Historical $Price/", "");
                c.status = col(&["Status"]);
                c.err = col(&["ErrCode"]);
                if kind == Download::Normal {
                    c.fee = prefixed("TxnFee(", "TxnFee(USD)");
                    c.fee_usd = col(&["TxnFee(USD)"]);
                    c.method = col(&["Method"]);
                } else {
                    c.to = col(&["TxTo", "To"]);
                    c.parent = col(&["ParentTxFrom"]);
                    c.method = col(&["Type"]);
                }
            }
            Download::Tokens => {
                c.qty = col(&["TokenValue", "Value", "Quantity"]);
                c.usd = col(&["USDValueDayOfTx"]);
                c.contract = col(&["ContractAddress"]);
                c.name = col(&["TokenName"]);
                c.symbol = col(&["TokenSymbol"]);
            }
        }
        c
    }
}

/// A token as a row names it.
#[derive(Debug, Clone)]
struct Token {
    /// Lower case.
    contract: String,
    symbol: String,
    name: String,
}

/// One row, read.
#[derive(Debug, Clone)]
struct Leg {
    print: u64,
    kind: Download,
    line: u64,
    hash: String,
    time: DateTime<Utc>,
    /// Lower case.
    from: String,
    to: String,
    /// The sender of the transaction an internal row is part of (the
    /// address downloaded may be only that).
    parent: String,
    /// Coin (normal, internal) or token quantity received / sent by `to`.
    value_in: Decimal,
    value_out: Decimal,
    qty: Decimal,
    fee: Decimal,
    fee_usd: Option<Decimal>,
    /// The coin's USD price of the day.
    price: Option<Decimal>,
    /// The token transfer's USD value.
    usd: Option<Decimal>,
    failed: bool,
    err: String,
    method: String,
    token: Option<Token>,
}

/// A cell that cannot be read: (column, value, why).
type Bad = (&'static str, String, String);

fn lower(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

/// A quantity cell: empty is zero; `,` separates thousands.
fn quantity(cells: &[String], i: Option<usize>, name: &'static str) -> Result<Decimal, Bad> {
    let Some(v) = i.and_then(|i| cells.get(i)).map(|s| s.trim()) else {
        return Ok(Decimal::ZERO);
    };
    if v.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let plain = v.replace([',', '$'], "");
    let d = plain
        .parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&plain));
    match d {
        Ok(d) if !d.is_sign_negative() || d.is_zero() => Ok(d),
        Ok(_) => Err((
            name,
            v.to_string(),
            "is negative; the explorer writes magnitudes (IN and OUT apart)".into(),
        )),
        Err(_) => Err((name, v.to_string(), "is not a number".into())),
    }
}

/// An optional money cell: empty, zero or unreadable is none (the explorer
/// writes `0` or nothing where it has no price).
fn money(cells: &[String], i: Option<usize>) -> Option<Decimal> {
    quantity(cells, i, "").ok().filter(|d| !d.is_zero())
}

fn cell(cells: &[String], i: Option<usize>) -> &str {
    i.and_then(|i| cells.get(i)).map_or("", |s| s.trim())
}

fn read_leg(
    c: &Cols,
    kind: Download,
    print: u64,
    line: u64,
    cells: &[String],
) -> Result<Leg, Vec<Bad>> {
    let mut bad: Vec<Bad> = Vec::new();
    let hash = lower(cell(cells, c.hash));
    if hash.is_empty() {
        bad.push((
            "Txhash",
            String::new(),
            "is empty; every row names its transaction".into(),
        ));
    }
    let unix = cell(cells, c.unix);
    let time = match unix
        .parse::<i64>()
        .ok()
        .and_then(|s| Utc.timestamp_opt(s, 0).single())
    {
        Some(t) => Some(t),
        // Only when the cell is empty is the DateTime column read.
        None if unix.is_empty() => {
            super::parse_naive(cell(cells, c.date), &ISO_NAIVE).map(|n| Utc.from_utc_datetime(&n))
        }
        None => None,
    };
    if time.is_none() {
        bad.push((
            "UnixTimestamp",
            unix.to_string(),
            "is not a time in Unix seconds (e.g. 1740823511)".into(),
        ));
    }
    let status = cell(cells, c.status);
    // Failed: `Error(0)`, `Error(1)` (normal), `1` (internal); empty, `0`
    // (isError 0) or a word of success is a transaction that happened.
    let failed = kind != Download::Tokens
        && !(status.is_empty()
            || status == "0"
            || ["success", "ok", "confirmed"]
                .iter()
                .any(|w| status.eq_ignore_ascii_case(w)));
    let token = if kind == Download::Tokens {
        let contract = lower(cell(cells, c.contract));
        if contract.is_empty() {
            bad.push((
                "ContractAddress",
                String::new(),
                "is empty; a token transfer names its token's contract".into(),
            ));
        }
        Some(Token {
            contract,
            symbol: cell(cells, c.symbol).to_string(),
            name: cell(cells, c.name).to_string(),
        })
    } else {
        None
    };
    let mut q = |i: Option<usize>, name: &'static str| {
        quantity(cells, i, name).unwrap_or_else(|b| {
            bad.push(b);
            Decimal::ZERO
        })
    };
    let value_in = q(c.value_in, "Value_IN");
    let value_out = q(c.value_out, "Value_OUT");
    let qty = q(c.qty, "TokenValue");
    let fee = q(c.fee, "TxnFee");
    let (Some(time), true) = (time, bad.is_empty()) else {
        return Err(bad);
    };
    Ok(Leg {
        print,
        kind,
        line,
        hash,
        time,
        from: lower(cell(cells, c.from)),
        to: lower(cell(cells, c.to)),
        parent: lower(cell(cells, c.parent)),
        value_in,
        value_out,
        qty,
        fee,
        fee_usd: money(cells, c.fee_usd),
        price: money(cells, c.price),
        usd: money(cells, c.usd),
        failed,
        err: cell(cells, c.err).to_string(),
        method: cell(cells, c.method).to_string(),
        token,
    })
}

/// -1 for a negative quantity, else 1.
fn sign(q: Decimal) -> Decimal {
    if q.is_sign_negative() {
        -Decimal::ONE
    } else {
        Decimal::ONE
    }
}

/// What the import knows of one download.
#[derive(Debug, Clone)]
struct FileInfo {
    name: String,
    kind: Download,
    coin: Option<String>,
    /// The addresses in every row (before one is chosen).
    candidates: Option<BTreeSet<String>>,
    /// The exported address, or why it is not known.
    address: Result<String, String>,
    /// The chain, or why it is not known.
    chain: Result<String, String>,
    /// The files read together (0: every file prepared before the import);
    /// a file read only when imported is a batch of its own (its
    /// fingerprint), so that its events never take rows of a file whose
    /// events were already written.
    batch: u64,
    legs: Vec<Leg>,
}

/// The downloads whose rows can be of one transaction: (batch, address,
/// chain).
type GroupKey = (u64, String, String);

/// Every row of the on-chain downloads of an import, read before it so that
/// the rows of one transaction hash, in any of the files, make one event.
///
/// The addresses, chains and groups are settled once, when first read after
/// a download was added ([`Pool::settle_if_added`]), not after each one:
/// settling looks at every row read so far, and an import reads hundreds of
/// downloads before it reads any of that.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    settings: EvmSettings,
    files: HashMap<u64, FileInfo>,
    /// (batch, address, chain) -> hash -> (file, index in its legs).
    groups: HashMap<GroupKey, HashMap<String, Vec<(u64, usize)>>>,
    /// A download was added (or the settings changed) since the last
    /// settling: each download's address and chain, and the groups, are
    /// out of date until [`Pool::settle_if_added`].
    unsettled: bool,
}

impl Pool {
    /// The settings of the downloads (taking effect at the next settling).
    pub fn set_settings(&mut self, settings: EvmSettings) {
        self.settings = settings;
        self.unsettled = true;
    }

    /// Whether the download with this fingerprint was read.
    pub fn knows(&self, print: u64) -> bool {
        self.files.contains_key(&print)
    }

    /// Reads a download's rows (a file of another format is left alone; a
    /// row that cannot be read is left to the import, which reports it).
    /// `together`: read before the import with the other inputs, whose rows
    /// of a transaction join its own; otherwise its rows are grouped alone.
    pub fn add(&mut self, text: &Text<'_>, file: &str, forced: Option<Format>, together: bool) {
        let print = text.fingerprint();
        if self.files.contains_key(&print) {
            return;
        }
        let Ok(mut stream) = RowStream::of(text, file, false) else {
            return;
        };
        let mut header: Option<(Download, Cols)> = None;
        let mut n = 0;
        let mut legs = Vec::new();
        let mut candidates: Option<BTreeSet<String>> = None;
        while let Ok(Some((line, cells))) = stream.next_owned() {
            let Some((kind, cols)) = &header else {
                n += 1;
                if n > PREAMBLE_ROWS {
                    return;
                }
                let found = match forced {
                    Some(f) => Download::of(f).filter(|_| f.matches(&cells)),
                    None => [
                        Format::Etherscan,
                        Format::EtherscanInternal,
                        Format::EtherscanTokens,
                    ]
                    .into_iter()
                    .find(|f| f.matches(&cells))
                    .and_then(Download::of),
                };
                if let Some(k) = found {
                    header = Some((k, Cols::of(&cells, k)));
                }
                continue;
            };
            if cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            if let Ok(leg) = read_leg(cols, *kind, print, line, &cells) {
                let here: BTreeSet<String> = [leg.from.clone(), leg.to.clone(), leg.parent.clone()]
                    .into_iter()
                    .filter(|a| !a.is_empty())
                    .collect();
                candidates = Some(match candidates {
                    None => here,
                    Some(c) => c.intersection(&here).cloned().collect(),
                });
                legs.push(leg);
            }
        }
        let Some((kind, cols)) = header else {
            return;
        };
        self.files.insert(
            print,
            FileInfo {
                name: file.to_string(),
                kind,
                coin: cols.coin.clone(),
                candidates,
                address: Err(String::new()),
                chain: Err(String::new()),
                batch: if together { 0 } else { print },
                legs,
            },
        );
        self.unsettled = true;
    }

    /// Settles the downloads read since the last settling (see [`Pool`]):
    /// called before anything reads an address, a chain or a group.
    /// Settling starts from nothing each time (from the files read and the
    /// settings), so once after the last download gives what settling
    /// after each one did.
    pub fn settle_if_added(&mut self) {
        if self.unsettled {
            self.settle();
            self.unsettled = false;
        }
    }

    /// Chooses each download's address and chain, and groups the rows of
    /// every transaction, from every file read.
    fn settle(&mut self) {
        // Addresses: the one in every row; among several, the file name's,
        // an own one's, then one another download settles on.
        let mut settled: BTreeSet<String> = BTreeSet::new();
        for round in 0..2 {
            let mut prints: Vec<u64> = self.files.keys().copied().collect();
            prints.sort_unstable();
            for p in prints {
                let Some(f) = self.files.get_mut(&p) else {
                    continue;
                };
                let c = f.candidates.clone().unwrap_or_default();
                let name = f.name.to_ascii_lowercase();
                let pick = |set: Vec<&String>| (set.len() == 1).then(|| set[0].clone());
                if let Some(a) = &self.settings.address {
                    f.address = if c.contains(a) || f.candidates.is_none() {
                        Ok(a.clone())
                    } else {
                        Err(format!(
                            "is not a download of {a} (--address): no row names it"
                        ))
                    };
                    continue;
                }
                let chosen = if c.len() == 1 {
                    c.iter().next().cloned()
                } else {
                    pick(c.iter().filter(|a| name.contains(a.as_str())).collect())
                        .or_else(|| {
                            pick(
                                c.iter()
                                    .filter(|a| self.settings.owners.contains_key(*a))
                                    .collect(),
                            )
                        })
                        .or_else(|| pick(c.iter().filter(|a| settled.contains(*a)).collect()))
                };
                f.address = match chosen {
                    Some(a) => {
                        settled.insert(a.clone());
                        Ok(a)
                    }
                    None if f.candidates.is_none() => {
                        Err("has no rows to tell the address it was downloaded for".into())
                    }
                    None if c.is_empty() => Err(
                        "has rows of different addresses (no address is in every row): give \
                         each address's downloads as downloaded from the explorer"
                            .into(),
                    ),
                    None => Err(format!(
                        "could be the download of {}: name the file after its address (the \
                         explorer names it export-0x….csv) or list the address under \
                         [accounts.NAME] addresses in harvest.toml",
                        c.iter().cloned().collect::<Vec<_>>().join(" or ")
                    )),
                };
            }
            if round == 0 && settled.is_empty() {
                break;
            }
        }
        // Chains: the header's coin; else --chain; a tokens download takes
        // its address's coin download's chain.
        let told = self.settings.chain.clone();
        let mut coin_chains: HashMap<String, BTreeSet<String>> = HashMap::new();
        for f in self.files.values_mut() {
            if f.kind == Download::Tokens {
                continue;
            }
            let coin = f.coin.clone().unwrap_or_default();
            f.chain = match (chain_of_coin(&coin), &told) {
                (Some(c), Some(t)) if c != t => Err(format!(
                    "is a download of the {c} chain (its coin is {coin}), not of {t} (--chain)"
                )),
                (Some(c), _) => Ok(c.to_string()),
                (None, Some(t)) => Ok(t.clone()),
                (None, None) => Ok("ethereum".to_string()),
            };
            if let (Ok(a), Ok(c)) = (&f.address, &f.chain) {
                coin_chains.entry(a.clone()).or_default().insert(c.clone());
            }
        }
        for f in self.files.values_mut() {
            if f.kind != Download::Tokens {
                continue;
            }
            let of_address = f
                .address
                .as_ref()
                .ok()
                .and_then(|a| coin_chains.get(a))
                .cloned()
                .unwrap_or_default();
            f.chain = match (&told, of_address.len()) {
                (Some(t), _) => Ok(t.clone()),
                (None, 0) => Ok("ethereum".to_string()),
                (None, 1) => Ok(of_address.iter().next().cloned().unwrap_or_default()),
                (None, _) => Err(format!(
                    "could be of the chains {}: import each chain's downloads apart, with \
                     --chain",
                    of_address.iter().cloned().collect::<Vec<_>>().join(", ")
                )),
            };
        }
        self.groups.clear();
        for (p, f) in &self.files {
            let (Ok(a), Ok(c)) = (&f.address, &f.chain) else {
                continue;
            };
            let of = self
                .groups
                .entry((f.batch, a.clone(), c.clone()))
                .or_default();
            for (i, leg) in f.legs.iter().enumerate() {
                of.entry(leg.hash.clone()).or_default().push((*p, i));
            }
        }
        for g in self.groups.values_mut().flat_map(HashMap::values_mut) {
            g.sort_by_key(|&(p, i)| {
                let f = &self.files[&p];
                (f.kind, p, f.legs[i].line)
            });
        }
    }

    fn leg(&self, (p, i): (u64, usize)) -> &Leg {
        &self.files[&p].legs[i]
    }

    /// The asset a token is written as on `chain`.
    fn token_asset(chain: &str, t: &Token) -> String {
        if let Some((_, _, s)) = CANONICAL
            .iter()
            .find(|(c, k, _)| *c == chain && *k == t.contract)
        {
            return s.to_string();
        }
        let mut sym: String = t
            .symbol
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .take(16)
            .collect::<String>()
            .to_ascii_uppercase();
        if sym.is_empty() {
            sym = "TOKEN".into();
        }
        // The address's first six characters (by character: a damaged export
        // can hold any text there, and a byte count may end inside one).
        let hex: String = t
            .contract
            .trim_start_matches("0x")
            .chars()
            .take(6)
            .collect();
        format!("{sym}-{hex}")
    }

    fn canonical(chain: &str, contract: &str) -> bool {
        CANONICAL
            .iter()
            .any(|(c, k, _)| *c == chain && *k == contract)
    }

    fn listed(set: &BTreeSet<String>, contract: &str, asset: &str) -> bool {
        set.contains(contract) || set.contains(&asset.to_ascii_uppercase())
    }
}

/// One asset's net movement in a transaction.
#[derive(Debug, Clone)]
struct Move {
    asset: String,
    /// Positive: received.
    qty: Decimal,
    usd: Option<Decimal>,
    /// The other side (the sender of a receipt, the receiver of a send).
    party: String,
    token: Option<Token>,
    /// The rows of this asset (file, line).
    rows: Vec<(u64, u64)>,
}

/// What one transaction of the address becomes.
struct Event {
    /// Ledger rows, the first made from the event's rows.
    recs: Vec<crate::model::Record>,
    /// Rows left out, with why (spam tokens).
    dropped: HashMap<(u64, u64), String>,
    /// Why nothing was written, when nothing was.
    nothing: String,
}

/// Reads a download row by row; each transaction's event is written at the
/// first of its rows in the download it is written from (see the module
/// documentation).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    pool: &mut Pool,
    print: u64,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    // The only reader of the settled state (the addresses, the chains, the
    // groups; `event` is given them from here).
    pool.settle_if_added();
    let pool: &Pool = pool;
    let Some(kind) = Download::of(cx.format) else {
        return Ok(());
    };
    let cols = Cols::of(&sheet.header, kind);
    let hash_col = sheet.need(cx, &["Txhash", "Transaction Hash"]);
    sheet.need(cx, &["UnixTimestamp"]);
    sheet.need(cx, &["From"]);
    if kind == Download::Internal {
        sheet.need(cx, &["TxTo", "To"]);
    } else {
        sheet.need(cx, &["To"]);
    }
    if kind == Download::Tokens {
        sheet.need(cx, &["TokenValue", "Value"]);
        sheet.need(cx, &["ContractAddress"]);
        sheet.need(cx, &["TokenSymbol"]);
    }
    // Why the download's address or chain is not known: said once, after
    // its rows (whose own problems come first).
    let mut unknown: Vec<String> = Vec::new();
    let batch = pool.files.get(&print).map_or(print, |f| f.batch);
    let (address, chain) = match pool.files.get(&print) {
        Some(f) => {
            for e in [&f.address, &f.chain]
                .into_iter()
                .filter_map(|r| r.as_ref().err())
            {
                if f.candidates.is_some() {
                    unknown.push(format!("this download {e}"));
                }
            }
            (
                f.address.clone().unwrap_or_default(),
                f.chain.clone().unwrap_or_default(),
            )
        }
        None => (String::new(), String::new()),
    };
    let account = if cx.opts.account.is_some() || address.is_empty() {
        cx.account.clone()
    } else if let Some(a) = pool.settings.owners.get(&address) {
        a.clone()
    } else {
        cx.opts.account_for(&format!("{chain}:{address}"))
    };
    // This download's transactions, hash -> rows.
    let groups = pool.groups.get(&(batch, address.clone(), chain.clone()));
    let mut done: BTreeSet<String> = BTreeSet::new();
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        let Some(row) = row else {
            // Rows that cannot be read may be what hides the address: they
            // are reported alone, and the address once they are fixed.
            if !cx.failed() {
                for u in unknown.drain(..) {
                    cx.problem(sheet.header_line, None, None, u);
                }
            }
            return;
        };
        if !sheet.data_row(cx, row, hash_col, out) {
            return;
        }
        if let Err(bad) = read_leg(&cols, kind, print, row.line, &row.cells) {
            for (col, value, why) in bad {
                // The header's own name (`Value_IN(POL)`).
                let at = match col {
                    "Value_IN" => cols.value_in,
                    "Value_OUT" => cols.value_out,
                    "TxnFee" => cols.fee,
                    "TokenValue" => cols.qty,
                    "UnixTimestamp" => cols.unix,
                    "ContractAddress" => cols.contract,
                    _ => cols.hash,
                };
                let name = at
                    .and_then(|i| sheet.header.get(i))
                    .map_or(col, |h| h.as_str());
                cx.bad_cell(row.line, name, &value, why);
            }
            return;
        }
        if address.is_empty() || chain.is_empty() || cx.failed() {
            return;
        }
        let hash = lower(row.get(hash_col));
        let Some(group) = groups.and_then(|g| g.get(&hash)) else {
            return;
        };
        if done.contains(&hash) {
            return;
        }
        done.insert(hash.clone());
        let ev = event(pool, cx, &address, &chain, &account, &hash, group);
        let owner = group.first().map(|&(p, _)| p);
        let mine: Vec<u64> = group
            .iter()
            .filter(|&&(p, _)| p == print)
            .map(|&g| pool.leg(g).line)
            .collect();
        let owner_name = owner
            .and_then(|p| pool.files.get(&p))
            .map_or("", |f| f.name.as_str());
        let mut rows = Vec::new();
        for &l in &mine {
            if let Some(why) = ev.dropped.get(&(print, l)) {
                out.push(Entry::skip(l, why.clone()));
            } else if owner != Some(print) {
                out.push(Entry::skip(
                    l,
                    format!(
                        "booked with the rest of its transaction from {owner_name} (the rows of \
                         one transaction hash are one event)"
                    ),
                ));
            } else {
                rows.push(l);
            }
        }
        if owner != Some(print) {
            return;
        }
        if ev.recs.is_empty() {
            let why = if ev.nothing.is_empty() {
                "nothing moved to or from this address".to_string()
            } else {
                ev.nothing
            };
            for l in rows {
                out.push(Entry::skip(l, why.clone()));
            }
            return;
        }
        let first = rows.first().copied().unwrap_or(row.line);
        for (n, rec) in ev.recs.into_iter().enumerate() {
            if n == 0 {
                out.push(Entry::Rec {
                    rows: std::mem::take(&mut rows),
                    rec,
                });
            } else {
                out.push(Entry::Extra { row: first, rec });
            }
        }
    })
}

/// The event of one transaction of `address` (see the module documentation).
fn event(
    pool: &Pool,
    cx: &mut Cx,
    address: &str,
    chain: &str,
    account: &str,
    hash: &str,
    group: &[(u64, usize)],
) -> Event {
    let legs: Vec<&Leg> = group.iter().map(|&g| pool.leg(g)).collect();
    let first = legs[0];
    let line = first.line;
    let time = first.time;
    let coin_of = |l: &Leg| {
        pool.files
            .get(&l.print)
            .and_then(|f| f.coin.clone())
            .unwrap_or_else(|| "ETH".into())
    };
    let normal = legs.iter().find(|l| l.kind == Download::Normal).copied();
    let coin = legs
        .iter()
        .find(|l| l.kind != Download::Tokens)
        .map(|l| coin_of(l))
        .unwrap_or_else(|| "ETH".into());
    let signer = normal.filter(|n| n.from == address);
    let fee = signer.map(|n| n.fee).unwrap_or_default();
    let fee_usd = signer.and_then(|n| n.fee_usd.or_else(|| n.price.map(|p| super::mul(n.fee, p))));
    let method = normal
        .map(|n| n.method.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_default();
    // A download read on its own makes its own events of a hash: its ids
    // must not be those of another download's events of the same hash.
    let alone = match pool.files.get(&first.print) {
        Some(f) if f.batch != 0 => cx.format.name(),
        _ => "",
    };
    let id = cx.wallet_id(hash, || hash.to_string(), &[chain, address, alone], &[]);
    let mut ev = Event {
        recs: Vec::new(),
        dropped: HashMap::new(),
        nothing: String::new(),
    };
    let fee_row = |id: String, note: String| {
        Draft::new(id, time, Kind::Fee)
            .fee(fee, &coin)
            .fee_usd(fee_usd)
            .txid(hash)
            .note(note)
            .finish(account)
    };
    if normal.is_some_and(|n| n.failed) {
        let n = normal.map_or("", |n| n.err.as_str());
        if fee.is_zero() {
            ev.nothing = "failed transaction sent by another address: nothing moved, no fee of \
                          this address"
                .into();
        } else {
            let why = if n.is_empty() {
                String::new()
            } else {
                format!(" ({n})")
            };
            let call = if method.is_empty() {
                String::new()
            } else {
                format!(" {method}")
            };
            ev.recs.push(fee_row(
                id,
                format!("failed transaction{call}{why}: nothing moved, its gas was paid"),
            ));
        }
        return ev;
    }
    // The net movement of each asset.
    let mut moves: Vec<Move> = Vec::new();
    let mut add = |asset: String,
                   q: Decimal,
                   usd: Option<Decimal>,
                   party: &str,
                   token: Option<Token>,
                   at: (u64, u64)| {
        if q.is_zero() {
            return;
        }
        match moves.iter_mut().find(|m| m.asset == asset) {
            Some(m) => {
                m.qty += q;
                m.usd = match (m.usd, usd) {
                    (Some(a), Some(b)) => Some(a + b.abs() * sign(q)),
                    _ => None,
                };
                m.rows.push(at);
            }
            None => moves.push(Move {
                asset,
                qty: q,
                usd: usd.map(|u| u.abs() * sign(q)),
                party: party.to_string(),
                token,
                rows: vec![at],
            }),
        }
    };
    for l in &legs {
        let at = (l.print, l.line);
        match l.kind {
            Download::Normal | Download::Internal => {
                if l.failed {
                    continue;
                }
                let c = coin_of(l);
                let usd = |q: Decimal| l.price.map(|p| super::mul(q, p));
                if l.to == address && !l.value_in.is_zero() {
                    add(c.clone(), l.value_in, usd(l.value_in), &l.from, None, at);
                }
                if l.from == address && !l.value_out.is_zero() {
                    add(c.clone(), -l.value_out, usd(l.value_out), &l.to, None, at);
                }
            }
            Download::Tokens => {
                let Some(t) = &l.token else { continue };
                let asset = Pool::token_asset(chain, t);
                if l.to == address {
                    add(asset.clone(), l.qty, l.usd, &l.from, Some(t.clone()), at);
                }
                if l.from == address {
                    add(asset, -l.qty, l.usd, &l.to, Some(t.clone()), at);
                }
            }
        }
    }
    moves.retain(|m| !m.qty.is_zero());
    // Spam and dust: listed, or unpriced and alone on its side.
    let both_sides =
        moves.iter().any(|m| m.qty > Decimal::ZERO) && moves.iter().any(|m| m.qty < Decimal::ZERO);
    let settings = &pool.settings;
    let mut kept = Vec::new();
    for m in moves {
        let Some(t) = &m.token else {
            kept.push(m);
            continue;
        };
        let spam = Pool::listed(&settings.spam, &t.contract, &m.asset);
        let unpriced = !Pool::canonical(chain, &t.contract)
            && !Pool::listed(&settings.keep, &t.contract, &m.asset)
            && m.usd.is_none()
            && !both_sides
            && cx.price(line, &m.asset, time).is_none();
        if spam || unpriced {
            let what = format!(
                "token {} \"{}\" ({chain} contract {})",
                m.asset, t.name, t.contract
            );
            let why = if spam {
                format!("{what} is listed in [assets] spam: left out")
            } else {
                format!(
                    "{what} has no price (none in the export, none in --prices): left out as \
                     spam or dust; to keep it, add \"{}\" to [assets] keep in harvest.toml and \
                     give its price with --prices",
                    t.contract
                )
            };
            for at in &m.rows {
                ev.dropped.insert(*at, why.clone());
            }
            continue;
        }
        kept.push(m);
    }
    let moves = kept;
    let note_of = |m: &Move| match &m.token {
        Some(t) => format!("{} = {chain} token {} ({})", m.asset, t.contract, t.name),
        None => String::new(),
    };
    let join = |parts: Vec<String>| {
        parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("; ")
    };
    // A plain transfer's method says nothing more than the row's kind.
    let call = if method.is_empty() || method.eq_ignore_ascii_case("Transfer") {
        String::new()
    } else {
        format!("call {method}")
    };
    // The contract called (the router of a swap), else the other side.
    let via = |m: &Move| {
        normal
            .map(|n| n.to.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| m.party.clone())
    };
    let ins: Vec<&Move> = moves.iter().filter(|m| m.qty > Decimal::ZERO).collect();
    let outs: Vec<&Move> = moves.iter().filter(|m| m.qty < Decimal::ZERO).collect();
    match (outs.as_slice(), ins.as_slice()) {
        ([], []) => {
            if fee.is_zero() {
                ev.nothing = "nothing moved to or from this address (a call of another \
                              address, a zero-value transfer or a token left out)"
                    .into();
            } else {
                ev.recs.push(fee_row(
                    id,
                    join(vec![
                        "network fee of a transaction that moved nothing of value".into(),
                        call.clone(),
                    ]),
                ));
            }
        }
        ([o], []) => {
            let d = Draft::new(id, time, Kind::Withdrawal)
                .sent(o.qty, &o.asset)
                .usd(o.usd)
                .fee(fee, &coin)
                .fee_usd(fee_usd)
                .txid(hash)
                .note(join(vec![
                    format!("to {}", o.party),
                    call.clone(),
                    note_of(o),
                ]));
            ev.recs.push(d.finish(account));
        }
        ([], [i]) => {
            let d = Draft::new(id.clone(), time, Kind::Deposit)
                .received(i.qty, &i.asset)
                .usd(i.usd)
                .txid(hash)
                .note(join(vec![
                    format!("from {}", i.party),
                    call.clone(),
                    note_of(i),
                ]));
            ev.recs.push(d.finish(account));
            if !fee.is_zero() {
                ev.recs.push(fee_row(
                    format!("{id}-fee"),
                    join(vec![
                        "network fee of the deposit above".into(),
                        call.clone(),
                    ]),
                ));
            }
        }
        ([o], [i]) => {
            // A native side's value first (the explorer's price of the day),
            // else a token side's.
            let hint = [*o, *i]
                .into_iter()
                .find(|m| m.token.is_none())
                .and_then(|m| m.usd)
                .or(i.usd)
                .or(o.usd)
                .map(|v| v.abs());
            let mut out = Vec::new();
            let fees = if fee.is_zero() {
                vec![]
            } else {
                vec![(fee, coin.clone())]
            };
            super::trade_record(
                cx,
                TradeIn {
                    id,
                    rows: vec![line],
                    time,
                    sent: (o.qty.abs(), o.asset.clone()),
                    received: (i.qty, i.asset.clone()),
                    fees,
                    usd_hint: hint,
                    note: join(vec![
                        format!("swap via {}", via(o)),
                        call.clone(),
                        note_of(o),
                        note_of(i),
                    ]),
                },
                &mut out,
            );
            for e in out {
                if let Entry::Rec { mut rec, .. } | Entry::Extra { mut rec, .. } = e {
                    rec.account = account.to_string();
                    rec.txid = hash.to_string();
                    if rec.fee_usd.is_empty() && !rec.fee_asset.is_empty() {
                        rec.fee_usd = fee_usd.map(fmt_decimal).unwrap_or_default();
                    }
                    ev.recs.push(rec);
                }
            }
        }
        _ => {
            // Several assets on a side: leg by leg, to be checked by hand.
            let n = moves.len();
            for (k, m) in moves.iter().enumerate() {
                let kind = if m.qty > Decimal::ZERO {
                    Kind::Deposit
                } else {
                    Kind::Withdrawal
                };
                let mut d = Draft::new(format!("{id}-{}", k + 1), time, kind)
                    .usd(m.usd)
                    .txid(hash)
                    .note(join(vec![
                        format!(
                            "leg {} of {n} of a transaction moving several assets (liquidity, \
                             a multi-swap): check it by hand",
                            k + 1
                        ),
                        if m.qty > Decimal::ZERO {
                            format!("from {}", m.party)
                        } else {
                            format!("to {}", m.party)
                        },
                        call.clone(),
                        note_of(m),
                    ]));
                d = if m.qty > Decimal::ZERO {
                    d.received(m.qty, &m.asset)
                } else {
                    d.sent(m.qty.abs(), &m.asset)
                };
                ev.recs.push(d.finish(account));
            }
            if !fee.is_zero() {
                ev.recs.push(fee_row(
                    format!("{id}-fee"),
                    join(vec!["network fee of the transaction above".into(), call]),
                ));
            }
        }
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<String> {
        s.split(',')
            .map(|c| c.trim_matches('"').to_string())
            .collect()
    }

    #[test]
    fn notes_name_the_contracts_harvest_prices_asks_for() {
        let note = "from 0xab; call Execute; PEPE-698250 = ethereum token \
                    0x6982508145454ce325ddbe47a25d4ec3d2311933 (Pepe); USDC = base token \
                    0x833589fcd6edb6e08f4c7c32d4f71b54bda02913 (USD Coin)";
        let c = note_contracts(note);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].0, "PEPE-698250");
        assert_eq!(
            (c[1].1.as_str(), coingecko_platform(&c[1].1)),
            ("base", Some("base"))
        );
        assert!(note_contracts("Sent 1 ETH = a lot token 0x12").is_empty());
        for chain in CHAINS {
            assert!(coingecko_platform(chain).is_some(), "{chain}");
        }
    }

    #[test]
    fn headers_of_each_version_are_told_apart() {
        let normal = h(
            "\"Txhash\",\"Blockno\",\"UnixTimestamp\",\"DateTime\",\"From\",\"To\",\"ContractAddress\",\"Value_IN(ETH)\",\"Value_OUT(ETH)\",\"CurrentValue @ $2038.09/Eth\",\"TxnFee(ETH)\",\"TxnFee(USD)\",\"Historical $Price/Eth\",\"Status\",\"ErrCode\",\"Method\"",
        );
        let newer = h(
            "Transaction Hash,Blockno,UnixTimestamp,DateTime (UTC),From,To,ContractAddress,Value_IN(POL),Value_OUT(POL),CurrentValue @ $0.2/POL,TxnFee(POL),TxnFee(USD),Historical $Price/POL,Status,ErrCode,Method",
        );
        let internal = h(
            "Txhash,Blockno,UnixTimestamp,DateTime (UTC),ParentTxFrom,ParentTxTo,ParentTxETH_Value,From,TxTo,ContractAddress,Value_IN(ETH),Value_OUT(ETH),CurrentValue @ $3000/Eth,Historical $Price/Eth,Status,ErrCode,Type",
        );
        let tokens = h(
            "Transaction Hash,Blockno,UnixTimestamp,DateTime (UTC),From,To,TokenValue,USDValueDayOfTx,ContractAddress,TokenName,TokenSymbol",
        );
        let old_tokens =
            h("Txhash,UnixTimestamp,DateTime,From,To,Value,ContractAddress,TokenName,TokenSymbol");
        let nft = h(
            "Txhash,UnixTimestamp,DateTime,From,To,ContractAddress,TokenId,TokenName,TokenSymbol",
        );
        assert!(matches_normal(&normal) && matches_normal(&newer));
        assert!(!matches_internal(&normal) && !matches_tokens(&normal));
        assert!(matches_internal(&internal) && !matches_normal(&internal));
        assert!(matches_tokens(&tokens) && matches_tokens(&old_tokens));
        assert!(!matches_normal(&tokens) && !matches_tokens(&nft));
        assert_eq!(
            Cols::of(&newer, Download::Normal).coin.as_deref(),
            Some("POL")
        );
        assert_eq!(chain_of_coin("POL"), Some("polygon"));
        assert_eq!(chain_of_coin("ETH"), None);
    }

    #[test]
    fn a_token_is_its_symbol_only_for_the_canonical_contract() {
        let t = |c: &str, s: &str| Token {
            contract: c.into(),
            symbol: s.into(),
            name: String::new(),
        };
        let usdc = t("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "USDC");
        assert_eq!(Pool::token_asset("ethereum", &usdc), "USDC");
        // The same contract address on another chain is another token.
        assert_eq!(Pool::token_asset("base", &usdc), "USDC-a0b869");
        let fake = t("0x1111111111111111111111111111111111111111", "USDC");
        assert_eq!(Pool::token_asset("ethereum", &fake), "USDC-111111");
        let odd = t("0xabcdef0000000000000000000000000000000000", "$ Visit x.io");
        assert_eq!(Pool::token_asset("ethereum", &odd), "VISITX.IO-abcdef");
        for (_, c, _) in CANONICAL {
            assert!(c.len() == 42 && *c == c.to_ascii_lowercase(), "{c}");
        }
    }

    #[test]
    fn status_and_quantities_read_as_the_explorer_writes_them() {
        let header = h(
            "Txhash,Blockno,UnixTimestamp,DateTime (UTC),From,To,ContractAddress,Value_IN(ETH),Value_OUT(ETH),CurrentValue,TxnFee(ETH),TxnFee(USD),Historical $Price/Eth,Status,ErrCode,Method",
        );
        let c = Cols::of(&header, Download::Normal);
        let row = h(
            "0xAB,1,1740823511,2025-03-01 10:05:11,0xA,0xB,,0,1.5,,0.001,2.5,2500,Error(0),out of gas,Transfer",
        );
        let l = read_leg(&c, Download::Normal, 0, 2, &row).unwrap();
        assert!(l.failed && l.err == "out of gas" && l.hash == "0xab");
        assert_eq!(l.value_out, Decimal::new(15, 1));
        assert_eq!(l.time.to_rfc3339(), "2025-03-01T10:05:11+00:00");
        let bad = h("0xAB,1,yesterday,,0xA,0xB,,0,1.5,,0.001,2.5,2500,,,");
        assert_eq!(
            read_leg(&c, Download::Normal, 0, 2, &bad).unwrap_err()[0].0,
            "UnixTimestamp"
        );
        let neg = h("0xAB,1,1740823511,,0xA,0xB,,-1,0,,0.001,2.5,2500,,,");
        assert_eq!(
            read_leg(&c, Download::Normal, 0, 2, &neg).unwrap_err()[0].0,
            "Value_IN"
        );
    }

    const A: &str = "0x52908400098527886e0f7030069857d2e4169ee7";
    const B: &str = "0x2b8e6f1d4a3c5e7f9a1b3c5d7e9f1a3b5c7d9e1f";
    const NORMAL: &str = "Txhash,Blockno,UnixTimestamp,DateTime (UTC),From,To,ContractAddress,Value_IN(ETH),Value_OUT(ETH),CurrentValue,TxnFee(ETH),TxnFee(USD),Historical $Price/Eth,Status,ErrCode,Method\n";
    const TOKENS: &str = "Txhash,Blockno,UnixTimestamp,DateTime (UTC),From,To,TokenValue,USDValueDayOfTx,ContractAddress,TokenName,TokenSymbol\n";
    const TOKEN: &str = "0x1111111111111111111111111111111111111111";

    /// Imports the downloads together as `harvest import` does (each named
    /// after the address, as the explorer names them): the
    /// records written (kind, sent, received, fee, note) of each file, in
    /// the files' order, and each file's skip reasons.
    fn import(files: &[String], settings: EvmSettings) -> (Vec<Vec<String>>, Vec<String>) {
        let opts = super::super::ImportOptions {
            account: None,
            prices: None,
            tz: chrono_tz::Tz::UTC,
            accounts: Default::default(),
        };
        let mut imp = super::super::Importer::new(opts);
        imp.set_evm(settings);
        let texts: Vec<Text<'_>> = files.iter().map(|f| Text::bytes(f.as_bytes())).collect();
        for (k, t) in texts.iter().enumerate() {
            imp.prepare(t, &format!("export-{A}-{k}.csv"), None);
        }
        let mut recs = Vec::new();
        let mut skips = Vec::new();
        for (k, t) in texts.iter().enumerate() {
            let got = imp
                .import_text(t, &format!("export-{A}-{k}.csv"), None, &mut |_, r| {
                    recs.push(vec![
                        r.kind.clone(),
                        format!("{} {}", r.sent_qty, r.sent_asset)
                            .trim()
                            .to_string(),
                        format!("{} {}", r.received_qty, r.received_asset)
                            .trim()
                            .to_string(),
                        format!("{} {}", r.fee_qty, r.fee_asset).trim().to_string(),
                        r.note.clone(),
                    ])
                })
                .map_err(|e| e.to_string())
                .unwrap();
            skips.extend(got.stats.skipped.keys().cloned());
        }
        (recs, skips)
    }

    #[test]
    fn the_gas_is_the_signers_only() {
        // B pays A 1 ETH (B's gas); A sends 0.5 back (A's gas); A calls a
        // contract with no value (approve: only its gas); A sends to itself.
        let n = format!(
            "{NORMAL}0x01,1,1740823511,,{B},{A},,1,0,,0.001,2,2000,,,Transfer\n\
             0x02,2,1740823611,,{A},{B},,0,0.5,,0.002,4,2000,,,Transfer\n\
             0x03,3,1740823711,,{A},{TOKEN},,0,0,,0.003,6,2000,,,Approve\n\
             0x04,4,1740823811,,{A},{A},,0.2,0.2,,0.004,8,2000,,,Transfer\n"
        );
        let (r, _) = import(&[n], EvmSettings::default());
        assert_eq!(r[0][..4], ["deposit", "", "1 ETH", ""]);
        assert_eq!(r[1][..4], ["withdrawal", "0.5 ETH", "", "0.002 ETH"]);
        assert!(r[1][4].starts_with(&format!("to {B}")));
        assert_eq!(r[2][..4], ["fee", "", "", "0.003 ETH"]);
        assert!(r[2][4].contains("call Approve"), "{:?}", r[2]);
        assert_eq!(r[3][..4], ["fee", "", "", "0.004 ETH"]);
        assert_eq!(r.len(), 4);
    }

    #[test]
    fn a_token_address_not_in_ascii_names_the_asset_by_its_first_characters() {
        // A damaged export: a byte count of six would end inside the È.
        let t = Token {
            contract: "0x7a6)=\u{c8}b5c4d3e2f1".into(),
            symbol: "USDC".into(),
            name: "USDC Reward".into(),
        };
        assert_eq!(Pool::token_asset("ethereum", &t), "USDC-7a6)=\u{c8}");
    }

    #[test]
    fn a_token_received_in_a_call_of_the_address_pays_its_gas_apart() {
        // A claims 100 of a priced token: a deposit and a fee row.
        let n = format!("{NORMAL}0x05,5,1740823511,,{A},{TOKEN},,0,0,,0.001,2,2000,,,Claim\n");
        let t = format!("{TOKENS}0x05,5,1740823511,,{TOKEN},{A},100,$50.00,{TOKEN},Thing,THG\n");
        let (r, skips) = import(&[n, t], EvmSettings::default());
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[0][..3], ["deposit", "", "100 THG-111111"]);
        assert_eq!(r[1][..4], ["fee", "", "", "0.001 ETH"]);
        assert!(skips[0].starts_with(&format!(
            "booked with the rest of its transaction from export-{A}-0.csv"
        )));
    }

    #[test]
    fn spam_is_judged_by_contract_and_price_and_never_as_a_side_of_a_trade() {
        // An unpriced token bought with ETH is kept (the trade values it);
        // the same token airdropped alone is left out, unless kept; a
        // listed contract is left out whatever its price.
        let n = format!("{NORMAL}0x06,6,1740823511,,{A},{B},,0,0.1,,0.001,2,2000,,,Swap\n");
        let t = format!(
            "{TOKENS}0x06,6,1740823511,,{B},{A},500,,{TOKEN},Thing,THG\n\
             0x07,7,1740823611,,{B},{A},5,,{TOKEN},Thing,THG\n"
        );
        let (r, skips) = import(&[n.clone(), t.clone()], EvmSettings::default());
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0][..3], ["trade", "0.1 ETH", "500 THG-111111"]);
        assert!(
            skips.iter().any(|s| s.contains("has no price")),
            "{skips:?}"
        );
        let keep = EvmSettings {
            keep: [TOKEN.to_string()].into_iter().collect(),
            ..EvmSettings::default()
        };
        let (r, _) = import(&[n.clone(), t.clone()], keep);
        assert_eq!(r.len(), 2, "{r:?}");
        let spam = EvmSettings {
            spam: ["THG-111111".to_string()].into_iter().collect(),
            ..EvmSettings::default()
        };
        let (r, skips) = import(&[n, t], spam);
        // Without its token side the swap is a send of 0.1 ETH.
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0][..2], ["withdrawal", "0.1 ETH"]);
        assert!(
            skips.iter().any(|s| s.contains("listed in [assets] spam")),
            "{skips:?}"
        );
    }

    #[test]
    fn an_own_address_names_the_account_and_the_chain_follows_the_coin() {
        let owners = [(A.to_string(), "metamask".to_string())]
            .into_iter()
            .collect();
        let n = format!("{NORMAL}0x08,8,1740823511,,{B},{A},,1,0,,0.001,2,2000,,,Transfer\n")
            .replace("(ETH)", "(BNB)");
        for (settings, want) in [
            (EvmSettings::default(), format!("bsc:{A}")),
            (
                EvmSettings {
                    owners,
                    ..EvmSettings::default()
                },
                "metamask".to_string(),
            ),
        ] {
            let mut imp = super::super::Importer::new(super::super::ImportOptions {
                account: None,
                prices: None,
                tz: chrono_tz::Tz::UTC,
                accounts: Default::default(),
            });
            imp.set_evm(settings);
            let got = imp
                .import(n.as_bytes(), &format!("export-{A}.csv"), None)
                .unwrap();
            assert_eq!(got.records[0].1.account, want);
            assert_eq!(got.records[0].1.received_asset, "BNB");
        }
    }

    /// Each download's (fingerprint, address, chain), and the groups.
    type Settled = (
        Vec<(u64, Result<String, String>, Result<String, String>)>,
        HashMap<GroupKey, HashMap<String, Vec<(u64, usize)>>>,
    );

    fn settled(p: &Pool) -> Settled {
        let mut files: Vec<_> = p
            .files
            .iter()
            .map(|(k, f)| (*k, f.address.clone(), f.chain.clone()))
            .collect();
        files.sort_by_key(|f| f.0);
        (files, p.groups.clone())
    }

    #[test]
    fn settling_once_after_the_downloads_gives_what_settling_after_each_did() {
        const C: &str = "0x3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c";
        const D: &str = "0x4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d";
        let internal = "Txhash,Blockno,UnixTimestamp,DateTime (UTC),ParentTxFrom,ParentTxTo,ParentTxETH_Value,From,TxTo,ContractAddress,Value_IN(ETH),Value_OUT(ETH),CurrentValue,Historical $Price/Eth,Status,ErrCode,Type\n";
        // (name, text, read together): a one-row download naming neither of
        // its two addresses (settled on A from the downloads after it), A's
        // three downloads sharing hashes, B's normal download read alone,
        // C's on BSC with its tokens (bsc from the coin download), rows of
        // several addresses, a download of B given again, and no download.
        let b_normal =
            format!("{NORMAL}0x01,1,1740823511,,{B},{A},,1,0,,0.001,2,2000,,,Transfer\n");
        let downloads: Vec<(String, String, bool)> = vec![
            (
                "tiny.csv".into(),
                format!("{TOKENS}0x09,9,1740823911,,{D},{A},7,$7.00,{TOKEN},Thing,THG\n"),
                true,
            ),
            (
                format!("export-{A}.csv"),
                format!(
                    "{NORMAL}0x01,1,1740823511,,{B},{A},,1,0,,0.001,2,2000,,,Transfer\n\
                     0x02,2,1740823611,,{A},{TOKEN},,0,0.5,,0.002,4,2000,,,Swap\n\
                     0x03,3,1740823711,,{A},{C},,0,0.1,,0.003,6,2000,,,Transfer\n"
                ),
                true,
            ),
            (
                format!("export-{A}-tokens.csv"),
                format!(
                    "{TOKENS}0x02,2,1740823611,,{TOKEN},{A},100,$50.00,{TOKEN},Thing,THG\n\
                     0x04,4,1740823811,,{TOKEN},{A},5,,{TOKEN},Thing,THG\n\
                     0x02,2,1740823611,,{A},{TOKEN},1,$0.50,{TOKEN},Thing,THG\n"
                ),
                true,
            ),
            (
                format!("export-{A}-internal.csv"),
                format!(
                    "{internal}0x02,2,1740823611,,{A},{TOKEN},0,{TOKEN},{A},,0.01,0,,2000,0,,call\n"
                ),
                true,
            ),
            (format!("export-{B}.csv"), b_normal.clone(), false),
            (
                format!("export-{C}.csv"),
                format!("{NORMAL}0x03,3,1740823711,,{A},{C},,0.1,0,,0.003,6,2000,,,Transfer\n")
                    .replace("(ETH)", "(BNB)"),
                true,
            ),
            (
                format!("export-{C}-tokens.csv"),
                format!("{TOKENS}0x05,5,1740824011,,{TOKEN},{C},3,$3.00,{TOKEN},Thing,THG\n"),
                true,
            ),
            (
                "mixed.csv".into(),
                format!(
                    "{NORMAL}0x06,6,1740824111,,{A},{B},,0,1,,0.001,2,2000,,,Transfer\n\
                     0x07,7,1740824211,,{C},{TOKEN},,0,1,,0.001,2,2000,,,Transfer\n"
                ),
                true,
            ),
            ("again.csv".into(), b_normal, true),
            (
                "other.csv".into(),
                "Date,Amount\n2025-01-01,1\n".into(),
                true,
            ),
        ];
        let texts: Vec<Text<'_>> = downloads
            .iter()
            .map(|(_, t, _)| Text::bytes(t.as_bytes()))
            .collect();
        let mut each = Pool::default();
        let mut once = Pool::default();
        let mut tiny_first = None;
        for ((name, _, together), text) in downloads.iter().zip(&texts) {
            each.add(text, name, None, *together);
            each.settle_if_added();
            tiny_first.get_or_insert_with(|| settled(&each).0[0].1.clone());
            once.add(text, name, None, *together);
        }
        assert!(once.unsettled);
        once.settle_if_added();
        assert!(!once.unsettled);
        let (files, groups) = settled(&once);
        assert_eq!((&files, &groups), (&settled(&each).0, &settled(&each).1));
        // The first download's address was not known when it was read alone.
        assert!(tiny_first.unwrap().is_err());
        let of = |name: &str| {
            let p = texts[downloads.iter().position(|d| d.0 == name).unwrap()].fingerprint();
            let f = &once.files[&p];
            (f.address.clone(), f.chain.clone())
        };
        let ok = |a: &str, c: &str| (Ok(a.to_string()), Ok(c.to_string()));
        assert_eq!(of("tiny.csv"), ok(A, "ethereum"));
        assert_eq!(of(&format!("export-{C}-tokens.csv")), ok(C, "bsc"));
        assert!(of("mixed.csv").0.is_err());
        assert_eq!(files.len(), 8, "{files:?}");
        // A's swap is one group of its three downloads' rows, in the order
        // normal, internal, tokens; B's download read alone is its own batch.
        let a = &groups[&(0, A.to_string(), "ethereum".to_string())];
        let kinds: Vec<Download> = a["0x02"].iter().map(|&g| once.leg(g).kind).collect();
        assert_eq!(
            kinds,
            [
                Download::Normal,
                Download::Internal,
                Download::Tokens,
                Download::Tokens
            ]
        );
        let b = texts[4].fingerprint();
        assert_eq!(groups[&(b, B.to_string(), "ethereum".to_string())].len(), 1);
        // Nothing added: settling again changes nothing and costs nothing.
        once.settle_if_added();
        assert_eq!(settled(&once), settled(&each));
    }
}
