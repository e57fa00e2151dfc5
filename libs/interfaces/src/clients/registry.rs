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
