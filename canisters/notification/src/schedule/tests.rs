//! Unit tests of reminder scheduling and firing over in-memory stable structures.

use super::*;
use crate::model::AttendeePlan as AttendeePlanModel;
use crate::store::tests_support::store;
use ic_stable_structures::VectorMemory;
use interfaces::calendar::{EventTime, InstanceChange, InstanceOverride, Recurrence, Schedule};
use interfaces::notification::{
    AttendeePlan, EventRef, NotificationQuery, MAX_MINUTES_BEFORE, MAX_RECIPIENTS,
    MAX_REMINDERS_PER_EVENT, MAX_TITLE_CHARS, MAX_UPDATES_PER_SYNC,
};

type S = Store<VectorMemory>;

fn shard(n: u8) -> Principal {
    Principal::from_slice(&[n, 0, 0, 0, 0, 0, 0, 0, 1, 1])
}

fn user(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}

/// Nanoseconds of a wall-clock time in a zone, e.g. `at("2026-03-23T09:00", "Europe/Berlin")`.
fn at(civil: &str, zone: &str) -> u64 {
    let zoned: recurrence::jiff::Zoned = format!("{civil}[{zone}]").parse().unwrap();
    recurrence::wire::to_ns(zoned.timestamp())
}

const MIN: u64 = NS_PER_MINUTE;
const HOUR: u64 = 60 * MIN;
const DAY: u64 = 24 * HOUR;

fn schedule(start_ns: u64, zone: &str, rule: Option<&str>) -> Schedule {
    Schedule {
        time: EventTime::Timed {
            start_ns,
            end_ns: start_ns + HOUR,
        },
        time_zone: zone.into(),
        recurrence: rule.map(|r| Recurrence {
            rule: r.into(),
            exdates_ns: vec![],
            rdates_ns: None,
        }),
        overrides: vec![],
    }
}

fn event(shard_n: u8, id: u64) -> EventRef {
    EventRef {
        shard: shard(shard_n),
        event_id: id,
    }
}

fn plan(
    id: u64,
    revision: u64,
    schedule: Schedule,
    minutes: &[u32],
    to: &[Principal],
) -> ReminderPlan {
    ReminderPlan {
        event: event(1, id),
        revision,
        title: format!("event {id}"),
        recipients: to.to_vec(),
        schedule,
        minutes_before: minutes.to_vec(),
        attendees: None,
    }
}

/// An attendee's own plan: `minutes` before the occurrences they accepted.
fn own(who: Principal, minutes: &[u32], accepted_series: bool, exceptions: &[u64]) -> AttendeePlan {
    AttendeePlan {
        principal: who,
        minutes_before: minutes.to_vec(),
        accepted_series,
        exception_starts_ns: exceptions.to_vec(),
    }
}

fn set(s: &mut S, p: ReminderPlan, now: u64) -> SyncOutcome {
    s.sync(shard(1), vec![ReminderUpdate::Set(p)], now).unwrap()
}

fn cancel(s: &mut S, id: u64, revision: u64, now: u64) -> SyncOutcome {
    s.sync(
        shard(1),
        vec![ReminderUpdate::Cancel {
            event: event(1, id),
            revision,
        }],
        now,
    )
    .unwrap()
}

fn fire(s: &mut S, now: u64) -> FireReport {
    s.fire_due(now, u64::MAX, &mut || true)
}

/// (occurrence start, minutes before, due) of every notification in `u`'s inbox, oldest first.
fn inbox(s: &S, u: Principal) -> Vec<(u64, u32, u64)> {
    let page = s
        .notifications(
            u,
            &NotificationQuery {
                limit: Some(200),
                ..Default::default()
            },
        )
        .unwrap();
    page.notifications
        .iter()
        .rev()
        .map(|n| (n.occurrence_start_ns, n.minutes_before, n.due_at_ns))
        .collect()
}

#[test]
fn a_single_reminder_fires_once_at_its_moment_and_the_event_ends() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let start = now + DAY;
    assert_eq!(
        set(
            &mut s,
            plan(
                1,
                1,
                schedule(start, "UTC", None),
                &[15, 60],
                &[user(1), user(2)]
            ),
            now
        ),
        SyncOutcome {
            applied: 1,
            ignored_stale: 0
        }
    );
    assert_eq!(s.next_due_ns(), Some(start - 60 * MIN));
    assert_eq!(fire(&mut s, start - 60 * MIN - 1).reminders, 0, "not yet");
    let r = fire(&mut s, start - 60 * MIN);
    assert_eq!((r.reminders, r.notifications, r.more_due), (1, 2, false));
    assert_eq!(inbox(&s, user(1)), vec![(start, 60, start - 60 * MIN)]);
    let r = fire(&mut s, start);
    assert_eq!((r.reminders, r.notifications), (1, 2));
    assert_eq!(inbox(&s, user(2)).len(), 2);
    // Nothing left: the event is a tombstone that remembers its revision.
    assert_eq!(s.due.len(), 0);
    assert_eq!(fire(&mut s, start + DAY).reminders, 0);
    let held = s.event(&(shard(1), 1)).unwrap();
    assert_eq!(held.revision, 1);
    assert!(matches!(
        held.state,
        EventState::Ended {
            cancelled: false,
            ..
        }
    ));
    assert_eq!(s.recipients.len(), 0);
}

#[test]
fn older_or_repeated_updates_are_ignored_and_newer_ones_move_or_cancel() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let start = now + DAY;
    set(
        &mut s,
        plan(1, 3, schedule(start, "UTC", None), &[10], &[user(1)]),
        now,
    );
    // An older revision (a late retry) changes nothing.
    let late = set(
        &mut s,
        plan(1, 2, schedule(start + HOUR, "UTC", None), &[10], &[user(1)]),
        now,
    );
    assert_eq!(late.ignored_stale, 1);
    assert_eq!(s.next_due_ns(), Some(start - 10 * MIN));
    // A newer one moves the reminder.
    set(
        &mut s,
        plan(1, 4, schedule(start + HOUR, "UTC", None), &[10], &[user(1)]),
        now,
    );
    assert_eq!(s.next_due_ns(), Some(start + HOUR - 10 * MIN));
    assert_eq!(s.due.len(), 1);
    // Cancel at the last revision; the retried Set of that same revision does not revive it,
    // nor does an older Cancel or Set.
    assert_eq!(cancel(&mut s, 1, 4, now).applied, 1);
    assert_eq!(s.due.len(), 0);
    assert_eq!(
        set(
            &mut s,
            plan(1, 4, schedule(start, "UTC", None), &[10], &[user(1)]),
            now
        )
        .ignored_stale,
        1
    );
    assert_eq!(cancel(&mut s, 1, 2, now).ignored_stale, 1);
    assert_eq!(s.due.len(), 0);
    assert_eq!(fire(&mut s, start + 2 * HOUR).reminders, 0);
    assert!(inbox(&s, user(1)).is_empty());
    // A Cancel for an event never seen still records the revision.
    cancel(&mut s, 9, 5, now);
    assert_eq!(
        set(
            &mut s,
            plan(9, 5, schedule(start, "UTC", None), &[10], &[user(1)]),
            now
        )
        .ignored_stale,
        1
    );
    assert_eq!(
        set(
            &mut s,
            plan(9, 6, schedule(start, "UTC", None), &[10], &[user(1)]),
            now
        )
        .applied,
        1,
        "a newer revision (the event restored) schedules again"
    );
    assert_eq!(s.due.len(), 1);
}

/// Also in a zone named by a POSIX rule (what an import stores for a zone only a file defined),
/// here one with Berlin's rules.
#[test]
fn weekly_reminders_follow_the_wall_clock_across_the_dst_change() {
    let berlin = "Europe/Berlin";
    for zone in [berlin, "<+01>-1<+02>,M3.5.0,M10.5.0/3"] {
        let mut s = store();
        // Mondays at 09:00 Berlin; summer time starts on Sunday 29 March 2026.
        let first = at("2026-03-16T09:00", berlin);
        let now = at("2026-03-10T12:00", berlin);
        set(
            &mut s,
            plan(
                1,
                1,
                schedule(first, zone, Some("FREQ=WEEKLY;BYDAY=MO")),
                &[15],
                &[user(1)],
            ),
            now,
        );
        assert_eq!(
            s.due.len() as usize,
            WINDOW_OCCURRENCES,
            "a window, not the whole series"
        );
        for week in [
            "2026-03-16",
            "2026-03-23",
            "2026-03-30",
            "2026-04-06",
            "2026-04-13",
        ] {
            let expected = at(&format!("{week}T08:45"), berlin);
            assert_eq!(s.next_due_ns(), Some(expected), "{zone}: {week}");
            let r = fire(&mut s, expected);
            assert_eq!(r.reminders, 1);
            // The window was refilled: still four occurrences ahead.
            assert_eq!(s.due.len() as usize, WINDOW_OCCURRENCES);
        }
        let got = inbox(&s, user(1));
        // 08:45 CET is 07:45 UTC; 08:45 CEST is 06:45 UTC.
        assert_eq!(got[1].2, at("2026-03-23T07:45", "UTC"));
        assert_eq!(got[2].2, at("2026-03-30T06:45", "UTC"));
        assert_eq!(got[2].0, at("2026-03-30T09:00", berlin));
    }
}

#[test]
fn a_cancelled_or_moved_instance_changes_only_that_instance() {
    let mut s = store();
    let zone = "Europe/Berlin";
    let first = at("2026-03-16T09:00", zone);
    let now = at("2026-03-10T12:00", zone);
    let mut sched = schedule(first, zone, Some("FREQ=WEEKLY;BYDAY=MO;COUNT=3"));
    set(&mut s, plan(1, 1, sched.clone(), &[0], &[user(1)]), now);
    assert_eq!(s.due.len(), 3, "COUNT=3 ends the window early");
    sched.overrides = vec![
        InstanceOverride {
            original_start_ns: at("2026-03-23T09:00", zone),
            change: InstanceChange::Cancelled,
        },
        InstanceOverride {
            original_start_ns: at("2026-03-30T09:00", zone),
            change: InstanceChange::Moved {
                start_ns: at("2026-03-31T14:00", zone),
                end_ns: at("2026-03-31T15:00", zone),
            },
        },
    ];
    set(&mut s, plan(1, 2, sched, &[0], &[user(1)]), now);
    fire(&mut s, at("2026-04-30T00:00", zone));
    let starts: Vec<u64> = inbox(&s, user(1)).iter().map(|n| n.0).collect();
    assert_eq!(
        starts,
        vec![first, at("2026-03-31T14:00", zone)],
        "the cancelled instance is skipped, the moved one fires at its new time"
    );
}

#[test]
fn batches_stop_at_their_limit_and_the_rest_fires_next() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let start = now + DAY;
    let updates: Vec<ReminderUpdate> = (0..25)
        .map(|id| ReminderUpdate::Set(plan(id, 1, schedule(start, "UTC", None), &[0], &[user(1)])))
        .collect();
    s.sync(shard(1), updates, now).unwrap();
    let r = s.fire_due(start, 10, &mut || true);
    assert_eq!((r.reminders, r.more_due), (10, true));
    // The instruction budget can stop a batch early too.
    let mut budget = 3;
    let r = s.fire_due(start, 10, &mut || {
        budget -= 1;
        budget >= 0
    });
    assert_eq!((r.reminders, r.more_due), (3, true));
    let r = s.fire_due(start, 100, &mut || true);
    assert_eq!((r.reminders, r.more_due), (12, false));
    assert_eq!(inbox(&s, user(1)).len(), 25);
    assert_eq!(s.stats().reminders_fired, 25);
    // The user's counts, cached while a batch runs, are written back at its end.
    assert_eq!(s.inbox_counts.get(&user(1)), Some((25, 25)));
    assert!(s.counts_cache.is_empty());
}

#[test]
fn a_canister_that_was_stopped_catches_up_on_every_missed_reminder_in_order() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let first = at("2026-05-02T09:00", "UTC");
    set(
        &mut s,
        plan(
            1,
            1,
            schedule(first, "UTC", Some("FREQ=DAILY")),
            &[10],
            &[user(1)],
        ),
        now,
    );
    // Nothing ran for ten days.
    let back = first + 10 * DAY;
    let r = fire(&mut s, back);
    assert_eq!(r.reminders, 11, "every day from the 2nd to the 12th");
    let got = inbox(&s, user(1));
    assert!(got.windows(2).all(|w| w[0].2 < w[1].2), "in order");
    assert_eq!(got.last().unwrap().0, first + 10 * DAY);
    assert_eq!(s.next_due_ns(), Some(first + 11 * DAY - 10 * MIN));
}

#[test]
fn late_updates_fire_recent_reminders_and_skip_stale_ones_without_firing_twice() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let start = now + 30 * MIN;
    // Reminders 40 minutes before (10 minutes ago: fires late) and 4 weeks before (stale).
    set(
        &mut s,
        plan(
            1,
            1,
            schedule(start, "UTC", None),
            &[40, MAX_MINUTES_BEFORE],
            &[user(1)],
        ),
        now,
    );
    assert_eq!(s.due.len(), 1);
    assert_eq!(s.stats().skipped_stale, 1);
    assert_eq!(fire(&mut s, now).reminders, 1);
    // A newer revision that does not move the event (a title change) does not fire it again.
    let mut renamed = plan(1, 2, schedule(start, "UTC", None), &[40, 5], &[user(1)]);
    renamed.title = "renamed".into();
    set(&mut s, renamed, now + MIN);
    assert_eq!(s.due.len(), 1, "only the new 5-minute reminder");
    fire(&mut s, start);
    let got = inbox(&s, user(1));
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].1, 5);
    // Moving the event is a new occurrence: its reminder fires again.
    set(
        &mut s,
        plan(1, 3, schedule(start + DAY, "UTC", None), &[40], &[user(1)]),
        start + MIN,
    );
    fire(&mut s, start + DAY);
    assert_eq!(inbox(&s, user(1)).len(), 3);
}

#[test]
fn bad_input_is_refused_whole_and_changes_nothing() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let good = plan(1, 1, schedule(now + DAY, "UTC", None), &[10], &[user(1)]);
    let cases: Vec<(ReminderPlan, &str)> = vec![
        (
            ReminderPlan {
                event: event(2, 1),
                ..good.clone()
            },
            "updates[1].event.shard",
        ),
        (
            ReminderPlan {
                title: "t".repeat(MAX_TITLE_CHARS + 1),
                ..good.clone()
            },
            "updates[1].title",
        ),
        (
            ReminderPlan {
                recipients: (0..=MAX_RECIPIENTS as u32)
                    .map(|n| Principal::from_slice(&n.to_be_bytes()))
                    .collect(),
                ..good.clone()
            },
            "updates[1].recipients",
        ),
        (
            ReminderPlan {
                recipients: vec![Principal::anonymous()],
                ..good.clone()
            },
            "updates[1].recipients",
        ),
        (
            ReminderPlan {
                minutes_before: (0..=MAX_REMINDERS_PER_EVENT as u32).collect(),
                ..good.clone()
            },
            "updates[1].minutes_before",
        ),
        (
            ReminderPlan {
                minutes_before: vec![MAX_MINUTES_BEFORE + 1],
                ..good.clone()
            },
            "updates[1].minutes_before",
        ),
        (
            ReminderPlan {
                schedule: schedule(now, "Mars/Olympus", None),
                ..good.clone()
            },
            "updates[1].schedule.time_zone",
        ),
        (
            ReminderPlan {
                schedule: schedule(now, "UTC", Some("FREQ=SECONDLY")),
                ..good.clone()
            },
            "updates[1].schedule.recurrence.rule",
        ),
    ];
    for (bad, field) in cases {
        let updates = vec![ReminderUpdate::Set(good.clone()), ReminderUpdate::Set(bad)];
        match s.sync(shard(1), updates, now) {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected InvalidInput, got {other:?}"),
        }
    }
    let too_many = vec![ReminderUpdate::Set(good.clone()); MAX_UPDATES_PER_SYNC + 1];
    assert!(s.sync(shard(1), too_many, now).is_err());
    assert_eq!(s.events.len() + s.due.len() + s.recipients.len(), 0);
    assert_eq!(s.stats(), store().stats());
    // Duplicates are merged rather than refused.
    let mut dup = good;
    dup.recipients = vec![user(1), user(1)];
    dup.minutes_before = vec![10, 10];
    set(&mut s, dup, now);
    assert_eq!((s.due.len(), s.recipients.len()), (1, 1));
}

#[test]
fn removing_a_recipient_keeps_the_others_and_ends_a_plan_left_empty() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let start = now + DAY;
    set(
        &mut s,
        plan(
            1,
            1,
            schedule(start, "UTC", None),
            &[10],
            &[user(1), user(2)],
        ),
        now,
    );
    set(
        &mut s,
        plan(2, 1, schedule(start, "UTC", None), &[10], &[user(1)]),
        now,
    );
    assert_eq!(s.remove_recipient(user(1), 10, now), 2);
    assert_eq!(s.due.len(), 1, "event 2 ended");
    assert!(matches!(
        s.event(&(shard(1), 2)).unwrap().state,
        EventState::Ended {
            cancelled: false,
            ..
        }
    ));
    fire(&mut s, start);
    assert!(inbox(&s, user(1)).is_empty());
    assert_eq!(inbox(&s, user(2)).len(), 1);
}

#[test]
fn tombstones_are_forgotten_after_their_retention() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    cancel(&mut s, 1, 1, now);
    cancel(&mut s, 2, 1, now + DAY);
    assert!(!s.expire_tombstones(now + TOMBSTONE_RETENTION_NS, 10));
    assert_eq!(s.tombstones.len(), 2);
    assert!(!s.expire_tombstones(now + TOMBSTONE_RETENTION_NS + 1, 10));
    assert_eq!((s.tombstones.len(), s.events.len()), (1, 1));
    // A newer Set revives a tombstone and drops it from the retention index.
    set(
        &mut s,
        plan(2, 2, schedule(now + 2 * DAY, "UTC", None), &[0], &[user(1)]),
        now,
    );
    assert_eq!(s.tombstones.len(), 0);
    assert!(!s.expire_tombstones(now + 100 * TOMBSTONE_RETENTION_NS, 10));
    assert_eq!(s.events.len(), 1);
}

#[test]
fn forgetting_a_shard_drops_its_plans_in_batches_and_accepts_old_revisions_again() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let start = now + DAY;
    for id in 1..=5 {
        set(
            &mut s,
            plan(id, 7, schedule(start, "UTC", None), &[15], &[user(1)]),
            now,
        );
    }
    cancel(&mut s, 6, 3, now);
    // Another shard's plan is not touched.
    let mut other = plan(1, 1, schedule(start, "UTC", None), &[15], &[user(2)]);
    other.event = event(2, 1);
    s.sync(shard(2), vec![ReminderUpdate::Set(other)], now)
        .unwrap();

    assert_eq!(s.forget_shard(shard(1), 4), (4, false));
    assert_eq!(s.forget_shard(shard(1), 4), (2, true));
    assert_eq!(s.forget_shard(shard(1), 4), (0, true));
    assert_eq!(s.tombstones.len(), 0);
    assert_eq!(s.recipients.len(), 1, "only the other shard's recipient");
    assert_eq!(s.due.len(), 1);

    // The restored shard's older revision is taken, not ignored as stale.
    let outcome = set(
        &mut s,
        plan(1, 2, schedule(start, "UTC", None), &[15], &[user(1)]),
        now,
    );
    assert_eq!(outcome.applied, 1);
    let r = fire(&mut s, start - 15 * MIN);
    assert_eq!((r.reminders, r.notifications), (2, 2));
}

#[test]
fn an_rdate_beyond_the_first_window_gets_its_reminder_from_the_stored_schedule() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let start = now + DAY;
    // After the rule's six weekly instances: only a refill (from the stored schedule) reaches it.
    let extra = start + 60 * DAY + 3 * HOUR;
    let mut series = schedule(start, "UTC", Some("FREQ=WEEKLY;COUNT=6"));
    series.recurrence.as_mut().unwrap().rdates_ns = Some(vec![extra]);
    set(&mut s, plan(1, 1, series, &[10], &[user(1)]), now);
    let mut starts: Vec<u64> = (0..6).map(|k| start + k * 7 * DAY).collect();
    starts.push(extra);
    for &occurrence in &starts {
        fire(&mut s, occurrence - 10 * MIN);
    }
    let fired: Vec<u64> = inbox(&s, user(1)).iter().map(|n| n.0).collect();
    assert_eq!(fired, starts);
}

#[test]
fn attendees_get_reminders_at_their_own_minutes_for_the_occurrences_they_accepted() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let first = now + DAY;
    let daily = schedule(first, "UTC", Some("FREQ=DAILY;COUNT=3"));
    let (second, third) = (first + DAY, first + 2 * DAY);
    let mut p = plan(1, 1, daily, &[10], &[user(1)]);
    p.attendees = Some(vec![
        // Accepted the series, declined the second day; wants an hour's notice.
        own(user(2), &[60], true, &[second]),
        // Did not accept the series, accepted the third day; same minutes as the organizer.
        own(user(3), &[10], false, &[third]),
        // Accepted nothing at all: never reminded.
        own(user(4), &[30], false, &[]),
    ]);
    set(&mut s, p, now);
    fire(&mut s, third + DAY);
    let organizer: Vec<u64> = inbox(&s, user(1)).iter().map(|n| n.0).collect();
    assert_eq!(organizer, vec![first, second, third]);
    assert_eq!(
        inbox(&s, user(2)),
        vec![(first, 60, first - HOUR), (third, 60, third - HOUR)]
    );
    assert_eq!(inbox(&s, user(3)), vec![(third, 10, third - 10 * MIN)]);
    assert!(inbox(&s, user(4)).is_empty());
}

#[test]
fn a_plan_for_attendees_alone_is_kept_and_survives_the_record_codec() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let start = now + DAY;
    // The organizer wants no reminders; one attendee does.
    let mut p = plan(1, 1, schedule(start, "UTC", None), &[], &[user(1)]);
    p.attendees = Some(vec![own(user(2), &[15, 5, 15], true, &[])]);
    set(&mut s, p, now);
    let EventState::Active(held) = s.event(&(shard(1), 1)).unwrap().state else {
        panic!("the attendee's reminders keep the plan active");
    };
    assert!(
        held.recipients.is_empty(),
        "no minutes: the organizer is not kept"
    );
    assert_eq!(
        held.attendees,
        vec![AttendeePlanModel {
            principal: user(2),
            minutes_before: vec![5, 15],
            accepted_series: true,
            exception_starts_ns: vec![],
        }]
    );
    assert_eq!(s.due.len(), 2);
    fire(&mut s, start);
    assert_eq!(inbox(&s, user(2)).len(), 2);
    assert!(inbox(&s, user(1)).is_empty());
}

#[test]
fn deleting_an_attendees_account_removes_their_own_plan() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let start = now + DAY;
    let mut p = plan(1, 1, schedule(start, "UTC", None), &[], &[]);
    p.attendees = Some(vec![own(user(2), &[15], true, &[])]);
    set(&mut s, p, now);
    assert_eq!(
        s.recipients.len(),
        1,
        "the attendee is indexed for account deletion"
    );
    assert_eq!(s.remove_recipient(user(2), 10, now), 1);
    assert_eq!(s.due.len(), 0, "nobody is left to remind");
    assert!(matches!(
        s.event(&(shard(1), 1)).unwrap().state,
        EventState::Ended { .. }
    ));
}

#[test]
fn bad_attendee_plans_are_refused_and_change_nothing() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let good = plan(1, 1, schedule(now + DAY, "UTC", None), &[10], &[user(1)]);
    let with = |attendees: Vec<AttendeePlan>| ReminderPlan {
        attendees: Some(attendees),
        ..good.clone()
    };
    let cases = vec![
        (
            with(vec![
                own(user(2), &[5], true, &[]),
                own(user(2), &[9], true, &[]),
            ]),
            "updates[0].attendees",
        ),
        (
            with(vec![own(Principal::anonymous(), &[5], true, &[])]),
            "updates[0].attendees",
        ),
        (
            with(vec![own(user(2), &[MAX_MINUTES_BEFORE + 1], true, &[])]),
            "updates[0].attendees[0].minutes_before",
        ),
        (
            with(vec![own(
                user(2),
                &[5],
                true,
                &(0..=MAX_ATTENDEE_EXCEPTIONS as u64).collect::<Vec<_>>(),
            )]),
            "updates[0].attendees.exception_starts_ns",
        ),
    ];
    for (bad, want) in cases {
        let err = s
            .sync(shard(1), vec![ReminderUpdate::Set(bad)], now)
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { field, .. } if field == want),
            "{want}: {err:?}"
        );
        assert_eq!(s.events.len(), 0);
        assert_eq!(s.due.len(), 0);
    }
}

#[test]
fn an_occurrence_accepted_on_its_own_far_ahead_is_reached_without_scanning_to_it() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let first = now + DAY;
    // A daily series without end; nobody is reminded of it but one attendee, who accepted only
    // the 200th day (beyond what one refill scans) and, before it, the 3rd.
    let daily = schedule(first, "UTC", Some("FREQ=DAILY"));
    let (third, far) = (first + 2 * DAY, first + 199 * DAY);
    let mut p = plan(1, 1, daily, &[], &[]);
    p.attendees = Some(vec![own(user(2), &[10], false, &[far, third])]);
    set(&mut s, p, now);
    assert_eq!(s.next_due_ns(), Some(third - 10 * MIN));
    fire(&mut s, third);
    assert_eq!(
        s.next_due_ns(),
        Some(far - 10 * MIN),
        "the refill jumps to it"
    );
    fire(&mut s, far + DAY);
    assert_eq!(
        inbox(&s, user(2)),
        vec![(third, 10, third - 10 * MIN), (far, 10, far - 10 * MIN)]
    );
    assert!(
        matches!(
            s.event(&(shard(1), 1)).unwrap().state,
            EventState::Ended { .. }
        ),
        "no accepted occurrence is left"
    );
}

#[test]
fn occurrences_everyone_declined_one_by_one_are_passed_over_past_the_scan_limit() {
    let mut s = store();
    let now = at("2026-05-01T08:00", "UTC");
    let first = now + DAY;
    // The organizer wants no reminders; the one attendee accepted the daily series but declined
    // its first 100 days, more than one refill scans.
    let daily = schedule(first, "UTC", Some("FREQ=DAILY"));
    let declined: Vec<u64> = (0..100).map(|d| first + d * DAY).collect();
    let mut p = plan(1, 1, daily, &[], &[]);
    p.attendees = Some(vec![own(user(2), &[10], true, &declined)]);
    set(&mut s, p, now);
    let day_101 = first + 100 * DAY;
    assert_eq!(s.next_due_ns(), Some(day_101 - 10 * MIN));
    fire(&mut s, day_101);
    assert_eq!(inbox(&s, user(2)), vec![(day_101, 10, day_101 - 10 * MIN)]);
}
