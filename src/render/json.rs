//! JSON output: money as strings with two decimals, quantities as exact strings.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::{
    Adjustment, GainsView, IsoDate, Lines, LotsView, Money, Qty, money, price, push_iso_date,
    push_money, push_price, push_qty, qty,
};
use crate::tax::Totals;

/// Serializes a value through its `Display`, without an intermediate String.
struct Shown<T>(T);

impl<T: std::fmt::Display> serde::Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// A Form 8949 line as a JSON object with the CSV columns, streamed.
#[derive(serde::Serialize)]
struct GainJson<'a> {
    disposal_id: &'a str,
    lot_id: &'a str,
    asset: &'a str,
    quantity: Qty,
    account: &'a str,
    date_acquired: Shown<IsoDate>,
    date_sold: Shown<IsoDate>,
    term: &'static str,
    #[serde(rename = "box")]
    box_: &'a str,
    description: Shown<std::fmt::Arguments<'a>>,
    proceeds: Money,
    cost_basis: Money,
    adjustment_code: &'a str,
    adjustment: Shown<Adjustment>,
    gain: Money,
    /// Only for a gift's dual basis.
    #[serde(skip_serializing_if = "Option::is_none")]
    basis_rule: Option<&'static str>,
    /// Only for inherited units.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    inherited: bool,
}

/// Form 8949 lines as a JSON array, serialized one line at a time.
pub struct GainLines<'a>(pub Lines<'a>);

impl serde::Serialize for GainLines<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for l in self.0 {
            let q = Qty(l.quantity);
            seq.serialize_element(&GainJson {
                disposal_id: l.disposal_id,
                lot_id: l.lot_id,
                asset: l.asset,
                quantity: q,
                account: l.account,
                date_acquired: Shown(IsoDate(l.date_acquired)),
                date_sold: Shown(IsoDate(l.date_sold)),
                term: l.term.as_str(),
                box_: l.box_,
                description: Shown(format_args!("{} {}", q, l.asset)),
                proceeds: Money(l.proceeds),
                cost_basis: Money(l.cost_basis),
                adjustment_code: &l.adjustment_code,
                adjustment: Shown(Adjustment::new(&l.adjustment_code, l.adjustment)),
                gain: Money(l.gain),
                basis_rule: (l.basis_rule != crate::tax::BasisRule::Lot)
                    .then(|| l.basis_rule.as_str()),
                inherited: l.inherited,
            })?;
        }
        seq.end()
    }
}

/// An object of small parts (a Map) followed by one large streamed field.
#[derive(serde::Serialize)]
struct WithRows<T: serde::Serialize> {
    #[serde(flatten)]
    head: Map<String, Value>,
    #[serde(flatten)]
    rows: RowsField<T>,
}

/// The streamed field, under its key.
struct RowsField<T> {
    key: &'static str,
    lines: T,
}

impl<T: serde::Serialize> serde::Serialize for RowsField<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.key, &self.lines)?;
        m.end()
    }
}

/// Writes `head`'s keys, then `lines` under `key`, one element at a time: a
/// large array is never held as JSON values.
fn write_with_rows<T: serde::Serialize>(
    w: &mut dyn Write,
    head: Value,
    key: &'static str,
    lines: T,
) -> io::Result<()> {
    let Value::Object(head) = head else {
        return Err(io::Error::other("internal: the JSON head is not an object"));
    };
    let v = WithRows {
        head,
        rows: RowsField { key, lines },
    };
    pretty(w, &v)
}

/// Writes `v` as pretty JSON and a newline. serde_json writes a document in
/// pieces of a few bytes (a quote, a key, an indent); each went through
/// `dyn Write` as a call of its own, which cost more than the bytes. A buffer
/// of a known type takes them inline and hands `w` 64 KiB at a time.
fn pretty<T: serde::Serialize + ?Sized>(w: &mut dyn Write, v: &T) -> io::Result<()> {
    let mut buf = io::BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer_pretty(&mut buf, v)?;
    buf.write_all(b"\n")?;
    buf.flush()
}

/// The value the Form 8949 lines' key is written with, then cut off for the
/// lines written by hand (see [`pretty_with_lines`]).
const LINES_HERE: &str = "\u{1}form 8949 lines\u{1}";

/// [`pretty`] for a document whose last key is `key` holding [`LINES_HERE`]:
/// the lines are written in its place by [`write_gain_lines`], byte for byte
/// as serde_json writes [`GainLines`] there. Through serde_json, a large year
/// (527k lines, 247 MB) spent most of its time escaping and copying a few
/// bytes at a time.
fn pretty_with_lines<T: serde::Serialize>(
    w: &mut dyn Write,
    doc: &T,
    key: &str,
    lines: Lines<'_>,
) -> io::Result<()> {
    pretty_with_array(w, doc, key, |w| write_gain_lines(w, lines))
}

/// [`pretty_with_lines`] for any array written by hand by `array`.
fn pretty_with_array<T: serde::Serialize>(
    w: &mut dyn Write,
    doc: &T,
    key: &str,
    array: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut buf = io::BufWriter::with_capacity(1 << 16, w);
    // How serde_json ends the document: the key, the placeholder (its
    // control characters escaped), the object's end.
    let tail = format!("  \"{key}\": \"\\u0001form 8949 lines\\u0001\"\n}}");
    let mut held = HoldBack {
        out: &mut buf,
        held: Vec::new(),
        keep: tail.len(),
    };
    serde_json::to_writer_pretty(&mut held, doc)?;
    if held.finish()? != tail.as_bytes() {
        return Err(io::Error::other(
            "internal: the JSON document does not end with its Form 8949 lines",
        ));
    }
    write!(buf, "  \"{key}\": ")?;
    array(&mut buf)?;
    buf.write_all(b"\n}\n")?;
    buf.flush()
}

/// Passes bytes on to `out` but the last `keep`, which [`HoldBack::finish`]
/// returns.
struct HoldBack<'w> {
    out: &'w mut dyn Write,
    held: Vec<u8>,
    keep: usize,
}

impl HoldBack<'_> {
    /// Writes what is not held back and returns the rest.
    fn finish(mut self) -> io::Result<Vec<u8>> {
        let n = self.held.len().saturating_sub(self.keep);
        self.out.write_all(&self.held[..n])?;
        Ok(self.held.split_off(n))
    }
}

impl Write for HoldBack<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.held.extend_from_slice(b);
        if self.held.len() >= (1 << 16) + self.keep {
            let n = self.held.len() - self.keep;
            self.out.write_all(&self.held[..n])?;
            self.held.drain(..n);
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes Form 8949 lines as the JSON array serde_json's pretty printer makes
/// of [`GainLines`] as the value of a key of the top object: each line an
/// object indented by four spaces, its keys by six (a long list on two
/// threads: see [`super::write_chunked`]).
fn write_gain_lines(w: &mut dyn Write, lines: Lines<'_>) -> io::Result<()> {
    write_objects(w, lines.len(), |out, chunk| {
        gain_line_objects(out, chunk.start == 0, lines.slice(chunk))
    })
}

/// The object `head` with, as its last key, `key`: an array of `n` objects
/// that `objects` writes a range at a time ([`write_objects`]), in the
/// layout serde_json's pretty printer gives the whole document.
fn head_and_objects<F: Fn(&mut Vec<u8>, std::ops::Range<usize>) + Sync>(
    w: &mut dyn Write,
    head: Value,
    key: &'static str,
    n: usize,
    objects: F,
) -> io::Result<()> {
    let Value::Object(head) = head else {
        return Err(io::Error::other("internal: the JSON head is not an object"));
    };
    let doc = WithRows {
        head,
        rows: RowsField {
            key,
            lines: LINES_HERE,
        },
    };
    pretty_with_array(w, &doc, key, |w| write_objects(w, n, objects))
}

/// Writes an array of `n` objects as serde_json's pretty printer does as the
/// value of a key of the top object: `objects` appends those of a range, each
/// after a comma but the first of all (see [`object_start`]).
fn write_objects<F: Fn(&mut Vec<u8>, std::ops::Range<usize>) + Sync>(
    w: &mut dyn Write,
    n: usize,
    objects: F,
) -> io::Result<()> {
    if n == 0 {
        return w.write_all(b"[]");
    }
    w.write_all(b"[")?;
    super::write_chunked(w, n, objects)?;
    w.write_all(b"\n  ]")
}

/// The opening of the `i`th object of an array written by [`write_objects`].
fn object_start(out: &mut Vec<u8>, i: usize) {
    out.extend_from_slice(if i == 0 { b"\n    {" } else { b",\n    {" });
}

/// Appends a key of an object in an array and its value, a JSON string.
fn str_key(out: &mut Vec<u8>, key: &[u8], s: &str) {
    out.extend_from_slice(key);
    push_json_str(out, s);
}

/// Appends a key and a value of ours (digits, a date, a word) between quotes:
/// ASCII with nothing to escape.
fn ours_key(out: &mut Vec<u8>, key: &[u8], push: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(key);
    out.push(b'"');
    push(out);
    out.push(b'"');
}

/// The keys every listing of an open lot starts with.
fn lot_head_keys(out: &mut Vec<u8>, h: super::LotHead<'_>) {
    str_key(out, b"\n      \"asset\": ", h.asset);
    str_key(out, b",\n      \"account\": ", h.account);
    str_key(out, b",\n      \"lot_id\": ", h.lot_id);
    ours_key(out, b",\n      \"date_acquired\": ", |o| {
        push_iso_date(o, h.date_acquired)
    });
    ours_key(out, b",\n      \"quantity\": ", |o| push_qty(o, h.quantity));
    ours_key(out, b",\n      \"cost_basis\": ", |o| {
        push_money(o, h.cost_basis)
    });
}

/// Appends a lot's price, value, unrealized gain and term (a word of ours).
fn valued_keys(
    out: &mut Vec<u8>,
    price: rust_decimal::Decimal,
    value: rust_decimal::Decimal,
    unrealized: rust_decimal::Decimal,
    term: &str,
) {
    ours_key(out, b",\n      \"price\": ", |o| push_price(o, price));
    ours_key(out, b",\n      \"value\": ", |o| push_money(o, value));
    ours_key(out, b",\n      \"unrealized\": ", |o| {
        push_money(o, unrealized)
    });
    ours_key(out, b",\n      \"term\": ", |o| {
        o.extend_from_slice(term.as_bytes())
    });
}

/// Appends the open lots `lines[range]` as [`LotLines`] serializes them.
fn lot_objects(
    out: &mut Vec<u8>,
    lines: &[super::LotLine<'_>],
    priced: bool,
    range: std::ops::Range<usize>,
) {
    let start = range.start;
    for (i, l) in super::fetching_ids(lines, range).enumerate() {
        object_start(out, start + i);
        lot_head_keys(out, l.head());
        ours_key(out, b",\n      \"unit_basis\": ", |o| {
            push_price(o, l.unit_basis)
        });
        if priced {
            match &l.valued {
                Some(p) => valued_keys(out, p.price, p.value, p.unrealized, p.term.as_str()),
                None => out.extend_from_slice(
                    b",\n      \"price\": null,\n      \"value\": null,\n      \"unrealized\": null,\n      \"term\": null",
                ),
            }
        }
        out.extend_from_slice(b"\n    }");
    }
}

/// Appends the candidates `lines[range]` as [`CandidateLines`] serializes them.
fn candidate_objects(
    out: &mut Vec<u8>,
    lines: &[super::ScanLine<'_>],
    range: std::ops::Range<usize>,
) {
    let start = range.start;
    for (i, l) in super::fetching_ids(lines, range).enumerate() {
        object_start(out, start + i);
        lot_head_keys(out, l.head());
        valued_keys(out, l.price, l.value, l.unrealized, l.term.as_str());
        match l.long_term_on {
            Some(d) => ours_key(out, b",\n      \"long_term_on\": ", |o| push_iso_date(o, d)),
            None => out.extend_from_slice(b",\n      \"long_term_on\": null"),
        }
        out.extend_from_slice(if l.turns_long_soon {
            b",\n      \"turns_long_term_soon\": true"
        } else {
            b",\n      \"turns_long_term_soon\": false"
        });
        str_key(out, b",\n      \"wash_risk\": ", l.wash_risk);
        ours_key(out, b",\n      \"recommended\": ", |o| {
            push_qty(o, l.recommended)
        });
        out.extend_from_slice(b"\n    }");
    }
}

/// Appends the objects of [`write_gain_lines`], each after a comma but the
/// first line of all.
fn gain_line_objects(out: &mut Vec<u8>, first: bool, lines: Lines<'_>) {
    // Numbers and dates are ours, ASCII with nothing to escape: written
    // between quotes as they are.
    let quoted = |out: &mut Vec<u8>, key: &[u8], push: &dyn Fn(&mut Vec<u8>)| {
        out.extend_from_slice(key);
        out.push(b'"');
        push(out);
        out.push(b'"');
    };
    let mut q: Vec<u8> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        out.extend_from_slice(if first && i == 0 {
            b"\n    {"
        } else {
            b",\n    {"
        });
        q.clear();
        push_qty(&mut q, l.quantity);
        out.extend_from_slice(b"\n      \"disposal_id\": ");
        push_json_str(out, l.disposal_id);
        out.extend_from_slice(b",\n      \"lot_id\": ");
        push_json_str(out, l.lot_id);
        out.extend_from_slice(b",\n      \"asset\": ");
        push_json_str(out, l.asset);
        quoted(out, b",\n      \"quantity\": ", &|o| {
            o.extend_from_slice(&q)
        });
        out.extend_from_slice(b",\n      \"account\": ");
        push_json_str(out, l.account);
        quoted(out, b",\n      \"date_acquired\": ", &|o| {
            push_iso_date(o, l.date_acquired)
        });
        quoted(out, b",\n      \"date_sold\": ", &|o| {
            push_iso_date(o, l.date_sold)
        });
        // The term and the box are ours: a word and a letter.
        quoted(out, b",\n      \"term\": ", &|o| {
            o.extend_from_slice(l.term.as_str().as_bytes())
        });
        quoted(out, b",\n      \"box\": ", &|o| {
            o.extend_from_slice(l.box_.as_bytes())
        });
        out.extend_from_slice(b",\n      \"description\": ");
        q.push(b' ');
        q.extend_from_slice(l.asset.as_bytes());
        // Digits, a point, a space and a str: always UTF-8.
        push_json_str(out, &String::from_utf8_lossy(&q));
        quoted(out, b",\n      \"proceeds\": ", &|o| {
            push_money(o, l.proceeds)
        });
        quoted(out, b",\n      \"cost_basis\": ", &|o| {
            push_money(o, l.cost_basis)
        });
        out.extend_from_slice(b",\n      \"adjustment_code\": ");
        push_json_str(out, &l.adjustment_code);
        quoted(out, b",\n      \"adjustment\": ", &|o| l.push_adjustment(o));
        quoted(out, b",\n      \"gain\": ", &|o| push_money(o, l.gain));
        if l.basis_rule != crate::tax::BasisRule::Lot {
            out.extend_from_slice(b",\n      \"basis_rule\": ");
            push_json_str(out, l.basis_rule.as_str());
        }
        if l.inherited {
            out.extend_from_slice(b",\n      \"inherited\": true");
        }
        out.extend_from_slice(b"\n    }");
    }
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it: the quote,
/// the backslash and the control characters (short forms where JSON has
/// them, else `\u00xx`); nothing else.
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    out.push(b'"');
    // Nearly every string (ids, names, codes) has nothing to escape: one
    // pass with no early exit, which the compiler vectorizes, tells.
    let plain = !b.iter().fold(false, |esc, &c| {
        esc | (c < 0x20) | (c == b'"') | (c == b'\\')
    });
    if plain {
        out.extend_from_slice(b);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let short: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0C => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..0x20 => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 0xF) as usize],
            ],
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(short);
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

/// Column totals as a JSON object.
pub fn totals(t: &Totals) -> Value {
    json!({
        "proceeds": money(t.proceeds),
        "cost_basis": money(t.cost_basis),
        "adjustment": money(t.adjustment),
        "gain": money(t.gain),
    })
}

/// Writes a value followed by a newline.
pub fn write_value(w: &mut dyn Write, v: &Value) -> io::Result<()> {
    pretty(w, v)
}

/// `harvest gains --format json`.
pub fn gains(w: &mut dyn Write, v: &GainsView<'_>) -> io::Result<()> {
    let mut total = v.short_term;
    total.proceeds += v.long_term.proceeds;
    total.cost_basis += v.long_term.cost_basis;
    total.adjustment += v.long_term.adjustment;
    total.gain += v.long_term.gain;
    let value = json!({
        "year": v.year,
        "method": v.method,
        "scope": v.scope,
        "what_if": v.what_if,
        "short_term": totals(&v.short_term),
        "long_term": totals(&v.long_term),
        "total": totals(&total),
    });
    let Value::Object(head) = value else {
        return Err(io::Error::other("internal: the JSON head is not an object"));
    };
    let doc = WithRows {
        head,
        rows: RowsField {
            key: "rows",
            lines: LINES_HERE,
        },
    };
    pretty_with_lines(w, &doc, "rows", v.lines)
}

/// The open lots as a JSON array through serde_json: what [`lot_objects`]
/// writes by hand, byte for byte (the tests' reference).
#[cfg(test)]
struct LotLines<'a, 'b>(&'b LotsView<'a>);

#[cfg(test)]
/// The keys every listing of an open lot (`lots`, `scan`'s candidates)
/// starts with.
#[derive(serde::Serialize)]
struct LotHead<'a> {
    asset: &'a str,
    account: &'a str,
    lot_id: &'a str,
    date_acquired: Shown<IsoDate>,
    quantity: Qty,
    cost_basis: Money,
}

#[cfg(test)]
impl<'a> LotHead<'a> {
    fn new(
        asset: &'a str,
        account: &'a str,
        lot_id: &'a str,
        date_acquired: chrono::NaiveDate,
        quantity: rust_decimal::Decimal,
        cost_basis: rust_decimal::Decimal,
    ) -> Self {
        LotHead {
            asset,
            account,
            lot_id,
            date_acquired: Shown(IsoDate(date_acquired)),
            quantity: Qty(quantity),
            cost_basis: Money(cost_basis),
        }
    }
}

#[cfg(test)]
/// An open lot as a JSON object; the last four keys only with prices.
#[derive(serde::Serialize)]
struct LotJson<'a> {
    #[serde(flatten)]
    head: LotHead<'a>,
    unit_basis: String,
    #[serde(flatten)]
    valued: Option<ValuedJson>,
}

#[cfg(test)]
/// A lot's price, value, unrealized gain and term (each null when the asset
/// has no price).
#[derive(serde::Serialize)]
struct ValuedJson {
    price: Option<String>,
    value: Option<Money>,
    unrealized: Option<Money>,
    term: Option<&'static str>,
}

#[cfg(test)]
impl serde::Serialize for LotLines<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let v = self.0;
        let mut seq = s.serialize_seq(Some(v.lines.len()))?;
        for l in &v.lines {
            let valued = v.priced.then(|| ValuedJson {
                price: l.valued.map(|p| price(p.price)),
                value: l.valued.map(|p| Money(p.value)),
                unrealized: l.valued.map(|p| Money(p.unrealized)),
                term: l.valued.map(|p| p.term.as_str()),
            });
            seq.serialize_element(&LotJson {
                head: LotHead::new(
                    l.asset,
                    l.account,
                    l.lot_id,
                    l.date_acquired,
                    l.quantity,
                    l.cost_basis,
                ),
                unit_basis: price(l.unit_basis),
                valued,
            })?;
        }
        seq.end()
    }
}

/// `harvest lots --format json`.
pub fn lots(w: &mut dyn Write, v: &LotsView<'_>) -> io::Result<()> {
    let head = json!({
        "as_of": v.as_of.map(|d| d.to_string()),
        "what_if": v.what_if,
    });
    head_and_objects(w, head, "lots", v.lines.len(), |out, range| {
        lot_objects(out, &v.lines, v.priced, range)
    })
}

/// `harvest report --format json`: the SPEC section 5 object, plus per-box
/// totals, the carryovers in, and the worksheet lines.
pub fn report(w: &mut dyn Write, v: &super::ReportView<'_>) -> io::Result<()> {
    let s = &v.schedule_d;
    let boxes: Vec<Value> = v
        .boxes
        .iter()
        .map(|b| {
            let mut t = totals(&b.totals);
            t["box"] = b.box_.as_str().into();
            t["rows"] = b.rows.into();
            t
        })
        .collect();
    let ws: Map<String, Value> = s
        .worksheet
        .lines
        .iter()
        .enumerate()
        .map(|(i, d)| (format!("line_{}", i + 1), Value::from(money(*d))))
        .collect();
    let head = json!({
        "year": v.year,
        "method": v.method,
        "scope": v.scope,
        "filing_status": v.filing_status,
        "what_if": v.what_if,
        "taxable_income": v.taxable_income.map(money),
        "short_term": totals(&v.short_term),
        "long_term": totals(&v.long_term),
        "boxes": boxes,
        "schedule_d": {
            "line_1a": money(s.line_1a),
            "line_1b": money(s.line_1b),
            "line_2": money(s.line_2),
            "line_3": money(s.line_3),
            "line_6": money(s.line_6),
            "line_7": money(s.line_7),
            "line_8a": money(s.line_8a),
            "line_8b": money(s.line_8b),
            "line_9": money(s.line_9),
            "line_10": money(s.line_10),
            "line_14": money(s.line_14),
            "line_15": money(s.line_15),
            "line_16": money(s.line_16),
            "line_18": money(s.line_18),
            "line_21": money(s.line_21),
        },
        "carryover_in": {
            "short_term": money(v.carryover_in.short_term),
            "long_term": money(v.carryover_in.long_term),
        },
        "carryover_next_year": {
            "short_term": money(s.carryover_next_year.short_term),
            "long_term": money(s.carryover_next_year.long_term),
        },
        "carryover_worksheet": ws,
    });
    // The keys after `income`, which streams its rows (a year of staking
    // rewards is many thousands of rows).
    let mut value = Value::Object(Map::new());
    transfers_into(&mut value, &v.transfers);
    value["warnings"] = v
        .warnings
        .iter()
        .map(|(kind, count, examples)| json!({"kind": kind, "count": count, "examples": examples}))
        .collect::<Vec<_>>()
        .into();
    if let Some(st) = &v.statement {
        value["settings"] = statement_value(st);
    }
    if let Some(e) = &v.exception_1 {
        value["exception_1"] = json!({
            "short_term": totals(&e.short_term),
            "long_term": totals(&e.long_term),
            "rows": serde_json::to_value(GainLines(e.lines)).unwrap_or_default(),
        });
    }
    if let Some(sum) = &v.summary {
        value["form_8949_summary"] = sum
            .iter()
            .map(|r| {
                json!({
                    "box": r.box_.as_str(),
                    "account": r.account,
                    "description": r.description(),
                    "rows": r.rows,
                    "proceeds": money(r.proceeds),
                    "cost_basis": money(r.cost_basis),
                    "adjustment_code": r.code,
                    "adjustment": money(r.adjustment),
                    "gain": money(r.gain),
                })
            })
            .collect::<Vec<_>>()
            .into();
    }
    let reason = |r: &crate::tax::question::Reason<'_>| {
        json!({
            "what": r.what,
            "count": r.count,
            "first": {"file": r.first.file, "line": r.first.line, "id": r.first.id},
        })
    };
    value["digital_asset_question"] = json!({
        "answer": if v.question.yes { "yes" } else { "no" },
        "yes_because": v.question.yes_because.iter().map(reason).collect::<Vec<_>>(),
        "not_counted": v.question.not_counted.iter().map(reason).collect::<Vec<_>>(),
    });
    let (Value::Object(before), Value::Object(after)) = (head, value) else {
        return Err(io::Error::other("internal: the JSON head is not an object"));
    };
    let doc = ReportJson {
        before,
        income: v.income.as_ref().map(income_json),
        after,
        rows: RowsField {
            key: "form_8949",
            lines: LINES_HERE,
        },
    };
    pretty_with_lines(w, &doc, "form_8949", v.lines)
}

/// `report --format json`: the keys before `income`, the income with its
/// rows streamed, the keys after it, and the Form 8949 lines streamed.
#[derive(serde::Serialize)]
struct ReportJson<'a, 'b> {
    #[serde(flatten)]
    before: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    income: Option<WithRows<IncomeRows<'a, 'b>>>,
    #[serde(flatten)]
    after: Map<String, Value>,
    /// [`LINES_HERE`]: see [`pretty_with_lines`].
    #[serde(flatten)]
    rows: RowsField<&'static str>,
}

/// The statement of a run's settings and files (`settings` in report and
/// audit JSON).
pub fn statement_value(st: &crate::statement::Statement) -> Value {
    json!({
        "harvest_version": st.version,
        "method": st.method,
        "scope": st.scope,
        "missing_basis": st.missing_basis,
        "wash_window": st.wash_window,
        "late_identification": st.late_identification,
        "tz": st.tz,
        "standing_orders": st.standing_orders.iter().map(|o| json!({
            "from": o.from,
            "method": o.method,
            "accounts": o.accounts,
        })).collect::<Vec<_>>(),
        "allocation": st.allocation.as_ref().map(|(date, rule, named)| json!({
            "date": date,
            "rule": rule,
            "named": named,
        })),
        "price_sources": st.price_sources.iter().map(|(src, n)| json!({
            "source": src,
            "amounts_valued": n,
        })).collect::<Vec<_>>(),
        "files": st.files().iter().map(|(role, f)| json!({
            "role": role,
            "name": f.name,
            "bytes": f.bytes,
            "sha256": f.sha256,
        })).collect::<Vec<_>>(),
        "notes": st.notes,
    })
}

/// `harvest scan --format json`: the year so far, the candidates and the plan.
pub fn scan(w: &mut dyn Write, v: &super::ScanView<'_>) -> io::Result<()> {
    let pic = |p: &super::Picture| {
        json!({
            "line_7": money(p.line_7),
            "line_15": money(p.line_15),
            "line_16": money(p.line_16),
            "line_21": money(p.line_21),
        })
    };
    let sales: Vec<Value> = v
        .sales
        .iter()
        .map(|s| {
            let mut sale = json!({
                "account": s.account,
                "asset": s.asset,
                "quantity": qty(s.quantity),
                "price": price(s.price),
                "proceeds": money(s.proceeds),
                "realized_specific_id": money(s.specific),
                "realized_by_method": money(s.by_method),
                "short_term": money(s.specific_terms.short),
                "long_term": money(s.specific_terms.long),
                "fifo_short_term": money(s.fifo_terms.short),
                "fifo_long_term": money(s.fifo_terms.long),
                "term_differs_under_fifo": s.specific_terms.term_differs(&s.fifo_terms),
                "identify_with": s.identify_with,
                "why": s.why,
            });
            // With a fee rate or spread set: what the sale costs and saves.
            if v.costs.is_some()
                && let Some(o) = sale.as_object_mut()
            {
                for (k, x) in [
                    ("fee_rate", Value::from(s.fee_rate.normalize().to_string())),
                    ("net_proceeds", Value::from(money(s.net_proceeds))),
                    ("selling_cost", Value::from(money(s.costs.selling))),
                    ("buy_back_cost", Value::from(money(s.costs.buy_back))),
                    ("cost", Value::from(money(s.costs.total()))),
                    ("tax_saved", Value::from(money(s.tax_saved))),
                    ("net_saving", Value::from(money(s.net_saving()))),
                ] {
                    o.insert(k.to_string(), x);
                }
            }
            sale
        })
        .collect();
    let mut value = json!({
        "as_of": v.as_of.to_string(),
        "year": v.year,
        "method": v.method,
        "filing_status": v.filing_status,
        "what_if": v.what_if,
        "days_left": v.days_left,
        "realized_so_far": {
            "short_term": money(v.realized_st),
            "long_term": money(v.realized_lt),
        },
        "carryover_in": {
            "short_term": money(v.carryover_in.short_term),
            "long_term": money(v.carryover_in.long_term),
        },
        "loss_limit": money(v.loss_limit),
        "loss_needed": money(v.loss_needed),
        "loss_available": money(v.loss_available),
        "plan": {
            "realized_short_term": money(v.plan_st),
            "realized_long_term": money(v.plan_lt),
            "realized_total": money(v.plan_st + v.plan_lt),
            "loss_used_this_year": money(v.loss_used),
            "loss_carried": money(v.loss_carried),
            "future_rate": v.future_rate.round_dp(4).normalize().to_string(),
            "carryover_value": money(v.carryover_value),
            "sales": sales,
        },
        "schedule_d_before": pic(&v.before),
        "schedule_d_after": pic(&v.after),
        "carryover_next_year": {
            "short_term": money(v.carryover_after.short_term),
            "long_term": money(v.carryover_after.long_term),
        },
        "tax_before": money(v.tax_before),
        "tax_after": money(v.tax_after),
        "tax_saved": money(v.tax_saved),
        "tax_basis": v.tax_basis,
        "gain_harvest": v.gains.as_ref().map(gains_at_zero),
        "notes": v.notes,
    });
    if let Some(c) = &v.costs
        && let Some(plan) = value.get_mut("plan").and_then(Value::as_object_mut)
    {
        let rates: Map<String, Value> = c
            .fee_rates
            .iter()
            .map(|(a, r, _)| (a.clone(), Value::from(r.normalize().to_string())))
            .collect();
        let left_out: Vec<Value> = c
            .left_out
            .iter()
            .map(|d| {
                json!({
                    "account": d.account,
                    "asset": d.asset,
                    "lot_id": d.lot_id,
                    "quantity": qty(d.quantity),
                    "tax_saved": money(d.tax_saved),
                    "cost": money(d.cost),
                })
            })
            .collect();
        for (k, x) in [
            ("fee_rates", Value::Object(rates)),
            ("spread", Value::from(c.spread.normalize().to_string())),
            ("costs", Value::from(money(c.total))),
            ("tax_saved_net", Value::from(money(c.tax_saved_net))),
            ("left_out", Value::from(left_out)),
        ] {
            plan.insert(k.to_string(), x);
        }
    }
    if let Some(i) = &v.scenario.inputs {
        value["inputs"] = i.to_value();
    }
    if let Some(c) = &v.scenario.compare {
        value["compare"] = compare_value(c);
    }
    head_and_objects(w, value, "candidates", v.lines.len(), |out, range| {
        candidate_objects(out, &v.lines, range)
    })
}

/// `gain_harvest` of `scan --format json`.
fn gains_at_zero(g: &super::GainsAtZero<'_>) -> Value {
    let combo = |c: &crate::plan::gains::Combination| {
        json!({
            "name": c.name,
            "loss_realized": money(c.loss_realized),
            "gain_realized": money(c.gain_realized),
            "tax_saved": money(c.tax_saved),
            "carryover_value": money(c.carryover_value),
            "later_tax_saved": money(c.later_tax_saved),
            "costs": money(c.costs),
            "value": money(c.value()),
        })
    };
    let chosen = if g.chosen == g.gains_only.name {
        &g.gains_only
    } else {
        &g.with_losses
    };
    let lots: Vec<Value> = g
        .lots
        .iter()
        .map(|l| {
            json!({
                "account": l.account,
                "asset": l.asset,
                "lot_id": l.lot_id,
                "quantity": qty(l.quantity),
                "cost_basis": money(l.cost_basis),
                "proceeds": money(l.proceeds),
                "gain": money(l.gain),
                "new_basis": money(l.new_basis),
            })
        })
        .collect();
    json!({
        "later_rate": g.later_rate.round_dp(4).normalize().to_string(),
        "room": money(g.room),
        "gain_realized": money(chosen.gain_realized),
        "new_basis": money(g.lots.iter().map(|l| l.new_basis).sum()),
        "later_tax_saved": money(chosen.later_tax_saved),
        "chosen": g.chosen,
        "combinations": [combo(&g.with_losses), combo(&g.gains_only)],
        "lots": lots,
    })
}

/// `scan --compare --format json`: the `compare` object (README, "Scenarios").
pub fn compare_value(c: &crate::plan::compare::Comparison) -> Value {
    let figures: Map<String, Value> = c
        .figures
        .iter()
        .map(|f| {
            (
                f.key.to_string(),
                json!({
                    "saved": money(f.saved),
                    "now": money(f.now),
                    "change": money(f.change()),
                }),
            )
        })
        .collect();
    let sale = |s: &crate::plan::compare::PlannedSale| {
        json!({
            "account": s.account,
            "asset": s.asset,
            "quantity": qty(s.quantity),
            "price": price(s.price),
            "realized": money(s.realized),
        })
    };
    json!({
        "file": c.file,
        "saved_as_of": c.saved_as_of,
        "nothing_changed": c.nothing_changed(),
        "inputs_recorded": c.inputs_recorded,
        "inputs": c.inputs.iter().map(|i| json!({
            "key": i.key,
            "saved": i.saved,
            "now": i.now,
        })).collect::<Vec<_>>(),
        "figures": figures,
        "changed_figures": c.figures.iter().filter(|f| f.changed()).map(|f| f.key).collect::<Vec<_>>(),
        "sales": {
            "added": c.added.iter().map(sale).collect::<Vec<_>>(),
            "removed": c.removed.iter().map(sale).collect::<Vec<_>>(),
            "changed": c.changed.iter().map(|x| json!({
                "account": x.now.account,
                "asset": x.now.asset,
                "quantity": {"saved": qty(x.saved.quantity), "now": qty(x.now.quantity)},
                "price": {"saved": price(x.saved.price), "now": price(x.now.price)},
                "realized": {
                    "saved": money(x.saved.realized),
                    "now": money(x.now.realized),
                    "change": money(x.now.realized - x.saved.realized),
                },
            })).collect::<Vec<_>>(),
            "unchanged": c.same_sales,
        },
    })
}

#[cfg(test)]
/// A harvest candidate as a JSON object.
#[derive(serde::Serialize)]
struct CandidateJson<'a> {
    #[serde(flatten)]
    head: LotHead<'a>,
    price: String,
    value: Money,
    unrealized: Money,
    term: &'static str,
    long_term_on: Option<Shown<chrono::NaiveDate>>,
    turns_long_term_soon: bool,
    wash_risk: &'static str,
    recommended: Qty,
}

/// The scan's candidates as a JSON array through serde_json: what
/// [`candidate_objects`] writes by hand, byte for byte (the tests' reference).
#[cfg(test)]
struct CandidateLines<'a, 'b>(&'b [super::ScanLine<'a>]);

#[cfg(test)]
impl serde::Serialize for CandidateLines<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for l in self.0 {
            seq.serialize_element(&CandidateJson {
                head: LotHead::new(
                    l.asset,
                    l.account,
                    l.lot_id,
                    l.date_acquired,
                    l.quantity,
                    l.cost_basis,
                ),
                price: price(l.price),
                value: Money(l.value),
                unrealized: Money(l.unrealized),
                term: l.term.as_str(),
                long_term_on: l.long_term_on.map(Shown),
                turns_long_term_soon: l.turns_long_soon,
                wash_risk: l.wash_risk,
                recommended: Qty(l.recommended),
            })?;
        }
        seq.end()
    }
}

/// The year's income as the JSON object `harvest income --format json` writes
/// and `report --format json` holds under `income`: the summary's keys, then
/// its rows, written one at a time.
fn income_json<'a, 'b>(s: &'b crate::tax::IncomeSummary<'a>) -> WithRows<IncomeRows<'a, 'b>> {
    let by_category: Map<String, Value> = s
        .by_category
        .iter()
        .map(|(c, v)| (c.as_str().to_string(), Value::from(money(*v))))
        .collect();
    let by_asset: Map<String, Value> = s
        .by_asset
        .iter()
        .map(|(a, v)| {
            (
                a.to_string(),
                json!({"quantity": qty(v.quantity), "usd_value": money(v.usd_value)}),
            )
        })
        .collect();
    let by_month: Map<String, Value> = s
        .by_month
        .iter()
        .enumerate()
        .map(|(m, v)| (format!("{}-{:02}", s.year, m + 1), Value::from(money(*v))))
        .collect();
    let by_account: Map<String, Value> = s
        .by_account
        .iter()
        .map(|(a, v)| (a.to_string(), Value::from(money(*v))))
        .collect();
    let forms: Vec<Value> = s
        .forms
        .iter()
        .map(|f| {
            json!({
                "account": f.account,
                "form": money(f.form),
                "ledger": money(f.ledger),
                "difference": money(f.difference),
            })
        })
        .collect();
    let business: Vec<&str> = s.business.iter().map(|c| c.as_str()).collect();
    let mut head = Map::new();
    head.insert("year".into(), s.year.into());
    head.insert("total".into(), money(s.total).into());
    head.insert("by_category".into(), by_category.into());
    head.insert("by_asset".into(), by_asset.into());
    head.insert("by_month".into(), by_month.into());
    head.insert("by_account".into(), by_account.into());
    head.insert(
        "schedule_1_line_8v".into(),
        money(s.schedule_1_line_8v).into(),
    );
    head.insert("schedule_c".into(), money(s.schedule_c).into());
    head.insert("self_employment_income".into(), money(s.schedule_c).into());
    head.insert("income_as_business".into(), business.into());
    head.insert("form_1099_misc".into(), forms.into());
    head.insert("notes".into(), s.notes().into());
    WithRows {
        head,
        rows: RowsField {
            key: "rows",
            lines: IncomeRows(&s.rows),
        },
    }
}

/// Income rows as a JSON array, one object made and written at a time.
struct IncomeRows<'a, 'b>(&'b [crate::tax::income::IncomeLine<'a>]);

/// An income row as a JSON object.
#[derive(serde::Serialize)]
struct IncomeRowJson<'a> {
    id: &'a str,
    time: String,
    date: Shown<IsoDate>,
    account: &'a str,
    asset: &'a str,
    quantity: String,
    category: &'static str,
    usd_value: String,
    schedule: &'static str,
}

impl serde::Serialize for IncomeRows<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for r in self.0 {
            seq.serialize_element(&IncomeRowJson {
                id: r.id,
                time: crate::import::fmt_time(r.time),
                date: Shown(IsoDate(r.date)),
                account: r.account,
                asset: r.asset,
                quantity: qty(r.quantity),
                category: r.category.as_str(),
                usd_value: money(r.usd_value),
                schedule: r.schedule.as_str(),
            })?;
        }
        seq.end()
    }
}

/// `harvest income --format json`.
pub fn income(w: &mut dyn Write, s: &crate::tax::IncomeSummary<'_>) -> io::Result<()> {
    pretty(w, &income_json(s))
}

/// A gift given, donation or loss as JSON, with the lots it took.
fn removal_value(r: &crate::tax::gifts::RemovalLine<'_>) -> Value {
    let lots: Vec<Value> = r
        .lots
        .iter()
        .map(|l| {
            json!({
                "lot_id": l.lot_id,
                "date_acquired": l.date_acquired.to_string(),
                "how_acquired": l.how_acquired,
                "quantity": qty(l.quantity),
                "basis": money(l.basis),
                "fair_value": money(l.fair_value),
                "term": l.term.as_str(),
                "deduction": money(l.deduction),
            })
        })
        .collect();
    json!({
        "id": r.id,
        "date": r.date.to_string(),
        "account": r.account,
        "asset": r.asset,
        "quantity": qty(r.quantity),
        "recipient": r.recipient,
        "category": r.category.map(|c| c.as_str()),
        "basis": money(r.basis),
        "fair_value": money(r.fair_value),
        "deduction": money(r.deduction),
        "lots": lots,
    })
}

/// The report's `gifts_received`, `gifts_given`, `donations` and `lost`.
fn transfers_into(value: &mut Value, t: &crate::tax::Transfers<'_>) {
    let received: Vec<Value> = t
        .received
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "date": r.date.to_string(),
                "kind": r.kind.as_str(),
                "account": r.account,
                "asset": r.asset,
                "quantity": qty(r.quantity),
                "basis": money(r.basis),
                "acquired": r.acquired.to_string(),
                "fair_value": r.fair_value.map(money),
                "dual_basis": r.dual_basis,
            })
        })
        .collect();
    value["gifts_received"] = received.into();
    value["gifts_given"] = json!({
        "annual_exclusion": money(t.exclusion),
        "recipients": t.recipients.iter().map(|r| json!({
            "name": r.name,
            "fair_value": money(r.fair_value),
            "over_exclusion": r.over_exclusion,
        })).collect::<Vec<_>>(),
        "rows": t.gifts.iter().map(removal_value).collect::<Vec<_>>(),
    });
    value["donations"] = json!({
        "fair_value": money(t.donations_fair_value),
        "deduction": money(t.deduction),
        "form_8283_required": t.form_8283_required,
        "groups": t.donation_groups.iter().map(|g| json!({
            "asset": g.asset,
            "deduction": money(g.deduction),
            "appraisal_required": g.appraisal_required,
        })).collect::<Vec<_>>(),
        "rows": t.donations.iter().map(removal_value).collect::<Vec<_>>(),
    });
    value["lost"] = json!({
        "basis": money(t.lost_basis),
        "rows": t.lost.iter().map(removal_value).collect::<Vec<_>>(),
    });
    value["transfer_notes"] = t.notes().into();
}

/// A trail as JSON.
pub fn trail_value(t: &crate::tax::audit::Trail<'_>) -> Value {
    let src =
        |s: &crate::tax::audit::Source<'_>| json!({"file": s.file, "line": s.line, "id": s.id});
    json!({
        "disposal_id": t.disposal.id,
        "lot_id": t.lot.id,
        "quantity": qty(t.quantity),
        "source_file": t.lot.file,
        "source_line": t.lot.line,
        "source_id": t.lot.id,
        "asset": t.asset,
        "acquired_by": t.acquired_by.as_str(),
        "account_acquired": t.account_acquired,
        "date_acquired": t.date_acquired.to_string(),
        "disposal": src(&t.disposal),
        "account_sold": t.account_sold,
        "date_sold": t.date_sold.to_string(),
        "proceeds": money(t.proceeds),
        "cost_basis": money(t.cost_basis),
        "gain": money(t.gain),
        "moves": t.moves.iter().map(|m| json!({
            "date": m.date.to_string(),
            "withdrawal": src(&m.source),
            "deposit": m.deposit.as_ref().map(src),
            "from": m.from,
            "to": m.to,
            "quantity": qty(m.quantity),
            "fee_lost": qty(m.fee_lost),
        })).collect::<Vec<_>>(),
        "flags": t.flags,
    })
}

/// A gap in the basis as JSON.
pub fn gap_value(g: &crate::tax::gaps::Gap<'_>) -> Value {
    use crate::tax::gaps::GapKind;
    let src =
        |s: &crate::tax::audit::Source<'_>| json!({"file": s.file, "line": s.line, "id": s.id});
    let mut v = json!({
        "kind": g.kind.as_str(),
        "row": src(&g.source),
        "date": g.date.to_string(),
        "account": g.account,
        "asset": g.asset,
        "quantity": qty(g.quantity),
    });
    if g.kind == GapKind::NeverDeposited {
        v["basis"] = money(g.basis).into();
    } else {
        v["sold_in_year"] = qty(g.sold_in_year).into();
        v["choices"] = json!({
            "zero_basis": {"year_gain": money(g.zero_basis_gain)},
            "basis_usd": {
                "gain_change_per_usd": g.per_usd_of_basis.round_dp(10).normalize().to_string(),
                "at_fair_value": g.at_fair_value.map(|(fv, ch)| json!({
                    "basis_usd": money(fv),
                    "gain_change": money(ch),
                })),
            },
            "pair_with_withdrawal": g.pairings.iter().map(|p| json!({
                "withdrawal": src(&p.withdrawal),
                "date": p.date.to_string(),
                "account": p.account,
                "quantity": qty(p.quantity),
                "basis": money(p.basis),
                "gain_change": money(p.effect),
            })).collect::<Vec<_>>(),
        });
    }
    v
}

/// `harvest audit --format json`.
pub fn audit(w: &mut dyn Write, v: &super::AuditView<'_>) -> io::Result<()> {
    let gaps: Vec<Value> = v.gaps.iter().map(gap_value).collect();
    let head = json!({
        "year": v.year,
        "what_if": v.what_if,
        "gaps": gaps,
        "settings": statement_value(&v.statement),
    });
    write_with_rows(w, head, "rows", Trails(&v.trails))
}

/// The trails as a JSON array, built one row at a time (a million rows are
/// never held as JSON values together).
struct Trails<'a, 'b>(&'b [crate::tax::audit::Trail<'a>]);

impl serde::Serialize for Trails<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for t in self.0 {
            seq.serialize_element(&trail_value(t))?;
        }
        seq.end()
    }
}

/// `harvest balances --format json`: the balances and the year-end holdings.
pub fn balances(
    w: &mut dyn Write,
    year: i32,
    what_if: &[String],
    b: &std::collections::BTreeMap<(&str, &str), crate::tax::balances::Balance>,
    holdings: &[super::LotLine<'_>],
    cmp: &crate::tax::balances::Comparison<'_>,
) -> io::Result<()> {
    let rows: Vec<Value> = b
        .iter()
        .map(|((account, asset), x)| {
            json!({
                "account": account,
                "asset": asset,
                "opening": qty(x.opening),
                "acquired": qty(x.acquired),
                "disposed": qty(x.disposed),
                "moved_in": qty(x.moved_in),
                "moved_out": qty(x.moved_out),
                "fees": qty(x.fees),
                "closing": qty(x.closing),
                "lots_quantity": qty(x.lots_quantity),
                "lots_basis": money(x.lots_basis),
                "ties_out": x.closing == x.lots_quantity,
            })
        })
        .collect();
    let lots: Vec<Value> = holdings
        .iter()
        .map(|l| {
            json!({
                "account": l.account,
                "asset": l.asset,
                "lot_id": l.lot_id,
                "date_acquired": l.date_acquired.to_string(),
                "quantity": qty(l.quantity),
                "cost_basis": money(l.cost_basis),
            })
        })
        .collect();
    write_value(
        w,
        &json!({
            "year": year,
            "what_if": what_if,
            "balances": rows,
            "holdings": lots,
            "exchange_balances": {
                "files": cmp.files,
                "compared": cmp.compared,
                "divergences": cmp.divergences.iter().map(|d| json!({
                    "file": d.file,
                    "line": d.line,
                    "time": d.time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    "account": d.account,
                    "asset": d.asset,
                    "reported": qty(d.reported),
                    "ledger": qty(d.ledger),
                    "difference": qty(d.difference),
                    "agreed_at": d.agreed_at.map(|(f, l)| json!({"file": f, "line": l})),
                })).collect::<Vec<_>>(),
            },
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::GainLine;
    use crate::tax::{BasisRule, Box8949, GainRow, Term};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// Text with the bytes JSON escapes, and some it does not.
    fn text() -> impl Strategy<Value = String> {
        "[a-z\"\\\\/\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}\t\r\n é€😀]{0,10}"
    }

    proptest! {
        /// A string is escaped as serde_json escapes it.
        #[test]
        fn strings_are_escaped_as_serde_json_escapes_them(s in text()) {
            let mut got = Vec::new();
            push_json_str(&mut got, &s);
            prop_assert_eq!(String::from_utf8(got).unwrap(), serde_json::to_string(&s).unwrap());
        }

        /// Open lots written by hand are the document serde_json writes with
        /// [`LotLines`]: any text and amounts, priced or not, a lot without
        /// a price, and no lot at all.
        #[test]
        fn lots_are_serde_jsons(
            lines in prop::collection::vec(
                (text(), text(), text(), any::<i64>(), 0u32..12, any::<bool>(), any::<bool>()),
                0..4,
            ),
            priced in any::<bool>(),
        ) {
            let lines: Vec<super::super::LotLine<'_>> = lines
                .iter()
                .map(|(asset, account, id, m, scale, valued, long)| super::super::LotLine {
                    asset,
                    account,
                    lot_id: id,
                    date_acquired: chrono::NaiveDate::from_ymd_opt(2020, 2, 29).unwrap(),
                    quantity: Decimal::new(m.wrapping_abs(), *scale),
                    cost_basis: Decimal::new(*m, *scale),
                    unit_basis: Decimal::new(m / 3, 28.min(*scale + 9)),
                    valued: valued.then(|| super::super::Valued {
                        price: Decimal::new(m / 7, *scale),
                        value: Decimal::new(m / 11, 2),
                        unrealized: Decimal::new(m / 13, 4),
                        term: if *long { Term::Long } else { Term::Short },
                    }),
                })
                .collect();
            let v = LotsView { as_of: None, lines, priced, what_if: vec!["x".into()] };
            let head = json!({"as_of": v.as_of.map(|d| d.to_string()), "what_if": v.what_if});
            let mut want = Vec::new();
            write_with_rows(&mut want, head, "lots", LotLines(&v)).unwrap();
            let mut got = Vec::new();
            lots(&mut got, &v).unwrap();
            prop_assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(want).unwrap());
        }

        /// Candidates written by hand are the array serde_json writes with
        /// [`CandidateLines`]: any text and amounts, with and without the
        /// date a lot turns long-term.
        #[test]
        fn candidates_are_serde_jsons(
            lines in prop::collection::vec(
                (text(), text(), text(), any::<i64>(), 0u32..12, any::<bool>(), any::<bool>()),
                0..4,
            ),
        ) {
            let lines: Vec<super::super::ScanLine<'_>> = lines
                .iter()
                .map(|(asset, account, id, m, scale, soon, long)| super::super::ScanLine {
                    asset,
                    account,
                    lot_id: id,
                    date_acquired: chrono::NaiveDate::from_ymd_opt(2020, 2, 29).unwrap(),
                    quantity: Decimal::new(m.wrapping_abs(), *scale),
                    cost_basis: Decimal::new(*m, *scale),
                    price: Decimal::new(m / 3, 28.min(*scale + 9)),
                    value: Decimal::new(m / 11, 2),
                    unrealized: Decimal::new(m / 13, 4),
                    term: if *long { Term::Long } else { Term::Short },
                    long_term_on: (!*long).then(|| chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()),
                    turns_long_soon: *soon,
                    wash_risk: if *soon { "info" } else { "no" },
                    recommended: Decimal::new(m.wrapping_abs() / 17, *scale),
                })
                .collect();
            let mut head = Map::new();
            head.insert("year".into(), 2026.into());
            let mut want = Vec::new();
            let doc = WithRows { head: head.clone(), rows: RowsField { key: "candidates", lines: CandidateLines(&lines) } };
            pretty(&mut want, &doc).unwrap();
            let doc = WithRows { head, rows: RowsField { key: "candidates", lines: LINES_HERE } };
            let mut got = Vec::new();
            pretty_with_array(&mut got, &doc, "candidates", |w| {
                write_objects(w, lines.len(), |out, range| candidate_objects(out, &lines, range))
            })
            .unwrap();
            prop_assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(want).unwrap());
        }

        /// Form 8949 lines written by hand in a document are the document
        /// serde_json writes with [`GainLines`]: any text, amounts, codes,
        /// basis rules and inherited units, and no line at all.
        #[test]
        fn gain_lines_are_serde_jsons(
            lines in prop::collection::vec(
                (text(), text(), "[A-Z]{0,7}", any::<i64>(), 0u32..10, any::<bool>(), 0usize..3, any::<bool>()),
                0..4,
            ),
            key in prop::sample::select(vec!["rows", "form_8949"]),
        ) {
            let rows: Vec<GainRow> = lines
                .iter()
                .map(|(_, _, code, m, scale, long, rule, _)| GainRow {
                    disposal: 0,
                    lot: 0,
                    quantity: Decimal::new(m.wrapping_abs(), *scale),
                    date_acquired: chrono::NaiveDate::from_ymd_opt(2020, 2, 29).unwrap(),
                    date_sold: chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
                    term: if *long { Term::Long } else { Term::Short },
                    box_: if *long { Box8949::K } else { Box8949::H },
                    proceeds: Decimal::new(*m, *scale),
                    cost_basis: Decimal::new(m / 3, 2),
                    adjustment_code: crate::tax::AdjustmentCode::new(code).unwrap(),
                    adjustment: Decimal::new(m / 7, 4),
                    gain: Decimal::new(m / 5, 2),
                    basis_rule: [BasisRule::Lot, BasisRule::GiftFairValue, BasisRule::GiftNoGainNoLoss][*rule],
                })
                .collect();
            let gain_lines: Vec<GainLine<'_>> = lines
                .iter()
                .zip(&rows)
                .map(|((id, account, ..), row)| GainLine {
                    row,
                    disposal_id: id,
                    lot_id: account,
                    asset: "BTC",
                    account,
                    box_: row.box_.as_str(),
                    inherited: lines.len() % 2 == 1 && id.len() % 2 == 0,
                })
                .collect();
            let mut head = Map::new();
            head.insert("year".into(), 2025.into());
            let want = {
                let doc = WithRows {
                    head: head.clone(),
                    rows: RowsField { key, lines: GainLines(Lines::resolved(&gain_lines)) },
                };
                let mut out = Vec::new();
                pretty(&mut out, &doc).unwrap();
                String::from_utf8(out).unwrap()
            };
            let doc = WithRows { head, rows: RowsField { key, lines: LINES_HERE } };
            let mut out = Vec::new();
            pretty_with_lines(&mut out, &doc, key, Lines::resolved(&gain_lines)).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }
}
