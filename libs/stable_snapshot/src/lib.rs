//! Backups of a canister whose data lives in stable structures: the raw bytes of its data
//! memories ARE its state, so a snapshot is a copy of those bytes and a restore writes them
//! back.
//!
//! * [`Snapshots::export_begin`] copies every data memory into an export staging memory in one
//!   message, so the snapshot is one consistent point in time however many writes arrive while
//!   the backup canister pulls its chunks; it hashes the stream (SHA-256) as it copies.
//! * [`Snapshots::import_chunk`] writes pulled chunks into an import staging memory;
//!   [`Snapshots::import_commit`] checks every chunk arrived and the hash matches, then writes all
//!   memories in that one message: a restore is all or nothing. The canister then re-opens its
//!   structures over the restored memories.
//!
//! Stream: `MAGIC`, the memory count (u32 LE), then per memory its length (u64 LE) and bytes.
//!
//! A snapshot taken before an upgrade added a data memory (at the end of the list) restores
//! with that memory empty: all its bytes are zeroed, and the canister opens an all-zero memory
//! as a new, empty structure. A snapshot with more memories than the canister has is refused.

pub mod tracked;

use candid::{CandidType, Deserialize};
use ic_stable_structures::{Memory, StableCell, Storable};
use interfaces::snapshot::{ImportProgress, SnapshotManifest};
use interfaces::{Error, InputProblem};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

const MAGIC: &[u8; 8] = b"ICSNAP01";
/// 1 MiB: well under the 2 MiB message limit with room for the envelope.
pub const CHUNK_BYTES: u32 = 1 << 20;
const WASM_PAGE: u64 = 65_536;
/// Bytes moved per read/write while copying (bounded heap use).
const COPY_BLOCK: usize = 1 << 20;

/// What the staging memories hold; lives in its own small memory.
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotState {
    pub next_export_id: u64,
    pub export: Option<SnapshotManifest>,
    pub import: Option<ImportState>,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ImportState {
    pub manifest: SnapshotManifest,
    pub received: Vec<bool>,
}

struct Stored(SnapshotState);

impl Storable for Stored {
    const BOUND: ic_stable_structures::storable::Bound =
        ic_stable_structures::storable::Bound::Unbounded;

    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(candid::encode_one(&self.0).expect("state encodes"))
    }

    fn into_bytes(self) -> Vec<u8> {
        candid::encode_one(&self.0).expect("state encodes")
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        Stored(candid::decode_one(&bytes).expect("state decodes"))
    }
}

pub struct Snapshots<M: Memory> {
    state: StableCell<Stored, M>,
    export_staging: M,
    import_staging: M,
}

fn bad(field: &str, reason: &str) -> Error {
    Error::invalid(
        field,
        InputProblem::Malformed {
            reason: reason.to_string(),
        },
    )
}

fn ensure_size<M: Memory>(memory: &M, bytes: u64) {
    let pages = bytes.div_ceil(WASM_PAGE);
    if memory.size() < pages {
        let grown = memory.grow(pages - memory.size());
        assert!(grown >= 0, "out of stable memory");
    }
}

/// A memory's used length in bytes (whole pages; structures keep their own end marks).
fn length<M: Memory>(memory: &M) -> u64 {
    memory.size() * WASM_PAGE
}

impl<M: Memory> Snapshots<M> {
    pub fn init(state: M, export_staging: M, import_staging: M) -> Self {
        Self {
            state: StableCell::init(state, Stored(SnapshotState::default())),
            export_staging,
            import_staging,
        }
    }

    pub fn state(&self) -> &SnapshotState {
        &self.state.get().0
    }

    fn set_state(&mut self, f: impl FnOnce(&mut SnapshotState)) {
        let mut s = self.state.get().0.clone();
        f(&mut s);
        self.state.set(Stored(s));
    }

    /// Copies `sources` (the canister's data memories, in a fixed order) into the export
    /// staging memory and describes the result.
    pub fn export_begin(&mut self, sources: &[M], data_version: u64) -> SnapshotManifest {
        let mut hasher = Sha256::new();
        let mut at = 0u64;
        let put = |staging: &M, bytes: &[u8], hasher: &mut Sha256, at: &mut u64| {
            ensure_size(staging, *at + bytes.len() as u64);
            staging.write(*at, bytes);
            hasher.update(bytes);
            *at += bytes.len() as u64;
        };
        put(&self.export_staging, MAGIC, &mut hasher, &mut at);
        put(
            &self.export_staging,
            &(sources.len() as u32).to_le_bytes(),
            &mut hasher,
            &mut at,
        );
        let mut block = vec![0u8; COPY_BLOCK];
        for source in sources {
            let len = length(source);
            put(
                &self.export_staging,
                &len.to_le_bytes(),
                &mut hasher,
                &mut at,
            );
            let mut done = 0u64;
            while done < len {
                let n = (len - done).min(COPY_BLOCK as u64) as usize;
                source.read(done, &mut block[..n]);
                put(&self.export_staging, &block[..n], &mut hasher, &mut at);
                done += n as u64;
            }
        }
        let export_id = self.state().next_export_id + 1;
        let manifest = SnapshotManifest {
            export_id,
            data_version,
            total_bytes: at,
            chunk_bytes: CHUNK_BYTES,
            chunk_count: at.div_ceil(u64::from(CHUNK_BYTES)) as u32,
            sha256: hasher.finalize().to_vec(),
        };
        let m = manifest.clone();
        self.set_state(|s| {
            s.next_export_id = export_id;
            s.export = Some(m);
        });
        manifest
    }

    pub fn export_chunk(&self, export_id: u64, index: u32) -> Result<Vec<u8>, Error> {
        let manifest = self
            .state()
            .export
            .as_ref()
            .filter(|m| m.export_id == export_id)
            .ok_or_else(|| Error::not_found(format!("export {export_id}")))?;
        if index >= manifest.chunk_count {
            return Err(bad("index", "past the last chunk"));
        }
        let start = u64::from(index) * u64::from(manifest.chunk_bytes);
        let n = (manifest.total_bytes - start).min(u64::from(manifest.chunk_bytes)) as usize;
        let mut out = vec![0u8; n];
        self.export_staging.read(start, &mut out);
        Ok(out)
    }

    /// Starts (or restarts) an import of the snapshot `manifest` describes.
    pub fn import_begin(&mut self, manifest: SnapshotManifest) -> Result<(), Error> {
        if manifest.chunk_bytes == 0 || manifest.chunk_bytes > CHUNK_BYTES * 3 / 2 {
            return Err(bad("chunk_bytes", "must be between 1 byte and 1.5 MiB"));
        }
        let expected = manifest
            .total_bytes
            .div_ceil(u64::from(manifest.chunk_bytes));
        if u64::from(manifest.chunk_count) != expected || manifest.sha256.len() != 32 {
            return Err(bad("manifest", "chunk count or hash length does not fit"));
        }
        let received = vec![false; manifest.chunk_count as usize];
        self.set_state(|s| s.import = Some(ImportState { manifest, received }));
        Ok(())
    }

    pub fn import_chunk(&mut self, index: u32, data: &[u8]) -> Result<ImportProgress, Error> {
        let import = self
            .state()
            .import
            .clone()
            .ok_or_else(|| Error::not_found("an import in progress"))?;
        let m = &import.manifest;
        if index >= m.chunk_count {
            return Err(bad("index", "past the last chunk"));
        }
        let start = u64::from(index) * u64::from(m.chunk_bytes);
        let want = (m.total_bytes - start).min(u64::from(m.chunk_bytes));
        if data.len() as u64 != want {
            return Err(bad("data", &format!("chunk {index} must be {want} bytes")));
        }
        ensure_size(&self.import_staging, start + want);
        self.import_staging.write(start, data);
        self.set_state(|s| {
            if let Some(i) = s.import.as_mut() {
                i.received[index as usize] = true;
            }
        });
        Ok(self.import_progress().expect("import in progress"))
    }

    pub fn import_progress(&self) -> Option<ImportProgress> {
        self.state().import.as_ref().map(|i| ImportProgress {
            manifest: i.manifest.clone(),
            chunks_received: i.received.iter().filter(|&&r| r).count() as u32,
        })
    }

    /// Verifies the staged import and writes it over `targets` (same order as the export's
    /// sources). Nothing is written unless every chunk arrived, the hash matches and the stream
    /// parses; the caller must re-open its structures afterwards.
    pub fn import_commit(&mut self, targets: &[M]) -> Result<(), Error> {
        let import = self
            .state()
            .import
            .clone()
            .ok_or_else(|| Error::not_found("an import in progress"))?;
        if let Some(missing) = import.received.iter().position(|r| !r) {
            return Err(bad("import", &format!("chunk {missing} has not arrived")));
        }
        let total = import.manifest.total_bytes;
        let mut hasher = Sha256::new();
        let mut block = vec![0u8; COPY_BLOCK];
        let mut done = 0u64;
        while done < total {
            let n = (total - done).min(COPY_BLOCK as u64) as usize;
            self.import_staging.read(done, &mut block[..n]);
            hasher.update(&block[..n]);
            done += n as u64;
        }
        if hasher.finalize().as_slice() != import.manifest.sha256.as_slice() {
            return Err(bad(
                "import",
                "SHA-256 of the received stream does not match",
            ));
        }
        // Parse the layout fully before writing anything.
        let read_at = |at: u64, n: usize| -> Result<Vec<u8>, Error> {
            if at + n as u64 > total {
                return Err(bad("import", "stream ends early"));
            }
            let mut b = vec![0u8; n];
            self.import_staging.read(at, &mut b);
            Ok(b)
        };
        if read_at(0, 8)? != MAGIC {
            return Err(bad("import", "not a snapshot stream"));
        }
        let count = u32::from_le_bytes(read_at(8, 4)?.try_into().expect("4 bytes")) as usize;
        if count > targets.len() {
            return Err(bad("import", "snapshot has a different memory layout"));
        }
        let mut sections = Vec::with_capacity(count);
        let mut at = 12u64;
        for _ in 0..count {
            let len = u64::from_le_bytes(read_at(at, 8)?.try_into().expect("8 bytes"));
            at += 8;
            if at + len > total {
                return Err(bad("import", "stream ends early"));
            }
            sections.push((at, len));
            at += len;
        }
        if at != total {
            return Err(bad("import", "trailing bytes after the last memory"));
        }
        // Memories the snapshot predates are restored empty (length 0, zeroed below).
        sections.resize(targets.len(), (at, 0));
        for ((start, len), target) in sections.into_iter().zip(targets) {
            ensure_size(target, len);
            let mut done = 0u64;
            while done < len {
                let n = (len - done).min(COPY_BLOCK as u64) as usize;
                self.import_staging.read(start + done, &mut block[..n]);
                target.write(done, &block[..n]);
                done += n as u64;
            }
            // A target larger than the snapshot keeps stale bytes past `len`: zero them so
            // nothing from before the restore can be read back.
            let stale = length(target) - len;
            let zeros = vec![0u8; COPY_BLOCK];
            let mut cleared = 0u64;
            while cleared < stale {
                let n = (stale - cleared).min(COPY_BLOCK as u64) as usize;
                target.write(len + cleared, &zeros[..n]);
                cleared += n as u64;
            }
        }
        self.set_state(|s| s.import = None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::{StableBTreeMap, VectorMemory};

    fn mem() -> VectorMemory {
        VectorMemory::default()
    }

    #[test]
    fn export_then_import_restores_maps_exactly_and_checks_the_hash() {
        let (a, b) = (mem(), mem());
        let mut map: StableBTreeMap<u64, u64, _> = StableBTreeMap::init(a.clone());
        for i in 0..5_000 {
            map.insert(i, i * 3);
        }
        let mut source = Snapshots::init(mem(), mem(), mem());
        let manifest = source.export_begin(&[a.clone(), b.clone()], 7);
        // Writes after the export are not part of it.
        map.insert(99_999, 1);
        let chunks: Vec<Vec<u8>> = (0..manifest.chunk_count)
            .map(|i| source.export_chunk(manifest.export_id, i).unwrap())
            .collect();

        let (ta, tb) = (mem(), mem());
        let mut target_map: StableBTreeMap<u64, u64, _> = StableBTreeMap::init(ta.clone());
        target_map.insert(1, 1_000_000);
        let mut target = Snapshots::init(mem(), mem(), mem());

        let mut corrupt = manifest.clone();
        corrupt.sha256[0] ^= 1;
        target.import_begin(corrupt).unwrap();
        for (i, c) in chunks.iter().enumerate() {
            target.import_chunk(i as u32, c).unwrap();
        }
        assert!(target.import_commit(&[ta.clone(), tb.clone()]).is_err());
        assert_eq!(
            target_map.get(&1),
            Some(1_000_000),
            "a failed commit writes nothing"
        );

        target.import_begin(manifest.clone()).unwrap();
        assert!(
            target.import_commit(&[ta.clone(), tb.clone()]).is_err(),
            "chunks missing"
        );
        for (i, c) in chunks.iter().enumerate() {
            target.import_chunk(i as u32, c).unwrap();
        }
        target.import_commit(&[ta.clone(), tb.clone()]).unwrap();
        let restored: StableBTreeMap<u64, u64, _> = StableBTreeMap::init(ta);
        assert_eq!(restored.len(), 5_000);
        assert_eq!(restored.get(&1), Some(3));
        assert_eq!(restored.get(&99_999), None);
    }

    #[test]
    fn a_snapshot_from_before_a_memory_was_added_restores_it_empty() {
        let a = mem();
        let mut map: StableBTreeMap<u64, u64, _> = StableBTreeMap::init(a.clone());
        map.insert(1, 2);
        let mut source = Snapshots::init(mem(), mem(), mem());
        let manifest = source.export_begin(&[a], 3);
        let chunks: Vec<Vec<u8>> = (0..manifest.chunk_count)
            .map(|i| source.export_chunk(manifest.export_id, i).unwrap())
            .collect();
        let (ta, added) = (mem(), mem());
        let mut newer: StableBTreeMap<u64, u64, _> = StableBTreeMap::init(added.clone());
        newer.insert(5, 6);
        let mut target = Snapshots::init(mem(), mem(), mem());
        target.import_begin(manifest).unwrap();
        for (i, c) in chunks.iter().enumerate() {
            target.import_chunk(i as u32, c).unwrap();
        }
        target.import_commit(&[ta.clone(), added.clone()]).unwrap();
        let restored: StableBTreeMap<u64, u64, _> = StableBTreeMap::init(ta);
        assert_eq!(restored.get(&1), Some(2));
        let mut bytes = vec![1u8; (added.size() * WASM_PAGE) as usize];
        added.read(0, &mut bytes);
        assert!(bytes.iter().all(|&b| b == 0), "the added memory is zeroed");
    }

    #[test]
    fn chunks_are_checked() {
        let mut s = Snapshots::init(mem(), mem(), mem());
        let m = s.export_begin(&[mem()], 1);
        assert!(s.export_chunk(m.export_id + 1, 0).is_err());
        assert!(s.export_chunk(m.export_id, m.chunk_count).is_err());
        s.import_begin(m.clone()).unwrap();
        assert!(s.import_chunk(0, &[1, 2, 3]).is_err(), "wrong length");
    }
}
