//! `harvest audit`: each Form 8949 row of a year traced to the input rows,
//! every gap in the basis with what each choice would do, and the settings
//! and files that decided the figures.

use std::io::Write;

use crate::cli::{AuditArgs, FormatArg};
use crate::engine::MissingBasis;
use crate::render::{self, AuditView};

use super::{Settings, input::match_all, write_output, write_output_shown};

/// Runs `harvest audit`.
pub fn run(a: &AuditArgs) -> anyhow::Result<()> {
    if let Some(p) = &a.gaps {
        super::output::check_output("--gaps", p)?;
    }
    let mut s = Settings::from_args(&a.engine)?;
    s.engine.trace_moves = true;
    s.sum_inputs = true;
    // Every gap is listed, not only the first: each gets a zero basis here,
    // and a what-if says so when the settings would have stopped at it.
    let asked = s.engine.missing_basis;
    s.engine.missing_basis = MissingBasis::Zero;
    let m = match_all(&a.engine, &s, a.year)?;
    let mut what_if =
        super::input::announce(&s, &m.loaded.ledger, m.loaded.prices.as_ref(), &m.outcome);
    let rows = m.year_rows();
    let ledger = &m.loaded.ledger;
    let gaps = crate::tax::gaps::gaps(
        ledger,
        &m.outcome,
        &rows,
        a.year,
        s.engine.tz,
        m.loaded.prices.as_ref(),
    );
    let open = gaps
        .iter()
        .filter(|g| g.kind != crate::tax::gaps::GapKind::NeverDeposited)
        .count();
    if asked == MissingBasis::Error && open > 0 {
        what_if.push(format!(
            "{open} gap{} in the basis stop report and gains (--missing-basis error); here each has a zero basis, listed with what each choice would change",
            if open == 1 { "" } else { "s" }
        ));
    }
    let mut notes = super::input::notes(&s, &m.loaded, &m.outcome);
    if let Some(n) = gaps_note(&gaps, a.year) {
        notes.push(n);
    }
    let mut statement = super::input::statement(
        &a.engine,
        &s,
        &m.loaded.sums,
        m.loaded.prices.as_ref(),
        &m.outcome,
        &[],
        notes,
    )?;
    statement.missing_basis = match asked {
        MissingBasis::Error => "error",
        MissingBasis::Zero => "zero",
    };
    let view = AuditView {
        year: a.year,
        what_if,
        trails: crate::tax::audit::trails(ledger, &m.outcome, &rows, s.engine.tz),
        gaps,
        statement,
    };
    if let Some(p) = &a.gaps {
        write_output(Some(p), |w: &mut dyn Write| {
            render::csv::gaps(w, &view.gaps)
        })?;
    }
    let written = write_output_shown(
        a.engine.output.as_deref(),
        &m.loaded.progress,
        |w: &mut dyn Write| match a.format {
            FormatArg::Csv => render::csv::audit(w, &view.trails),
            FormatArg::Json => render::json::audit(w, &view),
            _ => render::table::audit(w, &view),
        },
    );
    drop(view);
    drop(rows);
    std::mem::forget(m);
    written
}

/// One line on the gaps in the basis, for stderr and the statement.
pub(super) fn gaps_note(gaps: &[crate::tax::gaps::Gap<'_>], year: i32) -> Option<String> {
    use crate::tax::gaps::GapKind;
    if gaps.is_empty() {
        return None;
    }
    let n = |k: GapKind| gaps.iter().filter(|g| g.kind == k).count();
    Some(format!(
        "gaps in the basis through {year}: {} of unknown basis, {} beyond the holdings, {} never deposited",
        render::count(n(GapKind::UnknownDeposit), "deposit"),
        render::count(n(GapKind::Shortfall), "disposal"),
        render::count(n(GapKind::NeverDeposited), "withdrawal")
    ))
}
