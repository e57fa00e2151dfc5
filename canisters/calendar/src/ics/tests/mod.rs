//! The import and export flows on a store: round trips, the per-event report, what is kept,
//! and the iCalendar conformance table (`conformance`).

mod conformance;
mod series;

use super::*;
use crate::store::tests::{ctx, fixture, lesson, user, weekly, Fixture, DAY, HOUR, MONDAY};
use interfaces::calendar::{Event, EventTime, InstanceChange, InstanceEdit, Visibility};

pub(super) fn export_all(f: &Fixture, who: u8) -> IcsPage {
    let req = IcsExportRequest {
        cursor: None,
        limit: Some(MAX_EXPORT_EVENTS as u32),
    };
    export_page(&f.store, &user(who), req).unwrap()
}

/// What a round trip may change: the id, timestamps and revision are the new store's.
pub(super) fn comparable(mut e: Event) -> Event {
    (e.id, e.created_at_ns, e.updated_at_ns, e.revision) = (0, 0, 0, 0);
    e
}

fn lenient() -> IcsImportOptions {
    IcsImportOptions::default()
}

fn calendar(events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n")
}

/// Imports `text` for user 1 into a fresh store.
fn imported(text: &str) -> (Fixture, IcsImportReport) {
    let mut f = fixture();
    let report = import_into(&mut f.store, &ctx(user(1)), text, lenient()).unwrap();
    (f, report)
}

fn only_event(f: &Fixture, uid: &str) -> Event {
    f.store
        .by_uid(&user(1), uid)
        .expect("imported")
        .into_event()
}

#[test]
fn export_then_import_into_another_store_loses_nothing() {
    let mut f = fixture();
    let alice = f.ctx(user(1));
    let mut series = weekly(MONDAY, 5);
    series.reminders_minutes = Some(vec![10, 60]);
    series.attendees = Some(vec![user(2)]);
    series.visibility = Some(Visibility::Public);
    series.description = Some("bring; the, book\nplease".into());
    series.color = Some("#123456".into());
    let s = f.store.create(&alice, series).unwrap();
    let s = f
        .store
        .edit_instance(&alice, s.id, 1, MONDAY + 7 * DAY, InstanceEdit::Cancelled)
        .unwrap();
    let one = f.store.create(&alice, lesson(MONDAY + HOUR)).unwrap();
    let page = export_all(&f, 1);
    assert_eq!((page.events, page.next_cursor), (2, None));
    assert!(page.ics.contains("BEGIN:VTIMEZONE"), "{}", page.ics);

    let mut g = fixture();
    let report = import_into(&mut g.store, &ctx(user(1)), &page.ics, lenient()).unwrap();
    assert_eq!(
        (report.created, report.updated, report.skipped),
        (2, 0, Some(0))
    );
    for original in [s, one] {
        let copy = g.store.by_uid(&user(1), &original.ical_uid).unwrap();
        assert_eq!(comparable(copy.into_event()), comparable(original));
    }
    let events = report.events.unwrap();
    assert!(events.iter().all(|e| e.not_kept.is_empty()), "{events:?}");
    // Importing the same text again replaces both.
    let again = import_into(&mut g.store, &ctx(user(1)), &page.ics, lenient()).unwrap();
    assert_eq!((again.created, again.updated), (0, 2));
    assert_eq!(g.store.event_count(), 2);
}

#[test]
fn one_bad_event_is_skipped_unless_the_import_is_all_or_nothing() {
    let mut f = fixture();
    let alice = f.ctx(user(1));
    f.store.create(&alice, lesson(MONDAY)).unwrap();
    let mut text = export_all(&f, 1).ics;
    let anonymous = f.ctx(Principal::anonymous());
    assert_eq!(
        import_into(&mut f.store, &anonymous, &text, lenient()),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        export_page(
            &f.store,
            &Principal::anonymous(),
            IcsExportRequest {
                cursor: None,
                limit: None
            }
        ),
        Err(Error::AnonymousCaller)
    );
    // A second event with a rule the calendar refuses (more often than daily).
    let broken = "BEGIN:VEVENT\r\nUID:other\r\nDTSTART:20260401T090000Z\r\nSUMMARY:x\r\n\
                  RRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    text = text.replace("END:VCALENDAR\r\n", broken);
    let (bob, version) = (f.ctx(user(2)), f.store.meta().data_version);
    let strict = IcsImportOptions {
        all_or_nothing: Some(true),
        floating_time_zone: None,
    };
    assert!(matches!(
        import_into(&mut f.store, &bob, &text, strict),
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(f.store.meta().data_version, version, "nothing changed");
    let report = import_into(&mut f.store, &bob, &text, lenient()).unwrap();
    assert_eq!((report.created, report.skipped), (1, Some(1)));
    let events = report.events.unwrap();
    assert!(matches!(
        &events[1].outcome,
        IcsEventOutcome::Skipped {
            reason: IcsSkipReason::Refused { .. }
        }
    ));
    let too_big = "x".repeat(MAX_IMPORT_BYTES + 1);
    assert!(matches!(
        import_into(&mut f.store, &alice, &too_big, lenient()),
        Err(Error::InvalidInput { .. })
    ));
    let bad_zone = IcsImportOptions {
        all_or_nothing: None,
        floating_time_zone: Some("Mars/Base".into()),
    };
    assert!(import_into(&mut f.store, &alice, &text, bad_zone).is_err());
}

#[test]
fn what_used_to_refuse_a_file_imports() {
    // A byte-order mark, no SUMMARY, `;` in a quoted parameter, `COLOR:red`, and a changed
    // instance whose series is not in the file.
    let text = format!(
        "\u{feff}{}",
        calendar(
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260406T090000Z\r\nDTEND:20260406T100000Z\r\n\
             COLOR:red\r\nATTENDEE;CN=\"Doe; Jane\";PARTSTAT=ACCEPTED:mailto:jane@example.com\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:orphan\r\nRECURRENCE-ID:20260407T090000Z\r\n\
             DTSTART:20260407T100000Z\r\nEND:VEVENT\r\n"
        )
    );
    let (f, report) = imported(&text);
    assert_eq!((report.created, report.skipped), (1, Some(1)));
    let events = report.events.unwrap();
    assert_eq!(
        events[1].outcome,
        IcsEventOutcome::Skipped {
            reason: IcsSkipReason::SeriesNotInFile
        }
    );
    let e = only_event(&f, "a");
    assert_eq!(e.title, import::NO_TITLE);
    assert_eq!(e.color.as_deref(), Some("#ff0000"));
    let ics = export_all(&f, 1).ics;
    assert!(!ics.contains("SUMMARY"), "no SUMMARY in, none out:\n{ics}");
    assert!(ics.contains("COLOR:red\r\n"));
    assert!(ics.contains("ATTENDEE;CN=\"Doe; Jane\";PARTSTAT=ACCEPTED:mailto:jane@example.com"));
}

#[test]
fn what_the_model_lacks_is_kept_and_exported_again() {
    let text = calendar(
        "BEGIN:VEVENT\r\nUID:s\r\nSUMMARY:Standup\r\nDTSTART;TZID=W. Europe Standard Time:\
         20260406T090000\r\nDURATION:PT15M\r\nRRULE:FREQ=DAILY;COUNT=5\r\n\
         EXDATE;VALUE=DATE:20260408\r\nRDATE:20260420T090000Z\r\n\
         ORGANIZER;CN=Boss:mailto:boss@example.com\r\nURL:https://example.com/standup\r\n\
         CATEGORIES:work,daily\r\nGEO:52.5;13.4\r\nATTACH:https://example.com/agenda.pdf\r\n\
         X-CUSTOM;P=1:value\r\n\
         BEGIN:VALARM\r\nACTION:EMAIL\r\nTRIGGER:-PT5M\r\nSUMMARY:s\r\nDESCRIPTION:d\r\n\
         ATTENDEE:mailto:me@example.com\r\nEND:VALARM\r\n\
         BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\nDESCRIPTION:Standup\r\nEND:VALARM\r\n\
         END:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID;TZID=W. Europe Standard Time:20260407T090000\r\n\
         DTSTART;TZID=W. Europe Standard Time:20260407T093000\r\nDURATION:PT15M\r\n\
         SUMMARY:Standup (late)\r\nLOCATION:Room 2\r\nEND:VEVENT\r\n",
    );
    let (f, report) = imported(&text);
    assert_eq!(report.created, 1, "{report:?}");
    let e = only_event(&f, "s");
    assert_eq!(e.time_zone, "Europe/Berlin");
    assert_eq!(e.reminders_minutes, [10]);
    // 2026-04-06 09:00 CEST is 07:00 UTC; the date EXDATE names the 8th at 09:00.
    let EventTime::Timed { start_ns, .. } = e.time else {
        panic!("timed")
    };
    assert_eq!(start_ns % (DAY), 7 * HOUR);
    assert_eq!(
        e.recurrence.as_ref().unwrap().exdates_ns,
        [start_ns + 2 * DAY]
    );
    assert!(matches!(
        e.overrides[0].change,
        InstanceChange::Moved { start_ns: s, .. } if s == start_ns + DAY + HOUR / 2
    ));
    // The RDATE is an instance now, written in the event's zone.
    assert_eq!(
        e.recurrence.as_ref().unwrap().rdates_ns,
        Some(vec![start_ns + 14 * DAY + 2 * HOUR])
    );
    let ics = export_all(&f, 1).ics;
    for kept in [
        "RDATE;TZID=Europe/Berlin:20260420T110000",
        "ORGANIZER;CN=Boss:mailto:boss@example.com",
        "URL:https://example.com/standup",
        "CATEGORIES:work,daily",
        "GEO:52.5;13.4",
        "ATTACH:https://example.com/agenda.pdf",
        "X-CUSTOM;P=1:value",
        "ACTION:EMAIL",
        "SUMMARY:Standup (late)",
        "LOCATION:Room 2",
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin",
    ] {
        assert!(ics.contains(kept), "{kept} in\n{ics}");
    }
    // And back: the same event, the same kept lines.
    let (g, again) = imported(&ics);
    assert_eq!(again.created, 1);
    assert_eq!(comparable(only_event(&g, "s")), comparable(e.clone()));
    assert_eq!(g.store.ics_extras(e.id), f.store.ics_extras(e.id));
}

#[test]
fn floating_times_are_read_in_the_importers_zone() {
    let text =
        calendar("BEGIN:VEVENT\r\nUID:f\r\nSUMMARY:x\r\nDTSTART:20260406T090000\r\nEND:VEVENT\r\n");
    let mut f = fixture();
    let options = IcsImportOptions {
        all_or_nothing: None,
        floating_time_zone: Some("America/New_York".into()),
    };
    import_into(&mut f.store, &ctx(user(1)), &text, options).unwrap();
    let e = only_event(&f, "f");
    assert_eq!(e.time_zone, "America/New_York");
    let EventTime::Timed { start_ns, .. } = e.time else {
        panic!("timed")
    };
    assert_eq!(start_ns % DAY, 13 * HOUR, "09:00 EDT is 13:00 UTC");
}

#[test]
fn a_timed_start_before_1970_is_skipped_with_its_reason() {
    let text = calendar(
        "BEGIN:VEVENT\r\nUID:old\r\nSUMMARY:x\r\nDTSTART:19600406T090000Z\r\nEND:VEVENT\r\n",
    );
    let (_, report) = imported(&text);
    assert_eq!(
        report.events.unwrap()[0].outcome,
        IcsEventOutcome::Skipped {
            reason: IcsSkipReason::BeforeEpoch
        }
    );
}

#[test]
fn an_all_day_birthday_from_1950_imports_and_round_trips() {
    let text = calendar(
        "BEGIN:VEVENT\r\nUID:bday\r\nSUMMARY:Grandpa\r\nDTSTART;VALUE=DATE:19500315\r\n\
         RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n",
    );
    let (f, report) = imported(&text);
    assert_eq!(report.created, 1, "{report:?}");
    let e = only_event(&f, "bday");
    let EventTime::AllDay { start, .. } = e.time else {
        panic!("all-day")
    };
    assert_eq!((start.year, start.month, start.day), (1950, 3, 15));
    let (g, again) = imported(&export_all(&f, 1).ics);
    assert_eq!(again.created, 1);
    assert_eq!(comparable(only_event(&g, "bday")), comparable(e));
}

#[test]
fn a_restore_from_before_the_extras_map_opens_it_empty() {
    let text = calendar(
        "BEGIN:VEVENT\r\nUID:u\r\nSUMMARY:x\r\nDTSTART:20260406T090000Z\r\n\
         URL:https://example.com\r\nEND:VEVENT\r\n",
    );
    let (mut f, _) = imported(&text);
    let id = only_event(&f, "u").id;
    assert!(f.store.ics_extras(id).is_some());
    f.zero_and_reopen(10);
    assert_eq!(f.store.ics_extras(id), None);
    assert_eq!(only_event(&f, "u").title, "x", "the events are untouched");
}

/// Clients written before the options argument send the text alone: the endpoint's decoder
/// (`canister_kit::codec::args`) reads the missing `opt` as `null`.
#[test]
fn a_call_with_the_text_alone_still_decodes() {
    let old = candid::encode_args(("BEGIN:VCALENDAR".to_string(),)).unwrap();
    let (text, options): (String, Option<IcsImportOptions>) = canister_kit::codec::args(old);
    assert_eq!((text.as_str(), options), ("BEGIN:VCALENDAR", None));
}

#[test]
fn a_reimport_keeps_the_answers_attendees_gave_for_single_occurrences() {
    let mut f = fixture();
    let alice = f.ctx(user(1));
    let mut series = weekly(MONDAY, 3);
    series.attendees = Some(vec![user(2)]);
    let s = f.store.create(&alice, series).unwrap();
    let bob = f.ctx(user(2));
    let answered = f
        .store
        .rsvp_occurrence(
            &bob,
            s.id,
            MONDAY + 7 * DAY,
            interfaces::calendar::Rsvp::Declined,
        )
        .unwrap();
    assert!(answered.occurrence_rsvps.is_some());
    // The owner imports her own export: the event is replaced, Bob's answer stays.
    let ics = export_all(&f, 1).ics;
    import_into(&mut f.store, &alice, &ics, lenient()).unwrap();
    let back = f.store.get(&alice, s.id).unwrap();
    assert_eq!(back.occurrence_rsvps, answered.occurrence_rsvps);
    assert!(back.revision > answered.revision, "it was replaced");
}
