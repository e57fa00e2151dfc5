//! The canister's state (`canister_kit::tracked_data_state!`): the store, its data version
//! and the backup snapshots, reached only through `read` and `mutate`; `migrate_layout`; and
//! `Backup`, the backup protocol's view of them. After a restore the firing timer is re-armed
//! for the restored queue.

use crate::store::Store;

canister_kit::tracked_data_state!(Store, restored: crate::jobs::rearm);
