//! Wire types of the calendar suite, importable without any canister's implementation.
//!
//! Every canister's `.did` file is the contract; the types here are its Rust mirror, used by the
//! canisters themselves, by typed inter-canister clients and by the integration tests.

pub mod backup;
pub mod calendar;
pub mod clients;
pub mod error;
pub mod feeds;
pub mod frontend;
pub mod health;
pub mod invitation;
pub mod load_balancer;
pub mod notification;
pub mod registry;
pub mod security;
pub mod snapshot;
pub mod user;

pub use error::{Error, InputProblem};
pub use health::{CanisterKind, HealthReport};
pub use security::{GroupSnapshot, Permission};
