//! The statement of the choices a run made: the settings that decided its
//! figures, the harvest version, and each file read with its SHA-256, so that
//! next year's run (or the accountant's) can be shown to rest on the same
//! inputs and the same rules.

use std::fs::File;
use std::io::{self, Read};

use crate::engine::{Config, MissingBasis, Scope};

/// A file the run read: its name as given, its size and SHA-256 (none for
/// standard input, which cannot be read twice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSum {
    pub name: String,
    pub bytes: Option<u64>,
    pub sha256: Option<String>,
}

impl FileSum {
    /// Reads `name` through SHA-256; `-` is standard input, read already.
    pub fn of(name: &str) -> io::Result<FileSum> {
        if name == "-" {
            return Ok(FileSum {
                name: "<stdin>".into(),
                bytes: None,
                sha256: None,
            });
        }
        let mut f = File::open(name)?;
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        let mut buf = vec![0u8; 1 << 16];
        let mut bytes = 0u64;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            bytes += n as u64;
            ctx.update(&buf[..n]);
        }
        let hex: String = ctx
            .finish()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(FileSum {
            name: name.to_string(),
            bytes: Some(bytes),
            sha256: Some(hex),
        })
    }
}

/// A standing order as the statement shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    /// When it was recorded (RFC 3339, UTC).
    pub from: String,
    pub method: &'static str,
    /// The accounts it covers; empty for all.
    pub accounts: Vec<String>,
}

impl OrderLine {
    /// `hifo from 2025-01-01T00:00:00Z (coinbase, kraken)`, or `(all accounts)`.
    pub fn describe(&self) -> String {
        let accounts = if self.accounts.is_empty() {
            "all accounts".to_string()
        } else {
            self.accounts.join(", ")
        };
        format!("{} from {} ({accounts})", self.method, self.from)
    }
}

/// The settings and inputs that decided a run's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// harvest's version.
    pub version: &'static str,
    pub method: &'static str,
    pub scope: &'static str,
    /// `error` or `zero` (`--missing-basis`).
    pub missing_basis: &'static str,
    /// Days of the simulated wash-sale window; 0 when off (current law).
    pub wash_window: u32,
    /// Whether `--late-identification` (a what-if) was on.
    pub late_identification: bool,
    /// The tax time zone.
    pub tz: String,
    pub standing_orders: Vec<OrderLine>,
    /// With `--scope transition`: the date of the allocation and its rule,
    /// and whether the rule was named (harvest.toml or a frozen file).
    pub allocation: Option<(String, String, bool)>,
    /// Each price source (file, provider and pair, granularity) with how many
    /// amounts it valued.
    pub price_sources: Vec<(String, u64)>,
    /// The ledgers and exports read, in the order given.
    pub inputs: Vec<FileSum>,
    /// harvest.toml, the price file, the selections, the frozen allocation
    /// and the Forms 1099-DA, when read.
    pub config: Option<FileSum>,
    pub prices: Option<FileSum>,
    pub selections: Option<FileSum>,
    pub allocation_file: Option<FileSum>,
    pub forms_1099da: Vec<FileSum>,
    /// What the run said on stderr about its figures (prices used, own
    /// transfers, conversions, gaps in the basis), kept with the output.
    pub notes: Vec<String>,
}

impl Statement {
    /// The settings of `cfg`, with no files yet.
    pub fn of(cfg: &Config) -> Statement {
        Statement {
            version: env!("CARGO_PKG_VERSION"),
            method: cfg.method.as_str(),
            scope: cfg.scope.as_str(),
            missing_basis: match cfg.missing_basis {
                MissingBasis::Error => "error",
                MissingBasis::Zero => "zero",
            },
            wash_window: cfg.wash_window,
            late_identification: cfg.late_identification,
            tz: cfg.tz.name().to_string(),
            standing_orders: cfg
                .standing_orders
                .iter()
                .map(|o| OrderLine {
                    from: o.from.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    method: o.method.as_str(),
                    accounts: o.accounts.clone(),
                })
                .collect(),
            allocation: (cfg.scope == Scope::Transition).then(|| {
                (
                    cfg.transition.date.to_string(),
                    cfg.transition.describe(),
                    cfg.transition.named || cfg.transition.frozen.is_some(),
                )
            }),
            price_sources: Vec::new(),
            inputs: Vec::new(),
            config: None,
            prices: None,
            selections: None,
            allocation_file: None,
            forms_1099da: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Every file read, in the order: inputs, harvest.toml, prices,
    /// selections, allocation, Forms 1099-DA; each with what it was read as.
    pub fn files(&self) -> Vec<(&'static str, &FileSum)> {
        let mut out: Vec<(&'static str, &FileSum)> =
            self.inputs.iter().map(|f| ("input", f)).collect();
        for (role, f) in [
            ("settings", &self.config),
            ("prices", &self.prices),
            ("selections", &self.selections),
            ("allocation", &self.allocation_file),
        ] {
            if let Some(f) = f {
                out.push((role, f));
            }
        }
        out.extend(self.forms_1099da.iter().map(|f| ("1099-DA", f)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SHA-256 of a known text (FIPS 180-2's "abc").
    #[test]
    fn a_file_is_summed_with_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc.csv");
        std::fs::write(&p, "abc").unwrap();
        let f = FileSum::of(p.to_str().unwrap()).unwrap();
        assert_eq!(f.bytes, Some(3));
        assert_eq!(
            f.sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(FileSum::of("-").unwrap().sha256, None);
    }

    #[test]
    fn the_settings_are_stated() {
        let s = Statement::of(&Config::default());
        assert_eq!(s.method, "fifo");
        assert_eq!(s.missing_basis, "error");
        assert_eq!(s.tz, "UTC");
        assert!(s.version.starts_with(char::is_numeric));
    }
}
