//! Typed calls to the suite's canisters over an agent: Candid arguments in, Candid results out,
//! errors as text naming the method (what a script prints). The management canister has its
//! own helper in [`crate::manage`] because it needs an effective canister id.

use candid::utils::{ArgumentDecoder, ArgumentEncoder};
use candid::Principal;
use ic_agent::Agent;

/// An update call, waiting for its certified reply.
pub async fn update<A: ArgumentEncoder, R: for<'a> ArgumentDecoder<'a>>(
    agent: &Agent,
    canister: Principal,
    method: &str,
    args: A,
) -> Result<R, String> {
    let bytes = agent
        .update(&canister, method)
        .with_arg(candid::encode_args(args).map_err(|e| e.to_string())?)
        .call_and_wait()
        .await
        .map_err(|e| format!("{method}: {e}"))?;
    candid::decode_args(&bytes).map_err(|e| format!("{method} reply: {e}"))
}

/// A query call; the agent checks the replica's signature on the reply.
pub async fn query<A: ArgumentEncoder, R: for<'a> ArgumentDecoder<'a>>(
    agent: &Agent,
    canister: Principal,
    method: &str,
    args: A,
) -> Result<R, String> {
    let bytes = agent
        .query(&canister, method)
        .with_arg(candid::encode_args(args).map_err(|e| e.to_string())?)
        .call()
        .await
        .map_err(|e| format!("{method}: {e}"))?;
    candid::decode_args(&bytes).map_err(|e| format!("{method} reply: {e}"))
}
