//! The RRULE parts of RFC 5545 3.3.10: types, parsing (`FromStr`) and canonical formatting (`Display`).
//!
//! Parsing is lenient where real clients are sloppy (case, an `RRULE:` prefix, a trailing `;`,
//! `UNTIL` as a date or a floating local time) and strict about meaning: anything outside the
//! subset is rejected with an error naming the part, never silently dropped, because a dropped
//! `BYHOUR` would silently change which instances exist.

use core::fmt;
use core::str::FromStr;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::Timestamp;

use crate::error::RecurrenceError;

/// `FREQ`: the period the rule steps through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Frequency {
    Secondly,
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secondly => "SECONDLY",
            Self::Minutely => "MINUTELY",
            Self::Hourly => "HOURLY",
            Self::Daily => "DAILY",
            Self::Weekly => "WEEKLY",
            Self::Monthly => "MONTHLY",
            Self::Yearly => "YEARLY",
        }
    }
}

/// One `BYDAY` entry: `MO` (every Monday in the period) or `2TU` / `-1FR` (the n-th in it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WeekdayNum {
    pub ordinal: Option<i8>,
    pub weekday: Weekday,
}

/// `UNTIL` as the client sent it. Expansion interprets `Date` and `Local` in the event's zone;
/// [`crate::Series::new`] normalises it to `Utc` (timed events) or `Date` (all-day events).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Until {
    /// `UNTIL=20250301`: every instance on or before that date.
    Date(Date),
    /// `UNTIL=20250301T090000` (floating): local time in the event's zone.
    Local(DateTime),
    /// `UNTIL=20250301T080000Z`.
    Utc(Timestamp),
}

/// A parsed recurrence rule. Lists are kept sorted and deduplicated so that equal rules
/// compare equal and format identically.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecurrenceRule {
    pub freq: Frequency,
    /// At least 1.
    pub interval: u32,
    pub count: Option<u32>,
    pub until: Option<Until>,
    pub by_day: Vec<WeekdayNum>,
    pub by_month_day: Vec<i8>,
    pub by_month: Vec<i8>,
    /// Week numbers (±1..=53, weeks start on WKST; week 1 has at least 4 days of the year).
    /// YEARLY only.
    pub by_week_no: Vec<i8>,
    /// Days of the year (±1..=366). Not with DAILY, WEEKLY or MONTHLY (RFC 5545 3.3.10).
    pub by_year_day: Vec<i16>,
    /// Hours 0..=23.
    pub by_hour: Vec<i8>,
    /// Minutes 0..=59.
    pub by_minute: Vec<i8>,
    /// Seconds 0..=59 (a leap second 60 is refused: no instant has it).
    pub by_second: Vec<i8>,
    pub by_set_pos: Vec<i16>,
    /// `None` means the RFC default, Monday; kept as given so text round-trips.
    pub wkst: Option<Weekday>,
}

impl RecurrenceRule {
    /// A rule with only `FREQ` set.
    pub fn new(freq: Frequency) -> Self {
        Self {
            freq,
            interval: 1,
            count: None,
            until: None,
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_month: Vec::new(),
            by_week_no: Vec::new(),
            by_year_day: Vec::new(),
            by_hour: Vec::new(),
            by_minute: Vec::new(),
            by_second: Vec::new(),
            by_set_pos: Vec::new(),
            wkst: None,
        }
    }

    /// True for `HOURLY`, `MINUTELY` and `SECONDLY`.
    pub fn is_sub_daily(&self) -> bool {
        self.freq < Frequency::Daily
    }

    /// True when the rule chooses times of day itself (a sub-daily frequency or a
    /// `BYHOUR`/`BYMINUTE`/`BYSECOND` part), which an all-day event cannot have.
    pub fn has_time_parts(&self) -> bool {
        self.is_sub_daily()
            || !self.by_hour.is_empty()
            || !self.by_minute.is_empty()
            || !self.by_second.is_empty()
    }

    /// The week start used for `WEEKLY` periods.
    pub fn week_start(&self) -> Weekday {
        self.wkst.unwrap_or(Weekday::Monday)
    }

    /// Checks the combination rules of RFC 5545 3.3.10 and the value ranges. `FromStr` calls
    /// this; call it yourself after building a rule by hand.
    pub fn validate(&self) -> Result<(), RecurrenceError> {
        let bad = |part: &str, value: String| RecurrenceError::BadValue {
            part: part.into(),
            value,
        };
        let incompatible = |part: &str, reason| RecurrenceError::Incompatible {
            part: part.into(),
            reason,
        };
        if self.interval == 0 {
            return Err(RecurrenceError::ZeroInterval);
        }
        if self.count.is_some() && self.until.is_some() {
            return Err(RecurrenceError::CountAndUntil);
        }
        if self.count == Some(0) {
            return Err(bad("COUNT", "0".into()));
        }
        for &m in &self.by_month {
            if !(1..=12).contains(&m) {
                return Err(bad("BYMONTH", m.to_string()));
            }
        }
        for &d in &self.by_month_day {
            if d == 0 || !(-31..=31).contains(&d) {
                return Err(bad("BYMONTHDAY", d.to_string()));
            }
        }
        let ranged = |part: &str, values: &[i8], lo: i8, hi: i8, signed: bool| {
            for &v in values {
                if !(lo..=hi).contains(&v) || (signed && v == 0) {
                    return Err(bad(part, v.to_string()));
                }
            }
            Ok(())
        };
        ranged("BYWEEKNO", &self.by_week_no, -53, 53, true)?;
        ranged("BYHOUR", &self.by_hour, 0, 23, false)?;
        ranged("BYMINUTE", &self.by_minute, 0, 59, false)?;
        ranged("BYSECOND", &self.by_second, 0, 59, false)?;
        for &d in &self.by_year_day {
            if d == 0 || !(-366..=366).contains(&d) {
                return Err(bad("BYYEARDAY", d.to_string()));
            }
        }
        for &p in &self.by_set_pos {
            if p == 0 || !(-366..=366).contains(&p) {
                return Err(bad("BYSETPOS", p.to_string()));
            }
        }
        if self.freq == Frequency::Weekly && !self.by_month_day.is_empty() {
            return Err(incompatible("BYMONTHDAY", "not allowed with FREQ=WEEKLY"));
        }
        if !self.by_week_no.is_empty() && self.freq != Frequency::Yearly {
            return Err(incompatible("BYWEEKNO", "needs FREQ=YEARLY"));
        }
        if !self.by_year_day.is_empty()
            && matches!(
                self.freq,
                Frequency::Daily | Frequency::Weekly | Frequency::Monthly
            )
        {
            return Err(incompatible(
                "BYYEARDAY",
                "not allowed with FREQ=DAILY, WEEKLY or MONTHLY",
            ));
        }
        for wd in &self.by_day {
            if let Some(n) = wd.ordinal {
                if !self.by_week_no.is_empty() {
                    return Err(incompatible("BYDAY", "no ordinals together with BYWEEKNO"));
                }
                let max = match self.freq {
                    Frequency::Secondly
                    | Frequency::Minutely
                    | Frequency::Hourly
                    | Frequency::Daily
                    | Frequency::Weekly => {
                        return Err(incompatible(
                            "BYDAY",
                            "ordinals need FREQ=MONTHLY or YEARLY",
                        ))
                    }
                    // With BYMONTH a yearly ordinal counts within each month.
                    Frequency::Monthly => 5,
                    Frequency::Yearly if !self.by_month.is_empty() => 5,
                    Frequency::Yearly => 53,
                };
                if n == 0 || n.abs() > max {
                    return Err(bad("BYDAY", format_weekday_num(wd)));
                }
            }
        }
        if !self.by_set_pos.is_empty()
            && self.by_day.is_empty()
            && self.by_month_day.is_empty()
            && self.by_month.is_empty()
            && self.by_week_no.is_empty()
            && self.by_year_day.is_empty()
            && self.by_hour.is_empty()
            && self.by_minute.is_empty()
            && self.by_second.is_empty()
        {
            return Err(incompatible("BYSETPOS", "needs another BY* part"));
        }
        Ok(())
    }

    fn normalize(&mut self) {
        self.by_month.sort_unstable();
        self.by_month.dedup();
        self.by_month_day.sort_unstable();
        self.by_month_day.dedup();
        self.by_set_pos.sort_unstable();
        self.by_set_pos.dedup();
        for list in [
            &mut self.by_week_no,
            &mut self.by_hour,
            &mut self.by_minute,
            &mut self.by_second,
        ] {
            list.sort_unstable();
            list.dedup();
        }
        self.by_year_day.sort_unstable();
        self.by_year_day.dedup();
        self.by_day
            .sort_by_key(|w| (w.weekday.to_monday_zero_offset(), w.ordinal));
        self.by_day.dedup();
    }
}

pub(crate) fn weekday_code(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "MO",
        Weekday::Tuesday => "TU",
        Weekday::Wednesday => "WE",
        Weekday::Thursday => "TH",
        Weekday::Friday => "FR",
        Weekday::Saturday => "SA",
        Weekday::Sunday => "SU",
    }
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

fn format_weekday_num(w: &WeekdayNum) -> String {
    match w.ordinal {
        Some(n) => format!("{n}{}", weekday_code(w.weekday)),
        None => weekday_code(w.weekday).to_string(),
    }
}

/// Parses `YYYYMMDD`, `YYYYMMDDTHHMMSS` or `YYYYMMDDTHHMMSSZ`.
pub(crate) fn parse_until(v: &str) -> Option<Until> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let num = |s: &str| s.parse::<i32>().ok();
    let date_part = v.get(0..8).filter(|s| digits(s))?;
    let date = Date::new(
        num(&date_part[0..4])? as i16,
        num(&date_part[4..6])? as i8,
        num(&date_part[6..8])? as i8,
    )
    .ok()?;
    let rest = &v[8..];
    if rest.is_empty() {
        return Some(Until::Date(date));
    }
    let (time, utc) = match rest.strip_suffix('Z') {
        Some(t) => (t, true),
        None => (rest, false),
    };
    let time = time
        .strip_prefix('T')
        .filter(|t| t.len() == 6 && digits(t))?;
    let (h, m, s) = (num(&time[0..2])?, num(&time[2..4])?, num(&time[4..6])?);
    // RFC 5545 allows second 60 (leap second); clamp it rather than reject a real client.
    let time = jiff::civil::Time::new(h as i8, m as i8, s.min(59) as i8, 0).ok()?;
    let dt = date.to_datetime(time);
    if utc {
        Some(Until::Utc(
            dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp(),
        ))
    } else {
        Some(Until::Local(dt))
    }
}

fn parse_list<T>(
    part: &str,
    v: &str,
    f: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, RecurrenceError> {
    v.split(',')
        .map(|item| {
            f(item.trim()).ok_or_else(|| RecurrenceError::BadValue {
                part: part.into(),
                value: item.into(),
            })
        })
        .collect()
}

fn parse_weekday_num(s: &str) -> Option<WeekdayNum> {
    if s.len() < 2 {
        return None;
    }
    let (num, code) = s.split_at(s.len() - 2);
    let weekday = parse_weekday(code)?;
    let ordinal = if num.is_empty() {
        None
    } else {
        let n = num.strip_prefix('+').unwrap_or(num).parse::<i8>().ok()?;
        Some(n)
    };
    Some(WeekdayNum { ordinal, weekday })
}

impl FromStr for RecurrenceRule {
    type Err = RecurrenceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim();
        let text = match text.get(..6) {
            Some(p) if p.eq_ignore_ascii_case("RRULE:") => &text[6..],
            _ => text,
        };
        let mut freq = None;
        let mut rule = RecurrenceRule::new(Frequency::Daily);
        let mut seen: Vec<String> = Vec::new();
        let mut any = false;
        for raw in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            any = true;
            let Some((name, value)) = raw.split_once('=') else {
                return Err(RecurrenceError::UnknownPart(raw.into()));
            };
            let name = name.trim().to_ascii_uppercase();
            let value = value.trim().to_ascii_uppercase();
            if seen.contains(&name) {
                return Err(RecurrenceError::DuplicatePart(name));
            }
            let bad = || RecurrenceError::BadValue {
                part: name.clone(),
                value: value.clone(),
            };
            match name.as_str() {
                "FREQ" => {
                    freq = Some(match value.as_str() {
                        "DAILY" => Frequency::Daily,
                        "WEEKLY" => Frequency::Weekly,
                        "MONTHLY" => Frequency::Monthly,
                        "YEARLY" => Frequency::Yearly,
                        "HOURLY" => Frequency::Hourly,
                        "MINUTELY" => Frequency::Minutely,
                        "SECONDLY" => Frequency::Secondly,
                        _ => return Err(bad()),
                    })
                }
                "INTERVAL" => {
                    rule.interval = value.parse().map_err(|_| bad())?;
                    if rule.interval == 0 {
                        return Err(RecurrenceError::ZeroInterval);
                    }
                }
                "COUNT" => rule.count = Some(value.parse().map_err(|_| bad())?),
                "UNTIL" => rule.until = Some(parse_until(&value).ok_or_else(bad)?),
                "BYDAY" => rule.by_day = parse_list(&name, &value, parse_weekday_num)?,
                "BYMONTHDAY" => {
                    rule.by_month_day = parse_list(&name, &value, |s| s.parse::<i8>().ok())?
                }
                "BYMONTH" => rule.by_month = parse_list(&name, &value, |s| s.parse::<i8>().ok())?,
                "BYSETPOS" => {
                    rule.by_set_pos = parse_list(&name, &value, |s| s.parse::<i16>().ok())?
                }
                "WKST" => rule.wkst = Some(parse_weekday(&value).ok_or_else(bad)?),
                "BYWEEKNO" => {
                    rule.by_week_no = parse_list(&name, &value, |s| s.parse::<i8>().ok())?
                }
                "BYYEARDAY" => {
                    rule.by_year_day = parse_list(&name, &value, |s| s.parse::<i16>().ok())?
                }
                "BYHOUR" => rule.by_hour = parse_list(&name, &value, |s| s.parse::<i8>().ok())?,
                "BYMINUTE" => rule.by_minute = parse_list(&name, &value, |s| s.parse::<i8>().ok())?,
                "BYSECOND" => rule.by_second = parse_list(&name, &value, |s| s.parse::<i8>().ok())?,
                // RFC 7529 (non-Gregorian calendars): the only parts RFC 5545 clients may send
                // that this engine refuses.
                "RSCALE" | "SKIP" => return Err(RecurrenceError::UnsupportedPart(name)),
                _ => return Err(RecurrenceError::UnknownPart(name)),
            }
            seen.push(name);
        }
        if !any {
            return Err(RecurrenceError::EmptyRule);
        }
        rule.freq = freq.ok_or(RecurrenceError::MissingFrequency)?;
        rule.normalize();
        rule.validate()?;
        Ok(rule)
    }
}

fn write_list<T>(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    items: &[T],
    g: impl Fn(&T) -> String,
) -> fmt::Result {
    if items.is_empty() {
        return Ok(());
    }
    write!(f, ";{name}=")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        f.write_str(&g(item))?;
    }
    Ok(())
}

/// Canonical text without the `RRULE:` prefix, in a fixed part order, `INTERVAL` only when
/// above 1. `UNTIL` is written in the form it is stored in; a [`crate::Series`] stores it in
/// the strict form (UTC for timed events, a date for all-day ones).
impl fmt::Display for RecurrenceRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FREQ={}", self.freq.as_str())?;
        match self.until {
            Some(Until::Date(d)) => write!(f, ";UNTIL={}", d.strftime("%Y%m%d"))?,
            Some(Until::Local(dt)) => write!(f, ";UNTIL={}", dt.strftime("%Y%m%dT%H%M%S"))?,
            Some(Until::Utc(t)) => write!(f, ";UNTIL={}", t.strftime("%Y%m%dT%H%M%SZ"))?,
            None => {}
        }
        if let Some(c) = self.count {
            write!(f, ";COUNT={c}")?;
        }
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        write_list(f, "BYMONTH", &self.by_month, |m| m.to_string())?;
        write_list(f, "BYWEEKNO", &self.by_week_no, |w| w.to_string())?;
        write_list(f, "BYYEARDAY", &self.by_year_day, |d| d.to_string())?;
        write_list(f, "BYMONTHDAY", &self.by_month_day, |d| d.to_string())?;
        write_list(f, "BYDAY", &self.by_day, format_weekday_num)?;
        write_list(f, "BYHOUR", &self.by_hour, |h| h.to_string())?;
        write_list(f, "BYMINUTE", &self.by_minute, |m| m.to_string())?;
        write_list(f, "BYSECOND", &self.by_second, |s| s.to_string())?;
        write_list(f, "BYSETPOS", &self.by_set_pos, |p| p.to_string())?;
        if let Some(w) = self.wkst {
            write!(f, ";WKST={}", weekday_code(w))?;
        }
        Ok(())
    }
}
