//! A plan as sales: the picks grouped into one sale per account and asset, the
//! sales as ledger rows and a selections file, and what they realize by term,
//! computed exactly as `harvest gains ledger.csv plan.csv --method specific
//! --selections plan-selections.csv` would.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{Candidate, Costs, Pick, YearSoFar};
use crate::cell::cents;
use crate::engine::{self, Config, Method, Selection, Selections, UNIVERSAL};
use crate::model::{Amount, Kind, Ledger, Row, Source, Sym, TextRef};

/// The note of a plan's sales, in the ledger `scan --emit-ledger` writes.
pub const PLAN_NOTE: &str = "harvest plan";
use crate::readers::prices::PriceTable;
use crate::tax::{BoxRules, Term, build_rows};

/// One planned sale: the picks of one asset in one account.
pub struct Sale {
    pub account: Sym,
    pub asset: Sym,
    /// The as-of price it sells at.
    pub price: Decimal,
    /// Indices into the plan's picks.
    pub picks: Vec<usize>,
}

impl Sale {
    /// The quantity sold: the picks' quantities.
    pub fn qty(&self, picks: &[Pick]) -> Decimal {
        self.picks.iter().map(|&i| picks[i].qty).sum()
    }
}

fn group_sales(cands: &[Candidate], picks: &[Pick]) -> Vec<Sale> {
    let mut sales: Vec<Sale> = Vec::new();
    // Where each (account, asset)'s sale is, in the order first picked.
    let mut at: HashMap<(Sym, Sym), usize> = HashMap::default();
    for (i, p) in picks.iter().enumerate() {
        let c = &cands[p.candidate];
        match at.get(&(c.account, c.asset)) {
            Some(&s) => sales[s].picks.push(i),
            None => {
                at.insert((c.account, c.asset), sales.len());
                sales.push(Sale {
                    account: c.account,
                    asset: c.asset,
                    price: c.price,
                    picks: vec![i],
                });
            }
        }
    }
    sales
}

/// Ids for the plan's sale rows that no ledger row uses.
fn sale_ids(ledger: &Ledger, as_of: NaiveDate, n: usize) -> Vec<String> {
    let mut prefix = format!("harvest-{as_of}");
    while (1..=n).any(|i| ledger.find(&format!("{prefix}-{i}")).is_some()) {
        prefix.push('x');
    }
    (1..=n).map(|i| format!("{prefix}-{i}")).collect()
}

/// Realized (short-term, long-term) of the plan's sales, computed exactly as
/// `harvest gains ledger.csv plan.csv --method specific --selections sel.csv` would.
fn replay(
    ledger: &Ledger,
    cfg: &Config,
    prices: Option<&PriceTable>,
    user_selections: Option<&Selections>,
    mut plan_rows: Vec<Row>,
    plan_selections: &Selections,
    year: i32,
) -> Result<(Decimal, Decimal), Box<engine::EngineError>> {
    let mut assets: Vec<Sym> = plan_rows
        .iter()
        .filter_map(|r| r.sent)
        .map(|a| a.asset)
        .collect();
    assets.sort_unstable();
    assets.dedup();
    let mut l = ledger.clone();
    let plan_file = l.files.len() as u32;
    l.files.push("plan".into());
    let note = l.add_text("", PLAN_NOTE);
    for r in &mut plan_rows {
        r.source.file = plan_file;
        r.text = note;
    }
    l.rows.extend(plan_rows);
    l.sort();
    let mut sel = user_selections.cloned().unwrap_or_default();
    sel.file = plan_selections.file.clone();
    for (k, v) in &plan_selections.by_disposal {
        sel.by_disposal.insert(k.clone(), v.clone());
    }
    let c = Config {
        method: Method::Specific,
        keep: engine::Keep::Year(year),
        ..cfg.clone()
    };
    // The sales' assets alone, on two threads: the lots of each asset are
    // matched from the rows that touch it, so the others' would not change
    // these gains (and only this year's disposals are read). A selections
    // file of the user's may name any asset: then all are matched.
    let o = match user_selections {
        None => engine::run_assets(&l, &c, prices, Some(&sel), &assets)?,
        Some(_) => engine::run(&l, &c, prices, Some(&sel), None)?,
    };
    let (mut st, mut lt) = (Decimal::ZERO, Decimal::ZERO);
    for r in build_rows(&l, &o, &BoxRules::default()) {
        let d = &o.disposals[r.disposal as usize];
        if l.rows[d.row as usize].source.file == plan_file {
            match r.term {
                Term::Short => st += r.gain,
                Term::Long => lt += r.gain,
            }
        }
    }
    Ok((st, lt))
}

/// What a plan is made from.
pub struct PlanCtx<'a> {
    pub ledger: &'a Ledger,
    pub outcome: &'a engine::Outcome,
    pub cands: &'a [Candidate],
    pub y: &'a YearSoFar,
    pub as_of: NaiveDate,
    pub cutoff: DateTime<Utc>,
    pub sel_file: &'a str,
    pub engine: &'a Config,
    pub prices: Option<&'a PriceTable>,
    pub selections: Option<&'a Selections>,
    pub min_loss: Decimal,
    /// The fee and spread of each sale (and its buy-back).
    pub costs: &'a Costs,
}

/// A plan: the lots picked, the sales, those sales as ledger rows and
/// selections, and what they realize (short-term, long-term) to the cent.
pub struct Built {
    pub picks: Vec<Pick>,
    pub sales: Vec<Sale>,
    pub plan_rows: Vec<Row>,
    pub sel_lines: Vec<(String, String, Decimal)>,
    pub realized: (Decimal, Decimal),
    /// Why `realized` could not be replayed exactly, if so.
    pub note: Option<String>,
    /// A sale is from a universal pool (no account to sell from).
    pub universal: bool,
}

impl PlanCtx<'_> {
    /// The plan that harvests `need` of loss, selling none of the candidates
    /// in `left_out`.
    pub fn build(&self, need: Decimal, left_out: &HashSet<usize>) -> Built {
        let picks = super::plan(
            self.cands,
            self.y,
            need,
            self.min_loss,
            self.costs,
            left_out,
        );
        self.build_picks(picks)
    }

    /// The plan that sells `picks` (indices into the candidates).
    pub fn build_picks(&self, picks: Vec<Pick>) -> Built {
        let (ledger, cands) = (self.ledger, self.cands);
        let sales = group_sales(cands, &picks);
        let ids = sale_ids(ledger, self.as_of, sales.len());
        let sale_time = self.cutoff - Duration::seconds(1);
        let mut plan_sel = Selections {
            file: self.sel_file.to_string(),
            by_disposal: HashMap::new(),
        };
        let mut plan_rows = Vec::new();
        let mut sel_lines: Vec<(String, String, Decimal)> = Vec::new();
        for (n, sale) in sales.iter().enumerate() {
            let qty = sale.qty(&picks);
            // Filled at the price less the spread; the fee, in USD, on top
            // (SPEC section 2): `gains` takes it off the proceeds.
            let (received, fee) = self.costs.sale(sale.account, qty, sale.price);
            plan_rows.push(Row {
                id: ids[n].as_str().into(),
                time: sale_time,
                account: sale.account,
                kind: Kind::Sell,
                sent: Some(Amount {
                    qty,
                    asset: sale.asset,
                }),
                received: Some(Amount {
                    qty: received,
                    asset: Sym::USD,
                }),
                fee: (!fee.is_zero()).then_some(Amount {
                    qty: fee,
                    asset: Sym::USD,
                }),
                usd_value: crate::model::OptDecimal::NONE,
                category: None,
                extra: crate::model::ExtraRef::NONE,
                // The note, PLAN_NOTE, is added with the rows to the ledger.
                text: TextRef::NONE,
                source: Source {
                    file: u32::MAX,
                    line: n as u32 + 2,
                },
            });
            for &i in &sale.picks {
                let lot = &self.outcome.lots[cands[picks[i].candidate].lot as usize];
                let lot_id = ledger.rows[lot.row as usize].id.to_string();
                sel_lines.push((ids[n].clone(), lot_id.clone(), picks[i].qty));
                plan_sel
                    .by_disposal
                    .entry(ids[n].clone())
                    .or_default()
                    .push(Selection {
                        lot_id,
                        qty: picks[i].qty,
                        line: sel_lines.len() as u64 + 1,
                    });
            }
        }
        let universal = sales.iter().any(|s| s.account == UNIVERSAL);
        // What the plan realizes, by term, to the cent.
        let by_picks = || {
            let (mut st, mut lt) = (Decimal::ZERO, Decimal::ZERO);
            for p in &picks {
                let g = cents(p.proceeds) - cents(p.basis);
                match cands[p.candidate].term {
                    Term::Short => st += g,
                    Term::Long => lt += g,
                }
            }
            (st, lt)
        };
        let mut note = None;
        let realized = if picks.is_empty() {
            (Decimal::ZERO, Decimal::ZERO)
        } else if universal {
            by_picks()
        } else {
            // Replayed only where the replay is used: `gains --method
            // specific` matches earlier disposals as the ledger's run did
            // only when that run was FIFO.
            let replayed = match self.engine.method {
                Method::Fifo | Method::Specific => Some(replay(
                    ledger,
                    self.engine,
                    self.prices,
                    self.selections,
                    plan_rows.clone(),
                    &plan_sel,
                    self.as_of.year(),
                )),
                _ => None,
            };
            match (replayed, self.engine.method) {
                (Some(Ok(r)), Method::Fifo | Method::Specific) => r,
                (_, m) => {
                    note = Some(format!(
                        "the ledger is matched by {}; `harvest gains ... --method specific` falls back to FIFO for earlier disposals, so it reproduces this plan exactly only when they were FIFO",
                        m.as_str()
                    ));
                    by_picks()
                }
            }
        };
        Built {
            picks,
            sales,
            plan_rows,
            sel_lines,
            realized,
            note,
            universal,
        }
    }
}
