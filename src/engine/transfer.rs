//! Pairing withdrawals with deposits (SPEC section 3, Transfers).
//!
//! First by txid (same asset, the earliest unpaired withdrawal); then each deposit
//! still unpaired takes the earliest unpaired withdrawal of the same asset, from
//! another account, whose quantity is at least the deposit's, made 0 to 48 hours
//! before it, where the two rows do not carry different txids.

use rustc_hash::FxHashMap as HashMap;

use chrono::Duration;

use super::EngineError;
use crate::model::{Kind, Ledger, Sym};

/// The partner of each withdrawal and deposit row, by row index. With `only`
/// (by symbol), just the transfers of those assets are paired: transfers pair
/// within one asset, so each shard of a run pairs its own.
pub fn pair(ledger: &Ledger, only: Option<&[bool]>) -> Result<Vec<Option<u32>>, Box<EngineError>> {
    let wanted = |a: Option<crate::model::Amount>| {
        a.is_some_and(|a| only.is_none_or(|m| m.get(a.asset.0 as usize).copied().unwrap_or(false)))
    };
    let rows = &ledger.rows;
    let mut partner: Vec<Option<u32>> = vec![None; rows.len()];
    // Only the transfer rows, which the ledger noted while sorting.
    let (mut withdrawals, mut deposits) = (Vec::new(), Vec::new());
    for &i in ledger.transfers() {
        let r = &rows[i as usize];
        match r.kind {
            Kind::Withdrawal if wanted(r.sent) => withdrawals.push(i),
            Kind::Deposit if wanted(r.received) => deposits.push(i),
            _ => {}
        }
    }
    // The withdrawals of each (txid, asset), oldest first, as a chain through
    // `next` (by position in `withdrawals`): txids are nearly always unique, so a
    // queue per txid would be an allocation per withdrawal.
    const END: u32 = u32::MAX;
    let mut by_txid: HashMap<(&str, Sym), (u32, u32)> = HashMap::default();
    by_txid.reserve(withdrawals.len());
    let mut next = vec![END; withdrawals.len()];
    let mut by_asset: HashMap<Sym, Vec<u32>> = HashMap::default();
    for (k, &i) in withdrawals.iter().enumerate() {
        let r = &rows[i as usize];
        let Some(sent) = r.sent else { continue };
        if let Some(tx) = &r.txid {
            let k = k as u32;
            by_txid
                .entry((tx, sent.asset))
                .and_modify(|(_, tail)| {
                    next[*tail as usize] = k;
                    *tail = k;
                })
                .or_insert((k, k));
        }
        by_asset.entry(sent.asset).or_default().push(i);
    }
    for &j in &deposits {
        let (j, d) = (j as usize, &rows[j as usize]);
        let (Some(tx), Some(recv)) = (&d.txid, d.received) else {
            continue;
        };
        let Some(queue) = by_txid.get_mut(&(&**tx, recv.asset)) else {
            continue;
        };
        let head = queue.0;
        if head == END {
            continue;
        }
        queue.0 = next[head as usize];
        let w = withdrawals[head as usize];
        let wr = &rows[w as usize];
        let sent = wr.sent.map_or_else(Default::default, |s| s.qty);
        if recv.qty > sent {
            return Err(EngineError::DepositExceedsWithdrawal {
                at: ledger.locate(d),
                withdrawal: ledger.locate(wr),
                deposited: recv.qty.normalize().to_string(),
                sent: sent.normalize().to_string(),
                asset: ledger.syms.name(recv.asset).to_string(),
            }
            .into());
        }
        partner[j] = Some(w);
        partner[w as usize] = Some(j as u32);
    }
    let window = Duration::hours(48);
    for &j in &deposits {
        let (j, d) = (j as usize, &rows[j as usize]);
        if partner[j].is_some() {
            continue;
        }
        let Some(recv) = d.received else { continue };
        let Some(cands) = by_asset.get(&recv.asset) else {
            continue;
        };
        let from = d.time - window;
        let start = cands.partition_point(|&w| rows[w as usize].time < from);
        for &w in &cands[start..] {
            let wr = &rows[w as usize];
            if wr.time > d.time {
                break;
            }
            if partner[w as usize].is_some() || wr.account == d.account {
                continue;
            }
            if let (Some(a), Some(b)) = (&wr.txid, &d.txid)
                && a != b
            {
                continue;
            }
            if wr.sent.is_some_and(|s| s.qty >= recv.qty) {
                partner[j] = Some(w);
                partner[w as usize] = Some(j as u32);
                break;
            }
        }
    }
    Ok(partner)
}
