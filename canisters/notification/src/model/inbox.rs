//! A notification in a user's inbox as stored: this canister's own record in the binary layout
//! of `codec.rs` (every delivery writes one, every inbox page reads them).

use std::borrow::Cow;

use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;
use interfaces::notification::EventRef;

use super::LAYOUT_V1;
use crate::codec::{Reader, Writer};

/// A notification in a user's inbox (the user and id are the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNotification {
    pub event: EventRef,
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
            .principal(&self.event.shard)
            .u64(self.event.event_id)
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
            event: EventRef {
                shard: r.principal(),
                event_id: r.u64(),
            },
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
