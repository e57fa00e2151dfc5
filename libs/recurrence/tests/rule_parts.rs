//! The RFC 5545 parts beyond the Google subset: BYWEEKNO, BYYEARDAY, BYHOUR, BYMINUTE,
//! BYSECOND and the HOURLY/MINUTELY/SECONDLY frequencies. RFC 5545 3.3.10's own examples,
//! their parsing and validation, DST on several times a day, the work caps, and splitting.

mod common;

use std::str::FromStr;

use common::{all, starts, timed, ts};
use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::SignedDuration;
use recurrence::{
    instances, is_instance, next_instances_after, split_series, EventTime, Instance,
    RecurrenceError as E, RecurrenceRule, Series, MAX_PERIODS,
};

fn parse(s: &str) -> Result<RecurrenceRule, E> {
    RecurrenceRule::from_str(s)
}

fn local(list: &[Instance], zone: &str) -> Vec<String> {
    let tz = TimeZone::get(zone).unwrap();
    list.iter()
        .map(|i| {
            tz.to_datetime(i.start)
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .collect()
}

#[test]
fn new_parts_round_trip_in_canonical_order() {
    for text in [
        "FREQ=YEARLY;BYWEEKNO=-1,1,20;BYDAY=MO",
        "FREQ=YEARLY;COUNT=10;INTERVAL=3;BYYEARDAY=-1,1,100",
        "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0,30",
        "FREQ=HOURLY;INTERVAL=2;BYMINUTE=15;BYSECOND=0",
        "FREQ=MINUTELY;COUNT=5;BYHOUR=9",
        "FREQ=SECONDLY;BYSECOND=0,30",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYSETPOS=-1",
    ] {
        let rule = parse(text).unwrap();
        assert_eq!(rule.to_string(), text);
        assert_eq!(parse(&rule.to_string()).unwrap(), rule);
    }
    // Lenient input: any order, duplicates, `+`.
    assert_eq!(
        parse("FREQ=DAILY;BYMINUTE=30,0,+0;BYHOUR=17,9")
            .unwrap()
            .to_string(),
        "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0,30"
    );
}

#[test]
fn new_parts_are_validated() {
    let bad = |part: &str, value: &str| E::BadValue {
        part: part.into(),
        value: value.into(),
    };
    assert_eq!(parse("FREQ=DAILY;BYHOUR=24"), Err(bad("BYHOUR", "24")));
    assert_eq!(parse("FREQ=DAILY;BYMINUTE=60"), Err(bad("BYMINUTE", "60")));
    assert_eq!(parse("FREQ=DAILY;BYSECOND=60"), Err(bad("BYSECOND", "60")));
    assert_eq!(parse("FREQ=DAILY;BYHOUR=-1"), Err(bad("BYHOUR", "-1")));
    assert_eq!(parse("FREQ=YEARLY;BYWEEKNO=0"), Err(bad("BYWEEKNO", "0")));
    assert_eq!(parse("FREQ=YEARLY;BYWEEKNO=54"), Err(bad("BYWEEKNO", "54")));
    assert_eq!(
        parse("FREQ=YEARLY;BYYEARDAY=367"),
        Err(bad("BYYEARDAY", "367"))
    );
    assert_eq!(parse("FREQ=YEARLY;BYYEARDAY=0"), Err(bad("BYYEARDAY", "0")));
    let incompatible = |rule: &str, part: &str| {
        assert!(
            matches!(parse(rule), Err(E::Incompatible { part: p, .. }) if p == part),
            "{rule}: {:?}",
            parse(rule)
        );
    };
    incompatible("FREQ=MONTHLY;BYWEEKNO=1", "BYWEEKNO");
    incompatible("FREQ=DAILY;BYYEARDAY=1", "BYYEARDAY");
    incompatible("FREQ=WEEKLY;BYYEARDAY=1", "BYYEARDAY");
    incompatible("FREQ=MONTHLY;BYYEARDAY=1", "BYYEARDAY");
    incompatible("FREQ=HOURLY;BYDAY=1MO", "BYDAY");
    incompatible("FREQ=YEARLY;BYWEEKNO=20;BYDAY=1MO", "BYDAY");
    // BYYEARDAY limits the sub-daily frequencies (RFC 5545 3.3.10's table).
    assert!(parse("FREQ=HOURLY;BYYEARDAY=1").is_ok());
    // A time-of-day part counts as the other BY part BYSETPOS needs.
    assert!(parse("FREQ=DAILY;BYHOUR=9,17;BYSETPOS=1").is_ok());

    // An all-day event has no time of day to choose.
    let all_day = EventTime::AllDay {
        start: date(2025, 1, 1),
        days: 1,
    };
    for rule in ["FREQ=DAILY;BYHOUR=9", "FREQ=HOURLY"] {
        assert!(matches!(
            Series::new(all_day.clone(), "UTC", Some(parse(rule).unwrap())),
            Err(E::Incompatible { .. })
        ));
    }
}

#[test]
fn rfc_5545_examples() {
    // "Monday of week number 20 (where the default start of the week is Monday), forever"
    let s = timed(
        date(1997, 5, 12).at(9, 0, 0, 0),
        "America/New_York",
        "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
    );
    let got = instances(
        &s,
        ts("1997-01-01T00:00:00Z"),
        ts("2000-01-01T00:00:00Z"),
        10,
    )
    .unwrap();
    assert_eq!(
        local(&got, "America/New_York"),
        [
            "1997-05-12 09:00:00",
            "1998-05-11 09:00:00",
            "1999-05-17 09:00:00"
        ]
    );
    // "Every third year on the 1st, 100th, and 200th day for 10 occurrences"
    let s = timed(
        date(1997, 1, 1).at(9, 0, 0, 0),
        "America/New_York",
        "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200",
    );
    assert_eq!(
        local(&all_from(&s, "1990"), "America/New_York"),
        [
            "1997-01-01 09:00:00",
            "1997-04-10 09:00:00",
            "1997-07-19 09:00:00",
            "2000-01-01 09:00:00",
            "2000-04-09 09:00:00",
            "2000-07-18 09:00:00",
            "2003-01-01 09:00:00",
            "2003-04-10 09:00:00",
            "2003-07-19 09:00:00",
            "2006-01-01 09:00:00",
        ]
    );
    // "Every 20 minutes from 9:00 AM to 4:40 PM every day", written both ways.
    let start = date(1997, 9, 2).at(9, 0, 0, 0);
    let daily = timed(
        start,
        "America/New_York",
        "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40",
    );
    let minutely = timed(
        start,
        "America/New_York",
        "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16",
    );
    let window = (ts("1997-09-01T00:00:00Z"), ts("1997-09-05T00:00:00Z"));
    let a = instances(&daily, window.0, window.1, 500).unwrap();
    let b = instances(&minutely, window.0, window.1, 500).unwrap();
    assert_eq!(a.len(), 3 * 24);
    assert_eq!(a, b);
    assert_eq!(
        local(&a[..3], "America/New_York"),
        [
            "1997-09-02 09:00:00",
            "1997-09-02 09:20:00",
            "1997-09-02 09:40:00"
        ]
    );
    assert_eq!(
        local(&a[23..25], "America/New_York"),
        ["1997-09-02 16:40:00", "1997-09-03 09:00:00"]
    );
    // "Every 3 hours from 9:00 AM to 5:00 PM on a specific day"
    let s = timed(
        start,
        "America/New_York",
        "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z",
    );
    assert_eq!(
        local(&all_from(&s, "1997"), "America/New_York"),
        ["1997-09-02 09:00:00", "1997-09-02 12:00:00"]
    );
}

fn all_from(series: &Series, year: &str) -> Vec<Instance> {
    instances(
        series,
        ts(&format!("{year}-01-01T00:00:00Z")),
        ts("2060-01-01T00:00:00Z"),
        5000,
    )
    .unwrap()
}

#[test]
fn several_times_a_day_across_dst() {
    // Spring forward in Berlin (02:00 -> 03:00 on 2025-03-30): 02:30 moves to 03:30 CEST
    // (RFC 5545 3.3.5) and then coincides with the real 03:30, which is dropped, not counted.
    let s = timed(
        date(2025, 3, 30).at(1, 30, 0, 0),
        "Europe/Berlin",
        "FREQ=DAILY;COUNT=5;BYHOUR=1,2,3;BYMINUTE=30",
    );
    assert_eq!(
        starts(&all(&s)),
        [
            "2025-03-30T00:30:00Z",
            "2025-03-30T01:30:00Z",
            "2025-03-30T23:30:00Z",
            "2025-03-31T00:30:00Z",
            "2025-03-31T01:30:00Z",
        ]
    );
    // Fall back (03:00 -> 02:00 on 2025-10-26): HOURLY follows the wall clock, so the
    // repeated 02:30 is one instance, at its first occurrence (CEST).
    let s = timed(
        date(2025, 10, 26).at(0, 30, 0, 0),
        "Europe/Berlin",
        "FREQ=HOURLY;COUNT=4",
    );
    assert_eq!(
        starts(&all(&s)),
        [
            "2025-10-25T22:30:00Z",
            "2025-10-25T23:30:00Z",
            "2025-10-26T00:30:00Z",
            "2025-10-26T02:30:00Z",
        ]
    );
    // The same answers when a window starts mid-series (no counting from DTSTART).
    let s = timed(
        date(2025, 3, 1).at(1, 30, 0, 0),
        "Europe/Berlin",
        "FREQ=DAILY;BYHOUR=1,2,3;BYMINUTE=30",
    );
    let got = instances(
        &s,
        ts("2025-03-29T23:00:00Z"),
        ts("2025-03-30T23:00:00Z"),
        10,
    )
    .unwrap();
    assert_eq!(
        starts(&got),
        ["2025-03-30T00:30:00Z", "2025-03-30T01:30:00Z"]
    );
}

#[test]
fn far_windows_of_sub_daily_rules_match_counting_from_dtstart() {
    for rule in [
        "FREQ=HOURLY;INTERVAL=5",
        "FREQ=MINUTELY;INTERVAL=7;BYHOUR=9,10",
        "FREQ=HOURLY;INTERVAL=3;BYMINUTE=0,45;BYDAY=MO,FR",
        "FREQ=SECONDLY;INTERVAL=13;BYMINUTE=5;BYHOUR=12",
    ] {
        let s = timed(date(2025, 1, 1).at(9, 0, 0, 0), "Europe/Berlin", rule);
        let (from, to) = (ts("2025-06-10T00:00:00Z"), ts("2025-06-17T00:00:00Z"));
        let window = instances(&s, from, to, 5000).unwrap();
        assert!(!window.is_empty(), "{rule}");
        // From DTSTART with a COUNT large enough to pass the window: the same instances.
        let mut counted = s.clone();
        counted.rule.as_mut().unwrap().count = Some(90_000);
        let all = instances(&counted, from, to, 5000).unwrap();
        assert_eq!(window, all, "{rule}");
        for i in &window {
            assert!(is_instance(&s, i.start).unwrap());
            assert!(!is_instance(&s, i.start + SignedDuration::from_secs(1)).unwrap());
        }
    }
}

#[test]
fn work_caps_give_a_typed_error() {
    // An impossible sub-daily rule: one jump per day, then MAX_PERIODS.
    let s = timed(
        date(2025, 1, 1).at(9, 0, 0, 0),
        "UTC",
        "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",
    );
    assert_eq!(
        next_instances_after(&s, ts("2025-01-02T00:00:00Z"), 1),
        Err(E::TooManyCandidates {
            examined: MAX_PERIODS
        })
    );
    // A sparse one skips whole days: January 1st from September is a quick answer.
    let s = timed(
        date(2025, 9, 1).at(9, 0, 0, 0),
        "UTC",
        "FREQ=MINUTELY;BYMONTH=1",
    );
    let next = next_instances_after(&s, ts("2025-09-02T00:00:00Z"), 2).unwrap();
    assert_eq!(
        starts(&next),
        ["2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z"]
    );
    // A period with more than MAX_CANDIDATES date-times (366 days x 86,400 seconds) is refused
    // before it is generated.
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let sixty: Vec<String> = (0..60).map(|m| m.to_string()).collect();
    let rule = format!(
        "FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR={};BYMINUTE={};BYSECOND={}",
        hours.join(","),
        sixty.join(","),
        sixty.join(",")
    );
    let s = timed(date(2025, 1, 1).at(0, 0, 0, 0), "UTC", &rule);
    assert!(matches!(
        next_instances_after(&s, ts("2025-01-02T00:00:00Z"), 1),
        Err(E::TooManyCandidates { .. })
    ));
    // A bounded window of a dense rule stops at its limit.
    let s = timed(date(2025, 1, 1).at(0, 0, 0, 0), "UTC", "FREQ=SECONDLY");
    let got = instances(
        &s,
        ts("2025-01-01T00:00:00Z"),
        ts("2026-01-01T00:00:00Z"),
        100,
    )
    .unwrap();
    assert_eq!(got.len(), 100);
}

#[test]
fn split_keeps_every_instance_of_rules_with_times() {
    for rule in [
        "FREQ=DAILY;COUNT=12;BYHOUR=9,14",
        "FREQ=DAILY;UNTIL=20250301T000000Z;BYHOUR=9,14;BYMINUTE=0,30",
        "FREQ=HOURLY;INTERVAL=5;COUNT=20",
        "FREQ=YEARLY;BYWEEKNO=10,30;BYDAY=TU",
        "FREQ=YEARLY;BYYEARDAY=1,-1;COUNT=7",
    ] {
        let s = timed(date(2025, 1, 6).at(9, 0, 0, 0), "Europe/Berlin", rule);
        let before = instances(
            &s,
            ts("2025-01-01T00:00:00Z"),
            ts("2032-01-01T00:00:00Z"),
            400,
        )
        .unwrap();
        assert!(
            before.len() < 400,
            "{rule}: the window must hold the whole series"
        );
        let at = before[5].original_start;
        let (first, second) = split_series(&s, at).unwrap();
        let mut halves = instances(
            &first,
            ts("2025-01-01T00:00:00Z"),
            ts("2032-01-01T00:00:00Z"),
            400,
        )
        .unwrap();
        halves.extend(
            instances(
                &second,
                ts("2025-01-01T00:00:00Z"),
                ts("2032-01-01T00:00:00Z"),
                400,
            )
            .unwrap(),
        );
        assert_eq!(halves, before, "{rule}");
        assert_eq!(
            second.start_local(),
            TimeZone::get("Europe/Berlin").unwrap().to_datetime(at)
        );
    }
}

#[test]
fn counting_past_a_gap_without_zone_lookups_matches_the_full_walk() {
    // COUNT rules count from DTSTART; far from transitions the count skips zone lookups, near
    // them it resolves and drops the gap's duplicate. Both paths must agree.
    for zone in ["Europe/Berlin", "America/New_York", "Australia/Sydney"] {
        let s = timed(
            date(2024, 11, 1).at(1, 30, 0, 0),
            zone,
            "FREQ=DAILY;COUNT=2000;BYHOUR=1,2,3;BYMINUTE=0,30",
        );
        let everything = instances(
            &s,
            ts("2024-01-01T00:00:00Z"),
            ts("2027-01-01T00:00:00Z"),
            5000,
        )
        .unwrap();
        // COUNT counts only instances that exist (a dropped gap duplicate is not counted).
        assert_eq!(everything.len(), 2000, "{zone}");
        assert!(everything.windows(2).all(|w| w[0].start < w[1].start));
        for (from, to) in [
            ("2025-03-01", "2025-04-15"),
            ("2025-09-20", "2025-11-10"),
            ("2025-10-01", "2025-10-08"),
        ] {
            let (from, to) = (
                ts(&format!("{from}T00:00:00Z")),
                ts(&format!("{to}T00:00:00Z")),
            );
            let window = instances(&s, from, to, 5000).unwrap();
            let expected: Vec<Instance> = everything
                .iter()
                .copied()
                .filter(|i| i.end > from && i.start < to)
                .collect();
            assert_eq!(window, expected, "{zone} {from}..{to}");
        }
    }
}
