//! Identification in time (Treas. Reg. §1.1012-1(j), RULES.md §7.1): from 2025 the
//! lots a disposal sells are the ones a specific identification or a standing
//! order recorded no later than the sale names; otherwise FIFO within the wallet.
//! LIFO and HIFO are valid only as such a standing order.
//!
//! Also the lots a selections file names for a disposal, and the check that
//! every selection was used.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{DisposalKind, Engine, EngineError, Method, RowFlag, Selection, Selections, fmt_qty};
use crate::model::{Ledger, Row, Sym};
use crate::time::date_in;

/// The first day the identification rules apply to.
pub const IDENTIFY_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2025, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// A standing order from harvest.toml: from `from` on, disposals from `accounts`
/// (every account when empty) take their lots by `method`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandingOrder {
    /// When it was recorded: it covers sales at or after this instant.
    pub from: DateTime<Utc>,
    /// FIFO, LIFO or HIFO.
    pub method: Method,
    /// Account names; empty for all.
    pub accounts: Vec<String>,
}

/// A standing order resolved against the ledger.
pub(super) struct Standing {
    from: DateTime<Utc>,
    /// Index into the engine's orders.
    order: usize,
    /// `None` for every account.
    accounts: Option<Vec<Sym>>,
}

/// The orders pools are kept in (the method's first, then the others standing
/// orders and strict identification need), and the standing orders by time.
pub(super) fn plan(ledger: &Ledger, cfg: &super::Config) -> (Vec<Method>, Vec<Standing>) {
    let primary = match cfg.method {
        Method::Specific => Method::Fifo,
        m => m,
    };
    let mut orders = vec![primary];
    let mut index = |m: Method| {
        let m = if m == Method::Specific {
            Method::Fifo
        } else {
            m
        };
        match orders.iter().position(|&o| o == m) {
            Some(i) => i,
            None => {
                orders.push(m);
                orders.len() - 1
            }
        }
    };
    let mut standing: Vec<Standing> = cfg
        .standing_orders
        .iter()
        .map(|so| Standing {
            from: so.from,
            order: index(so.method),
            accounts: (!so.accounts.is_empty()).then(|| {
                so.accounts
                    .iter()
                    .filter_map(|a| ledger.syms.get(a))
                    .collect()
            }),
        })
        .collect();
    // FIFO is the law's default from 2025: kept beside LIFO or HIFO only when
    // the ledger reaches 2025, so that older ledgers keep one order.
    if !cfg.late_identification
        && ledger
            .rows
            .last()
            .is_some_and(|r| date_in(r.time, cfg.tz) >= IDENTIFY_FROM)
    {
        index(Method::Fifo);
    }
    // Stable: of two orders from the same instant, the later listed wins.
    standing.sort_by_key(|s| s.from);
    (orders, standing)
}

impl Engine<'_> {
    /// Warns about accounts a standing order names that the ledger never uses
    /// (a typo would otherwise silently leave the account on `--method`).
    pub(super) fn warn_unknown_standing_accounts(&mut self) {
        for so in &self.cfg.standing_orders {
            for a in &so.accounts {
                if self.ledger.syms.get(a).is_none() {
                    self.out.warnings.add(
                        "standing order for an unknown account",
                        format!(
                            "harvest.toml: the standing order from {} names account {a:?}, which no ledger row uses; check the spelling",
                            so.from.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                        ),
                    );
                }
            }
        }
    }

    /// The standing order covering a sale on `row`, as an index into the orders.
    fn standing_for(&self, row: &Row) -> Option<usize> {
        self.standing
            .iter()
            .rev()
            .find(|s| {
                s.from <= row.time && s.accounts.as_ref().is_none_or(|a| a.contains(&row.account))
            })
            .map(|s| s.order)
    }

    /// How the lots leaving on `row` are picked: the order to take them in, and
    /// whether the selections file comes first. `disposal` is `None` for a
    /// transfer, which follows the same rules without a warning.
    pub(super) fn identify(
        &mut self,
        row: &Row,
        disposal: Option<DisposalKind>,
        asset: Sym,
    ) -> (usize, bool) {
        let standing = self.standing_for(row);
        let fifo = self.orders.iter().position(|&m| m == Method::Fifo);
        let sale = matches!(disposal, Some(DisposalKind::Sale | DisposalKind::FeeAsset));
        if self.cfg.method == Method::Specific {
            // The selections are the identification; what they leave is taken by
            // the standing order, else FIFO (the primary order).
            return (standing.unwrap_or(0), sale);
        }
        if let Some(j) = standing {
            return (j, false);
        }
        if self.orders[0] == Method::Fifo || date_in(row.time, self.cfg.tz) < IDENTIFY_FROM {
            return (0, false);
        }
        let method = self.orders[0].as_str().to_uppercase();
        if !self.cfg.late_identification
            && let Some(f) = fifo
        {
            if sale {
                self.flag(RowFlag::TakenFifo);
                let (ledger, name) = (self.ledger, self.name(asset).to_string());
                self.out
                    .warnings
                    .add_with("taken FIFO: not identified in time", || {
                        format!(
                            "{}: no standing order or selection recorded by the sale covers this disposal of {name}: its lots are taken FIFO, the law's default from 2025 (Treas. Reg. 1.1012-1(j)), not {method}; record a standing order in harvest.toml ([[standing_order]]) for {method} to apply",
                            ledger.locate(row)
                        )
                    });
            }
            return (f, false);
        }
        self.out.late_identified += 1;
        if sale {
            self.flag(RowFlag::LateIdentification);
            let (ledger, name) = (self.ledger, self.name(asset).to_string());
            self.out
                .warnings
                .add_with("method not identified in time (--late-identification)", || {
                    format!(
                        "{}: {method} picks the lots of this disposal of {name} (--late-identification), but from 2025 only a standing order or a specific identification recorded by the sale may (Treas. Reg. 1.1012-1(j)), else FIFO in the wallet: a what-if, not a filing position",
                        ledger.locate(row)
                    )
                });
        }
        (0, false)
    }
}

impl Engine<'_> {
    /// Takes the lots the selections file names for disposal `id`; returns what
    /// is left to take in order `order` (FIFO, or a standing order's).
    pub(super) fn take_selected(
        &mut self,
        row: &Row,
        id: &str,
        account: Sym,
        asset: Sym,
        qty: Decimal,
        order: usize,
    ) -> Result<Decimal, Box<EngineError>> {
        let Some(sel) = self.selections else {
            return Ok(qty);
        };
        let list = sel.by_disposal.get(id);
        let mut need = qty;
        let mut matched_any = false;
        for (n, s) in list.into_iter().flatten().enumerate() {
            let Some(r) = self.ledger.find(&s.lot_id) else {
                return Err(self.not_held(sel, s, id, asset, account).into());
            };
            let Some(lots) = self.lot_of_row.get(&(r as u32)) else {
                return Err(self.not_held(sel, s, id, asset, account).into());
            };
            // A row can open lots of several assets (a trade's shortfall lots);
            // a selection applies to the disposal of its lot's asset.
            let Some(&lot) = lots
                .iter()
                .find(|&&l| self.out.lots[l as usize].asset == asset)
            else {
                continue;
            };
            matched_any = true;
            if s.qty > need {
                return Err(EngineError::SelectionOverDisposal {
                    selections: sel.file.clone(),
                    line: s.line,
                    disposal: id.to_string(),
                    asset: self.name(asset).to_string(),
                    wanted: fmt_qty(s.qty),
                    disposed: fmt_qty(qty),
                }
                .into());
            }
            let key = self.out.lot_key(self.ledger, lot);
            let acct = self.pool_account(account);
            let pool = self.pools.get_or_make((acct, asset));
            let held = pool.held(&key, &orders!(self));
            if held.is_zero() {
                return Err(self.not_held(sel, s, id, asset, account).into());
            }
            if held < s.qty {
                return Err(EngineError::SelectionTooMuch {
                    selections: sel.file.clone(),
                    line: s.line,
                    disposal: id.to_string(),
                    lot: s.lot_id.clone(),
                    asset: self.name(asset).to_string(),
                    account: self.name(acct).to_string(),
                    wanted: fmt_qty(s.qty),
                    held: fmt_qty(held),
                }
                .into());
            }
            pool.take_from(&key, s.qty, &mut self.scratch, &orders!(self));
            need -= s.qty;
            *self.used_selections.entry((id.to_string(), n)).or_default() += s.qty;
        }
        if !need.is_zero() {
            let how = match self.orders[order] {
                Method::Fifo | Method::Specific => "FIFO".to_string(),
                m => format!("{} (standing order)", m.as_str().to_uppercase()),
            };
            let msg = if matched_any {
                format!(
                    "{}: the selections for {} cover {} of {} {}; the remaining {} are taken {how}",
                    self.ledger.locate(row),
                    id,
                    fmt_qty(qty - need),
                    fmt_qty(qty),
                    self.name(asset),
                    fmt_qty(need)
                )
            } else {
                format!(
                    "{}: disposal of {} {} is not in the selections file; its lots are taken {how}",
                    self.ledger.locate(row),
                    fmt_qty(qty),
                    self.name(asset)
                )
            };
            let kind = if how == "FIFO" {
                "disposal not selected, taken FIFO"
            } else {
                "disposal not selected, taken by standing order"
            };
            self.out.warnings.add(kind, msg);
        }
        Ok(need)
    }

    fn not_held(
        &self,
        sel: &Selections,
        s: &Selection,
        id: &str,
        asset: Sym,
        account: Sym,
    ) -> EngineError {
        EngineError::SelectionLotNotHeld {
            selections: sel.file.clone(),
            line: s.line,
            disposal: id.to_string(),
            lot: s.lot_id.clone(),
            asset: self.name(asset).to_string(),
            account: self.name(self.pool_account(account)).to_string(),
        }
    }

    pub(super) fn check_selections_used(&self) -> Result<(), Box<EngineError>> {
        let Some(sel) = self.selections else {
            return Ok(());
        };
        let mut lines: Vec<(u64, &str, &str)> = Vec::new();
        for (id, list) in &sel.by_disposal {
            // A run of some assets only (`run_assets`) does not make the
            // disposals of others.
            if let (Some(_), Some(r)) = (&self.shard, self.ledger.find(id)) {
                let r = &self.ledger.rows[r];
                if ![r.sent, r.fee]
                    .into_iter()
                    .flatten()
                    .any(|a| self.mine(a.asset))
                {
                    continue;
                }
            }
            for (n, s) in list.iter().enumerate() {
                if !self.used_selections.contains_key(&(id.clone(), n)) {
                    lines.push((s.line, id, &s.lot_id));
                }
            }
        }
        lines.sort();
        match lines.first() {
            Some(&(line, id, lot)) => Err(EngineError::SelectionUnused {
                selections: sel.file.clone(),
                line,
                disposal: id.to_string(),
                lot: lot.to_string(),
            }
            .into()),
            None => Ok(()),
        }
    }
}
