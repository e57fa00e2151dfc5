//! iCalendar value types the importer reads: dates, date-times in the zone a `TZID` names
//! (IANA, Windows through CLDR, or the file's own VTIMEZONE, via `recurrence::tz`), durations
//! and alarm triggers.

use std::collections::BTreeMap;

use interfaces::calendar::IcsSkipReason;
use recurrence::jiff::civil::{Date, DateTime};
use recurrence::jiff::tz::TimeZone;
use recurrence::jiff::Timestamp;
use recurrence::tz::{
    iana_equivalent, named_zone, posix_equivalent, resolve_tzid, wall_to_instant, PosixEquivalent,
    PosixRule, ResolvedZone, TzError, VTimeZone,
};

use super::parse::Prop;

pub(super) fn unreadable(property: &str, reason: impl Into<String>) -> IcsSkipReason {
    IcsSkipReason::Unreadable {
        property: property.to_string(),
        reason: reason.into(),
    }
}

/// The zone a time was given in.
#[derive(Clone, Debug)]
pub(super) enum Zone {
    /// UTC (`Z`).
    Utc,
    /// A zone name events are stored with: an IANA name of the bundled database, or a POSIX
    /// rule (`recurrence::tz::named_zone`; an exported event in a rule names it as its TZID).
    Named(String),
    /// A zone only the file's VTIMEZONE defines, by its TZID, with the IANA zone whose rules it
    /// restates (`recurrence::tz::iana_equivalent`), and the POSIX rule it follows
    /// (`recurrence::tz::posix_equivalent`; looked for by [`Times::for_start`] when no twin
    /// fits), if any.
    Custom {
        tzid: String,
        twin: Option<String>,
        rule: Option<PosixEquivalent>,
    },
    /// A TZID nothing defines, read as floating time in the IANA zone `floating`.
    Unknown { tzid: String, floating: String },
}

impl Zone {
    /// The name an event in this zone is stored with: a custom zone's twin, else its rule, else
    /// UTC (its times are then exact instants; the report says which it was).
    pub(super) fn stored_name(&self) -> &str {
        match self {
            Zone::Utc => "UTC",
            Zone::Custom { twin, rule, .. } => match (twin, rule) {
                (Some(name), _) => name,
                (None, Some(rule)) => &rule.rule,
                (None, None) => "UTC",
            },
            Zone::Named(name) | Zone::Unknown { floating: name, .. } => name,
        }
    }
}

/// Resolves `TZID`s (once each) and reads date-times.
pub(super) struct Times<'a> {
    definitions: &'a BTreeMap<String, VTimeZone>,
    resolved: BTreeMap<String, Result<(Zone, TimeZone), String>>,
    /// The POSIX rule each custom zone follows, found once per TZID when first needed.
    rules: BTreeMap<String, Option<PosixEquivalent>>,
    /// The IANA zone floating times are read in.
    pub(super) floating: String,
}

impl<'a> Times<'a> {
    pub(super) fn new(definitions: &'a BTreeMap<String, VTimeZone>, floating: String) -> Self {
        Self {
            definitions,
            resolved: BTreeMap::new(),
            rules: BTreeMap::new(),
            floating,
        }
    }

    /// `zone` for an event starting at `t` in the file's zone `tz`: a custom zone keeps its
    /// twin only where the twin has the same offset at `t` (they agree from 2008 to 2037; an
    /// older start may predate the rules the file states), else the POSIX rule the zone follows
    /// from where that rule agrees with it for good; otherwise its times are kept in UTC.
    pub(super) fn for_start(&mut self, zone: Zone, t: Timestamp, tz: &TimeZone) -> Zone {
        let Zone::Custom { tzid, twin, .. } = zone else {
            return zone;
        };
        let twin = twin
            .filter(|name| TimeZone::get(name).is_ok_and(|z| z.to_offset(t) == tz.to_offset(t)));
        // Deriving and checking a rule costs about 4 M instructions: only without a twin.
        let rule = match twin {
            Some(_) => None,
            None => self
                .rules
                .entry(tzid.clone())
                .or_insert_with(|| posix_equivalent(tz))
                .clone()
                .filter(|r| r.since <= t),
        };
        Zone::Custom { tzid, twin, rule }
    }

    /// The zone a `TZID` names: as `recurrence::tz::resolve_tzid` decides, else the IANA name
    /// at the end of a prefixed one (`/mozilla.org/20070129_1/America/New_York`), else (no
    /// definition anywhere) floating time, as other readers do.
    pub(super) fn zone(&mut self, tzid: &str) -> Result<(Zone, TimeZone), IcsSkipReason> {
        if !self.resolved.contains_key(tzid) {
            let found = self.resolve(tzid);
            self.resolved.insert(tzid.to_string(), found);
        }
        self.resolved[tzid]
            .clone()
            .map_err(|reason| unreadable("TZID", format!("{tzid}: {reason}")))
    }

    fn resolve(&self, tzid: &str) -> Result<(Zone, TimeZone), String> {
        let named = |name: String| {
            named_zone(&name)
                .map(|tz| (Zone::Named(name.clone()), tz))
                .ok_or_else(|| format!("unknown time zone `{name}`"))
        };
        // An IANA or Windows name first, even with a VTIMEZONE beside it (tzdb is more
        // complete than what files carry), also at the end of a prefixed name.
        if let Ok(ResolvedZone::Iana(name)) = resolve_tzid(tzid, None) {
            return named(name);
        }
        // A POSIX rule (what an export writes for an event stored in one) states the zone
        // exactly, as an IANA name does.
        if let Some(tz) = PosixRule::parse(tzid).and_then(|rule| rule.zone()) {
            return Ok((Zone::Named(tzid.to_string()), tz));
        }
        let suffixes = tzid.char_indices().filter(|&(_, c)| c == '/');
        for (i, _) in suffixes {
            if let Ok(ResolvedZone::Iana(name)) = resolve_tzid(&tzid[i + 1..], None) {
                return named(name);
            }
        }
        match resolve_tzid(tzid, self.definitions.get(tzid)) {
            Ok(ResolvedZone::Iana(name)) => return named(name),
            Ok(ResolvedZone::Custom(tz)) => {
                let zone = Zone::Custom {
                    tzid: tzid.to_string(),
                    twin: iana_equivalent(&tz),
                    rule: None,
                };
                return Ok((zone, tz));
            }
            Err(TzError::UnknownZone(_)) => {}
            Err(e) => return Err(e.to_string()),
        }
        if tzid == self.floating {
            return Err(format!("unknown time zone `{tzid}`"));
        }
        let floating = self.floating.clone();
        let (_, tz) = named(floating.clone())?;
        let zone = Zone::Unknown {
            tzid: tzid.to_string(),
            floating,
        };
        Ok((zone, tz))
    }

    /// The zone of a property's value: its `TZID`, else the floating zone.
    pub(super) fn zone_of(&mut self, p: &Prop) -> Result<(Zone, TimeZone), IcsSkipReason> {
        match p.param("TZID") {
            Some(tzid) => self.zone(tzid),
            None => {
                let floating = self.floating.clone();
                self.zone(&floating)
            }
        }
    }

    /// A DATE-TIME value of `p` (one item of its list): the instant and the zone it was in.
    pub(super) fn instant(
        &mut self,
        p: &Prop,
        value: &str,
    ) -> Result<(Timestamp, Zone), IcsSkipReason> {
        let value = value.trim();
        if let Some(utc) = value.strip_suffix(['Z', 'z']) {
            let dt = date_time(&p.name, utc)?;
            let t = dt
                .to_zoned(TimeZone::UTC)
                .map_err(|e| unreadable(&p.name, e.to_string()))?;
            return Ok((t.timestamp(), Zone::Utc));
        }
        let (zone, tz) = self.zone_of(p)?;
        let dt = date_time(&p.name, value)?;
        let t = wall_to_instant(&tz, dt).map_err(|e| unreadable(&p.name, e.to_string()))?;
        Ok((t, zone))
    }
}

fn date_time(property: &str, v: &str) -> Result<DateTime, IcsSkipReason> {
    DateTime::strptime("%Y%m%dT%H%M%S", v)
        .map_err(|_| unreadable(property, format!("bad date-time `{v}`")))
}

pub(super) fn parse_date(property: &str, v: &str) -> Result<Date, IcsSkipReason> {
    let v = v.trim();
    Date::strptime("%Y%m%d", v).map_err(|_| unreadable(property, format!("bad date `{v}`")))
}

pub(super) fn is_date(p: &Prop) -> bool {
    p.param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || (p.value.trim().len() == 8 && !p.value.contains('T'))
}

/// Nanoseconds since 1970 of `t`, or `BeforeEpoch`.
pub(super) fn epoch_ns(t: Timestamp) -> Result<u64, IcsSkipReason> {
    u64::try_from(t.as_nanosecond()).map_err(|_| IcsSkipReason::BeforeEpoch)
}

/// Minutes before the start of a `TRIGGER` duration (`-PT15M`, `-P1D`, `PT0S`), or `None`
/// for a trigger after the start or one that is not a plain duration.
pub(super) fn trigger_minutes(v: &str) -> Option<u32> {
    let v = v.trim();
    let (before, rest) = match v.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let seconds = duration_seconds(rest)?;
    if !before && seconds != 0 {
        return None;
    }
    if seconds % 60 != 0 {
        return None;
    }
    u32::try_from(seconds / 60).ok()
}

/// Seconds of a `DURATION` value (`PT1H`, `P1D`, `P1W`, `P1DT2H`).
fn duration_seconds(v: &str) -> Option<u64> {
    let rest = v.strip_prefix('P')?;
    let (mut seconds, mut number, mut in_time) = (0u64, String::new(), false);
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' => in_time = true,
            unit => {
                let n: u64 = number.parse().ok()?;
                number.clear();
                let unit_seconds: u64 = match (unit, in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3_600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                seconds = seconds.checked_add(n.checked_mul(unit_seconds)?)?;
            }
        }
    }
    number.is_empty().then_some(seconds)
}

/// Nanoseconds of a `DURATION` value (a leading `+` allowed).
pub(super) fn duration_ns(v: &str) -> Result<u64, IcsSkipReason> {
    let t = v.trim();
    duration_seconds(t.strip_prefix('+').unwrap_or(t))
        .and_then(|s| s.checked_mul(1_000_000_000))
        .ok_or_else(|| unreadable("DURATION", format!("bad DURATION `{v}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_and_durations_parse() {
        assert_eq!(trigger_minutes("-PT15M"), Some(15));
        assert_eq!(trigger_minutes("-P1D"), Some(1_440));
        assert_eq!(trigger_minutes("-PT1H30M"), Some(90));
        assert_eq!(trigger_minutes("PT0S"), Some(0));
        assert_eq!(trigger_minutes("PT5M"), None);
        assert_eq!(trigger_minutes("-PT30S"), None);
        assert_eq!(duration_ns("PT1H30M").unwrap(), 5_400 * 1_000_000_000);
        assert_eq!(duration_ns("P1W").unwrap(), 7 * 86_400 * 1_000_000_000);
        assert!(duration_ns("1H").is_err());
        assert!(duration_ns("PT1").is_err());
        assert!(
            duration_ns("P99999999999999999W").is_err(),
            "overflow is an error"
        );
    }

    #[test]
    fn windows_and_file_defined_zones_resolve() {
        let mut defs = BTreeMap::new();
        defs.insert(
            "My Zone".to_string(),
            VTimeZone {
                tzid: "My Zone".into(),
                observances: vec![recurrence::tz::Observance {
                    kind: recurrence::tz::ObservanceKind::Standard,
                    dtstart: "19700101T000000".into(),
                    offset_from: "+0530".into(),
                    offset_to: "+0530".into(),
                    rrule: None,
                    rdates: vec![],
                    name: None,
                }],
            },
        );
        let mut times = Times::new(&defs, "UTC".into());
        let (zone, _) = times.zone("W. Europe Standard Time").unwrap();
        assert!(
            matches!(zone, Zone::Named(ref n) if n == "Europe/Berlin"),
            "{zone:?}"
        );
        // +05:30 without DST since 1970: India's rules.
        let (custom, _) = times.zone("My Zone").unwrap();
        assert!(
            matches!(custom, Zone::Custom { ref twin, .. } if twin.as_deref() == Some("Asia/Calcutta")),
            "{custom:?}"
        );
        let prefixed = times
            .zone("/mozilla.org/20070129_1/America/New_York")
            .unwrap()
            .0;
        assert!(matches!(prefixed, Zone::Named(ref n) if n == "America/New_York"));
        let unknown = times.zone("Mars Base").unwrap().0;
        assert!(matches!(unknown, Zone::Unknown { ref floating, .. } if floating == "UTC"));
    }
}
