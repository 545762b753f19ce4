//! `harvest reconcile`: a broker's Form 1099-DA against our disposals of the
//! year; and reading the `--1099da` files, which `report` shares.

use std::io::Write;
use std::path::Path;

use crate::cli::{FormatArg, ReconcileArgs};
use crate::reconcile::{BrokerRow, read_1099da};
use crate::render;

use super::input::read_all;
use super::{Settings, input::match_all, write_output_shown};

/// Splits `ACCOUNT=FILE`; a value that names an existing file is a file, even
/// with a `=` in its name.
pub(super) fn split_spec(spec: &str) -> (Option<&str>, &str) {
    if Path::new(spec).exists() {
        return (None, spec);
    }
    match spec.split_once('=') {
        Some((a, f)) if !a.trim().is_empty() && !f.is_empty() => (Some(a.trim()), f),
        _ => (None, spec),
    }
}

/// Reads every `--1099da` file, in the order given.
pub(crate) fn read_forms(specs: &[String], quiet: bool) -> anyhow::Result<Vec<BrokerRow>> {
    let mut all = Vec::new();
    for spec in specs {
        let (account, path) = split_spec(spec);
        let data = read_all(path)?;
        let name = if path == "-" { "<stdin>" } else { path };
        let rows = read_1099da(&data, name, account)?;
        if rows.is_empty() && !quiet {
            eprintln!("harvest: warning: {name}: a 1099-DA header and no rows");
        }
        all.extend(rows);
    }
    Ok(all)
}

/// Runs `harvest reconcile`.
pub fn run(a: &ReconcileArgs) -> anyhow::Result<()> {
    let s = Settings::from_args(&a.engine)?;
    let broker = read_forms(&a.form_1099da, s.quiet)?;
    let m = match_all(&a.engine, &s, a.year)?;
    super::input::announce(&s, &m.loaded.ledger, m.loaded.prices.as_ref(), &m.outcome);
    let rec = crate::reconcile::reconcile(&m.loaded.ledger, &m.outcome, &m.rows, &broker, a.year)?;
    let mut view = render::reconcile::view(
        &m.loaded.ledger,
        &m.outcome,
        &m.rows,
        &rec,
        &broker,
        (a.year, s.engine.method.as_str(), s.engine.scope.as_str()),
    );
    if a.format == FormatArg::Table {
        for it in &mut view.items {
            it.account = s.file.display_name(it.account);
            if let Some((_, lines)) = &mut it.matched {
                for l in lines {
                    l.ours.account = s.file.display_name(l.ours.account);
                }
            }
        }
        for l in &mut view.only_ours {
            l.account = s.file.display_name(l.account);
        }
        for x in &mut view.no_1099da_accounts {
            x.account = s.file.display_name(x.account);
        }
    }
    write_output_shown(
        a.engine.output.as_deref(),
        &m.loaded.progress,
        |w: &mut dyn Write| match a.format {
            FormatArg::Csv => render::reconcile::csv(w, &view),
            FormatArg::Json => render::reconcile::json(w, &view),
            _ => render::reconcile::table(w, &view),
        },
    )
}
