//! The id counters and statistics, stored Candid in their own cell (a record that gains
//! optional fields still reads what an older version wrote, as `layout` was added). They also
//! hold the stored layout version (`layout.rs`), so a backup snapshot carries the version of
//! its data.

use candid::{CandidType, Deserialize};

/// Id counters and statistics. Kept on the heap while a message runs and written back once at
/// its end (`Store::flush`), so firing a thousand reminders encodes this record once.
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub next_seq: u64,
    pub next_notification_id: u64,
    pub next_alert_id: u64,
    pub reminders_fired: u64,
    pub notifications_delivered: u64,
    pub batches: u64,
    pub last_batch_instructions: u64,
    pub last_batch_reminders: u64,
    pub max_batch_instructions: u64,
    pub max_batch_reminders: u64,
    pub skipped_stale: u64,
    pub expired_notifications: u64,
    pub last_sync_instructions: u64,
    pub max_sync_instructions: u64,
    /// The stored layout version (`layout.rs`); `None` (0) in data written before it was stored.
    pub layout: Option<u32>,
}
