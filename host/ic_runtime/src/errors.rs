//! Reject codes, IC error codes and the `RejectResponse` tests see, shaped like the `pocket-ic`
//! crate's so a test can switch between this runtime and real PocketIC without edits.
//!
//! The messages follow the replica's wording ("Error from Canister <id>: Canister called
//! `ic0.trap` with message: ...") because tests usually assert with `contains(..)`.

use candid::Principal;
use std::fmt;

/// The reject codes of the IC interface specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectCode {
    SysFatal = 1,
    SysTransient = 2,
    DestinationInvalid = 3,
    CanisterReject = 4,
    CanisterError = 5,
    SysUnknown = 6,
}

impl RejectCode {
    pub fn from_u32(code: u32) -> Option<Self> {
        Some(match code {
            1 => Self::SysFatal,
            2 => Self::SysTransient,
            3 => Self::DestinationInvalid,
            4 => Self::CanisterReject,
            5 => Self::CanisterError,
            6 => Self::SysUnknown,
            _ => return None,
        })
    }
}

/// The IC's user-facing error codes, same names and numbers as pocket-ic's `ErrorCode`.
/// `Display` prints "IC0503".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCode {
    SubnetOversubscribed = 101,
    MaxNumberOfCanistersReached = 102,
    CanisterQueueFull = 201,
    IngressMessageTimeout = 202,
    CanisterQueueNotEmpty = 203,
    IngressHistoryFull = 204,
    CanisterIdAlreadyExists = 205,
    StopCanisterRequestTimeout = 206,
    CanisterOutOfCycles = 207,
    CertifiedStateUnavailable = 208,
    CanisterInstallCodeRateLimited = 209,
    CanisterHeapDeltaRateLimited = 210,
    SubnetCoolingDown = 211,
    CanisterNotFound = 301,
    CanisterSnapshotNotFound = 305,
    InsufficientMemoryAllocation = 402,
    InsufficientCyclesForCreateCanister = 403,
    SubnetNotFound = 404,
    CanisterNotHostedBySubnet = 405,
    CanisterRejectedMessage = 406,
    UnknownManagementMessage = 407,
    InvalidManagementPayload = 408,
    CanisterSnapshotImmutable = 409,
    InvalidSubnetAdmin = 410,
    CanisterTrapped = 502,
    CanisterCalledTrap = 503,
    CanisterContractViolation = 504,
    CanisterInvalidWasm = 505,
    CanisterDidNotReply = 506,
    CanisterOutOfMemory = 507,
    CanisterStopped = 508,
    CanisterStopping = 509,
    CanisterNotStopped = 510,
    CanisterStoppingCancelled = 511,
    CanisterInvalidController = 512,
    CanisterFunctionNotFound = 513,
    CanisterNonEmpty = 514,
    QueryCallGraphLoopDetected = 517,
    InsufficientCyclesInCall = 520,
    CanisterWasmEngineError = 521,
    CanisterInstructionLimitExceeded = 522,
    CanisterMemoryAccessLimitExceeded = 524,
    QueryCallGraphTooDeep = 525,
    QueryCallGraphTotalInstructionLimitExceeded = 526,
    CompositeQueryCalledInReplicatedMode = 527,
    QueryTimeLimitExceeded = 528,
    QueryCallGraphInternal = 529,
    InsufficientCyclesInComputeAllocation = 530,
    InsufficientCyclesInMemoryAllocation = 531,
    InsufficientCyclesInMemoryGrow = 532,
    ReservedCyclesLimitExceededInMemoryAllocation = 533,
    ReservedCyclesLimitExceededInMemoryGrow = 534,
    InsufficientCyclesInMessageMemoryGrow = 535,
    CanisterMethodNotFound = 536,
    CanisterWasmModuleNotFound = 537,
    CanisterAlreadyInstalled = 538,
    CanisterWasmMemoryLimitExceeded = 539,
    ReservedCyclesLimitIsTooLow = 540,
    CanisterInvalidControllerOrSubnetAdmin = 541,
    CanisterStatusAccessDenied = 542,
    DeadlineExpired = 601,
    ResponseDropped = 602,
}

/// Every error code, for `from_u32`.
const ALL_ERROR_CODES: &[ErrorCode] = &[
    ErrorCode::SubnetOversubscribed,
    ErrorCode::MaxNumberOfCanistersReached,
    ErrorCode::CanisterQueueFull,
    ErrorCode::IngressMessageTimeout,
    ErrorCode::CanisterQueueNotEmpty,
    ErrorCode::IngressHistoryFull,
    ErrorCode::CanisterIdAlreadyExists,
    ErrorCode::StopCanisterRequestTimeout,
    ErrorCode::CanisterOutOfCycles,
    ErrorCode::CertifiedStateUnavailable,
    ErrorCode::CanisterInstallCodeRateLimited,
    ErrorCode::CanisterHeapDeltaRateLimited,
    ErrorCode::SubnetCoolingDown,
    ErrorCode::CanisterNotFound,
    ErrorCode::CanisterSnapshotNotFound,
    ErrorCode::InsufficientMemoryAllocation,
    ErrorCode::InsufficientCyclesForCreateCanister,
    ErrorCode::SubnetNotFound,
    ErrorCode::CanisterNotHostedBySubnet,
    ErrorCode::CanisterRejectedMessage,
    ErrorCode::UnknownManagementMessage,
    ErrorCode::InvalidManagementPayload,
    ErrorCode::CanisterSnapshotImmutable,
    ErrorCode::InvalidSubnetAdmin,
    ErrorCode::CanisterTrapped,
    ErrorCode::CanisterCalledTrap,
    ErrorCode::CanisterContractViolation,
    ErrorCode::CanisterInvalidWasm,
    ErrorCode::CanisterDidNotReply,
    ErrorCode::CanisterOutOfMemory,
    ErrorCode::CanisterStopped,
    ErrorCode::CanisterStopping,
    ErrorCode::CanisterNotStopped,
    ErrorCode::CanisterStoppingCancelled,
    ErrorCode::CanisterInvalidController,
    ErrorCode::CanisterFunctionNotFound,
    ErrorCode::CanisterNonEmpty,
    ErrorCode::QueryCallGraphLoopDetected,
    ErrorCode::InsufficientCyclesInCall,
    ErrorCode::CanisterWasmEngineError,
    ErrorCode::CanisterInstructionLimitExceeded,
    ErrorCode::CanisterMemoryAccessLimitExceeded,
    ErrorCode::QueryCallGraphTooDeep,
    ErrorCode::QueryCallGraphTotalInstructionLimitExceeded,
    ErrorCode::CompositeQueryCalledInReplicatedMode,
    ErrorCode::QueryTimeLimitExceeded,
    ErrorCode::QueryCallGraphInternal,
    ErrorCode::InsufficientCyclesInComputeAllocation,
    ErrorCode::InsufficientCyclesInMemoryAllocation,
    ErrorCode::InsufficientCyclesInMemoryGrow,
    ErrorCode::ReservedCyclesLimitExceededInMemoryAllocation,
    ErrorCode::ReservedCyclesLimitExceededInMemoryGrow,
    ErrorCode::InsufficientCyclesInMessageMemoryGrow,
    ErrorCode::CanisterMethodNotFound,
    ErrorCode::CanisterWasmModuleNotFound,
    ErrorCode::CanisterAlreadyInstalled,
    ErrorCode::CanisterWasmMemoryLimitExceeded,
    ErrorCode::ReservedCyclesLimitIsTooLow,
    ErrorCode::CanisterInvalidControllerOrSubnetAdmin,
    ErrorCode::CanisterStatusAccessDenied,
    ErrorCode::DeadlineExpired,
    ErrorCode::ResponseDropped,
];

impl ErrorCode {
    pub fn from_u32(code: u32) -> Option<Self> {
        ALL_ERROR_CODES.iter().copied().find(|c| *c as u32 == code)
    }

    /// The reject code is the most significant digit of the error code, as on the IC.
    pub fn reject_code(self) -> RejectCode {
        RejectCode::from_u32(self as u32 / 100).expect("error codes are 1xx..6xx")
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IC{:04}", *self as u32)
    }
}

/// A rejected call, as `pocket_ic::RejectResponse`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectResponse {
    pub reject_code: RejectCode,
    pub reject_message: String,
    pub error_code: ErrorCode,
    /// Always `true` for update calls and `false` for queries, as on PocketIC.
    pub certified: bool,
}

impl fmt::Display for RejectResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PocketIC returned a rejection error: reject code {:?}, reject message {}, error code {:?}",
            self.reject_code, self.reject_message, self.error_code
        )
    }
}

impl std::error::Error for RejectResponse {}

/// A reject travelling through the runtime before it becomes a `RejectResponse` (ingress) or a
/// reject payload (`msg_reject_code` + `msg_reject_msg`) for a calling canister.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub code: RejectCode,
    pub error: ErrorCode,
    pub message: String,
}

impl Reject {
    pub fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        Reject {
            code: error.reject_code(),
            error,
            message: message.into(),
        }
    }

    /// An explicit `ic0.msg_reject` by a canister: code 4, and the canister's own text.
    pub fn canister_reject(message: String) -> Self {
        Reject {
            code: RejectCode::CanisterReject,
            error: ErrorCode::CanisterRejectedMessage,
            message,
        }
    }

    /// A reject raised by a canister's execution (trap, no reply...): "Error from Canister <id>: ...".
    pub fn from_canister(id: Principal, error: ErrorCode, detail: impl fmt::Display) -> Self {
        Reject::new(error, format!("Error from Canister {id}: {detail}"))
    }

    pub fn into_response(self, certified: bool) -> RejectResponse {
        RejectResponse {
            reject_code: self.code,
            reject_message: self.message,
            error_code: self.error,
            certified,
        }
    }

    pub fn canister_not_found(id: Principal) -> Self {
        Reject::new(
            ErrorCode::CanisterNotFound,
            format!("Canister {id} not found"),
        )
    }

    pub fn did_not_reply(id: Principal) -> Self {
        Reject::from_canister(
            id,
            ErrorCode::CanisterDidNotReply,
            "Canister did not produce a response. Consider gracefully handling failures from this canister or altering the canister to handle exceptions. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#no-response",
        )
    }

    pub fn not_controller(id: Principal, method: &str, sender: Principal) -> Self {
        Reject::new(
            ErrorCode::CanisterInvalidController,
            format!("Only controllers of canister {id} can call ic00 method {method}. Sender {sender} is not a controller."),
        )
    }
}

/// Why an execution stopped early. Turned into a `Reject` naming the canister.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    /// `ic0.trap` (ic-cdk's `trap` and panics): IC0503.
    Called(String),
    /// A WebAssembly trap (unreachable, out of bounds...): IC0502.
    Wasm(String),
    /// A system call used against the rules: IC0504.
    ContractViolation(String),
    /// Fuel ran out: IC0522.
    InstructionLimit(u64),
    /// A callback trapped and then its cleanup trapped too: reported with the first's code.
    WithFailedCleanup(Box<Trap>, Box<Trap>),
}

impl Trap {
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Trap::Called(_) => ErrorCode::CanisterCalledTrap,
            Trap::Wasm(_) => ErrorCode::CanisterTrapped,
            Trap::ContractViolation(_) => ErrorCode::CanisterContractViolation,
            Trap::InstructionLimit(_) => ErrorCode::CanisterInstructionLimitExceeded,
            Trap::WithFailedCleanup(callback, _) => callback.error_code(),
        }
    }

    /// The text that goes into the canister log and after "Error from Canister <id>: ".
    pub fn detail(&self) -> String {
        match self {
            Trap::Called(m) => format!(
                "Canister called `ic0.trap` with message: '{m}'.\nConsider gracefully handling failures from this canister or altering the canister to handle exceptions. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#trapped-explicitly"
            ),
            Trap::Wasm(m) => format!("Canister trapped: {m}"),
            Trap::ContractViolation(m) => format!("Canister violated contract: {m}"),
            Trap::InstructionLimit(limit) => {
                format!("Canister exceeded the limit of {limit} instructions for single message execution.")
            }
            Trap::WithFailedCleanup(callback, cleanup) => {
                format!("{}\n\ncall_on_cleanup also failed:\n\n{}", callback.detail(), cleanup.detail())
            }
        }
    }

    pub fn log_line(&self) -> String {
        match self {
            Trap::Called(m) => format!("[TRAP]: {m}"),
            other => format!("[TRAP]: {}", other.detail()),
        }
    }

    pub fn into_reject(self, id: Principal) -> Reject {
        Reject::from_canister(id, self.error_code(), self.detail())
    }
}
