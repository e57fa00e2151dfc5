//! Load balancer: sticky user-to-shard directory, shard health checks on a timer, failover and
//! scale-out.
//!
//! The balancer is a directory, not a proxy: a user (or the user registry on their behalf) asks
//! once which calendar shard is theirs and then calls that shard directly. Shards are the
//! group's `calendar` members. Endpoints stay thin: they check the caller and call the plain
//! rules in `balancer.rs` (strategies in `strategy.rs`, health rules in `health.rs`, stored
//! records in `model.rs`) through `state`; the health round and creating shards are `jobs/`,
//! install and upgrade `lifecycle.rs`.
//!
//! Who may call what:
//! - `assign_me`: any non-anonymous user, for themself (answers the assignment the user registry
//!   asked for at sign-up; it never assigns); `get_shard_for`: the user themself,
//!   controllers, or registry admins with `ManageGroups`;
//! - `assign_user`, `delete_user_data`: the group's user registry, with its own key;
//! - `replace_shard`: the group's backup canister, with its own key;
//! - `lookup_shards`: the group's calendar shards, with their own key (invitations find each
//!   attendee's home shard);
//! - `set_config`, `set_shard_capacity`: controllers or registry admins with `ManageGroups`;
//! - `get_config`, `get_load_balancer_stats`, `health_check`: anyone (no user is named there).

mod balancer;
mod health;
mod jobs;
mod layout;
mod lifecycle;
mod memory;
mod model;
mod scale_out_guard;
mod state;
mod strategy;

use candid::{candid_method, Principal};
use canister_health::track;
use ic_cdk::api::msg_caller;
use ic_cdk::{inspect_message, query, update};
use interfaces::calendar::DeletedData;
use interfaces::load_balancer::{
    BalancerConfig, BalancerConfigUpdate, LoadBalancerStats, ShardLookup, ShardStats,
};
use interfaces::{CanisterKind, Error, HealthReport, Permission};
use security_base::guards::require_authenticated;
use serde_bytes::ByteBuf;

const KIND: CanisterKind = CanisterKind::LoadBalancer;
/// Operators of the suite's groups configure the balancer.
const OPERATOR: Permission = Permission::ManageGroups;
/// Users one `lookup_shards` call may name.
const MAX_LOOKUPS: usize = 500;

/// A group member of one of `kinds` presenting its own key.
fn require_member(key: &[u8], kinds: &[CanisterKind]) -> Result<(), Error> {
    canister_kit::auth::require_member_of(msg_caller(), key, kinds).map(|_| ())
}

/// Assigns `user` (sticky), seeding the generator first if weighted random needs it and
/// `raw_rand` has not answered yet; asks for a new shard when every shard is full.
async fn assign(user: Principal) -> Result<Principal, Error> {
    let unseeded = state::read(|b| {
        b.config().strategy == model::Strategy::WeightedRandom && b.stored().rng.is_none()
    });
    if unseeded && state::read(|b| b.shard_for(&user)).is_none() {
        // Nothing is reserved before this await; the assignment below checks again.
        jobs::health_round::reseed().await?;
    }
    let shards = state::group_shards();
    let result = state::mutate(|b| b.assign(user, &shards));
    if state::read(|b| b.scale_out_now(&shards)) {
        jobs::scale_out::kick();
    }
    result
}

/// The caller's calendar shard. Only a user with an account has one: the user registry asks for
/// it (`assign_user`) when it creates the profile, so a principal that never registered gets
/// `NotFound` here and costs the balancer nothing (no slot, no scale-out).
#[candid_method(update)]
#[update(hidden = true, encode_with = "canister_kit::codec::reply")]
fn assign_me() -> Result<Principal, Error> {
    let caller = msg_caller();
    track(require_authenticated(&caller).and_then(|()| {
        state::read(|b| b.shard_for(&caller)).ok_or_else(|| {
            Error::not_found(format!(
                "a shard assignment for {caller} (create your profile with the user registry's \
                 `register` first)"
            ))
        })
    }))
}

/// `user`'s shard if one was assigned (`NotFound` otherwise: call `assign_me`).
#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn get_shard_for(user: Principal) -> Result<Principal, Error> {
    let caller = msg_caller();
    require_authenticated(&caller)?;
    if caller != user {
        canister_kit::member::require_admin(caller, OPERATOR)?;
    }
    state::read(|b| b.shard_for(&user))
        .ok_or_else(|| Error::not_found(format!("a shard assignment for {user}")))
}

/// The user registry asks for a user's shard (sticky, so a retry gets the same one).
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
async fn assign_user(key: ByteBuf, user: Principal) -> Result<Principal, Error> {
    let result = match require_member(&key, &[CanisterKind::UserRegistry]) {
        Ok(()) => assign(user).await,
        Err(e) => Err(e),
    };
    track(result)
}

/// Account deletion: forget the user's assignment (a repeat deletes nothing).
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn delete_user_data(key: ByteBuf, user: Principal) -> Result<DeletedData, Error> {
    track(
        require_member(&key, &[CanisterKind::UserRegistry]).map(|()| DeletedData {
            done: true,
            items: state::mutate(|b| b.delete_user(&user)),
        }),
    )
}

/// After a restore into a fresh shard: move `lost`'s users to `restored`; `lost` takes no new
/// users. Answers how many moved (a repeat moves nobody).
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn replace_shard(key: ByteBuf, lost: Principal, restored: Principal) -> Result<u64, Error> {
    track(
        require_member(&key, &[CanisterKind::BackupCanister]).and_then(|()| {
            let shards = state::group_shards();
            state::mutate(|b| b.replace_shard(lost, restored, &shards))
        }),
    )
}

/// The directory for calendar shards delivering invitations: each user's home shard, `None`
/// for a user never assigned. At most [`MAX_LOOKUPS`] users per call. A query: it changes
/// nothing (shards call it as an update, which is how inter-canister calls run).
#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_args",
    encode_with = "canister_kit::codec::query_reply"
)]
fn lookup_shards(key: ByteBuf, users: Vec<Principal>) -> Result<ShardLookup, Error> {
    require_member(&key, &[CanisterKind::Calendar])?;
    if users.len() > MAX_LOOKUPS {
        return Err(Error::invalid(
            "users",
            interfaces::InputProblem::TooMany {
                max: MAX_LOOKUPS as u64,
                actual: users.len() as u64,
            },
        ));
    }
    Ok(state::read(|b| {
        users.iter().map(|u| (*u, b.shard_for(u))).collect()
    }))
}

#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_config() -> BalancerConfig {
    state::read(|b| b.config().clone().into())
}

/// Changes the configuration (all or nothing); a new interval re-arms the health timer.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn set_config(update: BalancerConfigUpdate) -> Result<BalancerConfig, Error> {
    let interval_changes = update.health_check_interval_seconds.is_some();
    let result = canister_kit::member::require_admin(msg_caller(), OPERATOR)
        .and_then(|()| state::mutate(|b| b.set_config(update)).map(Into::into));
    if result.is_ok() && interval_changes {
        jobs::health_round::arm();
    }
    track(result)
}

/// Sets one shard's capacity (its weight for weighted random).
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn set_shard_capacity(shard: Principal, capacity: u64) -> Result<ShardStats, Error> {
    track(
        canister_kit::member::require_admin(msg_caller(), OPERATOR)
            .and_then(|()| state::mutate(|b| b.set_shard_capacity(shard, capacity))),
    )
}

/// Per shard: users, capacity, health, latency, failures, owed calls; the strategy and the
/// scale-out in progress. Counts only: no user is named.
#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_load_balancer_stats() -> LoadBalancerStats {
    let shards = state::group_shards();
    state::read(|b| b.stats(&shards, ic_cdk::api::time()))
}

canister_kit::health_endpoint!(KIND);

canister_kit::group_member_endpoints!();

/// Largest ingress argument any method needs (a full config update is well under 1 KiB).
const MAX_INGRESS_ARG_BYTES: usize = 4 * 1024;

/// Refuses obviously abusive ingress early. Not the security boundary: every endpoint checks
/// its caller itself and answers a typed error.
#[inspect_message]
fn inspect_message() {
    canister_kit::endpoints::accept_ingress_up_to(MAX_INGRESS_ARG_BYTES);
}

/// Builds what the Candid codec needs for this file's queries (`canister_kit::codec::prepare`),
/// called at install and upgrade: a query cannot keep what it builds, so anything first built
/// in one would be built again in each. Update calls keep what their first call builds.
fn prepare_codec() {
    use canister_kit::codec::{prepare, prepare_args};
    prepare::<Result<Principal, Error>>();
    prepare::<BalancerConfig>();
    prepare::<LoadBalancerStats>();
    prepare::<HealthReport>();
    prepare_args::<(Principal,)>();
}

canister_kit::committed_did_test!("load_balancer.did");
