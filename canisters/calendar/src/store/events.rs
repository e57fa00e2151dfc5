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
        let bytes = canister_kit::codec::profile::span("storage", || self.records.get(id))?;
        Some(canister_kit::codec::profile::span(
            "record decoding",
            || ValidEvent::from_record(EventRecord::decode(&bytes)),
        ))
    }

    /// The stored bytes of event `id` (tests of the layout).
    #[cfg(test)]
    pub fn record_bytes(&self, id: EventId) -> Vec<u8> {
        self.records.get(id).expect("a stored event")
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
        self.load(named_id(uid)?)
            .filter(|e| e.event().owner == *owner && e.event().ical_uid == uid)
    }

    /// Whether an event of `owner` other than event `by` has this UID.
    fn uid_taken(&self, owner: &Principal, uid: &str, by: EventId) -> bool {
        self.by_uid.contains_key(&keys::uid_key(owner, uid))
            || named_id(uid).is_some_and(|n| {
                n != by
                    && self
                        .load(n)
                        .is_some_and(|e| e.event().owner == *owner && e.event().ical_uid == uid)
            })
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
mod tests {
    use super::*;
    use crate::store::tests::{ctx, ctx_at, fixture, lesson, user, weekly, Fixture, HOUR, MONDAY};
    use interfaces::calendar::{EventPatch, Role, Share};

    #[test]
    fn an_edit_refiles_only_what_moves_the_indexes() {
        let mut f = fixture();
        let e = shared_lesson(&mut f);
        let stored = |f: &Fixture| f.store.load(e.id).unwrap();
        let before = stored(&f);
        let mut renamed = before.event().clone();
        renamed.title = "Renamed".into();
        assert!(files_the_same(
            &before,
            &ValidEvent::check(renamed).unwrap()
        ));
        let mut moved = before.event().clone();
        moved.time = interfaces::calendar::EventTime::Timed {
            start_ns: MONDAY + HOUR,
            end_ns: MONDAY + 2 * HOUR,
        };
        assert!(!files_the_same(&before, &ValidEvent::check(moved).unwrap()));
        let mut free = before.event().clone();
        free.transparency = interfaces::calendar::Transparency::Transparent;
        assert!(!files_the_same(&before, &ValidEvent::check(free).unwrap()));
        let mut alone = before.event().clone();
        alone.attendees.clear();
        assert!(!files_the_same(&before, &ValidEvent::check(alone).unwrap()));
        // A title edit through the store keeps every index entry, and the event stays listed.
        let sizes_before = sizes(&f);
        let patch = EventPatch {
            title: Some("Renamed".into()),
            ..Default::default()
        };
        f.store.update(&ctx(user(1)), e.id, 1, patch).unwrap();
        assert_eq!(sizes(&f), sizes_before);
        assert_eq!(stored(&f).event().title, "Renamed");
    }

    fn shared_lesson(f: &mut Fixture) -> Event {
        let mut input = lesson(MONDAY);
        input.attendees = Some(vec![user(2)]);
        input.visibility = Some(Visibility::Shared(vec![Share {
            principal: user(3),
            role: Role::Viewer,
        }]));
        f.store.create(&ctx(user(1)), input).unwrap()
    }

    /// (events, owned, by time, by series, by UID, participations, users) entries; "owned" is
    /// what `owned_page` finds (no index holds it since layout 7).
    fn sizes(f: &Fixture) -> [u64; 7] {
        let s = &f.store;
        [
            s.records.len(),
            s.owned_page(&user(1), None, 100).0.len() as u64,
            s.by_time.len(),
            s.by_series.len(),
            s.by_uid.len(),
            s.participations.len(),
            s.users.len(),
        ]
    }

    #[test]
    fn a_new_event_is_filed_in_every_index() {
        let mut f = fixture();
        let e = shared_lesson(&mut f);
        // Its generated UID names it, so the UID index does not hold it (layout 7).
        assert_eq!(sizes(&f), [1, 1, 1, 0, 0, 2, 1]);
        assert_eq!(f.store.by_uid(&user(1), &e.ical_uid).unwrap().event(), &e);
        assert_eq!(f.store.ids_of(&user(1), true, 10), [e.id]);
        assert_eq!(f.store.ids_of(&user(2), false, 10), [e.id]);
        assert_eq!(f.store.ids_of(&user(3), false, 10), [e.id]);
        assert_eq!(f.store.events_of(&user(1)), 1);
        assert_eq!(f.store.owned_page(&user(1), None, 10), (vec![e], false));
    }

    #[test]
    fn a_new_version_moves_its_index_entries() {
        let mut f = fixture();
        let e = shared_lesson(&mut f);
        let into_series = EventPatch {
            recurrence: weekly(MONDAY, 3)
                .recurrence
                .map(interfaces::calendar::RecurrenceChange::Set),
            attendees: Some(vec![]),
            ..Default::default()
        };
        let e2 = f.store.update(&ctx(user(1)), e.id, 1, into_series).unwrap();
        assert_eq!(sizes(&f), [1, 1, 0, 1, 0, 1, 1]);
        assert!(f.store.ids_of(&user(2), false, 10).is_empty());
        assert_eq!(f.store.ids_of(&user(3), false, 10), [e.id]);
        assert_eq!(
            (e2.id, e2.revision, e2.created_at_ns),
            (e.id, 2, e.created_at_ns)
        );
    }

    #[test]
    fn removing_an_event_clears_every_index() {
        let mut f = fixture();
        let e = shared_lesson(&mut f);
        let other = f
            .store
            .create(&ctx(user(1)), lesson(MONDAY + HOUR))
            .unwrap();
        f.store.delete(&ctx(user(1)), e.id, Some(1)).unwrap();
        assert_eq!(sizes(&f), [1, 1, 1, 0, 0, 0, 1]);
        assert_eq!(f.store.events_of(&user(1)), 1);
        f.store.delete(&ctx(user(1)), other.id, None).unwrap();
        assert_eq!(
            sizes(&f),
            [0; 7],
            "the last event takes the user's counter with it"
        );
    }

    #[test]
    fn a_uid_is_found_and_kept_unique_whether_the_index_holds_it_or_it_names_its_event() {
        let mut f = fixture();
        let c = ctx(user(1));
        let own = f.store.create(&c, lesson(MONDAY)).unwrap();
        assert_eq!(named_id(&own.ical_uid), Some(own.id));
        assert_eq!(
            f.store.by_uid(&user(1), &own.ical_uid).unwrap().event(),
            &own
        );
        assert!(
            f.store.by_uid(&user(2), &own.ical_uid).is_none(),
            "per owner"
        );
        // A UID from elsewhere is indexed, one that only looks generated too.
        let mut imported = crate::store::draft::draft(&c, lesson(MONDAY), 0);
        imported.ical_uid = "abc@example.com".into();
        let mut lookalike = imported.clone();
        lookalike.ical_uid = format!("{}@{}", own.id + 5, c.shard);
        let saved = f.store.import(&c, vec![imported, lookalike]).unwrap();
        assert_eq!(sizes(&f)[4], 2);
        for (e, added) in &saved {
            assert!(added);
            assert_eq!(f.store.by_uid(&user(1), &e.ical_uid).unwrap().event(), e);
        }
        // Importing the created event's own UID replaces it, as for an indexed UID.
        let mut again = own.clone();
        again.title = "Again".into();
        let replaced = f.store.import(&c, vec![again]).unwrap();
        assert_eq!((replaced[0].0.id, replaced[0].1), (own.id, false));
        assert_eq!(sizes(&f)[4], 2);
        // Taking a UID another event has, either way, is refused.
        for taken in [own.ical_uid.clone(), "abc@example.com".to_string()] {
            let mut other = f.store.get(&c, saved[1].0.id).unwrap();
            other.ical_uid = taken;
            let old = f.store.load(other.id).unwrap();
            assert!(matches!(
                f.store.save(&c, vec![Change::replace(old, other)]),
                Err(Error::AlreadyExists { .. })
            ));
        }
        // A canonical decimal before the first `@` only.
        for (uid, id) in [("7@x", Some(7)), ("07@x", None), ("7", None), ("@x", None)] {
            assert_eq!(named_id(uid), id, "{uid}");
        }
        assert_eq!(named_id(&format!("{}@a@b", u64::MAX)), Some(u64::MAX));
        assert_eq!(named_id("18446744073709551616@x"), None);
    }

    #[test]
    fn an_owners_pages_list_one_offs_and_series_in_id_order() {
        let mut f = fixture();
        let c = ctx(user(1));
        let mut ids = Vec::new();
        for i in 0..10 {
            // Starts out of id order, one-offs and series interleaved.
            let start = MONDAY + (10 - i) * HOUR;
            let input = if i % 3 == 0 {
                weekly(start, 2)
            } else {
                lesson(start)
            };
            ids.push(f.store.create(&c, input).unwrap().id);
            f.store.create(&ctx(user(2)), lesson(start)).unwrap();
        }
        let mut listed = Vec::new();
        let mut after = None;
        loop {
            let (page, more) = f.store.owned_page(&user(1), after, 3);
            assert!(page.iter().all(|e| e.owner == user(1)));
            listed.extend(page.iter().map(|e| e.id));
            after = page.last().map(|e| e.id);
            if !more {
                break;
            }
        }
        assert_eq!(listed, ids);
        let mut all = f.store.ids_of(&user(1), true, 100);
        all.sort();
        assert_eq!(all, ids);
        assert_eq!(f.store.ids_of(&user(1), true, 4).len(), 4);
    }

    #[test]
    fn a_batch_is_checked_whole_before_anything_is_written() {
        let mut f = fixture();
        let c = ctx(user(1));
        let first = crate::store::draft::draft(&c, lesson(MONDAY), f.store.next_id());
        let mut second = crate::store::draft::draft(&c, lesson(MONDAY), first.id + 1);
        // Saves both; on refusal, checks that no byte changed.
        let both = |f: &mut Fixture, second: &Event| {
            let bytes = f.bytes();
            let batch = vec![
                Change::insert(first.clone()),
                Change::insert(second.clone()),
            ];
            let result = f.store.save(&c, batch);
            assert!(result.is_ok() || f.bytes() == bytes, "nothing was written");
            result.map(|saved| saved.len())
        };
        second.title.clear();
        assert!(matches!(
            both(&mut f, &second),
            Err(Error::InvalidInput { .. })
        ));
        // Two new events with one UID.
        second.title = "Theory".into();
        second.ical_uid = first.ical_uid.clone();
        assert!(matches!(
            both(&mut f, &second),
            Err(Error::AlreadyExists { .. })
        ));
        // The quota counts the whole batch.
        second.ical_uid = "other".into();
        f.quota(1);
        assert!(matches!(both(&mut f, &second), Err(Error::Conflict { .. })));
        f.quota(2);
        assert_eq!(both(&mut f, &second), Ok(2));
    }

    #[test]
    fn the_write_path_stamps_revisions_and_times() {
        let mut f = fixture();
        let e = f
            .store
            .create(&ctx_at(user(1), 100), lesson(MONDAY))
            .unwrap();
        assert_eq!(
            (e.revision, e.created_at_ns, e.updated_at_ns),
            (1, 100, 100)
        );
        let old = f.store.load(e.id).unwrap();
        let mut next = e.clone();
        // Whatever bookkeeping a draft carries, the stored version is the next revision.
        (next.revision, next.created_at_ns, next.id) = (99, 7, 99);
        let saved = f
            .store
            .save(&ctx_at(user(1), 200), vec![Change::replace(old, next)])
            .unwrap();
        assert_eq!(
            (
                saved[0].id,
                saved[0].revision,
                saved[0].created_at_ns,
                saved[0].updated_at_ns
            ),
            (e.id, 2, 100, 200)
        );
    }

    #[test]
    fn only_opaque_events_that_are_not_cancelled_block_time() {
        let mut f = fixture();
        let mut e = shared_lesson(&mut f);
        assert!(blocks_time(&e));
        e.transparency = Transparency::Transparent;
        assert!(!blocks_time(&e));
        e.transparency = Transparency::Opaque;
        e.status = EventStatus::Cancelled;
        assert!(!blocks_time(&e));
    }
}
