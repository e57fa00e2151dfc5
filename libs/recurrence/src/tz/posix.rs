//! Zones named by a POSIX TZ rule (`<+01>-1<+02>,M3.5.0,M10.5.0`), for a zone only an
//! iCalendar file defines and no IANA zone restates ([`super::iana_equivalent`]): its yearly
//! rules still fit in a rule string, and a rule string is a zone name every expansion
//! understands ([`named_zone`]), so a weekly 09:00 in it stays 09:00 across its DST changes.
//!
//! Accepted is a subset of POSIX (IEEE 1003.1, section 8.3): names in angle brackets only (so
//! `UTC+3`, which POSIX reads as three hours *west* of UTC, is never taken for a rule), offsets
//! within 24 hours, and DST changes only as `Mm.w.d[/time]`, the time from 0 to 167 hours
//! (RFC 8536's extension of POSIX's 24). The web app evaluates the same subset
//! (`frontend/src/lib/time.ts`), since browsers' `Intl` knows IANA names only. jiff evaluates
//! the rules (`TimeZone::posix`); parsing the subset and deriving a rule from a zone's
//! transitions are written here because no library offers either.

use core::fmt;

use jiff::civil::{date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::LAST_ONSET_YEAR;

/// The first year whose transitions a rule is derived from: late enough that a file's
/// historical rules are over, early enough that its expansion (up to [`LAST_ONSET_YEAR`]) runs.
const SAMPLE_FROM: i16 = 2100;
/// Years sampled (every weekday a date can fall on, several times): a rule holds for all of
/// them or is not derived.
const SAMPLE_YEARS: i16 = 28;
/// Agreement with the file's zone is checked from here to [`LAST_ONSET_YEAR`].
const CHECK_FROM: i16 = 1900;

/// A zone name: an IANA name of the bundled database, else an accepted POSIX rule.
pub fn named_zone(name: &str) -> Option<TimeZone> {
    jiff::tz::db()
        .get(name)
        .ok()
        .or_else(|| PosixRule::parse(name)?.zone())
}

/// A parsed rule of the accepted subset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PosixRule {
    standard: Observed,
    daylight: Option<Daylight>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Observed {
    name: String,
    /// Seconds east of UTC (POSIX writes the opposite sign).
    offset: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Daylight {
    observed: Observed,
    /// When DST starts, in standard time.
    start: Change,
    /// When it ends, in DST.
    end: Change,
}

/// `Mm.w.d/time`: weekday `d` (0 = Sunday) of week `w` (5 = the last) of month `m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Change {
    month: i8,
    week: i8,
    weekday: i8,
    /// Seconds after local midnight of that day, 0 to 167 hours.
    time: i32,
}

const DAY: i32 = 86_400;
/// A change's time may run this many hours past its day's midnight (RFC 8536 section 3.3.1).
const MAX_CHANGE_HOURS: i32 = 167;

impl PosixRule {
    /// The rule `text` states, if it is in the accepted subset.
    pub fn parse(text: &str) -> Option<Self> {
        let mut p = Parser(text);
        let standard = p.observed()?;
        let daylight = if p.0.is_empty() {
            None
        } else {
            let name = p.name()?;
            // The DST offset defaults to one hour ahead of standard time.
            let offset = if p.0.starts_with(',') {
                standard.offset + 3600
            } else {
                p.offset()?
            };
            let start = p.change()?;
            let end = p.change()?;
            Some(Daylight {
                observed: Observed { name, offset },
                start,
                end,
            })
        };
        p.0.is_empty().then_some(Self { standard, daylight })
    }

    /// The zone it states (jiff evaluates it).
    pub fn zone(&self) -> Option<TimeZone> {
        TimeZone::posix(&self.to_string()).ok()
    }

    fn fixed(offset: i32) -> Option<Self> {
        Some(Self {
            standard: Observed::at(offset)?,
            daylight: None,
        })
    }
}

impl Observed {
    /// Named after its offset (`<+0530>`), as tzdb names zones without an abbreviation.
    fn at(offset: i32) -> Option<Self> {
        if offset.abs() > DAY || offset % 60 != 0 {
            return None;
        }
        let a = offset.abs() / 60;
        let sign = if offset < 0 { '-' } else { '+' };
        let name = match a % 60 {
            0 => format!("{sign}{:02}", a / 60),
            m => format!("{sign}{:02}{m:02}", a / 60),
        };
        Some(Self { name, offset })
    }
}

struct Parser<'a>(&'a str);

impl Parser<'_> {
    fn eat(&mut self, c: char) -> bool {
        match self.0.strip_prefix(c) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    fn number(&mut self, max: i32) -> Option<i32> {
        let digits = self.0.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 3 {
            return None;
        }
        let n: i32 = self.0[..digits].parse().ok()?;
        self.0 = &self.0[digits..];
        (n <= max).then_some(n)
    }

    fn observed(&mut self) -> Option<Observed> {
        let name = self.name()?;
        let offset = self.offset()?;
        Some(Observed { name, offset })
    }

    /// `<name>`: 3 or more letters, digits, `+` or `-`.
    fn name(&mut self) -> Option<String> {
        let rest = self.0.strip_prefix('<')?;
        let end = rest.find('>')?;
        let name = &rest[..end];
        let valid = name.len() >= 3
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-');
        self.0 = &rest[end + 1..];
        valid.then(|| name.to_string())
    }

    /// `[+-]hh[:mm[:ss]]` west of UTC, as seconds east.
    fn offset(&mut self) -> Option<i32> {
        let west = !self.eat('-');
        if west {
            self.eat('+');
        }
        let seconds = self.clock(24)?;
        (seconds <= DAY).then_some(if west { -seconds } else { seconds })
    }

    /// `hh[:mm[:ss]]` with at most `max_hours` hours, as seconds.
    fn clock(&mut self, max_hours: i32) -> Option<i32> {
        let mut seconds = self.number(max_hours)? * 3600;
        for unit in [60, 1] {
            if !self.eat(':') {
                break;
            }
            seconds += self.number(59)? * unit;
        }
        Some(seconds)
    }

    /// `,Mm.w.d[/time]`.
    fn change(&mut self) -> Option<Change> {
        if !(self.eat(',') && self.eat('M')) {
            return None;
        }
        let month = self.number(12)?;
        let week = (self.eat('.')).then(|| self.number(5))??;
        let weekday = (self.eat('.')).then(|| self.number(6))??;
        let time = if self.eat('/') {
            self.clock(MAX_CHANGE_HOURS)?
        } else {
            2 * 3600
        };
        (month >= 1 && week >= 1).then_some(Change {
            month: month as i8,
            week: week as i8,
            weekday: weekday as i8,
            time,
        })
    }
}

fn write_clock(f: &mut fmt::Formatter<'_>, seconds: i32) -> fmt::Result {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    write!(f, "{h}")?;
    if m != 0 || s != 0 {
        write!(f, ":{m:02}")?;
    }
    if s != 0 {
        write!(f, ":{s:02}")?;
    }
    Ok(())
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.name)?;
        if self.offset > 0 {
            f.write_str("-")?;
        }
        write_clock(f, self.offset.abs())
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ",M{}.{}.{}", self.month, self.week, self.weekday)?;
        if self.time != 2 * 3600 {
            f.write_str("/")?;
            write_clock(f, self.time)?;
        }
        Ok(())
    }
}

impl fmt::Display for PosixRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.standard)?;
        if let Some(d) = &self.daylight {
            // The DST offset is left out when it is the default, one hour ahead.
            if d.observed.offset == self.standard.offset + 3600 {
                write!(f, "<{}>", d.observed.name)?;
            } else {
                write!(f, "{}", d.observed)?;
            }
            write!(f, "{}{}", d.start, d.end)?;
        }
        Ok(())
    }
}

/// A rule restating a zone, and the instant from which they agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PosixEquivalent {
    /// The rule, as stored on an event.
    pub rule: String,
    /// From here to [`LAST_ONSET_YEAR`] (where a file's zone stops changing) both give the
    /// same offset at every instant; an event starting earlier cannot be stored in the rule.
    pub since: Timestamp,
}

/// The POSIX rule `zone` follows in its later years (a fixed offset, or one yearly change
/// into DST and one out of it, each on the same weekday of the same week and month at the same
/// time), and since when it agrees with `zone`. `None` when its later years follow no such
/// rule.
pub fn posix_equivalent(zone: &TimeZone) -> Option<PosixEquivalent> {
    let rule = derive(zone)?;
    let candidate = rule.zone()?;
    let since = agree_since(zone, &candidate)?;
    Some(PosixEquivalent {
        rule: rule.to_string(),
        since,
    })
}

fn year_start(year: i16) -> Option<Timestamp> {
    Some(date(year, 1, 1).to_zoned(TimeZone::UTC).ok()?.timestamp())
}

/// `(instant, offset before, offset after, into DST)` for each change of offset in `[from, to)`.
fn transitions(
    zone: &TimeZone,
    from: Timestamp,
    to: Timestamp,
) -> Vec<(Timestamp, i32, i32, bool)> {
    super::transitions_between(zone, from, to)
        .into_iter()
        .filter_map(|(at, after, dst)| {
            let before = zone.to_offset(at - jiff::SignedDuration::from_secs(1));
            (before != after).then(|| (at, before.seconds(), after.seconds(), dst))
        })
        .collect()
}

fn derive(zone: &TimeZone) -> Option<PosixRule> {
    let from = year_start(SAMPLE_FROM)?;
    let to = year_start(SAMPLE_FROM + SAMPLE_YEARS)?;
    let changes = transitions(zone, from, to);
    if changes.is_empty() {
        return PosixRule::fixed(zone.to_offset(from).seconds());
    }
    if changes.len() != 2 * SAMPLE_YEARS as usize {
        return None;
    }
    // DST is the offset the zone marks as such, else the later clock.
    let (a, b) = (changes[0].2, changes[1].2);
    let marked: Vec<i32> = changes.iter().filter(|c| c.3).map(|c| c.2).collect();
    let dst = match marked.first() {
        Some(&o) if marked.iter().all(|&m| m == o) && (o == a || o == b) && a != b => o,
        _ => a.max(b),
    };
    let std = if dst == a { b } else { a };
    if std == dst || changes.iter().any(|c| ![a, b].contains(&c.2)) {
        return None;
    }
    let into = |offset: i32| changes.iter().filter(|c| c.2 == offset).collect::<Vec<_>>();
    let start = yearly_change(&into(dst))?;
    let end = yearly_change(&into(std))?;
    Some(PosixRule {
        standard: Observed::at(std)?,
        daylight: Some(Daylight {
            observed: Observed::at(dst)?,
            start,
            end,
        }),
    })
}

/// The `Mm.w.d/time` every one of these yearly transitions follows, if one does. A change on
/// "the Sunday on or after the 21st" (Fiji's) is no week's Sunday, but always 6 days after the
/// third Monday: the time may then run past the day, up to 167 hours (RFC 8536's extension).
fn yearly_change(changes: &[&(Timestamp, i32, i32, bool)]) -> Option<Change> {
    if changes.len() != SAMPLE_YEARS as usize {
        return None;
    }
    (0..7).find_map(|days_after| same_change(changes, days_after))
}

/// The change every transition follows when each is `days_after` days after its anchor day.
fn same_change(changes: &[&(Timestamp, i32, i32, bool)], days_after: i32) -> Option<Change> {
    let mut found: Option<(Change, bool, bool)> = None;
    for &&(at, before, _, _) in changes {
        let local: DateTime = jiff::tz::Offset::from_seconds(before).ok()?.to_datetime(at);
        let anchor = local.date().checked_sub(days_after.days()).ok()?;
        if anchor.month() != local.month() {
            return None;
        }
        let (week, last) = super::week_of_month(anchor);
        let t = local.time();
        let change = Change {
            month: anchor.month(),
            week,
            weekday: anchor.weekday().to_sunday_zero_offset(),
            time: days_after * DAY
                + i32::from(t.hour()) * 3600
                + i32::from(t.minute()) * 60
                + i32::from(t.second()),
        };
        found = match found {
            None => Some((change, true, last)),
            Some((first, same_week, all_last)) => {
                let same = (first.month, first.weekday, first.time)
                    == (change.month, change.weekday, change.time);
                if !same {
                    return None;
                }
                Some((
                    first,
                    same_week && first.week == change.week,
                    all_last && last,
                ))
            }
        };
    }
    // The last-week form when it fits: how rules are usually stated (`-1SU`).
    match found? {
        (change, _, true) => Some(Change { week: 5, ..change }),
        (change, true, false) => Some(change),
        _ => None,
    }
}

/// The first instant from which `a` and `b` give the same offset at every instant up to
/// [`LAST_ONSET_YEAR`] (checked at every transition of either), or `None` if they differ at
/// the end.
fn agree_since(a: &TimeZone, b: &TimeZone) -> Option<Timestamp> {
    let from = year_start(CHECK_FROM)?;
    let to = year_start(LAST_ONSET_YEAR)?;
    let mut points: Vec<Timestamp> = transitions(a, from, to)
        .into_iter()
        .chain(transitions(b, from, to))
        .map(|t| t.0)
        .collect();
    points.push(from);
    points.sort();
    points.dedup();
    let mut since = Some(from);
    for (i, &p) in points.iter().enumerate() {
        if a.to_offset(p) != b.to_offset(p) {
            since = points.get(i + 1).copied();
        }
    }
    since
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subset_parses_and_writes_back() {
        for text in [
            "<+01>-1<+02>,M3.5.0,M10.5.0/3",
            "<-03>3<-02>,M10.2.6/23:59:59,M2.3.6/23:59:59",
            "<+0530>-5:30",
            "<+10>-10",
            "<-0330>3:30<-0230>,M3.2.0,M11.1.0",
            "<+12>-12<+13>,M10.3.1/146,M1.3.4/75",
        ] {
            let rule = PosixRule::parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(rule.to_string(), text);
            assert!(named_zone(text).is_some(), "{text}");
        }
        // Names outside brackets (POSIX's `UTC+3` is UTC-3), Julian days, trailing text,
        // impossible months, weeks and offsets.
        for text in [
            "UTC+3",
            "EST5EDT",
            "<+01>-1<+02>,J60,J300",
            "<+01>-1 ",
            "<+01>-1<+02>,M13.1.0,M10.5.0",
            "<+01>-1<+02>,M3.6.0,M10.5.0",
            "<+01>-1<+02>,M3.0.0,M10.5.0",
            "<+25>-25",
            "<+01>-1:75",
            "<+12>-12<+13>,M10.3.1/168,M1.3.4/75",
            "<A>-1",
            "<+01>-1<+02>",
        ] {
            assert_eq!(PosixRule::parse(text), None, "{text}");
        }
        // IANA names are zones too; an unknown name is not.
        assert!(named_zone("Europe/Berlin").is_some());
        assert!(named_zone("UTC+3").is_none());
    }

    #[test]
    fn a_rule_is_derived_from_a_zone_and_agrees_with_it() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let found = posix_equivalent(&berlin).unwrap();
        assert_eq!(found.rule, "<+01>-1<+02>,M3.5.0,M10.5.0/3");
        // Berlin has followed the EU's rules since 1996; until then summer time ended in
        // September, so the two agree from the last instant the old rule differed: October
        // 1995, when the rule's summer time ended too.
        assert_eq!(found.since, "1995-10-29T01:00:00Z".parse().unwrap());
        let sydney = posix_equivalent(&TimeZone::get("Australia/Sydney").unwrap()).unwrap();
        assert_eq!(sydney.rule, "<+10>-10<+11>,M10.1.0,M4.1.0/3");
        let kolkata = posix_equivalent(&TimeZone::get("Asia/Kolkata").unwrap()).unwrap();
        assert_eq!(kolkata.rule, "<+0530>-5:30");
    }
}
