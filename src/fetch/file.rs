//! The prices file `harvest prices` writes (`time,asset,price,source,
//! granularity`, read back by `--prices`): the rows an existing file had are
//! kept (a row written by hand, `manual`, wins over any source), and only
//! what they do not cover is fetched.

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::{Found, Need};
use crate::cell::safe_text;
use crate::readers::prices::PriceLine;

/// The header written.
pub const HEADER: [&str; 5] = ["time", "asset", "price", "source", "granularity"];

/// How much older than the time a `manual` price may be and still cover it:
/// the engine values a row at it without a warning.
const MANUAL_REACH_HOURS: i64 = 24;

/// A line's time, and the time of the latest `manual` line of its asset up
/// to it (in time order).
type Reach = (DateTime<Utc>, Option<DateTime<Utc>>);

/// The needs the existing lines do not cover: no line of the asset (or of an
/// alternative) at that very time, and no `manual` line at most 24 hours
/// before it. Each asset's lines are sorted once, with the time of the latest
/// `manual` line up to each of them: a need looks at the last line at or
/// before its time, found by a binary search, not at each line of the 24
/// hours before it (a bot's file has one a second).
pub fn missing(needs: &[Need], existing: &[PriceLine]) -> Vec<Need> {
    let mut by: HashMap<String, Vec<(DateTime<Utc>, bool)>> = HashMap::new();
    for l in existing {
        if let Some(t) = l.time {
            by.entry(l.asset.to_ascii_uppercase())
                .or_default()
                .push((t, l.granularity == "manual"));
        }
    }
    // Each asset's lines in time order: (time, the latest manual line's time
    // up to this one).
    let by: HashMap<String, Vec<Reach>> = by
        .into_iter()
        .map(|(asset, mut v)| {
            v.sort();
            let mut manual = None;
            let v = v
                .into_iter()
                .map(|(t, m)| {
                    if m {
                        manual = Some(t);
                    }
                    (t, manual)
                })
                .collect();
            (asset, v)
        })
        .collect();
    let covered = |asset: &str, t: DateTime<Utc>| {
        by.get(&asset.to_ascii_uppercase()).is_some_and(|v| {
            let n = v.partition_point(|&(x, _)| x <= t);
            // A line at `t` is the last at or before it; a manual line at
            // most 24 hours before it, the latest manual one at or before it.
            n > 0 && {
                let (x, manual) = v[n - 1];
                x == t || manual.is_some_and(|m| t - m <= Duration::hours(MANUAL_REACH_HOURS))
            }
        })
    };
    needs
        .iter()
        .filter(|n| !n.assets.iter().any(|a| covered(a, n.time)))
        .cloned()
        .collect()
}

/// The lines to write: the existing ones, then the prices found (one per
/// asset and time) and the USD stablecoins held at 1.00, sorted by time then
/// asset.
pub fn merge(
    mut existing: Vec<PriceLine>,
    found: &[Found],
    stable: &[(String, DateTime<Utc>)],
) -> Vec<PriceLine> {
    let mut seen: std::collections::HashSet<(String, DateTime<Utc>)> = existing
        .iter()
        .filter_map(|l| l.time.map(|t| (l.asset.to_ascii_uppercase(), t)))
        .collect();
    let text = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    for f in found {
        if seen.insert((f.asset.to_ascii_uppercase(), f.time)) {
            existing.push(PriceLine {
                line: 0,
                time: Some(f.time),
                time_text: text(f.time),
                asset: f.asset.clone(),
                price: f.price,
                source: f.source.clone(),
                granularity: f.granularity.name().to_string(),
            });
        }
    }
    for (asset, t) in stable {
        if seen.insert((asset.to_ascii_uppercase(), *t)) {
            existing.push(PriceLine {
                line: 0,
                time: Some(*t),
                time_text: text(*t),
                asset: asset.clone(),
                price: Decimal::ONE,
                source: "USD stablecoin at 1.00".into(),
                granularity: String::new(),
            });
        }
    }
    existing.sort_by(|a, b| {
        (a.time, a.asset.to_ascii_uppercase(), a.line).cmp(&(
            b.time,
            b.asset.to_ascii_uppercase(),
            b.line,
        ))
    });
    existing
}

/// Writes the prices file.
pub fn write(w: &mut dyn Write, lines: &[PriceLine]) -> std::io::Result<()> {
    let io = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    };
    let mut out = csv::Writer::from_writer(w);
    out.write_record(HEADER).map_err(io)?;
    for l in lines {
        let price = l.price.to_string();
        out.write_record([
            l.time_text.as_str(),
            &safe_text(&l.asset),
            &price,
            &safe_text(&l.source),
            &l.granularity,
        ])
        .map_err(io)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::Why;

    /// `missing` as it was, reading back each line of the 24 hours before a
    /// need: what the binary search must answer exactly as.
    fn missing_line_by_line(needs: &[Need], existing: &[PriceLine]) -> Vec<Need> {
        let mut by: HashMap<String, Vec<(DateTime<Utc>, bool)>> = HashMap::new();
        for l in existing {
            if let Some(t) = l.time {
                by.entry(l.asset.to_ascii_uppercase())
                    .or_default()
                    .push((t, l.granularity == "manual"));
            }
        }
        for v in by.values_mut() {
            v.sort();
        }
        let covered = |asset: &str, t: DateTime<Utc>| {
            by.get(&asset.to_ascii_uppercase()).is_some_and(|v| {
                let n = v.partition_point(|&(x, _)| x <= t);
                v[..n]
                    .iter()
                    .rev()
                    .take_while(|&&(x, _)| t - x <= Duration::hours(MANUAL_REACH_HOURS))
                    .any(|&(x, manual)| x == t || manual)
            })
        };
        needs
            .iter()
            .filter(|n| !n.assets.iter().any(|a| covered(a, n.time)))
            .cloned()
            .collect()
    }

    proptest::proptest! {
        /// The needs left are those a look at each line of the 24 hours
        /// before them leaves: lines of a few assets (in either case) at a
        /// few times, many at one time, manual or not (or `Manual`, which is
        /// not), some undated; needs of one asset or of alternatives, at the
        /// lines' times, 24 hours after them, or a second off.
        #[test]
        fn missing_as_read_line_by_line(
            lines in proptest::collection::vec(
                (0usize..4, proptest::option::weighted(0.9, 0i64..80), 0usize..4),
                0..200,
            ),
            needs in proptest::collection::vec(
                (proptest::collection::vec(0usize..5, 1..3), 0i64..100, 0usize..5),
                1..40,
            ),
        ) {
            let base = "2025-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
            let assets = ["BTC", "btc", "ETH", "SOL", "DOGE"];
            let grans = ["manual", "hour", "", "Manual"];
            let offsets = [0, 0, 1, -1, 24 * 3600];
            let existing: Vec<PriceLine> = lines
                .iter()
                .enumerate()
                .map(|(k, &(a, h, g))| PriceLine {
                    line: k as u64 + 2,
                    time: h.map(|h| base + Duration::hours(h)),
                    time_text: String::new(),
                    asset: assets[a].to_string(),
                    price: Decimal::ONE,
                    source: String::new(),
                    granularity: grans[g].to_string(),
                })
                .collect();
            let needs: Vec<Need> = needs
                .iter()
                .map(|(a, h, o)| Need {
                    assets: a.iter().map(|&a| assets[a].to_string()).collect(),
                    time: base + Duration::hours(*h) + Duration::seconds(offsets[*o]),
                    why: Why::Holding,
                })
                .collect();
            proptest::prop_assert_eq!(
                missing(&needs, &existing),
                missing_line_by_line(&needs, &existing)
            );
        }
    }
}
