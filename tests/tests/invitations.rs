//! Invitations across shards on the real wasm: the load balancer places users on two calendar
//! shards, and what an organizer does reaches each attendee's home shard: creation, changes,
//! answers, attendee removal and deletion; a stopped attendee shard catches up after it starts,
//! and an upgrade of the organizer's shard mid-delivery loses nothing, and when a lost shard is
//! replaced the organizer's shard finds its users on the new one; an invitation not declined
//! makes the attendee busy on their own shard, is never offered or booked on their booking
//! page, and is in their own listing with their answer; reminders reach each attendee at their
//! own minutes for what they accepted; deleting an attendee's account removes their
//! invitations and their place in the meeting. Only calendar shards may deliver, and only their
//! own events. Team free/busy asks people's shards from one composite query.

use std::time::Duration;

use candid::utils::ArgumentEncoder;
use candid::{encode_args, Principal};
use integration_tests::{operator, user, Group, Suite};
use interfaces::backup::{
    BackupStats, RecoveryReport, RecoveryTarget, SnapshotInfo, SnapshotPage, SnapshotQuery,
    StepOutcome,
};
use interfaces::calendar::{
    BusyBlock, Event, EventInput, EventPage, EventPatch, FreeBusyAudience, FreeBusyRequest,
    ListCursor, ListRequest, OccurrenceRsvp, PersonBusy, Role, Rsvp, Share, TeamFreeBusyRequest,
    Visibility,
};
use interfaces::invitation::{
    Invitation, InvitationChange, InvitationDeliveryStatus, InvitationListRequest,
    InvitationMessage, InvitationPage,
};
use interfaces::security::MemberInit;
use interfaces::{CanisterKind, Error, Permission};
use serde_bytes::ByteBuf;

const HOUR: u64 = 3_600_000_000_000;

struct Fixture {
    suite: Suite,
    group: Group,
    shards: Vec<Principal>,
}

/// Two calendar shards, a user registry and a load balancer in one group.
fn fixture() -> Fixture {
    fixture_of(&[
        CanisterKind::UserRegistry,
        CanisterKind::LoadBalancer,
        CanisterKind::Calendar,
        CanisterKind::Calendar,
    ])
}

fn fixture_of(kinds: &[CanisterKind]) -> Fixture {
    let suite = Suite::new();
    let group = suite.group(kinds);
    let shards = group.members_of(CanisterKind::Calendar);
    suite.settle();
    Fixture {
        suite,
        group,
        shards,
    }
}

/// Users placed by the balancer: (organizer, attendee on the other shard, attendee on the
/// organizer's shard).
struct People {
    alice: Principal,
    bob: Principal,
    carol: Principal,
    home: Principal,
    away: Principal,
}

impl Fixture {
    /// Signs up users until one shard holds two of them and the other one.
    fn people(&self) -> People {
        let mut placed: Vec<(Principal, Principal)> = vec![];
        for n in 1..=10 {
            let who = user(n);
            placed.push((who, self.suite.sign_up(&self.group, who)));
            let home = placed[0].1;
            let same: Vec<_> = placed.iter().filter(|(_, s)| *s == home).collect();
            let other: Vec<_> = placed.iter().filter(|(_, s)| *s != home).collect();
            if same.len() >= 2 && !other.is_empty() {
                return People {
                    alice: same[0].0,
                    carol: same[1].0,
                    bob: other[0].0,
                    home,
                    away: other[0].1,
                };
            }
        }
        panic!("the balancer put every user on one shard: {placed:?}");
    }

    fn now(&self) -> u64 {
        self.suite.env.get_time().as_nanos_since_unix_epoch()
    }

    fn create(&self, shard: Principal, who: Principal, input: EventInput) -> Event {
        let (r,): (Result<Event, Error>,) = self
            .suite
            .update(shard, who, "create_event", (input,))
            .unwrap();
        r.expect("created")
    }

    fn update(&self, shard: Principal, who: Principal, e: &Event, patch: EventPatch) -> Event {
        let (r,): (Result<Event, Error>,) = self
            .suite
            .update(shard, who, "update_event", (e.id, e.revision, patch))
            .unwrap();
        r.expect("updated")
    }

    /// An update of `shard` by `who` that answers an event.
    fn event_call<A: ArgumentEncoder>(
        &self,
        shard: Principal,
        who: Principal,
        method: &str,
        args: A,
    ) -> Result<Event, Error> {
        let (r,) = self.suite.update(shard, who, method, args).unwrap();
        r
    }

    fn invitations(&self, shard: Principal, who: Principal) -> Vec<Invitation> {
        let (r,): (Result<InvitationPage, Error>,) = self
            .suite
            .query(
                shard,
                who,
                "list_invitations",
                (InvitationListRequest::default(),),
            )
            .unwrap();
        r.expect("listed").invitations
    }

    /// `user`'s busy time over `[from_ns, to_ns)` as `asker` sees it through `shard`.
    fn free_busy(
        &self,
        shard: Principal,
        asker: Principal,
        user: Principal,
        (from_ns, to_ns): (u64, u64),
    ) -> Result<Vec<BusyBlock>, Error> {
        let req = FreeBusyRequest {
            user,
            from_ns,
            to_ns,
        };
        let (r,) = self.suite.query(shard, asker, "free_busy", (req,)).unwrap();
        r
    }

    /// `who`'s own calendar over `[from_ns, to_ns)` on `shard`, one page.
    fn list(
        &self,
        shard: Principal,
        who: Principal,
        (from_ns, to_ns): (u64, u64),
        cursor: Option<ListCursor>,
        limit: Option<u32>,
        include_declined: bool,
    ) -> EventPage {
        let req = ListRequest {
            owner: None,
            from_ns,
            to_ns,
            cursor,
            limit,
            include_declined: Some(include_declined),
        };
        let (r,): (Result<EventPage, Error>,) =
            self.suite.query(shard, who, "list_events", (req,)).unwrap();
        r.expect("listed")
    }

    fn status(&self, shard: Principal) -> InvitationDeliveryStatus {
        let (s,): (InvitationDeliveryStatus,) = self
            .suite
            .query(shard, user(99), "get_invitation_delivery_status", ())
            .unwrap();
        s
    }
}

fn meeting(start: u64, attendees: Vec<Principal>) -> EventInput {
    EventInput {
        attendees: Some(attendees),
        location: Some("Room 1".into()),
        description: Some("for the organizer's eyes".into()),
        ..EventInput::timed("Planning", start, start + HOUR, "Europe/Berlin")
    }
}

#[test]
fn an_invitation_reaches_attendees_on_both_shards_and_follows_changes_answers_and_deletion() {
    let f = fixture();
    let p = f.people();
    assert_ne!(p.home, p.away);
    assert!(f.shards.contains(&p.home) && f.shards.contains(&p.away));
    let start = f.now() + 24 * HOUR;
    let e = f.create(p.home, p.alice, meeting(start, vec![p.bob, p.carol]));
    f.suite.settle();

    // Bob's shard holds his invitation; Carol's is on the organizer's own shard.
    let bob = f.invitations(p.away, p.bob);
    assert_eq!(bob.len(), 1, "{:?}", f.status(p.home));
    let inv = &bob[0];
    assert_eq!(
        (inv.organizer_shard, inv.event_id, inv.revision),
        (p.home, e.id, 1)
    );
    assert_eq!(
        (
            inv.view.organizer,
            inv.view.title.as_str(),
            inv.view.location.as_str(),
            inv.view.rsvp
        ),
        (p.alice, "Planning", "Room 1", Rsvp::NeedsAction)
    );
    assert_eq!(f.invitations(p.home, p.carol).len(), 1);
    assert!(f.invitations(p.home, p.bob).is_empty(), "not Bob's home");
    assert!(
        f.invitations(p.away, p.carol).is_empty(),
        "not Carol's home"
    );
    let status = f.status(p.home);
    assert_eq!(
        (status.pending, status.calls_made, status.delivered_locally),
        (0, 1, 1)
    );
    assert_eq!(status.last_error, None);

    // A time change reaches Bob with the next revision.
    let moved = EventPatch {
        time: Some(interfaces::calendar::EventTime::Timed {
            start_ns: start + HOUR,
            end_ns: start + 2 * HOUR,
        }),
        ..Default::default()
    };
    let e = f.update(p.home, p.alice, &e, moved);
    f.suite.settle();
    let bob = f.invitations(p.away, p.bob);
    assert_eq!(bob[0].revision, e.revision);
    assert_eq!(
        bob[0].view.time,
        interfaces::calendar::EventTime::Timed {
            start_ns: start + HOUR,
            end_ns: start + 2 * HOUR
        }
    );

    // Bob answers on the organizer's shard; his own shard's copy follows.
    let e = f
        .event_call(p.home, p.bob, "rsvp", (e.id, Rsvp::Accepted))
        .unwrap();
    f.suite.settle();
    assert_eq!(f.invitations(p.away, p.bob)[0].view.rsvp, Rsvp::Accepted);

    // Removing Carol withdraws hers; Bob keeps his.
    let e = f.update(
        p.home,
        p.alice,
        &e,
        EventPatch {
            attendees: Some(vec![p.bob]),
            ..Default::default()
        },
    );
    f.suite.settle();
    assert!(f.invitations(p.home, p.carol).is_empty());
    assert_eq!(f.invitations(p.away, p.bob).len(), 1);

    // Deleting the event withdraws Bob's too.
    let (deleted,): (Result<(), Error>,) = f
        .suite
        .update(p.home, p.alice, "delete_event", (e.id, Some(e.revision)))
        .unwrap();
    deleted.unwrap();
    f.suite.settle();
    assert!(f.invitations(p.away, p.bob).is_empty());
    assert_eq!(f.status(p.home).pending, 0);
}

#[test]
fn a_stopped_attendee_shard_catches_up_after_it_starts_and_an_upgrade_mid_delivery_loses_nothing() {
    let f = fixture();
    let p = f.people();
    f.suite
        .env
        .stop_canister(p.away, Some(operator()))
        .expect("stopped");
    let start = f.now() + 24 * HOUR;
    let e = f.create(p.home, p.alice, meeting(start, vec![p.bob]));
    f.suite.settle();
    let waiting = f.status(p.home);
    assert_eq!(waiting.pending, 1);
    assert!(waiting.last_error.is_some(), "{waiting:?}");

    // Two more changes while Bob's shard is down coalesce into one pending message.
    let e = f.update(
        p.home,
        p.alice,
        &e,
        EventPatch {
            title: Some("Planning (moved room)".into()),
            location: Some("Room 2".into()),
            ..Default::default()
        },
    );
    f.suite.advance(Duration::from_secs(60));
    assert_eq!(f.status(p.home).pending, 1);

    // The organizer's shard is upgraded with the message still waiting.
    f.suite.upgrade(
        p.home,
        "calendar",
        encode_args((None::<MemberInit>,)).unwrap(),
    );
    assert_eq!(f.status(p.home).pending, 1, "the outbox is stable");

    // Bob's shard starts again: within the longest backoff he has the latest version.
    f.suite
        .env
        .start_canister(p.away, Some(operator()))
        .expect("started");
    f.suite.advance(Duration::from_secs(601));
    f.suite.advance(Duration::from_secs(20));
    let bob = f.invitations(p.away, p.bob);
    assert_eq!(bob.len(), 1, "{:?}", f.status(p.home));
    assert_eq!(
        (bob[0].revision, bob[0].view.location.as_str()),
        (e.revision, "Room 2")
    );
    let status = f.status(p.home);
    assert_eq!((status.pending, status.last_error), (0, None));
}

/// A lost shard is replaced by another (the balancer's `replace_shard`, which a restore into a
/// new shard ends with): the organizer's shard had Bob's old shard cached, its delivery there
/// fails, and it asks the balancer again and reaches Bob on the shard that replaced it.
#[test]
fn after_a_lost_shard_is_replaced_invitations_reach_its_users_on_the_new_shard() {
    let f = fixture_of(&[
        CanisterKind::UserRegistry,
        CanisterKind::LoadBalancer,
        CanisterKind::BackupCanister,
        CanisterKind::Calendar,
        CanisterKind::Calendar,
        CanisterKind::Calendar,
    ]);
    let p = f.people();
    let start = f.now() + 24 * HOUR;
    let e = f.create(p.home, p.alice, meeting(start, vec![p.bob]));
    f.suite.settle();
    assert_eq!(f.invitations(p.away, p.bob).len(), 1);

    // Bob's shard is lost, and a third shard takes its place.
    f.suite
        .env
        .stop_canister(p.away, Some(operator()))
        .expect("stopped");
    let restored = *f
        .shards
        .iter()
        .find(|s| ![p.home, p.away].contains(s))
        .expect("a third shard");
    let backup = f.group.member(CanisterKind::BackupCanister);
    let key = ByteBuf::from(f.suite.held_key(backup).expect("the backup canister's key"));
    let balancer = f.group.member(CanisterKind::LoadBalancer);
    let (moved,): (Result<u64, Error>,) = f
        .suite
        .update(balancer, backup, "replace_shard", (key, p.away, restored))
        .unwrap();
    assert!(moved.expect("replaced") >= 1);

    let e = f.update(
        p.home,
        p.alice,
        &e,
        EventPatch {
            title: Some("Planning (after the restore)".into()),
            ..Default::default()
        },
    );
    f.suite.settle();
    assert!(
        f.status(p.home).last_error.is_some(),
        "the lost shard was tried"
    );
    f.suite.advance(Duration::from_secs(601));
    f.suite.advance(Duration::from_secs(20));
    let bob = f.invitations(restored, p.bob);
    assert_eq!(bob.len(), 1, "{:?}", f.status(p.home));
    assert_eq!(
        (bob[0].revision, bob[0].view.title.as_str()),
        (e.revision, "Planning (after the restore)")
    );
    let status = f.status(p.home);
    assert_eq!((status.pending, status.last_error), (0, None));
}

#[test]
fn only_calendar_shards_deliver_and_only_their_own_events() {
    let f = fixture();
    let p = f.people();
    let forged = InvitationMessage {
        attendee: p.bob,
        organizer_shard: p.home,
        event_id: 1,
        revision: 99,
        change: InvitationChange::Withdrawn,
    };
    // A user (even with a made-up key) is no group member.
    let (r,): (Result<u64, Error>,) = f
        .suite
        .update(
            p.away,
            p.alice,
            "deliver_invitations",
            (ByteBuf::from(vec![7u8; 32]), vec![forged.clone()]),
        )
        .unwrap();
    assert!(
        matches!(r, Err(Error::NotGroupMember | Error::InvalidAccessKey)),
        "{r:?}"
    );
    // Nor may a user read the directory.
    let balancer = f.group.member(CanisterKind::LoadBalancer);
    let (r,): (Result<interfaces::load_balancer::ShardLookup, Error>,) = f
        .suite
        .query(
            balancer,
            p.alice,
            "lookup_shards",
            (ByteBuf::from(vec![7u8; 32]), vec![p.bob]),
        )
        .unwrap();
    assert!(r.is_err(), "{r:?}");
    // Signed-in callers list only their own; the anonymous caller nothing.
    let (r,): (Result<InvitationPage, Error>,) = f
        .suite
        .query(
            p.away,
            Principal::anonymous(),
            "list_invitations",
            (InvitationListRequest::default(),),
        )
        .unwrap();
    assert_eq!(r, Err(Error::AnonymousCaller));
}

#[test]
fn an_invitation_not_declined_makes_the_attendee_busy_on_their_own_shard() {
    let f = fixture();
    let p = f.people();
    let start = f.now() + 24 * HOUR;
    let e = f.create(p.home, p.alice, meeting(start, vec![p.bob]));
    f.suite.settle();
    let window = (start - HOUR, start + 3 * HOUR);
    let busy = |who: Principal| -> Vec<BusyBlock> {
        f.free_busy(p.away, who, p.bob, window).expect("free/busy")
    };
    let meeting_block = vec![BusyBlock {
        start_ns: start,
        end_ns: start + HOUR,
    }];
    // Bob invited nobody, so by default only he sees his busy times; he opens them to every
    // signed-in user.
    let r = f.free_busy(p.away, p.alice, p.bob, window);
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
    assert_eq!(busy(p.bob), meeting_block);
    let (r,): (Result<(), Error>,) = f
        .suite
        .update(
            p.away,
            p.bob,
            "set_free_busy_audience",
            (FreeBusyAudience::SignedIn,),
        )
        .unwrap();
    r.unwrap();
    // Bob's own shard knows the meeting: not answered yet is not free.
    assert_eq!(busy(p.alice), meeting_block);
    // Declined on the organizer's shard: Bob's shard frees the hour.
    f.event_call(p.home, p.bob, "rsvp", (e.id, Rsvp::Declined))
        .unwrap();
    f.suite.settle();
    assert!(busy(p.alice).is_empty());
    f.event_call(p.home, p.bob, "rsvp", (e.id, Rsvp::Accepted))
        .unwrap();
    f.suite.settle();
    assert_eq!(busy(p.carol), meeting_block);
}

#[test]
fn the_attendees_own_listing_shows_invitations_in_start_order_with_their_answer() {
    let f = fixture();
    let p = f.people();
    let start = f.now() + 24 * HOUR;
    // Bob's own event and Alice's meeting may carry the same id: ids are per shard.
    let own = f.create(
        p.away,
        p.bob,
        EventInput::timed("Dentist", start + HOUR, start + 2 * HOUR, "UTC"),
    );
    let e = f.create(p.home, p.alice, meeting(start, vec![p.bob]));
    let later = f.create(p.home, p.alice, meeting(start + 3 * HOUR, vec![p.bob]));
    f.suite.settle();

    let window = (start - HOUR, start + 5 * HOUR);
    let list = |cursor: Option<ListCursor>, limit: u32, include_declined: bool| -> EventPage {
        f.list(p.away, p.bob, window, cursor, Some(limit), include_declined)
    };
    // (start, event id, (organizer's shard, answer) when invited) of each occurrence listed.
    type Seen = (u64, u64, Option<(Principal, Rsvp)>);
    let seen = |page: &EventPage| -> Vec<Seen> {
        let occurrences = page.occurrences.iter();
        occurrences
            .map(|o| {
                let invited = o.invited.map(|i| (i.organizer_shard, i.rsvp));
                (o.start_ns, o.event_id, invited)
            })
            .collect()
    };
    let waiting = Some((p.home, Rsvp::NeedsAction));
    let expected = vec![
        (start, e.id, waiting),
        (start + HOUR, own.id, None),
        (start + 3 * HOUR, later.id, waiting),
    ];
    let page = list(None, 50, false);
    assert_eq!(seen(&page), expected);
    assert_eq!(
        page.events.iter().map(|x| x.id).collect::<Vec<_>>(),
        [own.id]
    );
    let held = page.invitations.clone().unwrap_or_default();
    let titles: Vec<_> = held
        .iter()
        .map(|i| (i.event_id, i.view.title.as_str()))
        .collect();
    assert_eq!(titles, [(e.id, "Planning"), (later.id, "Planning")]);

    // Two at a time: the same answer, one cursor.
    let first = list(None, 2, false);
    assert_eq!(seen(&first), expected[..2]);
    let second = list(first.next_cursor, 2, false);
    assert_eq!(seen(&second), expected[2..]);
    assert_eq!(second.next_cursor, None);

    // Bob declines the first meeting on its organizer's shard: his listing leaves it out
    // unless asked for, and says so when asked.
    f.event_call(p.home, p.bob, "rsvp", (e.id, Rsvp::Declined))
        .unwrap();
    f.suite.settle();
    assert_eq!(seen(&list(None, 50, false)), expected[1..]);
    let declined = Some((p.home, Rsvp::Declined));
    assert_eq!(seen(&list(None, 50, true))[0], (start, e.id, declined));

    // Alice, looking at her own calendar on her shard, sees only her events.
    let alices = f.list(p.home, p.alice, window, None, None, true);
    assert!(alices.occurrences.iter().all(|o| o.invited.is_none()));
    assert_eq!(alices.occurrences.len(), 2);
}

#[test]
fn an_attendee_on_another_shard_answers_one_occurrence_and_their_calendar_follows_it() {
    let f = fixture();
    let p = f.people();
    let start = f.now() + 24 * HOUR;
    let week = 7 * 24 * HOUR;
    let weekly = EventInput {
        recurrence: Some(interfaces::calendar::Recurrence {
            rule: "FREQ=WEEKLY;COUNT=3".into(),
            exdates_ns: vec![],
            rdates_ns: None,
        }),
        ..meeting(start, vec![p.bob])
    };
    let e = f.create(p.home, p.alice, weekly);
    let series_answer = |rsvp| f.event_call(p.home, p.bob, "rsvp", (e.id, rsvp));
    let occurrence_answer =
        |at: u64, rsvp| f.event_call(p.home, p.bob, "rsvp_occurrence", (e.id, at, rsvp));
    series_answer(Rsvp::Accepted).unwrap();
    let answered = occurrence_answer(start + week, Rsvp::Declined).unwrap();
    let only = OccurrenceRsvp {
        principal: p.bob,
        original_start_ns: start + week,
        rsvp: Rsvp::Declined,
    };
    assert_eq!(answered.occurrence_rsvps, Some(vec![only]));
    // Not an occurrence of the series: refused, nothing changes.
    let refused = occurrence_answer(start + HOUR, Rsvp::Declined);
    assert!(
        matches!(&refused, Err(Error::InvalidInput { field, .. }) if field == "original_start_ns"),
        "{refused:?}"
    );
    f.suite.settle();

    // Bob's own shard: the invitation carries his answer for the occurrence, his listing
    // leaves that occurrence out unless asked for, and his busy time follows.
    let held = f.invitations(p.away, p.bob);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].view.occurrence_rsvps, Some(vec![only]));
    let window = (start - HOUR, start + 3 * week);
    let list = |include_declined: bool| -> Vec<(u64, Rsvp)> {
        let page = f.list(p.away, p.bob, window, None, None, include_declined);
        let occurrences = page.occurrences.iter();
        occurrences
            .map(|o| (o.start_ns, o.invited.expect("invited").rsvp))
            .collect()
    };
    let (first, third) = ((start, Rsvp::Accepted), (start + 2 * week, Rsvp::Accepted));
    assert_eq!(list(false), [first, third]);
    assert_eq!(list(true), [first, (start + week, Rsvp::Declined), third]);
    let blocks = f.free_busy(p.away, p.bob, p.bob, window).unwrap();
    let busy: Vec<u64> = blocks.iter().map(|b| b.start_ns).collect();
    assert_eq!(busy, [start, start + 2 * week]);

    // Answering the whole series again replaces the answer for the occurrence, on both sides.
    let all = series_answer(Rsvp::Accepted).unwrap();
    assert_eq!(all.occurrence_rsvps, None);
    f.suite.settle();
    assert_eq!(f.invitations(p.away, p.bob)[0].view.occurrence_rsvps, None);
    assert_eq!(list(false).len(), 3);
}

/// Reminders of an invitation reach each attendee who accepted, at their own reminders, and
/// only for the occurrences they accepted; the organizer keeps theirs.
#[test]
fn reminders_reach_each_attendee_at_their_own_minutes_for_what_they_accepted() {
    use interfaces::notification::{NotificationPage, NotificationQuery};
    let f = fixture_of(&[
        CanisterKind::UserRegistry,
        CanisterKind::LoadBalancer,
        CanisterKind::Calendar,
        CanisterKind::Calendar,
        CanisterKind::Notification,
    ]);
    let notification = f.group.member(CanisterKind::Notification);
    let p = f.people();
    let start = f.now() + 2 * HOUR;
    let day = 24 * HOUR;
    let daily = EventInput {
        recurrence: Some(interfaces::calendar::Recurrence {
            rule: "FREQ=DAILY;COUNT=3".into(),
            exdates_ns: vec![],
            rdates_ns: None,
        }),
        reminders_minutes: Some(vec![15]),
        ..meeting(start, vec![p.bob, p.carol])
    };
    let e = f.create(p.home, p.alice, daily);
    // Bob (on the other shard) accepts with an hour's notice; Carol accepts but not the
    // second day.
    let (home, id) = (p.home, e.id);
    f.event_call(home, p.bob, "rsvp", (id, Rsvp::Accepted))
        .unwrap();
    let own = (id, Some(vec![60u32]));
    let chosen = f.event_call(home, p.bob, "set_attendee_reminders", own);
    assert!(chosen.unwrap().attendee_reminders.is_some());
    f.event_call(home, p.carol, "rsvp", (id, Rsvp::Accepted))
        .unwrap();
    let second = (id, start + day, Rsvp::Declined);
    f.event_call(home, p.carol, "rsvp_occurrence", second)
        .unwrap();
    // Only attendees choose their own reminders.
    let theirs = (id, Some(vec![5u32]));
    let refused = f.event_call(home, p.alice, "set_attendee_reminders", theirs);
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
    f.suite.settle();
    // Bob's own shard shows him his choice.
    let held = f.invitations(p.away, p.bob);
    assert_eq!(held[0].view.reminders_minutes, Some(vec![60]));

    // The reminder outbox delivers on its timer; then three days pass.
    f.suite.advance(Duration::from_secs(31));
    f.suite.advance(Duration::from_secs(3 * 24 * 3600));
    let inbox = |who: Principal| -> Vec<(u64, u32)> {
        let query = NotificationQuery {
            cursor: None,
            limit: Some(50),
            unread_only: false,
        };
        let (r,): (Result<NotificationPage, Error>,) = f
            .suite
            .query(notification, who, "get_notifications", (query,))
            .unwrap();
        let mut got: Vec<_> = r
            .unwrap()
            .notifications
            .iter()
            .map(|n| (n.occurrence_start_ns, n.minutes_before))
            .collect();
        got.sort_unstable();
        got
    };
    let every_day =
        |minutes: u32| -> Vec<(u64, u32)> { (0..3).map(|d| (start + d * day, minutes)).collect() };
    assert_eq!(inbox(p.alice), every_day(15));
    assert_eq!(inbox(p.bob), every_day(60));
    assert_eq!(inbox(p.carol), [(start, 15), (start + 2 * day, 15)]);
}

/// Account deletion across shards: the user registry asks every calendar shard, so Bob's own
/// shard forgets the invitations it holds for him and the organizer's shard takes him out of
/// Alice's meeting (with his answers for single occurrences and his own reminders); Carol's
/// invitation stays.
#[test]
fn deleting_an_attendees_account_removes_their_invitations_and_their_place_in_the_meeting() {
    use interfaces::user::{DeletionState, DeletionStatus};
    let f = fixture();
    let p = f.people();
    let start = f.now() + 24 * HOUR;
    let weekly = EventInput {
        recurrence: Some(interfaces::calendar::Recurrence {
            rule: "FREQ=WEEKLY;COUNT=3".into(),
            exdates_ns: vec![],
            rdates_ns: None,
        }),
        ..meeting(start, vec![p.bob, p.carol])
    };
    let e = f.create(p.home, p.alice, weekly);
    let (home, id) = (p.home, e.id);
    f.event_call(home, p.bob, "rsvp", (id, Rsvp::Accepted))
        .unwrap();
    let declined = (id, start + 7 * 24 * HOUR, Rsvp::Declined);
    f.event_call(home, p.bob, "rsvp_occurrence", declined)
        .unwrap();
    let own = (id, Some(vec![30u32]));
    f.event_call(home, p.bob, "set_attendee_reminders", own)
        .unwrap();
    f.suite.settle();
    assert_eq!(f.invitations(p.away, p.bob).len(), 1);

    let registry = f.group.member(CanisterKind::UserRegistry);
    let (asked,): (Result<DeletionStatus, Error>,) = f
        .suite
        .update(registry, p.bob, "delete_account", ())
        .unwrap();
    asked.expect("deletion starts");
    f.suite.settle();
    let (status,): (Result<DeletionStatus, Error>,) = f
        .suite
        .query(registry, p.bob, "get_deletion_status", ())
        .unwrap();
    let status = status.unwrap();
    assert!(
        matches!(status.state, DeletionState::Complete { .. }),
        "{status:?}"
    );
    assert!(
        f.invitations(p.away, p.bob).is_empty(),
        "Bob's shard forgot"
    );
    let (now,): (Result<Event, Error>,) = f.suite.query(home, p.alice, "get_event", (id,)).unwrap();
    let now = now.unwrap();
    let attending: Vec<Principal> = now.attendees.iter().map(|a| a.principal).collect();
    assert_eq!(attending, [p.carol]);
    assert_eq!(now.occurrence_rsvps, None);
    assert_eq!(now.attendee_reminders, None);
    assert_eq!(f.invitations(p.home, p.carol).len(), 1, "Carol keeps hers");
}

/// A host's booking page counts the meetings they are invited to on other shards: an hour
/// taken by an invitation not declined is never offered nor booked, and it comes back once
/// they decline (availability and booking are answered by the host's own shard, in one
/// message each).
#[test]
fn a_booking_page_never_offers_or_books_an_hour_an_invitation_takes() {
    use interfaces::calendar::{
        BookingPolicy, BookingRequest, Slot, SlotRequest, Weekday, WorkingHours,
    };
    let f = fixture();
    let p = f.people();
    // Bob (on the other shard) takes lessons on Mondays, 09:00 to 12:00 in Berlin.
    let policy = BookingPolicy {
        time_zone: "Europe/Berlin".into(),
        working_hours: vec![WorkingHours {
            weekday: Weekday::Monday,
            start_minute: 9 * 60,
            end_minute: 12 * 60,
        }],
        slot_minutes: 60,
        step_minutes: 60,
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        min_notice_minutes: 0,
        horizon_days: 365,
        booking_title: "Lesson".into(),
    };
    let (set,): (Result<(), Error>,) = f
        .suite
        .update(p.away, p.bob, "set_booking_policy", (Some(policy),))
        .unwrap();
    set.unwrap();
    // Monday 2025-03-03, 09:00 in Berlin is 08:00 UTC; Alice's meeting is at 10:00.
    let nine = 1_740_988_800_000_000_000;
    let e = f.create(p.home, p.alice, meeting(nine + HOUR, vec![p.bob]));
    f.suite.settle();
    let stranger = user(50);
    let offered = || -> Vec<u64> {
        let req = SlotRequest {
            host: p.bob,
            from_ns: nine,
            to_ns: nine + 3 * HOUR,
            limit: None,
        };
        let (r,): (Result<Vec<Slot>, Error>,) = f
            .suite
            .query(p.away, stranger, "available_slots", (req,))
            .unwrap();
        r.unwrap().iter().map(|s| s.start_ns).collect()
    };
    let book = |start_ns: u64| -> Result<Event, Error> {
        let req = BookingRequest {
            host: p.bob,
            start_ns,
            note: None,
        };
        let (r,) = f
            .suite
            .update(p.away, stranger, "book_slot", (req,))
            .unwrap();
        r
    };
    // Not answered yet is not free.
    assert_eq!(offered(), [nine, nine + 2 * HOUR]);
    let refused = book(nine + HOUR);
    assert!(
        matches!(refused, Err(Error::Conflict { .. })),
        "{refused:?}"
    );
    // Declined: the hour is Bob's to offer again, and a stranger books it.
    f.event_call(p.home, p.bob, "rsvp", (e.id, Rsvp::Declined))
        .unwrap();
    f.suite.settle();
    assert_eq!(offered(), [nine, nine + HOUR, nine + 2 * HOUR]);
    book(nine + HOUR).expect("booked once declined");
    assert_eq!(offered(), [nine, nine + 2 * HOUR]);
}

#[test]
fn team_free_busy_answers_for_people_on_both_shards_and_says_who_has_no_calendar() {
    let f = fixture();
    let p = f.people();
    let start = f.now() + 24 * HOUR;
    f.create(p.home, p.alice, meeting(start, vec![p.bob]));
    // Bob shares his dentist appointment with Carol: she is his contact, so she may see his
    // busy times (free/busy privacy's default), which his own shard decides for her.
    let mut dentist = EventInput::timed("Dentist", start + 2 * HOUR, start + 3 * HOUR, "UTC");
    dentist.visibility = Some(Visibility::Shared(vec![Share {
        principal: p.carol,
        role: Role::Viewer,
    }]));
    f.create(p.away, p.bob, dentist);
    f.suite.settle();

    let stranger = user(99);
    let ask_as = |asker: Principal| -> Vec<PersonBusy> {
        let req = TeamFreeBusyRequest {
            users: vec![p.bob, p.alice, p.carol, stranger, p.bob],
            from_ns: start - HOUR,
            to_ns: start + 5 * HOUR,
        };
        let (r,): (Result<Vec<PersonBusy>, Error>,) = f
            .suite
            .query(p.home, asker, "team_free_busy", (req,))
            .unwrap();
        r.expect("answered")
    };
    let ask = || ask_as(p.carol);
    let block = |from: u64, to: u64| BusyBlock {
        start_ns: from,
        end_ns: to,
    };
    let forbidden = |r: &Result<Vec<BusyBlock>, Error>| matches!(r, Err(Error::Forbidden { .. }));
    // Alice invited Bob, not Carol: by default Carol may not see Alice's time, and Alice (not
    // Bob's contact) may not see Bob's, though both live on the asking shard's group.
    let answers = ask();
    assert!(forbidden(&answers[1].busy), "{:?}", answers[1].busy);
    let alices = ask_as(p.alice);
    assert!(forbidden(&alices[0].busy), "{:?}", alices[0].busy);
    assert!(alices[1].busy.is_ok(), "her own");
    let (r,): (Result<(), Error>,) = f
        .suite
        .update(
            p.home,
            p.alice,
            "set_free_busy_audience",
            (FreeBusyAudience::SignedIn,),
        )
        .unwrap();
    r.unwrap();
    let answers = ask();
    // Only a calendar shard of the group, with its key, may ask for someone else.
    let req = FreeBusyRequest {
        user: p.bob,
        from_ns: start - HOUR,
        to_ns: start + 5 * HOUR,
    };
    let (r,): (Result<Vec<BusyBlock>, Error>,) = f
        .suite
        .query(
            p.away,
            p.alice,
            "member_free_busy",
            (ByteBuf::from(vec![7u8; 32]), p.carol, req),
        )
        .unwrap();
    assert!(
        matches!(r, Err(Error::NotGroupMember | Error::InvalidAccessKey)),
        "{r:?}"
    );
    let people: Vec<_> = answers.iter().map(|a| a.user).collect();
    assert_eq!(
        people,
        [p.bob, p.alice, p.carol, stranger],
        "once each, as asked"
    );
    // Bob's shard counts his own event and the invitation he has not declined.
    let bob = vec![
        block(start, start + HOUR),
        block(start + 2 * HOUR, start + 3 * HOUR),
    ];
    assert_eq!(answers[0].busy, Ok(bob));
    assert_eq!(answers[1].busy, Ok(vec![block(start, start + HOUR)]));
    assert_eq!(answers[2].busy, Ok(vec![]));
    assert!(matches!(answers[3].busy, Err(Error::NotFound { .. })));

    // Bob's shard stopped: his answer says so, the others' stand.
    f.suite
        .env
        .stop_canister(p.away, Some(operator()))
        .expect("stopped");
    let answers = ask();
    assert!(matches!(answers[0].busy, Err(Error::Unavailable { .. })));
    assert_eq!(answers[1].busy, Ok(vec![block(start, start + HOUR)]));
}

/// Two calendar shards, a user registry, a load balancer and the backup canister, which may
/// manage groups (it adds the shard it restores into); and the backup canister.
fn fixture_with_backup() -> (Fixture, Principal) {
    let f = fixture_of(&[
        CanisterKind::UserRegistry,
        CanisterKind::LoadBalancer,
        CanisterKind::BackupCanister,
        CanisterKind::Calendar,
        CanisterKind::Calendar,
    ]);
    let backup = f.group.member(CanisterKind::BackupCanister);
    let (r,): (Result<(), Error>,) = f
        .suite
        .update(
            f.group.registry,
            operator(),
            "add_admin",
            (backup, vec![Permission::ManageGroups]),
        )
        .unwrap();
    r.unwrap();
    (f, backup)
}

/// Runs the backup canister's next 5-minute cycle and answers `shard`'s newest snapshot.
fn snapshot_now(f: &Fixture, backup: Principal, shard: Principal) -> SnapshotInfo {
    let stats = |f: &Fixture| -> BackupStats {
        let (r,): (Result<BackupStats, Error>,) = f
            .suite
            .query(backup, operator(), "get_backup_stats", ())
            .unwrap();
        r.expect("stats")
    };
    let before = stats(f).cycles_run;
    f.suite.env.advance_time(Duration::from_secs(300));
    for _ in 0..500 {
        f.suite.env.tick();
        if stats(f).cycles_run > before {
            let query = SnapshotQuery {
                canister: Some(shard),
                before: None,
                limit: Some(1),
            };
            let (r,): (Result<SnapshotPage, Error>,) = f
                .suite
                .query(backup, operator(), "list_snapshots", (query,))
                .unwrap();
            return r.expect("listed").snapshots.remove(0);
        }
    }
    panic!("the backup cycle did not finish");
}

/// The organizer's shard is restored from a backup: the attendees on both shards end up
/// holding exactly the invitations of the restored events, at their restored revisions (an
/// event made after the snapshot is gone, a rename after it undone), and later changes reach
/// them again although their revisions repeat ones the attendees had already seen.
#[test]
fn a_restored_organizer_shard_re_synchronises_every_attendees_invitations() {
    let (f, backup) = fixture_with_backup();
    let p = f.people();
    let start = f.now() + 24 * HOUR;
    let kept = f.create(p.home, p.alice, meeting(start, vec![p.bob, p.carol]));
    f.suite.settle();
    let snapshot = snapshot_now(&f, backup, p.home);

    let renamed = f.update(
        p.home,
        p.alice,
        &kept,
        EventPatch {
            title: Some("Renamed after the snapshot".into()),
            ..Default::default()
        },
    );
    f.create(
        p.home,
        p.alice,
        meeting(start + 2 * HOUR, vec![p.bob, p.carol]),
    );
    f.suite.settle();
    let attendees = [(p.away, p.bob), (p.home, p.carol)];
    for (shard, who) in attendees {
        assert_eq!(f.invitations(shard, who).len(), 2);
    }

    let (report,): (Result<RecoveryReport, Error>,) = f
        .suite
        .update(
            backup,
            operator(),
            "execute_recovery",
            (p.home, snapshot.id, RecoveryTarget::InPlace),
        )
        .unwrap();
    let report = report.expect("recovered");
    assert!(report.restored, "{report:?}");
    f.suite.settle();
    for (shard, who) in attendees {
        let held = f.invitations(shard, who);
        let seen: Vec<_> = held
            .iter()
            .map(|i| (i.event_id, i.revision, i.view.title.as_str()))
            .collect();
        assert_eq!(seen, [(kept.id, kept.revision, "Planning")], "{who}");
    }

    let again = f.update(
        p.home,
        p.alice,
        &kept,
        EventPatch {
            title: Some("Changed after the restore".into()),
            ..Default::default()
        },
    );
    assert_eq!(again.revision, renamed.revision, "the revision repeats");
    f.suite.settle();
    for (shard, who) in attendees {
        let held = f.invitations(shard, who);
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].view.title, "Changed after the restore");
    }
    let status = f.status(p.home);
    assert_eq!((status.pending, status.last_error), (0, None));
}

/// Stops `shard` for good and has the backup canister restore `snapshot` of it into a new
/// shard, which the balancer gives its users.
fn lose_and_recover(
    f: &Fixture,
    backup: Principal,
    shard: Principal,
    snapshot: &SnapshotInfo,
) -> RecoveryReport {
    f.suite
        .env
        .stop_canister(shard, Some(operator()))
        .expect("stopped");
    f.suite.upload_calendar_wasm(f.group.registry);
    let new_shard = RecoveryTarget::NewShard {
        cycles: 2_000_000_000_000,
    };
    let (report,): (Result<RecoveryReport, Error>,) = f
        .suite
        .update(
            backup,
            operator(),
            "execute_recovery",
            (shard, snapshot.id, new_shard),
        )
        .unwrap();
    let report = report.expect("recovered");
    assert!(report.restored, "{report:?}");
    report
}

/// The attendee's shard is lost and restored from a backup into a new shard (the backup
/// canister creates it and the balancer moves the users there). Snapshots hold events, not the
/// invitations a shard holds for its users, so the new shard asks every organizer's shard to
/// send them again: Bob finds the meeting there although nobody changed it.
#[test]
fn an_attendee_shard_restored_into_a_new_shard_gets_its_users_invitations_again() {
    let (f, backup) = fixture_with_backup();
    let p = f.people();
    let start = f.now() + 24 * HOUR;
    let e = f.create(p.home, p.alice, meeting(start, vec![p.bob]));
    f.suite.settle();
    assert_eq!(f.invitations(p.away, p.bob).len(), 1);
    let snapshot = snapshot_now(&f, backup, p.away);

    let report = lose_and_recover(&f, backup, p.away, &snapshot);
    let fresh = report.target.expect("a new shard");
    assert!(report.users_moved.is_some(), "{report:?}");

    // The lost shard never answers: the new one's re-sync goes on without it, and the
    // organizer's shard finds Bob on the new shard once its call to the lost one failed.
    for _ in 0..6 {
        f.suite.advance(Duration::from_secs(20));
    }
    let bob = f.invitations(fresh, p.bob);
    let seen: Vec<_> = bob.iter().map(|i| (i.event_id, i.revision)).collect();
    assert_eq!(seen, [(e.id, e.revision)]);
    assert_eq!(bob[0].view.title, "Planning");
}

/// The organizer's shard is lost and restored into a new shard: the new shard delivers the
/// restored events' invitations again under its own name, and the backup canister has every
/// other shard drop the ones the lost shard delivered, so Bob holds each invitation once.
#[test]
fn an_organizer_shard_restored_into_a_new_shard_leaves_each_attendee_one_copy() {
    let (f, backup) = fixture_with_backup();
    let p = f.people();
    let start = f.now() + 24 * HOUR;
    let e = f.create(p.home, p.alice, meeting(start, vec![p.bob, p.carol]));
    f.suite.settle();
    assert_eq!(f.invitations(p.away, p.bob).len(), 1);
    let snapshot = snapshot_now(&f, backup, p.home);

    let report = lose_and_recover(&f, backup, p.home, &snapshot);
    let fresh = report.target.expect("a new shard");
    for name in ["forget_old_invitations", "leave_group"] {
        let step = report
            .steps
            .iter()
            .find(|s| s.name == name)
            .expect("the step is reported");
        assert_eq!(step.outcome, StepOutcome::Done, "{name}: {report:?}");
    }

    for _ in 0..6 {
        f.suite.advance(Duration::from_secs(20));
    }
    // The lost shard left the group, so the new shard's re-sync does not wait for it: no call
    // is made once everything is delivered (before, it asked the lost shard every run).
    let calls = f.status(fresh).calls_made;
    f.suite.advance(Duration::from_secs(60));
    assert_eq!(f.status(fresh).calls_made, calls, "idle once in sync");
    let held: Vec<_> = f
        .invitations(p.away, p.bob)
        .iter()
        .map(|i| (i.organizer_shard, i.event_id, i.revision))
        .collect();
    assert_eq!(held, [(fresh, e.id, e.revision)]);
    // Carol moved with Alice: the new shard holds hers, from itself.
    let carols: Vec<_> = f
        .invitations(fresh, p.carol)
        .iter()
        .map(|i| (i.organizer_shard, i.event_id))
        .collect();
    assert_eq!(carols, [(fresh, e.id)]);
}
