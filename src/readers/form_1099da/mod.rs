//! Reading a broker's Form 1099-DA data as CSV (docs/1099DA.md lists the
//! columns). The header is required; columns come in any order, their names are
//! case-insensitive, and each field has a descriptive name and the form's box
//! number as aliases (`units`, `1c`, `box_1c`, `Box 1c`). Every bad cell of the
//! file is collected and reported together.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

mod error;

use crate::csvread;
pub use error::{CellError, DaError};

/// Box 6 of Form 1099-DA: the term the broker reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerTerm {
    Short,
    Long,
    /// Ordinary gain or loss (box 6 "ordinary").
    Ordinary,
}

impl BrokerTerm {
    /// `short`, `long` or `ordinary`.
    pub fn as_str(self) -> &'static str {
        match self {
            BrokerTerm::Short => "short",
            BrokerTerm::Long => "long",
            BrokerTerm::Ordinary => "ordinary",
        }
    }
}

/// The "applicable checkbox on Form 8949" a 1099-DA shows (X and Y: the broker
/// does not know the term).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkbox {
    G,
    H,
    J,
    K,
    X,
    Y,
}

impl Checkbox {
    /// G and J mean basis reported to the IRS.
    pub fn basis_reported(self) -> bool {
        matches!(self, Checkbox::G | Checkbox::J)
    }

    /// The term the checkbox implies, if any.
    pub fn term(self) -> Option<BrokerTerm> {
        match self {
            Checkbox::G | Checkbox::H => Some(BrokerTerm::Short),
            Checkbox::J | Checkbox::K => Some(BrokerTerm::Long),
            Checkbox::X | Checkbox::Y => None,
        }
    }

    /// The letter.
    pub fn as_str(self) -> &'static str {
        match self {
            Checkbox::G => "G",
            Checkbox::H => "H",
            Checkbox::J => "J",
            Checkbox::K => "K",
            Checkbox::X => "X",
            Checkbox::Y => "Y",
        }
    }
}

/// One row of a broker's Form 1099-DA, as read from its CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerRow {
    /// The file it was read from and its line.
    pub file: Arc<str>,
    pub line: u64,
    /// Our ledger's account the form is for.
    pub account: String,
    /// The broker's name, when given.
    pub broker: Option<String>,
    /// Box 1a: the asset's code.
    pub asset: String,
    /// Box 1b: the asset's name.
    pub asset_name: Option<String>,
    /// Box 1c: units sold, with the broker's decimal places as its scale.
    pub units: Decimal,
    /// Box 1d: `None` when blank (several dates, or unknown).
    pub date_acquired: Option<NaiveDate>,
    /// Box 1e.
    pub date_sold: NaiveDate,
    /// Box 1f: gross proceeds reduced by digital asset transaction costs.
    pub proceeds: Decimal,
    /// Box 1g, when given.
    pub basis: Option<Decimal>,
    /// Box 1i, shown only (it applies to tokenized securities).
    pub wash_sale_disallowed: Option<Decimal>,
    /// Box 2 (or, without it, checkbox G/J).
    pub basis_reported: bool,
    /// Box 6 (or, without it, what the checkbox implies).
    pub term: Option<BrokerTerm>,
    /// Box 9: noncovered security.
    pub noncovered: bool,
    /// The applicable Form 8949 checkbox the form shows.
    pub checkbox: Option<Checkbox>,
    /// The sale's transaction ID, when given.
    pub transaction_id: Option<String>,
}

impl BrokerRow {
    /// `file:line`.
    pub fn source(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// A field of the 1099-DA CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Account,
    Broker,
    Asset,
    AssetName,
    Units,
    DateAcquired,
    DateSold,
    Proceeds,
    Basis,
    WashSale,
    BasisReported,
    Term,
    Noncovered,
    Checkbox,
    TransactionId,
    /// A box of the form that reconciliation does not use (1h, 3a, 4, ...).
    Ignored,
}

/// Each field, its canonical name and the other names accepted.
const FIELDS: [(Field, &str, &[&str]); 15] = [
    (Field::Account, "account", &["wallet"]),
    (Field::Broker, "broker", &["broker_name", "payer"]),
    (
        Field::Asset,
        "asset",
        &["1a", "box_1a", "asset_code", "digital_asset_code", "code"],
    ),
    (
        Field::AssetName,
        "asset_name",
        &["1b", "box_1b", "digital_asset_name", "name"],
    ),
    (
        Field::Units,
        "units",
        &["1c", "box_1c", "number_of_units", "quantity"],
    ),
    (Field::DateAcquired, "date_acquired", &["1d", "box_1d"]),
    (
        Field::DateSold,
        "date_sold",
        &["1e", "box_1e", "date_sold_or_disposed"],
    ),
    (Field::Proceeds, "proceeds", &["1f", "box_1f"]),
    (
        Field::Basis,
        "basis",
        &["1g", "box_1g", "cost_basis", "cost_or_other_basis"],
    ),
    (
        Field::WashSale,
        "wash_sale_disallowed",
        &["1i", "box_1i", "wash_sale_loss_disallowed"],
    ),
    (
        Field::BasisReported,
        "basis_reported",
        &["2", "box_2", "basis_reported_to_irs"],
    ),
    (Field::Term, "term", &["6", "box_6"]),
    (
        Field::Noncovered,
        "noncovered",
        &["9", "box_9", "noncovered_security"],
    ),
    (
        Field::Checkbox,
        "checkbox",
        &["form_8949_checkbox", "applicable_checkbox"],
    ),
    (
        Field::TransactionId,
        "transaction_id",
        &["sale_transaction_id", "id"],
    ),
];

/// The other boxes of Form 1099-DA: accepted in the header, not used.
const IGNORED: [&str; 17] = [
    "1h", "3a", "3b", "4", "5", "7", "8", "10", "11a", "11b", "11c", "12a", "12b", "13", "14",
    "15", "16",
];

/// A header cell as compared: lower case, spaces and hyphens as underscores.
fn normalize(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

fn field_of(h: &str) -> Option<Field> {
    let n = normalize(h);
    // A blank header cell (a trailing comma in an export) holds nothing of ours.
    if n.is_empty() {
        return Some(Field::Ignored);
    }
    for (f, name, aliases) in FIELDS {
        if n == name || aliases.contains(&n.as_str()) {
            return Some(f);
        }
    }
    let bare = n.strip_prefix("box_").unwrap_or(&n);
    IGNORED.contains(&bare).then_some(Field::Ignored)
}

fn canonical(f: Field) -> (&'static str, &'static [&'static str]) {
    FIELDS
        .iter()
        .find(|(g, _, _)| *g == f)
        .map(|(_, n, a)| (*n, *a))
        .unwrap_or(("", &[]))
}

/// Reads one 1099-DA CSV. `default_account` is the account of rows whose
/// `account` cell is blank (the `ACCOUNT=FILE` form of `--1099da`); without it
/// the column is required.
pub fn read_1099da(
    data: &[u8],
    file: &str,
    default_account: Option<&str>,
) -> Result<Vec<BrokerRow>, DaError> {
    let file: Arc<str> = file.into();
    // The reader drops a byte-order mark.
    let mut rdr = csvread::Reader::new(data);
    let mut rec = csvread::Record::default();
    match rdr.read(&mut rec) {
        Ok(true) => {}
        Ok(false) => return Err(DaError::Empty { file }),
        Err(e) => return Err(csv_error(&file, e)),
    }
    let header = rec.clone();
    let header: Vec<String> = header
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(DaError::Empty { file });
    }
    let cols = Columns::from_header(&file, &header, default_account.is_some())?;
    rdr.set_row_width(header.len());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut more = 0usize;
    loop {
        match rdr.read(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(&file, e)),
        }
        let line = rec.line();
        if rec.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        let mut cx = RowCx {
            file: &file,
            line,
            header: &header,
            errors: Vec::new(),
        };
        if rec.len() != header.len() {
            cx.errors.push(CellError {
                file: file.clone(),
                line,
                column: None,
                value: None,
                problem: format!(
                    "the row has {} fields but the header has {}: check quoting and commas",
                    rec.len(),
                    header.len()
                ),
            });
        } else if let Some(r) = cols.row(&mut cx, &rec, default_account) {
            rows.push(r);
        }
        for e in cx.errors {
            if errors.len() < 20 {
                errors.push(e);
            } else {
                more += 1;
            }
        }
    }
    if !errors.is_empty() {
        return Err(DaError::BadCells { errors, more });
    }
    Ok(rows)
}

fn csv_error(file: &Arc<str>, e: csvread::CsvError) -> DaError {
    match e {
        csvread::CsvError::UnclosedQuote { .. } | csvread::CsvError::RowsInCell { .. } => {
            DaError::Quoting {
                file: file.clone(),
                line: e.line(),
                problem: e.to_string(),
            }
        }
        e => DaError::Csv {
            file: file.clone(),
            line: e.line(),
            message: e.to_string(),
        },
    }
}

/// Where each field is in the header.
struct Columns {
    at: Vec<(Field, usize)>,
}

impl Columns {
    fn from_header(file: &Arc<str>, header: &[String], has_default: bool) -> Result<Self, DaError> {
        let mut at: Vec<(Field, usize)> = Vec::new();
        for (i, h) in header.iter().enumerate() {
            let Some(f) = field_of(h) else {
                return Err(DaError::UnknownColumn {
                    file: file.clone(),
                    column: h.trim().to_string(),
                    index: i + 1,
                    known: FIELDS
                        .iter()
                        .map(|(_, n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(","),
                });
            };
            if f == Field::Ignored {
                continue;
            }
            if let Some(&(_, first)) = at.iter().find(|(g, _)| *g == f) {
                return Err(DaError::DuplicateColumn {
                    file: file.clone(),
                    column: canonical(f).0,
                    first: first + 1,
                    second: i + 1,
                });
            }
            at.push((f, i));
        }
        let mut required = vec![Field::Asset, Field::Units, Field::DateSold, Field::Proceeds];
        if !has_default {
            required.insert(0, Field::Account);
        }
        for f in required {
            if !at.iter().any(|(g, _)| *g == f) {
                let (column, aliases) = canonical(f);
                return Err(DaError::MissingColumn {
                    file: file.clone(),
                    column,
                    aliases: aliases.join(", "),
                    hint: if f == Field::Account {
                        ", or give the file as --1099da ACCOUNT=FILE"
                    } else {
                        ""
                    },
                });
            }
        }
        Ok(Columns { at })
    }

    fn index(&self, f: Field) -> Option<usize> {
        self.at.iter().find(|(g, _)| *g == f).map(|&(_, i)| i)
    }

    /// Reads one data row; bad cells go to `cx.errors`.
    fn row(
        &self,
        cx: &mut RowCx<'_>,
        rec: &csvread::Record,
        default_account: Option<&str>,
    ) -> Option<BrokerRow> {
        let before = cx.errors.len();
        let mut cell = |f: Field| -> Option<(usize, String)> {
            let i = self.index(f)?;
            let raw = rec.get(i).unwrap_or_default();
            match std::str::from_utf8(raw) {
                Ok(s) => Some((i, crate::cell::unprotect(s.trim()).to_string())),
                Err(_) => {
                    cx.errors.push(cx.cell_error(
                        i,
                        None,
                        "is not valid UTF-8 text: save the file as UTF-8",
                    ));
                    None
                }
            }
        };
        let account = cell(Field::Account);
        let broker = cell(Field::Broker);
        let asset = cell(Field::Asset);
        let asset_name = cell(Field::AssetName);
        let units = cell(Field::Units);
        let acquired = cell(Field::DateAcquired);
        let sold = cell(Field::DateSold);
        let proceeds = cell(Field::Proceeds);
        let basis = cell(Field::Basis);
        let wash = cell(Field::WashSale);
        let reported = cell(Field::BasisReported);
        let term = cell(Field::Term);
        let noncovered = cell(Field::Noncovered);
        let checkbox = cell(Field::Checkbox);
        let txid = cell(Field::TransactionId);

        let account = match account.filter(|(_, s)| !s.is_empty()) {
            Some((_, s)) => Some(s),
            None => match default_account {
                Some(a) => Some(a.to_string()),
                None => {
                    let i = self.index(Field::Account).unwrap_or(0);
                    cx.errors.push(cx.cell_error(
                        i,
                        Some(""),
                        "is required and empty: write the ledger's account name, or give the file as --1099da ACCOUNT=FILE",
                    ));
                    None
                }
            },
        };
        let asset = cx.required(asset, "write the asset code of box 1a (BTC, ETH, ...)");
        let units = cx
            .required_at(units, "copy the units of box 1c")
            .and_then(|(i, s)| cx.parse(i, &s, parse_units));
        let date_sold = cx
            .required_at(sold, "copy the date sold of box 1e (YYYY-MM-DD)")
            .and_then(|(i, s)| cx.parse(i, &s, parse_date));
        let date_acquired = match acquired {
            Some((i, s)) if !s.is_empty() && !s.eq_ignore_ascii_case("various") => {
                cx.parse(i, &s, parse_date).map(Some)
            }
            _ => Some(None),
        };
        let proceeds = cx
            .required_at(proceeds, "copy the proceeds of box 1f")
            .and_then(|(i, s)| cx.parse(i, &s, parse_money));
        let basis = optional(cx, basis, parse_money);
        let wash = optional(cx, wash, parse_money);
        let reported_cell = reported.clone();
        // A box 2 column, even blank, decides (blank: not checked).
        let has_box_2 = reported.is_some();
        let reported = optional(cx, reported, parse_flag).map(|r| {
            if has_box_2 {
                Some(r.unwrap_or(false))
            } else {
                r
            }
        });
        let term = optional(cx, term, parse_term);
        let noncovered = optional(cx, noncovered, parse_flag);
        let checkbox_cell = checkbox.clone();
        let checkbox = optional(cx, checkbox, parse_checkbox);
        if cx.errors.len() > before {
            return None;
        }
        let (account, asset, units, date_sold, date_acquired, proceeds) = (
            account?,
            asset?,
            units?,
            date_sold?,
            date_acquired?,
            proceeds?,
        );
        let (basis, wash, reported, term, noncovered, checkbox) =
            (basis?, wash?, reported?, term?, noncovered?, checkbox?);

        // Box 2 decides; without it, the checkbox G/J says basis reported.
        let from_checkbox = checkbox.map(Checkbox::basis_reported);
        let basis_reported = match (reported, from_checkbox) {
            (Some(r), Some(c)) if r != c => {
                let (i, s) = checkbox_cell.unwrap_or_default();
                cx.errors.push(cx.cell_error(
                    i,
                    Some(&s),
                    &format!(
                        "disagrees with box 2 ({}): G/J mean basis reported to the IRS, H/K/X/Y not; copy both from the form",
                        reported_cell.map(|(_, s)| s).unwrap_or_default()
                    ),
                ));
                return None;
            }
            (Some(r), _) => r,
            (None, c) => c.unwrap_or(false),
        };
        if basis_reported && basis.is_none() {
            let i = self
                .index(Field::Basis)
                .or(self.index(Field::BasisReported));
            cx.errors.push(cx.cell_error(
                i.unwrap_or(0),
                self.index(Field::Basis).map(|_| ""),
                "basis reported to the IRS (box 2 or checkbox G/J) but box 1g is blank: copy 1g from the form, or clear box 2",
            ));
            return None;
        }
        // The term: box 6, else what the checkbox implies.
        let term = term.or_else(|| checkbox.and_then(Checkbox::term));
        Some(BrokerRow {
            file: cx.file.clone(),
            line: cx.line,
            account,
            broker: broker.map(|(_, s)| s).filter(|s| !s.is_empty()),
            asset,
            asset_name: asset_name.map(|(_, s)| s).filter(|s| !s.is_empty()),
            units,
            date_acquired,
            date_sold,
            proceeds,
            basis,
            wash_sale_disallowed: wash,
            basis_reported,
            term,
            noncovered: noncovered.unwrap_or(false),
            checkbox,
            transaction_id: txid.map(|(_, s)| s).filter(|s| !s.is_empty()),
        })
    }
}

/// An optional cell: `Some(None)` when blank or absent, `None` when bad.
fn optional<T>(
    cx: &mut RowCx<'_>,
    cell: Option<(usize, String)>,
    parse: fn(&str) -> Result<T, String>,
) -> Option<Option<T>> {
    match cell {
        Some((i, s)) if !s.is_empty() => cx.parse(i, &s, parse).map(Some),
        _ => Some(None),
    }
}

struct RowCx<'a> {
    file: &'a Arc<str>,
    line: u64,
    header: &'a [String],
    errors: Vec<CellError>,
}

impl RowCx<'_> {
    fn cell_error(&self, i: usize, value: Option<&str>, problem: &str) -> CellError {
        CellError {
            file: self.file.clone(),
            line: self.line,
            column: Some((
                i + 1,
                self.header
                    .get(i)
                    .map(|h| h.trim().to_string())
                    .unwrap_or_default(),
            )),
            value: value.map(shorten),
            problem: problem.to_string(),
        }
    }

    fn required(&mut self, cell: Option<(usize, String)>, what: &str) -> Option<String> {
        self.required_at(cell, what).map(|(_, s)| s)
    }

    fn required_at(
        &mut self,
        cell: Option<(usize, String)>,
        what: &str,
    ) -> Option<(usize, String)> {
        match cell {
            Some((i, s)) if s.is_empty() => {
                let e = self.cell_error(i, Some(""), &format!("is required and empty: {what}"));
                self.errors.push(e);
                None
            }
            other => other,
        }
    }

    fn parse<T>(&mut self, i: usize, s: &str, f: fn(&str) -> Result<T, String>) -> Option<T> {
        match f(s) {
            Ok(v) => Some(v),
            Err(p) => {
                let e = self.cell_error(i, Some(s), &p);
                self.errors.push(e);
                None
            }
        }
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        let mut t: String = s.chars().take(40).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

/// The largest amount or quantity harvest accepts (as the ledger: below 10^15).
fn limit() -> Decimal {
    Decimal::from(1_000_000_000_000_000i64)
}

/// A plain decimal with optional thousands separators (groups of three).
fn parse_plain(s: &str) -> Result<Decimal, String> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let int_ok = if int.contains(',') {
        let g: Vec<&str> = int.split(',').collect();
        !g[0].is_empty()
            && g[0].len() <= 3
            && g[1..].iter().all(|x| x.len() == 3)
            && g.iter().all(|x| digits(x))
    } else {
        digits(int)
    };
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && digits(f));
    if !int_ok || !frac_ok || (int.is_empty() && frac.is_none_or(str::is_empty)) {
        return Err(
            "is not a number: write it like 1234.56 (a $ and thousands commas are accepted)".into(),
        );
    }
    let plain = int.replace(',', "") + frac.map(|f| format!(".{f}")).as_deref().unwrap_or("");
    let d = Decimal::from_str_exact(&plain)
        .map_err(|_| "has more digits than an exact decimal holds (28): shorten it".to_string())?;
    if d >= limit() {
        return Err("is too large: amounts and units must be below 10^15".into());
    }
    Ok(d)
}

fn negative(s: &str) -> bool {
    s.starts_with('-') || s.starts_with('(') && s.ends_with(')')
}

/// Money: `1234.56`, `$1,234.56`, `1234.56 USD`; never negative.
pub(crate) fn parse_money(s: &str) -> Result<Decimal, String> {
    if negative(s) {
        return Err(
            "is negative: proceeds, basis and the wash sale amount are positive on the form; copy the amount without a sign"
                .into(),
        );
    }
    let t = s.trim();
    let t = t.strip_prefix("US$").or(t.strip_prefix('$')).unwrap_or(t);
    let t = t
        .strip_suffix("USD")
        .or(t.strip_suffix("usd"))
        .unwrap_or(t)
        .trim();
    parse_plain(t)
}

/// Units (box 1c): positive; the decimals written are the broker's precision.
pub(crate) fn parse_units(s: &str) -> Result<Decimal, String> {
    if negative(s) {
        return Err("is negative: copy the units of box 1c without a sign".into());
    }
    let d = parse_plain(s.trim())?;
    if d.is_zero() {
        return Err("is zero: a sale has units; copy box 1c".into());
    }
    Ok(d)
}

/// A date: `YYYY-MM-DD`, or `MM/DD/YYYY` as the form prints it.
pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%m/%d/%Y"))
        .map_err(|_| "is not a date: write it as YYYY-MM-DD (or MM/DD/YYYY)".to_string())
}

/// A check box: X, yes, true, 1 (checked) or no, false, 0 (not checked).
pub(crate) fn parse_flag(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "x" | "yes" | "y" | "true" | "1" | "checked" => Ok(true),
        "no" | "n" | "false" | "0" => Ok(false),
        _ => Err(
            "is not a check box: write X (or yes) when checked, leave it blank (or no) when not"
                .into(),
        ),
    }
}

/// Box 6: short-term, long-term or ordinary.
pub(crate) fn parse_term(s: &str) -> Result<BrokerTerm, String> {
    match normalize(s).as_str() {
        "short" | "short_term" | "st" | "s" => Ok(BrokerTerm::Short),
        "long" | "long_term" | "lt" | "l" => Ok(BrokerTerm::Long),
        "ordinary" | "o" => Ok(BrokerTerm::Ordinary),
        _ => Err("is not a term: write short, long or ordinary (box 6), or leave it blank".into()),
    }
}

/// The form's "applicable checkbox on Form 8949".
pub(crate) fn parse_checkbox(s: &str) -> Result<Checkbox, String> {
    match s.to_ascii_uppercase().as_str() {
        "G" => Ok(Checkbox::G),
        "H" => Ok(Checkbox::H),
        "J" => Ok(Checkbox::J),
        "K" => Ok(Checkbox::K),
        "X" => Ok(Checkbox::X),
        "Y" => Ok(Checkbox::Y),
        _ => Err(
            "is not a Form 8949 checkbox of a 1099-DA: write G, H, J, K, X or Y, or leave it blank"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<BrokerRow>, DaError> {
        read_1099da(text.as_bytes(), "da.csv", None)
    }

    #[test]
    fn columns_by_name_or_box_in_any_order() {
        let rows = read(
            "Box 1e,PROCEEDS,1c,asset,Account,box_1g,2,6,Box 1d,transaction_id,9,checkbox,4\n\
             2025-03-12,\"$8,159.00\",0.1000,BTC,coinbase,\"7,035.00\",X,short,03/12/2024,t1,,G,0.00\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.account, "coinbase");
        assert_eq!(r.asset, "BTC");
        assert_eq!(r.units, Decimal::new(1000, 4));
        assert_eq!(r.units.scale(), 4);
        assert_eq!(r.proceeds, Decimal::new(815900, 2));
        assert_eq!(r.basis, Some(Decimal::new(703500, 2)));
        assert!(r.basis_reported);
        assert_eq!(r.term, Some(BrokerTerm::Short));
        assert_eq!(r.date_sold, NaiveDate::from_ymd_opt(2025, 3, 12).unwrap());
        assert_eq!(r.date_acquired, NaiveDate::from_ymd_opt(2024, 3, 12));
        assert_eq!(r.transaction_id.as_deref(), Some("t1"));
        assert_eq!(r.line, 2);
    }

    #[test]
    fn default_account_replaces_the_column() {
        let rows = read_1099da(
            b"asset,units,date_sold,proceeds,date_acquired\nETH,1,2025-09-09,4378,various\n",
            "cb.csv",
            Some("coinbase"),
        )
        .unwrap();
        assert_eq!(rows[0].account, "coinbase");
        assert_eq!(rows[0].date_acquired, None);
        assert!(!rows[0].basis_reported);
        assert_eq!(rows[0].basis, None);
    }

    #[test]
    fn checkbox_implies_basis_and_term_without_box_2() {
        let rows = read(
            "account,asset,units,date_sold,proceeds,basis,checkbox\n\
             cb,BTC,1,2025-01-02,10,5,J\ncb,BTC,1,2025-01-02,10,,H\ncb,BTC,1,2025-01-02,10,,Y\n",
        )
        .unwrap();
        assert!(rows[0].basis_reported);
        assert_eq!(rows[0].term, Some(BrokerTerm::Long));
        assert!(!rows[1].basis_reported);
        assert_eq!(rows[1].term, Some(BrokerTerm::Short));
        assert_eq!(rows[2].term, None);
    }

    #[test]
    fn a_trailing_comma_in_the_header_is_no_column() {
        let rows =
            read("account,asset,units,date_sold,proceeds,\ncb,BTC,1,2025-01-02,10,\n").unwrap();
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn missing_column_names_its_aliases() {
        let e = read("account,asset,date_sold,proceeds\ncb,BTC,2025-01-02,10\n").unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("da.csv:1: missing required column `units`"),
            "{m}"
        );
        assert!(m.contains("1c"), "{m}");
        let e = read("asset,units,date_sold,proceeds\nBTC,1,2025-01-02,10\n").unwrap_err();
        assert!(e.to_string().contains("--1099da ACCOUNT=FILE"));
    }

    #[test]
    fn bad_cells_name_file_line_and_column() {
        let e = read(
            "account,asset,units,date_sold,proceeds\n\
             cb,BTC,1,2025-01-02,10\n\
             cb,BTC,1,2025-13-02,12x4\n\
             cb,BTC,-1,2025-01-02,10\n",
        )
        .unwrap_err();
        let m = e.to_string();
        assert!(m.starts_with("3 bad cells in the 1099-DA file"), "{m}");
        assert!(
            m.contains("da.csv:3:4: column `date_sold` \"2025-13-02\": is not a date"),
            "{m}"
        );
        assert!(
            m.contains("da.csv:3:5: column `proceeds` \"12x4\": is not a number"),
            "{m}"
        );
        assert!(
            m.contains("da.csv:4:3: column `units` \"-1\": is negative"),
            "{m}"
        );
    }

    // Lines count as an editor counts them, CRLF or LF (README: CRLF reads like
    // LF); a quote never closed (RFC 4180 section 2.5-2.7) is an error at its
    // line instead of a file that ends early.
    #[test]
    fn crlf_lines_and_a_quote_never_closed() {
        let e = read("account,asset,units,date_sold,proceeds\r\ncb,BTC,1,2025-01-02,10\r\n\r\ncb,BTC,1,2025-01-02,x\r\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("da.csv:4:5: column `proceeds` \"x\""),
            "{e}"
        );
        let e = read("account,asset,units,date_sold,proceeds\ncb,BTC,1,2025-01-02,\"10\ncb,BTC,1,2025-01-03,12\n")
            .unwrap_err();
        assert!(
            e.to_string().starts_with(
                "da.csv:2: a quote (\") opens a cell on this line and is never closed"
            ),
            "{e}"
        );
    }

    #[test]
    fn unknown_and_duplicate_columns_are_errors() {
        let e = read("account,asset,units,date_sold,proceeds,colour\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("da.csv:1:6: unknown column `colour`")
        );
        let e = read("account,asset,units,1c,date_sold,proceeds\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("column `units` is given twice (columns 3 and 4)")
        );
        assert!(matches!(read(""), Err(DaError::Empty { .. })));
    }

    #[test]
    fn box_2_and_basis_must_agree() {
        let e = read("account,asset,units,date_sold,proceeds,basis,2\ncb,BTC,1,2025-01-02,10,,X\n")
            .unwrap_err();
        assert!(e.to_string().contains("box 1g is blank"), "{e}");
        let e = read(
            "account,asset,units,date_sold,proceeds,basis,2,checkbox\ncb,BTC,1,2025-01-02,10,4,,G\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("disagrees with box 2"), "{e}");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_money("$1,234.50"), Ok(Decimal::new(123450, 2)));
        assert_eq!(parse_money("1234.5 USD"), Ok(Decimal::new(12345, 1)));
        assert!(parse_money("1,23.0").is_err());
        assert!(parse_money("(5.00)").is_err());
        assert!(parse_money("1e5").is_err());
        assert!(parse_money(".").is_err());
        assert_eq!(parse_money(".5"), Ok(Decimal::new(5, 1)));
        assert!(parse_money("1000000000000000").is_err());
        assert!(parse_units("0").is_err());
        assert_eq!(parse_units("0.50000000").map(|d| d.scale()), Ok(8));
        assert_eq!(parse_term("Short-term"), Ok(BrokerTerm::Short));
        assert!(parse_flag("maybe").is_err());
    }
}
