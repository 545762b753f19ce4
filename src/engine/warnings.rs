//! Warnings collected during a run, grouped by kind so that a ledger with a
//! hundred thousand similar cases prints a few examples and a count, not a flood.

use std::collections::BTreeMap;
use std::fmt;

/// How many examples of each kind are kept.
const EXAMPLES: usize = 5;

/// The first few messages of a kind, each with the position it was made at.
type Examples = Vec<(u64, String)>;

/// Warnings by kind: a count and the first few messages.
#[derive(Debug, Clone, Default)]
pub struct Warnings {
    by_kind: BTreeMap<&'static str, (usize, Examples)>,
    /// Where the run is (see [`Warnings::at`]): kept with each example so that
    /// the warnings of engines run side by side merge into ledger order.
    at: u64,
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
            e.1.push((self.at, message()));
        }
    }

    /// Sets the position later warnings are recorded at: any number that grows
    /// in the order a serial run makes them.
    pub(crate) fn at(&mut self, position: u64) {
        self.at = position;
    }

    /// Adds the warnings of `other`, recorded by a run over other assets of
    /// the same rows, keeping the first examples by position.
    pub(crate) fn merge(&mut self, other: Warnings) {
        for (kind, (count, examples)) in other.by_kind {
            let e = self.by_kind.entry(kind).or_default();
            e.0 += count;
            e.1.extend(examples);
            e.1.sort_by_key(|x| x.0);
            e.1.truncate(EXAMPLES);
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }

    /// Each kind with its count and first few messages, by kind: what a report
    /// file carries so that the warnings do not reach stderr only.
    pub fn kinds(&self) -> Vec<(&'static str, usize, Vec<&str>)> {
        self.by_kind
            .iter()
            .map(|(k, (n, ex))| (*k, *n, ex.iter().map(|e| e.1.as_str()).collect()))
            .collect()
    }

    /// How many warnings of `kind` were recorded.
    pub fn count(&self, kind: &str) -> usize {
        self.by_kind.get(kind).map_or(0, |e| e.0)
    }
}

impl fmt::Display for Warnings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (kind, (count, examples)) in &self.by_kind {
            for (_, m) in examples {
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
