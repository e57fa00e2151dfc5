//! The one subnet: canisters, the message queue, ingress bookkeeping, virtual time and rounds.
//!
//! A `tick` is one round, as on PocketIC: time moves by 1 ns unless it was set since the last
//! round, expired bounded-wait calls get their SYS_UNKNOWN reject, due global timers (and
//! heartbeats) are scheduled, then queued messages run in order — including the ones they
//! produce — until the queue is empty or the round's message budget is used up. Each request
//! opens a call context; each `call_perform` registers a callback; the context answers its
//! origin once it replies, or with a reject once it can no longer reply.
//!
//! The state and its accessors live here; its behaviour is split by concern: `ingress`
//! (submitting and awaiting), `rounds` (`tick`), `calls` (delivering requests, tasks and
//! responses) and `outcome` (applying what an execution did).

mod calls;
mod ingress;
mod outcome;
mod rounds;

use std::collections::{BTreeMap, HashMap, VecDeque};

use candid::Principal;

use crate::canister::{Canister, Origin};
use crate::certification::RootKey;
use crate::context::{ExecCtx, ExecKind};
use crate::errors::Reject;
use crate::system_api::MAX_PAYLOAD;

/// Per-execution instruction limits (fuel) and per-round budgets.
#[derive(Clone, Debug)]
pub struct Limits {
    pub update: u64,
    pub query: u64,
    pub install: u64,
    pub inspect: u64,
    /// Messages one tick executes at most; the rest wait for the next tick.
    pub messages_per_tick: usize,
    /// Ticks `await_call` spends before giving up on a message.
    pub max_await_ticks: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            update: 40_000_000_000,
            query: 5_000_000_000,
            install: 300_000_000_000,
            inspect: 200_000_000,
            messages_per_tick: 1_000,
            max_await_ticks: 1_000,
        }
    }
}

pub struct Request {
    pub sender: Principal,
    pub receiver: Principal,
    pub method: String,
    pub payload: Vec<u8>,
    pub cycles: u128,
    pub origin: Origin,
    pub deadline: u64,
}

pub struct Response {
    pub canister: Principal,
    pub callback_id: u64,
    pub result: Result<Vec<u8>, Reject>,
    pub refund: u128,
}

pub enum Message {
    Request(Request),
    Response(Response),
    /// `canister_global_timer` or `canister_heartbeat`.
    Task {
        canister: Principal,
        export: &'static str,
    },
}

pub enum IngressStatus {
    Processing,
    /// The result: it stays readable (any number of times, as on the IC and PocketIC) until
    /// `INGRESS_RETENTION_NANOS` after it was recorded.
    Done(Result<Vec<u8>, Reject>),
}

/// How long a completed ingress message's status stays readable: the IC's maximum ingress
/// expiry of 5 minutes (after which a request with the same id could not be valid anyway).
pub const INGRESS_RETENTION_NANOS: u64 = 5 * 60 * 1_000_000_000;
/// At most this many completed results are kept, the oldest forgotten first.
pub const MAX_RETAINED_INGRESS: usize = 100_000;

pub struct Subnet {
    pub canisters: BTreeMap<Principal, Canister>,
    pub time: u64,
    time_set: bool,
    queue: VecDeque<Message>,
    pub ingress: HashMap<u64, IngressStatus>,
    /// Completed ingress messages in completion order, to forget them when they expire.
    ingress_done: VecDeque<(u64, u64)>,
    pub(crate) next_message_id: u64,
    pub(crate) next_canister: u64,
    pub seed: [u8; 32],
    pub rand_counter: u64,
    /// stop_canister calls waiting for their canister to reach Stopped.
    pub pending_stops: Vec<(Principal, Origin)>,
    pub limits: Limits,
    /// Instructions used by the most recent execution anywhere on the subnet.
    pub last_instructions: u64,
    /// Cycles charged for HTTPS outcalls since the subnet was created (`outcalls.rs`).
    pub outcall_cycles: u128,
    /// Messages executed since the subnet was created or loaded: a cheap "did anything change"
    /// signal for the local network, which saves only when it moved.
    pub activity: u64,
    /// Where the last save went and each canister's `changes` then (`persist.rs`).
    pub(crate) saved: Option<(std::path::PathBuf, BTreeMap<Principal, u64>)>,
    /// Seed of this instance's own certificate key, derived on first use unless one was given.
    root_key_seed: [u8; 32],
    root_key: std::sync::OnceLock<std::sync::Arc<RootKey>>,
}

/// PocketIC's first application-subnet canister id is `lxzze-o7777-77777-aaaaa-cai`; ids here
/// count up from the same place so tests that print ids look familiar.
const FIRST_CANISTER: &str = "lxzze-o7777-77777-aaaaa-cai";

impl Subnet {
    pub fn new(time: u64, seed: [u8; 32], limits: Limits) -> Self {
        let first = Principal::from_text(FIRST_CANISTER).expect("valid principal");
        let mut n = [0u8; 8];
        n.copy_from_slice(&first.as_slice()[..8]);
        Subnet {
            canisters: BTreeMap::new(),
            time,
            time_set: false,
            queue: VecDeque::new(),
            ingress: HashMap::new(),
            ingress_done: VecDeque::new(),
            next_message_id: 0,
            next_canister: u64::from_be_bytes(n),
            seed,
            rand_counter: 0,
            pending_stops: Vec::new(),
            limits,
            last_instructions: 0,
            outcall_cycles: 0,
            activity: 0,
            saved: None,
            root_key_seed: crate::engine::sha256(&[b"root key".as_slice(), &seed].concat()),
            root_key: std::sync::OnceLock::new(),
        }
    }

    /// Signs certificates with `key` from now on (the local network's own key).
    pub fn set_root_key(&mut self, key: std::sync::Arc<RootKey>) {
        self.root_key = std::sync::OnceLock::from(key);
    }

    /// The key that signs this subnet's certificates.
    pub fn root_key(&self) -> std::sync::Arc<RootKey> {
        self.root_key
            .get_or_init(|| std::sync::Arc::new(RootKey::from_seed(self.root_key_seed)))
            .clone()
    }

    pub fn set_time(&mut self, nanos: u64) {
        self.time = nanos;
        self.time_set = true;
    }

    pub fn next_canister_id(&mut self) -> Principal {
        loop {
            let mut bytes = self.next_canister.to_be_bytes().to_vec();
            bytes.extend_from_slice(&[1, 1]);
            self.next_canister += 1;
            let id = Principal::from_slice(&bytes);
            if !self.canisters.contains_key(&id) {
                return id;
            }
        }
    }

    /// No message is waiting to run: the state is between rounds and safe to save.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn canister(&self, id: &Principal) -> Result<&Canister, Reject> {
        self.canisters
            .get(id)
            .ok_or_else(|| Reject::canister_not_found(*id))
    }

    pub fn canister_mut(&mut self, id: &Principal) -> Result<&mut Canister, Reject> {
        self.canisters
            .get_mut(id)
            .ok_or_else(|| Reject::canister_not_found(*id))
    }
}

/// The facts every execution of `c` starts from.
pub fn base_ctx(c: &Canister, time: u64, kind: ExecKind, caller: Principal, fuel: u64) -> ExecCtx {
    ExecCtx {
        kind,
        canister_id: c.id,
        caller,
        time,
        controllers: c.settings.controllers.clone(),
        env_vars: c
            .settings
            .environment_variables
            .iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect(),
        status: c.status.code(),
        version: c.version,
        balance: c.cycles,
        timer_before: c.global_timer,
        fuel_limit: fuel,
        max_reply_size: MAX_PAYLOAD,
        ..Default::default()
    }
}
