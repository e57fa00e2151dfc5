//! The stored calendar wasm's metadata (Candid, in its own cell): which slot holds the stored
//! module, and the upload being staged. The chunks themselves are plain bytes.
//!
//! [`StoredWasm`] and [`StoredUpload`] have the Candid shape of the wire `WasmInfo` and
//! `WasmUploadStart` they replaced (same field names and types), so the metadata layout 1 wrote
//! reads as it is.

use candid::{CandidType, Deserialize, Principal};
use interfaces::registry::{WasmInfo, WasmUploadStart};
use serde_bytes::ByteBuf;

#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct WasmMeta {
    /// The stored module and the slot its chunks are in.
    pub active: Option<(u8, StoredWasm)>,
    pub staging: Option<Staging>,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Staging {
    pub slot: u8,
    pub start: StoredUpload,
    pub started_by: Principal,
    pub started_at_ns: u64,
}

/// What an upload announced: the SHA-256 and size of the whole module.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StoredUpload {
    pub sha256: ByteBuf,
    pub size: u64,
}

/// The stored module.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StoredWasm {
    pub sha256: ByteBuf,
    pub size: u64,
    pub chunks: u64,
    pub uploaded_at_ns: u64,
    pub uploaded_by: Principal,
}

impl From<WasmUploadStart> for StoredUpload {
    fn from(s: WasmUploadStart) -> Self {
        StoredUpload {
            sha256: s.sha256,
            size: s.size,
        }
    }
}

impl From<StoredWasm> for WasmInfo {
    fn from(w: StoredWasm) -> Self {
        WasmInfo {
            sha256: w.sha256,
            size: w.size,
            chunks: w.chunks,
            uploaded_at_ns: w.uploaded_at_ns,
            uploaded_by: w.uploaded_by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::{decode_one, encode_one};

    /// The cell as layout 1 wrote it, with the wire types inside.
    #[derive(CandidType, Deserialize)]
    struct WireMeta {
        active: Option<(u8, WasmInfo)>,
        staging: Option<WireStaging>,
    }

    #[derive(CandidType, Deserialize)]
    struct WireStaging {
        slot: u8,
        start: WasmUploadStart,
        started_by: Principal,
        started_at_ns: u64,
    }

    #[test]
    fn the_metadata_written_with_the_wire_types_reads_as_it_was() {
        let by = Principal::from_slice(&[7; 29]);
        let info = WasmInfo {
            sha256: ByteBuf::from(vec![1; 32]),
            size: 3_000_000,
            chunks: 3,
            uploaded_at_ns: 11,
            uploaded_by: by,
        };
        let start = WasmUploadStart {
            sha256: ByteBuf::from(vec![2; 32]),
            size: 5,
        };
        let old = WireMeta {
            active: Some((1, info.clone())),
            staging: Some(WireStaging {
                slot: 0,
                start: start.clone(),
                started_by: by,
                started_at_ns: 12,
            }),
        };
        let bytes = encode_one(&old).unwrap();
        let meta: WasmMeta = decode_one(&bytes).unwrap();
        let (slot, stored) = meta.active.clone().unwrap();
        assert_eq!((slot, WasmInfo::from(stored)), (1, info));
        let staging = meta.staging.clone().unwrap();
        assert_eq!(staging.start, StoredUpload::from(start));
        assert_eq!(
            (staging.slot, staging.started_by, staging.started_at_ns),
            (0, by, 12)
        );
        assert_eq!(encode_one(&meta).unwrap(), bytes, "the same bytes back");
    }
}
