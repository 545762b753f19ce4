//! Issue 24, end to end: each sale in the box its broker's Form 1099-DA
//! implies, and the digital-asset question of Form 1040 (fixtures/filing).
//!
//! The ledger, by hand (FIFO, per wallet):
//! - 2025: Coinbase sells 0.2 of the 1 ETH it bought in 2024 for 2,000:
//!   600 - 400 = 200, short-term, box H (a broker's 2025 form: gross
//!   proceeds only). Schedule D line 2 = 200.
//! - 2026, Coinbase: 0.8 of the 2024 ETH for 2,800 (1,200, long, not
//!   covered: K); the 1 ETH Kraken bought in 2025 and sent over, for 3,200
//!   (700, short, transferred in: H); 0.5 of the ETH bought there in 2026,
//!   for 1,750 (250, short, covered: G).
//! - 2026, a hardware wallet spends 0.5 of Kraken's ETH at 1,600 (350, short,
//!   self-custody: I); Kraken sells its last 0.5 for 1,700 (450, long: K).
//! - Schedule D 2026: line 1b 250, line 2 700, line 3 350, line 9 1,650.
//! - With Coinbase's 1099-DA, which lists s26a as K and s26c without basis
//!   (box 9: noncovered), and not s26b: s26c goes to H, s26b (not reported
//!   to the user) to I. Line 1b 0, line 2 250, line 3 1,050, line 9 1,650.

mod common;
use common::ok;

use serde_json::Value;

const LEDGER: &str = "fixtures/filing/ledger.csv";
const FORM: &str = "fixtures/filing/coinbase-1099da-2026.csv";

fn report(args: &[&str]) -> Value {
    let mut a = vec!["report", LEDGER, "--format", "json", "-q"];
    a.extend_from_slice(args);
    serde_json::from_str(&ok(&a)).unwrap()
}

fn lines(j: &Value) -> [String; 6] {
    [
        "line_1b", "line_2", "line_3", "line_8b", "line_9", "line_10",
    ]
    .map(|k| j["schedule_d"][k].as_str().unwrap().to_string())
}

fn boxes(j: &Value) -> Vec<(String, String)> {
    j["form_8949"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["disposal_id"].as_str().unwrap().to_string(),
                r["box"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// A ledger of `rows` (after the header) in a temporary folder, kept alive
/// by the returned folder.
fn temp_ledger(rows: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.csv");
    std::fs::write(
        &ledger,
        format!("id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n{rows}"),
    )
    .unwrap();
    let path = ledger.to_str().unwrap().to_string();
    (dir, path)
}

#[test]
fn each_sale_goes_to_the_box_its_broker_reports() {
    let j = report(&["--year", "2025"]);
    assert_eq!(boxes(&j), pairs(&[("s25", "H")]));
    assert_eq!(
        lines(&j),
        ["0.00", "200.00", "0.00", "0.00", "0.00", "0.00"]
    );

    let j = report(&["--year", "2026"]);
    assert_eq!(
        boxes(&j),
        pairs(&[
            ("s26c", "G"),
            ("s26b", "H"),
            ("x26", "I"),
            ("s26a", "K"),
            ("k26", "K")
        ])
    );
    assert_eq!(
        lines(&j),
        ["250.00", "700.00", "350.00", "0.00", "1650.00", "0.00"]
    );
}

#[test]
fn the_broker_s_form_decides_when_given() {
    let j = report(&["--year", "2026", "--1099da", FORM]);
    assert_eq!(
        boxes(&j),
        pairs(&[
            ("s26c", "H"),
            ("s26b", "I"),
            ("x26", "I"),
            ("s26a", "K"),
            ("k26", "K")
        ])
    );
    assert_eq!(
        lines(&j),
        ["0.00", "250.00", "1050.00", "0.00", "1650.00", "0.00"]
    );
    // reconcile lists the sale the form left out, in box I.
    let r = ok(&[
        "reconcile",
        LEDGER,
        "--year",
        "2026",
        "--1099da",
        FORM,
        "--format",
        "csv",
    ]);
    let only: Vec<&str> = r.lines().filter(|l| l.starts_with("only_ours,")).collect();
    assert_eq!(only.len(), 1, "{r}");
    assert!(only[0].contains(",s26b,") && only[0].contains(",I,"), "{r}");
}

/// `broker = false` makes Kraken self-custody-like (I/L); an explicit box
/// wins over the broker rule.
#[test]
fn harvest_toml_says_which_accounts_are_brokers() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("harvest.toml");
    std::fs::write(
        &toml,
        "[accounts.kraken]\nbroker = false\n\n[accounts.ledger-nano]\nbroker = true\nbox_short = \"H\"\n",
    )
    .unwrap();
    let j = report(&["--year", "2026", "--config", toml.to_str().unwrap()]);
    assert_eq!(
        boxes(&j),
        pairs(&[
            ("s26c", "G"),
            ("s26b", "H"),
            ("x26", "H"),
            ("s26a", "K"),
            ("k26", "L")
        ])
    );
}

/// Units bought on Coinbase in 2026 that went to a wallet and came back are
/// transferred in: H, not G.
#[test]
fn units_that_came_back_are_not_covered() {
    let (_dir, ledger) = temp_ledger(
        "b1,2026-01-10T15:00:00Z,coinbase,buy,3000,USD,1,ETH,,,,,,\n\
w1,2026-02-01T15:00:00Z,coinbase,withdrawal,1,ETH,,,,,,,t1,\n\
d1,2026-02-01T15:30:00Z,ledger-nano,deposit,,,1,ETH,,,,,t1,\n\
w2,2026-03-01T15:00:00Z,ledger-nano,withdrawal,1,ETH,,,,,,,t2,\n\
d2,2026-03-01T15:30:00Z,coinbase,deposit,,,1,ETH,,,,,t2,\n\
s1,2026-04-01T15:00:00Z,coinbase,sell,1,ETH,3500,USD,,,,,,\n",
    );
    let j: Value = serde_json::from_str(&ok(&[
        "report", &ledger, "--year", "2026", "--format", "json", "-q",
    ]))
    .unwrap();
    assert_eq!(boxes(&j), pairs(&[("s1", "H")]));
}

/// Form 1040's question: Yes in 2026 (sales, a spend), with the rows; a
/// year of buying and moving only is No.
#[test]
fn the_form_1040_question_is_answered_with_its_rows() {
    let j = report(&["--year", "2026"]);
    let q = &j["digital_asset_question"];
    assert_eq!(q["answer"], "yes");
    assert_eq!(q["yes_because"][0]["what"], "sold a digital asset");
    assert_eq!(q["yes_because"][0]["count"], 4);
    assert_eq!(q["yes_because"][0]["first"]["id"], "s26a");
    let (_dir, ledger) = temp_ledger(
        "b1,2026-01-10T15:00:00Z,coinbase,buy,3000,USD,1,ETH,,,,,,\n\
w1,2026-02-01T15:00:00Z,coinbase,withdrawal,1,ETH,,,,,,,t1,\n\
d1,2026-02-01T15:30:00Z,ledger-nano,deposit,,,1,ETH,,,,,t1,\n",
    );
    let t = ok(&["report", &ledger, "--year", "2026"]);
    assert!(
        t.contains("did you receive or dispose of a digital asset?\" No"),
        "{t}"
    );
    assert!(
        t.contains("not by itself: bought a digital asset with money: 1"),
        "{t}"
    );
}

/// 2027: the identification of a broker account's sale is the broker's.
#[test]
fn from_2027_a_broker_account_s_identification_is_the_broker_s() {
    let (_dir, ledger) = temp_ledger(
        "b1,2026-01-10T15:00:00Z,coinbase,buy,3000,USD,1,ETH,,,,,,\n\
s1,2027-02-01T15:00:00Z,coinbase,sell,0.5,ETH,2000,USD,,,,,,\n",
    );
    let out = common::harvest()
        .args(["gains", &ledger, "--year", "2027"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "from 2027 the lots a sale in a broker account takes are those identified to the broker"
        ) && err.contains("for coinbase are what the broker was told"),
        "{err}"
    );
    // 2026 sales keep own-books identification: no note.
    let out = common::harvest()
        .args(["gains", LEDGER, "--year", "2026"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("from 2027"));
}

/// Exception 1 and 2, by hand, with a 1099-DA that reports basis for s26b
/// (2,400: ours is 2,500, so code B and -100 in column (g)) and s26c (1,500,
/// ours too), both box G.
/// - `--exception-1`: s26c (G, no code) leaves Form 8949 for Schedule D line
///   1a (250); s26b stays in G (line 1b 700); line 7 is unchanged (1,300).
/// - `--summary`: one row per box and account, code M: G coinbase (2 rows,
///   4,950 / 3,900, codes BM, -100, gain 950), I ledger-nano, K coinbase,
///   K kraken; the rows are the attached statement.
#[test]
fn exceptions_1_and_2() {
    const BASIS: &str = "fixtures/filing/coinbase-1099da-2026-basis.csv";
    let j = report(&["--year", "2026", "--1099da", BASIS, "--exception-1"]);
    let d = &j["schedule_d"];
    assert_eq!(d["line_1a"], "250.00");
    assert_eq!(d["line_1b"], "700.00");
    assert_eq!(d["line_7"], "1300.00");
    assert_eq!(d["line_8a"], "0.00");
    assert_eq!(j["exception_1"]["short_term"]["proceeds"], "1750.00");
    assert_eq!(j["exception_1"]["rows"][0]["disposal_id"], "s26c");
    // The totals by term are Form 8949's: without the excepted row.
    assert_eq!(j["short_term"]["proceeds"], "4800.00");
    assert_eq!(j["short_term"]["gain"], "1050.00");
    assert!(!boxes(&j).iter().any(|(id, _)| id == "s26c"));
    // Our own predicted G rows never leave Form 8949.
    let own = report(&["--year", "2026", "--1099da", FORM, "--exception-1"]);
    assert_eq!(own["schedule_d"]["line_1a"], "0.00");
    let plain = report(&["--year", "2026", "--exception-1", "--1099da", FORM]);
    assert_eq!(plain["schedule_d"]["line_16"], own["schedule_d"]["line_16"]);

    let j = report(&["--year", "2026", "--1099da", BASIS, "--summary"]);
    let s: Vec<(String, String, String, String, String)> = j["form_8949_summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["box"].as_str().unwrap().into(),
                r["account"].as_str().unwrap().into(),
                r["adjustment_code"].as_str().unwrap().into(),
                r["adjustment"].as_str().unwrap().into(),
                r["gain"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        ("G", "coinbase", "BM", "-100.00", "950.00"),
        ("I", "ledger-nano", "M", "0.00", "350.00"),
        ("K", "coinbase", "M", "0.00", "1200.00"),
        ("K", "kraken", "M", "0.00", "450.00"),
    ]
    .map(|(a, b, c, d, e)| (a.into(), b.into(), c.into(), d.into(), e.into()));
    assert_eq!(s, want);
    assert_eq!(
        j["form_8949_summary"][0]["description"],
        "coinbase: see attached statement"
    );
    assert_eq!(j["form_8949_summary"][0]["proceeds"], "4950.00");
    // The statement keeps every row.
    assert_eq!(j["form_8949"].as_array().unwrap().len(), 5);
    // Tax software takes the rows: the exceptions are refused there.
    let out = common::harvest()
        .args([
            "report",
            LEDGER,
            "--year",
            "2026",
            "--summary",
            "--format",
            "turbotax",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // --exception-1 needs the form.
    let out = common::harvest()
        .args(["report", LEDGER, "--year", "2026", "--exception-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Item 5: each tax-software file says what it cannot express. TurboTax's
/// CSV has no box (the 2026 rows span G, H, I, K) and no field for inherited
/// property (an inheritance sold within a year of the death is long-term by
/// law, short-term by its dates: refused); TaxAct documents only A-F.
#[test]
fn each_export_says_what_it_cannot_express() {
    let out = common::harvest()
        .args(["report", LEDGER, "--year", "2026", "--format", "turbotax"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TurboTax's crypto CSV has no Form 8949 box: these rows belong in boxes G (1), H (1), I (1), K (2)"),
        "{err}"
    );
    let out = common::harvest()
        .args(["report", LEDGER, "--year", "2026", "--format", "taxact"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("names only the securities boxes A-F"), "{err}");
    let out = common::harvest()
        .args([
            "report",
            "fixtures/gifts/ledger.csv",
            "--year",
            "2025",
            "--format",
            "turbotax",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("inherited units sold within a year of the death"),
        "{err}"
    );
    // TXF and TaxAct carry the term: they take the same rows.
    ok(&[
        "report",
        "fixtures/gifts/ledger.csv",
        "--year",
        "2025",
        "--format",
        "taxact",
    ]);
}
