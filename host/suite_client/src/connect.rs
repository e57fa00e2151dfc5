//! Connecting an `ic-agent` to a network. Local networks (the dfx replica, the embedded
//! network) have their own root key, which is fetched from `/api/v2/status` unless it is
//! given; mainnet's key is built into the agent and never fetched.

use std::path::Path;

use ic_agent::identity::{AnonymousIdentity, BasicIdentity, Secp256k1Identity};
use ic_agent::{Agent, Identity};

/// Where to talk to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    /// `None` on mainnet; `Some(None)` fetch it; `Some(Some(key))` use this DER key.
    pub root_key: Option<Option<Vec<u8>>>,
}

pub const MAINNET_URL: &str = "https://icp-api.io";
/// dfx's and the embedded network's default address.
pub const LOCAL_URL: &str = "http://127.0.0.1:4943";

impl Target {
    /// `local`, `ic`, or a URL. Anything not on mainnet fetches its root key by default.
    pub fn parse(network: &str) -> Target {
        match network {
            "ic" => Target {
                url: MAINNET_URL.into(),
                root_key: None,
            },
            "local" => Target {
                url: LOCAL_URL.into(),
                root_key: Some(None),
            },
            url => Target {
                url: url.trim_end_matches('/').into(),
                root_key: (url != MAINNET_URL).then_some(None),
            },
        }
    }

    pub fn is_mainnet(&self) -> bool {
        self.root_key.is_none()
    }
}

/// Loads a PEM identity (ed25519 as dfx/icp's `--storage plaintext` writes it, or secp256k1);
/// `None` is the anonymous identity.
pub fn identity(pem: Option<&Path>) -> Result<Box<dyn Identity>, String> {
    let Some(path) = pem else {
        return Ok(Box::new(AnonymousIdentity));
    };
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Ok(id) = BasicIdentity::from_pem(&text) {
        return Ok(Box::new(id));
    }
    Secp256k1Identity::from_pem(&text)
        .map(|id| Box::new(id) as Box<dyn Identity>)
        .map_err(|e| {
            format!(
                "{}: neither an ed25519 nor a secp256k1 PEM key: {e}",
                path.display()
            )
        })
}

/// An agent for `target` acting as `identity`, with the root key in place.
pub async fn connect(target: &Target, identity: Box<dyn Identity>) -> Result<Agent, String> {
    let agent = Agent::builder()
        .with_url(target.url.clone())
        .with_boxed_identity(identity)
        .with_ingress_expiry(std::time::Duration::from_secs(240))
        .build()
        .map_err(|e| format!("agent for {}: {e}", target.url))?;
    match &target.root_key {
        None => {}
        Some(Some(key)) => agent.set_root_key(key.clone()),
        Some(None) => agent
            .fetch_root_key()
            .await
            .map_err(|e| format!("cannot fetch the root key of {}: {e}", target.url))?,
    }
    Ok(agent)
}

pub fn hex_decode(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("bad hex: {e}")))
        .collect()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_names_map_to_urls_and_key_policies() {
        assert!(Target::parse("ic").is_mainnet());
        assert_eq!(Target::parse("local").url, LOCAL_URL);
        let t = Target::parse("http://127.0.0.1:8080/");
        assert_eq!(
            (t.url.as_str(), t.root_key),
            ("http://127.0.0.1:8080", Some(None))
        );
        assert_eq!(hex_decode(&hex(&[0, 255, 16])).unwrap(), vec![0, 255, 16]);
    }
}
