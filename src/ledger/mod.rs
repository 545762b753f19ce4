//! Reading the normalized ledger (SPEC section 2) from CSV, and validating rows
//! that importers produce, into one merged, sorted [`Ledger`].
//!
//! Every bad cell of every file is collected and reported together; the engine
//! never sees a row that failed here.

mod error;

use std::hash::BuildHasher;
use std::io::BufRead;
use std::sync::{Arc, mpsc};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

pub use error::{LedgerError, Problem, RowError};

use crate::csvread::{self, Record};
use crate::model::{Amount, COLUMNS, Category, Kind, LEDGER_COLUMNS, Ledger, Row, Source};
use crate::time::TimeReader;

/// At most this many row errors are kept for display; the rest are counted.
const MAX_KEPT_ERRORS: usize = 200;

const ID: usize = 0;
const TIME: usize = 1;
const ACCOUNT: usize = 2;
const KIND: usize = 3;
const SENT_QTY: usize = 4;
const SENT_ASSET: usize = 5;
const RECEIVED_QTY: usize = 6;
const RECEIVED_ASSET: usize = 7;
const FEE_QTY: usize = 8;
const FEE_ASSET: usize = 9;
const USD_VALUE: usize = 10;
const FEE_USD: usize = 11;
const TXID: usize = 12;
const NOTE: usize = 13;
const CATEGORY: usize = 14;
const BASIS_USD: usize = 15;
const ACQUIRED: usize = 16;

use crate::cell::parse_decimal;

/// No column (a cell of a record wider than the header).
const NO_COLUMN: usize = usize::MAX;

/// Records per batch handed from the CSV thread to the row builder.
const BATCH: usize = 2048;

/// Records read by the CSV thread, for the row builder.
#[derive(Default)]
struct Batch {
    records: Vec<Record>,
    /// How many of `records` hold this batch's records (the rest are spare).
    len: usize,
}

/// What a row whose id may have been seen before is (see
/// [`LedgerBuilder::read_csv_checked`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repeat {
    /// A new id: the row is kept.
    New,
    /// The same row seen again, first at `first` (file:line): dropped.
    Duplicate { first: String },
    /// A different row with an id used at `first`: an error.
    Conflict { first: String },
}

/// Judges each row read from a ledger file: `(the columns, id first; line)`.
pub type RowCheck<'c> = dyn FnMut(&[&str; COLUMNS], u64) -> Repeat + Send + 'c;

/// Collects rows from any number of inputs, then sorts and checks them as one
/// ledger.
pub struct LedgerBuilder {
    ledger: Ledger,
    times: TimeReader,
    errors: Vec<RowError>,
    more: usize,
    /// A hash of each row's id, by row: finding a repeated id among these does
    /// not read the rows again, and runs beside the sort.
    id_hashes: Vec<u64>,
    /// Each row's [`crate::model::row_key`], by row: sorting then reads no
    /// row.
    sort_keys: Vec<u128>,
    /// (file index, id) of rows added and then given up (see [`LedgerBuilder::drop_rows`]).
    dropped: Vec<(u32, Box<str>)>,
    /// False for a builder that only checks rows (see [`LedgerBuilder::checking`]).
    keep: bool,
}

impl LedgerBuilder {
    /// A builder whose bare dates mean midnight in `tz`.
    pub fn new(tz: Tz) -> Self {
        LedgerBuilder {
            ledger: Ledger::default(),
            times: TimeReader::new(tz),
            errors: Vec::new(),
            more: 0,
            id_hashes: Vec::new(),
            sort_keys: Vec::new(),
            dropped: Vec::new(),
            keep: true,
        }
    }

    /// A builder that checks rows as [`LedgerBuilder::new`]'s does and reports
    /// their errors from [`LedgerBuilder::finish`], but keeps none: `import`
    /// writes the records it checks, so a million rows need not sit in memory
    /// twice.
    pub fn checking(tz: Tz) -> Self {
        LedgerBuilder {
            keep: false,
            ..LedgerBuilder::new(tz)
        }
    }

    /// Takes out the rows of file `file_idx` with these ids, added earlier: a
    /// later input gave the same rows exactly (a Kraken trade that trades.csv
    /// and then ledgers.csv give). Rows keep their input order.
    pub fn drop_rows(&mut self, file_idx: u32, ids: &[String]) {
        self.dropped
            .extend(ids.iter().map(|id| (file_idx, id.as_str().into())));
    }

    /// Rows taken so far, good or bad.
    pub fn rows_read(&self) -> usize {
        self.ledger.rows.len() + self.errors.len() + self.more
    }

    /// Makes room for about `n` more rows at once (a hint: the rows vector then
    /// does not grow by copying; untouched room costs no memory).
    pub fn expect_rows(&mut self, n: usize) {
        let _ = self.id_hashes.try_reserve(n);
        let _ = self.sort_keys.try_reserve(n);
        crate::memory::reserve(&mut self.ledger.rows, n);
    }

    /// Keeps the balances an export states (see [`Ledger::reported`]), read
    /// from file `file`.
    pub fn add_reported(&mut self, file: u32, balances: Vec<crate::model::ReportedBalance>) {
        self.ledger
            .reported
            .extend(balances.into_iter().map(|mut b| {
                b.file = file;
                b
            }));
    }

    /// Registers an input's display name and returns its file index.
    pub fn add_file(&mut self, name: &str) -> u32 {
        self.ledger.files.push(name.to_string());
        (self.ledger.files.len() - 1) as u32
    }

    /// Reads a normalized ledger CSV. Header problems return at once; bad cells
    /// (and a quote never closed) are collected and reported by
    /// [`LedgerBuilder::finish`].
    pub fn read_csv<R: BufRead>(&mut self, input: R, name: &str) -> Result<(), LedgerError> {
        self.read_csv_checked(input, name, None)
    }

    /// [`LedgerBuilder::read_csv`], with each valid row judged by `check` first:
    /// a duplicate is left out, a conflict is an error on the row's id.
    pub fn read_csv_checked<R: BufRead>(
        &mut self,
        input: R,
        name: &str,
        mut check: Option<&mut RowCheck<'_>>,
    ) -> Result<(), LedgerError> {
        let file_idx = self.add_file(name);
        let file: Arc<str> = name.into();
        let mut rdr = csvread::Reader::new(input);
        let mut header = Record::default();
        match rdr.read(&mut header) {
            Ok(true) => {}
            Ok(false) => return Err(LedgerError::Empty { file }),
            Err(e) => return Err(csv_error(file, e)),
        }
        let map = column_map(&header, &file)?;
        let width = header.len();
        // The column of each cell of a record (every header cell names one).
        let mut columns = [NO_COLUMN; COLUMNS];
        for (col, i) in map.iter().enumerate() {
            if let Some(i) = *i {
                columns[i] = col;
            }
        }
        let columns = columns.get(..width).unwrap_or(&columns);
        // Two stages on two threads: this one splits the text into records,
        // a worker validates them and builds the rows, batch after batch in file
        // order. Batches go back to be refilled, so records are not reallocated.
        rdr.set_row_width(width);
        // This thread splits faster than the worker builds: it faults in the
        // worker's room for rows two batches ahead of what it has read.
        let mut prefault = crate::memory::Prefault::spare(&mut self.ledger.rows);
        let mut records = 0;
        let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(3);
        let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
        // A quote left open or closed by the wrong quote: the record is not a
        // row, and the error is reported beside the bad cells.
        let mut quoting: Vec<csvread::CsvError> = Vec::new();
        std::thread::scope(|s| {
            let worker = s.spawn(|| {
                for batch in full_rx {
                    for rec in &batch.records[..batch.len] {
                        let check = check.as_deref_mut();
                        self.add_byte_record(rec, &map, columns, &file, file_idx, check);
                    }
                    // The reader may have finished already; the batch is then dropped.
                    let _ = empty_tx.send(batch);
                }
            });
            let result = (|| loop {
                let mut batch = empty_rx.try_recv().unwrap_or_default();
                batch.len = 0;
                let mut done = false;
                while batch.len < BATCH {
                    if batch.records.len() == batch.len {
                        batch.records.push(Record::with_capacity(256, 16));
                    }
                    match rdr.read(&mut batch.records[batch.len]) {
                        Ok(true) => batch.len += 1,
                        Ok(false) => {
                            done = true;
                            break;
                        }
                        Err(csvread::CsvError::Io(e)) => {
                            return Err(csv_error(file.clone(), csvread::CsvError::Io(e)));
                        }
                        Err(e) => quoting.push(e),
                    }
                }
                records += batch.len;
                // A closed channel means the worker stopped (it panicked): its
                // join below says so.
                if full_tx.send(batch).is_err() || done {
                    return Ok(());
                }
                prefault.ahead(records + 2 * BATCH);
            })();
            drop(full_tx);
            match worker.join() {
                Ok(()) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })?;
        for e in quoting {
            let (line, field) = match e {
                csvread::CsvError::UnclosedQuote { line, field }
                | csvread::CsvError::RowsInCell { line, field, .. } => (line, field),
                _ => (e.line(), NO_COLUMN),
            };
            let column = map
                .iter()
                .position(|&i| i == Some(field))
                .map(|c| LEDGER_COLUMNS[c]);
            self.push_error(&file, line, column, None, Problem::Csv(e.to_string()));
        }
        Ok(())
    }

    /// Checks one CSV record's text and width, and adds its row.
    fn add_byte_record(
        &mut self,
        rec: &Record,
        map: &[Option<usize>; COLUMNS],
        columns: &[usize],
        file: &Arc<str>,
        file_idx: u32,
        check: Option<&mut RowCheck<'_>>,
    ) {
        let line = rec.line();
        // The record's text checked once; cells are slices of it. As in a
        // csv::StringRecord, the first cell that is not UTF-8 by itself is the
        // one reported.
        let text = match rec.text() {
            Ok(text) => text,
            Err(bad) => {
                let column = map
                    .iter()
                    .position(|&i| i == Some(bad))
                    .map(|c| LEDGER_COLUMNS[c]);
                self.push_error(file, line, column, None, Problem::NotUtf8);
                return;
            }
        };
        let width = columns.len();
        if rec.len() != width {
            self.push_error(
                file,
                line,
                None,
                None,
                Problem::FieldCount {
                    found: rec.len(),
                    expected: width,
                },
            );
            return;
        }
        let mut fields: [&str; COLUMNS] = [""; COLUMNS];
        for (cell, &col) in text.iter().zip(columns) {
            if let Some(f) = fields.get_mut(col) {
                *f = cell;
            }
        }
        self.add_fields(&fields, file, file_idx, line, check);
    }

    /// Validates rows an importer produced, as if read from a ledger file, and
    /// returns the row's time when it is valid. `line`
    /// is the line of the exchange file the record came from.
    pub fn add_record(
        &mut self,
        rec: &crate::model::Record,
        file: &Arc<str>,
        file_idx: u32,
        line: u64,
    ) -> Option<DateTime<Utc>> {
        let fields = rec.fields();
        self.add_fields(&fields, file, file_idx, line, None)
    }

    fn push_error(
        &mut self,
        file: &Arc<str>,
        line: u64,
        column: Option<&'static str>,
        value: Option<&str>,
        problem: Problem,
    ) {
        if self.errors.len() >= MAX_KEPT_ERRORS {
            self.more += 1;
            return;
        }
        self.errors.push(RowError {
            file: file.clone(),
            line,
            column,
            value: value.map(shorten),
            problem,
        });
    }

    fn add_fields(
        &mut self,
        f: &[&str; COLUMNS],
        file: &Arc<str>,
        file_idx: u32,
        line: u64,
        check: Option<&mut RowCheck<'_>>,
    ) -> Option<DateTime<Utc>> {
        // Cells harvest protected against formula injection read back as written
        // (copied only when one is: most rows have none).
        let unprotected;
        let f = if f.iter().any(|c| c.starts_with('\'')) {
            unprotected = f.map(|c| {
                if c.starts_with('\'') {
                    crate::cell::unprotect(c)
                } else {
                    c
                }
            });
            &unprotected
        } else {
            f
        };
        let before = self.errors.len() + self.more;
        let cell = |this: &mut Self, col: usize, problem: Problem| {
            let v = f[col];
            this.push_error(file, line, Some(LEDGER_COLUMNS[col]), Some(v), problem);
        };

        let id = f[ID].trim_ascii();
        if id.is_empty() {
            cell(self, ID, Problem::Missing);
        }
        let line32 = u32::try_from(line).ok();
        if line32.is_none() {
            self.push_error(file, line, None, None, Problem::TooManyLines);
        }
        let time = match self.times.parse(f[TIME]) {
            Ok(t) => Some(t),
            Err(e) => {
                if f[TIME].trim_ascii().is_empty() {
                    cell(self, TIME, Problem::Missing);
                } else {
                    cell(self, TIME, Problem::Time(e));
                }
                None
            }
        };
        let account = f[ACCOUNT].trim_ascii();
        if account.is_empty() {
            cell(self, ACCOUNT, Problem::Missing);
        }
        let kind = match Kind::parse(f[KIND].trim_ascii()) {
            Some(k) => Some(k),
            None => {
                if f[KIND].trim_ascii().is_empty() {
                    cell(self, KIND, Problem::Missing);
                } else {
                    cell(self, KIND, Problem::UnknownKind);
                }
                None
            }
        };
        let amount = |this: &mut Self, qc: usize, ac: usize| -> Option<Amount> {
            let q = f[qc].trim_ascii();
            let a = f[ac].trim_ascii();
            match (q.is_empty(), a.is_empty()) {
                (true, true) => None,
                (true, false) => {
                    cell(this, qc, Problem::AssetWithoutQuantity(LEDGER_COLUMNS[qc]));
                    None
                }
                (false, true) => {
                    cell(this, ac, Problem::QuantityWithoutAsset(LEDGER_COLUMNS[ac]));
                    None
                }
                (false, false) => match parse_decimal(q) {
                    Ok(qty) => {
                        let asset = this.ledger.syms.asset(a);
                        if qty.is_zero() && !asset.is_money() && qc != FEE_QTY {
                            cell(this, qc, Problem::ZeroQuantity);
                            return None;
                        }
                        Some(Amount { qty, asset })
                    }
                    Err(p) => {
                        cell(this, qc, p.into());
                        None
                    }
                },
            }
        };
        let sent = amount(self, SENT_QTY, SENT_ASSET);
        let received = amount(self, RECEIVED_QTY, RECEIVED_ASSET);
        let fee = amount(self, FEE_QTY, FEE_ASSET);
        let money = |this: &mut Self, col: usize| -> Option<Decimal> {
            let v = f[col].trim_ascii();
            if v.is_empty() {
                return None;
            }
            match parse_decimal(v) {
                Ok(d) => Some(d),
                Err(p) => {
                    cell(this, col, p.into());
                    None
                }
            }
        };
        let usd_value = money(self, USD_VALUE);
        let fee_usd = money(self, FEE_USD);
        // The last three columns are empty on most rows.
        let extras = !(f[CATEGORY].is_empty() && f[BASIS_USD].is_empty() && f[ACQUIRED].is_empty());
        let basis_usd = if extras { money(self, BASIS_USD) } else { None };
        let category = match if extras { f[CATEGORY].trim_ascii() } else { "" } {
            "" => None,
            c => match Category::parse(c) {
                Some(c) => Some(c),
                None => {
                    cell(self, CATEGORY, Problem::UnknownCategory);
                    None
                }
            },
        };
        let acquired = match if extras { f[ACQUIRED].trim_ascii() } else { "" } {
            "" => None,
            a => match self.times.parse(a) {
                Ok(t) => Some(t),
                Err(e) => {
                    cell(self, ACQUIRED, Problem::Time(e));
                    None
                }
            },
        };

        if self.errors.len() + self.more != before {
            return None;
        }
        let (Some(time), Some(kind), Some(line32)) = (time, kind, line32) else {
            return None;
        };
        if let Err(msg) = check_shape(kind, sent, received, fee) {
            self.push_error(file, line, Some("kind"), Some(f[KIND]), Problem::Shape(msg));
            return None;
        }
        if (extras || matches!(kind, Kind::Donation | Kind::GiftIn | Kind::Inheritance))
            && let Err((col, problem)) = check_extras(kind, category, basis_usd, acquired)
        {
            cell(self, col, problem);
            return None;
        }
        if let Some(check) = check {
            match check(f, line) {
                Repeat::New => {}
                Repeat::Duplicate { .. } => return None,
                Repeat::Conflict { first } => {
                    self.push_error(file, line, Some("id"), Some(id), Problem::IdConflict(first));
                    return None;
                }
            }
        }
        if !self.keep {
            return Some(time);
        }
        let account = self.ledger.syms.intern(account);
        let txid = f[TXID].trim_ascii();
        let text = self.ledger.add_text(txid, f[NOTE]);
        let extra = self.ledger.add_extra(fee_usd, basis_usd, acquired);
        self.id_hashes.push(rustc_hash::FxBuildHasher.hash_one(id));
        let row = Row {
            id: id.into(),
            time,
            account,
            kind,
            category,
            sent,
            received,
            fee,
            usd_value: usd_value.into(),
            extra,
            text,
            source: Source {
                file: file_idx,
                line: line32,
            },
        };
        self.sort_keys.push(crate::model::row_key(&row));
        self.ledger.rows.push(row);
        Some(time)
    }

    /// Sorts the merged rows, checks ids are unique, and returns the ledger or
    /// every error found in every input.
    pub fn finish(mut self) -> Result<Ledger, LedgerError> {
        if !self.dropped.is_empty() {
            let dropped: std::collections::HashSet<(u32, &str)> =
                self.dropped.iter().map(|(f, id)| (*f, &**id)).collect();
            let keep: Vec<bool> = (self.ledger.rows.iter())
                .map(|r| !dropped.contains(&(r.source.file, &*r.id)))
                .collect();
            retain_marked(&mut self.id_hashes, &keep);
            retain_marked(&mut self.sort_keys, &keep);
            retain_marked(&mut self.ledger.rows, &keep);
        }
        if self.errors.is_empty() && self.more == 0 {
            // Sorting and looking for a repeated id hash run side by side; a
            // repeat (a repeated id, rare, or a collision, rarer) is then
            // checked on the ids themselves and listed in ledger order.
            let hashes = std::mem::take(&mut self.id_hashes);
            let keys = std::mem::take(&mut self.sort_keys);
            let ledger = &mut self.ledger;
            let ((), repeats) = crate::threads::join(
                || ledger.apply_plan(ledger.sort_plan_of(keys)),
                move || any_repeat(hashes),
            );
            let l = &self.ledger;
            let mut dups = Vec::new();
            // A row repeated with the same facts is the same row twice: left
            // out, as import leaves it out; other facts under one id are an
            // error.
            let mut drop = Vec::new();
            for (a, b) in if repeats {
                l.duplicate_ids()
            } else {
                Vec::new()
            } {
                let (ra, rb) = (&l.rows[a], &l.rows[b]);
                let (first, second, later) = if ra.source <= rb.source {
                    (ra, rb, b)
                } else {
                    (rb, ra, a)
                };
                let at = format!("{}:{}", l.file_name(first.source), first.source.line);
                if l.same_facts(first, second) {
                    let here = format!("{}:{}", l.file_name(second.source), second.source.line);
                    drop.push((later, here, at));
                    continue;
                }
                let file: Arc<str> = l.file_name(second.source).into();
                dups.push((
                    file,
                    u64::from(second.source.line),
                    second.id.to_string(),
                    at,
                ));
            }
            for (file, line, id, at) in dups {
                self.push_error(&file, line, Some("id"), Some(&id), Problem::DuplicateId(at));
            }
            if !drop.is_empty() {
                let mut keep = vec![true; self.ledger.rows.len()];
                for (i, here, first) in drop {
                    keep[i] = false;
                    self.ledger.repeats_dropped.push((here, first));
                }
                retain_marked(&mut self.ledger.rows, &keep);
                // Ranks and the transfer list are by row index: made again
                // (the rows are in order: none moves).
                self.ledger.sort();
            }
        }
        if self.errors.is_empty() && self.more == 0 {
            Ok(self.ledger)
        } else {
            self.errors
                .sort_by(|a, b| (a.file.as_ref(), a.line).cmp(&(b.file.as_ref(), b.line)));
            Err(LedgerError::BadRows {
                errors: self.errors,
                more: self.more,
            })
        }
    }
}

/// Keeps the elements of `v` whose place in `keep` is true (and any past its
/// end): the rows and the lists kept beside them, one element a row.
fn retain_marked<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = keep.iter();
    v.retain(|_| *k.next().unwrap_or(&true));
}

/// Whether two of `hashes` are equal. They are sorted by their top 33 bits
/// only, in three passes of a radix sort of 11 bits (one pass counts for all
/// three): equal hashes then lie in one run of equal top bits, and a run of
/// more than one, rare, is sorted on its own. A comparison sort of the
/// hashes took about 180 instructions a row, a fifth of sorting the ledger.
fn any_repeat(mut hashes: Vec<u64>) -> bool {
    const BITS: u32 = 11;
    const MASK: u64 = (1 << BITS) - 1;
    const TOP: u32 = 64 - 3 * BITS;
    let n = hashes.len();
    if n < 1 << 12 {
        hashes.sort_unstable();
        return hashes.windows(2).any(|w| w[0] == w[1]);
    }
    let digit = |h: u64, pass: u32| ((h >> (TOP + BITS * pass)) & MASK) as usize;
    let mut starts = vec![[0usize; 1 << BITS]; 3];
    for &h in &hashes {
        for (pass, count) in starts.iter_mut().enumerate() {
            count[digit(h, pass as u32)] += 1;
        }
    }
    for count in &mut starts {
        let mut sum = 0;
        for c in count.iter_mut() {
            (*c, sum) = (sum, sum + *c);
        }
    }
    let mut other = vec![0u64; n];
    for (pass, at) in starts.iter_mut().enumerate() {
        for &h in &hashes {
            let d = digit(h, pass as u32);
            other[at[d]] = h;
            at[d] += 1;
        }
        std::mem::swap(&mut hashes, &mut other);
    }
    drop(other);
    let mut i = 0;
    while i < n {
        let top = hashes[i] >> TOP;
        let mut j = i + 1;
        while j < n && hashes[j] >> TOP == top {
            j += 1;
        }
        if j - i > 1 {
            let run = &mut hashes[i..j];
            run.sort_unstable();
            if run.windows(2).any(|w| w[0] == w[1]) {
                return true;
            }
        }
        i = j;
    }
    false
}

/// What each kind requires of the sent and received columns.
fn check_shape(
    kind: Kind,
    sent: Option<Amount>,
    received: Option<Amount>,
    fee: Option<Amount>,
) -> Result<(), String> {
    let crypto = |a: Option<Amount>| a.is_some_and(|a| a.is_crypto());
    let usd = |a: Option<Amount>| a.is_some_and(|a| !a.is_crypto());
    let need = |ok: bool, msg: &str| if ok { Ok(()) } else { Err(msg.to_string()) };
    match kind {
        Kind::Buy => {
            need(
                crypto(received),
                "a buy needs a crypto received_qty/received_asset",
            )?;
            need(
                sent.is_none() || usd(sent),
                "a buy pays money (USD, EUR, ...): use kind trade to pay with crypto",
            )
        }
        Kind::Sell => {
            need(crypto(sent), "a sell needs a crypto sent_qty/sent_asset")?;
            need(
                received.is_none() || usd(received),
                "a sell receives money (USD, EUR, ...): use kind trade to receive crypto",
            )
        }
        Kind::Trade => {
            need(
                sent.is_some() && received.is_some(),
                "a trade needs both sent and received columns",
            )?;
            need(
                crypto(sent) || crypto(received),
                "a trade of money for money changes nothing: remove the row",
            )
        }
        Kind::Deposit => {
            need(
                crypto(received),
                "a deposit needs a crypto received_qty/received_asset",
            )?;
            need(
                sent.is_none(),
                "a deposit only receives: leave sent_qty/sent_asset empty",
            )
        }
        Kind::Withdrawal => {
            need(
                crypto(sent),
                "a withdrawal needs a crypto sent_qty/sent_asset",
            )?;
            need(
                received.is_none(),
                "a withdrawal only sends: leave received_qty/received_asset empty",
            )
        }
        Kind::Income => {
            need(
                crypto(received),
                "income needs a crypto received_qty/received_asset",
            )?;
            need(
                sent.is_none(),
                "income only receives: leave sent_qty/sent_asset empty",
            )
        }
        Kind::Spend => {
            need(crypto(sent), "a spend needs a crypto sent_qty/sent_asset")?;
            need(
                received.is_none() || usd(received),
                "a spend receives goods, not crypto: use kind trade",
            )
        }
        Kind::Fee => {
            need(
                received.is_none(),
                "a fee row only pays: leave received_qty/received_asset empty",
            )?;
            need(
                crypto(sent) || crypto(fee),
                "a fee row needs the crypto paid in fee_qty/fee_asset (or sent_qty/sent_asset)",
            )
        }
        Kind::GiftIn | Kind::Inheritance => {
            let what = kind.as_str();
            need(
                crypto(received),
                &format!("a {what} row needs a crypto received_qty/received_asset"),
            )?;
            need(
                sent.is_none(),
                &format!("a {what} row only receives: leave sent_qty/sent_asset empty"),
            )
        }
        Kind::GiftOut | Kind::Donation | Kind::Lost => {
            let what = kind.as_str();
            need(
                crypto(sent),
                &format!("a {what} row needs a crypto sent_qty/sent_asset"),
            )?;
            need(
                received.is_none(),
                &format!("a {what} row only sends: leave received_qty/received_asset empty"),
            )
        }
    }
}

/// Whether the row's kind uses the category, basis and acquisition time it
/// carries: a cell the kind ignores would be a silent mistake.
fn check_extras(
    kind: Kind,
    category: Option<Category>,
    basis_usd: Option<Decimal>,
    acquired: Option<DateTime<Utc>>,
) -> Result<(), (usize, Problem)> {
    if let Some(c) = category
        && !Category::for_kind(kind).contains(&c)
    {
        return Err((CATEGORY, Problem::CategoryNotForKind(kind)));
    }
    if kind == Kind::Donation && category.is_none() {
        return Err((CATEGORY, Problem::DonationWithoutCategory));
    }
    let carries = matches!(kind, Kind::Deposit | Kind::GiftIn | Kind::Inheritance);
    match (basis_usd, acquired) {
        (Some(_), _) if !carries => Err((BASIS_USD, Problem::CarriedBasisNotForKind(kind))),
        (_, Some(_)) if !carries => Err((ACQUIRED, Problem::CarriedBasisNotForKind(kind))),
        (Some(_), None) => Err((ACQUIRED, Problem::CarriedBasisHalf(kind))),
        (None, Some(_)) => Err((BASIS_USD, Problem::CarriedBasisHalf(kind))),
        (None, None) if kind != Kind::Deposit && carries => {
            Err((BASIS_USD, Problem::CarriedBasisHalf(kind)))
        }
        _ => Ok(()),
    }
}

fn column_map(header: &Record, file: &Arc<str>) -> Result<[Option<usize>; COLUMNS], LedgerError> {
    let mut map: [Option<usize>; COLUMNS] = [None; COLUMNS];
    for (i, raw) in header.iter().enumerate() {
        let name = String::from_utf8_lossy(raw);
        let name = name.trim_start_matches('\u{feff}').trim_ascii();
        match LEDGER_COLUMNS
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
        {
            Some(col) => {
                if let Some(first) = map[col] {
                    return Err(LedgerError::DuplicateColumn {
                        file: file.clone(),
                        column: name.to_string(),
                        first: first + 1,
                        second: i + 1,
                    });
                }
                map[col] = Some(i);
            }
            None => {
                return Err(LedgerError::UnknownColumn {
                    file: file.clone(),
                    column: shorten(name),
                    index: i + 1,
                });
            }
        }
    }
    for col in [ID, TIME, ACCOUNT, KIND] {
        if map[col].is_none() {
            return Err(LedgerError::MissingColumn {
                file: file.clone(),
                column: LEDGER_COLUMNS[col],
            });
        }
    }
    Ok(map)
}

fn csv_error(file: Arc<str>, e: csvread::CsvError) -> LedgerError {
    match e {
        csvread::CsvError::Io(source) => LedgerError::Io { file, source },
        e => LedgerError::Csv {
            file,
            line: e.line(),
            message: e.to_string(),
        },
    }
}

/// A cell's text for an error message: at most 60 characters.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 60 {
        s.to_string()
    } else {
        let head: String = s.chars().take(57).collect();
        format!("{head}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A repeat is found exactly when there is one: hashes whose top bits
        /// are alike (long runs), few or many, with and without a repeat.
        #[test]
        fn any_repeat_finds_every_repeat(
            seeds in proptest::collection::vec(proptest::num::u64::ANY, 0..6000),
            shift in 0u32..64,
            repeat in proptest::option::of(proptest::num::usize::ANY),
        ) {
            // Shifted right, the hashes share more of their top bits (long
            // runs), and the fewer values they take (repeats of their own).
            let mut hashes: Vec<u64> = seeds.iter().map(|&h| h >> shift).collect();
            if let (Some(r), false) = (repeat, hashes.is_empty()) {
                let h = hashes[r % hashes.len()];
                hashes.insert((r / 7) % (hashes.len() + 1), h);
            }
            let mut sorted = hashes.clone();
            sorted.sort_unstable();
            let want = sorted.windows(2).any(|w| w[0] == w[1]);
            proptest::prop_assert_eq!(any_repeat(hashes), want);
        }
    }

    proptest::proptest! {
        /// The builder sorts by the keys it made as it read the rows, less
        /// those of rows given up (`drop_rows`) and of rows repeated exactly:
        /// the order, the ranks of ids at one instant and the list of transfers
        /// are what sorting the same rows again (reading their times and
        /// kinds) gives.
        #[test]
        fn sorting_by_keys_made_while_reading_sorts_as_the_rows_do(
            rows in proptest::collection::vec((0u8..4, 0u8..3, 0u8..40, proptest::bool::ANY), 1..60),
        ) {
            let mut text = String::from(H);
            let mut gone = Vec::new();
            for (n, &(second, kind, id, drop)) in rows.iter().enumerate() {
                let id = format!("x{id}");
                let cells = match kind {
                    0 => "buy,1,USD,1,DOT,,,1,,,",
                    1 => "withdrawal,1,DOT,,,,,,,,",
                    _ => "deposit,,,1,DOT,,,,,,",
                };
                // A repeated id with other facts (another time) is an error:
                // the line number keeps such rows apart.
                text.push_str(&format!("{id}-{n},2025-01-01T00:00:0{second}Z,kraken,{cells}\n"));
                if drop {
                    gone.push(format!("{id}-{n}"));
                }
                if n % 7 == 3 {
                    // The same row again: left out as a repeat.
                    text.push_str(&format!("{id}-{n},2025-01-01T00:00:0{second}Z,kraken,{cells}\n"));
                }
            }
            let mut b = LedgerBuilder::new(Tz::UTC);
            b.read_csv(text.as_bytes(), "t.csv").unwrap();
            b.drop_rows(0, &gone);
            let built = b.finish().unwrap();
            let mut again = built.clone();
            again.rows.sort_by_key(|r| r.source.line);
            again.sort();
            let ids = |l: &Ledger| l.rows.iter().map(|r| r.id.to_string()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(ids(&built), ids(&again));
            proptest::prop_assert_eq!(&built.id_rank, &again.id_rank);
            let transfers: Vec<u32> = (again.rows.iter().enumerate())
                .filter(|(_, r)| r.kind.is_transfer())
                .map(|(i, _)| i as u32)
                .collect();
            proptest::prop_assert_eq!(built.transfers(), &transfers[..]);
            proptest::prop_assert_eq!(built.rows.len(), rows.len() - gone.len());
        }
    }

    fn read(text: &str) -> Result<Ledger, LedgerError> {
        let mut b = LedgerBuilder::new(Tz::UTC);
        b.read_csv(text.as_bytes(), "t.csv")?;
        b.finish()
    }

    const H: &str = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n";

    /// Issue 21: `category`, `basis_usd` and `acquired` follow `note`; files
    /// without them stay valid (H above has 14 columns).
    #[test]
    fn reads_an_income_category_and_refuses_cells_a_kind_does_not_use() {
        let h17 = format!("{},category,basis_usd,acquired\n", H.trim_end());
        let l = read(&format!(
            "{h17}s,2025-01-01,kraken,income,,,1,DOT,,,5,,,,Staking,,\nb,2025-01-02,kraken,buy,1,USD,1,DOT,,,,,,,,,\n"
        ))
        .unwrap();
        assert_eq!(l.rows[0].category, Some(Category::Staking));
        assert_eq!(l.rows[1].category, None);
        let err = |row: &str| read(&format!("{h17}{row}\n")).unwrap_err().to_string();
        let e = err("s,2025-01-01,kraken,income,,,1,DOT,,,5,,,,salary,,");
        assert!(
            e.contains("t.csv:2: column category \"salary\": unknown category"),
            "{e}"
        );
        let e = err("b,2025-01-01,kraken,buy,1,USD,1,DOT,,,,,,,staking,,");
        assert!(
            e.contains("column category \"staking\": does not fit a buy row"),
            "{e}"
        );
        let e = err("b,2025-01-01,kraken,buy,1,USD,1,DOT,,,,,,,,100,2020-01-01");
        assert!(
            e.contains("column basis_usd \"100\": is not used by a buy row"),
            "{e}"
        );
        let e = err("b,2025-01-01,kraken,deposit,,,1,DOT,,,,,,,,,2020-13-01");
        assert!(e.contains("column acquired \"2020-13-01\""), "{e}");
        // Issue 22: a basis carried in needs both cells; a gift and an
        // inheritance need it; a donation needs its category.
        let e = err("d,2025-01-01,kraken,deposit,,,1,DOT,,,,,,,,100,");
        assert!(
            e.contains("column acquired \"\": is needed: a deposit row"),
            "{e}"
        );
        let e = err("g,2025-01-01,kraken,gift-in,,,1,DOT,,,5,,,,,,");
        assert!(
            e.contains("column basis_usd \"\": is needed: a gift-in row"),
            "{e}"
        );
        let e = err("g,2025-01-01,kraken,donation,1,DOT,,,,,5,,,,,,");
        assert!(
            e.contains("column category \"\": is empty: a donation needs"),
            "{e}"
        );
        let e = err("g,2025-01-01,kraken,lost,1,DOT,,,,,,,,,public,,");
        assert!(e.contains("does not fit a lost row"), "{e}");
        let e = err("g,2025-01-01,kraken,gift-out,,,1,DOT,,,,,,,,,");
        assert!(
            e.contains("a gift-out row needs a crypto sent_qty/sent_asset"),
            "{e}"
        );
        let l = read(&format!(
            "{h17}d,2025-01-01,kraken,deposit,,,1,DOT,,,,,,,,100,2020-01-01\ng,2025-01-02,kraken,gift-in,,,1,DOT,,,5,,,,,80,2019-05-01\nx,2025-01-03,kraken,donation,1,DOT,,,,,6,,,,Public,,\n"
        ))
        .unwrap();
        assert_eq!(l.basis_usd(&l.rows[0]), Some(Decimal::ONE_HUNDRED));
        assert_eq!(l.rows[1].kind, Kind::GiftIn);
        assert_eq!(l.rows[2].category, Some(Category::Public));
    }

    #[test]
    fn reads_a_buy_in_any_column_order() {
        let l = read("kind,id,account,time,received_qty,received_asset,sent_qty,sent_asset\nbuy,b1,cb,2025-01-01,0.5,BTC,100,USD\n").unwrap();
        assert_eq!(l.rows.len(), 1);
        let r = &l.rows[0];
        assert_eq!(r.kind, Kind::Buy);
        assert_eq!(r.sent.unwrap().asset, crate::model::Sym::USD);
        assert_eq!(l.syms.name(r.received.unwrap().asset), "BTC");
    }

    #[test]
    fn reports_every_bad_row_with_line_and_column() {
        let text = format!(
            "{H}a,2025-01-01,cb,swap,,,1,BTC,,,,,,\nb,2025-13-01,cb,buy,1,USD,1,BTC,,,,,,\nc,2025-01-01,cb,buy,1,USD,-1,BTC,,,,,,\nd,2025-01-01,cb,buy,1,USD,,BTC,,,,,,\n"
        );
        let err = read(&text).unwrap_err().to_string();
        assert!(err.contains("4 bad cells"), "{err}");
        assert!(
            err.contains("t.csv:2: column kind \"swap\": unknown kind"),
            "{err}"
        );
        assert!(err.contains("t.csv:3: column time \"2025-13-01\""), "{err}");
        assert!(
            err.contains("t.csv:4: column received_qty \"-1\": is negative"),
            "{err}"
        );
        assert!(
            err.contains("t.csv:5: column received_qty \"\": names an asset without a quantity"),
            "{err}"
        );
    }

    // Lines are numbered as an editor or `grep -n` numbers them: a CRLF is one
    // line end and blank lines count (README: CRLF and mixed line endings read
    // like plain LF; SPEC section 1: every error names the line).
    #[test]
    fn error_lines_are_right_for_lf_crlf_and_mixed_endings() {
        let rows = [
            "a,2025-01-01,cb,buy,1,USD,1,BTC,,,,,,",
            "",
            "b,2025-01-01,cb,buy,x,USD,1,BTC,,,,,,",
        ];
        for ends in [
            ["\n", "\n", "\n", "\n"],
            ["\r\n", "\r\n", "\r\n", "\r\n"],
            ["\r\n", "\n", "\r\n", ""],
        ] {
            let text = format!(
                "{}{}{}{}{}{}{}",
                H.trim_end(),
                ends[0],
                rows[0],
                ends[1],
                rows[1],
                ends[2],
                rows[2]
            ) + ends[3];
            let err = read(&text).unwrap_err().to_string();
            assert!(
                err.contains("t.csv:4: column sent_qty \"x\""),
                "{ends:?}: {err}"
            );
        }
    }

    // RFC 4180 section 2.5-2.7: a quoted cell ends at its closing quote. One
    // never closed would run to the end of the file, one closed by the next
    // quote rows later would hold the rows between: either is a bad cell at the
    // line of its opening quote, listed with the others.
    #[test]
    fn a_quote_left_open_is_a_bad_cell_at_its_line() {
        let text = format!(
            "{H}a,2025-01-01,cb,buy,1,USD,-1,BTC,,,,,,\nb,2025-01-02,cb,buy,1,USD,1,BTC,,,,,,\"oops\nc,2025-01-03,cb,buy,1,USD,1,BTC,,,,,,\n"
        );
        let err = read(&text).unwrap_err().to_string();
        assert!(err.contains("2 bad cells"), "{err}");
        assert!(err.contains("t.csv:2: column received_qty \"-1\""), "{err}");
        assert!(
            err.contains(
                "t.csv:3: column note: a quote (\") opens a cell on this line and is never closed"
            ),
            "{err}"
        );
        let text = format!(
            "{H}b,2025-01-02,cb,buy,1,USD,1,BTC,,,,,,\"oops\r\nc,2025-01-03,cb,buy,1,USD,1,BTC,,,,,,\r\nd,2025-01-04,cb,buy,1,USD,1,BTC,,,,,,\"a note\"\r\ne,2025-01-05,cb,buy,1,USD,1,BTC,,,,,,\r\n"
        );
        let err = read(&text).unwrap_err().to_string();
        assert!(err.contains("1 bad cell in"), "{err}");
        assert!(
            err.contains("t.csv:2: column note: a quote (\") opens a cell on this line and the cell runs over line 3"),
            "{err}"
        );
        // A note over several lines is a note.
        let text =
            format!("{H}b,2025-01-02,cb,buy,1,USD,1,BTC,,,,,,\"two\r\nlines, one comma\"\r\n");
        let l = read(&text).unwrap();
        assert_eq!(l.note(&l.rows[0]), "two\r\nlines, one comma");
    }

    #[test]
    fn duplicate_ids_are_an_error() {
        let text = format!(
            "{H}a,2025-01-01,cb,buy,1,USD,1,BTC,,,,,,\na,2025-01-02,cb,buy,1,USD,1,BTC,,,,,,\n"
        );
        let err = read(&text).unwrap_err().to_string();
        assert!(
            err.contains("t.csv:3: column id \"a\": duplicate id: already used at t.csv:2"),
            "{err}"
        );
    }

    /// Issue 14 item 11: the same row twice in one file (same id, same facts)
    /// is left out, as `import` leaves it out, so that every command agrees;
    /// other facts under one id stay an error (above).
    #[test]
    fn a_row_repeated_with_the_same_facts_is_dropped() {
        let text = format!(
            "{H}a,2025-01-01,cb,buy,1,USD,1,BTC,,,,,,\nb,2025-01-02,cb,sell,1,BTC,2,USD,,,,,,\na,2025-01-01,cb,buy,1.0,USD,1,BTC,,,,,,\nw,2025-01-03,cb,withdrawal,1,BTC,,,,,,,,\n"
        );
        let l = read(&text).unwrap();
        let ids: Vec<&str> = l.rows.iter().map(|r| &*r.id).collect();
        assert_eq!(ids, ["a", "b", "w"]);
        assert_eq!(
            l.repeats_dropped,
            [("t.csv:4".to_string(), "t.csv:2".to_string())]
        );
        assert_eq!(l.transfers(), [2]);
    }

    #[test]
    fn header_problems() {
        assert!(matches!(read(""), Err(LedgerError::Empty { .. })));
        assert!(matches!(
            read("id,time,kind\n"),
            Err(LedgerError::MissingColumn {
                column: "account",
                ..
            })
        ));
        assert!(matches!(
            read("id,time,account,kind,id\n"),
            Err(LedgerError::DuplicateColumn { .. })
        ));
        assert!(matches!(
            read("id,time,account,kind,price\n"),
            Err(LedgerError::UnknownColumn { .. })
        ));
    }

    #[test]
    fn zero_usd_and_fee_are_valid_but_zero_crypto_is_not() {
        let ok = format!("{H}a,2025-01-01,cb,buy,0,USD,1,BTC,0,USD,,,,\n");
        assert!(read(&ok).is_ok());
        let bad = format!("{H}a,2025-01-01,cb,buy,1,USD,0,BTC,,,,,,\n");
        assert!(read(&bad).unwrap_err().to_string().contains("is zero"));
    }
}
