//! Decoding one request envelope `{content, sender_pubkey?, sender_sig?, sender_delegation?}`
//! and the checks this network makes before anything runs, in the IC's order: a known request
//! type, a sender bound to its public key (the self-authenticating principal of
//! `sender_pubkey`, or the anonymous principal with no key; 403 otherwise), an ingress expiry
//! within the IC's window, and then the signature over the request id with its delegation
//! chain (`auth.rs`: Ed25519, ECDSA secp256k1 / P-256, canister signatures certified by this
//! network's root key; expiry and targets of every delegation; 400 otherwise). Only a request
//! that passes all of them reaches the runtime, so a known public key is not enough to act as
//! its principal.

use candid::Principal;
use ic_transport_types::EnvelopeContent;
use serde_cbor::Value;

use crate::auth;
use crate::cbor::hash_of;

/// The furthest in the future an ingress expiry may lie (the IC's 5 minutes plus clock drift).
pub const MAX_EXPIRY_AHEAD_NS: u64 = 6 * 60 * 1_000_000_000;
/// How far in the past an expiry may lie before the request is refused (clock drift).
pub const EXPIRY_GRACE_NS: u64 = 30 * 1_000_000_000;

/// An HTTP-level refusal: status code and text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub status: u16,
    pub message: String,
}

impl HttpError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        HttpError {
            status,
            message: message.into(),
        }
    }
}

/// A decoded, checked request.
#[derive(Debug)]
pub struct Request {
    pub content: EnvelopeContent,
    pub request_id: [u8; 32],
    pub sender: Principal,
}

fn field<'a>(map: &'a std::collections::BTreeMap<Value, Value>, name: &str) -> Option<&'a Value> {
    map.get(&Value::Text(name.to_string()))
}

/// Decodes `body`, computes the request id from the raw `content` and checks sender, expiry and
/// signature. `root_key_der` is this network's root key (the only one canister signatures may be
/// certified by); `effective` is the effective canister id of the URL (`None` on `/subnet/`
/// routes): a read_state's delegation targets must include it, while a call's or query's must
/// include its `canister_id`.
pub fn parse(
    body: &[u8],
    now_ns: u64,
    root_key_der: &[u8],
    effective: Option<Principal>,
) -> Result<Request, HttpError> {
    let bad = |m: String| HttpError::new(400, m);
    let value: Value = serde_cbor::from_slice(body)
        .map_err(|e| bad(format!("Could not parse body as CBOR: {e}")))?;
    let value = match value {
        Value::Tag(_, inner) => *inner,
        v => v,
    };
    let Value::Map(envelope) = value else {
        return Err(bad("The request envelope is not a CBOR map".into()));
    };
    let content = field(&envelope, "content")
        .ok_or_else(|| bad("The request envelope has no content".into()))?;
    let request_id = hash_of(content).map_err(bad)?;
    let typed: EnvelopeContent = serde_cbor::value::from_value(content.clone())
        .map_err(|e| bad(format!("Could not parse the request content: {e}")))?;

    let pubkey = match field(&envelope, "sender_pubkey") {
        None | Some(Value::Null) => None,
        Some(Value::Bytes(b)) => Some(b.clone()),
        Some(_) => return Err(bad("sender_pubkey is not a blob".into())),
    };
    let signed = !matches!(field(&envelope, "sender_sig"), None | Some(Value::Null));
    let sender = *typed.sender();
    check_sender(sender, pubkey.as_deref(), signed)?;
    check_expiry(typed.ingress_expiry(), now_ns)?;
    let target = match &typed {
        EnvelopeContent::Call { canister_id, .. } | EnvelopeContent::Query { canister_id, .. } => {
            Some(*canister_id)
        }
        EnvelopeContent::ReadState { .. } => effective,
    };
    let context = auth::Context {
        now_ns,
        root_key_der,
        target,
        call: matches!(typed, EnvelopeContent::Call { .. }),
    };
    auth::verify(&envelope, &request_id, &context).map_err(bad)?;
    Ok(Request {
        content: typed,
        request_id,
        sender,
    })
}

/// The binding every request must satisfy (interface spec, "Authentication").
pub fn check_sender(
    sender: Principal,
    pubkey: Option<&[u8]>,
    signed: bool,
) -> Result<(), HttpError> {
    match pubkey {
        None if sender == Principal::anonymous() => Ok(()),
        None => Err(HttpError::new(
            403,
            format!("Request from {sender} carries no sender_pubkey; only the anonymous principal may send unsigned requests"),
        )),
        Some(key) => {
            let derived = Principal::self_authenticating(key);
            if derived != sender {
                return Err(HttpError::new(
                    403,
                    format!("Invalid sender: the request's sender {sender} is not the principal {derived} of its sender_pubkey"),
                ));
            }
            if !signed {
                return Err(HttpError::new(403, "Request has a sender_pubkey but no sender_sig"));
            }
            Ok(())
        }
    }
}

/// agent-js recognises the text "Invalid request expiry: " and resyncs its clock before retrying.
pub fn check_expiry(expiry: u64, now_ns: u64) -> Result<(), HttpError> {
    if expiry + EXPIRY_GRACE_NS < now_ns || expiry > now_ns + MAX_EXPIRY_AHEAD_NS {
        return Err(HttpError::new(
            400,
            format!(
                "Invalid request expiry: {expiry} is not within [{}, {}] (server time {now_ns} ns)",
                now_ns.saturating_sub(EXPIRY_GRACE_NS),
                now_ns + MAX_EXPIRY_AHEAD_NS
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keys;
    use std::collections::BTreeMap;

    const NOW: u64 = 1_800_000_000_000_000_000;

    /// A user key: the node key (Ed25519) of a key set, with the network's root key beside it.
    fn user(seed: u8) -> Keys {
        Keys::from_seeds([1; 32], [seed; 32])
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    /// An envelope of `content` from whatever sender it names, signed by `signer` (its key as
    /// `sender_pubkey`) through `chain`.
    fn signed(content: &EnvelopeContent, signer: Option<&Keys>, chain: Vec<Value>) -> Vec<u8> {
        let mut map = BTreeMap::new();
        map.insert(
            text("content"),
            serde_cbor::value::to_value(content).unwrap(),
        );
        if let Some(k) = signer {
            let mut message = b"\x0Aic-request".to_vec();
            message.extend_from_slice(content.to_request_id().as_slice());
            map.insert(text("sender_pubkey"), Value::Bytes(k.node_key_der.clone()));
            map.insert(text("sender_sig"), Value::Bytes(k.node_sign(&message)));
        }
        if !chain.is_empty() {
            map.insert(text("sender_delegation"), Value::Array(chain));
        }
        crate::cbor::to_vec(&Value::Map(map))
    }

    fn query(sender: Principal, expiry: u64) -> EnvelopeContent {
        EnvelopeContent::Query {
            ingress_expiry: expiry,
            sender,
            canister_id: Principal::management_canister(),
            method_name: "m".into(),
            arg: vec![],
            nonce: None,
            sender_info: None,
        }
    }

    fn envelope(sender: Principal, signer: Option<&Keys>, expiry: u64) -> Vec<u8> {
        signed(&query(sender, expiry), signer, vec![])
    }

    fn parse_at_now(body: &[u8]) -> Result<Request, HttpError> {
        parse(body, NOW, &user(0).root_key_der, None)
    }

    #[test]
    fn anonymous_and_self_authenticating_senders_pass() {
        assert!(parse_at_now(&envelope(
            Principal::anonymous(),
            None,
            NOW + 60_000_000_000
        ))
        .is_ok());
        let key = user(9);
        let me = Principal::self_authenticating(&key.node_key_der);
        let req = parse_at_now(&envelope(me, Some(&key), NOW + 60_000_000_000)).unwrap();
        assert_eq!(req.sender, me);
    }

    #[test]
    fn a_sender_that_does_not_match_its_key_is_refused() {
        let other = Principal::self_authenticating(user(1).node_key_der);
        let err = parse_at_now(&envelope(other, Some(&user(2)), NOW + 1)).unwrap_err();
        assert_eq!(err.status, 403);
        let err = parse_at_now(&envelope(other, None, NOW + 1)).unwrap_err();
        assert_eq!(err.status, 403);
    }

    /// The outside review's finding: a known public key and 64 zero bytes no longer pass.
    #[test]
    fn a_signature_of_zeros_or_by_another_key_is_refused_with_400() {
        let key = user(9);
        let me = Principal::self_authenticating(&key.node_key_der);
        let content = query(me, NOW + 60_000_000_000);
        let mut map: BTreeMap<Value, Value> =
            serde_cbor::from_slice(&signed(&content, Some(&key), vec![])).unwrap();
        map.insert(text("sender_sig"), Value::Bytes(vec![0; 64]));
        let err = parse_at_now(&crate::cbor::to_vec(&Value::Map(map.clone()))).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(
            err.message
                .starts_with("Invalid signature: Invalid basic signature: Ed25519 signature could not be verified"),
            "{}",
            err.message
        );
        let mut message = b"\x0Aic-request".to_vec();
        message.extend_from_slice(content.to_request_id().as_slice());
        map.insert(
            text("sender_sig"),
            Value::Bytes(user(10).node_sign(&message)),
        );
        let err = parse_at_now(&crate::cbor::to_vec(&Value::Map(map))).unwrap_err();
        assert_eq!(err.status, 400);
    }

    /// A read_state's delegation targets are checked against the URL's effective canister id.
    #[test]
    fn read_state_delegation_targets_are_the_effective_canister() {
        let (from, to) = (user(3), user(4));
        let mine = Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
        let theirs = Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 2, 1, 1]);
        let delegation = Value::Map(BTreeMap::from([
            (text("pubkey"), Value::Bytes(to.node_key_der.clone())),
            (
                text("expiration"),
                Value::Integer((NOW + 60_000_000_000) as i128),
            ),
            (
                text("targets"),
                Value::Array(vec![Value::Bytes(mine.as_slice().to_vec())]),
            ),
        ]));
        let mut message = b"\x1Aic-request-auth-delegation".to_vec();
        message.extend_from_slice(&hash_of(&delegation).unwrap());
        let link = Value::Map(BTreeMap::from([
            (text("delegation"), delegation),
            (text("signature"), Value::Bytes(from.node_sign(&message))),
        ]));
        let content = EnvelopeContent::ReadState {
            ingress_expiry: NOW + 60_000_000_000,
            sender: Principal::self_authenticating(&from.node_key_der),
            paths: vec![vec!["time".into()]],
        };
        // Signed by the delegated key, with the delegating key as sender_pubkey.
        let mut map: BTreeMap<Value, Value> =
            serde_cbor::from_slice(&signed(&content, Some(&to), vec![link])).unwrap();
        map.insert(
            text("sender_pubkey"),
            Value::Bytes(from.node_key_der.clone()),
        );
        let body = crate::cbor::to_vec(&Value::Map(map));
        let root = user(0).root_key_der;
        assert!(parse(&body, NOW, &root, Some(mine)).is_ok());
        assert!(
            parse(&body, NOW, &root, None).is_ok(),
            "subnet paths: no target"
        );
        let err = parse(&body, NOW, &root, Some(theirs)).unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(
            err.message,
            format!("Canister {theirs} is not one of the delegation targets")
        );
        // After the delegation's expiry the same request is refused.
        let err = parse(&body, NOW + 61_000_000_000, &root, Some(mine)).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(
            err.message.contains("delegation has expired"),
            "{}",
            err.message
        );
    }

    #[test]
    fn expiry_outside_the_window_is_refused_with_the_text_agents_know() {
        let err = parse_at_now(&envelope(
            Principal::anonymous(),
            None,
            NOW + 3_600_000_000_000,
        ))
        .unwrap_err();
        assert!(
            err.message.starts_with("Invalid request expiry: "),
            "{}",
            err.message
        );
        assert!(parse_at_now(&envelope(
            Principal::anonymous(),
            None,
            NOW - 3_600_000_000_000
        ))
        .is_err());
    }
}
