//! The suite's wire form of a schedule ([`interfaces::calendar::Schedule`]) to a [`Series`],
//! shared by the calendar shard (listing, free/busy) and the notification canister (reminders),
//! so both read an event's occurrences the same way.

use interfaces::calendar::{Date as WireDate, EventTime as WireTime, InstanceChange, Schedule};
use interfaces::{Error, InputProblem};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::{EventTime, Exception, Frequency, RecurrenceError, RecurrenceRule, Series};

/// Validates `schedule` and builds its series. Every problem is an `InvalidInput` naming the
/// field: `time`, `time_zone`, `recurrence.rule` (also a rule repeating more often than
/// daily), `recurrence.exdates_ns`, `recurrence.rdates_ns` or `overrides`.
pub fn series_from_schedule(schedule: &Schedule) -> Result<Series, Error> {
    let tz = time_zone(&schedule.time_zone)?;
    let time = match &schedule.time {
        WireTime::Timed { start_ns, end_ns } => {
            if end_ns < start_ns {
                return Err(malformed("time", "end before start"));
            }
            let start = timestamp("time", *start_ns)?;
            EventTime::Timed {
                start: tz.to_datetime(start),
                duration: SignedDuration::from_nanos((end_ns - start_ns) as i64),
            }
        }
        WireTime::AllDay { start, end } => {
            let (start, end) = (date("time", *start)?, date("time", *end)?);
            let days = (end - start).get_days();
            if days <= 0 {
                return Err(malformed(
                    "time",
                    "an all-day event must end after its start date",
                ));
            }
            EventTime::AllDay {
                start,
                days: days as u32,
            }
        }
    };
    let rule = match &schedule.recurrence {
        None => None,
        Some(r) => {
            let rule = r
                .rule
                .parse::<RecurrenceRule>()
                .map_err(|e| malformed("recurrence.rule", &e.to_string()))?;
            // The engine knows HOURLY..SECONDLY (iCalendar files use them), but the suite's
            // events repeat at most daily, as Google, Outlook and Apple allow: a rule repeating
            // every hour, minute or second would fill every window and reminder queue it meets.
            if rule.freq < Frequency::Daily {
                let why = format!(
                    "FREQ={} is not supported: at most daily",
                    rule.freq.as_str()
                );
                return Err(malformed("recurrence.rule", &why));
            }
            Some(rule)
        }
    };
    let mut series = Series::new(time, &schedule.time_zone, rule).map_err(|e| match e {
        RecurrenceError::UnknownTimeZone(_) => malformed("time_zone", &e.to_string()),
        RecurrenceError::InvalidSeries(_) | RecurrenceError::OutOfRange => {
            malformed("time", &e.to_string())
        }
        _ => malformed("recurrence.rule", &e.to_string()),
    })?;
    if let Some(r) = &schedule.recurrence {
        for &ns in &r.exdates_ns {
            series
                .exdates
                .insert(timestamp("recurrence.exdates_ns", ns)?);
        }
        for &ns in r.rdates_ns.iter().flatten() {
            let t = timestamp("recurrence.rdates_ns", ns)?;
            if matches!(series.time, EventTime::AllDay { .. }) && !starts_a_day(&tz, t) {
                return Err(malformed(
                    "recurrence.rdates_ns",
                    "an all-day series' RDATE is the midnight starting a day in its zone",
                ));
            }
            series.rdates.insert(t);
        }
    }
    for o in &schedule.overrides {
        let original = timestamp("overrides", o.original_start_ns)?;
        let exception = match o.change {
            InstanceChange::Moved { start_ns, end_ns } => {
                if end_ns < start_ns {
                    return Err(malformed(
                        "overrides",
                        "moved instance ends before it starts",
                    ));
                }
                Exception::Moved {
                    start: timestamp("overrides", start_ns)?,
                    end: timestamp("overrides", end_ns)?,
                }
            }
            InstanceChange::Cancelled => Exception::Cancelled,
        };
        series.exceptions.insert(original, exception);
    }
    Ok(series)
}

/// Whether `t` is where its day starts in `tz` (midnight, or the first instant after a gap).
fn starts_a_day(tz: &TimeZone, t: Timestamp) -> bool {
    let date = t.to_zoned(tz.clone()).date();
    date.to_zoned(tz.clone()).is_ok_and(|z| z.timestamp() == t)
}

/// The zone `name` names (an IANA name of the bundled database, or a POSIX rule as
/// `tz::PosixRule` accepts it), or a typed error.
pub fn time_zone(name: &str) -> Result<TimeZone, Error> {
    crate::tz::named_zone(name).ok_or_else(|| {
        malformed(
            "time_zone",
            &format!("unknown time zone `{name}` (an IANA name, or a POSIX rule like `<+01>-1`)"),
        )
    })
}

/// Nanoseconds since the epoch as a timestamp.
pub fn timestamp(field: &str, ns: u64) -> Result<Timestamp, Error> {
    Timestamp::from_nanosecond(ns as i128).map_err(|_| malformed(field, "instant out of range"))
}

/// A timestamp as nanoseconds since the epoch (0 for instants before 1970).
pub fn to_ns(t: Timestamp) -> u64 {
    u64::try_from(t.as_nanosecond()).unwrap_or(0)
}

pub fn date(field: &str, d: WireDate) -> Result<Date, Error> {
    Date::new(d.year, d.month as i8, d.day as i8).map_err(|_| malformed(field, "no such date"))
}

pub fn to_wire_date(d: Date) -> WireDate {
    WireDate {
        year: d.year(),
        month: d.month() as u8,
        day: d.day() as u8,
    }
}

fn malformed(field: &str, reason: &str) -> Error {
    Error::invalid(
        field,
        InputProblem::Malformed {
            reason: reason.to_string(),
        },
    )
}

/// The wire form of `series` (the inverse of [`series_from_schedule`]), e.g. for the halves of
/// a split series.
pub fn schedule_from_series(series: &Series) -> Result<Schedule, Error> {
    use interfaces::calendar::{InstanceOverride, Recurrence};
    let tz = time_zone(&series.time_zone)?;
    let time = match &series.time {
        EventTime::Timed { start, duration } => {
            let start = tz
                .to_ambiguous_timestamp(*start)
                .compatible()
                .map_err(|_| malformed("time", "start out of range"))?;
            let end = start
                .checked_add(*duration)
                .map_err(|_| malformed("time", "end out of range"))?;
            WireTime::Timed {
                start_ns: to_ns(start),
                end_ns: to_ns(end),
            }
        }
        EventTime::AllDay { start, days } => WireTime::AllDay {
            start: to_wire_date(*start),
            end: to_wire_date(
                start
                    .checked_add(jiff::Span::new().days(i64::from(*days)))
                    .map_err(|_| malformed("time", "end out of range"))?,
            ),
        },
    };
    Ok(Schedule {
        time,
        time_zone: series.time_zone.clone(),
        recurrence: series.rule.as_ref().map(|rule| Recurrence {
            rule: rule.to_string(),
            exdates_ns: series.exdates.iter().map(|&t| to_ns(t)).collect(),
            rdates_ns: (!series.rdates.is_empty())
                .then(|| series.rdates.iter().map(|&t| to_ns(t)).collect()),
        }),
        overrides: series
            .exceptions
            .iter()
            .map(|(&original, exception)| InstanceOverride {
                original_start_ns: to_ns(original),
                change: match *exception {
                    Exception::Moved { start, end } => InstanceChange::Moved {
                        start_ns: to_ns(start),
                        end_ns: to_ns(end),
                    },
                    Exception::Cancelled => InstanceChange::Cancelled,
                },
            })
            .collect(),
    })
}
