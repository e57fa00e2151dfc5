use super::*;
use ic_stable_structures::memory_manager::MemoryManager;
use ic_stable_structures::DefaultMemoryImpl;
use interfaces::load_balancer::BalancerConfigUpdate;

type Mem = ic_stable_structures::memory_manager::VirtualMemory<DefaultMemoryImpl>;

fn balancer_on(raw: DefaultMemoryImpl) -> Balancer<Mem> {
    let manager = MemoryManager::init(raw);
    Balancer::init(|id| manager.get(id))
}

fn balancer() -> Balancer<Mem> {
    balancer_on(DefaultMemoryImpl::default())
}

fn shard(n: u8) -> Principal {
    Principal::from_slice(&[n; 10])
}

fn user(n: u32) -> Principal {
    let mut bytes = [0u8; 29];
    bytes[..4].copy_from_slice(&n.to_le_bytes());
    bytes[28] = 2;
    Principal::from_slice(&bytes)
}

fn three() -> Vec<Principal> {
    vec![shard(1), shard(2), shard(3)]
}

fn with(b: &mut Balancer<Mem>, update: BalancerConfigUpdate) {
    b.set_config(update).unwrap();
}

fn users_of(b: &Balancer<Mem>, s: Principal) -> u64 {
    b.shard(&s).unwrap().users
}

#[test]
fn assignments_are_sticky_and_counted() {
    let mut b = balancer();
    let first = b.assign(user(1), &three()).unwrap();
    for _ in 0..5 {
        assert_eq!(b.assign(user(1), &three()).unwrap(), first);
    }
    assert_eq!(users_of(&b, first), 1);
    assert_eq!(b.shard_for(&user(1)), Some(first));
    assert_eq!(b.delete_user(&user(1)), 1);
    assert_eq!(b.delete_user(&user(1)), 0, "idempotent");
    assert_eq!(users_of(&b, first), 0);
    assert_eq!(b.shard_for(&user(1)), None);
}

#[test]
fn round_robin_and_least_connections_spread_users_evenly() {
    for strategy in [Strategy::RoundRobin, Strategy::LeastConnections] {
        let mut b = balancer();
        with(
            &mut b,
            BalancerConfigUpdate {
                strategy: Some(strategy.into()),
                ..Default::default()
            },
        );
        let picks: Vec<_> = (0..6)
            .map(|n| b.assign(user(n), &three()).unwrap())
            .collect();
        assert_eq!(
            picks,
            vec![shard(1), shard(2), shard(3), shard(1), shard(2), shard(3)],
            "{strategy:?}"
        );
    }
}

#[test]
fn weighted_random_waits_for_its_seed() {
    let mut b = balancer();
    with(
        &mut b,
        BalancerConfigUpdate {
            strategy: Some(Strategy::WeightedRandom.into()),
            ..Default::default()
        },
    );
    assert!(matches!(
        b.assign(user(1), &three()),
        Err(Error::Unavailable { .. })
    ));
    assert_eq!(
        b.shard_for(&user(1)),
        None,
        "a refused assignment stores nothing"
    );
    b.mix_entropy(&[9; 32]);
    assert!(b.assign(user(1), &three()).is_ok());
}

#[test]
fn unhealthy_and_retired_shards_get_no_new_users() {
    let mut b = balancer();
    b.sync_shards(&three());
    for t in 0..3 {
        b.record_check(
            shard(2),
            CheckOutcome::Failed {
                error: "stopped".into(),
            },
            t,
        );
    }
    assert_eq!(b.shard(&shard(2)).unwrap().health, ShardHealth::Unhealthy);
    let owed = b.owed();
    assert_eq!(
        owed,
        vec![(shard(2), Owed::EmergencyBackup), (shard(2), Owed::Alert)]
    );
    for n in 0..20 {
        assert_ne!(b.assign(user(n), &three()).unwrap(), shard(2));
    }
    // A failed alert stays owed; an answered one is done.
    b.settle_owed(shard(2), Owed::Alert, Err("no notification".into()), 5);
    b.settle_owed(shard(2), Owed::EmergencyBackup, Ok(7), 5);
    assert_eq!(b.owed(), vec![(shard(2), Owed::Alert)]);
    assert_eq!(
        b.shard(&shard(2)).unwrap().alert,
        Some(FollowUp::Pending {
            attempts: 1,
            last_error: Some("no notification".into())
        })
    );
    // Everyone unavailable: a typed error, nothing stored.
    let only = [shard(2)];
    assert!(matches!(
        b.assign(user(99), &only),
        Err(Error::Unavailable { .. })
    ));
    assert_eq!(b.shard_for(&user(99)), None);
}

#[test]
fn users_go_below_threshold_first_and_a_full_group_asks_for_a_new_shard() {
    let mut b = balancer();
    with(
        &mut b,
        BalancerConfigUpdate {
            default_capacity: Some(10),
            capacity_threshold_percent: Some(50),
            strategy: Some(Strategy::RoundRobin.into()),
            ..Default::default()
        },
    );
    let shards = vec![shard(1), shard(2)];
    for n in 0..9 {
        b.assign(user(n), &shards).unwrap();
    }
    assert!(!b.needs_scale_out(&shards));
    b.assign(user(9), &shards).unwrap();
    assert_eq!((users_of(&b, shard(1)), users_of(&b, shard(2))), (5, 5));
    assert!(b.needs_scale_out(&shards));
    assert!(b.scale_out_now(&shards));
    // Over the threshold, users still get a shard rather than an error.
    assert!(b.assign(user(10), &shards).is_ok());

    // One reservation at a time.
    assert!(b.reserve_spawn(&shards, 1));
    assert!(!b.reserve_spawn(&shards, 2));
    assert!(!b.needs_scale_out(&shards));
    // A failure before a canister exists releases it, with the reason kept.
    b.spawn_failed("no wasm".into());
    assert_eq!(b.spawn(), None);
    assert_eq!(
        b.stats(&shards, 0).scale_out.last_error.as_deref(),
        Some("no wasm")
    );
    // The health round retries; assignments no longer start attempts of their own.
    assert!(b.needs_scale_out(&shards));
    assert!(!b.scale_out_now(&shards));
    // After the canister exists, a failure keeps it for the retry.
    assert!(b.reserve_spawn(&shards, 3));
    b.spawn_advanced(SpawnStage::Installing { canister: shard(3) });
    b.spawn_failed("install failed".into());
    assert_eq!(
        b.spawn().unwrap().stage,
        SpawnStage::Installing { canister: shard(3) }
    );
    b.spawn_done(shard(3));
    assert_eq!(b.spawn(), None);
    let grown = vec![shard(1), shard(2), shard(3)];
    assert!(!b.needs_scale_out(&grown));
    assert_eq!(b.assign(user(50), &grown).unwrap(), shard(3));
    let stats = b.stats(&grown, 0);
    assert_eq!(stats.scale_out.shards_created, 1);
    assert!(stats.shards[2].created_by_balancer);
}

#[test]
fn scale_out_respects_its_switch_and_the_shard_limit() {
    let mut b = balancer();
    with(
        &mut b,
        BalancerConfigUpdate {
            default_capacity: Some(1),
            max_shards: Some(2),
            ..Default::default()
        },
    );
    let shards = vec![shard(1), shard(2)];
    b.assign(user(1), &shards).unwrap();
    b.assign(user(2), &shards).unwrap();
    assert!(!b.needs_scale_out(&shards), "at max_shards");
    with(
        &mut b,
        BalancerConfigUpdate {
            max_shards: Some(3),
            scale_out_enabled: Some(false),
            ..Default::default()
        },
    );
    assert!(!b.needs_scale_out(&shards), "disabled");
}

#[test]
fn replace_shard_moves_users_once_and_retires_the_lost_shard() {
    let mut b = balancer();
    with(
        &mut b,
        BalancerConfigUpdate {
            strategy: Some(Strategy::RoundRobin.into()),
            ..Default::default()
        },
    );
    let mut group = three();
    for n in 0..6 {
        b.assign(user(n), &group).unwrap();
    }
    // Not in the group yet: refused, nothing moved.
    assert!(matches!(
        b.replace_shard(shard(1), shard(4), &group),
        Err(Error::NotFound { .. })
    ));
    assert!(b.replace_shard(shard(1), shard(1), &group).is_err());
    group.push(shard(4));
    assert_eq!(b.replace_shard(shard(1), shard(4), &group), Ok(2));
    assert_eq!(b.replace_shard(shard(1), shard(4), &group), Ok(0));
    assert_eq!(b.shard_for(&user(0)), Some(shard(4)));
    assert_eq!(b.shard_for(&user(3)), Some(shard(4)));
    assert_eq!((users_of(&b, shard(1)), users_of(&b, shard(4))), (0, 2));
    assert!(b.shard(&shard(1)).unwrap().retired);
    for n in 10..20 {
        assert_ne!(b.assign(user(n), &group).unwrap(), shard(1));
    }
}

#[test]
fn invalid_config_is_refused_whole() {
    let mut b = balancer();
    let before = b.config().clone();
    for bad in [
        BalancerConfigUpdate {
            strategy: Some(Strategy::RoundRobin.into()),
            capacity_threshold_percent: Some(0),
            ..Default::default()
        },
        BalancerConfigUpdate {
            capacity_threshold_percent: Some(101),
            ..Default::default()
        },
        BalancerConfigUpdate {
            unhealthy_after_failures: Some(0),
            ..Default::default()
        },
        BalancerConfigUpdate {
            health_check_interval_seconds: Some(0),
            ..Default::default()
        },
        BalancerConfigUpdate {
            default_capacity: Some(0),
            ..Default::default()
        },
        BalancerConfigUpdate {
            max_shards: Some(MAX_SHARDS + 1),
            ..Default::default()
        },
    ] {
        assert!(
            matches!(b.set_config(bad.clone()), Err(Error::InvalidInput { .. })),
            "{bad:?}"
        );
        assert_eq!(b.config(), &before);
    }
    assert!(b.set_shard_capacity(shard(9), 5).is_err(), "unknown shard");
    b.sync_shards(&[shard(9)]);
    assert!(b.set_shard_capacity(shard(9), 0).is_err());
    assert_eq!(b.set_shard_capacity(shard(9), 5).unwrap().capacity, 5);
}

#[test]
fn everything_survives_a_reload_from_the_same_memory() {
    let raw = DefaultMemoryImpl::default();
    let mut b = balancer_on(raw.clone());
    with(
        &mut b,
        BalancerConfigUpdate {
            strategy: Some(Strategy::ResponseTime.into()),
            ..Default::default()
        },
    );
    let picks: Vec<_> = (0..5)
        .map(|n| b.assign(user(n), &three()).unwrap())
        .collect();
    b.record_check(shard(1), CheckOutcome::Answered { latency_ns: 50 }, 1);
    let before = b.stats(&three(), 0);
    drop(b);
    let b = balancer_on(raw);
    assert_eq!(b.stats(&three(), 0), before);
    for (n, pick) in picks.iter().enumerate() {
        assert_eq!(b.shard_for(&user(n as u32)), Some(*pick));
    }
}

#[test]
fn the_scale_out_guard_refuses_past_the_daily_cap_and_stops_sign_up_kicks() {
    let mut b = balancer();
    let shards = vec![shard(1)];
    with(
        &mut b,
        BalancerConfigUpdate {
            default_capacity: Some(2),
            capacity_threshold_percent: Some(50),
            ..Default::default()
        },
    );
    b.assign(user(1), &shards).unwrap();
    assert!(b.scale_out_now(&shards));
    let plenty = 100_000_000_000_000;
    assert_eq!(b.admit_scale_out(1, plenty), Ok(()));
    b.shard_created(1);
    // Today's one shard is spent: refused, an alert is due once, and sign-ups stop kicking.
    let refused = b.admit_scale_out(2, plenty);
    assert!(matches!(refused, Err(Some(_))), "{refused:?}");
    assert!(!b.scale_out_now(&shards));
    let stats = b.stats(&shards, 2);
    assert_eq!(stats.scale_out.shards_created_last_day, 1);
    assert!(stats
        .scale_out
        .last_refusal
        .unwrap()
        .contains("max_new_shards_per_day"));
    // Too few cycles is its own reason.
    with(
        &mut b,
        BalancerConfigUpdate {
            max_new_shards_per_day: Some(3),
            ..Default::default()
        },
    );
    assert!(matches!(b.admit_scale_out(3, 1), Err(Some(_))));
    assert_eq!(b.admit_scale_out(4, plenty), Ok(()));
    // Out-of-range limits are refused whole.
    assert!(b
        .set_config(BalancerConfigUpdate {
            max_new_shards_per_day: Some(MAX_SHARDS + 1),
            ..Default::default()
        })
        .is_err());
}
