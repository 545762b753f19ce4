//! The plan of requests, and the prices found.
//!
//! Each needed price is looked for source by source (a `[price_symbols]`
//! mapping, else ECB rates for money other than USD, else the crypto sources
//! in order), at the chosen granularity, by windows of 300 candles: the
//! requests for one asset are the windows that hold a needed time, plus, now
//! and then, the window before one (when the look-back of the candle rule
//! crosses into it) and the windows of a coarser size (when no candle is near
//! enough). Requests run in rounds, a few at a time; answers are cached, and
//! the cache is asked first.
//!
//! A provider that fails (5xx after the retries, a timeout, an answer that
//! cannot be read, a ban) leaves its assets to the next source; a product no
//! source lists is reported once with the rows that need it, after everything
//! else was fetched and cached.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::cache::Hit;
use super::candle::{self, Candle};
use super::http::{Answer, Http};
use super::{
    FetchError, Granularity, Need, Options, Provider, Why, binance, coinbase, coingecko,
    frankfurter, rfc3339,
};
use crate::model::FIAT;

/// A price found for a need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The asset priced (the need's, or its alternative).
    pub asset: String,
    pub time: DateTime<Utc>,
    pub price: Decimal,
    /// The provider and product, and the candle when it does not contain the
    /// time: `coinbase BTC-USD`, `coinbase XYZ-USD candle 2024-03-01T07:00:00Z`.
    pub source: String,
    pub granularity: Granularity,
}

/// A price that could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No source lists the asset: `tried` says what was asked (`coinbase
    /// XYZ-USD`, ...).
    Unknown {
        asset: String,
        tried: Vec<String>,
        rows: Vec<String>,
        count: usize,
        holding: bool,
    },
    /// Sources failed for it (the reasons, per provider).
    Failed {
        asset: String,
        times: usize,
        reasons: Vec<String>,
    },
    /// `--offline`, and the cache lacks it.
    NotCached {
        asset: String,
        first: DateTime<Utc>,
        times: usize,
        wanted: Vec<String>,
    },
    /// Listed, but no candle near enough to the time (the rule's distance).
    NoPrice {
        asset: String,
        first: DateTime<Utc>,
        times: usize,
        tried: Vec<String>,
    },
}

/// What a run found, and what it cost.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub found: Vec<Found>,
    pub problems: Vec<Problem>,
    /// Requests made per provider (each try counts), in [`Provider::ALL`] order.
    pub requests: [usize; 4],
    /// Windows read from the cache.
    pub cached: usize,
    /// Providers whose prices were used.
    pub used: BTreeSet<Provider>,
    /// Things to say (a ban, a cache that could not be written).
    pub notes: Vec<String>,
}

/// A series of candles: a provider's product at a size.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Series {
    provider: Provider,
    product: String,
    g: Granularity,
}

/// What a window of a series gave.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Window {
    Candles,
    Unknown,
    Failed(String),
    NotCached,
}

/// How far one need got.
struct Attempt {
    alt: usize,
    src: usize,
    g: Granularity,
    /// Per alternative: (`provider product`, what it said).
    tried: Vec<Vec<(String, Window)>>,
    done: bool,
    found: bool,
}

/// What the search for a need does next.
enum Step {
    Wait(Series, i64),
    Found(Found),
    Next(String, Window),
    Coarser(Granularity),
}

struct State<'o> {
    opts: &'o Options,
    candles: HashMap<Series, BTreeMap<i64, Candle>>,
    windows: HashMap<(Series, i64), Window>,
    /// Products a provider answered for (listed) or said it does not list.
    listed: HashMap<(Provider, String), bool>,
    /// The first of `opts.symbols` for each asset, by its name in upper case.
    symbol_of: HashMap<String, usize>,
}

impl State<'_> {
    /// The sources for `asset`, with their products.
    fn sources(&self, asset: &str) -> Vec<(Provider, String)> {
        let mapped = (self.symbol_of.get(&asset.to_ascii_uppercase()))
            .and_then(|&i| self.opts.symbols.get(i));
        if let Some((_, p, product)) = mapped {
            return vec![(*p, product.clone())];
        }
        // A symbol that is no ticker (a space, a slash, ...) is asked of no
        // one: only symbols that read as such leave the machine.
        if asset.is_empty()
            || !asset
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-')
        {
            return Vec::new();
        }
        if FIAT.iter().any(|f| f.eq_ignore_ascii_case(asset)) {
            return vec![(Provider::Frankfurter, asset.to_ascii_uppercase())];
        }
        self.opts
            .sources
            .iter()
            .filter_map(|&p| p.product(asset).map(|x| (p, x)))
            .collect()
    }

    /// The size `p` serves for the chosen one.
    fn size(p: Provider, g: Granularity) -> Granularity {
        match p {
            Provider::Frankfurter => Granularity::Day,
            Provider::CoinGecko => coingecko::granularity(g),
            _ => g,
        }
    }

    /// The next step for `need` at `a`.
    fn step(&self, need: &Need, a: &Attempt, sources: &[(Provider, String)]) -> Step {
        let asset = &need.assets[a.alt];
        let (p, product) = &sources[a.src];
        let series = Series {
            provider: *p,
            product: product.clone(),
            g: a.g,
        };
        let label = format!("{} {product}", p.name());
        if self.listed.get(&(*p, product.clone())) == Some(&false) {
            return Step::Next(label, Window::Unknown);
        }
        let t = need.time.timestamp();
        let w = candle::window_of(t, a.g);
        match self.windows.get(&(series.clone(), w)) {
            None => return Step::Wait(series, w),
            Some(Window::Candles) => {}
            Some(other) => return Step::Next(label, other.clone()),
        }
        let empty = BTreeMap::new();
        let candles = self.candles.get(&series).unwrap_or(&empty);
        let start = candle::candle_start(t, a.g);
        let near = candles
            .range(start - candle::LOOKBACK * a.g.seconds()..=start)
            .next_back()
            .is_some();
        if !near
            && candle::looks_into_previous_window(t, a.g)
            && !self.windows.contains_key(&(series.clone(), w - 1))
        {
            return Step::Wait(series, w - 1);
        }
        if let Some(c) = candle::pick(candles, t, a.g)
            && let Some(price) = c.mean()
        {
            let mut source = label;
            if *p == Provider::Frankfurter {
                source.push_str(&format!(
                    " {}",
                    DateTime::from_timestamp(c.start, 0)
                        .unwrap_or_default()
                        .format("%Y-%m-%d")
                ));
            } else if c.start != start {
                source.push_str(&format!(" candle {}", rfc3339(c.start)));
            }
            return Step::Found(Found {
                asset: asset.clone(),
                time: need.time,
                price,
                source,
                granularity: a.g,
            });
        }
        match a.g.coarser().filter(|_| *p != Provider::Frankfurter) {
            Some(g) => Step::Coarser(g),
            None => Step::Next(label, Window::Failed(String::new())),
        }
    }
}

/// The URL and the header of a window's request.
fn request(opts: &Options, s: &Series, w: i64) -> (String, Option<(&'static str, String)>) {
    let base = opts.url(s.provider);
    match s.provider {
        Provider::Coinbase => (coinbase::url(base, &s.product, s.g, w), None),
        Provider::Binance => (binance::url(base, &s.product, s.g, w), None),
        Provider::Frankfurter => (
            frankfurter::url(base, &s.product, w, opts.now.date_naive()),
            None,
        ),
        Provider::CoinGecko => (
            coingecko::url(base, &s.product, s.g, w),
            opts.coingecko_key
                .as_ref()
                .map(|k| (coingecko::key_header(base), k.clone())),
        ),
    }
}

fn parse(s: &Series, body: &[u8]) -> Result<Vec<Candle>, String> {
    match s.provider {
        Provider::Coinbase => coinbase::parse(body),
        Provider::Binance => binance::parse(body),
        Provider::Frankfurter => frankfurter::parse(body),
        Provider::CoinGecko => coingecko::parse(body, s.g),
    }
}

fn unknown(p: Provider, status: u16, body: &[u8]) -> bool {
    match p {
        Provider::Coinbase => coinbase::unknown(status, body),
        Provider::Binance => binance::unknown(status, body),
        Provider::Frankfurter => frankfurter::unknown(status, body),
        Provider::CoinGecko => coingecko::unknown(status, body),
    }
}

/// Finds the prices of `needs` (see the module's documentation). `progress`
/// is told (requests done, requests planned) as requests end.
pub fn fetch(
    needs: &[Need],
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report, FetchError> {
    for p in Provider::ALL {
        super::http::check_base(p, opts.url(p), opts.overridden[p as usize])?;
    }
    let http = Http::new(opts.http.clone());
    let mut st = State {
        opts,
        candles: HashMap::new(),
        windows: HashMap::new(),
        listed: HashMap::new(),
        symbol_of: HashMap::new(),
    };
    for (i, (a, _, _)) in opts.symbols.iter().enumerate() {
        st.symbol_of.entry(a.to_ascii_uppercase()).or_insert(i);
    }
    let mut report = Report::default();
    let mut sources_of: HashMap<String, Vec<(Provider, String)>> = HashMap::new();
    for n in needs {
        for a in &n.assets {
            sources_of.entry(a.clone()).or_insert_with(|| st.sources(a));
        }
    }
    let first_g = |sources: &[(Provider, String)], src: usize| {
        sources
            .get(src)
            .map_or(opts.granularity, |(p, _)| State::size(*p, opts.granularity))
    };
    let mut attempts: Vec<Attempt> = needs
        .iter()
        .map(|n| Attempt {
            alt: 0,
            src: 0,
            g: n.assets
                .first()
                .map_or(opts.granularity, |a| first_g(&sources_of[a], 0)),
            tried: vec![Vec::new(); n.assets.len()],
            // A need of no asset has nothing to find.
            done: n.assets.is_empty(),
            found: n.assets.is_empty(),
        })
        .collect();
    let (mut done_requests, mut planned) = (0usize, 0usize);
    loop {
        let mut wanted: BTreeSet<(Series, i64)> = BTreeSet::new();
        for (n, a) in needs.iter().zip(attempts.iter_mut()) {
            while !a.done {
                let sources = &sources_of[&n.assets[a.alt]];
                if a.src >= sources.len() {
                    if a.alt + 1 < n.assets.len() {
                        a.alt += 1;
                        a.src = 0;
                        a.g = first_g(&sources_of[&n.assets[a.alt]], 0);
                        continue;
                    }
                    a.done = true;
                    break;
                }
                match st.step(n, a, sources) {
                    Step::Wait(s, w) => {
                        wanted.insert((s, w));
                        break;
                    }
                    Step::Found(f) => {
                        report.used.insert(sources[a.src].0);
                        report.found.push(f);
                        a.done = true;
                        a.found = true;
                    }
                    Step::Coarser(g) => a.g = g,
                    Step::Next(label, why) => {
                        a.tried[a.alt].push((label, why));
                        a.src += 1;
                        a.g = first_g(sources, a.src);
                    }
                }
            }
        }
        if wanted.is_empty() {
            break;
        }
        // A product not known to be listed is asked one window first: a
        // product no one lists costs one request per provider, not one per
        // window.
        let mut probing: BTreeSet<(Provider, String)> = BTreeSet::new();
        wanted.retain(|(s, _)| {
            let key = (s.provider, s.product.clone());
            st.listed.contains_key(&key) || probing.insert(key)
        });
        // The cache first; then the network, a few at a time.
        let mut queue: Vec<(Series, i64)> = Vec::new();
        for (s, w) in wanted {
            let start = candle::window_start(w, s.g);
            let end = start + candle::WINDOW * s.g.seconds();
            let finished = end + s.g.seconds().max(3600) <= opts.now.timestamp();
            let hit = opts
                .cache
                .get(s.provider, &s.product, s.g, start, finished, opts.offline);
            let state = match hit {
                Some(Hit::Unknown) => Some(Window::Unknown),
                Some(Hit::Body(b)) => match parse(&s, &b) {
                    Ok(c) => {
                        st.candles
                            .entry(s.clone())
                            .or_default()
                            .extend(c.into_iter().map(|c| (c.start, c)));
                        Some(Window::Candles)
                    }
                    Err(_) => None,
                },
                None => None,
            };
            match state {
                Some(x) => {
                    report.cached += 1;
                    st.listed
                        .insert((s.provider, s.product.clone()), x != Window::Unknown);
                    st.windows.insert((s, w), x);
                }
                None if opts.offline => {
                    st.windows.insert((s, w), Window::NotCached);
                }
                None if http.banned(s.provider) => {
                    let why = Window::Failed(banned_reason(s.provider));
                    st.windows.insert((s, w), why);
                }
                None => queue.push((s, w)),
            }
        }
        if queue.is_empty() {
            continue;
        }
        planned += queue.len();
        progress(done_requests, planned);
        let answers = run_queue(&http, opts, &queue, &|k| {
            progress(done_requests + k, planned)
        });
        done_requests += queue.len();
        for ((s, w), answer) in queue.into_iter().zip(answers) {
            let start = candle::window_start(w, s.g);
            let state = match answer {
                Answer::Body(b) => match parse(&s, &b) {
                    Ok(c) => {
                        if let Err(e) = opts.cache.put(s.provider, &s.product, s.g, start, &b) {
                            note_cache(&mut report, opts, &e);
                        }
                        st.candles
                            .entry(s.clone())
                            .or_default()
                            .extend(c.into_iter().map(|c| (c.start, c)));
                        Window::Candles
                    }
                    Err(e) => Window::Failed(format!("an answer that cannot be read: {e}")),
                },
                Answer::Refused { status, body } if unknown(s.provider, status, &body) => {
                    if let Err(e) = opts.cache.put_unknown(s.provider, &s.product) {
                        note_cache(&mut report, opts, &e);
                    }
                    Window::Unknown
                }
                Answer::Refused { status, body } => {
                    let text = String::from_utf8_lossy(&body);
                    let text: String = text.chars().take(120).collect();
                    Window::Failed(format!("HTTP {status} {}", text.trim()))
                }
                Answer::Failed(e) => Window::Failed(e),
                Answer::Banned => Window::Failed(banned_reason(s.provider)),
            };
            match &state {
                Window::Candles => {
                    st.listed.insert((s.provider, s.product.clone()), true);
                }
                Window::Unknown => {
                    st.listed.insert((s.provider, s.product.clone()), false);
                }
                _ => {}
            }
            st.windows.insert((s, w), state);
        }
        progress(done_requests, planned);
    }
    for p in Provider::ALL {
        report.requests[p as usize] = http.made(p);
        if http.banned(p) {
            report.notes.push(format!(
                "{} answered 418: this address is banned for a while; harvest asked nothing more of it (run again later)",
                p.name()
            ));
        }
    }
    report.problems = problems(needs, &attempts);
    Ok(report)
}

fn banned_reason(p: Provider) -> String {
    format!("{} banned this address (HTTP 418); not retried", p.name())
}

fn note_cache(report: &mut Report, opts: &Options, e: &std::io::Error) {
    let note = format!(
        "the cache {} cannot be written ({e}); the next run will ask again",
        opts.cache.dir().display()
    );
    if !report.notes.contains(&note) {
        report.notes.push(note);
    }
}

/// Makes the requests of `queue`, `opts.parallel` at a time; the answers in
/// queue order.
fn run_queue(
    http: &Http,
    opts: &Options,
    queue: &[(Series, i64)],
    tick: &(dyn Fn(usize) + Sync),
) -> Vec<Answer> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let ended = std::sync::atomic::AtomicUsize::new(0);
    let answers: Vec<std::sync::Mutex<Option<Answer>>> =
        queue.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..opts.parallel.clamp(1, 8).min(queue.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((s, w)) = queue.get(i) else {
                        break;
                    };
                    let (url, header) = request(opts, s, *w);
                    let a = http.get(
                        s.provider,
                        &url,
                        header.as_ref().map(|(k, v)| (*k, v.as_str())),
                    );
                    if let Ok(mut slot) = answers[i].lock() {
                        *slot = Some(a);
                    }
                    tick(ended.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                }
            });
        }
    });
    answers
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Answer::Failed("no answer".into()))
        })
        .collect()
}

/// The needs left without a price, grouped by asset and kind of problem.
fn problems(needs: &[Need], attempts: &[Attempt]) -> Vec<Problem> {
    // Per asset: the unknown, failed, not cached and no-price needs.
    let mut by: BTreeMap<(u8, String), Problem> = BTreeMap::new();
    for (n, a) in needs.iter().zip(attempts) {
        if !a.done || a.found {
            continue;
        }
        // What the asset itself (not an alternative) got from each source.
        let tried = &a.tried[0];
        let asset = n.assets[0].clone();
        let all_unknown = !tried.is_empty() && tried.iter().all(|(_, w)| *w == Window::Unknown);
        let not_cached: Vec<String> = tried
            .iter()
            .filter(|(_, w)| *w == Window::NotCached)
            .map(|(l, _)| l.clone())
            .collect();
        let failed: Vec<String> = tried
            .iter()
            .filter_map(|(l, w)| match w {
                Window::Failed(e) if !e.is_empty() => Some(format!("{l}: {e}")),
                _ => None,
            })
            .collect();
        let (rows, count, holding) = match &n.why {
            Why::Rows { first, count } => (first.clone(), *count, false),
            Why::Holding => (Vec::new(), 0, true),
        };
        if all_unknown || tried.is_empty() {
            let e = by.entry((0, asset.clone())).or_insert(Problem::Unknown {
                asset,
                tried: tried.iter().map(|(l, _)| l.clone()).collect(),
                rows: Vec::new(),
                count: 0,
                holding: false,
            });
            if let Problem::Unknown {
                rows: r,
                count: c,
                holding: h,
                ..
            } = e
            {
                for x in rows {
                    if r.len() < 5 && !r.contains(&x) {
                        r.push(x);
                    }
                }
                *c += count;
                *h |= holding;
            }
        } else if !not_cached.is_empty() {
            let e = by.entry((1, asset.clone())).or_insert(Problem::NotCached {
                asset,
                first: n.time,
                times: 0,
                wanted: not_cached,
            });
            if let Problem::NotCached { first, times, .. } = e {
                *first = (*first).min(n.time);
                *times += 1;
            }
        } else if !failed.is_empty() {
            let e = by.entry((2, asset.clone())).or_insert(Problem::Failed {
                asset,
                times: 0,
                reasons: Vec::new(),
            });
            if let Problem::Failed { times, reasons, .. } = e {
                *times += 1;
                for f in failed {
                    if !reasons.contains(&f) && reasons.len() < 4 {
                        reasons.push(f);
                    }
                }
            }
        } else {
            let e = by.entry((3, asset.clone())).or_insert(Problem::NoPrice {
                asset,
                first: n.time,
                times: 0,
                tried: tried.iter().map(|(l, _)| l.clone()).collect(),
            });
            if let Problem::NoPrice { first, times, .. } = e {
                *first = (*first).min(n.time);
                *times += 1;
            }
        }
    }
    by.into_values().collect()
}
