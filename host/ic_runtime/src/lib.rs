//! An in-process Internet Computer for tests: loads real canister wasm (raw or gzipped) into
//! wasmtime and runs it with the IC's message semantics — atomic messages, call contexts and
//! callbacks, bounded-wait timeouts, timers, upgrades, instruction limits, the management
//! canister — behind an API shaped like the `pocket-ic` crate's. See README.md for what it
//! covers, how it differs from the real IC, and the test that pins each rule.
//!
//! ```no_run
//! use ic_runtime::{update_candid, PocketIc};
//! let pic = PocketIc::new();
//! let id = pic.create_canister();
//! pic.install_canister(id, std::fs::read("target/canisters/rt_store.wasm.gz").unwrap(), candid::encode_args((None::<String>,)).unwrap(), None);
//! let (n,): (u64,) = update_candid(&pic, id, "inc", ()).unwrap();
//! assert_eq!(n, 1);
//! ```

mod api;
mod candid_calls;
mod canister;
pub mod certification;
mod context;
pub mod engine;
mod env;
mod errors;
mod execution;
mod heap_journal;
pub mod instrument;
mod lifecycle;
mod linker;
mod management;
mod outcalls;
mod persist;
mod query;
mod stable;
mod status;
mod subnet;
mod system_api;
mod types;

pub use api::{PocketIc, PocketIcBuilder, DEFAULT_INITIAL_TIME_NANOS};
pub use candid_calls::{
    query_candid, query_candid_as, update_candid, update_candid_as, with_candid,
};
/// The real `pocket_ic::PocketIc` behind `IcEnv` (feature `pocket-ic`).
#[cfg(feature = "pocket-ic")]
pub use env::real::Real as RealPocketIc;
pub use env::{env_from_environment, IcEnv};
pub use errors::{ErrorCode, RejectCode, RejectResponse};
pub use ic_management_canister_types as management_types;
pub use status::{DefiniteSettings, StatusReply, StatusVisibility};
pub use subnet::Limits;
pub use types::{BlobCompression, CanisterId, RawMessageId, Time};
