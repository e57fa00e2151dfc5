//! The configuration, the id counter, the statistics and the stored layout version: one small
//! record in its own cell, read and written as a whole, stored Candid (a later version may add
//! optional fields and still read what an older one wrote, as `layout` was added).

use candid::{CandidType, Deserialize};
use interfaces::backup::{BackupConfig, CycleReport};

#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub cycles_run: u64,
    pub snapshots_taken: u64,
    pub skipped_unchanged: u64,
    pub failures: u64,
    pub deleted_by_retention: u64,
}

#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    pub config: BackupConfig,
    pub last_id: u64,
    pub counters: Counters,
    pub last_cycle: Option<CycleReport>,
    pub last_alert_error: Option<String>,
    /// Bytes and chunks of complete snapshots held.
    pub stored_bytes: u64,
    pub stored_chunks: u64,
    /// Instructions of the last and the largest chunk-storing message.
    pub last_chunk_instructions: u64,
    pub max_chunk_instructions: u64,
    /// The stored layout version (`layout.rs`); `None` (0) in data written before it was stored.
    pub layout: Option<u32>,
}
