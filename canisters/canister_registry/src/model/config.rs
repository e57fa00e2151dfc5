//! The registry's settings and counters, and the stored layout version: one small record in its
//! own cell, stored Candid (it gained `layout` as an optional field, so what layout 0 wrote
//! still reads).

use candid::{CandidType, Deserialize};

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub last_version: u64,
    pub last_outbox_id: u64,
    /// How long a rotated-out key stays valid.
    pub key_overlap_ns: u64,
    /// First retry delay of a failed outbox item; doubles per attempt up to the registry's
    /// `MAX_RETRY_DELAY_NS`.
    pub retry_delay_ns: u64,
    /// The stored layout version (`layout.rs`); `None` (0) in data written before it was stored.
    pub layout: Option<u32>,
}

pub const DEFAULT_KEY_OVERLAP_NS: u64 = 10 * 60 * 1_000_000_000;
pub const DEFAULT_RETRY_DELAY_NS: u64 = 30 * 1_000_000_000;

impl Default for Config {
    fn default() -> Self {
        Config {
            last_version: 0,
            last_outbox_id: 0,
            key_overlap_ns: DEFAULT_KEY_OVERLAP_NS,
            retry_delay_ns: DEFAULT_RETRY_DELAY_NS,
            layout: None,
        }
    }
}
