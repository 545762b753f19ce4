//! Identification in time (Treas. Reg. §1.1012-1(j), RULES.md §7.1): from 2025 the
//! lots a disposal sells are the ones a specific identification or a standing
//! order recorded no later than the sale names; otherwise FIFO within the wallet.
//! LIFO and HIFO are valid only as such a standing order.

use chrono::{DateTime, NaiveDate, Utc};

use super::{DisposalKind, Engine, Method};
use crate::model::{Ledger, Row, Sym};
use crate::time::date_in;

/// The first day the identification rules apply to.
pub const IDENTIFY_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2025, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// A standing order from harvest.toml: from `from` on, disposals from `accounts`
/// (every account when empty) take their lots by `method`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandingOrder {
    /// When it was recorded: it covers sales at or after this instant.
    pub from: DateTime<Utc>,
    /// FIFO, LIFO or HIFO.
    pub method: Method,
    /// Account names; empty for all.
    pub accounts: Vec<String>,
}

/// A standing order resolved against the ledger.
pub(super) struct Standing {
    from: DateTime<Utc>,
    /// Index into the engine's orders.
    order: usize,
    /// `None` for every account.
    accounts: Option<Vec<Sym>>,
}

/// The orders pools are kept in (the method's first, then the others standing
/// orders and strict identification need), and the standing orders by time.
pub(super) fn plan(ledger: &Ledger, cfg: &super::Config) -> (Vec<Method>, Vec<Standing>) {
    let primary = match cfg.method {
        Method::Specific => Method::Fifo,
        m => m,
    };
    let mut orders = vec![primary];
    let mut index = |m: Method| {
        let m = if m == Method::Specific {
            Method::Fifo
        } else {
            m
        };
        match orders.iter().position(|&o| o == m) {
            Some(i) => i,
            None => {
                orders.push(m);
                orders.len() - 1
            }
        }
    };
    let mut standing: Vec<Standing> = cfg
        .standing_orders
        .iter()
        .map(|so| Standing {
            from: so.from,
            order: index(so.method),
            accounts: (!so.accounts.is_empty()).then(|| {
                so.accounts
                    .iter()
                    .filter_map(|a| ledger.syms.get(a))
                    .collect()
            }),
        })
        .collect();
    // FIFO is the law's default from 2025: kept beside LIFO or HIFO only when
    // the ledger reaches 2025, so that older ledgers keep one order.
    if !cfg.late_identification
        && ledger
            .rows
            .last()
            .is_some_and(|r| date_in(r.time, cfg.tz) >= IDENTIFY_FROM)
    {
        index(Method::Fifo);
    }
    // Stable: of two orders from the same instant, the later listed wins.
    standing.sort_by_key(|s| s.from);
    (orders, standing)
}

impl Engine<'_> {
    /// Warns about accounts a standing order names that the ledger never uses
    /// (a typo would otherwise silently leave the account on `--method`).
    pub(super) fn warn_unknown_standing_accounts(&mut self) {
        for so in &self.cfg.standing_orders {
            for a in &so.accounts {
                if self.ledger.syms.get(a).is_none() {
                    self.out.warnings.add(
                        "standing order for an unknown account",
                        format!(
                            "harvest.toml: the standing order from {} names account {a:?}, which no ledger row uses; check the spelling",
                            so.from.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                        ),
                    );
                }
            }
        }
    }

    /// The standing order covering a sale on `row`, as an index into the orders.
    fn standing_for(&self, row: &Row) -> Option<usize> {
        self.standing
            .iter()
            .rev()
            .find(|s| {
                s.from <= row.time && s.accounts.as_ref().is_none_or(|a| a.contains(&row.account))
            })
            .map(|s| s.order)
    }

    /// How the lots leaving on `row` are picked: the order to take them in, and
    /// whether the selections file comes first. `disposal` is `None` for a
    /// transfer, which follows the same rules without a warning.
    pub(super) fn identify(
        &mut self,
        row: &Row,
        disposal: Option<DisposalKind>,
        asset: Sym,
    ) -> (usize, bool) {
        let standing = self.standing_for(row);
        let fifo = self.orders.iter().position(|&m| m == Method::Fifo);
        let sale = matches!(disposal, Some(DisposalKind::Sale | DisposalKind::FeeAsset));
        if self.cfg.method == Method::Specific {
            // The selections are the identification; what they leave is taken by
            // the standing order, else FIFO (the primary order).
            return (standing.unwrap_or(0), sale);
        }
        if let Some(j) = standing {
            return (j, false);
        }
        if self.orders[0] == Method::Fifo || date_in(row.time, self.cfg.tz) < IDENTIFY_FROM {
            return (0, false);
        }
        let method = self.orders[0].as_str().to_uppercase();
        if !self.cfg.late_identification
            && let Some(f) = fifo
        {
            if sale {
                let (ledger, name) = (self.ledger, self.name(asset).to_string());
                self.out
                    .warnings
                    .add_with("taken FIFO: not identified in time", || {
                        format!(
                            "{}: no standing order or selection recorded by the sale covers this disposal of {name}: its lots are taken FIFO, the law's default from 2025 (Treas. Reg. 1.1012-1(j)), not {method}; record a standing order in harvest.toml ([[standing_order]]) for {method} to apply",
                            ledger.locate(row)
                        )
                    });
            }
            return (f, false);
        }
        self.out.late_identified += 1;
        if sale {
            let (ledger, name) = (self.ledger, self.name(asset).to_string());
            self.out
                .warnings
                .add_with("method not identified in time (--late-identification)", || {
                    format!(
                        "{}: {method} picks the lots of this disposal of {name} (--late-identification), but from 2025 only a standing order or a specific identification recorded by the sale may (Treas. Reg. 1.1012-1(j)), else FIFO in the wallet: a what-if, not a filing position",
                        ledger.locate(row)
                    )
                });
        }
        (0, false)
    }
}
