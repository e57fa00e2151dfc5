//! Wire types of the calendar shard (`calendar.did`): events, recurrence, sharing, listing,
//! free/busy, booking, iCalendar and metrics.
//!
//! Instants are nanoseconds since the Unix epoch (the unit of `ic0.time`); wall-clock meaning
//! comes from the event's `time_zone`: an IANA name, or a POSIX rule in angle-bracket form
//! (`<+01>-1<+02>,M3.5.0,M10.5.0`, `recurrence::tz::PosixRule`) for a zone only an imported
//! file defined. All-day events use dates, end exclusive.

use candid::{CandidType, Deserialize, Principal};
use serde::Serialize;

pub type EventId = u64;

/// A civil date (proleptic Gregorian).
#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub struct Date {
    pub year: i16,
    pub month: u8,
    pub day: u8,
}

/// When the (first) occurrence happens.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum EventTime {
    /// Instants; the wall-clock start in `time_zone` anchors recurrence.
    Timed { start_ns: u64, end_ns: u64 },
    /// Whole days; `end` is exclusive (a one-day event on 3 May ends on 4 May).
    AllDay { start: Date, end: Date },
}

/// An RRULE (subset, see the README), the original starts it excludes (EXDATE) and the starts
/// of instances it adds (RDATE).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Recurrence {
    /// E.g. `FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10` (a leading `RRULE:` is accepted).
    pub rule: String,
    pub exdates_ns: Vec<u64>,
    /// Starts of extra instances, each as long as the first (RFC 5545 RDATE): not counted by
    /// COUNT, not bounded by UNTIL, removed by an EXDATE; one equal to a rule instance is that
    /// instance. An all-day series' RDATE is the midnight starting its day in the event's zone.
    /// Absent for clients that predate it (the same as none).
    #[serde(default)]
    pub rdates_ns: Option<Vec<u64>>,
}

/// What happened to one occurrence of a recurring event.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceChange {
    Moved { start_ns: u64, end_ns: u64 },
    Cancelled,
}

/// A per-instance exception, keyed by the start the rule gave the instance.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceOverride {
    pub original_start_ns: u64,
    pub change: InstanceChange,
}

/// Everything that decides when an event's occurrences happen: what the notification canister
/// needs to expand reminders on its own.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub time: EventTime,
    pub time_zone: String,
    pub recurrence: Option<Recurrence>,
    pub overrides: Vec<InstanceOverride>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EventStatus {
    #[default]
    Confirmed,
    Tentative,
    Cancelled,
}

/// Whether the event blocks time in free/busy (RFC 5545 TRANSP).
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Transparency {
    #[default]
    Opaque,
    Transparent,
}

#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub enum Role {
    /// May read the event.
    Viewer,
    /// May read and change the event (not delete it, not change who it is shared with).
    Editor,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub principal: Principal,
    pub role: Role,
}

/// Who may read an event besides its owner and attendees.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub enum Visibility {
    #[default]
    Private,
    /// Everyone, the anonymous principal included.
    Public,
    /// The listed principals, each with a role.
    Shared(Vec<Share>),
}

#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Rsvp {
    #[default]
    NeedsAction,
    Accepted,
    Declined,
    Tentative,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attendee {
    pub principal: Principal,
    pub rsvp: Rsvp,
}

/// An attendee's answer for one occurrence of a series, where it differs from their answer for
/// the whole series (`rsvp_occurrence`). Keyed by the start the rule gave the occurrence, as
/// instance changes are.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OccurrenceRsvp {
    pub principal: Principal,
    pub original_start_ns: u64,
    pub rsvp: Rsvp,
}

/// An attendee's own reminders for an event they attend (`set_attendee_reminders`): minutes
/// before each occurrence they accepted, in place of the organizer's `reminders_minutes`.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AttendeeReminders {
    pub principal: Principal,
    pub reminders_minutes: Vec<u32>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    pub owner: Principal,
    /// RFC 5545 UID: kept from an import, else `<id>@<shard>`.
    pub ical_uid: String,
    pub title: String,
    pub description: String,
    pub location: String,
    pub time: EventTime,
    pub time_zone: String,
    pub recurrence: Option<Recurrence>,
    pub overrides: Vec<InstanceOverride>,
    pub status: EventStatus,
    pub transparency: Transparency,
    pub visibility: Visibility,
    /// `#rrggbb`.
    pub color: Option<String>,
    pub attendees: Vec<Attendee>,
    /// Attendees' answers for single occurrences of a series, where they differ from their
    /// answer for the series (absent when there is none).
    pub occurrence_rsvps: Option<Vec<OccurrenceRsvp>>,
    /// Minutes before each occurrence's start.
    pub reminders_minutes: Vec<u32>,
    /// Attendees' own reminders, which replace `reminders_minutes` for them (absent when there
    /// is none).
    pub attendee_reminders: Option<Vec<AttendeeReminders>>,
    pub created_at_ns: u64,
    pub updated_at_ns: u64,
    /// Starts at 1 and moves on every change; updates name the revision they were made from.
    pub revision: u64,
}

impl Event {
    /// The attendees' answers for single occurrences (none when absent).
    pub fn occurrence_answers(&self) -> &[OccurrenceRsvp] {
        self.occurrence_rsvps.as_deref().unwrap_or_default()
    }

    /// The attendees' own reminders (none when absent).
    pub fn own_reminders(&self) -> &[AttendeeReminders] {
        self.attendee_reminders.as_deref().unwrap_or_default()
    }

    /// `who`'s own reminders, if they chose any.
    pub fn own_reminders_of(&self, who: &Principal) -> Option<&[u32]> {
        self.own_reminders()
            .iter()
            .find(|r| r.principal == *who)
            .map(|r| r.reminders_minutes.as_slice())
    }

    pub fn schedule(&self) -> Schedule {
        Schedule {
            time: self.time.clone(),
            time_zone: self.time_zone.clone(),
            recurrence: self.recurrence.clone(),
            overrides: self.overrides.clone(),
        }
    }
}

/// A new event; absent options take the defaults shown on [`Event`].
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct EventInput {
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub time: EventTime,
    pub time_zone: String,
    pub recurrence: Option<Recurrence>,
    pub status: Option<EventStatus>,
    pub transparency: Option<Transparency>,
    pub visibility: Option<Visibility>,
    pub color: Option<String>,
    pub attendees: Option<Vec<Principal>>,
    pub reminders_minutes: Option<Vec<u32>>,
}

impl EventInput {
    /// A timed, private, non-recurring event with every option left to its default.
    pub fn timed(title: &str, start_ns: u64, end_ns: u64, time_zone: &str) -> Self {
        Self {
            title: title.to_string(),
            description: None,
            location: None,
            time: EventTime::Timed { start_ns, end_ns },
            time_zone: time_zone.to_string(),
            recurrence: None,
            status: None,
            transparency: None,
            visibility: None,
            color: None,
            attendees: None,
            reminders_minutes: None,
        }
    }
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum RecurrenceChange {
    Set(Recurrence),
    Remove,
}

/// A partial update: absent fields stay as they are. `color = ""` clears the color. New
/// attendees start at `NeedsAction`; attendees already invited keep their answer.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct EventPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    pub time: Option<EventTime>,
    pub time_zone: Option<String>,
    pub recurrence: Option<RecurrenceChange>,
    pub status: Option<EventStatus>,
    pub transparency: Option<Transparency>,
    pub visibility: Option<Visibility>,
    pub color: Option<String>,
    pub attendees: Option<Vec<Principal>>,
    pub reminders_minutes: Option<Vec<u32>>,
}

/// Change one occurrence of a recurring event; `Restored` removes an earlier change.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceEdit {
    Moved { start_ns: u64, end_ns: u64 },
    Cancelled,
    Restored,
}

/// The two halves of a "this and following" edit.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SplitOutcome {
    /// The original event, now ending before the split point.
    pub before: Event,
    /// A new event from the split point on, with the patch applied.
    pub after: Event,
}

/// Continue a listing after this occurrence (exclusive).
#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub struct ListCursor {
    pub start_ns: u64,
    pub event_id: EventId,
    pub original_start_ns: u64,
    /// The organizer's shard when the occurrence is an invitation (absent for the listed
    /// calendar's own events, which come first among equal keys).
    pub organizer_shard: Option<Principal>,
}

/// Occurrences of `owner`'s events (the caller's when absent) overlapping `[from_ns, to_ns)`
/// that the caller may read.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ListRequest {
    pub owner: Option<Principal>,
    pub from_ns: u64,
    pub to_ns: u64,
    pub cursor: Option<ListCursor>,
    pub limit: Option<u32>,
    /// Also list invitations the caller declined (left out when absent or false).
    pub include_declined: Option<bool>,
}

/// One occurrence; its event is in [`EventPage::events`], or, when `invited` is set, its
/// invitation is in [`EventPage::invitations`].
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub event_id: EventId,
    pub original_start_ns: u64,
    pub start_ns: u64,
    pub end_ns: u64,
    pub overridden: bool,
    /// Set when the caller is invited to the event rather than organizing it (only in a
    /// listing of the caller's own calendar).
    pub invited: Option<Invited>,
}

/// How the caller takes part in an occurrence of an event another user organizes.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invited {
    /// The organizer's shard: with the event id it names the invitation.
    pub organizer_shard: Principal,
    /// The caller's answer.
    pub rsvp: Rsvp,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct EventPage {
    /// In (start, event id, original start, organizer shard) order.
    pub occurrences: Vec<Occurrence>,
    /// Each event of the listed calendar referenced on this page, once.
    pub events: Vec<Event>,
    pub next_cursor: Option<ListCursor>,
    /// Each invitation referenced on this page, once (absent when there is none).
    pub invitations: Option<Vec<crate::invitation::Invitation>>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FreeBusyRequest {
    pub user: Principal,
    pub from_ns: u64,
    pub to_ns: u64,
}

/// Who may see a user's busy times (`free_busy`, `team_free_busy`). Booking pages do not
/// depend on it: a host's booking policy offers free slots to every signed-in user.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FreeBusyAudience {
    /// Nobody but the user.
    Nobody,
    /// People the user shares an event with or invites to one (the default).
    #[default]
    Contacts,
    /// Every signed-in user.
    SignedIn,
}

/// People whose free/busy `team_free_busy` answers at once, whichever shards they live on.
pub const MAX_TEAM: usize = 20;

/// Free/busy of up to [`MAX_TEAM`] people over one range (`team_free_busy`).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TeamFreeBusyRequest {
    pub users: Vec<Principal>,
    pub from_ns: u64,
    pub to_ns: u64,
}

/// One person's merged busy time, or why it could not be had (no calendar, their shard did not
/// answer); one person's error does not fail the others.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PersonBusy {
    pub user: Principal,
    pub busy: Result<Vec<BusyBlock>, crate::Error>,
}

/// A merged busy interval; no details of the events behind it.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusyBlock {
    pub start_ns: u64,
    pub end_ns: u64,
}

#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// One working range on one weekday, in minutes after local midnight (end exclusive).
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkingHours {
    pub weekday: Weekday,
    pub start_minute: u16,
    pub end_minute: u16,
}

/// How others may book time with a host (the driving-school scheduling rules).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BookingPolicy {
    pub time_zone: String,
    pub working_hours: Vec<WorkingHours>,
    pub slot_minutes: u32,
    /// Slot starts are on this grid from the start of each working range.
    pub step_minutes: u32,
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    pub min_notice_minutes: u32,
    /// How far ahead slots may be booked.
    pub horizon_days: u32,
    /// Title of the events bookings create.
    pub booking_title: String,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SlotRequest {
    pub host: Principal,
    pub from_ns: u64,
    pub to_ns: u64,
    pub limit: Option<u32>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub start_ns: u64,
    pub end_ns: u64,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BookingRequest {
    pub host: Principal,
    pub start_ns: u64,
    pub note: Option<String>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcsExportRequest {
    /// Continue after this event id.
    pub cursor: Option<EventId>,
    pub limit: Option<u32>,
}

/// One page of the caller's events as a complete `VCALENDAR`.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct IcsPage {
    pub ics: String,
    pub events: u32,
    pub next_cursor: Option<EventId>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct IcsImportReport {
    pub created: u32,
    /// Events whose UID the caller already had: replaced.
    pub updated: u32,
    /// Events the file has that were not imported (each says why in `events`).
    pub skipped: Option<u32>,
    /// One entry per event of the file (per UID): the series in file order, then duplicates
    /// and changed instances without their series.
    pub events: Option<Vec<IcsEventReport>>,
}

/// How to import a file (`import_ics`'s optional second argument).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct IcsImportOptions {
    /// Refuse the whole file when any event cannot be imported (the behaviour before the
    /// per-event report). Default: import what can be, skip the rest.
    pub all_or_nothing: Option<bool>,
    /// The IANA zone floating times (no `Z`, no `TZID`) are read in: the importer's own zone
    /// from their settings. Without it, the file's `X-WR-TIMEZONE`, then UTC.
    pub floating_time_zone: Option<String>,
}

/// What an import did with one event of the file.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct IcsEventReport {
    pub uid: String,
    pub outcome: IcsEventOutcome,
    /// Properties (or parameters) of the event the calendar could not keep, as
    /// `NAME: why`; empty when everything was kept.
    pub not_kept: Vec<String>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum IcsEventOutcome {
    Created {
        id: EventId,
    },
    /// The caller had an event with this UID: it was replaced.
    Updated {
        id: EventId,
    },
    Skipped {
        reason: IcsSkipReason,
    },
}

/// Why an event of an imported file was not imported.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum IcsSkipReason {
    /// A `VEVENT` without `DTSTART`.
    NoStart,
    /// A second `VEVENT` with the same UID and no `RECURRENCE-ID`.
    DuplicateUid,
    /// Only changed instances (`RECURRENCE-ID`) of a series the file does not have.
    SeriesNotInFile,
    /// A timed start before 1970-01-01 (instants are unsigned nanoseconds since 1970).
    BeforeEpoch,
    /// A value that could not be read.
    Unreadable { property: String, reason: String },
    /// The event was read but the calendar refused it (a limit or rule broken).
    Refused { error: crate::Error },
    /// Not looked at: the import was all-or-nothing and another event failed, or the file
    /// has more events than one import may carry.
    NotAttempted,
}

/// Calls, errors and instructions (`ic0.performance_counter`) of one update method since the
/// code started.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MethodMetrics {
    pub method: String,
    pub calls: u64,
    pub errors: u64,
    pub instructions_total: u64,
    pub instructions_max: u64,
    pub instructions_last: u64,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CalendarMetrics {
    pub events: u64,
    pub recurring_events: u64,
    pub users: u64,
    /// Moves on every change of stored data; backups skip a shard whose version did not move.
    pub data_version: u64,
    pub stable_memory_bytes: u64,
    pub heap_memory_bytes: u64,
    /// Reminder updates waiting for the notification canister.
    pub reminder_outbox: u64,
    pub methods: Vec<MethodMetrics>,
}

/// Quotas a controller may tune.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalendarConfig {
    pub max_events_per_user: u32,
    /// Update calls per user per minute (a token bucket; bursts up to this many).
    pub writes_per_minute: u32,
}

/// What one `delete_user_data` call of a group member removed. Each call removes a bounded
/// batch, so no amount of data (anyone may invite anyone) can make deletion exceed a message;
/// `done` is false while more is left, and the caller calls again.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeletedData {
    pub items: u64,
    pub done: bool,
}

/// Records one `delete_user_data` call removes at most.
pub const MAX_DELETIONS_PER_CALL: u64 = 500;
