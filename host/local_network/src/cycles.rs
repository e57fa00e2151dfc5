//! The cycles ledger (`um5iw-rqaaa-aaaaq-qaaba-cai`) and the cycles minting canister
//! (`rkp4c-7iaaa-aaaaa-aaaca-cai`) at their mainnet ids, served natively by the network.
//!
//! Why native and not canisters installed at those ids: the `icp` CLI only talks to them by
//! ingress (it never calls them from a canister), the network already answers `aaaaa-aa`
//! outside the runtime, and native handlers need no second wasm build, no bootstrap install and
//! no controller for the network's own system canisters. What they do is what the real ones do
//! for the CLI, no more:
//! - ledger: ICRC-1 `icrc1_balance_of`, `icrc1_transfer` (fee 100M cycles), the ICRC-1 metadata
//!   queries, `create_canister` (the caller pays `amount` + fee; the new canister gets `amount`
//!   minus the IC's creation fee, its default controller is the caller) and `withdraw` (cycles
//!   to a canister, i.e. a top-up);
//! - CMC: `get_default_subnets` (this network's one subnet).
//!
//! Local cycles: the anonymous principal is this network's faucet (as on PocketIC and icp's
//! own local networks, where it is pre-funded): its balance never runs out, so
//! `icp cycles transfer <amount> <principal> --identity anonymous` mints cycles for anyone.
//! Balances and the block counter are kept in `<state dir>/cycles_ledger.candid`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use candid::{CandidType, Deserialize, Nat, Principal};
use ic_runtime::management_types::CanisterSettings;
use ic_runtime::PocketIc;

use crate::requests::Outcome;

pub const CYCLES_LEDGER: Principal = Principal::from_slice(&[0, 0, 0, 0, 2, 16, 0, 2, 1, 1]);
pub const CYCLES_MINTING_CANISTER: Principal =
    Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 4, 1, 1]);

/// The ledger's fee per transfer, creation and withdrawal, as on mainnet.
pub const FEE: u128 = 100_000_000;
/// What creating a canister costs on a 13-node application subnet (taken from `amount`).
pub const CREATION_FEE: u128 = 500_000_000_000;
/// The anonymous faucet's balance as reported; debits from it are mints.
pub const FAUCET_BALANCE: u128 = 1_000_000_000_000_000_000;

/// Whether `id` is served by this module.
pub fn is_system(id: &Principal) -> bool {
    *id == CYCLES_LEDGER || *id == CYCLES_MINTING_CANISTER
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Account {
    pub owner: Principal,
    pub subaccount: Option<serde_bytes::ByteBuf>,
}

impl Account {
    /// The all-zero subaccount is the default one.
    fn key(&self) -> (Principal, [u8; 32]) {
        let mut sub = [0u8; 32];
        if let Some(s) = &self.subaccount {
            let n = s.len().min(32);
            sub[..n].copy_from_slice(&s[..n]);
        }
        (self.owner, sub)
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

#[derive(CandidType, Deserialize, Debug)]
enum TransferError {
    BadFee { expected_fee: Nat },
    InsufficientFunds { balance: Nat },
    GenericError { error_code: Nat, message: String },
}

#[derive(CandidType, Deserialize, Clone)]
enum SubnetSelection {
    Filter { subnet_type: Option<String> },
    Subnet { subnet: Principal },
}

#[derive(CandidType, Deserialize, Clone)]
struct CreationArgs {
    subnet_selection: Option<SubnetSelection>,
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
enum CreateCanisterError {
    InsufficientFunds {
        balance: Nat,
    },
    FailedToCreate {
        error: String,
        refund_block: Option<Nat>,
        fee_block: Option<Nat>,
    },
    GenericError {
        message: String,
        error_code: Nat,
    },
}

#[derive(CandidType, Deserialize)]
struct CreateCanisterOk {
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

#[derive(CandidType, Deserialize, Debug)]
enum WithdrawError {
    InsufficientFunds { balance: Nat },
    InvalidReceiver { receiver: Principal },
    GenericError { message: String, error_code: Nat },
}

#[derive(CandidType, Deserialize)]
enum MetadataValue {
    Nat(Nat),
    Int(candid::Int),
    Text(String),
    Blob(serde_bytes::ByteBuf),
}

#[derive(CandidType, Deserialize)]
struct Standard {
    name: String,
    url: String,
}

#[derive(CandidType, Deserialize, Default)]
struct Saved {
    balances: Vec<(Principal, serde_bytes::ByteBuf, Nat)>,
    next_block: u64,
    minted: Nat,
}

/// The ledger's state: balances by (owner, subaccount), blocks written, cycles minted.
pub struct CyclesLedger {
    balances: BTreeMap<(Principal, [u8; 32]), u128>,
    next_block: u64,
    minted: u128,
    file: PathBuf,
}

fn nat(n: u128) -> Nat {
    Nat::from(n)
}

fn to_u128(n: &Nat) -> Option<u128> {
    u128::try_from(n.0.clone()).ok()
}

fn reply<T: CandidType>(value: &T) -> Result<Vec<u8>, String> {
    candid::encode_one(value).map_err(|e| format!("encoding the reply: {e}"))
}

fn decode<T: for<'de> Deserialize<'de> + CandidType>(
    method: &str,
    arg: &[u8],
) -> Result<T, String> {
    candid::decode_one(arg).map_err(|e| format!("{method}: cannot decode the argument: {e}"))
}

impl CyclesLedger {
    /// The ledger kept in `state_dir` (empty on a fresh network).
    pub fn open(state_dir: &Path) -> Result<CyclesLedger, String> {
        let file = state_dir.join("cycles_ledger.candid");
        let saved = match std::fs::read(&file) {
            Ok(bytes) => candid::decode_one::<Saved>(&bytes)
                .map_err(|e| format!("{}: {e}", file.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Saved::default(),
            Err(e) => return Err(format!("{}: {e}", file.display())),
        };
        let mut balances = BTreeMap::new();
        for (owner, sub, amount) in saved.balances {
            let account = Account {
                owner,
                subaccount: Some(sub),
            };
            balances.insert(account.key(), to_u128(&amount).unwrap_or(u128::MAX));
        }
        Ok(CyclesLedger {
            balances,
            next_block: saved.next_block,
            minted: to_u128(&saved.minted).unwrap_or(0),
            file,
        })
    }

    fn save(&self) -> Result<(), String> {
        let saved = Saved {
            balances: self
                .balances
                .iter()
                .map(|((owner, sub), n)| {
                    (*owner, serde_bytes::ByteBuf::from(sub.to_vec()), nat(*n))
                })
                .collect(),
            next_block: self.next_block,
            minted: nat(self.minted),
        };
        let bytes = candid::encode_one(&saved).map_err(|e| e.to_string())?;
        // Write then rename: a crash mid-write leaves the previous balances.
        let tmp = self.file.with_extension("candid.tmp");
        std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &self.file).map_err(|e| format!("{}: {e}", self.file.display()))
    }

    pub fn balance(&self, account: &Account) -> u128 {
        if account.owner == Principal::anonymous() {
            return FAUCET_BALANCE;
        }
        self.balances.get(&account.key()).copied().unwrap_or(0)
    }

    /// Takes `amount` from `account`, or returns its balance when it has too little.
    fn debit(&mut self, account: &Account, amount: u128) -> Result<(), u128> {
        if account.owner == Principal::anonymous() {
            self.minted = self.minted.saturating_add(amount);
            return Ok(());
        }
        let balance = self.balance(account);
        if balance < amount {
            return Err(balance);
        }
        self.balances.insert(account.key(), balance - amount);
        Ok(())
    }

    fn credit(&mut self, account: &Account, amount: u128) {
        if account.owner == Principal::anonymous() {
            return;
        }
        let slot = self.balances.entry(account.key()).or_insert(0);
        *slot = slot.saturating_add(amount);
    }

    fn block(&mut self) -> Nat {
        self.next_block += 1;
        Nat::from(self.next_block - 1)
    }

    /// A query to the ledger or the CMC.
    pub fn query(
        &self,
        canister: Principal,
        method: &str,
        arg: &[u8],
        subnet: Principal,
    ) -> Result<Vec<u8>, String> {
        if canister == CYCLES_MINTING_CANISTER {
            return match method {
                "get_default_subnets" => reply(&vec![subnet]),
                other => Err(format!(
                    "The cycles minting canister has no query method '{other}' here"
                )),
            };
        }
        match method {
            "icrc1_balance_of" => reply(&nat(self.balance(&decode::<Account>(method, arg)?))),
            "icrc1_fee" => reply(&nat(FEE)),
            "icrc1_decimals" => reply(&12u8),
            "icrc1_symbol" => reply(&"TCYCLES"),
            "icrc1_name" => reply(&"Trillion Cycles"),
            "icrc1_total_supply" => reply(&nat(self.balances.values().sum::<u128>())),
            "icrc1_minting_account" => reply(&Some(Account {
                owner: Principal::anonymous(),
                subaccount: None,
            })),
            "icrc1_metadata" => reply(&vec![
                ("icrc1:decimals".to_string(), MetadataValue::Nat(nat(12))),
                (
                    "icrc1:name".to_string(),
                    MetadataValue::Text("Trillion Cycles".into()),
                ),
                (
                    "icrc1:symbol".to_string(),
                    MetadataValue::Text("TCYCLES".into()),
                ),
                ("icrc1:fee".to_string(), MetadataValue::Nat(nat(FEE))),
            ]),
            "icrc1_supported_standards" => reply(&vec![Standard {
                name: "ICRC-1".into(),
                url: "https://github.com/dfinity/ICRC-1".into(),
            }]),
            other => Err(format!(
                "The cycles ledger has no query method '{other}' here"
            )),
        }
    }

    /// An update call to the ledger or the CMC: its outcome, recorded like a canister's.
    pub fn update(
        &mut self,
        pic: &PocketIc,
        caller: Principal,
        canister: Principal,
        method: &str,
        arg: &[u8],
        subnet: Principal,
    ) -> Outcome {
        let result = if canister == CYCLES_MINTING_CANISTER {
            match method {
                "get_default_subnets" => reply(&vec![subnet]),
                other => Err(format!(
                    "The cycles minting canister has no update method '{other}' here"
                )),
            }
        } else {
            match method {
                "icrc1_transfer" => {
                    decode(method, arg).and_then(|a| reply(&self.transfer(caller, a)))
                }
                "create_canister" => {
                    decode(method, arg).and_then(|a| reply(&self.create_canister(pic, caller, a)))
                }
                "withdraw" => {
                    decode(method, arg).and_then(|a| reply(&self.withdraw(pic, caller, a)))
                }
                other => self.query(canister, other, arg, subnet),
            }
        };
        let saved = self.save();
        match (result, saved) {
            (Ok(bytes), Ok(())) => Outcome::Replied(bytes),
            (Err(message), _) | (Ok(_), Err(message)) => Outcome::Rejected {
                code: 5,
                message,
                error_code: "IC0406".into(),
            },
        }
    }

    fn transfer(&mut self, caller: Principal, a: TransferArg) -> Result<Nat, TransferError> {
        let from = Account {
            owner: caller,
            subaccount: a.from_subaccount,
        };
        if let Some(fee) = &a.fee {
            if *fee != nat(FEE) {
                return Err(TransferError::BadFee {
                    expected_fee: nat(FEE),
                });
            }
        }
        let Some(amount) = to_u128(&a.amount) else {
            return Err(TransferError::GenericError {
                error_code: nat(1),
                message: "amount too large".into(),
            });
        };
        self.debit(&from, amount.saturating_add(FEE))
            .map_err(|b| TransferError::InsufficientFunds { balance: nat(b) })?;
        self.credit(&a.to, amount);
        Ok(self.block())
    }

    fn create_canister(
        &mut self,
        pic: &PocketIc,
        caller: Principal,
        a: CreateCanisterArgs,
    ) -> Result<CreateCanisterOk, CreateCanisterError> {
        let from = Account {
            owner: caller,
            subaccount: a.from_subaccount,
        };
        let amount = to_u128(&a.amount).unwrap_or(u128::MAX);
        if amount < CREATION_FEE {
            return Err(CreateCanisterError::GenericError {
                message: format!(
                    "Creating a canister costs {CREATION_FEE} cycles; {amount} is too little"
                ),
                error_code: nat(1),
            });
        }
        self.debit(&from, amount.saturating_add(FEE))
            .map_err(|b| CreateCanisterError::InsufficientFunds { balance: nat(b) })?;
        let settings = a.creation_args.and_then(|c| c.settings);
        match pic.create_canister_with_cycles(caller, settings, amount - CREATION_FEE) {
            Ok(canister_id) => Ok(CreateCanisterOk {
                block_id: self.block(),
                canister_id,
            }),
            Err(reject) => {
                // Bad settings: nothing was created, the caller gets the cycles back.
                self.credit(&from, amount);
                Err(CreateCanisterError::FailedToCreate {
                    error: reject.reject_message,
                    refund_block: Some(self.block()),
                    fee_block: None,
                })
            }
        }
    }

    fn withdraw(
        &mut self,
        pic: &PocketIc,
        caller: Principal,
        a: WithdrawArgs,
    ) -> Result<Nat, WithdrawError> {
        let from = Account {
            owner: caller,
            subaccount: a.from_subaccount,
        };
        if !pic.canister_exists(a.to) {
            return Err(WithdrawError::InvalidReceiver { receiver: a.to });
        }
        let Some(amount) = to_u128(&a.amount) else {
            return Err(WithdrawError::GenericError {
                message: "amount too large".into(),
                error_code: nat(1),
            });
        };
        self.debit(&from, amount.saturating_add(FEE))
            .map_err(|b| WithdrawError::InsufficientFunds { balance: nat(b) })?;
        pic.add_cycles(a.to, amount);
        Ok(self.block())
    }
}
