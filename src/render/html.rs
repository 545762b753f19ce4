//! One self-contained HTML page for people (an accountant, the user): tables and
//! inline SVG charts, with no scripts and no external assets. Every piece of text
//! from the ledger is escaped; every amount shown is a Decimal written by
//! [`money`]. SVG coordinates are computed in f64, which only places shapes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::Datelike;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::table::box_label;
use super::{Lines, ReportView, ScanView, money, price, qty};
use crate::tax::{Term, Totals};

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --gain: #1b7a3a; --loss: #b3261e; --muted: #5f6368; --line: #dadce0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: #202124; background: #fff; margin: 0 auto; max-width: 1120px; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 2px solid #202124; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
p.meta, p.note, .muted { color: var(--muted); }
p.whatif { border: 2px solid var(--loss, #b3261e); padding: 8px 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 160px; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th { white-space: normal; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f1f3f4; font-weight: 600; font-size: 12px; }
td { white-space: nowrap; }
td.id { font-size: 11px; word-break: break-all; min-width: 8em; white-space: normal; }
td.n, th.n { text-align: right; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid #202124; }
.neg { color: var(--loss); }
.pos { color: var(--gain); }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
.chart { flex: 1 1 500px; }
svg { max-width: 100%; height: auto; font: 11px system-ui, sans-serif; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print { body { max-width: none; padding: 0; } h2 { break-after: avoid; } table { break-inside: auto; } tr { break-inside: avoid; } }
"#;

fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"harvest {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title)
    );
}

fn foot(out: &mut String) {
    let _ = write!(
        out,
        "<footer>Made by harvest {}. Amounts in US dollars; every total is the sum of the rounded rows above it. harvest applies the rules written in its README; it is not tax advice.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
}

/// A money cell.
fn num_td(d: Decimal) -> String {
    format!("<td class=\"n\">{}</td>", money(d))
}

/// A gain or loss cell, colored by sign.
fn money_td(d: Decimal) -> String {
    format!("<td class=\"n{}\">{}</td>", sign_class(d), money(d))
}

fn sign_class(d: Decimal) -> &'static str {
    let c = crate::tax::form8949::cents(d);
    if c < Decimal::ZERO {
        " neg"
    } else if c > Decimal::ZERO {
        " pos"
    } else {
        ""
    }
}

fn card(out: &mut String, key: &str, d: Decimal, colored: bool) {
    let class = if colored { sign_class(d) } else { "" };
    let _ = write!(
        out,
        "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v{class}\">{}</div></div>",
        esc(key),
        money(d)
    );
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Gains and losses per month of the year, drawn as bars up (gains) and down
/// (losses) from a zero line, with the net under each month.
fn month_chart(out: &mut String, gains: &[Decimal; 12], losses: &[Decimal; 12]) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (w, h, top, bottom, left) = (560.0, 260.0, 24.0, 44.0, 8.0);
    let max_up = gains.iter().map(|d| f(*d)).fold(0.0, f64::max);
    let max_down = losses.iter().map(|d| -f(*d)).fold(0.0, f64::max);
    let span = (max_up + max_down).max(1.0);
    let plot = h - top - bottom;
    let zero = top + plot * max_up / span;
    let col = (w - 2.0 * left) / 12.0;
    let _ = write!(
        out,
        "<svg role=\"img\" aria-label=\"Realized gain and loss by month\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for i in 0..12 {
        let x = left + col * i as f64 + col * 0.15;
        let bw = col * 0.7;
        let g = f(gains[i]);
        let l = -f(losses[i]);
        if g > 0.0 {
            let bh = plot * g / span;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{bh:.1}\" fill=\"#1b7a3a\"><title>{} gains {}</title></rect>",
                zero - bh,
                MONTHS[i],
                money(gains[i])
            );
        }
        if l > 0.0 {
            let bh = plot * l / span;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{zero:.1}\" width=\"{bw:.1}\" height=\"{bh:.1}\" fill=\"#b3261e\"><title>{} losses {}</title></rect>",
                MONTHS[i],
                money(losses[i])
            );
        }
        let cx = left + col * (i as f64 + 0.5);
        let net = gains[i] + losses[i];
        let _ = write!(
            out,
            "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#202124\">{}</text>",
            h - bottom + 16.0,
            MONTHS[i]
        );
        if !gains[i].is_zero() || !losses[i].is_zero() {
            let _ = write!(
                out,
                "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"9\" fill=\"{}\">{}</text>",
                h - bottom + 30.0,
                if net.is_sign_negative() {
                    "#b3261e"
                } else {
                    "#1b7a3a"
                },
                money(net)
            );
        }
    }
    let _ = write!(
        out,
        "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{zero:.1}\" y2=\"{zero:.1}\" stroke=\"#202124\" stroke-width=\"1\"/></svg>",
        w - left
    );
}

/// One horizontal bar per label: gains to the right of the zero line, losses to
/// the left, the net written at the end.
fn asset_chart(out: &mut String, label: &str, items: &[(String, Decimal, Decimal)]) {
    let (w, row, top, name_w, value_w) = (560.0, 26.0, 8.0, 90.0, 96.0);
    let h = top * 2.0 + row * items.len().max(1) as f64;
    let max_up = items.iter().map(|i| f(i.1)).fold(0.0, f64::max);
    let max_down = items.iter().map(|i| -f(i.2)).fold(0.0, f64::max);
    let span = (max_up + max_down).max(1.0);
    let plot = w - name_w - value_w;
    let zero = name_w + plot * max_down / span;
    let _ = write!(
        out,
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(label)
    );
    for (i, (name, gain, loss)) in items.iter().enumerate() {
        let y = top + row * i as f64;
        let bh = row * 0.64;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#202124\">{}</text>",
            name_w - 8.0,
            y + row * 0.55,
            esc(name)
        );
        let g = f(*gain);
        if g > 0.0 {
            let bw = plot * g / span;
            let _ = write!(
                out,
                "<rect x=\"{zero:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{bh:.1}\" fill=\"#1b7a3a\"><title>{} gains {}</title></rect>",
                y + row * 0.18,
                esc(name),
                money(*gain)
            );
        }
        let l = -f(*loss);
        if l > 0.0 {
            let bw = plot * l / span;
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{bh:.1}\" fill=\"#b3261e\"><title>{} losses {}</title></rect>",
                zero - bw,
                y + row * 0.18,
                esc(name),
                money(*loss)
            );
        }
        let net = *gain + *loss;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{}\">{}</text>",
            w - 4.0,
            y + row * 0.55,
            if net.is_sign_negative() {
                "#b3261e"
            } else {
                "#1b7a3a"
            },
            money(net)
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{zero:.1}\" x2=\"{zero:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#202124\" stroke-width=\"1\"/></svg>",
        top / 2.0,
        h - top / 2.0
    );
}

fn totals_row(out: &mut String, name: &str, t: &Totals) {
    let _ = write!(
        out,
        "<tr><td>{}</td>{}{}{}{}</tr>",
        esc(name),
        num_td(t.proceeds),
        num_td(t.cost_basis),
        num_td(t.adjustment),
        money_td(t.gain)
    );
}

/// A box's rows; with `trail_from`, each disposal id links to its trail
/// (`#trail-N`, N counting from `trail_from`).
fn form_8949_rows(out: &mut String, lines: Lines<'_>, totals: &Totals, trail_from: Option<usize>) {
    out.push_str("<table><thead><tr><th>(a) Description</th><th>(b) Acquired</th><th>(c) Sold</th><th class=\"n\">(d) Proceeds</th><th class=\"n\">(e) Cost basis</th><th>(f) Code</th><th class=\"n\">(g) Adjustment</th><th class=\"n\">(h) Gain or (loss)</th><th>Disposal</th><th>Lot</th><th>Account</th></tr></thead><tbody>");
    for (k, l) in lines.iter().enumerate() {
        let disposal = match trail_from {
            Some(n) => format!("<a href=\"#trail-{}\">{}</a>", n + k, esc(l.disposal_id)),
            None => esc(l.disposal_id),
        };
        let _ = write!(
            out,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td>{}{}<td>{}</td><td class=\"n\">{}</td>{}<td class=\"id\">{}</td><td class=\"id\">{}</td><td>{}</td></tr>",
            esc(&l.description()),
            match l.basis_rule.note() {
                "" => String::new(),
                n => format!("<br><small>{}</small>", esc(n)),
            },
            l.acquired_cell(),
            super::UsDate(l.date_sold),
            num_td(l.proceeds),
            num_td(l.cost_basis),
            esc(&l.adjustment_code),
            if l.adjustment_code.is_empty() {
                String::new()
            } else {
                money(l.adjustment)
            },
            money_td(l.gain),
            disposal,
            esc(l.lot_id),
            esc(l.account)
        );
    }
    let _ = write!(
        out,
        "</tbody><tfoot><tr class=\"total\"><td colspan=\"3\">Totals</td>{}{}<td></td>{}{}<td colspan=\"3\"></td></tr></tfoot></table>",
        num_td(totals.proceeds),
        num_td(totals.cost_basis),
        num_td(totals.adjustment),
        money_td(totals.gain)
    );
}

/// A page's what-if notice, one paragraph per reason.
fn what_if(out: &mut String, reasons: &[String]) {
    for r in reasons {
        let _ = write!(
            out,
            "<p class=\"whatif\"><strong>{}</strong></p>",
            esc(&super::what_if_line(r))
        );
    }
}

/// `harvest report --format html`.
pub fn report(w: &mut dyn Write, v: &ReportView<'_>) -> io::Result<()> {
    let mut out = String::with_capacity(16_384 + v.lines.len() * 400);
    head(
        &mut out,
        &format!("Form 8949 and Schedule D, tax year {}", v.year),
    );
    let s = &v.schedule_d;
    let _ = write!(
        out,
        "<header><h1>Capital gains and losses, tax year {}</h1><p class=\"meta\">Form 8949 and Schedule D data for digital assets. Lot method {}, scope {}, filing status {}{}.</p></header>",
        v.year,
        esc(v.method),
        esc(v.scope),
        esc(v.filing_status),
        match v.taxable_income {
            Some(ti) => format!(", taxable income {}", money(ti)),
            None => String::new(),
        }
    );
    what_if(&mut out, &v.what_if);
    let q = &v.question;
    let _ = write!(
        out,
        "<section id=\"question\"><h2>Form 1040: the digital-asset question</h2><p>At any time during {}, did you receive (as a reward, award, or payment for property or services), or sell, exchange, or otherwise dispose of a digital asset? <strong>{}</strong></p><ul>",
        q.year,
        if q.yes { "Yes" } else { "No" }
    );
    for (yes, r) in q.reasons() {
        let _ = write!(
            out,
            "<li>{} {}: {} (first {}:{}, id {})</li>",
            if yes { "Yes:" } else { "Not by itself:" },
            esc(r.what),
            r.count,
            esc(r.first.file),
            r.first.line,
            esc(r.first.id)
        );
    }
    out.push_str("</ul></section>");
    if !v.warnings.is_empty() {
        out.push_str("<section id=\"warnings\"><h2>Warnings of this run</h2><ul>");
        for (kind, count, examples) in &v.warnings {
            for e in examples {
                let _ = write!(out, "<li>{}</li>", esc(e));
            }
            if *count > examples.len() {
                let _ = write!(
                    out,
                    "<li>... and {} more ({})</li>",
                    count - examples.len(),
                    esc(kind)
                );
            }
        }
        out.push_str("</ul></section>");
    }
    out.push_str("<section id=\"summary\"><div class=\"cards\">");
    card(&mut out, "Net short-term (line 7)", s.line_7, true);
    card(&mut out, "Net long-term (line 15)", s.line_15, true);
    card(
        &mut out,
        "Net capital gain or (loss) (line 16)",
        s.line_16,
        true,
    );
    card(
        &mut out,
        "Loss deducted this year (line 21)",
        s.line_21,
        true,
    );
    card(
        &mut out,
        &format!("Carryover to {}", v.year + 1),
        s.carryover_next_year.short_term + s.carryover_next_year.long_term,
        false,
    );
    out.push_str("</div>");
    out.push_str("<table><thead><tr><th></th><th class=\"n\">Proceeds</th><th class=\"n\">Cost basis</th><th class=\"n\">Adjustment</th><th class=\"n\">Gain or (loss)</th></tr></thead><tbody>");
    totals_row(&mut out, "Short-term (Part I)", &v.short_term);
    totals_row(&mut out, "Long-term (Part II)", &v.long_term);
    out.push_str("</tbody></table></section>");

    // Schedule D.
    let _ = write!(
        out,
        "<section id=\"schedule-d\"><h2>Schedule D ({})</h2><table><thead><tr><th>Line</th><th>Description</th><th class=\"n\">Amount</th></tr></thead><tbody>",
        v.year
    );
    let lines = super::schedule_d_lines(v);
    for (n, label, amt) in lines {
        let _ = write!(
            out,
            "<tr><td>{n}</td><td>{}</td>{}</tr>",
            esc(&label),
            money_td(amt)
        );
    }
    let _ = write!(
        out,
        "</tbody></table><p class=\"note\">Carryover to {}: short-term {}, long-term {}{}.</p></section>",
        v.year + 1,
        money(s.carryover_next_year.short_term),
        money(s.carryover_next_year.long_term),
        match v.taxable_income {
            Some(_) => " (Capital Loss Carryover Worksheet with the taxable income given)",
            None => " (assuming taxable income of at least the deduction)",
        }
    );

    // Charts.
    let mut gains = [Decimal::ZERO; 12];
    let mut losses = [Decimal::ZERO; 12];
    let mut by_asset: BTreeMap<&str, (Decimal, Decimal)> = BTreeMap::new();
    for l in &v.lines {
        let m = l.date_sold.month0() as usize;
        let e = by_asset.entry(l.asset).or_default();
        if l.gain.is_sign_negative() {
            losses[m] += l.gain;
            e.1 += l.gain;
        } else {
            gains[m] += l.gain;
            e.0 += l.gain;
        }
    }
    out.push_str("<section id=\"charts\"><h2>Realized gain and loss</h2><div class=\"charts\"><div class=\"chart\"><h3>By month sold</h3>");
    month_chart(&mut out, &gains, &losses);
    out.push_str("</div><div class=\"chart\"><h3>By asset</h3>");
    let items: Vec<(String, Decimal, Decimal)> = by_asset
        .into_iter()
        .map(|(a, (g, l))| (a.to_string(), g, l))
        .collect();
    asset_chart(&mut out, "Realized gain and loss by asset", &items);
    out.push_str("</div></div><p class=\"note\">Green: gains; red: losses; the number is the net.</p></section>");

    // Form 8949.
    let _ = write!(
        out,
        "<section id=\"form-8949\"><h2>Form 8949 ({})</h2>",
        v.year
    );
    if v.boxes.is_empty() {
        let _ = write!(out, "<p>No disposals in {}.</p>", v.year);
    }
    if let Some(sum) = &v.summary {
        out.push_str("<h3>Exception 2: one row per box and account</h3><table><thead><tr><th>Box</th><th>(a) Description</th><th class=\"n\">(d) Proceeds</th><th class=\"n\">(e) Basis</th><th>(f) Code</th><th class=\"n\">(g) Adjustment</th><th class=\"n\">(h) Gain</th><th class=\"n\">Rows</th></tr></thead><tbody>");
        for r in sum {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td>{}{}<td>{}</td>{}{}<td class=\"n\">{}</td></tr>",
                r.box_.as_str(),
                esc(&r.description()),
                money_td(r.proceeds),
                money_td(r.cost_basis),
                esc(&r.code),
                money_td(r.adjustment),
                money_td(r.gain),
                r.rows
            );
        }
        out.push_str("</tbody></table><h3>Attached statement</h3>");
    }
    if let Some(e) = &v.exception_1 {
        let _ = write!(
            out,
            "<p class=\"note\">Exception 1: {} that a Form 1099-DA reports with basis and that need no adjustment are not on Form 8949: short-term gain {} on Schedule D line 1a, long-term gain {} on line 8a.</p>",
            super::count(e.lines.len(), "row"),
            money(e.short_term.gain),
            money(e.long_term.gain)
        );
    }
    let mut start = 0;
    let mut part = None;
    for b in &v.boxes {
        let lines = v.lines.slice(start..start + b.rows);
        start += b.rows;
        let this = b.box_.term();
        if part != Some(this) {
            part = Some(this);
            out.push_str(match this {
                Term::Short => "<h3>Part I: short-term</h3>",
                Term::Long => "<h3>Part II: long-term</h3>",
            });
        }
        let _ = write!(
            out,
            "<p><strong>Box {}</strong> ({}): {} row{}</p>",
            b.box_,
            esc(box_label(b.box_.as_str())),
            b.rows,
            if b.rows == 1 { "" } else { "s" }
        );
        let trail_from = (!v.trails.is_empty()).then_some(start - b.rows);
        form_8949_rows(&mut out, lines, &b.totals, trail_from);
    }
    out.push_str("</section>");
    trails_section(&mut out, &v.trails);
    if let Some(st) = &v.statement {
        statement_section(&mut out, st);
    }
    transfers_section(&mut out, &v.transfers);
    if let Some(inc) = &v.income {
        income_section(&mut out, inc);
    }
    foot(&mut out);
    w.write_all(out.as_bytes())
}

/// The year's income from digital assets: where it goes, by category, asset
/// and month, and every row.
fn income_section(out: &mut String, s: &crate::tax::IncomeSummary<'_>) {
    let _ = write!(
        out,
        "<section id=\"income\"><h2>Income from digital assets ({})</h2>",
        s.year
    );
    out.push_str("<div class=\"cards\">");
    card(out, "Total ordinary income", s.total, false);
    card(out, "Schedule 1, line 8v", s.schedule_1_line_8v, false);
    if !s.business.is_empty() || !s.schedule_c.is_zero() {
        card(out, "Schedule C (self-employment)", s.schedule_c, false);
    }
    out.push_str("</div>");
    if s.rows.is_empty() {
        let _ = write!(out, "<p>No income rows in {}.</p>", s.year);
    } else {
        out.push_str("<div class=\"charts\"><div class=\"chart\"><h3>By category</h3><table><thead><tr><th>Category</th><th>Goes on</th><th class=\"n\">Amount</th></tr></thead><tbody>");
        for (c, v) in s.by_category.iter().filter(|(_, v)| !v.is_zero()) {
            let on = if s.business.contains(c) {
                crate::tax::Schedule::ScheduleC
            } else {
                crate::tax::Schedule::Line8v
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td>{}</tr>",
                c.as_str(),
                on.label(),
                num_td(*v)
            );
        }
        out.push_str("</tbody></table></div><div class=\"chart\"><h3>By asset</h3><table><thead><tr><th>Asset</th><th class=\"n\">Quantity</th><th class=\"n\">Amount</th></tr></thead><tbody>");
        for (a, v) in &s.by_asset {
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"n\">{}</td>{}</tr>",
                esc(a),
                super::qty(v.quantity),
                num_td(v.usd_value)
            );
        }
        out.push_str("</tbody></table></div><div class=\"chart\"><h3>By month</h3><table><thead><tr><th>Month</th><th class=\"n\">Amount</th></tr></thead><tbody>");
        for (m, v) in s.by_month.iter().enumerate().filter(|(_, v)| !v.is_zero()) {
            let _ = write!(
                out,
                "<tr><td>{}-{:02}</td>{}</tr>",
                s.year,
                m + 1,
                num_td(*v)
            );
        }
        out.push_str("</tbody></table></div></div>");
        out.push_str("<table><thead><tr><th>Date</th><th>Id (lot)</th><th>Account</th><th>Asset</th><th>Category</th><th class=\"n\">Quantity</th><th class=\"n\">Fair value</th></tr></thead><tbody>");
        for r in &s.rows {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>{}</tr>",
                r.date,
                esc(r.id),
                esc(r.account),
                esc(r.asset),
                r.category.as_str(),
                super::qty(r.quantity),
                num_td(r.usd_value)
            );
        }
        let _ = write!(
            out,
            "<tr class=\"total\"><td>Total</td><td></td><td></td><td></td><td></td><td></td>{}</tr></tbody></table>",
            num_td(s.total)
        );
    }
    if !s.forms.is_empty() {
        out.push_str("<h3>Forms 1099-MISC</h3><table><thead><tr><th>Account</th><th class=\"n\">Form</th><th class=\"n\">Ledger</th><th class=\"n\">Difference</th></tr></thead><tbody>");
        for f in &s.forms {
            let _ = write!(
                out,
                "<tr><td>{}</td>{}{}{}</tr>",
                esc(&f.account),
                num_td(f.form),
                num_td(f.ledger),
                num_td(f.difference)
            );
        }
        out.push_str("</tbody></table>");
    }
    for n in s.notes() {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(&n));
    }
    out.push_str("</section>");
}

/// The settings and files that decided the figures.
fn statement_section(out: &mut String, st: &crate::statement::Statement) {
    out.push_str("<section id=\"settings\"><h2>Settings of this run</h2><p class=\"note\">What decided these figures: a later run with the same settings on files with the same SHA-256 gives the same numbers.</p><table><tbody>");
    let orders = if st.standing_orders.is_empty() {
        "none".to_string()
    } else {
        st.standing_orders
            .iter()
            .map(crate::statement::OrderLine::describe)
            .collect::<Vec<_>>()
            .join("; ")
    };
    let allocation = st.allocation.as_ref().map_or_else(
        || "none (no transition)".to_string(),
        |(date, rule, named)| {
            format!(
                "{rule} on {date}{}",
                if *named {
                    ""
                } else {
                    " (the default: no rule named)"
                }
            )
        },
    );
    let prices = if st.price_sources.is_empty() {
        "none given".to_string()
    } else {
        st.price_sources
            .iter()
            .map(|(src, n)| format!("{src}: {n} amounts valued"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let wash = if st.wash_window == 0 {
        "off (current law for digital assets)".to_string()
    } else {
        format!("{} days (a what-if)", st.wash_window)
    };
    for (k, v) in [
        ("harvest version", st.version.to_string()),
        ("Lot method", st.method.to_string()),
        ("Scope", st.scope.to_string()),
        ("Missing basis", st.missing_basis.to_string()),
        ("Wash-sale window", wash),
        (
            "Late identification",
            if st.late_identification {
                "on (a what-if)"
            } else {
                "off"
            }
            .to_string(),
        ),
        ("Time zone", st.tz.clone()),
        ("Standing orders", orders),
        ("Allocation", allocation),
        ("Price sources", prices),
    ] {
        let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    out.push_str("</tbody></table><h3>Files read</h3><table><thead><tr><th>Role</th><th>File</th><th class=\"n\">Bytes</th><th>SHA-256</th></tr></thead><tbody>");
    for (role, f) in st.files() {
        let _ = write!(
            out,
            "<tr><td>{role}</td><td>{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
            esc(&f.name),
            f.bytes.map_or_else(|| "-".to_string(), |b| b.to_string()),
            f.sha256
                .as_deref()
                .unwrap_or("(standard input: not summed)")
        );
    }
    out.push_str("</tbody></table>");
    if !st.notes.is_empty() {
        out.push_str("<h3>Notes</h3><ul>");
        for n in &st.notes {
            let _ = write!(out, "<li>{}</li>", esc(n));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}

/// Each Form 8949 row's audit trail, anchored `trail-N` (N its line).
fn trails_section(out: &mut String, trails: &[crate::tax::audit::Trail<'_>]) {
    if trails.is_empty() {
        return;
    }
    out.push_str("<section id=\"audit\"><h2>Audit trail</h2><p class=\"note\">Each Form 8949 row above links here: the lot's source row (input file and line, and its id), and every transfer that carried its units to the account that sold them.</p><table><thead><tr><th>Row</th><th>Disposal</th><th>Lot and its source</th><th>Transfers</th><th>Warnings</th></tr></thead><tbody>");
    for (n, t) in trails.iter().enumerate() {
        let moves: Vec<String> = t
            .moves
            .iter()
            .map(|m| {
                let mut s = format!(
                    "{} {} &rarr; {}: {} {} ({}:{}, id {})",
                    m.date,
                    esc(m.from),
                    esc(m.to),
                    super::qty(m.quantity),
                    esc(t.asset),
                    esc(m.source.file),
                    m.source.line,
                    esc(m.source.id)
                );
                if !m.fee_lost.is_zero() {
                    s += &format!(", network fee took {}", super::qty(m.fee_lost));
                }
                s
            })
            .collect();
        let _ = write!(
            out,
            "<tr id=\"trail-{n}\"><td>{}</td><td>{} {} sold {} in {} ({}:{}, id {})</td><td>{} {} in {} on {} ({}:{}, id {})</td><td>{}</td><td>{}</td></tr>",
            n + 1,
            super::qty(t.quantity),
            esc(t.asset),
            t.date_sold,
            esc(t.account_sold),
            esc(t.disposal.file),
            t.disposal.line,
            esc(t.disposal.id),
            t.acquired_by.as_str(),
            esc(t.lot.id),
            esc(t.account_acquired),
            t.date_acquired,
            esc(t.lot.file),
            t.lot.line,
            esc(t.lot.id),
            if moves.is_empty() {
                "none: sold where acquired".to_string()
            } else {
                moves.join("<br>")
            },
            esc(&t.flags.join(", "))
        );
    }
    out.push_str("</tbody></table></section>");
}

/// Gifts received and inherited, gifts given, donations (Form 8283's columns)
/// and losses of the year.
fn transfers_section(out: &mut String, t: &crate::tax::Transfers<'_>) {
    if t.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<section id=\"gifts\"><h2>Gifts, inheritances, donations and losses ({})</h2><p class=\"note\">None of these is a sale: no Form 8949 row.</p>",
        t.year
    );
    if !t.received.is_empty() {
        out.push_str("<h3>Received</h3><table><thead><tr><th>Date</th><th>Id (lot)</th><th>Kind</th><th>Asset</th><th class=\"n\">Quantity</th><th>Acquired</th><th class=\"n\">Basis</th><th class=\"n\">Fair value</th></tr></thead><tbody>");
        for r in &t.received {
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"id\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td>{}<td class=\"n\">{}</td></tr>",
                r.date,
                esc(r.id),
                r.kind.as_str(),
                esc(r.asset),
                super::qty(r.quantity),
                r.acquired,
                num_td(r.basis),
                match (r.fair_value, r.dual_basis) {
                    (Some(v), true) => format!("{} (dual basis)", money(v)),
                    (Some(v), false) => money(v),
                    (None, _) => String::new(),
                }
            );
        }
        out.push_str("</tbody></table>");
    }
    let removals = |out: &mut String,
                    title: &str,
                    rows: &[crate::tax::gifts::RemovalLine<'_>],
                    deduction: bool| {
        let _ = write!(
            out,
            "<h3>{}</h3><table><thead><tr><th>Date</th><th>Id</th><th>To / note</th><th>Asset</th><th class=\"n\">Quantity</th><th>Acquired</th><th>How acquired</th><th>Term</th><th class=\"n\">Basis</th><th class=\"n\">Fair value</th>{}</tr></thead><tbody>",
            esc(title),
            if deduction {
                "<th class=\"n\">Deduction</th>"
            } else {
                ""
            }
        );
        for r in rows {
            for l in &r.lots {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td class=\"id\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td>{}{}{}</tr>",
                    r.date,
                    esc(r.id),
                    esc(&match r.category {
                        Some(c) => format!("{} ({c})", r.recipient),
                        None => r.recipient.to_string(),
                    }),
                    esc(r.asset),
                    super::qty(l.quantity),
                    l.date_acquired,
                    l.how_acquired,
                    l.term.as_str(),
                    num_td(l.basis),
                    num_td(l.fair_value),
                    if deduction {
                        num_td(l.deduction)
                    } else {
                        String::new()
                    }
                );
            }
        }
        out.push_str("</tbody></table>");
    };
    if !t.gifts.is_empty() {
        removals(out, "Gifts given", &t.gifts, false);
    }
    if !t.donations.is_empty() {
        removals(
            out,
            &format!(
                "Donations: deduction {} (Form 8283 {})",
                money(t.deduction),
                if t.form_8283_required {
                    "required"
                } else {
                    "not required"
                }
            ),
            &t.donations,
            true,
        );
    }
    if !t.lost.is_empty() {
        removals(
            out,
            "Lost, stolen or scammed (no deduction)",
            &t.lost,
            false,
        );
    }
    for n in t.notes() {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(&n));
    }
    out.push_str("</section>");
}

/// `harvest income --format html`.
pub fn income(w: &mut dyn Write, s: &crate::tax::IncomeSummary<'_>) -> io::Result<()> {
    let mut out = String::with_capacity(8_192 + s.rows.len() * 300);
    head(
        &mut out,
        &format!("Income from digital assets, tax year {}", s.year),
    );
    let _ = write!(
        out,
        "<header><h1>Income from digital assets, tax year {}</h1><p class=\"meta\">Staking, mining, rewards, airdrops, interest and forks: ordinary income at fair value when received.</p></header>",
        s.year
    );
    income_section(&mut out, s);
    foot(&mut out);
    w.write_all(out.as_bytes())
}

/// `harvest scan --format html`.
pub fn scan(w: &mut dyn Write, v: &ScanView<'_>) -> io::Result<()> {
    let mut out = String::with_capacity(16_384 + v.lines.len() * 400);
    head(
        &mut out,
        &format!("Tax-loss harvest scan as of {}", v.as_of),
    );
    let _ = write!(
        out,
        "<header><h1>Tax-loss harvest scan, {}</h1><p class=\"meta\">Tax year {}, {} days left. Lot method {}, filing status {}.</p></header>",
        v.as_of,
        v.year,
        v.days_left,
        esc(v.method),
        esc(v.filing_status)
    );
    what_if(&mut out, &v.what_if);
    out.push_str("<section id=\"summary\"><div class=\"cards\">");
    card(&mut out, "Net so far (line 16)", v.before.line_16, true);
    card(&mut out, "Loss available", -v.loss_available, true);
    card(&mut out, "Plan realizes", v.plan_st + v.plan_lt, true);
    card(&mut out, "Net after the plan", v.after.line_16, true);
    card(&mut out, "Estimated tax saved", v.tax_saved, false);
    if let Some(c) = &v.costs {
        card(&mut out, "Net of costs", c.tax_saved_net, false);
    }
    out.push_str(
        "</div><table><thead><tr><th></th><th class=\"n\">Amount</th></tr></thead><tbody>",
    );
    // (label, amount, colored as a gain or loss)
    let mut rows: Vec<(&str, Decimal, bool)> = vec![
        ("Short-term gains so far", v.realized_st, true),
        ("Long-term gains so far", v.realized_lt, true),
        (
            "Carryover in",
            -(v.carryover_in.short_term + v.carryover_in.long_term),
            true,
        ),
        ("Net so far (Schedule D line 16)", v.before.line_16, true),
        ("Loss needed", v.loss_needed, false),
        ("Loss available in candidates", v.loss_available, false),
        ("Plan realizes, short-term", v.plan_st, true),
        ("Plan realizes, long-term", v.plan_lt, true),
        ("Net after the plan", v.after.line_16, true),
        ("Deducted this year (line 21)", v.after.line_21, true),
        ("Estimated tax saved", v.tax_saved, false),
    ];
    let later = v.gains.as_ref().map(|g| g.later_tax_saved());
    if let Some(later) = later.filter(|x| !x.is_zero()) {
        rows.push(("Saved on a later sale (basis stepped up)", later, false));
    }
    if let Some(c) = &v.costs {
        rows.push(("Costs (fees and spread, sale and buy-back)", c.total, false));
        rows.push(("Net saving", c.tax_saved_net, false));
    }
    for (k, x, colored) in rows {
        let cell = if colored { money_td(x) } else { num_td(x) };
        let _ = write!(out, "<tr><td>{}</td>{cell}</tr>", esc(k));
    }
    let _ = write!(
        out,
        "</tbody></table><p class=\"note\">Carried to {}: short-term {}, long-term {}. Tax priced at {}.</p></section>",
        v.year + 1,
        money(v.carryover_after.short_term),
        money(v.carryover_after.long_term),
        esc(&v.tax_basis)
    );
    scenario(&mut out, v);

    // Unrealized loss per asset, and the part the plan sells.
    let mut by_asset: BTreeMap<&str, (Decimal, Decimal)> = BTreeMap::new();
    for l in &v.lines {
        by_asset.entry(l.asset).or_default().1 += l.unrealized;
    }
    for s in &v.sales {
        by_asset.entry(s.asset).or_default().0 += s.specific;
    }
    out.push_str("<section id=\"charts\"><h2>Unrealized loss per asset</h2><div class=\"charts\"><div class=\"chart\">");
    let items: Vec<(String, Decimal, Decimal)> = by_asset
        .iter()
        .map(|(a, (_, u))| (a.to_string(), Decimal::ZERO, *u))
        .collect();
    asset_chart(&mut out, "Unrealized loss per asset", &items);
    out.push_str("</div></div><table><thead><tr><th>Asset</th><th class=\"n\">Unrealized loss</th><th class=\"n\">Realized by the plan</th></tr></thead><tbody>");
    for (a, (plan, u)) in &by_asset {
        let _ = write!(
            out,
            "<tr><td>{}</td>{}{}</tr>",
            esc(a),
            money_td(*u),
            money_td(*plan)
        );
    }
    out.push_str("</tbody></table></section>");

    // The plan.
    out.push_str("<section id=\"plan\"><h2>The plan</h2>");
    if v.sales.is_empty() {
        out.push_str("<p>Nothing to sell.</p>");
    } else {
        let costs = v.costs.is_some();
        let _ = write!(
            out,
            "<table><thead><tr><th>Account</th><th>Asset</th><th class=\"n\">Quantity</th><th class=\"n\">Price</th><th class=\"n\">{}</th><th class=\"n\">Realized (these lots)</th><th class=\"n\">Realized ({})</th>{}</tr></thead><tbody>",
            if costs { "Proceeds (net)" } else { "Proceeds" },
            esc(v.method),
            if costs {
                "<th class=\"n\">Tax saved</th><th class=\"n\">Costs</th><th class=\"n\">Net saving</th>"
            } else {
                ""
            }
        );
        for s in &v.sales {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>{}{}{}",
                esc(s.account),
                esc(s.asset),
                qty(s.quantity),
                price(s.price),
                num_td(if costs { s.net_proceeds } else { s.proceeds }),
                money_td(s.specific),
                money_td(s.by_method)
            );
            if costs {
                let _ = write!(
                    out,
                    "{}{}{}",
                    num_td(s.tax_saved),
                    num_td(s.costs.total()),
                    money_td(s.net_saving())
                );
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        for s in &v.sales {
            let _ = write!(
                out,
                "<p class=\"why\"><b>Why {} from {}:</b> {}</p>",
                esc(s.asset),
                esc(s.account),
                esc(&s.why)
            );
        }
    }
    if let Some(g) = v.gains.as_ref().filter(|g| g.any_gain()) {
        scan_gains(&mut out, g);
    }
    for n in &v.notes {
        let _ = write!(out, "<p class=\"note\">Note: {}</p>", esc(n));
    }
    out.push_str("</section>");

    // Candidates.
    let _ = write!(
        out,
        "<section id=\"candidates\"><h2>Candidates ({})</h2>",
        v.lines.len()
    );
    if v.shown < v.lines.len() {
        let _ = write!(
            out,
            "<p class=\"note\">The {} with the largest losses; --top N or --all shows more, and --format csv or json lists every one.</p>",
            v.shown
        );
    }
    if !v.lines.is_empty() {
        out.push_str("<table><thead><tr><th>Asset</th><th>Account</th><th>Lot</th><th>Acquired</th><th class=\"n\">Quantity</th><th class=\"n\">Basis</th><th class=\"n\">Price</th><th class=\"n\">Value</th><th class=\"n\">Unrealized</th><th>Term</th><th>Long-term on</th><th>Wash risk</th><th class=\"n\">Sell</th></tr></thead><tbody>");
        for l in &v.lines[..v.shown] {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"id\">{}</td><td>{}</td><td class=\"n\">{}</td>{}<td class=\"n\">{}</td>{}{}<td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                esc(l.asset),
                esc(l.account),
                esc(l.lot_id),
                l.date_acquired,
                qty(l.quantity),
                num_td(l.cost_basis),
                price(l.price),
                num_td(l.value),
                money_td(l.unrealized),
                l.term.as_str(),
                l.long_term_on.map_or(String::new(), |d| {
                    if l.turns_long_soon {
                        format!("{d} (soon)")
                    } else {
                        d.to_string()
                    }
                }),
                esc(l.wash_risk),
                if l.recommended.is_zero() {
                    String::new()
                } else {
                    qty(l.recommended)
                }
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
    foot(&mut out);
    w.write_all(out.as_bytes())
}

/// The scan's scenario sections (issue 25 item 6): Schedule D before and
/// after the plan, the tax by bracket before and after, the plan's loss used
/// this year and carried, and with `--compare` what changed.
fn scenario(out: &mut String, v: &ScanView<'_>) {
    // Schedule D lines 7, 15, 16 and 21.
    out.push_str("<section id=\"schedule-d\"><h2>Schedule D before and after the plan</h2><table><thead><tr><th>Line</th><th></th><th class=\"n\">Before</th><th class=\"n\">After</th><th class=\"n\">Change</th></tr></thead><tbody>");
    let limit = money(v.loss_limit);
    let lines = [
        (
            "7",
            "Net short-term capital gain or (loss)".to_string(),
            v.before.line_7,
            v.after.line_7,
        ),
        (
            "15",
            "Net long-term capital gain or (loss)".to_string(),
            v.before.line_15,
            v.after.line_15,
        ),
        (
            "16",
            "Lines 7 and 15 combined".to_string(),
            v.before.line_16,
            v.after.line_16,
        ),
        (
            "21",
            format!("Capital loss deducted this year (at most {limit})"),
            v.before.line_21,
            v.after.line_21,
        ),
    ];
    for (n, label, b, a) in lines {
        let _ = write!(
            out,
            "<tr class=\"line\"><td>{n}</td><td>{}</td>{}{}{}</tr>",
            esc(&label),
            money_td(b),
            money_td(a),
            money_td(a - b)
        );
    }
    out.push_str("</tbody></table></section>");

    // The tax by bracket.
    let br = &v.scenario.brackets;
    use crate::tax::rates::{SliceKind, TaxSlice};
    let name = |k: SliceKind| match (k, br.flat) {
        (SliceKind::Ordinary, false) => "Ordinary income",
        (SliceKind::Ordinary, true) => "Short-term gains and the loss deduction",
        (SliceKind::Collectibles, _) => "28% rate gain (collectibles)",
        (SliceKind::LongTerm, _) => "Long-term gains",
        (SliceKind::Niit, _) => "Net investment income tax",
    };
    let _ = write!(
        out,
        "<section id=\"brackets\"><h2>Tax by bracket</h2><p class=\"note\">{}</p><table><thead><tr><th>Taxed as</th><th class=\"n\">Rate</th><th class=\"n\">Income before</th><th class=\"n\">Tax before</th><th class=\"n\">Income after</th><th class=\"n\">Tax after</th></tr></thead><tbody>",
        if br.flat {
            "The tax on this year's capital result at the flat marginal rates (--st-rate, --lt-rate): the loss deduction is a negative amount, saving tax at the short-term rate."
        } else {
            "The federal tax of the year: ordinary income (with short-term gains and the loss deduction) by the brackets, the 28% rate gain, long-term gains in the 0/15/20% bands stacked on top, and the 3.8% NIIT."
        }
    );
    // The slices of either side, in order, each kind and rate once.
    let mut keys: Vec<(SliceKind, Decimal)> = Vec::new();
    for sl in br.before.iter().chain(&br.after) {
        if !keys.contains(&(sl.kind, sl.rate)) {
            keys.push((sl.kind, sl.rate));
        }
    }
    let order = |k: SliceKind| match k {
        SliceKind::Ordinary => 0,
        SliceKind::Collectibles => 1,
        SliceKind::LongTerm => 2,
        SliceKind::Niit => 3,
    };
    keys.sort_by_key(|&(k, r)| (order(k), r));
    let find = |side: &[TaxSlice], k: SliceKind, r: Decimal| {
        side.iter()
            .find(|s| s.kind == k && s.rate == r)
            .map_or((Decimal::ZERO, Decimal::ZERO), |s| (s.amount, s.tax))
    };
    for (k, r) in keys {
        let (ab, tb) = find(&br.before, k, r);
        let (aa, ta) = find(&br.after, k, r);
        let pct = crate::tax::rates::percent(r);
        let _ = write!(
            out,
            "<tr class=\"slice\"><td>{}</td><td class=\"n\">{pct}</td>{}{}{}{}</tr>",
            name(k),
            num_td(ab),
            num_td(tb),
            num_td(aa),
            num_td(ta)
        );
    }
    let _ = write!(
        out,
        "<tr class=\"total\"><td>Total</td><td></td><td></td>{}<td></td>{}</tr></tbody></table><p class=\"note\">Tax saved: {}.</p></section>",
        num_td(v.tax_before),
        num_td(v.tax_after),
        money(v.tax_saved)
    );

    // The plan's loss: used this year and carried.
    out.push_str("<section id=\"loss-use\"><h2>The plan's loss: used this year and carried</h2>");
    let loss = v.loss_used + v.loss_carried;
    if loss.is_zero() {
        out.push_str("<p>The plan realizes no net loss.</p>");
    } else {
        loss_chart(
            out,
            &[
                (format!("Used in {}", v.year), v.loss_used, "#1b7a3a"),
                (
                    format!("Carried to {}", v.year + 1),
                    v.loss_carried,
                    "#5f6368",
                ),
            ],
        );
        let _ = write!(
            out,
            "<p class=\"note\">Of the plan's net loss of {}: {} used this year, {} carried to {} (worth {} then at {}%, --future-rate).</p>",
            money(loss),
            money(v.loss_used),
            money(v.loss_carried),
            v.year + 1,
            money(v.carryover_value),
            (v.future_rate * Decimal::ONE_HUNDRED)
                .round_dp(2)
                .normalize()
        );
    }
    out.push_str("</section>");

    if let Some(c) = &v.scenario.compare {
        compare(out, c);
    }
}

/// Horizontal bars from zero, one per item, scaled to the largest, the amount
/// written after each.
fn loss_chart(out: &mut String, items: &[(String, Decimal, &str)]) {
    let (w, row, top, name_w, value_w) = (560.0, 30.0, 8.0, 120.0, 90.0);
    let h = top * 2.0 + row * items.len() as f64;
    let max = items.iter().map(|i| f(i.1)).fold(0.0, f64::max).max(1.0);
    let plot = w - name_w - value_w;
    let _ = write!(
        out,
        "<svg role=\"img\" aria-label=\"The plan's loss used this year and carried\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, (label, amount, color)) in items.iter().enumerate() {
        let y = top + row * i as f64;
        let bw = plot * f(*amount).max(0.0) / max;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#202124\">{}</text><rect x=\"{name_w}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{color}\"><title>{} {}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#202124\">{}</text>",
            name_w - 8.0,
            y + row * 0.6,
            esc(label),
            y + row * 0.15,
            row * 0.7,
            esc(label),
            money(*amount),
            name_w + bw + 6.0,
            y + row * 0.6,
            money(*amount)
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{name_w}\" x2=\"{name_w}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"#202124\" stroke-width=\"1\"/></svg>",
        h - top
    );
}

/// `scan --compare` as a section: the inputs that differ, the figures that
/// changed and the sales added, removed and changed.
fn compare(out: &mut String, c: &crate::plan::compare::Comparison) {
    let _ = write!(
        out,
        "<section id=\"compare\"><h2>Compared with {} (saved as of {})</h2>",
        esc(&c.file),
        esc(&c.saved_as_of)
    );
    if c.nothing_changed() && c.inputs_recorded {
        out.push_str("<p>Nothing changed: the same inputs, figures and sales.</p></section>");
        return;
    }
    if !c.inputs_recorded {
        let _ = write!(
            out,
            "<p class=\"note\">{} records no inputs (saved by an earlier harvest): only the figures and sales are compared.</p>",
            esc(&c.file)
        );
    } else if c.inputs.is_empty() {
        out.push_str("<p>Inputs: the same.</p>");
    } else {
        out.push_str("<h3>Inputs that differ</h3><table><thead><tr><th>Input</th><th>Saved</th><th>Now</th></tr></thead><tbody>");
        for i in &c.inputs {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&i.key),
                esc(&super::input_text(&i.saved)),
                esc(&super::input_text(&i.now))
            );
        }
        out.push_str("</tbody></table>");
    }
    let changed: Vec<_> = c.figures.iter().filter(|f| f.changed()).collect();
    if changed.is_empty() {
        out.push_str("<p>Figures: the same.</p>");
    } else {
        let _ = write!(
            out,
            "<h3>Figures that changed ({} others the same)</h3><table><thead><tr><th></th><th class=\"n\">Saved</th><th class=\"n\">Now</th><th class=\"n\">Change</th></tr></thead><tbody>",
            c.figures.len() - changed.len()
        );
        for f in changed {
            let _ = write!(
                out,
                "<tr><td>{}</td>{}{}{}</tr>",
                esc(f.label),
                num_td(f.saved),
                num_td(f.now),
                // A change in tax up is no gain: no color.
                num_td(f.change())
            );
        }
        out.push_str("</tbody></table>");
    }
    if c.added.is_empty() && c.removed.is_empty() && c.changed.is_empty() {
        let _ = write!(out, "<p>Sales: the same ({}).</p></section>", c.same_sales);
        return;
    }
    let _ = write!(
        out,
        "<h3>Sales that changed ({} the same)</h3><table><thead><tr><th></th><th>Account</th><th>Asset</th><th class=\"n\">Quantity saved</th><th class=\"n\">Quantity now</th><th class=\"n\">Realized saved</th><th class=\"n\">Realized now</th><th class=\"n\">Change</th></tr></thead><tbody>",
        c.same_sales
    );
    let row = |out: &mut String,
               what: &str,
               s: &crate::plan::compare::PlannedSale,
               q: (String, String),
               r: (String, String),
               change: Decimal| {
        let _ = write!(
            out,
            "<tr><td>{what}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>{}</tr>",
            esc(&s.account),
            esc(&s.asset),
            q.0,
            q.1,
            r.0,
            r.1,
            money_td(change)
        );
    };
    for s in &c.added {
        row(
            out,
            "added",
            s,
            (String::new(), qty(s.quantity)),
            (String::new(), money(s.realized)),
            s.realized,
        );
    }
    for x in &c.changed {
        row(
            out,
            "changed",
            &x.now,
            (qty(x.saved.quantity), qty(x.now.quantity)),
            (money(x.saved.realized), money(x.now.realized)),
            x.now.realized - x.saved.realized,
        );
    }
    for s in &c.removed {
        row(
            out,
            "removed",
            s,
            (qty(s.quantity), String::new()),
            (money(s.realized), String::new()),
            -s.realized,
        );
    }
    out.push_str("</tbody></table></section>");
}

/// The gains-at-0% part of the scan page: both combinations, the one taken,
/// and the lots sold and bought back with their new basis.
fn scan_gains(out: &mut String, g: &super::GainsAtZero<'_>) {
    let _ = write!(
        out,
        "<h3>Long-term gains at 0%</h3><p>Later sales priced at {}% (--lt-rate).</p><table><thead><tr><th>Plan</th><th class=\"n\">Loss realized</th><th class=\"n\">Gain at 0%</th><th class=\"n\">Saved this year</th><th class=\"n\">Carryover worth</th><th class=\"n\">Saved later</th><th class=\"n\">Costs</th><th class=\"n\">Worth</th><th></th></tr></thead><tbody>",
        (g.later_rate * Decimal::ONE_HUNDRED)
            .round_dp(2)
            .normalize()
    );
    for c in [&g.with_losses, &g.gains_only] {
        let _ = write!(
            out,
            "<tr><td>{}</td>{}{}{}{}{}{}{}<td>{}</td></tr>",
            esc(c.name),
            num_td(c.loss_realized),
            num_td(c.gain_realized),
            num_td(c.tax_saved),
            num_td(c.carryover_value),
            num_td(c.later_tax_saved),
            num_td(c.costs),
            num_td(c.value()),
            if c.name == g.chosen { "chosen" } else { "" }
        );
    }
    out.push_str("</tbody></table>");
    if g.lots.is_empty() {
        return;
    }
    out.push_str("<p>Sell and buy back at once (part of the plan above):</p><table><thead><tr><th>Account</th><th>Asset</th><th>Lot</th><th class=\"n\">Quantity</th><th class=\"n\">Basis</th><th class=\"n\">Proceeds</th><th class=\"n\">Gain</th><th class=\"n\">New basis</th></tr></thead><tbody>");
    for l in &g.lots {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"id\">{}</td><td class=\"n\">{}</td>{}{}{}{}</tr>",
            esc(l.account),
            esc(l.asset),
            esc(l.lot_id),
            qty(l.quantity),
            num_td(l.cost_basis),
            num_td(l.proceeds),
            money_td(l.gain),
            num_td(l.new_basis)
        );
    }
    out.push_str("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc("=HYPERLINK(\"a\")"), "=HYPERLINK(&quot;a&quot;)");
    }

    #[test]
    fn charts_label_with_decimal_money() {
        let mut g = [Decimal::ZERO; 12];
        let mut l = [Decimal::ZERO; 12];
        g[2] = Decimal::new(123456, 2);
        l[2] = Decimal::new(-2001, 2);
        let mut out = String::new();
        month_chart(&mut out, &g, &l);
        assert!(out.contains(">1214.55<"), "{out}");
        assert!(out.contains("Mar gains 1234.56"));
        let mut out = String::new();
        asset_chart(
            &mut out,
            "x",
            &[("<b>".into(), Decimal::ZERO, Decimal::new(-5, 0))],
        );
        assert!(out.contains("&lt;b&gt;") && !out.contains("<b>"));
    }
}
