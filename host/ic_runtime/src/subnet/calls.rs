//! Delivering messages: answering a call context's origin, and running a request, a system
//! task (timer, heartbeat) or a response callback on its canister.

use candid::Principal;

use crate::canister::{CallContext, Canister, Origin, Status};
use crate::context::{ExecCtx, ExecKind};
use crate::errors::{ErrorCode, Reject, Trap};
use crate::execution::{Entry, Outcome};

use super::outcome::apply_state_effects;
use super::{base_ctx, IngressStatus, Message, Request, Response, Subnet};

impl Subnet {
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

    pub(super) fn handle_request(&mut self, req: Request) {
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

    pub(super) fn handle_task(&mut self, canister: Principal, export: &'static str) {
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

    pub(super) fn handle_response(&mut self, resp: Response) {
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
