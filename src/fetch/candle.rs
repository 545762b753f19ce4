//! Which price stands for a time: the mean of the open and the close of the
//! candle of the chosen size that contains the time. A provider publishes no
//! candle for an interval without trades (Coinbase: "No data is published for
//! intervals where there are no ticks"), so the rule looks back up to
//! [`LOOKBACK`] candles of the same size; past that the next coarser size is
//! tried (see `plan.rs`). A candle further back is refused: a price that old
//! is not the price of the time.
//!
//! Requests are made by windows of [`WINDOW`] candles aligned on the Unix
//! epoch, so that a window's candles are the same whoever asks, and a
//! finished window can be cached for good.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::Granularity;

/// Candles per request: Coinbase Exchange serves at most 300 a request.
pub const WINDOW: i64 = 300;

/// How many candles of the same size the rule looks back past the one that
/// contains the time.
pub const LOOKBACK: i64 = 24;

/// One candle: its start (Unix seconds), open and close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candle {
    pub start: i64,
    pub open: Decimal,
    pub close: Decimal,
}

impl Candle {
    /// The price the candle stands for: (open + close) / 2, exact.
    pub fn mean(&self) -> Option<Decimal> {
        let sum = self.open.checked_add(self.close)?;
        sum.checked_div(Decimal::TWO).map(|d| d.normalize())
    }
}

/// The window (index since the epoch) holding the candle that contains `t`.
pub fn window_of(t: i64, g: Granularity) -> i64 {
    t.div_euclid(g.seconds() * WINDOW)
}

/// The first second of window `w`.
pub fn window_start(w: i64, g: Granularity) -> i64 {
    w * g.seconds() * WINDOW
}

/// The start of the candle that contains `t`.
pub fn candle_start(t: i64, g: Granularity) -> i64 {
    t.div_euclid(g.seconds()) * g.seconds()
}

/// The candle the rule takes for `t`: the one that contains it, else the
/// latest of the [`LOOKBACK`] before it. None when there is none that near.
pub fn pick(candles: &BTreeMap<i64, Candle>, t: i64, g: Granularity) -> Option<Candle> {
    let start = candle_start(t, g);
    candles
        .range(start - LOOKBACK * g.seconds()..=start)
        .next_back()
        .map(|(_, c)| *c)
}

/// Whether the look-back for `t` reaches before the window that holds `t`
/// (its previous window is needed when the nearer candles are missing).
pub fn looks_into_previous_window(t: i64, g: Granularity) -> bool {
    candle_start(t, g) - LOOKBACK * g.seconds() < window_start(window_of(t, g), g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(start: i64, open: i64, close: i64) -> (i64, Candle) {
        (
            start,
            Candle {
                start,
                open: Decimal::from(open),
                close: Decimal::from(close),
            },
        )
    }

    /// The candle containing the time; a gap looks back 24 candles and no
    /// further (a price outside the rule's distance is refused).
    #[test]
    fn the_candle_that_contains_the_time_or_one_of_the_24_before() {
        let h = Granularity::Hour;
        let m: BTreeMap<i64, Candle> = [c(0, 10, 20), c(3600 * 5, 30, 31)].into();
        let t = 3600 * 5 + 1799;
        assert_eq!(
            pick(&m, t, h).and_then(|c| c.mean()),
            Some(Decimal::new(305, 1))
        );
        // 24 hours after the candle at 5:00: still taken; 25: refused.
        assert_eq!(pick(&m, 3600 * 29 + 10, h).map(|c| c.start), Some(3600 * 5));
        assert_eq!(pick(&m, 3600 * 30, h), None);
        assert_eq!(pick(&m, 1, h).map(|c| c.start), Some(0));
        // Before the first candle: nothing.
        assert_eq!(pick(&m, -1, h), None);
    }

    #[test]
    fn windows_are_aligned_on_the_epoch() {
        let d = Granularity::Day;
        assert_eq!(window_of(0, d), 0);
        assert_eq!(window_of(86400 * 300 - 1, d), 0);
        assert_eq!(window_of(86400 * 300, d), 1);
        assert_eq!(window_start(2, d), 86400 * 600);
        assert!(looks_into_previous_window(86400 * 300 + 5, d));
        assert!(!looks_into_previous_window(86400 * 330, d));
    }
}
