//! The setup the calendar benchmarks share (`benches/calendar.rs`, `feeds.rs`, `ics.rs`,
//! `per_call.rs`): one calendar shard alone on its own runtime, installed by the operator
//! without a group and configured with the benchmark's limits, calls to it with encoded
//! arguments, and the two ways its cost is read: the runtime's fuel for the last message, and
//! the instructions the shard itself recorded per method (`get_metrics`). What each benchmark
//! measures and prints stays in its file.

use candid::{encode_args, encode_one, CandidType, Deserialize, Principal};
use interfaces::calendar::{CalendarConfig, CalendarMetrics};
use interfaces::security::MemberInit;
use interfaces::Error;

use crate::operator;
use crate::release_dump::LoneCanister;

/// A calendar shard on its own runtime; `pic` and `id` through [`LoneCanister`].
pub struct BenchShard(LoneCanister);

impl std::ops::Deref for BenchShard {
    type Target = LoneCanister;
    fn deref(&self) -> &LoneCanister {
        &self.0
    }
}

/// The install (and upgrade) argument of a shard outside any group.
pub fn no_group() -> Vec<u8> {
    encode_args((None::<MemberInit>,)).unwrap()
}

impl BenchShard {
    /// `module` (a calendar wasm) installed outside any group, not configured yet.
    pub fn install(module: Vec<u8>) -> Self {
        BenchShard(LoneCanister::install(module, no_group()))
    }

    /// Sets the shard's limits as the operator (a controller), answering the shard's reply.
    pub fn configure(&self, max_events_per_user: u32, writes_per_minute: u32) -> Result<(), Error> {
        let config = CalendarConfig {
            max_events_per_user,
            writes_per_minute,
        };
        self.update(operator(), "configure", encode_one(config).unwrap())
    }

    /// An update call with the encoded `arg`, its reply decoded as `R`.
    pub fn update<R: CandidType + for<'a> Deserialize<'a>>(
        &self,
        who: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> R {
        self.call(true, who, method, arg)
    }

    /// A query call with the encoded `arg`, its reply decoded as `R`.
    pub fn query<R: CandidType + for<'a> Deserialize<'a>>(
        &self,
        who: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> R {
        self.call(false, who, method, arg)
    }

    fn call<R: CandidType + for<'a> Deserialize<'a>>(
        &self,
        update: bool,
        who: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> R {
        let reply = if update {
            self.pic.update_call(self.id, who, method, arg)
        } else {
            self.pic.query_call(self.id, who, method, arg)
        };
        candid::decode_one(&reply.unwrap_or_else(|e| panic!("{method}: {e:?}"))).unwrap()
    }

    /// The runtime's fuel for the shard's last message (see host/ic_runtime/README.md).
    pub fn instructions(&self) -> u64 {
        self.pic.canister_last_instructions(self.id)
    }

    /// The shard's own metrics (a public query).
    pub fn metrics(&self) -> CalendarMetrics {
        self.query(operator(), "get_metrics", encode_args(()).unwrap())
    }

    /// The instructions the shard counted for the last call of `method`
    /// (`ic0.performance_counter` when the method finished, as `get_metrics` reports it): unlike
    /// the runtime's fuel, not confused by a timer the call armed running after it.
    pub fn method_instructions(&self, method: &str) -> u64 {
        self.metrics()
            .methods
            .iter()
            .find(|m| m.method == method)
            .unwrap_or_else(|| panic!("{method} measured"))
            .instructions_last
    }
}

/// `n` with its digits in groups of three (`1,234,567`), for the benchmarks' tables.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
