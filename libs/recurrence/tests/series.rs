//! Exceptions (moved and cancelled instances), EXDATEs, windows, `next_instances_after` and
//! "this and following" splits.

mod common;

use std::str::FromStr;

use common::{all, starts, timed, ts};
use jiff::civil::date;
use jiff::SignedDuration;
use recurrence::{
    instances, is_instance, next_instances_after, split_series, EventTime, Exception,
    RecurrenceError, RecurrenceRule, Series,
};

/// Daily 09:00 UTC from 2025-01-01, five instances.
fn five_days() -> Series {
    timed(date(2025, 1, 1).at(9, 0, 0, 0), "UTC", "FREQ=DAILY;COUNT=5")
}

#[test]
fn moved_instance_appears_once_at_its_new_time() {
    let mut s = five_days();
    let original = ts("2025-01-02T09:00:00Z");
    s.exceptions.insert(
        original,
        Exception::Moved {
            start: ts("2025-01-04T15:00:00Z"),
            end: ts("2025-01-04T16:00:00Z"),
        },
    );
    let got = all(&s);
    assert_eq!(
        starts(&got),
        [
            "2025-01-01T09:00:00Z",
            "2025-01-03T09:00:00Z",
            "2025-01-04T09:00:00Z",
            "2025-01-04T15:00:00Z",
            "2025-01-05T09:00:00Z"
        ]
    );
    let moved = got.iter().find(|i| i.overridden).unwrap();
    assert_eq!(moved.original_start, original);
    // Window containing only the new time sees it; one containing only the old time does not.
    assert_eq!(
        instances(
            &s,
            ts("2025-01-04T14:00:00Z"),
            ts("2025-01-04T15:30:00Z"),
            10
        )
        .unwrap()
        .len(),
        1
    );
    assert!(instances(
        &s,
        ts("2025-01-02T08:00:00Z"),
        ts("2025-01-02T11:00:00Z"),
        10
    )
    .unwrap()
    .is_empty());
}

#[test]
fn moved_far_outside_the_rule_range_is_still_found() {
    let mut s = five_days();
    s.exceptions.insert(
        ts("2025-01-05T09:00:00Z"),
        Exception::Moved {
            start: ts("2025-06-01T09:00:00Z"),
            end: ts("2025-06-01T10:00:00Z"),
        },
    );
    let got = instances(
        &s,
        ts("2025-05-01T00:00:00Z"),
        ts("2025-07-01T00:00:00Z"),
        10,
    )
    .unwrap();
    assert_eq!(starts(&got), ["2025-06-01T09:00:00Z"]);
}

#[test]
fn cancellations_and_exdates_remove_without_giving_back_count() {
    let mut s = five_days();
    s.exceptions
        .insert(ts("2025-01-02T09:00:00Z"), Exception::Cancelled);
    s.exdates.insert(ts("2025-01-04T09:00:00Z"));
    assert_eq!(
        starts(&all(&s)),
        [
            "2025-01-01T09:00:00Z",
            "2025-01-03T09:00:00Z",
            "2025-01-05T09:00:00Z"
        ]
    );
}

#[test]
fn exception_for_a_time_that_is_not_an_instance_is_ignored() {
    let mut s = five_days();
    s.exceptions.insert(
        ts("2025-01-02T10:00:00Z"),
        Exception::Moved {
            start: ts("2025-01-02T12:00:00Z"),
            end: ts("2025-01-02T13:00:00Z"),
        },
    );
    s.exceptions.insert(
        ts("2025-01-09T09:00:00Z"), // past COUNT
        Exception::Moved {
            start: ts("2025-01-03T12:00:00Z"),
            end: ts("2025-01-03T13:00:00Z"),
        },
    );
    assert_eq!(all(&s).len(), 5);
    assert!(all(&s).iter().all(|i| !i.overridden));
    assert!(is_instance(&s, ts("2025-01-05T09:00:00Z")).unwrap());
    assert!(!is_instance(&s, ts("2025-01-06T09:00:00Z")).unwrap());
}

#[test]
fn window_overlap_limit_and_order() {
    let s = timed(date(2025, 1, 1).at(9, 0, 0, 0), "UTC", "FREQ=DAILY");
    // Started at 09:00, ends 10:00: a window starting 09:30 includes it; one starting 10:00 not.
    assert_eq!(
        starts(
            &instances(
                &s,
                ts("2025-01-03T09:30:00Z"),
                ts("2025-01-03T09:31:00Z"),
                10
            )
            .unwrap()
        ),
        ["2025-01-03T09:00:00Z"]
    );
    assert!(instances(
        &s,
        ts("2025-01-03T10:00:00Z"),
        ts("2025-01-04T09:00:00Z"),
        10
    )
    .unwrap()
    .is_empty());
    let got = instances(
        &s,
        ts("2025-01-01T00:00:00Z"),
        ts("2026-01-01T00:00:00Z"),
        3,
    )
    .unwrap();
    assert_eq!(
        starts(&got),
        [
            "2025-01-01T09:00:00Z",
            "2025-01-02T09:00:00Z",
            "2025-01-03T09:00:00Z"
        ]
    );
    assert!(instances(
        &s,
        ts("2025-01-02T00:00:00Z"),
        ts("2025-01-01T00:00:00Z"),
        3
    )
    .unwrap()
    .is_empty());
    assert!(instances(
        &s,
        ts("2025-01-01T00:00:00Z"),
        ts("2026-01-01T00:00:00Z"),
        0
    )
    .unwrap()
    .is_empty());
}

#[test]
fn single_event_without_rule() {
    let s = Series::new(
        EventTime::Timed {
            start: date(2025, 1, 1).at(9, 0, 0, 0),
            duration: SignedDuration::from_mins(30),
        },
        "Europe/Berlin",
        None,
    )
    .unwrap();
    let got = all(&s);
    assert_eq!(starts(&got), ["2025-01-01T08:00:00Z"]);
    assert_eq!(got[0].end, ts("2025-01-01T08:30:00Z"));
    assert_eq!(
        split_series(&s, got[0].start),
        Err(RecurrenceError::SplitAtFirstInstance)
    );
}

#[test]
fn next_instances_for_reminders() {
    let mut s = timed(
        date(2025, 3, 24).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=WEEKLY;BYDAY=MO,WE",
    );
    s.exdates.insert(ts("2025-03-26T08:00:00Z"));
    let got = next_instances_after(&s, ts("2025-03-24T08:00:00Z"), 3).unwrap();
    assert_eq!(
        starts(&got),
        [
            "2025-03-31T07:00:00Z",
            "2025-04-02T07:00:00Z",
            "2025-04-07T07:00:00Z"
        ]
    );
    s.exceptions.insert(
        ts("2025-04-02T07:00:00Z"),
        Exception::Moved {
            start: ts("2025-03-30T10:00:00Z"),
            end: ts("2025-03-30T11:00:00Z"),
        },
    );
    let got = next_instances_after(&s, ts("2025-03-24T08:00:00Z"), 2).unwrap();
    assert_eq!(
        starts(&got),
        ["2025-03-30T10:00:00Z", "2025-03-31T07:00:00Z"]
    );
}

/// Splitting must neither lose nor duplicate instances, and exceptions follow their instance.
/// `series` has no exceptions here, so the second half starts exactly at the split point.
fn check_split(series: &Series, at_index: usize) {
    let before = all(series);
    let at = before[at_index].original_start;
    let (first, second) = split_series(series, at).unwrap();
    let mut joined = all(&first);
    assert!(
        joined.iter().all(|i| i.original_start < at),
        "first half ends before the split"
    );
    let tail = all(&second);
    assert_eq!(
        tail.first().map(|i| i.original_start),
        Some(at),
        "second half starts at the split"
    );
    joined.extend(tail);
    joined.sort_by_key(|i| (i.start, i.original_start));
    assert_eq!(
        joined,
        before,
        "rule {:?} split at {at}",
        series.rule.as_ref().map(ToString::to_string)
    );
    assert!(first
        .exdates
        .iter()
        .chain(first.exceptions.keys())
        .all(|t| *t < at));
    assert!(second
        .exdates
        .iter()
        .chain(second.exceptions.keys())
        .all(|t| *t >= at));
    assert_eq!(
        first.exdates.len() + second.exdates.len(),
        series.exdates.len()
    );
    assert_eq!(
        first.exceptions.len() + second.exceptions.len(),
        series.exceptions.len()
    );
}

#[test]
fn split_keeps_every_instance_and_exception() {
    let cases = [
        ("FREQ=DAILY;COUNT=10", "UTC", (2, 30)),
        (
            "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=20",
            "Europe/Berlin",
            (9, 0),
        ),
        (
            "FREQ=WEEKLY;INTERVAL=2;UNTIL=20250801T000000Z",
            "America/New_York",
            (9, 0),
        ),
        (
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=12",
            "Europe/Berlin",
            (17, 0),
        ),
        ("FREQ=MONTHLY;INTERVAL=2", "Australia/Sydney", (2, 30)),
        (
            "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;COUNT=6",
            "Europe/Berlin",
            (2, 30),
        ),
    ];
    for (rule, zone, (h, m)) in cases {
        let mut s = timed(date(2025, 1, 6).at(h, m, 0, 0), zone, rule);
        let list = instances(
            &s,
            ts("2000-01-01T00:00:00Z"),
            ts("2030-01-01T00:00:00Z"),
            40,
        )
        .unwrap();
        // An EXDATE and exceptions on both sides of the split point.
        s.exdates.insert(list[1].original_start);
        s.exceptions
            .insert(list[2].original_start, Exception::Cancelled);
        let moved = list[4].original_start;
        s.exceptions.insert(
            moved,
            Exception::Moved {
                start: moved + SignedDuration::from_hours(2),
                end: moved + SignedDuration::from_hours(3),
            },
        );
        s.exdates.insert(list[5].original_start);
        // Bound the open-ended rule so `all` is finite.
        if s.rule.as_ref().unwrap().count.is_none() && s.rule.as_ref().unwrap().until.is_none() {
            s.rule.as_mut().unwrap().count = Some(30);
        }
        for at in [1, 3, 4, 5] {
            let pos = all(&Series {
                exdates: Default::default(),
                exceptions: Default::default(),
                ..s.clone()
            })
            .iter()
            .position(|i| i.original_start == list[at].original_start)
            .unwrap();
            check_split(
                &Series {
                    exdates: Default::default(),
                    exceptions: Default::default(),
                    ..s.clone()
                },
                pos,
            );
            // With exceptions: split at the original start directly.
            let (first, second) = split_series(&s, list[at].original_start).unwrap();
            let mut joined = all(&first);
            joined.extend(all(&second));
            joined.sort_by_key(|i| (i.start, i.original_start));
            assert_eq!(joined, all(&s), "{rule} in {zone} split at #{at}");
        }
    }
}

#[test]
fn split_rewrites_count_and_until() {
    let s = five_days();
    let (first, second) = split_series(&s, ts("2025-01-03T09:00:00Z")).unwrap();
    assert_eq!(
        first.rule.as_ref().unwrap().to_string(),
        "FREQ=DAILY;COUNT=2"
    );
    assert_eq!(
        second.rule.as_ref().unwrap().to_string(),
        "FREQ=DAILY;COUNT=3"
    );
    let s = timed(
        date(2025, 1, 6).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=WEEKLY",
    );
    let (first, second) = split_series(&s, ts("2025-01-20T08:00:00Z")).unwrap();
    assert_eq!(
        first.rule.as_ref().unwrap().to_string(),
        "FREQ=WEEKLY;UNTIL=20250120T075959Z"
    );
    assert_eq!(
        second.rule.as_ref().unwrap().to_string(),
        "FREQ=WEEKLY;BYDAY=MO"
    );
    assert_eq!(second.start_local(), date(2025, 1, 20).at(9, 0, 0, 0));
    // All-day: UNTIL becomes the previous date.
    let rule = RecurrenceRule::from_str("FREQ=DAILY").unwrap();
    let s = Series::new(
        EventTime::AllDay {
            start: date(2025, 3, 28),
            days: 1,
        },
        "Europe/Berlin",
        Some(rule),
    )
    .unwrap();
    let at = all(&Series {
        rule: Some(RecurrenceRule::from_str("FREQ=DAILY;COUNT=5").unwrap()),
        ..s.clone()
    })[3]
        .start;
    let (first, second) = split_series(&s, at).unwrap();
    assert_eq!(
        first.rule.as_ref().unwrap().to_string(),
        "FREQ=DAILY;UNTIL=20250330"
    );
    assert_eq!(
        second.time,
        EventTime::AllDay {
            start: date(2025, 3, 31),
            days: 1
        }
    );
}

#[test]
fn split_keeps_the_wall_time_of_a_gap_instance() {
    // 02:30 daily in Berlin; the 2025-03-30 instance is at 03:30 because of the gap. Splitting
    // there must keep 02:30 for the following days, not drift to 03:30.
    let s = timed(
        date(2025, 3, 28).at(2, 30, 0, 0),
        "Europe/Berlin",
        "FREQ=DAILY;COUNT=6",
    );
    let at = ts("2025-03-30T01:30:00Z");
    let (_, second) = split_series(&s, at).unwrap();
    assert_eq!(second.start_local(), date(2025, 3, 30).at(2, 30, 0, 0));
    assert_eq!(starts(&all(&second))[1], "2025-03-31T00:30:00Z");
}

#[test]
fn split_errors() {
    let s = five_days();
    assert_eq!(
        split_series(&s, ts("2025-01-01T09:00:00Z")),
        Err(RecurrenceError::SplitAtFirstInstance)
    );
    assert_eq!(
        split_series(&s, ts("2025-01-02T10:00:00Z")),
        Err(RecurrenceError::NotAnInstance(ts("2025-01-02T10:00:00Z")))
    );
    assert_eq!(
        split_series(&s, ts("2025-01-09T09:00:00Z")),
        Err(RecurrenceError::NotAnInstance(ts("2025-01-09T09:00:00Z")))
    );
}

#[test]
fn last_end_covers_count_until_moves_and_open_series() {
    use recurrence::last_end;
    // COUNT: the fifth daily instance ends at 10:00 on the 5th (timed() gives one hour).
    let mut s = five_days();
    assert_eq!(last_end(&s).unwrap(), Some(ts("2025-01-05T10:00:00Z")));
    // A cancelled last instance still counts; a moved one can push the end later.
    s.exceptions
        .insert(ts("2025-01-05T09:00:00Z"), Exception::Cancelled);
    assert_eq!(last_end(&s).unwrap(), Some(ts("2025-01-05T10:00:00Z")));
    s.exceptions.insert(
        ts("2025-01-02T09:00:00Z"),
        Exception::Moved {
            start: ts("2025-02-01T09:00:00Z"),
            end: ts("2025-02-01T11:00:00Z"),
        },
    );
    assert_eq!(last_end(&s).unwrap(), Some(ts("2025-02-01T11:00:00Z")));
    // UNTIL bounds every start; no COUNT/UNTIL never ends.
    let until = timed(
        date(2025, 1, 1).at(9, 0, 0, 0),
        "UTC",
        "FREQ=DAILY;UNTIL=20250110T090000Z",
    );
    let end = last_end(&until).unwrap().unwrap();
    assert!(end >= ts("2025-01-10T10:00:00Z"), "{end}");
    let open = timed(date(2025, 1, 1).at(9, 0, 0, 0), "UTC", "FREQ=WEEKLY");
    assert_eq!(last_end(&open).unwrap(), None);
}
