//! The parts of outcalls that need no canister: the price, which hosts are loopback, and the
//! argument checks (the end-to-end cases are in `tests/outcalls.rs`).

use super::*;
use ic_management_canister_types::{TransformContext, TransformFunc};

fn args(url: &str) -> HttpRequestArgs {
    HttpRequestArgs {
        url: url.into(),
        max_response_bytes: Some(1_000),
        method: HttpMethod::GET,
        headers: vec![HttpHeader {
            name: "ab".into(),
            value: "cd".into(),
        }],
        body: Some(vec![0; 10]),
        transform: Some(TransformContext {
            function: TransformFunc(candid::Func {
                principal: Principal::from_slice(&[1]),
                method: "t".into(),
            }),
            context: vec![1, 2],
        }),
        is_replicated: None,
    }
}

#[test]
fn the_price_counts_every_variable_part_of_the_request() {
    let a = args("http://x/");
    // url 9 + header 4 + body 10 + transform name 1 + context 2.
    assert_eq!(request_size(&a), 26);
    assert_eq!(price(&a), 49_140_000 + 5_200 * 26 + 10_400 * 1_000);
    let default = HttpRequestArgs {
        max_response_bytes: None,
        ..a
    };
    assert_eq!(
        price(&default),
        49_140_000 + 5_200 * 26 + 10_400 * 2_000_000
    );
}

#[test]
fn only_loopback_hosts_are_reachable() {
    let host = |u: &str| url::Url::parse(u).unwrap().host().map(|h| h.to_owned());
    for ok in [
        "http://localhost:1/",
        "http://a.localhost/",
        "http://127.0.0.1/",
        "http://127.9.9.9/",
        "http://[::1]:80/",
    ] {
        let h = host(ok).unwrap();
        let h = match &h {
            url::Host::Domain(d) => url::Host::Domain(d.as_str()),
            url::Host::Ipv4(i) => url::Host::Ipv4(*i),
            url::Host::Ipv6(i) => url::Host::Ipv6(*i),
        };
        assert!(is_loopback(&h), "{ok}");
    }
    for far in [
        "https://example.com/",
        "http://10.0.0.1/",
        "http://localhost.evil.com/",
    ] {
        let h = host(far).unwrap();
        let h = match &h {
            url::Host::Domain(d) => url::Host::Domain(d.as_str()),
            url::Host::Ipv4(i) => url::Host::Ipv4(*i),
            url::Host::Ipv6(i) => url::Host::Ipv6(*i),
        };
        assert!(!is_loopback(&h), "{far}");
    }
}

#[test]
fn bad_arguments_are_refused_with_canister_reject() {
    let caller = Principal::from_slice(&[1]);
    assert!(check(&args("http://x/"), caller).is_ok());
    let long = args(&format!("http://x/{}", "a".repeat(MAX_URL_BYTES)));
    let too_big = HttpRequestArgs {
        max_response_bytes: Some(MAX_RESPONSE_BYTES + 1),
        ..args("http://x/")
    };
    let many = HttpRequestArgs {
        headers: vec![
            HttpHeader {
                name: "a".into(),
                value: "b".into()
            };
            MAX_HEADERS + 1
        ],
        ..args("http://x/")
    };
    for bad in [long, too_big, many] {
        assert_eq!(
            check(&bad, caller).unwrap_err().code,
            RejectCode::CanisterReject
        );
    }
    // The transform must be the caller's own query.
    let other = Principal::from_slice(&[2]);
    assert_eq!(
        check(&args("http://x/"), other).unwrap_err().code,
        RejectCode::CanisterReject
    );
}
