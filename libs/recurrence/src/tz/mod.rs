//! Time zones from and for iCalendar files, without any iCalendar parser: plain inputs and
//! outputs so the calendar's importer and exporter can call it.
//!
//! * [`windows_to_iana`]: Outlook/Exchange zone names (`"W. Europe Standard Time"`) to IANA
//!   names, from CLDR's `windowsZones` table.
//! * [`zone_from_vtimezone`]: a zone from a VTIMEZONE's STANDARD/DAYLIGHT sub-components, for
//!   files that define their own zones.
//! * [`resolve_tzid`]: the policy an importer applies to a `TZID` parameter (IANA name, then
//!   Windows name, then the file's VTIMEZONE).
//! * [`vtimezone_for`]: a VTIMEZONE for an IANA zone over a range of years, for the exporter.
//! * [`iana_equivalent`]: the IANA zone whose rules a file's own zone restates, so an importer
//!   can store the event in it.
//! * [`posix_equivalent`]: otherwise, the POSIX TZ rule it follows (`<+01>-1<+02>,M3.5.0,...`),
//!   a zone name too: [`named_zone`] resolves IANA names and such rules alike.

mod equivalent;
mod export;
mod posix;
mod vtimezone;
mod windows;

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan};

pub use equivalent::{iana_equivalent, FROM_YEAR as EQUIVALENCE_FROM_YEAR};
pub use export::vtimezone_for;
pub use posix::{named_zone, posix_equivalent, PosixEquivalent, PosixRule};
pub use vtimezone::{
    wall_to_instant, zone_from_vtimezone, Observance, ObservanceKind, TzError, VTimeZone,
    LAST_ONSET_YEAR, MAX_TRANSITIONS,
};
pub use windows::{windows_names, windows_to_iana};

/// What a `TZID` names.
#[derive(Clone, Debug)]
pub enum ResolvedZone {
    /// A zone of the bundled IANA database (directly, or via CLDR's Windows mapping): store
    /// this name on the event, so recurring events follow future tzdb rules.
    Iana(String),
    /// A zone only the file's VTIMEZONE defines (named by its TZID). Its instants are exact;
    /// an event stored in an IANA zone needs its times converted with it first.
    Custom(TimeZone),
}

/// The IANA name in the bundled database for `name`, accepting RFC 5545's globally unique
/// `/` prefix and spaces for underscores (`"/America/Los Angeles"`).
fn bundled_iana(name: &str) -> Option<String> {
    let name = name.trim();
    let name = name.strip_prefix('/').unwrap_or(name);
    [name.to_string(), name.replace(' ', "_")]
        .into_iter()
        .find_map(|n| {
            jiff::tz::db()
                .get(&n)
                .ok()
                .and_then(|z| z.iana_name().map(str::to_string))
        })
}

/// Resolves a `TZID` the way the importer should: an IANA name of the bundled database wins
/// (even when the file also has a VTIMEZONE for it: tzdb is more complete than what files
/// carry), then a Windows name through CLDR, then the file's own VTIMEZONE `definition`.
/// `UnknownZone` when none applies; the VTIMEZONE's own errors otherwise.
pub fn resolve_tzid(tzid: &str, definition: Option<&VTimeZone>) -> Result<ResolvedZone, TzError> {
    if let Some(name) = bundled_iana(tzid) {
        return Ok(ResolvedZone::Iana(name));
    }
    if let Some(name) = windows_to_iana(tzid) {
        return Ok(ResolvedZone::Iana(name.to_string()));
    }
    match definition {
        Some(vtz) => zone_from_vtimezone(vtz).map(ResolvedZone::Custom),
        None => Err(TzError::UnknownZone(tzid.to_string())),
    }
}

/// `zone`'s transitions in `[from, to)` as `(instant, offset from then on, whether it is DST)`,
/// one at a time, each strictly after the last: jiff's `following` repeats a transition that
/// keeps the offset (a file's fixed zone has one) instead of moving on.
pub(crate) fn transitions_between(
    zone: &TimeZone,
    from: Timestamp,
    to: Timestamp,
) -> Vec<(Timestamp, Offset, bool)> {
    let mut out = Vec::new();
    let mut after = from;
    while let Some(t) = zone.following(after).next() {
        let at = t.timestamp();
        if at < after || at >= to {
            break;
        }
        out.push((at, t.offset(), t.dst().is_dst()));
        let Ok(next) = at.checked_add(1.second()) else {
            break;
        };
        after = next;
    }
    out
}

/// Which week of its month `day` is in (1 for days 1 to 7, ...), and whether it is in the
/// month's last seven days: the `n` and `-1` of a yearly rule's `BYDAY=nSU`.
pub(crate) fn week_of_month(day: Date) -> (i8, bool) {
    let d = day.day();
    let dim = crate::calendar::days_in_month(i32::from(day.year()), i32::from(day.month()));
    ((d - 1) / 7 + 1, i32::from(d) + 7 > dim)
}
