//! Tax rules over the engine's disposals: holding period, Form 8949 rows with
//! their boxes and cents, and (in later stages) Schedule D. Pure functions: no I/O.

pub mod form8949;
pub mod rates;
pub mod term;

pub use form8949::{Box8949, BoxRules, GainRow, Totals, build_rows, build_rows_where};
pub use term::{Term, term};
pub mod schedule_d;

pub use schedule_d::{Carryover, FilingStatus, ScheduleD, TaxInputs, schedule_d};
