//! Stored records: the notification canister's own types, as they sit in stable memory.
//!
//! Two encodings, by how a record is used (`layout.rs` says which layout version wrote what):
//! - the records the firing path reads and writes for every reminder (the event records and the
//!   due queue in [`reminder`], inbox entries in [`inbox`], schedules in [`schedule`]) use the
//!   hand-written binary layout of `codec.rs`, measured cheaper than Candid and kept from the
//!   release that introduced it (each record starts with its layout byte, [`LAYOUT_V1`]);
//! - operator alerts ([`alert`]) are stored `Compact` (postcard), the counters ([`counters`])
//!   Candid in their own cell.

pub mod alert;
pub mod counters;
pub mod inbox;
pub mod reminder;
pub mod schedule;

pub use alert::AlertRecord;
pub use counters::Counters;
pub use inbox::StoredNotification;
pub use reminder::{ActivePlan, AttendeePlan, DueReminder, EventRecord, EventState, Fired, Queued};
pub use schedule::StoredSchedule;

use candid::Principal;

/// `(shard, event id)`: an event, as stored and as a stable-map key.
pub type EventKey = (Principal, u64);

/// The layout byte every `codec.rs` record starts with.
const LAYOUT_V1: u8 = 1;

#[cfg(test)]
pub(crate) mod tests_support {
    /// Bytes from hex (the recorded layouts in the records' tests).
    pub fn unhex(hex: &str) -> Vec<u8> {
        let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }
}
