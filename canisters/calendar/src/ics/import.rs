//! Turning a parsed calendar into events, one at a time: a master per UID with the changed
//! instances (`RECURRENCE-ID`) of its series folded in as overrides, and what the model cannot
//! hold kept verbatim as [`IcsExtras`]. An event that cannot be read is skipped with a typed
//! reason; the others go on. What the calendar could not keep is named per event.

use std::collections::BTreeMap;

use candid::Principal;
use interfaces::calendar::{
    Attendee, Event, EventStatus, EventTime, IcsSkipReason, Recurrence, Role, Rsvp, Share,
    Transparency, Visibility,
};
use interfaces::{Error, InputProblem};
use recurrence::jiff::civil::Date;
use recurrence::jiff::tz::TimeZone;
use recurrence::jiff::Span;
use recurrence::wire::to_wire_date;
use sha2::{Digest, Sha256};

use super::instances::{drop_non_instances, instance};
use super::parse::{calendar, unescape, Component, Prop};
use super::series::{rdates, rebase, Moved};
use super::values::{
    duration_ns, epoch_ns, is_date, parse_date, trigger_minutes, unreadable, Times, Zone,
};
use super::{colors, refused, MAX_IMPORT_EVENTS};
use crate::model::ics_extras::IcsExtras;

/// The title stored for an event whose file has no `SUMMARY` (export leaves it out again).
pub const NO_TITLE: &str = "(no title)";

/// Properties every export writes afresh (stamps and the calendar's own revision).
pub(super) const REGENERATED: [&str; 4] = ["DTSTAMP", "CREATED", "LAST-MODIFIED", "SEQUENCE"];

/// One event of the file as read.
pub struct Read {
    pub uid: String,
    pub result: Result<(Event, IcsExtras), IcsSkipReason>,
    pub not_kept: Vec<String>,
}

/// Reads `text` into events owned by `owner`, not yet checked: the store's write path runs
/// each through the validation gate. Only a file that is not iCalendar at all (or has more
/// events than one import may carry) is refused whole.
pub fn read(
    text: &str,
    owner: Principal,
    now_ns: u64,
    floating: Option<&str>,
) -> Result<Vec<Read>, Error> {
    let cal = calendar(text)?;
    // Floating times: the importer's zone, else the file's `X-WR-TIMEZONE`, else UTC.
    let mut times = Times::new(&cal.zones, "UTC".into());
    let floating = match (floating, &cal.calendar_zone) {
        (Some(zone), _) => zone.to_string(),
        (None, Some(zone)) => match times.zone(zone) {
            Ok((Zone::Named(name), _)) => name,
            _ => "UTC".into(),
        },
        (None, None) => "UTC".into(),
    };
    times.floating = floating;

    let mut masters: Vec<(String, Component)> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut changes: BTreeMap<String, Vec<Component>> = BTreeMap::new();
    let mut out = Vec::new();
    for c in cal.events {
        let (uid, generated) = match c.get("UID") {
            Some(p) if !p.value.trim().is_empty() => (unescape(p.value.trim()), false),
            _ => (generated_uid(&c), true),
        };
        if c.get("RECURRENCE-ID").is_some() {
            changes.entry(uid).or_default().push(c);
        } else if index.contains_key(&uid) {
            out.push(Read {
                uid,
                result: Err(IcsSkipReason::DuplicateUid),
                not_kept: vec![],
            });
        } else {
            index.insert(uid.clone(), masters.len());
            let mut c = c;
            if generated {
                // Marked so the report says so; export writes the generated UID.
                c.props.push(marker("X-IC-GENERATED-UID"));
            }
            masters.push((uid, c));
        }
    }
    if masters.len() > MAX_IMPORT_EVENTS {
        return Err(refused(InputProblem::TooMany {
            max: MAX_IMPORT_EVENTS as u64,
            actual: masters.len() as u64,
        }));
    }
    for (uid, c) in masters {
        let changed = changes.remove(&uid).unwrap_or_default();
        let mut not_kept = Vec::new();
        let result = master(&uid, &c, &changed, owner, now_ns, &mut times, &mut not_kept);
        out.push(Read {
            uid,
            result,
            not_kept,
        });
    }
    for uid in changes.into_keys() {
        out.push(Read {
            uid,
            result: Err(IcsSkipReason::SeriesNotInFile),
            not_kept: vec![],
        });
    }
    Ok(out)
}

fn marker(name: &str) -> Prop {
    super::parse::content_lines(&format!("{name}:1"))
        .expect("a marker line parses")
        .remove(0)
}

/// A UID for an event the file gave none: the same content gets the same UID, so importing the
/// file again updates instead of adding.
fn generated_uid(c: &Component) -> String {
    let mut hash = Sha256::new();
    for p in &c.props {
        hash.update(p.raw.as_bytes());
        hash.update(b"\n");
    }
    let digest = hash.finalize();
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}@import.icp-calendar")
}

/// How an event's first occurrence is timed, with what its overrides and EXDATEs need.
pub(super) struct Timing {
    pub(super) time: EventTime,
    pub(super) zone: String,
    /// The zone DTSTART was read in (a file-defined zone stays exact here).
    pub(super) tz: TimeZone,
    pub(super) length_ns: u64,
    /// Wall time of DTSTART, for `VALUE=DATE` EXDATEs and RECURRENCE-IDs on a timed series.
    pub(super) start_wall: Option<recurrence::jiff::civil::Time>,
    /// A series that started before 1970, moved to its first instance from 1970 on.
    pub(super) moved: Option<Moved>,
}

fn timing(
    c: &Component,
    times: &mut Times,
    not_kept: &mut Vec<String>,
) -> Result<Timing, IcsSkipReason> {
    let start = c.get("DTSTART").ok_or(IcsSkipReason::NoStart)?;
    if is_date(start) {
        let first = parse_date("DTSTART", &start.value)?;
        let end = match (c.get("DTEND"), c.get("DURATION")) {
            (Some(p), _) => parse_date("DTEND", p.value.get(..8).unwrap_or(&p.value))?,
            (None, Some(d)) => {
                let days = (duration_ns(&d.value)? / (86_400 * 1_000_000_000)).max(1);
                add_days(first, days as i64)?
            }
            (None, None) => add_days(first, 1)?,
        };
        let end = if end <= first {
            add_days(first, 1)?
        } else {
            end
        };
        let zone = match c.get("X-IC-TIMEZONE") {
            Some(p) => match times.zone(&unescape(p.value.trim())) {
                Ok((Zone::Named(name), _)) => name,
                _ => times.floating.clone(),
            },
            None => times.floating.clone(),
        };
        let tz = times.zone(&zone)?.1;
        let length_ns = (end - first).get_days().max(1) as u64 * 86_400 * 1_000_000_000;
        return Ok(Timing {
            time: EventTime::AllDay {
                start: to_wire_date(first),
                end: to_wire_date(end),
            },
            zone,
            tz,
            length_ns,
            start_wall: None,
            moved: None,
        });
    }
    let (t, zone) = times.instant(start, &start.value)?;
    let tz = match &zone {
        Zone::Utc => TimeZone::UTC,
        _ => times.zone_of(start)?.1,
    };
    let zone = times.for_start(zone, t, &tz);
    match &zone {
        Zone::Custom {
            tzid,
            twin: Some(twin),
            ..
        } => not_kept.push(format!(
            "TZID={tzid}: a zone only this file defines; its rules are {twin}'s, so the event \
             is stored in {twin}"
        )),
        Zone::Custom {
            tzid,
            rule: Some(rule),
            ..
        } => not_kept.push(format!(
            "TZID={tzid}: a zone only this file defines; the event is stored in the POSIX rule \
             it follows, {}",
            rule.rule
        )),
        Zone::Custom { tzid, .. } => not_kept.push(format!(
            "TZID={tzid}: a zone only this file defines; times kept exact, in UTC"
        )),
        Zone::Unknown { tzid, floating } => not_kept.push(format!(
            "TZID={tzid}: no such zone and no VTIMEZONE; read as floating time in {floating}"
        )),
        _ => {}
    }
    // The length from the instants themselves: a series from before 1970 keeps it.
    let from = t.as_nanosecond();
    let end = match (c.get("DTEND"), c.get("DURATION")) {
        (Some(p), _) if is_date(p) => from,
        (Some(p), _) => times.instant(p, &p.value)?.0.as_nanosecond(),
        (None, Some(d)) => from.saturating_add(i128::from(duration_ns(&d.value)?)),
        (None, None) => from,
    }
    .max(from);
    let length_ns = u64::try_from(end - from)
        .map_err(|_| unreadable("DURATION", "ends after the year 2554"))?;
    let (start_ns, moved) = match epoch_ns(t) {
        Ok(ns) => (ns, None),
        Err(IcsSkipReason::BeforeEpoch) => {
            let moved = rebase(c, t, length_ns, zone.stored_name())?;
            (moved.start_ns, Some(moved))
        }
        Err(e) => return Err(e),
    };
    let end_ns = add_ns(start_ns, length_ns)?;
    Ok(Timing {
        time: EventTime::Timed { start_ns, end_ns },
        zone: zone.stored_name().to_string(),
        start_wall: Some(tz.to_datetime(t).time()),
        tz,
        length_ns,
        moved,
    })
}

pub(super) fn add_ns(start_ns: u64, length_ns: u64) -> Result<u64, IcsSkipReason> {
    start_ns
        .checked_add(length_ns)
        .ok_or_else(|| unreadable("DURATION", "ends after the year 2554"))
}

fn add_days(d: Date, days: i64) -> Result<Date, IcsSkipReason> {
    d.checked_add(Span::new().days(days))
        .map_err(|e| unreadable("DTEND", e.to_string()))
}

/// The instant an EXDATE or RECURRENCE-ID value names: a date on a timed series is that day
/// at DTSTART's wall time; on an all-day series, midnight in the event's zone.
fn original(
    p: &Prop,
    value: &str,
    timing: &Timing,
    times: &mut Times,
) -> Result<u64, IcsSkipReason> {
    if is_date(p) {
        let d = parse_date(&p.name, value)?;
        let wall = d.to_datetime(timing.start_wall.unwrap_or_default());
        let t = recurrence::tz::wall_to_instant(&timing.tz, wall)
            .map_err(|e| unreadable(&p.name, e.to_string()))?;
        return epoch_ns(t);
    }
    epoch_ns(times.instant(p, value)?.0)
}

fn master(
    uid: &str,
    c: &Component,
    changes: &[Component],
    owner: Principal,
    now_ns: u64,
    times: &mut Times,
    not_kept: &mut Vec<String>,
) -> Result<(Event, IcsExtras), IcsSkipReason> {
    let timing = timing(c, times, not_kept)?;
    let mut extras = IcsExtras::default();
    let mut event = Event {
        id: 0,
        owner,
        ical_uid: uid.to_string(),
        title: String::new(),
        description: String::new(),
        location: String::new(),
        time: timing.time.clone(),
        time_zone: timing.zone.clone(),
        recurrence: None,
        overrides: vec![],
        status: EventStatus::Confirmed,
        transparency: Transparency::Opaque,
        visibility: Visibility::Private,
        color: None,
        attendees: vec![],
        occurrence_rsvps: None,
        attendee_reminders: None,
        reminders_minutes: vec![],
        created_at_ns: now_ns,
        updated_at_ns: now_ns,
        revision: 1,
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut exdates = Vec::new();
    let mut rdate_lines = Vec::new();
    let mut shares = Vec::new();
    let mut public = false;
    for p in &c.props {
        let first = seen.insert(p.name.clone());
        let kept = match p.name.as_str() {
            "UID" | "DTSTART" | "DTEND" | "DURATION" | "X-IC-TIMEZONE" if first => true,
            "X-IC-GENERATED-UID" => {
                not_kept.push("UID: none in the file; one was made from its content".into());
                true
            }
            name if REGENERATED.contains(&name) => true,
            "" => {
                let line: String = p.raw.chars().take(60).collect();
                not_kept.push(format!("{line}: a line without ':'"));
                true
            }
            "SUMMARY" | "DESCRIPTION" | "LOCATION" if first => {
                let text = unescape(&p.value);
                match p.name.as_str() {
                    "SUMMARY" => event.title = text,
                    "DESCRIPTION" => event.description = text,
                    _ => event.location = text,
                }
                if p.has_params() {
                    not_kept.push(format!("{}: its parameters", p.name));
                }
                true
            }
            "RRULE" if first => {
                event.recurrence = Some(Recurrence {
                    rule: crate::store::normalize_rule(&p.value),
                    exdates_ns: vec![],
                    rdates_ns: None,
                });
                true
            }
            "EXDATE" => {
                for v in p.value.split(',').filter(|v| !v.trim().is_empty()) {
                    match original(p, v, &timing, times) {
                        Ok(ns) => exdates.push(ns),
                        Err(IcsSkipReason::BeforeEpoch) => {
                            not_kept.push(format!("EXDATE {v}: before 1970"))
                        }
                        Err(e) => return Err(e),
                    }
                }
                true
            }
            "RDATE" => {
                rdate_lines.push(p);
                true
            }
            "STATUS" if first => match p.value.trim().to_ascii_uppercase().as_str() {
                "CONFIRMED" => true,
                "TENTATIVE" => {
                    event.status = EventStatus::Tentative;
                    true
                }
                "CANCELLED" => {
                    event.status = EventStatus::Cancelled;
                    true
                }
                _ => false,
            },
            "TRANSP" if first => {
                if p.value.trim().eq_ignore_ascii_case("TRANSPARENT") {
                    event.transparency = Transparency::Transparent;
                }
                true
            }
            "CLASS" if first => match p.value.trim().to_ascii_uppercase().as_str() {
                "PUBLIC" => {
                    public = true;
                    true
                }
                "PRIVATE" => true,
                _ => false,
            },
            "X-IC-SHARE" => match Principal::from_text(p.value.trim()) {
                Ok(principal) => {
                    let role = match p.param("ROLE") {
                        Some("EDITOR") => Role::Editor,
                        _ => Role::Viewer,
                    };
                    shares.push(Share { principal, role });
                    true
                }
                Err(_) => false,
            },
            "X-IC-COLOR" => {
                event.color = colors::to_hex(&p.value);
                event.color.is_some()
            }
            "COLOR" if first => {
                if event.color.is_none() {
                    event.color = colors::to_hex(&p.value);
                }
                // An exported COLOR is the nearest name of the exact X-IC-COLOR.
                event.color.is_some()
            }
            "ATTENDEE" => attendee(p, &mut event.attendees, not_kept),
            _ => false,
        };
        if !kept {
            extras.lines.push(p.raw.clone());
        }
    }
    if event.title.trim().is_empty() {
        event.title = NO_TITLE.to_string();
        extras.no_summary = true;
    }
    event.visibility = if public {
        Visibility::Public
    } else if !shares.is_empty() {
        Visibility::Shared(shares)
    } else {
        Visibility::Private
    };
    for alarm in &c.alarms {
        match reminder(alarm) {
            Some(m) if !event.reminders_minutes.contains(&m) => event.reminders_minutes.push(m),
            _ => {
                extras.lines.push("BEGIN:VALARM".into());
                extras.lines.extend(alarm.iter().map(|p| p.raw.clone()));
                extras.lines.push("END:VALARM".into());
            }
        }
    }
    for lines in &c.nested {
        extras.lines.extend(lines.iter().cloned());
    }
    if let Some(moved) = &timing.moved {
        // The original lines go back on export (`series::Rebased`).
        extras.lines.extend(moved.lines.iter().cloned());
        not_kept.push(moved.note.clone());
        if let Some(r) = event.recurrence.as_mut() {
            r.rule = moved.rule.clone();
        }
    }
    let recurring = event.recurrence.is_some();
    let rdates = rdates(
        &rdate_lines,
        recurring,
        &timing,
        times,
        &mut extras.lines,
        not_kept,
    );
    if let Some(r) = event.recurrence.as_mut() {
        exdates.sort_unstable();
        exdates.dedup();
        r.exdates_ns = exdates;
        r.rdates_ns = (!rdates.is_empty()).then_some(rdates);
    } else if !exdates.is_empty() {
        not_kept.push("EXDATE: the event does not repeat".into());
    }
    for change in changes {
        if event.recurrence.is_none() {
            not_kept
                .push("RECURRENCE-ID: a changed instance of an event that does not repeat".into());
            continue;
        }
        let rid = change.get("RECURRENCE-ID").expect("a change");
        let original_start_ns = match original(rid, &rid.value, &timing, times) {
            Ok(ns) => ns,
            Err(e) => {
                not_kept.push(format!("RECURRENCE-ID {}: {e:?}", rid.value));
                continue;
            }
        };
        if event
            .overrides
            .iter()
            .any(|o| o.original_start_ns == original_start_ns)
        {
            not_kept.push(format!("RECURRENCE-ID {}: a second change", rid.value));
            continue;
        }
        if rid.param("RANGE").is_some() {
            not_kept.push(format!(
                "RECURRENCE-ID {}: RANGE (only this instance changes)",
                rid.value
            ));
        }
        match instance(change, c, original_start_ns, &timing, times) {
            Ok((o, lines)) => {
                if !lines.is_empty() {
                    extras.instances.push((original_start_ns, lines));
                }
                event.overrides.push(o);
            }
            Err(e) => not_kept.push(format!("RECURRENCE-ID {}: {e:?}", rid.value)),
        }
    }
    drop_non_instances(&mut event, &mut extras, not_kept);
    event.overrides.sort_by_key(|o| o.original_start_ns);
    extras.instances.sort_by_key(|(at, _)| *at);
    Ok((event, extras))
}

/// An attendee: an IC principal (`urn:ic:`) joins the event's attendees; anyone else (e-mail)
/// is kept as the file wrote them. Returns whether the model holds it.
fn attendee(p: &Prop, attendees: &mut Vec<Attendee>, not_kept: &mut Vec<String>) -> bool {
    let value = p.value.trim();
    let Some(id) = value
        .get(..7)
        .filter(|s| s.eq_ignore_ascii_case("urn:ic:"))
        .map(|_| &value[7..])
    else {
        return false;
    };
    let Ok(principal) = Principal::from_text(id) else {
        return false;
    };
    if attendees.iter().any(|a| a.principal == principal) {
        return false;
    }
    if p.param_names().any(|n| n != "PARTSTAT") {
        not_kept.push(format!("ATTENDEE {value}: parameters other than PARTSTAT"));
    }
    attendees.push(Attendee {
        principal,
        rsvp: match p.param("PARTSTAT") {
            Some("ACCEPTED") => Rsvp::Accepted,
            Some("DECLINED") => Rsvp::Declined,
            Some("TENTATIVE") => Rsvp::Tentative,
            _ => Rsvp::NeedsAction,
        },
    });
    true
}

/// A plain display reminder (what the calendar's reminders are): `ACTION:DISPLAY`, a trigger
/// some whole minutes before the start, at most a `DESCRIPTION`. Anything else is kept
/// verbatim.
fn reminder(alarm: &[Prop]) -> Option<u32> {
    let mut minutes = None;
    for p in alarm {
        match p.name.as_str() {
            "ACTION" if p.value.trim().eq_ignore_ascii_case("DISPLAY") => {}
            "DESCRIPTION" => {}
            "TRIGGER" if minutes.is_none() => {
                let relative = p.param("VALUE").is_none_or(|v| v == "DURATION");
                let to_start = p.param("RELATED").is_none_or(|r| r == "START");
                if !(relative && to_start) || p.has_params_other_than(&["VALUE", "RELATED"]) {
                    return None;
                }
                minutes = Some(trigger_minutes(&p.value)?);
            }
            _ => return None,
        }
    }
    minutes
}
