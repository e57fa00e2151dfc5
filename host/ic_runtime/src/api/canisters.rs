//! Creating, installing, upgrading, starting, stopping and deleting canisters, and their
//! cycles: each a management call run as an ingress message, as PocketIC does.

use candid::Principal;
use ic_management_canister_types::{
    CanisterIdRecord, CanisterInstallMode, CanisterSettings, InstallCodeArgs,
    ProvisionalCreateCanisterWithCyclesArgs, UpgradeFlags,
};

use crate::errors::RejectResponse;
use crate::types::CanisterId;

use super::PocketIc;

impl PocketIc {
    pub fn create_canister(&self) -> CanisterId {
        self.create_canister_with_settings(None, None)
    }
    pub fn create_canister_with_settings(
        &self,
        sender: Option<Principal>,
        settings: Option<CanisterSettings>,
    ) -> CanisterId {
        let arg = ProvisionalCreateCanisterWithCyclesArgs {
            amount: None,
            settings,
            specified_id: None,
            sender_canister_version: None,
        };
        let bytes = self
            .management(sender, "provisional_create_canister_with_cycles", &arg)
            .expect("create_canister failed");
        candid::decode_one::<CanisterIdRecord>(&bytes)
            .expect("canister id record")
            .canister_id
    }
    /// Creates a canister with `cycles` for `sender` (its default controller), or says why not
    /// (bad settings): what a cycles ledger's `create_canister` does on the IC's behalf.
    pub fn create_canister_with_cycles(
        &self,
        sender: Principal,
        settings: Option<CanisterSettings>,
        cycles: u128,
    ) -> Result<CanisterId, RejectResponse> {
        let arg = ProvisionalCreateCanisterWithCyclesArgs {
            amount: Some(cycles.into()),
            settings,
            specified_id: None,
            sender_canister_version: None,
        };
        let bytes = self.management(
            Some(sender),
            "provisional_create_canister_with_cycles",
            &arg,
        )?;
        Ok(candid::decode_one::<CanisterIdRecord>(&bytes)
            .expect("canister id record")
            .canister_id)
    }
    pub fn create_canister_with_id(
        &self,
        sender: Option<Principal>,
        settings: Option<CanisterSettings>,
        canister_id: CanisterId,
    ) -> Result<CanisterId, String> {
        let arg = ProvisionalCreateCanisterWithCyclesArgs {
            amount: None,
            settings,
            specified_id: Some(canister_id),
            sender_canister_version: None,
        };
        self.management(sender, "provisional_create_canister_with_cycles", &arg)
            .map_err(|e| e.reject_message)?;
        Ok(canister_id)
    }
    pub fn canister_exists(&self, canister_id: CanisterId) -> bool {
        self.lock().canisters.contains_key(&canister_id)
    }
    /// Adds cycles; returns the new balance.
    pub fn add_cycles(&self, canister_id: CanisterId, amount: u128) -> u128 {
        let mut s = self.lock();
        let c = s.canister_mut(&canister_id).expect("canister exists");
        c.cycles += amount;
        c.changes += 1;
        c.cycles
    }
    pub fn cycle_balance(&self, canister_id: CanisterId) -> u128 {
        self.lock()
            .canister(&canister_id)
            .map(|c| c.cycles)
            .unwrap_or(0)
    }

    fn install(
        &self,
        id: CanisterId,
        mode: CanisterInstallMode,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        let args = InstallCodeArgs {
            mode,
            canister_id: id,
            wasm_module: wasm,
            arg,
            sender_canister_version: None,
        };
        self.management(sender, "install_code", &args).map(|_| ())
    }
    /// Installs code; panics on failure, as pocket-ic does.
    pub fn install_canister(
        &self,
        canister_id: CanisterId,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) {
        if let Err(e) = self.install(canister_id, CanisterInstallMode::Install, wasm, arg, sender) {
            panic!(
                "Failed to install canister {canister_id}: {}",
                e.reject_message
            );
        }
    }
    pub fn upgrade_canister(
        &self,
        canister_id: CanisterId,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        self.upgrade(canister_id, wasm, arg, sender, None)
    }
    /// Upgrades a canister built with Motoko's enhanced orthogonal persistence: its wasm memory
    /// is kept (`wasm_memory_persistence = keep`), as pocket-ic's method of the same name does.
    pub fn upgrade_eop_canister(
        &self,
        canister_id: CanisterId,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        let keep = ic_management_canister_types::WasmMemoryPersistence::Keep;
        self.upgrade(canister_id, wasm, arg, sender, Some(keep))
    }
    fn upgrade(
        &self,
        canister_id: CanisterId,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
        wasm_memory_persistence: Option<ic_management_canister_types::WasmMemoryPersistence>,
    ) -> Result<(), RejectResponse> {
        let mode = CanisterInstallMode::Upgrade(Some(UpgradeFlags {
            skip_pre_upgrade: None,
            wasm_memory_persistence,
        }));
        self.install(canister_id, mode, wasm, arg, sender)
    }
    pub fn reinstall_canister(
        &self,
        canister_id: CanisterId,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        self.install(
            canister_id,
            CanisterInstallMode::Reinstall,
            wasm,
            arg,
            sender,
        )
    }
    pub fn uninstall_canister(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        let arg = ic_management_canister_types::UninstallCodeArgs {
            canister_id,
            sender_canister_version: None,
        };
        self.management(sender, "uninstall_code", &arg).map(|_| ())
    }
    pub fn start_canister(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        self.management(sender, "start_canister", &CanisterIdRecord { canister_id })
            .map(|_| ())
    }
    /// Ticks until the canister is stopped (open call contexts must close first).
    pub fn stop_canister(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        self.management(sender, "stop_canister", &CanisterIdRecord { canister_id })
            .map(|_| ())
    }
    pub fn delete_canister(
        &self,
        canister_id: CanisterId,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        self.management(sender, "delete_canister", &CanisterIdRecord { canister_id })
            .map(|_| ())
    }
}
