//! Stored records: the registry's own types, as they sit in stable memory (all Candid;
//! `layout.rs` says why). The wire types of `interfaces::security` and `interfaces::registry`
//! are built from these at the boundary; none of them is stored.

pub mod config;
pub mod group;
pub mod outbox;
pub mod wasm;

pub use config::Config;
pub use group::{GroupRecord, MemberRecord};
pub use outbox::{OutboxItem, Work};
pub use wasm::{Staging, StoredWasm, WasmMeta};
