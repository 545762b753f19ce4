//! Input readers: the files a run is given besides the ledger, each read into
//! typed values the engine and the reconciliation take as they are (neither
//! reads a file). Beside [`crate::ledger`], below the engine.
//!
//! - [`prices`]: `--prices`, USD prices by time (or current prices).
//! - [`selections`]: `--selections`, the lots specific identification names.
//! - [`allocation`]: `--allocation`, a frozen Rev. Proc. 2024-28 allocation.
//! - [`form_1099da`]: `--1099da`, a broker's Form 1099-DA rows.

pub mod allocation;
pub mod form_1099da;
pub mod prices;
pub mod selections;

/// Why a selections or allocation file could not be read: the file, the line
/// and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{file}:{line}: {what}")]
    Selections {
        file: String,
        line: u64,
        what: String,
    },
    #[error("{file}:{line}: {message}")]
    Allocation {
        file: String,
        line: u64,
        message: String,
    },
}

/// The position of column `name` in a CSV header: any case, a byte-order mark
/// before the first name ignored.
pub(crate) fn column(headers: &[String], name: &str) -> Option<usize> {
    headers
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The selections and allocation files: lines as an editor counts them with
    // CRLF ends (README: CRLF reads like LF), and a quote never closed is an error
    // at its line (RFC 4180 section 2.5-2.7), not a file cut short.
    #[test]
    fn selection_and_allocation_files_name_the_right_line() {
        let e = selections::Selections::read(
            "disposal_id,lot_id,quantity\r\ns,a,1\r\n\r\ns,b,x\r\n".as_bytes(),
            "sel.csv",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("sel.csv:4: column quantity \"x\""),
            "{e}"
        );
        let e = selections::Selections::read(
            "disposal_id,lot_id,quantity\ns,\"a,1\ns,b,1\n".as_bytes(),
            "sel.csv",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("sel.csv:2: a quote (\") opens a cell on this line and is never closed"),
            "{e}"
        );
        let e = allocation::FrozenAllocation::read(
            "asset,wallet,lot_id,quantity\r\nBTC,cb,a,1\r\nBTC,cb,b,x\r\n".as_bytes(),
            "alloc.csv",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("alloc.csv:3: column quantity \"x\""),
            "{e}"
        );
        let e = allocation::FrozenAllocation::read(
            "asset,wallet,lot_id,quantity\nBTC,\"cb,a,1\nBTC,cb,b,1\n".as_bytes(),
            "alloc.csv",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains(
                "alloc.csv:2: a quote (\") opens a cell on this line and is never closed"
            ),
            "{e}"
        );
    }
}
