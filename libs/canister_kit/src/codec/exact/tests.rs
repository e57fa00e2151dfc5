//! The exact reader against candid's own decoder: what it reads candid reads the same, and
//! everything else is left to candid.

use super::*;
use candid::{Deserialize, Principal};

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
enum Shape {
    Empty,
    Circle { radius: u32 },
    Pair(i8, f64),
    Many(Vec<Shape>),
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
struct Id(u64);

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
struct Input {
    id: Id,
    owner: Principal,
    #[serde(rename = "type")]
    kind: String,
    tags: Vec<String>,
    shape: Option<Shape>,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
    list: Vec<u8>,
    flags: (bool, Option<u16>),
    when: Option<i64>,
}

fn sample(n: u64) -> Input {
    Input {
        id: Id(n),
        owner: Principal::from_slice(&[n as u8; 10]),
        kind: "é".repeat(n as usize),
        tags: (0..n).map(|i| i.to_string()).collect(),
        shape: Some(Shape::Many(vec![
            Shape::Empty,
            Shape::Circle { radius: 3 },
            Shape::Pair(-2, 0.5),
            Shape::Many(vec![]),
        ])),
        blob: vec![1, 2, 3],
        list: vec![n as u8; n as usize],
        flags: (n.is_multiple_of(2), Some(n as u16)),
        when: (n > 1).then_some(-(n as i64)),
    }
}

fn exact<T: ExactArgs + 'static>(bytes: &[u8]) -> Option<T> {
    decode::<T>(bytes, true)
}

#[test]
fn reads_what_candid_reads_when_the_types_are_the_declared_ones() {
    for n in [0, 1, 2, 7, 40] {
        let bytes = candid::encode_args((sample(n), 9u64, Shape::Empty)).unwrap();
        let ours: (Input, u64, Shape) = exact(&bytes).expect("the declared types");
        assert_eq!(ours, candid::decode_args(&bytes).unwrap());
    }
    let bytes = candid::encode_one(Some("x".to_string())).unwrap();
    assert_eq!(
        exact::<(Option<String>,)>(&bytes),
        Some((Some("x".into()),))
    );
}

/// `DIDL`, a table, the argument types and the values, written by hand.
fn message(table: &[&[u8]], args: &[u8], values: &[u8]) -> Vec<u8> {
    let mut bytes = b"DIDL".to_vec();
    bytes.push(table.len() as u8);
    for entry in table {
        bytes.extend_from_slice(entry);
    }
    bytes.push(args.len() as u8);
    bytes.extend_from_slice(args);
    bytes.extend_from_slice(values);
    bytes
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
struct Pair {
    a: u64,
    b: Option<String>,
}

fn label(name: &str) -> u8 {
    let id = candid::idl_hash(name);
    assert!(
        id < 128,
        "one-byte labels keep the hand-written tables short"
    );
    id as u8
}

#[test]
fn a_table_in_another_order_is_the_same_type() {
    let (a, b) = (label("a"), label("b"));
    assert!(a < b);
    let values = [5, 0, 0, 0, 0, 0, 0, 0, 1, 2, b'h', b'i'];
    let expected = Pair {
        a: 5,
        b: Some("hi".into()),
    };
    // The record first, then its `opt text`.
    let first = message(&[&[0x6c, 2, a, 0x78, b, 1], &[0x6e, 0x71]], &[0], &values);
    // The `opt text` first, as some encoders write it.
    let second = message(&[&[0x6e, 0x71], &[0x6c, 2, a, 0x78, b, 0]], &[1], &values);
    for bytes in [first, second] {
        assert_eq!(exact::<(Pair,)>(&bytes), Some((expected.clone(),)));
        assert_eq!(candid::decode_one::<Pair>(&bytes).unwrap(), expected);
    }
}

#[test]
fn a_header_seen_once_is_recognised_by_its_bytes() {
    let (a, b) = (label("a"), label("b"));
    let values = [5, 0, 0, 0, 0, 0, 0, 0, 0];
    // The `opt text` first: not candid's own order, so not known before it is seen.
    let bytes = message(&[&[0x6e, 0x71], &[0x6c, 2, a, 0x78, b, 0]], &[1], &values);
    let declared = prepare::<(Pair,)>().unwrap();
    assert_eq!(declared.known_header_len(&bytes), None);
    let own = candid::encode_one(Pair { a: 1, b: None }).unwrap();
    assert!(
        declared.known_header_len(&own).is_some(),
        "candid's own header"
    );
    assert!(exact::<(Pair,)>(&bytes).is_some());
    assert_eq!(
        declared.known_header_len(&bytes),
        Some(bytes.len() - values.len())
    );
    // A query learns nothing (a third spelling: the `opt text` twice in the table).
    let other = message(
        &[&[0x6e, 0x71], &[0x6e, 0x71], &[0x6c, 2, a, 0x78, b, 1]],
        &[2],
        &values,
    );
    assert!(decode::<(Pair,)>(&other, false).is_some());
    assert_eq!(declared.known_header_len(&other), None);
}

#[test]
fn other_types_are_left_to_candid() {
    let (a, b) = (label("a"), label("b"));
    // A record without its `opt` field: a subtype candid accepts, not the declared type.
    let without_b = message(&[&[0x6c, 1, a, 0x78]], &[0], &[5, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(exact::<(Pair,)>(&without_b), None);
    assert_eq!(
        candid::decode_one::<Pair>(&without_b).unwrap(),
        Pair { a: 5, b: None }
    );
    // `nat` where `nat64` is declared.
    let nat = message(&[&[0x6c, 2, a, 0x7d, b, 1], &[0x6e, 0x71]], &[0], &[5, 0]);
    assert_eq!(exact::<(Pair,)>(&nat), None);
    // An extra argument, a missing one, and trailing bytes.
    let two = candid::encode_args((7u64, 8u64)).unwrap();
    assert_eq!(exact::<(u64,)>(&two), None);
    assert_eq!(exact::<(u64, u64, u64)>(&two), None);
    let mut trailing = candid::encode_one(7u64).unwrap();
    trailing.push(0);
    assert_eq!(exact::<(u64,)>(&trailing), None);
    // A type this reader does not handle at all.
    let big = candid::encode_one(candid::Nat::from(3u8)).unwrap();
    assert_eq!(exact::<(candid::Nat,)>(&big), None);
}

#[test]
fn a_vector_longer_than_the_message_is_left_to_candid() {
    // `vec text` claiming 2^40 elements in a few bytes.
    let bytes = message(
        &[&[0x6d, 0x71]],
        &[0],
        &[0x80, 0x80, 0x80, 0x80, 0x80, 0x20],
    );
    assert_eq!(exact::<(Vec<String>,)>(&bytes), None);
}

/// Whatever the bytes, the reader never panics, and what it reads candid reads the same.
#[test]
fn damaged_messages_are_never_read_differently_from_candid() {
    let good = candid::encode_args((sample(3), 9u64)).unwrap();
    let mut checked = 0;
    let mut variants = Vec::new();
    for cut in 0..good.len() {
        variants.push(good[..cut].to_vec());
    }
    for at in 0..good.len() {
        for byte in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut bytes = good.clone();
            bytes[at] = byte;
            variants.push(bytes);
        }
    }
    for bytes in variants {
        if let Some(ours) = exact::<(Input, u64)>(&bytes) {
            let theirs: (Input, u64) = candid::decode_args(&bytes)
                .unwrap_or_else(|e| panic!("candid refuses what was read: {e}"));
            assert_eq!(ours, theirs);
            checked += 1;
        }
    }
    assert!(
        checked > 10,
        "some damaged messages are still valid ({checked})"
    );
}

#[test]
fn recursion_deeper_than_the_limit_is_left_to_candid() {
    let mut deep = Shape::Empty;
    for _ in 0..(MAX_DEPTH + 5) {
        deep = Shape::Many(vec![deep]);
    }
    let bytes = candid::encode_one(&deep).unwrap();
    assert_eq!(exact::<(Shape,)>(&bytes), None);
    let mut shallow = Shape::Empty;
    for _ in 0..10 {
        shallow = Shape::Many(vec![shallow]);
    }
    let bytes = candid::encode_one(&shallow).unwrap();
    assert_eq!(exact::<(Shape,)>(&bytes), Some((shallow,)));
}

#[test]
fn a_known_header_is_recognised_by_its_bytes() {
    let bytes: Vec<u8> = (0..40u8).collect();
    for len in 0..=40 {
        assert!(starts_with(&bytes, &bytes[..len]), "{len}");
        if len > 0 {
            let mut other = bytes[..len].to_vec();
            other[len - 1] ^= 1;
            assert!(!starts_with(&bytes, &other), "{len}");
        }
    }
    assert!(!starts_with(&bytes[..3], &bytes[..4]));
}
