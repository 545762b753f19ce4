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
        let mut f = Summing::new(File::open(name)?);
        let mut buf = vec![0u8; 1 << 16];
        while f.read(&mut buf)? > 0 {}
        Ok(f.sum().into_sum(name))
    }
}

/// A file's size and SHA-256 so far, as a [`Summing`] reader reads it.
pub struct RunningSum {
    ctx: ring::digest::Context,
    bytes: u64,
    /// Whether the reader reached the end of the file.
    whole: bool,
}

impl RunningSum {
    fn new() -> RunningSum {
        RunningSum {
            ctx: ring::digest::Context::new(&ring::digest::SHA256),
            bytes: 0,
            whole: false,
        }
    }

    /// The file's sum under `name`, if it was read to its end.
    pub fn finish(self, name: &str) -> Option<FileSum> {
        self.whole.then(|| self.into_sum(name))
    }

    /// The sum of what was read, under `name`.
    fn into_sum(self, name: &str) -> FileSum {
        let hex: String = self
            .ctx
            .finish()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        FileSum {
            name: name.to_string(),
            bytes: Some(self.bytes),
            sha256: Some(hex),
        }
    }
}

/// A reader that sums the bytes it passes on, so that a run's statement names
/// the bytes its figures were computed from, without reading the file again.
pub struct Summing<R> {
    inner: R,
    sum: std::rc::Rc<std::cell::RefCell<RunningSum>>,
}

impl<R> Summing<R> {
    /// Sums what `inner` gives.
    pub fn new(inner: R) -> Summing<R> {
        Summing {
            inner,
            sum: std::rc::Rc::new(std::cell::RefCell::new(RunningSum::new())),
        }
    }

    /// A handle on the sum, to read once the reader is done (and dropped).
    pub fn handle(&self) -> SumHandle {
        SumHandle(self.sum.clone())
    }

    fn sum(self) -> RunningSum {
        self.handle().take()
    }
}

/// The sum of a [`Summing`] reader, kept after the reader is handed away.
pub struct SumHandle(std::rc::Rc<std::cell::RefCell<RunningSum>>);

impl SumHandle {
    /// The sum so far.
    pub fn take(self) -> RunningSum {
        self.0.replace(RunningSum::new())
    }
}

impl<R: Read> Read for Summing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut sum = self.sum.borrow_mut();
        if n == 0 {
            sum.whole |= !buf.is_empty();
        } else {
            sum.ctx.update(&buf[..n]);
            sum.bytes += n as u64;
        }
        Ok(n)
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

    /// A file summed as another reader reads it has the sum of reading it
    /// again; one not read to its end has none.
    #[test]
    fn a_file_read_whole_is_summed_as_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc.csv");
        let text = "id,time\n".repeat(10_000);
        std::fs::write(&p, &text).unwrap();
        let name = p.to_str().unwrap();
        let f = Summing::new(File::open(&p).unwrap());
        let h = f.handle();
        let mut r = std::io::BufReader::with_capacity(1000, f);
        let mut got = String::new();
        r.read_to_string(&mut got).unwrap();
        assert_eq!(got, text);
        assert_eq!(h.take().finish(name), Some(FileSum::of(name).unwrap()));
        let mut f = Summing::new(File::open(&p).unwrap());
        let h = f.handle();
        f.read_exact(&mut [0; 100]).unwrap();
        assert_eq!(h.take().finish(name), None);
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
