//! Calls other group members make to the backup canister.
//!
//! The contract (the backup canister implements it in `backup_canister.did`):
//!
//! ```candid
//! // A snapshot of one data canister of the group, now, whatever its data version; answers the
//! // new snapshot's id. Group members only (the load balancer, when a shard turns unhealthy).
//! request_emergency_backup : (blob, principal, CanisterKind) -> (variant { Ok : nat64; Err : Error });
//! ```

use candid::Principal;
use serde_bytes::ByteBuf;

use super::call_unbounded;
use crate::{CanisterKind, Error};

/// Asks for an emergency snapshot of `canister`. Unbounded wait: pulling a snapshot takes
/// several messages, and the caller wants to know whether it was taken.
pub async fn request_emergency_backup(
    backup: Principal,
    key: &[u8],
    canister: Principal,
    kind: CanisterKind,
) -> Result<u64, Error> {
    let (result,): (Result<u64, Error>,) = call_unbounded(
        backup,
        "request_emergency_backup",
        &(ByteBuf::from(key.to_vec()), canister, kind),
    )
    .await?;
    result
}
