//! Ingress queries and composite queries. A query runs non-replicated and its changes are
//! always discarded. A composite query may call query and composite-query methods of other
//! canisters; those calls and their callbacks run synchronously, depth-first, inside one
//! evaluation, and every canister touched is put back as it was when the evaluation ends.

use std::collections::VecDeque;

use candid::Principal;

use crate::canister::Status;
use crate::certification::DataCertificate;
use crate::context::{ExecKind, OutgoingCall};
use crate::errors::{ErrorCode, Reject};
use crate::execution::{Entry, Outcome, Snapshot};
use crate::subnet::{base_ctx, Subnet};

/// Replies to queries may be up to 3 MiB (replicated replies: 2 MiB).
pub const MAX_QUERY_REPLY: usize = 3 * 1024 * 1024;
/// The IC's `MAX_CALL_DEPTH_COMPOSITE_QUERY`.
pub const MAX_DEPTH: usize = 6;

pub fn query(
    sub: &mut Subnet,
    sender: Principal,
    canister: Principal,
    method: &str,
    arg: Vec<u8>,
) -> Result<Vec<u8>, Reject> {
    let mut eval = Evaluation {
        sub,
        touched: Vec::new(),
        instructions: 0,
    };
    let result = eval.call(sender, canister, method, arg, 0);
    eval.restore_all();
    eval.sub.last_instructions = eval.instructions;
    result
}

struct Evaluation<'s> {
    sub: &'s mut Subnet,
    touched: Vec<(Principal, Snapshot)>,
    instructions: u64,
}

impl Evaluation<'_> {
    fn restore_all(&mut self) {
        while let Some((id, snap)) = self.touched.pop() {
            if let Some(code) = self
                .sub
                .canisters
                .get_mut(&id)
                .and_then(|c| c.code.as_mut())
            {
                code.restore_outer(&snap);
            }
        }
    }

    /// Entry kind and export name of `method`, or the IC's reject for it.
    fn resolve(&self, canister: Principal, method: &str) -> Result<(ExecKind, String), Reject> {
        let c = self.sub.canister(&canister)?;
        if c.status == Status::Stopped {
            return Err(Reject::new(
                ErrorCode::CanisterStopped,
                format!("Canister {canister} is stopped"),
            ));
        }
        let Some(code) = c.code.as_ref() else {
            return Err(Reject::from_canister(
                canister,
                ErrorCode::CanisterWasmModuleNotFound,
                "Attempted to execute a message, but the canister contains no Wasm module.",
            ));
        };
        let query = format!("canister_query {method}");
        let composite = format!("canister_composite_query {method}");
        if code.exports(&query) {
            Ok((ExecKind::Query, query))
        } else if code.exports(&composite) {
            Ok((ExecKind::CompositeQuery, composite))
        } else {
            Err(Reject::from_canister(
                canister,
                ErrorCode::CanisterMethodNotFound,
                format!("Canister has no query method '{method}'."),
            ))
        }
    }

    /// Runs one execution. A plain query method rolls back by itself right away (every query
    /// execution sees committed state, as on the IC); a composite query and its callbacks share
    /// the canister's heap, so the first touch takes the snapshot `restore_all` returns to.
    fn run(
        &mut self,
        canister: Principal,
        entry: Entry<'_>,
        ctx: crate::context::ExecCtx,
        alone: bool,
    ) -> Outcome {
        let c = self.sub.canisters.get_mut(&canister).expect("resolved");
        let code = c.code.as_mut().expect("resolved");
        if !alone && !self.touched.iter().any(|(id, _)| *id == canister) {
            let snap = code.begin_outer();
            self.touched.push((canister, snap));
        }
        let outcome = code.execute(entry, ctx, alone);
        self.instructions += outcome.instructions;
        c.last_instructions = outcome.instructions;
        outcome
    }

    fn call(
        &mut self,
        caller: Principal,
        canister: Principal,
        method: &str,
        arg: Vec<u8>,
        depth: usize,
    ) -> Result<Vec<u8>, Reject> {
        let (kind, export) = self.resolve(canister, method)?;
        let time = self.sub.time;
        let limit = self.sub.limits.query;
        let c = self.sub.canister(&canister)?;
        let mut ctx = base_ctx(c, time, kind, caller, limit);
        ctx.arg = arg;
        ctx.can_respond = true;
        ctx.max_reply_size = MAX_QUERY_REPLY;
        // Like the IC, only the method an ingress query names gets a data certificate (over
        // `/time` and its `certified_data`); canisters a composite query calls get none.
        if depth == 0 {
            ctx.data_certificate = Some(DataCertificate::new(
                self.sub.root_key(),
                canister,
                c.certified_data.clone(),
                time,
            ));
        }
        let alone = kind == ExecKind::Query;
        let mut outcome = self.run(canister, Entry::Export(&export), ctx, alone);
        if let Some(trap) = outcome.trap {
            return Err(trap.into_reject(canister));
        }
        let mut response = outcome.ctx.response.take();
        let mut pending: VecDeque<OutgoingCall> = outcome.ctx.calls.drain(..).collect();
        let mut last_trap = None;
        while let Some(call) = pending.pop_front() {
            let result = if depth + 1 >= MAX_DEPTH {
                Err(Reject::new(
                    ErrorCode::QueryCallGraphTooDeep,
                    "Composite query call graph went too deep.",
                ))
            } else if call.callee == Principal::management_canister() {
                Err(Reject::new(
                    ErrorCode::CanisterMethodNotFound,
                    format!(
                        "The management canister has no query method '{}'",
                        call.method
                    ),
                ))
            } else {
                self.call(canister, call.callee, &call.method, call.payload, depth + 1)
            };
            let (kind, (fun, env)) = match &result {
                Ok(_) => (ExecKind::CompositeReplyCallback, call.reply),
                Err(_) => (ExecKind::CompositeRejectCallback, call.reject),
            };
            if fun == u32::MAX as u64 {
                continue;
            }
            let c = self.sub.canister(&canister)?;
            let mut ctx = base_ctx(c, time, kind, caller, limit);
            match result {
                Ok(bytes) => ctx.arg = bytes,
                Err(r) => ctx.reject = Some((r.code as u32, r.message)),
            }
            ctx.can_respond = response.is_none();
            ctx.max_reply_size = MAX_QUERY_REPLY;
            let mut outcome = self.run(canister, Entry::Callback { fun, env }, ctx, false);
            if let Some(trap) = outcome.trap {
                if let Some((fun, env)) = call.cleanup {
                    let c = self.sub.canister(&canister)?;
                    let cctx = base_ctx(c, time, ExecKind::CompositeCleanup, caller, limit);
                    self.run(canister, Entry::Callback { fun, env }, cctx, false);
                }
                last_trap = Some(trap);
                continue;
            }
            if response.is_none() {
                response = outcome.ctx.response.take();
            }
            pending.extend(outcome.ctx.calls.drain(..));
        }
        match (response, last_trap) {
            (Some(Ok(bytes)), _) => Ok(bytes),
            (Some(Err(message)), _) => Err(Reject::canister_reject(message)),
            (None, Some(trap)) => Err(trap.into_reject(canister)),
            (None, None) => Err(Reject::did_not_reply(canister)),
        }
    }
}
