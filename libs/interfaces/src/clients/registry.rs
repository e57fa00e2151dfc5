//! Calls members make to the canister registry.

use candid::Principal;

use super::call_bounded;
use crate::security::GroupSnapshot;
use crate::Error;

/// The snapshot of the caller's group (the pull half of membership sync).
pub async fn get_group_snapshot(registry: Principal) -> Result<GroupSnapshot, Error> {
    let (result,): (Result<GroupSnapshot, Error>,) =
        call_bounded(registry, "get_group_snapshot", &()).await?;
    result
}

/// Adds `principal` to `group_id` as `kind` (an admin holding `ManageGroups`: the backup
/// canister when it restores into a fresh shard). Unbounded wait: the caller goes on only once
/// the member is recorded, and the registry has pushed it its snapshot and key by then.
pub async fn add_canister_to_group(
    registry: Principal,
    group_id: &str,
    principal: Principal,
    kind: crate::CanisterKind,
) -> Result<crate::security::GroupInfo, Error> {
    let (result,): (Result<crate::security::GroupInfo, Error>,) = super::call_unbounded(
        registry,
        "add_canister_to_group",
        &(group_id, principal, kind, None::<String>),
    )
    .await?;
    result
}
