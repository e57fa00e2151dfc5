//! Reading iCalendar text: unfolding content lines, splitting them into properties, grouping
//! them into `VEVENT`s (with their `VALARM`s), and the value types (dates, date-times, durations,
//! alarm triggers).

use std::collections::BTreeMap;

use interfaces::Error;
use recurrence::jiff::civil::{Date, DateTime};
use recurrence::jiff::tz::TimeZone;
use recurrence::jiff::Timestamp;
use recurrence::wire::{time_zone, to_ns};

use super::malformed;

/// One content line: `NAME;PARAM=VALUE:value`.
#[derive(Debug)]
pub(super) struct Prop {
    pub(super) name: String,
    params: BTreeMap<String, String>,
    pub(super) value: String,
}

impl Prop {
    pub(super) fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// Unfolds lines and splits each into a [`Prop`].
pub(super) fn content_lines(text: &str) -> Result<Vec<Prop>, Error> {
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

pub(super) fn unescape(text: &str) -> String {
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
pub(super) struct Component {
    props: Vec<Prop>,
    pub(super) alarms: Vec<Vec<Prop>>,
}

impl Component {
    pub(super) fn get(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    pub(super) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Prop> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }
}

/// The `VEVENT`s of a calendar, plus its `X-WR-TIMEZONE` (used for floating times).
pub(super) fn components(text: &str) -> Result<(Vec<Component>, Option<String>), Error> {
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

pub(super) fn parse_date(v: &str) -> Result<Date, Error> {
    Date::strptime("%Y%m%d", v).map_err(|_| malformed(format!("bad date `{v}`")))
}

/// A DATE-TIME value: `(instant, zone it was given in)`.
pub(super) fn parse_instant(
    p: &Prop,
    value: &str,
    floating_zone: &str,
) -> Result<(u64, String), Error> {
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

pub(super) fn is_date(p: &Prop) -> bool {
    p.param("VALUE") == Some("DATE") || (p.value.len() == 8 && !p.value.contains('T'))
}

/// Minutes of a negative `TRIGGER` duration (`-PT15M`, `-P1D`, `-PT1H30M`, `-P1W`).
pub(super) fn trigger_minutes(v: &str) -> Option<u32> {
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
pub(super) fn duration_ns(v: &str) -> Result<u64, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn components_keep_events_and_alarms_and_skip_the_rest() {
        let text = "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Berlin\r\n\
                    BEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\n\
                    BEGIN:VEVENT\r\nUID:a\r\nBEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\n\
                    END:VEVENT\r\nEND:VCALENDAR\r\n";
        let (events, zone) = components(text).unwrap();
        assert_eq!(zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].get("UID").unwrap().value, "a");
        assert_eq!(events[0].get("TZID").map(|p| &p.value), None);
        assert_eq!(events[0].alarms.len(), 1);
        for broken in [
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\n",
            " continued\r\n",
        ] {
            assert!(components(broken).is_err(), "{broken:?}");
        }
    }
}
