//! The ledger reader, then the engine and the Form 8949 rows, on arbitrary bytes.
#![no_main]

use chrono_tz::Tz;
use harvest::engine::{self, Config, Method, MissingBasis, Scope};
use harvest::ledger::LedgerBuilder;
use harvest::tax::{BoxRules, build_rows};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut b = LedgerBuilder::new(Tz::UTC);
    if b.read_csv(data, "fuzz.csv").is_err() {
        return;
    }
    let Ok(ledger) = b.finish() else {
        return;
    };
    for (method, scope, missing_basis, wash_window) in [
        (Method::Fifo, Scope::Wallet, MissingBasis::Error, 0),
        (Method::Hifo, Scope::Universal, MissingBasis::Zero, 0),
        (Method::Lifo, Scope::Wallet, MissingBasis::Zero, 30),
    ] {
        let cfg = Config {
            method,
            scope,
            missing_basis,
            tz: Tz::UTC,
            wash_window,
        };
        if let Ok(o) = engine::run(&ledger, &cfg, None, None, None) {
            let rows = build_rows(&ledger, &o, &BoxRules::default());
            if let Err(e) = engine::check_invariants(&ledger, &cfg, &o, &rows) {
                panic!("invariant broken: {e}");
            }
        }
    }
});
