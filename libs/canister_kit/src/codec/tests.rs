//! Tests of the endpoint codec: cached and narrowed reply headers against candid's own
//! encoding, and arguments read back as candid reads them.

use super::*;
use candid::{Deserialize, Principal};

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
enum Shape {
    Empty,
    Circle { radius: u32 },
    Many(Vec<Shape>),
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
struct Record {
    id: u64,
    owner: Principal,
    name: String,
    tags: Vec<String>,
    shape: Option<Shape>,
    bytes: serde_bytes_like::Bytes,
}

mod serde_bytes_like {
    pub type Bytes = Vec<u8>;
}

fn sample(n: u64) -> Record {
    Record {
        id: n,
        owner: Principal::from_slice(&[n as u8; 10]),
        name: "x".repeat(n as usize),
        tags: (0..n).map(|i| i.to_string()).collect(),
        shape: Some(Shape::Many(vec![Shape::Empty, Shape::Circle { radius: 3 }])),
        bytes: vec![1, 2, 3],
    }
}

#[test]
fn replies_equal_candids_own_encoding_every_time() {
    for n in [0, 1, 5, 40] {
        let ok: Result<Record, String> = Ok(sample(n));
        let err: Result<Record, String> = Err("no".into());
        for value in [ok, err] {
            // Twice: the first builds the header, the second reuses it.
            for _ in 0..2 {
                assert_eq!(encode(&value), candid::encode_one(&value).unwrap());
            }
        }
    }
    assert_eq!(encode(&()), candid::encode_one(()).unwrap());
    assert_eq!(encode(&7u8), candid::encode_one(7u8).unwrap());
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
enum Problem {
    NotFound {
        what: String,
    },
    Invalid {
        field: String,
        detail: Option<Record>,
    },
    Stale(u64, u64),
    Anonymous,
}

#[test]
fn replies_of_every_case_decode_as_the_declared_type_and_are_smaller() {
    let cases: Vec<Result<Record, Problem>> = vec![
        Ok(sample(3)),
        Err(Problem::NotFound { what: "x".into() }),
        Err(Problem::Invalid {
            field: "title".into(),
            detail: Some(sample(1)),
        }),
        Err(Problem::Stale(1, 2)),
        Err(Problem::Anonymous),
    ];
    for value in cases {
        for _ in 0..2 {
            let narrow = encode_reply(&value);
            let full = candid::encode_one(&value).unwrap();
            let back: Result<Record, Problem> = candid::decode_one(&narrow).unwrap();
            assert_eq!(back, value);
            assert!(narrow.len() < full.len(), "{value:?}");
        }
    }
    let err: Result<Record, Problem> = Err(Problem::Anonymous);
    assert!(encode_reply(&err).len() <= 32, "{:?}", encode_reply(&err));
}

#[test]
fn small_replies_are_narrowed_to_their_value_and_read_back_as_declared() {
    let plain = Record {
        id: 1,
        owner: Principal::from_slice(&[1; 29]),
        name: "plain".into(),
        tags: vec![],
        shape: None,
        bytes: vec![],
    };
    let circle = Record {
        shape: Some(Shape::Circle { radius: 3 }),
        tags: vec!["a".into()],
        ..plain.clone()
    };
    // A case of the recursive `Shape` brings its whole type back: never longer than
    // candid's own encoding.
    for (value, shorter) in [(plain.clone(), true), (circle, true), (sample(0), false)] {
        for _ in 0..2 {
            let narrow = encode_reply(&value);
            let full = candid::encode_one(&value).unwrap();
            assert_eq!(candid::decode_one::<Record>(&narrow).unwrap(), value);
            assert!(narrow.len() <= full.len(), "{value:?}");
            assert_eq!(narrow.len() < full.len(), shorter, "{value:?}");
        }
    }
    // Null `opt` fields and empty vectors leave only the fields' own types.
    let narrow = encode_reply(&plain);
    let full = candid::encode_one(&plain).unwrap();
    assert!(
        narrow.len() + 30 < full.len(),
        "{} of {}",
        narrow.len(),
        full.len()
    );
    // Nested options and results.
    for nested in [Some(Err(Problem::Stale(3, 4))), Some(Ok(())), None] {
        let narrow = encode_reply(&nested);
        let back: Option<Result<(), Problem>> = candid::decode_one(&narrow).unwrap();
        assert_eq!(back, nested);
        assert!(narrow.len() <= candid::encode_one(&nested).unwrap().len());
    }
    // A large value keeps its declared type whole: walking it would cost more than the
    // bytes it saves.
    let large = sample(600);
    assert!(value_bytes(&large).len() > SHAPED_VALUE_MAX);
    assert_eq!(encode_reply(&large), candid::encode_one(&large).unwrap());
}

#[test]
fn prepare_builds_a_header_for_every_case() {
    prepare::<Result<Vec<Problem>, Problem>>();
    let built = NARROW.with(|n| {
        n.borrow()
            .get(&TypeId::of::<Result<Vec<Problem>, Problem>>())
            .map_or(0, |by_cases| {
                by_cases.values().filter(|h| h.is_some()).count()
            })
    });
    assert_eq!(built, 1 + 4, "Ok, and the four cases of Err");
    assert!(HEADERS.with(|h| h
        .borrow()
        .contains_key(&TypeId::of::<Result<Vec<Problem>, Problem>>())));
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
enum Why {
    TooLong { max: u64 },
    Empty,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
enum Refusal {
    Invalid { field: String, why: Why },
    Gone,
}

#[test]
fn prepare_builds_the_value_headers_of_errors_so_that_queries_send_them() {
    // A pair of records takes 10 x 10 shapes (`tags` empty or not, `shape` null or one of 4).
    type Reply = Result<(Record, Record), Refusal>;
    let in_query = |value: &Reply| {
        IN_QUERY.set(true);
        let bytes = encode_reply(value);
        IN_QUERY.set(false);
        bytes
    };
    let refused: Reply = Err(Refusal::Invalid {
        field: "name".into(),
        why: Why::Empty,
    });
    // Unprepared, a query cannot keep a header it builds, so it sends the declared type.
    assert_eq!(in_query(&refused), candid::encode_one(&refused).unwrap());
    prepare::<Reply>();
    let shaped = SHAPED.with_borrow(|s| s.get(&TypeId::of::<Reply>()).map_or(0, |m| m.len()));
    // `Invalid` with each `Why`; `Gone` has nothing to narrow, and the pair takes too many
    // shapes to build them all.
    assert_eq!(shaped, 2);
    let sent = in_query(&refused);
    let declared = candid::encode_one(&refused).unwrap();
    assert!(sent.len() * 2 < declared.len(), "{sent:?}");
    assert_eq!(sent, encode_reply(&refused), "what an update sends");
    assert_eq!(candid::decode_one::<Reply>(&sent).unwrap(), refused);
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq)]
struct Page {
    #[serde(with = "serde_bytes")]
    body: Vec<u8>,
    headers: Vec<(String, String)>,
    upgrade: Option<bool>,
}

#[test]
fn an_empty_blob_stays_a_blob_for_decoders_that_read_bytes() {
    prepare::<Page>();
    for body in [vec![], vec![1, 2]] {
        let page = Page {
            body,
            headers: vec![],
            upgrade: Some(true),
        };
        for in_query in [true, false] {
            IN_QUERY.set(in_query);
            let sent = encode_reply(&page);
            IN_QUERY.set(false);
            assert_eq!(candid::decode_one::<Page>(&sent).unwrap(), page);
        }
    }
}

#[test]
fn arguments_decode_like_candid_and_refuse_garbage() {
    let bytes = candid::encode_args((sample(3), 9u64)).unwrap();
    let (record, n): (Record, u64) = args(bytes);
    assert_eq!((record, n), (sample(3), 9));
    let refused = std::panic::catch_unwind(|| args::<(u64,)>(b"DIDL\x00\x01\x71".to_vec()));
    assert!(refused.is_err());
}

#[test]
fn a_long_vector_of_nulls_is_refused_by_the_quota() {
    // 10^7 `null`s in nine bytes: candid decodes it when unbounded, the quota refuses it.
    let mut bytes = b"DIDL\x01\x6d\x7f\x01\x00".to_vec();
    bytes.extend_from_slice(&[0x80, 0xad, 0xe2, 0x04]);
    let unbounded: (Vec<()>,) = candid::utils::decode_args(&bytes).unwrap();
    assert_eq!(unbounded.0.len(), 10_000_000);
    let refused = std::panic::catch_unwind(|| args::<(Vec<()>,)>(bytes));
    assert!(refused.is_err());
}

/// A deferred last argument: the first two are read at once, the last when asked for, and a
/// message of other types (here a subtype: a record with a field the endpoint does not declare)
/// is read whole by candid, with the same values.
#[test]
fn a_deferred_last_argument_reads_as_candid_reads_it() {
    let exact = candid::encode_args((7u64, 9u64, sample(3))).unwrap();
    let (id, revision, record) = deferred_last::<u64, u64, Record>(exact);
    assert_eq!((id, revision), (7, 9));
    assert_eq!(record.read(), sample(3));

    #[derive(CandidType)]
    struct Newer {
        id: u64,
        owner: Principal,
        name: String,
        tags: Vec<String>,
        shape: Option<Shape>,
        bytes: Vec<u8>,
        extra: String,
    }
    let s = sample(2);
    let newer = Newer {
        id: s.id,
        owner: s.owner,
        name: s.name.clone(),
        tags: s.tags.clone(),
        shape: s.shape.clone(),
        bytes: s.bytes.clone(),
        extra: "ignored".into(),
    };
    let other = candid::encode_args((1u64, 2u64, newer)).unwrap();
    assert!(!reads_exactly::<(u64, u64, Record)>(&other));
    let (id, revision, record) = deferred_last::<u64, u64, Record>(other);
    assert_eq!((id, revision, record.read()), (1, 2, s));

    let given: Deferred<Record> = sample(1).into();
    assert_eq!(given.read(), sample(1));
    assert_eq!(
        deferred::<Record>(candid::encode_one(sample(4)).unwrap()).read(),
        sample(4)
    );
}
