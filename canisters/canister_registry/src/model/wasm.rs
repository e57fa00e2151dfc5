//! The stored calendar wasm's metadata (Candid, in its own cell): which slot holds the stored
//! module, and the upload being staged. The chunks themselves are plain bytes.

use candid::{CandidType, Deserialize, Principal};
use interfaces::registry::{WasmInfo, WasmUploadStart};

#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct WasmMeta {
    /// The stored module and the slot its chunks are in.
    pub active: Option<(u8, WasmInfo)>,
    pub staging: Option<Staging>,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Staging {
    pub slot: u8,
    pub start: WasmUploadStart,
    pub started_by: Principal,
    pub started_at_ns: u64,
}
