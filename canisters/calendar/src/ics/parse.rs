//! Reading iCalendar text: unfolding content lines, splitting them into properties, and
//! grouping them into `VEVENT`s (with their `VALARM`s) and `VTIMEZONE`s.
//!
//! Written here rather than taken from a crate: the published iCalendar parsers either pull in
//! `chrono`/`std` time features that do not build for a canister, or drop the raw text of the
//! properties the calendar keeps verbatim (the importer needs both the parsed value and the
//! line as the file wrote it). Lenient where real files are: a byte-order mark, `LF` line ends,
//! `;` and `:` inside quoted parameter values, parameters without a value.

use std::collections::BTreeMap;

use interfaces::Error;
use recurrence::tz::{Observance, ObservanceKind, VTimeZone};

use super::malformed;

/// One content line: `NAME;PARAM=VALUE:value`, with the unfolded line as the file wrote it.
#[derive(Debug, Clone)]
pub(super) struct Prop {
    pub(super) name: String,
    params: BTreeMap<String, String>,
    pub(super) value: String,
    pub(super) raw: String,
}

impl Prop {
    pub(super) fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub(super) fn param_names(&self) -> impl Iterator<Item = &str> {
        self.params.keys().map(String::as_str)
    }

    pub(super) fn has_params(&self) -> bool {
        !self.params.is_empty()
    }

    pub(super) fn has_params_other_than(&self, names: &[&str]) -> bool {
        self.param_names().any(|n| !names.contains(&n))
    }
}

/// Unfolds lines and splits each into a [`Prop`].
pub(super) fn content_lines(text: &str) -> Result<Vec<Prop>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut unfolded: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = line.strip_prefix([' ', '\t']) {
            match unfolded.last_mut() {
                Some(last) => last.push_str(rest),
                None => return Err(malformed("continuation line before any property")),
            }
        } else if !line.trim().is_empty() {
            unfolded.push(line.to_string());
        }
    }
    unfolded.into_iter().map(parse_line).collect()
}

/// Splits `text` at each `sep` outside double quotes.
fn split_unquoted(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut quoted, mut start) = (false, 0);
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_line(line: String) -> Result<Prop, Error> {
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
        .map(|(i, _)| i);
    let Some(split) = split else {
        // Kept as a nameless property: the importer names it in its report.
        return Ok(Prop {
            name: String::new(),
            params: BTreeMap::new(),
            value: String::new(),
            raw: line,
        });
    };
    let (head, value) = (&line[..split], &line[split + 1..]);
    let mut parts = split_unquoted(head, ';').into_iter();
    let name = parts.next().unwrap_or_default().trim().to_ascii_uppercase();
    let mut params = BTreeMap::new();
    for p in parts {
        // A parameter without `=` (seen in the wild) is kept with an empty value.
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        params.insert(
            k.trim().to_ascii_uppercase(),
            v.trim_matches('"').to_string(),
        );
    }
    Ok(Prop {
        name,
        params,
        value: value.to_string(),
        raw: line.clone(),
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
#[derive(Default, Debug)]
pub(super) struct Component {
    pub(super) props: Vec<Prop>,
    pub(super) alarms: Vec<Vec<Prop>>,
    /// Components nested in the event other than `VALARM` (kept verbatim, lines included).
    pub(super) nested: Vec<Vec<String>>,
}

impl Component {
    pub(super) fn get(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }
}

/// What a calendar holds that the importer reads.
#[derive(Default)]
pub(super) struct Calendar {
    pub(super) events: Vec<Component>,
    /// The file's VTIMEZONEs by TZID.
    pub(super) zones: BTreeMap<String, VTimeZone>,
    /// `X-WR-TIMEZONE`, the zone some producers (Google) give floating times.
    pub(super) calendar_zone: Option<String>,
}

/// Reads the `VCALENDAR`s of `text` as one calendar (some producers concatenate several).
/// Lenient as python's `icalendar` is: components without a `VCALENDAR` around them, an `END`
/// that closes nothing open (ignored), one that closes several (the inner ones end with it),
/// and components still open at the end of the text (they end there).
pub(super) fn calendar(text: &str) -> Result<Calendar, Error> {
    let mut reader = Reader::default();
    for prop in content_lines(text)? {
        match prop.name.as_str() {
            "BEGIN" => reader.begin(prop),
            "END" => {
                let kind = prop.value.trim().to_ascii_uppercase();
                if reader.stack.contains(&kind) {
                    while let Some(top) = reader.stack.pop() {
                        reader.end(&top, &prop.raw);
                        if top == kind {
                            break;
                        }
                    }
                }
            }
            _ => reader.property(prop),
        }
    }
    if !reader.began {
        return Err(malformed("no calendar component"));
    }
    while let Some(top) = reader.stack.pop() {
        reader.end(&top, &format!("END:{top}"));
    }
    Ok(reader.cal)
}

#[derive(Default)]
struct Reader {
    cal: Calendar,
    /// Whether any component began.
    began: bool,
    stack: Vec<String>,
    current: Option<Component>,
    alarm: Option<Vec<Prop>>,
    nested: Option<Vec<String>>,
    zone: Option<VTimeZone>,
    observance: Option<Observance>,
}

impl Reader {
    fn begin(&mut self, prop: Prop) {
        self.began = true;
        let kind = prop.value.trim().to_ascii_uppercase();
        if self.stack.is_empty() && kind != "VCALENDAR" {
            // A bare component: read as if a VCALENDAR held it.
            self.stack.push("VCALENDAR".into());
        }
        match (kind.as_str(), self.stack.last().map(String::as_str)) {
            ("VCALENDAR", None) => {}
            ("VEVENT", Some("VCALENDAR")) => self.current = Some(Component::default()),
            ("VALARM", Some("VEVENT")) => self.alarm = Some(Vec::new()),
            (_, Some("VEVENT")) => self.nested = Some(vec![prop.raw.clone()]),
            ("VTIMEZONE", Some("VCALENDAR")) => {
                self.zone = Some(VTimeZone {
                    tzid: String::new(),
                    observances: vec![],
                })
            }
            ("STANDARD" | "DAYLIGHT", Some("VTIMEZONE")) => {
                self.observance = Some(Observance {
                    kind: if kind == "STANDARD" {
                        ObservanceKind::Standard
                    } else {
                        ObservanceKind::Daylight
                    },
                    dtstart: String::new(),
                    offset_from: String::new(),
                    offset_to: String::new(),
                    rrule: None,
                    rdates: vec![],
                    name: None,
                })
            }
            _ => {
                if let Some(n) = self.nested.as_mut() {
                    n.push(prop.raw.clone());
                }
            }
        }
        self.stack.push(kind);
    }

    /// `kind` was just taken off the stack.
    fn end(&mut self, kind: &str, raw: &str) {
        match (kind, self.stack.last().map(String::as_str)) {
            ("VEVENT", Some("VCALENDAR")) => {
                if let Some(c) = self.current.take() {
                    self.cal.events.push(c);
                }
            }
            ("VALARM", Some("VEVENT")) => {
                if let (Some(a), Some(c)) = (self.alarm.take(), self.current.as_mut()) {
                    c.alarms.push(a);
                }
            }
            (_, Some("VEVENT")) => {
                if let (Some(mut n), Some(c)) = (self.nested.take(), self.current.as_mut()) {
                    n.push(raw.to_string());
                    c.nested.push(n);
                }
            }
            ("VTIMEZONE", Some("VCALENDAR")) => {
                if let Some(z) = self.zone.take() {
                    self.cal.zones.insert(z.tzid.clone(), z);
                }
            }
            ("STANDARD" | "DAYLIGHT", Some("VTIMEZONE")) => {
                if let (Some(o), Some(z)) = (self.observance.take(), self.zone.as_mut()) {
                    z.observances.push(o);
                }
            }
            _ => {
                if let Some(n) = self.nested.as_mut() {
                    n.push(raw.to_string());
                }
            }
        }
    }

    fn property(&mut self, prop: Prop) {
        match self.stack.last().map(String::as_str) {
            Some("VALARM") if self.alarm.is_some() => self.alarm.as_mut().expect("open").push(prop),
            Some("VEVENT") => {
                if let Some(c) = self.current.as_mut() {
                    c.props.push(prop)
                }
            }
            Some("VCALENDAR") if prop.name == "X-WR-TIMEZONE" => {
                self.cal.calendar_zone = Some(prop.value.trim().to_string())
            }
            Some("VTIMEZONE") if prop.name == "TZID" => {
                if let Some(z) = self.zone.as_mut() {
                    // TEXT: a POSIX rule's commas come escaped.
                    z.tzid = unescape(&prop.value);
                }
            }
            Some("STANDARD" | "DAYLIGHT") => {
                if let Some(o) = self.observance.as_mut() {
                    observe(o, prop);
                }
            }
            _ => {
                if let Some(n) = self.nested.as_mut() {
                    n.push(prop.raw);
                }
            }
        }
    }
}

fn observe(o: &mut Observance, prop: Prop) {
    match prop.name.as_str() {
        "DTSTART" => o.dtstart = prop.value,
        "TZOFFSETFROM" => o.offset_from = prop.value,
        "TZOFFSETTO" => o.offset_to = prop.value,
        "RRULE" => o.rrule = Some(prop.value),
        "RDATE" => o.rdates.push(prop.value),
        "TZNAME" => o.name = Some(prop.value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_parameters_may_hold_colons_and_semicolons() {
        let p = parse_line("ATTENDEE;CN=\"Dr: Who; PhD\";PARTSTAT=ACCEPTED:urn:ic:aaaaa-aa".into())
            .unwrap();
        assert_eq!(p.param("CN"), Some("Dr: Who; PhD"));
        assert_eq!(p.param("PARTSTAT"), Some("ACCEPTED"));
        assert_eq!(p.value, "urn:ic:aaaaa-aa");
    }

    #[test]
    fn a_byte_order_mark_and_bare_line_feeds_are_read() {
        let text = "\u{feff}BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(calendar(text).unwrap().events.len(), 1);
    }

    #[test]
    fn components_keep_events_alarms_and_zones() {
        let text = "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Berlin\r\n\
                    BEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
                    TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
                    BEGIN:VEVENT\r\nUID:a\r\nBEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\n\
                    END:VEVENT\r\nEND:VCALENDAR\r\n";
        let cal = calendar(text).unwrap();
        assert_eq!(cal.calendar_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(cal.events.len(), 1);
        assert_eq!(cal.events[0].get("UID").unwrap().value, "a");
        assert_eq!(cal.events[0].alarms.len(), 1);
        assert_eq!(cal.zones["X"].observances[0].offset_to, "+0100");
        for broken in ["", "UID:x\r\n", " continued\r\n"] {
            assert!(calendar(broken).is_err(), "{broken:?}");
        }
        // Open components end with the text; an END closing nothing is ignored.
        let lenient = "BEGIN:VEVENT\r\nUID:a\r\nEND:VTODO\r\nNO COLON\r\n";
        let cal = calendar(lenient).unwrap();
        assert_eq!(cal.events.len(), 1);
        assert_eq!(cal.events[0].props[1].name, "");
    }
}
