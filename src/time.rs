//! Reading times and turning them into calendar dates in the tax time zone.
//!
//! The law speaks in dates; exchanges speak in instants. Every instant is kept in
//! UTC for ordering, and turned into a date in the user's `--tz` only where a rule
//! needs a date (tax year, holding period).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Why a time cell could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error(
        "time has no UTC offset: add `Z` or an offset such as `-05:00`, or give a bare date YYYY-MM-DD"
    )]
    NoOffset,
    #[error("is neither an RFC 3339 time (2025-03-01T14:05:00Z) nor a date (2025-03-01)")]
    Unreadable,
}

/// Parses an RFC 3339 time (`T` or space, fractional seconds, `Z` or an offset) or a
/// bare `YYYY-MM-DD` date, which means midnight of that date in `tz`.
pub fn parse_time(s: &str, tz: Tz) -> Result<DateTime<Utc>, TimeError> {
    let s = s.trim_ascii();
    if let Some(t) = parse_utc_seconds(s.as_bytes()) {
        return Ok(t);
    }
    if s.len() == 10 {
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(start_of_day(d, tz));
        }
        return Err(TimeError::Unreadable);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    // RFC 3339 allows a space for `T`; chrono's strict parser may not.
    if let Some((d, rest)) = s.split_once(' ')
        && let Ok(t) = DateTime::parse_from_rfc3339(&format!("{d}T{rest}"))
    {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = s.replacen(' ', "T", 1);
    if NaiveDateTime::parse_from_str(&naive, "%Y-%m-%dT%H:%M:%S%.f").is_ok() {
        return Err(TimeError::NoOffset);
    }
    Err(TimeError::Unreadable)
}

/// The fast path for the common cell `YYYY-MM-DDTHH:MM:SSZ`.
fn parse_utc_seconds(b: &[u8]) -> Option<DateTime<Utc>> {
    if !utc_seconds_shape(b) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(b, 0..4)? as i32, num(b, 5..7)?, num(b, 8..10)?)?;
    utc_seconds_on(date, b)
}

/// True when `b` is laid out as `YYYY-MM-DDTHH:MM:SSZ` (digits unchecked).
fn utc_seconds_shape(b: &[u8]) -> bool {
    b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
}

/// The time of day of a `utc_seconds_shape` cell, on `date`.
fn utc_seconds_on(date: NaiveDate, b: &[u8]) -> Option<DateTime<Utc>> {
    let time = NaiveTime::from_hms_opt(num(b, 11..13)?, num(b, 14..16)?, num(b, 17..19)?)?;
    Some(Utc.from_utc_datetime(&date.and_time(time)))
}

/// The decimal number written in `b[r]`, all ASCII digits.
fn num(b: &[u8], r: std::ops::Range<usize>) -> Option<u32> {
    let mut n = 0u32;
    for &c in &b[r] {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// Reads time cells as [`parse_time`] does, remembering the last date read:
/// ledger rows come in time order, so most share the date of the row before.
#[derive(Debug, Clone)]
pub struct TimeReader {
    tz: Tz,
    last: Option<([u8; 10], NaiveDate)>,
}

impl TimeReader {
    /// A reader whose bare dates mean midnight in `tz`.
    pub fn new(tz: Tz) -> Self {
        TimeReader { tz, last: None }
    }

    /// Exactly [`parse_time`] of the cell.
    pub fn parse(&mut self, s: &str) -> Result<DateTime<Utc>, TimeError> {
        let b = s.trim_ascii().as_bytes();
        if utc_seconds_shape(b) {
            if let Some((day, date)) = &self.last
                && day[..] == b[..10]
            {
                if let Some(t) = utc_seconds_on(*date, b) {
                    return Ok(t);
                }
            } else if let Some(t) = parse_utc_seconds(b) {
                let mut day = [0u8; 10];
                day.copy_from_slice(&b[..10]);
                self.last = Some((day, t.date_naive()));
                return Ok(t);
            }
        }
        parse_time(s, self.tz)
    }
}

/// The first instant of `date` in `tz` (the next valid instant if midnight falls in
/// a daylight-saving gap).
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut local = date.and_time(NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += chrono::Duration::minutes(30);
    }
    // No zone skips two hours; fall back to reading the date in UTC.
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

/// The calendar date of an instant in `tz`.
pub fn date_in(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    // UTC, the default, needs no zone lookup (called for every lot and disposal).
    if tz == Tz::UTC {
        return t.date_naive();
    }
    t.with_timezone(&tz).date_naive()
}

/// The first instant after `date` ends in `tz`: rows before it are "as of" `date`.
pub fn end_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    match date.succ_opt() {
        Some(next) => start_of_day(next, tz),
        None => DateTime::<Utc>::MAX_UTC,
    }
}

/// A duration as people say it in a warning: "36 hours", "3 days".
pub fn age(d: chrono::Duration) -> String {
    let hours = d.num_hours();
    if hours < 48 {
        format!("{hours} hours")
    } else {
        format!("{} days", d.num_days())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reads_rfc3339_variants() {
        let tz = Tz::UTC;
        assert_eq!(
            parse_time("2025-03-01T14:05:00Z", tz),
            Ok(utc("2025-03-01T14:05:00Z"))
        );
        assert_eq!(
            parse_time("2025-03-01 14:05:00Z", tz),
            Ok(utc("2025-03-01T14:05:00Z"))
        );
        assert_eq!(
            parse_time("2025-03-01T09:05:00.250-05:00", tz),
            Ok(utc("2025-03-01T14:05:00.250Z"))
        );
    }

    #[test]
    fn the_reader_reads_as_parse_time() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let mut r = TimeReader::new(ny);
        for s in [
            "2025-03-01T14:05:00Z",
            "2025-03-01T23:59:59Z",
            "2025-03-01T24:00:00Z",
            "2025-03-01T14:05:00",
            "2025-03-01",
            " 2025-03-01T00:00:00Z ",
            "2025-03-02T00:00:00Z",
            "2025-02-30T00:00:00Z",
            "2025-02-30T00:00:00Z",
            "2025-03-02T1x:00:00Z",
            "2025-03-02 10:00:00Z",
            "2025-03-02T10:00:00.5Z",
            "",
        ] {
            assert_eq!(r.parse(s), parse_time(s, ny), "{s}");
        }
    }

    #[test]
    fn bare_date_is_midnight_in_tz() {
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            parse_time("2025-03-01", ny),
            Ok(utc("2025-03-01T05:00:00Z"))
        );
        assert_eq!(
            parse_time("2025-03-01", Tz::UTC),
            Ok(utc("2025-03-01T00:00:00Z"))
        );
    }

    #[test]
    fn rejects_naive_and_garbage() {
        assert_eq!(
            parse_time("2025-03-01T14:05:00", Tz::UTC),
            Err(TimeError::NoOffset)
        );
        assert_eq!(
            parse_time("03/01/2025", Tz::UTC),
            Err(TimeError::Unreadable)
        );
        assert_eq!(
            parse_time("2025-02-30", Tz::UTC),
            Err(TimeError::Unreadable)
        );
        assert_eq!(parse_time("", Tz::UTC), Err(TimeError::Unreadable));
    }

    #[test]
    fn new_york_midnight_of_dec_31() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 03:00 UTC on Jan 1 is still Dec 31 in New York.
        let t = utc("2026-01-01T03:00:00Z");
        assert_eq!(
            date_in(t, ny),
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
        );
        assert_eq!(
            date_in(t, Tz::UTC),
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        );
    }
}
