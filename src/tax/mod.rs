//! Tax rules over the engine's disposals: holding period, Form 8949 rows with
//! their boxes and cents, Schedule D and the carryover worksheet, the tax on a
//! year's capital result, and the invariants every run's figures keep. Pure
//! functions: no I/O.

pub mod audit;
pub mod balances;
pub mod form8949;
pub mod gaps;
pub mod gifts;
pub mod income;
mod invariants;
pub mod question;
pub mod rates;
pub mod schedule_d;
pub mod term;

pub use form8949::{
    AdjustmentCode, BasisRule, Box8949, BoxRules, GainRow, GainSums, Totals, build_rows,
    build_rows_where, fold_rows_where, gain_sums_where, sort_by_part_and_box,
};
pub use gifts::{Transfers, transfers};
pub use income::{IncomeSummary, Schedule, income};
pub use invariants::check_invariants;
pub use schedule_d::{Carryover, FilingStatus, ScheduleD, TaxInputs, schedule_d};
pub use term::{Term, lot_term, term};
