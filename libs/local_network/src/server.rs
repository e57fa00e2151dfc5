//! The IC HTTP interface over axum: routes, body limits, CORS, and the mapping of results and
//! refusals to status codes. Handlers are thin: decode the envelope (`envelope.rs`), run the
//! blocking operation of `network.rs` on tokio's blocking pool (canister code runs there), and
//! encode. Every version the clients use is served (`query` v2/v3, `call` v2/v3/v4,
//! `read_state` v2/v3); others get 404, which makes agent-js fall back to an older one.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use candid::Principal;
use tower_http::cors::CorsLayer;

use crate::envelope::{self, HttpError, Request};
use crate::network::{now_ns, Network, Submitted};

/// Ingress messages are capped at 2 MiB of payload; the envelope adds a little.
const MAX_BODY: usize = 4 * 1024 * 1024;

pub fn router(net: Arc<Network>) -> Router {
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
        .route("/", get(index))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // agent-js in a browser sends `Content-Type: application/cbor`, which needs a preflight.
        .layer(CorsLayer::permissive())
        .with_state(net)
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

fn parse(body: &[u8]) -> Result<Request, HttpError> {
    envelope::parse(body, now_ns())
}

/// Handlers are written as `Result<Response, HttpError>`; this turns the error into its reply.
fn respond(r: Result<Response, HttpError>) -> Response {
    r.unwrap_or_else(error)
}

async fn index(State(net): State<Arc<Network>>) -> String {
    format!(
        "icp-calendar local network (IC HTTP interface)\nroot key: {}\n",
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
            let (id, req) = (principal(&id)?, parse(&body)?);
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
            let req = Arc::new(parse(&body)?);
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
            let req = parse(&body)?;
            let body = blocking(move || net.read_state(&req, effective)).await?;
            Ok(cbor(StatusCode::OK, body))
        }
        .await,
    )
}
