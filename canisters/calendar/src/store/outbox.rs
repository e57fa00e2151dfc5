//! The reminder outbox: what the notification canister must learn about each changed event,
//! kept in stable memory until it confirmed it (`crate::reminders` delivers it).
//!
//! Keyed by event, so repeated changes before a delivery coalesce into the latest update.
//!
//! After a restore the notification canister's view of this shard is rebuilt as a whole
//! ([`ReminderResync`]): first it forgets every plan of this shard (plans of events that no
//! longer exist would keep firing, and the snapshot's older revisions would be ignored as
//! stale), then every event with reminders is queued again, a batch at a time; the outbox is
//! delivered only once the forgetting is done.

use candid::{CandidType, Deserialize, Principal};
use canister_kit::stored::Candid;
use ic_stable_structures::Memory;
use interfaces::calendar::{Event, EventId, EventStatus, InstanceChange, Rsvp};
use interfaces::notification::{AttendeePlan, EventRef, ReminderPlan, ReminderUpdate};

use super::{Ctx, Store};

/// Where rebuilding the notification canister's view of this shard stands after a restore.
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReminderResync {
    /// The notification canister is to forget every plan of this shard first.
    Forget,
    /// Events from this id on are still to be queued again.
    Requeue { from_id: EventId },
}

/// What the notification canister needs for an event's reminders. A cancelled event keeps its
/// entry but with no reminders, which clears them.
/// Reminders go to the owner and to attendees who accepted: no answer, a tentative one or a
/// refusal is no promise to attend. An attendee with their own reminders, or with answers for
/// single occurrences that change what they accepted, gets a plan of their own.
pub fn reminder_plan(e: &Event, shard: Principal) -> ReminderPlan {
    let cancelled = e.status == EventStatus::Cancelled;
    let mut recipients = vec![e.owner];
    let mut attendees = vec![];
    for a in e.attendees.iter().filter(|a| a.principal != e.owner) {
        let accepted_series = a.rsvp == Rsvp::Accepted;
        let exception_starts_ns: Vec<u64> = e
            .occurrence_answers()
            .iter()
            .filter(|o| o.principal == a.principal)
            .filter(|o| (o.rsvp == Rsvp::Accepted) != accepted_series)
            .filter_map(|o| actual_start(e, o.original_start_ns))
            .collect();
        let own = e.own_reminders_of(&a.principal);
        if own.is_none() && exception_starts_ns.is_empty() {
            if accepted_series {
                recipients.push(a.principal);
            }
        } else if accepted_series || !exception_starts_ns.is_empty() {
            attendees.push(AttendeePlan {
                principal: a.principal,
                minutes_before: own.unwrap_or(&e.reminders_minutes).to_vec(),
                accepted_series,
                exception_starts_ns,
            });
        }
    }
    ReminderPlan {
        event: EventRef {
            shard,
            event_id: e.id,
        },
        revision: e.revision,
        title: e.title.clone(),
        recipients,
        schedule: e.schedule(),
        minutes_before: if cancelled {
            vec![]
        } else {
            e.reminders_minutes.clone()
        },
        attendees: (!cancelled && !attendees.is_empty()).then_some(attendees),
    }
}

/// Where the occurrence the rule starts at `original_start_ns` starts now (the notification
/// canister knows occurrences by their start); `None` when it was cancelled.
fn actual_start(e: &Event, original_start_ns: u64) -> Option<u64> {
    match e
        .overrides
        .iter()
        .find(|o| o.original_start_ns == original_start_ns)
        .map(|o| o.change)
    {
        None => Some(original_start_ns),
        Some(InstanceChange::Moved { start_ns, .. }) => Some(start_ns),
        Some(InstanceChange::Cancelled) => None,
    }
}

/// Whether anyone wants reminders of `e`: its owner's, or an attendee's own.
fn has_reminders(e: &Event) -> bool {
    !e.reminders_minutes.is_empty()
        || e.own_reminders()
            .iter()
            .any(|r| !r.reminders_minutes.is_empty())
}

impl<M: Memory> Store<M> {
    /// Records what the notification canister must learn about a change from `old` to `new`
    /// (`None` for a created or a deleted event). Events without reminders before or after
    /// need no update.
    pub(super) fn queue_reminders(&mut self, ctx: &Ctx, old: Option<&Event>, new: Option<&Event>) {
        let had = old.is_some_and(has_reminders);
        let update = match new {
            Some(e) if had || has_reminders(e) => ReminderUpdate::Set(reminder_plan(e, ctx.shard)),
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

    /// Whether the outbox may be delivered: not while the notification canister is still to
    /// forget this shard's plans (it would forget what was just delivered).
    pub fn outbox_deliverable(&self) -> bool {
        self.meta().reminder_resync != Some(ReminderResync::Forget)
    }

    /// The notification canister forgot this shard's plans: queue them all again.
    pub fn reminders_forgotten(&mut self) {
        self.update_meta(|m| {
            if m.reminder_resync == Some(ReminderResync::Forget) {
                m.reminder_resync = Some(ReminderResync::Requeue { from_id: 0 });
            }
        });
    }

    /// Queues the reminder plans of up to `max` events of the resync's cursor on. Returns
    /// whether events are left to queue.
    pub fn requeue_reminders(&mut self, shard: Principal, max: usize) -> bool {
        let Some(ReminderResync::Requeue { from_id }) = self.meta().reminder_resync else {
            return false;
        };
        let (batch, next) = self.batch_from(from_id, max);
        for e in batch.iter().filter(|e| has_reminders(e)) {
            self.reminder_outbox
                .insert(e.id, Candid(ReminderUpdate::Set(reminder_plan(e, shard))));
        }
        let next = next.map(|from_id| ReminderResync::Requeue { from_id });
        self.update_meta(|m| m.reminder_resync = next);
        next.is_some()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{fixture, lesson, user, MONDAY};
    use interfaces::calendar::EventPatch;

    /// A lesson with a reminder ten minutes before.
    fn reminded() -> interfaces::calendar::EventInput {
        interfaces::calendar::EventInput {
            reminders_minutes: Some(vec![10]),
            ..lesson(MONDAY)
        }
    }

    fn plan_of(update: &ReminderUpdate) -> &ReminderPlan {
        match update {
            ReminderUpdate::Set(plan) => plan,
            other => panic!("expected Set, got {other:?}"),
        }
    }

    #[test]
    fn events_without_reminders_queue_nothing() {
        let mut f = fixture();
        f.store.create(&f.ctx(user(1)), lesson(MONDAY)).unwrap();
        assert_eq!(f.store.outbox_len(), 0);
    }

    #[test]
    fn changes_coalesce_per_event_and_a_delete_cancels() {
        let mut f = fixture();
        let alice = f.ctx(user(1));
        let e = f.store.create(&alice, reminded()).unwrap();
        let renamed = EventPatch {
            title: Some("Theory".into()),
            ..Default::default()
        };
        f.store.update(&alice, e.id, 1, renamed).unwrap();
        let batch = f.store.outbox_batch(10);
        assert_eq!(batch.len(), 1, "one entry per event");
        let plan = plan_of(&batch[0].1);
        assert_eq!((plan.revision, plan.title.as_str()), (2, "Theory"));
        assert_eq!(plan.recipients, [user(1)]);

        f.store.delete(&alice, e.id, None).unwrap();
        assert_eq!(
            f.store.outbox_batch(10),
            [(
                e.id,
                ReminderUpdate::Cancel {
                    event: EventRef {
                        shard: f.shard,
                        event_id: e.id
                    },
                    revision: 3
                }
            )]
        );
    }

    #[test]
    fn a_delivery_keeps_an_update_that_replaced_it_meanwhile() {
        let mut f = fixture();
        let alice = f.ctx(user(1));
        let e = f.store.create(&alice, reminded()).unwrap();
        let sent = f.store.outbox_batch(10);
        let patch = EventPatch {
            reminders_minutes: Some(vec![30]),
            ..Default::default()
        };
        f.store.update(&alice, e.id, 1, patch).unwrap();
        f.store.outbox_delivered(&sent);
        assert_eq!(f.store.outbox_len(), 1, "the newer update stays");
        let newer = f.store.outbox_batch(10);
        assert_eq!(plan_of(&newer[0].1).minutes_before, [30]);
        f.store.outbox_delivered(&newer);
        assert_eq!(f.store.outbox_len(), 0);
    }

    #[test]
    fn plans_name_the_owner_and_attendees_who_come_and_a_cancelled_event_has_no_reminders() {
        let mut f = fixture();
        let mut input = reminded();
        input.attendees = Some(vec![user(2), user(3)]);
        let e = f.store.create(&f.ctx(user(1)), input).unwrap();
        f.store.rsvp(&f.ctx(user(2)), e.id, Rsvp::Accepted).unwrap();
        let mut e = f.store.get(&f.ctx(user(1)), e.id).unwrap();
        assert_eq!(reminder_plan(&e, f.shard).recipients, [user(1), user(2)]);
        e.status = EventStatus::Cancelled;
        assert!(reminder_plan(&e, f.shard).minutes_before.is_empty());
    }

    #[test]
    fn a_restore_rebuilds_every_plan_after_the_notification_canister_forgot_them() {
        let mut f = fixture();
        let alice = f.ctx(user(1));
        let mut reminded_ids = vec![];
        for i in 0..5 {
            let e = f.store.create(&alice, reminded()).unwrap();
            reminded_ids.push(e.id);
            if i % 2 == 0 {
                f.store.create(&alice, lesson(MONDAY)).unwrap();
            }
        }
        assert_eq!(f.store.outbox_len(), 5);
        let before = f.store.meta().clone();
        f.store.mark_restored(&before, 0);
        assert_eq!(
            f.store.outbox_len(),
            0,
            "the snapshot's outbox may name another shard"
        );
        assert!(!f.store.outbox_deliverable());
        assert!(
            !f.store.requeue_reminders(f.shard, 3),
            "not before the forgetting"
        );
        assert_eq!(f.store.outbox_len(), 0);

        f.store.reminders_forgotten();
        assert!(f.store.outbox_deliverable());
        let mut rounds = 0;
        while f.store.requeue_reminders(f.shard, 3) {
            rounds += 1;
        }
        assert_eq!(rounds, 2, "8 events, 3 per round");
        let queued: Vec<_> = f.store.outbox_batch(10);
        assert_eq!(
            queued.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            reminded_ids
        );
        assert!(queued
            .iter()
            .all(|(_, u)| plan_of(u).event.shard == f.shard));
        assert_eq!(f.store.meta().reminder_resync, None);
    }
}
