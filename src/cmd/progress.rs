//! A progress bar on standard error while large inputs are read and parsed, their
//! lots matched and the output written: only when standard error is a terminal
//! and --quiet is not given, and only for inputs big enough to take a moment.

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
        // Each phase's message fits the 30 columns given to it (a file name
        // may be cut).
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

    /// No bar: for outputs of commands that read no ledger.
    pub fn none() -> Progress {
        Progress(None)
    }

    /// The bar of writing an output to `dest` once the inputs' bar is done:
    /// a count of the bytes written, shown only when the inputs had a bar
    /// (large inputs, standard error a terminal, no `--quiet`). The inputs'
    /// bar goes first.
    pub fn writing(&self, dest: &str) -> Progress {
        let Some(done) = &self.0 else {
            return Progress(None);
        };
        done.finish_and_clear();
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg:30!} {bytes} {elapsed}") {
            bar.set_style(style);
        }
        bar.set_message(format!("writing {dest}"));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress(Some(bar))
    }

    /// A writer into `w` that moves the bar on by the bytes written.
    pub fn wrap_write<'a, W: std::io::Write + 'a>(&self, w: W) -> Box<dyn std::io::Write + 'a> {
        match &self.0 {
            Some(bar) => Box::new(bar.wrap_write(w)),
            None => Box::new(w),
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
