//! `harvest allocation`: runs the ledger through the transition and prints how
//! the lots held at its start were given to wallets.

use std::io::Write;

use crate::cli::{AllocationArgs, FormatArg, ScopeArg};
use crate::engine::{self, Scope};
use crate::render::allocation::{self, AllocationLine, AllocationView};
use crate::tax::form8949::cents;

use super::{Settings, UsageError, load, write_output_shown};

/// Runs `harvest allocation`.
pub fn run(a: &AllocationArgs) -> anyhow::Result<()> {
    if matches!(a.engine.scope, Some(ScopeArg::Wallet | ScopeArg::Universal)) {
        return Err(UsageError(
            "allocation is the step of --scope transition; leave --scope out".into(),
        )
        .into());
    }
    let mut s = Settings::from_args(&a.engine)?;
    s.engine.scope = Scope::Transition;
    if a.as_of != s.engine.transition.date {
        if let Some(f) = &s.engine.transition.frozen {
            return Err(UsageError(format!(
                "{} is the allocation as of {}; --as-of {} would be another",
                f.file, s.engine.transition.date, a.as_of
            ))
            .into());
        }
        if !s.quiet {
            eprintln!(
                "harvest: warning: Rev. Proc. 2024-28 allocates as of 2025-01-01; this allocation is as of {}, and lots, gains and report use 2025-01-01",
                a.as_of
            );
        }
        s.engine.transition.date = a.as_of;
    }
    let loaded = load(&a.engine, &s)?;
    let cutoff = s.engine.transition.cutoff(s.engine.tz);
    // The allocation and the lots are all this command shows: no disposal
    // is kept.
    let cfg = s.engine.keeping(engine::Keep::Nothing);
    let outcome = engine::run(
        &loaded.ledger,
        &cfg,
        loaded.prices.as_ref(),
        loaded.selections.as_ref(),
        Some(cutoff),
    )?;
    loaded.done();
    if !s.quiet && !outcome.warnings.is_empty() {
        eprint!("{}", outcome.warnings);
    }
    super::input::announce(&s, &loaded.ledger, loaded.prices.as_ref(), &outcome);
    let ledger = &loaded.ledger;
    let lines = outcome
        .allocation
        .iter()
        .map(|p| {
            let lot = &outcome.lots[p.lot as usize];
            AllocationLine {
                asset: ledger.syms.name(p.asset),
                wallet: engine::account_name(ledger, p.account),
                lot_id: &ledger.rows[lot.row as usize].id,
                quantity: p.qty,
                basis: cents(p.basis),
                acquired: lot.holding_from,
            }
        })
        .collect();
    let view = AllocationView {
        as_of: a.as_of,
        rule: s.engine.transition.describe(),
        lines,
    };
    write_output_shown(
        a.engine.output.as_deref(),
        &loaded.progress,
        |w: &mut dyn Write| match a.format {
            FormatArg::Csv => allocation::csv(w, &view),
            FormatArg::Json => allocation::json(w, &view),
            _ => allocation::table(w, &view),
        },
    )
}
