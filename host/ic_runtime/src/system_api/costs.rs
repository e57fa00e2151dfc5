//! `ic0.cost_*`: the prices a canister may ask for (nothing is charged here), and the traps
//! of what this runtime does not support.

use wasmtime::{Error, Result};

use super::guards::violation;
use super::wasm_memory::write_u128;
use super::C;

/// The 13-node subnet prices: 260K cycles per call plus 1K per byte of method name and payload.
pub fn cost_call(c: C, method_name_size: u64, payload_size: u64, dst: u64) -> Result<()> {
    let cost = 260_000u128 + 1_000 * (method_name_size as u128 + payload_size as u128);
    write_u128(c, "ic0.cost_call", dst, cost)
}
pub fn cost_create_canister(c: C, dst: u64) -> Result<()> {
    write_u128(c, "ic0.cost_create_canister", dst, 500_000_000_000)
}
pub fn cost_http_request(c: C, request_size: u64, max_res_bytes: u64, dst: u64) -> Result<()> {
    let n = 13u128;
    let cost = (3_000_000 + 60_000 * n) * n
        + 400 * n * request_size as u128
        + 800 * n * max_res_bytes as u128;
    write_u128(c, "ic0.cost_http_request", dst, cost)
}
pub fn cost_http_request_v2(c: C, _src: u64, _size: u64, _dst: u64) -> Result<()> {
    Err(unsupported(c, "cost_http_request_v2"))
}
/// No threshold keys exist here: every key name is unknown (result code 2).
pub fn cost_sign_with_ecdsa(_c: C, _src: u64, _size: u64, _curve: u32, _dst: u64) -> Result<u32> {
    Ok(2)
}
pub fn cost_sign_with_schnorr(
    _c: C,
    _src: u64,
    _size: u64,
    _algorithm: u32,
    _dst: u64,
) -> Result<u32> {
    Ok(2)
}
pub fn cost_vetkd_derive_key(_c: C, _src: u64, _size: u64, _curve: u32, _dst: u64) -> Result<u32> {
    Ok(2)
}

fn unsupported(c: C, name: &str) -> Error {
    violation(c, format!("ic0.{name} is not supported by ic_runtime"))
}
