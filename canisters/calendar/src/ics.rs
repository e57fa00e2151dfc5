//! iCalendar (RFC 5545) export and import of events.
//!
//! Export writes one `VEVENT` per event (with `RRULE`, `EXDATE`, `VALUE=DATE` for all-day
//! events, `VALARM` per reminder) and one more `VEVENT` per changed instance (`RECURRENCE-ID`;
//! `STATUS:CANCELLED` for a cancelled one). What RFC 5545 has no property for travels in `X-IC-*`
//! properties, so export then import loses nothing. Zones are written as IANA `TZID`s without
//! `VTIMEZONE` blocks (import skips `VTIMEZONE` and reads `TZID` as an IANA name).

use std::collections::BTreeMap;

use candid::Principal;
use interfaces::calendar::{
    Attendee, Event, EventStatus, EventTime, InstanceChange, InstanceOverride, Recurrence, Role,
    Rsvp, Share, Transparency, Visibility,
};
use interfaces::{Error, InputProblem};
use recurrence::jiff::civil::{Date, DateTime};
use recurrence::jiff::tz::TimeZone;
use recurrence::jiff::Timestamp;
use recurrence::wire::{time_zone, timestamp, to_ns, to_wire_date};

/// Most `VEVENT` series one import may carry.
pub const MAX_IMPORT_EVENTS: usize = 500;
/// Largest ICS text one import may carry.
pub const MAX_IMPORT_BYTES: usize = 1 << 20;

fn malformed(reason: impl Into<String>) -> Error {
    Error::invalid(
        "ics",
        InputProblem::Malformed {
            reason: reason.into(),
        },
    )
}

// ---- export ------------------------------------------------------------------------------

/// `events` as one complete `VCALENDAR`.
pub fn export(events: &[Event]) -> Result<String, Error> {
    let mut out = Lines::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line("PRODID:-//icp-calendar//calendar shard//EN");
    out.line("CALSCALE:GREGORIAN");
    for e in events {
        write_event(&mut out, e)?;
    }
    out.line("END:VCALENDAR");
    Ok(out.0)
}

/// Lines folded at 75 octets with CRLF endings, as RFC 5545 3.1 requires.
#[derive(Default)]
struct Lines(String);

impl Lines {
    fn line(&mut self, text: &str) {
        let mut width = 0;
        for c in text.chars() {
            if width + c.len_utf8() > 75 {
                self.0.push_str("\r\n ");
                width = 1;
            }
            self.0.push(c);
            width += c.len_utf8();
        }
        self.0.push_str("\r\n");
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn utc(ns: u64) -> Result<String, Error> {
    Ok(timestamp("ics", ns)?.strftime("%Y%m%dT%H%M%SZ").to_string())
}

/// `;TZID=<zone>:<local>` (or `:<utc>Z` for UTC) of an instant.
fn zoned(zone: &str, tz: &TimeZone, ns: u64) -> Result<String, Error> {
    if zone == "UTC" {
        return Ok(format!(":{}", utc(ns)?));
    }
    let local = timestamp("ics", ns)?.to_zoned(tz.clone());
    Ok(format!(";TZID={zone}:{}", local.strftime("%Y%m%dT%H%M%S")))
}

fn date_value(d: Date) -> String {
    d.strftime("%Y%m%d").to_string()
}

fn write_event(out: &mut Lines, e: &Event) -> Result<(), Error> {
    let tz = time_zone(&e.time_zone)?;
    let all_day = matches!(e.time, EventTime::AllDay { .. });
    // The instant an original start names, in the form DTSTART used.
    let original = |ns: u64| -> Result<String, Error> {
        if all_day {
            let date = timestamp("ics", ns)?.to_zoned(tz.clone()).date();
            Ok(format!(";VALUE=DATE:{}", date_value(date)))
        } else {
            zoned(&e.time_zone, &tz, ns)
        }
    };
    out.line("BEGIN:VEVENT");
    out.line(&format!("UID:{}", escape(&e.ical_uid)));
    out.line(&format!("DTSTAMP:{}", utc(e.updated_at_ns)?));
    out.line(&format!("CREATED:{}", utc(e.created_at_ns)?));
    out.line(&format!("LAST-MODIFIED:{}", utc(e.updated_at_ns)?));
    out.line(&format!("SEQUENCE:{}", e.revision));
    out.line(&format!("SUMMARY:{}", escape(&e.title)));
    if !e.description.is_empty() {
        out.line(&format!("DESCRIPTION:{}", escape(&e.description)));
    }
    if !e.location.is_empty() {
        out.line(&format!("LOCATION:{}", escape(&e.location)));
    }
    match &e.time {
        EventTime::Timed { start_ns, end_ns } => {
            out.line(&format!("DTSTART{}", zoned(&e.time_zone, &tz, *start_ns)?));
            out.line(&format!("DTEND{}", zoned(&e.time_zone, &tz, *end_ns)?));
        }
        EventTime::AllDay { start, end } => {
            let d = |w| recurrence::wire::date("ics", w);
            out.line(&format!("DTSTART;VALUE=DATE:{}", date_value(d(*start)?)));
            out.line(&format!("DTEND;VALUE=DATE:{}", date_value(d(*end)?)));
            out.line(&format!("X-IC-TIMEZONE:{}", e.time_zone));
        }
    }
    if let Some(r) = &e.recurrence {
        out.line(&format!("RRULE:{}", r.rule));
        for &x in &r.exdates_ns {
            out.line(&format!("EXDATE{}", original(x)?));
        }
    }
    out.line(&format!("STATUS:{}", status_text(e.status)));
    out.line(match e.transparency {
        Transparency::Opaque => "TRANSP:OPAQUE",
        Transparency::Transparent => "TRANSP:TRANSPARENT",
    });
    match &e.visibility {
        Visibility::Public => out.line("CLASS:PUBLIC"),
        Visibility::Private => out.line("CLASS:PRIVATE"),
        Visibility::Shared(shares) => {
            out.line("CLASS:PRIVATE");
            for s in shares {
                let role = match s.role {
                    Role::Viewer => "VIEWER",
                    Role::Editor => "EDITOR",
                };
                out.line(&format!("X-IC-SHARE;ROLE={role}:{}", s.principal));
            }
        }
    }
    if let Some(color) = &e.color {
        out.line(&format!("COLOR:{color}"));
    }
    for a in &e.attendees {
        out.line(&format!(
            "ATTENDEE;PARTSTAT={}:urn:ic:{}",
            partstat(a.rsvp),
            a.principal
        ));
    }
    for m in &e.reminders_minutes {
        out.line("BEGIN:VALARM");
        out.line("ACTION:DISPLAY");
        out.line(&format!("DESCRIPTION:{}", escape(&e.title)));
        out.line(&format!("TRIGGER:-PT{m}M"));
        out.line("END:VALARM");
    }
    out.line("END:VEVENT");
    for o in &e.overrides {
        out.line("BEGIN:VEVENT");
        out.line(&format!("UID:{}", escape(&e.ical_uid)));
        out.line(&format!("DTSTAMP:{}", utc(e.updated_at_ns)?));
        out.line(&format!("RECURRENCE-ID{}", original(o.original_start_ns)?));
        out.line(&format!("SUMMARY:{}", escape(&e.title)));
        match o.change {
            InstanceChange::Moved { start_ns, end_ns } => {
                out.line(&format!("DTSTART{}", zoned(&e.time_zone, &tz, start_ns)?));
                out.line(&format!("DTEND{}", zoned(&e.time_zone, &tz, end_ns)?));
            }
            InstanceChange::Cancelled => {
                out.line(&format!("DTSTART{}", original(o.original_start_ns)?));
                out.line("STATUS:CANCELLED");
            }
        }
        out.line("END:VEVENT");
    }
    Ok(())
}

fn status_text(s: EventStatus) -> &'static str {
    match s {
        EventStatus::Confirmed => "CONFIRMED",
        EventStatus::Tentative => "TENTATIVE",
        EventStatus::Cancelled => "CANCELLED",
    }
}

fn partstat(r: Rsvp) -> &'static str {
    match r {
        Rsvp::NeedsAction => "NEEDS-ACTION",
        Rsvp::Accepted => "ACCEPTED",
        Rsvp::Declined => "DECLINED",
        Rsvp::Tentative => "TENTATIVE",
    }
}

// ---- import ------------------------------------------------------------------------------

/// One content line: `NAME;PARAM=VALUE:value`.
#[derive(Debug)]
struct Prop {
    name: String,
    params: BTreeMap<String, String>,
    value: String,
}

impl Prop {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// Unfolds lines and splits each into a [`Prop`].
fn content_lines(text: &str) -> Result<Vec<Prop>, Error> {
    let mut unfolded: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = line.strip_prefix([' ', '\t']) {
            match unfolded.last_mut() {
                Some(last) => last.push_str(rest),
                None => return Err(malformed("continuation line before any property")),
            }
        } else if !line.is_empty() {
            unfolded.push(line.to_string());
        }
    }
    unfolded.iter().map(|l| parse_line(l)).collect()
}

fn parse_line(line: &str) -> Result<Prop, Error> {
    // The value starts at the first ':' outside double quotes.
    let mut quoted = false;
    let split = line
        .char_indices()
        .find(|&(_, c)| {
            if c == '"' {
                quoted = !quoted;
            }
            c == ':' && !quoted
        })
        .map(|(i, _)| i)
        .ok_or_else(|| malformed(format!("line without ':': {line}")))?;
    let (head, value) = (&line[..split], &line[split + 1..]);
    let mut parts = head.split(';');
    let name = parts.next().unwrap_or_default().to_ascii_uppercase();
    let mut params = BTreeMap::new();
    for p in parts {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| malformed(format!("parameter without '=': {p}")))?;
        params.insert(k.to_ascii_uppercase(), v.trim_matches('"').to_string());
    }
    Ok(Prop {
        name,
        params,
        value: value.to_string(),
    })
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A parsed `VEVENT` (or `VALARM` inside it).
#[derive(Default)]
struct Component {
    props: Vec<Prop>,
    alarms: Vec<Vec<Prop>>,
}

impl Component {
    fn get(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Prop> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }
}

/// The `VEVENT`s of a calendar, plus its `X-WR-TIMEZONE` (used for floating times).
fn components(text: &str) -> Result<(Vec<Component>, Option<String>), Error> {
    let mut events = Vec::new();
    let mut default_zone = None;
    let mut stack: Vec<String> = Vec::new();
    let mut current: Option<Component> = None;
    let mut alarm: Option<Vec<Prop>> = None;
    for prop in content_lines(text)? {
        match prop.name.as_str() {
            "BEGIN" => {
                let kind = prop.value.to_ascii_uppercase();
                match (kind.as_str(), stack.last().map(String::as_str)) {
                    ("VCALENDAR", None) => {}
                    ("VEVENT", Some("VCALENDAR")) => current = Some(Component::default()),
                    ("VALARM", Some("VEVENT")) => alarm = Some(Vec::new()),
                    (_, Some(_)) => {} // VTIMEZONE, VTODO, ...: skipped with what they hold
                    (_, None) => return Err(malformed("content outside VCALENDAR")),
                }
                stack.push(kind);
            }
            "END" => {
                let kind = prop.value.to_ascii_uppercase();
                if stack.pop().as_deref() != Some(kind.as_str()) {
                    return Err(malformed(format!("END:{kind} does not close what is open")));
                }
                match kind.as_str() {
                    "VEVENT" if stack.last().map(String::as_str) == Some("VCALENDAR") => {
                        events.push(current.take().expect("opened"))
                    }
                    "VALARM" => {
                        if let (Some(a), Some(c)) = (alarm.take(), current.as_mut()) {
                            c.alarms.push(a);
                        }
                    }
                    _ => {}
                }
            }
            _ => match stack.last().map(String::as_str) {
                Some("VALARM") => {
                    if let Some(a) = alarm.as_mut() {
                        a.push(prop)
                    }
                }
                Some("VEVENT") => {
                    if let Some(c) = current.as_mut() {
                        c.props.push(prop)
                    }
                }
                Some("VCALENDAR") if prop.name == "X-WR-TIMEZONE" => {
                    default_zone = Some(prop.value.clone())
                }
                _ => {}
            },
        }
    }
    if !stack.is_empty() {
        return Err(malformed("unterminated component"));
    }
    Ok((events, default_zone))
}

fn parse_date(v: &str) -> Result<Date, Error> {
    Date::strptime("%Y%m%d", v).map_err(|_| malformed(format!("bad date `{v}`")))
}

/// A DATE-TIME value: `(instant, zone it was given in)`.
fn parse_instant(p: &Prop, value: &str, floating_zone: &str) -> Result<(u64, String), Error> {
    if let Some(utc) = value.strip_suffix('Z') {
        let dt = DateTime::strptime("%Y%m%dT%H%M%S", utc)
            .map_err(|_| malformed(format!("bad time `{value}`")))?;
        let t = dt
            .to_zoned(TimeZone::UTC)
            .map_err(|_| malformed("time out of range"))?;
        return Ok((to_ns(t.timestamp()), "UTC".into()));
    }
    let zone = p.param("TZID").unwrap_or(floating_zone).to_string();
    let tz = time_zone(&zone).map_err(|_| malformed(format!("unknown TZID `{zone}`")))?;
    let dt = DateTime::strptime("%Y%m%dT%H%M%S", value)
        .map_err(|_| malformed(format!("bad time `{value}`")))?;
    let t: Timestamp = tz
        .to_ambiguous_timestamp(dt)
        .compatible()
        .map_err(|_| malformed("time out of range"))?;
    Ok((to_ns(t), zone))
}

fn is_date(p: &Prop) -> bool {
    p.param("VALUE") == Some("DATE") || (p.value.len() == 8 && !p.value.contains('T'))
}

/// Minutes of a negative `TRIGGER` duration (`-PT15M`, `-P1D`, `-PT1H30M`, `-P1W`).
fn trigger_minutes(v: &str) -> Option<u32> {
    let rest = v.strip_prefix("-P")?;
    let mut minutes = 0u64;
    let mut number = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' => {}
            unit => {
                let n: u64 = number.parse().ok()?;
                number.clear();
                minutes += n * match unit {
                    'W' => 7 * 24 * 60,
                    'D' => 24 * 60,
                    'H' => 60,
                    'M' => 1,
                    'S' => 0,
                    _ => return None,
                };
            }
        }
    }
    u32::try_from(minutes).ok()
}

/// Seconds of a `DURATION` value (`PT1H`, `P1D`, `P1W`, `P1DT2H`).
fn duration_ns(v: &str) -> Result<u64, Error> {
    let rest = v
        .strip_prefix('P')
        .or_else(|| v.strip_prefix("+P"))
        .ok_or_else(|| malformed(format!("bad DURATION `{v}`")))?;
    let mut seconds = 0u64;
    let mut number = String::new();
    let mut in_time = false;
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' => in_time = true,
            unit => {
                let n: u64 = number
                    .parse()
                    .map_err(|_| malformed(format!("bad DURATION `{v}`")))?;
                number.clear();
                seconds += n * match (unit, in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3_600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return Err(malformed(format!("bad DURATION `{v}`"))),
                };
            }
        }
    }
    Ok(seconds * 1_000_000_000)
}

/// Parses `text` into events owned by `owner` (not yet validated against the limits: the
/// caller runs each through `check_event`).
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
        return Err(Error::invalid(
            "ics",
            InputProblem::TooMany {
                max: MAX_IMPORT_EVENTS as u64,
                actual: masters.len() as u64,
            },
        ));
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

    #[test]
    fn long_lines_fold_at_75_octets_and_unfold_back() {
        let mut out = Lines::default();
        let long = format!("DESCRIPTION:{}", "é".repeat(100));
        out.line(&long);
        assert!(out.0.split("\r\n").all(|l| l.len() <= 75));
        let props = content_lines(&out.0).unwrap();
        assert_eq!(props[0].value, "é".repeat(100));
    }

    #[test]
    fn text_escapes_round_trip() {
        let s = "a, b; c\\d\nnext";
        assert_eq!(unescape(&escape(s)), s);
    }

    #[test]
    fn triggers_and_durations_parse() {
        assert_eq!(trigger_minutes("-PT15M"), Some(15));
        assert_eq!(trigger_minutes("-P1D"), Some(1_440));
        assert_eq!(trigger_minutes("-PT1H30M"), Some(90));
        assert_eq!(trigger_minutes("PT5M"), None);
        assert_eq!(duration_ns("PT1H30M").unwrap(), 5_400 * 1_000_000_000);
        assert_eq!(duration_ns("P1W").unwrap(), 7 * 86_400 * 1_000_000_000);
        assert!(duration_ns("1H").is_err());
    }

    #[test]
    fn quoted_parameters_may_hold_colons() {
        let p = parse_line("ATTENDEE;CN=\"Dr: Who\";PARTSTAT=ACCEPTED:urn:ic:aaaaa-aa").unwrap();
        assert_eq!(p.param("CN"), Some("Dr: Who"));
        assert_eq!(p.value, "urn:ic:aaaaa-aa");
    }

    #[test]
    fn broken_calendars_are_refused() {
        assert!(import("BEGIN:VEVENT\r\nEND:VEVENT\r\n", Principal::anonymous(), 0).is_err());
        let no_uid = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260101T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert!(import(no_uid, Principal::anonymous(), 0).is_err());
        let bad_zone = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=Mars/Base:20260101T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert!(import(bad_zone, Principal::anonymous(), 0).is_err());
    }
}
