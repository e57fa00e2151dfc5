//! Unit tests of the store's logic on `VectorMemory`.
