//! Stored records: the backup canister's own types, as they sit in stable memory.
//!
//! The wire types of `interfaces::backup` convert to and from these at the boundary, so a change
//! to the Candid interface never changes what is stored. Snapshot records and the per-canister
//! bookkeeping ([`snapshot`], [`canister`]) are read on every chunk and every cycle and stored
//! `Compact` (postcard: the order of fields and variants IS the layout, changed only with a new
//! version in `layout.rs`); the one configuration-and-counters record ([`meta`]) stays Candid in
//! its own cell and carries the layout version.

pub mod canister;
pub mod meta;
pub mod snapshot;

pub use canister::{CanisterRecord, Kind};
pub use meta::Meta;
pub use snapshot::SnapshotRecord;
