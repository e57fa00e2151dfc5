//! Calls members make to the canister registry.

use candid::Principal;
use serde_bytes::ByteBuf;

use super::{call_bounded, call_unbounded};
use crate::registry::WasmInfo;
use crate::security::{GroupInfo, GroupSnapshot};
use crate::{CanisterKind, Error};

/// The snapshot of the caller's group (the pull half of membership sync).
pub async fn get_group_snapshot(registry: Principal) -> Result<GroupSnapshot, Error> {
    let (result,): (Result<GroupSnapshot, Error>,) =
        call_bounded(registry, "get_group_snapshot", &()).await?;
    result
}

/// The stored calendar wasm's hash and size (absent until an admin uploaded one).
pub async fn get_wasm_info(registry: Principal) -> Result<Option<WasmInfo>, Error> {
    let (info,): (Option<WasmInfo>,) = call_bounded(registry, "get_wasm_info", &()).await?;
    Ok(info)
}

/// Chunk `index` of the stored calendar wasm; `key` is the calling member's own access key.
pub async fn get_wasm_chunk(registry: Principal, key: &[u8], index: u64) -> Result<Vec<u8>, Error> {
    let (result,): (Result<ByteBuf, Error>,) = call_bounded(
        registry,
        "get_wasm_chunk",
        &(ByteBuf::from(key.to_vec()), index),
    )
    .await?;
    result.map(ByteBuf::into_vec)
}

/// Adds `canister` to `group_id` (the caller must be a registry admin with `ManageGroups`).
/// Unbounded wait: the caller must learn whether the member was added.
pub async fn add_canister_to_group(
    registry: Principal,
    group_id: &str,
    canister: Principal,
    kind: CanisterKind,
) -> Result<GroupInfo, Error> {
    let (result,): (Result<GroupInfo, Error>,) = call_unbounded(
        registry,
        "add_canister_to_group",
        &(group_id, canister, kind, None::<String>),
    )
    .await?;
    result
}

/// Removes `canister` from `group_id` (the caller must be a registry admin with
/// `ManageGroups`): its key stops opening the group's doors. Unbounded wait, as for adding.
pub async fn remove_canister_from_group(
    registry: Principal,
    group_id: &str,
    canister: Principal,
) -> Result<GroupInfo, Error> {
    let (result,): (Result<GroupInfo, Error>,) = call_unbounded(
        registry,
        "remove_canister_from_group",
        &(group_id, canister),
    )
    .await?;
    result
}
