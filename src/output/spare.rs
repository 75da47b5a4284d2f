//! Byte buffers handed back by runs whose rows were written, for the rows of
//! the next runs, and by figures drawn, for the next figures. A fresh buffer
//! of tens of KB per run (or 2 MB per figure) made the allocator give memory
//! back to the system and take it again, a page fault per 4 KiB: about 40% of
//! a Parquet run result's faults (docs/PERFORMANCE.md).

use std::sync::Mutex;

/// A bounded stack of spare buffers, shared by the worker threads that fill
/// them and the writer that empties them. What a buffer held never reaches
/// the output: [`Spare::take`] returns it empty.
pub struct Spare {
    bufs: Mutex<Vec<Vec<u8>>>,
    /// Buffers kept at most; any beyond are freed.
    keep: usize,
}

/// Buffers kept at most by default: runs in flight are bounded by the
/// engine's reorder window.
const KEEP: usize = 64;

impl Spare {
    pub const fn new() -> Spare {
        Spare::bounded(KEEP)
    }

    /// A stack keeping at most `keep` buffers.
    pub const fn bounded(keep: usize) -> Spare {
        Spare {
            bufs: Mutex::new(Vec::new()),
            keep,
        }
    }

    /// An empty buffer, with the room of one given back if any.
    pub fn take(&self) -> Vec<u8> {
        let mut buf = self
            .bufs
            .lock()
            .map(|mut s| s.pop())
            .ok()
            .flatten()
            .unwrap_or_default();
        buf.clear();
        buf
    }

    /// A buffer of `len` bytes, each `fill`, in the room of one given back
    /// if any.
    pub fn take_filled(&self, len: usize, fill: u8) -> Vec<u8> {
        let mut buf = self.take();
        buf.resize(len, fill);
        buf
    }

    /// Keep `buf`'s room for a later [`take`](Self::take).
    pub fn give(&self, buf: Vec<u8>) {
        if buf.capacity() > 0
            && let Ok(mut s) = self.bufs.lock()
            && s.len() < self.keep
        {
            s.push(buf);
        }
    }
}

impl Default for Spare {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_empty_with_their_room_and_the_stack_is_bounded() {
        let spare = Spare::new();
        assert_eq!(spare.take().capacity(), 0);
        let mut b = Vec::with_capacity(1000);
        b.extend_from_slice(b"old rows");
        spare.give(b);
        let b = spare.take();
        assert!(b.is_empty() && b.capacity() >= 1000);
        for _ in 0..KEEP + 10 {
            spare.give(vec![1; 10]);
        }
        assert_eq!(spare.bufs.lock().unwrap().len(), KEEP);
    }

    /// A filled buffer has the asked size and every byte the asked value,
    /// whatever the buffer given back held, shorter or longer; its room is
    /// reused; a bounded stack keeps at most its bound.
    #[test]
    fn filled_buffers_reuse_room_and_the_bound_holds() {
        let spare = Spare::bounded(2);
        let a = spare.take_filled(10, 255);
        assert_eq!(a, vec![255u8; 10]);
        let mut b = spare.take_filled(1000, 0);
        b.iter_mut().enumerate().for_each(|(i, x)| *x = i as u8);
        let b_ptr = b.as_ptr();
        spare.give(b);
        let c = spare.take_filled(300, 7);
        assert_eq!(c.as_ptr(), b_ptr, "a kept buffer is reused");
        assert_eq!(c, vec![7u8; 300]);
        spare.give(c);
        assert_eq!(spare.take_filled(5000, 255), vec![255u8; 5000]);
        for v in [a, vec![1u8; 3], vec![2u8; 4]] {
            spare.give(v);
        }
        assert_eq!(spare.bufs.lock().unwrap().len(), 2);
    }
}
