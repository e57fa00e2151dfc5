//! What an imported iCalendar event says beyond the calendar's event model, kept so export
//! writes it again: content lines as the file wrote them (unfolded), for the master and per
//! changed instance. In postcard, in its own stable map keyed by event id (`MemoryId` 14),
//! because most events have none: the hot `EventRecord` path reads and writes nothing more.
//!
//! Kept this way: `RDATE`, `ORGANIZER`, e-mail attendees (with `CN` and `PARTSTAT`), `URL`,
//! `CATEGORIES`, `GEO`, `ATTACH`, unknown and `X-` properties, alarms other than a plain display
//! reminder (e-mail, audio, repeated, absolute), other nested components, and a changed
//! instance's own title, description, location, attendees or status.

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct IcsExtras {
    /// The master `VEVENT`'s lines the model does not hold, in file order (a nested component
    /// as its `BEGIN:`..`END:` lines).
    pub lines: Vec<String>,
    /// Per changed instance, by its original start (`InstanceOverride::original_start_ns`):
    /// its lines beyond its times and cancellation.
    pub instances: Vec<(u64, Vec<String>)>,
    /// The file had no `SUMMARY`: the stored title is a placeholder that export leaves out.
    pub no_summary: bool,
}

impl IcsExtras {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.instances.is_empty() && !self.no_summary
    }

    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("extras always encode")
    }

    /// Reads what [`Self::encode`] wrote. Only this canister wrote these bytes, so a failure
    /// means corrupt memory: trapping (undoing the message) is safer than going on.
    pub fn decode(bytes: &[u8]) -> Self {
        postcard::from_bytes(bytes).expect("stored iCalendar extras decode")
    }

    /// The lines kept for the instance that originally started at `original_start_ns`.
    pub fn instance(&self, original_start_ns: u64) -> &[String] {
        self.instances
            .iter()
            .find(|(at, _)| *at == original_start_ns)
            .map_or(&[], |(_, lines)| lines.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extras_round_trip_through_their_bytes() {
        let extras = IcsExtras {
            lines: vec!["URL:https://example.com".into()],
            instances: vec![(5, vec!["SUMMARY:moved".into()])],
            no_summary: true,
        };
        assert_eq!(IcsExtras::decode(&extras.encode()), extras);
        assert_eq!(extras.instance(5), ["SUMMARY:moved".to_string()]);
        assert!(extras.instance(6).is_empty());
        assert!(IcsExtras::default().is_empty());
    }
}
