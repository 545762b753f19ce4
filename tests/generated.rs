//! The binary on realistic ledgers from ../shared/tools/gen_ledger.py: every
//! method, every year 2019-2026, with and without --simple, several seeds. The
//! generator's output is never committed; it is made here.

use std::path::{Path, PathBuf};
use std::process::Command;

fn generator() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/gen_ledger.py");
    p.exists().then_some(p)
}

fn generate(dir: &Path, rows: u32, seed: u32, simple: bool) -> Option<PathBuf> {
    let script = generator()?;
    let out = dir.join(format!("gen-{rows}-{seed}-{simple}.csv"));
    let mut cmd = Command::new("python3");
    cmd.arg(script)
        .args(["--rows", &rows.to_string(), "--seed", &seed.to_string()]);
    if simple {
        cmd.arg("--simple");
    }
    let o = cmd.output().ok()?;
    assert!(
        o.status.success(),
        "gen_ledger.py failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(&out, o.stdout).unwrap();
    Some(out)
}

fn harvest(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_harvest"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn gains_runs_clean_for_every_method_and_year() {
    let dir = tempfile::tempdir().unwrap();
    for (seed, simple) in [(1, false), (2, false), (3, true), (4, true)] {
        let Some(ledger) = generate(dir.path(), 6000, seed, simple) else {
            eprintln!("skipped: ../shared/tools/gen_ledger.py not found");
            return;
        };
        let ledger = ledger.to_str().unwrap();
        for year in 2019..=2026 {
            let mut proceeds = Vec::new();
            for method in ["fifo", "lifo", "hifo"] {
                let y = year.to_string();
                let o = harvest(&[
                    "gains", ledger, "--year", &y, "--method", method, "--format", "json", "-q",
                ]);
                assert!(
                    o.status.success(),
                    "seed {seed} simple {simple} {method} {year}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
                let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                proceeds.push(v["total"]["proceeds"].as_str().unwrap().to_string());
            }
            // Methods pick different lots but sell the same things.
            assert_eq!(proceeds[0], proceeds[1], "seed {seed} {year}");
            assert_eq!(proceeds[0], proceeds[2], "seed {seed} {year}");
        }
    }
}

#[test]
fn the_simulated_wash_sale_rule_runs_clean_and_only_adds_w_rows() {
    let dir = tempfile::tempdir().unwrap();
    let Some(ledger) = generate(dir.path(), 6000, 5, false) else {
        return;
    };
    let ledger = ledger.to_str().unwrap();
    for year in ["2020", "2022", "2024"] {
        let o = harvest(&[
            "report",
            ledger,
            "--year",
            year,
            "--wash-window",
            "30",
            "--format",
            "json",
            "-q",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let rows = v["form_8949"].as_array().unwrap();
        let w = rows.iter().filter(|r| r["adjustment_code"] == "W").count();
        assert!(w > 0, "a busy year has wash sales under a 30-day window");
        for r in rows.iter().filter(|r| r["adjustment_code"] == "W") {
            let d = |k: &str| {
                r[k].as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap()
            };
            assert!(d("adjustment") > rust_decimal::Decimal::ZERO);
            assert_eq!(d("gain"), d("proceeds") - d("cost_basis") + d("adjustment"));
            assert!(
                d("gain") <= rust_decimal::Decimal::ZERO,
                "a disallowed loss never becomes a gain"
            );
        }
    }
}

#[test]
fn universal_scope_and_report_run_clean() {
    let dir = tempfile::tempdir().unwrap();
    let Some(ledger) = generate(dir.path(), 6000, 7, false) else {
        return;
    };
    let ledger = ledger.to_str().unwrap();
    for scope in ["wallet", "universal"] {
        for year in ["2020", "2023"] {
            let o = harvest(&[
                "report", ledger, "--year", year, "--scope", scope, "--format", "json", "-q",
            ]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            // Schedule D line 3 + line 10 (boxes C and F) equals the sum of the rows.
            let sum: rust_decimal::Decimal = v["form_8949"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    r["gain"]
                        .as_str()
                        .unwrap()
                        .parse::<rust_decimal::Decimal>()
                        .unwrap()
                })
                .sum();
            let l3: rust_decimal::Decimal =
                v["schedule_d"]["line_3"].as_str().unwrap().parse().unwrap();
            let l10: rust_decimal::Decimal = v["schedule_d"]["line_10"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(sum, l3 + l10);
        }
    }
}

/// The 100,000-row end-to-end run (issue 6): every method, in a release build
/// well under 10 seconds on the CI machine.
#[test]
fn a_hundred_thousand_rows_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let Some(ledger) = generate(dir.path(), 100_000, 1, false) else {
        return;
    };
    let ledger = ledger.to_str().unwrap();
    for method in ["fifo", "lifo", "hifo"] {
        let start = std::time::Instant::now();
        let o = harvest(&[
            "report", ledger, "--year", "2021", "--method", method, "--format", "csv", "-q",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        eprintln!("100k rows, report {method}: {:?}", start.elapsed());
        assert!(o.stdout.len() > 1000);
    }
}
