//! A time zone from a VTIMEZONE's STANDARD/DAYLIGHT sub-components (RFC 5545 3.6.5).
//!
//! Input is plain data (property values as the file wrote them), so any iCalendar parser can
//! feed it. Every onset is collected: DTSTART, the RRULE's instances (expanded with this
//! crate's own engine, on the sub-component's local time line) and the RDATEs; each becomes a
//! transition at `local onset - TZOFFSETFROM`. The sorted transitions are compiled into TZif
//! (RFC 8536) bytes and handed to jiff's `TimeZone::tzif`, so the result converts wall times
//! to instants with the same gap/fold rules as an IANA zone. Written here because jiff builds
//! zones only from TZif, POSIX strings or fixed offsets, and a VTIMEZONE with several
//! historical rules (or RDATEs) is none of those.
//!
//! Limits: onsets are expanded up to [`LAST_ONSET_YEAR`]; after that the last offset stays.
//! At most [`MAX_TRANSITIONS`] transitions, otherwise [`TzError::TooManyTransitions`].

use core::fmt;
use core::str::FromStr;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::{instances, EventTime, RecurrenceError, RecurrenceRule, Series, Until};

/// Onsets after this year are not expanded (the zone keeps its last offset afterwards).
pub const LAST_ONSET_YEAR: i16 = 2200;

/// Cap on the transitions one VTIMEZONE may produce (a yearly pair from 1601 to 2200 is
/// 1,200).
pub const MAX_TRANSITIONS: usize = 4_000;

/// `BEGIN:STANDARD` or `BEGIN:DAYLIGHT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObservanceKind {
    Standard,
    Daylight,
}

/// One STANDARD or DAYLIGHT sub-component, property values as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observance {
    pub kind: ObservanceKind,
    /// `DTSTART`: the first onset as local time before it, e.g. `19671029T020000`.
    pub dtstart: String,
    /// `TZOFFSETFROM`, e.g. `-0400` or `+053000`.
    pub offset_from: String,
    /// `TZOFFSETTO`.
    pub offset_to: String,
    /// `RRULE` value without the `RRULE:` name, if any.
    pub rrule: Option<String>,
    /// `RDATE` values (local date-times; a comma-separated list may be passed as one string).
    pub rdates: Vec<String>,
    /// `TZNAME`, if any.
    pub name: Option<String>,
}

/// A VTIMEZONE: its `TZID` and its sub-components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VTimeZone {
    pub tzid: String,
    pub observances: Vec<Observance>,
}

/// Why a VTIMEZONE could not become a zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TzError {
    /// No STANDARD or DAYLIGHT sub-component.
    NoObservances,
    /// A `TZOFFSETFROM`/`TZOFFSETTO` that is not `±HHMM[SS]` within ±25:59.
    BadOffset(String),
    /// A `DTSTART` or `RDATE` that is not a local `YYYYMMDDTHHMMSS` date-time.
    BadDateTime(String),
    /// The sub-component's `RRULE` was refused by the recurrence engine.
    BadRule(RecurrenceError),
    /// More than [`MAX_TRANSITIONS`] transitions.
    TooManyTransitions,
    /// `vtimezone_for` with `from > to` or a year jiff cannot represent (-9999..=9998).
    BadYearRange { from: i16, to: i16 },
    /// A TZID that is neither an IANA nor a Windows name, with no VTIMEZONE defining it.
    UnknownZone(String),
    /// jiff refused the compiled zone (a bug here, reported rather than hidden).
    Build(String),
}

impl fmt::Display for TzError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoObservances => write!(f, "VTIMEZONE has no STANDARD or DAYLIGHT"),
            Self::BadOffset(v) => write!(f, "bad UTC offset `{v}`"),
            Self::BadDateTime(v) => write!(f, "bad local date-time `{v}`"),
            Self::BadRule(e) => write!(f, "bad VTIMEZONE RRULE: {e}"),
            Self::TooManyTransitions => {
                write!(f, "VTIMEZONE has more than {MAX_TRANSITIONS} transitions")
            }
            Self::BadYearRange { from, to } => write!(f, "bad year range {from}..={to}"),
            Self::UnknownZone(z) => write!(f, "unknown time zone `{z}`"),
            Self::Build(e) => write!(f, "could not build the time zone: {e}"),
        }
    }
}

impl std::error::Error for TzError {}

/// `±HHMM` or `±HHMMSS` (a `:` between parts is tolerated) as seconds east of UTC.
pub(crate) fn parse_offset(text: &str) -> Result<i32, TzError> {
    let bad = || TzError::BadOffset(text.to_string());
    let t = text.trim();
    let (sign, digits) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |r: core::ops::Range<usize>| digits[r].parse::<i32>().map_err(|_| bad());
    let (h, m) = (num(0..2)?, num(2..4)?);
    let s = if digits.len() == 6 { num(4..6)? } else { 0 };
    if h > 25 || m > 59 || s > 59 {
        return Err(bad());
    }
    Ok(sign * (h * 3600 + m * 60 + s))
}

/// `YYYYMMDDTHHMMSS` (a trailing `Z`, which RFC 5545 forbids here, is ignored) or a DATE.
fn parse_local(text: &str) -> Result<DateTime, TzError> {
    let bad = || TzError::BadDateTime(text.to_string());
    let t = text.trim();
    let t = t.strip_suffix('Z').unwrap_or(t);
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (date, time) = match t.split_once('T') {
        Some((d, tm)) => (d, tm),
        None => (t, "000000"),
    };
    if date.len() != 8 || time.len() != 6 || !digits(date) || !digits(time) {
        return Err(bad());
    }
    let n = |s: &str| s.parse::<i16>().map_err(|_| bad());
    DateTime::new(
        n(&date[0..4])?,
        n(&date[4..6])? as i8,
        n(&date[6..8])? as i8,
        n(&time[0..2])? as i8,
        n(&time[2..4])? as i8,
        (n(&time[4..6])?).min(59) as i8,
        0,
    )
    .map_err(|_| bad())
}

/// One transition: from `at` on, the offset is `offset` (seconds), DST or not, named `name`.
#[derive(Clone, Debug)]
struct Transition {
    at: i64,
    offset: i32,
    dst: bool,
    name: String,
}

/// A short TZif-safe abbreviation: the TZNAME's ASCII letters, digits and signs, or the
/// offset as `+0530`.
fn abbreviation(name: Option<&str>, offset: i32) -> String {
    let cleaned: String = name
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '-')
        .take(10)
        .collect();
    if cleaned.len() >= 3 {
        return cleaned;
    }
    let a = offset.abs();
    let sign = if offset < 0 { '-' } else { '+' };
    format!("{sign}{:02}{:02}", a / 3600, a / 60 % 60)
}

/// The local onsets of one observance: DTSTART, its RRULE's instances up to
/// [`LAST_ONSET_YEAR`], its RDATEs.
fn onsets(o: &Observance, offset_from: i32) -> Result<Vec<DateTime>, TzError> {
    let start = parse_local(&o.dtstart)?;
    let mut out = vec![start];
    if let Some(text) = &o.rrule {
        let mut rule = RecurrenceRule::from_str(text).map_err(TzError::BadRule)?;
        // Onsets are expanded on the local time line, written as if it were UTC; a UTC UNTIL
        // moves onto that line by adding the offset in effect before the onset.
        if let Some(Until::Utc(t)) = rule.until {
            rule.until = Some(Until::Utc(
                t.checked_add(SignedDuration::from_secs(i64::from(offset_from)))
                    .map_err(|_| TzError::BadOffset(o.offset_from.clone()))?,
            ));
        }
        let series = Series::new(
            EventTime::Timed {
                start,
                duration: SignedDuration::ZERO,
            },
            "UTC",
            Some(rule),
        )
        .map_err(TzError::BadRule)?;
        let utc = TimeZone::UTC;
        let from = utc
            .to_timestamp(start)
            .map_err(|_| TzError::BadDateTime(o.dtstart.clone()))?;
        let to = utc
            .to_timestamp(jiff::civil::date(LAST_ONSET_YEAR + 1, 1, 1).at(0, 0, 0, 0))
            .map_err(|e| TzError::Build(e.to_string()))?;
        let found = instances(&series, from, to, MAX_TRANSITIONS + 1).map_err(TzError::BadRule)?;
        if found.len() > MAX_TRANSITIONS {
            return Err(TzError::TooManyTransitions);
        }
        out.extend(found.iter().map(|i| utc.to_datetime(i.start)));
    }
    for list in &o.rdates {
        for value in list.split(',').filter(|v| !v.trim().is_empty()) {
            out.push(parse_local(value)?);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Builds the zone a VTIMEZONE defines. The zone is named by its TZID.
pub fn zone_from_vtimezone(vtz: &VTimeZone) -> Result<TimeZone, TzError> {
    if vtz.observances.is_empty() {
        return Err(TzError::NoObservances);
    }
    let mut transitions = Vec::new();
    // The offset before the earliest onset: that onset's TZOFFSETFROM.
    let mut earliest: Option<(i64, i32)> = None;
    for o in &vtz.observances {
        let from = parse_offset(&o.offset_from)?;
        let to = parse_offset(&o.offset_to)?;
        let dst = o.kind == ObservanceKind::Daylight;
        let name = abbreviation(o.name.as_deref(), to);
        for local in onsets(o, from)? {
            let at = TimeZone::UTC
                .to_timestamp(local)
                .map_err(|_| TzError::BadDateTime(o.dtstart.clone()))?
                .as_second()
                - i64::from(from);
            if earliest.is_none_or(|(t, _)| at < t) {
                earliest = Some((at, from));
            }
            transitions.push(Transition {
                at,
                offset: to,
                dst,
                name: name.clone(),
            });
            if transitions.len() > MAX_TRANSITIONS {
                return Err(TzError::TooManyTransitions);
            }
        }
    }
    transitions.sort_by_key(|t| t.at);
    // Two sub-components claiming the same instant: the later-listed one wins.
    transitions.dedup_by(|later, earlier| {
        if later.at == earlier.at {
            *earlier = later.clone();
            true
        } else {
            false
        }
    });
    let (_, initial_offset) = earliest.expect("at least one onset per observance");
    let initial = Transition {
        at: i64::MIN,
        offset: initial_offset,
        // Named like an observance that has this offset, if any.
        dst: transitions
            .iter()
            .find(|t| t.offset == initial_offset)
            .is_some_and(|t| t.dst),
        name: transitions
            .iter()
            .find(|t| t.offset == initial_offset)
            .map_or_else(|| abbreviation(None, initial_offset), |t| t.name.clone()),
    };
    let bytes = tzif_bytes(&initial, &transitions)?;
    TimeZone::tzif(&vtz.tzid, &bytes).map_err(|e| TzError::Build(e.to_string()))
}

/// RFC 8536 TZif version 2: an empty version-1 block, then the 64-bit block, then an empty
/// footer (no POSIX rule: after the last transition its offset stays).
fn tzif_bytes(initial: &Transition, transitions: &[Transition]) -> Result<Vec<u8>, TzError> {
    // Local time type 0 is what applies before the first transition.
    let mut types: Vec<(i32, bool, String)> =
        vec![(initial.offset, initial.dst, initial.name.clone())];
    let mut type_of = Vec::with_capacity(transitions.len());
    for t in transitions {
        let key = (t.offset, t.dst, t.name.clone());
        let index = match types.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                types.push(key);
                types.len() - 1
            }
        };
        type_of.push(index as u8);
    }
    // TZif indexes types and designations with one byte each.
    let names: usize = types.iter().map(|(_, _, n)| n.len() + 1).sum();
    if types.len() > 255 || names > 255 {
        return Err(TzError::Build(format!(
            "{} distinct offsets and names ({names} bytes of names); TZif allows 255",
            types.len()
        )));
    }
    let mut chars = Vec::new();
    let mut designation = Vec::new();
    for (_, _, name) in &types {
        designation.push(chars.len() as u8);
        chars.extend_from_slice(name.as_bytes());
        chars.push(0);
    }
    let header = |out: &mut Vec<u8>, timecnt: usize, typecnt: usize, charcnt: usize| {
        out.extend_from_slice(b"TZif2");
        out.extend_from_slice(&[0; 15]);
        for count in [0, 0, 0, timecnt, typecnt, charcnt] {
            out.extend_from_slice(&(count as u32).to_be_bytes());
        }
    };
    let mut out = Vec::new();
    // Version 1 block: one UTC type, no transitions (v2 readers skip it).
    header(&mut out, 0, 1, 1);
    out.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0]);
    header(&mut out, transitions.len(), types.len(), chars.len());
    for t in transitions {
        out.extend_from_slice(&t.at.to_be_bytes());
    }
    out.extend_from_slice(&type_of);
    for (i, (offset, dst, _)) in types.iter().enumerate() {
        out.extend_from_slice(&offset.to_be_bytes());
        out.push(u8::from(*dst));
        out.push(designation[i]);
    }
    out.extend_from_slice(&chars);
    out.extend_from_slice(b"\n\n");
    Ok(out)
}

/// The instant a wall-clock time in `zone` denotes, with RFC 5545 3.3.5's rules (a time in a
/// gap takes the offset before the gap; a time in a fold its first occurrence).
pub fn wall_to_instant(zone: &TimeZone, wall: DateTime) -> Result<Timestamp, TzError> {
    zone.to_ambiguous_timestamp(wall)
        .compatible()
        .map_err(|e| TzError::BadDateTime(format!("{wall}: {e}")))
}
