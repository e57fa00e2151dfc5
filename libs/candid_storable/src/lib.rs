//! `Candid<T>`: a value stored in a stable structure as Candid bytes.
//!
//! Candid lets a stored record gain optional fields in a later version and still decode what an
//! older version wrote, which is what an upgrade needs. The values are unbounded, so use them
//! as `StableBTreeMap` values or `StableCell` contents, not as keys.

use std::borrow::Cow;

use candid::{CandidType, Decode, Encode};
use ic_stable_structures::storable::{Bound, Storable};
use serde::de::DeserializeOwned;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candid<T>(pub T);

impl<T> std::ops::Deref for Candid<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: CandidType + DeserializeOwned> Storable for Candid<T> {
    const BOUND: Bound = Bound::Unbounded;

    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(Encode!(&self.0).expect("a stored value always encodes"))
    }

    fn into_bytes(self) -> Vec<u8> {
        Encode!(&self.0).expect("a stored value always encodes")
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        // Only this canister's code wrote these bytes; failing to decode them means stable
        // memory is corrupt or a migration is missing, and trapping (refusing the upgrade or
        // the message) is safer than going on with a default.
        Candid(Decode!(&bytes, T).expect("a stored value decodes"))
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

    #[derive(CandidType, Deserialize, Debug, PartialEq, Clone)]
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
}
