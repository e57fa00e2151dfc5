//! Values stored in stable structures, in one of two encodings (every canister's stored records
//! use one of them, so each record type needs no `Storable` of its own):
//! - [`Candid<T>`]: Candid bytes. A stored record can gain optional fields in a later version
//!   and still decode what an older version wrote; right for small, rarely read records.
//! - [`Compact<T>`]: postcard bytes, no schema in them. For records read on every call, where
//!   decoding cost matters; their shape is fixed by a stored layout version.
//!
//! Stored records are the canisters' own types; [`same_variants!`](crate::same_variants)
//! writes the conversions between a field-less wire enum and its stored twin.

use std::borrow::Cow;

use candid::{CandidType, Decode};
use ic_stable_structures::storable::{Bound, Storable};
use ic_stable_structures::{Memory, StableBTreeMap};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Both directions between a field-less wire enum and a stored own enum with the same case
/// names, case by case (a case added to either side fails to compile until the other follows):
/// `canister_kit::same_variants!(Theme <-> Look: System, Light, Dark);`
#[macro_export]
macro_rules! same_variants {
    ($wire:ident <-> $stored:ident: $($variant:ident),+ $(,)?) => {
        impl From<$wire> for $stored {
            fn from(v: $wire) -> Self {
                match v {
                    $($wire::$variant => $stored::$variant,)+
                }
            }
        }
        impl From<$stored> for $wire {
            fn from(v: $stored) -> Self {
                match v {
                    $($stored::$variant => $wire::$variant,)+
                }
            }
        }
    };
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candid<T>(pub T);

impl<T> std::ops::Deref for Candid<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: CandidType + DeserializeOwned + 'static> Storable for Candid<T> {
    const BOUND: Bound = Bound::Unbounded;

    // The same bytes as `candid::encode_one`, with the type description built once per type
    // (`crate::codec`), so writing a small record does not cost describing its type each time.
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(crate::codec::encode(&self.0))
    }

    fn into_bytes(self) -> Vec<u8> {
        crate::codec::encode(&self.0)
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        // Only this canister's code wrote these bytes; failing to decode them means stable
        // memory is corrupt or a migration is missing, and trapping (refusing the upgrade or
        // the message) is safer than going on with a default.
        Candid(Decode!(&bytes, T).expect("a stored value decodes"))
    }
}

/// A value stored in a compact, fixed-schema encoding (postcard: varints, no field names, no type
/// table), for records read on every call where Candid's type-table decoding dominates the cost.
///
/// Unlike [`Candid`], the bytes carry no schema: a change to the type is a new stored layout,
/// with its version kept by the canister and a migration that reads the old type. Unbounded, so
/// use it for `StableBTreeMap` values or `StableCell` contents, not as keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compact<T>(pub T);

impl<T> std::ops::Deref for Compact<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Serialize + DeserializeOwned> Storable for Compact<T> {
    const BOUND: Bound = Bound::Unbounded;

    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.encode())
    }

    fn into_bytes(self) -> Vec<u8> {
        self.encode()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        // As for `Candid`: only this canister wrote these bytes, under the layout its code
        // checked at upgrade; a failure means corruption or a missing migration.
        Compact(postcard::from_bytes(&bytes).expect("a stored value decodes"))
    }
}

impl<T: Serialize> Compact<T> {
    fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(&self.0).expect("a stored value always encodes")
    }
}

/// Opens the map in `memory`, or a new empty one when the memory is all zero at its start.
/// Restoring a backup snapshot taken before a map existed leaves that map's memory zeroed
/// (`stable_snapshot`), which `StableBTreeMap::init` would refuse; a memory never used (size
/// 0) or holding a map opens as `init` does.
pub fn open_map<K, V, M>(memory: M) -> StableBTreeMap<K, V, M>
where
    K: Storable + Ord + Clone,
    V: Storable,
    M: Memory,
{
    let mut magic = [0u8; 3];
    if memory.size() > 0 {
        memory.read(0, &mut magic);
    }
    if memory.size() > 0 && magic == [0; 3] {
        StableBTreeMap::new(memory)
    } else {
        StableBTreeMap::init(memory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::Deserialize;

    #[derive(CandidType, Deserialize, Debug, PartialEq, Clone)]
    struct V1 {
        name: String,
    }

    #[derive(CandidType, Deserialize, serde::Serialize, Debug, PartialEq, Clone)]
    struct V2 {
        name: String,
        color: Option<String>,
    }

    #[test]
    fn round_trips() {
        let v = Candid(V1 { name: "a".into() });
        assert_eq!(Candid::<V1>::from_bytes(v.to_bytes()), v);
    }

    #[test]
    fn compact_round_trips_and_is_smaller_than_candid() {
        let v = V2 {
            name: "a".into(),
            color: Some("red".into()),
        };
        let compact = Compact(v.clone()).into_bytes();
        assert_eq!(Compact::<V2>::from_bytes(Cow::Borrowed(&compact)).0, v);
        assert!(compact.len() < Candid(v).into_bytes().len() / 3);
    }

    #[test]
    fn a_new_optional_field_reads_old_bytes() {
        let old = Candid(V1 { name: "a".into() }).into_bytes();
        let new = Candid::<V2>::from_bytes(Cow::Owned(old));
        assert_eq!(
            new.0,
            V2 {
                name: "a".into(),
                color: None
            }
        );
    }

    #[test]
    fn a_zeroed_memory_opens_as_an_empty_map_and_a_used_one_keeps_its_entries() {
        use ic_stable_structures::VectorMemory;
        let memory = VectorMemory::default();
        let mut map: StableBTreeMap<u64, u64, _> = open_map(memory.clone());
        map.insert(1, 2);
        let reopened: StableBTreeMap<u64, u64, _> = open_map(memory.clone());
        assert_eq!(reopened.get(&1), Some(2));
        // What a restore of an older snapshot leaves: the memory's pages, all zero.
        memory.borrow_mut().fill(0);
        let zeroed: StableBTreeMap<u64, u64, _> = open_map(memory);
        assert!(zeroed.is_empty());
    }
}
