//! Questions about a series' instances: which overlap a window, which come next, whether an
//! instant is one, and when the last one ends. Built on the ordered occurrences of
//! [`crate::series`], with exceptions and EXDATEs applied here.

use jiff::civil::Time;
use jiff::Timestamp;

use crate::calendar::{date_of, day_of};
use crate::error::RecurrenceError;
use crate::rule::Until;
use crate::series::{local_day, resolve, Exception, Instance, Occurrences, Series};

fn overlaps(start: Timestamp, end: Timestamp, lo: Timestamp, hi: Timestamp) -> bool {
    if start == end {
        lo <= start && start < hi
    } else {
        start < hi && end > lo
    }
}

/// True when `original` is the original start of an instance of the series (cancelled or not).
pub fn is_instance(series: &Series, original: Timestamp) -> Result<bool, RecurrenceError> {
    let tz = series.tz()?;
    let day = local_day(&tz, original);
    let mut occ = Occurrences::new(series, day - 1, day + 1)?;
    while let Some(o) = occ.next_occurrence()? {
        if o.start >= original {
            return Ok(o.start == original);
        }
    }
    Ok(false)
}

/// For each of `originals` (in any order), whether it is the original start of an instance, as
/// [`is_instance`] answers for one. A COUNT rule must be counted from DTSTART, so asking one at a
/// time would cost (originals x instances); here the count is walked once, up to the latest
/// original, and the cost is (originals + instances). Other rules start each check at its own
/// day, so those are checked one by one.
pub fn are_instances(
    series: &Series,
    originals: &[Timestamp],
) -> Result<Vec<bool>, RecurrenceError> {
    let counted = series.rule.as_ref().is_some_and(|r| r.count.is_some());
    if !counted || originals.len() <= 1 {
        return originals.iter().map(|&t| is_instance(series, t)).collect();
    }
    let mut order: Vec<usize> = (0..originals.len()).collect();
    order.sort_by_key(|&i| originals[i]);
    let tz = series.tz()?;
    let first_day = local_day(&tz, originals[order[0]]);
    let last_day = local_day(&tz, originals[order[order.len() - 1]]);
    let mut occ = Occurrences::new(series, first_day - 1, last_day + 1)?;
    let mut out = vec![false; originals.len()];
    let mut next = 0;
    while next < order.len() {
        let Some(o) = occ.next_occurrence()? else {
            break;
        };
        // Originals before this occurrence fell between two instances: not instances.
        while next < order.len() && originals[order[next]] < o.start {
            next += 1;
        }
        while next < order.len() && originals[order[next]] == o.start {
            out[order[next]] = true;
            next += 1;
        }
    }
    Ok(out)
}

/// Instances overlapping `[window_start, window_end)`, in start order, at most `limit`.
///
/// Overlap follows RFC 4791 9.9: an instance that began before the window but ends inside it
/// is included; a zero-length instance is included when it starts inside the window.
pub fn instances(
    series: &Series,
    window_start: Timestamp,
    window_end: Timestamp,
    limit: usize,
) -> Result<Vec<Instance>, RecurrenceError> {
    let mut out = Vec::new();
    if window_start >= window_end || limit == 0 {
        return Ok(out);
    }
    let tz = series.tz()?;
    let earliest = window_start
        .checked_sub(series.max_duration())
        .unwrap_or(Timestamp::MIN);
    let mut occ = Occurrences::new(
        series,
        local_day(&tz, earliest) - 1,
        local_day(&tz, window_end) + 1,
    )?;
    while let Some(o) = occ.next_occurrence()? {
        if o.start >= window_end {
            break;
        }
        if series.is_excluded(o.start) {
            continue;
        }
        let end = series.end_of(occ.tz(), o.day, o.start)?;
        if overlaps(o.start, end, window_start, window_end) {
            out.push(Instance {
                original_start: o.start,
                start: o.start,
                end,
                overridden: false,
            });
            if out.len() >= limit {
                break;
            }
        }
    }
    push_moved(series, &mut out, |s, e| {
        overlaps(s, e, window_start, window_end)
    })?;
    out.sort_by_key(|i| (i.start, i.original_start));
    out.truncate(limit);
    Ok(out)
}

/// Adds moved exceptions accepted by `keep` whose original start is a real instance.
fn push_moved(
    series: &Series,
    out: &mut Vec<Instance>,
    keep: impl Fn(Timestamp, Timestamp) -> bool,
) -> Result<(), RecurrenceError> {
    let moved: Vec<(Timestamp, Timestamp, Timestamp)> = series
        .exceptions
        .iter()
        .filter_map(|(&original, exception)| match *exception {
            Exception::Moved { start, end } => Some((original, start, end)),
            Exception::Cancelled => None,
        })
        .filter(|&(original, start, end)| keep(start, end) && !series.exdates.contains(&original))
        .collect();
    // One walk for all of them (see `are_instances`), not one per moved instance.
    let originals: Vec<Timestamp> = moved.iter().map(|m| m.0).collect();
    let real = are_instances(series, &originals)?;
    for ((original, start, end), real) in moved.into_iter().zip(real) {
        if real {
            out.push(Instance {
                original_start: original,
                start,
                end,
                overridden: true,
            });
        }
    }
    Ok(())
}

/// The first `n` instances starting strictly after `after` (for scheduling reminders).
pub fn next_instances_after(
    series: &Series,
    after: Timestamp,
    n: usize,
) -> Result<Vec<Instance>, RecurrenceError> {
    let mut out = Vec::new();
    if n == 0 {
        return Ok(out);
    }
    let tz = series.tz()?;
    let mut occ = Occurrences::new(series, local_day(&tz, after) - 1, i32::MAX)?;
    while let Some(o) = occ.next_occurrence()? {
        if o.start <= after || series.is_excluded(o.start) {
            continue;
        }
        let end = series.end_of(occ.tz(), o.day, o.start)?;
        out.push(Instance {
            original_start: o.start,
            start: o.start,
            end,
            overridden: false,
        });
        if out.len() >= n {
            break;
        }
    }
    push_moved(series, &mut out, |s, _| s > after)?;
    out.sort_by_key(|i| (i.start, i.original_start));
    out.truncate(n);
    Ok(out)
}

/// The end of the series' last instance, moved instances and RDATEs included, or `None` when
/// the series never ends. Lets a store skip series that ended before a window without
/// expanding them.
pub fn last_end(series: &Series) -> Result<Option<Timestamp>, RecurrenceError> {
    let tz = series.tz()?;
    let moved_end = series
        .exceptions
        .values()
        .filter_map(|e| match e {
            Exception::Moved { end, .. } => Some(*end),
            Exception::Cancelled => None,
        })
        .max();
    // The latest RDATE ends last of them (every instance lasts as long, but for all-day DST).
    let rdate_end = match series.rdates.last() {
        Some(&d) => Some(series.end_of(&tz, local_day(&tz, d), d)?),
        None => None,
    };
    let moved_end = moved_end.max(rdate_end);
    let first = series.start_on(&tz, day_of(series.start_local().date()))?;
    let generated_end = match &series.rule {
        None => series.end_of(&tz, day_of(series.start_local().date()), first)?,
        Some(rule) => match (rule.until, rule.count) {
            // Strict UNTIL bounds every start; the last instance ends within one duration.
            (Some(Until::Utc(t)), _) => t
                .checked_add(series.max_duration())
                .map_err(|_| RecurrenceError::OutOfRange)?,
            (Some(Until::Date(d)), _) => {
                let after = date_of(day_of(d) + 1).ok_or(RecurrenceError::OutOfRange)?;
                resolve(&tz, after.to_datetime(Time::midnight()))?
                    .checked_add(series.max_duration())
                    .map_err(|_| RecurrenceError::OutOfRange)?
            }
            (Some(Until::Local(_)), _) => unreachable!("Series::new normalises a local UNTIL"),
            (None, Some(count)) => {
                // COUNT counts excluded instances too, so expand the rule itself.
                let mut occ =
                    Occurrences::new(series, day_of(series.start_local().date()) - 1, i32::MAX)?;
                let mut last = first;
                let mut seen = 0;
                while seen < count {
                    match occ.next_rule_occurrence()? {
                        Some(o) => {
                            last = series.end_of(occ.tz(), o.day, o.start)?;
                            seen += 1;
                        }
                        None => break,
                    }
                }
                last
            }
            (None, None) => return Ok(None),
        },
    };
    Ok(Some(
        moved_end.map_or(generated_end, |m| m.max(generated_end)),
    ))
}
