//! The headers every response carries, and the `ic_env` cookie that hands the page its
//! configuration. Both are certified with the assets (the router certifies every header it is
//! given), so a boundary node or gateway cannot swap the canister ids or the CSP.
//!
//! `ic_env` is the cookie agent-js's `getCanisterEnv()` reads (`@icp-sdk/core/agent/canister-env`,
//! the same contract as the asset canister behind icp-cli): a URI-encoded
//! `ic_root_key=<hex>&PUBLIC_CANISTER_ID:<name>=<id>&...`. One build of the app thus runs on
//! every network; the root key is the local network's own, or the IC's when none is given.

use candid::Principal;

use interfaces::frontend::FrontendInit;

/// The IC mainnet root key (DER), what agents ship built in.
pub const IC_ROOT_KEY_HEX: &str = "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae";

/// Where the page may send requests: its own origin (the embedded network's gateway serves
/// `/api` there too), a local replica on any port, and the IC's API boundary nodes.
const CONNECT_SRC: &str = "'self' http://localhost:* http://127.0.0.1:* http://*.localhost:* \
     https://icp0.io https://*.icp0.io https://icp-api.io https://ic0.app https://*.ic0.app https://id.ai";

/// The cookie's value: `ic_env=<URI-encoded variables>`, for every page of the app.
pub fn ic_env_cookie(config: &FrontendInit, this_canister: Principal) -> String {
    let root_key = match &config.root_key {
        Some(key) => hex(key),
        None => IC_ROOT_KEY_HEX.to_string(),
    };
    let mut vars = vec![format!("ic_root_key={root_key}")];
    let mut ids = config.canister_ids.clone();
    if !ids.iter().any(|(name, _)| name == "frontend") {
        ids.push(("frontend".to_string(), this_canister));
    }
    ids.sort();
    for (name, id) in ids {
        vars.push(format!("PUBLIC_CANISTER_ID:{name}={id}"));
    }
    format!(
        "ic_env={}; Path=/; SameSite=Lax",
        uri_encode(&vars.join("&"))
    )
}

/// Headers on every response.
pub fn security_headers() -> Vec<(String, String)> {
    vec![
        ("x-content-type-options".into(), "nosniff".into()),
        ("referrer-policy".into(), "same-origin".into()),
        ("x-frame-options".into(), "DENY".into()),
    ]
}

/// The policy of HTML pages: scripts only from this canister plus the app's own inline boot
/// script (by hash, computed at build time), no frames, no plugins.
pub fn content_security_policy(inline_script_hashes: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' {inline_script_hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self'; connect-src {CONNECT_SRC}; manifest-src 'self'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `encodeURIComponent`: everything but the unreserved characters is percent-encoded.
fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_carries_the_root_key_and_every_id_uri_encoded() {
        let calendar = Principal::from_slice(&[1]);
        let me = Principal::from_slice(&[2]);
        let config = FrontendInit {
            canister_ids: vec![("calendar".into(), calendar)],
            root_key: Some(vec![0xab; 133]),
        };
        let cookie = ic_env_cookie(&config, me);
        assert!(cookie.starts_with("ic_env=ic_root_key%3Dabab"), "{cookie}");
        assert!(cookie.ends_with("; Path=/; SameSite=Lax"));
        let value = cookie
            .trim_start_matches("ic_env=")
            .split(';')
            .next()
            .unwrap();
        assert!(!value.contains('=') && !value.contains('&') && !value.contains(':'));
        assert!(value.contains(&format!("PUBLIC_CANISTER_ID%3Acalendar%3D{calendar}")));
        assert!(value.contains(&format!("PUBLIC_CANISTER_ID%3Afrontend%3D{me}")));
    }

    #[test]
    fn without_a_root_key_the_page_gets_the_ic_mainnet_key() {
        let cookie = ic_env_cookie(&FrontendInit::default(), Principal::anonymous());
        assert!(cookie.contains(IC_ROOT_KEY_HEX));
        assert_eq!(IC_ROOT_KEY_HEX.len(), 133 * 2);
    }
}
