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

/// Undoes [`safe_text`] when harvest reads back a file it wrote (a ledger from
/// `import` or `scan --emit-ledger`, a selections file), so names survive the
/// round trip exactly.
pub fn unprotect(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if safe_text(rest).len() == s.len() => rest,
        _ => s,
    }
}
