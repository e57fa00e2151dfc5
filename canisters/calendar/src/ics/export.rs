//! Writing events as iCalendar: a `VTIMEZONE` for every zone named (from the bundled tzdb,
//! covering the years exported), one `VEVENT` per event (with `RRULE`, `EXDATE`, `RDATE`,
//! the original `DTSTART` of a series imported from before 1970, `VALUE=DATE`
//! for all-day events, `VALARM` per reminder, RFC 7986 `COLOR`, and the lines an import kept
//! verbatim) and one more per changed instance (`RECURRENCE-ID`; `STATUS:CANCELLED` for a
//! cancelled one), in lines folded at 75 octets.

use std::collections::BTreeMap;

use interfaces::calendar::{
    Event, EventStatus, EventTime, InstanceChange, Role, Rsvp, Transparency, Visibility,
};
use interfaces::Error;
use recurrence::jiff::civil::Date;
use recurrence::jiff::tz::TimeZone;
use recurrence::wire::{time_zone, timestamp};

use super::colors;
use super::import::NO_TITLE;
use super::series::Rebased;
use crate::model::ics_extras::IcsExtras;

/// `events` (each with what its import kept, if anything) as one complete `VCALENDAR`.
pub fn export(events: &[Event], extras: &[Option<IcsExtras>]) -> Result<String, Error> {
    let mut out = Lines::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line("PRODID:-//icp-calendar//calendar shard//EN");
    out.line("CALSCALE:GREGORIAN");
    for (zone, (from, to)) in zone_years(events, extras)? {
        let vtimezone = recurrence::tz::vtimezone_for(&zone, from, to).map_err(|e| {
            Error::invalid(
                "time_zone",
                interfaces::InputProblem::Malformed {
                    reason: e.to_string(),
                },
            )
        })?;
        for line in vtimezone.lines().filter(|l| !l.is_empty()) {
            out.line(line);
        }
    }
    let none = IcsExtras::default();
    for (i, e) in events.iter().enumerate() {
        let more = extras.get(i).and_then(Option::as_ref).unwrap_or(&none);
        write_event(&mut out, e, more)?;
    }
    out.line("END:VCALENDAR");
    Ok(out.0)
}

/// Every zone `TZID`s will name (all but UTC; all-day events name none), with the years its
/// events' times fall in: from the first start (an original one before 1970 included) to the
/// last end, or to the series' start year when it repeats without end (the VTIMEZONE's last
/// rule is then left open).
fn zone_years(
    events: &[Event],
    extras: &[Option<IcsExtras>],
) -> Result<BTreeMap<String, (i16, i16)>, Error> {
    let mut zones: BTreeMap<String, (i16, i16)> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let EventTime::Timed { start_ns, end_ns } = e.time else {
            continue;
        };
        if e.time_zone == "UTC" {
            continue;
        }
        let year = |ns: u64| -> Result<i16, Error> {
            Ok(timestamp("ics", ns)?.to_zoned(TimeZone::UTC).year())
        };
        let mut last = end_ns;
        for o in &e.overrides {
            if let InstanceChange::Moved { end_ns, .. } = o.change {
                last = last.max(end_ns);
            }
        }
        if let Some(&rdate) = e
            .recurrence
            .iter()
            .flat_map(|r| r.rdates_ns.iter().flatten())
            .max()
        {
            last = last.max(rdate.saturating_add(end_ns - start_ns));
        }
        let (mut from, to) = (year(start_ns)?, year(last)?);
        if let Some(original) = extras
            .get(i)
            .and_then(Option::as_ref)
            .and_then(|x| rebased(e, x))
            .filter(|r| r.current)
            .and_then(|r| r.start_year())
        {
            from = from.min(original);
        }
        let span = zones.entry(e.time_zone.clone()).or_insert((from, to));
        *span = (span.0.min(from), span.1.max(to));
    }
    Ok(zones)
}

/// Lines folded at 75 octets with CRLF endings, as RFC 5545 3.1 requires.
#[derive(Default)]
pub(super) struct Lines(pub(super) String);

impl Lines {
    pub(super) fn line(&mut self, text: &str) {
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

pub(super) fn escape(text: &str) -> String {
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
    Ok(format!(
        ";TZID={}:{}",
        TzidParam(zone),
        local.strftime("%Y%m%dT%H%M%S")
    ))
}

/// A zone name as a `TZID` parameter value: a POSIX rule (the only zone name starting with `<`;
/// most have `:` or `,`) is quoted, as RFC 5545 3.2 requires for those. Written straight into
/// the line, without a copy, and without scanning the name: this is on every exported time.
pub(super) struct TzidParam<'a>(pub(super) &'a str);

impl core::fmt::Display for TzidParam<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.0.starts_with('<') {
            write!(f, "\"{}\"", self.0)
        } else {
            f.write_str(self.0)
        }
    }
}

fn date_value(d: Date) -> String {
    d.strftime("%Y%m%d").to_string()
}

/// The original lines of a series an import moved to 1970 (`ics::series`), if it has them.
fn rebased<'a>(e: &Event, extras: &'a IcsExtras) -> Option<Rebased<'a>> {
    let start_ns = match e.time {
        EventTime::Timed { start_ns, .. } => Some(start_ns),
        EventTime::AllDay { .. } => None,
    };
    let rule = e.recurrence.as_ref().map(|r| r.rule.as_str());
    Rebased::parse(&extras.lines, start_ns, rule)
}

fn write_event(out: &mut Lines, e: &Event, extras: &IcsExtras) -> Result<(), Error> {
    let tz = time_zone(&e.time_zone)?;
    let rebased = rebased(e, extras);
    // Written back only while the event starts and repeats as the import moved it.
    let originals = rebased.as_ref().filter(|r| r.current).map(|r| r.originals);
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
    if !(extras.no_summary && e.title == NO_TITLE) {
        out.line(&format!("SUMMARY:{}", escape(&e.title)));
    }
    if !e.description.is_empty() {
        out.line(&format!("DESCRIPTION:{}", escape(&e.description)));
    }
    if !e.location.is_empty() {
        out.line(&format!("LOCATION:{}", escape(&e.location)));
    }
    match &e.time {
        EventTime::Timed { .. } if originals.is_some() => {
            for line in originals.into_iter().flatten() {
                out.line(line);
            }
        }
        EventTime::Timed { start_ns, end_ns } => {
            out.line(&format!("DTSTART{}", zoned(&e.time_zone, &tz, *start_ns)?));
            out.line(&format!("DTEND{}", zoned(&e.time_zone, &tz, *end_ns)?));
        }
        EventTime::AllDay { start, end } => {
            let d = |w| recurrence::wire::date("ics", w);
            out.line(&format!("DTSTART;VALUE=DATE:{}", date_value(d(*start)?)));
            out.line(&format!("DTEND;VALUE=DATE:{}", date_value(d(*end)?)));
            out.line(&format!("X-IC-TIMEZONE:{}", escape(&e.time_zone)));
        }
    }
    if let Some(r) = &e.recurrence {
        if originals.is_none() {
            out.line(&format!("RRULE:{}", r.rule));
        }
        for &x in &r.exdates_ns {
            out.line(&format!("EXDATE{}", original(x)?));
        }
        for &x in r.rdates_ns.iter().flatten() {
            out.line(&format!("RDATE{}", original(x)?));
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
        // RFC 7986 wants a CSS colour name; the exact colour travels beside it when no name is.
        if let Some((name, exact)) = colors::nearest_name(color) {
            out.line(&format!("COLOR:{name}"));
            if !exact {
                out.line(&format!("X-IC-COLOR:{color}"));
            }
        }
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
    let skip = rebased.map_or(0..0, |r| r.range);
    for (i, line) in extras.lines.iter().enumerate() {
        if !skip.contains(&i) {
            out.line(line);
        }
    }
    out.line("END:VEVENT");
    for o in &e.overrides {
        out.line("BEGIN:VEVENT");
        out.line(&format!("UID:{}", escape(&e.ical_uid)));
        out.line(&format!("DTSTAMP:{}", utc(e.updated_at_ns)?));
        out.line(&format!("RECURRENCE-ID{}", original(o.original_start_ns)?));
        let kept = extras.instance(o.original_start_ns);
        if !kept.iter().any(|l| l.starts_with("SUMMARY")) {
            out.line(&format!("SUMMARY:{}", escape(&e.title)));
        }
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
        for line in kept {
            out.line(line);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ics::parse::{content_lines, unescape};

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
    fn an_empty_export_is_a_complete_calendar() {
        assert_eq!(
            export(&[], &[]).unwrap(),
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//icp-calendar//calendar shard//EN\r\n\
             CALSCALE:GREGORIAN\r\nEND:VCALENDAR\r\n"
        );
    }
}
