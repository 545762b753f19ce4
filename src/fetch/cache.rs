//! The cache of provider answers, so that a second run makes no request: one
//! file per window of candles, `{dir}/v1/{provider}/{product}/{granularity}/
//! {window start}.json`, holding the answer as received. A window that ended
//! (its last candle closed over an hour ago) never changes and is kept for
//! good; one that holds the present is used for [`CURRENT_TTL`]; a product
//! a provider does not list is remembered for [`UNKNOWN_TTL`]. `--offline`
//! uses whatever is there, however old. Files are written atomically, so two
//! runs at once never read half a file.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{Granularity, Provider};

/// How long an answer holding the present (a current price) is used.
pub const CURRENT_TTL: Duration = Duration::from_secs(10 * 60);
/// How long "this product is not listed" is remembered.
pub const UNKNOWN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// What the cache holds for a request.
pub enum Hit {
    Body(Vec<u8>),
    Unknown,
}

/// A product name as a file name: letters, digits, `-`, `_` and `.` as they
/// are, anything else as `%XX`.
fn file_name(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && !out.is_empty()) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Cache {
    pub fn new(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn product_dir(&self, p: Provider, product: &str) -> PathBuf {
        self.dir.join("v1").join(p.name()).join(file_name(product))
    }

    fn window_path(&self, p: Provider, product: &str, g: Granularity, start: i64) -> PathBuf {
        self.product_dir(p, product)
            .join(g.name())
            .join(format!("{start}.json"))
    }

    fn unknown_path(&self, p: Provider, product: &str) -> PathBuf {
        self.product_dir(p, product).join("unknown")
    }

    /// The cached answer for a window, if it is still good (or, `offline`,
    /// if there is one at all). `finished`: the window's candles all closed.
    pub fn get(
        &self,
        p: Provider,
        product: &str,
        g: Granularity,
        start: i64,
        finished: bool,
        offline: bool,
    ) -> Option<Hit> {
        let fresh = |path: &Path, ttl: Duration| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .is_ok_and(|t| {
                    offline
                        || SystemTime::now()
                            .duration_since(t)
                            .is_ok_and(|age| age < ttl)
                })
        };
        let unknown = self.unknown_path(p, product);
        if fresh(&unknown, UNKNOWN_TTL) {
            return Some(Hit::Unknown);
        }
        let path = self.window_path(p, product, g, start);
        if !finished && !fresh(&path, CURRENT_TTL) {
            return None;
        }
        std::fs::read(&path).ok().map(Hit::Body)
    }

    /// Keeps an answer. A cache that cannot be written costs the next run its
    /// requests, nothing more, so the error is returned for a note only.
    pub fn put(
        &self,
        p: Provider,
        product: &str,
        g: Granularity,
        start: i64,
        body: &[u8],
    ) -> std::io::Result<()> {
        write_atomic(&self.window_path(p, product, g, start), body)
    }

    /// Remembers that `p` does not list `product`.
    pub fn put_unknown(&self, p: Provider, product: &str) -> std::io::Result<()> {
        write_atomic(&self.unknown_path(p, product), b"")
    }
}

fn write_atomic(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, body)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_are_safe_file_names() {
        assert_eq!(file_name("BTC-USD"), "BTC-USD");
        assert_eq!(file_name("../x"), "%2E.%2Fx");
        assert_eq!(file_name("a b"), "a%20b");
    }

    #[test]
    fn finished_windows_stay_current_ones_expire() {
        let d = tempfile::tempdir().unwrap();
        let c = Cache::new(d.path().to_path_buf());
        let (p, g) = (Provider::Coinbase, Granularity::Day);
        assert!(c.get(p, "BTC-USD", g, 0, true, false).is_none());
        c.put(p, "BTC-USD", g, 0, b"[]").unwrap();
        assert!(matches!(c.get(p, "BTC-USD", g, 0, true, false), Some(Hit::Body(b)) if b == b"[]"));
        assert!(c.get(p, "BTC-USD", g, 0, false, false).is_some());
        c.put_unknown(p, "XYZ-USD").unwrap();
        assert!(matches!(
            c.get(p, "XYZ-USD", g, 0, true, false),
            Some(Hit::Unknown)
        ));
    }
}
