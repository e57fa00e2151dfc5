//! Fixed-size, order-preserving keys for the calendar's stable indexes.
//!
//! Every key starts with the owner (length byte + principal bytes, zero padded), so one owner's
//! entries are contiguous and a range scan never touches another user's. Integers are
//! big-endian so byte order is numeric order.

use std::borrow::Cow;

use candid::Principal;
use ic_stable_structures::storable::{Bound, Storable};

const OWNER_BYTES: usize = 30;

/// `N` bytes compared lexicographically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key<const N: usize>(pub [u8; N]);

impl<const N: usize> Storable for Key<N> {
    const BOUND: Bound = Bound::Bounded {
        max_size: N as u32,
        is_fixed_size: true,
    };

    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.0)
    }

    fn into_bytes(self) -> Vec<u8> {
        self.0.to_vec()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        let mut out = [0; N];
        out.copy_from_slice(&bytes);
        Key(out)
    }
}

/// Writes fields into a key left to right.
struct KeyWriter<const N: usize> {
    bytes: [u8; N],
    at: usize,
}

impl<const N: usize> KeyWriter<N> {
    fn new() -> Self {
        Self {
            bytes: [0; N],
            at: 0,
        }
    }

    fn owner(mut self, owner: &Principal) -> Self {
        let raw = owner.as_slice();
        self.bytes[self.at] = raw.len() as u8;
        self.bytes[self.at + 1..self.at + 1 + raw.len()].copy_from_slice(raw);
        self.at += OWNER_BYTES;
        self
    }

    fn u8(mut self, v: u8) -> Self {
        self.bytes[self.at] = v;
        self.at += 1;
        self
    }

    fn u64(mut self, v: u64) -> Self {
        self.bytes[self.at..self.at + 8].copy_from_slice(&v.to_be_bytes());
        self.at += 8;
        self
    }

    fn raw(mut self, v: &[u8]) -> Self {
        self.bytes[self.at..self.at + v.len()].copy_from_slice(v);
        self.at += v.len();
        self
    }

    fn done(self) -> Key<N> {
        debug_assert_eq!(self.at, N);
        Key(self.bytes)
    }
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// A user: the key of per-user records (counters, booking policy).
pub type OwnerKey = Key<OWNER_BYTES>;

pub fn owner_key(owner: &Principal) -> OwnerKey {
    KeyWriter::new().owner(owner).done()
}

/// (owner, event id): every event of a user, in id order (export, deletion).
pub type OwnedKey = Key<{ OWNER_BYTES + 8 }>;

pub fn owned_key(owner: &Principal, id: u64) -> OwnedKey {
    KeyWriter::new().owner(owner).u64(id).done()
}

pub fn owned_id(key: &OwnedKey) -> u64 {
    read_u64(&key.0, OWNER_BYTES)
}

/// (owner, duration class, start, id): one-off events by start, per duration class, so a window
/// query knows how far before the window an overlapping event can start.
pub type TimeKey = Key<{ OWNER_BYTES + 1 + 8 + 8 }>;

pub fn time_key(owner: &Principal, class: u8, start_ns: u64, id: u64) -> TimeKey {
    KeyWriter::new()
        .owner(owner)
        .u8(class)
        .u64(start_ns)
        .u64(id)
        .done()
}

/// (start, id) of a [`TimeKey`].
pub fn time_key_parts(key: &TimeKey) -> (u64, u64) {
    (
        read_u64(&key.0, OWNER_BYTES + 1),
        read_u64(&key.0, OWNER_BYTES + 9),
    )
}

/// (owner, end of the last instance, id): recurring events, so a window query skips series
/// that ended before it without reading them. Open-ended series use `u64::MAX`.
pub type SeriesKey = Key<{ OWNER_BYTES + 8 + 8 }>;

pub fn series_key(owner: &Principal, last_end_ns: u64, id: u64) -> SeriesKey {
    KeyWriter::new()
        .owner(owner)
        .u64(last_end_ns)
        .u64(id)
        .done()
}

pub fn series_key_id(key: &SeriesKey) -> u64 {
    read_u64(&key.0, OWNER_BYTES + 8)
}

/// (owner, SHA-256 of an iCalendar UID): finds the event an import replaces.
pub type UidKey = Key<{ OWNER_BYTES + 32 }>;

pub fn uid_key(owner: &Principal, uid: &str) -> UidKey {
    use sha2::{Digest, Sha256};
    KeyWriter::new()
        .owner(owner)
        .raw(&Sha256::digest(uid.as_bytes()))
        .done()
}

/// (owner, participant, event id): the people an owner shares an event with or invites, one
/// entry per event, so "does the owner know this person" is one range probe (free/busy
/// privacy, `store::privacy`).
pub type ContactKey = Key<{ OWNER_BYTES + OWNER_BYTES + 8 }>;

pub fn contact_key(owner: &Principal, participant: &Principal, id: u64) -> ContactKey {
    KeyWriter::new()
        .owner(owner)
        .owner(participant)
        .u64(id)
        .done()
}

/// (attendee, organizer shard, event id): the invitations a shard holds for its users, one per
/// event of each organizer shard, so one user's are contiguous.
pub type InvitationKey = Key<{ OWNER_BYTES + OWNER_BYTES + 8 }>;

pub fn invitation_key(attendee: &Principal, organizer_shard: &Principal, id: u64) -> InvitationKey {
    KeyWriter::new()
        .owner(attendee)
        .owner(organizer_shard)
        .u64(id)
        .done()
}

/// (attendee, organizer shard) of an [`InvitationKey`].
pub fn invitation_key_parties(key: &InvitationKey) -> (Principal, Principal) {
    let principal_at = |at: usize| {
        let len = key.0[at] as usize;
        Principal::from_slice(&key.0[at + 1..at + 1 + len])
    };
    (principal_at(0), principal_at(OWNER_BYTES))
}

/// (attendee, tag, instant, organizer shard, event id): the invitations a shard holds by time.
/// A one-off invitation's tag is its duration class and its instant its start (as
/// [`TimeKey`]); a recurring one's tag is [`SERIES_TAG`] and its instant the end of its last
/// instance (as [`SeriesKey`]).
pub type InvitationTimeKey = Key<{ OWNER_BYTES + 1 + 8 + OWNER_BYTES + 8 }>;

pub const SERIES_TAG: u8 = 0xff;

pub fn invitation_time_key(
    attendee: &Principal,
    tag: u8,
    at_ns: u64,
    organizer_shard: &Principal,
    id: u64,
) -> InvitationTimeKey {
    KeyWriter::new()
        .owner(attendee)
        .u8(tag)
        .u64(at_ns)
        .owner(organizer_shard)
        .u64(id)
        .done()
}

/// (instant, organizer shard, event id) of an [`InvitationTimeKey`].
pub fn invitation_time_key_parts(key: &InvitationTimeKey) -> (u64, Principal, u64) {
    let at = OWNER_BYTES + 9;
    let len = key.0[at] as usize;
    (
        read_u64(&key.0, OWNER_BYTES + 1),
        Principal::from_slice(&key.0[at + 1..at + 1 + len]),
        read_u64(&key.0, 2 * OWNER_BYTES + 9),
    )
}

/// The index entry of a one-off event: enough to answer free/busy and to filter a window
/// without decoding the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeEntry {
    pub end_ns: u64,
    /// Counts in free/busy (not cancelled, opaque).
    pub busy: bool,
}

impl Storable for TimeEntry {
    const BOUND: Bound = Bound::Bounded {
        max_size: 9,
        is_fixed_size: true,
    };

    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut out = self.end_ns.to_be_bytes().to_vec();
        out.push(self.busy as u8);
        out
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        Self {
            end_ns: read_u64(&bytes, 0),
            busy: bytes[8] != 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u8, len: usize) -> Principal {
        Principal::from_slice(&vec![n; len])
    }

    #[test]
    fn keys_order_by_owner_then_fields() {
        let a = p(1, 29);
        let b = p(2, 29);
        assert!(time_key(&a, 4, u64::MAX, u64::MAX) < time_key(&b, 0, 0, 0));
        assert!(time_key(&a, 0, 5, 9) < time_key(&a, 0, 6, 1));
        assert!(time_key(&a, 0, u64::MAX, 0) < time_key(&a, 1, 0, 0));
        assert_eq!(time_key_parts(&time_key(&a, 3, 77, 88)), (77, 88));
        assert_eq!(series_key_id(&series_key(&b, 5, 42)), 42);
        assert_eq!(owned_id(&owned_key(&b, 7)), 7);
        let shard = p(9, 10);
        assert_eq!(
            invitation_time_key_parts(&invitation_time_key(&a, 2, 77, &shard, 5)),
            (77, shard, 5)
        );
        assert!(invitation_key(&a, &shard, u64::MAX) < invitation_key(&b, &p(0, 1), 0));
    }

    #[test]
    fn owners_of_different_lengths_never_share_a_prefix() {
        let short = p(1, 10);
        let long = p(1, 29);
        assert_ne!(owner_key(&short), owner_key(&long));
        assert_ne!(owner_key(&Principal::anonymous()), owner_key(&short));
    }

    #[test]
    fn entries_round_trip() {
        let e = TimeEntry {
            end_ns: 123,
            busy: true,
        };
        assert_eq!(TimeEntry::from_bytes(e.to_bytes()), e);
        let k = uid_key(&p(3, 29), "x@y");
        assert_eq!(Key::from_bytes(k.to_bytes()), k);
    }
}
