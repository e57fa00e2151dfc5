//! The IANA zone a file's own zone copies: a VTIMEZONE named `Eastern` or `GMT +0100 (Standard)
//! / GMT +0200 (Daylight)` usually restates a real zone's rules. Stored under that zone's name, a
//! weekly 09:00 stays 09:00 through DST changes and follows future tzdb rules; stored as exact
//! UTC instants (what the importer does with a zone nothing else defines), it drifts by an hour
//! twice a year.
//!
//! Two zones are taken as the same when they give the same UTC offset at every transition of the
//! file's zone (and just before it) and at the start and middle of every year from
//! [`FROM_YEAR`] to [`TO_YEAR`]: recent years, the ones calendars schedule in. The candidates
//! are CLDR's primary zone for each Windows name (about 140, one or more per rule set in use;
//! `Eastern` becomes `America/New_York`, not one of the zones that have shared its rules since),
//! not the whole database: loading a zone is the cost here, and this bounds it.
//! No library offers this comparison (jiff compares names, not rules), hence this module.

use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::windows::windows_primary_zones;

/// The first year compared: the first full year of the US rules of 2007, which Outlook and
/// others state as their zones' only rules (since 1601), so a copy of them matches.
pub const FROM_YEAR: i16 = 2008;
/// The last year compared.
pub const TO_YEAR: i16 = 2037;

/// The IANA zone of the bundled database that agrees with `zone` from [`FROM_YEAR`] to
/// [`TO_YEAR`], if any.
pub fn iana_equivalent(zone: &TimeZone) -> Option<String> {
    let samples = samples(zone)?;
    let agrees = |name: &str| {
        jiff::tz::db().get(name).is_ok_and(|candidate| {
            samples
                .iter()
                .all(|&(t, offset)| candidate.to_offset(t) == offset)
        })
    };
    windows_primary_zones()
        .find(|name| agrees(name))
        .map(str::to_string)
}

/// `(instant, zone's offset there)`: the start and middle of each year of the range, and each
/// transition inside it with the instant before it. `None` when the range does not exist.
fn samples(zone: &TimeZone) -> Option<Vec<(Timestamp, jiff::tz::Offset)>> {
    let start = date(FROM_YEAR, 1, 1)
        .to_zoned(TimeZone::UTC)
        .ok()?
        .timestamp();
    let end = date(TO_YEAR + 1, 1, 1)
        .to_zoned(TimeZone::UTC)
        .ok()?
        .timestamp();
    let mut instants = Vec::new();
    for year in FROM_YEAR..=TO_YEAR {
        for month in [1, 7] {
            instants.push(
                date(year, month, 1)
                    .to_zoned(TimeZone::UTC)
                    .ok()?
                    .timestamp(),
            );
        }
    }
    for (at, _, _) in super::transitions_between(zone, start, end) {
        instants.push(at);
        instants.push(at.checked_sub(1.second()).ok()?);
    }
    Some(
        instants
            .into_iter()
            .map(|t| (t, zone.to_offset(t)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tzdb_zone_maps_to_itself_or_a_zone_with_its_offsets_and_a_made_up_one_to_none() {
        for name in ["Europe/Berlin", "America/New_York", "Australia/Sydney"] {
            let zone = TimeZone::get(name).unwrap();
            assert_eq!(iana_equivalent(&zone).as_deref(), Some(name));
        }
        let india = TimeZone::fixed(jiff::tz::Offset::from_seconds(5 * 3600 + 1800).unwrap());
        let found = iana_equivalent(&india).expect("a zone at +05:30 without DST");
        let found = TimeZone::get(&found).unwrap();
        for (t, offset) in samples(&india).unwrap() {
            assert_eq!(found.to_offset(t), offset);
        }
        // A file's fixed zone (one transition that keeps the offset, which jiff's `following`
        // repeats): UTC+11 without DST since 2017, as in python icalendar's issue 218 file.
        let vtz = crate::tz::VTimeZone {
            tzid: "UTC+11".into(),
            observances: vec![crate::tz::Observance {
                kind: crate::tz::ObservanceKind::Standard,
                dtstart: "20170101T000000".into(),
                offset_from: "+1100".into(),
                offset_to: "+1100".into(),
                rrule: None,
                rdates: vec![],
                name: None,
            }],
        };
        let plus11 = crate::tz::zone_from_vtimezone(&vtz).unwrap();
        assert_eq!(
            samples(&plus11).unwrap().len(),
            2 * usize::try_from(TO_YEAR - FROM_YEAR + 1).unwrap() + 2
        );
        let found = TimeZone::get(&iana_equivalent(&plus11).expect("a +11 zone")).unwrap();
        for (t, offset) in samples(&plus11).unwrap() {
            assert_eq!(found.to_offset(t), offset);
        }
        let odd = TimeZone::fixed(jiff::tz::Offset::from_seconds(3 * 3600 + 17 * 60).unwrap());
        assert_eq!(iana_equivalent(&odd), None);
    }
}
