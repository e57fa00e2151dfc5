//! Parsing and formatting of the RRULE subset: canonical round trips and every error variant.

use std::str::FromStr;

use jiff::civil::{date, Weekday};
use jiff::SignedDuration;
use recurrence::{
    EventTime, Frequency, RecurrenceError, RecurrenceRule, Series, Until, WeekdayNum,
};

fn parse(s: &str) -> Result<RecurrenceRule, RecurrenceError> {
    RecurrenceRule::from_str(s)
}

fn bad(part: &str, value: &str) -> RecurrenceError {
    RecurrenceError::BadValue {
        part: part.into(),
        value: value.into(),
    }
}

#[test]
fn canonical_round_trips() {
    for text in [
        "FREQ=DAILY",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;WKST=SU",
        "FREQ=MONTHLY;COUNT=10;BYDAY=2TU",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYMONTHDAY=-1,1,15",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=YEARLY;UNTIL=20301231T230000Z;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=YEARLY;UNTIL=20301231;INTERVAL=4",
        "FREQ=DAILY;UNTIL=20301231T090000",
        "FREQ=YEARLY;BYMONTH=3,11;BYDAY=-1SU,1SU;BYSETPOS=1,2",
    ] {
        let rule = parse(text).unwrap();
        assert_eq!(rule.to_string(), text);
        assert_eq!(parse(&rule.to_string()).unwrap(), rule);
    }
}

#[test]
fn sloppy_input_is_normalised() {
    let rule = parse(" rrule:freq=weekly;byday=fr,mo,+1mo,mo;interval=1;wkst=mo; ");
    // The stray `+1MO` is an ordinal, which WEEKLY rejects; without it the list is deduplicated.
    assert!(rule.is_err());
    let rule = parse(" rrule:freq=weekly;byday=fr,mo,mo;interval=1;wkst=mo; ").unwrap();
    assert_eq!(rule.to_string(), "FREQ=WEEKLY;BYDAY=MO,FR;WKST=MO");
    let rule = parse("FREQ=MONTHLY;BYMONTHDAY=31,1,31;BYMONTH=12,1").unwrap();
    assert_eq!(
        rule.to_string(),
        "FREQ=MONTHLY;BYMONTH=1,12;BYMONTHDAY=1,31"
    );
    // Ordinals are kept with their weekday: +1MO parses as 1MO; sorted Monday first.
    let rule = parse("FREQ=MONTHLY;BYDAY=-2SU,+1MO").unwrap();
    let want = [
        WeekdayNum {
            ordinal: Some(1),
            weekday: Weekday::Monday,
        },
        WeekdayNum {
            ordinal: Some(-2),
            weekday: Weekday::Sunday,
        },
    ];
    assert_eq!(rule.by_day, want);
    assert_eq!(rule.to_string(), "FREQ=MONTHLY;BYDAY=1MO,-2SU");
}

#[test]
fn until_forms() {
    assert_eq!(
        parse("FREQ=DAILY;UNTIL=20250301").unwrap().until,
        Some(Until::Date(date(2025, 3, 1)))
    );
    assert_eq!(
        parse("FREQ=DAILY;UNTIL=20250301T093000").unwrap().until,
        Some(Until::Local(date(2025, 3, 1).at(9, 30, 0, 0)))
    );
    assert_eq!(
        parse("FREQ=DAILY;UNTIL=20250301T093000Z").unwrap().until,
        Some(Until::Utc("2025-03-01T09:30:00Z".parse().unwrap()))
    );
    for v in [
        "2025-03-01",
        "20250230",
        "20250301T9",
        "20250301T253000Z",
        "20250301X093000",
    ] {
        assert_eq!(
            parse(&format!("FREQ=DAILY;UNTIL={v}")),
            Err(bad("UNTIL", v)),
            "{v}"
        );
    }
}

#[test]
fn every_error_variant() {
    use RecurrenceError as E;
    assert_eq!(parse(""), Err(E::EmptyRule));
    assert_eq!(parse("RRULE:"), Err(E::EmptyRule));
    assert_eq!(parse("FREQ=DAILY;FOO=1"), Err(E::UnknownPart("FOO".into())));
    assert_eq!(
        parse("FREQ=DAILY;COUNT"),
        Err(E::UnknownPart("COUNT".into()))
    );
    // Only RFC 7529's non-Gregorian parts are refused; every RFC 5545 part parses.
    for part in ["RSCALE=GREGORIAN", "SKIP=OMIT"] {
        let name = part.split('=').next().unwrap();
        assert_eq!(
            parse(&format!("FREQ=YEARLY;{part}")),
            Err(E::UnsupportedPart(name.into()))
        );
    }
    assert_eq!(parse("FREQ=FORTNIGHTLY"), Err(bad("FREQ", "FORTNIGHTLY")));
    assert_eq!(
        parse("FREQ=DAILY;FREQ=WEEKLY"),
        Err(E::DuplicatePart("FREQ".into()))
    );
    assert_eq!(parse("INTERVAL=2"), Err(E::MissingFrequency));
    assert_eq!(parse("FREQ=DAILY;INTERVAL=0"), Err(E::ZeroInterval));
    assert_eq!(parse("FREQ=DAILY;INTERVAL=-1"), Err(bad("INTERVAL", "-1")));
    assert_eq!(
        parse("FREQ=DAILY;COUNT=3;UNTIL=20250101"),
        Err(E::CountAndUntil)
    );
    assert_eq!(parse("FREQ=DAILY;COUNT=0"), Err(bad("COUNT", "0")));
    assert_eq!(
        parse("FREQ=MONTHLY;BYMONTHDAY=0"),
        Err(bad("BYMONTHDAY", "0"))
    );
    assert_eq!(
        parse("FREQ=MONTHLY;BYMONTHDAY=32"),
        Err(bad("BYMONTHDAY", "32"))
    );
    assert_eq!(parse("FREQ=YEARLY;BYMONTH=13"), Err(bad("BYMONTH", "13")));
    assert_eq!(parse("FREQ=MONTHLY;BYDAY=XX"), Err(bad("BYDAY", "XX")));
    assert_eq!(parse("FREQ=MONTHLY;BYDAY=6MO"), Err(bad("BYDAY", "6MO")));
    assert_eq!(parse("FREQ=YEARLY;BYDAY=54MO"), Err(bad("BYDAY", "54MO")));
    assert_eq!(
        parse("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0"),
        Err(bad("BYSETPOS", "0"))
    );
    assert_eq!(parse("FREQ=WEEKLY;WKST=XY"), Err(bad("WKST", "XY")));
    assert!(
        matches!(parse("FREQ=WEEKLY;BYMONTHDAY=1"), Err(E::Incompatible { part, .. }) if part == "BYMONTHDAY")
    );
    assert!(
        matches!(parse("FREQ=DAILY;BYDAY=1MO"), Err(E::Incompatible { part, .. }) if part == "BYDAY")
    );
    assert!(
        matches!(parse("FREQ=MONTHLY;BYSETPOS=1"), Err(E::Incompatible { part, .. }) if part == "BYSETPOS")
    );

    let start = EventTime::Timed {
        start: date(2025, 1, 1).at(9, 0, 0, 0),
        duration: SignedDuration::from_hours(1),
    };
    assert_eq!(
        Series::new(start.clone(), "Mars/Olympus", None),
        Err(E::UnknownTimeZone("Mars/Olympus".into()))
    );
    let negative = EventTime::Timed {
        start: date(2025, 1, 1).at(9, 0, 0, 0),
        duration: SignedDuration::from_hours(-1),
    };
    assert!(matches!(
        Series::new(negative, "UTC", None),
        Err(E::InvalidSeries(_))
    ));
    assert!(matches!(
        Series::new(
            EventTime::AllDay {
                start: date(2025, 1, 1),
                days: 0
            },
            "UTC",
            None
        ),
        Err(E::InvalidSeries(_))
    ));
    // A hand-built rule is validated by Series::new too.
    let mut rule = RecurrenceRule::new(Frequency::Daily);
    rule.interval = 0;
    assert_eq!(Series::new(start, "UTC", Some(rule)), Err(E::ZeroInterval));
    // TooManyCandidates, NotAnInstance and SplitAtFirstInstance are exercised in dst.rs/series.rs.
    assert_eq!(E::OutOfRange.to_string(), "date out of the supported range");
}
