//! Cycles and capacity (issue 17): a crowd of throwaway identities cannot take shard slots or
//! make the balancer spend cycles on new shards. Only accounts get a shard (the user registry
//! asks for it at sign-up), sign-ups are limited in total, and a scale-out beyond the daily cap
//! or below the cycles floor is refused with an operator alert.
//!
//! Run with `cargo test -p integration_tests --test capacity -- --nocapture` after
//! `scripts/build.sh` (the numbers printed are what the report quotes).

use std::collections::BTreeMap;
use std::time::Duration;

use candid::Principal;
use integration_tests::{operator, user, wasm, Group, Suite};
use interfaces::load_balancer::{BalancerConfig, BalancerConfigUpdate, LoadBalancerStats};
use interfaces::notification::{AlertKind, AlertPage, AlertQuery};
use interfaces::registry::{WasmInfo, WasmUploadStart, WASM_CHUNK_BYTES};
use interfaces::user::{Profile, RegisterRequest, UserAccount};
use interfaces::{CanisterKind, Error, Permission};
use serde_bytes::ByteBuf;

const INTERVAL: Duration = Duration::from_secs(10);

fn ok<T: std::fmt::Debug>(result: Result<T, Error>) -> T {
    result.unwrap_or_else(|e| panic!("expected Ok, got {e:?}"))
}

/// A fresh identity nobody has seen: what an attacker makes by the thousand.
fn throwaway(n: u32) -> Principal {
    let mut bytes = [0x5au8; 32];
    bytes[..4].copy_from_slice(&n.to_le_bytes());
    Principal::self_authenticating(bytes)
}

/// Ok, or the error variant's name: what a caller got, for counting.
fn outcome<T>(result: &Result<T, Error>) -> String {
    match result {
        Ok(_) => "Ok".into(),
        Err(e) => format!("{e:?}")
            .split([' ', '{', '('])
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

struct Fixture {
    suite: Suite,
    group: Group,
    lb: Principal,
    users: Principal,
    notification: Principal,
}

/// A balancer, one calendar shard, the notification canister and the user registry; the
/// calendar wasm is stored in the registry and the balancer may add shards to the group, so
/// nothing but the balancer's own rules stands between full shards and a new one.
fn fixture(capacity: u64, threshold_percent: u8) -> Fixture {
    let suite = Suite::new();
    let group = suite.group(&[
        CanisterKind::LoadBalancer,
        CanisterKind::Calendar,
        CanisterKind::Notification,
        CanisterKind::UserRegistry,
    ]);
    let lb = group.member(CanisterKind::LoadBalancer);
    upload_calendar_wasm(&suite, group.registry);
    let (granted,): (Result<(), Error>,) = suite
        .update(
            group.registry,
            operator(),
            "add_admin",
            (lb, vec![Permission::ManageGroups]),
        )
        .unwrap();
    ok(granted);
    suite.settle();
    let f = Fixture {
        lb,
        users: group.member(CanisterKind::UserRegistry),
        notification: group.member(CanisterKind::Notification),
        suite,
        group,
    };
    f.configure(BalancerConfigUpdate {
        default_capacity: Some(capacity),
        capacity_threshold_percent: Some(threshold_percent),
        health_check_interval_seconds: Some(INTERVAL.as_secs()),
        ..Default::default()
    });
    f
}

fn upload_calendar_wasm(suite: &Suite, registry: Principal) -> WasmInfo {
    use sha2::Digest;
    let bytes = wasm("calendar");
    let start = WasmUploadStart {
        sha256: ByteBuf::from(sha2::Sha256::digest(&bytes).to_vec()),
        size: bytes.len() as u64,
    };
    let (started,): (Result<(), Error>,) = suite
        .update(registry, operator(), "start_wasm_upload", (start,))
        .unwrap();
    ok(started);
    for (index, chunk) in bytes.chunks(WASM_CHUNK_BYTES).enumerate() {
        let (left,): (Result<u64, Error>,) = suite
            .update(
                registry,
                operator(),
                "upload_wasm_chunk",
                (index as u64, ByteBuf::from(chunk.to_vec())),
            )
            .unwrap();
        ok(left);
    }
    let (committed,): (Result<WasmInfo, Error>,) = suite
        .update(registry, operator(), "commit_wasm_upload", ())
        .unwrap();
    ok(committed)
}

impl Fixture {
    fn configure(&self, update: BalancerConfigUpdate) -> BalancerConfig {
        let (result,): (Result<BalancerConfig, Error>,) = self
            .suite
            .update(self.lb, operator(), "set_config", (update,))
            .unwrap();
        ok(result)
    }

    fn assign_me(&self, who: Principal) -> Result<Principal, Error> {
        let (result,): (Result<Principal, Error>,) =
            self.suite.update(self.lb, who, "assign_me", ()).unwrap();
        result
    }

    fn register(&self, who: Principal) -> Result<UserAccount, Error> {
        let request = RegisterRequest {
            profile: Profile {
                display_name: "x".into(),
                avatar_color: None,
                email: None,
            },
            settings: None,
        };
        let (result,): (Result<UserAccount, Error>,) = self
            .suite
            .update(self.users, who, "register", (request,))
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

    fn calendar_members(&self) -> usize {
        let (group,): (Result<interfaces::security::GroupInfo, Error>,) = self
            .suite
            .query(self.group.registry, operator(), "get_group", ("suite",))
            .unwrap();
        ok(group)
            .members
            .iter()
            .filter(|m| m.canister_type == CanisterKind::Calendar)
            .count()
    }

    fn cycles(&self, canister: Principal) -> u128 {
        let status = self
            .suite
            .env
            .canister_status(canister, Some(operator()))
            .expect("the operator controls every canister of the suite");
        u128::try_from(status.cycles.0).expect("fits")
    }

    fn alerts(&self) -> Vec<interfaces::notification::Alert> {
        let (alerts,): (Result<AlertPage, Error>,) = self
            .suite
            .query(
                self.notification,
                operator(),
                "list_alerts",
                (AlertQuery {
                    include_acknowledged: true,
                    cursor: None,
                    limit: None,
                },),
            )
            .unwrap();
        ok(alerts).alerts
    }

    /// Health rounds: the timer fires once per interval (and runs any scale-out due).
    fn rounds(&self, n: u32) {
        for _ in 0..n {
            self.suite.advance(INTERVAL);
        }
    }
}

/// The review's attack, scaled to a balancer whose one shard counts as full at 400 users: 1,000
/// fresh identities each ask the balancer for a shard and then try to sign up. Before the fix
/// `assign_me` gave every one of them a slot and the balancer created a new shard with 2 T
/// cycles; now `assign_me` gives nobody without an account a slot, and the sign-up budget lets
/// in at most one burst.
#[test]
fn a_thousand_throwaway_identities_take_no_slot_and_create_no_shard() {
    let f = fixture(500, 80);
    let canisters = [
        ("load_balancer", f.lb),
        ("user_registry", f.users),
        ("calendar", f.group.member(CanisterKind::Calendar)),
        ("notification", f.notification),
    ];
    let before: Vec<u128> = canisters.iter().map(|(_, c)| f.cycles(*c)).collect();

    let mut got: BTreeMap<(&str, String), u32> = BTreeMap::new();
    for n in 0..1_000 {
        let who = throwaway(n);
        *got.entry(("assign_me", outcome(&f.assign_me(who))))
            .or_default() += 1;
        *got.entry(("register", outcome(&f.register(who))))
            .or_default() += 1;
    }
    // Let the registry's outbox ask for the shards of the accounts that were created, and the
    // health timer run a few rounds (a scale-out would start there too).
    f.suite.settle();
    f.rounds(3);

    let spent: Vec<String> = canisters
        .iter()
        .zip(&before)
        .map(|((name, c), b)| format!("{name}: {} cycles", b.saturating_sub(f.cycles(*c))))
        .collect();
    println!("1,000 throwaway identities, one shard (full at 400 users):");
    for ((method, result), count) in &got {
        println!("  {method:>9} -> {result:<12} x {count}");
    }
    println!("  calendar shards in the group: {}", f.calendar_members());
    println!("  cycles used: {}", spent.join(", "));

    assert_eq!(
        got.get(&("assign_me", "Ok".to_string())),
        None,
        "a principal without an account got a shard slot: {got:?}"
    );
    assert_eq!(f.calendar_members(), 1, "a shard was created");
    let stats = f.stats();
    println!(
        "  assigned users: {}; shards created: {}",
        stats.total_users, stats.scale_out.shards_created
    );
    assert_eq!(stats.scale_out.shards_created, 0, "{:?}", stats.scale_out);
    let signed_up = got
        .get(&("register", "Ok".to_string()))
        .copied()
        .unwrap_or(0);
    assert!(
        (1..=110).contains(&signed_up),
        "the sign-up budget lets in one burst (100) and its trickle: {got:?}"
    );
    assert_eq!(
        stats.total_users, signed_up as u64,
        "only accounts hold slots"
    );
    // Every refused sign-up was told to wait, and nothing else went wrong.
    assert_eq!(
        got.get(&("register", "RateLimited".to_string())).copied(),
        Some(1_000 - signed_up),
        "{got:?}"
    );
    // An account's own call answers its shard.
    let shard = ok(f.assign_me(throwaway(0)));
    assert_eq!(shard, f.group.member(CanisterKind::Calendar));
}

/// Past the daily cap the balancer creates no shard, however full the shards are, and the
/// operator is alerted once; with the daily cap raised, the cycles floor refuses it the same way.
#[test]
fn a_refused_scale_out_creates_nothing_and_alerts_the_operator() {
    // One user fills a shard: capacity 2, threshold 50 %.
    let f = fixture(2, 50);
    let sign_up = |n: u32| {
        ok(f.register(throwaway(n)));
        f.suite.settle();
        ok(f.assign_me(throwaway(n)))
    };
    // The first shard fills: the balancer creates a second one (today's one allowed).
    sign_up(0);
    f.suite.settle();
    f.rounds(1);
    assert_eq!(f.calendar_members(), 2);
    // The second fills too: a third would be the second today. Refused, with an alert.
    sign_up(1);
    f.suite.settle();
    f.rounds(3);
    assert_eq!(f.calendar_members(), 2, "a second shard was created today");
    let stats = f.stats();
    assert_eq!(stats.scale_out.shards_created, 1, "{:?}", stats.scale_out);
    assert_eq!(stats.scale_out.shards_created_last_day, 1);
    assert_eq!(f.calendar_members(), 2);
    let refusal = stats.scale_out.last_refusal.clone().unwrap_or_default();
    assert!(refusal.contains("max_new_shards_per_day"), "{refusal}");
    let capped: Vec<_> = f
        .alerts()
        .into_iter()
        .filter(|a| a.subject == Some(f.lb) && a.message.contains("scale-out refused"))
        .collect();
    assert_eq!(capped.len(), 1, "{capped:?}");
    assert_eq!(capped[0].kind, AlertKind::Other);
    assert_eq!(
        capped[0].count, 1,
        "one alert per reason per day, not one per round"
    );

    // More allowed per day, but the balancer must keep more cycles than it has: refused again.
    let balance = f.cycles(f.lb);
    f.configure(BalancerConfigUpdate {
        max_new_shards_per_day: Some(5),
        min_cycles_after_scale_out: Some(balance),
        ..Default::default()
    });
    f.rounds(2);
    let stats = f.stats();
    assert_eq!(stats.scale_out.shards_created, 1, "{:?}", stats.scale_out);
    assert!(stats
        .scale_out
        .last_refusal
        .unwrap_or_default()
        .contains("cycles"));
    assert!(
        f.alerts()
            .iter()
            .any(|a| a.kind == AlertKind::CyclesLow && a.subject == Some(f.lb)),
        "{:?}",
        f.alerts()
    );
    // With the floor back to its default, the next round creates the shard.
    f.configure(BalancerConfigUpdate {
        min_cycles_after_scale_out: Some(5_000_000_000_000),
        ..Default::default()
    });
    f.rounds(2);
    assert_eq!(f.stats().scale_out.shards_created, 2);
    assert_eq!(f.calendar_members(), 3);
}
