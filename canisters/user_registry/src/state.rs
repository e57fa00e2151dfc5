//! The canister's state (`canister_kit::tracked_data_state!`): the accounts, their data
//! version and the backup snapshots, reached only through `read` and `mutate`;
//! `migrate_layout`; and `Backup`, the backup protocol's view of them. After a restore the
//! outbox runs for whatever the restored state has queued.

use crate::accounts::Accounts;

canister_kit::tracked_data_state!(Accounts, restored: crate::jobs::kick);
