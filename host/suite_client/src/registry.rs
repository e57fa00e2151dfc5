//! The suite's group setup through the registry, over the agent: the same plan as
//! `local_network::deploy` runs in-process. The registry creates the group, generates every
//! member's access key from `raw_rand` and delivers it to the member itself; this client never
//! sees a key. Re-running is safe: an existing group and existing members are kept.
//!
//! The suite deployment (`deploy_suite`) creates or upgrades the six canisters and then sets up
//! the group. Configuring the load balancer (shards) and the backup schedule belongs here too,
//! once those canisters expose their configuration endpoints: see [`configure_services`].

use std::path::Path;

use candid::Principal;
use ic_agent::Agent;
use interfaces::backup::{BackupConfig, BackupStats};
use interfaces::frontend::FrontendInit;
use interfaces::load_balancer::{BalancerConfig, BalancerConfigUpdate, Strategy};
use interfaces::registry::RegistryInit;
use interfaces::security::{GroupInfo, MemberInit};
use interfaces::{CanisterKind, Error};

use crate::calls::{query, update};
use crate::manage::{self, Mode};

/// The group the suite's canisters form.
pub const GROUP_ID: &str = "calendar-suite";

pub async fn get_group(
    agent: &Agent,
    registry: Principal,
    group: &str,
) -> Result<GroupInfo, String> {
    let (r,): (Result<GroupInfo, Error>,) = query(agent, registry, "get_group", (group,)).await?;
    r.map_err(|e| format!("get_group {group}: {e}"))
}

pub async fn list_groups(agent: &Agent, registry: Principal) -> Result<Vec<GroupInfo>, String> {
    let (groups,): (Vec<GroupInfo>,) = query(agent, registry, "list_groups", ()).await?;
    Ok(groups)
}

/// Makes `group` contain `members` (kind, canister, shard key): registers the group if it does
/// not exist and adds every member not yet in it. Returns the group as the registry sees it.
pub async fn setup_group(
    agent: &Agent,
    registry: Principal,
    group: &str,
    members: &[(CanisterKind, Principal, Option<String>)],
) -> Result<GroupInfo, String> {
    let existing = match get_group(agent, registry, group).await {
        Ok(g) => g,
        Err(_) => {
            let (created,): (Result<GroupInfo, Error>,) =
                update(agent, registry, "register_canister_group", (group,)).await?;
            created.map_err(|e| format!("register_canister_group {group}: {e}"))?
        }
    };
    let mut info = existing;
    for (kind, id, shard) in members {
        if *id == registry || info.members.iter().any(|m| m.principal == *id) {
            continue;
        }
        let (added,): (Result<GroupInfo, Error>,) = update(
            agent,
            registry,
            "add_canister_to_group",
            (group, *id, *kind, shard.clone()),
        )
        .await?;
        info = added.map_err(|e| format!("add_canister_to_group {}: {e}", kind.name()))?;
    }
    Ok(info)
}

/// The install argument of each canister: the registry's settings, or the registry a member
/// accepts snapshots and keys from.
pub fn init_arg(kind: CanisterKind, registry: Option<Principal>) -> Result<Vec<u8>, String> {
    match (kind, registry) {
        (CanisterKind::CanisterRegistry, _) => {
            candid::encode_args((Some(RegistryInit::default()),))
        }
        (_, Some(registry)) => candid::encode_args((Some(MemberInit { registry }),)),
        (_, None) => return Err(format!("{} needs the registry's id", kind.name())),
    }
    .map_err(|e| e.to_string())
}

/// What `deploy_suite` did to one canister.
pub struct Deployed {
    pub kind: CanisterKind,
    pub id: Principal,
    pub created: bool,
}

/// Creates (when `ids` has no id for it on `network`) or upgrades each of the six canisters
/// from `<wasm_dir>/<name>.wasm.gz`, the registry first, records new ids in `ids`, sets up the
/// group, stores the calendar wasm for scale-out, then configures the balancer and the backup
/// schedule. Upgrades keep every canister's data and configuration.
pub async fn deploy_suite(
    agent: &Agent,
    wasm_dir: &Path,
    ids: &Path,
    network: &str,
    controllers: Vec<Principal>,
    config: &ServiceConfig,
) -> Result<SuiteDeployment, String> {
    let known = if ids.exists() {
        crate::ids::read(ids, network)?
    } else {
        Vec::new()
    };
    let target = Target {
        ids,
        network,
        known: &known,
        controllers: &controllers,
    };
    let mut registry = None;
    let mut deployed = Vec::new();
    for kind in CanisterKind::ALL {
        let wasm_path = wasm_dir.join(format!("{}.wasm.gz", kind.name()));
        let wasm = std::fs::read(&wasm_path)
            .map_err(|e| format!("{}: {e} (run scripts/build.sh)", wasm_path.display()))?;
        let arg = init_arg(kind, registry)?;
        let (id, created) = create_or_upgrade(agent, &target, kind, &wasm, arg).await?;
        registry.get_or_insert(id);
        deployed.push(Deployed { kind, id, created });
    }
    let registry = registry.expect("the registry is first");
    let members: Vec<_> = deployed.iter().map(|d| (d.kind, d.id, None)).collect();
    let group = setup_group(agent, registry, GROUP_ID, &members).await?;
    configure_scale_out(agent, wasm_dir, registry, &deployed).await?;
    let (balancer, backup) = configure_services(agent, &deployed, config).await?;
    let frontend = deploy_frontend(agent, wasm_dir, &target, &deployed).await?;
    deployed.push(frontend);
    Ok(SuiteDeployment {
        deployed,
        group,
        balancer,
        backup,
    })
}

/// The group wiring for canisters another tool (`icp deploy`) created and installed, read from
/// `ids` (icp's flat `{name: id}` mapping or dfx's shape): sets up the group, stores the calendar
/// wasm for scale-out, configures the balancer and the backup schedule, and, on any network but
/// the IC, upgrades the web app with the root key its page must trust. Nothing is created or
/// reinstalled, so running it again changes nothing that is already in place.
pub async fn wire_suite(
    agent: &Agent,
    wasm_dir: &Path,
    ids: &Path,
    network: &str,
    config: &ServiceConfig,
) -> Result<SuiteDeployment, String> {
    let known = crate::ids::read(ids, network)?;
    let mut deployed = Vec::new();
    for kind in CanisterKind::ALL {
        let id = known
            .iter()
            .find(|(n, _)| n == kind.name())
            .map(|(_, id)| *id)
            .ok_or(format!("{}: no id for {}", ids.display(), kind.name()))?;
        deployed.push(Deployed {
            kind,
            id,
            created: false,
        });
    }
    let registry = deployed[0].id;
    let members: Vec<_> = deployed.iter().map(|d| (d.kind, d.id, None)).collect();
    let group = setup_group(agent, registry, GROUP_ID, &members).await?;
    configure_scale_out(agent, wasm_dir, registry, &deployed).await?;
    let (balancer, backup) = configure_services(agent, &deployed, config).await?;
    if network != "ic" {
        let target = Target {
            ids,
            network,
            known: &known,
            controllers: &[],
        };
        let frontend = deploy_frontend(agent, wasm_dir, &target, &deployed).await?;
        deployed.push(frontend);
    }
    Ok(SuiteDeployment {
        deployed,
        group,
        balancer,
        backup,
    })
}

/// Creates or upgrades the web app's asset canister (not a group member: it holds no data). Its
/// argument carries the six ids and, on any network but the IC, the root key the agent trusts,
/// so the page's agent-js verifies this network's certificates.
async fn deploy_frontend(
    agent: &Agent,
    wasm_dir: &Path,
    target: &Target<'_>,
    deployed: &[Deployed],
) -> Result<Deployed, String> {
    let kind = CanisterKind::Frontend;
    let wasm_path = wasm_dir.join("frontend.wasm.gz");
    let wasm = std::fs::read(&wasm_path).map_err(|e| {
        format!(
            "{}: {e} (run scripts/build.sh; it builds the app first)",
            wasm_path.display()
        )
    })?;
    let root_key = if target.network == "ic" {
        None
    } else {
        Some(agent.read_root_key())
    };
    let init = FrontendInit {
        canister_ids: deployed
            .iter()
            .map(|d| (d.kind.name().to_string(), d.id))
            .collect(),
        root_key,
    };
    let arg = candid::encode_args((Some(init),)).map_err(|e| e.to_string())?;
    let (id, created) = create_or_upgrade(agent, target, kind, &wasm, arg).await?;
    Ok(Deployed { kind, id, created })
}

/// Where `deploy_suite` puts canisters: the ids file and network, the ids it already holds, and
/// the controllers of new canisters.
struct Target<'a> {
    ids: &'a Path,
    network: &'a str,
    known: &'a [(String, Principal)],
    controllers: &'a [Principal],
}

/// Upgrades `kind`'s canister from `target.known` (or installs, when it has no module), or
/// creates one, records its id and installs. Returns the id and whether it is new.
async fn create_or_upgrade(
    agent: &Agent,
    target: &Target<'_>,
    kind: CanisterKind,
    wasm: &[u8],
    arg: Vec<u8>,
) -> Result<(Principal, bool), String> {
    let existing = target
        .known
        .iter()
        .find(|(n, _)| n == kind.name())
        .map(|(_, id)| *id);
    let (id, created, mode) = match existing {
        Some(id) => {
            let status = manage::status(agent, id).await?;
            let mode = if status.module_hash.is_some() {
                Mode::Upgrade
            } else {
                Mode::Install
            };
            (id, false, mode)
        }
        None => {
            // A creation names an effective canister id: any existing one, or the first range's.
            let near = crate::ids::read(target.ids, target.network)
                .ok()
                .and_then(|k| k.first().map(|(_, id)| *id))
                .unwrap_or_else(default_effective_id);
            let controllers = target.controllers.to_vec();
            let id = manage::create_canister(agent, near, controllers, None).await?;
            crate::ids::write(target.ids, target.network, kind.name(), id)?;
            (id, true, Mode::Install)
        }
    };
    manage::install(agent, id, wasm, arg, mode).await?;
    Ok((id, created))
}

/// What `deploy_suite` did and what the services run with afterwards.
pub struct SuiteDeployment {
    pub deployed: Vec<Deployed>,
    pub group: GroupInfo,
    pub balancer: BalancerConfig,
    pub backup: BackupConfig,
}

/// What the operator asked to change at deploy time; `None` keeps what the canister has (its
/// default on a first install, the operator's earlier choice on an upgrade).
#[derive(Clone, Debug, Default)]
pub struct ServiceConfig {
    pub strategy: Option<Strategy>,
    pub backup_interval_secs: Option<u64>,
}

/// Parses a strategy by its Candid name (`RoundRobin`, `LeastConnections`, `WeightedRandom`,
/// `ResponseTime`) or the same in kebab case.
pub fn parse_strategy(name: &str) -> Result<Strategy, String> {
    let folded: String = name.chars().filter(|c| *c != '-' && *c != '_').collect();
    match folded.to_ascii_lowercase().as_str() {
        "roundrobin" => Ok(Strategy::RoundRobin),
        "leastconnections" => Ok(Strategy::LeastConnections),
        "weightedrandom" => Ok(Strategy::WeightedRandom),
        "responsetime" => Ok(Strategy::ResponseTime),
        _ => Err(format!(
            "unknown strategy {name} (RoundRobin, LeastConnections, WeightedRandom, ResponseTime)"
        )),
    }
}

/// Applies `config` to the balancer and the backup canister (the deployer is their controller),
/// and answers what they run with afterwards, for the deploy report.
pub async fn configure_services(
    agent: &Agent,
    deployed: &[Deployed],
    config: &ServiceConfig,
) -> Result<(BalancerConfig, BackupConfig), String> {
    let id = |kind| {
        deployed
            .iter()
            .find(|d| d.kind == kind)
            .map(|d| d.id)
            .ok_or(format!("{kind:?} was not deployed"))
    };
    let balancer = id(CanisterKind::LoadBalancer)?;
    let backup = id(CanisterKind::BackupCanister)?;
    if let Some(strategy) = config.strategy {
        let change = BalancerConfigUpdate {
            strategy: Some(strategy),
            ..Default::default()
        };
        let (set,): (Result<BalancerConfig, Error>,) =
            update(agent, balancer, "set_config", (change,)).await?;
        set.map_err(|e| format!("load_balancer set_config: {e}"))?;
    }
    let (balancer_config,): (BalancerConfig,) = query(agent, balancer, "get_config", ()).await?;
    let (stats,): (Result<BackupStats, Error>,) =
        query(agent, backup, "get_backup_stats", ()).await?;
    let mut backup_config = stats
        .map_err(|e| format!("backup_canister get_backup_stats: {e}"))?
        .config;
    if let Some(secs) = config.backup_interval_secs {
        backup_config.interval_secs = secs;
        let (set,): (Result<(), Error>,) =
            update(agent, backup, "configure_backup", (backup_config,)).await?;
        set.map_err(|e| format!("backup_canister configure_backup: {e}"))?;
    }
    Ok((balancer_config, backup_config))
}

/// What scale-out and restores need: the calendar wasm stored in the registry (uploaded in
/// 1 MiB chunks unless the stored one already has the same SHA-256), and registry admin rights
/// (`ManageGroups`) for the balancer and the backup canister to add shards to the group.
pub async fn configure_scale_out(
    agent: &Agent,
    wasm_dir: &Path,
    registry: Principal,
    deployed: &[Deployed],
) -> Result<(), String> {
    use interfaces::registry::{WasmInfo, WasmUploadStart, WASM_CHUNK_BYTES};
    use interfaces::Permission;
    use sha2::Digest;

    let path = wasm_dir.join("calendar.wasm.gz");
    let wasm = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let sha256 = sha2::Sha256::digest(&wasm).to_vec();
    let (stored,): (Option<WasmInfo>,) = query(agent, registry, "get_wasm_info", ()).await?;
    if stored.is_none_or(|info| info.sha256.as_slice() != sha256.as_slice()) {
        let start = WasmUploadStart {
            sha256: serde_bytes::ByteBuf::from(sha256),
            size: wasm.len() as u64,
        };
        let (started,): (Result<(), Error>,) =
            update(agent, registry, "start_wasm_upload", (start,)).await?;
        started.map_err(|e| format!("start_wasm_upload: {e}"))?;
        for (index, chunk) in wasm.chunks(WASM_CHUNK_BYTES).enumerate() {
            let (left,): (Result<u64, Error>,) = update(
                agent,
                registry,
                "upload_wasm_chunk",
                (index as u64, serde_bytes::ByteBuf::from(chunk.to_vec())),
            )
            .await?;
            left.map_err(|e| format!("upload_wasm_chunk {index}: {e}"))?;
        }
        let (committed,): (Result<WasmInfo, Error>,) =
            update(agent, registry, "commit_wasm_upload", ()).await?;
        committed.map_err(|e| format!("commit_wasm_upload: {e}"))?;
    }
    // The balancer adds the shards it creates to the group; the backup canister adds the fresh
    // shards it restores into. Granting replaces an earlier grant, so a redeploy is a no-op.
    for member in deployed.iter().filter(|d| {
        matches!(
            d.kind,
            CanisterKind::LoadBalancer | CanisterKind::BackupCanister
        )
    }) {
        let (granted,): (Result<(), Error>,) = update(
            agent,
            registry,
            "add_admin",
            (member.id, vec![Permission::ManageGroups]),
        )
        .await?;
        granted.map_err(|e| format!("add_admin {:?}: {e}", member.kind))?;
    }
    Ok(())
}

/// An id inside the runtime's (and PocketIC's) first application-subnet range, as the
/// effective canister id of a creation when no canister exists yet.
pub fn default_effective_id() -> Principal {
    Principal::from_text("lxzze-o7777-77777-aaaaa-cai").expect("valid principal")
}
