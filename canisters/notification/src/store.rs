//! The notification canister's state: every collection as a stable structure (the records
//! stored in them are in `model/`). The rules over this state are in `schedule.rs`
//! (reminders), `inbox.rs` (users' notifications) and `alerts.rs` (operator alerts), each an
//! `impl` block on [`Store`].
//!
//! Nothing here makes calls or reads the clock: time and the caller come in as arguments, so the
//! rules are unit-tested natively over in-memory stable structures.

use candid::Principal;
use canister_kit::stored::{Candid, Compact};
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use interfaces::notification::{EventRef, NotificationStats};

use crate::memory;
use crate::model::{
    AlertRecord, Counters, DueReminder, EventRecord, StoredNotification, StoredSchedule,
};

pub const NS_PER_SECOND: u64 = 1_000_000_000;
pub const NS_PER_MINUTE: u64 = 60 * NS_PER_SECOND;
pub const NS_PER_DAY: u64 = 24 * 60 * NS_PER_MINUTE;

/// `(shard, event id)`: an [`EventRef`] as a stable-map key.
pub use crate::model::EventKey;

pub fn event_key(event: &EventRef) -> EventKey {
    (event.shard, event.event_id)
}

pub fn event_ref(key: EventKey) -> EventRef {
    EventRef {
        shard: key.0,
        event_id: key.1,
    }
}

/// The smallest and the largest principal in `Principal`'s order (length first, then bytes),
/// to bound ranges over keys that start with a user.
pub const MIN_PRINCIPAL: Principal = Principal::management_canister();
pub const MAX_PRINCIPAL: Principal = Principal::from_slice(&[0xff; 29]);

pub struct Store<M: Memory> {
    counters_cell: StableCell<Candid<Counters>, M>,
    /// The heap copy of `counters_cell`, written back by [`Store::flush`].
    pub(crate) counters: Counters,
    pub(crate) events: StableBTreeMap<EventKey, EventRecord, M>,
    /// The schedule of every active plan.
    pub(crate) schedules: StableBTreeMap<EventKey, StoredSchedule, M>,
    pub(crate) due: StableBTreeMap<(u64, u64), DueReminder, M>,
    /// `(user, shard, event id)` for every recipient of every active plan.
    pub(crate) recipients: StableBTreeMap<(Principal, Principal, u64), (), M>,
    /// `(made at ns, shard, event id)` for every tombstone.
    pub(crate) tombstones: StableBTreeMap<(u64, Principal, u64), (), M>,
    pub(crate) inbox: StableBTreeMap<(Principal, u64), StoredNotification, M>,
    /// Per user: (held, unread).
    pub(crate) inbox_counts: StableBTreeMap<Principal, (u64, u64), M>,
    /// Counts of users delivered to in the running message, written back by [`Store::flush`]:
    /// a batch that reminds one user many times updates their count once.
    pub(crate) counts_cache: std::collections::BTreeMap<Principal, (u64, u64)>,
    pub(crate) delivery_order: StableBTreeMap<u64, Principal, M>,
    pub(crate) alerts: StableBTreeMap<u64, Compact<AlertRecord>, M>,
    /// `(kind, raised by, subject or the anonymous principal)` of each open alert, to its id.
    pub(crate) open_alerts: StableBTreeMap<(u8, Principal, Principal), u64, M>,
}

impl<M: Memory> Store<M> {
    /// Opens (or, on first install, creates) every structure in the memories `memory` hands out
    /// for the ids of `memory.rs`.
    pub fn init(memory: impl Fn(MemoryId) -> M) -> Self {
        let counters_cell = StableCell::init(memory(memory::COUNTERS), Candid(Counters::default()));
        let counters = counters_cell.get().0.clone();
        Store {
            counters_cell,
            counters,
            events: StableBTreeMap::init(memory(memory::EVENTS)),
            schedules: StableBTreeMap::init(memory(memory::SCHEDULES)),
            due: StableBTreeMap::init(memory(memory::DUE)),
            recipients: StableBTreeMap::init(memory(memory::RECIPIENTS)),
            tombstones: StableBTreeMap::init(memory(memory::TOMBSTONES)),
            inbox: StableBTreeMap::init(memory(memory::INBOX)),
            inbox_counts: StableBTreeMap::init(memory(memory::INBOX_COUNTS)),
            counts_cache: Default::default(),
            delivery_order: StableBTreeMap::init(memory(memory::DELIVERY_ORDER)),
            alerts: StableBTreeMap::init(memory(memory::ALERTS)),
            open_alerts: StableBTreeMap::init(memory(memory::OPEN_ALERTS)),
        }
    }

    /// Writes the counters and the cached inbox counts back to stable memory. Every mutating
    /// operation ends with this, so nothing is left on the heap between messages.
    pub fn flush(&mut self) {
        for (user, counts) in std::mem::take(&mut self.counts_cache) {
            self.inbox_counts.insert(user, counts);
        }
        if self.counters != self.counters_cell.get().0 {
            self.counters_cell.set(Candid(self.counters.clone()));
        }
    }

    /// The stored layout version (`layout.rs`); 0 before it was stored.
    pub fn layout(&self) -> u32 {
        self.counters.layout.unwrap_or(0)
    }

    pub fn set_layout(&mut self, layout: u32) {
        self.counters.layout = Some(layout);
        self.flush();
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.counters.next_seq += 1;
        self.counters.next_seq
    }

    /// Records what one firing batch cost (`instructions` as measured by the canister).
    pub fn record_batch(&mut self, reminders: u64, instructions: u64) {
        let c = &mut self.counters;
        c.batches += 1;
        c.last_batch_reminders = reminders;
        c.last_batch_instructions = instructions;
        c.max_batch_reminders = c.max_batch_reminders.max(reminders);
        c.max_batch_instructions = c.max_batch_instructions.max(instructions);
        self.flush();
    }

    /// Records what one `sync_reminders` call cost.
    pub fn record_sync(&mut self, instructions: u64) {
        self.counters.last_sync_instructions = instructions;
        self.counters.max_sync_instructions = self.counters.max_sync_instructions.max(instructions);
        self.flush();
    }

    pub fn stats(&self) -> NotificationStats {
        let c = &self.counters;
        NotificationStats {
            active_events: self.events.len() - self.tombstones.len(),
            tombstones: self.tombstones.len(),
            queued_reminders: self.due.len(),
            next_due_ns: self.next_due_ns(),
            notifications: self.inbox.len(),
            users: self.inbox_counts.len(),
            reminders_fired: c.reminders_fired,
            notifications_delivered: c.notifications_delivered,
            batches: c.batches,
            last_batch_instructions: c.last_batch_instructions,
            last_batch_reminders: c.last_batch_reminders,
            max_batch_instructions: c.max_batch_instructions,
            max_batch_reminders: c.max_batch_reminders,
            last_sync_instructions: c.last_sync_instructions,
            max_sync_instructions: c.max_sync_instructions,
            skipped_stale: c.skipped_stale,
            expired_notifications: c.expired_notifications,
            open_alerts: self.open_alerts.len(),
        }
    }

    /// When the earliest queued reminder is due.
    pub fn next_due_ns(&self) -> Option<u64> {
        self.due.first_key_value().map(|((due, _), _)| due)
    }
}

#[cfg(test)]
pub mod tests_support {
    //! A store over in-memory stable structures, for the unit tests.
    use super::*;
    use ic_stable_structures::VectorMemory;

    pub fn store() -> Store<VectorMemory> {
        Store::init(|_| VectorMemory::default())
    }
}
