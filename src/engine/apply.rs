//! Applying one row: each kind's handling (buy, sell, trade, income, spend, fee),
//! its fees, valuing what the row does not value (prices, or the price an
//! earlier row implied), opening lots and taking them from pools, with what a
//! disposal beyond the holdings gets (`--missing-basis`).

use chrono::Datelike;
use rust_decimal::Decimal;

use super::pool::Pool;
use super::{
    Disposal, DisposalKind, Engine, EngineError, IncomeReceived, Keep, Leg, Lot, LotIdx, Method,
    MissingBasis, Origin, RowFlag, UNIVERSAL, fmt_qty, mul_div, wash,
};
use crate::model::{Amount, Kind, Row, Sym};
use crate::time::date_in;

impl Engine<'_> {
    pub(super) fn apply(&mut self, i: u32, row: &Row) -> Result<(), Box<EngineError>> {
        match row.kind {
            Kind::Withdrawal => self.withdrawal(i, row),
            Kind::Deposit if self.ledger.basis_usd(row).is_some() => self.carried_in(i, row),
            Kind::Deposit => self.deposit(i, row),
            Kind::GiftIn | Kind::Inheritance => self.carried_in(i, row),
            Kind::GiftOut | Kind::Donation | Kind::Lost => self.removal(i, row),
            Kind::Fee => self.fee_row(i, row),
            Kind::Trade => match self.conversions.of(row) {
                Some((s, r)) => self.convert(i, row, s, r),
                None => self.exchange(i, row),
            },
            Kind::Buy | Kind::Sell | Kind::Income | Kind::Spend => self.exchange(i, row),
        }
    }

    /// The USD value of a row's exchange: its USD side, else `usd_value`, else
    /// a USD stablecoin side at 1.00 (as `import` values it), else its side in
    /// another currency at that currency's USD rate, else prices of what was
    /// received (or sent).
    pub(super) fn main_value(&mut self, row: &Row) -> Result<Decimal, Box<EngineError>> {
        let sides = [row.sent, row.received];
        if let Some(a) = sides.into_iter().flatten().find(|a| a.asset == Sym::USD) {
            return Ok(a.qty);
        }
        if let Some(v) = row.usd_value.get() {
            return Ok(v);
        }
        let stable = sides
            .into_iter()
            .flatten()
            .find(|a| self.stablecoin(a.asset));
        if let Some(a) = stable {
            return Ok(a.qty);
        }
        let foreign = sides
            .into_iter()
            .flatten()
            .find(|a| a.asset.is_foreign_money());
        if let Some(a) = foreign {
            return self.money_value(row, a);
        }
        for a in [row.received, row.sent].into_iter().flatten() {
            if let Some(p) = self.price_at(row, a.asset) {
                return self.checked(row, a.qty.checked_mul(p), "value from price");
            }
        }
        let asset = row.received.or(row.sent).map_or(Sym::USD, |a| a.asset);
        Err(self.missing_price(row, asset).into())
    }

    /// The USD value of an amount of money: itself in USD, else the amount at its
    /// currency's `--prices` rate at the row's time (an error naming the
    /// currency when there is none).
    pub(super) fn money_value(
        &mut self,
        row: &Row,
        a: Amount,
    ) -> Result<Decimal, Box<EngineError>> {
        if a.asset == Sym::USD {
            return Ok(a.qty);
        }
        match self.price_at(row, a.asset) {
            Some(rate) => {
                self.checked(row, a.qty.checked_mul(rate), "value at the currency's rate")
            }
            None => Err(self.missing_price(row, a.asset).into()),
        }
    }

    /// The latest `--prices` price of `asset` at or before the row's time, with
    /// a warning when it is more than a day older than the row: a sparse price
    /// file must not value a trade at a year-old price without a word.
    fn price_at(&mut self, row: &Row, asset: Sym) -> Option<Decimal> {
        let at = self
            .prices?
            .at_time(self.ledger.syms.name(asset), row.time)?;
        if row.time - at.time > chrono::Duration::hours(24) && self.mine(asset) {
            self.flag(RowFlag::StalePrice);
            let (ledger, name) = (self.ledger, self.name(asset).to_string());
            self.out
                .warnings
                .add_with("price more than 24 hours older than the row", || {
                    format!(
                        "{}: {name} valued at its price of {} from {}, {} before the row; add a price nearer the row's time",
                        ledger.locate(row),
                        at.time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                        at.source,
                        crate::time::age(row.time - at.time)
                    )
                });
        }
        if self.mine(asset) {
            let i = at.source_id as usize;
            if self.out.priced.len() <= i {
                self.out.priced.resize(i + 1, 0);
            }
            self.out.priced[i] += 1;
        }
        Some(at.price)
    }

    fn missing_price(&self, row: &Row, asset: Sym) -> EngineError {
        EngineError::MissingPrice {
            at: self.ledger.locate(row),
            asset: self.name(asset).to_string(),
            time: row
                .time
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        }
    }

    /// Whether `asset` is a USD stablecoin, valued at 1.00 like USD when a row
    /// does not value it otherwise (see [`crate::model::USD_STABLECOINS`]).
    fn stablecoin(&self, asset: Sym) -> bool {
        !asset.is_money() && crate::model::is_usd_stablecoin(self.ledger.syms.name(asset))
    }

    /// Values `qty` of a crypto fee or network fee: `explicit` (fee_usd), the
    /// row's own unit price for that asset, 1.00 for a USD stablecoin,
    /// `--prices`, then the last price implied by an earlier row (with a
    /// warning).
    pub(super) fn fee_value(
        &mut self,
        row: &Row,
        asset: Sym,
        qty: Decimal,
        explicit: Option<Decimal>,
    ) -> Result<Decimal, Box<EngineError>> {
        if let Some(v) = explicit {
            return Ok(v);
        }
        if let Some(v) = row.usd_value.get() {
            for a in [row.sent, row.received].into_iter().flatten() {
                if a.asset == asset && !a.qty.is_zero() {
                    return self.checked(row, mul_div(v, qty, a.qty), "fee value");
                }
            }
        }
        if self.stablecoin(asset) {
            return Ok(qty);
        }
        if let Some(p) = self.price_at(row, asset) {
            return self.checked(row, qty.checked_mul(p), "fee value");
        }
        if let Some(&Some((v, q, from))) = self.implied.get(asset.index() as usize) {
            let value = self.checked(row, mul_div(v, qty, q), "fee value")?;
            if !self.mine(asset) {
                // Valued here for another asset's proceeds; warned by its shard.
                return Ok(value);
            }
            self.flag(RowFlag::FeeEarlierPrice);
            let (ledger, name) = (self.ledger, self.name(asset).to_string());
            self.out
                .warnings
                .add_with("fee valued at an earlier row's price", || {
                    format!(
                        "{}: {} {} valued at {} USD, the price implied by {}; give --prices or fee_usd to value it exactly",
                        ledger.locate(row),
                        fmt_qty(qty),
                        name,
                        value.round_dp(2),
                        ledger.locate(&ledger.rows[from as usize])
                    )
                });
            return Ok(value);
        }
        Err(self.missing_price(row, asset).into())
    }

    pub(super) fn note_price(&mut self, i: u32, asset: Sym, value: Decimal, qty: Decimal) {
        if !qty.is_zero()
            && let Some(p) = self.implied.get_mut(asset.index() as usize)
        {
            *p = Some((value, qty, i));
        }
    }

    pub(super) fn new_lot(
        &mut self,
        i: u32,
        row: &Row,
        asset: Sym,
        qty: Decimal,
        basis: Decimal,
        origin: Origin,
    ) -> Result<LotIdx, Box<EngineError>> {
        let idx = self.out.lots.len() as LotIdx;
        let unit = if self.orders.contains(&Method::Hifo) {
            self.checked(row, basis.checked_div(qty), "unit basis")?
        } else {
            Decimal::ZERO
        };
        let date = date_in(row.time, self.cfg.tz);
        self.out.lots.push(Lot {
            row: i,
            asset,
            acquired_date: date,
            holding_from: date,
            qty,
            basis,
            origin,
            always_long: origin == Origin::Inherited,
            came_back: false,
            unit_basis: unit,
        });
        let rank = self.ledger.id_rank.get(i as usize).copied().unwrap_or(0);
        self.lot_times.push(super::pool::lot_time(row.time, rank));
        self.lot_accounts.push(row.account);
        if self.selections.is_some() || self.cfg.wash_window > 0 {
            self.lot_of_row.entry(i).or_default().push(idx);
        }
        Ok(idx)
    }

    /// Opens a lot in `account`.
    fn acquire(
        &mut self,
        i: u32,
        row: &Row,
        account: Sym,
        asset: Sym,
        qty: Decimal,
        basis: Decimal,
    ) -> Result<(), Box<EngineError>> {
        self.count_units(account, asset, qty, true);
        let mut qty = qty;
        let mut basis = basis;
        // Units of this purchase that replace shares sold at a loss before it:
        // their own lots, with the disallowed loss in basis and a tacked holding
        // period.
        let pending = self
            .wash
            .as_mut()
            .map(|w| w.take_pending(i))
            .unwrap_or_default();
        for p in pending {
            let part_basis = self.checked(row, mul_div(basis, p.qty, qty), "wash basis")?;
            let lot = self.new_lot(
                i,
                row,
                asset,
                p.qty,
                part_basis + p.add_basis,
                Origin::Acquired,
            )?;
            let l = &mut self.out.lots[lot as usize];
            l.holding_from -= chrono::Duration::days(p.tack_days);
            let b = l.basis;
            self.put(
                account,
                asset,
                Leg {
                    lot,
                    qty: p.qty,
                    basis: b,
                },
            );
            qty -= p.qty;
            basis -= part_basis;
        }
        if qty.is_zero() {
            return Ok(());
        }
        let lot = self.new_lot(i, row, asset, qty, basis, Origin::Acquired)?;
        self.put(account, asset, Leg { lot, qty, basis });
        Ok(())
    }

    /// Takes `qty` of `asset` out of the row's account into `self.scratch`, in
    /// order `order` (after the selections for `selection_id`), making up a
    /// shortfall per `--missing-basis`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn take(
        &mut self,
        i: u32,
        row: &Row,
        asset: Sym,
        qty: Decimal,
        what: &'static str,
        selection_id: Option<&str>,
        order: usize,
    ) -> Result<(), Box<EngineError>> {
        let account = row.account;
        self.count_units(account, asset, qty, false);
        self.scratch.clear();
        let mut need = qty;
        if let Some(id) = selection_id {
            need = self.take_selected(row, id, account, asset, need, order)?;
        }
        let acct = self.pool_account(account);
        if need
            > self
                .pools
                .get(&(acct, asset))
                .map_or(Decimal::ZERO, Pool::total)
        {
            self.deliver_early(row, acct, asset, need);
        }
        let pool = self.pools.get_or_make((acct, asset));
        let available = pool.total();
        if need > available {
            match self.cfg.missing_basis {
                MissingBasis::Error => {
                    return Err(EngineError::Oversold {
                        at: self.ledger.locate(row),
                        kind: what,
                        asset: self.name(asset).to_string(),
                        account: self.pool_description(acct, asset, row.account),
                        needed: fmt_qty(need),
                        available: fmt_qty(available),
                    }
                    .into());
                }
                MissingBasis::Zero => {
                    pool.take(order, available, &mut self.scratch, &orders!(self));
                    let short = need - available;
                    let lot =
                        self.new_lot(i, row, asset, short, Decimal::ZERO, Origin::Shortfall)?;
                    self.scratch.push(Leg {
                        lot,
                        qty: short,
                        basis: Decimal::ZERO,
                    });
                    self.out.warnings.add(
                        "zero-basis shortfall",
                        format!(
                            "{}: {} of {} {} exceeds the {} held in {}; the missing {} get a zero basis (--missing-basis zero)",
                            self.ledger.locate(row),
                            what,
                            fmt_qty(qty),
                            self.name(asset),
                            fmt_qty(available),
                            self.name(acct),
                            fmt_qty(short)
                        ),
                    );
                    return Ok(());
                }
            }
        }
        pool.take(order, need, &mut self.scratch, &orders!(self));
        Ok(())
    }

    /// A pool's account for an error message: the account, or for a universal
    /// pool the accounts whose rows hold the asset (an error path: the scan of
    /// the rows costs nothing in a run that goes on).
    fn pool_description(&self, acct: Sym, asset: Sym, row_account: Sym) -> String {
        if acct != UNIVERSAL {
            return format!("account {}", self.name(acct));
        }
        let mut accounts: Vec<&str> = self
            .ledger
            .rows
            .iter()
            .filter(|r| {
                [r.sent, r.received, r.fee]
                    .iter()
                    .any(|a| a.is_some_and(|a| a.asset == asset))
            })
            .map(|r| self.ledger.syms.name(r.account))
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        const SHOWN: usize = 8;
        let more = accounts.len().saturating_sub(SHOWN);
        accounts.truncate(SHOWN);
        format!(
            "the universal pool of {} (accounts {}{}; this row's account: {})",
            self.name(asset),
            accounts.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            },
            self.name(row_account)
        )
    }

    /// Records a disposal of what `take` just put in `self.scratch`.
    fn record_disposal(
        &mut self,
        i: u32,
        row: &Row,
        kind: DisposalKind,
        a: Amount,
        proceeds: Decimal,
    ) {
        if let Some(w) = &mut self.wash {
            for leg in &self.scratch {
                w.note_gone(leg.lot, leg.qty);
            }
        }
        let date = date_in(row.time, self.cfg.tz);
        match self.keep {
            Keep::All => {}
            Keep::Year(year) if date.year() == year => {}
            Keep::Year(year) => {
                // Not stored; a disposal of an earlier year still leaves its
                // lots' running basis where Form 8949 rows start from.
                if date.year() < year {
                    let taken = &mut self.out.taken_before;
                    for leg in &self.scratch {
                        let lot = leg.lot as usize;
                        if taken.len() <= lot {
                            taken.resize(self.out.lots.len().max(lot + 1), Decimal::ZERO);
                        }
                        taken[lot] += leg.basis;
                    }
                }
                return;
            }
            Keep::Nothing => return,
        }
        let start = self.out.legs.len() as u32;
        self.out.legs.extend_from_slice(&self.scratch);
        let end = self.out.legs.len() as u32;
        if let Some(s) = &mut self.shard {
            s.disposal_pos.push(s.at);
        }
        self.out.disposals.push(Disposal {
            row: i,
            kind,
            asset: a.asset,
            date,
            qty: a.qty,
            proceeds,
            legs: start..end,
        });
    }

    /// Applies the simulated wash-sale rule to the disposal just recorded: the
    /// loss on units replaced by purchases within the window is disallowed and
    /// moves into the replacement units' basis, with their holding period.
    fn wash_check(&mut self, i: u32) -> Result<(), Box<EngineError>> {
        let Some(mut wash) = self.wash.take() else {
            return Ok(());
        };
        let result = wash::apply(self, &mut wash, i);
        self.wash = Some(wash);
        result
    }

    pub(super) fn dispose(
        &mut self,
        i: u32,
        row: &Row,
        kind: DisposalKind,
        a: Amount,
        proceeds: Decimal,
    ) -> Result<(), Box<EngineError>> {
        let (order, selected) = self.identify(row, Some(kind), a.asset);
        let select = selected.then_some(&*row.id);
        let what = match kind {
            DisposalKind::NetworkFee => "network fee",
            DisposalKind::FeeAsset => "fee",
            DisposalKind::Sale | DisposalKind::Removal => row.kind.as_str(),
        };
        self.take(i, row, a.asset, a.qty, what, select, order)?;
        self.record_disposal(i, row, kind, a, proceeds);
        if kind == DisposalKind::Sale {
            self.wash_check(i)?;
        }
        Ok(())
    }

    /// A fee paid in a crypto asset that is neither side of the row: disposed at
    /// fair value first; the value then counts as a USD fee.
    pub(super) fn third_asset_fee(
        &mut self,
        i: u32,
        row: &Row,
        fee: Amount,
    ) -> Result<Decimal, Box<EngineError>> {
        let value = self.fee_value(row, fee.asset, fee.qty, self.ledger.fee_usd(row))?;
        if self.mine(fee.asset) {
            self.dispose(i, row, DisposalKind::FeeAsset, fee, value)?;
        }
        Ok(value)
    }

    /// buy, sell, trade, income, spend.
    fn exchange(&mut self, i: u32, row: &Row) -> Result<(), Box<EngineError>> {
        let sent = row.sent.filter(Amount::is_crypto);
        let received = row.received.filter(Amount::is_crypto);
        // Warnings made while valuing belong to the row's first part.
        self.part(i, 0);
        let value = self.main_value(row)?;
        let mut usd_fee = Decimal::ZERO;
        let mut fee_in_sent = Decimal::ZERO;
        let mut withheld = Decimal::ZERO;
        if let Some(fee) = row.fee.filter(|f| !f.qty.is_zero()) {
            if !fee.is_crypto() {
                // A fee in money: USD as is, another currency at fee_usd or
                // its rate.
                usd_fee = match self.ledger.fee_usd(row) {
                    Some(v) if fee.asset.is_foreign_money() => v,
                    _ => self.money_value(row, fee)?,
                };
            } else if sent.is_some_and(|s| s.asset == fee.asset) {
                fee_in_sent = fee.qty;
            } else if received.is_some_and(|r| r.asset == fee.asset) {
                withheld = fee.qty;
            } else {
                self.part(i, 0);
                usd_fee = self.third_asset_fee(i, row, fee)?;
            }
        }
        // The value of received units withheld for a fee: it belongs to the
        // disposal on a trade (Treas. Reg. 1.1012-1(h)).
        let withheld_value = match received {
            Some(r) if !withheld.is_zero() => {
                if withheld >= r.qty {
                    return Err(EngineError::FeeExceedsReceived {
                        at: self.ledger.locate(row),
                        kind: "fee",
                        fee: fmt_qty(withheld),
                        received: fmt_qty(r.qty),
                        asset: self.name(r.asset).to_string(),
                    }
                    .into());
                }
                self.checked(row, mul_div(value, withheld, r.qty), "withheld fee value")?
            }
            _ => Decimal::ZERO,
        };
        if let Some(s) = sent {
            let proceeds = if received.is_some() {
                value - usd_fee - withheld_value
            } else {
                value - usd_fee
            };
            let a = Amount {
                qty: s.qty + fee_in_sent,
                asset: s.asset,
            };
            if self.mine(s.asset) {
                self.part(i, 1);
                self.dispose(i, row, DisposalKind::Sale, a, proceeds)?;
            }
            self.note_price(i, s.asset, value, s.qty);
        }
        if let Some(r) = received {
            let net = r.qty - withheld;
            let basis = if sent.is_some() || row.kind == Kind::Income {
                // A crypto-for-crypto exchange, or income: the fair value of the
                // units kept; the fees went to the disposal.
                value - withheld_value
            } else {
                // Bought with USD: the full cost, fees included.
                value + usd_fee
            };
            if self.mine(r.asset) {
                self.part(i, 2);
                if row.kind == Kind::Income {
                    self.out.incomes.push(IncomeReceived {
                        row: i,
                        qty: net,
                        value: basis,
                    });
                }
                self.acquire(i, row, row.account, r.asset, net, basis)?;
            }
            self.note_price(i, r.asset, value, r.qty);
        }
        Ok(())
    }

    /// A standalone fee paid in crypto: a disposal at fair value.
    fn fee_row(&mut self, i: u32, row: &Row) -> Result<(), Box<EngineError>> {
        let fee = row.fee.filter(|f| f.is_crypto() && !f.qty.is_zero());
        let sent = row.sent.filter(Amount::is_crypto);
        match (sent, fee) {
            (Some(s), Some(f)) if s.asset == f.asset => {
                if !self.mine(s.asset) {
                    return Ok(());
                }
                self.part(i, 0);
                let v1 = self.fee_value(row, s.asset, s.qty, row.usd_value.get())?;
                let v2 = self.fee_value(row, f.asset, f.qty, self.ledger.fee_usd(row))?;
                let a = Amount {
                    qty: s.qty + f.qty,
                    asset: s.asset,
                };
                self.dispose(i, row, DisposalKind::Sale, a, v1 + v2)
            }
            (Some(s), f) => {
                if let Some(f) = f {
                    self.part(i, 0);
                    self.third_asset_fee(i, row, f)?;
                }
                if !self.mine(s.asset) {
                    return Ok(());
                }
                self.part(i, 1);
                let v = self.fee_value(row, s.asset, s.qty, row.usd_value.get())?;
                self.dispose(i, row, DisposalKind::Sale, s, v)
            }
            (None, Some(f)) => {
                if !self.mine(f.asset) {
                    return Ok(());
                }
                self.part(i, 0);
                let v = self.fee_value(
                    row,
                    f.asset,
                    f.qty,
                    self.ledger.fee_usd(row).or(row.usd_value.get()),
                )?;
                self.dispose(i, row, DisposalKind::Sale, f, v)
            }
            (None, None) => Ok(()),
        }
    }
}
