//! A data version for canisters whose structures do not keep one: [`Tracked`] wraps each data
//! memory and notes any write or growth, so a canister can move its data version exactly when a
//! message really changed its data (and not when a timer looked and found nothing to do). The
//! backup canister skips a canister whose version did not move, so a false "changed" costs a
//! whole snapshot and a missed one loses data: counting writes at the memory gets both right
//! without every write path remembering to bump a counter.
//!
//! Use: [`clear`] before the change, [`written`] after (the canister's one `mutate` path).

use std::cell::Cell;

use ic_stable_structures::Memory;

thread_local! {
    static WRITTEN: Cell<bool> = const { Cell::new(false) };
}

/// A memory whose writes and growth are noted (see [`written`]).
#[derive(Clone)]
pub struct Tracked<M: Memory>(pub M);

impl<M: Memory> Memory for Tracked<M> {
    fn size(&self) -> u64 {
        self.0.size()
    }

    fn grow(&self, pages: u64) -> i64 {
        if pages > 0 {
            WRITTEN.set(true);
        }
        self.0.grow(pages)
    }

    fn read(&self, offset: u64, dst: &mut [u8]) {
        self.0.read(offset, dst)
    }

    fn write(&self, offset: u64, src: &[u8]) {
        if !src.is_empty() {
            WRITTEN.set(true);
        }
        self.0.write(offset, src)
    }
}

/// Forgets earlier writes; call right before the change being watched.
pub fn clear() {
    WRITTEN.set(false);
}

/// Whether a tracked memory was written or grown since [`clear`].
pub fn written() -> bool {
    WRITTEN.get()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::{StableBTreeMap, VectorMemory};

    #[test]
    fn only_real_changes_are_noted() {
        let mut map: StableBTreeMap<u64, u64, _> =
            StableBTreeMap::init(Tracked(VectorMemory::default()));
        clear();
        map.insert(1, 10);
        assert!(written(), "an insert writes");
        clear();
        assert_eq!(map.get(&1), Some(10));
        assert_eq!(map.get(&2), None);
        assert!(!written(), "reads write nothing");
        assert_eq!(map.remove(&2), None);
        assert!(!written(), "removing what is not there writes nothing");
        map.remove(&1);
        assert!(written());
    }
}
