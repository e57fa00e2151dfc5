//! Wire types of the backup protocol every data canister (calendar shards, notification,
//! user_registry) offers its group's backup canister: `export_begin` / `export_chunk` to pull
//! a consistent snapshot in chunks, `import_begin` / `import_chunk` / `import_commit` to restore
//! one atomically.

use candid::{CandidType, Deserialize};
use serde::Serialize;

/// One consistent snapshot of a canister's data, as its source describes it.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SnapshotManifest {
    /// Names this export; chunk requests for an older export are refused.
    pub export_id: u64,
    /// The source's data version at the snapshot (see `CalendarMetrics::data_version`).
    pub data_version: u64,
    pub total_bytes: u64,
    /// Every chunk but the last is exactly this long.
    pub chunk_bytes: u32,
    pub chunk_count: u32,
    /// SHA-256 over the whole stream.
    #[serde(with = "serde_bytes")]
    pub sha256: Vec<u8>,
}

/// Where an import stands.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ImportProgress {
    pub manifest: SnapshotManifest,
    pub chunks_received: u32,
}
