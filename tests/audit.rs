//! Issue 23 item 1, end to end: `harvest audit` traces each Form 8949 row to
//! the input rows (fixtures/audit: a lot bought on Coinbase, moved to a Ledger
//! and on to Kraken, losing 0.0001 BTC to a network fee, and sold there in 2024
//! and 2025), for a ledger and for an export given directly; `report --format
//! html` links each row to its trail.

mod common;
use common::{golden, ok};

use serde_json::Value;

const LEDGER: &str = "fixtures/audit/ledger.csv";

#[test]
fn a_lot_through_three_wallets_sold_in_two_years() {
    for year in ["2024", "2025"] {
        golden(
            &format!("audit-{year}.csv"),
            &ok(&["audit", LEDGER, "--year", year, "--format", "csv"]),
        );
        golden(
            &format!("audit-{year}.txt"),
            &ok(&["audit", LEDGER, "--year", year]),
        );
    }
    let j: Value = serde_json::from_str(&ok(&[
        "audit", LEDGER, "--year", "2025", "--format", "json",
    ]))
    .unwrap();
    let row = &j["rows"][0];
    assert_eq!(row["disposal_id"], "s2");
    assert_eq!(row["source_file"], LEDGER);
    assert_eq!(row["source_line"], 2);
    assert_eq!(row["source_id"], "b1");
    let moves = row["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 2);
    assert_eq!(moves[0]["from"], "coinbase");
    assert_eq!(moves[0]["to"], "ledger");
    assert_eq!(moves[0]["deposit"]["line"], 4);
    assert_eq!(moves[1]["withdrawal"]["id"], "w2");
    assert_eq!(moves[1]["fee_lost"], "0.0001");
    // The CSV starts with the columns scripts rely on, one line per row and lot.
    let csv = ok(&["audit", LEDGER, "--year", "2024", "--format", "csv"]);
    assert!(csv.starts_with("disposal_id,lot_id,quantity,source_file,source_line,source_id,"));
    let gains = ok(&["gains", LEDGER, "--year", "2024", "--format", "csv"]);
    assert_eq!(csv.lines().count(), gains.lines().count());
}

/// An export given directly is traced to the export's own file and line; a
/// ledger written by `import` to the ledger's line, its id keeping the
/// exchange's.
#[test]
fn exports_and_imported_ledgers_are_traced_to_their_rows() {
    let export = "fixtures/income/coinbase.csv";
    let csv = ok(&["audit", export, "--year", "2025", "--format", "csv"]);
    // Nothing sold in that export: the header only.
    assert_eq!(csv.lines().count(), 1);
    let dir = tempfile::tempdir().unwrap();
    let sold = dir.path().join("coinbase.csv");
    let mut text = std::fs::read_to_string(export).unwrap();
    text += "c1c1000000000000000000b9,2025-12-01 06:00:00 UTC,Sell,ETH,-0.5,USD,\"$3,600.00\",\"$1,800.00\",\"$1,790.00\",$10.00,Sold 0.5 ETH\n";
    std::fs::write(&sold, text).unwrap();
    let sold = sold.to_str().unwrap();
    let csv = ok(&["audit", sold, "--year", "2025", "--format", "csv"]);
    let line = csv.lines().nth(1).unwrap();
    assert!(
        line.starts_with(&format!(
            "coinbase-c1c1000000000000000000b9,coinbase-c1c1000000000000000000b1,0.5,{sold},5,coinbase-c1c1000000000000000000b1,buy,coinbase,2025-01-10,{sold},11,"
        )),
        "{line}"
    );
    let ledger = dir.path().join("ledger.csv");
    ok(&["import", sold, "-o", ledger.to_str().unwrap()]);
    let ledger = ledger.to_str().unwrap();
    let csv = ok(&["audit", ledger, "--year", "2025", "--format", "csv"]);
    let line = csv.lines().nth(1).unwrap();
    assert!(
        line.starts_with(&format!(
            "coinbase-c1c1000000000000000000b9,coinbase-c1c1000000000000000000b1,0.5,{ledger},2,coinbase-c1c1000000000000000000b1,"
        )),
        "{line}"
    );
}

#[test]
fn the_html_report_links_each_row_to_its_trail() {
    let html = ok(&["report", LEDGER, "--year", "2025", "--format", "html"]);
    assert!(html.contains("<a href=\"#trail-0\">s2</a>"), "{html}");
    assert!(html.contains("<tr id=\"trail-0\">"));
    assert!(html.contains("network fee took 0.0001"));
}

/// Issue 23 item 2 (in part): each account's year ties out with the lots it
/// holds. In 2024 Coinbase opens with nothing (the lot left in 2023), the
/// Ledger opens at 1 and sends 0.9999 plus a 0.0001 fee, and Kraken receives
/// 0.9999 and sells 0.5.
#[test]
fn balances_tie_out_with_the_lots_held() {
    golden(
        "balances-2024.csv",
        &ok(&["balances", LEDGER, "--year", "2024", "--format", "csv"]),
    );
    let j: Value = serde_json::from_str(&ok(&[
        "balances", LEDGER, "--year", "2024", "--format", "json",
    ]))
    .unwrap();
    for b in j["balances"].as_array().unwrap() {
        assert_eq!(b["ties_out"], true, "{b}");
    }
    let kraken = j["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["account"] == "kraken")
        .unwrap();
    assert_eq!(kraken["moved_in"], "0.9999");
    assert_eq!(kraken["disposed"], "0.5");
    assert_eq!(kraken["closing"], "0.4999");
    assert_eq!(kraken["lots_basis"], "4999.00");
    assert_eq!(j["holdings"][0]["lot_id"], "b1");
    assert_eq!(j["holdings"][0]["quantity"], "0.4999");
}

/// Issue 23 item 4 (in part): the run's warnings reach the report's JSON and
/// HTML, not only stderr.
#[test]
fn the_report_carries_the_runs_warnings() {
    let j: Value = serde_json::from_str(&ok(&[
        "report",
        "fixtures/example/ledger.csv",
        "--year",
        "2025",
        "--format",
        "json",
        "-q",
    ]))
    .unwrap();
    let w = &j["warnings"][0];
    assert_eq!(w["kind"], "allocation rule not named");
    assert_eq!(w["count"], 1);
    assert!(
        w["examples"][0]
            .as_str()
            .unwrap()
            .contains("Rev. Proc. 2024-28")
    );
    let html = ok(&[
        "report",
        "fixtures/example/ledger.csv",
        "--year",
        "2025",
        "--format",
        "html",
        "-q",
    ]);
    assert!(html.contains("<section id=\"warnings\">"));
}
