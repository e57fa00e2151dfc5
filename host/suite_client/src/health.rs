//! The suite's health as one row per canister: status, memory, cycles, requests and errors from
//! each canister's `health_check` (`interfaces::HealthReport`), printed as a table or JSON.
//!
//! A row also has `extra` columns (name → value) and `problems`, filled by [`probe_extras`] from
//! what the suite's own canisters know about each other: the load balancer's shard load and
//! health (`users`, `balancer`), the backup canister's last snapshot of each data canister
//! (`snapshot`, its age; readable by admins only, so only with the operator's identity), and
//! the notification canister's open operator alerts (`alerts`). An unhealthy shard, a failing
//! backup and an open alert are problems, so the exit status reports them.

use std::collections::BTreeMap;

use candid::Principal;
use ic_agent::Agent;
use interfaces::backup::{BackupStats, CanisterBackupState};
use interfaces::load_balancer::{LoadBalancerStats, ShardHealth, ShardStats};
use interfaces::notification::NotificationStats;
use interfaces::{Error, HealthReport};
use serde::Serialize;

/// One canister's health. `problems` empty means healthy.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub name: String,
    pub id: String,
    /// `running`, or `unreachable` when `health_check` failed.
    pub status: String,
    pub version: Option<String>,
    pub module_hash: Option<String>,
    pub heap_bytes: Option<u64>,
    pub stable_bytes: Option<u64>,
    pub cycles: Option<String>,
    pub requests: Option<u64>,
    pub errors: Option<u64>,
    pub uptime_s: Option<u64>,
    /// Columns added by later probes (shard load, snapshot age, alerts).
    pub extra: BTreeMap<String, String>,
    pub problems: Vec<String>,
}

impl Row {
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }
}

pub fn row(name: &str, id: Principal, health: Result<HealthReport, String>) -> Row {
    let mut r = Row {
        name: name.to_string(),
        id: id.to_text(),
        status: "unreachable".into(),
        version: None,
        module_hash: None,
        heap_bytes: None,
        stable_bytes: None,
        cycles: None,
        requests: None,
        errors: None,
        uptime_s: None,
        extra: BTreeMap::new(),
        problems: Vec::new(),
    };
    match health {
        Err(e) => r.problems.push(e),
        Ok(h) => {
            r.status = "running".into();
            r.version = Some(h.version);
            r.module_hash = h.module_hash.as_ref().map(|m| crate::connect::hex(m));
            r.heap_bytes = Some(h.heap_memory_bytes);
            r.stable_bytes = Some(h.stable_memory_bytes);
            r.cycles = Some(h.cycles_balance.0.to_string());
            r.requests = Some(h.requests);
            r.errors = Some(h.errors);
            r.uptime_s = Some(h.uptime_ns / 1_000_000_000);
            if h.module_hash.is_none() {
                r.problems.push(match h.module_hash_error {
                    Some(e) => format!("module hash unknown: {e}"),
                    None => "module hash not yet known".into(),
                });
            }
            if h.canister.name() != name && !name.starts_with(h.canister.name()) {
                r.problems.push(format!(
                    "answered as {} (expected {name})",
                    h.canister.name()
                ));
            }
        }
    }
    r
}

/// Asks one canister for its `health_check` (a query).
pub async fn check(agent: &Agent, id: Principal) -> Result<HealthReport, String> {
    let bytes = agent
        .query(&id, "health_check")
        .with_arg(candid::encode_args(()).expect("empty args"))
        .call()
        .await
        .map_err(describe)?;
    candid::decode_one(&bytes).map_err(|e| format!("health_check reply: {e}"))
}

/// A short reason for the table: "IC0508: Canister ... is stopped" rather than the agent's
/// full error text.
pub fn describe(e: ic_agent::AgentError) -> String {
    use ic_agent::AgentError;
    match e {
        AgentError::CertifiedReject { reject, .. }
        | AgentError::UncertifiedReject { reject, .. } => {
            format!(
                "{}: {}",
                reject.error_code.as_deref().unwrap_or("reject"),
                reject.reject_message
            )
        }
        other => other.to_string(),
    }
}

/// Health of every named canister, in order.
pub async fn collect(agent: &Agent, canisters: &[(String, Principal)]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (name, id) in canisters {
        rows.push(row(name, *id, check(agent, *id).await));
    }
    probe_extras(agent, &mut rows).await;
    rows
}

/// The columns and problems that come from other canisters' views (see the module comment).
/// A probe whose canister is not in `rows`, or that is refused, adds nothing.
pub async fn probe_extras(agent: &Agent, rows: &mut Vec<Row>) {
    if let Some(balancer) = id_of(rows, "load_balancer") {
        match crate::calls::query(agent, balancer, "get_load_balancer_stats", ()).await {
            Ok((stats,)) => {
                // Shards the balancer created are not in the ids file: check them too.
                let stats: LoadBalancerStats = stats;
                for shard in &stats.shards {
                    if !rows.iter().any(|r| r.id == shard.shard.to_text()) && shard.in_group {
                        rows.push(row(
                            "calendar",
                            shard.shard,
                            check(agent, shard.shard).await,
                        ));
                    }
                }
                apply_balancer(rows, &stats.shards);
            }
            Err(e) => push_problem(rows, balancer, format!("shard statistics: {e}")),
        }
    }
    if let Some(notification) = id_of(rows, "notification") {
        match crate::calls::query(agent, notification, "get_notification_stats", ()).await {
            Ok((stats,)) => {
                let stats: NotificationStats = stats;
                apply_alerts(rows, notification, stats.open_alerts)
            }
            Err(e) => push_problem(rows, notification, format!("alert count: {e}")),
        }
    }
    if let Some(backup) = id_of(rows, "backup_canister") {
        // Admins only: with another identity the column stays empty rather than failing.
        if let Ok((Ok(stats),)) = crate::calls::query::<_, (Result<BackupStats, Error>,)>(
            agent,
            backup,
            "get_backup_stats",
            (),
        )
        .await
        {
            let now_ns = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            apply_backups(rows, &stats.canisters, now_ns);
        }
    }
}

fn id_of(rows: &[Row], name: &str) -> Option<Principal> {
    rows.iter()
        .find(|r| r.name == name)
        .and_then(|r| Principal::from_text(&r.id).ok())
}

fn row_mut(rows: &mut [Row], id: Principal) -> Option<&mut Row> {
    let id = id.to_text();
    rows.iter_mut().find(|r| r.id == id)
}

fn push_problem(rows: &mut [Row], id: Principal, problem: String) {
    if let Some(r) = row_mut(rows, id) {
        r.problems.push(problem);
    }
}

/// `users` (assigned / capacity) and `balancer` (the balancer's verdict) on each shard's row.
fn apply_balancer(rows: &mut [Row], shards: &[ShardStats]) {
    for shard in shards {
        let Some(r) = row_mut(rows, shard.shard) else {
            continue;
        };
        r.extra.insert(
            "users".into(),
            format!("{}/{}", shard.users, shard.capacity),
        );
        let verdict = match shard.health {
            ShardHealth::Healthy if shard.retired => "retired",
            ShardHealth::Healthy => "healthy",
            ShardHealth::Unhealthy => "unhealthy",
        };
        r.extra.insert("balancer".into(), verdict.into());
        if shard.health == ShardHealth::Unhealthy {
            r.problems.push(format!(
                "load balancer: unhealthy after {} failed checks{}",
                shard.consecutive_failures,
                shard
                    .last_error
                    .as_ref()
                    .map_or(String::new(), |e| format!(" ({e})"))
            ));
        }
    }
}

/// `alerts` on the notification canister's row; an open alert is a problem until an admin
/// acknowledges it.
fn apply_alerts(rows: &mut [Row], notification: Principal, open_alerts: u64) {
    if let Some(r) = row_mut(rows, notification) {
        r.extra.insert("alerts".into(), open_alerts.to_string());
        if open_alerts > 0 {
            r.problems
                .push(format!("{open_alerts} open operator alert(s): list_alerts"));
        }
    }
}

/// `snapshot` (age of the last complete snapshot) on each data canister's row; a canister
/// whose last backup attempt failed has a problem.
fn apply_backups(rows: &mut [Row], canisters: &[CanisterBackupState], now_ns: u64) {
    for state in canisters {
        let Some(r) = row_mut(rows, state.canister) else {
            continue;
        };
        let age = state.last_snapshot_at_ns.map_or("none".into(), |at| {
            let s = now_ns.saturating_sub(at) / 1_000_000_000;
            format!("{}m{:02}s ago", s / 60, s % 60)
        });
        r.extra.insert("snapshot".into(), age);
        if let Some(e) = &state.last_error {
            r.problems.push(format!("backup failed: {e}"));
        }
    }
}

fn mib(b: Option<u64>) -> String {
    b.map_or("-".into(), |b| {
        format!("{:.1}", b as f64 / (1024.0 * 1024.0))
    })
}

fn tcycles(c: &Option<String>) -> String {
    c.as_ref()
        .and_then(|c| c.parse::<f64>().ok())
        .map_or("-".into(), |c| format!("{:.2}", c / 1e12))
}

/// The table: one line per canister, extra columns after the fixed ones, problems last.
pub fn table(rows: &[Row]) -> String {
    let extras: Vec<String> = rows
        .iter()
        .flat_map(|r| r.extra.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out = format!(
        "{:<18} {:<28} {:<12} {:>9} {:>10} {:>9} {:>9} {:>7}",
        "canister", "id", "status", "heap MiB", "stable MiB", "T cycles", "requests", "errors"
    );
    for e in &extras {
        out.push_str(&format!(" {e:>12}"));
    }
    out.push_str("  problems\n");
    for r in rows {
        out.push_str(&format!(
            "{:<18} {:<28} {:<12} {:>9} {:>10} {:>9} {:>9} {:>7}",
            r.name,
            r.id,
            if r.healthy() {
                r.status.clone()
            } else {
                format!("{}!", r.status)
            },
            mib(r.heap_bytes),
            mib(r.stable_bytes),
            tcycles(&r.cycles),
            r.requests.map_or("-".into(), |n| n.to_string()),
            r.errors.map_or("-".into(), |n| n.to_string()),
        ));
        for e in &extras {
            out.push_str(&format!(
                " {:>12}",
                r.extra.get(e).map(String::as_str).unwrap_or("-")
            ));
        }
        out.push_str("  ");
        out.push_str(&r.problems.join("; "));
        out.push('\n');
    }
    let bad = rows.iter().filter(|r| !r.healthy()).count();
    out.push_str(&if bad == 0 {
        format!("all {} canisters healthy\n", rows.len())
    } else {
        format!(
            "{bad} of {} canisters unhealthy or unreachable\n",
            rows.len()
        )
    });
    out
}

pub fn json(rows: &[Row]) -> String {
    #[derive(Serialize)]
    struct Report<'a> {
        healthy: bool,
        canisters: &'a [Row],
    }
    serde_json::to_string_pretty(&Report {
        healthy: rows.iter().all(Row::healthy),
        canisters: rows,
    })
    .expect("rows serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use interfaces::CanisterKind;

    fn report(module_hash: Option<Vec<u8>>) -> HealthReport {
        HealthReport {
            canister: CanisterKind::Calendar,
            version: "0.1.0".into(),
            module_hash,
            module_hash_error: None,
            canister_version: 1,
            heap_memory_bytes: 2 * 1024 * 1024,
            stable_memory_bytes: 0,
            cycles_balance: candid::Nat::from(3_000_000_000_000u64),
            now_ns: 10,
            started_at_ns: 0,
            uptime_ns: 5_000_000_000,
            requests: 4,
            errors: 1,
        }
    }

    #[test]
    fn unreachable_and_hashless_canisters_are_unhealthy() {
        let id = Principal::anonymous();
        let ok = row("calendar", id, Ok(report(Some(vec![1, 2]))));
        let no_hash = row("calendar", id, Ok(report(None)));
        let down = row("calendar", id, Err("IC0508: stopped".into()));
        assert!(ok.healthy());
        assert!(!no_hash.healthy());
        assert_eq!(down.status, "unreachable");
        let t = table(&[ok, down]);
        assert!(t.contains("2.0"), "{t}");
        assert!(t.contains("1 of 2 canisters unhealthy"), "{t}");
        assert!(json(&[no_hash]).contains("\"healthy\": false"));
    }

    fn shard(id: Principal, health: ShardHealth) -> ShardStats {
        ShardStats {
            shard: id,
            users: 7,
            capacity: 100,
            health,
            in_group: true,
            retired: false,
            created_by_balancer: false,
            latency_avg_ns: None,
            last_latency_ns: None,
            consecutive_failures: 3,
            consecutive_successes: 0,
            checks: 9,
            failures: 3,
            last_check_ns: None,
            last_error: Some("IC0508: stopped".into()),
            emergency_backup: None,
            alert: None,
        }
    }

    #[test]
    fn the_balancer_backups_and_alerts_fill_columns_and_report_problems() {
        let a = Principal::from_slice(&[1]);
        let b = Principal::from_slice(&[2]);
        let n = Principal::from_slice(&[3]);
        let notification_report = HealthReport {
            canister: CanisterKind::Notification,
            ..report(Some(vec![1]))
        };
        let mut rows = vec![
            row("calendar", a, Ok(report(Some(vec![1])))),
            row("calendar", b, Ok(report(Some(vec![1])))),
            row("notification", n, Ok(notification_report.clone())),
        ];
        apply_balancer(
            &mut rows,
            &[
                shard(a, ShardHealth::Healthy),
                shard(b, ShardHealth::Unhealthy),
            ],
        );
        assert_eq!(rows[0].extra["users"], "7/100");
        assert!(rows[0].healthy());
        assert_eq!(rows[1].extra["balancer"], "unhealthy");
        assert!(
            rows[1].problems[0].contains("3 failed checks"),
            "{:?}",
            rows[1].problems
        );

        let backed_up = |canister, at: Option<u64>, error: Option<&str>| CanisterBackupState {
            canister,
            kind: CanisterKind::Calendar,
            last_snapshot_id: at.map(|_| 1),
            last_data_version: None,
            last_snapshot_at_ns: at,
            last_error: error.map(str::to_string),
        };
        let now = 1_000 * 1_000_000_000;
        apply_backups(
            &mut rows,
            &[
                backed_up(a, Some(now - 125 * 1_000_000_000), None),
                backed_up(n, None, Some("export_begin: stopped")),
            ],
            now,
        );
        assert_eq!(rows[0].extra["snapshot"], "2m05s ago");
        assert!(rows[0].healthy());
        assert_eq!(rows[2].extra["snapshot"], "none");
        assert_eq!(rows[2].problems, ["backup failed: export_begin: stopped"]);

        let mut quiet = vec![row("notification", n, Ok(notification_report))];
        apply_alerts(&mut quiet, n, 0);
        assert!(quiet[0].healthy());
        apply_alerts(&mut quiet, n, 2);
        assert_eq!(quiet[0].extra["alerts"], "2");
        assert!(!quiet[0].healthy());
        assert!(table(&quiet).contains("2 open operator alert(s)"));
    }
}
