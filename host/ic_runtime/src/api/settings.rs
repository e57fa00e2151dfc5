//! A canister's status, controllers and settings, its stable memory and logs, and the
//! instance's root key.

use candid::Principal;
use ic_management_canister_types::{
    CanisterIdRecord, CanisterLogRecord, CanisterSettings, CanisterStatusResult, UpdateSettingsArgs,
};

use crate::errors::{Reject, RejectResponse};
use crate::types::{BlobCompression, CanisterId};

use super::PocketIc;

impl PocketIc {
    pub fn canister_status(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
    ) -> Result<CanisterStatusResult, RejectResponse> {
        let bytes =
            self.management(sender, "canister_status", &CanisterIdRecord { canister_id })?;
        Ok(candid::decode_one(&bytes).expect("canister status decodes"))
    }
    pub fn get_controllers(&self, canister_id: CanisterId) -> Vec<Principal> {
        self.lock()
            .canister(&canister_id)
            .map(|c| c.controllers().to_vec())
            .unwrap_or_default()
    }
    pub fn set_controllers(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
        new_controllers: Vec<Principal>,
    ) -> Result<(), RejectResponse> {
        let settings = CanisterSettings {
            controllers: Some(new_controllers),
            ..Default::default()
        };
        self.update_canister_settings(canister_id, sender, settings)
    }
    pub fn update_canister_settings(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
        settings: CanisterSettings,
    ) -> Result<(), RejectResponse> {
        self.management(
            sender,
            "update_settings",
            &UpdateSettingsArgs {
                canister_id,
                settings,
                sender_canister_version: None,
            },
        )
        .map(|_| ())
    }
    pub fn get_stable_memory(&self, canister_id: CanisterId) -> Vec<u8> {
        let s = self.lock();
        s.canister(&canister_id)
            .ok()
            .and_then(|c| c.code.as_ref())
            .map(|c| c.stable().bytes().to_vec())
            .unwrap_or_default()
    }
    pub fn set_stable_memory(
        &self,
        canister_id: CanisterId,
        data: Vec<u8>,
        compression: BlobCompression,
    ) {
        let data = match compression {
            BlobCompression::Gzip => crate::instrument::decompress(&data).expect("gzip blob"),
            BlobCompression::NoCompression => data,
        };
        let mut s = self.lock();
        let c = s.canister_mut(&canister_id).expect("canister exists");
        c.changes += 1;
        let code = c.code.as_mut().expect("canister has code");
        let mut bytes = data;
        let page = crate::stable::WASM_PAGE as usize;
        bytes.resize(bytes.len().div_ceil(page) * page, 0);
        *code.stable_mut() = crate::stable::StableMemory::from_bytes(bytes);
    }
    /// The canister's log (debug_print and traps), for controllers and whoever its
    /// `log_visibility` setting admits.
    pub fn fetch_canister_logs(
        &self,
        canister_id: CanisterId,
        sender: Principal,
    ) -> Result<Vec<CanisterLogRecord>, RejectResponse> {
        let s = self.lock();
        let c = s
            .canister(&canister_id)
            .map_err(|r| r.into_response(false))?;
        if !c.may_read_logs(&sender) {
            return Err(Reject::new(
                crate::errors::ErrorCode::CanisterRejectedMessage,
                format!("Caller {sender} is not allowed to query ic00 method fetch_canister_logs"),
            )
            .into_response(false));
        }
        Ok(c.logs.iter().cloned().collect())
    }
    /// The DER key that signs this instance's certificates (the data certificates of queries).
    pub fn root_key(&self) -> Option<Vec<u8>> {
        Some(self.lock().root_key().der().to_vec())
    }
    /// Signs certificates with `key` from now on (the local network keeps its root key across
    /// restarts this way).
    pub fn set_root_key(&self, key: std::sync::Arc<crate::certification::RootKey>) {
        self.lock().set_root_key(key);
    }
}
