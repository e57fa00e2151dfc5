//! The rule engine on civil days: which days of each period a rule selects.
//!
//! Everything here is zone-free. A rule only chooses *dates*; the time of day always comes
//! from DTSTART (the subset has no BYHOUR/BYMINUTE/BYSECOND), so the zone is applied later,
//! once per produced day, in `series`. That is what makes expansion follow the wall clock.
//!
//! Per period the RFC 5545 3.3.10 table is applied: BYMONTH expands (YEARLY) or limits;
//! BYMONTHDAY expands (MONTHLY/YEARLY) or limits (DAILY); BYDAY expands (WEEKLY, MONTHLY and
//! YEARLY without BYMONTHDAY) or limits; BYSETPOS then picks from the period's sorted set.
//! Missing day selectors default to DTSTART's weekday / day of month / month.

use crate::calendar::{
    civil_from_days, days_from_civil, days_in_month, is_leap, weekday0, weekday_index,
};
use crate::error::RecurrenceError;
use crate::rule::{Frequency, RecurrenceRule};

/// Hard cap on recurrence periods (days, weeks, months or years) one call may examine.
/// One period costs well under a microsecond natively, so this bounds a call to a small
/// fraction of a canister message's instruction budget. A one-year window of a daily rule
/// examines ~366 periods; COUNT rules must count from DTSTART, so a daily COUNT=100000 series
/// queried at its end is the largest legitimate case.
pub const MAX_PERIODS: u32 = 100_000;

/// Last day jiff can represent (9999-12-31); expansion ends there.
const LAST_DAY: i32 = 2_932_896;

/// A rule bound to its DTSTART day, able to produce the selected days of any period.
pub(crate) struct Engine<'a> {
    rule: &'a RecurrenceRule,
    start_day: i32,
    start_year: i32,
    start_month: i32,
    start_dom: i32,
    /// Weekly: first day of the week (WKST-aligned) that contains DTSTART.
    week_base: i32,
}

impl<'a> Engine<'a> {
    pub(crate) fn new(rule: &'a RecurrenceRule, start_day: i32) -> Self {
        let (y, m, d) = civil_from_days(start_day);
        let wkst = weekday_index(rule.week_start());
        Self {
            rule,
            start_day,
            start_year: y,
            start_month: m,
            start_dom: d,
            week_base: start_day - (weekday0(start_day) - wkst).rem_euclid(7),
        }
    }

    fn interval(&self) -> i64 {
        i64::from(self.rule.interval)
    }

    /// Index of the last period starting on or before `day` (never negative).
    pub(crate) fn period_at_or_before(&self, day: i32) -> i64 {
        let diff = match self.rule.freq {
            Frequency::Daily => i64::from(day - self.start_day),
            Frequency::Weekly => i64::from(day - self.week_base).div_euclid(7),
            Frequency::Monthly => {
                let (y, m, _) = civil_from_days(day);
                i64::from((y - self.start_year) * 12 + (m - self.start_month))
            }
            Frequency::Yearly => i64::from(civil_from_days(day).0 - self.start_year),
        };
        diff.div_euclid(self.interval()).max(0)
    }

    /// First day of period `k`, or `None` past year 9999.
    fn period_start(&self, k: i64) -> Option<i32> {
        let step = k.checked_mul(self.interval())?;
        let day = match self.rule.freq {
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
        i32::try_from(day).ok().filter(|d| *d <= LAST_DAY)
    }

    /// Periods in 400 Gregorian years: the calendar (dates and weekdays) repeats after that,
    /// so this many consecutive empty periods prove the rule never matches again.
    fn cycle(&self) -> u32 {
        match self.rule.freq {
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

    /// The selected days of period `k`, sorted, after BYSETPOS. Days before DTSTART are
    /// included (BYSETPOS counts them); the caller drops them.
    fn period_days(&self, start: i32, out: &mut Vec<i32>, scratch: &mut Vec<i32>) {
        out.clear();
        let rule = self.rule;
        match rule.freq {
            Frequency::Daily => {
                let (y, m, d) = civil_from_days(start);
                if self.month_ok(m)
                    && (rule.by_month_day.is_empty() || self.month_day_ok(y, m, d))
                    && self.by_day_ok(start, start, start, scratch)
                {
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
                if rule.by_month_day.is_empty()
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
        out.sort_unstable();
        out.dedup();
        if !rule.by_set_pos.is_empty() && !out.is_empty() {
            let n = out.len() as i32;
            scratch.clear();
            for &p in &rule.by_set_pos {
                let idx = if p > 0 {
                    i32::from(p) - 1
                } else {
                    n + i32::from(p)
                };
                if (0..n).contains(&idx) {
                    scratch.push(out[idx as usize]);
                }
            }
            scratch.sort_unstable();
            scratch.dedup();
            core::mem::swap(out, scratch);
        }
    }
}

/// Iterates the selected days in order, period by period, with the work caps applied.
pub(crate) struct DayIter<'a> {
    engine: Engine<'a>,
    period: i64,
    buf: Vec<i32>,
    scratch: Vec<i32>,
    pos: usize,
    /// No day after this one is needed (window end or UNTIL, plus a day of slack).
    stop_after: i32,
    examined: u32,
    empty_streak: u32,
}

impl<'a> DayIter<'a> {
    pub(crate) fn new(engine: Engine<'a>, first_period: i64, stop_after: i32) -> Self {
        Self {
            engine,
            period: first_period,
            buf: Vec::new(),
            scratch: Vec::new(),
            pos: 0,
            stop_after: stop_after.min(LAST_DAY),
            examined: 0,
            empty_streak: 0,
        }
    }

    /// The next selected day, `Ok(None)` when the rule provably has no more days before
    /// `stop_after`, or `TooManyCandidates` when [`MAX_PERIODS`] were examined.
    pub(crate) fn next_day(&mut self) -> Result<Option<i32>, RecurrenceError> {
        loop {
            if let Some(&d) = self.buf.get(self.pos) {
                self.pos += 1;
                if d > self.stop_after {
                    return Ok(None);
                }
                return Ok(Some(d));
            }
            let Some(start) = self.engine.period_start(self.period) else {
                return Ok(None);
            };
            if start > self.stop_after || self.empty_streak >= self.engine.cycle() {
                return Ok(None);
            }
            if self.examined >= MAX_PERIODS {
                return Err(RecurrenceError::TooManyCandidates {
                    examined: self.examined,
                });
            }
            self.examined += 1;
            self.engine
                .period_days(start, &mut self.buf, &mut self.scratch);
            self.pos = 0;
            self.period += 1;
            if self.buf.is_empty() {
                self.empty_streak += 1;
            } else {
                self.empty_streak = 0;
            }
        }
    }
}
