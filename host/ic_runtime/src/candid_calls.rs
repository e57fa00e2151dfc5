//! The candid helpers: encode arguments, make the call, decode the reply. Generic over `IcEnv`
//! so they work for `PocketIc`, real PocketIC and `&dyn IcEnv` alike.

use candid::utils::{ArgumentDecoder, ArgumentEncoder};
use candid::{decode_args, encode_args, Principal};

use crate::env::IcEnv;
use crate::errors::RejectResponse;
use crate::types::CanisterId;

pub fn with_candid<Input, Output>(
    input: Input,
    f: impl FnOnce(Vec<u8>) -> Result<Vec<u8>, RejectResponse>,
) -> Result<Output, RejectResponse>
where
    Input: ArgumentEncoder,
    Output: for<'a> ArgumentDecoder<'a>,
{
    let bytes = encode_args(input).expect("failed to encode args");
    f(bytes).map(|out| {
        decode_args(&out).unwrap_or_else(|e| {
            panic!(
                "Failed to decode response as candid type {}: {e}",
                std::any::type_name::<Output>()
            )
        })
    })
}

pub fn update_candid<E, Input, Output>(
    env: &E,
    canister_id: CanisterId,
    method: &str,
    input: Input,
) -> Result<Output, RejectResponse>
where
    E: IcEnv + ?Sized,
    Input: ArgumentEncoder,
    Output: for<'a> ArgumentDecoder<'a>,
{
    update_candid_as(env, canister_id, Principal::anonymous(), method, input)
}

pub fn update_candid_as<E, Input, Output>(
    env: &E,
    canister_id: CanisterId,
    sender: Principal,
    method: &str,
    input: Input,
) -> Result<Output, RejectResponse>
where
    E: IcEnv + ?Sized,
    Input: ArgumentEncoder,
    Output: for<'a> ArgumentDecoder<'a>,
{
    with_candid(input, |bytes| {
        env.update_call(canister_id, sender, method, bytes)
    })
}

pub fn query_candid<E, Input, Output>(
    env: &E,
    canister_id: CanisterId,
    method: &str,
    input: Input,
) -> Result<Output, RejectResponse>
where
    E: IcEnv + ?Sized,
    Input: ArgumentEncoder,
    Output: for<'a> ArgumentDecoder<'a>,
{
    query_candid_as(env, canister_id, Principal::anonymous(), method, input)
}

pub fn query_candid_as<E, Input, Output>(
    env: &E,
    canister_id: CanisterId,
    sender: Principal,
    method: &str,
    input: Input,
) -> Result<Output, RejectResponse>
where
    E: IcEnv + ?Sized,
    Input: ArgumentEncoder,
    Output: for<'a> ArgumentDecoder<'a>,
{
    with_candid(input, |bytes| {
        env.query_call(canister_id, sender, method, bytes)
    })
}
