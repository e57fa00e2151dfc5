//! The `.did` check every canister runs as a unit test: the committed `.did` file is the
//! contract clients are generated from, so it must equal the service the code exports
//! (`candid::export_service!()`), compared as Candid types, not as text.
//!
//! Behind the `did-check` feature, which canisters enable in their dev-dependencies only.

use candid_parser::utils::{service_equal, CandidSource};

/// Panics, naming the difference and printing the exported service, when `committed` (the text
/// of `<canister>.did`) and `exported` (`__export_service()`) differ.
pub fn assert_committed_did(canister: &str, committed: &str, exported: &str) {
    if let Err(err) = service_equal(CandidSource::Text(committed), CandidSource::Text(exported)) {
        panic!("{canister}.did differs from the exported service: {err}\n\nexported:\n{exported}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICE: &str = "service : { get : (nat64) -> (text) query }";

    #[test]
    fn an_equal_service_passes_whatever_its_layout() {
        assert_committed_did("x", SERVICE, "service:{get:(nat64)->(text) query;}");
    }

    #[test]
    #[should_panic(expected = "x.did differs")]
    fn a_changed_method_fails() {
        assert_committed_did("x", SERVICE, "service : { get : (nat64) -> (text) }");
    }
}
