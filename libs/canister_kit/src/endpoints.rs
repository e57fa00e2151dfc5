//! The two endpoints every canister has in the same way, apart from the group and backup ones:
//! the `health_check` query ([`health_endpoint!`]) and the size gate of `inspect_message`
//! ([`accept_ingress_up_to`]).

/// Accepts the ingress message being inspected when its argument is at most `max_bytes`, so an
/// oversized argument is refused before it costs a full execution. Not the security boundary:
/// every endpoint checks its caller itself and answers a typed error.
pub fn accept_ingress_up_to(max_bytes: usize) {
    if ic_cdk::api::msg_arg_data().len() <= max_bytes {
        ic_cdk::api::accept_message();
    }
}

/// Adds the `health_check` query (status, cycles, memory, error counts from `canister_health`)
/// for a canister of the given `CanisterKind`.
#[macro_export]
macro_rules! health_endpoint {
    ($kind:expr) => {
        #[::candid::candid_method(query)]
        #[::ic_cdk::query(hidden = true, encode_with = "::canister_kit::codec::query_reply")]
        fn health_check() -> ::interfaces::HealthReport {
            ::canister_health::report($kind)
        }
    };
}
