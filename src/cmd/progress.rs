//! A progress bar on standard error while large inputs are read and parsed: only
//! when standard error is a terminal and --quiet is not given, and only for inputs
//! big enough to take a moment.

use std::io::{IsTerminal, Read};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Inputs smaller than this in total are read without a bar.
pub const THRESHOLD: u64 = 1 << 20;

/// A bar over the bytes of the inputs, or nothing.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar for reading `names` (files, or `-` for standard input).
    pub fn for_inputs(names: &[String], quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let total: u64 = names
            .iter()
            .filter(|n| n.as_str() != "-")
            .filter_map(|n| std::fs::metadata(n).ok())
            .map(|m| m.len())
            .sum();
        if total < THRESHOLD {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {msg:30!} [{bar:30}] {bytes}/{total_bytes} {elapsed}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress(Some(bar))
    }

    /// A reader of the input `name` that advances the bar as it is read (and, for
    /// a streamed ledger, parsed).
    pub fn wrap<R: Read + 'static>(&self, name: &str, r: R) -> Box<dyn Read> {
        match &self.0 {
            Some(bar) => {
                bar.set_message(format!("reading {name}"));
                Box::new(bar.wrap_read(r))
            }
            None => Box::new(r),
        }
    }

    /// Moves the bar `n` bytes on (an input read whole).
    pub fn advance(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }

    /// Says what is being done now.
    pub fn message(&self, msg: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(msg.to_string());
        }
    }

    /// Runs `f` with the bar hidden, so lines printed on stderr do not mix with it.
    pub fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.0 {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
