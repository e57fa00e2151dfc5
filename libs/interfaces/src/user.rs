//! Wire types of the user registry (`user_registry.did`): profiles, settings, each user's
//! calendar shard, account deletion and the data export.
//!
//! Updates replace the whole profile or the whole settings record (read, edit, write back), so
//! a client never has to know which fields another client added.

use candid::{CandidType, Deserialize, Principal};
use serde::Serialize;

use crate::calendar::{Weekday, WorkingHours};
use crate::health::CanisterKind;

/// Characters of a display name.
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;
/// Characters of an email address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Characters of a time-zone name (the longest IANA name is 32).
pub const MAX_TIME_ZONE_CHARS: usize = 64;
/// Working ranges over the whole week.
pub const MAX_WORKING_RANGES: usize = 28;
/// Entries of `default_reminders_minutes`.
pub const MAX_DEFAULT_REMINDERS: usize = 5;
/// The earliest default reminder: four weeks before.
pub const MAX_REMINDER_MINUTES: u32 = 4 * 7 * 24 * 60;

/// A user's profile; only the user themself can read it.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub display_name: String,
    /// `#rrggbb`.
    pub avatar_color: Option<String>,
    pub email: Option<String>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CalendarView {
    Month,
    #[default]
    Week,
    Day,
    Agenda,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// IANA name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub week_start: Weekday,
    /// Ranges in minutes after local midnight; ranges of one weekday may not overlap.
    pub working_hours: Vec<WorkingHours>,
    /// Reminders new events get, in minutes before their start.
    pub default_reminders_minutes: Vec<u32>,
    pub default_view: CalendarView,
    pub theme: Theme,
}

impl Default for Settings {
    /// UTC, weeks from Monday, 09:00-17:00 Monday to Friday, a reminder 10 minutes before.
    fn default() -> Self {
        Settings {
            time_zone: "UTC".into(),
            week_start: Weekday::Monday,
            working_hours: [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ]
            .into_iter()
            .map(|weekday| WorkingHours {
                weekday,
                start_minute: 9 * 60,
                end_minute: 17 * 60,
            })
            .collect(),
            default_reminders_minutes: vec![10],
            default_view: CalendarView::default(),
            theme: Theme::default(),
        }
    }
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegisterRequest {
    pub profile: Profile,
    /// Absent: [`Settings::default`].
    pub settings: Option<Settings>,
}

/// The user's calendar shard: asked of the load balancer at registration, then remembered.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum ShardAssignment {
    /// Not known yet: the request is retried from an outbox (the load balancer may not exist
    /// yet, or did not answer).
    Pending {
        attempts: u32,
        last_error: Option<String>,
        next_attempt_ns: u64,
    },
    Assigned(Principal),
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct UserAccount {
    pub user: Principal,
    pub profile: Profile,
    pub settings: Settings,
    pub shard: ShardAssignment,
    pub registered_at_ns: u64,
    pub updated_at_ns: u64,
}

/// One canister that holds the user's data, and whether it has deleted it.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeletionStep {
    pub canister: Principal,
    pub kind: CanisterKind,
    /// When the canister confirmed the deletion, and how many items it removed.
    pub done_at_ns: Option<u64>,
    pub items_deleted: Option<u64>,
    pub attempts: u32,
    pub last_error: Option<String>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum DeletionState {
    /// The profile is gone; the registry is being asked which canisters may hold the user's data.
    FindingCanisters {
        attempts: u32,
        last_error: Option<String>,
    },
    /// Each step is retried until its canister confirms.
    Deleting,
    /// Every canister confirmed. This record itself is forgotten a day later.
    Complete { at_ns: u64 },
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeletionStatus {
    pub requested_at_ns: u64,
    pub state: DeletionState,
    pub steps: Vec<DeletionStep>,
}

/// Everything the user registry stores about the caller, as one document.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct UserDataExport {
    pub user: Principal,
    pub exported_at_ns: u64,
    /// Absent when the caller has no account (never registered, or deleted).
    pub account: Option<UserAccount>,
    pub deletion: Option<DeletionStatus>,
}

/// Counts only: nothing here names a user.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct UserRegistryStats {
    pub users: u64,
    pub shards_pending: u64,
    pub deletions_in_progress: u64,
    /// Calls waiting in the outbox (shard requests and deletion steps), failed ones included.
    pub outbox_pending: u64,
}
