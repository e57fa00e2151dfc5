//! Turning parsed `VEVENT`s into events: a master per UID, with the changed instances
//! (`RECURRENCE-ID`) of its series folded in as overrides.

use std::collections::BTreeMap;

use candid::Principal;
use interfaces::calendar::{
    Attendee, Event, EventStatus, EventTime, InstanceChange, InstanceOverride, Recurrence, Role,
    Rsvp, Share, Transparency, Visibility,
};
use interfaces::{Error, InputProblem};
use recurrence::jiff::civil::Date;
use recurrence::wire::{time_zone, to_ns, to_wire_date};

use super::parse::{
    components, duration_ns, is_date, parse_date, parse_instant, trigger_minutes, unescape,
    Component,
};
use super::{malformed, refused, MAX_IMPORT_EVENTS};

/// Parses `text` into events owned by `owner`, not yet checked: the store's write path runs
/// each through the validation gate.
pub fn import(text: &str, owner: Principal, now_ns: u64) -> Result<Vec<Event>, Error> {
    let (components, default_zone) = components(text)?;
    let floating = default_zone.unwrap_or_else(|| "UTC".into());
    let mut masters: BTreeMap<String, Component> = BTreeMap::new();
    let mut changes: Vec<Component> = Vec::new();
    for c in components {
        let uid = c
            .get("UID")
            .map(|p| unescape(&p.value))
            .ok_or_else(|| malformed("VEVENT without UID"))?;
        if c.get("RECURRENCE-ID").is_some() {
            changes.push(c);
        } else if masters.insert(uid.clone(), c).is_some() {
            return Err(malformed(format!("two VEVENTs with UID {uid}")));
        }
    }
    if masters.len() > MAX_IMPORT_EVENTS {
        return Err(refused(InputProblem::TooMany {
            max: MAX_IMPORT_EVENTS as u64,
            actual: masters.len() as u64,
        }));
    }
    let mut events: BTreeMap<String, Event> = BTreeMap::new();
    for (uid, c) in &masters {
        events.insert(uid.clone(), master(uid, c, owner, now_ns, &floating)?);
    }
    for c in changes {
        let uid = unescape(&c.get("UID").expect("checked").value);
        let event = events
            .get_mut(&uid)
            .ok_or_else(|| malformed(format!("RECURRENCE-ID for unknown UID {uid}")))?;
        let change = instance_change(&c, event, &floating)?;
        event.overrides.push(change);
    }
    Ok(events
        .into_values()
        .map(|mut event| {
            event.overrides.sort_by_key(|o| o.original_start_ns);
            event
        })
        .collect())
}

fn master(
    uid: &str,
    c: &Component,
    owner: Principal,
    now_ns: u64,
    floating: &str,
) -> Result<Event, Error> {
    let text = |name: &str| c.get(name).map(|p| unescape(&p.value)).unwrap_or_default();
    let start = c
        .get("DTSTART")
        .ok_or_else(|| malformed(format!("VEVENT {uid} without DTSTART")))?;
    let (time, zone) = if is_date(start) {
        let first = parse_date(&start.value)?;
        let end = match c.get("DTEND") {
            Some(p) => parse_date(&p.value)?,
            None => {
                let days = match c.get("DURATION") {
                    Some(d) => (duration_ns(&d.value)? / (86_400 * 1_000_000_000)).max(1),
                    None => 1,
                };
                first
                    .checked_add(recurrence::jiff::Span::new().days(days as i64))
                    .map_err(|_| malformed("date out of range"))?
            }
        };
        let zone = c
            .get("X-IC-TIMEZONE")
            .map_or_else(|| floating.to_string(), |p| p.value.clone());
        (
            EventTime::AllDay {
                start: to_wire_date(first),
                end: to_wire_date(end),
            },
            zone,
        )
    } else {
        let (start_ns, zone) = parse_instant(start, &start.value, floating)?;
        let end_ns = match (c.get("DTEND"), c.get("DURATION")) {
            (Some(p), _) => parse_instant(p, &p.value, floating)?.0,
            (None, Some(d)) => start_ns + duration_ns(&d.value)?,
            (None, None) => start_ns,
        };
        (EventTime::Timed { start_ns, end_ns }, zone)
    };
    let tz_name = zone.clone();
    let recurrence = match c.get("RRULE") {
        None => None,
        Some(rule) => {
            let mut exdates_ns = Vec::new();
            for p in c.all("EXDATE") {
                for v in p.value.split(',') {
                    exdates_ns.push(if is_date(p) {
                        midnight(&tz_name, parse_date(v)?)?
                    } else {
                        parse_instant(p, v, floating)?.0
                    });
                }
            }
            Some(Recurrence {
                rule: crate::store::normalize_rule(&rule.value),
                exdates_ns,
            })
        }
    };
    let status = match c
        .get("STATUS")
        .map(|p| p.value.to_ascii_uppercase())
        .as_deref()
    {
        Some("TENTATIVE") => EventStatus::Tentative,
        Some("CANCELLED") => EventStatus::Cancelled,
        _ => EventStatus::Confirmed,
    };
    let transparency = match c
        .get("TRANSP")
        .map(|p| p.value.to_ascii_uppercase())
        .as_deref()
    {
        Some("TRANSPARENT") => Transparency::Transparent,
        _ => Transparency::Opaque,
    };
    let mut shares = Vec::new();
    for p in c.all("X-IC-SHARE") {
        shares.push(Share {
            principal: principal(&p.value)?,
            role: match p.param("ROLE") {
                Some("EDITOR") => Role::Editor,
                _ => Role::Viewer,
            },
        });
    }
    let public = c
        .get("CLASS")
        .is_some_and(|p| p.value.eq_ignore_ascii_case("PUBLIC"));
    let visibility = if public {
        Visibility::Public
    } else if !shares.is_empty() {
        Visibility::Shared(shares)
    } else {
        Visibility::Private
    };
    let mut attendees = Vec::new();
    for p in c.all("ATTENDEE") {
        // Only principals can attend on the IC; e-mail attendees have no identity here.
        if let Some(id) = p.value.strip_prefix("urn:ic:") {
            attendees.push(Attendee {
                principal: principal(id)?,
                rsvp: match p.param("PARTSTAT") {
                    Some("ACCEPTED") => Rsvp::Accepted,
                    Some("DECLINED") => Rsvp::Declined,
                    Some("TENTATIVE") => Rsvp::Tentative,
                    _ => Rsvp::NeedsAction,
                },
            });
        }
    }
    let mut reminders_minutes: Vec<u32> = c
        .alarms
        .iter()
        .filter_map(|a| a.iter().find(|p| p.name == "TRIGGER"))
        .filter(|p| p.param("RELATED").is_none_or(|r| r == "START"))
        .filter_map(|p| trigger_minutes(&p.value))
        .collect();
    reminders_minutes.dedup();
    Ok(Event {
        id: 0,
        owner,
        ical_uid: uid.to_string(),
        title: text("SUMMARY"),
        description: text("DESCRIPTION"),
        location: text("LOCATION"),
        time,
        time_zone: zone,
        recurrence,
        overrides: vec![],
        status,
        transparency,
        visibility,
        color: c.get("COLOR").map(|p| p.value.clone()),
        attendees,
        reminders_minutes,
        created_at_ns: now_ns,
        updated_at_ns: now_ns,
        revision: 1,
    })
}

fn principal(text: &str) -> Result<Principal, Error> {
    Principal::from_text(text).map_err(|_| malformed(format!("bad principal `{text}`")))
}

fn midnight(zone: &str, d: Date) -> Result<u64, Error> {
    let tz = time_zone(zone)?;
    let t = d
        .to_zoned(tz)
        .map_err(|_| malformed("date out of range"))?
        .timestamp();
    Ok(to_ns(t))
}

fn instance_change(
    c: &Component,
    master: &Event,
    floating: &str,
) -> Result<InstanceOverride, Error> {
    let rid = c.get("RECURRENCE-ID").expect("only called for changes");
    let original_start_ns = if is_date(rid) {
        midnight(&master.time_zone, parse_date(&rid.value)?)?
    } else {
        parse_instant(rid, &rid.value, floating)?.0
    };
    let cancelled = c
        .get("STATUS")
        .is_some_and(|p| p.value.eq_ignore_ascii_case("CANCELLED"));
    let change = if cancelled {
        InstanceChange::Cancelled
    } else {
        let start = c
            .get("DTSTART")
            .ok_or_else(|| malformed("changed instance without DTSTART"))?;
        let start_ns = if is_date(start) {
            midnight(&master.time_zone, parse_date(&start.value)?)?
        } else {
            parse_instant(start, &start.value, floating)?.0
        };
        let end_ns = match c.get("DTEND") {
            Some(p) if is_date(p) => midnight(&master.time_zone, parse_date(&p.value)?)?,
            Some(p) => parse_instant(p, &p.value, floating)?.0,
            None => start_ns,
        };
        InstanceChange::Moved { start_ns, end_ns }
    };
    Ok(InstanceOverride {
        original_start_ns,
        change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(events: &str) -> String {
        format!("BEGIN:VCALENDAR\r\n{events}END:VCALENDAR\r\n")
    }

    #[test]
    fn broken_calendars_are_refused() {
        assert!(import("BEGIN:VEVENT\r\nEND:VEVENT\r\n", Principal::anonymous(), 0).is_err());
        let no_uid = calendar("BEGIN:VEVENT\r\nDTSTART:20260101T090000Z\r\nEND:VEVENT\r\n");
        assert!(import(&no_uid, Principal::anonymous(), 0).is_err());
        let bad_zone = calendar(
            "BEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=Mars/Base:20260101T090000\r\nEND:VEVENT\r\n",
        );
        assert!(import(&bad_zone, Principal::anonymous(), 0).is_err());
        let twice = "BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260101T090000Z\r\nEND:VEVENT\r\n";
        assert!(import(&calendar(&twice.repeat(2)), Principal::anonymous(), 0).is_err());
        let orphan = "BEGIN:VEVENT\r\nUID:y\r\nRECURRENCE-ID:20260101T090000Z\r\n\
                      DTSTART:20260101T100000Z\r\nEND:VEVENT\r\n";
        assert!(import(&calendar(orphan), Principal::anonymous(), 0).is_err());
    }

    #[test]
    fn a_floating_all_day_series_with_a_moved_instance() {
        let owner = Principal::from_slice(&[1; 29]);
        let text = calendar(
            "X-WR-TIMEZONE:Europe/Berlin\r\n\
             BEGIN:VEVENT\r\nUID:s\r\nSUMMARY:Walk\r\nDTSTART:20260406T090000\r\n\
             DURATION:PT30M\r\nRRULE:FREQ=DAILY;COUNT=3\r\n\
             ATTENDEE;PARTSTAT=ACCEPTED:mailto:someone@example.com\r\n\
             ATTENDEE;PARTSTAT=TENTATIVE:urn:ic:aaaaa-aa\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID:20260407T090000\r\n\
             DTSTART:20260407T100000\r\nDTEND:20260407T103000\r\nEND:VEVENT\r\n",
        );
        let events = import(&text, owner, 42).unwrap();
        let [e] = &events[..] else {
            panic!("one event: {events:?}")
        };
        assert_eq!((e.owner, e.time_zone.as_str()), (owner, "Europe/Berlin"));
        // 09:00 CEST is 07:00 UTC; 30 minutes long.
        let EventTime::Timed { start_ns, end_ns } = e.time else {
            panic!("timed")
        };
        assert_eq!(end_ns - start_ns, 30 * 60 * 1_000_000_000);
        assert_eq!(
            start_ns % (86_400 * 1_000_000_000),
            7 * 3_600 * 1_000_000_000
        );
        // Only IC principals attend.
        assert_eq!(e.attendees.len(), 1);
        assert_eq!(e.attendees[0].rsvp, Rsvp::Tentative);
        let day = 86_400 * 1_000_000_000;
        assert_eq!(
            e.overrides,
            [InstanceOverride {
                original_start_ns: start_ns + day,
                change: InstanceChange::Moved {
                    start_ns: start_ns + day + 3_600 * 1_000_000_000,
                    end_ns: start_ns + day + 5_400 * 1_000_000_000,
                }
            }]
        );
        assert_eq!((e.created_at_ns, e.revision), (42, 1));
    }

    #[test]
    fn too_many_series_are_refused() {
        let one =
            |i| format!("BEGIN:VEVENT\r\nUID:{i}\r\nDTSTART:20260101T090000Z\r\nEND:VEVENT\r\n");
        let text = calendar(&(0..=MAX_IMPORT_EVENTS).map(one).collect::<String>());
        assert!(matches!(
            import(&text, Principal::anonymous(), 0),
            Err(Error::InvalidInput {
                problem: InputProblem::TooMany { .. },
                ..
            })
        ));
    }
}
