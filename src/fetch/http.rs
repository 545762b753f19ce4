//! The HTTP client: `ureq` (blocking, rustls) with a timeout, retries with
//! backoff on 429, 5xx, timeouts and dropped connections, a pace per provider
//! within its documented rate limit, and an immediate stop on Binance's 418
//! (an IP ban: retrying would lengthen it). Only HTTPS leaves the machine:
//! plain HTTP is accepted only for a loopback address given through an
//! override variable, and redirects are not followed.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{FetchError, Provider};

/// What one GET came back with, after the retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 200, with its body.
    Body(Vec<u8>),
    /// Another 4xx: the provider's own error (an unknown product, ...).
    Refused { status: u16, body: Vec<u8> },
    /// No answer worth reading: 5xx or 429 after the retries, a timeout, a
    /// connection that failed.
    Failed(String),
    /// 418: the provider banned this address; nothing more is asked of it.
    Banned,
}

/// How requests are made.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The whole of one request, connection included.
    pub timeout: Duration,
    /// Retries after the first try (on 429, 5xx, timeouts).
    pub retries: u32,
    /// The first wait before a retry; each next one doubles it (a 429's
    /// Retry-After, when longer, is waited instead, up to a minute).
    pub backoff: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// The client, shared by the threads that make requests.
pub struct Http {
    agent: ureq::Agent,
    opts: HttpOptions,
    /// Per provider: when its next request may start.
    next: [Mutex<Instant>; Provider::ALL.len()],
    banned: [AtomicBool; Provider::ALL.len()],
    /// Requests made (each try counts), per provider.
    made: [AtomicUsize; Provider::ALL.len()],
}

/// Checks that a base URL is HTTPS, or plain HTTP to a loopback address when
/// it came from an override variable.
pub fn check_base(provider: Provider, url: &str, overridden: bool) -> Result<(), FetchError> {
    if url.starts_with("https://") {
        return Ok(());
    }
    if let Some(rest) = url.strip_prefix("http://")
        && overridden
    {
        let host = rest.split(['/', '?']).next().unwrap_or("");
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host.rsplit_once(':').map_or(host, |(h, _)| h),
        };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            return Ok(());
        }
    }
    Err(FetchError::NotHttps {
        variable: provider.url_variable(),
        url: url.to_string(),
    })
}

impl Http {
    pub fn new(opts: HttpOptions) -> Http {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(opts.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("harvest/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let now = Instant::now();
        Http {
            agent,
            opts,
            next: std::array::from_fn(|_| Mutex::new(now)),
            banned: std::array::from_fn(|_| AtomicBool::new(false)),
            made: std::array::from_fn(|_| AtomicUsize::new(0)),
        }
    }

    /// Requests made so far to `p` (each try counts).
    pub fn made(&self, p: Provider) -> usize {
        self.made[p as usize].load(Ordering::Relaxed)
    }

    /// Whether `p` banned this address during the run.
    pub fn banned(&self, p: Provider) -> bool {
        self.banned[p as usize].load(Ordering::Relaxed)
    }

    /// Waits for `p`'s next turn (its pace within its rate limit).
    fn pace(&self, p: Provider) {
        let wait = {
            let mut next = self.next[p as usize]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + p.interval();
            at - now
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }

    /// GETs `url` from `p`, with `header` when given, retrying what can be
    /// retried.
    pub fn get(&self, p: Provider, url: &str, header: Option<(&str, &str)>) -> Answer {
        let mut wait = self.opts.backoff;
        let mut last = String::new();
        for attempt in 0..=self.opts.retries {
            if self.banned(p) {
                return Answer::Banned;
            }
            if attempt > 0 {
                std::thread::sleep(wait);
                wait = wait.saturating_mul(2);
            }
            self.pace(p);
            self.made[p as usize].fetch_add(1, Ordering::Relaxed);
            let mut req = self.agent.get(url);
            if let Some((k, v)) = header {
                req = req.header(k, v);
            }
            let resp = match req.call() {
                Ok(r) => r,
                Err(e) => {
                    last = match e {
                        ureq::Error::Timeout(_) => {
                            format!("no answer within {} seconds", self.opts.timeout.as_secs())
                        }
                        e => e.to_string(),
                    };
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s.min(60)));
            let body = resp
                .into_body()
                .into_with_config()
                .limit(64 << 20)
                .read_to_vec();
            match (status, body) {
                (418, _) => {
                    self.banned[p as usize].store(true, Ordering::Relaxed);
                    return Answer::Banned;
                }
                (200, Ok(b)) => return Answer::Body(b),
                (200, Err(e)) => last = format!("the answer was cut: {e}"),
                (429, _) => {
                    last = "HTTP 429 (too many requests)".into();
                    if let Some(r) = retry_after {
                        wait = wait.max(r);
                    }
                }
                (s, _) if s >= 500 => last = format!("HTTP {s}"),
                (s, b) => {
                    return Answer::Refused {
                        status: s,
                        body: b.unwrap_or_default(),
                    };
                }
            }
        }
        let tries = self.opts.retries + 1;
        Answer::Failed(format!("{last} ({tries} tries)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_only_but_plain_http_to_loopback_from_a_variable() {
        let ok = |u: &str, o: bool| check_base(Provider::Coinbase, u, o).is_ok();
        assert!(ok("https://api.exchange.coinbase.com", false));
        assert!(ok("http://127.0.0.1:8080", true));
        assert!(ok("http://localhost:1/x", true));
        assert!(ok("http://[::1]:80", true));
        assert!(!ok("http://127.0.0.1:8080", false));
        assert!(!ok("http://10.0.0.1", true));
        assert!(!ok("http://example.com", true));
        assert!(!ok("ftp://x", true));
    }
}
