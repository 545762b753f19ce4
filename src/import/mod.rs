//! Exchange exports into normalized ledger records (SPEC section 4).
