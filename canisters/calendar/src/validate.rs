//! The validation gate: limits and rules every stored event and booking policy satisfies,
//! checked before anything is written so that bad input changes nothing.
//!
//! [`ValidEvent::check`] is the only way to make a [`ValidEvent`], and a `ValidEvent` is the
//! only thing the store writes (and what it keeps, so a record read back was checked when it was
//! written). The check also derives where the event sits in the time indexes ([`Placement`]).

use std::collections::BTreeSet;

use candid::{CandidType, Deserialize, Principal};
use interfaces::calendar::{BookingPolicy, Event, EventId, EventTime, InstanceChange, Visibility};
use interfaces::{notification, Error, InputProblem};
use recurrence::jiff::Timestamp;
use recurrence::wire::{series_from_schedule, time_zone, timestamp, to_ns};
use recurrence::Series;
use security_base::limits;

use crate::access::is_anonymous;
use crate::model::event::EventRecord;

pub const MAX_TITLE_CHARS: usize = 200;
/// RFC 5545 sets no bound; real UIDs (Google's, Outlook's, UUID-based) stay well under 255.
pub const MAX_ICAL_UID_CHARS: usize = 255;
pub const MAX_DESCRIPTION_CHARS: usize = 8_000;
pub const MAX_LOCATION_CHARS: usize = 500;
pub const MAX_TIME_ZONE_CHARS: usize = 64;
pub const MAX_RULE_CHARS: usize = 500;
pub const MAX_ATTENDEES: usize = 100;
pub const MAX_SHARES: usize = 100;
pub const MAX_REMINDERS: usize = 5;
/// Four weeks, as Google Calendar allows: the notification canister's limit, which it shares.
pub const MAX_REMINDER_MINUTES: u32 = notification::MAX_MINUTES_BEFORE;

// Every event the gate lets through must fit what the notification canister accepts: it
// refuses a reminder batch whole, so one event beyond its limits would block the outbox.
const _: () = assert!(MAX_REMINDERS <= notification::MAX_REMINDERS_PER_EVENT);
// The recipients of a plan are the owner and the attendees; attendees' own plans, and their
// exceptions (answers for single occurrences), fit as well.
const _: () = assert!(MAX_ATTENDEES < notification::MAX_RECIPIENTS);
const _: () = assert!(MAX_OCCURRENCE_RSVPS <= notification::MAX_ATTENDEE_EXCEPTIONS);
pub const MAX_EXDATES: usize = 1_000;
/// RDATEs are listed one by one like EXDATEs, and bounded the same way.
pub const MAX_RDATES: usize = 1_000;
pub const MAX_OVERRIDES: usize = 1_000;
/// Answers for single occurrences an event holds at most (all attendees together).
pub const MAX_OCCURRENCE_RSVPS: usize = 1_000;
/// A COUNT larger than this is refused: expanding it to find the series' end must stay cheap.
pub const MAX_COUNT: u32 = 10_000;
/// Working-hour ranges in a booking policy: four a day.
pub const MAX_WORKING_RANGES: usize = 7 * 4;

const HOUR_NS: u64 = 3_600 * 1_000_000_000;
const DAY_NS: u64 = 24 * HOUR_NS;

/// Upper bounds of the duration classes of one-off events. A window query scans each class
/// from `from - bound`, so a long event never widens the scan for short ones.
pub const CLASS_BOUNDS_NS: [u64; 5] = [HOUR_NS, DAY_NS, 7 * DAY_NS, 62 * DAY_NS, MAX_DURATION_NS];
/// The longest a single occurrence may last.
pub const MAX_DURATION_NS: u64 = 366 * DAY_NS;

/// Where an event sits in the time indexes. Stored with the event, so removing it never
/// recomputes it.
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    OneOff {
        class: u8,
        start_ns: u64,
        end_ns: u64,
    },
    /// `last_end_ns` is `u64::MAX` for a series without end.
    Series { last_end_ns: u64 },
}

fn problem(field: &str, reason: &str) -> Error {
    Error::invalid(
        field,
        InputProblem::Malformed {
            reason: reason.to_string(),
        },
    )
}

/// An event that passed the gate, with its placement: the store's record of an event.
///
/// The fields are private: outside this module a `ValidEvent` comes only from [`Self::check`]
/// or from the store's own records ([`Self::from_record`]), which hold nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidEvent {
    event: Event,
    slot: Placement,
}

impl ValidEvent {
    /// The gate: every field of `event`, as it would be stored.
    pub fn check(event: Event) -> Result<Self, Error> {
        let slot = check_event(&event)?;
        Ok(Self { event, slot })
    }

    /// The event a stored record holds: it passed this gate when it was written.
    pub fn from_record(record: EventRecord) -> Self {
        let (event, slot) = record.into_parts();
        Self { event, slot }
    }

    pub fn event(&self) -> &Event {
        &self.event
    }

    pub fn into_event(self) -> Event {
        self.event
    }

    pub fn placement(&self) -> Placement {
        self.slot
    }

    /// Sets the bookkeeping the checks do not read: id, revision and timestamps.
    pub fn stamp(&mut self, id: EventId, revision: u64, created_at_ns: u64, updated_at_ns: u64) {
        self.event.id = id;
        self.event.revision = revision;
        self.event.created_at_ns = created_at_ns;
        self.event.updated_at_ns = updated_at_ns;
    }

    /// The event without `person` as attendee (with their answers for single occurrences and
    /// their own reminders) or share. Removing people breaks no rule (lists only get shorter)
    /// and moves no time, so this needs no new check: account deletion cannot be refused by
    /// limits that changed since the event was stored.
    pub fn without(&self, person: &Principal) -> Self {
        let mut next = self.clone();
        next.event.attendees.retain(|a| a.principal != *person);
        crate::store::keep_attending(&mut next.event);
        if let Visibility::Shared(shares) = &mut next.event.visibility {
            shares.retain(|s| s.principal != *person);
        }
        next
    }
}

/// Checks every field of `event` (as it would be stored) and returns its placement.
fn check_event(event: &Event) -> Result<Placement, Error> {
    limits::text("ical_uid", &event.ical_uid, MAX_ICAL_UID_CHARS)?;
    limits::non_empty_text("title", &event.title, MAX_TITLE_CHARS)?;
    limits::text("description", &event.description, MAX_DESCRIPTION_CHARS)?;
    limits::text("location", &event.location, MAX_LOCATION_CHARS)?;
    limits::non_empty_text("time_zone", &event.time_zone, MAX_TIME_ZONE_CHARS)?;
    time_zone(&event.time_zone)?;
    if let Some(color) = &event.color {
        check_color(color)?;
    }
    check_people(event)?;
    check_reminders("reminders_minutes", &event.reminders_minutes)?;
    check_own_reminders(event)?;
    if let Some(r) = &event.recurrence {
        limits::non_empty_text("recurrence.rule", &r.rule, MAX_RULE_CHARS)?;
        limits::count("recurrence.exdates_ns", r.exdates_ns.len(), MAX_EXDATES)?;
        let rdates = r.rdates_ns.as_ref().map_or(0, Vec::len);
        limits::count("recurrence.rdates_ns", rdates, MAX_RDATES)?;
    }
    limits::count("overrides", event.overrides.len(), MAX_OVERRIDES)?;
    if event.recurrence.is_none() && !event.overrides.is_empty() {
        return Err(problem("overrides", "only a recurring event has instances"));
    }
    let answers = event.occurrence_answers();
    limits::count("occurrence_rsvps", answers.len(), MAX_OCCURRENCE_RSVPS)?;
    if event.recurrence.is_none() && !answers.is_empty() {
        return Err(problem(
            "occurrence_rsvps",
            "only a recurring event has occurrences",
        ));
    }
    let series = series_from_schedule(&event.schedule())?;
    check_span("time", occurrence_ns(&series, &event.time)?)?;
    match &series.rule {
        None => {
            let (start_ns, end_ns) = one_off_span(event)?;
            Ok(Placement::OneOff {
                class: duration_class(end_ns - start_ns),
                start_ns,
                end_ns,
            })
        }
        Some(rule) => {
            if rule.count.is_some_and(|c| c > MAX_COUNT) {
                return Err(Error::invalid(
                    "recurrence.rule",
                    InputProblem::TooMany {
                        max: MAX_COUNT.into(),
                        actual: rule.count.unwrap_or(0).into(),
                    },
                ));
            }
            check_overrides(event, &series)?;
            check_occurrence_answers(event, &series)?;
            let last_end = recurrence::last_end(&series)
                .map_err(|e| problem("recurrence.rule", &e.to_string()))?;
            Ok(Placement::Series {
                last_end_ns: last_end.map_or(u64::MAX, to_ns),
            })
        }
    }
}

fn check_color(color: &str) -> Result<(), Error> {
    let hex = color.strip_prefix('#').unwrap_or("");
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(problem("color", "expected #rrggbb"))
    }
}

fn check_people(event: &Event) -> Result<(), Error> {
    limits::count("attendees", event.attendees.len(), MAX_ATTENDEES)?;
    let attendees: Vec<Principal> = event.attendees.iter().map(|a| a.principal).collect();
    if unique(attendees.iter()) != attendees.len() {
        return Err(problem("attendees", "an attendee is listed twice"));
    }
    if attendees.iter().any(is_anonymous) {
        return Err(problem(
            "attendees",
            "the anonymous principal cannot attend",
        ));
    }
    if let Visibility::Shared(shares) = &event.visibility {
        limits::count("visibility", shares.len(), MAX_SHARES)?;
        let people: Vec<Principal> = shares.iter().map(|s| s.principal).collect();
        if unique(people.iter()) != people.len() {
            return Err(problem("visibility", "a principal is listed twice"));
        }
        if people.iter().any(is_anonymous) || people.contains(&event.owner) {
            return Err(problem(
                "visibility",
                "share with named principals other than the owner (use Public for everyone)",
            ));
        }
    }
    Ok(())
}

/// At most [`MAX_REMINDERS`] distinct lead times, none earlier than [`MAX_REMINDER_MINUTES`].
fn check_reminders(field: &str, minutes: &[u32]) -> Result<(), Error> {
    limits::count(field, minutes.len(), MAX_REMINDERS)?;
    if let Some(&m) = minutes.iter().find(|&&m| m > MAX_REMINDER_MINUTES) {
        return Err(Error::invalid(
            field,
            InputProblem::TooLong {
                max: MAX_REMINDER_MINUTES.into(),
                actual: m.into(),
            },
        ));
    }
    if unique(minutes.iter()) != minutes.len() {
        return Err(problem(field, "duplicate reminder"));
    }
    Ok(())
}

/// Own reminders are attendees', one entry each, each within the limits of the event's own.
fn check_own_reminders(event: &Event) -> Result<(), Error> {
    let own = event.own_reminders();
    let people: Vec<Principal> = own.iter().map(|r| r.principal).collect();
    if unique(people.iter()) != people.len() {
        return Err(problem(
            "attendee_reminders",
            "two entries for one attendee",
        ));
    }
    for r in own {
        if !event.attendees.iter().any(|a| a.principal == r.principal) {
            return Err(problem(
                "attendee_reminders",
                "only attendees choose their own reminders",
            ));
        }
        check_reminders("attendee_reminders", &r.reminders_minutes)?;
    }
    Ok(())
}

fn unique<'a, T: Ord + 'a>(items: impl Iterator<Item = &'a T>) -> usize {
    items.collect::<BTreeSet<_>>().len()
}

/// Every override names a real instance and a moved instance keeps a sane length.
fn check_overrides(event: &Event, series: &Series) -> Result<(), Error> {
    let mut seen = BTreeSet::new();
    let mut originals = Vec::with_capacity(event.overrides.len());
    for o in &event.overrides {
        if !seen.insert(o.original_start_ns) {
            return Err(problem("overrides", "two changes to one instance"));
        }
        originals.push(timestamp("overrides", o.original_start_ns)?);
    }
    require_instances("overrides", series, &originals)?;
    for o in &event.overrides {
        if let InstanceChange::Moved { start_ns, end_ns } = o.change {
            check_span("overrides", end_ns.saturating_sub(start_ns))?;
        }
    }
    Ok(())
}

/// Every answer for a single occurrence is an attendee's, once per occurrence, for a real one.
fn check_occurrence_answers(event: &Event, series: &Series) -> Result<(), Error> {
    let answers = event.occurrence_answers();
    if answers.is_empty() {
        return Ok(());
    }
    let mut seen = BTreeSet::new();
    let mut originals = Vec::with_capacity(answers.len());
    for a in answers {
        if !event.attendees.iter().any(|x| x.principal == a.principal) {
            return Err(problem(
                "occurrence_rsvps",
                "an answer of someone not attending",
            ));
        }
        if !seen.insert((a.principal, a.original_start_ns)) {
            return Err(problem(
                "occurrence_rsvps",
                "two answers of one attendee for one occurrence",
            ));
        }
        originals.push(timestamp("occurrence_rsvps", a.original_start_ns)?);
    }
    require_instances("occurrence_rsvps", series, &originals)
}

/// Every one of `originals` is an instance of `series`: all at once, one walk of the series
/// and not one per start (`are_instances`).
fn require_instances(field: &str, series: &Series, originals: &[Timestamp]) -> Result<(), Error> {
    let real = recurrence::are_instances(series, originals).unwrap_or_default();
    if real.len() != originals.len() || real.contains(&false) {
        return Err(problem(
            field,
            "original_start_ns is not an instance of the series",
        ));
    }
    Ok(())
}

fn check_span(field: &str, length_ns: u64) -> Result<(), Error> {
    if length_ns > MAX_DURATION_NS {
        return Err(Error::invalid(
            field,
            InputProblem::TooLong {
                max: MAX_DURATION_NS,
                actual: length_ns,
            },
        ));
    }
    Ok(())
}

/// Length of the first occurrence.
fn occurrence_ns(series: &Series, time: &EventTime) -> Result<u64, Error> {
    Ok(match time {
        EventTime::Timed { start_ns, end_ns } => end_ns - start_ns,
        EventTime::AllDay { .. } => {
            let (start, end) = all_day_span(series.time_zone.as_str(), time)?;
            end - start
        }
    })
}

/// The instants a one-off event covers: all-day dates are read at midnight in its zone.
pub fn one_off_span(event: &Event) -> Result<(u64, u64), Error> {
    match &event.time {
        EventTime::Timed { start_ns, end_ns } => Ok((*start_ns, *end_ns)),
        time @ EventTime::AllDay { .. } => all_day_span(&event.time_zone, time),
    }
}

fn all_day_span(zone: &str, time: &EventTime) -> Result<(u64, u64), Error> {
    let EventTime::AllDay { start, end } = time else {
        unreachable!("called for all-day events only")
    };
    let tz = time_zone(zone)?;
    let at_midnight = |d| -> Result<u64, Error> {
        let date = recurrence::wire::date("time", d)?;
        let instant = date
            .to_zoned(tz.clone())
            .map_err(|_| problem("time", "date out of range"))?
            .timestamp();
        Ok(to_ns(instant))
    };
    Ok((at_midnight(*start)?, at_midnight(*end)?))
}

pub fn duration_class(length_ns: u64) -> u8 {
    CLASS_BOUNDS_NS
        .iter()
        .position(|&bound| length_ns <= bound)
        .unwrap_or(CLASS_BOUNDS_NS.len() - 1) as u8
}

/// Checks a host's booking policy before it is stored.
pub fn check_policy(p: &BookingPolicy) -> Result<(), Error> {
    time_zone(&p.time_zone)?;
    limits::non_empty_text("booking_title", &p.booking_title, MAX_TITLE_CHARS)?;
    limits::count("working_hours", p.working_hours.len(), MAX_WORKING_RANGES)?;
    if p.working_hours.is_empty() {
        return Err(Error::invalid("working_hours", InputProblem::Empty));
    }
    for w in &p.working_hours {
        if w.start_minute >= w.end_minute || w.end_minute > 24 * 60 {
            return Err(problem(
                "working_hours",
                "each range must start before it ends, within one day (0..=1440)",
            ));
        }
    }
    within("slot_minutes", p.slot_minutes, 5, 8 * 60)?;
    within("step_minutes", p.step_minutes, 5, 8 * 60)?;
    within("buffer_before_minutes", p.buffer_before_minutes, 0, 4 * 60)?;
    within("buffer_after_minutes", p.buffer_after_minutes, 0, 4 * 60)?;
    within("min_notice_minutes", p.min_notice_minutes, 0, 60 * 24 * 60)?;
    within("horizon_days", p.horizon_days, 1, 366)?;
    Ok(())
}

fn within(field: &str, value: u32, lo: u32, hi: u32) -> Result<(), Error> {
    if value < lo || value > hi {
        return Err(problem(field, &format!("must be between {lo} and {hi}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
