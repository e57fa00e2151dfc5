//! The `ic0` system API, written once over 64-bit addresses and sizes. `linker.rs` registers
//! each function for the wasm32 signatures (and could register the same functions for wasm64
//! without touching these files). Every function first checks that its entry-point kind may call
//! it (`guards`), then records its effect in the execution context; a violation traps the
//! execution with a "Canister violated contract" message, as on the IC. One module per group of
//! `ic0` functions; `wasm_memory` holds the bounds-checked reads and writes they share.

mod calls;
mod canister_facts;
mod costs;
mod debug;
mod env_vars;
mod guards;
mod message;
mod state;
mod wasm_memory;

pub use calls::*;
pub use canister_facts::*;
pub use costs::*;
pub use debug::*;
pub use env_vars::*;
pub use message::*;
pub use state::*;

use wasmtime::Caller;

use crate::context::Host;

pub type C<'a, 'b> = &'a mut Caller<'b, Host>;

/// Payload caps: 2 MiB for ingress messages and replicated replies.
pub const MAX_PAYLOAD: usize = 2 * 1024 * 1024;
/// Calls between canisters of one subnet may carry 5 times that (the IC's
/// `MULTIPLIER_MAX_SIZE_LOCAL_SUBNET`); every canister here shares the one subnet.
pub const MAX_LOCAL_CALL_PAYLOAD: usize = 5 * MAX_PAYLOAD;
/// Bounded-wait timeouts are silently capped at this many seconds.
pub const MAX_CALL_TIMEOUT_SECS: u32 = 300;
/// The subnet every canister lives on (one subnet, see README).
pub const SUBNET_ID: &str = "2vxsx-fae";
