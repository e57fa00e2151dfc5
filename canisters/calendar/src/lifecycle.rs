//! Install and upgrade, one path for both. First the stored data is brought to this code's
//! layout (`layout.rs`; a trap here undoes the upgrade). Events live in stable structures, so
//! there is nothing to restore; timers do not survive an upgrade, so they are armed again here,
//! and whatever reminder updates were waiting in the outbox are sent again.

use interfaces::security::MemberInit;

use crate::{jobs, layout, memory, state, KIND};

canister_kit::install_and_upgrade!(Option<interfaces::security::MemberInit>, installed);

fn installed(args: Option<MemberInit>) {
    migrate_layout();
    canister_kit::lifecycle::member_installed(KIND, memory::membership(), args, jobs::arm);
    crate::prepare_codec();
}

/// Runs `layout::migrate`; data this code cannot read stops the message (and undoes it).
pub fn migrate_layout() {
    if let Err(reason) = state::mutate(layout::migrate) {
        ic_cdk::trap(reason);
    }
}
