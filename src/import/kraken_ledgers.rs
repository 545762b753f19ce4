//! Kraken `ledgers.csv`: every balance change, in all header versions (with or
//! without `subtype`, `wallet`, `subclass`, `amountusd`).
//!
//! Fee convention: Kraken's `fee` is charged in the row's asset in addition to
//! `amount` (balance = old + amount - fee). That is the ledger's convention, so a
//! trade leg's amount goes to sent/received as is and its fee to the fee columns.
//!
//! The rows of one trade (`trade`, or `spend`/`receive` for the Buy Crypto
//! button) share a `refid`; they are summed per asset (one order can be filled
//! from several wallets) and become one ledger row whose id is `kraken-<refid>`,
//! the trade's `txid` in trades.csv; the same trade in both exports is booked
//! once, from here (`Importer`). A deposit or withdrawal written twice (an
//! "initiated" copy with an empty balance, then the completed one) is counted
//! once. Asset codes are normalized:
//! `XXBT`/`XBT` -> `BTC`, `XXDG` -> `DOGE`, `XETH` -> `ETH`, `ZUSD` -> `USD`, …, and
//! the staking suffixes `.S`, `.M`, `.P`, `.F`, `.B`, `.HOLD` (and bonded forms
//! like `DOT28.S`) are dropped: staked units are the same asset. `ETH2` stays
//! `ETH2` (Kraken never redeemed it 1:1 before Shanghai).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::sheet::{DataRows, hand_over};
use super::{
    Cx, Draft, Entry, ISO_NAIVE, ImportError, RowStream, Sheet, SheetRow, TradeIn, is_fiat,
    parse_time_cell,
};
use crate::model::{Category, Kind};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("txid")
        && has("refid")
        && has("time")
        && has("type")
        && has("asset")
        && has("amount")
        && has("fee")
        && !has("ordertxid")
}

/// Kraken's asset code as the ledger's.
pub(crate) fn asset_name(code: &str) -> String {
    let mut a = code.trim().to_ascii_uppercase();
    for suffix in [".HOLD", ".S", ".M", ".P", ".F", ".B"] {
        if let Some(base) = a.strip_suffix(suffix) {
            // Bonded forms carry a two-digit duration: DOT28.S -> DOT, but
            // ETH2.S -> ETH2.
            let trimmed = base.trim_end_matches(|c: char| c.is_ascii_digit());
            let digits = base.len() - trimmed.len();
            a = if digits >= 2 && !trimmed.is_empty() {
                trimmed.to_string()
            } else {
                base.to_string()
            };
            break;
        }
    }
    let mapped = match a.as_str() {
        "XXBT" | "XBT" => "BTC",
        "XXDG" | "XDG" => "DOGE",
        "XETH" => "ETH",
        "XLTC" => "LTC",
        "XXRP" => "XRP",
        "XXLM" => "XLM",
        "XXMR" => "XMR",
        "XZEC" => "ZEC",
        "XETC" => "ETC",
        "XMLN" => "MLN",
        "XREP" => "REP",
        "XICN" => "ICN",
        "ZUSD" => "USD",
        "ZEUR" => "EUR",
        "ZGBP" => "GBP",
        "ZCAD" => "CAD",
        "ZJPY" => "JPY",
        "ZAUD" => "AUD",
        "ZCHF" => "CHF",
        other => other,
    };
    mapped.to_string()
}

struct Leg {
    line: u64,
    typ: String,
    subtype: String,
    asset: String,
    amount: Decimal,
    fee: Decimal,
    amount_usd: Option<Decimal>,
    txid: String,
    refid: String,
    balance_empty: bool,
    /// Kraken's own code (`DOT.S`, `XXBT`) and its balance after the row.
    code: String,
    balance: Option<Decimal>,
    time: DateTime<Utc>,
}

/// The columns of the export, found in its header.
struct Cols {
    txid: usize,
    refid: usize,
    time: usize,
    typ: usize,
    sub: Option<usize>,
    asset: usize,
    amount: usize,
    fee: usize,
    balance: Option<usize>,
    usd: Option<usize>,
    /// A trailing empty header cell ("") is allowed to be missing from rows.
    tail: usize,
}

/// What a data row is. (A leg is moved once or twice, from the row to its
/// place in [`Order`]: boxing it would cost an allocation a row.)
#[allow(clippy::large_enum_variant)]
enum Read {
    /// A problem was reported for it.
    Bad,
    /// A blank or footer row.
    Blank(u64),
    /// A row repeated whole (see [`Repeats`]).
    Repeat(u64),
    Leg(Leg),
}

impl Cols {
    fn of(sheet: &Sheet, cx: &mut Cx) -> Self {
        Cols {
            txid: sheet.need(cx, &["txid"]),
            refid: sheet.need(cx, &["refid"]),
            time: sheet.need(cx, &["time"]),
            typ: sheet.need(cx, &["type"]),
            sub: sheet.col(&["subtype"]),
            asset: sheet.need(cx, &["asset"]),
            amount: sheet.need(cx, &["amount"]),
            fee: sheet.need(cx, &["fee"]),
            balance: sheet.col(&["balance"]),
            usd: sheet.col(&["amountusd"]),
            tail: usize::from(sheet.header.last().is_some_and(|h| h.is_empty())),
        }
    }

    /// Reads a data row, reporting its problems.
    fn read(&self, sheet: &Sheet, cx: &mut Cx, row: &SheetRow) -> Read {
        if !sheet.check_width(cx, row, self.tail) {
            return Read::Bad;
        }
        if row.is_blank() || row.get(self.time).is_empty() {
            return Read::Blank(row.line);
        }
        let time = parse_time_cell(cx, row, self.time, "time", &ISO_NAIVE, chrono_tz::Tz::UTC);
        let amount = cx.required(row, self.amount, "amount");
        let fee = cx.number(row, self.fee, "fee");
        let amount_usd = self.usd.and_then(|i| cx.number(row, i, "amountusd"));
        let balance = self.balance.and_then(|i| cx.number(row, i, "balance"));
        let asset = cx.required_asset(row, self.asset, "asset");
        let (Some(time), Some(amount), Some(asset)) = (time, amount, asset) else {
            return Read::Bad;
        };
        Read::Leg(Leg {
            line: row.line,
            typ: row.get(self.typ).to_ascii_lowercase(),
            subtype: self.sub.map_or("", |i| row.get(i)).to_ascii_lowercase(),
            asset: asset_name(asset),
            amount,
            fee: fee.unwrap_or_default().abs(),
            amount_usd,
            txid: row.get(self.txid).to_string(),
            refid: row.get(self.refid).to_string(),
            balance_empty: self.balance.is_some_and(|i| row.get(i).is_empty()),
            code: asset.trim().to_ascii_uppercase(),
            balance,
            time,
        })
    }
}

/// Reads the data rows twice, those already in `sheet` and then the rest of
/// `stream`, and again from `again` (a second reading of the same rows), so
/// that the export is never held whole: the first reading finds every row's
/// problems and what a row's entries depend on in rows after it (which
/// refids have a completed copy of a deposit or withdrawal, or a staking
/// transfer, and the last leg of each trade); the second makes the entries
/// and gives them to `emit` in the order the rows were read, each trade at
/// its first leg's place, holding only the rows from a trade's first leg to
/// its last.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    again: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let cols = Cols::of(sheet, cx);
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    let mut facts = Facts {
        balances: cx.keep_balances,
        ..Facts::default()
    };
    let mut rows = DataRows::new(sheet, stream);
    let mut repeats = Repeats::default();
    while let Some(r) = rows.next()? {
        facts.add(if repeats.check(&cols, r) {
            Read::Repeat(r.line)
        } else {
            cols.read(sheet, cx, r)
        });
    }
    if cx.failed() {
        return Ok(());
    }
    facts.report_balances(cx);
    let mut order = Order::new(facts);
    let Repeats {
        lines: repeated, ..
    } = repeats;
    let mut rows = DataRows::new(sheet, again);
    while let Some(r) = rows.next()? {
        let read = if repeated.contains(&r.line) {
            Read::Repeat(r.line)
        } else {
            cols.read(sheet, cx, r)
        };
        order.take(read, cx, emit);
    }
    order.finish(cx, emit);
    Ok(())
}

/// Why a row repeated whole is skipped.
const REPEATED_ROW: &str = "a ledger row repeated whole, its txid included (an export joined \
                            with one overlapping it): counted once";

/// The rows the first reading finds repeated whole. Kraken names each
/// ledger row by its own txid, so a row with a txid and every cell of an
/// earlier row is that row again (two overlapping exports joined into one
/// file), not a second event: without this, a trade's legs repeated were
/// netted twice. A txid on rows that differ is left as before (numbered).
#[derive(Default)]
struct Repeats {
    /// The key of each row with a txid (dropped with the first reading): a
    /// 64-bit SipHash of its txid beside a 64-bit FxHash of its cells. Two
    /// rows share one only by a collision of both, or by a txid Kraken gave
    /// two rows (never seen) and a collision of the cells' hash; SipHash of
    /// every cell took a tenth of the import.
    seen: rustc_hash::FxHashSet<u128>,
    /// The lines of the rows repeated, for the second reading.
    lines: rustc_hash::FxHashSet<u64>,
}

impl Repeats {
    /// Whether `row` repeats an earlier row whole (it is then noted). A
    /// footer (`Total,,,`: no time) is one each time, as [`Cols::read`] says.
    fn check(&mut self, cols: &Cols, row: &SheetRow) -> bool {
        let txid = row.get(cols.txid).trim();
        if txid.is_empty() || row.get(cols.time).is_empty() || self.seen.insert(row_key(txid, row))
        {
            return false;
        }
        self.lines.insert(row.line);
        true
    }
}

/// [`Repeats::seen`]'s key of a row with `txid`.
fn row_key(txid: &str, row: &SheetRow) -> u128 {
    use std::hash::Hasher;
    let mut id = siphasher::sip::SipHasher13::new();
    id.write(txid.as_bytes());
    let mut cells = rustc_hash::FxHasher::default();
    row.hash_cells(&mut cells);
    (u128::from(id.finish()) << 64) | u128::from(cells.finish())
}

/// What the first reading learns of the rows: what an entry depends on in
/// the rows after it, and the balances the export states.
#[derive(Default)]
struct Facts {
    /// (refid, type, asset) of every row outside a trade that states a
    /// balance (a completed copy of a deposit or withdrawal): only a row
    /// outside a trade may be an initiated copy, and it is looked up by its
    /// own type and refid.
    completed: HashSet<Box<str>>,
    /// Refids of staking transfers: the deposit/withdrawal pair around them is
    /// an internal move (pre-2023 staking).
    staking: HashSet<String>,
    /// The line of each trade's last leg, in the order of their first legs.
    last_legs: Vec<u64>,
    /// Each trade's place in `last_legs`, by refid (dropped with the first
    /// reading).
    trades: HashMap<String, usize>,
    /// A hash of the id each row outside a trade is named by, and how many
    /// such rows share it (at most two counted): only ids that may repeat are
    /// counted by name when the entries are made.
    bases: rustc_hash::FxHashMap<u64, u8>,
    /// The balances the rows state, with their asset codes named once (when
    /// `balances`: they are kept).
    balances: bool,
    stated: Vec<Stated>,
    names: Vec<String>,
    named: HashMap<String, u32>,
}

/// A balance a row states: Kraken's code and asset (as indices into
/// [`Facts::names`]) and its balance after the row.
struct Stated {
    time: DateTime<Utc>,
    line: u64,
    code: u32,
    asset: u32,
    balance: Decimal,
}

/// The key of a row in [`Facts::completed`]: the lengths first, so that no
/// two triples share one.
fn completed_key(l: &Leg) -> Box<str> {
    format!(
        "{}:{}:{}{}{}",
        l.refid.len(),
        l.typ.len(),
        l.refid,
        l.typ,
        l.asset
    )
    .into_boxed_str()
}

/// The hash of a row's id in [`Facts::bases`].
fn base_hash(base: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    base.hash(&mut h);
    h.finish()
}

/// The exchange's id a row outside a trade is named by.
fn base_of(l: &Leg) -> &str {
    if l.txid.is_empty() { &l.refid } else { &l.txid }
}

impl Facts {
    fn add(&mut self, read: Read) {
        let Read::Leg(l) = read else { return };
        if in_group(&l) {
            match self.trades.get(&l.refid) {
                Some(&k) => self.last_legs[k] = l.line,
                None => {
                    self.trades.insert(l.refid.clone(), self.last_legs.len());
                    self.last_legs.push(l.line);
                }
            }
        } else {
            if !l.balance_empty {
                self.completed.insert(completed_key(&l));
            }
            let n = self.bases.entry(base_hash(base_of(&l))).or_default();
            *n = (*n + 1).min(2);
        }
        if l.typ == "transfer"
            && is_internal_transfer(&l.subtype)
            && !self.staking.contains(&l.refid)
        {
            self.staking.insert(l.refid.clone());
        }
        if let Some(balance) = l.balance
            && self.balances
            && !is_fiat(&l.asset)
            && l.asset != "KFEE"
        {
            let (code, asset) = (self.name(&l.code), self.name(&l.asset));
            self.stated.push(Stated {
                time: l.time,
                line: l.line,
                code,
                asset,
                balance,
            });
        }
    }

    fn name(&mut self, s: &str) -> u32 {
        if let Some(&k) = self.named.get(s) {
            return k;
        }
        let k = self.names.len() as u32;
        self.names.push(s.to_string());
        self.named.insert(s.to_string(), k);
        k
    }

    /// Kraken's balance of each asset after each row that states one, for the
    /// comparison with the ledger's (`harvest balances`): the balances of
    /// every code of one asset (spot `DOT`, staked `DOT.S`, bonded `DOT28.S`)
    /// summed, as harvest holds them as one. Fiat and fee credits are not
    /// lots.
    fn report_balances(&mut self, cx: &mut Cx) {
        let mut stated = std::mem::take(&mut self.stated);
        stated.sort_by_key(|s| (s.time, s.line));
        let names = &self.names;
        let mut by_code: BTreeMap<&str, (u32, Decimal)> = BTreeMap::new();
        for s in stated {
            by_code.insert(&names[s.code as usize], (s.asset, s.balance));
            let total = by_code
                .values()
                .filter(|(a, _)| *a == s.asset)
                .map(|(_, b)| *b)
                .sum();
            cx.report_balance(s.line, s.time, &names[s.asset as usize], total);
        }
    }
}

/// A row or trade waiting for its turn to be made into entries (few wait:
/// the rows from a trade's first leg to its last).
#[allow(clippy::large_enum_variant)]
enum Item {
    Blank(u64),
    Repeat(u64),
    Row(Leg),
    /// A trade's legs so far, and the line of its last.
    Trade {
        legs: Vec<Leg>,
        last: u64,
    },
}

impl Item {
    fn ready(&self) -> bool {
        match self {
            Item::Trade { legs, last } => legs.last().is_some_and(|l| l.line == *last),
            _ => true,
        }
    }
}

/// The second reading: rows and trades in the order of the rows (a trade at
/// its first leg), made into entries as soon as every item before them is.
struct Order {
    items: VecDeque<Item>,
    /// The number of items made so far: `items[0]`'s place in the order.
    made: usize,
    /// The place of each trade not yet complete, by refid.
    open: HashMap<String, usize>,
    last_legs: std::vec::IntoIter<u64>,
    completed: HashSet<Box<str>>,
    staking: HashSet<String>,
    /// The ids that may repeat ([`Facts::bases`] counted two), and how many
    /// rows used each so far.
    repeats: rustc_hash::FxHashSet<u64>,
    used_ids: HashMap<String, usize>,
    out: Vec<Entry>,
}

impl Order {
    fn new(facts: Facts) -> Self {
        Order {
            items: VecDeque::new(),
            made: 0,
            open: HashMap::new(),
            last_legs: facts.last_legs.into_iter(),
            completed: facts.completed,
            staking: facts.staking,
            repeats: facts
                .bases
                .into_iter()
                .filter(|&(_, n)| n > 1)
                .map(|(h, _)| h)
                .collect(),
            used_ids: HashMap::new(),
            out: Vec::new(),
        }
    }

    fn take(&mut self, read: Read, cx: &mut Cx, emit: &mut dyn FnMut(&mut Cx, Entry)) {
        match read {
            Read::Bad => return,
            Read::Blank(line) => self.items.push_back(Item::Blank(line)),
            Read::Repeat(line) => self.items.push_back(Item::Repeat(line)),
            Read::Leg(l) if in_group(&l) => match self.open.get(&l.refid) {
                Some(&k) => {
                    if let Some(Item::Trade { legs, last }) = self.items.get_mut(k - self.made) {
                        if l.line == *last {
                            self.open.remove(&l.refid);
                        }
                        legs.push(l);
                    }
                }
                None => {
                    let last = self.last_legs.next().unwrap_or(l.line);
                    if l.line != last {
                        self.open
                            .insert(l.refid.clone(), self.made + self.items.len());
                    }
                    self.items.push_back(Item::Trade {
                        legs: vec![l],
                        last,
                    });
                }
            },
            Read::Leg(l) => self.items.push_back(Item::Row(l)),
        }
        while self.items.front().is_some_and(Item::ready) {
            if let Some(item) = self.items.pop_front() {
                self.made += 1;
                self.make(item, cx, emit);
            }
        }
    }

    /// Makes what is left (only when the second reading found fewer legs of
    /// a trade than the first).
    fn finish(&mut self, cx: &mut Cx, emit: &mut dyn FnMut(&mut Cx, Entry)) {
        while let Some(item) = self.items.pop_front() {
            self.made += 1;
            self.make(item, cx, emit);
        }
    }

    fn make(&mut self, item: Item, cx: &mut Cx, emit: &mut dyn FnMut(&mut Cx, Entry)) {
        match item {
            Item::Blank(line) => self.out.push(Entry::skip(line, "blank or footer row")),
            Item::Repeat(line) => self.out.push(Entry::skip(line, REPEATED_ROW)),
            Item::Trade { legs, .. } => trade(cx, &legs, &mut self.out),
            Item::Row(l) => {
                let pending = l.balance_empty
                    && l.txid.is_empty()
                    && self.completed.contains(&completed_key(&l));
                if pending {
                    self.out.push(Entry::skip(
                        l.line,
                        "initiated copy of a deposit/withdrawal (kept once, as completed)",
                    ));
                } else {
                    let n = if self.repeats.contains(&base_hash(base_of(&l))) {
                        let n = self.used_ids.entry(base_of(&l).to_string()).or_default();
                        *n += 1;
                        *n
                    } else {
                        1
                    };
                    single(cx, &l, n, &self.staking, &mut self.out);
                }
            }
        }
        hand_over(&mut self.out, cx, emit);
    }
}

/// Whether the row is a leg of a trade, summed with the others of its refid.
fn in_group(l: &Leg) -> bool {
    matches!(l.typ.as_str(), "trade" | "spend" | "receive") && !l.refid.is_empty()
}

fn is_internal_transfer(sub: &str) -> bool {
    matches!(
        sub,
        "spottostaking"
            | "stakingfromspot"
            | "stakingtospot"
            | "spotfromstaking"
            | "spottofutures"
            | "spotfromfutures"
            | "futurestospot"
            | "futuresfromspot"
    )
}

/// The entries of a row outside a trade, the `n`-th named by its id.
fn single(cx: &mut Cx, l: &Leg, n: usize, staking_refids: &HashSet<String>, out: &mut Vec<Entry>) {
    let base = base_of(l);
    let id = if n == 1 {
        cx.exchange_id(base)
    } else {
        format!("{}-{}", cx.exchange_id(base), n - 1)
    };
    let account = cx.account.clone();
    let line = l.line;
    let push = |out: &mut Vec<Entry>, d: Draft| {
        out.push(Entry::Rec {
            rows: vec![line],
            rec: d.finish(&account),
        })
    };
    if l.asset == "KFEE" {
        out.push(Entry::skip(
            line,
            "Kraken fee credits (KFEE): promotional, not a lot",
        ));
        return;
    }
    let qty = l.amount.abs();
    let incoming = l.amount.is_sign_positive();
    let note = format!("{} {}", l.typ, l.subtype).trim().to_string();
    if qty.is_zero() {
        if l.fee.is_zero() {
            out.push(Entry::skip(line, "zero amount and zero fee: nothing moved"));
        } else if is_fiat(&l.asset) && l.asset != "USD" {
            out.push(Entry::skip(
                line,
                "fee in a non-USD fiat currency outside a trade",
            ));
        } else if l.asset == "USD" {
            out.push(Entry::skip(
                line,
                "USD fee outside a trade: cash, not a lot",
            ));
        } else {
            push(
                out,
                Draft::new(id, l.time, Kind::Fee)
                    .fee(l.fee, &l.asset)
                    .note(note),
            );
        }
        return;
    }
    let income = |cx: &mut Cx, out: &mut Vec<Entry>, id: String, category: Category| {
        if is_fiat(&l.asset) {
            out.push(Entry::skip(
                line,
                "income paid in cash: not a crypto lot (report it as interest)",
            ));
            return;
        }
        // The export's USD value, else --prices; else none (for the engine).
        let v = match l.amount_usd {
            Some(v) => Some(v.abs()),
            None => cx.value_legs(line, l.time, Some((qty, &l.asset)), None),
        };
        push(
            out,
            Draft::new(id, l.time, Kind::Income)
                .category(category)
                .received(qty, &l.asset)
                .fee(l.fee, &l.asset)
                .usd(v)
                .note(note.clone()),
        );
    };
    match l.typ.as_str() {
        "deposit" | "withdrawal" => {
            if staking_refids.contains(&l.refid) {
                out.push(Entry::skip(line, "move between Kraken spot and staking wallets: not a tax event"));
            } else if is_fiat(&l.asset) {
                out.push(Entry::skip(line, format!("fiat {}: not a tax event", l.typ)));
            } else if incoming {
                push(out, Draft::new(id, l.time, Kind::Deposit).received(qty, &l.asset).fee(l.fee, &l.asset));
            } else {
                push(out, Draft::new(id, l.time, Kind::Withdrawal).sent(qty, &l.asset).fee(l.fee, &l.asset));
            }
        }
        // Kraken Earn pays staking rewards as `staking` (before 2024) or
        // `earn`/`reward`; `dividend` is its opt-in rewards on held balances.
        "staking" if incoming => income(cx, out, id, Category::Staking),
        "dividend" | "invite bonus" | "reward" if incoming => income(cx, out, id, Category::Reward),
        "staking" => out.push(Entry::skip(line, "negative staking row (staked-balance update): not a tax event")),
        "earn" => match l.subtype.as_str() {
            "reward" if incoming => income(cx, out, id, Category::Staking),
            "airdrop" if incoming => income(cx, out, id, Category::Airdrop),
            "" if incoming && !l.fee.is_zero() => income(cx, out, id, Category::Staking),
            "allocation" | "deallocation" | "autoallocate" | "autoallocation" | "migration" | "" => {
                out.push(Entry::skip(line, "move between Kraken spot and earn wallets: not a tax event"))
            }
            other => out.push(Entry::skip(line, format!("Kraken earn/{other}: not imported, enter it by hand"))),
        },
        "transfer" => {
            if is_internal_transfer(&l.subtype) {
                out.push(Entry::skip(line, "move between Kraken spot and staking wallets: not a tax event"));
            } else if l.subtype == "airdrop" && incoming {
                income(cx, out, id, Category::Airdrop)
            } else {
                out.push(Entry::skip(
                    line,
                    format!("Kraken transfer/{}: not imported, enter it by hand", l.subtype),
                ))
            }
        }
        other => out.push(Entry::skip(
            line,
            format!("Kraken {other} row (margin, adjustment, conversion …): not imported, enter it by hand"),
        )),
    }
}

/// The entry of a trade: its legs, in the order of their rows, summed per asset.
fn trade(cx: &mut Cx, legs: &[Leg], out: &mut Vec<Entry>) {
    let Some(first) = legs.first() else { return };
    let (line, time, refid) = (first.line, first.time, first.refid.as_str());
    let rows: Vec<u64> = legs.iter().map(|l| l.line).collect();
    // Net amount and fee per asset, in first-seen order.
    let mut assets: Vec<String> = Vec::new();
    let mut amount: HashMap<String, Decimal> = HashMap::new();
    let mut fee: HashMap<String, Decimal> = HashMap::new();
    let mut usd: HashMap<String, Decimal> = HashMap::new();
    for l in legs {
        if !assets.contains(&l.asset) {
            assets.push(l.asset.clone());
        }
        *amount.entry(l.asset.clone()).or_default() += l.amount;
        *fee.entry(l.asset.clone()).or_default() += l.fee;
        if let Some(u) = l.amount_usd {
            *usd.entry(l.asset.clone()).or_default() += u.abs();
        }
    }
    let sent: Vec<&String> = assets
        .iter()
        .filter(|a| amount[*a].is_sign_negative() && !amount[*a].is_zero())
        .collect();
    let received: Vec<&String> = assets
        .iter()
        .filter(|a| amount[*a].is_sign_positive() && !amount[*a].is_zero())
        .collect();
    if sent.len() != 1 || received.len() != 1 {
        cx.problem(
            line,
            Some("refid"),
            Some(refid),
            format!(
                "the trade rows with this refid (lines {}) do not net to one asset sent and one \
                 received; check the export is complete",
                rows.iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return;
    }
    let (s, r) = (sent[0].clone(), received[0].clone());
    let (sq, rq) = (amount[&s].abs(), amount[&r].abs());
    let fees: Vec<(&String, Decimal)> = assets
        .iter()
        .map(|a| (a, fee[a]))
        .filter(|(_, f)| !f.is_zero())
        .collect();
    // trades.csv names this trade by its refid and lists these ledger txids.
    let id = cx.exchange_id(refid);
    let keys = std::iter::once(refid.to_string()).chain(legs.iter().map(|l| l.txid.clone()));
    cx.link(&id, keys);
    super::trade_record(
        cx,
        TradeIn {
            id,
            rows,
            time,
            sent: (sq, s.clone()),
            received: (rq, r.clone()),
            fees: fees.into_iter().map(|(a, f)| (f, a.clone())).collect(),
            usd_hint: usd.get(&r).or_else(|| usd.get(&s)).copied(),
            note: String::new(),
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::asset_name;

    /// Each row's entries come in the order of the rows, a trade's at its
    /// first leg though its other leg lies rows further on: the rows between
    /// wait for it. An initiated copy is known by its completed copy rows
    /// after it; a txid on two rows names the second `-1`.
    #[test]
    fn entries_come_in_the_order_of_their_rows() {
        let text = "txid,refid,time,type,subtype,aclass,asset,amount,fee,balance\n\
L1,T1,2025-01-01 00:00:00,trade,,currency,ZUSD,-100,0.2,900\n\
L2,D1,2025-01-01 00:00:01,deposit,,currency,XXBT,1,0,1\n\
,W1,2025-01-01 00:00:02,withdrawal,,currency,XETH,-1,0,\n\
L3,T1,2025-01-01 00:00:00,trade,,currency,XXBT,0.01,0,1.01\n\
,,,,,,,,,\n\
L5,S1,2025-01-01 00:00:04,staking,,currency,DOT.S,0.5,0,0.5\n\
L6,W1,2025-01-01 00:00:05,withdrawal,,currency,XETH,-1,0,2\n\
L6,W2,2025-01-01 00:00:06,withdrawal,,currency,XETH,-1,0,1\n";
        let got = crate::import::import_whole(text).unwrap();
        let ids: Vec<(u64, &str, &str)> = got
            .records
            .iter()
            .map(|(line, r)| (*line, r.id.as_str(), r.kind.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                (2, "kraken-T1", "buy"),
                (3, "kraken-L2", "deposit"),
                (7, "kraken-L5", "income"),
                (8, "kraken-L6", "withdrawal"),
                (9, "kraken-L6-1", "withdrawal"),
            ]
        );
        let skipped = &got.stats.first_skipped;
        assert_eq!(
            skipped.get("initiated copy of a deposit/withdrawal (kept once, as completed)"),
            Some(&4)
        );
        assert_eq!(skipped.get("blank or footer row"), Some(&6));
        assert_eq!(got.stats.read, 8);
    }

    /// A file with an unreadable row reports only the rows that cannot be
    /// read: a trade that does not net is found only in a file that can.
    /// Two overlapping exports joined into one file: each row repeated
    /// whole, txid included, is skipped, so a trade's legs are netted once.
    #[test]
    fn rows_repeated_whole_count_once() {
        let head = "txid,refid,time,type,subtype,aclass,asset,amount,fee,balance\n";
        let rows = "\
L1,T1,2025-01-01 00:00:00,trade,,currency,ZUSD,-100,0.2,900
L2,D1,2025-01-01 00:00:01,deposit,,currency,XXBT,1,0,1
,W1,2025-01-01 00:00:02,withdrawal,,currency,XETH,-1,0,
L3,T1,2025-01-01 00:00:00,trade,,currency,XXBT,0.01,0,1.01
L6,W1,2025-01-01 00:00:05,withdrawal,,currency,XETH,-1,0,2
L6,W2,2025-01-01 00:00:06,withdrawal,,currency,XETH,-1,0,1
Total,,,,,,,,,
";
        let once = crate::import::import_whole(&format!("{head}{rows}")).unwrap();
        let twice = crate::import::import_whole(&format!("{head}{rows}{rows}")).unwrap();
        let cells = |i: &crate::import::Imported| {
            (i.records.iter())
                .map(|(_, r)| r.fields().map(str::to_string))
                .collect::<Vec<_>>()
        };
        assert_eq!(cells(&once), cells(&twice));
        assert_eq!(once.records.len(), 4);
        assert_eq!(twice.stats.skipped.get(super::REPEATED_ROW), Some(&5));
        assert_eq!(twice.stats.skipped.get("blank or footer row"), Some(&2));
        // A row without a txid is not known by it: the initiated copy is
        // skipped as such, each time.
        assert_eq!(
            twice
                .stats
                .skipped
                .get("initiated copy of a deposit/withdrawal (kept once, as completed)"),
            Some(&2)
        );
    }

    #[test]
    fn an_unreadable_row_is_the_only_problem_named() {
        let text = "txid,refid,time,type,subtype,aclass,asset,amount,fee,balance\n\
L1,T1,2025-01-01 00:00:00,trade,,currency,ZUSD,-100,0,900\n\
L2,T1,2025-01-01 00:00:00,trade,,currency,ZEUR,-100,0,900\n\
L3,D1,2025-01-01 00:00:01,deposit,,currency,XXBT,x,0,1\n";
        let error = |t: &str| crate::import::import_whole(t).err().unwrap_or_default();
        let e = error(text);
        assert!(e.contains("t.csv:4: column amount"), "{e}");
        assert!(!e.contains("do not net"), "{e}");
        let e = error(&text.replace(",x,", ",1,"));
        assert!(e.contains("do not net"), "{e}");
    }

    /// The rows are read twice, and a progress bar fed by the reading moves
    /// by the file's size in all, reaching its end with the second reading.
    #[test]
    fn a_file_read_twice_moves_the_bar_by_its_size() {
        let mut text =
            String::from("txid,refid,time,type,subtype,aclass,asset,amount,fee,balance\n");
        for k in 0..20_000 {
            text.push_str(&format!(
                "LA{k},T{k},2025-01-01 00:00:00,trade,,currency,ZUSD,-100,0.2,900\n\
LB{k},T{k},2025-01-01 00:00:00,trade,,currency,XXBT,0.01,0,1.01\n"
            ));
        }
        let (records, told, half) = crate::import::import_file_with_bar("ledgers.csv", &text);
        assert_eq!(records, 20_000);
        assert_eq!(told, text.len() as u64);
        // The first record is made by the second reading, the bar then about
        // half way.
        assert!(
            half > text.len() as u64 / 3 && half < text.len() as u64 * 2 / 3,
            "{half}"
        );
    }

    #[test]
    fn asset_codes() {
        for (code, name) in [
            ("XXBT", "BTC"),
            ("XBT", "BTC"),
            ("BTC", "BTC"),
            ("XXDG", "DOGE"),
            ("ZUSD", "USD"),
            ("DOT.S", "DOT"),
            ("DOT28.S", "DOT"),
            ("ETH2.S", "ETH2"),
            ("ETH2", "ETH2"),
            ("USDC.M", "USDC"),
            ("SOL.F", "SOL"),
            ("XTZ", "XTZ"),
            ("1INCH", "1INCH"),
        ] {
            assert_eq!(asset_name(code), name, "{code}");
        }
    }

    /// Staked and spot wallets of one asset are one balance: moving 5 DOT to
    /// staking leaves the total at 20; fiat states no balance of a lot.
    #[test]
    fn the_balances_of_one_assets_wallets_are_summed() {
        let text = "txid,refid,time,type,subtype,aclass,asset,amount,fee,balance\n\
L1,R1,2025-01-01 00:00:00,deposit,,currency,DOT,20,0,20\n\
L2,R2,2025-01-02 00:00:00,withdrawal,,currency,DOT,-5,0,15\n\
L3,R2,2025-01-02 00:00:05,deposit,,currency,DOT.S,5,0,5\n\
L4,R3,2025-01-03 00:00:00,deposit,,currency,ZUSD,100,0,100\n\
L5,R4,2025-01-04 00:00:00,staking,,currency,DOT.S,0.1,0,5.1\n";
        let got = crate::import::import_whole(text).unwrap();
        let b: Vec<(u64, &str, String)> = got
            .balances
            .iter()
            .map(|b| (b.line, b.asset.as_str(), b.balance.to_string()))
            .collect();
        assert_eq!(
            b,
            [
                (2, "DOT", "20".to_string()),
                (3, "DOT", "15".to_string()),
                (4, "DOT", "20".to_string()),
                (6, "DOT", "20.1".to_string()),
            ]
        );
        assert!(got.balances.iter().all(|b| b.account == "kraken"));
        // `import` keeps none: it writes a ledger, which has no balances.
        let mut importer = crate::import::Importer::new(crate::import::ImportOptions {
            account: None,
            accounts: Default::default(),
            prices: None,
            tz: chrono_tz::Tz::UTC,
        });
        importer.without_balances();
        let got = importer.import(text.as_bytes(), "t.csv", None).unwrap();
        assert!(got.balances.is_empty());
        assert_eq!(got.records.len(), 4);
    }
}
