//! Issue 20 item 2, end to end: `[assets] same` and `migrations` in
//! harvest.toml (fixtures/assets-same) make a wrap (ETH to WETH), a bridge
//! (USDC to USDC.e) and a token migration (MATIC to POL) conversions that
//! carry basis and dates; without them each is a trade with a gain or loss.
//!
//! The person buys 1,000 MATIC (2022) and 2 ETH (2023) on Coinbase; MATIC
//! migrates to POL (2024-09-04); in 2025 they send 1.5 ETH and 500 USDC to
//! MetaMask, wrap 1 ETH (gas in ETH), bridge the USDC to USDC.e at 500 for
//! 499.5, sell 400 POL, swap 0.6 WETH for USDC (gas in ETH), unwrap 0.4
//! WETH, swap 200 USDC.e for ETH and 0.8 ETH for USDC.

mod common;
use common::golden;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use rust_decimal::Decimal;

const FIXTURE: &str = "fixtures/assets-same";

fn workdir() -> tempfile::TempDir {
    common::copy_fixture(FIXTURE)
}

fn run_with(dir: &Path, threads: &str, args: &[&str]) -> Output {
    Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(dir)
        .env("HARVEST_ENGINE_THREADS", threads)
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> (String, String) {
    let o = run_with(dir, "1", args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "harvest {args:?}: {err}");
    (String::from_utf8_lossy(&o.stdout).into_owned(), err)
}

/// The `lots --format csv` rows of a day: (asset, lot id, quantity, basis).
fn lots_on(dir: &Path, day: &str) -> Vec<(String, String, Decimal, Decimal)> {
    let (out, _) = ok(
        dir,
        &["lots", "ledger.csv", "--as-of", day, "--format", "csv"],
    );
    out.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[0].to_string(),
                c[2].to_string(),
                c[4].parse().unwrap(),
                c[5].parse().unwrap(),
            )
        })
        .collect()
}

fn total_basis(lots: &[(String, String, Decimal, Decimal)]) -> Decimal {
    lots.iter().map(|l| l.3).sum()
}

fn units(lots: &[(String, String, Decimal, Decimal)], assets: &[&str]) -> Decimal {
    lots.iter()
        .filter(|l| assets.contains(&l.0.as_str()))
        .map(|l| l.2)
        .sum()
}

#[test]
fn wraps_bridges_and_migrations_carry_basis_and_dates_under_assets_same() {
    let dir = workdir();
    let d = dir.path();
    let (csv, err) = ok(
        d,
        &["report", "ledger.csv", "--year", "2025", "--format", "csv"],
    );
    golden("assets-same-report-2025.csv", &csv);
    golden("assets-same-report-2025.stderr", &err);
    let (table, _) = ok(d, &["report", "ledger.csv", "--year", "2025"]);
    golden("assets-same-report-2025.txt", &table);
    // The WETH sold is the 2023 ETH: its date, its basis (1,507.50 per
    // unit, the buy's 15.00 fee included), long-term.
    assert!(
        csv.contains(
            "mm-sell-weth,cb-eth-1,WETH,0.6,metamask,2023-02-10,2025-07-15,long,L,0.6 WETH,1796.50,904.50,,,892.00\n"
        ),
        "{csv}"
    );
    // The POL sold is the 2022 MATIC.
    assert!(
        csv.contains("cb-sell-pol,cb-matic-1,POL,400,coinbase,2022-05-01,2025-03-10,long,K,400 POL,159.50,280.00,,,-120.50\n"),
        "{csv}"
    );
    // The wrap and the bridge dispose of nothing; the wrap's gas does.
    assert!(!csv.contains("mm-bridge,"), "{csv}");
    assert!(!csv.contains("mm-unwrap,"), "{csv}");
    assert!(
        csv.contains("mm-wrap,cb-eth-1,ETH,0.002,metamask,2023-02-10,2025-02-03,long,L,0.002 ETH,6.10,3.02,,,3.08\n"),
        "{csv}"
    );
    assert!(
        err.contains("harvest: note: 4 trades converted one asset into another"),
        "{err}"
    );

    let (lots, _) = ok(
        d,
        &[
            "lots",
            "ledger.csv",
            "--as-of",
            "2025-12-31",
            "--format",
            "csv",
        ],
    );
    golden("assets-same-lots-2025-12-31.csv", &lots);
    assert!(
        lots.contains("USDC.e,metamask,cb-usdc-1,2025-01-05,299.5,299.80,1.001001\n"),
        "{lots}"
    );

    // Two threads allowed: the same figures (a run with conversions is serial).
    let o = run_with(
        d,
        "2",
        &["report", "ledger.csv", "--year", "2025", "--format", "csv"],
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout), csv);

    // The same settings given with --config from elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let toml = d.join("harvest.toml");
    std::fs::rename(&toml, elsewhere.path().join("h.toml")).unwrap();
    let cfg = elsewhere.path().join("h.toml");
    let (again, _) = ok(
        d,
        &[
            "report",
            "ledger.csv",
            "--year",
            "2025",
            "--format",
            "csv",
            "--config",
            cfg.to_str().unwrap(),
        ],
    );
    assert_eq!(again, csv);
}

/// Reconciliation: a conversion moves basis, it neither makes nor loses any.
#[test]
fn the_basis_of_the_lots_is_the_same_before_and_after_a_conversion() {
    let dir = workdir();
    let d = dir.path();
    // The migration (2024-09-04): 1,000 MATIC become 1,000 POL at 700.00.
    let (before, after) = (lots_on(d, "2024-09-03"), lots_on(d, "2024-09-04"));
    assert_eq!(total_basis(&before), total_basis(&after));
    assert_eq!(units(&before, &["MATIC"]), units(&after, &["POL"]));
    assert_eq!(units(&after, &["MATIC"]), Decimal::ZERO);
    // The bridge (2025-02-06): 500 USDC become 499.5 USDC.e, same basis.
    let (before, after) = (lots_on(d, "2025-02-05"), lots_on(d, "2025-02-06"));
    assert_eq!(total_basis(&before), total_basis(&after));
    assert_eq!(units(&after, &["USDC.e"]), "499.5".parse().unwrap());
    // The wrap (2025-02-03): ETH and WETH together short only by the gas.
    let (before, after) = (lots_on(d, "2025-02-02"), lots_on(d, "2025-02-03"));
    assert_eq!(
        units(&before, &["ETH", "WETH"]) - units(&after, &["ETH", "WETH"]),
        "0.002".parse().unwrap()
    );
}

#[test]
fn without_the_settings_each_conversion_is_a_trade() {
    let dir = workdir();
    let d = dir.path();
    std::fs::remove_file(d.join("harvest.toml")).unwrap();
    let (csv, err) = ok(
        d,
        &["report", "ledger.csv", "--year", "2025", "--format", "csv"],
    );
    golden("assets-same-report-2025-no-settings.csv", &csv);
    assert!(!err.contains("converted"), "{err}");
    // The wrap sells the ETH; the WETH is a new short-term lot.
    assert!(
        csv.contains(
            "mm-wrap,cb-eth-1,ETH,1.002,metamask,2023-02-10,2025-02-03,long,L,1.002 ETH,2650.00,"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("mm-sell-weth,mm-wrap,WETH,0.6,metamask,2025-02-03,2025-07-15,short,"),
        "{csv}"
    );
    assert!(csv.contains("mm-bridge,cb-usdc-1,USDC,500,"), "{csv}");
}

#[test]
fn mistaken_settings_are_errors_naming_the_file() {
    let dir = workdir();
    let d = dir.path();
    for (toml, says) in [
        (
            "[assets]\nsame = [[\"ETH\"]]\n",
            "harvest.toml: [assets] same = [\"ETH\"] is a group of fewer than two assets",
        ),
        (
            "[assets]\nsame = [[\"ETH\", \"WETH\"], [\"WETH\", \"stETH\"]]\n",
            "harvest.toml: [assets] same lists \"WETH\" in two groups",
        ),
        (
            "[assets]\nmigrations = [{ from = \"MATIC\", to = \"matic\" }]\n",
            "migrates an asset to itself",
        ),
        ("[assets]\nmigration = []\n", "unknown field `migration`"),
    ] {
        std::fs::write(d.join("harvest.toml"), toml).unwrap();
        for cmd in [
            &["report", "ledger.csv", "--year", "2025"][..],
            &["lots", "ledger.csv"][..],
        ] {
            let o = run_with(d, "1", cmd);
            assert_eq!(o.status.code(), Some(1), "{toml}");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains(says), "{toml}: {err}");
            assert!(o.stdout.is_empty());
        }
    }
}
