//! CBOR as the IC HTTP interface uses it: responses start with the self-describe tag 55799,
//! and a request id is the representation-independent hash of the request's `content` map,
//! computed here from the raw CBOR value so fields this server does not know (added by a newer
//! agent) still count, exactly as the client hashed them.

use serde::Serialize;
use serde_cbor::Value;
use sha2::{Digest, Sha256};

/// Serializes with the self-describe tag, as every response body of the interface.
pub fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    let mut ser = serde_cbor::Serializer::new(Vec::new());
    ser.self_describe().expect("writing to a Vec cannot fail");
    value
        .serialize(&mut ser)
        .expect("the interface's types serialize to CBOR");
    ser.into_inner()
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn leb128(mut n: u128, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb128(mut n: i128, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        let done = (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0);
        out.push(if done { byte } else { byte | 0x80 });
        if done {
            return;
        }
    }
}

/// The interface spec's "representation-independent hash" of a CBOR value: blobs and texts
/// hash their bytes, integers their (S)LEB128 encoding, arrays the concatenation of their
/// elements' hashes, maps the sorted concatenation of `H(key) ‖ H(value)`.
pub fn hash_of(value: &Value) -> Result<[u8; 32], String> {
    Ok(match value {
        Value::Bytes(b) => sha256(b),
        Value::Text(t) => sha256(t.as_bytes()),
        Value::Integer(i) => {
            let mut out = Vec::new();
            if *i >= 0 {
                leb128(*i as u128, &mut out);
            } else {
                sleb128(*i, &mut out);
            }
            sha256(&out)
        }
        Value::Array(items) => {
            let mut cat = Vec::with_capacity(items.len() * 32);
            for item in items {
                cat.extend_from_slice(&hash_of(item)?);
            }
            sha256(&cat)
        }
        Value::Map(map) => {
            let mut pairs = Vec::with_capacity(map.len());
            for (k, v) in map {
                let mut pair = hash_of(k)?.to_vec();
                pair.extend_from_slice(&hash_of(v)?);
                pairs.push(pair);
            }
            pairs.sort();
            sha256(&pairs.concat())
        }
        Value::Tag(_, inner) => hash_of(inner)?,
        other => return Err(format!("cannot hash a CBOR {other:?} in a request")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::Principal;
    use ic_transport_types::EnvelopeContent;

    /// The raw-CBOR hash agrees with ic-transport-types' typed one on a real request.
    #[test]
    fn request_id_of_raw_cbor_matches_the_typed_one() {
        let content = EnvelopeContent::Call {
            nonce: Some(vec![1, 2, 3]),
            ingress_expiry: 1_700_000_000_000_000_000,
            sender: Principal::anonymous(),
            canister_id: Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 1, 1]),
            method_name: "hello".into(),
            arg: b"DIDL\0\0".to_vec(),
            sender_info: None,
        };
        let raw: Value = serde_cbor::from_slice(&serde_cbor::to_vec(&content).unwrap()).unwrap();
        assert_eq!(hash_of(&raw).unwrap(), *content.to_request_id());
    }

    #[test]
    fn the_spec_example_hashes_as_documented() {
        // From the interface spec ("Request ids"): a call to method "hello" with arg "DIDL\0\xfd*".
        let content = EnvelopeContent::Call {
            nonce: None,
            ingress_expiry: 1_685_570_400_000_000_000,
            sender: Principal::anonymous(),
            canister_id: Principal::from_slice(&[0, 0, 0, 0, 0, 0, 4, 0xd2]),
            method_name: "hello".into(),
            arg: b"DIDL\x00\xfd*".to_vec(),
            sender_info: None,
        };
        let raw: Value = serde_cbor::from_slice(&serde_cbor::to_vec(&content).unwrap()).unwrap();
        let hex: String = hash_of(&raw)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101"
        );
    }

    #[test]
    fn negative_integers_use_signed_leb128() {
        let mut out = Vec::new();
        sleb128(-123_456, &mut out);
        assert_eq!(out, vec![0xc0, 0xbb, 0x78]);
    }
}
