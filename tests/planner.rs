//! Issue 25, the planner, end to end (what is built so far).

mod common;
use common::harvest;

use std::path::Path;

use serde_json::Value;

/// `scan --format json` on a ledger of `rows` (after the header) priced by
/// `price` (an ETH price line, `DATE,PRICE`), as of `as_of`, with `extra`.
fn scan(rows: &str, price: &str, as_of: &str, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    scan_in(dir.path(), rows, price, as_of, extra)
}

/// [`scan`] in `dir`: ledger.csv and prices.csv are written there, and the
/// paths in `extra` (a harvest.toml given with --config, the files of
/// --emit-ledger) are relative to it.
fn scan_in(dir: &Path, rows: &str, price: &str, as_of: &str, extra: &[&str]) -> Value {
    std::fs::write(dir.join("ledger.csv"), format!("{HEADER}\n{rows}")).unwrap();
    let (date, p) = price.split_once(',').unwrap();
    std::fs::write(
        dir.join("prices.csv"),
        format!("time,asset,price\n{date},ETH,{p}\n"),
    )
    .unwrap();
    let mut a = vec![
        "scan",
        "ledger.csv",
        "--prices",
        "prices.csv",
        "--as-of",
        as_of,
        "--format",
        "json",
        "-q",
    ];
    a.extend_from_slice(extra);
    let o = harvest().current_dir(dir).args(&a).output().unwrap();
    assert!(
        o.status.success(),
        "harvest {a:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

const HEADER: &str = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note";

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
    let notes = notes(&j);
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
    let j = b1_and_b2_for_1500("2024-06-01");
    let s = &j["plan"]["sales"][0];
    assert_eq!(s["quantity"], "1");
    assert_eq!(s["short_term"], "-1500.00");
    assert_eq!(s["long_term"], "0.00");
    assert_eq!(s["fifo_short_term"], "0.00");
    assert_eq!(s["fifo_long_term"], "-500.00");
    assert_eq!(s["term_differs_under_fifo"], true);
    assert!(
        notes(&j)
            .iter()
            .any(|n| n.contains("without identifying the lots (FIFO) would realize 0.00 short-term and -500.00 long-term instead of -1500.00 and 0.00"))
    );
}

/// ETH lots b1 (bought on `b1_date` for 3,500) and b2 (September 2025, 4,500)
/// at 3,000 on December 1, scanned with --target 1500.
fn b1_and_b2_for_1500(b1_date: &str) -> Value {
    scan(
        &format!(
            "b1,{b1_date}T00:00:00Z,coinbase,buy,3500,USD,1,ETH,,,,,,\n\
b2,2025-09-01T00:00:00Z,coinbase,buy,4500,USD,1,ETH,,,,,,\n"
        ),
        "2025-12-01,3000",
        "2025-12-01",
        &["--target", "1500"],
    )
}

/// The notes of a scan's JSON.
fn notes(j: &Value) -> Vec<&str> {
    j["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect()
}

/// Two short-term lots: b1 (March 2025, 3,500) and b2 (September 2025,
/// 4,500), ETH at 3,000. With --target 1500 the plan sells b2 (1,500 of
/// short-term loss) where FIFO would sell b1 (500, also short-term): the
/// amount differs, so the method note says so, but no loss changes term, so
/// the sale is not flagged for its term.
#[test]
fn another_lot_of_the_same_term_is_no_term_flip() {
    let j = b1_and_b2_for_1500("2025-03-01");
    let s = &j["plan"]["sales"][0];
    assert_eq!(s["short_term"], "-1500.00");
    assert_eq!(s["fifo_short_term"], "-500.00");
    assert_eq!(s["fifo_long_term"], "0.00");
    assert_eq!(s["term_differs_under_fifo"], false);
    let notes = notes(&j);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("by fifo would realize -500.00 instead of -1500.00")),
        "{notes:?}"
    );
    assert!(
        !notes
            .iter()
            .any(|n| n.contains("without identifying the lots (FIFO)")),
        "{notes:?}"
    );
}

/// Runs `scan` with `--emit-ledger` and `--emit-selections` on a ledger of
/// `rows` priced by `price` (`DATE,PRICE` of ETH), then applies the plan with
/// `gains --method specific`: returns the scan's JSON and the applied plan's
/// Schedule D line 16, to be the scan's promise.
fn scan_applied(rows: &str, price: &str, as_of: &str, extra: &[&str]) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut a = vec!["--emit-ledger", "plan.csv", "--emit-selections", "sel.csv"];
    a.extend_from_slice(extra);
    let v = scan_in(dir.path(), rows, price, as_of, &a);
    let o = harvest()
        .current_dir(dir.path())
        .args([
            "gains",
            "ledger.csv",
            "plan.csv",
            "--year",
            &as_of[..4],
            "--method",
            "specific",
            "--selections",
            "sel.csv",
            "--format",
            "json",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let g: Value = serde_json::from_slice(&o.stdout).unwrap();
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

/// The table and the HTML page show the gains at 0% with the new basis, the
/// plan's net saving counts the later saving, and every sale says why; when
/// no gain fits (income 100,000 fills the band), a note says so and the
/// table has no empty section.
#[test]
fn the_table_and_page_show_the_gains_at_zero_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("ledger.csv"),
        format!("{HEADER}\nb1,2023-01-01T00:00:00Z,coinbase,buy,1000,USD,1,ETH,,,,,,\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("prices.csv"),
        "time,asset,price\n2025-12-01,ETH,30000\n",
    )
    .unwrap();
    let run = |income: &str, format: &str| -> String {
        let o = harvest()
            .current_dir(d)
            .args([
                "scan",
                "ledger.csv",
                "--prices",
                "prices.csv",
                "--as-of",
                "2025-12-01",
                "--ordinary-income",
                income,
                "--format",
                format,
                "-q",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let t = run("30000", "table");
    assert!(
        t.contains("Long-term gains at 0% (later sales priced at 15%, --lt-rate):"),
        "{t}"
    );
    assert!(
        t.contains("Saved on a later sale (basis stepped up)"),
        "{t}"
    );
    assert!(
        t.contains("Why ETH from coinbase: long-term gain 18350.00 taxed at 0% (basis stepped up)"),
        "{t}"
    );
    assert!(t.contains("18982.76"), "{t}");
    let h = run("30000", "html");
    assert!(h.contains("<h3>Long-term gains at 0%</h3>"), "{h}");
    assert!(
        h.contains("<b>Why ETH from coinbase:</b> long-term gain 18350.00 taxed at 0%"),
        "{h}"
    );
    assert!(h.contains("18982.76"), "{h}");
    let t = run("100000", "table");
    assert!(!t.contains("Long-term gains at 0% ("), "{t}");
    assert!(
        t.contains("gains at 0%: none, the 0% long-term band has no room this year"),
        "{t}"
    );
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

/// Two ETH lots bought on 2025-03-01, ETH at 2,000 on December 1, no other
/// sale in the year (need 3,000; flat 24%):
/// - a1 in coinbase: 1 ETH for 4,000 (a loss of 2,000, half its basis);
/// - k1 in kraken: 10 ETH for 20,500 (a loss of 500, 2.4% of its basis).
///
/// With `fee_rate = 0.006` for both accounts in harvest.toml, a unit sold
/// nets 2,000 x 0.994 = 1,988:
/// - a1 realizes 1,988 - 4,000 = -2,012.00, saving 2,012 x 0.24 = 482.88;
///   its round trip costs 12.00 (the sale's fee, 0.6% of 2,000) + 12.00 (the
///   buy-back's): 24.00. Kept: it nets 458.88.
/// - k1 would realize 19,880 - 20,500 = -620.00, saving 620 x 0.24 = 148.80
///   for 120.00 + 120.00 = 240.00 of fees: left out, with a note.
///
/// The plan is a1 alone: tax saved 482.88, costs 24.00, net 458.88.
#[test]
fn a_fee_leaves_out_a_small_sale_and_keeps_a_large_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("h.toml"),
        "[accounts.coinbase]\nfee_rate = 0.006\n[accounts.kraken]\nfee_rate = 0.006\n",
    )
    .unwrap();
    let rows = "a1,2025-03-01T00:00:00Z,coinbase,buy,4000,USD,1,ETH,,,,,,\n\
k1,2025-03-01T00:00:00Z,kraken,buy,20500,USD,10,ETH,,,,,,\n";
    let j = scan_in(
        dir.path(),
        rows,
        "2025-12-01,2000",
        "2025-12-01",
        &["--config", "h.toml"],
    );
    let plan = &j["plan"];
    assert_eq!(plan["realized_total"], "-2012.00");
    assert_eq!(j["tax_saved"], "482.88");
    assert_eq!(plan["costs"], "24.00");
    assert_eq!(plan["tax_saved_net"], "458.88");
    assert_eq!(plan["spread"], "0");
    assert_eq!(plan["fee_rates"]["coinbase"], "0.006");
    assert_eq!(plan["fee_rates"]["kraken"], "0.006");
    let sales = plan["sales"].as_array().unwrap();
    assert_eq!(sales.len(), 1);
    let s = &sales[0];
    assert_eq!(s["account"], "coinbase");
    assert_eq!(s["proceeds"], "2000.00");
    assert_eq!(s["net_proceeds"], "1988.00");
    assert_eq!(s["selling_cost"], "12.00");
    assert_eq!(s["buy_back_cost"], "12.00");
    assert_eq!(s["cost"], "24.00");
    assert_eq!(s["tax_saved"], "482.88");
    assert_eq!(s["net_saving"], "458.88");
    let out = &plan["left_out"][0];
    assert_eq!(out["lot_id"], "k1");
    assert_eq!(out["quantity"], "10");
    assert_eq!(out["tax_saved"], "148.80");
    assert_eq!(out["cost"], "240.00");
    assert!(
        j["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("left out: selling 10 ETH of lot k1 from kraken would save 148.80 of tax but cost 240.00")),
        "{}",
        j["notes"]
    );
    let rec: Vec<(&str, &str)> = j["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["lot_id"].as_str().unwrap(),
                c["recommended"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(rec, [("a1", "1"), ("k1", "0")]);

    // --fee-rate wins over harvest.toml for every account. At 0.001 a unit
    // nets 1,998: a1 realizes -2,002.00 (480.48 saved) for 2.00 + 2.00; k1
    // -520.00 (124.80 saved) for 20.00 + 20.00 = 40.00: both kept.
    let j = scan_in(
        dir.path(),
        rows,
        "2025-12-01,2000",
        "2025-12-01",
        &["--config", "h.toml", "--fee-rate", "0.001"],
    );
    let plan = &j["plan"];
    assert_eq!(plan["realized_total"], "-2522.00");
    assert_eq!(plan["fee_rates"]["kraken"], "0.001");
    assert_eq!(plan["left_out"].as_array().unwrap().len(), 0);
    assert_eq!(j["tax_saved"], "605.28");
    assert_eq!(plan["costs"], "44.00");
    assert_eq!(plan["tax_saved_net"], "561.28");
    let k = &plan["sales"][1];
    assert_eq!(
        (&k["account"], &k["tax_saved"], &k["cost"], &k["net_saving"]),
        (
            &Value::from("kraken"),
            &Value::from("124.80"),
            &Value::from("40.00"),
            &Value::from("84.80")
        )
    );

    // --fee-rate 0: no cost, both lots, and the keys say so.
    let j = scan_in(
        dir.path(),
        rows,
        "2025-12-01,2000",
        "2025-12-01",
        &["--config", "h.toml", "--fee-rate", "0"],
    );
    assert_eq!(j["plan"]["realized_total"], "-2500.00");
    assert_eq!(j["plan"]["costs"], "0.00");
    assert_eq!(j["plan"]["fee_rates"]["coinbase"], "0");
    // Without a fee rate or spread anywhere, no cost key at all.
    let j = scan(rows, "2025-12-01,2000", "2025-12-01", &[]);
    assert_eq!(j["plan"]["realized_total"], "-2500.00");
    assert!(j["plan"].get("costs").is_none());
    assert!(j["plan"]["sales"][0].get("cost").is_none());
}

/// The fee and spread reduce the amount realized, and the emitted ledger
/// carries them, so `harvest gains` on it realizes what scan promised.
/// Coinbase's fee_rate is 0.006 (harvest.toml), --spread 0.001; ETH at 3,000
/// on December 1. A short-term gain of 1,500 in kraken (g1, g2): the need is
/// 1,500 + 3,000 = 4,500; flat 24% and 15%.
/// - A unit sold fills at 3,000 x 0.999 = 2,997 and pays 0.6% of it, 17.982:
///   it nets 2,979.018.
/// - s1 (short-term, 1 ETH for 3,700) first, against the short-term gain:
///   a loss of 720.982, all of it.
/// - l1 (long-term, 5 ETH for 20,000): 4,000 - 2,979.018 = 1,020.982 of
///   loss a unit; 4,500 - 720.982 = 3,779.018 more is needed, so
///   3,779.018 / 1,020.982 = 3.70135614 units (8 decimals, down).
/// - The sale of 4.70135614 ETH receives 14,104.06842 x 0.999 =
///   14,089.96435158 and pays a fee of 84.53978610948; its proceeds,
///   14,005.42456547052, are shared by quantity: s1 2,979.02 (basis
///   3,700.00, -720.98), l1 14,005.42 - 2,979.02 = 11,026.40 (basis
///   20,000 x 3.70135614 / 5 = 14,805.42, -3,779.02): -4,500.00 in all.
/// - Tax: before 1,500 x 0.24 = 360.00; after, line 16 is -3,000 (the
///   deduction, -720.00): 1,080.00 saved.
/// - Costs: selling 14.10406842 (spread) + 84.53978611 (fee) = 98.64;
///   buying back 14.10406842 + 14,118.17248842 x 0.006 = 98.81; 197.45 in
///   all, 882.55 net.
#[test]
fn costs_reduce_the_realized_amount_and_gains_realizes_the_promise() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("h.toml"), "[accounts.coinbase]\nfee_rate = 0.006\n").unwrap();
    let rows = "l1,2024-01-10T00:00:00Z,coinbase,buy,20000,USD,5,ETH,,,,,,\n\
g1,2025-02-01T00:00:00Z,kraken,buy,1000,USD,1,ETH,,,,,,\n\
g2,2025-04-01T00:00:00Z,kraken,sell,1,ETH,2500,USD,,,,,,\n\
s1,2025-06-01T00:00:00Z,coinbase,buy,3700,USD,1,ETH,,,,,,\n";
    let j = scan_in(
        d,
        rows,
        "2025-12-01,3000",
        "2025-12-01",
        &[
            "--config",
            "h.toml",
            "--spread",
            "0.001",
            "--emit-ledger",
            "plan.csv",
            "--emit-selections",
            "sel.csv",
        ],
    );
    let plan = &j["plan"];
    assert_eq!(plan["realized_short_term"], "-720.98");
    assert_eq!(plan["realized_long_term"], "-3779.02");
    assert_eq!(plan["realized_total"], "-4500.00");
    assert_eq!(j["tax_saved"], "1080.00");
    assert_eq!(plan["spread"], "0.001");
    assert_eq!(plan["costs"], "197.45");
    assert_eq!(plan["tax_saved_net"], "882.55");
    let s = &plan["sales"][0];
    assert_eq!(s["quantity"], "4.70135614");
    assert_eq!(s["net_proceeds"], "14005.42");
    assert_eq!(s["selling_cost"], "98.64");
    assert_eq!(s["buy_back_cost"], "98.81");
    assert_eq!(s["tax_saved"], "1080.00");
    assert_eq!(s["net_saving"], "882.55");
    let emitted = std::fs::read_to_string(d.join("plan.csv")).unwrap();
    assert_eq!(
        emitted.lines().nth(1).unwrap(),
        "harvest-2025-12-01-1,2025-12-01T23:59:59Z,coinbase,sell,4.70135614,ETH,14089.96435158,USD,84.53978610948,USD,,,,harvest plan,,,"
    );
    let o = harvest()
        .current_dir(d)
        .args([
            "gains",
            "ledger.csv",
            "plan.csv",
            "--year",
            "2025",
            "--method",
            "specific",
            "--selections",
            "sel.csv",
            "--format",
            "csv",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = String::from_utf8(o.stdout).unwrap();
    let (mut st, mut lt) = (Vec::new(), Vec::new());
    for line in csv.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        if c[0].starts_with("harvest-") {
            let row = (
                c[1].to_string(),
                c[10].to_string(),
                c[11].to_string(),
                c[14].to_string(),
            );
            if c[7] == "short" {
                st.push(row)
            } else {
                lt.push(row)
            }
        }
    }
    let row = |a: &str, b: &str, c: &str, d: &str| (a.into(), b.into(), c.into(), d.into());
    assert_eq!(st, [row("s1", "2979.02", "3700.00", "-720.98")]);
    assert_eq!(lt, [row("l1", "11026.40", "14805.42", "-3779.02")]);
}

/// A fee rate of 1 or more (or below 0) in harvest.toml is an error naming
/// the file and the key, before any input is read (exit status 1); on the
/// command line, a usage error (exit status 2).
#[test]
fn a_bad_fee_rate_is_an_error_naming_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("h.toml"), "[accounts.kraken]\nfee_rate = 6\n").unwrap();
    std::fs::write(d.join("ledger.csv"), format!("{HEADER}\n")).unwrap();
    std::fs::write(d.join("prices.csv"), "asset,price\nETH,2000\n").unwrap();
    let o = harvest()
        .current_dir(d)
        .args([
            "scan",
            "ledger.csv",
            "--prices",
            "prices.csv",
            "--config",
            "h.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("h.toml: [accounts.kraken] fee_rate = 6 is not a fee rate")
            && err.contains("6% is 0.06"),
        "{err}"
    );
    let o = harvest()
        .current_dir(d)
        .args([
            "scan",
            "ledger.csv",
            "--prices",
            "prices.csv",
            "--fee-rate",
            "0.6%",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    for bad in ["1", "-0.1"] {
        let o = harvest()
            .current_dir(d)
            .args([
                "scan",
                "ledger.csv",
                "--prices",
                "prices.csv",
                "--spread",
                bad,
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "--spread {bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("from 0 to below 1"), "{err}");
    }
}

/// Issue 25 items 2 and 3 together, by hand (single, 2025, ordinary income
/// 30,000, ETH at 30,000, `--fee-rate 0.001`, so a unit sold nets 29,970):
/// - b1, 0.1 ETH bought in 2023 for 100: 2,997.00 - 100.00 = 2,897.00 of gain
///   at 0%, worth 434.55 later at 15%, for 3.00 + 3.00 of fees: kept;
/// - b3, 1 ETH bought in 2023 for 29,900: 70.00 of gain, worth 10.50 later,
///   for 30.00 + 30.00: not worth the step-up, left out.
///
/// The gains-only plan is worth 434.55 - 6.00 = 428.55, and the applied plan
/// (the emitted sale carries its fee) realizes 2,897.00.
#[test]
fn a_fee_keeps_a_gain_not_worth_its_cost_out_of_the_zero_band() {
    let rows = "b1,2023-01-01T00:00:00Z,coinbase,buy,100,USD,0.1,ETH,,,,,,\n\
b3,2023-01-01T00:00:00Z,coinbase,buy,29900,USD,1,ETH,,,,,,\n";
    let (j, applied) = scan_applied(
        rows,
        "2025-12-01,30000",
        "2025-12-01",
        &["--ordinary-income", "30000", "--fee-rate", "0.001"],
    );
    let g = &j["gain_harvest"];
    assert_eq!(g["room"], "18350.00");
    assert_eq!(g["gain_realized"], "2897.00");
    assert_eq!(g["lots"].as_array().unwrap().len(), 1, "{g}");
    assert_eq!(g["lots"][0]["lot_id"], "b1");
    // Bought back for 3,000.00 plus its 3.00 fee.
    assert_eq!(g["lots"][0]["new_basis"], "3003.00");
    assert_eq!(g["combinations"][1]["costs"], "6.00");
    assert_eq!(g["combinations"][1]["value"], "428.55");
    // The plan's net saving is the chosen combination's value: the later
    // saving of the step-up counts against the fees it costs.
    assert_eq!(j["plan"]["tax_saved_net"], "428.55");
    assert_eq!(applied, "2897.00");
}

/// Issue 25 items 2 and 4 together, by hand (single, 2025, ordinary income
/// 20,000): 5,000 of short-term gain realized on BTC in March; b2 (ETH, June,
/// 33,000) is 3,000 below its basis at 30,000, and b1 (ETH, 2023, 1,000) has
/// 29,000 of long-term gain. With `--target 3000` the loss plan sells b2
/// (360.00 saved at 12%), leaving taxable income 22,000: 26,350.00 of b1's
/// gain fits at 0% beside it (worth 3,952.50 later; 4,312.50 in all, more than
/// the 3,502.50 of gains alone), and the applied plan ends the year at
/// 5,000 - 3,000 + 26,350 = 28,350.00. Under `--wash-window 30`, buying b1
/// back would be a purchase of ETH inside the window of b2's loss sale: the
/// loss plan takes no ETH gain, and gains alone are worth more.
#[test]
fn a_gain_buy_back_never_washes_a_planned_loss() {
    let rows = "b0,2025-01-10T00:00:00Z,kraken,buy,1000,USD,0.1,BTC,,,,,,\n\
s0,2025-03-01T00:00:00Z,kraken,sell,0.1,BTC,6000,USD,,,,,,\n\
b1,2023-01-01T00:00:00Z,coinbase,buy,1000,USD,1,ETH,,,,,,\n\
b2,2025-06-01T00:00:00Z,coinbase,buy,33000,USD,1,ETH,,,,,,\n";
    let base = ["--ordinary-income", "20000", "--target", "3000"];
    let (j, applied) = scan_applied(rows, "2025-12-01,30000", "2025-12-01", &base);
    let c = &j["gain_harvest"]["combinations"];
    assert_eq!(c[0]["gain_realized"], "26350.00");
    assert_eq!(c[0]["value"], "4312.50");
    assert_eq!(c[1]["value"], "3502.50");
    assert_eq!(j["gain_harvest"]["chosen"], "harvest losses");
    assert_eq!(applied, "28350.00");
    assert_eq!(j["schedule_d_after"]["line_16"], "28350.00");
    let mut wash = base.to_vec();
    wash.extend(["--wash-window", "30"]);
    let j = scan(rows, "2025-12-01,30000", "2025-12-01", &wash);
    let c = &j["gain_harvest"]["combinations"];
    assert_eq!(c[0]["gain_realized"], "0.00");
    assert_eq!(j["gain_harvest"]["chosen"], "gains at 0% only");
}

/// A fee rate of 0.6 is a valid fraction but a 60% fee, more likely 0.6%
/// typed as a percent: the costs note says what it is and what to write.
#[test]
fn a_fee_rate_that_looks_like_a_percent_is_named() {
    let rows = "b1,2025-06-01T00:00:00Z,coinbase,buy,4000,USD,1,ETH,,,,,,\n";
    let check = "CHECK: a rate of 0.6 is 60% of each trade; if you meant 0.6%, write 0.006.";
    let j = scan(
        rows,
        "2025-12-01,2000",
        "2025-12-01",
        &["--fee-rate", "0.6"],
    );
    assert!(
        notes(&j).iter().any(|n| n.contains(check)),
        "{:?}",
        notes(&j)
    );
    let j = scan(
        rows,
        "2025-12-01,2000",
        "2025-12-01",
        &["--fee-rate", "0.006"],
    );
    assert!(
        !notes(&j).iter().any(|n| n.contains("CHECK")),
        "{:?}",
        notes(&j)
    );
}
