//! What installing the suite costs on mainnet, in cycles: each of the seven canisters is created
//! and installed in the in-process runtime the way `icp deploy` does it (the
//! `PUBLIC_CANISTER_ID:<name>` environment variables set first, install argument `(null)`), and
//! the table prints what was measured (the instructions of the install, i.e. `init`, the module's
//! size, the canister's memory afterwards) next to the cycles the IC charges for that on a
//! 13-node application subnet. The runtime itself charges no cycles for execution or storage, so
//! the fees are applied here from the IC's published cost table (constants below). Also printed:
//! the cycles the load balancer gives each new calendar shard (its `new_shard_cycles`).
//! Nothing is asserted.
//! Run: `cargo bench --profile host -p local_network --bench install_costs` (needs
//! `scripts/build.sh`).

use candid::{encode_args, Principal};
use ic_runtime::management_types::{CanisterSettings, EnvironmentVariable};
use ic_runtime::PocketIc;
use interfaces::CanisterKind;

/// The IC's fees on a 13-node application subnet (docs.internetcomputer.org, "Cycles costs").
const CREATE_CANISTER: u128 = 500_000_000_000;
const UPDATE_MESSAGE: u128 = 5_000_000;
/// Cycles per 10 instructions executed in an update (install included).
const PER_10_INSTRUCTIONS: u128 = 4;
const INGRESS_MESSAGE: u128 = 1_200_000;
const INGRESS_BYTE: u128 = 2_000;
const GIB_SECOND: u128 = 127_000;
/// The cycles ledger's fee for `create_canister`.
const LEDGER_FEE: u128 = 100_000_000;

const GIB: f64 = (1u64 << 30) as f64;

fn t(cycles: u128) -> String {
    format!("{:.4}", cycles as f64 / 1e12)
}

fn main() {
    let wasm_dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/canisters");
    let pic = PocketIc::new();
    let operator = Principal::from_slice(&[7; 29]);
    let mut kinds: Vec<(&str, Option<CanisterKind>)> = CanisterKind::ALL
        .iter()
        .map(|k| (k.name(), Some(*k)))
        .collect();
    kinds.push(("frontend", None));
    let settings = CanisterSettings {
        controllers: Some(vec![operator]),
        ..Default::default()
    };
    let ids: Vec<Principal> = kinds
        .iter()
        .map(|_| pic.create_canister_with_settings(Some(operator), Some(settings.clone())))
        .collect();
    let env: Vec<EnvironmentVariable> = kinds
        .iter()
        .zip(&ids)
        .map(|((name, _), id)| EnvironmentVariable {
            name: format!("PUBLIC_CANISTER_ID:{name}"),
            value: id.to_text(),
        })
        .collect();
    println!(
        "{:<18} {:>10} {:>14} {:>10} {:>12} {:>12} {:>14}",
        "canister",
        "wasm KiB",
        "install instr",
        "memory MiB",
        "install T",
        "total T",
        "storage T/day"
    );
    let (mut sum_install, mut sum_storage) = (0u128, 0u128);
    for ((name, _), id) in kinds.iter().zip(&ids) {
        pic.update_canister_settings(
            *id,
            Some(operator),
            CanisterSettings {
                environment_variables: Some(env.clone()),
                ..Default::default()
            },
        )
        .expect("environment variables");
        let wasm = std::fs::read(wasm_dir.join(format!("{name}.wasm.gz")))
            .unwrap_or_else(|e| panic!("{name}.wasm.gz: {e} (run scripts/build.sh)"));
        let arg = if *name == "canister_registry" {
            encode_args((Some(interfaces::registry::RegistryInit::default()),))
        } else {
            encode_args((None::<()>,))
        }
        .unwrap();
        pic.install_canister(*id, wasm.clone(), arg, Some(operator));
        let instructions = pic.canister_last_instructions(*id) as u128;
        let memory = pic
            .canister_status(*id, Some(operator))
            .expect("status")
            .memory_size;
        let memory = u128::try_from(memory.0).unwrap();
        // The install message: ingress reception of the module plus its execution.
        let install = INGRESS_MESSAGE
            + INGRESS_BYTE * wasm.len() as u128
            + UPDATE_MESSAGE
            + instructions * PER_10_INSTRUCTIONS / 10;
        let storage_day = (memory as f64 / GIB * (GIB_SECOND * 86_400) as f64) as u128;
        sum_install += install;
        sum_storage += storage_day;
        println!(
            "{:<18} {:>10} {:>14} {:>10.1} {:>12} {:>12} {:>14}",
            name,
            wasm.len() / 1024,
            instructions,
            memory as f64 / (1 << 20) as f64,
            t(install),
            t(install + CREATE_CANISTER + LEDGER_FEE),
            t(storage_day)
        );
    }
    let n = kinds.len() as u128;
    println!(
        "{:<18} {:>10} {:>14} {:>10} {:>12} {:>12} {:>14}",
        "suite (7)",
        "",
        "",
        "",
        t(sum_install),
        t(sum_install + n * (CREATE_CANISTER + LEDGER_FEE)),
        t(sum_storage)
    );
    let balancer = ids[CanisterKind::ALL
        .iter()
        .position(|k| *k == CanisterKind::LoadBalancer)
        .expect("the balancer is one of the six")];
    let (config,): (interfaces::load_balancer::BalancerConfig,) =
        ic_runtime::query_candid_as(&pic, balancer, operator, "get_config", ())
            .expect("the balancer's configuration");
    println!(
        "\nnew calendar shard: the balancer attaches {} T (new_shard_cycles), of which {} T is the creation fee",
        t(config.new_shard_cycles),
        t(CREATE_CANISTER)
    );
}
