//! The revision of a stored record, if a given principal owns it, read without building the
//! record.
//!
//! Why: a write the owner makes from a stale revision is refused with `StaleRevision`, and
//! nothing else of the record matters for that answer. Building the whole event (its strings,
//! vectors and the wire event) cost about 7,000 instructions, a third of such a refusal.
//! Postcard is positional, so the fields before the revision are walked by types of the same
//! shape that borrow their strings as bytes (a text was checked when it was stored: no UTF-8
//! check again) and count their sequences instead of keeping them: about 2,300 instructions.
//! (A walk written by hand over the varints measured slower in wasm.) The tests check it
//! against [`super::EventRecord::decode`] on records of every shape.

use std::marker::PhantomData;

use candid::Principal;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::{Attendee, Override, Role, Status, Time, Transparency};

/// The revision of the record `bytes` if `who` owns it; `None` if someone else does (or the
/// bytes do not read, which [`super::EventRecord::decode`] then reports).
pub fn owners_revision(bytes: &[u8], who: &Principal) -> Option<u64> {
    let (head, _) = postcard::take_from_bytes::<Head>(bytes).ok()?;
    (head.owner == *who).then_some(head.revision)
}

/// `super::Record`'s fields up to its revision, in its order, with the same encoding.
#[derive(Deserialize)]
#[allow(dead_code)] // only walked
struct Head<'a> {
    id: u64,
    owner: Principal,
    ical_uid: &'a [u8],
    title: &'a [u8],
    description: &'a [u8],
    location: &'a [u8],
    time: Time,
    time_zone: &'a [u8],
    recurrence: Option<Recurrence<'a>>,
    overrides: Skipped<Override>,
    status: Status,
    transparency: Transparency,
    visibility: Visibility,
    color: Option<&'a [u8]>,
    attendees: Skipped<Attendee>,
    reminders_minutes: Skipped<u32>,
    created_at_ns: u64,
    updated_at_ns: u64,
    revision: u64,
}

/// `super::Recurrence`.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Recurrence<'a> {
    rule: &'a [u8],
    exdates_ns: Skipped<u64>,
    rdates_ns: Option<Skipped<u64>>,
}

/// `super::Visibility` (cases by position, as postcard stores them).
#[derive(Deserialize)]
#[allow(dead_code)]
enum Visibility {
    Private,
    Public,
    Shared(Skipped<(Principal, Role)>),
}

/// A sequence of `T` read and dropped element by element (nothing allocated).
struct Skipped<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Skipped<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Elements<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Elements<T> {
            type Value = Skipped<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<T>()?.is_some() {}
                Ok(Skipped(PhantomData))
            }
        }
        deserializer.deserialize_seq(Elements(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::owners_revision;

    fn p(n: u8) -> Principal {
        Principal::from_slice(&[n; 29])
    }

    fn plain() -> EventRecord {
        Record {
            id: 7,
            owner: p(1),
            ical_uid: "7@shard".into(),
            title: "Standup".into(),
            description: String::new(),
            location: String::new(),
            time: Time::Timed {
                start_ns: 1_774_771_200_000_000_000,
                end_ns: 1_774_774_800_000_000_000,
            },
            time_zone: "Europe/Berlin".into(),
            recurrence: None,
            overrides: vec![],
            status: Status::Confirmed,
            transparency: Transparency::Opaque,
            visibility: Visibility::Private,
            color: None,
            attendees: vec![],
            reminders_minutes: vec![],
            created_at_ns: 1,
            updated_at_ns: 2,
            revision: 3,
            placement: Slot::OneOff {
                class: 0,
                start_ns: 1,
                end_ns: 2,
            },
            answers: vec![],
            own_reminders: vec![],
        }
    }

    /// Records with every field that has a variable size filled in, one at a time and all
    /// together.
    fn shapes() -> Vec<EventRecord> {
        let each: Vec<fn(&mut EventRecord)> = vec![
            |r| r.description = "a longer description ".repeat(40),
            |r| r.location = "Room 4".into(),
            |r| {
                r.time = Time::AllDay {
                    start: Date {
                        year: 2026,
                        month: 3,
                        day: 29,
                    },
                    end: Date {
                        year: 2026,
                        month: 3,
                        day: 30,
                    },
                }
            },
            |r| {
                r.recurrence = Some(Recurrence {
                    rule: "FREQ=WEEKLY;COUNT=10".into(),
                    exdates_ns: vec![5, u64::MAX],
                    rdates_ns: None,
                })
            },
            |r| {
                r.recurrence = Some(Recurrence {
                    rule: "FREQ=DAILY".into(),
                    exdates_ns: vec![],
                    rdates_ns: Some(vec![1, 2, 3]),
                })
            },
            |r| {
                r.overrides = vec![
                    Override {
                        original_start_ns: 9,
                        change: Change::Cancelled,
                    },
                    Override {
                        original_start_ns: 10,
                        change: Change::Moved {
                            start_ns: 11,
                            end_ns: 12,
                        },
                    },
                ]
            },
            |r| r.status = Status::Tentative,
            |r| r.transparency = Transparency::Transparent,
            |r| r.visibility = Visibility::Public,
            |r| r.visibility = Visibility::Shared(vec![(p(2), Role::Viewer), (p(3), Role::Editor)]),
            |r| r.color = Some("#ff8800".into()),
            |r| {
                r.attendees = vec![
                    Attendee {
                        principal: p(4),
                        answer: Answer::Accepted
                    };
                    3
                ]
            },
            |r| r.reminders_minutes = vec![10, 60, 1440],
            |r| {
                r.answers = vec![OccurrenceAnswer {
                    principal: p(4),
                    original_start_ns: 9,
                    answer: Answer::Declined,
                }]
            },
            |r| {
                r.own_reminders = vec![OwnReminders {
                    principal: p(4),
                    minutes: vec![5],
                }]
            },
            |r| {
                r.placement = Slot::Series {
                    last_end_ns: u64::MAX,
                }
            },
            |r| {
                r.id = u64::MAX;
                r.created_at_ns = u64::MAX;
                r.updated_at_ns = u64::MAX;
                r.revision = u64::MAX;
            },
            |r| r.owner = Principal::anonymous(),
        ];
        let mut all = plain();
        let mut shapes = vec![plain()];
        for change in each {
            let mut one = plain();
            change(&mut one);
            shapes.push(one);
            change(&mut all);
        }
        shapes.push(all);
        shapes
    }

    #[test]
    fn the_owners_revision_is_the_decoded_records() {
        for (i, record) in shapes().into_iter().enumerate() {
            let bytes = record.encode();
            let decoded = EventRecord::decode(&bytes);
            assert_eq!(
                owners_revision(&bytes, &decoded.owner),
                Some(decoded.revision),
                "shape {i}"
            );
            assert_eq!(decoded.revision, record.revision);
            assert_eq!(owners_revision(&bytes, &p(9)), None, "shape {i}");
            // Cut short, the walk gives up (and the caller decodes, which reports it).
            assert_eq!(owners_revision(&bytes[..20], &decoded.owner), None);
        }
    }
}
