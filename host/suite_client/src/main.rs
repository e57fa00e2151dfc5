//! `suite`: the project's client of the calendar suite on any IC network.
//!
//! ```text
//! suite [--network local|ic|URL] [--identity PEM] [--root-key HEX] COMMAND
//!   whoami                                   the identity's principal
//!   create [--controller P]... [--cycles N] [--effective-id P]
//!   install CANISTER WASM [--arg CANDID] [--mode install|reinstall|upgrade]
//!   call CANISTER METHOD [CANDID] [--query|--update] [--did FILE]
//!   status CANISTER | start CANISTER | stop CANISTER
//!   health [--ids FILE] [--json] [CANISTER...]
//!   setup-group --registry ID [--group G] KIND=ID...
//!   deploy-suite --wasm-dir DIR --ids FILE [--controller P]... [--strategy S] [--backup-interval SECS]
//!   wire-suite --wasm-dir DIR --ids FILE [--strategy S] [--backup-interval SECS]
//! ```
//!
//! CANISTER is a principal or a name looked up in `--ids FILE` (dfx's `canister_ids.json`
//! shape; `--ids-network` picks the network entry, default `local`). Exit status: 0 on success,
//! 1 on failure (for `health`: when any canister is unhealthy or unreachable), 2 on usage.

use std::path::PathBuf;
use std::process::ExitCode;

use candid::Principal;
use interfaces::CanisterKind;
use suite_client::{candid_text, connect, health, ids, manage, registry, Target};

const USAGE: &str = "usage: suite [--network local|ic|URL] [--identity PEM] [--root-key HEX] [--ids FILE] [--ids-network NAME] COMMAND
commands:
  whoami
  create [--controller P]... [--cycles N] [--effective-id P]
  install CANISTER WASM [--arg CANDID] [--mode install|reinstall|upgrade]
  call CANISTER METHOD [CANDID] [--query|--update] [--did FILE]
  status CANISTER | start CANISTER | stop CANISTER
  health [--json] [CANISTER...]            (default: every canister in --ids)
  setup-group --registry CANISTER [--group G] KIND=CANISTER...
  deploy-suite --wasm-dir DIR [--controller P]... [--strategy S] [--backup-interval SECS]   (needs --ids)
  wire-suite --wasm-dir DIR [--strategy S] [--backup-interval SECS]   (needs --ids; after `icp deploy`)";

/// Command-line options: global ones, then the command and its own.
struct Args {
    positional: Vec<String>,
    options: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Args {
    fn parse(raw: &[String]) -> Result<Args, String> {
        const SWITCHES: &[&str] = &["--json", "--query", "--update"];
        let mut a = Args {
            positional: Vec::new(),
            options: Vec::new(),
            switches: Vec::new(),
        };
        let mut it = raw.iter();
        while let Some(x) = it.next() {
            if SWITCHES.contains(&x.as_str()) {
                a.switches.push(x.clone());
            } else if x.starts_with("--") {
                let v = it.next().ok_or(format!("{x} needs a value"))?;
                a.options.push((x.clone(), v.clone()));
            } else {
                a.positional.push(x.clone());
            }
        }
        Ok(a)
    }
    fn opt(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn all(&self, name: &str) -> Vec<&str> {
        self.options
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let args = match Args::parse(&raw) {
        Ok(a) if !a.positional.is_empty() => a,
        Ok(_) => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn principal(text: &str) -> Result<Principal, String> {
    Principal::from_text(text).map_err(|e| format!("{text}: {e}"))
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let mut target = Target::parse(args.opt("--network").unwrap_or("local"));
    if let Some(key) = args.opt("--root-key") {
        target.root_key = Some(Some(connect::hex_decode(key)?));
    }
    let identity = connect::identity(args.opt("--identity").map(std::path::Path::new))?;
    let ids_file = args.opt("--ids").map(PathBuf::from);
    let ids_network = args.opt("--ids-network").unwrap_or("local").to_string();
    let named = |name: &str| -> Result<Principal, String> {
        if let Ok(p) = Principal::from_text(name) {
            return Ok(p);
        }
        let file = ids_file.as_ref().ok_or(format!(
            "{name} is not a principal and no --ids file was given"
        ))?;
        ids::read(file, &ids_network)?
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id)
            .ok_or(format!("{name} is not in {}", file.display()))
    };
    let pos = &args.positional;
    let need = |i: usize, what: &str| {
        pos.get(i)
            .cloned()
            .ok_or(format!("missing {what}\n{USAGE}"))
    };

    if pos[0] == "whoami" {
        println!("{}", identity.sender()?);
        return Ok(ExitCode::SUCCESS);
    }
    let agent = connect::connect(&target, identity).await?;
    let me = agent.get_principal()?;
    match pos[0].as_str() {
        "create" => {
            if target.is_mainnet() {
                return Err("mainnet canisters are created with dfx or icp (cycles ledger)".into());
            }
            let mut controllers = args
                .all("--controller")
                .into_iter()
                .map(principal)
                .collect::<Result<Vec<_>, _>>()?;
            if controllers.is_empty() {
                controllers.push(me);
            }
            let cycles = args
                .opt("--cycles")
                .map(|c| c.parse::<u128>().map_err(|e| format!("--cycles: {e}")))
                .transpose()?;
            let near = match args.opt("--effective-id") {
                Some(p) => principal(p)?,
                None => registry::default_effective_id(),
            };
            println!(
                "{}",
                manage::create_canister(&agent, near, controllers, cycles).await?
            );
        }
        "install" => {
            let id = named(&need(1, "CANISTER")?)?;
            let path = need(2, "WASM")?;
            let wasm = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
            let arg = candid_text::encode(args.opt("--arg").unwrap_or("()"), None)?;
            let mode = manage::Mode::parse(args.opt("--mode").unwrap_or("install"))?;
            manage::install(&agent, id, &wasm, arg, mode).await?;
            println!("{mode:?} of {path} into {id}: done");
        }
        "call" => {
            let id = named(&need(1, "CANISTER")?)?;
            let method = need(2, "METHOD")?;
            let text = pos.get(3).cloned().unwrap_or_default();
            let did = args
                .opt("--did")
                .map(|p| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}")))
                .transpose()?;
            let query = match (args.switch("--query"), args.switch("--update")) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            println!(
                "{}",
                candid_text::call(&agent, id, &method, &text, did.as_deref(), query).await?
            );
        }
        "status" => {
            let id = named(&need(1, "CANISTER")?)?;
            let s = manage::status(&agent, id).await?;
            println!(
                "status: {:?}\nmodule hash: {}\ncontrollers: {}\nmemory: {} bytes\ncycles: {}",
                s.status,
                s.module_hash.map_or("none".into(), |h| connect::hex(&h)),
                s.settings
                    .controllers
                    .iter()
                    .map(|p| p.to_text())
                    .collect::<Vec<_>>()
                    .join(", "),
                s.memory_size,
                s.cycles
            );
        }
        "start" => manage::start(&agent, named(&need(1, "CANISTER")?)?).await?,
        "stop" => manage::stop(&agent, named(&need(1, "CANISTER")?)?).await?,
        "health" => {
            let canisters = if pos.len() > 1 {
                pos[1..]
                    .iter()
                    .map(|n| named(n).map(|id| (n.clone(), id)))
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                let file = ids_file.as_ref().ok_or("health needs canisters or --ids")?;
                ids::read(file, &ids_network)?
            };
            let rows = health::collect(&agent, &canisters).await;
            let text = if args.switch("--json") {
                health::json(&rows) + "\n"
            } else {
                health::table(&rows)
            };
            // A closed pipe (`| head`) is not an error of the health check.
            let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
            if !rows.iter().all(health::Row::healthy) {
                return Ok(ExitCode::FAILURE);
            }
        }
        "setup-group" => {
            let reg = named(args.opt("--registry").ok_or("--registry is required")?)?;
            let group = args.opt("--group").unwrap_or(registry::GROUP_ID);
            let mut members = Vec::new();
            for m in &pos[1..] {
                let (kind, id) = m
                    .split_once('=')
                    .ok_or(format!("{m}: expected KIND=CANISTER"))?;
                let kind = CanisterKind::ALL
                    .into_iter()
                    .find(|k| k.name() == kind)
                    .ok_or(format!("{kind}: not a canister kind"))?;
                members.push((kind, named(id)?, None));
            }
            let info = registry::setup_group(&agent, reg, group, &members).await?;
            println!("group {} version {}:", info.group_id, info.version);
            for m in info.members {
                println!(
                    "  {:<18} {:<28} key delivered: {}",
                    m.canister_type.name(),
                    m.principal,
                    m.has_key
                );
            }
        }
        "deploy-suite" | "wire-suite" => {
            let wasm_dir = PathBuf::from(args.opt("--wasm-dir").unwrap_or("target/canisters"));
            let file = ids_file.as_ref().ok_or("deploy-suite needs --ids FILE")?;
            let mut controllers = args
                .all("--controller")
                .into_iter()
                .map(principal)
                .collect::<Result<Vec<_>, _>>()?;
            if !controllers.contains(&me) {
                controllers.push(me);
            }
            let config = registry::ServiceConfig {
                strategy: args
                    .opt("--strategy")
                    .map(registry::parse_strategy)
                    .transpose()?,
                backup_interval_secs: args
                    .opt("--backup-interval")
                    .map(|s| {
                        s.parse::<u64>()
                            .map_err(|e| format!("--backup-interval {s}: {e}"))
                    })
                    .transpose()?,
            };
            let registry::SuiteDeployment {
                deployed,
                group,
                balancer,
                backup,
            } = if pos[0] == "wire-suite" {
                registry::wire_suite(&agent, &wasm_dir, file, &ids_network, &config).await?
            } else {
                registry::deploy_suite(&agent, &wasm_dir, file, &ids_network, controllers, &config)
                    .await?
            };
            for d in &deployed {
                println!(
                    "{:<18} {:<28} {}",
                    d.kind.name(),
                    d.id,
                    match (d.created, pos[0].as_str()) {
                        (true, _) => "created and installed",
                        (false, "wire-suite") if d.kind != CanisterKind::Frontend => "wired",
                        (false, _) => "upgraded",
                    }
                );
            }
            println!(
                "group {} version {}: {} members, keys delivered to {}",
                group.group_id,
                group.version,
                group.members.len(),
                group.members.iter().filter(|m| m.has_key).count()
            );
            println!(
                "load balancer: {:?}, health checks every {} s; backups every {} s, keeping {} recent and {} daily",
                balancer.strategy,
                balancer.health_check_interval_seconds,
                backup.interval_secs,
                backup.keep_recent,
                backup.keep_daily
            );
        }
        other => return Err(format!("unknown command {other}\n{USAGE}")),
    }
    Ok(ExitCode::SUCCESS)
}
