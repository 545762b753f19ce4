//! Issue 19 item 2, end to end: the user's own addresses in harvest.toml
//! (`[accounts.NAME] addresses`, `payments`). fixtures/own-addresses holds one
//! person's Coinbase export, their cold wallet's Sparrow export and a
//! MetaMask ledger written by hand; Coinbase sends to the cold wallet and to
//! MetaMask, the wallets send back to Coinbase's deposit addresses, Coinbase
//! pays a merchant and gives 0.05 BTC to a friend.

mod common;
use common::golden;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

const FIXTURE: &str = "fixtures/own-addresses";

/// A temporary directory holding the fixture's files (so that messages name
/// them by their short names), with harvest.toml unless `toml` is false.
fn workdir(toml: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    for e in std::fs::read_dir(&root).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if toml || name != "harvest.toml" {
            std::fs::copy(e.path(), dir.path().join(name)).unwrap();
        }
    }
    dir
}

fn run(dir: &Path, args: &[&str], threads: &str) -> Output {
    Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(dir)
        .env("HARVEST_ENGINE_THREADS", threads)
        .args(args)
        .output()
        .unwrap()
}

/// Runs harvest in `dir`, expecting success: (stdout, stderr).
fn ok(dir: &Path, args: &[&str]) -> (String, String) {
    let o = run(dir, args, "1");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "harvest {args:?}: {err}");
    (String::from_utf8_lossy(&o.stdout).into_owned(), err)
}

/// Each export imported as its account, then the three merged into one
/// ledger, as the README shows.
fn import_all(dir: &Path) -> String {
    ok(
        dir,
        &["import", "coinbase.csv", "-o", "coinbase-ledger.csv"],
    );
    ok(
        dir,
        &[
            "import",
            "cold-sparrow.csv",
            "--account",
            "cold",
            "-o",
            "cold-ledger.csv",
        ],
    );
    ok(
        dir,
        &[
            "import",
            "coinbase-ledger.csv",
            "cold-ledger.csv",
            "metamask.csv",
            "-o",
            "ledger.csv",
        ],
    );
    std::fs::read_to_string(dir.join("ledger.csv")).unwrap()
}

const REPORT: [&str; 8] = [
    "report",
    "ledger.csv",
    "--year",
    "2025",
    "--prices",
    "prices.csv",
    "--format",
    "csv",
];

/// The reconciliation: a Coinbase export sending to the cold wallet's
/// address and the cold wallet's Sparrow export receiving it 3 days later
/// (beyond 48 hours, with no txid in common) make one ledger in which the
/// transfer pairs, so the cold wallet's coins are the second Coinbase buy's
/// (0.06 BTC for 5,724.60 on 2024-11-20): the 0.03 BTC the cold wallet
/// sends back and Coinbase sells on 2025-10-01 cost 2,862.30, short-term.
/// The payment is a spend at the day's price; the gift to a friend stays
/// unpaired, its lot listed in `external`.
#[test]
fn a_coinbase_send_to_the_cold_wallet_keeps_its_basis() {
    let dir = workdir(true);
    let d = dir.path();
    golden("own-addresses-ledger.csv", &import_all(d));
    let (report, err) = ok(d, &REPORT);
    golden("own-addresses-report-2025.csv", &report);
    golden("own-addresses-report-2025.stderr", &err);
    assert!(
        report.contains(
            "coinbase-d0d000000000000000000b12,coinbase-d0d000000000000000000b04,BTC,0.03,coinbase,2024-11-20,2025-10-01,short,H,0.03 BTC,3280.20,2862.30,,,417.90\n"
        ),
        "{report}"
    );
    let (lots, _) = ok(
        d,
        &[
            "lots",
            "ledger.csv",
            "--as-of",
            "2025-12-31",
            "--prices",
            "prices.csv",
            "--format",
            "csv",
        ],
    );
    golden("own-addresses-lots-2025-12-31.csv", &lots);
    assert!(lots.contains("BTC,external,coinbase-d0d000000000000000000b02,2024-02-10,0.05,"));

    // The same files on two threads: the same pairs, the same outputs.
    let two = run(d, &REPORT, "2");
    assert_eq!(String::from_utf8_lossy(&two.stdout), report);
    assert_eq!(String::from_utf8_lossy(&two.stderr), err);

    // The raw exports given to report directly pair alike.
    let (direct, _) = ok(
        d,
        &[
            "report",
            "coinbase.csv",
            "cold-ledger.csv",
            "metamask.csv",
            "--year",
            "2025",
            "--prices",
            "prices.csv",
            "--format",
            "csv",
        ],
    );
    assert_eq!(direct, report);
}

/// Without harvest.toml the cold wallet's deposit has no withdrawal (3 days
/// later, no common txid): it draws back from `external` the oldest lot
/// there, the first buy's that went to the friend, and the sale shows that
/// lot's basis and term: basis is lost. The payment stays a withdrawal.
#[test]
fn without_the_addresses_the_basis_is_the_wrong_lots() {
    let dir = workdir(false);
    let d = dir.path();
    import_all(d);
    let (report, err) = ok(d, &REPORT);
    assert!(
        report.contains(
            "coinbase-d0d000000000000000000b12,coinbase-d0d000000000000000000b02,BTC,0.03,coinbase,2024-02-10,2025-10-01,long,K,0.03 BTC,3280.20,1461.60,,,1818.60\n"
        ),
        "{report}"
    );
    assert!(!report.contains("coinbase-d0d000000000000000000b08,"));
    assert!(
        !err.contains("own transfer") && !err.contains("payment"),
        "{err}"
    );
}

/// A withdrawal to an own address whose deposit is not in the ledger is
/// listed as unpaired, the warning naming the account whose history is
/// missing; its lots wait in `external`.
#[test]
fn a_missing_deposit_is_named_by_its_account() {
    let dir = workdir(true);
    let d = dir.path();
    ok(d, &["import", "coinbase.csv", "-o", "coinbase-ledger.csv"]);
    let (_, err) = ok(
        d,
        &[
            "lots",
            "coinbase-ledger.csv",
            "metamask.csv",
            "--prices",
            "prices.csv",
            "--format",
            "csv",
        ],
    );
    assert!(
        err.contains(
            "harvest: warning: coinbase-ledger.csv:6 (id coinbase-d0d000000000000000000b06): withdrawal of 0.05 BTC to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq, an address of cold in harvest.toml, has no deposit of 0.05 BTC in cold from 2 hours before to 7 days after it; its lots go to `external` until a deposit draws them back: the ledger has no account cold: import its history (with --account cold)\n"
        ),
        "{err}"
    );
}

/// One address under two accounts would move coins to the wrong one: a usage
/// error (exit 2) naming both accounts, before any input is read; `harvest
/// config` says the same, and otherwise lists the addresses.
#[test]
fn an_address_under_two_accounts_is_a_usage_error() {
    let dir = workdir(true);
    let d = dir.path();
    let (config, _) = ok(d, &["config"]);
    golden("own-addresses-config.txt", &config);
    let toml = std::fs::read_to_string(d.join("harvest.toml")).unwrap();
    std::fs::write(
        d.join("harvest.toml"),
        format!(
            "{toml}\n[accounts.trezor]\naddresses = [\"BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ\"]\n"
        ),
    )
    .unwrap();
    for args in [
        &["config"][..],
        &["lots", "metamask.csv"][..],
        &["report", "metamask.csv", "--year", "2025"][..],
    ] {
        let o = run(d, args, "1");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            err,
            "harvest: error: harvest.toml: the address BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ is listed under [accounts.cold] and [accounts.trezor] addresses: an address belongs to one account; keep it under the account whose coins it holds\n"
        );
        assert!(o.stdout.is_empty());
    }
}

/// Issue 19's "done": a Coinbase export and a Ledger Live export of the same
/// person import into one ledger in which every own transfer is paired and
/// no basis is lost. The cold wallet is kept in Ledger Live instead of
/// Sparrow (cold-ledger-live.csv, the same facts; its account "Bitcoin 1"
/// named `cold` by `[import.accounts]`): Coinbase's send to the wallet's
/// address pairs with the wallet's IN three days later, the wallet's OUT
/// pairs with Coinbase's Receive 40 minutes later, and Form 8949 is the
/// Sparrow run's, row for row, but for the id of the wallet's fee.
#[test]
fn a_coinbase_and_a_ledger_live_export_make_one_ledger_with_every_own_transfer_paired() {
    let dir = workdir(true);
    let d = dir.path();
    import_all(d);
    let (sparrow, _) = ok(d, &REPORT);
    ok(
        d,
        &["import", "cold-ledger-live.csv", "-o", "cold-ledger.csv"],
    );
    let cold = std::fs::read_to_string(d.join("cold-ledger.csv")).unwrap();
    assert!(
        cold.lines()
            .skip(1)
            .all(|l| l.split(',').nth(2) == Some("cold")),
        "{cold}"
    );
    ok(
        d,
        &[
            "import",
            "coinbase-ledger.csv",
            "cold-ledger.csv",
            "metamask.csv",
            "-o",
            "ledger.csv",
        ],
    );
    let (report, err) = ok(d, &REPORT);
    let fee_id = |r: &str| {
        r.lines()
            .map(
                |l| match l.split_once(",coinbase-d0d000000000000000000b04,BTC,0.0001,cold,") {
                    Some((_, rest)) => format!("FEE,{rest}"),
                    None => l.to_string(),
                },
            )
            .collect::<Vec<_>>()
    };
    assert_eq!(fee_id(&report), fee_id(&sparrow));
    assert!(
        report.contains(",coinbase-d0d000000000000000000b04,BTC,0.03,coinbase,2024-11-20,2025-10-01,short,H,0.03 BTC,3280.20,2862.30,,,417.90\n"),
        "{report}"
    );
    assert!(
        err.contains("(id coinbase-d0d000000000000000000b06) sent 0.05 BTC to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq (cold), paired with ledger.csv:7 (id ledger-live-9f2c1e7a"),
        "{err}"
    );
    // Nothing of the person's own moves is left outside: only the gift to a
    // friend is in `external`.
    let (lots, _) = ok(
        d,
        &[
            "lots",
            "ledger.csv",
            "--as-of",
            "2025-12-31",
            "--prices",
            "prices.csv",
            "--format",
            "csv",
        ],
    );
    let external: Vec<&str> = lots.lines().filter(|l| l.contains(",external,")).collect();
    assert_eq!(external.len(), 1, "{lots}");
    assert!(
        external[0].starts_with("BTC,external,coinbase-d0d000000000000000000b02,"),
        "{lots}"
    );
}
