//! Coinbase Exchange candles: `GET {base}/products/{BASE}-USD/candles` with
//! `granularity` (60, 3600 or 86400 seconds), `start` and `end` (ISO 8601),
//! at most 300 candles a request. The base is `https://api.exchange.coinbase.com`
//! (`HARVEST_COINBASE_URL` overrides it).
//!
//! Documentation: Coinbase Exchange REST API, Products, "Get product candles"
//! <https://docs.cdp.coinbase.com/api-reference/exchange-api/rest-api/products/get-product-candles>:
//! the response is an array of candles `[time, low, high, open, close,
//! volume]`, newest first, with JSON numbers; no candle is published for an
//! interval without trades. An unknown product answers 404
//! `{"message":"NotFound"}`. Public endpoints allow 10 requests a second per
//! IP (Coinbase Exchange "Rate limits").

use serde_json::value::RawValue;

use super::candle::{Candle, WINDOW, window_start};
use super::{Granularity, json_decimal, json_int, rfc3339};

pub const DEFAULT_URL: &str = "https://api.exchange.coinbase.com";

/// The product of an asset: `{BASE}-USD`.
pub fn product(asset: &str) -> String {
    format!("{}-USD", asset.to_ascii_uppercase())
}

/// The request for window `w` of `product`'s candles.
pub fn url(base: &str, product: &str, g: Granularity, w: i64) -> String {
    let start = window_start(w, g);
    let end = start + (WINDOW - 1) * g.seconds();
    format!(
        "{base}/products/{product}/candles?granularity={}&start={}&end={}",
        g.seconds(),
        rfc3339(start),
        rfc3339(end)
    )
}

/// Parses the candles (see the documentation above). Each price is read
/// from the JSON number's text into a Decimal, never through a float.
pub fn parse(body: &[u8]) -> Result<Vec<Candle>, String> {
    let rows: Vec<Vec<Box<RawValue>>> =
        serde_json::from_slice(body).map_err(|e| format!("not a list of candles: {e}"))?;
    rows.iter()
        .map(|r| {
            let (Some(t), Some(open), Some(close)) = (
                r.first().and_then(|v| json_int(v)),
                r.get(3).and_then(|v| json_decimal(v)),
                r.get(4).and_then(|v| json_decimal(v)),
            ) else {
                return Err(format!(
                    "a candle is not [time, low, high, open, close, volume]: {}",
                    r.iter().map(|v| v.get()).collect::<Vec<_>>().join(",")
                ));
            };
            Ok(Candle {
                start: t,
                open,
                close,
            })
        })
        .collect()
}

/// Whether an error answer says the product does not exist.
pub fn unknown(status: u16, _body: &[u8]) -> bool {
    status == 404
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn candles_from_json_numbers_exactly() {
        let c = parse(
            b"[[1704070800,42000.1,42500,42100.12345678,42300.99,12.5],[1704067200,1,2,3,4,5]]",
        )
        .unwrap();
        assert_eq!(c[0].start, 1704070800);
        assert_eq!(c[0].open, "42100.12345678".parse::<Decimal>().unwrap());
        assert_eq!(c[0].mean(), Some("42200.55672839".parse().unwrap()));
        assert!(parse(b"[[1,2,3]]").is_err());
        assert!(parse(b"{\"message\":\"x\"}").is_err());
        assert_eq!(parse(b"[]").unwrap(), vec![]);
    }

    #[test]
    fn windows_of_300_candles() {
        let u = url("https://x", "BTC-USD", Granularity::Hour, 1);
        assert_eq!(
            u,
            "https://x/products/BTC-USD/candles?granularity=3600&start=1970-01-13T12:00:00Z&end=1970-01-25T23:00:00Z"
        );
    }
}
