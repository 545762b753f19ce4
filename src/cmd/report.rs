//! `harvest report`: Form 8949 by part and box, Schedule D and the carryover.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use rust_decimal::Decimal;

use crate::cli::{FilingStatusArg, FormatArg, ReportArgs, TaxArgs};
use crate::render::export::TaxSoftware;
use crate::render::{self, BoxTotals, ReportView};
use crate::tax::{Carryover, FilingStatus, TaxInputs, Totals, schedule_d};

use super::{Settings, UsageError, input::match_all, write_output_shown};

/// Reads last year's `report --format json` and takes its carryover_next_year.
/// A report of another year than the one before is refused unless `any_year`:
/// its carryover would silently put a wrong figure on lines 6 and 14.
fn carryover_from(path: &Path, year: i32, any_year: bool) -> anyhow::Result<Carryover> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("{name}: cannot read"))?;
    let v: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!("{name}: not JSON; give the output of harvest report --format json")
    })?;
    let get = |key: &str| -> anyhow::Result<Decimal> {
        let s = v["carryover_next_year"][key].as_str().with_context(|| {
            format!("{name}: no carryover_next_year.{key}; give the output of harvest report --format json")
        })?;
        s.parse::<Decimal>()
            .with_context(|| format!("{name}: carryover_next_year.{key} {s:?} is not a number"))
    };
    if let Some(y) = v["year"].as_i64()
        && y != i64::from(year) - 1
    {
        if !any_year {
            anyhow::bail!(
                "{name} is the report for {y}, not {}: give last year's report (harvest report --year {} --format json), or --any-carryover-year to use its carryover anyway",
                year - 1,
                year - 1
            );
        }
        eprintln!(
            "harvest: warning: {name} is the report for {y}, not {}; its carryover is used as given (--any-carryover-year)",
            year - 1
        );
    }
    Ok(Carryover {
        short_term: get("short_term")?,
        long_term: get("long_term")?,
    })
}

fn status(f: FilingStatusArg) -> FilingStatus {
    match f {
        FilingStatusArg::Single => FilingStatus::Single,
        FilingStatusArg::Mfj => FilingStatus::MarriedJoint,
        FilingStatusArg::Mfs => FilingStatus::MarriedSeparate,
        FilingStatusArg::Hoh => FilingStatus::HeadOfHousehold,
        FilingStatusArg::Qss => FilingStatus::QualifyingSurvivor,
    }
}

/// The tax inputs from flags over harvest.toml; `taxable_income` is Form 1040's
/// (report), or `None` for scan, which prices its plan with ordinary income.
pub(crate) fn tax_inputs(
    a: &TaxArgs,
    year: i32,
    s: &Settings,
    taxable_income: Option<Decimal>,
) -> anyhow::Result<TaxInputs> {
    let f = &s.file;
    let carryover_in = match &a.carryover_from {
        Some(p) => carryover_from(p, year, a.any_carryover_year)?,
        None => Carryover {
            short_term: a.carryover_st.or(f.carryover_st).unwrap_or_default(),
            long_term: a.carryover_lt.or(f.carryover_lt).unwrap_or_default(),
        },
    };
    if carryover_in.short_term < Decimal::ZERO || carryover_in.long_term < Decimal::ZERO {
        return Err(UsageError(
            "carryovers are positive amounts (the loss carried in, e.g. --carryover-st 2000)"
                .into(),
        )
        .into());
    }
    Ok(TaxInputs {
        filing_status: status(
            a.filing_status
                .or(f.filing_status)
                .unwrap_or(FilingStatusArg::Single),
        ),
        carryover_in,
        taxable_income,
    })
}

/// Today's date for the TXF header; SOURCE_DATE_EPOCH makes it reproducible.
fn export_date() -> chrono::NaiveDate {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .unwrap_or_else(chrono::Utc::now)
        .date_naive()
}

/// Routes the rows a 1099-DA matches (boxes G/H/J/K, codes B, E, T) as
/// `harvest reconcile` does, and says on stderr what did not match.
fn route_1099da(
    m: &mut super::Matched,
    broker: &[crate::reconcile::BrokerRow],
    year: i32,
    quiet: bool,
) -> anyhow::Result<Vec<bool>> {
    let rec = crate::reconcile::reconcile(&m.loaded.ledger, &m.outcome, &m.rows, broker, year)?;
    let (only_broker, only_ours) = (rec.broker_only(), rec.only_ours.len());
    if !quiet && (only_broker > 0 || only_ours > 0) {
        eprintln!(
            "harvest: warning: 1099-DA: {only_broker} row{} only on the 1099-DA, and {only_ours} of our rows in its accounts on no 1099-DA row (they go to box I or L: not reported to you on a 1099-DA); run harvest reconcile with the same arguments for the details",
            if only_broker == 1 { "" } else { "s" },
        );
    }
    let mut matched = vec![false; rec.routed.len()];
    for it in &rec.items {
        for l in it.matched.iter().flat_map(|x| &x.lines) {
            matched[l.row] = true;
        }
    }
    m.rows = rec.routed;
    Ok(matched)
}

/// Runs `harvest report`.
pub fn run(a: &ReportArgs) -> anyhow::Result<()> {
    let mut s = Settings::from_args(&a.engine)?;
    // The HTML page links each Form 8949 row to its audit trail.
    s.engine.trace_moves = a.format == FormatArg::Html;
    // JSON and HTML state the files read (below).
    s.sum_inputs = matches!(a.format, FormatArg::Json | FormatArg::Html);
    let inputs = tax_inputs(
        &a.tax,
        a.year,
        &s,
        a.income.taxable_income.or(s.file.taxable_income),
    )?;
    let broker = super::reconcile::read_forms(&a.form_1099da, s.quiet)?;
    if (a.exception_1 || a.summary)
        && matches!(
            a.format,
            FormatArg::Txf | FormatArg::Turbotax | FormatArg::Taxact
        )
    {
        return Err(UsageError(
            "--exception-1 and --summary change what Form 8949 shows; tax software imports the rows one by one: leave them out for txf, turbotax and taxact".into(),
        )
        .into());
    }
    if a.format == FormatArg::Pdf
        && a.engine.output.is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
    {
        return Err(UsageError(
            "--format pdf writes a PDF file: give -o FILE (for example -o forms.pdf), or pipe the output".into(),
        )
        .into());
    }
    let mut m = match_all(&a.engine, &s, a.year)?;
    let matched = if a.form_1099da.is_empty() {
        Vec::new()
    } else {
        route_1099da(&mut m, &broker, a.year, s.quiet)?
    };
    // Exception 1: matched rows in G/J with no code (no adjustment, not a
    // collectible) leave Form 8949 for Schedule D lines 1a/8a. harvest's own
    // predicted G/J rows never do: only the form shows basis reported.
    let exception: Vec<bool> = if a.exception_1 {
        m.rows
            .iter()
            .zip(&matched)
            .map(|(r, &hit)| {
                hit && matches!(r.box_, crate::tax::Box8949::G | crate::tax::Box8949::J)
                    && r.adjustment_code.is_empty()
                    && r.adjustment.is_zero()
            })
            .collect()
    } else {
        Vec::new()
    };
    // What reads the whole ledger again (the digital-asset question, the
    // income, the transfers) and the year's sums on other threads, while this
    // one sorts the year's rows and totals each box.
    let ledger = &m.loaded.ledger;
    let outcome = &m.outcome;
    let written = std::thread::scope(|sc| {
        // Schedule D (every row, excepted or not) and the totals by term of
        // the rows on Form 8949: sums, in any order the same.
        let sums = sc.spawn(|| {
            let sched = schedule_d(&m.rows, &inputs);
            let on_form = (m.rows.iter().enumerate())
                .filter(|&(i, _)| !exception.get(i).copied().unwrap_or(false))
                .map(|(_, r)| r);
            (sched, Totals::by_term(on_form))
        });
        let side = sc.spawn(|| {
            let transfers = crate::tax::transfers(ledger, outcome, a.year, s.engine.tz);
            let question =
                crate::tax::question::digital_asset_question(ledger, a.year, s.engine.tz);
            let income = matches!(
                a.format,
                FormatArg::Json | FormatArg::Html | FormatArg::Table
            )
            .then(|| {
                crate::tax::income(
                    ledger,
                    outcome,
                    a.year,
                    s.engine.tz,
                    &s.business_income,
                    &[],
                )
            });
            (transfers, question, income)
        });
        let what_if =
            super::input::announce(&s, &m.loaded.ledger, m.loaded.prices.as_ref(), &m.outcome);
        let broker_note = m.broker_note(&s, a.year);
        let (mut rows, mut excepted) = (Vec::new(), Vec::new());
        for (i, r) in m.rows.iter().enumerate() {
            if exception.get(i).copied().unwrap_or(false) {
                excepted.push(r);
            } else {
                rows.push(r);
            }
        }
        // Part I before Part II, then by box; stable, so each box keeps ledger order.
        crate::tax::sort_by_part_and_box(&mut rows);
        let boxes = BoxTotals::of_sorted(rows.iter().copied());
        let (mut sched, (short_term, long_term)) = sums
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let exception_1 = (!excepted.is_empty()).then(|| {
            let (short, long) = Totals::by_term(excepted.iter().copied());
            sched.exception_1(short.gain, long.gain);
            render::Exception1 {
                short_term: short,
                long_term: long,
                lines: render::Lines::new(&m.loaded.ledger, &m.outcome, &excepted),
            }
        });
        if inputs.taxable_income.is_none() && sched.line_21 < Decimal::ZERO && !s.quiet {
            eprintln!(
                "harvest: note: no --taxable-income given: the carryover assumes taxable income of at least the {} deduction (Capital Loss Carryover Worksheet line 1)",
                render::money(-sched.line_21)
            );
        }
        // Boxes G/H/J/K of accounts with no form given are harvest's prediction.
        let with_form: std::collections::HashSet<&str> =
            broker.iter().map(|b| b.account.as_str()).collect();
        // The accounts by symbol first: a year has hundreds of thousands of rows
        // and a handful of accounts.
        let mut sold_in = vec![false; m.loaded.ledger.syms.len()];
        for r in &rows {
            if matches!(
                r.box_,
                crate::tax::Box8949::G
                    | crate::tax::Box8949::H
                    | crate::tax::Box8949::J
                    | crate::tax::Box8949::K
            ) {
                sold_in[m.account_of(r).index() as usize] = true;
            }
        }
        let predicted: std::collections::BTreeSet<&str> = (0..sold_in.len())
            .filter(|&i| sold_in[i])
            .map(|i| {
                m.loaded
                    .ledger
                    .syms
                    .name(crate::model::Sym::from_index(i as u32))
            })
            .filter(|acct| !with_form.contains(acct))
            .collect();
        let prediction_note = (!predicted.is_empty()).then(|| {
            format!(
                "the boxes of {} are what their Form 1099-DA should show (H/K for 2025 sales; G/J from 2026 for units bought there and never transferred in): the form itself decides; give it with --1099da",
                predicted.into_iter().collect::<Vec<_>>().join(", ")
            )
        });
        if let Some(n) = &prediction_note
            && !s.quiet
        {
            eprintln!("harvest: note: {n}");
        }
        let gaps = super::input::gaps_summary(&m.loaded.ledger, &m.outcome, a.year);
        if let Some(g) = &gaps
            && !s.quiet
        {
            eprintln!("harvest: note: {g}");
        }
        // JSON and HTML keep the settings and files that decided the figures.
        let statement = matches!(a.format, FormatArg::Json | FormatArg::Html)
            .then(|| {
                let mut notes = super::input::notes(&s, &m.loaded, &m.outcome);
                notes.extend(gaps);
                notes.extend(broker_note);
                notes.extend(prediction_note);
                super::input::statement(
                    &a.engine,
                    &s,
                    &m.loaded.sums,
                    m.loaded.prices.as_ref(),
                    &m.outcome,
                    &a.form_1099da,
                    notes,
                )
            })
            .transpose()?;
        let display_name: &render::AccountNames<'_> = &|a| s.file.display_name(a);
        let (transfers, question, income) = side
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let mut view = ReportView {
            year: a.year,
            method: s.engine.method.as_str(),
            scope: s.engine.scope.as_str(),
            filing_status: inputs.filing_status.as_str(),
            short_term,
            long_term,
            lines: render::Lines::new(&m.loaded.ledger, &m.outcome, &rows),
            boxes,
            schedule_d: sched,
            carryover_in: inputs.carryover_in,
            taxable_income: inputs.taxable_income,
            what_if,
            transfers,
            warnings: m.outcome.warnings.kinds(),
            statement,
            exception_1,
            summary: a.summary.then(|| {
                render::summary_rows(&rows, |r| m.loaded.ledger.syms.name(m.account_of(r)))
            }),
            question,
            trails: if s.engine.trace_moves {
                crate::tax::audit::trails(&m.loaded.ledger, &m.outcome, &rows, s.engine.tz)
            } else {
                Vec::new()
            },
            income,
        };
        if matches!(a.format, FormatArg::Table | FormatArg::Html) {
            view.lines = view.lines.display_names(display_name);
        }
        let software = match a.format {
            FormatArg::Txf => Some(TaxSoftware::Txf),
            FormatArg::Turbotax => Some(TaxSoftware::Turbotax),
            FormatArg::Taxact => Some(TaxSoftware::Taxact),
            _ => None,
        };
        if let Some(sw) = software {
            render::export::check(sw, view.lines, &view.what_if)?;
            if !s.quiet {
                for n in render::export::notes(sw, view.lines) {
                    eprintln!("harvest: note: {n}");
                }
            }
        }
        if a.format == FormatArg::Txf && !s.quiet {
            let n = view
                .lines
                .iter()
                .filter(|l| render::txf::needs_reboxing(l.box_))
                .count();
            if n > 0 {
                eprintln!(
                    "harvest: warning: TXF has no codes for the digital-asset boxes G-L: {n} row{} written with the nearest box (G/H/I as A/B/C, J/K/L as D/E/F) and must be re-boxed as G-L in the tax program",
                    if n == 1 { " is" } else { "s are" }
                );
            }
        }
        let written = write_output_shown(
            a.engine.output.as_deref(),
            &m.loaded.progress,
            |w: &mut dyn Write| match a.format {
                FormatArg::Csv => render::csv::gain_lines(w, view.lines),
                FormatArg::Json => render::json::report(w, &view),
                FormatArg::Txf => render::txf::report(w, &view, export_date()),
                FormatArg::Turbotax => render::turbotax::report(w, &view),
                FormatArg::Taxact => render::taxact::report(w, &view),
                FormatArg::Table => render::table::report(w, &view),
                FormatArg::Html => render::html::report(w, &view),
                FormatArg::Pdf => render::pdf::report(w, &view),
            },
        );
        drop(view);
        written
    });
    // The process is about to exit: freeing a decade of rows one by one would
    // only cost time.
    std::mem::forget(m);
    written
}
