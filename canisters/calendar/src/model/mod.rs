//! Stored records: the calendar's own types, as they sit in stable memory.
//!
//! Each record type is kept apart from the wire types in `interfaces`, so a change to the
//! Candid interface never changes what is stored: the stored shape changes only with a new
//! layout version and a migration (`crate::layout`).

pub mod event;
pub mod ics_extras;
