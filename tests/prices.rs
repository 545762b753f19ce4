//! `harvest prices` (issue 17) against a local HTTP server inside the test
//! process that answers in each provider's real format: Coinbase Exchange
//! candles `[time, low, high, open, close, volume]` newest first, with JSON
//! numbers; Binance klines `[openTime, "open", "high", "low", "close", ...]`
//! with strings, and its `{"code":-1121}` for an unknown symbol; Frankfurter
//! time series `{"rates":{"2024-01-02":{"USD":1.08}}}`. No test reaches the
//! internet: every provider's address is the local server.
//!
//! The library is tested for each kind of answer (429 then success, 500, a
//! timeout, malformed JSON, an empty candle list, an unknown product, 418) and
//! for the requests made; the binary for the cache, --offline, the file left
//! (or not) and the whole path import -> prices -> report of every export
//! layout that needed prices.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use harvest::fetch::{
    self, Cache, Granularity, HttpOptions, Need, Options, Problem, Provider, Why,
};

// ---------------------------------------------------------------- the server

/// What the server answers.
enum Reply {
    Json(u16, String),
    /// A status with a Retry-After header (seconds).
    RetryAfter(u16, u64, String),
    /// No answer for this long, then the connection is closed.
    Hang(Duration),
}

type Handler = dyn Fn(&str, &HashMap<String, String>, usize) -> Reply + Send + Sync;

/// A local HTTP/1.1 server: one request per connection, every request line
/// recorded.
struct Server {
    url: String,
    hits: Arc<Mutex<Vec<String>>>,
    /// The whole head of each request (request line and headers).
    heads: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(handler: Arc<Handler>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let heads: Arc<Mutex<Vec<String>>> = Arc::default();
        let (h, hd) = (hits.clone(), heads.clone());
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                let (handler, hits, heads) = (handler.clone(), h.clone(), hd.clone());
                std::thread::spawn(move || answer(s, &*handler, &hits, &heads));
            }
        });
        Server { url, hits, heads }
    }

    /// The request targets so far.
    fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }

    fn count(&self, prefix: &str) -> usize {
        self.hits().iter().filter(|h| h.starts_with(prefix)).count()
    }
}

fn answer(
    mut s: TcpStream,
    handler: &Handler,
    hits: &Mutex<Vec<String>>,
    heads: &Mutex<Vec<String>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    heads.lock().unwrap().push(head.clone());
    let target = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_string();
    let n = {
        let mut h = hits.lock().unwrap();
        let n = h.iter().filter(|x| **x == target).count();
        h.push(target.clone());
        n
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let q: HashMap<String, String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (status, extra, body) = match handler(path, &q, n) {
        Reply::Json(st, b) => (st, String::new(), b),
        Reply::RetryAfter(st, secs, b) => (st, format!("Retry-After: {secs}\r\n"), b),
        Reply::Hang(d) => {
            std::thread::sleep(d);
            return;
        }
    };
    let _ = write!(
        s,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
}

// ---------------------------------------------------------------- the market

/// Coinbase products and their candles' open and close (every candle the
/// same, so the mean is the price whatever the candle).
fn coinbase_price(product: &str) -> Option<(&'static str, &'static str)> {
    Some(match product {
        "BTC-USD" => ("63990", "64010"),
        "ETH-USD" => ("2490", "2510"),
        "SOL-USD" => ("99", "101"),
        "DOT-USD" => ("8.9", "9.1"),
        "ADA-USD" => ("0.49", "0.51"),
        "GRT-USD" => ("0.79", "0.81"),
        "XLM-USD" => ("0.09", "0.11"),
        _ => return None,
    })
}

/// Binance symbols (Coinbase does not list BNB here).
fn binance_price(symbol: &str) -> Option<(&'static str, &'static str)> {
    Some(match symbol {
        "BNBUSDT" => ("399.5", "400.5"),
        _ => return None,
    })
}

/// ECB rates in USD.
fn fx_rate(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "EUR" => "1.08",
        "GBP" => "1.26",
        "CAD" => "0.74",
        _ => return None,
    })
}

fn unix(iso: &str) -> i64 {
    let iso = iso.replace("%3A", ":");
    DateTime::parse_from_rfc3339(&iso).unwrap().timestamp()
}

fn coinbase_candles(
    q: &HashMap<String, String>,
    price: impl Fn(i64) -> Option<(String, String)>,
) -> String {
    let g: i64 = q["granularity"].parse().unwrap();
    let (start, end) = (unix(&q["start"]), unix(&q["end"]));
    let mut out = Vec::new();
    let mut t = end;
    while t >= start {
        if let Some((o, c)) = price(t) {
            out.push(format!("[{t},{o},{c},{o},{c},12.5]"));
        }
        t -= g;
    }
    format!("[{}]", out.join(","))
}

fn binance_klines(
    q: &HashMap<String, String>,
    price: impl Fn(i64) -> Option<(String, String)>,
) -> String {
    let g: i64 = match q["interval"].as_str() {
        "1m" => 60,
        "1h" => 3600,
        _ => 86400,
    };
    let start: i64 = q["startTime"].parse::<i64>().unwrap() / 1000;
    let end: i64 = q["endTime"].parse::<i64>().unwrap() / 1000;
    let mut out = Vec::new();
    let mut t = start;
    while t <= end {
        if let Some((o, c)) = price(t) {
            out.push(format!(
                "[{},\"{o}\",\"{c}\",\"{o}\",\"{c}\",\"1.5\",{},\"0\",3,\"0\",\"0\",\"0\"]",
                t * 1000,
                (t + g) * 1000 - 1
            ));
        }
        t += g;
    }
    format!("[{}]", out.join(","))
}

fn fx_series(path: &str, q: &HashMap<String, String>) -> Reply {
    let range = path.trim_start_matches("/fx/");
    let (a, b) = range.split_once("..").unwrap();
    let Some(rate) = fx_rate(&q["base"]) else {
        return Reply::Json(404, r#"{"message":"not found"}"#.into());
    };
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let (mut d, end) = (day(a), day(b));
    let mut rates = Vec::new();
    while d <= end {
        use chrono::Datelike;
        if d.weekday().number_from_monday() <= 5 {
            rates.push(format!("\"{d}\":{{\"USD\":{rate}}}"));
        }
        d = d.succ_opt().unwrap();
    }
    Reply::Json(
        200,
        format!(
            "{{\"amount\":1.0,\"base\":\"{}\",\"start_date\":\"{a}\",\"end_date\":\"{b}\",\"rates\":{{{}}}}}",
            q["base"],
            rates.join(",")
        ),
    )
}

/// The market every provider answers from: Coinbase under /cb, Binance under
/// /bn, Frankfurter under /fx.
fn market(path: &str, q: &HashMap<String, String>) -> Reply {
    if let Some(rest) = path.strip_prefix("/cb/products/") {
        let product = rest.split('/').next().unwrap_or("");
        return match coinbase_price(product) {
            Some((o, c)) => Reply::Json(
                200,
                coinbase_candles(q, |_| Some((o.to_string(), c.to_string()))),
            ),
            None => Reply::Json(404, r#"{"message":"NotFound"}"#.into()),
        };
    }
    if path == "/bn/api/v3/klines" {
        return match binance_price(&q["symbol"]) {
            Some((o, c)) => Reply::Json(
                200,
                binance_klines(q, |_| Some((o.to_string(), c.to_string()))),
            ),
            None => Reply::Json(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#.into()),
        };
    }
    if path.starts_with("/fx/") {
        return fx_series(path, q);
    }
    Reply::Json(404, "{}".into())
}

fn serve_market() -> Server {
    Server::start(Arc::new(|p: &str, q: &HashMap<String, String>, _| {
        market(p, q)
    }))
}

// ---------------------------------------------------------------- the library

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn options(url: &str, cache: &Path) -> Options {
    Options {
        granularity: Granularity::Hour,
        sources: vec![Provider::Coinbase, Provider::Binance],
        symbols: Vec::new(),
        coingecko_key: None,
        urls: [
            format!("{url}/cb"),
            format!("{url}/bn"),
            format!("{url}/fx"),
            format!("{url}/cg"),
        ],
        overridden: [true; 4],
        cache: Cache::new(cache.to_path_buf()),
        offline: false,
        http: HttpOptions {
            timeout: Duration::from_secs(2),
            retries: 2,
            backoff: Duration::from_millis(10),
        },
        parallel: 4,
        now: t("2026-01-01T00:00:00Z"),
    }
}

fn need(asset: &str, time: &str) -> Need {
    Need {
        assets: vec![asset.to_string()],
        time: t(time),
        why: Why::Rows {
            first: vec!["l.csv:2 (id r)".into()],
            count: 1,
        },
    }
}

fn run(needs: &[Need], o: &Options) -> fetch::Report {
    fetch::fetch(needs, o, &|_, _| {}).unwrap()
}

/// Coinbase's documented 429: back off and try again; the answer after it
/// is used (two requests).
#[test]
fn a_429_is_retried_and_the_next_answer_used() {
    let s = Server::start(Arc::new(|p: &str, q: &HashMap<String, String>, n| {
        if p.starts_with("/cb/") && n == 0 {
            Reply::RetryAfter(429, 0, r#"{"message":"Public rate limit exceeded"}"#.into())
        } else {
            market(p, q)
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &[need("BTC", "2024-02-10T13:30:00Z")],
        &options(&s.url, dir.path()),
    );
    assert_eq!(r.found.len(), 1, "{:?}", r.problems);
    // (63,990 + 64,010) / 2
    assert_eq!(r.found[0].price.to_string(), "64000");
    assert_eq!(r.found[0].source, "coinbase BTC-USD");
    assert_eq!(r.found[0].granularity, Granularity::Hour);
    assert_eq!(s.count("/cb/"), 2);
    assert_eq!(r.requests[Provider::Coinbase as usize], 2);
}

/// A provider that answers 500 after the retries, or not at all within the
/// timeout, or with JSON that cannot be read, leaves the asset to the next
/// source; nothing of it is cached.
#[test]
fn a_failing_provider_leaves_the_asset_to_the_next_source() {
    for (what, reply) in [("500", 0), ("timeout", 1), ("malformed", 2)] {
        let s = Server::start(Arc::new(move |p: &str, q: &HashMap<String, String>, _| {
            if p.starts_with("/cb/") {
                return match reply {
                    0 => Reply::Json(500, r#"{"message":"Internal Server Error"}"#.into()),
                    1 => Reply::Hang(Duration::from_secs(4)),
                    _ => Reply::Json(200, "[[1704070800,1,2,".into()),
                };
            }
            if p == "/bn/api/v3/klines" && q["symbol"] == "BTCUSDT" {
                return Reply::Json(
                    200,
                    binance_klines(q, |_| Some(("64100".into(), "64102".into()))),
                );
            }
            market(p, q)
        }));
        let dir = tempfile::tempdir().unwrap();
        let mut o = options(&s.url, dir.path());
        o.http.timeout = Duration::from_secs(1);
        if reply == 1 {
            o.http.retries = 0;
        }
        let needs = [need("BTC", "2024-02-10T13:30:00Z")];
        let r = run(&needs, &o);
        assert_eq!(r.found.len(), 1, "{what}: {:?}", r.problems);
        assert_eq!(r.found[0].source, "binance BTCUSDT", "{what}");
        assert_eq!(r.found[0].price.to_string(), "64101", "{what}");
        let tries = match reply {
            0 => 3,
            1 => 1,
            _ => 1,
        };
        assert_eq!(s.count("/cb/"), tries, "{what}: {:?}", s.hits());
        // Again: the failure was not cached, Binance's answer was.
        let r = run(&needs, &o);
        assert_eq!(r.found.len(), 1, "{what}");
        assert_eq!(s.count("/cb/"), 2 * tries, "{what}");
        assert_eq!(s.count("/bn/"), 1, "{what}");
    }
}

/// Every source failing: the problem names the provider and its reason.
#[test]
fn when_no_source_answers_the_problem_names_the_providers() {
    let s = Server::start(Arc::new(|_: &str, _: &HashMap<String, String>, _| {
        Reply::Json(503, "{}".into())
    }));
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&s.url, dir.path());
    o.http.retries = 1;
    let r = run(&[need("BTC", "2024-02-10T13:30:00Z")], &o);
    assert!(r.found.is_empty());
    match &r.problems[..] {
        [Problem::Failed { asset, reasons, .. }] => {
            assert_eq!(asset, "BTC");
            assert!(
                reasons[0].starts_with("coinbase BTC-USD: HTTP 503 (2 tries)"),
                "{reasons:?}"
            );
            assert!(
                reasons[1].starts_with("binance BTCUSDT: HTTP 503"),
                "{reasons:?}"
            );
        }
        p => panic!("{p:?}"),
    }
}

/// An empty candle list (no trades in the window): the rule takes the next
/// coarser size, and says so in the granularity.
#[test]
fn an_empty_candle_list_falls_back_to_a_coarser_candle() {
    let s = Server::start(Arc::new(|p: &str, q: &HashMap<String, String>, _| {
        if p.starts_with("/cb/") && q["granularity"] == "3600" {
            return Reply::Json(200, "[]".into());
        }
        market(p, q)
    }));
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &[need("ETH", "2024-02-10T13:30:00Z")],
        &options(&s.url, dir.path()),
    );
    assert_eq!(r.found[0].price.to_string(), "2500");
    assert_eq!(r.found[0].granularity, Granularity::Day);
    // 13:30 is the 25th hour of its window (2024-02-09T12:00Z + 300 hours),
    // so the look-back stays inside it: one hour window, then one day window.
    assert_eq!(
        s.hits(),
        [
            "/cb/products/ETH-USD/candles?granularity=3600&start=2024-02-09T12:00:00Z&end=2024-02-21T23:00:00Z",
            "/cb/products/ETH-USD/candles?granularity=86400&start=2023-05-23T00:00:00Z&end=2024-03-17T00:00:00Z",
        ]
    );
}

/// The rule's distance: a candle 20 hours back stands for the time (and the
/// source says which candle); one 30 hours back is refused, and the day
/// candle is taken instead.
#[test]
fn a_price_outside_the_rules_distance_is_refused() {
    let at = unix("2024-02-10T13:30:00Z");
    let s = Server::start(Arc::new(move |p: &str, q: &HashMap<String, String>, _| {
        if p.starts_with("/cb/") && q["granularity"] == "3600" {
            let back: i64 = if p.contains("ETH") { 30 } else { 20 };
            let only = (at / 3600 - back) * 3600;
            return Reply::Json(
                200,
                coinbase_candles(q, |t| (t == only).then(|| ("10".into(), "12".into()))),
            );
        }
        market(p, q)
    }));
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &[
            need("ETH", "2024-02-10T13:30:00Z"),
            need("BTC", "2024-02-10T13:30:00Z"),
        ],
        &options(&s.url, dir.path()),
    );
    let by: HashMap<&str, &fetch::Found> = r.found.iter().map(|f| (f.asset.as_str(), f)).collect();
    assert_eq!(by["ETH"].price.to_string(), "2500");
    assert_eq!(by["ETH"].granularity, Granularity::Day);
    assert_eq!(by["BTC"].price.to_string(), "11");
    assert_eq!(by["BTC"].granularity, Granularity::Hour);
    assert_eq!(
        by["BTC"].source,
        "coinbase BTC-USD candle 2024-02-09T17:00:00Z"
    );
}

/// An unknown product (Coinbase 404, Binance -1121) is reported once with
/// the rows that need it, after the rest was fetched; an asset Coinbase does
/// not list comes from Binance (in USDT). The answers, "not listed"
/// included, are cached: a second run makes no request at all.
#[test]
fn an_unknown_product_is_reported_once_and_the_rest_fetched() {
    let s = serve_market();
    let dir = tempfile::tempdir().unwrap();
    let o = options(&s.url, dir.path());
    let mut needs = vec![
        need("XYZ", "2024-02-10T13:30:00Z"),
        need("XYZ", "2024-03-10T13:30:00Z"),
        need("BNB", "2024-02-10T13:30:00Z"),
    ];
    needs[1].why = Why::Rows {
        first: vec!["l.csv:3 (id s)".into()],
        count: 1,
    };
    let r = run(&needs, &o);
    assert_eq!(r.found.len(), 1);
    assert_eq!(r.found[0].source, "binance BNBUSDT");
    assert_eq!(r.found[0].price.to_string(), "400");
    assert_eq!(
        r.problems,
        [Problem::Unknown {
            asset: "XYZ".into(),
            tried: vec!["coinbase XYZ-USD".into(), "binance XYZUSDT".into()],
            rows: vec!["l.csv:2 (id r)".into(), "l.csv:3 (id s)".into()],
            count: 2,
            holding: false,
        }]
    );
    let before = s.hits().len();
    // XYZ-USD and BNB-USD once each (not listed), XYZUSDT once, BNBUSDT once.
    assert_eq!(before, 4, "{:?}", s.hits());
    let again = run(&needs, &o);
    assert_eq!(s.hits().len(), before);
    assert_eq!(again.found, r.found);
    assert_eq!(again.requests, [0; 4]);
}

/// CoinGecko, with a key and a `[price_symbols]` coin id: the key goes in
/// its header, daily points make day candles (open: the day's point, close:
/// the next day's), and only what is mapped is asked of it.
#[test]
fn coingecko_with_a_key_and_a_coin_id() {
    let s = Server::start(Arc::new(|p: &str, q: &HashMap<String, String>, _| {
        if p == "/cg/coins/bitcoin/market_chart/range" {
            let (from, to): (i64, i64) = (q["from"].parse().unwrap(), q["to"].parse().unwrap());
            let points: Vec<String> = (from / 86400..to / 86400)
                .map(|d| format!("[{},{}.5]", d * 86400 * 1000, 40000 + d % 7))
                .collect();
            return Reply::Json(
                200,
                format!(
                    "{{\"prices\":[{}],\"market_caps\":[],\"total_volumes\":[]}}",
                    points.join(",")
                ),
            );
        }
        market(p, q)
    }));
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&s.url, dir.path());
    o.granularity = Granularity::Day;
    o.sources = vec![Provider::CoinGecko];
    o.coingecko_key = Some("test-key".into());
    o.symbols = vec![("BTC".into(), Provider::CoinGecko, "bitcoin".into())];
    let r = run(
        &[
            need("BTC", "2024-02-10T13:30:00Z"),
            need("ETH", "2024-02-10T13:30:00Z"),
        ],
        &o,
    );
    // 2024-02-10 is day 19763: 19763 % 7 = 2, the next day 3: (40002.5 + 40003.5) / 2.
    assert_eq!(r.found.len(), 1, "{:?}", r.problems);
    assert_eq!(r.found[0].price.to_string(), "40003");
    assert_eq!(r.found[0].source, "coingecko bitcoin");
    assert!(
        s.heads.lock().unwrap()[0]
            .to_ascii_lowercase()
            .contains("\r\nx-cg-demo-api-key: test-key\r\n"),
        "{:?}",
        s.heads.lock().unwrap()
    );
    // ETH is not mapped: CoinGecko is not asked for it.
    assert_eq!(s.hits().len(), 1, "{:?}", s.hits());
    assert!(matches!(&r.problems[..], [Problem::Unknown { asset, .. }] if asset == "ETH"));
}

/// What leaves the machine is the product and the window, and nothing of the
/// ledger: no quantity, account or id in any request.
#[test]
fn requests_carry_symbols_and_times_only() {
    let s = serve_market();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.csv");
    std::fs::write(
        &ledger,
        "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n\
         secret-id-1,2024-02-10T13:30:00Z,my-secret-wallet,income,,,123.456789,ETH,,,,,0xsecrettx,secret note\n\
         secret-id-2,2024-02-12T10:00:00Z,my-secret-wallet,buy,987.65,EUR,0.5,ETH,,,,,,\n",
    )
    .unwrap();
    let out = dir.path().join("p.csv");
    let o = harvest(
        &s,
        &dir.path().join("c"),
        &[
            "prices",
            ledger.to_str().unwrap(),
            "--as-of",
            "2024-12-31",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let heads = s.heads.lock().unwrap().join("\n");
    assert!(!heads.is_empty());
    for secret in ["secret", "123.456789", "987.65", "0.5", "l.csv", "wallet"] {
        assert!(
            !heads.contains(secret),
            "{secret} left the machine:\n{heads}"
        );
    }
}

/// `harvest config` shows the sources and the symbols, and whether a
/// CoinGecko key is set, never the key.
#[test]
fn config_shows_the_price_keys_but_not_the_key() {
    let s = serve_market();
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("h.toml");
    std::fs::write(
        &toml,
        "price_sources = [\"binance\", \"coinbase\"]\ncoingecko_api_key = \"sekrit\"\n[price_symbols]\nMYTOKEN = \"coinbase:XYZ-USD\"\n",
    )
    .unwrap();
    let o = harvest(
        &s,
        dir.path(),
        &["config", "--config", toml.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("price_sources = [\"binance\", \"coinbase\"]"),
        "{out}"
    );
    assert!(
        out.contains("# coingecko_api_key = (set, not shown)"),
        "{out}"
    );
    assert!(out.contains("[price_symbols]"), "{out}");
    assert!(out.contains("MYTOKEN = \"coinbase:XYZ-USD\""), "{out}");
    assert!(!out.contains("sekrit"), "{out}");
    // A bad source or mapping is a usage error naming it.
    std::fs::write(&toml, "price_sources = [\"kraken\"]\n").unwrap();
    let o = harvest(
        &s,
        dir.path(),
        &[
            "prices",
            "fixtures/example/ledger.csv",
            "--config",
            toml.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("price_sources: \"kraken\" is not a source"),
        "{}",
        text(&o.stderr)
    );
    assert!(s.hits().is_empty());
}

/// A symbol that is no ticker is asked of no one, and reported as listed
/// nowhere.
#[test]
fn a_symbol_that_is_no_ticker_is_not_sent() {
    let s = serve_market();
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &[need("MY TOKEN/2", "2024-02-10T13:30:00Z")],
        &options(&s.url, dir.path()),
    );
    assert!(s.hits().is_empty());
    assert!(
        matches!(&r.problems[..], [Problem::Unknown { asset, tried, .. }] if asset == "MY TOKEN/2" && tried.is_empty()),
        "{:?}",
        r.problems
    );
}

/// Binance's 418 is an IP ban: no retry, and nothing more is asked of
/// Binance in the run.
#[test]
fn binance_418_stops_at_once() {
    let s = Server::start(Arc::new(|p: &str, q: &HashMap<String, String>, _| {
        if p.starts_with("/bn/") {
            return Reply::Json(
                418,
                r#"{"code":-1003,"msg":"Way too many requests; IP banned."}"#.into(),
            );
        }
        if p.starts_with("/cb/") {
            return Reply::Json(404, r#"{"message":"NotFound"}"#.into());
        }
        market(p, q)
    }));
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&s.url, dir.path());
    o.parallel = 1;
    let r = run(
        &[
            need("AAA", "2024-02-10T13:30:00Z"),
            need("BBB", "2024-02-10T13:30:00Z"),
            need("CCC", "2024-02-10T13:30:00Z"),
        ],
        &o,
    );
    assert_eq!(s.count("/bn/"), 1, "{:?}", s.hits());
    assert_eq!(r.problems.len(), 3);
    assert!(
        r.problems.iter().all(|p| matches!(p, Problem::Failed { reasons, .. } if reasons.iter().any(|x| x.contains("HTTP 418")))),
        "{:?}",
        r.problems
    );
    assert!(
        r.notes[0].starts_with("binance answered 418"),
        "{:?}",
        r.notes
    );
}

/// Requests are windows of 300 candles, never one per row: 2,000 times over
/// about two years at day size are the windows that hold them (their number
/// computed here from the epoch-aligned windows), each asked once, each
/// 300 days long.
#[test]
fn requests_are_the_windows_that_hold_a_needed_time() {
    let s = serve_market();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&s.url, dir.path());
    o.granularity = Granularity::Day;
    let start = unix("2023-01-01T00:00:00Z");
    let needs: Vec<Need> = (0..2000)
        .map(|i| {
            let at = DateTime::from_timestamp(start + i * 31_337, 0).unwrap();
            need("SOL", &at.to_rfc3339())
        })
        .collect();
    let r = run(&needs, &o);
    assert_eq!(r.found.len(), 2000);
    let window = 300 * 86400;
    let mut want: Vec<i64> = needs.iter().map(|n| n.time.timestamp() / window).collect();
    want.dedup();
    // Made four at a time: in any order.
    let mut hits = s.hits();
    hits.sort();
    assert_eq!(hits.len(), want.len(), "{hits:?}");
    for (h, w) in hits.iter().zip(&want) {
        let from = DateTime::from_timestamp(w * window, 0).unwrap();
        let to = DateTime::from_timestamp(w * window + 299 * 86400, 0).unwrap();
        let fmt = |d: DateTime<Utc>| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert!(
            h.ends_with(&format!(
                "granularity=86400&start={}&end={}",
                fmt(from),
                fmt(to)
            )),
            "{h}"
        );
    }
}

/// `--offline` in the library: the cache only, no request; what it lacks is
/// named.
#[test]
fn offline_asks_nothing_and_names_what_the_cache_lacks() {
    let s = serve_market();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&s.url, dir.path());
    o.offline = true;
    let r = run(&[need("BTC", "2024-02-10T13:30:00Z")], &o);
    assert!(s.hits().is_empty());
    assert!(
        matches!(&r.problems[..], [Problem::NotCached { asset, .. }] if asset == "BTC"),
        "{:?}",
        r.problems
    );
}

// ---------------------------------------------------------------- the binary

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs harvest with every provider pointed at `server` and the cache in
/// `cache`.
fn harvest(server: &Server, cache: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(root())
        .env("HARVEST_COINBASE_URL", format!("{}/cb", server.url))
        .env("HARVEST_BINANCE_URL", format!("{}/bn", server.url))
        .env("HARVEST_FX_URL", format!("{}/fx", server.url))
        .env("HARVEST_COINGECKO_URL", format!("{}/cg", server.url))
        .env_remove("HARVEST_COINGECKO_API_KEY")
        .env("XDG_CACHE_HOME", cache)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// import -> prices -> report, lots and scan, for a layout (every value
/// filled); the report's CSV.
fn through(server: &Server, dir: &Path, raw: &str, year: &str, as_of: &str) -> String {
    let ledger = dir.join("ledger.csv");
    let prices = dir.join("prices.csv");
    let cache = dir.join("cache");
    let (l, p) = (ledger.to_str().unwrap(), prices.to_str().unwrap());
    let o = harvest(server, &cache, &["import", raw, "-o", l]);
    assert!(o.status.success(), "{raw}: {}", text(&o.stderr));
    let o = harvest(server, &cache, &["prices", l, "--as-of", as_of, "-o", p]);
    assert!(o.status.success(), "{raw}: {}", text(&o.stderr));
    let report = harvest(
        server,
        &cache,
        &[
            "report",
            l,
            "--year",
            year,
            "--prices",
            p,
            "--format",
            "csv",
            "--missing-basis",
            "zero",
        ],
    );
    assert!(report.status.success(), "{raw}: {}", text(&report.stderr));
    assert!(!text(&report.stderr).contains("no USD value"), "{raw}");
    // lots and scan value every holding at the as-of prices.
    let o = harvest(
        server,
        &cache,
        &[
            "lots",
            l,
            "--prices",
            p,
            "--as-of",
            as_of,
            "--format",
            "csv",
            "--missing-basis",
            "zero",
        ],
    );
    assert!(o.status.success(), "{raw}: {}", text(&o.stderr));
    for line in text(&o.stdout).lines().skip(1) {
        assert!(
            !line.ends_with(",,,,"),
            "{raw}: a lot without a price: {line}"
        );
    }
    text(&report.stdout)
}

/// Issue 17, "Done means": each export layout that failed for lack of
/// prices goes import -> prices -> report with every value filled.
///
/// Kraken in EUR, GBP and CAD with a crypto-to-crypto trade, checked by hand
/// (the same arithmetic as tests/import.rs
/// a_raw_export_in_eur_and_crypto_is_reported_with_dated_prices, the server
/// giving those prices: EUR 1.08, ETH (2,490 + 2,510) / 2 = 2,500, GBP 1.26,
/// CAD 0.74, BTC (63,990 + 64,010) / 2 = 64,000):
/// - BTC->ETH: 0.09 ETH x 2,500 = 225 less the withheld fee 225 x 0.0002 /
///   0.09 = 0.50: proceeds 224.50, against 540.864 x 0.005 / 0.0125 =
///   216.3456 (216.35) of the EUR lot ((500 + 0.8) x 1.08): gain 8.15;
/// - the CAD sell: (430 - 0.69) x 0.74 = 317.6894, 0.0898 / 0.1 of it
///   285.29 against 224.50 (gain 60.79), the rest 32.40 against 378.6048 x
///   0.0102 / 0.12 = 32.18 (gain 0.22);
/// - the withdrawal's 0.00001 BTC fee at 64,000 = 0.64, against 0.43.
///
/// Coinbase in EUR: the buy of 0.5 ETH for 1,200 + 17.91 EUR at 1.08 is a
/// lot of 1,315.3428; the sell of 0.1 ETH for 230 - 3.45 EUR at 1.08 has
/// proceeds 244.674 (244.67) against 1,315.3428 x 0.1 / 0.5 = 263.06856
/// (263.07): a loss of 18.40.
#[test]
fn each_layout_goes_import_prices_report() {
    let s = serve_market();
    let dir = tempfile::tempdir().unwrap();
    let k = dir.path().join("kraken");
    std::fs::create_dir(&k).unwrap();
    let report = through(
        &s,
        &k,
        "fixtures/import/kraken-ledgers/eur-gbp-cad-and-crypto-trades-unpriced.csv",
        "2024",
        "2024-12-31",
    );
    assert_eq!(
        report,
        "\
disposal_id,lot_id,asset,quantity,account,date_acquired,date_sold,term,box,description,proceeds,cost_basis,adjustment_code,adjustment,gain
kraken-TQ1AAA-TRD02-BTCETH,kraken-TQ1AAA-TRD01-EURBTC,BTC,0.005,kraken,2024-02-03,2024-02-10,short,C,0.005 BTC,224.50,216.35,,,8.15
kraken-TQ1AAA-TRD04-ETHCAD,kraken-TQ1AAA-TRD02-BTCETH,ETH,0.0898,kraken,2024-02-10,2024-04-05,short,C,0.0898 ETH,285.29,224.50,,,60.79
kraken-TQ1AAA-TRD04-ETHCAD,kraken-TQ1AAA-TRD03-GBPETH,ETH,0.0102,kraken,2024-03-02,2024-04-05,short,C,0.0102 ETH,32.40,32.18,,,0.22
kraken-LQ1AAA-WDR01-BTCAAA,kraken-TQ1AAA-TRD01-EURBTC,BTC,0.00001,kraken,2024-02-03,2024-04-20,short,C,0.00001 BTC,0.64,0.43,,,0.21
"
    );
    let c = dir.path().join("coinbase-eur");
    std::fs::create_dir(&c).unwrap();
    let report = through(
        &s,
        &c,
        "fixtures/import/coinbase/eur-account-unpriced.csv",
        "2024",
        "2024-12-31",
    );
    assert!(
        report.contains("\ncoinbase-66e0a1b2c3d4e5f600000003,coinbase-66e0a1b2c3d4e5f600000002,ETH,0.1,coinbase,2024-08-10,2024-08-20,short,C,0.1 ETH,244.67,263.07,,,-18.40\n"),
        "{report}"
    );
    for (raw, year) in [
        (
            "fixtures/import/kraken-trades/eur-gbp-and-crypto-pairs-unpriced.csv",
            "2025",
        ),
        (
            "fixtures/import/binance/crypto-and-eur-trades-income-unpriced.csv",
            "2022",
        ),
        (
            "fixtures/import/cointracker/eur-crypto-and-income-unpriced.csv",
            "2023",
        ),
        (
            "fixtures/import/coinbase-advanced/pro-fills-eur-and-btc-quote-unpriced.csv",
            "2021",
        ),
        (
            "fixtures/import/coinbase-pro/statement-eur-and-crypto-pair-unpriced.csv",
            "2021",
        ),
        (
            "fixtures/import/coinbase/gbp-v1-header-unpriced.csv",
            "2020",
        ),
        (
            "fixtures/import/coinbase/cad-v2-spot-price-currency-unpriced.csv",
            "2021",
        ),
    ] {
        let d = dir.path().join(raw.replace('/', "_"));
        std::fs::create_dir(&d).unwrap();
        let report = through(&s, &d, raw, year, &format!("{year}-12-31"));
        assert!(report.lines().count() > 1, "{raw}: {report}");
    }
}

/// The cache: a second run makes no request at all, and `--offline` makes
/// none and writes the same file; `--offline` with an empty cache names
/// what is missing, exits 1 and writes no file.
#[test]
fn a_second_run_is_offline() {
    let s = serve_market();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let raw = "fixtures/import/kraken-ledgers/eur-gbp-cad-and-crypto-trades-unpriced.csv";
    let p1 = dir.path().join("p1.csv");
    let p2 = dir.path().join("p2.csv");
    let p3 = dir.path().join("p3.csv");
    let args = |p: &Path| -> Vec<String> {
        ["prices", raw, "--as-of", "2024-12-31", "--cache"]
            .iter()
            .map(|x| x.to_string())
            .chain([
                cache.display().to_string(),
                "-o".into(),
                p.display().to_string(),
            ])
            .collect()
    };
    let run = |p: &Path, extra: &[&str]| {
        let mut a = args(p);
        a.extend(extra.iter().map(|x| x.to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        harvest(&s, &dir.path().join("unused"), &a)
    };
    let o = run(&p1, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let first = s.hits().len();
    assert!(first > 0);
    assert!(
        text(&o.stderr).contains(&format!("; {first} requests (")),
        "{}",
        text(&o.stderr)
    );
    let o = run(&p2, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(s.hits().len(), first, "the second run asked again");
    assert!(
        text(&o.stderr).contains("; 0 requests, "),
        "{}",
        text(&o.stderr)
    );
    let o = run(&p3, &["--offline"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(s.hits().len(), first);
    let f1 = std::fs::read_to_string(&p1).unwrap();
    assert_eq!(f1, std::fs::read_to_string(&p2).unwrap());
    assert_eq!(f1, std::fs::read_to_string(&p3).unwrap());
    assert!(f1.starts_with("time,asset,price,source,granularity\n2024-02-03T10:15:30Z,EUR,1.08,frankfurter EUR 2024-02-02,day\n"), "{f1}");
    assert!(
        f1.contains("\n2024-02-10T14:00:00Z,ETH,2500,coinbase ETH-USD,hour\n"),
        "{f1}"
    );
    // --offline with nothing cached: named, exit 1, no file.
    let empty = dir.path().join("empty");
    let p4 = dir.path().join("p4.csv");
    let o = harvest(
        &s,
        &empty,
        &["prices", raw, "--offline", "-o", p4.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(e.contains("harvest: error: EUR: 1 price (the first at 2024-02-03T10:15:30Z) not in the cache (frankfurter EUR); run without --offline"), "{e}");
    assert!(e.contains("nothing written"), "{e}");
    assert!(!p4.exists());
    assert_eq!(s.hits().len(), first);
}

/// A run that cannot find everything writes nothing: no new file, and an
/// existing one untouched (-o is atomic); the unknown symbol is named with
/// its rows and the way out.
#[test]
fn a_failed_run_leaves_no_partial_file() {
    let s = serve_market();
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.csv");
    std::fs::write(
        &ledger,
        "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n\
         a,2024-02-10T13:30:00Z,k,buy,100,USD,1,ETH,,,,,,\n\
         b,2024-02-11T13:30:00Z,k,trade,0.5,ETH,1000,MYTOKEN,,,,,,\n",
    )
    .unwrap();
    let out = dir.path().join("prices.csv");
    let l = ledger.to_str().unwrap();
    let o = harvest(
        &s,
        &dir.path().join("c"),
        &["prices", l, "-o", out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
    let e = text(&o.stderr);
    // The trade is valued by MYTOKEN, else by ETH, which the server has.
    assert!(!e.contains("l.csv:3"), "{e}");
    // Held at the end: MYTOKEN, which no source lists.
    assert!(e.contains("no source lists MYTOKEN (asked coinbase MYTOKEN-USD, binance MYTOKENUSDT); needed by the holdings at --as-of. Add a row by hand to"), "{e}");
    assert!(
        e.contains("[price_symbols] MYTOKEN = \"coinbase:XYZ-USD\""),
        "{e}"
    );
    std::fs::write(&out, "time,asset,price\n2024-01-01,BTC,40000\n").unwrap();
    let o = harvest(
        &s,
        &dir.path().join("c"),
        &["prices", l, "-o", out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "time,asset,price\n2024-01-01,BTC,40000\n"
    );
    // A manual row covers it: the file is written, the rows it had kept.
    std::fs::write(
        &out,
        "time,asset,price,source,granularity\n2024-01-01,BTC,40000,,\n2024-02-11T13:30:00Z,ETH,1999,my notes,manual\n2024-12-31,MYTOKEN,0.5,,manual\n",
    )
    .unwrap();
    let o = harvest(
        &s,
        &dir.path().join("c"),
        &[
            "prices",
            l,
            "--as-of",
            "2024-12-31",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let f = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        f,
        "time,asset,price,source,granularity\n\
         2024-01-01,BTC,40000,,\n\
         2024-02-11T13:30:00Z,ETH,1999,my notes,manual\n\
         2024-12-31,MYTOKEN,0.5,,manual\n\
         2024-12-31T23:59:59Z,ETH,2500,coinbase ETH-USD,hour\n",
        "{f}"
    );
}

/// On a terminal, a progress bar over the requests (script(1) makes the
/// pseudo-terminal; the test is skipped without it); none with --quiet.
#[test]
fn a_progress_bar_on_a_terminal() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: script(1) is not installed");
        return;
    }
    let s = serve_market();
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = String::from(
        "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n",
    );
    for m in 1..=9 {
        ledger.push_str(&format!(
            "r{m},2024-0{m}-10T13:30:00Z,k,income,,,1,BTC,,,,,,\n"
        ));
    }
    std::fs::write(dir.path().join("l.csv"), ledger).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("harvest");
    let tty = |extra: &str, cache: &str| {
        let o = std::process::Command::new("script")
            .current_dir(dir.path())
            .env("HARVEST_COINBASE_URL", format!("{}/cb", s.url))
            .env("HARVEST_BINANCE_URL", format!("{}/bn", s.url))
            .env("HARVEST_FX_URL", format!("{}/fx", s.url))
            .env("HARVEST_COINGECKO_URL", format!("{}/cg", s.url))
            .args([
                "-qec",
                &format!(
                    "{} prices l.csv --as-of 2024-12-31 --cache {cache} -o p.csv {extra}",
                    bin.display()
                ),
                "/dev/null",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stdout));
        text(&o.stdout)
    };
    let shown = tty("", "c1");
    assert!(shown.contains("fetching prices"), "{shown}");
    assert!(shown.contains("requests"), "{shown}");
    let quiet = tty("--quiet", "c2");
    assert!(!quiet.contains("fetching prices"), "{quiet}");
}

/// A token import wrote under its contract (`PEPE-698250 = ethereum token
/// 0x6982… (Pepe)` in the note) is asked of CoinGecko by that contract (the
/// "by token address" chart), with a key, and of no exchange: its symbol
/// names no market there.
#[test]
fn an_on_chain_token_is_priced_by_its_contract() {
    const PATH: &str =
        "/cg/coins/ethereum/contract/0x6982508145454ce325ddbe47a25d4ec3d2311933/market_chart/range";
    let s = Server::start(Arc::new(|p: &str, q: &HashMap<String, String>, _| {
        if p == PATH {
            let (from, to): (i64, i64) = (q["from"].parse().unwrap(), q["to"].parse().unwrap());
            let points: Vec<String> = (from / 86400..to / 86400)
                .map(|d| format!("[{},0.0000{}]", d * 86400 * 1000, 10 + d % 7))
                .collect();
            return Reply::Json(
                200,
                format!(
                    "{{\"prices\":[{}],\"market_caps\":[],\"total_volumes\":[]}}",
                    points.join(",")
                ),
            );
        }
        market(p, q)
    }));
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.csv");
    std::fs::write(
        &ledger,
        "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n\
         evm-1,2025-02-22T01:02:03Z,metamask,deposit,,,12000000,PEPE-698250,,,,,0xab,from 0x2b8e6f1d4a3c5e7f9a1b3c5d7e9f1a3b5c7d9e1f; PEPE-698250 = ethereum token 0x6982508145454ce325ddbe47a25d4ec3d2311933 (Pepe)\n",
    )
    .unwrap();
    let toml = dir.path().join("h.toml");
    std::fs::write(&toml, "coingecko_api_key = \"test-key\"\n").unwrap();
    let out = dir.path().join("p.csv");
    let o = harvest(
        &s,
        &dir.path().join("c"),
        &[
            "prices",
            ledger.to_str().unwrap(),
            "--config",
            toml.to_str().unwrap(),
            "--granularity",
            "day",
            "--as-of",
            "2025-02-28",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let prices = std::fs::read_to_string(&out).unwrap();
    assert!(
        prices.contains(
            // 2025-02-28 is day 20147: 20147 % 7 = 1, the next day 2: (0.000011 + 0.000012) / 2.
            "2025-02-28T23:59:59Z,PEPE-698250,0.0000115,coingecko ethereum/contract/0x6982508145454ce325ddbe47a25d4ec3d2311933,day\n"
        ),
        "{prices}"
    );
    // Only CoinGecko's contract chart was asked for the token.
    let hits = s.hits();
    assert!(
        hits.iter()
            .all(|h| h.contains("/cg/") || !h.contains("PEPE")),
        "{hits:?}"
    );
    assert!(hits.iter().any(|h| h.contains(PATH)), "{hits:?}");
}
