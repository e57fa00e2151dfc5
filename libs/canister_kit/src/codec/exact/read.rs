//! Reading values by their declared type (see `exact`): a serde deserializer that follows the
//! declared graph through the message bytes, so the derived `Deserialize` of each argument type
//! builds the value directly. Every problem is [`Refused`]: the message then goes to candid.

use serde::de::{self, DeserializeSeed, Visitor};

use super::{Field, Node, MAX_DEPTH};

/// Why a message was left to candid (the reason itself does not matter: candid reports it).
#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("left to candid")
    }
}

impl std::error::Error for Refused {}

impl de::Error for Refused {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Refused
    }
}

/// A cursor over the message bytes.
pub struct Reader<'de> {
    bytes: &'de [u8],
    at: usize,
}

impl<'de> Reader<'de> {
    pub(super) fn new(bytes: &'de [u8], at: usize) -> Self {
        Reader { bytes, at }
    }

    /// Where the next byte is read.
    pub(super) fn position(&self) -> usize {
        self.at
    }

    pub(super) fn take(&mut self, n: usize) -> Option<&'de [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).map(|b| b.try_into().expect("N bytes"))
    }

    pub(super) fn leb(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            value |= bits << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    pub(super) fn sleb(&mut self) -> Option<i64> {
        let mut value = 0i64;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            value |= i64::from(b & 0x7f).checked_shl(shift)?;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Some(value);
            }
            if shift >= 63 {
                // Type codes and indexes are small: longer numbers are left to candid.
                return None;
            }
        }
    }

    /// A length that cannot ask for more elements than bytes are left (every element this
    /// reader accepts takes at least one byte, except `null` and empty records, whose vectors
    /// are left to candid's quota).
    fn len(&mut self) -> Result<usize, Refused> {
        let n = self.leb().ok_or(Refused)?;
        let n = usize::try_from(n).map_err(|_| Refused)?;
        if n > self.bytes.len() - self.at {
            return Err(Refused);
        }
        Ok(n)
    }
}

/// A serde deserializer for one value of declared type `node`.
pub(super) struct At<'a, 'de> {
    pub(super) r: &'a mut Reader<'de>,
    pub(super) graph: &'a [Node],
    pub(super) node: usize,
    pub(super) depth: usize,
}

impl<'a, 'de> At<'a, 'de> {
    fn child(&mut self, node: usize) -> Result<At<'_, 'de>, Refused> {
        if self.depth >= MAX_DEPTH {
            return Err(Refused);
        }
        Ok(At {
            r: &mut *self.r,
            graph: self.graph,
            node,
            depth: self.depth + 1,
        })
    }

    fn text(&mut self) -> Result<&'de str, Refused> {
        let len = self.r.len()?;
        let bytes = self.r.take(len).ok_or(Refused)?;
        std::str::from_utf8(bytes).map_err(|_| Refused)
    }

    /// A principal's bytes: the "is an id" flag, then length and bytes.
    fn principal(&mut self) -> Result<&'de [u8], Refused> {
        if self.r.byte() != Some(1) {
            return Err(Refused);
        }
        let len = self.r.len()?;
        if len > 29 {
            return Err(Refused);
        }
        self.r.take(len).ok_or(Refused)
    }

    fn zero_sized(&self, node: usize) -> bool {
        match &self.graph[node] {
            Node::Null => true,
            Node::Record(fields) => fields.is_empty(),
            _ => false,
        }
    }
}

macro_rules! number {
    ($r:expr, $visitor:ident, $visit:ident, $ty:ty) => {{
        let bytes = $r.array().ok_or(Refused)?;
        $visitor.$visit(<$ty>::from_le_bytes(bytes))
    }};
}

impl<'de> de::Deserializer<'de> for At<'_, 'de> {
    type Error = Refused;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Refused> {
        match &self.graph[self.node] {
            Node::Null => visitor.visit_unit(),
            Node::Bool => match self.r.byte() {
                Some(0) => visitor.visit_bool(false),
                Some(1) => visitor.visit_bool(true),
                _ => Err(Refused),
            },
            Node::Nat8 => number!(self.r, visitor, visit_u8, u8),
            Node::Nat16 => number!(self.r, visitor, visit_u16, u16),
            Node::Nat32 => number!(self.r, visitor, visit_u32, u32),
            Node::Nat64 => number!(self.r, visitor, visit_u64, u64),
            Node::Int8 => number!(self.r, visitor, visit_i8, i8),
            Node::Int16 => number!(self.r, visitor, visit_i16, i16),
            Node::Int32 => number!(self.r, visitor, visit_i32, i32),
            Node::Int64 => number!(self.r, visitor, visit_i64, i64),
            Node::Float32 => number!(self.r, visitor, visit_f32, f32),
            Node::Float64 => number!(self.r, visitor, visit_f64, f64),
            Node::Text => visitor.visit_borrowed_str(self.text()?),
            Node::Principal => visitor.visit_borrowed_bytes(self.principal()?),
            &Node::Opt(inner) => match self.r.byte() {
                Some(0) => visitor.visit_none(),
                Some(1) => visitor.visit_some(self.child(inner)?),
                _ => Err(Refused),
            },
            &Node::Vec(inner) => {
                if self.zero_sized(inner) {
                    return Err(Refused);
                }
                let len = self.r.len()?;
                visitor.visit_seq(Elements {
                    at: self,
                    ty: inner,
                    left: len,
                })
            }
            Node::Record(fields) => {
                let tuple = fields.iter().all(|f| f.name.is_none());
                let fields: &[Field] = fields;
                if tuple {
                    visitor.visit_seq(Positions {
                        at: self,
                        fields: fields.iter(),
                    })
                } else {
                    visitor.visit_map(Named {
                        at: self,
                        fields: fields.iter(),
                        value: None,
                    })
                }
            }
            Node::Variant(cases) => {
                let index = self.r.leb().ok_or(Refused)?;
                let case = cases.get(index as usize).ok_or(Refused)?;
                visitor.visit_enum(Case { at: self, case })
            }
            Node::Pending => Err(Refused),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.deserialize_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bytes<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Refused> {
        match &self.graph[self.node] {
            Node::Principal => visitor.visit_borrowed_bytes(self.principal()?),
            &Node::Vec(inner) if matches!(self.graph[inner], Node::Nat8) => {
                let len = self.r.len()?;
                visitor.visit_borrowed_bytes(self.r.take(len).ok_or(Refused)?)
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        // Every field of the declared type has a Rust field: nothing is ignored in practice.
        self.deserialize_any(de::IgnoredAny)?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct seq tuple tuple_struct map struct enum identifier
    }
}

/// The elements of a vector.
struct Elements<'a, 'de> {
    at: At<'a, 'de>,
    ty: usize,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Refused;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Refused> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(self.at.child(self.ty)?).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// The fields of a tuple record, in order.
struct Positions<'a, 'de, 'f> {
    at: At<'a, 'de>,
    fields: std::slice::Iter<'f, Field>,
}

impl<'de> de::SeqAccess<'de> for Positions<'_, 'de, '_> {
    type Error = Refused;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Refused> {
        match self.fields.next() {
            Some(field) => seed.deserialize(self.at.child(field.ty)?).map(Some),
            None => Ok(None),
        }
    }
}

/// The fields of a record with names, in wire order.
struct Named<'a, 'de, 'f> {
    at: At<'a, 'de>,
    fields: std::slice::Iter<'f, Field>,
    value: Option<usize>,
}

impl<'de> de::MapAccess<'de> for Named<'_, 'de, '_> {
    type Error = Refused;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Refused> {
        let Some(field) = self.fields.next() else {
            return Ok(None);
        };
        self.value = Some(field.ty);
        seed.deserialize(FieldLabel(field)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Refused> {
        let ty = self.value.take().ok_or(Refused)?;
        seed.deserialize(self.at.child(ty)?)
    }
}

/// A field or case label, as its Rust name or (for positions) its number.
struct FieldLabel<'f>(&'f Field);

impl<'de> de::Deserializer<'de> for FieldLabel<'_> {
    type Error = Refused;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match &self.0.name {
            Some(name) => visitor.visit_str(name),
            None => visitor.visit_u32(self.0.id),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// A variant value: its case, then the payload.
struct Case<'a, 'de, 'f> {
    at: At<'a, 'de>,
    case: &'f Field,
}

impl<'a, 'de, 'f> de::EnumAccess<'de> for Case<'a, 'de, 'f> {
    type Error = Refused;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Refused> {
        let value = seed.deserialize(FieldLabel(self.case))?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for Case<'_, 'de, '_> {
    type Error = Refused;

    fn unit_variant(self) -> Result<(), Refused> {
        match self.at.graph[self.case.ty] {
            Node::Null => Ok(()),
            _ => Err(Refused),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(
        mut self,
        seed: S,
    ) -> Result<S::Value, Refused> {
        seed.deserialize(self.at.child(self.case.ty)?)
    }

    fn tuple_variant<V: Visitor<'de>>(
        mut self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        de::Deserializer::deserialize_any(self.at.child(self.case.ty)?, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        mut self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        de::Deserializer::deserialize_any(self.at.child(self.case.ty)?, visitor)
    }
}
