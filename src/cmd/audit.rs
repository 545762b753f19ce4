//! `harvest audit`: each Form 8949 row of a year traced to the input rows.

use std::io::Write;

use crate::cli::{AuditArgs, FormatArg};
use crate::render;

use super::{Settings, input::match_all, write_output};

/// Runs `harvest audit`.
pub fn run(a: &AuditArgs) -> anyhow::Result<()> {
    let mut s = Settings::from_args(&a.engine)?;
    s.engine.trace_moves = true;
    let m = match_all(&a.engine, &s, a.year)?;
    let what_if =
        super::input::announce(&s, &m.loaded.ledger, m.loaded.prices.as_ref(), &m.outcome);
    let rows = m.year_rows();
    let trails = crate::tax::audit::trails(&m.loaded.ledger, &m.outcome, &rows, s.engine.tz);
    let written = write_output(a.engine.output.as_deref(), |w: &mut dyn Write| {
        match a.format {
            FormatArg::Csv => render::csv::audit(w, &trails),
            FormatArg::Json => render::json::audit(w, a.year, &what_if, &trails),
            _ => render::table::audit(w, a.year, &what_if, &trails),
        }
    });
    drop(trails);
    drop(rows);
    std::mem::forget(m);
    written
}
