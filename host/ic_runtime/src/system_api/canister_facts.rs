//! `ic0.canister_*`, `subnet_*`, `root_key_*`, `is_controller`, `in_replicated_execution`:
//! facts about the running canister and where it runs.

use candid::Principal;
use wasmtime::Result;

use super::guards::{allow, root_key_kinds, violation};
use super::wasm_memory::{copy_out, principal_at};
use super::{C, SUBNET_ID};
use crate::context::Host;

pub fn canister_self_size(c: C) -> Result<u64> {
    Ok(c.data().ctx.canister_id.as_slice().len() as u64)
}
pub fn canister_self_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    copy_out(c, "ic0.canister_self_copy", dst, offset, size, |h| {
        h.ctx.canister_id.as_slice()
    })
}
pub fn canister_status(c: C) -> Result<u32> {
    Ok(c.data().ctx.status)
}
pub fn canister_version(c: C) -> Result<u64> {
    Ok(c.data().ctx.version)
}
pub fn subnet_self_size(_c: C) -> Result<u64> {
    Ok(Principal::from_text(SUBNET_ID)
        .expect("valid")
        .as_slice()
        .len() as u64)
}
pub fn subnet_self_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    // The anonymous principal's bytes stand in for the one subnet's id.
    copy_out(c, "ic0.subnet_self_copy", dst, offset, size, |_| &[4])
}
pub fn subnet_self_node_count(_c: C) -> Result<u32> {
    Ok(13)
}
/// The DER key that signs the subnet's certificates, the same one `PocketIc::root_key` gives.
fn root_key_der(host: &Host) -> &[u8] {
    host.ctx.root_key.as_deref().map_or(&[], |k| k.der())
}
pub fn root_key_size(c: C) -> Result<u64> {
    allow(c, "root_key_size", root_key_kinds)?;
    Ok(root_key_der(c.data()).len() as u64)
}
pub fn root_key_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    allow(c, "root_key_copy", root_key_kinds)?;
    copy_out(c, "ic0.root_key_copy", dst, offset, size, root_key_der)
}
pub fn is_controller(c: C, src: u64, size: u64) -> Result<u32> {
    if size > 29 {
        return Err(violation(
            c,
            format!("ic0.is_controller: invalid principal of {size} bytes"),
        ));
    }
    let p = principal_at(c, "ic0.is_controller", src, size)?;
    Ok(c.data().ctx.controllers.contains(&p) as u32)
}
pub fn in_replicated_execution(c: C) -> Result<u32> {
    Ok(c.data().ctx.kind.is_replicated() as u32)
}
