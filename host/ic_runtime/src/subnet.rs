//! The one subnet: canisters, the message queue, ingress bookkeeping, virtual time and rounds.
//!
//! A `tick` is one round, as on PocketIC: time moves by 1 ns unless it was set since the last
//! round, expired bounded-wait calls get their SYS_UNKNOWN reject, due global timers (and
//! heartbeats) are scheduled, then queued messages run in order — including the ones they
//! produce — until the queue is empty or the round's message budget is used up. Each request
//! opens a call context; each `call_perform` registers a callback; the context answers its
//! origin once it replies, or with a reject once it can no longer reply.

use std::collections::{BTreeMap, HashMap, VecDeque};

use candid::Principal;

use crate::canister::{CallContext, Callback, Canister, Origin, Status};
use crate::certification::RootKey;
use crate::context::{ExecCtx, ExecKind};
use crate::errors::{ErrorCode, Reject, RejectCode, Trap};
use crate::execution::{Entry, Outcome};
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

    // ------------------------------------------------------------ ingress

    /// Validates an ingress update (size, target, `canister_inspect_message`) and queues it.
    pub fn submit(
        &mut self,
        sender: Principal,
        receiver: Principal,
        method: &str,
        payload: Vec<u8>,
        check_size: bool,
    ) -> Result<u64, Reject> {
        if check_size && payload.len() > MAX_PAYLOAD {
            return Err(Reject {
                code: RejectCode::SysFatal,
                error: ErrorCode::CanisterContractViolation,
                message: format!(
                    "Ingress message payload of {} bytes exceeds the limit of {MAX_PAYLOAD} bytes",
                    payload.len()
                ),
            });
        }
        if receiver == Principal::management_canister() {
            crate::management::check_ingress(self, sender, method, &payload)?;
        } else {
            self.inspect(sender, receiver, method, &payload)?;
        }
        self.next_message_id += 1;
        let id = self.next_message_id;
        self.ingress.insert(id, IngressStatus::Processing);
        self.queue.push_back(Message::Request(Request {
            sender,
            receiver,
            method: method.to_string(),
            payload,
            cycles: 0,
            origin: Origin::Ingress { message_id: id },
            deadline: 0,
        }));
        Ok(id)
    }

    /// Runs `canister_inspect_message` (never persisted). A trap or a missing
    /// `accept_message` rejects the message before it is queued.
    fn inspect(
        &mut self,
        sender: Principal,
        receiver: Principal,
        method: &str,
        payload: &[u8],
    ) -> Result<(), Reject> {
        let time = self.time;
        let limit = self.limits.inspect;
        let c = self.canister_mut(&receiver)?;
        let Some(code) = c.code.as_ref() else {
            return Err(Reject::from_canister(
                receiver,
                ErrorCode::CanisterWasmModuleNotFound,
                "Attempted to execute a message, but the canister contains no Wasm module.",
            ));
        };
        if !code.exports("canister_inspect_message") || c.status != Status::Running {
            return Ok(());
        }
        let mut ctx = base_ctx(c, time, ExecKind::Inspect, sender, limit);
        ctx.arg = payload.to_vec();
        ctx.method_name = method.to_string();
        let code = c.code.as_mut().expect("checked above");
        let outcome = code.execute(Entry::Export("canister_inspect_message"), ctx, true);
        c.last_instructions = outcome.instructions;
        self.last_instructions = outcome.instructions;
        if let Some(trap) = outcome.trap {
            return Err(trap.into_reject(receiver));
        }
        if !outcome.ctx.message_accepted {
            return Err(Reject::from_canister(
                receiver,
                ErrorCode::CanisterRejectedMessage,
                "Canister rejected the message",
            ));
        }
        Ok(())
    }

    /// A completed message's result; reading it leaves it in place.
    pub fn ingress_result(&self, id: u64) -> Option<Result<Vec<u8>, Reject>> {
        match self.ingress.get(&id) {
            Some(IngressStatus::Done(result)) => Some(result.clone()),
            _ => None,
        }
    }

    /// Forgets completed messages older than the retention period, or beyond the most recent
    /// `MAX_RETAINED_INGRESS` (a bound on memory when virtual time hardly moves).
    fn prune_ingress(&mut self) {
        let now = self.time;
        while let Some(&(at, id)) = self.ingress_done.front() {
            let expired = now.saturating_sub(at) > INGRESS_RETENTION_NANOS;
            if !expired && self.ingress_done.len() <= MAX_RETAINED_INGRESS {
                break;
            }
            self.ingress_done.pop_front();
            self.ingress.remove(&id);
        }
    }

    /// Ticks until the ingress message completes (PocketIC's `await_call`).
    pub fn await_ingress(&mut self, id: u64) -> Result<Vec<u8>, Reject> {
        for _ in 0..self.limits.max_await_ticks {
            if let Some(result) = self.ingress_result(id) {
                return result;
            }
            self.tick();
        }
        self.ingress_result(id).unwrap_or_else(|| {
            Err(Reject::new(
                ErrorCode::IngressMessageTimeout,
                format!(
                    "Message did not complete after {} ticks",
                    self.limits.max_await_ticks
                ),
            ))
        })
    }

    // ------------------------------------------------------------ rounds

    pub fn tick(&mut self) {
        if !self.time_set {
            self.time += 1;
        }
        self.time_set = false;
        self.prune_ingress();
        self.expire_deadlines();
        self.schedule_system_tasks();
        let mut executed = 0;
        while executed < self.limits.messages_per_tick {
            let Some(message) = self.queue.pop_front() else {
                break;
            };
            self.note_change(&message);
            match message {
                Message::Request(r) => self.handle_request(r),
                Message::Response(r) => self.handle_response(r),
                Message::Task { canister, export } => self.handle_task(canister, export),
            }
            self.complete_stops();
            executed += 1;
        }
        self.activity += executed as u64;
        self.complete_stops();
    }

    /// Marks the canister a message may change. A management message may change any canister
    /// (create, install, settings, status), so it marks them all.
    fn note_change(&mut self, message: &Message) {
        let target = match message {
            Message::Request(r) if r.receiver == Principal::management_canister() => None,
            Message::Request(r) => Some(r.receiver),
            Message::Response(r) => Some(r.canister),
            Message::Task { canister, .. } => Some(*canister),
        };
        match target {
            Some(id) => {
                if let Some(c) = self.canisters.get_mut(&id) {
                    c.changes += 1;
                }
            }
            None => self.canisters.values_mut().for_each(|c| c.changes += 1),
        }
    }

    fn expire_deadlines(&mut self) {
        let now = self.time;
        for c in self.canisters.values_mut() {
            for (id, cb) in c.callbacks.iter_mut() {
                if cb.deadline != 0 && cb.deadline <= now {
                    cb.deadline = 0;
                    // Whichever of this reject and the real response is processed first wins;
                    // the later one finds no callback and is dropped.
                    self.queue.push_front(Message::Response(Response {
                        canister: c.id,
                        callback_id: *id,
                        result: Err(Reject::new(
                            ErrorCode::DeadlineExpired,
                            "Call deadline has expired.",
                        )),
                        refund: 0,
                    }));
                }
            }
        }
    }

    fn schedule_system_tasks(&mut self) {
        let now = self.time;
        for c in self.canisters.values_mut() {
            let Some(code) = c.code.as_ref() else {
                continue;
            };
            if c.status != Status::Running {
                continue;
            }
            if c.global_timer != 0 && c.global_timer <= now && code.exports("canister_global_timer")
            {
                // The timer is deactivated when it fires; the canister re-arms it if it wants.
                c.global_timer = 0;
                self.queue.push_back(Message::Task {
                    canister: c.id,
                    export: "canister_global_timer",
                });
            }
            if code.exports("canister_heartbeat") {
                self.queue.push_back(Message::Task {
                    canister: c.id,
                    export: "canister_heartbeat",
                });
            }
        }
    }

    /// Sends a call context's answer to whoever waits for it.
    pub fn respond(&mut self, origin: Origin, result: Result<Vec<u8>, Reject>, refund: u128) {
        match origin {
            Origin::Ingress { message_id } => {
                let now = self.time;
                self.ingress.insert(message_id, IngressStatus::Done(result));
                self.ingress_done.push_back((now, message_id));
            }
            Origin::Canister {
                caller,
                callback_id,
            } => {
                self.queue.push_back(Message::Response(Response {
                    canister: caller,
                    callback_id,
                    result,
                    refund,
                }));
            }
            Origin::System => {}
        }
    }

    pub fn enqueue_request(&mut self, request: Request) {
        self.queue.push_back(Message::Request(request));
    }

    fn handle_request(&mut self, req: Request) {
        if req.receiver == Principal::management_canister() {
            let origin = req.origin.clone();
            if let Some(result) = crate::management::handle(
                self,
                req.sender,
                &req.method,
                &req.payload,
                req.cycles,
                &origin,
            ) {
                self.respond(origin, result, 0);
            }
            return;
        }
        let time = self.time;
        let update_limit = self.limits.update;
        let root_key = self.root_key();
        let c = match self.canister_mut(&req.receiver) {
            Ok(c) => c,
            Err(reject) => return self.respond(req.origin, Err(reject), req.cycles),
        };
        let refusal = match c.status {
            Status::Stopping => Some(Reject::new(
                ErrorCode::CanisterStopping,
                format!("Canister {} is stopping", c.id),
            )),
            Status::Stopped => Some(Reject::new(
                ErrorCode::CanisterStopped,
                format!("Canister {} is stopped", c.id),
            )),
            Status::Running => None,
        };
        let entry = match (&refusal, c.code.as_ref()) {
            (Some(_), _) => None,
            (None, None) => None,
            (None, Some(code)) => {
                let update = format!("canister_update {}", req.method);
                let query = format!("canister_query {}", req.method);
                if code.exports(&update) {
                    Some((ExecKind::Update, update))
                } else if code.exports(&query) {
                    Some((ExecKind::ReplicatedQuery, query))
                } else {
                    None
                }
            }
        };
        let Some((kind, export)) = entry else {
            let reject = refusal.unwrap_or_else(|| missing_method_reject(c, &req.method));
            return self.respond(req.origin, Err(reject), req.cycles);
        };

        let context_id = c.fresh_id();
        c.call_contexts.insert(
            context_id,
            CallContext {
                origin: req.origin,
                caller: req.sender,
                responded: false,
                cycles_available: req.cycles,
                deadline: req.deadline,
                instructions: 0,
            },
        );
        let limit = if kind == ExecKind::Update {
            update_limit
        } else {
            self.limits.query
        };
        let c = self.canisters.get_mut(&req.receiver).expect("found above");
        let mut ctx = base_ctx(c, time, kind, req.sender, limit);
        ctx.root_key = Some(root_key);
        ctx.arg = req.payload;
        ctx.can_respond = true;
        ctx.cycles_available = req.cycles;
        // A query method sees no deadline even when called bounded-wait (spec: 0 there).
        ctx.deadline = if kind == ExecKind::Update {
            req.deadline
        } else {
            0
        };
        let code = c.code.as_mut().expect("checked above");
        let outcome = code.execute(
            Entry::Export(&export),
            ctx,
            kind == ExecKind::ReplicatedQuery,
        );
        self.finish(req.receiver, context_id, outcome);
    }

    fn handle_task(&mut self, canister: Principal, export: &'static str) {
        let time = self.time;
        let root_key = self.root_key();
        let limit = self.limits.update;
        let Some(c) = self.canisters.get_mut(&canister) else {
            return;
        };
        if c.status != Status::Running || c.code.is_none() {
            return;
        }
        let context_id = c.fresh_id();
        c.call_contexts.insert(
            context_id,
            CallContext {
                origin: Origin::System,
                caller: Principal::management_canister(),
                responded: true,
                cycles_available: 0,
                deadline: 0,
                instructions: 0,
            },
        );
        let mut ctx = base_ctx(
            c,
            time,
            ExecKind::System,
            Principal::management_canister(),
            limit,
        );
        ctx.root_key = Some(root_key);
        let outcome = c
            .code
            .as_mut()
            .expect("checked")
            .execute(Entry::Export(export), ctx, false);
        self.finish(canister, context_id, outcome);
    }

    fn handle_response(&mut self, resp: Response) {
        let time = self.time;
        let root_key = self.root_key();
        let limit = self.limits.update;
        let Some(c) = self.canisters.get_mut(&resp.canister) else {
            return;
        };
        // No callback: a late response after the deadline expired, or the code was uninstalled.
        let Some(cb) = c.callbacks.remove(&resp.callback_id) else {
            return;
        };
        c.cycles += resp.refund;
        let Some(context) = c.call_contexts.get(&cb.context_id) else {
            return;
        };
        let (caller, responded, available, deadline, used) = (
            context.caller,
            context.responded,
            context.cycles_available,
            context.deadline,
            context.instructions,
        );
        let (kind, (fun, env)) = match &resp.result {
            Ok(_) => (ExecKind::ReplyCallback, cb.reply),
            Err(_) => (ExecKind::RejectCallback, cb.reject),
        };
        // One-way calls register index u32::MAX: their responses are dropped unseen.
        if fun == u32::MAX as u64 || c.code.is_none() {
            let outcome = Outcome {
                ctx: base_ctx(c, time, kind, caller, 0),
                trap: None,
                instructions: 0,
            };
            return self.finish(resp.canister, cb.context_id, outcome);
        }
        let mut ctx = base_ctx(c, time, kind, caller, limit);
        ctx.root_key = Some(root_key.clone());
        match resp.result {
            Ok(bytes) => ctx.arg = bytes,
            Err(reject) => ctx.reject = Some((reject.code as u32, reject.message)),
        }
        ctx.can_respond = !responded;
        ctx.cycles_available = available;
        ctx.cycles_refunded = resp.refund;
        ctx.deadline = deadline;
        ctx.context_instructions = used;
        let code = c.code.as_mut().expect("checked");
        let outcome = code.execute(Entry::Callback { fun, env }, ctx, false);
        if let (Some(trap), Some((fun, env))) = (&outcome.trap, cb.cleanup) {
            // The callback's changes are gone; cleanup runs on the rolled-back state and keeps
            // its own changes unless it traps too.
            for (t, line) in &outcome.ctx.logs {
                c.log(*t, line.clone());
            }
            c.log(time, trap.log_line().into_bytes());
            let mut cctx = base_ctx(c, time, ExecKind::Cleanup, caller, limit);
            cctx.root_key = Some(root_key);
            cctx.context_instructions = used + outcome.instructions;
            let cleanup = c.code.as_mut().expect("checked").execute(
                Entry::Callback { fun, env },
                cctx,
                false,
            );
            for (t, line) in &cleanup.ctx.logs {
                c.log(*t, line.clone());
            }
            apply_state_effects(c, &cleanup, time);
            // The caller sees the callback's trap; a failing cleanup is appended, as the
            // replica reports it.
            let trap = match (outcome.trap, cleanup.trap) {
                (Some(first), Some(second)) => {
                    c.log(time, second.log_line().into_bytes());
                    Trap::WithFailedCleanup(Box::new(first), Box::new(second))
                }
                (first, _) => first.expect("the callback trapped"),
            };
            let outcome = Outcome {
                ctx: ExecCtx::default(),
                trap: Some(trap),
                instructions: outcome.instructions + cleanup.instructions,
            };
            return self.finish_logged(resp.canister, cb.context_id, outcome);
        }
        self.finish(resp.canister, cb.context_id, outcome);
    }

    /// Applies an execution's outcome: logs, then (unless it trapped) its state effects and
    /// outgoing calls, then answers or closes the call context.
    pub fn finish(&mut self, canister: Principal, context_id: u64, outcome: Outcome) {
        let time = self.time;
        let c = self
            .canisters
            .get_mut(&canister)
            .expect("executing canister exists");
        if outcome.ctx.kind.is_replicated() {
            for (t, line) in &outcome.ctx.logs {
                c.log(*t, line.clone());
            }
            if let Some(trap) = &outcome.trap {
                c.log(time, trap.log_line().into_bytes());
            }
        }
        self.finish_logged(canister, context_id, outcome);
    }

    fn finish_logged(&mut self, canister: Principal, context_id: u64, mut outcome: Outcome) {
        let time = self.time;
        self.last_instructions = outcome.instructions;
        let c = self
            .canisters
            .get_mut(&canister)
            .expect("executing canister exists");
        c.last_instructions = outcome.instructions;
        let mut requests = Vec::new();
        if outcome.trap.is_none() {
            apply_state_effects(c, &outcome, time);
            for call in std::mem::take(&mut outcome.ctx.calls) {
                c.calls_made += 1;
                let callback_id = c.fresh_id();
                let deadline = call
                    .timeout_secs
                    .map_or(0, |s| time + s as u64 * 1_000_000_000);
                c.callbacks.insert(
                    callback_id,
                    Callback {
                        context_id,
                        reply: call.reply,
                        reject: call.reject,
                        cleanup: call.cleanup,
                        deadline,
                    },
                );
                requests.push(Request {
                    sender: canister,
                    receiver: call.callee,
                    method: call.method,
                    payload: call.payload,
                    cycles: call.cycles,
                    origin: Origin::Canister {
                        caller: canister,
                        callback_id,
                    },
                    deadline,
                });
            }
        }
        let mut answer = None;
        let mut close = false;
        if let Some(context) = c.call_contexts.get_mut(&context_id) {
            context.instructions += outcome.instructions;
            if outcome.trap.is_none() {
                if let Some(response) = outcome.ctx.response.take() {
                    context.responded = true;
                    let refund = context
                        .cycles_available
                        .saturating_sub(outcome.ctx.cycles_accepted);
                    context.cycles_available = 0;
                    answer = Some((
                        context.origin.clone(),
                        response.map_err(Reject::canister_reject),
                        refund,
                    ));
                } else {
                    context.cycles_available = context
                        .cycles_available
                        .saturating_sub(outcome.ctx.cycles_accepted);
                }
            }
            close =
                !c.callbacks.values().any(|cb| cb.context_id == context_id) && requests.is_empty();
        }
        if let Some((origin, result, refund)) = answer {
            self.respond(origin, result, refund);
        }
        if close {
            let c = self.canisters.get_mut(&canister).expect("exists");
            let context = c.call_contexts.remove(&context_id).expect("exists");
            if !context.responded {
                // Nothing can answer this context any more: reject it, with the trap if any.
                let reject = match outcome.trap {
                    Some(trap) => trap.into_reject(canister),
                    None => Reject::did_not_reply(canister),
                };
                self.respond(context.origin, Err(reject), context.cycles_available);
            }
        }
        for r in requests {
            self.enqueue_request(r);
        }
    }

    /// Stopping canisters with no open call context become stopped; their stop calls reply.
    fn complete_stops(&mut self) {
        if self.pending_stops.is_empty() {
            return;
        }
        let mut done = Vec::new();
        for c in self.canisters.values_mut() {
            if c.status == Status::Stopping && c.call_contexts.is_empty() {
                c.status = Status::Stopped;
                done.push(c.id);
            }
        }
        if done.is_empty() {
            return;
        }
        let (finished, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_stops)
            .into_iter()
            .partition(|(id, _)| done.contains(id));
        self.pending_stops = waiting;
        for (_, origin) in finished {
            self.respond(
                origin,
                Ok(candid::encode_args(()).expect("empty args encode")),
                0,
            );
        }
    }
}

/// Timer, certified data, cycle balance and canister version changes of a successful
/// execution. A replicated query keeps only the cycles it accepted: its heap changes, and so
/// any timer or certified data it set, are discarded.
fn apply_state_effects(c: &mut Canister, outcome: &Outcome, _time: u64) {
    if outcome.trap.is_some() {
        return;
    }
    let ctx = &outcome.ctx;
    match ctx.kind {
        ExecKind::ReplicatedQuery => c.cycles = ctx.balance,
        ExecKind::Query | ExecKind::Inspect => {}
        _ => {
            if let Some(t) = ctx.timer {
                c.global_timer = t;
            }
            if let Some(data) = &ctx.certified_data {
                c.certified_data = data.clone();
            }
            c.cycles = ctx.balance;
            // Every committed execution that may change the canister moves its version (spec:
            // canister_version); a dropped one-way response ran no code and moves nothing.
            if outcome.instructions > 0 {
                c.version += 1;
            }
        }
    }
}

fn missing_method_reject(c: &Canister, method: &str) -> Reject {
    match &c.code {
        None => Reject::from_canister(
            c.id,
            ErrorCode::CanisterWasmModuleNotFound,
            "Attempted to execute a message, but the canister contains no Wasm module.",
        ),
        Some(code) if code.exports(&format!("canister_composite_query {method}")) => {
            Reject::from_canister(
                c.id,
                ErrorCode::CompositeQueryCalledInReplicatedMode,
                "Composite query cannot be called in replicated mode",
            )
        }
        Some(_) => Reject::from_canister(
            c.id,
            ErrorCode::CanisterMethodNotFound,
            format!("Canister has no update method '{method}'."),
        ),
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
