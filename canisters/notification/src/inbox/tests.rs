//! Unit tests of inboxes over in-memory stable structures.

use super::*;
use crate::store::tests_support::store;
use ic_stable_structures::VectorMemory;

fn user(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}

fn notification(delivered_at_ns: u64) -> StoredNotification {
    StoredNotification {
        event: (Principal::from_slice(&[1, 1]), 1),
        title: "standup".into(),
        occurrence_start_ns: delivered_at_ns + 10,
        minutes_before: 0,
        due_at_ns: delivered_at_ns,
        delivered_at_ns,
        read: false,
    }
}

fn page(
    s: &Store<VectorMemory>,
    u: Principal,
    cursor: Option<u64>,
    limit: u32,
) -> NotificationPage {
    s.notifications(
        u,
        &NotificationQuery {
            cursor,
            limit: Some(limit),
            unread_only: false,
        },
    )
    .unwrap()
}

#[test]
fn pages_are_newest_first_and_each_user_sees_only_their_own() {
    let mut s = store();
    let ids: Vec<u64> = (0..7)
        .map(|t| s.deliver(user(1), notification(t)))
        .collect();
    s.deliver(user(2), notification(100));
    let first = page(&s, user(1), None, 3);
    assert_eq!(
        first.notifications.iter().map(|n| n.id).collect::<Vec<_>>(),
        vec![ids[6], ids[5], ids[4]]
    );
    let second = page(&s, user(1), first.next_cursor, 3);
    let third = page(&s, user(1), second.next_cursor, 3);
    assert_eq!(third.notifications.len(), 1);
    assert_eq!(third.next_cursor, None);
    assert_eq!(page(&s, user(3), None, 10).notifications.len(), 0);
    assert!(matches!(
        s.notifications(
            user(1),
            &NotificationQuery {
                limit: Some(MAX_PAGE + 1),
                ..Default::default()
            }
        ),
        Err(Error::InvalidInput { .. })
    ));
}

#[test]
fn marking_read_counts_only_what_changed_and_only_the_callers() {
    let mut s = store();
    let a: Vec<u64> = (0..5)
        .map(|t| s.deliver(user(1), notification(t)))
        .collect();
    let b = s.deliver(user(2), notification(9));
    assert_eq!(s.unread_count(user(1)), 5);
    assert_eq!(s.mark_read(user(1), &[a[0], a[1], a[1], b, 999]), Ok(2));
    assert_eq!(s.mark_read(user(1), &[a[0]]), Ok(0));
    assert_eq!(s.unread_count(user(1)), 3);
    assert_eq!(s.unread_count(user(2)), 1, "another user's id is skipped");
    let unread = s
        .notifications(
            user(1),
            &NotificationQuery {
                unread_only: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(unread.notifications.len(), 3);
    assert_eq!(s.mark_all_read(user(1)), 3);
    assert_eq!(s.mark_all_read(user(1)), 0);
    assert_eq!(s.unread_count(user(1)), 0);
    assert!(page(&s, user(1), None, 10)
        .notifications
        .iter()
        .all(|n| n.read));
    assert!(s.mark_read(user(1), &vec![1; MAX_MARK_IDS + 1]).is_err());
}

#[test]
fn inboxes_are_capped_and_old_notifications_expire() {
    let mut s = store();
    for t in 0..MAX_INBOX + 5 {
        s.deliver(user(1), notification(t));
    }
    s.flush();
    assert_eq!(s.inbox_counts.get(&user(1)), Some((MAX_INBOX, MAX_INBOX)));
    let oldest = page(&s, user(1), None, MAX_PAGE);
    assert_eq!(oldest.notifications[0].due_at_ns, MAX_INBOX + 4);
    assert_eq!(s.stats().expired_notifications, 5);

    let mut s = store();
    let day = NS_PER_DAY;
    s.deliver(user(1), notification(0));
    s.deliver(user(1), notification(day));
    s.deliver(user(2), notification(2 * day));
    assert!(
        !s.expire_notifications(RETENTION_NS, 10),
        "nothing older yet"
    );
    assert_eq!(s.inbox.len(), 3);
    // Step by step, with a bound.
    assert!(s.expire_notifications(RETENTION_NS + 3 * day, 1));
    assert!(!s.expire_notifications(RETENTION_NS + 3 * day, 10));
    assert_eq!(s.inbox.len(), 0);
    assert_eq!(s.inbox_counts.len(), 0, "no trace of an emptied inbox");
    assert_eq!(s.delivery_order.len(), 0);
}

#[test]
fn deleting_a_user_leaves_nothing_of_them() {
    let mut s = store();
    for t in 0..4 {
        s.deliver(user(1), notification(t));
    }
    s.deliver(user(2), notification(5));
    assert!(s.holds_user(user(1)));
    // Three per call: a batch, then the rest.
    let first = s.delete_user(user(1), 3, 10);
    assert_eq!((first.items, first.done), (3, false));
    assert!(s.holds_user(user(1)));
    let second = s.delete_user(user(1), 3, 10);
    assert_eq!((second.items, second.done), (1, true));
    assert!(!s.holds_user(user(1)));
    assert_eq!(s.unread_count(user(1)), 0);
    assert_eq!(s.inbox.len(), 1);
    assert_eq!(s.delivery_order.len(), 1);
    let again = s.delete_user(user(1), 3, 11);
    assert_eq!((again.items, again.done), (0, true), "again: nothing left");
}
