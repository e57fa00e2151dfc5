//! The configuration, the id counter, the statistics and the stored layout version: one small
//! record in its own cell, read and written as a whole, stored Candid (a later version may add
//! optional fields and still read what an older one wrote, as `layout` was added).
//!
//! [`Settings`] and [`CycleRecord`] have the Candid shape of the wire `BackupConfig` and
//! `CycleReport` that layout 1 first stored here (same field names and types), so that record
//! reads as it is; the conversions below are the boundary to `interfaces::backup`.

use candid::{CandidType, Deserialize};
use interfaces::backup::{BackupConfig, CycleReport};

#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub cycles_run: u64,
    pub snapshots_taken: u64,
    pub skipped_unchanged: u64,
    pub failures: u64,
    pub deleted_by_retention: u64,
}

/// How often backups run and what retention keeps (`store::check_config` says what is valid).
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub interval_secs: u64,
    pub keep_recent: u32,
    pub keep_daily: u32,
}

/// What one run of the timer did.
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct CycleRecord {
    pub started_at_ns: u64,
    pub finished_at_ns: u64,
    pub checked: u32,
    pub snapshots: Vec<u64>,
    pub unchanged: u32,
    pub failed: u32,
    pub deleted: u32,
}

#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    pub config: Settings,
    pub last_id: u64,
    pub counters: Counters,
    pub last_cycle: Option<CycleRecord>,
    pub last_alert_error: Option<String>,
    /// Bytes and chunks of complete snapshots held.
    pub stored_bytes: u64,
    pub stored_chunks: u64,
    /// Instructions of the last and the largest chunk-storing message.
    pub last_chunk_instructions: u64,
    pub max_chunk_instructions: u64,
    /// The stored layout version (`layout.rs`); `None` (0) in data written before it was stored.
    pub layout: Option<u32>,
}

/// The defaults are the interface's (`BackupConfig::default`), kept in one place.
impl Default for Settings {
    fn default() -> Self {
        BackupConfig::default().into()
    }
}

impl From<BackupConfig> for Settings {
    fn from(c: BackupConfig) -> Self {
        Settings {
            interval_secs: c.interval_secs,
            keep_recent: c.keep_recent,
            keep_daily: c.keep_daily,
        }
    }
}

impl From<Settings> for BackupConfig {
    fn from(s: Settings) -> Self {
        BackupConfig {
            interval_secs: s.interval_secs,
            keep_recent: s.keep_recent,
            keep_daily: s.keep_daily,
        }
    }
}

impl From<CycleReport> for CycleRecord {
    fn from(r: CycleReport) -> Self {
        CycleRecord {
            started_at_ns: r.started_at_ns,
            finished_at_ns: r.finished_at_ns,
            checked: r.checked,
            snapshots: r.snapshots,
            unchanged: r.unchanged,
            failed: r.failed,
            deleted: r.deleted,
        }
    }
}

impl From<CycleRecord> for CycleReport {
    fn from(r: CycleRecord) -> Self {
        CycleReport {
            started_at_ns: r.started_at_ns,
            finished_at_ns: r.finished_at_ns,
            checked: r.checked,
            snapshots: r.snapshots,
            unchanged: r.unchanged,
            failed: r.failed,
            deleted: r.deleted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::{decode_one, encode_one};

    /// The record as layout 1 first wrote it, with the wire types inside.
    #[derive(CandidType)]
    struct WireMeta {
        config: BackupConfig,
        last_id: u64,
        counters: Counters,
        last_cycle: Option<CycleReport>,
        last_alert_error: Option<String>,
        stored_bytes: u64,
        stored_chunks: u64,
        last_chunk_instructions: u64,
        max_chunk_instructions: u64,
        layout: Option<u32>,
    }

    #[test]
    fn the_record_written_with_the_wire_types_reads_as_it_was() {
        let config = BackupConfig {
            interval_secs: 600,
            keep_recent: 2,
            keep_daily: 3,
        };
        let cycle = CycleReport {
            started_at_ns: 1,
            finished_at_ns: 2,
            checked: 3,
            snapshots: vec![4, 5],
            unchanged: 6,
            failed: 7,
            deleted: 8,
        };
        let old = WireMeta {
            config,
            last_id: 9,
            counters: Counters {
                cycles_run: 10,
                ..Counters::default()
            },
            last_cycle: Some(cycle.clone()),
            last_alert_error: Some("no notification canister".into()),
            stored_bytes: 11,
            stored_chunks: 12,
            last_chunk_instructions: 13,
            max_chunk_instructions: 14,
            layout: Some(1),
        };
        let bytes = encode_one(&old).unwrap();
        let meta: Meta = decode_one(&bytes).unwrap();
        assert_eq!(BackupConfig::from(meta.config), config);
        assert_eq!(meta.last_cycle.clone().map(CycleReport::from), Some(cycle));
        assert_eq!(
            (meta.last_id, meta.counters.cycles_run, meta.layout),
            (9, 10, Some(1))
        );
        assert_eq!(encode_one(&meta).unwrap(), bytes, "the same bytes back");
        assert_eq!(Settings::default(), BackupConfig::default().into());
    }
}
