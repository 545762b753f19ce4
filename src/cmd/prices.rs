//! `harvest prices`: wires the arguments, harvest.toml, the environment, the
//! progress bar and the output around [`crate::fetch`]. The network is used
//! by this command only, and only through the library's client.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::UsageError;
use super::input::{Settings, load, read_config};
use super::output::{check_output, write_output};
use crate::cli::{EngineArgs, GranularityArg, PricesArgs, SourceArg};
use crate::config::Config as FileConfig;
use crate::fetch::{self, Cache, Granularity, HttpOptions, Options, Problem, Provider};
use crate::readers::prices::read_lines;

/// The environment variable of the CoinGecko key; it wins over harvest.toml.
const COINGECKO_KEY_VARIABLE: &str = "HARVEST_COINGECKO_API_KEY";

/// Runs `harvest prices`.
pub fn run(a: &PricesArgs) -> anyhow::Result<()> {
    if let Some(p) = &a.output {
        check_output("-o", p)?;
    }
    let (file, file_name) = read_config(a.config.as_deref())?;
    let key = std::env::var(COINGECKO_KEY_VARIABLE)
        .ok()
        .filter(|k| !k.trim().is_empty())
        .or_else(|| file.coingecko_api_key.clone())
        .map(|k| k.trim().to_string());
    let sources = sources(a, &file, &file_name, key.is_some())?;
    let symbols = symbols(&file, &file_name, key.is_some())?;
    // The ledger, read as the other commands read it, without any prices.
    let engine_args = EngineArgs {
        inputs: a.inputs.clone(),
        method: None,
        selections: None,
        scope: None,
        allocation: None,
        strict_identification: false,
        late_identification: false,
        tz: a.tz.clone(),
        missing_basis: None,
        prices: None,
        wash_window: None,
        output: None,
        config: a.config.clone(),
        quiet: a.quiet,
    };
    let mut settings = Settings::from_args(&engine_args)?;
    settings.prices = None;
    let tz = settings.engine.tz;
    let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_else(Utc::now);
    let as_of = match a.as_of {
        Some(d) => {
            let next = d.succ_opt().unwrap_or(d);
            (crate::time::start_of_day(next, tz) - chrono::Duration::seconds(1)).min(now)
        }
        None => now,
    };
    let cache = cache_dir(a)?;
    let mut urls: [String; 4] = Default::default();
    let mut overridden = [false; 4];
    for p in Provider::ALL {
        let v = std::env::var(p.url_variable())
            .ok()
            .filter(|v| !v.trim().is_empty());
        overridden[p as usize] = v.is_some();
        urls[p as usize] = v
            .unwrap_or_else(|| p.default_url().to_string())
            .trim()
            .trim_end_matches('/')
            .to_string();
    }
    let opts = Options {
        granularity: match a.granularity {
            GranularityArg::Minute => Granularity::Minute,
            GranularityArg::Hour => Granularity::Hour,
            GranularityArg::Day => Granularity::Day,
        },
        sources,
        symbols,
        coingecko_key: key,
        urls,
        overridden,
        cache: Cache::new(cache),
        offline: a.offline,
        http: HttpOptions::default(),
        parallel: 4,
        now,
    };

    // The rows of the prices file already there are kept.
    let existing = match &a.output {
        Some(p) if p.is_file() => {
            let name = p.display().to_string();
            let f = std::fs::File::open(p).with_context(|| format!("{name}: cannot read"))?;
            let (dated, lines) = read_lines(f, &name, tz)?;
            if !dated {
                return Err(fetch::FetchError::UndatedFile { file: name }.into());
            }
            lines
        }
        _ => Vec::new(),
    };
    let loaded = load(&engine_args, &settings)?;
    // No lot matching here: the reading bar goes before the requests' bar.
    loaded.done();
    let own = settings.engine.addresses.has_own();
    let conversions = settings.engine.assets.resolve(&loaded.ledger);
    let needs = fetch::needed(&loaded.ledger, Some(as_of), own, |r| conversions.of(r));
    // An on-chain token import wrote with its contract (`PEPE-698250 =
    // ethereum token 0x6982…` in a note) is priced by that contract on
    // CoinGecko, when it is a source and harvest.toml does not map it: its
    // symbol names no market on the exchanges.
    let mut opts = opts;
    if opts.sources.contains(&Provider::CoinGecko) {
        let needed: std::collections::BTreeSet<&str> = needs
            .needs
            .iter()
            .flat_map(|n| n.assets.iter().map(String::as_str))
            .collect();
        // The assets mapped already, in upper case: one lookup a token row.
        let mut mapped: std::collections::HashSet<String> = (opts.symbols.iter())
            .map(|(a, _, _)| a.to_ascii_uppercase())
            .collect();
        for row in &loaded.ledger.rows {
            let note = loaded.ledger.note(row);
            if !note.contains(" token 0x") {
                continue;
            }
            for (asset, chain, contract) in crate::import::note_contracts(note) {
                let Some(platform) = crate::import::coingecko_platform(&chain) else {
                    continue;
                };
                if needed.contains(asset.as_str()) && mapped.insert(asset.to_ascii_uppercase()) {
                    let product = format!("{platform}/contract/{contract}");
                    opts.symbols.push((asset, Provider::CoinGecko, product));
                }
            }
        }
    }
    let pending = fetch::missing(&needs.needs, &existing);
    let bar = Bar::new(a.quiet || pending.is_empty());
    let report = fetch::fetch(&pending, &opts, &|done, planned| bar.set(done, planned))?;
    bar.finish();

    let requests: usize = report.requests.iter().sum();
    if !a.quiet {
        let assets: std::collections::BTreeSet<&str> =
            needs.needs.iter().map(|n| n.assets[0].as_str()).collect();
        let per: Vec<String> = Provider::ALL
            .iter()
            .filter(|p| report.requests[**p as usize] > 0)
            .map(|p| format!("{} {}", p.name(), report.requests[*p as usize]))
            .collect();
        eprintln!(
            "harvest: prices: {} needed ({} assets), {} already in the prices file, {} found; {} request{}{}{}, {} answer{} from the cache ({})",
            needs.needs.len(),
            assets.len(),
            needs.needs.len() - pending.len(),
            report.found.len(),
            requests,
            if requests == 1 { "" } else { "s" },
            if per.is_empty() { "" } else { " (" },
            if per.is_empty() {
                String::new()
            } else {
                per.join(", ") + ")"
            },
            report.cached,
            if report.cached == 1 { "" } else { "s" },
            opts.cache.dir().display()
        );
        if report.used.contains(&Provider::Binance) {
            eprintln!(
                "harvest: note: Binance prices are in USDT, taken at 1 USD (source binance ...USDT)"
            );
        }
        if !needs.stable_held.is_empty() {
            eprintln!(
                "harvest: note: {} held at 1.00 USD (USD stablecoins need no price)",
                needs.stable_held.join(", ")
            );
        }
    }
    for n in &report.notes {
        eprintln!("harvest: note: {n}");
    }
    if !report.problems.is_empty() {
        for p in &report.problems {
            eprintln!("harvest: {}", describe(p, a.output.as_deref()));
        }
        let what = if a.offline {
            "run without --offline to fetch what the cache lacks"
        } else {
            "what was fetched is cached, so the next run asks only for the rest"
        };
        return Err(anyhow::anyhow!(
            "prices missing for {}; nothing written ({what})",
            crate::render::count(report.problems.len(), "asset")
        ));
    }
    let stable: Vec<(String, DateTime<Utc>)> = needs
        .stable_held
        .iter()
        .map(|s| (s.clone(), as_of))
        .collect();
    let lines = fetch::merge(existing, &report.found, &stable);
    write_output(a.output.as_deref(), |w| fetch::write(w, &lines))
}

/// The crypto sources in order: --source, else harvest.toml's price_sources,
/// else Coinbase then Binance (then CoinGecko when a key is given).
fn sources(
    a: &PricesArgs,
    file: &FileConfig,
    file_name: &str,
    key: bool,
) -> anyhow::Result<Vec<Provider>> {
    let mut out: Vec<Provider> = if !a.sources.is_empty() {
        a.sources
            .iter()
            .map(|s| match s {
                SourceArg::Coinbase => Provider::Coinbase,
                SourceArg::Binance => Provider::Binance,
                SourceArg::Coingecko => Provider::CoinGecko,
            })
            .collect()
    } else if let Some(list) = &file.price_sources {
        let mut v = Vec::new();
        for name in list {
            match Provider::parse(name).filter(|p| *p != Provider::Frankfurter) {
                Some(p) => v.push(p),
                None => {
                    return Err(UsageError(format!(
                        "{file_name}: price_sources: {name:?} is not a source: use coinbase, binance or coingecko"
                    ))
                    .into());
                }
            }
        }
        v
    } else {
        let mut v = vec![Provider::Coinbase, Provider::Binance];
        if key {
            v.push(Provider::CoinGecko);
        }
        v
    };
    if out.contains(&Provider::CoinGecko) && !key {
        return Err(UsageError(format!(
            "coingecko is used only with an API key: set coingecko_api_key in {file_name} or {COINGECKO_KEY_VARIABLE}"
        ))
        .into());
    }
    let mut seen = Vec::new();
    out.retain(|p| {
        let new = !seen.contains(p);
        seen.push(*p);
        new
    });
    Ok(out)
}

/// A product of letters, digits, `-`, `_` and `.`.
fn plain_product(p: &str) -> bool {
    !p.is_empty()
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// A CoinGecko token by contract: `<platform>/contract/0x<40 hex>`, the path
/// of its "by token address" chart (`ethereum/contract/0x6982…`).
fn contract_product(p: &str) -> bool {
    let mut parts = p.split('/');
    let (Some(platform), Some("contract"), Some(contract), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let hex = contract.strip_prefix("0x").unwrap_or("");
    plain_product(platform) && hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// harvest.toml's `[price_symbols]`: `ASSET = "provider:product"`.
fn symbols(
    file: &FileConfig,
    file_name: &str,
    key: bool,
) -> anyhow::Result<Vec<(String, Provider, String)>> {
    let mut out = Vec::new();
    for (asset, v) in &file.price_symbols {
        let bad = || {
            UsageError(format!(
                "{file_name}: [price_symbols] {asset} = {v:?}: write \"provider:product\", such as \"coinbase:XYZ-USD\", \"binance:XYZUSDT\" or \"coingecko:coin-id\""
            ))
        };
        let (p, product) = v.split_once(':').ok_or_else(bad)?;
        let p = Provider::parse(p).ok_or_else(bad)?;
        let product = product.trim();
        if !(plain_product(product) || p == Provider::CoinGecko && contract_product(product)) {
            return Err(bad().into());
        }
        if p == Provider::CoinGecko && !key {
            return Err(UsageError(format!(
                "{file_name}: [price_symbols] {asset} = {v:?}: coingecko is used only with an API key (coingecko_api_key or {COINGECKO_KEY_VARIABLE})"
            ))
            .into());
        }
        out.push((asset.clone(), p, product.to_string()));
    }
    Ok(out)
}

/// The cache directory: --cache, else $XDG_CACHE_HOME/harvest, else
/// ~/.cache/harvest.
fn cache_dir(a: &PricesArgs) -> anyhow::Result<PathBuf> {
    if let Some(d) = &a.cache {
        return Ok(d.clone());
    }
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(x) = nonempty("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(x).join("harvest"));
    }
    if let Some(h) = nonempty("HOME") {
        return Ok(PathBuf::from(h).join(".cache").join("harvest"));
    }
    Err(UsageError(
        "no cache directory: neither XDG_CACHE_HOME nor HOME is set; give --cache DIR".into(),
    )
    .into())
}

/// One line for a price that could not be found: what, for which rows, and
/// the way out.
fn describe(p: &Problem, output: Option<&std::path::Path>) -> String {
    let file = output.map_or("the prices file".to_string(), |p| p.display().to_string());
    let day = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    match p {
        Problem::Unknown {
            asset,
            tried,
            rows,
            count,
            holding,
        } => {
            let mut who = Vec::new();
            if *count > 0 {
                let more = count.saturating_sub(rows.len());
                who.push(format!(
                    "{} ({}{})",
                    crate::render::count(*count, "row"),
                    rows.join(", "),
                    if more > 0 {
                        format!(", and {more} more")
                    } else {
                        String::new()
                    }
                ));
            }
            if *holding {
                who.push("the holdings at --as-of".into());
            }
            format!(
                "error: no source lists {asset} ({}); needed by {}. Add a row by hand to {file} (time,{asset},PRICE,,manual), or name where it trades in harvest.toml: [price_symbols] {asset} = \"coinbase:XYZ-USD\" (the sources' order is price_sources = [\"coinbase\", \"binance\"])",
                if tried.is_empty() {
                    "no source asked".to_string()
                } else {
                    format!("asked {}", tried.join(", "))
                },
                who.join(" and ")
            )
        }
        Problem::Failed {
            asset,
            times,
            reasons,
        } => format!(
            "error: {asset}: {} not fetched: {}; run again later",
            crate::render::count(*times, "price"),
            reasons.join("; ")
        ),
        Problem::NotCached {
            asset,
            first,
            times,
            wanted,
        } => format!(
            "error: {asset}: {} (the first at {}) not in the cache ({}); run without --offline",
            crate::render::count(*times, "price"),
            day(first),
            wanted.join(", ")
        ),
        Problem::NoPrice {
            asset,
            first,
            times,
            tried,
        } => format!(
            "error: {asset}: {} (the first at {}) without a candle within 24 candles of the time, at any size ({}); add a row by hand to {file} (time,{asset},PRICE,,manual)",
            crate::render::count(*times, "price"),
            day(first),
            tried.join(", ")
        ),
    }
}

/// The progress bar over requests, on a terminal only.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new(quiet: bool) -> Bar {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(0),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} fetching prices [{bar:30}] {pos}/{len} requests {elapsed}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Bar(Some(bar))
    }

    fn set(&self, done: usize, planned: usize) {
        if let Some(b) = &self.0 {
            b.set_length(planned as u64);
            b.set_position(done as u64);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
