//! User registry: profiles, settings, each user's calendar shard, account deletion.
//!
//! Endpoints are thin: they check the caller, call the plain rules in `accounts.rs` (checks in
//! `validate.rs`) through `state`, and kick the outbox in `outbox.rs` when a call to another
//! canister was queued. Every method acts on the caller's own account; the anonymous principal
//! gets `AnonymousCaller`.

mod accounts;
mod memory;
mod outbox;
mod signup;
mod state;
mod validate;

use std::cell::RefCell;

use candid::Principal;
use canister_health::track;
use ic_cdk::api::{msg_caller, time};
use ic_cdk::{init, inspect_message, post_upgrade, query, update};
use interfaces::security::MemberInit;
use interfaces::snapshot::{ImportProgress, SnapshotManifest};
use interfaces::user::{
    DeletionStatus, Profile, RegisterRequest, Settings, ShardAssignment, UserAccount,
    UserDataExport, UserRegistryStats,
};
use interfaces::{CanisterKind, Error, HealthReport};
use security_base::guards::require_authenticated;
use security_base::rate_limit::{RateLimitConfig, RateLimiter};
use serde_bytes::ByteBuf;

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

#[init]
fn init(args: Option<MemberInit>) {
    on_code_installed(args);
}

#[post_upgrade]
fn post_upgrade(args: Option<MemberInit>) {
    on_code_installed(args);
}

/// The one lifecycle path for install and upgrade. Accounts, the outbox and deletions are in
/// stable structures, so nothing is restored here; timers do not survive an upgrade, so the
/// outbox timer is armed again (and runs at once for what was queued before the upgrade).
fn on_code_installed(args: Option<MemberInit>) {
    canister_health::on_code_installed();
    security_base::member::init(
        KIND,
        memory::membership(),
        args,
        security_base::member::DEFAULT_PULL_INTERVAL,
    );
    outbox::start_timers();
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
#[update]
fn register(request: RegisterRequest) -> Result<UserAccount, Error> {
    let result = user_update().and_then(|caller| {
        let now = time();
        if state::read(|a| a.is_new_signup(caller, &request))? {
            signup::admit(now)?;
        }
        state::mutate(|a| a.register(caller, request, now))
    });
    if result.is_ok() {
        outbox::kick();
    }
    track(result)
}

#[query]
fn get_my_account() -> Result<UserAccount, Error> {
    user_query().and_then(|caller| state::read(|a| a.account(caller)))
}

/// Replaces the caller's profile.
#[update]
fn update_profile(profile: Profile) -> Result<UserAccount, Error> {
    track(
        user_update()
            .and_then(|caller| state::mutate(|a| a.update_profile(caller, profile, time()))),
    )
}

/// Replaces the caller's settings.
#[update]
fn update_settings(settings: Settings) -> Result<UserAccount, Error> {
    track(
        user_update()
            .and_then(|caller| state::mutate(|a| a.update_settings(caller, settings, time()))),
    )
}

/// The caller's calendar shard, or why it is not known yet.
#[query]
fn get_my_shard() -> Result<ShardAssignment, Error> {
    user_query().and_then(|caller| state::read(|a| a.shard(caller)))
}

/// Deletes the caller's account: the profile at once, then (retried until each confirms) the
/// caller's data on the load balancer, every calendar shard and the notification canister.
#[update]
fn delete_account() -> Result<DeletionStatus, Error> {
    let result = user_update().and_then(|caller| {
        let holders = outbox::known_holders();
        state::mutate(|a| a.delete_account(caller, holders, time()))
    });
    if result.is_ok() {
        outbox::kick();
    }
    track(result)
}

/// Progress of the caller's account deletion (kept for a day after it completes).
#[query]
fn get_deletion_status() -> Result<DeletionStatus, Error> {
    user_query().and_then(|caller| state::read(|a| a.deletion_status(caller)))
}

/// Everything this canister stores about the caller, as one document.
#[query]
fn export_my_data() -> Result<UserDataExport, Error> {
    user_query().map(|caller| state::read(|a| a.export(caller, time())))
}

/// Counts only: nothing here names a user.
#[query]
fn get_user_registry_stats() -> UserRegistryStats {
    state::read(|a| a.stats())
}

// ---- backups: the group's backup canister only --------------------------------------------------

/// A group call from the group's backup canister, with its own access key.
fn authorize_backup(key: &[u8]) -> Result<(), Error> {
    let member = security_base::member::authorize_member(msg_caller(), key)?;
    if member.canister_type == CanisterKind::BackupCanister {
        Ok(())
    } else {
        Err(Error::NotGroupMember)
    }
}

/// Moves with every message that changed the data; the backup canister snapshots only when it
/// moved since its last snapshot.
#[query]
fn data_version(key: ByteBuf) -> Result<u64, Error> {
    authorize_backup(&key).map(|()| state::data_version())
}

/// Copies the data into a staging area as one consistent snapshot.
#[update]
fn export_begin(key: ByteBuf) -> Result<SnapshotManifest, Error> {
    track(authorize_backup(&key).map(|()| {
        let version = state::data_version();
        state::snapshots(|snap| snap.export_begin(&memory::data(), version))
    }))
}

#[query]
fn export_chunk(key: ByteBuf, export_id: u64, index: u32) -> Result<ByteBuf, Error> {
    authorize_backup(&key)
        .and_then(|()| state::snapshots(|snap| snap.export_chunk(export_id, index)))
        .map(ByteBuf::from)
}

#[update]
fn import_begin(key: ByteBuf, manifest: SnapshotManifest) -> Result<(), Error> {
    track(
        authorize_backup(&key).and_then(|()| state::snapshots(|snap| snap.import_begin(manifest))),
    )
}

#[update]
fn import_chunk(key: ByteBuf, index: u32, data: ByteBuf) -> Result<ImportProgress, Error> {
    track(
        authorize_backup(&key)
            .and_then(|()| state::snapshots(|snap| snap.import_chunk(index, &data))),
    )
}

/// Verifies the imported snapshot and switches to it in this one message; answers the new data
/// version. The outbox runs for whatever the restored state has queued.
#[update]
fn import_commit(key: ByteBuf) -> Result<u64, Error> {
    let result = authorize_backup(&key)
        .and_then(|()| state::snapshots(|snap| snap.import_commit(&memory::data())))
        .map(|()| state::reopen_after_restore());
    if result.is_ok() {
        outbox::kick();
    }
    track(result)
}

#[query]
fn health_check() -> HealthReport {
    canister_health::report(KIND)
}

security_base::group_member_endpoints!();

/// Largest ingress argument any method needs (a full settings record is well under 4 KiB);
/// bigger ones are refused before they cost a full execution.
const MAX_INGRESS_ARG_BYTES: usize = 16 * 1024;

/// Refuses obviously abusive ingress early. Not the security boundary: every endpoint checks
/// its caller itself and answers a typed error.
#[inspect_message]
fn inspect_message() {
    if ic_cdk::api::msg_arg_data().len() <= MAX_INGRESS_ARG_BYTES {
        ic_cdk::api::accept_message();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid_parser::utils::{service_equal, CandidSource};

    /// The committed `.did` is the contract: it must equal what the code exports.
    #[test]
    fn committed_did_matches_exported_service() {
        candid::export_service!();
        let exported = __export_service();
        let committed = include_str!("../user_registry.did");
        if let Err(err) =
            service_equal(CandidSource::Text(committed), CandidSource::Text(&exported))
        {
            panic!("user_registry.did differs from the exported service: {err}\n\nexported:\n{exported}");
        }
    }
}
