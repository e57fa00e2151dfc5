//! Walks a rule's candidates in order, period by period, under the work caps.
//!
//! [`Engine`] knows which date-times one period selects; this iterator strings periods
//! together, jumps over sub-daily periods that cannot match, stops at the caller's last day or
//! once 400 years of empty periods prove the rule is over, and turns an exceeded cap into
//! [`RecurrenceError::TooManyCandidates`].

use crate::error::RecurrenceError;
use crate::expand::{Engine, DAY, LAST_DAY, MAX_CANDIDATES, MAX_PERIODS};

/// Iterates the selected civil seconds in order, period by period, with the work caps applied.
pub(crate) struct CandidateIter<'a> {
    engine: Engine<'a>,
    period: i64,
    buf: Vec<i64>,
    days: Vec<i32>,
    scratch: Vec<i32>,
    pos: usize,
    /// No day after this one is needed (window end or UNTIL, plus a day of slack).
    stop_after: i32,
    examined: u32,
    budget: u32,
    empty_streak: u32,
}

impl<'a> CandidateIter<'a> {
    /// Starts at period `first_period` and needs nothing after civil day `stop_after`.
    pub(crate) fn new(engine: Engine<'a>, first_period: i64, stop_after: i32) -> Self {
        Self {
            engine,
            period: first_period,
            buf: Vec::new(),
            days: Vec::new(),
            scratch: Vec::new(),
            pos: 0,
            stop_after: stop_after.min(LAST_DAY),
            examined: 0,
            budget: MAX_CANDIDATES,
            empty_streak: 0,
        }
    }

    /// The next selected civil second, `Ok(None)` when the rule provably has no more before
    /// `stop_after`, or `TooManyCandidates` when a work cap was hit.
    pub(crate) fn next_candidate(&mut self) -> Result<Option<i64>, RecurrenceError> {
        let stop_after = i64::from(self.stop_after);
        loop {
            if let Some(&c) = self.buf.get(self.pos) {
                self.pos += 1;
                if c.div_euclid(DAY) > stop_after {
                    return Ok(None);
                }
                return Ok(Some(c));
            }
            let Some(start) = self.engine.period_start(self.period) else {
                return Ok(None);
            };
            if start.div_euclid(DAY) > stop_after || self.empty_streak >= self.engine.cycle() {
                return Ok(None);
            }
            let too_many = RecurrenceError::TooManyCandidates {
                examined: self.examined,
            };
            if self.examined >= MAX_PERIODS {
                return Err(too_many);
            }
            self.examined += 1;
            let jump = self
                .engine
                .period_candidates(
                    start,
                    &mut self.buf,
                    &mut self.days,
                    &mut self.scratch,
                    &mut self.budget,
                )
                .map_err(|()| too_many)?;
            self.pos = 0;
            self.period = match jump {
                // The first period starting at or after `next` (periods are `step` apart).
                Some(next) => {
                    let step = self.engine.unit * self.engine.interval();
                    let k = (next - self.engine.sub_base + step - 1).div_euclid(step);
                    k.max(self.period + 1)
                }
                None => self.period + 1,
            };
            if self.buf.is_empty() {
                self.empty_streak = self.empty_streak.saturating_add(1);
            } else {
                self.empty_streak = 0;
            }
        }
    }
}
