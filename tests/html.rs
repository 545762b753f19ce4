//! `report --format html` and `scan --format html`: one self-contained page,
//! every text escaped, totals as the other formats print them; rendered in
//! headless Chromium when it is installed.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};

use assert_cmd::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn harvest_in(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

const COINBASE: &str = "fixtures/walkthrough/coinbase.csv";
const KRAKEN: &str = "fixtures/walkthrough/kraken-ledgers.csv";
const PRICES: &str = "fixtures/walkthrough/prices-dec15.csv";

fn report_html() -> String {
    ok(&harvest_in(
        Path::new(ROOT),
        &[
            "report", COINBASE, KRAKEN, "--year", "2025", "--format", "html", "-q",
        ],
    ))
}

/// No scripts, no links, no fetched assets: the page opens offline.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    let lower = html.to_lowercase();
    for bad in [
        "<script", "<link", "<img", "<iframe", "src=", "url(", "@import", "https:",
    ] {
        assert!(!lower.contains(bad), "the page contains {bad:?}");
    }
    // Links stay in the page (a Form 8949 row to its audit trail).
    assert_eq!(
        lower.matches("href=").count(),
        lower.matches("href=\"#trail-").count(),
        "a link leaves the page"
    );
    // The only http: is the SVG namespace.
    assert_eq!(
        lower.matches("http:").count(),
        lower
            .matches("xmlns=\"http://www.w3.org/2000/svg\"")
            .count()
    );
}

#[test]
fn report_html_has_schedule_d_form_8949_and_charts() {
    let html = report_html();
    assert_self_contained(&html);
    for part in [
        "<title>Form 8949 and Schedule D, tax year 2025</title>",
        "id=\"schedule-d\"",
        "id=\"form-8949\"",
        "Part II: long-term",
        "<strong>Box K</strong>",
        "aria-label=\"Realized gain and loss by month\"",
        "aria-label=\"Realized gain and loss by asset\"",
        "not tax advice",
    ] {
        assert!(html.contains(part), "missing {part:?}");
    }
    assert_eq!(html.matches("<svg").count(), 2);
    // The totals are those of the JSON report, to the cent.
    let json: serde_json::Value = serde_json::from_str(&ok(&harvest_in(
        Path::new(ROOT),
        &[
            "report", COINBASE, KRAKEN, "--year", "2025", "--format", "json", "-q",
        ],
    )))
    .unwrap();
    for line in ["line_10", "line_16", "line_21"] {
        let v = json["schedule_d"][line].as_str().unwrap();
        assert!(html.contains(&format!(">{v}</td>")), "{line} {v}");
    }
    let rows = json["form_8949"].as_array().unwrap();
    for r in rows {
        let gain = r["gain"].as_str().unwrap();
        assert!(html.contains(&format!(">{gain}</td>")), "row gain {gain}");
    }
}

#[test]
fn scan_html_has_the_plan_and_the_loss_per_asset() {
    let html = ok(&harvest_in(
        Path::new(ROOT),
        &[
            "scan",
            COINBASE,
            KRAKEN,
            "--prices",
            PRICES,
            "--as-of",
            "2025-12-15",
            "--format",
            "html",
            "-q",
        ],
    ));
    assert_self_contained(&html);
    for part in [
        "Tax-loss harvest scan, 2025-12-15",
        "id=\"plan\"",
        "id=\"candidates\"",
        "aria-label=\"Unrealized loss per asset\"",
        "Estimated tax saved",
    ] {
        assert!(html.contains(part), "missing {part:?}");
    }
}

#[test]
fn html_to_a_file_and_rejected_where_it_does_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let o = harvest_in(
        Path::new(ROOT),
        &[
            "report",
            COINBASE,
            KRAKEN,
            "--year",
            "2025",
            "--format",
            "html",
            "-q",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(ok(&o), "");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), report_html());
    for cmd in ["gains", "lots"] {
        let mut args = vec![cmd, "fixtures/example/ledger.csv", "--format", "html"];
        if cmd == "gains" {
            args.extend(["--year", "2025"]);
        }
        let o = harvest_in(Path::new(ROOT), &args);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn scam_token_names_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ledger.csv"),
        "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,usd_value\n\
         \"<img src=x onerror=alert(1)>\",2024-01-02T00:00:00Z,\"<script>alert(1)</script>\",buy,100,USD,5,SCAM,\n\
         \"=HYPERLINK(\"\"http://evil\"\")\",2025-03-02T00:00:00Z,\"<script>alert(1)</script>\",sell,5,SCAM,40,USD,\n",
    )
    .unwrap();
    let o = harvest_in(
        dir.path(),
        &["report", "ledger.csv", "--year", "2025", "--format", "html"],
    );
    let html = ok(&o);
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("=HYPERLINK(&quot;http://evil&quot;)"));
}

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Decodes a PNG and returns (pixels, non-white pixels, distinct colors seen).
fn ink(png_path: &Path) -> (usize, usize, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let bytes = &buf[..info.buffer_size()];
    let mut colors = std::collections::HashSet::new();
    let (mut total, mut inked) = (0, 0);
    for px in bytes.chunks(channels) {
        total += 1;
        if px.iter().take(3).any(|&c| c < 235) {
            inked += 1;
        }
        if colors.len() < 1000 {
            colors.insert(px.iter().take(3).copied().collect::<Vec<u8>>());
        }
    }
    (total, inked, colors.len())
}

#[test]
fn the_report_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        eprintln!("skipped: /usr/bin/chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    std::fs::write(&html, report_html()).unwrap();
    let png = dir.path().join("report.png");
    let profile = dir.path().join("profile");
    let o = Process::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", profile.display()),
            &format!("--screenshot={}", png.display()),
            "--window-size=1200,1600",
            &format!("file://{}", html.display()),
        ])
        .output()
        .unwrap();
    assert!(
        png.exists(),
        "chromium wrote no screenshot: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (total, inked, colors) = ink(&png);
    assert_eq!(total, 1200 * 1600);
    // Text, tables and bars: far from a blank page, far from a solid fill.
    assert!(
        inked * 100 > total,
        "only {inked} of {total} pixels are not white"
    );
    assert!(inked * 2 < total, "{inked} of {total} pixels are not white");
    assert!(colors > 20, "{colors} colors");
    if std::env::var_os("HARVEST_UPDATE_SCREENSHOT").is_some() {
        std::fs::copy(&png, Path::new(ROOT).join("docs/report.png")).unwrap();
    }
}
