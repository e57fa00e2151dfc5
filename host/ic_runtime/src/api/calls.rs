//! Update and query calls: synchronous, or submitted and awaited (`submit_call` →
//! `await_call`), and an ingress message's status.

use candid::Principal;

use crate::errors::RejectResponse;
use crate::types::{CanisterId, RawMessageId};

use super::{rr, PocketIc};

impl PocketIc {
    pub fn update_call(
        &self,
        canister_id: CanisterId,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        let id = self.submit_call(canister_id, sender, method, payload)?;
        self.await_call(id)
    }
    pub fn submit_call(
        &self,
        canister_id: CanisterId,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<RawMessageId, RejectResponse> {
        let id = self
            .lock()
            .submit(sender, canister_id, method, payload, true)
            .map_err(rr)?;
        Ok(RawMessageId {
            effective_principal: canister_id,
            message_id: id.to_be_bytes().to_vec(),
        })
    }
    pub fn await_call(&self, message_id: RawMessageId) -> Result<Vec<u8>, RejectResponse> {
        self.lock().await_ingress(message_id.id()).map_err(rr)
    }
    /// The result if the message completed, without ticking; panics otherwise (as pocket-ic).
    pub fn await_call_no_ticks(&self, message_id: RawMessageId) -> Result<Vec<u8>, RejectResponse> {
        self.ingress_status(message_id)
            .expect("the message has not completed yet")
    }
    pub fn ingress_status(
        &self,
        message_id: RawMessageId,
    ) -> Option<Result<Vec<u8>, RejectResponse>> {
        self.lock()
            .ingress_result(message_id.id())
            .map(|r| r.map_err(rr))
    }
    pub fn query_call(
        &self,
        canister_id: CanisterId,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        crate::query::query(&mut self.lock(), sender, canister_id, method, payload)
            .map_err(|r| r.into_response(false))
    }
}
