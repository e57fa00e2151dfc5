//! Data a released notification canister wrote survives the upgrade to this code: a
//! stable-memory dump recorded from the release is loaded under the current code, whose
//! `post_upgrade` migrates it first (`canisters/notification/src/layout.rs`); every
//! notification, alert and counter must then read back as the release answered it, and the
//! reminders the release queued must still fire.
//!
//! The fixture in `canisters/notification/fixtures/`: `release-v0.stable.gz` is the stable
//! memory of a notification canister running the release (main at f263996, layout 0) after
//! [`fill`], and `release-v0.candid` what it answered ([`Recorded`]). Both come from the ignored
//! `record_release_fixture`:
//!
//! ```text
//! NOTIFICATION_RELEASE_WASM=<the release's notification.wasm.gz> \
//!   cargo test -p integration_tests --test notification_migration -- --ignored
//! ```

use std::time::Duration;

use candid::{encode_args, CandidType, Deserialize, Principal};
use integration_tests::release_dump::{LoneCanister, Release};
use integration_tests::{operator, user, wasm};
use interfaces::calendar::{
    Date, EventTime, InstanceChange, InstanceOverride, Recurrence, Schedule,
};
use interfaces::notification::{
    Alert, AlertInput, AlertKind, AlertPage, AlertQuery, AlertSeverity, EventRef, Notification,
    NotificationPage, NotificationQuery, NotificationStats, ReminderPlan, ReminderUpdate,
};
use interfaces::security::MemberInit;
use interfaces::{CanisterKind, Error};
use serde_bytes::ByteBuf;

const MIN: u64 = 60_000_000_000;
const HOUR: u64 = 60 * MIN;
const DAY: u64 = 24 * HOUR;
/// 2025-01-01T00:00:00Z, where the runtime starts.
const T0: u64 = ic_runtime::DEFAULT_INITIAL_TIME_NANOS;

/// Users with notifications or queued reminders.
const USERS: [u8; 3] = [1, 2, 3];

/// What the release answered after [`fill`].
#[derive(CandidType, Deserialize, Debug, PartialEq)]
struct Recorded {
    /// The canister's clock when the dump was taken.
    now_ns: u64,
    inboxes: Vec<Vec<Notification>>,
    unread: Vec<u64>,
    alerts: Vec<Alert>,
    stats: NotificationStats,
}

const RELEASE: Release = Release::of("notification");

/// The stand-in calendar shard and load balancer.
fn shard() -> Principal {
    Principal::from_slice(&[0x51; 10])
}

fn balancer() -> Principal {
    Principal::from_slice(&[0x52; 10])
}

struct Notifications {
    canister: LoneCanister,
    shard_key: Vec<u8>,
    balancer_key: Vec<u8>,
}

impl Notifications {
    /// `module` installed with the operator as its registry, and the stand-in peers admitted.
    fn new(module: Vec<u8>) -> Self {
        let canister = LoneCanister::install_member(module);
        let keys = canister.admit_peers(
            CanisterKind::Notification,
            &[
                (shard(), CanisterKind::Calendar),
                (balancer(), CanisterKind::LoadBalancer),
            ],
            1,
        );
        Notifications {
            canister,
            shard_key: keys[0].clone(),
            balancer_key: keys[1].clone(),
        }
    }

    fn call<R: CandidType + for<'a> Deserialize<'a>>(
        &self,
        update: bool,
        who: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> R {
        self.canister.call(update, who, method, args)
    }

    fn sync(&self, updates: Vec<ReminderUpdate>) {
        let r: Result<(), Error> = self.call(
            true,
            shard(),
            "sync_reminders",
            (ByteBuf::from(self.shard_key.clone()), updates),
        );
        r.unwrap();
    }

    fn raise(&self, kind: AlertKind, severity: AlertSeverity, message: &str) -> u64 {
        let input = AlertInput {
            kind,
            severity,
            subject: Some(shard()),
            message: message.into(),
        };
        let r: Result<u64, Error> = self.call(
            true,
            balancer(),
            "raise_alert",
            (ByteBuf::from(self.balancer_key.clone()), input),
        );
        r.unwrap()
    }

    fn now(&self) -> u64 {
        self.canister.now_ns()
    }

    /// Moves the clock forward and lets the timers run.
    fn advance(&self, by: Duration) {
        self.canister.pic.advance_time(by);
        for _ in 0..5 {
            self.canister.pic.tick();
        }
    }

    fn inbox(&self, who: Principal) -> Vec<Notification> {
        let query = NotificationQuery {
            cursor: None,
            limit: Some(100),
            unread_only: false,
        };
        let page: Result<NotificationPage, Error> =
            self.call(false, who, "get_notifications", (query,));
        page.unwrap().notifications
    }

    fn alerts(&self) -> Vec<Alert> {
        let query = AlertQuery {
            include_acknowledged: true,
            cursor: None,
            limit: Some(100),
        };
        let page: Result<AlertPage, Error> = self.call(false, operator(), "list_alerts", (query,));
        page.unwrap().alerts
    }

    fn record(&self) -> Recorded {
        Recorded {
            now_ns: self.now(),
            inboxes: USERS.iter().map(|&n| self.inbox(user(n))).collect(),
            unread: USERS
                .iter()
                .map(|&n| {
                    let u: Result<u64, Error> = self.call(false, user(n), "unread_count", ());
                    u.unwrap()
                })
                .collect(),
            alerts: self.alerts(),
            stats: self.call(false, user(1), "get_notification_stats", ()),
        }
    }
}

fn plan(id: u64, schedule: Schedule, minutes: &[u32], to: &[u8]) -> ReminderUpdate {
    ReminderUpdate::Set(ReminderPlan {
        event: EventRef {
            shard: shard(),
            event_id: id,
        },
        revision: 1,
        title: format!("event {id}"),
        recipients: to.iter().map(|&n| user(n)).collect(),
        schedule,
        minutes_before: minutes.to_vec(),
        attendees: None,
    })
}

fn timed(start_ns: u64, zone: &str, recurrence: Option<Recurrence>) -> Schedule {
    Schedule {
        time: EventTime::Timed {
            start_ns,
            end_ns: start_ns + HOUR,
        },
        time_zone: zone.into(),
        recurrence,
        overrides: vec![],
    }
}

/// The weekly event's first occurrence: Monday 2025-01-06 09:00 UTC (10:00 in Berlin).
const WEEKLY_START: u64 = T0 + 5 * DAY + 9 * HOUR;

/// One-off reminders that fire before the dump (inbox items, one read), a weekly series with an
/// exception and a moved instance, an all-day event and a cancelled one (a tombstone) whose
/// reminders stay queued or remembered, and alerts: one repeated, one acknowledged.
fn fill(n: &Notifications) {
    let weekly = Schedule {
        overrides: vec![InstanceOverride {
            original_start_ns: WEEKLY_START + 7 * DAY,
            change: InstanceChange::Moved {
                start_ns: WEEKLY_START + 7 * DAY + 2 * HOUR,
                end_ns: WEEKLY_START + 7 * DAY + 3 * HOUR,
            },
        }],
        ..timed(
            WEEKLY_START,
            "Europe/Berlin",
            Some(Recurrence {
                rule: "FREQ=WEEKLY;BYDAY=MO".into(),
                exdates_ns: vec![WEEKLY_START + 14 * DAY],
                rdates_ns: None,
            }),
        )
    };
    let all_day = Schedule {
        time: EventTime::AllDay {
            start: Date {
                year: 2025,
                month: 2,
                day: 3,
            },
            end: Date {
                year: 2025,
                month: 2,
                day: 4,
            },
        },
        time_zone: "America/New_York".into(),
        recurrence: None,
        overrides: vec![],
    };
    n.sync(vec![
        plan(1, timed(T0 + 2 * HOUR, "UTC", None), &[10, 30], &[1, 2]),
        plan(2, weekly, &[15], &[1, 3]),
        plan(3, all_day, &[60], &[3]),
        plan(4, timed(T0 + 3 * DAY, "UTC", None), &[5], &[2]),
    ]);
    n.sync(vec![ReminderUpdate::Cancel {
        event: EventRef {
            shard: shard(),
            event_id: 4,
        },
        revision: 2,
    }]);
    // Event 1's two reminders fire for both its recipients.
    n.advance(Duration::from_nanos(2 * HOUR));
    let first = n.inbox(user(1))[0].id;
    let r: Result<u64, Error> = n.call(true, user(1), "mark_read", (vec![first],));
    assert_eq!(r, Ok(1));

    let shard_down = n.raise(AlertKind::ShardUnhealthy, AlertSeverity::Critical, "down");
    n.raise(
        AlertKind::ShardUnhealthy,
        AlertSeverity::Critical,
        "still down",
    );
    n.raise(AlertKind::CyclesLow, AlertSeverity::Warning, "low cycles");
    let r: Result<Alert, Error> = n.call(true, operator(), "acknowledge_alert", (shard_down,));
    r.unwrap();
}

#[test]
#[ignore = "records the fixture from a release's wasm (see the module header)"]
fn record_release_fixture() {
    let n = Notifications::new(RELEASE.wasm());
    fill(&n);
    let recorded = n.record();
    assert_eq!(recorded.inboxes[0].len(), 2, "event 1's reminders fired");
    // Event 1 has fired all it had and event 4 was cancelled: both are tombstones.
    assert!(recorded.stats.queued_reminders > 0 && recorded.stats.tombstones == 2);
    RELEASE.record(&n.canister, &recorded);
}

#[test]
fn data_written_by_the_release_survives_the_upgrade_and_keeps_working() {
    let recorded: Recorded = RELEASE.answered();
    // A canister of this code, given the release's memory at the release's time, then upgraded.
    let n = Notifications::new(wasm("notification"));
    let no_init = encode_args((None::<MemberInit>,)).unwrap();
    RELEASE.upgrade(&n.canister, Some(recorded.now_ns), no_init.clone());
    assert_eq!(
        n.record(),
        recorded,
        "every notification, alert and counter reads back as the release answered it"
    );

    // The queued reminders fire: the weekly event's first occurrence for users 1 and 3.
    n.advance(Duration::from_nanos(WEEKLY_START - 15 * MIN - n.now()));
    let newest = &n.inbox(user(3))[0];
    assert_eq!(
        (
            newest.title.as_str(),
            newest.occurrence_start_ns,
            newest.minutes_before
        ),
        ("event 2", WEEKLY_START, 15)
    );
    assert_eq!(n.inbox(user(1)).len(), recorded.inboxes[0].len() + 1);

    // The migrated alerts keep working: a repeat counts into the open one, a new one is added.
    n.raise(AlertKind::CyclesLow, AlertSeverity::Warning, "lower cycles");
    n.raise(
        AlertKind::BackupFailed,
        AlertSeverity::Info,
        "backup failed",
    );
    let alerts = n.alerts();
    assert_eq!(alerts.len(), recorded.alerts.len() + 1);
    let cycles = alerts
        .iter()
        .find(|a| a.kind == AlertKind::CyclesLow)
        .unwrap();
    assert_eq!((cycles.count, cycles.message.as_str()), (2, "lower cycles"));

    // Upgrading again finds the current layout and changes nothing.
    n.canister.upgrade_again("notification", no_init);
    assert_eq!(n.alerts(), alerts);
}
