//! Install and upgrade, one path for both. First the stored layout is checked (`layout.rs`).
//! Assignments, shards and configuration are in stable
//! structures, so nothing is restored here; timers do not survive an upgrade, so the health
//! timer is armed again (a scale-out cut short resumes on its first round).

use interfaces::security::MemberInit;

use crate::{jobs, memory, state, KIND};

canister_kit::install_and_upgrade!(Option<interfaces::security::MemberInit>, installed);

fn installed(args: Option<MemberInit>) {
    // The stored data first (a trap here undoes the upgrade).
    state::migrate_layout();
    crate::prepare_codec();
    canister_kit::lifecycle::member_installed(KIND, memory::membership(), args, jobs::arm);
}
