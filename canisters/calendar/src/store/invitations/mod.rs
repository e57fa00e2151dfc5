//! Invitations across shards, both sides, as plain logic over stable structures
//! (`interfaces::invitation` has the contract; `crate::jobs::invitations` delivers).
//!
//! Organizer side: every write of an event with principal attendees queues, per attendee whose
//! view changed, an [`InvitationMessage`] in a stable outbox: the item id is in a
//! `canister_kit::outbox::DueIndex` by when it is due, and a (attendee, event) map points at the
//! attendee's pending item, so repeated changes before a delivery coalesce into the latest one.
//! An item leaves the outbox only when its delivery succeeded and no newer message replaced it
//! meanwhile; a failed one is tried again with `Backoff`. Nothing is lost across upgrades,
//! traps or a stopped attendee shard: the outbox is stable and only confirmed items leave it.
//!
//! Attendee side: one record per (attendee, organizer shard, event); a message whose revision
//! is not newer than the record's is ignored, so deliveries are idempotent and may repeat. Each
//! record is also filed by time (one-offs by duration class and start, series by the end of
//! their last instance, as the shard's own events are), so free/busy and booking count the
//! invitations that are not declined and reads only those near the asked range.
//! [`window`] lists the held invitations as occurrences of the attendee's own calendar.
//!
//! After a restore the organizer side starts over ([`resync`]): its outbox is
//! emptied, every shard forgets what it held from this one (`forget_organizer`), and the
//! invitations of every restored event are queued again (`requeue_invitations`); a shard gets
//! messages again only once it confirmed. The held records are not in snapshots: a shard
//! restored into a new canister asks the others to queue theirs again (`resend_invitations`).

mod resync;
mod window;

use candid::{CandidType, Deserialize, Principal};
use canister_kit::outbox::{Backoff, DueIndex};
use canister_kit::stored::Candid;
use ic_stable_structures::{Memory, StableBTreeMap};
use interfaces::calendar::{
    DeletedData, Event, EventStatus, OccurrenceRsvp, Rsvp, Transparency, Visibility,
    MAX_DELETIONS_PER_CALL,
};
use interfaces::invitation::{
    Invitation, InvitationChange, InvitationCursor, InvitationListRequest, InvitationMessage,
    InvitationPage, InvitationView, MAX_INVITATIONS_PER_DELIVERY,
};
use interfaces::{Error, InputProblem};
use security_base::limits;

use super::{Ctx, Store};
use crate::keys::{self, InvitationKey, InvitationTimeKey, OwnedKey, TimeEntry};
use crate::validate::{Placement, ValidEvent, CLASS_BOUNDS_NS};

pub use resync::InvitationForget;

pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 500;

/// The stable memories of both sides.
pub struct InvitationMemories<M> {
    pub outbox: M,
    pub due: M,
    pub pending: M,
    pub received: M,
    pub by_time: M,
}

/// A message waiting for delivery, and how often it failed.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PendingInvite {
    pub message: InvitationMessage,
    pub attempts: u32,
    pub due_ns: u64,
}

/// An invitation as held, with where it sits in the time index (passed the validation gate
/// as the event the attendee sees).
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct HeldInvitation {
    pub invitation: Invitation,
    pub placement: Placement,
}

pub struct Invitations<M: Memory> {
    /// Outbox items by id.
    outbox: StableBTreeMap<u64, Candid<PendingInvite>, M>,
    /// Outbox item ids by when they are due.
    due: DueIndex<M>,
    /// (attendee, event) to the attendee's pending item, so changes coalesce.
    pending: StableBTreeMap<OwnedKey, u64, M>,
    /// The invitations this shard holds for its users.
    received: StableBTreeMap<InvitationKey, Candid<HeldInvitation>, M>,
    /// The held invitations by time, each with its end and whether it blocks time.
    by_time: StableBTreeMap<InvitationTimeKey, TimeEntry, M>,
}

impl<M: Memory> Invitations<M> {
    pub fn init(m: InvitationMemories<M>) -> Self {
        Self {
            outbox: StableBTreeMap::init(m.outbox),
            due: DueIndex::init(m.due),
            pending: StableBTreeMap::init(m.pending),
            received: StableBTreeMap::init(m.received),
            by_time: StableBTreeMap::init(m.by_time),
        }
    }

    /// Queues `message` due now, replacing the attendee's pending message for the event.
    fn enqueue(&mut self, message: InvitationMessage, now_ns: u64) {
        let key = keys::owned_key(&message.attendee, message.event_id);
        let id = match self.pending.get(&key) {
            Some(id) => {
                if let Some(old) = self.outbox.get(&id) {
                    self.due.unschedule(id, old.due_ns);
                }
                id
            }
            None => {
                let id = self.outbox.last_key_value().map_or(1, |(id, _)| id + 1);
                self.pending.insert(key, id);
                id
            }
        };
        let item = PendingInvite {
            message,
            attempts: 0,
            due_ns: now_ns,
        };
        self.outbox.insert(id, Candid(item));
        self.due.schedule(id, now_ns);
    }

    /// Up to `limit` messages due at `now_ns`, earliest first, with their item ids.
    pub fn due(&self, now_ns: u64, limit: usize) -> Vec<(u64, InvitationMessage)> {
        self.due
            .due(now_ns, limit)
            .into_iter()
            .filter_map(|id| self.outbox.get(&id).map(|p| (id, p.0.message)))
            .collect()
    }

    /// The item if it still holds exactly `message` (a newer change replaces it in place).
    fn unchanged(&self, id: u64, message: &InvitationMessage) -> Option<PendingInvite> {
        self.outbox
            .get(&id)
            .map(|p| p.0)
            .filter(|p| p.message == *message)
    }

    /// Drops items whose delivery succeeded (or that have nowhere to go), unless a newer
    /// message replaced them meanwhile.
    pub fn delivered(&mut self, items: &[(u64, InvitationMessage)]) {
        for (id, message) in items {
            if let Some(item) = self.unchanged(*id, message) {
                self.outbox.remove(id);
                self.due.unschedule(*id, item.due_ns);
                self.pending
                    .remove(&keys::owned_key(&message.attendee, message.event_id));
            }
        }
    }

    /// Schedules failed items again, later with each failure.
    pub fn failed(&mut self, items: &[(u64, InvitationMessage)], now_ns: u64, backoff: Backoff) {
        for (id, message) in items {
            if let Some(mut item) = self.unchanged(*id, message) {
                item.attempts = item.attempts.saturating_add(1);
                let next = backoff.next_attempt_ns(now_ns, item.attempts);
                self.due.reschedule(*id, item.due_ns, next);
                item.due_ns = next;
                self.outbox.insert(*id, Candid(item));
            }
        }
    }

    pub fn pending_len(&self) -> u64 {
        self.outbox.len()
    }

    pub fn held_len(&self) -> u64 {
        self.received.len()
    }

    /// Applies messages from `organizer_shard`: all of them must name it (else nothing
    /// changes). Answers how many changed a record.
    pub fn receive(
        &mut self,
        organizer_shard: Principal,
        messages: Vec<InvitationMessage>,
    ) -> Result<u64, Error> {
        if messages.len() > MAX_INVITATIONS_PER_DELIVERY {
            return Err(Error::invalid(
                "messages",
                InputProblem::TooMany {
                    max: MAX_INVITATIONS_PER_DELIVERY as u64,
                    actual: messages.len() as u64,
                },
            ));
        }
        if messages
            .iter()
            .any(|m| m.organizer_shard != organizer_shard)
        {
            return Err(Error::Forbidden {
                reason: "a shard delivers only invitations to its own events".into(),
            });
        }
        let mut changed = 0;
        for m in messages {
            let key = keys::invitation_key(&m.attendee, &m.organizer_shard, m.event_id);
            let old = self.received.get(&key).map(|held| held.0);
            if old
                .as_ref()
                .is_some_and(|held| held.invitation.revision >= m.revision)
            {
                continue;
            }
            let next = match m.change {
                InvitationChange::Set(view) => {
                    let invitation = Invitation {
                        organizer_shard: m.organizer_shard,
                        event_id: m.event_id,
                        revision: m.revision,
                        view,
                    };
                    // The organizer's shard checked the event; checking the attendee's view
                    // again gives its place in the time index (and keeps a bad one out).
                    match ValidEvent::check(event_of(&invitation)) {
                        Ok(valid) => Some(HeldInvitation {
                            placement: valid.placement(),
                            invitation,
                        }),
                        Err(_) => continue,
                    }
                }
                InvitationChange::Withdrawn => None,
            };
            if let Some(old) = &old {
                self.unfile(&m.attendee, old);
            }
            match next {
                Some(held) => {
                    self.file(&m.attendee, &held);
                    self.received.insert(key, Candid(held));
                }
                None if old.is_some() => {
                    self.received.remove(&key);
                }
                None => continue,
            }
            changed += 1;
        }
        Ok(changed)
    }

    /// `attendee`'s invitations after `req.cursor`, a page at a time.
    pub fn list(
        &self,
        attendee: &Principal,
        req: &InvitationListRequest,
    ) -> Result<InvitationPage, Error> {
        let limit = limits::page_size(req.limit, DEFAULT_PAGE, MAX_PAGE)? as usize;
        let all = attendee_range(attendee);
        let from = match req.cursor {
            Some(c) => keys::invitation_key(attendee, &c.organizer_shard, c.event_id),
            None => *all.start(),
        };
        let mut entries = self
            .received
            .range(from..=*all.end())
            .filter(|e| req.cursor.is_none() || *e.key() != from)
            .map(|e| e.value().0.invitation);
        let invitations: Vec<Invitation> = entries.by_ref().take(limit).collect();
        let next_cursor = match entries.next() {
            Some(_) => invitations.last().map(|i| InvitationCursor {
                organizer_shard: i.organizer_shard,
                event_id: i.event_id,
            }),
            None => None,
        };
        Ok(InvitationPage {
            invitations,
            next_cursor,
        })
    }

    /// Whether any invitation is held for `attendee`.
    pub fn holds_for(&self, attendee: &Principal) -> bool {
        self.received
            .keys_range(attendee_range(attendee))
            .next()
            .is_some()
    }

    /// Removes up to `max` of `attendee`'s invitations (account deletion); answers how many.
    pub fn forget_attendee(&mut self, attendee: &Principal, max: u64) -> u64 {
        let doomed: Vec<InvitationKey> = self
            .received
            .keys_range(attendee_range(attendee))
            .take(max as usize)
            .collect();
        for key in &doomed {
            if let Some(old) = self.received.remove(key) {
                self.unfile(attendee, &old);
            }
        }
        doomed.len() as u64
    }
}

impl<M: Memory> Invitations<M> {
    /// Removes up to `max` of the invitations held from `organizer_shard` (restored from a
    /// backup, it sends every invitation of its restored events again). Returns how many, and
    /// whether none is left.
    pub fn forget_organizer(&mut self, organizer_shard: &Principal, max: u64) -> (u64, bool) {
        let mut held_from = self
            .received
            .keys()
            .filter(|key| keys::invitation_key_parties(key).1 == *organizer_shard);
        let doomed: Vec<InvitationKey> = held_from.by_ref().take(max as usize).collect();
        let more = held_from.next().is_some();
        for key in &doomed {
            if let Some(old) = self.received.remove(key) {
                self.unfile(&keys::invitation_key_parties(key).0, &old);
            }
        }
        (doomed.len() as u64, !more)
    }

    /// [`Self::forget_organizer`] for a `forget_invitations` call: one page.
    pub fn forget_page_from(&mut self, organizer_shard: &Principal) -> DeletedData {
        let (items, done) = self.forget_organizer(organizer_shard, MAX_DELETIONS_PER_CALL);
        DeletedData { items, done }
    }

    /// Empties the organizer side's outbox (after a restore: what it holds was queued for the
    /// events as they were before, and every invitation is queued again).
    pub fn clear_outbox(&mut self) {
        self.outbox.clear_new();
        self.due.clear();
        self.pending.clear_new();
    }

    fn time_key(attendee: &Principal, held: &HeldInvitation) -> (InvitationTimeKey, TimeEntry) {
        let i = &held.invitation;
        let busy = blocks_time(&i.view);
        let (tag, at_ns, end_ns) = match held.placement {
            Placement::OneOff {
                class,
                start_ns,
                end_ns,
            } => (class, start_ns, end_ns),
            Placement::Series { last_end_ns } => (keys::SERIES_TAG, last_end_ns, last_end_ns),
        };
        let key = keys::invitation_time_key(attendee, tag, at_ns, &i.organizer_shard, i.event_id);
        (key, TimeEntry { end_ns, busy })
    }

    fn file(&mut self, attendee: &Principal, held: &HeldInvitation) {
        let (key, entry) = Self::time_key(attendee, held);
        self.by_time.insert(key, entry);
    }

    fn unfile(&mut self, attendee: &Principal, held: &HeldInvitation) {
        self.by_time.remove(&Self::time_key(attendee, held).0);
    }

    /// Appends the busy spans of `attendee`'s invitations that overlap `[from, to)`: those
    /// not declined, not cancelled, opaque. One-offs are read from the time index per duration
    /// class from `from - class bound`; series that ended before `from` are never read.
    pub fn busy_spans(
        &self,
        attendee: &Principal,
        from: u64,
        to: u64,
        out: &mut Vec<(u64, u64)>,
    ) -> Result<(), Error> {
        let (none, all) = (
            Principal::from_slice(&[]),
            Principal::from_slice(&[0xff; 29]),
        );
        for (class, bound) in CLASS_BOUNDS_NS.iter().enumerate() {
            let class = class as u8;
            let range =
                keys::invitation_time_key(attendee, class, from.saturating_sub(*bound), &none, 0)
                    ..keys::invitation_time_key(attendee, class, to, &none, 0);
            for entry in self.by_time.range(range) {
                let (start, _, _) = keys::invitation_time_key_parts(entry.key());
                let TimeEntry { end_ns, busy } = entry.value();
                if busy && super::window::overlaps(start, end_ns, from, to) {
                    out.push((start, end_ns));
                }
            }
        }
        let series = keys::invitation_time_key(attendee, keys::SERIES_TAG, from, &none, 0)
            ..=keys::invitation_time_key(attendee, keys::SERIES_TAG, u64::MAX, &all, u64::MAX);
        for entry in self.by_time.range(series) {
            if !entry.value().busy {
                continue;
            }
            let (_, shard, id) = keys::invitation_time_key_parts(entry.key());
            let Some(held) = self
                .received
                .get(&keys::invitation_key(attendee, &shard, id))
            else {
                continue;
            };
            let event = event_of(&held.invitation);
            let mut found = Vec::new();
            super::window::series_occurrences(
                &event,
                None,
                from,
                to,
                None,
                super::window::MAX_BUSY_OCCURRENCES as usize + 1,
                &mut found,
            )?;
            let view = &held.invitation.view;
            out.extend(
                found
                    .iter()
                    .filter(|o| view.rsvp_at(o.original_start_ns) != Rsvp::Declined)
                    .map(|o| (o.start_ns, o.end_ns)),
            );
        }
        Ok(())
    }
}

/// Counts in the attendee's free/busy: not declined (for some occurrence at least), not
/// cancelled, opaque. `busy_spans` leaves out the occurrences the attendee declined.
pub fn blocks_time(v: &InvitationView) -> bool {
    !v.declined_all()
        && v.status != EventStatus::Cancelled
        && v.transparency == Transparency::Opaque
}

/// The event as the attendee sees it, for the validation gate and recurrence expansion (what
/// the view leaves out stays empty).
pub fn event_of(i: &Invitation) -> Event {
    let v = &i.view;
    Event {
        id: i.event_id,
        owner: v.organizer,
        ical_uid: format!("{}@{}", i.event_id, i.organizer_shard),
        title: v.title.clone(),
        description: String::new(),
        location: v.location.clone(),
        time: v.time.clone(),
        time_zone: v.time_zone.clone(),
        recurrence: v.recurrence.clone(),
        overrides: v.overrides.clone(),
        status: v.status,
        transparency: v.transparency,
        visibility: Visibility::Private,
        color: None,
        attendees: vec![],
        occurrence_rsvps: None,
        reminders_minutes: vec![],
        attendee_reminders: None,
        created_at_ns: 0,
        updated_at_ns: 0,
        revision: i.revision,
    }
}

/// Every invitation key of `attendee` (organizer shards are at most 29 bytes).
fn attendee_range(attendee: &Principal) -> std::ops::RangeInclusive<InvitationKey> {
    keys::invitation_key(attendee, &Principal::from_slice(&[]), 0)
        ..=keys::invitation_key(attendee, &Principal::from_slice(&[0xff; 29]), u64::MAX)
}

/// What `attendee` may see of `e`.
pub fn view_for(e: &Event, attendee: &Principal) -> Option<InvitationView> {
    let me = e.attendees.iter().find(|a| a.principal == *attendee)?;
    Some(InvitationView {
        organizer: e.owner,
        title: e.title.clone(),
        location: e.location.clone(),
        time: e.time.clone(),
        time_zone: e.time_zone.clone(),
        recurrence: e.recurrence.clone(),
        overrides: e.overrides.clone(),
        status: e.status,
        transparency: e.transparency,
        rsvp: me.rsvp,
        occurrence_rsvps: {
            let own: Vec<OccurrenceRsvp> = e
                .occurrence_answers()
                .iter()
                .filter(|a| a.principal == *attendee)
                .copied()
                .collect();
            (!own.is_empty()).then_some(own)
        },
        reminders_minutes: e.own_reminders_of(attendee).map(<[u32]>::to_vec),
    })
}

/// The principal attendees of `e` who get invitations: everyone but the organizer.
fn invitees(e: &Event) -> impl Iterator<Item = Principal> + '_ {
    e.attendees
        .iter()
        .map(|a| a.principal)
        .filter(move |p| *p != e.owner)
}

impl<M: Memory> Store<M> {
    /// Queues what each attendee's home shard must learn about a change from `old` to `new`
    /// (`None` for a created or a deleted event): the new view for attendees whose view
    /// changed, a withdrawal for attendees no longer invited. Same-shard attendees take the
    /// same path (the delivery applies them without a call).
    pub(super) fn queue_invitations(
        &mut self,
        ctx: &Ctx,
        old: Option<&Event>,
        new: Option<&Event>,
    ) {
        let event = match new.or(old) {
            Some(e) => e,
            None => return,
        };
        let revision = new.map_or_else(|| event.revision + 1, |e| e.revision);
        let message = |attendee, change| InvitationMessage {
            attendee,
            organizer_shard: ctx.shard,
            event_id: event.id,
            revision,
            change,
        };
        let mut out = Vec::new();
        if let Some(n) = new {
            for attendee in invitees(n) {
                let view = view_for(n, &attendee).expect("an attendee of n");
                if old.and_then(|o| view_for(o, &attendee)).as_ref() != Some(&view) {
                    out.push(message(attendee, InvitationChange::Set(view)));
                }
            }
        }
        if let Some(o) = old {
            for attendee in invitees(o) {
                if new.is_none_or(|n| view_for(n, &attendee).is_none()) {
                    out.push(message(attendee, InvitationChange::Withdrawn));
                }
            }
        }
        for m in out {
            self.invitations.enqueue(m, ctx.now_ns);
        }
    }

    pub fn invitations(&self) -> &Invitations<M> {
        &self.invitations
    }

    pub fn invitations_mut(&mut self) -> &mut Invitations<M> {
        &mut self.invitations
    }

    /// The caller's invitations (signed-in callers only).
    pub fn list_invitations(
        &self,
        ctx: &Ctx,
        req: &InvitationListRequest,
    ) -> Result<InvitationPage, Error> {
        crate::access::require_user(&ctx.caller)?;
        self.invitations.list(&ctx.caller, req)
    }
}

/// The event ids of a page's invitations.
#[cfg(test)]
pub fn ids(page: &InvitationPage) -> Vec<interfaces::calendar::EventId> {
    page.invitations.iter().map(|i| i.event_id).collect()
}

#[cfg(test)]
mod tests;
