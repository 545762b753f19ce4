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
        #[test]
        fn trim_is_str_trim(s in "[ \t\u{a0}\u{3000}a-z,é'=-]{0,8}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }
}
