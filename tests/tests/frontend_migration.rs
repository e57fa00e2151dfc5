//! The configuration a released frontend canister stored survives the upgrade to this code: a
//! stable-memory dump recorded from the release is loaded under the current code, which is
//! upgraded without an argument (so it must read the stored configuration, after checking and
//! recording the stored layout: `canisters/frontend/src/layout.rs`); the page's `ic_env` cookie
//! must then carry what the release's did, and a later upgrade with an argument replaces it.
//!
//! The fixture in `canisters/frontend/fixtures/`: `release-v0.stable.gz` is the stable memory
//! of a frontend canister running the release (main at f263996, layout 0) installed with
//! [`release_init`], and `release-v0.candid` the cookie it served. Both come from the ignored
//! `record_release_fixture`:
//!
//! ```text
//! FRONTEND_RELEASE_WASM=<the release's frontend.wasm.gz> \
//!   cargo test -p integration_tests --test frontend_migration -- --ignored
//! ```

use candid::{encode_args, Principal};
use ic_http_certification::{HttpRequest, HttpResponse};
use integration_tests::release_dump::{LoneCanister, Release};
use integration_tests::wasm;
use interfaces::frontend::FrontendInit;

const RELEASE: Release = Release::of("frontend");

/// Two peers and a root key: every field of the configuration set.
fn release_init() -> FrontendInit {
    FrontendInit {
        canister_ids: vec![
            ("calendar".into(), Principal::from_slice(&[7; 10])),
            ("user_registry".into(), Principal::from_slice(&[8; 10])),
        ],
        root_key: Some((0..133u8).collect()),
    }
}

fn arg(init: Option<FrontendInit>) -> Vec<u8> {
    encode_args((init,)).unwrap()
}

/// The `set-cookie` header of the app's page.
fn cookie(frontend: &LoneCanister) -> String {
    let request = HttpRequest::get("/".to_string()).build();
    let response: HttpResponse =
        frontend.call(false, Principal::anonymous(), "http_request", (request,));
    response
        .headers()
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.clone())
        .expect("the page sets the ic_env cookie")
}

#[test]
#[ignore = "records the fixture from a release's wasm (see the module header)"]
fn record_release_fixture() {
    let frontend = LoneCanister::install(RELEASE.wasm(), arg(Some(release_init())));
    let served = cookie(&frontend);
    assert!(served.contains("user_registry"));
    RELEASE.record(&frontend, &served);
}

#[test]
fn the_configuration_the_release_stored_survives_the_upgrade() {
    let served: String = RELEASE.answered();
    // A frontend of this code installed with another configuration, given the release's
    // memory, then upgraded without an argument: the release's configuration is served.
    let frontend = LoneCanister::install(wasm("frontend"), arg(Some(FrontendInit::default())));
    assert_ne!(cookie(&frontend), served);
    RELEASE.upgrade(&frontend, None, arg(None));
    assert_eq!(cookie(&frontend), served);

    // It keeps working: an upgrade with an argument replaces the configuration, one without
    // keeps the new one.
    let next = FrontendInit {
        canister_ids: vec![("calendar".into(), Principal::from_slice(&[9; 10]))],
        root_key: None,
    };
    frontend.upgrade_again("frontend", arg(Some(next)));
    let replaced = cookie(&frontend);
    assert!(replaced.contains(&Principal::from_slice(&[9; 10]).to_text()));
    assert_ne!(replaced, served);
    frontend.upgrade_again("frontend", arg(None));
    assert_eq!(cookie(&frontend), replaced);
}
