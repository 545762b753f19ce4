//! Valuing rows in USD: USD and its stablecoins at 1.00, other government
//! currencies and crypto through `--prices`, the USD value of an exchange, and
//! a transfer's network fee.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::model::Record;
use crate::readers::prices::PriceTable;

use super::cx::Cx;
use super::draft::fmt_time;
use super::num;

impl Cx<'_, '_> {
    /// A price for valuing: 1 for USD and USD stablecoins, else `--prices`.
    pub fn unit_price(&self, asset: &str, t: DateTime<Utc>) -> Option<Decimal> {
        if asset == "USD" || is_stablecoin(asset) {
            return Some(Decimal::ONE);
        }
        self.opts.prices.and_then(|p| p.at(asset, t))
    }

    /// The USD value of an exchange: its USD side, a stablecoin side at 1.00,
    /// then `--prices` for the received then the sent asset. A problem (naming
    /// the row) when none applies.
    pub fn value_legs(
        &mut self,
        line: u64,
        t: DateTime<Utc>,
        received: Option<(Decimal, &str)>,
        sent: Option<(Decimal, &str)>,
    ) -> Option<Decimal> {
        let legs = [received, sent];
        let fixed = |a: &str| a == "USD" || is_stablecoin(a);
        for (q, a) in legs.iter().flatten() {
            if fixed(a) {
                return Some(q.abs());
            }
        }
        for (q, a) in legs.iter().flatten() {
            if let Some(p) = self.unit_price(a, t) {
                return Some(mul(q.abs(), p));
            }
        }
        let assets: Vec<&str> = legs.iter().flatten().map(|(_, a)| *a).collect();
        self.problem(
            line,
            None,
            None,
            format!(
                "no USD value for this row at {}: the export gives none and no side is USD \
                 or a USD stablecoin; add a price for {} to --prices",
                fmt_time(t),
                assets.join(" or ")
            ),
        );
        None
    }

    /// Converts an amount of fiat money into USD: itself for USD, else through a
    /// `--prices` rate for that currency (foreign currency is valued in USD at
    /// the time of the transaction).
    pub fn fiat_to_usd(
        &mut self,
        line: u64,
        t: DateTime<Utc>,
        qty: Decimal,
        ccy: &str,
    ) -> Option<Decimal> {
        if ccy == "USD" {
            return Some(qty.abs());
        }
        match self.opts.prices.and_then(|p| p.at(ccy, t)) {
            Some(rate) => Some(mul(qty.abs(), rate)),
            None => {
                self.problem(
                    line,
                    None,
                    Some(ccy),
                    format!(
                        "amounts are in {ccy}, not USD: add a USD rate for {ccy} at {} to \
                         --prices (CSV time,asset,price)",
                        fmt_time(t)
                    ),
                );
                None
            }
        }
    }
}

/// A deposit's or withdrawal's fee in crypto is a disposal (the network fee),
/// which needs a USD value: when the export gives none, `--prices` (or 1.00 for
/// a USD stablecoin) fills `fee_usd`.
pub(super) fn value_transfer_fee(rec: &mut Record, prices: Option<&PriceTable>) {
    if !(rec.kind == "deposit" || rec.kind == "withdrawal")
        || rec.fee_asset.is_empty()
        || !rec.fee_usd.is_empty()
    {
        return;
    }
    let (Ok(qty), Ok(t)) = (
        Decimal::from_str_exact(&rec.fee_qty),
        DateTime::parse_from_rfc3339(&rec.time),
    ) else {
        return;
    };
    let price = if is_stablecoin(&rec.fee_asset) {
        Some(Decimal::ONE)
    } else {
        prices.and_then(|p| p.at(&rec.fee_asset, t.with_timezone(&Utc)))
    };
    if let Some(p) = price {
        rec.fee_usd = num::fmt_decimal(mul(qty, p));
    }
}

/// Multiplies two decimals, rounding to the 28 digits a Decimal holds.
pub(crate) fn mul(a: Decimal, b: Decimal) -> Decimal {
    a.checked_mul(b).unwrap_or(Decimal::MAX).normalize()
}

/// USD stablecoins valued at 1.00 when a row has no other USD value.
pub(crate) const STABLECOINS: [&str; 12] = [
    "USDC", "USDT", "DAI", "BUSD", "USDP", "PAX", "TUSD", "GUSD", "PYUSD", "USDS", "FDUSD", "USDG",
];

pub(crate) fn is_stablecoin(a: &str) -> bool {
    STABLECOINS.contains(&a)
}

/// Government currencies: deposits and withdrawals of these are cash movements,
/// and trades against them are valued through their USD rate.
const FIAT: [&str; 30] = [
    "USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "NZD", "SGD", "HKD", "PLN", "CZK", "SEK",
    "NOK", "DKK", "TRY", "BRL", "RUB", "UAH", "NGN", "ZAR", "KZT", "INR", "MXN", "ARS", "IDR",
    "HUF", "RON", "AED", "KRW",
];

pub(crate) fn is_fiat(a: &str) -> bool {
    FIAT.contains(&a)
}
