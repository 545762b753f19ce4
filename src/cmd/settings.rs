//! `harvest config`: the effective settings, each with where it came from (a flag,
//! harvest.toml, or the default). The output is itself a valid harvest.toml.

use std::io::Write;
use std::path::Path;

use clap::ValueEnum;
use rust_decimal::Decimal;

use crate::cli::{ConfigArgs, FilingStatusArg, MethodArg, MissingBasisArg, ScopeArg};
use crate::config::{DEFAULT_LT_RATE, DEFAULT_ST_RATE};

use super::UsageError;
use super::input::read_config;

fn name<T: ValueEnum>(v: T) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

/// A TOML string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// One setting: the flag's value, else the file's, else the default.
fn pick(
    lines: &mut Vec<(String, String)>,
    from_file: &str,
    key: &str,
    flag: Option<String>,
    in_file: Option<String>,
    default: Option<String>,
) {
    let (value, source) = match (flag, in_file, default) {
        (Some(v), _, _) => (Some(v), format!("flag --{}", key.replace('_', "-"))),
        (None, Some(v), _) => (Some(v), from_file.to_string()),
        (None, None, Some(v)) => (Some(v), "default".to_string()),
        (None, None, None) => (None, "not set".to_string()),
    };
    let text = match value {
        Some(v) => format!("{key} = {v}"),
        None => format!("# {key} ="),
    };
    lines.push((text, source));
}

/// Runs `harvest config`.
pub fn run(a: &ConfigArgs) -> anyhow::Result<()> {
    let (file, file_name) = read_config(a.config.as_deref())?;
    file.box_rules(&file_name)?;
    file.fee_rates(&file_name)?;
    let import_accounts = file.account_map(&file_name)?;
    file.address_book(&file_name)
        .map_err(|e| UsageError(e.to_string()))?;
    for (key, r) in [("st_rate", file.st_rate), ("lt_rate", file.lt_rate)] {
        if let Some(r) = r {
            crate::cli::check_rate(r)
                .map_err(|e| UsageError(format!("{file_name}: {key} = {r}: {e}")))?;
        }
    }
    let found = a.config.is_some() || Path::new(&file_name).exists();
    let from_file = file_name.clone();
    let mut lines: Vec<(String, String)> = Vec::new();
    let q = |s: String| quoted(&s);
    let d = |x: Decimal| x.normalize().to_string();
    pick(
        &mut lines,
        &from_file,
        "method",
        a.method.map(name).map(q),
        file.method.map(name).map(q),
        Some(q(name(MethodArg::Fifo))),
    );
    pick(
        &mut lines,
        &from_file,
        "scope",
        a.scope.map(name).map(q),
        file.scope.map(name).map(q),
        Some(q(name(ScopeArg::Transition))),
    );
    let tz = a.tz.clone().or_else(|| file.tz.clone());
    if let Some(z) = &tz
        && z.parse::<chrono_tz::Tz>().is_err()
    {
        return Err(UsageError(format!(
            "tz {z:?} is not an IANA time zone (for example UTC or America/New_York)"
        ))
        .into());
    }
    pick(
        &mut lines,
        &from_file,
        "tz",
        a.tz.clone().map(q),
        file.tz.clone().map(q),
        Some(q("UTC".into())),
    );
    pick(
        &mut lines,
        &from_file,
        "missing_basis",
        a.missing_basis.map(name).map(q),
        file.missing_basis.map(name).map(q),
        Some(q(name(MissingBasisArg::Error))),
    );
    let path = |p: &std::path::PathBuf| quoted(&p.display().to_string());
    pick(
        &mut lines,
        &from_file,
        "prices",
        a.prices.as_ref().map(path),
        file.prices.as_ref().map(path),
        None,
    );
    pick(
        &mut lines,
        &from_file,
        "wash_window",
        a.wash_window.map(|x| x.to_string()),
        file.wash_window.map(|x| x.to_string()),
        Some("0".into()),
    );
    pick(
        &mut lines,
        &from_file,
        "late_identification",
        a.late_identification.then(|| "true".to_string()),
        file.late_identification.map(|b| b.to_string()),
        Some("false".into()),
    );
    if a.strict_identification || file.strict_identification.is_some() {
        pick(
            &mut lines,
            &from_file,
            "strict_identification",
            a.strict_identification.then(|| "true".to_string()),
            file.strict_identification.map(|b| b.to_string()),
            None,
        );
    }
    pick(
        &mut lines,
        &from_file,
        "filing_status",
        a.tax.filing_status.map(name).map(q),
        file.filing_status.map(name).map(q),
        Some(q(name(FilingStatusArg::Single))),
    );
    if let Some(p) = &a.tax.carryover_from {
        lines.push((
            format!(
                "# carryover_st, carryover_lt: carryover_next_year of {}",
                p.display()
            ),
            "flag --carryover-from".into(),
        ));
    } else {
        pick(
            &mut lines,
            &from_file,
            "carryover_st",
            a.tax.carryover_st.map(d),
            file.carryover_st.map(d),
            Some("0".into()),
        );
        pick(
            &mut lines,
            &from_file,
            "carryover_lt",
            a.tax.carryover_lt.map(d),
            file.carryover_lt.map(d),
            Some("0".into()),
        );
    }
    pick(
        &mut lines,
        &from_file,
        "taxable_income",
        a.income.taxable_income.map(d),
        file.taxable_income.map(d),
        None,
    );
    pick(
        &mut lines,
        &from_file,
        "ordinary_income",
        a.ordinary_income.map(d),
        file.ordinary_income.map(d),
        None,
    );
    pick(
        &mut lines,
        &from_file,
        "st_rate",
        a.st_rate.map(d),
        file.st_rate.map(d),
        Some(d(DEFAULT_ST_RATE)),
    );
    pick(
        &mut lines,
        &from_file,
        "lt_rate",
        a.lt_rate.map(d),
        file.lt_rate.map(d),
        Some(d(DEFAULT_LT_RATE)),
    );
    let list = |v: &Vec<String>| {
        let items: Vec<String> = v.iter().map(|x| quoted(x)).collect();
        format!("[{}]", items.join(", "))
    };
    let business = file.business_income(&file_name)?;
    pick(
        &mut lines,
        &from_file,
        "income_as_business",
        None,
        (!file.income_as_business.is_empty())
            .then(|| list(&business.iter().map(|c| c.as_str().to_string()).collect())),
        Some("[]".into()),
    );
    // harvest prices: the sources, the key (never shown), the symbols.
    let sources_default = if file.coingecko_api_key.is_some() {
        "[\"coinbase\", \"binance\", \"coingecko\"]"
    } else {
        "[\"coinbase\", \"binance\"]"
    };
    pick(
        &mut lines,
        &from_file,
        "price_sources",
        None,
        file.price_sources.as_ref().map(list),
        Some(sources_default.to_string()),
    );
    let key_source =
        if std::env::var("HARVEST_COINGECKO_API_KEY").is_ok_and(|k| !k.trim().is_empty()) {
            Some("environment HARVEST_COINGECKO_API_KEY".to_string())
        } else {
            file.coingecko_api_key.as_ref().map(|_| from_file.clone())
        };
    lines.push((
        format!(
            "# coingecko_api_key = {}",
            if key_source.is_some() {
                "(set, not shown)"
            } else {
                "(not set: CoinGecko is not used)"
            }
        ),
        key_source.unwrap_or_else(|| "not set".into()),
    ));
    let t = file.transition.clone().unwrap_or_default();
    lines.push((String::new(), String::new()));
    lines.push(("[transition]".into(), "--scope transition".into()));
    pick(
        &mut lines,
        &from_file,
        "rule",
        None,
        t.rule.as_deref().map(quoted),
        Some(quoted(crate::engine::AllocationRule::default().as_str())),
    );
    pick(
        &mut lines,
        &from_file,
        "wallets",
        None,
        t.wallets.as_ref().map(list),
        None,
    );
    pick(
        &mut lines,
        &from_file,
        "recorded",
        None,
        t.recorded.as_ref().map(|v| v.to_string()),
        None,
    );
    pick(
        &mut lines,
        &from_file,
        "allocation",
        None,
        t.allocation.as_ref().map(path),
        None,
    );
    for so in &file.standing_orders {
        lines.push((String::new(), String::new()));
        lines.push(("[[standing_order]]".into(), from_file.clone()));
        lines.push((format!("from = {}", so.from), from_file.clone()));
        lines.push((
            format!("method = {}", q(name(so.method))),
            from_file.clone(),
        ));
        if !so.accounts.is_empty() {
            lines.push((
                format!("accounts = {}", list(&so.accounts)),
                from_file.clone(),
            ));
        }
    }
    for (acct, c) in &file.accounts {
        lines.push((String::new(), String::new()));
        lines.push((format!("[accounts.{}]", toml_key(acct)), from_file.clone()));
        if let Some(b) = c.broker {
            lines.push((format!("broker = {b}"), from_file.clone()));
        }
        if let Some(r) = c.fee_rate {
            lines.push((
                format!("fee_rate = {}", r.normalize()),
                format!("{from_file} (scan; --fee-rate wins)"),
            ));
        }
        for (k, v) in [
            ("box_short", &c.box_short),
            ("box_long", &c.box_long),
            ("display_name", &c.display_name),
        ] {
            if let Some(v) = v {
                lines.push((format!("{k} = {}", quoted(v)), from_file.clone()));
            }
        }
        // Own addresses pair transfers; payments make spends.
        for (k, v) in [("addresses", &c.addresses), ("payments", &c.payments)] {
            if !v.is_empty() {
                lines.push((format!("{k} = {}", list(v)), from_file.clone()));
            }
        }
    }

    if !import_accounts.is_empty() {
        lines.push((String::new(), String::new()));
        lines.push((
            "[import.accounts]".into(),
            "import: an export's account -> yours (--account wins)".into(),
        ));
        for (from, to) in &import_accounts {
            lines.push((
                format!("{} = {}", toml_key(from), quoted(to)),
                from_file.clone(),
            ));
        }
    }

    // On-chain tokens import leaves out or keeps (checked: none in both), and
    // the assets whose trades move lots (checked).
    let (spam, keep) = file.assets.lists(&file_name)?;
    let links = file.assets.links(&file_name)?;
    let collectibles = &file.assets.collectibles;
    if !(spam.is_empty() && keep.is_empty() && links.is_empty() && collectibles.is_empty()) {
        lines.push((String::new(), String::new()));
        lines.push((
            "[assets]".into(),
            match (spam.is_empty() && keep.is_empty(), links.is_empty()) {
                (true, true) => "Form 8949: collectibles (code C, 28% rate)".into(),
                (_, true) => "import: on-chain tokens left out (spam) or kept (keep)".into(),
                (true, false) => "lots: trades between these move basis and dates".into(),
                (false, false) => "import: tokens left out or kept; lots: same, migrations".into(),
            },
        ));
        for (k, v) in [
            ("spam", &file.assets.spam),
            ("keep", &file.assets.keep),
            ("collectibles", collectibles),
        ] {
            if !v.is_empty() {
                lines.push((format!("{k} = {}", list(v)), from_file.clone()));
            }
        }
        if !file.assets.same.is_empty() {
            let groups: Vec<String> = file.assets.same.iter().map(&list).collect();
            lines.push((format!("same = [{}]", groups.join(", ")), from_file.clone()));
        }
        if !file.assets.migrations.is_empty() {
            let m: Vec<String> = file
                .assets
                .migrations
                .iter()
                .map(|m| format!("{{ from = {}, to = {} }}", quoted(&m.from), quoted(&m.to)))
                .collect();
            lines.push((
                format!("migrations = [{}]", m.join(", ")),
                from_file.clone(),
            ));
        }
    }

    if !file.price_symbols.is_empty() {
        lines.push((String::new(), String::new()));
        lines.push(("[price_symbols]".into(), "harvest prices".into()));
        for (asset, v) in &file.price_symbols {
            lines.push((
                format!("{} = {}", toml_key(asset), quoted(v)),
                from_file.clone(),
            ));
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "# harvest config: the effective settings (flags over {} over defaults)",
        if found {
            file_name.as_str()
        } else {
            "harvest.toml, not found,"
        }
    )?;
    let width = lines.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
    for (text, source) in &lines {
        if text.is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "{text:<width$}  # {source}")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// A TOML key: bare when it can be, quoted otherwise.
fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        k.to_string()
    } else {
        quoted(k)
    }
}
