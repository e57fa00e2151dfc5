//! An operator alert as stored: this canister's own record, stored `Compact` (postcard), so the
//! order of fields and of enum variants here IS the stored layout (a change is a new layout
//! version in `layout.rs`). Its id is the map's key. The wire `Alert` converts to and from it
//! at the boundary.

use candid::Principal;
use interfaces::notification::{Alert, AlertAck, AlertKind, AlertSeverity};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AlertRecord {
    pub kind: Kind,
    pub severity: Severity,
    pub subject: Option<Principal>,
    /// The latest message.
    pub message: String,
    pub raised_by: Principal,
    pub first_raised_at_ns: u64,
    pub last_raised_at_ns: u64,
    pub count: u64,
    /// Who acknowledged it, and when.
    pub acknowledged: Option<(Principal, u64)>,
}

/// What an alert is about, in the stored order.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ShardUnhealthy,
    BackupFailed,
    CyclesLow,
    Other,
}

/// How bad it is, in the stored order.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl From<AlertKind> for Kind {
    fn from(k: AlertKind) -> Self {
        match k {
            AlertKind::ShardUnhealthy => Kind::ShardUnhealthy,
            AlertKind::BackupFailed => Kind::BackupFailed,
            AlertKind::CyclesLow => Kind::CyclesLow,
            AlertKind::Other => Kind::Other,
        }
    }
}

impl From<Kind> for AlertKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::ShardUnhealthy => AlertKind::ShardUnhealthy,
            Kind::BackupFailed => AlertKind::BackupFailed,
            Kind::CyclesLow => AlertKind::CyclesLow,
            Kind::Other => AlertKind::Other,
        }
    }
}

impl From<AlertSeverity> for Severity {
    fn from(s: AlertSeverity) -> Self {
        match s {
            AlertSeverity::Info => Severity::Info,
            AlertSeverity::Warning => Severity::Warning,
            AlertSeverity::Critical => Severity::Critical,
        }
    }
}

impl From<Severity> for AlertSeverity {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Info => AlertSeverity::Info,
            Severity::Warning => AlertSeverity::Warning,
            Severity::Critical => AlertSeverity::Critical,
        }
    }
}

impl From<Alert> for AlertRecord {
    fn from(a: Alert) -> Self {
        AlertRecord {
            kind: a.kind.into(),
            severity: a.severity.into(),
            subject: a.subject,
            message: a.message,
            raised_by: a.raised_by,
            first_raised_at_ns: a.first_raised_at_ns,
            last_raised_at_ns: a.last_raised_at_ns,
            count: a.count,
            acknowledged: a.acknowledged.map(|ack| (ack.by, ack.at_ns)),
        }
    }
}

impl AlertRecord {
    /// The wire alert with id `id` (the map's key).
    pub fn to_alert(&self, id: u64) -> Alert {
        Alert {
            id,
            kind: self.kind.into(),
            severity: self.severity.into(),
            subject: self.subject,
            message: self.message.clone(),
            raised_by: self.raised_by,
            first_raised_at_ns: self.first_raised_at_ns,
            last_raised_at_ns: self.last_raised_at_ns,
            count: self.count,
            acknowledged: self.acknowledged.map(|(by, at_ns)| AlertAck { by, at_ns }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_round_trips_through_its_record() {
        let alert = Alert {
            id: 7,
            kind: AlertKind::CyclesLow,
            severity: AlertSeverity::Warning,
            subject: Some(Principal::from_slice(&[1; 10])),
            message: "low".into(),
            raised_by: Principal::from_slice(&[2; 10]),
            first_raised_at_ns: 1,
            last_raised_at_ns: 2,
            count: 3,
            acknowledged: Some(AlertAck {
                by: Principal::from_slice(&[3; 10]),
                at_ns: 4,
            }),
        };
        assert_eq!(AlertRecord::from(alert.clone()).to_alert(7), alert);
    }
}
