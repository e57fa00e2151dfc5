//! An event's schedule as stored, in the binary layout of `codec.rs`. The value in memory is the
//! wire `Schedule` (the recurrence code reads it as it is), but the bytes are this canister's
//! own: every field is written by hand, so a change to the wire type cannot change what is
//! stored without a compile error here.

use std::borrow::Cow;

use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;
use interfaces::calendar::{
    Date, EventTime, InstanceChange, InstanceOverride, Recurrence, Schedule,
};

use super::LAYOUT_V1;
use crate::codec::{Reader, Writer};

/// An event's schedule as stored. The fields are destructured exhaustively, so a field added
/// to [`Schedule`] fails to compile here until the layout (and its version) follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSchedule(pub Schedule);

fn write_date(w: &mut Writer, d: &Date) {
    let Date { year, month, day } = *d;
    w.u32(year as u16 as u32).u8(month).u8(day);
}

fn read_date(r: &mut Reader) -> Date {
    Date {
        year: r.u32() as u16 as i16,
        month: r.u8(),
        day: r.u8(),
    }
}

impl Storable for StoredSchedule {
    const BOUND: Bound = Bound::Unbounded;

    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone().into_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        let Schedule {
            time,
            time_zone,
            recurrence,
            overrides,
        } = &self.0;
        let mut w = Writer::new(LAYOUT_V1);
        match time {
            EventTime::Timed { start_ns, end_ns } => {
                w.u8(0).u64(*start_ns).u64(*end_ns);
            }
            EventTime::AllDay { start, end } => {
                w.u8(1);
                write_date(&mut w, start);
                write_date(&mut w, end);
            }
        }
        w.text(time_zone);
        match recurrence {
            None => {
                w.u8(0);
            }
            // RDATEs are not stored yet (that needs a layout step here): reminders follow the
            // rule's instances.
            Some(Recurrence {
                rule, exdates_ns, ..
            }) => {
                w.u8(1).text(rule).len(exdates_ns.len());
                for x in exdates_ns {
                    w.u64(*x);
                }
            }
        }
        w.len(overrides.len());
        for InstanceOverride {
            original_start_ns,
            change,
        } in overrides
        {
            w.u64(*original_start_ns);
            match change {
                InstanceChange::Moved { start_ns, end_ns } => {
                    w.u8(0).u64(*start_ns).u64(*end_ns);
                }
                InstanceChange::Cancelled => {
                    w.u8(1);
                }
            }
        }
        w.finish()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        let mut r = Reader::new(&bytes, "schedule", LAYOUT_V1);
        let time = match r.u8() {
            0 => EventTime::Timed {
                start_ns: r.u64(),
                end_ns: r.u64(),
            },
            _ => EventTime::AllDay {
                start: read_date(&mut r),
                end: read_date(&mut r),
            },
        };
        let time_zone = r.text();
        let recurrence = match r.u8() {
            0 => None,
            _ => Some(Recurrence {
                rule: r.text(),
                exdates_ns: r.list(|r| r.u64()),
                rdates_ns: None,
            }),
        };
        let overrides = r.list(|r| InstanceOverride {
            original_start_ns: r.u64(),
            change: match r.u8() {
                0 => InstanceChange::Moved {
                    start_ns: r.u64(),
                    end_ns: r.u64(),
                },
                _ => InstanceChange::Cancelled,
            },
        });
        r.end();
        StoredSchedule(Schedule {
            time,
            time_zone,
            recurrence,
            overrides,
        })
    }
}
