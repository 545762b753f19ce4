//! Shared by lots, gains, report and scan: interpreting the engine flags, and
//! reading every input (ledgers and exchange exports), prices and selections.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::Context;
use chrono_tz::Tz;

use crate::cli::{EngineArgs, MethodArg, MissingBasisArg, ScopeArg};
use crate::engine::{Config, Method, MissingBasis, Scope, Selections};
use crate::ledger::LedgerBuilder;
use crate::model::Ledger;
use crate::prices::PriceTable;

/// A mistake in how harvest was called (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The engine flags, interpreted.
#[derive(Debug, Clone)]
pub struct Settings {
    pub engine: Config,
    pub quiet: bool,
}

impl Settings {
    /// Interprets the flags shared by lots, gains, report and scan.
    pub fn from_args(a: &EngineArgs) -> Result<Settings, UsageError> {
        let tz: Tz = match &a.tz {
            Some(z) => z.parse().map_err(|_| {
                UsageError(format!(
                    "--tz {z:?} is not an IANA time zone (for example UTC or America/New_York)"
                ))
            })?,
            None => Tz::UTC,
        };
        let method = match a.method.unwrap_or(MethodArg::Fifo) {
            MethodArg::Fifo => Method::Fifo,
            MethodArg::Lifo => Method::Lifo,
            MethodArg::Hifo => Method::Hifo,
            MethodArg::Specific => Method::Specific,
        };
        if method == Method::Specific && a.selections.is_none() {
            return Err(UsageError(
                "--method specific needs --selections FILE (CSV disposal_id,lot_id,quantity)".into(),
            ));
        }
        if method != Method::Specific && a.selections.is_some() {
            return Err(UsageError(
                "--selections is used only with --method specific".into(),
            ));
        }
        let scope = match a.scope.unwrap_or(ScopeArg::Wallet) {
            ScopeArg::Wallet => Scope::Wallet,
            ScopeArg::Universal => Scope::Universal,
            ScopeArg::Transition => {
                return Err(UsageError(
                    "--scope transition is not available yet: use wallet or universal".into(),
                ));
            }
        };
        let missing_basis = match a.missing_basis.unwrap_or(MissingBasisArg::Error) {
            MissingBasisArg::Error => MissingBasis::Error,
            MissingBasisArg::Zero => MissingBasis::Zero,
        };
        Ok(Settings {
            engine: Config {
                method,
                scope,
                missing_basis,
                tz,
            },
            quiet: a.quiet,
        })
    }
}

/// Everything read from the inputs of an engine command.
pub struct Loaded {
    pub ledger: Ledger,
    pub prices: Option<PriceTable>,
    pub selections: Option<Selections>,
}

fn read_all(name: &str) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    if name == "-" {
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
    } else {
        File::open(name)
            .and_then(|mut f| f.read_to_end(&mut buf))
            .with_context(|| format!("{name}: cannot read"))?;
    }
    Ok(buf)
}

fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Reads the inputs, prices and selections named by `a`.
pub fn load(a: &EngineArgs, s: &Settings) -> anyhow::Result<Loaded> {
    let tz = s.engine.tz;
    let prices = match &a.prices {
        Some(p) => Some(PriceTable::read(open(p)?, &p.display().to_string(), tz)?),
        None => None,
    };
    let selections = match &a.selections {
        Some(p) => Some(Selections::read(open(p)?, &p.display().to_string())?),
        None => None,
    };
    let mut b = LedgerBuilder::new(tz);
    for name in &a.inputs {
        let data = read_all(name)?;
        let display = if name == "-" { "<stdin>" } else { name.as_str() };
        b.read_csv(&data[..], display)?;
    }
    let ledger = b.finish()?;
    Ok(Loaded {
        ledger,
        prices,
        selections,
    })
}
