//! A VTIMEZONE for an IANA zone of the bundled database, covering a range of years, so an
//! exported file carries the definition of every zone it names (RFC 5545 3.6.5 requires one).
//!
//! Transitions come from jiff's bundled tzdb. Consecutive years whose onsets share month,
//! weekday, ordinal (`2SU`, `-1SU`) and local time become one sub-component with a yearly
//! RRULE (with `UNTIL` unless the run reaches the range's last year, where the rule is left
//! open as tzdb continues it); any other onset is a sub-component of its own. A zone without
//! transitions in the range gets one STANDARD sub-component with its fixed offset.

use core::fmt::Write;

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

use super::vtimezone::TzError;

/// One tzdb transition seen from the wall clock before it.
#[derive(Clone, Debug)]
struct Onset {
    /// Local time of the onset in the offset before it.
    local: DateTime,
    at: Timestamp,
    from: i32,
    to: i32,
    dst: bool,
    name: String,
}

/// A run of yearly onsets sharing one rule.
struct Run {
    onsets: Vec<Onset>,
    /// `Some(n)` while every onset is the n-th weekday of its month.
    nth: Option<i8>,
    /// True while every onset is also the last such weekday.
    last: bool,
}

impl Run {
    fn new(o: Onset) -> Self {
        let (nth, last) = super::week_of_month(o.local.date());
        Self {
            onsets: vec![o],
            nth: Some(nth),
            last,
        }
    }

    /// Adds `o` when it continues this run's yearly rule.
    fn try_push(&mut self, o: &Onset) -> bool {
        let prev = self.onsets.last().expect("a run is never empty");
        let same_shape = o.local.year() == prev.local.year() + 1
            && o.local.month() == prev.local.month()
            && o.local.weekday() == prev.local.weekday()
            && o.local.time() == prev.local.time()
            && (o.from, o.to, o.dst, &o.name) == (prev.from, prev.to, prev.dst, &prev.name);
        if !same_shape {
            return false;
        }
        let (nth, last) = super::week_of_month(o.local.date());
        let nth = self.nth.filter(|n| *n == nth);
        let last = self.last && last;
        if nth.is_none() && !last {
            return false;
        }
        self.nth = nth;
        self.last = last;
        self.onsets.push(o.clone());
        true
    }
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let a = seconds.abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

fn weekday_code(local: DateTime) -> &'static str {
    crate::rule::weekday_code(local.weekday())
}

/// The VTIMEZONE (CRLF lines, `BEGIN:VTIMEZONE` to `END:VTIMEZONE`) for `zone` (an IANA
/// name, or a POSIX rule: [`super::named_zone`]) covering the years `from_year..=to_year`.
pub fn vtimezone_for(zone: &str, from_year: i16, to_year: i16) -> Result<String, TzError> {
    let tz: TimeZone =
        super::named_zone(zone).ok_or_else(|| TzError::UnknownZone(zone.to_string()))?;
    let bad_range = || TzError::BadYearRange {
        from: from_year,
        to: to_year,
    };
    if from_year > to_year {
        return Err(bad_range());
    }
    // `Date::new` (not `date`, which panics) so that any year pair is a typed error.
    let new_year = |y: i16| {
        jiff::civil::Date::new(y, 1, 1)
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
            .map_err(|_| bad_range())
    };
    let first_local = new_year(from_year)?;
    let start = tz.to_timestamp(first_local).map_err(|_| bad_range())?;
    let end = tz
        .to_timestamp(new_year(to_year.checked_add(1).ok_or_else(bad_range)?)?)
        .map_err(|_| bad_range())?;
    let name = tz.iana_name().unwrap_or(zone).to_string();
    let mut onsets = Vec::new();
    for t in tz.following(start) {
        let at = t.timestamp();
        if at >= end {
            break;
        }
        if onsets.len() >= super::MAX_TRANSITIONS {
            return Err(TzError::TooManyTransitions);
        }
        let from: Offset = tz.to_offset(at - jiff::SignedDuration::from_secs(1));
        let local = from.to_datetime(at);
        onsets.push(Onset {
            local,
            at,
            from: from.seconds(),
            to: t.offset().seconds(),
            dst: t.dst().is_dst(),
            name: t.abbreviation().to_string(),
        });
    }
    let mut out = String::new();
    // TZID is TEXT: a rule's commas are escaped (RFC 5545 3.3.11).
    let _ = write!(
        out,
        "BEGIN:VTIMEZONE\r\nTZID:{}\r\n",
        name.replace(',', "\\,")
    );
    if onsets.is_empty() {
        let info = tz.to_offset_info(start);
        let offset = offset_text(info.offset().seconds());
        let _ = write!(
            out,
            "BEGIN:STANDARD\r\nDTSTART:{}\r\nTZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\n\
             TZNAME:{}\r\nEND:STANDARD\r\n",
            first_local.strftime("%Y%m%dT%H%M%S"),
            info.abbreviation()
        );
    }
    // Runs per kind of onset, so a yearly DAYLIGHT/STANDARD pair forms two runs.
    let mut runs: Vec<Run> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for o in onsets {
        let joined = open.iter().copied().find(|&i| runs[i].try_push(&o));
        if joined.is_none() {
            // A run that cannot take this onset's kind any more is closed.
            open.retain(|&i| {
                let last = runs[i].onsets.last().expect("never empty");
                (last.from, last.to, last.dst) != (o.from, o.to, o.dst)
            });
            runs.push(Run::new(o));
            open.push(runs.len() - 1);
        }
    }
    runs.sort_by_key(|r| r.onsets[0].at);
    for run in &runs {
        write_run(&mut out, run, to_year);
    }
    out.push_str("END:VTIMEZONE\r\n");
    Ok(out)
}

fn write_run(out: &mut String, run: &Run, to_year: i16) {
    let first = &run.onsets[0];
    let last = run.onsets.last().expect("never empty");
    let kind = if first.dst { "DAYLIGHT" } else { "STANDARD" };
    let _ = write!(
        out,
        "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
        first.local.strftime("%Y%m%dT%H%M%S"),
        offset_text(first.from),
        offset_text(first.to)
    );
    if run.onsets.len() > 1 {
        // Prefer the last-weekday form (`-1SU`) when both fit: it is how tzdb states most rules.
        let ordinal = if run.last { -1 } else { run.nth.unwrap_or(1) };
        let _ = write!(
            out,
            "RRULE:FREQ=YEARLY;BYMONTH={};BYDAY={ordinal}{}",
            first.local.month(),
            weekday_code(first.local)
        );
        if last.local.year() < to_year {
            let _ = write!(out, ";UNTIL={}", last.at.strftime("%Y%m%dT%H%M%SZ"));
        }
        out.push_str("\r\n");
    }
    if !first.name.is_empty() {
        let _ = write!(out, "TZNAME:{}\r\n", first.name);
    }
    let _ = write!(out, "END:{kind}\r\n");
}
