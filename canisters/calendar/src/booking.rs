//! Scheduling from the driving-school seed: a host's booking policy (working hours, slot length,
//! grid, buffers, minimum notice, horizon), the bookable slots it yields against the host's
//! busy time, and booking one.
//!
//! `book` checks and inserts in one synchronous step (no `await` anywhere in this module), and
//! a canister runs one message at a time, so two concurrent bookings of one slot can never
//! both succeed: the second sees the first's event as busy.

use ic_stable_structures::Memory;
use interfaces::calendar::{
    BookingPolicy, BookingRequest, BusyBlock, Event, EventInput, Slot, SlotRequest, Weekday,
};
use interfaces::{Error, InputProblem};
use recurrence::jiff::civil::Weekday as JiffWeekday;
use recurrence::jiff::ToSpan;
use recurrence::wire::{time_zone, timestamp, to_ns};
use security_base::limits;

use crate::access;
use crate::store::{Ctx, Store};
use crate::validate::MAX_DESCRIPTION_CHARS;

const MINUTE_NS: u64 = 60_000_000_000;
pub const DEFAULT_SLOTS: u32 = 100;
pub const MAX_SLOTS: u32 = 1_000;

fn bad(field: &str, reason: &str) -> Error {
    Error::invalid(
        field,
        InputProblem::Malformed {
            reason: reason.to_string(),
        },
    )
}

fn weekday(w: JiffWeekday) -> Weekday {
    match w {
        JiffWeekday::Monday => Weekday::Monday,
        JiffWeekday::Tuesday => Weekday::Tuesday,
        JiffWeekday::Wednesday => Weekday::Wednesday,
        JiffWeekday::Thursday => Weekday::Thursday,
        JiffWeekday::Friday => Weekday::Friday,
        JiffWeekday::Saturday => Weekday::Saturday,
        JiffWeekday::Sunday => Weekday::Sunday,
    }
}

/// Every slot the policy offers in `[from, to)` on its grid, ignoring busy time: starts at
/// each working range's start plus multiples of the step, read on the host's wall clock.
fn candidate_slots(p: &BookingPolicy, from: u64, to: u64) -> Result<Vec<Slot>, Error> {
    let tz = time_zone(&p.time_zone)?;
    let first_day = timestamp("from_ns", from)?.to_zoned(tz.clone()).date();
    let last_day = timestamp("to_ns", to)?.to_zoned(tz.clone()).date();
    let mut out = Vec::new();
    let mut day = first_day;
    while day <= last_day {
        let mut ranges: Vec<_> = p
            .working_hours
            .iter()
            .filter(|w| w.weekday == weekday(day.weekday()))
            .collect();
        ranges.sort_by_key(|w| w.start_minute);
        for w in ranges {
            let mut minute = u32::from(w.start_minute);
            while minute + p.slot_minutes <= u32::from(w.end_minute) {
                let local = day
                    .at(0, 0, 0, 0)
                    .checked_add((minute as i64).minutes())
                    .map_err(|_| bad("from_ns", "date out of range"))?;
                let start = tz
                    .to_ambiguous_timestamp(local)
                    .compatible()
                    .map_err(|_| bad("from_ns", "date out of range"))?;
                let start_ns = to_ns(start);
                let end_ns = start_ns + u64::from(p.slot_minutes) * MINUTE_NS;
                if start_ns >= from && end_ns <= to {
                    out.push(Slot { start_ns, end_ns });
                }
                minute += p.step_minutes;
            }
        }
        day = day
            .tomorrow()
            .map_err(|_| bad("to_ns", "date out of range"))?;
    }
    out.sort_by_key(|s| s.start_ns);
    out.dedup();
    Ok(out)
}

/// True when `[start - before, end + after)` touches no busy block (blocks are sorted).
fn is_free(busy: &[BusyBlock], slot: &Slot, before_ns: u64, after_ns: u64) -> bool {
    let lo = slot.start_ns.saturating_sub(before_ns);
    let hi = slot.end_ns.saturating_add(after_ns);
    // First block that ends after `lo`; it is the only one that can overlap first.
    let i = busy.partition_point(|b| b.end_ns <= lo);
    busy.get(i).is_none_or(|b| b.start_ns >= hi)
}

/// The host's bookable slots in `[from, to)`, clipped to minimum notice and horizon.
pub fn available<M: Memory>(
    store: &Store<M>,
    now_ns: u64,
    req: &SlotRequest,
) -> Result<Vec<Slot>, Error> {
    let limit = limits::page_size(req.limit, DEFAULT_SLOTS, MAX_SLOTS)?;
    let policy = store
        .policy(&req.host)
        .ok_or_else(|| Error::not_found("booking policy of this host"))?;
    let earliest = now_ns + u64::from(policy.min_notice_minutes) * MINUTE_NS;
    let latest = now_ns + u64::from(policy.horizon_days) * 24 * 60 * MINUTE_NS;
    let (from, to) = (req.from_ns.max(earliest), req.to_ns.min(latest));
    if from >= to {
        return Ok(vec![]);
    }
    let before = u64::from(policy.buffer_before_minutes) * MINUTE_NS;
    let after = u64::from(policy.buffer_after_minutes) * MINUTE_NS;
    let busy = store.busy(
        &req.host,
        from.saturating_sub(before),
        to.saturating_add(after),
    )?;
    Ok(candidate_slots(&policy, from, to)?
        .into_iter()
        .filter(|s| is_free(&busy, s, before, after))
        .take(limit as usize)
        .collect())
}

/// Books the slot starting at `req.start_ns` with the host: an event the host owns, with the
/// caller as an accepted attendee (so both see it and both get reminders).
pub fn book<M: Memory>(
    store: &mut Store<M>,
    ctx: &Ctx,
    req: BookingRequest,
) -> Result<Event, Error> {
    access::require_user(&ctx.caller)?;
    if let Some(note) = &req.note {
        limits::text("note", note, MAX_DESCRIPTION_CHARS)?;
    }
    let policy = store
        .policy(&req.host)
        .ok_or_else(|| Error::not_found("booking policy of this host"))?;
    let length = u64::from(policy.slot_minutes) * MINUTE_NS;
    let wanted = Slot {
        start_ns: req.start_ns,
        end_ns: req.start_ns.saturating_add(length),
    };
    let offered = available(
        store,
        ctx.now_ns,
        &SlotRequest {
            host: req.host,
            from_ns: wanted.start_ns,
            to_ns: wanted.end_ns,
            limit: Some(1),
        },
    )?;
    if offered.first() != Some(&wanted) {
        return Err(Error::Conflict {
            reason: "that slot is not available (taken, outside working hours, off the grid, \
                     too soon or too far ahead)"
                .into(),
        });
    }
    let host_ctx = Ctx {
        caller: req.host,
        ..*ctx
    };
    let mut input = EventInput::timed(
        &policy.booking_title,
        wanted.start_ns,
        wanted.end_ns,
        &policy.time_zone,
    );
    input.description = req.note;
    let guest = (ctx.caller != req.host).then_some(ctx.caller);
    store.add_booking(&host_ctx, input, guest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{ctx, fixture, policy as store_policy, user, DAY, HOUR};
    use candid::Principal;
    use interfaces::calendar::WorkingHours;

    /// The fixture's Monday mornings, and 13:00 to 15:00.
    fn policy() -> BookingPolicy {
        let mut p = store_policy();
        p.working_hours.push(WorkingHours {
            weekday: Weekday::Monday,
            start_minute: 13 * 60,
            end_minute: 15 * 60,
        });
        p
    }

    use crate::store::tests::MONDAY;

    #[test]
    fn candidates_follow_working_ranges_and_grid_on_the_wall_clock() {
        let slots = candidate_slots(&policy(), MONDAY, MONDAY + 24 * HOUR).unwrap();
        let hours: Vec<f64> = slots
            .iter()
            .map(|s| (s.start_ns - MONDAY) as f64 / HOUR as f64)
            .collect();
        assert_eq!(hours, [9.0, 9.5, 10.0, 10.5, 11.0, 13.0, 13.5, 14.0]);
    }

    #[test]
    fn buffers_keep_slots_away_from_busy_blocks() {
        let busy = [BusyBlock {
            start_ns: MONDAY + 10 * HOUR,
            end_ns: MONDAY + 11 * HOUR,
        }];
        let at = |h: f64| Slot {
            start_ns: MONDAY + (h * HOUR as f64) as u64,
            end_ns: MONDAY + (h * HOUR as f64) as u64 + HOUR,
        };
        let q = 15 * MINUTE_NS;
        assert!(is_free(&busy, &at(8.5), q, q)); // ends 9:30 + 15 min
        assert!(!is_free(&busy, &at(9.0), q, q)); // ends 10:00, buffer runs into it
        assert!(!is_free(&busy, &at(10.5), q, q));
        assert!(!is_free(&busy, &at(11.0), q, q)); // buffer before reaches back to 10:45
        assert!(is_free(&busy, &at(11.25), q, q));
        assert!(is_free(&busy, &at(11.0), 0, 0));
    }

    fn booking(host: u8, start_ns: u64) -> BookingRequest {
        BookingRequest {
            host: user(host),
            start_ns,
            note: Some("first lesson".into()),
        }
    }

    #[test]
    fn a_booking_is_the_hosts_event_with_the_guest_accepted_and_takes_the_slot() {
        let mut f = fixture();
        f.store
            .set_policy(&ctx(user(1)), Some(store_policy()))
            .unwrap();
        let e = book(&mut f.store, &ctx(user(2)), booking(1, MONDAY + 9 * HOUR)).unwrap();
        assert_eq!((e.owner, e.description.as_str()), (user(1), "first lesson"));
        assert_eq!(
            e.attendees,
            [interfaces::calendar::Attendee {
                principal: user(2),
                rsvp: interfaces::calendar::Rsvp::Accepted
            }]
        );
        // The same slot again, or one reaching into its buffer, is taken.
        for start in [MONDAY + 9 * HOUR, MONDAY + 10 * HOUR] {
            assert!(matches!(
                book(&mut f.store, &ctx(user(3)), booking(1, start)),
                Err(Error::Conflict { .. })
            ));
        }
        let req = SlotRequest {
            host: user(1),
            from_ns: MONDAY,
            to_ns: MONDAY + DAY,
            limit: None,
        };
        let starts: Vec<u64> = available(&f.store, f.ctx(user(3)).now_ns, &req)
            .unwrap()
            .iter()
            .map(|s| (s.start_ns - MONDAY) / (HOUR / 2))
            .collect();
        assert_eq!(
            starts,
            [21, 22],
            "10:30 and 11:00, after the booking's buffer"
        );
        // A host booking their own slot is not their own attendee.
        let own = book(&mut f.store, &ctx(user(1)), booking(1, MONDAY + 11 * HOUR)).unwrap();
        assert!(own.attendees.is_empty());
    }

    #[test]
    fn bookings_need_a_signed_in_caller_a_policy_and_a_short_note() {
        let mut f = fixture();
        let anonymous = f.ctx(Principal::anonymous());
        assert_eq!(
            book(&mut f.store, &anonymous, booking(1, MONDAY + 9 * HOUR)),
            Err(Error::AnonymousCaller)
        );
        assert!(matches!(
            book(&mut f.store, &ctx(user(2)), booking(1, MONDAY + 9 * HOUR)),
            Err(Error::NotFound { .. })
        ));
        f.store
            .set_policy(&ctx(user(1)), Some(store_policy()))
            .unwrap();
        let mut long = booking(1, MONDAY + 9 * HOUR);
        long.note = Some("n".repeat(MAX_DESCRIPTION_CHARS + 1));
        assert!(matches!(
            book(&mut f.store, &ctx(user(2)), long),
            Err(Error::InvalidInput { .. })
        ));
        assert_eq!(f.store.event_count(), 0);
    }
}
