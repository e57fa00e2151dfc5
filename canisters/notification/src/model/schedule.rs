//! An event's schedule as stored: this canister's own record in the binary layout of
//! `codec.rs`. The recurrence code reads the wire `Schedule`, so a stored schedule converts to
//! one where a window is refilled ([`From`] both ways); the bytes are the ones layout 1 wrote
//! when the wire value itself sat in memory (the tests pin them). A recurrence with RDATEs is
//! written with its own tag (2, layout 2 of `layout.rs`), so every record without them keeps the
//! bytes layout 1 wrote.

use std::borrow::Cow;

use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;
use interfaces::calendar::{
    Date, EventTime, InstanceChange, InstanceOverride, Recurrence, Schedule,
};

use super::LAYOUT_V1;
use crate::codec::{Reader, Writer};

/// An event's time, zone, recurrence and changed instances, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSchedule {
    pub time: StoredTime,
    pub time_zone: String,
    pub recurrence: Option<StoredRecurrence>,
    pub overrides: Vec<StoredOverride>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredTime {
    Timed { start_ns: u64, end_ns: u64 },
    AllDay { start: StoredDate, end: StoredDate },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredDate {
    pub year: i16,
    pub month: u8,
    pub day: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecurrence {
    pub rule: String,
    pub exdates_ns: Vec<u64>,
    /// Extra instances' starts (RFC 5545 RDATE); empty for most series.
    pub rdates_ns: Vec<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredOverride {
    pub original_start_ns: u64,
    /// `None`: the instance is cancelled; otherwise where it moved (start, end).
    pub moved_to: Option<(u64, u64)>,
}

fn write_date(w: &mut Writer, d: &StoredDate) {
    // The year as its 16 bits, widened: what layout 1 wrote.
    w.u32(d.year as u16 as u32).u8(d.month).u8(d.day);
}

fn read_date(r: &mut Reader) -> StoredDate {
    StoredDate {
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
        let mut w = Writer::new(LAYOUT_V1);
        match self.time {
            StoredTime::Timed { start_ns, end_ns } => {
                w.u8(0).u64(start_ns).u64(end_ns);
            }
            StoredTime::AllDay { start, end } => {
                w.u8(1);
                write_date(&mut w, &start);
                write_date(&mut w, &end);
            }
        }
        w.text(&self.time_zone);
        match &self.recurrence {
            None => {
                w.u8(0);
            }
            Some(StoredRecurrence {
                rule,
                exdates_ns,
                rdates_ns,
            }) => {
                // Tag 1 (layout 1's bytes) unless there are RDATEs, which follow under tag 2.
                let tag = if rdates_ns.is_empty() { 1 } else { 2 };
                w.u8(tag).text(rule).len(exdates_ns.len());
                for x in exdates_ns {
                    w.u64(*x);
                }
                if tag == 2 {
                    w.len(rdates_ns.len());
                    for x in rdates_ns {
                        w.u64(*x);
                    }
                }
            }
        }
        w.len(self.overrides.len());
        for o in &self.overrides {
            w.u64(o.original_start_ns);
            match o.moved_to {
                Some((start_ns, end_ns)) => {
                    w.u8(0).u64(start_ns).u64(end_ns);
                }
                None => {
                    w.u8(1);
                }
            }
        }
        w.finish()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        let mut r = Reader::new(&bytes, "schedule", LAYOUT_V1);
        let time = match r.u8() {
            0 => StoredTime::Timed {
                start_ns: r.u64(),
                end_ns: r.u64(),
            },
            _ => StoredTime::AllDay {
                start: read_date(&mut r),
                end: read_date(&mut r),
            },
        };
        let time_zone = r.text();
        let recurrence = match r.u8() {
            0 => None,
            tag @ (1 | 2) => Some(StoredRecurrence {
                rule: r.text(),
                exdates_ns: r.list(|r| r.u64()),
                rdates_ns: if tag == 2 {
                    r.list(|r| r.u64())
                } else {
                    Vec::new()
                },
            }),
            tag => r.corrupt(&format!("recurrence tag {tag}")),
        };
        let overrides = r.list(|r| StoredOverride {
            original_start_ns: r.u64(),
            moved_to: match r.u8() {
                0 => Some((r.u64(), r.u64())),
                _ => None,
            },
        });
        r.end();
        StoredSchedule {
            time,
            time_zone,
            recurrence,
            overrides,
        }
    }
}

// ---- the boundary to the wire `Schedule` (what the calendar sends, what `recurrence` reads) ---

impl From<Date> for StoredDate {
    fn from(Date { year, month, day }: Date) -> Self {
        StoredDate { year, month, day }
    }
}

impl From<StoredDate> for Date {
    fn from(StoredDate { year, month, day }: StoredDate) -> Self {
        Date { year, month, day }
    }
}

/// Every field is destructured, so a field added to the wire [`Schedule`] fails to compile
/// here until the stored record (and its layout version) follows.
impl From<Schedule> for StoredSchedule {
    fn from(s: Schedule) -> Self {
        let Schedule {
            time,
            time_zone,
            recurrence,
            overrides,
        } = s;
        StoredSchedule {
            time: match time {
                EventTime::Timed { start_ns, end_ns } => StoredTime::Timed { start_ns, end_ns },
                EventTime::AllDay { start, end } => StoredTime::AllDay {
                    start: start.into(),
                    end: end.into(),
                },
            },
            time_zone,
            recurrence: recurrence.map(
                |Recurrence {
                     rule,
                     exdates_ns,
                     rdates_ns,
                 }| StoredRecurrence {
                    rule,
                    exdates_ns,
                    rdates_ns: rdates_ns.unwrap_or_default(),
                },
            ),
            overrides: overrides
                .into_iter()
                .map(
                    |InstanceOverride {
                         original_start_ns,
                         change,
                     }| StoredOverride {
                        original_start_ns,
                        moved_to: match change {
                            InstanceChange::Moved { start_ns, end_ns } => Some((start_ns, end_ns)),
                            InstanceChange::Cancelled => None,
                        },
                    },
                )
                .collect(),
        }
    }
}

impl From<StoredSchedule> for Schedule {
    fn from(s: StoredSchedule) -> Self {
        Schedule {
            time: match s.time {
                StoredTime::Timed { start_ns, end_ns } => EventTime::Timed { start_ns, end_ns },
                StoredTime::AllDay { start, end } => EventTime::AllDay {
                    start: start.into(),
                    end: end.into(),
                },
            },
            time_zone: s.time_zone,
            recurrence: s.recurrence.map(|r| Recurrence {
                rule: r.rule,
                exdates_ns: r.exdates_ns,
                // As the calendar sends them: absent when there are none.
                rdates_ns: (!r.rdates_ns.is_empty()).then_some(r.rdates_ns),
            }),
            overrides: s
                .overrides
                .into_iter()
                .map(|o| InstanceOverride {
                    original_start_ns: o.original_start_ns,
                    change: match o.moved_to {
                        Some((start_ns, end_ns)) => InstanceChange::Moved { start_ns, end_ns },
                        None => InstanceChange::Cancelled,
                    },
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests_support::unhex;

    /// A timed weekly series with an exception date, one moved and one cancelled instance.
    fn series() -> Schedule {
        Schedule {
            time: EventTime::Timed {
                start_ns: 1_000,
                end_ns: 2_000,
            },
            time_zone: "Europe/Berlin".into(),
            recurrence: Some(Recurrence {
                rule: "FREQ=WEEKLY;COUNT=3".into(),
                exdates_ns: vec![1_604_800],
                rdates_ns: None,
            }),
            overrides: vec![
                InstanceOverride {
                    original_start_ns: 605_800,
                    change: InstanceChange::Moved {
                        start_ns: 700_000,
                        end_ns: 701_000,
                    },
                },
                InstanceOverride {
                    original_start_ns: 1_210_600,
                    change: InstanceChange::Cancelled,
                },
            ],
        }
    }

    /// A one-off all-day event (a negative year too: the year is stored as its 16 bits).
    fn all_day() -> Schedule {
        Schedule {
            time: EventTime::AllDay {
                start: Date {
                    year: 2026,
                    month: 3,
                    day: 2,
                },
                end: Date {
                    year: -1,
                    month: 12,
                    day: 31,
                },
            },
            time_zone: "UTC".into(),
            recurrence: None,
            overrides: vec![],
        }
    }

    /// The bytes layout 1 wrote for [`series`] and [`all_day`] when the stored value was the
    /// wire `Schedule` (layout byte, then the fields as `codec.rs` writes them).
    const SERIES_V1: &str = "0100e803000000000000d0070000000000000d0000004575726f70652f426572\
        6c696e0113000000465245513d5745454b4c593b434f554e543d3301000000c07c18000000000002000000\
        683e0900000000000060ae0a000000000048b20a0000000000e87812000000000001";
    const ALL_DAY_V1: &str = "0101ea0700000302ffff00000c1f030000005554430000000000";

    #[test]
    fn rdates_are_kept_under_their_own_tag_and_read_back() {
        let mut wire = series();
        wire.recurrence.as_mut().unwrap().rdates_ns = Some(vec![9_000_000, 9_604_800]);
        let bytes = StoredSchedule::from(wire.clone()).into_bytes();
        let plain = StoredSchedule::from(series()).into_bytes();
        // The same record with tag 2 and the RDATE list after the exception dates. The tag
        // follows the layout byte, the time (1 + 8 + 8) and the zone (4 + 13).
        let tag_at = 1 + 17 + 4 + "Europe/Berlin".len();
        assert_eq!(plain, unhex(SERIES_V1));
        assert_eq!(plain[tag_at], 1);
        assert_eq!(bytes[tag_at], 2);
        assert_eq!(bytes.len(), plain.len() + 4 + 2 * 8);
        let own = StoredSchedule::from_bytes(Cow::Borrowed(&bytes));
        assert_eq!(
            own.recurrence.as_ref().unwrap().rdates_ns,
            vec![9_000_000, 9_604_800]
        );
        assert_eq!(Schedule::from(own), wire, "the wire value back");
    }

    #[test]
    fn the_bytes_layout_1_wrote_read_as_the_own_record_and_back() {
        for (wire, hex) in [(series(), SERIES_V1), (all_day(), ALL_DAY_V1)] {
            let bytes = unhex(hex);
            let own = StoredSchedule::from_bytes(Cow::Borrowed(&bytes));
            assert_eq!(own, StoredSchedule::from(wire.clone()));
            assert_eq!(own.clone().into_bytes(), bytes, "the same bytes back");
            assert_eq!(Schedule::from(own), wire, "the wire value back");
        }
    }
}
