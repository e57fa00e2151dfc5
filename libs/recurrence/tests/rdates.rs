//! RDATEs: extra instances merged with the rule's in start order, deduplicated with them, not
//! counted by COUNT nor bounded by UNTIL, removed by EXDATEs, changed by exceptions, in
//! `last_end`, `is_instance`, `next_instances_after`, splits and the wire form.

mod common;

use std::str::FromStr;

use common::{all, starts, timed, ts};
use interfaces::calendar::{EventTime as WireTime, Recurrence, Schedule};
use jiff::civil::date;
use recurrence::wire::{schedule_from_series, series_from_schedule, to_ns};
use recurrence::{
    are_instances, instances, is_instance, last_end, next_instances_after, split_series, EventTime,
    Exception, RecurrenceError, RecurrenceRule, Series,
};

/// Daily 09:00 UTC from 2025-01-01, five instances, with RDATEs.
fn five_days_and(rdates: &[&str]) -> Series {
    let mut s = timed(date(2025, 1, 1).at(9, 0, 0, 0), "UTC", "FREQ=DAILY;COUNT=5");
    s.rdates = rdates.iter().map(|r| ts(r)).collect();
    s
}

#[test]
fn rdates_merge_in_start_order_and_do_not_count() {
    let s = five_days_and(&[
        "2025-01-02T15:00:00Z",
        "2025-01-03T09:00:00Z", // the rule's own third instance: shown once
        "2025-02-01T09:00:00Z", // after the COUNT ran out: still an instance
        "2024-12-31T08:00:00Z", // before DTSTART: still an instance
    ]);
    assert_eq!(
        starts(&all(&s)),
        [
            "2024-12-31T08:00:00Z",
            "2025-01-01T09:00:00Z",
            "2025-01-02T09:00:00Z",
            "2025-01-02T15:00:00Z",
            "2025-01-03T09:00:00Z",
            "2025-01-04T09:00:00Z",
            "2025-01-05T09:00:00Z",
            "2025-02-01T09:00:00Z",
        ]
    );
    // Every RDATE instance lasts as long as the first.
    for i in all(&s) {
        assert_eq!(
            i.start.duration_until(i.end),
            jiff::SignedDuration::from_hours(1)
        );
    }
}

#[test]
fn until_does_not_bound_rdates() {
    let mut s = timed(
        date(2025, 1, 1).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=WEEKLY;UNTIL=20250110T000000Z",
    );
    s.rdates.insert(ts("2025-03-01T10:00:00Z"));
    assert_eq!(
        starts(&all(&s)),
        [
            "2025-01-01T08:00:00Z",
            "2025-01-08T08:00:00Z",
            "2025-03-01T10:00:00Z"
        ]
    );
    assert_eq!(last_end(&s).unwrap(), Some(ts("2025-03-01T11:00:00Z")));
}

#[test]
fn exdates_and_exceptions_apply_to_rdates() {
    let mut s = five_days_and(&["2025-01-02T15:00:00Z", "2025-01-10T09:00:00Z"]);
    s.exdates.insert(ts("2025-01-02T15:00:00Z"));
    s.exceptions.insert(
        ts("2025-01-10T09:00:00Z"),
        Exception::Moved {
            start: ts("2025-01-11T12:00:00Z"),
            end: ts("2025-01-11T13:00:00Z"),
        },
    );
    let got = all(&s);
    assert_eq!(
        starts(&got),
        [
            "2025-01-01T09:00:00Z",
            "2025-01-02T09:00:00Z",
            "2025-01-03T09:00:00Z",
            "2025-01-04T09:00:00Z",
            "2025-01-05T09:00:00Z",
            "2025-01-11T12:00:00Z",
        ]
    );
    assert!(got[5].overridden);
    assert_eq!(got[5].original_start, ts("2025-01-10T09:00:00Z"));
    // A cancelled RDATE is gone too.
    s.exceptions
        .insert(ts("2025-01-10T09:00:00Z"), Exception::Cancelled);
    assert_eq!(all(&s).len(), 5);
}

#[test]
fn questions_about_instances_see_rdates() {
    let s = five_days_and(&["2025-01-02T15:00:00Z", "2025-03-01T09:00:00Z"]);
    assert!(is_instance(&s, ts("2025-01-02T15:00:00Z")).unwrap());
    assert!(is_instance(&s, ts("2025-03-01T09:00:00Z")).unwrap());
    assert!(!is_instance(&s, ts("2025-01-02T16:00:00Z")).unwrap());
    assert_eq!(
        are_instances(
            &s,
            &[
                ts("2025-03-01T09:00:00Z"),
                ts("2025-01-02T15:00:00Z"),
                ts("2025-01-06T09:00:00Z"),
                ts("2025-01-05T09:00:00Z"),
            ]
        )
        .unwrap(),
        [true, true, false, true]
    );
    let next = next_instances_after(&s, ts("2025-01-02T09:00:00Z"), 2).unwrap();
    assert_eq!(
        starts(&next),
        ["2025-01-02T15:00:00Z", "2025-01-03T09:00:00Z"]
    );
    let after = next_instances_after(&s, ts("2025-01-05T09:00:00Z"), 3).unwrap();
    assert_eq!(starts(&after), ["2025-03-01T09:00:00Z"]);
    // A window holding only an RDATE.
    let window = instances(
        &s,
        ts("2025-02-28T00:00:00Z"),
        ts("2025-03-02T00:00:00Z"),
        10,
    )
    .unwrap();
    assert_eq!(starts(&window), ["2025-03-01T09:00:00Z"]);
    assert_eq!(last_end(&s).unwrap(), Some(ts("2025-03-01T10:00:00Z")));
}

#[test]
fn an_open_series_with_rdates_still_never_ends() {
    let mut s = timed(date(2025, 1, 1).at(9, 0, 0, 0), "UTC", "FREQ=DAILY");
    s.rdates.insert(ts("2025-01-01T12:00:00Z"));
    assert_eq!(last_end(&s).unwrap(), None);
    let window = instances(
        &s,
        ts("2025-01-01T00:00:00Z"),
        ts("2025-01-02T12:00:00Z"),
        10,
    )
    .unwrap();
    assert_eq!(
        starts(&window),
        [
            "2025-01-01T09:00:00Z",
            "2025-01-01T12:00:00Z",
            "2025-01-02T09:00:00Z"
        ]
    );
}

#[test]
fn all_day_rdates_last_whole_days() {
    let rule = RecurrenceRule::from_str("FREQ=YEARLY;COUNT=2").unwrap();
    let mut s = Series::new(
        EventTime::AllDay {
            start: date(2025, 3, 29),
            days: 1,
        },
        "Europe/Berlin",
        Some(rule),
    )
    .unwrap();
    // 2025-03-30 is 23 hours long in Berlin.
    s.rdates.insert(ts("2025-03-29T23:00:00Z"));
    let got = all(&s);
    assert_eq!(
        starts(&got),
        [
            "2025-03-28T23:00:00Z",
            "2025-03-29T23:00:00Z",
            "2026-03-28T23:00:00Z"
        ]
    );
    assert_eq!(got[1].end, ts("2025-03-30T22:00:00Z"));
}

#[test]
fn a_split_keeps_every_rdate_on_its_side() {
    let s = five_days_and(&["2025-01-02T15:00:00Z", "2025-01-04T15:00:00Z"]);
    let (first, second) = split_series(&s, ts("2025-01-03T09:00:00Z")).unwrap();
    let mut joined = all(&first);
    joined.extend(all(&second));
    joined.sort_by_key(|i| (i.start, i.original_start));
    assert_eq!(joined, all(&s));
    assert_eq!(first.rdates.len(), 1);
    assert_eq!(second.rdates.len(), 1);
}

#[test]
fn a_split_at_an_rdate_alone_starts_the_second_half_with_it() {
    let s = five_days_and(&[
        "2025-01-02T15:00:00Z",
        "2025-01-04T15:00:00Z",
        "2025-02-01T09:00:00Z", // after the COUNT ran out
    ]);
    let at = ts("2025-01-04T15:00:00Z");
    let (first, second) = split_series(&s, at).unwrap();
    assert!(all(&first).iter().all(|i| i.original_start < at));
    let second_starts = starts(&all(&second));
    assert_eq!(
        second_starts,
        [
            "2025-01-04T15:00:00Z",
            "2025-01-05T09:00:00Z",
            "2025-02-01T09:00:00Z"
        ]
    );
    let mut joined = all(&first);
    joined.extend(all(&second));
    joined.sort_by_key(|i| (i.start, i.original_start));
    assert_eq!(joined, all(&s));
    // No rule instance after it: the second half would be RDATEs without a rule.
    assert!(matches!(
        split_series(&s, ts("2025-02-01T09:00:00Z")),
        Err(RecurrenceError::NotAnInstance(_))
    ));
    // Not an instance at all.
    assert!(split_series(&s, ts("2025-01-04T16:00:00Z")).is_err());
}

fn schedule(time: WireTime, zone: &str, rdates_ns: Option<Vec<u64>>) -> Schedule {
    Schedule {
        time,
        time_zone: zone.into(),
        recurrence: Some(Recurrence {
            rule: "FREQ=WEEKLY;COUNT=3".into(),
            exdates_ns: vec![],
            rdates_ns,
        }),
        overrides: vec![],
    }
}

#[test]
fn the_wire_form_carries_rdates_both_ways() {
    let start = to_ns(ts("2025-01-01T09:00:00Z"));
    let extra = to_ns(ts("2025-01-02T12:00:00Z"));
    let time = WireTime::Timed {
        start_ns: start,
        end_ns: start + 3_600_000_000_000,
    };
    let with = schedule(time.clone(), "UTC", Some(vec![extra]));
    let series = series_from_schedule(&with).unwrap();
    assert_eq!(
        series.rdates.iter().copied().collect::<Vec<_>>(),
        [ts("2025-01-02T12:00:00Z")]
    );
    assert_eq!(schedule_from_series(&series).unwrap(), with);
    // An old client's schedule (no field) reads as no RDATEs.
    let without = schedule(time, "UTC", None);
    assert!(series_from_schedule(&without).unwrap().rdates.is_empty());
    assert_eq!(
        schedule_from_series(&series_from_schedule(&without).unwrap()).unwrap(),
        without
    );
}

#[test]
fn an_all_day_rdate_must_start_a_day() {
    let day = interfaces::calendar::Date {
        year: 2025,
        month: 1,
        day: 6,
    };
    let next = interfaces::calendar::Date { day: 7, ..day };
    let time = WireTime::AllDay {
        start: day,
        end: next,
    };
    let midnight = to_ns(ts("2025-01-09T23:00:00Z")); // 2025-01-10 00:00 in Berlin
    let ok = schedule(time.clone(), "Europe/Berlin", Some(vec![midnight]));
    assert_eq!(series_from_schedule(&ok).unwrap().rdates.len(), 1);
    let noon = to_ns(ts("2025-01-10T11:00:00Z"));
    let bad = schedule(time, "Europe/Berlin", Some(vec![noon]));
    let err = format!("{:?}", series_from_schedule(&bad).unwrap_err());
    assert!(err.contains("recurrence.rdates_ns"), "{err}");
}
