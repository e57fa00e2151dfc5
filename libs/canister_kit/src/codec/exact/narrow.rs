//! A reply's type narrowed to its value (see `codec::encode_reply`): `opt` record fields that
//! are null are left out, each variant keeps only the case the value takes, and an empty vector
//! is a `vec empty` (not an empty blob: see `is_blob`). Candid's subtyping makes every such
//! type a subtype of the declared one (a record may lack `opt` fields, a variant may have fewer
//! cases, `empty` is below every type), so every decoder reads the reply as the declared type,
//! while its type description shrinks to what the value uses: an event without recurrence,
//! overrides or attendees is not sent the types of those.
//!
//! [`walk`] follows the value bytes by the declared graph (as the argument reader does),
//! noting each choice the value makes (`opt` null or not, variant case, vector empty or not)
//! and writing the value bytes of the narrowed type; [`narrow_type`] builds the narrowed type
//! from the declared one and those choices, in the same order. Elements of a non-empty vector
//! keep the declared element type, so they are only skipped.

use candid::types::{Field as TypeField, Type, TypeInner};

use super::{Declared, Node, Reader, MAX_DEPTH};

/// Walks one value of the graph's first root through `value` (candid's value bytes of that
/// type), appending each choice the value makes to `choices` (in walk order: the key of the
/// narrowed type) and the value bytes of the narrowed type to `out`. `None` for anything it
/// does not follow; the reply then keeps another header. The caller passes the buffers so
/// that it can keep them from one reply to the next.
pub fn walk(
    graph: &Declared,
    value: &[u8],
    out: &mut Vec<u8>,
    choices: &mut Vec<u32>,
) -> Option<()> {
    let mut w = Walk {
        nodes: &graph.nodes,
        r: Reader::new(value, 0),
        value,
        out,
        copied: 0,
        choices,
    };
    w.node(*graph.roots.first()?, 0, true)?;
    if w.r.position() != value.len() {
        return None;
    }
    w.copy_to(value.len());
    Some(())
}

/// Whether a vector of `inner` is a blob, which is never narrowed: candid's Rust decoder reads
/// a blob field (`serde_bytes`, `Cow<[u8]>`) only from a `vec nat8` on the wire, and refuses
/// its subtype `vec empty` (an HTTP gateway reading an empty body did).
fn is_blob(nodes: &[Node], inner: usize) -> bool {
    matches!(nodes[inner], Node::Nat8)
}

struct Walk<'a, 'b> {
    nodes: &'a [Node],
    r: Reader<'a>,
    value: &'a [u8],
    out: &'b mut Vec<u8>,
    /// Input bytes before this offset are in `out` (or were left out).
    copied: usize,
    choices: &'b mut Vec<u32>,
}

impl Walk<'_, '_> {
    fn copy_to(&mut self, at: usize) {
        self.out.extend_from_slice(&self.value[self.copied..at]);
        self.copied = at;
    }

    /// Replaces the input bytes `from..to` with `with`.
    fn rewrite(&mut self, from: usize, to: usize, with: &[u8]) {
        self.copy_to(from);
        self.out.extend_from_slice(with);
        self.copied = to;
    }

    /// One value of `node`; with `narrow` false (inside a non-empty vector) it is only
    /// skipped.
    fn node(&mut self, node: usize, depth: usize, narrow: bool) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match &self.nodes[node] {
            Node::Null => {}
            Node::Bool | Node::Nat8 | Node::Int8 => self.skip(1)?,
            Node::Nat16 | Node::Int16 => self.skip(2)?,
            Node::Nat32 | Node::Int32 | Node::Float32 => self.skip(4)?,
            Node::Nat64 | Node::Int64 | Node::Float64 => self.skip(8)?,
            Node::Text => {
                let len = self.r.leb()?;
                self.skip(usize::try_from(len).ok()?)?;
            }
            Node::Principal => {
                if self.r.take(1)? != [1] {
                    return None;
                }
                let len = self.r.leb()?;
                self.skip(usize::try_from(len).ok()?)?;
            }
            Node::Opt(inner) => {
                let tag = self.r.take(1)?[0];
                if narrow {
                    self.choices.push(u32::from(tag));
                }
                match tag {
                    0 => {}
                    1 => self.node(*inner, depth + 1, narrow)?,
                    _ => return None,
                }
            }
            Node::Vec(inner) => {
                let len = self.r.leb()?;
                if narrow && !is_blob(self.nodes, *inner) {
                    self.choices.push(u32::from(len > 0));
                }
                for _ in 0..len {
                    self.node(*inner, depth + 1, false)?;
                }
            }
            Node::Record(fields) => {
                for field in fields {
                    match &self.nodes[field.ty] {
                        // A null `opt` field is left out of the narrowed record.
                        Node::Opt(inner) if narrow => {
                            let at = self.r.position();
                            let tag = self.r.take(1)?[0];
                            self.choices.push(u32::from(tag));
                            match tag {
                                0 => self.rewrite(at, at + 1, &[]),
                                1 => self.node(*inner, depth + 1, true)?,
                                _ => return None,
                            }
                        }
                        _ => self.node(field.ty, depth + 1, narrow)?,
                    }
                }
            }
            Node::Variant(fields) => {
                let at = self.r.position();
                let index = usize::try_from(self.r.leb()?).ok()?;
                let case = fields.get(index)?;
                if narrow {
                    // The narrowed variant has this one case: index 0.
                    self.choices.push(u32::try_from(index).ok()?);
                    let to = self.r.position();
                    self.rewrite(at, to, &[0]);
                }
                self.node(case.ty, depth + 1, narrow)?;
            }
            Node::Pending => return None,
        }
        Some(())
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        self.r.take(n).map(|_| ())
    }
}

/// The declared type `ty` narrowed by `choices` (from [`walk`] of a value of it); `None` when
/// they do not fit it. Named types must be registered (candid's `T::ty()` just ran).
pub fn narrow_type(ty: &Type, choices: &[u32]) -> Option<Type> {
    let mut next = choices.iter().copied();
    let narrowed = narrow(ty, &mut next, 0)?;
    next.next().is_none().then_some(narrowed)
}

fn resolve(ty: &Type) -> Option<Type> {
    match ty.as_ref() {
        TypeInner::Knot(id) => candid::types::internal::find_type(id),
        _ => Some(ty.clone()),
    }
}

/// Record fields and variant cases in wire order (by label id), as the graph has them.
fn by_id(fields: &[TypeField]) -> Vec<&TypeField> {
    let mut sorted: Vec<&TypeField> = fields.iter().collect();
    sorted.sort_by_key(|f| f.id.get_id());
    sorted
}

fn narrow(ty: &Type, next: &mut impl Iterator<Item = u32>, depth: usize) -> Option<Type> {
    if depth > MAX_DEPTH {
        return None;
    }
    let ty = resolve(ty)?;
    Some(match ty.as_ref() {
        TypeInner::Opt(inner) => match next.next()? {
            0 => ty.clone(),
            _ => TypeInner::Opt(narrow(inner, next, depth + 1)?).into(),
        },
        // A blob stays a blob (see `is_blob`).
        TypeInner::Vec(inner) if matches!(inner.as_ref(), TypeInner::Nat8) => ty.clone(),
        TypeInner::Vec(inner) => match next.next()? {
            0 => TypeInner::Vec(TypeInner::Empty.into()).into(),
            _ => TypeInner::Vec(inner.clone()).into(),
        },
        TypeInner::Record(fields) => {
            let mut kept = Vec::with_capacity(fields.len());
            for field in by_id(fields) {
                let field_ty = resolve(&field.ty)?;
                let ty = match field_ty.as_ref() {
                    TypeInner::Opt(inner) => match next.next()? {
                        0 => continue,
                        _ => TypeInner::Opt(narrow(inner, next, depth + 1)?).into(),
                    },
                    _ => narrow(&field_ty, next, depth + 1)?,
                };
                kept.push(TypeField {
                    id: field.id.clone(),
                    ty,
                });
            }
            TypeInner::Record(kept).into()
        }
        TypeInner::Variant(fields) => {
            let case = *by_id(fields).get(next.next()? as usize)?;
            TypeInner::Variant(vec![TypeField {
                id: case.id.clone(),
                ty: narrow(&case.ty, next, depth + 1)?,
            }])
            .into()
        }
        _ => ty.clone(),
    })
}

/// Every sequence of choices [`walk`] can note for a value of the graph's first root whose
/// outermost variant cases are `cases` (a prefix of those choices), or `None` when there are
/// more than `limit` (an event's `opt` fields combine into thousands; an error's cases do not).
pub fn choices_under(graph: &Declared, cases: &[u32], limit: usize) -> Option<Vec<Vec<u32>>> {
    let mut node = *graph.roots.first()?;
    for &index in cases {
        let Node::Variant(fields) = &graph.nodes[node] else {
            return None;
        };
        node = fields.get(usize::try_from(index).ok()?)?.ty;
    }
    let all = Choices {
        nodes: &graph.nodes,
        limit,
    };
    let tails = all.of(node, 0)?;
    Some(
        tails
            .into_iter()
            .map(|tail| cases.iter().copied().chain(tail).collect())
            .collect(),
    )
}

/// The choice sequences of a node, in [`walk`]'s order (only where it narrows: outside
/// non-empty vectors).
struct Choices<'a> {
    nodes: &'a [Node],
    limit: usize,
}

impl Choices<'_> {
    fn of(&self, node: usize, depth: usize) -> Option<Vec<Vec<u32>>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let sets = match &self.nodes[node] {
            Node::Opt(inner) => self.opt(*inner, depth)?,
            Node::Vec(inner) if is_blob(self.nodes, *inner) => vec![vec![]],
            // Elements are not narrowed: only empty or not.
            Node::Vec(_) => vec![vec![0], vec![1]],
            Node::Record(fields) => {
                let mut sets = vec![vec![]];
                for field in fields {
                    let field_sets = match &self.nodes[field.ty] {
                        Node::Opt(inner) => self.opt(*inner, depth)?,
                        _ => self.of(field.ty, depth + 1)?,
                    };
                    sets = self.product(&sets, &field_sets)?;
                }
                sets
            }
            Node::Variant(fields) => {
                let mut sets = Vec::new();
                for (index, case) in fields.iter().enumerate() {
                    let index = u32::try_from(index).ok()?;
                    for tail in self.of(case.ty, depth + 1)? {
                        sets.push(std::iter::once(index).chain(tail).collect());
                    }
                    self.within(&sets)?;
                }
                sets
            }
            Node::Pending => return None,
            _ => vec![vec![]],
        };
        Some(sets)
    }

    /// An `opt`: null (0), or present (1) and then its value's choices.
    fn opt(&self, inner: usize, depth: usize) -> Option<Vec<Vec<u32>>> {
        let mut sets = vec![vec![0]];
        for tail in self.of(inner, depth + 1)? {
            sets.push(std::iter::once(1).chain(tail).collect());
        }
        self.within(&sets)?;
        Some(sets)
    }

    fn product(&self, heads: &[Vec<u32>], tails: &[Vec<u32>]) -> Option<Vec<Vec<u32>>> {
        if heads.len().checked_mul(tails.len())? > self.limit {
            return None;
        }
        Some(
            heads
                .iter()
                .flat_map(|h| tails.iter().map(move |t| [h.as_slice(), t].concat()))
                .collect(),
        )
    }

    fn within(&self, sets: &[Vec<u32>]) -> Option<()> {
        (sets.len() <= self.limit).then_some(())
    }
}
