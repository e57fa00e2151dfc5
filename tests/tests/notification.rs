//! The notification canister on the real wasm (issue 6): reminders synced by a calendar shard
//! fire at the right instant across a DST change, move and cancel with newer revisions, are
//! delivered exactly once in batches (100,000 at once, with an upgrade in the middle), survive
//! a stop at the due moment, and reach a series' RDATE instances; inboxes; operator alerts;
//! who may call what.
//!
//! The test acts as the group's calendar shard: it reads the shard's access key out of its
//! stable memory (`Suite::held_key`) and calls `sync_reminders` with the shard's principal.

use std::time::Duration;

use candid::{encode_args, Principal};
use integration_tests::{operator, user, Group, Suite};
use interfaces::calendar::{EventTime, Recurrence, Schedule};
use interfaces::notification::{
    Alert, AlertInput, AlertKind, AlertPage, AlertQuery, AlertSeverity, EventRef, Notification,
    NotificationPage, NotificationQuery, NotificationStats, ReminderPlan, ReminderUpdate,
};
use interfaces::security::MemberInit;
use interfaces::{CanisterKind, Error, Permission};
use recurrence_free::*;
use serde_bytes::ByteBuf;

/// Instants for the tests, computed with plain arithmetic so the test does not share the
/// canister's time-zone code.
mod recurrence_free {
    pub const MIN: u64 = 60_000_000_000;
    pub const HOUR: u64 = 60 * MIN;
    pub const DAY: u64 = 24 * HOUR;

    /// Nanoseconds of a UTC date and time (days from civil, Howard Hinnant's algorithm).
    pub fn utc(y: i64, m: i64, d: i64, hour: u64, minute: u64) -> u64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = (era * 146_097 + doe - 719_468) as u64;
        days * DAY + hour * HOUR + minute * MIN
    }
}

struct Fixture {
    suite: Suite,
    group: Group,
    notification: Principal,
    calendar: Principal,
    key: Vec<u8>,
}

fn fixture(kinds: &[CanisterKind]) -> Fixture {
    let suite = Suite::new();
    let mut all = vec![CanisterKind::Notification, CanisterKind::Calendar];
    all.extend_from_slice(kinds);
    let group = suite.group(&all);
    let notification = group.member(CanisterKind::Notification);
    let calendar = group.member(CanisterKind::Calendar);
    let key = suite.held_key(calendar).expect("the shard holds its key");
    Fixture {
        suite,
        group,
        notification,
        calendar,
        key,
    }
}

fn ok<T: std::fmt::Debug>(result: Result<T, Error>) -> T {
    result.unwrap_or_else(|e| panic!("expected Ok, got {e:?}"))
}

fn weekly(start_ns: u64, zone: &str) -> Schedule {
    Schedule {
        time: EventTime::Timed {
            start_ns,
            end_ns: start_ns + HOUR,
        },
        time_zone: zone.into(),
        recurrence: Some(Recurrence {
            rule: "FREQ=WEEKLY;BYDAY=MO".into(),
            exdates_ns: vec![],
            rdates_ns: None,
        }),
        overrides: vec![],
    }
}

fn once(start_ns: u64) -> Schedule {
    Schedule {
        time: EventTime::Timed {
            start_ns,
            end_ns: start_ns + HOUR,
        },
        time_zone: "UTC".into(),
        recurrence: None,
        overrides: vec![],
    }
}

impl Fixture {
    fn now(&self) -> u64 {
        self.suite.env.get_time().as_nanos_since_unix_epoch()
    }

    /// Moves virtual time to `t` and lets due timers run.
    fn advance_to(&self, t: u64) {
        let now = self.now();
        assert!(t >= now, "time only moves forward");
        self.suite.advance(Duration::from_nanos(t - now));
    }

    fn event(&self, id: u64) -> EventRef {
        EventRef {
            shard: self.calendar,
            event_id: id,
        }
    }

    fn plan(
        &self,
        id: u64,
        revision: u64,
        schedule: Schedule,
        minutes: &[u32],
        to: &[Principal],
    ) -> ReminderPlan {
        ReminderPlan {
            event: self.event(id),
            revision,
            title: format!("event {id}"),
            recipients: to.to_vec(),
            schedule,
            minutes_before: minutes.to_vec(),
            attendees: None,
        }
    }

    fn sync_as(
        &self,
        sender: Principal,
        key: &[u8],
        updates: Vec<ReminderUpdate>,
    ) -> Result<(), Error> {
        let (result,): (Result<(), Error>,) = self
            .suite
            .update(
                self.notification,
                sender,
                "sync_reminders",
                (ByteBuf::from(key.to_vec()), updates),
            )
            .unwrap();
        result
    }

    /// `sync_reminders` as the calendar shard, with its key.
    fn sync(&self, updates: Vec<ReminderUpdate>) -> Result<(), Error> {
        self.sync_as(self.calendar, &self.key.clone(), updates)
    }

    fn stats(&self) -> NotificationStats {
        let (stats,): (NotificationStats,) = self
            .suite
            .query(self.notification, user(99), "get_notification_stats", ())
            .unwrap();
        stats
    }

    fn page(&self, who: Principal, query: NotificationQuery) -> Result<NotificationPage, Error> {
        let (page,): (Result<NotificationPage, Error>,) = self
            .suite
            .query(self.notification, who, "get_notifications", (query,))
            .unwrap();
        page
    }

    /// The whole inbox of `who`, newest first.
    fn inbox(&self, who: Principal) -> Vec<Notification> {
        let mut all = vec![];
        let mut cursor = None;
        loop {
            let page = ok(self.page(
                who,
                NotificationQuery {
                    cursor,
                    limit: Some(200),
                    unread_only: false,
                },
            ));
            all.extend(page.notifications);
            cursor = page.next_cursor;
            if cursor.is_none() {
                return all;
            }
        }
    }

    fn unread(&self, who: Principal) -> Result<u64, Error> {
        let (n,): (Result<u64, Error>,) = self
            .suite
            .query(self.notification, who, "unread_count", ())
            .unwrap();
        n
    }

    fn user_update(
        &self,
        who: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> Result<u64, Error> {
        let (n,): (Result<u64, Error>,) = self
            .suite
            .update(self.notification, who, method, args)
            .unwrap();
        n
    }

    fn upgrade(&self) {
        self.suite.upgrade(
            self.notification,
            "notification",
            encode_args((None::<MemberInit>,)).unwrap(),
        );
    }
}

#[test]
fn a_weekly_reminder_fires_at_the_right_instant_on_both_sides_of_the_dst_change_and_follows_moves_and_cancels(
) {
    let f = fixture(&[]);
    let zone = "Europe/Berlin";
    // Mondays 09:00 in Berlin from 16 March 2026; summer time starts on Sunday 29 March, so
    // 09:00 is 08:00 UTC before and 07:00 UTC after. Reminder 15 minutes before.
    let first_start = utc(2026, 3, 16, 8, 0);
    f.advance_to(utc(2026, 3, 10, 12, 0));
    ok(f.sync(vec![ReminderUpdate::Set(f.plan(
        1,
        1,
        weekly(first_start, zone),
        &[15],
        &[user(1), user(2)],
    ))]));
    let stats = f.stats();
    assert_eq!(stats.active_events, 1);
    assert_eq!(stats.queued_reminders, 4, "a window of four occurrences");
    assert_eq!(stats.next_due_ns, Some(utc(2026, 3, 16, 7, 45)));

    let expected = [
        utc(2026, 3, 16, 7, 45), // 08:45 CET
        utc(2026, 3, 23, 7, 45), // 08:45 CET
        utc(2026, 3, 30, 6, 45), // 08:45 CEST
        utc(2026, 4, 6, 6, 45),  // 08:45 CEST
    ];
    for (n, due) in expected.iter().enumerate() {
        // A second early (each round moves virtual time on by a nanosecond).
        f.advance_to(due - 1_000_000_000);
        assert_eq!(f.inbox(user(1)).len(), n, "nothing before {due}");
        f.advance_to(*due);
        let inbox = f.inbox(user(1));
        assert_eq!(inbox.len(), n + 1, "the reminder due at {due} fired");
        let newest = &inbox[0];
        assert_eq!(newest.due_at_ns, *due);
        assert_eq!(newest.occurrence_start_ns, due + 15 * MIN);
        assert_eq!(newest.minutes_before, 15);
        assert!(
            newest.delivered_at_ns >= *due && newest.delivered_at_ns - due < 1_000_000_000,
            "delivered within a second of its moment ({} ns late)",
            newest.delivered_at_ns - due
        );
        assert_eq!(newest.event, f.event(1));
        assert_eq!(f.inbox(user(2)).len(), n + 1, "every recipient");
    }
    assert_eq!(f.stats().queued_reminders, 4, "the window was refilled");

    // Revision 2 moves the series to 10:00. Today's occurrence has not started yet, so it gets
    // a reminder at its new time, 09:45 CEST.
    ok(f.sync(vec![ReminderUpdate::Set(f.plan(
        1,
        2,
        weekly(first_start + HOUR, zone),
        &[15],
        &[user(1), user(2)],
    ))]));
    let moved_due = utc(2026, 4, 6, 7, 45);
    assert_eq!(f.stats().next_due_ns, Some(moved_due));
    // A late retry of revision 1 changes nothing.
    ok(f.sync(vec![ReminderUpdate::Set(f.plan(
        1,
        1,
        weekly(first_start, zone),
        &[15],
        &[user(1), user(2)],
    ))]));
    assert_eq!(f.stats().next_due_ns, Some(moved_due));
    f.advance_to(moved_due);
    let newest = &f.inbox(user(1))[0];
    assert_eq!(
        (newest.due_at_ns, newest.occurrence_start_ns),
        (moved_due, utc(2026, 4, 6, 8, 0))
    );
    assert_eq!(f.stats().next_due_ns, Some(utc(2026, 4, 13, 7, 45)));

    // Cancelling the event cancels its reminders; the Set of that revision retried late does
    // not bring them back.
    ok(f.sync(vec![ReminderUpdate::Cancel {
        event: f.event(1),
        revision: 2,
    }]));
    ok(f.sync(vec![ReminderUpdate::Set(f.plan(
        1,
        2,
        weekly(first_start + HOUR, zone),
        &[15],
        &[user(1), user(2)],
    ))]));
    let stats = f.stats();
    assert_eq!(
        (
            stats.queued_reminders,
            stats.active_events,
            stats.tombstones
        ),
        (0, 0, 1)
    );
    f.advance_to(utc(2026, 4, 14, 12, 0));
    assert_eq!(f.inbox(user(1)).len(), 5);

    // The inbox: newest first, paged, marked read.
    let all = f.inbox(user(1));
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(f.unread(user(1)), Ok(5));
    let first_page = ok(f.page(
        user(1),
        NotificationQuery {
            limit: Some(2),
            ..Default::default()
        },
    ));
    assert_eq!(first_page.notifications, all[..2].to_vec());
    assert_eq!(
        f.user_update(user(1), "mark_read", (vec![all[0].id, all[1].id],)),
        Ok(2)
    );
    assert_eq!(f.unread(user(1)), Ok(3));
    // Another user's ids are not theirs to mark.
    assert_eq!(
        f.user_update(user(3), "mark_read", (vec![all[2].id],)),
        Ok(0)
    );
    assert_eq!(f.user_update(user(1), "mark_all_read", ()), Ok(3));
    assert_eq!(f.unread(user(1)), Ok(0));
    assert_eq!(f.unread(user(2)), Ok(5));
    assert_eq!(
        f.unread(Principal::anonymous()),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        f.user_update(Principal::anonymous(), "mark_all_read", ()),
        Err(Error::AnonymousCaller)
    );

    // Retention: notifications go 30 days after delivery (the hourly sweep).
    f.advance_to(utc(2026, 5, 1, 0, 0));
    assert_eq!(
        f.inbox(user(2)).len(),
        2,
        "only those of 6 April are younger"
    );
    f.advance_to(utc(2026, 6, 1, 0, 0));
    assert_eq!(f.inbox(user(2)).len(), 0);
    assert_eq!(f.unread(user(2)), Ok(0));
    let stats = f.stats();
    assert_eq!((stats.notifications, stats.users), (0, 0));
    assert_eq!(stats.expired_notifications, 10);
}

#[test]
fn only_the_calendar_shard_may_sync_its_own_events_and_refusals_change_nothing() {
    let f = fixture(&[CanisterKind::UserRegistry]);
    let start = f.now() + DAY;
    let good = vec![ReminderUpdate::Set(f.plan(
        1,
        1,
        once(start),
        &[10],
        &[user(1)],
    ))];
    let before = f.stats();
    let other_member = f.group.member(CanisterKind::UserRegistry);
    let other_key = f.suite.held_key(other_member).unwrap();
    assert_eq!(
        f.sync_as(user(1), &f.key, good.clone()),
        Err(Error::NotGroupMember)
    );
    assert_eq!(
        f.sync_as(f.calendar, &other_key, good.clone()),
        Err(Error::InvalidAccessKey)
    );
    assert_eq!(
        f.sync_as(other_member, &other_key, good.clone()),
        Err(Error::NotGroupMember),
        "a member of another kind"
    );
    // The shard may not schedule another shard's events.
    let mut foreign = f.plan(2, 1, once(start), &[10], &[user(1)]);
    foreign.event.shard = other_member;
    assert!(matches!(
        f.sync(vec![good[0].clone(), ReminderUpdate::Set(foreign)]),
        Err(Error::InvalidInput { field, .. }) if field == "updates[1].event.shard"
    ));
    let mut bad_zone = f.plan(3, 1, once(start), &[10], &[user(1)]);
    bad_zone.schedule.time_zone = "Europe/Atlantis".into();
    assert!(matches!(
        f.sync(vec![good[0].clone(), ReminderUpdate::Set(bad_zone)]),
        Err(Error::InvalidInput { field, .. }) if field == "updates[1].schedule.time_zone"
    ));
    let mut after = f.stats();
    after.last_sync_instructions = before.last_sync_instructions;
    after.max_sync_instructions = before.max_sync_instructions;
    assert_eq!(after, before);
    // delete_user_data is for the user registry only; raise_alert for the balancer and backups.
    let (deleted,): (Result<interfaces::calendar::DeletedData, Error>,) = f
        .suite
        .update(
            f.notification,
            f.calendar,
            "delete_user_data",
            (ByteBuf::from(f.key.clone()), user(1)),
        )
        .unwrap();
    assert_eq!(deleted, Err(Error::NotGroupMember));
    ok(f.sync(good));
}

#[test]
fn a_reminder_due_while_the_canister_was_stopped_fires_once_when_it_starts_again() {
    let f = fixture(&[]);
    let start = f.now() + DAY;
    ok(f.sync(vec![ReminderUpdate::Set(f.plan(
        1,
        1,
        once(start),
        &[0, 30],
        &[user(1)],
    ))]));
    f.suite
        .env
        .stop_canister(f.notification, Some(operator()))
        .unwrap();
    f.advance_to(start + HOUR);
    f.suite
        .env
        .start_canister(f.notification, Some(operator()))
        .unwrap();
    // The one-shot timer passed while stopped; the next run (here the safety interval, or an
    // upgrade's first tick) fires both, late.
    f.advance_to(start + HOUR + 5 * MIN);
    let inbox = f.inbox(user(1));
    assert_eq!(inbox.len(), 2);
    assert!(inbox.iter().all(|n| n.delivered_at_ns > start));
    f.upgrade();
    f.advance_to(start + 2 * HOUR);
    assert_eq!(f.inbox(user(1)).len(), 2, "never twice");
}

/// A series' extra instance (RDATE) two months after its rule's instances: the first window
/// holds only rule instances, so its reminder is queued from the stored schedule, across an
/// upgrade (issue 18).
#[test]
fn an_rdate_instance_gets_its_reminder_after_the_rule_instances_and_an_upgrade() {
    let f = fixture(&[]);
    let start = utc(2026, 11, 2, 9, 0).max(f.now() + DAY);
    let extra = start + 60 * DAY + 3 * HOUR;
    let mut series = weekly(start, "UTC");
    let recurrence = series.recurrence.as_mut().unwrap();
    recurrence.rule = "FREQ=WEEKLY;COUNT=5".into();
    recurrence.rdates_ns = Some(vec![extra]);
    ok(f.sync(vec![ReminderUpdate::Set(f.plan(
        1,
        1,
        series,
        &[10],
        &[user(1)],
    ))]));
    f.upgrade();
    let mut starts: Vec<u64> = (0..5).map(|k| start + k * 7 * DAY).collect();
    starts.push(extra);
    for &occurrence in &starts {
        f.advance_to(occurrence);
        // Checked as it arrives: the inbox keeps a notification for a limited time.
        let newest = f.inbox(user(1)).first().map(|n| n.occurrence_start_ns);
        assert_eq!(newest, Some(occurrence));
    }
}

/// 100,000 reminders due at the same instant: 20,000 one-off events with five recipients each,
/// among 1,000 users (each gets 100).
#[test]
fn a_hundred_thousand_due_reminders_are_delivered_exactly_once_across_an_upgrade() {
    const EVENTS: u64 = 20_000;
    const RECIPIENTS: u64 = 5;
    const REMINDERS: u64 = EVENTS * RECIPIENTS;
    const USERS: u64 = 1_000;
    const PER_SYNC: u64 = 1_000;
    let f = fixture(&[]);
    let due = f.now() + DAY;
    let users: Vec<Principal> = (0..USERS)
        .map(|n| Principal::self_authenticating(n.to_be_bytes()))
        .collect();
    // Event `id` reminds users `id*5 .. id*5+5` (mod 1,000).
    let recipients = |id: u64| -> Vec<Principal> {
        (0..RECIPIENTS)
            .map(|r| users[((id * RECIPIENTS + r) % USERS) as usize])
            .collect()
    };
    let started = std::time::Instant::now();
    for batch in 0..EVENTS / PER_SYNC {
        let updates = (batch * PER_SYNC..(batch + 1) * PER_SYNC)
            .map(|id| ReminderUpdate::Set(f.plan(id, 1, once(due), &[0], &recipients(id))))
            .collect();
        ok(f.sync(updates));
    }
    let synced = f.stats();
    assert_eq!(synced.queued_reminders, EVENTS);
    eprintln!(
        "synced {EVENTS} events in {:?}; heaviest sync_reminders call ({PER_SYNC} updates): {} instructions",
        started.elapsed(),
        synced.max_sync_instructions
    );

    let started = std::time::Instant::now();
    // Round by round (not `advance_to`, which runs ten), so the upgrade lands between batches.
    f.suite
        .env
        .advance_time(Duration::from_nanos(due - f.now()));
    let mut upgraded_at = None;
    for _ in 0..10_000 {
        let stats = f.stats();
        if stats.notifications_delivered == REMINDERS {
            break;
        }
        if upgraded_at.is_none() && stats.notifications_delivered >= REMINDERS / 2 {
            // Mid-way: the heap, the armed timers and any batch not yet run are gone.
            upgraded_at = Some(stats.notifications_delivered);
            f.upgrade();
        }
        f.suite.env.tick();
    }
    let upgraded_at = upgraded_at.expect("the upgrade happened mid-way");
    assert!(upgraded_at < REMINDERS);
    let stats = f.stats();
    eprintln!(
        "delivered {} reminders ({} queue entries) in {} batches in {:?} (upgrade after {upgraded_at}); heaviest batch: {} queue entries, {} instructions; last: {} entries, {} instructions",
        stats.notifications_delivered,
        stats.reminders_fired,
        stats.batches,
        started.elapsed(),
        stats.max_batch_reminders,
        stats.max_batch_instructions,
        stats.last_batch_reminders,
        stats.last_batch_instructions,
    );
    assert_eq!(stats.reminders_fired, EVENTS);
    assert_eq!(stats.notifications_delivered, REMINDERS);
    assert_eq!(stats.notifications, REMINDERS);
    assert_eq!(stats.queued_reminders, 0);
    assert!(stats.batches > 1, "delivered in several messages");
    assert!(
        stats.max_batch_instructions < 40_000_000_000 / 4,
        "every batch far below the 40B limit"
    );

    // Exactly once: every event's reminder is in each of its recipients' inboxes, once.
    let mut seen = vec![0u8; REMINDERS as usize];
    for (n, who) in users.iter().enumerate() {
        let inbox = f.inbox(*who);
        assert_eq!(inbox.len() as u64, REMINDERS / USERS);
        for note in inbox {
            let id = note.event.event_id;
            assert!(
                recipients(id).contains(who),
                "event {id} is not for user {n}"
            );
            assert_eq!(note.due_at_ns, due);
            let slot = id * RECIPIENTS
                + (0..RECIPIENTS)
                    .find(|r| (id * RECIPIENTS + r) % USERS == n as u64)
                    .unwrap();
            seen[slot as usize] += 1;
        }
    }
    assert!(
        seen.iter().all(|&c| c == 1),
        "each reminder delivered exactly once"
    );
    // Time passing fires nothing more.
    f.advance_to(due + DAY);
    assert_eq!(f.stats().notifications_delivered, REMINDERS);
}

#[test]
fn operator_alerts_are_raised_by_the_balancer_and_backups_and_acknowledged_by_admins() {
    let f = fixture(&[CanisterKind::LoadBalancer, CanisterKind::BackupCanister]);
    let balancer = f.group.member(CanisterKind::LoadBalancer);
    let backup = f.group.member(CanisterKind::BackupCanister);
    let raise = |from: Principal, alert: &AlertInput| -> Result<u64, Error> {
        let key = f.suite.held_key(from).unwrap();
        let (id,): (Result<u64, Error>,) = f
            .suite
            .update(
                f.notification,
                from,
                "raise_alert",
                (ByteBuf::from(key), alert.clone()),
            )
            .unwrap();
        id
    };
    let unhealthy = AlertInput {
        kind: AlertKind::ShardUnhealthy,
        severity: AlertSeverity::Critical,
        subject: Some(f.calendar),
        message: "3 health checks failed".into(),
    };
    let id = ok(raise(balancer, &unhealthy));
    assert_eq!(
        ok(raise(balancer, &unhealthy)),
        id,
        "a repeat counts into the open alert"
    );
    let backup_failed = AlertInput {
        kind: AlertKind::BackupFailed,
        severity: AlertSeverity::Warning,
        subject: Some(f.calendar),
        message: "hash mismatch".into(),
    };
    ok(raise(backup, &backup_failed));
    assert_eq!(
        raise(f.calendar, &backup_failed),
        Err(Error::NotGroupMember)
    );

    let list = |who: Principal, include_acknowledged: bool| -> Result<AlertPage, Error> {
        let (page,): (Result<AlertPage, Error>,) = f
            .suite
            .query(
                f.notification,
                who,
                "list_alerts",
                (AlertQuery {
                    include_acknowledged,
                    ..Default::default()
                },),
            )
            .unwrap();
        page
    };
    let required = Permission::ManageGroups;
    assert_eq!(list(user(5), false), Err(Error::NotAdmin { required }));
    let page = ok(list(operator(), false));
    assert_eq!(page.alerts.len(), 2);
    let first = page.alerts.iter().find(|a| a.id == id).unwrap();
    assert_eq!((first.count, first.raised_by), (2, balancer));

    // A registry admin with ManageGroups may too, once the snapshot naming them arrived.
    let (granted,): (Result<(), Error>,) = f
        .suite
        .update(
            f.group.registry,
            operator(),
            "add_admin",
            (user(5), vec![Permission::ManageGroups]),
        )
        .unwrap();
    ok(granted);
    f.suite.settle();
    assert_eq!(ok(list(user(5), false)).alerts.len(), 2);
    let (acked,): (Result<Alert, Error>,) = f
        .suite
        .update(f.notification, user(5), "acknowledge_alert", (id,))
        .unwrap();
    assert_eq!(ok(acked).acknowledged.map(|a| a.by), Some(user(5)));
    let (refused,): (Result<Alert, Error>,) = f
        .suite
        .update(f.notification, user(6), "acknowledge_alert", (id,))
        .unwrap();
    assert_eq!(refused, Err(Error::NotAdmin { required }));
    assert_eq!(ok(list(operator(), false)).alerts.len(), 1);
    assert_eq!(ok(list(operator(), true)).alerts.len(), 2);
    assert_eq!(f.stats().open_alerts, 1);
}
