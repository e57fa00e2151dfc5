//! Calls other members of the group make to a calendar shard, and one shard makes to another.

use candid::Principal;
use serde_bytes::ByteBuf;

use super::{call_bounded, call_unbounded};
use crate::calendar::DeletedData;
use crate::Error;

/// Account deletion (the user registry only): the shard removes the user's events and every
/// trace of them in others' events. Unbounded wait: the user registry must know it happened
/// before it marks the step done.
pub async fn delete_user_data(
    shard: Principal,
    key: &[u8],
    user: Principal,
) -> Result<DeletedData, Error> {
    let (result,): (Result<DeletedData, Error>,) = call_unbounded(
        shard,
        "delete_user_data",
        &(ByteBuf::from(key.to_vec()), user),
    )
    .await?;
    result
}

/// Invitations (calendar shards only): delivers attendees' updates to their home shard.
/// Unbounded wait: the organizer's shard must know whether they arrived before it drops them
/// from its outbox; repeating a delivered batch changes nothing (revisions).
pub async fn deliver_invitations(
    shard: Principal,
    key: &[u8],
    messages: &[crate::invitation::InvitationMessage],
) -> Result<u64, Error> {
    let (result,): (Result<u64, Error>,) = call_unbounded(
        shard,
        "deliver_invitations",
        &(ByteBuf::from(key.to_vec()), messages),
    )
    .await?;
    result
}

/// Asks `shard` to forget up to a page of the invitations it holds from the calling shard
/// (restored from a backup, it sends them all again). Unbounded wait: a write.
pub async fn forget_invitations(shard: Principal, key: &[u8]) -> Result<DeletedData, Error> {
    let (result,): (Result<DeletedData, Error>,) =
        call_unbounded(shard, "forget_invitations", &(ByteBuf::from(key.to_vec()),)).await?;
    result
}

/// Has `shard` forget up to 500 of the invitations it holds from `lost`, a shard the backup
/// canister restored into a new one. Unbounded wait: a write.
pub async fn forget_invitations_of(
    shard: Principal,
    key: &[u8],
    lost: Principal,
) -> Result<DeletedData, Error> {
    let args = (ByteBuf::from(key.to_vec()), lost);
    let (result,): (Result<DeletedData, Error>,) =
        call_unbounded(shard, "forget_invitations_of", &args).await?;
    result
}

/// Asks `shard` to queue every invitation of its events again (the calling shard was restored
/// into a canister that held none). Unbounded wait: a write.
pub async fn resend_invitations(shard: Principal, key: &[u8]) -> Result<(), Error> {
    let (result,): (Result<(), Error>,) =
        call_unbounded(shard, "resend_invitations", &(ByteBuf::from(key.to_vec()),)).await?;
    result
}

/// One person's merged busy time on their home shard, as `asker` may see it (`team_free_busy`
/// asks each person's shard from a composite query, with this shard's access key). Bounded
/// wait: a read, and a failure is that person's answer.
pub async fn member_free_busy(
    shard: Principal,
    key: &[u8],
    asker: Principal,
    req: &crate::calendar::FreeBusyRequest,
) -> Result<Vec<crate::calendar::BusyBlock>, Error> {
    let (result,): (Result<Vec<crate::calendar::BusyBlock>, Error>,) = call_bounded(
        shard,
        "member_free_busy",
        &(ByteBuf::from(key.to_vec()), asker, req),
    )
    .await?;
    result
}
