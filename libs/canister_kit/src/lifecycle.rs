//! The one lifecycle path of a canister, for `init` and `post_upgrade` alike: the health
//! counters start, a group member opens its membership (and arms its pull timer), then the
//! canister re-arms every timer of its own jobs. Timers do not survive an upgrade, so a canister
//! that armed its jobs anywhere else would silently stop working after its first upgrade; its
//! stored data is in stable structures and needs nothing here (a layout migration, when there
//! is one, runs before this: see the canister's `lifecycle.rs`).
//!
//! Wiring only (every call here reaches the system API); what it sets in motion is tested by
//! the integration tests that upgrade each canister and check its timers still run.

use std::future::Future;
use std::time::Duration;

use interfaces::security::MemberInit;
use interfaces::CanisterKind;

use crate::member;

/// Install or upgrade of a group member of `kind`: health, membership (kept in `membership`, the
/// memory its memory module reserves for it), then `arm_jobs` re-arms the canister's timers.
pub fn member_installed(
    kind: CanisterKind,
    membership: member::Memory,
    args: Option<MemberInit>,
    arm_jobs: impl FnOnce(),
) {
    canister_health::on_code_installed();
    member::init(kind, membership, args, member::DEFAULT_PULL_INTERVAL);
    arm_jobs();
}

/// Install or upgrade of a canister that is no group member (the registry itself).
pub fn installed(arm_jobs: impl FnOnce()) {
    canister_health::on_code_installed();
    arm_jobs();
}

/// Declares the canister's `init` and `post_upgrade`, both taking `$args` and running
/// `$installed` (the one lifecycle path): `canister_kit::install_and_upgrade!(Option<MyInit>,
/// installed);` in the canister's `lifecycle.rs`.
#[macro_export]
macro_rules! install_and_upgrade {
    ($args:ty, $installed:path) => {
        #[::ic_cdk::init]
        fn init(args: $args) {
            $installed(args);
        }

        #[::ic_cdk::post_upgrade]
        fn post_upgrade(args: $args) {
            $installed(args);
        }
    };
}

/// Arms `job` every `interval` (what a canister's `jobs::arm` calls for each periodic job).
pub fn every<F, Fut>(interval: Duration, job: F)
where
    F: FnMut() -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    ic_cdk_timers::set_timer_interval(interval, job);
}
