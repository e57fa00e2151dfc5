//! A user's stored record: profile, settings, times and shard, in this canister's own types.
//!
//! Stored `Compact` (postcard: no field names, enums as their variant's position), so the order
//! of fields and of enum variants here IS the stored layout: changing either is a new layout
//! version with a migration in `layout.rs`. The wire types convert to and from these at the
//! boundary (`From` both ways), after validation.

use candid::Principal;
use interfaces::calendar::{Weekday, WorkingHours};
use interfaces::user::{CalendarView, Profile, Settings, Theme};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub profile: StoredProfile,
    pub settings: StoredSettings,
    pub registered_at_ns: u64,
    pub updated_at_ns: u64,
    pub shard: Option<Principal>,
    /// The outbox item asking for the shard, while it is pending.
    pub shard_request: Option<u64>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StoredProfile {
    pub display_name: String,
    pub avatar_color: Option<String>,
    pub email: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StoredSettings {
    pub time_zone: String,
    pub week_start: Day,
    /// `(weekday, start minute, end minute)` after local midnight.
    pub working_hours: Vec<(Day, u16, u16)>,
    pub default_reminders_minutes: Vec<u32>,
    pub default_view: View,
    pub theme: Look,
}

/// A weekday, in the stored order.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// The calendar view the app opens with, in the stored order.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Month,
    Week,
    Day,
    Agenda,
}

/// The app's colour scheme, in the stored order.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Look {
    System,
    Light,
    Dark,
}

impl From<Profile> for StoredProfile {
    fn from(p: Profile) -> Self {
        StoredProfile {
            display_name: p.display_name,
            avatar_color: p.avatar_color,
            email: p.email,
        }
    }
}

impl From<StoredProfile> for Profile {
    fn from(p: StoredProfile) -> Self {
        Profile {
            display_name: p.display_name,
            avatar_color: p.avatar_color,
            email: p.email,
        }
    }
}

impl From<Settings> for StoredSettings {
    fn from(s: Settings) -> Self {
        StoredSettings {
            time_zone: s.time_zone,
            week_start: s.week_start.into(),
            working_hours: s
                .working_hours
                .into_iter()
                .map(|h| (h.weekday.into(), h.start_minute, h.end_minute))
                .collect(),
            default_reminders_minutes: s.default_reminders_minutes,
            default_view: s.default_view.into(),
            theme: s.theme.into(),
        }
    }
}

impl From<StoredSettings> for Settings {
    fn from(s: StoredSettings) -> Self {
        Settings {
            time_zone: s.time_zone,
            week_start: s.week_start.into(),
            working_hours: s
                .working_hours
                .into_iter()
                .map(|(day, start_minute, end_minute)| WorkingHours {
                    weekday: day.into(),
                    start_minute,
                    end_minute,
                })
                .collect(),
            default_reminders_minutes: s.default_reminders_minutes,
            default_view: s.default_view.into(),
            theme: s.theme.into(),
        }
    }
}

canister_kit::same_variants!(Weekday <-> Day: Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday);
canister_kit::same_variants!(CalendarView <-> View: Month, Week, Day, Agenda);
canister_kit::same_variants!(Theme <-> Look: System, Light, Dark);

#[cfg(test)]
mod tests {
    use super::*;
    use canister_kit::stored::{Candid, Compact};
    use ic_stable_structures::Storable;
    use std::borrow::Cow;

    fn settings() -> Settings {
        Settings {
            time_zone: "Europe/Berlin".into(),
            week_start: Weekday::Sunday,
            working_hours: vec![WorkingHours {
                weekday: Weekday::Saturday,
                start_minute: 480,
                end_minute: 720,
            }],
            default_reminders_minutes: vec![5, 60],
            default_view: CalendarView::Agenda,
            theme: Theme::Dark,
        }
    }

    #[test]
    fn the_wire_types_round_trip_through_the_stored_ones() {
        let s = settings();
        assert_eq!(Settings::from(StoredSettings::from(s.clone())), s);
        let p = Profile {
            display_name: "Ada".into(),
            avatar_color: Some("#112233".into()),
            email: None,
        };
        assert_eq!(Profile::from(StoredProfile::from(p.clone())), p);
    }

    #[test]
    fn a_record_reads_back_and_is_smaller_than_candid() {
        let record = UserRecord {
            profile: StoredProfile {
                display_name: "Ada".into(),
                avatar_color: None,
                email: Some("ada@example.org".into()),
            },
            settings: settings().into(),
            registered_at_ns: 1,
            updated_at_ns: 2,
            shard: Some(Principal::from_slice(&[1; 10])),
            shard_request: None,
        };
        let bytes = Compact(record.clone()).into_bytes();
        assert_eq!(
            Compact::<UserRecord>::from_bytes(Cow::Borrowed(&bytes)).0,
            record
        );
        let wire = (
            Profile::from(record.profile.clone()),
            Settings::from(record.settings),
        );
        assert!(bytes.len() < Candid(wire).into_bytes().len());
    }
}
