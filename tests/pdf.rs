//! Issue 24 item 3: `report --format pdf`, the forms on paper. The text is
//! extracted with pdftotext (poppler-utils, installed by .ci/run; the tests
//! are skipped where it is absent) and every total is checked against the
//! report's JSON; one page is rendered to PNG for a look.

mod common;
use common::ok;

use std::process::Command;

use serde_json::Value;

const LEDGER: &str = "fixtures/filing/ledger.csv";

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success() || !o.stderr.is_empty())
}

/// The text of a PDF, with its layout.
fn text(pdf: &std::path::Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_forms_carry_every_total_of_the_report() {
    if !have("pdftotext") {
        eprintln!("pdftotext not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("forms.pdf");
    for extra in [vec![], vec!["--summary"]] {
        let mut args = vec!["report", LEDGER, "--year", "2026", "-q"];
        args.extend(&extra);
        let mut a = args.clone();
        a.extend(["--format", "pdf", "-o", pdf.to_str().unwrap()]);
        ok(&a);
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        let t = text(&pdf);
        let mut a = args.clone();
        a.extend(["--format", "json"]);
        let j: Value = serde_json::from_str(&ok(&a)).unwrap();
        // Schedule D: each line with its amount.
        for (line, key) in [
            ("1b", "line_1b"),
            ("2 ", "line_2"),
            ("3 ", "line_3"),
            ("7 ", "line_7"),
            ("9 ", "line_9"),
            ("15", "line_15"),
            ("16", "line_16"),
            ("21", "line_21"),
        ] {
            let want = j["schedule_d"][key].as_str().unwrap();
            assert!(
                t.lines()
                    .any(|l| l.starts_with(line) && l.trim_end().ends_with(want)),
                "line {line} {want}:\n{t}"
            );
        }
        // Each box's totals, as the report's boxes.
        for b in j["boxes"].as_array().unwrap() {
            let label = format!("Box {} totals", b["box"].as_str().unwrap());
            let l = t
                .lines()
                .find(|l| l.starts_with(&label))
                .unwrap_or_else(|| panic!("{label}:\n{t}"));
            for k in ["proceeds", "cost_basis", "adjustment", "gain"] {
                assert!(l.contains(b[k].as_str().unwrap()), "{label} {k}: {l}");
            }
        }
        // Every row's description and gain.
        for r in j["form_8949"].as_array().unwrap() {
            assert!(t.contains(r["description"].as_str().unwrap()));
            assert!(t.contains(r["gain"].as_str().unwrap()));
        }
        assert!(t.contains(
            "Form 1040: at any time during 2026, did you receive or dispose of a digital asset? Yes"
        ));
        assert!(t.contains("Capital Loss Carryover Worksheet, for 2027"));
        if extra.is_empty() {
            assert!(t.contains("Part I, Short-Term"));
            assert!(t.contains("Part II, Long-Term"));
        } else {
            assert!(t.contains("Form 8949, tax year 2026 (Exception 2)"));
            for s in j["form_8949_summary"].as_array().unwrap() {
                let d = s["description"].as_str().unwrap();
                let b = s["box"].as_str().unwrap();
                let l = t
                    .lines()
                    .find(|l| l.starts_with(&format!("{b} ")) && l.contains(d))
                    .unwrap();
                assert!(l.contains(s["gain"].as_str().unwrap()), "{l}");
                assert!(l.contains(s["adjustment_code"].as_str().unwrap()), "{l}");
            }
            assert!(t.contains("Form 8949 attached statement"));
        }
    }
    // One page as PNG, for a look: a Letter page at 50 dpi.
    if have("pdftoppm") {
        let png = dir.path().join("page");
        let out = Command::new("pdftoppm")
            .args(["-png", "-r", "50", "-f", "2", "-l", "2", "-singlefile"])
            .arg(&pdf)
            .arg(&png)
            .output()
            .unwrap();
        assert!(out.status.success());
        let file = std::fs::File::open(dir.path().join("page.png")).unwrap();
        let decoder = png::Decoder::new(std::io::BufReader::new(file));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (425, 550));
    }
}

/// A thousand Form 8949 rows: every page's totals add up to the box's, and
/// (in a release build) it takes under a second.
#[test]
fn a_thousand_rows_take_under_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.csv");
    let mut s = String::from(
        "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n\
b0,2024-01-02T00:00:00Z,ledger-nano,deposit,,,1000,ETH,,,,,,\n",
    );
    for i in 0..1000 {
        s += &format!(
            "s{i},2025-03-01T{:02}:{:02}:00Z,ledger-nano,sell,1,ETH,{},USD,,,,,,\n",
            i / 60 % 24,
            i % 60,
            2000 + i
        );
    }
    std::fs::write(&ledger, s).unwrap();
    let pdf = dir.path().join("forms.pdf");
    let start = std::time::Instant::now();
    ok(&[
        "report",
        ledger.to_str().unwrap(),
        "--year",
        "2025",
        "--missing-basis",
        "zero",
        "--format",
        "pdf",
        "-o",
        pdf.to_str().unwrap(),
        "-q",
    ]);
    let took = start.elapsed();
    if !cfg!(debug_assertions) {
        assert!(took.as_secs_f64() < 1.0, "{took:?}");
    }
    if !have("pdftotext") {
        return;
    }
    let t = text(&pdf);
    // 1,000 rows at 52 a page: 20 pages of Form 8949, each with its totals.
    assert_eq!(t.matches("Page totals").count(), 20);
    assert!(t.contains("Page 20 of 20 for this box"));
    let total: u64 = (2000..3000).sum();
    assert!(
        t.lines()
            .any(|l| l.starts_with("Box L totals") && l.contains(&format!("{total}.00"))),
        "{t}"
    );
}
