//! The facade tests use: `PocketIc` with the names and shapes of the `pocket-ic` crate 16.x
//! (synchronous, `&self`, state behind a `Mutex`, `Send + Sync`) and its builder. Plus what
//! PocketIC cannot tell: instructions used by the last message (`inspection`). Its value types
//! live in `types.rs` and the candid helpers in `candid_calls.rs`, so that `env.rs` (the
//! `IcEnv` trait, implemented for `PocketIc` here) depends on this module one way only.

mod builder;
mod calls;
mod canisters;
mod inspection;
mod settings;

pub use builder::{PocketIcBuilder, DEFAULT_INITIAL_TIME_NANOS};

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use candid::{CandidType, Principal};

use crate::errors::{Reject, RejectResponse};
use crate::subnet::Subnet;
use crate::types::Time;

/// An in-process IC with one subnet. Cheap to create; compiled modules are shared per process.
pub struct PocketIc {
    subnet: Mutex<Subnet>,
}

impl Default for PocketIc {
    fn default() -> Self {
        Self::new()
    }
}

fn rr(reject: Reject) -> RejectResponse {
    reject.into_response(true)
}

impl PocketIc {
    pub fn new() -> Self {
        PocketIcBuilder::new().build()
    }

    fn lock(&self) -> MutexGuard<'_, Subnet> {
        // A panicking test thread must not poison the instance for the others.
        self.subnet.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a management call as an ingress message from `sender` and waits for it.
    fn management<T: CandidType>(
        &self,
        sender: Option<Principal>,
        method: &str,
        arg: &T,
    ) -> Result<Vec<u8>, RejectResponse> {
        let payload = candid::encode_one(arg).expect("management args encode");
        let sender = sender.unwrap_or_else(Principal::anonymous);
        let mut s = self.lock();
        // No 2 MiB ingress cap here: PocketIC would switch to a chunked install transparently.
        let id = s
            .submit(
                sender,
                Principal::management_canister(),
                method,
                payload,
                false,
            )
            .map_err(rr)?;
        s.await_ingress(id).map_err(rr)
    }

    // ---------------------------------------------------------------- time and rounds

    pub fn tick(&self) {
        self.lock().tick();
    }
    pub fn advance_time(&self, duration: Duration) {
        let mut s = self.lock();
        let t = s.time + duration.as_nanos() as u64;
        s.set_time(t);
    }
    pub fn get_time(&self) -> Time {
        Time::from_nanos_since_unix_epoch(self.lock().time)
    }
    /// Time only moves forward on the IC; setting it back is ignored, as on PocketIC.
    pub fn set_time(&self, time: Time) {
        let mut s = self.lock();
        let t = time.as_nanos_since_unix_epoch().max(s.time);
        s.set_time(t);
    }
    /// There is no certification; same as `set_time`.
    pub fn set_certified_time(&self, time: Time) {
        self.set_time(time)
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    #[test]
    fn instance_is_send_and_sync_like_pocket_ic() {
        fn shareable<T: Send + Sync>() {}
        shareable::<PocketIc>();
    }

    #[test]
    fn time_round_trips_and_adds() {
        let t = Time::from_nanos_since_unix_epoch(5);
        assert_eq!(
            (t + Duration::from_nanos(7)).as_nanos_since_unix_epoch(),
            12
        );
        assert_eq!(Time::from(SystemTime::from(t)), t);
        assert_eq!(format!("{t:?}"), "5");
    }

    #[test]
    fn a_fresh_instance_starts_at_the_deterministic_time() {
        let pic = PocketIc::new();
        assert_eq!(
            pic.get_time().as_nanos_since_unix_epoch(),
            DEFAULT_INITIAL_TIME_NANOS
        );
        pic.tick();
        assert_eq!(
            pic.get_time().as_nanos_since_unix_epoch(),
            DEFAULT_INITIAL_TIME_NANOS + 1
        );
        let a = pic.create_canister();
        let b = pic.create_canister();
        assert_eq!(a.to_text(), "lxzze-o7777-77777-aaaaa-cai");
        assert_ne!(a, b);
    }
}
