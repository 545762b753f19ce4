//! `harvest.toml`: the same settings as the flags, so a user writes them once.
//! Flags win over the file. Unknown keys are an error naming the key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use rust_decimal::Decimal;

use crate::cli::{FilingStatusArg, MethodArg, MissingBasisArg, ScopeArg};
use crate::tax::form8949::{Box8949, BoxRules};

/// Why harvest.toml could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: [accounts.{account}] {key} = {value:?} is not a Form 8949 box ({allowed})")]
    BadBox {
        file: String,
        account: String,
        key: &'static str,
        value: String,
        allowed: &'static str,
    },
    #[error(
        "{file}: [import.accounts] {key:?} = {value:?}: {problem}; write \"export account name\" = \"harvest account\""
    )]
    BadAccountName {
        file: String,
        key: String,
        value: String,
        problem: &'static str,
    },
    #[error(
        "{file}: income_as_business = [.. {value:?} ..] is not an income category: use staking, mining, reward, airdrop, interest, fork or other"
    )]
    BadIncomeCategory { file: String, value: String },
    #[error(
        "{file}: [accounts.{account}] fee_rate = {value} is not a fee rate: write the fee as a fraction of the trade's value, from 0 to below 1 (0.006 is 0.6%){hint}"
    )]
    BadFeeRate {
        file: String,
        account: String,
        value: Decimal,
        hint: String,
    },
    /// An address listed wrongly: under two accounts, as own and payment, or
    /// not an address at all.
    #[error("{file}: {source}")]
    Address {
        file: String,
        source: crate::engine::AddressError,
    },
}

/// `[import]`: how `harvest import` (and a command given an export) names the
/// accounts of the rows it reads.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportConfig {
    /// The account a row would be written with (the export's own account
    /// name as import writes it, such as `"Ledger Live: Bitcoin 1"`, or a
    /// format's default account such as `trezor`) -> the harvest account.
    #[serde(default)]
    pub accounts: BTreeMap<String, String>,
}

/// `[assets]`: which on-chain tokens are what (issue 20). `spam` and `keep`
/// name a token by its contract address (`0x…`, any case) or by the asset
/// name import gives it (`USDC`, `PEPE-6982…`). `same` and `migrations` name
/// assets as the ledger does (any case): the assets that are one (a wrap or a
/// bridged copy) and the token migrations, whose trades carry basis and
/// dates instead of being disposals (see [`crate::engine::AssetLinks`]).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assets {
    /// Tokens always left out of an import (airdropped spam).
    #[serde(default)]
    pub spam: Vec<String>,
    /// Tokens kept even with no price in the export or `--prices` (which
    /// would otherwise be left out as spam or dust).
    #[serde(default)]
    pub keep: Vec<String>,
    /// Groups of asset names that are one asset (`[["ETH", "WETH"]]`): a
    /// trade between two of them, either way, moves lots.
    #[serde(default)]
    pub same: Vec<Vec<String>>,
    /// Token migrations (`[{ from = "MATIC", to = "POL" }]`): a trade from
    /// `from` to `to` (that direction only) moves lots.
    #[serde(default)]
    pub migrations: Vec<Migration>,
    /// Assets that are collectibles (an NFT of a work of art, say: Notice
    /// 2023-27): code C on Form 8949, and the 28% rate on long-term gains.
    #[serde(default)]
    pub collectibles: Vec<String>,
}

/// One `[assets] migrations` entry: the old token and the new one.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Migration {
    pub from: String,
    pub to: String,
}

impl Assets {
    /// `spam` and `keep` as import compares them: contract addresses in lower
    /// case, asset names in upper case. A token in both is an error.
    pub fn lists(&self, file: &str) -> Result<(BTreeSet<String>, BTreeSet<String>), ConfigError> {
        let norm = |v: &String| {
            let v = v.trim();
            if v.starts_with("0x") || v.starts_with("0X") {
                v.to_ascii_lowercase()
            } else {
                v.to_ascii_uppercase()
            }
        };
        let spam: BTreeSet<String> = self.spam.iter().map(norm).collect();
        let keep: BTreeSet<String> = self.keep.iter().map(norm).collect();
        if let Some(both) = spam.intersection(&keep).next() {
            return Err(ConfigError::Parse {
                file: file.to_string(),
                message: format!(
                    "[assets] lists {both} both as spam and to keep: remove it from one list"
                ),
            });
        }
        Ok((spam, keep))
    }

    /// `same` and `migrations`, checked, for the engine. A group of fewer
    /// than two names, a name in two groups, an empty name, money (USD, EUR,
    /// ...) or a migration to itself is an error saying what to change.
    pub fn links(&self, file: &str) -> Result<crate::engine::AssetLinks, ConfigError> {
        let err = |message: String| ConfigError::Parse {
            file: file.to_string(),
            message,
        };
        // Money never forms lots, so it cannot be one asset with a token.
        let check = |name: &str, what: &str| -> Result<String, ConfigError> {
            let n = name.trim().to_ascii_uppercase();
            if n.is_empty() {
                return Err(err(format!(
                    "[assets] {what} has an empty asset name: write the asset as the ledger names it"
                )));
            }
            if n == "USD" || crate::model::FIAT.contains(&n.as_str()) {
                return Err(err(format!(
                    "[assets] {what} names {name:?}, which is money, not an asset with lots: remove it"
                )));
            }
            Ok(n)
        };
        let mut same = Vec::new();
        let mut group_of: BTreeMap<String, usize> = BTreeMap::new();
        for (g, names) in self.same.iter().enumerate() {
            let shown = format!(
                "same = [{}]",
                names
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut group: Vec<String> = Vec::new();
            for name in names {
                let n = check(name, &shown)?;
                if let Some(&other) = group_of.get(&n) {
                    return Err(err(if other == g {
                        format!("[assets] {shown} names {name:?} twice: list it once")
                    } else {
                        format!(
                            "[assets] same lists {name:?} in two groups: merge the groups into one, or remove it from one"
                        )
                    }));
                }
                group_of.insert(n.clone(), g);
                group.push(n);
            }
            if group.len() < 2 {
                return Err(err(format!(
                    "[assets] {shown} is a group of fewer than two assets: list at least two names that are one asset (such as [\"ETH\", \"WETH\"]), or remove it"
                )));
            }
            same.push(group);
        }
        let mut migrations: Vec<(String, String)> = Vec::new();
        for m in &self.migrations {
            let what = format!("migrations {{ from = {:?}, to = {:?} }}", m.from, m.to);
            let (from, to) = (check(&m.from, &what)?, check(&m.to, &what)?);
            if from == to {
                return Err(err(format!(
                    "[assets] {what} migrates an asset to itself: name the old token in from and the new one in to"
                )));
            }
            if !migrations.contains(&(from.clone(), to.clone())) {
                migrations.push((from, to));
            }
        }
        Ok(crate::engine::AssetLinks::new(same, migrations))
    }
}

/// Per-account settings.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Form 8949 box for short-term rows of this account (G, H or I from 2025).
    pub box_short: Option<String>,
    /// Form 8949 box for long-term rows of this account (J, K or L from 2025).
    pub box_long: Option<String>,
    /// Whether the account is a US broker that files Form 1099-DA (its boxes
    /// follow what the broker reports); by default, its name in
    /// [`crate::tax::form8949::US_BROKERS`].
    pub broker: Option<bool>,
    /// A friendlier name for reports.
    pub display_name: Option<String>,
    /// scan: the exchange's fee on a trade in this account, as a fraction of
    /// the trade's value (0.006 is 0.6%); `--fee-rate` wins over it.
    pub fee_rate: Option<Decimal>,
    /// The user's own addresses whose coins this account holds: a
    /// withdrawal from another account to one of them pairs with this
    /// account's deposit (within 7 days).
    #[serde(default)]
    pub addresses: Vec<String>,
    /// Addresses this account pays: a withdrawal from it to one of them is a
    /// `spend` (a disposal at its value), not a transfer.
    #[serde(default)]
    pub payments: Vec<String>,
}

/// A `[[standing_order]]`: from a date (or an RFC 3339 time), the disposals of
/// some accounts (all when `accounts` is absent) take their lots by `method`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandingOrderConfig {
    /// When the order was recorded: `YYYY-MM-DD` (start of that day in tz) or an
    /// RFC 3339 time.
    pub from: toml::Value,
    /// fifo, lifo or hifo.
    pub method: MethodArg,
    #[serde(default)]
    pub accounts: Vec<String>,
}

/// `[transition]`: the Rev. Proc. 2024-28 allocation of `--scope transition`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionConfig {
    /// oldest-first, lowest-basis-first or highest-basis-first.
    pub rule: Option<String>,
    /// Wallets in the order they receive unused basis (default: most units first).
    pub wallets: Option<Vec<String>>,
    /// The day the rule was written in your books (it must be before 2025).
    pub recorded: Option<toml::Value>,
    /// A frozen allocation (the output of `harvest allocation`) to reuse.
    pub allocation: Option<PathBuf>,
}

/// The text of a date or time written either as a TOML string or as a bare TOML
/// date or date-time.
pub fn time_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.trim().to_string()),
        toml::Value::Datetime(d) => Some(d.to_string()),
        _ => None,
    }
}

/// The keys harvest.toml may set.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub method: Option<MethodArg>,
    pub scope: Option<ScopeArg>,
    pub tz: Option<String>,
    pub missing_basis: Option<MissingBasisArg>,
    pub prices: Option<PathBuf>,
    pub filing_status: Option<FilingStatusArg>,
    pub carryover_st: Option<Decimal>,
    pub carryover_lt: Option<Decimal>,
    /// report: Form 1040 taxable income (line 15), the Capital Loss Carryover
    /// Worksheet's line 1. scan ignores it.
    pub taxable_income: Option<Decimal>,
    /// scan: taxable income other than this year's capital gains and losses.
    pub ordinary_income: Option<Decimal>,
    pub wash_window: Option<u32>,
    /// scan: marginal rate on short-term gains and ordinary income.
    pub st_rate: Option<Decimal>,
    /// scan: marginal rate on long-term gains.
    pub lt_rate: Option<Decimal>,
    /// From 2025, use FIFO where no standing order or selection identified
    /// the lots in time: the default, so only `true` is meaningful (kept for
    /// files written before it was).
    pub strict_identification: Option<bool>,
    /// A what-if: let `method` (LIFO, HIFO) pick lots nothing identified in time.
    pub late_identification: Option<bool>,
    /// income: the income categories earned in a trade or business (mining or
    /// staking run as one), reported on Schedule C instead of Schedule 1.
    #[serde(default)]
    pub income_as_business: Vec<String>,
    #[serde(default, rename = "standing_order")]
    pub standing_orders: Vec<StandingOrderConfig>,
    pub transition: Option<TransitionConfig>,
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountConfig>,
    /// `[import]`: `[import.accounts]` renames the accounts rows are imported
    /// with (`--account` wins over it).
    #[serde(default)]
    pub import: ImportConfig,
    /// `[assets]`: on-chain tokens left out (`spam`) or kept (`keep`), the
    /// assets that are one (`same`) and token migrations (`migrations`).
    #[serde(default)]
    pub assets: Assets,
    /// harvest prices: the sources for crypto, in order (`coinbase`,
    /// `binance`, `coingecko`).
    pub price_sources: Option<Vec<String>>,
    /// harvest prices: where an asset's price is found, `provider:product`
    /// (`MYTOKEN = "coinbase:XYZ-USD"`, `"binance:XYZUSDT"`,
    /// `"coingecko:coin-id"`).
    #[serde(default)]
    pub price_symbols: BTreeMap<String, String>,
    /// harvest prices: a CoinGecko API key (the environment variable
    /// HARVEST_COINGECKO_API_KEY wins over it).
    pub coingecko_api_key: Option<String>,
}

/// scan's flat marginal rates when neither a flag nor harvest.toml sets them.
pub const DEFAULT_ST_RATE: Decimal = Decimal::from_parts(24, 0, 0, false, 2);
/// See [`DEFAULT_ST_RATE`].
pub const DEFAULT_LT_RATE: Decimal = Decimal::from_parts(15, 0, 0, false, 2);

impl Config {
    /// The display name of an account for reports people read (table, HTML), or
    /// the account's own name.
    pub fn display_name<'a>(&'a self, account: &'a str) -> &'a str {
        self.accounts
            .get(account)
            .and_then(|a| a.display_name.as_deref())
            .unwrap_or(account)
    }

    /// `[import.accounts]`, names trimmed; an empty name on either side is an
    /// error naming it.
    pub fn account_map(&self, file: &str) -> Result<BTreeMap<String, String>, ConfigError> {
        let mut map = BTreeMap::new();
        for (k, v) in &self.import.accounts {
            let bad = |problem| ConfigError::BadAccountName {
                file: file.to_string(),
                key: k.clone(),
                value: v.clone(),
                problem,
            };
            if k.trim().is_empty() {
                return Err(bad("the export account name is empty"));
            }
            if v.trim().is_empty() {
                return Err(bad("the harvest account name is empty"));
            }
            map.insert(k.trim().to_string(), v.trim().to_string());
        }
        Ok(map)
    }

    /// Parses the text of a harvest.toml named `file`.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            file: file.to_string(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })
    }

    /// The own and payment addresses of the accounts. An address under two
    /// accounts, or both own and paid, is an error naming both.
    pub fn address_book(&self, file: &str) -> Result<crate::engine::AddressBook, ConfigError> {
        let mut book = crate::engine::AddressBook::default();
        let err = |source| ConfigError::Address {
            file: file.to_string(),
            source,
        };
        // Own addresses first, so that a payment conflicting with one is
        // named as such whatever the accounts' names.
        for (name, a) in &self.accounts {
            for addr in &a.addresses {
                book.add_own(name, addr).map_err(err)?;
            }
        }
        for (name, a) in &self.accounts {
            for addr in &a.payments {
                book.add_payment(name, addr).map_err(err)?;
            }
        }
        Ok(book)
    }

    /// `income_as_business`, checked: each an income category, once.
    pub fn business_income(&self, file: &str) -> Result<Vec<crate::model::Category>, ConfigError> {
        let mut v = Vec::new();
        for name in &self.income_as_business {
            match crate::model::Category::parse(name.trim()) {
                Some(c) if !v.contains(&c) => v.push(c),
                Some(_) => {}
                None => {
                    return Err(ConfigError::BadIncomeCategory {
                        file: file.to_string(),
                        value: name.clone(),
                    });
                }
            }
        }
        v.sort();
        Ok(v)
    }

    /// The `fee_rate` of each account that sets one, checked: a fraction from
    /// 0 to below 1 (a fee of the whole trade would leave nothing).
    pub fn fee_rates(&self, file: &str) -> Result<BTreeMap<String, Decimal>, ConfigError> {
        let mut rates = BTreeMap::new();
        for (name, a) in &self.accounts {
            let Some(r) = a.fee_rate else { continue };
            if r < Decimal::ZERO || r >= Decimal::ONE {
                let hint = if r >= Decimal::ONE && r < Decimal::ONE_HUNDRED {
                    format!(
                        "; {}% is {}",
                        r.normalize(),
                        (r / Decimal::ONE_HUNDRED).normalize()
                    )
                } else {
                    String::new()
                };
                return Err(ConfigError::BadFeeRate {
                    file: file.to_string(),
                    account: name.clone(),
                    value: r,
                    hint,
                });
            }
            rates.insert(name.clone(), r);
        }
        Ok(rates)
    }

    /// The Form 8949 box overrides of the accounts.
    pub fn box_rules(&self, file: &str) -> Result<BoxRules, ConfigError> {
        let mut rules = BoxRules::default();
        for (name, a) in &self.accounts {
            let parse = |key: &'static str, v: &Option<String>, short: bool| {
                let Some(v) = v else { return Ok(None) };
                let allowed = if short {
                    "A, B, C, G, H or I"
                } else {
                    "D, E, F, J, K or L"
                };
                match Box8949::parse(v) {
                    Some(b) if (b.term() == crate::tax::Term::Short) == short => Ok(Some(b)),
                    _ => Err(ConfigError::BadBox {
                        file: file.to_string(),
                        account: name.clone(),
                        key,
                        value: v.clone(),
                        allowed,
                    }),
                }
            };
            let s = parse("box_short", &a.box_short, true)?;
            let l = parse("box_long", &a.box_long, false)?;
            rules.accounts.insert(name.clone(), (s, l));
            if let Some(b) = a.broker {
                rules.brokers.insert(name.clone(), b);
            }
        }
        rules.collectibles = self
            .assets
            .collectibles
            .iter()
            .map(|a| a.trim().to_ascii_uppercase())
            .filter(|a| !a.is_empty())
            .collect();
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_settings_and_account_boxes() {
        let c = Config::parse(
            "method = \"hifo\"\ntz = \"America/New_York\"\n[accounts.coinbase]\nbox_short = \"H\"\nbox_long = \"K\"\n",
            "harvest.toml",
        )
        .unwrap();
        assert_eq!(c.method, Some(MethodArg::Hifo));
        let r = c.box_rules("harvest.toml").unwrap();
        assert_eq!(r.accounts["coinbase"], (Some(Box8949::H), Some(Box8949::K)));
    }

    #[test]
    fn addresses_under_two_accounts_are_an_error_naming_both() {
        let a = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
        let c = Config::parse(
            &format!(
                "[accounts.ledger-nano]\naddresses = [\"{a}\"]\n[accounts.trezor]\naddresses = [\"{}\"]\n",
                a.to_uppercase()
            ),
            "h.toml",
        )
        .unwrap();
        let e = c.address_book("h.toml").unwrap_err().to_string();
        assert!(
            e.starts_with("h.toml: ") && e.contains("[accounts.ledger-nano] and [accounts.trezor]"),
            "{e}"
        );
        let c = Config::parse(
            &format!("[accounts.nano]\naddresses = [\"{a}\"]\npayments = [\"0x52908400098527886E0F7030069857D2E4169EE7\"]\n"),
            "h.toml",
        )
        .unwrap();
        let book = c.address_book("h.toml").unwrap();
        assert!(book.has_own() && book.has_payments());
    }

    #[test]
    fn unknown_keys_and_bad_boxes_are_errors() {
        let e = Config::parse("methd = \"fifo\"\n", "h.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("h.toml") && e.contains("methd"), "{e}");
        let c = Config::parse("[accounts.x]\nbox_short = \"K\"\n", "h.toml").unwrap();
        assert!(c.box_rules("h.toml").is_err());
        let c = Config::parse(
            "[import.accounts]\n\"Ledger Live: Bitcoin 1\" = \" \"\n",
            "h.toml",
        )
        .unwrap();
        let e = c.account_map("h.toml").unwrap_err().to_string();
        assert!(e.contains("h.toml") && e.contains("Bitcoin 1"), "{e}");
        let e = Config::parse("[import]\naccount = 1\n", "h.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("account"), "{e}");
    }

    #[test]
    fn fee_rates_are_fractions_below_one() {
        let c = Config::parse(
            "[accounts.coinbase]\nfee_rate = 0.006\n[accounts.kraken]\nfee_rate = 0\n[accounts.nano]\nbroker = false\n",
            "h.toml",
        )
        .unwrap();
        let r = c.fee_rates("h.toml").unwrap();
        assert_eq!(r["coinbase"], Decimal::new(6, 3));
        assert_eq!(r["kraken"], Decimal::ZERO);
        assert!(!r.contains_key("nano"));
        for (bad, hint) in [
            ("1", "; 1% is 0.01"),
            ("6", "; 6% is 0.06"),
            ("-0.01", ""),
            ("150", ""),
        ] {
            let c = Config::parse(
                &format!("[accounts.coinbase]\nfee_rate = {bad}\n"),
                "h.toml",
            )
            .unwrap();
            let e = c.fee_rates("h.toml").unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "h.toml: [accounts.coinbase] fee_rate = {bad} is not a fee rate: write the fee as a fraction of the trade's value, from 0 to below 1 (0.006 is 0.6%){hint}"
                )
            );
        }
    }

    #[test]
    fn reads_the_import_account_names() {
        let c = Config::parse(
            "[import.accounts]\n\"Ledger Live: Bitcoin 1\" = \"ledger-nano\"\ntrezor = \" trezor-t \"\n",
            "harvest.toml",
        )
        .unwrap();
        let m = c.account_map("harvest.toml").unwrap();
        assert_eq!(m["Ledger Live: Bitcoin 1"], "ledger-nano");
        assert_eq!(m["trezor"], "trezor-t");
    }
}
