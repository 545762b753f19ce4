//! Unit tests of each engine rule on small ledgers written inline.

use chrono::Datelike;
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::*;
use crate::ledger::LedgerBuilder;
use crate::tax::{BoxRules, GainRow, Term, build_rows};

const END: Option<chrono::DateTime<chrono::Utc>> = Some(chrono::DateTime::<chrono::Utc>::MAX_UTC);

const H: &str = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n";

fn ledger(rows: &str) -> Ledger {
    ledger_tz(rows, Tz::UTC)
}

fn ledger_tz(rows: &str, tz: Tz) -> Ledger {
    let mut b = LedgerBuilder::new(tz);
    b.read_csv(format!("{H}{rows}").as_bytes(), "t.csv")
        .unwrap();
    b.finish().unwrap()
}

/// The method as given, for 2025 dates too: these tests are of each method's
/// order (identification in time has its own tests).
fn cfg(method: Method) -> Config {
    Config {
        method,
        late_identification: true,
        ..Config::default()
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// (disposal id, lot id, qty, proceeds, basis, term) per 8949 row.
fn rows_of(l: &Ledger, o: &Outcome) -> Vec<(String, String, String, String, String, Term)> {
    build_rows(l, o, &BoxRules::default())
        .iter()
        .map(|r: &GainRow| {
            let d = &o.disposals[r.disposal as usize];
            (
                l.rows[d.row as usize].id.to_string(),
                l.rows[o.lots[r.lot as usize].row as usize].id.to_string(),
                r.quantity.normalize().to_string(),
                crate::cell::money(r.proceeds),
                crate::cell::money(r.cost_basis),
                r.term,
            )
        })
        .collect()
}

fn gains(rows: &str, c: &Config) -> Vec<(String, String, String, String, String, Term)> {
    let l = ledger(rows);
    let o = run(&l, c, None, None, END).unwrap();
    rows_of(&l, &o)
}

fn row(
    d: &str,
    l: &str,
    q: &str,
    p: &str,
    b: &str,
    t: Term,
) -> (String, String, String, String, String, Term) {
    (d.into(), l.into(), q.into(), p.into(), b.into(), t)
}

const THREE_LOTS: &str = "\
a,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
b,2025-02-01T00:00:00Z,cb,buy,300,USD,1,BTC,,,,,,
c,2025-03-01T00:00:00Z,cb,buy,200,USD,1,BTC,,,,,,
s,2025-04-01T00:00:00Z,cb,sell,1.5,BTC,600,USD,,,,,,
";

/// Issue 14 item 5. From 2025 a disposal's lots are the ones a standing order
/// or a specific identification recorded by the sale names, else FIFO within
/// the wallet (Treas. Reg. 1.1012-1(j), RULES.md §7.1): by default LIFO and
/// HIFO do not pick the lots of a 2025 sale nothing identified, and a warning
/// says so; before 2025 the method applies as given.
#[test]
fn from_2025_unidentified_disposals_are_fifo_by_default() {
    let s = Term::Short;
    for m in [Method::Lifo, Method::Hifo] {
        let c = Config {
            method: m,
            ..Config::default()
        };
        let l = ledger(THREE_LOTS);
        let o = run(&l, &c, None, None, END).unwrap();
        assert_eq!(
            rows_of(&l, &o),
            vec![
                row("s", "a", "1", "400.00", "100.00", s),
                row("s", "b", "0.5", "200.00", "150.00", s)
            ],
            "{m:?}"
        );
        assert_eq!(o.warnings.count("taken FIFO: not identified in time"), 1);
        assert_eq!(o.late_identified, 0);
        // --late-identification: the method picks, counted as a what-if.
        let late = run(&l, &cfg(m), None, None, END).unwrap();
        assert_eq!(late.late_identified, 1);
        assert_ne!(rows_of(&l, &late), rows_of(&l, &o));
    }
    // Before 2025 the method applies as given, without a warning.
    let old = THREE_LOTS.replace("2025-", "2024-");
    let l = ledger(&old);
    let o = run(
        &l,
        &Config {
            method: Method::Lifo,
            ..Config::default()
        },
        None,
        None,
        END,
    )
    .unwrap();
    assert_eq!(rows_of(&l, &o)[0].1, "c");
    assert!(o.warnings.is_empty());
}

#[test]
fn fifo_lifo_hifo_pick_their_lots() {
    let s = Term::Short;
    assert_eq!(
        gains(THREE_LOTS, &cfg(Method::Fifo)),
        vec![
            row("s", "a", "1", "400.00", "100.00", s),
            row("s", "b", "0.5", "200.00", "150.00", s)
        ]
    );
    assert_eq!(
        gains(THREE_LOTS, &cfg(Method::Lifo)),
        vec![
            row("s", "c", "1", "400.00", "200.00", s),
            row("s", "b", "0.5", "200.00", "150.00", s)
        ]
    );
    assert_eq!(
        gains(THREE_LOTS, &cfg(Method::Hifo)),
        vec![
            row("s", "b", "1", "400.00", "300.00", s),
            row("s", "c", "0.5", "200.00", "100.00", s)
        ]
    );
}

#[test]
fn ties_break_by_time_then_lot_id_as_a_string() {
    let rows = "\
z,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
a10,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
a9,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
s,2025-04-01T00:00:00Z,cb,sell,1,BTC,100,USD,,,,,,
";
    for m in [Method::Fifo, Method::Lifo, Method::Hifo] {
        assert_eq!(gains(rows, &cfg(m))[0].1, "a10", "{m:?}");
    }
}

/// Ids alike in their first 16 bytes still tie-break by the whole id: the
/// lot `exchange-trade-00018` (listed second) goes first.
#[test]
fn ties_break_by_the_whole_id_past_16_bytes() {
    let rows = "\
exchange-trade-00019,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
exchange-trade-00018,2025-01-01T00:00:00Z,cb,buy,200,USD,1,BTC,,,,,,
s,2025-04-01T00:00:00Z,cb,sell,1,BTC,300,USD,,,,,,
";
    for m in [Method::Fifo, Method::Lifo] {
        assert_eq!(
            gains(rows, &cfg(m)),
            vec![row(
                "s",
                "exchange-trade-00018",
                "1",
                "300.00",
                "200.00",
                Term::Short
            )],
            "{m:?}"
        );
    }
}

#[test]
fn an_acquisition_after_a_disposal_at_the_same_instant_is_not_available() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
s,2025-04-01T00:00:00Z,cb,sell,1,BTC,100,USD,,,,,,
b,2025-04-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
";
    assert_eq!(gains(rows, &cfg(Method::Lifo))[0].1, "a");
}

#[test]
fn usd_fee_adds_to_basis_and_reduces_proceeds() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,3000,USD,0.1,BTC,15,USD,,,,
s,2025-02-01T00:00:00Z,cb,sell,0.1,BTC,4000,USD,20,USD,,,,
";
    assert_eq!(
        gains(rows, &cfg(Method::Fifo)),
        vec![row("s", "a", "0.1", "3980.00", "3015.00", Term::Short)]
    );
}

#[test]
fn fee_in_the_disposed_asset_is_disposed_too_at_the_same_proceeds() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,100,USD,2,ETH,,,,,,
s,2025-02-01T00:00:00Z,cb,sell,1,ETH,300,USD,0.1,ETH,,,,
t,2025-03-01T00:00:00Z,cb,sell,0.9,ETH,100,USD,,,,,,
";
    assert_eq!(
        gains(rows, &cfg(Method::Fifo)),
        vec![
            row("s", "a", "1.1", "300.00", "55.00", Term::Short),
            row("t", "a", "0.9", "100.00", "45.00", Term::Short),
        ]
    );
}

#[test]
fn fee_withheld_from_a_buy_leaves_the_net_units_at_full_cost() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,10,USD,1,B,0.1,B,,1,,
s,2025-02-01T00:00:00Z,cb,sell,0.9,B,18,USD,,,,,,
";
    assert_eq!(
        gains(rows, &cfg(Method::Fifo)),
        vec![row("s", "a", "0.9", "18.00", "10.00", Term::Short)]
    );
}

#[test]
fn fee_withheld_from_a_trade_reduces_proceeds_and_the_new_lot_is_the_kept_value() {
    // 1 BTC (basis 100) for 10 ETH worth 1,000; 1 ETH withheld as the fee.
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
t,2025-02-01T00:00:00Z,cb,trade,1,BTC,10,ETH,1,ETH,1000,,,
s,2025-03-01T00:00:00Z,cb,sell,9,ETH,900,USD,,,,,,
";
    assert_eq!(
        gains(rows, &cfg(Method::Fifo)),
        vec![
            row("t", "a", "1", "900.00", "100.00", Term::Short),
            row("s", "t", "9", "900.00", "900.00", Term::Short),
        ]
    );
}

#[test]
fn fee_in_a_third_asset_is_its_own_disposal_and_then_a_usd_fee() {
    let rows = "\
a,2025-01-01T00:00:00Z,bn,buy,100,USD,1,BTC,,,,,,
f,2025-01-01T00:00:00Z,bn,buy,10,USD,10,BNB,,,,,,
t,2025-02-01T00:00:00Z,bn,trade,1,BTC,10,ETH,0.5,BNB,1000,7,,
b,2025-03-01T00:00:00Z,bn,buy,500,USD,1,SOL,0.1,BNB,,2,,
";
    assert_eq!(
        gains(rows, &cfg(Method::Fifo)),
        vec![
            row("t", "f", "0.5", "7.00", "0.50", Term::Short),
            row("t", "a", "1", "993.00", "100.00", Term::Short),
            row("b", "f", "0.1", "2.00", "0.10", Term::Short),
        ]
    );
    // The buy's lot carries the BNB fee's value in its basis.
    let l = ledger(rows);
    let o = run(&l, &cfg(Method::Fifo), None, None, END).unwrap();
    let sol = o
        .lots
        .iter()
        .find(|x| l.syms.name(x.asset) == "SOL")
        .unwrap();
    assert_eq!(sol.basis, dec("502"));
}

#[test]
fn trade_fee_in_usd_goes_to_the_disposal_not_the_new_lot() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
t,2025-02-01T00:00:00Z,cb,trade,1,BTC,10,ETH,5,USD,1000,,,
";
    let l = ledger(rows);
    let o = run(&l, &cfg(Method::Fifo), None, None, END).unwrap();
    assert_eq!(o.disposals[0].proceeds, dec("995"));
    assert_eq!(o.lots[1].basis, dec("1000"));
}

#[test]
fn income_spend_and_fee_rows() {
    let rows = "\
i,2025-01-01T00:00:00Z,cb,income,,,2,ETH,,,200,,,staking
p,2025-02-01T00:00:00Z,cb,spend,0.5,ETH,,,,,150,,,coffee
f,2025-03-01T00:00:00Z,cb,fee,,,,,0.1,ETH,,40,,gas
";
    assert_eq!(
        gains(rows, &cfg(Method::Fifo)),
        vec![
            row("p", "i", "0.5", "150.00", "50.00", Term::Short),
            row("f", "i", "0.1", "40.00", "10.00", Term::Short),
        ]
    );
}

#[test]
fn a_transfer_moves_lots_with_dates_and_basis_and_disposes_the_network_fee() {
    let rows = "\
a,2024-01-01T00:00:00Z,cb,buy,1000,USD,1,BTC,,,,,,
w,2025-03-01T00:00:00Z,cb,withdrawal,1,BTC,,,,,2000,,0xabc,
d,2025-03-01T01:00:00Z,nano,deposit,,,0.99,BTC,,,,,0xabc,
s,2025-04-01T00:00:00Z,nano,sell,0.99,BTC,3000,USD,,,,,,
";
    assert_eq!(
        gains(rows, &cfg(Method::Fifo)),
        vec![
            row("w", "a", "0.01", "20.00", "10.00", Term::Long),
            row("s", "a", "0.99", "3000.00", "990.00", Term::Long),
        ]
    );
}

#[test]
fn pairing_without_txid_within_48_hours() {
    let rows = "\
a,2024-01-01T00:00:00Z,cb,buy,1000,USD,1,BTC,,,,,,
w,2025-03-01T00:00:00Z,cb,withdrawal,1,BTC,,,,,,,,
d,2025-03-02T23:00:00Z,nano,deposit,,,1,BTC,,,,,,
s,2025-04-01T00:00:00Z,nano,sell,1,BTC,3000,USD,,,,,,
";
    assert_eq!(gains(rows, &cfg(Method::Fifo)).len(), 1);
    // Beyond 48 hours the deposit draws back from `external`: same lot, same result.
    let late = rows.replace("2025-03-02T23:00:00Z", "2025-03-04T00:00:00Z");
    assert_eq!(
        gains(&late, &cfg(Method::Fifo)),
        gains(rows, &cfg(Method::Fifo))
    );
}

#[test]
fn deposits_of_unknown_basis_error_or_get_zero_basis() {
    let rows = "\
d,2025-03-01T00:00:00Z,nano,deposit,,,1,BTC,,,,,,
s,2025-04-01T00:00:00Z,nano,sell,1,BTC,3000,USD,,,,,,
";
    let l = ledger(rows);
    let err = run(&l, &cfg(Method::Fifo), None, None, END).unwrap_err();
    assert!(matches!(*err, EngineError::UnknownBasis { .. }), "{err}");
    let c = Config {
        missing_basis: MissingBasis::Zero,
        ..Config::default()
    };
    let o = run(&l, &c, None, None, END).unwrap();
    assert_eq!(
        rows_of(&l, &o),
        vec![row("s", "d", "1", "3000.00", "0.00", Term::Short)]
    );
    assert_eq!(o.warnings.count("deposit of unknown basis"), 1);
}

#[test]
fn oversold_errors_or_gets_a_zero_basis_lot_named_for_the_disposal() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
s,2025-04-01T00:00:00Z,cb,sell,1.5,BTC,600,USD,,,,,,
";
    let l = ledger(rows);
    let err = run(&l, &cfg(Method::Fifo), None, None, END)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t.csv:3 (id s): sell of 1.5 BTC from account cb, which holds only 1 BTC"),
        "{err}"
    );
    let c = Config {
        missing_basis: MissingBasis::Zero,
        ..Config::default()
    };
    let o = run(&l, &c, None, None, END).unwrap();
    assert_eq!(
        rows_of(&l, &o),
        vec![
            row("s", "a", "1", "400.00", "100.00", Term::Short),
            row("s", "s", "0.5", "200.00", "0.00", Term::Short),
        ]
    );
}

#[test]
fn wallet_scope_keeps_accounts_apart_and_universal_pools_them() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
b,2025-02-01T00:00:00Z,kr,buy,200,USD,1,BTC,,,,,,
s,2025-04-01T00:00:00Z,kr,sell,1,BTC,300,USD,,,,,,
";
    assert_eq!(gains(rows, &cfg(Method::Fifo))[0].1, "b");
    let u = Config {
        scope: Scope::Universal,
        ..Config::default()
    };
    assert_eq!(gains(rows, &u)[0].1, "a");
}

#[test]
fn missing_value_comes_from_prices_or_is_an_error_naming_row_and_asset() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
t,2025-02-01T12:00:00Z,cb,trade,1,BTC,10,ETH,,,,,,
";
    let l = ledger(rows);
    let err = run(&l, &cfg(Method::Fifo), None, None, END)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t.csv:3 (id t): no USD value for ETH"),
        "{err}"
    );
    let mut p = PriceTable::default();
    p.insert("ETH", "2025-02-01T00:00:00Z".parse().unwrap(), dec("150"));
    p.insert("ETH", "2025-02-02T00:00:00Z".parse().unwrap(), dec("999"));
    let o = run(&l, &cfg(Method::Fifo), Some(&p), None, END).unwrap();
    assert_eq!(o.disposals[0].proceeds, dec("1500"));
}

#[test]
fn specific_identification_across_two_lots_and_fifo_fallback() {
    let l = ledger(THREE_LOTS);
    let sel = Selections::read(
        "disposal_id,lot_id,quantity\ns,c,1\ns,a,0.25\n".as_bytes(),
        "sel.csv",
    )
    .unwrap();
    let o = run(&l, &cfg(Method::Specific), None, Some(&sel), END).unwrap();
    let r = rows_of(&l, &o);
    assert_eq!(
        r.iter()
            .map(|x| (x.1.as_str(), x.2.as_str()))
            .collect::<Vec<_>>(),
        vec![("c", "1"), ("a", "0.25"), ("a", "0.25")]
    );
    // The last row is the FIFO fallback for the uncovered 0.25, with a warning.
    assert_eq!(o.warnings.count("disposal not selected, taken FIFO"), 1);
}

#[test]
fn selection_errors() {
    let l = ledger(THREE_LOTS);
    let run_sel = |text: &str| {
        let sel = Selections::read(text.as_bytes(), "sel.csv").unwrap();
        run(&l, &cfg(Method::Specific), None, Some(&sel), END).unwrap_err()
    };
    assert!(matches!(
        *run_sel("disposal_id,lot_id,quantity\ns,nope,1\n"),
        EngineError::SelectionLotNotHeld { .. }
    ));
    assert!(matches!(
        *run_sel("disposal_id,lot_id,quantity\ns,a,1.2\n"),
        EngineError::SelectionTooMuch { .. }
    ));
    assert!(matches!(
        *run_sel("disposal_id,lot_id,quantity\nzz,a,1\n"),
        EngineError::SelectionUnused { .. }
    ));
}

#[test]
fn a_lot_sold_in_three_parts_adds_up_to_its_rounded_basis() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,100,USD,3,BTC,,,,,,
s1,2025-02-01T00:00:00Z,cb,sell,1,BTC,10,USD,,,,,,
s2,2025-03-01T00:00:00Z,cb,sell,1,BTC,10,USD,,,,,,
s3,2026-03-01T00:00:00Z,cb,sell,1,BTC,10,USD,,,,,,
";
    let r = gains(rows, &cfg(Method::Fifo));
    let bases: Vec<&str> = r.iter().map(|x| x.4.as_str()).collect();
    assert_eq!(bases, vec!["33.33", "33.34", "33.33"]);
}

#[test]
fn a_disposal_split_over_lots_adds_up_to_its_rounded_proceeds() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,1,USD,1,X,,,,,,
b,2025-01-02T00:00:00Z,cb,buy,1,USD,1,X,,,,,,
c,2025-01-03T00:00:00Z,cb,buy,1,USD,1,X,,,,,,
s,2025-02-01T00:00:00Z,cb,sell,3,X,100,USD,,,,,,
";
    let r = gains(rows, &cfg(Method::Fifo));
    let p: Vec<&str> = r.iter().map(|x| x.3.as_str()).collect();
    assert_eq!(p, vec!["33.33", "33.34", "33.33"]);
}

#[test]
fn holding_period_uses_the_tax_time_zone() {
    // Bought Dec 31, 2024 in New York (05:00Z Jan 1 is still... no: 04:59Z is Dec 31).
    let rows = "\
a,2025-01-01T04:59:00Z,cb,buy,100,USD,1,BTC,,,,,,
s,2026-01-01T04:59:00Z,cb,sell,1,BTC,300,USD,,,,,,
";
    let ny: Tz = "America/New_York".parse().unwrap();
    let l = ledger_tz(rows, ny);
    let o = run(
        &l,
        &Config {
            tz: ny,
            ..Config::default()
        },
        None,
        None,
        None,
    )
    .unwrap();
    // In New York: acquired 2024-12-31, sold 2025-12-31: the anniversary, short-term, tax year 2025.
    let d = &o.disposals[0];
    assert_eq!(d.date.year(), 2025);
    assert_eq!(rows_of(&l, &o)[0].5, Term::Short);
    // In UTC: acquired 2025-01-01, sold 2026-01-01, also the anniversary, but tax year 2026.
    let l = ledger(rows);
    let o = run(&l, &Config::default(), None, None, END).unwrap();
    assert_eq!(o.disposals[0].date.year(), 2026);
}

#[test]
fn lots_snapshot_before_the_as_of_instant() {
    let l = ledger(THREE_LOTS);
    let cut = "2025-02-15T00:00:00Z".parse().unwrap();
    let o = run(&l, &cfg(Method::Fifo), None, None, Some(cut)).unwrap();
    assert_eq!(o.holdings.len(), 2);
    let o = run(&l, &cfg(Method::Fifo), None, None, END).unwrap();
    assert_eq!(o.holdings.len(), 2);
    assert_eq!(
        o.holdings.iter().map(|h| h.qty).sum::<Decimal>(),
        dec("1.5")
    );
}

#[test]
fn a_fee_valued_from_an_earlier_row_warns() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
w,2025-03-01T00:00:00Z,cb,withdrawal,1,BTC,,,,,,,0xabc,
d,2025-03-01T01:00:00Z,nano,deposit,,,0.9,BTC,,,,,0xabc,
";
    let l = ledger(rows);
    let o = run(&l, &cfg(Method::Fifo), None, None, END).unwrap();
    assert_eq!(o.disposals[0].proceeds, dec("10"));
    assert_eq!(o.warnings.count("fee valued at an earlier row's price"), 1);
}

fn wash(days: u32) -> Config {
    Config {
        wash_window: days,
        ..Config::default()
    }
}

/// RULES.md §9.3 worked example (P550 / Reg. §1.1091-1 Example 2).
#[test]
fn wash_sale_worked_example_with_partial_replacement() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,5000,USD,100,X,,,,,,
b,2025-03-10T00:00:00Z,cb,buy,2750,USD,50,X,,,,,,
c,2025-03-15T00:00:00Z,cb,buy,1125,USD,25,X,,,,,,
s,2025-03-20T00:00:00Z,cb,sell,100,X,4000,USD,,,,,,
";
    let l = ledger(rows);
    let o = run(&l, &wash(30), None, None, END).unwrap();
    let r = build_rows(&l, &o, &BoxRules::default());
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].adjustment_code.as_str(), r[0].adjustment),
        ("W", dec("750"))
    );
    assert_eq!(r[0].gain, dec("-250"));
    let basis_of = |id: &str| -> Decimal {
        o.holdings
            .iter()
            .filter(|h| &*l.rows[o.lots[h.lot as usize].row as usize].id == id)
            .map(|h| h.basis)
            .sum()
    };
    assert_eq!(basis_of("b"), dec("3250"));
    assert_eq!(basis_of("c"), dec("1375"));
    // The sold lot's 78 days tack on to the replacements.
    let b = o
        .lots
        .iter()
        .find(|x| &*l.rows[x.row as usize].id == "b" && x.basis == dec("3250"))
        .unwrap();
    assert_eq!(
        b.holding_from,
        chrono::NaiveDate::from_ymd_opt(2024, 12, 22).unwrap()
    );
    // Without the simulated rule the whole loss is allowed.
    let o = run(&l, &Config::default(), None, None, END).unwrap();
    assert_eq!(
        build_rows(&l, &o, &BoxRules::default())[0].gain,
        dec("-1000")
    );
}

/// A replacement used by one sale down to its last units still replaces
/// those for the next; one whose units are in transit at a sale replaces
/// nothing then, but does once they arrive (the window's scan passes over a
/// purchase for good only when it is used up or all gone).
#[test]
fn wash_replacements_used_up_or_in_transit() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,1000,USD,10,X,,,,,,
r,2025-03-01T00:00:00Z,cb,buy,50,USD,1,X,,,,,,
s1,2025-03-05T00:00:00Z,cb,sell,0.999,X,49.95,USD,,,,,,
s2,2025-03-06T00:00:00Z,cb,sell,0.001,X,0.05,USD,,,,,,
";
    // Column (f) and (g) of each row, and the units held after, under a
    // 30-day window.
    let washed = |rows: &str| {
        let l = ledger(rows);
        let o = run(&l, &wash(30), None, None, END).unwrap();
        let codes: Vec<(String, Decimal)> = build_rows(&l, &o, &BoxRules::default())
            .iter()
            .map(|x| (x.adjustment_code.to_string(), x.adjustment))
            .collect();
        (codes, o)
    };
    let (codes, o) = washed(rows);
    assert_eq!(
        codes,
        [("W".into(), dec("49.95")), ("W".into(), dec("0.05"))]
    );
    // Each sale's replacement units come from the purchase's own lot, not
    // from the lot the first sale carved out of it.
    let mut held: Vec<(Decimal, Decimal)> = o
        .holdings
        .iter()
        .map(|h| (h.qty.normalize(), h.basis.normalize()))
        .collect();
    held.sort();
    assert_eq!(
        held,
        [
            (dec("0.001"), dec("0.1")),
            (dec("0.999"), dec("99.9")),
            (dec("9"), dec("900"))
        ]
    );

    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,1000,USD,10,X,,,,,,
r,2025-03-01T00:00:00Z,kr,buy,50,USD,1,X,,,,,,
w,2025-03-02T00:00:00Z,kr,withdrawal,1,X,,,,,,,t1,
s1,2025-03-05T00:00:00Z,cb,sell,1,X,50,USD,,,,,,
d,2025-03-10T00:00:00Z,cb,deposit,,,1,X,,,,,t1,
s2,2025-03-12T00:00:00Z,cb,sell,1,X,40,USD,,,,,,
";
    let (codes, _) = washed(rows);
    assert_eq!(
        codes,
        [(String::new(), Decimal::ZERO), ("W".into(), dec("60"))]
    );
}

#[test]
fn wash_sale_with_a_purchase_after_the_sale() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,1000,USD,10,X,,,,,,
s,2025-03-01T00:00:00Z,cb,sell,10,X,600,USD,,,,,,
b,2025-03-20T00:00:00Z,kr,buy,200,USD,4,X,,,,,,
t,2025-06-01T00:00:00Z,kr,sell,4,X,300,USD,,,,,,
";
    let l = ledger(rows);
    let o = run(&l, &wash(30), None, None, END).unwrap();
    let r = build_rows(&l, &o, &BoxRules::default());
    // 4 of 10 units replaced: 40% of the 400 loss disallowed.
    assert_eq!(
        (r[0].adjustment_code.as_str(), r[0].adjustment, r[0].gain),
        ("W", dec("160"), dec("-240"))
    );
    // The replacement carries 200 + 160 of basis.
    assert_eq!((r[1].cost_basis, r[1].gain), (dec("360"), dec("-60")));
    // A purchase outside the window does nothing.
    let late = rows.replace("2025-03-20", "2025-04-05");
    let l = ledger(&late);
    let o = run(&l, &wash(30), None, None, END).unwrap();
    assert!(
        build_rows(&l, &o, &BoxRules::default())
            .iter()
            .all(|r| r.adjustment_code.is_empty())
    );
}

#[test]
fn units_in_transit_are_delivered_early_when_the_deposit_is_stamped_late() {
    let rows = "\
a,2025-01-01T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,
w,2025-03-01T00:00:00Z,cb,withdrawal,1,BTC,,,,,,,0xabc,
s,2025-03-01T00:30:00Z,nano,sell,0.5,BTC,300,USD,,,,,,
d,2025-03-01T01:00:00Z,nano,deposit,,,1,BTC,,,,,0xabc,
";
    let l = ledger(rows);
    let o = run(&l, &cfg(Method::Fifo), None, None, END).unwrap();
    assert_eq!(
        rows_of(&l, &o),
        vec![row("s", "a", "0.5", "300.00", "50.00", Term::Short)]
    );
    assert_eq!(
        o.warnings
            .count("transfer delivered before its deposit time"),
        1
    );
    assert_eq!(
        o.holdings.iter().map(|h| h.qty).sum::<Decimal>(),
        dec("0.5")
    );
}

fn transition() -> Config {
    Config {
        scope: Scope::Transition,
        transition: Transition {
            named: true,
            ..Transition::default()
        },
        ..Config::default()
    }
}

/// (asset, wallet, lot id, quantity) per allocated part.
fn allocation(l: &Ledger, o: &Outcome) -> Vec<(String, String, String, String)> {
    o.allocation
        .iter()
        .map(|a| {
            (
                l.syms.name(a.asset).to_string(),
                account_name(l, a.account).to_string(),
                l.rows[o.lots[a.lot as usize].row as usize].id.to_string(),
                a.qty.normalize().to_string(),
            )
        })
        .collect()
}

#[test]
fn units_in_transit_at_the_transition_count_for_their_destination() {
    let l = ledger(
        "b1,2024-01-01T00:00:00Z,a,buy,100,USD,1,BTC,,,,,,
b2,2024-06-01T00:00:00Z,a,buy,300,USD,1,BTC,,,,,,
w,2024-12-31T23:00:00Z,a,withdrawal,0.4,BTC,,,,,,,tx1,
d,2025-01-01T02:00:00Z,b,deposit,,,0.4,BTC,,,,,tx1,
s,2025-02-01T00:00:00Z,b,sell,0.4,BTC,200,USD,,,,,,
",
    );
    let o = run(&l, &transition(), None, None, END).unwrap();
    // a holds 1.6 and b 0.4 (in transit) at the cut-off: oldest first to a.
    assert_eq!(
        allocation(&l, &o),
        vec![
            ("BTC".into(), "a".into(), "b1".into(), "1".into()),
            ("BTC".into(), "a".into(), "b2".into(), "0.6".into()),
            ("BTC".into(), "b".into(), "b2".into(), "0.4".into()),
        ]
    );
    assert_eq!(
        rows_of(&l, &o),
        vec![row("s", "b2", "0.4", "200.00", "120.00", Term::Short)]
    );
    assert!(o.warnings.is_empty(), "{}", o.warnings);
}

#[test]
fn a_wallet_that_sold_units_it_never_held_leaves_basis_short() {
    // Universal through 2024 lets b sell a's units; on 2025-01-01 a holds 2 by
    // its own history but only 1 unit of basis is left.
    let l = ledger(
        "b1,2024-01-01T00:00:00Z,a,buy,100,USD,2,BTC,,,,,,
s1,2024-02-01T00:00:00Z,b,sell,1,BTC,80,USD,,,,,,
s2,2025-02-01T00:00:00Z,a,sell,1,BTC,90,USD,,,,,,
",
    );
    let o = run(&l, &transition(), None, None, END).unwrap();
    assert_eq!(
        allocation(&l, &o),
        vec![("BTC".into(), "a".into(), "b1".into(), "1".into())]
    );
    assert_eq!(o.warnings.count("wallet short of unused basis"), 1);
    // Under wallet scope the same history is an error: b never held BTC.
    assert!(run(&l, &Config::default(), None, None, END).is_err());
}

#[test]
fn a_standing_order_covers_only_sales_after_the_instant_it_was_recorded() {
    let rows = "b1,2025-01-01T00:00:00Z,a,buy,100,USD,1,BTC,,,,,,
b2,2025-01-02T00:00:00Z,a,buy,300,USD,1,BTC,,,,,,
s1,2025-03-01T09:00:00Z,a,sell,0.5,BTC,200,USD,,,,,,
s2,2025-03-01T11:00:00Z,a,sell,0.5,BTC,200,USD,,,,,,
";
    let c = Config {
        standing_orders: vec![StandingOrder {
            from: "2025-03-01T10:00:00Z".parse().unwrap(),
            method: Method::Hifo,
            accounts: vec![],
        }],
        ..Config::default()
    };
    let g = gains(rows, &c);
    assert_eq!(g[0].1, "b1", "before the order: FIFO");
    assert_eq!(g[1].1, "b2", "after it: HIFO");
}

#[test]
fn selections_come_before_a_standing_order_which_takes_the_rest() {
    let l = ledger(
        "b1,2025-01-01T00:00:00Z,a,buy,100,USD,1,BTC,,,,,,
b2,2025-01-02T00:00:00Z,a,buy,300,USD,1,BTC,,,,,,
b3,2025-01-03T00:00:00Z,a,buy,200,USD,1,BTC,,,,,,
s1,2025-03-01T09:00:00Z,a,sell,1.5,BTC,600,USD,,,,,,
",
    );
    let sel = Selections::read(
        "disposal_id,lot_id,quantity\ns1,b3,1\n".as_bytes(),
        "sel.csv",
    )
    .unwrap();
    let c = Config {
        method: Method::Specific,
        standing_orders: vec![StandingOrder {
            from: "2025-01-01T00:00:00Z".parse().unwrap(),
            method: Method::Hifo,
            accounts: vec!["a".into()],
        }],
        ..Config::default()
    };
    let o = run(&l, &c, None, Some(&sel), END).unwrap();
    let picked: Vec<String> = rows_of(&l, &o)
        .into_iter()
        .map(|r| format!("{}:{}", r.1, r.2))
        .collect();
    assert_eq!(picked, ["b3:1", "b2:0.5"]);
    assert_eq!(
        o.warnings
            .count("disposal not selected, taken by standing order"),
        1
    );
}

/// A withdrawal paired by its txid is not paired again: a deposit without a
/// txid in the 48 hours after it, which it could otherwise take, pairs with
/// the next withdrawal that fits, and a deposit with another txid with none.
#[test]
fn a_withdrawal_paired_by_txid_is_not_paired_again_in_the_window() {
    let l = ledger(
        "\
a,2024-01-01T00:00:00Z,cb,buy,1000,USD,3,BTC,,,,,,
w1,2025-03-01T00:00:00Z,cb,withdrawal,1,BTC,,,,,,,0xaa,
w2,2025-03-01T00:30:00Z,cb,withdrawal,0.5,BTC,,,,,,,,
d1,2025-03-01T01:00:00Z,nano,deposit,,,1,BTC,,,,,0xaa,
d2,2025-03-01T02:00:00Z,kraken,deposit,,,0.5,BTC,,,,,,
d3,2025-03-01T03:00:00Z,gemini,deposit,,,0.5,BTC,,,,,0xbb,
",
    );
    let p = transfer::pair(&l, &AddressBook::default(), None)
        .unwrap()
        .partner;
    let p: Vec<_> = (1..6).map(|i| p.get(i)).collect();
    assert_eq!(p, [Some(3), Some(4), Some(1), Some(2), None]);
}

/// Withdrawals that share a txid pair with its deposits oldest first, per asset;
/// the pairing reads only the transfer rows the ledger noted while sorting.
#[test]
fn a_repeated_txid_pairs_oldest_first() {
    let l = ledger(
        "\
a,2024-01-01T00:00:00Z,cb,buy,1000,USD,3,BTC,,,,,,
e,2024-01-01T00:00:00Z,cb,buy,1000,USD,3,ETH,,,,,,
w1,2025-03-01T00:00:00Z,cb,withdrawal,1,BTC,,,,,,,0xaa,
w2,2025-03-01T01:00:00Z,cb,withdrawal,1,BTC,,,,,,,0xaa,
we,2025-03-01T01:30:00Z,cb,withdrawal,1,ETH,,,,,,,0xaa,
d1,2025-03-01T02:00:00Z,nano,deposit,,,1,BTC,,,,,0xaa,
de,2025-03-01T02:00:00Z,nano,deposit,,,1,ETH,,,,,0xaa,
d2,2025-03-01T03:00:00Z,nano,deposit,,,1,BTC,,,,,0xaa,
",
    );
    assert_eq!(l.transfers(), [2, 3, 4, 5, 6, 7]);
    let p = transfer::pair(&l, &AddressBook::default(), None)
        .unwrap()
        .partner;
    let p: Vec<_> = (2..8).map(|i| p.get(i)).collect();
    assert_eq!(p, [Some(5), Some(7), Some(6), Some(2), Some(4), Some(3)]);
    // Pairing only ETH leaves the BTC rows alone.
    let mut only = vec![false; l.syms.len()];
    only[l.syms.get("ETH").unwrap().index() as usize] = true;
    let p = transfer::pair(&l, &AddressBook::default(), Some(&only))
        .unwrap()
        .partner;
    let p: Vec<_> = (2..8).map(|i| p.get(i)).collect();
    assert_eq!(p, [None, None, Some(6), None, Some(4), None]);
}

/// Issue 16: money other than USD (EUR, GBP, CAD, ...) is valued at its USD
/// rate of the row's time and never forms lots (no section 988 gain on holding
/// the currency): a buy for 1,000 EUR at 1.10 opens a lot of basis 1,100; a
/// sell for 1,500 EUR at 1.20 has proceeds of 1,800; a EUR fee adds at its
/// rate; without a rate the row stops, naming the currency.
#[test]
fn foreign_money_is_valued_at_its_rate_and_forms_no_lots() {
    let rows = "\
b,2025-01-10T00:00:00Z,kr,buy,1000,EUR,1,BTC,10,EUR,,,,
s,2025-03-10T00:00:00Z,kr,sell,1,BTC,1500,EUR,,,,,,
";
    let l = ledger(rows);
    let mut p = crate::readers::prices::PriceTable::default();
    p.insert("EUR", "2025-01-10T00:00:00Z".parse().unwrap(), dec("1.10"));
    p.insert("EUR", "2025-03-10T00:00:00Z".parse().unwrap(), dec("1.20"));
    let o = run(&l, &cfg(Method::Fifo), Some(&p), None, END).unwrap();
    assert_eq!(
        rows_of(&l, &o),
        vec![row("s", "b", "1", "1800.00", "1111.00", Term::Short)]
    );
    assert!(o.holdings.iter().all(|h| l.syms.name(h.asset) != "EUR"));
    assert!(o.warnings.is_empty());
    let e = run(&l, &cfg(Method::Fifo), None, None, END).unwrap_err();
    assert!(e.to_string().contains("no USD value for EUR"), "{e}");
}

/// Issue 16: a price taken from --prices more than 24 hours before the row
/// values it, with a warning naming the row, the price's time and its age.
#[test]
fn a_stale_price_is_used_with_a_warning() {
    let rows = "\
b,2025-01-10T00:00:00Z,kr,buy,100,USD,1,BTC,,,,,,
t,2025-01-12T12:00:00Z,kr,trade,1,BTC,30,ETH,,,,,,
";
    let l = ledger(rows);
    let mut p = crate::readers::prices::PriceTable::default();
    p.insert("ETH", "2025-01-10T12:00:00Z".parse().unwrap(), dec("5"));
    let o = run(&l, &cfg(Method::Fifo), Some(&p), None, END).unwrap();
    assert_eq!(o.disposals[0].proceeds, dec("150"));
    let w = o.warnings.to_string();
    assert_eq!(
        o.warnings
            .count("price more than 24 hours older than the row"),
        1,
        "{w}"
    );
    assert!(w.contains("t.csv:3 (id t): ETH valued at its price of 2025-01-10T12:00:00Z from prices, 2 days before the row"), "{w}");
    // A day's price does not warn.
    p.insert("ETH", "2025-01-12T00:00:00Z".parse().unwrap(), dec("5"));
    let o = run(&l, &cfg(Method::Fifo), Some(&p), None, END).unwrap();
    assert!(o.warnings.is_empty(), "{}", o.warnings);
}

/// Issue 17: a USD stablecoin side or fee is 1.00 USD, as `import` values it
/// (SPEC: "USDT, USDC, DAI, ... at 1.00"), so a hand-written ledger needs no
/// price for it: 0.01 BTC bought for 600 USDT is a lot of 600; sold for 700
/// USDC with a 0.5 USDT fee (a third asset, 0.50) the proceeds are 699.50;
/// the 0.5 USDT fee is itself a disposal of 0.5 USDT at 0.50 against its
/// 0.50 basis.
#[test]
fn a_usd_stablecoin_is_one_dollar_without_a_price() {
    let rows = "\
u,2025-01-01T00:00:00Z,kr,buy,1000,USD,1000,USDT,,,,,,
b,2025-01-10T00:00:00Z,kr,trade,600,USDT,0.01,BTC,,,,,,
s,2025-03-10T00:00:00Z,kr,trade,0.01,BTC,700,USDC,0.5,USDT,,,,
";
    let l = ledger(rows);
    let o = run(&l, &cfg(Method::Fifo), None, None, END).unwrap();
    let got = rows_of(&l, &o);
    assert!(
        got.contains(&row("b", "u", "600", "600.00", "600.00", Term::Short)),
        "{got:?}"
    );
    assert!(
        got.contains(&row("s", "b", "0.01", "699.50", "600.00", Term::Short)),
        "{got:?}"
    );
    assert!(
        got.contains(&row("s", "u", "0.5", "0.50", "0.50", Term::Short)),
        "{got:?}"
    );
}

/// Issue 19: the user's own addresses (harvest.toml `[accounts.NAME]
/// addresses`). The cold wallet's address, under account `nano`.
const COLD: &str = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";

/// FIFO, with `nano` owning [`COLD`] and `cb` paying a shop.
fn own_cfg() -> Config {
    let mut book = AddressBook::default();
    book.add_own("nano", COLD).unwrap();
    book.add_payment("cb", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")
        .unwrap();
    Config {
        addresses: std::sync::Arc::new(book),
        ..cfg(Method::Fifo)
    }
}

/// A withdrawal from `cb` to the cold address at `w`, of 1 BTC with a fee of
/// 0.001 BTC on top and txid `0xw`, and a deposit of `q` BTC into `nano` at
/// `d` with another txid (each export writes its own form of it), then a
/// sale of it from `nano`.
fn own_move(w: &str, d: &str, q: &str) -> String {
    format!(
        "\
a,2024-01-01T00:00:00Z,cb,buy,1000,USD,1.001,BTC,,,,,,
w,{w},cb,withdrawal,1,BTC,,,0.001,BTC,,2,0xw,Sent 1 BTC to {COLD}
d,{d},nano,deposit,,,{q},BTC,,,,,btc-d,from the exchange
s,2025-06-01T00:00:00Z,nano,sell,{q},BTC,3000,USD,,,,,,
"
    )
}

/// The partners of the withdrawal (row 1) and the deposit (row 2).
fn own_pairs(rows: &str, c: &Config) -> (Option<u32>, Option<u32>) {
    let l = ledger(rows);
    let p = transfer::pair(&l, &c.addresses, None).unwrap().partner;
    (p.get(1), p.get(2))
}

/// Issue 19 item 2: a withdrawal to an own address pairs with that account's
/// deposit up to 7 days later, whatever the txids say, so the sale from the
/// cold wallet has the exchange buy's basis (1000 / 1.001 a unit) and date.
#[test]
fn an_own_address_pairs_across_files_within_7_days() {
    let rows = own_move("2025-03-01T00:00:00Z", "2025-03-06T00:00:00Z", "1");
    assert_eq!(own_pairs(&rows, &own_cfg()), (Some(2), Some(1)));
    // Without the address the two are beyond 48 hours and carry other txids.
    assert_eq!(own_pairs(&rows, &cfg(Method::Fifo)), (None, None));
    let l = ledger(&rows);
    let o = run(&l, &own_cfg(), None, None, END).unwrap();
    assert_eq!(
        rows_of(&l, &o),
        vec![
            row("w", "a", "0.001", "2.00", "1.00", Term::Long),
            row("s", "a", "1", "3000.00", "999.00", Term::Long),
        ]
    );
    assert_eq!(o.own_transfers, [(1, Some(2))]);
    assert!(o.warnings.is_empty(), "{}", o.warnings);
    // At the window's edges: 2 hours before (clock skew), exactly 7 days after.
    for d in ["2025-02-28T22:00:00Z", "2025-03-08T00:00:00Z"] {
        let rows = own_move("2025-03-01T00:00:00Z", d, "1");
        assert_eq!(own_pairs(&rows, &own_cfg()), (Some(2), Some(1)), "{d}");
    }
}

/// Beyond 7 days (or more than 2 hours before) the deposit is not the
/// withdrawal's: the withdrawal's lots go to `external`, with a warning
/// naming the account whose deposit is missing, and the deposit draws them
/// back from there.
#[test]
fn an_own_address_does_not_pair_at_8_days() {
    let late = own_move("2025-03-01T00:00:00Z", "2025-03-09T00:00:00Z", "1");
    let early = own_move("2025-03-01T00:00:00Z", "2025-02-28T21:00:00Z", "1");
    for rows in [&late, &early] {
        assert_eq!(own_pairs(rows, &own_cfg()), (None, None));
    }
    let l = ledger(&late);
    let o = run(&l, &own_cfg(), None, None, END).unwrap();
    let w = o.warnings.to_string();
    assert_eq!(
        o.warnings
            .count("withdrawal to an own address without its deposit"),
        1
    );
    assert!(
        w.contains(&format!(
            "t.csv:3 (id w): withdrawal of 1 BTC to {COLD}, an address of nano in harvest.toml, has no deposit of 0.999 to 1 BTC in nano from 2 hours before to 7 days after it"
        )),
        "{w}"
    );
    assert!(o.own_transfers.is_empty());
}

/// The deposit may be short of the withdrawal by at most its fee in that
/// asset (an export that took the fee from the amount): the units lost on
/// the way are a network fee. Less than that is not this withdrawal's
/// deposit; more is never one.
#[test]
fn an_own_address_pairs_a_deposit_short_by_at_most_the_fee() {
    let (w, d) = ("2025-03-01T00:00:00Z", "2025-03-04T00:00:00Z");
    for (q, paired) in [
        ("1", true),
        ("0.9995", true),
        ("0.999", true),
        ("0.9989", false),
        ("1.0001", false),
    ] {
        let got = own_pairs(&own_move(w, d, q), &own_cfg());
        assert_eq!(got.0.is_some(), paired, "{q}");
    }
    // 0.0005 lost on the way and the 0.001 fee: one network fee of 0.0015,
    // valued at fee_usd (2.00) plus the lost units at the buy's price
    // (1000 / 1.001 a unit: 0.4995), with a warning.
    let l = ledger(&own_move(w, d, "0.9995"));
    let o = run(&l, &own_cfg(), None, None, END).unwrap();
    assert_eq!(
        rows_of(&l, &o)[0],
        row("w", "a", "0.0015", "2.50", "1.50", Term::Long)
    );
    assert_eq!(o.warnings.count("fee valued at an earlier row's price"), 1);
}

/// A send to an address that is not the user's stays unpaired (beyond 48
/// hours: its lots go to `external`, as any withdrawal without a deposit),
/// without an own-address warning; within 48 hours the heuristic pairs it as
/// it always did.
#[test]
fn an_unknown_address_stays_unpaired() {
    let rows = own_move("2025-03-01T00:00:00Z", "2025-03-04T00:00:00Z", "1")
        .replace(COLD, "bc1qsomeoneelsesaddress0000000000000000000");
    assert_eq!(own_pairs(&rows, &own_cfg()), (None, None));
    let o = run(&ledger(&rows), &own_cfg(), None, None, END).unwrap();
    assert!(o.warnings.is_empty() && o.own_transfers.is_empty());
    let soon = own_move("2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z", "1")
        .replace(COLD, "bc1qsomeoneelsesaddress0000000000000000000")
        .replace(",btc-d,", ",,");
    assert_eq!(own_pairs(&soon, &own_cfg()), (Some(2), Some(1)));
}

/// A withdrawal to an own address goes to that address's account: the 48-hour
/// heuristic never pairs it with a deposit elsewhere, and the own pairing
/// passes over deposits in other accounts.
#[test]
fn an_own_address_pairs_only_in_its_account() {
    let rows = own_move("2025-03-01T00:00:00Z", "2025-03-01T10:00:00Z", "1")
        .replace(
            "d,2025-03-01T10:00:00Z,nano",
            "d,2025-03-01T10:00:00Z,kraken",
        )
        .replace(",btc-d,", ",,");
    assert_eq!(own_pairs(&rows, &own_cfg()), (None, None));
    assert_eq!(own_pairs(&rows, &cfg(Method::Fifo)), (Some(2), Some(1)));
}

/// Issue 19: a withdrawal to an address its account pays (`payments`) is a
/// spend once the ledger is marked: a disposal at its value (here from
/// usd_value), the fee in the same asset disposed with it.
#[test]
fn a_payment_address_makes_a_spend() {
    let rows = "\
a,2024-01-01T00:00:00Z,cb,buy,1000,USD,1,BTC,,,,,,
w,2025-03-01T00:00:00Z,cb,withdrawal,0.5,BTC,,,0.001,BTC,1500,,,Sent 0.5 BTC to 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy
";
    let mut l = ledger(rows);
    let c = own_cfg();
    assert_eq!(mark_payments(&mut l, &c.addresses), [1]);
    assert_eq!(l.rows[1].kind, crate::model::Kind::Spend);
    assert!(l.transfers().is_empty());
    let o = run(&l, &c, None, None, END).unwrap();
    assert_eq!(
        rows_of(&l, &o),
        vec![row("w", "a", "0.501", "1500.00", "501.00", Term::Long)]
    );
    // From another account, the same address is no payment of its own.
    let mut l = ledger(&rows.replace(",cb,", ",kraken,"));
    assert!(mark_payments(&mut l, &c.addresses).is_empty());
}

/// A withdrawal to an address of its own account is a self-transfer: with no
/// deposit to pair, its units never left (only the fee is disposed of); with
/// one in the window, the two pair and the lots come back with their dates.
#[test]
fn a_self_transfer_keeps_the_units() {
    let rows = format!(
        "\
a,2024-01-01T00:00:00Z,nano,buy,1000,USD,1.001,BTC,,,,,,
w,2025-03-01T00:00:00Z,nano,withdrawal,1,BTC,,,0.001,BTC,,2,,consolidate to {COLD}
s,2025-06-01T00:00:00Z,nano,sell,1,BTC,3000,USD,,,,,,
"
    );
    let l = ledger(&rows);
    let o = run(&l, &own_cfg(), None, None, END).unwrap();
    assert_eq!(
        rows_of(&l, &o),
        vec![
            row("w", "a", "0.001", "2.00", "1.00", Term::Long),
            row("s", "a", "1", "3000.00", "999.00", Term::Long),
        ]
    );
    assert_eq!(o.own_transfers, [(1, None)]);
    assert!(o.warnings.is_empty(), "{}", o.warnings);
    let with_deposit = rows.replace(
        "s,2025-06-01",
        "d,2025-03-01T00:10:00Z,nano,deposit,,,1,BTC,,,,,,\ns,2025-06-01",
    );
    let l = ledger(&with_deposit);
    let o = run(&l, &own_cfg(), None, None, END).unwrap();
    assert_eq!(o.own_transfers, [(1, Some(2))]);
    assert_eq!(
        rows_of(&l, &o)[1],
        row("s", "a", "1", "3000.00", "999.00", Term::Long)
    );
}

/// The pairs, and so the outcome, are the same on two threads as on one: each
/// shard pairs the own transfers of its assets.
#[test]
fn own_addresses_pair_alike_on_two_threads() {
    let eth = "0x52908400098527886E0F7030069857D2E4169EE7";
    let mut rows = own_move("2025-03-01T00:00:00Z", "2025-03-05T00:00:00Z", "1");
    rows += &format!(
        "\
e,2024-01-01T00:00:00Z,cb,buy,3000,USD,2,ETH,,,,,,
we,2025-03-02T00:00:00Z,cb,withdrawal,2,ETH,,,,,,,,to {}
de,2025-03-07T00:00:00Z,mm,deposit,,,2,ETH,,,,,,
se,2025-06-02T00:00:00Z,mm,sell,2,ETH,5000,USD,,,,,,
",
        eth.to_lowercase()
    );
    let mut c = own_cfg();
    let mut book = (*c.addresses).clone();
    book.add_own("mm", eth).unwrap();
    c.addresses = std::sync::Arc::new(book);
    let l = ledger(&rows);
    let serial = run(
        &l,
        &Config {
            parallel: Parallel::Off,
            ..c.clone()
        },
        None,
        None,
        END,
    )
    .unwrap();
    let sharded = run(
        &l,
        &Config {
            parallel: Parallel::Always,
            ..c
        },
        None,
        None,
        END,
    )
    .unwrap();
    assert_eq!(rows_of(&l, &serial), rows_of(&l, &sharded));
    assert_eq!(serial.own_transfers, sharded.own_transfers);
    assert_eq!(serial.own_transfers.len(), 2);
    assert_eq!(serial.warnings.to_string(), sharded.warnings.to_string());
}

/// The engine keeps a lot per acquisition and a disposal per sale of the whole
/// history: their size is the memory a 10M-row ledger needs (issue 18).
#[test]
fn lots_and_disposals_stay_small() {
    assert!(std::mem::size_of::<super::Lot>() <= 68);
    assert!(std::mem::size_of::<super::Disposal>() <= 56);
    assert!(std::mem::size_of::<super::Leg>() <= 36);
}

// Issue 20 item 2: `[assets] same` and `migrations` make a trade between
// linked assets a conversion that moves lots.

/// The engine settings with `[assets] same` groups and migrations.
fn linked(same: &[&[&str]], migrations: &[(&str, &str)]) -> Config {
    Config {
        assets: std::sync::Arc::new(AssetLinks::new(
            same.iter()
                .map(|g| g.iter().map(|s| s.to_string()).collect())
                .collect(),
            migrations
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )),
        ..cfg(Method::Fifo)
    }
}

/// (asset, account, lot id, qty, basis, date acquired, origin) of each holding.
type HeldLot = (String, String, String, String, Decimal, String, Origin);

fn held(l: &Ledger, o: &Outcome) -> Vec<HeldLot> {
    o.holdings
        .iter()
        .map(|h| {
            let lot = &o.lots[h.lot as usize];
            (
                l.syms.name(h.asset).to_string(),
                account_name(l, h.account).to_string(),
                l.rows[lot.row as usize].id.to_string(),
                h.qty.normalize().to_string(),
                h.basis,
                lot.holding_from.to_string(),
                lot.origin,
            )
        })
        .collect()
}

/// Runs `rows` under `c` and checks the run's invariants (quantity and basis
/// of every asset conserved, the 8949 rows adding up).
fn checked_run(rows: &str, c: &Config) -> (Ledger, Outcome) {
    let l = ledger(rows);
    let o = run(&l, c, None, None, END).unwrap();
    let r = build_rows(&l, &o, &BoxRules::default());
    crate::tax::check_invariants(&l, c, &o, &r).unwrap();
    (l, o)
}

const WRAP: &str = "\
b,2023-03-01T00:00:00Z,mm,buy,2000,USD,1,ETH,,,,,,
w,2025-01-10T00:00:00Z,mm,trade,1,ETH,1,WETH,,,2500,,,
s,2025-06-01T00:00:00Z,mm,sell,1,WETH,3000,USD,,,,,,
";

#[test]
fn a_wrap_in_a_same_group_moves_basis_and_dates_and_disposes_of_nothing() {
    let c = linked(&[&["ETH", "WETH"]], &[]);
    let (l, o) = checked_run(WRAP, &c);
    // The WETH sold is the 2023 ETH: long-term, its basis, its lot id.
    assert_eq!(
        rows_of(&l, &o),
        vec![row("s", "b", "1", "3000.00", "2000.00", Term::Long)]
    );
    let before_sale = run(&l, &c, None, None, Some(l.rows[2].time)).unwrap();
    assert_eq!(
        held(&l, &before_sale),
        vec![(
            "WETH".into(),
            "mm".into(),
            "b".into(),
            "1".into(),
            dec("2000"),
            "2023-03-01".into(),
            Origin::Converted
        )]
    );
    // Asset names match in any case, and the wrap needs no value.
    let c = linked(&[&["eth", "weth"]], &[]);
    let (l, o) = checked_run(&WRAP.replace(",2500,,,", ",,,,"), &c);
    assert_eq!(rows_of(&l, &o).len(), 1);
}

#[test]
fn without_same_a_wrap_is_a_taxable_trade() {
    assert_eq!(
        gains(WRAP, &cfg(Method::Fifo)),
        vec![
            row("w", "b", "1", "2500.00", "2000.00", Term::Long),
            row("s", "w", "1", "3000.00", "2500.00", Term::Short),
        ]
    );
    // A group that does not name both assets changes nothing.
    assert_eq!(
        gains(WRAP, &linked(&[&["USDC", "USDC.e"]], &[("ETH", "ETH2")])),
        gains(WRAP, &cfg(Method::Fifo))
    );
}

#[test]
fn a_partial_wrap_and_its_unwrap_join_the_original_lot_again() {
    let rows = "\
b,2023-03-01T00:00:00Z,mm,buy,2000,USD,1,ETH,,,,,,
c,2024-08-01T00:00:00Z,mm,buy,3000,USD,1,ETH,,,,,,
w,2025-01-10T00:00:00Z,mm,trade,1.4,ETH,1.4,WETH,,,,,,
u,2025-02-10T00:00:00Z,mm,trade,0.5,WETH,0.5,ETH,,,,,,
s,2025-06-01T00:00:00Z,mm,sell,1.1,ETH,4400,USD,,,,,,
";
    let c = linked(&[&["ETH", "WETH"]], &[]);
    let (l, o) = checked_run(rows, &c);
    let snap = |at: usize| run(&l, &c, None, None, Some(l.rows[at].time)).unwrap();
    // After the wrap: 0.6 ETH of c; WETH 1 of b and 0.4 of c (FIFO, as a sale).
    let after_wrap = snap(3);
    let h = held(&l, &after_wrap);
    assert_eq!(
        h.iter()
            .map(|h| (h.0.as_str(), h.2.as_str(), h.3.as_str(), h.4))
            .collect::<Vec<_>>(),
        vec![
            ("ETH", "c", "0.6", dec("1800")),
            ("WETH", "b", "1", dec("2000")),
            ("WETH", "c", "0.4", dec("1200")),
        ]
    );
    // Total basis before = after the conversion.
    let total = |o: &Outcome| o.holdings.iter().map(|h| h.basis).sum::<Decimal>();
    assert_eq!(total(&snap(2)), total(&after_wrap));
    assert_eq!(total(&after_wrap), dec("5000"));
    // The unwrap takes WETH of b first and gives it back to lot b itself.
    let after_unwrap = snap(4);
    let h = held(&l, &after_unwrap);
    assert_eq!(h[0].2, "b");
    assert_eq!(h[0].6, Origin::Acquired);
    // The sale of 1.1 ETH (FIFO): 0.5 of b (2023, long-term), 0.6 of c.
    assert_eq!(
        rows_of(&l, &o),
        vec![
            row("s", "b", "0.5", "2000.00", "1000.00", Term::Long),
            row("s", "c", "0.6", "2400.00", "1800.00", Term::Short),
        ]
    );
}

#[test]
fn a_conversion_takes_lots_by_the_method_and_pool_of_a_sale() {
    let rows = "\
b,2024-03-01T00:00:00Z,mm,buy,2000,USD,1,ETH,,,,,,
c,2024-08-01T00:00:00Z,mm,buy,3000,USD,1,ETH,,,,,,
d,2024-09-01T00:00:00Z,cb,buy,2500,USD,1,ETH,,,,,,
w,2024-10-10T00:00:00Z,mm,trade,1,ETH,1,WETH,,,,,,
";
    let lot_of = |c: Config| {
        let (l, o) = checked_run(rows, &c);
        held(&l, &o)
            .into_iter()
            .filter(|h| h.0 == "WETH")
            .map(|h| h.2)
            .collect::<Vec<_>>()
    };
    let c = linked(&[&["ETH", "WETH"]], &[]);
    assert_eq!(lot_of(c.clone()), ["b"]);
    assert_eq!(
        lot_of(Config {
            method: Method::Hifo,
            ..c.clone()
        }),
        ["c"]
    );
    assert_eq!(
        lot_of(Config {
            method: Method::Lifo,
            ..c.clone()
        }),
        ["c"]
    );
    assert_eq!(
        lot_of(Config {
            method: Method::Lifo,
            scope: Scope::Universal,
            ..c
        }),
        ["d"]
    );
}

#[test]
fn a_migration_carries_basis_and_dates_one_to_one() {
    let rows = "\
m1,2022-01-01T00:00:00Z,acct,buy,500,USD,1000,MATIC,,,,,,
m2,2024-06-01T00:00:00Z,acct,buy,300,USD,500,MATIC,,,,,,
mig,2024-09-04T00:00:00Z,acct,trade,1500,MATIC,1500,POL,,,,,,
s,2025-01-15T00:00:00Z,acct,sell,1200,POL,480,USD,,,,,,
";
    let c = linked(&[], &[("MATIC", "POL")]);
    let (l, o) = checked_run(rows, &c);
    assert_eq!(
        rows_of(&l, &o),
        vec![
            row("s", "m1", "1000", "400.00", "500.00", Term::Long),
            row("s", "m2", "200", "80.00", "120.00", Term::Short),
        ]
    );
    let h = held(&l, &o);
    assert_eq!(h.len(), 1);
    assert_eq!(
        (h[0].0.as_str(), h[0].2.as_str(), h[0].3.as_str(), h[0].4),
        ("POL", "m2", "300", dec("180"))
    );
    assert_eq!(h[0].5, "2024-06-01");
}

#[test]
fn a_migration_at_a_ratio_conserves_the_received_quantity_exactly() {
    // 100 old for 1 new.
    let rows = "\
a,2021-01-01T00:00:00Z,acct,buy,100,USD,100,OLD,,,,,,
b,2022-01-01T00:00:00Z,acct,buy,70,USD,50,OLD,,,,,,
c,2023-01-01T00:00:00Z,acct,buy,1,USD,0.01,OLD,,,,,,
m,2024-01-01T00:00:00Z,acct,trade,150.01,OLD,1.5001,NEW,,,,,,
";
    let c = linked(&[], &[("OLD", "NEW")]);
    let (l, o) = checked_run(rows, &c);
    let h = held(&l, &o);
    assert_eq!(
        h.iter()
            .map(|h| (h.0.as_str(), h.2.as_str(), h.3.as_str(), h.4))
            .collect::<Vec<_>>(),
        vec![
            ("NEW", "a", "1", dec("100")),
            ("NEW", "b", "0.5", dec("70")),
            ("NEW", "c", "0.0001", dec("1")),
        ]
    );
    // Three lots into 1 NEW: the thirds do not divide exactly; the last
    // part takes what rounding left, so the units add up to exactly 1.
    let rows = "\
a,2021-01-01T00:00:00Z,acct,buy,10,USD,1,OLD,,,,,,
b,2022-01-01T00:00:00Z,acct,buy,20,USD,1,OLD,,,,,,
c,2023-01-01T00:00:00Z,acct,buy,30,USD,1,OLD,,,,,,
m,2024-01-01T00:00:00Z,acct,trade,3,OLD,1,NEW,,,,,,
";
    let (l, o) = checked_run(rows, &c);
    let h = held(&l, &o);
    let q: Vec<&str> = h.iter().map(|h| h.3.as_str()).collect();
    assert_eq!(
        q,
        [
            "0.3333333333333333",
            "0.3333333333333334",
            "0.3333333333333333"
        ]
    );
    assert_eq!(o.holdings.iter().map(|h| h.qty).sum::<Decimal>(), dec("1"));
    assert_eq!(
        o.holdings.iter().map(|h| h.basis).sum::<Decimal>(),
        dec("60")
    );
    assert!(o.disposals.is_empty());
}

#[test]
fn a_migration_back_that_is_not_listed_stays_a_trade() {
    let rows = "\
m1,2022-01-01T00:00:00Z,acct,buy,500,USD,1000,MATIC,,,,,,
mig,2024-09-04T00:00:00Z,acct,trade,1000,MATIC,1000,POL,,,,,,
back,2025-02-01T00:00:00Z,acct,trade,400,POL,400,MATIC,,,160,,,
";
    let c = linked(&[], &[("matic", "pol")]);
    let (l, o) = checked_run(rows, &c);
    assert_eq!(
        rows_of(&l, &o),
        vec![row("back", "m1", "400", "160.00", "200.00", Term::Long)]
    );
    let h = held(&l, &o);
    assert_eq!(
        h.iter()
            .map(|h| (h.0.as_str(), h.2.as_str(), h.3.as_str(), h.6))
            .collect::<Vec<_>>(),
        vec![
            ("MATIC", "back", "400", Origin::Acquired),
            ("POL", "m1", "600", Origin::Converted),
        ]
    );
}

#[test]
fn a_conversion_pays_its_fees_as_a_transfer_does() {
    let c = linked(&[&["ETH", "WETH"]], &[]);
    // Gas in ETH: a network fee, disposed of first; the wrap moves 1 ETH.
    let rows = "\
b,2023-03-01T00:00:00Z,mm,buy,4000,USD,2,ETH,,,,,,
w,2025-01-10T00:00:00Z,mm,trade,1,ETH,1,WETH,0.001,ETH,,3,,
";
    let (l, o) = checked_run(rows, &c);
    assert_eq!(
        rows_of(&l, &o),
        vec![row("w", "b", "0.001", "3.00", "2.00", Term::Long)]
    );
    assert_eq!(o.disposals[0].kind, DisposalKind::NetworkFee);
    let h = held(&l, &o);
    assert_eq!((h[0].3.as_str(), h[0].4), ("0.999", dec("1998")));
    assert_eq!((h[1].0.as_str(), h[1].4), ("WETH", dec("2000")));
    // A fee withheld in the received asset: the whole 1 WETH arrives, then
    // 0.01 of it pays the fee.
    let rows = "\
b,2023-03-01T00:00:00Z,mm,buy,2000,USD,1,ETH,,,,,,
w,2025-01-10T00:00:00Z,mm,trade,1,ETH,1,WETH,0.01,WETH,,25,,
";
    let (l, o) = checked_run(rows, &c);
    assert_eq!(
        rows_of(&l, &o),
        vec![row("w", "b", "0.01", "25.00", "20.00", Term::Long)]
    );
    assert_eq!(held(&l, &o)[0].3, "0.99");
    // A fee in a third asset is that asset's disposal; a fee in USD goes to
    // no basis (nothing is bought or sold).
    let rows = "\
b,2023-03-01T00:00:00Z,mm,buy,2000,USD,1,ETH,,,,,,
a,2024-01-01T00:00:00Z,mm,buy,10,USD,10,ARB,,,,,,
w,2025-01-10T00:00:00Z,mm,trade,1,ETH,1,WETH,1,ARB,,0.5,,
u,2025-01-11T00:00:00Z,mm,trade,1,WETH,1,ETH,2,USD,,,,
";
    let (l, o) = checked_run(rows, &c);
    assert_eq!(
        rows_of(&l, &o),
        vec![row("w", "a", "1", "0.50", "1.00", Term::Long)]
    );
    assert_eq!(o.disposals[0].kind, DisposalKind::FeeAsset);
    let h = held(&l, &o);
    assert_eq!(
        (h[1].0.as_str(), h[1].2.as_str(), h[1].4),
        ("ETH", "b", dec("2000"))
    );
}

#[test]
fn a_conversion_beyond_the_holdings_follows_missing_basis() {
    let rows = "\
b,2023-03-01T00:00:00Z,mm,buy,2000,USD,1,ETH,,,,,,
w,2025-01-10T00:00:00Z,mm,trade,2,ETH,2,WETH,,,,,,
";
    let c = linked(&[&["ETH", "WETH"]], &[]);
    let l = ledger(rows);
    let err = run(&l, &c, None, None, END).unwrap_err().to_string();
    assert!(
        err.contains("t.csv:3 (id w): conversion of 2 ETH from account mm, which holds only 1 ETH"),
        "{err}"
    );
    let c = Config {
        missing_basis: MissingBasis::Zero,
        ..c
    };
    let (l, o) = checked_run(rows, &c);
    let h = held(&l, &o);
    assert_eq!(
        h.iter()
            .map(|h| (h.0.as_str(), h.2.as_str(), h.3.as_str(), h.4))
            .collect::<Vec<_>>(),
        vec![
            ("WETH", "b", "1", dec("2000")),
            ("WETH", "w", "1", dec("0"))
        ]
    );
    assert_eq!(o.warnings.count("zero-basis shortfall"), 1);
}

#[test]
fn conversions_match_alike_when_two_threads_are_allowed() {
    let rows = format!(
        "{WRAP}x,2024-01-01T00:00:00Z,cb,buy,100,USD,1,SOL,,,,,,\ny,2025-02-01T00:00:00Z,cb,sell,1,SOL,150,USD,,,,,,\n"
    );
    let c = linked(&[&["ETH", "WETH"]], &[]);
    let l = ledger(&rows);
    let serial = run(
        &l,
        &Config {
            parallel: Parallel::Off,
            ..c.clone()
        },
        None,
        None,
        END,
    )
    .unwrap();
    let two = run(
        &l,
        &Config {
            parallel: Parallel::Always,
            ..c
        },
        None,
        None,
        END,
    )
    .unwrap();
    assert_eq!(rows_of(&l, &serial), rows_of(&l, &two));
    assert_eq!(held(&l, &serial), held(&l, &two));
}

#[test]
fn a_wash_window_does_not_count_a_conversion_as_a_purchase() {
    // A loss sale of WETH, then a wrap of ETH bought long before: the wrap
    // buys no WETH, so no loss is disallowed. As a trade it would.
    let rows = "\
e,2024-01-01T00:00:00Z,mm,buy,2000,USD,1,ETH,,,,,,
x,2025-01-01T00:00:00Z,mm,buy,3000,USD,1,WETH,,,,,,
s,2025-02-01T00:00:00Z,mm,sell,1,WETH,2000,USD,,,,,,
w,2025-02-10T00:00:00Z,mm,trade,1,ETH,1,WETH,,,2100,,,
";
    let c = Config {
        wash_window: 30,
        ..linked(&[&["ETH", "WETH"]], &[])
    };
    let l = ledger(rows);
    let o = run(&l, &c, None, None, END).unwrap();
    assert!(o.disallowed.is_empty());
    let c = Config {
        wash_window: 30,
        ..cfg(Method::Fifo)
    };
    let o = run(&l, &c, None, None, END).unwrap();
    assert_eq!(o.disallowed.len(), 1);
}

#[test]
fn same_and_migrations_settings_are_checked() {
    let links = |toml: &str| {
        crate::config::Config::parse(toml, "h.toml").and_then(|c| c.assets.links("h.toml"))
    };
    let ok = links(
        "[assets]\nsame = [[\"ETH\", \"WETH\"], [\"USDC\", \"USDC.e\"]]\nmigrations = [{ from = \"MATIC\", to = \"POL\" }]\n",
    )
    .unwrap();
    assert!(!ok.is_empty());
    assert!(links("[assets]\nspam = [\"X\"]\n").unwrap().is_empty());
    for (toml, says) in [
        ("[assets]\nsame = [[\"ETH\"]]\n", "fewer than two assets"),
        (
            "[assets]\nsame = [[\"ETH\", \"WETH\"], [\"weth\", \"stETH\"]]\n",
            "\"weth\" in two groups",
        ),
        ("[assets]\nsame = [[\"ETH\", \"eth\"]]\n", "twice"),
        ("[assets]\nsame = [[\"USDC\", \"usd\"]]\n", "money"),
        (
            "[assets]\nmigrations = [{ from = \"POL\", to = \"pol\" }]\n",
            "to itself",
        ),
        (
            "[assets]\nmigrations = [{ from = \"\", to = \"POL\" }]\n",
            "empty asset name",
        ),
        (
            "[assets]\nmigrations = [{ from = \"MATIC\", to = \"POL\", date = \"2024-09-04\" }]\n",
            "date",
        ),
        ("[assets]\nsame = \"ETH\"\n", "same"),
    ] {
        let e = links(toml).unwrap_err().to_string();
        assert!(e.starts_with("h.toml: ") && e.contains(says), "{toml}: {e}");
    }
}

#[test]
fn selections_pick_the_lots_a_conversion_moves_and_name_them_after() {
    // The wrap names lot c; the WETH sale names c again, by its original id.
    let rows = "\
b,2024-03-01T00:00:00Z,mm,buy,2000,USD,1,ETH,,,,,,
c,2024-08-01T00:00:00Z,mm,buy,3000,USD,1,ETH,,,,,,
w,2025-01-10T00:00:00Z,mm,trade,1,ETH,1,WETH,,,,,,
s,2025-06-01T00:00:00Z,mm,sell,0.5,WETH,1600,USD,,,,,,
";
    let sel = Selections::read(
        "disposal_id,lot_id,quantity\nw,c,1\ns,c,0.5\n".as_bytes(),
        "sel.csv",
    )
    .unwrap();
    let c = Config {
        method: Method::Specific,
        ..linked(&[&["ETH", "WETH"]], &[])
    };
    let l = ledger(rows);
    let o = run(&l, &c, None, Some(&sel), END).unwrap();
    assert_eq!(
        rows_of(&l, &o),
        vec![row("s", "c", "0.5", "1600.00", "1500.00", Term::Short)]
    );
    assert!(o.warnings.is_empty(), "{}", o.warnings);
    let h = held(&l, &o);
    assert_eq!(
        h.iter()
            .map(|h| (h.0.as_str(), h.2.as_str(), h.3.as_str()))
            .collect::<Vec<_>>(),
        vec![("ETH", "b", "1"), ("WETH", "c", "0.5")]
    );
}

/// Form 8949 rows built on two threads, each from the lots' running basis
/// where its disposals begin, are the rows one thread builds, wherever the
/// second thread starts: lots of a third of a cent a unit, so that a running
/// basis off by one part changes a row's cents; sales taking parts of one to
/// three lots; two years, every year kept, and methods that leave lots partly
/// sold for long.
#[test]
fn rows_built_on_two_threads_are_the_rows_of_one() {
    use std::fmt::Write as _;
    let mut rows = String::new();
    for i in 0..90u32 {
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let year = 2024 + i / 45;
        let t = format!("{year}-{month:02}-{day:02}T{:02}:00:00Z", i % 24);
        if i % 3 == 2 {
            // One to three lots' parts: 1, 2.5 or 4 units.
            let q = ["1", "2.5", "4"][(i % 9 / 3) as usize];
            let usd = Decimal::new(1_000 + i64::from(i) * 7, 2);
            writeln!(rows, "s{i},{t},cb,sell,{q},BTC,{usd},USD,,,,,,").unwrap();
        } else {
            let usd = Decimal::new(1_000 + i64::from(i % 7), 2);
            writeln!(rows, "b{i},{t},cb,buy,{usd},USD,3,BTC,,,,,,").unwrap();
        }
    }
    // An ETH lot a third sold in 2024 and a third in late 2025: a run for 2025
    // starts its rows from the basis 2024 took.
    rows.push_str(
        "e1,2024-01-02T00:00:00Z,cb,buy,10,USD,3,ETH,,,,,,\n\
         e2,2024-06-02T00:00:00Z,cb,sell,1,ETH,5,USD,,,,,,\n\
         e3,2025-12-30T00:00:00Z,cb,sell,1,ETH,5,USD,,,,,,\n",
    );
    let l = ledger(&rows);
    for keep in [Keep::All, Keep::Year(2024), Keep::Year(2025)] {
        for method in [Method::Fifo, Method::Lifo, Method::Hifo] {
            let o = run(&l, &cfg(method).keeping(keep), None, None, None).unwrap();
            let year = |d: &Disposal| match keep {
                Keep::Year(y) => d.date.year() == y,
                _ => true,
            };
            let build = |mid| {
                crate::tax::form8949::fold_rows_split(
                    &l,
                    &o,
                    &BoxRules::default(),
                    &year,
                    Vec::new,
                    |v, r| v.push(format!("{r:?}")),
                    mid,
                )
            };
            let one = build(usize::MAX);
            assert_eq!(one.len(), 1);
            assert!(one[0].len() > 10, "{keep:?}");
            for mid in 1..o.disposals.len() {
                let two = build(mid);
                assert_eq!(two.len(), 2);
                assert_eq!(one[0], two.concat(), "{keep:?} {method:?} from {mid}");
            }
            // Built into one list by two threads, split as evenly as rows allow.
            let built =
                crate::tax::form8949::build_rows_halves(&l, &o, &BoxRules::default(), &year);
            let built: Vec<String> = built.iter().map(|r| format!("{r:?}")).collect();
            assert_eq!(one[0], built, "{keep:?} {method:?} in halves");
        }
    }
}

/// The sums of a year's gains made without rows (`scan`'s year so far) are
/// its rows' gains added up, whatever splits the disposals between threads:
/// legs of one term and of two, wash-sale adjustments (part and whole),
/// gifts with two bases, inherited units, collectibles, a removal.
#[test]
fn gain_sums_equal_the_rows_gains_added_up() {
    use crate::tax::form8949::{GainSums, build_rows_where, gain_sums_split};
    use std::fmt::Write as _;
    let mut rows = String::new();
    for i in 0..60u32 {
        // Lots of BTC and GOLD from 2023 on, sold in 2024 and 2025 in parts
        // of up to four lots at a time: some a year old, some not.
        let (y, m, d) = (2023 + i / 20, 1 + (i * 7) % 12, 1 + (i * 11) % 28);
        let t = format!("{y}-{m:02}-{d:02}T10:00:00Z");
        let asset = if i % 4 == 3 { "GOLD" } else { "BTC" };
        let price = 100 + (i * 37) % 90;
        if i % 3 == 2 && y > 2023 {
            let q = ["1.3", "2.71", "0.5", "4.2"][(i % 4) as usize];
            let usd = Decimal::new(i64::from(price) * 250 + i64::from(i), 2);
            writeln!(rows, "s{i},{t},cb,sell,{q},{asset},{usd},USD,,,,,,").unwrap();
        } else {
            let usd = Decimal::new(i64::from(price) * 300 + 1, 2);
            writeln!(rows, "b{i},{t},cb,buy,{usd},USD,3,{asset},,,,,,").unwrap();
        }
    }
    rows.push_str("x1,2025-06-01T00:00:00Z,cb,lost,0.3,BTC,,,,,,,,scam\n");
    let gifts = include_str!("../../fixtures/gifts/ledger.csv");
    let mut b = LedgerBuilder::new(Tz::UTC);
    b.read_csv(gifts.as_bytes(), "gifts.csv").unwrap();
    let ledgers = [ledger(&rows), b.finish().unwrap()];
    let boxes = BoxRules {
        collectibles: ["GOLD".to_string(), "SOL".to_string()].into(),
        ..BoxRules::default()
    };
    let mut seen = (false, false, false);
    for l in &ledgers {
        for keep in [Keep::All, Keep::Year(2024), Keep::Year(2025)] {
            for method in [Method::Fifo, Method::Lifo, Method::Hifo] {
                for days in [0, 30] {
                    let c = Config {
                        method,
                        wash_window: days,
                        late_identification: true,
                        ..Config::default()
                    }
                    .keeping(keep);
                    let o = run(l, &c, None, None, END).unwrap();
                    let in_year = |d: &Disposal| match keep {
                        Keep::Year(y) => d.date.year() == y,
                        _ => d.date.year() >= 2024,
                    };
                    let mut want = GainSums::default();
                    for r in build_rows_where(l, &o, &boxes, in_year) {
                        match r.term {
                            Term::Short => want.short += r.gain,
                            Term::Long => want.long += r.gain,
                        }
                        if r.term == Term::Long && r.adjustment_code.contains('C') {
                            want.collectibles_long += r.gain;
                        }
                        seen.0 |= !r.adjustment.is_zero();
                        seen.1 |= r.basis_rule != crate::tax::BasisRule::Lot;
                    }
                    seen.2 |= o.disposals.iter().any(|d| {
                        let t = o
                            .legs_of(d)
                            .iter()
                            .map(|g| crate::tax::term::lot_term(&o.lots[g.lot as usize], d.date));
                        t.clone().any(|t| t == Term::Short) && t.clone().any(|t| t == Term::Long)
                    });
                    for mid in std::iter::once(usize::MAX).chain(1..o.disposals.len()) {
                        let got = gain_sums_split(l, &o, &boxes, &in_year, mid);
                        assert_eq!(got, want, "{keep:?} {method:?} {days} from {mid}");
                    }
                }
            }
        }
    }
    // Each kind of disposal that is made into rows was met.
    assert_eq!(seen, (true, true, true));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]
    /// Pairing (with the summaries of blocks of withdrawals that let a deposit
    /// pass over those it can take nothing of) pairs as the rules say, looked
    /// at one withdrawal at a time: by txid, the earliest withdrawal of the
    /// deposit's txid and asset; then each deposit still unpaired, the
    /// earliest unpaired withdrawal of its asset from another account, of at
    /// least its quantity, made 0 to 48 hours before it, where the two rows
    /// do not carry different txids. Hundreds of transfers in a few days, in
    /// three accounts, many with txids of their own, so that most blocks hold
    /// nothing a deposit can take.
    #[test]
    fn pairing_passes_over_blocks_as_a_look_at_each_withdrawal_would_pair(
        rows in proptest::collection::vec(
            (proptest::bool::ANY, 0u8..3, 1u8..5, 0u8..40, 1i64..40, 0u8..2),
            0..500,
        ),
    ) {
        use std::fmt::Write as _;
        let t0 = chrono::DateTime::parse_from_rfc3339("2025-03-01T00:00:00Z").unwrap().to_utc();
        let mut text = String::new();
        let mut t = t0;
        // (withdrawal, account, qty, txid, time, asset) by row.
        let mut facts = Vec::new();
        for (i, &(withdrawal, acct, qty, tx, step, asset)) in rows.iter().enumerate() {
            t += chrono::Duration::minutes(step);
            let asset = ["BTC", "ETH"][asset as usize];
            // Txids below 20 are shared by a few rows; the rest are the row's own.
            let txid = match tx {
                0..10 => String::new(),
                10..20 => format!("0x{tx}"),
                _ => format!("0x{i}x"),
            };
            // A withdrawal of a shared txid is of the most a deposit takes: a
            // deposit of more than its txid's withdrawal is an error.
            let qty = if withdrawal && (10..20).contains(&tx) { 4 } else { qty };
            let (kind, legs) = match withdrawal {
                true => ("withdrawal", format!("{qty},{asset},,")),
                false => ("deposit", format!(",,{qty},{asset}")),
            };
            writeln!(
                text,
                "r{i},{},a{acct},{kind},{legs},,,,,{txid},",
                t.format("%Y-%m-%dT%H:%M:%SZ")
            )
            .unwrap();
            facts.push((withdrawal, acct, qty, txid, t, asset));
        }
        let l = ledger(&text);
        let book = AddressBook::default();
        let p = transfer::pair(&l, &book, None).map_err(|e| {
            proptest::test_runner::TestCaseError::fail(e.to_string())
        })?;
        let mut want: Vec<Option<usize>> = vec![None; facts.len()];
        let n = facts.len();
        for d in 0..n {
            let (wd, _, _, ref dtx, _, da) = facts[d];
            if wd || dtx.is_empty() {
                continue;
            }
            if let Some(w) = (0..n).find(|&w| {
                let (ww, _, _, ref wtx, _, wa) = facts[w];
                ww && want[w].is_none() && wtx == dtx && wa == da
            }) {
                want[w] = Some(d);
                want[d] = Some(w);
            }
        }
        for d in 0..n {
            let (wd, dacct, dq, ref dtx, dt, da) = facts[d];
            if wd || want[d].is_some() {
                continue;
            }
            if let Some(w) = (0..n).find(|&w| {
                let (ww, wacct, wq, ref wtx, wt, wa) = facts[w];
                ww && want[w].is_none()
                    && wa == da
                    && wacct != dacct
                    && wt <= dt
                    && wt >= dt - chrono::Duration::hours(48)
                    && (wtx.is_empty() || dtx.is_empty() || wtx == dtx)
                    && wq >= dq
            }) {
                want[w] = Some(d);
                want[d] = Some(w);
            }
        }
        let got: Vec<Option<usize>> = (0..n).map(|i| p.partner.get(i as u32).map(|j| j as usize)).collect();
        proptest::prop_assert_eq!(got, want);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]
    /// The own-address pass (deposits found by quantity) pairs as the rule
    /// says, looked at one deposit at a time: each withdrawal to an own
    /// address, oldest first, with the earliest unpaired deposit of its asset
    /// into that address's account from 2 hours before to 7 days after it, of
    /// its quantity less at most its fee in the asset. Every row carries a
    /// txid of its own, so no other pass pairs any. Hundreds of sends and
    /// deposits in a few weeks, of a few quantities, some into another account.
    #[test]
    fn own_sends_pair_as_a_look_at_each_deposit_would(
        rows in proptest::collection::vec(
            (0u8..3, 1u8..9, 0u8..3, 1i64..240),
            0..400,
        ),
    ) {
        use std::fmt::Write as _;
        let mut t = chrono::DateTime::parse_from_rfc3339("2025-03-01T00:00:00Z").unwrap().to_utc();
        let mut text = String::new();
        // (kind: 0 send, 1 deposit to nano, 2 deposit elsewhere; qty in
        // halves; fee in halves; time) by row.
        let mut facts = Vec::new();
        for (i, &(kind, q, fee, step)) in rows.iter().enumerate() {
            t += chrono::Duration::minutes(step);
            let qty = Decimal::new(i64::from(q) * 5, 1);
            let fee = Decimal::new(i64::from(fee) * 5, 1);
            let at = t.format("%Y-%m-%dT%H:%M:%SZ");
            match kind {
                0 => writeln!(text, "r{i},{at},cb,withdrawal,{qty},BTC,,,{fee},BTC,,,0xw{i},to {COLD}"),
                1 => writeln!(text, "r{i},{at},nano,deposit,,,{qty},BTC,,,,,0xd{i},"),
                _ => writeln!(text, "r{i},{at},kr,deposit,,,{qty},BTC,,,,,0xd{i},"),
            }
            .unwrap();
            facts.push((kind, qty, fee, t));
        }
        let l = ledger(&text);
        let c = own_cfg();
        let p = transfer::pair(&l, &c.addresses, None).map_err(|e| {
            proptest::test_runner::TestCaseError::fail(e.to_string())
        })?;
        let n = facts.len();
        let mut want: Vec<Option<usize>> = vec![None; n];
        for w in 0..n {
            let (kind, sent, fee, wt) = facts[w];
            if kind != 0 {
                continue;
            }
            if let Some(d) = (0..n).find(|&d| {
                let (dk, q, _, dt) = facts[d];
                dk == 1
                    && want[d].is_none()
                    && dt >= wt - chrono::Duration::hours(2)
                    && dt <= wt + chrono::Duration::days(7)
                    && q <= sent
                    && q >= sent - fee
            }) {
                want[w] = Some(d);
                want[d] = Some(w);
            }
        }
        let got: Vec<Option<usize>> = (0..n).map(|i| p.partner.get(i as u32).map(|j| j as usize)).collect();
        proptest::prop_assert_eq!(got, want);
    }
}
