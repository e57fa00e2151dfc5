//! Runs the calendar suite on this machine without dfx.
//!
//! - [`deploy`]: the suite's deployment plan against the in-process runtime (no network).
//! - [`network`] + [`server`]: the embedded local network, the in-process runtime served over
//!   the IC HTTP interface on 127.0.0.1 and persisted in a state directory, for dfx-style
//!   clients (the `icp` CLI, agent-js, ic-agent), with an HTTP gateway ([`gateway`]) for
//!   canisters' web pages, and [`cycles`]: the cycles ledger and the cycles minting canister at
//!   their mainnet ids. See README.md.

pub mod auth;
pub mod cbor;
pub mod cycles;
pub mod deploy;
pub mod envelope;
pub mod gateway;
pub mod keys;
pub mod mgmt;
pub mod network;
mod reject;
pub mod requests;
pub mod server;
pub mod state_tree;
