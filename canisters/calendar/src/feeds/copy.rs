//! The read-only copy of an outside feed: what a fetched text changes in the store.
//!
//! The text is read by the iCalendar importer for the subscription's own principal
//! (`super::subscription_calendar`); every event becomes visible to the subscriber as a viewer,
//! without attendees or reminders (an outside file must not make anyone an attendee here, nor
//! schedule reminders). Events whose UID is new are added, those that changed are replaced,
//! those that vanished from the feed are removed, and unchanged ones are not written at all, so
//! a refresh of an unchanged feed moves nothing (no revision, no data version, no backup).

use std::collections::BTreeSet;

use candid::Principal;
use ic_stable_structures::Memory;
use interfaces::calendar::{Event, Role, Share, Visibility};
use interfaces::feeds::SubscriptionId;
use interfaces::Error;

use super::subscription_calendar;
use crate::store::{Ctx, Store};

/// What one refresh did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub added: u32,
    pub replaced: u32,
    pub removed: u32,
    /// Events in the copy afterwards.
    pub events: u32,
}

/// Whether `new` says anything `old` does not (ids, owner, revision and timestamps aside).
fn differs(old: &Event, new: &Event) -> bool {
    let mut new = new.clone();
    new.id = old.id;
    new.owner = old.owner;
    new.revision = old.revision;
    new.created_at_ns = old.created_at_ns;
    new.updated_at_ns = old.updated_at_ns;
    new != *old
}

/// Every event id and UID of the copy owned by `calendar`.
fn copy_uids<M: Memory>(store: &Store<M>, calendar: &Principal) -> Vec<(u64, String)> {
    store
        .owned_events(calendar)
        .map(|e| (e.id, e.ical_uid))
        .collect()
}

/// Brings the copy of `user`'s subscription `id` to what `text` holds. A text the importer
/// refuses changes nothing.
pub fn apply<M: Memory>(
    store: &mut Store<M>,
    user: Principal,
    id: SubscriptionId,
    shard: Principal,
    now_ns: u64,
    text: &str,
) -> Result<Applied, Error> {
    let calendar = subscription_calendar(&user, id);
    let ctx = Ctx {
        caller: calendar,
        now_ns,
        shard,
    };
    let parsed = crate::ics::parse_events(text, calendar, now_ns)?;
    let viewer = Visibility::Shared(vec![Share {
        principal: user,
        role: Role::Viewer,
    }]);
    let mut seen = BTreeSet::new();
    let mut changed = Vec::new();
    let mut applied = Applied::default();
    for mut event in parsed {
        event.visibility = viewer.clone();
        event.attendees.clear();
        event.reminders_minutes.clear();
        seen.insert(event.ical_uid.clone());
        match store.by_uid(&calendar, &event.ical_uid) {
            Some(old) if !differs(old.event(), &event) => {}
            Some(_) => {
                applied.replaced += 1;
                changed.push(event);
            }
            None => {
                applied.added += 1;
                changed.push(event);
            }
        }
    }
    let vanished: Vec<u64> = copy_uids(store, &calendar)
        .into_iter()
        .filter(|(_, uid)| !seen.contains(uid))
        .map(|(id, _)| id)
        .collect();
    if !changed.is_empty() {
        // All or nothing: a refused batch leaves the copy as it was.
        store.import(&ctx, changed)?;
    }
    for event_id in vanished {
        store.delete(&ctx, event_id, None)?;
        applied.removed += 1;
    }
    applied.events = store.events_of(&calendar) as u32;
    Ok(applied)
}

/// Removes up to `max` events of the copy (unsubscribing, account deletion): how many it
/// removed, and whether the copy is now empty.
pub fn clear<M: Memory>(
    store: &mut Store<M>,
    user: Principal,
    id: SubscriptionId,
    shard: Principal,
    now_ns: u64,
    max: u32,
) -> (u32, bool) {
    let calendar = subscription_calendar(&user, id);
    let ctx = Ctx {
        caller: calendar,
        now_ns,
        shard,
    };
    let (page, more) = store.owned_page(&calendar, None, max);
    let removed = page.len() as u32;
    for e in page {
        // The owner deletes its own event: nothing to refuse.
        let _ = store.delete(&ctx, e.id, None);
    }
    (removed, !more)
}
