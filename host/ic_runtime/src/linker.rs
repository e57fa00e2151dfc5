//! Registers the `ic0` functions of `system_api` for wasm32 and for wasm64 modules, and charges
//! each call the instructions the IC charges for it. The system API itself works on u64
//! addresses and sizes; here each function gets a thin adapter for the module's pointer width,
//! where the spec's `I` (pointer-sized) parameters are i32 (wasm32) or i64 (wasm64).
//!
//! Parameter kinds in the table below: `I` pointer-sized (address or size), `u64` always i64,
//! `u32` always i32. The bracket after each function is its instruction cost, charged (as
//! wasmtime fuel) before the function runs, so `performance_counter`, instruction limits and
//! `last_instructions` include it.
//!
//! The costs are the IC's application-subnet table: the fixed overheads of the replica's
//! `overhead` module in `rs/embedders/src/wasmtime_embedder/system_api_complexity.rs`
//! (dfinity/ic; 500 for most calls, 20 for stable-memory reads/writes/size, 200 for
//! `performance_counter`, 1,000 for `is_controller`, 1,500 for `call_new`, 5,000 for
//! `call_perform`, 100 for `debug_print`) plus the per-byte parts its `linker.rs` adds: one
//! instruction per byte copied between the heap and the system (`*_copy`, `stable64_*`,
//! `call_new`'s callee and method name), 50 per byte sent out of the canister
//! (`BYTE_TRANSMISSION_COST_FACTOR`: `msg_reply_data_append`, `msg_reject`,
//! `call_data_append`), and for `debug_print` / `trap` the log's charge of 2 + 50 per byte
//! kept in the canister log. Application subnets charge no extra per dirty page
//! (`dirty_page_overhead` 0), so none is charged here.

use wasmtime::{Caller, Engine, Linker, Result};

use crate::context::Host;
use crate::errors::Trap;
use crate::system_api as api;

/// `BYTE_TRANSMISSION_COST_FACTOR` of the replica: per byte leaving the canister.
const SEND: u64 = 50;
/// Bytes of one log record the replica charges for at most (the default log capacity).
const LOG_CAPACITY: u64 = 4096;

/// The log charge of `debug_print` and `trap`: twice the bytes stored (a record is added and
/// an old one dropped) plus the transmission factor per byte.
fn log_bytes(size: u64) -> u64 {
    size.min(LOG_CAPACITY).saturating_mul(2 + SEND)
}

/// Takes `cost` instructions from the execution's fuel; running out traps as the instruction
/// limit does.
fn charge(c: &mut Caller<'_, Host>, cost: u64) -> Result<()> {
    let fuel = c.get_fuel()?;
    if cost > fuel {
        c.set_fuel(0)?;
        let limit = c.data().ctx.fuel_limit;
        let trap = Trap::InstructionLimit(limit);
        let text = trap.detail();
        c.data_mut().ctx.trap = Some(trap);
        return Err(wasmtime::format_err!(text));
    }
    c.set_fuel(fuel - cost)
}

macro_rules! wasm_ty {
    ($w:ident, I) => {
        ptr_ty!($w)
    };
    ($w:ident, u64) => {
        i64
    };
    ($w:ident, u32) => {
        i32
    };
    ($w:ident, ()) => {
        ()
    };
}
macro_rules! ptr_ty {
    (w32) => {
        i32
    };
    (w64) => {
        i64
    };
}
macro_rules! to_host {
    (w32, I, $v:expr) => {
        $v as u32 as u64
    };
    (w64, I, $v:expr) => {
        $v as u64
    };
    ($w:ident, u64, $v:expr) => {
        $v as u64
    };
    ($w:ident, u32, $v:expr) => {
        $v as u32
    };
}
macro_rules! to_wasm {
    (w32, I, $v:expr) => {
        $v as u32 as i32
    };
    (w64, I, $v:expr) => {
        $v as i64
    };
    ($w:ident, u64, $v:expr) => {
        $v as i64
    };
    ($w:ident, u32, $v:expr) => {
        $v as i32
    };
    ($w:ident, (), $v:expr) => {
        $v
    };
}

macro_rules! link {
    ($w:ident, $linker:ident: $( $name:ident ( $($arg:ident : $t:tt),* ) -> $ret:tt
        [ $base:literal $(+ $bytes:expr)? ]; )*) => {
        $(
            $linker.func_wrap(
                "ic0",
                stringify!($name),
                |mut c: Caller<'_, Host>, $($arg: wasm_ty!($w, $t)),*| -> Result<wasm_ty!($w, $ret)> {
                    $(let $arg = to_host!($w, $t, $arg);)*
                    #[allow(unused_mut)]
                    let mut cost: u64 = $base;
                    $(cost = cost.saturating_add($bytes);)?
                    charge(&mut c, cost)?;
                    let out = api::$name(&mut c, $($arg),*)?;
                    #[allow(clippy::unnecessary_cast, clippy::unit_arg)]
                    Ok(to_wasm!($w, $ret, out))
                },
            )?;
        )*
    };
}

/// The ic0 table, once for both pointer widths.
macro_rules! ic0_table {
    ($w:ident, $l:ident) => {
        link! { $w, $l:
            msg_arg_data_size() -> I [500];
            msg_arg_data_copy(dst: I, offset: I, size: I) -> () [500 + size];
            msg_caller_size() -> I [500];
            msg_caller_copy(dst: I, offset: I, size: I) -> () [500 + size];
            msg_caller_info_data_size() -> I [500];
            msg_caller_info_data_copy(dst: I, offset: I, size: I) -> () [500 + size];
            msg_caller_info_signer_size() -> I [500];
            msg_caller_info_signer_copy(dst: I, offset: I, size: I) -> () [500 + size];
            msg_reject_code() -> u32 [500];
            msg_reject_msg_size() -> I [500];
            msg_reject_msg_copy(dst: I, offset: I, size: I) -> () [500 + size];
            msg_deadline() -> u64 [500];
            msg_reply_data_append(src: I, size: I) -> () [500 + size.saturating_mul(SEND)];
            msg_reply() -> () [500];
            msg_reject(src: I, size: I) -> () [500 + size.saturating_mul(SEND)];
            msg_cycles_available128(dst: I) -> () [500];
            msg_cycles_refunded128(dst: I) -> () [500];
            msg_cycles_accept128(high: u64, low: u64, dst: I) -> () [500];
            cycles_burn128(high: u64, low: u64, dst: I) -> () [500];
            canister_self_size() -> I [500];
            canister_self_copy(dst: I, offset: I, size: I) -> () [500 + size];
            canister_cycle_balance128(dst: I) -> () [500];
            canister_liquid_cycle_balance128(dst: I) -> () [500];
            canister_status() -> u32 [500];
            canister_version() -> u64 [500];
            subnet_self_size() -> I [500];
            subnet_self_copy(dst: I, offset: I, size: I) -> () [500 + size];
            subnet_self_node_count() -> u32 [500];
            msg_method_name_size() -> I [500];
            msg_method_name_copy(dst: I, offset: I, size: I) -> () [500 + size];
            accept_message() -> () [500];
            call_new(callee_src: I, callee_size: I, name_src: I, name_size: I,
                     reply_fun: I, reply_env: I, reject_fun: I, reject_env: I) -> ()
                [1500 + callee_size.saturating_add(name_size)];
            call_on_cleanup(fun: I, env: I) -> () [500];
            call_data_append(src: I, size: I) -> () [500 + size.saturating_mul(SEND)];
            call_with_best_effort_response(timeout: u32) -> () [500];
            call_cycles_add128(high: u64, low: u64) -> () [500];
            call_perform() -> u32 [5000];
            stable64_size() -> u64 [20];
            stable64_grow(pages: u64) -> u64 [500];
            stable64_write(offset: u64, src: u64, size: u64) -> () [20 + size];
            stable64_read(dst: u64, offset: u64, size: u64) -> () [20 + size];
            root_key_size() -> I [500];
            root_key_copy(dst: I, offset: I, size: I) -> () [500 + size];
            certified_data_set(src: I, size: I) -> () [500 + size];
            data_certificate_present() -> u32 [500];
            data_certificate_size() -> I [500];
            data_certificate_copy(dst: I, offset: I, size: I) -> () [500 + size];
            time() -> u64 [500];
            global_timer_set(timestamp: u64) -> u64 [500];
            performance_counter(kind: u32) -> u64 [200];
            is_controller(src: I, size: I) -> u32 [1000];
            in_replicated_execution() -> u32 [500];
            cost_call(name_size: u64, payload_size: u64, dst: I) -> () [500];
            cost_create_canister(dst: I) -> () [500];
            cost_http_request(request_size: u64, max_res_bytes: u64, dst: I) -> () [500];
            cost_http_request_v2(src: I, size: I, dst: I) -> () [10000];
            cost_sign_with_ecdsa(src: I, size: I, curve: u32, dst: I) -> u32 [500];
            cost_sign_with_schnorr(src: I, size: I, algorithm: u32, dst: I) -> u32 [500];
            cost_vetkd_derive_key(src: I, size: I, curve: u32, dst: I) -> u32 [500];
            env_var_count() -> I [500];
            env_var_name_size(index: I) -> I [500];
            env_var_name_copy(index: I, dst: I, offset: I, size: I) -> () [500 + size];
            env_var_name_exists(src: I, size: I) -> u32 [500];
            env_var_value_size(src: I, size: I) -> I [500];
            env_var_value_copy(src: I, size: I, dst: I, offset: I, len: I) -> () [500 + len];
            debug_print(src: I, size: I) -> () [100 + log_bytes(size)];
            trap(src: I, size: I) -> () [500 + size.saturating_add(log_bytes(size))];
        }
    };
}

/// All 67 functions of the ic0 surface ic-cdk 0.19 can import, with wasm32 signatures.
pub fn wasm32_linker(engine: &Engine) -> Result<Linker<Host>> {
    let mut l = Linker::new(engine);
    ic0_table!(w32, l);
    // Anything else a module imports from ic0 (older or newer API names) still instantiates and
    // traps with a clear message if it is ever called.
    Ok(l)
}

/// The same functions with wasm64 signatures (`I` = i64), for memory64 modules such as
/// Motoko's default (enhanced orthogonal persistence) output.
pub fn wasm64_linker(engine: &Engine) -> Result<Linker<Host>> {
    let mut l = Linker::new(engine);
    ic0_table!(w64, l);
    Ok(l)
}
