//! The holding period (IRS Pub. 544; Form 8949 instructions): it starts the day
//! after acquisition, and a disposal is long-term only when made after the
//! one-year anniversary of the acquisition date. Sold on the anniversary is
//! short-term; a lot acquired on Feb 29 has its anniversary on Feb 28.

use chrono::{Datelike, NaiveDate};

/// Short-term (held one year or less) or long-term (more than one year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Term {
    Short,
    Long,
}

impl Term {
    /// `short` or `long`, as the CSV writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Term::Short => "short",
            Term::Long => "long",
        }
    }
}

/// The one-year anniversary of `d` (Feb 29 maps to Feb 28).
pub fn anniversary(d: NaiveDate) -> NaiveDate {
    let y = d.year() + 1;
    NaiveDate::from_ymd_opt(y, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, d.month(), d.day() - 1))
        .unwrap_or(NaiveDate::MAX)
}

/// The term of a disposal on `sold` of a lot acquired on `acquired` (both dates in
/// the tax time zone).
pub fn term(acquired: NaiveDate, sold: NaiveDate) -> Term {
    if sold > anniversary(acquired) {
        Term::Long
    } else {
        Term::Short
    }
}

/// The term of a disposal on `sold` of `lot`: inherited units (and units
/// converted from them) are long-term whatever the dates (IRC 1223(9)).
pub fn lot_term(lot: &crate::engine::Lot, sold: NaiveDate) -> Term {
    if lot.always_long {
        Term::Long
    } else {
        term(lot.holding_from, sold)
    }
}

/// The first date on which a lot acquired on `acquired` sells long-term.
pub fn long_term_from(acquired: NaiveDate) -> NaiveDate {
    anniversary(acquired).succ_opt().unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// RULES.md section 5, edge-case table.
    #[test]
    fn rules_md_edge_cases() {
        let cases = [
            ("2024-06-17", "2025-06-17", Term::Short),
            ("2024-06-17", "2025-06-18", Term::Long),
            ("2024-02-29", "2025-02-28", Term::Short),
            ("2024-02-29", "2025-03-01", Term::Long),
            ("2024-01-01", "2025-01-01", Term::Short),
            ("2024-01-01", "2025-01-02", Term::Long),
            ("2023-03-01", "2024-03-01", Term::Short),
            ("2023-03-01", "2024-03-02", Term::Long),
            ("2027-02-28", "2028-02-29", Term::Long),
            ("2024-04-30", "2025-05-01", Term::Long),
        ];
        for (a, s, want) in cases {
            assert_eq!(term(d(a), d(s)), want, "acquired {a}, sold {s}");
        }
    }

    #[test]
    fn same_day_is_short() {
        assert_eq!(term(d("2025-01-01"), d("2025-01-01")), Term::Short);
    }

    #[test]
    fn long_term_starts_the_day_after_the_anniversary() {
        assert_eq!(long_term_from(d("2024-06-17")), d("2025-06-18"));
        assert_eq!(long_term_from(d("2024-02-29")), d("2025-03-01"));
    }
}
