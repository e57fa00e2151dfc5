//! Building the next version of an event, before the gate checks it: a new event from an
//! input, a patch applied to a stored one. Pure functions of their arguments.

use std::cell::RefCell;
use std::rc::Rc;

use candid::Principal;
use interfaces::calendar::{
    Attendee, AttendeeReminders, Event, EventId, EventInput, EventPatch, OccurrenceRsvp,
    RecurrenceChange, Rsvp, Schedule,
};
use recurrence::wire::{series_from_schedule, timestamp};

use super::Ctx;

/// A new event from `input`, owned by the caller, with id `id` (its generated UID is built
/// from it). Not yet checked or stored.
pub fn draft(ctx: &Ctx, input: EventInput, id: EventId) -> Event {
    Event {
        id,
        owner: ctx.caller,
        ical_uid: generated_uid(id, &ctx.shard),
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
        occurrence_rsvps: None,
        reminders_minutes: input.reminders_minutes.unwrap_or_default(),
        attendee_reminders: None,
        created_at_ns: ctx.now_ns,
        updated_at_ns: ctx.now_ns,
        revision: 1,
    }
}

/// The UID this calendar gives its event `id` on `shard`: `{id}@{shard}`.
pub fn generated_uid(id: EventId, shard: &Principal) -> String {
    thread_local! {
        /// The last shard's text: writing a principal (checksum, base32, dashes) costs more
        /// than the rest of a refused create, and a shard only ever writes its own.
        static SHARD_TEXT: RefCell<Option<(Principal, Rc<str>)>> = const { RefCell::new(None) };
    }
    let text = SHARD_TEXT.with_borrow_mut(|known| match known {
        Some((p, text)) if p == shard => text.clone(),
        _ => known.insert((*shard, shard.to_text().into())).1.clone(),
    });
    // By hand, not `format!`: its machinery costs more than the few bytes it writes.
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(id);
    let mut uid = String::with_capacity(digits.len() + 1 + text.len());
    uid.push_str(digits);
    uid.push('@');
    uid.push_str(&text);
    uid
}

/// `RRULE:FREQ=...` and `FREQ=...` are the same rule; store the parsed, canonical text.
pub fn normalize_rule(rule: &str) -> String {
    rule.trim()
        .parse::<recurrence::RecurrenceRule>()
        .map_or_else(|_| rule.to_string(), |r| r.to_string())
}

pub fn set_schedule(event: &mut Event, s: Schedule) {
    event.time = s.time;
    event.time_zone = s.time_zone;
    event.recurrence = s.recurrence;
    event.overrides = s.overrides;
}

/// Changes `event`'s answers for single occurrences with `f` (`None` when none is left).
pub fn set_occurrence_answers(event: &mut Event, f: impl FnOnce(&mut Vec<OccurrenceRsvp>)) {
    let mut answers = event.occurrence_rsvps.take().unwrap_or_default();
    f(&mut answers);
    event.occurrence_rsvps = (!answers.is_empty()).then_some(answers);
}

/// Drops the answers for single occurrences and the own reminders of people who no longer
/// attend `event`.
pub fn keep_attending(event: &mut Event) {
    let attending: Vec<_> = event.attendees.iter().map(|a| a.principal).collect();
    set_occurrence_answers(event, |answers| {
        answers.retain(|a| attending.contains(&a.principal))
    });
    let own = event.attendee_reminders.take().unwrap_or_default();
    let kept: Vec<_> = own
        .into_iter()
        .filter(|r| attending.contains(&r.principal))
        .collect();
    event.attendee_reminders = (!kept.is_empty()).then_some(kept);
}

/// Sets `who`'s own reminders on `event` (`None`: they follow the organizer's again).
pub fn set_own_reminders(event: &mut Event, who: Principal, minutes: Option<Vec<u32>>) {
    let mut own = event.attendee_reminders.take().unwrap_or_default();
    own.retain(|r| r.principal != who);
    if let Some(reminders_minutes) = minutes {
        own.push(AttendeeReminders {
            principal: who,
            reminders_minutes,
        });
        own.sort_by_key(|r| r.principal);
    }
    event.attendee_reminders = (!own.is_empty()).then_some(own);
}

/// `old` with `patch` applied (unchecked). When the timing changes, overrides and answers for
/// single occurrences that no longer name an instance are dropped, as calendar apps do when a
/// whole series moves; the answers of people no longer attending go with them.
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
        keep_attending(&mut e);
    }
    if let Some(v) = patch.reminders_minutes {
        e.reminders_minutes = v;
    }
    if timing_changed {
        retain_instances(&mut e);
    }
    e
}

/// Drops the overrides and answers for single occurrences of `e` that do not name an instance
/// of its series (all of them when it has none).
pub fn retain_instances(e: &mut Event) {
    if e.recurrence.is_none() {
        e.overrides.clear();
        e.occurrence_rsvps = None;
        return;
    }
    if e.overrides.is_empty() && e.occurrence_rsvps.is_none() {
        return;
    }
    let Ok(series) = series_from_schedule(
        &Event {
            overrides: vec![],
            ..e.clone()
        }
        .schedule(),
    ) else {
        return;
    };
    // One walk of the series for all of them (`are_instances`), not one per start.
    let starts: Vec<u64> = e
        .overrides
        .iter()
        .map(|o| o.original_start_ns)
        .chain(e.occurrence_answers().iter().map(|a| a.original_start_ns))
        .collect();
    let parsed: Vec<_> = starts
        .iter()
        .map(|&ns| timestamp("original_start_ns", ns).ok())
        .collect();
    let valid: Vec<_> = parsed.iter().flatten().copied().collect();
    let mut real = recurrence::are_instances(&series, &valid)
        .unwrap_or_default()
        .into_iter();
    let mut keep = parsed
        .iter()
        .map(|t| t.is_some() && real.next().unwrap_or(false))
        .collect::<Vec<bool>>()
        .into_iter();
    e.overrides.retain(|_| keep.next().unwrap_or(false));
    set_occurrence_answers(e, |answers| {
        answers.retain(|_| keep.next().unwrap_or(false))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{ctx_at, lesson, user, HOUR, MONDAY};
    use interfaces::calendar::{EventTime, InstanceChange, InstanceOverride, Recurrence};

    fn weekly() -> Event {
        let mut input = lesson(MONDAY);
        input.recurrence = Some(Recurrence {
            rule: "RRULE:FREQ=WEEKLY;COUNT=4".into(),
            exdates_ns: vec![],
            rdates_ns: None,
        });
        draft(&ctx_at(user(1), 5), input, 9)
    }

    #[test]
    fn a_generated_uid_names_the_event_and_its_shard() {
        // The shard's text is kept between calls: a change of shard must be seen.
        for (id, shard) in [(7, user(3)), (12_345_678_901, user(4)), (0, user(3))] {
            assert_eq!(generated_uid(id, &shard), format!("{id}@{shard}"));
        }
    }

    #[test]
    fn a_draft_fills_defaults_and_normalizes_the_rule() {
        let mut input = lesson(MONDAY);
        input.color = Some(String::new());
        input.attendees = Some(vec![user(2)]);
        let e = draft(&ctx_at(user(1), 5), input, 9);
        assert_eq!((e.id, e.owner, e.revision), (9, user(1), 1));
        assert!(e.ical_uid.starts_with("9@"));
        assert_eq!((e.created_at_ns, e.updated_at_ns), (5, 5));
        assert_eq!(e.color, None, "an empty colour is no colour");
        assert_eq!(e.attendees[0].rsvp, Rsvp::NeedsAction);
        assert_eq!(
            weekly().recurrence.unwrap().rule,
            normalize_rule("FREQ=WEEKLY;COUNT=4")
        );
        assert!(!weekly().recurrence.unwrap().rule.starts_with("RRULE:"));
    }

    #[test]
    fn a_patch_keeps_the_answers_of_attendees_who_stay() {
        let mut old = weekly();
        old.attendees = vec![
            Attendee {
                principal: user(2),
                rsvp: Rsvp::Accepted,
            },
            Attendee {
                principal: user(3),
                rsvp: Rsvp::Declined,
            },
        ];
        let patch = EventPatch {
            attendees: Some(vec![user(3), user(4)]),
            color: Some(String::new()),
            ..Default::default()
        };
        let e = apply_patch(&old, patch);
        let answers: Vec<_> = e.attendees.iter().map(|a| (a.principal, a.rsvp)).collect();
        assert_eq!(
            answers,
            [(user(3), Rsvp::Declined), (user(4), Rsvp::NeedsAction)]
        );
    }

    #[test]
    fn moving_a_series_drops_instance_changes_that_no_longer_name_an_instance() {
        let mut old = weekly();
        let cancelled = |at| InstanceOverride {
            original_start_ns: at,
            change: InstanceChange::Cancelled,
        };
        old.overrides = vec![cancelled(MONDAY + 7 * 24 * HOUR)];
        // Same timing: kept.
        let renamed = apply_patch(
            &old,
            EventPatch {
                title: Some("Theory".into()),
                ..Default::default()
            },
        );
        assert_eq!(renamed.overrides, old.overrides);
        // Moved by an hour: the override names no instance any more.
        let moved = apply_patch(
            &old,
            EventPatch {
                time: Some(EventTime::Timed {
                    start_ns: MONDAY + HOUR,
                    end_ns: MONDAY + 2 * HOUR,
                }),
                ..Default::default()
            },
        );
        assert!(moved.overrides.is_empty());
        // Removing the rule removes every instance change.
        let single = apply_patch(
            &old,
            EventPatch {
                recurrence: Some(RecurrenceChange::Remove),
                ..Default::default()
            },
        );
        assert_eq!((single.recurrence, single.overrides.len()), (None, 0));
    }
}
