//! ECB reference rates through the Frankfurter API, for money other than USD
//! (EUR, GBP, CAD, CHF, JPY, AUD and the other currencies the ECB publishes):
//! `GET {base}/{start}..{end}?base={CUR}&symbols=USD`, the USD value of one
//! unit of the currency on each business day. The base is
//! `https://api.frankfurter.dev/v1` (`HARVEST_FX_URL` overrides it). A date's
//! rate is that of the last business day at or before it: the candle rule
//! at day size, a rate being a candle whose open and close are the rate.
//!
//! Documentation: Frankfurter v1 <https://frankfurter.dev/v1/>, "Historical
//! Rates" (`/{date}`) and "Time Series Data" (`/{start}..{end}`, with `base`
//! and `symbols`): the answer is `{"amount":1.0,"base":"EUR","start_date":..,
//! "end_date":..,"rates":{"2024-01-02":{"USD":1.0956},..}}`, one entry per
//! business day, rates as JSON numbers. A currency it does not publish
//! answers 404 (or 422).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::value::RawValue;

use super::candle::{Candle, WINDOW, window_start};
use super::{Granularity, json_decimal};

pub const DEFAULT_URL: &str = "https://api.frankfurter.dev/v1";

/// The request for window `w` (300 days) of `currency`'s USD rates, ending no
/// later than `today`.
pub fn url(base: &str, currency: &str, w: i64, today: NaiveDate) -> String {
    let g = Granularity::Day;
    let day = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.date_naive())
            .unwrap_or(today)
    };
    let start = day(window_start(w, g));
    let end = day(window_start(w, g) + (WINDOW - 1) * g.seconds()).min(today);
    format!(
        "{base}/{start}..{}?base={}&symbols=USD",
        end.max(start),
        currency.to_ascii_uppercase()
    )
}

/// Parses a time series (see the documentation above) into one candle per
/// business day.
pub fn parse(body: &[u8]) -> Result<Vec<Candle>, String> {
    #[derive(serde::Deserialize)]
    struct Series<'a> {
        #[serde(borrow)]
        rates: BTreeMap<String, BTreeMap<String, &'a RawValue>>,
    }
    let s: Series<'_> =
        serde_json::from_slice(body).map_err(|e| format!("not a time series of rates: {e}"))?;
    let mut out = Vec::new();
    for (date, rates) in &s.rates {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| format!("{date:?} is not a date"))?;
        let Some(raw) = rates.get("USD") else {
            continue;
        };
        let rate =
            json_decimal(raw).ok_or_else(|| format!("{date}: USD {} is not a rate", raw.get()))?;
        let start = d
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp());
        out.push(Candle {
            start,
            open: rate,
            close: rate,
        });
    }
    Ok(out)
}

/// Whether an error answer says the currency is not published.
pub fn unknown(status: u16, _body: &[u8]) -> bool {
    status == 404 || status == 422
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn a_series_of_business_days() {
        let c = parse(br#"{"amount":1.0,"base":"EUR","start_date":"2024-01-02","end_date":"2024-01-03","rates":{"2024-01-02":{"USD":1.0956},"2024-01-03":{"USD":1.0919}}}"#).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].start, 1704240000);
        assert_eq!(c[1].mean(), Some(Decimal::new(10919, 4)));
        assert!(parse(br#"{"rates":{"x":{"USD":1}}}"#).is_err());
    }

    #[test]
    fn window_urls_stop_today() {
        let today = NaiveDate::from_ymd_opt(1971, 1, 1).unwrap();
        assert_eq!(
            url("https://f/v1", "eur", 1, today),
            "https://f/v1/1970-10-28..1971-01-01?base=EUR&symbols=USD"
        );
    }
}
