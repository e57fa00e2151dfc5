//! Install and upgrade, one path for both. First the stored data is brought to this code's
//! layout (`layout.rs`; a trap here undoes the upgrade). Events live in stable structures, so
//! there is nothing to restore; timers do not survive an upgrade, so they are armed again here,
//! and whatever reminder updates were waiting in the outbox are sent again.

use interfaces::calendar::{
    BookingPolicy, BusyBlock, CalendarConfig, CalendarMetrics, DeletedData, Event, EventPage,
    IcsImportReport, IcsPage, Slot, SplitOutcome,
};
use interfaces::security::MemberInit;
use interfaces::{Error, HealthReport};

use crate::{jobs, layout, memory, state, KIND};

canister_kit::install_and_upgrade!(Option<interfaces::security::MemberInit>, installed);

fn installed(args: Option<MemberInit>) {
    migrate_layout();
    canister_kit::lifecycle::member_installed(KIND, memory::membership(), args, jobs::arm);
    prepare_replies();
}

/// Builds the reply headers of every endpoint in `lib.rs` now (the kit's macro-declared backup
/// and group endpoints encode as ic-cdk does): queries cannot keep what they build, so a
/// header first built in a query would be built again in each one (`canister_kit::codec::prepare`).
fn prepare_replies() {
    use canister_kit::codec::prepare;
    prepare::<Result<Event, Error>>();
    prepare::<Result<(), Error>>();
    prepare::<Result<EventPage, Error>>();
    prepare::<Result<Vec<BusyBlock>, Error>>();
    prepare::<Option<BookingPolicy>>();
    prepare::<Result<Vec<Slot>, Error>>();
    prepare::<Result<IcsPage, Error>>();
    prepare::<Result<IcsImportReport, Error>>();
    prepare::<Result<SplitOutcome, Error>>();
    prepare::<HealthReport>();
    prepare::<CalendarMetrics>();
    prepare::<Option<String>>();
    prepare::<CalendarConfig>();
    prepare::<Result<DeletedData, Error>>();
}

/// Runs `layout::migrate`; data this code cannot read stops the message (and undoes it).
pub fn migrate_layout() {
    if let Err(reason) = state::mutate(layout::migrate) {
        ic_cdk::trap(reason);
    }
}
