//! The 2025 rules end to end (issue 9): the Rev. Proc. 2024-28 transition with a
//! global allocation rule and a frozen allocation reused in later years, and
//! identification in time (standing orders, --strict-identification).
//! fixtures/transition: coinbase buys BTC in 2023-2024 and moves 1.5 to `cold`
//! in 2024; on 2025-01-01 cold holds 1.5 and coinbase 1 (plus 1 ETH).

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/transition")
}

/// Runs harvest in fixtures/transition (so its harvest.toml, rule
/// oldest-first, applies unless --config says otherwise).
fn harvest(args: &[&str]) -> Output {
    Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(dir())
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> (String, String) {
    let o = harvest(args);
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(o.status.success(), "harvest {args:?}: {err}");
    (String::from_utf8(o.stdout).unwrap(), err)
}

fn golden(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("HARVEST_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {name}; run with HARVEST_UPDATE_GOLDEN=1"));
    assert_eq!(got, want, "differs from {name}");
}

/// The lot each disposal of a gains CSV sold: "disposal:lot:quantity".
fn picks(csv: &str) -> Vec<String> {
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{}:{}:{}", f[0], f[1], f[3])
        })
        .collect()
}

#[test]
fn allocation_by_the_named_rule() {
    let (table, err) = ok(&["allocation", "ledger.csv"]);
    assert!(err.is_empty(), "a named rule needs no warning: {err}");
    golden("transition-allocation.txt", &table);
    let (csv, _) = ok(&["allocation", "ledger.csv", "--format", "csv"]);
    golden("transition-allocation.csv", &csv);
    let (json, _) = ok(&["allocation", "ledger.csv", "--format", "json"]);
    golden("transition-allocation.json", &json);
    // Oldest first to the wallet with the most units: cold (1.5) gets what is
    // left of t-1 and all of t-2; coinbase (1) gets t-3.
    assert!(csv.contains("BTC,cold,t-1,0.5,10000.00,2023-01-10,2025-01-01,"));
    assert!(csv.contains("BTC,cold,t-2,1,30000.00,2023-06-10,2025-01-01,"));
    assert!(csv.contains("BTC,coinbase,t-3,1,50000.00,2024-02-10,2025-01-01,"));
}

#[test]
fn another_rule_allocates_differently_and_unnamed_rules_warn() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("h.toml");
    std::fs::write(&cfg, "[transition]\nrule = \"highest-basis-first\"\n").unwrap();
    let cfg = cfg.to_str().unwrap();
    let (csv, _) = ok(&[
        "allocation",
        "ledger.csv",
        "--format",
        "csv",
        "--config",
        cfg,
    ]);
    assert!(csv.contains("BTC,cold,t-3,1,50000.00,"), "{csv}");
    assert!(csv.contains("BTC,cold,t-2,0.5,15000.00,"), "{csv}");
    assert!(csv.contains("BTC,coinbase,t-2,0.5,15000.00,"), "{csv}");
    assert!(csv.contains("BTC,coinbase,t-1,0.5,10000.00,"), "{csv}");
    // Listed wallets first.
    std::fs::write(
        tmp.path().join("w.toml"),
        "[transition]\nrule = \"oldest-first\"\nwallets = [\"coinbase\"]\n",
    )
    .unwrap();
    let w = tmp.path().join("w.toml");
    let (csv, _) = ok(&[
        "allocation",
        "ledger.csv",
        "--format",
        "csv",
        "--config",
        w.to_str().unwrap(),
    ]);
    assert!(csv.contains("BTC,coinbase,t-1,0.5,"), "{csv}");
    assert!(csv.contains("BTC,coinbase,t-2,0.5,"), "{csv}");
    assert!(csv.contains("BTC,cold,t-2,0.5,"), "{csv}");
    assert!(csv.contains("BTC,cold,t-3,1,"), "{csv}");
    // No rule named: the default is used, and said so.
    std::fs::write(tmp.path().join("empty.toml"), "").unwrap();
    let e = tmp.path().join("empty.toml");
    let (_, err) = ok(&["allocation", "ledger.csv", "--config", e.to_str().unwrap()]);
    assert!(err.contains("no allocation rule in harvest.toml"), "{err}");
    // A rule recorded in 2025 is too late for a global allocation.
    std::fs::write(
        tmp.path().join("late.toml"),
        "[transition]\nrule = \"oldest-first\"\nrecorded = 2025-02-01\n",
    )
    .unwrap();
    let l = tmp.path().join("late.toml");
    let (_, err) = ok(&["allocation", "ledger.csv", "--config", l.to_str().unwrap()]);
    assert!(
        err.contains("must be written in your books before 2025-01-01"),
        "{err}"
    );
}

#[test]
fn a_frozen_allocation_is_reused_every_year_after() {
    let tmp = tempfile::tempdir().unwrap();
    let alloc = tmp.path().join("allocation-2025.csv");
    let alloc_s = alloc.to_str().unwrap();
    ok(&["allocation", "ledger.csv", "--format", "csv", "-o", alloc_s]);
    // The rule later changes in harvest.toml: the frozen file still decides.
    let other = tmp.path().join("h.toml");
    std::fs::write(&other, "[transition]\nrule = \"highest-basis-first\"\n").unwrap();
    let other = other.to_str().unwrap();
    for year in ["2025", "2026"] {
        let (by_rule, _) = ok(&["gains", "ledger.csv", "--year", year, "--format", "csv"]);
        let (frozen, err) = ok(&[
            "gains",
            "ledger.csv",
            "--year",
            year,
            "--format",
            "csv",
            "--allocation",
            alloc_s,
            "--config",
            other,
        ]);
        assert_eq!(
            frozen, by_rule,
            "{year}: the frozen allocation is the one made"
        );
        assert!(err.is_empty(), "{err}");
        let (changed, _) = ok(&[
            "gains",
            "ledger.csv",
            "--year",
            year,
            "--format",
            "csv",
            "--config",
            other,
        ]);
        assert_ne!(
            changed, by_rule,
            "{year}: without the file the new rule would apply"
        );
    }
    let (g, _) = ok(&[
        "gains",
        "ledger.csv",
        "--year",
        "2025",
        "--format",
        "csv",
        "--allocation",
        alloc_s,
    ]);
    golden("transition-gains-2025.csv", &g);
    // cold sells t-1 first: the allocation gave it the oldest units.
    assert!(picks(&g).contains(&"s-4:t-1:0.5".to_string()), "{g}");
    // Writing the allocation again from the frozen file gives the same file back.
    let again = tmp.path().join("again.csv");
    ok(&[
        "allocation",
        "ledger.csv",
        "--format",
        "csv",
        "--allocation",
        alloc_s,
        "-o",
        again.to_str().unwrap(),
    ]);
    let a = std::fs::read_to_string(&alloc).unwrap();
    let b = std::fs::read_to_string(&again).unwrap();
    let rows = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.split(",2025-01-01,").next().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        rows(&a),
        rows(&b),
        "same rows (only the rule column names the file)"
    );
}

#[test]
fn a_frozen_allocation_that_does_not_fit_the_ledger_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("bad.csv");
    let f_s = f.to_str().unwrap();
    let header = "asset,wallet,lot_id,quantity\n";
    for (row, needle) in [
        (
            "BTC,cold,t-9,0.5",
            "bad.csv:2: lot t-9 of BTC has no unused basis left",
        ),
        (
            "BTC,cold,t-1,0.75",
            "bad.csv:2: allocates 0.75 BTC of lot t-1, which has only 0.5 left",
        ),
        (
            "BTC,vault,t-1,0.5",
            "bad.csv:2: wallet \"vault\" is not an account of the ledger",
        ),
        ("BTC,cold,t-1,abc", "bad.csv:2: column quantity \"abc\""),
    ] {
        std::fs::write(&f, format!("{header}{row}\n")).unwrap();
        let o = harvest(&[
            "report",
            "ledger.csv",
            "--year",
            "2025",
            "--allocation",
            f_s,
        ]);
        assert_eq!(o.status.code(), Some(1), "{row}");
        assert!(o.stdout.is_empty());
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(err.contains(needle), "{row}: {err}");
    }
    // A partial file: what it leaves out stays unallocated, with warnings.
    std::fs::write(&f, "asset,wallet,lot_id,quantity\nBTC,cold,t-1,0.5\nBTC,cold,t-2,1\nBTC,coinbase,t-3,0.5\nETH,coinbase,e-1,1\n").unwrap();
    let o = harvest(&[
        "lots",
        "ledger.csv",
        "--as-of",
        "2025-01-01",
        "--allocation",
        f_s,
        "--format",
        "csv",
    ]);
    assert!(o.status.success());
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("0.5 BTC of unused basis are not in the allocation file"),
        "{err}"
    );
    assert!(
        err.contains("coinbase held 1 BTC but only 0.5 of them received unused basis"),
        "{err}"
    );
    assert!(
        String::from_utf8(o.stdout)
            .unwrap()
            .contains("BTC,(unallocated),t-3,")
    );
    // A file written for another day.
    std::fs::write(
        &f,
        "asset,wallet,lot_id,quantity,as_of\nBTC,cold,t-1,0.5,2025-06-01\n",
    )
    .unwrap();
    let o = harvest(&[
        "report",
        "ledger.csv",
        "--year",
        "2025",
        "--allocation",
        f_s,
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn standing_orders_apply_from_their_dates() {
    let (g, err) = ok(&[
        "gains",
        "ledger.csv",
        "--year",
        "2025",
        "--format",
        "csv",
        "--config",
        "standing.toml",
    ]);
    golden("transition-standing-2025.csv", &g);
    // March: HIFO takes the 90,000 lot bought in January; July: FIFO again,
    // the 2024 lot; cold has no standing order: FIFO.
    assert_eq!(picks(&g), ["s-2:t-4:0.5", "s-3:t-3:0.5", "s-4:t-1:0.5"]);
    assert!(!err.contains("not identified in time"), "{err}");
    // --method says HIFO, but nothing recorded it by the sales: the law's
    // default, FIFO, takes each 2025 disposal, with a warning each.
    let (s, err) = ok(&[
        "gains",
        "ledger.csv",
        "--year",
        "2025",
        "--format",
        "csv",
        "--method",
        "hifo",
    ]);
    assert_eq!(
        err.matches("the law's default from 2025").count(),
        4,
        "{err}"
    );
    assert_eq!(picks(&s)[1], "s-3:t-3:0.5");
    // --strict-identification is that default, and stays accepted.
    let (strict, _) = ok(&[
        "gains",
        "ledger.csv",
        "--year",
        "2025",
        "--format",
        "csv",
        "--method",
        "hifo",
        "--strict-identification",
        "-q",
    ]);
    assert_eq!(s, strict);
    // --late-identification: the what-if in which HIFO picks them anyway.
    let (h, err) = ok(&[
        "gains",
        "ledger.csv",
        "--year",
        "2025",
        "--format",
        "csv",
        "--method",
        "hifo",
        "--late-identification",
    ]);
    assert_eq!(
        err.matches("from 2025 only a standing order or a specific identification")
            .count(),
        4,
        "{err}"
    );
    assert!(err.contains("what-if, not a filing position"), "{err}");
    assert!(picks(&h).contains(&"s-3:t-4:0.5".to_string()), "{h}");
    // A standing order covers the same disposals under --method hifo: no
    // warning but for cold's sales.
    let (_, err) = ok(&[
        "gains",
        "ledger.csv",
        "--year",
        "2025",
        "--method",
        "hifo",
        "--config",
        "standing.toml",
    ]);
    assert_eq!(
        err.matches("the law's default from 2025").count(),
        2,
        "only cold's sales: {err}"
    );
}

#[test]
fn bad_standing_orders_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for (text, needle) in [
        (
            "[[standing_order]]\nfrom = \"soon\"\nmethod = \"hifo\"\n",
            "is not a date",
        ),
        (
            "[[standing_order]]\nfrom = 2025-01-01\nmethod = \"specific\"\n",
            "method is fifo, lifo or hifo",
        ),
        (
            "[[standing_order]]\nfrom = 2025-01-01\nmethod = \"hifo\"\nwhen = 1\n",
            "unknown field",
        ),
        (
            "[transition]\nrule = \"biggest\"\n",
            "is not a rule: use oldest-first",
        ),
    ] {
        let f = tmp.path().join("h.toml");
        std::fs::write(&f, text).unwrap();
        let o = harvest(&[
            "gains",
            "ledger.csv",
            "--year",
            "2025",
            "--config",
            f.to_str().unwrap(),
        ]);
        assert_ne!(o.status.code(), Some(0));
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(err.contains(needle), "{text}: {err}");
    }
    // A typo in an account name is not silent.
    let f = tmp.path().join("h.toml");
    std::fs::write(&f, "[transition]\nrule = \"oldest-first\"\n[[standing_order]]\nfrom = 2025-01-01\nmethod = \"hifo\"\naccounts = [\"coinbsae\"]\n").unwrap();
    let (_, err) = ok(&[
        "gains",
        "ledger.csv",
        "--year",
        "2025",
        "--config",
        f.to_str().unwrap(),
    ]);
    assert!(
        err.contains("names account \"coinbsae\", which no ledger row uses"),
        "{err}"
    );
}

/// The "done": a 2024 universal history, its allocation frozen, a 2025
/// per-wallet year, and the broker's 1099-DA routing the 8949 rows.
#[test]
fn universal_history_frozen_allocation_and_a_1099da() {
    let tmp = tempfile::tempdir().unwrap();
    let alloc = tmp.path().join("allocation-2025.csv");
    let alloc = alloc.to_str().unwrap();
    ok(&["allocation", "ledger.csv", "--format", "csv", "-o", alloc]);
    let (csv, err) = ok(&[
        "report",
        "ledger.csv",
        "--year",
        "2025",
        "--allocation",
        alloc,
        "--1099da",
        "coinbase=coinbase-1099da.csv",
        "--format",
        "csv",
    ]);
    assert!(err.is_empty(), "{err}");
    assert_eq!(
        csv,
        "disposal_id,lot_id,asset,quantity,account,date_acquired,date_sold,term,box,description,proceeds,cost_basis,adjustment_code,adjustment,gain
s-3,t-3,BTC,0.5,coinbase,2024-02-10,2025-07-01,long,J,0.5 BTC,50000.00,24000.00,B,-1000.00,25000.00
s-2,t-3,BTC,0.5,coinbase,2024-02-10,2025-03-01,long,K,0.5 BTC,40000.00,25000.00,,,15000.00
s-4,t-1,BTC,0.5,cold,2023-01-10,2025-09-01,long,L,0.5 BTC,55000.00,10000.00,,,45000.00
"
    );
    let (json, _) = ok(&[
        "reconcile",
        "ledger.csv",
        "--year",
        "2025",
        "--allocation",
        alloc,
        "--1099da",
        "coinbase=coinbase-1099da.csv",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["broker_rows"], 2, "{json}");
}

/// A wallet full of tokens at the transition: 5,000 tokens, each bought in one
/// of 40 wallets in 2024 and half moved to one of 25 others, so that every
/// token is allocated between two wallets, then sold in 2025. The allocation
/// (each format), the report by the rule, and the report from the allocation
/// frozen and passed back agree; the frozen file written again is the same.
/// (Each asset's wallets and file lines were once searched for among all of
/// them: 100,000 tokens took 7 s to allocate, 61 s from a frozen file.)
#[test]
fn many_tokens_in_many_wallets_allocate_and_reconcile() {
    use std::fmt::Write as _;
    let tmp = tempfile::tempdir().unwrap();
    let mut ledger = String::from(
        "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n",
    );
    let t0 = chrono::DateTime::parse_from_rfc3339("2024-06-01T00:00:00Z").unwrap();
    let at = |secs: i64| (t0 + chrono::Duration::seconds(secs)).format("%Y-%m-%dT%H:%M:%SZ");
    for k in 0..5000i64 {
        let (a, w, v) = (format!("TK{k}"), k % 40, k % 25);
        let t = k * 60;
        writeln!(
            ledger,
            "b{k},{},w{w},buy,{},USD,100,{a},,,,,,",
            at(t),
            10 + k % 7
        )
        .unwrap();
        writeln!(ledger, "x{k},{},w{w},withdrawal,50,{a},,,,,,,,", at(t + 10)).unwrap();
        writeln!(ledger, "y{k},{},v{v},deposit,,,50,{a},,,,,,", at(t + 20)).unwrap();
        writeln!(
            ledger,
            "s{k},{},v{v},sell,30,{a},4,USD,,,,,,",
            at(t + 300 * 86400)
        )
        .unwrap();
    }
    let ledger_path = tmp.path().join("tokens.csv");
    std::fs::write(&ledger_path, ledger).unwrap();
    let l = ledger_path.to_str().unwrap();
    let alloc = tmp.path().join("allocation.csv");
    let alloc_s = alloc.to_str().unwrap();
    ok(&["allocation", l, "--format", "csv", "-o", alloc_s]);
    let a = std::fs::read_to_string(&alloc).unwrap();
    // A line for each token in each of its two wallets, and the header.
    assert_eq!(a.lines().count(), 1 + 2 * 5000, "{}", &a[..300]);
    for format in ["table", "json"] {
        let (out, _) = ok(&["allocation", l, "--format", format]);
        assert!(out.contains("TK4999"), "{format}");
    }
    let (by_rule, _) = ok(&["report", l, "--year", "2025", "--format", "csv"]);
    let (frozen, _) = ok(&[
        "report",
        l,
        "--year",
        "2025",
        "--format",
        "csv",
        "--allocation",
        alloc_s,
    ]);
    assert_eq!(frozen, by_rule);
    let (again, _) = ok(&["allocation", l, "--format", "csv", "--allocation", alloc_s]);
    let rows = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.split(",2025-01-01,").next().unwrap().to_string())
            .collect()
    };
    assert_eq!(rows(&again), rows(&a));
}
