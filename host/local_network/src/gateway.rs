//! The HTTP gateway: `http://<canister-id>.localhost:<port>/...` (or any path with
//! `?canisterId=<id>`) is answered by that canister's `http_request`, through DFINITY's own
//! implementation of the HTTP Gateway Protocol (`ic-http-gateway-protocol`), as dfx, icp-cli and
//! the IC's boundary nodes do. Response verification is on: a response whose certificate does not
//! verify against this network's root key is refused with the gateway's error, never served.
//! `<id>.raw.localhost` skips verification, like `raw.icp0.io`.
//!
//! Only the mapping from an HTTP request to a canister id is ours (the protocol crate takes the
//! id from its caller). The gateway's agent talks to this same server over loopback, so every
//! query it makes is checked and signed exactly like any other client's.

use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, StatusCode};
use candid::Principal;
use ic_agent::Agent;
use ic_http_gateway_protocol::{HttpGatewayClient, HttpGatewayRequestArgs};

/// Set on responses whose certification the gateway verified: the verification version.
pub const VERIFIED_HEADER: &str = "x-ic-response-verification";

/// Set on responses the canister served from `http_request_update` (the query asked for the
/// upgrade): their reply is certified by the subnet like any update's, so there is no response
/// certification to verify.
pub const UPGRADED_HEADER: &str = "x-ic-upgraded-to-update-call";

/// Largest request body the gateway forwards to a canister (the ingress limit).
const MAX_REQUEST_BODY: usize = 2 * 1024 * 1024;

pub struct Gateway {
    client: HttpGatewayClient,
}

/// Which canister a request is for, and whether its response is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub canister: Principal,
    pub verify: bool,
}

impl Gateway {
    /// A gateway whose agent reaches this network at `url` and trusts `root_key` (DER).
    pub fn new(url: &str, root_key: Vec<u8>) -> Result<Gateway, String> {
        let agent = Agent::builder()
            .with_url(url)
            .build()
            .map_err(|e| format!("gateway agent: {e}"))?;
        agent.set_root_key(root_key);
        let client = HttpGatewayClient::builder()
            .with_agent(agent)
            .build()
            .map_err(|e| format!("gateway client: {e}"))?;
        Ok(Gateway { client })
    }

    /// Answers `request` for `target` through the HTTP Gateway Protocol.
    pub async fn serve(&self, target: Target, request: Request<Body>) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let body = match axum::body::to_bytes(body, MAX_REQUEST_BODY).await {
            Ok(b) => b,
            Err(e) => return text(StatusCode::PAYLOAD_TOO_LARGE, &format!("request body: {e}")),
        };
        let canister_request = Request::from_parts(parts, body);
        let mut builder = self.client.request(HttpGatewayRequestArgs {
            canister_request,
            canister_id: target.canister,
        });
        builder.unsafe_set_skip_verification(!target.verify);
        let response = builder.send().await;
        if let Some(error) = &response.metadata.internal_error {
            eprintln!(
                "local-network gateway: {} answered with an error: {error}",
                target.canister
            );
        }
        let (mut parts, body) = response.canister_response.into_parts();
        // A verified v2 response keeps only its certified headers (IC-Certificate is not one of
        // them), so say which verification passed: clients and the deploy script check it. The
        // canister's own header of that name never passes, or a raw answer could claim it.
        parts.headers.remove(VERIFIED_HEADER);
        parts.headers.remove(UPGRADED_HEADER);
        if let Some(version) = response.metadata.response_verification_version {
            parts.headers.insert(VERIFIED_HEADER, version.into());
        }
        if response.metadata.upgraded_to_update_call {
            parts.headers.insert(
                UPGRADED_HEADER,
                axum::http::HeaderValue::from_static("true"),
            );
        }
        Response::from_parts(parts, Body::new(body))
    }
}

/// The canister a request names: the first label of a `<id>.localhost` or `<id>.raw.localhost`
/// host, else a `canisterId` query parameter.
pub fn target(headers: &HeaderMap, query: Option<&str>) -> Option<Target> {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let hostname = host.rsplit_once(':').map_or(host, |(name, _port)| name);
    if let Some(prefix) = hostname.strip_suffix(".localhost") {
        let (id, verify) = match prefix.strip_suffix(".raw") {
            Some(id) => (id, false),
            None => (prefix, true),
        };
        if let Ok(canister) = Principal::from_text(id) {
            return Some(Target { canister, verify });
        }
    }
    let raw = hostname == "raw.localhost";
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "canisterId")
        .and_then(|(_, id)| Principal::from_text(id).ok())
        .map(|canister| Target {
            canister,
            verify: !raw,
        })
}

fn text(status: StatusCode, message: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(message.to_string()));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::HOST, host.parse().unwrap());
        h
    }

    const ID: &str = "lxzze-o7777-77777-aaaaa-cai";

    #[test]
    fn the_host_or_the_query_names_the_canister() {
        let id = Principal::from_text(ID).unwrap();
        let verified = Some(Target {
            canister: id,
            verify: true,
        });
        let raw = Some(Target {
            canister: id,
            verify: false,
        });
        assert_eq!(
            target(&headers(&format!("{ID}.localhost:4943")), None),
            verified
        );
        assert_eq!(target(&headers(&format!("{ID}.localhost")), None), verified);
        assert_eq!(
            target(&headers(&format!("{ID}.raw.localhost:4943")), None),
            raw
        );
        assert_eq!(
            target(
                &headers("127.0.0.1:4943"),
                Some(&format!("a=1&canisterId={ID}"))
            ),
            verified
        );
        assert_eq!(target(&headers("127.0.0.1:4943"), None), None);
        assert_eq!(
            target(&headers("not-a-principal.localhost:4943"), None),
            None
        );
        assert_eq!(
            target(&headers("localhost:4943"), Some("canisterId=zzz")),
            None
        );
    }
}
