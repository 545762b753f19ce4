//! `harvest scan`: harvest candidates and the plan, priced in tax dollars.

use std::collections::{HashMap, HashSet};
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
use crate::render::{self, CostsView, LeftOut, Picture, SaleLine, ScanLine, ScanView};
use crate::tax::form8949::cents;
use crate::tax::rates::{self, CapitalIncome};
use crate::tax::schedule_d::{FilingStatus, carryover_worksheet};
use crate::tax::{Term, gain_sums_where};
use crate::time::{date_in, end_of_day};

use super::report::tax_inputs;
use super::{Settings, UsageError, load, write_output, write_output_shown};

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

/// How many times at most the plan is made again without the lots whose
/// saving does not cover their costs.
const MAX_COST_ROUNDS: usize = 5;

/// The plan that harvests `need`, without the candidates in `left_out`. It
/// aims at the need exactly, but the Form 8949 rows are rounded to cents: when
/// the rounded rows realize more loss than needed (the year would end at
/// -3,000.01 with a cent carried), the plan is made again for that much less,
/// so its last lot is sold in a slightly smaller part.
fn build_on_need(ctx: &PlanCtx<'_>, need: Decimal, left_out: &HashSet<usize>) -> Built {
    let mut built = ctx.build(need, left_out);
    let mut shave = Decimal::ZERO;
    for _ in 0..4 {
        let over = -(built.realized.0 + built.realized.1) - need;
        if over <= Decimal::ZERO || built.picks.is_empty() {
            break;
        }
        shave += over;
        built = ctx.build((need - shave).max(Decimal::ZERO), left_out);
    }
    built
}

/// What the tax of the year depends on besides a plan.
struct Taxes {
    /// Schedule D lines 7 and 15 before the plan.
    line_7: Decimal,
    line_15: Decimal,
    /// The loss deduction's limit.
    cap: Decimal,
    line_14: Decimal,
    /// Long-term gain of collectibles so far.
    collectibles_lt: Decimal,
    ordinary_income: Option<Decimal>,
    magi: Option<Decimal>,
    year: i32,
    fs: FilingStatus,
    st_rate: Decimal,
    lt_rate: Decimal,
}

/// The year with a plan: Schedule D, the tax and next year's carryover.
struct Priced {
    picture: Picture,
    tax: Decimal,
    carryover: crate::tax::Carryover,
}

impl Taxes {
    fn capital_income(&self, p: &Picture, collectibles: Decimal) -> CapitalIncome {
        let line_18 = crate::tax::schedule_d::rate_28_gain(
            collectibles,
            p.line_7,
            self.line_14,
            p.line_15,
            p.line_16,
        );
        rates::capital_income(p.line_7, p.line_15, self.cap).with_collectibles(line_18)
    }

    /// MAGI before the plan: `--magi`, or ordinary income plus the capital
    /// result.
    fn magi_before(&self) -> Decimal {
        let ci = self.capital_income(
            &picture(self.line_7, self.line_15, self.cap),
            self.collectibles_lt,
        );
        self.magi
            .unwrap_or(self.ordinary_income.unwrap_or_default() + ci.ordinary + ci.preferential)
    }

    /// The year with a plan realizing `st` short-term and `lt` long-term, of
    /// which `coll` is long-term on collectibles.
    fn price(&self, st: Decimal, lt: Decimal, coll: Decimal) -> Priced {
        let p = picture(self.line_7 + st, self.line_15 + lt, self.cap);
        let ci = self.capital_income(&p, self.collectibles_lt + coll);
        let total = ci.ordinary + ci.preferential;
        let tax = match self.ordinary_income {
            Some(ti) => {
                let before = self.capital_income(
                    &picture(self.line_7, self.line_15, self.cap),
                    self.collectibles_lt,
                );
                let magi = self.magi_before() + total - (before.ordinary + before.preferential);
                rates::federal_tax(self.year, self.fs, ti, ci, magi)
            }
            None => rates::flat_tax(ci, self.st_rate, self.lt_rate),
        };
        // The worksheet's line 1 is Form 1040 taxable income, which already
        // reflects the capital result and the loss deduction (Schedule D
        // instructions, Capital Loss Carryover Worksheet).
        let (_, carryover) = carryover_worksheet(
            p.line_7,
            p.line_15,
            p.line_21,
            self.ordinary_income.map(|oi| oi + total),
        );
        Priced {
            picture: p,
            tax,
            carryover,
        }
    }
}

/// The fee rate and spread of each sale: `--fee-rate` for every account, or
/// each account's `fee_rate` in harvest.toml (0 when neither sets one).
fn costs_of(a: &ScanArgs, s: &Settings, ledger: &Ledger, cands: &[plan::Candidate]) -> plan::Costs {
    let mut costs = plan::Costs {
        spread: a.spread.unwrap_or_default(),
        default_fee: a.fee_rate.unwrap_or_default(),
        ..plan::Costs::default()
    };
    if a.fee_rate.is_none() {
        for c in cands {
            if let Some(r) = s.fee_rates.get(engine::account_name(ledger, c.account)) {
                costs.fee_rates.insert(c.account, *r);
            }
        }
    }
    costs
}

/// The fee rate of each account of the candidates, and where it comes from.
fn fee_rates(
    a: &ScanArgs,
    s: &Settings,
    ledger: &Ledger,
    cands: &[plan::Candidate],
) -> Vec<(String, Decimal, String)> {
    let mut accounts: Vec<&str> = cands
        .iter()
        .map(|c| engine::account_name(ledger, c.account))
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    accounts
        .into_iter()
        .map(|name| {
            let (rate, from) = match (a.fee_rate, s.fee_rates.get(name)) {
                (Some(r), _) => (r, "--fee-rate".to_string()),
                (None, Some(r)) => (*r, s.config_name.clone()),
                (None, None) => (Decimal::ZERO, "not set".to_string()),
            };
            (name.to_string(), rate, from)
        })
        .collect()
}

/// The note that states the costs the plan counts.
fn costs_note(
    a: &ScanArgs,
    s: &Settings,
    ledger: &Ledger,
    cands: &[plan::Candidate],
    costs: &plan::Costs,
) -> String {
    let rates = fee_rates(a, s, ledger, cands);
    let fees = match a.fee_rate {
        Some(r) => format!("fee rate {} for every account (--fee-rate)", r.normalize()),
        None if rates.is_empty() => "fee rate 0 (none set)".to_string(),
        None => {
            // Accounts of one rate from one source together.
            let mut groups: Vec<(Decimal, &str, Vec<&str>)> = Vec::new();
            for (acct, r, from) in &rates {
                match groups.iter_mut().find(|g| g.0 == *r && g.1 == from) {
                    Some(g) => g.2.push(acct),
                    None => groups.push((*r, from, vec![acct])),
                }
            }
            let parts: Vec<String> = groups
                .iter()
                .map(|(r, from, accts)| {
                    format!("{} for {} ({from})", r.normalize(), accts.join(", "))
                })
                .collect();
            format!("fee rate {}", parts.join("; "))
        }
    };
    // 0.6 is a valid fraction, but a 60% fee: more likely 0.6% typed as a
    // percent. No exchange charges 5% a trade, so a rate that high is named.
    let high = Decimal::new(5, 2);
    let mut doubtful: Vec<Decimal> = rates.iter().map(|r| r.1).collect();
    doubtful.extend(a.fee_rate);
    doubtful.push(costs.spread);
    doubtful.retain(|r| *r >= high);
    doubtful.sort();
    doubtful.dedup();
    let check: String = doubtful
        .iter()
        .map(|r| {
            format!(
                " CHECK: a rate of {} is {}% of each trade; if you meant {}%, write {}.",
                r.normalize(),
                (r * Decimal::ONE_HUNDRED).normalize(),
                r.normalize(),
                (r / Decimal::ONE_HUNDRED).normalize()
            )
        })
        .collect();
    format!(
        "costs: {fees}; spread {}{} on each trade. A sale fills at the price less the spread and pays the fee on that: its Form 8949 proceeds are net of both, so its loss is larger. Buying the same quantity back fills at the price plus the spread and pays the fee: not deductible now, both go into the new lot's basis. A sale's cost counts all four, and a lot whose tax saving does not cover its cost is left out.{check}",
        costs.spread.normalize(),
        if a.spread.is_some() {
            " (--spread)"
        } else {
            ""
        }
    )
}

/// Runs `harvest scan`.
pub fn run(a: &ScanArgs) -> anyhow::Result<()> {
    if a.taxable_income.is_some() {
        return Err(UsageError(
            "scan takes --ordinary-income N: taxable income other than this year's capital gains and losses (report's --taxable-income is Form 1040 line 15, after them)".into(),
        )
        .into());
    }
    let mut s = Settings::from_args(&a.engine)?;
    for (flag, p) in [
        ("--emit-ledger", &a.emit_ledger),
        ("--emit-selections", &a.emit_selections),
    ] {
        if let Some(p) = p {
            super::output::check_output(flag, p)?;
        }
    }
    let saved = read_saved(a)?;
    // JSON and --compare state the files read (below).
    s.sum_inputs = a.format == FormatArg::Json || saved.is_some();
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
    // Only this year's disposals: its rows are all a plan needs of them.
    let cfg = s.engine.keeping(engine::Keep::Year(year));
    let outcome = engine::run(
        ledger,
        &cfg,
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
        .collect();
    unpriced.dedup();
    unpriced.sort_unstable();
    unpriced.dedup();
    unpriced.retain(|n| prices.valuation(n, when).is_none());
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
    // The year's sums so far and the candidates, on two threads: neither
    // needs the other (a year of a million-row ledger has 527k rows to sum,
    // and it holds hundreds of thousands of lots).
    let (cands, (realized_st, realized_lt, collectibles_lt)) = crate::threads::join(
        || {
            plan::candidates(
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
            )
        },
        || {
            // Only the sums of the year's rows so far: the rows are not kept.
            // Short-term, long-term, and the long-term gain of collectibles
            // (28% Rate Gain Worksheet line 1).
            let so_far = |d: &engine::Disposal| d.date.year() == year && d.date <= as_of;
            let sums = gain_sums_where(ledger, &outcome, &s.boxes, so_far);
            (sums.short, sums.long, sums.collectibles_long)
        },
    );
    let y = YearSoFar {
        carryover_st: inputs.carryover_in.short_term,
        carryover_lt: inputs.carryover_in.long_term,
        realized_st,
        realized_lt,
    };
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
    let costs = costs_of(a, &s, ledger, &cands);
    // The costs are shown (and their JSON keys written) when a fee rate or a
    // spread is set anywhere, even to 0: without, every output is as before.
    let costs_shown = a.fee_rate.is_some() || a.spread.is_some() || !s.fee_rates.is_empty();
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
        costs: &costs,
    };

    // The tax of the year, before the plan and with one.
    let fs = inputs.filing_status;
    let taxes = Taxes {
        line_7: y.line_7(),
        line_15: y.line_15(),
        cap,
        line_14: -inputs.carryover_in.long_term,
        collectibles_lt,
        ordinary_income,
        magi: a.magi,
        year,
        fs,
        st_rate,
        lt_rate,
    };
    let priced_before = taxes.price(Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let future_rate = match (a.future_rate, ordinary_income) {
        (Some(r), _) => r,
        (None, Some(oi)) => {
            // The marginal rate on the next hundred dollars of ordinary income.
            let none = CapitalIncome::default();
            let hundred = Decimal::ONE_HUNDRED;
            (rates::federal_tax(year, fs, oi + hundred, none, oi + hundred)
                - rates::federal_tax(year, fs, oi, none, oi))
                / hundred
        }
        (None, None) => st_rate,
    };
    let sum = |c: &crate::tax::Carryover| c.short_term + c.long_term;
    // Of a plan's net loss, what goes to next year's carryover (the rest is
    // absorbed this year).
    let carried = |plan_total: Decimal, after: &Priced| {
        (sum(&after.carryover) - sum(&priced_before.carryover))
            .max(Decimal::ZERO)
            .min((-plan_total).max(Decimal::ZERO))
    };
    // What a plan realizing (short-term, long-term, of which collectibles)
    // saves: this year's tax, and its carried loss priced at --future-rate.
    let saves = |st: Decimal, lt: Decimal, coll: Decimal| {
        let after = taxes.price(st, lt, coll);
        cents(priced_before.tax) - cents(after.tax) + cents(carried(st + lt, &after) * future_rate)
    };
    let collectible = |c: &plan::Candidate| {
        c.term == Term::Long && s.boxes.is_collectible(ledger.syms.name(c.asset))
    };
    // A pick's realized gain, as the plan's rows round it, and what of it is
    // short-term, long-term and long-term collectibles.
    let split = |cs: &[plan::Candidate], p: &plan::Pick| {
        let c = &cs[p.candidate];
        let g = cents(p.proceeds) - cents(p.basis);
        match c.term {
            Term::Short => (g, Decimal::ZERO, Decimal::ZERO),
            Term::Long => (
                Decimal::ZERO,
                g,
                if collectible(c) { g } else { Decimal::ZERO },
            ),
        }
    };
    // A plan's (short-term, long-term, collectibles) and what it saves.
    let whole = |cs: &[plan::Candidate], b: &Built| {
        let coll: Decimal = b.picks.iter().map(|p| split(cs, p).2).sum();
        let (st, lt) = b.realized;
        ((st, lt, coll), saves(st, lt, coll))
    };
    // What the plan `b` (its totals and saving `w`) saves beyond the same plan
    // without the picks `which`: their marginal tax saving.
    let marginal = |cs: &[plan::Candidate],
                    b: &Built,
                    w: ((Decimal, Decimal, Decimal), Decimal),
                    which: &[usize]| {
        let ((mut st, mut lt, mut cl), saving) = w;
        for &i in which {
            let (s_, l_, c_) = split(cs, &b.picks[i]);
            st -= s_;
            lt -= l_;
            cl -= c_;
        }
        saving - saves(st, lt, cl)
    };
    // In cents: the selling part and the buy-back part apart, so a sale's
    // figures add up.
    let round_trip = |account: Sym, qty: Decimal, price: Decimal| {
        let rt = costs.round_trip(account, qty, price);
        plan::RoundTrip {
            selling: cents(rt.selling),
            buy_back: cents(rt.buy_back),
        }
    };

    // A lot whose tax saving does not cover what selling it and buying it
    // back costs is left out, and the plan made again without it (other lots
    // may take its place), a few rounds at most.
    let mut left_out: HashSet<usize> = HashSet::new();
    let mut dropped: Vec<LeftOut> = Vec::new();
    let mut built = build_on_need(&ctx, need, &left_out);
    for round in 1..=MAX_COST_ROUNDS {
        if costs.is_zero() {
            break;
        }
        let mut unworthy = Vec::new();
        let w = whole(&cands, &built);
        for (i, p) in built.picks.iter().enumerate() {
            let c = &cands[p.candidate];
            let cost = round_trip(c.account, p.qty, c.price).total();
            let saving = marginal(&cands, &built, w, &[i]);
            if cost > Decimal::ZERO && saving < cost {
                unworthy.push(p.candidate);
                dropped.push(LeftOut {
                    account: engine::account_name(ledger, c.account).to_string(),
                    asset: ledger.syms.name(c.asset).to_string(),
                    lot_id: ledger.rows[outcome.lots[c.lot as usize].row as usize]
                        .id
                        .to_string(),
                    quantity: p.qty,
                    tax_saved: saving,
                    cost,
                });
            }
        }
        if unworthy.is_empty() {
            break;
        }
        left_out.extend(unworthy);
        if round == MAX_COST_ROUNDS {
            // The last round brings in no new lot: only those this plan
            // chose and kept.
            let kept: HashSet<usize> = built.picks.iter().map(|p| p.candidate).collect();
            left_out.extend((0..cands.len()).filter(|j| !kept.contains(j)));
        }
        built = build_on_need(&ctx, need, &left_out);
    }
    // Gains at 0% (issue 25): with the ordinary income known, long-term gains
    // that fit the 0% band step the basis up at no tax.
    let gain_plan = match ordinary_income {
        Some(_) if !a.no_gains => {
            let loss_costs = built
                .picks
                .iter()
                .map(|p| {
                    let c = &cands[p.candidate];
                    round_trip(c.account, p.qty, c.price).total()
                })
                .sum();
            Some(gains_at_zero(&GainsCtx {
                ctx: &ctx,
                ledger,
                outcome: &outcome,
                prices,
                when,
                s: &s,
                taxes: &taxes,
                later_rate: lt_rate,
                future_rate,
                losses: &built,
                loss_costs,
                shock_factor: factor,
            }))
        }
        _ => None,
    };
    // Of the loss plan alone: what it realizes, for the loss used and carried.
    let loss_realized = match &gain_plan {
        Some(g) if g.chose_gains_only => (Decimal::ZERO, Decimal::ZERO),
        _ => built.realized,
    };
    // The candidates listed are the losses; gain lots follow them in `cands`.
    let n_loss = cands.len();
    let (built, cands) = match gain_plan.as_ref().and_then(|g| g.picks.clone()) {
        Some((all, picks)) => {
            let ctx = PlanCtx { cands: &all, ..ctx };
            (ctx.build_picks(picks), all)
        }
        None => (built, cands),
    };
    let Built {
        picks,
        sales,
        plan_rows,
        sel_lines,
        realized: (plan_st, plan_lt),
        note,
        universal,
    } = &built;
    let (plan_st, plan_lt) = (*plan_st, *plan_lt);
    notes.extend(note.clone());
    if costs_shown {
        notes.push(costs_note(a, &s, ledger, &cands, &costs));
        for d in &dropped {
            notes.push(format!(
                "left out: selling {} {} of lot {} from {} would save {} of tax but cost {} (fee and spread, selling and buying back)",
                render::qty(d.quantity),
                d.asset,
                d.lot_id,
                d.account,
                render::money(d.tax_saved),
                render::money(d.cost)
            ));
        }
    }
    if *universal && (a.emit_ledger.is_some() || a.emit_selections.is_some()) {
        return Err(UsageError(
            "--emit-ledger and --emit-selections need per-wallet lots (--scope wallet, or a date from 2025 with --scope transition): a sale is made from one account".into(),
        )
        .into());
    }

    // The tax picture before and after.
    let before = priced_before.picture;
    // The plan's long-term losses on collectibles reduce the 28% rate gain.
    let plan_collectibles: Decimal = picks.iter().map(|p| split(&cands, p).2).sum();
    let priced_after = taxes.price(plan_st, plan_lt, plan_collectibles);
    let after = priced_after.picture;
    let (tax_before, tax_after) = (priced_before.tax, priced_after.tax);
    let tax_basis = match ordinary_income {
        Some(ti) => {
            if !rates::has_tables(year) {
                notes.push(format!(
                    "no tax tables for {year}: the {} brackets are used",
                    if year < 2025 { 2025 } else { 2026 }
                ));
            }
            format!(
                "federal brackets for {year} ({}), ordinary income {} (taxable income other than this year's capital gains and losses), MAGI {}, with the 0/15/20% long-term rates and the 3.8% NIIT",
                fs.as_str(),
                render::money(ti),
                render::money(taxes.magi_before())
            )
        }
        None => format!(
            "flat marginal rates: {} on short-term gains and ordinary income, {} on long-term gains (--st-rate, --lt-rate; --ordinary-income computes the brackets)",
            st_rate.normalize(),
            lt_rate.normalize()
        ),
    };
    // The same taxes slice by slice, for the HTML page (the MAGI as the tax's).
    let ci_before = taxes.capital_income(&before, collectibles_lt);
    let ci_after = taxes.capital_income(&after, collectibles_lt + plan_collectibles);
    let total = |c: &CapitalIncome| c.ordinary + c.preferential;
    let brackets = match ordinary_income {
        Some(ti) => {
            let magi_before = taxes.magi_before();
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
    let carryover_after = priced_after.carryover;
    // Of the plan's net loss, what this year's return absorbs, and what goes
    // to next year's carryover (priced at --future-rate, stated).
    let plan_loss = (-(loss_realized.0 + loss_realized.1)).max(Decimal::ZERO);
    let loss_carried = carried(loss_realized.0 + loss_realized.1, &priced_after);
    let loss_used = plan_loss - loss_carried;
    let carryover_value = cents(loss_carried * future_rate);

    // Per sale: specific identification against the configured method's order.
    let mut sale_lines = Vec::new();
    let w = whole(&cands, &built);
    let mut method_notes = Vec::new();
    let mut term_notes = Vec::new();
    // The holdings of each (account, asset), gathered once for all the sales.
    let held = plan::HeldBy::new(&outcome.holdings);
    for sale in sales {
        let qty = sale.qty(picks);
        // The plan's lots, by term, so that a sale whose short-term loss FIFO
        // (the default without identification) would turn long-term, or
        // back, is flagged.
        let mut specific_terms = plan::TermSplit::default();
        for &i in &sale.picks {
            let g = cents(picks[i].proceeds) - cents(picks[i].basis);
            specific_terms.add(cands[picks[i].candidate].term, picks[i].qty, g);
        }
        let specific = specific_terms.short + specific_terms.long;
        // The other orders sell at the same net price as the plan.
        let net_price = costs.net_price(sale.account, sale.price);
        let lots = held.of(sale.account, sale.asset);
        let by_method = plan::by_method(ledger, lots, &outcome, qty, net_price);
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
        let fifo_terms = plan::by_fifo_terms(ledger, lots, &outcome, qty, net_price, as_of);
        if specific_terms.term_differs(&fifo_terms) {
            term_notes.push(format!(
                "selling {} {} from {} without identifying the lots (FIFO) would realize {} short-term and {} long-term instead of {} and {}: identify the plan's lots by the sale",
                render::qty(qty),
                name(sale.asset),
                name(sale.account),
                render::money(fifo_terms.short),
                render::money(fifo_terms.long),
                render::money(specific_terms.short),
                render::money(specific_terms.long)
            ));
        }
        // Why, in one line: what each part offsets, and who must be told the lots.
        let identify_with = if year >= 2027 && s.boxes.is_broker(name(sale.account)) {
            "broker"
        } else {
            "own records"
        };
        let (mut st_loss, mut lt_loss, mut gain) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for &i in &sale.picks {
            let p = &picks[i];
            let g = cents(p.proceeds) - cents(p.basis);
            match (p.candidate >= n_loss, cands[p.candidate].term) {
                (true, _) => gain += g,
                (false, Term::Short) => st_loss -= g,
                (false, Term::Long) => lt_loss -= g,
            }
        }
        let against = |first: Decimal, other: Decimal, first_what: &str, other_what: &str| {
            if first > Decimal::ZERO {
                format!("against this year's {first_what}")
            } else if other > Decimal::ZERO {
                format!("against this year's {other_what}")
            } else {
                "toward the deduction against ordinary income (or carried)".to_string()
            }
        };
        let mut why = Vec::new();
        if st_loss > Decimal::ZERO {
            why.push(format!(
                "short-term loss {} {}",
                render::money(st_loss),
                against(
                    y.line_7(),
                    y.line_15(),
                    "short-term gains (ordinary rates)",
                    "long-term gains"
                )
            ));
        }
        if lt_loss > Decimal::ZERO {
            why.push(format!(
                "long-term loss {} {}",
                render::money(lt_loss),
                against(
                    y.line_15(),
                    y.line_7(),
                    "long-term gains",
                    "short-term gains"
                )
            ));
        }
        if gain > Decimal::ZERO {
            why.push(format!(
                "long-term gain {} taxed at 0% (basis stepped up)",
                render::money(gain)
            ));
        }
        let lot_ids: Vec<&str> = sale
            .picks
            .iter()
            .map(|&i| {
                &*ledger.rows[outcome.lots[cands[picks[i].candidate].lot as usize].row as usize].id
            })
            .collect();
        // One line: the first few lots (--emit-selections lists every one).
        let shown = if lot_ids.len() > 5 {
            format!("{} and {} more", lot_ids[..4].join(", "), lot_ids.len() - 4)
        } else {
            lot_ids.join(", ")
        };
        let why = format!(
            "{}; identify lot{} {shown} {} by the sale",
            why.join(", "),
            if lot_ids.len() == 1 { "" } else { "s" },
            if identify_with == "broker" {
                "to the broker"
            } else {
                "in your records"
            }
        );
        let (received, fee) = costs.sale(sale.account, qty, sale.price);
        sale_lines.push(SaleLine {
            identify_with,
            why,
            account: name(sale.account),
            asset: name(sale.asset),
            quantity: qty,
            price: sale.price,
            proceeds: cents(qty * sale.price),
            specific,
            by_method,
            specific_terms,
            fifo_terms,
            fee_rate: costs.fee_rate(sale.account),
            net_proceeds: cents(received - fee),
            costs: round_trip(sale.account, qty, sale.price),
            // A lot stepped up at 0% saves on its later sale.
            tax_saved: marginal(&cands, &built, w, &sale.picks) + cents(gain * lt_rate),
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
    for p in picks {
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
    if s.engine.wash_window > 0 && picks.iter().any(|p| p.candidate < n_loss) {
        let days = i64::from(s.engine.wash_window);
        notes.push(format!(
            "under the simulated rule (--wash-window {days}), buy back no earlier than {}: a purchase within {days} days after a sale of {as_of} disallows its loss",
            as_of + Duration::days(days + 1)
        ));
    }

    let mut recommended: HashMap<usize, Decimal> = HashMap::new();
    for p in picks {
        *recommended.entry(p.candidate).or_default() += p.qty;
    }
    let lines: Vec<ScanLine<'_>> = cands[..n_loss]
        .iter()
        .enumerate()
        .map(|(i, c)| {
            render::fetch_lots_ahead(ledger, &outcome, i, |j| {
                cands[..n_loss].get(j).map(|c| c.lot)
            });
            ScanLine {
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
            }
        })
        .collect();
    let gains = gain_plan.map(|g| {
        let chosen = if g.chose_gains_only {
            &g.gains_only
        } else {
            &g.with_losses
        };
        let lots: Vec<render::GainLot<'_>> = picks
            .iter()
            .filter(|p| p.candidate >= n_loss)
            .map(|p| {
                let c = &cands[p.candidate];
                let (proceeds, cost_basis) = (cents(p.proceeds), cents(p.basis));
                render::GainLot {
                    account: engine::account_name(ledger, c.account),
                    asset: ledger.syms.name(c.asset),
                    lot_id: &ledger.rows[outcome.lots[c.lot as usize].row as usize].id,
                    quantity: p.qty,
                    cost_basis,
                    proceeds,
                    gain: proceeds - cost_basis,
                    new_basis: cents(p.qty * c.price)
                        + cents(costs.round_trip(c.account, p.qty, c.price).buy_back),
                }
            })
            .collect();
        let m = render::money;
        let describe = |c: &plan::gains::Combination| {
            let mut t = format!(
                "{}: {} of loss realized, {} saved this year",
                c.name,
                m(c.loss_realized),
                m(c.tax_saved)
            );
            if !c.carryover_value.is_zero() {
                t += &format!(" and {} next year", m(c.carryover_value));
            }
            if !c.gain_realized.is_zero() {
                t += &format!(
                    ", {} of long-term gain at 0% ({} saved on a later sale)",
                    m(c.gain_realized),
                    m(c.later_tax_saved)
                );
            }
            t + &format!("; worth {}", m(c.value()))
        };
        // With no loss to harvest, the two are one plan.
        let any_gain = g.gains_only.gain_realized > Decimal::ZERO
            || g.with_losses.gain_realized > Decimal::ZERO;
        if g.with_losses.loss_realized > Decimal::ZERO && any_gain {
            notes.push(format!(
                "two plans compared: {}; {}. The plan takes the {}{}",
                describe(&g.with_losses),
                describe(&g.gains_only),
                if g.chose_gains_only {
                    "gains (the losses stay unrealized for a year they save more: realized now, they would offset gains taxed at 0%)"
                } else {
                    "losses"
                },
                if g.chose_gains_only || g.with_losses.gain_realized.is_zero() {
                    String::new()
                } else {
                    " and the gains that still fit at 0%".into()
                }
            ));
        }
        if !chosen.gain_realized.is_zero() {
            let new_basis: Decimal = lots.iter().map(|l| l.new_basis).sum();
            notes.push(format!(
                "selling the {} lot(s) of gain and buying them back at once (no wash-sale rule applies to gains) steps their basis up to {}: {} of long-term gain taxed at 0%, {} less federal tax on a later sale at {}% (--lt-rate); the new lots are short-term for a year",
                lots.len(),
                m(new_basis),
                m(chosen.gain_realized),
                m(chosen.later_tax_saved),
                (lt_rate * Decimal::ONE_HUNDRED).normalize()
            ));
            notes.push(
                "the gain raises adjusted gross income, which harvest does not follow further: the taxable part of Social Security benefits, Medicare premiums (IRMAA), the premium tax credit and state income tax can all rise; --no-gains leaves it out".into(),
            );
        }
        if !any_gain {
            notes.push(if g.room.is_zero() {
                "gains at 0%: none, the 0% long-term band has no room this year (taxable income fills it, or a loss of the year, which a gain would offset first, leaves none)".to_string()
            } else {
                format!(
                    "gains at 0%: none, {} of long-term gain would fit the 0% band, but no long-term lot is worth more than its basis by enough to pay for selling and buying back",
                    m(g.room)
                )
            });
        }
        render::GainsAtZero {
            later_rate: lt_rate,
            room: g.room,
            chosen: chosen.name,
            with_losses: g.with_losses,
            gains_only: g.gains_only,
            lots,
        }
    });
    let dec31 = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(as_of);
    let shown = if a.all {
        lines.len()
    } else {
        a.top.min(lines.len())
    };
    // A step-up's later saving is part of what the plan is worth.
    let later_saved = gains
        .as_ref()
        .map_or(Decimal::ZERO, render::GainsAtZero::later_tax_saved);
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
        costs: costs_shown.then(|| {
            let total: Decimal = sale_lines.iter().map(|x| x.costs.total()).sum();
            CostsView {
                spread: costs.spread,
                fee_rates: fee_rates(a, &s, ledger, &cands),
                total,
                tax_saved_net: cents(tax_before) - cents(tax_after) + carryover_value + later_saved
                    - total,
                left_out: dropped,
            }
        }),
        sales: sale_lines,
        gains,
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
            &loaded.sums,
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
            fee_rate: a.fee_rate,
            spread: a.spread.unwrap_or_default(),
            gains_at_zero: ordinary_income.is_some() && !a.no_gains,
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
        if let Some(c) = &mut view.costs {
            for (acct, _, _) in &mut c.fee_rates {
                *acct = s.file.display_name(acct).to_string();
            }
            for d in &mut c.left_out {
                d.account = s.file.display_name(&d.account).to_string();
            }
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
            for (d, l, q) in sel_lines {
                writeln!(w, "{},{},{}", csv_cell(d), csv_cell(l), render::qty(*q))?;
            }
            Ok(())
        })?;
    }
    if let Some(p) = &a.emit_ledger {
        emit_ledger(p, ledger, plan_rows)?;
    }
    let written = write_output_shown(
        a.engine.output.as_deref(),
        &loaded.progress,
        |w: &mut dyn Write| match a.format {
            FormatArg::Csv => render::csv::scan(w, &view),
            FormatArg::Json => render::json::scan(w, &view),
            FormatArg::Html => render::html::scan(w, &view),
            _ => render::table::scan(w, &view),
        },
    );
    // The process is about to exit: freeing a decade of rows one by one would
    // only cost time.
    drop(view);
    std::mem::forget(outcome);
    std::mem::forget(loaded);
    written
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
            // The sale's fee, in USD (the proceeds are the USD received less it).
            let (fee_qty, fee_asset) = match r.fee {
                Some(f) => (render::qty(f.qty), ledger.syms.name(f.asset)),
                None => (String::new(), ""),
            };
            writeln!(
                w,
                "{},{},{},sell,{},{},{},USD,{},{},,,,{},,,",
                csv_cell(&r.id),
                r.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                csv_cell(ledger.syms.name(r.account)),
                render::qty(sent.qty),
                csv_cell(ledger.syms.name(sent.asset)),
                render::qty(recv.qty),
                fee_qty,
                csv_cell(fee_asset),
                csv_cell(crate::plan::sales::PLAN_NOTE)
            )?;
        }
        Ok(())
    })
}

/// What the gains-at-0% decision reads.
struct GainsCtx<'a, 'b> {
    ctx: &'b PlanCtx<'a>,
    ledger: &'a Ledger,
    outcome: &'a engine::Outcome,
    prices: &'a crate::readers::prices::PriceTable,
    when: chrono::DateTime<Utc>,
    s: &'b Settings,
    taxes: &'b Taxes,
    /// The rate a later long-term sale is expected to pay (`--lt-rate`).
    later_rate: Decimal,
    future_rate: Decimal,
    losses: &'b Built,
    /// What the loss plan's sales and buy-backs cost, in cents.
    loss_costs: Decimal,
    /// `--shock`: the as-of prices are multiplied by it.
    shock_factor: Decimal,
}

impl GainsCtx<'_, '_> {
    /// The year's federal tax and total carryover out with a plan realizing
    /// `st` short-term and `lt` long-term (`coll` of it on collectibles).
    fn year_at(&self, st: Decimal, lt: Decimal, coll: Decimal) -> (Decimal, Decimal) {
        let p = self.taxes.price(st, lt, coll);
        (p.tax, p.carryover.short_term + p.carryover.long_term)
    }
}

/// The gains-at-0% decision.
struct GainPlan {
    /// The loss plan with gains filling what room it leaves, and gains only.
    with_losses: plan::gains::Combination,
    gains_only: plan::gains::Combination,
    /// The gains-only plan is worth more: the loss sales are dropped.
    chose_gains_only: bool,
    /// The room of the chosen combination, and the candidates and picks of
    /// the plan to build (loss candidates first, then gain candidates), when
    /// it sells any gain lot.
    room: Decimal,
    picks: Option<(Vec<plan::Candidate>, Vec<plan::Pick>)>,
}

/// Long-term gains fitting the 0% band, for the loss plan's year and for the
/// year without it; the better of the two (see [`plan::gains::Combination::value`]).
fn gains_at_zero(g: &GainsCtx<'_, '_>) -> GainPlan {
    let (ledger, s) = (g.ledger, g.s);
    let costs = g.ctx.costs;
    let round_trip = |c: &plan::Candidate, qty: Decimal| {
        let rt = costs.round_trip(c.account, qty, c.price);
        cents(rt.selling) + cents(rt.buy_back)
    };
    // A lot whose later saving does not cover selling and buying it back is
    // not worth the step-up (both scale with the part sold).
    let gc: Vec<plan::Candidate> = plan::gains::candidates(
        g.outcome,
        &g.outcome.holdings,
        |asset| {
            g.prices
                .valuation(ledger.syms.name(asset), g.when)
                .map(|p| p * g.shock_factor)
        },
        g.ctx.as_of,
        |asset| s.boxes.is_collectible(ledger.syms.name(asset)),
        |account, price| costs.net_price(account, price),
    )
    .into_iter()
    .filter(|c| c.unrealized * g.later_rate >= round_trip(c, c.qty))
    .collect();
    let net = |c: &plan::Candidate| costs.net_price(c.account, c.price);
    let loss_cands = g.ctx.cands;
    let coll_of = |picks: &[plan::Pick]| -> Decimal {
        picks
            .iter()
            .filter(|p| {
                let c = &loss_cands[p.candidate];
                c.term == Term::Long && s.boxes.is_collectible(ledger.syms.name(c.asset))
            })
            .map(|p| cents(p.proceeds) - cents(p.basis))
            .sum()
    };
    let (_, before_carry) = g.year_at(Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    // Fill the room of the year with a plan realizing (st, lt); the rounded
    // rows may realize a cent or two more than the room: then the room is
    // shaved by that much.
    let gain_of = |picks: &[plan::Pick]| -> Decimal {
        picks
            .iter()
            .map(|p| cents(p.proceeds) - cents(p.basis))
            .sum()
    };
    let fill_at = |gc: &[plan::Candidate], st: Decimal, lt: Decimal, coll: Decimal| {
        // The band's room, whatever the lots at hand (the top of the 0% band
        // is far below ten million dollars).
        let room =
            plan::gains::free_gain(|x| g.year_at(st, lt + x, coll), Decimal::from(10_000_000));
        let mut aim = room;
        let mut picks = plan::gains::fill(gc, aim, net);
        for _ in 0..4 {
            let got = gain_of(&picks);
            if got <= room || aim.is_zero() {
                break;
            }
            aim = (aim - (got - room)).max(Decimal::ZERO);
            picks = plan::gains::fill(gc, aim, net);
        }
        let cost: Decimal = picks
            .iter()
            .map(|p| round_trip(&gc[p.candidate], p.qty))
            .sum();
        (room, gain_of(&picks), picks, cost)
    };
    let (lr_st, lr_lt) = g.losses.realized;
    let loss_coll = coll_of(&g.losses.picks);
    let (before_tax, _) = g.year_at(Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (after_tax, after_carry) = g.year_at(lr_st, lr_lt, loss_coll);
    // Under the simulated wash-sale rule (--wash-window), buying back a gain
    // lot of an asset the plan sells at a loss would be a purchase inside the
    // window, disallowing that loss: such lots are not stepped up with it.
    let loss_assets: std::collections::HashSet<Sym> = g
        .losses
        .picks
        .iter()
        .map(|p| loss_cands[p.candidate].asset)
        .collect();
    let gc_a: Vec<plan::Candidate> = gc
        .iter()
        .filter(|c| s.engine.wash_window == 0 || !loss_assets.contains(&c.asset))
        .cloned()
        .collect();
    let (room_a, got_a, picks_a, cost_a) = fill_at(&gc_a, lr_st, lr_lt, loss_coll);
    let loss = (-(lr_st + lr_lt)).max(Decimal::ZERO);
    let carried = (after_carry - before_carry).max(Decimal::ZERO).min(loss);
    let later = |x: Decimal| cents(x * g.later_rate);
    let with_losses = plan::gains::Combination {
        name: "harvest losses",
        loss_realized: loss,
        gain_realized: got_a,
        tax_saved: cents(before_tax) - cents(after_tax),
        carryover_value: cents(carried * g.future_rate),
        later_tax_saved: later(got_a),
        costs: g.loss_costs + cost_a,
    };
    let (room_b, got_b, picks_b, cost_b) =
        fill_at(&gc, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let gains_only = plan::gains::Combination {
        name: "gains at 0% only",
        loss_realized: Decimal::ZERO,
        gain_realized: got_b,
        tax_saved: Decimal::ZERO,
        carryover_value: Decimal::ZERO,
        later_tax_saved: later(got_b),
        costs: cost_b,
    };
    // Ties keep the loss plan: its saving is this year's.
    let chose_gains_only = gains_only.value() > with_losses.value();
    let (room, gain_picks, loss_picks) = if chose_gains_only {
        (room_b, picks_b, Vec::new())
    } else {
        (room_a, picks_a, g.losses.picks.clone())
    };
    let picks = (!gain_picks.is_empty() || chose_gains_only).then(|| {
        let n = loss_cands.len();
        let mut all = loss_cands.to_vec();
        all.extend(if chose_gains_only { gc } else { gc_a });
        let mut picks = loss_picks;
        picks.extend(gain_picks.into_iter().map(|mut p| {
            p.candidate += n;
            p
        }));
        (all, picks)
    });
    GainPlan {
        with_losses,
        gains_only,
        chose_gains_only,
        room,
        picks,
    }
}
