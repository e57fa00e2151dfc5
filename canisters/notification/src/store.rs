//! The notification canister's state: every collection as a stable structure, and the records
//! stored in them. The rules over this state are in `schedule.rs` (reminders), `inbox.rs`
//! (users' notifications) and `alerts.rs` (operator alerts), each an `impl` block on [`Store`].
//!
//! Nothing here makes calls or reads the clock: time and the caller come in as arguments, so the
//! rules are unit-tested natively over in-memory stable structures.

use std::borrow::Cow;

use candid::{CandidType, Deserialize, Principal};
use canister_kit::stored::Candid;
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::storable::Bound;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell, Storable};
use interfaces::calendar::{
    Date, EventTime, InstanceChange, InstanceOverride, Recurrence, Schedule,
};
use interfaces::notification::{Alert, EventRef, NotificationStats};

use crate::codec::{Reader, Writer};
use crate::memory;

pub const NS_PER_SECOND: u64 = 1_000_000_000;
pub const NS_PER_MINUTE: u64 = 60 * NS_PER_SECOND;
pub const NS_PER_DAY: u64 = 24 * 60 * NS_PER_MINUTE;

/// `(shard, event id)`: an [`EventRef`] as a stable-map key.
pub type EventKey = (Principal, u64);

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

/// Id counters and statistics. Kept on the heap while a message runs and written back once at
/// its end ([`Store::flush`]), so firing a thousand reminders encodes this record once.
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
}

/// What is held for one event: the newest revision seen, and its plan or its end. Its schedule
/// is kept apart (`Store::schedules`): firing reads this record for every reminder, the
/// schedule only when the window needs refilling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub revision: u64,
    /// When this record last changed state (for a tombstone: when it was made).
    pub changed_at_ns: u64,
    pub state: EventState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventState {
    Active(ActivePlan),
    /// A tombstone: nothing is scheduled, but the revision is remembered so that a late, older
    /// update is ignored. `cancelled`: the event is gone, so a `Set` of the same revision (a
    /// retry that arrives after the `Cancel`) must not bring it back either. `fired`: the
    /// reminders fired recently, so a newer `Set` does not fire them again.
    Ended {
        cancelled: bool,
        fired: Vec<Fired>,
    },
}

/// An event with reminders still to come, and the window of them that is queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivePlan {
    pub title: String,
    /// Sorted, without duplicates.
    pub recipients: Vec<Principal>,
    /// Sorted, without duplicates.
    pub minutes_before: Vec<u32>,
    /// Occurrences starting at or before this were already looked at; refills continue after.
    pub cursor_ns: u64,
    /// The schedule has no occurrence after `cursor_ns`.
    pub exhausted: bool,
    /// This event's entries in the due queue.
    pub queued: Vec<Queued>,
    /// Reminders fired recently, so that re-applying the plan (a newer revision that did not
    /// move the occurrence) does not fire them again.
    pub fired: Vec<Fired>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queued {
    pub due_ns: u64,
    pub seq: u64,
    pub occurrence_start_ns: u64,
    pub minutes_before: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fired {
    pub occurrence_start_ns: u64,
    pub minutes_before: u32,
    pub due_ns: u64,
}

/// An entry of the due queue, keyed by `(due ns, sequence)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DueReminder {
    pub shard: Principal,
    pub event_id: u64,
    pub occurrence_start_ns: u64,
    pub minutes_before: u32,
}

/// A notification in a user's inbox (the user and id are the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNotification {
    pub event: EventRef,
    pub title: String,
    pub occurrence_start_ns: u64,
    pub minutes_before: u32,
    pub due_at_ns: u64,
    pub delivered_at_ns: u64,
    pub read: bool,
}

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
    pub(crate) alerts: StableBTreeMap<u64, Candid<Alert>, M>,
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

// ---- stored layouts (see `codec.rs`) ----------------------------------------------------------

const LAYOUT_V1: u8 = 1;

fn write_fired(w: &mut Writer, fired: &[Fired]) {
    w.len(fired.len());
    for f in fired {
        w.u64(f.occurrence_start_ns)
            .u32(f.minutes_before)
            .u64(f.due_ns);
    }
}

fn read_fired(r: &mut Reader) -> Vec<Fired> {
    r.list(|r| Fired {
        occurrence_start_ns: r.u64(),
        minutes_before: r.u32(),
        due_ns: r.u64(),
    })
}

impl Storable for EventRecord {
    const BOUND: Bound = Bound::Unbounded;

    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut w = Writer::new(LAYOUT_V1);
        w.u64(self.revision).u64(self.changed_at_ns);
        match &self.state {
            EventState::Active(p) => {
                w.u8(0).text(&p.title).len(p.recipients.len());
                for r in &p.recipients {
                    w.principal(r);
                }
                w.len(p.minutes_before.len());
                for m in &p.minutes_before {
                    w.u32(*m);
                }
                w.u64(p.cursor_ns).bool(p.exhausted).len(p.queued.len());
                for q in &p.queued {
                    w.u64(q.due_ns)
                        .u64(q.seq)
                        .u64(q.occurrence_start_ns)
                        .u32(q.minutes_before);
                }
                write_fired(&mut w, &p.fired);
            }
            EventState::Ended { cancelled, fired } => {
                w.u8(1).bool(*cancelled);
                write_fired(&mut w, fired);
            }
        }
        w.finish()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        let mut r = Reader::new(&bytes, "event record", LAYOUT_V1);
        let revision = r.u64();
        let changed_at_ns = r.u64();
        let state = match r.u8() {
            0 => EventState::Active(ActivePlan {
                title: r.text(),
                recipients: r.list(|r| r.principal()),
                minutes_before: r.list(|r| r.u32()),
                cursor_ns: r.u64(),
                exhausted: r.bool(),
                queued: r.list(|r| Queued {
                    due_ns: r.u64(),
                    seq: r.u64(),
                    occurrence_start_ns: r.u64(),
                    minutes_before: r.u32(),
                }),
                fired: read_fired(&mut r),
            }),
            _ => EventState::Ended {
                cancelled: r.bool(),
                fired: read_fired(&mut r),
            },
        };
        r.end();
        EventRecord {
            revision,
            changed_at_ns,
            state,
        }
    }
}

impl Storable for DueReminder {
    const BOUND: Bound = Bound::Unbounded;

    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        Writer::new(LAYOUT_V1)
            .principal(&self.shard)
            .u64(self.event_id)
            .u64(self.occurrence_start_ns)
            .u32(self.minutes_before)
            .finish()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        let mut r = Reader::new(&bytes, "due reminder", LAYOUT_V1);
        let due = DueReminder {
            shard: r.principal(),
            event_id: r.u64(),
            occurrence_start_ns: r.u64(),
            minutes_before: r.u32(),
        };
        r.end();
        due
    }
}

impl Storable for StoredNotification {
    const BOUND: Bound = Bound::Unbounded;

    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        Writer::new(LAYOUT_V1)
            .principal(&self.event.shard)
            .u64(self.event.event_id)
            .text(&self.title)
            .u64(self.occurrence_start_ns)
            .u32(self.minutes_before)
            .u64(self.due_at_ns)
            .u64(self.delivered_at_ns)
            .bool(self.read)
            .finish()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        let mut r = Reader::new(&bytes, "notification", LAYOUT_V1);
        let n = StoredNotification {
            event: EventRef {
                shard: r.principal(),
                event_id: r.u64(),
            },
            title: r.text(),
            occurrence_start_ns: r.u64(),
            minutes_before: r.u32(),
            due_at_ns: r.u64(),
            delivered_at_ns: r.u64(),
            read: r.bool(),
        };
        r.end();
        n
    }
}

/// An event's schedule as stored. The fields are destructured exhaustively, so a field added
/// to [`Schedule`] fails to compile here until the layout (and its version) follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSchedule(pub Schedule);

fn write_date(w: &mut Writer, d: &Date) {
    let Date { year, month, day } = *d;
    w.u32(year as u16 as u32).u8(month).u8(day);
}

fn read_date(r: &mut Reader) -> Date {
    Date {
        year: r.u32() as u16 as i16,
        month: r.u8(),
        day: r.u8(),
    }
}

impl Storable for StoredSchedule {
    const BOUND: Bound = Bound::Unbounded;

    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        let Schedule {
            time,
            time_zone,
            recurrence,
            overrides,
        } = &self.0;
        let mut w = Writer::new(LAYOUT_V1);
        match time {
            EventTime::Timed { start_ns, end_ns } => {
                w.u8(0).u64(*start_ns).u64(*end_ns);
            }
            EventTime::AllDay { start, end } => {
                w.u8(1);
                write_date(&mut w, start);
                write_date(&mut w, end);
            }
        }
        w.text(time_zone);
        match recurrence {
            None => {
                w.u8(0);
            }
            Some(Recurrence { rule, exdates_ns }) => {
                w.u8(1).text(rule).len(exdates_ns.len());
                for x in exdates_ns {
                    w.u64(*x);
                }
            }
        }
        w.len(overrides.len());
        for InstanceOverride {
            original_start_ns,
            change,
        } in overrides
        {
            w.u64(*original_start_ns);
            match change {
                InstanceChange::Moved { start_ns, end_ns } => {
                    w.u8(0).u64(*start_ns).u64(*end_ns);
                }
                InstanceChange::Cancelled => {
                    w.u8(1);
                }
            }
        }
        w.finish()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        let mut r = Reader::new(&bytes, "schedule", LAYOUT_V1);
        let time = match r.u8() {
            0 => EventTime::Timed {
                start_ns: r.u64(),
                end_ns: r.u64(),
            },
            _ => EventTime::AllDay {
                start: read_date(&mut r),
                end: read_date(&mut r),
            },
        };
        let time_zone = r.text();
        let recurrence = match r.u8() {
            0 => None,
            _ => Some(Recurrence {
                rule: r.text(),
                exdates_ns: r.list(|r| r.u64()),
            }),
        };
        let overrides = r.list(|r| InstanceOverride {
            original_start_ns: r.u64(),
            change: match r.u8() {
                0 => InstanceChange::Moved {
                    start_ns: r.u64(),
                    end_ns: r.u64(),
                },
                _ => InstanceChange::Cancelled,
            },
        });
        r.end();
        StoredSchedule(Schedule {
            time,
            time_zone,
            recurrence,
            overrides,
        })
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
