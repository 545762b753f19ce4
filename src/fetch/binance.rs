//! Binance klines, for assets Coinbase does not list: `GET
//! {base}/api/v3/klines?symbol={BASE}USDT&interval=1m|1h|1d&startTime=..&endTime=..&limit=300`,
//! `startTime` aligned to the interval. The base is Binance's market-data-only
//! host `https://data-api.binance.vision` (`HARVEST_BINANCE_URL` overrides
//! it): its main API host refuses US addresses (HTTP 451). Prices are in
//! USDT, taken at 1 USD.
//!
//! Documentation: Binance Spot API, "Market Data endpoints", Kline/Candlestick
//! data <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints>:
//! each kline is `[openTime, open, high, low, close, volume, closeTime, ...]`
//! with the prices as JSON strings; "Market Data Only URLs"
//! <https://developers.binance.com/docs/binance-spot-api-docs/faqs/market_data_only>
//! for the host; "LIMITS" <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits>:
//! 429 asks to back off, and 418 is an IP ban (never retried). An unknown
//! symbol answers 400 `{"code":-1121,"msg":"Invalid symbol."}`.

use serde_json::value::RawValue;

use super::candle::{Candle, WINDOW, window_start};
use super::{Granularity, json_decimal, json_int};

pub const DEFAULT_URL: &str = "https://data-api.binance.vision";

/// The symbol of an asset: `{BASE}USDT`.
pub fn product(asset: &str) -> String {
    format!("{}USDT", asset.to_ascii_uppercase())
}

fn interval(g: Granularity) -> &'static str {
    match g {
        Granularity::Minute => "1m",
        Granularity::Hour => "1h",
        Granularity::Day => "1d",
    }
}

/// The request for window `w` of `symbol`'s klines.
pub fn url(base: &str, symbol: &str, g: Granularity, w: i64) -> String {
    let start = window_start(w, g);
    let end = start + WINDOW * g.seconds() - 1;
    format!(
        "{base}/api/v3/klines?symbol={symbol}&interval={}&startTime={}&endTime={}&limit={WINDOW}",
        interval(g),
        start * 1000,
        end * 1000 + 999
    )
}

/// Parses the klines (see the documentation above): the open time in
/// milliseconds, and the open and close from their JSON strings.
pub fn parse(body: &[u8]) -> Result<Vec<Candle>, String> {
    let rows: Vec<Vec<Box<RawValue>>> =
        serde_json::from_slice(body).map_err(|e| format!("not a list of klines: {e}"))?;
    rows.iter()
        .map(|r| {
            let (Some(t), Some(open), Some(close)) = (
                r.first().and_then(|v| json_int(v)),
                r.get(1).and_then(|v| json_decimal(v)),
                r.get(4).and_then(|v| json_decimal(v)),
            ) else {
                return Err(format!(
                    "a kline is not [openTime, open, high, low, close, ...]: {}",
                    r.iter().map(|v| v.get()).collect::<Vec<_>>().join(",")
                ));
            };
            Ok(Candle {
                start: t.div_euclid(1000),
                open,
                close,
            })
        })
        .collect()
}

/// Whether an error answer says the symbol does not exist (code -1121).
pub fn unknown(status: u16, body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Error {
        code: i64,
    }
    status == 400 && serde_json::from_slice::<Error>(body).is_ok_and(|e| e.code == -1121)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn klines_with_string_prices() {
        let c = parse(br#"[[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"]]"#).unwrap();
        assert_eq!(c[0].start, 1499040000);
        assert_eq!(c[0].open, "0.01634790".parse::<Decimal>().unwrap());
        assert_eq!(c[0].mean(), Some("0.01605945".parse().unwrap()));
        assert!(unknown(400, br#"{"code":-1121,"msg":"Invalid symbol."}"#));
        assert!(!unknown(400, br#"{"code":-1100,"msg":"x"}"#));
    }

    #[test]
    fn start_time_aligned_to_the_interval() {
        assert_eq!(
            url("https://b", "DOGEUSDT", Granularity::Day, 1),
            "https://b/api/v3/klines?symbol=DOGEUSDT&interval=1d&startTime=25920000000&endTime=51839999999&limit=300"
        );
    }
}
