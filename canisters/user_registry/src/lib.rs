//! User registry: profiles, settings, each user's calendar shard, account deletion.
//!
//! Endpoints are thin: they check the caller, call the plain rules in `accounts.rs` (checks in
//! `validate.rs`) through `state`, and kick the outbox in `jobs.rs` when a call to another
//! canister was queued. Install and upgrade are `lifecycle.rs`. Every method acts on the caller's own account; the anonymous principal
//! gets `AnonymousCaller`.

mod accounts;
mod jobs;
mod layout;
mod lifecycle;
mod memory;
mod model;
mod signup;
mod state;
mod validate;

use std::cell::RefCell;

use candid::{candid_method, Principal};
use canister_health::track;
use ic_cdk::api::{msg_caller, time};
use ic_cdk::{inspect_message, query, update};
use interfaces::user::{
    DeletionStatus, Profile, RegisterRequest, Settings, ShardAssignment, UserAccount,
    UserDataExport, UserRegistryStats,
};
use interfaces::{CanisterKind, Error, HealthReport};
use security_base::guards::require_authenticated;
use security_base::rate_limit::{RateLimitConfig, RateLimiter};

const KIND: CanisterKind = CanisterKind::UserRegistry;

/// Account changes per user: bursts of 20, then 30 a minute.
const USER_RATE: RateLimitConfig = RateLimitConfig {
    capacity: 20,
    refill_per_minute: 30,
};
const MAX_RATE_TRACKED: usize = 10_000;

thread_local! {
    static LIMITER: RefCell<RateLimiter> = RefCell::new(RateLimiter::new(USER_RATE, MAX_RATE_TRACKED));
}

/// The non-anonymous caller of an update, within its rate limit.
fn user_update() -> Result<Principal, Error> {
    let caller = msg_caller();
    require_authenticated(&caller)?;
    LIMITER.with_borrow_mut(|l| l.check(caller, time()))?;
    Ok(caller)
}

fn user_query() -> Result<Principal, Error> {
    let caller = msg_caller();
    require_authenticated(&caller)?;
    Ok(caller)
}

/// Creates the caller's account; registering again answers the existing account unchanged.
/// The user's calendar shard is then asked of the load balancer (see `get_my_shard`). A new
/// account, once its request is valid, takes one sign-up from the budget all new accounts share
/// (`signup.rs`): only accounts get a shard, and only so many a minute.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn register(request: RegisterRequest) -> Result<UserAccount, Error> {
    let result = user_update().and_then(|caller| {
        let now = time();
        if state::read(|a| a.is_new_signup(caller, &request))? {
            signup::admit(now)?;
        }
        state::mutate(|a| a.register(caller, request, now))
    });
    if result.is_ok() {
        jobs::kick();
    }
    track(result)
}

#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_my_account() -> Result<UserAccount, Error> {
    user_query().and_then(|caller| state::read(|a| a.account(caller)))
}

/// Replaces the caller's profile.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn update_profile(profile: Profile) -> Result<UserAccount, Error> {
    track(
        user_update()
            .and_then(|caller| state::mutate(|a| a.update_profile(caller, profile, time()))),
    )
}

/// Replaces the caller's settings.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn update_settings(settings: Settings) -> Result<UserAccount, Error> {
    track(
        user_update()
            .and_then(|caller| state::mutate(|a| a.update_settings(caller, settings, time()))),
    )
}

/// The caller's calendar shard, or why it is not known yet.
#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_my_shard() -> Result<ShardAssignment, Error> {
    user_query().and_then(|caller| state::read(|a| a.shard(caller)))
}

/// Deletes the caller's account: the profile at once, then (retried until each confirms) the
/// caller's data on the load balancer, every calendar shard and the notification canister.
#[candid_method(update)]
#[update(hidden = true, encode_with = "canister_kit::codec::reply")]
fn delete_account() -> Result<DeletionStatus, Error> {
    let result = user_update().and_then(|caller| {
        let holders = jobs::known_holders();
        state::mutate(|a| a.delete_account(caller, holders, time()))
    });
    if result.is_ok() {
        jobs::kick();
    }
    track(result)
}

/// Progress of the caller's account deletion (kept for a day after it completes).
#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_deletion_status() -> Result<DeletionStatus, Error> {
    user_query().and_then(|caller| state::read(|a| a.deletion_status(caller)))
}

/// Everything this canister stores about the caller, as one document.
#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn export_my_data() -> Result<UserDataExport, Error> {
    user_query().map(|caller| state::read(|a| a.export(caller, time())))
}

/// Counts only: nothing here names a user.
#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_user_registry_stats() -> UserRegistryStats {
    state::read(|a| a.stats())
}

// ---- backups: the group's backup canister only (`state::Backup`) -------------------------------

canister_kit::backup_endpoints!(state::Backup);

canister_kit::health_endpoint!(KIND);

canister_kit::group_member_endpoints!();

/// Largest ingress argument any method needs (a full settings record is well under 4 KiB);
/// bigger ones are refused before they cost a full execution.
const MAX_INGRESS_ARG_BYTES: usize = 16 * 1024;

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
    use canister_kit::codec::prepare;
    prepare::<Result<UserAccount, Error>>();
    prepare::<Result<ShardAssignment, Error>>();
    prepare::<Result<DeletionStatus, Error>>();
    prepare::<Result<UserDataExport, Error>>();
    prepare::<UserRegistryStats>();
    prepare::<HealthReport>();
}

canister_kit::committed_did_test!("user_registry.did");
