//! The calendar's data and every operation on it, as plain logic over stable structures.
//!
//! Generic over the memory so unit tests run it natively on `VectorMemory`. Nothing here reads
//! the clock or the caller: both come in a [`Ctx`]. Each operation checks everything before its
//! first write, so an error leaves the store exactly as it was.
//!
//! By concern:
//! - [`events`]: event records and their indexes, and the one write path every change takes
//!   (through the validation gate, `crate::validate::ValidEvent`);
//! - [`records`]: where the event records are kept, by id;
//! - [`edits`]: what users do to events (create, update, delete, answer, instances, splits,
//!   imports, bookings) and account deletion, each decided by `crate::access`;
//! - [`draft`]: building an event from an input or a patch (pure);
//! - [`window`]: listing a range and free/busy;
//! - [`outbox`]: the reminder updates waiting for the notification canister;
//! - [`policies`]: booking policies;
//! - [`privacy`]: who may see a user's free/busy;
//! - [`invitations`]: invitations across shards, the outbox of the organizer's side and the
//!   records of the attendee's side;
//! - here: the structures, counters and configuration.

mod draft;
mod edits;
mod events;
mod invitations;
mod outbox;
mod policies;
mod privacy;
mod records;
mod window;

#[cfg(test)]
pub mod tests;

use candid::{CandidType, Deserialize, Principal};
use canister_kit::stored::Candid;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use interfaces::calendar::{BookingPolicy, CalendarConfig, EventId};
use interfaces::notification::ReminderUpdate;
use interfaces::{Error, InputProblem};

use crate::keys::{ContactKey, OwnedKey, OwnerKey, SeriesKey, TimeEntry, TimeKey, UidKey};

pub use draft::{keep_attending, normalize_rule};
pub use invitations::{InvitationForget, InvitationMemories, Invitations};
pub use outbox::ReminderResync;
pub use window::check_range;

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
    /// The stored layout's version (`crate::layout`); absent in what releases before it wrote.
    /// Kept here so that a backup snapshot carries the version of the data it holds.
    pub layout: Option<u32>,
    /// Set by a restore until the notification canister holds exactly this shard's plans again
    /// (`outbox`); absent otherwise and in what releases before it wrote.
    pub reminder_resync: Option<ReminderResync>,
    /// Set by a restore until every calendar shard forgot this shard's invitations
    /// (`invitations`); absent otherwise and in what releases before it wrote.
    pub invitation_forget: Option<InvitationForget>,
    /// The event id from which invitations are still to be queued again (after a restore of
    /// this shard or of an attendee's); absent otherwise and in what releases before it wrote.
    pub invitation_requeue_from: Option<EventId>,
}

impl Default for Meta {
    /// A new, empty store, in the layout this code writes.
    fn default() -> Self {
        Self {
            next_id: 1,
            data_version: 0,
            config: DEFAULT_CONFIG,
            layout: Some(crate::layout::CURRENT),
            reminder_resync: None,
            invitation_forget: None,
            invitation_requeue_from: None,
        }
    }
}

/// The stable memories the store is built on, one per structure.
pub struct Memories<M> {
    pub meta: M,
    /// The event records of layouts up to 6 (a `StableBTreeMap`), empty once migrated.
    pub legacy_events: M,
    pub records: M,
    pub owned: M,
    pub by_time: M,
    pub by_series: M,
    pub by_uid: M,
    pub users: M,
    pub participations: M,
    pub policies: M,
    pub reminder_outbox: M,
    pub ics_extras: M,
    pub contacts: M,
    pub audiences: M,
    pub invitations: InvitationMemories<M>,
}

pub struct Store<M: Memory> {
    meta: StableCell<Candid<Meta>, M>,
    /// Every event, as it passed the validation gate (with its index placement): the bytes of
    /// its `model::event::EventRecord`, by id. Raw bytes, so that the layout migration can
    /// rewrite records of older layouts in place; [`Store::load`] is the one reader.
    records: records::Records<M>,
    /// Where layouts up to 6 kept the records; the migration to 7 moves them to `records`.
    legacy_events: StableBTreeMap<EventId, Vec<u8>, M>,
    /// Every event of an owner, in layouts up to 6; empty since (an owner's events are found in
    /// `by_time` and `by_series`, which every event is in).
    retired_owned: StableBTreeMap<OwnedKey, (), M>,
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
    /// What imported iCalendar events say beyond the event model
    /// (`model::ics_extras::IcsExtras` in postcard), only for events that have any.
    ics_extras: StableBTreeMap<EventId, Vec<u8>, M>,
    /// (owner, participant, event) for every attendee and share other than the owner: whom an
    /// owner shares with or invites (`privacy`).
    contacts: StableBTreeMap<ContactKey, (), M>,
    /// Each user's free/busy audience (`interfaces::calendar::FreeBusyAudience` as its index),
    /// only where it is not the default.
    audiences: StableBTreeMap<OwnerKey, u8, M>,
    /// Invitations across shards: both sides (`invitations`).
    invitations: Invitations<M>,
}

impl<M: Memory> Store<M> {
    pub fn init(m: Memories<M>) -> Self {
        Self {
            meta: StableCell::init(m.meta, Candid(Meta::default())),
            records: records::Records::init(m.records),
            legacy_events: StableBTreeMap::init(m.legacy_events),
            retired_owned: StableBTreeMap::init(m.owned),
            by_time: StableBTreeMap::init(m.by_time),
            by_series: StableBTreeMap::init(m.by_series),
            by_uid: StableBTreeMap::init(m.by_uid),
            users: StableBTreeMap::init(m.users),
            participations: StableBTreeMap::init(m.participations),
            policies: StableBTreeMap::init(m.policies),
            reminder_outbox: StableBTreeMap::init(m.reminder_outbox),
            ics_extras: canister_kit::stored::open_map(m.ics_extras),
            contacts: StableBTreeMap::init(m.contacts),
            audiences: StableBTreeMap::init(m.audiences),
            invitations: Invitations::init(m.invitations),
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
        canister_kit::codec::profile::span("meta", || self.meta.set(Candid(meta)));
    }

    /// After a restore: the data changed, so its version moves past both the restored one and
    /// `before.data_version` (what this shard had), and backups see a change. Ids never go
    /// back: the next one is above every id this shard issued before the restore, including
    /// those of events created after the snapshot, which no longer exist (clients, reminders and
    /// invitations may still name them). The shard issues far fewer than one id per
    /// microsecond, so the restore time in microseconds is above every id it ever issued, also
    /// when it had lost its data before the restore. The reminder outbox of the snapshot is
    /// dropped (it may name another shard) and the reminders are rebuilt as a whole. So are the
    /// invitations: the outbox (not in snapshots) was queued for the events as they were before
    /// the restore, and attendees may hold invitations to events the snapshot does not have, or
    /// at revisions it has not reached yet.
    pub fn mark_restored(&mut self, before: &Meta, now_ns: u64) -> u64 {
        self.reminder_outbox.clear_new();
        self.invitations.clear_outbox();
        let held_none = self.invitations.held_len() == 0;
        self.update_meta(|m| {
            m.data_version = m.data_version.max(before.data_version) + 1;
            m.next_id = m.next_id.max(before.next_id).max(now_ns / 1_000);
            m.reminder_resync = Some(ReminderResync::Forget);
            m.invitation_forget = Some(InvitationForget {
                forgotten_by: vec![],
                ask_resend: held_none,
            });
            m.invitation_requeue_from = Some(0);
        });
        self.meta.get().data_version
    }

    /// Records the layout the data is now in (`crate::layout::migrate` does, after migrating;
    /// `None` is what releases before the version wrote).
    pub fn set_layout(&mut self, version: Option<u32>) {
        self.update_meta(|m| m.layout = version);
    }

    /// Moves the data version: the next backup cycle takes a snapshot.
    pub(crate) fn touch(&mut self) {
        self.update_meta(|m| m.data_version += 1);
    }

    pub fn next_id(&self) -> EventId {
        self.meta.get().next_id
    }

    pub fn event_count(&self) -> u64 {
        self.records.len()
    }

    pub fn series_count(&self) -> u64 {
        self.by_series.len()
    }

    pub fn user_count(&self) -> u64 {
        self.users.len()
    }
}

#[cfg(test)]
mod unit {
    use super::tests::{fixture, lesson, user};
    use super::*;

    #[test]
    fn a_config_with_a_zero_refuses_and_keeps_the_old_one() {
        let mut f = fixture();
        for config in [
            CalendarConfig {
                max_events_per_user: 0,
                writes_per_minute: 5,
            },
            CalendarConfig {
                max_events_per_user: 5,
                writes_per_minute: 0,
            },
        ] {
            assert!(matches!(
                f.store.set_config(config),
                Err(Error::InvalidInput { .. })
            ));
        }
        assert_eq!(f.store.config(), DEFAULT_CONFIG);
        let small = CalendarConfig {
            max_events_per_user: 1,
            writes_per_minute: 5,
        };
        f.store.set_config(small).unwrap();
        assert_eq!(f.store.config(), small);
    }

    #[test]
    fn a_restore_moves_the_data_version_and_the_ids_past_both_sides() {
        let mut f = fixture();
        f.store.create(&f.ctx(user(1)), lesson(0)).unwrap();
        let now = f.store.meta().data_version;
        assert!(now > 0);
        let before = |data_version, next_id| Meta {
            data_version,
            next_id,
            ..Meta::default()
        };
        assert_eq!(f.store.mark_restored(&before(now + 10, 0), 0), now + 11);
        assert_eq!(f.store.mark_restored(&before(0, 0), 0), now + 12);
        // The shard had issued ids up to 500 before the restore; the snapshot knew only 2.
        f.store.mark_restored(&before(0, 500), 0);
        assert_eq!(f.store.next_id(), 500);
        // A shard that lost its data first: the restore time in microseconds is above them all.
        f.store
            .mark_restored(&before(0, 1), 1_800_000_000_000_000_000);
        assert_eq!(f.store.next_id(), 1_800_000_000_000_000);
        assert_eq!(f.store.meta().reminder_resync, Some(ReminderResync::Forget));
        assert_eq!(
            f.store.meta().invitation_forget,
            Some(InvitationForget {
                forgotten_by: vec![],
                ask_resend: true
            })
        );
        assert_eq!(f.store.meta().invitation_requeue_from, Some(0));
    }

    #[test]
    fn counters_follow_events_series_and_users() {
        let mut f = fixture();
        f.store.create(&f.ctx(user(1)), lesson(0)).unwrap();
        let mut weekly = lesson(0);
        weekly.recurrence = Some(interfaces::calendar::Recurrence {
            rule: "FREQ=WEEKLY".into(),
            exdates_ns: vec![],
            rdates_ns: None,
        });
        f.store.create(&f.ctx(user(2)), weekly).unwrap();
        assert_eq!(
            (
                f.store.event_count(),
                f.store.series_count(),
                f.store.user_count(),
                f.store.next_id()
            ),
            (2, 1, 2, 3)
        );
    }
}
