//! `harvest reconcile` and `report --1099da` end to end, on fixtures/reconcile/:
//! a ledger and two 1099-DA files with a matching row, a basis mismatch (code B),
//! a row only the broker has, a row only we have, a row whose proceeds leave out
//! the fee (code E) and a row dated a day later. Whole outputs are compared with
//! tests/golden/ (rewrite them with HARVEST_UPDATE_GOLDEN=1 and review the diff).

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

fn harvest(args: &[&str]) -> Output {
    Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs harvest, expects success, and compares stdout with tests/golden/NAME.
fn golden(name: &str, args: &[&str]) -> Output {
    let o = harvest(args);
    assert!(
        o.status.success(),
        "harvest {args:?} failed: {}",
        stderr(&o)
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let got = String::from_utf8(o.stdout.clone()).unwrap();
    if std::env::var_os("HARVEST_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).unwrap();
        return o;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with HARVEST_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(got, want, "output of harvest {args:?} differs from {name}");
    o
}

/// Expects exit status 1, nothing on stdout, and every `needle` on stderr.
fn fails_with(args: &[&str], needles: &[&str]) {
    let o = harvest(args);
    assert_eq!(o.status.code(), Some(1), "harvest {args:?}: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "stdout not empty");
    let err = stderr(&o);
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
}

const LEDGER: &str = "fixtures/reconcile/ledger.csv";
const CB: &str = "fixtures/reconcile/coinbase-1099da.csv";
const KR: &str = "kraken=fixtures/reconcile/kraken-1099da.csv";

fn args<'a>(cmd: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        cmd, LEDGER, "--1099da", CB, "--1099da", KR, "--year", "2025",
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn reconcile_table_csv_and_json() {
    golden("reconcile-2025.txt", &args("reconcile", &[]));
    golden(
        "reconcile-2025.csv",
        &args("reconcile", &["--format", "csv"]),
    );
    let o = golden(
        "reconcile-2025.json",
        &args("reconcile", &["--format", "json"]),
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v["broker_rows"].as_array().unwrap();
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(
        status,
        ["matched", "matched", "broker_only", "matched", "matched"]
    );
    let form = |i: usize| &rows[i]["match"]["form_8949"][0];
    // The matching row: box K, no code.
    assert_eq!(form(0)["box"], "K");
    assert_eq!(form(0)["adjustment_code"], "");
    // The basis mismatch: box G, the broker's basis in (e), code B.
    assert_eq!(form(1)["box"], "G");
    assert_eq!(form(1)["cost_basis"], "1650.00");
    assert_eq!(form(1)["adjustment_code"], "B");
    assert_eq!(form(1)["adjustment"], "-8.25");
    assert_eq!(form(1)["gain"], "132.75");
    // The fee the broker left out of 1f: code E, negative.
    assert_eq!(form(3)["proceeds"], "1500.00");
    assert_eq!(form(3)["adjustment_code"], "E");
    assert_eq!(form(3)["adjustment"], "-3.90");
    assert_eq!(form(3)["gain"], "-7.80");
    // A day later on the 1099-DA: matched, with a date difference.
    assert_eq!(rows[4]["match"]["date_difference_days"], 1 - 2);
    assert_eq!(rows[4]["match"]["differences"]["date"], true);
    let only: Vec<&str> = v["only_ours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["disposal_id"].as_str().unwrap())
        .collect();
    assert_eq!(only, ["cb-s3"]);
    assert_eq!(v["no_1099da"][0]["account"], "ledger-nano");
    assert_eq!(v["summary"]["proceeds"]["difference_matched"], "3.90");
}

#[test]
fn reconcile_writes_atomically_with_o() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.csv");
    let out_s = out.to_str().unwrap();
    let o = harvest(&args("reconcile", &["--format", "csv", "-o", out_s]));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("status,source,transaction_id,account,asset,"));
    assert!(o.stdout.is_empty());
}

#[test]
fn report_with_1099da_routes_boxes_codes_and_schedule_d_lines() {
    let o = golden("report-1099da-2025.txt", &args("report", &[]));
    let err = stderr(&o);
    assert!(
        err.contains("1 row only on the 1099-DA, and 1 of our rows")
            && err.contains("harvest reconcile"),
        "{err}"
    );
    let o = harvest(&args("report", &["--format", "json", "-q"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stderr.is_empty());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = &v["schedule_d"];
    assert_eq!(d["line_1b"], "132.75");
    assert_eq!(d["line_2"], "0.00");
    assert_eq!(d["line_9"], "4279.25");
    assert_eq!(d["line_10"], "3633.00");
    // The routing never changes a gain: Schedule D line 16 is the same as
    // without the 1099-DA.
    let plain = harvest(&["report", LEDGER, "--year", "2025", "--format", "json"]);
    let p: Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(p["schedule_d"]["line_16"], d["line_16"]);
    // Without the forms, Coinbase's and Kraken's 2025 sales are in box K
    // (brokers report gross proceeds only for 2025), the Ledger's in L.
    assert_eq!(p["schedule_d"]["line_9"], "7244.25");
    assert_eq!(p["schedule_d"]["line_10"], "668.00");
    let boxes: Vec<&str> = v["boxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["box"].as_str().unwrap())
        .collect();
    assert_eq!(boxes, ["G", "K", "L"]);
}

fn temp_file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn a_missing_column_is_exit_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let f = temp_file(
        dir.path(),
        "da.csv",
        "account,asset,date_sold,proceeds\ncoinbase,BTC,2025-03-12,8159\n",
    );
    fails_with(
        &["reconcile", LEDGER, "--1099da", &f, "--year", "2025"],
        &["da.csv:1: missing required column `units`", "1c"],
    );
    // Without an account column the file needs ACCOUNT=FILE.
    let f = temp_file(
        dir.path(),
        "noacct.csv",
        "asset,units,date_sold,proceeds\nBTC,0.1,2025-03-12,8159\n",
    );
    fails_with(
        &["report", LEDGER, "--1099da", &f, "--year", "2025"],
        &["missing required column `account`", "--1099da ACCOUNT=FILE"],
    );
    let spec = format!("coinbase={f}");
    let o = harvest(&["reconcile", LEDGER, "--1099da", &spec, "--year", "2025"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_bad_number_is_exit_1_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = temp_file(
        dir.path(),
        "da.csv",
        "account,asset,units,date_sold,proceeds\ncoinbase,BTC,0.1,2025-03-12,8159\ncoinbase,ETH,0.5,2025-06-10,\"1,79.00\"\n",
    );
    fails_with(
        &["reconcile", LEDGER, "--1099da", &f, "--year", "2025"],
        &[
            "1 bad cell in the 1099-DA file",
            "da.csv:3:5: column `proceeds` \"1,79.00\": is not a number",
        ],
    );
}

#[test]
fn an_unknown_account_is_exit_1_listing_the_ledgers() {
    let dir = tempfile::tempdir().unwrap();
    let f = temp_file(
        dir.path(),
        "da.csv",
        "account,asset,units,date_sold,proceeds\nCoinbase Pro,BTC,0.1,2025-03-12,8159\n",
    );
    fails_with(
        &["reconcile", LEDGER, "--1099da", &f, "--year", "2025"],
        &[
            "da.csv:2: account `Coinbase Pro` is not in the ledger (its accounts: coinbase, kraken, ledger-nano)",
            "--1099da ACCOUNT=FILE",
        ],
    );
}

#[test]
fn reconcile_needs_a_1099da_and_a_table_csv_or_json_format() {
    let o = harvest(&["reconcile", LEDGER, "--year", "2025"]);
    assert_eq!(o.status.code(), Some(2));
    let o = harvest(&args("reconcile", &["--format", "txf"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
