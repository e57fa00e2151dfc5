//! A small binary layout for the records the firing path reads and writes for every reminder
//! (the due queue, event windows, inbox entries).
//!
//! Candid (`canister_kit::stored::Candid`) costs tens of microseconds per encode or decode of a nested
//! record, which made firing a reminder cost millions of instructions; these records are read
//! and written as plain little-endian fields instead, behind a layout byte so a later version
//! can read what this one wrote (add a new layout number, keep decoding the old one). Records
//! that change rarely (schedules, alerts, counters) stay Candid.
//!
//! Only this canister's code writes these bytes: a record that does not decode means stable
//! memory is corrupt or a migration is missing, and trapping (refusing the message or the
//! upgrade) is safer than going on with a default, as with `canister_kit::stored`.

use candid::Principal;

#[derive(Default)]
pub struct Writer(Vec<u8>);

impl Writer {
    pub fn new(layout: u8) -> Self {
        Writer(vec![layout])
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }

    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
        self
    }

    pub fn principal(&mut self, p: &Principal) -> &mut Self {
        self.bytes(p.as_slice())
    }

    pub fn text(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    pub fn len(&mut self, n: usize) -> &mut Self {
        self.u32(n as u32)
    }

    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }
}

pub struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Starts reading a `what` record, checking its layout byte.
    pub fn new(bytes: &'a [u8], what: &'static str, layout: u8) -> Self {
        let mut r = Reader { bytes, what };
        let found = r.u8();
        if found != layout {
            r.corrupt(&format!("layout {found}, expected {layout}"));
        }
        r
    }

    /// Traps: the record is not what this code wrote.
    pub fn corrupt(&self, why: &str) -> ! {
        panic!("stored {} does not decode: {why}", self.what)
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        if self.bytes.len() < n {
            self.corrupt("too short");
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        head
    }

    pub fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }

    pub fn bool(&mut self) -> bool {
        self.u8() != 0
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().expect("4 bytes"))
    }

    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().expect("8 bytes"))
    }

    pub fn bytes(&mut self) -> &'a [u8] {
        let n = self.u32() as usize;
        self.take(n)
    }

    pub fn principal(&mut self) -> Principal {
        match Principal::try_from_slice(self.bytes()) {
            Ok(p) => p,
            Err(_) => self.corrupt("bad principal"),
        }
    }

    pub fn text(&mut self) -> String {
        match std::str::from_utf8(self.bytes()) {
            Ok(s) => s.to_string(),
            Err(_) => self.corrupt("bad text"),
        }
    }

    pub fn len(&mut self) -> usize {
        self.u32() as usize
    }

    /// Reads `n` items with `item`.
    pub fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let n = self.len();
        (0..n).map(|_| item(self)).collect()
    }

    /// Ends the record: every byte must have been read.
    pub fn end(self) {
        if !self.bytes.is_empty() {
            self.corrupt("trailing bytes");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let p = Principal::from_slice(&[1, 2, 3]);
        let bytes = Writer::new(7)
            .u8(1)
            .bool(true)
            .u32(2)
            .u64(u64::MAX)
            .principal(&p)
            .text("héllo")
            .finish();
        let mut r = Reader::new(&bytes, "test", 7);
        assert_eq!(
            (r.u8(), r.bool(), r.u32(), r.u64(), r.principal(), r.text()),
            (1, true, 2, u64::MAX, p, "héllo".to_string())
        );
        r.end();
        assert!(std::panic::catch_unwind(|| Reader::new(&bytes, "test", 8)).is_err());
        assert!(std::panic::catch_unwind(|| {
            let mut r = Reader::new(&bytes[..5], "test", 7);
            r.u8();
            r.bool();
            r.u32();
        })
        .is_err());
    }
}
