//! Wire types of the notification canister (`notification.did`).
//!
//! Calendar shards keep the notification canister's reminder schedule in step with their events
//! through `sync_reminders` (group members only, with the caller's access key). Each update
//! carries the event's revision so a retried, older update never overrides a newer one.

use candid::{CandidType, Deserialize, Principal};
use serde::Serialize;

use crate::calendar::{EventId, Schedule};

/// An event on a particular shard.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventRef {
    pub shard: Principal,
    pub event_id: EventId,
}

/// The reminders an event wants: for every upcoming occurrence of `schedule`, one notification
/// per entry of `minutes_before`, to every recipient.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReminderPlan {
    pub event: EventRef,
    pub revision: u64,
    pub title: String,
    pub recipients: Vec<Principal>,
    pub schedule: Schedule,
    pub minutes_before: Vec<u32>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum ReminderUpdate {
    /// Replace whatever is scheduled for the event (an empty `minutes_before` clears it).
    Set(ReminderPlan),
    /// The event is gone; `revision` is its last revision.
    Cancel { event: EventRef, revision: u64 },
}
