//! What is held for each event with reminders, and the due queue's entries: this canister's
//! own records, read and written for every reminder that fires, so they are stored in the small
//! binary layout of `codec.rs` (a layout byte first, then plain little-endian fields).

use std::borrow::Cow;

use candid::Principal;
use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;

use super::LAYOUT_V1;
use crate::codec::{Reader, Writer};

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
