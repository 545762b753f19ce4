//! `harvest gains`: the Form 8949 rows of one tax year.

use std::io::Write;

use crate::cli::{FormatArg, GainsArgs};
use crate::render::{self, GainsView};
use crate::tax::Totals;

use super::{Settings, input::match_all, write_output_shown};

/// Runs `harvest gains`.
pub fn run(a: &GainsArgs) -> anyhow::Result<()> {
    let s = Settings::from_args(&a.engine)?;
    let m = match_all(&a.engine, &s, a.year)?;
    let year_rows = m.year_rows();
    let what_if =
        super::input::announce(&s, &m.loaded.ledger, m.loaded.prices.as_ref(), &m.outcome);
    // Said on stderr; gains has no statement to keep it in.
    m.broker_note(&s, a.year);
    let (short_term, long_term) = Totals::by_term(year_rows.iter().copied());
    let view = GainsView {
        what_if,
        year: a.year,
        method: s.engine.method.as_str(),
        scope: s.engine.scope.as_str(),
        short_term,
        long_term,
        lines: render::Lines::new(&m.loaded.ledger, &m.outcome, &year_rows),
    };
    let written = write_output_shown(
        a.engine.output.as_deref(),
        &m.loaded.progress,
        |w: &mut dyn Write| match a.format {
            FormatArg::Csv => render::csv::gains(w, &view),
            FormatArg::Json => render::json::gains(w, &view),
            _ => render::table::gains(w, &view),
        },
    );
    // The process is about to exit: freeing a decade of rows one by one would
    // only cost time.
    drop(view);
    std::mem::forget(m);
    written
}
