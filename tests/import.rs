//! `harvest import` end to end: every fixture under `fixtures/import/<format>/`
//! against its whole expected ledger and stderr summary (byte for byte), the
//! round trip through the ledger format, malformed inputs, the row accounting
//! identity, duplicates across files, and every shared sample.
//!
//! Golden files are rewritten with `HARVEST_UPDATE_GOLDEN=1 cargo test --test
//! import`; review the diff like any other change.

mod common;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use harvest::import::{Format, ImportOptions, Importer, detect};
use harvest::readers::prices::PriceTable;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn updating() -> bool {
    std::env::var_os("HARVEST_UPDATE_GOLDEN").is_some()
}

const PRICES: &str = "fixtures/import/prices.csv";

/// (format directory, path relative to the repository root) of every input
/// fixture, sorted.
fn fixtures() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let base = root().join("fixtures/import");
    for dir in std::fs::read_dir(&base).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() || dir.ends_with("malformed") {
            continue;
        }
        let format = dir.file_name().unwrap().to_str().unwrap().to_string();
        for f in std::fs::read_dir(&dir).unwrap() {
            let name = f.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".csv") && !name.contains(".expected.") {
                out.push((format.clone(), format!("fixtures/import/{format}/{name}")));
            }
        }
    }
    out.sort();
    assert!(out.len() >= 30, "fixtures missing: {}", out.len());
    out
}

fn harvest(args: &[&str]) -> Output {
    Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

fn golden(path: &Path, actual: &[u8]) {
    if updating() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run with HARVEST_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(
        String::from_utf8_lossy(actual),
        String::from_utf8_lossy(&expected),
        "differs from {}",
        path.display()
    );
}

fn sibling(rel: &str, suffix: &str) -> PathBuf {
    root().join(rel.trim_end_matches(".csv").to_string() + suffix)
}

/// `import` of a fixture: with the shared prices, except a fixture named
/// `*-unpriced.csv`, which shows what the export alone gives (its rows without
/// a USD value written as they are, and counted on stderr).
fn import_fixture(rel: &str) -> Output {
    if rel.contains("-unpriced") {
        harvest(&["import", rel])
    } else {
        harvest(&["import", rel, "--prices", PRICES])
    }
}

#[test]
fn every_fixture_matches_its_expected_ledger() {
    for (_, rel) in fixtures() {
        let out = import_fixture(&rel);
        assert!(
            out.status.success(),
            "{rel}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        golden(&sibling(&rel, ".expected.csv"), &out.stdout);
        golden(&sibling(&rel, ".expected.stderr"), &out.stderr);
    }
}

#[test]
fn forcing_the_format_gives_the_same_ledger() {
    for (format, rel) in fixtures() {
        let detected = harvest(&["import", &rel, "--prices", PRICES]);
        let forced = harvest(&["import", &rel, "--prices", PRICES, "--format", &format]);
        assert!(forced.status.success(), "{rel}");
        assert_eq!(detected.stdout, forced.stdout, "{rel}");
    }
}

#[test]
fn detection_picks_the_fixture_directory_format() {
    for (format, rel) in fixtures() {
        let data = std::fs::read(root().join(&rel)).unwrap();
        assert_eq!(detect(&data), Format::from_name(&format), "{rel}");
    }
}

#[test]
fn importing_the_ledger_again_gives_the_same_ledger() {
    let dir = tempfile::tempdir().unwrap();
    for (_, rel) in fixtures() {
        let first = import_fixture(&rel);
        let ledger = dir.path().join("ledger.csv");
        std::fs::write(&ledger, &first.stdout).unwrap();
        let second = harvest(&["import", ledger.to_str().unwrap()]);
        assert!(
            second.status.success(),
            "{rel}: {}",
            String::from_utf8_lossy(&second.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&first.stdout),
            String::from_utf8_lossy(&second.stdout),
            "{rel}"
        );
        assert!(String::from_utf8_lossy(&second.stderr).contains("format ledger"));
    }
}

#[test]
fn malformed_inputs_fail_naming_file_and_line() {
    let dir = root().join("fixtures/import/malformed");
    let mut n = 0;
    for f in std::fs::read_dir(&dir).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".csv") || name.contains(".expected.") {
            continue;
        }
        n += 1;
        let rel = format!("fixtures/import/malformed/{name}");
        let out = harvest(&["import", &rel, "--prices", PRICES]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{rel} should fail with status 1"
        );
        assert!(out.stdout.is_empty(), "{rel}: nothing may be written");
        let err = String::from_utf8_lossy(&out.stderr);
        let at = format!("{rel}:");
        let named = err
            .match_indices(&at)
            .any(|(pos, _)| err[pos + at.len()..].starts_with(|c: char| c.is_ascii_digit()));
        assert!(named, "{rel}: no file:line in {err}");
        golden(&sibling(&rel, ".expected.err"), &out.stderr);
    }
    assert!(n >= 8);
}

#[test]
fn malformed_output_file_is_not_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.csv");
    let out = harvest(&[
        "import",
        "fixtures/import/malformed/kraken-ledgers-bad-number.csv",
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!out_path.exists());
}

fn price_table() -> PriceTable {
    let data = std::fs::read(root().join(PRICES)).unwrap();
    PriceTable::read(&data[..], PRICES, chrono_tz::Tz::UTC).unwrap()
}

#[test]
fn every_row_is_accounted_for() {
    let prices = price_table();
    for (_, rel) in fixtures() {
        let data = std::fs::read(root().join(&rel)).unwrap();
        let mut imp = Importer::new(ImportOptions {
            account: None,
            prices: Some(&prices),
            tz: chrono_tz::Tz::UTC,
            accounts: Default::default(),
        });
        let got = imp.import(&data, &rel, None).unwrap();
        let s = &got.stats;
        let skipped: usize = s.skipped.values().sum();
        assert_eq!(s.read, s.used + skipped + s.duplicates, "{rel}: {s:?}");
        assert_eq!(s.written, got.records.len(), "{rel}");
        // Importing the same file again: every row is a duplicate, except
        // skipped ones, which are skipped again.
        let again = imp.import(&data, &rel, None).unwrap();
        assert_eq!(again.records.len(), 0, "{rel}");
        assert_eq!(again.stats.duplicates, s.used + s.duplicates, "{rel}");
    }
}

#[test]
fn overlapping_exports_keep_each_row_once() {
    let one = "fixtures/import/coinbase/v4-id-symbols-negative-outflows.csv";
    let single = harvest(&["import", one]);
    let twice = harvest(&["import", one, one]);
    assert!(twice.status.success());
    assert_eq!(single.stdout, twice.stdout);
    let err = String::from_utf8_lossy(&twice.stderr);
    assert!(err.contains("duplicates dropped:  3"), "{err}");
}

#[test]
fn a_kraken_trade_in_ledgers_and_trades_is_kept_once() {
    let out = harvest(&[
        "import",
        "fixtures/import/kraken-ledgers/trade-legs-paired-by-refid.csv",
        "fixtures/import/kraken-trades/concatenated-pairs.csv",
        "--prices",
        PRICES,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ledger = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        ledger.matches("kraken-TAAAAA-00002-AAAAAA,").count(),
        1,
        "{ledger}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("duplicates dropped:  1"));
}

#[test]
fn identical_binance_rows_in_one_file_are_one_row() {
    let out = harvest(&[
        "import",
        "fixtures/import/binance/overlapping-exports-concatenated.csv",
        "--prices",
        PRICES,
    ]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
}

#[test]
fn account_flag_names_the_account() {
    let out = harvest(&[
        "import",
        "fixtures/import/koinly/universal-template.csv",
        "--account",
        "my-wallet",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines().skip(1) {
        assert_eq!(line.split(',').nth(2), Some("my-wallet"), "{line}");
    }
}

#[test]
fn unknown_format_name_is_a_usage_error_listing_the_names() {
    let out = harvest(&[
        "import",
        "fixtures/import/koinly/universal-template.csv",
        "--format",
        "mtgox",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for f in Format::ALL {
        assert!(err.contains(f.name()), "{err}");
    }
}

#[test]
fn forced_format_with_a_foreign_header_is_an_error() {
    let out = harvest(&[
        "import",
        "fixtures/import/koinly/universal-template.csv",
        "--format",
        "gemini",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no gemini header found"), "{err}");
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let data = std::fs::read(root().join("fixtures/import/koinly/universal-template.csv")).unwrap();
    let out = Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(root())
        .args(["import", "-"])
        .write_stdin(data)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("<stdin>: format koinly"));
}

#[test]
fn format_names_round_trip() {
    for f in Format::ALL {
        assert_eq!(Format::from_name(f.name()), Some(f));
    }
    assert_eq!(Format::from_name("nope"), None);
}

/// Samples whose layout `harvest import` does not read: the error must say so.
const UNSUPPORTED_SAMPLES: [&str; 1] = ["coinledger-export.csv"];

/// Samples cut down to a part of an event (a transcribed single trade leg).
const PARTIAL_SAMPLES: [(&str, &str); 1] = [(
    "kraken-ledgers-2024-wallet-column.csv",
    "do not net to one asset sent and one received",
)];

#[test]
fn every_shared_sample_imports_without_unexplained_skips() {
    let dir = root().join("../shared/formats/samples");
    if !dir.is_dir() {
        eprintln!("skipped: {} not present", dir.display());
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let prices = tmp.path().join("prices.csv");
    let mut p = String::from("time,asset,price\n");
    for a in [
        "EUR", "GBP", "PLN", "BTC", "ETH", "BNB", "BETH", "DAR", "SUI", "MATIC", "AXS", "IOTA",
        "SOL", "DOT", "FLR", "ARB", "XMR", "BTT", "ADA", "XRP", "ATOM", "GRT", "XLM", "KNC",
        "HIGH", "ZRX", "LTC", "VET", "ZEC", "BCH", "BRL",
    ] {
        p.push_str(&format!("2010-01-01,{a},1\n"));
    }
    std::fs::write(&prices, p).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let out = harvest(&[
            "import",
            path.to_str().unwrap(),
            "--prices",
            prices.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        if UNSUPPORTED_SAMPLES.contains(&name.as_str()) {
            assert_eq!(out.status.code(), Some(1), "{name}");
            assert!(err.contains("unknown export format"), "{name}: {err}");
            continue;
        }
        if let Some((_, why)) = PARTIAL_SAMPLES.iter().find(|(n, _)| *n == name) {
            assert_eq!(out.status.code(), Some(1), "{name}");
            assert!(err.contains(why), "{name}: {err}");
            continue;
        }
        assert!(out.status.success(), "{name}: {err}");
        for line in err.lines() {
            let reason = line.trim_start().split_once("  ").map_or("", |x| x.1);
            let t = line.trim_start();
            let is_reason = t.chars().next().is_some_and(|c| c.is_ascii_digit());
            if is_reason && reason.contains("unknown") {
                // The rotki fixture's deliberate test row.
                assert!(
                    name == "binance-statement-2020-user_id-utc_time.csv"
                        && reason.contains("\"ABC\""),
                    "{name}: unexplained skip: {line}"
                );
            }
        }
        // Every row is accounted for: read = used + skipped + duplicates.
        let table = PriceTable::read(
            &std::fs::read(&prices).unwrap()[..],
            "prices.csv",
            chrono_tz::Tz::UTC,
        )
        .unwrap();
        let mut imp = Importer::new(ImportOptions {
            account: None,
            prices: Some(&table),
            tz: chrono_tz::Tz::UTC,
            accounts: Default::default(),
        });
        let got = imp
            .import(&std::fs::read(&path).unwrap(), &name, None)
            .unwrap();
        let s = &got.stats;
        assert!(s.read > 0, "{name}");
        assert_eq!(
            s.read,
            s.used + s.skipped_total() + s.duplicates,
            "{name}: {s:?}"
        );
        assert_eq!(s.written, got.records.len(), "{name}");
        // The ledger it wrote reads back unchanged.
        let ledger = tmp.path().join("ledger.csv");
        std::fs::write(&ledger, &out.stdout).unwrap();
        let again = harvest(&["import", ledger.to_str().unwrap()]);
        assert!(again.status.success(), "{name}");
        assert_eq!(out.stdout, again.stdout, "{name}");
    }
}

#[test]
fn zone_less_binance_times_are_read_in_tz() {
    let out = harvest(&[
        "import",
        "fixtures/import/binance/bom-two-digit-year.csv",
        "--prices",
        PRICES,
        "--tz",
        "Europe/Warsaw",
    ]);
    assert!(out.status.success());
    // 24-01-15 12:00:00 in Warsaw (UTC+1 in winter).
    assert!(String::from_utf8_lossy(&out.stdout).contains(",2024-01-15T11:00:00Z,"));
}

/// Issue 16 part 1: import keeps every row. A row the export does not value
/// (a Kraken crypto-to-crypto trade, ETH for DOT) is written as the export
/// states it, `usd_value` empty, and counted on stderr with where the first
/// one is; the engine values it from `--prices` when it applies it (SPEC
/// section 3, "Valuing what the row does not value"). With `import --prices`
/// the price values it here: 600 DOT x 5 = 3,000.
#[test]
fn a_row_without_a_usd_value_is_written_and_counted() {
    let rel = "fixtures/import/kraken-ledgers/crypto-to-crypto-needs-prices.csv";
    let (ledger, err) = ok(&["import", rel]);
    assert!(
        ledger.ends_with(
            "\nkraken-TFFFFF-00001-FFFFFF,2024-03-01T12:00:00Z,kraken,trade,1,ETH,600,DOT,0.96,DOT,,,,,,,\n"
        ),
        "{ledger}"
    );
    assert!(
        err.ends_with(&format!(
            "  rows needing a USD price: 1 (first at {rel}:2, DOT at 2024-03-01T12:00:00Z); run \
             'harvest prices {rel} -o prices.csv' to fetch them and give --prices prices.csv (or \
             give --prices with a dated price for each: CSV time,asset,price)\n"
        )),
        "{err}"
    );
    let (ledger, err) = ok(&["import", rel, "--prices", PRICES]);
    assert!(
        ledger.contains(",trade,1,ETH,600,DOT,0.96,DOT,3000,,,"),
        "{ledger}"
    );
    assert!(!err.contains("rows needing a USD price"), "{err}");
}

#[test]
fn a_ledger_id_reused_for_a_different_row_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.csv");
    std::fs::write(
        &other,
        "id,time,account,kind,received_qty,received_asset\ndep-1,2025-01-01T00:00:00Z,ledger-nano,deposit,2,ETH\n",
    )
    .unwrap();
    let out = harvest(&[
        "import",
        "fixtures/import/ledger/columns-in-any-order.csv",
        other.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("other.csv:2: column id \"dep-1\" is already used"),
        "{err}"
    );
}

/// Issue 14, item 12. rp2's input docs define an intra row's `spot_price` as
/// "value of 1 unit of the given cryptocurrency at the time the transaction
/// occurred", and its fee as `crypto_sent - crypto_received` (FORMATS.md 6.4):
/// the network fee is valued at that spot price, not at a price implied by an
/// earlier row (with a warning) or by --prices.
#[test]
fn a_dali_intra_fee_is_valued_at_the_rows_spot_price() {
    let intra = "fixtures/import/dali/intra-fee-valued-at-spot.csv";
    let out = harvest(&["import", intra]);
    assert!(out.status.success());
    let ledger = String::from_utf8_lossy(&out.stdout);
    // 0.0021 ETH x 1850.25 = 3.885525.
    let row = ledger.lines().find(|l| l.contains(",dali-cc03,")).unwrap();
    assert!(
        row.contains(",withdrawal,2,ETH,,,0.0021,ETH,,3.885525,dali-cc03,"),
        "{row}"
    );
    // `__unknown` leaves the fee to --prices (BTC 60000 there): 0.0005 x 60000.
    let out = harvest(&["import", intra, "--prices", PRICES]);
    let ledger = String::from_utf8_lossy(&out.stdout);
    let row = ledger.lines().find(|l| l.contains(",dali-dd04,")).unwrap();
    assert!(row.contains(",0.0005,BTC,,30,dali-dd04,"), "{row}");
    // The fee is a disposal at 3.885525 (3.89); its basis is 0.0021 of the
    // 3 ETH bought for 4,510 with the fee: 3.157 (3.16); no warning for ETH.
    let out = harvest(&[
        "gains",
        "fixtures/import/dali/buy-before-intra.csv",
        intra,
        "--year",
        "2023",
        "--format",
        "csv",
    ]);
    assert!(out.status.success());
    let gains = String::from_utf8_lossy(&out.stdout);
    assert!(
        gains.contains(
            ",dali-ff06,ETH,0.0021,dali,2023-01-10,2023-05-01,short,C,0.0021 ETH,3.89,3.16,,,0.73\n"
        ),
        "{gains}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("ETH valued at"), "{err}");
}

/// Runs `harvest` expecting success; (stdout, stderr).
fn ok(args: &[&str]) -> (String, String) {
    let out = harvest(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {err}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), err)
}

/// The per-file blocks of import's stderr, in file order: the same files in
/// another order print the same blocks in that order.
fn blocks(err: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in err.lines() {
        match out.last_mut() {
            Some(b) if line.starts_with(' ') => {
                b.push_str(line);
                b.push('\n');
            }
            _ => out.push(format!("{line}\n")),
        }
    }
    out.sort();
    out
}

/// Issue 14, item 11a. SPEC section 3: inputs are merged "sorted by time,
/// stable by input order", so the order of the files may only change the order
/// of rows at one instant, never which rows there are or their values. Kraken's
/// trades.csv lists in its `ledgers` column the ledger rows of each trade, whose
/// `refid` is the trade's txid (FORMATS.md 3.2); ledgers.csv is the exact record
/// (Kraken calls trades.csv's fee an estimate), so a trade in both is booked
/// once, from ledgers.csv, with its fees once, whichever file comes first.
#[test]
fn a_kraken_trade_in_both_exports_is_booked_once_in_either_order() {
    let l = "fixtures/import/kraken-ledgers/trades-also-in-trades-export.csv";
    let t = "fixtures/import/kraken-trades/trades-also-in-ledgers-export.csv";
    let (lt, lt_err) = ok(&["import", l, t, "--prices", PRICES]);
    let (tl, tl_err) = ok(&["import", t, l, "--prices", PRICES]);
    assert_eq!(lt, tl, "the file order changed the ledger");
    assert_eq!(blocks(&lt_err), blocks(&tl_err));
    // By hand, from the two files:
    // - TA1: in both (same txid/refid): the ledger's whole second, fee 8 USD;
    // - TB2: in both; the ledger adds a 0.00002 BTC fee on a zero-amount leg,
    //   which stays with its trade (0.00002 x 60,000 from --prices = 1.2);
    // - TC3 (ledger refid) is trades.csv's TQ9 (a different txid), found
    //   through the `ledgers` column: once, from the ledger;
    // - CE5 (Buy Crypto, spend/receive) and the withdrawal are only in ledgers;
    // - TD4 is only in trades.csv: kept, with its fractional second.
    let expected = "\
id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note,category,basis_usd,acquired
kraken-TA1AAA-AAAAA-AAAAA1,2025-02-03T10:15:30Z,kraken,buy,5000,USD,0.05,BTC,8,USD,5000,,,,,,
kraken-TB2BBB-BBBBB-BBBBB2,2025-02-10T14:00:00Z,kraken,buy,4200,USD,1.5,ETH,6.72,USD,4200,,,,,,
kraken-TB2BBB-BBBBB-BBBBB2-fee1,2025-02-10T14:00:00Z,kraken,fee,,,,,0.00002,BTC,,1.2,,second fee of the trade above,,,
kraken-TC3CCC-CCCCC-CCCCC3,2025-03-05T16:45:10Z,kraken,sell,0.02,BTC,1900,USD,3.04,USD,1900,,,,,,
kraken-CE5EEE-EEEEE-EEEEE5,2025-03-10T08:30:00Z,kraken,buy,100,USD,0.6,SOL,1.5,USD,100,,,,,,
kraken-LW1WWW-WWWWW-WWWW01,2025-03-20T19:05:00Z,kraken,withdrawal,0.01,BTC,,,0.00002,BTC,,1.2,,,,,
kraken-TD4DDD-DDDDD-DDDDD4,2025-04-01T12:00:00.500Z,kraken,buy,300,USD,2,SOL,0.78,USD,300,,,,,,
";
    assert_eq!(lt, expected);
    // Three of trades.csv's four rows are ledgers.csv's trades, in both orders.
    for err in [&lt_err, &tl_err] {
        assert!(
            err.contains(&format!(
                "{t}: format kraken-trades\n  rows read:           4\n  rows used:           1\n  \
                 ledger rows written: 1\n  rows skipped:        0\n  duplicates dropped:  3\n"
            )),
            "{err}"
        );
    }
    // The commands that read exports directly agree, in either order.
    let gains = |a: &str, b: &str| {
        ok(&[
            "gains", a, b, "--prices", PRICES, "--year", "2025", "--format", "csv",
        ])
        .0
    };
    assert_eq!(gains(l, t), gains(t, l));
    assert!(gains(l, t).contains(
        "kraken-TC3CCC-CCCCC-CCCCC3,kraken-TA1AAA-AAAAA-AAAAA1,BTC,0.02,kraken,2025-02-03,2025-03-05,short,H,0.02 BTC,1896.96,2003.20,,,-106.24\n"
    ));
}

/// Issue 14, item 11b. SPEC section 4: import drops "the same row seen in two
/// overlapping exports", and section 1 makes every command read exports like
/// import; so a ledger imported earlier from Coinbase, given with a newer
/// Coinbase export that overlaps it, gives every command what `import` of the
/// two files then that command gives: repeated rows dropped (and counted on
/// stderr, with the file), while an id reused with other facts in a ledger
/// stays an error, as in import.
#[test]
fn commands_drop_rows_repeated_across_inputs_as_import_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let c2025 = "fixtures/import/coinbase/overlap-2025-statement.csv";
    let c2026 = "fixtures/import/coinbase/overlap-2026-statement.csv";
    // The user's ledger, imported from the 2025 statement last year.
    let ledger = path("ledger.csv");
    ok(&["import", c2025, "-o", &ledger]);
    let irs = path("1099da.csv");
    std::fs::write(
        &irs,
        "account,asset,units,date_sold,proceeds\ncoinbase,BTC,0.02,2026-03-10,1379.00\n",
    )
    .unwrap();
    let commands: [&[&str]; 6] = [
        &["lots", "--format", "csv"],
        &["gains", "--year", "2026", "--format", "csv"],
        &["report", "--year", "2026", "--format", "json"],
        &[
            "scan",
            "--prices",
            PRICES,
            "--as-of",
            "2026-04-01",
            "--format",
            "csv",
        ],
        &["allocation", "--format", "csv"],
        &[
            "reconcile",
            "--1099da",
            &irs,
            "--year",
            "2026",
            "--format",
            "csv",
        ],
    ];
    let mut accounts = Vec::new();
    for (first, second) in [(ledger.as_str(), c2026), (c2026, ledger.as_str())] {
        let merged = path("merged.csv");
        let (_, err) = ok(&["import", first, second, "-o", &merged]);
        // The statement's two 2025 rows are the ledger's last two rows: import
        // drops them once, from the file it reads second (it reads the files
        // in the order of their fingerprints), whatever the order given.
        assert_eq!(
            err.matches("  duplicates dropped:  2\n").count(),
            1,
            "{first} {second}: {err}"
        );
        accounts.push(blocks(&err));
        for cmd in commands {
            let run = |inputs: &[&str]| {
                let mut args = vec![cmd[0]];
                args.extend_from_slice(inputs);
                args.extend_from_slice(&cmd[1..]);
                ok(&args)
            };
            let (want, _) = run(&[&merged]);
            let (got, err) = run(&[first, second]);
            assert_eq!(
                common::without_settings(&got),
                common::without_settings(&want),
                "{cmd:?} {first} {second}"
            );
            let said = format!("{second}: format ");
            let at = err.find(&said).unwrap_or_else(|| panic!("{err}"));
            assert!(
                err[at..].contains("  duplicates dropped:  2"),
                "{cmd:?}: {err}"
            );
        }
    }
    assert_eq!(accounts[0], accounts[1]);
    // By hand: the 2026 sales, FIFO. ETH: 0.25 of the 0.5 bought for 1,319.50
    // (659.75), sold for 850 - 12.75. BTC: 0.02 of the 0.05 bought for 4,313.75
    // (0.01 of it sold in 2025), sold for 1,400 - 21, a year and nine days on.
    let (gains, _) = ok(&["gains", &ledger, c2026, "--year", "2026", "--format", "csv"]);
    assert_eq!(
        gains,
        "disposal_id,lot_id,asset,quantity,account,date_acquired,date_sold,term,box,description,proceeds,cost_basis,adjustment_code,adjustment,gain
coinbase-c6c6000000000000000000b1,coinbase-c5c5000000000000000000a3,ETH,0.25,coinbase,2025-06-10,2026-01-20,short,H,0.25 ETH,837.25,659.75,,,177.50
coinbase-c6c6000000000000000000b2,coinbase-c5c5000000000000000000a2,BTC,0.02,coinbase,2025-03-01,2026-03-10,long,K,0.02 BTC,1379.00,1725.50,,,-346.50
"
    );
    // The same id with other facts in a ledger and in an export: the ledger's
    // copy (the user's record of that exchange row, edited say) is kept,
    // whichever file comes first (issue 19: the order of the files never
    // decides), by import and by the commands alike.
    let changed = path("changed.csv");
    let text = std::fs::read_to_string(&ledger).unwrap();
    std::fs::write(
        &changed,
        text.replace(",sell,0.01,BTC,", ",sell,0.011,BTC,"),
    )
    .unwrap();
    let (a, _) = ok(&["import", c2026, &changed]);
    let (b, _) = ok(&["import", &changed, c2026]);
    assert_eq!(a, b);
    assert!(
        a.contains(",sell,0.011,BTC,") && !a.contains(",sell,0.01,BTC,"),
        "{a}"
    );
    let gains = |x: &str, y: &str| ok(&["gains", x, y, "--year", "2025", "--format", "csv"]).0;
    assert_eq!(gains(c2026, &changed), gains(&changed, c2026));
    assert!(gains(c2026, &changed).contains(",0.011 BTC,"));
    // In two ledgers, one id with other facts is two events under one id: an
    // error in either order, naming both lines.
    let name = |p: &str| {
        Path::new(p)
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    for (first, second) in [(&ledger, &changed), (&changed, &ledger)] {
        for args in [
            vec!["import", first.as_str(), second.as_str()],
            vec!["gains", first, second, "--year", "2025"],
        ] {
            let out = harvest(&args);
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            let one_of = |a: &str, b: &str| {
                err.contains(&format!(
                    "{}:5: column id \"coinbase-c5c5000000000000000000a5\"",
                    name(a)
                )) && err.contains(&format!(
                    "is already used by a different row at {b}:5; give one of them a new id"
                ))
            };
            assert!(one_of(first, second) || one_of(second, first), "{err}");
        }
    }
}

/// Every order of `items`.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, first.clone());
            out.push(p);
        }
    }
    out
}

/// Issue 14, item 11a, over the importers touched: SPEC section 3 sorts the
/// merged inputs "by time, stable by input order", so any order of the same
/// files gives the same ledger (none of these groups has rows of two files at
/// one instant, so byte for byte) and the same lots.
#[test]
fn the_file_order_never_changes_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger-2025.csv");
    let ledger = ledger.to_str().unwrap();
    ok(&[
        "import",
        "fixtures/import/coinbase/overlap-2025-statement.csv",
        "-o",
        ledger,
    ]);
    let groups: [&[&str]; 5] = [
        &[
            "fixtures/import/kraken-ledgers/trades-also-in-trades-export.csv",
            "fixtures/import/kraken-trades/trades-also-in-ledgers-export.csv",
            // An overlapping trades.csv: its rows again.
            "fixtures/import/kraken-trades/trades-also-in-ledgers-export.csv",
        ],
        &[
            "fixtures/import/kraken-ledgers/trade-legs-paired-by-refid.csv",
            "fixtures/import/kraken-trades/concatenated-pairs.csv",
        ],
        &[
            "fixtures/import/coinbase/overlap-2025-statement.csv",
            "fixtures/import/coinbase/overlap-2026-statement.csv",
        ],
        &[
            ledger,
            "fixtures/import/coinbase/overlap-2026-statement.csv",
        ],
        &[
            "fixtures/import/dali/buy-before-intra.csv",
            "fixtures/import/dali/intra-fee-valued-at-spot.csv",
            "fixtures/import/dali/intra-partial-and-full.csv",
        ],
    ];
    for group in groups {
        let mut seen: Option<(String, String)> = None;
        for order in permutations(group) {
            let mut import = vec!["import"];
            import.extend(&order);
            import.extend(["--prices", PRICES]);
            let mut lots = vec!["lots"];
            lots.extend(&order);
            lots.extend([
                "--prices",
                PRICES,
                "--format",
                "csv",
                "--missing-basis",
                "zero",
            ]);
            let got = (ok(&import).0, ok(&lots).0);
            match &seen {
                Some(first) => assert_eq!(&got, first, "{order:?}"),
                None => seen = Some(got),
            }
        }
    }
}

/// Issue 14 item 13: "N bad row(s)" counts rows, and each bad row is listed
/// once, on one line: a row with two bad cells names both there, and what
/// only follows from a cell already reported ("is empty" after an unreadable
/// amount) is not listed again (README "Importing exchange exports": every
/// row accounted for). (A missing rate or price is no bad row since issue 16.)
#[test]
fn each_bad_row_is_listed_once_and_counted_once() {
    for (rel, lines) in [
        (
            "fixtures/import/malformed/coinbase-non-numeric-quantities.csv",
            vec![5, 8],
        ),
        (
            "fixtures/import/malformed/binance-us-non-numeric-amounts.csv",
            vec![3, 4],
        ),
        (
            "fixtures/import/malformed/kraken-ledgers-bad-number.csv",
            vec![3, 4],
        ),
    ] {
        let out = harvest(&["import", rel]);
        assert_eq!(out.status.code(), Some(1), "{rel}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!(": {} bad row(s);", lines.len())),
            "{rel}: {err}"
        );
        for l in &lines {
            let at = format!("  {rel}:{l}: ");
            assert_eq!(err.matches(&at).count(), 1, "{rel}:{l} once in {err}");
        }
        assert_eq!(err.lines().count(), 1 + lines.len(), "{err}");
    }
}

/// Issue 16 part 1, "Import keeps every row": each layout that import refused
/// before for lack of a price (a Kraken crypto-to-crypto trade in ledgers.csv
/// and trades.csv, a Binance statement's trades and income, CoinTracker's
/// file, which has no USD values, Coinbase Pro fills and statements, and
/// Coinbase and Kraken accounts in EUR, GBP and CAD) imports with exit 0 and
/// no `--prices`. Every row is written as the export states it: a side in
/// another currency stays that currency (a buy or a sell in EUR, not a
/// trade), `usd_value` and `fee_usd` stay empty where the export gives no USD
/// figure (a stablecoin side still values its row at 1.00), and stderr counts
/// the rows the engine will value from `--prices`, naming the first in the
/// file. The counts by hand, row by row:
#[test]
fn every_unpriced_layout_imports_and_counts_the_rows_needing_a_price() {
    let cases: [(&str, usize, &str, &[&str]); 10] = [
        // EUR buy, BTC->ETH trade, GBP buy, CAD sell, DOT staking and a
        // withdrawal's BTC fee: 6 (the two EUR/GBP cash deposits are skipped).
        (
            "kraken-ledgers/eur-gbp-cad-and-crypto-trades-unpriced.csv:3, EUR at 2024-02-03T10:15:30Z",
            6,
            "kraken-ledgers",
            &[
                ",buy,500,EUR,0.0125,BTC,0.8,EUR,,,",
                ",trade,0.005,BTC,0.09,ETH,0.0002,ETH,,,",
                ",buy,300,GBP,0.12,ETH,0.48,GBP,,,",
                ",sell,0.1,ETH,430,CAD,0.69,CAD,,,",
                ",income,,,0.5,DOT,,,,,",
                ",withdrawal,0.002,BTC,,,0.00001,BTC,,,",
            ],
        ),
        // XBT/EUR, ETH/XBT and ETH/GBP: 3; SOL/USD has its USD side.
        (
            "kraken-trades/eur-gbp-and-crypto-pairs-unpriced.csv:2, EUR at 2025-01-15T09:30:12.125Z",
            3,
            "kraken-trades",
            &[
                ",buy,450,EUR,0.005,BTC,1.17,EUR,,,",
                ",trade,0.1,ETH,0.0035,BTC,0.0000091,BTC,,,",
                ",buy,220,GBP,0.1,ETH,0.572,GBP,,,",
                ",buy,280,USD,2,SOL,0.728,USD,280,,",
            ],
        ),
        // EUR buy, BTC->ETH with a BNB fee (one row), ADA interest and a card
        // spend of BNB: 4; ETH sold for USDT is valued at 131.
        (
            "binance/crypto-and-eur-trades-income-unpriced.csv:3, EUR at 2022-03-01T09:12:05Z",
            4,
            "binance",
            &[
                ",buy,800,EUR,0.02,BTC,0.8,EUR,,,",
                ",trade,0.018,BTC,0.25,ETH,0.0012,BNB,,,",
                ",income,,,1.25,ADA,,,,,",
                ",trade,0.05,ETH,131,USDT,0.131,USDT,131,,",
                ",spend,0.04,BNB,,,,,,,",
            ],
        ),
        // EUR buy, BTC->ETH, SOL staking, GBP sell, a BTC payment and a
        // withdrawal's BTC fee: 6; BTC->USDC is valued at 1,500.
        (
            "cointracker/eur-crypto-and-income-unpriced.csv:2, EUR at 2023-02-01T10:00:00Z",
            6,
            "cointracker",
            &[
                ",buy,1100,EUR,0.05,BTC,5.5,EUR,,,",
                ",trade,0.05,BTC,0.7,ETH,0.0007,ETH,,,",
                ",income,,,0.08,SOL,,,,,",
                ",sell,0.1,ETH,250,GBP,1.25,GBP,,,",
                ",spend,0.01,BTC,,,,,,,",
                ",trade,0.05,BTC,1500,USDC,,,1500,,",
                ",withdrawal,0.01,BTC,,,0.00002,BTC,,,",
            ],
        ),
        // Pro fills: BTC-EUR, ETH-BTC and ETH-GBP: 3; BTC-USDC at 112.
        (
            "coinbase-advanced/pro-fills-eur-and-btc-quote-unpriced.csv:2, EUR at 2021-04-12T09:14:22.315Z",
            3,
            "coinbase-advanced",
            &[
                ",buy,500,EUR,0.01,BTC,2.5,EUR,,,",
                ",trade,0.01625,BTC,0.5,ETH,0.00008125,BTC,,,",
                ",sell,0.2,ETH,480,GBP,2.4,GBP,,,",
                ",trade,0.002,BTC,112,USDC,0.56,USDC,112,,",
            ],
        ),
        // Pro statement: the EUR match and the BTC->ETH match: 2.
        (
            "coinbase-pro/statement-eur-and-crypto-pair-unpriced.csv:3, EUR at 2021-06-01T09:30:15.250Z",
            2,
            "coinbase-pro",
            &[
                ",buy,600,EUR,0.02,BTC,3,EUR,,,",
                ",trade,0.009,BTC,0.15,ETH,0.000045,BTC,,,",
            ],
        ),
        // Coinbase in EUR (v4, newest first): buy, sell, staking income and
        // a Convert need one (4; the first in the file is the Convert, line
        // 6); the card spend of USDC is valued at 25.
        (
            "coinbase/eur-account-unpriced.csv:6, BTC at 2024-09-12T15:30:00Z",
            4,
            "coinbase",
            &[
                ",buy,1200,EUR,0.5,ETH,17.91,EUR,,,",
                ",sell,0.1,ETH,230,EUR,3.45,EUR,,,",
                ",income,,,0.0004,ETH,,,,,,value 0.88 EUR",
                ",trade,0.05,ETH,0.00185,BTC,,,,,,Converted 0.05 ETH to 0.00185 BTC; value 105 EUR",
                ",spend,25,USDC,,,,,25,,",
            ],
        ),
        // Coinbase in GBP (v1 header): buy, rewards income, sell: 3; the
        // send has no fee.
        (
            "coinbase/gbp-v1-header-unpriced.csv:9, GBP at 2020-11-02T10:20:30Z",
            3,
            "coinbase",
            &[
                ",buy,210,GBP,0.02,BTC,3.99,GBP,,,",
                ",income,,,12.5,XLM,,,,,",
                ",sell,0.005,BTC,70,GBP,1.01,GBP,,,",
            ],
        ),
        // Coinbase in CAD (v2): buy, an Advanced Trade against ETH, a
        // learning reward and a sell: 4.
        (
            "coinbase/cad-v2-spot-price-currency-unpriced.csv:2, CAD at 2021-10-04T13:00:00Z",
            4,
            "coinbase",
            &[
                ",buy,1050,CAD,0.25,ETH,15.24,CAD,,,",
                ",trade,0.12,ETH,2,SOL,,,,,",
                ",income,,,5,GRT,,,,,",
                ",sell,0.1,ETH,590,CAD,8.85,CAD,,,",
            ],
        ),
        // Tokens no price file has, and CHF trades: 1 and 2.
        (
            "kraken-ledgers/unknown-tokens-no-usd-value.csv:2, ABC at 2024-03-01T12:00:00Z",
            1,
            "kraken-ledgers",
            &[",trade,10,XYZ,600,ABC,,,,,"],
        ),
    ];
    for (first, n, format, rows) in cases {
        let (file, _) = first.split_once(':').unwrap();
        let rel = format!("fixtures/import/{file}");
        let (ledger, err) = ok(&["import", &rel]);
        assert!(
            err.starts_with(&format!("{rel}: format {format}\n")),
            "{err}"
        );
        let line = format!(
            "  rows needing a USD price: {n} (first at fixtures/import/{first}); run 'harvest \
             prices {rel} -o prices.csv' to fetch them and give --prices prices.csv (or give \
             --prices with a dated price for each: CSV time,asset,price)\n"
        );
        assert!(err.ends_with(&line), "{rel}: {err}");
        for row in rows {
            assert_eq!(ledger.matches(row).count(), 1, "{rel}: {row} in\n{ledger}");
        }
        // The ledger is valid as written: the engine reads it, and without a
        // price stops at a row that needs one, naming it.
        let out = harvest(&["lots", &rel]);
        assert_eq!(out.status.code(), Some(1), "{rel}");
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains("no USD value for"), "{rel}: {e}");
    }
    let rel = "fixtures/import/kraken-ledgers/chf-trades-without-rate.csv";
    let (ledger, err) = ok(&["import", rel]);
    assert!(ledger.contains(",buy,200,CHF,6.25,DOT,0.32,CHF,,,,,,,\n"));
    assert!(ledger.contains(",buy,100,CHF,3,DOT,0.16,CHF,,,,,,,\n"));
    assert!(
        err.contains(&format!(
            "  rows needing a USD price: 2 (first at {rel}:3, CHF at 2021-05-11T18:55:10Z)"
        )),
        "{err}"
    );
}

/// Issue 16 part 1, item 3: `import --prices` still values what the export
/// does not (the latest dated price at or before the row, as the engine
/// reads `--prices`: SPEC section 3), and counts the rows it valued at a
/// price more than 24 hours older than the row (the engine warns about such a
/// price likewise). A side in EUR, GBP or CAD keeps its currency; its USD
/// value and its fee's are the amounts at the rate. By hand:
/// - EUR buy, 10:15:30 with a 10:00 rate of 1.08: 500 x 1.08 = 540, fee
///   0.8 x 1.08 = 0.864;
/// - BTC->ETH at 14:00 with ETH 2,500 at 00:00 (14 hours): 0.09 x 2,500 = 225;
/// - GBP buy on Mar 2 11:30 with the Mar 1 rate 1.26 (35.5 hours old: stale):
///   300 x 1.26 = 378, fee 0.48 x 1.26 = 0.6048;
/// - CAD sell at 16:45:10 with 0.74 at 16:00: 430 x 0.74 = 318.2, fee 0.5106;
/// - DOT staking on Apr 10 with DOT 9 of Apr 1 (stale): 0.5 x 9 = 4.5;
/// - the withdrawal's fee, BTC 64,000 five minutes before: 0.00001 x 64,000.
#[test]
fn import_prices_values_the_rows_and_counts_stale_prices() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.csv");
    std::fs::write(
        &prices,
        "time,asset,price\n\
         2024-02-03T10:00:00Z,EUR,1.08\n\
         2024-02-10T00:00:00Z,ETH,2500\n\
         2024-03-01T00:00:00Z,GBP,1.26\n\
         2024-04-05T16:00:00Z,CAD,0.74\n\
         2024-04-01T00:00:00Z,DOT,9\n\
         2024-04-20T19:00:00Z,BTC,64000\n",
    )
    .unwrap();
    let rel = "fixtures/import/kraken-ledgers/eur-gbp-cad-and-crypto-trades-unpriced.csv";
    let (ledger, err) = ok(&["import", rel, "--prices", prices.to_str().unwrap()]);
    for row in [
        ",buy,500,EUR,0.0125,BTC,0.8,EUR,540,0.864,,",
        ",trade,0.005,BTC,0.09,ETH,0.0002,ETH,225,,,",
        ",buy,300,GBP,0.12,ETH,0.48,GBP,378,0.6048,,",
        ",sell,0.1,ETH,430,CAD,0.69,CAD,318.2,0.5106,,",
        ",income,,,0.5,DOT,,,4.5,,,staking",
        ",withdrawal,0.002,BTC,,,0.00001,BTC,,0.64,,",
    ] {
        assert!(ledger.contains(row), "{row} in\n{ledger}");
    }
    assert!(!err.contains("rows needing a USD price"), "{err}");
    assert!(
        err.ends_with(&format!(
            "  duplicates dropped:  0\n  rows valued at a price over 24 hours old: 2 (first at \
             {rel}:8, GBP priced at 2024-03-01T00:00:00Z, 35 hours before the row)\n"
        )),
        "{err}"
    );
}

/// A row given up for a later file's copy (a Kraken trade in trades.csv once
/// ledgers.csv gives it: FORMATS.md 3.2, booked from ledgers.csv) is no
/// longer that file's row: it leaves the count of rows needing a price with
/// it, so each file's account still adds up and counts only what it wrote.
#[test]
fn a_superseded_row_is_not_counted_as_needing_a_price() {
    let dir = tempfile::tempdir().unwrap();
    let trades = dir.path().join("trades.csv");
    let ledgers = dir.path().join("ledgers.csv");
    std::fs::write(
        &trades,
        "\"txid\",\"ordertxid\",\"pair\",\"time\",\"type\",\"ordertype\",\"price\",\"cost\",\"fee\",\"vol\",\"margin\",\"misc\",\"ledgers\"\n\
         \"TS1AAA-BBBBB-CCCCC1\",\"OS1AAA-BBBBB-CCCCC1\",\"ETH/XBT\",\"2024-05-01 10:00:00.25\",\"sell\",\"market\",0.05,0.005,0.000013,0.1,0,\"\",\"LS1AAA-BBBBB-CCCC01,LS1AAA-BBBBB-CCCC02\"\n",
    )
    .unwrap();
    std::fs::write(
        &ledgers,
        "\"txid\",\"refid\",\"time\",\"type\",\"subtype\",\"aclass\",\"asset\",\"amount\",\"fee\",\"balance\"\n\
         \"LS1AAA-BBBBB-CCCC01\",\"TS1AAA-BBBBB-CCCCC1\",\"2024-05-01 10:00:00\",\"trade\",\"\",\"currency\",\"XETH\",-0.1000000000,0.0000000000,0.9000000000\n\
         \"LS1AAA-BBBBB-CCCC02\",\"TS1AAA-BBBBB-CCCCC1\",\"2024-05-01 10:00:00\",\"trade\",\"\",\"currency\",\"XXBT\",0.0050000000,0.0000130000,0.0049870000\n",
    )
    .unwrap();
    let (t, l) = (trades.to_str().unwrap(), ledgers.to_str().unwrap());
    let (ledger, err) = ok(&["import", t, l]);
    assert_eq!(ledger.lines().count(), 2, "{ledger}");
    assert!(
        err.starts_with(&format!(
            "{t}: format kraken-trades\n  rows read:           1\n  rows used:           0\n  \
             ledger rows written: 0\n  rows skipped:        0\n  duplicates dropped:  1\n{l}: \
             format kraken-ledgers\n"
        )),
        "{err}"
    );
    assert!(
        err.ends_with(&format!(
            "  rows needing a USD price: 1 (first at {l}:2, BTC at 2024-05-01T10:00:00Z); run \
             'harvest prices {l} -o prices.csv' to fetch them and give --prices prices.csv (or \
             give --prices with a dated price for each: CSV time,asset,price)\n"
        )),
        "{err}"
    );
}

/// Issue 16 part 1, item 5: the commands take a raw export that import
/// leaves unvalued, with a hand-written dated price file (SPEC section 3:
/// "takes its value from --prices at or before its time"). Kraken in EUR, GBP
/// and CAD with a crypto-to-crypto trade, FIFO, 2024 (box C: before 2025,
/// short-term, no 1099-DA):
/// - EUR buy of 0.0125 BTC: 500 EUR + 0.8 EUR fee at 1.08 = 540 + 0.864, a lot
///   of 540.864 (a buy's fee adds to its basis);
/// - BTC->ETH: 0.09 ETH at 2,500 = 225; the 0.0002 ETH fee withheld is worth
///   225 x 0.0002 / 0.09 = 0.50, so proceeds 224.50 (Treas. Reg. 1.1012-1(h));
///   basis 540.864 x 0.005 / 0.0125 = 216.3456 (216.35): gain 8.15; the ETH
///   lot is 0.0898 at 224.50;
/// - GBP buy of 0.12 ETH: 300 + 0.48 at 1.26 = 378.6048;
/// - CAD sell of 0.1 ETH: 430 at 0.74 = 318.20 less the fee 0.69 x 0.74 =
///   0.5106, proceeds 317.6894, shared by quantity: 0.0898 / 0.1 of it is
///   285.2850812 (285.29) against 224.50, gain 60.79; the rest 317.69 - 285.29
///   = 32.40 against 378.6048 x 0.0102 / 0.12 = 32.181408 (32.18), gain 0.22;
/// - the withdrawal's 0.00001 BTC fee at 64,000 = 0.64, against 0.4326912 of
///   the first lot (216.7782912 rounds to 216.78 after 216.35: 0.43), gain 0.21.
///
/// The same report comes out of the ledger import writes without prices, the
/// engine then valuing the rows (the EUR and CAD sides at their rates).
#[test]
fn a_raw_export_in_eur_and_crypto_is_reported_with_dated_prices() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.csv");
    std::fs::write(
        &prices,
        "time,asset,price\n\
         2024-02-03T10:00:00Z,EUR,1.08\n\
         2024-02-10T13:00:00Z,ETH,2500\n\
         2024-03-02T11:00:00Z,GBP,1.26\n\
         2024-04-05T16:00:00Z,CAD,0.74\n\
         2024-04-10T00:00:00Z,DOT,9\n\
         2024-04-20T19:00:00Z,BTC,64000\n",
    )
    .unwrap();
    let p = prices.to_str().unwrap();
    let raw = "fixtures/import/kraken-ledgers/eur-gbp-cad-and-crypto-trades-unpriced.csv";
    let report = |input: &str| {
        ok(&[
            "report", input, "--year", "2024", "--prices", p, "--format", "csv",
        ])
        .0
    };
    let want = "\
disposal_id,lot_id,asset,quantity,account,date_acquired,date_sold,term,box,description,proceeds,cost_basis,adjustment_code,adjustment,gain
kraken-TQ1AAA-TRD02-BTCETH,kraken-TQ1AAA-TRD01-EURBTC,BTC,0.005,kraken,2024-02-03,2024-02-10,short,C,0.005 BTC,224.50,216.35,,,8.15
kraken-TQ1AAA-TRD04-ETHCAD,kraken-TQ1AAA-TRD02-BTCETH,ETH,0.0898,kraken,2024-02-10,2024-04-05,short,C,0.0898 ETH,285.29,224.50,,,60.79
kraken-TQ1AAA-TRD04-ETHCAD,kraken-TQ1AAA-TRD03-GBPETH,ETH,0.0102,kraken,2024-03-02,2024-04-05,short,C,0.0102 ETH,32.40,32.18,,,0.22
kraken-LQ1AAA-WDR01-BTCAAA,kraken-TQ1AAA-TRD01-EURBTC,BTC,0.00001,kraken,2024-02-03,2024-04-20,short,C,0.00001 BTC,0.64,0.43,,,0.21
";
    assert_eq!(report(raw), want);
    let ledger = dir.path().join("ledger.csv");
    let ledger = ledger.to_str().unwrap();
    ok(&["import", raw, "-o", ledger]);
    assert_eq!(report(ledger), want);
    // The EUR buy's lot: (500 + 0.8) EUR x 1.08 = 540.864, shown 540.86;
    // 43,269.12 a unit (540.864 / 0.0125).
    let (lots, _) = ok(&[
        "lots",
        raw,
        "--prices",
        p,
        "--as-of",
        "2024-02-05",
        "--format",
        "csv",
    ]);
    assert!(
        lots.contains(
            "\nBTC,(universal),kraken-TQ1AAA-TRD01-EURBTC,2024-02-03,0.0125,540.86,43269.12,"
        ),
        "{lots}"
    );
    let (lots, _) = ok(&["lots", ledger, "--prices", p, "--format", "csv"]);
    // At the end: 0.0125 - 0.005 - 0.00001 - 0.002 withdrawn = 0.00549 BTC
    // in Kraken, 540.864 x 0.00549 / 0.0125 = 237.5474688 (237.55); the GBP
    // lot's 0.1098 ETH, 378.6048 - 32.181408 = 346.423392 (346.42).
    assert!(
        lots.contains("\nBTC,kraken,kraken-TQ1AAA-TRD01-EURBTC,2024-02-03,0.00549,237.55,"),
        "{lots}"
    );
    assert!(
        lots.contains("\nETH,kraken,kraken-TQ1AAA-TRD03-GBPETH,2024-03-02,0.1098,346.42,"),
        "{lots}"
    );
}

/// Issue 16 part 1, item 5, a second layout: a Coinbase account in CAD (v2
/// report), 2021, with the CAD rate of each day. `import --prices` (here
/// inside `report`) values a row Coinbase values in CAD at the rate, a CAD
/// side included:
/// - Buy of 0.25 ETH: 1,050 + 15.24 CAD at 0.79 = 829.50 + 12.0396 = 841.5396;
/// - Advanced Trade of 0.12 ETH for 2 SOL, worth 400 CAD at 0.81 = 324.00,
///   against 841.5396 x 0.12 / 0.25 = 403.939008 (403.94): a loss of 79.94;
/// - learning reward of 5 GRT, 5 CAD at 0.80 = 4.00 of income (a lot of 4);
/// - Sell of 0.1 ETH: 590 CAD at 0.82 = 483.80 less the fee 8.85 x 0.82 =
///   7.257: 476.543 (476.54), against 841.5396 x 0.1 / 0.25 = 336.61584;
///   the lot's running basis 740.554848 rounds to 740.55 after 403.94:
///   336.61, gain 139.93.
#[test]
fn a_raw_coinbase_export_in_cad_is_reported_with_dated_rates() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.csv");
    std::fs::write(
        &prices,
        "time,asset,price\n\
         2021-10-04T12:00:00Z,CAD,0.79\n\
         2021-10-18T07:00:00Z,CAD,0.81\n\
         2021-11-01T16:00:00Z,CAD,0.80\n\
         2021-11-09T20:00:00Z,CAD,0.82\n",
    )
    .unwrap();
    let p = prices.to_str().unwrap();
    let raw = "fixtures/import/coinbase/cad-v2-spot-price-currency-unpriced.csv";
    let (report, err) = ok(&[
        "report", raw, "--year", "2021", "--prices", p, "--format", "csv",
    ]);
    assert_eq!(
        report,
        "\
disposal_id,lot_id,asset,quantity,account,date_acquired,date_sold,term,box,description,proceeds,cost_basis,adjustment_code,adjustment,gain
coinbase-3171106dbdb3f518,coinbase-5503e550e9072acb,ETH,0.12,coinbase,2021-10-04,2021-10-18,short,C,0.12 ETH,324.00,403.94,,,-79.94
coinbase-1bc63a7da99800b7,coinbase-5503e550e9072acb,ETH,0.1,coinbase,2021-10-04,2021-11-09,short,C,0.1 ETH,476.54,336.61,,,139.93
"
    );
    assert!(!err.contains("rows needing a USD price"), "{err}");
    // What is left: 0.03 ETH at 841.5396 - 740.554848 = 100.984752 (100.98),
    // the SOL at 324 and the GRT at 4.
    let (lots, _) = ok(&["lots", raw, "--prices", p, "--format", "csv"]);
    for lot in [
        "\nETH,coinbase,coinbase-5503e550e9072acb,2021-10-04,0.03,100.98,",
        "\nGRT,coinbase,coinbase-a268545263c0c2da,2021-11-01,5,4.00,",
        "\nSOL,coinbase,coinbase-3171106dbdb3f518,2021-10-18,2,324.00,",
    ] {
        assert!(lots.contains(lot), "{lot} in\n{lots}");
    }
}

/// Income paid in money (a Kraken reward on a EUR balance, CoinLedger
/// interest in EUR, a Coinbase Pro fee rebate in USD) is cash, not a crypto
/// lot: skipped with its reason, as Coinbase, Binance and Gemini cash income
/// is, since the ledger's income receives crypto and EUR is money (SPEC
/// section 2: `income` needs a crypto received_qty/received_asset).
#[test]
fn income_paid_in_money_is_skipped_as_cash() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "kraken.csv",
            "\"txid\",\"refid\",\"time\",\"type\",\"subtype\",\"aclass\",\"asset\",\"amount\",\"fee\",\"balance\"\n\
             \"LR1AAA-BBBBB-CCCCC1\",\"RR1AAA-BBBBB-CCCCC1\",\"2024-06-01 00:00:00\",\"staking\",\"\",\"currency\",\"ZEUR.M\",0.4200,0.0000,100.4200\n",
            "income paid in cash: not a crypto lot (report it as interest)",
        ),
        (
            "coinledger.csv",
            "Date (UTC),Platform (Optional),Asset Sent,Amount Sent,Asset Received,Amount Received,Fee Currency (Optional),Fee Amount (Optional),Type,Description (Optional),TxHash (Optional)\n\
             06/01/2024 00:00:00,SomeBank,,,EUR,1.25,,,Interest,savings,\n",
            "income paid in cash: not a crypto lot",
        ),
        (
            "pro.csv",
            "portfolio,type,time,amount,balance,amount/balance unit,transfer id,trade id,order id\n\
             default,rebate,2021-02-01T09:00:00.000Z,0.35,0.35,USD,,,\n",
            "rebate paid in cash: not a crypto lot",
        ),
    ];
    for (name, text, reason) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (ledger, err) = ok(&["import", path.to_str().unwrap()]);
        assert_eq!(ledger.lines().count(), 1, "{name}: {ledger}");
        assert!(
            err.contains(&format!("        1  {reason} (first at line 2)\n")),
            "{name}: {err}"
        );
    }
}

/// Issue 18: with a small memory budget, import writes sorted runs to
/// temporary files and merges them; the ledger is byte for byte the one
/// sorting in memory gives (newest-first exports turned around, Kraken rows
/// superseded by the other export left out).
#[test]
fn runs_on_disk_give_the_same_ledger() {
    let sets: Vec<Vec<String>> = vec![
        files_in("fixtures/import/coinbase"),
        files_in("fixtures/import/kraken-ledgers"),
        vec![
            "fixtures/import/kraken-trades/trades-also-in-ledgers-export.csv".into(),
            "fixtures/import/kraken-ledgers/trades-also-in-trades-export.csv".into(),
        ],
    ];
    for files in sets {
        let mut args: Vec<&str> = vec!["import"];
        args.extend(files.iter().map(String::as_str));
        args.extend(["--prices", PRICES]);
        let run = |budget: Option<&str>| {
            let mut c = assert_cmd::Command::cargo_bin("harvest").unwrap();
            c.current_dir(root()).args(&args);
            if let Some(b) = budget {
                c.env("HARVEST_IMPORT_SPOOL_BYTES", b);
            }
            c.output().unwrap()
        };
        let memory = run(None);
        assert!(
            memory.status.success(),
            "{files:?}: {}",
            String::from_utf8_lossy(&memory.stderr)
        );
        for b in ["1", "300", "5000"] {
            let runs = run(Some(b));
            assert_eq!(runs.stdout, memory.stdout, "{files:?} budget {b}");
            assert_eq!(runs.stderr, memory.stderr, "{files:?} budget {b}");
        }
    }
}

fn files_in(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".csv") && !n.contains(".expected.") && !n.contains("unpriced"))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    v.sort();
    v
}

/// Issue 19: a Bitcoin wallet's history. A move from an Electrum wallet to a
/// Sparrow wallet is a withdrawal (the wallet's loss less the network fee) and
/// a deposit with one txid, so the coins keep their date and basis; the same
/// wallet exported by Sparrow too is the same rows, dropped as duplicates.
#[test]
fn a_move_between_two_wallets_pairs_and_one_wallet_in_two_apps_is_kept_once() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = ("a".repeat(64), "b".repeat(64));
    let write = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let hot = write(
        "hot.csv",
        format!(
            "transaction_hash,label,confirmations,value,fiat_value,fee,fiat_fee,timestamp\n\
             {a},from an exchange,900,0.1,,,,2024-01-02 10:00:00\n\
             {b},to cold storage,850,-0.0501,,0.0001,,2024-03-04 12:00:00\n"
        ),
    );
    let cold = write(
        "cold.csv",
        format!(
            "Date (UTC),Label,Value,Balance,Fee,Txid\n\
             2024-03-04 12:10:00,from the hot wallet,5000000,5000000,,{b}\n"
        ),
    );
    let hot_in_sparrow = write(
        "hot-sparrow.csv",
        format!(
            "Date (UTC),Label,Value,Balance,Fee,Txid\n\
             2024-01-02 10:00:00,,10000000,10000000,,{a}\n\
             2024-03-04 12:00:00,cold,-5010000,4990000,10000,{b}\n"
        ),
    );
    let (ledger, err) = ok(&["import", &hot, &hot_in_sparrow]);
    assert_eq!(ledger.lines().count(), 3, "{ledger}");
    assert!(err.contains("duplicates dropped:  2"), "{err}");
    // The two copies differ (account, labels): the one kept is that of the
    // file with the smaller fingerprint, in either order (issue 19 item 3).
    let (again, _) = ok(&["import", &hot_in_sparrow, &hot]);
    assert_eq!(again, ledger);
    let print = |p: &str| harvest::import::Fingerprint::of(&std::fs::read(p).unwrap());
    let kept = if print(&hot) < print(&hot_in_sparrow) {
        format!(",electrum,withdrawal,0.05,BTC,,,0.0001,BTC,,,{b},to cold storage")
    } else {
        format!(",sparrow,withdrawal,0.05,BTC,,,0.0001,BTC,,,{b},cold")
    };
    assert!(ledger.contains(&kept), "{ledger}");

    let h = dir.path().join("h.csv");
    let c = dir.path().join("c.csv");
    let (h, c) = (h.to_str().unwrap(), c.to_str().unwrap());
    ok(&["import", &hot, "--account", "hot", "-o", h]);
    ok(&["import", &cold, "--account", "cold", "-o", c]);
    let (lots, _) = ok(&[
        "lots",
        h,
        c,
        "--missing-basis",
        "zero",
        "--scope",
        "wallet",
        "--format",
        "csv",
        "--prices",
        PRICES,
    ]);
    let lot = format!("btc-wallet-{a}-in-10000000");
    assert!(
        lots.contains(&format!("BTC,cold,{lot},2024-01-02,0.05,0.00,")),
        "{lots}"
    );
    assert!(
        lots.contains(&format!("BTC,hot,{lot},2024-01-02,0.0499,0.00,")),
        "{lots}"
    );
}

/// The accounts (third column) of a ledger's rows, sorted and deduplicated.
fn accounts_of(ledger: &str) -> Vec<String> {
    let mut v: Vec<String> = ledger
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(2).map(str::to_string))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Issue 19: wallet exports name their accounts (`Ledger Live: <Account
/// Name>`, `Exodus: <portfolio>`; Trezor's file names none: `trezor`), and
/// `[import.accounts]` in harvest.toml renames the account a row would be
/// written with, for `import` and for an export given to `lots` directly;
/// `--account` wins over it, and `harvest config` shows the table.
#[test]
fn import_accounts_in_harvest_toml_rename_an_exports_accounts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("harvest.toml"),
        "[import.accounts]\n\"Ledger Live: Bitcoin 1\" = \"ledger-nano\"\ntrezor = \"trezor-t\"\n\
         \"Exodus: exodus_1\" = \"exodus-savings\"\n",
    )
    .unwrap();
    let path = |rel: &str| root().join(rel).to_str().unwrap().to_string();
    let ledger_live =
        path("fixtures/import/ledger-live/operations-2024-status-usd-countervalue.csv");
    let trezor = path("fixtures/import/trezor/bitcoin-account-usd.csv");
    let exodus = path("fixtures/import/exodus/portfolios-exchanges.csv");
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("harvest")
            .unwrap()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}: {err}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Without harvest.toml: the exports' own names.
    let (plain, _) = ok(&["import", &ledger_live, &trezor, &exodus]);
    assert_eq!(
        accounts_of(&plain),
        [
            "Exodus: exodus_0",
            "Exodus: exodus_1",
            "Ledger Live: Bitcoin 1",
            "Ledger Live: Cosmos 1",
            "Ledger Live: Ethereum 1",
            "trezor"
        ]
    );
    let mapped = run(&["import", &ledger_live, &trezor, &exodus]);
    assert_eq!(
        accounts_of(&mapped),
        [
            "Exodus: exodus_0",
            "Ledger Live: Cosmos 1",
            "Ledger Live: Ethereum 1",
            "exodus-savings",
            "ledger-nano",
            "trezor-t"
        ]
    );
    // Only the account column changes.
    let without_accounts = |l: &str| -> Vec<String> {
        let mut v: Vec<String> = l
            .lines()
            .map(|r| {
                let mut c: Vec<&str> = r.split(',').collect();
                c.remove(2);
                c.join(",")
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(without_accounts(&plain), without_accounts(&mapped));
    // --account wins over the table.
    let forced = run(&["import", &ledger_live, "--account", "cold"]);
    assert_eq!(accounts_of(&forced), ["cold"]);
    // Another settings file, named with --config.
    std::fs::write(
        dir.path().join("other.toml"),
        "[import.accounts]\n\"Ledger Live: Ethereum 1\" = \"ledger-eth\"\n",
    )
    .unwrap();
    let other = run(&["import", &ledger_live, "--config", "other.toml"]);
    assert!(accounts_of(&other).contains(&"ledger-eth".to_string()));
    assert!(accounts_of(&other).contains(&"Ledger Live: Bitcoin 1".to_string()));
    // An engine command given the export names the same accounts.
    let lots = run(&[
        "lots",
        &ledger_live,
        "--missing-basis",
        "zero",
        "--format",
        "csv",
    ]);
    assert!(lots.contains(",ledger-nano,"), "{lots}");
    assert!(!lots.contains("Bitcoin 1"), "{lots}");
    let config = run(&["config"]);
    assert!(
        config.contains("[import.accounts]")
            && config.contains("\"Ledger Live: Bitcoin 1\" = \"ledger-nano\"")
            && config.contains("trezor = \"trezor-t\""),
        "{config}"
    );
    // An empty name is an error naming the file and the key.
    std::fs::write(
        dir.path().join("bad.toml"),
        "[import.accounts]\n\"Ledger Live: Bitcoin 1\" = \"\"\n",
    )
    .unwrap();
    let bad = Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(dir.path())
        .args(["import", &ledger_live, "--config", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("Ledger Live: Bitcoin 1"),
        "{err}"
    );
    assert!(bad.stdout.is_empty());
}

/// A Ledger Live send between two of the user's accounts is one transaction
/// hash in both: the OUT and the IN keep their own rows (and ids), and the
/// transfer pairs by txid.
#[test]
fn a_send_between_two_ledger_accounts_keeps_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ll.csv");
    std::fs::write(
        &f,
        "Operation Date,Status,Currency Ticker,Operation Type,Operation Amount,Operation Fees,Operation Hash,Account Name,Account xpub,Countervalue Ticker,Countervalue at Operation Date,Countervalue at CSV Export\r\n\
         2024-01-02T00:00:00.000Z,Confirmed,BTC,IN,1,0.0001,aa11,Bitcoin 1,xpubA,USD,40000,60000\r\n\
         2024-01-05T00:00:00.000Z,Confirmed,BTC,OUT,0.5001,0.0001,bb22,Bitcoin 1,xpubA,USD,20004,30006\r\n\
         2024-01-05T00:00:00.000Z,Confirmed,BTC,IN,0.5,0.0001,bb22,Bitcoin 2,xpubB,USD,20000,30000\r\n",
    )
    .unwrap();
    let (ledger, _) = ok(&["import", f.to_str().unwrap()]);
    let rows: Vec<&str> = ledger.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{ledger}");
    assert!(
        rows[1].contains(",Ledger Live: Bitcoin 1,withdrawal,0.5,BTC,,,0.0001,BTC,20000,4,bb22,"),
        "{ledger}"
    );
    assert!(
        rows[2].contains(",Ledger Live: Bitcoin 2,deposit,,,0.5,BTC,,,20000,,bb22,"),
        "{ledger}"
    );
    // The engine moves the lot with its basis: nothing is sold but the fee.
    // (The first deposit has no withdrawal: a zero-basis lot.)
    let (gains, err) = ok(&[
        "gains",
        f.to_str().unwrap(),
        "--year",
        "2024",
        "--missing-basis",
        "zero",
        "--format",
        "csv",
    ]);
    assert!(err.contains("-aa11-") && !err.contains("-bb22-"), "{err}");
    assert_eq!(gains.lines().count(), 2, "{gains}");
}

/// Coinbase's per-wallet Transactions report and its Transfers report list the
/// same buys and sells (the wallet report's `Transfer ID` is the Transfers
/// report's `ID`): imported together, each is kept once, whichever file
/// comes first, and the Transfers report's own buy is kept.
#[test]
fn coinbase_wallet_report_and_transfers_report_keep_each_buy_once() {
    let w = "fixtures/order/coinbase-wallet-and-transfers/btc-wallet-transactions.csv";
    let t = "fixtures/order/coinbase-wallet-and-transfers/transfers-report.csv";
    let (wt, wt_err) = ok(&["import", w, t, "--prices", PRICES]);
    let (tw, _) = ok(&["import", t, w, "--prices", PRICES]);
    assert_eq!(wt, tw);
    let rows: Vec<&str> = wt.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{wt}");
    let ids = |id: &str| rows.iter().filter(|r| r.starts_with(id)).count();
    assert_eq!(
        ids("coinbase-transfer-569403e23b2c1d0001a1b2c4,"),
        1,
        "{wt}"
    );
    assert_eq!(
        ids("coinbase-transfer-57686a943b2c1d0001a1b2c5,"),
        1,
        "{wt}"
    );
    assert_eq!(
        ids("coinbase-transfer-57c84ee03b2c1d0001a1b2c9,"),
        1,
        "{wt}"
    );
    assert!(wt_err.contains("duplicates dropped:  2"), "{wt_err}");
}

/// Kraken's trades.csv and ledgers.csv of the same 4,000 trades in EUR, which
/// need a USD price: every trade of trades.csv gives way to ledgers.csv's copy.
/// The import is ledgers.csv's alone, with 4,000 duplicates dropped and one
/// count of the rows needing a price (once a pass over that list for each row
/// given up, and a csv reader made for each line of trades.csv); `lots` reads
/// the two files as the import wrote them (its table of ids, given no room
/// ahead, once grew by one slot for each id).
#[test]
fn thousands_of_kraken_trades_give_way_to_the_ledgers_export() {
    use std::fmt::Write as _;
    let tmp = tempfile::tempdir().unwrap();
    let (mut trades, mut ledgers) = (
        String::from(
            "\"txid\",\"ordertxid\",\"pair\",\"time\",\"type\",\"ordertype\",\"price\",\"cost\",\"fee\",\"vol\",\"margin\",\"misc\",\"ledgers\"\n",
        ),
        String::from(
            "\"txid\",\"refid\",\"time\",\"type\",\"subtype\",\"aclass\",\"asset\",\"amount\",\"fee\",\"balance\"\n",
        ),
    );
    for k in 0..4000 {
        let time = format!(
            "2024-01-{:02} {:02}:{:02}:00",
            1 + k / 1440,
            k / 60 % 24,
            k % 60
        );
        let (tx, l1, l2) = (
            format!("T{k:06}-AAAAA-AAAAAA"),
            format!("L{k:06}-AAAAA-AAAA01"),
            format!("L{k:06}-AAAAA-AAAA02"),
        );
        writeln!(trades, "\"{tx}\",\"O{k}\",\"XBT/EUR\",\"{time}.0000\",\"buy\",\"limit\",40000.0,40.0,0.064,0.001,0.0,\"\",\"{l1},{l2}\"").unwrap();
        writeln!(ledgers, "\"{l1}\",\"{tx}\",\"{time}\",\"trade\",\"\",\"currency\",\"ZEUR\",-40.0000,0.0640,100.0000").unwrap();
        writeln!(ledgers, "\"{l2}\",\"{tx}\",\"{time}\",\"trade\",\"\",\"currency\",\"XXBT\",0.0010000000,0.0000000000,0.0010000000").unwrap();
    }
    let t = tmp.path().join("trades.csv");
    let l = tmp.path().join("ledgers.csv");
    std::fs::write(&t, trades).unwrap();
    std::fs::write(&l, ledgers).unwrap();
    let (t, l) = (t.to_str().unwrap(), l.to_str().unwrap());
    let both = harvest(&["import", t, l]);
    let alone = harvest(&["import", l]);
    assert!(both.status.success() && alone.status.success());
    assert_eq!(both.stdout, alone.stdout);
    assert_eq!(String::from_utf8_lossy(&both.stdout).lines().count(), 4001);
    let err = String::from_utf8(both.stderr).unwrap();
    assert!(err.contains("duplicates dropped:  4000"), "{err}");
    assert_eq!(
        err.matches("rows needing a USD price: 4000").count(),
        1,
        "{err}"
    );
    // Without prices the EUR trades cannot be valued: the same error either way.
    let lots_both = harvest(&["lots", t, l, "--format", "csv"]);
    let lots_alone = harvest(&["lots", l, "--format", "csv"]);
    assert_eq!(lots_both.status.code(), Some(1));
    let last = |o: &Output| {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .last()
            .map(str::to_string)
    };
    assert_eq!(last(&lots_both), last(&lots_alone));
}
