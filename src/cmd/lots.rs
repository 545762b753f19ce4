//! `harvest lots`: open lots as of a date, valued at `--prices` when given.

use std::io::Write;

use chrono::Utc;

use crate::cli::{FormatArg, LotsArgs};
use crate::engine;
use crate::render::{self, LotsView, lot_line};
use crate::time::{date_in, end_of_day};

use super::{Settings, load, write_output_shown};

/// Open lots below which one thread makes every line.
const LINES_PER_THREAD: usize = 20_000;

/// Runs `harvest lots`.
pub fn run(a: &LotsArgs) -> anyhow::Result<()> {
    let s = Settings::from_args(&a.engine)?;
    let tz = s.engine.tz;
    let loaded = load(&a.engine, &s)?;
    let cutoff = a.as_of.map(|d| end_of_day(d, tz));
    // The lots held are all this command shows: no disposal is kept.
    let cfg = s.engine.keeping(engine::Keep::Nothing);
    let outcome = engine::run(
        &loaded.ledger,
        &cfg,
        loaded.prices.as_ref(),
        loaded.selections.as_ref(),
        Some(cutoff.unwrap_or(chrono::DateTime::<Utc>::MAX_UTC)),
    )?;
    loaded.done();
    if !s.quiet && !outcome.warnings.is_empty() {
        eprint!("{}", outcome.warnings);
    }
    let what_if = super::input::announce(&s, &loaded.ledger, loaded.prices.as_ref(), &outcome);
    // Values and terms are as of the end of --as-of, or now.
    let (when, on) = match (cutoff, a.as_of) {
        (Some(c), Some(d)) => (c - chrono::Duration::nanoseconds(1), d),
        _ => {
            let now = Utc::now();
            (now, date_in(now, tz))
        }
    };
    let ledger = &loaded.ledger;
    if let Some(p) = &loaded.prices {
        let assets = outcome.holdings.iter().map(|h| ledger.syms.name(h.asset));
        super::input::warn_stale_valuations(p, assets, when, s.quiet);
    }
    // Holdings come sorted by asset: each asset's price is looked up once.
    let lines_of = |holdings: &[crate::engine::Holding], lines: &mut Vec<_>| {
        let mut last = None;
        lines.extend(holdings.iter().enumerate().map(|(k, h)| {
            render::fetch_lots_ahead(ledger, &outcome, k, |j| holdings.get(j).map(|h| h.lot));
            let p = match last {
                Some((asset, p)) if asset == h.asset => p,
                _ => {
                    let p = loaded
                        .prices
                        .as_ref()
                        .and_then(|t| t.valuation(ledger.syms.name(h.asset), when));
                    last = Some((h.asset, p));
                    p
                }
            };
            lot_line(ledger, &outcome, h, p, on)
        }));
    };
    let holdings = &outcome.holdings[..];
    let mut lines = Vec::with_capacity(holdings.len());
    if holdings.len() / 2 < crate::threads::worth_a_thread(LINES_PER_THREAD) {
        lines_of(holdings, &mut lines);
    } else {
        // A decade's open lots on two threads: each line divides a basis by a
        // quantity.
        let (first, second) = holdings.split_at(holdings.len() / 2);
        let ((), second) = crate::threads::join(
            || lines_of(first, &mut lines),
            || {
                let mut v = Vec::with_capacity(second.len());
                lines_of(second, &mut v);
                v
            },
        );
        lines.extend(second);
    }
    let view = LotsView {
        as_of: a.as_of,
        lines,
        priced: loaded.prices.is_some(),
        what_if,
    };
    let written = write_output_shown(
        a.engine.output.as_deref(),
        &loaded.progress,
        |w: &mut dyn Write| match a.format {
            FormatArg::Csv => render::csv::lots(w, &view),
            FormatArg::Json => render::json::lots(w, &view),
            _ => render::table::lots(w, &view),
        },
    );
    // The process is about to exit: freeing a decade of rows one by one would
    // only cost time.
    drop(view);
    std::mem::forget(outcome);
    std::mem::forget(loaded);
    written
}
