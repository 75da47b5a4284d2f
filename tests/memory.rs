//! Memory: the state of a practice stays small, and a run's peak memory does
//! not grow with the number of replicates (results stream to disk). Measured
//! by counting the bytes this test binary has allocated (a counting global
//! allocator), so the figures are exact and independent of the machine. One
//! test function, so no other test allocates at the same time.

use ccgsim::model::Ccg;
use ccgsim::model::rng::Stream;
use ccgsim::run::{RunOptions, run};
use ccgsim::scenario::{Params, parse};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Heap bytes a CCG of `n` practices keeps after a year, plus the struct itself, per practice.
fn bytes_per_practice(n: usize) -> f64 {
    let p = Params::default();
    let before = LIVE.load(Relaxed);
    let mut ccg = Ccg::new(&p, n, Stream::derive(3, &[n as u64]));
    for _ in 0..12 {
        ccg.step(&p, 0.0);
    }
    let heap = LIVE.load(Relaxed) - before;
    let total = heap + std::mem::size_of::<Ccg>();
    drop(ccg);
    total as f64 / n as f64
}

/// Peak heap bytes of a whole `run` (simulate, format, write) of `replicates`.
fn peak_of_run(dir: &Path, replicates: u32) -> usize {
    let text = format!(
        "[scenario]\nmonths = 24\nreplicates = {replicates}\n[population]\npractices = [12, 40, 150]\n"
    );
    let scn = parse(&text, Path::new("memory.toml")).unwrap();
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let opts = RunOptions {
        threads: 1,
        ..RunOptions::new(dir.join(format!("r{replicates}")))
    };
    run(scn, &opts).unwrap();
    PEAK.load(Relaxed) - base
}

#[test]
fn practice_state_is_small_and_runs_stream() {
    for n in [40, 150, 1000] {
        let b = bytes_per_practice(n);
        eprintln!("{n} practices: {b:.1} bytes per practice");
        assert!(b <= 256.0, "{b:.0} bytes per practice at {n} practices");
    }
    // 300 vs 3000 CCG-runs: 10 batches against 94 on one thread.
    let dir = tempfile::tempdir().unwrap();
    let small = peak_of_run(dir.path(), 100);
    let large = peak_of_run(dir.path(), 1000);
    eprintln!("peak heap: {small} bytes (100 replicates), {large} bytes (1000 replicates)");
    assert!(
        (large as f64) < 1.25 * small as f64,
        "peak heap grew from {small} to {large} bytes with 10x the replicates"
    );
}
