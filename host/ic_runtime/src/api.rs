//! The facade tests use: `PocketIc` with the names and shapes of the `pocket-ic` crate 16.x
//! (synchronous, `&self`, state behind a `Mutex`, `Send + Sync`), its builder, `Time`, and the
//! candid helpers. Plus what PocketIC cannot tell: instructions used by the last message.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use candid::utils::{ArgumentDecoder, ArgumentEncoder};
use candid::{decode_args, encode_args, CandidType, Principal};
use ic_management_canister_types::{
    CanisterIdRecord, CanisterInstallMode, CanisterLogRecord, CanisterSettings,
    CanisterStatusResult, InstallCodeArgs, ProvisionalCreateCanisterWithCyclesArgs,
    UpdateSettingsArgs, UpgradeFlags,
};

use crate::env::IcEnv;
use crate::errors::{Reject, RejectResponse};
use crate::management::DEFAULT_CYCLES;
use crate::subnet::{Limits, Subnet};

pub type CanisterId = Principal;

/// Nanoseconds since the Unix epoch, like `pocket_ic::Time`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(Duration);

impl Time {
    pub fn as_nanos_since_unix_epoch(&self) -> u64 {
        self.0.as_nanos() as u64
    }
    pub const fn from_nanos_since_unix_epoch(nanos: u64) -> Self {
        Time(Duration::from_nanos(nanos))
    }
}

impl std::fmt::Debug for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_nanos_since_unix_epoch())
    }
}

impl std::ops::Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        Time(self.0 + d)
    }
}

impl From<SystemTime> for Time {
    fn from(t: SystemTime) -> Self {
        Time(t.duration_since(UNIX_EPOCH).expect("after the epoch"))
    }
}

impl From<Time> for SystemTime {
    fn from(t: Time) -> Self {
        UNIX_EPOCH + t.0
    }
}

/// Identifies a submitted ingress message (`submit_call` → `await_call`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RawMessageId {
    pub effective_principal: Principal,
    pub message_id: Vec<u8>,
}

impl RawMessageId {
    fn id(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.message_id[..8]);
        u64::from_be_bytes(b)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobCompression {
    Gzip,
    NoCompression,
}

/// 2025-01-01T00:00:00Z: the deterministic start time (PocketIC starts at the wall clock).
pub const DEFAULT_INITIAL_TIME_NANOS: u64 = 1_735_689_600_000_000_000;

pub struct PocketIcBuilder {
    time: u64,
    seed: [u8; 32],
    limits: Limits,
}

impl Default for PocketIcBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PocketIcBuilder {
    pub fn new() -> Self {
        PocketIcBuilder {
            time: DEFAULT_INITIAL_TIME_NANOS,
            seed: [42; 32],
            limits: Limits::default(),
        }
    }
    /// Accepted for source compatibility: there is always exactly one (application) subnet.
    pub fn with_application_subnet(self) -> Self {
        self
    }
    pub fn with_initial_time(mut self, time: Time) -> Self {
        self.time = time.as_nanos_since_unix_epoch();
        self
    }
    pub fn with_initial_timestamp(mut self, nanos: u64) -> Self {
        self.time = nanos;
        self
    }
    /// Seed of `raw_rand`'s deterministic byte stream.
    pub fn with_seed(mut self, seed: [u8; 32]) -> Self {
        self.seed = seed;
        self
    }
    /// Instruction limits and round budgets (tests of limits lower them).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
    pub fn build(self) -> PocketIc {
        PocketIc {
            subnet: Mutex::new(Subnet::new(self.time, self.seed, self.limits)),
        }
    }
    /// The instance saved in `dir` by [`PocketIc::save_state`], with this builder's limits (its
    /// time and seed are the saved ones); `Ok(None)` when `dir` holds no saved state.
    pub fn build_from_state(self, dir: &std::path::Path) -> Result<Option<PocketIc>, String> {
        Ok(
            crate::persist::load(dir, self.limits)?.map(|subnet| PocketIc {
                subnet: Mutex::new(subnet),
            }),
        )
    }
}

/// An in-process IC with one subnet. Cheap to create; compiled modules are shared per process.
pub struct PocketIc {
    subnet: Mutex<Subnet>,
}

impl Default for PocketIc {
    fn default() -> Self {
        Self::new()
    }
}

fn rr(reject: Reject) -> RejectResponse {
    reject.into_response(true)
}

impl PocketIc {
    pub fn new() -> Self {
        PocketIcBuilder::new().build()
    }

    fn lock(&self) -> MutexGuard<'_, Subnet> {
        // A panicking test thread must not poison the instance for the others.
        self.subnet.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a management call as an ingress message from `sender` and waits for it.
    fn management<T: CandidType>(
        &self,
        sender: Option<Principal>,
        method: &str,
        arg: &T,
    ) -> Result<Vec<u8>, RejectResponse> {
        let payload = candid::encode_one(arg).expect("management args encode");
        let sender = sender.unwrap_or_else(Principal::anonymous);
        let mut s = self.lock();
        // No 2 MiB ingress cap here: PocketIC would switch to a chunked install transparently.
        let id = s
            .submit(
                sender,
                Principal::management_canister(),
                method,
                payload,
                false,
            )
            .map_err(rr)?;
        s.await_ingress(id).map_err(rr)
    }

    // ---------------------------------------------------------------- time and rounds

    pub fn tick(&self) {
        self.lock().tick();
    }
    pub fn advance_time(&self, duration: Duration) {
        let mut s = self.lock();
        let t = s.time + duration.as_nanos() as u64;
        s.set_time(t);
    }
    pub fn get_time(&self) -> Time {
        Time::from_nanos_since_unix_epoch(self.lock().time)
    }
    /// Time only moves forward on the IC; setting it back is ignored, as on PocketIC.
    pub fn set_time(&self, time: Time) {
        let mut s = self.lock();
        let t = time.as_nanos_since_unix_epoch().max(s.time);
        s.set_time(t);
    }
    /// There is no certification; same as `set_time`.
    pub fn set_certified_time(&self, time: Time) {
        self.set_time(time)
    }

    // ---------------------------------------------------------------- canisters

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

    // ---------------------------------------------------------------- calls

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

    // ---------------------------------------------------------------- beyond PocketIC

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

// ---------------------------------------------------------------- candid helpers
// Generic over `IcEnv` so they work for `PocketIc`, real PocketIC and `&dyn IcEnv` alike.

pub fn with_candid<Input, Output>(
    input: Input,
    f: impl FnOnce(Vec<u8>) -> Result<Vec<u8>, RejectResponse>,
) -> Result<Output, RejectResponse>
where
    Input: ArgumentEncoder,
    Output: for<'a> ArgumentDecoder<'a>,
{
    let bytes = encode_args(input).expect("failed to encode args");
    f(bytes).map(|out| {
        decode_args(&out).unwrap_or_else(|e| {
            panic!(
                "Failed to decode response as candid type {}: {e}",
                std::any::type_name::<Output>()
            )
        })
    })
}

pub fn update_candid<E, Input, Output>(
    env: &E,
    canister_id: CanisterId,
    method: &str,
    input: Input,
) -> Result<Output, RejectResponse>
where
    E: IcEnv + ?Sized,
    Input: ArgumentEncoder,
    Output: for<'a> ArgumentDecoder<'a>,
{
    update_candid_as(env, canister_id, Principal::anonymous(), method, input)
}

pub fn update_candid_as<E, Input, Output>(
    env: &E,
    canister_id: CanisterId,
    sender: Principal,
    method: &str,
    input: Input,
) -> Result<Output, RejectResponse>
where
    E: IcEnv + ?Sized,
    Input: ArgumentEncoder,
    Output: for<'a> ArgumentDecoder<'a>,
{
    with_candid(input, |bytes| {
        env.update_call(canister_id, sender, method, bytes)
    })
}

pub fn query_candid<E, Input, Output>(
    env: &E,
    canister_id: CanisterId,
    method: &str,
    input: Input,
) -> Result<Output, RejectResponse>
where
    E: IcEnv + ?Sized,
    Input: ArgumentEncoder,
    Output: for<'a> ArgumentDecoder<'a>,
{
    query_candid_as(env, canister_id, Principal::anonymous(), method, input)
}

pub fn query_candid_as<E, Input, Output>(
    env: &E,
    canister_id: CanisterId,
    sender: Principal,
    method: &str,
    input: Input,
) -> Result<Output, RejectResponse>
where
    E: IcEnv + ?Sized,
    Input: ArgumentEncoder,
    Output: for<'a> ArgumentDecoder<'a>,
{
    with_candid(input, |bytes| {
        env.query_call(canister_id, sender, method, bytes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_is_send_and_sync_like_pocket_ic() {
        fn shareable<T: Send + Sync>() {}
        shareable::<PocketIc>();
    }

    #[test]
    fn time_round_trips_and_adds() {
        let t = Time::from_nanos_since_unix_epoch(5);
        assert_eq!(
            (t + Duration::from_nanos(7)).as_nanos_since_unix_epoch(),
            12
        );
        assert_eq!(Time::from(SystemTime::from(t)), t);
        assert_eq!(format!("{t:?}"), "5");
    }

    #[test]
    fn a_fresh_instance_starts_at_the_deterministic_time() {
        let pic = PocketIc::new();
        assert_eq!(
            pic.get_time().as_nanos_since_unix_epoch(),
            DEFAULT_INITIAL_TIME_NANOS
        );
        pic.tick();
        assert_eq!(
            pic.get_time().as_nanos_since_unix_epoch(),
            DEFAULT_INITIAL_TIME_NANOS + 1
        );
        let a = pic.create_canister();
        let b = pic.create_canister();
        assert_eq!(a.to_text(), "lxzze-o7777-77777-aaaaa-cai");
        assert_ne!(a, b);
    }
}
