//! How the endpoints of `lib.rs` run: the context they hand to the logic, and the wrappers
//! that rate limit user writes, check group members' keys, and record every call's outcome
//! (per-method metrics, health) before the outboxes are flushed.

use std::cell::Cell;

use candid::Principal;
use canister_kit::auth::caller;
use ic_cdk::api::{canister_self, performance_counter, time};
use interfaces::{CanisterKind, Error};

use crate::store::Ctx;
use crate::{jobs, metrics, state};

thread_local! {
    /// This canister's id, read once at install or upgrade ([`remember_self`]): it never
    /// changes, and reading it from the system costs two system calls on every call.
    static SELF: Cell<Option<Principal>> = const { Cell::new(None) };
}

/// Keeps this canister's id for [`ctx`].
pub fn remember_self() {
    SELF.set(Some(canister_self()));
}

pub fn ctx() -> Ctx {
    ctx_of(caller())
}

/// The context of a call whose caller was read already (each read is two system calls and a
/// copy).
fn ctx_of(caller: Principal) -> Ctx {
    Ctx {
        caller,
        now_ns: time(),
        shard: SELF.get().unwrap_or_else(canister_self),
    }
}

/// Runs a user write: rate limit, the change, then health and per-method metrics.
pub fn write<T>(
    method: &'static str,
    f: impl FnOnce(&Ctx) -> Result<T, Error>,
) -> Result<T, Error> {
    write_as(ctx(), method, f)
}

fn write_as<T>(
    ctx: Ctx,
    method: &'static str,
    f: impl FnOnce(&Ctx) -> Result<T, Error>,
) -> Result<T, Error> {
    let charged = canister_kit::codec::profile::span("rate limit", || {
        state::charge_write(ctx.caller, ctx.now_ns)
    });
    let result = charged.and_then(|()| f(&ctx));
    finish(method, result)
}

/// [`write`] for what only users may do: an anonymous caller is refused first, before the rate
/// limit and before anything else is read.
pub fn user_write<T>(
    method: &'static str,
    f: impl FnOnce(&Ctx) -> Result<T, Error>,
) -> Result<T, Error> {
    let caller = caller();
    match crate::access::require_user(&caller) {
        Ok(()) => write_as(ctx_of(caller), method, f),
        Err(refused) => finish(method, Err(refused)),
    }
}

pub fn finish<T>(method: &'static str, result: Result<T, Error>) -> Result<T, Error> {
    canister_kit::codec::profile::span("bookkeeping", || {
        metrics::record(method, result.is_ok(), performance_counter(0));
        let result = canister_health::track(result);
        // A refused call changed nothing, so it queued nothing to send (what is pending goes
        // with the next change or the next timer tick).
        if result.is_ok() {
            jobs::flush_soon();
        }
        result
    })
}

/// Runs a call from another member of the group, of one of `kinds`, holding its access key.
pub fn member_call<T>(
    method: &'static str,
    key: &[u8],
    kinds: &[CanisterKind],
    f: impl FnOnce(&Ctx) -> Result<T, Error>,
) -> Result<T, Error> {
    let ctx = ctx();
    let result =
        canister_kit::auth::require_member_of(ctx.caller, key, kinds).and_then(|_| f(&ctx));
    finish(method, result)
}
