//! HTTPS outcalls: the management canister's `http_request`, as the IC interface specification
//! describes it, against servers on this machine's loopback only.
//!
//! What the IC does and this runtime does too: the argument's limits (URL of 8 KiB, 64 headers,
//! 2 MB of request, `max_response_bytes` at most 2 MB and 2 MB when absent), the price of a
//! 13-node subnet (the same formula as `ic0.cost_http_request`) taken from the attached cycles
//! with the rest refunded and too few cycles refused, no redirects followed, a response larger
//! than `max_response_bytes` refused, the transform called as a query on the calling canister
//! with `TransformArgs` (and its answer bounded by 2 MB), and the reject codes: `CANISTER_REJECT`
//! for a bad argument or too few cycles, `SYS_TRANSIENT` when the server cannot be reached,
//! `SYS_FATAL` for a response or transform result too large and for a timeout,
//! `CANISTER_ERROR` when the transform traps or does not exist.
//!
//! What differs, on purpose: only hosts on loopback are reached (`localhost`, `127.0.0.0/8`,
//! `[::1]`); any other host is refused with the `SYS_TRANSIENT` reject the IC gives for a
//! server it cannot connect to, so a test never leaves the machine. Plain `http://` is allowed
//! for those loopback hosts (test servers have no certificate); on the IC only `https://`
//! works. There is one "replica": the request is made once and the transform runs once. The
//! call is answered within the message that made it: the subnet waits for the server (at most
//! [`TIMEOUT`]).
//!
//! The HTTP client is `ureq` (synchronous, no async runtime inside the subnet loop).

use std::io::Read;
use std::net::IpAddr;
use std::time::Duration;

use candid::Principal;
use ic_management_canister_types::{
    HttpHeader, HttpMethod, HttpRequestArgs, HttpRequestResult, TransformArgs,
};

use crate::errors::{ErrorCode, Reject, RejectCode};
use crate::subnet::Subnet;

/// Nodes of the subnet whose prices are charged.
const NODES: u128 = 13;
/// The largest response (and request) the IC allows, and the default `max_response_bytes`.
pub const MAX_RESPONSE_BYTES: u64 = 2_000_000;
const MAX_URL_BYTES: usize = 8 * 1024;
const MAX_HEADERS: usize = 64;
const MAX_HEADER_BYTES: usize = 8 * 1024;
/// How long the server may take, as on the IC.
pub const TIMEOUT: Duration = Duration::from_secs(30);

fn reject(code: RejectCode, message: impl Into<String>) -> Reject {
    Reject {
        code,
        error: ErrorCode::CanisterRejectedMessage,
        message: message.into(),
    }
}

/// The size the price counts: URL, header names and values, body, transform method and context.
pub fn request_size(args: &HttpRequestArgs) -> u64 {
    let headers: usize = args
        .headers
        .iter()
        .map(|h| h.name.len() + h.value.len())
        .sum();
    let transform = args
        .transform
        .as_ref()
        .map_or(0, |t| t.function.0.method.len() + t.context.len());
    (args.url.len() + headers + args.body.as_ref().map_or(0, Vec::len) + transform) as u64
}

/// The price on a 13-node subnet: `(3M + 60K·n)·n + 400·n·request + 800·n·max_response`.
pub fn price(args: &HttpRequestArgs) -> u128 {
    let max_response = args.max_response_bytes.unwrap_or(MAX_RESPONSE_BYTES) as u128;
    (3_000_000 + 60_000 * NODES) * NODES
        + 400 * NODES * request_size(args) as u128
        + 800 * NODES * max_response
}

/// Whether `host` is on this machine's loopback.
fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Checks the argument as the IC does before charging.
fn check(args: &HttpRequestArgs, caller: Principal) -> Result<(), Reject> {
    let bad = |m: String| Err(reject(RejectCode::CanisterReject, m));
    if args.url.len() > MAX_URL_BYTES {
        return bad(format!(
            "url is too long: {} bytes, at most {MAX_URL_BYTES}",
            args.url.len()
        ));
    }
    if let Some(max) = args.max_response_bytes {
        if max > MAX_RESPONSE_BYTES {
            return bad(format!(
                "max_response_bytes expected to be in the range [0..{MAX_RESPONSE_BYTES}], got {max}"
            ));
        }
    }
    if args.headers.len() > MAX_HEADERS {
        return bad(format!(
            "number of http headers exceeds the limit of {MAX_HEADERS}"
        ));
    }
    if args
        .headers
        .iter()
        .any(|h| h.name.len() > MAX_HEADER_BYTES || h.value.len() > MAX_HEADER_BYTES)
    {
        return bad(format!(
            "an http header is longer than {MAX_HEADER_BYTES} bytes"
        ));
    }
    if request_size(args) > MAX_RESPONSE_BYTES {
        return bad(format!(
            "the http request is larger than {MAX_RESPONSE_BYTES} bytes"
        ));
    }
    if let Some(t) = &args.transform {
        if t.function.0.principal != caller {
            return bad(format!(
                "the transform function must be a query of the calling canister {caller}, not of {}",
                t.function.0.principal
            ));
        }
    }
    Ok(())
}

/// What the server answered: status, headers and body, bounded by `max_bytes`.
fn fetch(args: &HttpRequestArgs, max_bytes: u64) -> Result<HttpRequestResult, Reject> {
    let parsed = url::Url::parse(&args.url).map_err(|e| {
        reject(
            RejectCode::SysTransient,
            format!("Failed to parse URL {}: {e}", args.url),
        )
    })?;
    let host = parsed.host().ok_or_else(|| {
        reject(
            RejectCode::SysTransient,
            format!("The URL {} names no host", args.url),
        )
    })?;
    if !is_loopback(&host) {
        return Err(reject(
            RejectCode::SysTransient,
            format!(
                "Failed to directly connect to {host}: ic_runtime only reaches servers on loopback"
            ),
        ));
    }
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(reject(
            RejectCode::SysTransient,
            "Url need to specify https scheme",
        ));
    }
    let agent = ureq::AgentBuilder::new()
        .timeout(TIMEOUT)
        .redirects(0)
        .build();
    let method = match args.method {
        HttpMethod::GET => "GET",
        HttpMethod::POST => "POST",
        HttpMethod::HEAD => "HEAD",
        HttpMethod::PUT => "PUT",
        HttpMethod::DELETE => "DELETE",
    };
    let mut request = agent.request_url(method, &parsed);
    for h in &args.headers {
        request = request.set(&h.name, &h.value);
    }
    let sent = match &args.body {
        Some(body) => request.send_bytes(body),
        None => request.call(),
    };
    let response = match sent {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(ureq::Error::Transport(t)) => {
            let timed_out = t.to_string().to_ascii_lowercase().contains("timed out");
            let code = if timed_out {
                RejectCode::SysFatal
            } else {
                RejectCode::SysTransient
            };
            return Err(reject(
                code,
                format!("Connecting to {} failed: {t}", args.url),
            ));
        }
    };
    let status = response.status();
    let headers: Vec<HttpHeader> = response
        .headers_names()
        .into_iter()
        .flat_map(|name| {
            response
                .all(&name)
                .into_iter()
                .map(|value| HttpHeader {
                    name: name.clone(),
                    value: value.to_string(),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let header_bytes: u64 = headers
        .iter()
        .map(|h| (h.name.len() + h.value.len()) as u64)
        .sum();
    if header_bytes > max_bytes {
        return Err(reject(
            RejectCode::SysFatal,
            format!("Header size exceeds specified response size limit {max_bytes}"),
        ));
    }
    let mut body = Vec::new();
    response
        .into_reader()
        .take(max_bytes - header_bytes + 1)
        .read_to_end(&mut body)
        .map_err(|e| {
            reject(
                RejectCode::SysFatal,
                format!("Failed to read the response of {}: {e}", args.url),
            )
        })?;
    if header_bytes + body.len() as u64 > max_bytes {
        return Err(reject(
            RejectCode::SysFatal,
            format!("Http body exceeds size limit of {max_bytes} bytes."),
        ));
    }
    Ok(HttpRequestResult {
        status: status.into(),
        headers,
        body,
    })
}

/// Runs the transform query on the calling canister.
fn transform(
    sub: &mut Subnet,
    caller: Principal,
    args: &HttpRequestArgs,
    response: HttpRequestResult,
) -> Result<HttpRequestResult, Reject> {
    let Some(t) = &args.transform else {
        return Ok(response);
    };
    let arg = candid::encode_one(TransformArgs {
        response,
        context: t.context.clone(),
    })
    .expect("transform arguments encode");
    // The transform is a query: its instructions are not this message's.
    let instructions = sub.last_instructions;
    let answer = crate::query::query(
        sub,
        Principal::management_canister(),
        caller,
        &t.function.0.method,
        arg,
    );
    sub.last_instructions = instructions;
    let bytes = answer.map_err(|r| {
        reject(
            RejectCode::CanisterError,
            format!(
                "Transform function {} failed: {}",
                t.function.0.method, r.message
            ),
        )
    })?;
    if bytes.len() as u64 > MAX_RESPONSE_BYTES {
        return Err(reject(
            RejectCode::SysFatal,
            format!("Transformed http response exceeds limit: {MAX_RESPONSE_BYTES}"),
        ));
    }
    candid::decode_one(&bytes).map_err(|e| {
        reject(
            RejectCode::CanisterError,
            format!(
                "Transform function {} answered something else than http_request_result: {e}",
                t.function.0.method
            ),
        )
    })
}

/// One `http_request` call from canister `caller` with `cycles` attached: the answer, and the
/// cycles kept (the price when the request was made, nothing when it was refused first).
pub fn http_request(
    sub: &mut Subnet,
    caller: Principal,
    payload: &[u8],
    cycles: u128,
) -> (Result<Vec<u8>, Reject>, u128) {
    let args: HttpRequestArgs = match candid::decode_one(payload) {
        Ok(a) => a,
        Err(e) => {
            return (
                Err(Reject::new(
                    ErrorCode::InvalidManagementPayload,
                    format!("Error decoding candid: {e}"),
                )),
                0,
            )
        }
    };
    if let Err(r) = check(&args, caller) {
        return (Err(r), 0);
    }
    let cost = price(&args);
    if cycles < cost {
        let message = format!(
            "http_request request sent with {cycles} cycles, but {cost} cycles are required."
        );
        return (Err(reject(RejectCode::CanisterReject, message)), 0);
    }
    sub.outcall_cycles += cost;
    let max_bytes = args.max_response_bytes.unwrap_or(MAX_RESPONSE_BYTES);
    let result = fetch(&args, max_bytes)
        .and_then(|response| transform(sub, caller, &args, response))
        .map(|r| candid::encode_one(r).expect("http_request_result encodes"));
    (result, cost)
}

#[cfg(test)]
mod tests;
