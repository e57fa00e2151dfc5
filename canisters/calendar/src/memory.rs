//! Stable memory layout of the calendar canister: one `MemoryManager`, and a named `MemoryId`
//! per structure. An id is never reused for something else, or an upgrade would read garbage.

use std::cell::RefCell;

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;

use crate::feeds::FeedMemories;
use crate::store::Memories;

pub type Memory = VirtualMemory<DefaultMemoryImpl>;

/// The group membership cache (`canister_kit::member`).
const MEMBERSHIP: MemoryId = MemoryId::new(0);
// The event store (`store::Store`): ids 1..=10, 14, 23..=25. Together they are the shard's data,
// which a backup snapshot copies and a restore replaces.
const META: MemoryId = MemoryId::new(1);
/// The event records of layouts up to 6; empty once the data is migrated to [`RECORDS`], and
/// kept so that snapshots keep their order and older ones restore.
const LEGACY_EVENTS: MemoryId = MemoryId::new(2);
const OWNED: MemoryId = MemoryId::new(3);
const BY_TIME: MemoryId = MemoryId::new(4);
const BY_SERIES: MemoryId = MemoryId::new(5);
const BY_UID: MemoryId = MemoryId::new(6);
const USERS: MemoryId = MemoryId::new(7);
const PARTICIPATIONS: MemoryId = MemoryId::new(8);
const POLICIES: MemoryId = MemoryId::new(9);
const REMINDER_OUTBOX: MemoryId = MemoryId::new(10);
/// Backups (`stable_snapshot`): what is staged, and the export and import staging copies.
const SNAPSHOT_STATE: MemoryId = MemoryId::new(11);
const EXPORT_STAGING: MemoryId = MemoryId::new(12);
const IMPORT_STAGING: MemoryId = MemoryId::new(13);
/// What imported iCalendar events say beyond the event model (`store::Store::ics_extras`): part
/// of the shard's data, so backups carry it (in [`DATA`]).
const ICS_EXTRAS: MemoryId = MemoryId::new(14);
/// Feeds and subscriptions (`feeds::Feeds`): feeds by token hash, feeds by owner, and
/// subscriptions to outside feeds. Part of the shard's data, so backups carry them (after
/// [`ICS_EXTRAS`] in [`DATA`]; a snapshot from before restores them empty).
const FEED_TOKENS: MemoryId = MemoryId::new(15);
const FEEDS_BY_OWNER: MemoryId = MemoryId::new(16);
const SUBSCRIPTIONS: MemoryId = MemoryId::new(17);
// Invitations across shards (`store::Invitations`): ids 18..=22. Not part of backup snapshots:
// a restore keeps what the shard holds for its users, empties its outbox and has every shard
// forget and receive again the invitations of its own events (`jobs::invitations`).
const INVITE_OUTBOX: MemoryId = MemoryId::new(18);
const INVITE_DUE: MemoryId = MemoryId::new(19);
const INVITE_PENDING: MemoryId = MemoryId::new(20);
const INVITATIONS_RECEIVED: MemoryId = MemoryId::new(21);
const INVITATIONS_BY_TIME: MemoryId = MemoryId::new(22);
/// Free/busy privacy (`store::privacy`): who each owner shares with or invites, and each user's
/// chosen audience. Part of the shard's data (after [`SUBSCRIPTIONS`] in [`DATA`]; a snapshot
/// from before restores them empty, and the layout migration rebuilds the contacts).
const CONTACTS: MemoryId = MemoryId::new(23);
const AUDIENCES: MemoryId = MemoryId::new(24);
/// The event records by id (`store::records`, layout 7). Part of the shard's data (after
/// [`AUDIENCES`] in [`DATA`]; a snapshot from before restores it empty, and the layout
/// migration moves the records it holds in [`LEGACY_EVENTS`] here).
const RECORDS: MemoryId = MemoryId::new(25);

/// The shard's data memories in a fixed order (the order snapshots list them in): the store's,
/// then the feeds'. New ones are only ever appended.
pub const DATA: [MemoryId; 17] = [
    META,
    LEGACY_EVENTS,
    OWNED,
    BY_TIME,
    BY_SERIES,
    BY_UID,
    USERS,
    PARTICIPATIONS,
    POLICIES,
    REMINDER_OUTBOX,
    ICS_EXTRAS,
    FEED_TOKENS,
    FEEDS_BY_OWNER,
    SUBSCRIPTIONS,
    CONTACTS,
    AUDIENCES,
    RECORDS,
];

thread_local! {
    static MANAGER: RefCell<MemoryManager<DefaultMemoryImpl>> =
        RefCell::new(MemoryManager::init(DefaultMemoryImpl::default()));
}

pub fn get(id: MemoryId) -> Memory {
    MANAGER.with_borrow(|m| m.get(id))
}

pub fn membership() -> Memory {
    get(MEMBERSHIP)
}

pub fn store() -> Memories<Memory> {
    Memories {
        meta: get(META),
        legacy_events: get(LEGACY_EVENTS),
        records: get(RECORDS),
        owned: get(OWNED),
        by_time: get(BY_TIME),
        by_series: get(BY_SERIES),
        by_uid: get(BY_UID),
        users: get(USERS),
        participations: get(PARTICIPATIONS),
        policies: get(POLICIES),
        reminder_outbox: get(REMINDER_OUTBOX),
        ics_extras: get(ICS_EXTRAS),
        contacts: get(CONTACTS),
        audiences: get(AUDIENCES),
        invitations: crate::store::InvitationMemories {
            outbox: get(INVITE_OUTBOX),
            due: get(INVITE_DUE),
            pending: get(INVITE_PENDING),
            received: get(INVITATIONS_RECEIVED),
            by_time: get(INVITATIONS_BY_TIME),
        },
    }
}

pub fn feeds() -> FeedMemories<Memory> {
    FeedMemories {
        tokens: get(FEED_TOKENS),
        by_owner: get(FEEDS_BY_OWNER),
        subscriptions: get(SUBSCRIPTIONS),
    }
}

pub fn export_staging() -> Memory {
    get(EXPORT_STAGING)
}

pub fn import_staging() -> Memory {
    get(IMPORT_STAGING)
}

/// The store's memories in [`DATA`] order.
pub fn data() -> Vec<Memory> {
    DATA.iter().map(|&id| get(id)).collect()
}

pub fn snapshot_state() -> Memory {
    get(SNAPSHOT_STATE)
}
