//! Warnings collected during a run, grouped by kind so that a ledger with a
//! hundred thousand similar cases prints a few examples and a count, not a flood.

use std::collections::BTreeMap;
use std::fmt;

/// How many examples of each kind are kept.
const EXAMPLES: usize = 5;

/// Warnings by kind: a count and the first few messages.
#[derive(Debug, Clone, Default)]
pub struct Warnings {
    by_kind: BTreeMap<&'static str, (usize, Vec<String>)>,
}

impl Warnings {
    /// Records a warning of `kind`.
    pub fn add(&mut self, kind: &'static str, message: String) {
        self.add_with(kind, || message);
    }

    /// Records a warning of `kind`, formatting its message only when it is one
    /// of the examples kept (a million similar warnings cost a count each).
    pub fn add_with(&mut self, kind: &'static str, message: impl FnOnce() -> String) {
        let e = self.by_kind.entry(kind).or_default();
        e.0 += 1;
        if e.1.len() < EXAMPLES {
            e.1.push(message());
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }

    /// How many warnings of `kind` were recorded.
    pub fn count(&self, kind: &str) -> usize {
        self.by_kind.get(kind).map_or(0, |e| e.0)
    }
}

impl fmt::Display for Warnings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (kind, (count, examples)) in &self.by_kind {
            for m in examples {
                writeln!(f, "harvest: warning: {m}")?;
            }
            if *count > examples.len() {
                writeln!(
                    f,
                    "harvest: warning: ... and {} more ({kind})",
                    count - examples.len()
                )?;
            }
        }
        Ok(())
    }
}
