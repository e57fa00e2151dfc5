//! What one execution sees and produces. The host state of a canister's wasmtime `Store` is a
//! `Host`: its stable memory, plus the `ExecCtx` of the execution in progress. System calls read
//! the context (argument, caller, time...) and record their effects in it (reply, outgoing
//! calls, timer, certified data); the runtime applies those effects only if the execution
//! returns without trapping, which is what makes every message atomic.

use candid::Principal;
use wasmtime::Memory;

use crate::errors::Trap;
use crate::stable::StableMemory;

/// The entry-point kinds of the IC spec's system API table (I, G, U, RQ, NRQ, CQ, Ry, Rt, CRy,
/// CRt, C, CC, F, T); they decide which system calls are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExecKind {
    /// `canister_init` and `canister_post_upgrade` (I).
    #[default]
    Init,
    /// `canister_pre_upgrade` (G).
    PreUpgrade,
    /// `canister_update <m>` (U).
    Update,
    /// `canister_query <m>` run in replicated mode: an update call to a query method (RQ).
    ReplicatedQuery,
    /// `canister_query <m>` run as a query (NRQ).
    Query,
    /// `canister_composite_query <m>` (CQ).
    CompositeQuery,
    /// Reply / reject callbacks of update-style calls (Ry, Rt).
    ReplyCallback,
    RejectCallback,
    /// Reply / reject callbacks inside a composite query (CRy, CRt).
    CompositeReplyCallback,
    CompositeRejectCallback,
    /// Cleanup callbacks (C, CC).
    Cleanup,
    CompositeCleanup,
    /// `canister_inspect_message` (F).
    Inspect,
    /// `canister_global_timer` and `canister_heartbeat` (T).
    System,
}

impl ExecKind {
    pub fn name(self) -> &'static str {
        match self {
            ExecKind::Init => "init",
            ExecKind::PreUpgrade => "pre_upgrade",
            ExecKind::Update => "update",
            ExecKind::ReplicatedQuery => "replicated query",
            ExecKind::Query => "non replicated query",
            ExecKind::CompositeQuery => "composite query",
            ExecKind::ReplyCallback => "reply callback",
            ExecKind::RejectCallback => "reject callback",
            ExecKind::CompositeReplyCallback => "composite reply callback",
            ExecKind::CompositeRejectCallback => "composite reject callback",
            ExecKind::Cleanup => "cleanup",
            ExecKind::CompositeCleanup => "composite cleanup",
            ExecKind::Inspect => "inspect message",
            ExecKind::System => "system task",
        }
    }

    pub fn is_composite(self) -> bool {
        matches!(
            self,
            ExecKind::CompositeQuery
                | ExecKind::CompositeReplyCallback
                | ExecKind::CompositeRejectCallback
                | ExecKind::CompositeCleanup
        )
    }

    /// Entry points whose state changes are kept (the others are always rolled back).
    pub fn is_replicated(self) -> bool {
        !matches!(self, ExecKind::Query | ExecKind::Inspect) && !self.is_composite()
    }
}

/// An outgoing call being assembled between `call_new` and `call_perform`, or performed.
#[derive(Clone, Debug)]
pub struct OutgoingCall {
    pub callee: Principal,
    pub method: String,
    pub payload: Vec<u8>,
    pub reply: (u64, u64),
    pub reject: (u64, u64),
    pub cleanup: Option<(u64, u64)>,
    pub cycles: u128,
    /// `Some(seconds)` for a bounded-wait (best-effort) call.
    pub timeout_secs: Option<u32>,
}

impl OutgoingCall {
    pub fn new(callee: Principal, method: String, reply: (u64, u64), reject: (u64, u64)) -> Self {
        OutgoingCall {
            callee,
            method,
            payload: Vec::new(),
            reply,
            reject,
            cleanup: None,
            cycles: 0,
            timeout_secs: None,
        }
    }
}

/// Read-only facts an execution sees, plus the effects it records.
pub struct ExecCtx {
    pub kind: ExecKind,
    pub canister_id: Principal,
    pub caller: Principal,
    /// Argument (or reply payload, for a reply callback).
    pub arg: Vec<u8>,
    /// `Some((code, message))` in reject callbacks.
    pub reject: Option<(u32, String)>,
    pub method_name: String,
    pub time: u64,
    /// `msg_deadline`: 0 for unbounded-wait calls and ingress.
    pub deadline: u64,
    pub controllers: Vec<Principal>,
    /// The canister's environment variables `(name, value)`, sorted by name.
    pub env_vars: Vec<(String, String)>,
    /// 1 running, 2 stopping, 3 stopped.
    pub status: u32,
    pub version: u64,
    pub balance: u128,
    pub cycles_available: u128,
    pub cycles_refunded: u128,
    /// The key that signs the subnet's certificates (`ic0.root_key_*`), set for the replicated
    /// kinds that may read it.
    pub root_key: Option<std::sync::Arc<crate::certification::RootKey>>,
    /// Set for the entry method of a non-replicated (composite) query only, as on the IC.
    pub data_certificate: Option<crate::certification::DataCertificate>,
    pub fuel_limit: u64,
    /// Instructions the call context had used before this execution (performance_counter 1).
    pub context_instructions: u64,
    /// Reply/reject is possible: the call context has not responded yet and the kind allows it.
    pub can_respond: bool,
    pub max_reply_size: usize,

    // ---- effects, applied only if the execution does not trap ----
    pub reply_buf: Vec<u8>,
    /// `Some(Ok(bytes))` after msg_reply, `Some(Err(text))` after msg_reject.
    pub response: Option<Result<Vec<u8>, String>>,
    pub pending_call: Option<OutgoingCall>,
    pub calls: Vec<OutgoingCall>,
    /// `Some(t)` once `global_timer_set` ran; the value before is in `timer_before`.
    pub timer: Option<u64>,
    pub timer_before: u64,
    pub certified_data: Option<Vec<u8>>,
    pub cycles_accepted: u128,
    pub cycles_burned: u128,
    pub message_accepted: bool,

    // ---- kept even when the execution traps ----
    pub logs: Vec<(u64, Vec<u8>)>,
    /// The reason recorded by a system call that trapped (ic0.trap, contract violation).
    pub trap: Option<Trap>,
}

impl Default for ExecCtx {
    fn default() -> Self {
        ExecCtx {
            kind: Default::default(),
            canister_id: Principal::anonymous(),
            caller: Principal::anonymous(),
            arg: Default::default(),
            reject: Default::default(),
            method_name: Default::default(),
            time: Default::default(),
            deadline: Default::default(),
            controllers: Default::default(),
            env_vars: Default::default(),
            status: Default::default(),
            version: Default::default(),
            balance: Default::default(),
            cycles_available: Default::default(),
            cycles_refunded: Default::default(),
            root_key: Default::default(),
            data_certificate: Default::default(),
            fuel_limit: Default::default(),
            context_instructions: Default::default(),
            can_respond: Default::default(),
            max_reply_size: Default::default(),
            reply_buf: Default::default(),
            response: Default::default(),
            pending_call: Default::default(),
            calls: Default::default(),
            timer: Default::default(),
            timer_before: Default::default(),
            certified_data: Default::default(),
            cycles_accepted: Default::default(),
            cycles_burned: Default::default(),
            message_accepted: Default::default(),
            logs: Default::default(),
            trap: Default::default(),
        }
    }
}

/// The host state of a canister's `Store`.
pub struct Host {
    pub ctx: ExecCtx,
    pub stable: StableMemory,
    pub memory: Option<Memory>,
    /// Dirty-page journal of the wasm heap; host writes into the heap `touch` it first.
    pub journal: crate::heap_journal::HeapJournal,
}

impl Host {
    pub fn new(stable: StableMemory) -> Self {
        Host {
            ctx: ExecCtx::default(),
            stable,
            memory: None,
            journal: Default::default(),
        }
    }
}
