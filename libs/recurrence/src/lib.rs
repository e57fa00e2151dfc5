//! A canister-safe RFC 5545 recurrence engine on `jiff`.
//!
//! * [`RecurrenceRule`] parses and formats every RFC 5545 3.3.10 rule part (FREQ SECONDLY..
//!   YEARLY, INTERVAL, COUNT xor UNTIL, BYSECOND, BYMINUTE, BYHOUR, BYDAY with ordinals,
//!   BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYMONTH, BYSETPOS, WKST) and rejects anything else
//!   (RFC 7529's RSCALE/SKIP, unknown parts, combinations RFC 5545 forbids) with a
//!   [`RecurrenceError`].
//! * [`Series`] + [`instances`] expand a series on the wall clock of its IANA zone, applying
//!   EXDATEs and per-instance [`Exception`]s keyed by original start.
//! * DTSTART is always the first instance and counts towards COUNT, even when the rule would
//!   not select it (RFC 5545 3.3.10, as Google and Outlook exchange events). python-dateutil
//!   and libical leave such a DTSTART out; `tests/conformance.rs` checks both readings apart.
//! * [`split_series`] implements "this and following" edits without losing exceptions.
//! * [`tz`] maps Windows zone names to IANA (CLDR), builds zones from VTIMEZONEs and writes
//!   VTIMEZONEs from the bundled tz database.
//!
//! Nothing here reads the OS clock or an OS tz database: "now" is always an argument and the
//! tz database is bundled, so the crate builds for wasm32-unknown-unknown with no imports.
//! Work per call is capped by [`MAX_PERIODS`] periods and [`MAX_CANDIDATES`] candidate
//! date-times; hitting a cap is a typed [`RecurrenceError::TooManyCandidates`], never a trap
//! or a silent truncation.

mod calendar;
mod candidates;
mod error;
mod expand;
mod instances;
mod rule;
mod series;
mod split;
pub mod tz;
pub mod wire;

pub use error::RecurrenceError;
pub use expand::{MAX_CANDIDATES, MAX_PERIODS};
pub use instances::{are_instances, instances, is_instance, last_end, next_instances_after};
pub use rule::{Frequency, RecurrenceRule, Until, WeekdayNum};
pub use series::{EventTime, Exception, Instance, Series};
pub use split::split_series;

pub use jiff;
