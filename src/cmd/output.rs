//! Where a command's output goes: standard output, or a file written atomically
//! (a temp file in the same directory, renamed into place only on success).

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context;

use super::progress::Progress;

/// Checks, before any work, that an output file can be written at `path`: not
/// a directory, in a directory that exists and takes new files. `flag` names
/// the option for the message.
pub fn check_output(flag: &str, path: &Path) -> Result<(), super::UsageError> {
    let shown = path.display();
    // A device or a pipe is written in place (see `write_output`).
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Ok(());
    }
    if path.is_dir() {
        return Err(super::UsageError(format!(
            "{flag} {shown} is a directory: give a file name, e.g. {}",
            path.join("out.csv").display()
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(super::UsageError(format!(
            "{flag} {shown}: the directory {} does not exist; create it first",
            dir.display()
        )));
    }
    tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        super::UsageError(format!(
            "{flag} {shown}: cannot write a file in {}: {e}",
            dir.display()
        ))
    })?;
    Ok(())
}

/// Renders with `f` into `path` atomically, or to standard output when `path` is
/// `None`. On any error no partial file is left behind.
pub fn write_output(
    path: Option<&Path>,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    write_output_shown(path, &Progress::none(), f)
}

/// [`write_output`], with a bar counting the bytes written when `inputs` had
/// one (see [`Progress::writing`]) and the output is a file: `-o FILE`, or
/// standard output redirected to one. Not into a pipe or a terminal: a pager
/// (`| less`) or the output itself would share the screen with the bar.
pub fn write_output_shown(
    path: Option<&Path>,
    inputs: &Progress,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    // Gains and losses are colored only in a table on a terminal, never in a
    // file, and not when NO_COLOR is set (https://no-color.org).
    let terminal = path.is_none() && io::IsTerminal::is_terminal(&io::stdout());
    crate::render::table::set_color(
        terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    );
    // Tables fit the terminal they are shown on; in a file or a pipe they keep
    // their width.
    crate::render::table::set_width(if terminal {
        terminal_size::terminal_size_of(io::stdout())
            .map_or(0, |(terminal_size::Width(w), _)| usize::from(w))
    } else {
        0
    });
    match path {
        None => {
            let bar = if stdout_is_file() {
                inputs.writing("standard output")
            } else {
                inputs.finish();
                Progress::none()
            };
            let stdout = io::stdout();
            let mut w = io::BufWriter::with_capacity(1 << 16, bar.wrap_write(stdout.lock()));
            f(&mut w)?;
            w.flush()?;
            Ok(())
        }
        // A device or a pipe (`-o /dev/null`, `-o /dev/stdout`, a named pipe) is
        // written in place: renaming a file over it would replace the device
        // itself (as root, /dev/null would become a plain file).
        Some(p) if std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir()) => {
            inputs.finish();
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(p)
                .with_context(|| format!("opening {}", p.display()))?;
            let mut w = io::BufWriter::with_capacity(1 << 16, file);
            f(&mut w).with_context(|| format!("writing {}", p.display()))?;
            w.flush()
                .with_context(|| format!("writing {}", p.display()))?;
            Ok(())
        }
        Some(p) => {
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
            // Renamed over a file that exists, the new file's data is written
            // to disk inside the rename (ext4 does, lest a crash leave the file
            // empty), the command waiting: that writing is started as the
            // output grows instead.
            let replacing = std::fs::metadata(p).is_ok_and(|m| m.is_file());
            {
                let bar = inputs.writing(&p.display().to_string());
                let file = WriteBack::new(tmp.as_file(), replacing);
                let mut w = io::BufWriter::with_capacity(1 << 16, bar.wrap_write(file));
                f(&mut w).with_context(|| format!("writing {}", p.display()))?;
                w.flush()
                    .with_context(|| format!("writing {}", p.display()))?;
            }
            // A temp file is private (0600); the output gets the permissions of
            // the file it replaces, or the usual 0644 for a new file.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(p).map_or(0o644, |m| m.permissions().mode());
                std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
                    .with_context(|| format!("setting the permissions of {}", p.display()))?;
            }
            // PersistError repeats its io::Error as its source: keep only that.
            tmp.persist(p)
                .map_err(|e| e.error)
                .with_context(|| format!("renaming the output into {}", p.display()))?;
            Ok(())
        }
    }
}

/// Bytes written between two starts of writing a replacing output to disk.
const WRITE_BACK_EVERY: u64 = 8 << 20;

/// A file being written that, when `start` was asked, starts the system's
/// writing of its data to disk every [`WRITE_BACK_EVERY`] bytes (Linux
/// `sync_file_range`: it starts the writing and does not wait for it; the
/// data is the same either way). Elsewhere, or when not asked, a plain
/// file.
struct WriteBack<'a> {
    file: &'a std::fs::File,
    start: bool,
    /// Bytes written, and those whose writing to disk was started.
    written: u64,
    started: u64,
}

impl<'a> WriteBack<'a> {
    fn new(file: &'a std::fs::File, start: bool) -> Self {
        WriteBack {
            file,
            start,
            written: 0,
            started: 0,
        }
    }
}

impl Write for WriteBack<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.start && self.written - self.started >= WRITE_BACK_EVERY {
            start_writing(self.file, self.started, self.written - self.started);
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Starts writing `len` bytes of `file` from `at` to disk, without waiting.
/// A hint: a failure changes nothing that is written.
#[cfg(target_os = "linux")]
fn start_writing(file: &std::fs::File, at: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(at), Ok(len)) = (i64::try_from(at), i64::try_from(len)) else {
        return;
    };
    // SAFETY: the descriptor is the open file's, borrowed for the call;
    // sync_file_range reads no memory of the process.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), at, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writing(_file: &std::fs::File, _at: u64, _len: u64) {}

/// Standard output is a regular file (`> out.csv`), not a terminal or a pipe.
fn stdout_is_file() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map(std::fs::File::from)
            .and_then(|f| f.metadata())
            .is_ok_and(|m| m.is_file())
    }
    #[cfg(not(unix))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek};

    /// What goes through a replacing output's writer is what reaches the
    /// file, whether its writing to disk is started or not.
    #[test]
    fn starting_the_writing_to_disk_changes_nothing_written() {
        let chunk: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        for start in [false, true] {
            let mut file = tempfile::tempfile().unwrap();
            let mut w = WriteBack::new(&file, start);
            for _ in 0..20 {
                w.write_all(&chunk).unwrap();
            }
            w.flush().unwrap();
            // Started for each whole 8 MiB written, when asked.
            let started = if start { 16 << 20 } else { 0 };
            assert_eq!((w.written, w.started), (20 << 20, started));
            file.rewind().unwrap();
            let mut back = Vec::new();
            file.read_to_end(&mut back).unwrap();
            assert_eq!(back.len(), 20 << 20);
            assert!(back.chunks(1 << 20).all(|c| c == chunk.as_slice()));
        }
    }
}
