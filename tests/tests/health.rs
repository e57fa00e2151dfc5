//! Every canister's `health_check` on the real wasm: each field measured, moving when it should.

use std::time::Duration;

use candid::encode_args;
use integration_tests::{module_hash, user, Suite};
use interfaces::registry::RegistryInit;
use interfaces::security::GroupInfo;
use interfaces::{CanisterKind, Error, HealthReport};

fn health(suite: &Suite, id: candid::Principal) -> HealthReport {
    let (report,): (HealthReport,) = suite.query(id, user(1), "health_check", ()).unwrap();
    report
}

#[test]
fn every_canister_reports_measured_health() {
    let suite = Suite::new();
    let registry = suite.install_registry(RegistryInit::default());
    let canisters: Vec<_> = CanisterKind::ALL
        .iter()
        .map(|&kind| match kind {
            CanisterKind::CanisterRegistry => (kind, registry),
            _ => (kind, suite.install_member(kind, registry)),
        })
        .collect();
    // The module hash comes from canister_info, asked by a zero-delay timer after install.
    suite.settle();
    for (kind, id) in canisters {
        let h = health(&suite, id);
        assert_eq!(h.canister, kind);
        assert_eq!(h.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(h.module_hash_error, None, "{kind:?}");
        assert_eq!(
            h.module_hash,
            Some(module_hash(kind.name())),
            "{kind:?} reports its own module hash"
        );
        assert!(
            h.canister_version >= 1,
            "{kind:?}: installing bumps the canister version"
        );
        assert!(
            h.heap_memory_bytes >= 65_536,
            "{kind:?}: {} heap bytes",
            h.heap_memory_bytes
        );
        assert!(h.cycles_balance > 0u64, "{kind:?}");
        assert!(h.started_at_ns <= h.now_ns && h.uptime_ns == h.now_ns - h.started_at_ns);
        assert_eq!(h.now_ns, suite.env.get_time().as_nanos_since_unix_epoch());
    }
}

#[test]
fn uptime_and_counters_move_and_restart_with_the_code() {
    let suite = Suite::new();
    let registry = suite.install_registry(RegistryInit::default());
    suite.settle();
    let before = health(&suite, registry);
    assert_eq!((before.requests, before.errors), (0, 0));
    // The registry's stable structures live in stable memory from the first message on.
    assert!(before.stable_memory_bytes > 0);

    suite.advance(Duration::from_secs(10));
    let refused: (Result<GroupInfo, Error>,) = suite
        .update(registry, user(1), "register_canister_group", ("g",))
        .unwrap();
    assert!(matches!(refused.0, Err(Error::NotAdmin { .. })));
    let accepted: (Result<GroupInfo, Error>,) = suite
        .update(
            registry,
            integration_tests::operator(),
            "register_canister_group",
            ("g",),
        )
        .unwrap();
    assert!(accepted.0.is_ok());

    let after = health(&suite, registry);
    assert!(after.uptime_ns >= before.uptime_ns + 10_000_000_000);
    assert_eq!((after.requests, after.errors), (2, 1));

    suite.upgrade(
        registry,
        "canister_registry",
        encode_args((None::<RegistryInit>,)).unwrap(),
    );
    let upgraded = health(&suite, registry);
    assert_eq!(
        (upgraded.requests, upgraded.errors),
        (0, 0),
        "counters restart with the code"
    );
    assert!(upgraded.canister_version > after.canister_version);
    assert!(upgraded.started_at_ns > before.started_at_ns);
}
