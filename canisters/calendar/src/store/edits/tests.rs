//! Unit tests of what users do to events (`super`), on one store (`VectorMemory`).

use super::*;
use crate::store::tests::{ctx, fixture, lesson, policy, user, weekly, DAY, HOUR, MONDAY};
use interfaces::calendar::{EventTime, Share, Visibility};
use interfaces::notification::AttendeePlan;

fn title(t: &str) -> EventPatch {
    EventPatch {
        title: Some(t.into()),
        ..Default::default()
    }
}

fn shared_with_editor() -> EventInput {
    shared_with_editor_at(MONDAY)
}

fn shared_with_editor_at(start: u64) -> EventInput {
    let mut input = lesson(start);
    input.visibility = Some(Visibility::Shared(vec![Share {
        principal: user(3),
        role: interfaces::calendar::Role::Editor,
    }]));
    input.attendees = Some(vec![user(2), user(4)]);
    input
}

#[test]
fn updates_check_access_then_the_revision() {
    let mut f = fixture();
    let e = f.store.create(&ctx(user(1)), shared_with_editor()).unwrap();
    let reshare = EventPatch {
        visibility: Some(Visibility::Public),
        ..Default::default()
    };
    // An editor changes the title but not who sees it, even at a stale revision.
    assert!(matches!(
        f.store.update(&ctx(user(3)), e.id, 9, reshare.clone()),
        Err(Error::Forbidden { .. })
    ));
    assert_eq!(
        f.store.update(&ctx(user(3)), e.id, 9, title("x")),
        Err(Error::StaleRevision {
            expected: 9,
            current: 1
        })
    );
    let e = f
        .store
        .update(&ctx(user(3)), e.id, 1, title("Theory"))
        .unwrap();
    assert_eq!((e.title.as_str(), e.revision), ("Theory", 2));
    let e = f.store.update(&ctx(user(1)), e.id, 2, reshare).unwrap();
    assert_eq!(e.visibility, Visibility::Public);
    // Public now: the anonymous caller reads it and is told it changes nothing.
    let anonymous = ctx(Principal::anonymous());
    assert!(f.store.get(&anonymous, e.id).is_ok());
    assert_eq!(
        f.store.update(&anonymous, e.id, 3, title("x")),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        f.store.delete(&anonymous, e.id, None),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        f.store.rsvp(&anonymous, e.id, Rsvp::Accepted),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        f.store.create(&anonymous, lesson(MONDAY)),
        Err(Error::AnonymousCaller)
    );
}

/// The owner's stale writes are refused from the stored revision (`Store::unless_stale`);
/// everyone else still meets the access rules first, so a stale revision tells them nothing.
#[test]
fn stale_writes_are_refused_after_access_is_decided() {
    let mut f = fixture();
    let e = f.store.create(&ctx(user(1)), shared_with_editor()).unwrap();
    let stale = Err(Error::StaleRevision {
        expected: 9,
        current: 1,
    });
    assert_eq!(f.store.update(&ctx(user(1)), e.id, 9, title("x")), stale);
    assert_eq!(
        f.store.delete(&ctx(user(1)), e.id, Some(9)),
        stale.map(|_| ())
    );
    // A stranger does not learn that the event exists; an attendee may not edit it.
    assert!(matches!(
        f.store.update(&ctx(user(9)), e.id, 9, title("x")),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        f.store.update(&ctx(user(2)), e.id, 9, title("x")),
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        f.store.delete(&ctx(user(3)), e.id, Some(9)),
        Err(Error::Forbidden { .. })
    ));
    // Nothing changed.
    assert_eq!(f.store.get(&ctx(user(1)), e.id), Ok(e));
}

#[test]
fn an_answer_changes_only_the_callers_own() {
    let mut f = fixture();
    let e = f.store.create(&ctx(user(1)), shared_with_editor()).unwrap();
    let e = f.store.rsvp(&ctx(user(4)), e.id, Rsvp::Declined).unwrap();
    let answers: Vec<_> = e.attendees.iter().map(|a| a.rsvp).collect();
    assert_eq!(answers, [Rsvp::NeedsAction, Rsvp::Declined]);
    assert!(matches!(
        f.store.rsvp(&ctx(user(3)), e.id, Rsvp::Accepted),
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        f.store.rsvp(&ctx(user(9)), e.id, Rsvp::Accepted),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn instances_are_moved_cancelled_and_restored() {
    let mut f = fixture();
    let c = ctx(user(1));
    let s = f.store.create(&c, weekly(MONDAY, 4)).unwrap();
    let second = MONDAY + 7 * DAY;
    let backwards = InstanceEdit::Moved {
        start_ns: second + HOUR,
        end_ns: second,
    };
    assert!(matches!(
        f.store.edit_instance(&c, s.id, 1, second, backwards),
        Err(Error::InvalidInput { .. })
    ));
    let moved = InstanceEdit::Moved {
        start_ns: second + HOUR,
        end_ns: second + 2 * HOUR,
    };
    let s = f.store.edit_instance(&c, s.id, 1, second, moved).unwrap();
    let s = f
        .store
        .edit_instance(&c, s.id, 2, MONDAY, InstanceEdit::Cancelled)
        .unwrap();
    let starts: Vec<u64> = s.overrides.iter().map(|o| o.original_start_ns).collect();
    assert_eq!(starts, [MONDAY, second], "kept in order");
    let s = f
        .store
        .edit_instance(&c, s.id, 3, second, InstanceEdit::Restored)
        .unwrap();
    assert_eq!(s.overrides.len(), 1);
    assert_eq!(s.revision, 4);
}

#[test]
fn a_split_writes_both_halves_or_neither() {
    let mut f = fixture();
    let c = ctx(user(1));
    let s = f.store.create(&c, weekly(MONDAY, 4)).unwrap();
    // An imported event already holds the UID the second half would get.
    let mut taken = crate::store::draft::draft(&c, lesson(MONDAY), 0);
    taken.ical_uid = format!("{}@{}", s.id + 2, c.shard);
    f.store.import(&c, vec![taken]).unwrap();
    let third = MONDAY + 14 * DAY;
    assert!(matches!(
        f.store.split(&c, s.id, 1, third, title("Later")),
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(
        f.store.get(&c, s.id).unwrap(),
        s,
        "the first half was not written"
    );
    // Without the clash (the imported event gone), both halves are written.
    f.store.delete(&c, s.id + 1, None).unwrap();
    let out = f.store.split(&c, s.id, 1, third, title("Later")).unwrap();
    assert_eq!(out.before.recurrence.unwrap().rule, "FREQ=WEEKLY;COUNT=2");
    assert_eq!(
        (out.after.title.as_str(), out.after.id),
        ("Later", s.id + 2)
    );
    assert!(matches!(
        f.store
            .split(&c, s.id, 2, third + HOUR, EventPatch::default()),
        Err(Error::InvalidInput { .. })
    ));
}

#[test]
fn an_import_replaces_by_uid_and_counts_the_quota_whole() {
    let mut f = fixture();
    let c = ctx(user(1));
    let e = f.store.create(&c, lesson(MONDAY)).unwrap();
    let mut same = e.clone();
    same.title = "Imported".into();
    same.revision = 1;
    let mut new = crate::store::draft::draft(&c, lesson(MONDAY + DAY), 0);
    new.ical_uid = "new@elsewhere".into();
    let saved = f.store.import(&c, vec![same.clone(), new.clone()]).unwrap();
    let added: Vec<bool> = saved.iter().map(|(_, added)| *added).collect();
    assert_eq!(added, [false, true]);
    let replaced = f.store.get(&c, e.id).unwrap();
    assert_eq!(
        (replaced.title.as_str(), replaced.revision),
        ("Imported", 2)
    );
    assert_eq!(f.store.event_count(), 2);
    f.quota(3);
    let more: Vec<Event> = (0..2)
        .map(|i| {
            let mut x = new.clone();
            x.ical_uid = format!("more-{i}");
            x
        })
        .collect();
    assert!(matches!(
        f.store.import(&c, more),
        Err(Error::Conflict { .. })
    ));
    assert_eq!(f.store.event_count(), 2);
}

#[test]
fn an_import_cannot_answer_for_anyone_but_its_owner() {
    let mut f = fixture();
    let c = ctx(user(1));
    let answer = |e: &Event, who: Principal| {
        e.attendees
            .iter()
            .find(|a| a.principal == who)
            .unwrap()
            .rsvp
    };
    let mut forged = crate::store::draft::draft(&c, lesson(MONDAY), 0);
    forged.ical_uid = "forged@file".into();
    forged.attendees = [(user(1), Rsvp::Accepted), (user(2), Rsvp::Accepted)]
        .map(|(principal, rsvp)| interfaces::calendar::Attendee { principal, rsvp })
        .to_vec();
    f.store.import(&c, vec![forged.clone()]).unwrap();
    let stored = f
        .store
        .by_uid(&user(1), "forged@file")
        .unwrap()
        .into_event();
    assert_eq!(answer(&stored, user(1)), Rsvp::Accepted, "the owner's own");
    assert_eq!(answer(&stored, user(2)), Rsvp::NeedsAction);
    assert_eq!(reminder_recipients(&stored), vec![user(1)]);

    // user(2) answers; a re-import claiming otherwise keeps what they said.
    f.store
        .rsvp(&ctx(user(2)), stored.id, Rsvp::Declined)
        .unwrap();
    forged.attendees[1].rsvp = Rsvp::Accepted;
    f.store.import(&c, vec![forged]).unwrap();
    let stored = f
        .store
        .by_uid(&user(1), "forged@file")
        .unwrap()
        .into_event();
    assert_eq!(answer(&stored, user(2)), Rsvp::Declined);
}

fn reminder_recipients(e: &Event) -> Vec<Principal> {
    crate::store::outbox::reminder_plan(e, user(9)).recipients
}

#[test]
fn reminders_go_to_attendees_who_accepted() {
    let mut f = fixture();
    let e = f.store.create(&ctx(user(1)), shared_with_editor()).unwrap();
    assert_eq!(reminder_recipients(&e), vec![user(1)]);
    f.store.rsvp(&ctx(user(2)), e.id, Rsvp::Tentative).unwrap();
    let e = f.store.rsvp(&ctx(user(4)), e.id, Rsvp::Accepted).unwrap();
    assert_eq!(reminder_recipients(&e), vec![user(1), user(4)]);
}

#[test]
fn deleting_a_user_removes_their_events_policy_and_places() {
    let mut f = fixture();
    let (alice, bob) = (ctx(user(1)), ctx(user(2)));
    let mine = f.store.create(&bob, lesson(MONDAY)).unwrap();
    let theirs = f.store.create(&alice, shared_with_editor()).unwrap();
    f.store.set_policy(&bob, Some(policy())).unwrap();
    // Bob: one event, one attendance, one policy.
    assert_eq!(f.store.delete_user(&alice, &user(2), 500), (3, true));
    assert!(f.store.get(&bob, mine.id).is_err());
    let theirs = f.store.get(&alice, theirs.id).unwrap();
    assert_eq!(theirs.attendees.len(), 1);
    assert_eq!(theirs.revision, 2);
    assert_eq!(f.store.policy(&user(2)), None);
    // The editor share goes the same way.
    assert_eq!(f.store.delete_user(&alice, &user(3), 500), (1, true));
    assert_eq!(
        f.store.get(&alice, theirs.id).unwrap().visibility,
        Visibility::Shared(vec![])
    );
    assert_eq!(f.store.delete_user(&alice, &user(2), 500), (0, true));
}

#[test]
fn deleting_a_user_goes_in_bounded_batches_that_resume() {
    let mut f = fixture();
    let (alice, bob) = (ctx(user(1)), ctx(user(2)));
    f.quota(100);
    for day in 0..4 {
        f.store.create(&bob, lesson(MONDAY + day * DAY)).unwrap();
        f.store
            .create(&alice, shared_with_editor_at(MONDAY + day * DAY))
            .unwrap();
    }
    f.store.set_policy(&bob, Some(policy())).unwrap();
    // 4 events, 4 attendances, 1 policy: 9 records, 4 per call.
    assert_eq!(f.store.delete_user(&alice, &user(2), 4), (4, false));
    assert_eq!(f.store.delete_user(&alice, &user(2), 4), (4, false));
    assert_eq!(f.store.delete_user(&alice, &user(2), 4), (1, true));
    assert_eq!(f.store.delete_user(&alice, &user(2), 4), (0, true));
    assert_eq!(f.store.policy(&user(2)), None);
    assert_eq!(f.store.event_count(), 4, "alice's events stay");
}

fn weekly_with(attendees: Vec<Principal>) -> EventInput {
    EventInput {
        attendees: Some(attendees),
        ..weekly(MONDAY, 4)
    }
}

#[test]
fn an_attendee_answers_one_occurrence_and_only_a_real_one() {
    let mut f = fixture();
    let (alice, bob) = (ctx(user(1)), ctx(user(2)));
    let e = f.store.create(&alice, weekly_with(vec![user(2)])).unwrap();
    let week = 7 * DAY;
    let answered = f
        .store
        .rsvp_occurrence(&bob, e.id, MONDAY + week, Rsvp::Declined)
        .unwrap();
    let only = |rsvp| {
        Some(vec![OccurrenceRsvp {
            principal: user(2),
            original_start_ns: MONDAY + week,
            rsvp,
        }])
    };
    assert_eq!(answered.occurrence_rsvps, only(Rsvp::Declined));
    assert_eq!(f.store.get(&alice, e.id).unwrap(), answered, "stored");
    // Answering it again replaces the answer; the series' own answer is no exception.
    let again = f
        .store
        .rsvp_occurrence(&bob, e.id, MONDAY + week, Rsvp::Tentative)
        .unwrap();
    assert_eq!(again.occurrence_rsvps, only(Rsvp::Tentative));
    let same = f
        .store
        .rsvp_occurrence(&bob, e.id, MONDAY + week, Rsvp::NeedsAction)
        .unwrap();
    assert_eq!(same.occurrence_rsvps, None);

    // Bad requests change nothing.
    let before = f.bytes();
    let not_an_instance = f
        .store
        .rsvp_occurrence(&bob, e.id, MONDAY + HOUR, Rsvp::Accepted);
    assert!(
        matches!(&not_an_instance, Err(Error::InvalidInput { field, .. }) if field == "original_start_ns"),
        "{not_an_instance:?}"
    );
    let stranger = f
        .store
        .rsvp_occurrence(&ctx(user(3)), e.id, MONDAY, Rsvp::Accepted);
    assert!(
        matches!(stranger, Err(Error::NotFound { .. })),
        "{stranger:?}"
    );
    assert!(f.bytes() == before, "a refused answer writes nothing");
    let one_off = f
        .store
        .create(
            &alice,
            EventInput {
                attendees: Some(vec![user(2)]),
                ..lesson(MONDAY)
            },
        )
        .unwrap();
    let before_one_off = f.bytes();
    let no_series = f
        .store
        .rsvp_occurrence(&bob, one_off.id, MONDAY, Rsvp::Accepted);
    assert!(
        matches!(&no_series, Err(Error::InvalidInput { field, .. }) if field == "id"),
        "{no_series:?}"
    );
    assert!(f.bytes() == before_one_off);
}

#[test]
fn answers_for_occurrences_follow_the_series_through_edits_and_splits() {
    let mut f = fixture();
    let (alice, bob, carol) = (ctx(user(1)), ctx(user(2)), ctx(user(3)));
    let e = f
        .store
        .create(&alice, weekly_with(vec![user(2), user(3)]))
        .unwrap();
    let week = 7 * DAY;
    for (who, n) in [(&bob, 1), (&bob, 3), (&carol, 2)] {
        f.store
            .rsvp_occurrence(who, e.id, MONDAY + n * week, Rsvp::Declined)
            .unwrap();
    }
    let starts = |e: &Event| -> Vec<(Principal, u64)> {
        e.occurrence_answers()
            .iter()
            .map(|a| (a.principal, (a.original_start_ns - MONDAY) / week))
            .collect()
    };
    // A new title keeps them; removing Carol drops hers.
    let e = f.store.get(&alice, e.id).unwrap();
    let e = f
        .store
        .update(&alice, e.id, e.revision, title("Class"))
        .unwrap();
    assert_eq!(starts(&e), [(user(2), 1), (user(3), 2), (user(2), 3)]);
    let fewer = EventPatch {
        attendees: Some(vec![user(2)]),
        ..Default::default()
    };
    let e = f.store.update(&alice, e.id, e.revision, fewer).unwrap();
    assert_eq!(starts(&e), [(user(2), 1), (user(2), 3)]);
    // A split gives each half the answers for its own occurrences.
    let split = f
        .store
        .split(
            &alice,
            e.id,
            e.revision,
            MONDAY + 2 * week,
            EventPatch::default(),
        )
        .unwrap();
    assert_eq!(starts(&split.before), [(user(2), 1)]);
    assert_eq!(starts(&split.after), [(user(2), 3)]);
    // Moving the whole series an hour later: no answer names an occurrence any more.
    let later = EventPatch {
        time: Some(EventTime::Timed {
            start_ns: MONDAY + HOUR,
            end_ns: MONDAY + 2 * HOUR,
        }),
        ..Default::default()
    };
    let moved = f
        .store
        .update(&alice, split.before.id, split.before.revision, later)
        .unwrap();
    assert_eq!(moved.occurrence_rsvps, None);
}

#[test]
fn attendees_choose_their_own_reminders_and_the_plan_follows_their_answers() {
    let mut f = fixture();
    let (alice, bob, carol) = (ctx(user(1)), ctx(user(2)), ctx(user(3)));
    let mut input = weekly_with(vec![user(2), user(3), user(4)]);
    input.reminders_minutes = Some(vec![10]);
    let e = f.store.create(&alice, input).unwrap();
    let week = 7 * DAY;
    // Bob accepts with an hour's notice; Carol accepts the series but declines the second
    // week, which was moved an hour later; user(4) accepts only the third week.
    f.store.rsvp(&bob, e.id, Rsvp::Accepted).unwrap();
    let mine = f
        .store
        .set_own_reminders(&bob, e.id, Some(vec![60]))
        .unwrap();
    assert_eq!(mine.own_reminders_of(&user(2)), Some(&[60][..]));
    let moved = InstanceEdit::Moved {
        start_ns: MONDAY + week + HOUR,
        end_ns: MONDAY + week + 2 * HOUR,
    };
    let e = f.store.get(&alice, e.id).unwrap();
    f.store
        .edit_instance(&alice, e.id, e.revision, MONDAY + week, moved)
        .unwrap();
    f.store.rsvp(&carol, e.id, Rsvp::Accepted).unwrap();
    f.store
        .rsvp_occurrence(&carol, e.id, MONDAY + week, Rsvp::Declined)
        .unwrap();
    let e = f
        .store
        .rsvp_occurrence(&ctx(user(4)), e.id, MONDAY + 2 * week, Rsvp::Accepted)
        .unwrap();
    let plan = crate::store::outbox::reminder_plan(&e, user(9));
    assert_eq!(
        plan.recipients,
        vec![user(1)],
        "everyone else has a plan of their own"
    );
    assert_eq!(plan.minutes_before, vec![10]);
    let own = |principal, minutes: &[u32], accepted_series, exceptions: &[u64]| AttendeePlan {
        principal,
        minutes_before: minutes.to_vec(),
        accepted_series,
        exception_starts_ns: exceptions.to_vec(),
    };
    assert_eq!(
        plan.attendees,
        Some(vec![
            own(user(2), &[60], true, &[]),
            // Known to the notification canister by where the occurrence starts now.
            own(user(3), &[10], true, &[MONDAY + week + HOUR]),
            own(user(4), &[10], false, &[MONDAY + 2 * week]),
        ])
    );
    // Back to the organizer's reminders: Bob is a plain recipient again.
    let e = f.store.set_own_reminders(&bob, e.id, None).unwrap();
    assert_eq!(e.attendee_reminders, None);
    let plan = crate::store::outbox::reminder_plan(&e, user(9));
    assert_eq!(plan.recipients, vec![user(1), user(2)]);
}

#[test]
fn own_reminders_are_an_attendees_within_limits_and_go_with_them() {
    let mut f = fixture();
    let (alice, bob) = (ctx(user(1)), ctx(user(2)));
    let e = f.store.create(&alice, weekly_with(vec![user(2)])).unwrap();
    let before = f.bytes();
    let refused = [
        (ctx(user(3)), Some(vec![5])),
        (bob, Some(vec![5, 5])),
        (bob, Some(vec![1, 2, 3, 4, 5, 6])),
        (bob, Some(vec![crate::validate::MAX_REMINDER_MINUTES + 1])),
    ];
    for (who, minutes) in refused {
        let answer = f.store.set_own_reminders(&who, e.id, minutes.clone());
        let expected = if who.caller == user(3) {
            matches!(answer, Err(Error::NotFound { .. }))
        } else {
            matches!(&answer, Err(Error::InvalidInput { field, .. }) if field == "attendee_reminders")
        };
        assert!(expected, "{minutes:?}: {answer:?}");
        assert!(f.bytes() == before, "{minutes:?}: a refusal writes nothing");
    }
    // The organizer cannot choose for Bob, and removing Bob drops his choice.
    let e = f
        .store
        .set_own_reminders(&bob, e.id, Some(vec![5]))
        .unwrap();
    assert!(matches!(
        f.store.set_own_reminders(&alice, e.id, Some(vec![5])),
        Err(Error::Forbidden { .. })
    ));
    let removed = f
        .store
        .update(
            &alice,
            e.id,
            e.revision,
            EventPatch {
                attendees: Some(vec![]),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(removed.attendee_reminders, None);
    // So does account deletion.
    let e = f.store.create(&alice, weekly_with(vec![user(2)])).unwrap();
    f.store
        .set_own_reminders(&bob, e.id, Some(vec![5]))
        .unwrap();
    f.store.delete_user(&alice, &user(2), 500);
    assert_eq!(f.store.get(&alice, e.id).unwrap().attendee_reminders, None);
}
