//! Wire types of the notification canister (`notification.did`).
//!
//! Calendar shards keep the notification canister's reminder schedule in step with their events
//! through `sync_reminders` (group members only, with the caller's access key). Each update
//! carries the event's revision so a retried, older update never overrides a newer one.
//!
//! Users read their inbox (`get_notifications`, `mark_read`, ...); the load balancer and the
//! backup canister raise operator alerts, which admins list and acknowledge; the user registry
//! calls `delete_user_data` when an account is deleted.

use candid::{CandidType, Deserialize, Principal};
use serde::Serialize;

use crate::calendar::{EventId, Schedule};

/// An event on a particular shard.
#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub struct EventRef {
    pub shard: Principal,
    pub event_id: EventId,
}

/// The reminders an event wants: for every upcoming occurrence of `schedule`, one notification
/// per entry of `minutes_before`, to every recipient; and to each of `attendees` at their own
/// minutes, for the occurrences they accepted.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReminderPlan {
    pub event: EventRef,
    pub revision: u64,
    pub title: String,
    pub recipients: Vec<Principal>,
    pub schedule: Schedule,
    pub minutes_before: Vec<u32>,
    /// Attendees reminded on their own terms (absent from shards that predate them).
    pub attendees: Option<Vec<AttendeePlan>>,
}

/// One attendee's reminders for an event: their own minutes, for the occurrences they accepted.
/// They accepted the series when `accepted_series`; `exception_starts_ns` are the starts of the
/// occurrences whose own answer says otherwise (declined ones of an accepted series, accepted
/// ones of a series not accepted).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AttendeePlan {
    pub principal: Principal,
    pub minutes_before: Vec<u32>,
    pub accepted_series: bool,
    pub exception_starts_ns: Vec<u64>,
}

// A wire type, decoded from a message and consumed at once: boxing the plan would only move
// the same bytes to the heap and change every caller.
#[allow(clippy::large_enum_variant)]
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum ReminderUpdate {
    /// Replace whatever is scheduled for the event (a plan that reminds nobody clears it).
    Set(ReminderPlan),
    /// The event is gone; `revision` is its last revision.
    Cancel { event: EventRef, revision: u64 },
}

/// What one `forget_shard_reminders` call removed, and whether the shard has none left.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardReminderReset {
    pub removed: u64,
    pub done: bool,
}

/// Events one `forget_shard_reminders` call removes at most.
pub const MAX_EVENTS_FORGOTTEN_PER_CALL: usize = 2_000;

// ---- limits of sync_reminders ------------------------------------------------------------------
//
// A calendar shard checks its events against these before it queues an update, so a sync it
// retries from its outbox is never refused for its content: `sync_reminders` refuses the whole
// call (and changes nothing) when any update breaks one.

/// Updates in one `sync_reminders` call (well under the 2 MiB message limit).
pub const MAX_UPDATES_PER_SYNC: usize = 1_000;
/// Characters of a reminder's title.
pub const MAX_TITLE_CHARS: usize = 500;
/// Recipients of one event's reminders (duplicates are merged first).
pub const MAX_RECIPIENTS: usize = 256;
/// Entries of `minutes_before` (duplicates are merged first), of the plan and of each attendee.
pub const MAX_REMINDERS_PER_EVENT: usize = 10;
/// Exception starts of all a plan's attendees together.
pub const MAX_ATTENDEE_EXCEPTIONS: usize = 1_000;
/// The earliest reminder: four weeks before the occurrence.
pub const MAX_MINUTES_BEFORE: u32 = 4 * 7 * 24 * 60;

// ---- inboxes -----------------------------------------------------------------------------------

/// One delivered reminder in a user's inbox.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// Increases with delivery order across the canister: newer notifications have larger ids.
    pub id: u64,
    pub event: EventRef,
    pub title: String,
    /// The start of the occurrence the reminder is for.
    pub occurrence_start_ns: u64,
    pub minutes_before: u32,
    /// When the reminder was due (`occurrence_start_ns - minutes_before`).
    pub due_at_ns: u64,
    /// When it reached the inbox: later than `due_at_ns` only if the canister was busy, stopped
    /// or being upgraded at the due moment.
    pub delivered_at_ns: u64,
    pub read: bool,
}

/// A page of the caller's inbox, newest first.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct NotificationQuery {
    /// Continue with notifications older than this id (the previous page's `next_cursor`).
    pub cursor: Option<u64>,
    pub limit: Option<u32>,
    pub unread_only: bool,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    pub next_cursor: Option<u64>,
}

/// Counters of the reminder machinery, for operators and benchmarks.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct NotificationStats {
    /// Events with reminders still to come.
    pub active_events: u64,
    /// Cancelled or finished events remembered for their revision (so a late, older update is
    /// ignored); forgotten after a retention period.
    pub tombstones: u64,
    /// Reminders waiting for their moment (a bounded window of each event's occurrences).
    pub queued_reminders: u64,
    /// The earliest of those, if any.
    pub next_due_ns: Option<u64>,
    /// Notifications in all inboxes, and the users who have any.
    pub notifications: u64,
    pub users: u64,
    /// Reminders fired and notifications delivered since install (they survive upgrades).
    pub reminders_fired: u64,
    pub notifications_delivered: u64,
    /// Firing batches run since install; each is one message.
    pub batches: u64,
    /// Instructions (`ic0.performance_counter`) and reminders of the last and the heaviest batch.
    pub last_batch_instructions: u64,
    pub last_batch_reminders: u64,
    pub max_batch_instructions: u64,
    pub max_batch_reminders: u64,
    /// Instructions of the last and the heaviest `sync_reminders` call.
    pub last_sync_instructions: u64,
    pub max_sync_instructions: u64,
    /// Reminders skipped because their moment had passed long before the event was synced.
    pub skipped_stale: u64,
    /// Notifications removed by retention (age or the per-user cap).
    pub expired_notifications: u64,
    pub open_alerts: u64,
}

// ---- operator alerts ---------------------------------------------------------------------------

#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub enum AlertKind {
    ShardUnhealthy,
    BackupFailed,
    CyclesLow,
    Other,
}

#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub enum AlertSeverity {
    Info,
    Warning,
    Critical,
}

/// What the load balancer or the backup canister reports.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AlertInput {
    pub kind: AlertKind,
    pub severity: AlertSeverity,
    /// The canister the alert is about (the unhealthy shard, the canister whose backup failed).
    pub subject: Option<Principal>,
    pub message: String,
}

/// Characters of an alert's message.
pub const MAX_ALERT_MESSAGE_CHARS: usize = 1_000;

#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertAck {
    pub by: Principal,
    pub at_ns: u64,
}

/// An operator alert. While it is open (not acknowledged), the same kind about the same subject
/// from the same canister is counted into it instead of opening another.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub id: u64,
    pub kind: AlertKind,
    pub severity: AlertSeverity,
    pub subject: Option<Principal>,
    /// The latest message.
    pub message: String,
    pub raised_by: Principal,
    pub first_raised_at_ns: u64,
    pub last_raised_at_ns: u64,
    pub count: u64,
    pub acknowledged: Option<AlertAck>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct AlertQuery {
    pub include_acknowledged: bool,
    /// Continue with alerts older than this id.
    pub cursor: Option<u64>,
    pub limit: Option<u32>,
}

/// Alerts, newest first.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AlertPage {
    pub alerts: Vec<Alert>,
    pub next_cursor: Option<u64>,
}
