//! Calls other members of the group make to the notification canister. Each carries the
//! caller's own access key; the notification canister checks it against its cached group.

use candid::Principal;
use serde_bytes::ByteBuf;

use super::{call_bounded, call_unbounded};
use crate::calendar::DeletedData;
use crate::notification::{AlertInput, ReminderUpdate, ShardReminderReset};
use crate::Error;

/// A calendar shard's reminder changes (at most
/// [`crate::notification::MAX_UPDATES_PER_SYNC`]). Unbounded wait: the shard must learn
/// whether the updates were applied before it drops them from its outbox.
pub async fn sync_reminders(
    notification: Principal,
    key: &[u8],
    updates: &[ReminderUpdate],
) -> Result<(), Error> {
    let (result,): (Result<(), Error>,) = call_unbounded(
        notification,
        "sync_reminders",
        &(ByteBuf::from(key.to_vec()), updates),
    )
    .await?;
    result
}

/// Drops every reminder plan of `shard` (a batch per call; `done` says when none is left):
/// a calendar shard for itself after a restore, or the backup canister for a shard it replaced.
/// Unbounded wait: the caller sends its plans again only after the reset.
pub async fn forget_shard_reminders(
    notification: Principal,
    key: &[u8],
    shard: Principal,
) -> Result<ShardReminderReset, Error> {
    let (result,): (Result<ShardReminderReset, Error>,) = call_unbounded(
        notification,
        "forget_shard_reminders",
        &(ByteBuf::from(key.to_vec()), shard),
    )
    .await?;
    result
}

/// Account deletion (the user registry only): removes the user's inbox and every reminder
/// addressed to them. Unbounded wait, for the same reason as [`sync_reminders`].
pub async fn delete_user_data(
    notification: Principal,
    key: &[u8],
    user: Principal,
) -> Result<DeletedData, Error> {
    let (result,): (Result<DeletedData, Error>,) = call_unbounded(
        notification,
        "delete_user_data",
        &(ByteBuf::from(key.to_vec()), user),
    )
    .await?;
    result
}

/// An operator alert (the load balancer and the backup canister). Bounded wait: alerts are
/// best effort, and the same condition is raised again on the caller's next check. Returns
/// the id of the open alert it was counted into.
pub async fn raise_alert(
    notification: Principal,
    key: &[u8],
    alert: &AlertInput,
) -> Result<u64, Error> {
    let (result,): (Result<u64, Error>,) = call_bounded(
        notification,
        "raise_alert",
        &(ByteBuf::from(key.to_vec()), alert),
    )
    .await?;
    result
}
