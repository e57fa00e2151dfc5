//! Invitations across shards (`calendar.did`): what an attendee's home shard keeps of an event
//! another user organizes, and the group call the organizer's shard delivers it with.
//!
//! The organizer's shard is the source of truth. For each principal attendee it queues an
//! [`InvitationMessage`] per change and delivers it to the attendee's home shard (the load
//! balancer's directory says which) with
//!
//! ```candid
//! deliver_invitations : (blob, vec InvitationMessage) -> (variant { Ok : nat64; Err : Error });
//! ```
//!
//! accepted only from calendar shards of the group, holding their own key, and only for
//! messages naming the calling shard as organizer shard. Delivery is idempotent: the receiver
//! keeps one record per (attendee, organizer shard, event) and ignores a message whose revision
//! is not newer than the one it has, so a retried or repeated call changes nothing. `Ok` answers
//! how many messages changed a record.

use candid::{CandidType, Deserialize, Principal};
use serde::Serialize;

use crate::calendar::{
    EventId, EventStatus, EventTime, InstanceOverride, OccurrenceRsvp, Recurrence, Rsvp,
    Transparency,
};

/// Messages one `deliver_invitations` call carries at most.
pub const MAX_INVITATIONS_PER_DELIVERY: usize = 200;

/// What an attendee may see of an event they are invited to: its times (with recurrence and
/// instance changes), title, location, organizer, status and transparency, and their own
/// answer. Not the description, the other attendees or the shares.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct InvitationView {
    pub organizer: Principal,
    pub title: String,
    pub location: String,
    pub time: EventTime,
    pub time_zone: String,
    pub recurrence: Option<Recurrence>,
    pub overrides: Vec<InstanceOverride>,
    pub status: EventStatus,
    pub transparency: Transparency,
    /// The attendee's own answer, as the organizer's shard holds it.
    pub rsvp: Rsvp,
    /// The attendee's own answers for single occurrences, where they differ from `rsvp`
    /// (absent when there is none, and from shards that predate them).
    pub occurrence_rsvps: Option<Vec<OccurrenceRsvp>>,
    /// The attendee's own reminders, when they chose some (`set_attendee_reminders`).
    pub reminders_minutes: Option<Vec<u32>>,
}

impl InvitationView {
    /// The attendee's answer for the occurrence starting (by the rule) at `original_start_ns`.
    pub fn rsvp_at(&self, original_start_ns: u64) -> Rsvp {
        let answers = self.occurrence_rsvps.as_deref().unwrap_or_default();
        answers
            .iter()
            .find(|a| a.original_start_ns == original_start_ns)
            .map_or(self.rsvp, |a| a.rsvp)
    }

    /// Whether the attendee declined every occurrence (the series and no occurrence otherwise).
    pub fn declined_all(&self) -> bool {
        self.rsvp == Rsvp::Declined
            && self
                .occurrence_rsvps
                .iter()
                .flatten()
                .all(|a| a.rsvp == Rsvp::Declined)
    }
}

/// What changed for one attendee.
// A wire type, built once per message and sent: boxing the view would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum InvitationChange {
    /// The attendee is invited; this is the event as they may see it now.
    Set(InvitationView),
    /// The event was deleted or the attendee removed from it: the record goes.
    Withdrawn,
}

/// One attendee's update, delivered to their home shard.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct InvitationMessage {
    pub attendee: Principal,
    pub organizer_shard: Principal,
    pub event_id: EventId,
    /// The event's revision this message was made from (a withdrawal after a deletion carries
    /// the last revision plus one); older or equal revisions are ignored.
    pub revision: u64,
    pub change: InvitationChange,
}

/// An invitation as the attendee's home shard holds it.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub organizer_shard: Principal,
    pub event_id: EventId,
    pub revision: u64,
    pub view: InvitationView,
}

/// Continue a listing of invitations after this one (exclusive).
#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub struct InvitationCursor {
    pub organizer_shard: Principal,
    pub event_id: EventId,
}

/// The caller's invitations, in (organizer shard, event id) order, a page at a time.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct InvitationListRequest {
    pub cursor: Option<InvitationCursor>,
    pub limit: Option<u32>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct InvitationPage {
    pub invitations: Vec<Invitation>,
    pub next_cursor: Option<InvitationCursor>,
}

/// How the organizer side's delivery stands on one shard.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct InvitationDeliveryStatus {
    /// Messages waiting in the stable outbox (delivered ones have left it).
    pub pending: u64,
    /// `deliver_invitations` calls this shard made since its code started (heap counter).
    pub calls_made: u64,
    /// Directory look-up calls to the load balancer since the code started (heap counter).
    pub lookups_made: u64,
    /// Messages applied to this shard's own attendees without a call, since the code started.
    pub delivered_locally: u64,
    /// Invitation records this shard holds for its users.
    pub invitations_held: u64,
    /// Why the last delivery or look-up failed, until one succeeds.
    pub last_error: Option<String>,
}
