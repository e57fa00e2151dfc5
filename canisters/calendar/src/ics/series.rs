//! What an imported series adds to its rule: its RDATEs, and a start before 1970.
//!
//! RDATEs in `DATE-TIME` or `DATE` form become the recurrence's `rdates_ns` (real instances);
//! a `PERIOD` (an instance with its own length, which the model cannot hold), an RDATE on an
//! event without RRULE (the model's RDATEs belong to a rule) and an unreadable one are kept
//! verbatim and named in `not_kept`.
//!
//! Instants are unsigned nanoseconds since 1970 on the wire, so a timed series whose DTSTART is
//! earlier starts at its first instance from 1970 on instead ([`rebase`]): the occurrences
//! from then on are the same, a COUNT loses the instances left out, and nothing is left when
//! they all were (`BeforeEpoch`). The original DTSTART, DTEND and RRULE are kept behind a
//! marker line naming the start and rule they were moved to, and export writes them back while
//! the event still has that start and rule ([`Rebased::parse`]), so export then import gives
//! the same event. They are kept as the same instants in the event's stored zone (an IANA
//! `TZID` or UTC), not as the file's text: a `TZID` only the file's VTIMEZONE defined would not
//! read the same from the export.

use interfaces::calendar::IcsSkipReason;
use recurrence::jiff::tz::TimeZone;
use recurrence::jiff::{SignedDuration, Timestamp};
use recurrence::{EventTime, RecurrenceRule, Series};

use super::import::Timing;
use super::parse::{Component, Prop};
use super::values::{epoch_ns, is_date, parse_date, unreadable, Times};

/// The marker line before the kept original lines: `<marker>:<lines> <start_ns> <rule>`.
const MARKER: &str = "X-IC-SINCE-1970";

/// The RDATEs of a series: their starts (sorted, deduplicated), and the lines kept verbatim.
pub(super) fn rdates(
    lines: &[&Prop],
    recurring: bool,
    timing: &Timing,
    times: &mut Times,
    verbatim: &mut Vec<String>,
    not_kept: &mut Vec<String>,
) -> Vec<u64> {
    let mut out = Vec::new();
    for p in lines {
        let values: Vec<&str> = p
            .value
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        let period = p
            .param("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("PERIOD"))
            || p.value.contains('/');
        let why = if values.is_empty() {
            None // nothing to model: kept as written
        } else if !recurring {
            Some("an event without RRULE; kept, not shown as occurrences".to_string())
        } else if period {
            Some("VALUE=PERIOD (an instance with its own length); kept, not shown".to_string())
        } else {
            let mut starts = Vec::with_capacity(values.len());
            let mut failed = None;
            for v in &values {
                match start(p, v, timing, times) {
                    Ok(ns) => starts.push(ns),
                    Err(IcsSkipReason::BeforeEpoch) => {
                        not_kept.push(format!("RDATE {v}: before 1970"))
                    }
                    Err(e) => {
                        failed = Some(format!("{v} {e:?}; kept, not shown"));
                        break;
                    }
                }
            }
            if failed.is_none() {
                out.extend(starts);
                continue;
            }
            failed
        };
        if let Some(why) = why {
            not_kept.push(format!("RDATE: {why}"));
        }
        verbatim.push(p.raw.clone());
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The start an RDATE value names: a date on an all-day series is its midnight in the event's
/// zone (a date-time there counts by its date); on a timed series, a date is that day at
/// DTSTART's wall time, like an EXDATE.
fn start(p: &Prop, value: &str, timing: &Timing, times: &mut Times) -> Result<u64, IcsSkipReason> {
    let all_day = timing.start_wall.is_none();
    if all_day || is_date(p) {
        let d = parse_date(&p.name, value.get(..8).unwrap_or(value))?;
        let wall = d.to_datetime(timing.start_wall.unwrap_or_default());
        let t = recurrence::tz::wall_to_instant(&timing.tz, wall)
            .map_err(|e| unreadable(&p.name, e.to_string()))?;
        return epoch_ns(t);
    }
    epoch_ns(times.instant(p, value)?.0)
}

/// A series moved to its first instance from 1970 on.
pub(super) struct Moved {
    pub(super) start_ns: u64,
    /// The rule from there: the same instances, a COUNT less those left out.
    pub(super) rule: String,
    /// The marker and the original lines, for the event's kept lines.
    pub(super) lines: Vec<String>,
    pub(super) note: String,
}

/// Moves a timed series that starts at `start` (before 1970) in the zone `zone` (its stored
/// name) to its first instance from 1970 on, or says why it cannot (`BeforeEpoch` for a
/// single event or a series that ended before 1970).
pub(super) fn rebase(
    c: &Component,
    start: Timestamp,
    length_ns: u64,
    zone: &str,
) -> Result<Moved, IcsSkipReason> {
    let rrule = c.get("RRULE").ok_or(IcsSkipReason::BeforeEpoch)?;
    let rule_text = crate::store::normalize_rule(&rrule.value);
    let rule: RecurrenceRule = rule_text
        .parse()
        .map_err(|e: recurrence::RecurrenceError| unreadable("RRULE", e.to_string()))?;
    let tz = TimeZone::get(zone).map_err(|e| unreadable("DTSTART", e.to_string()))?;
    let time = EventTime::Timed {
        start: start.to_zoned(tz.clone()).datetime(),
        duration: SignedDuration::ZERO,
    };
    let broken = |e: recurrence::RecurrenceError| unreadable("RRULE", e.to_string());
    let series = Series::new(time, zone, Some(rule)).map_err(broken)?;
    let just_before = Timestamp::from_nanosecond(-1).unwrap_or(Timestamp::MIN);
    let first = recurrence::next_instances_after(&series, just_before, 1).map_err(broken)?;
    let Some(first) = first.first() else {
        return Err(IcsSkipReason::BeforeEpoch);
    };
    let (_, from_1970) = match recurrence::split_series(&series, first.start) {
        Ok(halves) => halves,
        // DTSTART's own day (several instances a day): nothing to move.
        Err(recurrence::RecurrenceError::SplitAtFirstInstance) => {
            return Err(IcsSkipReason::BeforeEpoch)
        }
        Err(e) => return Err(broken(e)),
    };
    let rule = from_1970
        .rule
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let start_ns = epoch_ns(first.start)?;
    let end = i64::try_from(length_ns)
        .ok()
        .and_then(|ns| start.checked_add(SignedDuration::from_nanos(ns)).ok())
        .ok_or_else(|| unreadable("DURATION", "too long"))?;
    let originals = [
        at("DTSTART", zone, &tz, start),
        at("DTEND", zone, &tz, end),
        format!("RRULE:{rule_text}"),
    ];
    let mut lines = vec![format!("{MARKER}:{} {start_ns} {rule}", originals.len())];
    let note = format!(
        "DTSTART {}: before 1970; the series starts at its first instance from 1970 on, {} \
         (export writes the original)",
        c.get("DTSTART").map_or("", |p| p.value.as_str()),
        first.start
    );
    lines.extend(originals);
    Ok(Moved {
        start_ns,
        rule,
        lines,
        note,
    })
}

/// `<name>:<UTC>Z` or `<name>;TZID=<zone>:<local>`, as export writes times.
fn at(name: &str, zone: &str, tz: &TimeZone, t: Timestamp) -> String {
    if zone == "UTC" {
        format!("{name}:{}", t.strftime("%Y%m%dT%H%M%SZ"))
    } else {
        let local = t.to_zoned(tz.clone());
        format!(
            "{name};TZID={}:{}",
            super::export::TzidParam(zone),
            local.strftime("%Y%m%dT%H%M%S")
        )
    }
}

/// The original lines of a moved series, as an export finds them among the kept lines.
pub(super) struct Rebased<'a> {
    /// The original DTSTART, DTEND or DURATION, and RRULE.
    pub(super) originals: &'a [String],
    /// Whether the event still starts and repeats as the import moved it (else the originals
    /// are stale and left out).
    pub(super) current: bool,
    /// The range of the kept lines that are the marker and the originals.
    pub(super) range: std::ops::Range<usize>,
}

impl<'a> Rebased<'a> {
    /// Finds the marker in `lines` and checks it against the event's start and rule.
    pub(super) fn parse(
        lines: &'a [String],
        start_ns: Option<u64>,
        rule: Option<&str>,
    ) -> Option<Self> {
        let (at, rest) = lines.iter().enumerate().find_map(|(i, l)| {
            l.strip_prefix(MARKER)
                .and_then(|r| r.strip_prefix(':'))
                .map(|r| (i, r))
        })?;
        let mut parts = rest.splitn(3, ' ');
        let count: usize = parts.next()?.parse().ok()?;
        let moved_ns: u64 = parts.next()?.parse().ok()?;
        let moved_rule = parts.next()?;
        let end = (at + 1 + count).min(lines.len());
        Some(Self {
            originals: &lines[at + 1..end],
            current: start_ns == Some(moved_ns) && rule == Some(moved_rule),
            range: at..end,
        })
    }

    /// The year the original DTSTART names (for the VTIMEZONE's range).
    pub(super) fn start_year(&self) -> Option<i16> {
        let dtstart = self.originals.iter().find(|l| l.starts_with("DTSTART"))?;
        let value = dtstart.rsplit(':').next()?;
        value.get(..4)?.parse().ok()
    }
}
