//! `IcEnv`: the operations the project's integration tests need, implemented by this runtime
//! and — with the `pocket-ic` feature — by the real `pocket_ic::PocketIc`, so one suite can run
//! on either. `ic_runtime::env_from_environment()` picks real PocketIC when the feature is on
//! and `POCKET_IC_BIN` is set, and this runtime otherwise.

use std::time::Duration;

use candid::Principal;
use ic_management_canister_types::{CanisterLogRecord, CanisterSettings, CanisterStatusResult};

use crate::api::PocketIc;
use crate::errors::RejectResponse;
use crate::types::{RawMessageId, Time};

pub trait IcEnv: Send + Sync {
    fn create_canister(&self) -> Principal;
    fn create_canister_with_settings(
        &self,
        sender: Option<Principal>,
        settings: Option<CanisterSettings>,
    ) -> Principal;
    fn add_cycles(&self, canister_id: Principal, amount: u128) -> u128;
    fn install_canister(
        &self,
        canister_id: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    );
    fn upgrade_canister(
        &self,
        canister_id: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse>;
    fn reinstall_canister(
        &self,
        canister_id: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse>;
    fn update_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse>;
    fn query_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse>;
    /// Submits an update call without running it, so several can be in flight at once.
    fn submit_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<RawMessageId, RejectResponse>;
    /// Runs rounds until the submitted call finished and returns its result.
    fn await_call(&self, message: RawMessageId) -> Result<Vec<u8>, RejectResponse>;
    fn tick(&self);
    fn advance_time(&self, duration: Duration);
    fn get_time(&self) -> Time;
    /// The DER key that signs the instance's certificates (queries' data certificates).
    fn root_key(&self) -> Option<Vec<u8>>;
    fn stop_canister(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse>;
    fn start_canister(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse>;
    fn set_controllers(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
        controllers: Vec<Principal>,
    ) -> Result<(), RejectResponse>;
    fn canister_status(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
    ) -> Result<CanisterStatusResult, RejectResponse>;
    fn fetch_canister_logs(
        &self,
        canister_id: Principal,
        sender: Principal,
    ) -> Result<Vec<CanisterLogRecord>, RejectResponse>;
    /// The canister's stable memory, e.g. for tests that inspect what a canister stored.
    fn get_stable_memory(&self, canister_id: Principal) -> Vec<u8>;
    /// Replaces the canister's stable memory, the way storage corruption would (PocketIC's
    /// `set_stable_memory`); for tests that check a canister notices.
    fn set_stable_memory(&self, canister_id: Principal, data: Vec<u8>);
    /// This runtime itself, for what only it can tell (instructions and calls per canister);
    /// `None` on a real PocketIC server.
    fn runtime(&self) -> Option<&PocketIc> {
        None
    }
}

impl IcEnv for PocketIc {
    fn runtime(&self) -> Option<&PocketIc> {
        Some(self)
    }
    fn create_canister(&self) -> Principal {
        PocketIc::create_canister(self)
    }
    fn create_canister_with_settings(
        &self,
        sender: Option<Principal>,
        settings: Option<CanisterSettings>,
    ) -> Principal {
        PocketIc::create_canister_with_settings(self, sender, settings)
    }
    fn add_cycles(&self, canister_id: Principal, amount: u128) -> u128 {
        PocketIc::add_cycles(self, canister_id, amount)
    }
    fn install_canister(
        &self,
        canister_id: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) {
        PocketIc::install_canister(self, canister_id, wasm, arg, sender)
    }
    fn upgrade_canister(
        &self,
        canister_id: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        PocketIc::upgrade_canister(self, canister_id, wasm, arg, sender)
    }
    fn reinstall_canister(
        &self,
        canister_id: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        PocketIc::reinstall_canister(self, canister_id, wasm, arg, sender)
    }
    fn update_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        PocketIc::update_call(self, canister_id, sender, method, arg)
    }
    fn query_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        PocketIc::query_call(self, canister_id, sender, method, arg)
    }
    fn submit_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<RawMessageId, RejectResponse> {
        PocketIc::submit_call(self, canister_id, sender, method, arg)
    }
    fn await_call(&self, message: RawMessageId) -> Result<Vec<u8>, RejectResponse> {
        PocketIc::await_call(self, message)
    }
    fn tick(&self) {
        PocketIc::tick(self)
    }
    fn advance_time(&self, duration: Duration) {
        PocketIc::advance_time(self, duration)
    }
    fn get_time(&self) -> Time {
        PocketIc::get_time(self)
    }
    fn root_key(&self) -> Option<Vec<u8>> {
        PocketIc::root_key(self)
    }
    fn stop_canister(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        PocketIc::stop_canister(self, canister_id, sender)
    }
    fn start_canister(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        PocketIc::start_canister(self, canister_id, sender)
    }
    fn set_controllers(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
        controllers: Vec<Principal>,
    ) -> Result<(), RejectResponse> {
        PocketIc::set_controllers(self, canister_id, sender, controllers)
    }
    fn canister_status(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
    ) -> Result<CanisterStatusResult, RejectResponse> {
        PocketIc::canister_status(self, canister_id, sender)
    }
    fn fetch_canister_logs(
        &self,
        canister_id: Principal,
        sender: Principal,
    ) -> Result<Vec<CanisterLogRecord>, RejectResponse> {
        PocketIc::fetch_canister_logs(self, canister_id, sender)
    }
    fn get_stable_memory(&self, canister_id: Principal) -> Vec<u8> {
        PocketIc::get_stable_memory(self, canister_id)
    }
    fn set_stable_memory(&self, canister_id: Principal, data: Vec<u8>) {
        PocketIc::set_stable_memory(
            self,
            canister_id,
            data,
            crate::types::BlobCompression::NoCompression,
        )
    }
}

/// Real PocketIC when built with the `pocket-ic` feature and `POCKET_IC_BIN` is set; this
/// runtime otherwise.
pub fn env_from_environment() -> Box<dyn IcEnv> {
    #[cfg(feature = "pocket-ic")]
    if std::env::var_os("POCKET_IC_BIN").is_some() {
        return Box::new(real::Real(pocket_ic::PocketIc::new()));
    }
    Box::new(PocketIc::new())
}

#[cfg(feature = "pocket-ic")]
pub mod real {
    //! `IcEnv` for a real PocketIC server, converting its error types to this crate's.
    use super::*;
    use crate::errors::{ErrorCode, RejectCode};
    use pocket_ic::common::rest::RawEffectivePrincipal;

    /// Wraps `pocket_ic::PocketIc` (a newtype, so both impls can coexist).
    pub struct Real(pub pocket_ic::PocketIc);

    fn conv(e: pocket_ic::RejectResponse) -> RejectResponse {
        RejectResponse {
            reject_code: RejectCode::from_u32(e.reject_code as u32).unwrap_or(RejectCode::SysFatal),
            reject_message: e.reject_message,
            error_code: ErrorCode::from_u32(e.error_code as u32)
                .unwrap_or(ErrorCode::CanisterTrapped),
            certified: e.certified,
        }
    }

    impl IcEnv for Real {
        fn create_canister(&self) -> Principal {
            self.0.create_canister()
        }
        fn create_canister_with_settings(
            &self,
            sender: Option<Principal>,
            settings: Option<CanisterSettings>,
        ) -> Principal {
            self.0.create_canister_with_settings(sender, settings)
        }
        fn add_cycles(&self, canister_id: Principal, amount: u128) -> u128 {
            self.0.add_cycles(canister_id, amount)
        }
        fn install_canister(
            &self,
            canister_id: Principal,
            wasm: Vec<u8>,
            arg: Vec<u8>,
            sender: Option<Principal>,
        ) {
            self.0.install_canister(canister_id, wasm, arg, sender)
        }
        fn upgrade_canister(
            &self,
            id: Principal,
            wasm: Vec<u8>,
            arg: Vec<u8>,
            sender: Option<Principal>,
        ) -> Result<(), RejectResponse> {
            self.0.upgrade_canister(id, wasm, arg, sender).map_err(conv)
        }
        fn reinstall_canister(
            &self,
            id: Principal,
            wasm: Vec<u8>,
            arg: Vec<u8>,
            sender: Option<Principal>,
        ) -> Result<(), RejectResponse> {
            self.0
                .reinstall_canister(id, wasm, arg, sender)
                .map_err(conv)
        }
        fn update_call(
            &self,
            id: Principal,
            sender: Principal,
            method: &str,
            arg: Vec<u8>,
        ) -> Result<Vec<u8>, RejectResponse> {
            self.0.update_call(id, sender, method, arg).map_err(conv)
        }
        fn query_call(
            &self,
            id: Principal,
            sender: Principal,
            method: &str,
            arg: Vec<u8>,
        ) -> Result<Vec<u8>, RejectResponse> {
            self.0.query_call(id, sender, method, arg).map_err(conv)
        }
        fn submit_call(
            &self,
            id: Principal,
            sender: Principal,
            method: &str,
            arg: Vec<u8>,
        ) -> Result<RawMessageId, RejectResponse> {
            self.0
                .submit_call(id, sender, method, arg)
                .map(|m| RawMessageId {
                    effective_principal: match m.effective_principal {
                        RawEffectivePrincipal::CanisterId(bytes) => Principal::from_slice(&bytes),
                        _ => id,
                    },
                    message_id: m.message_id,
                })
                .map_err(conv)
        }
        fn await_call(&self, message: RawMessageId) -> Result<Vec<u8>, RejectResponse> {
            let m = pocket_ic::common::rest::RawMessageId {
                effective_principal: RawEffectivePrincipal::CanisterId(
                    message.effective_principal.as_slice().to_vec(),
                ),
                message_id: message.message_id,
            };
            self.0.await_call(m).map_err(conv)
        }
        fn tick(&self) {
            self.0.tick()
        }
        fn advance_time(&self, duration: Duration) {
            self.0.advance_time(duration)
        }
        fn get_time(&self) -> Time {
            Time::from_nanos_since_unix_epoch(self.0.get_time().as_nanos_since_unix_epoch())
        }
        fn root_key(&self) -> Option<Vec<u8>> {
            self.0.root_key()
        }
        fn stop_canister(
            &self,
            id: Principal,
            sender: Option<Principal>,
        ) -> Result<(), RejectResponse> {
            self.0.stop_canister(id, sender).map_err(conv)
        }
        fn start_canister(
            &self,
            id: Principal,
            sender: Option<Principal>,
        ) -> Result<(), RejectResponse> {
            self.0.start_canister(id, sender).map_err(conv)
        }
        fn set_controllers(
            &self,
            id: Principal,
            sender: Option<Principal>,
            controllers: Vec<Principal>,
        ) -> Result<(), RejectResponse> {
            self.0
                .set_controllers(id, sender, controllers)
                .map_err(conv)
        }
        fn canister_status(
            &self,
            id: Principal,
            sender: Option<Principal>,
        ) -> Result<CanisterStatusResult, RejectResponse> {
            self.0.canister_status(id, sender).map_err(conv)
        }
        fn fetch_canister_logs(
            &self,
            id: Principal,
            sender: Principal,
        ) -> Result<Vec<CanisterLogRecord>, RejectResponse> {
            self.0.fetch_canister_logs(id, sender).map_err(conv)
        }
        fn get_stable_memory(&self, id: Principal) -> Vec<u8> {
            self.0.get_stable_memory(id)
        }
        fn set_stable_memory(&self, id: Principal, data: Vec<u8>) {
            self.0.set_stable_memory(
                id,
                data,
                pocket_ic::common::rest::BlobCompression::NoCompression,
            )
        }
    }
}
