//! Operator alerts, as plain rules over the [`Store`]: the load balancer and the backup canister
//! raise them, admins list and acknowledge them.
//!
//! A canister that finds the same problem on every check (a shard that stays unhealthy) raises
//! it every time; while the alert is open, repeats are counted into it instead of opening new
//! ones. At most [`MAX_ALERTS`] are kept (the oldest goes first), and acknowledged alerts are
//! forgotten after [`ACKNOWLEDGED_RETENTION_NS`].

use candid::Principal;
use canister_kit::stored::Compact;
use ic_stable_structures::Memory;
use interfaces::notification::{
    Alert, AlertAck, AlertInput, AlertKind, AlertPage, AlertQuery, MAX_ALERT_MESSAGE_CHARS,
};
use interfaces::Error;
use security_base::limits;

use crate::model::AlertRecord;
use crate::store::*;

pub const MAX_ALERTS: u64 = 10_000;
pub const ACKNOWLEDGED_RETENTION_NS: u64 = 30 * NS_PER_DAY;
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

fn kind_code(kind: AlertKind) -> u8 {
    match kind {
        AlertKind::ShardUnhealthy => 0,
        AlertKind::BackupFailed => 1,
        AlertKind::CyclesLow => 2,
        AlertKind::Other => 3,
    }
}

fn open_key(
    alert_kind: AlertKind,
    raised_by: Principal,
    subject: Option<Principal>,
) -> (u8, Principal, Principal) {
    (
        kind_code(alert_kind),
        raised_by,
        subject.unwrap_or(Principal::anonymous()),
    )
}

impl<M: Memory> Store<M> {
    fn alert(&self, id: u64) -> Option<Alert> {
        self.alerts.get(&id).map(|a| a.0.to_alert(id))
    }

    fn put_alert(&mut self, alert: Alert) {
        self.alerts
            .insert(alert.id, Compact(AlertRecord::from(alert)));
    }

    /// Opens an alert, or counts a repeat into the open one; returns its id.
    pub fn raise_alert(
        &mut self,
        raised_by: Principal,
        input: AlertInput,
        now_ns: u64,
    ) -> Result<u64, Error> {
        limits::non_empty_text("message", &input.message, MAX_ALERT_MESSAGE_CHARS)?;
        let key = open_key(input.kind, raised_by, input.subject);
        if let Some(id) = self.open_alerts.get(&key) {
            if let Some(mut alert) = self.alert(id) {
                alert.count += 1;
                alert.last_raised_at_ns = now_ns;
                alert.message = input.message;
                alert.severity = alert.severity.max(input.severity);
                self.put_alert(alert);
                return Ok(id);
            }
        }
        while self.alerts.len() >= MAX_ALERTS {
            let Some((oldest, alert)) = self.alerts.first_key_value() else {
                break;
            };
            self.remove_alert(oldest, &alert.0.to_alert(oldest));
        }
        self.counters.next_alert_id += 1;
        let id = self.counters.next_alert_id;
        let alert = Alert {
            id,
            kind: input.kind,
            severity: input.severity,
            subject: input.subject,
            message: input.message,
            raised_by,
            first_raised_at_ns: now_ns,
            last_raised_at_ns: now_ns,
            count: 1,
            acknowledged: None,
        };
        self.put_alert(alert);
        self.open_alerts.insert(key, id);
        self.flush();
        Ok(id)
    }

    fn remove_alert(&mut self, id: u64, alert: &Alert) {
        self.alerts.remove(&id);
        let key = open_key(alert.kind, alert.raised_by, alert.subject);
        if self.open_alerts.get(&key) == Some(id) {
            self.open_alerts.remove(&key);
        }
    }

    /// Alerts, newest first.
    pub fn list_alerts(&self, query: &AlertQuery) -> Result<AlertPage, Error> {
        let limit = limits::page_size(query.limit, DEFAULT_PAGE, MAX_PAGE)? as usize;
        let below = query.cursor.unwrap_or(u64::MAX);
        let mut alerts: Vec<Alert> = self
            .alerts
            .range(..below)
            .rev()
            .map(|e| e.value().0.to_alert(*e.key()))
            .filter(|a| query.include_acknowledged || a.acknowledged.is_none())
            .take(limit + 1)
            .collect();
        let next_cursor = if alerts.len() > limit {
            alerts.truncate(limit);
            alerts.last().map(|a| a.id)
        } else {
            None
        };
        Ok(AlertPage {
            alerts,
            next_cursor,
        })
    }

    /// Closes an alert; acknowledging it again changes nothing. The next report of the same
    /// problem opens a new alert.
    pub fn acknowledge_alert(
        &mut self,
        id: u64,
        by: Principal,
        now_ns: u64,
    ) -> Result<Alert, Error> {
        let mut alert = self
            .alert(id)
            .ok_or_else(|| Error::not_found(format!("alert {id}")))?;
        if alert.acknowledged.is_none() {
            alert.acknowledged = Some(AlertAck { by, at_ns: now_ns });
            self.put_alert(alert.clone());
            let key = open_key(alert.kind, alert.raised_by, alert.subject);
            if self.open_alerts.get(&key) == Some(id) {
                self.open_alerts.remove(&key);
            }
        }
        Ok(alert)
    }

    /// Forgets alerts acknowledged more than [`ACKNOWLEDGED_RETENTION_NS`] ago, looking at no
    /// more than `max` alerts, oldest first.
    pub fn expire_alerts(&mut self, now_ns: u64, max: usize) {
        let cutoff = now_ns.saturating_sub(ACKNOWLEDGED_RETENTION_NS);
        let old: Vec<(u64, Alert)> = self
            .alerts
            .iter()
            .take(max)
            .map(|e| (*e.key(), e.value().0.to_alert(*e.key())))
            .filter(|(_, a)| a.acknowledged.is_some_and(|ack| ack.at_ns < cutoff))
            .collect();
        for (id, alert) in old {
            self.remove_alert(id, &alert);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests_support::store;
    use interfaces::notification::AlertSeverity;

    fn canister(n: u8) -> Principal {
        Principal::from_slice(&[n, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    }

    fn input(kind: AlertKind, subject: u8, message: &str) -> AlertInput {
        AlertInput {
            kind,
            severity: AlertSeverity::Warning,
            subject: Some(canister(subject)),
            message: message.into(),
        }
    }

    #[test]
    fn repeats_are_counted_into_the_open_alert_until_acknowledged() {
        let mut s = store();
        let lb = canister(1);
        let a = s
            .raise_alert(lb, input(AlertKind::ShardUnhealthy, 7, "down"), 10)
            .unwrap();
        let b = s
            .raise_alert(lb, input(AlertKind::ShardUnhealthy, 7, "still down"), 20)
            .unwrap();
        assert_eq!(a, b);
        // Another subject or kind is another alert.
        let c = s
            .raise_alert(lb, input(AlertKind::ShardUnhealthy, 8, "down"), 20)
            .unwrap();
        let d = s
            .raise_alert(lb, input(AlertKind::CyclesLow, 7, "low"), 20)
            .unwrap();
        assert_eq!(
            [a, c, d]
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            3
        );
        let page = s.list_alerts(&AlertQuery::default()).unwrap();
        assert_eq!(page.alerts.len(), 3);
        assert_eq!(page.alerts[0].id, d, "newest first");
        let first = page.alerts.iter().find(|x| x.id == a).unwrap();
        assert_eq!(
            (
                first.count,
                first.message.as_str(),
                first.first_raised_at_ns,
                first.last_raised_at_ns
            ),
            (2, "still down", 10, 20)
        );

        let admin = Principal::from_slice(&[9; 29]);
        let acked = s.acknowledge_alert(a, admin, 30).unwrap();
        assert_eq!(
            acked.acknowledged,
            Some(AlertAck {
                by: admin,
                at_ns: 30
            })
        );
        // Again: unchanged.
        assert_eq!(s.acknowledge_alert(a, user_of(2), 40).unwrap(), acked);
        let open = s.list_alerts(&AlertQuery::default()).unwrap();
        assert_eq!(open.alerts.len(), 2);
        let all = s
            .list_alerts(&AlertQuery {
                include_acknowledged: true,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(all.alerts.len(), 3);
        // The same problem again opens a new alert.
        let e = s
            .raise_alert(lb, input(AlertKind::ShardUnhealthy, 7, "down again"), 50)
            .unwrap();
        assert!(e > d);
        assert_eq!(
            s.acknowledge_alert(999, admin, 0),
            Err(Error::not_found("alert 999"))
        );
    }

    fn user_of(n: u8) -> Principal {
        Principal::from_slice(&[n; 29])
    }

    #[test]
    fn bad_messages_are_refused_and_acknowledged_alerts_expire() {
        let mut s = store();
        assert!(matches!(
            s.raise_alert(canister(1), input(AlertKind::Other, 1, " "), 0),
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            s.raise_alert(
                canister(1),
                input(
                    AlertKind::Other,
                    1,
                    &"x".repeat(MAX_ALERT_MESSAGE_CHARS + 1)
                ),
                0
            ),
            Err(Error::InvalidInput { .. })
        ));
        assert_eq!(s.alerts.len(), 0);
        let a = s
            .raise_alert(canister(1), input(AlertKind::BackupFailed, 2, "failed"), 0)
            .unwrap();
        let b = s
            .raise_alert(canister(1), input(AlertKind::BackupFailed, 3, "failed"), 0)
            .unwrap();
        s.acknowledge_alert(a, user_of(1), 100).unwrap();
        s.expire_alerts(100 + ACKNOWLEDGED_RETENTION_NS, 100);
        assert_eq!(s.alerts.len(), 2, "not yet past the retention");
        s.expire_alerts(101 + ACKNOWLEDGED_RETENTION_NS, 100);
        assert!(s.alerts.get(&a).is_none());
        assert!(s.alerts.get(&b).is_some(), "open alerts stay");
    }

    #[test]
    fn paging_walks_every_alert_once() {
        let mut s = store();
        for n in 0..25u8 {
            s.raise_alert(canister(1), input(AlertKind::CyclesLow, n, "low"), 0)
                .unwrap();
        }
        let mut seen = vec![];
        let mut cursor = None;
        loop {
            let page = s
                .list_alerts(&AlertQuery {
                    cursor,
                    limit: Some(10),
                    include_acknowledged: false,
                })
                .unwrap();
            seen.extend(page.alerts.iter().map(|a| a.id));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, (1..=25).rev().collect::<Vec<u64>>());
    }
}
