//! Issue 22, end to end (fixtures/gifts/ledger.csv): a person with a gift from
//! a parent, an inheritance and a donation files Form 8949, Schedule D and
//! Form 8283 from harvest's outputs alone.
//!
//! By hand: 2 ETH bought in 2022 for 6,000. Dad gives 0.5 BTC (his basis
//! 30,000, 2019-06-01; worth 45,000) and 10 SOL (his basis 2,500, 2022-01-01;
//! worth 1,500: two bases). Aunt May's 1 BTC is inherited at 84,000 (death
//! 2025-03-20). 0.5 inherited BTC sold five days after it arrived for 43,000:
//! long-term, gain 1,000, "INHERITED" in column (b). 0.5 ETH lost to a scam:
//! no row, basis 1,500. 5 SOL sold for 600, below their fair value 750: a loss
//! of 150 from the fair value, short-term from the gift. 5 SOL sold for 1,000,
//! between 750 and 1,250: no gain or loss. 1 ETH (basis 3,000, long-term) given
//! to a public charity worth 3,800: deduction 3,800, Form 8283. The gifted 0.5
//! BTC sold for 48,000: gain 18,000, long-term with Dad's date. 0.2 BTC worth
//! 20,000 given to a nephew: over the 19,000 exclusion, Form 709. Line 7 =
//! -150; line 15 = 1,000 + 0 + 18,000 = 19,000; line 16 = 18,850.

mod common;
use common::{golden, ok};

use assert_cmd::Command;
use serde_json::Value;

const LEDGER: &str = "fixtures/gifts/ledger.csv";

#[test]
fn the_report_lists_every_kind_in_every_format() {
    golden(
        "gifts-report-2025.txt",
        &ok(&["report", LEDGER, "--year", "2025"]),
    );
    golden(
        "gifts-report-2025.json",
        &ok(&["report", LEDGER, "--year", "2025", "--format", "json"]),
    );
    golden(
        "gifts-gains-2025.csv",
        &ok(&["gains", LEDGER, "--year", "2025", "--format", "csv"]),
    );
    let html = ok(&["report", LEDGER, "--year", "2025", "--format", "html"]);
    assert!(html.contains("<td>INHERITED</td>"), "{html}");
    assert!(html.contains("<section id=\"gifts\">"));
    assert!(html.contains("Wikimedia Foundation (public)"));
    let txf = ok(&["report", LEDGER, "--year", "2025", "--format", "txf"]);
    assert!(
        txf.contains("P0.5 BTC\r\nDINHERITED\r\nD04/20/2025\r\n"),
        "{txf}"
    );
}

#[test]
fn figures_match_hand_arithmetic() {
    let j: Value = serde_json::from_str(&ok(&[
        "report", LEDGER, "--year", "2025", "--format", "json",
    ]))
    .unwrap();
    assert_eq!(j["schedule_d"]["line_7"], "-150.00");
    assert_eq!(j["schedule_d"]["line_15"], "19000.00");
    assert_eq!(j["schedule_d"]["line_16"], "18850.00");
    let rows = j["form_8949"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let row = |id: &str| rows.iter().find(|r| r["disposal_id"] == id).unwrap();
    assert_eq!(row("s1")["date_acquired"], "2025-03-20");
    assert_eq!(row("s1")["term"], "long");
    assert_eq!(row("s1")["inherited"], true);
    assert_eq!(row("s2")["cost_basis"], "750.00");
    assert_eq!(row("s2")["date_acquired"], "2025-03-01");
    assert_eq!(row("s2")["basis_rule"], "gift_fair_value");
    assert_eq!(row("s3")["cost_basis"], row("s3")["proceeds"]);
    assert_eq!(row("s3")["gain"], "0.00");
    assert_eq!(row("s4")["date_acquired"], "2019-06-01");
    assert_eq!(row("s4")["gain"], "18000.00");
    assert!(row("s4").get("basis_rule").is_none());
    let don = &j["donations"];
    assert_eq!(don["deduction"], "3800.00");
    assert_eq!(don["form_8283_required"], true);
    assert_eq!(don["groups"][0]["appraisal_required"], false);
    let lot = &don["rows"][0]["lots"][0];
    assert_eq!(lot["date_acquired"], "2022-01-10");
    assert_eq!(lot["how_acquired"], "purchase");
    assert_eq!(lot["basis"], "3000.00");
    assert_eq!(lot["term"], "long");
    let gifts = &j["gifts_given"];
    assert_eq!(gifts["annual_exclusion"], "19000.00");
    assert_eq!(gifts["recipients"][0]["over_exclusion"], true);
    assert_eq!(gifts["rows"][0]["basis"], "16800.00");
    assert_eq!(j["lost"]["basis"], "1500.00");
    assert_eq!(j["lost"]["rows"][0]["category"], "scam");
    let received = j["gifts_received"].as_array().unwrap();
    assert_eq!(received.len(), 3);
    assert_eq!(received[1]["dual_basis"], true);
    // What is still held: 0.3 inherited BTC at 25,200, 0.5 ETH at 1,500.
    let lots = ok(&["lots", LEDGER, "--format", "csv"]);
    assert!(
        lots.contains("BTC,ledger-nano,i1,2025-03-20,0.3,25200.00,84000"),
        "{lots}"
    );
    assert!(
        lots.contains("ETH,coinbase,b1,2022-01-10,0.5,1500.00,3000"),
        "{lots}"
    );
}

#[test]
fn bad_rows_of_the_new_kinds_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let h = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note,category,basis_usd,acquired\n";
    for (row, want) in [
        (
            "g,2025-01-01,cb,gift-in,,,1,BTC,,,100,,,,,,",
            "column basis_usd \"\": is needed: a gift-in row",
        ),
        (
            "g,2025-01-01,cb,gift-in,,,1,BTC,,,100,,,,,50,2026-01-01",
            "acquired 2026-01-01 is after the row's own date 2025-01-01",
        ),
        (
            "g,2025-01-01,cb,gift-in,,,1,BTC,,,,,,,,50,2024-01-01",
            "no USD value for BTC",
        ),
        (
            "b,2024-01-01,cb,buy,10,USD,1,BTC,,,,,,,,,\nx,2025-01-01,cb,donation,1,BTC,,,,,,,,,public,,",
            "no USD value for BTC",
        ),
        (
            "x,2025-01-01,cb,donation,1,BTC,,,,,5,,,,,,",
            "a donation needs category public",
        ),
    ] {
        let f = dir.path().join("l.csv");
        std::fs::write(&f, format!("{h}{row}\n")).unwrap();
        let o = Command::cargo_bin("harvest")
            .unwrap()
            .args(["report", f.to_str().unwrap(), "--year", "2025"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{row}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(want), "{row}: {e}");
    }
}

/// Issue 22 item 7 (fixtures/collectibles): an NFT marked a collectible in
/// harvest.toml gets code C, and its long-term gain goes through the 28% Rate
/// Gain Worksheet: 15,000 less the 1,000 short-term loss is line 18, 14,000.
#[test]
fn collectibles_get_code_c_and_line_18() {
    let dir = common::copy_fixture("fixtures/collectibles");
    let run = |args: &[&str]| {
        Command::cargo_bin("harvest")
            .unwrap()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&["report", "ledger.csv", "--year", "2025", "--format", "json"]);
    assert!(o.status.success());
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["schedule_d"]["line_18"], "14000.00");
    assert_eq!(j["schedule_d"]["line_16"], "19000.00");
    let nft = j["form_8949"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["asset"] == "PUNK-1234")
        .unwrap();
    assert_eq!(nft["adjustment_code"], "C");
    assert_eq!(nft["gain"], "15000.00");
    let csv = String::from_utf8(
        run(&["gains", "ledger.csv", "--year", "2025", "--format", "csv"]).stdout,
    )
    .unwrap();
    assert!(
        csv.contains(",long,L,1 PUNK-1234,35000.00,20000.00,C,0.00,15000.00\n"),
        "{csv}"
    );
    // TurboTax's CSV cannot say code C: refused, naming the row; TaxAct carries it.
    let o = run(&[
        "report",
        "ledger.csv",
        "--year",
        "2025",
        "--format",
        "turbotax",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("1 row of collectibles needs it: disposal s2 (lot b1)"),
        "{e}"
    );
    let o = run(&[
        "report",
        "ledger.csv",
        "--year",
        "2025",
        "--format",
        "taxact",
    ]);
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("1 PUNK-1234,02/01/2023,06/01/2025,35000.00,20000.00,Long,C,0.00")
    );
    // Without the setting the NFT is an ordinary digital asset.
    std::fs::remove_file(dir.path().join("harvest.toml")).unwrap();
    let o = run(&["report", "ledger.csv", "--year", "2025", "--format", "json"]);
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["schedule_d"]["line_18"], "0.00");
}
