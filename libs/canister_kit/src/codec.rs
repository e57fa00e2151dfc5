//! Candid for endpoints at a cost that follows the value, not its type.
//!
//! ic-cdk's generated endpoints decode arguments and encode the reply with candid's general
//! functions. Encoding a reply describes the reply's type from scratch each time (every field
//! label hashed, the type table built and sorted), which for the calendar's `Result<Event,
//! Error>` costs several times more than the value itself, and the same on an error reply. Here
//! that description (the `DIDL` header) is computed once per Rust type per canister instance and
//! reused: the value bytes come from candid's own `ValueSerializer`, which writes values in the
//! same canonical order whatever the header, so the bytes equal `candid::encode_one`'s (the
//! tests check this, and [`reply`] checks it on the first reply of each type).
//!
//! A reply whose type is a variant (every `Result`) is sent with a narrower type: only the
//! case the value is in, and inside it, if that case holds a variant again (an `Error`), only
//! its case. Candid's subtyping makes `variant { Err : variant { NotFound : record { what :
//! text } } }` a subtype of `variant { Ok : Event; Err : Error }`, so every decoder reads it as
//! the declared type; the reply is a few dozen bytes instead of hundreds of type description,
//! and the IC charges 50 instructions per byte a canister sends. The narrow header is built
//! once per (type, case) with candid's own type serializer (`TypeSerialize`: public, though
//! hidden from its docs; pinned by Cargo.lock), and the first reply of each case is decoded back
//! as the declared type and compared before the header is trusted; if that check ever fails,
//! the case keeps the full header.
//!
//! A small reply (an event, an error) is narrowed further, to its value: `opt` record fields
//! that are null are left out, every variant inside keeps only its case, and an empty vector is
//! a `vec empty`, a blob excepted (`exact::narrow`; subtypes again). Its type description then
//! covers what the value uses: for `get_event`'s reply about half the bytes. The narrow header of each shape is
//! built once: at install for the cases whose values take only a few shapes (an error's;
//! [`prepare`]), else in the first update that meets it (a query cannot keep it; until an
//! update met a shape, a query sends the case-narrowed header above). A reply walks its value
//! in buffers kept from one reply to the next, so it allocates only the bytes it sends.
//!
//! Arguments whose wire types are exactly the declared ones (what a client built from the
//! `.did` sends) are read by [`exact`], which skips the type checks that cannot change the
//! outcome. Every other message is decoded by candid with the limits the candid docs recommend
//! for endpoints: a decoding quota (so a small message cannot demand unbounded work), a small
//! skipping quota, and short error messages (formatting full types into an error is itself
//! expensive).
//!
//! Every endpoint of every canister (and of the kit's endpoint macros) uses it through ic-cdk's
//! `decode_with` / `encode_with` attributes, with `#[candid_method]` carrying the signature for
//! the `.did` check:
//! `#[query(hidden = true, decode_with = "canister_kit::codec::arg", encode_with =
//! "canister_kit::codec::query_reply")]` (`reply` for updates, `args` for endpoints with
//! several arguments, no `decode_with` for those without). Each canister's `prepare_codec` (in
//! its `lib.rs`, run at install and upgrade) lists its queries' types.
//! No library offers a cached reply header (candid's `IDLBuilder` clears its type memo on each
//! use by design), hence this module.

mod deferred;
mod exact;
pub mod profile;

pub use deferred::{deferred, deferred_last, Deferred};
pub use exact::ExactArgs;

use std::any::TypeId;
use std::cell::RefCell;
use std::rc::Rc;

use rustc_hash::FxHashMap as HashMap;

use candid::ser::{TypeSerialize, ValueSerializer};
use candid::types::{Field, Type, TypeInner};
use candid::utils::ArgumentDecoder;
use candid::{CandidType, DecoderConfig, Deserialize};

/// Decoding work allowed per argument byte (candid's cost model, see `DecoderConfig`), with a
/// floor so small messages with `opt` fields and variants still decode.
const DECODING_QUOTA_PER_BYTE: usize = 200;
const DECODING_QUOTA_FLOOR: usize = 200_000;
/// Work allowed for skipping fields and arguments this code does not know (recommended: small).
const SKIPPING_QUOTA: usize = 10_000;

/// How deep a reply's variant cases are narrowed (a `Result` and its error: 2).
const MAX_NARROWED_DEPTH: usize = 4;
/// Replies whose value bytes are at most this long are narrowed to their value: below it the
/// type description is most of the reply; above it (pages of events) walking the value would
/// cost more than the bytes it saves.
const SHAPED_VALUE_MAX: usize = 2_048;
/// The value bytes a reply's buffer starts with room for (an error, a small record).
const SMALL_VALUE_BYTES: usize = 128;
/// Value-narrowed headers kept at most (each a few hundred bytes of heap).
const MAX_SHAPED: usize = 1_024;
/// A case's value-narrowed headers are built at install only if its values take at most this
/// many shapes.
const MAX_PREPARED_SHAPES_PER_CASE: usize = 16;

/// A reply type's narrow headers by the cases (or the choices) taken (`None`: the subtype
/// check refused one).
type NarrowHeaders = HashMap<Vec<u32>, Option<Rc<[u8]>>>;
/// `NARROW` or `SHAPED`: narrow headers by reply type, then by cases or choices.
type Headers = std::thread::LocalKey<RefCell<HashMap<TypeId, NarrowHeaders>>>;

thread_local! {
    /// The `DIDL` header (magic, type table, argument types) of each reply type seen so far.
    static HEADERS: RefCell<HashMap<TypeId, Rc<[u8]>>> = RefCell::new(HashMap::default());
    /// The variant cases of each reply type (`None` when it is not a variant).
    static SHAPES: RefCell<HashMap<TypeId, Option<Rc<Shape>>>> = RefCell::new(HashMap::default());
    /// Narrow headers per reply type and cases taken; `None` when the check refused one. By
    /// type first, so a reply looks its cases up without copying them into a key.
    static NARROW: RefCell<HashMap<TypeId, NarrowHeaders>> = RefCell::new(HashMap::default());
    /// Set while a query method replies (see [`query_reply`]).
    static IN_QUERY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The declared graph of each reply type (`None`: a type the walk does not follow).
    static GRAPHS: RefCell<HashMap<TypeId, Option<Rc<exact::Declared>>>> =
        RefCell::new(HashMap::default());
    /// Value-narrowed headers per reply type and choices of the value (by type first, as
    /// `NARROW`); `None` when the check refused one.
    static SHAPED: RefCell<HashMap<TypeId, NarrowHeaders>> = RefCell::new(HashMap::default());
    /// A walked reply's value bytes and choices (see `exact::narrow::walk`), kept from one
    /// reply to the next so that a reply allocates no buffer for them.
    static WALKED: RefCell<(Vec<u8>, Vec<u32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// A variant type: its cases in wire order (by label id), each with the shape of its payload
/// when the payload is a variant too.
struct Shape {
    cases: Vec<(candid::types::SharedLabel, Type, Option<Rc<Shape>>, bool)>,
}

/// Whether a value of `ty` can take a narrower type than `ty` (see `exact::narrow`): it holds
/// an `opt`, a vector or a variant.
fn narrowable(ty: &Type, depth: usize) -> bool {
    let ty = match ty.as_ref() {
        TypeInner::Knot(id) => match candid::types::internal::find_type(id) {
            Some(ty) => ty,
            None => return true,
        },
        _ => ty.clone(),
    };
    match ty.as_ref() {
        TypeInner::Opt(_) | TypeInner::Vec(_) | TypeInner::Variant(_) => true,
        TypeInner::Record(fields) => {
            depth == 0 || fields.iter().any(|f| narrowable(&f.ty, depth - 1))
        }
        _ => false,
    }
}

impl Shape {
    fn of(ty: &Type, depth: usize) -> Option<Rc<Shape>> {
        let TypeInner::Variant(fields) = ty.as_ref() else {
            return None;
        };
        if depth == 0 {
            return None;
        }
        let mut cases: Vec<_> = fields
            .iter()
            .map(|f| {
                let inner = Shape::of(&f.ty, depth - 1);
                (f.id.clone(), f.ty.clone(), inner, narrowable(&f.ty, 8))
            })
            .collect();
        cases.sort_by_key(|(id, _, _, _)| id.get_id());
        Some(Rc::new(Shape { cases }))
    }

    /// Every sequence of cases a value can take, as deep as the shape goes.
    fn paths(&self) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        for (index, (_, _, inner, _)) in self.cases.iter().enumerate() {
            match inner {
                Some(inner) => out.extend(inner.paths().into_iter().map(|mut p| {
                    p.insert(0, index as u32);
                    p
                })),
                None => out.push(vec![index as u32]),
            }
        }
        out
    }

    /// Whether the payload of the cases `path` takes can narrow further (see [`narrowable`]).
    fn ends_narrowable(&self, path: &[u32]) -> bool {
        let (_, _, inner, narrowable) = &self.cases[path[0] as usize];
        match inner {
            Some(inner) if path.len() > 1 => inner.ends_narrowable(&path[1..]),
            _ => *narrowable,
        }
    }

    /// The narrow type for the cases `path` takes, innermost payload kept whole.
    fn narrow(&self, path: &[u32]) -> Type {
        let (label, payload, inner, _) = &self.cases[path[0] as usize];
        let ty = match (inner, path.len()) {
            (Some(inner), n) if n > 1 => inner.narrow(&path[1..]),
            _ => payload.clone(),
        };
        TypeInner::Variant(vec![Field {
            id: label.clone(),
            ty,
        }])
        .into()
    }
}

/// Decodes the argument of a one-argument endpoint (see [`args`]).
pub fn arg<T>(bytes: Vec<u8>) -> T
where
    T: CandidType + for<'a> Deserialize<'a> + 'static,
{
    args::<(T,)>(bytes).0
}

/// [`arg`] for query endpoints: marks the message as one whose heap changes are discarded (see
/// [`kept_after_this_message`]) before reading.
pub fn query_arg<T>(bytes: Vec<u8>) -> T
where
    T: CandidType + for<'a> Deserialize<'a> + 'static,
{
    IN_QUERY.set(true);
    arg(bytes)
}

/// [`args`] for query endpoints (see [`query_arg`]).
pub fn query_args<T>(bytes: Vec<u8>) -> T
where
    T: for<'a> ArgumentDecoder<'a> + ExactArgs + 'static,
{
    IN_QUERY.set(true);
    args(bytes)
}

/// Decodes an endpoint's arguments as a tuple, trapping with a short message on bytes that are
/// not the expected Candid, as ic-cdk's default decoding does.
pub fn args<T>(bytes: Vec<u8>) -> T
where
    T: for<'a> ArgumentDecoder<'a> + ExactArgs + 'static,
{
    profile::mark("entry", || ());
    profile::mark("args decoded", || {
        // The usual case: the client sent exactly the declared types (see `exact`).
        if let Some(args) = exact::decode::<T>(&bytes, kept_after_this_message()) {
            return args;
        }
        let mut config = DecoderConfig::new();
        config
            .set_decoding_quota(DECODING_QUOTA_FLOOR.max(DECODING_QUOTA_PER_BYTE * bytes.len()))
            .set_skipping_quota(SKIPPING_QUOTA)
            .set_full_error_message(false);
        let decoded = profile::mark("args header", || {
            candid::de::IDLDeserialize::new_with_config(&bytes, &config)
        })
        .and_then(|mut de| {
            let args = profile::mark("args values", || T::decode(&mut de))?;
            de.done()?;
            Ok(args)
        });
        match decoded {
            Ok(args) => args,
            Err(e) => panic!("failed to decode the call's arguments: {e}"),
        }
    })
}

/// Whether the exact reader reads `bytes` as the arguments `T` (else a call goes to candid's
/// decoder): for tests that each endpoint's arguments, as clients send them, take the fast path.
pub fn reads_exactly<T: ExactArgs + 'static>(bytes: &[u8]) -> bool {
    exact::decode::<T>(bytes, false).is_some()
}

/// Builds what reading arguments of types `T` (a tuple) needs, so that no call builds it: call
/// it for each endpoint's argument types where the code is installed or upgraded (see
/// [`prepare`] for why).
pub fn prepare_args<T: ExactArgs + 'static>() {
    let _ = exact::prepare::<T>();
}

/// Builds every header `T`'s replies can need, so that no reply of type `T` builds one. Call it
/// for each endpoint's reply type where the code is installed or upgraded: a query's heap
/// changes are discarded, so a header first built in a query would be built in every query.
pub fn prepare<T: CandidType + 'static>() {
    let _ = full_header::<T>();
    let graph = graph_of::<T>();
    let mut narrowed_to_value = Vec::new();
    match shape_of::<T>() {
        Some(shape) => {
            for path in shape.paths() {
                if shape.ends_narrowable(&path) {
                    narrowed_to_value.push(path.clone());
                }
                let _ = narrow_header_of::<T>(&shape, path);
            }
        }
        None => narrowed_to_value.push(Vec::new()),
    }
    // A small value is sent with the header of its own shape (see `encode_reply`): build those
    // of every case whose values take only a few shapes (an error's, not an event's).
    let Some(graph) = graph else { return };
    let full = declared::<T>();
    for cases in narrowed_to_value {
        let all = exact::narrow::choices_under(&graph, &cases, MAX_PREPARED_SHAPES_PER_CASE);
        for choices in all.unwrap_or_default() {
            if cached::<T>(&SHAPED, &choices).is_none() {
                let header = shaped_header_from::<T>(&full, &choices);
                keep::<T>(&SHAPED, choices, header);
            }
        }
    }
}

/// Encodes one reply value: with the narrow header of its case when `T` is a variant, else
/// with the cached header of `T`.
pub fn reply<T: CandidType + 'static>(value: T) -> Vec<u8> {
    profile::logic_done();
    let bytes = profile::mark("reply encoded", || encode_reply(&value));
    profile::flush();
    bytes
}

/// [`reply`] for query endpoints. A query keeps no heap change, also when it is called as an
/// update (in replicated execution): nothing it builds may be counted on later, so it builds
/// no header (see [`kept_after_this_message`]). Queries with arguments are marked already by
/// [`query_arg`] or [`query_args`].
pub fn query_reply<T: CandidType + 'static>(value: T) -> Vec<u8> {
    IN_QUERY.set(true);
    let bytes = reply(value);
    // Reset for whatever runs next in this instance (the IC discards a query's heap changes,
    // but a runtime that kept them must not see every later message as a query).
    IN_QUERY.set(false);
    bytes
}

/// [`reply`] without the profile marks.
pub fn encode_reply<T: CandidType + 'static>(value: &T) -> Vec<u8> {
    let mut serializer = ValueSerializer::new();
    // Room for a small reply at once, rather than growing the buffer byte by byte from empty.
    let _ = serializer.try_reserve(SMALL_VALUE_BYTES);
    value
        .idl_serialize(&mut serializer)
        .expect("a reply value always serializes");
    let values = serializer.get_result();
    let small = values.len() <= SHAPED_VALUE_MAX;
    let known = SHAPES.with(|shapes| shapes.borrow().get(&TypeId::of::<T>()).cloned());
    let shape = match known {
        Some(shape) => shape,
        // Unprepared, in a query: as cheap as candid's own encoding (see below).
        None if !kept_after_this_message() => return with_header(&full_header::<T>(), values),
        None => shape_of::<T>(),
    };
    let Some(shape) = shape else {
        if small {
            if let Some(bytes) = shaped_reply::<T>(values) {
                return bytes;
            }
        }
        return with_header(&full_header::<T>(), values);
    };
    // The cases the value takes: each variant value starts with its case index (LEB128).
    let mut path = [0; MAX_NARROWED_DEPTH];
    let mut depth = 0;
    let mut at = 0;
    // At most `MAX_NARROWED_DEPTH` levels: `Shape::of` goes no deeper.
    let mut level = Some(&*shape);
    let mut narrowable = true;
    while let Some(s) = level {
        let Some((index, len)) = read_leb128(&values[at..]) else {
            break;
        };
        let Some(case) = s.cases.get(index as usize) else {
            break;
        };
        path[depth] = index;
        depth += 1;
        at += len;
        narrowable = case.3;
        level = case.2.as_deref();
    }
    // Only a payload with `opt`, vector or variant types in it narrows further (an event does,
    // an error's record of text does not).
    if small && narrowable {
        if let Some(bytes) = shaped_reply::<T>(values) {
            return bytes;
        }
    }
    let path = &path[..depth];
    let cached = cached::<T>(&NARROW, path);
    let header = match cached {
        Some(header) => header,
        // A query cannot keep what it builds: building the narrow header in each one would cost
        // more than the full header, so an unprepared type keeps that in queries.
        None if !kept_after_this_message() => None,
        None => narrow_header_of::<T>(&shape, path.to_vec()),
    };
    let Some(header) = header else {
        return with_header(&full_header::<T>(), values);
    };
    // Each narrowed variant has one case, so its index is 0 (one LEB128 byte).
    let mut bytes = Vec::with_capacity(header.len() + path.len() + values.len() - at);
    bytes.extend_from_slice(&header);
    bytes.resize(bytes.len() + path.len(), 0);
    bytes.extend_from_slice(&values[at..]);
    bytes
}

/// The reply narrowed to its value (see `exact::narrow`), if its header is known or may be
/// built now; `None` leaves it to the case-narrowed or full header.
fn shaped_reply<T: CandidType + 'static>(values: &[u8]) -> Option<Vec<u8>> {
    let graph = graph_of::<T>()?;
    WALKED.with_borrow_mut(|(bytes, choices)| {
        bytes.clear();
        choices.clear();
        exact::narrow::walk(&graph, values, bytes, choices)?;
        let header = match cached::<T>(&SHAPED, choices) {
            Some(header) => header?,
            None => {
                // A query cannot keep what it builds, and a full cache takes no more.
                let room =
                    SHAPED.with_borrow(|s| s.values().map(|m| m.len()).sum::<usize>()) < MAX_SHAPED;
                if !kept_after_this_message() || !room {
                    return None;
                }
                let header = shaped_header::<T>(choices);
                keep::<T>(&SHAPED, choices.clone(), header.clone());
                header?
            }
        };
        Some(with_header(&header, bytes))
    })
}

/// The header `headers` (`NARROW` or `SHAPED`) keeps for `T`'s cases or choices `key`, if one
/// was built (`Some(None)`: refused).
fn cached<T: 'static>(headers: &'static Headers, key: &[u32]) -> Option<Option<Rc<[u8]>>> {
    headers.with_borrow(|h| h.get(&TypeId::of::<T>())?.get(key).cloned())
}

/// Keeps `header` (`None`: refused) in `headers` for `T`'s cases or choices `key`.
fn keep<T: 'static>(headers: &'static Headers, key: Vec<u32>, header: Option<Rc<[u8]>>) {
    headers.with_borrow_mut(|h| h.entry(TypeId::of::<T>()).or_default().insert(key, header));
}

/// The graph of `T` for the walk, built once (in a query only if prepared).
fn graph_of<T: CandidType + 'static>() -> Option<Rc<exact::Declared>> {
    if let Some(known) = GRAPHS.with(|g| g.borrow().get(&TypeId::of::<T>()).cloned()) {
        return known;
    }
    if !kept_after_this_message() {
        return None;
    }
    let graph = exact::graph_of(&declared::<T>()).map(Rc::new);
    GRAPHS.with(|g| g.borrow_mut().insert(TypeId::of::<T>(), graph.clone()));
    graph
}

/// The header of `T` narrowed by a value's `choices`, only if candid's subtype check confirms
/// that the narrowed type is a subtype of `T`'s.
fn shaped_header<T: CandidType + 'static>(choices: &[u32]) -> Option<Rc<[u8]>> {
    shaped_header_from::<T>(&declared::<T>(), choices)
}

/// [`shaped_header`] with `T`'s declared type built already (`full`, its named types still
/// registered).
fn shaped_header_from<T: CandidType + 'static>(full: &Type, choices: &[u32]) -> Option<Rc<[u8]>> {
    let narrow = exact::narrow::narrow_type(full, choices)?;
    // A case of a recursive type can bring the whole type back beside its narrowed copy.
    subtype_header(&narrow, full).filter(|h| h.len() < full_header::<T>().len())
}

/// The header of `narrow`, only if candid's subtype check confirms that it is a subtype of
/// `full` (else `None`: the reply keeps a wider header).
fn subtype_header(narrow: &Type, full: &Type) -> Option<Rc<[u8]>> {
    let mut gamma = candid::types::subtype::Gamma::new();
    let env = candid::TypeEnv::new();
    candid::types::subtype::subtype(&mut gamma, &env, narrow, full).ok()?;
    header_for(narrow)
}

/// The bytes `candid::encode_one(value)` gives, with the header of `T` built once (stored
/// values use this: they keep their declared type whole).
pub fn encode<T: CandidType + 'static>(value: &T) -> Vec<u8> {
    with_header(&full_header::<T>(), &value_bytes(value))
}

fn value_bytes<T: CandidType>(value: &T) -> Vec<u8> {
    let mut values = ValueSerializer::new();
    value
        .idl_serialize(&mut values)
        .expect("a reply value always serializes");
    values.get_result().to_vec()
}

fn with_header(header: &[u8], values: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(header.len() + values.len());
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(values);
    bytes
}

/// Whether the heap changes of this message persist: not in a query method (marked by
/// [`query_arg`], [`query_args`] and [`query_reply`]; the mark itself is dropped with the
/// query's other changes). Only query methods run as query calls, and an update method always
/// runs replicated, so the mark decides without asking the system (`in_replicated_execution`
/// costs 500 instructions a call). A query method left unmarked only builds what it then loses.
fn kept_after_this_message() -> bool {
    !IN_QUERY.get()
}

/// `DIDL`, the type table and the one argument type of `ty` (candid's own type serializer).
fn header_for(ty: &Type) -> Option<Rc<[u8]>> {
    let mut types = TypeSerialize::new();
    types.push_type(ty).ok()?;
    types.serialize().ok()?;
    let mut header = b"DIDL".to_vec();
    header.extend_from_slice(types.get_result());
    Some(header.into())
}

/// The type of `T` as candid describes it, with the named types it refers to registered.
fn declared<T: CandidType>() -> Type {
    candid::types::internal::env_clear();
    T::ty()
}

fn full_header<T: CandidType + 'static>() -> Rc<[u8]> {
    if let Some(header) = HEADERS.with(|h| h.borrow().get(&TypeId::of::<T>()).cloned()) {
        return header;
    }
    let header = header_for(&declared::<T>()).expect("a declared type always serializes");
    HEADERS.with(|h| h.borrow_mut().insert(TypeId::of::<T>(), header.clone()));
    header
}

fn shape_of<T: CandidType + 'static>() -> Option<Rc<Shape>> {
    SHAPES.with(|shapes| {
        shapes
            .borrow_mut()
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Shape::of(&declared::<T>(), MAX_NARROWED_DEPTH))
            .clone()
    })
}

/// The narrow header for the cases `path`, built once: only if candid's subtype check
/// confirms that the narrow type is a subtype of `T`'s (else `None`: the full header is used).
fn narrow_header_of<T: CandidType + 'static>(shape: &Shape, path: Vec<u32>) -> Option<Rc<[u8]>> {
    if let Some(cached) = cached::<T>(&NARROW, &path) {
        return cached;
    }
    let header = subtype_header(&shape.narrow(&path), &declared::<T>());
    keep::<T>(&NARROW, path, header.clone());
    header
}

/// A case index at the start of `bytes` (unsigned LEB128) and its length. By hand: candid's
/// reader returns a big integer, which costs more than the rest of a small reply's encoding.
fn read_leb128(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(5) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((u32::try_from(value).ok()?, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests;
