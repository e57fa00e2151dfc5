//! What PocketIC cannot tell: instructions and calls a canister used, and what the local
//! network needs: saving and loading state, activity, ids, module hashes and metadata.

use crate::management::DEFAULT_CYCLES;
use crate::types::CanisterId;

use super::PocketIc;

impl PocketIc {
    /// Cycles charged for HTTPS outcalls (the management canister's `http_request`) so far.
    pub fn outcall_cycles(&self) -> u128 {
        self.lock().outcall_cycles
    }

    /// Instructions (wasmtime fuel) used by the most recent execution: the last message,
    /// callback, query, install or inspect_message that ran.
    pub fn last_instructions(&self) -> u64 {
        self.lock().last_instructions
    }
    /// Instructions used by the most recent execution on one canister.
    pub fn canister_last_instructions(&self, canister_id: CanisterId) -> u64 {
        self.lock()
            .canister(&canister_id)
            .map(|c| c.last_instructions)
            .unwrap_or(0)
    }
    /// How many inter-canister calls (management calls included) `canister_id` has made in
    /// committed executions; PocketIC has no such counter. Composite-query calls are not
    /// counted (they are never committed).
    pub fn canister_calls_made(&self, canister_id: CanisterId) -> u64 {
        self.lock()
            .canister(&canister_id)
            .map(|c| c.calls_made)
            .unwrap_or(0)
    }
    /// Replicated executions (messages, callbacks, timers) that ran on `canister_id`, and the
    /// instructions they used in total, since it was created or the state was loaded; PocketIC
    /// has no such counter.
    pub fn canister_executions(&self, canister_id: CanisterId) -> (u64, u64) {
        self.lock()
            .canister(&canister_id)
            .map(|c| (c.executions, c.instructions_executed))
            .unwrap_or((0, 0))
    }
    /// Saves every canister (module, wasm memory, stable memory, settings, status, cycles,
    /// timers, logs, history) to `dir`; see `persist.rs` for the layout and what is not kept.
    /// The state is copied under the lock and written after it is released.
    pub fn save_state(&self, dir: &std::path::Path) -> Result<(), String> {
        let capture = crate::persist::capture(&mut self.lock(), dir)?;
        crate::persist::write(&capture, dir)?;
        self.lock().saved = Some((dir.to_path_buf(), capture.changes()));
        Ok(())
    }
    /// Whether `dir` holds state saved by [`PocketIc::save_state`].
    pub fn saved_state_exists(dir: &std::path::Path) -> bool {
        crate::persist::exists(dir)
    }
    /// Messages executed since this instance was built or loaded; unchanged means no canister
    /// state changed (the local network saves only when it moved).
    pub fn activity(&self) -> u64 {
        self.lock().activity
    }
    /// No message is queued: everything submitted so far has run.
    pub fn is_idle(&self) -> bool {
        self.lock().is_idle()
    }
    /// Every canister id, in order.
    pub fn canister_ids(&self) -> Vec<CanisterId> {
        self.lock().canisters.keys().copied().collect()
    }
    /// sha256 of the installed module, as `canister_status` reports it.
    pub fn module_hash(&self, canister_id: CanisterId) -> Option<Vec<u8>> {
        self.lock()
            .canister(&canister_id)
            .ok()
            .and_then(|c| c.module_hash())
    }
    /// The module's `icp:public <name>` (`Some((true, ..))`) or `icp:private <name>` custom
    /// section, as the IC certifies it under `/canister/<id>/metadata/<name>`.
    pub fn canister_metadata(
        &self,
        canister_id: CanisterId,
        name: &str,
    ) -> Option<(bool, Vec<u8>)> {
        let s = self.lock();
        let code = s.canister(&canister_id).ok()?.code.as_ref()?;
        code.module
            .metadata
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, public, content)| (*public, content.clone()))
    }
    /// Cycles any canister starts with when created without an amount.
    pub const DEFAULT_CYCLES: u128 = DEFAULT_CYCLES;
}
