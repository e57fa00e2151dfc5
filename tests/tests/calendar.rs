//! The calendar shard on its real wasm: CRUD, ownership, visibility and sharing, limits,
//! pagination, optimistic concurrency, recurrence across DST, overrides and splits, free/busy,
//! availability and concurrent booking, iCalendar round trip, and upgrade persistence.

use candid::{encode_args, Principal};
use integration_tests::{operator, user, Suite};
use interfaces::calendar::{
    BookingPolicy, BookingRequest, BusyBlock, CalendarConfig, CalendarMetrics, Date, Event,
    EventInput, EventPage, EventPatch, EventTime, FreeBusyAudience, FreeBusyRequest,
    IcsExportRequest, IcsImportOptions, IcsImportReport, IcsPage, InstanceEdit, ListCursor,
    ListRequest, Recurrence, Role, Rsvp, Share, Slot, SlotRequest, SplitOutcome, Visibility,
    Weekday, WorkingHours,
};
use interfaces::security::MemberInit;
use interfaces::{Error, InputProblem};
use recurrence::jiff::Timestamp;

const MIN: u64 = 60_000_000_000;
const HOUR: u64 = 60 * MIN;
const DAY: u64 = 24 * HOUR;

fn ts(s: &str) -> u64 {
    s.parse::<Timestamp>().unwrap().as_nanosecond() as u64
}

struct Cal {
    suite: Suite,
    shard: Principal,
}

impl Cal {
    fn new() -> Self {
        let suite = Suite::new();
        let shard = suite.install("calendar", encode_args((None::<MemberInit>,)).unwrap());
        Cal { suite, shard }
    }

    fn up<R: candid::CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        who: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> Result<R, Error> {
        let (r,): (Result<R, Error>,) = self.suite.update(self.shard, who, method, args).unwrap();
        r
    }

    fn q<R: candid::CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        who: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> R {
        let (r,): (R,) = self.suite.query(self.shard, who, method, args).unwrap();
        r
    }

    fn create(&self, who: Principal, input: EventInput) -> Result<Event, Error> {
        self.up(who, "create_event", (input,))
    }

    fn get(&self, who: Principal, id: u64) -> Result<Event, Error> {
        self.q(who, "get_event", (id,))
    }

    fn update(&self, who: Principal, id: u64, rev: u64, patch: EventPatch) -> Result<Event, Error> {
        self.up(who, "update_event", (id, rev, patch))
    }

    fn list(&self, who: Principal, req: ListRequest) -> Result<EventPage, Error> {
        self.q(who, "list_events", (req,))
    }

    fn window(&self, who: Principal, owner: Option<Principal>, from: u64, to: u64) -> EventPage {
        self.list(
            who,
            ListRequest {
                owner,
                from_ns: from,
                to_ns: to,
                cursor: None,
                limit: Some(500),
                include_declined: None,
            },
        )
        .unwrap()
    }

    fn metrics(&self) -> CalendarMetrics {
        self.q(user(1), "get_metrics", ())
    }

    fn configure(&self, config: CalendarConfig) {
        self.up::<()>(operator(), "configure", (config,)).unwrap();
    }
}

fn lesson(start: u64) -> EventInput {
    EventInput::timed("Lesson", start, start + HOUR, "Europe/Berlin")
}

fn invalid_field(result: Result<Event, Error>) -> String {
    match result {
        Err(Error::InvalidInput { field, .. }) => field,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn crud_with_ownership_and_optimistic_concurrency() {
    let c = Cal::new();
    let (alice, bob) = (user(1), user(2));
    let start = ts("2026-05-04T07:00:00Z");
    let e = c.create(alice, lesson(start)).unwrap();
    assert_eq!(
        (e.owner, e.revision, e.title.as_str()),
        (alice, 1, "Lesson")
    );
    assert_eq!(c.get(alice, e.id).unwrap(), e);

    // Partial update from the current revision; a stale one is refused and changes nothing.
    let patch = EventPatch {
        title: Some("Theory".into()),
        ..Default::default()
    };
    let e2 = c.update(alice, e.id, 1, patch.clone()).unwrap();
    assert_eq!(
        (e2.revision, e2.title.as_str(), e2.location.as_str()),
        (2, "Theory", "")
    );
    assert_eq!(
        c.update(alice, e.id, 1, patch),
        Err(Error::StaleRevision {
            expected: 1,
            current: 2
        })
    );

    // Others cannot see, change or delete a private event: it does not exist for them.
    assert!(matches!(c.get(bob, e.id), Err(Error::NotFound { .. })));
    assert!(matches!(
        c.update(bob, e.id, 2, EventPatch::default()),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        c.up::<()>(bob, "delete_event", (e.id, None::<u64>)),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        c.up::<()>(Principal::anonymous(), "delete_event", (e.id, None::<u64>)),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        c.up::<()>(alice, "delete_event", (e.id, Some(1u64))),
        Err(Error::StaleRevision {
            expected: 1,
            current: 2
        })
    );
    c.up::<()>(alice, "delete_event", (e.id, Some(2u64)))
        .unwrap();
    assert!(matches!(c.get(alice, e.id), Err(Error::NotFound { .. })));
    assert_eq!(c.metrics().events, 0);
}

#[test]
fn visibility_sharing_roles_and_rsvp() {
    let c = Cal::new();
    let (alice, viewer, editor, guest, stranger) = (user(1), user(2), user(3), user(4), user(5));
    let start = ts("2026-05-04T07:00:00Z");
    let mut shared = lesson(start);
    shared.visibility = Some(Visibility::Shared(vec![
        Share {
            principal: viewer,
            role: Role::Viewer,
        },
        Share {
            principal: editor,
            role: Role::Editor,
        },
    ]));
    shared.attendees = Some(vec![guest]);
    let e = c.create(alice, shared).unwrap();
    let mut public = lesson(start + DAY);
    public.visibility = Some(Visibility::Public);
    let p = c.create(alice, public).unwrap();
    let private = c.create(alice, lesson(start + 2 * DAY)).unwrap();

    for who in [viewer, editor, guest] {
        assert!(c.get(who, e.id).is_ok());
    }
    assert!(c.get(stranger, e.id).is_err());
    assert!(
        c.get(Principal::anonymous(), p.id).is_ok(),
        "public is public"
    );
    assert!(c.get(Principal::anonymous(), e.id).is_err());
    // The anonymous caller reads the public event but changes nothing, whatever it asks.
    let anonymous = Principal::anonymous();
    assert_eq!(
        c.update(anonymous, p.id, 1, EventPatch::default()),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        c.up::<()>(anonymous, "delete_event", (p.id, None::<u64>)),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        c.up::<Event>(anonymous, "rsvp", (p.id, Rsvp::Accepted)),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        c.up::<Event>(
            anonymous,
            "edit_instance",
            (p.id, 1u64, start + DAY, InstanceEdit::Cancelled)
        ),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        c.up::<SplitOutcome>(
            anonymous,
            "split_event",
            (p.id, 1u64, start + DAY, EventPatch::default())
        ),
        Err(Error::AnonymousCaller)
    );

    // Listing another owner's calendar shows exactly what the caller may read.
    let ids = |who| -> Vec<u64> {
        c.window(who, Some(alice), start, start + 7 * DAY)
            .events
            .iter()
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(ids(alice), [e.id, p.id, private.id]);
    assert_eq!(ids(viewer), [e.id, p.id]);
    assert_eq!(ids(stranger), [p.id]);
    assert_eq!(ids(Principal::anonymous()), [p.id]);

    // Editors edit but may not reshare; viewers may not edit; only the owner deletes.
    let renamed = EventPatch {
        title: Some("Moved room".into()),
        ..Default::default()
    };
    assert!(matches!(
        c.update(viewer, e.id, 1, renamed.clone()),
        Err(Error::Forbidden { .. })
    ));
    let e2 = c.update(editor, e.id, 1, renamed).unwrap();
    assert_eq!(e2.title, "Moved room");
    assert!(matches!(
        c.update(
            editor,
            e.id,
            2,
            EventPatch {
                visibility: Some(Visibility::Public),
                ..Default::default()
            }
        ),
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        c.up::<()>(editor, "delete_event", (e.id, None::<u64>)),
        Err(Error::Forbidden { .. })
    ));

    // Only attendees answer, and their answer is kept.
    assert!(matches!(
        c.up::<Event>(viewer, "rsvp", (e.id, Rsvp::Accepted)),
        Err(Error::Forbidden { .. })
    ));
    let answered: Event = c.up(guest, "rsvp", (e.id, Rsvp::Accepted)).unwrap();
    assert_eq!(answered.attendees[0].rsvp, Rsvp::Accepted);
    assert_eq!(answered.revision, 3);
}

#[test]
fn limits_give_typed_errors_and_change_nothing() {
    let c = Cal::new();
    let alice = user(1);
    let start = ts("2026-05-04T07:00:00Z");
    let version = c.metrics().data_version;
    let cases: Vec<(EventInput, &str)> = vec![
        (
            EventInput {
                title: "x".repeat(201),
                ..lesson(start)
            },
            "title",
        ),
        (
            EventInput {
                title: String::new(),
                ..lesson(start)
            },
            "title",
        ),
        (
            EventInput {
                description: Some("d".repeat(8_001)),
                ..lesson(start)
            },
            "description",
        ),
        (
            EventInput::timed("Backwards", start, start - HOUR, "Europe/Berlin"),
            "time",
        ),
        (
            EventInput::timed("Zone", start, start + HOUR, "Europe/Atlantis"),
            "time_zone",
        ),
        (
            EventInput {
                recurrence: Some(Recurrence {
                    rule: "FREQ=WEEKLY;COUNT=3;UNTIL=20270101".into(),
                    exdates_ns: vec![],
                    rdates_ns: None,
                }),
                ..lesson(start)
            },
            "recurrence.rule",
        ),
        (
            EventInput {
                attendees: Some((0..101).map(|i| user(100 + i)).collect()),
                ..lesson(start)
            },
            "attendees",
        ),
        (
            EventInput {
                reminders_minutes: Some(vec![1, 2, 3, 4, 5, 6]),
                ..lesson(start)
            },
            "reminders_minutes",
        ),
        (
            EventInput {
                color: Some("blue".into()),
                ..lesson(start)
            },
            "color",
        ),
    ];
    for (input, field) in cases {
        assert_eq!(invalid_field(c.create(alice, input)), field);
    }
    assert_eq!(
        c.metrics().data_version,
        version,
        "bad input changed nothing"
    );
    assert_eq!(c.metrics().events, 0);
    assert_eq!(
        c.create(Principal::anonymous(), lesson(start)).unwrap_err(),
        Error::AnonymousCaller
    );

    // The per-user quota.
    c.configure(CalendarConfig {
        max_events_per_user: 3,
        writes_per_minute: 600,
    });
    for i in 0..3 {
        c.create(alice, lesson(start + i * HOUR)).unwrap();
    }
    assert!(matches!(
        c.create(alice, lesson(start)),
        Err(Error::Conflict { .. })
    ));
    assert!(
        c.create(user(2), lesson(start)).is_ok(),
        "quotas are per user"
    );

    // Page sizes are capped.
    let too_big = c.list(
        alice,
        ListRequest {
            owner: None,
            from_ns: start,
            to_ns: start + DAY,
            cursor: None,
            limit: Some(10_000),
            include_declined: None,
        },
    );
    assert!(matches!(too_big, Err(Error::InvalidInput { .. })));

    // Writes are rate limited per caller.
    c.configure(CalendarConfig {
        max_events_per_user: 1_000,
        writes_per_minute: 5,
    });
    let results: Vec<_> = (0..8)
        .map(|i| c.create(user(9), lesson(start + i * HOUR)))
        .collect();
    assert!(results[..5].iter().all(|r| r.is_ok()));
    assert!(matches!(results[5], Err(Error::RateLimited { .. })));
}

#[test]
fn pagination_walks_a_window_in_order_without_gaps_or_repeats() {
    let c = Cal::new();
    let alice = user(1);
    let base = ts("2026-06-01T00:00:00Z");
    // 60 one-off events at varied lengths, plus a daily series: all overlap June.
    for i in 0..60u64 {
        let start = base + i * 11 * HOUR;
        let length = [30 * MIN, 3 * HOUR, 2 * DAY][(i % 3) as usize];
        c.create(
            alice,
            EventInput::timed(&format!("e{i}"), start, start + length, "UTC"),
        )
        .unwrap();
    }
    let mut daily = EventInput::timed(
        "standup",
        base + 9 * HOUR,
        base + 9 * HOUR + 15 * MIN,
        "UTC",
    );
    daily.recurrence = Some(Recurrence {
        rule: "FREQ=DAILY".into(),
        exdates_ns: vec![],
        rdates_ns: None,
    });
    c.create(alice, daily).unwrap();

    let (from, to) = (base + 5 * DAY, base + 25 * DAY);
    let all = c.window(alice, None, from, to).occurrences;
    let mut walked = Vec::new();
    let mut cursor: Option<ListCursor> = None;
    loop {
        let page = c
            .list(
                alice,
                ListRequest {
                    owner: None,
                    from_ns: from,
                    to_ns: to,
                    cursor,
                    limit: Some(7),
                    include_declined: None,
                },
            )
            .unwrap();
        assert!(page.occurrences.len() <= 7);
        for o in &page.occurrences {
            assert!(page.events.iter().any(|e| e.id == o.event_id));
        }
        walked.extend(page.occurrences);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(walked, all);
    // Every occurrence overlaps the window, and events that began before it are included.
    assert!(walked.iter().all(|o| o.start_ns < to && o.end_ns > from));
    assert!(walked.iter().any(|o| o.start_ns < from));
    assert_eq!(walked.iter().filter(|o| o.event_id == 61).count(), 20);
}

/// Weekly Monday 09:00 in Berlin across the spring change (29 March 2026): 09:00 on the wall
/// clock on both sides, so the UTC instant moves by an hour.
#[test]
fn recurrence_keeps_wall_time_across_dst_with_overrides_and_splits() {
    let c = Cal::new();
    let alice = user(1);
    let first = ts("2026-03-16T08:00:00Z"); // 09:00 CET
    let mut weekly = lesson(first);
    weekly.recurrence = Some(Recurrence {
        rule: "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6".into(),
        exdates_ns: vec![],
        rdates_ns: None,
    });
    let e = c.create(alice, weekly).unwrap();
    assert_eq!(
        e.recurrence.as_ref().unwrap().rule,
        "FREQ=WEEKLY;COUNT=6;BYDAY=MO"
    );
    let starts =
        |page: &EventPage| -> Vec<u64> { page.occurrences.iter().map(|o| o.start_ns).collect() };
    let page = c.window(alice, None, first, first + 60 * DAY);
    assert_eq!(
        starts(&page),
        [
            ts("2026-03-16T08:00:00Z"),
            ts("2026-03-23T08:00:00Z"),
            ts("2026-03-30T07:00:00Z"), // 09:00 CEST
            ts("2026-04-06T07:00:00Z"),
            ts("2026-04-13T07:00:00Z"),
            ts("2026-04-20T07:00:00Z"),
        ]
    );

    // Move one instance, cancel another, then restore the cancelled one.
    let moved_from = ts("2026-03-30T07:00:00Z");
    let e: Event = c
        .up(
            alice,
            "edit_instance",
            (
                e.id,
                1u64,
                moved_from,
                InstanceEdit::Moved {
                    start_ns: ts("2026-03-31T15:00:00Z"),
                    end_ns: ts("2026-03-31T16:00:00Z"),
                },
            ),
        )
        .unwrap();
    let e: Event = c
        .up(
            alice,
            "edit_instance",
            (
                e.id,
                2u64,
                ts("2026-04-06T07:00:00Z"),
                InstanceEdit::Cancelled,
            ),
        )
        .unwrap();
    let page = c.window(alice, None, first, first + 60 * DAY);
    assert_eq!(page.occurrences.len(), 5);
    let moved = page.occurrences.iter().find(|o| o.overridden).unwrap();
    assert_eq!(
        (moved.original_start_ns, moved.start_ns),
        (moved_from, ts("2026-03-31T15:00:00Z"))
    );
    assert!(!starts(&page).contains(&ts("2026-04-06T07:00:00Z")));
    let bad: Result<Event, Error> = c.up(
        alice,
        "edit_instance",
        (
            e.id,
            3u64,
            ts("2026-04-07T07:00:00Z"),
            InstanceEdit::Cancelled,
        ),
    );
    assert!(
        matches!(bad, Err(Error::InvalidInput { .. })),
        "not an instance"
    );

    // This and following: from 13 April on, the lessons are at 10:00.
    let split: SplitOutcome = c
        .up(
            alice,
            "split_event",
            (
                e.id,
                3u64,
                ts("2026-04-13T07:00:00Z"),
                EventPatch {
                    time: Some(EventTime::Timed {
                        start_ns: ts("2026-04-13T08:00:00Z"),
                        end_ns: ts("2026-04-13T09:00:00Z"),
                    }),
                    ..Default::default()
                },
            ),
        )
        .unwrap();
    assert_eq!(
        split.before.overrides.len(),
        2,
        "earlier changes stay with the first half"
    );
    let page = c.window(alice, None, first, first + 60 * DAY);
    assert_eq!(
        starts(&page),
        [
            ts("2026-03-16T08:00:00Z"),
            ts("2026-03-23T08:00:00Z"),
            ts("2026-03-31T15:00:00Z"),
            ts("2026-04-13T08:00:00Z"),
            ts("2026-04-20T08:00:00Z"),
        ]
    );
    assert_eq!(page.events.len(), 2);

    // An all-day event is date-only with an exclusive end.
    let mut holiday = lesson(0);
    holiday.time = EventTime::AllDay {
        start: Date {
            year: 2026,
            month: 4,
            day: 3,
        },
        end: Date {
            year: 2026,
            month: 4,
            day: 4,
        },
    };
    let h = c.create(alice, holiday).unwrap();
    let page = c.window(
        alice,
        None,
        ts("2026-04-03T21:59:00Z"),
        ts("2026-04-03T22:01:00Z"),
    );
    assert_eq!(
        page.occurrences.len(),
        1,
        "ends at Berlin midnight (22:00Z)"
    );
    assert_eq!(page.occurrences[0].event_id, h.id);
    assert_eq!(page.occurrences[0].end_ns, ts("2026-04-03T22:00:00Z"));
}

fn policy() -> BookingPolicy {
    BookingPolicy {
        time_zone: "Europe/Berlin".into(),
        working_hours: [Weekday::Monday, Weekday::Tuesday]
            .into_iter()
            .map(|weekday| WorkingHours {
                weekday,
                start_minute: 9 * 60,
                end_minute: 12 * 60,
            })
            .collect(),
        slot_minutes: 60,
        step_minutes: 60,
        buffer_before_minutes: 0,
        buffer_after_minutes: 30,
        min_notice_minutes: 0,
        horizon_days: 365,
        booking_title: "Driving lesson".into(),
    }
}

#[test]
fn free_busy_availability_and_booking_never_double_books() {
    let c = Cal::new();
    let (teacher, s1, s2, s3) = (user(1), user(2), user(3), user(4));
    // Monday 2025-03-03, 09:00 CET = 08:00Z (the runtime's clock starts on 2025-01-01).
    let monday = ts("2025-03-03T08:00:00Z");
    let busy = c.create(teacher, lesson(monday + HOUR)).unwrap(); // 10:00-11:00
    let mut free = lesson(monday + 2 * HOUR);
    free.transparency = Some(interfaces::calendar::Transparency::Transparent);
    c.create(teacher, free).unwrap();

    let teachers_week = FreeBusyRequest {
        user: teacher,
        from_ns: monday - DAY,
        to_ns: monday + DAY,
    };
    // Free/busy privacy: by default only people the teacher shares with or invites may see it;
    // the booking below works from the policy whatever the teacher chose.
    let hidden: Result<Vec<BusyBlock>, Error> = c.q(s1, "free_busy", (teachers_week.clone(),));
    assert!(matches!(hidden, Err(Error::Forbidden { .. })), "{hidden:?}");
    c.up::<()>(
        teacher,
        "set_free_busy_audience",
        (FreeBusyAudience::SignedIn,),
    )
    .unwrap();
    let audience: FreeBusyAudience = c.q(teacher, "get_free_busy_audience", ());
    assert_eq!(audience, FreeBusyAudience::SignedIn);
    let blocks: Result<Vec<BusyBlock>, Error> = c.q(s1, "free_busy", (teachers_week,));
    assert_eq!(
        blocks.unwrap(),
        [BusyBlock {
            start_ns: monday + HOUR,
            end_ns: monday + 2 * HOUR
        }],
        "only opaque events, and no details"
    );

    c.up::<()>(teacher, "set_booking_policy", (Some(policy()),))
        .unwrap();
    // Booking, policies, free/busy and iCalendar are for signed-in callers only.
    let anonymous = Principal::anonymous();
    assert_eq!(
        c.up::<()>(anonymous, "set_booking_policy", (Some(policy()),)),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        c.up::<Event>(
            anonymous,
            "book_slot",
            (BookingRequest {
                host: teacher,
                start_ns: monday + 2 * HOUR,
                note: None,
            },)
        ),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        c.up::<IcsImportReport>(anonymous, "import_ics", (String::new(),)),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        c.q::<Result<Vec<BusyBlock>, Error>>(
            anonymous,
            "free_busy",
            (FreeBusyRequest {
                user: teacher,
                from_ns: monday - DAY,
                to_ns: monday + DAY,
            },)
        ),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        c.q::<Result<IcsPage, Error>>(
            anonymous,
            "export_ics",
            (IcsExportRequest {
                cursor: None,
                limit: None,
            },)
        ),
        Err(Error::AnonymousCaller)
    );
    let slots: Result<Vec<Slot>, Error> = c.q(
        s1,
        "available_slots",
        (SlotRequest {
            host: teacher,
            from_ns: monday - HOUR,
            to_ns: monday + DAY,
            limit: None,
        },),
    );
    // 09:00 would end at 10:00 plus a 30 min buffer into the busy lesson; 10:00 is busy;
    // 11:00 is free (the buffer after ends at 12:30, outside any event).
    assert_eq!(
        slots.unwrap(),
        [Slot {
            start_ns: monday + 2 * HOUR,
            end_ns: monday + 3 * HOUR
        }]
    );

    // Three students race for the 11:00 slot: all submitted before any runs.
    let env = &c.suite.env;
    let req = BookingRequest {
        host: teacher,
        start_ns: monday + 2 * HOUR,
        note: Some("pick me up at the station".into()),
    };
    let ids: Vec<_> = [s1, s2, s3]
        .iter()
        .map(|&s| {
            env.submit_call(
                c.shard,
                s,
                "book_slot",
                encode_args((req.clone(),)).unwrap(),
            )
            .unwrap()
        })
        .collect();
    let outcomes: Vec<Result<Event, Error>> = ids
        .into_iter()
        .map(|id| {
            let bytes = env.await_call(id).unwrap();
            candid::decode_one(&bytes).unwrap()
        })
        .collect();
    let won: Vec<&Event> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{outcomes:?}");
    assert!(outcomes
        .iter()
        .filter(|o| o.is_err())
        .all(|o| matches!(o, Err(Error::Conflict { .. }))));
    let booking = won[0];
    assert_eq!(booking.owner, teacher);
    assert_eq!(booking.attendees[0].rsvp, Rsvp::Accepted);
    assert!(
        c.get(booking.attendees[0].principal, booking.id).is_ok(),
        "the student sees it"
    );

    // Off-grid and outside-hours requests are refused too.
    for start in [monday + 2 * HOUR + 15 * MIN, monday + 5 * HOUR] {
        let r: Result<Event, Error> = c.up(
            s1,
            "book_slot",
            (BookingRequest {
                host: teacher,
                start_ns: start,
                note: None,
            },),
        );
        assert!(matches!(r, Err(Error::Conflict { .. })));
    }
    // Freeing the busy lesson frees its slot.
    c.up::<()>(teacher, "delete_event", (busy.id, None::<u64>))
        .unwrap();
    let slots: Vec<Slot> = c
        .q::<Result<Vec<Slot>, Error>>(
            s1,
            "available_slots",
            (SlotRequest {
                host: teacher,
                from_ns: monday - HOUR,
                to_ns: monday + 4 * HOUR,
                limit: None,
            },),
        )
        .unwrap();
    // 09:00 is free again (its buffer no longer runs into a lesson); 10:00 is not, its
    // buffer after runs into the 11:00 booking.
    assert_eq!(slots.len(), 1);
    assert_eq!(slots[0].start_ns, monday);
}

#[test]
fn icalendar_round_trips_without_loss() {
    let c = Cal::new();
    let (alice, bob) = (user(1), user(2));
    let first = ts("2026-03-16T08:00:00Z");
    let mut weekly = lesson(first);
    weekly.description = Some("Bring: licence, glasses; water\nand snacks".into());
    weekly.location = Some("Hauptstraße 1, Berlin".into());
    weekly.recurrence = Some(Recurrence {
        rule: "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260501T000000Z".into(),
        exdates_ns: vec![ts("2026-03-18T08:00:00Z")],
        rdates_ns: None,
    });
    weekly.visibility = Some(Visibility::Shared(vec![Share {
        principal: bob,
        role: Role::Editor,
    }]));
    weekly.attendees = Some(vec![user(3)]);
    weekly.reminders_minutes = Some(vec![15, 1_440]);
    weekly.color = Some("#3366ff".into());
    let e = c.create(alice, weekly).unwrap();
    let e: Event = c
        .up(
            alice,
            "edit_instance",
            (
                e.id,
                1u64,
                ts("2026-03-23T08:00:00Z"),
                InstanceEdit::Cancelled,
            ),
        )
        .unwrap();
    c.up::<Event>(
        alice,
        "edit_instance",
        (
            e.id,
            2u64,
            ts("2026-03-30T07:00:00Z"),
            InstanceEdit::Moved {
                start_ns: ts("2026-03-31T12:00:00Z"),
                end_ns: ts("2026-03-31T13:30:00Z"),
            },
        ),
    )
    .unwrap();
    let mut all_day = lesson(0);
    all_day.title = "Exam day".into();
    all_day.time = EventTime::AllDay {
        start: Date {
            year: 2026,
            month: 5,
            day: 4,
        },
        end: Date {
            year: 2026,
            month: 5,
            day: 6,
        },
    };
    all_day.visibility = Some(Visibility::Public);
    c.create(alice, all_day).unwrap();
    c.create(
        alice,
        EventInput::timed("UTC call", first, first + 30 * MIN, "UTC"),
    )
    .unwrap();

    let export = |who| -> IcsPage {
        c.q::<Result<IcsPage, Error>>(
            who,
            "export_ics",
            (IcsExportRequest {
                cursor: None,
                limit: None,
            },),
        )
        .unwrap()
    };
    let page = export(alice);
    assert_eq!(page.events, 3);
    assert!(page.ics.contains("RRULE:FREQ=WEEKLY"));
    assert!(page
        .ics
        .contains("DTSTART;TZID=Europe/Berlin:20260316T090000"));
    assert!(page.ics.contains("DTSTART;VALUE=DATE:20260504"));
    assert!(page
        .ics
        .contains("RECURRENCE-ID;TZID=Europe/Berlin:20260323T090000"));

    // Import into another user's calendar, then compare everything but identity fields.
    let report: IcsImportReport = c.up(user(7), "import_ics", (page.ics.clone(),)).unwrap();
    assert_eq!((report.created, report.updated), (3, 0));
    let strip = |mut e: Event| {
        e.id = 0;
        e.owner = Principal::anonymous();
        e.created_at_ns = 0;
        e.updated_at_ns = 0;
        e.revision = 0;
        e
    };
    let originals: Vec<Event> = c
        .window(alice, None, 0, u64::MAX)
        .events
        .into_iter()
        .map(strip)
        .collect();
    let copies: Vec<Event> = c
        .window(user(7), None, 0, u64::MAX)
        .events
        .into_iter()
        .map(strip)
        .collect();
    assert_eq!(originals.len(), 3);
    let sorted = |mut v: Vec<Event>| {
        v.sort_by(|a, b| a.ical_uid.cmp(&b.ical_uid));
        v
    };
    assert_eq!(sorted(copies), sorted(originals));

    // Importing again replaces by UID instead of duplicating; re-export is identical text
    // apart from the time stamps and sequence.
    let again: IcsImportReport = c.up(user(7), "import_ics", (page.ics.clone(),)).unwrap();
    assert_eq!((again.created, again.updated), (0, 3));
    let body = |ics: &str| -> Vec<String> {
        ics.lines()
            .filter(|l| {
                !["DTSTAMP", "CREATED", "LAST-MODIFIED", "SEQUENCE"]
                    .iter()
                    .any(|p| l.starts_with(p))
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(body(&export(user(7)).ics), body(&page.ics));

    // A file with one unreadable event: asked for all or nothing, it imports nothing; by
    // default the other events are imported and the broken one is reported skipped.
    let before = c.metrics().events;
    let broken = page.ics.replacen(
        "DTSTART;TZID=Europe/Berlin:",
        "DTSTART;TZID=Europe/Berlin:garbage",
        1,
    );
    assert_ne!(broken, page.ics);
    let all_or_nothing = IcsImportOptions {
        all_or_nothing: Some(true),
        floating_time_zone: None,
    };
    assert!(c
        .up::<IcsImportReport>(
            user(8),
            "import_ics",
            (broken.clone(), Some(all_or_nothing))
        )
        .is_err());
    assert_eq!(c.metrics().events, before);
    let report: IcsImportReport = c
        .up(user(8), "import_ics", (broken, None::<IcsImportOptions>))
        .unwrap();
    assert_eq!((report.created, report.skipped), (2, Some(1)));
    assert_eq!(c.metrics().events, before + 2);
}

#[test]
fn events_survive_upgrade_and_metrics_measure_methods() {
    let c = Cal::new();
    let alice = user(1);
    let start = ts("2026-05-04T07:00:00Z");
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(c.create(alice, lesson(start + i * DAY)).unwrap().id);
    }
    c.up::<()>(alice, "set_booking_policy", (Some(policy()),))
        .unwrap();
    let before = c.window(alice, None, start, start + 30 * DAY);
    let version = c.metrics().data_version;
    let m = c.metrics();
    let create = m
        .methods
        .iter()
        .find(|m| m.method == "create_event")
        .unwrap();
    assert_eq!(create.calls, 20);
    assert!(create.instructions_max > 0 && create.instructions_total >= create.instructions_max);

    c.suite.upgrade(
        c.shard,
        "calendar",
        encode_args((None::<MemberInit>,)).unwrap(),
    );
    assert_eq!(c.window(alice, None, start, start + 30 * DAY), before);
    assert_eq!(c.metrics().data_version, version);
    assert_eq!(c.metrics().events, 20);
    assert_eq!(
        c.q::<Option<BookingPolicy>>(alice, "get_booking_policy", (alice,)),
        Some(policy())
    );
    // Ids keep counting after the upgrade.
    let next = c.create(alice, lesson(start)).unwrap();
    assert_eq!(next.id, ids.last().unwrap() + 1);
    assert!(c.metrics().data_version > version);
}

#[test]
fn free_busy_and_list_refuse_bad_ranges() {
    let c = Cal::new();
    let r: Result<Vec<BusyBlock>, Error> = c.q(
        user(1),
        "free_busy",
        (FreeBusyRequest {
            user: user(1),
            from_ns: 10,
            to_ns: 10 + 400 * DAY,
        },),
    );
    assert!(matches!(
        r,
        Err(Error::InvalidInput {
            problem: InputProblem::TooLong { .. },
            ..
        })
    ));
    let r = c.list(
        user(1),
        ListRequest {
            owner: None,
            from_ns: 10,
            to_ns: 5,
            cursor: None,
            limit: None,
            include_declined: None,
        },
    );
    assert!(matches!(r, Err(Error::InvalidInput { .. })));
}

/// The group-member side: a backup export restored into a fresh shard reproduces every event,
/// and account deletion removes a user's events and their place in others' events. The test
/// acts as the backup canister and the user registry with their own access keys.
#[test]
fn backup_restore_and_account_deletion_as_group_members() {
    use interfaces::registry::RegistryInit;
    use interfaces::security::GroupInfo;
    use interfaces::snapshot::{ImportProgress, SnapshotManifest};
    use interfaces::CanisterKind;
    use serde_bytes::ByteBuf;

    let suite = Suite::new();
    let registry = suite.install_registry(RegistryInit::default());
    let shard = suite.install_member(CanisterKind::Calendar, registry);
    let fresh = suite.install_member(CanisterKind::Calendar, registry);
    let backup = suite.install_member(CanisterKind::BackupCanister, registry);
    let users = suite.install_member(CanisterKind::UserRegistry, registry);
    let (r,): (Result<GroupInfo, Error>,) = suite
        .update(registry, operator(), "register_canister_group", ("g",))
        .unwrap();
    r.unwrap();
    for (member, kind) in [
        (shard, CanisterKind::Calendar),
        (fresh, CanisterKind::Calendar),
        (backup, CanisterKind::BackupCanister),
        (users, CanisterKind::UserRegistry),
    ] {
        let (r,): (Result<GroupInfo, Error>,) = suite
            .update(
                registry,
                operator(),
                "add_canister_to_group",
                ("g", member, kind, None::<String>),
            )
            .unwrap();
        r.unwrap();
    }
    suite.settle();
    let backup_key = ByteBuf::from(suite.held_key(backup).unwrap());
    let users_key = ByteBuf::from(suite.held_key(users).unwrap());
    let c = Cal { suite, shard };
    let (alice, bob) = (user(1), user(2));
    let start = ts("2026-05-04T07:00:00Z");
    for i in 0..30 {
        let mut e = lesson(start + i * DAY);
        e.attendees = Some(vec![bob]);
        c.create(alice, e).unwrap();
    }
    let bobs = c.create(bob, lesson(start)).unwrap();

    // Only the backup canister may export; a user or the user registry may not.
    for (who, key) in [(alice, backup_key.clone()), (users, users_key.clone())] {
        let r: Result<SnapshotManifest, Error> = c.up(who, "export_begin", (key,));
        assert!(r.is_err());
    }
    let manifest: SnapshotManifest = c.up(backup, "export_begin", (backup_key.clone(),)).unwrap();
    let chunks: Vec<ByteBuf> = (0..manifest.chunk_count)
        .map(|i| {
            c.q::<Result<ByteBuf, Error>>(
                backup,
                "export_chunk",
                (backup_key.clone(), manifest.export_id, i),
            )
            .unwrap()
        })
        .collect();
    // Writes after the export are not in it.
    c.create(alice, lesson(start + 90 * DAY)).unwrap();

    // The fresh shard lives on the same (simulated) subnet.
    let target = Cal {
        suite: c.suite,
        shard: fresh,
    };
    let mut corrupt = manifest.clone();
    corrupt.sha256[0] ^= 0xff;
    target
        .up::<()>(backup, "import_begin", (backup_key.clone(), corrupt))
        .unwrap();
    for (i, chunk) in chunks.iter().enumerate() {
        target
            .up::<ImportProgress>(
                backup,
                "import_chunk",
                (backup_key.clone(), i as u32, chunk.clone()),
            )
            .unwrap();
    }
    assert!(target
        .up::<u64>(backup, "import_commit", (backup_key.clone(),))
        .is_err());
    assert_eq!(
        target.metrics().events,
        0,
        "a corrupted snapshot changes nothing"
    );
    target
        .up::<()>(
            backup,
            "import_begin",
            (backup_key.clone(), manifest.clone()),
        )
        .unwrap();
    for (i, chunk) in chunks.iter().enumerate() {
        target
            .up::<ImportProgress>(
                backup,
                "import_chunk",
                (backup_key.clone(), i as u32, chunk.clone()),
            )
            .unwrap();
    }
    let version: u64 = target
        .up(backup, "import_commit", (backup_key.clone(),))
        .unwrap();
    assert!(version > manifest.data_version);
    assert_eq!(target.metrics().events, 31);
    let restored = target.window(alice, None, start, start + 100 * DAY);
    assert_eq!(
        restored.occurrences.len(),
        30,
        "the post-export event is not there"
    );

    // Account deletion: only the user registry may ask; afterwards nothing of bob remains.
    let r: Result<interfaces::calendar::DeletedData, Error> =
        target.up(backup, "delete_user_data", (backup_key, bob));
    assert!(r.is_err());
    let deleted: interfaces::calendar::DeletedData = target
        .up(users, "delete_user_data", (users_key, bob))
        .unwrap();
    assert_eq!(deleted.items, 31, "bob's event and his place in alice's 30");
    assert!(target.get(bob, bobs.id).is_err());
    let page = target.window(alice, None, start, start + 100 * DAY);
    assert!(page.events.iter().all(|e| e.attendees.is_empty()));
    let ics: IcsPage = target
        .q::<Result<IcsPage, Error>>(
            alice,
            "export_ics",
            (IcsExportRequest {
                cursor: None,
                limit: None,
            },),
        )
        .unwrap();
    assert!(!ics.ics.contains(&bob.to_text()));
}

/// Calendar and notification together: an event's reminder reaches the notification canister
/// through the shard's outbox, even when the notification canister was stopped at first, and
/// fires into the owner's inbox at the right moment; deleting the event cancels the rest.
#[test]
fn reminders_flow_from_events_to_inboxes_through_the_outbox() {
    use interfaces::notification::{NotificationPage, NotificationQuery};
    use interfaces::CanisterKind;

    let suite = Suite::new();
    let group = suite.group(&[CanisterKind::Calendar, CanisterKind::Notification]);
    let shard = group.member(CanisterKind::Calendar);
    let notification = group.member(CanisterKind::Notification);
    let c = Cal { suite, shard };
    let alice = user(1);
    let now = c.suite.env.get_time().as_nanos_since_unix_epoch();

    // The notification canister is down: the change waits in the shard's outbox.
    c.suite
        .env
        .stop_canister(notification, Some(operator()))
        .unwrap();
    let mut daily = EventInput::timed("Lesson", now + 2 * HOUR, now + 3 * HOUR, "Europe/Berlin");
    daily.reminders_minutes = Some(vec![15]);
    daily.recurrence = Some(Recurrence {
        rule: "FREQ=DAILY;COUNT=3".into(),
        exdates_ns: vec![],
        rdates_ns: None,
    });
    let e = c.create(alice, daily).unwrap();
    c.suite.settle();
    assert_eq!(c.metrics().reminder_outbox, 1);
    c.suite
        .env
        .start_canister(notification, Some(operator()))
        .unwrap();
    // The outbox timer retries (every 30 s).
    c.suite.advance(std::time::Duration::from_secs(31));
    assert_eq!(
        c.metrics().reminder_outbox,
        0,
        "delivered once the canister is back"
    );

    let inbox = || -> NotificationPage {
        let (r,): (Result<NotificationPage, Error>,) = c
            .suite
            .query(
                notification,
                alice,
                "get_notifications",
                (NotificationQuery {
                    cursor: None,
                    limit: None,
                    unread_only: false,
                },),
            )
            .unwrap();
        r.unwrap()
    };
    assert!(inbox().notifications.is_empty());
    // 15 minutes before the first occurrence, and not before.
    c.suite.advance(std::time::Duration::from_secs(104 * 60));
    assert!(inbox().notifications.is_empty());
    c.suite.advance(std::time::Duration::from_secs(2 * 60));
    let first = inbox();
    assert_eq!(first.notifications.len(), 1);
    assert_eq!(first.notifications[0].occurrence_start_ns, now + 2 * HOUR);
    assert_eq!(first.notifications[0].title, "Lesson");

    // Deleting the event cancels the remaining reminders.
    c.up::<()>(alice, "delete_event", (e.id, None::<u64>))
        .unwrap();
    c.suite.settle();
    c.suite
        .advance(std::time::Duration::from_secs(3 * 24 * 3600));
    assert_eq!(inbox().notifications.len(), 1);
}
