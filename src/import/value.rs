//! Valuing rows in USD: USD and its stablecoins at 1.00, other government
//! currencies and crypto through `--prices` when `import --prices` gives one,
//! the USD value of an exchange, and a transfer's network fee. A row nothing
//! values is written without a USD value, as the export states it: the engine
//! values it at run time from `--prices` (or stops naming the row), and the
//! accounting counts it.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use crate::model::{FIAT, Record};

use super::cx::Cx;
use super::num;

/// A price older than this (before the row) is counted as stale; the engine
/// warns about such a price the same way.
pub(super) const STALE_AFTER_HOURS: i64 = 24;

impl Cx<'_, '_> {
    /// The latest dated `--prices` price of `asset` at or before `t`. A price
    /// more than a day older than the row at `line` is noted there (see
    /// [`Cx::stale`]).
    pub fn price(&mut self, line: u64, asset: &str, t: DateTime<Utc>) -> Option<Decimal> {
        let p = self.opts.prices?.at_time(asset, t)?;
        if t - p.time > Duration::hours(STALE_AFTER_HOURS) {
            self.stale
                .entry((line, asset.to_string()))
                .or_insert((p.time, t - p.time));
        }
        Some(p.price)
    }

    /// A price for valuing: 1 for USD and USD stablecoins, else `--prices`.
    pub fn unit_price(&mut self, line: u64, asset: &str, t: DateTime<Utc>) -> Option<Decimal> {
        if asset == "USD" || is_stablecoin(asset) {
            return Some(Decimal::ONE);
        }
        self.price(line, asset, t)
    }

    /// `q` of `asset` in USD at `t`: itself for USD and its stablecoins, else
    /// at its `--prices` price (a `fee` row's fee the export does not value).
    pub fn usd_of(
        &mut self,
        line: u64,
        q: Decimal,
        asset: &str,
        t: DateTime<Utc>,
    ) -> Option<Decimal> {
        self.unit_price(line, asset, t).map(|p| mul(q, p))
    }

    /// The USD value of an exchange, in the engine's order: a USD side, a USD
    /// stablecoin side at 1.00, a side in another currency at that currency's
    /// `--prices` rate (never a crypto price: the engine values such a row at
    /// the rate too), then `--prices` for the received then the sent asset.
    /// None when nothing values it: the row is written without a USD value.
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
        if let Some((q, a)) = legs.iter().flatten().find(|(_, a)| is_fiat(a)) {
            return self.fiat_to_usd(line, t, *q, a);
        }
        for (q, a) in legs.iter().flatten() {
            if let Some(p) = self.price(line, a, t) {
                return Some(mul(q.abs(), p));
            }
        }
        None
    }

    /// An amount of money in USD: itself for USD, else at a `--prices` rate for
    /// that currency at the row's time (foreign currency is valued in USD at
    /// the time of the transaction); None without a rate.
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
        self.price(line, ccy, t).map(|rate| mul(qty.abs(), rate))
    }

    /// A deposit's or withdrawal's fee in crypto is a disposal (the network
    /// fee), which needs a USD value: when the export gives none, `--prices`
    /// (or 1.00 for a USD stablecoin) fills `fee_usd`.
    pub(super) fn value_transfer_fee(&mut self, line: u64, rec: &mut Record) {
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
        let fee_asset = rec.fee_asset.clone();
        let price = if is_stablecoin(&fee_asset) {
            Some(Decimal::ONE)
        } else {
            self.price(line, &fee_asset, t.with_timezone(&Utc))
        };
        if let Some(p) = price {
            rec.fee_usd = num::fmt_decimal(mul(qty, p));
        }
    }
}

/// The part of `value` that `part` is of `whole`, in cents (half away from
/// zero): a network fee's share of the value a wallet gives for the amount
/// it is paid with. None when `whole` is zero.
pub(crate) fn share(value: Decimal, part: Decimal, whole: Decimal) -> Option<Decimal> {
    if whole.is_zero() {
        return None;
    }
    value
        .checked_mul(part)?
        .checked_div(whole)
        .map(|v| v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

/// Multiplies two decimals, rounding to the 28 digits a Decimal holds.
pub(crate) fn mul(a: Decimal, b: Decimal) -> Decimal {
    a.checked_mul(b).unwrap_or(Decimal::MAX).normalize()
}

/// USD stablecoins valued at 1.00 when a row has no other USD value (the
/// engine values them so too: [`crate::model::USD_STABLECOINS`]).
pub(crate) fn is_stablecoin(a: &str) -> bool {
    crate::model::is_usd_stablecoin(a)
}

/// Government currencies, USD and [`FIAT`]: deposits and withdrawals of these
/// are cash movements, and an exchange against one is a buy or a sell.
pub(crate) fn is_fiat(a: &str) -> bool {
    a == "USD" || FIAT.contains(&a)
}

/// Money other than USD (EUR, GBP, CAD, ...): kept as itself in the ledger,
/// valued at its USD rate.
pub(crate) fn is_foreign_money(a: &str) -> bool {
    a != "USD" && FIAT.contains(&a)
}
