//! Errors the engine stops at: each names the row (file, line, id), the asset and
//! account, and what to do.

/// Why lot matching could not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error(
        "{at}: acquired {acquired} is after the row's own date {date}: acquired is when the units were first acquired (a gift: the donor's date; an inheritance: the date of death), on or before the row"
    )]
    AcquiredAfterRow {
        at: String,
        acquired: String,
        date: String,
    },
    #[error(
        "{at}: {kind} of {needed} {asset} from {account}, which holds only {available} {asset} then; \
         add the missing acquisitions or transfers, or pass --missing-basis zero to treat the shortfall as a zero-basis lot \
         (harvest audit --year YEAR lists every gap with what each choice does to the year's gain)"
    )]
    Oversold {
        at: String,
        kind: &'static str,
        asset: String,
        /// `account NAME`, or the universal pool with the accounts it pools.
        account: String,
        needed: String,
        available: String,
    },
    #[error(
        "{at}: no USD value for {asset}: fill in usd_value (or fee_usd), or give --prices with a {asset} price at or before {time} ('harvest prices' on the same inputs with -o prices.csv fetches it; then give --prices prices.csv)"
    )]
    MissingPrice {
        at: String,
        asset: String,
        time: String,
    },
    #[error(
        "{at}: deposit of {qty} {asset} into {account} has no matching withdrawal and no basis; \
         add the withdrawal (same txid) or the acquisition, give the basis you know in the deposit's basis_usd and acquired columns, or pass --missing-basis zero \
         (harvest audit --year YEAR lists every gap with what each choice does to the year's gain)"
    )]
    UnknownBasis {
        at: String,
        qty: String,
        asset: String,
        account: String,
    },
    #[error(
        "{at}: deposit of {deposited} {asset} is larger than its withdrawal {withdrawal} ({sent} {asset}) with the same txid; fix the quantities or the txid"
    )]
    DepositExceedsWithdrawal {
        at: String,
        withdrawal: String,
        deposited: String,
        sent: String,
        asset: String,
    },
    #[error(
        "{at}: a {kind} of {fee} {asset} withheld from {received} {asset} received leaves nothing: check fee_qty"
    )]
    FeeExceedsReceived {
        at: String,
        kind: &'static str,
        fee: String,
        received: String,
        asset: String,
    },
    #[error(
        "{selections}:{line}: lot {lot} is not held in account {account} when disposal {disposal} sells {asset}; name a lot of that asset held there"
    )]
    SelectionLotNotHeld {
        selections: String,
        line: u64,
        disposal: String,
        lot: String,
        asset: String,
        account: String,
    },
    #[error(
        "{selections}:{line}: disposal {disposal} selects {wanted} {asset} from lot {lot}, which holds only {held} in account {account}"
    )]
    SelectionTooMuch {
        selections: String,
        line: u64,
        disposal: String,
        lot: String,
        asset: String,
        account: String,
        wanted: String,
        held: String,
    },
    #[error(
        "{selections}:{line}: disposal {disposal} selects {wanted} {asset}, more than it disposes ({disposed})"
    )]
    SelectionOverDisposal {
        selections: String,
        line: u64,
        disposal: String,
        asset: String,
        wanted: String,
        disposed: String,
    },
    #[error(
        "{selections}:{line}: this selection was never used: {disposal} is not a disposal of lot {lot}'s asset in the ledger; check disposal_id and lot_id"
    )]
    SelectionUnused {
        selections: String,
        line: u64,
        disposal: String,
        lot: String,
    },
    #[error("{selections}:{line}: {what}")]
    SelectionFile {
        selections: String,
        line: u64,
        what: String,
    },
    #[error("{file}:{line}: {message}")]
    AllocationFile {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{at}: amounts too large to compute exactly ({what}); check the quantities")]
    Overflow { at: String, what: &'static str },
}
