//! Install and upgrade, one path for both. First the stored data is brought to this code's
//! layout (`layout.rs`). Accounts, the outbox and deletions are in stable structures, so nothing
//! else is restored here; timers do not survive an upgrade, so the jobs are
//! armed again (and the outbox runs at once for what was queued before the upgrade).

use interfaces::security::MemberInit;

use crate::{jobs, memory, state, KIND};

canister_kit::install_and_upgrade!(Option<interfaces::security::MemberInit>, installed);

fn installed(args: Option<MemberInit>) {
    crate::prepare_codec();
    // The stored data first (a trap here undoes the upgrade).
    state::migrate_layout();
    canister_kit::lifecycle::member_installed(KIND, memory::membership(), args, jobs::arm);
}
