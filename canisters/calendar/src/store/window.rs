//! Windows over one owner's calendar: the occurrences in a range (listing, page by page) and
//! the merged busy time (free/busy, and the busy time booking avoids).
//!
//! Cost follows the answer: one-off events are read from the time index per duration class,
//! each scanned only from `from - class bound`, and series that ended before the window are
//! never read.

use std::collections::BTreeMap;

use candid::Principal;
use ic_stable_structures::Memory;
use interfaces::calendar::{
    BusyBlock, Event, EventId, EventPage, FreeBusyRequest, Invited, ListCursor, ListRequest,
    Occurrence,
};
use interfaces::{Error, InputProblem};
use recurrence::wire::{series_from_schedule, timestamp, to_ns};
use security_base::limits;

use super::events::blocks_time;
use super::{Ctx, Store};
use crate::access;
use crate::keys::{self, TimeEntry};
use crate::validate::CLASS_BOUNDS_NS;

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;
/// Free/busy refuses ranges with more occurrences than this (ask for a shorter range).
pub const MAX_BUSY_OCCURRENCES: u32 = 10_000;
/// Free/busy and availability cover at most this long a range.
pub const MAX_RANGE_NS: u64 = 366 * 24 * 3_600 * 1_000_000_000;

/// Which occurrences a window query keeps.
#[derive(Clone, Copy)]
enum Filter {
    /// Those `caller` may read (all of them when `caller` is the owner).
    Readable { caller: Principal, owner: Principal },
    /// Those that block time: not cancelled, opaque.
    Busy,
}

pub(super) fn key_of(o: &Occurrence) -> ListCursor {
    ListCursor {
        start_ns: o.start_ns,
        event_id: o.event_id,
        original_start_ns: o.original_start_ns,
        organizer_shard: o.invited.map(|i| i.organizer_shard),
    }
}

/// Whether `[start, end)` overlaps `[from, to)`; an instant event overlaps when inside.
pub(super) fn overlaps(start: u64, end: u64, from: u64, to: u64) -> bool {
    if start == end {
        from <= start && start < to
    } else {
        start < to && end > from
    }
}

fn range_error(reason: &str) -> Error {
    Error::invalid(
        "to_ns",
        InputProblem::Malformed {
            reason: reason.into(),
        },
    )
}

/// A free/busy range: it ends after it starts and covers at most [`MAX_RANGE_NS`].
pub fn check_range(from_ns: u64, to_ns: u64) -> Result<(), Error> {
    if from_ns >= to_ns {
        return Err(range_error("the range must end after it starts"));
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

impl<M: Memory> Store<M> {
    /// The occurrences of `req.owner`'s calendar (the caller's by default) that the caller may
    /// read, one page at a time, with the events they belong to.
    pub fn list(&self, ctx: &Ctx, req: &ListRequest) -> Result<EventPage, Error> {
        let owner = req.owner.unwrap_or(ctx.caller);
        if req.from_ns >= req.to_ns {
            return Err(range_error("the range must end after it starts"));
        }
        let limit = limits::page_size(req.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let filter = Filter::Readable {
            caller: ctx.caller,
            owner,
        };
        let (mut occurrences, mut more) =
            self.window(&owner, req.from_ns, req.to_ns, req.cursor, limit, filter)?;
        // Your own calendar also shows what you are invited to, in the same order and pages:
        // the invitations' candidates join the own events' first `limit`, and the first
        // `limit` of both are the page.
        let mut held = BTreeMap::new();
        if owner == ctx.caller && self.invitations().holds_for(&owner) {
            let include_declined = req.include_declined.unwrap_or(false);
            let want = limit as usize + 1;
            let window = (req.from_ns, req.to_ns, req.cursor);
            self.invitations().window(
                &owner,
                window,
                want,
                include_declined,
                &mut occurrences,
                &mut held,
            )?;
            occurrences.sort_by_key(key_of);
            more |= occurrences.len() > limit as usize;
            occurrences.truncate(limit as usize);
        }
        let mut events: BTreeMap<EventId, Event> = BTreeMap::new();
        let mut invitations = BTreeMap::new();
        for o in &occurrences {
            if let Some(i) = o.invited {
                let key = (i.organizer_shard, o.event_id);
                if let Some(invitation) = held.get(&key) {
                    invitations.entry(key).or_insert_with(|| invitation.clone());
                }
            } else if let std::collections::btree_map::Entry::Vacant(slot) =
                events.entry(o.event_id)
            {
                if let Some(e) = self.load(o.event_id) {
                    slot.insert(e.into_event());
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
            invitations: (!invitations.is_empty()).then(|| invitations.into_values().collect()),
        })
    }

    /// Free/busy (without titles) as `asker` asks for it: their own, or that of a user whose
    /// chosen audience includes them (`privacy`).
    pub fn free_busy(
        &self,
        asker: &Principal,
        req: &FreeBusyRequest,
    ) -> Result<Vec<BusyBlock>, Error> {
        self.may_see_busy(&req.user, asker)?;
        self.busy(&req.user, req.from_ns, req.to_ns)
    }

    /// Merged busy intervals of `user` within `[from_ns, to_ns)`.
    pub fn busy(
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
        // The invitations the user has not declined block their time too.
        let mut spans: Vec<(u64, u64)> =
            occurrences.iter().map(|o| (o.start_ns, o.end_ns)).collect();
        self.invitations()
            .busy_spans(user, from_ns, to_ns, &mut spans)?;
        if spans.len() > MAX_BUSY_OCCURRENCES as usize {
            return Err(Error::invalid(
                "to_ns",
                InputProblem::TooMany {
                    max: MAX_BUSY_OCCURRENCES.into(),
                    actual: spans.len() as u64,
                },
            ));
        }
        spans.sort_unstable();
        let mut blocks: Vec<BusyBlock> = Vec::new();
        for (start, end) in spans {
            let (start, end) = (start.max(from_ns), end.min(to_ns));
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
                    invited: None,
                };
                if !overlaps(start, end_ns, from, to) || !after(&o) {
                    continue;
                }
                let keep = match filter {
                    Filter::Busy => busy,
                    Filter::Readable { caller, owner } => {
                        caller == owner
                            || self
                                .load(id)
                                .is_some_and(|e| access::may_read(e.event(), &caller))
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
                Filter::Busy => blocks_time(event.event()),
                Filter::Readable { caller, .. } => access::may_read(event.event(), &caller),
            };
            if keep {
                series_occurrences(event.event(), None, from, to, cursor, want, &mut out)?;
            }
        }
        out.sort_by_key(key_of);
        let more = out.len() > limit as usize;
        out.truncate(limit as usize);
        Ok((out, more))
    }
}

/// Appends up to `want` occurrences of a recurring event after `cursor` (`invited` says how
/// the lister takes part when the event is an invitation).
pub(super) fn series_occurrences(
    event: &Event,
    invited: Option<Invited>,
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
                invited,
            };
            if cursor.is_some_and(|c| key_of(&o) <= c) || !overlaps(o.start_ns, o.end_ns, from, to)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{ctx, fixture, lesson, user, weekly, Fixture, DAY, HOUR, MONDAY};
    use interfaces::calendar::{EventInput, Transparency, Visibility};

    fn page(f: &Fixture, who: u8, owner: u8, cursor: Option<ListCursor>, limit: u32) -> EventPage {
        let req = ListRequest {
            owner: Some(user(owner)),
            from_ns: MONDAY,
            to_ns: MONDAY + 28 * DAY,
            cursor,
            limit: Some(limit),
            include_declined: None,
        };
        f.store.list(&ctx(user(who)), &req).unwrap()
    }

    fn busy(f: &Fixture, from: u64, to: u64) -> Result<Vec<(u64, u64)>, Error> {
        let req = FreeBusyRequest {
            user: user(1),
            from_ns: from,
            to_ns: to,
        };
        // Their own: whether others may see it is `privacy`'s concern.
        let blocks = f.store.free_busy(&user(1), &req)?;
        Ok(blocks
            .iter()
            .map(|b| ((b.start_ns - MONDAY) / HOUR, (b.end_ns - MONDAY) / HOUR))
            .collect())
    }

    fn create(f: &mut Fixture, input: EventInput) -> Event {
        f.store.create(&ctx(user(1)), input).unwrap()
    }

    #[test]
    fn pages_walk_one_offs_and_series_in_order_without_gaps_or_repeats() {
        let mut f = fixture();
        let mut all = Vec::new();
        for i in 0..10 {
            let long =
                EventInput::timed("Trip", MONDAY + i * DAY, MONDAY + i * DAY + 3 * DAY, "UTC");
            all.push(
                create(
                    &mut f,
                    if i % 2 == 0 {
                        lesson(MONDAY + i * DAY)
                    } else {
                        long
                    },
                )
                .id,
            );
        }
        let series = create(&mut f, weekly(MONDAY, 3));
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let p = page(&f, 1, 1, cursor, 4);
            assert!(p.occurrences.len() <= 4);
            seen.extend(p.occurrences.iter().map(key_of));
            match p.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 13, "ten one-offs and three instances");
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order, no repeats");
        assert_eq!(seen.iter().filter(|k| k.event_id == series.id).count(), 3);
    }

    #[test]
    fn a_listing_of_someone_elses_calendar_shows_what_the_caller_may_read() {
        let mut f = fixture();
        let private = create(&mut f, lesson(MONDAY));
        let mut public = lesson(MONDAY + HOUR);
        public.visibility = Some(Visibility::Public);
        let public = create(&mut f, public);
        let mut invited = weekly(MONDAY + 2 * HOUR, 2);
        invited.attendees = Some(vec![user(2)]);
        let invited = create(&mut f, invited);
        let ids = |who| -> Vec<u64> {
            page(&f, who, 1, None, 100)
                .events
                .iter()
                .map(|e| e.id)
                .collect()
        };
        assert_eq!(ids(1), [private.id, public.id, invited.id]);
        assert_eq!(ids(2), [public.id, invited.id]);
        assert_eq!(ids(3), [public.id]);
    }

    #[test]
    fn busy_time_merges_blocks_clips_to_the_range_and_skips_free_events() {
        let mut f = fixture();
        create(&mut f, lesson(MONDAY));
        create(
            &mut f,
            EventInput::timed("Overlap", MONDAY + HOUR / 2, MONDAY + 2 * HOUR, "UTC"),
        );
        let mut free = lesson(MONDAY + 5 * HOUR);
        free.transparency = Some(Transparency::Transparent);
        create(&mut f, free);
        create(
            &mut f,
            EventInput::timed("Long", MONDAY + 6 * HOUR, MONDAY + 3 * DAY, "UTC"),
        );
        assert_eq!(busy(&f, MONDAY, MONDAY + DAY), Ok(vec![(0, 2), (6, 24)]));
        // A block that started long before the window is still found.
        assert_eq!(
            busy(&f, MONDAY + 2 * DAY, MONDAY + 4 * DAY),
            Ok(vec![(48, 72)])
        );
        assert!(busy(&f, MONDAY, MONDAY).is_err());
        assert!(busy(&f, MONDAY, MONDAY + MAX_RANGE_NS + 1).is_err());
        let req = FreeBusyRequest {
            user: user(1),
            from_ns: MONDAY,
            to_ns: MONDAY + DAY,
        };
        assert_eq!(
            f.store.free_busy(&candid::Principal::anonymous(), &req),
            Err(Error::AnonymousCaller)
        );
    }

    #[test]
    fn an_instant_overlaps_only_from_inside() {
        assert!(overlaps(5, 5, 5, 6));
        assert!(!overlaps(6, 6, 5, 6));
        assert!(overlaps(4, 6, 5, 6));
        assert!(!overlaps(4, 5, 5, 6), "ranges are end exclusive");
    }
}
