//! Arguments whose wire type is exactly the declared type, read without candid's general
//! decoder.
//!
//! Why it exists: the per-call profile (`tests/benches/per_call.rs`) shows candid's decoder
//! spending most of a small update's instructions on its argument: building a type environment
//! from the header and checking subtypes at every `opt` and variant it meets. A client built
//! from the canister's `.did` (agent-js, the Rust agent, `icp`) sends exactly the type the
//! endpoint declares, and then none of that work can change the result. So this reader parses
//! the header itself, compares the wire types with the declared ones structurally (labels and
//! shapes, recursive types included), and only when they are the same reads the values by
//! following the declared type: work linear in the message, nothing to coerce or skip.
//!
//! Anything else goes back to candid, which stays the reference for what a message means: a
//! different type (an older or newer client, a subtype), a type this reader does not handle
//! (`nat`, `int`, `reserved`, `empty`, references), extra or missing arguments, trailing bytes,
//! or any malformed byte. [`decode`] answers `None` in all those cases and never decides that a
//! message is invalid. Candid offers no way to reuse a parsed header or to skip its checks,
//! hence this module.

pub mod narrow;
mod read;
#[cfg(test)]
mod tests;

use std::any::TypeId;
use std::cell::RefCell;
use std::rc::Rc;

use rustc_hash::FxHashMap as HashMap;

use candid::types::{Label, Type, TypeInner};
use candid::CandidType;
use serde::Deserialize;

use read::At;
pub use read::{Reader, Refused};

/// Limits past which a message is left to candid: generous for any real argument.
const MAX_TABLE_LEN: usize = 512;
const MAX_FIELDS: usize = 256;
const MAX_DEPTH: usize = 64;

/// A type as a node in a graph (recursive types are cycles through indexes).
#[derive(Debug)]
enum Node {
    Null,
    Bool,
    Nat8,
    Nat16,
    Nat32,
    Nat64,
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Text,
    Principal,
    Opt(usize),
    Vec(usize),
    Record(Vec<Field>),
    Variant(Vec<Field>),
    /// Declared but not yet filled in (only while a graph is built).
    Pending,
}

#[derive(Debug)]
struct Field {
    id: u32,
    /// The Rust-side name (declared types only); `None` for tuple positions.
    name: Option<Rc<str>>,
    ty: usize,
}

/// The declared argument types of a tuple, as one graph with a root per argument.
#[derive(Debug, Default)]
pub struct Declared {
    nodes: Vec<Node>,
    roots: Vec<usize>,
    /// Headers (`DIDL` to the last argument type) already found to be exactly these types:
    /// candid's own header for them, and the last other one seen in an update call. A client
    /// sends the same header on every call, so most messages skip parsing and comparing.
    known_headers: RefCell<Vec<Rc<[u8]>>>,
}

impl Declared {
    /// The graph of `types`, or `None` when one of them holds a type this reader leaves to
    /// candid.
    fn of(types: &[Type]) -> Option<Declared> {
        let mut graph = Declared::default();
        let mut seen = HashMap::default();
        let mut header = candid::ser::TypeSerialize::new();
        for ty in types {
            let root = graph.add(ty, &mut seen)?;
            graph.roots.push(root);
            header.push_type(ty).ok()?;
        }
        header.serialize().ok()?;
        let mut bytes = b"DIDL".to_vec();
        bytes.extend_from_slice(header.get_result());
        graph.known_headers.get_mut().push(bytes.into());
        Some(graph)
    }

    /// The length of a known header `bytes` starts with (the one last learned is tried first:
    /// it is what this canister's clients send).
    fn known_header_len(&self, bytes: &[u8]) -> Option<usize> {
        self.known_headers
            .borrow()
            .iter()
            .rev()
            .find(|h| starts_with(bytes, h))
            .map(|h| h.len())
    }

    /// Remembers a header found equal (candid's own stays first; one other is kept).
    fn learn_header(&self, header: &[u8]) {
        let mut known = self.known_headers.borrow_mut();
        known.truncate(1);
        known.push(header.into());
    }

    /// Adds `ty`, sharing nodes by the identity of candid's type values (so a recursive type,
    /// reached again through its `Knot`, becomes a cycle).
    fn add(&mut self, ty: &Type, seen: &mut HashMap<*const TypeInner, usize>) -> Option<usize> {
        let ty = match ty.as_ref() {
            TypeInner::Knot(id) => candid::types::internal::find_type(id)?,
            _ => ty.clone(),
        };
        let key = Rc::as_ptr(&ty.0);
        if let Some(&at) = seen.get(&key) {
            return Some(at);
        }
        let at = self.nodes.len();
        self.nodes.push(Node::Pending);
        seen.insert(key, at);
        let node = match ty.as_ref() {
            TypeInner::Null => Node::Null,
            TypeInner::Bool => Node::Bool,
            TypeInner::Nat8 => Node::Nat8,
            TypeInner::Nat16 => Node::Nat16,
            TypeInner::Nat32 => Node::Nat32,
            TypeInner::Nat64 => Node::Nat64,
            TypeInner::Int8 => Node::Int8,
            TypeInner::Int16 => Node::Int16,
            TypeInner::Int32 => Node::Int32,
            TypeInner::Int64 => Node::Int64,
            TypeInner::Float32 => Node::Float32,
            TypeInner::Float64 => Node::Float64,
            TypeInner::Text => Node::Text,
            TypeInner::Principal => Node::Principal,
            TypeInner::Opt(t) => Node::Opt(self.add(t, seen)?),
            TypeInner::Vec(t) => Node::Vec(self.add(t, seen)?),
            TypeInner::Record(fs) | TypeInner::Variant(fs) => {
                let mut fields = Vec::with_capacity(fs.len());
                for f in fs {
                    let name = match f.id.as_ref() {
                        Label::Named(name) => Some(Rc::from(name.as_str())),
                        Label::Id(_) | Label::Unnamed(_) => None,
                    };
                    fields.push(Field {
                        id: f.id.get_id(),
                        name,
                        ty: self.add(&f.ty, seen)?,
                    });
                }
                fields.sort_by_key(|f| f.id);
                if matches!(ty.as_ref(), TypeInner::Record(_)) {
                    Node::Record(fields)
                } else {
                    Node::Variant(fields)
                }
            }
            _ => return None,
        };
        self.nodes[at] = node;
        Some(at)
    }
}

/// `bytes.starts_with(prefix)`, eight bytes at a time: on wasm32 the slice comparison is a
/// byte loop (compiler-builtins' `memcmp`), about ten instructions per byte of a header of
/// hundreds of bytes.
fn starts_with(bytes: &[u8], prefix: &[u8]) -> bool {
    let Some(head) = bytes.get(..prefix.len()) else {
        return false;
    };
    let (words, rest) = prefix.as_chunks::<8>();
    let (head_words, head_rest) = head.as_chunks::<8>();
    words
        .iter()
        .zip(head_words)
        .all(|(a, b)| u64::from_ne_bytes(*a) == u64::from_ne_bytes(*b))
        && rest == head_rest
}

/// What the message's header says: its type table and one type per argument.
struct Wire {
    nodes: Vec<Node>,
    args: Vec<usize>,
}

/// The primitive type codes this reader handles, in the order their nodes follow the table.
const PRIMITIVES: [(i64, fn() -> Node); 14] = [
    (-1, || Node::Null),
    (-2, || Node::Bool),
    (-5, || Node::Nat8),
    (-6, || Node::Nat16),
    (-7, || Node::Nat32),
    (-8, || Node::Nat64),
    (-9, || Node::Int8),
    (-10, || Node::Int16),
    (-11, || Node::Int32),
    (-12, || Node::Int64),
    (-13, || Node::Float32),
    (-14, || Node::Float64),
    (-15, || Node::Text),
    (-24, || Node::Principal),
];

/// A type reference in the header as a node index: a table index, or a primitive's node
/// (placed after the table, so every reference is an index).
fn wire_ref(code: i64, table_len: usize) -> Option<usize> {
    if code >= 0 {
        let i = usize::try_from(code).ok()?;
        return (i < table_len).then_some(i);
    }
    let k = PRIMITIVES.iter().position(|(c, _)| *c == code)?;
    Some(table_len + k)
}

impl Wire {
    /// Parses `DIDL`, the type table and the argument types; returns the header and the offset
    /// where the values start.
    fn parse(bytes: &[u8]) -> Option<(Wire, usize)> {
        let mut r = Reader::new(bytes, 0);
        if r.take(4)? != b"DIDL" {
            return None;
        }
        let len = r.leb()? as usize;
        if len > MAX_TABLE_LEN {
            return None;
        }
        let mut nodes = Vec::with_capacity(len + PRIMITIVES.len());
        for _ in 0..len {
            let node = match r.sleb()? {
                -18 => Node::Opt(wire_ref(r.sleb()?, len)?),
                -19 => Node::Vec(wire_ref(r.sleb()?, len)?),
                op @ (-20 | -21) => {
                    let count = r.leb()? as usize;
                    if count > MAX_FIELDS {
                        return None;
                    }
                    let mut fields = Vec::with_capacity(count);
                    for _ in 0..count {
                        let id = u32::try_from(r.leb()?).ok()?;
                        let ty = wire_ref(r.sleb()?, len)?;
                        fields.push(Field { id, name: None, ty });
                    }
                    if op == -20 {
                        Node::Record(fields)
                    } else {
                        Node::Variant(fields)
                    }
                }
                _ => return None,
            };
            nodes.push(node);
        }
        let argc = r.leb()? as usize;
        if argc > MAX_FIELDS {
            return None;
        }
        let mut args = Vec::with_capacity(argc);
        for _ in 0..argc {
            args.push(wire_ref(r.sleb()?, len)?);
        }
        nodes.extend(PRIMITIVES.iter().map(|(_, node)| node()));
        Some((Wire { nodes, args }, r.position()))
    }
}

/// Pairs (wire node, declared node) already being compared, as a bit set: hashing each pair
/// would cost more than the whole comparison.
struct Assumed {
    bits: Vec<u64>,
    declared_len: usize,
}

impl Assumed {
    fn new(wire_len: usize, declared_len: usize) -> Assumed {
        Assumed {
            bits: vec![0; (wire_len * declared_len).div_ceil(64)],
            declared_len,
        }
    }

    /// Marks the pair; `false` when it was marked already.
    fn insert(&mut self, w: usize, d: usize) -> bool {
        let i = w * self.declared_len + d;
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        let fresh = self.bits[word] & bit == 0;
        self.bits[word] |= bit;
        fresh
    }
}

/// Whether wire type `w` and declared type `d` are the same type. Pairs already being compared
/// are assumed equal, which is how equality of recursive types is decided.
fn same(wire: &[Node], w: usize, declared: &[Node], d: usize, assumed: &mut Assumed) -> bool {
    if !assumed.insert(w, d) {
        return true;
    }
    use Node::*;
    match (&wire[w], &declared[d]) {
        (Opt(a), Opt(b)) | (Vec(a), Vec(b)) => same(wire, *a, declared, *b, assumed),
        (Record(a), Record(b)) | (Variant(a), Variant(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| x.id == y.id && same(wire, x.ty, declared, y.ty, assumed))
        }
        (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b) && !matches!(a, Pending),
    }
}

/// A tuple of endpoint arguments this reader can produce.
pub trait ExactArgs: Sized {
    /// Candid's description of each argument type.
    fn types() -> Vec<Type>;
    /// Reads the values, one per root of `declared`.
    fn read(r: &mut Reader<'_>, declared: &Declared) -> Result<Self, Refused>;
}

macro_rules! exact_tuple {
    ($($name:ident $i:tt),+) => {
        impl<$($name),+> ExactArgs for ($($name,)+)
        where
            $($name: CandidType + for<'de> Deserialize<'de>),+
        {
            fn types() -> Vec<Type> {
                vec![$($name::ty()),+]
            }
            fn read(r: &mut Reader<'_>, declared: &Declared) -> Result<Self, Refused> {
                Ok(($(
                    $name::deserialize(At { r: &mut *r, graph: &declared.nodes, node: declared.roots[$i], depth: 0 })?,
                )+))
            }
        }
    };
}
exact_tuple!(A 0);
exact_tuple!(A 0, B 1);
exact_tuple!(A 0, B 1, C 2);
exact_tuple!(A 0, B 1, C 2, D 3);

thread_local! {
    /// The declared graph of each argument tuple seen so far (`None`: left to candid).
    static DECLARED: RefCell<HashMap<TypeId, Option<Rc<Declared>>>> = RefCell::new(HashMap::default());
}

/// The graph of one type (a reply's), for [`narrow::walk`]; `None` when it holds a type this
/// module leaves to candid. Named types must be registered (candid's `T::ty()` just ran).
pub fn graph_of(ty: &Type) -> Option<Declared> {
    Declared::of(std::slice::from_ref(ty))
}

/// Builds and keeps the declared graph of `T` (see `codec::prepare_args`).
pub fn prepare<T: ExactArgs + 'static>() -> Option<Rc<Declared>> {
    if let Some(known) = DECLARED.with(|d| d.borrow().get(&TypeId::of::<T>()).cloned()) {
        return known;
    }
    let declared = build::<T>();
    DECLARED.with(|d| d.borrow_mut().insert(TypeId::of::<T>(), declared.clone()));
    declared
}

fn build<T: ExactArgs>() -> Option<Rc<Declared>> {
    // Candid resolves recursive types through its own environment: start from a clean one.
    candid::types::internal::env_clear();
    Declared::of(&T::types()).map(Rc::new)
}

/// Decodes `bytes` as the arguments `T` when the message's types are exactly `T`'s and every
/// byte is well formed; `None` leaves the message to candid.
pub fn decode<T: ExactArgs + 'static>(bytes: &[u8], keep: bool) -> Option<T> {
    let (declared, start) = values_start::<T>(bytes, keep)?;
    let mut r = Reader::new(bytes, start);
    let value = T::read(&mut r, &declared).ok()?;
    (r.position() == bytes.len()).then_some(value)
}

/// The first arguments `P` (a prefix of the tuple `T`) of a message whose types are exactly
/// `T`'s, the rest left unread (and unchecked: [`decode`] checks them when they are read).
pub fn decode_leading<T: ExactArgs + 'static, P: ExactArgs>(bytes: &[u8], keep: bool) -> Option<P> {
    let (declared, start) = values_start::<T>(bytes, keep)?;
    P::read(&mut Reader::new(bytes, start), &declared).ok()
}

/// The declared graph of `T` and where the values start, when the message's header gives
/// exactly `T`'s types.
fn values_start<T: ExactArgs + 'static>(bytes: &[u8], keep: bool) -> Option<(Rc<Declared>, usize)> {
    let declared = if keep {
        prepare::<T>()
    } else {
        // A query keeps nothing: use what install or upgrade prepared, else build it for
        // this message alone.
        DECLARED
            .with(|d| d.borrow().get(&TypeId::of::<T>()).cloned())
            .unwrap_or_else(build::<T>)
    }?;
    let start = match declared.known_header_len(bytes) {
        Some(len) => len,
        None => {
            let (wire, start) = Wire::parse(bytes)?;
            if wire.args.len() != declared.roots.len() {
                return None;
            }
            let mut assumed = Assumed::new(wire.nodes.len(), declared.nodes.len());
            for (&w, &d) in wire.args.iter().zip(&declared.roots) {
                if !same(&wire.nodes, w, &declared.nodes, d, &mut assumed) {
                    return None;
                }
            }
            if keep {
                declared.learn_header(&bytes[..start]);
            }
            start
        }
    };
    super::profile::mark("args header", || ());
    Some((declared, start))
}
