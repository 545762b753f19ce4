//! Issue 20 items 1 and 2, end to end: one person's Coinbase export, their
//! cold wallet's Ledger Live export and the three Etherscan downloads of
//! their MetaMask address (fixtures/own-addresses, harvest.toml listing the
//! address under `[accounts.metamask]`) make one ledger in which every own
//! transfer is paired, every swap is a trade, the airdropped fake USDC is
//! left out and named, and no basis is lost.
//!
//! The MetaMask address receives 1 ETH from Coinbase (2025-03-01), swaps
//! 0.3 ETH for 465 USDC on Uniswap (normal + tokens download), swaps 200
//! USDC back for 0.08 ETH (tokens + internal download: the ETH comes back
//! as an internal transaction), signs a swap that reverts (its gas is
//! burnt), is airdropped 5,000 of a token calling itself USDC, and sends
//! 0.4 ETH back to Coinbase's deposit address, which Coinbase sells.

mod common;
use common::golden;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

const FIXTURE: &str = "fixtures/own-addresses";
const DOWNLOADS: [&str; 3] = [
    "metamask-etherscan-normal.csv",
    "metamask-etherscan-internal.csv",
    "metamask-etherscan-tokens.csv",
];

fn workdir() -> tempfile::TempDir {
    common::copy_fixture(FIXTURE)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(dir)
        .env("HARVEST_ENGINE_THREADS", "1")
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> (String, String) {
    let o = run(dir, args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "harvest {args:?}: {err}");
    (String::from_utf8_lossy(&o.stdout).into_owned(), err)
}

/// The five exports imported together into ledger.csv: (ledger, stderr).
fn import(dir: &Path, order: &[&str]) -> (String, String) {
    let mut args = vec!["import"];
    args.extend_from_slice(order);
    args.extend_from_slice(&["-o", "ledger.csv"]);
    let (_, err) = ok(dir, &args);
    (
        std::fs::read_to_string(dir.join("ledger.csv")).unwrap(),
        err,
    )
}

fn all_files() -> Vec<&'static str> {
    let mut v = vec!["coinbase.csv", "cold-ledger-live.csv"];
    v.extend(DOWNLOADS);
    v
}

#[test]
fn coinbase_ledger_live_and_etherscan_make_one_ledger_with_every_transfer_paired() {
    let dir = workdir();
    let d = dir.path();
    let (ledger, err) = import(d, &all_files());
    golden("evm-ledger.csv", &ledger);
    golden("evm-import.stderr", &err);
    // The swaps are trades; the failed swap is its gas; the spam is out.
    let rows: Vec<&str> = ledger
        .lines()
        .filter(|l| l.contains(",metamask,"))
        .collect();
    let kinds: Vec<&str> = rows.iter().map(|l| l.split(',').nth(3).unwrap()).collect();
    assert_eq!(
        kinds,
        ["deposit", "trade", "trade", "fee", "withdrawal"],
        "{ledger}"
    );
    assert!(rows[1].contains(",trade,0.3,ETH,465,USDC,0.0012,ETH,465,1.86,"));
    assert!(rows[2].contains(",trade,200,USDC,0.08,ETH,0.0008,ETH,200,2,"));
    assert!(!ledger.contains("USDC-7a6b5c"), "{ledger}");
    assert!(
        err.contains(
            "token USDC-7a6b5c \"USDC Reward (claim at usdc-rewards.example)\" (ethereum contract 0x7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b) has no price"
        ),
        "{err}"
    );

    let (report, err) = ok(
        d,
        &[
            "report",
            "ledger.csv",
            "--year",
            "2025",
            "--prices",
            "prices.csv",
            "--format",
            "csv",
        ],
    );
    golden("evm-report-2025.csv", &report);
    golden("evm-report-2025.stderr", &err);
    // Coinbase -> MetaMask, MetaMask -> Coinbase, Coinbase -> cold: paired.
    for pair in [
        "sent 1 ETH to 0x52908400098527886E0F7030069857D2E4169EE7 (metamask), paired with ledger.csv:9 (id evm-0x81b92906",
        "sent 0.4 ETH to 0xa1b2c3d4e5f60718293a4b5c6d7e8f9012345678 (coinbase), paired with ledger.csv:15 (id coinbase-d0d000000000000000000b09)",
        "sent 0.05 BTC to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq (cold), paired with",
    ] {
        assert!(err.contains(pair), "{pair}: {err}");
    }
    // The ETH sold on Coinbase in August is the 2024 buy's, carried to
    // MetaMask and back: long-term, basis 7,104.99 x 0.4 / 2.
    assert!(
        report.contains(
            "coinbase-d0d000000000000000000b10,coinbase-d0d000000000000000000b03,ETH,0.4,coinbase,2024-03-05,2025-08-01,long,K,0.4 ETH,1497.20,1421.00,,,76.20\n"
        ),
        "{report}"
    );
    // The USDC swapped back cost what the first swap gave for them.
    assert!(
        report.contains(
            ",USDC,200,metamask,2025-04-10,2025-05-20,short,I,200 USDC,198.00,200.00,,,-2.00\n"
        ),
        "{report}"
    );

    let (scan, err) = ok(
        d,
        &[
            "scan",
            "ledger.csv",
            "--prices",
            "prices-2025-12-31.csv",
            "--as-of",
            "2025-12-31",
            "--format",
            "csv",
        ],
    );
    golden("evm-scan-2025-12-31.csv", &scan);
    golden("evm-scan-2025-12-31.stderr", &err);

    // Nothing of the person's own moves is outside: only the gift to a
    // friend is in `external`.
    let (lots, _) = ok(
        d,
        &[
            "lots",
            "ledger.csv",
            "--as-of",
            "2025-12-31",
            "--prices",
            "prices-2025-12-31.csv",
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
    assert!(lots.contains("USDC,metamask,"), "{lots}");
}

/// The rows of a transaction are one event whatever the order of the files.
#[test]
fn the_order_of_the_downloads_does_not_matter() {
    let dir = workdir();
    let d = dir.path();
    let (first, _) = import(d, &all_files());
    let mut reversed = all_files();
    reversed.reverse();
    let (second, _) = import(d, &reversed);
    assert_eq!(first, second);
    // Imported one by one, each download's rows are its own events: the
    // swaps are no longer trades (why the downloads go together).
    let (alone, _) = import(d, &[DOWNLOADS[2]]);
    assert!(!alone.contains(",trade,"), "{alone}");
    // Given to `lots` directly, the downloads are read together as import
    // reads them: the same lots as from the ledger import writes.
    let lots = |inputs: &[&str]| {
        let mut args = vec!["lots"];
        args.extend(inputs);
        args.extend([
            "--as-of",
            "2025-12-31",
            "--missing-basis",
            "zero",
            "--format",
            "csv",
        ]);
        ok(d, &args).0
    };
    let direct = lots(&DOWNLOADS);
    import(d, &DOWNLOADS);
    assert_eq!(direct, lots(&["ledger.csv"]));
    assert!(direct.contains("USDC,metamask,"), "{direct}");
}

/// `[assets] keep` keeps the airdrop (written under its own asset name, never
/// as USDC); `[assets] spam` leaves a token out by contract or name.
#[test]
fn assets_keep_and_spam_decide_what_is_left_out() {
    let dir = workdir();
    let d = dir.path();
    let toml = std::fs::read_to_string(d.join("harvest.toml")).unwrap();
    std::fs::write(
        d.join("harvest.toml"),
        format!("{toml}\n[assets]\nkeep = [\"0x7A6B5C4D3E2F1A0B9C8D7E6F5A4B3C2D1E0F9A8B\"]\n"),
    )
    .unwrap();
    let (ledger, _) = import(d, &DOWNLOADS);
    assert!(
        ledger.contains(",metamask,deposit,,,5000,USDC-7a6b5c,,,,,"),
        "{ledger}"
    );
    std::fs::write(
        d.join("harvest.toml"),
        format!("{toml}\n[assets]\nspam = [\"usdc\"]\n"),
    )
    .unwrap();
    let (ledger, err) = import(d, &DOWNLOADS);
    assert!(
        err.contains("token USDC \"USDC\" (ethereum contract 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48) is listed in [assets] spam: left out"),
        "{err}"
    );
    assert!(!ledger.contains("USDC"), "{ledger}");
    // One token in both lists is a mistake named before anything is read.
    std::fs::write(
        d.join("harvest.toml"),
        format!("{toml}\n[assets]\nspam = [\"PEPE-698250\"]\nkeep = [\"pepe-698250\"]\n"),
    )
    .unwrap();
    let o = run(d, &["import", DOWNLOADS[0]]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("both as spam and to keep"));
}

/// Without harvest.toml the address's account is `ethereum:<address>`, and
/// `--chain` names the chain of an `(ETH)` download (Arbitrum's here).
#[test]
fn the_account_and_chain_without_settings() {
    let dir = workdir();
    let d = dir.path();
    std::fs::remove_file(d.join("harvest.toml")).unwrap();
    let (ledger, _) = import(d, &DOWNLOADS);
    assert!(
        ledger.contains(",ethereum:0x52908400098527886e0f7030069857d2e4169ee7,trade,"),
        "{ledger}"
    );
    let mut args = vec!["import", "--chain", "arbitrum"];
    args.extend(DOWNLOADS);
    let (out, _) = ok(d, &args);
    // On Arbitrum the mainnet USDC contract is not USDC.
    assert!(
        out.contains(",arbitrum:0x52908400098527886e0f7030069857d2e4169ee7,"),
        "{out}"
    );
    let o = run(d, &["import", "--chain", "solana", DOWNLOADS[0]]);
    assert_eq!(o.status.code(), Some(2));
    // The internal download alone has one row, of two addresses: which one
    // was downloaded is for the user to say.
    let o = run(d, &["import", DOWNLOADS[1]]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("metamask-etherscan-internal.csv:1: this download could be the download of 0x3fc91a3afd70395cd496c647d5a6cc9d4b2b7fad or 0x52908400098527886e0f7030069857d2e4169ee7"), "{err}");
    let mm = "0x52908400098527886E0F7030069857D2E4169EE7";
    let (out, _) = ok(d, &["import", "--address", mm, DOWNLOADS[1]]);
    assert!(
        out.contains(",ethereum:0x52908400098527886e0f7030069857d2e4169ee7,deposit,,,0.08,ETH,"),
        "{out}"
    );
    let o = run(
        d,
        &[
            "import",
            "--address",
            mm,
            DOWNLOADS[1],
            "cold-ledger-live.csv",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let other = "0xa1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
    let o = run(d, &["import", "--address", other, DOWNLOADS[1]]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a download of 0xa1b2"));
    let o = run(d, &["import", "--address", "0x123", DOWNLOADS[1]]);
    assert_eq!(o.status.code(), Some(2));
}
