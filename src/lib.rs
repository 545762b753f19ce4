//! harvest: from exchange exports to Form 8949, Schedule D and a tax-loss
//! harvesting plan.
//!
//! The pipeline: [`import`] (exchange CSVs to ledger records) and [`ledger`]
//! (validated, merged, sorted rows) feed the [`engine`] (lots, transfers,
//! disposals), whose output [`tax`] turns into Form 8949 rows and Schedule D lines,
//! and [`render`] writes as tables, CSV or JSON. [`cmd`] wires the commands.

pub mod cell;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod csvread;
pub mod engine;
pub mod import;
pub mod ledger;
mod memory;
pub mod model;
pub mod plan;
pub mod readers;
pub mod reconcile;
pub mod render;
pub mod tax;
pub mod time;
