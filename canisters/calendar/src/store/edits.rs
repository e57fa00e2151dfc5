//! What users do to events, and account deletion. Each operation is decided by
//! `crate::access`, builds the next versions with [`super::draft`], and writes them through
//! the one write path ([`Store::save`]), so every rule is checked before the first write.

use candid::Principal;
use canister_kit::codec::Deferred;
use ic_stable_structures::Memory;
use interfaces::calendar::{
    Event, EventId, EventInput, EventPatch, InstanceChange, InstanceEdit, InstanceOverride,
    OccurrenceRsvp, Rsvp, SplitOutcome,
};
use interfaces::{Error, InputProblem};
use recurrence::wire::{schedule_from_series, series_from_schedule, timestamp};

use super::draft::{
    apply_patch, draft, generated_uid, keep_attending, retain_instances, set_occurrence_answers,
    set_own_reminders, set_schedule,
};
use super::events::{decoded, Change};
use super::{Ctx, Store};
use crate::access::{self, Action};
use crate::model::event;
use crate::validate::ValidEvent;

/// `event` if `who` may do `action` to it, at `revision` when one is named.
fn authorized(
    event: ValidEvent,
    who: &Principal,
    action: Action,
    revision: Option<u64>,
) -> Result<ValidEvent, Error> {
    access::authorize(event.event(), who, action)?;
    let current = event.event().revision;
    match revision {
        Some(expected) if expected != current => Err(Error::StaleRevision { expected, current }),
        _ => Ok(event),
    }
}

fn malformed(field: &str, reason: impl Into<String>) -> Error {
    Error::invalid(
        field,
        InputProblem::Malformed {
            reason: reason.into(),
        },
    )
}

impl<M: Memory> Store<M> {
    /// The event if `who` may read it; otherwise it does not exist for them.
    fn readable(&self, id: EventId, who: &Principal) -> Result<ValidEvent, Error> {
        self.load(id)
            .filter(|e| access::may_read(e.event(), who))
            .ok_or_else(|| access::not_found(id))
    }

    /// The event if `who` may do `action` to it, at `revision` when one is named.
    fn target(
        &self,
        id: EventId,
        who: &Principal,
        action: Action,
        revision: Option<u64>,
    ) -> Result<ValidEvent, Error> {
        let bytes = self.unless_stale(id, who, revision, action != Action::Answer)?;
        authorized(decoded(&bytes), who, action, revision)
    }

    /// The stored bytes of event `id`, unless `who` owns it and writes from a stale `revision`
    /// for an action the owner may always do (`owners_action`): then the revision, read from
    /// the record without building it (`model::event::owners_revision`), decides the answer,
    /// and building the event (or reading the call's patch) would change nothing. Everyone
    /// else meets the access rules first ([`authorized`]), so a stale revision tells them
    /// nothing.
    fn unless_stale(
        &self,
        id: EventId,
        who: &Principal,
        revision: Option<u64>,
        owners_action: bool,
    ) -> Result<Vec<u8>, Error> {
        let bytes = self.stored(id).ok_or_else(|| access::not_found(id))?;
        if let Some(expected) = revision.filter(|_| owners_action) {
            let current = canister_kit::codec::profile::span("record decoding", || {
                event::owners_revision(&bytes, who)
            });
            if let Some(current) = current.filter(|&current| current != expected) {
                access::require_user(who)?;
                return Err(Error::StaleRevision { expected, current });
            }
        }
        Ok(bytes)
    }

    /// The event if `who` may apply the patch to it at `revision`. The patch is read only
    /// after the owner's stale write is refused (both of its actions are the owner's).
    fn to_patch(
        &self,
        id: EventId,
        who: &Principal,
        revision: u64,
        patch: impl Into<Deferred<EventPatch>>,
    ) -> Result<(ValidEvent, EventPatch), Error> {
        let bytes = self.unless_stale(id, who, Some(revision), true)?;
        let patch = patch.into().read();
        let event = authorized(
            decoded(&bytes),
            who,
            access::patch_action(&patch),
            Some(revision),
        )?;
        Ok((event, patch))
    }

    pub fn get(&self, ctx: &Ctx, id: EventId) -> Result<Event, Error> {
        self.readable(id, &ctx.caller).map(ValidEvent::into_event)
    }

    /// [`Store::save`] for one change: checked before anything else is built for it.
    fn save_one(&mut self, ctx: &Ctx, change: Change) -> Result<Event, Error> {
        let valid =
            canister_kit::codec::profile::span("validation", || ValidEvent::check(change.new))?;
        let mut saved = self.write(ctx, vec![(change.old, valid)])?;
        Ok(saved.pop().expect("one change saves one event"))
    }

    pub fn create(&mut self, ctx: &Ctx, input: EventInput) -> Result<Event, Error> {
        access::require_user(&ctx.caller)?;
        let event = draft(ctx, input, self.next_id());
        self.save_one(ctx, Change::insert(event))
    }

    /// Stores a booking the host's calendar takes: `ctx.caller` is the host, and `guest` (the
    /// booker, checked by `booking::book`) attends, already accepted.
    pub fn add_booking(
        &mut self,
        ctx: &Ctx,
        input: EventInput,
        guest: Option<Principal>,
    ) -> Result<Event, Error> {
        let mut event = draft(ctx, input, self.next_id());
        event.attendees = guest
            .map(|principal| interfaces::calendar::Attendee {
                principal,
                rsvp: Rsvp::Accepted,
            })
            .into_iter()
            .collect();
        self.save_one(ctx, Change::insert(event))
    }

    pub fn update(
        &mut self,
        ctx: &Ctx,
        id: EventId,
        expected_revision: u64,
        patch: impl Into<Deferred<EventPatch>>,
    ) -> Result<Event, Error> {
        let (old, patch) = self.to_patch(id, &ctx.caller, expected_revision, patch)?;
        let next = apply_patch(old.event(), patch);
        self.save_one(ctx, Change::replace(old, next))
    }

    pub fn delete(
        &mut self,
        ctx: &Ctx,
        id: EventId,
        expected_revision: Option<u64>,
    ) -> Result<(), Error> {
        let event = self.target(id, &ctx.caller, Action::Delete, expected_revision)?;
        self.remove(ctx, &event);
        Ok(())
    }

    /// The caller's answer for the whole event; it replaces their answers for single
    /// occurrences.
    pub fn rsvp(&mut self, ctx: &Ctx, id: EventId, answer: Rsvp) -> Result<Event, Error> {
        let old = self.target(id, &ctx.caller, Action::Answer, None)?;
        let mut next = old.event().clone();
        for a in next
            .attendees
            .iter_mut()
            .filter(|a| a.principal == ctx.caller)
        {
            a.rsvp = answer;
        }
        set_occurrence_answers(&mut next, |answers| {
            answers.retain(|a| a.principal != ctx.caller)
        });
        self.save_one(ctx, Change::replace(old, next))
    }

    /// The caller's answer for the occurrence of a series that the rule starts at
    /// `original_start_ns`. An answer equal to the caller's answer for the series is no
    /// exception, so none is kept.
    pub fn rsvp_occurrence(
        &mut self,
        ctx: &Ctx,
        id: EventId,
        original_start_ns: u64,
        answer: Rsvp,
    ) -> Result<Event, Error> {
        let old = self.target(id, &ctx.caller, Action::Answer, None)?;
        let e = old.event();
        if e.recurrence.is_none() {
            return Err(malformed("id", "only a recurring event has occurrences"));
        }
        let series = series_from_schedule(&e.schedule())?;
        let at = timestamp("original_start_ns", original_start_ns)?;
        if recurrence::are_instances(&series, &[at]).ok() != Some(vec![true]) {
            return Err(malformed(
                "original_start_ns",
                "not the original start of an occurrence of the series",
            ));
        }
        let series_answer = e
            .attendees
            .iter()
            .find(|a| a.principal == ctx.caller)
            .map(|a| a.rsvp);
        let mut next = e.clone();
        set_occurrence_answers(&mut next, |answers| {
            answers.retain(|a| {
                !(a.principal == ctx.caller && a.original_start_ns == original_start_ns)
            });
            if series_answer != Some(answer) {
                answers.push(OccurrenceRsvp {
                    principal: ctx.caller,
                    original_start_ns,
                    rsvp: answer,
                });
                answers.sort_by_key(|a| (a.original_start_ns, a.principal));
            }
        });
        self.save_one(ctx, Change::replace(old, next))
    }

    /// The caller's own reminders for an event they attend (`None`: the organizer's again).
    pub fn set_own_reminders(
        &mut self,
        ctx: &Ctx,
        id: EventId,
        minutes: Option<Vec<u32>>,
    ) -> Result<Event, Error> {
        let old = self.target(id, &ctx.caller, Action::Answer, None)?;
        let mut next = old.event().clone();
        set_own_reminders(&mut next, ctx.caller, minutes);
        self.save_one(ctx, Change::replace(old, next))
    }

    pub fn edit_instance(
        &mut self,
        ctx: &Ctx,
        id: EventId,
        expected_revision: u64,
        original_start_ns: u64,
        edit: InstanceEdit,
    ) -> Result<Event, Error> {
        let old = self.target(id, &ctx.caller, Action::Edit, Some(expected_revision))?;
        let mut next = old.event().clone();
        next.overrides
            .retain(|o| o.original_start_ns != original_start_ns);
        let change = match edit {
            InstanceEdit::Moved { start_ns, end_ns } => {
                if end_ns < start_ns {
                    return Err(malformed(
                        "edit",
                        "the moved instance ends before it starts",
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
        self.save_one(ctx, Change::replace(old, next))
    }

    /// "This and following": the series ends before `at_original_start_ns`, and a new event
    /// (with `patch` applied) continues from there. Both halves are written, or neither.
    pub fn split(
        &mut self,
        ctx: &Ctx,
        id: EventId,
        expected_revision: u64,
        at_original_start_ns: u64,
        patch: EventPatch,
    ) -> Result<SplitOutcome, Error> {
        let (old, patch) = self.to_patch(id, &ctx.caller, expected_revision, patch)?;
        let o = old.event();
        if o.recurrence.is_none() {
            return Err(malformed("id", "only a recurring event can be split"));
        }
        let series = series_from_schedule(&o.schedule())?;
        let at = timestamp("at_original_start_ns", at_original_start_ns)?;
        let (before, after) = recurrence::split_series(&series, at)
            .map_err(|e| malformed("at_original_start_ns", e.to_string()))?;
        let mut first = o.clone();
        set_schedule(&mut first, schedule_from_series(&before)?);
        // Each half keeps the answers for its own occurrences (original starts do not move).
        set_occurrence_answers(&mut first, |answers| {
            answers.retain(|a| a.original_start_ns < at_original_start_ns)
        });
        let new_id = self.next_id();
        let mut second = o.clone();
        set_schedule(&mut second, schedule_from_series(&after)?);
        set_occurrence_answers(&mut second, |answers| {
            answers.retain(|a| a.original_start_ns >= at_original_start_ns)
        });
        second.id = new_id;
        second.ical_uid = generated_uid(new_id, &ctx.shard);
        let second = apply_patch(&second, patch);
        let mut saved = self.save(
            ctx,
            vec![Change::replace(old, first), Change::insert(second)],
        )?;
        let after = saved.pop().expect("two saved");
        let before = saved.pop().expect("two saved");
        Ok(SplitOutcome { before, after })
    }

    /// Stores imported events (`ics::import_into` parsed them for `ctx.caller`): each replaces
    /// the caller's event with the same UID or is added. All or nothing. Returns each stored
    /// event and whether it was added (rather than replacing one).
    pub fn import(&mut self, ctx: &Ctx, events: Vec<Event>) -> Result<Vec<(Event, bool)>, Error> {
        access::require_user(&ctx.caller)?;
        let mut next_id = self.next_id();
        let mut changes = Vec::with_capacity(events.len());
        let mut created = Vec::with_capacity(events.len());
        for mut event in events {
            event.owner = ctx.caller;
            let old = self.by_uid(&ctx.caller, &event.ical_uid);
            trusted_answers(&mut event, old.as_ref().map(|o| o.event()));
            created.push(old.is_none());
            changes.push(match old {
                Some(old) => Change::replace(old, event),
                None => {
                    event.id = next_id;
                    next_id += 1;
                    Change::insert(event)
                }
            });
        }
        let saved = self.save(ctx, changes)?;
        Ok(saved.into_iter().zip(created).collect())
    }

    /// Removes the traces of `user`, at most `max` records per call: their events, then their
    /// place as attendee or share in other people's events, then the invitations held for
    /// them, then their booking policy and free/busy choice. Returns how many records changed and whether nothing is left; each call finishes what it
    /// removes, so account deletion resumes where the last call stopped.
    pub fn delete_user(&mut self, ctx: &Ctx, user: &Principal, max: u64) -> (u64, bool) {
        let mut changed = 0;
        for id in self.ids_of(user, true, max) {
            if let Some(event) = self.load(id) {
                self.remove(ctx, &event);
                changed += 1;
            }
        }
        for id in self.ids_of(user, false, max - changed) {
            if let Some(old) = self.load(id) {
                let next = old.without(user);
                self.write(ctx, vec![(Some(old), next)])
                    .expect("removing people keeps quota and UIDs");
                changed += 1;
            }
        }
        // The invitations this shard holds for them (their organizers' shards withdraw the
        // rest when the user leaves those events).
        changed += self.invitations.forget_attendee(user, max - changed);
        if changed == max {
            let left = !self.ids_of(user, true, 1).is_empty()
                || !self.ids_of(user, false, 1).is_empty()
                || self.invitations.holds_for(user)
                || self.policy(user).is_some()
                || self.audiences.contains_key(&crate::keys::owner_key(user));
            return (changed, !left);
        }
        changed += u64::from(self.remove_policy(user));
        if changed == max && self.free_busy_audience(user) != Default::default() {
            return (changed, false);
        }
        changed += u64::from(self.remove_audience(user));
        (changed, true)
    }
}

/// An import speaks only for its owner: a file can say anything about other people's answers
/// (`PARTSTAT=ACCEPTED` for someone who never saw the invitation would send them the owner's
/// reminders). So an attendee keeps the answer they gave on the event this import replaces, the
/// owner's own answer is taken as written, and everyone else starts as not answered.
fn trusted_answers(event: &mut Event, replaced: Option<&Event>) {
    let owner = event.owner;
    for attendee in &mut event.attendees {
        if attendee.principal == owner {
            continue;
        }
        attendee.rsvp = replaced
            .and_then(|old| {
                old.attendees
                    .iter()
                    .find(|a| a.principal == attendee.principal)
            })
            .map_or(Rsvp::NeedsAction, |a| a.rsvp);
    }
    // Answers for single occurrences and own reminders likewise: those given on the replaced
    // event, by people still attending (answers only for occurrences the imported series still
    // has).
    event.occurrence_rsvps = replaced.and_then(|old| old.occurrence_rsvps.clone());
    event.attendee_reminders = replaced.and_then(|old| old.attendee_reminders.clone());
    keep_attending(event);
    retain_instances(event);
}

#[cfg(test)]
mod tests;
