//! "This and following" edits: split one series into two at an instance.
//!
//! Other calendars lose data here (exceptions dropped, or EXDATEs left on the wrong half,
//! see the research note's section 3). The split is exact: the two halves together produce
//! the same instances as the original, and every EXDATE/exception goes to the half that
//! contains its original start.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use crate::calendar::{civil_from_days, date_of, day_of, weekday0};
use crate::error::RecurrenceError;
use crate::rule::{Frequency, RecurrenceRule, Until, WeekdayNum};
use crate::series::{civil_datetime, EventTime, Occurrences, Series};

/// Splits `series` so that the first half ends just before the instance originally starting at
/// `at` and the second half starts with it. RDATEs, like EXDATEs and exceptions, go to the half
/// their start falls in.
///
/// At an RDATE that is not also a rule instance, the rule is split at its next instance after
/// `at` and the second half starts with the RDATE (an RDATE may precede its series' DTSTART).
/// `NotAnInstance` when `at` is neither, or when no rule instance follows the RDATE (the second
/// half would have no rule to carry its RDATEs) or only the series' first one does (the first
/// half would be RDATEs alone).
///
/// The first half gets `COUNT` = number of earlier instances (when the rule has a COUNT) or
/// `UNTIL` one second before `at` (a date the day before for all-day events). The second half
/// starts on `at`'s date at the series' original wall-clock time (so an instance that was
/// shifted by a DST gap keeps its 02:30 time of day), keeps the remaining COUNT or the original
/// UNTIL, and has the day selectors DTSTART implied written out explicitly so that it selects
/// exactly the same days.
pub fn split_series(series: &Series, at: Timestamp) -> Result<(Series, Series), RecurrenceError> {
    match split_at_rule_instance(series, at) {
        Err(RecurrenceError::NotAnInstance(_)) if series.rdates.contains(&at) => {
            split_at_rdate(series, at)
        }
        split => split,
    }
}

/// [`split_series`] at an RDATE-only instance `at`: split at the rule's next instance, then move
/// what starts from `at` on into the second half.
fn split_at_rdate(series: &Series, at: Timestamp) -> Result<(Series, Series), RecurrenceError> {
    /// Instances looked at after `at` for the rule's next one (RDATEs and EXDATEs between
    /// them are skipped over; more than this many in a row is not a real calendar).
    const LOOK_AHEAD: usize = 64;
    let mut candidates: Vec<Timestamp> = crate::next_instances_after(series, at, LOOK_AHEAD)?
        .into_iter()
        .map(|i| i.original_start)
        .filter(|&t| t > at && !series.rdates.contains(&t))
        .collect();
    candidates.sort();
    let Some(&next) = candidates.first() else {
        return Err(RecurrenceError::NotAnInstance(at));
    };
    let (mut first, mut second) = match split_at_rule_instance(series, next) {
        Err(RecurrenceError::SplitAtFirstInstance) => {
            return Err(RecurrenceError::NotAnInstance(at))
        }
        split => split?,
    };
    second.rdates.extend(first.rdates.split_off(&at));
    second.exdates.extend(first.exdates.split_off(&at));
    second.exceptions.extend(first.exceptions.split_off(&at));
    Ok((first, second))
}

fn split_at_rule_instance(
    series: &Series,
    at: Timestamp,
) -> Result<(Series, Series), RecurrenceError> {
    let Some(rule) = series.rule.as_ref() else {
        return Err(if at == series_first_start(series)? {
            RecurrenceError::SplitAtFirstInstance
        } else {
            RecurrenceError::NotAnInstance(at)
        });
    };
    let tz = series.tz()?;
    let at_day = day_of(at.to_zoned(tz.clone()).date());
    let mut occurrences = Occurrences::new(series, at_day - 1, at_day + 1)?;
    let (day, civil, before) = loop {
        match occurrences.next_rule_occurrence()? {
            Some(o) if o.start == at => break (o.day, o.civil, occurrences.produced() - 1),
            Some(o) if o.start < at => continue,
            _ => return Err(RecurrenceError::NotAnInstance(at)),
        }
    };
    let start_day = day_of(series.start_local().date());
    if day == start_day {
        return Err(RecurrenceError::SplitAtFirstInstance);
    }

    let mut first_rule = rule.clone();
    let mut second_rule = explicit_defaults(rule, start_day);
    match rule.count {
        Some(total) => {
            first_rule.count = Some(before);
            second_rule.count = Some(total - before);
        }
        None => {
            first_rule.until = Some(match series.time {
                EventTime::Timed { .. } => Until::Utc(
                    at.checked_sub(SignedDuration::from_secs(1))
                        .map_err(|_| RecurrenceError::OutOfRange)?,
                ),
                EventTime::AllDay { .. } => {
                    Until::Date(date_of(day - 1).ok_or(RecurrenceError::OutOfRange)?)
                }
            });
        }
    }

    let second_date: Date = date_of(day).ok_or(RecurrenceError::OutOfRange)?;
    let second_time = match series.time {
        // The civil time the rule gave the instance (DTSTART's time of day unless the rule has
        // time parts), not the instant's: a gap-shifted 02:30 restarts at 02:30.
        EventTime::Timed { start, duration } => EventTime::Timed {
            start: civil_datetime(civil, start.subsec_nanosecond())?,
            duration,
        },
        EventTime::AllDay { days, .. } => EventTime::AllDay {
            start: second_date,
            days,
        },
    };
    let mut first = Series::new(series.time.clone(), &series.time_zone, Some(first_rule))?;
    let mut second = Series::new(second_time, &series.time_zone, Some(second_rule))?;
    for &t in &series.exdates {
        if t < at { &mut first } else { &mut second }
            .exdates
            .insert(t);
    }
    for &t in &series.rdates {
        if t < at { &mut first } else { &mut second }
            .rdates
            .insert(t);
    }
    for (&t, &e) in &series.exceptions {
        if t < at { &mut first } else { &mut second }
            .exceptions
            .insert(t, e);
    }
    Ok((first, second))
}

fn series_first_start(series: &Series) -> Result<Timestamp, RecurrenceError> {
    let tz = series.tz()?;
    series.start_on(&tz, day_of(series.start_local().date()))
}

/// The rule with DTSTART-derived defaults (weekday, day of month, month) made explicit.
fn explicit_defaults(rule: &RecurrenceRule, start_day: i32) -> RecurrenceRule {
    let mut r = rule.clone();
    // Time-of-day defaults need nothing: every instance shares them with DTSTART, so the
    // second half's DTSTART (an instance) carries the same ones.
    if !r.by_day.is_empty()
        || !r.by_month_day.is_empty()
        || !r.by_year_day.is_empty()
        || !r.by_week_no.is_empty()
    {
        return r;
    }
    let (_, month, dom) = civil_from_days(start_day);
    let weekday = jiff::civil::Weekday::from_monday_zero_offset(weekday0(start_day) as i8)
        .expect("weekday0 is in 0..7");
    match r.freq {
        Frequency::Secondly | Frequency::Minutely | Frequency::Hourly | Frequency::Daily => {}
        Frequency::Weekly => {
            r.by_day = vec![WeekdayNum {
                ordinal: None,
                weekday,
            }]
        }
        Frequency::Monthly => r.by_month_day = vec![dom as i8],
        Frequency::Yearly => {
            if r.by_month.is_empty() {
                r.by_month = vec![month as i8];
            }
            r.by_month_day = vec![dom as i8];
        }
    }
    r
}
