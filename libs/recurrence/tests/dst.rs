//! Wall-clock expansion across DST changes, month-length edge cases and all-day events,
//! in Europe/Berlin (changes at 02:00/03:00) and America/New_York (at 02:00/01:00).

mod common;

use std::str::FromStr;

use common::{all, starts, timed, ts};
use jiff::civil::{date, Date, DateTime};
use jiff::tz::TimeZone;
use jiff::SignedDuration;
use recurrence::{
    instances, next_instances_after, EventTime, Instance, RecurrenceError, RecurrenceRule, Series,
};

fn local(list: &[Instance], zone: &str) -> Vec<DateTime> {
    let tz = TimeZone::get(zone).unwrap();
    list.iter()
        .map(|i| i.start.to_zoned(tz.clone()).datetime())
        .collect()
}

fn dates(list: &[Instance], zone: &str) -> Vec<Date> {
    local(list, zone).into_iter().map(DateTime::date).collect()
}

#[test]
fn weekly_0900_stays_0900_across_spring_and_autumn_berlin() {
    let s = timed(
        date(2025, 3, 24).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=WEEKLY;COUNT=3",
    );
    let got = all(&s);
    assert_eq!(
        starts(&got),
        [
            "2025-03-24T08:00:00Z",
            "2025-03-31T07:00:00Z",
            "2025-04-07T07:00:00Z"
        ]
    );
    assert!(local(&got, "Europe/Berlin")
        .iter()
        .all(|dt| dt.time() == jiff::civil::time(9, 0, 0, 0)));
    let s = timed(
        date(2025, 10, 20).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=WEEKLY;COUNT=2",
    );
    assert_eq!(
        starts(&all(&s)),
        ["2025-10-20T07:00:00Z", "2025-10-27T08:00:00Z"]
    );
}

/// A zone named by a POSIX rule (what the importer stores for a zone only a file defined) is
/// expanded on its wall clock like an IANA zone: Fiji's "Sunday on or after the 21st" at 02:00
/// (`M10.3.1/146`) included. An unknown name, or `UTC+3` (POSIX for three hours west), is refused.
#[test]
fn weekly_0900_stays_0900_in_a_zone_named_by_a_posix_rule() {
    // Fiji's in 2026: 21 October is a Wednesday, so the change is on Sunday 25 October.
    for (zone, first, expected) in [
        (
            "<+01>-1<+02>,M3.5.0,M10.5.0",
            date(2025, 3, 24),
            ["2025-03-24T08:00:00Z", "2025-03-31T07:00:00Z"],
        ),
        (
            "<+12>-12<+13>,M10.3.1/146,M1.3.4/74",
            date(2026, 10, 18),
            ["2026-10-17T21:00:00Z", "2026-10-24T20:00:00Z"],
        ),
    ] {
        let s = timed(first.at(9, 0, 0, 0), zone, "FREQ=WEEKLY;COUNT=2");
        assert_eq!(starts(&all(&s)), expected, "{zone}");
    }
    for name in ["UTC+3", "<+01>-1<+02>,J60,J300", "Not/AZone"] {
        let refused = Series::new(
            EventTime::Timed {
                start: date(2026, 1, 1).at(9, 0, 0, 0),
                duration: SignedDuration::from_hours(1),
            },
            name,
            None,
        );
        assert!(
            matches!(refused, Err(RecurrenceError::UnknownTimeZone(ref z)) if z == name),
            "{name}: {refused:?}"
        );
    }
}

#[test]
fn weekly_0900_stays_0900_across_spring_and_autumn_new_york() {
    let s = timed(
        date(2025, 3, 3).at(9, 0, 0, 0),
        "America/New_York",
        "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
    );
    assert_eq!(
        starts(&all(&s)),
        ["2025-03-03T14:00:00Z", "2025-03-10T13:00:00Z"]
    );
    let s = timed(
        date(2025, 10, 27).at(9, 0, 0, 0),
        "America/New_York",
        "FREQ=WEEKLY;COUNT=2",
    );
    assert_eq!(
        starts(&all(&s)),
        ["2025-10-27T13:00:00Z", "2025-11-03T14:00:00Z"]
    );
}

#[test]
fn daily_0230_through_gap_and_fold_berlin() {
    // Gap: 2025-03-30 02:00 -> 03:00. 02:30 is read with the offset before the gap: 03:30 CEST.
    let s = timed(
        date(2025, 3, 29).at(2, 30, 0, 0),
        "Europe/Berlin",
        "FREQ=DAILY;COUNT=3",
    );
    let got = all(&s);
    assert_eq!(
        starts(&got),
        [
            "2025-03-29T01:30:00Z",
            "2025-03-30T01:30:00Z",
            "2025-03-31T00:30:00Z"
        ]
    );
    let wall = local(&got, "Europe/Berlin");
    assert_eq!(wall[1], date(2025, 3, 30).at(3, 30, 0, 0));
    assert_eq!(
        wall[2],
        date(2025, 3, 31).at(2, 30, 0, 0),
        "back to 02:30 after the gap"
    );
    // Fold: 2025-10-26 03:00 -> 02:00. 02:30 happens twice; the first (CEST) is used.
    let s = timed(
        date(2025, 10, 25).at(2, 30, 0, 0),
        "Europe/Berlin",
        "FREQ=DAILY;COUNT=3",
    );
    assert_eq!(
        starts(&all(&s)),
        [
            "2025-10-25T00:30:00Z",
            "2025-10-26T00:30:00Z",
            "2025-10-27T01:30:00Z"
        ]
    );
}

#[test]
fn daily_through_gap_and_fold_new_york() {
    let s = timed(
        date(2025, 3, 8).at(2, 30, 0, 0),
        "America/New_York",
        "FREQ=DAILY;COUNT=3",
    );
    assert_eq!(
        starts(&all(&s)),
        [
            "2025-03-08T07:30:00Z",
            "2025-03-09T07:30:00Z",
            "2025-03-10T06:30:00Z"
        ]
    );
    // New York's fold is 01:00-02:00; 01:30 takes the first (EDT) occurrence.
    let s = timed(
        date(2025, 11, 1).at(1, 30, 0, 0),
        "America/New_York",
        "FREQ=DAILY;COUNT=3",
    );
    assert_eq!(
        starts(&all(&s)),
        [
            "2025-11-01T05:30:00Z",
            "2025-11-02T05:30:00Z",
            "2025-11-03T06:30:00Z"
        ]
    );
}

#[test]
fn monthly_on_the_31st_skips_short_months() {
    let s = timed(
        date(2025, 1, 31).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=MONTHLY;COUNT=7",
    );
    let want = [
        (1, 31),
        (3, 31),
        (5, 31),
        (7, 31),
        (8, 31),
        (10, 31),
        (12, 31),
    ]
    .map(|(m, d)| date(2025, m, d));
    assert_eq!(dates(&all(&s), "Europe/Berlin"), want);
    let s = timed(
        date(2025, 1, 31).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3",
    );
    assert_eq!(
        dates(&all(&s), "Europe/Berlin"),
        [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
    );
}

#[test]
fn last_friday_of_the_month() {
    let s = timed(
        date(2025, 1, 31).at(18, 0, 0, 0),
        "America/New_York",
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=4",
    );
    let want = [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 28),
        date(2025, 4, 25),
    ];
    assert_eq!(dates(&all(&s), "America/New_York"), want);
}

#[test]
fn second_tuesday_of_the_month() {
    let s = timed(
        date(2025, 1, 14).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=MONTHLY;BYDAY=2TU;COUNT=4",
    );
    let want = [
        date(2025, 1, 14),
        date(2025, 2, 11),
        date(2025, 3, 11),
        date(2025, 4, 8),
    ];
    assert_eq!(dates(&all(&s), "Europe/Berlin"), want);
    assert!(local(&all(&s), "Europe/Berlin")
        .iter()
        .all(|d| d.hour() == 9));
}

#[test]
fn last_weekday_of_the_month_with_bysetpos() {
    let s = timed(
        date(2025, 1, 31).at(17, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=8",
    );
    let want = [
        (1, 31),
        (2, 28),
        (3, 31),
        (4, 30),
        (5, 30),
        (6, 30),
        (7, 31),
        (8, 29),
    ]
    .map(|(m, d)| date(2025, m, d));
    assert_eq!(dates(&all(&s), "Europe/Berlin"), want);
}

#[test]
fn yearly_on_february_29() {
    let s = timed(
        date(2024, 2, 29).at(12, 0, 0, 0),
        "America/New_York",
        "FREQ=YEARLY;COUNT=3",
    );
    assert_eq!(
        dates(&all(&s), "America/New_York"),
        [date(2024, 2, 29), date(2028, 2, 29), date(2032, 2, 29)]
    );
    let gap_years = instances(
        &s,
        ts("2025-01-01T00:00:00Z"),
        ts("2028-01-01T00:00:00Z"),
        10,
    )
    .unwrap();
    assert!(gap_years.is_empty());
}

#[test]
fn all_day_events_stay_whole_days_across_dst() {
    let rule = RecurrenceRule::from_str("FREQ=DAILY;COUNT=3").unwrap();
    for (zone, first) in [
        ("Europe/Berlin", date(2025, 3, 29)),
        ("America/New_York", date(2025, 11, 1)),
    ] {
        let s = Series::new(
            EventTime::AllDay {
                start: first,
                days: 1,
            },
            zone,
            Some(rule.clone()),
        )
        .unwrap();
        let got = all(&s);
        assert_eq!(got.len(), 3);
        let tz = TimeZone::get(zone).unwrap();
        for (i, inst) in got.iter().enumerate() {
            let start = inst.start.to_zoned(tz.clone());
            let end = inst.end.to_zoned(tz.clone());
            let day = first + SignedDuration::from_hours(24 * i as i64);
            assert_eq!(
                start.datetime(),
                day.to_datetime(jiff::civil::Time::midnight())
            );
            assert_eq!(
                end.datetime(),
                (day + SignedDuration::from_hours(24)).to_datetime(jiff::civil::Time::midnight())
            );
        }
        // The DST day itself is 23 h (spring) or 25 h (autumn) long, not 24 h.
        let lengths: Vec<i64> = got
            .iter()
            .map(|i| i.end.duration_since(i.start).as_hours())
            .collect();
        assert!(
            lengths == [24, 23, 24] || lengths == [24, 25, 24],
            "{zone}: {lengths:?}"
        );
    }
}

#[test]
fn multi_day_all_day_event_overlaps_window_it_started_before() {
    let rule = RecurrenceRule::from_str("FREQ=WEEKLY;COUNT=2").unwrap();
    let s = Series::new(
        EventTime::AllDay {
            start: date(2025, 3, 28),
            days: 3,
        },
        "Europe/Berlin",
        Some(rule),
    )
    .unwrap();
    let got = instances(
        &s,
        ts("2025-03-30T12:00:00Z"),
        ts("2025-03-30T13:00:00Z"),
        10,
    )
    .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].end.to_string(),
        "2025-03-30T22:00:00Z",
        "ends at 03-31 00:00 CEST"
    );
}

#[test]
fn count_counts_from_dtstart_even_for_late_windows() {
    let s = timed(
        date(2020, 1, 1).at(9, 0, 0, 0),
        "UTC",
        "FREQ=DAILY;COUNT=1000",
    );
    // Instance 1000 is 2022-09-26; a window in 2022 must see the series end there.
    let got = instances(
        &s,
        ts("2022-09-01T00:00:00Z"),
        ts("2023-01-01T00:00:00Z"),
        500,
    )
    .unwrap();
    assert_eq!(got.len(), 26);
    assert_eq!(
        got.last().unwrap().start.to_string(),
        "2022-09-26T09:00:00Z"
    );
}

#[test]
fn dtstart_is_the_first_instance_even_off_rule() {
    // DTSTART is a Wednesday, the rule says Mondays; RFC 5545: DTSTART still counts as #1.
    let s = timed(
        date(2025, 1, 1).at(9, 0, 0, 0),
        "UTC",
        "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
    );
    assert_eq!(
        dates(&all(&s), "UTC"),
        [date(2025, 1, 1), date(2025, 1, 6), date(2025, 1, 13)]
    );
}

#[test]
fn lenient_until_is_read_in_the_event_zone_and_written_in_utc() {
    // A date UNTIL keeps every instance on that date; a floating one is Berlin wall time.
    let s = timed(
        date(2025, 3, 24).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=DAILY;UNTIL=20250326",
    );
    assert_eq!(all(&s).len(), 3);
    assert_eq!(
        s.rule.as_ref().unwrap().to_string(),
        "FREQ=DAILY;UNTIL=20250326T225959Z"
    );
    let s = timed(
        date(2025, 3, 24).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=DAILY;UNTIL=20250326T090000",
    );
    assert_eq!(all(&s).len(), 3);
    assert_eq!(
        s.rule.as_ref().unwrap().to_string(),
        "FREQ=DAILY;UNTIL=20250326T080000Z"
    );
    let rule = RecurrenceRule::from_str("FREQ=DAILY;UNTIL=20250326T080000Z").unwrap();
    let s = Series::new(
        EventTime::AllDay {
            start: date(2025, 3, 24),
            days: 1,
        },
        "Europe/Berlin",
        Some(rule),
    )
    .unwrap();
    assert_eq!(
        s.rule.as_ref().unwrap().to_string(),
        "FREQ=DAILY;UNTIL=20250326"
    );
    assert_eq!(all(&s).len(), 3);
}

#[test]
fn impossible_rules_end_or_fail_bounded() {
    // Yearly Feb 30: 400 empty years prove it never matches; only DTSTART remains.
    let s = timed(
        date(2025, 1, 30).at(9, 0, 0, 0),
        "UTC",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    );
    assert_eq!(all(&s).len(), 1);
    assert_eq!(
        next_instances_after(&s, ts("2025-06-01T00:00:00Z"), 5).unwrap(),
        []
    );
    // The daily version cannot be proven empty within the cap and reports it.
    let s = timed(
        date(2025, 1, 30).at(9, 0, 0, 0),
        "UTC",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    );
    assert!(matches!(
        next_instances_after(&s, ts("2025-06-01T00:00:00Z"), 5),
        Err(RecurrenceError::TooManyCandidates {
            examined: recurrence::MAX_PERIODS
        })
    ));
    // A bounded window stays cheap and empty.
    assert_eq!(all(&s).len(), 1);
}

#[test]
fn one_year_of_a_daily_rule_is_cheap() {
    let s = timed(
        date(2020, 1, 1).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=DAILY",
    );
    let t = std::time::Instant::now();
    let got = instances(
        &s,
        ts("2030-01-01T00:00:00Z"),
        ts("2031-01-01T00:00:00Z"),
        1000,
    )
    .unwrap();
    let one_year = t.elapsed();
    assert_eq!(got.len(), 365);
    let s = timed(
        date(2000, 1, 1).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=DAILY;COUNT=90000",
    );
    let t = std::time::Instant::now();
    let got = instances(
        &s,
        ts("2246-01-01T00:00:00Z"),
        ts("2247-01-01T00:00:00Z"),
        1000,
    )
    .unwrap();
    let counted = t.elapsed();
    let last = date(2000, 1, 1)
        .checked_add(jiff::Span::new().days(89_999))
        .unwrap();
    assert_eq!(dates(&got, "Europe/Berlin").last(), Some(&last));
    println!("one-year daily window: {one_year:?}; same window after counting 90,000 COUNT instances: {counted:?}");
}

#[test]
fn minus_fifth_weekday_only_in_months_that_have_five() {
    // -5FR = the first Friday of a month with five Fridays (2025: Jan, May, Aug, Oct).
    let s = timed(
        date(2025, 1, 3).at(9, 0, 0, 0),
        "Europe/Berlin",
        "FREQ=MONTHLY;BYDAY=-5FR;COUNT=4",
    );
    let want = [
        date(2025, 1, 3),
        date(2025, 5, 2),
        date(2025, 8, 1),
        date(2025, 10, 3),
    ];
    assert_eq!(dates(&all(&s), "Europe/Berlin"), want);
}
