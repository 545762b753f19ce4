//! `harvest gains`: the Form 8949 rows of one tax year.

use std::io::Write;

use crate::cli::{FormatArg, GainsArgs};
use crate::engine;
use crate::render::{self, GainsView, gain_line};
use crate::tax::{BoxRules, Term, Totals, build_rows};

use super::{Settings, UsageError, load, write_output};

/// Runs `harvest gains`.
pub fn run(a: &GainsArgs) -> anyhow::Result<()> {
    let s = Settings::from_args(&a.engine)?;
    if matches!(a.engine.format, FormatArg::Txf | FormatArg::Turbotax | FormatArg::Taxact) {
        return Err(UsageError(
            "gains writes table, csv or json; tax-software formats come from harvest report".into(),
        )
        .into());
    }
    let loaded = load(&a.engine, &s)?;
    let outcome = engine::run(
        &loaded.ledger,
        &s.engine,
        loaded.prices.as_ref(),
        loaded.selections.as_ref(),
        None,
    )?;
    if !s.quiet && !outcome.warnings.is_empty() {
        eprint!("{}", outcome.warnings);
    }
    let rows = build_rows(&loaded.ledger, &outcome, &BoxRules::default());
    let year_rows: Vec<_> = rows
        .iter()
        .filter(|r| chrono::Datelike::year(&r.date_sold) == a.year)
        .collect();
    let view = GainsView {
        year: a.year,
        method: s.engine.method.as_str(),
        scope: s.engine.scope.as_str(),
        short_term: Totals::of(year_rows.iter().copied().filter(|r| r.term == Term::Short)),
        long_term: Totals::of(year_rows.iter().copied().filter(|r| r.term == Term::Long)),
        lines: year_rows
            .iter()
            .map(|r| gain_line(&loaded.ledger, &outcome, r))
            .collect(),
    };
    write_output(a.engine.output.as_deref(), |w: &mut dyn Write| {
        match a.engine.format {
            FormatArg::Csv => render::csv::gains(w, &view),
            FormatArg::Json => render::json::gains(w, &view),
            _ => render::table::gains(w, &view),
        }
    })
}
