//! Scenarios (issue 25 item 6): what a scan records of the run that made it
//! (its inputs, with the files' SHA-256), its figures and sales as read back
//! from `scan --format json`, and what changed between a saved scan and a
//! new run (`scan --compare OLD.json`). Values in, values out: the command
//! reads the file, the renderers write the comparison.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::cell::{cents, money};
use crate::statement::FileSum;

/// The version of what a scan JSON records for `--compare` (`inputs.format_version`):
/// raised when a key `--compare` reads changes meaning.
pub const FORMAT_VERSION: u64 = 1;

/// A saved scan that cannot be compared: the file and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {what}")]
pub struct CompareError {
    pub file: String,
    pub what: String,
}

/// What decided a scan's figures: the settings, the tax inputs, the scenario
/// (`--shock`) and every file read with its SHA-256. `scan --format json`
/// writes it as `inputs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanInputs {
    pub as_of: NaiveDate,
    pub year: i32,
    pub method: &'static str,
    pub scope: &'static str,
    pub tz: String,
    pub missing_basis: &'static str,
    pub late_identification: bool,
    pub filing_status: &'static str,
    /// Carryovers in (positive), as the run took them.
    pub carryover_st: Decimal,
    pub carryover_lt: Decimal,
    pub ordinary_income: Option<Decimal>,
    pub magi: Option<Decimal>,
    /// The flat rates in effect (flags over harvest.toml over defaults).
    pub st_rate: Decimal,
    pub lt_rate: Decimal,
    /// `--future-rate` as given (the rate used is the plan's `future_rate`).
    pub future_rate: Option<Decimal>,
    pub target: Option<Decimal>,
    pub min_loss: Decimal,
    pub wash_window: u32,
    /// `--shock`: every as-of price was multiplied by 1 + shock (0 without).
    pub shock: Decimal,
    /// `--fee-rate` as given (harvest.toml's per-account rates are in its
    /// file, hashed) and `--spread`.
    pub fee_rate: Option<Decimal>,
    pub spread: Decimal,
    /// Gains at 0% were considered (`--ordinary-income` without `--no-gains`).
    pub gains_at_zero: bool,
    /// Each file read, with its role (`input`, `settings`, `prices`,
    /// `selections`, `allocation`), in the statement's order.
    pub files: Vec<(&'static str, FileSum)>,
}

/// Dollars as written: two decimals, or every digit given when there are more
/// (an input is stated as it was given).
fn dollars(d: Decimal) -> String {
    if cents(d) == d {
        money(d)
    } else {
        d.normalize().to_string()
    }
}

/// A rate or fraction as written: `0.24`, `-0.2`.
fn fraction(d: Decimal) -> String {
    d.normalize().to_string()
}

impl ScanInputs {
    /// The JSON object `inputs`.
    pub fn to_value(&self) -> Value {
        json!({
            "format_version": FORMAT_VERSION,
            "harvest_version": env!("CARGO_PKG_VERSION"),
            "as_of": self.as_of.to_string(),
            "year": self.year,
            "method": self.method,
            "scope": self.scope,
            "tz": self.tz,
            "missing_basis": self.missing_basis,
            "late_identification": self.late_identification,
            "filing_status": self.filing_status,
            "carryover_st": dollars(self.carryover_st),
            "carryover_lt": dollars(self.carryover_lt),
            "ordinary_income": self.ordinary_income.map(dollars),
            "magi": self.magi.map(dollars),
            "st_rate": fraction(self.st_rate),
            "lt_rate": fraction(self.lt_rate),
            "future_rate": self.future_rate.map(fraction),
            "target": self.target.map(dollars),
            "min_loss": dollars(self.min_loss),
            "wash_window": self.wash_window,
            "shock": fraction(self.shock),
            "fee_rate": self.fee_rate.map(fraction),
            "spread": fraction(self.spread),
            "gains_at_zero": self.gains_at_zero,
            "files": self.files.iter().map(|(role, f)| json!({
                "role": role,
                "name": f.name,
                "bytes": f.bytes,
                "sha256": f.sha256,
            })).collect::<Vec<_>>(),
        })
    }
}

/// A scan's figures, each read from and written to the JSON path
/// [`Figures::fields_mut`] names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub tax_before: Decimal,
    pub tax_after: Decimal,
    pub tax_saved: Decimal,
    pub loss_needed: Decimal,
    pub loss_available: Decimal,
    pub plan_st: Decimal,
    pub plan_lt: Decimal,
    pub loss_used: Decimal,
    pub loss_carried: Decimal,
    pub carryover_value: Decimal,
    /// Schedule D lines 7, 15, 16 and 21 before and after the plan.
    pub before: [Decimal; 4],
    pub after: [Decimal; 4],
    pub carryover_next_st: Decimal,
    pub carryover_next_lt: Decimal,
    pub realized_st: Decimal,
    pub realized_lt: Decimal,
    /// What the plan's sales and buy-backs cost, and its saving net of them
    /// (0 when no fee rate or spread was set).
    pub costs: Decimal,
    pub tax_saved_net: Decimal,
    /// The long-term gain stepped up at 0% and what a later sale saves on
    /// it (0 when gains at 0% were not considered).
    pub gain_at_zero: Decimal,
    pub later_tax_saved: Decimal,
}

/// How many figures a comparison lists.
pub const FIGURE_COUNT: usize = 26;

/// Figures a scan writes only with some settings (a fee rate or spread, gains
/// at 0%): absent or null, they read as 0.
const OPTIONAL: [&str; 4] = [
    "plan.costs",
    "plan.tax_saved_net",
    "gain_harvest.gain_realized",
    "gain_harvest.later_tax_saved",
];

impl Figures {
    /// Each figure with its path in the scan JSON and its label, in the
    /// order a comparison lists them.
    pub fn fields_mut(&mut self) -> [(&'static str, &'static str, &mut Decimal); FIGURE_COUNT] {
        let [b7, b15, b16, b21] = &mut self.before;
        let [a7, a15, a16, a21] = &mut self.after;
        [
            ("tax_before", "Tax before the plan", &mut self.tax_before),
            ("tax_after", "Tax after the plan", &mut self.tax_after),
            ("tax_saved", "Tax saved", &mut self.tax_saved),
            ("loss_needed", "Loss needed", &mut self.loss_needed),
            (
                "loss_available",
                "Loss available in candidates",
                &mut self.loss_available,
            ),
            (
                "plan.realized_short_term",
                "Plan realizes, short-term",
                &mut self.plan_st,
            ),
            (
                "plan.realized_long_term",
                "Plan realizes, long-term",
                &mut self.plan_lt,
            ),
            (
                "plan.loss_used_this_year",
                "Plan's loss used this year",
                &mut self.loss_used,
            ),
            (
                "plan.loss_carried",
                "Plan's loss carried to next year",
                &mut self.loss_carried,
            ),
            (
                "plan.carryover_value",
                "Carried loss's value next year",
                &mut self.carryover_value,
            ),
            ("schedule_d_before.line_7", "Schedule D line 7 before", b7),
            (
                "schedule_d_before.line_15",
                "Schedule D line 15 before",
                b15,
            ),
            (
                "schedule_d_before.line_16",
                "Schedule D line 16 before",
                b16,
            ),
            (
                "schedule_d_before.line_21",
                "Schedule D line 21 before",
                b21,
            ),
            ("schedule_d_after.line_7", "Schedule D line 7 after", a7),
            ("schedule_d_after.line_15", "Schedule D line 15 after", a15),
            ("schedule_d_after.line_16", "Schedule D line 16 after", a16),
            ("schedule_d_after.line_21", "Schedule D line 21 after", a21),
            (
                "carryover_next_year.short_term",
                "Carryover to next year, short-term",
                &mut self.carryover_next_st,
            ),
            (
                "carryover_next_year.long_term",
                "Carryover to next year, long-term",
                &mut self.carryover_next_lt,
            ),
            (
                "realized_so_far.short_term",
                "Short-term gains so far",
                &mut self.realized_st,
            ),
            (
                "realized_so_far.long_term",
                "Long-term gains so far",
                &mut self.realized_lt,
            ),
            ("plan.costs", "Costs (fees and spread)", &mut self.costs),
            ("plan.tax_saved_net", "Net saving", &mut self.tax_saved_net),
            (
                "gain_harvest.gain_realized",
                "Long-term gain at 0%",
                &mut self.gain_at_zero,
            ),
            (
                "gain_harvest.later_tax_saved",
                "Saved on a later sale (basis stepped up)",
                &mut self.later_tax_saved,
            ),
        ]
    }

    /// Each figure with its path and label.
    pub fn list(&self) -> Vec<(&'static str, &'static str, Decimal)> {
        let mut c = *self;
        c.fields_mut()
            .into_iter()
            .map(|(p, l, v)| (p, l, *v))
            .collect()
    }
}

/// One planned sale, as a comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSale {
    pub account: String,
    pub asset: String,
    pub quantity: Decimal,
    pub price: Decimal,
    /// Realized by the plan's lots (`realized_specific_id`).
    pub realized: Decimal,
}

/// What a comparison reads of a scan: saved (from its JSON) or this run's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub as_of: String,
    /// The `inputs` object; `None` for a scan saved before harvest recorded
    /// them.
    pub inputs: Option<Map<String, Value>>,
    pub figures: Figures,
    pub sales: Vec<PlannedSale>,
}

/// The value at a dotted path.
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

impl Snapshot {
    /// This run's snapshot, its figures as the JSON writes them (in cents).
    pub fn of_run(
        as_of: NaiveDate,
        inputs: Option<&ScanInputs>,
        figures: Figures,
        sales: Vec<PlannedSale>,
    ) -> Snapshot {
        let mut figures = figures;
        for (_, _, v) in figures.fields_mut() {
            *v = cents(*v);
        }
        Snapshot {
            as_of: as_of.to_string(),
            inputs: inputs.and_then(|i| match i.to_value() {
                Value::Object(m) => Some(m),
                _ => None,
            }),
            figures,
            sales,
        }
    }

    /// Reads the output of `harvest scan --format json` (`file` names it in
    /// errors). Every amount is read back exactly from its string.
    pub fn from_json_text(file: &str, text: &[u8]) -> Result<Snapshot, CompareError> {
        let err = |what: String| CompareError {
            file: file.to_string(),
            what,
        };
        let v: Value = serde_json::from_slice(text).map_err(|e| {
            err(format!(
                "not JSON ({e}); give a file written by harvest scan --format json"
            ))
        })?;
        Snapshot::from_json(file, &v)
    }

    /// Reads a parsed `harvest scan --format json`.
    pub fn from_json(file: &str, v: &Value) -> Result<Snapshot, CompareError> {
        let err = |what: String| CompareError {
            file: file.to_string(),
            what,
        };
        const GIVE: &str = "give a file written by harvest scan --format json";
        if !v.is_object() {
            return Err(err(format!(
                "not a scan plan: the JSON is not an object; {GIVE}"
            )));
        }
        if v.get("plan").is_none_or(|p| !p.is_object()) {
            let what = if v.get("form_8949").is_some() {
                format!("a report (harvest report --format json), not a scan plan; {GIVE}")
            } else {
                format!("not a scan plan: no \"plan\" object; {GIVE}")
            };
            return Err(err(what));
        }
        let inputs = match v.get("inputs") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => {
                match m.get("format_version").and_then(Value::as_u64) {
                    Some(n) if n > FORMAT_VERSION => {
                        return Err(err(format!(
                            "written by a newer harvest (inputs.format_version {n}; this harvest reads {FORMAT_VERSION}): run this harvest's scan --format json to save the plan again"
                        )));
                    }
                    Some(_) => {}
                    None => {
                        return Err(err(format!(
                            "inputs.format_version is missing or not a whole number; {GIVE}"
                        )));
                    }
                }
                Some(m.clone())
            }
            Some(_) => {
                return Err(err(format!("inputs is not an object; {GIVE}")));
            }
        };
        let amount = |path: &str, x: Option<&Value>| -> Result<Decimal, CompareError> {
            match x {
                None => Err(err(format!("not a scan plan: no {path}; {GIVE}"))),
                Some(Value::String(s)) => s.trim().parse::<Decimal>().map_err(|_| {
                    err(format!(
                        "{path} is {s:?}, not an amount (like \"-3000.00\")"
                    ))
                }),
                Some(other) => Err(err(format!(
                    "{path} is {other}, not an amount in a string (like \"-3000.00\")"
                ))),
            }
        };
        let mut figures = Figures::default();
        for (path, _, slot) in figures.fields_mut() {
            *slot = match at(v, path) {
                None | Some(Value::Null) if OPTIONAL.contains(&path) => Decimal::ZERO,
                x => amount(path, x)?,
            };
        }
        let as_of = match v.get("as_of") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(err(format!("not a scan plan: no as_of date; {GIVE}"))),
        };
        let list = match at(v, "plan.sales") {
            Some(Value::Array(a)) => a.as_slice(),
            _ => return Err(err(format!("not a scan plan: no plan.sales list; {GIVE}"))),
        };
        let mut sales = Vec::with_capacity(list.len());
        for (i, s) in list.iter().enumerate() {
            let text = |key: &str| -> Result<String, CompareError> {
                s.get(key)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| err(format!("plan.sales[{i}] has no {key}; {GIVE}")))
            };
            let field = |key: &str| amount(&format!("plan.sales[{i}].{key}"), s.get(key));
            sales.push(PlannedSale {
                account: text("account")?,
                asset: text("asset")?,
                quantity: field("quantity")?,
                price: field("price")?,
                realized: field("realized_specific_id")?,
            });
        }
        Ok(Snapshot {
            as_of,
            inputs,
            figures,
            sales,
        })
    }
}

/// An input that differs: its key (a JSON key of `inputs`, or
/// `files.ROLE`, `files.ROLE.N` with several files of a role) and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputChange {
    pub key: String,
    /// `null` when absent; a file is its object (`name`, `bytes`, `sha256`).
    pub saved: Value,
    pub now: Value,
}

/// A figure, saved and now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FigureChange {
    pub key: &'static str,
    pub label: &'static str,
    pub saved: Decimal,
    pub now: Decimal,
}

impl FigureChange {
    /// now - saved.
    pub fn change(&self) -> Decimal {
        self.now - self.saved
    }

    pub fn changed(&self) -> bool {
        self.now != self.saved
    }
}

/// A sale in both plans whose quantity or realized gain differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleChange {
    pub saved: PlannedSale,
    pub now: PlannedSale,
}

/// What changed between a saved scan and this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The saved scan's file, as given.
    pub file: String,
    pub saved_as_of: String,
    /// False when the saved scan records no inputs (an earlier harvest).
    pub inputs_recorded: bool,
    /// The inputs that differ, in the order of this run's `inputs`.
    pub inputs: Vec<InputChange>,
    /// Every figure, changed or not, in [`Figures::fields_mut`]'s order.
    pub figures: Vec<FigureChange>,
    /// Sales (by account and asset) only in this run's plan, only in the
    /// saved one, and in both with another quantity or realized gain.
    pub added: Vec<PlannedSale>,
    pub removed: Vec<PlannedSale>,
    pub changed: Vec<SaleChange>,
    /// Sales in both plans, the same.
    pub same_sales: usize,
}

impl Comparison {
    /// No input, figure or sale differs.
    pub fn nothing_changed(&self) -> bool {
        self.inputs.is_empty()
            && self.figures.iter().all(|f| !f.changed())
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
    }
}

/// Two input values are the same: equal, or two strings of the same number
/// (`"0.2"` and `"0.20"`).
fn same_value(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => matches!(
            (x.parse::<Decimal>(), y.parse::<Decimal>()),
            (Ok(p), Ok(q)) if p == q
        ),
        _ => false,
    }
}

/// The files of an `inputs` object by role, in order.
fn files_by_role(m: &Map<String, Value>) -> Vec<(String, Vec<Value>)> {
    let mut out: Vec<(String, Vec<Value>)> = Vec::new();
    for f in m
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let role = f
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("file")
            .to_string();
        match out.iter_mut().find(|(r, _)| *r == role) {
            Some((_, v)) => v.push(f.clone()),
            None => out.push((role, vec![f.clone()])),
        }
    }
    out
}

/// A file without its role, for showing.
fn file_value(f: &Value) -> Value {
    json!({
        "name": f.get("name").cloned().unwrap_or(Value::Null),
        "bytes": f.get("bytes").cloned().unwrap_or(Value::Null),
        "sha256": f.get("sha256").cloned().unwrap_or(Value::Null),
    })
}

/// The same file: the same SHA-256, whatever its name (a file moved or
/// renamed is the same input); without a sum (standard input), the same name.
fn same_file(a: &Value, b: &Value) -> bool {
    let sha = |f: &Value| f.get("sha256").and_then(Value::as_str).map(str::to_string);
    match (sha(a), sha(b)) {
        (Some(x), Some(y)) => x == y,
        (x, y) => x == y && a.get("name") == b.get("name"),
    }
}

fn input_changes(saved: &Map<String, Value>, now: &Map<String, Value>) -> Vec<InputChange> {
    let mut out = Vec::new();
    let keys = now
        .keys()
        .chain(saved.keys().filter(|k| !now.contains_key(*k)));
    for k in keys {
        if k == "files" {
            continue;
        }
        let (s, n) = (
            saved.get(k).unwrap_or(&Value::Null),
            now.get(k).unwrap_or(&Value::Null),
        );
        if !same_value(s, n) {
            out.push(InputChange {
                key: k.clone(),
                saved: s.clone(),
                now: n.clone(),
            });
        }
    }
    let (old, new) = (files_by_role(saved), files_by_role(now));
    let roles = new.iter().map(|(r, _)| r).chain(
        old.iter()
            .map(|(r, _)| r)
            .filter(|r| !new.iter().any(|(x, _)| x == *r)),
    );
    for role in roles {
        let none = Vec::new();
        let get = |l: &[(String, Vec<Value>)]| {
            l.iter()
                .find(|(r, _)| r == role)
                .map_or(&none, |(_, v)| v)
                .clone()
        };
        let (o, n) = (get(&old), get(&new));
        let many = o.len().max(n.len()) > 1;
        for i in 0..o.len().max(n.len()) {
            let (a, b) = (o.get(i), n.get(i));
            let same = matches!((a, b), (Some(a), Some(b)) if same_file(a, b));
            if !same {
                out.push(InputChange {
                    key: if many {
                        format!("files.{role}.{}", i + 1)
                    } else {
                        format!("files.{role}")
                    },
                    saved: a.map_or(Value::Null, file_value),
                    now: b.map_or(Value::Null, file_value),
                });
            }
        }
    }
    out
}

/// What changed from `saved` (read from `file`) to `now`.
pub fn compare(file: &str, saved: &Snapshot, now: &Snapshot) -> Comparison {
    let inputs = match (&saved.inputs, &now.inputs) {
        (Some(s), Some(n)) => input_changes(s, n),
        _ => Vec::new(),
    };
    let figures = saved
        .figures
        .list()
        .into_iter()
        .zip(now.figures.list())
        .map(|((key, label, s), (_, _, n))| FigureChange {
            key,
            label,
            saved: s,
            now: n,
        })
        .collect();
    let mut taken = vec![false; saved.sales.len()];
    // The saved sales of each (account, asset) not yet met, in their order.
    let mut untaken: std::collections::HashMap<(&str, &str), std::collections::VecDeque<usize>> =
        std::collections::HashMap::new();
    for (i, s) in saved.sales.iter().enumerate() {
        untaken
            .entry((s.account.as_str(), s.asset.as_str()))
            .or_default()
            .push_back(i);
    }
    let (mut added, mut changed, mut same_sales) = (Vec::new(), Vec::new(), 0);
    for n in &now.sales {
        let found = untaken
            .get_mut(&(n.account.as_str(), n.asset.as_str()))
            .and_then(|q| q.pop_front());
        match found {
            Some(i) => {
                taken[i] = true;
                let s = &saved.sales[i];
                if s.quantity == n.quantity && s.realized == n.realized {
                    same_sales += 1;
                } else {
                    changed.push(SaleChange {
                        saved: s.clone(),
                        now: n.clone(),
                    });
                }
            }
            None => added.push(n.clone()),
        }
    }
    let removed = saved
        .sales
        .iter()
        .zip(&taken)
        .filter(|(_, t)| !**t)
        .map(|(s, _)| s.clone())
        .collect();
    Comparison {
        file: file.to_string(),
        saved_as_of: saved.as_of.clone(),
        inputs_recorded: saved.inputs.is_some(),
        inputs,
        figures,
        added,
        removed,
        changed,
        same_sales,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn sale(account: &str, asset: &str, q: &str, r: &str) -> PlannedSale {
        PlannedSale {
            account: account.into(),
            asset: asset.into(),
            quantity: d(q),
            price: d("1"),
            realized: d(r),
        }
    }

    fn snap(tax_saved: &str, sales: Vec<PlannedSale>, shock: &str) -> Snapshot {
        let inputs = json!({"format_version": 1, "shock": shock, "files": [
            {"role": "input", "name": "ledger.csv", "bytes": 10, "sha256": "aa"},
            {"role": "prices", "name": "prices.csv", "bytes": 5, "sha256": "bb"},
        ]});
        Snapshot {
            as_of: "2025-12-01".into(),
            inputs: inputs.as_object().cloned(),
            figures: Figures {
                tax_saved: d(tax_saved),
                ..Figures::default()
            },
            sales,
        }
    }

    #[test]
    fn the_same_snapshot_changes_nothing() {
        let a = snap(
            "240.00",
            vec![sale("coinbase", "ETH", "2", "-1000.00")],
            "0",
        );
        let c = compare("plan.json", &a, &a.clone());
        assert!(c.nothing_changed(), "{c:?}");
        assert_eq!(c.same_sales, 1);
        assert_eq!(c.figures.len(), FIGURE_COUNT);
    }

    #[test]
    fn sales_are_added_removed_and_changed_by_account_and_asset() {
        let a = snap(
            "240.00",
            vec![
                sale("coinbase", "ETH", "2", "-1000.00"),
                sale("kraken", "SOL", "5", "-50.00"),
            ],
            "0",
        );
        let b = snap(
            "864.00",
            vec![
                sale("coinbase", "ETH", "2", "-2200.00"),
                sale("coinbase", "BTC", "0.1", "-1400.00"),
            ],
            "-0.20",
        );
        let c = compare("plan.json", &a, &b);
        assert_eq!(c.added, vec![sale("coinbase", "BTC", "0.1", "-1400.00")]);
        assert_eq!(c.removed, vec![sale("kraken", "SOL", "5", "-50.00")]);
        assert_eq!(c.changed.len(), 1);
        assert_eq!(c.changed[0].now.realized, d("-2200.00"));
        let saved = c.figures.iter().find(|f| f.key == "tax_saved").unwrap();
        assert_eq!(saved.change(), d("624.00"));
        // "0" and "-0.20" differ; "-0.2" and "-0.20" would not.
        assert_eq!(c.inputs.len(), 1);
        assert_eq!(c.inputs[0].key, "shock");
        let e = snap("864.00", vec![], "-0.2");
        assert!(compare("x", &b, &e).inputs.is_empty());
    }

    #[test]
    fn a_file_moved_with_the_same_content_is_the_same_input() {
        let a = snap("0", vec![], "0");
        let mut b = a.clone();
        b.inputs.as_mut().unwrap()["files"][0]["name"] = "../books/ledger.csv".into();
        assert!(compare("x", &a, &b).nothing_changed());
        // Standard input has no sum: its name decides.
        let mut c = a.clone();
        c.inputs.as_mut().unwrap()["files"][0] =
            json!({"role": "input", "name": "<stdin>", "bytes": null, "sha256": null});
        let mut d = c.clone();
        assert!(compare("x", &c, &d).nothing_changed());
        d.inputs.as_mut().unwrap()["files"][0]["name"] = "ledger.csv".into();
        assert_eq!(compare("x", &c, &d).inputs[0].key, "files.input");
    }

    #[test]
    fn a_file_whose_content_changed_is_an_input_that_differs() {
        let a = snap("0", vec![], "0");
        let mut b = a.clone();
        b.inputs.as_mut().unwrap()["files"][1]["sha256"] = "cc".into();
        let c = compare("x", &a, &b);
        assert_eq!(c.inputs.len(), 1);
        assert_eq!(c.inputs[0].key, "files.prices");
        assert_eq!(c.inputs[0].saved["sha256"], "bb");
        assert_eq!(c.inputs[0].now["sha256"], "cc");
    }

    #[test]
    fn what_is_not_a_scan_plan_is_said() {
        let e = |text: &str| {
            Snapshot::from_json_text("old.json", text.as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert!(e("not json").starts_with("old.json: not JSON"));
        assert!(e("[1]").contains("not a scan plan: the JSON is not an object"));
        assert!(
            e(r#"{"year": 2025, "form_8949": []}"#)
                .contains("a report (harvest report --format json), not a scan plan")
        );
        assert!(e(r#"{"plan": {}}"#).contains("not a scan plan: no tax_before"));
        let newer = r#"{"plan": {}, "inputs": {"format_version": 99}}"#;
        assert!(e(newer).contains("written by a newer harvest (inputs.format_version 99"));
    }

    #[test]
    fn amounts_are_read_back_exactly_and_numbers_refused() {
        let mut v = json!({"as_of": "2025-12-01", "plan": {"sales": [
            {"account": "coinbase", "asset": "ETH", "quantity": "0.12345678", "price": "1500.00", "realized_specific_id": "-0.01"}
        ]}});
        let mut f = Figures::default();
        for (path, _, _) in f.fields_mut() {
            let mut node = &mut v;
            let parts: Vec<&str> = path.split('.').collect();
            for p in &parts[..parts.len() - 1] {
                if node.get(*p).is_none() {
                    node[*p] = json!({});
                }
                node = &mut node[*p];
            }
            node[parts[parts.len() - 1]] = "0.10".into();
        }
        let s = Snapshot::from_json("x", &v).unwrap();
        assert_eq!(s.figures.tax_saved, Decimal::new(10, 2));
        assert_eq!(s.sales[0].quantity, Decimal::new(12345678, 8));
        v["tax_saved"] = json!(0.1);
        let e = Snapshot::from_json("x", &v).unwrap_err().to_string();
        assert!(
            e.contains("tax_saved is 0.1, not an amount in a string"),
            "{e}"
        );
    }
}
