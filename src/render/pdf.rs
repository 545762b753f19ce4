//! `report --format pdf`: the forms on paper (US Letter, portrait), as
//! searchable text in the standard Helvetica font (no font embedded, nothing
//! dated, so the same report gives the same bytes):
//!
//! - Form 8949 as a statement in the form's layout: Part I then Part II, one
//!   box per page set, columns (a)-(h), each page's totals and each box's
//!   totals (the form's line 2); with `--summary` first the Exception 2 rows;
//! - Schedule D's lines and Form 1040's digital-asset question;
//! - the Capital Loss Carryover Worksheet;
//! - the income summary (Schedule 1 line 8v, Schedule C) and the donations
//!   Form 8283 lists, when the year has any.

use std::io::{self, Write};

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use rust_decimal::Decimal;

use super::{GainLine, ReportView, money, qty};

/// Letter, in points.
const WIDTH: f32 = 612.0;
const HEIGHT: f32 = 792.0;
const MARGIN: f32 = 36.0;
/// Row height and font size of the tables.
const ROW: f32 = 11.0;
const SIZE: f32 = 7.5;
/// Form 8949 rows on one page.
const ROWS_PER_PAGE: usize = 52;

/// Helvetica's advance widths (per 1000 em) of the printable ASCII characters.
const WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 222, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// `text` as the standard encoding can show it: printable ASCII, anything
/// else as `?`.
fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect()
}

/// The width of `text` (ASCII) at `size`.
fn width(text: &str, size: f32) -> f32 {
    text.bytes()
        .map(|b| {
            WIDTHS
                .get(usize::from(b.wrapping_sub(32)))
                .copied()
                .unwrap_or(556)
        })
        .map(f32::from)
        .sum::<f32>()
        * size
        / 1000.0
}

/// `text` cut (with `~`) to fit `max` points at `size`.
fn fit(text: &str, size: f32, max: f32) -> String {
    let t = ascii(text);
    if width(&t, size) <= max {
        return t;
    }
    // Measured as it grows: a long cell costs one pass, not one per character.
    let room = max - width("~", size);
    let mut used = 0.0;
    let mut out = String::new();
    for c in t.chars() {
        used += width(c.encode_utf8(&mut [0; 4]), size);
        if used > room {
            break;
        }
        out.push(c);
    }
    out.push('~');
    out
}

/// One page's text, placed.
#[derive(Default)]
struct Page {
    /// (x, y, size, bold, text); x is the right edge when `right`.
    texts: Vec<(f32, f32, f32, bool, bool, String)>,
    /// Horizontal rules: (x1, x2, y).
    rules: Vec<(f32, f32, f32)>,
}

impl Page {
    fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.texts.push((x, y, size, false, false, ascii(text)));
    }
    fn bold(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.texts.push((x, y, size, true, false, ascii(text)));
    }
    fn right(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.texts.push((x, y, size, false, true, ascii(text)));
    }
    fn rule(&mut self, y: f32) {
        self.rules.push((MARGIN, WIDTH - MARGIN, y));
    }
}

/// The pages of a document, written at the end.
#[derive(Default)]
struct Doc {
    pages: Vec<Page>,
}

impl Doc {
    /// A new page with a title line and a subtitle; returns the page and the y
    /// of the first line below them.
    fn page(&mut self, title: &str, subtitle: &str) -> f32 {
        let mut p = Page::default();
        let mut y = HEIGHT - MARGIN - 10.0;
        p.bold(MARGIN, y, 12.0, title);
        for line in subtitle.lines() {
            y -= 11.0;
            p.text(MARGIN, y, 8.0, line);
        }
        y -= 6.0;
        p.rule(y);
        self.pages.push(p);
        y - 14.0
    }

    fn cur(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    fn finish(self) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let n = self.pages.len().max(1);
        let page_ref = |i: usize| Ref::new(5 + 2 * i as i32);
        let content_ref = |i: usize| Ref::new(6 + 2 * i as i32);
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids((0..n).map(page_ref)).count(n as i32);
        pdf.type1_font(regular).base_font(Name(b"Helvetica"));
        pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold"));
        let empty = [Page::default()];
        let pages: &[Page] = if self.pages.is_empty() {
            &empty
        } else {
            &self.pages
        };
        for (i, p) in pages.iter().enumerate() {
            let mut page = pdf.page(page_ref(i));
            page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
            page.parent(tree);
            page.contents(content_ref(i));
            page.resources()
                .fonts()
                .pair(Name(b"F1"), regular)
                .pair(Name(b"F2"), bold);
            page.finish();
            let mut c = Content::new();
            c.set_line_width(0.5);
            for &(x1, x2, y) in &p.rules {
                c.move_to(x1, y);
                c.line_to(x2, y);
            }
            if !p.rules.is_empty() {
                c.stroke();
            }
            c.begin_text();
            for (x, y, size, b, right, t) in &p.texts {
                let x = if *right { x - width(t, *size) } else { *x };
                c.set_font(Name(if *b { b"F2" } else { b"F1" }), *size);
                c.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, *y]);
                c.show(Str(t.as_bytes()));
            }
            c.end_text();
            pdf.stream(content_ref(i), &c.finish());
        }
        pdf.finish()
    }
}

/// Column (g): empty without a code.
fn adj(code: &str, a: Decimal) -> String {
    if code.is_empty() && a.is_zero() {
        String::new()
    } else {
        money(a)
    }
}

/// The x of columns (a)-(h): left edges, and the right edges of (d), (e),
/// (g), (h).
const COL_A: f32 = MARGIN;
const COL_B: f32 = 190.0;
const COL_C: f32 = 240.0;
const COL_D: f32 = 348.0;
const COL_E: f32 = 410.0;
const COL_F: f32 = 418.0;
const COL_G: f32 = 500.0;
const COL_H: f32 = WIDTH - MARGIN;

fn header_8949(p: &mut Page, y: f32) {
    p.bold(COL_A, y, SIZE, "(a) Description of property");
    p.bold(COL_B, y, SIZE, "(b) Acquired");
    p.bold(COL_C, y, SIZE, "(c) Sold");
    p.bold(COL_D - 52.0, y, SIZE, "(d) Proceeds");
    p.bold(COL_E - 46.0, y, SIZE, "(e) Basis");
    p.bold(COL_F, y, SIZE, "(f) Code");
    p.bold(COL_G - 48.0, y, SIZE, "(g) Adjust.");
    p.bold(COL_H - 52.0, y, SIZE, "(h) Gain/loss");
}

/// Totals of some rows: (d), (e), (g), (h).
#[derive(Default, Clone, Copy)]
struct Sums {
    d: Decimal,
    e: Decimal,
    g: Decimal,
    h: Decimal,
}

impl Sums {
    fn add(&mut self, l: &GainLine<'_>) {
        self.d += l.proceeds;
        self.e += l.cost_basis;
        self.g += l.adjustment;
        self.h += l.gain;
    }
}

fn totals_row(p: &mut Page, y: f32, label: &str, s: Sums) {
    p.bold(COL_A, y, SIZE, label);
    p.right(COL_D, y, SIZE, &money(s.d));
    p.right(COL_E, y, SIZE, &money(s.e));
    p.right(COL_G, y, SIZE, &money(s.g));
    p.right(COL_H, y, SIZE, &money(s.h));
}

/// Form 8949's pages: per box, its rows in pages with page totals, then the
/// box's totals.
fn form_8949(doc: &mut Doc, v: &ReportView<'_>, statement: bool) {
    let mut start = 0;
    for b in &v.boxes {
        let lines = v.lines.slice(start..start + b.rows);
        start += b.rows;
        let part = match b.box_.term() {
            crate::tax::Term::Short => "Part I, Short-Term (held one year or less)",
            crate::tax::Term::Long => "Part II, Long-Term (held more than one year)",
        };
        let title = if statement {
            format!("Form 8949 attached statement, tax year {}", v.year)
        } else {
            format!("Form 8949 statement, tax year {}", v.year)
        };
        let pages = lines.len().div_ceil(ROWS_PER_PAGE).max(1);
        let mut box_sums = Sums::default();
        for (n, chunk) in lines.chunks(ROWS_PER_PAGE).enumerate() {
            let mut y = doc.page(
                &title,
                &format!(
                    "{part}. Box {} checked: {}.\nPage {} of {} for this box.   Name(s) shown on return: ______________________   Social security number: ___-__-____",
                    b.box_,
                    super::table::box_label(b.box_.as_str()),
                    n + 1,
                    pages
                ),
            );
            let p = doc.cur();
            header_8949(p, y);
            y -= ROW;
            p.rule(y + 7.0);
            let mut page_sums = Sums::default();
            for l in chunk {
                p.text(
                    COL_A,
                    y,
                    SIZE,
                    &fit(&l.description(), SIZE, COL_B - COL_A - 4.0),
                );
                p.text(COL_B, y, SIZE, &l.acquired_cell());
                p.text(COL_C, y, SIZE, &super::UsDate(l.date_sold).to_string());
                p.right(COL_D, y, SIZE, &money(l.proceeds));
                p.right(COL_E, y, SIZE, &money(l.cost_basis));
                p.text(COL_F, y, SIZE, &l.adjustment_code);
                p.right(COL_G, y, SIZE, &adj(&l.adjustment_code, l.adjustment));
                p.right(COL_H, y, SIZE, &money(l.gain));
                page_sums.add(&l);
                box_sums.add(&l);
                y -= ROW;
            }
            p.rule(y + 7.0);
            totals_row(p, y, "Page totals", page_sums);
            y -= ROW;
            if n + 1 == pages {
                totals_row(
                    p,
                    y,
                    &format!(
                        "Box {} totals (line 2: to Schedule D line {})",
                        b.box_,
                        crate::tax::schedule_d::line_of(b.box_)
                    ),
                    box_sums,
                );
            }
        }
    }
    if v.boxes.is_empty() {
        let y = doc.page(
            &format!("Form 8949, tax year {}", v.year),
            "No disposals in the year.",
        );
        doc.cur().text(MARGIN, y, 9.0, "No Form 8949 rows.");
    }
}

/// Exception 2's Form 8949 rows.
fn summary(doc: &mut Doc, v: &ReportView<'_>, rows: &[super::SummaryRow<'_>]) {
    let mut y = doc.page(
        &format!("Form 8949, tax year {} (Exception 2)", v.year),
        "One row per box and broker; the detail is the attached statement that follows.\nName(s) shown on return: ______________________   Social security number: ___-__-____",
    );
    let p = doc.cur();
    p.bold(COL_A, y, SIZE, "Box");
    p.bold(COL_A + 24.0, y, SIZE, "(a) Description");
    p.bold(COL_D - 52.0, y, SIZE, "(d) Proceeds");
    p.bold(COL_E - 46.0, y, SIZE, "(e) Basis");
    p.bold(COL_F, y, SIZE, "(f) Code");
    p.bold(COL_G - 48.0, y, SIZE, "(g) Adjust.");
    p.bold(COL_H - 52.0, y, SIZE, "(h) Gain/loss");
    y -= ROW;
    for r in rows {
        p.text(COL_A, y, SIZE, r.box_.as_str());
        p.text(
            COL_A + 24.0,
            y,
            SIZE,
            &fit(&r.description(), SIZE, COL_D - 60.0 - COL_A - 24.0),
        );
        p.right(COL_D, y, SIZE, &money(r.proceeds));
        p.right(COL_E, y, SIZE, &money(r.cost_basis));
        p.text(COL_F, y, SIZE, &r.code);
        p.right(COL_G, y, SIZE, &money(r.adjustment));
        p.right(COL_H, y, SIZE, &money(r.gain));
        y -= ROW;
    }
}

/// Schedule D's lines, the Form 1040 question, and Exception 1.
fn schedule_d(doc: &mut Doc, v: &ReportView<'_>) {
    let mut y = doc.page(
        &format!("Schedule D (Form 1040), tax year {}", v.year),
        &format!(
            "Capital gains and losses from digital assets; filing status {}",
            v.filing_status
        ),
    );
    let p = doc.cur();
    let q = &v.question;
    p.bold(
        MARGIN,
        y,
        9.0,
        &format!(
            "Form 1040: at any time during {}, did you receive or dispose of a digital asset? {}",
            q.year,
            if q.yes { "Yes" } else { "No" }
        ),
    );
    y -= ROW;
    for (yes, r) in q.reasons() {
        let mark = if yes { "Yes:" } else { "Not by itself:" };
        p.text(
            MARGIN + 10.0,
            y,
            SIZE,
            &format!(
                "{mark} {} ({} rows, the first {}:{} id {})",
                r.what, r.count, r.first.file, r.first.line, r.first.id
            ),
        );
        y -= ROW;
    }
    y -= ROW;
    p.bold(MARGIN, y, 9.0, "Line");
    p.bold(MARGIN + 40.0, y, 9.0, "Description");
    p.bold(COL_H - 40.0, y, 9.0, "Amount");
    y -= 14.0;
    for (n, label, amt) in super::schedule_d_lines(v) {
        p.text(MARGIN, y, 9.0, n);
        p.text(MARGIN + 40.0, y, 9.0, &label);
        p.right(COL_H, y, 9.0, &money(amt));
        y -= 14.0;
    }
    if let Some(e) = &v.exception_1 {
        y -= 6.0;
        p.text(MARGIN, y, SIZE, &format!(
            "Lines 1a and 8a (Exception 1): {} rows a Form 1099-DA reports with basis and no adjustment: short-term proceeds {}, basis {}; long-term proceeds {}, basis {}.",
            e.lines.len(),
            money(e.short_term.proceeds),
            money(e.short_term.cost_basis),
            money(e.long_term.proceeds),
            money(e.long_term.cost_basis)
        ));
    }
}

/// The Capital Loss Carryover Worksheet (for next year).
fn worksheet(doc: &mut Doc, v: &ReportView<'_>) {
    let s = &v.schedule_d;
    let mut y = doc.page(
        &format!("Capital Loss Carryover Worksheet, for {}", v.year + 1),
        &format!(
            "From the {} return (Schedule D instructions). Carryover to {}: short-term {}, long-term {}.",
            v.year,
            v.year + 1,
            money(s.carryover_next_year.short_term),
            money(s.carryover_next_year.long_term)
        ),
    );
    let p = doc.cur();
    for (i, d) in s.worksheet.lines.iter().enumerate() {
        p.text(MARGIN, y, 9.0, &format!("Line {}", i + 1));
        p.right(COL_H, y, 9.0, &money(*d));
        y -= 14.0;
    }
}

/// The income summary and the donations of Form 8283.
fn income_and_donations(doc: &mut Doc, v: &ReportView<'_>) {
    if let Some(inc) = v.income.as_ref().filter(|i| !i.rows.is_empty()) {
        let mut y = doc.page(
            &format!("Income from digital assets, tax year {}", v.year),
            "At fair value when received (harvest income lists every row).",
        );
        let p = doc.cur();
        for (k, amt) in [
            ("Total".to_string(), inc.total),
            ("Schedule 1, line 8v".into(), inc.schedule_1_line_8v),
            ("Schedule C (a business)".into(), inc.schedule_c),
        ]
        .into_iter()
        .chain(
            inc.by_category
                .iter()
                .map(|(c, a)| (format!("  {}", c.as_str()), *a)),
        ) {
            p.text(MARGIN, y, 9.0, &k);
            p.right(COL_H, y, 9.0, &money(amt));
            y -= 14.0;
        }
    }
    let t = &v.transfers;
    if !t.donations.is_empty() {
        let mut y = doc.page(
            &format!(
                "Donations of digital assets, tax year {} (Form 8283)",
                v.year
            ),
            &format!(
                "Fair value {}; deduction {}{}.",
                money(t.donations_fair_value),
                money(t.deduction),
                if t.form_8283_required {
                    "; Form 8283 is required"
                } else {
                    ""
                }
            ),
        );
        let p = doc.cur();
        for (x, h) in [
            (MARGIN, "Date"),
            (100.0, "Donee"),
            (260.0, "Property"),
            (COL_E - 40.0, "Basis"),
            (COL_G - 40.0, "Fair value"),
            (COL_H - 40.0, "Deduction"),
        ] {
            p.bold(x, y, SIZE, h);
        }
        y -= ROW;
        for d in &t.donations {
            if y < MARGIN {
                y = doc.page("Donations (continued)", "");
            }
            let p = doc.cur();
            p.text(MARGIN, y, SIZE, &super::UsDate(d.date).to_string());
            p.text(100.0, y, SIZE, &fit(d.recipient, SIZE, 155.0));
            p.text(
                260.0,
                y,
                SIZE,
                &fit(&format!("{} {}", qty(d.quantity), d.asset), SIZE, 80.0),
            );
            p.right(COL_E, y, SIZE, &money(d.basis));
            p.right(COL_G, y, SIZE, &money(d.fair_value));
            p.right(COL_H, y, SIZE, &money(d.deduction));
            y -= ROW;
        }
    }
}

/// Writes `report --format pdf`.
pub fn report(w: &mut dyn Write, v: &ReportView<'_>) -> io::Result<()> {
    let mut doc = Doc::default();
    schedule_d(&mut doc, v);
    if let Some(rows) = &v.summary {
        summary(&mut doc, v, rows);
    }
    form_8949(&mut doc, v, v.summary.is_some());
    worksheet(&mut doc, v);
    income_and_donations(&mut doc, v);
    w.write_all(&doc.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_measured_and_cut_in_helvetica() {
        // Digits are 556/1000 em: "1000.00" at 10 pt is 6 x 5.56 + 2.78.
        assert!((width("1000.00", 10.0) - 36.14).abs() < 0.01);
        assert_eq!(ascii("BTC\u{20bf}"), "BTC?");
        let cut = fit("a very long description of property", 10.0, 50.0);
        assert!(cut.ends_with('~') && width(&cut, 10.0) <= 50.0);
        assert_eq!(fit("0.5 ETH", 10.0, 100.0), "0.5 ETH");
    }
}
