//! Ingress messages: validating and queueing a submitted update (size, target,
//! `canister_inspect_message`), reading a completed result, forgetting old results, and
//! awaiting one.

use candid::Principal;

use crate::canister::{Origin, Status};
use crate::context::ExecKind;
use crate::errors::{ErrorCode, Reject, RejectCode};
use crate::execution::Entry;
use crate::system_api::MAX_PAYLOAD;

use super::{
    base_ctx, IngressStatus, Message, Request, Subnet, INGRESS_RETENTION_NANOS,
    MAX_RETAINED_INGRESS,
};

impl Subnet {
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
    pub(super) fn prune_ingress(&mut self) {
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
}
