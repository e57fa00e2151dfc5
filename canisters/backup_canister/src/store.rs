//! The backup canister's stored state and its rules, over stable structures and free of any
//! system call (time comes in as `now_ns`), so it is unit-tested natively.
//!
//! A snapshot is taken in steps that span several messages: [`Store::begin`] reserves it
//! (refusing a second pull of the same canister while one runs), [`Store::set_manifest`] records
//! what the source staged, [`Store::put_chunk`] stores each pulled chunk, and
//! [`Store::complete`] compares the SHA-256 over the pulled stream with the source's, or
//! [`Store::fail`] deletes whatever was stored. Only complete snapshots count as the
//! canister's last snapshot, are listed for recovery and are subject to retention.

use std::collections::BTreeMap;

use candid::Principal;
use canister_kit::stored::{Candid, Compact};
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use interfaces::backup::{
    BackupConfig, BackupStats, CanisterBackupState, CycleReport, SnapshotInfo, SnapshotPage,
    SnapshotQuery, SnapshotStatus, SnapshotTrigger, VerifyReport, DEFAULT_PAGE, MAX_CHUNK_BYTES,
    MAX_PAGE,
};
use interfaces::snapshot::SnapshotManifest;
use interfaces::{CanisterKind, Error, InputProblem};
use sha2::{Digest, Sha256};

use crate::model::snapshot::Status;
use crate::model::{CanisterRecord, Meta, SnapshotRecord};
use crate::retention;

/// Longest interval between timer runs (a day), and the shortest (a minute).
const MAX_INTERVAL_SECS: u64 = 24 * 60 * 60;
const MIN_INTERVAL_SECS: u64 = 60;
/// Retention counts must keep at least the newest snapshot, and stay bounded.
const MAX_KEEP: u32 = 1_000;
/// Characters of a stored error reason.
const MAX_REASON_CHARS: usize = 500;

pub struct Memories<M> {
    pub meta: M,
    pub snapshots: M,
    pub chunks: M,
    pub canisters: M,
}

pub struct Store<M: Memory> {
    meta: StableCell<Candid<Meta>, M>,
    snapshots: StableBTreeMap<u64, Compact<SnapshotRecord>, M>,
    chunks: StableBTreeMap<(u64, u32), Vec<u8>, M>,
    canisters: StableBTreeMap<Principal, Compact<CanisterRecord>, M>,
}

fn truncate(reason: &str) -> String {
    reason.chars().take(MAX_REASON_CHARS).collect()
}

fn malformed(field: &str, reason: &str) -> Error {
    Error::invalid(
        field,
        InputProblem::Malformed {
            reason: reason.to_string(),
        },
    )
}

/// The SHA-256 and per-chunk check of a stored snapshot, given a way to read chunk `i`.
pub fn hash_chunks(info: &SnapshotInfo, chunk: impl Fn(u32) -> Option<Vec<u8>>) -> VerifyReport {
    let mut hasher = Sha256::new();
    let mut bad_chunks = Vec::new();
    let mut bytes_checked = 0u64;
    for i in 0..info.chunk_count {
        let want = expected_len(info.total_bytes, info.chunk_bytes, i);
        match chunk(i) {
            Some(bytes) => {
                if bytes.len() as u64 != want {
                    bad_chunks.push(i);
                }
                bytes_checked += bytes.len() as u64;
                hasher.update(&bytes);
            }
            None => bad_chunks.push(i),
        }
    }
    let actual = hasher.finalize().to_vec();
    VerifyReport {
        snapshot_id: info.id,
        ok: bad_chunks.is_empty() && actual == info.sha256,
        expected_sha256: info.sha256.clone(),
        actual_sha256: actual,
        chunks_checked: info.chunk_count,
        bytes_checked,
        bad_chunks,
    }
}

/// Length of chunk `index` of a stream of `total` bytes cut into `chunk_bytes` pieces.
pub fn expected_len(total: u64, chunk_bytes: u32, index: u32) -> u64 {
    let start = u64::from(index) * u64::from(chunk_bytes);
    total.saturating_sub(start).min(u64::from(chunk_bytes))
}

/// A manifest the backup canister can store and push: chunks within the limit, a count that
/// fits the size, a 32-byte hash.
pub fn check_manifest(m: &SnapshotManifest) -> Result<(), Error> {
    if m.chunk_bytes == 0 || m.chunk_bytes > MAX_CHUNK_BYTES {
        return Err(malformed(
            "chunk_bytes",
            "must be between 1 byte and 1.5 MiB",
        ));
    }
    if u64::from(m.chunk_count) != m.total_bytes.div_ceil(u64::from(m.chunk_bytes)) {
        return Err(malformed("chunk_count", "does not fit total_bytes"));
    }
    if m.sha256.len() != 32 {
        return Err(malformed("sha256", "must be 32 bytes"));
    }
    Ok(())
}

pub fn check_config(c: &BackupConfig) -> Result<(), Error> {
    if !(MIN_INTERVAL_SECS..=MAX_INTERVAL_SECS).contains(&c.interval_secs) {
        return Err(malformed("interval_secs", "must be between 60 and 86400"));
    }
    if c.keep_recent == 0 || c.keep_recent > MAX_KEEP {
        return Err(malformed("keep_recent", "must be between 1 and 1000"));
    }
    if c.keep_daily > MAX_KEEP {
        return Err(malformed("keep_daily", "must be at most 1000"));
    }
    Ok(())
}

impl<M: Memory> Store<M> {
    pub fn init(m: Memories<M>) -> Self {
        Store {
            meta: StableCell::init(m.meta, Candid(Meta::default())),
            snapshots: StableBTreeMap::init(m.snapshots),
            chunks: StableBTreeMap::init(m.chunks),
            canisters: StableBTreeMap::init(m.canisters),
        }
    }

    pub fn meta(&self) -> &Meta {
        &self.meta.get().0
    }

    fn update_meta(&mut self, f: impl FnOnce(&mut Meta)) {
        let mut meta = self.meta.get().0.clone();
        f(&mut meta);
        self.meta.set(Candid(meta));
    }

    /// The stored layout version (`layout.rs`); 0 before it was stored.
    pub fn layout(&self) -> u32 {
        self.meta().layout.unwrap_or(0)
    }

    pub fn set_layout(&mut self, layout: u32) {
        self.update_meta(|m| m.layout = Some(layout));
    }

    pub fn config(&self) -> BackupConfig {
        self.meta().config.into()
    }

    pub fn set_config(&mut self, config: BackupConfig) -> Result<(), Error> {
        check_config(&config)?;
        self.update_meta(|m| m.config = config.into());
        Ok(())
    }

    pub fn snapshot(&self, id: u64) -> Option<SnapshotInfo> {
        self.snapshots.get(&id).map(|s| s.0.into_info(id))
    }

    pub fn canister(&self, canister: &Principal) -> Option<CanisterRecord> {
        self.canisters.get(canister).map(|c| c.0)
    }

    fn update_canister(
        &mut self,
        canister: Principal,
        kind: CanisterKind,
        f: impl FnOnce(&mut CanisterRecord),
    ) {
        let mut record = self
            .canister(&canister)
            .unwrap_or_else(|| CanisterRecord::new(kind));
        f(&mut record);
        self.canisters.insert(canister, Compact(record));
    }

    fn set_snapshot(&mut self, info: SnapshotInfo) {
        self.snapshots
            .insert(info.id, Compact(SnapshotRecord::from(info)));
    }

    /// Whether `canister` at `data_version` needs a snapshot: it has none yet, or its last
    /// complete one was taken at another version.
    pub fn needs_snapshot(&self, canister: &Principal, data_version: u64) -> bool {
        self.canister(canister).and_then(|c| c.last_data_version) != Some(data_version)
    }

    pub fn note_unchanged(&mut self) {
        self.update_meta(|m| m.counters.skipped_unchanged += 1);
    }

    /// Reserves a new snapshot of `canister`; `Conflict` while another pull of it runs (two
    /// exports of one source would replace each other's staging copy).
    pub fn begin(
        &mut self,
        canister: Principal,
        kind: CanisterKind,
        trigger: SnapshotTrigger,
        now_ns: u64,
    ) -> Result<u64, Error> {
        if let Some(running) = self.canister(&canister).and_then(|c| c.in_progress) {
            return Err(Error::Conflict {
                reason: format!("snapshot {running} of {canister} is being taken"),
            });
        }
        let id = self.meta().last_id + 1;
        self.update_meta(|m| m.last_id = id);
        self.set_snapshot(SnapshotInfo {
            id,
            canister,
            kind,
            trigger,
            status: SnapshotStatus::InProgress,
            data_version: 0,
            total_bytes: 0,
            chunk_bytes: 0,
            chunk_count: 0,
            sha256: Vec::new(),
            started_at_ns: now_ns,
            finished_at_ns: None,
        });
        self.update_canister(canister, kind, |c| c.in_progress = Some(id));
        Ok(id)
    }

    fn in_progress(&self, id: u64) -> Result<SnapshotInfo, Error> {
        let info = self
            .snapshot(id)
            .ok_or_else(|| Error::not_found(format!("snapshot {id}")))?;
        if info.status != SnapshotStatus::InProgress {
            return Err(Error::Conflict {
                reason: format!("snapshot {id} is no longer being taken"),
            });
        }
        Ok(info)
    }

    pub fn set_manifest(&mut self, id: u64, manifest: &SnapshotManifest) -> Result<(), Error> {
        let mut info = self.in_progress(id)?;
        check_manifest(manifest)?;
        info.data_version = manifest.data_version;
        info.total_bytes = manifest.total_bytes;
        info.chunk_bytes = manifest.chunk_bytes;
        info.chunk_count = manifest.chunk_count;
        info.sha256 = manifest.sha256.clone();
        self.set_snapshot(info);
        Ok(())
    }

    pub fn put_chunk(&mut self, id: u64, index: u32, bytes: Vec<u8>) -> Result<(), Error> {
        let info = self.in_progress(id)?;
        if index >= info.chunk_count {
            return Err(malformed("index", "past the last chunk"));
        }
        let want = expected_len(info.total_bytes, info.chunk_bytes, index);
        if bytes.len() as u64 != want {
            return Err(malformed(
                "chunk",
                &format!(
                    "chunk {index} is {} bytes, the manifest says {want}",
                    bytes.len()
                ),
            ));
        }
        self.chunks.insert((id, index), bytes);
        Ok(())
    }

    /// Ends a pull: complete when every chunk is stored and `pulled_sha256` (over the stream as
    /// it arrived) is the source's hash; otherwise the snapshot fails and its chunks go.
    pub fn complete(&mut self, id: u64, pulled_sha256: &[u8], now_ns: u64) -> Result<(), Error> {
        let mut info = self.in_progress(id)?;
        let stored = self.chunks.keys_range((id, 0)..=(id, u32::MAX)).count() as u32;
        let problem = if stored != info.chunk_count {
            Some(format!("{stored} of {} chunks stored", info.chunk_count))
        } else if pulled_sha256 != info.sha256.as_slice() {
            Some("the SHA-256 over the pulled chunks does not match the source's".to_string())
        } else {
            None
        };
        if let Some(reason) = problem {
            self.fail(id, &reason, now_ns);
            return Err(Error::Conflict { reason });
        }
        info.status = SnapshotStatus::Complete;
        info.finished_at_ns = Some(now_ns);
        let (canister, kind, version, bytes, chunks) = (
            info.canister,
            info.kind,
            info.data_version,
            info.total_bytes,
            info.chunk_count,
        );
        self.set_snapshot(info);
        self.update_canister(canister, kind, |c| {
            c.in_progress = None;
            c.last_complete = Some(id);
            c.last_data_version = Some(version);
            c.last_snapshot_at_ns = Some(now_ns);
            c.last_error = None;
        });
        self.update_meta(|m| {
            m.counters.snapshots_taken += 1;
            m.stored_bytes += bytes;
            m.stored_chunks += u64::from(chunks);
        });
        Ok(())
    }

    /// Marks a snapshot failed (if it was still being taken) and deletes its chunks; records
    /// the reason on the canister. Failing an unknown or finished snapshot changes nothing.
    pub fn fail(&mut self, id: u64, reason: &str, now_ns: u64) {
        let Ok(mut info) = self.in_progress(id) else {
            return;
        };
        let reason = truncate(reason);
        info.status = SnapshotStatus::Failed {
            reason: reason.clone(),
        };
        info.finished_at_ns = Some(now_ns);
        let (canister, kind) = (info.canister, info.kind);
        self.set_snapshot(info);
        self.delete_chunks(id);
        self.update_canister(canister, kind, |c| {
            c.in_progress = None;
            c.last_error = Some(reason);
        });
        self.update_meta(|m| m.counters.failures += 1);
    }

    /// A failure before any snapshot was reserved (the data version could not be read).
    pub fn note_error(&mut self, canister: Principal, kind: CanisterKind, reason: &str) {
        let reason = truncate(reason);
        self.update_canister(canister, kind, |c| c.last_error = Some(reason));
        self.update_meta(|m| m.counters.failures += 1);
    }

    fn delete_chunks(&mut self, id: u64) -> u32 {
        let keys: Vec<(u64, u32)> = self.chunks.keys_range((id, 0)..=(id, u32::MAX)).collect();
        for k in &keys {
            self.chunks.remove(k);
        }
        keys.len() as u32
    }

    /// Pulls cut short by an upgrade (their calls' continuations are gone) fail, so the
    /// canister can be snapshotted again.
    pub fn abandon_in_progress(&mut self, now_ns: u64) -> u32 {
        let running: Vec<u64> = self
            .canisters
            .iter()
            .filter_map(|e| e.value().0.in_progress)
            .collect();
        for &id in &running {
            self.fail(
                id,
                "interrupted by an upgrade of the backup canister",
                now_ns,
            );
        }
        running.len() as u32
    }

    pub fn chunk(&self, id: u64, index: u32) -> Option<Vec<u8>> {
        self.chunks.get(&(id, index))
    }

    /// Recomputes the SHA-256 from the stored chunks.
    pub fn verify(&self, id: u64) -> Result<VerifyReport, Error> {
        let info = self
            .snapshot(id)
            .ok_or_else(|| Error::not_found(format!("snapshot {id}")))?;
        if info.status != SnapshotStatus::Complete {
            return Err(Error::Conflict {
                reason: format!("snapshot {id} is not complete"),
            });
        }
        Ok(hash_chunks(&info, |i| self.chunk(id, i)))
    }

    /// The newest complete snapshot of `canister`.
    pub fn latest_complete(&self, canister: &Principal) -> Option<SnapshotInfo> {
        self.canister(canister)
            .and_then(|c| c.last_complete)
            .and_then(|id| self.snapshot(id))
    }

    /// Applies retention to every canister's complete snapshots, and keeps failed records only
    /// as long as the newest `keep_recent` per canister. Answers how many were deleted.
    pub fn apply_retention(&mut self, now_ns: u64) -> u32 {
        let config = self.config();
        let mut complete: BTreeMap<Principal, Vec<(u64, u64)>> = BTreeMap::new();
        let mut failed: BTreeMap<Principal, Vec<u64>> = BTreeMap::new();
        for entry in self.snapshots.iter() {
            let s = entry.value().0.into_info(*entry.key());
            match s.status {
                SnapshotStatus::Complete => complete
                    .entry(s.canister)
                    .or_default()
                    .push((s.id, s.finished_at_ns.unwrap_or(s.started_at_ns))),
                SnapshotStatus::Failed { .. } => failed.entry(s.canister).or_default().push(s.id),
                SnapshotStatus::InProgress => {}
            }
        }
        let mut deleted = 0;
        for (_, list) in complete {
            for id in retention::expired(&list, config.keep_recent, config.keep_daily, now_ns) {
                self.delete_snapshot(id);
                deleted += 1;
            }
        }
        for (_, mut ids) in failed {
            ids.sort_unstable_by(|a, b| b.cmp(a));
            for id in ids.into_iter().skip(config.keep_recent as usize) {
                self.snapshots.remove(&id);
            }
        }
        self.update_meta(|m| m.counters.deleted_by_retention += u64::from(deleted));
        deleted
    }

    fn delete_snapshot(&mut self, id: u64) {
        let Some(info) = self.snapshots.remove(&id).map(|s| s.0.into_info(id)) else {
            return;
        };
        self.delete_chunks(id);
        if info.status == SnapshotStatus::Complete {
            self.update_meta(|m| {
                m.stored_bytes -= info.total_bytes;
                m.stored_chunks -= u64::from(info.chunk_count);
            });
        }
    }

    pub fn record_cycle(&mut self, report: CycleReport) {
        self.update_meta(|m| {
            m.counters.cycles_run += 1;
            m.last_cycle = Some(report.into());
        });
    }

    pub fn record_chunk_instructions(&mut self, instructions: u64) {
        self.update_meta(|m| {
            m.last_chunk_instructions = instructions;
            m.max_chunk_instructions = m.max_chunk_instructions.max(instructions);
        });
    }

    pub fn set_alert_error(&mut self, error: Option<String>) {
        self.update_meta(|m| m.last_alert_error = error.map(|e| truncate(&e)));
    }

    pub fn list(&self, query: &SnapshotQuery) -> Result<SnapshotPage, Error> {
        let limit = security_base::limits::page_size(query.limit, DEFAULT_PAGE, MAX_PAGE)? as usize;
        let before = query.before.unwrap_or(u64::MAX);
        let mut snapshots = Vec::new();
        let mut more = false;
        for entry in self.snapshots.range(..before).rev() {
            let s = entry.value().0.into_info(*entry.key());
            if query.canister.is_some_and(|c| c != s.canister) {
                continue;
            }
            if snapshots.len() == limit {
                more = true;
                break;
            }
            snapshots.push(s);
        }
        let next_before = if more {
            snapshots.last().map(|s| s.id)
        } else {
            None
        };
        Ok(SnapshotPage {
            snapshots,
            next_before,
        })
    }

    pub fn stats(&self) -> BackupStats {
        let meta = self.meta().clone();
        BackupStats {
            config: meta.config.into(),
            snapshots: self
                .snapshots
                .iter()
                .filter(|e| e.value().0.status == Status::Complete)
                .count() as u64,
            stored_chunks: meta.stored_chunks,
            stored_bytes: meta.stored_bytes,
            cycles_run: meta.counters.cycles_run,
            snapshots_taken: meta.counters.snapshots_taken,
            skipped_unchanged: meta.counters.skipped_unchanged,
            failures: meta.counters.failures,
            deleted_by_retention: meta.counters.deleted_by_retention,
            last_cycle: meta.last_cycle.map(Into::into),
            last_chunk_instructions: meta.last_chunk_instructions,
            max_chunk_instructions: meta.max_chunk_instructions,
            last_alert_error: meta.last_alert_error,
            canisters: self
                .canisters
                .iter()
                .map(|e| {
                    let c = e.value().0;
                    CanisterBackupState {
                        canister: *e.key(),
                        kind: c.kind.into(),
                        last_snapshot_id: c.last_complete,
                        last_data_version: c.last_data_version,
                        last_snapshot_at_ns: c.last_snapshot_at_ns,
                        last_error: c.last_error,
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests;
