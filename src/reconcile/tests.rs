//! Unit tests of matching and routing on small ledgers written inline.

use chrono::Datelike;

use super::*;
use crate::engine::{Config, run};
use crate::ledger::LedgerBuilder;
use crate::tax::{BoxRules, build_rows_where};

const H: &str = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n";

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The ledger, its outcome and its 2025 rows.
fn setup(rows: &str) -> (Ledger, Outcome, Vec<GainRow>) {
    let mut b = LedgerBuilder::new(chrono_tz::Tz::UTC);
    b.read_csv(format!("{H}{rows}").as_bytes(), "t.csv")
        .unwrap();
    let l = b.finish().unwrap();
    let o = run(&l, &Config::default(), None, None, None).unwrap();
    let r = build_rows_where(&l, &o, &BoxRules::default(), |d| d.date.year() == 2025);
    (l, o, r)
}

fn br(account: &str, asset: &str, units: &str, sold: &str, proceeds: &str) -> BrokerRow {
    BrokerRow {
        file: "da.csv".into(),
        line: 2,
        account: account.into(),
        broker: None,
        asset: asset.into(),
        asset_name: None,
        units: dec(units),
        date_acquired: None,
        date_sold: date(sold),
        proceeds: dec(proceeds),
        basis: None,
        wash_sale_disallowed: None,
        basis_reported: false,
        term: None,
        noncovered: false,
        checkbox: None,
        transaction_id: None,
    }
}

fn with_basis(mut b: BrokerRow, basis: &str) -> BrokerRow {
    b.basis = Some(dec(basis));
    b.basis_reported = true;
    b
}

const SIMPLE: &str = "\
b1,2025-01-10T12:00:00Z,cb,buy,10000,USD,1,BTC,,,,,,
s1,2025-03-01T12:00:00Z,cb,sell,1,BTC,12000,USD,,,,,,
";

fn one(rows: &str, b: BrokerRow) -> (Reconciliation, Vec<GainRow>) {
    let (l, o, r) = setup(rows);
    let rec = reconcile(&l, &o, &r, &[b], 2025).unwrap();
    (rec, r)
}

#[test]
fn exact_match_without_basis_goes_to_h_with_no_code() {
    let (rec, rows) = one(SIMPLE, br("cb", "btc", "1.00", "2025-03-01", "12000"));
    let m = rec.items[0].matched.as_ref().unwrap();
    assert_eq!(m.units, UnitsMatch::Disposal);
    assert_eq!(m.proceeds_difference, Decimal::ZERO);
    let r = &rec.routed[0];
    assert_eq!(r.box_, Box8949::H);
    assert_eq!(
        (r.proceeds, r.cost_basis),
        (rows[0].proceeds, rows[0].cost_basis)
    );
    assert_eq!(r.adjustment_code, "");
    assert_eq!(r.adjustment, Decimal::ZERO);
    assert!(rec.only_ours.is_empty() && rec.no_1099da.is_empty());
}

#[test]
fn basis_reported_and_equal_goes_to_g_with_no_code() {
    let (rec, _) = one(
        SIMPLE,
        with_basis(br("cb", "BTC", "1", "2025-03-01", "12000"), "10000"),
    );
    let r = &rec.routed[0];
    assert_eq!(r.box_, Box8949::G);
    assert_eq!(r.adjustment_code, "");
    assert_eq!(r.adjustment, Decimal::ZERO);
}

#[test]
fn basis_mismatch_in_g_is_corrected_in_column_g_with_code_b() {
    let (rec, rows) = one(
        SIMPLE,
        with_basis(br("cb", "BTC", "1", "2025-03-01", "12000"), "11000"),
    );
    let r = &rec.routed[0];
    assert_eq!(r.box_, Box8949::G);
    assert_eq!(r.cost_basis, dec("11000"));
    assert_eq!(r.adjustment_code, "B");
    assert_eq!(r.adjustment, dec("1000"));
    assert_eq!(r.gain, rows[0].gain);
    assert_eq!(r.proceeds - r.cost_basis + r.adjustment, r.gain);
    let m = rec.items[0].matched.as_ref().unwrap();
    assert_eq!(m.basis_difference, Some(dec("1000")));
}

#[test]
fn basis_mismatch_in_h_keeps_our_basis_and_a_zero_adjustment() {
    let mut b = br("cb", "BTC", "1", "2025-03-01", "12000");
    b.basis = Some(dec("9000"));
    let (rec, _) = one(SIMPLE, b);
    let r = &rec.routed[0];
    assert_eq!(r.box_, Box8949::H);
    assert_eq!(r.cost_basis, dec("10000"));
    assert_eq!(r.adjustment_code, "B");
    assert_eq!(r.adjustment, Decimal::ZERO);
}

#[test]
fn costs_left_out_by_the_broker_are_code_e_negative() {
    // We netted a 41.00 fee; the broker's 1f did not.
    let rows = "\
b1,2025-01-10T12:00:00Z,cb,buy,10000,USD,1,BTC,,,,,,
s1,2025-03-01T12:00:00Z,cb,sell,1,BTC,12000,USD,41,USD,,,,
";
    let (rec, ours) = one(rows, br("cb", "BTC", "1", "2025-03-01", "12000"));
    let r = &rec.routed[0];
    assert_eq!(r.proceeds, dec("12000"));
    assert_eq!(r.adjustment_code, "E");
    assert_eq!(r.adjustment, dec("-41"));
    assert_eq!(r.gain, ours[0].gain);
}

/// Issue 14 item 4. Form 8949 instructions, column (d): the proceeds are what
/// was actually received; a 1099-DA that shows less is corrected in (d) itself,
/// not carried with code O and a positive adjustment in (g). The difference
/// stays visible in the reconciliation (proceeds_difference).
#[test]
fn lower_broker_proceeds_are_corrected_in_column_d() {
    let (rec, ours) = one(SIMPLE, br("cb", "BTC", "1", "2025-03-01", "11990.50"));
    let r = &rec.routed[0];
    assert_eq!(r.proceeds, ours[0].proceeds);
    assert_eq!(r.adjustment_code, "");
    assert_eq!(r.adjustment, Decimal::ZERO);
    assert_eq!(r.gain, ours[0].gain);
    let m = rec.items[0].matched.as_ref().unwrap();
    assert_eq!(m.proceeds_difference, dec("-9.50"));
}

#[test]
fn a_sub_cent_difference_is_no_difference() {
    let (rec, _) = one(SIMPLE, br("cb", "BTC", "1", "2025-03-01", "12000.004"));
    assert_eq!(rec.routed[0].adjustment_code, "");
    let m = rec.items[0].matched.as_ref().unwrap();
    assert!(m.proceeds_difference.is_zero());
}

#[test]
fn another_term_in_box_6_is_code_t_with_no_amount() {
    let mut b = br("cb", "BTC", "1", "2025-03-01", "12000");
    b.term = Some(BrokerTerm::Long);
    let (rec, _) = one(SIMPLE, b);
    let r = &rec.routed[0];
    assert_eq!(r.box_, Box8949::H, "the box follows our term");
    assert_eq!(r.adjustment_code, "T");
    assert_eq!(r.adjustment, Decimal::ZERO);
    assert!(rec.items[0].matched.as_ref().unwrap().term_differs);
}

#[test]
fn codes_are_alphabetical_and_the_adjustment_is_net() {
    let rows = "\
b1,2025-01-10T12:00:00Z,cb,buy,10000,USD,1,BTC,,,,,,
s1,2025-03-01T12:00:00Z,cb,sell,1,BTC,12000,USD,41,USD,,,,
";
    let mut b = with_basis(br("cb", "BTC", "1", "2025-03-01", "12000"), "9000");
    b.term = Some(BrokerTerm::Ordinary);
    let (rec, ours) = one(rows, b);
    let r = &rec.routed[0];
    assert_eq!(r.adjustment_code, "BET");
    // (d) 12000 - (e) 9000 + (g) = our gain 1959
    assert_eq!(r.adjustment, dec("-1041"));
    assert_eq!(r.gain, ours[0].gain);
}

#[test]
fn a_day_off_matches_and_says_so() {
    let (rec, _) = one(SIMPLE, br("cb", "BTC", "1", "2025-03-02", "12000"));
    let m = rec.items[0].matched.as_ref().unwrap();
    assert_eq!(m.date_shift, -1);
    let (rec, _) = one(SIMPLE, br("cb", "BTC", "1", "2025-02-28", "12000"));
    assert_eq!(rec.items[0].matched.as_ref().unwrap().date_shift, 1);
    let (rec, _) = one(SIMPLE, br("cb", "BTC", "1", "2025-03-03", "12000"));
    assert!(rec.items[0].matched.is_none());
    assert_eq!(rec.only_ours, vec![0]);
}

#[test]
fn a_row_on_its_own_date_is_not_taken_by_a_neighbour() {
    let rows = "\
b1,2025-01-10T12:00:00Z,cb,buy,10000,USD,2,BTC,,,,,,
s1,2025-03-01T12:00:00Z,cb,sell,1,BTC,12000,USD,,,,,,
s2,2025-03-02T12:00:00Z,cb,sell,1,BTC,12000,USD,,,,,,
";
    let (l, o, r) = setup(rows);
    // The 03-03 row comes first and could take s2 a day off; the 03-02 row,
    // on s2's own date, goes first.
    let b = [
        br("cb", "BTC", "1", "2025-03-03", "12000"),
        br("cb", "BTC", "1", "2025-03-02", "12000"),
    ];
    let rec = reconcile(&l, &o, &r, &b, 2025).unwrap();
    assert!(rec.items[0].matched.is_none());
    assert_eq!(rec.items[1].matched.as_ref().unwrap().disposal, 1);
    assert_eq!(rec.items[1].matched.as_ref().unwrap().date_shift, 0);
}

#[test]
fn units_are_compared_at_the_brokers_decimals_and_without_a_same_asset_fee() {
    let rows = "\
b1,2025-01-10T12:00:00Z,cb,buy,3000,USD,2,ETH,,,,,,
s1,2025-03-01T12:00:00Z,cb,sell,1.000000004,ETH,2000,USD,0.01,ETH,,,,
";
    let (rec, _) = one(rows, br("cb", "ETH", "1.01000000", "2025-03-01", "2000"));
    assert_eq!(
        rec.items[0].matched.as_ref().unwrap().units,
        UnitsMatch::Disposal
    );
    let (rec, _) = one(rows, br("cb", "ETH", "1.00", "2025-03-01", "2000"));
    assert_eq!(
        rec.items[0].matched.as_ref().unwrap().units,
        UnitsMatch::WithoutFee
    );
    let (rec, _) = one(rows, br("cb", "ETH", "1.000000", "2025-03-01", "2000"));
    assert!(rec.items[0].matched.is_some());
    let (rec, _) = one(
        rows,
        br("cb", "ETH", "1.000000004000", "2025-03-01", "2000"),
    );
    assert!(rec.items[0].matched.is_some());
    let (rec, _) = one(rows, br("cb", "ETH", "1.000000005", "2025-03-01", "2000"));
    assert!(rec.items[0].matched.is_none());
}

const SPANS: &str = "\
b1,2024-01-10T12:00:00Z,cb,buy,10000,USD,1,BTC,,,,,,
b2,2025-01-05T12:00:00Z,cb,buy,30000,USD,1,BTC,,,,,,
s1,2025-03-01T12:00:00Z,cb,sell,1.5,BTC,90000,USD,,,,,,
";

#[test]
fn a_sale_spanning_both_terms_matches_whole_or_per_term() {
    let (l, o, r) = setup(SPANS);
    assert_eq!(r.len(), 2);
    // Whole: one broker row, our rows in G and J.
    let b = with_basis(br("cb", "BTC", "1.5", "2025-03-01", "90000"), "25000");
    let rec = reconcile(&l, &o, &r, &[b], 2025).unwrap();
    let boxes: Vec<Box8949> = rec.routed.iter().map(|x| x.box_).collect();
    assert_eq!(boxes, vec![Box8949::J, Box8949::G]);
    assert!(rec.routed.iter().all(|x| x.adjustment_code.is_empty()));
    // Split by the broker: one row per term, in either order.
    let mut short = br("cb", "BTC", "0.5", "2025-03-01", "30000");
    short.term = Some(BrokerTerm::Short);
    let mut long = br("cb", "BTC", "1", "2025-03-01", "60000");
    long.term = Some(BrokerTerm::Long);
    let rec = reconcile(&l, &o, &r, &[short, long], 2025).unwrap();
    let m0 = rec.items[0].matched.as_ref().unwrap();
    let m1 = rec.items[1].matched.as_ref().unwrap();
    assert_eq!(m0.units, UnitsMatch::TermPart(Term::Short));
    assert_eq!(m1.units, UnitsMatch::TermPart(Term::Long));
    assert!(!m0.term_differs && !m1.term_differs);
    assert!(rec.only_ours.is_empty());
}

#[test]
fn the_brokers_basis_is_spread_by_our_basis_so_equal_totals_give_our_rows() {
    let (l, o, r) = setup(SPANS);
    let b = with_basis(br("cb", "BTC", "1.5", "2025-03-01", "90000"), "25000");
    let rec = reconcile(&l, &o, &r, &[b], 2025).unwrap();
    for (x, y) in rec.routed.iter().zip(&r) {
        assert_eq!((x.proceeds, x.cost_basis), (y.proceeds, y.cost_basis));
    }
    // One cent more in 1g lands on one row and the column still sums to 1g.
    let b = with_basis(br("cb", "BTC", "1.5", "2025-03-01", "90000"), "25000.01");
    let rec = reconcile(&l, &o, &r, &[b], 2025).unwrap();
    let e: Decimal = rec.routed.iter().map(|x| x.cost_basis).sum();
    assert_eq!(e, dec("25000.01"));
    let coded = rec
        .routed
        .iter()
        .filter(|x| x.adjustment_code == "B")
        .count();
    assert_eq!(coded, 1);
}

#[test]
fn spread_adds_up_exactly() {
    let one = Decimal::ONE;
    assert_eq!(
        spread(dec("100"), &[one, one, one], &[one, one, one]),
        vec![dec("33.33"), dec("33.34"), dec("33.33")]
    );
    let v = spread(
        dec("0.05"),
        &[dec("1"), dec("2"), dec("3"), dec("5")],
        &[one; 4],
    );
    assert_eq!(v.iter().sum::<Decimal>(), dec("0.05"));
    // Zero weights fall back to the quantities.
    assert_eq!(
        spread(
            dec("10"),
            &[Decimal::ZERO, Decimal::ZERO],
            &[dec("1"), dec("3")]
        ),
        vec![dec("2.50"), dec("7.50")]
    );
    // Huge amounts do not overflow.
    let big = dec("999999999999999.99");
    let v = spread(big, &[big, big, big], &[one; 3]);
    assert_eq!(v.iter().sum::<Decimal>(), big);
}

#[test]
fn identical_sales_the_same_day_match_in_ledger_order() {
    let rows = "\
b1,2025-01-10T12:00:00Z,cb,buy,10000,USD,1,BTC,,,,,,
b2,2025-01-11T12:00:00Z,cb,buy,20000,USD,1,BTC,,,,,,
s1,2025-03-01T10:00:00Z,cb,sell,1,BTC,12000,USD,,,,,,
s2,2025-03-01T11:00:00Z,cb,sell,1,BTC,12000,USD,,,,,,
";
    let (l, o, r) = setup(rows);
    let b = [
        with_basis(br("cb", "BTC", "1", "2025-03-01", "12000"), "10000"),
        with_basis(br("cb", "BTC", "1", "2025-03-01", "12000"), "20000"),
    ];
    let rec = reconcile(&l, &o, &r, &b, 2025).unwrap();
    assert!(rec.routed.iter().all(|x| x.adjustment_code.is_empty()));
    assert_eq!(rec.items[0].matched.as_ref().unwrap().disposal, 0);
}

#[test]
fn only_ours_and_accounts_without_a_1099da() {
    let rows = "\
b1,2025-01-10T12:00:00Z,cb,buy,10000,USD,2,BTC,,,,,,
s1,2025-03-01T12:00:00Z,cb,sell,1,BTC,12000,USD,,,,,,
s2,2025-04-01T12:00:00Z,cb,sell,1,BTC,13000,USD,,,,,,
k1,2025-01-10T12:00:00Z,kr,buy,100,USD,1,SOL,,,,,,
k2,2025-05-01T12:00:00Z,kr,sell,1,SOL,150,USD,,,,,,
";
    let (l, o, r) = setup(rows);
    let b = [
        br("cb", "BTC", "1", "2025-03-01", "12000"),
        br("cb", "ETH", "1", "2025-03-01", "1000"),
    ];
    let rec = reconcile(&l, &o, &r, &b, 2025).unwrap();
    assert_eq!((rec.matched(), rec.broker_only()), (1, 1));
    assert_eq!(rec.only_ours, vec![1]);
    assert_eq!(rec.no_1099da, vec![2]);
    assert_eq!(rec.routed[1].box_, Box8949::I);
    assert_eq!(rec.routed[2], r[2]);
    let s = Summary::of(&rec, &b, &r);
    assert_eq!(s.broker_proceeds, dec("13000"));
    assert_eq!(s.our_proceeds_only, dec("13000"));
    assert_eq!(s.broker_proceeds_only, dec("1000"));
}

#[test]
fn wash_code_is_kept() {
    let r = GainRow {
        disposal: 0,
        lot: 0,
        quantity: dec("1"),
        date_acquired: date("2025-01-01"),
        date_sold: date("2025-02-01"),
        term: Term::Short,
        box_: Box8949::I,
        proceeds: dec("80"),
        cost_basis: dec("100"),
        adjustment_code: crate::tax::AdjustmentCode::new("W").unwrap(),
        adjustment: dec("20"),
        gain: Decimal::ZERO,
        basis_rule: Default::default(),
    };
    let x = route_row(&r, dec("85"), None, false, None);
    assert_eq!(x.adjustment_code, "EW");
    assert_eq!(x.adjustment, dec("15"));
    assert_eq!(x.gain, Decimal::ZERO);
}

#[test]
fn unknown_account_and_other_year_are_errors() {
    let (l, o, r) = setup(SIMPLE);
    let e = reconcile(
        &l,
        &o,
        &r,
        &[br("coinbase", "BTC", "1", "2025-03-01", "1")],
        2025,
    )
    .unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("da.csv:2: account `coinbase` is not in the ledger (its accounts: cb)"),
        "{m}"
    );
    let e = reconcile(&l, &o, &r, &[br("cb", "BTC", "1", "2024-03-01", "1")], 2025).unwrap_err();
    assert!(e.to_string().contains("outside tax year 2025"), "{e}");
    // A day's grace at the edges of the year.
    assert!(reconcile(&l, &o, &r, &[br("cb", "BTC", "1", "2026-01-01", "1")], 2025).is_ok());
}

proptest::proptest! {
    /// Each broker row takes what a walk of its day's sales in ledger order
    /// finds (the first whose units it matches, on its date, then ±1 day),
    /// with the day's sales looked up by units: for sales of one or two terms,
    /// with and without a same-asset fee, at 2, 3 and 8 decimals.
    #[test]
    fn sales_looked_up_by_units_match_as_a_walk_of_the_day(
        sales in proptest::collection::vec((0u8..3, 1u32..6, 0u8..4, 0u8..3, 0u8..3), 0..60),
        asks in proptest::collection::vec((0u8..4, 1u32..12, 0u8..4, 0u8..3), 0..80),
    ) {
        let day0 = date("2025-03-01");
        let day = |d: u8| day0 + chrono::Duration::days(i64::from(d));
        let q = |base: u32, noise: u8| Decimal::new(i64::from(base) * 100_000 + i64::from(noise) * 3, 8);
        let mut cands: Vec<Candidate<'_>> = Vec::new();
        let mut by_key: HashMap<(&str, String, NaiveDate), Vec<usize>> = HashMap::new();
        for (i, &(d, base, noise, fee, split)) in sales.iter().enumerate() {
            let qty = q(base, noise);
            let sent = (fee > 0).then(|| qty - Decimal::new(i64::from(fee) * 1000, 8));
            let parts = match split {
                0 => vec![(Term::Short, vec![2 * i], qty)],
                _ => {
                    let short = Decimal::new(i64::from(split) * 100_000, 8).min(qty);
                    vec![(Term::Short, vec![2 * i], short), (Term::Long, vec![2 * i + 1], qty - short)]
                }
            };
            by_key.entry(("a", "BTC".to_string(), day(d))).or_default().push(cands.len());
            cands.push(Candidate { disposal: i as u32, account: "a", qty, sent, used: vec![false; parts.len()], parts });
        }
        let asks: Vec<Ask<'_>> = asks
            .iter()
            .map(|&(d, base, noise, scale)| {
                let units = q(base, noise)
                    .round_dp_with_strategy([2, 3, 8][scale as usize], RoundingStrategy::MidpointAwayFromZero);
                let units = Decimal::new(units.mantissa() as i64, units.scale()).round_dp([2, 3, 8][scale as usize]);
                ("a", "BTC".to_string(), day(d), units)
            })
            .collect();
        let mut walked = cands.clone();
        let mut want: Vec<Option<Found>> = vec![None; asks.len()];
        for shifts in [&[0i64][..], &[-1, 1]] {
            for (bi, (account, asset, sold, units)) in asks.iter().enumerate() {
                if want[bi].is_some() {
                    continue;
                }
                'shift: for &shift in shifts {
                    let key = (*account, asset.clone(), *sold + chrono::Duration::days(shift));
                    for &ci in by_key.get(&key).into_iter().flatten() {
                        if let Some((how, taken)) = take(&mut walked[ci], *units) {
                            want[bi] = Some((ci, how, taken, shift));
                            break 'shift;
                        }
                    }
                }
            }
        }
        let got = find_matches(&asks, &by_key, &mut cands);
        proptest::prop_assert_eq!(got, want);
        let used = |c: &[Candidate<'_>]| c.iter().map(|c| c.used.clone()).collect::<Vec<_>>();
        proptest::prop_assert_eq!(used(&cands), used(&walked));
    }
}
