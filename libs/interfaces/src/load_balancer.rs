//! The load balancer's contract with the rest of the suite (`load_balancer.did`).
//!
//! The balancer is a directory: it assigns each user a calendar shard once (sticky) and answers
//! the same shard for that user afterwards. Two group-member methods are fixed here, both called
//! with the caller's own access key and accepted only from the user registry:
//!
//! ```candid
//! // The user's shard: assigned on first request, the same one afterwards.
//! assign_user : (blob, principal) -> (variant { Ok : principal; Err : Error });
//! // Account deletion: forget the user's assignment.
//! delete_user_data : (blob, principal) -> (variant { Ok : DeletedData; Err : Error });
//! ```
//!
//! Both must be idempotent: the user registry retries them from its outbox until it gets an
//! answer, so a call may arrive again after it succeeded. Typed clients are in
//! [`crate::clients::load_balancer`]; `DeletedData` is [`crate::calendar::DeletedData`].
