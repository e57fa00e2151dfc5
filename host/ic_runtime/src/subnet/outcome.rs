//! Applying an execution's outcome: logs, state effects (timer, certified data, cycles,
//! version), outgoing calls, and the call context's answer or closing.

use candid::Principal;

use crate::canister::{Callback, Canister, Origin};
use crate::context::ExecKind;
use crate::errors::Reject;
use crate::execution::Outcome;

use super::{Request, Subnet};

impl Subnet {
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

    pub(super) fn finish_logged(
        &mut self,
        canister: Principal,
        context_id: u64,
        mut outcome: Outcome,
    ) {
        let time = self.time;
        self.last_instructions = outcome.instructions;
        let c = self
            .canisters
            .get_mut(&canister)
            .expect("executing canister exists");
        c.last_instructions = outcome.instructions;
        c.executions += 1;
        c.instructions_executed += outcome.instructions;
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
}

/// Timer, certified data, cycle balance and canister version changes of a successful
/// execution. A replicated query keeps only the cycles it accepted: its heap changes, and so
/// any timer or certified data it set, are discarded.
pub(super) fn apply_state_effects(c: &mut Canister, outcome: &Outcome, _time: u64) {
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
