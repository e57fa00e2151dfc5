//! Unit tests of the validation gate: each rule names its field, placements, the stored
//! layout of a `ValidEvent`, and booking policies.

use super::*;
use interfaces::calendar::{Attendee, Date, Recurrence, Rsvp};

fn event() -> Event {
    Event {
        id: 1,
        owner: Principal::from_slice(&[1; 29]),
        ical_uid: "1@x".into(),
        title: "Lesson".into(),
        description: String::new(),
        location: String::new(),
        time: EventTime::Timed {
            start_ns: 1_774_771_200_000_000_000,
            end_ns: 1_774_774_800_000_000_000,
        },
        time_zone: "Europe/Berlin".into(),
        recurrence: None,
        overrides: vec![],
        status: Default::default(),
        transparency: Default::default(),
        visibility: Default::default(),
        color: None,
        attendees: vec![],
        occurrence_rsvps: None,
        attendee_reminders: None,
        reminders_minutes: vec![],
        created_at_ns: 0,
        updated_at_ns: 0,
        revision: 1,
    }
}

fn field_of(result: Result<Placement, Error>) -> String {
    match result {
        Err(Error::InvalidInput { field, .. }) => field,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn the_gate_keeps_the_event_and_its_placement() {
    let valid = ValidEvent::check(event()).unwrap();
    assert_eq!(valid.event(), &event());
    assert_eq!(Ok(valid.placement()), check_event(&event()));
    let mut bad = event();
    bad.title.clear();
    assert_eq!(
        field_of(ValidEvent::check(bad).map(|v| v.placement())),
        "title"
    );
}

/// Records written before the gate existed (`Stored { event, slot: IndexSlot }`, layouts 0
/// and 1) read back as the same `ValidEvent` (through the layout-2 record the migration makes).
#[test]
fn records_of_the_previous_layout_decode_unchanged() {
    #[derive(CandidType)]
    #[allow(dead_code)]
    enum IndexSlot {
        OneOff {
            class: u8,
            start_ns: u64,
            end_ns: u64,
        },
        Series {
            last_end_ns: u64,
        },
    }
    #[derive(CandidType)]
    struct Stored {
        event: Event,
        slot: IndexSlot,
    }
    let old = Stored {
        event: event(),
        slot: IndexSlot::OneOff {
            class: 0,
            start_ns: 1,
            end_ns: 2,
        },
    };
    let bytes = candid::encode_one(&old).unwrap();
    let record = crate::model::event::EventRecord::from_v1(&bytes).unwrap();
    let read = ValidEvent::from_record(record.clone());
    assert_eq!(read.event(), &event());
    assert_eq!(
        read.placement(),
        Placement::OneOff {
            class: 0,
            start_ns: 1,
            end_ns: 2
        }
    );
    assert_eq!(record.into_v1(), bytes);
}

#[test]
fn removing_a_person_keeps_the_event_valid() {
    let mut e = event();
    let (guest, viewer) = (
        Principal::from_slice(&[2; 29]),
        Principal::from_slice(&[3; 29]),
    );
    e.attendees = vec![Attendee {
        principal: guest,
        rsvp: Rsvp::Accepted,
    }];
    e.visibility = Visibility::Shared(vec![interfaces::calendar::Share {
        principal: viewer,
        role: interfaces::calendar::Role::Viewer,
    }]);
    let valid = ValidEvent::check(e).unwrap();
    let without_guest = valid.without(&guest);
    assert!(without_guest.event().attendees.is_empty());
    assert_eq!(without_guest.event().visibility, valid.event().visibility);
    let neither = without_guest.without(&viewer);
    assert_eq!(neither.event().visibility, Visibility::Shared(vec![]));
    assert_eq!(neither.placement(), valid.placement());
    assert_eq!(
        ValidEvent::check(neither.event().clone()).map(|v| v.placement()),
        Ok(valid.placement())
    );
}

#[test]
fn policies_are_validated() {
    let policy = crate::store::tests::policy;
    let mut p = policy();
    p.working_hours[0].end_minute = 8 * 60;
    assert!(check_policy(&p).is_err());
    let mut p = policy();
    p.slot_minutes = 0;
    assert!(check_policy(&p).is_err());
    let mut p = policy();
    p.time_zone = "Nowhere/Town".into();
    assert!(check_policy(&p).is_err());
    let mut p = policy();
    p.working_hours = vec![p.working_hours[0]; MAX_WORKING_RANGES + 1];
    assert!(check_policy(&p).is_err());
    assert!(check_policy(&policy()).is_ok());
}

#[test]
fn a_plain_event_is_a_one_hour_one_off() {
    assert_eq!(
        check_event(&event()),
        Ok(Placement::OneOff {
            class: 0,
            start_ns: 1_774_771_200_000_000_000,
            end_ns: 1_774_774_800_000_000_000
        })
    );
}

#[test]
fn each_rule_names_its_field() {
    let mut e = event();
    e.title = " ".repeat(0);
    assert_eq!(field_of(check_event(&e)), "title");
    let mut e = event();
    e.time_zone = "Mars/Olympus".into();
    assert_eq!(field_of(check_event(&e)), "time_zone");
    // A POSIX rule is a zone only in angle-bracket form: `UTC+3` would be three hours west.
    e.time_zone = "UTC+3".into();
    assert_eq!(field_of(check_event(&e)), "time_zone");
    e.time_zone = "<+03>-3".into();
    assert!(check_event(&e).is_ok());
    let mut e = event();
    e.color = Some("red".into());
    assert_eq!(field_of(check_event(&e)), "color");
    let mut e = event();
    e.reminders_minutes = vec![10, 10];
    assert_eq!(field_of(check_event(&e)), "reminders_minutes");
    let mut e = event();
    e.reminders_minutes = vec![MAX_REMINDER_MINUTES + 1];
    assert_eq!(field_of(check_event(&e)), "reminders_minutes");
    let mut e = event();
    e.time = EventTime::Timed {
        start_ns: 10,
        end_ns: 5,
    };
    assert_eq!(field_of(check_event(&e)), "time");
    let mut e = event();
    e.recurrence = Some(Recurrence {
        rule: "FREQ=HOURLY".into(),
        exdates_ns: vec![],
        rdates_ns: None,
    });
    assert_eq!(field_of(check_event(&e)), "recurrence.rule");
    let mut e = event();
    let a = Attendee {
        principal: Principal::from_slice(&[2; 29]),
        rsvp: Rsvp::NeedsAction,
    };
    e.attendees = vec![a, a];
    assert_eq!(field_of(check_event(&e)), "attendees");
    let mut e = event();
    e.ical_uid = "u".repeat(MAX_ICAL_UID_CHARS + 1);
    assert_eq!(field_of(check_event(&e)), "ical_uid");
    e.ical_uid = "u".repeat(MAX_ICAL_UID_CHARS);
    assert!(check_event(&e).is_ok());
}

#[test]
fn all_day_spans_midnights_of_the_zone_and_series_get_their_end() {
    let mut e = event();
    e.time = EventTime::AllDay {
        start: Date {
            year: 2026,
            month: 3,
            day: 29,
        },
        end: Date {
            year: 2026,
            month: 3,
            day: 30,
        },
    };
    // 29 March 2026 is the spring-forward day in Berlin: 23 hours long.
    let Ok(Placement::OneOff {
        start_ns,
        end_ns,
        class,
    }) = check_event(&e)
    else {
        panic!()
    };
    assert_eq!(end_ns - start_ns, 23 * HOUR_NS);
    assert_eq!(class, 1);
    e.recurrence = Some(Recurrence {
        rule: "FREQ=DAILY;COUNT=3".into(),
        exdates_ns: vec![],
        rdates_ns: None,
    });
    assert!(matches!(
        check_event(&e),
        Ok(Placement::Series { last_end_ns }) if last_end_ns < u64::MAX
    ));
    e.recurrence = Some(Recurrence {
        rule: "FREQ=DAILY".into(),
        exdates_ns: vec![],
        rdates_ns: None,
    });
    assert_eq!(
        check_event(&e),
        Ok(Placement::Series {
            last_end_ns: u64::MAX
        })
    );
}

#[test]
fn rdates_are_bounded_place_the_series_and_take_overrides() {
    let start = 1_774_771_200_000_000_000; // 2026-03-29T08:00:00Z
    let later = start + 30 * DAY_NS;
    let mut e = event();
    e.recurrence = Some(Recurrence {
        rule: "FREQ=DAILY;COUNT=2".into(),
        exdates_ns: vec![],
        rdates_ns: Some(vec![later]),
    });
    // The RDATE after the COUNT's last instance ends the series.
    assert_eq!(
        check_event(&e),
        Ok(Placement::Series {
            last_end_ns: later + HOUR_NS
        })
    );
    // An RDATE's instance can be changed like any other.
    e.overrides = vec![interfaces::calendar::InstanceOverride {
        original_start_ns: later,
        change: InstanceChange::Cancelled,
    }];
    assert!(check_event(&e).is_ok());
    e.overrides[0].original_start_ns = later + HOUR_NS;
    assert_eq!(field_of(check_event(&e)), "overrides");
    e.overrides.clear();
    let r = e.recurrence.as_mut().unwrap();
    r.rdates_ns = Some(
        (0..=MAX_RDATES as u64)
            .map(|i| later + i * DAY_NS)
            .collect(),
    );
    assert!(matches!(
        check_event(&e),
        Err(Error::InvalidInput { ref field, problem: InputProblem::TooMany { max, .. } })
            if field == "recurrence.rdates_ns" && max == MAX_RDATES as u64
    ));
    let r = e.recurrence.as_mut().unwrap();
    r.rdates_ns.as_mut().unwrap().pop();
    assert!(check_event(&e).is_ok(), "exactly the limit is fine");
}
