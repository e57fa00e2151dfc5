//! The load balancer on the real wasm (issue 7): every strategy places users as specified over
//! three shards, assignments are sticky across upgrades, a stopped shard turns unhealthy within
//! K checks (no new users, an operator alert, an emergency-backup attempt) and comes back after
//! M, and full shards make the balancer create a fourth shard from the wasm stored in the
//! registry, which then takes the new users.

use std::collections::HashMap;
use std::time::Duration;

use candid::{encode_args, Principal};
use integration_tests::{module_hash, operator, user, wasm, Group, Suite};
use interfaces::calendar::{Event, EventInput};
use interfaces::load_balancer::{
    BalancerConfig, BalancerConfigUpdate, FollowUp, LoadBalancerStats, ShardHealth, Strategy,
};
use interfaces::notification::{AlertKind, AlertPage, AlertQuery};
use interfaces::registry::{WasmInfo, WasmUploadStart, WASM_CHUNK_BYTES};
use interfaces::security::{GroupInfo, MemberInit};
use interfaces::{CanisterKind, Error, HealthReport, Permission};
use serde_bytes::ByteBuf;

const INTERVAL: Duration = Duration::from_secs(10);

fn ok<T: std::fmt::Debug>(result: Result<T, Error>) -> T {
    result.unwrap_or_else(|e| panic!("expected Ok, got {e:?}"))
}

struct Fixture {
    suite: Suite,
    group: Group,
    lb: Principal,
    shards: Vec<Principal>,
}

/// A group with a balancer, three calendar shards, the notification canister, the backup
/// canister (whatever version of it this branch builds) and the user registry.
fn fixture() -> Fixture {
    let suite = Suite::new();
    let group = suite.group(&[
        CanisterKind::LoadBalancer,
        CanisterKind::Calendar,
        CanisterKind::Calendar,
        CanisterKind::Calendar,
        CanisterKind::Notification,
        CanisterKind::BackupCanister,
        CanisterKind::UserRegistry,
    ]);
    let lb = group.member(CanisterKind::LoadBalancer);
    let shards = group
        .members
        .iter()
        .filter(|(k, _)| *k == CanisterKind::Calendar)
        .map(|(_, p)| *p)
        .collect();
    Fixture {
        suite,
        group,
        lb,
        shards,
    }
}

impl Fixture {
    fn configure(&self, update: BalancerConfigUpdate) -> BalancerConfig {
        let (result,): (Result<BalancerConfig, Error>,) = self
            .suite
            .update(self.lb, operator(), "set_config", (update,))
            .unwrap();
        ok(result)
    }

    fn strategy(&self, strategy: Strategy) {
        self.configure(BalancerConfigUpdate {
            strategy: Some(strategy),
            ..Default::default()
        });
    }

    /// `who` signs up with the user registry (which asks the balancer for their shard; a user
    /// who has an account already keeps it), then asks the balancer which shard is theirs. Only
    /// accounts get a shard: `assign_me` itself never assigns.
    fn assign_me(&self, who: Principal) -> Result<Principal, Error> {
        let users = self.group.member(CanisterKind::UserRegistry);
        let request = interfaces::user::RegisterRequest {
            profile: interfaces::user::Profile {
                display_name: "user".into(),
                avatar_color: None,
                email: None,
            },
            settings: None,
        };
        loop {
            let (registered,): (Result<interfaces::user::UserAccount, Error>,) = self
                .suite
                .update(users, who, "register", (request.clone(),))
                .unwrap();
            match registered {
                // Past the registry's sign-up burst, new accounts wait their turn.
                Err(Error::RateLimited { retry_after_ns }) => {
                    self.suite.advance(Duration::from_nanos(retry_after_ns))
                }
                other => break other.map(|_| ())?,
            }
        }
        self.suite.settle();
        let (result,): (Result<Principal, Error>,) =
            self.suite.update(self.lb, who, "assign_me", ()).unwrap();
        result
    }

    fn shard_for(&self, who: Principal, of: Principal) -> Result<Principal, Error> {
        let (result,): (Result<Principal, Error>,) = self
            .suite
            .query(self.lb, who, "get_shard_for", (of,))
            .unwrap();
        result
    }

    fn stats(&self) -> LoadBalancerStats {
        let (stats,): (LoadBalancerStats,) = self
            .suite
            .query(self.lb, user(99), "get_load_balancer_stats", ())
            .unwrap();
        stats
    }

    fn shard_stats(&self, shard: Principal) -> interfaces::load_balancer::ShardStats {
        self.stats()
            .shards
            .into_iter()
            .find(|s| s.shard == shard)
            .unwrap_or_else(|| panic!("{shard} is not tracked"))
    }

    /// Users `from..to` each ask for their shard; answers how many went to each shard.
    fn place(&self, users: std::ops::Range<u32>) -> HashMap<Principal, u32> {
        let mut counts = HashMap::new();
        for n in users {
            let shard = ok(self.assign_me(numbered(n)));
            *counts.entry(shard).or_default() += 1;
        }
        counts
    }

    fn set_capacity(&self, shard: Principal, capacity: u64) {
        let (result,): (Result<interfaces::load_balancer::ShardStats, Error>,) = self
            .suite
            .update(self.lb, operator(), "set_shard_capacity", (shard, capacity))
            .unwrap();
        assert_eq!(ok(result).capacity, capacity);
    }

    /// One health round: the timer fires once per interval.
    fn round(&self) {
        self.suite.advance(INTERVAL);
    }
}

/// Distinct users beyond the fixture's small numbered ones.
fn numbered(n: u32) -> Principal {
    let mut bytes = [7u8; 32];
    bytes[..4].copy_from_slice(&n.to_le_bytes());
    Principal::self_authenticating(bytes)
}

#[test]
fn each_strategy_places_users_as_specified_over_three_shards() {
    let f = fixture();
    let [s1, s2, s3] = [f.shards[0], f.shards[1], f.shards[2]];
    f.configure(BalancerConfigUpdate {
        capacity_threshold_percent: Some(100),
        health_check_interval_seconds: Some(INTERVAL.as_secs()),
        unhealthy_after_failures: Some(3),
        ..Default::default()
    });

    // Round robin: the group's order, cycling.
    f.strategy(Strategy::RoundRobin);
    let order: Vec<_> = (0..4).map(|n| ok(f.assign_me(numbered(n)))).collect();
    assert_eq!(order, vec![s1, s2, s3, s1]);

    // Least connections: (2, 1, 1) fills up the emptiest first, the first of equals first.
    f.strategy(Strategy::LeastConnections);
    let order: Vec<_> = (4..7).map(|n| ok(f.assign_me(numbered(n)))).collect();
    assert_eq!(order, vec![s2, s3, s1]);
    let users: Vec<_> = [s1, s2, s3].map(|s| f.shard_stats(s).users).to_vec();
    assert_eq!(users, vec![3, 2, 2]);

    // Weighted random: capacities 100 / 300 / 600 weigh 10 % / 30 % / 60 %.
    f.strategy(Strategy::WeightedRandom);
    assert!(f.stats().seeded, "raw_rand seeded the generator at install");
    f.set_capacity(s1, 100);
    f.set_capacity(s2, 300);
    f.set_capacity(s3, 600);
    let counts = f.place(100..300);
    let (c1, c2, c3) = (counts[&s1], counts[&s2], counts[&s3]);
    println!("weighted random over 200 users: {c1} / {c2} / {c3}");
    assert!((5..=40).contains(&c1), "{c1} {c2} {c3}");
    assert!((35..=90).contains(&c2), "{c1} {c2} {c3}");
    assert!((90..=150).contains(&c3), "{c1} {c2} {c3}");
    assert!(c3 > c2 && c2 > c1);

    // Response time: s3 misses two checks (fewer than K, so it stays healthy), and its moving
    // average now carries the timeout; new users go to the faster s1 and s2 only.
    f.strategy(Strategy::ResponseTime);
    f.round();
    f.suite.env.stop_canister(s3, Some(operator())).unwrap();
    f.round();
    f.round();
    f.suite.env.start_canister(s3, Some(operator())).unwrap();
    let slow = f.shard_stats(s3);
    assert_eq!(slow.health, ShardHealth::Healthy);
    assert_eq!(slow.consecutive_failures, 2);
    let fast = f.shard_stats(s1).latency_avg_ns.unwrap();
    assert!(slow.latency_avg_ns.unwrap() > fast, "{slow:?}");
    let counts = f.place(300..310);
    assert_eq!(counts.get(&s3), None, "{counts:?}");
    assert_eq!(counts.values().sum::<u32>(), 10);
    assert_eq!(f.stats().strategy, Strategy::ResponseTime);
    println!(
        "health round: {} instructions for 3 shards",
        f.stats().last_round_instructions
    );
}

#[test]
fn assignments_are_sticky_and_survive_an_upgrade() {
    let f = fixture();
    f.strategy(Strategy::RoundRobin);
    let before: Vec<_> = (0..9).map(|n| ok(f.assign_me(numbered(n)))).collect();
    // Asking again, under any strategy, answers the same shard.
    f.strategy(Strategy::LeastConnections);
    for (n, shard) in before.iter().enumerate() {
        assert_eq!(ok(f.assign_me(numbered(n as u32))), *shard);
    }
    let stats = f.stats();
    assert_eq!(stats.total_users, 9);

    f.suite.upgrade(
        f.lb,
        "load_balancer",
        encode_args((None::<MemberInit>,)).unwrap(),
    );
    f.suite.settle();
    for (n, shard) in before.iter().enumerate() {
        let who = numbered(n as u32);
        assert_eq!(ok(f.shard_for(who, who)), *shard);
        assert_eq!(ok(f.assign_me(who)), *shard);
    }
    let after = f.stats();
    assert_eq!(after.total_users, 9);
    assert_eq!(after.config, stats.config);
    assert_eq!(after.strategy, Strategy::LeastConnections);

    // Who may ask: the user, a controller; not someone else, not anonymous.
    let who = numbered(0);
    assert_eq!(ok(f.shard_for(operator(), who)), before[0]);
    assert!(matches!(
        f.shard_for(user(50), who),
        Err(Error::NotAdmin { .. })
    ));
    assert_eq!(
        f.assign_me(Principal::anonymous()),
        Err(Error::AnonymousCaller)
    );
    assert!(matches!(
        f.shard_for(user(51), user(51)),
        Err(Error::NotFound { .. })
    ));
    // Only operators configure, and bad values change nothing.
    let (refused,): (Result<BalancerConfig, Error>,) = f
        .suite
        .update(
            f.lb,
            user(50),
            "set_config",
            (BalancerConfigUpdate {
                strategy: Some(Strategy::RoundRobin),
                ..Default::default()
            },),
        )
        .unwrap();
    assert!(matches!(refused, Err(Error::NotAdmin { .. })));
    let (invalid,): (Result<BalancerConfig, Error>,) = f
        .suite
        .update(
            f.lb,
            operator(),
            "set_config",
            (BalancerConfigUpdate {
                strategy: Some(Strategy::RoundRobin),
                unhealthy_after_failures: Some(0),
                ..Default::default()
            },),
        )
        .unwrap();
    assert!(matches!(invalid, Err(Error::InvalidInput { .. })));
    assert_eq!(f.stats().strategy, Strategy::LeastConnections);
    // The group-member methods refuse callers without a member key.
    let (forged,): (Result<Principal, Error>,) = f
        .suite
        .update(
            f.lb,
            user(50),
            "assign_user",
            (ByteBuf::from(vec![0; 32]), user(50)),
        )
        .unwrap();
    assert_eq!(forged, Err(Error::NotGroupMember));
}

#[test]
fn a_stopped_shard_turns_unhealthy_within_k_checks_and_returns_after_m() {
    let f = fixture();
    let [s1, s2, s3] = [f.shards[0], f.shards[1], f.shards[2]];
    f.configure(BalancerConfigUpdate {
        strategy: Some(Strategy::LeastConnections),
        health_check_interval_seconds: Some(INTERVAL.as_secs()),
        unhealthy_after_failures: Some(3),
        healthy_after_successes: Some(2),
        ..Default::default()
    });
    f.round();
    assert!(f
        .stats()
        .shards
        .iter()
        .all(|s| s.checks == 1 && s.health == ShardHealth::Healthy));

    f.suite.env.stop_canister(s2, Some(operator())).unwrap();
    for round in 1..=3 {
        f.round();
        let s = f.shard_stats(s2);
        assert_eq!(s.consecutive_failures, round);
        let expected = if round < 3 {
            ShardHealth::Healthy
        } else {
            ShardHealth::Unhealthy
        };
        assert_eq!(s.health, expected, "after {round} failed checks");
    }
    let down = f.shard_stats(s2);
    assert!(down.last_error.is_some());

    // No new users while it is unhealthy, although it has the fewest.
    let counts = f.place(0..8);
    assert_eq!(counts.get(&s2), None, "{counts:?}");
    assert_eq!(counts[&s1] + counts[&s3], 8);

    // The operator alert reached the notification canister.
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
    let alerts = ok(alerts).alerts;
    assert!(
        alerts
            .iter()
            .any(|a| a.kind == AlertKind::ShardUnhealthy && a.subject == Some(s2)),
        "{alerts:?}"
    );
    assert!(matches!(
        f.shard_stats(s2).alert,
        Some(FollowUp::Done { .. })
    ));
    // The emergency backup was asked of the group's backup canister. A stopped shard cannot be
    // exported, so the backup canister answers why, and the balancer retries each round.
    let attempts_after = |rounds: usize| {
        for _ in 0..rounds {
            f.round();
        }
        f.shard_stats(s2).emergency_backup
    };
    match attempts_after(0) {
        Some(FollowUp::Done { .. }) => {}
        Some(FollowUp::Pending {
            attempts,
            last_error: Some(error),
        }) => {
            assert!(attempts >= 1);
            assert!(
                error.contains("export_begin") && error.contains("stopped"),
                "{error}"
            );
            match attempts_after(1) {
                Some(FollowUp::Pending { attempts: more, .. }) => assert!(more > attempts),
                other => assert!(matches!(other, Some(FollowUp::Done { .. }))),
            }
        }
        other => panic!("no emergency backup attempt: {other:?}"),
    }

    // Back after M successful checks.
    f.suite.env.start_canister(s2, Some(operator())).unwrap();
    f.round();
    assert_eq!(f.shard_stats(s2).health, ShardHealth::Unhealthy, "1 of M");
    f.round();
    let back = f.shard_stats(s2);
    assert_eq!(back.health, ShardHealth::Healthy);
    assert_eq!(back.last_error, None);
    // It has the fewest users, so least connections sends the next user there.
    assert_eq!(ok(f.assign_me(numbered(100))), s2);
}

#[test]
fn the_registry_stores_the_calendar_wasm_for_admins_with_manage_wasm_only() {
    let suite = Suite::new();
    let registry = suite.install_registry(Default::default());
    let start = WasmUploadStart {
        sha256: ByteBuf::from(vec![1; 32]),
        size: 10,
    };
    let (refused,): (Result<(), Error>,) = suite
        .update(registry, user(5), "start_wasm_upload", (start.clone(),))
        .unwrap();
    assert_eq!(
        refused,
        Err(Error::NotAdmin {
            required: Permission::ManageWasm
        })
    );
    // The wrong bytes for the announced hash: refused at commit, nothing stored.
    let (started,): (Result<(), Error>,) = suite
        .update(registry, operator(), "start_wasm_upload", (start,))
        .unwrap();
    ok(started);
    let (left,): (Result<u64, Error>,) = suite
        .update(
            registry,
            operator(),
            "upload_wasm_chunk",
            (0u64, ByteBuf::from(vec![0; 10])),
        )
        .unwrap();
    assert_eq!(ok(left), 0);
    let (bad,): (Result<WasmInfo, Error>,) = suite
        .update(registry, operator(), "commit_wasm_upload", ())
        .unwrap();
    assert!(matches!(bad, Err(Error::InvalidInput { .. })), "{bad:?}");
    let (none,): (Option<WasmInfo>,) = suite.query(registry, user(5), "get_wasm_info", ()).unwrap();
    assert_eq!(none, None);

    let info = suite.upload_calendar_wasm(registry);
    assert_eq!(info.sha256.to_vec(), module_hash("calendar"));
    // It survives an upgrade; strangers cannot read it.
    suite.upgrade(
        registry,
        "canister_registry",
        encode_args((None::<interfaces::registry::RegistryInit>,)).unwrap(),
    );
    let (kept,): (Option<WasmInfo>,) = suite.query(registry, user(5), "get_wasm_info", ()).unwrap();
    assert_eq!(kept, Some(info));
    let (chunk,): (Result<ByteBuf, Error>,) = suite
        .query(registry, user(5), "get_wasm_chunk", (ByteBuf::new(), 0u64))
        .unwrap();
    assert_eq!(chunk, Err(Error::NotGroupMember));
    let (chunk,): (Result<ByteBuf, Error>,) = suite
        .query(
            registry,
            operator(),
            "get_wasm_chunk",
            (ByteBuf::new(), 0u64),
        )
        .unwrap();
    let bytes = wasm("calendar");
    assert_eq!(
        ok(chunk).to_vec(),
        bytes[..WASM_CHUNK_BYTES.min(bytes.len())].to_vec()
    );
}

#[test]
fn filling_the_shards_past_capacity_spawns_a_fourth_shard_from_the_stored_wasm() {
    let f = fixture();
    let registry = f.group.registry;
    f.suite.upload_calendar_wasm(registry);
    // The balancer creates shards and adds them to the group: a registry admin for groups.
    let (granted,): (Result<(), Error>,) = f
        .suite
        .update(
            registry,
            operator(),
            "add_admin",
            (f.lb, vec![Permission::ManageGroups]),
        )
        .unwrap();
    ok(granted);
    f.suite.settle();
    f.configure(BalancerConfigUpdate {
        strategy: Some(Strategy::LeastConnections),
        default_capacity: Some(4),
        capacity_threshold_percent: Some(50),
        max_shards: Some(4),
        health_check_interval_seconds: Some(INTERVAL.as_secs()),
        ..Default::default()
    });

    // Two users each reach every shard's threshold.
    let counts = f.place(0..6);
    assert!(f.shards.iter().all(|s| counts[s] == 2), "{counts:?}");
    f.suite.settle();
    let stats = f.stats();
    assert_eq!(stats.scale_out.shards_created, 1, "{:?}", stats.scale_out);
    assert_eq!(stats.scale_out.stage, "idle");
    let new: Vec<_> = stats
        .shards
        .iter()
        .filter(|s| s.created_by_balancer)
        .collect();
    assert_eq!(new.len(), 1, "{stats:?}");
    let fourth = new[0].shard;
    assert!(!f.shards.contains(&fourth));
    // The operator, who controls the balancer, controls the new shard too.
    let status = f
        .suite
        .env
        .canister_status(fourth, Some(operator()))
        .expect("the operator controls the new shard");
    let controllers = status.settings.controllers;
    assert!(
        controllers.contains(&f.lb) && controllers.contains(&operator()),
        "{controllers:?}"
    );

    // It is a calendar shard running the stored module, and a member of the group.
    let (report,): (HealthReport,) = f.suite.query(fourth, user(1), "health_check", ()).unwrap();
    assert_eq!(report.canister, CanisterKind::Calendar);
    if let Some(hash) = report.module_hash {
        assert_eq!(hash, module_hash("calendar"));
    }
    let (group,): (Result<GroupInfo, Error>,) = f
        .suite
        .query(registry, operator(), "get_group", ("suite",))
        .unwrap();
    let group = ok(group);
    assert!(group
        .members
        .iter()
        .any(|m| m.principal == fourth && m.canister_type == CanisterKind::Calendar && m.has_key));

    // New users go to it, and it serves them.
    let placed: Vec<_> = (6..8).map(|n| ok(f.assign_me(numbered(n)))).collect();
    assert_eq!(placed, vec![fourth, fourth]);
    let now = f.suite.env.get_time().as_nanos_since_unix_epoch();
    let hour = 3_600_000_000_000;
    let input = EventInput::timed("first on the new shard", now + hour, now + 2 * hour, "UTC");
    let (created,): (Result<Event, Error>,) = f
        .suite
        .update(fourth, numbered(6), "create_event", (input,))
        .unwrap();
    ok(created);
    // The health timer checks it like the others; at max_shards nothing more is created.
    f.round();
    assert_eq!(f.shard_stats(fourth).checks, 1);
    assert_eq!(f.shard_stats(fourth).health, ShardHealth::Healthy);
    f.place(8..20);
    f.suite.settle();
    assert_eq!(f.stats().scale_out.shards_created, 1);
}
