//! harvest: from exchange exports to Form 8949, Schedule D and a tax-loss
//! harvesting plan.
//!
//! The pipeline: [`import`] (exchange CSVs to ledger records) and [`ledger`]
//! (validated, merged, sorted rows), with the other inputs from [`readers`],
//! feed the [`engine`] (lots, transfers, disposals), whose output [`tax`] turns
//! into Form 8949 rows and Schedule D lines; [`plan`] finds the losses worth
//! harvesting, [`reconcile`] checks a broker's 1099-DA, and [`render`] writes
//! tables, CSV, JSON, HTML and tax-software files. [`cmd`] wires the commands.
//! Below them all, [`cell`] holds the rules of a cell of text or money.
//!
//! Modules use only the modules of lower layers (README, "How the code is laid
//! out"; checked by `tests/layers.rs`).

pub mod cell;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod csvread;
pub mod engine;
pub mod fetch;
pub mod import;
pub mod ledger;
pub mod memory;
pub mod model;
pub mod plan;
pub mod readers;
pub mod reconcile;
pub mod render;
pub mod statement;
pub mod tax;
pub mod threads;
pub mod time;
