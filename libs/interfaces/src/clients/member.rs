//! Calls the registry and other members make to a group member (every canister but the
//! registry).

use candid::Principal;
use serde_bytes::ByteBuf;

use super::call_bounded;
use crate::security::{GroupPing, GroupSnapshot, SnapshotOutcome};
use crate::Error;

pub async fn receive_group_snapshot(
    member: Principal,
    snapshot: &GroupSnapshot,
) -> Result<SnapshotOutcome, Error> {
    let (result,): (Result<SnapshotOutcome, Error>,) =
        call_bounded(member, "receive_group_snapshot", &(snapshot,)).await?;
    result
}

/// Delivers `key` to the member it was generated for; the only call that carries key bytes from
/// the registry.
pub async fn receive_access_key(
    member: Principal,
    group_id: &str,
    key: &[u8],
) -> Result<(), Error> {
    let (result,): (Result<(), Error>,) = call_bounded(
        member,
        "receive_access_key",
        &(group_id, ByteBuf::from(key.to_vec())),
    )
    .await?;
    result
}

/// An authorized group call: `key` is the calling member's own access key.
pub async fn group_ping(member: Principal, key: &[u8]) -> Result<GroupPing, Error> {
    let (result,): (Result<GroupPing, Error>,) =
        call_bounded(member, "group_ping", &(ByteBuf::from(key.to_vec()),)).await?;
    result
}
