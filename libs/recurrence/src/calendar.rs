//! Proleptic Gregorian day arithmetic on plain integers.
//!
//! The expander steps through thousands of candidate days; doing that with `i32` day numbers
//! (days since 1970-01-01) instead of jiff `Span`s keeps a one-year daily expansion to a few
//! thousand cheap integer operations. jiff is used only at the edges (building a `Date` and
//! resolving a wall-clock time in a zone).

use jiff::civil::{Date, Weekday};

/// Days since 1970-01-01 for a valid civil date (the well-known era/day-of-era method).
pub(crate) fn days_from_civil(y: i32, m: i32, d: i32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: `(year, month 1..=12, day 1..=31)`.
pub(crate) fn civil_from_days(z: i32) -> (i32, i32, i32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

pub(crate) fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i32, m: i32) -> i32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday).
pub(crate) fn weekday0(day: i32) -> i32 {
    (day + 3).rem_euclid(7)
}

pub(crate) fn weekday_index(w: Weekday) -> i32 {
    i32::from(w.to_monday_zero_offset())
}

pub(crate) fn day_of(date: Date) -> i32 {
    days_from_civil(
        i32::from(date.year()),
        i32::from(date.month()),
        i32::from(date.day()),
    )
}

/// The jiff date for a day number; `None` outside jiff's range (years -9999..=9999).
pub(crate) fn date_of(day: i32) -> Option<Date> {
    let (y, m, d) = civil_from_days(day);
    Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_weekdays() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(weekday0(0), 3); // Thursday
        for z in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
            let date = date_of(z).unwrap();
            assert_eq!(weekday_index(date.weekday()), weekday0(z));
            assert_eq!(day_of(date), z);
        }
    }
}
