//! Decoding one request envelope `{content, sender_pubkey?, sender_sig?, sender_delegation?}`
//! and the checks this network makes before anything runs: a known request type, an ingress
//! expiry within the IC's window, and a sender bound to its public key (the self-authenticating
//! principal of `sender_pubkey`, or the anonymous principal with no key). Signatures themselves
//! are NOT verified (see README.md): whoever reaches the port could act as any key's principal
//! by sending its public key, which is why the network listens on 127.0.0.1 only.

use candid::Principal;
use ic_transport_types::EnvelopeContent;
use serde_cbor::Value;

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

/// Decodes `body`, computes the request id from the raw `content` and checks expiry and sender.
pub fn parse(body: &[u8], now_ns: u64) -> Result<Request, HttpError> {
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
    use std::collections::BTreeMap;

    const NOW: u64 = 1_800_000_000_000_000_000;

    fn envelope(sender: Principal, pubkey: Option<Vec<u8>>, expiry: u64) -> Vec<u8> {
        let content = EnvelopeContent::Query {
            ingress_expiry: expiry,
            sender,
            canister_id: Principal::management_canister(),
            method_name: "m".into(),
            arg: vec![],
            nonce: None,
            sender_info: None,
        };
        let mut map = BTreeMap::new();
        map.insert(
            Value::Text("content".into()),
            serde_cbor::value::to_value(&content).unwrap(),
        );
        if let Some(k) = pubkey {
            map.insert(Value::Text("sender_pubkey".into()), Value::Bytes(k));
            map.insert(Value::Text("sender_sig".into()), Value::Bytes(vec![0; 64]));
        }
        crate::cbor::to_vec(&Value::Map(map))
    }

    #[test]
    fn anonymous_and_self_authenticating_senders_pass() {
        let key = vec![9u8; 44];
        assert!(parse(
            &envelope(Principal::anonymous(), None, NOW + 60_000_000_000),
            NOW
        )
        .is_ok());
        let me = Principal::self_authenticating(&key);
        let req = parse(&envelope(me, Some(key), NOW + 60_000_000_000), NOW).unwrap();
        assert_eq!(req.sender, me);
    }

    #[test]
    fn a_sender_that_does_not_match_its_key_is_refused() {
        let other = Principal::self_authenticating([1u8; 44]);
        let err = parse(&envelope(other, Some(vec![2u8; 44]), NOW + 1), NOW).unwrap_err();
        assert_eq!(err.status, 403);
        let err = parse(&envelope(other, None, NOW + 1), NOW).unwrap_err();
        assert_eq!(err.status, 403);
    }

    #[test]
    fn expiry_outside_the_window_is_refused_with_the_text_agents_know() {
        let err = parse(
            &envelope(Principal::anonymous(), None, NOW + 3_600_000_000_000),
            NOW,
        )
        .unwrap_err();
        assert!(
            err.message.starts_with("Invalid request expiry: "),
            "{}",
            err.message
        );
        assert!(parse(
            &envelope(Principal::anonymous(), None, NOW - 3_600_000_000_000),
            NOW
        )
        .is_err());
    }
}
