//! Issue 25, the planner, end to end (what is built so far).

mod common;
use common::ok;

use serde_json::Value;

/// `scan --format json` on a ledger of `rows` (after the header) priced by
/// `price` (an ETH price line, `DATE,PRICE`), as of `as_of`, with `extra`.
fn scan(rows: &str, price: &str, as_of: &str, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.csv");
    let prices = dir.path().join("prices.csv");
    std::fs::write(
        &ledger,
        format!("id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n{rows}"),
    )
    .unwrap();
    let (date, p) = price.split_once(',').unwrap();
    std::fs::write(&prices, format!("time,asset,price\n{date},ETH,{p}\n")).unwrap();
    let mut a = vec![
        "scan",
        ledger.to_str().unwrap(),
        "--prices",
        prices.to_str().unwrap(),
        "--as-of",
        as_of,
        "--format",
        "json",
        "-q",
    ];
    a.extend_from_slice(extra);
    serde_json::from_str(&ok(&a)).unwrap()
}

/// Issue 25 item 4 (in part): a lot's own recent purchase is no wash risk for
/// itself; another lot of the asset bought within the window is.
#[test]
fn a_lot_is_no_wash_risk_for_itself() {
    let run = |rows: &str| -> Vec<(String, String)> {
        let j = scan(rows, "2026-11-30,2000", "2026-12-01", &[]);
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

/// Issue 25 item 1, by hand: 1 ETH bought for 10,000 in 2025, worth 4,000 on
/// December 1; no other sale in the year (single, 2025 brackets).
/// - With no income given, the plan realizes the whole 3,000 deduction: all
///   used this year (flat 24%: 720.00 saved).
/// - With ordinary income of 1,000, only 1,000 of the deduction saves tax
///   (the worksheet carries the rest): the plan stops at 1,000 of loss, all
///   used, saving 100.00 at 10%.
/// - With --target 3000 as well: 3,000 realized, 1,000 used, 2,000 carried,
///   priced at the 10% marginal rate: 200.00 next year.
#[test]
fn a_loss_is_worth_what_the_year_can_use() {
    let scan = |extra: &[&str]| {
        scan(
            "b1,2025-01-10T00:00:00Z,coinbase,buy,10000,USD,1,ETH,,,,,,\n",
            "2025-12-01,4000",
            "2025-12-01",
            extra,
        )
    };
    let plan = |j: &Value, k: &str| j["plan"][k].as_str().unwrap().to_string();

    let j = scan(&[]);
    assert_eq!(plan(&j, "realized_total"), "-3000.00");
    assert_eq!(plan(&j, "loss_used_this_year"), "3000.00");
    assert_eq!(plan(&j, "loss_carried"), "0.00");
    assert_eq!(j["tax_saved"], "720.00");

    let j = scan(&["--ordinary-income", "1000"]);
    assert_eq!(plan(&j, "realized_total"), "-1000.00");
    assert_eq!(plan(&j, "loss_used_this_year"), "1000.00");
    assert_eq!(plan(&j, "loss_carried"), "0.00");
    assert_eq!(j["tax_saved"], "100.00");
    assert!(
        j["notes"][0]
            .as_str()
            .unwrap()
            .contains("only 1000.00 of the 3000.00 loss deduction saves tax this year")
    );

    let j = scan(&["--ordinary-income", "1000", "--target", "3000"]);
    assert_eq!(plan(&j, "realized_total"), "-3000.00");
    assert_eq!(plan(&j, "loss_used_this_year"), "1000.00");
    assert_eq!(plan(&j, "loss_carried"), "2000.00");
    assert_eq!(plan(&j, "future_rate"), "0.1");
    assert_eq!(plan(&j, "carryover_value"), "200.00");
    assert_eq!(j["carryover_next_year"]["short_term"], "2000.00");
    let j = scan(&[
        "--ordinary-income",
        "1000",
        "--target",
        "3000",
        "--future-rate",
        "0.22",
    ]);
    assert_eq!(plan(&j, "carryover_value"), "440.00");
}

/// Issue 25 item 4, under the simulated rule: b1 (bought 60 days before, at
/// 3,000) has another lot, b2, bought 10 days before: its loss would be
/// disallowed, so the plan leaves it out and sells b2 (bought at 2,500), whose
/// only other purchase is 60 days old. Buy back no earlier than 31 days on.
#[test]
fn the_simulated_wash_rule_keeps_the_plan_clean() {
    let j = scan(
        "b1,2026-10-02T00:00:00Z,coinbase,buy,3000,USD,1,ETH,,,,,,\n\
b2,2026-11-21T00:00:00Z,coinbase,buy,2500,USD,1,ETH,,,,,,\n",
        "2026-11-30,2000",
        "2026-12-01",
        &["--wash-window", "30"],
    );
    let c: Vec<(String, String, String)> = j["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["lot_id"].as_str().unwrap().into(),
                c["wash_risk"].as_str().unwrap().into(),
                c["recommended"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        c,
        [
            ("b1".to_string(), "yes".to_string(), "0".to_string()),
            ("b2".to_string(), "no".to_string(), "1".to_string()),
        ]
    );
    let notes: Vec<&str> = j["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("buy back no earlier than 2027-01-01")),
        "{notes:?}"
    );
}

/// Issue 25 item 5, by hand: b1 (2024, 3,500) and b2 (September 2025,
/// 4,500), ETH at 3,000 on December 1. With --target 1500 the plan sells b2:
/// 1,500 of short-term loss. FIFO would sell b1: 500 of long-term loss. The
/// sale is flagged with both, by term.
#[test]
fn a_sale_whose_fifo_lots_flip_the_term_is_flagged() {
    let j = scan(
        "b1,2024-06-01T00:00:00Z,coinbase,buy,3500,USD,1,ETH,,,,,,\n\
b2,2025-09-01T00:00:00Z,coinbase,buy,4500,USD,1,ETH,,,,,,\n",
        "2025-12-01,3000",
        "2025-12-01",
        &["--target", "1500"],
    );
    let s = &j["plan"]["sales"][0];
    assert_eq!(s["quantity"], "1");
    assert_eq!(s["short_term"], "-1500.00");
    assert_eq!(s["long_term"], "0.00");
    assert_eq!(s["fifo_short_term"], "0.00");
    assert_eq!(s["fifo_long_term"], "-500.00");
    assert_eq!(s["term_differs_under_fifo"], true);
    assert!(
        j["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("without identifying the lots (FIFO) would realize 0.00 short-term and -500.00 long-term instead of -1500.00 and 0.00"))
    );
}

/// Runs `scan` with `--emit-ledger` and `--emit-selections` on a ledger of
/// `rows` priced by `price` (`DATE,PRICE` of ETH), then applies the plan with
/// `gains --method specific`: returns the scan's JSON and the applied plan's
/// Schedule D line 16, to be the scan's promise.
fn scan_applied(rows: &str, price: &str, as_of: &str, extra: &[&str]) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    std::fs::write(
        p("ledger.csv"),
        format!("id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n{rows}"),
    )
    .unwrap();
    let (date, px) = price.split_once(',').unwrap();
    std::fs::write(
        p("prices.csv"),
        format!("time,asset,price\n{date},ETH,{px}\n"),
    )
    .unwrap();
    let (ledger, prices, plan, sel) = (
        p("ledger.csv"),
        p("prices.csv"),
        p("plan.csv"),
        p("sel.csv"),
    );
    let mut a = vec![
        "scan",
        &ledger,
        "--prices",
        &prices,
        "--as-of",
        as_of,
        "--format",
        "json",
        "-q",
        "--emit-ledger",
        &plan,
        "--emit-selections",
        &sel,
    ];
    a.extend_from_slice(extra);
    let v: Value = serde_json::from_str(&ok(&a)).unwrap();
    let g: Value = serde_json::from_str(&ok(&[
        "gains",
        &ledger,
        &plan,
        "--year",
        &as_of[..4],
        "--method",
        "specific",
        "--selections",
        &sel,
        "--format",
        "json",
        "-q",
    ]))
    .unwrap();
    (v, g["total"]["gain"].as_str().unwrap().to_string())
}

/// Issue 25 item 2, by hand (single, 2025, ordinary income 30,000): b1, 1 ETH
/// bought in 2023 for 1,000, is worth 30,000 on December 1. The 0% band ends
/// at 48,350, so 18,350.00 of long-term gain is free: 18,350 / 29,000 =
/// 0.63275862 ETH (rounded down), sold for 18,982.76 against 632.76 of basis.
/// Bought back, that basis is 18,982.76: 2,752.50 less tax on a later sale at
/// 15%. The tax this year is unchanged (3,361.50 = 10% of 11,925 + 12% of
/// 18,075), and the applied plan realizes exactly 18,350.00.
#[test]
fn gains_fill_the_zero_band_to_the_cent() {
    let rows = "b1,2023-01-01T00:00:00Z,coinbase,buy,1000,USD,1,ETH,,,,,,\n";
    let (j, applied) = scan_applied(
        rows,
        "2025-12-01,30000",
        "2025-12-01",
        &["--ordinary-income", "30000"],
    );
    let g = &j["gain_harvest"];
    assert_eq!(g["room"], "18350.00");
    assert_eq!(g["gain_realized"], "18350.00");
    assert_eq!(g["new_basis"], "18982.76");
    assert_eq!(g["later_tax_saved"], "2752.50");
    assert_eq!(g["later_rate"], "0.15");
    assert_eq!(g["lots"][0]["lot_id"], "b1");
    assert_eq!(g["lots"][0]["quantity"], "0.63275862");
    assert_eq!(g["lots"][0]["cost_basis"], "632.76");
    assert_eq!(j["tax_before"], "3361.50");
    assert_eq!(j["tax_after"], "3361.50");
    assert_eq!(j["plan"]["realized_long_term"], "18350.00");
    assert_eq!(j["schedule_d_after"]["line_16"], "18350.00");
    assert_eq!(applied, "18350.00");
    let notes = j["notes"].to_string();
    assert!(notes.contains("Social Security"), "{notes}");
    // --no-gains: nothing to do.
    let j = scan(
        rows,
        "2025-12-01,30000",
        "2025-12-01",
        &["--ordinary-income", "30000", "--no-gains"],
    );
    assert!(j["gain_harvest"].is_null());
    assert_eq!(j["plan"]["sales"].as_array().unwrap().len(), 0);
    // Without the income, no bracket is known: no gains either.
    let j = scan(rows, "2025-12-01,30000", "2025-12-01", &[]);
    assert!(j["gain_harvest"].is_null());
}

/// Issue 25 item 2 with a loss in the same year: b2, bought in June 2025 for
/// 33,000, is at a 3,000 short-term loss. Harvested, it saves 360.00 this year
/// (12% of 3,000: taxable income 27,000), but any gain then shrinks the
/// deduction, so no gain fits at 0%. Left unrealized, the 0% band takes the
/// 18,350.00 gain of b1 above, worth 2,752.50 later: the plan takes the gains
/// and keeps the loss. With ordinary income of 100,000 there is no room at 0%
/// and the loss (22%: 660.00) is the plan.
#[test]
fn the_better_of_losses_and_gains_at_zero_is_chosen() {
    let rows = "b1,2023-01-01T00:00:00Z,coinbase,buy,1000,USD,1,ETH,,,,,,\n\
b2,2025-06-01T00:00:00Z,coinbase,buy,33000,USD,1,ETH,,,,,,\n";
    let (j, applied) = scan_applied(
        rows,
        "2025-12-01,30000",
        "2025-12-01",
        &["--ordinary-income", "30000"],
    );
    let g = &j["gain_harvest"];
    let c = &g["combinations"];
    assert_eq!(c[0]["loss_realized"], "3000.00");
    assert_eq!(c[0]["tax_saved"], "360.00");
    assert_eq!(c[0]["gain_realized"], "0.00");
    assert_eq!(c[0]["value"], "360.00");
    assert_eq!(c[1]["gain_realized"], "18350.00");
    assert_eq!(c[1]["value"], "2752.50");
    assert_eq!(g["chosen"], "gains at 0% only");
    assert_eq!(j["plan"]["realized_total"], "18350.00");
    assert_eq!(j["plan"]["loss_used_this_year"], "0.00");
    assert_eq!(j["plan"]["sales"][0]["quantity"], "0.63275862");
    assert_eq!(applied, "18350.00");
    assert!(j["notes"].to_string().contains("two plans compared"));

    let (j, applied) = scan_applied(
        rows,
        "2025-12-01,30000",
        "2025-12-01",
        &["--ordinary-income", "100000"],
    );
    let g = &j["gain_harvest"];
    assert_eq!(g["room"], "0.00");
    assert_eq!(g["chosen"], "harvest losses");
    assert_eq!(j["tax_saved"], "660.00");
    assert_eq!(j["plan"]["realized_total"], "-3000.00");
    assert_eq!(applied, "-3000.00");
}
