//! Issue 25 item 6, scenarios: `scan --shock`, the inputs a saved scan
//! records, `scan --compare OLD.json`, and the HTML page's Schedule D before
//! and after, tax by bracket and loss used vs carried. Every figure below is
//! computed by hand in the doc comments.

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

const HEADER: &str = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n";

/// The ledger of the hand computations (single, 2025, as of December 1):
/// - c1: 0.1 BTC bought 2024-06-01 for 9,000 (long-term by December);
/// - b0: 1 ETH bought 2025-01-05 for 2,000, sold (s0) 2025-03-01 for 3,000:
///   1,000 of short-term gain so far (FIFO takes b0, the oldest);
/// - e1: 2 ETH bought 2025-02-01 for 7,000 (3,500 each, short-term).
const LEDGER: &str = "c1,2024-06-01T00:00:00Z,coinbase,buy,9000,USD,0.1,BTC,,,,,,\n\
b0,2025-01-05T00:00:00Z,coinbase,buy,2000,USD,1,ETH,,,,,,\n\
e1,2025-02-01T00:00:00Z,coinbase,buy,7000,USD,2,ETH,,,,,,\n\
s0,2025-03-01T00:00:00Z,coinbase,sell,1,ETH,3000,USD,,,,,,\n";

/// December 1: ETH 3,000, BTC 95,000.
const PRICES: &str = "time,asset,price\n2025-12-01,ETH,3000\n2025-12-01,BTC,95000\n";

/// The same prices 20% lower: ETH 2,400, BTC 76,000.
const PRICES_LOWER: &str = "time,asset,price\n2025-12-01,ETH,2400\n2025-12-01,BTC,76000\n";

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ledger.csv"), format!("{HEADER}{LEDGER}")).unwrap();
    std::fs::write(dir.path().join("prices.csv"), PRICES).unwrap();
    std::fs::write(dir.path().join("prices-lower.csv"), PRICES_LOWER).unwrap();
    dir
}

/// `harvest scan ledger.csv --as-of 2025-12-01 -q` in `dir`, with `extra`.
fn scan(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["scan", "ledger.csv", "--as-of", "2025-12-01", "-q"];
    args.extend_from_slice(extra);
    common::harvest()
        .current_dir(dir)
        .args(&args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, extra: &[&str]) -> String {
    let o = scan(dir, extra);
    assert!(
        o.status.success(),
        "scan {extra:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json(dir: &Path, extra: &[&str]) -> Value {
    let mut a = extra.to_vec();
    a.extend(["--format", "json"]);
    serde_json::from_str(&ok(dir, &a)).unwrap()
}

/// Saves the plan at today's prices as `name` (the output of `--format json`).
fn save(dir: &Path, name: &str, extra: &[&str]) {
    let mut a = vec!["--prices", "prices.csv", "--format", "json", "-o", name];
    a.extend_from_slice(extra);
    ok(dir, &a);
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// By hand, flat rates 24% / 15%. Loss needed: the 1,000 gain plus the
/// 3,000 deduction = 4,000.
///
/// At today's prices, e1 (2 ETH at 3,000 = 6,000 against 7,000) is the only
/// loss, 1,000, short-term; the BTC (9,500 against 9,000) is a gain. The plan
/// sells the 2 ETH: -1,000 short-term. Schedule D after: line 7 = 1,000 -
/// 1,000 = 0, lines 16 and 21 0. Tax before 24% x 1,000 = 240.00, after 0:
/// saved 240.00.
///
/// `--shock -0.20`: ETH 2,400, BTC 76,000. e1 is worth 4,800: a 2,200 loss;
/// the BTC 7,600 against 9,000: a 1,400 long-term loss. The plan takes the
/// short-term loss first (2,200: the whole lot), then the long-term one (1,400
/// of the 1,800 still needed: the whole lot). Realized -2,200 short-term and
/// -1,400 long-term, -3,600 in all. Schedule D after: line 7 = 1,000 - 2,200
/// = -1,200, line 15 = -1,400, line 16 = -2,600, line 21 = -2,600 (under
/// 3,000: nothing carried). Tax after 24% x -2,600 = -624.00: saved 240 + 624
/// = 864.00, 624.00 more than without the shock; the plan's loss grows by
/// 2,600 (1,000 to 3,600), all of it used this year.
#[test]
fn a_shock_of_minus_20_percent_by_hand() {
    let dir = setup();
    let base = json(dir.path(), &["--prices", "prices.csv"]);
    assert_eq!(base["loss_needed"], "4000.00");
    assert_eq!(base["loss_available"], "1000.00");
    assert_eq!(base["plan"]["realized_short_term"], "-1000.00");
    assert_eq!(base["plan"]["realized_long_term"], "0.00");
    assert_eq!(base["schedule_d_after"]["line_16"], "0.00");
    assert_eq!(base["tax_before"], "240.00");
    assert_eq!(base["tax_after"], "0.00");
    assert_eq!(base["tax_saved"], "240.00");
    assert_eq!(base["inputs"]["shock"], "0");

    let shocked = json(dir.path(), &["--prices", "prices.csv", "--shock", "-0.20"]);
    assert_eq!(shocked["loss_needed"], "4000.00");
    assert_eq!(shocked["loss_available"], "3600.00");
    let plan = &shocked["plan"];
    assert_eq!(plan["realized_short_term"], "-2200.00");
    assert_eq!(plan["realized_long_term"], "-1400.00");
    assert_eq!(plan["realized_total"], "-3600.00");
    assert_eq!(plan["loss_used_this_year"], "3600.00");
    assert_eq!(plan["loss_carried"], "0.00");
    let sales: Vec<(&str, &str, &str, &str)> = plan["sales"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                s(&x["asset"]),
                s(&x["quantity"]),
                s(&x["price"]),
                s(&x["realized_specific_id"]),
            )
        })
        .collect();
    assert_eq!(
        sales,
        [
            ("ETH", "2", "2400.00", "-2200.00"),
            ("BTC", "0.1", "76000.00", "-1400.00")
        ]
    );
    let after = &shocked["schedule_d_after"];
    assert_eq!(
        [
            &after["line_7"],
            &after["line_15"],
            &after["line_16"],
            &after["line_21"]
        ],
        ["-1200.00", "-1400.00", "-2600.00", "-2600.00"]
    );
    assert_eq!(shocked["tax_before"], "240.00");
    assert_eq!(shocked["tax_after"], "-624.00");
    assert_eq!(shocked["tax_saved"], "864.00");
    // Said first among the notes, and recorded.
    assert!(
        s(&shocked["notes"][0]).starts_with(
            "scenario --shock -0.2: every price on 2025-12-01 is multiplied by 0.8 (prices 20% lower)"
        ),
        "{}",
        shocked["notes"]
    );
    assert_eq!(shocked["inputs"]["shock"], "-0.2");
    // The candidates carry the shocked prices; the past is unchanged.
    assert_eq!(shocked["realized_so_far"]["short_term"], "1000.00");
    assert!(
        shocked["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| ["2400.00", "76000.00"].contains(&s(&c["price"])))
    );
    // The same figures as a price file 20% lower (only the inputs differ).
    let lower = json(dir.path(), &["--prices", "prices-lower.csv"]);
    for k in ["plan", "schedule_d_after", "tax_saved", "candidates"] {
        assert_eq!(lower[k], shocked[k], "{k}");
    }
}

/// The saved scan records what produced it: the settings, the tax inputs,
/// the shock, and each file with its SHA-256.
#[test]
fn a_saved_scan_records_its_inputs() {
    let dir = setup();
    let v = json(
        dir.path(),
        &[
            "--prices",
            "prices.csv",
            "--shock",
            "-0.20",
            "--ordinary-income",
            "50000",
            "--filing-status",
            "mfj",
            "--target",
            "2500",
            "--wash-window",
            "30",
        ],
    );
    let i = &v["inputs"];
    assert_eq!(i["format_version"], 1);
    assert_eq!(i["as_of"], "2025-12-01");
    assert_eq!(i["year"], 2025);
    assert_eq!(i["method"], "fifo");
    assert_eq!(i["scope"], "transition");
    assert_eq!(i["filing_status"], "mfj");
    assert_eq!(i["ordinary_income"], "50000.00");
    assert_eq!(i["magi"], Value::Null);
    assert_eq!(i["st_rate"], "0.24");
    assert_eq!(i["lt_rate"], "0.15");
    assert_eq!(i["future_rate"], Value::Null);
    assert_eq!(i["target"], "2500.00");
    assert_eq!(i["min_loss"], "10.00");
    assert_eq!(i["wash_window"], 30);
    assert_eq!(i["shock"], "-0.2");
    let sha = |text: &str| -> String {
        ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let files: Vec<(&str, &str, u64, String)> = i["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                s(&f["role"]),
                s(&f["name"]),
                f["bytes"].as_u64().unwrap(),
                s(&f["sha256"]).to_string(),
            )
        })
        .collect();
    let ledger = format!("{HEADER}{LEDGER}");
    assert_eq!(
        files,
        [
            ("input", "ledger.csv", ledger.len() as u64, sha(&ledger)),
            ("prices", "prices.csv", PRICES.len() as u64, sha(PRICES)),
        ]
    );
}

/// A run compared with its own saved JSON: nothing changed, in JSON, in the
/// table and on the page.
#[test]
fn compare_against_itself_says_nothing_changed() {
    let dir = setup();
    for extra in [
        &[][..],
        &["--ordinary-income", "50000", "--shock", "-0.2"][..],
    ] {
        save(dir.path(), "plan.json", extra);
        let mut a = vec!["--prices", "prices.csv", "--compare", "plan.json"];
        a.extend_from_slice(extra);
        let v = json(dir.path(), &a);
        let c = &v["compare"];
        assert_eq!(c["file"], "plan.json");
        assert_eq!(c["saved_as_of"], "2025-12-01");
        assert_eq!(c["nothing_changed"], true, "{c}");
        assert_eq!(c["inputs"], Value::Array(vec![]));
        assert_eq!(c["changed_figures"], Value::Array(vec![]));
        assert_eq!(c["figures"]["tax_saved"]["change"], "0.00");
        assert_eq!(
            c["sales"]["unchanged"],
            v["plan"]["sales"].as_array().unwrap().len()
        );
        let table = ok(dir.path(), &a);
        assert!(
            table.contains(
                "Compared with plan.json (saved as of 2025-12-01): nothing changed (the same inputs, figures and sales)."
            ),
            "{table}"
        );
        a.extend(["--format", "html"]);
        let html = ok(dir.path(), &a);
        assert!(html.contains("<p>Nothing changed: the same inputs, figures and sales.</p>"));
    }
    // A scan saved before harvest recorded its inputs: the figures and sales
    // are compared, and the table says the inputs are unknown.
    save(dir.path(), "plan.json", &[]);
    let path = dir.path().join("plan.json");
    let mut old: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    old.as_object_mut().unwrap().remove("inputs");
    std::fs::write(&path, old.to_string()).unwrap();
    let a = ["--prices", "prices.csv", "--compare", "plan.json"];
    let c = &json(dir.path(), &a)["compare"];
    assert_eq!(c["inputs_recorded"], false);
    assert_eq!(c["changed_figures"], Value::Array(vec![]));
    let table = ok(dir.path(), &a);
    assert!(table.contains(
        "plan.json records no inputs (saved by an earlier harvest): only the figures and sales are compared.\nFigures: the same.\nSales: the same (1)."
    ), "{table}");
}

/// The plan of [`a_shock_of_minus_20_percent_by_hand`] at today's prices,
/// saved, then compared with the run under `--shock -0.20`: the shock is the
/// only input that differs; tax after 0.00 -> -624.00 and tax saved 240.00 ->
/// 864.00 (+624.00); the loss available 1,000 -> 3,600; the plan's short-term
/// loss -1,000 -> -2,200, its long-term 0 -> -1,400, the loss used 1,000 ->
/// 3,600; Schedule D after lines 7, 15, 16 and 21 from 0 to -1,200, -1,400,
/// -2,600 and -2,600. The ETH sale keeps its 2 units but realizes -2,200
/// instead of -1,000 (-1,200); the BTC sale (0.1, -1,400) is new. Compared
/// the other way round, the BTC sale is removed.
#[test]
fn compare_after_a_shock_lists_what_changed() {
    let dir = setup();
    save(dir.path(), "plan.json", &[]);
    let v = json(
        dir.path(),
        &[
            "--prices",
            "prices.csv",
            "--shock",
            "-0.20",
            "--compare",
            "plan.json",
        ],
    );
    let c = &v["compare"];
    assert_eq!(c["nothing_changed"], false);
    assert_eq!(
        c["inputs"],
        serde_json::json!([{"key": "shock", "saved": "0", "now": "-0.2"}])
    );
    let changed: Vec<(&str, &str, &str, &str)> = c["changed_figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let f = &c["figures"][s(k)];
            (s(k), s(&f["saved"]), s(&f["now"]), s(&f["change"]))
        })
        .collect();
    assert_eq!(
        changed,
        [
            ("tax_after", "0.00", "-624.00", "-624.00"),
            ("tax_saved", "240.00", "864.00", "624.00"),
            ("loss_available", "1000.00", "3600.00", "2600.00"),
            (
                "plan.realized_short_term",
                "-1000.00",
                "-2200.00",
                "-1200.00"
            ),
            ("plan.realized_long_term", "0.00", "-1400.00", "-1400.00"),
            ("plan.loss_used_this_year", "1000.00", "3600.00", "2600.00"),
            ("schedule_d_after.line_7", "0.00", "-1200.00", "-1200.00"),
            ("schedule_d_after.line_15", "0.00", "-1400.00", "-1400.00"),
            ("schedule_d_after.line_16", "0.00", "-2600.00", "-2600.00"),
            ("schedule_d_after.line_21", "0.00", "-2600.00", "-2600.00"),
        ]
    );
    assert_eq!(c["figures"]["tax_before"]["change"], "0.00");
    assert_eq!(c["figures"]["loss_needed"]["now"], "4000.00");
    assert_eq!(
        c["sales"],
        serde_json::json!({
            "added": [{"account": "coinbase", "asset": "BTC", "quantity": "0.1", "price": "76000.00", "realized": "-1400.00"}],
            "removed": [],
            "changed": [{
                "account": "coinbase", "asset": "ETH",
                "quantity": {"saved": "2", "now": "2"},
                "price": {"saved": "3000.00", "now": "2400.00"},
                "realized": {"saved": "-1000.00", "now": "-2200.00", "change": "-1200.00"},
            }],
            "unchanged": 0,
        })
    );

    // The table says the same.
    let table = ok(
        dir.path(),
        &[
            "--prices",
            "prices.csv",
            "--shock",
            "-0.20",
            "--compare",
            "plan.json",
        ],
    );
    let at = table
        .find("Compared with plan.json (saved as of 2025-12-01):")
        .expect("the comparison follows the scan");
    let rows: Vec<Vec<&str>> = table[at..]
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| {
            l.split('│')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    for want in [
        vec!["shock", "0", "-0.2"],
        vec!["Tax saved", "240.00", "864.00", "624.00"],
        vec!["Schedule D line 21 after", "0.00", "-2600.00", "-2600.00"],
        vec!["added", "coinbase", "BTC", "0.1", "-1400.00", "-1400.00"],
        vec![
            "changed", "coinbase", "ETH", "2", "2", "-1000.00", "-2200.00", "-1200.00",
        ],
    ] {
        assert!(rows.contains(&want), "{want:?} in\n{}", &table[at..]);
    }
    assert!(table[at..].contains("Figures that changed (16 others the same):"));

    // The other way round: the BTC sale is removed, the tax saved falls.
    save(dir.path(), "shocked.json", &["--shock", "-0.20"]);
    let v = json(
        dir.path(),
        &["--prices", "prices.csv", "--compare", "shocked.json"],
    );
    let c = &v["compare"];
    assert_eq!(c["figures"]["tax_saved"]["change"], "-624.00");
    assert_eq!(c["sales"]["added"], Value::Array(vec![]));
    assert_eq!(c["sales"]["removed"][0]["asset"], "BTC");
    assert_eq!(c["sales"]["removed"][0]["realized"], "-1400.00");
}

/// A new price file (the same prices 20% lower) is an input that differs,
/// named with both SHA-256 sums; the figures change as under the shock.
#[test]
fn a_new_price_file_is_named_by_its_sha256() {
    let dir = setup();
    save(dir.path(), "plan.json", &[]);
    let v = json(
        dir.path(),
        &["--prices", "prices-lower.csv", "--compare", "plan.json"],
    );
    let c = &v["compare"];
    let inputs = c["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    assert_eq!(inputs[0]["key"], "files.prices");
    assert_eq!(inputs[0]["saved"]["name"], "prices.csv");
    assert_eq!(inputs[0]["now"]["name"], "prices-lower.csv");
    let sha = |t: &str| -> String {
        ring::digest::digest(&ring::digest::SHA256, t.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(inputs[0]["saved"]["sha256"], sha(PRICES).as_str());
    assert_eq!(inputs[0]["now"]["sha256"], sha(PRICES_LOWER).as_str());
    assert_eq!(c["figures"]["tax_saved"]["change"], "624.00");
    // The same file name with new content: its content changed.
    std::fs::write(dir.path().join("prices.csv"), PRICES_LOWER).unwrap();
    let v = json(
        dir.path(),
        &["--prices", "prices.csv", "--compare", "plan.json"],
    );
    let i = &v["compare"]["inputs"][0];
    assert_eq!(i["key"], "files.prices");
    assert_eq!(i["saved"]["name"], i["now"]["name"]);
    assert_eq!(i["now"]["sha256"], sha(PRICES_LOWER).as_str());
    let table = ok(
        dir.path(),
        &["--prices", "prices.csv", "--compare", "plan.json"],
    );
    let short = &sha(PRICES_LOWER)[..12];
    assert!(
        table.contains(&format!("prices.csv (sha256 {short}…)")),
        "{table}"
    );
}

/// The text of an HTML section, cell by cell: each row's cells.
fn section_rows(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = start + html[start..].find("</section>").unwrap();
    html[start..end]
        .split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let text = &cell[cell.find('>').unwrap() + 1..];
                    text[..text.find("</td>").unwrap()].to_string()
                })
                .collect()
        })
        .filter(|r: &Vec<String>| !r.is_empty())
        .collect()
}

fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

/// The page under `--ordinary-income 50000 --shock -0.20` (single, 2025).
/// Before: ordinary income 50,000 + the 1,000 short-term gain = 51,000: 10% of
/// 11,925 = 1,192.50; 12% of 48,475 - 11,925 = 36,550 is 4,386.00; 22% of
/// 51,000 - 48,475 = 2,525 is 555.50; total 6,134.00. After the plan's
/// -3,600 (line 16 -2,600, all deducted): 47,400: 1,192.50 + 12% of 35,475 =
/// 4,257.00: 5,449.50, nothing at 22%. Saved 684.50 (the 1,000 gain at 22% =
/// 220, and of the 2,600 deduction 1,525 at 22% = 335.50 and 1,075 at 12% =
/// 129). The columns add up to the totals, which are the JSON's tax_before
/// and tax_after. Schedule D: line 7 1,000 -> -1,200, 15 0 -> -1,400, 16
/// 1,000 -> -2,600, 21 0 -> -2,600. The loss: 3,600 used, 0 carried.
#[test]
fn the_page_shows_schedule_d_and_the_tax_by_bracket_adding_up() {
    let dir = setup();
    let args = [
        "--prices",
        "prices.csv",
        "--shock",
        "-0.20",
        "--ordinary-income",
        "50000",
    ];
    let mut a = args.to_vec();
    a.extend(["--format", "html"]);
    let html = ok(dir.path(), &a);
    let v = json(dir.path(), &args);
    assert_eq!(v["tax_before"], "6134.00");
    assert_eq!(v["tax_after"], "5449.50");
    assert_eq!(v["tax_saved"], "684.50");

    let rows = section_rows(&html, "brackets");
    let (total, slices) = rows.split_last().unwrap();
    let slices: Vec<Vec<&str>> = slices
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        slices,
        [
            vec![
                "Ordinary income",
                "10%",
                "11925.00",
                "1192.50",
                "11925.00",
                "1192.50"
            ],
            vec![
                "Ordinary income",
                "12%",
                "36550.00",
                "4386.00",
                "35475.00",
                "4257.00"
            ],
            vec![
                "Ordinary income",
                "22%",
                "2525.00",
                "555.50",
                "0.00",
                "0.00"
            ],
        ]
    );
    assert_eq!(total[0], "Total");
    assert_eq!(
        (total[3].as_str(), total[5].as_str()),
        ("6134.00", "5449.50")
    );
    let sum = |col: usize| -> rust_decimal::Decimal { slices.iter().map(|r| dec(r[col])).sum() };
    assert_eq!(sum(3), dec(s(&v["tax_before"])));
    assert_eq!(sum(5), dec(s(&v["tax_after"])));
    assert_eq!(sum(2), dec("51000")); // the taxable income before
    assert_eq!(sum(4), dec("47400"));

    let lines: Vec<Vec<String>> = section_rows(&html, "schedule-d")
        .into_iter()
        .map(|r| vec![r[0].clone(), r[2].clone(), r[3].clone(), r[4].clone()])
        .collect();
    assert_eq!(
        lines,
        [
            vec!["7", "1000.00", "-1200.00", "-2200.00"],
            vec!["15", "0.00", "-1400.00", "-1400.00"],
            vec!["16", "1000.00", "-2600.00", "-3600.00"],
            vec!["21", "0.00", "-2600.00", "-2600.00"],
        ]
    );
    assert!(html.contains(
        "Of the plan's net loss of 3600.00: 3600.00 used this year, 0.00 carried to 2026"
    ));
    // No script, no external resource.
    assert!(!html.contains("<script") && !html.contains("https://") && !html.contains(" src="));

    // Flat rates (no income given): the capital result at 24% and 15%.
    // Before, 1,000 short-term at 24% = 240.00; after the plan's -1,000 at
    // today's prices, line 16 is 0: no slice, 0.00.
    let html = ok(dir.path(), &["--prices", "prices.csv", "--format", "html"]);
    let rows = section_rows(&html, "brackets");
    assert_eq!(
        rows[0],
        [
            "Short-term gains and the loss deduction",
            "24%",
            "1000.00",
            "240.00",
            "0.00",
            "0.00"
        ]
    );
    assert_eq!(
        (rows[1][3].as_str(), rows[1][5].as_str()),
        ("240.00", "0.00")
    );
}

/// The chart of the loss used and carried: 1 ETH bought for 10,000, worth
/// 4,000; ordinary income 1,000 and --target 3000: 3,000 realized, 1,000
/// used this year (the income absorbs no more), 2,000 carried, worth 200.00
/// at the 10% marginal rate.
#[test]
fn the_page_charts_the_loss_used_and_carried() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ledger.csv"),
        format!("{HEADER}b1,2025-01-10T00:00:00Z,coinbase,buy,10000,USD,1,ETH,,,,,,\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("prices.csv"),
        "time,asset,price\n2025-12-01,ETH,4000\n",
    )
    .unwrap();
    let html = ok(
        dir.path(),
        &[
            "--prices",
            "prices.csv",
            "--ordinary-income",
            "1000",
            "--target",
            "3000",
            "--format",
            "html",
        ],
    );
    let start = html.find("<section id=\"loss-use\">").unwrap();
    let sec = &html[start..start + html[start..].find("</section>").unwrap()];
    assert!(sec.contains("<svg"), "{sec}");
    assert!(sec.contains("<title>Used in 2025 1000.00</title>"), "{sec}");
    assert!(
        sec.contains("<title>Carried to 2026 2000.00</title>"),
        "{sec}"
    );
    assert!(sec.contains(
        "Of the plan's net loss of 3000.00: 1000.00 used this year, 2000.00 carried to 2026 (worth 200.00 then at 10%"
    ));
}

/// What cannot be compared or shocked is said, naming the file: a report's
/// JSON, a file that is not JSON, a missing file (exit 1); --compare with CSV
/// and a shock of -1 or more down, or not a number (exit 2).
#[test]
fn bad_compare_files_and_shocks_are_refused() {
    let dir = setup();
    let report = common::harvest()
        .current_dir(dir.path())
        .args([
            "report",
            "ledger.csv",
            "--year",
            "2025",
            "--format",
            "json",
            "-o",
            "report.json",
        ])
        .output()
        .unwrap();
    assert!(report.status.success());
    std::fs::write(dir.path().join("notes.txt"), "not json at all\n").unwrap();
    std::fs::write(dir.path().join("other.json"), "{\"plan\": {}}\n").unwrap();
    for (file, says) in [
        (
            "report.json",
            "harvest: error: report.json: a report (harvest report --format json), not a scan plan; give a file written by harvest scan --format json",
        ),
        ("notes.txt", "harvest: error: notes.txt: not JSON"),
        (
            "other.json",
            "harvest: error: other.json: not a scan plan: no tax_before",
        ),
        ("missing.json", "harvest: error: missing.json: cannot read"),
    ] {
        let o = scan(dir.path(), &["--prices", "prices.csv", "--compare", file]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{file}: {err}");
        assert!(err.contains(says), "{file}: {err}");
        assert!(o.stdout.is_empty());
    }
    save(dir.path(), "plan.json", &[]);
    for (args, says) in [
        (
            vec!["--compare", "plan.json", "--format", "csv"],
            "--compare prints with --format table, json or html",
        ),
        (
            vec!["--shock", "-1"],
            "a price shock is a fraction above -1",
        ),
        (vec!["--shock", "-20"], "(-20% is -0.2)"),
        (vec!["--shock", "abc"], "a price shock as a fraction"),
        (vec!["--shock", "101"], "at most 100"),
    ] {
        let mut a = vec!["--prices", "prices.csv"];
        a.extend_from_slice(&args);
        let o = scan(dir.path(), &a);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
