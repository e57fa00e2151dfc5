//! Stable memory with an undo journal. Copying 16 MiB of stable memory (what MemoryManager
//! allocates) per message would dominate run time, so each open transaction level saves a
//! 64 KiB page only the first time a message writes to it; commit drops the saved pages,
//! rollback writes them back and truncates any growth. Levels nest: a composite query or an
//! upgrade opens an outer level, and every execution inside it opens its own.

use std::collections::HashMap;

pub const WASM_PAGE: u64 = 64 * 1024;
/// The runtime's cap on stable memory (the IC allows far more, but backs it with disk).
pub const MAX_STABLE_PAGES: u64 = 4 * 1024 * 1024 * 1024 / WASM_PAGE;

#[derive(Default)]
struct Level {
    len_before: usize,
    saved: HashMap<u64, Box<[u8]>>,
}

#[derive(Default)]
pub struct StableMemory {
    data: Vec<u8>,
    levels: Vec<Level>,
}

impl StableMemory {
    pub fn from_bytes(data: Vec<u8>) -> Self {
        StableMemory {
            data,
            levels: Vec::new(),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.data
    }

    pub fn pages(&self) -> u64 {
        self.data.len() as u64 / WASM_PAGE
    }

    /// `ic0.stable64_grow`: old size in pages, or `u64::MAX` when the limit would be passed.
    pub fn grow(&mut self, new_pages: u64) -> u64 {
        let old = self.pages();
        match old.checked_add(new_pages) {
            Some(total) if total <= MAX_STABLE_PAGES => {
                self.data.resize((total * WASM_PAGE) as usize, 0);
                old
            }
            _ => u64::MAX,
        }
    }

    pub fn read(&self, offset: u64, dst: &mut [u8]) -> Result<(), String> {
        let range = self.range(offset, dst.len() as u64)?;
        dst.copy_from_slice(&self.data[range]);
        Ok(())
    }

    pub fn write(&mut self, offset: u64, src: &[u8]) -> Result<(), String> {
        let range = self.range(offset, src.len() as u64)?;
        if !self.levels.is_empty() && !src.is_empty() {
            let first = range.start as u64 / WASM_PAGE;
            let last = (range.end as u64 - 1) / WASM_PAGE;
            for page in first..=last {
                self.save_page(page);
            }
        }
        self.data[range].copy_from_slice(src);
        Ok(())
    }

    fn save_page(&mut self, page: u64) {
        let start = (page * WASM_PAGE) as usize;
        for level in &mut self.levels {
            // Pages that did not exist when the level opened vanish on rollback anyway.
            if start < level.len_before && !level.saved.contains_key(&page) {
                let page_bytes = &self.data[start..start + WASM_PAGE as usize];
                level.saved.insert(page, page_bytes.into());
            }
        }
    }

    fn range(&self, offset: u64, size: u64) -> Result<std::ops::Range<usize>, String> {
        match offset.checked_add(size) {
            Some(end) if end <= self.data.len() as u64 => Ok(offset as usize..end as usize),
            _ => Err(format!(
                "stable memory out of bounds: offset {offset} + size {size} > stable memory size {}",
                self.data.len()
            )),
        }
    }

    pub fn begin(&mut self) {
        self.levels.push(Level {
            len_before: self.data.len(),
            saved: HashMap::new(),
        });
    }

    pub fn commit(&mut self) {
        self.levels.pop();
    }

    pub fn rollback(&mut self) {
        if let Some(level) = self.levels.pop() {
            self.data.truncate(level.len_before);
            for (page, bytes) in level.saved {
                let start = (page * WASM_PAGE) as usize;
                self.data[start..start + bytes.len()].copy_from_slice(&bytes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_restores_writes_and_growth() {
        let mut s = StableMemory::default();
        assert_eq!(s.grow(1), 0);
        s.write(10, b"keep").unwrap();
        s.begin();
        s.write(10, b"lose").unwrap();
        assert_eq!(s.grow(2), 1);
        s.write(WASM_PAGE * 2, b"x").unwrap();
        s.rollback();
        assert_eq!(s.pages(), 1);
        let mut buf = [0u8; 4];
        s.read(10, &mut buf).unwrap();
        assert_eq!(&buf, b"keep");
    }

    #[test]
    fn nested_levels_commit_inner_roll_back_outer() {
        let mut s = StableMemory::from_bytes(vec![0; WASM_PAGE as usize]);
        s.begin();
        s.begin();
        s.write(0, b"a").unwrap();
        s.commit();
        s.write(1, b"b").unwrap();
        s.rollback();
        assert_eq!(&s.bytes()[..2], &[0, 0]);
    }

    #[test]
    fn out_of_bounds_is_an_error() {
        let s = StableMemory::default();
        assert!(s
            .read(0, &mut [0u8; 1])
            .unwrap_err()
            .contains("out of bounds"));
    }
}
