//! `harvest scan` end to end: the plan, applied through --emit-ledger and
//! --emit-selections, realizes exactly what scan promised.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

use rust_decimal::Decimal;
use serde_json::Value;

fn harvest(dir: &Path, args: &[&str]) -> Output {
    harvest_env(dir, args, &[])
}

fn harvest_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harvest"))
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let o = harvest(dir, args);
    assert!(
        o.status.success(),
        "harvest {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn golden(name: &str, args: &[&str]) {
    let o = harvest(root(), args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let path = root().join("tests/golden").join(name);
    let got = String::from_utf8(o.stdout).unwrap();
    if std::env::var_os("HARVEST_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    assert_eq!(got, std::fs::read_to_string(&path).unwrap(), "{name}");
}

const SCAN: [&str; 7] = [
    "scan",
    "fixtures/example/ledger.csv",
    "--prices",
    "fixtures/example/prices-dec15.csv",
    "--as-of",
    "2025-12-15",
    "-q",
];

#[test]
fn scan_outputs() {
    golden("scan-example.txt", &SCAN);
    let mut csv = SCAN.to_vec();
    csv.extend(["--format", "csv"]);
    golden("scan-example.csv", &csv);
    let mut j = SCAN.to_vec();
    j.extend(["--format", "json"]);
    golden("scan-example.json", &j);
}

/// Applies a scan's plan with gains and checks the year's net equals the plan's.
fn plan_reproduces(dir: &Path, ledger: &str, prices: &str, as_of: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "scan",
        ledger,
        "--prices",
        prices,
        "--as-of",
        as_of,
        "--format",
        "json",
        "-q",
        "--emit-ledger",
        "plan.csv",
        "--emit-selections",
        "sel.csv",
    ];
    args.extend_from_slice(extra);
    let v = json(dir, &args);
    let year = &as_of[..4];
    let g = json(
        dir,
        &[
            "gains",
            ledger,
            "plan.csv",
            "--year",
            year,
            "--method",
            "specific",
            "--selections",
            "sel.csv",
            "--format",
            "json",
            "-q",
        ],
    );
    let after = dec(&v["schedule_d_after"]["line_16"]);
    assert_eq!(
        dec(&g["total"]["gain"]),
        after,
        "gains with the plan = scan's promise"
    );
    v
}

#[test]
fn the_example_plan_reproduces_to_the_cent() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["ledger.csv", "prices-dec15.csv"] {
        std::fs::copy(root().join("fixtures/example").join(f), dir.path().join(f)).unwrap();
    }
    let v = plan_reproduces(
        dir.path(),
        "ledger.csv",
        "prices-dec15.csv",
        "2025-12-15",
        &[],
    );
    assert_eq!(v["plan"]["realized_total"], "-1223.18");
    // A target smaller than what is available stops at the target (a lot is split).
    let v = plan_reproduces(
        dir.path(),
        "ledger.csv",
        "prices-dec15.csv",
        "2025-12-15",
        &["--target", "700"],
    );
    let realized = dec(&v["plan"]["realized_total"]);
    assert!(
        (realized + Decimal::from(700)).abs() <= Decimal::new(2, 2),
        "{realized}"
    );
}

#[test]
fn tax_saved_follows_the_stated_rates() {
    let v = json(
        root(),
        &[
            &SCAN[..],
            &["--format", "json", "--st-rate", "0.3", "--lt-rate", "0.2"],
        ]
        .concat(),
    );
    let st_before = dec(&v["schedule_d_before"]["line_7"]);
    let lt_before = dec(&v["schedule_d_before"]["line_15"]);
    let st_after = dec(&v["schedule_d_after"]["line_7"]);
    let lt_after = dec(&v["schedule_d_after"]["line_15"]);
    // All positive here: each class at its own rate.
    let tax =
        |st: Decimal, lt: Decimal| (st * Decimal::new(3, 1) + lt * Decimal::new(2, 1)).round_dp(2);
    assert_eq!(
        dec(&v["tax_saved"]),
        tax(st_before, lt_before) - tax(st_after, lt_after)
    );
}

#[test]
fn scan_needs_prices() {
    let o = harvest(root(), &["scan", "fixtures/example/ledger.csv"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Last buy price per asset in a generated ledger, times `factor`.
fn crash_prices(ledger: &str, factor: Decimal) -> String {
    let mut last: HashMap<String, Decimal> = HashMap::new();
    for line in ledger.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[3] == "buy" && f[5] == "USD" {
            let usd: Decimal = f[4].parse().unwrap();
            let qty: Decimal = f[6].parse().unwrap();
            last.insert(f[7].to_string(), (usd / qty).round_dp(8));
        }
    }
    let mut out = String::from("asset,price\n");
    let mut assets: Vec<_> = last.into_iter().collect();
    assets.sort();
    for (a, p) in assets {
        out += &format!("{a},{}\n", (p * factor).round_dp(8));
    }
    out
}

#[test]
fn a_generated_ledger_plan_reproduces_to_the_cent() {
    let script = root().join("../shared/tools/gen_ledger.py");
    if !script.exists() {
        eprintln!("skipped: gen_ledger.py not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // These ledgers end in 2024: a plan of sales from single wallets needs
    // per-wallet lots then (the default, transition, pools them until 2025).
    std::fs::write(dir.path().join("harvest.toml"), "scope = \"wallet\"\n").unwrap();
    for (seed, simple) in [(11, false), (12, true)] {
        let mut cmd = Command::new("python3");
        cmd.arg(&script)
            .args(["--rows", "4000", "--seed", &seed.to_string()]);
        if simple {
            cmd.arg("--simple");
        }
        let o = cmd.output().unwrap();
        let text = String::from_utf8(o.stdout).unwrap();
        std::fs::write(dir.path().join("l.csv"), &text).unwrap();
        std::fs::write(
            dir.path().join("p.csv"),
            crash_prices(&text, Decimal::new(5, 1)),
        )
        .unwrap();
        let last = text.lines().last().unwrap().split(',').nth(1).unwrap()[..10].to_string();
        let v = plan_reproduces(dir.path(), "l.csv", "p.csv", &last, &[]);
        assert!(
            !v["plan"]["sales"].as_array().unwrap().is_empty(),
            "seed {seed}: the crash leaves losses"
        );
        // The plan's replay (its assets alone, split over two threads when
        // asked) states the same figures on one thread as on two.
        let args = [
            "scan", "l.csv", "--prices", "p.csv", "--as-of", &last, "--format", "json", "-q",
        ];
        let runs: Vec<Output> = ["1", "2"]
            .iter()
            .map(|t| harvest_env(dir.path(), &args, &[("HARVEST_ENGINE_THREADS", t)]))
            .collect();
        for o in &runs {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let w: Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(w["plan"], v["plan"], "seed {seed}");
            assert_eq!(w["schedule_d_after"], v["schedule_d_after"], "seed {seed}");
        }
        // With a gain so far and enough losses, the year comes down to minus the cap.
        let l21 = dec(&v["schedule_d_after"]["line_21"]);
        let l16 = dec(&v["schedule_d_after"]["line_16"]);
        if dec(&v["loss_available"]) > dec(&v["loss_needed"]) {
            assert!(
                (l16 + Decimal::from(3000)).abs() <= Decimal::new(5, 2),
                "seed {seed}: {l16}"
            );
            assert_eq!(l21, Decimal::from(-3000));
        }
    }
}

const HEADER: &str = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n";

/// A temporary directory holding `ledger.csv` (header + `rows`) and
/// `prices.csv` (`time,asset,price` + `prices`).
fn setup(rows: &str, prices: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ledger.csv"), format!("{HEADER}{rows}")).unwrap();
    std::fs::write(
        dir.path().join("prices.csv"),
        format!("time,asset,price\n{prices}"),
    )
    .unwrap();
    dir
}

/// `scan` of [`setup`]'s files as of 2025-12-15, quietly.
const SCAN_SETUP: [&str; 7] = [
    "scan",
    "ledger.csv",
    "--prices",
    "prices.csv",
    "--as-of",
    "2025-12-15",
    "-q",
];

fn scan_json(dir: &Path, extra: &[&str]) -> Value {
    json(
        dir,
        &[&SCAN_SETUP[..], &["--format", "json"], extra].concat(),
    )
}

/// Issue 14 item 2. Qualified Dividends and Capital Gain Tax Worksheet (Form 1040
/// instructions): line 1 is taxable income with the gains, line 5 (the ordinary
/// part) is at least zero, so ordinary income of -10,000 absorbs the first 10,000
/// of a 60,000 long-term gain: 48,350 at 0% and 1,650 at 15% = 247.50 (single,
/// 2025), not 1,747.50.
#[test]
fn negative_ordinary_income_absorbs_long_term_gains_first() {
    let dir = setup(
        "b1,2023-01-02T00:00:00Z,cb,buy,10000,USD,1,BTC,,,,,,\n\
         s1,2025-06-02T00:00:00Z,cb,sell,1,BTC,70000,USD,,,,,,\n",
        "2025-12-15,BTC,50000\n",
    );
    let v = scan_json(dir.path(), &["--ordinary-income", "-10000"]);
    assert_eq!(v["tax_before"], "247.50");
}

/// Issue 14 item 3. The Capital Loss Carryover Worksheet's line 1 is Form 1040
/// taxable income, which already reflects the loss deduction: ordinary income
/// 1,000 less the 3,000 deduction is -2,000, so of an 8,000 short-term loss only
/// 1,000 of the deduction is used (lines 1-4) and 7,000 carries (line 8), not
/// 5,000.
#[test]
fn carryover_after_the_plan_uses_taxable_income_after_the_deduction() {
    let dir = setup(
        "b1,2025-02-03T00:00:00Z,cb,buy,10000,USD,1,BTC,,,,,,\n",
        "2025-12-15,BTC,2000\n",
    );
    let v = scan_json(
        dir.path(),
        &["--ordinary-income", "1000", "--target", "8000"],
    );
    assert_eq!(v["schedule_d_after"]["line_7"], "-8000.00");
    assert_eq!(v["carryover_next_year"]["short_term"], "7000.00");
    assert_eq!(v["carryover_next_year"]["long_term"], "0.00");
}

/// Issue 14 item 3: `--taxable-income` means Form 1040 line 15 (report); scan's
/// income before the gains is `--ordinary-income`, and the old flag is a usage
/// error naming it. harvest.toml's `taxable_income` is report's: scan ignores it.
#[test]
fn scan_takes_ordinary_income_not_taxable_income() {
    let dir = setup(
        "b1,2025-02-03T00:00:00Z,cb,buy,10000,USD,1,BTC,,,,,,\n",
        "2025-12-15,BTC,2000\n",
    );
    let o = harvest(
        dir.path(),
        &[
            "scan",
            "ledger.csv",
            "--prices",
            "prices.csv",
            "--taxable-income",
            "50000",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--ordinary-income"), "{err}");
    let plain = scan_json(dir.path(), &["--target", "8000"]);
    std::fs::write(dir.path().join("harvest.toml"), "taxable_income = 1000\n").unwrap();
    let with_toml = scan_json(dir.path(), &["--target", "8000"]);
    // The same figures; only the inputs name the harvest.toml read.
    let files = |v: &Value| -> Vec<String> {
        v["inputs"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["role"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(files(&plain), ["input", "prices"]);
    assert_eq!(files(&with_toml), ["input", "settings", "prices"]);
    let without_inputs = |mut v: Value| {
        v.as_object_mut().unwrap().remove("inputs");
        v
    };
    assert_eq!(
        without_inputs(plain),
        without_inputs(with_toml),
        "taxable_income is report's key"
    );
    std::fs::write(dir.path().join("harvest.toml"), "ordinary_income = 1000\n").unwrap();
    let v = scan_json(dir.path(), &["--target", "8000"]);
    assert_eq!(v["carryover_next_year"]["short_term"], "7000.00");
}

/// Issue 14 items 6 and 8: a plan must be executable. Units withdrawn to a place
/// the ledger does not cover (`external`) and basis a frozen allocation gave to
/// no wallet (`(unallocated)`) cannot be sold from anywhere: they are no
/// candidates, a note says so, and neither panics scan.
#[test]
fn no_sale_from_external_or_unallocated() {
    let dir = setup(
        "b1,2025-02-03T00:00:00Z,cb,buy,10000,USD,1,BTC,,,,,,\n\
         b2,2025-02-04T00:00:00Z,cb,buy,10000,USD,1,BTC,,,,,,\n\
         w1,2025-03-01T00:00:00Z,cb,withdrawal,1,BTC,,,,,,,,to a friend's wallet\n",
        "2025-12-15,BTC,2000\n",
    );
    let v = scan_json(dir.path(), &[]);
    let cands = v["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 1, "{cands:?}");
    assert_eq!(cands[0]["account"], "cb");
    assert_eq!(cands[0]["lot_id"], "b2");
    let notes = v["notes"].to_string();
    assert!(notes.contains("external"), "{notes}");

    // The transition fixture with a frozen allocation that leaves t-3 out.
    let dir = tempfile::tempdir().unwrap();
    for f in ["ledger.csv", "harvest.toml"] {
        std::fs::copy(
            root().join("fixtures/transition").join(f),
            dir.path().join(f),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("allocation.csv"),
        "asset,wallet,lot_id,quantity\nBTC,cold,t-1,0.5\nBTC,cold,t-2,1\nBTC,coinbase,t-3,0.5\nETH,coinbase,e-1,1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("prices.csv"),
        "time,asset,price\n2025-01-02,BTC,10000\n2025-01-02,ETH,500\n",
    )
    .unwrap();
    let o = harvest(
        dir.path(),
        &[
            "scan",
            "ledger.csv",
            "--prices",
            "prices.csv",
            "--as-of",
            "2025-01-02",
            "--allocation",
            "allocation.csv",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    for c in v["candidates"].as_array().unwrap() {
        assert_ne!(c["account"], "(unallocated)", "{c}");
    }
    assert!(
        v["notes"].to_string().contains("(unallocated)"),
        "{}",
        v["notes"]
    );
}

/// Issue 14 item 6: `--min-loss` defaults to 10.00, so no 2-cent sale is
/// planned; and the plan never harvests more than needed once rounded to cents
/// (the year ends at -3,000.00, not -3,000.01 with a cent carried).
#[test]
fn no_dust_and_no_overshoot() {
    // Two BTC lots whose exact losses (1,499.9998 each) add up to less than
    // 3,000, but whose rounded rows (basis 1,500.01 twice, proceeds 0.01) add up
    // to 3,000.01.
    let dir = setup(
        "b1,2025-02-03T00:00:00Z,cb,buy,10.02,USD,1,DOGE,,,,,,\n\
         b2,2025-02-03T00:00:01Z,cb,buy,1500.005,USD,1,BTC,,,,,,\n\
         b3,2025-02-03T00:00:02Z,cb,buy,1500.005,USD,1,BTC,,,,,,\n",
        "2025-12-15,BTC,0.0052\n2025-12-15,DOGE,10\n",
    );
    let v = scan_json(dir.path(), &[]);
    let cands = v["candidates"].as_array().unwrap();
    assert!(cands.iter().all(|c| c["asset"] != "DOGE"), "{cands:?}");
    assert_eq!(v["schedule_d_after"]["line_16"], "-3000.00");
    assert_eq!(v["carryover_next_year"]["short_term"], "0.00");
    let all = scan_json(dir.path(), &["--min-loss", "0"]);
    assert!(
        all["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["asset"] == "DOGE")
    );
}

/// Issue 14 item 16: the table and the HTML page show the plan and the 20
/// candidates with the largest losses (`--top N`, `--all`); CSV and JSON keep
/// every candidate.
#[test]
fn tables_show_the_top_candidates_and_files_every_one() {
    let rows: String = (1..=25)
        .map(|i| {
            format!(
                "b{i:02},2025-02-{i:02}T00:00:00Z,cb,buy,{},USD,1,BTC,,,,,,\n",
                100 + i
            )
        })
        .collect();
    let dir = setup(&rows, "2025-12-15,BTC,1\n");
    let run = |extra: &[&str]| {
        let o = harvest(dir.path(), &[&SCAN_SETUP[..], extra].concat());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let lot_rows = |t: &str| t.lines().filter(|l| l.contains("│ BTC   │ cb ")).count();
    let table = run(&[]);
    assert_eq!(lot_rows(&table), 20, "{table}");
    assert!(
        table.contains("Candidates: 25\n(the 20 with the largest losses"),
        "{table}"
    );
    // The largest losses first: b25 (basis 125) is shown, b01 (101) is not.
    assert!(table.contains("b25") && !table.contains("b01 "), "{table}");
    assert_eq!(lot_rows(&run(&["--top", "3"])), 3);
    let all = run(&["--all"]);
    assert_eq!(lot_rows(&all), 25);
    assert!(!all.contains("largest losses;"));
    assert_eq!(run(&["--format", "csv"]).lines().count(), 26);
    let v: Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
    assert_eq!(v["candidates"].as_array().unwrap().len(), 25);
    let html = run(&["--format", "html"]);
    assert_eq!(html.matches("<td class=\"id\">").count(), 20);
}

/// Issue 16: holdings valued at a dated price more than 24 hours older than
/// `--as-of` get a warning per asset naming the price's time, its file and its
/// age (a Dec 15 prices file used on Dec 17 says so); a price of that day does
/// not.
#[test]
fn stale_prices_for_holdings_are_warned_about() {
    for (cmd, extra) in [("scan", vec![]), ("lots", vec!["--format", "csv"])] {
        let run = |as_of: &str| {
            let mut args = vec![
                cmd,
                "fixtures/example/ledger.csv",
                "--prices",
                "fixtures/example/prices-dec15.csv",
                "--as-of",
                as_of,
            ];
            args.extend(extra.iter().copied());
            let o = harvest(root(), &args);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8(o.stderr).unwrap()
        };
        let err = run("2025-12-17");
        assert!(
            err.contains("BTC valued at its price of 2025-12-15T00:00:00Z from fixtures/example/prices-dec15.csv, 2 days before 2025-12-17T23:59:59Z"),
            "{cmd}: {err}"
        );
        assert!(!run("2025-12-15").contains("valued at its price"), "{cmd}");
    }
}
