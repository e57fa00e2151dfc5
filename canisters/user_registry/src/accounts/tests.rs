//! Unit tests of accounts, shard requests and account deletion over in-memory stable
//! structures; the outbox's calls are played by handing `finish` their outcomes.

use super::*;
use ic_stable_structures::VectorMemory;
use interfaces::calendar::Weekday;
use interfaces::user::{CalendarView, Theme};

fn accounts() -> Accounts<VectorMemory> {
    Accounts::init(|_| VectorMemory::default())
}

fn user(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}

fn canister(n: u8) -> Principal {
    Principal::from_slice(&[n, 0, 0, 0, 0, 0, 0, 0, 1, 1])
}

fn request(name: &str) -> RegisterRequest {
    RegisterRequest {
        profile: Profile {
            display_name: name.into(),
            avatar_color: None,
            email: None,
        },
        settings: None,
    }
}

/// Runs every due item at `now` with the outcome `answer` gives its work.
fn run_outbox(
    a: &mut Accounts<VectorMemory>,
    now: u64,
    answer: impl Fn(&Work) -> Result<Outcome, Error>,
) -> usize {
    let due = a.due(now, 1_000);
    for (id, item) in &due {
        a.finish(*id, answer(&item.work), now);
    }
    due.len()
}

#[test]
fn register_is_idempotent_and_validates_before_changing_anything() {
    let mut a = accounts();
    let first = a.register(user(1), request("Ada"), 10).unwrap();
    assert_eq!(first.settings, Settings::default());
    assert_eq!(first.registered_at_ns, 10);
    // Again, even with other input: the same account, unchanged.
    let again = a.register(user(1), request("Someone else"), 20).unwrap();
    assert_eq!(again, first);
    assert_eq!(a.due(20, 10).len(), 1, "one shard request, not two");

    let bad = RegisterRequest {
        settings: Some(Settings {
            time_zone: "Nowhere/Special".into(),
            ..Settings::default()
        }),
        ..request("Bob")
    };
    assert!(matches!(
        a.register(user(2), bad, 30),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        a.register(user(2), request(""), 30),
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(a.account(user(2)), Err(Error::not_found("account")));
    assert_eq!(a.stats().users, 1);
    assert_eq!(a.stats().outbox_pending, 1);
}

#[test]
fn updates_replace_profile_and_settings_and_bad_ones_change_nothing() {
    let mut a = accounts();
    a.register(user(1), request("Ada"), 10).unwrap();
    let settings = Settings {
        time_zone: "America/New_York".into(),
        week_start: Weekday::Sunday,
        working_hours: vec![],
        default_reminders_minutes: vec![0, 30],
        default_view: CalendarView::Agenda,
        theme: Theme::Dark,
    };
    let updated = a.update_settings(user(1), settings.clone(), 20).unwrap();
    assert_eq!(
        (updated.settings, updated.updated_at_ns),
        (settings.clone(), 20)
    );
    let before = a.account(user(1)).unwrap();
    let bad = Settings {
        default_reminders_minutes: vec![5, 5],
        ..settings
    };
    assert!(a.update_settings(user(1), bad, 30).is_err());
    let bad_profile = Profile {
        display_name: "Ada".into(),
        avatar_color: Some("blue".into()),
        email: None,
    };
    assert!(a.update_profile(user(1), bad_profile, 30).is_err());
    assert_eq!(a.account(user(1)).unwrap(), before);
    assert_eq!(
        a.update_profile(user(9), before.profile.clone(), 30),
        Err(Error::not_found("account"))
    );
}

#[test]
fn the_shard_stays_pending_with_retries_until_the_balancer_answers() {
    let mut a = accounts();
    a.register(user(1), request("Ada"), 0).unwrap();
    let no_balancer = |_: &Work| {
        Err(Error::Unavailable {
            reason: "no load_balancer in the group yet".into(),
        })
    };
    assert_eq!(run_outbox(&mut a, 0, no_balancer), 1);
    match a.shard(user(1)).unwrap() {
        ShardAssignment::Pending {
            attempts,
            last_error,
            next_attempt_ns,
        } => {
            assert_eq!(attempts, 1);
            assert!(last_error.unwrap().contains("no load_balancer"));
            assert_eq!(next_attempt_ns, RETRY_DELAY_NS);
        }
        other => panic!("{other:?}"),
    }
    // Not due again before the delay; then the delay doubles.
    assert_eq!(run_outbox(&mut a, RETRY_DELAY_NS - 1, no_balancer), 0);
    assert_eq!(run_outbox(&mut a, RETRY_DELAY_NS, no_balancer), 1);
    assert!(matches!(
        a.shard(user(1)).unwrap(),
        ShardAssignment::Pending { attempts: 2, next_attempt_ns, .. } if next_attempt_ns == 3 * RETRY_DELAY_NS
    ));
    assert_eq!(a.stats().shards_pending, 1);
    let shard = canister(7);
    run_outbox(&mut a, 3 * RETRY_DELAY_NS, |_| Ok(Outcome::Assigned(shard)));
    assert_eq!(a.shard(user(1)), Ok(ShardAssignment::Assigned(shard)));
    assert_eq!(
        a.account(user(1)).unwrap().shard,
        ShardAssignment::Assigned(shard)
    );
    assert_eq!(a.stats().shards_pending, 0);
    assert_eq!(a.stats().outbox_pending, 0);
}

#[test]
fn deleting_an_account_removes_it_at_once_and_tracks_every_holder_until_done() {
    let mut a = accounts();
    a.register(user(1), request("Ada"), 0).unwrap();
    a.register(user(2), request("Bob"), 0).unwrap();
    let holders = vec![
        (canister(1), CanisterKind::LoadBalancer),
        (canister(2), CanisterKind::Calendar),
        (canister(3), CanisterKind::Notification),
    ];
    let status = a
        .delete_account(user(1), Some(holders.clone()), 100)
        .unwrap();
    assert_eq!(status.state, DeletionState::Deleting);
    assert_eq!(status.steps.len(), 3);
    assert_eq!(a.account(user(1)), Err(Error::not_found("account")));
    assert_eq!(
        a.stats().shards_pending,
        1,
        "user 1's shard request went with the account"
    );
    // Asking again answers the progress; registering again waits for the deletion.
    assert_eq!(
        a.delete_account(user(1), Some(holders), 101).unwrap(),
        status
    );
    assert!(matches!(
        a.register(user(1), request("Ada"), 102),
        Err(Error::Conflict { .. })
    ));

    // The calendar shard fails once; the others confirm.
    run_outbox(&mut a, 200, |w| match w {
        Work::DeleteUserData {
            kind: HolderKind::Calendar,
            ..
        } => Err(Error::Unavailable {
            reason: "stopped".into(),
        }),
        Work::DeleteUserData {
            kind: HolderKind::Notification,
            ..
        } => Ok(Outcome::Deleted(Some(4))),
        Work::DeleteUserData { .. } => Ok(Outcome::Deleted(Some(1))),
        Work::AssignShard { .. } => Ok(Outcome::Assigned(canister(9))),
        Work::PlanDeletion { .. } => unreachable!(),
    });
    let status = a.deletion_status(user(1)).unwrap();
    assert_eq!(status.state, DeletionState::Deleting);
    let calendar = status
        .steps
        .iter()
        .find(|s| s.kind == CanisterKind::Calendar)
        .unwrap();
    assert_eq!((calendar.attempts, calendar.done_at_ns), (1, None));
    assert_eq!(calendar.last_error.as_deref(), Some("unavailable: stopped"));
    let inbox = status
        .steps
        .iter()
        .find(|s| s.kind == CanisterKind::Notification)
        .unwrap();
    assert_eq!(
        (inbox.done_at_ns, inbox.items_deleted),
        (Some(200), Some(4))
    );

    run_outbox(&mut a, 200 + RETRY_DELAY_NS, |_| {
        Ok(Outcome::Deleted(Some(2)))
    });
    let done = a.deletion_status(user(1)).unwrap();
    assert_eq!(
        done.state,
        DeletionState::Complete {
            at_ns: 200 + RETRY_DELAY_NS
        }
    );
    assert!(a.holds_user(user(1)), "the receipt stays for a day");
    a.expire_receipts(200 + RETRY_DELAY_NS + RECEIPT_RETENTION_NS);
    assert!(a.holds_user(user(1)));
    a.expire_receipts(201 + RETRY_DELAY_NS + RECEIPT_RETENTION_NS);
    assert!(!a.holds_user(user(1)), "no trace left");
    assert!(a.holds_user(user(2)));
    assert_eq!(a.export(user(1), 0).account, None);
}

#[test]
fn deletion_waits_for_the_group_and_a_holder_that_left_counts_as_done() {
    let mut a = accounts();
    a.register(user(1), request("Ada"), 0).unwrap();
    let status = a.delete_account(user(1), None, 0).unwrap();
    assert!(matches!(
        status.state,
        DeletionState::FindingCanisters { .. }
    ));
    run_outbox(&mut a, 0, |_| {
        Err(Error::Unavailable {
            reason: "no group snapshot yet".into(),
        })
    });
    assert!(matches!(
        a.deletion_status(user(1)).unwrap().state,
        DeletionState::FindingCanisters { attempts: 1, .. }
    ));
    run_outbox(&mut a, RETRY_DELAY_NS, |_| {
        Ok(Outcome::Planned(vec![(
            canister(3),
            CanisterKind::Notification,
        )]))
    });
    assert_eq!(a.deletion_status(user(1)).unwrap().steps.len(), 1);
    run_outbox(&mut a, RETRY_DELAY_NS, |_| Ok(Outcome::Deleted(None)));
    let status = a.deletion_status(user(1)).unwrap();
    assert!(matches!(status.state, DeletionState::Complete { .. }));
    assert_eq!(
        status.steps[0].last_error.as_deref(),
        Some("no longer a member of the group")
    );

    // A group without any holder: complete at once. Re-registering afterwards is allowed and
    // forgets the old receipt.
    a.register(user(1), request("Ada again"), 10 * RETRY_DELAY_NS)
        .unwrap();
    assert_eq!(
        a.deletion_status(user(1)),
        Err(Error::not_found("account deletion"))
    );
    let status = a
        .delete_account(user(1), Some(vec![]), 11 * RETRY_DELAY_NS)
        .unwrap();
    assert!(matches!(status.state, DeletionState::Complete { .. }));
    // A wrong outcome for a work item keeps the item.
    a.register(user(3), request("Cy"), 0).unwrap();
    run_outbox(&mut a, 12 * RETRY_DELAY_NS, |_| {
        Ok(Outcome::Deleted(Some(1)))
    });
    assert!(matches!(
        a.shard(user(3)).unwrap(),
        ShardAssignment::Pending { attempts: 1, .. }
    ));
}

#[test]
fn an_assignment_that_lands_after_deletion_is_dropped() {
    let mut a = accounts();
    a.register(user(1), request("Ada"), 0).unwrap();
    let (id, _) = a.due(0, 1)[0].clone();
    // The call is in flight when the user deletes the account.
    a.delete_account(user(1), Some(vec![]), 1).unwrap();
    a.finish(id, Ok(Outcome::Assigned(canister(5))), 2);
    assert_eq!(a.account(user(1)), Err(Error::not_found("account")));
    assert_eq!(a.stats().shards_pending, 0);
    assert_eq!(a.stats().outbox_pending, 0);
}

#[test]
fn a_holder_deletes_in_batches_with_visible_progress_and_no_profile_is_needed() {
    let mut a = accounts();
    // user(3) never created a profile, but was invited to events on a shard.
    let holders = vec![(canister(2), CanisterKind::Calendar)];
    let status = a.delete_account(user(3), Some(holders), 10).unwrap();
    assert_eq!(status.state, DeletionState::Deleting);

    // Three batches of 500, then the rest: each batch is its own call, due again at once.
    for round in 1..=3u64 {
        assert_eq!(
            run_outbox(&mut a, 10 + round, |_| Ok(Outcome::DeletedBatch(500))),
            1
        );
        let step = &a.deletion_status(user(3)).unwrap().steps[0];
        assert_eq!(
            (step.items_deleted, step.done_at_ns),
            (Some(500 * round), None)
        );
    }
    run_outbox(&mut a, 20, |_| Ok(Outcome::Deleted(Some(7))));
    let done = a.deletion_status(user(3)).unwrap();
    assert_eq!(done.state, DeletionState::Complete { at_ns: 20 });
    assert_eq!(done.steps[0].items_deleted, Some(1_507));
}
