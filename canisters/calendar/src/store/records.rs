//! The event records by id: a radix table over the id's bytes whose leaves point at each
//! record's block, in one memory with its own block allocator.
//!
//! Why not `StableBTreeMap<EventId, Vec<u8>>` (what layouts up to 6 used): ic-stable-structures
//! 0.7 reads every key and every value length of each node on a lookup's path with separate
//! small reads, and rewrites a whole node (every value in it) on an insert. At 100,000 events
//! that cost about 45,000 instructions to find one record (as much for an id that does not
//! exist) and 200,000 to store one. Event ids are issued in order from one counter, so a radix
//! table over their bytes finds a record in one 8-byte read per level (3 levels up to 16.7
//! million ids) and stores one without touching any other. No library offers that structure
//! for stable memory, hence this module.
//!
//! Layout (little-endian), all in the one memory:
//! - a header at 0 ([`HEADER_SIZE`] bytes): magic, the table's height (levels) and root, the
//!   number of records, the end of the used space, and the head of each block class's free
//!   list;
//! - blocks after it, each of a class's size (64 bytes times a power of two) at an address
//!   that never moves: table nodes (256 addresses of 8 bytes: a child node, or at the last
//!   level a record block; 0 for none) and records (the length as 4 bytes, then the bytes);
//! - a freed block starts with the address of the next free block of its class.
//!
//! An all-zero or empty memory is an empty store (a restored snapshot that predates the store
//! has it zeroed). Table nodes are never freed: a node serves 256 consecutive ids (2 KiB), and
//! ids are never issued twice.

use ic_stable_structures::Memory;

/// "CRS" and the format version.
const MAGIC: [u8; 4] = *b"CRS\x01";
const HEADER_SIZE: u64 = 512;
const SMALLEST_BLOCK: u64 = 64;
/// Classes of 64 bytes to 8 GiB (a record's length is a u32).
const CLASSES: usize = 28;
const FANOUT: u64 = 256;
const NODE_SIZE: u64 = FANOUT * 8;
const WASM_PAGE: u64 = 65_536;

// Header fields (byte offsets).
const AT_HEIGHT: u64 = 4;
const AT_ROOT: u64 = 8;
const AT_LEN: u64 = 16;
const AT_END: u64 = 24;
const AT_FREE: u64 = 32;

/// What the header holds, kept in the heap between calls (re-read when the store is opened).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Header {
    /// Levels of the table: ids below 256^height fit; 0 while no record was ever stored.
    height: u32,
    root: u64,
    len: u64,
    end: u64,
    free: [u64; CLASSES],
}

pub struct Records<M: Memory> {
    memory: M,
    header: Header,
}

impl<M: Memory> Records<M> {
    /// Opens the store in `memory`, or starts an empty one in a memory that holds none.
    pub fn init(memory: M) -> Self {
        let mut magic = [0u8; 4];
        if memory.size() > 0 {
            memory.read(0, &mut magic);
        }
        let header = if magic == MAGIC {
            let mut bytes = [0u8; AT_FREE as usize + 8 * CLASSES];
            memory.read(0, &mut bytes);
            let word = |at: u64| {
                let at = at as usize;
                u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
            };
            Header {
                height: u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")),
                root: word(AT_ROOT),
                len: word(AT_LEN),
                end: word(AT_END),
                free: std::array::from_fn(|k| word(AT_FREE + 8 * k as u64)),
            }
        } else {
            // Written on the first insert, so that opening an empty memory writes nothing.
            Header {
                height: 0,
                root: 0,
                len: 0,
                end: HEADER_SIZE,
                free: [0; CLASSES],
            }
        };
        Self { memory, header }
    }

    pub fn len(&self) -> u64 {
        self.header.len
    }

    /// The bytes stored under `id`.
    pub fn get(&self, id: u64) -> Option<Vec<u8>> {
        self.block_of(id).map(|block| self.record_at(block))
    }

    /// Stores `bytes` under `id`, replacing what was there.
    pub fn insert(&mut self, id: u64, bytes: &[u8]) {
        let len = u32::try_from(bytes.len()).expect("a record is below 4 GiB");
        let class = class_of(u64::from(len) + 4);
        self.grow_to_hold(id);
        let slot = self.slot_for(id);
        let old = self.read_u64(slot);
        let block = if old != 0 && class_of(u64::from(self.read_u32(old)) + 4) == class {
            old
        } else {
            if old != 0 {
                self.release(old);
            } else {
                self.header.len += 1;
                self.write_u64(AT_LEN, self.header.len);
            }
            let block = self.allocate(class);
            self.write_u64(slot, block);
            block
        };
        let mut data = Vec::with_capacity(bytes.len() + 4);
        data.extend_from_slice(&len.to_le_bytes());
        data.extend_from_slice(bytes);
        self.memory.write(block, &data);
    }

    /// Forgets what is stored under `id`; whether there was anything.
    pub fn remove(&mut self, id: u64) -> bool {
        let Some(slot) = self.existing_slot(id) else {
            return false;
        };
        let block = self.read_u64(slot);
        if block == 0 {
            return false;
        }
        self.release(block);
        self.write_u64(slot, 0);
        self.header.len -= 1;
        self.write_u64(AT_LEN, self.header.len);
        true
    }

    /// Every stored id from `from` on, in order, with its bytes.
    pub fn range_from(&self, from: u64) -> impl Iterator<Item = (u64, Vec<u8>)> + '_ {
        let mut ids = Ids {
            records: self,
            from,
            stack: Vec::new(),
        };
        if self.header.height > 0 && self.fits(from) {
            let top = self.header.height - 1;
            ids.stack.push(ids.frame(self.header.root, top, 0));
        }
        ids.map(|(id, block)| (id, self.record_at(block)))
    }

    /// The bytes of the record in `block`.
    fn record_at(&self, block: u64) -> Vec<u8> {
        let len = self.read_u32(block);
        let mut bytes = vec![0; len as usize];
        self.memory.read(block + 4, &mut bytes);
        bytes
    }

    // ---- the table -------------------------------------------------------------------------

    /// Whether `id` is below 256^height.
    fn fits(&self, id: u64) -> bool {
        let bits = 8 * self.header.height;
        bits >= 64 || id >> bits == 0
    }

    /// The record block of `id`, without writing anything.
    fn block_of(&self, id: u64) -> Option<u64> {
        let slot = self.existing_slot(id)?;
        match self.read_u64(slot) {
            0 => None,
            block => Some(block),
        }
    }

    /// The address of `id`'s slot in its leaf, if the nodes on its path exist.
    fn existing_slot(&self, id: u64) -> Option<u64> {
        if self.header.height == 0 || !self.fits(id) {
            return None;
        }
        let mut node = self.header.root;
        for level in (1..self.header.height).rev() {
            node = self.read_u64(node + 8 * digit(id, level));
            if node == 0 {
                return None;
            }
        }
        Some(node + 8 * digit(id, 0))
    }

    /// The address of `id`'s slot, creating the nodes on its path (the table is tall enough).
    fn slot_for(&mut self, id: u64) -> u64 {
        let mut node = self.header.root;
        for level in (1..self.header.height).rev() {
            let slot = node + 8 * digit(id, level);
            let child = self.read_u64(slot);
            node = if child == 0 {
                let child = self.new_node();
                self.write_u64(slot, child);
                child
            } else {
                child
            };
        }
        node + 8 * digit(id, 0)
    }

    /// Adds levels on top until `id` fits: the old root becomes the new root's first child.
    fn grow_to_hold(&mut self, id: u64) {
        if self.header.height == 0 {
            // The first insert writes the header whole.
            self.ensure_size(HEADER_SIZE);
            self.memory.write(0, &MAGIC);
            for (k, head) in self.header.free.iter().enumerate() {
                self.write_u64(AT_FREE + 8 * k as u64, *head);
            }
            self.write_u64(AT_END, self.header.end);
            self.write_u64(AT_LEN, 0);
            self.header.root = self.new_node();
            self.set_root(1, self.header.root);
        }
        while !self.fits(id) {
            let root = self.new_node();
            self.write_u64(root, self.header.root);
            self.set_root(self.header.height + 1, root);
        }
    }

    fn set_root(&mut self, height: u32, root: u64) {
        self.header.height = height;
        self.header.root = root;
        self.memory.write(AT_HEIGHT, &height.to_le_bytes());
        self.write_u64(AT_ROOT, root);
    }

    fn new_node(&mut self) -> u64 {
        let node = self.allocate(class_of(NODE_SIZE));
        self.memory.write(node, &[0; NODE_SIZE as usize]);
        node
    }

    // ---- blocks ----------------------------------------------------------------------------

    /// A block of `class`: the head of its free list, else new space at the end.
    fn allocate(&mut self, class: usize) -> u64 {
        let head = self.header.free[class];
        if head != 0 {
            let next = self.read_u64(head);
            self.set_free(class, next);
            return head;
        }
        let block = self.header.end;
        self.header.end += block_size(class);
        self.ensure_size(self.header.end);
        self.write_u64(AT_END, self.header.end);
        block
    }

    /// Puts a record block on its class's free list.
    fn release(&mut self, block: u64) {
        let class = class_of(u64::from(self.read_u32(block)) + 4);
        self.write_u64(block, self.header.free[class]);
        self.set_free(class, block);
    }

    fn set_free(&mut self, class: usize, head: u64) {
        self.header.free[class] = head;
        self.write_u64(AT_FREE + 8 * class as u64, head);
    }

    fn ensure_size(&self, bytes: u64) {
        let pages = bytes.div_ceil(WASM_PAGE);
        let have = self.memory.size();
        if pages > have {
            assert!(
                self.memory.grow(pages - have) >= 0,
                "out of stable memory for event records"
            );
        }
    }

    fn read_u64(&self, at: u64) -> u64 {
        let mut b = [0u8; 8];
        self.memory.read(at, &mut b);
        u64::from_le_bytes(b)
    }

    fn read_u32(&self, at: u64) -> u32 {
        let mut b = [0u8; 4];
        self.memory.read(at, &mut b);
        u32::from_le_bytes(b)
    }

    fn write_u64(&self, at: u64, value: u64) {
        self.memory.write(at, &value.to_le_bytes());
    }
}

/// Byte `level` of `id` (0 = the lowest): its index in the node of that level.
fn digit(id: u64, level: u32) -> u64 {
    (id >> (8 * level)) & (FANOUT - 1)
}

/// The smallest class whose blocks hold `bytes`.
fn class_of(bytes: u64) -> usize {
    let blocks = bytes.div_ceil(SMALLEST_BLOCK).max(1);
    blocks.next_power_of_two().trailing_zeros() as usize
}

fn block_size(class: usize) -> u64 {
    SMALLEST_BLOCK << class
}

/// The walk of [`Records::range_from`]: a stack of the nodes on the current path, each read
/// whole once.
struct Ids<'a, M: Memory> {
    records: &'a Records<M>,
    from: u64,
    stack: Vec<Frame>,
}

struct Frame {
    slots: Vec<u64>,
    next: u64,
    /// The id bits above this node's level.
    base: u64,
    level: u32,
}

impl<M: Memory> Ids<'_, M> {
    /// The node at `address`, starting at `from`'s digit when the node is on `from`'s path.
    fn frame(&self, address: u64, level: u32, base: u64) -> Frame {
        let mut bytes = vec![0u8; NODE_SIZE as usize];
        self.records.memory.read(address, &mut bytes);
        let slots = bytes
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect();
        let above = 8 * (level + 1);
        let on_path = above >= 64 || (self.from >> above) << above == base;
        Frame {
            slots,
            next: if on_path { digit(self.from, level) } else { 0 },
            base,
            level,
        }
    }
}

impl<M: Memory> Iterator for Ids<'_, M> {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        loop {
            let top = self.stack.last_mut()?;
            if top.next == FANOUT {
                self.stack.pop();
                continue;
            }
            let index = top.next;
            top.next += 1;
            let child = top.slots[index as usize];
            if child == 0 {
                continue;
            }
            let id = top.base | index << (8 * top.level);
            if top.level == 0 {
                return Some((id, child));
            }
            let level = top.level - 1;
            let frame = self.frame(child, level, id);
            self.stack.push(frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::VectorMemory;
    use std::collections::BTreeMap;

    fn bytes_for(id: u64, round: u64) -> Vec<u8> {
        // Sizes across several classes, and a change of class between rounds.
        let len = (id.wrapping_mul(37).wrapping_add(round * 101) % 700) as usize;
        (0..len).map(|i| (i as u64 ^ id ^ round) as u8).collect()
    }

    #[test]
    fn an_empty_memory_is_an_empty_store_and_opening_it_writes_nothing() {
        let memory = VectorMemory::default();
        let records = Records::init(memory.clone());
        assert_eq!(records.len(), 0);
        assert_eq!(records.get(0), None);
        assert_eq!(records.get(u64::MAX), None);
        assert_eq!(records.range_from(0).count(), 0);
        assert!(memory.borrow().is_empty());
        // A zeroed memory (a restore of a snapshot from before the store) reads the same.
        memory.grow(3);
        let records = Records::init(memory.clone());
        assert_eq!((records.len(), records.get(1)), (0, None));
    }

    #[test]
    fn it_reads_what_a_map_would_across_inserts_replacements_and_removals() {
        let memory = VectorMemory::default();
        let mut records = Records::init(memory.clone());
        let mut model = BTreeMap::new();
        // Dense ids, then a jump (a restore moves the next id to the clock in microseconds),
        // then ids at the very top.
        let ids: Vec<u64> = (1..2_000)
            .chain(1_800_000_000_000_000..1_800_000_000_000_300)
            .chain([u64::MAX - 1, u64::MAX])
            .collect();
        for round in 0..3 {
            for &id in &ids {
                if (id % 3 + round) % 3 == 0 {
                    assert_eq!(records.remove(id), model.remove(&id).is_some());
                } else {
                    let bytes = bytes_for(id, round);
                    records.insert(id, &bytes);
                    model.insert(id, bytes);
                }
            }
            assert_eq!(records.len(), model.len() as u64);
            // Reopened from memory: the header round-trips.
            let reopened = Records::init(memory.clone());
            assert_eq!(reopened.header, records.header);
            for probe in [0, 1, 2, 255, 256, 1_999, 2_000, 1_800_000_000_000_100] {
                assert_eq!(records.get(probe), model.get(&probe).cloned(), "{probe}");
            }
            for from in [0, 1, 700, 1_999, 5_000, 1_800_000_000_000_150, u64::MAX] {
                let got: Vec<_> = records.range_from(from).collect();
                let want: Vec<_> = model.range(from..).map(|(k, v)| (*k, v.clone())).collect();
                assert_eq!(got, want, "from {from}");
            }
        }
    }

    #[test]
    fn freed_blocks_are_reused_so_churn_does_not_grow_the_memory() {
        let memory = VectorMemory::default();
        let mut records = Records::init(memory.clone());
        for id in 0..1_000 {
            records.insert(id, &[7; 300]);
        }
        let size = memory.size();
        let end = records.header.end;
        // Delete and re-create with new ids, as users do: the table grows by a node per 256 ids,
        // the records reuse freed blocks.
        for id in 0..1_000 {
            assert!(records.remove(id));
            records.insert(10_000 + id, &[8; 300]);
        }
        assert!(records.header.end <= end + 5 * NODE_SIZE);
        assert!(
            memory.size() <= size + 1,
            "at most a page for the new nodes"
        );
        assert!(!records.remove(5), "already removed");
        assert_eq!(records.get(10_500), Some(vec![8; 300]));
    }

    #[test]
    fn classes_hold_their_sizes() {
        assert_eq!(class_of(1), 0);
        assert_eq!(class_of(64), 0);
        assert_eq!(class_of(65), 1);
        assert_eq!(class_of(NODE_SIZE), 5);
        assert_eq!(block_size(class_of(2 * 1024 * 1024 + 4)), 4 * 1024 * 1024);
        assert!(class_of(u64::from(u32::MAX) + 4) < CLASSES);
    }
}
