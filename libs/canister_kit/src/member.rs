//! The group-member side of the security model as it runs inside a member canister (every
//! canister of the suite but the registry).
//!
//! The canister hands [`init`] one stable memory from its memory module; the [`Membership`] lives
//! in a `StableCell` there (which also keeps the decoded value on the heap, so authorizing reads
//! no stable memory). [`crate::group_member_endpoints!`] adds the endpoints every member exposes.
//!
//! Sync is push first, pull as fallback: the registry pushes each new snapshot; a timer pulls
//! from the registry in case a push was missed (the canister was stopped, the push timed out).

use std::cell::RefCell;
use std::time::Duration;

use candid::Principal;
use ic_stable_structures::memory_manager::VirtualMemory;
use ic_stable_structures::{DefaultMemoryImpl, StableCell};
use interfaces::clients;
use interfaces::security::{GroupMember, GroupPing, MemberInit, MembershipStatus, SnapshotOutcome};
use interfaces::{CanisterKind, Error, GroupSnapshot, Permission};

use security_base::guards::require_permission;
use security_base::membership::Membership;

use crate::stored::Candid;

pub type Memory = VirtualMemory<DefaultMemoryImpl>;

/// How often a member pulls its group from the registry when no push arrived.
pub const DEFAULT_PULL_INTERVAL: Duration = Duration::from_secs(60);

struct MemberState {
    kind: CanisterKind,
    membership: StableCell<Candid<Membership>, Memory>,
    last_pull_ns: Option<u64>,
    last_pull_error: Option<String>,
}

thread_local! {
    static STATE: RefCell<Option<MemberState>> = const { RefCell::new(None) };
}

fn with_state<R>(f: impl FnOnce(&MemberState) -> R) -> R {
    STATE.with_borrow(|s| {
        f(s.as_ref()
            .expect("canister_kit::member::init runs in every lifecycle path"))
    })
}

fn with_state_mut<R>(f: impl FnOnce(&mut MemberState) -> R) -> R {
    STATE.with_borrow_mut(|s| {
        f(s.as_mut()
            .expect("canister_kit::member::init runs in every lifecycle path"))
    })
}

/// Called from the canister's one lifecycle path (init and post_upgrade). The registry is the
/// one `args` names, else the one `icp deploy` recorded in the `PUBLIC_CANISTER_ID:
/// canister_registry` environment variable; with neither, an upgrade keeps the stored one.
/// Arms the pull timer, and pulls right away when the canister has no snapshot yet.
pub fn init(kind: CanisterKind, memory: Memory, args: Option<MemberInit>, pull_interval: Duration) {
    let mut cell = StableCell::init(memory, Candid(Membership::default()));
    let registry = args.map(|a| a.registry).or_else(|| {
        canister_health::deployment::canister_id(CanisterKind::CanisterRegistry.name())
    });
    if let Some(registry) = registry {
        let mut membership = cell.get().0.clone();
        membership.registry = Some(registry);
        cell.set(Candid(membership));
    }
    let needs_pull = cell.get().registry.is_some() && cell.get().snapshot.is_none();
    STATE.with_borrow_mut(|s| {
        *s = Some(MemberState {
            kind,
            membership: cell,
            last_pull_ns: None,
            last_pull_error: None,
        })
    });
    ic_cdk_timers::set_timer_interval(pull_interval, || async { pull_from_registry().await });
    if needs_pull {
        ic_cdk_timers::set_timer(Duration::ZERO, pull_from_registry());
    }
}

fn update_membership<R>(f: impl FnOnce(&mut Membership) -> Result<R, Error>) -> Result<R, Error> {
    with_state_mut(|s| {
        let mut membership = s.membership.get().0.clone();
        let result = f(&mut membership)?;
        s.membership.set(Candid(membership));
        Ok(result)
    })
}

pub fn receive_snapshot(
    caller: Principal,
    snapshot: GroupSnapshot,
) -> Result<SnapshotOutcome, Error> {
    update_membership(|m| m.receive_snapshot(&caller, snapshot))
}

pub fn receive_key(caller: Principal, key: &[u8]) -> Result<(), Error> {
    update_membership(|m| m.receive_key(&caller, key))
}

/// Authorizes a call from another member of this canister's group; reads only the local cache.
pub fn authorize_member(caller: Principal, key: &[u8]) -> Result<GroupMember, Error> {
    let now = ic_cdk::api::time();
    with_state(|s| {
        s.membership
            .get()
            .authorize_member(&caller, key, now)
            .cloned()
    })
}

/// Controllers of this canister, or admins the registry granted `required`.
pub fn require_admin(caller: Principal, required: Permission) -> Result<(), Error> {
    let is_controller = ic_cdk::api::is_controller(&caller);
    with_state(|s| {
        require_permission(
            &caller,
            is_controller,
            s.membership.get().admin_permissions(&caller),
            required,
        )
    })
}

/// Answers an authorized group call: proof that `caller` holds a valid key for this group.
pub fn ping(caller: Principal, key: &[u8]) -> Result<GroupPing, Error> {
    authorize_member(caller, key)?;
    with_state(|s| {
        let snapshot = s
            .membership
            .get()
            .snapshot
            .as_ref()
            .ok_or(Error::NotGroupMember)?;
        Ok(GroupPing {
            canister: s.kind,
            group_id: snapshot.group_id.clone(),
            group_version: snapshot.version,
            instructions: ic_cdk::api::performance_counter(0),
        })
    })
}

/// An admin's diagnostic: this canister makes an authorized group call to `target` with its own
/// key and returns the answer. The key goes only to a member of this canister's group: an admin
/// naming any other principal would otherwise receive it.
pub async fn check_peer(caller: Principal, target: Principal) -> Result<GroupPing, Error> {
    require_admin(caller, Permission::ManageGroups)?;
    if with_state(|s| s.membership.get().member(&target).is_none()) {
        return Err(Error::not_found(format!(
            "{target} as a member of this group"
        )));
    }
    let key = with_state(|s| s.membership.get().own_key()).ok_or(Error::Unavailable {
        reason: "this canister has not received its access key yet".into(),
    })?;
    // Nothing was reserved before this await, so there is nothing to undo if it fails.
    clients::member::group_ping(target, key.expose_bytes()).await
}

pub fn status() -> MembershipStatus {
    with_state(|s| {
        let m = s.membership.get();
        MembershipStatus {
            registry: m.registry,
            group_id: m.snapshot.as_ref().map(|g| g.group_id.clone()),
            group_version: m.group_version(),
            members: m.snapshot.as_ref().map_or(0, |g| g.members.len() as u64),
            has_own_key: m.own_key().is_some(),
            last_pull_ns: s.last_pull_ns,
            last_pull_error: s.last_pull_error.clone(),
        }
    })
}

/// The group's members of `kind`, in the order the registry lists them (empty before the first
/// snapshot). How a member finds the peers it calls (the notification canister, the shards, ...).
pub fn members_of_kind(kind: CanisterKind) -> Vec<Principal> {
    with_state(|s| {
        s.membership
            .get()
            .snapshot
            .as_ref()
            .map_or_else(Vec::new, |g| {
                g.members
                    .iter()
                    .filter(|m| m.canister_type == kind)
                    .map(|m| m.principal)
                    .collect()
            })
    })
}

/// This canister's key, for the typed clients that call other members.
pub fn own_key() -> Option<security_base::AccessKey> {
    with_state(|s| s.membership.get().own_key())
}

/// Pulls the group snapshot from the registry and applies it like a push from the registry.
pub async fn pull_from_registry() {
    let Some(registry) = with_state(|s| s.membership.get().registry) else {
        return;
    };
    // The snapshot is applied through the same version check as a push, so a push that arrives
    // while this call is in flight is never overwritten by an older pulled one.
    let outcome = clients::registry::get_group_snapshot(registry).await;
    let now = ic_cdk::api::time();
    let error = match outcome {
        Ok(snapshot) => receive_snapshot(registry, snapshot).err(),
        Err(err) => Some(err),
    };
    with_state_mut(|s| {
        s.last_pull_ns = Some(now);
        s.last_pull_error = error.map(|e| e.to_string());
    });
}

/// Adds the endpoints every group member exposes. Invoke once at the crate root of a member
/// canister after calling [`init`] from its lifecycle; the `.did` lists them as
/// `receive_group_snapshot`, `receive_access_key`, `group_ping`, `check_group_peer`,
/// `get_membership`.
#[macro_export]
macro_rules! group_member_endpoints {
    () => {
        /// The registry pushes each new group snapshot here.
        #[::candid::candid_method(update)]
        #[::ic_cdk::update(
            hidden = true,
            decode_with = "::canister_kit::codec::arg",
            encode_with = "::canister_kit::codec::reply"
        )]
        fn receive_group_snapshot(
            snapshot: ::interfaces::GroupSnapshot,
        ) -> Result<::interfaces::security::SnapshotOutcome, ::interfaces::Error> {
            ::canister_health::track($crate::member::receive_snapshot(
                ::ic_cdk::api::msg_caller(),
                snapshot,
            ))
        }

        /// The registry delivers this canister's access key here, once per generation.
        #[::candid::candid_method(update)]
        #[::ic_cdk::update(
            hidden = true,
            decode_with = "::canister_kit::codec::args",
            encode_with = "::canister_kit::codec::reply"
        )]
        fn receive_access_key(
            _group_id: String,
            key: ::canister_kit::__private::serde_bytes::ByteBuf,
        ) -> Result<(), ::interfaces::Error> {
            ::canister_health::track($crate::member::receive_key(
                ::ic_cdk::api::msg_caller(),
                &key,
            ))
        }

        /// An authorized group call: another member proves its membership with its key.
        #[::candid::candid_method(update)]
        #[::ic_cdk::update(
            hidden = true,
            decode_with = "::canister_kit::codec::arg",
            encode_with = "::canister_kit::codec::reply"
        )]
        fn group_ping(
            key: ::canister_kit::__private::serde_bytes::ByteBuf,
        ) -> Result<::interfaces::security::GroupPing, ::interfaces::Error> {
            ::canister_health::track($crate::member::ping(::ic_cdk::api::msg_caller(), &key))
        }

        /// Admin diagnostic: call `target`'s `group_ping` with this canister's key.
        #[::candid::candid_method(update)]
        #[::ic_cdk::update(
            hidden = true,
            decode_with = "::canister_kit::codec::arg",
            encode_with = "::canister_kit::codec::reply"
        )]
        async fn check_group_peer(
            target: ::candid::Principal,
        ) -> Result<::interfaces::security::GroupPing, ::interfaces::Error> {
            ::canister_health::track(
                $crate::member::check_peer(::ic_cdk::api::msg_caller(), target).await,
            )
        }

        #[::candid::candid_method(query)]
        #[::ic_cdk::query(hidden = true, encode_with = "::canister_kit::codec::query_reply")]
        fn get_membership() -> ::interfaces::security::MembershipStatus {
            $crate::member::status()
        }
    };
}
