//! The security model on the real wasm (issue: security_base and canister_registry): typed
//! refusals that change nothing, group isolation, principal-bound keys with rotation overlap,
//! no key bytes in any response, convergence through the pull timer, and upgrades.

use std::time::Duration;

use candid::{encode_args, Principal};
use integration_tests::{contains, operator, user, Suite};
use interfaces::registry::{RegistryInit, RegistryStats};
use interfaces::security::{
    AdminInfo, GroupInfo, GroupMemberInfo, GroupPing, MemberInit, MembershipStatus,
};
use interfaces::{CanisterKind, Error, GroupSnapshot, HealthReport, Permission};
use serde_bytes::ByteBuf;

/// A registry with group "a" (a1: calendar, a2: notification) and group "b" (b1: calendar).
struct Groups {
    suite: Suite,
    registry: Principal,
    a1: Principal,
    a2: Principal,
    b1: Principal,
}

fn two_groups(init: RegistryInit) -> Groups {
    let suite = Suite::new();
    let registry = suite.install_registry(init);
    let a1 = suite.install_member(CanisterKind::Calendar, registry);
    let a2 = suite.install_member(CanisterKind::Notification, registry);
    let b1 = suite.install_member(CanisterKind::Calendar, registry);
    let g = Groups {
        suite,
        registry,
        a1,
        a2,
        b1,
    };
    for group in ["a", "b"] {
        ok(g.registry_update::<GroupInfo>(operator(), "register_canister_group", (group,)));
    }
    for (group, member, kind) in [
        ("a", a1, CanisterKind::Calendar),
        ("a", a2, CanisterKind::Notification),
        ("b", b1, CanisterKind::Calendar),
    ] {
        let info = ok(g.registry_update::<GroupInfo>(
            operator(),
            "add_canister_to_group",
            (group, member, kind, None::<String>),
        ));
        assert!(
            info.members
                .iter()
                .find(|m| m.principal == member)
                .unwrap()
                .has_key,
            "key delivered at once"
        );
    }
    g.suite.settle();
    g
}

fn ok<T: std::fmt::Debug>(result: Result<T, Error>) -> T {
    result.unwrap_or_else(|e| panic!("expected Ok, got {e:?}"))
}

impl Groups {
    fn registry_update<T: candid::CandidType + for<'de> candid::Deserialize<'de>>(
        &self,
        sender: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> Result<T, Error> {
        let (result,): (Result<T, Error>,) = self
            .suite
            .update(self.registry, sender, method, args)
            .unwrap();
        result
    }

    /// `target.group_ping(key)` sent as `sender` (the test stands in for a member canister).
    fn ping(&self, target: Principal, sender: Principal, key: &[u8]) -> Result<GroupPing, Error> {
        let (result,): (Result<GroupPing, Error>,) = self
            .suite
            .update(target, sender, "group_ping", (ByteBuf::from(key.to_vec()),))
            .unwrap();
        result
    }

    /// Asks `from` to make an authorized group call to `to` with its own key.
    fn check_peer(&self, from: Principal, to: Principal) -> Result<GroupPing, Error> {
        let (result,): (Result<GroupPing, Error>,) = self
            .suite
            .update(from, operator(), "check_group_peer", (to,))
            .unwrap();
        result
    }

    fn verify(&self, key: &[u8], caller: Principal, target: Principal) -> bool {
        let (yes,): (bool,) = self
            .suite
            .query(
                self.registry,
                user(9),
                "verify_inter_canister_call",
                (ByteBuf::from(key.to_vec()), caller, target),
            )
            .unwrap();
        yes
    }

    fn membership(&self, member: Principal) -> MembershipStatus {
        let (status,): (MembershipStatus,) = self
            .suite
            .query(member, user(9), "get_membership", ())
            .unwrap();
        status
    }

    fn group(&self, id: &str) -> GroupInfo {
        let (group,): (Result<GroupInfo, Error>,) = self
            .suite
            .query(self.registry, user(9), "get_group", (id,))
            .unwrap();
        ok(group)
    }

    /// Everything a client can read from the registry, to compare before and after.
    fn registry_view(&self) -> (Vec<GroupInfo>, Vec<AdminInfo>, RegistryStats) {
        let (groups,): (Vec<GroupInfo>,) = self
            .suite
            .query(self.registry, user(9), "list_groups", ())
            .unwrap();
        let (admins,): (Vec<AdminInfo>,) = self
            .suite
            .query(self.registry, user(9), "list_admins", ())
            .unwrap();
        let (stats,): (RegistryStats,) = self
            .suite
            .query(self.registry, user(9), "get_registry_stats", ())
            .unwrap();
        (groups, admins, stats)
    }
}

#[test]
fn unauthorized_callers_are_refused_with_typed_errors_and_nothing_changes() {
    let g = two_groups(RegistryInit::default());
    let before = g.registry_view();
    let anonymous = Principal::anonymous();

    for (caller, expected_groups, expected_keys, expected_admin) in [
        (
            anonymous,
            Error::AnonymousCaller,
            Error::AnonymousCaller,
            Error::AnonymousCaller,
        ),
        (
            user(1),
            Error::NotAdmin {
                required: Permission::ManageGroups,
            },
            Error::NotAdmin {
                required: Permission::ManageKeys,
            },
            Error::NotController,
        ),
        // A canister of group b asking the registry directly.
        (
            g.b1,
            Error::NotAdmin {
                required: Permission::ManageGroups,
            },
            Error::NotAdmin {
                required: Permission::ManageKeys,
            },
            Error::NotController,
        ),
    ] {
        assert_eq!(
            g.registry_update::<GroupInfo>(caller, "register_canister_group", ("evil",))
                .unwrap_err(),
            expected_groups
        );
        assert_eq!(
            g.registry_update::<GroupInfo>(
                caller,
                "add_canister_to_group",
                ("a", g.b1, CanisterKind::Calendar, None::<String>)
            )
            .unwrap_err(),
            expected_groups
        );
        assert_eq!(
            g.registry_update::<GroupInfo>(caller, "remove_canister_from_group", ("a", g.a1))
                .unwrap_err(),
            expected_groups
        );
        assert_eq!(
            g.registry_update::<GroupMemberInfo>(caller, "rotate_access_key", ("a", g.a1))
                .unwrap_err(),
            expected_keys
        );
        assert_eq!(
            g.registry_update::<()>(
                caller,
                "add_admin",
                (caller, vec![Permission::ManageGroups])
            )
            .unwrap_err(),
            expected_admin
        );
        assert_eq!(
            g.registry_update::<()>(caller, "remove_admin", (operator(),))
                .unwrap_err(),
            expected_admin
        );
    }
    // A member of group b calling a member of group a with its own valid key.
    let b1_key = g.suite.held_key(g.b1).expect("b1 holds its key");
    assert_eq!(g.ping(g.a1, g.b1, &b1_key), Err(Error::NotGroupMember));
    // b1 does not even present its key to a canister outside its group (the review's finding:
    // it used to, and a1 answered NotGroupMember).
    assert!(matches!(
        g.check_peer(g.b1, g.a1),
        Err(Error::NotFound { .. })
    ));
    // Only the registry may push snapshots or keys to a member.
    let (pushed,): (Result<interfaces::security::SnapshotOutcome, Error>,) = g
        .suite
        .update(
            g.a1,
            g.b1,
            "receive_group_snapshot",
            (GroupSnapshot {
                group_id: "a".into(),
                version: u64::MAX,
                members: vec![],
                admins: vec![],
            },),
        )
        .unwrap();
    assert_eq!(pushed, Err(Error::NotRegistry));
    let (keyed,): (Result<(), Error>,) = g
        .suite
        .update(
            g.a1,
            user(1),
            "receive_access_key",
            ("a", ByteBuf::from(vec![0u8; 32])),
        )
        .unwrap();
    assert_eq!(keyed, Err(Error::NotRegistry));

    assert_eq!(
        g.registry_view(),
        before,
        "refused calls changed the registry"
    );
    assert_eq!(g.suite.held_key(g.a1).map(|k| k.len()), Some(32));
    assert_eq!(g.membership(g.a1).members, 2);

    // An admin holds exactly what it was granted.
    ok(g.registry_update::<()>(
        operator(),
        "add_admin",
        (user(2), vec![Permission::ManageGroups]),
    ));
    ok(g.registry_update::<GroupInfo>(user(2), "register_canister_group", ("c",)));
    assert_eq!(
        g.registry_update::<GroupMemberInfo>(user(2), "rotate_access_key", ("a", g.a1))
            .unwrap_err(),
        Error::NotAdmin {
            required: Permission::ManageKeys
        }
    );
}

#[test]
fn group_calls_need_the_callers_group_and_its_current_key() {
    let g = two_groups(RegistryInit {
        key_overlap_seconds: Some(60),
        retry_delay_seconds: None,
    });
    let ping = ok(g.check_peer(g.a1, g.a2));
    assert_eq!(
        (ping.canister, ping.group_id.as_str()),
        (CanisterKind::Notification, "a")
    );
    assert_eq!(ping.group_version, g.group("a").version);

    let old = g.suite.held_key(g.a1).expect("a1 holds its key");
    assert!(ok(g.ping(g.a2, g.a1, &old)).instructions > 0);
    assert_eq!(
        g.ping(g.a2, g.a2, &old),
        Err(Error::InvalidAccessKey),
        "a key is bound to its principal"
    );
    assert_eq!(g.ping(g.a2, g.a1, &[0; 32]), Err(Error::InvalidAccessKey));
    assert_eq!(g.ping(g.a2, g.a1, &old[..31]), Err(Error::InvalidAccessKey));
    assert!(g.verify(&old, g.a1, g.a2));
    assert!(!g.verify(&old, g.a1, g.b1), "another group");
    assert!(!g.verify(&old, g.a2, g.a1), "another principal");

    // Rotation: the new key works at once, the old one for the overlap only.
    let member =
        ok(g.registry_update::<GroupMemberInfo>(operator(), "rotate_access_key", ("a", g.a1)));
    assert!(member.has_key);
    g.suite.settle();
    let new = g.suite.held_key(g.a1).unwrap();
    assert_ne!(new, old);
    assert!(ok(g.check_peer(g.a1, g.a2)).group_version > ping.group_version);
    assert!(g.ping(g.a2, g.a1, &new).is_ok());
    assert!(
        g.ping(g.a2, g.a1, &old).is_ok(),
        "inside the overlap window"
    );
    assert!(g.verify(&old, g.a1, g.a2));

    g.suite.advance(Duration::from_secs(61));
    assert_eq!(
        g.ping(g.a2, g.a1, &old),
        Err(Error::InvalidAccessKey),
        "after the overlap window"
    );
    assert!(!g.verify(&old, g.a1, g.a2));
    assert!(g.ping(g.a2, g.a1, &new).is_ok());
    assert!(ok(g.check_peer(g.a2, g.a1)).group_id == "a");

    // Every response this test received, and a read of every query endpoint, carry no key.
    let (snapshot,): (Result<GroupSnapshot, Error>,) = g
        .suite
        .query(g.registry, g.a1, "get_group_snapshot", ())
        .unwrap();
    assert_eq!(ok(snapshot).members.len(), 2);
    g.registry_view();
    for id in [g.registry, g.a1, g.a2, g.b1] {
        let _: (HealthReport,) = g.suite.query(id, user(9), "health_check", ()).unwrap();
        if id != g.registry {
            g.membership(id);
        }
    }
    let keys = [
        old,
        new,
        g.suite.held_key(g.a2).unwrap(),
        g.suite.held_key(g.b1).unwrap(),
    ];
    let responses = g.suite.responses();
    assert!(responses.len() > 30);
    for response in &responses {
        for key in &keys {
            assert!(!contains(response, key), "a response carried key bytes");
            assert!(
                !contains(response, &key[..16]),
                "a response carried part of a key"
            );
        }
    }
}

#[test]
fn a_member_stopped_during_a_push_converges_through_the_pull_timer() {
    // Retries a day apart, so only the member's own pull can explain convergence.
    let g = two_groups(RegistryInit {
        key_overlap_seconds: None,
        retry_delay_seconds: Some(86_400),
    });
    g.suite.env.stop_canister(g.a1, Some(operator())).unwrap();
    let a3 = g
        .suite
        .install_member(CanisterKind::UserRegistry, g.registry);
    ok(g.registry_update::<GroupInfo>(
        operator(),
        "add_canister_to_group",
        ("a", a3, CanisterKind::UserRegistry, None::<String>),
    ));
    let (stats,): (RegistryStats,) = g
        .suite
        .query(g.registry, user(9), "get_registry_stats", ())
        .unwrap();
    assert_eq!(
        stats.outbox_failing, 1,
        "the push to the stopped member failed and waits in the outbox"
    );
    g.suite.env.start_canister(g.a1, Some(operator())).unwrap();
    let version = g.group("a").version;
    assert!(g.membership(g.a1).group_version < Some(version));
    assert_eq!(
        g.check_peer(a3, g.a1),
        Err(Error::NotGroupMember),
        "a1 does not know a3 yet"
    );

    g.suite.advance(Duration::from_secs(61));
    let status = g.membership(g.a1);
    assert_eq!(status.group_version, Some(version));
    assert_eq!(status.members, 3);
    assert_eq!(status.last_pull_error, None);
    assert_eq!(ok(g.check_peer(a3, g.a1)).group_version, version);
}

#[test]
fn upgrades_keep_groups_admins_and_key_hashes() {
    let g = two_groups(RegistryInit::default());
    ok(g.registry_update::<()>(
        operator(),
        "add_admin",
        (user(2), vec![Permission::ManageKeys]),
    ));
    g.suite.settle();
    let before = g.registry_view();
    let key = g.suite.held_key(g.a1).unwrap();
    let membership = g.membership(g.a1);

    g.suite.upgrade(
        g.registry,
        "canister_registry",
        encode_args((None::<RegistryInit>,)).unwrap(),
    );
    for (id, kind) in [
        (g.a1, CanisterKind::Calendar),
        (g.a2, CanisterKind::Notification),
    ] {
        g.suite
            .upgrade(id, kind.name(), encode_args((None::<MemberInit>,)).unwrap());
    }
    g.suite.settle();

    assert_eq!(g.registry_view(), before);
    assert_eq!(g.suite.held_key(g.a1), Some(key.clone()));
    assert_eq!(g.membership(g.a1).group_version, membership.group_version);
    assert_eq!(g.membership(g.a1).registry, Some(g.registry));
    assert!(g.verify(&key, g.a1, g.a2));
    assert!(g.ping(g.a2, g.a1, &key).is_ok());
    assert!(g.check_peer(g.a1, g.a2).is_ok());
    // The admin kept its grant through the upgrade.
    assert!(g
        .registry_update::<GroupMemberInfo>(user(2), "rotate_access_key", ("a", g.a2))
        .is_ok());
}
