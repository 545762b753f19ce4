//! Issue 25, the planner, end to end (what is built so far).

mod common;
use common::ok;

use serde_json::Value;

/// Issue 25 item 4 (in part): a lot's own recent purchase is no wash risk for
/// itself; another lot of the asset bought within the window is.
#[test]
fn a_lot_is_no_wash_risk_for_itself() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.csv");
    let prices = dir.path().join("prices.csv");
    std::fs::write(&prices, "time,asset,price\n2026-11-30,ETH,2000\n").unwrap();
    let head = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n";
    let run = |rows: &str| -> Vec<(String, String)> {
        std::fs::write(&ledger, format!("{head}{rows}")).unwrap();
        let j: Value = serde_json::from_str(&ok(&[
            "scan",
            ledger.to_str().unwrap(),
            "--prices",
            prices.to_str().unwrap(),
            "--as-of",
            "2026-12-01",
            "--format",
            "json",
            "-q",
        ]))
        .unwrap();
        j["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["lot_id"].as_str().unwrap().to_string(),
                    c["wash_risk"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Bought 20 days ago, now at a loss, nothing else bought: no risk.
    let one = "b1,2026-11-11T00:00:00Z,coinbase,buy,3000,USD,1,ETH,,,,,,\n";
    assert_eq!(run(one), [("b1".to_string(), "no".to_string())]);
    // Another lot bought 5 days ago: b1's loss would wash (info: no rule
    // applies to digital assets today); b2, whose only recent purchase other
    // than itself is b1 (20 days ago), too.
    let two = format!("{one}b2,2026-11-26T00:00:00Z,coinbase,buy,2500,USD,1,ETH,,,,,,\n");
    let got = run(&two);
    assert!(
        got.contains(&("b1".to_string(), "info".to_string())),
        "{got:?}"
    );
    assert!(
        got.contains(&("b2".to_string(), "info".to_string())),
        "{got:?}"
    );
}
