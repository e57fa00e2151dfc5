//! The one error type every canister of the suite returns on the wire.
//!
//! The canisters use this type inside as well (there are no per-domain error enums to convert
//! from), so a client matches on one set of variants whichever canister it called. Nothing here
//! traps: authorization failures and bad input are answers, not rejects.

use candid::{CandidType, Deserialize};
use serde::Serialize;

use crate::security::Permission;

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The anonymous principal may only read public data.
    AnonymousCaller,
    /// Only a controller of this canister may do this.
    NotController,
    /// Only an admin holding `required` (or a controller) may do this.
    NotAdmin {
        required: Permission,
    },
    /// The caller is not a member of this canister's group.
    NotGroupMember,
    /// The caller is a member, but the access key it presented is not (or no longer) its key.
    InvalidAccessKey,
    /// The caller is not the registry this canister was configured with.
    NotRegistry,
    /// Too many calls from this principal; try again after this many nanoseconds.
    RateLimited {
        retry_after_ns: u64,
    },
    /// An argument broke a limit or a rule; nothing was changed.
    InvalidInput {
        field: String,
        problem: InputProblem,
    },
    NotFound {
        what: String,
    },
    AlreadyExists {
        what: String,
    },
    /// The canister cannot do this right now (initializing, a dependency is unreachable, ...).
    Unavailable {
        reason: String,
    },
    /// The caller is known and may see the record, but may not do this to it (a viewer
    /// editing, an editor deleting, ...).
    Forbidden {
        reason: String,
    },
    /// Optimistic concurrency: the caller edited revision `expected`, but the record is now at
    /// `current`. Reread and retry.
    StaleRevision {
        expected: u64,
        current: u64,
    },
    /// The request is valid but clashes with what is stored (a slot already booked, a quota
    /// reached, ...).
    Conflict {
        reason: String,
    },
}

/// What was wrong with an argument.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum InputProblem {
    TooLong { max: u64, actual: u64 },
    TooMany { max: u64, actual: u64 },
    Empty,
    Malformed { reason: String },
}

impl Error {
    pub fn invalid(field: &str, problem: InputProblem) -> Self {
        Error::InvalidInput {
            field: field.to_string(),
            problem,
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::AnonymousCaller => write!(f, "the anonymous principal may not do this"),
            Error::NotController => write!(f, "only a controller may do this"),
            Error::NotAdmin { required } => {
                write!(f, "only an admin with {required:?} may do this")
            }
            Error::NotGroupMember => write!(f, "the caller is not a member of this group"),
            Error::InvalidAccessKey => write!(f, "the access key is not valid for the caller"),
            Error::NotRegistry => write!(f, "only the configured registry may do this"),
            Error::RateLimited { retry_after_ns } => {
                write!(f, "rate limited; retry after {retry_after_ns} ns")
            }
            Error::InvalidInput { field, problem } => write!(f, "invalid {field}: {problem:?}"),
            Error::NotFound { what } => write!(f, "{what} not found"),
            Error::AlreadyExists { what } => write!(f, "{what} already exists"),
            Error::Unavailable { reason } => write!(f, "unavailable: {reason}"),
            Error::Forbidden { reason } => write!(f, "forbidden: {reason}"),
            Error::StaleRevision { expected, current } => {
                write!(f, "stale revision {expected}; the record is at {current}")
            }
            Error::Conflict { reason } => write!(f, "conflict: {reason}"),
        }
    }
}

impl std::error::Error for Error {}
