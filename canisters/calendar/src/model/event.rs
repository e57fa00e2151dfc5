//! The stored event record of layout 3: every field of an event and its index placement, in
//! postcard (no field names, no type table, varints). Layout 3 added the RDATEs to the
//! recurrence; [`EventRecord::from_v2`] reads what layout 2 stored. Since layout 5 the
//! attendees' answers for single occurrences follow the record's last field when there are
//! any, and since layout 6 the attendees' own reminders follow those answers (an empty list of
//! answers first when there are reminders but no answers), so a record without either keeps
//! layout 3's bytes.
//!
//! Reading an event back is the most frequent thing the calendar does (every get, update,
//! delete and listed event), and decoding the Candid records of layouts 0 and 1 cost about
//! ten times the rest of such a call. The types here mirror `interfaces::calendar::Event`
//! field by field; they are separate so that the stored layout changes only on purpose.
//! [`EventRecord::from_v1`] reads what layouts 0 and 1 stored, for the migration.

use candid::{CandidType, Deserialize, Principal};
use interfaces::calendar as wire;
use serde::Serialize;

use crate::validate::{Placement, ValidEvent};

mod owner;
pub use owner::owners_revision;

/// The stored record of this layout.
pub type EventRecord = Record<Recurrence>;

/// The record of layout 2: the same but for the recurrence, which had no RDATEs.
type RecordV2 = Record<RecurrenceV2>;

/// A stored event, generic over the one field that changed between layouts 2 and 3 (postcard
/// is positional: a record of either layout is read with its own type).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Record<R> {
    id: u64,
    owner: Principal,
    ical_uid: String,
    title: String,
    description: String,
    location: String,
    time: Time,
    time_zone: String,
    recurrence: Option<R>,
    overrides: Vec<Override>,
    status: Status,
    transparency: Transparency,
    visibility: Visibility,
    color: Option<String>,
    attendees: Vec<Attendee>,
    reminders_minutes: Vec<u32>,
    created_at_ns: u64,
    updated_at_ns: u64,
    revision: u64,
    placement: Slot,
    /// Written after the record (see [`EventRecord::encode`]), not as one of its fields.
    #[serde(skip)]
    answers: Vec<OccurrenceAnswer>,
    /// Written after the answers (see [`EventRecord::encode`]).
    #[serde(skip)]
    own_reminders: Vec<OwnReminders>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
struct Date {
    year: i16,
    month: u8,
    day: u8,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
enum Time {
    Timed { start_ns: u64, end_ns: u64 },
    AllDay { start: Date, end: Date },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Recurrence {
    rule: String,
    exdates_ns: Vec<u64>,
    /// As the wire has it: `None` (an old client's) and `Some(vec![])` are both kept.
    rdates_ns: Option<Vec<u64>>,
}

/// The recurrence of layout 2.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RecurrenceV2 {
    rule: String,
    exdates_ns: Vec<u64>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Moved { start_ns: u64, end_ns: u64 },
    Cancelled,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
struct Override {
    original_start_ns: u64,
    change: Change,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Confirmed,
    Tentative,
    Cancelled,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
enum Transparency {
    Opaque,
    Transparent,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Viewer,
    Editor,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
enum Visibility {
    Private,
    Public,
    Shared(Vec<(Principal, Role)>),
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    NeedsAction,
    Accepted,
    Declined,
    Tentative,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
struct Attendee {
    principal: Principal,
    answer: Answer,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
struct OccurrenceAnswer {
    principal: Principal,
    original_start_ns: u64,
    answer: Answer,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
struct OwnReminders {
    principal: Principal,
    minutes: Vec<u32>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    OneOff {
        class: u8,
        start_ns: u64,
        end_ns: u64,
    },
    Series {
        last_end_ns: u64,
    },
}

/// What layouts 0 and 1 stored for an event: the Candid record `{ event: Event; slot:
/// Placement }` (the wire event as it was when those layouts were written).
#[derive(CandidType, Deserialize)]
pub struct RecordV1 {
    event: wire::Event,
    slot: Placement,
}

impl EventRecord {
    /// The record, then the answers for single occurrences if there are any or there are own
    /// reminders, then the own reminders if there are any.
    pub fn encode(&self) -> Vec<u8> {
        let mut record = postcard::to_allocvec(self).expect("a stored event always encodes");
        if self.answers.is_empty() && self.own_reminders.is_empty() {
            return record;
        }
        record = postcard::to_extend(&self.answers, record).expect("answers always encode");
        if self.own_reminders.is_empty() {
            return record;
        }
        postcard::to_extend(&self.own_reminders, record).expect("own reminders always encode")
    }

    /// Reads a record this layout wrote. Only this canister wrote these bytes, under the
    /// layout its code checked at upgrade, so a failure means corrupt memory or a missing
    /// migration: trapping (undoing the message) is safer than going on.
    pub fn decode(bytes: &[u8]) -> Self {
        let (mut record, rest) =
            postcard::take_from_bytes::<Self>(bytes).expect("a stored event decodes");
        if !rest.is_empty() {
            let (answers, rest) = postcard::take_from_bytes(rest).expect("its answers decode");
            record.answers = answers;
            if !rest.is_empty() {
                let (own, rest) =
                    postcard::take_from_bytes(rest).expect("its own reminders decode");
                assert!(
                    rest.is_empty(),
                    "nothing follows a stored event's own reminders"
                );
                record.own_reminders = own;
            }
        }
        record
    }

    /// Reads a record of layout 0 or 1.
    pub fn from_v1(bytes: &[u8]) -> Result<Self, String> {
        let old = candid::decode_one::<RecordV1>(bytes).map_err(|e| e.to_string())?;
        Ok(Self::new(&old.event, old.slot))
    }

    /// Reads a record of layout 2 (no RDATEs: it reads as an old client's recurrence). Only
    /// a record that postcard reads to its last byte is one: anything else is an error, not a
    /// guess.
    pub fn from_v2(bytes: &[u8]) -> Result<Self, String> {
        let (old, rest) =
            postcard::take_from_bytes::<RecordV2>(bytes).map_err(|e| e.to_string())?;
        if !rest.is_empty() {
            return Err(format!("{} bytes after a layout-2 record", rest.len()));
        }
        Ok(old.map_recurrence(|r| Recurrence {
            rule: r.rule,
            exdates_ns: r.exdates_ns,
            rdates_ns: None,
        }))
    }

    /// The bytes layout 2 stored for this record (tests of the migration). RDATEs did not
    /// exist then: a record with some has no layout-2 form.
    #[cfg(test)]
    pub fn into_v2(self) -> Vec<u8> {
        let old: RecordV2 = self.map_recurrence(|r| {
            assert!(r.rdates_ns.is_none(), "layout 2 had no RDATEs");
            RecurrenceV2 {
                rule: r.rule,
                exdates_ns: r.exdates_ns,
            }
        });
        postcard::to_allocvec(&old).unwrap()
    }

    /// The bytes layouts 0 and 1 stored for this record (tests of the migration).
    #[cfg(test)]
    pub fn into_v1(self) -> Vec<u8> {
        let (event, slot) = self.into_parts();
        candid::encode_one(RecordV1 { event, slot }).unwrap()
    }

    pub fn of(event: &ValidEvent) -> Self {
        Self::new(event.event(), event.placement())
    }

    /// The event and its placement, as the gate let them through when this was written.
    pub fn into_parts(self) -> (wire::Event, Placement) {
        let placement = match self.placement {
            Slot::OneOff {
                class,
                start_ns,
                end_ns,
            } => Placement::OneOff {
                class,
                start_ns,
                end_ns,
            },
            Slot::Series { last_end_ns } => Placement::Series { last_end_ns },
        };
        let event = wire::Event {
            id: self.id,
            owner: self.owner,
            ical_uid: self.ical_uid,
            title: self.title,
            description: self.description,
            location: self.location,
            time: match self.time {
                Time::Timed { start_ns, end_ns } => wire::EventTime::Timed { start_ns, end_ns },
                Time::AllDay { start, end } => wire::EventTime::AllDay {
                    start: start.into(),
                    end: end.into(),
                },
            },
            time_zone: self.time_zone,
            recurrence: self.recurrence.map(|r| wire::Recurrence {
                rule: r.rule,
                exdates_ns: r.exdates_ns,
                rdates_ns: r.rdates_ns,
            }),
            overrides: self
                .overrides
                .into_iter()
                .map(|o| wire::InstanceOverride {
                    original_start_ns: o.original_start_ns,
                    change: match o.change {
                        Change::Moved { start_ns, end_ns } => {
                            wire::InstanceChange::Moved { start_ns, end_ns }
                        }
                        Change::Cancelled => wire::InstanceChange::Cancelled,
                    },
                })
                .collect(),
            status: match self.status {
                Status::Confirmed => wire::EventStatus::Confirmed,
                Status::Tentative => wire::EventStatus::Tentative,
                Status::Cancelled => wire::EventStatus::Cancelled,
            },
            transparency: match self.transparency {
                Transparency::Opaque => wire::Transparency::Opaque,
                Transparency::Transparent => wire::Transparency::Transparent,
            },
            visibility: match self.visibility {
                Visibility::Private => wire::Visibility::Private,
                Visibility::Public => wire::Visibility::Public,
                Visibility::Shared(shares) => wire::Visibility::Shared(
                    shares
                        .into_iter()
                        .map(|(principal, role)| wire::Share {
                            principal,
                            role: match role {
                                Role::Viewer => wire::Role::Viewer,
                                Role::Editor => wire::Role::Editor,
                            },
                        })
                        .collect(),
                ),
            },
            color: self.color,
            attendees: self
                .attendees
                .into_iter()
                .map(|a| wire::Attendee {
                    principal: a.principal,
                    rsvp: a.answer.into(),
                })
                .collect(),
            occurrence_rsvps: (!self.answers.is_empty()).then(|| {
                self.answers
                    .iter()
                    .map(|a| wire::OccurrenceRsvp {
                        principal: a.principal,
                        original_start_ns: a.original_start_ns,
                        rsvp: a.answer.into(),
                    })
                    .collect()
            }),
            reminders_minutes: self.reminders_minutes,
            attendee_reminders: (!self.own_reminders.is_empty()).then(|| {
                self.own_reminders
                    .into_iter()
                    .map(|r| wire::AttendeeReminders {
                        principal: r.principal,
                        reminders_minutes: r.minutes,
                    })
                    .collect()
            }),
            created_at_ns: self.created_at_ns,
            updated_at_ns: self.updated_at_ns,
            revision: self.revision,
        };
        (event, placement)
    }

    fn new(e: &wire::Event, placement: Placement) -> Self {
        Self {
            id: e.id,
            owner: e.owner,
            ical_uid: e.ical_uid.clone(),
            title: e.title.clone(),
            description: e.description.clone(),
            location: e.location.clone(),
            time: match &e.time {
                wire::EventTime::Timed { start_ns, end_ns } => Time::Timed {
                    start_ns: *start_ns,
                    end_ns: *end_ns,
                },
                wire::EventTime::AllDay { start, end } => Time::AllDay {
                    start: (*start).into(),
                    end: (*end).into(),
                },
            },
            time_zone: e.time_zone.clone(),
            recurrence: e.recurrence.as_ref().map(|r| Recurrence {
                rule: r.rule.clone(),
                exdates_ns: r.exdates_ns.clone(),
                rdates_ns: r.rdates_ns.clone(),
            }),
            overrides: e
                .overrides
                .iter()
                .map(|o| Override {
                    original_start_ns: o.original_start_ns,
                    change: match o.change {
                        wire::InstanceChange::Moved { start_ns, end_ns } => {
                            Change::Moved { start_ns, end_ns }
                        }
                        wire::InstanceChange::Cancelled => Change::Cancelled,
                    },
                })
                .collect(),
            status: match e.status {
                wire::EventStatus::Confirmed => Status::Confirmed,
                wire::EventStatus::Tentative => Status::Tentative,
                wire::EventStatus::Cancelled => Status::Cancelled,
            },
            transparency: match e.transparency {
                wire::Transparency::Opaque => Transparency::Opaque,
                wire::Transparency::Transparent => Transparency::Transparent,
            },
            visibility: match &e.visibility {
                wire::Visibility::Private => Visibility::Private,
                wire::Visibility::Public => Visibility::Public,
                wire::Visibility::Shared(shares) => Visibility::Shared(
                    shares
                        .iter()
                        .map(|s| {
                            let role = match s.role {
                                wire::Role::Viewer => Role::Viewer,
                                wire::Role::Editor => Role::Editor,
                            };
                            (s.principal, role)
                        })
                        .collect(),
                ),
            },
            color: e.color.clone(),
            attendees: e
                .attendees
                .iter()
                .map(|a| Attendee {
                    principal: a.principal,
                    answer: a.rsvp.into(),
                })
                .collect(),
            reminders_minutes: e.reminders_minutes.clone(),
            created_at_ns: e.created_at_ns,
            updated_at_ns: e.updated_at_ns,
            revision: e.revision,
            placement: match placement {
                Placement::OneOff {
                    class,
                    start_ns,
                    end_ns,
                } => Slot::OneOff {
                    class,
                    start_ns,
                    end_ns,
                },
                Placement::Series { last_end_ns } => Slot::Series { last_end_ns },
            },
            answers: e
                .occurrence_answers()
                .iter()
                .map(|a| OccurrenceAnswer {
                    principal: a.principal,
                    original_start_ns: a.original_start_ns,
                    answer: a.rsvp.into(),
                })
                .collect(),
            own_reminders: e
                .own_reminders()
                .iter()
                .map(|r| OwnReminders {
                    principal: r.principal,
                    minutes: r.reminders_minutes.clone(),
                })
                .collect(),
        }
    }
}

impl<R> Record<R> {
    /// The same record with its recurrence converted (between layouts).
    fn map_recurrence<S>(self, f: impl FnOnce(R) -> S) -> Record<S> {
        Record {
            id: self.id,
            owner: self.owner,
            ical_uid: self.ical_uid,
            title: self.title,
            description: self.description,
            location: self.location,
            time: self.time,
            time_zone: self.time_zone,
            recurrence: self.recurrence.map(f),
            overrides: self.overrides,
            status: self.status,
            transparency: self.transparency,
            visibility: self.visibility,
            color: self.color,
            attendees: self.attendees,
            reminders_minutes: self.reminders_minutes,
            created_at_ns: self.created_at_ns,
            updated_at_ns: self.updated_at_ns,
            revision: self.revision,
            placement: self.placement,
            answers: self.answers,
            own_reminders: self.own_reminders,
        }
    }
}

impl From<Answer> for wire::Rsvp {
    fn from(a: Answer) -> Self {
        match a {
            Answer::NeedsAction => Self::NeedsAction,
            Answer::Accepted => Self::Accepted,
            Answer::Declined => Self::Declined,
            Answer::Tentative => Self::Tentative,
        }
    }
}

impl From<wire::Rsvp> for Answer {
    fn from(r: wire::Rsvp) -> Self {
        match r {
            wire::Rsvp::NeedsAction => Self::NeedsAction,
            wire::Rsvp::Accepted => Self::Accepted,
            wire::Rsvp::Declined => Self::Declined,
            wire::Rsvp::Tentative => Self::Tentative,
        }
    }
}

impl From<wire::Date> for Date {
    fn from(d: wire::Date) -> Self {
        Self {
            year: d.year,
            month: d.month,
            day: d.day,
        }
    }
}

impl From<Date> for wire::Date {
    fn from(d: Date) -> Self {
        Self {
            year: d.year,
            month: d.month,
            day: d.day,
        }
    }
}
