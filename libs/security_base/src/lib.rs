//! The suite's shared security library (DESIGN.md section 4).
//!
//! - [`guards`]: caller checks with typed errors (anonymous, controller, admin permission).
//! - [`access_key`]: principal-bound access keys, salted hashes, constant-time checks, rotation.
//! - [`membership`]: a member canister's cached group snapshot and own key; authorizing a group
//!   call reads only this cache.
//! - [`member`]: the same, wired into a member canister: stable storage, push and pull sync,
//!   and the endpoints every member exposes ([`group_member_endpoints!`]).
//! - [`rate_limit`]: per-principal token buckets with bounded memory.
//! - [`limits`]: text, list and page-size limits with typed errors.
//! - [`provision`]: creating, installing and adding a new calendar shard (scale-out, restore).
//! - [`single_flight`]: one run at a time for timer-driven work that awaits other canisters.

pub mod access_key;
pub mod guards;
pub mod limits;
pub mod member;
pub mod membership;
pub mod provision;
pub mod rate_limit;
pub mod single_flight;

pub use access_key::AccessKey;
pub use membership::Membership;

/// What [`group_member_endpoints!`] needs from this crate's dependencies.
#[doc(hidden)]
pub mod __private {
    pub use serde_bytes;
}
