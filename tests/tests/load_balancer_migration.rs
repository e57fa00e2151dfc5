//! What a released load balancer stored survives the upgrade to this code: a stable-memory dump
//! recorded from the release is loaded under the current code, whose `post_upgrade` checks and
//! records the stored layout first (`canisters/load_balancer/src/layout.rs`); the configuration,
//! every shard's record and every user's assignment must then read back as the release answered
//! them, and the balancer must go on assigning users.
//!
//! The fixture in `canisters/load_balancer/fixtures/`: `release-v0.stable.gz` is the stable
//! memory of a load balancer running the release (main at f263996, layout 0) after [`fill`],
//! and `release-v0.candid` what it answered ([`Recorded`]). Both come from the ignored
//! `record_release_fixture`:
//!
//! ```text
//! LOAD_BALANCER_RELEASE_WASM=<the release's load_balancer.wasm.gz> \
//!   cargo test -p integration_tests --test load_balancer_migration -- --ignored
//! ```

use std::time::Duration;

use candid::{encode_args, CandidType, Deserialize, Principal};
use integration_tests::release_dump::{LoneCanister, Release};
use integration_tests::{operator, user, wasm};
use interfaces::calendar::DeletedData;
use interfaces::load_balancer::{
    BalancerConfig, BalancerConfigUpdate, LoadBalancerStats, ShardStats, Strategy,
};
use interfaces::security::MemberInit;
use interfaces::{CanisterKind, Error};
use serde_bytes::ByteBuf;

/// Users assigned before the dump; [`DELETED`] was assigned and then deleted.
const USERS: [u8; 5] = [1, 2, 3, 4, 5];
const DELETED: u8 = 3;

/// What the release answered after [`fill`].
#[derive(CandidType, Deserialize, Debug, PartialEq)]
struct Recorded {
    now_ns: u64,
    config: BalancerConfig,
    stats: LoadBalancerStats,
    /// Each user's shard, or the error for the deleted one.
    assignments: Vec<Result<Principal, Error>>,
}

const RELEASE: Release = Release::of("load_balancer");

/// Stand-in shards (no canisters: their health checks fail) and the stand-in user registry.
fn shard(n: u8) -> Principal {
    Principal::from_slice(&[0x70, n, 2, 2, 2, 2, 2, 2, 2, 2])
}

fn registry_member() -> Principal {
    Principal::from_slice(&[0x71; 10])
}

struct Balancer {
    canister: LoneCanister,
    key: Vec<u8>,
}

impl Balancer {
    fn new(module: Vec<u8>) -> Self {
        let canister = LoneCanister::install_member(module);
        let keys = canister.admit_peers(
            CanisterKind::LoadBalancer,
            &[
                (registry_member(), CanisterKind::UserRegistry),
                (shard(1), CanisterKind::Calendar),
                (shard(2), CanisterKind::Calendar),
            ],
            1,
        );
        Balancer {
            canister,
            key: keys[0].clone(),
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

    fn assign(&self, n: u8) -> Principal {
        let r: Result<Principal, Error> = self.call(
            true,
            registry_member(),
            "assign_user",
            (ByteBuf::from(self.key.clone()), user(n)),
        );
        r.unwrap()
    }

    fn stats(&self) -> LoadBalancerStats {
        self.call(false, operator(), "get_load_balancer_stats", ())
    }

    fn record(&self) -> Recorded {
        Recorded {
            now_ns: self.canister.now_ns(),
            config: self.call(false, operator(), "get_config", ()),
            stats: self.stats(),
            assignments: USERS
                .iter()
                .map(|&n| self.call(false, operator(), "get_shard_for", (user(n),)))
                .collect(),
        }
    }
}

/// A configuration that differs from the default, a shard with its own capacity, users spread
/// over both shards (one deleted), then health rounds that find both shards failing (not yet
/// often enough to take them out), so their records hold failures and latencies.
fn fill(b: &Balancer) {
    let update = BalancerConfigUpdate {
        strategy: Some(Strategy::RoundRobin),
        default_capacity: Some(50),
        health_check_interval_seconds: Some(30),
        unhealthy_after_failures: Some(5),
        scale_out_enabled: Some(false),
        ..Default::default()
    };
    let c: Result<BalancerConfig, Error> = b.call(true, operator(), "set_config", (update,));
    c.unwrap();
    for n in USERS {
        b.assign(n);
    }
    // The balancer knows the group's shards once it has assigned to them.
    let s: Result<ShardStats, Error> =
        b.call(true, operator(), "set_shard_capacity", (shard(2), 20u64));
    s.unwrap();
    let d: Result<DeletedData, Error> = b.call(
        true,
        registry_member(),
        "delete_user_data",
        (ByteBuf::from(b.key.clone()), user(DELETED)),
    );
    d.unwrap();
    for _ in 0..3 {
        b.canister.pic.advance_time(Duration::from_secs(31));
        for _ in 0..3 {
            b.canister.pic.tick();
        }
    }
}

#[test]
#[ignore = "records the fixture from a release's wasm (see the module header)"]
fn record_release_fixture() {
    let b = Balancer::new(RELEASE.wasm());
    fill(&b);
    let recorded = b.record();
    assert!(recorded.stats.health_rounds > 0 && recorded.stats.total_users == 4);
    RELEASE.record(&b.canister, &recorded);
}

#[test]
fn what_the_release_stored_survives_the_upgrade_and_keeps_assigning() {
    let recorded: Recorded = RELEASE.answered();
    // A balancer of this code, given the release's memory at the release's time, then upgraded.
    let b = Balancer::new(wasm("load_balancer"));
    let no_init = encode_args((None::<MemberInit>,)).unwrap();
    RELEASE.upgrade(&b.canister, Some(recorded.now_ns), no_init.clone());
    assert_eq!(
        b.record(),
        recorded,
        "the configuration, every shard's record and every assignment read back as the release \
         answered them"
    );

    // Assignments are sticky across the upgrade, and the deleted user can be assigned again.
    let before = recorded.assignments[0].clone().unwrap();
    assert_eq!(b.assign(USERS[0]), before);
    b.assign(DELETED);
    let shard: Result<Principal, Error> =
        b.call(false, operator(), "get_shard_for", (user(DELETED),));
    assert!(shard.is_ok());
    assert_eq!(b.stats().total_users, recorded.stats.total_users + 1);

    // Upgrading again finds the current layout and changes nothing.
    let stats = b.stats();
    b.canister.upgrade_again("load_balancer", no_init);
    assert_eq!(b.stats().shards, stats.shards);
}
