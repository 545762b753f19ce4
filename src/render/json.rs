//! JSON output: money as strings with two decimals, quantities as exact strings.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::{GainLine, GainsView, LotsView, money, price, qty};
use crate::tax::Totals;

/// A Form 8949 line as a JSON object with the CSV columns.
pub fn gain_line(l: &GainLine<'_>) -> Value {
    json!({
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
        "adjustment_code": l.adjustment_code,
        "adjustment": if l.adjustment_code.is_empty() { String::new() } else { money(l.adjustment) },
        "gain": money(l.gain),
    })
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
    serde_json::to_writer_pretty(&mut *w, v)?;
    w.write_all(b"\n")
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
        "short_term": totals(&v.short_term),
        "long_term": totals(&v.long_term),
        "total": totals(&total),
        "rows": v.lines.iter().map(gain_line).collect::<Vec<_>>(),
    });
    write_value(w, &value)
}

/// `harvest lots --format json`.
pub fn lots(w: &mut dyn Write, v: &LotsView<'_>) -> io::Result<()> {
    let lots: Vec<Value> = v
        .lines
        .iter()
        .map(|l| {
            let mut m = Map::new();
            m.insert("asset".into(), l.asset.into());
            m.insert("account".into(), l.account.into());
            m.insert("lot_id".into(), l.lot_id.into());
            m.insert("date_acquired".into(), l.date_acquired.to_string().into());
            m.insert("quantity".into(), qty(l.quantity).into());
            m.insert("cost_basis".into(), money(l.cost_basis).into());
            m.insert("unit_basis".into(), price(l.unit_basis).into());
            if v.priced {
                let (p, val, u, t) = match &l.valued {
                    Some(p) => (
                        Value::from(price(p.price)),
                        Value::from(money(p.value)),
                        Value::from(money(p.unrealized)),
                        Value::from(p.term.as_str()),
                    ),
                    None => (Value::Null, Value::Null, Value::Null, Value::Null),
                };
                m.insert("price".into(), p);
                m.insert("value".into(), val);
                m.insert("unrealized".into(), u);
                m.insert("term".into(), t);
            }
            Value::Object(m)
        })
        .collect();
    let value = json!({
        "as_of": v.as_of.map(|d| d.to_string()),
        "lots": lots,
    });
    write_value(w, &value)
}
