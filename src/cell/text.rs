//! Text cells and spreadsheet formula injection (SPEC section 5).

use rust_decimal::Decimal;

/// Protects a text cell against spreadsheet formula injection (SPEC section 5): a
/// cell starting with `=`, `+`, `-`, `@`, tab or CR that is not a number gets a
/// leading `'`.
pub fn safe_text(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if risky && s.parse::<Decimal>().is_err() {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Appends a CSV cell as the csv crate's writer (quoting only when needed)
/// writes it: in quotes, with its quotes doubled, when it holds a comma, a
/// quote, a carriage return or a line feed; as it is otherwise. The ledger's
/// lines and the Form 8949 rows are written by hand with it, for speed (and
/// it is inlined into both: a call per cell cost 1.4% of an import's
/// instructions, and `#[inline]` alone did not inline it).
#[inline(always)]
pub fn push_csv_cell(out: &mut Vec<u8>, cell: &[u8]) {
    if !csv_needs_quotes(cell) {
        out.extend_from_slice(cell);
        return;
    }
    out.push(b'"');
    for part in cell.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// The first cell of a CSV line that [`push_csv_cell`] wrote, unquoted.
pub fn first_csv_cell(line: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let Some(quoted) = line.strip_prefix(b"\"") else {
        let end = (line.iter())
            .position(|&b| matches!(b, b',' | b'\r' | b'\n'))
            .unwrap_or(line.len());
        return std::borrow::Cow::Borrowed(&line[..end]);
    };
    let mut cell = Vec::new();
    let mut rest = quoted;
    // Up to a quote not doubled; a doubled one stands for one.
    while let Some(q) = rest.iter().position(|&b| b == b'"') {
        cell.extend_from_slice(&rest[..q]);
        if rest.get(q + 1) != Some(&b'"') {
            break;
        }
        cell.push(b'"');
        rest = &rest[q + 2..];
    }
    std::borrow::Cow::Owned(cell)
}

/// Whether the csv crate's writer would quote `cell` (see [`push_csv_cell`]).
#[inline]
pub fn csv_needs_quotes(cell: &[u8]) -> bool {
    cell.iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// `str::trim`, at once for the usual cell that starts and ends with a
/// printable ASCII character (a row's cells are trimmed millions of times).
pub fn trim(s: &str) -> &str {
    let printable = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    // An empty cell (most rows have some) is its own trim.
    if s.is_empty() || printable(s.as_bytes().first()) && printable(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

/// Undoes [`safe_text`] when harvest reads back a file it wrote (a ledger from
/// `import` or `scan --emit-ledger`, a selections file), so names survive the
/// round trip exactly.
pub fn unprotect(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if safe_text(rest).len() == s.len() => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The first cell of a line written cell by cell is read back as it
        /// was, as the csv crate reads it.
        #[test]
        fn the_first_cell_reads_back(cells in proptest::collection::vec("[a-z,\"\r\n' =-]{0,6}", 1..4)) {
            let mut line = Vec::new();
            for (i, c) in cells.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                push_csv_cell(&mut line, c.as_bytes());
            }
            line.push(b'\n');
            proptest::prop_assert_eq!(&*first_csv_cell(&line), cells[0].as_bytes());
            let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&line[..]);
            let mut rec = csv::ByteRecord::new();
            if r.read_byte_record(&mut rec).unwrap() && !(cells.len() == 1 && cells[0].is_empty()) {
                proptest::prop_assert_eq!(&*first_csv_cell(&line), &rec[0]);
            }
        }

        #[test]
        fn trim_is_str_trim(s in "[ \t\u{a0}\u{3000}a-z,é'=-]{0,8}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }
}
