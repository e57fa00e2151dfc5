//! The invitations' unit tests: both sides on one store (`VectorMemory`).

use super::*;
use crate::store::tests::{ctx, fixture, lesson, user, DAY, HOUR, MONDAY};
use interfaces::calendar::{EventPatch, Rsvp};

const BACKOFF: Backoff = Backoff {
    base_ns: 1_000,
    max_ns: 8_000,
};

fn invited(attendees: Vec<Principal>) -> interfaces::calendar::EventInput {
    interfaces::calendar::EventInput {
        attendees: Some(attendees),
        ..lesson(MONDAY)
    }
}

#[test]
fn changes_coalesce_per_attendee_and_only_what_they_see_is_sent() {
    let mut f = fixture();
    let alice = ctx(user(1));
    let e = f
        .store
        .create(&alice, invited(vec![user(1), user(2), user(3)]))
        .unwrap();
    let due = f.store.invitations().due(u64::MAX, 10);
    assert_eq!(due.len(), 2, "the organizer invites nobody: {due:?}");
    // A description is not theirs to see: nothing new is queued for it.
    let described = EventPatch {
        description: Some("bring papers".into()),
        ..Default::default()
    };
    let e = f.store.update(&alice, e.id, e.revision, described).unwrap();
    assert_eq!(f.store.invitations().due(u64::MAX, 10), due);
    // A new title replaces the pending messages in place.
    let renamed = EventPatch {
        title: Some("Exam".into()),
        ..Default::default()
    };
    let e = f.store.update(&alice, e.id, e.revision, renamed).unwrap();
    let due = f.store.invitations().due(u64::MAX, 10);
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|(_, m)| m.revision == e.revision
        && matches!(&m.change, InvitationChange::Set(v) if v.title == "Exam")));
    // Removing user(3) withdraws theirs.
    let fewer = EventPatch {
        attendees: Some(vec![user(2)]),
        ..Default::default()
    };
    f.store.update(&alice, e.id, e.revision, fewer).unwrap();
    let withdrawn: Vec<_> = f
        .store
        .invitations()
        .due(u64::MAX, 10)
        .into_iter()
        .filter(|(_, m)| m.change == InvitationChange::Withdrawn)
        .map(|(_, m)| m.attendee)
        .collect();
    assert_eq!(withdrawn, [user(3)]);
}

#[test]
fn a_delivery_keeps_a_newer_message_and_a_failure_backs_off() {
    let mut f = fixture();
    let alice = ctx(user(1));
    let e = f.store.create(&alice, invited(vec![user(2)])).unwrap();
    let sent = f.store.invitations().due(u64::MAX, 10);
    f.store.invitations_mut().failed(&sent, 100, BACKOFF);
    assert!(f.store.invitations().due(100, 10).is_empty());
    assert_eq!(f.store.invitations().due(1_100, 10), sent);
    f.store.invitations_mut().failed(&sent, 1_100, BACKOFF);
    assert!(f.store.invitations().due(2_099, 10).is_empty(), "doubled");
    // A change while the delivery is on its way: the newer message stays.
    f.store.rsvp(&ctx(user(2)), e.id, Rsvp::Accepted).unwrap();
    f.store.invitations_mut().delivered(&sent);
    assert_eq!(f.store.invitations().pending_len(), 1);
    let newer = f.store.invitations().due(u64::MAX, 10);
    assert_ne!(newer, sent);
    f.store.invitations_mut().delivered(&newer);
    assert_eq!(f.store.invitations().pending_len(), 0);
}

#[test]
fn the_receiver_keeps_the_newest_revision_and_refuses_forged_senders() {
    let mut f = fixture();
    let alice = ctx(user(1));
    let e = f.store.create(&alice, invited(vec![user(2)])).unwrap();
    let first: Vec<_> = f
        .store
        .invitations()
        .due(u64::MAX, 10)
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    let organizer = f.shard;
    let held = f.store.invitations_mut();
    assert!(matches!(
        held.receive(user(9), first.clone()),
        Err(Error::Forbidden { .. })
    ));
    assert_eq!(held.held_len(), 0);
    assert_eq!(held.receive(organizer, first.clone()), Ok(1));
    assert_eq!(held.receive(organizer, first.clone()), Ok(0), "idempotent");
    let mut older = first[0].clone();
    older.revision = 0;
    older.change = InvitationChange::Withdrawn;
    assert_eq!(held.receive(organizer, vec![older]), Ok(0), "stale");
    let page = held
        .list(&user(2), &InvitationListRequest::default())
        .unwrap();
    assert_eq!(ids(&page), [e.id]);
    let mut gone = first[0].clone();
    gone.revision = 5;
    gone.change = InvitationChange::Withdrawn;
    assert_eq!(held.receive(organizer, vec![gone]), Ok(1));
    assert_eq!(held.held_len(), 0);
}

#[test]
fn a_deleted_event_withdraws_every_invitation() {
    let mut f = fixture();
    let alice = ctx(user(1));
    let e = f
        .store
        .create(&alice, invited(vec![user(2), user(3)]))
        .unwrap();
    f.store.delete(&alice, e.id, None).unwrap();
    let due = f.store.invitations().due(u64::MAX, 10);
    assert_eq!(due.len(), 2);
    assert!(due
        .iter()
        .all(|(_, m)| m.change == InvitationChange::Withdrawn && m.revision == 2));
}

/// Delivers everything due into the same store (attendees on the organizer's shard).
fn deliver_here(f: &mut crate::store::tests::Fixture) {
    let due = f.store.invitations().due(u64::MAX, 100);
    let messages = due.iter().map(|(_, m)| m.clone()).collect();
    let shard = f.shard;
    f.store.invitations_mut().receive(shard, messages).unwrap();
    f.store.invitations_mut().delivered(&due);
}

fn busy_of(f: &crate::store::tests::Fixture, who: Principal) -> Vec<(u64, u64)> {
    let blocks = f.store.busy(&who, MONDAY - DAY, MONDAY + 30 * DAY).unwrap();
    blocks.iter().map(|b| (b.start_ns, b.end_ns)).collect()
}

#[test]
fn invitations_block_time_until_declined_and_series_count_per_instance() {
    let mut f = fixture();
    let alice = ctx(user(1));
    let one = f.store.create(&alice, invited(vec![user(2)])).unwrap();
    let mut weekly = crate::store::tests::weekly(MONDAY + 2 * HOUR, 3);
    weekly.attendees = Some(vec![user(2)]);
    f.store.create(&alice, weekly).unwrap();
    deliver_here(&mut f);
    let week = 7 * DAY;
    let expected: Vec<(u64, u64)> = vec![
        (MONDAY, MONDAY + HOUR),
        (MONDAY + 2 * HOUR, MONDAY + 3 * HOUR),
        (MONDAY + week + 2 * HOUR, MONDAY + week + 3 * HOUR),
        (MONDAY + 2 * week + 2 * HOUR, MONDAY + 2 * week + 3 * HOUR),
    ];
    assert_eq!(busy_of(&f, user(2)), expected);
    // Declining the one-off frees its hour; accepting keeps it busy.
    f.store.rsvp(&ctx(user(2)), one.id, Rsvp::Declined).unwrap();
    deliver_here(&mut f);
    assert_eq!(busy_of(&f, user(2)), expected[1..]);
    f.store.rsvp(&ctx(user(2)), one.id, Rsvp::Accepted).unwrap();
    deliver_here(&mut f);
    assert_eq!(busy_of(&f, user(2)), expected);
    // Account deletion removes the invitations and what they block.
    f.store.delete_user(&alice, &user(2), 500);
    assert_eq!(f.store.invitations().held_len(), 0);
    assert!(busy_of(&f, user(2)).is_empty());
}

fn list_of(
    f: &crate::store::tests::Fixture,
    caller: Principal,
    owner: Principal,
    cursor: Option<interfaces::calendar::ListCursor>,
    limit: u32,
    include_declined: bool,
) -> interfaces::calendar::EventPage {
    let req = interfaces::calendar::ListRequest {
        owner: Some(owner),
        from_ns: MONDAY - DAY,
        to_ns: MONDAY + 30 * DAY,
        cursor,
        limit: Some(limit),
        include_declined: Some(include_declined),
    };
    f.store.list(&ctx(caller), &req).unwrap()
}

/// (start, event id, invited answer) of each occurrence of a page.
fn seen(page: &interfaces::calendar::EventPage) -> Vec<(u64, u64, Option<Rsvp>)> {
    let occurrences = page.occurrences.iter();
    occurrences
        .map(|o| (o.start_ns, o.event_id, o.invited.map(|i| i.rsvp)))
        .collect()
}

#[test]
fn your_own_listing_merges_invitations_in_start_order_pages_and_leaves_out_declined_ones() {
    let mut f = fixture();
    let (alice, bob) = (ctx(user(1)), ctx(user(2)));
    let meeting = f.store.create(&alice, invited(vec![user(2)])).unwrap();
    let mut weekly = crate::store::tests::weekly(MONDAY + 2 * HOUR, 3);
    weekly.attendees = Some(vec![user(2)]);
    let series = f.store.create(&alice, weekly).unwrap();
    let own = f.store.create(&bob, lesson(MONDAY + HOUR)).unwrap();
    deliver_here(&mut f);

    let week = 7 * DAY;
    let waiting = Some(Rsvp::NeedsAction);
    let expected = vec![
        (MONDAY, meeting.id, waiting),
        (MONDAY + HOUR, own.id, None),
        (MONDAY + 2 * HOUR, series.id, waiting),
        (MONDAY + week + 2 * HOUR, series.id, waiting),
        (MONDAY + 2 * week + 2 * HOUR, series.id, waiting),
    ];
    let all = list_of(&f, user(2), user(2), None, 50, false);
    assert_eq!(seen(&all), expected);
    assert_eq!(all.next_cursor, None);
    let own_ids: Vec<_> = all.events.iter().map(|e| e.id).collect();
    assert_eq!(own_ids, [own.id], "events are the listed calendar's own");
    let held: Vec<_> = all
        .invitations
        .iter()
        .flatten()
        .map(|i| i.event_id)
        .collect();
    assert_eq!(held, [meeting.id, series.id]);
    assert!(all
        .occurrences
        .iter()
        .all(|o| o.invited.is_none_or(|i| i.organizer_shard == f.shard)));

    // One at a time: the same occurrences, no gaps, no repeats, each page's references.
    let (mut walked, mut cursor) = (Vec::new(), None);
    loop {
        let page = list_of(&f, user(2), user(2), cursor, 1, false);
        let o = page.occurrences[0];
        match o.invited {
            Some(_) => assert_eq!(page.invitations.as_ref().map(Vec::len), Some(1)),
            None => assert_eq!((page.events.len(), page.invitations.clone()), (1, None)),
        }
        walked.extend(seen(&page));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(walked, expected);

    // Declining leaves the meeting out, unless asked for; answering shows in the listing.
    f.store.rsvp(&bob, meeting.id, Rsvp::Declined).unwrap();
    f.store.rsvp(&bob, series.id, Rsvp::Accepted).unwrap();
    deliver_here(&mut f);
    let accepted = Some(Rsvp::Accepted);
    let without: Vec<_> = expected[1..]
        .iter()
        .map(|&(at, id, r)| (at, id, r.map(|_| Rsvp::Accepted)))
        .collect();
    assert_eq!(
        seen(&list_of(&f, user(2), user(2), None, 50, false)),
        without
    );
    let with = seen(&list_of(&f, user(2), user(2), None, 50, true));
    assert_eq!(with[0], (MONDAY, meeting.id, Some(Rsvp::Declined)));
    assert_eq!(with[1..], without[..]);
    assert_eq!(without[1].2, accepted);

    // Someone else looking at Bob's calendar sees only what Bob organizes and shares.
    let other = list_of(&f, user(3), user(2), None, 50, true);
    assert!(other.occurrences.iter().all(|o| o.invited.is_none()));
    assert_eq!(other.invitations, None);
}

#[test]
fn a_restore_has_everyone_forget_this_shards_invitations_then_queues_them_all_again() {
    let mut f = fixture();
    let alice = ctx(user(1));
    let kept = f
        .store
        .create(&alice, invited(vec![user(2), user(3)]))
        .unwrap();
    let vanished = f.store.create(&alice, invited(vec![user(2)])).unwrap();
    f.store.create(&alice, lesson(MONDAY)).unwrap();
    deliver_here(&mut f);
    // Held from another organizer shard: a restore of this one leaves them alone.
    let other = Principal::from_slice(&[0xca, 2]);
    let message = InvitationMessage {
        attendee: user(2),
        organizer_shard: other,
        event_id: kept.id,
        revision: 1,
        change: InvitationChange::Set(view_for(&kept, &user(2)).unwrap()),
    };
    f.store
        .invitations_mut()
        .receive(other, vec![message])
        .unwrap();
    assert_eq!(f.store.invitations().held_len(), 4);
    // A change waits in the outbox when the restore comes: it was queued for the data as it
    // was before.
    f.store.delete(&alice, vanished.id, None).unwrap();
    assert_eq!(f.store.invitations().pending_len(), 1);

    let before = f.store.meta().clone();
    f.store.mark_restored(&before, 0);
    assert_eq!(f.store.invitations().pending_len(), 0);
    let shard = f.shard;
    assert!(!f.store.may_deliver_invitations_to(&shard));
    assert!(!f.store.may_deliver_invitations_to(&other));
    assert!(
        !f.store
            .meta()
            .invitation_forget
            .as_ref()
            .unwrap()
            .ask_resend,
        "it kept what it held for its users"
    );
    assert_eq!(
        f.store.invitations_mut().forget_organizer(&shard, 2),
        (2, false)
    );
    assert_eq!(
        f.store.invitations_mut().forget_organizer(&shard, 2),
        (1, true)
    );
    assert_eq!(
        f.store.invitations().held_len(),
        1,
        "the other organizer's stays"
    );
    let members = [shard, other];
    f.store.invitations_forgotten_by(shard, &members);
    assert!(f.store.may_deliver_invitations_to(&shard));
    assert!(
        !f.store.may_deliver_invitations_to(&other),
        "not confirmed yet"
    );
    // Two events per batch: the three stored events take two batches.
    assert!(f.store.requeue_invitations(&alice, 2));
    assert!(!f.store.requeue_invitations(&alice, 2));
    assert_eq!(f.store.meta().invitation_requeue_from, None);
    let queued: Vec<(Principal, u64)> = f
        .store
        .invitations()
        .due(u64::MAX, 10)
        .into_iter()
        .map(|(_, m)| (m.attendee, m.event_id))
        .collect();
    assert_eq!(queued, [(user(2), kept.id), (user(3), kept.id)]);
    deliver_here(&mut f);
    assert_eq!(f.store.invitations().held_len(), 3);
    f.store.invitations_forgotten_by(other, &members);
    assert_eq!(f.store.meta().invitation_forget, None, "every shard forgot");
    assert!(f.store.may_deliver_invitations_to(&other));
    // Asked by a shard restored into a new canister: everything is queued again.
    f.store.resend_invitations();
    assert!(!f.store.requeue_invitations(&alice, 10));
    assert_eq!(f.store.invitations().due(u64::MAX, 10).len(), 2);
}

#[test]
fn one_occurrence_answered_on_its_own_is_listed_and_counted_with_that_answer() {
    let mut f = fixture();
    let (alice, bob) = (ctx(user(1)), ctx(user(2)));
    let mut weekly = crate::store::tests::weekly(MONDAY + 2 * HOUR, 3);
    weekly.attendees = Some(vec![user(2)]);
    let series = f.store.create(&alice, weekly).unwrap();
    let week = 7 * DAY;
    let second = MONDAY + week + 2 * HOUR;
    f.store.rsvp(&bob, series.id, Rsvp::Accepted).unwrap();
    let answered = f
        .store
        .rsvp_occurrence(&bob, series.id, second, Rsvp::Declined)
        .unwrap();
    assert_eq!(
        answered.occurrence_rsvps,
        Some(vec![interfaces::calendar::OccurrenceRsvp {
            principal: user(2),
            original_start_ns: second,
            rsvp: Rsvp::Declined,
        }])
    );
    deliver_here(&mut f);

    // The declined occurrence frees its hour and leaves the listing; the others stay accepted.
    let accepted = Some(Rsvp::Accepted);
    let first = (MONDAY + 2 * HOUR, series.id, accepted);
    let third = (MONDAY + 2 * week + 2 * HOUR, series.id, accepted);
    assert_eq!(
        seen(&list_of(&f, user(2), user(2), None, 50, false)),
        [first, third]
    );
    let with_declined = list_of(&f, user(2), user(2), None, 50, true);
    let declined = (second, series.id, Some(Rsvp::Declined));
    assert_eq!(seen(&with_declined), [first, declined, third]);
    // A page of one still walks past the declined occurrence.
    let page = list_of(&f, user(2), user(2), None, 1, false);
    assert_eq!(seen(&page), [first]);
    let next = list_of(&f, user(2), user(2), page.next_cursor, 1, false);
    assert_eq!(seen(&next), [third]);
    let busy: Vec<u64> = busy_of(&f, user(2)).iter().map(|b| b.0).collect();
    assert_eq!(busy, [first.0, third.0]);

    // Declining the series but accepting one occurrence: only that one is busy and listed.
    f.store.rsvp(&bob, series.id, Rsvp::Declined).unwrap();
    f.store
        .rsvp_occurrence(&bob, series.id, second, Rsvp::Accepted)
        .unwrap();
    deliver_here(&mut f);
    let accepted_one = (second, series.id, Some(Rsvp::Accepted));
    assert_eq!(
        seen(&list_of(&f, user(2), user(2), None, 50, false)),
        [accepted_one]
    );
    assert_eq!(busy_of(&f, user(2)), [(second, second + HOUR)]);

    // An answer for the whole series replaces the one for the occurrence.
    let all = f.store.rsvp(&bob, series.id, Rsvp::Declined).unwrap();
    assert_eq!(all.occurrence_rsvps, None);
    deliver_here(&mut f);
    assert!(seen(&list_of(&f, user(2), user(2), None, 50, false)).is_empty());
    assert!(busy_of(&f, user(2)).is_empty());
}
