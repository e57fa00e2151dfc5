//! The web app's asset canister on the real wasm in the runtime: a query's data certificate is
//! signed by the runtime's root key over `/time` and the canister's `certified_data`, so the
//! canister's responses verify with DFINITY's response verification; a replicated call gets no
//! certificate; the install argument reaches the page's `ic_env` cookie and survives an upgrade
//! without one; a malformed root key is refused at install.

use candid::{encode_args, Principal};
use ic_http_certification::{HttpRequest, HttpResponse};
use integration_tests::{operator, user, Suite};
use interfaces::frontend::FrontendInit;
use interfaces::{CanisterKind, HealthReport};

fn init(root_key: Vec<u8>) -> Vec<u8> {
    let init = FrontendInit {
        canister_ids: vec![("calendar".into(), Principal::from_slice(&[7; 10]))],
        root_key: Some(root_key),
    };
    encode_args((Some(init),)).unwrap()
}

fn get(path: &str) -> HttpRequest<'static> {
    HttpRequest::get(path.to_string())
        .with_headers(vec![("accept-encoding".into(), "gzip".into())])
        .build()
}

/// `http_request` for `path` as an ingress query (the only kind that gets a data certificate).
fn serve(suite: &Suite, frontend: Principal, path: &str) -> HttpResponse<'static> {
    let (response,): (HttpResponse,) = suite
        .query(
            frontend,
            Principal::anonymous(),
            "http_request",
            (get(path),),
        )
        .unwrap();
    response
}

/// Verifies `response` to `GET path` with DFINITY's response verification against `root_key`.
fn verify(
    frontend: Principal,
    path: &str,
    response: HttpResponse<'static>,
    now: u128,
    root_key: &[u8],
) -> Result<u16, String> {
    ic_response_verification::verify_request_response_pair(
        get(path),
        response,
        frontend.as_slice(),
        now,
        300_000_000_000,
        root_key,
        2,
    )
    .map(|info| info.verification_version)
    .map_err(|e| e.to_string())
}

fn cookie(response: &HttpResponse) -> String {
    response
        .headers()
        .iter()
        .find(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.clone())
        .expect("an HTML page sets ic_env")
}

#[test]
fn query_responses_carry_a_data_certificate_that_verifies() {
    let suite = Suite::new();
    let root_key = suite.env.root_key().expect("the runtime has a root key");
    assert_eq!(root_key.len(), 133);
    let frontend = suite.install("frontend", init(root_key.clone()));
    let now = suite.env.get_time().as_nanos_since_unix_epoch() as u128;
    for path in ["/", "/week/2026-12-02/", "/_app/immutable/missing.js"] {
        let response = serve(&suite, frontend, path);
        let status = response.status_code().as_u16();
        let version = verify(frontend, path, response, now, &root_key)
            .unwrap_or_else(|e| panic!("{path}: the certificate does not verify: {e}"));
        assert_eq!(version, 2, "{path}");
        assert_eq!(
            status,
            if path.contains("missing") { 404 } else { 200 },
            "{path}"
        );
    }
    // Verified against another key, the same response is refused.
    let mut other = root_key.clone();
    *other.last_mut().unwrap() ^= 1;
    assert!(verify(frontend, "/", serve(&suite, frontend, "/"), now, &other).is_err());

    // A replicated call has no certificate to serve with: an honest 400, not a trap.
    let (replicated,): (HttpResponse,) = suite
        .update(frontend, user(1), "http_request", (get("/"),))
        .unwrap();
    assert_eq!(replicated.status_code().as_u16(), 400);
}

#[test]
fn the_configuration_reaches_the_page_and_survives_an_upgrade() {
    let suite = Suite::new();
    let root_key = suite.env.root_key().unwrap();
    let frontend = suite.install("frontend", init(root_key.clone()));
    let before = serve(&suite, frontend, "/");
    let before = cookie(&before);
    let hex: String = root_key.iter().map(|b| format!("{b:02x}")).collect();
    assert!(before.contains(&format!("ic_root_key%3D{hex}")), "{before}");
    assert!(before.contains(&format!("PUBLIC_CANISTER_ID%3Afrontend%3D{frontend}")));

    suite.upgrade(
        frontend,
        "frontend",
        encode_args((None::<FrontendInit>,)).unwrap(),
    );
    let after = serve(&suite, frontend, "/");
    assert_eq!(
        cookie(&after),
        before,
        "an upgrade without an argument keeps the configuration"
    );

    // A root key that is not a 133-byte DER key fails the upgrade; the canister keeps serving.
    let bad = suite.env.upgrade_canister(
        frontend,
        integration_tests::wasm("frontend"),
        init(vec![1, 2, 3]),
        Some(operator()),
    );
    assert!(bad.is_err());
    let still = serve(&suite, frontend, "/");
    assert_eq!(cookie(&still), before);

    suite.settle();
    let (health,): (HealthReport,) = suite.query(frontend, user(1), "health_check", ()).unwrap();
    assert_eq!(health.canister, CanisterKind::Frontend);
    assert!(health.module_hash.is_some());
}
