//! Timestamps. Every store keeps microseconds, so a value round-trips unchanged through any of
//! them; `now` truncates to that precision in one place. And the one reading of the dates and
//! times a client writes ([`parse_date`], [`parse_instant`]).

use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc};

/// A UTC instant with microsecond precision. Serialized as RFC 3339.
pub type Timestamp = DateTime<Utc>;

/// The current time, truncated to microseconds.
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

/// Microseconds since the Unix epoch: the integer form stores index.
pub fn to_micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// The inverse of [`to_micros`]; `None` outside chrono's range.
pub fn from_micros(micros: i64) -> Option<Timestamp> {
    DateTime::from_timestamp_micros(micros)
}

/// A date as a client writes one: `YYYY-MM-DD` exactly (a four-digit year from 1970 to 9999,
/// a two-digit month and day); `None` for anything else.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| raw.len() == 10 && (1970..=9999).contains(&d.year()))
}

/// The instant midnight starts `day`, in UTC.
pub fn start_of(day: NaiveDate) -> Timestamp {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Which end of a day a date given for a time means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEnd {
    /// Its start: a lower bound, from that day on.
    Start,
    /// The start of the next day: an upper bound (exclusive), up to the day's end.
    End,
}

/// A time as a client writes one: RFC 3339 (`2026-12-01T09:30:00Z`, any offset), or a date
/// ([`parse_date`]) for the `end` of that day it means, in UTC; `None` for anything else.
pub fn parse_instant(raw: &str, end: DayEnd) -> Option<Timestamp> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let day = parse_date(raw)?;
    let day = match end {
        DayEnd::Start => day,
        DayEnd::End => day.succ_opt()?,
    };
    Some(start_of(day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_exactly_year_month_day() {
        assert_eq!(
            parse_date("2026-02-28"),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        for bad in [
            "2026-2-28",
            "2026-02-30",
            "1969-12-31",
            "26-02-28",
            "2026-02-28T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn instants_are_rfc_3339_or_a_days_start_or_end() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(
            parse_instant("2026-12-01T10:30:00+01:00", DayEnd::End),
            Some(at("2026-12-01T09:30:00Z"))
        );
        assert_eq!(
            parse_instant("2026-12-01", DayEnd::Start),
            Some(at("2026-12-01T00:00:00Z"))
        );
        assert_eq!(
            parse_instant("2026-12-31", DayEnd::End),
            Some(at("2027-01-01T00:00:00Z"))
        );
        assert_eq!(parse_instant("yesterday", DayEnd::Start), None);
        assert_eq!(parse_instant("2026-12-1", DayEnd::Start), None);
    }
}
