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
