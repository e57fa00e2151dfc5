//! What the `icp` CLI needs from the network besides the canisters themselves, over HTTP with
//! ic-agent (which verifies every certificate and the canister ranges): the cycles ledger and
//! the cycles minting canister at their mainnet ids, certified for queries; canister creation,
//! transfers and top-ups paid from ledger balances that survive a restart; the management
//! canister's `fetch_canister_logs` as a query, honouring log visibility; and the
//! `canister_status` reply in the current schema, with the environment variables kept.

mod common;

use candid::{CandidType, Deserialize, Nat, Principal};
use common::*;
use ic_agent::identity::AnonymousIdentity;
use ic_agent::Agent;
use ic_runtime::management_types::{
    CanisterIdRecord, CanisterLogRecord, CanisterSettings, EnvironmentVariable,
    FetchCanisterLogsArgs, LogVisibility, UpdateSettingsArgs,
};
use local_network::cycles::{CREATION_FEE, CYCLES_LEDGER, CYCLES_MINTING_CANISTER, FEE};
use suite_client::manage::{self, Mode};

#[derive(CandidType, Deserialize, Clone, Debug)]
struct Account {
    owner: Principal,
    subaccount: Option<serde_bytes::ByteBuf>,
}

fn account(owner: Principal) -> Account {
    Account {
        owner,
        subaccount: None,
    }
}

#[derive(CandidType, Deserialize)]
struct TransferArg {
    from_subaccount: Option<serde_bytes::ByteBuf>,
    to: Account,
    amount: Nat,
    fee: Option<Nat>,
    memo: Option<serde_bytes::ByteBuf>,
    created_at_time: Option<u64>,
}

/// The error variants the tests look at (a reply's others would fail decoding).
#[derive(CandidType, Deserialize, Debug)]
enum LedgerError {
    InsufficientFunds {
        balance: Nat,
    },
    BadFee {
        expected_fee: Nat,
    },
    InvalidReceiver {
        receiver: Principal,
    },
    GenericError {
        message: String,
        error_code: Nat,
    },
    FailedToCreate {
        error: String,
        refund_block: Option<Nat>,
        fee_block: Option<Nat>,
    },
}

#[derive(CandidType, Deserialize)]
struct CreationArgs {
    subnet_selection: Option<()>,
    settings: Option<CanisterSettings>,
}

#[derive(CandidType, Deserialize)]
struct CreateCanisterArgs {
    from_subaccount: Option<serde_bytes::ByteBuf>,
    created_at_time: Option<u64>,
    amount: Nat,
    creation_args: Option<CreationArgs>,
}

#[derive(CandidType, Deserialize, Debug)]
struct Created {
    block_id: Nat,
    canister_id: Principal,
}

#[derive(CandidType, Deserialize)]
struct WithdrawArgs {
    amount: Nat,
    from_subaccount: Option<serde_bytes::ByteBuf>,
    to: Principal,
    created_at_time: Option<u64>,
}

async fn balance(agent: &Agent, owner: Principal) -> u128 {
    let (n,): (Nat,) = query(agent, CYCLES_LEDGER, "icrc1_balance_of", (account(owner),))
        .await
        .unwrap();
    u128::try_from(n.0).unwrap()
}

async fn transfer(agent: &Agent, to: Principal, amount: u128) -> Result<Nat, LedgerError> {
    let arg = TransferArg {
        from_subaccount: None,
        to: account(to),
        amount: Nat::from(amount),
        fee: None,
        memo: None,
        created_at_time: None,
    };
    let (r,): (Result<Nat, LedgerError>,) = update(agent, CYCLES_LEDGER, "icrc1_transfer", (arg,))
        .await
        .unwrap();
    r
}

async fn create(agent: &Agent, amount: u128) -> Result<Created, LedgerError> {
    let arg = CreateCanisterArgs {
        from_subaccount: None,
        created_at_time: None,
        amount: Nat::from(amount),
        creation_args: None,
    };
    let (r,): (Result<Created, LedgerError>,) =
        update(agent, CYCLES_LEDGER, "create_canister", (arg,))
            .await
            .unwrap();
    r
}

async fn status(agent: &Agent, id: Principal) -> ic_runtime::StatusReply {
    let bytes = agent
        .update(&Principal::management_canister(), "canister_status")
        .with_effective_canister_id(id)
        .with_arg(candid::encode_one(CanisterIdRecord { canister_id: id }).unwrap())
        .call_and_wait()
        .await
        .unwrap();
    candid::decode_one(&bytes).expect("the current canister_status schema")
}

async fn logs(agent: &Agent, id: Principal) -> Result<Vec<CanisterLogRecord>, String> {
    #[derive(CandidType, Deserialize)]
    struct Logs {
        canister_log_records: Vec<CanisterLogRecord>,
    }
    let arg = FetchCanisterLogsArgs {
        canister_id: id,
        filter: None,
    };
    let bytes = agent
        .query(&Principal::management_canister(), "fetch_canister_logs")
        .with_effective_canister_id(id)
        .with_arg(candid::encode_one(arg).unwrap())
        .call()
        .await
        .map_err(|e| e.to_string())?;
    Ok(candid::decode_one::<Logs>(&bytes)
        .unwrap()
        .canister_log_records)
}

async fn update_settings(agent: &Agent, id: Principal, settings: CanisterSettings) {
    let arg = UpdateSettingsArgs {
        canister_id: id,
        settings,
        sender_canister_version: None,
    };
    agent
        .update(&Principal::management_canister(), "update_settings")
        .with_effective_canister_id(id)
        .with_arg(candid::encode_one(arg).unwrap())
        .call_and_wait()
        .await
        .unwrap();
}

#[test]
fn the_cycles_ledger_and_cmc_serve_what_icp_deploy_needs() {
    let dir = TempDir::new("system-canisters");
    let server = Server::start(&dir.0);
    let rt = tokio();
    let deployer = identity(41);
    let other = identity(42);
    let me = ic_agent::Identity::sender(&deployer).unwrap();
    let them = ic_agent::Identity::sender(&other).unwrap();
    let (created, canister_cycles) = rt.block_on(async {
        let a = agent(&server.url, deployer).await;
        let b = agent(&server.url, other).await;
        let faucet = Agent::builder()
            .with_url(&server.url)
            .with_identity(AnonymousIdentity)
            .build()
            .unwrap();
        faucet.fetch_root_key().await.unwrap();

        // The CMC's subnet, answered as a certified query (the agent checks the ranges).
        let (subnets,): (Vec<Principal>,) =
            query(&a, CYCLES_MINTING_CANISTER, "get_default_subnets", ())
                .await
                .unwrap();
        assert_eq!(subnets.len(), 1);
        let (fee,): (Nat,) = query(&a, CYCLES_LEDGER, "icrc1_fee", ()).await.unwrap();
        assert_eq!(fee, Nat::from(FEE));

        // Local cycles come from the anonymous faucet; transfers cost the fee.
        assert_eq!(balance(&a, me).await, 0);
        transfer(&faucet, me, 10_000_000_000_000).await.unwrap();
        assert_eq!(balance(&a, me).await, 10_000_000_000_000);
        transfer(&a, them, 1_000_000_000_000).await.unwrap();
        assert_eq!(balance(&a, them).await, 1_000_000_000_000);
        assert_eq!(balance(&a, me).await, 9_000_000_000_000 - FEE);
        match transfer(&b, me, 1_000_000_000_000).await {
            Err(LedgerError::InsufficientFunds { balance }) => {
                assert_eq!(balance, Nat::from(1_000_000_000_000u128))
            }
            other => panic!("expected InsufficientFunds, got {other:?}"),
        }
        assert_eq!(balance(&a, them).await, 1_000_000_000_000);

        // create_canister: paid from the balance, the caller controls the new canister, which
        // holds the amount minus the creation fee.
        let before = balance(&a, me).await;
        let created = create(&a, 3_000_000_000_000).await.unwrap().canister_id;
        assert_eq!(balance(&a, me).await, before - 3_000_000_000_000 - FEE);
        let s = status(&a, created).await;
        assert_eq!(s.settings.controllers, vec![me]);
        assert_eq!(s.cycles, Nat::from(3_000_000_000_000 - CREATION_FEE));
        // Too little balance: refused, nothing taken.
        match create(&b, 2_000_000_000_000).await {
            Err(LedgerError::InsufficientFunds { .. }) => {}
            other => panic!("expected InsufficientFunds, got {other:?}"),
        }
        assert_eq!(balance(&a, them).await, 1_000_000_000_000);

        // withdraw = top-up of a canister.
        let arg = WithdrawArgs {
            amount: Nat::from(500_000_000_000u64),
            from_subaccount: None,
            to: created,
            created_at_time: None,
        };
        let (r,): (Result<Nat, LedgerError>,) =
            update(&a, CYCLES_LEDGER, "withdraw", (arg,)).await.unwrap();
        r.unwrap();
        let cycles = status(&a, created).await.cycles;
        assert_eq!(
            cycles,
            Nat::from(3_000_000_000_000 - CREATION_FEE + 500_000_000_000)
        );

        // Environment variables and log visibility are kept and reported.
        update_settings(
            &a,
            created,
            CanisterSettings {
                environment_variables: Some(vec![EnvironmentVariable {
                    name: "PUBLIC_CANISTER_ID:canister_registry".into(),
                    value: created.to_text(),
                }]),
                ..Default::default()
            },
        )
        .await;
        let s = status(&a, created).await;
        assert_eq!(s.settings.environment_variables.len(), 1);
        assert_eq!(s.settings.log_visibility, LogVisibility::Controllers);

        // fetch_canister_logs as a query: the controller reads, others only once public.
        let wasm = std::fs::read(wasm_dir().join("rt_store.wasm.gz"))
            .expect("run scripts/build.sh rt_store first");
        manage::install(
            &a,
            created,
            &wasm,
            candid::encode_args((None::<String>,)).unwrap(),
            Mode::Install,
        )
        .await
        .unwrap();
        let _: () = update(&a, created, "log", ("hello logs",)).await.unwrap();
        let records = logs(&a, created).await.unwrap();
        assert!(records.iter().any(|r| r.content == b"hello logs"));
        let refused = logs(&b, created).await.unwrap_err();
        assert!(refused.contains("not allowed"), "{refused}");
        update_settings(
            &a,
            created,
            CanisterSettings {
                log_visibility: Some(LogVisibility::Public),
                ..Default::default()
            },
        )
        .await;
        assert!(!logs(&b, created).await.unwrap().is_empty());
        (created, cycles)
    });
    // Ledger balances and the canister survive a restart.
    server.stop();
    let server = Server::start(&dir.0);
    rt.block_on(async {
        let a = agent(&server.url, identity(41)).await;
        assert_eq!(balance(&a, them).await, 1_000_000_000_000);
        assert_eq!(
            balance(&a, me).await,
            9_000_000_000_000 - FEE - 3_000_000_000_000 - FEE - 500_000_000_000 - FEE
        );
        assert_eq!(status(&a, created).await.cycles, canister_cycles);
    });
    server.stop();
}
