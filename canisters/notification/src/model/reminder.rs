//! What is held for each event with reminders, and the due queue's entries: this canister's
//! own records, read and written for every reminder that fires, so they are stored in the small
//! binary layout of `codec.rs` (a layout byte first, then plain little-endian fields). An active
//! plan with attendees' own plans is written under state tag 2 (tag 0 and the attendees after
//! it), so a plan without them keeps the bytes earlier releases wrote.

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
    /// Attendees reminded on their own terms, sorted by principal (none in records written
    /// before they existed).
    pub attendees: Vec<AttendeePlan>,
}

/// One attendee's own reminders: their minutes, for the occurrences they accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttendeePlan {
    pub principal: Principal,
    /// Sorted, without duplicates.
    pub minutes_before: Vec<u32>,
    pub accepted_series: bool,
    /// Sorted: the occurrences whose own answer differs from the series' one.
    pub exception_starts_ns: Vec<u64>,
}

impl From<interfaces::notification::AttendeePlan> for AttendeePlan {
    fn from(a: interfaces::notification::AttendeePlan) -> Self {
        Self {
            principal: a.principal,
            minutes_before: a.minutes_before,
            accepted_series: a.accepted_series,
            exception_starts_ns: a.exception_starts_ns,
        }
    }
}

impl AttendeePlan {
    /// Whether this attendee gets the reminder `minutes` before the occurrence at `start_ns`.
    pub fn reminds(&self, start_ns: u64, minutes: u32) -> bool {
        let exception = self.exception_starts_ns.binary_search(&start_ns).is_ok();
        self.minutes_before.binary_search(&minutes).is_ok() && self.accepted_series != exception
    }
}

impl ActivePlan {
    /// Everyone the plan may remind, sorted, once each.
    pub fn everyone(&self) -> Vec<Principal> {
        let mut all = self.recipients.clone();
        all.extend(self.attendees.iter().map(|a| a.principal));
        all.sort();
        all.dedup();
        all
    }

    /// Every lead time someone is reminded at, sorted, once each.
    pub fn all_minutes(&self) -> Vec<u32> {
        let mut all = self.minutes_before.clone();
        all.extend(
            self.attendees
                .iter()
                .flat_map(|a| a.minutes_before.iter().copied()),
        );
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Whether anyone gets the reminder `minutes` before the occurrence starting at `start_ns`.
    pub fn reminds_at(&self, start_ns: u64, minutes: u32) -> bool {
        self.plan_reminds(minutes) || self.attendees.iter().any(|a| a.reminds(start_ns, minutes))
    }

    /// Whether the plan's own recipients get reminders `minutes` before.
    fn plan_reminds(&self, minutes: u32) -> bool {
        !self.recipients.is_empty() && self.minutes_before.binary_search(&minutes).is_ok()
    }

    /// Who gets the reminder `minutes` before the occurrence starting at `start_ns`.
    pub fn recipients_for(&self, start_ns: u64, minutes: u32) -> Vec<Principal> {
        let mut to = if self.plan_reminds(minutes) {
            self.recipients.clone()
        } else {
            vec![]
        };
        to.extend(
            self.attendees
                .iter()
                .filter(|a| a.reminds(start_ns, minutes))
                .map(|a| a.principal),
        );
        to.sort();
        to.dedup();
        to
    }

    /// Takes `user` out of the plan (account deletion).
    pub fn remove_person(&mut self, user: Principal) {
        self.recipients.retain(|r| *r != user);
        self.attendees.retain(|a| a.principal != user);
    }

    /// Whether someone is reminded of every occurrence they did not decline (the plan's
    /// recipients, or an attendee who accepted the series), rather than of single ones only.
    pub fn reminds_series(&self) -> bool {
        !(self.recipients.is_empty() || self.minutes_before.is_empty())
            || self
                .attendees
                .iter()
                .any(|a| a.accepted_series && !a.minutes_before.is_empty())
    }

    /// The earliest start after `after_ns` of an occurrence someone accepted on its own.
    pub fn next_single_after(&self, after_ns: u64) -> Option<u64> {
        self.attendees
            .iter()
            .filter(|a| !a.accepted_series && !a.minutes_before.is_empty())
            .flat_map(|a| a.exception_starts_ns.iter().copied())
            .filter(|&start| start > after_ns)
            .min()
    }

    /// Whether anyone is left to remind.
    pub fn reminds_anyone(&self) -> bool {
        !(self.recipients.is_empty() || self.minutes_before.is_empty())
            || self.attendees.iter().any(|a| !a.minutes_before.is_empty())
    }
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

fn write_attendees(w: &mut Writer, attendees: &[AttendeePlan]) {
    w.len(attendees.len());
    for a in attendees {
        w.principal(&a.principal).len(a.minutes_before.len());
        for m in &a.minutes_before {
            w.u32(*m);
        }
        w.bool(a.accepted_series).len(a.exception_starts_ns.len());
        for s in &a.exception_starts_ns {
            w.u64(*s);
        }
    }
}

fn read_attendees(r: &mut Reader) -> Vec<AttendeePlan> {
    r.list(|r| AttendeePlan {
        principal: r.principal(),
        minutes_before: r.list(|r| r.u32()),
        accepted_series: r.bool(),
        exception_starts_ns: r.list(|r| r.u64()),
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
                // Tag 2 is tag 0 followed by the attendees' plans; a plan without any keeps
                // the bytes layout 1 wrote.
                let tag = if p.attendees.is_empty() { 0 } else { 2 };
                w.u8(tag).text(&p.title).len(p.recipients.len());
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
                if !p.attendees.is_empty() {
                    write_attendees(&mut w, &p.attendees);
                }
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
            tag @ (0 | 2) => EventState::Active(ActivePlan {
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
                attendees: if tag == 2 {
                    read_attendees(&mut r)
                } else {
                    vec![]
                },
            }),
            1 => EventState::Ended {
                cancelled: r.bool(),
                fired: read_fired(&mut r),
            },
            _ => r.corrupt("unknown event state"),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(attendees: Vec<AttendeePlan>) -> EventRecord {
        EventRecord {
            revision: 3,
            changed_at_ns: 7,
            state: EventState::Active(ActivePlan {
                title: "t".into(),
                recipients: vec![Principal::from_slice(&[1])],
                minutes_before: vec![10],
                cursor_ns: 5,
                exhausted: false,
                queued: vec![],
                fired: vec![],
                attendees,
            }),
        }
    }

    #[test]
    fn a_plan_without_attendees_keeps_tag_0_and_one_with_them_round_trips_under_tag_2() {
        let bare = plan(vec![]).into_bytes();
        // Layout byte, revision and changed-at, then the state tag.
        assert_eq!(bare[17], 0);
        assert_eq!(EventRecord::from_bytes(Cow::Owned(bare)), plan(vec![]));
        let with = plan(vec![AttendeePlan {
            principal: Principal::from_slice(&[2; 29]),
            minutes_before: vec![5, 60],
            accepted_series: false,
            exception_starts_ns: vec![1_000, 2_000],
        }]);
        let bytes = with.clone().into_bytes();
        assert_eq!(bytes[17], 2);
        assert_eq!(EventRecord::from_bytes(Cow::Owned(bytes)), with);
    }
}
