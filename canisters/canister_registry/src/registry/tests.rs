//! Unit tests of the registry's rules over in-memory stable structures.

use super::*;
use ic_stable_structures::VectorMemory;

fn registry() -> Registry<VectorMemory> {
    Registry::init(
        VectorMemory::default(),
        VectorMemory::default(),
        VectorMemory::default(),
        VectorMemory::default(),
        VectorMemory::default(),
    )
}

fn canister(n: u8) -> Principal {
    Principal::from_slice(&[n, 0, 0, 0, 0, 0, 0, 0, 1, 1])
}

fn user(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}

fn pushes_to(r: &Registry<VectorMemory>, target: Principal) -> usize {
    r.outbox_items()
        .iter()
        .filter(|(_, i)| i.target == target && matches!(i.work, Work::PushSnapshot { .. }))
        .count()
}

#[test]
fn group_ids_are_validated_and_unique() {
    let mut r = registry();
    assert!(r.register_group("calendar-prod_1", 0).is_ok());
    assert_eq!(
        r.register_group("calendar-prod_1", 0),
        Err(Error::AlreadyExists {
            what: "group calendar-prod_1".into()
        })
    );
    assert!(matches!(
        r.register_group("", 0),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        r.register_group("has space", 0),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        r.register_group(&"x".repeat(65), 0),
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(r.group_count(), 1);
}

#[test]
fn adding_a_member_queues_its_key_and_pushes_to_everyone() {
    let mut r = registry();
    r.register_group("g", 0).unwrap();
    r.add_member(
        "g",
        canister(1),
        CanisterKind::Calendar,
        Some("shard-0".into()),
        5,
    )
    .unwrap();
    r.add_member("g", canister(2), CanisterKind::Notification, None, 6)
        .unwrap();
    let items = r.outbox_items();
    let keys: Vec<_> = items
        .iter()
        .filter(|(_, i)| matches!(i.work, Work::DeliverKey { .. }))
        .collect();
    assert_eq!(keys.len(), 2);
    // One queued push per member, however many changes happened.
    assert_eq!(pushes_to(&r, canister(1)), 1);
    assert_eq!(pushes_to(&r, canister(2)), 1);
    let info = r.group_info("g").unwrap();
    assert_eq!(info.members.len(), 2);
    assert!(!info.members[0].has_key);
    assert_eq!(r.group_of(&canister(2)), Some("g".into()));
}

#[test]
fn a_canister_is_in_at_most_one_group_and_bad_members_change_nothing() {
    let mut r = registry();
    r.register_group("a", 0).unwrap();
    r.register_group("b", 0).unwrap();
    r.add_member("a", canister(1), CanisterKind::Calendar, None, 0)
        .unwrap();
    let before = r.snapshot("b").unwrap();
    assert!(matches!(
        r.add_member("b", canister(1), CanisterKind::Calendar, None, 0),
        Err(Error::AlreadyExists { .. })
    ));
    assert!(matches!(
        r.add_member("b", Principal::anonymous(), CanisterKind::Calendar, None, 0),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        r.add_member(
            "b",
            canister(2),
            CanisterKind::Calendar,
            Some(" ".into()),
            0
        ),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        r.add_member("nope", canister(2), CanisterKind::Calendar, None, 0),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        r.snapshot("b").unwrap(),
        before,
        "failed adds change nothing"
    );
    assert_eq!(r.group_of(&canister(2)), None);
}

#[test]
fn every_change_gets_a_higher_registry_wide_version() {
    let mut r = registry();
    let a = r.register_group("a", 0).unwrap().version;
    let b = r.register_group("b", 0).unwrap().version;
    assert!(b > a);
    r.add_member("a", canister(1), CanisterKind::Calendar, None, 0)
        .unwrap();
    let after_add = r.snapshot("a").unwrap().version;
    assert!(after_add > b);
    r.set_admin(user(1), vec![Permission::ManageKeys], 0)
        .unwrap();
    assert!(
        r.snapshot("a").unwrap().version > after_add,
        "admins travel in every snapshot"
    );
    assert_eq!(r.snapshot("a").unwrap().admins.len(), 1);
}

#[test]
fn keys_are_stored_only_as_hashes_and_verify_only_within_the_group() {
    let mut r = registry();
    r.register_group("a", 0).unwrap();
    r.register_group("b", 0).unwrap();
    r.add_member("a", canister(1), CanisterKind::Calendar, None, 0)
        .unwrap();
    r.add_member("a", canister(2), CanisterKind::Notification, None, 0)
        .unwrap();
    r.add_member("b", canister(3), CanisterKind::Calendar, None, 0)
        .unwrap();
    let key1 = r.install_new_key("a", canister(1), &[1; 32], 10).unwrap();
    let key3 = r.install_new_key("b", canister(3), &[3; 32], 10).unwrap();

    assert!(r.verify_call(key1.expose_bytes(), &canister(1), &canister(2), 11));
    assert!(
        !r.verify_call(key1.expose_bytes(), &canister(1), &canister(3), 11),
        "other group"
    );
    assert!(
        !r.verify_call(key3.expose_bytes(), &canister(3), &canister(1), 11),
        "other group"
    );
    assert!(
        !r.verify_call(key1.expose_bytes(), &canister(2), &canister(1), 11),
        "someone else's key"
    );
    assert!(!r.verify_call(&[0; 32], &canister(1), &canister(2), 11));
    assert!(!r.verify_call(&[0; 3], &canister(1), &canister(2), 11));

    let snapshot = candid::encode_one(r.snapshot("a").unwrap()).unwrap();
    let bytes = key1.expose_bytes();
    assert!(
        !snapshot.windows(bytes.len()).any(|w| w == bytes),
        "the snapshot holds no key"
    );
}

#[test]
fn rotation_keeps_the_old_key_for_the_overlap_then_expiry_drops_it() {
    let mut r = registry();
    r.set_timing(Some(1_000), None);
    r.register_group("a", 0).unwrap();
    r.add_member("a", canister(1), CanisterKind::Calendar, None, 0)
        .unwrap();
    r.add_member("a", canister(2), CanisterKind::Calendar, None, 0)
        .unwrap();
    let old = r.install_new_key("a", canister(1), &[1; 32], 100).unwrap();
    r.mark_key_delivered("a", canister(1));
    let new = r.install_new_key("a", canister(1), &[2; 32], 200).unwrap();
    r.mark_key_delivered("a", canister(1));
    assert!(r.verify_call(new.expose_bytes(), &canister(1), &canister(2), 201));
    assert!(r.verify_call(old.expose_bytes(), &canister(1), &canister(2), 1_199));
    assert!(!r.verify_call(old.expose_bytes(), &canister(1), &canister(2), 1_200));

    let version = r.snapshot("a").unwrap().version;
    assert_eq!(r.expire_key_overlaps(1_199), 0);
    assert_eq!(r.expire_key_overlaps(1_200), 1);
    assert!(r.snapshot("a").unwrap().version > version);
    assert!(r.snapshot("a").unwrap().members[0]
        .keys
        .as_ref()
        .unwrap()
        .previous
        .is_none());
    assert_eq!(r.expire_key_overlaps(5_000), 0, "nothing left to expire");
}

#[test]
fn a_member_that_missed_its_new_key_keeps_the_old_one_past_the_overlap() {
    let mut r = registry();
    r.set_timing(Some(1_000), None);
    r.register_group("a", 0).unwrap();
    r.add_member("a", canister(1), CanisterKind::Calendar, None, 0)
        .unwrap();
    r.add_member("a", canister(2), CanisterKind::Calendar, None, 0)
        .unwrap();
    let old = r.install_new_key("a", canister(1), &[1; 32], 100).unwrap();
    r.mark_key_delivered("a", canister(1));
    // The rotation's delivery fails (the member is stopped): it still holds `old`.
    r.install_new_key("a", canister(1), &[2; 32], 200).unwrap();
    for now in (300..=10_000).step_by(100) {
        r.expire_key_overlaps(now);
        assert!(
            r.verify_call(old.expose_bytes(), &canister(1), &canister(2), now + 1),
            "still valid at {now}: the member has nothing else"
        );
    }
    // A retried delivery succeeds: from then on the old key runs out at the window's end.
    let newest = r
        .install_new_key("a", canister(1), &[3; 32], 10_000)
        .unwrap();
    r.mark_key_delivered("a", canister(1));
    let until = r.snapshot("a").unwrap().members[0]
        .keys
        .as_ref()
        .unwrap()
        .previous_valid_until_ns;
    r.expire_key_overlaps(until);
    assert!(!r.verify_call(old.expose_bytes(), &canister(1), &canister(2), until));
    assert!(r.verify_call(newest.expose_bytes(), &canister(1), &canister(2), until));
}

#[test]
fn removal_pushes_a_last_snapshot_and_drops_pending_work() {
    let mut r = registry();
    r.register_group("a", 0).unwrap();
    r.add_member("a", canister(1), CanisterKind::Calendar, None, 0)
        .unwrap();
    r.add_member("a", canister(2), CanisterKind::Calendar, None, 0)
        .unwrap();
    r.remove_member("a", canister(1), 0).unwrap();
    let to_removed: Vec<_> = r
        .outbox_items()
        .into_iter()
        .filter(|(_, i)| i.target == canister(1))
        .collect();
    assert_eq!(to_removed.len(), 1);
    assert!(matches!(to_removed[0].1.work, Work::PushSnapshot { .. }));
    assert_eq!(r.group_of(&canister(1)), None);
    assert!(r
        .snapshot("a")
        .unwrap()
        .members
        .iter()
        .all(|m| m.principal != canister(1)));
    assert!(matches!(
        r.remove_member("a", canister(1), 0),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn failed_outbox_items_back_off_and_stay_until_done() {
    let mut r = registry();
    r.set_timing(None, Some(100));
    r.register_group("a", 0).unwrap();
    r.add_member("a", canister(1), CanisterKind::Calendar, None, 0)
        .unwrap();
    let due = r.due(0, 10);
    assert_eq!(due.len(), 2);
    let (id, _) = due[0];
    r.fail(id, "stopped".into(), 0);
    assert_eq!(r.due(99, 10).len(), 1);
    assert_eq!(r.due(100, 10).len(), 2);
    r.fail(id, "stopped".into(), 100);
    assert_eq!(
        r.due(299, 10).len(),
        1,
        "the second wait is twice the first"
    );
    assert_eq!(r.due(300, 10).len(), 2);
    let item = r
        .outbox_items()
        .into_iter()
        .find(|(i, _)| *i == id)
        .unwrap()
        .1;
    assert_eq!(
        (item.attempts, item.last_error.as_deref()),
        (2, Some("stopped"))
    );
    r.complete(id);
    assert_eq!(r.outbox_items().len(), 1);
}

#[test]
fn admins_are_validated() {
    let mut r = registry();
    assert!(matches!(
        r.set_admin(Principal::anonymous(), vec![Permission::ManageGroups], 0),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        r.set_admin(user(1), vec![], 0),
        Err(Error::InvalidInput { .. })
    ));
    r.set_admin(
        user(1),
        vec![
            Permission::ManageKeys,
            Permission::ManageKeys,
            Permission::ManageGroups,
        ],
        0,
    )
    .unwrap();
    assert_eq!(
        r.admin_permissions(&user(1)),
        Some(vec![Permission::ManageGroups, Permission::ManageKeys])
    );
    assert!(matches!(
        r.remove_admin(&user(2), 0),
        Err(Error::NotFound { .. })
    ));
    r.remove_admin(&user(1), 0).unwrap();
    assert!(r.list_admins().is_empty());
}

#[test]
fn a_failed_delivery_does_not_push_the_held_key_out_of_the_overlap() {
    let mut r = registry();
    r.set_timing(Some(1_000), None);
    r.register_group("a", 0).unwrap();
    r.add_member("a", canister(1), CanisterKind::Calendar, None, 0)
        .unwrap();
    r.add_member("a", canister(2), CanisterKind::Calendar, None, 0)
        .unwrap();
    let held = r.install_new_key("a", canister(1), &[1; 32], 0).unwrap();
    r.mark_key_delivered("a", canister(1));
    assert!(r.group_info("a").unwrap().members[0].has_key);
    // Two rotations whose deliveries failed: the member still holds `held`.
    r.install_new_key("a", canister(1), &[2; 32], 10).unwrap();
    assert!(
        !r.group_info("a").unwrap().members[0].has_key,
        "undelivered"
    );
    let latest = r.install_new_key("a", canister(1), &[3; 32], 20).unwrap();
    assert!(r.verify_call(held.expose_bytes(), &canister(1), &canister(2), 21));
    assert!(r.verify_call(latest.expose_bytes(), &canister(1), &canister(2), 21));
    assert!(
        !r.verify_call(held.expose_bytes(), &canister(1), &canister(2), 1_010),
        "overlap from the first rotation"
    );
}

#[test]
fn members_calling_the_registry_are_authorized_by_their_own_key() {
    let mut r = registry();
    r.register_group("a", 0).unwrap();
    r.add_member("a", canister(1), CanisterKind::LoadBalancer, None, 0)
        .unwrap();
    r.add_member("a", canister(2), CanisterKind::Calendar, None, 0)
        .unwrap();
    let key1 = r.install_new_key("a", canister(1), &[1; 32], 10).unwrap();
    let key2 = r.install_new_key("a", canister(2), &[2; 32], 10).unwrap();

    assert_eq!(
        r.authorize_member(key1.expose_bytes(), &canister(1), 11),
        Ok(CanisterKind::LoadBalancer)
    );
    assert_eq!(
        r.authorize_member(key2.expose_bytes(), &canister(1), 11),
        Err(Error::InvalidAccessKey),
        "someone else's key"
    );
    assert_eq!(
        r.authorize_member(key1.expose_bytes(), &canister(9), 11),
        Err(Error::NotGroupMember)
    );
    assert_eq!(
        r.authorize_member(&[0; 3], &canister(1), 11),
        Err(Error::InvalidAccessKey)
    );
}

#[test]
fn only_controllers_add_members_other_than_calendar_shards() {
    assert_eq!(may_add_member(CanisterKind::Calendar, false), Ok(()));
    for kind in CanisterKind::ALL {
        assert_eq!(may_add_member(kind, true), Ok(()));
        if kind != CanisterKind::Calendar {
            assert_eq!(may_add_member(kind, false), Err(Error::NotController));
        }
    }
    assert_eq!(
        may_add_member(CanisterKind::Frontend, false),
        Err(Error::NotController)
    );
}
