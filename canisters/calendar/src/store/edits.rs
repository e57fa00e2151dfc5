//! What users do to events, and account deletion. Each operation is decided by
//! `crate::access`, builds the next versions with [`super::draft`], and writes them through
//! the one write path ([`Store::save`]), so every rule is checked before the first write.

use candid::Principal;
use ic_stable_structures::Memory;
use interfaces::calendar::{
    Event, EventId, EventInput, EventPatch, InstanceChange, InstanceEdit, InstanceOverride, Rsvp,
    SplitOutcome,
};
use interfaces::{Error, InputProblem};
use recurrence::wire::{schedule_from_series, series_from_schedule, timestamp};

use super::draft::{apply_patch, draft, set_schedule};
use super::events::Change;
use super::{Ctx, Store};
use crate::access::{self, Action};
use crate::validate::ValidEvent;

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
        let event = self.load(id).ok_or_else(|| access::not_found(id))?;
        access::authorize(event.event(), who, action)?;
        let current = event.event().revision;
        match revision {
            Some(expected) if expected != current => {
                Err(Error::StaleRevision { expected, current })
            }
            _ => Ok(event),
        }
    }

    /// The event if `who` may apply `patch` to it at `revision`.
    fn to_patch(
        &self,
        id: EventId,
        who: &Principal,
        revision: u64,
        patch: &EventPatch,
    ) -> Result<ValidEvent, Error> {
        self.target(id, who, access::patch_action(patch), Some(revision))
    }

    pub fn get(&self, ctx: &Ctx, id: EventId) -> Result<Event, Error> {
        self.readable(id, &ctx.caller).map(ValidEvent::into_event)
    }

    fn save_one(&mut self, ctx: &Ctx, change: Change) -> Result<Event, Error> {
        let mut saved = self.save(ctx, vec![change])?;
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
        patch: EventPatch,
    ) -> Result<Event, Error> {
        let old = self.to_patch(id, &ctx.caller, expected_revision, &patch)?;
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
        let old = self.to_patch(id, &ctx.caller, expected_revision, &patch)?;
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
        let new_id = self.next_id();
        let mut second = o.clone();
        set_schedule(&mut second, schedule_from_series(&after)?);
        second.id = new_id;
        second.ical_uid = format!("{new_id}@{}", ctx.shard);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{ctx, fixture, lesson, policy, user, weekly, DAY, HOUR, MONDAY};
    use interfaces::calendar::{Share, Visibility};

    fn title(t: &str) -> EventPatch {
        EventPatch {
            title: Some(t.into()),
            ..Default::default()
        }
    }

    fn shared_with_editor() -> EventInput {
        shared_with_editor_at(MONDAY)
    }

    fn shared_with_editor_at(start: u64) -> EventInput {
        let mut input = lesson(start);
        input.visibility = Some(Visibility::Shared(vec![Share {
            principal: user(3),
            role: interfaces::calendar::Role::Editor,
        }]));
        input.attendees = Some(vec![user(2), user(4)]);
        input
    }

    #[test]
    fn updates_check_access_then_the_revision() {
        let mut f = fixture();
        let e = f.store.create(&ctx(user(1)), shared_with_editor()).unwrap();
        let reshare = EventPatch {
            visibility: Some(Visibility::Public),
            ..Default::default()
        };
        // An editor changes the title but not who sees it, even at a stale revision.
        assert!(matches!(
            f.store.update(&ctx(user(3)), e.id, 9, reshare.clone()),
            Err(Error::Forbidden { .. })
        ));
        assert_eq!(
            f.store.update(&ctx(user(3)), e.id, 9, title("x")),
            Err(Error::StaleRevision {
                expected: 9,
                current: 1
            })
        );
        let e = f
            .store
            .update(&ctx(user(3)), e.id, 1, title("Theory"))
            .unwrap();
        assert_eq!((e.title.as_str(), e.revision), ("Theory", 2));
        let e = f.store.update(&ctx(user(1)), e.id, 2, reshare).unwrap();
        assert_eq!(e.visibility, Visibility::Public);
        // Public now: the anonymous caller reads it and is told it changes nothing.
        let anonymous = ctx(Principal::anonymous());
        assert!(f.store.get(&anonymous, e.id).is_ok());
        assert_eq!(
            f.store.update(&anonymous, e.id, 3, title("x")),
            Err(Error::AnonymousCaller)
        );
        assert_eq!(
            f.store.delete(&anonymous, e.id, None),
            Err(Error::AnonymousCaller)
        );
        assert_eq!(
            f.store.rsvp(&anonymous, e.id, Rsvp::Accepted),
            Err(Error::AnonymousCaller)
        );
        assert_eq!(
            f.store.create(&anonymous, lesson(MONDAY)),
            Err(Error::AnonymousCaller)
        );
    }

    #[test]
    fn an_answer_changes_only_the_callers_own() {
        let mut f = fixture();
        let e = f.store.create(&ctx(user(1)), shared_with_editor()).unwrap();
        let e = f.store.rsvp(&ctx(user(4)), e.id, Rsvp::Declined).unwrap();
        let answers: Vec<_> = e.attendees.iter().map(|a| a.rsvp).collect();
        assert_eq!(answers, [Rsvp::NeedsAction, Rsvp::Declined]);
        assert!(matches!(
            f.store.rsvp(&ctx(user(3)), e.id, Rsvp::Accepted),
            Err(Error::Forbidden { .. })
        ));
        assert!(matches!(
            f.store.rsvp(&ctx(user(9)), e.id, Rsvp::Accepted),
            Err(Error::NotFound { .. })
        ));
    }

    #[test]
    fn instances_are_moved_cancelled_and_restored() {
        let mut f = fixture();
        let c = ctx(user(1));
        let s = f.store.create(&c, weekly(MONDAY, 4)).unwrap();
        let second = MONDAY + 7 * DAY;
        let backwards = InstanceEdit::Moved {
            start_ns: second + HOUR,
            end_ns: second,
        };
        assert!(matches!(
            f.store.edit_instance(&c, s.id, 1, second, backwards),
            Err(Error::InvalidInput { .. })
        ));
        let moved = InstanceEdit::Moved {
            start_ns: second + HOUR,
            end_ns: second + 2 * HOUR,
        };
        let s = f.store.edit_instance(&c, s.id, 1, second, moved).unwrap();
        let s = f
            .store
            .edit_instance(&c, s.id, 2, MONDAY, InstanceEdit::Cancelled)
            .unwrap();
        let starts: Vec<u64> = s.overrides.iter().map(|o| o.original_start_ns).collect();
        assert_eq!(starts, [MONDAY, second], "kept in order");
        let s = f
            .store
            .edit_instance(&c, s.id, 3, second, InstanceEdit::Restored)
            .unwrap();
        assert_eq!(s.overrides.len(), 1);
        assert_eq!(s.revision, 4);
    }

    #[test]
    fn a_split_writes_both_halves_or_neither() {
        let mut f = fixture();
        let c = ctx(user(1));
        let s = f.store.create(&c, weekly(MONDAY, 4)).unwrap();
        // An imported event already holds the UID the second half would get.
        let mut taken = crate::store::draft::draft(&c, lesson(MONDAY), 0);
        taken.ical_uid = format!("{}@{}", s.id + 2, c.shard);
        f.store.import(&c, vec![taken]).unwrap();
        let third = MONDAY + 14 * DAY;
        assert!(matches!(
            f.store.split(&c, s.id, 1, third, title("Later")),
            Err(Error::AlreadyExists { .. })
        ));
        assert_eq!(
            f.store.get(&c, s.id).unwrap(),
            s,
            "the first half was not written"
        );
        // Without the clash (the imported event gone), both halves are written.
        f.store.delete(&c, s.id + 1, None).unwrap();
        let out = f.store.split(&c, s.id, 1, third, title("Later")).unwrap();
        assert_eq!(out.before.recurrence.unwrap().rule, "FREQ=WEEKLY;COUNT=2");
        assert_eq!(
            (out.after.title.as_str(), out.after.id),
            ("Later", s.id + 2)
        );
        assert!(matches!(
            f.store
                .split(&c, s.id, 2, third + HOUR, EventPatch::default()),
            Err(Error::InvalidInput { .. })
        ));
    }

    #[test]
    fn an_import_replaces_by_uid_and_counts_the_quota_whole() {
        let mut f = fixture();
        let c = ctx(user(1));
        let e = f.store.create(&c, lesson(MONDAY)).unwrap();
        let mut same = e.clone();
        same.title = "Imported".into();
        same.revision = 1;
        let mut new = crate::store::draft::draft(&c, lesson(MONDAY + DAY), 0);
        new.ical_uid = "new@elsewhere".into();
        let saved = f.store.import(&c, vec![same.clone(), new.clone()]).unwrap();
        let added: Vec<bool> = saved.iter().map(|(_, added)| *added).collect();
        assert_eq!(added, [false, true]);
        let replaced = f.store.get(&c, e.id).unwrap();
        assert_eq!(
            (replaced.title.as_str(), replaced.revision),
            ("Imported", 2)
        );
        assert_eq!(f.store.event_count(), 2);
        f.quota(3);
        let more: Vec<Event> = (0..2)
            .map(|i| {
                let mut x = new.clone();
                x.ical_uid = format!("more-{i}");
                x
            })
            .collect();
        assert!(matches!(
            f.store.import(&c, more),
            Err(Error::Conflict { .. })
        ));
        assert_eq!(f.store.event_count(), 2);
    }

    #[test]
    fn an_import_cannot_answer_for_anyone_but_its_owner() {
        let mut f = fixture();
        let c = ctx(user(1));
        let answer = |e: &Event, who: Principal| {
            e.attendees
                .iter()
                .find(|a| a.principal == who)
                .unwrap()
                .rsvp
        };
        let mut forged = crate::store::draft::draft(&c, lesson(MONDAY), 0);
        forged.ical_uid = "forged@file".into();
        forged.attendees = [(user(1), Rsvp::Accepted), (user(2), Rsvp::Accepted)]
            .map(|(principal, rsvp)| interfaces::calendar::Attendee { principal, rsvp })
            .to_vec();
        f.store.import(&c, vec![forged.clone()]).unwrap();
        let stored = f
            .store
            .by_uid(&user(1), "forged@file")
            .unwrap()
            .into_event();
        assert_eq!(answer(&stored, user(1)), Rsvp::Accepted, "the owner's own");
        assert_eq!(answer(&stored, user(2)), Rsvp::NeedsAction);
        assert_eq!(reminder_recipients(&stored), vec![user(1)]);

        // user(2) answers; a re-import claiming otherwise keeps what they said.
        f.store
            .rsvp(&ctx(user(2)), stored.id, Rsvp::Declined)
            .unwrap();
        forged.attendees[1].rsvp = Rsvp::Accepted;
        f.store.import(&c, vec![forged]).unwrap();
        let stored = f
            .store
            .by_uid(&user(1), "forged@file")
            .unwrap()
            .into_event();
        assert_eq!(answer(&stored, user(2)), Rsvp::Declined);
    }

    fn reminder_recipients(e: &Event) -> Vec<Principal> {
        crate::store::outbox::reminder_plan(e, user(9)).recipients
    }

    #[test]
    fn reminders_go_to_attendees_who_accepted() {
        let mut f = fixture();
        let e = f.store.create(&ctx(user(1)), shared_with_editor()).unwrap();
        assert_eq!(reminder_recipients(&e), vec![user(1)]);
        f.store.rsvp(&ctx(user(2)), e.id, Rsvp::Tentative).unwrap();
        let e = f.store.rsvp(&ctx(user(4)), e.id, Rsvp::Accepted).unwrap();
        assert_eq!(reminder_recipients(&e), vec![user(1), user(4)]);
    }

    #[test]
    fn deleting_a_user_removes_their_events_policy_and_places() {
        let mut f = fixture();
        let (alice, bob) = (ctx(user(1)), ctx(user(2)));
        let mine = f.store.create(&bob, lesson(MONDAY)).unwrap();
        let theirs = f.store.create(&alice, shared_with_editor()).unwrap();
        f.store.set_policy(&bob, Some(policy())).unwrap();
        // Bob: one event, one attendance, one policy.
        assert_eq!(f.store.delete_user(&alice, &user(2), 500), (3, true));
        assert!(f.store.get(&bob, mine.id).is_err());
        let theirs = f.store.get(&alice, theirs.id).unwrap();
        assert_eq!(theirs.attendees.len(), 1);
        assert_eq!(theirs.revision, 2);
        assert_eq!(f.store.policy(&user(2)), None);
        // The editor share goes the same way.
        assert_eq!(f.store.delete_user(&alice, &user(3), 500), (1, true));
        assert_eq!(
            f.store.get(&alice, theirs.id).unwrap().visibility,
            Visibility::Shared(vec![])
        );
        assert_eq!(f.store.delete_user(&alice, &user(2), 500), (0, true));
    }

    #[test]
    fn deleting_a_user_goes_in_bounded_batches_that_resume() {
        let mut f = fixture();
        let (alice, bob) = (ctx(user(1)), ctx(user(2)));
        f.quota(100);
        for day in 0..4 {
            f.store.create(&bob, lesson(MONDAY + day * DAY)).unwrap();
            f.store
                .create(&alice, shared_with_editor_at(MONDAY + day * DAY))
                .unwrap();
        }
        f.store.set_policy(&bob, Some(policy())).unwrap();
        // 4 events, 4 attendances, 1 policy: 9 records, 4 per call.
        assert_eq!(f.store.delete_user(&alice, &user(2), 4), (4, false));
        assert_eq!(f.store.delete_user(&alice, &user(2), 4), (4, false));
        assert_eq!(f.store.delete_user(&alice, &user(2), 4), (1, true));
        assert_eq!(f.store.delete_user(&alice, &user(2), 4), (0, true));
        assert_eq!(f.store.policy(&user(2)), None);
        assert_eq!(f.store.event_count(), 4, "alice's events stay");
    }
}
