//! The vocabulary shared by every stage: interned symbols, row kinds, ledger rows,
//! and where each row came from. Nothing here reads files or applies tax rules.

use rustc_hash::FxHashMap as HashMap;
use std::fmt;
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// Short text kept in a row (ids, txids, notes): up to 24 bytes are stored inline,
/// so reading a ledger does not allocate once per cell. It dereferences to `str`.
pub type Text = compact_str::CompactString;

/// An interned asset or account name. Comparing and hashing a `Sym` is an integer
/// operation, which keeps a ten-million-row ledger cheap to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(NonZeroU32);

impl Sym {
    /// US dollars: cash, never a lot.
    pub const USD: Sym = Sym::from_index(0);
    /// The off-ledger account that holds units withdrawn to an unknown place.
    pub const EXTERNAL: Sym = Sym::from_index(1);

    /// The symbol at `index` in its [`Interner`]. Stored one higher, so that an
    /// `Option<Sym>` (and an `Option<Amount>`) takes no more room than a `Sym`:
    /// a ledger row is 12 bytes smaller for it.
    pub const fn from_index(index: u32) -> Sym {
        match NonZeroU32::new(index.wrapping_add(1)) {
            Some(n) => Sym(n),
            None => panic!("a symbol index is below u32::MAX"),
        }
    }

    /// The index of the symbol in its [`Interner`].
    pub const fn index(self) -> u32 {
        self.0.get() - 1
    }
    /// The first of the [`FIAT`] currencies, which follow in that order.
    const FIAT_FIRST: u32 = 2;

    /// True for money: US dollars and the other government currencies of
    /// [`FIAT`]. Money is valued at its USD rate when it changes hands and never
    /// forms lots (harvest computes no section 988 foreign-currency gain).
    pub fn is_money(self) -> bool {
        self == Sym::USD
            || (Self::FIAT_FIRST..Self::FIAT_FIRST + FIAT.len() as u32).contains(&self.index())
    }

    /// True for money other than US dollars (EUR, GBP, CAD, ...): its amounts
    /// need a USD rate.
    pub fn is_foreign_money(self) -> bool {
        self != Sym::USD && self.is_money()
    }
}

/// The government currencies other than USD that harvest reads as money, not
/// as assets with lots. Their symbols are fixed (see [`Sym::is_money`]).
pub const FIAT: [&str; 29] = [
    "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "NZD", "SGD", "HKD", "PLN", "CZK", "SEK", "NOK",
    "DKK", "TRY", "BRL", "RUB", "UAH", "NGN", "ZAR", "KZT", "INR", "MXN", "ARS", "IDR", "HUF",
    "RON", "AED", "KRW",
];

/// USD stablecoins: valued at 1.00 USD wherever a row has no other USD value
/// (`import` and the engine alike), so they never need a price.
pub const USD_STABLECOINS: [&str; 12] = [
    "USDC", "USDT", "DAI", "BUSD", "USDP", "PAX", "TUSD", "GUSD", "PYUSD", "USDS", "FDUSD", "USDG",
];

/// True for a USD stablecoin of [`USD_STABLECOINS`], named as exports write it.
pub fn is_usd_stablecoin(name: &str) -> bool {
    USD_STABLECOINS.contains(&name)
}

/// Owns the names behind every [`Sym`].
#[derive(Debug, Clone)]
pub struct Interner {
    map: HashMap<Box<str>, Sym>,
    names: Vec<Box<str>>,
    /// The latest lookups of short names (7 bytes or fewer: tickers, most
    /// accounts), by the name's bytes as a number: a row names three or four
    /// of a handful of symbols, and hashing and comparing a string for each
    /// was a tenth of building a row. Entries of `map` never change, so a hit
    /// is what `map` holds.
    recent: [(u64, Option<Sym>); RECENT],
}

/// Slots of [`Interner::recent`] (a power of two).
const RECENT: usize = 16;

/// A name of 1 to 7 bytes as a number: its bytes, then a 1 byte (the highest
/// byte that is not 0, so the number tells the length and the name apart from
/// every other); 0 for a longer name.
fn short_key(name: &str) -> u64 {
    let b = name.as_bytes();
    if b.is_empty() || b.len() > 7 {
        return 0;
    }
    let mut word = [0u8; 8];
    word[..b.len()].copy_from_slice(b);
    word[b.len()] = 1;
    u64::from_le_bytes(word)
}

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner {
            map: HashMap::default(),
            names: Vec::new(),
            recent: [(0, None); RECENT],
        };
        i.intern("USD");
        i.intern("external");
        for f in FIAT {
            i.intern(f);
        }
        i
    }
}

impl Interner {
    /// How many symbols there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The symbol of an asset named `name`: USD and the [`FIAT`] currencies in
    /// any case (`usd`, `Eur`), other names as written.
    pub fn asset(&mut self, name: &str) -> Sym {
        // Known names (USD, EUR, ... and every asset seen) are one lookup; a
        // new name is compared with the currencies once, and another spelling
        // of one is remembered as an alias.
        if name == "USD" {
            return Sym::USD;
        }
        if let Some(s) = self.lookup(name) {
            return s;
        }
        let money = if name.eq_ignore_ascii_case("USD") {
            Some(Sym::USD)
        } else {
            FIAT.iter()
                .position(|f| f.eq_ignore_ascii_case(name))
                .map(|i| Sym::from_index(Sym::FIAT_FIRST + i as u32))
        };
        match money {
            Some(s) => {
                self.map.insert(name.into(), s);
                s
            }
            None => self.intern(name),
        }
    }

    /// The symbol for `name`, adding it on first sight.
    pub fn intern(&mut self, name: &str) -> Sym {
        if let Some(s) = self.lookup(name) {
            return s;
        }
        let s = Sym::from_index(self.names.len() as u32);
        self.names.push(name.into());
        self.map.insert(name.into(), s);
        s
    }

    /// `map`'s symbol for `name`, through [`Interner::recent`] for a short name.
    fn lookup(&mut self, name: &str) -> Option<Sym> {
        let key = short_key(name);
        if key == 0 {
            return self.map.get(name).copied();
        }
        let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as usize % RECENT;
        let (k, s) = self.recent[slot];
        if k == key && s.is_some() {
            return s;
        }
        let s = self.map.get(name).copied();
        if s.is_some() {
            self.recent[slot] = (key, s);
        }
        s
    }

    /// The symbol for `name` if it was ever interned.
    pub fn get(&self, name: &str) -> Option<Sym> {
        self.map.get(name).copied()
    }

    /// The name behind a symbol.
    pub fn name(&self, s: Sym) -> &str {
        &self.names[s.index() as usize]
    }
}

/// What a ledger row does (SPEC section 2, column `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Buy,
    Sell,
    Trade,
    Deposit,
    Withdrawal,
    Income,
    Spend,
    Fee,
    /// Coins received as a gift: the donor's basis and date in `basis_usd`
    /// and `acquired`, the fair value at the gift in `usd_value`.
    GiftIn,
    /// Coins given as a gift (the recipient in `note`): no gain or loss.
    GiftOut,
    /// Coins given to a charity (`category` public or private): no gain or loss.
    Donation,
    /// Coins inherited: `acquired` the date of death, `basis_usd` the fair
    /// value then.
    Inheritance,
    /// Coins lost, stolen or taken by a scam (`category`): they leave the
    /// holdings with no Form 8949 row.
    Lost,
}

impl Kind {
    /// Every kind, in the order the SPEC lists them.
    pub const ALL: [Kind; 13] = [
        Kind::Buy,
        Kind::Sell,
        Kind::Trade,
        Kind::Deposit,
        Kind::Withdrawal,
        Kind::Income,
        Kind::Spend,
        Kind::Fee,
        Kind::GiftIn,
        Kind::GiftOut,
        Kind::Donation,
        Kind::Inheritance,
        Kind::Lost,
    ];

    /// Whether units leave the holdings with no gain or loss (a gift given, a
    /// donation, a loss): they are taken by the method but make no 8949 row.
    pub fn is_removal(self) -> bool {
        matches!(self, Kind::GiftOut | Kind::Donation | Kind::Lost)
    }

    /// Whether a row of this kind moves units between accounts (a withdrawal
    /// or a deposit): the rows transfer pairing reads.
    pub fn is_transfer(self) -> bool {
        matches!(self, Kind::Withdrawal | Kind::Deposit)
    }

    /// The ledger spelling of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Buy => "buy",
            Kind::Sell => "sell",
            Kind::Trade => "trade",
            Kind::Deposit => "deposit",
            Kind::Withdrawal => "withdrawal",
            Kind::Income => "income",
            Kind::Spend => "spend",
            Kind::Fee => "fee",
            Kind::GiftIn => "gift-in",
            Kind::GiftOut => "gift-out",
            Kind::Donation => "donation",
            Kind::Inheritance => "inheritance",
            Kind::Lost => "lost",
        }
    }

    /// Parses the ledger spelling (case-insensitive).
    pub fn parse(s: &str) -> Option<Kind> {
        let exact = match s {
            "buy" => Some(Kind::Buy),
            "sell" => Some(Kind::Sell),
            "trade" => Some(Kind::Trade),
            "deposit" => Some(Kind::Deposit),
            "withdrawal" => Some(Kind::Withdrawal),
            "income" => Some(Kind::Income),
            "spend" => Some(Kind::Spend),
            "fee" => Some(Kind::Fee),
            "gift-in" => Some(Kind::GiftIn),
            "gift-out" => Some(Kind::GiftOut),
            "donation" => Some(Kind::Donation),
            "inheritance" => Some(Kind::Inheritance),
            "lost" => Some(Kind::Lost),
            _ => None,
        };
        exact.or_else(|| {
            Kind::ALL
                .into_iter()
                .find(|k| k.as_str().eq_ignore_ascii_case(s))
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A quantity of one asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    pub qty: Decimal,
    pub asset: Sym,
}

impl Amount {
    /// True for a crypto amount (not money): one that lives in lots.
    pub fn is_crypto(&self) -> bool {
        !self.asset.is_money()
    }
}

/// An optional exact amount in 16 bytes, where `Option<Decimal>` takes 20: a
/// row's `usd_value` and `fee_usd`. It holds [`Decimal::serialize`]'s bytes;
/// `None` is a flags word no decimal has (its low 16 bits are always zero).
#[derive(Clone, Copy)]
pub struct OptDecimal([u8; 16]);

/// By value, as `Option<Decimal>` compares (`1.0` equals `1.00`), not by bytes.
impl PartialEq for OptDecimal {
    fn eq(&self, other: &OptDecimal) -> bool {
        self.get() == other.get()
    }
}

impl OptDecimal {
    /// No amount.
    pub const NONE: OptDecimal = OptDecimal([0xFF; 16]);

    /// The amount, if any.
    #[inline]
    pub fn get(self) -> Option<Decimal> {
        if self.0[..4] == [0xFF; 4] {
            None
        } else {
            Some(Decimal::deserialize(self.0))
        }
    }
}

impl From<Option<Decimal>> for OptDecimal {
    #[inline]
    fn from(v: Option<Decimal>) -> OptDecimal {
        v.map_or(OptDecimal::NONE, |d| OptDecimal(d.serialize()))
    }
}

impl std::fmt::Debug for OptDecimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// A handle on a row's rarely filled cells in [`Ledger`] (`fee_usd`,
/// `basis_usd`, `acquired`): few rows have one, and columns every row carried
/// would cost 150 MB or more at ten million rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtraRef(u32);

impl ExtraRef {
    /// A row with none of them.
    pub const NONE: ExtraRef = ExtraRef(u32::MAX);
}

/// A row's rarely filled cells (see [`ExtraRef`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Extra {
    fee_usd: Option<Decimal>,
    basis_usd: Option<Decimal>,
    acquired: Option<DateTime<Utc>>,
}

/// What kind of income or removal a row is (SPEC section 2, column `category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Staking,
    Mining,
    Reward,
    Airdrop,
    Interest,
    Fork,
    Other,
    /// `lost`: coins lost (a lost key, a wallet gone).
    Lost,
    /// `lost`: coins stolen.
    Theft,
    /// `lost`: coins taken by a scam.
    Scam,
    /// `donation`: to a public charity (50% organization).
    Public,
    /// `donation`: to a private non-operating foundation.
    Private,
}

impl Category {
    /// The categories of `income` rows, in the order reports list them.
    pub const INCOME: [Category; 7] = [
        Category::Staking,
        Category::Mining,
        Category::Reward,
        Category::Airdrop,
        Category::Interest,
        Category::Fork,
        Category::Other,
    ];

    /// The ledger spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Staking => "staking",
            Category::Mining => "mining",
            Category::Reward => "reward",
            Category::Airdrop => "airdrop",
            Category::Interest => "interest",
            Category::Fork => "fork",
            Category::Other => "other",
            Category::Lost => "lost",
            Category::Theft => "theft",
            Category::Scam => "scam",
            Category::Public => "public",
            Category::Private => "private",
        }
    }

    /// The categories of `lost` rows.
    pub const LOST: [Category; 3] = [Category::Lost, Category::Theft, Category::Scam];

    /// The categories of `donation` rows.
    pub const DONATION: [Category; 2] = [Category::Public, Category::Private];

    /// Parses the ledger spelling (case-insensitive).
    pub fn parse(s: &str) -> Option<Category> {
        Category::INCOME
            .into_iter()
            .chain(Category::LOST)
            .chain(Category::DONATION)
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }

    /// The categories a row of `kind` may have (none for most kinds).
    pub fn for_kind(kind: Kind) -> &'static [Category] {
        match kind {
            Kind::Income => &Category::INCOME,
            Kind::Lost => &Category::LOST,
            Kind::Donation => &Category::DONATION,
            _ => &[],
        }
    }

    /// True for a category an `income` row may have.
    pub fn is_income(self) -> bool {
        Category::INCOME.contains(&self)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a row came from: the input file (an index into [`Ledger::files`]) and the
/// 1-based line of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source {
    pub file: u32,
    /// 32 bits: a file of more lines would not fit in memory as rows anyway
    /// (the ledger reader refuses one), and the row is 8 bytes smaller.
    pub line: u32,
}

/// A handle on a row's transaction id and note in [`Ledger::texts`]. Most rows
/// have neither, and the two text columns would make every row 44 bytes larger
/// (at ten million rows, 440 MB more), so they are kept beside the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRef(u32);

impl TextRef {
    /// A row with no txid and an empty note.
    pub const NONE: TextRef = TextRef(u32::MAX);
}

/// Where a row's `txid` and `note` are in [`Ledger`]'s text bytes: the txid
/// (empty: none) then the note, back to back. 16 bytes a row with text, and
/// no allocation of its own (a 64-digit txid would need one in a string).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct TextSpan {
    start: u64,
    txid_len: u32,
    note_len: u32,
}

/// One validated row of the normalized ledger (SPEC section 2).
#[derive(Debug, Clone)]
pub struct Row {
    pub id: Text,
    pub time: DateTime<Utc>,
    pub account: Sym,
    pub kind: Kind,
    /// What kind of income (or removal) the row is, when it says.
    pub category: Option<Category>,
    pub sent: Option<Amount>,
    pub received: Option<Amount>,
    pub fee: Option<Amount>,
    /// [`OptDecimal::get`] reads it.
    pub usd_value: OptDecimal,
    /// [`Ledger::fee_usd`], [`Ledger::basis_usd`] and [`Ledger::acquired`]
    /// read it.
    pub extra: ExtraRef,
    /// The row's txid and note: [`Ledger::txid`], [`Ledger::note`].
    pub text: TextRef,
    pub source: Source,
}

/// The merged ledger: rows sorted by time (stable by input order) and the names
/// their symbols stand for.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub rows: Vec<Row>,
    pub syms: Interner,
    /// Display names of the input files, indexed by [`Source::file`].
    pub files: Vec<String>,
    /// The txids and notes of the rows that have one (see [`TextRef`]).
    texts: Vec<TextSpan>,
    /// The bytes [`TextSpan`]s point into.
    text_bytes: String,
    /// The `fee_usd`, `basis_usd` and `acquired` of the rows that have one
    /// (see [`ExtraRef`]).
    extras: Vec<Extra>,
    /// Row indices sorted by id, built on the first lookup by id.
    by_id: std::sync::OnceLock<Vec<u32>>,
    /// The withdrawal and deposit rows, in ledger order: noted while sorting,
    /// so that pairing transfers need not read every row again.
    transfers: std::sync::OnceLock<Vec<u32>>,
    /// For each row, the rank of its id (compared as a plain string) among the
    /// rows of the same instant: the tie-break of lots acquired together.
    pub id_rank: Vec<u32>,
    /// Rows left out because an earlier row has the same id and the same facts
    /// (a row repeated in one file, as `import` drops it): `(file:line of the
    /// repeat, file:line of the first)`, for the command to say on stderr.
    pub repeats_dropped: Vec<(String, String)>,
    /// The exchange's own running balance after rows of the exports read
    /// directly (Kraken's ledgers `balance`), to compare with the ledger's.
    pub reported: Vec<ReportedBalance>,
}

/// An exchange's own balance of one asset in one account after a row of its
/// export, as the export states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedBalance {
    /// The input file ([`Ledger::files`]) and its 1-based line.
    pub file: u32,
    pub line: u64,
    pub time: chrono::DateTime<chrono::Utc>,
    /// The account the export's rows are booked to.
    pub account: String,
    /// The asset as the ledger names it (an exchange's several wallets of one
    /// asset, such as Kraken's staked `DOT.S` and spot `DOT`, summed).
    pub asset: String,
    pub balance: Decimal,
}

impl Ledger {
    /// Whether rows `a` and `b` state the same facts: every column but where
    /// they were read.
    pub fn same_facts(&self, a: &Row, b: &Row) -> bool {
        a.id == b.id
            && a.time == b.time
            && a.account == b.account
            && a.kind == b.kind
            && a.category == b.category
            && a.sent == b.sent
            && a.received == b.received
            && a.fee == b.fee
            && a.usd_value == b.usd_value
            && self.extra(a) == self.extra(b)
            && self.txid(a) == self.txid(b)
            && self.note(a) == self.note(b)
    }

    /// Keeps a row's txid (empty: none) and note, and returns the handle the
    /// row holds.
    pub fn add_text(&mut self, txid: &str, note: &str) -> TextRef {
        if txid.is_empty() && note.is_empty() {
            return TextRef::NONE;
        }
        // Fewer texts than rows, and rows are counted in u32 (`Source::line`);
        // a cell is a CSV field, far below 4 GiB.
        let r = TextRef(self.texts.len() as u32);
        self.texts.push(TextSpan {
            start: self.text_bytes.len() as u64,
            txid_len: txid.len() as u32,
            note_len: note.len() as u32,
        });
        self.text_bytes.push_str(txid);
        self.text_bytes.push_str(note);
        r
    }

    /// The row's txid (empty: none) and note.
    fn text(&self, row: &Row) -> (&str, &str) {
        let Some(t) = self.texts.get(row.text.0 as usize) else {
            return ("", "");
        };
        let start = t.start as usize;
        let mid = start + t.txid_len as usize;
        let end = mid + t.note_len as usize;
        (
            self.text_bytes.get(start..mid).unwrap_or(""),
            self.text_bytes.get(mid..end).unwrap_or(""),
        )
    }

    /// Keeps a row's `fee_usd`, `basis_usd` and `acquired`, if any, and
    /// returns the handle the row holds.
    pub fn add_extra(
        &mut self,
        fee_usd: Option<Decimal>,
        basis_usd: Option<Decimal>,
        acquired: Option<DateTime<Utc>>,
    ) -> ExtraRef {
        if fee_usd.is_none() && basis_usd.is_none() && acquired.is_none() {
            return ExtraRef::NONE;
        }
        // Fewer than rows, which are counted in u32 (`Source::line`).
        self.extras.push(Extra {
            fee_usd,
            basis_usd,
            acquired,
        });
        ExtraRef(self.extras.len() as u32 - 1)
    }

    fn extra(&self, row: &Row) -> Extra {
        self.extras
            .get(row.extra.0 as usize)
            .copied()
            .unwrap_or_default()
    }

    /// The row's `fee_usd`, if it has one.
    pub fn fee_usd(&self, row: &Row) -> Option<Decimal> {
        self.extras.get(row.extra.0 as usize)?.fee_usd
    }

    /// The row's `basis_usd`, if it has one.
    pub fn basis_usd(&self, row: &Row) -> Option<Decimal> {
        self.extras.get(row.extra.0 as usize)?.basis_usd
    }

    /// The row's `acquired`, if it has one.
    pub fn acquired(&self, row: &Row) -> Option<DateTime<Utc>> {
        self.extras.get(row.extra.0 as usize)?.acquired
    }

    /// The row's transaction id, if it has one.
    pub fn txid(&self, row: &Row) -> Option<&str> {
        Some(self.text(row).0).filter(|t| !t.is_empty())
    }

    /// The row's note (empty if none).
    pub fn note(&self, row: &Row) -> &str {
        self.text(row).1
    }

    /// `file:line (id X)` for error messages and warnings.
    pub fn locate(&self, row: &Row) -> String {
        format!(
            "{}:{} (id {})",
            self.files
                .get(row.source.file as usize)
                .map_or("?", |s| s.as_str()),
            row.source.line,
            row.id
        )
    }

    /// Sorts rows by time, keeping input order for equal times (SPEC section 1),
    /// and ranks the ids of rows that share an instant.
    pub fn sort(&mut self) {
        let plan = self.sort_plan();
        self.apply_plan(plan);
    }

    /// The order [`Ledger::sort`] puts the rows in (`order[k]` = the row that
    /// goes to `k`), or None when they are in order already.
    #[cfg(test)]
    pub(crate) fn sort_order(&self) -> Option<Vec<u32>> {
        self.sort_plan().order
    }

    /// What [`Ledger::sort`] does, worked out from one pass over the rows
    /// (their times and kinds, into lists of a few bytes a row), so that
    /// nothing after it reads the rows, 136 bytes each, again until they move.
    pub(crate) fn sort_plan(&self) -> SortPlan {
        self.sort_plan_of(self.rows.iter().map(row_key).collect())
    }

    /// [`Ledger::sort_plan`], given each row's [`row_key`] (`keys[i]` is row
    /// `i`'s), made as the rows were read.
    pub(crate) fn sort_plan_of(&self, mut keys: Vec<u128>) -> SortPlan {
        let n = self.rows.len();
        assert_eq!(keys.len(), n, "one sort key a row");
        // Rows arrive file by file, line by line, so the row index is the input
        // order; one integer per row (time, then index) sorts much faster than
        // the tuple, and, being unique, needs no stable sort.
        let mut moves: Vec<bool> = Vec::with_capacity(n);
        for (i, k) in keys.iter_mut().enumerate() {
            moves.push(*k & TRANSFER != 0);
            *k = (*k & !u128::from(u32::MAX)) | i as u128;
        }
        let order = sort_keys(&keys);
        // The rows in their new order: where instants are shared, and which
        // are withdrawals and deposits.
        let at = |k: usize| order.as_ref().map_or(k, |o| o[k] as usize);
        let mut same_instant = Vec::new();
        let mut transfers = Vec::new();
        let mut i = 0;
        while i < n {
            let t = keys[at(i)] >> 32;
            let mut j = i + 1;
            while j < n && keys[at(j)] >> 32 == t {
                j += 1;
            }
            if j - i > 1 {
                same_instant.push(i as u32..j as u32);
            }
            transfers.extend((i..j).filter(|&k| moves[at(k)]).map(|k| k as u32));
            i = j;
        }
        SortPlan {
            order,
            same_instant,
            transfers,
        }
    }

    /// Puts the rows in the plan's order, moving each row once (rows are
    /// large), and ranks the ids of rows that share an instant.
    pub(crate) fn apply_plan(&mut self, plan: SortPlan) {
        if let Some(order) = plan.order {
            crate::memory::permute(&mut self.rows, &order);
        }
        let mut rank = vec![0u32; self.rows.len()];
        let mut group: Vec<(u128, u32)> = Vec::new();
        for run in plan.same_instant {
            let (i, j) = (run.start as usize, run.end as usize);
            // Ranked by id in a plain string comparison (equal ids keep input
            // order): rows whose ids make a few ascending runs by merging the
            // runs, others by sorting. The whole ids are compared: ids alike
            // in their first 16 bytes (`exchange-trade-00019`,
            // `exchange-trade-00018`) are told apart past them.
            if !rank_by_merging_runs(&self.rows[i..j], &mut rank[i..j]) {
                group.clear();
                group.extend((i..j).map(|k| (id_prefix(&self.rows[k].id), k as u32)));
                sort_by_id(&mut group, &self.rows);
                for (r, &(_, k)) in group.iter().enumerate() {
                    rank[k as usize] = r as u32;
                }
            }
        }
        self.id_rank = rank;
        self.by_id = std::sync::OnceLock::new();
        self.transfers = std::sync::OnceLock::from(plan.transfers);
    }

    /// The withdrawal and deposit rows, in ledger order.
    pub fn transfers(&self) -> &[u32] {
        self.transfers.get_or_init(|| {
            let rows = self.rows.iter().enumerate();
            rows.filter(|(_, r)| r.kind.is_transfer())
                .map(|(i, _)| i as u32)
                .collect()
        })
    }

    /// Gives `rows` (indices) the kind `kind`, keeping the list of transfer
    /// rows true.
    pub fn rekind(&mut self, rows: &[u32], kind: Kind) {
        if rows.is_empty() {
            return;
        }
        for &i in rows {
            if let Some(r) = self.rows.get_mut(i as usize) {
                r.kind = kind;
            }
        }
        let all = &self.rows;
        if let Some(t) = self.transfers.get_mut() {
            t.retain(|&i| all[i as usize].kind.is_transfer());
        }
    }

    /// Pairs of rows (first, second in ledger order) that share an id.
    pub fn duplicate_ids(&self) -> Vec<(usize, usize)> {
        let mut seen: HashMap<&str, usize> = HashMap::default();
        seen.reserve(self.rows.len());
        let mut dups = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            if let Some(&first) = seen.get(&*r.id) {
                dups.push((first, i));
            } else {
                seen.insert(&r.id, i);
            }
        }
        dups
    }

    fn by_id(&self) -> &[u32] {
        self.by_id.get_or_init(|| {
            let mut keys: Vec<(u128, u32)> = self
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| (id_prefix(&r.id), i as u32))
                .collect();
            sort_by_id(&mut keys, &self.rows);
            keys.into_iter().map(|(_, i)| i).collect()
        })
    }

    /// The index of the row with this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        let by_id = self.by_id();
        let pos = by_id
            .binary_search_by(|&i| (*self.rows[i as usize].id).cmp(id))
            .ok()?;
        Some(by_id[pos] as usize)
    }

    /// The file name of a source.
    pub fn file_name(&self, source: Source) -> &str {
        self.files
            .get(source.file as usize)
            .map_or("?", |s| s.as_str())
    }
}

/// The most ascending runs of ids [`rank_by_merging_runs`] merges.
const MERGED_RUNS: usize = 8;

/// Ranks `rows` (one instant's) by id when their ids, in input order, make at
/// most [`MERGED_RUNS`] ascending runs (ids numbered in sequence: one run, or
/// one more where the numbers gain a digit, as r999999 before r1000000): a
/// merge of the runs, with equal ids in input order (the earlier run first).
/// Returns false, ranking nothing, for more runs. A million-row instant is
/// ranked in one pass over its ids, where sorting (id prefix, row) pairs
/// took two buffers of 32 bytes a row.
fn rank_by_merging_runs(rows: &[Row], rank: &mut [u32]) -> bool {
    const RANK_AHEAD: usize = 16;
    // Each run's next row and end (held here: an instant of two rows is common).
    let mut next = [0usize; MERGED_RUNS];
    let mut end = [0usize; MERGED_RUNS];
    let mut runs = 1;
    // Rows far enough ahead are fetched meanwhile: each id is on a cache
    // line of its own, and a large instant's rows are gigabytes.
    let ahead = |k: usize| {
        if let Some(r) = rows.get(k + RANK_AHEAD) {
            crate::memory::prefetch(&r.id);
        }
    };
    for k in 1..rows.len() {
        ahead(k);
        if *rows[k].id < *rows[k - 1].id {
            if runs == MERGED_RUNS {
                return false;
            }
            end[runs - 1] = k;
            next[runs] = k;
            runs += 1;
        }
    }
    end[runs - 1] = rows.len();
    if runs == 1 {
        for (r, slot) in rank.iter_mut().enumerate() {
            *slot = r as u32;
        }
        return true;
    }
    // Each run's next id as a number: the whole ids are compared only where
    // these are equal.
    let mut head = [0u128; MERGED_RUNS];
    for at in 0..runs {
        head[at] = id_prefix(&rows[next[at]].id);
    }
    for r in 0..rows.len() {
        // The run whose next id is least; on a tie, the earliest run.
        let mut best: Option<usize> = None;
        for at in 0..runs {
            if next[at] == end[at] {
                continue;
            }
            let less = best.is_none_or(|b| match head[at].cmp(&head[b]) {
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Greater => false,
                std::cmp::Ordering::Equal => *rows[next[at]].id < *rows[next[b]].id,
            });
            if less {
                best = Some(at);
            }
        }
        let Some(b) = best else { break };
        rank[next[b]] = r as u32;
        next[b] += 1;
        ahead(next[b]);
        if let Some(row) = rows.get(next[b]).filter(|_| next[b] < end[b]) {
            head[b] = id_prefix(&row.id);
        }
    }
    true
}

/// The first 16 bytes of an id as a big-endian number (zero-padded): a smaller
/// prefix means a smaller id, and equal prefixes need the whole ids compared.
fn id_prefix(id: &str) -> u128 {
    let mut b = [0u8; 16];
    let n = id.len().min(16);
    b[..n].copy_from_slice(&id.as_bytes()[..n]);
    u128::from_be_bytes(b)
}

/// Sorts (id prefix, row) pairs by id, then row: the order of a plain string
/// comparison of the ids. The prefixes sort as plain integers; only runs of equal
/// prefixes (ids of 16 bytes or more that start alike) read the rows.
fn sort_by_id(keys: &mut [(u128, u32)], rows: &[Row]) {
    // Run-adaptive: ids numbered in sequence are sorted runs (r9 < r10 is not).
    keys.sort();
    let mut i = 0;
    while i < keys.len() {
        let mut j = i + 1;
        while j < keys.len() && keys[j].0 == keys[i].0 {
            j += 1;
        }
        if j - i > 1 {
            keys[i..j].sort_by(|a, b| {
                rows[a.1 as usize]
                    .id
                    .cmp(&rows[b.1 as usize].id)
                    .then(a.1.cmp(&b.1))
            });
        }
        i = j;
    }
}

/// How [`Ledger::sort`] sorts a ledger: see [`Ledger::sort_plan`].
pub(crate) struct SortPlan {
    /// `order[k]` = the row that goes to `k`; None when the rows are in
    /// order already.
    order: Option<Vec<u32>>,
    /// The runs of two or more rows, in the new order, that share an instant.
    same_instant: Vec<std::ops::Range<u32>>,
    /// The withdrawals and deposits, by their index in the new order.
    transfers: Vec<u32>,
}

/// The order of unique sort keys (`order[k]` = the index of the key that goes
/// to `k`), or None when they are in order already.
fn sort_keys(keys: &[u128]) -> Option<Vec<u32>> {
    // The sorted prefix (a ledger is mostly in time order).
    let p = 1 + keys.windows(2).position(|w| w[0] > w[1])?;
    // From the back: a key less than every key after it is in place among
    // them (kept); the others, greater than some key after them, are set
    // aside. The kept keys are in order by construction, so only the keys set
    // aside are sorted, and the two lists merged: a ledger whose rows are late
    // here and there (a deposit stamped after the rows that follow it) sorts
    // in one pass and a small sort, not a sort of all the rows after the first
    // one out of place.
    let n = keys.len();
    let mut kept: Vec<u32> = Vec::new();
    let mut aside: Vec<u128> = Vec::new();
    let mut least = u128::MAX;
    let mut start = 0;
    for i in (0..n).rev() {
        let k = keys[i];
        if k < least {
            least = k;
            // Keys of the sorted prefix before a kept one are all kept.
            if i < p {
                start = i + 1;
                break;
            }
            kept.push(i as u32);
        } else {
            aside.push(k);
        }
    }
    kept.reverse();
    aside.reverse();
    // Stable sort: the same result (the keys are unique), and it merges the
    // runs that the keys set aside are often made of.
    aside.sort();
    let mut order: Vec<u32> = Vec::with_capacity(n);
    order.extend(0..start as u32);
    let mut aside = aside.into_iter().peekable();
    for &i in &kept {
        let k = keys[i as usize];
        while let Some(a) = aside.next_if(|&a| a < k) {
            order.push(a as u32);
        }
        order.push(i);
    }
    order.extend(aside.map(|a| a as u32));
    Some(order)
}

/// The bit of a [`row_key`] that marks a withdrawal or deposit.
const TRANSFER: u128 = 1;

/// What sorting needs of a row, in one integer: its time ([`time_key`]) and
/// whether it is a transfer ([`TRANSFER`]). Made as each row is read, so that
/// sorting a ledger does not read its rows (136 bytes each) again.
pub(crate) fn row_key(r: &Row) -> u128 {
    time_key(r.time) | if r.kind.is_transfer() { TRANSFER } else { 0 }
}

/// A row's time as the high bits of a sort key whose low 32 bits are free:
/// seconds (sign flipped, so that the unsigned order is the time order), then
/// nanoseconds.
fn time_key(t: DateTime<Utc>) -> u128 {
    let secs = (t.timestamp() as u64) ^ (1 << 63);
    (u128::from(secs) << 64) | (u128::from(t.timestamp_subsec_nanos()) << 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Every lookup through the cache of recent short names gives the
        /// map's symbol: names of every length around the cache's limit, with
        /// NUL bytes, and currency aliases that `asset` adds to the map.
        #[test]
        fn recent_names_are_the_maps(
            ops in proptest::collection::vec(
                (proptest::bool::ANY, proptest::collection::vec(
                    proptest::sample::select(vec!['a', 'A', '\0', 'u', 's', 'd', 'U', 'S', 'D', 'e']),
                    1..10,
                )),
                1..200,
            )
        ) {
            let mut i = Interner::default();
            for (asset, chars) in ops {
                let name: String = chars.into_iter().collect();
                let s = if asset { i.asset(&name) } else { i.intern(&name) };
                proptest::prop_assert_eq!(Some(s), i.get(&name), "{:?}", name);
            }
        }
    }

    /// A row with only an id, a time, a kind and a line.
    fn bare_row(id: &str, time: DateTime<Utc>, kind: Kind, line: u32) -> Row {
        Row {
            id: id.into(),
            time,
            account: Sym::USD,
            kind,
            sent: None,
            received: None,
            fee: None,
            usd_value: OptDecimal::NONE,
            category: None,
            extra: ExtraRef::NONE,
            text: TextRef::NONE,
            source: Source { file: 0, line },
        }
    }

    /// A ten-million-row ledger holds ten million rows: each byte is 10 MB.
    #[test]
    fn a_row_stays_small() {
        assert_eq!(size_of::<Option<Amount>>(), size_of::<Amount>());
        assert!(size_of::<Row>() <= 136, "{}", size_of::<Row>());
    }

    #[test]
    fn an_optional_decimal_keeps_every_value_and_compares_by_value() {
        for v in [
            "0",
            "-0.00",
            "1.5",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
        ] {
            let d: Decimal = v.parse().unwrap();
            assert_eq!(OptDecimal::from(Some(d)).get(), Some(d));
            assert_eq!(
                OptDecimal::from(Some(d)).get().unwrap().to_string(),
                d.to_string()
            );
        }
        assert_eq!(OptDecimal::from(None).get(), None);
        assert_eq!(OptDecimal::NONE.get(), None);
        let a: Decimal = "1.0".parse().unwrap();
        let b: Decimal = "1.00".parse().unwrap();
        assert_eq!(OptDecimal::from(Some(a)), OptDecimal::from(Some(b)));
        assert_ne!(OptDecimal::from(Some(a)), OptDecimal::NONE);
    }

    #[test]
    fn id_order_is_plain_string_order() {
        let ids = [
            "",
            "a",
            "a\0",
            "a\0b",
            "b",
            "r10",
            "r2",
            "r100000000000000000",
            "r1000000000000000",
            "r10000000000000000",
            "r1000000000000000a",
            "é",
            "e\u{301}",
            "cb-0123456789abcdef-1",
            "cb-0123456789abcdef",
            "cb-0123456789abcdee-2",
            "a",
        ];
        let rows: Vec<Row> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| bare_row(id, DateTime::<Utc>::MIN_UTC, Kind::Buy, i as u32))
            .collect();
        let mut keys: Vec<(u128, u32)> = (0..ids.len())
            .map(|i| (id_prefix(ids[i]), i as u32))
            .collect();
        sort_by_id(&mut keys, &rows);
        let mut want: Vec<u32> = (0..ids.len() as u32).collect();
        want.sort_by(|&a, &b| ids[a as usize].cmp(ids[b as usize]).then(a.cmp(&b)));
        assert_eq!(keys.iter().map(|k| k.1).collect::<Vec<_>>(), want);
    }

    proptest::proptest! {
        /// Sorting (the rows in place kept, the others set aside, sorted and
        /// merged back) gives what a stable sort of all rows by time gives:
        /// ledgers in order but for rows moved back or forth, and any order.
        #[test]
        fn sort_is_a_stable_sort_by_time(
            secs in proptest::collection::vec(0i64..40, 0..120),
            moves in proptest::collection::vec((0usize..120, 0usize..120), 0..6),
            sorted in proptest::bool::ANY,
        ) {
            let mut secs = secs;
            if sorted {
                secs.sort();
                let n = secs.len();
                for (a, b) in moves.into_iter().filter(|_| n > 0) {
                    let x = secs.remove(a % n);
                    secs.insert(b % n, x);
                }
            }
            let mut ledger = Ledger::default();
            for (i, &t) in secs.iter().enumerate() {
                let time = DateTime::from_timestamp(t, 0).unwrap_or_default();
                ledger.rows.push(bare_row(&format!("r{i}"), time, Kind::Buy, i as u32 + 2));
            }
            let mut want: Vec<usize> = (0..secs.len()).collect();
            want.sort_by_key(|&i| secs[i]);
            ledger.sort();
            let got: Vec<usize> = (ledger.rows.iter())
                .map(|r| r.id[1..].parse().unwrap_or(usize::MAX))
                .collect();
            proptest::prop_assert_eq!(got, want);
        }

        /// The rank of a row among the rows of its instant is its id's place
        /// in a plain string order (input order for equal ids), whatever the
        /// input order, for ids alike in their first 16 bytes too; rows of
        /// one second but not one instant (nanoseconds) rank apart. Instants
        /// of a few rows and of dozens (ids in more ascending runs than are
        /// merged) alike.
        #[test]
        fn ids_rank_in_plain_string_order_within_an_instant(
            rows in proptest::collection::vec((0i64..4, 0u32..2, 0usize..6), 0..40),
            seconds in 1i64..5,
        ) {
            let ids = [
                "exchange-trade-00019",
                "exchange-trade-00018",
                "exchange-trade-0002",
                "r10",
                "r9",
                "exchange-trade-00019",
            ];
            let mut ledger = Ledger::default();
            for (n, &(t, half, id)) in rows.iter().enumerate() {
                let time =
                    DateTime::from_timestamp(t % seconds, half * 500_000_000).unwrap_or_default();
                ledger.rows.push(bare_row(ids[id], time, Kind::Buy, n as u32 + 2));
            }
            ledger.sort();
            for (k, r) in ledger.rows.iter().enumerate() {
                let before = (ledger.rows.iter().enumerate())
                    .filter(|(m, o)| o.time == r.time && (&*o.id, *m) < (&*r.id, k))
                    .count();
                proptest::prop_assert_eq!(ledger.id_rank[k] as usize, before);
            }
        }
    }

    /// One instant's ids in a few ascending runs (numbered ids gaining a
    /// digit; a repeated id in two runs) rank by merging the runs, the
    /// earlier run first on a tie; in more runs than are merged, they are
    /// left to the sort.
    #[test]
    fn ids_in_a_few_ascending_runs_rank_by_merging() {
        let t = DateTime::from_timestamp(0, 0).unwrap_or_default();
        let rows = |ids: &[&str]| -> Vec<Row> {
            (ids.iter().enumerate())
                .map(|(n, id)| bare_row(id, t, Kind::Buy, n as u32 + 2))
                .collect()
        };
        let ranks = |ids: &[&str]| {
            let mut rank = vec![u32::MAX; ids.len()];
            rank_by_merging_runs(&rows(ids), &mut rank).then_some(rank)
        };
        assert_eq!(ranks(&["r8", "r9", "r10", "r11"]), Some(vec![2, 3, 0, 1]));
        assert_eq!(
            ranks(&["b", "d", "d", "a", "d", "c", "e"]),
            Some(vec![1, 3, 4, 0, 5, 2, 6])
        );
        // Ids alike in their first 16 bytes, told apart past them.
        let long = [
            "exchange-trade-00019",
            "exchange-trade-00018",
            "exchange-trade-0002",
        ];
        assert_eq!(ranks(&long), Some(vec![1, 0, 2]));
        assert_eq!(ranks(&["x"]), Some(vec![0]));
        let runs: Vec<String> = (0..MERGED_RUNS + 1)
            .rev()
            .map(|i| format!("r{i}"))
            .collect();
        let runs: Vec<&str> = runs.iter().map(String::as_str).collect();
        assert_eq!(ranks(&runs), None);
        assert!(ranks(&runs[1..]).is_some());
    }

    /// Sorting only the unsorted tail gives what a stable sort of all rows by
    /// time gives, with rows of the sorted prefix that tie with later ones.
    #[test]
    fn sort_matches_a_stable_sort_by_time() {
        // Seconds of each row in input order: a sorted prefix, then rows that
        // go back into it, tie with it, and come after it.
        let secs = [1, 2, 2, 3, 5, 8, 8, 9, 4, 8, 2, 10, 9, 1, 12];
        let kinds = [Kind::Buy, Kind::Withdrawal, Kind::Deposit, Kind::Sell];
        let mut ledger = Ledger::default();
        for (i, &t) in secs.iter().enumerate() {
            let time = DateTime::from_timestamp(t, 0).unwrap_or_default();
            let row = bare_row(&format!("r{i}"), time, kinds[i % 4], i as u32 + 2);
            ledger.rows.push(row);
        }
        let mut want: Vec<usize> = (0..secs.len()).collect();
        want.sort_by_key(|&i| secs[i]);
        ledger.sort();
        let got: Vec<usize> = ledger
            .rows
            .iter()
            .map(|r| r.id[1..].parse().unwrap_or(0))
            .collect();
        assert_eq!(got, want);
        let transfers: Vec<u32> = (0..secs.len() as u32)
            .filter(|&k| ledger.rows[k as usize].kind.is_transfer())
            .collect();
        assert_eq!(ledger.transfers(), transfers);
        // Sorted already: nothing moves.
        assert!(ledger.sort_order().is_none());
    }
}

/// A ledger row as text, in the exact column order `harvest import` writes
/// (SPEC section 2). Importers produce these; the ledger reader validates them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub id: String,
    pub time: String,
    pub account: String,
    pub kind: String,
    pub sent_qty: String,
    pub sent_asset: String,
    pub received_qty: String,
    pub received_asset: String,
    pub fee_qty: String,
    pub fee_asset: String,
    pub usd_value: String,
    pub fee_usd: String,
    pub txid: String,
    pub note: String,
    pub category: String,
    pub basis_usd: String,
    pub acquired: String,
}

impl Record {
    /// The cells to fill, in [`LEDGER_COLUMNS`] order.
    pub fn fields_mut(&mut self) -> [&mut String; COLUMNS] {
        let r = self;
        [
            &mut r.id,
            &mut r.time,
            &mut r.account,
            &mut r.kind,
            &mut r.sent_qty,
            &mut r.sent_asset,
            &mut r.received_qty,
            &mut r.received_asset,
            &mut r.fee_qty,
            &mut r.fee_asset,
            &mut r.usd_value,
            &mut r.fee_usd,
            &mut r.txid,
            &mut r.note,
            &mut r.category,
            &mut r.basis_usd,
            &mut r.acquired,
        ]
    }

    /// The cells in [`LEDGER_COLUMNS`] order, id first.
    pub fn fields(&self) -> [&str; COLUMNS] {
        let r = self;
        [
            &r.id,
            &r.time,
            &r.account,
            &r.kind,
            &r.sent_qty,
            &r.sent_asset,
            &r.received_qty,
            &r.received_asset,
            &r.fee_qty,
            &r.fee_asset,
            &r.usd_value,
            &r.fee_usd,
            &r.txid,
            &r.note,
            &r.category,
            &r.basis_usd,
            &r.acquired,
        ]
    }
}

/// How many columns the ledger has.
pub const COLUMNS: usize = 17;

/// The header `harvest import` writes, in order.
pub const LEDGER_COLUMNS: [&str; COLUMNS] = [
    "id",
    "time",
    "account",
    "kind",
    "sent_qty",
    "sent_asset",
    "received_qty",
    "received_asset",
    "fee_qty",
    "fee_asset",
    "usd_value",
    "fee_usd",
    "txid",
    "note",
    "category",
    "basis_usd",
    "acquired",
];
