//! The IC HTTP interface over axum: routes, body limits, CORS, and the mapping of results and
//! refusals to status codes. Handlers are thin: decode the envelope (`envelope.rs`), run the
//! blocking operation of `network.rs` on tokio's blocking pool (canister code runs there), and
//! encode. Every version the clients use is served (`query` v2/v3, `call` v2/v3/v4,
//! `read_state` v2/v3); others get 404, which makes agent-js fall back to an older one.
//! Everything that is not `/api/...` goes to the HTTP gateway (`gateway.rs`) when it names a
//! canister, so a web app and its API calls share one origin.
//!
//! CORS: only this network's own origins (`http://127.0.0.1:<port>`, `http://localhost:<port>`,
//! `http://<anything>.localhost:<port>`) and those given with `--allow-origin` may call the API
//! from a browser: any other page open in the developer's browser gets no allowance.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use candid::Principal;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::envelope::{self, HttpError, Request};
use crate::gateway::{self, Gateway};
use crate::network::{now_ns, Network, Submitted};

/// Ingress messages are capped at 2 MiB of payload; the envelope adds a little.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Who may call the API from a browser page of another origin.
#[derive(Clone, Debug)]
pub struct AllowedOrigins {
    pub port: u16,
    /// Exact origins allowed besides the network's own (`--allow-origin`, e.g. a `vite dev` server).
    pub extra: Vec<String>,
}

impl AllowedOrigins {
    pub fn allows(&self, origin: &str) -> bool {
        let port = self.port;
        if origin == format!("http://127.0.0.1:{port}")
            || origin == format!("http://localhost:{port}")
        {
            return true;
        }
        let own_subdomain = origin
            .strip_prefix("http://")
            .and_then(|o| o.strip_suffix(&format!(".localhost:{port}")))
            .is_some_and(|name| {
                !name.is_empty()
                    && name.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                    })
            });
        own_subdomain || self.extra.iter().any(|o| o == origin)
    }

    fn layer(self) -> CorsLayer {
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
                origin.to_str().is_ok_and(|o| self.allows(o))
            }))
            .allow_methods([Method::GET, Method::POST])
            // agent-js in a browser sends `Content-Type: application/cbor`, which needs a preflight.
            .allow_headers([header::CONTENT_TYPE])
    }
}

pub fn router(net: Arc<Network>, gateway: Arc<Gateway>, origins: AllowedOrigins) -> Router {
    let fallback_net = net.clone();
    Router::new()
        .route("/api/v2/status", get(status))
        .route("/api/{version}/canister/{id}/query", post(query))
        .route("/api/{version}/canister/{id}/call", post(call))
        .route(
            "/api/{version}/canister/{id}/read_state",
            post(read_canister_state),
        )
        .route("/api/{version}/subnet/{id}/call", post(subnet_call))
        .route(
            "/api/{version}/subnet/{id}/read_state",
            post(read_subnet_state),
        )
        .fallback(move |request: axum::http::Request<Body>| {
            web(fallback_net.clone(), gateway.clone(), request)
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(origins.layer())
        .with_state(net)
}

/// A request outside `/api`: a canister's web page through the gateway, or this network's
/// own index page.
async fn web(
    net: Arc<Network>,
    gateway: Arc<Gateway>,
    request: axum::http::Request<Body>,
) -> Response {
    match gateway::target(request.headers(), request.uri().query()) {
        Some(target) => gateway.serve(target, request).await,
        None if request.uri().path() == "/" => index(&net).into_response(),
        None => not_found(&format!(
            "{} (no canister named: use http://<canister-id>.localhost:<port>/ or ?canisterId=<id>)",
            request.uri().path()
        )),
    }
}

fn cbor(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/cbor")], body).into_response()
}

fn error(e: HttpError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, e.message).into_response()
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("{what} is not served by this version of the API"),
    )
        .into_response()
}

fn principal(text: &str) -> Result<Principal, HttpError> {
    Principal::from_text(text)
        .map_err(|e| HttpError::new(400, format!("Could not parse principal {text}: {e}")))
}

/// Runs `f` on the blocking pool: canister executions must not stall the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("a network operation panicked")
}

/// Decodes and authenticates a request (signature against this network's root key for
/// canister signatures; `effective`: the URL's canister, for read_state delegation targets).
fn parse(net: &Network, body: &[u8], effective: Option<Principal>) -> Result<Request, HttpError> {
    envelope::parse(body, now_ns(), &net.keys.root_key_der, effective)
}

/// Handlers are written as `Result<Response, HttpError>`; this turns the error into its reply.
fn respond(r: Result<Response, HttpError>) -> Response {
    r.unwrap_or_else(error)
}

fn index(net: &Network) -> String {
    format!(
        "icp-calendar local network (IC HTTP interface; web pages at http://<canister-id>.localhost:<port>/)\nroot key: {}\n",
        net.keys.root_key_hex()
    )
}

async fn status(State(net): State<Arc<Network>>) -> Response {
    cbor(StatusCode::OK, net.status())
}

async fn query(
    State(net): State<Arc<Network>>,
    Path((version, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !matches!(version.as_str(), "v2" | "v3") {
        return not_found("query");
    }
    respond(
        async move {
            let id = principal(&id)?;
            let req = parse(&net, &body, Some(id))?;
            let body = blocking(move || net.query(&req, id)).await?;
            Ok(cbor(StatusCode::OK, body))
        }
        .await,
    )
}

async fn call(
    State(net): State<Arc<Network>>,
    Path((version, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    match principal(&id) {
        Ok(id) => submit_call(net, version, id, body).await,
        Err(e) => error(e),
    }
}

/// `/api/v*/subnet/<sid>/call`: creating canisters addressed to the subnet (icp-cli style).
async fn subnet_call(
    State(net): State<Arc<Network>>,
    Path((version, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    match principal(&id) {
        Ok(sid) if sid == net.keys.subnet_id => {
            submit_call(net, version, Principal::management_canister(), body).await
        }
        Ok(sid) => error(HttpError::new(404, format!("Unknown subnet {sid}"))),
        Err(e) => error(e),
    }
}

async fn submit_call(
    net: Arc<Network>,
    version: String,
    effective: Principal,
    body: Bytes,
) -> Response {
    let v2 = match version.as_str() {
        "v2" => true,
        "v3" | "v4" => false,
        _ => return not_found("call"),
    };
    respond(
        async move {
            let req = Arc::new(parse(&net, &body, Some(effective))?);
            let (net2, req2) = (net.clone(), req.clone());
            let rx = match blocking(move || net2.submit(&req2, effective)).await? {
                Submitted::Refused(reject) => {
                    return Ok(cbor(StatusCode::OK, net.refusal(&reject, v2)))
                }
                Submitted::Accepted(rx) => rx,
            };
            if v2 {
                return Ok(StatusCode::ACCEPTED.into_response());
            }
            // Synchronous call: the certificate once done, or 202 and the agent polls read_state.
            let timeout: Duration = net.config.sync_call_timeout;
            Ok(match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(())) => cbor(StatusCode::OK, net.call_certificate(&req)),
                _ => StatusCode::ACCEPTED.into_response(),
            })
        }
        .await,
    )
}

async fn read_canister_state(
    State(net): State<Arc<Network>>,
    Path((version, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    read_state(net, version, Some(id), body).await
}

async fn read_subnet_state(
    State(net): State<Arc<Network>>,
    Path((version, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    match principal(&id) {
        Ok(sid) if sid == net.keys.subnet_id => read_state(net, version, None, body).await,
        Ok(sid) => error(HttpError::new(404, format!("Unknown subnet {sid}"))),
        Err(e) => error(e),
    }
}

async fn read_state(
    net: Arc<Network>,
    version: String,
    canister: Option<String>,
    body: Bytes,
) -> Response {
    if !matches!(version.as_str(), "v2" | "v3") {
        return not_found("read_state");
    }
    respond(
        async move {
            let effective = canister.as_deref().map(principal).transpose()?;
            let req = parse(&net, &body, effective)?;
            let body = blocking(move || net.read_state(&req, effective)).await?;
            Ok(cbor(StatusCode::OK, body))
        }
        .await,
    )
}
