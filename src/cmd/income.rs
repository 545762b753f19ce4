//! `harvest income`: the year's ordinary income from digital assets.

use std::io::Write;

use crate::cli::{FormatArg, IncomeArgs};
use crate::render;

use super::{Settings, UsageError, input::match_all, write_output_shown};

/// Runs `harvest income`.
pub fn run(a: &IncomeArgs) -> anyhow::Result<()> {
    let s = Settings::from_args(&a.engine)?;
    let mut seen = std::collections::BTreeSet::new();
    for (account, _) in &a.form_1099misc {
        if !seen.insert(account.as_str()) {
            return Err(UsageError(format!(
                "--1099misc {account}=... is given twice: give one amount per account (the sum of its forms)"
            ))
            .into());
        }
    }
    let m = match_all(&a.engine, &s, a.year)?;
    super::input::announce(&s, &m.loaded.ledger, m.loaded.prices.as_ref(), &m.outcome);
    let summary = crate::tax::income(
        &m.loaded.ledger,
        &m.outcome,
        a.year,
        s.engine.tz,
        &s.business_income,
        &a.form_1099misc,
    );
    if !s.quiet {
        for f in &summary.forms {
            if !summary.by_account.contains_key(f.account.as_str()) {
                eprintln!(
                    "harvest: warning: --1099misc {}: the ledger has no income of {} in that account (accounts with income: {})",
                    f.account,
                    a.year,
                    if summary.by_account.is_empty() {
                        "none".to_string()
                    } else {
                        summary
                            .by_account
                            .keys()
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                );
            }
        }
    }
    let written = write_output_shown(
        a.engine.output.as_deref(),
        &m.loaded.progress,
        |w: &mut dyn Write| match a.format {
            FormatArg::Csv => render::csv::income(w, &summary),
            FormatArg::Json => render::json::income(w, &summary),
            FormatArg::Html => render::html::income(w, &summary),
            _ => render::table::income(w, &summary),
        },
    );
    drop(summary);
    std::mem::forget(m);
    written
}
