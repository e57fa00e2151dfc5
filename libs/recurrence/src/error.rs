//! The one error type of the crate.
//!
//! Every problem gets its own variant so the calendar canister can map it to a typed API error
//! (and a test can assert on exactly which check fired) instead of matching on strings.

use core::fmt;

use jiff::Timestamp;

/// Everything that can go wrong while parsing a rule, building a series or expanding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecurrenceError {
    /// The input had no rule parts at all (`""` or `"RRULE:"`).
    EmptyRule,
    /// A part that RFC 5545 does not define, e.g. `FOO=1` or a part without `=`.
    UnknownPart(String),
    /// A part this engine deliberately does not support: RFC 7529's `RSCALE` and `SKIP`
    /// (non-Gregorian calendars).
    UnsupportedPart(String),
    /// The same part twice, e.g. `FREQ=DAILY;FREQ=WEEKLY`.
    DuplicatePart(String),
    /// A rule without `FREQ`.
    MissingFrequency,
    /// A value that does not parse or is out of range for its part.
    BadValue { part: String, value: String },
    /// A part that RFC 5545 forbids with this frequency (e.g. `BYMONTHDAY` with `WEEKLY`,
    /// `BYDAY=2TU` with `DAILY`) or `BYSETPOS` without another `BY*` part.
    Incompatible { part: String, reason: &'static str },
    /// `COUNT` and `UNTIL` in one rule (RFC 5545 3.3.10: "MUST NOT occur in the same rule").
    CountAndUntil,
    /// `INTERVAL=0`.
    ZeroInterval,
    /// The zone name is neither in the bundled tz database nor an accepted POSIX rule.
    UnknownTimeZone(String),
    /// The series itself is malformed (negative duration, zero-day all-day event, ...).
    InvalidSeries(&'static str),
    /// Expansion looked at more candidate periods than [`crate::MAX_PERIODS`], or generated
    /// more candidate instants than [`crate::MAX_CANDIDATES`], without finishing.
    TooManyCandidates { examined: u32 },
    /// The timestamp is not the original start of any instance of the series.
    NotAnInstance(Timestamp),
    /// `split_series` at the first instance would leave an empty first half.
    SplitAtFirstInstance,
    /// A date or time fell outside the range jiff can represent.
    OutOfRange,
}

impl fmt::Display for RecurrenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyRule => write!(f, "empty recurrence rule"),
            Self::UnknownPart(p) => write!(f, "unknown RRULE part `{p}`"),
            Self::UnsupportedPart(p) => write!(f, "unsupported RRULE part `{p}`"),
            Self::DuplicatePart(p) => write!(f, "RRULE part `{p}` given twice"),
            Self::MissingFrequency => write!(f, "RRULE has no FREQ"),
            Self::BadValue { part, value } => write!(f, "bad value `{value}` for {part}"),
            Self::Incompatible { part, reason } => write!(f, "{part}: {reason}"),
            Self::CountAndUntil => write!(f, "COUNT and UNTIL must not both be given"),
            Self::ZeroInterval => write!(f, "INTERVAL must be at least 1"),
            Self::UnknownTimeZone(z) => write!(f, "unknown time zone `{z}`"),
            Self::InvalidSeries(why) => write!(f, "invalid series: {why}"),
            Self::TooManyCandidates { examined } => {
                write!(f, "gave up after examining {examined} recurrence periods")
            }
            Self::NotAnInstance(t) => write!(f, "{t} is not the start of an instance"),
            Self::SplitAtFirstInstance => write!(f, "cannot split a series at its first instance"),
            Self::OutOfRange => write!(f, "date out of the supported range"),
        }
    }
}

impl std::error::Error for RecurrenceError {}
