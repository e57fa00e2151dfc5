//! Notification canister: reminders fired by timers into per-user inboxes, and operator alerts.
//!
//! Endpoints stay thin: they check the caller, call the plain rules in `schedule.rs`,
//! `inbox.rs` and `alerts.rs` through `state`, and (when the due queue changed) arm the firing
//! timer in `jobs.rs`. Install and upgrade are `lifecycle.rs`.
//!
//! Who may call what:
//! - `sync_reminders`: group members of kind calendar, each for its own events only;
//! - `delete_user_data`: group members of kind user_registry (account deletion);
//! - `raise_alert`: group members of kind load_balancer or backup_canister;
//! - `list_alerts`, `acknowledge_alert`: controllers of this canister, or registry admins
//!   holding `ManageGroups` (the operators who run the suite's groups);
//! - the inbox methods: any non-anonymous user, for their own inbox only;
//! - `data_version` and the snapshot methods (`export_*`, `import_*`): the group's backup
//!   canister only.

mod alerts;
mod codec;
mod inbox;
mod jobs;
mod layout;
mod lifecycle;
mod memory;
mod model;
mod schedule;
mod state;
mod store;

use std::cell::RefCell;

use candid::{candid_method, Principal};
use canister_health::track;
use ic_cdk::api::{msg_caller, time};
use ic_cdk::{inspect_message, query, update};
use interfaces::calendar::{DeletedData, MAX_DELETIONS_PER_CALL};
use interfaces::notification::{
    Alert, AlertInput, AlertPage, AlertQuery, NotificationPage, NotificationQuery,
    NotificationStats, ReminderUpdate, ShardReminderReset, MAX_EVENTS_FORGOTTEN_PER_CALL,
};
use interfaces::{CanisterKind, Error, HealthReport, Permission};
use security_base::guards::require_authenticated;
use security_base::rate_limit::{RateLimitConfig, RateLimiter};
use serde_bytes::ByteBuf;

const KIND: CanisterKind = CanisterKind::Notification;

/// Who may read and acknowledge operator alerts besides controllers.
const ALERT_PERMISSION: Permission = Permission::ManageGroups;

/// Inbox updates per user: bursts of 60, then 120 a minute.
const USER_RATE: RateLimitConfig = RateLimitConfig {
    capacity: 60,
    refill_per_minute: 120,
};
const MAX_RATE_TRACKED: usize = 10_000;

thread_local! {
    static USER_LIMITER: RefCell<RateLimiter> =
        RefCell::new(RateLimiter::new(USER_RATE, MAX_RATE_TRACKED));
}

/// A group call from a member of one of `kinds`, with its own access key.
fn authorize(caller: Principal, key: &[u8], kinds: &[CanisterKind]) -> Result<(), Error> {
    canister_kit::auth::require_member_of(caller, key, kinds).map(|_| ())
}

/// A non-anonymous user within their rate limit.
fn user_update() -> Result<Principal, Error> {
    let caller = msg_caller();
    require_authenticated(&caller)?;
    USER_LIMITER.with_borrow_mut(|l| l.check(caller, time()))?;
    Ok(caller)
}

// ---- calendar shards ---------------------------------------------------------------------------

/// A calendar shard schedules, moves or cancels its events' reminders. Updates older than what
/// is held are ignored (the shard's outbox may repeat or deliver late).
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn sync_reminders(key: ByteBuf, updates: Vec<ReminderUpdate>) -> Result<(), Error> {
    let caller = msg_caller();
    let result = authorize(caller, &key, &[CanisterKind::Calendar])
        .and_then(|_| state::mutate(|s| s.sync(caller, updates, time())));
    if result.is_ok() {
        state::mutate(|s| s.record_sync(ic_cdk::api::performance_counter(0)));
        jobs::arm();
    }
    track(result.map(|_| ()))
}

/// After a restore: a calendar shard drops its own plans before it sends them all again, and
/// the backup canister drops those of a shard it replaced with a new one. A batch per call.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn forget_shard_reminders(key: ByteBuf, shard: Principal) -> Result<ShardReminderReset, Error> {
    let caller = msg_caller();
    let allowed = authorize(
        caller,
        &key,
        &[CanisterKind::Calendar, CanisterKind::BackupCanister],
    )
    .and_then(|_| {
        let is_backup =
            canister_kit::member::members_of_kind(CanisterKind::BackupCanister).contains(&caller);
        if shard == caller || is_backup {
            Ok(())
        } else {
            Err(Error::Forbidden {
                reason: "a shard may only forget its own reminders".into(),
            })
        }
    });
    track(allowed.map(|()| {
        let (removed, done) =
            state::mutate(|s| s.forget_shard(shard, MAX_EVENTS_FORGOTTEN_PER_CALL));
        ShardReminderReset { removed, done }
    }))
}

/// Account deletion, from the user registry: the user's inbox and every reminder addressed to
/// them. Deleting again finds nothing and answers `items = 0`.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn delete_user_data(key: ByteBuf, user: Principal) -> Result<DeletedData, Error> {
    let caller = msg_caller();
    track(
        authorize(caller, &key, &[CanisterKind::UserRegistry])
            .map(|_| state::mutate(|s| s.delete_user(user, MAX_DELETIONS_PER_CALL, time()))),
    )
}

// ---- inboxes -----------------------------------------------------------------------------------

/// The caller's notifications, newest first.
#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn get_notifications(query: NotificationQuery) -> Result<NotificationPage, Error> {
    let caller = msg_caller();
    require_authenticated(&caller)?;
    state::read(|s| s.notifications(caller, &query))
}

#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn unread_count() -> Result<u64, Error> {
    let caller = msg_caller();
    require_authenticated(&caller)?;
    Ok(state::read(|s| s.unread_count(caller)))
}

/// Marks the caller's notifications read; returns how many were unread.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn mark_read(ids: Vec<u64>) -> Result<u64, Error> {
    track(user_update().and_then(|caller| state::mutate(|s| s.mark_read(caller, &ids))))
}

#[candid_method(update)]
#[update(hidden = true, encode_with = "canister_kit::codec::reply")]
fn mark_all_read() -> Result<u64, Error> {
    track(user_update().map(|caller| state::mutate(|s| s.mark_all_read(caller))))
}

/// Counts only (nothing here names a user): the queue, the inboxes and what firing cost.
#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_notification_stats() -> NotificationStats {
    state::read(|s| s.stats())
}

// ---- operator alerts ---------------------------------------------------------------------------

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn raise_alert(key: ByteBuf, alert: AlertInput) -> Result<u64, Error> {
    let caller = msg_caller();
    track(
        authorize(
            caller,
            &key,
            &[CanisterKind::LoadBalancer, CanisterKind::BackupCanister],
        )
        .and_then(|_| state::mutate(|s| s.raise_alert(caller, alert, time()))),
    )
}

#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn list_alerts(query: AlertQuery) -> Result<AlertPage, Error> {
    canister_kit::member::require_admin(msg_caller(), ALERT_PERMISSION)?;
    state::read(|s| s.list_alerts(&query))
}

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn acknowledge_alert(id: u64) -> Result<Alert, Error> {
    let caller = msg_caller();
    track(
        canister_kit::member::require_admin(caller, ALERT_PERMISSION)
            .and_then(|_| state::mutate(|s| s.acknowledge_alert(id, caller, time()))),
    )
}

// ---- backups: the group's backup canister only (`state::Backup`) -------------------------------

canister_kit::backup_endpoints!(state::Backup);

canister_kit::health_endpoint!(KIND);

canister_kit::group_member_endpoints!();

/// Largest ingress argument any user or admin method needs; bigger ones are refused before
/// they cost a full execution.
const MAX_INGRESS_ARG_BYTES: usize = 16 * 1024;

/// Refuses obviously abusive ingress early. Not the security boundary: every endpoint checks
/// its caller itself and answers a typed error. Group calls are inter-canister and never pass
/// through here on the IC; a large `sync_reminders` arriving as ingress is let through only
/// from a calendar shard's principal (the test runtime and tools acting as the shard).
#[inspect_message]
fn inspect_message() {
    let shard_sync = ic_cdk::api::msg_method_name() == "sync_reminders"
        && canister_kit::member::members_of_kind(CanisterKind::Calendar).contains(&msg_caller());
    if shard_sync {
        ic_cdk::api::accept_message();
    } else {
        canister_kit::endpoints::accept_ingress_up_to(MAX_INGRESS_ARG_BYTES);
    }
}

/// Builds what the Candid codec needs for this file's queries (`canister_kit::codec::prepare`),
/// called at install and upgrade: a query cannot keep what it builds, so anything first built
/// in one would be built again in each. Update calls keep what their first call builds.
fn prepare_codec() {
    use canister_kit::codec::{prepare, prepare_args};
    prepare::<Result<NotificationPage, Error>>();
    prepare::<Result<u64, Error>>();
    prepare::<NotificationStats>();
    prepare::<Result<AlertPage, Error>>();
    prepare::<HealthReport>();
    prepare_args::<(NotificationQuery,)>();
    prepare_args::<(AlertQuery,)>();
}

canister_kit::committed_did_test!("notification.did");
