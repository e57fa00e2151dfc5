//! Event records and their indexes, and the one write path every change takes.
//!
//! [`Store::save`] is the validation gate's only caller: it checks every new version of a
//! batch ([`ValidEvent::check`]), then the batch as a whole (quota, UID uniqueness), and only
//! then writes. Below it, filing and unfiling take a [`ValidEvent`] only, so nothing unchecked
//! reaches the records or the indexes (owned, by time, by series, by UID, participations,
//! contacts, the per-user counters).

use std::collections::{BTreeMap, BTreeSet};

use candid::Principal;
use ic_stable_structures::Memory;
use interfaces::calendar::{Event, EventId, EventStatus, Transparency, Visibility};
use interfaces::Error;

use super::{Ctx, Store};
use crate::keys::{self, TimeEntry};
use crate::model::event::EventRecord;
use crate::model::ics_extras::IcsExtras;
use crate::validate::{Placement, ValidEvent};

/// One event to write: a new event (`old` is `None`, and `new.id` is the id it gets) or the
/// next version of a stored one.
pub struct Change {
    pub old: Option<ValidEvent>,
    pub new: Event,
}

impl Change {
    pub fn insert(new: Event) -> Self {
        Self { old: None, new }
    }

    pub fn replace(old: ValidEvent, new: Event) -> Self {
        Self {
            old: Some(old),
            new,
        }
    }
}

/// Counts in free/busy: not cancelled, opaque.
pub fn blocks_time(e: &Event) -> bool {
    e.status != EventStatus::Cancelled && e.transparency == Transparency::Opaque
}

/// Everyone an event names besides its owner: attendees and shares, each once.
pub(super) fn participants(e: &Event) -> Vec<Principal> {
    let mut out: Vec<Principal> = e.attendees.iter().map(|a| a.principal).collect();
    if let Visibility::Shared(shares) = &e.visibility {
        out.extend(shares.iter().map(|s| s.principal));
    }
    out.sort();
    out.dedup();
    out
}

/// The event id a UID of the form new events get (`<id>@<shard>`, `draft`) names: the decimal
/// before its first `@`, as `u64`'s `Display` writes it.
fn named_id(uid: &str) -> Option<EventId> {
    let (digits, _) = uid.split_once('@')?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == 1 || !digits.starts_with('0'));
    canonical.then(|| digits.parse().ok()).flatten()
}

/// Whether the event's UID names the event itself, as every UID this calendar generates does.
/// Such a UID is found through the event (one record read), so the UID index does not hold it:
/// creating and deleting an event then writes one index fewer. No other event can hold it:
/// every write checks a new UID against both the index and the event it names.
fn uid_names_itself(e: &Event) -> bool {
    named_id(&e.ical_uid) == Some(e.id)
}

/// The event stored as `bytes` (from [`Store::stored`]).
pub(super) fn decoded(bytes: &[u8]) -> ValidEvent {
    canister_kit::codec::profile::span("record decoding", || {
        ValidEvent::from_record(EventRecord::decode(bytes))
    })
}

/// Whether two versions of an event have the same time-index and participation entries.
fn files_the_same(old: &ValidEvent, new: &ValidEvent) -> bool {
    let (o, n) = (old.event(), new.event());
    o.id == n.id
        && o.owner == n.owner
        && old.placement() == new.placement()
        && blocks_time(o) == blocks_time(n)
        && participants(o) == participants(n)
}

impl<M: Memory> Store<M> {
    // ---- reads -----------------------------------------------------------------------------

    pub(super) fn load(&self, id: EventId) -> Option<ValidEvent> {
        self.stored(id).map(|bytes| decoded(&bytes))
    }

    /// The stored bytes of event `id` (read with [`decoded`], or only up to the revision by
    /// `model::event::owners_revision`).
    pub(super) fn stored(&self, id: EventId) -> Option<Vec<u8>> {
        canister_kit::codec::profile::span("storage", || self.records.get(id))
    }

    /// The stored bytes of event `id` (tests of the layout).
    #[cfg(test)]
    pub fn record_bytes(&self, id: EventId) -> Vec<u8> {
        self.stored(id).expect("a stored event")
    }

    /// Every stored event with an id from `from` on, in id order.
    pub(super) fn records_from(&self, from: EventId) -> impl Iterator<Item = ValidEvent> + '_ {
        self.records
            .range_from(from)
            .map(|(_, bytes)| ValidEvent::from_record(EventRecord::decode(&bytes)))
    }

    /// Up to `max` stored events from id `from` on, and the id to go on from (`None` when no
    /// event is left): a batch of a walk over the whole store that spans messages.
    pub(super) fn batch_from(&self, from: EventId, max: usize) -> (Vec<Event>, Option<EventId>) {
        let batch: Vec<Event> = self
            .records_from(from)
            .take(max)
            .map(ValidEvent::into_event)
            .collect();
        let next = match batch.last() {
            Some(last) if batch.len() == max => Some(last.id + 1),
            _ => None,
        };
        (batch, next)
    }

    /// Rewrites every stored record with `convert` (the layout migration; in id order, in
    /// place). Stops at the first record `convert` refuses, with its id and reason.
    pub fn rewrite_records(
        &mut self,
        convert: impl Fn(&[u8]) -> Result<Vec<u8>, String>,
    ) -> Result<u64, String> {
        let mut next = 0;
        let mut rewritten = 0;
        // In batches: the records are not written while an iterator over them is open.
        loop {
            let batch: Vec<(EventId, Vec<u8>)> = self.records.range_from(next).take(500).collect();
            let Some(&(last, _)) = batch.last() else {
                return Ok(rewritten);
            };
            for (id, bytes) in batch {
                let new = convert(&bytes).map_err(|e| format!("event {id}: {e}"))?;
                self.records.insert(id, &new);
                rewritten += 1;
            }
            match last.checked_add(1) {
                Some(after) => next = after,
                None => return Ok(rewritten),
            }
        }
    }

    /// Copies the records of layouts up to 6 from their map to [`Self::records`] as they are
    /// (the layout migration to 7), then empties the map. Answers how many moved.
    pub fn move_legacy_records(&mut self) -> u64 {
        let mut moved = 0;
        for entry in self.legacy_events.iter() {
            self.records.insert(*entry.key(), &entry.value());
            moved += 1;
        }
        if moved > 0 {
            self.legacy_events.clear_new();
        }
        moved
    }

    /// Empties the index by (owner, id) that layouts up to 6 kept (the migration to 7).
    pub fn clear_retired_owned_index(&mut self) {
        if !self.retired_owned.is_empty() {
            self.retired_owned.clear_new();
        }
    }

    /// Puts every record back where layouts up to 6 kept them, and every UID in the UID index
    /// as they did (tests of the migration).
    #[cfg(test)]
    pub fn store_records_as_layout_6(&mut self) {
        let all: Vec<(EventId, Vec<u8>)> = self.records.range_from(0).collect();
        for (id, bytes) in all {
            let e = ValidEvent::from_record(EventRecord::decode(&bytes)).into_event();
            self.by_uid.insert(keys::uid_key(&e.owner, &e.ical_uid), id);
            self.retired_owned.insert(keys::owned_key(&e.owner, id), ());
            self.records.remove(id);
            self.legacy_events.insert(id, bytes);
        }
    }

    /// How many UIDs the UID index holds, and entries the retired owner index (tests).
    #[cfg(test)]
    pub fn index_sizes(&self) -> (u64, u64) {
        (self.by_uid.len(), self.retired_owned.len())
    }

    /// What an imported iCalendar event said beyond the model, if anything.
    pub fn ics_extras(&self, id: EventId) -> Option<IcsExtras> {
        self.ics_extras.get(&id).map(|b| IcsExtras::decode(&b))
    }

    /// Keeps (or with empty `extras` forgets) what an import of event `id` said beyond the
    /// model. Called only right after that event was written by the same message.
    pub fn set_ics_extras(&mut self, id: EventId, extras: &IcsExtras) {
        if extras.is_empty() {
            self.ics_extras.remove(&id);
        } else {
            self.ics_extras.insert(id, extras.encode());
        }
    }

    pub fn events_of(&self, owner: &Principal) -> u64 {
        self.users.get(&keys::owner_key(owner)).unwrap_or(0)
    }

    /// The owner's event with this UID: one the UID index holds, else the event the UID names
    /// if the UID names its own event (see [`uid_names_itself`]).
    pub fn by_uid(&self, owner: &Principal, uid: &str) -> Option<ValidEvent> {
        if let Some(id) = self.by_uid.get(&keys::uid_key(owner, uid)) {
            return self.load(id);
        }
        self.named_event(owner, uid)
    }

    /// The owner's event that `uid` names, if that event has this UID.
    fn named_event(&self, owner: &Principal, uid: &str) -> Option<ValidEvent> {
        self.load(named_id(uid)?)
            .filter(|e| e.event().owner == *owner && e.event().ical_uid == uid)
    }

    /// Whether an event of `owner` other than event `by` has this UID.
    fn uid_taken(&self, owner: &Principal, uid: &str, by: EventId) -> bool {
        self.by_uid.contains_key(&keys::uid_key(owner, uid))
            || (named_id(uid).is_some_and(|n| n != by) && self.named_event(owner, uid).is_some())
    }

    /// Files the event's UID in the UID index, unless the UID names the event itself.
    fn index_uid(&mut self, e: &Event) {
        if !uid_names_itself(e) {
            self.by_uid
                .insert(keys::uid_key(&e.owner, &e.ical_uid), e.id);
        }
    }

    fn unindex_uid(&mut self, e: &Event) {
        if !uid_names_itself(e) {
            self.by_uid.remove(&keys::uid_key(&e.owner, &e.ical_uid));
        }
    }

    /// Refills the UID index from the records, with only the UIDs that do not name their own
    /// event (the layout migration to 7; before it, the index held every UID).
    pub fn rebuild_uid_index(&mut self) {
        let held: Vec<(keys::UidKey, EventId)> = self
            .records_from(0)
            .map(ValidEvent::into_event)
            .filter(|e| !uid_names_itself(e))
            .map(|e| (keys::uid_key(&e.owner, &e.ical_uid), e.id))
            .collect();
        self.by_uid.clear_new();
        for (key, id) in held {
            self.by_uid.insert(key, id);
        }
    }

    /// The owner's events with id greater than `after`, at most `limit`, and whether more exist.
    /// No index lists an owner's events by id (every create and delete would write it), so a
    /// page collects the owner's ids from the keys of the time and series indexes and sorts
    /// them: work linear in the owner's events (at most their quota), only for export pages.
    pub fn owned_page(
        &self,
        owner: &Principal,
        after: Option<EventId>,
        limit: u32,
    ) -> (Vec<Event>, bool) {
        let mut ids: Vec<EventId> = self
            .owner_ids(owner)
            .filter(|&id| after.is_none_or(|a| id > a))
            .collect();
        ids.sort_unstable();
        let more = ids.len() > limit as usize;
        ids.truncate(limit as usize);
        let page = ids
            .into_iter()
            .filter_map(|id| self.load(id).map(ValidEvent::into_event))
            .collect();
        (page, more)
    }

    /// Every event of `owner`, in no particular order.
    pub fn owned_events(&self, owner: &Principal) -> impl Iterator<Item = Event> + '_ {
        self.owner_ids(owner)
            .filter_map(|id| self.load(id).map(ValidEvent::into_event))
    }

    /// Ids of the events `who` owns or (with `owned` false) takes part in, at most `max`, in no
    /// particular order.
    pub(super) fn ids_of(&self, who: &Principal, owned: bool, max: u64) -> Vec<EventId> {
        if owned {
            return self.owner_ids(who).take(max as usize).collect();
        }
        self.participations
            .range(keys::owned_key(who, 0)..=keys::owned_key(who, u64::MAX))
            .take(max as usize)
            .map(|entry| keys::owned_id(entry.key()))
            .collect()
    }

    /// Every event of `owner`, each once, from the keys of the indexes every event is in: its
    /// one-off events by start, then its series.
    fn owner_ids(&self, owner: &Principal) -> impl Iterator<Item = EventId> + '_ {
        let one_offs = self
            .by_time
            .range(
                keys::time_key(owner, 0, 0, 0)..=keys::time_key(owner, u8::MAX, u64::MAX, u64::MAX),
            )
            .map(|entry| keys::time_key_parts(entry.key()).1);
        let series = self
            .by_series
            .range(keys::series_key(owner, 0, 0)..=keys::series_key(owner, u64::MAX, u64::MAX))
            .map(|entry| keys::series_key_id(entry.key()));
        one_offs.chain(series)
    }

    // ---- the write path --------------------------------------------------------------------

    /// Checks every new version through the gate, then writes the batch (see [`Self::write`]).
    /// The revision, timestamps and id of a replaced event are set here.
    pub(super) fn save(&mut self, ctx: &Ctx, changes: Vec<Change>) -> Result<Vec<Event>, Error> {
        // A batch (an import) checks the message's work before each event (`crate::work`).
        let total = changes.len();
        let checked = changes
            .into_iter()
            .enumerate()
            .map(|(done, c)| {
                crate::work::may_continue("ics", done, total)?;
                let valid =
                    canister_kit::codec::profile::span("validation", || ValidEvent::check(c.new))?;
                Ok((c.old, valid))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        self.write(ctx, checked)
    }

    /// Writes checked versions after the checks of the whole batch: each owner's quota holds
    /// with the new events, and no UID is taken twice. A new event gets revision 1, a replaced
    /// one the next revision; both are stamped `now`.
    pub(super) fn write(
        &mut self,
        ctx: &Ctx,
        batch: Vec<(Option<ValidEvent>, ValidEvent)>,
    ) -> Result<Vec<Event>, Error> {
        let mut adding: BTreeMap<Principal, u64> = BTreeMap::new();
        let mut uids = BTreeSet::new();
        for (old, new) in &batch {
            let e = new.event();
            if old.is_none() {
                *adding.entry(e.owner).or_default() += 1;
            }
            let moved = old
                .as_ref()
                .is_none_or(|o| o.event().ical_uid != e.ical_uid);
            let key = keys::uid_key(&e.owner, &e.ical_uid);
            if moved && (self.uid_taken(&e.owner, &e.ical_uid, e.id) || !uids.insert(key)) {
                return Err(Error::AlreadyExists {
                    what: format!("event with UID {}", e.ical_uid),
                });
            }
        }
        for (owner, n) in adding {
            self.check_quota(&owner, n)?;
        }
        // Everything is checked: only now write anything.
        let mut out = Vec::with_capacity(batch.len());
        for (old, mut new) in batch {
            out.push(match old {
                Some(old) => {
                    let o = old.event();
                    new.stamp(o.id, o.revision + 1, o.created_at_ns, ctx.now_ns);
                    self.replace(ctx, &old, new)
                }
                None => {
                    let id = new.event().id;
                    new.stamp(id, 1, ctx.now_ns, ctx.now_ns);
                    self.insert(ctx, new)
                }
            });
        }
        Ok(out)
    }

    pub(super) fn check_quota(&self, owner: &Principal, adding: u64) -> Result<(), Error> {
        let max = u64::from(self.config().max_events_per_user);
        if self.events_of(owner) + adding > max {
            return Err(Error::Conflict {
                reason: format!("quota: at most {max} events per user"),
            });
        }
        Ok(())
    }

    /// Files a new event under the next id (which `event`'s id must already be, since a
    /// generated UID is built from it).
    fn insert(&mut self, ctx: &Ctx, event: ValidEvent) -> Event {
        let e = event.event();
        let id = self.next_id();
        assert_eq!(e.id, id, "a new event carries the next id");
        self.update_meta(|m| m.next_id += 1);
        let owner = keys::owner_key(&e.owner);
        self.users
            .insert(owner, self.users.get(&owner).unwrap_or(0) + 1);
        self.index_uid(e);
        canister_kit::codec::profile::span("indexes", || self.file(&event));
        self.queue_reminders(ctx, None, Some(e));
        self.queue_invitations(ctx, None, Some(e));
        let record = EventRecord::of(&event).encode();
        canister_kit::codec::profile::span("storage", || self.records.insert(id, &record));
        self.touch();
        event.into_event()
    }

    /// Replaces a stored event with its next version, moving its index entries.
    fn replace(&mut self, ctx: &Ctx, old: &ValidEvent, new: ValidEvent) -> Event {
        let (o, n) = (old.event(), new.event());
        // Most edits (a title, a description) leave every index entry as it is.
        let refile = !files_the_same(old, &new);
        if refile {
            canister_kit::codec::profile::span("indexes", || self.unfile(old));
        }
        if o.ical_uid != n.ical_uid {
            self.unindex_uid(o);
            self.index_uid(n);
        }
        if refile {
            canister_kit::codec::profile::span("indexes", || self.file(&new));
        }
        self.queue_reminders(ctx, Some(o), Some(n));
        self.queue_invitations(ctx, Some(o), Some(n));
        let record = EventRecord::of(&new).encode();
        canister_kit::codec::profile::span("storage", || self.records.insert(n.id, &record));
        self.touch();
        new.into_event()
    }

    pub(super) fn remove(&mut self, ctx: &Ctx, event: &ValidEvent) {
        let e = event.event();
        self.unfile(event);
        self.records.remove(e.id);
        self.ics_extras.remove(&e.id);
        self.unindex_uid(e);
        let owner = keys::owner_key(&e.owner);
        match self.users.get(&owner).unwrap_or(1) {
            0 | 1 => {
                self.users.remove(&owner);
            }
            n => {
                self.users.insert(owner, n - 1);
            }
        }
        self.queue_reminders(ctx, Some(e), None);
        self.queue_invitations(ctx, Some(e), None);
        self.touch();
    }

    /// Adds the time index and participation entries of an event.
    fn file(&mut self, event: &ValidEvent) {
        let e = event.event();
        match event.placement() {
            Placement::OneOff {
                class,
                start_ns,
                end_ns,
            } => {
                self.by_time.insert(
                    keys::time_key(&e.owner, class, start_ns, e.id),
                    TimeEntry {
                        end_ns,
                        busy: blocks_time(e),
                    },
                );
            }
            Placement::Series { last_end_ns } => {
                self.by_series
                    .insert(keys::series_key(&e.owner, last_end_ns, e.id), ());
            }
        }
        for p in participants(e) {
            self.participations.insert(keys::owned_key(&p, e.id), ());
            if p != e.owner {
                self.contacts
                    .insert(keys::contact_key(&e.owner, &p, e.id), ());
            }
        }
    }

    fn unfile(&mut self, event: &ValidEvent) {
        let e = event.event();
        match event.placement() {
            Placement::OneOff {
                class, start_ns, ..
            } => {
                self.by_time
                    .remove(&keys::time_key(&e.owner, class, start_ns, e.id));
            }
            Placement::Series { last_end_ns } => {
                self.by_series
                    .remove(&keys::series_key(&e.owner, last_end_ns, e.id));
            }
        }
        for p in participants(e) {
            self.participations.remove(&keys::owned_key(&p, e.id));
            self.contacts.remove(&keys::contact_key(&e.owner, &p, e.id));
        }
    }
}

#[cfg(test)]
mod tests;
