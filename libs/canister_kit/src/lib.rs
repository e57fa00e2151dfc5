//! What every canister of the suite shares, written once:
//!
//! - [`stored`]: values in stable structures, `Candid<T>` (evolving records) and `Compact<T>`
//!   (postcard, for records read on every call under a stored layout version);
//! - [`member`]: the group-member side of the security model wired into a canister (the cached
//!   group in stable memory, push and pull sync, [`group_member_endpoints!`]);
//! - [`codec`]: endpoint arguments and replies in Candid at a cost that follows the value
//!   (reply type descriptions built once and narrowed to the value's case, decoding quotas);
//! - [`auth`]: the member-of-kind check every group method starts with, typed errors;
//! - [`backup`]: the data-canister backup protocol ([`backup_endpoints!`]) and the state of a
//!   canister with a tracked data version ([`tracked_memories!`], [`tracked_data_state!`]);
//! - [`outbox`]: one stable outbox (backoff, due index, single-flight runner);
//! - [`single_flight`]: one run at a time for timer-driven work that awaits other canisters;
//! - [`lifecycle`]: the one install/upgrade path, which re-arms every timer;
//! - [`endpoints`]: `health_check` ([`health_endpoint!`]) and the ingress size gate;
//! - [`layout`]: the stored-layout check every migration starts with;
//! - [`provision`]: creating, installing and adding a new calendar shard (scale-out, restore);
//! - `did` (feature `did-check`, tests only): the committed-`.did` check
//!   ([`committed_did_test!`]).
//!
//! Pure security rules (keys, the membership cache, guards, rate and input limits) stay in
//! `security_base`; the snapshot stream format in `stable_snapshot`; health reports in
//! `canister_health`. This crate wires them into canisters.

pub mod auth;
pub mod backup;
pub mod codec;
#[cfg(feature = "did-check")]
pub mod did;
pub mod endpoints;
pub mod layout;
pub mod lifecycle;
pub mod member;
pub mod outbox;
pub mod provision;
pub mod single_flight;
pub mod stored;

/// What the kit's macros need from its dependencies.
#[doc(hidden)]
pub mod __private {
    pub use serde_bytes;
    pub use stable_snapshot::tracked::Tracked;
}

/// The `.did` unit test (`did::assert_committed_did`), for a canister's crate root; defined
/// whatever the features, since its module only compiles in the canister's test build, where
/// the canister's dev-dependency turns `did-check` on:
/// `canister_kit::committed_did_test!("user_registry.did");`
#[macro_export]
macro_rules! committed_did_test {
    ($did:literal) => {
        #[cfg(test)]
        mod committed_did {
            /// The committed `.did` is the contract: it must equal what the code exports.
            #[test]
            fn committed_did_matches_exported_service() {
                #[allow(unused_imports)]
                use super::*;
                candid::export_service!();
                $crate::did::assert_committed_did(
                    $did,
                    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $did)),
                    &__export_service(),
                );
            }
        }
    };
}
