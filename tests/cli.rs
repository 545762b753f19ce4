//! End-to-end tests: the real binary on files in fixtures/, whole outputs compared
//! with golden files in tests/golden/ (rewrite them with HARVEST_UPDATE_GOLDEN=1
//! and review the diff).

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

fn harvest(args: &[&str]) -> Output {
    Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Runs harvest, expects success, and compares stdout with tests/golden/NAME.
fn golden(name: &str, args: &[&str]) {
    let o = harvest(args);
    assert!(
        o.status.success(),
        "harvest {args:?} failed: {}",
        stderr(&o)
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let got = stdout(&o);
    if std::env::var_os("HARVEST_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with HARVEST_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(got, want, "output of harvest {args:?} differs from {name}");
}

/// Expects exit status 1, nothing on stdout, and every `needle` on stderr.
fn fails_with(args: &[&str], needles: &[&str]) {
    let o = harvest(args);
    assert_eq!(o.status.code(), Some(1), "harvest {args:?}: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "stdout not empty: {}", stdout(&o));
    let err = stderr(&o);
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
}

const EX: &str = "fixtures/example/ledger.csv";

#[test]
fn gains_csv_for_each_method() {
    let gains = |m: &str, extra: &[&str]| {
        let args = [&["gains", EX, "--year", "2025", "--method", m][..], extra].concat();
        harvest(&args)
    };
    // The 2025 sales are identified by nothing recorded in time: LIFO and HIFO
    // pick their lots only in the --late-identification what-if.
    for m in ["fifo", "lifo", "hifo"] {
        golden(
            &format!("gains-example-2025-{m}.csv"),
            &[
                "gains",
                EX,
                "--year",
                "2025",
                "--method",
                m,
                "--format",
                "csv",
                "--late-identification",
            ],
        );
    }
    // Issue 14 item 5: by default they are FIFO (Treas. Reg. 1.1012-1(j)), with
    // a warning naming the standing-order way, and the what-if says so. (The
    // 2024 transfer still moved lots by the method, so the rows are not FIFO's.)
    for m in ["lifo", "hifo"] {
        let o = gains(m, &["--format", "csv"]);
        let late = gains(m, &["--format", "csv", "--late-identification"]);
        assert_ne!(stdout(&o), stdout(&late), "{m}");
        let err = stderr(&o);
        assert!(err.contains("taken FIFO, the law's default"), "{err}");
        assert!(err.contains("[[standing_order]]"), "{err}");
        assert!(!err.contains("what-if"), "{err}");
        let late = gains(m, &["--late-identification", "-q"]);
        let out = stdout(&late);
        assert!(
            out.contains("WHAT-IF, NOT A FILING POSITION: --late-identification"),
            "{out}"
        );
        let err = stderr(&late);
        assert!(err.contains("what-if, not a filing position"), "{err}");
        let json = gains(m, &["--late-identification", "--format", "json", "-q"]);
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(v["what_if"].as_array().unwrap().len(), 1);
        for f in ["txf", "turbotax", "taxact"] {
            let o = harvest(&[
                "report",
                EX,
                "--year",
                "2025",
                "--method",
                m,
                "--late-identification",
                "--format",
                f,
            ]);
            assert_eq!(o.status.code(), Some(1), "{f}");
            assert!(
                stderr(&o).contains("not a filing position"),
                "{}",
                stderr(&o)
            );
        }
    }
}

#[test]
fn gains_table_and_json() {
    golden("gains-example-2025.txt", &["gains", EX, "--year", "2025"]);
    golden(
        "gains-example-2025.json",
        &["gains", EX, "--year", "2025", "--format", "json"],
    );
}

#[test]
fn gains_from_stdin_equals_gains_from_file() {
    let file = harvest(&["gains", EX, "--year", "2025", "--format", "csv"]);
    let piped = Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["gains", "-", "--year", "2025", "--format", "csv"])
        .write_stdin(std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(EX)).unwrap())
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert_eq!(file.stdout, piped.stdout);
}

#[test]
fn several_inputs_are_merged_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(EX)).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut a, mut b) = (format!("{header}\n"), format!("{header}\n"));
    for (i, l) in lines.enumerate() {
        let part = if i % 2 == 0 { &mut a } else { &mut b };
        part.push_str(l);
        part.push('\n');
    }
    let (pa, pb) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    std::fs::write(&pa, a).unwrap();
    std::fs::write(&pb, b).unwrap();
    let whole = harvest(&["gains", EX, "--year", "2025", "--format", "csv"]);
    let split = harvest(&[
        "gains",
        pb.to_str().unwrap(),
        pa.to_str().unwrap(),
        "--year",
        "2025",
        "--format",
        "csv",
    ]);
    assert!(split.status.success(), "{}", stderr(&split));
    assert_eq!(whole.stdout, split.stdout);
}

#[test]
fn lots_with_prices() {
    golden(
        "lots-example-2025-12-31.csv",
        &[
            "lots",
            EX,
            "--as-of",
            "2025-12-31",
            "--prices",
            "fixtures/example/prices.csv",
            "--format",
            "csv",
        ],
    );
    golden(
        "lots-example-2024-12-31.txt",
        &["lots", EX, "--as-of", "2024-12-31"],
    );
    golden(
        "lots-example-2025-12-31.json",
        &[
            "lots",
            EX,
            "--as-of",
            "2025-12-31",
            "--prices",
            "fixtures/example/prices.csv",
            "--format",
            "json",
        ],
    );
}

#[test]
fn report_in_every_format() {
    golden("report-example-2025.txt", &["report", EX, "--year", "2025"]);
    golden(
        "report-example-2025.json",
        &["report", EX, "--year", "2025", "--format", "json"],
    );
    golden(
        "report-example-2025.csv",
        &["report", EX, "--year", "2025", "--format", "csv"],
    );
    golden(
        "report-example-2025.txf",
        &["report", EX, "--year", "2025", "--format", "txf"],
    );
    golden(
        "report-example-2025-turbotax.csv",
        &["report", EX, "--year", "2025", "--format", "turbotax"],
    );
    golden(
        "report-example-2025-taxact.csv",
        &["report", EX, "--year", "2025", "--format", "taxact"],
    );
}

#[test]
fn txf_warns_that_digital_asset_boxes_need_reboxing() {
    let o = harvest(&["report", EX, "--year", "2025", "--format", "txf"]);
    assert!(
        stderr(&o).contains("must be re-boxed as G-L"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_three_way_split_adds_up_to_the_lot_basis() {
    golden(
        "gains-three-way-split.csv",
        &[
            "gains",
            "fixtures/ledgers/three-way-split.csv",
            "--year",
            "2025",
            "--format",
            "csv",
        ],
    );
}

#[test]
fn formula_injection_is_neutralized_in_csv() {
    golden(
        "gains-scam-token-names.csv",
        &[
            "gains",
            "fixtures/ledgers/scam-token-names.csv",
            "--year",
            "2025",
            "--format",
            "csv",
        ],
    );
}

#[test]
fn every_bad_cell_is_reported_and_nothing_is_written() {
    fails_with(
        &["gains", "fixtures/bad/bad-cells.csv", "--year", "2025"],
        &[
            "fixtures/bad/bad-cells.csv:2: column kind \"swap\": unknown kind",
            "fixtures/bad/bad-cells.csv:3: column time \"2025-13-01\"",
            "fixtures/bad/bad-cells.csv:4: column received_qty \"-1\": is negative",
            "fixtures/bad/bad-cells.csv:5: column received_qty \"\": names an asset without a quantity",
            "fixtures/bad/bad-cells.csv:6: column sent_qty \"1OO\": is not a decimal number",
        ],
    );
}

#[test]
fn a_duplicate_id_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dup.csv");
    std::fs::write(
        &p,
        "id,time,account,kind,received_qty,received_asset,sent_qty,sent_asset\na,2025-01-01,cb,buy,1,BTC,1,USD\na,2025-01-02,cb,buy,1,BTC,1,USD\n",
    )
    .unwrap();
    fails_with(
        &["gains", p.to_str().unwrap(), "--year", "2025"],
        &["dup.csv:3: column id \"a\": duplicate id"],
    );
}

#[test]
fn oversold_and_missing_price_are_errors() {
    fails_with(
        &["gains", "fixtures/bad/oversold.csv", "--year", "2025"],
        &[
            "fixtures/bad/oversold.csv:3 (id s1): sell of 2 BTC from account coinbase, which holds only 1 BTC",
            "--missing-basis zero",
        ],
    );
    // Issue 14 item 17: a universal pool names the accounts it pools.
    fails_with(
        &[
            "gains",
            "fixtures/bad/oversold.csv",
            "--year",
            "2025",
            "--scope",
            "universal",
        ],
        &[
            "sell of 2 BTC from the universal pool of BTC (accounts coinbase; this row's account: coinbase), which holds only 1 BTC",
        ],
    );
    fails_with(
        &["gains", "fixtures/bad/missing-price.csv", "--year", "2025"],
        &["fixtures/bad/missing-price.csv:3 (id t1): no USD value for ETH"],
    );
}

#[test]
fn missing_basis_zero_warns_and_continues() {
    let o = harvest(&[
        "gains",
        "fixtures/bad/oversold.csv",
        "--year",
        "2025",
        "--missing-basis",
        "zero",
        "--format",
        "csv",
    ]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("zero basis"), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            "s1,s1,BTC,1,coinbase,2025-02-01,2025-02-01,short,H,1 BTC,150.00,0.00,,,150.00"
        ),
        "{}",
        stdout(&o)
    );
}

#[test]
fn output_file_is_atomic_and_absent_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("8949.csv");
    let o = harvest(&[
        "gains",
        "fixtures/bad/oversold.csv",
        "--year",
        "2025",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "a temp file was left behind"
    );
    let o = harvest(&[
        "gains",
        EX,
        "--year",
        "2025",
        "--format",
        "csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success() && o.stdout.is_empty());
    let again = harvest(&["gains", EX, "--year", "2025", "--format", "csv"]);
    assert_eq!(std::fs::read(&out).unwrap(), again.stdout);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["gains", EX],
        vec!["gains", EX, "--year", "2025", "--method", "specific"],
        vec!["gains", EX, "--year", "2025", "--tz", "Mars/Olympus"],
        vec!["gains", EX, "--year", "2025", "--method", "average"],
    ] {
        let o = harvest(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
}

/// Issue 14 item 15: values that cannot be meant are usage errors (exit 2)
/// saying what is expected: a rate is a fraction from 0 to 1 (24 is a percent),
/// a tax year has four digits from 2009, a carryover is a positive amount of
/// loss, and --min-loss and --magi are not negative. Income may be negative.
#[test]
fn values_that_cannot_be_meant_are_usage_errors() {
    let scan = [
        "scan",
        EX,
        "--prices",
        "fixtures/example/prices-dec15.csv",
        "--as-of",
        "2025-12-15",
    ];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            [&scan[..], &["--st-rate", "24"]].concat(),
            "fraction from 0 to 1 (24% is 0.24)",
        ),
        (
            [&scan[..], &["--lt-rate", "-0.1"]].concat(),
            "fraction from 0 to 1",
        ),
        (
            [&scan[..], &["--min-loss", "-5"]].concat(),
            "cannot be negative",
        ),
        (
            [&scan[..], &["--magi", "-5"]].concat(),
            "cannot be negative",
        ),
        (
            [&scan[..], &["--carryover-lt", "-2000"]].concat(),
            "positive amount of loss (e.g. 2000)",
        ),
        (vec!["gains", EX, "--year", "25"], "from 2009 to 2100"),
        (vec!["report", EX, "--year", "2101"], "from 2009 to 2100"),
        (
            vec!["report", EX, "--year", "2025", "--carryover-st", "-1500"],
            "positive amount of loss (e.g. 1500)",
        ),
    ];
    for (args, needle) in cases {
        let o = harvest(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty());
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    // The same rates from harvest.toml.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.toml"), "st_rate = 32\n").unwrap();
    let cfg = dir.path().join("h.toml");
    let o = harvest(&[&scan[..], &["--config", cfg.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("st_rate = 32"), "{}", stderr(&o));
    // Negative income is a real figure.
    for args in [
        vec![
            "report",
            EX,
            "--year",
            "2025",
            "--taxable-income",
            "-4000",
            "-q",
        ],
        [&scan[..], &["--ordinary-income", "-4000", "-q"]].concat(),
    ] {
        let o = harvest(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn specific_identification_with_a_selections_file() {
    let dir = tempfile::tempdir().unwrap();
    let sel = dir.path().join("sel.csv");
    std::fs::write(
        &sel,
        "disposal_id,lot_id,quantity\ncb-007,cb-004,0.05\ncb-007,cb-002,0.5\n",
    )
    .unwrap();
    let o = harvest(&[
        "gains",
        EX,
        "--year",
        "2025",
        "--method",
        "specific",
        "--selections",
        sel.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("cb-007,cb-004,ETH,0.05,"), "{out}");
    assert!(out.contains("cb-007,cb-002,ETH,0.5,"), "{out}");
    // 0.45 ETH not covered by the file: FIFO, with a warning.
    assert!(out.contains("cb-007,cb-002,ETH,0.45,"), "{out}");
    assert!(stderr(&o).contains("taken FIFO"), "{}", stderr(&o));
    std::fs::write(&sel, "disposal_id,lot_id,quantity\ncb-007,nope,1\n").unwrap();
    fails_with(
        &[
            "gains",
            EX,
            "--year",
            "2025",
            "--method",
            "specific",
            "--selections",
            sel.to_str().unwrap(),
        ],
        &["sel.csv:2: lot nope is not held in account coinbase"],
    );
}

#[test]
fn new_york_time_zone_moves_a_new_years_eve_sale_into_the_old_year() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nye.csv");
    std::fs::write(
        &p,
        "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset\nb,2025-06-01T12:00:00Z,cb,buy,100,USD,1,BTC\ns,2026-01-01T03:00:00Z,cb,sell,1,BTC,150,USD\n",
    )
    .unwrap();
    let p = p.to_str().unwrap();
    let ny = harvest(&[
        "gains",
        p,
        "--year",
        "2025",
        "--tz",
        "America/New_York",
        "--format",
        "csv",
    ]);
    assert_eq!(stdout(&ny).lines().count(), 2);
    let utc = harvest(&["gains", p, "--year", "2025", "--format", "csv"]);
    assert_eq!(stdout(&utc).lines().count(), 1);
}

const CB: &str = "fixtures/walkthrough/coinbase.csv";
const KR: &str = "fixtures/walkthrough/kraken-ledgers.csv";

#[test]
fn raw_exports_go_straight_to_report_and_scan() {
    golden(
        "walkthrough-report-2025.csv",
        &["report", CB, KR, "--year", "2025", "--format", "csv", "-q"],
    );
    golden(
        "walkthrough-lots-2025-12-31.csv",
        &[
            "lots",
            CB,
            KR,
            "--as-of",
            "2025-12-31",
            "--format",
            "csv",
            "-q",
        ],
    );
    golden(
        "walkthrough-scan.txt",
        &[
            "scan",
            CB,
            KR,
            "--prices",
            "fixtures/walkthrough/prices-dec15.csv",
            "--as-of",
            "2025-12-15",
            "-q",
        ],
    );
    // The same as importing first.
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.csv");
    let o = harvest(&["import", CB, KR, "-o", ledger.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let direct = harvest(&["report", CB, KR, "--year", "2025", "--format", "csv", "-q"]);
    let via = harvest(&[
        "report",
        ledger.to_str().unwrap(),
        "--year",
        "2025",
        "--format",
        "csv",
        "-q",
    ]);
    assert_eq!(direct.stdout, via.stdout);
    // Without -q, each export's rows are accounted for on stderr.
    let o = harvest(&["gains", CB, KR, "--year", "2025"]);
    assert!(
        stderr(&o).contains("fiat deposit: not a tax event"),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn output_files_are_readable_like_any_other_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("8949.csv");
    let o = harvest(&[
        "gains",
        EX,
        "--year",
        "2025",
        "--format",
        "csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o644
    );
}

/// Issue 14 item 17: a command offers only the formats it writes, and an output
/// that cannot be written is a usage error before any work, said once.
#[test]
fn formats_offered_are_formats_written_and_outputs_are_checked_first() {
    let help = stdout(&harvest(&["gains", "--help"]));
    let formats = &help[help.find("--format").unwrap()..];
    let formats = &formats[..formats.find("-o, --output").unwrap()];
    assert!(
        formats.contains("csv") && !formats.contains("txf") && !formats.contains("html"),
        "{formats}"
    );
    let o = harvest(&["lots", EX, "--format", "turbotax"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let report_help = stdout(&harvest(&["report", "--help"]));
    assert!(report_help.contains("taxact"));

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let missing = dir.path().join("no/such/dir/out.csv");
    for (args, needle) in [
        (
            vec!["gains", EX, "--year", "2025", "-o", d],
            "is a directory",
        ),
        (
            vec![
                "report",
                EX,
                "--year",
                "2025",
                "-o",
                missing.to_str().unwrap(),
            ],
            "does not exist",
        ),
        (vec!["import", EX, "-o", d], "is a directory"),
        (
            vec![
                "scan",
                EX,
                "--prices",
                "fixtures/example/prices-dec15.csv",
                "--emit-ledger",
                d,
            ],
            "--emit-ledger",
        ),
    ] {
        let o = harvest(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(needle), "{args:?}: {err}");
        // Before the work: no warning of the run, and the message once.
        assert!(!err.contains("warning"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// Issue 14 item 16: tables shorten long exchange ids so that they fit a
/// terminal; CSV and JSON keep every id whole.
#[test]
fn tables_shorten_long_ids_and_files_keep_them() {
    let base = ["gains", CB, KR, "--year", "2025", "-q"];
    let table = stdout(&harvest(&base));
    assert!(table.contains("coinb…00000006"), "{table}");
    assert!(
        !table.contains("coinbase-wt0000000000000000000006"),
        "{table}"
    );
    let widest = table.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 150, "{widest} columns:\n{table}");
    let csv = stdout(&harvest(&[&base[..], &["--format", "csv"]].concat()));
    assert!(csv.contains("coinbase-wt0000000000000000000006"), "{csv}");
    let json = stdout(&harvest(&[&base[..], &["--format", "json"]].concat()));
    assert!(json.contains("coinbase-wt0000000000000000000006"), "{json}");
    let lots = stdout(&harvest(&["lots", CB, KR, "-q"]));
    assert!(!lots.contains("coinbase-wt000000000000000000000"), "{lots}");
}

/// Issue 16: every value taken from --prices is accounted for on stderr, by
/// where it came from (the file, and the source and granularity its lines
/// name); a buy paid in EUR is valued at the EUR rate of its time.
#[test]
fn values_from_prices_say_where_they_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("eur.csv");
    std::fs::write(&l, "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset\nb,2025-01-10T00:00:00Z,kr,buy,1000,EUR,1,BTC\nt,2025-02-10T00:00:00Z,kr,trade,0.5,BTC,10,ETH\n").unwrap();
    let p = dir.path().join("p.csv");
    std::fs::write(&p, "time,asset,price,source,granularity\n2025-01-10,EUR,1.1,ecb EUR-USD,day\n2025-02-10,ETH,2500,coinbase ETH-USD,day\n").unwrap();
    let (l, p) = (l.to_str().unwrap(), p.to_str().unwrap());
    let o = harvest(&[
        "gains", l, "--year", "2025", "--prices", p, "--format", "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Basis: 1,000 EUR x 1.10 = 1,100; half of it for 0.5 BTC. Proceeds: 10 ETH x 2,500.
    assert!(
        stdout(&o).contains(",25000.00,550.00,,,24450.00"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains(&format!("2 amounts valued from --prices: 1 from {p} (ecb EUR-USD, day), 1 from {p} (coinbase ETH-USD, day)")),
        "{}",
        stderr(&o)
    );
    let o = harvest(&["gains", l, "--year", "2025"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("eur.csv:2 (id b): no USD value for EUR"),
        "{}",
        stderr(&o)
    );
}
