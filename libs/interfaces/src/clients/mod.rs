//! Typed clients for the suite's inter-canister calls, one module per callee.
//!
//! Each function names the method once, encodes its arguments, and decodes the reply into the
//! callee's own result type; a call that fails on the way (rejected, timed out, undecodable)
//! becomes [`Error::Unavailable`] with the reason, so callers handle one error type.

pub mod backup;
pub mod calendar;
pub mod load_balancer;
pub mod member;
pub mod notification;
pub mod registry;
pub mod snapshot;

use candid::utils::{ArgumentDecoder, ArgumentEncoder};
use candid::Principal;
use ic_cdk::call::Call;

use crate::Error;

/// Bounded-wait call (health checks, best-effort pushes): the caller may get "unknown" back,
/// which is fine where a retry or the next pull covers it.
async fn call_bounded<A, R>(target: Principal, method: &str, args: &A) -> Result<R, Error>
where
    A: ArgumentEncoder,
    R: for<'a> ArgumentDecoder<'a>,
{
    let response = Call::bounded_wait(target, method)
        .with_args(args)
        .await
        .map_err(|e| unavailable(target, method, e))?;
    response
        .candid_tuple::<R>()
        .map_err(|e| unavailable(target, method, e))
}

/// Unbounded-wait call, for calls whose effect must not be lost (scheduling reminders, deleting
/// a user's data): the caller always learns whether the callee ran the method, never "unknown",
/// so a retry from the caller's outbox is needed only when it really failed.
async fn call_unbounded<A, R>(target: Principal, method: &str, args: &A) -> Result<R, Error>
where
    A: ArgumentEncoder,
    R: for<'a> ArgumentDecoder<'a>,
{
    let response = Call::unbounded_wait(target, method)
        .with_args(args)
        .await
        .map_err(|e| unavailable(target, method, e))?;
    response
        .candid_tuple::<R>()
        .map_err(|e| unavailable(target, method, e))
}

fn unavailable(target: Principal, method: &str, e: impl std::fmt::Display) -> Error {
    Error::Unavailable {
        reason: format!("call to {target}.{method} failed: {e}"),
    }
}
