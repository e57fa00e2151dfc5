//! Checks of profiles and settings: every rule answers a typed `InvalidInput` naming the field,
//! so bad input changes nothing. Time zones are checked against the same bundled IANA database
//! the calendar and the notification canister expand events with.

use interfaces::calendar::WorkingHours;
use interfaces::user::{
    Profile, Settings, MAX_DEFAULT_REMINDERS, MAX_DISPLAY_NAME_CHARS, MAX_EMAIL_CHARS,
    MAX_REMINDER_MINUTES, MAX_TIME_ZONE_CHARS, MAX_WORKING_RANGES,
};
use interfaces::{Error, InputProblem};
use security_base::limits;

const MINUTES_PER_DAY: u16 = 24 * 60;
/// RFC 5321: the part before the `@`.
const MAX_EMAIL_LOCAL_CHARS: usize = 64;

fn malformed(field: &str, reason: &str) -> Error {
    Error::invalid(
        field,
        InputProblem::Malformed {
            reason: reason.to_string(),
        },
    )
}

pub fn profile(p: &Profile) -> Result<(), Error> {
    limits::non_empty_text(
        "profile.display_name",
        &p.display_name,
        MAX_DISPLAY_NAME_CHARS,
    )?;
    if p.display_name.chars().any(char::is_control) {
        return Err(malformed("profile.display_name", "control characters"));
    }
    if let Some(color) = &p.avatar_color {
        let hex = color.strip_prefix('#').unwrap_or("");
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(malformed("profile.avatar_color", "expected #rrggbb"));
        }
    }
    if let Some(email) = &p.email {
        self::email(email)?;
    }
    Ok(())
}

/// A plausible address: one `@`, a local part and a dotted domain, no spaces. Whether it
/// receives mail is not this canister's to know.
fn email(email: &str) -> Result<(), Error> {
    const FIELD: &str = "profile.email";
    limits::non_empty_text(FIELD, email, MAX_EMAIL_CHARS)?;
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(malformed(FIELD, "spaces or control characters"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(malformed(FIELD, "no @"));
    };
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && domain.split('.').all(|label| !label.is_empty());
    if local.is_empty() || local.chars().count() > MAX_EMAIL_LOCAL_CHARS || !domain_ok {
        return Err(malformed(FIELD, "expected local@domain.tld"));
    }
    Ok(())
}

pub fn settings(s: &Settings) -> Result<(), Error> {
    limits::non_empty_text("settings.time_zone", &s.time_zone, MAX_TIME_ZONE_CHARS)?;
    recurrence::wire::time_zone(&s.time_zone).map_err(|_| {
        malformed(
            "settings.time_zone",
            &format!(
                "unknown time zone `{}` (an IANA name, or a POSIX rule like `<+01>-1`)",
                s.time_zone
            ),
        )
    })?;
    working_hours(&s.working_hours)?;
    limits::count(
        "settings.default_reminders_minutes",
        s.default_reminders_minutes.len(),
        MAX_DEFAULT_REMINDERS,
    )?;
    let mut minutes = s.default_reminders_minutes.clone();
    minutes.sort_unstable();
    if let Some(&too_early) = minutes.last().filter(|m| **m > MAX_REMINDER_MINUTES) {
        return Err(Error::invalid(
            "settings.default_reminders_minutes",
            InputProblem::TooMany {
                max: MAX_REMINDER_MINUTES.into(),
                actual: too_early.into(),
            },
        ));
    }
    if minutes.windows(2).any(|w| w[0] == w[1]) {
        return Err(malformed(
            "settings.default_reminders_minutes",
            "the same reminder twice",
        ));
    }
    Ok(())
}

/// Each range within one day (end exclusive, up to midnight) and no two ranges of the same
/// weekday overlapping.
fn working_hours(ranges: &[WorkingHours]) -> Result<(), Error> {
    const FIELD: &str = "settings.working_hours";
    limits::count(FIELD, ranges.len(), MAX_WORKING_RANGES)?;
    if ranges
        .iter()
        .any(|r| r.start_minute >= r.end_minute || r.end_minute > MINUTES_PER_DAY)
    {
        return Err(malformed(
            FIELD,
            "each range must start before it ends, within one day (minutes 0 to 1440)",
        ));
    }
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| (r.weekday, r.start_minute));
    if sorted
        .windows(2)
        .any(|w| w[0].weekday == w[1].weekday && w[1].start_minute < w[0].end_minute)
    {
        return Err(malformed(FIELD, "ranges of one weekday overlap"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use interfaces::calendar::Weekday;

    fn good_profile() -> Profile {
        Profile {
            display_name: "Ada Lovelace".into(),
            avatar_color: Some("#1a2B3c".into()),
            email: Some("ada@example.org".into()),
        }
    }

    fn field_of(e: Error) -> String {
        match e {
            Error::InvalidInput { field, .. } => field,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn profiles() {
        assert_eq!(profile(&good_profile()), Ok(()));
        let cases = [
            (
                Profile {
                    display_name: " ".into(),
                    ..good_profile()
                },
                "profile.display_name",
            ),
            (
                Profile {
                    display_name: "x".repeat(MAX_DISPLAY_NAME_CHARS + 1),
                    ..good_profile()
                },
                "profile.display_name",
            ),
            (
                Profile {
                    display_name: "a\nb".into(),
                    ..good_profile()
                },
                "profile.display_name",
            ),
            (
                Profile {
                    avatar_color: Some("red".into()),
                    ..good_profile()
                },
                "profile.avatar_color",
            ),
            (
                Profile {
                    avatar_color: Some("#12345g".into()),
                    ..good_profile()
                },
                "profile.avatar_color",
            ),
            (
                Profile {
                    email: Some("ada".into()),
                    ..good_profile()
                },
                "profile.email",
            ),
            (
                Profile {
                    email: Some("@example.org".into()),
                    ..good_profile()
                },
                "profile.email",
            ),
            (
                Profile {
                    email: Some("ada@localhost".into()),
                    ..good_profile()
                },
                "profile.email",
            ),
            (
                Profile {
                    email: Some("ada@ex..org".into()),
                    ..good_profile()
                },
                "profile.email",
            ),
            (
                Profile {
                    email: Some("a b@example.org".into()),
                    ..good_profile()
                },
                "profile.email",
            ),
            (
                Profile {
                    email: Some("a@b@example.org".into()),
                    ..good_profile()
                },
                "profile.email",
            ),
        ];
        for (p, field) in cases {
            assert_eq!(field_of(profile(&p).unwrap_err()), field, "{p:?}");
        }
        let minimal = Profile {
            display_name: "A".into(),
            avatar_color: None,
            email: None,
        };
        assert_eq!(profile(&minimal), Ok(()));
    }

    #[test]
    fn settings_checks_zone_hours_and_reminders() {
        assert_eq!(settings(&Settings::default()), Ok(()));
        let berlin = Settings {
            time_zone: "Europe/Berlin".into(),
            ..Settings::default()
        };
        assert_eq!(settings(&berlin), Ok(()));
        let range = |weekday, start_minute, end_minute| WorkingHours {
            weekday,
            start_minute,
            end_minute,
        };
        let split_day = Settings {
            working_hours: vec![
                range(Weekday::Monday, 13 * 60, 17 * 60),
                range(Weekday::Monday, 8 * 60, 12 * 60),
                range(Weekday::Sunday, 0, 1440),
            ],
            ..Settings::default()
        };
        assert_eq!(settings(&split_day), Ok(()));
        let cases = [
            (
                Settings {
                    time_zone: "Mars/Olympus".into(),
                    ..Settings::default()
                },
                "settings.time_zone",
            ),
            (
                Settings {
                    time_zone: "".into(),
                    ..Settings::default()
                },
                "settings.time_zone",
            ),
            (
                Settings {
                    working_hours: vec![range(Weekday::Monday, 600, 600)],
                    ..Settings::default()
                },
                "settings.working_hours",
            ),
            (
                Settings {
                    working_hours: vec![range(Weekday::Monday, 600, 1441)],
                    ..Settings::default()
                },
                "settings.working_hours",
            ),
            (
                Settings {
                    working_hours: vec![
                        range(Weekday::Friday, 600, 700),
                        range(Weekday::Friday, 650, 800),
                    ],
                    ..Settings::default()
                },
                "settings.working_hours",
            ),
            (
                Settings {
                    working_hours: vec![range(Weekday::Monday, 0, 10); MAX_WORKING_RANGES + 1],
                    ..Settings::default()
                },
                "settings.working_hours",
            ),
            (
                Settings {
                    default_reminders_minutes: vec![10, 10],
                    ..Settings::default()
                },
                "settings.default_reminders_minutes",
            ),
            (
                Settings {
                    default_reminders_minutes: vec![MAX_REMINDER_MINUTES + 1],
                    ..Settings::default()
                },
                "settings.default_reminders_minutes",
            ),
            (
                Settings {
                    default_reminders_minutes: vec![1, 2, 3, 4, 5, 6],
                    ..Settings::default()
                },
                "settings.default_reminders_minutes",
            ),
        ];
        for (s, field) in cases {
            assert_eq!(field_of(settings(&s).unwrap_err()), field, "{s:?}");
        }
    }
}
