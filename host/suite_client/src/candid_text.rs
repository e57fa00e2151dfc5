//! Calls with Candid text in and out, like `dfx canister call` / `icp canister call`. The
//! canister's interface comes from its certified `candid:service` metadata (or a `.did` file),
//! so arguments are encoded with the method's real types (`5` becomes a `nat64` where the
//! method wants one) and replies print with field names instead of hashes. Without an interface
//! the text is encoded and decoded untyped.

use candid::types::{Type, TypeEnv};
use candid::{IDLArgs, Principal};
use candid_parser::utils::CandidSource;
use ic_agent::Agent;

/// A method's argument and result types within their environment.
pub struct Signature {
    pub env: TypeEnv,
    pub args: Vec<Type>,
    pub rets: Vec<Type>,
    pub query: bool,
}

/// Looks `method` up in a service description (`.did` text).
pub fn signature(did: &str, method: &str) -> Result<Signature, String> {
    let (env, service) = CandidSource::Text(did)
        .load()
        .map_err(|e| format!("cannot parse the interface: {e}"))?;
    let service = service.ok_or("the interface has no service")?;
    let func = env
        .get_method(&service, method)
        .map_err(|e| format!("{method}: {e}"))?
        .clone();
    Ok(Signature {
        query: func.is_query(),
        args: func.args,
        rets: func.rets,
        env,
    })
}

/// The canister's `candid:service` metadata, read (certified) through the agent.
pub async fn interface(agent: &Agent, canister: Principal) -> Result<String, String> {
    let bytes = agent
        .read_state_canister_metadata(canister, "candid:service")
        .await
        .map_err(|e| format!("cannot read candid:service of {canister}: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("candid:service is not UTF-8: {e}"))
}

pub fn encode(text: &str, sig: Option<&Signature>) -> Result<Vec<u8>, String> {
    let text = if text.trim().is_empty() { "()" } else { text };
    let args =
        candid_parser::parse_idl_args(text).map_err(|e| format!("bad Candid argument: {e}"))?;
    match sig {
        Some(s) => args.to_bytes_with_types(&s.env, &s.args),
        None => args.to_bytes(),
    }
    .map_err(|e| format!("argument does not fit the method: {e}"))
}

pub fn decode(bytes: &[u8], sig: Option<&Signature>) -> Result<IDLArgs, String> {
    match sig {
        Some(s) => IDLArgs::from_bytes_with_types(bytes, &s.env, &s.rets),
        None => IDLArgs::from_bytes(bytes),
    }
    .map_err(|e| format!("cannot decode the reply: {e}"))
}

/// Calls `method` with Candid `text`: as a query when `query` (or when the interface says the
/// method is one and `query` is `None`), as an update otherwise. Returns the reply as text.
pub async fn call(
    agent: &Agent,
    canister: Principal,
    method: &str,
    text: &str,
    did: Option<&str>,
    query: Option<bool>,
) -> Result<String, String> {
    let fetched;
    let did = match did {
        Some(d) => Some(d),
        None => {
            fetched = interface(agent, canister).await.ok();
            fetched.as_deref()
        }
    };
    let sig = did.map(|d| signature(d, method)).transpose()?;
    let arg = encode(text, sig.as_ref())?;
    let as_query = query.unwrap_or_else(|| sig.as_ref().is_some_and(|s| s.query));
    let reply = if as_query {
        agent.query(&canister, method).with_arg(arg).call().await
    } else {
        agent
            .update(&canister, method)
            .with_arg(arg)
            .call_and_wait()
            .await
    }
    .map_err(|e| format!("{method}: {e}"))?;
    Ok(decode(&reply, sig.as_ref())?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DID: &str = "type R = record { name : text; n : nat64 };
        service : { get : (nat64) -> (R) query; put : (text) -> () }";

    #[test]
    fn arguments_are_typed_by_the_interface_and_replies_keep_field_names() {
        let sig = signature(DID, "get").unwrap();
        assert!(sig.query);
        let bytes = encode("(5)", Some(&sig)).unwrap();
        let (n,): (u64,) = candid::decode_args(&bytes).unwrap();
        assert_eq!(n, 5);

        #[derive(candid::CandidType)]
        struct R {
            name: String,
            n: u64,
        }
        let reply = candid::encode_one(R {
            name: "x".into(),
            n: 7,
        })
        .unwrap();
        let text = decode(&reply, Some(&sig)).unwrap().to_string();
        assert!(text.contains("name = \"x\""), "{text}");
        assert!(!signature(DID, "put").unwrap().query);
        assert!(signature(DID, "nope").is_err());
    }
}
