//! Units whose basis comes from outside the ledger (a gift received, an
//! inheritance, a deposit with a known basis), and units that leave with no gain
//! or loss (a gift given, a donation, coins lost or stolen).
//!
//! - A gift received keeps the donor's basis and acquisition date (IRC 1015(a),
//!   1223(2)); when its fair value at the gift was lower, a loss on it is figured
//!   from that value (Treas. Reg. 1.1015-1(a)): see [`DualBasis`], applied to
//!   the Form 8949 rows.
//! - Inherited units take the fair value at death (IRC 1014) and are long-term
//!   whatever the dates (IRC 1223(9)).
//! - A deposit carrying `basis_usd` and `acquired` opens its lot with them, and
//!   pairs with no withdrawal.
//! - A gift given, a donation and a loss take their units by the account's
//!   method, as a sale would, and record them as a [`DisposalKind::Removal`]:
//!   no Form 8949 row.

use rust_decimal::Decimal;

use super::{DisposalKind, DualBasis, Engine, EngineError, IncomeReceived, Leg, Origin};
use crate::model::{Amount, Kind, Row};
use crate::time::date_in;

impl Engine<'_> {
    /// A gift received, an inheritance, or a deposit with a known basis.
    pub(super) fn carried_in(&mut self, i: u32, row: &Row) -> Result<(), Box<EngineError>> {
        let Some(recv) = row.received.filter(Amount::is_crypto) else {
            return Ok(());
        };
        let (Some(basis), Some(acquired)) = (self.ledger.basis_usd(row), self.ledger.acquired(row))
        else {
            // The ledger reader refuses such rows; a deposit without them is
            // a transfer.
            return self.deposit(i, row);
        };
        if self.mine(recv.asset) {
            self.part(i, 0);
            let origin = match row.kind {
                Kind::GiftIn => Origin::Gift,
                Kind::Inheritance => Origin::Inherited,
                _ => Origin::Carried,
            };
            // A gift's fair value decides the dual basis; it is asked for as any
            // row's value is (usd_value, else --prices).
            let fair_value = if row.kind == Kind::GiftIn {
                Some(self.main_value(row)?)
            } else {
                None
            };
            let lot = self.new_lot(i, row, recv.asset, recv.qty, basis, origin)?;
            let date = date_in(acquired, self.cfg.tz);
            let gift_date = date_in(row.time, self.cfg.tz);
            if date > gift_date {
                return Err(EngineError::AcquiredAfterRow {
                    at: self.ledger.locate(row),
                    acquired: date.to_string(),
                    date: gift_date.to_string(),
                }
                .into());
            }
            let l = &mut self.out.lots[lot as usize];
            l.acquired_date = date;
            l.holding_from = date;
            if let Some(v) = fair_value
                && v < basis
            {
                self.out.dual_basis.insert(
                    lot,
                    DualBasis {
                        fair_value: v,
                        gift_date,
                    },
                );
            }
            self.count_units(row.account, recv.asset, recv.qty, true);
            self.put(
                row.account,
                recv.asset,
                Leg {
                    lot,
                    qty: recv.qty,
                    basis,
                },
            );
            if let Some(v) = fair_value {
                // Kept beside the income rows' values: the report lists gifts
                // received with their fair value.
                self.out.gifts_received.push(IncomeReceived {
                    row: i,
                    qty: recv.qty,
                    value: v,
                });
            }
        }
        self.network_fee(i, row, Some(recv.asset))
    }

    /// A gift given, a donation, or coins lost: the units leave by the
    /// account's method, with their fair value (zero for a loss that has none).
    pub(super) fn removal(&mut self, i: u32, row: &Row) -> Result<(), Box<EngineError>> {
        let Some(sent) = row.sent.filter(Amount::is_crypto) else {
            return Ok(());
        };
        // The network fee is disposed of first, then the rest leaves.
        self.network_fee(i, row, Some(sent.asset))?;
        if !self.mine(sent.asset) {
            return Ok(());
        }
        self.part(i, 2);
        let value = match row.kind {
            Kind::Lost => row.usd_value.get().unwrap_or(Decimal::ZERO),
            _ => self.main_value(row)?,
        };
        self.dispose(i, row, DisposalKind::Removal, sent, value)
    }

    /// The crypto fee of a row that moves `moved`: in that asset, a network
    /// fee disposed at fair value; in another, a third-asset fee.
    fn network_fee(
        &mut self,
        i: u32,
        row: &Row,
        moved: Option<crate::model::Sym>,
    ) -> Result<(), Box<EngineError>> {
        let Some(fee) = row.fee.filter(|f| f.is_crypto() && !f.qty.is_zero()) else {
            return Ok(());
        };
        self.part(i, 1);
        if Some(fee.asset) != moved {
            self.third_asset_fee(i, row, fee)?;
        } else if self.mine(fee.asset) {
            let v = self.fee_value(row, fee.asset, fee.qty, self.ledger.fee_usd(row))?;
            self.dispose(i, row, DisposalKind::NetworkFee, fee, v)?;
        }
        Ok(())
    }
}
