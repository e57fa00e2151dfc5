//! The web app's asset canister: serves the SvelteKit app embedded at build time
//! (`build.rs`), every response certified for the HTTP gateway (`assets.rs`), with the suite's
//! canister ids handed to the page in the `ic_env` cookie (`headers.rs`).
//!
//! Lifecycle (`lifecycle.rs`): install and upgrade take the same optional `FrontendInit` (kept in stable memory,
//! `config.rs`); both certify every asset and set the root hash as certified data. The assets
//! are part of the module, so an upgrade replaces code and app at once and nothing else is kept.

mod assets;
mod config;
mod headers;
mod layout;
mod lifecycle;
mod memory;
mod model;
mod state;

use candid::candid_method;
use ic_cdk::query;
use ic_http_certification::{HttpRequest, HttpResponse, StatusCode};
use interfaces::{CanisterKind, HealthReport};

#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn http_request(request: HttpRequest<'static>) -> HttpResponse<'static> {
    // Only ingress queries carry a certificate; a replicated call gets an honest refusal.
    let Some(certificate) = ic_cdk::api::data_certificate() else {
        return plain(
            StatusCode::BAD_REQUEST,
            "http_request must be called as a query through an HTTP gateway",
        );
    };
    state::router(|router| match router.serve_asset(&certificate, &request) {
        Ok(response) => response,
        Err(err) => plain(StatusCode::BAD_REQUEST, &format!("cannot serve: {err}")),
    })
}

/// An uncertified answer: the gateway refuses to pass it on, which is right for requests the
/// router cannot parse.
fn plain(status: StatusCode, text: &str) -> HttpResponse<'static> {
    HttpResponse::builder()
        .with_status_code(status)
        .with_headers(vec![(
            "content-type".into(),
            "text/plain; charset=utf-8".into(),
        )])
        .with_body(text.as_bytes().to_vec())
        .build()
}

canister_kit::health_endpoint!(CanisterKind::Frontend);

/// Builds what the Candid codec needs for this file's queries (`canister_kit::codec::prepare`),
/// called at install and upgrade: a query cannot keep what it builds, so anything first built
/// in one would be built again in each. Update calls keep what their first call builds.
fn prepare_codec() {
    use canister_kit::codec::{prepare, prepare_args};
    prepare::<HttpResponse<'static>>();
    prepare::<HealthReport>();
    prepare_args::<(HttpRequest<'static>,)>();
}

canister_kit::committed_did_test!("frontend.did");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_router_certifies_the_app_and_serves_deep_links_with_the_cookie() {
        let router = assets::certified_router("ic_env=x");
        let request = |url: &str| {
            HttpRequest::get(url)
                .with_headers(vec![("accept-encoding".into(), "gzip, br".into())])
                .build()
        };
        let index = router.serve_asset(b"cert", &request("/")).unwrap();
        assert_eq!(index.status_code(), StatusCode::OK);
        let deep = router
            .serve_asset(b"cert", &request("/week/2026-12-02/"))
            .unwrap();
        assert_eq!(deep.status_code(), StatusCode::OK);
        for response in [&index, &deep] {
            let names: Vec<&str> = response.headers().iter().map(|(n, _)| n.as_str()).collect();
            assert!(names.contains(&"set-cookie"), "{names:?}");
            assert!(names.contains(&"content-security-policy"), "{names:?}");
            assert!(names
                .iter()
                .any(|n| n.eq_ignore_ascii_case("ic-certificate")));
        }
        let missing = router
            .serve_asset(b"cert", &request("/_app/immutable/gone.js"))
            .unwrap();
        assert_eq!(missing.status_code(), StatusCode::NOT_FOUND);
    }
}
