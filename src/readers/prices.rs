//! USD prices from `--prices`: CSV `time,asset,price` (a price in force from that
//! time on), optionally with `source` (the provider and pair) and `granularity`
//! (`minute`, `hour`, `day` or `manual`) as `harvest prices` writes them, or
//! `asset,price` (a current price).
//!
//! A price without a time is only used to value holdings (lots, scan), never to
//! value a ledger row: applying today's price to a trade of years ago would be a
//! silent error, so such a row asks for a dated price instead.

use std::collections::HashMap;
use std::io::Read;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::cell::parse_decimal;
use crate::csvread;
use crate::time::parse_time;

/// Why a price file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{file}:1: a price file needs the columns time,asset,price (optionally source,granularity) or asset,price (found {found:?})"
    )]
    Header { file: String, found: String },
    #[error("{file}:{line}: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}:{line}: column {column} {value:?}: {problem}")]
    Cell {
        file: String,
        line: u64,
        column: &'static str,
        value: String,
        problem: String,
    },
}

/// Prices per asset, sorted by time. Asset names are matched case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    /// (time, price, index into `sources`) per asset.
    by_asset: HashMap<String, Vec<(DateTime<Utc>, Decimal, u32)>>,
    current: HashMap<String, Decimal>,
    /// Where prices came from: the file, and its source and granularity when
    /// the line names them.
    sources: Vec<String>,
}

/// A dated price, with where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceAt<'a> {
    /// The time the price is for.
    pub time: DateTime<Utc>,
    pub price: Decimal,
    /// The file, and the provider, pair and granularity when given:
    /// `prices.csv (coinbase BTC-USD, day)`.
    pub source: &'a str,
    /// The source's index (see [`PriceTable::sources`]).
    pub source_id: u32,
}

/// The granularities a price line may state.
const GRANULARITIES: [&str; 4] = ["minute", "hour", "day", "manual"];

/// One line of a price file, as written: what `harvest prices` keeps when it
/// adds to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceLine {
    /// The line in the file.
    pub line: u64,
    /// The time the price is for; None for the current-price form
    /// (`asset,price`).
    pub time: Option<DateTime<Utc>>,
    /// The time as written (a date stays a date when the file is rewritten).
    pub time_text: String,
    pub asset: String,
    pub price: Decimal,
    /// The provider and pair (`coinbase BTC-USD`), or empty.
    pub source: String,
    /// `minute`, `hour`, `day`, `manual`, or empty.
    pub granularity: String,
}

/// The lines of a price file: whether it has a `time` column, and its rows
/// in file order. Bare dates are midnight in `tz`.
pub fn read_lines<R: Read>(
    input: R,
    file: &str,
    tz: Tz,
) -> Result<(bool, Vec<PriceLine>), PriceError> {
    let mut rdr = csvread::Reader::new(std::io::BufReader::new(input));
    let mut rec = csvread::Record::default();
    let err = |e: csvread::CsvError| match e {
        csvread::CsvError::Io(source) => PriceError::Io {
            file: file.to_string(),
            source,
        },
        e => PriceError::Csv {
            file: file.to_string(),
            line: e.line(),
            message: e.to_string(),
        },
    };
    let names: Vec<String> = if rdr.read(&mut rec).map_err(err)? {
        rec.iter()
            .map(|h| {
                let h = String::from_utf8_lossy(h);
                h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                    .to_ascii_lowercase()
            })
            .collect()
    } else {
        Vec::new()
    };
    rdr.set_row_width(names.len());
    let pos = |n: &str| names.iter().position(|h| h == n);
    let (src, gran) = (pos("source"), pos("granularity"));
    let known = 2 + [pos("time"), src, gran]
        .iter()
        .filter(|c| c.is_some())
        .count();
    let (t, a, p) = match (pos("time"), pos("asset"), pos("price")) {
        (t, Some(a), Some(p)) if names.len() == known => (t, a, p),
        _ => {
            return Err(PriceError::Header {
                file: file.to_string(),
                found: names.join(","),
            });
        }
    };
    let mut lines = Vec::new();
    while rdr.read(&mut rec).map_err(err)? {
        let line = rec.line();
        let rec = rec.text().map_err(|i| PriceError::Csv {
            file: file.to_string(),
            line,
            message: format!(
                "column {}: is not UTF-8 text: save the file as UTF-8",
                i + 1
            ),
        })?;
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let cell = |column: &'static str, value: &str, problem: String| PriceError::Cell {
            file: file.to_string(),
            line,
            column,
            value: value.to_string(),
            problem,
        };
        let when = match t {
            Some(i) => {
                let v = get(i);
                Some(parse_time(v, tz).map_err(|e| cell("time", v, e.to_string()))?)
            }
            None => None,
        };
        let time_text = t.map_or("", get).to_string();
        // Text harvest wrote with a formula-protecting quote reads back
        // without it.
        let asset = crate::cell::unprotect(get(a));
        if asset.is_empty() {
            return Err(cell("asset", asset, "is required and empty".into()));
        }
        let pv = get(p);
        let price = parse_decimal(pv).map_err(|e| cell("price", pv, e.to_string()))?;
        let granularity = gran.map_or("", get);
        if !granularity.is_empty() && !GRANULARITIES.contains(&granularity) {
            return Err(cell(
                "granularity",
                granularity,
                format!("is not one of {}", GRANULARITIES.join(", ")),
            ));
        }
        lines.push(PriceLine {
            line,
            time: when,
            time_text,
            asset: asset.to_string(),
            price,
            source: crate::cell::unprotect(src.map_or("", get)).to_string(),
            granularity: granularity.to_string(),
        });
    }
    Ok((t.is_some(), lines))
}

impl PriceTable {
    /// Reads a price CSV; bare dates are midnight in `tz`.
    pub fn read<R: Read>(input: R, file: &str, tz: Tz) -> Result<PriceTable, PriceError> {
        let (_, lines) = read_lines(input, file, tz)?;
        Ok(PriceTable::from_lines(&lines, file))
    }

    /// The table of the lines of `file` (see [`read_lines`]).
    pub fn from_lines(lines: &[PriceLine], file: &str) -> PriceTable {
        let mut table = PriceTable {
            sources: vec![file.to_string()],
            ..PriceTable::default()
        };
        let mut source_ids: HashMap<(&str, &str), u32> = HashMap::new();
        for l in lines {
            let source = (l.source.as_str(), l.granularity.as_str());
            let id = if source == ("", "") {
                0
            } else {
                let next = table.sources.len() as u32;
                *source_ids.entry(source).or_insert_with(|| {
                    let what = match source {
                        (s, "") => s.to_string(),
                        ("", g) => g.to_string(),
                        (s, g) => format!("{s}, {g}"),
                    };
                    table.sources.push(format!("{file} ({what})"));
                    next
                })
            };
            match l.time {
                Some(w) => table
                    .by_asset
                    .entry(l.asset.to_ascii_uppercase())
                    .or_default()
                    .push((w, l.price, id)),
                None => {
                    table.current.insert(l.asset.to_ascii_uppercase(), l.price);
                }
            }
        }
        for v in table.by_asset.values_mut() {
            v.sort_by_key(|&(t, _, _)| t);
        }
        table
    }

    /// Adds one price (for tests and for callers that build tables in code).
    pub fn insert(&mut self, asset: &str, when: DateTime<Utc>, price: Decimal) {
        if self.sources.is_empty() {
            self.sources.push("prices".to_string());
        }
        let v = self.by_asset.entry(asset.to_ascii_uppercase()).or_default();
        let at = v.partition_point(|&(t, _, _)| t <= when);
        v.insert(at, (when, price, 0));
    }

    /// The latest dated price of `asset` at or before `when`: for valuing rows.
    pub fn at(&self, asset: &str, when: DateTime<Utc>) -> Option<Decimal> {
        self.at_time(asset, when).map(|p| p.price)
    }

    /// [`PriceTable::at`] with the time the price is for and where it came
    /// from, so that a caller can tell how old it is and say so.
    pub fn at_time(&self, asset: &str, when: DateTime<Utc>) -> Option<PriceAt<'_>> {
        let v = self.by_asset.get(&asset.to_ascii_uppercase())?;
        let n = v.partition_point(|&(t, _, _)| t <= when);
        n.checked_sub(1).map(|i| {
            let (time, price, s) = v[i];
            PriceAt {
                time,
                price,
                source: self.sources.get(s as usize).map_or("", String::as_str),
                source_id: s,
            }
        })
    }

    /// The price to value holdings at `when`: the undated (current) price when the
    /// file has one for `asset`, else the latest dated price at or before `when`.
    pub fn valuation(&self, asset: &str, when: DateTime<Utc>) -> Option<Decimal> {
        self.current
            .get(&asset.to_ascii_uppercase())
            .copied()
            .or_else(|| self.at(asset, when))
    }

    /// The dated price [`PriceTable::valuation`] takes for `asset` at `when`
    /// when it is more than 24 hours older than `when` (an undated current
    /// price has no age to tell).
    pub fn stale_valuation(&self, asset: &str, when: DateTime<Utc>) -> Option<PriceAt<'_>> {
        if self.current.contains_key(&asset.to_ascii_uppercase()) {
            return None;
        }
        self.at_time(asset, when)
            .filter(|p| when - p.time > chrono::Duration::hours(24))
    }

    /// Where the prices came from, by source index: the file, and the
    /// provider, pair and granularity lines name.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// True when no price was read.
    pub fn is_empty(&self) -> bool {
        self.by_asset.is_empty() && self.current.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_price_at_or_before() {
        let t = PriceTable::read(
            "time,asset,price\n2025-01-01,BTC,100\n2025-01-03,btc,300\n".as_bytes(),
            "p.csv",
            Tz::UTC,
        )
        .unwrap();
        let at = |s| t.at("BTC", parse_time(s, Tz::UTC).unwrap());
        assert_eq!(at("2024-12-31T23:59:59Z"), None);
        assert_eq!(at("2025-01-01T00:00:00Z"), Some(Decimal::from(100)));
        assert_eq!(at("2025-01-02T12:00:00Z"), Some(Decimal::from(100)));
        assert_eq!(at("2025-01-03T00:00:01Z"), Some(Decimal::from(300)));
    }

    /// Issue 16: the file `harvest prices` writes, `time,asset,price,source,
    /// granularity`, reads like the three-column one, and each price keeps
    /// where it came from for the messages that use it.
    #[test]
    fn prices_with_source_and_granularity() {
        let t = PriceTable::read(
            "time,asset,price,source,granularity\n2025-01-01,BTC,100,coinbase BTC-USD,day\n2025-01-02T10:00:00Z,EUR,1.04,manual,manual\n2025-01-03,BTC,300,,\n".as_bytes(),
            "p.csv",
            Tz::UTC,
        )
        .unwrap();
        let at = |a, s| t.at_time(a, parse_time(s, Tz::UTC).unwrap()).unwrap();
        assert_eq!(at("BTC", "2025-01-02T00:00:00Z").price, Decimal::from(100));
        assert_eq!(
            at("BTC", "2025-01-02T00:00:00Z").source,
            "p.csv (coinbase BTC-USD, day)"
        );
        assert_eq!(
            at("eur", "2025-01-05T00:00:00Z").source,
            "p.csv (manual, manual)"
        );
        assert_eq!(at("BTC", "2025-01-05T00:00:00Z").source, "p.csv");
        let e = PriceTable::read(
            "time,asset,price,granularity\n2025-01-01,BTC,100,week\n".as_bytes(),
            "p.csv",
            Tz::UTC,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains(
                "p.csv:2: column granularity \"week\": is not one of minute, hour, day, manual"
            ),
            "{e}"
        );
        let e =
            PriceTable::read("time,asset,price,venue\n".as_bytes(), "p.csv", Tz::UTC).unwrap_err();
        assert!(
            e.to_string().contains("optionally source,granularity"),
            "{e}"
        );
    }

    #[test]
    fn undated_prices_value_holdings_but_not_rows() {
        let t = PriceTable::read("asset,price\nETH,2000.5\n".as_bytes(), "p.csv", Tz::UTC).unwrap();
        assert_eq!(t.valuation("eth", Utc::now()), Some(Decimal::new(20005, 1)));
        assert_eq!(t.at("eth", Utc::now()), None);
    }

    // README: CRLF and mixed line endings read like plain LF, so the line named
    // is the editor's; RFC 4180 section 2.5-2.7: a quote never closed is an
    // error at its line, not a file cut short.
    #[test]
    fn crlf_lines_and_a_quote_never_closed() {
        for text in [
            "time,asset,price\r\n2025-01-01,BTC,1\r\n\r\n2025-01-02,BTC,abc\r\n",
            "time,asset,price\n2025-01-01,BTC,1\r\n\n2025-01-02,BTC,abc",
        ] {
            let e = PriceTable::read(text.as_bytes(), "p.csv", Tz::UTC).unwrap_err();
            assert!(
                e.to_string().starts_with("p.csv:4: column price \"abc\""),
                "{e}"
            );
        }
        let e = PriceTable::read(
            "time,asset,price\n2025-01-01,BTC,\"1\n2025-01-02,BTC,2\n".as_bytes(),
            "p.csv",
            Tz::UTC,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("p.csv:2: a quote (\") opens a cell on this line and is never closed"),
            "{e}"
        );
    }

    #[test]
    fn bad_cells_name_the_line() {
        let e =
            PriceTable::read("asset,price\nETH,abc\n".as_bytes(), "p.csv", Tz::UTC).unwrap_err();
        assert!(
            e.to_string().starts_with("p.csv:2: column price \"abc\""),
            "{e}"
        );
    }
}
