//! Byte buffers handed back by runs whose rows were written, for the rows of
//! the next runs. A fresh buffer of tens of KB per run made the allocator give
//! memory back to the system and take it again, a page fault per 4 KiB: about
//! 40% of a Parquet run result's faults (docs/PERFORMANCE.md).

use std::sync::Mutex;

/// A bounded stack of spare buffers, shared by the worker threads that fill
/// them and the writer that empties them. What a buffer held never reaches
/// the output: [`Spare::take`] returns it empty.
pub struct Spare {
    bufs: Mutex<Vec<Vec<u8>>>,
}

/// Buffers kept at most: runs in flight are bounded by the engine's reorder
/// window; any beyond are freed.
const KEEP: usize = 64;

impl Spare {
    pub const fn new() -> Spare {
        Spare {
            bufs: Mutex::new(Vec::new()),
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

    /// Keep `buf`'s room for a later [`take`](Self::take).
    pub fn give(&self, buf: Vec<u8>) {
        if buf.capacity() > 0
            && let Ok(mut s) = self.bufs.lock()
            && s.len() < KEEP
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
}
