//! The invitations an attendee holds, as occurrences of their own calendar: what
//! `Store::list` merges with the attendee's own events, in the same order and pages.
//!
//! Cost follows the answer, as for the shard's own events: one-off invitations are read from
//! the time index per duration class from `from - class bound` (at most `want` per class), and
//! series whose last instance ended before the window are never read.

use std::collections::BTreeMap;

use candid::Principal;
use ic_stable_structures::Memory;
use interfaces::calendar::{EventId, Invited, ListCursor, Occurrence, Rsvp};
use interfaces::invitation::Invitation;
use interfaces::Error;

use super::super::window::{key_of, overlaps, series_occurrences};
use super::{event_of, Invitations};
use crate::keys::{self, TimeEntry};
use crate::validate::CLASS_BOUNDS_NS;

/// The held invitations a page refers to, by (organizer shard, event id).
pub type HeldByKey = BTreeMap<(Principal, EventId), Invitation>;

impl<M: Memory> Invitations<M> {
    /// Appends the occurrences of `attendee`'s invitations overlapping `[from, to)` after
    /// `cursor` (declined ones only when `include_declined`), and records the invitations they
    /// belong to in `held`. At most `want` per duration class and per series: the caller sorts
    /// and keeps the first page.
    pub fn window(
        &self,
        attendee: &Principal,
        (from, to, cursor): (u64, u64, Option<ListCursor>),
        want: usize,
        include_declined: bool,
        out: &mut Vec<Occurrence>,
        held: &mut HeldByKey,
    ) -> Result<(), Error> {
        let after = |o: &Occurrence| cursor.is_none_or(|c| key_of(o) > c);
        let floor = cursor.map_or(0, |c| c.start_ns);
        let (none, all) = (
            Principal::from_slice(&[]),
            Principal::from_slice(&[0xff; 29]),
        );
        // The invitation behind an index entry, if the listing shows it.
        let shown = |shard: &Principal, id: EventId| -> Option<Invitation> {
            let i = self
                .received
                .get(&keys::invitation_key(attendee, shard, id))?
                .0
                .invitation;
            (include_declined || !i.view.declined_all()).then_some(i)
        };
        for (class, bound) in CLASS_BOUNDS_NS.iter().enumerate() {
            let class = class as u8;
            let scan_from = from.saturating_sub(*bound).max(floor);
            if scan_from >= to {
                continue;
            }
            let range = keys::invitation_time_key(attendee, class, scan_from, &none, 0)
                ..keys::invitation_time_key(attendee, class, to, &none, 0);
            let mut taken = 0;
            for entry in self.by_time.range(range) {
                let (start, shard, id) = keys::invitation_time_key_parts(entry.key());
                let TimeEntry { end_ns, .. } = entry.value();
                if !overlaps(start, end_ns, from, to) {
                    continue;
                }
                let Some(invitation) = shown(&shard, id) else {
                    continue;
                };
                let o = Occurrence {
                    event_id: id,
                    original_start_ns: start,
                    start_ns: start,
                    end_ns,
                    overridden: false,
                    invited: Some(Invited {
                        organizer_shard: shard,
                        rsvp: invitation.view.rsvp,
                    }),
                };
                if !after(&o) {
                    continue;
                }
                out.push(o);
                held.insert((shard, id), invitation);
                taken += 1;
                if taken >= want {
                    break;
                }
            }
        }
        let series = keys::invitation_time_key(attendee, keys::SERIES_TAG, from, &none, 0)
            ..=keys::invitation_time_key(attendee, keys::SERIES_TAG, u64::MAX, &all, u64::MAX);
        for entry in self.by_time.range(series) {
            let (_, shard, id) = keys::invitation_time_key_parts(entry.key());
            let Some(invitation) = shown(&shard, id) else {
                continue;
            };
            let invited = Invited {
                organizer_shard: shard,
                rsvp: invitation.view.rsvp,
            };
            let view = &invitation.view;
            let before = out.len();
            // Occurrences declined one by one are left out after the walk: ask for as many
            // more as there are such answers, so `want` shown ones still come back.
            let declined = view
                .occurrence_rsvps
                .iter()
                .flatten()
                .filter(|a| a.rsvp == Rsvp::Declined)
                .count();
            series_occurrences(
                &event_of(&invitation),
                Some(invited),
                from,
                to,
                cursor,
                want + if include_declined { 0 } else { declined },
                out,
            )?;
            // Each occurrence says the answer given for it.
            let mut kept = before;
            for i in before..out.len() {
                let mut o = out[i];
                let rsvp = view.rsvp_at(o.original_start_ns);
                if !include_declined && rsvp == Rsvp::Declined {
                    continue;
                }
                if let Some(invited) = &mut o.invited {
                    invited.rsvp = rsvp;
                }
                out[kept] = o;
                kept += 1;
            }
            out.truncate(kept.min(before + want));
            if out.len() > before {
                held.insert((shard, id), invitation);
            }
        }
        Ok(())
    }
}
