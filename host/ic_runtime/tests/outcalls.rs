//! HTTPS outcalls (the management canister's `http_request`) from the `rt_caller` fixture to a
//! server on loopback: the transform runs as a query of the caller with its context, the
//! 13-node price is charged from the attached cycles (the rest refunded), and each error case
//! answers the IC's reject code. The server is a few lines of `std::net` answering fixed paths:
//! enough to serve known bytes, a redirect, and a body larger than allowed.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use candid::Principal;
use common::*;
use ic_runtime::management_types::{HttpHeader, HttpRequestResult};
use ic_runtime::{query_candid, update_candid, PocketIc};

type Outcome<T> = Result<T, Rejected>;

/// Serves `/feed` (a small text), `/big` (100 kB) and `/moved` (a 303) on 127.0.0.1, and keeps
/// the request headers it saw.
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

fn serve() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                log.lock().unwrap().push(line.trim().to_lowercase());
            }
            let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, extra, body) = match path.as_str() {
                "/feed" => ("200 OK", "", b"BEGIN:VCALENDAR".to_vec()),
                "/big" => ("200 OK", "", vec![b'y'; 100_000]),
                "/moved" => ("303 See Other", "location: /feed\r\n", Vec::new()),
                _ => ("404 Not Found", "", b"none".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ndate: now\r\n{extra}\
                 content-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    Server { port, seen }
}

fn outcall(
    pic: &PocketIc,
    caller: Principal,
    url: &str,
    max: Option<u64>,
    transform: &str,
    cycles: u128,
) -> Outcome<HttpRequestResult> {
    let (r,): (Outcome<HttpRequestResult>,) = update_candid(
        pic,
        caller,
        "outcall",
        (url.to_string(), max, transform.to_string(), cycles),
    )
    .unwrap();
    r
}

fn price(pic: &PocketIc, caller: Principal, url: &str, max: Option<u64>, transform: &str) -> u128 {
    let (p,): (u128,) = query_candid(
        pic,
        caller,
        "outcall_price",
        (url.to_string(), max, transform.to_string()),
    )
    .unwrap();
    p
}

#[test]
fn an_outcall_reaches_a_loopback_server_runs_the_transform_and_pays_the_13_node_price() {
    let server = serve();
    let pic = PocketIc::new();
    let caller = install_caller(&pic);
    let url = format!("http://127.0.0.1:{}/feed", server.port);
    let cost = price(&pic, caller, &url, Some(4_096), "keep_body");
    // The spec's formula for n = 13: (3M + 60K n) n + 400 n request + 800 n max_response.
    let request_bytes =
        (url.len() + "x-from".len() + "rt_caller".len() + "keep_body".len() + 3) as u128;
    assert_eq!(cost, 49_140_000 + 5_200 * request_bytes + 10_400 * 4_096);

    let before = pic.cycle_balance(caller);
    let r = outcall(&pic, caller, &url, Some(4_096), "keep_body", cost + 1_000).unwrap();
    assert_eq!(r.status, 200u32);
    assert_eq!(r.body, b"BEGIN:VCALENDAR");
    // The transform replaced the server's headers, and it got the request's context.
    assert_eq!(
        r.headers,
        vec![HttpHeader {
            name: "context".into(),
            value: "ctx".into()
        }]
    );
    // The price is kept, the extra 1,000 cycles come back.
    assert_eq!(before - pic.cycle_balance(caller), cost);
    assert_eq!(pic.outcall_cycles(), cost);
    assert!(server
        .seen
        .lock()
        .unwrap()
        .contains(&"x-from: rt_caller".to_string()));

    // Without a transform the server's own headers come through.
    let plain_cost = price(&pic, caller, &url, None, "");
    let r = outcall(&pic, caller, &url, None, "", plain_cost).unwrap();
    assert!(r
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("content-type") && h.value == "text/plain"));
    // Redirects are answered, not followed.
    let moved = format!("http://localhost:{}/moved", server.port);
    let r = outcall(&pic, caller, &moved, None, "", 1_000_000_000_000).unwrap();
    assert_eq!(r.status, 303u32);
}

#[test]
fn outcall_errors_answer_the_ics_reject_codes() {
    let server = serve();
    let pic = PocketIc::new();
    let caller = install_caller(&pic);
    let feed = format!("http://127.0.0.1:{}/feed", server.port);
    let big = format!("http://127.0.0.1:{}/big", server.port);
    let plenty = 1_000_000_000_000u128;
    let code = |r: Outcome<HttpRequestResult>| {
        let e = r.unwrap_err();
        (e.code, e.message)
    };

    // Too few cycles: CANISTER_REJECT, nothing charged.
    let cost = price(&pic, caller, &feed, None, "keep_body");
    let before = pic.cycle_balance(caller);
    let (c, m) = code(outcall(&pic, caller, &feed, None, "keep_body", cost - 1));
    assert_eq!(c, 4, "{m}");
    assert!(m.contains("cycles are required"), "{m}");
    assert_eq!(pic.cycle_balance(caller), before);
    // max_response_bytes above 2 MB: CANISTER_REJECT.
    let (c, m) = code(outcall(&pic, caller, &feed, Some(3_000_000), "", plenty));
    assert_eq!(c, 4, "{m}");
    // A host off loopback is never reached: SYS_TRANSIENT.
    let (c, m) = code(outcall(
        &pic,
        caller,
        "https://example.com/x.ics",
        None,
        "",
        plenty,
    ));
    assert_eq!(c, 2, "{m}");
    assert!(m.contains("loopback"), "{m}");
    // Nothing listening: SYS_TRANSIENT.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let (c, m) = code(outcall(
        &pic,
        caller,
        &format!("http://127.0.0.1:{port}/"),
        None,
        "",
        plenty,
    ));
    assert_eq!(c, 2, "{m}");
    // A response larger than max_response_bytes: SYS_FATAL.
    let (c, m) = code(outcall(&pic, caller, &big, Some(10_000), "", plenty));
    assert_eq!(c, 1, "{m}");
    assert!(m.contains("exceeds"), "{m}");
    // A transform answering more than 2 MB: SYS_FATAL; one that traps or does not exist:
    // CANISTER_ERROR.
    let (c, m) = code(outcall(&pic, caller, &feed, None, "bloat", plenty));
    assert_eq!(c, 1, "{m}");
    let (c, m) = code(outcall(
        &pic,
        caller,
        &feed,
        None,
        "trapping_transform",
        plenty,
    ));
    assert_eq!(c, 5, "{m}");
    let (c, m) = code(outcall(&pic, caller, &feed, None, "no_such_query", plenty));
    assert_eq!(c, 5, "{m}");

    // Users cannot call it by ingress.
    let err = pic
        .update_call(
            Principal::management_canister(),
            user(),
            "http_request",
            candid::encode_args(()).unwrap(),
        )
        .unwrap_err();
    assert!(
        err.reject_message.contains("Only canisters"),
        "{}",
        err.reject_message
    );
}
