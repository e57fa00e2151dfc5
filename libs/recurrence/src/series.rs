//! A recurring series (start, zone, duration, rule, EXDATEs, per-instance exceptions) and its
//! expansion into concrete instances.
//!
//! The rule engine yields civil date-times (DTSTART's time of day unless the rule has time
//! parts); here each is resolved in the event's zone with jiff's `compatible` disambiguation,
//! which is exactly RFC 5545 3.3.5: a time in a DST gap is read with the offset before the gap
//! (02:30 -> 03:30), a time in a fold takes its first occurrence. When a rule yields several
//! times a day, a gap can push one onto or past a later one; an occurrence that does not start
//! strictly after the previous one is dropped and not counted, so starts always increase.
//! Exceptions are keyed by the instance's ORIGINAL start so that a moved instance is never
//! shown twice or lost.
//!
//! RDATEs (RFC 5545 3.8.5.2) are extra instances with the series' duration: merged into the
//! rule's occurrences in start order, an RDATE equal to a rule instance is the same instance,
//! they do not count towards COUNT and UNTIL does not bound them, and EXDATEs and exceptions
//! apply to them like to any instance (they are keyed by original start too).

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::calendar::{date_of, day_of};
use crate::candidates::CandidateIter;
use crate::error::RecurrenceError;
use crate::expand::{Engine, DAY};
use crate::rule::{RecurrenceRule, Until};

/// When the first instance happens and how long every instance lasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventTime {
    /// A wall-clock start in the series' zone and an exact duration.
    Timed {
        start: DateTime,
        duration: SignedDuration,
    },
    /// A date-only event lasting `days` whole civil days; the end date is exclusive.
    AllDay { start: Date, days: u32 },
}

/// What happened to one instance, keyed by its original start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exception {
    /// The instance was moved (and/or resized) to `[start, end)`.
    Moved { start: Timestamp, end: Timestamp },
    /// The instance was cancelled (like an EXDATE, it still counts towards COUNT).
    Cancelled,
}

/// One series. Build it with [`Series::new`], which validates and normalises it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    pub time: EventTime,
    /// IANA zone name. For all-day events it only maps dates to instants for window queries.
    pub time_zone: String,
    pub rule: Option<RecurrenceRule>,
    /// Original starts removed from the series.
    pub exdates: BTreeSet<Timestamp>,
    /// Starts of instances added to the rule's (RDATE).
    pub rdates: BTreeSet<Timestamp>,
    /// Per-instance exceptions keyed by original start.
    pub exceptions: BTreeMap<Timestamp, Exception>,
}

/// One concrete occurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    /// Where the rule put it; the key for exceptions and EXDATEs.
    pub original_start: Timestamp,
    pub start: Timestamp,
    pub end: Timestamp,
    /// True when an [`Exception::Moved`] replaced the generated times.
    pub overridden: bool,
}

/// A resolved occurrence of the rule (before exceptions).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Occurrence {
    pub(crate) day: i32,
    /// Where the rule put it on the civil time line (`day * 86_400 + second of day`).
    pub(crate) civil: i64,
    pub(crate) start: Timestamp,
}

/// `UNTIL` after normalisation: an instant for timed events, a day for all-day ones.
#[derive(Clone, Copy)]
enum Bound {
    Instant(Timestamp),
    Day(i32),
}

impl Series {
    /// Validates the zone, duration and rule, and normalises `UNTIL` to the strict form:
    /// UTC for timed events, a date for all-day events. A date `UNTIL` on a timed event keeps
    /// every instance on that date (end of that day in the event's zone); a floating one is
    /// read in the event's zone.
    pub fn new(
        time: EventTime,
        time_zone: &str,
        rule: Option<RecurrenceRule>,
    ) -> Result<Self, RecurrenceError> {
        let tz = zone(time_zone)?;
        match &time {
            EventTime::Timed { duration, .. } if duration.is_negative() => {
                return Err(RecurrenceError::InvalidSeries("negative duration"))
            }
            EventTime::AllDay { days: 0, .. } => {
                return Err(RecurrenceError::InvalidSeries("all-day event of zero days"))
            }
            _ => {}
        }
        let mut rule = rule;
        if let Some(r) = rule.as_mut() {
            r.validate()?;
            if matches!(time, EventTime::AllDay { .. }) && r.has_time_parts() {
                return Err(RecurrenceError::Incompatible {
                    part: if r.is_sub_daily() {
                        "FREQ".into()
                    } else {
                        "BYHOUR/BYMINUTE/BYSECOND".into()
                    },
                    reason: "an all-day event has no time of day",
                });
            }
            r.until = r.until.map(|u| strict_until(u, &time, &tz)).transpose()?;
        }
        Ok(Self {
            time,
            time_zone: time_zone.to_string(),
            rule,
            exdates: BTreeSet::new(),
            rdates: BTreeSet::new(),
            exceptions: BTreeMap::new(),
        })
    }

    /// The wall-clock start of the first instance (midnight for all-day events).
    pub fn start_local(&self) -> DateTime {
        match self.time {
            EventTime::Timed { start, .. } => start,
            EventTime::AllDay { start, .. } => start.to_datetime(Time::midnight()),
        }
    }

    pub(crate) fn tz(&self) -> Result<TimeZone, RecurrenceError> {
        zone(&self.time_zone)
    }

    /// The instant an instance generated for `day` at DTSTART's time of day starts at.
    pub(crate) fn start_on(&self, tz: &TimeZone, day: i32) -> Result<Timestamp, RecurrenceError> {
        let date = date_of(day).ok_or(RecurrenceError::OutOfRange)?;
        resolve(tz, date.to_datetime(self.start_local().time()))
    }

    /// DTSTART on the civil time line (`day * 86_400 + second of day`).
    pub(crate) fn start_civil(&self) -> i64 {
        let local = self.start_local();
        i64::from(day_of(local.date())) * DAY + i64::from(second_of_day(local.time()))
    }

    /// The end of an unmodified instance generated for `day` starting at `start`.
    pub(crate) fn end_of(
        &self,
        tz: &TimeZone,
        day: i32,
        start: Timestamp,
    ) -> Result<Timestamp, RecurrenceError> {
        match self.time {
            EventTime::Timed { duration, .. } => start
                .checked_add(duration)
                .map_err(|_| RecurrenceError::OutOfRange),
            // Whole civil days: 23 or 25 hours on DST days, never a fixed 86400 s multiple.
            EventTime::AllDay { days, .. } => self.start_on(tz, day + days as i32),
        }
    }

    pub(crate) fn max_duration(&self) -> SignedDuration {
        match self.time {
            EventTime::Timed { duration, .. } => duration,
            EventTime::AllDay { days, .. } => SignedDuration::from_hours(i64::from(days) * 24 + 2),
        }
    }

    pub(crate) fn is_excluded(&self, original: Timestamp) -> bool {
        self.exdates.contains(&original) || self.exceptions.contains_key(&original)
    }
}

/// `UNTIL` in the strict form: an instant for timed events, a date for all-day ones.
fn strict_until(u: Until, time: &EventTime, tz: &TimeZone) -> Result<Until, RecurrenceError> {
    Ok(match (u, time) {
        (Until::Utc(_), EventTime::Timed { .. }) | (Until::Date(_), EventTime::AllDay { .. }) => u,
        (Until::Local(dt), EventTime::Timed { .. }) => Until::Utc(resolve(tz, dt)?),
        (Until::Date(d), EventTime::Timed { .. }) => Until::Utc(resolve(tz, d.at(23, 59, 59, 0))?),
        (Until::Local(dt), EventTime::AllDay { .. }) => Until::Date(dt.date()),
        (Until::Utc(t), EventTime::AllDay { .. }) => Until::Date(t.to_zoned(tz.clone()).date()),
    })
}

fn second_of_day(t: Time) -> i32 {
    i32::from(t.hour()) * 3600 + i32::from(t.minute()) * 60 + i32::from(t.second())
}

/// The civil date-time of civil second `civil` plus `subsec` nanoseconds, or `OutOfRange`.
pub(crate) fn civil_datetime(civil: i64, subsec: i32) -> Result<DateTime, RecurrenceError> {
    let day = i32::try_from(civil.div_euclid(DAY)).map_err(|_| RecurrenceError::OutOfRange)?;
    let second = civil.rem_euclid(DAY) as i32;
    let date = date_of(day).ok_or(RecurrenceError::OutOfRange)?;
    DateTime::new(
        date.year(),
        date.month(),
        date.day(),
        (second / 3600) as i8,
        (second / 60 % 60) as i8,
        (second % 60) as i8,
        subsec,
    )
    .map_err(|_| RecurrenceError::OutOfRange)
}

pub(crate) fn zone(name: &str) -> Result<TimeZone, RecurrenceError> {
    crate::tz::named_zone(name).ok_or_else(|| RecurrenceError::UnknownTimeZone(name.to_string()))
}

/// Wall clock to instant with RFC 5545 3.3.5 semantics (gap: offset before it; fold: first).
pub(crate) fn resolve(tz: &TimeZone, dt: DateTime) -> Result<Timestamp, RecurrenceError> {
    tz.to_ambiguous_timestamp(dt)
        .compatible()
        .map_err(|_| RecurrenceError::OutOfRange)
}

pub(crate) fn local_day(tz: &TimeZone, t: Timestamp) -> i32 {
    day_of(t.to_zoned(tz.clone()).date())
}

/// Occurrences of the series in order: the rule's, with DTSTART first, COUNT and UNTIL applied
/// ([`Occurrences::next_rule_occurrence`]), merged with the RDATEs
/// ([`Occurrences::next_occurrence`]).
pub(crate) struct Occurrences<'a> {
    tz: TimeZone,
    /// DTSTART's civil second; the engine's candidates up to it are not instances.
    start_civil: i64,
    /// Sub-nanosecond parts of DTSTART are kept on every instance (civil seconds drop them).
    start_nanos: i32,
    candidates: Option<CandidateIter<'a>>,
    dtstart_pending: bool,
    /// Several candidates a day: near a transition, resolve every one (no skipping) and drop
    /// non-increasing starts.
    multi_per_day: bool,
    last_start: Option<Timestamp>,
    /// The zone's next transition (Unix seconds) at or after the last one checked; `None`
    /// before the first check, `Some(None)` when there is none.
    next_transition: Option<Option<i64>>,
    /// Occurrences produced so far; only meaningful when iterating from DTSTART.
    produced: u32,
    count: Option<u32>,
    until: Option<Bound>,
    min_day: i32,
    /// RDATEs from about `min_day` on, not yet merged.
    rdates: std::iter::Peekable<std::collections::btree_set::Range<'a, Timestamp>>,
    /// The rule's next occurrence, read ahead to merge it with the RDATEs.
    pending: Option<Occurrence>,
    rule_done: bool,
}

impl<'a> Occurrences<'a> {
    /// Occurrences on or after civil day `from_day` (the earlier ones may be skipped cheaply
    /// unless COUNT forces counting from DTSTART) and not needed past `to_day`.
    pub(crate) fn new(
        series: &'a Series,
        from_day: i32,
        to_day: i32,
    ) -> Result<Self, RecurrenceError> {
        let tz = series.tz()?;
        let start_day = day_of(series.start_local().date());
        let rule = series.rule.as_ref();
        // Series::new already stored the strict form; this also covers hand-built series.
        let until = match rule.and_then(|r| r.until) {
            None => None,
            Some(u) => Some(match strict_until(u, &series.time, &tz)? {
                Until::Utc(t) => Bound::Instant(t),
                Until::Date(d) => Bound::Day(day_of(d)),
                // Not produced by strict_until; kept total so no panic path exists.
                Until::Local(dt) => Bound::Day(day_of(dt.date())),
            }),
        };
        let until_day = match until {
            Some(Bound::Instant(t)) => local_day(&tz, t) + 1,
            Some(Bound::Day(d)) => d,
            None => i32::MAX,
        };
        let count = rule.and_then(|r| r.count);
        let start_civil = series.start_civil();
        let start_second = (start_civil - i64::from(start_day) * DAY) as i32;
        let candidates = rule.map(|r| {
            let engine = Engine::new(r, start_day, start_second);
            let first = if count.is_some() {
                0
            } else {
                engine.period_at_or_before(from_day)
            };
            CandidateIter::new(engine, first, to_day.min(until_day))
        });
        // A civil day read as UTC is within 26 hours of the instants of that day in every zone;
        // RDATEs of earlier days that this lets through are skipped one by one.
        let rdates_from = Timestamp::from_second(i64::from(from_day).saturating_sub(2) * DAY)
            .unwrap_or(Timestamp::MIN);
        let multi_per_day = rule.is_some_and(|r| {
            r.is_sub_daily()
                || r.by_hour.len() > 1
                || r.by_minute.len() > 1
                || r.by_second.len() > 1
        });
        Ok(Self {
            tz,
            start_civil,
            start_nanos: series.start_local().subsec_nanosecond(),
            candidates,
            dtstart_pending: true,
            multi_per_day,
            last_start: None,
            next_transition: None,
            produced: 0,
            count,
            until,
            min_day: from_day,
            rdates: series.rdates.range(rdates_from..).peekable(),
            pending: None,
            rule_done: false,
        })
    }

    /// The next instance of the series (before EXDATEs and exceptions): the rule's next
    /// occurrence or the next RDATE, whichever starts first; once when they are equal.
    pub(crate) fn next_occurrence(&mut self) -> Result<Option<Occurrence>, RecurrenceError> {
        if self.pending.is_none() && !self.rule_done {
            self.pending = self.next_rule_occurrence()?;
            self.rule_done = self.pending.is_none();
        }
        while let Some(&&d) = self.rdates.peek() {
            let day = local_day(&self.tz, d);
            if day < self.min_day {
                self.rdates.next();
                continue;
            }
            match self.pending {
                Some(rule) if rule.start < d => break,
                Some(rule) if rule.start == d => {
                    self.rdates.next();
                    break;
                }
                _ => {
                    self.rdates.next();
                    let wall = d.to_zoned(self.tz.clone()).datetime();
                    return Ok(Some(Occurrence {
                        day,
                        civil: i64::from(day) * DAY + i64::from(second_of_day(wall.time())),
                        start: d,
                    }));
                }
            }
        }
        Ok(self.pending.take())
    }

    pub(crate) fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// Occurrences consumed so far, including skipped ones (all of them when COUNT is set).
    pub(crate) fn produced(&self) -> u32 {
        self.produced
    }

    fn past_until(&self, occ: &Occurrence) -> bool {
        match self.until {
            Some(Bound::Instant(t)) => occ.start > t,
            Some(Bound::Day(d)) => occ.day > d,
            None => false,
        }
    }

    /// True when no transition of the zone lies within two days of civil second `civil`, so
    /// resolving it cannot land on or before an earlier candidate: the skip path may count it
    /// without a zone lookup. Costs one transition search per transition passed.
    fn far_from_transitions(&mut self, civil: i64) -> bool {
        // A civil second read as UTC is within 26 hours of its instant in every zone.
        const MARGIN: i64 = 2 * DAY;
        let (lo, hi) = (civil - MARGIN, civil + MARGIN);
        loop {
            match self.next_transition {
                Some(Some(t)) if t < lo => self.next_transition = None,
                Some(Some(t)) => return t > hi,
                Some(None) => return true,
                None => {
                    let Ok(from) = Timestamp::from_second(lo) else {
                        return false;
                    };
                    self.next_transition = Some(
                        self.tz
                            .following(from)
                            .next()
                            .map(|t| t.timestamp().as_second()),
                    );
                }
            }
        }
    }

    /// The rule's next occurrence (DTSTART first), without the RDATEs.
    pub(crate) fn next_rule_occurrence(&mut self) -> Result<Option<Occurrence>, RecurrenceError> {
        loop {
            if self.count.is_some_and(|c| self.produced >= c) {
                return Ok(None);
            }
            let civil = if self.dtstart_pending {
                // DTSTART is always the first instance, even when the rule would not select it.
                self.dtstart_pending = false;
                self.start_civil
            } else {
                let Some(iter) = self.candidates.as_mut() else {
                    return Ok(None);
                };
                match iter.next_candidate()? {
                    // Candidates before DTSTART belong to its period but not to the series,
                    // and DTSTART itself was already produced above.
                    Some(c) if c <= self.start_civil => continue,
                    Some(c) => c,
                    None => return Ok(None),
                }
            };
            let day = civil.div_euclid(DAY) as i32;
            if day < self.min_day
                && self.until.is_none()
                && (!self.multi_per_day || self.far_from_transitions(civil))
            {
                // Counted but never returned: skip the zone lookup (the COUNT hot path).
                self.produced += 1;
                continue;
            }
            let wall = civil_datetime(civil, self.start_nanos)?;
            let occ = Occurrence {
                day,
                civil,
                start: resolve(&self.tz, wall)?,
            };
            if civil != self.start_civil && self.past_until(&occ) {
                return Ok(None);
            }
            if self.last_start.is_some_and(|last| occ.start <= last) {
                // A DST gap pushed this one onto or past a later time: not an instance.
                continue;
            }
            self.last_start = Some(occ.start);
            self.produced += 1;
            if day < self.min_day {
                continue;
            }
            return Ok(Some(occ));
        }
    }
}
