//! `harvest balances`: each account's year in each asset, and the lots held at
//! its end.

use std::io::Write;

use crate::cli::{BalancesArgs, FormatArg};
use crate::engine;
use crate::render;
use crate::time::end_of_day;

use super::{Settings, input::load, write_output_shown};

/// Runs `harvest balances`.
pub fn run(a: &BalancesArgs) -> anyhow::Result<()> {
    let s = Settings::from_args(&a.engine)?;
    let tz = s.engine.tz;
    let loaded = load(&a.engine, &s)?;
    let last = chrono::NaiveDate::from_ymd_opt(a.year, 12, 31)
        .ok_or_else(|| anyhow::anyhow!("no December 31 in {}", a.year))?;
    // Balances come from the rows and the lots held: no disposal is kept.
    let cfg = s.engine.keeping(engine::Keep::Nothing);
    let outcome = engine::run(
        &loaded.ledger,
        &cfg,
        loaded.prices.as_ref(),
        loaded.selections.as_ref(),
        Some(end_of_day(last, tz)),
    )?;
    loaded.done();
    if !s.quiet && !outcome.warnings.is_empty() {
        eprint!("{}", outcome.warnings);
    }
    let what_if = super::input::announce(&s, &loaded.ledger, loaded.prices.as_ref(), &outcome);
    let ledger = &loaded.ledger;
    let balances = crate::tax::balances::balances(ledger, &outcome, a.year, tz);
    let cmp = crate::tax::balances::compare(ledger, a.year, tz);
    if a.format == FormatArg::Csv && !cmp.divergences.is_empty() && !s.quiet {
        eprintln!(
            "harvest: warning: {} from the balances the exchange's export states (the first at {}:{}); the table and JSON list each",
            render::count(cmp.divergences.len(), "divergence"),
            cmp.divergences[0].file,
            cmp.divergences[0].line
        );
    }
    let holdings: Vec<render::LotLine<'_>> = outcome
        .holdings
        .iter()
        .map(|h| render::lot_line(ledger, &outcome, h, None, last))
        .collect();
    let written = write_output_shown(
        a.engine.output.as_deref(),
        &loaded.progress,
        |w: &mut dyn Write| match a.format {
            FormatArg::Csv => render::csv::balances(w, &balances),
            FormatArg::Json => {
                render::json::balances(w, a.year, &what_if, &balances, &holdings, &cmp)
            }
            _ => render::table::balances(w, a.year, &what_if, &balances, &holdings, &cmp),
        },
    );
    drop(holdings);
    std::mem::forget(outcome);
    std::mem::forget(loaded);
    written
}
