//! Benchmark (not a test): instructions to import, re-import and export an iCalendar file of
//! 1,000 events on the real calendar wasm.
//!
//! The file mixes what real calendars hold: 700 one-off events in a `TZID` zone with a
//! reminder (every tenth with an organizer, two e-mail attendees, a URL and categories, which
//! the calendar keeps beside the event), and 300 weekly series of 20 with an EXDATE and a
//! changed instance with its own title. Run with `cargo bench -p integration_tests --bench ics`
//! after `scripts/build.sh calendar`. An import's instructions are what the calendar's own
//! `get_metrics` recorded for the call (`ic0.performance_counter` when the method finished: the
//! runtime's last execution may be the reminder-flush timer the import armed); an export's are
//! the runtime's fuel for the query (see host/ic_runtime/README.md).

use candid::{encode_args, encode_one, Principal};
use integration_tests::bench_setup::BenchShard;
use integration_tests::{user, wasm};
use interfaces::calendar::{IcsExportRequest, IcsImportOptions, IcsImportReport, IcsPage};
use interfaces::Error;

const EVENTS: usize = 1_000;
const SERIES: usize = 300;

fn vtimezone() -> String {
    recurrence::tz::vtimezone_for("Europe/Berlin", 2026, 2027)
        .expect("a bundled zone")
        .replace("\r\n", "\n")
}

/// Local wall time `day` days after 2026-03-02 at `hour`:00, as `YYYYMMDDTHHMMSS`.
fn wall(day: usize, hour: usize) -> String {
    let date = recurrence::jiff::civil::date(2026, 3, 2)
        .checked_add(recurrence::jiff::Span::new().days(day as i64))
        .unwrap();
    format!("{}T{hour:02}0000", date.strftime("%Y%m%d"))
}

fn file() -> String {
    let mut text = String::from("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//bench//EN\n");
    text.push_str(&vtimezone());
    let tz = "TZID=Europe/Berlin";
    for i in 0..EVENTS - SERIES {
        let (day, hour) = (i / 8, 8 + i % 8);
        text.push_str(&format!(
            "BEGIN:VEVENT\nUID:one-{i}@bench\nDTSTAMP:20260101T000000Z\n\
             DTSTART;{tz}:{}\nDTEND;{tz}:{}\nSUMMARY:Lesson {i}\n\
             DESCRIPTION:Bring the book\\, chapter {i}\nLOCATION:Room {}\n",
            wall(day, hour),
            wall(day, hour + 1),
            i % 12
        ));
        if i % 10 == 0 {
            text.push_str(
                "ORGANIZER;CN=Teacher:mailto:teacher@example.com\n\
                 ATTENDEE;CN=Ann;PARTSTAT=ACCEPTED:mailto:ann@example.com\n\
                 ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com\n\
                 URL:https://example.com/lessons\nCATEGORIES:school,lesson\n",
            );
        }
        text.push_str(
            "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDESCRIPTION:Lesson\nEND:VALARM\n\
             END:VEVENT\n",
        );
    }
    for i in 0..SERIES {
        let hour = 7 + i % 12;
        text.push_str(&format!(
            "BEGIN:VEVENT\nUID:series-{i}@bench\nDTSTAMP:20260101T000000Z\n\
             DTSTART;{tz}:{}\nDTEND;{tz}:{}\nSUMMARY:Weekly {i}\n\
             RRULE:FREQ=WEEKLY;COUNT=20\nEXDATE;{tz}:{}\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:series-{i}@bench\nDTSTAMP:20260101T000000Z\n\
             RECURRENCE-ID;{tz}:{}\nDTSTART;{tz}:{}\nDTEND;{tz}:{}\n\
             SUMMARY:Weekly {i} (moved)\nEND:VEVENT\n",
            wall(i % 7, hour),
            wall(i % 7, hour + 1),
            wall(i % 7 + 14, hour),
            wall(i % 7 + 7, hour),
            wall(i % 7 + 7, hour + 1),
            wall(i % 7 + 7, hour + 2),
        ));
    }
    text.push_str("END:VCALENDAR\n");
    text.replace('\n', "\r\n")
}

fn main() {
    let shard = BenchShard::install(wasm("calendar"));
    shard.configure(10_000, 1_000).unwrap();
    let alice: Principal = user(1);
    let text = file();

    let import = |label: &str| {
        let arg = encode_args((text.clone(), None::<IcsImportOptions>)).unwrap();
        let report: Result<IcsImportReport, Error> = shard.update(alice, "import_ics", arg);
        let report = report.unwrap_or_else(|e| panic!("{label}: {e:?}"));
        assert_eq!(report.skipped, Some(0), "{label}: {:?}", report.events);
        (report, shard.method_instructions("import_ics"))
    };
    let (first, created) = import("import");
    assert_eq!(first.created as usize, EVENTS);
    let (again, updated) = import("re-import");
    assert_eq!(again.updated as usize, EVENTS);

    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let req = IcsExportRequest {
            cursor,
            limit: Some(500),
        };
        let page: Result<IcsPage, Error> =
            shard.query(alice, "export_ics", encode_one(req).unwrap());
        let page = page.unwrap();
        pages.push((page.events, page.ics.len(), shard.instructions()));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }

    println!(
        "\niCalendar on the calendar wasm: a file of {EVENTS} events ({} bytes)",
        text.len()
    );
    println!("| operation | instructions | per event |");
    println!("| --- | ---: | ---: |");
    let per = |n: u64, events: usize| n / events.max(1) as u64;
    println!(
        "| import_ics, {EVENTS} new events | {created} | {} |",
        per(created, EVENTS)
    );
    println!(
        "| import_ics again, {EVENTS} replaced | {updated} | {} |",
        per(updated, EVENTS)
    );
    for (i, (events, bytes, n)) in pages.iter().enumerate() {
        println!(
            "| export_ics page {} ({events} events, {bytes} bytes) | {n} | {} |",
            i + 1,
            per(*n, *events as usize)
        );
    }

    // A zone only the file defines is compared with the IANA zones CLDR names (loading each
    // is the cost), and the POSIX rule it follows with the zone from 1900 to 2200: what one
    // event in such a zone adds to an import.
    let one_event = |uid: &str, zone: &str, tzid: &str| {
        let text = format!(
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//bench//EN\n{zone}BEGIN:VEVENT\nUID:{uid}\n\
             DTSTART;TZID={tzid}:20260302T090000\nDURATION:PT1H\nSUMMARY:One\nEND:VEVENT\n\
             END:VCALENDAR\n"
        );
        let arg = encode_args((text, None::<IcsImportOptions>)).unwrap();
        let report: Result<IcsImportReport, Error> = shard.update(alice, "import_ics", arg);
        assert_eq!(report.unwrap().created, 1, "{uid}");
        shard.method_instructions("import_ics")
    };
    let eastern = "BEGIN:VTIMEZONE\nTZID:Eastern\nBEGIN:STANDARD\nDTSTART:16011104T020000\n\
        TZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\n\
        END:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010311T020000\nTZOFFSETFROM:-0500\n\
        TZOFFSETTO:-0400\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n";
    let odd = "BEGIN:VTIMEZONE\nTZID:Odd\nBEGIN:STANDARD\nDTSTART:19700101T000000\n\
        TZOFFSETFROM:+0317\nTZOFFSETTO:+0317\nEND:STANDARD\nEND:VTIMEZONE\n";
    // Both changes at 02:00 local time (the EU's are at 01:00 UTC): no IANA zone has these rules.
    let central = "BEGIN:VTIMEZONE\nTZID:Central\nBEGIN:STANDARD\nDTSTART:19501029T020000\n\
        RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n\
        END:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:19500326T020000\n\
        RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n\
        END:DAYLIGHT\nEND:VTIMEZONE\n";
    let rows = [
        (
            "one event, IANA zone",
            one_event("z-iana", "", "Europe/Berlin"),
        ),
        (
            "one event, file zone with an IANA twin (US Eastern rules: America/New_York)",
            one_event("z-twin", eastern, "Eastern"),
        ),
        (
            "one event, file zone without a twin (+03:17: every candidate compared; stored as \
             the rule <+0317>-3:17)",
            one_event("z-odd", odd, "Odd"),
        ),
        (
            "one event, file zone with DST and no twin (stored as the rule \
             <+01>-1<+02>,M3.5.0,M10.5.0)",
            one_event("z-rule", central, "Central"),
        ),
    ];
    println!();
    println!("| import_ics of one event | instructions |");
    println!("| --- | ---: |");
    for (label, n) in rows {
        println!("| {label} | {n} |");
    }
}
