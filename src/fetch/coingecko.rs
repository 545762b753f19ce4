//! CoinGecko, only with an API key (harvest.toml `coingecko_api_key`, or the
//! environment variable `HARVEST_COINGECKO_API_KEY`, which wins) and only for
//! assets mapped to a CoinGecko coin id under `[price_symbols]`
//! (`MYTOKEN = "coingecko:my-token"`): its ids are not ticker symbols.
//! `GET {base}/coins/{id}/market_chart/range?vs_currency=usd&from=..&to=..`
//! with the key in `x-cg-demo-api-key` (`x-cg-pro-api-key` for a `pro-api`
//! host). The base is `https://api.coingecko.com/api/v3`
//! (`HARVEST_COINGECKO_URL` overrides it).
//!
//! Documentation: CoinGecko API, "Coin Historical Chart Data within Time
//! Range by ID" <https://docs.coingecko.com/reference/coins-id-market-chart-range>:
//! `{"prices":[[unix ms, price],..],"market_caps":..,"total_volumes":..}`,
//! hourly points for a range of up to 90 days and daily ones (00:00 UTC)
//! beyond, prices as JSON numbers. An unknown id answers 404. The demo plan
//! allows 30 calls a minute.
//!
//! Points are not candles: a candle's open is its first point and its close
//! the next candle's first point (else its own last one).

use serde_json::value::RawValue;

use super::candle::{Candle, WINDOW, candle_start, window_start};
use super::{Granularity, json_decimal};

pub const DEFAULT_URL: &str = "https://api.coingecko.com/api/v3";

/// The granularity CoinGecko can serve for `g`: hourly at best.
pub fn granularity(g: Granularity) -> Granularity {
    match g {
        Granularity::Minute => Granularity::Hour,
        g => g,
    }
}

/// The request for window `w` of coin `id`.
pub fn url(base: &str, id: &str, g: Granularity, w: i64) -> String {
    let start = window_start(w, g);
    let end = start + WINDOW * g.seconds();
    format!("{base}/coins/{id}/market_chart/range?vs_currency=usd&from={start}&to={end}")
}

/// The header that carries the key for `base`.
pub fn key_header(base: &str) -> &'static str {
    if base.contains("://pro-api.") {
        "x-cg-pro-api-key"
    } else {
        "x-cg-demo-api-key"
    }
}

/// Parses the prices into candles of size `g`.
pub fn parse(body: &[u8], g: Granularity) -> Result<Vec<Candle>, String> {
    #[derive(serde::Deserialize)]
    struct Chart<'a> {
        #[serde(borrow)]
        prices: Vec<(&'a RawValue, &'a RawValue)>,
    }
    let c: Chart<'_> =
        serde_json::from_slice(body).map_err(|e| format!("not a market chart: {e}"))?;
    let mut points: Vec<(i64, rust_decimal::Decimal)> = Vec::new();
    for (t, p) in &c.prices {
        let (Some(t), Some(p)) = (super::json_int(t), json_decimal(p)) else {
            return Err(format!(
                "a price point is not [ms, price]: [{},{}]",
                t.get(),
                p.get()
            ));
        };
        points.push((t.div_euclid(1000), p));
    }
    points.sort_by_key(|p| p.0);
    // Each candle's first point (its open) and last point.
    let mut out: Vec<Candle> = Vec::new();
    for &(t, p) in &points {
        let s = candle_start(t, g);
        match out.last_mut() {
            Some(c) if c.start == s => c.close = p,
            _ => out.push(Candle {
                start: s,
                open: p,
                close: p,
            }),
        }
    }
    // A candle closes where the next one opens, when that one follows at once.
    for i in 1..out.len() {
        if out[i - 1].start + g.seconds() == out[i].start {
            out[i - 1].close = out[i].open;
        }
    }
    Ok(out)
}

/// Whether an error answer says the coin does not exist.
pub fn unknown(status: u16, _body: &[u8]) -> bool {
    status == 404
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn daily_points_make_candles() {
        let c = parse(
            br#"{"prices":[[86400000,10.5],[172800000,11.5],[259200000,12]],"market_caps":[],"total_volumes":[]}"#,
            Granularity::Day,
        )
        .unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].mean(), Some(Decimal::from(11)));
        assert_eq!(c[2].mean(), Some(Decimal::from(12)));
    }
}
