//! Install and upgrade, one path for both. First the stored data is brought to this code's
//! layout (`layout.rs`). Every reminder, notification and alert is in stable
//! structures, so nothing is restored here; timers do not survive an upgrade, so they are armed
//! again, and whatever came due during the upgrade fires on the first tick.

use interfaces::security::MemberInit;

use crate::{jobs, memory, state, KIND};

canister_kit::install_and_upgrade!(Option<interfaces::security::MemberInit>, installed);

fn installed(args: Option<MemberInit>) {
    // The stored data first (a trap here undoes the upgrade).
    state::migrate_layout();
    crate::prepare_codec();
    canister_kit::lifecycle::member_installed(KIND, memory::membership(), args, jobs::arm_all);
}
