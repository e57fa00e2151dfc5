//! A canister's system state: id, controllers, status, cycles, version, the installed code,
//! global timer, certified data, logs, open call contexts and registered callbacks, chunk store
//! and history. Everything here is plain data (apart from the wasmtime store inside `Code`), so
//! it can later be saved to and restored from a directory by the local network.

use std::collections::{BTreeMap, VecDeque};

use candid::{Nat, Principal};
use ic_management_canister_types::{
    CanisterLogRecord, Change, ChangeDetails, ChangeOrigin, EnvironmentVariable,
    FromCanisterRecord, FromUserRecord, LogVisibility,
};

use crate::execution::Code;

/// Log records kept per canister: the oldest are dropped beyond this many content bytes.
pub const MAX_LOG_BYTES: usize = 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Running,
    Stopping,
    Stopped,
}

impl Status {
    pub fn code(self) -> u32 {
        match self {
            Status::Running => 1,
            Status::Stopping => 2,
            Status::Stopped => 3,
        }
    }
}

/// Who waits for a call context's response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Ingress {
        message_id: u64,
    },
    Canister {
        caller: Principal,
        callback_id: u64,
    },
    /// Timers and heartbeats: nobody gets a response.
    System,
}

pub struct CallContext {
    pub origin: Origin,
    pub caller: Principal,
    pub responded: bool,
    pub cycles_available: u128,
    pub deadline: u64,
    pub instructions: u64,
}

pub struct Callback {
    pub context_id: u64,
    pub reply: (u64, u64),
    pub reject: (u64, u64),
    pub cleanup: Option<(u64, u64)>,
    /// 0 for unbounded wait; otherwise the time after which the caller gets SYS_UNKNOWN.
    pub deadline: u64,
}

/// The settings `canister_status` reports. Controllers, log visibility (who may fetch the logs)
/// and the environment variables (what `ic0.env_var_*` sees) have an effect here.
#[derive(Clone, Debug)]
pub struct Settings {
    pub controllers: Vec<Principal>,
    pub compute_allocation: Nat,
    pub memory_allocation: Nat,
    pub freezing_threshold: Nat,
    pub reserved_cycles_limit: Nat,
    pub wasm_memory_limit: Nat,
    pub wasm_memory_threshold: Nat,
    pub log_memory_limit: Nat,
    pub log_visibility: LogVisibility,
    /// Sorted by name, names unique (as `update_settings` leaves them).
    pub environment_variables: Vec<EnvironmentVariable>,
}

impl Settings {
    pub fn new(controllers: Vec<Principal>) -> Self {
        Settings {
            controllers,
            compute_allocation: Nat::from(0u8),
            memory_allocation: Nat::from(0u8),
            freezing_threshold: Nat::from(2_592_000u64),
            reserved_cycles_limit: Nat::from(5_000_000_000_000u64),
            wasm_memory_limit: Nat::from(3_221_225_472u64),
            wasm_memory_threshold: Nat::from(0u8),
            log_memory_limit: Nat::from(4096u32),
            log_visibility: LogVisibility::Controllers,
            environment_variables: Vec::new(),
        }
    }
}

pub struct Canister {
    pub id: Principal,
    pub settings: Settings,
    pub status: Status,
    pub cycles: u128,
    pub version: u64,
    pub code: Option<Code>,
    pub global_timer: u64,
    pub certified_data: Vec<u8>,
    pub logs: VecDeque<CanisterLogRecord>,
    pub(crate) log_bytes: usize,
    pub(crate) next_log_idx: u64,
    pub call_contexts: BTreeMap<u64, CallContext>,
    pub callbacks: BTreeMap<u64, Callback>,
    pub(crate) next_id: u64,
    /// Chunk store for chunked installs: sha256 → chunk.
    pub chunks: BTreeMap<Vec<u8>, Vec<u8>>,
    pub history: Vec<Change>,
    pub total_changes: u64,
    /// Instructions used by the last execution on this canister.
    pub last_instructions: u64,
    /// Inter-canister calls (management calls included) this canister has made, counted when
    /// the execution that made them committed.
    pub calls_made: u64,
    /// Replicated executions (messages, callbacks, timers, heartbeats) on this canister and the
    /// instructions they used, committed or trapped; not saved with the state.
    pub executions: u64,
    pub instructions_executed: u64,
    /// Bumped by every message that may have changed this canister; saving rewrites only the
    /// canisters whose count moved since the last save (`persist.rs`).
    pub(crate) changes: u64,
}

impl Canister {
    pub fn new(id: Principal, controllers: Vec<Principal>, cycles: u128) -> Self {
        Canister {
            id,
            settings: Settings::new(controllers),
            status: Status::Running,
            cycles,
            version: 0,
            code: None,
            global_timer: 0,
            certified_data: Vec::new(),
            logs: VecDeque::new(),
            log_bytes: 0,
            next_log_idx: 0,
            call_contexts: BTreeMap::new(),
            callbacks: BTreeMap::new(),
            next_id: 0,
            chunks: BTreeMap::new(),
            history: Vec::new(),
            total_changes: 0,
            last_instructions: 0,
            calls_made: 0,
            executions: 0,
            instructions_executed: 0,
            changes: 0,
        }
    }

    pub fn controllers(&self) -> &[Principal] {
        &self.settings.controllers
    }

    pub fn is_controller(&self, p: &Principal) -> bool {
        self.settings.controllers.contains(p)
    }

    /// Whether `p` may fetch this canister's logs (controllers always may).
    pub fn may_read_logs(&self, p: &Principal) -> bool {
        self.is_controller(p)
            || match &self.settings.log_visibility {
                LogVisibility::Controllers => false,
                LogVisibility::Public => true,
                LogVisibility::AllowedViewers(viewers) => viewers.contains(p),
            }
    }

    pub fn module_hash(&self) -> Option<Vec<u8>> {
        self.code.as_ref().map(|c| c.module.hash.to_vec())
    }

    pub fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn log(&mut self, timestamp_nanos: u64, content: Vec<u8>) {
        self.log_bytes += content.len();
        self.logs.push_back(CanisterLogRecord {
            idx: self.next_log_idx,
            timestamp_nanos,
            content,
        });
        self.next_log_idx += 1;
        while self.log_bytes > MAX_LOG_BYTES {
            match self.logs.pop_front() {
                Some(old) => self.log_bytes -= old.content.len(),
                None => break,
            }
        }
    }

    pub fn record_change(&mut self, time: u64, sender: Principal, details: ChangeDetails) {
        let origin = if sender.as_slice().last() == Some(&1) && sender.as_slice().len() == 10 {
            ChangeOrigin::FromCanister(FromCanisterRecord {
                canister_id: sender,
                canister_version: None,
            })
        } else {
            ChangeOrigin::FromUser(FromUserRecord { user_id: sender })
        };
        self.total_changes += 1;
        self.history.push(Change {
            timestamp_nanos: time,
            canister_version: self.version,
            origin,
            details: Some(details),
        });
        // The IC keeps the 20 most recent changes.
        if self.history.len() > 20 {
            self.history.remove(0);
        }
    }
}
