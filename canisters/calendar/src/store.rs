//! The calendar's data and every operation on it, as plain logic over stable structures.
//!
//! Generic over the memory so unit tests run it natively on `VectorMemory`. Nothing here reads
//! the clock or the caller: both come in a [`Ctx`]. Each operation validates everything before
//! its first write, so an error leaves the store exactly as it was.

use std::collections::BTreeMap;

use candid::{CandidType, Deserialize, Principal};
use candid_storable::Candid;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use interfaces::calendar::{
    Attendee, BookingPolicy, BusyBlock, CalendarConfig, Event, EventId, EventInput, EventPage,
    EventPatch, EventStatus, InstanceChange, InstanceEdit, InstanceOverride, ListCursor,
    ListRequest, Occurrence, RecurrenceChange, Role, Rsvp, SplitOutcome, Transparency, Visibility,
};
use interfaces::notification::{EventRef, ReminderPlan, ReminderUpdate};
use interfaces::{Error, InputProblem};
use recurrence::wire::{schedule_from_series, series_from_schedule, timestamp, to_ns};
use security_base::limits;

use crate::keys::{self, OwnedKey, OwnerKey, SeriesKey, TimeEntry, TimeKey, UidKey};
use crate::validate::{check_event, Placement, CLASS_BOUNDS_NS};

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;
/// Free/busy refuses ranges with more occurrences than this (ask for a shorter range).
pub const MAX_BUSY_OCCURRENCES: u32 = 10_000;
/// Free/busy and availability cover at most this long a range.
pub const MAX_RANGE_NS: u64 = 366 * 24 * 3_600 * 1_000_000_000;

pub const DEFAULT_CONFIG: CalendarConfig = CalendarConfig {
    max_events_per_user: 10_000,
    writes_per_minute: 600,
};

/// Who is asking, when, and which shard this is.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    pub caller: Principal,
    pub now_ns: u64,
    pub shard: Principal,
}

/// Counters and configuration, in one cell.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub next_id: u64,
    /// Moves on every change of stored data.
    pub data_version: u64,
    pub config: CalendarConfig,
}

impl Default for Meta {
    fn default() -> Self {
        Self {
            next_id: 1,
            data_version: 0,
            config: DEFAULT_CONFIG,
        }
    }
}

/// An event with the index slot it was filed under, so removal never recomputes it.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub event: Event,
    pub slot: IndexSlot,
}

#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexSlot {
    OneOff {
        class: u8,
        start_ns: u64,
        end_ns: u64,
    },
    Series {
        last_end_ns: u64,
    },
}

impl From<Placement> for IndexSlot {
    fn from(p: Placement) -> Self {
        match p {
            Placement::OneOff {
                class,
                start_ns,
                end_ns,
            } => IndexSlot::OneOff {
                class,
                start_ns,
                end_ns,
            },
            Placement::Series { last_end_ns } => IndexSlot::Series { last_end_ns },
        }
    }
}

/// The stable memories the store is built on, one per structure.
pub struct Memories<M> {
    pub meta: M,
    pub events: M,
    pub owned: M,
    pub by_time: M,
    pub by_series: M,
    pub by_uid: M,
    pub users: M,
    pub participations: M,
    pub policies: M,
    pub reminder_outbox: M,
}

pub struct Store<M: Memory> {
    meta: StableCell<Candid<Meta>, M>,
    events: StableBTreeMap<EventId, Candid<Stored>, M>,
    /// Every event of an owner.
    owned: StableBTreeMap<OwnedKey, (), M>,
    /// One-off events by (owner, duration class, start).
    by_time: StableBTreeMap<TimeKey, TimeEntry, M>,
    /// Recurring events by (owner, end of last instance).
    by_series: StableBTreeMap<SeriesKey, (), M>,
    by_uid: StableBTreeMap<UidKey, EventId, M>,
    /// Events per owner (the quota).
    users: StableBTreeMap<OwnerKey, u64, M>,
    /// (principal, event) for every attendee and share, so deleting an account finds them.
    participations: StableBTreeMap<OwnedKey, (), M>,
    policies: StableBTreeMap<OwnerKey, Candid<BookingPolicy>, M>,
    /// The latest reminder update per event, waiting for the notification canister; keyed by
    /// event so repeated changes coalesce.
    reminder_outbox: StableBTreeMap<EventId, Candid<ReminderUpdate>, M>,
}

/// Which occurrences a window query keeps.
#[derive(Clone, Copy)]
enum Filter {
    /// Those `caller` may read (all of them when `caller` is the owner).
    Readable { caller: Principal, owner: Principal },
    /// Those that block time: not cancelled, opaque.
    Busy,
}

fn key_of(o: &Occurrence) -> ListCursor {
    ListCursor {
        start_ns: o.start_ns,
        event_id: o.event_id,
        original_start_ns: o.original_start_ns,
    }
}

fn overlaps(start: u64, end: u64, from: u64, to: u64) -> bool {
    if start == end {
        from <= start && start < to
    } else {
        start < to && end > from
    }
}

pub fn can_read(event: &Event, who: &Principal) -> bool {
    event.owner == *who
        || matches!(event.visibility, Visibility::Public)
        || event.attendees.iter().any(|a| a.principal == *who)
        || matches!(&event.visibility, Visibility::Shared(s) if s.iter().any(|s| s.principal == *who))
}

pub fn can_edit(event: &Event, who: &Principal) -> bool {
    event.owner == *who
        || matches!(&event.visibility, Visibility::Shared(s)
            if s.iter().any(|s| s.principal == *who && s.role == Role::Editor))
}

fn not_found(id: EventId) -> Error {
    Error::not_found(format!("event {id}"))
}

fn require_caller(ctx: &Ctx) -> Result<(), Error> {
    security_base::guards::require_authenticated(&ctx.caller)
}

impl<M: Memory> Store<M> {
    pub fn init(m: Memories<M>) -> Self {
        Self {
            meta: StableCell::init(m.meta, Candid(Meta::default())),
            events: StableBTreeMap::init(m.events),
            owned: StableBTreeMap::init(m.owned),
            by_time: StableBTreeMap::init(m.by_time),
            by_series: StableBTreeMap::init(m.by_series),
            by_uid: StableBTreeMap::init(m.by_uid),
            users: StableBTreeMap::init(m.users),
            participations: StableBTreeMap::init(m.participations),
            policies: StableBTreeMap::init(m.policies),
            reminder_outbox: StableBTreeMap::init(m.reminder_outbox),
        }
    }

    pub fn meta(&self) -> &Meta {
        self.meta.get()
    }

    pub fn config(&self) -> CalendarConfig {
        self.meta.get().config
    }

    pub fn set_config(&mut self, config: CalendarConfig) -> Result<(), Error> {
        if config.max_events_per_user == 0 {
            return Err(Error::invalid("max_events_per_user", InputProblem::Empty));
        }
        if config.writes_per_minute == 0 {
            return Err(Error::invalid("writes_per_minute", InputProblem::Empty));
        }
        self.update_meta(|m| m.config = config);
        Ok(())
    }

    fn update_meta(&mut self, f: impl FnOnce(&mut Meta)) {
        let mut meta = self.meta.get().0.clone();
        f(&mut meta);
        self.meta.set(Candid(meta));
    }

    /// After a restore: the data changed, so its version moves past both the restored one and
    /// `before` (what this shard had), and backups see a change.
    pub fn mark_restored(&mut self, before: u64) -> u64 {
        self.update_meta(|m| m.data_version = m.data_version.max(before) + 1);
        self.meta.get().data_version
    }

    fn touch(&mut self) {
        self.update_meta(|m| m.data_version += 1);
    }

    pub fn event_count(&self) -> u64 {
        self.events.len()
    }

    pub fn series_count(&self) -> u64 {
        self.by_series.len()
    }

    pub fn user_count(&self) -> u64 {
        self.users.len()
    }

    pub fn events_of(&self, owner: &Principal) -> u64 {
        self.users.get(&keys::owner_key(owner)).unwrap_or(0)
    }

    fn load(&self, id: EventId) -> Option<Event> {
        self.events.get(&id).map(|s| s.0.event)
    }

    /// The event if `who` may read it; otherwise it does not exist for them.
    fn readable(&self, id: EventId, who: &Principal) -> Result<Event, Error> {
        self.load(id)
            .filter(|e| can_read(e, who))
            .ok_or_else(|| not_found(id))
    }

    /// The event if `who` may change it.
    fn editable(&self, id: EventId, who: &Principal, revision: u64) -> Result<Event, Error> {
        let event = self.readable(id, who)?;
        if !can_edit(&event, who) {
            return Err(Error::Forbidden {
                reason: "only the owner and editors may change this event".into(),
            });
        }
        if event.revision != revision {
            return Err(Error::StaleRevision {
                expected: revision,
                current: event.revision,
            });
        }
        Ok(event)
    }

    pub fn get(&self, ctx: &Ctx, id: EventId) -> Result<Event, Error> {
        self.readable(id, &ctx.caller)
    }

    // ---- writes -------------------------------------------------------------------------

    fn check_quota(&self, owner: &Principal, adding: u64) -> Result<(), Error> {
        let max = u64::from(self.config().max_events_per_user);
        if self.events_of(owner) + adding > max {
            return Err(Error::Conflict {
                reason: format!("quota: at most {max} events per user"),
            });
        }
        Ok(())
    }

    /// A new event from `input`, owned by the caller, not yet stored.
    pub fn draft(&self, ctx: &Ctx, input: EventInput, id: EventId) -> Event {
        Event {
            id,
            owner: ctx.caller,
            ical_uid: format!("{id}@{}", ctx.shard),
            title: input.title,
            description: input.description.unwrap_or_default(),
            location: input.location.unwrap_or_default(),
            time: input.time,
            time_zone: input.time_zone,
            recurrence: input.recurrence.map(|mut r| {
                r.rule = normalize_rule(&r.rule);
                r
            }),
            overrides: vec![],
            status: input.status.unwrap_or_default(),
            transparency: input.transparency.unwrap_or_default(),
            visibility: input.visibility.unwrap_or_default(),
            color: input.color.filter(|c| !c.is_empty()),
            attendees: input
                .attendees
                .unwrap_or_default()
                .into_iter()
                .map(|principal| Attendee {
                    principal,
                    rsvp: Rsvp::NeedsAction,
                })
                .collect(),
            reminders_minutes: input.reminders_minutes.unwrap_or_default(),
            created_at_ns: ctx.now_ns,
            updated_at_ns: ctx.now_ns,
            revision: 1,
        }
    }

    pub fn next_id(&self) -> EventId {
        self.meta.get().next_id
    }

    pub fn create(&mut self, ctx: &Ctx, input: EventInput) -> Result<Event, Error> {
        require_caller(ctx)?;
        self.check_quota(&ctx.caller, 1)?;
        let event = self.draft(ctx, input, self.next_id());
        let slot = check_event(&event)?.into();
        self.insert_new(ctx, event, slot)
    }

    /// Stores a booking made on the host's behalf (checked by `booking::book`).
    pub fn insert_booking(
        &mut self,
        ctx: &Ctx,
        event: Event,
        slot: IndexSlot,
    ) -> Result<Event, Error> {
        self.check_quota(&event.owner, 1)?;
        self.insert_new(ctx, event, slot)
    }

    /// Files a checked new event under the next id (which `event.id` must already be, since
    /// a generated UID is built from it).
    pub fn insert_new(&mut self, ctx: &Ctx, event: Event, slot: IndexSlot) -> Result<Event, Error> {
        let id = self.next_id();
        debug_assert_eq!(event.id, id);
        if self
            .by_uid
            .contains_key(&keys::uid_key(&event.owner, &event.ical_uid))
        {
            return Err(Error::AlreadyExists {
                what: format!("event with UID {}", event.ical_uid),
            });
        }
        self.update_meta(|m| m.next_id += 1);
        let owner = keys::owner_key(&event.owner);
        self.users
            .insert(owner, self.users.get(&owner).unwrap_or(0) + 1);
        self.owned.insert(keys::owned_key(&event.owner, id), ());
        self.by_uid
            .insert(keys::uid_key(&event.owner, &event.ical_uid), id);
        self.file(&event, slot);
        self.queue_reminders(ctx, None, Some(&event));
        self.events.insert(
            id,
            Candid(Stored {
                event: event.clone(),
                slot,
            }),
        );
        self.touch();
        Ok(event)
    }

    /// Adds the time index and participation entries of an event.
    fn file(&mut self, event: &Event, slot: IndexSlot) {
        match slot {
            IndexSlot::OneOff {
                class,
                start_ns,
                end_ns,
            } => {
                self.by_time.insert(
                    keys::time_key(&event.owner, class, start_ns, event.id),
                    TimeEntry {
                        end_ns,
                        busy: blocks_time(event),
                    },
                );
            }
            IndexSlot::Series { last_end_ns } => {
                self.by_series
                    .insert(keys::series_key(&event.owner, last_end_ns, event.id), ());
            }
        }
        for p in participants(event) {
            self.participations
                .insert(keys::owned_key(&p, event.id), ());
        }
    }

    fn unfile(&mut self, event: &Event, slot: IndexSlot) {
        match slot {
            IndexSlot::OneOff {
                class, start_ns, ..
            } => {
                self.by_time
                    .remove(&keys::time_key(&event.owner, class, start_ns, event.id));
            }
            IndexSlot::Series { last_end_ns } => {
                self.by_series
                    .remove(&keys::series_key(&event.owner, last_end_ns, event.id));
            }
        }
        for p in participants(event) {
            self.participations.remove(&keys::owned_key(&p, event.id));
        }
    }

    /// Replaces a stored event with `new` (already checked), moving its index entries.
    fn replace(&mut self, ctx: &Ctx, old: &Event, new: Event, slot: IndexSlot) -> Event {
        let old_slot = self
            .events
            .get(&old.id)
            .expect("replaced events exist")
            .0
            .slot;
        self.unfile(old, old_slot);
        if old.ical_uid != new.ical_uid {
            self.by_uid
                .remove(&keys::uid_key(&old.owner, &old.ical_uid));
            self.by_uid
                .insert(keys::uid_key(&new.owner, &new.ical_uid), new.id);
        }
        self.file(&new, slot);
        self.queue_reminders(ctx, Some(old), Some(&new));
        self.events.insert(
            new.id,
            Candid(Stored {
                event: new.clone(),
                slot,
            }),
        );
        self.touch();
        new
    }

    fn remove(&mut self, ctx: &Ctx, event: &Event) {
        let slot = self
            .events
            .get(&event.id)
            .expect("removed events exist")
            .0
            .slot;
        self.unfile(event, slot);
        self.events.remove(&event.id);
        self.owned.remove(&keys::owned_key(&event.owner, event.id));
        self.by_uid
            .remove(&keys::uid_key(&event.owner, &event.ical_uid));
        let owner = keys::owner_key(&event.owner);
        match self.users.get(&owner).unwrap_or(1) {
            0 | 1 => {
                self.users.remove(&owner);
            }
            n => {
                self.users.insert(owner, n - 1);
            }
        }
        self.queue_reminders(ctx, Some(event), None);
        self.touch();
    }

    /// Checks `next` (a changed copy of `old`) and stores it as the next revision.
    fn commit(&mut self, ctx: &Ctx, old: &Event, mut next: Event) -> Result<Event, Error> {
        next.revision = old.revision + 1;
        next.updated_at_ns = ctx.now_ns;
        let slot = check_event(&next)?.into();
        Ok(self.replace(ctx, old, next, slot))
    }

    pub fn update(
        &mut self,
        ctx: &Ctx,
        id: EventId,
        expected_revision: u64,
        patch: EventPatch,
    ) -> Result<Event, Error> {
        let old = self.editable(id, &ctx.caller, expected_revision)?;
        let owner_only = patch.visibility.is_some() || patch.attendees.is_some();
        if owner_only && old.owner != ctx.caller {
            return Err(Error::Forbidden {
                reason: "only the owner may change who sees or attends the event".into(),
            });
        }
        let next = apply_patch(&old, patch);
        self.commit(ctx, &old, next)
    }

    pub fn delete(
        &mut self,
        ctx: &Ctx,
        id: EventId,
        expected_revision: Option<u64>,
    ) -> Result<(), Error> {
        let event = self.readable(id, &ctx.caller)?;
        if event.owner != ctx.caller {
            return Err(Error::Forbidden {
                reason: "only the owner may delete this event".into(),
            });
        }
        if let Some(expected) = expected_revision.filter(|&r| r != event.revision) {
            return Err(Error::StaleRevision {
                expected,
                current: event.revision,
            });
        }
        self.remove(ctx, &event);
        Ok(())
    }

    pub fn rsvp(&mut self, ctx: &Ctx, id: EventId, answer: Rsvp) -> Result<Event, Error> {
        let old = self.readable(id, &ctx.caller)?;
        let mut next = old.clone();
        let me = next
            .attendees
            .iter_mut()
            .find(|a| a.principal == ctx.caller)
            .ok_or_else(|| Error::Forbidden {
                reason: "only attendees answer an invitation".into(),
            })?;
        me.rsvp = answer;
        self.commit(ctx, &old, next)
    }

    pub fn edit_instance(
        &mut self,
        ctx: &Ctx,
        id: EventId,
        expected_revision: u64,
        original_start_ns: u64,
        edit: InstanceEdit,
    ) -> Result<Event, Error> {
        let old = self.editable(id, &ctx.caller, expected_revision)?;
        let mut next = old.clone();
        next.overrides
            .retain(|o| o.original_start_ns != original_start_ns);
        let change = match edit {
            InstanceEdit::Moved { start_ns, end_ns } => {
                if end_ns < start_ns {
                    return Err(Error::invalid(
                        "edit",
                        InputProblem::Malformed {
                            reason: "the moved instance ends before it starts".into(),
                        },
                    ));
                }
                Some(InstanceChange::Moved { start_ns, end_ns })
            }
            InstanceEdit::Cancelled => Some(InstanceChange::Cancelled),
            InstanceEdit::Restored => None,
        };
        if let Some(change) = change {
            next.overrides.push(InstanceOverride {
                original_start_ns,
                change,
            });
            next.overrides.sort_by_key(|o| o.original_start_ns);
        }
        self.commit(ctx, &old, next)
    }

    /// "This and following": the series ends before `at_original_start_ns`, and a new event
    /// (with `patch` applied) continues from there.
    pub fn split(
        &mut self,
        ctx: &Ctx,
        id: EventId,
        expected_revision: u64,
        at_original_start_ns: u64,
        patch: EventPatch,
    ) -> Result<SplitOutcome, Error> {
        let old = self.editable(id, &ctx.caller, expected_revision)?;
        if old.recurrence.is_none() {
            return Err(Error::invalid(
                "id",
                InputProblem::Malformed {
                    reason: "only a recurring event can be split".into(),
                },
            ));
        }
        if (patch.visibility.is_some() || patch.attendees.is_some()) && old.owner != ctx.caller {
            return Err(Error::Forbidden {
                reason: "only the owner may change who sees or attends the event".into(),
            });
        }
        self.check_quota(&old.owner, 1)?;
        let series = series_from_schedule(&old.schedule())?;
        let at = timestamp("at_original_start_ns", at_original_start_ns)?;
        let (before, after) = recurrence::split_series(&series, at).map_err(|e| {
            Error::invalid(
                "at_original_start_ns",
                InputProblem::Malformed {
                    reason: e.to_string(),
                },
            )
        })?;
        let mut first = old.clone();
        set_schedule(&mut first, schedule_from_series(&before)?);
        first.revision = old.revision + 1;
        first.updated_at_ns = ctx.now_ns;
        let first_slot: IndexSlot = check_event(&first)?.into();

        let new_id = self.next_id();
        let mut second = old.clone();
        set_schedule(&mut second, schedule_from_series(&after)?);
        second.id = new_id;
        second.ical_uid = format!("{new_id}@{}", ctx.shard);
        second.created_at_ns = ctx.now_ns;
        second.updated_at_ns = ctx.now_ns;
        second.revision = 1;
        let second = apply_patch(&second, patch);
        let second_slot: IndexSlot = check_event(&second)?.into();

        // Both halves are valid: only now write anything.
        let before = self.replace(ctx, &old, first, first_slot);
        let after = self.insert_new(ctx, second, second_slot)?;
        Ok(SplitOutcome { before, after })
    }

    /// Removes every trace of `user`: their events, their booking policy, and their place as
    /// attendee or share in other people's events. Returns how many records changed.
    pub fn delete_user(&mut self, ctx: &Ctx, user: &Principal) -> u64 {
        let mut changed = 0;
        let owned: Vec<EventId> = self
            .owned
            .range(keys::owned_key(user, 0)..=keys::owned_key(user, u64::MAX))
            .map(|entry| keys::owned_id(entry.key()))
            .collect();
        for id in owned {
            if let Some(event) = self.load(id) {
                self.remove(ctx, &event);
                changed += 1;
            }
        }
        let joined: Vec<EventId> = self
            .participations
            .range(keys::owned_key(user, 0)..=keys::owned_key(user, u64::MAX))
            .map(|entry| keys::owned_id(entry.key()))
            .collect();
        for id in joined {
            if let Some(old) = self.load(id) {
                let mut next = old.clone();
                next.attendees.retain(|a| a.principal != *user);
                if let Visibility::Shared(shares) = &mut next.visibility {
                    shares.retain(|s| s.principal != *user);
                }
                next.revision = old.revision + 1;
                next.updated_at_ns = ctx.now_ns;
                let slot = self.events.get(&id).expect("exists").0.slot;
                self.replace(ctx, &old, next, slot);
                changed += 1;
            }
        }
        if self.policies.remove(&keys::owner_key(user)).is_some() {
            changed += 1;
            self.touch();
        }
        changed
    }

    // ---- windows: listing and free/busy -------------------------------------------------

    pub fn list(&self, ctx: &Ctx, req: &ListRequest) -> Result<EventPage, Error> {
        let owner = req.owner.unwrap_or(ctx.caller);
        if req.from_ns >= req.to_ns {
            return Err(Error::invalid(
                "to_ns",
                InputProblem::Malformed {
                    reason: "the range must end after it starts".into(),
                },
            ));
        }
        let limit = limits::page_size(req.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let filter = Filter::Readable {
            caller: ctx.caller,
            owner,
        };
        let (occurrences, more) =
            self.window(&owner, req.from_ns, req.to_ns, req.cursor, limit, filter)?;
        let mut events: BTreeMap<EventId, Event> = BTreeMap::new();
        for o in &occurrences {
            if let std::collections::btree_map::Entry::Vacant(slot) = events.entry(o.event_id) {
                if let Some(e) = self.load(o.event_id) {
                    slot.insert(e);
                }
            }
        }
        Ok(EventPage {
            next_cursor: if more {
                occurrences.last().map(key_of)
            } else {
                None
            },
            occurrences,
            events: events.into_values().collect(),
        })
    }

    /// Merged busy intervals of `user` within `[from_ns, to_ns)`.
    pub fn free_busy(
        &self,
        user: &Principal,
        from_ns: u64,
        to_ns: u64,
    ) -> Result<Vec<BusyBlock>, Error> {
        check_range(from_ns, to_ns)?;
        let (occurrences, more) = self.window(
            user,
            from_ns,
            to_ns,
            None,
            MAX_BUSY_OCCURRENCES,
            Filter::Busy,
        )?;
        if more {
            return Err(Error::invalid(
                "to_ns",
                InputProblem::TooMany {
                    max: MAX_BUSY_OCCURRENCES.into(),
                    actual: u64::from(MAX_BUSY_OCCURRENCES) + 1,
                },
            ));
        }
        let mut blocks: Vec<BusyBlock> = Vec::new();
        for o in occurrences {
            let (start, end) = (o.start_ns.max(from_ns), o.end_ns.min(to_ns));
            match blocks.last_mut() {
                Some(last) if start <= last.end_ns => last.end_ns = last.end_ns.max(end),
                _ => blocks.push(BusyBlock {
                    start_ns: start,
                    end_ns: end,
                }),
            }
        }
        Ok(blocks)
    }

    /// Occurrences of `owner`'s events overlapping `[from, to)` that pass `filter`, after
    /// `cursor`, in (start, id, original start) order: at most `limit`, and whether more exist.
    ///
    /// Cost follows the answer: each duration class is scanned only from `from - class bound`
    /// (or the cursor), and series that ended before `from` are never read.
    fn window(
        &self,
        owner: &Principal,
        from: u64,
        to: u64,
        cursor: Option<ListCursor>,
        limit: u32,
        filter: Filter,
    ) -> Result<(Vec<Occurrence>, bool), Error> {
        let want = limit as usize + 1;
        let after = |o: &Occurrence| cursor.is_none_or(|c| key_of(o) > c);
        let floor = cursor.map_or(0, |c| c.start_ns);
        let mut out: Vec<Occurrence> = Vec::new();
        for (class, bound) in CLASS_BOUNDS_NS.iter().enumerate() {
            let scan_from = from.saturating_sub(*bound).max(floor);
            if scan_from >= to {
                continue;
            }
            let range = keys::time_key(owner, class as u8, scan_from, 0)
                ..keys::time_key(owner, class as u8, to, 0);
            let mut taken = 0;
            for entry in self.by_time.range(range) {
                let (start, id) = keys::time_key_parts(entry.key());
                let TimeEntry { end_ns, busy } = entry.value();
                let o = Occurrence {
                    event_id: id,
                    original_start_ns: start,
                    start_ns: start,
                    end_ns,
                    overridden: false,
                };
                if !overlaps(start, end_ns, from, to) || !after(&o) {
                    continue;
                }
                let keep = match filter {
                    Filter::Busy => busy,
                    Filter::Readable { caller, owner } => {
                        caller == owner || self.load(id).is_some_and(|e| can_read(&e, &caller))
                    }
                };
                if keep {
                    out.push(o);
                    taken += 1;
                    if taken >= want {
                        break;
                    }
                }
            }
        }
        let series_range =
            keys::series_key(owner, from, 0)..=keys::series_key(owner, u64::MAX, u64::MAX);
        for entry in self.by_series.range(series_range) {
            let id = keys::series_key_id(entry.key());
            let Some(event) = self.load(id) else { continue };
            let keep = match filter {
                Filter::Busy => blocks_time(&event),
                Filter::Readable { caller, .. } => can_read(&event, &caller),
            };
            if keep {
                self.series_occurrences(&event, from, to, cursor, want, &mut out)?;
            }
        }
        out.sort_by_key(key_of);
        let more = out.len() > limit as usize;
        out.truncate(limit as usize);
        Ok((out, more))
    }

    /// Appends up to `want` occurrences of a recurring event after `cursor`.
    fn series_occurrences(
        &self,
        event: &Event,
        from: u64,
        to: u64,
        cursor: Option<ListCursor>,
        want: usize,
        out: &mut Vec<Occurrence>,
    ) -> Result<(), Error> {
        let series = series_from_schedule(&event.schedule())?;
        let window_start = cursor.map_or(from, |c| c.start_ns.max(from));
        let (ws, we) = (timestamp("from_ns", window_start)?, timestamp("to_ns", to)?);
        let mut ask = want;
        loop {
            let found =
                recurrence::instances(&series, ws, we, ask).map_err(|e| Error::Unavailable {
                    reason: format!("expanding event {}: {e}", event.id),
                })?;
            let complete = found.len() < ask;
            let mut kept = 0;
            let mut skipped = 0;
            let start_len = out.len();
            for i in &found {
                let o = Occurrence {
                    event_id: event.id,
                    original_start_ns: to_ns(i.original_start),
                    start_ns: to_ns(i.start),
                    end_ns: to_ns(i.end),
                    overridden: i.overridden,
                };
                if cursor.is_some_and(|c| key_of(&o) <= c)
                    || !overlaps(o.start_ns, o.end_ns, from, to)
                {
                    skipped += 1;
                    continue;
                }
                out.push(o);
                kept += 1;
            }
            if complete || kept >= want || skipped == 0 {
                return Ok(());
            }
            // Some answers were before the cursor: ask for that many more and redo.
            out.truncate(start_len);
            ask += skipped;
        }
    }

    // ---- booking policies ----------------------------------------------------------------

    pub fn policy(&self, host: &Principal) -> Option<BookingPolicy> {
        self.policies.get(&keys::owner_key(host)).map(|p| p.0)
    }

    pub fn set_policy(&mut self, host: &Principal, policy: Option<BookingPolicy>) {
        let key = keys::owner_key(host);
        match policy {
            Some(p) => {
                self.policies.insert(key, Candid(p));
            }
            None => {
                self.policies.remove(&key);
            }
        }
        self.touch();
    }

    // ---- iCalendar and export support ----------------------------------------------------

    /// The owner's events with id greater than `after`, at most `limit`, and whether more exist.
    pub fn owned_page(
        &self,
        owner: &Principal,
        after: Option<EventId>,
        limit: u32,
    ) -> (Vec<Event>, bool) {
        let start = after.map_or(0, |a| a.saturating_add(1));
        let mut ids = self
            .owned
            .range(keys::owned_key(owner, start)..=keys::owned_key(owner, u64::MAX))
            .map(|e| keys::owned_id(e.key()));
        let page: Vec<Event> = ids
            .by_ref()
            .take(limit as usize)
            .filter_map(|id| self.load(id))
            .collect();
        (page, ids.next().is_some())
    }

    pub fn by_uid(&self, owner: &Principal, uid: &str) -> Option<Event> {
        self.by_uid
            .get(&keys::uid_key(owner, uid))
            .and_then(|id| self.load(id))
    }

    /// Stores imported events: each replaces the owner's event with the same UID or is added.
    /// Every event was checked by the caller; quota is checked here before any write.
    pub fn import(
        &mut self,
        ctx: &Ctx,
        events: Vec<(Event, IndexSlot)>,
    ) -> Result<(u32, u32), Error> {
        let new = events
            .iter()
            .filter(|(e, _)| self.by_uid(&ctx.caller, &e.ical_uid).is_none())
            .count() as u64;
        self.check_quota(&ctx.caller, new)?;
        let (mut created, mut updated) = (0, 0);
        for (mut event, slot) in events {
            match self.by_uid(&ctx.caller, &event.ical_uid) {
                Some(old) => {
                    event.id = old.id;
                    event.created_at_ns = old.created_at_ns;
                    event.revision = old.revision + 1;
                    self.replace(ctx, &old, event, slot);
                    updated += 1;
                }
                None => {
                    event.id = self.next_id();
                    self.insert_new(ctx, event, slot)?;
                    created += 1;
                }
            }
        }
        Ok((created, updated))
    }

    // ---- reminders outbox ----------------------------------------------------------------

    /// Records what the notification canister must learn about a change from `old` to `new`.
    fn queue_reminders(&mut self, ctx: &Ctx, old: Option<&Event>, new: Option<&Event>) {
        let had = old.is_some_and(|e| !e.reminders_minutes.is_empty());
        let update = match new {
            Some(e) if had || !e.reminders_minutes.is_empty() => {
                ReminderUpdate::Set(reminder_plan(e, ctx.shard))
            }
            None if had => {
                let e = old.expect("had implies old");
                ReminderUpdate::Cancel {
                    event: EventRef {
                        shard: ctx.shard,
                        event_id: e.id,
                    },
                    revision: e.revision + 1,
                }
            }
            _ => return,
        };
        let id = new.or(old).expect("one side exists").id;
        self.reminder_outbox.insert(id, Candid(update));
    }

    pub fn outbox_len(&self) -> u64 {
        self.reminder_outbox.len()
    }

    /// Up to `n` pending reminder updates, oldest event first.
    pub fn outbox_batch(&self, n: usize) -> Vec<(EventId, ReminderUpdate)> {
        self.reminder_outbox
            .iter()
            .take(n)
            .map(|e| (*e.key(), e.value().0))
            .collect()
    }

    /// Drops delivered updates, unless a newer one for the same event arrived meanwhile.
    pub fn outbox_delivered(&mut self, delivered: &[(EventId, ReminderUpdate)]) {
        for (id, update) in delivered {
            if self
                .reminder_outbox
                .get(id)
                .is_some_and(|held| held.0 == *update)
            {
                self.reminder_outbox.remove(id);
            }
        }
    }
}

fn check_range(from_ns: u64, to_ns: u64) -> Result<(), Error> {
    if from_ns >= to_ns {
        return Err(Error::invalid(
            "to_ns",
            InputProblem::Malformed {
                reason: "the range must end after it starts".into(),
            },
        ));
    }
    if to_ns - from_ns > MAX_RANGE_NS {
        return Err(Error::invalid(
            "to_ns",
            InputProblem::TooLong {
                max: MAX_RANGE_NS,
                actual: to_ns - from_ns,
            },
        ));
    }
    Ok(())
}

pub fn blocks_time(e: &Event) -> bool {
    e.status != EventStatus::Cancelled && e.transparency == Transparency::Opaque
}

fn participants(e: &Event) -> Vec<Principal> {
    let mut out: Vec<Principal> = e.attendees.iter().map(|a| a.principal).collect();
    if let Visibility::Shared(shares) = &e.visibility {
        out.extend(shares.iter().map(|s| s.principal));
    }
    out.sort();
    out.dedup();
    out
}

/// `RRULE:FREQ=...` and `FREQ=...` are the same rule; store the parsed, canonical text.
pub fn normalize_rule(rule: &str) -> String {
    rule.trim()
        .parse::<recurrence::RecurrenceRule>()
        .map_or_else(|_| rule.to_string(), |r| r.to_string())
}

fn set_schedule(event: &mut Event, s: interfaces::calendar::Schedule) {
    event.time = s.time;
    event.time_zone = s.time_zone;
    event.recurrence = s.recurrence;
    event.overrides = s.overrides;
}

/// `old` with `patch` applied (unchecked). When the timing changes, overrides that no longer
/// name an instance are dropped, as calendar apps do when a whole series moves.
pub fn apply_patch(old: &Event, patch: EventPatch) -> Event {
    let mut e = old.clone();
    let timing_changed =
        patch.time.is_some() || patch.time_zone.is_some() || patch.recurrence.is_some();
    if let Some(v) = patch.title {
        e.title = v;
    }
    if let Some(v) = patch.description {
        e.description = v;
    }
    if let Some(v) = patch.location {
        e.location = v;
    }
    if let Some(v) = patch.time {
        e.time = v;
    }
    if let Some(v) = patch.time_zone {
        e.time_zone = v;
    }
    match patch.recurrence {
        Some(RecurrenceChange::Set(mut r)) => {
            r.rule = normalize_rule(&r.rule);
            e.recurrence = Some(r);
        }
        Some(RecurrenceChange::Remove) => {
            e.recurrence = None;
            e.overrides.clear();
        }
        None => {}
    }
    if let Some(v) = patch.status {
        e.status = v;
    }
    if let Some(v) = patch.transparency {
        e.transparency = v;
    }
    if let Some(v) = patch.visibility {
        e.visibility = v;
    }
    if let Some(v) = patch.color {
        e.color = (!v.is_empty()).then_some(v);
    }
    if let Some(people) = patch.attendees {
        e.attendees = people
            .into_iter()
            .map(|principal| Attendee {
                principal,
                rsvp: old
                    .attendees
                    .iter()
                    .find(|a| a.principal == principal)
                    .map_or(Rsvp::NeedsAction, |a| a.rsvp),
            })
            .collect();
    }
    if let Some(v) = patch.reminders_minutes {
        e.reminders_minutes = v;
    }
    if timing_changed && !e.overrides.is_empty() {
        if let Ok(series) = series_from_schedule(
            &Event {
                overrides: vec![],
                ..e.clone()
            }
            .schedule(),
        ) {
            e.overrides.retain(|o| {
                timestamp("overrides", o.original_start_ns)
                    .ok()
                    .and_then(|t| recurrence::is_instance(&series, t).ok())
                    .unwrap_or(false)
            });
        }
    }
    e
}

/// What the notification canister needs for an event's reminders. A cancelled event keeps its
/// entry but with no reminders, which clears them.
pub fn reminder_plan(e: &Event, shard: Principal) -> ReminderPlan {
    let mut recipients = vec![e.owner];
    recipients.extend(
        e.attendees
            .iter()
            .filter(|a| matches!(a.rsvp, Rsvp::Accepted | Rsvp::Tentative))
            .map(|a| a.principal),
    );
    ReminderPlan {
        event: EventRef {
            shard,
            event_id: e.id,
        },
        revision: e.revision,
        title: e.title.clone(),
        recipients,
        schedule: e.schedule(),
        minutes_before: if e.status == EventStatus::Cancelled {
            vec![]
        } else {
            e.reminders_minutes.clone()
        },
    }
}

#[cfg(test)]
mod tests;
