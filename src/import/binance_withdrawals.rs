//! Binance withdrawal history:
//! `Date(UTC+0),Coin,Network,Amount,Fee,Address,TXID,Status` (2022 on). Read by
//! the deposit history's reader (`binance_deposits`): crypto rows become
//! `withdrawal` rows with the TXID, `Amount` sent and the network `Fee` paid on
//! top (the ledger's convention); fiat rows and rows not `Completed` are skipped
//! with a reason.

use super::{Cx, Entry, ImportError, RowStream, Sheet, binance_deposits};

pub(crate) fn matches(h: &[String]) -> bool {
    binance_deposits::transfer_header(h) && h.iter().any(|c| c == "Fee")
}

pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    binance_deposits::parse_transfers(sheet, stream, cx, emit, true)
}
