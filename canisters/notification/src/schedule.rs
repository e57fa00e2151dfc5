//! Reminder scheduling and firing, as plain rules over the [`Store`].
//!
//! A calendar shard sends each event's [`ReminderPlan`] (or its cancellation) with the event's
//! revision; an update older than what is held is ignored, because the shard's outbox may repeat
//! or deliver late. For every plan only a window of upcoming occurrences is queued
//! ([`WINDOW_OCCURRENCES`]), expanded on the wall clock of the event's zone by
//! `libs/recurrence`, so 09:00 stays 09:00 across DST; firing an occurrence's last reminder
//! refills the window.
//!
//! Firing is exactly once by construction: a reminder leaves the due queue in the same message
//! that puts its notifications in the inboxes, and a message either commits whole or not at all.
//! A reminder still queued when its moment passes (the canister was stopped, busy or being
//! upgraded) fires on the next run, however late.
//!
//! Who gets a reminder is decided when it fires: the plan's recipients at the plan's minutes,
//! and each attendee with a plan of their own at their minutes, for the occurrences they
//! accepted. Updates are checked whole before any is applied ([`check`]).

use candid::Principal;
use ic_stable_structures::Memory;
use interfaces::notification::{ReminderPlan, ReminderUpdate, MAX_ATTENDEE_EXCEPTIONS};
use interfaces::Error;
use recurrence::Series;

use crate::model::*;
use crate::store::*;
use check::{check_updates, Checked};

/// Occurrences per event whose reminders are queued at a time.
pub const WINDOW_OCCURRENCES: usize = 4;
/// Occurrences one refill looks at before it stops (occurrences whose reminders are all stale
/// are passed over; the suite's rules are at most daily and reminders at most four weeks
/// early, so about 30 is the most ever passed over). Occurrences nobody is to be reminded of
/// (every attendee reminded declined them one by one) are passed over without counting: there
/// are at most [`MAX_ATTENDEE_EXCEPTIONS`] of them, and a plan that reminds only of single
/// accepted occurrences jumps from one to the next.
pub const MAX_OCCURRENCES_SCANNED: usize = 64;
/// A reminder whose moment passed at most this long before it was scheduled still fires (late):
/// the shard's outbox may have held the update while this canister was unavailable. Older ones
/// are skipped, so an event created today does not fire a month of reminders at once.
pub const LATE_GRACE_NS: u64 = 60 * NS_PER_MINUTE;
/// How long a tombstone keeps an ended event's revision.
pub const TOMBSTONE_RETENTION_NS: u64 = 30 * NS_PER_DAY;

/// What one `sync_reminders` call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncOutcome {
    pub applied: usize,
    /// Older than (or, for a `Set` after a `Cancel`, as old as) what is held.
    pub ignored_stale: usize,
}

/// What one firing batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FireReport {
    pub reminders: u64,
    pub notifications: u64,
    /// More reminders are due now than the batch took.
    pub more_due: bool,
}

impl<M: Memory> Store<M> {
    /// Applies a calendar shard's updates in order. Every update is checked before any is
    /// applied, so bad input changes nothing.
    pub fn sync(
        &mut self,
        caller: Principal,
        updates: Vec<ReminderUpdate>,
        now_ns: u64,
    ) -> Result<SyncOutcome, Error> {
        let checked = check_updates(caller, updates)?;
        let mut outcome = SyncOutcome::default();
        for update in checked {
            let applied = match update {
                Checked::Set(set) => {
                    let (plan, series) = *set;
                    self.apply_set(plan, &series, now_ns)
                }
                Checked::Cancel(key, revision) => self.apply_cancel(key, revision, now_ns),
            };
            if applied {
                outcome.applied += 1;
            } else {
                outcome.ignored_stale += 1;
            }
        }
        self.flush();
        Ok(outcome)
    }

    /// Whether an update of `revision` replaces `held`: not when it is older, nor when it is a
    /// `Set` as old as the `Cancel` held (a retry that arrived late).
    fn replaces(held: Option<&EventRecord>, revision: u64, is_set: bool) -> bool {
        match held {
            None => true,
            Some(held) => {
                revision > held.revision
                    || (revision == held.revision
                        && !(is_set
                            && matches!(
                                held.state,
                                EventState::Ended {
                                    cancelled: true,
                                    ..
                                }
                            )))
            }
        }
    }

    fn apply_set(&mut self, plan: ReminderPlan, series: &Series, now_ns: u64) -> bool {
        let key = event_key(&plan.event);
        let held = self.events.get(&key);
        if !Self::replaces(held.as_ref(), plan.revision, true) {
            return false;
        }
        let (old_recipients, fired) = self.clear_event(&key, held);
        let fired = prune_fired(fired, now_ns);
        // Recipients with no minutes are reminded of nothing: they are not kept.
        let recipients = if plan.minutes_before.is_empty() {
            vec![]
        } else {
            plan.recipients
        };
        let mut active = ActivePlan {
            title: plan.title,
            recipients,
            minutes_before: plan.minutes_before,
            // Only occurrences that have not started yet get reminders.
            cursor_ns: now_ns,
            exhausted: false,
            queued: vec![],
            fired,
            attendees: plan
                .attendees
                .unwrap_or_default()
                .into_iter()
                .map(AttendeePlan::from)
                .collect(),
        };
        if !active.reminds_anyone() {
            self.end_event(
                key,
                plan.revision,
                false,
                &old_recipients,
                active.fired,
                now_ns,
            );
            return true;
        }
        let everyone = active.everyone();
        for gone in old_recipients.iter().filter(|r| !everyone.contains(r)) {
            self.recipients.remove(&(*gone, key.0, key.1));
        }
        for user in &everyone {
            self.recipients.insert((*user, key.0, key.1), ());
        }
        self.schedules
            .insert(key, StoredSchedule::from(plan.schedule));
        self.materialize(key, &mut active, series, now_ns);
        self.store_plan(key, plan.revision, active, now_ns);
        true
    }

    fn apply_cancel(&mut self, key: EventKey, revision: u64, now_ns: u64) -> bool {
        let held = self.events.get(&key);
        if !Self::replaces(held.as_ref(), revision, false) {
            return false;
        }
        let (recipients, fired) = self.clear_event(&key, held);
        let fired = prune_fired(fired, now_ns);
        self.end_event(key, revision, true, &recipients, fired, now_ns);
        true
    }

    /// Removes the queued reminders and the tombstone entry of `held`, the event's record;
    /// returns its recipients and its fired marks. The caller stores the event's new state.
    fn clear_event(
        &mut self,
        key: &EventKey,
        held: Option<EventRecord>,
    ) -> (Vec<Principal>, Vec<Fired>) {
        let Some(held) = held else {
            return (vec![], vec![]);
        };
        match held.state {
            EventState::Active(plan) => {
                for q in &plan.queued {
                    self.due.remove(&(q.due_ns, q.seq));
                }
                (plan.everyone(), plan.fired)
            }
            EventState::Ended { fired, .. } => {
                self.tombstones.remove(&(held.changed_at_ns, key.0, key.1));
                (vec![], fired)
            }
        }
    }

    /// Stores a tombstone for the event, drops its schedule and drops it from the index of
    /// `recipients`. Its queued reminders must already be gone.
    fn end_event(
        &mut self,
        key: EventKey,
        revision: u64,
        cancelled: bool,
        recipients: &[Principal],
        fired: Vec<Fired>,
        now_ns: u64,
    ) {
        for user in recipients {
            self.recipients.remove(&(*user, key.0, key.1));
        }
        self.schedules.remove(&key);
        let record = EventRecord {
            revision,
            changed_at_ns: now_ns,
            state: EventState::Ended { cancelled, fired },
        };
        self.events.insert(key, record);
        self.tombstones.insert((now_ns, key.0, key.1), ());
    }

    /// Stores an active plan, or a tombstone when it has nothing left to fire.
    fn store_plan(&mut self, key: EventKey, revision: u64, plan: ActivePlan, now_ns: u64) {
        if plan.queued.is_empty() && plan.exhausted {
            self.end_event(key, revision, false, &plan.everyone(), plan.fired, now_ns);
            return;
        }
        let record = EventRecord {
            revision,
            changed_at_ns: now_ns,
            state: EventState::Active(plan),
        };
        self.events.insert(key, record);
    }

    /// Queues reminders for occurrences after the plan's cursor until the window holds
    /// [`WINDOW_OCCURRENCES`] occurrences with a reminder queued, or the schedule ends.
    /// `as_of_ns` is the moment the window is filled for: now for a new plan, the due moment of
    /// the reminder that emptied a slot for a refill (so a canister that was stopped catches up
    /// on every reminder it missed, in order).
    fn materialize(
        &mut self,
        key: EventKey,
        plan: &mut ActivePlan,
        series: &Series,
        as_of_ns: u64,
    ) {
        let cutoff = as_of_ns.saturating_sub(LATE_GRACE_NS);
        // `scanned` counts occurrences someone is reminded of; `looked` every one, bounded by
        // those plus the most that answers can leave to nobody.
        let (mut scanned, mut looked) = (0, 0);
        let all_minutes = plan.all_minutes();
        while !plan.exhausted
            && occurrences_queued(&plan.queued) < WINDOW_OCCURRENCES
            && scanned < MAX_OCCURRENCES_SCANNED
            && looked < MAX_OCCURRENCES_SCANNED + MAX_ATTENDEE_EXCEPTIONS
        {
            let mut want = WINDOW_OCCURRENCES - occurrences_queued(&plan.queued);
            // A plan that reminds only of occurrences accepted one by one goes straight to the
            // next of them, however far ahead, one at a time.
            if !plan.reminds_series() {
                match plan.next_single_after(plan.cursor_ns) {
                    Some(start) => plan.cursor_ns = plan.cursor_ns.max(start - 1),
                    None => {
                        plan.exhausted = true;
                        break;
                    }
                }
                want = 1;
            }
            let after = match recurrence::wire::timestamp("cursor", plan.cursor_ns) {
                Ok(t) => t,
                Err(_) => {
                    plan.exhausted = true;
                    break;
                }
            };
            // An expansion error cannot happen for a schedule that passed `check_updates`;
            // should it, the plan ends instead of trapping every batch that touches it.
            let next = recurrence::next_instances_after(series, after, want).unwrap_or_default();
            if next.len() < want {
                plan.exhausted = true;
            }
            for instance in next {
                looked += 1;
                let start = recurrence::wire::to_ns(instance.start);
                plan.cursor_ns = plan.cursor_ns.max(start);
                // Attendees' own answers can leave an occurrence's reminders to nobody.
                let minutes: Vec<u32> = all_minutes
                    .iter()
                    .copied()
                    .filter(|&m| plan.reminds_at(start, m))
                    .collect();
                if !minutes.is_empty() {
                    scanned += 1;
                }
                for minutes in minutes {
                    let due = start.saturating_sub(u64::from(minutes) * NS_PER_MINUTE);
                    let already_fired = plan
                        .fired
                        .iter()
                        .any(|f| f.occurrence_start_ns == start && f.minutes_before == minutes);
                    if already_fired {
                        continue;
                    }
                    if due < cutoff {
                        self.counters.skipped_stale += 1;
                        continue;
                    }
                    let seq = self.next_seq();
                    let reminder = DueReminder {
                        shard: key.0,
                        event_id: key.1,
                        occurrence_start_ns: start,
                        minutes_before: minutes,
                    };
                    self.due.insert((due, seq), reminder);
                    plan.queued.push(Queued {
                        due_ns: due,
                        seq,
                        occurrence_start_ns: start,
                        minutes_before: minutes,
                    });
                }
            }
        }
    }

    /// Fires reminders due at `now_ns`, earliest first, into their recipients' inboxes, while
    /// fewer than `max_reminders` were fired and `keep_going` (the caller's instruction budget)
    /// agrees. The caller runs another batch, in another message, when `more_due` says so.
    pub fn fire_due(
        &mut self,
        now_ns: u64,
        max_reminders: u64,
        keep_going: &mut dyn FnMut() -> bool,
    ) -> FireReport {
        let mut report = FireReport::default();
        loop {
            if report.reminders >= max_reminders || !keep_going() {
                report.more_due = self.next_due_ns().is_some_and(|due| due <= now_ns);
                break;
            }
            let Some(((due, seq), reminder)) = self.due.pop_first() else {
                break;
            };
            if due > now_ns {
                // Not due yet: back it goes (one lookup per batch instead of one per reminder).
                self.due.insert((due, seq), reminder);
                break;
            }
            report.reminders += 1;
            self.counters.reminders_fired += 1;
            report.notifications += self.fire_one(due, seq, reminder, now_ns);
        }
        self.flush();
        report
    }

    /// Delivers one reminder taken off the due queue and refills its event's window. Returns
    /// how many notifications it delivered.
    fn fire_one(&mut self, due: u64, seq: u64, reminder: DueReminder, now_ns: u64) -> u64 {
        let key = (reminder.shard, reminder.event_id);
        // A due entry always belongs to an active plan (ending a plan removes its entries);
        // were it not so, the entry is simply dropped.
        let Some(record) = self.events.get(&key) else {
            return 0;
        };
        let EventState::Active(mut plan) = record.state else {
            return 0;
        };
        plan.queued.retain(|q| q.seq != seq);
        plan.fired = prune_fired(std::mem::take(&mut plan.fired), now_ns);
        plan.fired.push(Fired {
            occurrence_start_ns: reminder.occurrence_start_ns,
            minutes_before: reminder.minutes_before,
            due_ns: due,
        });
        let notification = StoredNotification {
            event: key,
            title: plan.title.clone(),
            occurrence_start_ns: reminder.occurrence_start_ns,
            minutes_before: reminder.minutes_before,
            due_at_ns: due,
            delivered_at_ns: now_ns,
            read: false,
        };
        let recipients = plan.recipients_for(reminder.occurrence_start_ns, reminder.minutes_before);
        for user in &recipients {
            self.deliver(*user, notification.clone());
        }
        let delivered = recipients.len() as u64;
        if !plan.exhausted && occurrences_queued(&plan.queued) < WINDOW_OCCURRENCES {
            let series = self
                .schedules
                .get(&key)
                .and_then(|s| recurrence::wire::series_from_schedule(&s.into()).ok());
            match series {
                Some(series) => self.materialize(key, &mut plan, &series, due),
                None => plan.exhausted = true,
            }
        }
        self.store_plan(key, record.revision, plan, now_ns);
        delivered
    }

    /// Forgets tombstones older than [`TOMBSTONE_RETENTION_NS`], at most `max`; says whether
    /// more are due.
    pub fn expire_tombstones(&mut self, now_ns: u64, max: usize) -> bool {
        let cutoff = now_ns.saturating_sub(TOMBSTONE_RETENTION_NS);
        let old: Vec<(u64, Principal, u64)> = self
            .tombstones
            .keys()
            .take_while(|(at, _, _)| *at < cutoff)
            .take(max + 1)
            .collect();
        let more = old.len() > max;
        for (at, shard, event_id) in old.into_iter().take(max) {
            self.tombstones.remove(&(at, shard, event_id));
            self.events.remove(&(shard, event_id));
        }
        more
    }

    /// Removes `user` from up to `max` plans that address them (account deletion). A plan left
    /// without anyone to remind ends. Returns how many plans changed.
    pub(crate) fn remove_recipient(&mut self, user: Principal, max: u64, now_ns: u64) -> u64 {
        let events: Vec<EventKey> = self
            .recipients
            .keys_range((user, MIN_PRINCIPAL, 0)..=(user, MAX_PRINCIPAL, u64::MAX))
            .take(max as usize)
            .map(|(_, shard, event_id)| (shard, event_id))
            .collect();
        for key in &events {
            self.recipients.remove(&(user, key.0, key.1));
            let Some(record) = self.events.get(key) else {
                continue;
            };
            let EventState::Active(mut plan) = record.state else {
                continue;
            };
            plan.remove_person(user);
            if !plan.reminds_anyone() {
                for q in &plan.queued {
                    self.due.remove(&(q.due_ns, q.seq));
                }
                self.end_event(*key, record.revision, false, &[], plan.fired, now_ns);
            } else {
                let record = EventRecord {
                    state: EventState::Active(plan),
                    ..record
                };
                self.events.insert(*key, record);
            }
        }
        events.len() as u64
    }

    /// Forgets up to `max` events of `shard` entirely: queued reminders, the recipient index,
    /// the schedule and the record itself, leaving no tombstone. A shard restored from a backup
    /// starts over with the revisions of its snapshot, which a tombstone or a newer held
    /// revision would refuse as stale, and events created after the snapshot no longer exist;
    /// the shard then sends every plan it holds again. Returns how many were removed and
    /// whether none are left.
    pub fn forget_shard(&mut self, shard: Principal, max: usize) -> (u64, bool) {
        let keys: Vec<EventKey> = self
            .events
            .keys_range((shard, 0)..=(shard, u64::MAX))
            .take(max.saturating_add(1))
            .collect();
        let done = keys.len() <= max;
        let mut removed = 0;
        for key in keys.into_iter().take(max) {
            let held = self.events.get(&key);
            let (recipients, _fired) = self.clear_event(&key, held);
            for user in recipients {
                self.recipients.remove(&(user, key.0, key.1));
            }
            self.schedules.remove(&key);
            self.events.remove(&key);
            removed += 1;
        }
        self.flush();
        (removed, done)
    }

    /// The held record of an event (for tests).
    #[cfg(test)]
    pub fn event(&self, key: &EventKey) -> Option<EventRecord> {
        self.events.get(key)
    }
}

/// Distinct occurrences with at least one reminder queued.
fn occurrences_queued(queued: &[Queued]) -> usize {
    let mut starts: Vec<u64> = queued.iter().map(|q| q.occurrence_start_ns).collect();
    starts.sort_unstable();
    starts.dedup();
    starts.len()
}

/// Keeps the fired marks a new plan could still collide with: reminders of occurrences that
/// have not started, due within the late grace (older ones are never queued again anyway).
fn prune_fired(mut fired: Vec<Fired>, now_ns: u64) -> Vec<Fired> {
    let cutoff = now_ns.saturating_sub(LATE_GRACE_NS);
    fired.retain(|f| f.occurrence_start_ns > now_ns && f.due_ns >= cutoff);
    fired
}

mod check;
#[cfg(test)]
mod tests;
