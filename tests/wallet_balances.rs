//! The running balance of wallet exports (Electrum 1.x, Sparrow, Exodus)
//! compared with the ledger's by `harvest balances`: an export whose balances
//! all agree, and the same export with one row removed, where the comparison
//! names the line where the chain breaks. The exports are in
//! fixtures/wallet-balances; their deposits have no basis (`--missing-basis
//! zero`) and prices.csv values the network fees the exports do not.

mod common;
use common::ok;
use serde_json::Value;

const PRICES: &str = "fixtures/wallet-balances/prices.csv";

/// `exchange_balances` of `harvest balances FILE --year YEAR --format json`.
fn compared(file: &str, year: &str) -> Value {
    let out = ok(&[
        "balances",
        file,
        "--year",
        year,
        "--format",
        "json",
        "--missing-basis",
        "zero",
        "--prices",
        PRICES,
    ]);
    let j: Value = serde_json::from_str(&out).unwrap();
    j["exchange_balances"].clone()
}

/// The only divergence `x` lists.
fn one_divergence(x: &Value) -> &Value {
    let d = x["divergences"].as_array().unwrap();
    assert_eq!(d.len(), 1, "{x}");
    &d[0]
}

/// Electrum 1.x: 0.5 BTC in (balance 0.5), a send of -0.1002 with a 0.0002
/// fee (0.3998), 0.25 in (0.6498), -0.0101 with a 0.0001 fee (0.6397), and a
/// pending receive, which is skipped and states nothing: four balances, each
/// the ledger's. Without the send (line 3 removed), the ledger holds
/// 0.5 + 0.25 = 0.75 where the export says 0.6498 (line 3 of the shorter
/// file): a difference of 0.1002, the send's value, after agreeing at line 2;
/// line 4 keeps the same difference (0.7399 against 0.6397), so it is not
/// listed again.
#[test]
fn a_dropped_electrum_row_is_found_by_the_wallets_running_balance() {
    let x = compared("fixtures/wallet-balances/electrum-v1.csv", "2024");
    assert_eq!(x["compared"], 4, "{x}");
    assert_eq!(x["divergences"].as_array().unwrap().len(), 0, "{x}");
    const MISSING: &str = "fixtures/wallet-balances/electrum-v1-missing-row.csv";
    let x = compared(MISSING, "2024");
    assert_eq!(x["compared"], 3, "{x}");
    let d = one_divergence(&x);
    assert_eq!(d["file"], MISSING);
    assert_eq!(d["line"], 3);
    assert_eq!(d["time"], "2024-04-01T09:30:00Z");
    assert_eq!(d["account"], "electrum");
    assert_eq!(d["asset"], "BTC");
    assert_eq!(d["reported"], "0.6498");
    assert_eq!(d["ledger"], "0.75");
    assert_eq!(d["difference"], "0.1002");
    assert_eq!(d["agreed_at"]["file"], MISSING);
    assert_eq!(d["agreed_at"]["line"], 2);
}

/// Sparrow (BTC with 8 decimals): 0.02 in (balance 0.02); in one block, a
/// send of -0.005012 with a 0.000012 fee (0.014988) then 0.001 in
/// (0.015988); a fee-only consolidation of 0.000008 (0.01598); 0.003 in
/// (0.01898); an unconfirmed receive, which states nothing. The two rows of
/// one block are one instant: four balances compared, each the ledger's.
/// Without the send (line 3 removed), the ledger holds 0.02 + 0.001 = 0.021
/// where the export says 0.015988 (line 3 of the shorter file): a difference
/// of 0.005012 after agreeing at line 2, unchanged at the later lines.
#[test]
fn a_dropped_sparrow_row_is_found_by_the_wallets_running_balance() {
    let x = compared("fixtures/wallet-balances/sparrow.csv", "2025");
    assert_eq!(x["compared"], 4, "{x}");
    assert_eq!(x["divergences"].as_array().unwrap().len(), 0, "{x}");
    const MISSING: &str = "fixtures/wallet-balances/sparrow-missing-row.csv";
    let x = compared(MISSING, "2025");
    assert_eq!(x["compared"], 4, "{x}");
    let d = one_divergence(&x);
    assert_eq!(d["file"], MISSING);
    assert_eq!(d["line"], 3);
    assert_eq!(d["time"], "2025-02-03T17:20:45Z");
    assert_eq!(d["account"], "sparrow");
    assert_eq!(d["asset"], "BTC");
    assert_eq!(d["reported"], "0.015988");
    assert_eq!(d["ledger"], "0.021");
    assert_eq!(d["difference"], "0.005012");
    assert_eq!(d["agreed_at"]["line"], 2);
}

/// Exodus (newest row first), portfolio exodus_0: 0.1 BTC in (balance 0.1),
/// 2 ETH in (2), 0.1 BTC in (0.2), a send of 0.05 BTC with a 0.00003 fee on
/// top (0.14997): four balances of two coins, each the ledger's. Without the
/// second BTC deposit (line 3 removed), the send's row (line 2) says 0.14997
/// where the ledger holds 0.1 - 0.05003 = 0.04997: a difference of -0.1
/// after agreeing at line 4, the first deposit; ETH still agrees.
#[test]
fn a_dropped_exodus_row_is_found_by_the_portfolios_balance() {
    let x = compared("fixtures/wallet-balances/exodus.csv", "2024");
    assert_eq!(x["compared"], 4, "{x}");
    assert_eq!(x["divergences"].as_array().unwrap().len(), 0, "{x}");
    const MISSING: &str = "fixtures/wallet-balances/exodus-missing-row.csv";
    let x = compared(MISSING, "2024");
    assert_eq!(x["compared"], 3, "{x}");
    let d = one_divergence(&x);
    assert_eq!(d["file"], MISSING);
    assert_eq!(d["line"], 2);
    assert_eq!(d["account"], "Exodus: exodus_0");
    assert_eq!(d["asset"], "BTC");
    assert_eq!(d["reported"], "0.14997");
    assert_eq!(d["ledger"], "0.04997");
    assert_eq!(d["difference"], "-0.1");
    assert_eq!(d["agreed_at"]["line"], 4);
}
