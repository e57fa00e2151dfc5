//! The suite's shared security library (DESIGN.md section 4).
//!
//! - [`guards`]: caller checks with typed errors (anonymous, controller, admin permission).
//! - [`access_key`]: principal-bound access keys, salted hashes, constant-time checks, rotation.
//! - [`membership`]: a member canister's cached group snapshot and own key; authorizing a group
//!   call reads only this cache.
//! - [`rate_limit`]: per-principal token buckets with bounded memory.
//! - [`limits`]: text, list and page-size limits with typed errors.
//!
//! Everything here is plain logic over values; wiring it into a canister (stable storage, timers,
//! endpoints: `member`, `provision`, `single_flight`) is `canister_kit`'s.

pub mod access_key;
pub mod guards;
pub mod limits;
pub mod membership;
pub mod rate_limit;

pub use access_key::AccessKey;
pub use membership::Membership;
