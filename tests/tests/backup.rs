//! The backup canister on the real wasm: snapshots every 5 minutes of only the data canisters
//! that changed, a corrupted stored chunk caught by verification, restore of a shard that lost
//! its data and of a fresh shard, snapshots kept across an upgrade, emergency backups and alerts.

use std::time::Duration;

use candid::{encode_args, Principal};
use integration_tests::{operator, user, Group, Suite};
use interfaces::backup::{
    BackupStats, RecoveryPlan, RecoveryReport, RecoveryTarget, SnapshotInfo, SnapshotPage,
    SnapshotQuery, SnapshotStatus, StepOutcome, VerifyReport,
};
use interfaces::calendar::{Event, EventInput, EventPage, ListRequest};
use interfaces::notification::{AlertKind, AlertPage, AlertQuery};
use interfaces::notification::{NotificationPage, NotificationQuery};
use interfaces::security::MemberInit;
use interfaces::{CanisterKind, Error, Permission};

const MINUTE: Duration = Duration::from_secs(60);
const IN_PLACE: RecoveryTarget = RecoveryTarget::InPlace;
const NEW_SHARD: RecoveryTarget = RecoveryTarget::NewShard {
    cycles: 2_000_000_000_000,
};

fn outcome(report: &RecoveryReport, name: &str) -> StepOutcome {
    report
        .steps
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}: {report:?}"))
        .outcome
        .clone()
}
const HOUR_NS: u64 = 3_600_000_000_000;
/// 2026-05-04T07:00:00Z
const START: u64 = 1_777_878_000_000_000_000;

struct Fixture {
    suite: Suite,
    group: Group,
    backup: Principal,
    shard_a: Principal,
    shard_b: Principal,
}

impl Fixture {
    /// Registry, two shards, notification, user registry, load balancer and backup in one
    /// group; the backup canister may manage groups (it adds fresh shards when it restores).
    fn new() -> Self {
        let suite = Suite::new();
        let group = suite.group(&[
            CanisterKind::Calendar,
            CanisterKind::Calendar,
            CanisterKind::Notification,
            CanisterKind::UserRegistry,
            CanisterKind::LoadBalancer,
            CanisterKind::BackupCanister,
        ]);
        let backup = group.member(CanisterKind::BackupCanister);
        let (r,): (Result<(), Error>,) = suite
            .update(
                group.registry,
                operator(),
                "add_admin",
                (backup, vec![Permission::ManageGroups]),
            )
            .unwrap();
        r.unwrap();
        let shards: Vec<Principal> = group
            .members
            .iter()
            .filter(|(k, _)| *k == CanisterKind::Calendar)
            .map(|(_, p)| *p)
            .collect();
        suite.settle();
        Fixture {
            backup,
            shard_a: shards[0],
            shard_b: shards[1],
            suite,
            group,
        }
    }

    fn backup_up<R: candid::CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        who: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> Result<R, Error> {
        let (r,): (Result<R, Error>,) = self.suite.update(self.backup, who, method, args).unwrap();
        r
    }

    fn backup_q<R: candid::CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> Result<R, Error> {
        let (r,): (Result<R, Error>,) = self
            .suite
            .query(self.backup, operator(), method, args)
            .unwrap();
        r
    }

    fn stats(&self) -> BackupStats {
        self.backup_q("get_backup_stats", ()).unwrap()
    }

    fn snapshots(&self, canister: Option<Principal>) -> Vec<SnapshotInfo> {
        let page: SnapshotPage = self
            .backup_q(
                "list_snapshots",
                (SnapshotQuery {
                    canister,
                    before: None,
                    limit: Some(500),
                },),
            )
            .unwrap();
        page.snapshots
    }

    /// Advances 5 minutes and runs rounds until the timer's cycle has finished.
    fn next_cycle(&self) -> BackupStats {
        let before = self.stats().cycles_run;
        self.suite.env.advance_time(5 * MINUTE);
        for _ in 0..500 {
            self.suite.env.tick();
            let stats = self.stats();
            if stats.cycles_run > before {
                return stats;
            }
        }
        panic!("the backup cycle did not finish");
    }

    fn create(&self, shard: Principal, who: Principal, title: &str, start: u64) -> Event {
        let (r,): (Result<Event, Error>,) = self
            .suite
            .update(
                shard,
                who,
                "create_event",
                (EventInput::timed(
                    title,
                    start,
                    start + HOUR_NS,
                    "Europe/Berlin",
                ),),
            )
            .unwrap();
        r.unwrap()
    }

    /// Everything `who` owns on `shard`, every page.
    fn events(&self, shard: Principal, who: Principal) -> Vec<Event> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let (r,): (Result<EventPage, Error>,) = self
                .suite
                .query(
                    shard,
                    who,
                    "list_events",
                    (ListRequest {
                        owner: None,
                        from_ns: START - 400 * 24 * HOUR_NS,
                        to_ns: START + 400 * 24 * HOUR_NS,
                        cursor,
                        limit: Some(500),
                        include_declined: None,
                    },),
                )
                .unwrap();
            let page = r.unwrap();
            out.extend(page.events);
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        out.sort_by_key(|e| e.id);
        out.dedup_by_key(|e| e.id);
        out
    }

    fn member_init(&self) -> Vec<u8> {
        encode_args((Some(MemberInit {
            registry: self.group.registry,
        }),))
        .unwrap()
    }
}

#[test]
fn every_five_minutes_only_changed_canisters_are_snapshotted() {
    let f = Fixture::new();
    // The first cycle finds four data canisters never snapshotted.
    let first = f.next_cycle();
    let cycle = first.last_cycle.clone().unwrap();
    assert_eq!(cycle.checked, 4, "two shards, notification, user registry");
    assert_eq!(cycle.snapshots.len(), 4);
    assert_eq!(cycle.failed, 0);

    // Nothing changed: the next cycle pulls nothing.
    let idle = f.next_cycle();
    let cycle = idle.last_cycle.clone().unwrap();
    assert_eq!((cycle.snapshots.len(), cycle.unchanged), (0, 4));
    assert_eq!(idle.stored_bytes, first.stored_bytes, "no bytes pulled");

    // One shard changes: only it is snapshotted, and its snapshot holds the change.
    let alice = user(1);
    for i in 0..20 {
        f.create(f.shard_a, alice, "Lesson", START + i * 24 * HOUR_NS);
    }
    let changed = f.next_cycle();
    let cycle = changed.last_cycle.clone().unwrap();
    assert_eq!((cycle.snapshots.len(), cycle.unchanged), (1, 3));
    let taken = f
        .snapshots(None)
        .into_iter()
        .find(|s| s.id == cycle.snapshots[0])
        .unwrap();
    assert_eq!(taken.canister, f.shard_a);
    assert_eq!(taken.status, SnapshotStatus::Complete);
    assert!(taken.chunk_bytes <= 3 << 19 && taken.chunk_count >= 1);
    assert_eq!(taken.sha256.len(), 32);
    let verify: VerifyReport = f
        .backup_up(operator(), "verify_snapshot", (taken.id,))
        .unwrap();
    assert!(verify.ok);
    assert_eq!(verify.bytes_checked, taken.total_bytes);

    // A user registers: the user registry's data moved, and it is snapshotted; the calendar
    // shards did not change.
    let users = f.group.member(CanisterKind::UserRegistry);
    let (r,): (Result<interfaces::user::UserAccount, Error>,) = f
        .suite
        .update(
            users,
            user(3),
            "register",
            (interfaces::user::RegisterRequest {
                profile: interfaces::user::Profile {
                    display_name: "Carol".into(),
                    avatar_color: None,
                    email: None,
                },
                settings: None,
            },),
        )
        .unwrap();
    r.unwrap();
    let cycle = f.next_cycle().last_cycle.unwrap();
    let taken: Vec<Principal> = f
        .snapshots(None)
        .into_iter()
        .filter(|s| cycle.snapshots.contains(&s.id))
        .map(|s| s.canister)
        .collect();
    assert!(taken.contains(&users), "{cycle:?}");
    assert!(!taken.contains(&f.shard_a) && !taken.contains(&f.shard_b));

    // Only admins see or trigger backups.
    let r: Result<BackupStats, Error> = {
        let (r,) = f
            .suite
            .query(f.backup, alice, "get_backup_stats", ())
            .unwrap();
        r
    };
    assert!(matches!(r, Err(Error::NotAdmin { .. })));
    let r: Result<u64, Error> = f.backup_up(
        alice,
        "emergency_backup",
        (f.shard_b, CanisterKind::Calendar),
    );
    assert!(matches!(r, Err(Error::NotAdmin { .. })));
}

#[test]
fn emergency_backups_and_failures_raise_alerts() {
    let f = Fixture::new();
    // Admin: a snapshot now, whatever the data version.
    let id: u64 = f
        .backup_up(
            operator(),
            "emergency_backup",
            (f.shard_b, CanisterKind::Calendar),
        )
        .unwrap();
    let again: u64 = f
        .backup_up(
            operator(),
            "emergency_backup",
            (f.shard_b, CanisterKind::Calendar),
        )
        .unwrap();
    assert!(again > id);
    // Bad input is a typed error: not a member, not a data kind.
    let r: Result<u64, Error> = f.backup_up(
        operator(),
        "emergency_backup",
        (user(9), CanisterKind::Calendar),
    );
    assert!(matches!(r, Err(Error::NotFound { .. })));
    let r: Result<u64, Error> = f.backup_up(
        operator(),
        "emergency_backup",
        (f.group.registry, CanisterKind::CanisterRegistry),
    );
    assert!(matches!(r, Err(Error::InvalidInput { .. })));
    // The group-member contract: a caller without a key is refused.
    let r: Result<u64, Error> = f.backup_up(
        user(1),
        "request_emergency_backup",
        (
            serde_bytes::ByteBuf::from(vec![0u8; 32]),
            f.shard_b,
            CanisterKind::Calendar,
        ),
    );
    assert!(r.is_err());

    // A stopped shard cannot be snapshotted: the failure is recorded and an alert raised.
    f.suite
        .env
        .stop_canister(f.shard_b, Some(operator()))
        .unwrap();
    let r: Result<u64, Error> = f.backup_up(
        operator(),
        "emergency_backup",
        (f.shard_b, CanisterKind::Calendar),
    );
    assert!(r.is_err());
    f.suite.settle();
    let failed = f.snapshots(Some(f.shard_b));
    assert!(matches!(failed[0].status, SnapshotStatus::Failed { .. }));
    let notification = f.group.member(CanisterKind::Notification);
    let (alerts,): (Result<AlertPage, Error>,) = f
        .suite
        .query(
            notification,
            operator(),
            "list_alerts",
            (AlertQuery {
                include_acknowledged: true,
                cursor: None,
                limit: None,
            },),
        )
        .unwrap();
    let alerts = alerts.unwrap();
    assert!(alerts
        .alerts
        .iter()
        .any(|a| a.kind == AlertKind::BackupFailed && a.subject == Some(f.shard_b)));
    let stats = f.stats();
    assert!(stats.failures >= 1);
    assert_eq!(stats.last_alert_error, None);

    // Configuration: validated, admin only.
    let config = interfaces::backup::BackupConfig {
        interval_secs: 120,
        keep_recent: 2,
        keep_daily: 3,
    };
    let r: Result<(), Error> = f.backup_up(user(1), "configure_backup", (config,));
    assert!(matches!(r, Err(Error::NotAdmin { .. })));
    let bad = interfaces::backup::BackupConfig {
        keep_recent: 0,
        ..config
    };
    let r: Result<(), Error> = f.backup_up(operator(), "configure_backup", (bad,));
    assert!(matches!(r, Err(Error::InvalidInput { .. })));
    assert_eq!(
        f.stats().config,
        interfaces::backup::BackupConfig::default()
    );
    f.backup_up::<()>(operator(), "configure_backup", (config,))
        .unwrap();
    assert_eq!(f.stats().config, config);
}

/// Finds every copy of `marker` in the backup canister's stable memory and flips one bit of
/// each, as a failing disk would. No production code helps: the test edits raw stable memory
/// through the runtime, like PocketIC's `set_stable_memory`.
fn corrupt_stored(f: &Fixture, marker: &[u8]) -> usize {
    let mut memory = f.suite.env.get_stable_memory(f.backup);
    let at: Vec<usize> = memory
        .windows(marker.len())
        .enumerate()
        .filter(|(_, w)| *w == marker)
        .map(|(i, _)| i)
        .collect();
    for &i in &at {
        memory[i + marker.len() / 2] ^= 0x01;
    }
    f.suite.env.set_stable_memory(f.backup, memory);
    at.len()
}

#[test]
fn a_corrupted_chunk_fails_verification_and_is_never_restored() {
    let f = Fixture::new();
    let alice = user(1);
    f.create(f.shard_a, alice, "MARKER-7f3a9c-lesson", START);
    let id: u64 = f
        .backup_up(
            operator(),
            "emergency_backup",
            (f.shard_a, CanisterKind::Calendar),
        )
        .unwrap();
    let clean: u64 = f
        .backup_up(
            operator(),
            "emergency_backup",
            (f.shard_b, CanisterKind::Calendar),
        )
        .unwrap();
    let ok: VerifyReport = f.backup_up(operator(), "verify_snapshot", (id,)).unwrap();
    assert!(ok.ok);

    assert!(corrupt_stored(&f, b"MARKER-7f3a9c-lesson") >= 1);
    let bad: VerifyReport = f.backup_up(operator(), "verify_snapshot", (id,)).unwrap();
    assert!(!bad.ok, "the flipped bit changes the hash");
    assert_ne!(bad.actual_sha256, bad.expected_sha256);
    assert_eq!(bad.expected_sha256, ok.expected_sha256);
    let other: VerifyReport = f
        .backup_up(operator(), "verify_snapshot", (clean,))
        .unwrap();
    assert!(other.ok, "the other snapshot is intact");

    // A corrupted snapshot is refused before anything is pushed: the shard keeps its data.
    let before = f.events(f.shard_a, alice);
    let r: Result<RecoveryReport, Error> =
        f.backup_up(operator(), "execute_recovery", (f.shard_a, id, IN_PLACE));
    assert!(matches!(r, Err(Error::Conflict { .. })), "{r:?}");
    assert_eq!(f.events(f.shard_a, alice), before);
}

#[test]
fn a_lost_shard_and_a_fresh_shard_are_restored_exactly() {
    let f = Fixture::new();
    let (alice, bob) = (user(1), user(2));
    for i in 0..40 {
        f.create(
            f.shard_a,
            alice,
            &format!("Lesson {i}"),
            START + i * 24 * HOUR_NS,
        );
    }
    for i in 0..5 {
        f.create(f.shard_a, bob, &format!("Exam {i}"), START + i * HOUR_NS);
    }
    f.next_cycle();
    let snapshot = f.snapshots(Some(f.shard_a))[0].clone();
    assert_eq!(snapshot.status, SnapshotStatus::Complete);
    let alice_before = f.events(f.shard_a, alice);
    let bob_before = f.events(f.shard_a, bob);
    assert_eq!((alice_before.len(), bob_before.len()), (40, 5));

    let plan: RecoveryPlan = f
        .backup_q("generate_recovery_plan", (f.shard_a, IN_PLACE))
        .unwrap();
    assert_eq!(plan.snapshot.id, snapshot.id);
    assert_eq!((plan.target, plan.target_is_new), (Some(f.shard_a), false));
    assert_eq!(plan.chunk_count, snapshot.chunk_count);
    assert_eq!(plan.total_bytes, snapshot.total_bytes);
    assert!(plan.steps.len() >= 4);

    // The shard loses its data (reinstalled), then is restored in place.
    f.suite
        .env
        .reinstall_canister(
            f.shard_a,
            integration_tests::wasm("calendar"),
            f.member_init(),
            Some(operator()),
        )
        .unwrap();
    f.suite.settle();
    assert!(f.events(f.shard_a, alice).is_empty(), "the data is gone");
    let report: RecoveryReport = f
        .backup_up(
            operator(),
            "execute_recovery",
            (f.shard_a, snapshot.id, IN_PLACE),
        )
        .unwrap();
    assert!(report.restored, "{report:?}");
    assert!(report.steps.iter().all(|s| s.outcome == StepOutcome::Done));
    assert_eq!(f.events(f.shard_a, alice), alice_before);
    assert_eq!(f.events(f.shard_a, bob), bob_before);

    // A new shard, created by the backup canister, restored from the same snapshot.
    f.suite.upload_calendar_wasm(f.group.registry);
    let plan: RecoveryPlan = f
        .backup_q("generate_recovery_plan", (f.shard_a, NEW_SHARD))
        .unwrap();
    assert_eq!((plan.target, plan.target_is_new), (None, true));
    assert!(plan.steps.iter().any(|s| s.contains("replace_shard")));
    let report: RecoveryReport = f
        .backup_up(
            operator(),
            "execute_recovery",
            (f.shard_a, snapshot.id, NEW_SHARD),
        )
        .unwrap();
    assert!(report.restored, "{report:?}");
    let fresh = report.target.expect("a new shard");
    assert!(![f.shard_a, f.shard_b].contains(&fresh));
    for name in ["create_shard", "install", "add_to_group", "import_commit"] {
        assert_eq!(outcome(&report, name), StepOutcome::Done, "{name}");
    }
    // The balancer on this branch may not offer replace_shard yet; whatever it answers is
    // reported, and the restore stands.
    match outcome(&report, "replace_shard") {
        StepOutcome::Done => assert!(report.users_moved.is_some()),
        StepOutcome::Failed { reason } => assert!(!reason.is_empty()),
        other => panic!("replace_shard was {other:?}"),
    }
    assert_eq!(f.events(fresh, alice), alice_before);
    assert_eq!(f.events(fresh, bob), bob_before);
    // The operator controls it, with the backup canister that installed it.
    let status = f
        .suite
        .env
        .canister_status(fresh, Some(operator()))
        .expect("the operator controls the new shard");
    let mut controllers = status.settings.controllers.clone();
    controllers.sort();
    let mut expected = vec![f.backup, operator()];
    expected.sort();
    assert_eq!(controllers, expected);
    // The fresh shard is now a member of the group in the registry.
    let (group,): (Result<interfaces::security::GroupInfo, Error>,) = f
        .suite
        .query(f.group.registry, operator(), "get_group", ("suite",))
        .unwrap();
    let group = candid::encode_one(group.unwrap()).unwrap();
    assert!(integration_tests::contains(&group, fresh.as_slice()));
    // The lost one left it once its users moved: its key opens nothing any more.
    if report.users_moved.is_some() {
        assert_eq!(outcome(&report, "leave_group"), StepOutcome::Done);
        assert!(!integration_tests::contains(&group, f.shard_a.as_slice()));
    }

    // Bad input changes nothing: a snapshot of another canister, an unknown snapshot.
    let r: Result<RecoveryReport, Error> = f.backup_up(
        operator(),
        "execute_recovery",
        (f.shard_b, snapshot.id, IN_PLACE),
    );
    assert!(matches!(r, Err(Error::InvalidInput { .. })));
    let r: Result<RecoveryReport, Error> = f.backup_up(
        operator(),
        "execute_recovery",
        (f.shard_a, 9_999u64, IN_PLACE),
    );
    assert!(matches!(r, Err(Error::NotFound { .. })));
}

/// The review's finding: `execute_recovery` wrote into any principal it was given, so a live
/// shard was silently overwritten and a foreign canister joined the group with a shard's data.
/// Now a restore goes back in place (into a data canister of the group) or into a shard the
/// backup canister creates, and a failed attempt is retried into the same new shard.
#[test]
fn a_recovery_writes_only_in_place_or_into_a_shard_the_backup_canister_creates() {
    let f = Fixture::new();
    let alice = user(1);
    f.create(f.shard_b, alice, "Lesson", START);
    f.next_cycle();
    let shard_b_snapshot = f.snapshots(Some(f.shard_b))[0].id;
    let notification = f.group.member(CanisterKind::Notification);
    let notification_snapshot = f.snapshots(Some(notification))[0].id;

    // Only calendar shards are recreated; the others go back in place.
    let r: Result<RecoveryReport, Error> = f.backup_up(
        operator(),
        "execute_recovery",
        (notification, notification_snapshot, NEW_SHARD),
    );
    assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");

    // A shard that left the group is not written to in place.
    let shard_a_snapshot = f.snapshots(Some(f.shard_a))[0].id;
    let (removed,): (Result<interfaces::security::GroupInfo, Error>,) = f
        .suite
        .update(
            f.group.registry,
            operator(),
            "remove_canister_from_group",
            ("suite", f.shard_a),
        )
        .unwrap();
    removed.unwrap();
    f.suite.settle();
    let r: Result<RecoveryReport, Error> = f.backup_up(
        operator(),
        "execute_recovery",
        (f.shard_a, shard_a_snapshot, IN_PLACE),
    );
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    let before = f.events(f.shard_b, alice);

    // Into a new shard, with the balancer stopped: restored, but its users cannot move yet.
    f.suite.upload_calendar_wasm(f.group.registry);
    let balancer = f.group.member(CanisterKind::LoadBalancer);
    f.suite
        .env
        .stop_canister(balancer, Some(operator()))
        .unwrap();
    let first: RecoveryReport = f
        .backup_up(
            operator(),
            "execute_recovery",
            (f.shard_b, shard_b_snapshot, NEW_SHARD),
        )
        .unwrap();
    assert!(first.restored, "{first:?}");
    assert!(matches!(
        outcome(&first, "replace_shard"),
        StepOutcome::Failed { .. }
    ));
    let created = first.target.unwrap();
    let plan: RecoveryPlan = f
        .backup_q("generate_recovery_plan", (f.shard_b, NEW_SHARD))
        .unwrap();
    assert_eq!(
        plan.target,
        Some(created),
        "the plan names the shard to reuse"
    );

    // Run again once the balancer is back: the same shard, no second one.
    f.suite
        .env
        .start_canister(balancer, Some(operator()))
        .unwrap();
    // It missed the group's pushes while stopped; its pull timer catches up.
    f.suite.advance(Duration::from_secs(61));
    let again: RecoveryReport = f
        .backup_up(
            operator(),
            "execute_recovery",
            (f.shard_b, shard_b_snapshot, NEW_SHARD),
        )
        .unwrap();
    assert_eq!(again.target, Some(created));
    assert_eq!(
        outcome(&again, "replace_shard"),
        StepOutcome::Done,
        "{again:?}"
    );
    assert_eq!(f.events(created, alice), before);
    // Finished with: a later recovery of that source would create a new one.
    let plan: RecoveryPlan = f
        .backup_q("generate_recovery_plan", (f.shard_b, NEW_SHARD))
        .unwrap();
    assert_eq!(plan.target, None);
}

/// The review's finding on reminders: after a restore the snapshot's outbox named the old
/// shard, ids issued after the snapshot were issued again, and plans of events that no longer
/// exist kept firing. Now ids never go back and the shard rebuilds its reminders as a whole.
#[test]
fn an_in_place_restore_never_reuses_ids_and_fires_only_the_restored_reminders() {
    let f = Fixture::new();
    let alice = user(1);
    let notification = f.group.member(CanisterKind::Notification);
    let start = f.suite.env.get_time().as_nanos_since_unix_epoch() + 3 * HOUR_NS;
    let reminded = |title: &str| {
        let mut input = EventInput::timed(title, start, start + HOUR_NS, "Europe/Berlin");
        input.reminders_minutes = Some(vec![30]);
        let (r,): (Result<Event, Error>,) = f
            .suite
            .update(f.shard_a, alice, "create_event", (input,))
            .unwrap();
        r.unwrap()
    };
    let kept = reminded("Kept");
    f.next_cycle();
    let snapshot = f.snapshots(Some(f.shard_a))[0].clone();
    let vanished = reminded("Vanished");
    f.suite.advance(MINUTE);

    let report: RecoveryReport = f
        .backup_up(
            operator(),
            "execute_recovery",
            (f.shard_a, snapshot.id, IN_PLACE),
        )
        .unwrap();
    assert!(report.restored, "{report:?}");
    f.suite.advance(MINUTE);
    let get = |id: u64| -> Result<Event, Error> {
        let (r,): (Result<Event, Error>,) =
            f.suite.query(f.shard_a, alice, "get_event", (id,)).unwrap();
        r
    };
    assert_eq!(get(kept.id).unwrap().title, "Kept");
    assert!(matches!(get(vanished.id), Err(Error::NotFound { .. })));

    let after = f.create(f.shard_a, alice, "After the restore", START);
    assert!(after.id > vanished.id, "{} reused", after.id);

    // Past the reminders' moment: only the restored event's reminder reached the inbox.
    f.suite.advance(Duration::from_secs(3 * 3_600));
    let (page,): (Result<NotificationPage, Error>,) = f
        .suite
        .query(
            notification,
            alice,
            "get_notifications",
            (NotificationQuery {
                cursor: None,
                limit: Some(100),
                unread_only: false,
            },),
        )
        .unwrap();
    let fired: Vec<String> = page
        .unwrap()
        .notifications
        .into_iter()
        .map(|n| n.title)
        .collect();
    assert_eq!(fired, ["Kept"]);
}

#[test]
fn snapshots_survive_an_upgrade_of_the_backup_canister() {
    let f = Fixture::new();
    f.create(f.shard_a, user(1), "Lesson", START);
    f.next_cycle();
    let before = f.snapshots(None);
    let stats_before = f.stats();
    assert_eq!(before.len(), 4);

    f.suite.upgrade(
        f.backup,
        "backup_canister",
        encode_args((None::<MemberInit>,)).unwrap(),
    );
    assert_eq!(f.snapshots(None), before);
    let stats = f.stats();
    assert_eq!(stats.stored_bytes, stats_before.stored_bytes);
    assert_eq!(stats.snapshots, 4);
    for s in &before {
        let v: VerifyReport = f.backup_up(operator(), "verify_snapshot", (s.id,)).unwrap();
        assert!(v.ok, "snapshot {} after the upgrade", s.id);
    }
    // The timer was re-armed, and it still knows what it captured: nothing changed.
    let after = f.next_cycle();
    let cycle = after.last_cycle.unwrap();
    assert_eq!((cycle.snapshots.len(), cycle.unchanged), (0, 4));
}
