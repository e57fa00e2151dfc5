//! Snapshots a released backup canister stored survive the upgrade to this code: a
//! stable-memory dump recorded from the release is loaded under the current code, whose
//! `post_upgrade` migrates it first (`canisters/backup_canister/src/layout.rs`); every snapshot,
//! its chunks (verified against their SHA-256), the per-canister bookkeeping, the configuration
//! and the counters must then read back as the release answered them, and the canister must go
//! on taking snapshots.
//!
//! The backup canister pulls from a real data canister (a user registry installed beside it on
//! the same runtime, its group pushed by the operator standing in for the registry).
//!
//! The fixture in `canisters/backup_canister/fixtures/`: `release-v0.stable.gz` is the stable
//! memory of a backup canister running the release (main at f263996, layout 0) after [`fill`],
//! and `release-v0.candid` what it answered ([`Recorded`]). Both come from the ignored
//! `record_release_fixture`:
//!
//! ```text
//! BACKUP_CANISTER_RELEASE_WASM=<the release's backup_canister.wasm.gz> \
//!   cargo test -p integration_tests --test backup_migration -- --ignored
//! ```

use std::time::Duration;

use candid::{encode_args, CandidType, Deserialize, Principal};
use integration_tests::release_dump::{LoneCanister, Release};
use integration_tests::{operator, user, wasm};
use interfaces::backup::{
    BackupConfig, BackupStats, RecoveryPlan, RecoveryTarget, SnapshotInfo, SnapshotPage,
    SnapshotQuery, VerifyReport,
};
use interfaces::security::MemberInit;
use interfaces::user::{Profile, RegisterRequest, UserAccount};
use interfaces::{CanisterKind, Error};
use serde_bytes::ByteBuf;

/// The backup interval [`fill`] configures.
const INTERVAL_SECS: u64 = 3_600;

/// What the release answered after [`fill`].
#[derive(CandidType, Deserialize, Debug, PartialEq)]
struct Recorded {
    now_ns: u64,
    snapshots: Vec<SnapshotInfo>,
    verified: Vec<VerifyReport>,
    stats: BackupStats,
    plan: RecoveryPlan,
}

const RELEASE: Release = Release::of("backup_canister");

fn no_init() -> Vec<u8> {
    encode_args((None::<MemberInit>,)).unwrap()
}

struct Backups {
    canister: LoneCanister,
    /// The user registry whose data is backed up.
    data: Principal,
}

impl Backups {
    /// The backup canister (`module`) and a user registry of this code beside it, each in a
    /// group naming the other; the backup canister holds the key the registry expects.
    fn new(module: Vec<u8>) -> Self {
        let canister = LoneCanister::install_member(module);
        let member_init = encode_args((Some(MemberInit {
            registry: operator(),
        }),))
        .unwrap();
        let data = canister.install_beside(wasm("user_registry"), member_init);
        let keys = canister.admit_peers_of(
            data,
            CanisterKind::UserRegistry,
            &[(canister.id, CanisterKind::BackupCanister)],
            1,
        );
        canister.admit_peers(
            CanisterKind::BackupCanister,
            &[(data, CanisterKind::UserRegistry)],
            1,
        );
        let delivered: Result<(), Error> = canister.call(
            true,
            operator(),
            "receive_access_key",
            ("release-dump".to_string(), ByteBuf::from(keys[0].clone())),
        );
        delivered.unwrap();
        Backups { canister, data }
    }

    fn call<R: CandidType + for<'a> Deserialize<'a>>(
        &self,
        update: bool,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> R {
        self.canister.call(update, operator(), method, args)
    }

    fn register(&self, n: u8) {
        let request = RegisterRequest {
            profile: Profile {
                display_name: format!("user {n}"),
                avatar_color: None,
                email: None,
            },
            settings: None,
        };
        let a: Result<UserAccount, Error> =
            self.canister
                .call_to(self.data, true, user(n), "register", (request,));
        a.unwrap();
    }

    fn emergency_backup(&self) -> u64 {
        let id: Result<u64, Error> = self.call(
            true,
            "emergency_backup",
            (self.data, CanisterKind::UserRegistry),
        );
        id.unwrap()
    }

    /// Lets the interval pass, so the timer runs one backup cycle (with retention).
    fn run_a_cycle(&self) {
        self.canister
            .pic
            .advance_time(Duration::from_secs(INTERVAL_SECS + 1));
        for _ in 0..10 {
            self.canister.pic.tick();
        }
    }

    fn snapshots(&self) -> Vec<SnapshotInfo> {
        let page: Result<SnapshotPage, Error> =
            self.call(false, "list_snapshots", (SnapshotQuery::default(),));
        page.unwrap().snapshots
    }

    fn record(&self) -> Recorded {
        let snapshots = self.snapshots();
        let verified = snapshots
            .iter()
            .map(|s| {
                let r: Result<VerifyReport, Error> = self.call(true, "verify_snapshot", (s.id,));
                r.unwrap()
            })
            .collect();
        let stats: Result<BackupStats, Error> = self.call(false, "get_backup_stats", ());
        let plan: Result<RecoveryPlan, Error> = self.call(
            false,
            "generate_recovery_plan",
            (self.data, RecoveryTarget::InPlace),
        );
        Recorded {
            now_ns: self.canister.now_ns(),
            snapshots,
            verified,
            stats: stats.unwrap(),
            plan: plan.unwrap(),
        }
    }
}

/// A configuration that differs from the default, three snapshots of a growing registry, then
/// a scheduled cycle: it finds the registry unchanged, and retention (keep 2) deletes the oldest.
fn fill(b: &Backups) {
    let config = BackupConfig {
        interval_secs: INTERVAL_SECS,
        keep_recent: 2,
        keep_daily: 1,
    };
    let r: Result<(), Error> = b.call(true, "configure_backup", (config,));
    r.unwrap();
    for n in 1..=3 {
        b.register(n);
        b.emergency_backup();
    }
    b.run_a_cycle();
}

#[test]
#[ignore = "records the fixture from a release's wasm (see the module header)"]
fn record_release_fixture() {
    let b = Backups::new(RELEASE.wasm());
    fill(&b);
    let recorded = b.record();
    assert!(recorded.verified.iter().all(|v| v.ok));
    assert!(!recorded.snapshots.is_empty());
    RELEASE.record(&b.canister, &recorded);
}

#[test]
fn snapshots_stored_by_the_release_survive_the_upgrade_and_backups_go_on() {
    let recorded: Recorded = RELEASE.answered();
    // A backup canister of this code, given the release's memory at the release's time, then
    // upgraded; the data canister beside it has the same id as when the dump was taken.
    let b = Backups::new(wasm("backup_canister"));
    RELEASE.upgrade(&b.canister, Some(recorded.now_ns), no_init());
    // The clock moves with every call, so only the rest is compared.
    let seen = Recorded {
        now_ns: recorded.now_ns,
        ..b.record()
    };
    assert_eq!(
        seen, recorded,
        "every snapshot verifies, and the bookkeeping reads back as the release answered it"
    );

    // Backups go on over the migrated records: a new snapshot is taken and verifies, then the
    // next cycle's retention (still keep 2) drops the older of the release's two.
    b.register(4);
    let id = b.emergency_backup();
    let taken = b.snapshots();
    assert_eq!(taken[0].id, id, "newest first");
    assert_eq!(taken.len(), recorded.snapshots.len() + 1);
    let report: Result<VerifyReport, Error> = b.call(true, "verify_snapshot", (id,));
    assert!(report.unwrap().ok);
    b.run_a_cycle();
    let snapshots = b.snapshots();
    let oldest = recorded.snapshots.last().unwrap().id;
    assert_eq!(snapshots.len(), 2, "retention keeps the newest two");
    assert!(snapshots.iter().any(|s| s.id == id));
    assert!(
        snapshots.iter().all(|s| s.id != oldest),
        "the older of the release's snapshots went"
    );
    let stats: Result<BackupStats, Error> = b.call(false, "get_backup_stats", ());
    let stats = stats.unwrap();
    assert_eq!(stats.config, recorded.stats.config);
    // The cycle may also take a scheduled snapshot (the registry's outbox keeps writing).
    assert!(stats.snapshots_taken > recorded.stats.snapshots_taken);
    assert!(stats.deleted_by_retention > recorded.stats.deleted_by_retention);
    assert_eq!(stats.canisters[0].last_snapshot_id, Some(snapshots[0].id));

    // Upgrading again finds the current layout and changes nothing.
    b.canister.upgrade_again("backup_canister", no_init());
    assert_eq!(b.snapshots(), snapshots);
}
