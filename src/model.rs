//! The vocabulary shared by every stage: interned symbols, row kinds, ledger rows,
//! and where each row came from. Nothing here reads files or applies tax rules.

use rustc_hash::FxHashMap as HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// An interned asset or account name. Comparing and hashing a `Sym` is an integer
/// operation, which keeps a ten-million-row ledger cheap to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

impl Sym {
    /// US dollars: cash, never a lot.
    pub const USD: Sym = Sym(0);
    /// The off-ledger account that holds units withdrawn to an unknown place.
    pub const EXTERNAL: Sym = Sym(1);
}

/// Owns the names behind every [`Sym`].
#[derive(Debug, Clone)]
pub struct Interner {
    map: HashMap<Box<str>, Sym>,
    names: Vec<Box<str>>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner {
            map: HashMap::default(),
            names: Vec::new(),
        };
        i.intern("USD");
        i.intern("external");
        i
    }
}

impl Interner {
    /// The symbol for `name`, adding it on first sight.
    pub fn intern(&mut self, name: &str) -> Sym {
        if let Some(&s) = self.map.get(name) {
            return s;
        }
        let s = Sym(self.names.len() as u32);
        self.names.push(name.into());
        self.map.insert(name.into(), s);
        s
    }

    /// The symbol for `name` if it was ever interned.
    pub fn get(&self, name: &str) -> Option<Sym> {
        self.map.get(name).copied()
    }

    /// The name behind a symbol.
    pub fn name(&self, s: Sym) -> &str {
        &self.names[s.0 as usize]
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
}

impl Kind {
    /// Every kind, in the order the SPEC lists them.
    pub const ALL: [Kind; 8] = [
        Kind::Buy,
        Kind::Sell,
        Kind::Trade,
        Kind::Deposit,
        Kind::Withdrawal,
        Kind::Income,
        Kind::Spend,
        Kind::Fee,
    ];

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
        }
    }

    /// Parses the ledger spelling (case-insensitive).
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
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
    /// True for a crypto (non-USD) amount: one that lives in lots.
    pub fn is_crypto(&self) -> bool {
        self.asset != Sym::USD
    }
}

/// Where a row came from: the input file (an index into [`Ledger::files`]) and the
/// 1-based line of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source {
    pub file: u32,
    pub line: u64,
}

/// One validated row of the normalized ledger (SPEC section 2).
#[derive(Debug, Clone)]
pub struct Row {
    pub id: Box<str>,
    pub time: DateTime<Utc>,
    pub account: Sym,
    pub kind: Kind,
    pub sent: Option<Amount>,
    pub received: Option<Amount>,
    pub fee: Option<Amount>,
    pub usd_value: Option<Decimal>,
    pub fee_usd: Option<Decimal>,
    pub txid: Option<Box<str>>,
    pub note: Box<str>,
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
    /// Row indices sorted by id: lookups by id, and the tie-break rank of lot ids.
    pub by_id: Vec<u32>,
    /// For each row, its position in `by_id` (lot ids compared as plain strings).
    pub id_rank: Vec<u32>,
}

impl Ledger {
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
    /// and indexes them by id.
    pub fn sort(&mut self) {
        self.rows
            .sort_by(|a, b| a.time.cmp(&b.time).then(a.source.cmp(&b.source)));
        let mut by_id: Vec<u32> = (0..self.rows.len() as u32).collect();
        by_id.sort_unstable_by(|&a, &b| {
            self.rows[a as usize]
                .id
                .cmp(&self.rows[b as usize].id)
                .then(a.cmp(&b))
        });
        let mut rank = vec![0u32; self.rows.len()];
        for (r, &i) in by_id.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        self.by_id = by_id;
        self.id_rank = rank;
    }

    /// The index of the row with this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        let pos = self
            .by_id
            .binary_search_by(|&i| (*self.rows[i as usize].id).cmp(id))
            .ok()?;
        Some(self.by_id[pos] as usize)
    }

    /// The file name of a source.
    pub fn file_name(&self, source: Source) -> &str {
        self.files
            .get(source.file as usize)
            .map_or("?", |s| s.as_str())
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
}

/// The header `harvest import` writes, in order.
pub const LEDGER_COLUMNS: [&str; 14] = [
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
];
