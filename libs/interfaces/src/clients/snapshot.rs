//! Calls the backup canister makes to a data canister (calendar shard, notification,
//! user_registry): the snapshot protocol of [`crate::snapshot`]. Each carries the backup
//! canister's own access key.

use candid::Principal;
use serde_bytes::ByteBuf;

use super::{call_bounded, call_unbounded};
use crate::snapshot::{ImportProgress, SnapshotManifest};
use crate::Error;

/// The source's data version. Bounded wait: a check that gets no answer is simply made again on
/// the next timer run.
pub async fn data_version(target: Principal, key: &[u8]) -> Result<u64, Error> {
    let (result,): (Result<u64, Error>,) =
        call_bounded(target, "data_version", &(ByteBuf::from(key.to_vec()),)).await?;
    result
}

/// Stages a consistent snapshot. Unbounded wait: the staged export must be known to exist (and
/// by which id) before chunks are asked for.
pub async fn export_begin(target: Principal, key: &[u8]) -> Result<SnapshotManifest, Error> {
    let (result,): (Result<SnapshotManifest, Error>,) =
        call_unbounded(target, "export_begin", &(ByteBuf::from(key.to_vec()),)).await?;
    result
}

/// One chunk of a staged export. Bounded wait: reading a chunk changes nothing, so a lost
/// answer is retried by taking the snapshot again.
pub async fn export_chunk(
    target: Principal,
    key: &[u8],
    export_id: u64,
    index: u32,
) -> Result<Vec<u8>, Error> {
    let (result,): (Result<ByteBuf, Error>,) = call_bounded(
        target,
        "export_chunk",
        &(ByteBuf::from(key.to_vec()), export_id, index),
    )
    .await?;
    result.map(ByteBuf::into_vec)
}

/// Starts (or restarts) an import. Unbounded wait, like every step of a restore: the backup
/// canister must know what the target holds.
pub async fn import_begin(
    target: Principal,
    key: &[u8],
    manifest: &SnapshotManifest,
) -> Result<(), Error> {
    let (result,): (Result<(), Error>,) = call_unbounded(
        target,
        "import_begin",
        &(ByteBuf::from(key.to_vec()), manifest),
    )
    .await?;
    result
}

pub async fn import_chunk(
    target: Principal,
    key: &[u8],
    index: u32,
    data: Vec<u8>,
) -> Result<ImportProgress, Error> {
    let (result,): (Result<ImportProgress, Error>,) = call_unbounded(
        target,
        "import_chunk",
        &(ByteBuf::from(key.to_vec()), index, ByteBuf::from(data)),
    )
    .await?;
    result
}

/// Verifies and switches the target to the imported snapshot; answers its new data version.
pub async fn import_commit(target: Principal, key: &[u8]) -> Result<u64, Error> {
    let (result,): (Result<u64, Error>,) =
        call_unbounded(target, "import_commit", &(ByteBuf::from(key.to_vec()),)).await?;
    result
}
