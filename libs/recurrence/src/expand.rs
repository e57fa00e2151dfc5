//! The rule engine on the civil (wall-clock) time line: which date-times of each period a rule
//! selects.
//!
//! Everything here is zone-free. A candidate is a *civil second*: `day * 86_400 + second of
//! day`, with `day` counted from 1970-01-01. The zone is applied later, once per produced
//! candidate, in `series`. That is what makes expansion follow the wall clock.
//!
//! Per period the RFC 5545 3.3.10 table is applied. Day level: BYMONTH expands (YEARLY) or
//! limits; BYWEEKNO and BYYEARDAY expand (YEARLY; BYYEARDAY limits the sub-daily
//! frequencies); BYMONTHDAY expands (MONTHLY/YEARLY) or limits (DAILY and shorter); BYDAY
//! expands (WEEKLY, MONTHLY and YEARLY without BYMONTHDAY/BYYEARDAY) or limits. Several
//! expanding parts in one YEARLY rule intersect (`BYMONTH=1;BYYEARDAY=1,100` is Jan 1 only).
//! Time level: BYHOUR, BYMINUTE and BYSECOND expand every selected day (DAILY and longer) or
//! the hour/minute of the period (HOURLY, MINUTELY) and limit the rest. BYSETPOS then picks
//! from the period's sorted set. Missing selectors default to DTSTART's weekday / day of month
//! / month / hour / minute / second, as in RFC 5545 and python-dateutil; `BYWEEKNO` without
//! `BYDAY` selects every day of those weeks (dateutil's reading; RFC 5545 is silent).
//!
//! Sub-daily periods that fail a day- or hour-level limit jump straight to the next day, hour
//! or minute that could match, so `FREQ=MINUTELY;BYMONTH=1` costs one step per skipped day,
//! not one per skipped minute.

use crate::calendar::{
    civil_from_days, days_from_civil, days_in_month, is_leap, weekday0, weekday_index,
};
use crate::rule::{Frequency, RecurrenceRule};

/// Hard cap on recurrence periods (seconds, minutes, hours, days, weeks, months or years) one
/// call may examine; a sub-daily jump over a day, hour or minute that cannot match counts as
/// one. One period costs well under a microsecond natively, so this bounds a call to a small
/// fraction of a canister message's instruction budget. A one-year window of a daily rule
/// examines ~366 periods; COUNT rules must count from DTSTART, so a daily COUNT=100000 series
/// queried at its end is the largest legitimate case.
pub const MAX_PERIODS: u32 = 100_000;

/// Hard cap on candidate date-times one call may generate (before BYSETPOS, COUNT and the
/// window). It bounds the rules whose periods are large sets, such as
/// `FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=0,...,23;BYMINUTE=0,...,59`. A period that
/// would exceed it is refused before it is generated.
pub const MAX_CANDIDATES: u32 = 1_000_000;

/// Seconds in a civil day (the civil time line has no DST: every day has 86,400 seconds).
pub(crate) const DAY: i64 = 86_400;

/// Last day jiff can represent (9999-12-31); expansion ends there.
pub(crate) const LAST_DAY: i32 = 2_932_896;

/// A rule bound to its DTSTART, able to produce the selected date-times of any period.
pub(crate) struct Engine<'a> {
    rule: &'a RecurrenceRule,
    start_day: i32,
    start_year: i32,
    start_month: i32,
    start_dom: i32,
    /// Weekly: first day of the week (WKST-aligned) that contains DTSTART.
    week_base: i32,
    /// Sub-daily: civil second of period 0 (DTSTART truncated to the hour, minute or second).
    pub(crate) sub_base: i64,
    /// Seconds per period unit for sub-daily frequencies (3600, 60, 1); a day otherwise.
    pub(crate) unit: i64,
    /// Offsets (seconds) of the candidates inside one period unit, sorted: times of day for
    /// DAILY and longer, minute:second offsets for HOURLY, seconds for MINUTELY, `[0]` for
    /// SECONDLY.
    offsets: Vec<i64>,
}

fn values_or(list: &[i8], default: i64) -> Vec<i64> {
    if list.is_empty() {
        vec![default]
    } else {
        list.iter().map(|&x| i64::from(x)).collect()
    }
}

fn contains(list: &[i8], v: i64) -> bool {
    list.is_empty() || list.iter().any(|&x| i64::from(x) == v)
}

impl<'a> Engine<'a> {
    /// `start_second` is DTSTART's second of the day (0 for all-day events).
    pub(crate) fn new(rule: &'a RecurrenceRule, start_day: i32, start_second: i32) -> Self {
        let (y, m, d) = civil_from_days(start_day);
        let wkst = weekday_index(rule.week_start());
        let sec = i64::from(start_second);
        let hours = values_or(&rule.by_hour, sec / 3600);
        let minutes = values_or(&rule.by_minute, sec / 60 % 60);
        let seconds = values_or(&rule.by_second, sec % 60);
        let mut offsets: Vec<i64> = match rule.freq {
            Frequency::Secondly => vec![0],
            Frequency::Minutely => seconds,
            Frequency::Hourly => minutes
                .iter()
                .flat_map(|m| seconds.iter().map(move |s| m * 60 + s))
                .collect(),
            _ => hours
                .iter()
                .flat_map(|h| {
                    let seconds = &seconds;
                    minutes
                        .iter()
                        .flat_map(move |m| seconds.iter().map(move |s| h * 3600 + m * 60 + s))
                })
                .collect(),
        };
        offsets.sort_unstable();
        offsets.dedup();
        let unit = match rule.freq {
            Frequency::Hourly => 3600,
            Frequency::Minutely => 60,
            Frequency::Secondly => 1,
            _ => DAY,
        };
        let start = i64::from(start_day) * DAY + sec;
        Self {
            rule,
            start_day,
            start_year: y,
            start_month: m,
            start_dom: d,
            week_base: start_day - (weekday0(start_day) - wkst).rem_euclid(7),
            sub_base: start - start.rem_euclid(unit),
            unit,
            offsets,
        }
    }

    pub(crate) fn interval(&self) -> i64 {
        i64::from(self.rule.interval)
    }

    fn sub_daily(&self) -> bool {
        self.rule.is_sub_daily()
    }

    /// Index of the last period starting on or before civil second `at` (never negative).
    fn period_at_or_before_second(&self, at: i64) -> i64 {
        if self.sub_daily() {
            return (at - self.sub_base)
                .div_euclid(self.unit * self.interval())
                .max(0);
        }
        let day = i32::try_from(at.div_euclid(DAY)).unwrap_or(i32::MAX);
        let diff = match self.rule.freq {
            Frequency::Weekly => i64::from(day - self.week_base).div_euclid(7),
            Frequency::Monthly => {
                let (y, m, _) = civil_from_days(day);
                i64::from((y - self.start_year) * 12 + (m - self.start_month))
            }
            Frequency::Yearly => i64::from(civil_from_days(day).0 - self.start_year),
            _ => i64::from(day - self.start_day),
        };
        diff.div_euclid(self.interval()).max(0)
    }

    /// Index of the last period starting on or before `day` (never negative).
    pub(crate) fn period_at_or_before(&self, day: i32) -> i64 {
        self.period_at_or_before_second(i64::from(day) * DAY)
    }

    /// First civil second of period `k`, or `None` past year 9999.
    pub(crate) fn period_start(&self, k: i64) -> Option<i64> {
        let step = k.checked_mul(self.interval())?;
        let day = match self.rule.freq {
            Frequency::Secondly | Frequency::Minutely | Frequency::Hourly => {
                let at = step.checked_mul(self.unit)?.checked_add(self.sub_base)?;
                return Some(at).filter(|at| at.div_euclid(DAY) <= i64::from(LAST_DAY));
            }
            Frequency::Daily => i64::from(self.start_day) + step,
            Frequency::Weekly => i64::from(self.week_base) + 7 * step,
            Frequency::Monthly => {
                let mi = i64::from(self.start_year) * 12 + i64::from(self.start_month - 1) + step;
                let y = i32::try_from(mi.div_euclid(12)).ok()?.min(10_000);
                i64::from(days_from_civil(y, mi.rem_euclid(12) as i32 + 1, 1))
            }
            Frequency::Yearly => {
                let y = i32::try_from(i64::from(self.start_year) + step)
                    .ok()?
                    .min(10_000);
                i64::from(days_from_civil(y, 1, 1))
            }
        };
        Some(day)
            .filter(|d| *d <= i64::from(LAST_DAY))
            .map(|d| d * DAY)
    }

    /// Periods in 400 Gregorian years: the calendar (dates and weekdays) repeats after that,
    /// so this many consecutive empty periods prove the rule never matches again. Sub-daily
    /// rules get no such proof (their jumps are not periods); [`MAX_PERIODS`] bounds them.
    pub(crate) fn cycle(&self) -> u32 {
        match self.rule.freq {
            Frequency::Secondly | Frequency::Minutely | Frequency::Hourly => u32::MAX,
            Frequency::Daily => 146_097,
            Frequency::Weekly => 20_871,
            Frequency::Monthly => 4_800,
            Frequency::Yearly => 400,
        }
    }

    fn month_ok(&self, m: i32) -> bool {
        self.rule.by_month.is_empty() || self.rule.by_month.iter().any(|&x| i32::from(x) == m)
    }

    fn month_day_ok(&self, y: i32, m: i32, d: i32) -> bool {
        let dim = days_in_month(y, m);
        self.rule.by_month_day.iter().any(|&x| {
            let x = i32::from(x);
            if x > 0 {
                x == d
            } else {
                dim + 1 + x == d
            }
        })
    }

    /// BYYEARDAY as a limit (true when absent).
    fn year_day_ok(&self, y: i32, day: i32) -> bool {
        if self.rule.by_year_day.is_empty() {
            return true;
        }
        let first = days_from_civil(y, 1, 1);
        let len = if is_leap(y) { 366 } else { 365 };
        let n = day - first + 1;
        self.rule.by_year_day.iter().any(|&x| {
            let x = i32::from(x);
            if x > 0 {
                x == n
            } else {
                len + 1 + x == n
            }
        })
    }

    /// First day of week 1 of `y`: the WKST-aligned week containing January 4th (so week 1
    /// has at least four days of the year, RFC 5545 3.3.10 BYWEEKNO).
    fn week1_start(&self, y: i32) -> i32 {
        let jan4 = days_from_civil(y, 1, 4);
        jan4 - (weekday0(jan4) - weekday_index(self.rule.week_start())).rem_euclid(7)
    }

    /// BYWEEKNO as a limit on a day of year `y`; a day can belong to the last week of `y - 1`
    /// or to week 1 of `y + 1`, and is numbered in that year.
    fn week_no_ok(&self, y: i32, day: i32) -> bool {
        if self.rule.by_week_no.is_empty() {
            return true;
        }
        let (this, next) = (self.week1_start(y), self.week1_start(y + 1));
        let (base, weeks) = if day >= next {
            (next, (self.week1_start(y + 2) - next) / 7)
        } else if day < this {
            let prev = self.week1_start(y - 1);
            (prev, (this - prev) / 7)
        } else {
            (this, (next - this) / 7)
        };
        let week = (day - base) / 7 + 1;
        self.rule.by_week_no.iter().any(|&x| {
            let x = i32::from(x);
            if x > 0 {
                x == week
            } else {
                weeks + 1 + x == week
            }
        })
    }

    /// Pushes the days of `[first, last]` selected by BYDAY, ordinals counted in that range.
    fn expand_by_day(&self, first: i32, last: i32, out: &mut Vec<i32>) {
        for wd in &self.rule.by_day {
            let target = weekday_index(wd.weekday);
            let first_match = first + (target - weekday0(first)).rem_euclid(7);
            let last_match = last - (weekday0(last) - target).rem_euclid(7);
            match wd.ordinal {
                None => out.extend((first_match..=last).step_by(7)),
                Some(n) if n > 0 => {
                    let d = first_match + 7 * (i32::from(n) - 1);
                    if d <= last {
                        out.push(d);
                    }
                }
                Some(n) => {
                    let d = last_match - 7 * (-i32::from(n) - 1);
                    if d >= first {
                        out.push(d);
                    }
                }
            }
        }
    }

    /// BYDAY as a limit on `day`, ordinals counted within `[first, last]`.
    fn by_day_ok(&self, day: i32, first: i32, last: i32, scratch: &mut Vec<i32>) -> bool {
        if self.rule.by_day.is_empty() {
            return true;
        }
        if self.rule.by_day.iter().all(|w| w.ordinal.is_none()) {
            let wd = weekday0(day);
            return self
                .rule
                .by_day
                .iter()
                .any(|w| weekday_index(w.weekday) == wd);
        }
        scratch.clear();
        self.expand_by_day(first, last, scratch);
        scratch.contains(&day)
    }

    /// The day-level limits of DAILY and the sub-daily frequencies (no BYDAY ordinals there).
    fn day_ok(&self, day: i32, scratch: &mut Vec<i32>) -> bool {
        let (y, m, d) = civil_from_days(day);
        self.month_ok(m)
            && self.year_day_ok(y, day)
            && (self.rule.by_month_day.is_empty() || self.month_day_ok(y, m, d))
            && self.by_day_ok(day, day, day, scratch)
    }

    /// Days of one month selected for MONTHLY, or for YEARLY with BYMONTH/BYMONTHDAY.
    fn month_days(
        &self,
        y: i32,
        m: i32,
        default_dom: bool,
        out: &mut Vec<i32>,
        scratch: &mut Vec<i32>,
    ) {
        let first = days_from_civil(y, m, 1);
        let dim = days_in_month(y, m);
        let last = first + dim - 1;
        if !self.rule.by_month_day.is_empty() {
            for &x in &self.rule.by_month_day {
                let x = i32::from(x);
                let d = if x > 0 { x } else { dim + 1 + x };
                // Invalid dates (the 31st of April, Feb 30) are skipped, never clamped.
                if (1..=dim).contains(&d) && self.by_day_ok(first + d - 1, first, last, scratch) {
                    out.push(first + d - 1);
                }
            }
        } else if !self.rule.by_day.is_empty() {
            self.expand_by_day(first, last, out);
        } else if default_dom && self.start_dom <= dim {
            out.push(first + self.start_dom - 1);
        }
    }

    /// YEARLY with BYWEEKNO or BYYEARDAY: every day of the year that passes all day parts.
    /// BYDAY ordinals count within each BYMONTH month, or within the year.
    fn year_days_by_mask(&self, y: i32, out: &mut Vec<i32>, scratch: &mut Vec<i32>) {
        let mut ordinal_days = Vec::new();
        let ordinals = self.rule.by_day.iter().any(|w| w.ordinal.is_some());
        let year_first = days_from_civil(y, 1, 1);
        if ordinals && self.rule.by_month.is_empty() {
            let last = year_first + if is_leap(y) { 365 } else { 364 };
            self.expand_by_day(year_first, last, &mut ordinal_days);
        }
        for m in 1..=12 {
            if !self.month_ok(m) {
                continue;
            }
            let first = days_from_civil(y, m, 1);
            let dim = days_in_month(y, m);
            if ordinals && !self.rule.by_month.is_empty() {
                ordinal_days.clear();
                self.expand_by_day(first, first + dim - 1, &mut ordinal_days);
            }
            for d in 1..=dim {
                let day = first + d - 1;
                let by_day = if ordinals {
                    ordinal_days.contains(&day)
                } else {
                    self.by_day_ok(day, day, day, scratch)
                };
                if by_day
                    && self.year_day_ok(y, day)
                    && self.week_no_ok(y, day)
                    && (self.rule.by_month_day.is_empty() || self.month_day_ok(y, m, d))
                {
                    out.push(day);
                }
            }
        }
    }

    /// The selected days of the day-based period starting on `start` (unsorted).
    fn period_days(&self, start: i32, out: &mut Vec<i32>, scratch: &mut Vec<i32>) {
        let rule = self.rule;
        match rule.freq {
            Frequency::Secondly | Frequency::Minutely | Frequency::Hourly | Frequency::Daily => {
                if self.day_ok(start, scratch) {
                    out.push(start);
                }
            }
            Frequency::Weekly => {
                for day in start..start + 7 {
                    let wd = weekday0(day);
                    let selected = if rule.by_day.is_empty() {
                        wd == weekday0(self.start_day)
                    } else {
                        rule.by_day.iter().any(|w| weekday_index(w.weekday) == wd)
                    };
                    if selected && self.month_ok(civil_from_days(day).1) {
                        out.push(day);
                    }
                }
            }
            Frequency::Monthly => {
                let (y, m, _) = civil_from_days(start);
                if self.month_ok(m) {
                    self.month_days(y, m, true, out, scratch);
                }
            }
            Frequency::Yearly => {
                let y = civil_from_days(start).0;
                if !rule.by_week_no.is_empty() || !rule.by_year_day.is_empty() {
                    self.year_days_by_mask(y, out, scratch);
                } else if rule.by_month_day.is_empty()
                    && !rule.by_day.is_empty()
                    && rule.by_month.is_empty()
                {
                    // BYDAY alone in a year: ordinals count weeks of the whole year.
                    let last = start + if is_leap(y) { 365 } else { 364 };
                    self.expand_by_day(start, last, out);
                } else if rule.by_month.is_empty()
                    && rule.by_day.is_empty()
                    && rule.by_month_day.is_empty()
                {
                    self.month_days(y, self.start_month, true, out, scratch);
                } else if rule.by_month.is_empty() {
                    for m in 1..=12 {
                        self.month_days(y, m, true, out, scratch);
                    }
                } else {
                    for &m in &rule.by_month {
                        self.month_days(y, i32::from(m), true, out, scratch);
                    }
                }
            }
        }
    }

    /// For a sub-daily period starting at civil second `start`: `Err(next)` with the first
    /// civil second a later period could match at when a day/hour/minute limit fails here.
    fn sub_daily_limits(&self, start: i64, scratch: &mut Vec<i32>) -> Result<(), i64> {
        let day = start.div_euclid(DAY);
        let second_of_day = start - day * DAY;
        let (hour, minute, second) = (
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60,
        );
        if !self.day_ok(day as i32, scratch) {
            return Err((day + 1) * DAY);
        }
        if !contains(&self.rule.by_hour, hour) {
            return Err(day * DAY + (hour + 1) * 3600);
        }
        let freq = self.rule.freq;
        if freq != Frequency::Hourly && !contains(&self.rule.by_minute, minute) {
            return Err(start - second + 60);
        }
        if freq == Frequency::Secondly && !contains(&self.rule.by_second, second) {
            return Err(start + 1);
        }
        Ok(())
    }

    /// The selected civil seconds of the period starting at `start`, sorted, after BYSETPOS.
    /// Candidates before DTSTART are included (BYSETPOS counts them); the caller drops them.
    /// Returns the civil second to jump to when a sub-daily limit failed, and charges the
    /// candidates generated to `budget`.
    pub(crate) fn period_candidates(
        &self,
        start: i64,
        out: &mut Vec<i64>,
        days: &mut Vec<i32>,
        scratch: &mut Vec<i32>,
        budget: &mut u32,
    ) -> Result<Option<i64>, ()> {
        out.clear();
        days.clear();
        if self.sub_daily() {
            if let Err(next) = self.sub_daily_limits(start, scratch) {
                return Ok(Some(next));
            }
            days.push(start.div_euclid(DAY) as i32);
        } else {
            self.period_days(start.div_euclid(DAY) as i32, days, scratch);
            days.sort_unstable();
            days.dedup();
        }
        let wanted = days.len().saturating_mul(self.offsets.len());
        let wanted = u32::try_from(wanted).map_err(|_| ())?;
        *budget = budget.checked_sub(wanted).ok_or(())?;
        if self.sub_daily() {
            out.extend(self.offsets.iter().map(|o| start + o));
        } else {
            for &d in days.iter() {
                let base = i64::from(d) * DAY;
                out.extend(self.offsets.iter().map(|o| base + o));
            }
        }
        // Sorted and distinct already: days are, and offsets are sorted and below one unit.
        let rule = self.rule;
        if !rule.by_set_pos.is_empty() && !out.is_empty() {
            let n = out.len() as i64;
            let picked: Vec<i64> = rule
                .by_set_pos
                .iter()
                .filter_map(|&p| {
                    let idx = if p > 0 {
                        i64::from(p) - 1
                    } else {
                        n + i64::from(p)
                    };
                    (0..n).contains(&idx).then(|| out[idx as usize])
                })
                .collect();
            *out = picked;
            out.sort_unstable();
            out.dedup();
        }
        Ok(None)
    }
}
