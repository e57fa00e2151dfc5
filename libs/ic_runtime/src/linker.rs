//! Registers the `ic0` functions of `system_api` for wasm32 modules. The system API itself works
//! on u64 addresses and sizes; here each function gets a thin adapter for the wasm32 signature,
//! where the spec's `I` (pointer-sized) parameters are i32. A wasm64 linker would be the same
//! list with `I` mapped to i64 — no change to `system_api` needed.
//!
//! Parameter kinds in the table below: `I` pointer-sized (address or size), `u64` always i64,
//! `u32` always i32.

use wasmtime::{Caller, Engine, Linker, Result};

use crate::context::Host;
use crate::system_api as api;

macro_rules! wasm_ty {
    (I) => {
        i32
    };
    (u64) => {
        i64
    };
    (u32) => {
        i32
    };
    (()) => {
        ()
    };
}
macro_rules! to_host {
    (I, $v:expr) => {
        $v as u32 as u64
    };
    (u64, $v:expr) => {
        $v as u64
    };
    (u32, $v:expr) => {
        $v as u32
    };
}
macro_rules! to_wasm {
    (I, $v:expr) => {
        $v as u32 as i32
    };
    (u64, $v:expr) => {
        $v as i64
    };
    (u32, $v:expr) => {
        $v as i32
    };
    ((), $v:expr) => {
        $v
    };
}

macro_rules! link {
    ($linker:ident: $( $name:ident ( $($arg:ident : $t:tt),* ) -> $ret:tt; )*) => {
        $(
            $linker.func_wrap(
                "ic0",
                stringify!($name),
                |mut c: Caller<'_, Host>, $($arg: wasm_ty!($t)),*| -> Result<wasm_ty!($ret)> {
                    let out = api::$name(&mut c, $(to_host!($t, $arg)),*)?;
                    #[allow(clippy::unnecessary_cast, clippy::unit_arg)]
                    Ok(to_wasm!($ret, out))
                },
            )?;
        )*
    };
}

/// All 67 functions of the ic0 1.2 surface ic-cdk 0.19 can import, with wasm32 signatures.
pub fn wasm32_linker(engine: &Engine) -> Result<Linker<Host>> {
    let mut l = Linker::new(engine);
    link! { l:
        msg_arg_data_size() -> I;
        msg_arg_data_copy(dst: I, offset: I, size: I) -> ();
        msg_caller_size() -> I;
        msg_caller_copy(dst: I, offset: I, size: I) -> ();
        msg_caller_info_data_size() -> I;
        msg_caller_info_data_copy(dst: I, offset: I, size: I) -> ();
        msg_caller_info_signer_size() -> I;
        msg_caller_info_signer_copy(dst: I, offset: I, size: I) -> ();
        msg_reject_code() -> u32;
        msg_reject_msg_size() -> I;
        msg_reject_msg_copy(dst: I, offset: I, size: I) -> ();
        msg_deadline() -> u64;
        msg_reply_data_append(src: I, size: I) -> ();
        msg_reply() -> ();
        msg_reject(src: I, size: I) -> ();
        msg_cycles_available128(dst: I) -> ();
        msg_cycles_refunded128(dst: I) -> ();
        msg_cycles_accept128(high: u64, low: u64, dst: I) -> ();
        cycles_burn128(high: u64, low: u64, dst: I) -> ();
        canister_self_size() -> I;
        canister_self_copy(dst: I, offset: I, size: I) -> ();
        canister_cycle_balance128(dst: I) -> ();
        canister_liquid_cycle_balance128(dst: I) -> ();
        canister_status() -> u32;
        canister_version() -> u64;
        subnet_self_size() -> I;
        subnet_self_copy(dst: I, offset: I, size: I) -> ();
        subnet_self_node_count() -> u32;
        msg_method_name_size() -> I;
        msg_method_name_copy(dst: I, offset: I, size: I) -> ();
        accept_message() -> ();
        call_new(callee_src: I, callee_size: I, name_src: I, name_size: I,
                 reply_fun: I, reply_env: I, reject_fun: I, reject_env: I) -> ();
        call_on_cleanup(fun: I, env: I) -> ();
        call_data_append(src: I, size: I) -> ();
        call_with_best_effort_response(timeout: u32) -> ();
        call_cycles_add128(high: u64, low: u64) -> ();
        call_perform() -> u32;
        stable64_size() -> u64;
        stable64_grow(pages: u64) -> u64;
        stable64_write(offset: u64, src: u64, size: u64) -> ();
        stable64_read(dst: u64, offset: u64, size: u64) -> ();
        root_key_size() -> I;
        root_key_copy(dst: I, offset: I, size: I) -> ();
        certified_data_set(src: I, size: I) -> ();
        data_certificate_present() -> u32;
        data_certificate_size() -> I;
        data_certificate_copy(dst: I, offset: I, size: I) -> ();
        time() -> u64;
        global_timer_set(timestamp: u64) -> u64;
        performance_counter(kind: u32) -> u64;
        is_controller(src: I, size: I) -> u32;
        in_replicated_execution() -> u32;
        cost_call(name_size: u64, payload_size: u64, dst: I) -> ();
        cost_create_canister(dst: I) -> ();
        cost_http_request(request_size: u64, max_res_bytes: u64, dst: I) -> ();
        cost_http_request_v2(src: I, size: I, dst: I) -> ();
        cost_sign_with_ecdsa(src: I, size: I, curve: u32, dst: I) -> u32;
        cost_sign_with_schnorr(src: I, size: I, algorithm: u32, dst: I) -> u32;
        cost_vetkd_derive_key(src: I, size: I, curve: u32, dst: I) -> u32;
        env_var_count() -> I;
        env_var_name_size(index: I) -> I;
        env_var_name_copy(index: I, dst: I, offset: I, size: I) -> ();
        env_var_name_exists(src: I, size: I) -> u32;
        env_var_value_size(src: I, size: I) -> I;
        env_var_value_copy(src: I, size: I, dst: I, offset: I, len: I) -> ();
        debug_print(src: I, size: I) -> ();
        trap(src: I, size: I) -> ();
    }
    // Anything else a module imports from ic0 (older or newer API names) still instantiates and
    // traps with a clear message if it is ever called.
    Ok(l)
}
