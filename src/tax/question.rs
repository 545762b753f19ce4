//! The digital-asset question at the top of Form 1040: "At any time during
//! the year, did you: (a) receive (as a reward, award, or payment for property
//! or services); or (b) sell, exchange, or otherwise dispose of a digital asset
//! (or a financial interest in a digital asset)?" (Form 1040 for 2022 through
//! 2025, and its instructions, which list what counts as Yes and what does not).
//!
//! Yes: a sale; an exchange for another digital asset; paying for property or
//! services; digital assets received as income (a reward, award, payment,
//! mining, staking, a hard fork); a fee or network fee paid in a digital asset
//! (a disposal on Form 8949); a gift given or a donation (harvest reads "otherwise
//! dispose of" to cover them: the safe answer). No, by themselves: buying with
//! dollars, moving coins between one's own wallets and accounts, holding,
//! receiving a gift or an inheritance, coins lost or stolen.

use chrono::Datelike;

use super::audit::Source;
use crate::model::{Kind, Ledger, Row};
use crate::time::date_in;

/// One kind of row the answer rests on: how many, and the first of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason<'a> {
    /// What the rows did, as the instructions say it.
    pub what: &'static str,
    pub count: usize,
    pub first: Source<'a>,
}

/// The answer for a year, with the rows that decide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<'a> {
    pub year: i32,
    pub yes: bool,
    /// The rows that make it Yes, by what they did.
    pub yes_because: Vec<Reason<'a>>,
    /// Rows of the year that do not count by themselves.
    pub not_counted: Vec<Reason<'a>>,
}

impl<'a> Answer<'a> {
    /// Every reason, Yes ones first, each with whether it makes the answer Yes.
    pub fn reasons(&self) -> impl Iterator<Item = (bool, &Reason<'a>)> {
        let yes = self.yes_because.iter().map(|r| (true, r));
        yes.chain(self.not_counted.iter().map(|r| (false, r)))
    }
}

/// How a row bears on the question: `Some((true, what))` makes it Yes,
/// `Some((false, what))` does not count by itself.
fn classify(row: &Row) -> Option<(bool, &'static str)> {
    let crypto_fee = row
        .fee
        .is_some_and(|f| !f.asset.is_money() && !f.qty.is_zero());
    let sent_crypto = row.sent.is_some_and(|a| !a.asset.is_money());
    let received_crypto = row.received.is_some_and(|a| !a.asset.is_money());
    Some(match row.kind {
        Kind::Sell if sent_crypto => (true, "sold a digital asset"),
        Kind::Trade if sent_crypto && received_crypto => {
            (true, "exchanged a digital asset for another")
        }
        Kind::Trade | Kind::Sell if sent_crypto => (true, "sold a digital asset"),
        Kind::Spend => (true, "paid for property or services with a digital asset"),
        Kind::Income => (
            true,
            "received a digital asset as a reward, award or payment (income)",
        ),
        Kind::Fee => (true, "paid a fee in a digital asset (a disposal)"),
        Kind::GiftOut | Kind::Donation => (
            true,
            "gave a digital asset away (a gift or donation: otherwise disposed of)",
        ),
        Kind::Buy | Kind::Trade | Kind::Sell if crypto_fee => {
            (true, "paid a fee in a digital asset (a disposal)")
        }
        Kind::Withdrawal if crypto_fee => {
            (true, "paid a network fee in a digital asset (a disposal)")
        }
        Kind::Buy => (false, "bought a digital asset with money"),
        Kind::Deposit | Kind::Withdrawal => (
            false,
            "moved digital assets between wallets and accounts (one's own)",
        ),
        Kind::GiftIn | Kind::Inheritance => (false, "received a gift or an inheritance"),
        Kind::Lost => (false, "lost digital assets, or had them stolen"),
        _ => return None,
    })
}

/// The answer for `year` (calendar year in `tz`) from the ledger's rows.
pub fn digital_asset_question(ledger: &Ledger, year: i32, tz: chrono_tz::Tz) -> Answer<'_> {
    let mut yes: Vec<Reason<'_>> = Vec::new();
    let mut no: Vec<Reason<'_>> = Vec::new();
    for row in &ledger.rows {
        let y = date_in(row.time, tz).year();
        if y < year {
            continue;
        }
        if y > year {
            break;
        }
        let Some((counts, what)) = classify(row) else {
            continue;
        };
        let list = if counts { &mut yes } else { &mut no };
        match list.iter_mut().find(|r| r.what == what) {
            Some(r) => r.count += 1,
            None => list.push(Reason {
                what,
                count: 1,
                first: Source::of(ledger, row),
            }),
        }
    }
    Answer {
        year,
        yes: !yes.is_empty(),
        yes_because: yes,
        not_counted: no,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LedgerBuilder;
    use chrono_tz::Tz;

    fn ledger(rows: &str) -> Ledger {
        let text = format!(
            "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n{rows}"
        );
        let mut b = LedgerBuilder::new(Tz::UTC);
        b.read_csv(text.as_bytes(), "ledger.csv").unwrap();
        b.finish().unwrap()
    }

    /// Buying with dollars and moving coins to one's own wallet: No.
    #[test]
    fn buying_and_moving_is_no() {
        let l = ledger(
            "b1,2025-01-05T00:00:00Z,coinbase,buy,1000,USD,0.01,BTC,1,USD,,,,\n\
w1,2025-02-01T00:00:00Z,coinbase,withdrawal,0.01,BTC,,,,,,,t1,\n\
d1,2025-02-01T01:00:00Z,ledger,deposit,,,0.01,BTC,,,,,t1,\n\
s1,2024-06-01T00:00:00Z,coinbase,sell,0.5,ETH,1000,USD,,,,,,\n",
        );
        let a = digital_asset_question(&l, 2025, Tz::UTC);
        assert!(!a.yes);
        assert!(a.yes_because.is_empty());
        let what: Vec<(&str, usize)> = a.not_counted.iter().map(|r| (r.what, r.count)).collect();
        assert_eq!(
            what,
            [
                ("bought a digital asset with money", 1),
                (
                    "moved digital assets between wallets and accounts (one's own)",
                    2
                )
            ]
        );
    }

    /// A sale, a staking reward, a network fee in BTC: Yes, each listed with
    /// its first row.
    #[test]
    fn a_sale_or_income_is_yes() {
        let l = ledger(
            "b1,2025-01-05T00:00:00Z,coinbase,buy,1000,USD,0.01,BTC,,,,,,\n\
i1,2025-03-01T00:00:00Z,kraken,income,,,1,DOT,,,6,,,\n\
w1,2025-04-01T00:00:00Z,coinbase,withdrawal,0.005,BTC,,,0.0001,BTC,,5,,\n\
s1,2025-05-01T00:00:00Z,kraken,sell,1,DOT,7,USD,,,,,,\n\
s2,2025-06-01T00:00:00Z,kraken,sell,1,DOT,7,USD,,,,,,\n",
        );
        let a = digital_asset_question(&l, 2025, Tz::UTC);
        assert!(a.yes);
        let what: Vec<(&str, usize, &str)> = a
            .yes_because
            .iter()
            .map(|r| (r.what, r.count, r.first.id))
            .collect();
        assert_eq!(
            what,
            [
                (
                    "received a digital asset as a reward, award or payment (income)",
                    1,
                    "i1"
                ),
                (
                    "paid a network fee in a digital asset (a disposal)",
                    1,
                    "w1"
                ),
                ("sold a digital asset", 2, "s1"),
            ]
        );
    }
}
