//! The store's test fixture (a store on `VectorMemory`, callers, inputs) and the tests that
//! cut across its concerns: a refused operation leaves every stable structure byte for byte as
//! it was. Each concern's own tests sit at the bottom of its file.

use candid::Principal;
use ic_stable_structures::VectorMemory;
use interfaces::calendar::{
    BookingPolicy, EventInput, EventPatch, InstanceEdit, Recurrence, Rsvp, Visibility, Weekday,
    WorkingHours,
};
use interfaces::Error;

use super::{Ctx, Memories, Store};

pub const HOUR: u64 = 3_600 * 1_000_000_000;
pub const DAY: u64 = 24 * HOUR;
/// Monday 2026-03-30 00:00 in Berlin (CEST, UTC+2) = 2026-03-29T22:00Z.
pub const MONDAY: u64 = 1_774_821_600_000_000_000;

pub fn user(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}

pub fn shard() -> Principal {
    Principal::from_slice(&[0xca, 1])
}

pub fn ctx_at(caller: Principal, now_ns: u64) -> Ctx {
    Ctx {
        caller,
        now_ns,
        shard: shard(),
    }
}

/// A one-hour lesson in Berlin.
pub fn lesson(start: u64) -> EventInput {
    EventInput::timed("Lesson", start, start + HOUR, "Europe/Berlin")
}

pub fn weekly(start: u64, count: u32) -> EventInput {
    EventInput {
        recurrence: Some(Recurrence {
            rule: format!("FREQ=WEEKLY;COUNT={count}"),
            exdates_ns: vec![],
            rdates_ns: None,
        }),
        ..lesson(start)
    }
}

/// Monday mornings 9 to 12 in Berlin, hour slots every half hour, 15 minutes buffer.
pub fn policy() -> BookingPolicy {
    BookingPolicy {
        time_zone: "Europe/Berlin".into(),
        working_hours: vec![WorkingHours {
            weekday: Weekday::Monday,
            start_minute: 9 * 60,
            end_minute: 12 * 60,
        }],
        slot_minutes: 60,
        step_minutes: 30,
        buffer_before_minutes: 15,
        buffer_after_minutes: 15,
        min_notice_minutes: 0,
        horizon_days: 30,
        booking_title: "Lesson".into(),
    }
}

pub struct Fixture {
    pub store: Store<VectorMemory>,
    pub shard: Principal,
    /// The store's memories, shared with it, to compare their bytes.
    memories: Vec<VectorMemory>,
}

/// An empty store; its clock reads a week before [`MONDAY`].
pub fn fixture() -> Fixture {
    let memories: Vec<VectorMemory> = (0..19).map(|_| VectorMemory::default()).collect();
    Fixture {
        store: Store::init(memories_of(&memories)),
        shard: shard(),
        memories,
    }
}

/// The store's memories, each one of `memories` in a fixed order.
fn memories_of(memories: &[VectorMemory]) -> Memories<VectorMemory> {
    let m = |i: usize| memories[i].clone();
    Memories {
        meta: m(0),
        legacy_events: m(1),
        records: m(18),
        owned: m(2),
        by_time: m(3),
        by_series: m(4),
        by_uid: m(5),
        users: m(6),
        participations: m(7),
        policies: m(8),
        reminder_outbox: m(9),
        ics_extras: m(10),
        contacts: m(16),
        audiences: m(17),
        invitations: super::InvitationMemories {
            outbox: m(11),
            due: m(12),
            pending: m(13),
            received: m(14),
            by_time: m(15),
        },
    }
}

/// `caller` at the fixture's clock, a week before [`MONDAY`].
pub fn ctx(caller: Principal) -> Ctx {
    ctx_at(caller, MONDAY - 7 * DAY)
}

impl Fixture {
    pub fn ctx(&self, caller: Principal) -> Ctx {
        ctx(caller)
    }

    /// At most `max` events per user.
    pub fn quota(&mut self, max: u32) {
        let config = interfaces::calendar::CalendarConfig {
            max_events_per_user: max,
            ..self.store.config()
        };
        self.store.set_config(config).unwrap();
    }

    /// Every byte of every memory of the store.
    pub fn bytes(&self) -> Vec<Vec<u8>> {
        self.memories.iter().map(|m| m.borrow().clone()).collect()
    }

    /// Zeroes memory `index` (as restoring a snapshot that predates it does) and re-opens the
    /// store over the memories.
    pub fn zero_and_reopen(&mut self, index: usize) {
        self.memories[index].borrow_mut().fill(0);
        self.store = Store::init(memories_of(&self.memories));
    }
}

/// Every refused operation, run against a store holding a few events: none may change a byte.
#[test]
fn a_refused_operation_changes_no_byte() {
    let mut f = fixture();
    let (alice, bob, viewer) = (f.ctx(user(1)), f.ctx(user(2)), f.ctx(user(3)));
    let anonymous = f.ctx(Principal::anonymous());
    let mut shared = weekly(MONDAY, 4);
    shared.visibility = Some(Visibility::Shared(vec![interfaces::calendar::Share {
        principal: user(3),
        role: interfaces::calendar::Role::Viewer,
    }]));
    shared.reminders_minutes = Some(vec![10]);
    let series = f.store.create(&alice, shared).unwrap();
    let mut public = lesson(MONDAY + DAY);
    public.visibility = Some(Visibility::Public);
    let public = f.store.create(&alice, public).unwrap();
    f.quota(2);

    let before = f.bytes();
    let title = |t: &str| EventPatch {
        title: Some(t.into()),
        ..Default::default()
    };
    let s = &mut f.store;
    let refused: Vec<(&str, Result<(), Error>)> = vec![
        ("over quota", s.create(&alice, lesson(MONDAY)).map(drop)),
        (
            "anonymous create",
            s.create(&anonymous, lesson(MONDAY)).map(drop),
        ),
        (
            "empty title",
            s.update(&alice, series.id, 1, title("")).map(drop),
        ),
        (
            "stale",
            s.update(&alice, series.id, 7, title("x")).map(drop),
        ),
        (
            "viewer edits",
            s.update(&viewer, series.id, 1, title("x")).map(drop),
        ),
        (
            "stranger edits",
            s.update(&bob, series.id, 1, title("x")).map(drop),
        ),
        (
            "anonymous edits public",
            s.update(&anonymous, public.id, 1, title("x")).map(drop),
        ),
        ("anonymous deletes", s.delete(&anonymous, public.id, None)),
        ("viewer deletes", s.delete(&viewer, series.id, None)),
        (
            "viewer answers",
            s.rsvp(&viewer, series.id, Rsvp::Accepted).map(drop),
        ),
        (
            "not an instance",
            s.edit_instance(&alice, series.id, 1, MONDAY + HOUR, InstanceEdit::Cancelled)
                .map(drop),
        ),
        (
            "split over quota",
            s.split(
                &alice,
                series.id,
                1,
                MONDAY + 14 * DAY,
                EventPatch::default(),
            )
            .map(drop),
        ),
        (
            "split a one-off",
            s.split(&alice, public.id, 1, MONDAY + DAY, EventPatch::default())
                .map(drop),
        ),
        ("anonymous policy", s.set_policy(&anonymous, Some(policy()))),
        ("anonymous import", s.import(&anonymous, vec![]).map(drop)),
    ];
    for (what, result) in refused {
        assert!(result.is_err(), "{what}: accepted");
        assert!(f.bytes() == before, "{what}: changed stable memory");
    }
}

/// The same operations succeed once the reason is gone (so the test above refuses for the
/// reason it names).
#[test]
fn the_refused_operations_succeed_for_the_right_caller() {
    let mut f = fixture();
    let alice = f.ctx(user(1));
    let series = f.store.create(&alice, weekly(MONDAY, 4)).unwrap();
    let renamed = EventPatch {
        title: Some("Theory".into()),
        ..Default::default()
    };
    let e = f.store.update(&alice, series.id, 1, renamed).unwrap();
    assert_eq!(e.revision, 2);
    let cancelled = f
        .store
        .edit_instance(
            &alice,
            series.id,
            2,
            MONDAY + 7 * DAY,
            InstanceEdit::Cancelled,
        )
        .unwrap();
    assert_eq!(cancelled.overrides.len(), 1);
    let split = f
        .store
        .split(
            &alice,
            series.id,
            3,
            MONDAY + 14 * DAY,
            EventPatch::default(),
        )
        .unwrap();
    assert_eq!((split.before.revision, split.after.revision), (4, 1));
    f.store.delete(&alice, split.after.id, Some(1)).unwrap();
    assert_eq!(f.store.event_count(), 1);
}
