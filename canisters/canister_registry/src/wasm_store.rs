//! The calendar wasm the load balancer spawns new shards from, kept in stable memory.
//!
//! An upload is staged beside the stored module: `start` announces the SHA-256 and size, chunks
//! arrive by index (every one but the last exactly [`WASM_CHUNK_BYTES`]), and `commit` checks
//! that all arrived and that their hash matches before the staged module replaces the stored
//! one in a single write of the metadata. A failed or abandoned upload never touches the stored
//! module. Nothing here reads the clock or the caller: they come in as arguments.

use candid::Principal;
use canister_kit::stored::Candid;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use interfaces::registry::{WasmInfo, WasmUploadStart, MAX_WASM_BYTES, WASM_CHUNK_BYTES};
use interfaces::{Error, InputProblem};
use serde_bytes::ByteBuf;
use sha2::{Digest, Sha256};

use crate::model::{Staging, StoredWasm, WasmMeta};

pub struct WasmStore<M: Memory> {
    meta: StableCell<Candid<WasmMeta>, M>,
    /// `(slot, chunk index)` to bytes; slot 0 and 1 alternate between stored and staged.
    chunks: StableBTreeMap<(u8, u64), Vec<u8>, M>,
}

fn chunk_count(size: u64) -> u64 {
    size.div_ceil(WASM_CHUNK_BYTES as u64)
}

fn expected_len(size: u64, index: u64) -> u64 {
    let chunk = WASM_CHUNK_BYTES as u64;
    if index + 1 < chunk_count(size) {
        chunk
    } else {
        size - index * chunk
    }
}

impl<M: Memory> WasmStore<M> {
    pub fn init(meta: M, chunks: M) -> Self {
        WasmStore {
            meta: StableCell::init(meta, Candid(WasmMeta::default())),
            chunks: StableBTreeMap::init(chunks),
        }
    }

    pub fn info(&self) -> Option<WasmInfo> {
        self.meta
            .get()
            .active
            .as_ref()
            .map(|(_, info)| info.clone().into())
    }

    /// Starts (or restarts) an upload; any earlier staged chunks are dropped.
    pub fn start(
        &mut self,
        start: WasmUploadStart,
        caller: Principal,
        now_ns: u64,
    ) -> Result<(), Error> {
        if start.sha256.len() != 32 {
            return Err(Error::invalid(
                "sha256",
                InputProblem::Malformed {
                    reason: "a SHA-256 is 32 bytes".into(),
                },
            ));
        }
        if start.size == 0 {
            return Err(Error::invalid("size", InputProblem::Empty));
        }
        if start.size > MAX_WASM_BYTES {
            return Err(Error::invalid(
                "size",
                InputProblem::TooLong {
                    max: MAX_WASM_BYTES,
                    actual: start.size,
                },
            ));
        }
        let mut meta = self.meta.get().0.clone();
        let slot = match &meta.active {
            Some((active, _)) => 1 - active,
            None => 0,
        };
        self.clear_slot(slot);
        meta.staging = Some(Staging {
            slot,
            start: start.into(),
            started_by: caller,
            started_at_ns: now_ns,
        });
        self.meta.set(Candid(meta));
        Ok(())
    }

    /// Stores chunk `index` of the staged upload; answers how many chunks are still missing.
    pub fn put_chunk(&mut self, index: u64, bytes: &[u8]) -> Result<u64, Error> {
        let staging = self.staging()?;
        let count = chunk_count(staging.start.size);
        if index >= count {
            return Err(Error::invalid(
                "index",
                InputProblem::TooMany {
                    max: count.saturating_sub(1),
                    actual: index,
                },
            ));
        }
        let expected = expected_len(staging.start.size, index);
        if bytes.len() as u64 != expected {
            return Err(Error::invalid(
                "chunk",
                InputProblem::Malformed {
                    reason: format!(
                        "chunk {index} must hold {expected} bytes, not {}",
                        bytes.len()
                    ),
                },
            ));
        }
        self.chunks.insert((staging.slot, index), bytes.to_vec());
        Ok(count - self.received(staging.slot))
    }

    /// Checks the staged upload (every chunk present, the SHA-256 announced at start) and makes
    /// it the stored module. On any mismatch the stored module stays as it was.
    pub fn commit(&mut self, now_ns: u64) -> Result<WasmInfo, Error> {
        let staging = self.staging()?;
        let count = chunk_count(staging.start.size);
        let received = self.received(staging.slot);
        if received != count {
            return Err(Error::Conflict {
                reason: format!("{} of {count} chunks are missing", count - received),
            });
        }
        let mut hasher = Sha256::new();
        for index in 0..count {
            let chunk = self
                .chunks
                .get(&(staging.slot, index))
                .expect("every chunk was counted");
            hasher.update(&chunk);
        }
        let actual = hasher.finalize();
        if actual.as_slice() != staging.start.sha256.as_slice() {
            return Err(Error::invalid(
                "sha256",
                InputProblem::Malformed {
                    reason: "the uploaded chunks do not hash to the announced SHA-256".into(),
                },
            ));
        }
        let info = StoredWasm {
            sha256: staging.start.sha256.clone(),
            size: staging.start.size,
            chunks: count,
            uploaded_at_ns: now_ns,
            uploaded_by: staging.started_by,
        };
        let mut meta = self.meta.get().0.clone();
        let old = meta.active.replace((staging.slot, info.clone()));
        meta.staging = None;
        // The metadata write is what switches modules; the old chunks go after it.
        self.meta.set(Candid(meta));
        if let Some((old_slot, _)) = old {
            self.clear_slot(old_slot);
        }
        Ok(info.into())
    }

    /// Chunk `index` of the stored module.
    pub fn chunk(&self, index: u64) -> Result<ByteBuf, Error> {
        let (slot, info) = self
            .meta
            .get()
            .active
            .clone()
            .ok_or_else(|| Error::not_found("stored calendar wasm"))?;
        if index >= info.chunks {
            return Err(Error::not_found(format!(
                "chunk {index} of {} of the stored wasm",
                info.chunks
            )));
        }
        Ok(ByteBuf::from(
            self.chunks
                .get(&(slot, index))
                .expect("a committed module has every chunk"),
        ))
    }

    fn staging(&self) -> Result<Staging, Error> {
        self.meta
            .get()
            .staging
            .clone()
            .ok_or_else(|| Error::not_found("wasm upload in progress (call start_wasm_upload)"))
    }

    fn received(&self, slot: u8) -> u64 {
        self.chunks.range((slot, 0)..=(slot, u64::MAX)).count() as u64
    }

    fn clear_slot(&mut self, slot: u8) {
        let keys: Vec<(u8, u64)> = self
            .chunks
            .keys_range((slot, 0)..=(slot, u64::MAX))
            .collect();
        for key in keys {
            self.chunks.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::VectorMemory;

    fn store() -> WasmStore<VectorMemory> {
        WasmStore::init(VectorMemory::default(), VectorMemory::default())
    }

    fn admin() -> Principal {
        Principal::from_slice(&[7; 29])
    }

    fn start_for(bytes: &[u8]) -> WasmUploadStart {
        WasmUploadStart {
            sha256: ByteBuf::from(Sha256::digest(bytes).to_vec()),
            size: bytes.len() as u64,
        }
    }

    fn upload(s: &mut WasmStore<VectorMemory>, bytes: &[u8]) -> Result<WasmInfo, Error> {
        s.start(start_for(bytes), admin(), 5)?;
        for (i, chunk) in bytes.chunks(WASM_CHUNK_BYTES).enumerate() {
            s.put_chunk(i as u64, chunk)?;
        }
        s.commit(9)
    }

    fn module(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect()
    }

    #[test]
    fn a_multi_chunk_upload_is_stored_and_read_back_exactly() {
        let mut s = store();
        let bytes = module(2 * WASM_CHUNK_BYTES + 123, 1);
        let info = upload(&mut s, &bytes).unwrap();
        assert_eq!(info.chunks, 3);
        assert_eq!(info.size, bytes.len() as u64);
        let mut back = Vec::new();
        for i in 0..info.chunks {
            back.extend_from_slice(&s.chunk(i).unwrap());
        }
        assert_eq!(back, bytes);
        assert!(matches!(s.chunk(3), Err(Error::NotFound { .. })));
    }

    #[test]
    fn a_wrong_hash_or_missing_chunk_leaves_the_stored_module_unchanged() {
        let mut s = store();
        let first = module(1000, 1);
        upload(&mut s, &first).unwrap();
        let stored = s.info();

        // Announce one module, upload another of the same size.
        let second = module(1000, 2);
        s.start(start_for(&second), admin(), 6).unwrap();
        s.put_chunk(0, &first).unwrap();
        assert!(matches!(s.commit(7), Err(Error::InvalidInput { .. })));
        assert_eq!(s.info(), stored);
        assert_eq!(s.chunk(0).unwrap().into_vec(), first);

        // Missing chunks.
        let big = module(WASM_CHUNK_BYTES + 1, 3);
        s.start(start_for(&big), admin(), 6).unwrap();
        assert_eq!(s.put_chunk(1, &big[WASM_CHUNK_BYTES..]).unwrap(), 1);
        assert!(matches!(s.commit(7), Err(Error::Conflict { .. })));
        assert_eq!(s.info(), stored);
    }

    #[test]
    fn bad_chunks_and_bad_starts_are_refused() {
        let mut s = store();
        assert!(matches!(s.put_chunk(0, b"x"), Err(Error::NotFound { .. })));
        let bad_hash = WasmUploadStart {
            sha256: ByteBuf::from(vec![0; 31]),
            size: 10,
        };
        assert!(s.start(bad_hash, admin(), 1).is_err());
        let too_big = WasmUploadStart {
            sha256: ByteBuf::from(vec![0; 32]),
            size: MAX_WASM_BYTES + 1,
        };
        assert!(s.start(too_big, admin(), 1).is_err());
        let bytes = module(10, 4);
        s.start(start_for(&bytes), admin(), 1).unwrap();
        assert!(s.put_chunk(0, &bytes[..9]).is_err());
        assert!(s.put_chunk(1, &bytes).is_err());
        assert!(s.info().is_none());
    }

    #[test]
    fn replacing_the_module_frees_the_old_chunks() {
        let mut s = store();
        upload(&mut s, &module(WASM_CHUNK_BYTES * 2, 1)).unwrap();
        let second = module(100, 2);
        upload(&mut s, &second).unwrap();
        assert_eq!(s.chunks.len(), 1);
        assert_eq!(s.chunk(0).unwrap().into_vec(), second);
    }
}
