//! The project's client of the calendar suite, built on `ic-agent`, for any IC network: the dfx
//! replica, the embedded local network (`host/local_network`) and mainnet. The `suite` binary
//! (`main.rs`) exposes it to the scripts.
//!
//! - [`connect`]: which network, which identity, and whether the root key is fetched.
//! - [`manage`]: the management canister (create, install/upgrade with chunking, status,
//!   start/stop, settings).
//! - [`calls`]: typed query and update calls.
//! - [`candid_text`]: calls with Candid text in and out, typed by the canister's own
//!   `candid:service` metadata.
//! - [`health`]: every canister's `health_check` as rows for a table or JSON.
//! - [`registry`]: the suite's group setup through the registry (what
//!   `local_network::deploy` does in-process).
//! - [`ids`]: canister-id files (dfx's `canister_ids.json` shape, or a flat map).

pub mod calls;
pub mod candid_text;
pub mod connect;
pub mod health;
pub mod ids;
pub mod manage;
pub mod registry;

pub use connect::{connect, Target};
