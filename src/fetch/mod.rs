//! `harvest prices`: the prices a ledger needs ([`needs`]), fetched once from
//! public sources and cached, so that every run after it works offline.
//!
//! What leaves the machine: asset symbols (as provider products such as
//! `BTC-USD`) and times, over HTTPS; never quantities, accounts or files.
//!
//! - [`needs`]: which prices, a pure function over the ledger;
//! - [`candle`]: which candle stands for a time, and the windows requested;
//! - `plan`: the requests to make, source by source, and the prices found;
//! - `http`: the client (retries, backoff, timeouts, pace, HTTPS only);
//! - `cache`: the answers kept on disk;
//! - one file per provider: `coinbase`, `binance`, `frankfurter` (ECB rates),
//!   `coingecko`, each with its request and the parser of its answer;
//! - `file`: the prices file, merged with the rows it had.

mod binance;
mod cache;
pub mod candle;
mod coinbase;
mod coingecko;
mod file;
mod frankfurter;
mod http;
pub mod needs;
mod plan;

use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

pub use cache::{CURRENT_TTL, Cache};
pub use file::{HEADER, merge, missing, write};
pub use http::HttpOptions;
pub use needs::{Need, Needs, Why, needed};
pub use plan::{Found, Problem, Report, fetch};

/// A price source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    Coinbase = 0,
    Binance = 1,
    Frankfurter = 2,
    CoinGecko = 3,
}

impl Provider {
    pub const ALL: [Provider; 4] = [
        Provider::Coinbase,
        Provider::Binance,
        Provider::Frankfurter,
        Provider::CoinGecko,
    ];

    /// The name in `--source`, `price_sources`, `[price_symbols]` and the
    /// prices file's `source` column.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Coinbase => "coinbase",
            Provider::Binance => "binance",
            Provider::Frankfurter => "frankfurter",
            Provider::CoinGecko => "coingecko",
        }
    }

    /// The provider of a name (case-insensitive).
    pub fn parse(s: &str) -> Option<Provider> {
        Provider::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The environment variable that overrides its base URL.
    pub fn url_variable(self) -> &'static str {
        match self {
            Provider::Coinbase => "HARVEST_COINBASE_URL",
            Provider::Binance => "HARVEST_BINANCE_URL",
            Provider::Frankfurter => "HARVEST_FX_URL",
            Provider::CoinGecko => "HARVEST_COINGECKO_URL",
        }
    }

    /// Its base URL.
    pub fn default_url(self) -> &'static str {
        match self {
            Provider::Coinbase => coinbase::DEFAULT_URL,
            Provider::Binance => binance::DEFAULT_URL,
            Provider::Frankfurter => frankfurter::DEFAULT_URL,
            Provider::CoinGecko => coingecko::DEFAULT_URL,
        }
    }

    /// The least time between two requests to it, within its documented
    /// rate limit: Coinbase Exchange 10 a second per IP for public
    /// endpoints; Binance 6,000 weight a minute (klines weigh 2); CoinGecko's
    /// demo plan 30 a minute; Frankfurter documents none, so a polite 5 a
    /// second.
    pub fn interval(self) -> Duration {
        match self {
            Provider::Coinbase => Duration::from_millis(125),
            Provider::Binance => Duration::from_millis(50),
            Provider::Frankfurter => Duration::from_millis(200),
            Provider::CoinGecko => Duration::from_millis(2100),
        }
    }

    /// The product (pair, symbol or id) it lists an asset under, unless
    /// harvest.toml maps it: `BTC-USD`, `BTCUSDT`, `EUR`; CoinGecko has no
    /// default (its ids are not symbols).
    pub fn product(self, asset: &str) -> Option<String> {
        match self {
            Provider::Coinbase => Some(coinbase::product(asset)),
            Provider::Binance => Some(binance::product(asset)),
            Provider::Frankfurter => Some(asset.to_ascii_uppercase()),
            Provider::CoinGecko => None,
        }
    }
}

/// Candle sizes (`--granularity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Granularity {
    Minute,
    Hour,
    Day,
}

impl Granularity {
    pub fn seconds(self) -> i64 {
        match self {
            Granularity::Minute => 60,
            Granularity::Hour => 3600,
            Granularity::Day => 86400,
        }
    }

    /// The name in the prices file's `granularity` column.
    pub fn name(self) -> &'static str {
        match self {
            Granularity::Minute => "minute",
            Granularity::Hour => "hour",
            Granularity::Day => "day",
        }
    }

    /// The next coarser size, when the rule finds no candle near enough.
    pub fn coarser(self) -> Option<Granularity> {
        match self {
            Granularity::Minute => Some(Granularity::Hour),
            Granularity::Hour => Some(Granularity::Day),
            Granularity::Day => None,
        }
    }
}

/// Where and how to fetch.
#[derive(Debug, Clone)]
pub struct Options {
    pub granularity: Granularity,
    /// The sources for crypto, in order (money other than USD goes to the ECB
    /// rates of Frankfurter).
    pub sources: Vec<Provider>,
    /// harvest.toml `[price_symbols]`: an asset's provider and product, the
    /// only place asked for it.
    pub symbols: Vec<(String, Provider, String)>,
    /// CoinGecko's API key, when given.
    pub coingecko_key: Option<String>,
    /// Base URLs by provider ([`Provider::ALL`] order), checked with
    /// `overridden` telling which came from a variable.
    pub urls: [String; 4],
    pub overridden: [bool; 4],
    pub cache: Cache,
    /// The cache only: no request at all.
    pub offline: bool,
    pub http: HttpOptions,
    /// Requests in flight at once, over all providers.
    pub parallel: usize,
    /// The present: windows holding it are cached for [`CURRENT_TTL`] only.
    pub now: DateTime<Utc>,
}

impl Options {
    /// The base URL of `p`.
    pub fn url(&self, p: Provider) -> &str {
        &self.urls[p as usize]
    }
}

/// Why `harvest prices` cannot start or finish.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(
        "{variable}={url}: prices are fetched over HTTPS only (plain HTTP only from a loopback address such as http://127.0.0.1:8080)"
    )]
    NotHttps { variable: &'static str, url: String },
    #[error(
        "{file}: has no time column (the current-price form asset,price); harvest prices writes dated prices (time,asset,price,source,granularity): give -o another file"
    )]
    UndatedFile { file: String },
}

/// A decimal from a JSON number's text, or from a JSON string holding one:
/// never through a float, so `42100.12345678` is exactly that.
pub fn json_decimal(raw: &RawValue) -> Option<Decimal> {
    let text = raw.get().trim();
    let owned;
    let text = if text.starts_with('"') {
        owned = serde_json::from_str::<String>(text).ok()?;
        owned.trim()
    } else {
        text
    };
    let d = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()?
    } else {
        Decimal::from_str_exact(text).ok()?
    };
    (d >= Decimal::ZERO).then(|| d.normalize())
}

/// An integer from a JSON number (a time in seconds or milliseconds).
pub fn json_int(raw: &RawValue) -> Option<i64> {
    raw.get().trim().parse().ok()
}

/// A Unix time as RFC 3339 in UTC (`2024-01-01T00:00:00Z`).
pub fn rfc3339(t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_from_json_text_never_through_a_float() {
        let d = |s: &str| {
            let raw: Box<RawValue> = serde_json::from_str(s).unwrap();
            json_decimal(&raw)
        };
        assert_eq!(d("0.1"), Some(Decimal::new(1, 1)));
        assert_eq!(
            d("42100.123456789012345678"),
            Some("42100.123456789012345678".parse().unwrap())
        );
        assert_eq!(d("\"0.01634790\""), Some("0.0163479".parse().unwrap()));
        assert_eq!(d("1.5e-7"), Some("0.00000015".parse().unwrap()));
        assert_eq!(d("-1"), None);
        assert_eq!(d("null"), None);
        assert_eq!(d("\"abc\""), None);
    }
}
