//! The HTTP gateway of the embedded network, through a plain HTTP client as a browser uses it:
//! the web app's asset canister answers `/`, a deep link and a hashed asset with certified
//! responses the gateway verified (and whose `IC-Certificate` verifies with DFINITY's
//! response verification against the network's root key); what does not verify is refused;
//! `raw` skips verification; upgrades to `http_request_update` and streamed bodies work; CORS
//! allows only the network's own origins; the state directory is private.
//!
//! Needs `scripts/build.sh --all` (target/canisters: frontend, gw_fixture).

mod common;

use candid::Principal;
use common::{agent, identity, tokio, Server, TempDir};
use ic_agent::{Agent, Identity};
use ic_http_certification::HttpRequest;
use interfaces::frontend::FrontendInit;
use local_network::gateway::VERIFIED_HEADER;
use suite_client::manage::{self, Mode};
use suite_client::registry::default_effective_id;

async fn install(agent: &Agent, name: &str, arg: Vec<u8>, controller: Principal) -> Principal {
    let wasm = std::fs::read(common::wasm_dir().join(format!("{name}.wasm.gz")))
        .unwrap_or_else(|e| panic!("{name}.wasm.gz: {e} (run scripts/build.sh --all)"));
    let id = manage::create_canister(agent, default_effective_id(), vec![controller], None)
        .await
        .unwrap();
    manage::install(agent, id, &wasm, arg, Mode::Install)
        .await
        .unwrap();
    id
}

struct Web {
    client: reqwest::Client,
    url: String,
    port: u16,
}

impl Web {
    async fn get(&self, host: &str, path: &str, encodings: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .header("host", format!("{host}:{}", self.port))
            .header("accept-encoding", encodings)
            .send()
            .await
            .unwrap()
    }
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[test]
fn the_gateway_serves_the_certified_app_and_refuses_what_does_not_verify() {
    let dir = TempDir::new("net-gateway");
    let server = Server::start(&dir.0);
    let rt = tokio();
    rt.block_on(async {
        let operator = identity(1);
        let me = operator.sender().unwrap();
        let agent = agent(&server.url, operator).await;
        let calendar = Principal::from_slice(&[9; 10]);
        let init = FrontendInit {
            canister_ids: vec![("calendar".into(), calendar)],
            root_key: Some(agent.read_root_key()),
        };
        let frontend = install(
            &agent,
            "frontend",
            candid::encode_args((Some(init),)).unwrap(),
            me,
        )
        .await;
        let fixture = install(&agent, "gw_fixture", candid::encode_args(()).unwrap(), me).await;
        let web = Web {
            client: reqwest::Client::builder()
                .no_gzip()
                .no_brotli()
                .build()
                .unwrap(),
            url: server.url.clone(),
            port: server.port,
        };
        let app = format!("{frontend}.localhost");

        // The page, verified by the gateway, with the configuration cookie and the CSP.
        let index = web.get(&app, "/", "identity").await;
        assert_eq!(index.status(), 200);
        assert_eq!(header(&index, VERIFIED_HEADER), Some("2"));
        let cookie = header(&index, "set-cookie").unwrap().to_string();
        assert!(cookie.starts_with("ic_env=ic_root_key%3D"), "{cookie}");
        assert!(cookie.contains(&format!("PUBLIC_CANISTER_ID%3Acalendar%3D{calendar}")));
        assert!(header(&index, "content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'"));
        let html = index.text().await.unwrap();
        assert!(html.contains("<html"), "{html}");

        // A deep link loads the app (the certified SPA fallback); so does ?canisterId=.
        let deep = web.get(&app, "/week/2026-12-02/", "identity").await;
        assert_eq!(deep.status(), 200);
        assert_eq!(header(&deep, VERIFIED_HEADER), Some("2"));
        assert_eq!(deep.text().await.unwrap(), html);
        let by_query = web
            .get("127.0.0.1", &format!("/?canisterId={frontend}"), "identity")
            .await;
        assert_eq!(by_query.status(), 200);
        assert_eq!(by_query.text().await.unwrap(), html);

        // A hashed script, precompressed, cached for good; a missing one is a certified 404.
        let script = html
            .split('"')
            .find(|s| s.starts_with("/_app/immutable/") && s.ends_with(".js"))
            .or_else(|| {
                html.split('"')
                    .find(|s| s.contains("/_app/immutable/") && s.ends_with(".js"))
            })
            .expect("index.html loads a hashed script")
            .trim_start_matches('.')
            .to_string();
        let script = if script.starts_with('/') {
            script
        } else {
            format!("/{script}")
        };
        let js = web.get(&app, &script, "gzip, br").await;
        assert_eq!(js.status(), 200, "{script}");
        assert_eq!(header(&js, VERIFIED_HEADER), Some("2"));
        let encoding = header(&js, "content-encoding")
            .unwrap_or("identity")
            .to_string();
        assert!(encoding == "br" || encoding == "gzip", "{encoding}");
        assert!(header(&js, "cache-control").unwrap().contains("immutable"));
        let missing = web
            .get(&app, "/_app/immutable/missing.js", "identity")
            .await;
        assert_eq!(missing.status(), 404);
        assert_eq!(header(&missing, VERIFIED_HEADER), Some("2"));

        // Unverified (raw), the canister's own IC-Certificate is visible, and it verifies with
        // DFINITY's response verification against this network's root key.
        let raw = web
            .get(&format!("{frontend}.raw.localhost"), "/", "identity")
            .await;
        assert_eq!(raw.status(), 200);
        // The canister's headers, without those the HTTP server adds on the way.
        let added_by_server = ["date", "vary", "transfer-encoding"];
        let headers: Vec<(String, String)> = raw
            .headers()
            .iter()
            .filter(|(n, _)| !added_by_server.contains(&n.as_str()))
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        assert!(headers.iter().any(|(n, _)| n == "ic-certificate"));
        let body = raw.bytes().await.unwrap().to_vec();
        let response = ic_http_certification::HttpResponse::builder()
            .with_status_code(ic_http_certification::StatusCode::OK)
            .with_headers(headers)
            .with_body(body)
            .build();
        let request = HttpRequest::get("/")
            .with_headers(vec![("accept-encoding".into(), "identity".into())])
            .build();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let verified = ic_response_verification::verify_request_response_pair(
            request,
            response,
            frontend.as_slice(),
            now,
            300_000_000_000,
            &agent.read_root_key(),
            2,
        )
        .expect("the canister's certificate verifies against the network's root key");
        assert_eq!(verified.verification_version, 2);

        // What does not verify is refused, never served; raw passes it on.
        let fx = format!("{fixture}.localhost");
        for (path, error) in [
            ("/uncertified", "Certification values not found"),
            ("/forged", "root hash"),
        ] {
            let refused = web.get(&fx, path, "identity").await;
            assert!(
                refused.status().is_server_error(),
                "{path}: {}",
                refused.status()
            );
            assert_eq!(header(&refused, VERIFIED_HEADER), None);
            let text = refused.text().await.unwrap();
            assert!(text.contains(error), "{path}: {text}");
        }
        let raw = web
            .get(
                &format!("{fixture}.raw.localhost"),
                "/uncertified",
                "identity",
            )
            .await;
        assert_eq!(raw.status(), 200);
        assert_eq!(raw.text().await.unwrap(), "uncertified");

        // An upgrade to an update call (its answer is certified by the call itself).
        let upgraded = web.get(&fx, "/update", "identity").await;
        assert_eq!(upgraded.status(), 200);
        assert_eq!(upgraded.text().await.unwrap(), "updated by GET /update");
        // A streamed body, assembled from the callback's chunks.
        let streamed = web
            .get(&format!("{fixture}.raw.localhost"), "/stream", "identity")
            .await;
        assert_eq!(streamed.status(), 200);
        assert_eq!(streamed.text().await.unwrap(), "chunk 0;chunk 1;chunk 2;");

        // CORS: the app's own origin may call the API from a page; any other origin may not.
        let preflight = |origin: String| {
            web.client
                .request(
                    reqwest::Method::OPTIONS,
                    format!("{}/api/v2/status", web.url),
                )
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type")
                .send()
        };
        let own = preflight(format!("http://{app}:{}", web.port))
            .await
            .unwrap();
        assert_eq!(
            header(&own, "access-control-allow-origin"),
            Some(format!("http://{app}:{}", web.port).as_str())
        );
        for foreign in [
            "http://evil.example",
            "https://example.com",
            "http://localhost:5173",
        ] {
            let r = preflight(foreign.to_string()).await.unwrap();
            assert_eq!(header(&r, "access-control-allow-origin"), None, "{foreign}");
        }
    });

    // Private events and access keys are in the state directory: the owner's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dir.0).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}
