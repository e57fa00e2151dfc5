//! A canister-safe RRULE-subset recurrence engine on `jiff`.
//!
//! * [`RecurrenceRule`] parses and formats the subset Google and Cal.com emit
//!   (FREQ DAILY..YEARLY, INTERVAL, COUNT xor UNTIL, BYDAY with ordinals, BYMONTHDAY,
//!   BYMONTH, BYSETPOS, WKST) and rejects everything else with a [`RecurrenceError`].
//! * [`Series`] + [`instances`] expand a series on the wall clock of its IANA zone, applying
//!   EXDATEs and per-instance [`Exception`]s keyed by original start.
//! * [`split_series`] implements "this and following" edits without losing exceptions.
//!
//! Nothing here reads the OS clock or an OS tz database: "now" is always an argument and the
//! tz database is bundled, so the crate builds for wasm32-unknown-unknown with no imports.
//! Work per call is capped by [`MAX_PERIODS`].

mod calendar;
mod error;
mod expand;
mod rule;
mod series;
mod split;
pub mod tz;
pub mod wire;

pub use error::RecurrenceError;
pub use expand::MAX_PERIODS;
pub use rule::{Frequency, RecurrenceRule, Until, WeekdayNum};
pub use series::{
    are_instances, instances, is_instance, last_end, next_instances_after, EventTime, Exception,
    Instance, Series,
};
pub use split::split_series;

pub use jiff;
