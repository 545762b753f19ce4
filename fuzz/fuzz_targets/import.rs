//! Every importer (detected, and each format forced), then the ledger checks and
//! the engine, on arbitrary bytes. The first byte picks the format.
#![no_main]

use chrono_tz::Tz;
use harvest::engine::{self, Config, MissingBasis};
use harvest::import::{Format, ImportOptions, Importer};
use harvest::ledger::LedgerBuilder;
use harvest::tax::{BoxRules, build_rows};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, data)) = data.split_first() else {
        return;
    };
    let format = Format::ALL
        .get(pick as usize % (Format::ALL.len() + 1))
        .copied();
    let mut imp = Importer::new(ImportOptions {
        account: None,
        prices: None,
        tz: Tz::UTC,
        accounts: Default::default(),
    });
    let Ok(imported) = imp.import(data, "fuzz.csv", format) else {
        return;
    };
    let mut b = LedgerBuilder::new(Tz::UTC);
    let file: std::sync::Arc<str> = "fuzz.csv".into();
    let idx = b.add_file("fuzz.csv");
    for (line, rec) in &imported.records {
        b.add_record(rec, &file, idx, *line);
    }
    let Ok(ledger) = b.finish() else {
        return;
    };
    let cfg = Config {
        missing_basis: MissingBasis::Zero,
        ..Config::default()
    };
    if let Ok(o) = engine::run(&ledger, &cfg, None, None, None) {
        let rows = build_rows(&ledger, &o, &BoxRules::default());
        if let Err(e) = engine::check_invariants(&ledger, &cfg, &o, &rows) {
            panic!("invariant broken: {e}");
        }
    }
});
