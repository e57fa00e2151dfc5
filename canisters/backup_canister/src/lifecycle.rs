//! Install and upgrade, one path for both. First the stored data is brought to this code's
//! layout (`layout.rs`). Snapshots, chunks and bookkeeping are in stable
//! structures, so they survive as they are; a pull that was cut by the upgrade lost its
//! continuation and is marked failed; timers do not survive an upgrade, so the cycle timer is
//! armed again.

use ic_cdk::api::time;
use interfaces::security::MemberInit;

use crate::{jobs, memory, state, KIND};

canister_kit::install_and_upgrade!(Option<interfaces::security::MemberInit>, installed);

fn installed(args: Option<MemberInit>) {
    // The stored data first (a trap here undoes the upgrade).
    state::migrate_layout();
    crate::prepare_codec();
    canister_kit::lifecycle::member_installed(KIND, memory::membership(), args, || {
        state::mutate(|s| s.abandon_in_progress(time()));
        jobs::arm();
    });
}
