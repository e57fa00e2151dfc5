//! A notification in a user's inbox as stored: this canister's own record in the binary layout
//! of `codec.rs` (every delivery writes one, every inbox page reads them). The event is its
//! `(shard, event id)` key, written as layout 1 wrote the wire `EventRef` (the tests pin the
//! bytes).

use std::borrow::Cow;

use super::{EventKey, LAYOUT_V1};
use crate::codec::{Reader, Writer};
use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;

/// A notification in a user's inbox (the user and id are the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNotification {
    /// `(shard, event id)`.
    pub event: EventKey,
    pub title: String,
    pub occurrence_start_ns: u64,
    pub minutes_before: u32,
    pub due_at_ns: u64,
    pub delivered_at_ns: u64,
    pub read: bool,
}

impl Storable for StoredNotification {
    const BOUND: Bound = Bound::Unbounded;

    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        Writer::new(LAYOUT_V1)
            .principal(&self.event.0)
            .u64(self.event.1)
            .text(&self.title)
            .u64(self.occurrence_start_ns)
            .u32(self.minutes_before)
            .u64(self.due_at_ns)
            .u64(self.delivered_at_ns)
            .bool(self.read)
            .finish()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        let mut r = Reader::new(&bytes, "notification", LAYOUT_V1);
        let n = StoredNotification {
            event: (r.principal(), r.u64()),
            title: r.text(),
            occurrence_start_ns: r.u64(),
            minutes_before: r.u32(),
            due_at_ns: r.u64(),
            delivered_at_ns: r.u64(),
            read: r.bool(),
        };
        r.end();
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests_support::unhex;
    use candid::Principal;

    /// The bytes layout 1 wrote for this notification, when its event was the wire `EventRef`.
    const STANDUP_V1: &str = "010200000001010700000000000000070000007374616e6475701e000000000000\
        000f0000001400000000000000150000000000000001";

    #[test]
    fn the_bytes_layout_1_wrote_read_as_the_own_record_and_back() {
        let bytes = unhex(STANDUP_V1);
        let n = StoredNotification::from_bytes(Cow::Borrowed(&bytes));
        assert_eq!(
            n,
            StoredNotification {
                event: (Principal::from_slice(&[1, 1]), 7),
                title: "standup".into(),
                occurrence_start_ns: 30,
                minutes_before: 15,
                due_at_ns: 20,
                delivered_at_ns: 21,
                read: true,
            }
        );
        assert_eq!(n.into_bytes(), bytes, "the same bytes back");
    }
}
