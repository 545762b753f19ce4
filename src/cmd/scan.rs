//! `harvest scan`: harvest candidates and the plan, priced in tax dollars.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::cli::{FormatArg, ScanArgs};
use crate::engine::{self, Method};
use crate::model::{Amount, LEDGER_COLUMNS, Ledger, Row, Sym};
use crate::plan::compare::{self, ScanInputs, Snapshot};
use crate::plan::sales::{Built, PlanCtx};
use crate::plan::{self, YearSoFar};
use crate::render::{self, Picture, SaleLine, ScanLine, ScanView};
use crate::tax::form8949::cents;
use crate::tax::rates::{self, CapitalIncome};
use crate::tax::schedule_d::carryover_worksheet;
use crate::tax::{Term, build_rows_where};
use crate::time::{date_in, end_of_day};

use super::report::tax_inputs;
use super::{Settings, UsageError, load, write_output};

fn picture(line_7: Decimal, line_15: Decimal, cap: Decimal) -> Picture {
    let line_16 = line_7 + line_15;
    Picture {
        line_7,
        line_15,
        line_16,
        line_21: if line_16 < Decimal::ZERO {
            -(-line_16).min(cap)
        } else {
            Decimal::ZERO
        },
    }
}

/// Runs `harvest scan`.
pub fn run(a: &ScanArgs) -> anyhow::Result<()> {
    if a.taxable_income.is_some() {
        return Err(UsageError(
            "scan takes --ordinary-income N: taxable income other than this year's capital gains and losses (report's --taxable-income is Form 1040 line 15, after them)".into(),
        )
        .into());
    }
    let s = Settings::from_args(&a.engine)?;
    for (flag, p) in [
        ("--emit-ledger", &a.emit_ledger),
        ("--emit-selections", &a.emit_selections),
    ] {
        if let Some(p) = p {
            super::output::check_output(flag, p)?;
        }
    }
    let saved = read_saved(a)?;
    let st_rate = a
        .st_rate
        .or(s.file.st_rate)
        .unwrap_or(crate::config::DEFAULT_ST_RATE);
    let lt_rate = a
        .lt_rate
        .or(s.file.lt_rate)
        .unwrap_or(crate::config::DEFAULT_LT_RATE);
    for (key, r) in [("st_rate", st_rate), ("lt_rate", lt_rate)] {
        crate::cli::check_rate(r).map_err(|e| UsageError(format!("{key} = {r}: {e}")))?;
    }
    // harvest.toml's taxable_income is report's (after the gains): scan reads
    // ordinary_income only.
    let ordinary_income = a.ordinary_income.or(s.file.ordinary_income);
    if s.prices.is_none() {
        return Err(UsageError(
            "scan needs --prices FILE (CSV time,asset,price or asset,price) to value the open lots"
                .into(),
        )
        .into());
    }
    let tz = s.engine.tz;
    let as_of = a.as_of.unwrap_or_else(|| date_in(Utc::now(), tz));
    let year = as_of.year();
    let inputs = tax_inputs(&a.tax, year, &s, None)?;
    let loaded = load(&a.engine, &s)?;
    let ledger = &loaded.ledger;
    let cutoff = end_of_day(as_of, tz);
    let outcome = engine::run(
        ledger,
        &s.engine,
        loaded.prices.as_ref(),
        loaded.selections.as_ref(),
        Some(cutoff),
    )?;
    loaded.done();
    if !s.quiet && !outcome.warnings.is_empty() {
        eprint!("{}", outcome.warnings);
    }
    let what_if = super::input::announce(&s, &loaded.ledger, loaded.prices.as_ref(), &outcome);
    if let Some(g) = super::input::gaps_summary(ledger, &outcome, year)
        && !s.quiet
    {
        eprintln!("harvest: note: {g}");
    }
    let rows = build_rows_where(ledger, &outcome, &s.boxes, |d| d.date.year() == year);
    let mut y = YearSoFar {
        carryover_st: inputs.carryover_in.short_term,
        carryover_lt: inputs.carryover_in.long_term,
        ..YearSoFar::default()
    };
    // Long-term gain of collectibles so far (28% Rate Gain Worksheet line 1).
    let mut collectibles_lt = Decimal::ZERO;
    for r in rows
        .iter()
        .filter(|r| r.date_sold.year() == year && r.date_sold <= as_of)
    {
        match r.term {
            Term::Short => y.realized_st += r.gain,
            Term::Long => y.realized_lt += r.gain,
        }
        if r.term == Term::Long && r.adjustment_code.contains('C') {
            collectibles_lt += r.gain;
        }
    }

    let prices = loaded
        .prices
        .as_ref()
        .expect("checked above: scan has prices");
    let when = cutoff - Duration::nanoseconds(1);
    let assets = outcome.holdings.iter().map(|h| ledger.syms.name(h.asset));
    super::input::warn_stale_valuations(prices, assets, when, s.quiet);
    let mut notes = Vec::new();
    // A scenario: the as-of prices shocked (1 + R), said first.
    let shock = a.shock.unwrap_or_default();
    let factor = Decimal::ONE + shock;
    if a.shock.is_some() {
        notes.push(shock_note(shock, as_of));
    }
    let mut unpriced: Vec<&str> = outcome
        .holdings
        .iter()
        .map(|h| ledger.syms.name(h.asset))
        .filter(|n| prices.valuation(n, when).is_none())
        .collect();
    unpriced.sort_unstable();
    unpriced.dedup();
    if !unpriced.is_empty() {
        notes.push(format!(
            "no price at or before {as_of} for {}: those lots are not considered",
            unpriced.join(", ")
        ));
    }
    let stranded: Vec<&str> = {
        let mut v: Vec<&str> = outcome
            .holdings
            .iter()
            .filter(|h| !plan::sellable(h.account))
            .map(|h| engine::account_name(ledger, h.account))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    if !stranded.is_empty() {
        notes.push(format!(
            "lots held in {} are not candidates: no one can sell them from there (external: withdrawn to a wallet the ledger does not cover, so add that wallet's records; (unallocated): basis no wallet received in the 2025 allocation)",
            stranded.join(" and ")
        ));
    }
    let cands = plan::candidates(
        &outcome,
        &outcome.holdings,
        |asset| {
            prices
                .valuation(ledger.syms.name(asset), when)
                .map(|p| p * factor)
        },
        as_of,
        a.min_loss,
        s.engine.wash_window,
    );
    let cap = inputs.filing_status.loss_limit();
    // With the ordinary income known, the deduction saves tax this year only
    // up to that income (the Capital Loss Carryover Worksheet carries the
    // rest): by default the plan stops there.
    let usable = match ordinary_income {
        Some(oi) if a.target.is_none() => cap.min(oi.max(Decimal::ZERO)),
        _ => cap,
    };
    if usable < cap {
        notes.push(format!(
            "with ordinary income {}, only {} of the {} loss deduction saves tax this year (the Capital Loss Carryover Worksheet carries the rest): the plan stops there; --target asks for more",
            render::money(ordinary_income.unwrap_or_default()),
            render::money(usable),
            render::money(cap)
        ));
    }
    let need = plan::loss_needed(&y, usable, a.target);
    let sel_file = a
        .emit_selections
        .as_ref()
        .map_or("plan selections".to_string(), |p| p.display().to_string());
    let ctx = PlanCtx {
        ledger,
        outcome: &outcome,
        cands: &cands,
        y: &y,
        as_of,
        cutoff,
        sel_file: &sel_file,
        engine: &s.engine,
        prices: loaded.prices.as_ref(),
        selections: loaded.selections.as_ref(),
        min_loss: a.min_loss,
    };
    // The plan aims at the need exactly, but the Form 8949 rows are rounded to
    // cents: when the rounded rows realize more loss than needed (the year would
    // end at -3,000.01 with a cent carried), the plan is made again for that much
    // less, so its last lot is sold in a slightly smaller part.
    let mut built = ctx.build(need);
    let mut shave = Decimal::ZERO;
    for _ in 0..4 {
        let over = -(built.realized.0 + built.realized.1) - need;
        if over <= Decimal::ZERO || built.picks.is_empty() {
            break;
        }
        shave += over;
        built = ctx.build((need - shave).max(Decimal::ZERO));
    }
    let Built {
        picks,
        sales,
        plan_rows,
        sel_lines,
        realized: (plan_st, plan_lt),
        note,
        universal,
    } = built;
    notes.extend(note);
    if universal && (a.emit_ledger.is_some() || a.emit_selections.is_some()) {
        return Err(UsageError(
            "--emit-ledger and --emit-selections need per-wallet lots (--scope wallet, or a date from 2025 with --scope transition): a sale is made from one account".into(),
        )
        .into());
    }

    // The tax picture before and after.
    let before = picture(y.line_7(), y.line_15(), cap);
    let after = picture(y.line_7() + plan_st, y.line_15() + plan_lt, cap);
    // The plan's long-term losses on collectibles reduce the 28% rate gain.
    let plan_collectibles: Decimal = picks
        .iter()
        .filter(|p| {
            let c = &cands[p.candidate];
            c.term == Term::Long && s.boxes.is_collectible(ledger.syms.name(c.asset))
        })
        .map(|p| crate::tax::form8949::cents(p.proceeds) - crate::tax::form8949::cents(p.basis))
        .sum();
    let line_14 = -inputs.carryover_in.long_term;
    let ci = |p: &Picture, coll: Decimal| {
        let line_18 =
            crate::tax::schedule_d::rate_28_gain(coll, p.line_7, line_14, p.line_15, p.line_16);
        rates::capital_income(p.line_7, p.line_15, cap).with_collectibles(line_18)
    };
    let (ci_before, ci_after) = (
        ci(&before, collectibles_lt),
        ci(&after, collectibles_lt + plan_collectibles),
    );
    let total = |c: &CapitalIncome| c.ordinary + c.preferential;
    let (tax_before, tax_after, tax_basis) = match ordinary_income {
        Some(ti) => {
            let magi_before = a.magi.unwrap_or(ti + total(&ci_before));
            let magi_after = magi_before + total(&ci_after) - total(&ci_before);
            let fs = inputs.filing_status;
            if !rates::has_tables(year) {
                notes.push(format!(
                    "no tax tables for {year}: the {} brackets are used",
                    if year < 2025 { 2025 } else { 2026 }
                ));
            }
            (
                rates::federal_tax(year, fs, ti, ci_before, magi_before),
                rates::federal_tax(year, fs, ti, ci_after, magi_after),
                format!(
                    "federal brackets for {year} ({}), ordinary income {} (taxable income other than this year's capital gains and losses), MAGI {}, with the 0/15/20% long-term rates and the 3.8% NIIT",
                    fs.as_str(),
                    render::money(ti),
                    render::money(magi_before)
                ),
            )
        }
        None => (
            rates::flat_tax(ci_before, st_rate, lt_rate),
            rates::flat_tax(ci_after, st_rate, lt_rate),
            format!(
                "flat marginal rates: {} on short-term gains and ordinary income, {} on long-term gains (--st-rate, --lt-rate; --ordinary-income computes the brackets)",
                st_rate.normalize(),
                lt_rate.normalize()
            ),
        ),
    };
    // The same taxes slice by slice, for the HTML page (the MAGI as above).
    let brackets = match ordinary_income {
        Some(ti) => {
            let fs = inputs.filing_status;
            let magi_before = a.magi.unwrap_or(ti + total(&ci_before));
            let magi_after = magi_before + total(&ci_after) - total(&ci_before);
            render::Brackets {
                flat: false,
                before: rates::in_cents(&rates::federal_breakdown(
                    year,
                    fs,
                    ti,
                    ci_before,
                    magi_before,
                )),
                after: rates::in_cents(&rates::federal_breakdown(
                    year, fs, ti, ci_after, magi_after,
                )),
            }
        }
        None => render::Brackets {
            flat: true,
            before: rates::in_cents(&rates::flat_breakdown(ci_before, st_rate, lt_rate)),
            after: rates::in_cents(&rates::flat_breakdown(ci_after, st_rate, lt_rate)),
        },
    };
    // The worksheet's line 1 is Form 1040 taxable income, which already
    // reflects the capital result and the loss deduction (Schedule D
    // instructions, Capital Loss Carryover Worksheet).
    let (_, carryover_after) = carryover_worksheet(
        after.line_7,
        after.line_15,
        after.line_21,
        ordinary_income.map(|oi| oi + total(&ci_after)),
    );
    let (_, carryover_before) = carryover_worksheet(
        before.line_7,
        before.line_15,
        before.line_21,
        ordinary_income.map(|oi| oi + total(&ci_before)),
    );
    // Of the plan's net loss, what this year's return absorbs, and what goes
    // to next year's carryover (priced at --future-rate, stated).
    let plan_loss = (-(plan_st + plan_lt)).max(Decimal::ZERO);
    let sum = |c: &crate::tax::Carryover| c.short_term + c.long_term;
    let loss_carried = (sum(&carryover_after) - sum(&carryover_before))
        .max(Decimal::ZERO)
        .min(plan_loss);
    let loss_used = plan_loss - loss_carried;
    let future_rate = match (a.future_rate, ordinary_income) {
        (Some(r), _) => r,
        (None, Some(oi)) => {
            // The marginal rate on the next hundred dollars of ordinary income.
            let fs = inputs.filing_status;
            let none = CapitalIncome::default();
            let hundred = Decimal::ONE_HUNDRED;
            (rates::federal_tax(year, fs, oi + hundred, none, oi + hundred)
                - rates::federal_tax(year, fs, oi, none, oi))
                / hundred
        }
        (None, None) => st_rate,
    };
    let carryover_value = cents(loss_carried * future_rate);

    // Per sale: specific identification against the configured method's order.
    let mut sale_lines = Vec::new();
    let mut method_notes = Vec::new();
    let mut term_notes = Vec::new();
    for sale in &sales {
        let qty = sale.qty(&picks);
        // The plan's lots, by term, so that a sale whose short-term loss FIFO
        // (the default without identification) would turn long-term, or
        // back, is flagged.
        let mut specific_terms = (Decimal::ZERO, Decimal::ZERO);
        for &i in &sale.picks {
            let g = cents(picks[i].proceeds) - cents(picks[i].basis);
            match cands[picks[i].candidate].term {
                Term::Short => specific_terms.0 += g,
                Term::Long => specific_terms.1 += g,
            }
        }
        let specific = specific_terms.0 + specific_terms.1;
        let by_method = plan::by_method(
            ledger,
            &outcome.holdings,
            &outcome,
            sale.account,
            sale.asset,
            qty,
            sale.price,
        );
        let name = |x: Sym| engine::account_name(ledger, x);
        // Cents of rounding apart are not worth a note.
        if (by_method - specific).abs() >= Decimal::ONE && s.engine.method != Method::Specific {
            method_notes.push(format!(
                "selling {} {} from {} by {} would realize {} instead of {}: identify the lots when you sell (specific identification, no later than the sale)",
                render::qty(qty),
                name(sale.asset),
                name(sale.account),
                s.engine.method.as_str(),
                render::money(by_method),
                render::money(specific)
            ));
        }
        let fifo_terms = plan::by_fifo_terms(
            ledger,
            &outcome.holdings,
            &outcome,
            sale.account,
            sale.asset,
            qty,
            sale.price,
            as_of,
        );
        if (fifo_terms.0 - specific_terms.0).abs() >= Decimal::ONE {
            term_notes.push(format!(
                "selling {} {} from {} without identifying the lots (FIFO) would realize {} short-term and {} long-term instead of {} and {}: identify the plan's lots by the sale",
                render::qty(qty),
                name(sale.asset),
                name(sale.account),
                render::money(fifo_terms.0),
                render::money(fifo_terms.1),
                render::money(specific_terms.0),
                render::money(specific_terms.1)
            ));
        }
        sale_lines.push(SaleLine {
            account: name(sale.account),
            asset: name(sale.asset),
            quantity: qty,
            price: sale.price,
            proceeds: cents(qty * sale.price),
            specific,
            by_method,
            specific_terms,
            fifo_terms,
        });
    }
    let more = method_notes.len().saturating_sub(5);
    notes.extend(method_notes.into_iter().take(5));
    let more_terms = term_notes.len().saturating_sub(5);
    notes.extend(term_notes.into_iter().take(5));
    if more_terms > 0 {
        notes.push(format!(
            "... and {more_terms} more sales whose terms differ under FIFO (see plan.sales in --format json)"
        ));
    }
    // A 2027 plan: the broker, not these books, holds the identification.
    notes.extend(super::input::broker_identification_note(
        &s,
        ledger,
        sales.iter().map(|x| x.account),
        year,
    ));
    if more > 0 {
        notes.push(format!(
            "... and {more} more sales that {} would realize differently (see plan.sales in --format json)",
            s.engine.method.as_str()
        ));
    }
    if !picks.is_empty() {
        notes.push(
            "buying back after the sale starts a new holding period: the new lot is short-term for a year".into(),
        );
    }
    for p in &picks {
        let c = &cands[p.candidate];
        if c.turns_long_soon(as_of) {
            notes.push(format!(
                "lot {} ({}) turns long-term on {}: sold before then its loss is short-term (worth more against short-term gains); a lot bought back starts a new holding period",
                ledger.rows[outcome.lots[c.lot as usize].row as usize].id,
                ledger.syms.name(c.asset),
                c.long_term_on.map_or(String::new(), |d| d.to_string())
            ));
        }
    }
    let recent = cands
        .iter()
        .filter(|c| c.wash_risk != plan::WashRisk::No)
        .count();
    if recent > 0 {
        notes.push(if s.engine.wash_window == 0 {
            format!(
                "{recent} candidate(s) are of assets bought in the last 30 days (wash_risk info): no wash-sale rule applies to digital assets under current law; --wash-window 30 simulates the proposed rule"
            )
        } else {
            format!(
                "{recent} candidate(s) are of assets of which another lot was bought within {} days (wash_risk yes): under the simulated rule their losses would be disallowed, so the plan leaves them out",
                s.engine.wash_window
            )
        });
    }
    if s.engine.wash_window > 0 && !picks.is_empty() {
        let days = i64::from(s.engine.wash_window);
        notes.push(format!(
            "under the simulated rule (--wash-window {days}), buy back no earlier than {}: a purchase within {days} days after a sale of {as_of} disallows its loss",
            as_of + Duration::days(days + 1)
        ));
    }

    let mut recommended: HashMap<usize, Decimal> = HashMap::new();
    for p in &picks {
        *recommended.entry(p.candidate).or_default() += p.qty;
    }
    let lines: Vec<ScanLine<'_>> = cands
        .iter()
        .enumerate()
        .map(|(i, c)| ScanLine {
            asset: ledger.syms.name(c.asset),
            account: engine::account_name(ledger, c.account),
            lot_id: &ledger.rows[outcome.lots[c.lot as usize].row as usize].id,
            date_acquired: c.acquired,
            quantity: c.qty,
            cost_basis: cents(c.basis),
            price: c.price,
            value: cents(c.value),
            unrealized: cents(c.value) - cents(c.basis),
            term: c.term,
            long_term_on: c.long_term_on,
            turns_long_soon: c.turns_long_soon(as_of),
            wash_risk: c.wash_risk.as_str(),
            recommended: recommended.get(&i).copied().unwrap_or_default(),
        })
        .collect();
    let dec31 = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(as_of);
    let shown = if a.all {
        lines.len()
    } else {
        a.top.min(lines.len())
    };
    let mut view = ScanView {
        what_if,
        shown,
        as_of,
        year,
        method: s.engine.method.as_str(),
        filing_status: inputs.filing_status.as_str(),
        days_left: (dec31 - as_of).num_days(),
        realized_st: y.realized_st,
        realized_lt: y.realized_lt,
        carryover_in: inputs.carryover_in,
        loss_limit: cap,
        loss_needed: cents(need),
        loss_available: lines.iter().map(|l| -l.unrealized).sum(),
        plan_st,
        plan_lt,
        before,
        after,
        carryover_after,
        loss_used,
        loss_carried,
        future_rate,
        carryover_value,
        tax_before: cents(tax_before),
        tax_after: cents(tax_after),
        tax_saved: cents(tax_before) - cents(tax_after),
        tax_basis,
        lines,
        sales: sale_lines,
        notes,
        scenario: render::Scenario {
            brackets,
            ..render::Scenario::default()
        },
    };
    // What produced the figures (JSON, and --compare's inputs), and what
    // changed against a saved scan; before accounts take display names.
    if a.format == FormatArg::Json || saved.is_some() {
        let st = super::input::statement(
            &a.engine,
            &s,
            loaded.prices.as_ref(),
            &outcome,
            &[],
            Vec::new(),
        )?;
        view.scenario.inputs = Some(ScanInputs {
            as_of,
            year,
            method: st.method,
            scope: st.scope,
            tz: st.tz.clone(),
            missing_basis: st.missing_basis,
            late_identification: st.late_identification,
            filing_status: inputs.filing_status.as_str(),
            carryover_st: inputs.carryover_in.short_term,
            carryover_lt: inputs.carryover_in.long_term,
            ordinary_income,
            magi: a.magi,
            st_rate,
            lt_rate,
            future_rate: a.future_rate,
            target: a.target,
            min_loss: a.min_loss,
            wash_window: s.engine.wash_window,
            shock,
            files: st
                .files()
                .into_iter()
                .map(|(role, f)| (role, f.clone()))
                .collect(),
        });
    }
    if let (Some(old), Some(p)) = (&saved, &a.compare) {
        let now = view.snapshot();
        view.scenario.compare = Some(compare::compare(&p.display().to_string(), old, &now));
    }

    if matches!(a.format, FormatArg::Table | FormatArg::Html) {
        for l in &mut view.lines {
            l.account = s.file.display_name(l.account);
        }
        for x in &mut view.sales {
            x.account = s.file.display_name(x.account);
        }
        if let Some(c) = &mut view.scenario.compare {
            let sales = c.added.iter_mut().chain(c.removed.iter_mut()).chain(
                c.changed
                    .iter_mut()
                    .flat_map(|x| [&mut x.saved, &mut x.now]),
            );
            for x in sales {
                x.account = s.file.display_name(&x.account).to_string();
            }
        }
    }

    if let Some(p) = &a.emit_selections {
        write_output(Some(p), |w: &mut dyn Write| {
            writeln!(w, "disposal_id,lot_id,quantity")?;
            for (d, l, q) in &sel_lines {
                writeln!(w, "{},{},{}", csv_cell(d), csv_cell(l), render::qty(*q))?;
            }
            Ok(())
        })?;
    }
    if let Some(p) = &a.emit_ledger {
        emit_ledger(p, ledger, &plan_rows)?;
    }
    write_output(a.engine.output.as_deref(), |w: &mut dyn Write| {
        match a.format {
            FormatArg::Csv => render::csv::scan(w, &view),
            FormatArg::Json => render::json::scan(w, &view),
            FormatArg::Html => render::html::scan(w, &view),
            _ => render::table::scan(w, &view),
        }
    })
}

/// With `--compare`, the saved scan, read before the run so that a wrong file
/// fails fast (exit 1, naming it); `--compare` with `--format csv` is refused.
fn read_saved(a: &ScanArgs) -> anyhow::Result<Option<Snapshot>> {
    let Some(p) = &a.compare else {
        return Ok(None);
    };
    if a.format == FormatArg::Csv {
        return Err(UsageError(
            "--compare prints with --format table, json or html (the CSV has one row per candidate and nowhere to say what changed)".into(),
        )
        .into());
    }
    let name = p.display().to_string();
    let text = std::fs::read(p).with_context(|| format!("{name}: cannot read"))?;
    Ok(Some(Snapshot::from_json_text(&name, &text)?))
}

/// The note of a `--shock`: the factor and what it does.
fn shock_note(shock: Decimal, as_of: NaiveDate) -> String {
    let factor = (Decimal::ONE + shock).normalize();
    let pct = (shock.abs() * Decimal::ONE_HUNDRED).normalize();
    let how = if shock.is_sign_negative() && !shock.is_zero() {
        format!("{pct}% lower")
    } else if shock.is_zero() {
        "unchanged".to_string()
    } else {
        format!("{pct}% higher")
    };
    format!(
        "scenario --shock {}: every price on {as_of} is multiplied by {factor} (prices {how}) before the candidates are found; the ledger's past values and this year's realized gains are unchanged",
        shock.normalize()
    )
}

/// Quotes a cell when CSV needs it, protected against formula injection (harvest
/// reads it back as it was).
fn csv_cell(s: &str) -> String {
    let s = &*render::safe_text(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn emit_ledger(path: &Path, ledger: &Ledger, rows: &[Row]) -> anyhow::Result<()> {
    write_output(Some(path), |w: &mut dyn Write| {
        writeln!(w, "{}", LEDGER_COLUMNS.join(","))?;
        for r in rows {
            let sent = r.sent.unwrap_or(Amount {
                qty: Decimal::ZERO,
                asset: Sym::USD,
            });
            let recv = r.received.unwrap_or(Amount {
                qty: Decimal::ZERO,
                asset: Sym::USD,
            });
            writeln!(
                w,
                "{},{},{},sell,{},{},{},USD,,,,,,{},,,",
                csv_cell(&r.id),
                r.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                csv_cell(ledger.syms.name(r.account)),
                render::qty(sent.qty),
                csv_cell(ledger.syms.name(sent.asset)),
                render::qty(recv.qty),
                csv_cell(crate::plan::sales::PLAN_NOTE)
            )?;
        }
        Ok(())
    })
}
