//! Wire types specific to the canister registry.

use candid::{CandidType, Deserialize};
use serde::Serialize;

/// Install (or upgrade) settings of the registry; absent fields keep their current value.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryInit {
    /// How long a rotated-out access key stays valid (default 600 s).
    pub key_overlap_seconds: Option<u64>,
    /// First retry delay of a failed delivery or push; doubles per attempt (default 30 s).
    pub retry_delay_seconds: Option<u64>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegistryStats {
    pub groups: u64,
    pub members: u64,
    pub admins: u64,
    /// Key deliveries and snapshot pushes not yet confirmed by their member.
    pub outbox_pending: u64,
    /// Of those, the ones that have failed at least once.
    pub outbox_failing: u64,
    pub last_version: u64,
    pub key_overlap_seconds: u64,
}

/// The calendar wasm the registry stores for spawning new shards: uploaded in chunks by an admin
/// with `ManageWasm`, checked against the SHA-256 announced when the upload started.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WasmUploadStart {
    /// SHA-256 of the whole module, as it will be installed (gzipped or not).
    pub sha256: serde_bytes::ByteBuf,
    pub size: u64,
}

/// The stored module (or, during an upload, what has arrived so far).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WasmInfo {
    pub sha256: serde_bytes::ByteBuf,
    pub size: u64,
    /// Every chunk but the last holds exactly [`WASM_CHUNK_BYTES`].
    pub chunks: u64,
    pub uploaded_at_ns: u64,
    pub uploaded_by: candid::Principal,
}

/// Bytes per chunk of the stored wasm, both ways (well under the 2 MiB message limit).
pub const WASM_CHUNK_BYTES: usize = 1024 * 1024;
/// Largest module the registry stores.
pub const MAX_WASM_BYTES: u64 = 64 * 1024 * 1024;
