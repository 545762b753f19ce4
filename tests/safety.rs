//! Spreadsheet safety (scam tokens named like formulas), files (inputs never
//! modified, `-o` atomic, a closed pipe is a quiet success) and determinism
//! (byte-identical outputs, whatever the order of the input files).

mod common;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const SCAM: &str = "fixtures/ledgers/scam-token-names.csv";
const EX: &str = "fixtures/example/ledger.csv";

fn harvest(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harvest"))
        .args(args)
        .output()
        .expect("run harvest")
}

fn ok(args: &[&str]) -> Vec<u8> {
    let o = harvest(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// Every cell of a CSV output: none may start a formula.
fn assert_no_formula(what: &str, csv_bytes: &[u8]) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_bytes);
    let mut cells = 0;
    for rec in r.records() {
        let rec = rec.unwrap_or_else(|e| panic!("{what}: not CSV: {e}"));
        for cell in rec.iter() {
            cells += 1;
            let risky = matches!(
                cell.as_bytes().first(),
                Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
            );
            assert!(
                !risky || cell.parse::<rust_decimal::Decimal>().is_ok(),
                "{what}: unprotected cell {cell:?}"
            );
        }
    }
    assert!(cells > 0, "{what}: empty");
}

/// The scam ledger's names must be present (protected), not dropped.
fn assert_names_kept(what: &str, out: &[u8]) {
    let s = String::from_utf8_lossy(out);
    assert!(s.contains("HYPERLINK"), "{what}: {s}");
}

#[test]
fn formula_names_are_protected_in_every_csv_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let prices = d("prices.csv");
    std::fs::write(
        &prices,
        "asset,price\n\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",0.01\n",
    )
    .unwrap();

    let imported = ok(&["import", SCAM]);
    assert_no_formula("import", &imported);
    assert_names_kept("import", &imported);
    for (what, args) in [
        ("lots", vec!["lots", SCAM, "--format", "csv"]),
        (
            "lots --prices",
            vec!["lots", SCAM, "--format", "csv", "--prices", &prices],
        ),
        (
            "gains",
            vec!["gains", SCAM, "--year", "2025", "--format", "csv"],
        ),
        (
            "report",
            vec!["report", SCAM, "--year", "2025", "--format", "csv"],
        ),
        (
            "report turbotax",
            vec!["report", SCAM, "--year", "2025", "--format", "turbotax"],
        ),
        (
            "report taxact",
            vec!["report", SCAM, "--year", "2025", "--format", "taxact"],
        ),
        (
            "scan",
            vec![
                "scan",
                SCAM,
                "--prices",
                &prices,
                "--as-of",
                "2025-12-15",
                // The scam tokens' losses are cents: below the default --min-loss.
                "--min-loss",
                "0",
                "--format",
                "csv",
            ],
        ),
    ] {
        let out = ok(&args);
        assert_no_formula(what, &out);
        assert_names_kept(what, &out);
    }
    let (plan, sel) = (d("plan.csv"), d("sel.csv"));
    ok(&[
        "scan",
        SCAM,
        "--prices",
        &prices,
        "--as-of",
        "2025-12-15",
        "--min-loss",
        "0",
        "--emit-ledger",
        &plan,
        "--emit-selections",
        &sel,
    ]);
    for f in [&plan, &sel] {
        let bytes = std::fs::read(f).unwrap();
        assert_no_formula(f, &bytes);
        let s = String::from_utf8_lossy(&bytes);
        assert!(
            s.contains("'=cmd|") || s.contains("'=HYPERLINK"),
            "{f}: {s}"
        );
    }
    // What harvest protected it reads back as it was: the plan, with its
    // selections, runs under specific identification.
    let o = harvest(&[
        "gains",
        SCAM,
        &plan,
        "--method",
        "specific",
        "--selections",
        &sel,
        "--year",
        "2025",
        "--format",
        "csv",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_no_formula("gains of the plan", &o.stdout);
}

#[test]
fn an_imported_ledger_with_formula_names_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.csv");
    let ledger = ledger.to_str().unwrap();
    ok(&["import", SCAM, "-o", ledger]);
    let direct = ok(&["gains", SCAM, "--year", "2025", "--format", "csv"]);
    let via = ok(&["gains", ledger, "--year", "2025", "--format", "csv"]);
    assert_eq!(direct, via);
    // Importing the imported ledger again changes nothing.
    assert_eq!(ok(&["import", ledger]), std::fs::read(ledger).unwrap());
}

#[test]
fn formula_names_in_an_exchange_export_are_protected_through_import() {
    let export = std::fs::read_to_string("fixtures/walkthrough/coinbase.csv")
        .unwrap()
        .replace(",ETH,", ",=HYPERLINK(\"\"http://x\"\"),")
        .replace(",BTC,", ",@SUM(1+1),");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("coinbase.csv");
    std::fs::write(&p, export).unwrap();
    let p = p.to_str().unwrap();
    let o = harvest(&["import", p]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_no_formula("import coinbase", &o.stdout);
    assert!(String::from_utf8_lossy(&o.stdout).contains("'@SUM(1+1)"));
    for args in [
        vec!["gains", p, "--year", "2025", "--format", "csv"],
        vec!["lots", p, "--format", "csv"],
        vec!["report", p, "--year", "2025", "--format", "csv"],
    ] {
        assert_no_formula(&format!("{args:?}"), &ok(&args));
    }
}

#[test]
fn inputs_are_never_modified() {
    let files = [EX, SCAM, "fixtures/example/prices.csv"];
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    for args in [
        vec!["import", EX, SCAM],
        vec!["lots", EX, SCAM, "--prices", "fixtures/example/prices.csv"],
        vec!["gains", EX, SCAM, "--year", "2025"],
        vec!["report", EX, SCAM, "--year", "2025", "--format", "json"],
        vec![
            "scan",
            EX,
            "--prices",
            "fixtures/example/prices.csv",
            "--as-of",
            "2025-12-15",
        ],
    ] {
        harvest(&args);
    }
    for (f, b) in files.iter().zip(before) {
        assert_eq!(std::fs::read(f).unwrap(), b, "{f} was modified");
    }
}

#[test]
fn a_failed_run_leaves_an_existing_output_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("8949.csv");
    std::fs::write(&out, "last year's good output\n").unwrap();
    let o = harvest(&[
        "gains",
        "fixtures/bad/oversold.csv",
        "--year",
        "2025",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "last year's good output\n"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
    // A good run replaces it whole.
    ok(&[
        "gains",
        EX,
        "--year",
        "2025",
        "--format",
        "csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        ok(&["gains", EX, "--year", "2025", "--format", "csv"])
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
}

/// A ledger of `n` buys and sells, one a minute.
fn big_ledger(path: &Path, n: usize) {
    let mut s =
        String::from("id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset\n");
    for i in 0..n {
        let (h, m) = (i / 60, i % 60);
        let day = 1 + h / 24;
        let h = h % 24;
        s.push_str(&format!(
            "b{i},2025-01-{day:02}T{h:02}:{m:02}:00Z,cb,buy,{},USD,1,BTC\n",
            100 + i % 7
        ));
        s.push_str(&format!(
            "s{i},2025-01-{day:02}T{h:02}:{m:02}:30Z,cb,sell,0.5,BTC,{},USD\n",
            60 + i % 5
        ));
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn writing_into_a_closed_pipe_exits_0_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.csv");
    big_ledger(&p, 20_000);
    for args in [
        vec![
            "gains",
            p.to_str().unwrap(),
            "--year",
            "2025",
            "--format",
            "csv",
        ],
        vec!["gains", p.to_str().unwrap(), "--year", "2025"],
        vec!["lots", p.to_str().unwrap(), "--format", "csv"],
        vec!["import", p.to_str().unwrap()],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_harvest"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut head = [0u8; 100];
        stdout.read_exact(&mut head).unwrap();
        drop(stdout); // `| head` exits
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !err.contains("error") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

fn all_outputs(inputs: &[&str]) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    let with = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec![extra[0].to_string()];
        a.extend(inputs.iter().map(|s| s.to_string()));
        a.extend(extra[1..].iter().map(|s| s.to_string()));
        a
    };
    for extra in [
        vec!["gains", "--year", "2025", "--format", "csv"],
        vec!["gains", "--year", "2025"],
        vec!["report", "--year", "2025", "--format", "json"],
        vec!["report", "--year", "2025", "--format", "csv"],
        vec![
            "lots",
            "--format",
            "csv",
            "--prices",
            "fixtures/example/prices.csv",
        ],
        vec![
            "scan",
            "--prices",
            "fixtures/example/prices-dec15.csv",
            "--as-of",
            "2025-12-15",
            "--format",
            "json",
        ],
    ] {
        let args = with(&extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        v.push(common::without_settings(&String::from_utf8_lossy(&ok(&args))).into_bytes());
    }
    v
}

#[test]
fn the_same_inputs_give_byte_identical_outputs() {
    let first = all_outputs(&[EX]);
    for _ in 0..3 {
        assert_eq!(all_outputs(&[EX]), first);
    }
    let a = ok(&[
        "import",
        "fixtures/walkthrough/coinbase.csv",
        "fixtures/walkthrough/kraken-ledgers.csv",
    ]);
    let b = ok(&[
        "import",
        "fixtures/walkthrough/coinbase.csv",
        "fixtures/walkthrough/kraken-ledgers.csv",
    ]);
    assert_eq!(a, b);
}

/// Rows at distinct times give the same output whatever the order of the files
/// (rows of the same instant keep input order, SPEC section 3, so they are not
/// part of this test).
#[test]
fn the_order_of_input_files_does_not_matter_for_rows_at_distinct_times() {
    let text = std::fs::read_to_string(EX).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let times: std::collections::HashSet<&str> =
        rows.iter().map(|r| r.split(',').nth(1).unwrap()).collect();
    assert_eq!(
        times.len(),
        rows.len(),
        "the example's rows have distinct times"
    );
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.csv"),
        dir.path().join("b.csv"),
        dir.path().join("c.csv"),
    );
    let part = |k: usize| {
        let mut s = format!("{header}\n");
        for r in rows.iter().skip(k).step_by(3) {
            s.push_str(r);
            s.push('\n');
        }
        s
    };
    std::fs::write(&a, part(0)).unwrap();
    std::fs::write(&b, part(1)).unwrap();
    std::fs::write(&c, part(2)).unwrap();
    let (a, b, c) = (
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        c.to_str().unwrap(),
    );
    let whole = all_outputs(&[EX]);
    for order in [[a, b, c], [c, b, a], [b, a, c], [c, a, b]] {
        assert_eq!(all_outputs(&order), whole, "{order:?}");
    }
}

/// `-o` naming a device or a pipe writes into it, never renames a file over
/// it: as root, `-o /dev/null` used to replace /dev/null with a plain file.
#[cfg(unix)]
#[test]
fn output_to_a_named_pipe_is_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).unwrap())
    };
    let o = harvest(&[
        "gains",
        EX,
        "--year",
        "2025",
        "--format",
        "csv",
        "-q",
        "-o",
        fifo.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = reader.join().unwrap();
    let direct = harvest(&["gains", EX, "--year", "2025", "--format", "csv", "-q"]);
    assert_eq!(got, direct.stdout);
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata(&fifo).unwrap().file_type().is_fifo(),
        "still a pipe"
    );
}
