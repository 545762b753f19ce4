//! `harvest reconcile` output: the 1099-DA rows against ours, as a table, CSV
//! or JSON. The CSV columns and JSON keys are a stable interface
//! (docs/1099DA.md).

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde_json::{Value, json};
use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Alignment, Style};

use super::{BoxTotals, GainLine, adjustment_cell, gain_line, money, qty, safe_text};
use crate::engine::Outcome;
use crate::model::Ledger;
use crate::reconcile::{BrokerRow, Match, Reconciliation, Summary};
use crate::tax::schedule_d::line_of;
use crate::tax::{GainRow, Totals};

/// One of our rows matched to a broker row: as we have it, and as routed.
#[derive(Debug, Clone)]
pub struct LineView<'a> {
    pub ours: GainLine<'a>,
    /// The row as Form 8949 gets it (box, (d), (e), codes, (g), (h)).
    pub form: GainLine<'a>,
    /// This row's share of box 1g, when the form gives one.
    pub broker_basis: Option<Decimal>,
}

/// A broker row and, when matched, our rows.
#[derive(Debug, Clone)]
pub struct ItemView<'a> {
    pub broker: &'a BrokerRow,
    /// The account as shown (display name in tables).
    pub account: &'a str,
    pub matched: Option<(&'a Match, Vec<LineView<'a>>)>,
}

/// Totals of the rows of one account without a 1099-DA.
#[derive(Debug, Clone)]
pub struct AccountTotals<'a> {
    pub account: &'a str,
    pub rows: usize,
    pub totals: Totals,
}

/// `harvest reconcile`: everything it prints.
pub struct ReconcileView<'a> {
    pub year: i32,
    pub method: &'static str,
    pub scope: &'static str,
    pub items: Vec<ItemView<'a>>,
    pub only_ours: Vec<GainLine<'a>>,
    /// Our rows in accounts without a 1099-DA, one by one (CSV lists them).
    pub no_1099da: Vec<GainLine<'a>>,
    /// The same, per account.
    pub no_1099da_accounts: Vec<AccountTotals<'a>>,
    /// Form 8949 boxes after routing, all rows of the year, Part I then II.
    pub boxes: Vec<BoxTotals>,
    pub summary: Summary,
}

/// Resolves a reconciliation for output. `rows` are our rows as built,
/// `rec.routed` the same rows routed.
pub fn view<'a>(
    ledger: &'a Ledger,
    outcome: &Outcome,
    rows: &'a [GainRow],
    rec: &'a Reconciliation,
    broker: &'a [BrokerRow],
    (year, method, scope): (i32, &'static str, &'static str),
) -> ReconcileView<'a> {
    let items = rec
        .items
        .iter()
        .map(|it| {
            let b = &broker[it.broker];
            ItemView {
                broker: b,
                account: &b.account,
                matched: it.matched.as_ref().map(|m| {
                    let lines = m
                        .lines
                        .iter()
                        .map(|l| LineView {
                            ours: gain_line(ledger, outcome, &rows[l.row]),
                            form: gain_line(ledger, outcome, &rec.routed[l.row]),
                            broker_basis: l.broker_basis,
                        })
                        .collect();
                    (m, lines)
                }),
            }
        })
        .collect();
    let no_1099da: Vec<GainLine<'a>> = rec
        .no_1099da
        .iter()
        .map(|&i| gain_line(ledger, outcome, &rows[i]))
        .collect();
    let mut no_1099da_accounts: Vec<AccountTotals<'a>> = Vec::new();
    let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for &i in &rec.no_1099da {
        let l = gain_line(ledger, outcome, &rows[i]);
        match at.get(l.account) {
            Some(&k) => {
                let a = &mut no_1099da_accounts[k];
                a.rows += 1;
                a.totals.add(&rows[i]);
            }
            None => {
                at.insert(l.account, no_1099da_accounts.len());
                no_1099da_accounts.push(AccountTotals {
                    account: l.account,
                    rows: 1,
                    totals: Totals::of([&rows[i]]),
                });
            }
        }
    }
    no_1099da_accounts.sort_by(|a, b| a.account.cmp(b.account));
    let mut sorted: Vec<&GainRow> = rec.routed.iter().collect();
    sorted.sort_by_key(|r| (r.term, r.box_));
    let boxes = BoxTotals::of_sorted(sorted);
    ReconcileView {
        year,
        method,
        scope,
        items,
        // In the box the report gives them: I/L, not reported to the user.
        only_ours: rec
            .only_ours
            .iter()
            .map(|&i| gain_line(ledger, outcome, &rec.routed[i]))
            .collect(),
        no_1099da,
        no_1099da_accounts,
        boxes,
        summary: Summary::of(rec, broker, rows),
    }
}

/// The differences of one matched line: `proceeds;basis;term;date`.
fn differences(m: &Match, l: &LineView<'_>, b: &BrokerRow) -> String {
    let mut d: Vec<&str> = Vec::new();
    if l.form.proceeds != l.ours.proceeds {
        d.push("proceeds");
    }
    if l.broker_basis.is_some_and(|g| g != l.ours.cost_basis) {
        d.push("basis");
    }
    if b.term.is_some_and(|t| !t.is(l.ours.term)) {
        d.push("term");
    }
    if m.date_shift != 0 {
        d.push("date");
    }
    d.join(";")
}

/// The differences of a matched broker row, over all its lines.
fn item_differences(m: &Match) -> String {
    let mut d: Vec<&str> = Vec::new();
    if !m.proceeds_difference.is_zero() {
        d.push("proceeds");
    }
    if m.basis_difference.is_some_and(|x| !x.is_zero()) {
        d.push("basis");
    }
    if m.term_differs {
        d.push("term");
    }
    if m.date_shift != 0 {
        d.push("date");
    }
    d.join(";")
}

fn opt_money(d: Option<Decimal>) -> String {
    d.map(money).unwrap_or_default()
}

fn opt_date(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn broker_term(b: &BrokerRow) -> &'static str {
    b.term.map_or("", |t| t.as_str())
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The distinct values of `f` over a match's lines, joined by `/`.
fn joined(lines: &[LineView<'_>], f: impl Fn(&LineView<'_>) -> String) -> String {
    let mut v: Vec<String> = Vec::new();
    for l in lines {
        let s = f(l);
        if !s.is_empty() && !v.contains(&s) {
            v.push(s);
        }
    }
    v.join("/")
}

/// The columns of `reconcile --format csv`.
pub const CSV_COLUMNS: [&str; 30] = [
    "status",
    "source",
    "transaction_id",
    "account",
    "asset",
    "units_matched",
    "broker_units",
    "quantity",
    "disposal_id",
    "lot_id",
    "broker_date_acquired",
    "date_acquired",
    "broker_date_sold",
    "date_sold",
    "broker_term",
    "term",
    "basis_reported",
    "broker_proceeds",
    "our_proceeds",
    "proceeds_difference",
    "broker_basis",
    "our_basis",
    "basis_difference",
    "differences",
    "box",
    "proceeds",
    "cost_basis",
    "adjustment_code",
    "adjustment",
    "gain",
];

/// The 8949 columns of a line: box, (d), (e), (f), (g), (h).
fn form_cells(l: &GainLine<'_>) -> [String; 6] {
    [
        l.box_.to_string(),
        money(l.proceeds),
        money(l.cost_basis),
        l.adjustment_code.to_string(),
        adjustment_cell(&l.adjustment_code, l.adjustment),
        money(l.gain),
    ]
}

/// Our side of a line: quantity, ids, dates, term.
fn our_line_cells(status: &str, l: &GainLine<'_>) -> Vec<String> {
    let mut r = vec![
        status.to_string(),
        String::new(),
        String::new(),
        l.account.to_string(),
        l.asset.to_string(),
        String::new(),
        String::new(),
        qty(l.quantity),
        l.disposal_id.to_string(),
        l.lot_id.to_string(),
        String::new(),
        l.date_acquired.to_string(),
        String::new(),
        l.date_sold.to_string(),
        String::new(),
        l.term.as_str().to_string(),
        String::new(),
        String::new(),
        money(l.proceeds),
        String::new(),
        String::new(),
        money(l.cost_basis),
        String::new(),
        String::new(),
    ];
    r.extend(form_cells(l));
    r
}

/// `harvest reconcile --format csv`: one line per matched Form 8949 row, per
/// broker-only row, per only-ours row and per row in an account without a
/// 1099-DA, in that order.
pub fn csv(w: &mut dyn Write, v: &ReconcileView<'_>) -> io::Result<()> {
    let mut c = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    let err = |e: csv::Error| io::Error::other(e.to_string());
    c.write_record(CSV_COLUMNS).map_err(err)?;
    let mut put = |rec: Vec<String>| -> io::Result<()> {
        // Names come from the inputs: protected against formulas. Numbers and
        // dates are ours and never start one.
        let cells: Vec<String> = rec
            .into_iter()
            .map(|s| safe_text(&s).into_owned())
            .collect();
        c.write_record(&cells).map_err(err)
    };
    for it in &v.items {
        let b = it.broker;
        match &it.matched {
            None => {
                let mut r = vec![
                    "broker_only".to_string(),
                    b.source(),
                    b.transaction_id.clone().unwrap_or_default(),
                    it.account.to_string(),
                    b.asset.clone(),
                    String::new(),
                    qty(b.units),
                    String::new(),
                    String::new(),
                    String::new(),
                    opt_date(b.date_acquired),
                    String::new(),
                    b.date_sold.to_string(),
                    String::new(),
                    broker_term(b).to_string(),
                    String::new(),
                    yes_no(b.basis_reported).to_string(),
                    money(b.proceeds),
                    String::new(),
                    String::new(),
                    opt_money(b.basis),
                    String::new(),
                    String::new(),
                    String::new(),
                ];
                r.extend(std::iter::repeat_n(String::new(), 6));
                put(r)?;
            }
            Some((m, lines)) => {
                for l in lines {
                    let o = &l.ours;
                    let mut r = vec![
                        "matched".to_string(),
                        b.source(),
                        b.transaction_id.clone().unwrap_or_default(),
                        it.account.to_string(),
                        o.asset.to_string(),
                        m.units.as_str().to_string(),
                        qty(b.units),
                        qty(o.quantity),
                        o.disposal_id.to_string(),
                        o.lot_id.to_string(),
                        opt_date(b.date_acquired),
                        o.date_acquired.to_string(),
                        b.date_sold.to_string(),
                        o.date_sold.to_string(),
                        broker_term(b).to_string(),
                        o.term.as_str().to_string(),
                        yes_no(b.basis_reported).to_string(),
                        money(l.form.proceeds),
                        money(o.proceeds),
                        money(l.form.proceeds - o.proceeds),
                        opt_money(l.broker_basis),
                        money(o.cost_basis),
                        opt_money(l.broker_basis.map(|g| g - o.cost_basis)),
                        differences(m, l, b),
                    ];
                    r.extend(form_cells(&l.form));
                    put(r)?;
                }
            }
        }
    }
    for l in &v.only_ours {
        put(our_line_cells("only_ours", l))?;
    }
    for l in &v.no_1099da {
        put(our_line_cells("no_1099da", l))?;
    }
    c.flush()
}

fn gain_json(l: &GainLine<'_>) -> serde_json::Map<String, Value> {
    let v = json!({
        "disposal_id": l.disposal_id,
        "lot_id": l.lot_id,
        "asset": l.asset,
        "quantity": qty(l.quantity),
        "account": l.account,
        "date_acquired": l.date_acquired.to_string(),
        "date_sold": l.date_sold.to_string(),
        "term": l.term.as_str(),
        "box": l.box_,
        "description": l.description(),
        "proceeds": money(l.proceeds),
        "cost_basis": money(l.cost_basis),
        "adjustment_code": l.adjustment_code.as_str(),
        "adjustment": adjustment_cell(&l.adjustment_code, l.adjustment),
        "gain": money(l.gain),
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

fn totals_json(t: &Totals) -> Value {
    super::json::totals(t)
}

/// `harvest reconcile --format json`.
pub fn json(w: &mut dyn Write, v: &ReconcileView<'_>) -> io::Result<()> {
    let s = &v.summary;
    let items: Vec<Value> = v
        .items
        .iter()
        .map(|it| {
            let b = it.broker;
            let matched = it.matched.as_ref().map(|(m, lines)| {
                let rows: Vec<Value> = lines
                    .iter()
                    .map(|l| {
                        let mut r = gain_json(&l.form);
                        r.insert("our_proceeds".into(), money(l.ours.proceeds).into());
                        r.insert("our_cost_basis".into(), money(l.ours.cost_basis).into());
                        r.insert(
                            "broker_basis".into(),
                            l.broker_basis.map(money).map_or(Value::Null, Value::from),
                        );
                        r.insert("differences".into(), differences(m, l, b).into());
                        Value::Object(r)
                    })
                    .collect();
                json!({
                    "disposal_id": lines.first().map(|l| l.ours.disposal_id),
                    "units_matched": m.units.as_str(),
                    "date_difference_days": m.date_shift,
                    "proceeds": money(m.our_proceeds),
                    "cost_basis": money(m.our_basis),
                    "gain": money(m.our_gain),
                    "differences": {
                        "proceeds": money(m.proceeds_difference),
                        "basis": m.basis_difference.map(money),
                        "term": m.term_differs,
                        "date": m.date_shift != 0,
                    },
                    "form_8949": rows,
                })
            });
            json!({
                "source": b.source(),
                "status": if matched.is_some() { "matched" } else { "broker_only" },
                "account": b.account,
                "broker": b.broker,
                "asset": b.asset,
                "asset_name": b.asset_name,
                "units": qty(b.units),
                "date_acquired": b.date_acquired.map(|d| d.to_string()),
                "date_sold": b.date_sold.to_string(),
                "proceeds": money(b.proceeds),
                "basis": b.basis.map(money),
                "wash_sale_disallowed": b.wash_sale_disallowed.map(money),
                "basis_reported": b.basis_reported,
                "term": b.term.map(|t| t.as_str()),
                "noncovered": b.noncovered,
                "checkbox": b.checkbox.map(|c| c.as_str()),
                "transaction_id": b.transaction_id,
                "match": matched,
            })
        })
        .collect();
    let boxes: Vec<Value> = v
        .boxes
        .iter()
        .map(|b| {
            let mut t = totals_json(&b.totals);
            t["box"] = b.box_.as_str().into();
            t["rows"] = b.rows.into();
            t["schedule_d_line"] = line_of(b.box_).into();
            t
        })
        .collect();
    let value = json!({
        "year": v.year,
        "method": v.method,
        "scope": v.scope,
        "summary": {
            "broker_rows": s.broker_rows,
            "matched": s.matched,
            "broker_only": s.broker_only,
            "matched_rows": s.matched_rows,
            "only_ours_rows": s.only_ours_rows,
            "no_1099da_rows": s.no_1099da_rows,
            "proceeds": {
                "broker": money(s.broker_proceeds),
                "broker_matched": money(s.broker_proceeds_matched),
                "ours_matched": money(s.our_proceeds_matched),
                "difference_matched": money(s.broker_proceeds_matched - s.our_proceeds_matched),
                "broker_only": money(s.broker_proceeds_only),
                "only_ours": money(s.our_proceeds_only),
            },
            "basis": {
                "broker_matched": money(s.broker_basis_matched),
                "ours_matched": money(s.our_basis_matched),
                "difference_matched": money(s.broker_basis_matched - s.our_basis_matched),
            },
        },
        "boxes": boxes,
        "broker_rows": items,
        "only_ours": v.only_ours.iter().map(|l| Value::Object(gain_json(l))).collect::<Vec<_>>(),
        "no_1099da": v.no_1099da_accounts.iter().map(|a| {
            let mut t = totals_json(&a.totals);
            t["account"] = a.account.into();
            t["rows"] = a.rows.into();
            t
        }).collect::<Vec<_>>(),
    });
    super::json::write_value(w, &value)
}

fn print(w: &mut dyn Write, b: Builder, right: std::ops::Range<usize>) -> io::Result<()> {
    print_cols(w, b, &[right])
}

fn print_cols(w: &mut dyn Write, b: Builder, right: &[std::ops::Range<usize>]) -> io::Result<()> {
    let mut t = b.build();
    t.with(Style::sharp());
    for r in right {
        t.modify(Columns::new(r.clone()), Alignment::right());
    }
    // Its tables mix text and numbers column by column; only a terminal
    // narrower than the table wraps them, the widest columns first.
    let all: Vec<usize> = (0..t.count_columns()).collect();
    super::table::fit(&mut t, &all);
    writeln!(w, "{t}")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `harvest reconcile` as tables: the broker rows, our matched rows as Form
/// 8949 gets them, only ours, accounts without a 1099-DA, totals and boxes.
pub fn table(w: &mut dyn Write, v: &ReconcileView<'_>) -> io::Result<()> {
    use super::table::signed;
    let s = &v.summary;
    writeln!(
        w,
        "Form 1099-DA reconciliation for {} (method {}, scope {})",
        v.year, v.method, v.scope
    )?;
    writeln!(
        w,
        "{}: {} matched, {} only on the 1099-DA. Our rows: {} matched, {} only ours (on no 1099-DA row of their account), {} in accounts without a 1099-DA (boxes I/L)",
        plural(s.broker_rows, "1099-DA row", "1099-DA rows"),
        s.matched,
        s.broker_only,
        s.matched_rows,
        s.only_ours_rows,
        s.no_1099da_rows,
    )?;
    if !v.items.is_empty() {
        writeln!(w, "\n1099-DA rows")?;
        let mut b = Builder::default();
        b.push_record([
            "Source",
            "Status",
            "Account",
            "Asset",
            "Units",
            "Sold",
            "1f Proceeds",
            "Ours",
            "Diff.",
            "1g Basis",
            "Ours",
            "Diff.",
            "Term 6 / ours",
            "Differences",
            "Box",
            "Code",
            "Adj.",
        ]);
        for it in &v.items {
            let bk = it.broker;
            let mut r = vec![
                bk.source(),
                String::new(),
                it.account.to_string(),
                bk.asset.clone(),
                qty(bk.units),
                bk.date_sold.to_string(),
                money(bk.proceeds),
            ];
            match &it.matched {
                None => {
                    r[1] = "only 1099-DA".into();
                    r.extend([String::new(), String::new(), opt_money(bk.basis)]);
                    r.extend(std::iter::repeat_n(String::new(), 2));
                    r.push(format!(
                        "{} / -",
                        if bk.term.is_some() {
                            broker_term(bk)
                        } else {
                            "-"
                        }
                    ));
                    r.extend(std::iter::repeat_n(String::new(), 4));
                }
                Some((m, lines)) => {
                    r[1] = "matched".into();
                    let adj: Decimal = lines
                        .iter()
                        .filter(|l| !l.form.adjustment_code.is_empty())
                        .map(|l| l.form.adjustment)
                        .sum();
                    let coded = lines.iter().any(|l| !l.form.adjustment_code.is_empty());
                    r.extend([
                        money(m.our_proceeds),
                        money(m.proceeds_difference),
                        opt_money(bk.basis),
                        money(m.our_basis),
                        opt_money(m.basis_difference),
                        format!(
                            "{} / {}",
                            if bk.term.is_some() {
                                broker_term(bk)
                            } else {
                                "-"
                            },
                            joined(lines, |l| l.ours.term.as_str().to_string())
                        ),
                        item_differences(m),
                        joined(lines, |l| l.form.box_.to_string()),
                        joined(lines, |l| l.form.adjustment_code.to_string()),
                        if coded { money(adj) } else { String::new() },
                    ]);
                }
            }
            b.push_record(r);
        }
        print(w, b, 4..12)?;
    }
    let matched: Vec<(&BrokerRow, &LineView<'_>)> = v
        .items
        .iter()
        .filter_map(|it| it.matched.as_ref().map(|(_, ls)| (it.broker, ls)))
        .flat_map(|(b, ls)| ls.iter().map(move |l| (b, l)))
        .collect();
    if !matched.is_empty() {
        writeln!(w, "\nOur rows matched, as Form 8949 gets them")?;
        let mut b = Builder::default();
        b.push_record([
            "Source",
            "Disposal",
            "Lot",
            "(a) Description",
            "(b) Acquired",
            "(c) Sold",
            "Box",
            "(d) Proceeds",
            "(e) Basis",
            "(f) Code",
            "(g) Adj.",
            "(h) Gain",
            "Our proceeds",
            "Our basis",
        ]);
        for (bk, l) in matched {
            let f = form_cells(&l.form);
            b.push_record([
                bk.source(),
                super::short_id(l.ours.disposal_id).into_owned(),
                super::short_id(l.ours.lot_id).into_owned(),
                l.ours.description(),
                super::UsDate(l.ours.date_acquired).to_string(),
                super::UsDate(l.ours.date_sold).to_string(),
                f[0].clone(),
                f[1].clone(),
                f[2].clone(),
                f[3].clone(),
                f[4].clone(),
                signed(l.form.gain),
                money(l.ours.proceeds),
                money(l.ours.cost_basis),
            ]);
        }
        print_cols(w, b, &[7..9, 10..14])?;
    }
    let ours_table = |w: &mut dyn Write, title: &str, lines: &[GainLine<'_>]| -> io::Result<()> {
        writeln!(w, "\n{title}")?;
        let mut b = Builder::default();
        b.push_record([
            "Disposal",
            "Lot",
            "Account",
            "Description",
            "Acquired",
            "Sold",
            "Term",
            "Box",
            "Proceeds",
            "Basis",
            "Code",
            "Adj.",
            "Gain",
        ]);
        for l in lines {
            let f = form_cells(l);
            b.push_record([
                super::short_id(l.disposal_id).into_owned(),
                super::short_id(l.lot_id).into_owned(),
                l.account.to_string(),
                l.description(),
                l.date_acquired.to_string(),
                l.date_sold.to_string(),
                l.term.as_str().to_string(),
                f[0].clone(),
                f[1].clone(),
                f[2].clone(),
                f[3].clone(),
                f[4].clone(),
                signed(l.gain),
            ]);
        }
        print_cols(w, b, &[8..10, 11..13])
    };
    if !v.only_ours.is_empty() {
        ours_table(
            w,
            "Only ours: rows of accounts with a 1099-DA that no 1099-DA row matches (they keep their box)",
            &v.only_ours,
        )?;
    }
    if !v.no_1099da_accounts.is_empty() {
        writeln!(
            w,
            "\nNo 1099-DA: accounts without a 1099-DA file (boxes I/L, or their box from harvest.toml)"
        )?;
        let mut b = Builder::default();
        b.push_record(["Account", "Rows", "Proceeds", "Basis", "Adj.", "Gain"]);
        for a in &v.no_1099da_accounts {
            b.push_record([
                a.account.to_string(),
                a.rows.to_string(),
                money(a.totals.proceeds),
                money(a.totals.cost_basis),
                money(a.totals.adjustment),
                signed(a.totals.gain),
            ]);
        }
        print(w, b, 1..6)?;
    }
    writeln!(w, "\nTotals")?;
    let mut b = Builder::default();
    b.push_record(["", "1099-DA", "Ours", "Difference"]);
    b.push_record([
        "Proceeds of matched rows (1f)".to_string(),
        money(s.broker_proceeds_matched),
        money(s.our_proceeds_matched),
        money(s.broker_proceeds_matched - s.our_proceeds_matched),
    ]);
    b.push_record([
        "Basis of matched rows that give 1g".to_string(),
        money(s.broker_basis_matched),
        money(s.our_basis_matched),
        money(s.broker_basis_matched - s.our_basis_matched),
    ]);
    b.push_record([
        "Proceeds only on the 1099-DA".to_string(),
        money(s.broker_proceeds_only),
        String::new(),
        String::new(),
    ]);
    b.push_record([
        "Proceeds only ours".to_string(),
        String::new(),
        money(s.our_proceeds_only),
        String::new(),
    ]);
    b.push_record([
        "Proceeds, all 1099-DA rows and ours in their accounts".to_string(),
        money(s.broker_proceeds),
        money(s.our_proceeds_matched + s.our_proceeds_only),
        money(s.broker_proceeds - s.our_proceeds_matched - s.our_proceeds_only),
    ]);
    print(w, b, 1..4)?;
    if !v.boxes.is_empty() {
        writeln!(w, "\nForm 8949 boxes of {} after reconciliation", v.year)?;
        let mut b = Builder::default();
        b.push_record([
            "Box",
            "Rows",
            "Proceeds",
            "Basis",
            "Adj.",
            "Gain",
            "Schedule D line",
        ]);
        for x in &v.boxes {
            b.push_record([
                x.box_.to_string(),
                x.rows.to_string(),
                money(x.totals.proceeds),
                money(x.totals.cost_basis),
                money(x.totals.adjustment),
                signed(x.totals.gain),
                line_of(x.box_).to_string(),
            ]);
        }
        print(w, b, 1..6)?;
    }
    Ok(())
}
