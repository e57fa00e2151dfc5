//! Time zones from and for iCalendar files (`recurrence::tz`).
//!
//! * Every VTIMEZONE in `shared/conformance/ics/icalendar/*.ics` (real files from python
//!   icalendar's tests: Outlook names, custom offsets, zones without DST) is resolved the way
//!   the importer will, and a table prints what each became.
//! * Custom zones from those files convert wall times to the instants their rules define
//!   (hand-computed from the files' own TZOFFSET/RRULE lines, and cross-checked against the
//!   tzdb zone they copy where one exists).
//! * `vtimezone_for` output, read back through `zone_from_vtimezone`, gives the same offset
//!   as the bundled tzdb at every transition and every 5 days of the range.

use jiff::civil::{date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use recurrence::tz::{
    iana_equivalent, posix_equivalent, resolve_tzid, vtimezone_for, wall_to_instant,
    windows_to_iana, zone_from_vtimezone, Observance, ObservanceKind, ResolvedZone, TzError,
    VTimeZone,
};

mod common;
use common::conformance_dir;

/// The VTIMEZONEs of an iCalendar text, unfolded, as the plain input type. Test-only: the
/// calendar's importer has its own parser and fills the same type.
fn vtimezones(text: &str) -> Vec<VTimeZone> {
    let unfolded = text
        .replace("\r\n ", "")
        .replace("\n ", "")
        .replace("\r\n\t", "");
    let mut out = Vec::new();
    let mut zone: Option<VTimeZone> = None;
    let mut obs: Option<Observance> = None;
    for line in unfolded.lines() {
        let line = line.trim_end_matches('\r');
        let Some((head, value)) = line.split_once(':') else {
            continue;
        };
        let name = head
            .split(';')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        match (name.as_str(), value) {
            ("BEGIN", "VTIMEZONE") => {
                zone = Some(VTimeZone {
                    tzid: String::new(),
                    observances: Vec::new(),
                })
            }
            ("BEGIN", "STANDARD" | "DAYLIGHT") if zone.is_some() => {
                obs = Some(Observance {
                    kind: if value == "DAYLIGHT" {
                        ObservanceKind::Daylight
                    } else {
                        ObservanceKind::Standard
                    },
                    dtstart: String::new(),
                    offset_from: String::new(),
                    offset_to: String::new(),
                    rrule: None,
                    rdates: Vec::new(),
                    name: None,
                })
            }
            ("END", "STANDARD" | "DAYLIGHT") => {
                if let (Some(z), Some(o)) = (zone.as_mut(), obs.take()) {
                    z.observances.push(o);
                }
            }
            ("END", "VTIMEZONE") => out.extend(zone.take()),
            (_, _) => {
                if let Some(o) = obs.as_mut() {
                    let v = value.to_string();
                    match name.as_str() {
                        "DTSTART" => o.dtstart = v,
                        "TZOFFSETFROM" => o.offset_from = v,
                        "TZOFFSETTO" => o.offset_to = v,
                        "RRULE" => o.rrule = Some(v),
                        "RDATE" => o.rdates.push(v),
                        "TZNAME" => o.name = Some(v),
                        _ => {}
                    }
                } else if let Some(z) = zone.as_mut() {
                    if name == "TZID" {
                        z.tzid = value.to_string();
                    }
                }
            }
        }
    }
    out
}

fn at(zone: &TimeZone, wall: DateTime) -> String {
    wall_to_instant(zone, wall).unwrap().to_string()
}

fn custom(file: &str, tzid: &str) -> TimeZone {
    let path = conformance_dir("ics/icalendar")
        .join("ics/icalendar")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let vtz = vtimezones(&text)
        .into_iter()
        .find(|z| z.tzid == tzid)
        .unwrap_or_else(|| panic!("{tzid} not in {file}"));
    zone_from_vtimezone(&vtz).unwrap()
}

#[test]
fn every_vtimezone_in_the_conformance_files_resolves() {
    let dir = conformance_dir("ics/icalendar").join("ics/icalendar");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ics"))
        .collect();
    files.sort();
    let (mut iana, mut windows, mut built, mut refused) = (0, 0, 0, Vec::new());
    let (mut equivalent, mut ruled) = (0, 0);
    println!("{:<72} {:<44} resolution", "file", "TZID");
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue; // not UTF-8: the importer's problem, not a zone's
        };
        for vtz in vtimezones(&text) {
            let file = path.file_name().unwrap().to_string_lossy().to_string();
            let how = match resolve_tzid(&vtz.tzid, Some(&vtz)) {
                Ok(ResolvedZone::Iana(name)) if windows_to_iana(&vtz.tzid).is_some() => {
                    windows += 1;
                    format!("Windows name -> {name}")
                }
                Ok(ResolvedZone::Iana(name)) => {
                    iana += 1;
                    format!("IANA {name}")
                }
                Ok(ResolvedZone::Custom(zone)) => {
                    built += 1;
                    let offset = zone.to_offset(Timestamp::from_second(1_750_000_000).unwrap());
                    match iana_equivalent(&zone) {
                        Some(name) => {
                            equivalent += 1;
                            format!("custom, offset {offset} in June 2025, rules of {name}")
                        }
                        None => match posix_equivalent(&zone) {
                            Some(found) => {
                                ruled += 1;
                                format!(
                                    "custom, offset {offset} in June 2025, no IANA twin, rule {} \
                                     since {}",
                                    found.rule, found.since
                                )
                            }
                            None => format!("custom, offset {offset} in June 2025, no rule"),
                        },
                    }
                }
                Err(e) => {
                    refused.push((file.clone(), vtz.tzid.clone(), e.clone()));
                    format!("refused: {e}")
                }
            };
            println!("{file:<72} {:<44} {how}", vtz.tzid);
        }
    }
    println!(
        "\n{} files: {iana} IANA, {windows} Windows, {built} custom ({equivalent} with an IANA \
         twin since {}, {ruled} as a POSIX rule), {} refused",
        files.len(),
        recurrence::tz::EQUIVALENCE_FROM_YEAR,
        refused.len()
    );
    // Every zone a file defines is stored under a name: an IANA twin or the rule it follows.
    assert_eq!(equivalent + ruled, built);
    assert!(built >= 10 && windows >= 3 && iana >= 10);
    // Only zones whose own data is broken may be refused, each for its own typed reason.
    for (file, tzid, e) in &refused {
        assert!(
            matches!(
                e,
                TzError::NoObservances | TzError::BadOffset(_) | TzError::BadDateTime(_)
            ),
            "{file}: {tzid} refused: {e:?}"
        );
    }
}

#[test]
fn outlook_and_custom_zones_convert_wall_times() {
    // Outlook's own definition (rules from 1601) and the name's CLDR zone agree in 2025.
    let outlook = custom(
        "src__icalendar__tests__calendars__issue_165_missing_event.ics",
        "GMT +0100 (Standard) / GMT +0200 (Daylight)",
    );
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    for wall in [
        date(2025, 3, 30).at(1, 59, 0, 0),
        date(2025, 3, 30).at(2, 30, 0, 0), // gap: offset before it, 03:30 CEST
        date(2025, 3, 30).at(3, 0, 0, 0),
        date(2025, 10, 26).at(2, 30, 0, 0), // fold: first occurrence (CEST)
        date(2025, 10, 26).at(3, 0, 0, 0),
        date(1999, 7, 1).at(12, 0, 0, 0),
    ] {
        assert_eq!(at(&outlook, wall), at(&berlin, wall), "{wall}");
    }
    assert_eq!(
        at(&outlook, date(2025, 3, 30).at(2, 30, 0, 0)),
        "2025-03-30T01:30:00Z"
    );
    assert_eq!(
        at(&outlook, date(2025, 10, 26).at(2, 30, 0, 0)),
        "2025-10-26T00:30:00Z"
    );

    // Outlook's zone restates Central European rules: stored as Europe/Berlin, not as UTC.
    assert_eq!(iana_equivalent(&outlook).as_deref(), Some("Europe/Berlin"));

    // A fixed +11 zone with a DATE DTSTART and no DST.
    let plus11 = custom(
        "src__icalendar__tests__calendars__issue_218_bad_tzid.ics",
        "UTC+11",
    );
    assert_eq!(
        at(&plus11, date(2025, 1, 15).at(9, 0, 0, 0)),
        "2025-01-14T22:00:00Z"
    );
    assert_eq!(
        at(&plus11, date(2025, 7, 15).at(9, 0, 0, 0)),
        "2025-07-14T22:00:00Z"
    );

    // Two one-off onsets: +10 until 2024-01-01 00:00, +12 until 2024-05-05 08:00, then +10,
    // so 06:00..08:00 on May 5th happens twice (first occurrence wins).
    let mine = custom(
        "src__icalendar__tests__calendars__issue_722_timezone_transition_ambiguity.ics",
        "MyTimezone",
    );
    assert_eq!(
        at(&mine, date(2023, 12, 31).at(12, 0, 0, 0)),
        "2023-12-31T02:00:00Z"
    );
    assert_eq!(
        at(&mine, date(2024, 3, 1).at(12, 0, 0, 0)),
        "2024-03-01T00:00:00Z"
    );
    assert_eq!(
        at(&mine, date(2024, 5, 5).at(7, 0, 0, 0)),
        "2024-05-04T19:00:00Z"
    );
    assert_eq!(
        at(&mine, date(2024, 5, 5).at(9, 0, 0, 0)),
        "2024-05-04T23:00:00Z"
    );

    // tzurl's Fiji: RDATE history with a seconds offset (+11:55:44 before 1915) and yearly
    // rules "Sunday in Oct 21..27" / "Sunday in Jan 18..24" from the file.
    let fiji = custom(
        "src__icalendar__fuzzing__corpus__pacific_fiji.ics",
        "custom_Pacific/Fiji",
    );
    assert_eq!(
        at(&fiji, date(1900, 1, 1).at(0, 0, 0, 0)),
        "1899-12-31T12:04:16Z"
    );
    // 2015-10-25 is the Sunday in 21..27: 02:00 +12 becomes 03:00 +13.
    assert_eq!(
        at(&fiji, date(2015, 10, 25).at(1, 0, 0, 0)),
        "2015-10-24T13:00:00Z"
    );
    assert_eq!(
        at(&fiji, date(2015, 10, 25).at(4, 0, 0, 0)),
        "2015-10-24T15:00:00Z"
    );
    // 2016-01-24 is the Sunday in 18..24: back to +12 at 03:00 +13.
    assert_eq!(
        at(&fiji, date(2016, 1, 24).at(12, 0, 0, 0)),
        "2016-01-24T00:00:00Z"
    );
    assert_eq!(
        at(&fiji, date(2016, 1, 10).at(12, 0, 0, 0)),
        "2016-01-09T23:00:00Z"
    );

    // tzurl's New York copy (full history as RDATEs and rules) agrees with tzdb.
    let new_york = custom(
        "src__icalendar__tests__calendars__america_new_york.ics",
        "custom_America/New_York",
    );
    same_offsets(
        &new_york,
        &TimeZone::get("America/New_York").unwrap(),
        1970,
        2030,
    );

    // A Windows TZID resolves to its CLDR zone even when the file defines it.
    let pacific = "src__icalendar__fuzzing__corpus__timezone_same_start.ics";
    let text = std::fs::read_to_string(
        conformance_dir("ics/icalendar")
            .join("ics/icalendar")
            .join(pacific),
    )
    .unwrap();
    let vtz = vtimezones(&text).remove(0);
    assert!(matches!(
        resolve_tzid(&vtz.tzid, Some(&vtz)),
        Ok(ResolvedZone::Iana(name)) if name == "America/Los_Angeles"
    ));
    // Its own definition agrees with tzdb since the 2007 US rules.
    let own = zone_from_vtimezone(&vtz).unwrap();
    let la = TimeZone::get("America/Los_Angeles").unwrap();
    for month in 1..=12 {
        let wall = date(2024, month, 10).at(12, 0, 0, 0);
        assert_eq!(at(&own, wall), at(&la, wall), "{wall}");
    }
}

#[test]
fn resolution_policy_and_typed_errors() {
    let iana = |tzid: &str| match resolve_tzid(tzid, None) {
        Ok(ResolvedZone::Iana(n)) => n,
        other => panic!("{tzid}: {other:?}"),
    };
    assert_eq!(iana("Europe/Berlin"), "Europe/Berlin");
    assert_eq!(iana("/America/Los Angeles"), "America/Los_Angeles");
    assert_eq!(iana("W. Europe Standard Time"), "Europe/Berlin");
    assert_eq!(iana("US/Eastern"), "US/Eastern");
    assert!(matches!(
        resolve_tzid("Mars/Olympus", None),
        Err(TzError::UnknownZone(z)) if z == "Mars/Olympus"
    ));
    let obs = |from: &str, to: &str, start: &str| Observance {
        kind: ObservanceKind::Standard,
        dtstart: start.into(),
        offset_from: from.into(),
        offset_to: to.into(),
        rrule: None,
        rdates: vec![],
        name: None,
    };
    let zone = |observances| VTimeZone {
        tzid: "X".into(),
        observances,
    };
    assert_eq!(
        zone_from_vtimezone(&zone(vec![])).unwrap_err(),
        TzError::NoObservances
    );
    assert_eq!(
        zone_from_vtimezone(&zone(vec![obs("+0100", "1 hour", "20200101T000000")])).unwrap_err(),
        TzError::BadOffset("1 hour".into())
    );
    assert_eq!(
        zone_from_vtimezone(&zone(vec![obs("+0100", "+0100", "2020-01-01")])).unwrap_err(),
        TzError::BadDateTime("2020-01-01".into())
    );
    let mut daily = obs("+0100", "+0200", "20200101T000000");
    daily.rrule = Some("FREQ=DAILY".into());
    assert_eq!(
        zone_from_vtimezone(&zone(vec![daily])).unwrap_err(),
        TzError::TooManyTransitions
    );
    let mut broken = obs("+0100", "+0200", "20200101T000000");
    broken.rrule = Some("FREQ=YEARLY;BYMONTH=13".into());
    assert!(matches!(
        zone_from_vtimezone(&zone(vec![broken])),
        Err(TzError::BadRule(_))
    ));
}

/// Offsets of `a` and `b` agree at every transition of `b` in the range (just before and at
/// it) and every 5 days.
fn same_offsets(a: &TimeZone, b: &TimeZone, from: i16, to: i16) -> usize {
    let start = b.to_timestamp(date(from, 1, 1).at(0, 0, 0, 0)).unwrap();
    let end = b.to_timestamp(date(to + 1, 1, 1).at(0, 0, 0, 0)).unwrap();
    let mut probes: Vec<Timestamp> = Vec::new();
    for t in b.following(start) {
        if t.timestamp() >= end {
            break;
        }
        probes.push(t.timestamp());
        probes.push(t.timestamp() - SignedDuration::from_secs(1));
    }
    let mut t = start;
    while t < end {
        probes.push(t);
        t += SignedDuration::from_hours(24 * 5);
    }
    for p in &probes {
        assert_eq!(a.to_offset(*p), b.to_offset(*p), "at {p}");
    }
    probes.len()
}

#[test]
fn exported_vtimezones_read_back_to_the_same_offsets() {
    for (zone, from, to) in [
        ("Europe/Berlin", 2000, 2030),
        ("America/New_York", 2000, 2030),  // the 2007 US rule change
        ("Australia/Sydney", 2000, 2030),  // southern hemisphere, 2008 change
        ("Europe/Moscow", 2005, 2020),     // permanent DST in 2011, back in 2014
        ("America/Sao_Paulo", 2010, 2025), // DST abolished in 2019
        ("Africa/Casablanca", 2015, 2030), // Ramadan breaks: many one-off onsets
        ("Asia/Kolkata", 2000, 2030),      // no transitions at all
    ] {
        let text = vtimezone_for(zone, from, to).unwrap();
        let vtz = vtimezones(&text).remove(0);
        assert_eq!(vtz.tzid, zone);
        let back = zone_from_vtimezone(&vtz).unwrap_or_else(|e| panic!("{zone}: {e}\n{text}"));
        let tzdb = TimeZone::get(zone).unwrap();
        let probes = same_offsets(&back, &tzdb, from, to);
        println!(
            "{zone:<20} {from}-{to}: {} sub-components, {} bytes, {probes} offsets equal",
            vtz.observances.len(),
            text.len()
        );
    }
    let berlin = vtimezone_for("Europe/Berlin", 2020, 2030).unwrap();
    assert_eq!(
        berlin,
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
         BEGIN:DAYLIGHT\r\nDTSTART:20200329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n\
         RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZNAME:CEST\r\nEND:DAYLIGHT\r\n\
         BEGIN:STANDARD\r\nDTSTART:20201025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n\
         RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZNAME:CET\r\nEND:STANDARD\r\n\
         END:VTIMEZONE\r\n"
    );
    assert!(matches!(
        vtimezone_for("Mars/Olympus", 2020, 2030),
        Err(TzError::UnknownZone(_))
    ));
    for (from, to) in [
        (2030, 2020),
        (2020, 9999),
        (i16::MIN, 2020),
        (2020, i16::MAX),
    ] {
        assert_eq!(
            vtimezone_for("Europe/Berlin", from, to),
            Err(TzError::BadYearRange { from, to })
        );
    }
}
