//! The load balancer's contract with the rest of the suite (`load_balancer.did`).
//!
//! The balancer is a directory: it assigns each user a calendar shard once (sticky) and answers
//! the same shard for that user afterwards. Three group-member methods are fixed here, all called
//! with the caller's own access key; the first two are accepted only from the user registry:
//!
//! ```candid
//! // The user's shard: assigned on first request, the same one afterwards.
//! assign_user : (blob, principal) -> (variant { Ok : principal; Err : Error });
//! // Account deletion: forget the user's assignment.
//! delete_user_data : (blob, principal) -> (variant { Ok : DeletedData; Err : Error });
//! // After the backup canister restored a lost shard into a fresh one: move the lost shard's
//! // users to the restored one. Accepted only from the backup canister; answers users moved.
//! replace_shard : (blob, principal, principal) -> (variant { Ok : nat64; Err : Error });
//! ```
//!
//! All must be idempotent: their callers retry them until they get an answer, so a call may
//! arrive again after it succeeded. Typed clients are in
//! [`crate::clients::load_balancer`]; `DeletedData` is [`crate::calendar::DeletedData`].
