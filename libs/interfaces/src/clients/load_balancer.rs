//! Calls the user registry makes to the load balancer (the contract is in
//! [`crate::load_balancer`]).

use candid::Principal;
use serde_bytes::ByteBuf;

use super::{call_bounded, call_unbounded};
use crate::calendar::DeletedData;
use crate::Error;

/// The user's calendar shard. Bounded wait: assignment is sticky, so an "unknown" outcome is
/// simply asked again from the outbox and gets the same shard.
pub async fn assign_user(
    load_balancer: Principal,
    key: &[u8],
    user: Principal,
) -> Result<Principal, Error> {
    let (result,): (Result<Principal, Error>,) = call_bounded(
        load_balancer,
        "assign_user",
        &(ByteBuf::from(key.to_vec()), user),
    )
    .await?;
    result
}

/// Account deletion: the balancer forgets the user's assignment. Unbounded wait: the user
/// registry must know it happened before it marks the step done.
pub async fn delete_user_data(
    load_balancer: Principal,
    key: &[u8],
    user: Principal,
) -> Result<DeletedData, Error> {
    let (result,): (Result<DeletedData, Error>,) = call_unbounded(
        load_balancer,
        "delete_user_data",
        &(ByteBuf::from(key.to_vec()), user),
    )
    .await?;
    result
}

/// After a restore into a fresh shard: every user assigned to `lost` is moved to `restored`, and
/// `lost` gets no new users. Accepted only from the group's backup canister; idempotent (a
/// second call moves nobody). Answers how many users moved.
pub async fn replace_shard(
    load_balancer: Principal,
    key: &[u8],
    lost: Principal,
    restored: Principal,
) -> Result<u64, Error> {
    let (result,): (Result<u64, Error>,) = call_unbounded(
        load_balancer,
        "replace_shard",
        &(ByteBuf::from(key.to_vec()), lost, restored),
    )
    .await?;
    result
}

/// The directory (calendar shards only): each user's home shard, `None` for a user the balancer
/// never assigned. Bounded wait: a read, asked again on failure.
pub async fn lookup_shards(
    load_balancer: Principal,
    key: &[u8],
    users: &[Principal],
) -> Result<crate::load_balancer::ShardLookup, Error> {
    let (result,): (Result<crate::load_balancer::ShardLookup, Error>,) = call_bounded(
        load_balancer,
        "lookup_shards",
        &(ByteBuf::from(key.to_vec()), users),
    )
    .await?;
    result
}
