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

/// The needs the existing lines do not cover: no line of the asset (or of an
/// alternative) at that very time, and no `manual` line at most 24 hours
/// before it.
pub fn missing(needs: &[Need], existing: &[PriceLine]) -> Vec<Need> {
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
