//! The suite's health as one row per canister: status, memory, cycles, requests and errors from
//! each canister's `health_check` (`interfaces::HealthReport`), printed as a table or JSON.
//!
//! Where later columns go: a row has `extra` columns (name → value) and `problems`. Probes that
//! need other canisters (the load balancer's shard load and health, the backup canister's last
//! snapshot age, the notification canister's open alerts) are added to [`probe_extras`] as
//! their endpoints land: each fills columns of the rows it knows about and pushes a problem
//! when something is wrong, and the table, the JSON and the exit status pick them up unchanged.

use std::collections::BTreeMap;

use candid::Principal;
use ic_agent::Agent;
use interfaces::HealthReport;
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

/// Later probes plug in here (see the module comment). None exists yet: the load balancer's
/// shard statistics, the backup canister's snapshot list and the notification canister's
/// alert endpoints are not part of their interfaces so far.
pub async fn probe_extras(_agent: &Agent, _rows: &mut [Row]) {}

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
}
