//! RDATEs, series from before 1970 and zones only a file defines, through import, listing,
//! splitting and export.

use super::*;
use interfaces::calendar::{EventPatch, ListRequest};

const SECOND: u64 = 1_000_000_000;

/// The starts of user 1's occurrences in `[from_ns, to_ns)`.
fn starts(f: &Fixture, from_ns: u64, to_ns: u64) -> Vec<u64> {
    let req = ListRequest {
        owner: None,
        from_ns,
        to_ns,
        cursor: None,
        limit: Some(500),
        include_declined: None,
    };
    let page = f.store.list(&ctx(user(1)), &req).unwrap();
    page.occurrences.iter().map(|o| o.start_ns).collect()
}

/// The text from the first `VEVENT` on (VTIMEZONEs have RDATEs and years of their own).
fn vevents(ics: &str) -> &str {
    &ics[ics.find("BEGIN:VEVENT").expect("an event")..]
}

/// Export then import into a fresh store gives the same event and kept lines.
fn round_trips(f: &Fixture, uid: &str) -> String {
    let e = only_event(f, uid);
    let ics = export_all(f, 1).ics;
    let (g, again) = imported(&ics);
    assert_eq!(again.skipped, Some(0), "{again:?}\n{ics}");
    assert_eq!(
        comparable(only_event(&g, uid)),
        comparable(e.clone()),
        "{ics}"
    );
    let copy = g.store.by_uid(&user(1), uid).unwrap().into_event();
    assert_eq!(g.store.ics_extras(copy.id), f.store.ics_extras(e.id));
    ics
}

// 2026-04-06 is a Monday; 09:00 in Berlin is 07:00 UTC.
const APRIL_6: u64 = 1_775_458_800 * SECOND;

#[test]
fn rdates_become_instances_and_export_once() {
    let text = calendar(
        "BEGIN:VEVENT\r\nUID:r\r\nSUMMARY:Course\r\n\
         DTSTART;TZID=Europe/Berlin:20260406T090000\r\nDURATION:PT1H\r\n\
         RRULE:FREQ=WEEKLY;COUNT=2\r\n\
         RDATE;TZID=Europe/Berlin:20260408T150000,20260406T090000\r\n\
         RDATE;VALUE=DATE:20260501\r\n\
         RDATE:20260402T070000Z\r\n\
         RDATE;VALUE=PERIOD:20260410T070000Z/PT2H\r\n\
         EXDATE:20260402T070000Z\r\n\
         END:VEVENT\r\n",
    );
    let (f, report) = imported(&text);
    assert_eq!(report.created, 1, "{report:?}");
    let e = only_event(&f, "r");
    let EventTime::Timed { start_ns, .. } = e.time else {
        panic!("timed")
    };
    assert_eq!(start_ns, APRIL_6);
    let r = e.recurrence.clone().unwrap();
    let may_1 = APRIL_6 + 25 * DAY; // a date RDATE: that day at DTSTART's 09:00
    let wednesday = APRIL_6 + 2 * DAY + 6 * HOUR;
    let before = APRIL_6 - 4 * DAY;
    assert_eq!(
        r.rdates_ns,
        Some(vec![before, APRIL_6, wednesday, may_1]),
        "sorted, the DTSTART one kept as written"
    );
    // The PERIOD is kept verbatim and named.
    let not_kept = &report.events.unwrap()[0].not_kept;
    assert!(
        not_kept
            .iter()
            .any(|n| n.starts_with("RDATE: VALUE=PERIOD")),
        "{not_kept:?}"
    );
    // Occurrences: the rule's two, the RDATEs, DTSTART once, the EXDATE'd RDATE gone.
    assert_eq!(
        starts(&f, APRIL_6 - 10 * DAY, APRIL_6 + 60 * DAY),
        [APRIL_6, wednesday, APRIL_6 + 7 * DAY, may_1]
    );
    let ics = round_trips(&f, "r");
    let ics = vevents(&ics);
    assert_eq!(
        ics.matches("RDATE;TZID=Europe/Berlin:20260408T150000")
            .count(),
        1
    );
    assert_eq!(
        ics.matches("RDATE;TZID=Europe/Berlin:20260501T090000")
            .count(),
        1
    );
    assert_eq!(ics.matches("RDATE;VALUE=PERIOD:").count(), 1);
    assert_eq!(ics.matches("RDATE").count(), 5, "{ics}");
}

#[test]
fn all_day_rdates_are_midnights_and_an_rdate_without_rule_stays_verbatim() {
    let text = calendar(
        "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Holiday\r\nDTSTART;VALUE=DATE:20260406\r\n\
         RRULE:FREQ=YEARLY\r\nRDATE;VALUE=DATE:20260410,20260412\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Once\r\nDTSTART:20260406T090000Z\r\n\
         RDATE:20260407T090000Z\r\nEND:VEVENT\r\n",
    );
    let (f, report) = imported(&text);
    assert_eq!(report.created, 2, "{report:?}");
    let e = only_event(&f, "a");
    // Floating dates in UTC (no importer zone): midnights UTC.
    let midnight = APRIL_6 - 7 * HOUR;
    assert_eq!(
        e.recurrence.unwrap().rdates_ns,
        Some(vec![midnight + 4 * DAY, midnight + 6 * DAY])
    );
    let days = starts(&f, midnight, midnight + 30 * DAY);
    assert!(
        days.contains(&(midnight + 4 * DAY)) && days.contains(&(midnight + 6 * DAY)),
        "{days:?}"
    );
    let once = only_event(&f, "b");
    assert_eq!(once.recurrence, None);
    let report_b = report.events.unwrap();
    let b = report_b.iter().find(|r| r.uid == "b").unwrap();
    assert!(
        b.not_kept.iter().any(|n| n.contains("without RRULE")),
        "{:?}",
        b.not_kept
    );
    round_trips(&f, "a");
    let ics = round_trips(&f, "b");
    assert_eq!(ics.matches("RDATE:20260407T090000Z").count(), 1);
}

/// Weekly on Mondays at 09:00 New York time from 1965-01-04: 261 instances fall before 1970,
/// the first from 1970 on is 1970-01-05 09:00 EST.
fn since_1965(rule: &str) -> String {
    calendar(&format!(
        "BEGIN:VEVENT\r\nUID:w\r\nSUMMARY:Club\r\n\
         DTSTART;TZID=America/New_York:19650104T090000\r\n\
         DTEND;TZID=America/New_York:19650104T100000\r\n\
         RRULE:{rule}\r\nEXDATE;TZID=America/New_York:19660103T090000\r\nEND:VEVENT\r\n"
    ))
}

const JAN_5_1970: u64 = 396_000 * SECOND;
const JAN_5_2026: u64 = 1_767_621_600 * SECOND;

#[test]
fn a_weekly_series_from_1965_imports_from_its_first_instance_in_1970() {
    let (f, report) = imported(&since_1965("FREQ=WEEKLY"));
    assert_eq!(report.created, 1, "{report:?}");
    let e = only_event(&f, "w");
    assert_eq!(
        e.time,
        EventTime::Timed {
            start_ns: JAN_5_1970,
            end_ns: JAN_5_1970 + HOUR
        }
    );
    let not_kept = &report.events.unwrap()[0].not_kept;
    assert!(
        not_kept.iter().any(|n| n.contains("before 1970")),
        "{not_kept:?}"
    );
    // January 2026: every Monday at 09:00 EST (14:00 UTC).
    let jan_2026 = 1_767_225_600 * SECOND;
    assert_eq!(
        starts(&f, jan_2026, jan_2026 + 31 * DAY),
        [0, 7, 14, 21].map(|d| JAN_5_2026 + d * DAY)
    );
    // July 2026: 09:00 EDT (13:00 UTC), the wall clock kept.
    let july_6 = JAN_5_2026 + 182 * DAY - HOUR;
    assert_eq!(starts(&f, july_6, july_6 + DAY), [july_6]);
    // Export writes the original start and rule; importing that gives the same event.
    let ics = round_trips(&f, "w");
    assert!(
        ics.contains("DTSTART;TZID=America/New_York:19650104T090000"),
        "{ics}"
    );
    assert!(ics.contains("DTEND;TZID=America/New_York:19650104T100000"));
    assert!(ics.contains("RRULE:FREQ=WEEKLY\r\n"));
    assert!(!vevents(&ics).contains("1970"), "{ics}");
    assert!(!ics.contains("X-IC-SINCE-1970"));
}

#[test]
fn a_count_loses_the_instances_before_1970_and_an_ended_series_is_skipped() {
    let (f, report) = imported(&since_1965("FREQ=WEEKLY;COUNT=300"));
    assert_eq!(report.created, 1, "{report:?}");
    let e = only_event(&f, "w");
    let rule: recurrence::RecurrenceRule = e.recurrence.unwrap().rule.parse().unwrap();
    assert_eq!(rule.count, Some(300 - 261));
    // 38 weeks on is 1970-09-28, in daylight saving time: 09:00 EDT.
    let last = JAN_5_1970 + 38 * 7 * DAY - HOUR;
    assert_eq!(starts(&f, last - DAY, last + 30 * DAY), [last]);
    let ics = round_trips(&f, "w");
    assert!(ics.contains("RRULE:FREQ=WEEKLY;COUNT=300\r\n"), "{ics}");

    for ended in [
        "FREQ=WEEKLY;COUNT=261",
        "FREQ=WEEKLY;UNTIL=19691231T000000Z",
    ] {
        let (_, report) = imported(&since_1965(ended));
        assert_eq!(
            report.events.unwrap()[0].outcome,
            IcsEventOutcome::Skipped {
                reason: IcsSkipReason::BeforeEpoch
            },
            "{ended}"
        );
    }
}

#[test]
fn a_moved_series_that_was_edited_exports_its_new_start() {
    let (f, _) = imported(&since_1965("FREQ=WEEKLY"));
    let mut e = only_event(&f, "w");
    let extras = f.store.ics_extras(e.id);
    e.time = EventTime::Timed {
        start_ns: JAN_5_2026,
        end_ns: JAN_5_2026 + HOUR,
    };
    let ics = super::super::export::export(&[e], &[extras]).unwrap();
    assert!(
        ics.contains("DTSTART;TZID=America/New_York:20260105T090000"),
        "{ics}"
    );
    assert!(
        !ics.contains("1965"),
        "stale original lines left out: {ics}"
    );
    assert!(!ics.contains("X-IC-SINCE-1970"));
}

/// A VTIMEZONE restating US Eastern rules under its own name (as Outlook and others write
/// them): the event is stored in America/New_York, so its 09:00 stays 09:00 across the March
/// change instead of drifting to 10:00 as exact UTC instants would. A start before the file's
/// rules and New York's agree is stored in the POSIX rule the file states.
#[test]
fn a_file_zone_with_an_iana_twin_is_stored_in_it_and_keeps_the_wall_time() {
    let eastern = "BEGIN:VTIMEZONE\r\nTZID:Eastern (custom)\r\n\
        BEGIN:STANDARD\r\nDTSTART:16011104T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n\
        RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r\nEND:STANDARD\r\n\
        BEGIN:DAYLIGHT\r\nDTSTART:16010311T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n\
        RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";
    let text = calendar(&format!(
        "{eastern}BEGIN:VEVENT\r\nUID:w\r\nSUMMARY:Standup\r\n\
         DTSTART;TZID=Eastern (custom):20260302T090000\r\nDURATION:PT30M\r\n\
         RRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:old\r\nSUMMARY:Before 2007's rules\r\n\
         DTSTART;TZID=Eastern (custom):19990315T090000\r\nDURATION:PT30M\r\nEND:VEVENT\r\n"
    ));
    let (f, report) = imported(&text);
    assert_eq!(report.created, 2, "{report:?}");
    let e = only_event(&f, "w");
    assert_eq!(e.time_zone, "America/New_York");
    // 2026-03-02 09:00 EST = 14:00 UTC; after 2026-03-08, 09:00 EDT = 13:00 UTC.
    let march_2 = 1_772_460_000 * SECOND;
    assert_eq!(
        starts(&f, march_2 - DAY, march_2 + 21 * DAY),
        vec![march_2, march_2 + 7 * DAY - HOUR, march_2 + 14 * DAY - HOUR]
    );
    let notes = &report.events.unwrap();
    assert!(notes[0]
        .not_kept
        .iter()
        .any(|n| n.contains("stored in America/New_York")));
    // In March 1999 the file's rules say EDT, New York's say EST: the file's own rule, at
    // 09:00 EDT (13:00 UTC).
    let old = only_event(&f, "old");
    assert_eq!(old.time_zone, "<-05>5<-04>,M3.2.0,M11.1.0");
    let march_15_1999 = 921_456_000 * SECOND;
    assert_eq!(
        starts(&f, march_15_1999, march_15_1999 + DAY),
        vec![march_15_1999 + 13 * HOUR]
    );
    assert!(notes[1].not_kept.iter().any(|n| n.contains("POSIX rule")));
    round_trips(&f, "w");
    round_trips(&f, "old");
}

/// A zone only the file defines and no IANA zone restates (these rules change at 02:00 local
/// time both ways; the EU's change at 01:00 UTC): the event is stored in the POSIX rule the
/// zone follows, so a weekly 09:00 stays 09:00 across its changes, and it exports and imports
/// back identical (the rule is its TZID, quoted). A start before the rule and the file agree
/// for good keeps exact instants in UTC.
#[test]
fn a_file_zone_without_an_iana_twin_is_stored_as_its_posix_rule() {
    let central = "BEGIN:VTIMEZONE\r\nTZID:Western/Central Europe\r\n\
        BEGIN:STANDARD\r\nDTSTART:19501029T020000\r\n\
        RRULE:FREQ=YEARLY;BYMINUTE=0;BYHOUR=2;BYDAY=-1SU;BYMONTH=10\r\n\
        TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n\
        BEGIN:DAYLIGHT\r\nDTSTART:19500326T020000\r\n\
        RRULE:FREQ=YEARLY;BYMINUTE=0;BYHOUR=2;BYDAY=-1SU;BYMONTH=3\r\n\
        TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";
    let text = calendar(&format!(
        "{central}BEGIN:VEVENT\r\nUID:w\r\nSUMMARY:Course\r\n\
         DTSTART;TZID=Western/Central Europe:20260323T090000\r\nDURATION:PT1H\r\n\
         RRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:early\r\nSUMMARY:Before the rules\r\n\
         DTSTART;TZID=Western/Central Europe:19400101T090000\r\nDURATION:PT1H\r\n\
         RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:day\r\nSUMMARY:All day\r\nDTSTART;VALUE=DATE:20261025\r\n\
         X-IC-TIMEZONE:<+01>-1<+02>\\,M3.5.0\\,M10.5.0\r\nEND:VEVENT\r\n"
    ));
    let (f, report) = imported(&text);
    assert_eq!(report.created, 3, "{report:?}");
    let e = only_event(&f, "w");
    assert_eq!(e.time_zone, "<+01>-1<+02>,M3.5.0,M10.5.0");
    // 2026-03-23 09:00 +01 = 08:00 UTC; after 2026-03-29, 09:00 +02 = 07:00 UTC.
    let march_23 = 1_774_252_800 * SECOND;
    assert_eq!(
        starts(&f, march_23 - DAY, march_23 + 21 * DAY),
        vec![
            march_23,
            march_23 + 7 * DAY - HOUR,
            march_23 + 14 * DAY - HOUR
        ]
    );
    let notes = &report.events.unwrap();
    assert!(notes[0]
        .not_kept
        .iter()
        .any(|n| n.contains("POSIX rule it follows, <+01>-1<+02>,M3.5.0,M10.5.0")));
    let ics = round_trips(&f, "w");
    assert!(
        ics.contains("DTSTART;TZID=\"<+01>-1<+02>,M3.5.0,M10.5.0\":20260323T090000"),
        "{ics}"
    );
    assert!(
        ics.contains("TZID:<+01>-1<+02>\\,M3.5.0\\,M10.5.0"),
        "{ics}"
    );
    // A yearly series from 1940, before the file's zone begins (1950): not the rule's, so its
    // times are exact instants in UTC.
    assert_eq!(only_event(&f, "early").time_zone, "UTC");
    // An all-day event names its zone in `X-IC-TIMEZONE` (escaped TEXT): its day is the rule's
    // (25 October starts at 00:00 +02), both ways.
    let day = only_event(&f, "day");
    assert_eq!(day.time_zone, "<+01>-1<+02>,M3.5.0,M10.5.0");
    let midnight = 1_792_879_200 * SECOND;
    assert_eq!(starts(&f, midnight - HOUR, midnight + HOUR), vec![midnight]);
    round_trips(&f, "day");
}

/// "This and following" at an RDATE-only instance: the new event starts with it (the rule
/// continues from its next instance), nothing is lost or doubled, and the patch applies to it.
#[test]
fn this_and_following_from_an_rdate_instance_moves_it_and_the_rest_to_the_new_event() {
    let text = calendar(
        "BEGIN:VEVENT\r\nUID:s\r\nSUMMARY:Course\r\n\
         DTSTART;TZID=Europe/Berlin:20260406T090000\r\nDURATION:PT1H\r\n\
         RRULE:FREQ=WEEKLY;COUNT=3\r\n\
         RDATE;TZID=Europe/Berlin:20260408T150000\r\nEND:VEVENT\r\n",
    );
    let (mut f, _) = imported(&text);
    let e = only_event(&f, "s");
    let wednesday = APRIL_6 + 2 * DAY + 6 * HOUR;
    let window = (APRIL_6 - DAY, APRIL_6 + 30 * DAY);
    let all = starts(&f, window.0, window.1);
    assert_eq!(
        all,
        [APRIL_6, wednesday, APRIL_6 + 7 * DAY, APRIL_6 + 14 * DAY]
    );
    let patch = EventPatch {
        title: Some("Course, part 2".into()),
        ..EventPatch::default()
    };
    let split = f
        .store
        .split(&ctx(user(1)), e.id, e.revision, wednesday, patch)
        .unwrap();
    assert_eq!(starts(&f, window.0, window.1), all, "the same occurrences");
    let second = split.after;
    assert_eq!(second.title, "Course, part 2");
    assert_eq!(
        second.recurrence.as_ref().unwrap().rdates_ns,
        Some(vec![wednesday])
    );
    let EventTime::Timed { start_ns, .. } = second.time else {
        panic!("timed")
    };
    assert_eq!(
        start_ns,
        APRIL_6 + 7 * DAY,
        "the rule goes on from its next instance"
    );
    assert!(split.before.recurrence.unwrap().rdates_ns.is_none());
}
