//! Tables for people (tabled). Numbers are already in cents; nothing is rounded
//! here that the CSV would not round the same way.

use std::io::{self, Write};

use tabled::settings::Width;
use tabled::settings::object::Columns;

use super::grid::{Cells, Grid};
use super::{
    GainLine, GainsView, IsoDate, Lines, LotsView, Money, Qty, ShortId, UsDate, money, price,
    push_iso_date, push_money, push_price, push_qty, qty, short_id,
};
use crate::tax::Totals;

static COLOR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The width of the terminal tables are written to, 0 when not a terminal.
static WIDTH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets the width tables must fit (a terminal's columns), or 0 for no limit
/// (a file or a pipe: a table there is not wrapped).
pub fn set_width(columns: usize) {
    WIDTH.store(columns, std::sync::atomic::Ordering::Relaxed);
}

/// Turns coloring of gains (green) and losses (red) on or off. The commands turn
/// it on only for a table written to a terminal without NO_COLOR.
pub fn set_color(on: bool) {
    COLOR.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Money that is a gain or a loss: green or red when coloring is on.
pub fn signed(d: rust_decimal::Decimal) -> String {
    Signed::new(d).to_string()
}

/// [`signed`] without the String: with coloring on (the second field), a
/// loss red, a gain green, zero plain.
struct Signed(rust_decimal::Decimal, bool);

impl Signed {
    fn new(d: rust_decimal::Decimal) -> Signed {
        Signed(d, COLOR.load(std::sync::atomic::Ordering::Relaxed))
    }
}

impl std::fmt::Display for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = Money(self.0);
        if !self.1 {
            return m.fmt(f);
        }
        // Money writes "0.00" for what rounds to zero cents, and a sign
        // only before a loss of a cent or more.
        let c = super::cents(self.0);
        if c.is_zero() {
            m.fmt(f)
        } else if c.is_sign_negative() {
            write!(f, "\x1b[31m{m}\x1b[0m")
        } else {
            write!(f, "\x1b[32m{m}\x1b[0m")
        }
    }
}

/// Column (h) of a line: [`Signed`], written as bytes when not colored.
fn signed_cell(c: &mut Cells<'_>, gain: rust_decimal::Decimal) {
    let s = Signed::new(gain);
    if s.1 {
        c.shown(&s);
    } else {
        c.ascii(|o| push_money(o, gain));
    }
}

/// Form 8949 lines past which the second half of a table's rows is built on
/// a helper thread.
const SPLIT: usize = 16_384;

/// [`SPLIT`] where a second core can take the half, else never.
fn split() -> usize {
    crate::threads::worth_a_thread(SPLIT)
}

/// Adds a row to `t` for each of `lines`, as `push` writes it. A list of
/// `split` lines or more has its second half in a second grid, built by a
/// helper thread meanwhile, which is returned: write the two with
/// [`Grid::write_parts`]. A large year's lines (527k at 1M ledger rows) are
/// most of a table's work.
fn line_rows<'l, F>(t: &mut Grid, lines: Lines<'l>, split: usize, push: F) -> Option<Grid>
where
    F: Fn(&mut Grid, &GainLine<'l>) + Sync,
{
    if lines.len() < split.max(2) {
        for l in lines {
            push(t, &l);
        }
        return None;
    }
    let half = lines.len() / 2;
    let (first, second) = (lines.slice(0..half), lines.slice(half..lines.len()));
    Some(two_grids(
        t,
        |t| first.into_iter().for_each(|l| push(t, &l)),
        |g| second.into_iter().for_each(|l| push(g, &l)),
    ))
}

/// Fills `t` by `first` while a helper thread fills a new grid by `second`,
/// and returns that grid.
fn two_grids(
    t: &mut Grid,
    first: impl FnOnce(&mut Grid),
    second: impl FnOnce(&mut Grid) + Send,
) -> Grid {
    let ((), g) = crate::threads::join(
        || first(t),
        || {
            let mut g = Grid::new();
            second(&mut g);
            g
        },
    );
    g
}

/// [`line_rows`] for a slice of `items`.
fn halves<T: Sync + super::NamesLot>(
    t: &mut Grid,
    items: &[T],
    split: usize,
    push: impl Fn(&mut Grid, &T) + Sync,
) -> Option<Grid> {
    let n = items.len();
    if n < split.max(2) {
        super::fetching_ids(items, 0..n).for_each(|i| push(t, i));
        return None;
    }
    let half = n / 2;
    Some(two_grids(
        t,
        |t| super::fetching_ids(items, 0..half).for_each(|i| push(t, i)),
        |g| super::fetching_ids(items, half..n).for_each(|i| push(g, i)),
    ))
}

/// On a terminal narrower than the table, wraps its text columns (`text`:
/// ids, accounts, descriptions), the widest first and none below 6 columns, so
/// that numbers and dates stay whole on one line.
pub(crate) fn fit(t: &mut tabled::Table, text: &[usize]) {
    fit_to(t, text, width());
}

/// [`fit`] to `width` columns (0: no limit).
pub(crate) fn fit_to(t: &mut tabled::Table, text: &[usize], width: usize) {
    use tabled::grid::records::vec_records::Cell;
    const NARROWEST: usize = 6;
    let total = t.total_width();
    if width == 0 || total <= width {
        return;
    }
    let records = t.get_records();
    let mut widths: Vec<usize> = text
        .iter()
        .map(|&c| {
            records
                .iter()
                .filter_map(|r| r.get(c))
                .map(Cell::width)
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut excess = total - width;
    while excess > 0 {
        let Some(i) = (0..widths.len())
            .filter(|&i| widths[i] > NARROWEST)
            .max_by_key(|&i| widths[i])
        else {
            break;
        };
        widths[i] -= 1;
        excess -= 1;
    }
    for (&c, &w) in text.iter().zip(&widths) {
        t.modify(Columns::one(c), Width::wrap(w));
    }
}

/// Prints a table whose columns from `right_from` on are right-aligned numbers;
/// on a narrow terminal its `text` columns wrap (see [`fit`]).
fn print(w: &mut dyn Write, b: Grid, right_from: usize, text: &[usize]) -> io::Result<()> {
    b.write(w, right_from..usize::MAX, width(), text)?;
    writeln!(w)
}

/// The width set by [`set_width`].
fn width() -> usize {
    WIDTH.load(std::sync::atomic::Ordering::Relaxed)
}

/// The what-if lines under a table's title.
fn what_if(w: &mut dyn Write, reasons: &[String]) -> io::Result<()> {
    for r in reasons {
        writeln!(w, "{}", super::what_if_line(r))?;
    }
    Ok(())
}

/// `harvest gains` as a table, with totals per term.
pub fn gains(w: &mut dyn Write, v: &GainsView<'_>) -> io::Result<()> {
    writeln!(
        w,
        "Form 8949 rows for {} (method {}, scope {}): {}",
        v.year,
        v.method,
        v.scope,
        super::count(v.lines.len(), "row")
    )?;
    what_if(w, &v.what_if)?;
    if !v.lines.is_empty() {
        // Columns (f) and (g) only when a row has a code: most years have none,
        // and the table then fits a narrower terminal.
        let coded = v.lines.rows().any(|r| !r.adjustment_code.is_empty());
        let mut b = Grid::new();
        let mut header = vec![
            "Disposal",
            "Lot",
            "Account",
            "Acquired",
            "Sold",
            "Term",
            "Box",
            "Description",
            "Proceeds",
            "Basis",
        ];
        if coded {
            header.extend(["Code", "Adj."]);
        }
        header.push("Gain");
        b.push_record(header);
        let rest = line_rows(&mut b, v.lines, split(), |b, l| {
            b.push_cells(|c| {
                c.shown(&ShortId(l.disposal_id));
                c.shown(&ShortId(l.lot_id));
                c.text(l.account);
                c.ascii(|o| push_iso_date(o, l.date_acquired));
                c.ascii(|o| push_iso_date(o, l.date_sold));
                c.text(l.term.as_str());
                c.text(l.box_);
                c.shown(&format_args!("{} {}", Qty(l.quantity), l.asset));
                c.ascii(|o| push_money(o, l.proceeds));
                c.ascii(|o| push_money(o, l.cost_basis));
                // No (f) and (g) columns: the gain follows the basis.
                if coded {
                    c.text(&l.adjustment_code);
                    c.ascii(|o| l.push_adjustment(o));
                }
                signed_cell(c, l.gain);
            })
        });
        let parts: Vec<&Grid> = std::iter::once(&b).chain(rest.as_ref()).collect();
        Grid::write_parts(&parts, w, 8..usize::MAX, width(), &[0, 1, 2, 7])?;
        writeln!(w)?;
    }
    totals_table(
        w,
        &[("Short-term", &v.short_term), ("Long-term", &v.long_term)],
    )
}

/// A small table of totals.
pub fn totals_table(w: &mut dyn Write, rows: &[(&str, &Totals)]) -> io::Result<()> {
    let mut b = Grid::new();
    b.push_record(["", "Proceeds", "Cost basis", "Adjustment", "Gain or (loss)"]);
    let mut all = Totals::default();
    for (name, t) in rows {
        b.push_record([
            name.to_string(),
            money(t.proceeds),
            money(t.cost_basis),
            money(t.adjustment),
            signed(t.gain),
        ]);
        all.proceeds += t.proceeds;
        all.cost_basis += t.cost_basis;
        all.adjustment += t.adjustment;
        all.gain += t.gain;
    }
    if rows.len() > 1 {
        b.push_record([
            "Total".to_string(),
            money(all.proceeds),
            money(all.cost_basis),
            money(all.adjustment),
            signed(all.gain),
        ]);
    }
    print(w, b, 1, &[0])
}

/// `harvest lots` as a table.
pub fn lots(w: &mut dyn Write, v: &LotsView<'_>) -> io::Result<()> {
    lots_split(w, v, split())
}

/// The lots table's header, with the value columns when `priced`.
fn lots_header(priced: bool) -> Vec<&'static str> {
    let mut header = vec![
        "Asset",
        "Account",
        "Lot",
        "Acquired",
        "Quantity",
        "Basis",
        "Unit basis",
    ];
    if priced {
        header.extend(["Price", "Value", "Unrealized", "Term"]);
    }
    header
}

/// [`lots`], its rows on two threads from `split` lots.
fn lots_split(w: &mut dyn Write, v: &LotsView<'_>, split: usize) -> io::Result<()> {
    match v.as_of {
        Some(d) => writeln!(w, "Open lots as of {d}: {}", v.lines.len())?,
        None => writeln!(w, "Open lots: {}", v.lines.len())?,
    }
    what_if(w, &v.what_if)?;
    if v.lines.is_empty() {
        return Ok(());
    }
    let mut b = Grid::new();
    b.push_record(lots_header(v.priced));
    // Written straight into the grid: a decade's open lots (hundreds of
    // thousands) make no string a cell.
    let rest = halves(&mut b, &v.lines, split, |b, l| {
        b.push_cells(|c| {
            c.text(l.asset);
            c.text(l.account);
            c.shown(&ShortId(l.lot_id));
            c.ascii(|o| push_iso_date(o, l.date_acquired));
            c.ascii(|o| push_qty(o, l.quantity));
            c.ascii(|o| push_money(o, l.cost_basis));
            c.ascii(|o| push_price(o, l.unit_basis));
            if v.priced {
                match &l.valued {
                    Some(p) => {
                        c.ascii(|o| push_price(o, p.price));
                        c.ascii(|o| push_money(o, p.value));
                        signed_cell(c, p.unrealized);
                        c.text(p.term.as_str());
                    }
                    None => {
                        c.text("no price");
                        for _ in 0..3 {
                            c.text("");
                        }
                    }
                }
            }
        })
    });
    let parts: Vec<&Grid> = std::iter::once(&b).chain(rest.as_ref()).collect();
    Grid::write_parts(&parts, w, 4..usize::MAX, width(), &[0, 1, 2])?;
    writeln!(w)
}

pub(crate) fn box_label(b: &str) -> &'static str {
    match b {
        "A" => "short-term, reported on Form 1099-B with basis reported to the IRS",
        "B" => "short-term, reported on Form 1099-B, basis not reported to the IRS",
        "C" => "short-term, not reported on Form 1099-B",
        "D" => "long-term, reported on Form 1099-B with basis reported to the IRS",
        "E" => "long-term, reported on Form 1099-B, basis not reported to the IRS",
        "F" => "long-term, not reported on Form 1099-B",
        "G" => "short-term digital assets, Form 1099-DA with basis reported to the IRS",
        "H" => "short-term digital assets, Form 1099-DA, basis not reported to the IRS",
        "I" => "short-term digital assets, no Form 1099-DA",
        "J" => "long-term digital assets, Form 1099-DA with basis reported to the IRS",
        "K" => "long-term digital assets, Form 1099-DA, basis not reported to the IRS",
        _ => "long-term digital assets, no Form 1099-DA",
    }
}

/// `harvest report` as tables: Form 8949 per part and box, then Schedule D.
pub fn report(w: &mut dyn Write, v: &super::ReportView<'_>) -> io::Result<()> {
    writeln!(
        w,
        "Form 8949 and Schedule D for {} (method {}, scope {}, filing status {})",
        v.year, v.method, v.scope, v.filing_status
    )?;
    what_if(w, &v.what_if)?;
    question(w, &v.question)?;
    if let Some(sum) = &v.summary {
        writeln!(
            w,
            "\nForm 8949 (Exception 2): one row per box and account, code M; the rows after it are the attached statement"
        )?;
        let mut t = Grid::new();
        t.push_record([
            "Box",
            "(a) Description",
            "(d) Proceeds",
            "(e) Basis",
            "(f) Code",
            "(g) Adj.",
            "(h) Gain",
            "Rows",
        ]);
        for r in sum {
            t.push_record([
                r.box_.as_str().to_string(),
                r.description(),
                money(r.proceeds),
                money(r.cost_basis),
                r.code.clone(),
                money(r.adjustment),
                signed(r.gain),
                r.rows.to_string(),
            ]);
        }
        print(w, t, 2, &[1])?;
        writeln!(
            w,
            "\nAttached statement (Form 8949 columns, by part and box)"
        )?;
    }
    let mut start = 0;
    let mut part = None;
    for b in &v.boxes {
        let lines = v.lines.slice(start..start + b.rows);
        start += b.rows;
        let this_part = b.box_.term();
        if part != Some(this_part) {
            part = Some(this_part);
            writeln!(w)?;
            match this_part {
                crate::tax::Term::Short => writeln!(w, "Form 8949 Part I: short-term")?,
                crate::tax::Term::Long => writeln!(w, "Form 8949 Part II: long-term")?,
            }
        }
        writeln!(
            w,
            "Box {} ({}): {}",
            b.box_,
            box_label(b.box_.as_str()),
            super::count(b.rows, "row")
        )?;
        let mut t = Grid::new();
        t.push_record([
            "(a) Description",
            "(b) Acquired",
            "(c) Sold",
            "(d) Proceeds",
            "(e) Basis",
            "(f) Code",
            "(g) Adj.",
            "(h) Gain",
            "Disposal",
            "Lot",
            "Account",
        ]);
        let mut rest = line_rows(&mut t, lines, split(), |t, l| {
            let q = Qty(l.quantity);
            let note = l.basis_rule.note();
            t.push_cells(|c| {
                if note.is_empty() {
                    c.shown(&format_args!("{q} {}", l.asset));
                } else {
                    c.shown(&format_args!("{q} {} ({note})", l.asset));
                }
                c.shown(&l.acquired());
                c.shown(&UsDate(l.date_sold));
                c.ascii(|o| push_money(o, l.proceeds));
                c.ascii(|o| push_money(o, l.cost_basis));
                c.text(&l.adjustment_code);
                c.ascii(|o| l.push_adjustment(o));
                signed_cell(c, l.gain);
                c.shown(&ShortId(l.disposal_id));
                c.shown(&ShortId(l.lot_id));
                c.text(l.account);
            })
        });
        rest.as_mut().unwrap_or(&mut t).push_record([
            "Totals".to_string(),
            String::new(),
            String::new(),
            money(b.totals.proceeds),
            money(b.totals.cost_basis),
            String::new(),
            money(b.totals.adjustment),
            signed(b.totals.gain),
            String::new(),
            String::new(),
            String::new(),
        ]);
        let parts: Vec<&Grid> = std::iter::once(&t).chain(rest.as_ref()).collect();
        Grid::write_parts(&parts, w, 3..8, width(), &[0, 8, 9, 10])?;
        writeln!(w)?;
    }
    if v.boxes.is_empty() {
        writeln!(w, "\nNo disposals in {}.", v.year)?;
    }
    if let Some(e) = &v.exception_1 {
        writeln!(
            w,
            "\nException 1 (no Form 8949): {} a Form 1099-DA reports with basis, needing no adjustment: short-term proceeds {}, basis {}, gain {} (Schedule D line 1a); long-term proceeds {}, basis {}, gain {} (line 8a)",
            super::count(e.lines.len(), "row"),
            money(e.short_term.proceeds),
            money(e.short_term.cost_basis),
            signed(e.short_term.gain),
            money(e.long_term.proceeds),
            money(e.long_term.cost_basis),
            signed(e.long_term.gain)
        )?;
    }
    let s = &v.schedule_d;
    writeln!(w, "\nSchedule D ({})", v.year)?;
    let mut b = Grid::new();
    b.push_record(["Line", "", "Amount"]);
    let lines = super::schedule_d_lines(v);
    for (n, label, amt) in lines {
        b.push_record([n.to_string(), label, signed(amt)]);
    }
    print(w, b, 2, &[1])?;
    writeln!(
        w,
        "Carryover to {}: short-term {}, long-term {}{}",
        v.year + 1,
        money(s.carryover_next_year.short_term),
        money(s.carryover_next_year.long_term),
        match v.taxable_income {
            Some(ti) => format!(
                " (Capital Loss Carryover Worksheet with taxable income {})",
                money(ti)
            ),
            None => String::new(),
        }
    )?;
    transfers(w, &v.transfers)?;
    if let Some(inc) = v.income.as_ref().filter(|i| !i.rows.is_empty()) {
        writeln!(
            w,
            "\nIncome from digital assets in {}: {} ({} on Schedule 1 line 8v{}); harvest income lists it.",
            v.year,
            money(inc.total),
            money(inc.schedule_1_line_8v),
            if inc.schedule_c.is_zero() {
                String::new()
            } else {
                format!(", {} on Schedule C", money(inc.schedule_c))
            }
        )?;
    }
    Ok(())
}

/// The gains-at-0% part of `scan`: both combinations, then the gain lots.
fn scan_gains(w: &mut dyn Write, g: &super::GainsAtZero<'_>) -> io::Result<()> {
    writeln!(
        w,
        "\nLong-term gains at 0% (later sales priced at {}%, --lt-rate):",
        (g.later_rate * rust_decimal::Decimal::ONE_HUNDRED)
            .round_dp(2)
            .normalize()
    )?;
    let mut b = Grid::new();
    b.push_record([
        "Plan",
        "Loss realized",
        "Gain at 0%",
        "Saved this year",
        "Carryover worth",
        "Saved later",
        "Costs",
        "Worth",
        "",
    ]);
    for c in [&g.with_losses, &g.gains_only] {
        b.push_record([
            c.name.to_string(),
            money(c.loss_realized),
            money(c.gain_realized),
            money(c.tax_saved),
            money(c.carryover_value),
            money(c.later_tax_saved),
            money(c.costs),
            money(c.value()),
            if c.name == g.chosen { "chosen" } else { "" }.to_string(),
        ]);
    }
    print(w, b, 1, &[0, 8])?;
    if g.lots.is_empty() {
        return Ok(());
    }
    writeln!(w, "Sell and buy back at once (part of the plan above):")?;
    let mut b = Grid::new();
    b.push_record([
        "Account",
        "Asset",
        "Lot",
        "Quantity",
        "Basis",
        "Proceeds",
        "Gain",
        "New basis",
    ]);
    for l in &g.lots {
        b.push_record([
            l.account.to_string(),
            l.asset.to_string(),
            l.lot_id.to_string(),
            qty(l.quantity),
            money(l.cost_basis),
            money(l.proceeds),
            money(l.gain),
            money(l.new_basis),
        ]);
    }
    print(w, b, 3, &[0, 1, 2])
}

/// `harvest scan` as text: a summary first, then the plan, then the candidates.
pub fn scan(w: &mut dyn Write, v: &super::ScanView<'_>) -> io::Result<()> {
    writeln!(
        w,
        "Tax-loss harvest scan as of {} (tax year {}, method {}, filing status {}): {} days left in the year",
        v.as_of, v.year, v.method, v.filing_status, v.days_left
    )?;
    what_if(w, &v.what_if)?;
    let mut b = Grid::new();
    b.push_record(["", "Amount"]);
    let mut rows: Vec<(&str, rust_decimal::Decimal)> = vec![
        ("Short-term gains so far", v.realized_st),
        ("Long-term gains so far", v.realized_lt),
        (
            "Carryover in",
            -(v.carryover_in.short_term + v.carryover_in.long_term),
        ),
        ("Net so far (Schedule D line 16)", v.before.line_16),
        ("Loss needed", v.loss_needed),
        ("Loss available in candidates", v.loss_available),
        ("Plan realizes", v.plan_st + v.plan_lt),
        ("Net after the plan", v.after.line_16),
        ("Deducted this year (line 21)", v.after.line_21),
        ("Estimated tax saved", v.tax_saved),
    ];
    let later = v.gains.as_ref().map(|g| g.later_tax_saved());
    if let Some(later) = later.filter(|x| !x.is_zero()) {
        rows.push(("Saved on a later sale (basis stepped up)", later));
    }
    if let Some(c) = &v.costs {
        rows.push(("Costs (fees and spread, sale and buy-back)", c.total));
        rows.push(("Net saving", c.tax_saved_net));
    }
    for (k, x) in rows {
        b.push_record([k.to_string(), money(x)]);
    }
    print(w, b, 1, &[0])?;
    writeln!(
        w,
        "Carried to {}: short-term {}, long-term {}. Tax priced at {}.",
        v.year + 1,
        money(v.carryover_after.short_term),
        money(v.carryover_after.long_term),
        v.tax_basis
    )?;
    if !(v.loss_used.is_zero() && v.loss_carried.is_zero()) {
        writeln!(
            w,
            "The plan's loss: {} used this year, {} carried to {} (worth {} then at {}%, --future-rate).",
            money(v.loss_used),
            money(v.loss_carried),
            v.year + 1,
            money(v.carryover_value),
            (v.future_rate * rust_decimal::Decimal::ONE_HUNDRED)
                .round_dp(2)
                .normalize()
        )?;
    }
    if !v.sales.is_empty() {
        writeln!(w, "\nPlan: sell")?;
        let mut b = Grid::new();
        let by_method = format!("Realized ({})", v.method);
        let mut head = vec![
            "Account",
            "Asset",
            "Quantity",
            "Price",
            "Proceeds",
            "Realized (these lots)",
            by_method.as_str(),
        ];
        if v.costs.is_some() {
            // Form 8949's proceeds: net of the sale's fee and spread.
            head[4] = "Proceeds (net)";
            head.extend(["Tax saved", "Costs", "Net saving"]);
        }
        b.push_record(head);
        for s in &v.sales {
            let mut row = vec![
                s.account.to_string(),
                s.asset.to_string(),
                qty(s.quantity),
                price(s.price),
                money(s.proceeds),
                signed(s.specific),
                signed(s.by_method),
            ];
            if v.costs.is_some() {
                row[4] = money(s.net_proceeds);
                row.extend([
                    money(s.tax_saved),
                    money(s.costs.total()),
                    signed(s.net_saving()),
                ]);
            }
            b.push_record(row);
        }
        print(w, b, 2, &[0, 1])?;
        for s in &v.sales {
            writeln!(w, "Why {} from {}: {}", s.asset, s.account, s.why)?;
        }
    }
    if let Some(g) = v.gains.as_ref().filter(|g| g.any_gain()) {
        scan_gains(w, g)?;
    }
    writeln!(w, "\nCandidates: {}", v.lines.len())?;
    if v.shown < v.lines.len() {
        writeln!(
            w,
            "(the {} with the largest losses; --top N or --all shows more, and --format csv or json lists every one)",
            v.shown
        )?;
    }
    if !v.lines.is_empty() {
        let mut b = Grid::new();
        b.push_record([
            "Asset",
            "Account",
            "Lot",
            "Acquired",
            "Quantity",
            "Basis",
            "Price",
            "Value",
            "Unrealized",
            "Term",
            "Long-term on",
            "Wash risk",
            "Sell",
        ]);
        for l in &v.lines[..v.shown] {
            b.push_record([
                l.asset.to_string(),
                l.account.to_string(),
                short_id(l.lot_id).into_owned(),
                l.date_acquired.to_string(),
                qty(l.quantity),
                money(l.cost_basis),
                price(l.price),
                money(l.value),
                signed(l.unrealized),
                l.term.as_str().to_string(),
                l.long_term_on.map_or(String::new(), |d| {
                    if l.turns_long_soon {
                        format!("{d} (soon)")
                    } else {
                        d.to_string()
                    }
                }),
                l.wash_risk.to_string(),
                if l.recommended.is_zero() {
                    String::new()
                } else {
                    qty(l.recommended)
                },
            ]);
        }
        print(w, b, 4, &[0, 1, 2])?;
    }
    for n in &v.notes {
        writeln!(w, "Note: {n}")?;
    }
    if let Some(c) = &v.scenario.compare {
        compare(w, c)?;
    }
    Ok(())
}

/// `scan --compare`: the inputs that differ, the figures that changed and
/// the sales added, removed and changed.
pub fn compare(w: &mut dyn Write, c: &crate::plan::compare::Comparison) -> io::Result<()> {
    write!(
        w,
        "\nCompared with {} (saved as of {})",
        c.file, c.saved_as_of
    )?;
    if c.nothing_changed() && c.inputs_recorded {
        writeln!(w, ": nothing changed (the same inputs, figures and sales).")?;
        return Ok(());
    }
    writeln!(w, ":")?;
    if !c.inputs_recorded {
        writeln!(
            w,
            "{} records no inputs (saved by an earlier harvest): only the figures and sales are compared.",
            c.file
        )?;
    } else if c.inputs.is_empty() {
        writeln!(w, "Inputs: the same.")?;
    } else {
        writeln!(w, "Inputs that differ:")?;
        let mut b = Grid::new();
        b.push_record(["Input", "Saved", "Now"]);
        for i in &c.inputs {
            b.push_record([
                i.key.clone(),
                super::input_text(&i.saved),
                super::input_text(&i.now),
            ]);
        }
        print(w, b, 3, &[1, 2])?;
    }
    let changed: Vec<_> = c.figures.iter().filter(|f| f.changed()).collect();
    if changed.is_empty() {
        writeln!(w, "Figures: the same.")?;
    } else {
        writeln!(
            w,
            "Figures that changed ({} others the same):",
            c.figures.len() - changed.len()
        )?;
        let mut b = Grid::new();
        b.push_record(["", "Saved", "Now", "Change"]);
        for f in changed {
            b.push_record([
                f.label.to_string(),
                money(f.saved),
                money(f.now),
                money(f.change()),
            ]);
        }
        print(w, b, 1, &[0])?;
    }
    if c.added.is_empty() && c.removed.is_empty() && c.changed.is_empty() {
        writeln!(w, "Sales: the same ({}).", c.same_sales)?;
        return Ok(());
    }
    writeln!(w, "Sales that changed ({} the same):", c.same_sales)?;
    let mut b = Grid::new();
    b.push_record([
        "",
        "Account",
        "Asset",
        "Quantity saved",
        "Quantity now",
        "Realized saved",
        "Realized now",
        "Change",
    ]);
    let blank = String::new;
    for s in &c.added {
        b.push_record([
            "added".to_string(),
            s.account.clone(),
            s.asset.clone(),
            blank(),
            qty(s.quantity),
            blank(),
            money(s.realized),
            signed(s.realized),
        ]);
    }
    for x in &c.changed {
        b.push_record([
            "changed".to_string(),
            x.now.account.clone(),
            x.now.asset.clone(),
            qty(x.saved.quantity),
            qty(x.now.quantity),
            money(x.saved.realized),
            money(x.now.realized),
            signed(x.now.realized - x.saved.realized),
        ]);
    }
    for s in &c.removed {
        b.push_record([
            "removed".to_string(),
            s.account.clone(),
            s.asset.clone(),
            qty(s.quantity),
            blank(),
            money(s.realized),
            blank(),
            signed(-s.realized),
        ]);
    }
    print(w, b, 3, &[1, 2])
}

/// `harvest income` as tables: where the totals go, by category, asset and
/// month, then every row.
pub fn income(w: &mut dyn Write, s: &crate::tax::IncomeSummary<'_>) -> io::Result<()> {
    writeln!(
        w,
        "Income from digital assets received in {}: {} (ordinary income at fair value when received)",
        s.year,
        super::count(s.rows.len(), "row")
    )?;
    if s.rows.is_empty() {
        writeln!(w, "\nNo income rows in {}.", s.year)?;
    }
    let mut t = Grid::new();
    t.push_record(["Where it goes", "Amount", "Categories"]);
    let names = |business: bool| -> String {
        let v: Vec<&str> = s
            .by_category
            .iter()
            .filter(|(c, v)| !v.is_zero() && s.business.contains(c) == business)
            .map(|(c, _)| c.as_str())
            .collect();
        v.join(", ")
    };
    t.push_record([
        crate::tax::Schedule::Line8v.label().to_string(),
        money(s.schedule_1_line_8v),
        names(false),
    ]);
    if !s.business.is_empty() || !s.schedule_c.is_zero() {
        t.push_record([
            format!(
                "{} (self-employment)",
                crate::tax::Schedule::ScheduleC.label()
            ),
            money(s.schedule_c),
            names(true),
        ]);
    }
    t.push_record(["Total".to_string(), money(s.total), String::new()]);
    writeln!(w)?;
    t.write(w, 1..2, width(), &[])?;
    writeln!(w)?;
    if !s.rows.is_empty() {
        let mut t = Grid::new();
        t.push_record(["Category", "Amount"]);
        for (c, v) in s.by_category.iter().filter(|(_, v)| !v.is_zero()) {
            t.push_record([c.as_str().to_string(), money(*v)]);
        }
        writeln!(w, "\nBy category")?;
        print(w, t, 1, &[])?;
        let mut t = Grid::new();
        t.push_record(["Asset", "Quantity", "Amount"]);
        for (a, v) in &s.by_asset {
            t.push_record([a.to_string(), qty(v.quantity), money(v.usd_value)]);
        }
        writeln!(w, "\nBy asset")?;
        print(w, t, 1, &[0])?;
        let mut t = Grid::new();
        t.push_record(["Month", "Amount"]);
        for (m, v) in s.by_month.iter().enumerate().filter(|(_, v)| !v.is_zero()) {
            t.push_record([format!("{}-{:02}", s.year, m + 1), money(*v)]);
        }
        writeln!(w, "\nBy month")?;
        print(w, t, 1, &[])?;
        let mut t = Grid::new();
        t.push_record([
            "Date", "Id (lot)", "Account", "Asset", "Category", "Quantity", "Amount",
        ]);
        for r in &s.rows {
            t.push_record([
                r.date.to_string(),
                short_id(r.id).into_owned(),
                r.account.to_string(),
                r.asset.to_string(),
                r.category.as_str().to_string(),
                qty(r.quantity),
                money(r.usd_value),
            ]);
        }
        writeln!(w, "\nRows")?;
        print(w, t, 5, &[1, 2])?;
    }
    if !s.forms.is_empty() {
        let mut t = Grid::new();
        t.push_record(["Account", "Form 1099-MISC", "Ledger", "Difference"]);
        for f in &s.forms {
            t.push_record([
                f.account.clone(),
                money(f.form),
                money(f.ledger),
                money(f.difference),
            ]);
        }
        writeln!(w, "\nForms 1099-MISC")?;
        print(w, t, 1, &[0])?;
    }
    for n in s.notes() {
        writeln!(w, "\nNote: {n}")?;
    }
    Ok(())
}

/// The report's gifts received and inherited, gifts given, donations (with
/// Form 8283's columns) and losses: none makes a Form 8949 row.
fn transfers(w: &mut dyn Write, t: &crate::tax::Transfers<'_>) -> io::Result<()> {
    if t.is_empty() {
        return Ok(());
    }
    if !t.received.is_empty() {
        writeln!(w, "\nGifts received and inheritances ({})", t.year)?;
        let mut b = Grid::new();
        b.push_record([
            "Date",
            "Id (lot)",
            "Kind",
            "Asset",
            "Quantity",
            "Acquired",
            "Basis",
            "Fair value",
        ]);
        for r in &t.received {
            b.push_record([
                r.date.to_string(),
                short_id(r.id).into_owned(),
                r.kind.as_str().to_string(),
                r.asset.to_string(),
                qty(r.quantity),
                r.acquired.to_string(),
                money(r.basis),
                match (r.fair_value, r.dual_basis) {
                    (Some(v), true) => format!("{} (dual basis)", money(v)),
                    (Some(v), false) => money(v),
                    (None, _) => String::new(),
                },
            ]);
        }
        print(w, b, 4, &[1])?;
    }
    let removals = |title: String, rows: &[crate::tax::gifts::RemovalLine<'_>], deduction: bool| {
        let mut b = Grid::new();
        let mut head = vec![
            "Date",
            "Id",
            "To / note",
            "Asset",
            "Quantity",
            "Acquired",
            "How",
            "Term",
            "Basis",
            "Fair value",
        ];
        if deduction {
            head.push("Deduction");
        }
        b.push_record(head);
        for r in rows {
            for (k, l) in r.lots.iter().enumerate() {
                let first = k == 0;
                let mut rec = vec![
                    if first {
                        r.date.to_string()
                    } else {
                        String::new()
                    },
                    if first {
                        short_id(r.id).into_owned()
                    } else {
                        String::new()
                    },
                    if first {
                        match r.category {
                            Some(c) => format!("{} ({c})", r.recipient),
                            None => r.recipient.to_string(),
                        }
                    } else {
                        String::new()
                    },
                    r.asset.to_string(),
                    qty(l.quantity),
                    l.date_acquired.to_string(),
                    l.how_acquired.to_string(),
                    l.term.as_str().to_string(),
                    money(l.basis),
                    money(l.fair_value),
                ];
                if deduction {
                    rec.push(money(l.deduction));
                }
                b.push_record(rec);
            }
        }
        (title, b)
    };
    if !t.gifts.is_empty() {
        let (title, b) = removals(
            format!("\nGifts given ({}): no gain or loss", t.year),
            &t.gifts,
            false,
        );
        writeln!(w, "{title}")?;
        print(w, b, 4, &[1, 2])?;
    }
    if !t.donations.is_empty() {
        let (title, b) = removals(
            format!(
                "\nDonations ({}): no gain or loss; deduction {} of fair value {}{}",
                t.year,
                money(t.deduction),
                money(t.donations_fair_value),
                if t.form_8283_required {
                    " (Form 8283)"
                } else {
                    ""
                }
            ),
            &t.donations,
            true,
        );
        writeln!(w, "{title}")?;
        print(w, b, 4, &[1, 2])?;
    }
    if !t.lost.is_empty() {
        let (title, b) = removals(
            format!(
                "\nLost, stolen or scammed ({}): no deduction; basis {}",
                t.year,
                money(t.lost_basis)
            ),
            &t.lost,
            false,
        );
        writeln!(w, "{title}")?;
        print(w, b, 4, &[1, 2])?;
    }
    for n in t.notes() {
        writeln!(w, "Note: {n}")?;
    }
    Ok(())
}

/// The settings and files of a run, as text.
fn statement_block(w: &mut dyn Write, st: &crate::statement::Statement) -> io::Result<()> {
    writeln!(
        w,
        "harvest {}: method {}, scope {}, missing basis {}, wash window {} days, late identification {}, time zone {}",
        st.version,
        st.method,
        st.scope,
        st.missing_basis,
        st.wash_window,
        if st.late_identification { "on" } else { "off" },
        st.tz
    )?;
    for o in &st.standing_orders {
        writeln!(w, "standing order: {}", o.describe())?;
    }
    if let Some((date, rule, named)) = &st.allocation {
        writeln!(
            w,
            "allocation on {date}: {rule}{}",
            if *named {
                ""
            } else {
                " (the default: no rule named)"
            }
        )?;
    }
    for (src, n) in &st.price_sources {
        writeln!(w, "prices: {src}: {n} amounts valued")?;
    }
    for (role, f) in st.files() {
        writeln!(
            w,
            "{role}: {} ({}, sha256 {})",
            f.name,
            f.bytes
                .map_or_else(|| "standard input".to_string(), |b| format!("{b} bytes")),
            f.sha256.as_deref().unwrap_or("-")
        )?;
    }
    for n in &st.notes {
        writeln!(w, "note: {n}")?;
    }
    Ok(())
}

/// Form 1040's digital-asset question, answered, with the rows that decide it.
fn question(w: &mut dyn Write, a: &crate::tax::question::Answer<'_>) -> io::Result<()> {
    writeln!(
        w,
        "Form 1040, digital assets: \"At any time during {}, did you receive or dispose of a digital asset?\" {}",
        a.year,
        if a.yes { "Yes" } else { "No" }
    )?;
    for (yes, r) in a.reasons() {
        writeln!(
            w,
            "  {} {}: {} (first {}:{}, id {})",
            if yes { "yes:" } else { "not by itself:" },
            r.what,
            r.count,
            r.first.file,
            r.first.line,
            r.first.id
        )?;
    }
    Ok(())
}

/// `harvest audit` as text: one block per Form 8949 row and lot, then the
/// gaps in the basis.
pub fn audit(w: &mut dyn Write, v: &super::AuditView<'_>) -> io::Result<()> {
    let (year, trails) = (v.year, &v.trails);
    writeln!(
        w,
        "Audit trail of the Form 8949 rows of {year}: {}",
        super::count(trails.len(), "row")
    )?;
    what_if(w, &v.what_if)?;
    statement_block(w, &v.statement)?;
    for t in trails {
        writeln!(
            w,
            "\n{} {} sold {} in {} ({}:{}, id {}): proceeds {}, basis {}, gain {}",
            qty(t.quantity),
            t.asset,
            t.date_sold,
            t.account_sold,
            t.disposal.file,
            t.disposal.line,
            t.disposal.id,
            money(t.proceeds),
            money(t.cost_basis),
            money(t.gain)
        )?;
        writeln!(
            w,
            "  lot {}: {} in {} on {} ({}:{})",
            t.lot.id, t.acquired_by, t.account_acquired, t.date_acquired, t.lot.file, t.lot.line
        )?;
        for m in &t.moves {
            write!(
                w,
                "  moved {} {} -> {}: {} {} ({}:{}, id {})",
                m.date,
                m.from,
                m.to,
                qty(m.quantity),
                t.asset,
                m.source.file,
                m.source.line,
                m.source.id
            )?;
            if let Some(d) = m.deposit {
                write!(w, ", deposited as {} ({}:{})", d.id, d.file, d.line)?;
            }
            if !m.fee_lost.is_zero() {
                write!(w, ", network fee took {} {}", qty(m.fee_lost), t.asset)?;
            }
            writeln!(w)?;
        }
        if !t.flags.is_empty() {
            writeln!(w, "  warnings: {}", t.flags.join(", "))?;
        }
    }
    gaps(w, year, &v.gaps)
}

/// The gaps in the basis, each with what its choices do to the year's gain.
fn gaps(w: &mut dyn Write, year: i32, gaps: &[crate::tax::gaps::Gap<'_>]) -> io::Result<()> {
    use crate::tax::gaps::GapKind;
    writeln!(
        w,
        "\nGaps in the basis through {year}: {}",
        if gaps.is_empty() {
            "none".to_string()
        } else {
            gaps.len().to_string()
        }
    )?;
    for g in gaps {
        let what = match g.kind {
            GapKind::UnknownDeposit => "deposit of unknown basis",
            GapKind::Shortfall => "disposed of beyond the holdings",
            GapKind::NeverDeposited => "withdrawn, never deposited",
        };
        writeln!(
            w,
            "\n{} {} {what}: {} on {} ({}:{}, id {})",
            qty(g.quantity),
            g.asset,
            g.account,
            g.date,
            g.source.file,
            g.source.line,
            g.source.id
        )?;
        if g.kind == GapKind::NeverDeposited {
            writeln!(
                w,
                "  its units (basis {}) sit outside the ledger; if they were sold, spent or given, add that row; if they reached a wallet of yours, add its deposit",
                money(g.basis)
            )?;
            continue;
        }
        writeln!(
            w,
            "  {} sold in {year}; zero basis: their rows' gain is {}",
            qty(g.sold_in_year),
            money(g.zero_basis_gain)
        )?;
        writeln!(
            w,
            "  basis_usd: each dollar of basis changes the {year} gain by {}",
            g.per_usd_of_basis.round_dp(6).normalize()
        )?;
        if let Some((fv, ch)) = g.at_fair_value {
            writeln!(
                w,
                "    at its fair value on {} ({}) as basis_usd: {}",
                g.date,
                money(fv),
                money(ch)
            )?;
        }
        for p in &g.pairings {
            writeln!(
                w,
                "  pair with withdrawal {} ({}:{}, {} in {}): {} {} of basis {}: {} to the {year} gain",
                p.withdrawal.id,
                p.withdrawal.file,
                p.withdrawal.line,
                p.date,
                p.account,
                qty(p.quantity),
                g.asset,
                money(p.basis),
                money(p.effect)
            )?;
        }
    }
    Ok(())
}

/// `harvest balances` as tables: each account's year, then the lots held at
/// its end.
pub fn balances(
    w: &mut dyn Write,
    year: i32,
    reasons: &[String],
    b: &std::collections::BTreeMap<(&str, &str), crate::tax::balances::Balance>,
    holdings: &[super::LotLine<'_>],
    cmp: &crate::tax::balances::Comparison<'_>,
) -> io::Result<()> {
    writeln!(w, "Balances of {year}, by account and asset")?;
    what_if(w, reasons)?;
    let mut t = Grid::new();
    t.push_record([
        "Account",
        "Asset",
        "Opening",
        "Acquired",
        "Disposed",
        "Moved in",
        "Moved out",
        "Fees",
        "Closing",
        "Lots held",
        "Basis",
        "Ties out",
    ]);
    let mut off = 0;
    for ((account, asset), x) in b {
        let ties = x.closing == x.lots_quantity;
        off += usize::from(!ties);
        t.push_record([
            account.to_string(),
            asset.to_string(),
            qty(x.opening),
            qty(x.acquired),
            qty(x.disposed),
            qty(x.moved_in),
            qty(x.moved_out),
            qty(x.fees),
            qty(x.closing),
            qty(x.lots_quantity),
            money(x.lots_basis),
            if ties { "yes" } else { "no" }.to_string(),
        ]);
    }
    print(w, t, 2, &[0])?;
    if off > 0 {
        writeln!(
            w,
            "Note: {} where the rows' balance and the lots held differ: units moved to `external`, a universal pool (lots are the pool's), or a zero-basis shortfall; harvest audit lists the lots.",
            super::count(off, "line")
        )?;
    }
    writeln!(
        w,
        "\nHoldings at the end of {year} (the per-wallet record of basis)"
    )?;
    let mut t = Grid::new();
    t.push_record(["Account", "Asset", "Lot", "Acquired", "Quantity", "Basis"]);
    for l in holdings {
        t.push_record([
            l.account.to_string(),
            l.asset.to_string(),
            short_id(l.lot_id).into_owned(),
            IsoDate(l.date_acquired).to_string(),
            qty(l.quantity),
            money(l.cost_basis),
        ]);
    }
    print(w, t, 4, &[0, 2])?;
    exchange_balances(w, cmp)
}

/// The comparison with the balances the exchanges' exports state.
fn exchange_balances(
    w: &mut dyn Write,
    cmp: &crate::tax::balances::Comparison<'_>,
) -> io::Result<()> {
    if cmp.files.is_empty() {
        return writeln!(
            w,
            "\nNo input states the exchange's own balances (Kraken's ledgers export does: give it directly, not through import, to compare)."
        );
    }
    writeln!(
        w,
        "\nThe exchanges' own balances: {} compared from {}; {}",
        cmp.compared,
        cmp.files.join(", "),
        if cmp.divergences.is_empty() {
            "every one agrees with the ledger.".to_string()
        } else {
            format!("{}:", super::count(cmp.divergences.len(), "divergence"))
        }
    )?;
    for d in &cmp.divergences {
        if d.difference.is_zero() {
            writeln!(
                w,
                "  {}:{} {} {} {}: agrees again at {}",
                d.file,
                d.line,
                d.time.format("%Y-%m-%d %H:%M:%S"),
                d.account,
                d.asset,
                qty(d.reported)
            )?;
            continue;
        }
        writeln!(
            w,
            "  {}:{} {} {} {}: the export says {}, the ledger {} (difference {}){}",
            d.file,
            d.line,
            d.time.format("%Y-%m-%d %H:%M:%S"),
            d.account,
            d.asset,
            qty(d.reported),
            qty(d.ledger),
            qty(d.difference),
            match d.agreed_at {
                Some((f, l)) => format!(
                    "; they agreed at {f}:{l}: a row between is missing, repeated or mis-read"
                ),
                None =>
                    "; no earlier line agrees: an opening balance or an earlier export is missing"
                        .to_string(),
            }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    /// A table whose rows are built on two threads is the table built on
    /// one: long ids, wide characters and codes in either half.
    #[test]
    fn rows_built_in_two_halves_make_the_same_table() {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let rows: Vec<crate::tax::GainRow> = (0..41i64)
            .map(|i| crate::tax::GainRow {
                disposal: i as u32,
                lot: 0,
                quantity: Decimal::new(i * 7 + 1, (i % 9) as u32),
                date_acquired: day,
                date_sold: day,
                term: crate::tax::Term::Short,
                box_: crate::tax::Box8949::I,
                proceeds: Decimal::new(i * 1234567, 2),
                cost_basis: Decimal::new(i * 99, 2),
                adjustment_code: crate::tax::AdjustmentCode::new(if i % 5 == 0 { "W" } else { "" })
                    .unwrap(),
                adjustment: Decimal::new(i, 2),
                gain: Decimal::new(i * 1234567 - i * 99 - 4000, 2),
                basis_rule: crate::tax::BasisRule::Lot,
            })
            .collect();
        let ids: Vec<String> = (0..41).map(|i| "x".repeat(i % 23)).collect();
        let lines: Vec<GainLine<'_>> = rows
            .iter()
            .zip(&ids)
            .enumerate()
            .map(|(i, (r, id))| GainLine {
                row: r,
                disposal_id: id,
                lot_id: if i > 30 { "lot-été-中" } else { "l1" },
                asset: if i == 40 { "ÉTH" } else { "BTC" },
                account: "kraken",
                box_: "I",
                inherited: i == 3,
            })
            .collect();
        let push = |g: &mut Grid, l: &GainLine<'_>| {
            g.push_cells(|c| {
                c.shown(&ShortId(l.disposal_id));
                c.shown(&ShortId(l.lot_id));
                c.text(l.asset);
                c.ascii(|o| push_money(o, l.proceeds));
                c.ascii(|o| l.push_adjustment(o));
                c.shown(&l.acquired());
            })
        };
        let table = |split: usize| {
            let mut g = Grid::new();
            g.push_record(["Disposal", "Lot", "Asset", "Proceeds", "Adj.", "Acquired"]);
            let rest = line_rows(&mut g, Lines::resolved(&lines), split, push);
            assert_eq!(rest.is_some(), split < lines.len());
            let parts: Vec<&Grid> = std::iter::once(&g).chain(rest.as_ref()).collect();
            let mut out = Vec::new();
            Grid::write_parts(&parts, &mut out, 3..5, 0, &[0]).unwrap();
            String::from_utf8(out).unwrap()
        };
        let one = table(usize::MAX);
        assert_eq!(one.lines().count(), 41 + 4);
        assert_eq!(table(1), one);
        assert_eq!(table(40), one);
    }

    /// The lots table written cell by cell, on one thread or two, is the
    /// table of the cells' strings: unpriced and priced lots, losses and
    /// gains, long ids and wide characters.
    #[test]
    fn lots_written_in_place_are_the_lots_of_strings() {
        use crate::render::{LotLine, Valued};
        use crate::tax::Term;
        let day = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let ids: Vec<String> = (0..23).map(|i| format!("lot-{}", "é".repeat(i))).collect();
        let lines: Vec<LotLine<'_>> = (0..23i64)
            .map(|i| LotLine {
                asset: if i == 7 { "ÉTH" } else { "BTC" },
                account: "kraken",
                lot_id: &ids[i as usize],
                date_acquired: day,
                quantity: Decimal::new(i * 12_345 + 1, (i % 9) as u32),
                cost_basis: Decimal::new(i * 99_991 - 7, 2),
                unit_basis: Decimal::new(i * 1_234_567_891 + 3, (i % 12) as u32),
                valued: (i % 4 != 1).then(|| Valued {
                    price: Decimal::new(61_000_123 + i, 3 + (i % 3) as u32),
                    value: Decimal::new(i * 50_000, 2),
                    unrealized: Decimal::new(i * 50_000 - i * 99_991 + 7, 2),
                    term: if i % 2 == 0 { Term::Long } else { Term::Short },
                }),
            })
            .collect();
        for priced in [false, true] {
            let v = LotsView {
                as_of: None,
                lines: lines.clone(),
                priced,
                what_if: Vec::new(),
            };
            // The table as it was written before, a String per cell.
            let mut b = Grid::new();
            b.push_record(lots_header(priced));
            for l in &lines {
                let mut rec = vec![
                    l.asset.to_string(),
                    l.account.to_string(),
                    short_id(l.lot_id).into_owned(),
                    IsoDate(l.date_acquired).to_string(),
                    qty(l.quantity),
                    money(l.cost_basis),
                    price(l.unit_basis),
                ];
                if priced {
                    match &l.valued {
                        Some(p) => rec.extend([
                            price(p.price),
                            money(p.value),
                            signed(p.unrealized),
                            p.term.as_str().to_string(),
                        ]),
                        None => rec.extend([
                            "no price".to_string(),
                            String::new(),
                            String::new(),
                            String::new(),
                        ]),
                    }
                }
                b.push_record(rec);
            }
            let mut want = b"Open lots: 23\n".to_vec();
            b.write(&mut want, 4..usize::MAX, 0, &[0, 1, 2]).unwrap();
            want.push(b'\n');
            for split in [usize::MAX, 1, 10] {
                let mut got = Vec::new();
                lots_split(&mut got, &v, split).unwrap();
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    String::from_utf8(want.clone()).unwrap(),
                    "priced {priced}, split {split}"
                );
            }
        }
    }

    #[test]
    fn signed_money_is_colored_by_its_cents() {
        for (d, plain, colored) in [
            (Decimal::new(-1234, 2), "-12.34", "\x1b[31m-12.34\x1b[0m"),
            (Decimal::new(1234, 2), "12.34", "\x1b[32m12.34\x1b[0m"),
            (Decimal::ZERO, "0.00", "0.00"),
            // Rounds to no cents: zero, uncolored, unsigned.
            (Decimal::new(-4, 3), "0.00", "0.00"),
            (Decimal::new(-5, 3), "-0.01", "\x1b[31m-0.01\x1b[0m"),
        ] {
            assert_eq!(Signed(d, false).to_string(), plain);
            assert_eq!(Signed(d, true).to_string(), colored);
        }
    }
}
