//! Memory: the state of a practice stays small, and a run's peak memory does
//! not grow with the number of replicates (results stream to disk). Measured
//! by counting the bytes this test binary has allocated (a counting global
//! allocator), so the figures are exact and independent of the machine. One
//! test function, so no other test allocates at the same time.

use ccgsim::model::Ccg;
use ccgsim::model::rng::Stream;
use ccgsim::output::practices::Selection;
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

/// Peak heap bytes of a whole `run` (simulate, format, write) of `replicates`,
/// with `practices.csv` for this selection if given.
fn peak_of_run(dir: &Path, replicates: u32, practices: Option<Selection>) -> usize {
    let text = format!(
        "[scenario]\nmonths = 24\nreplicates = {replicates}\n[population]\npractices = [12, 40, 150]\n"
    );
    let scn = parse(&text, Path::new("memory.toml")).unwrap();
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let out = dir.join(format!("r{replicates}-{}", practices.is_some()));
    let opts = RunOptions {
        threads: 1,
        // Figures keep a capped sample (plot::sample, tested there); this
        // measures the streaming of results alone.
        plots: false,
        practices,
        ..RunOptions::new(out)
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
    let small = peak_of_run(dir.path(), 100, None);
    let large = peak_of_run(dir.path(), 1000, None);
    eprintln!("peak heap: {small} bytes (100 replicates), {large} bytes (1000 replicates)");
    assert!(
        (large as f64) < 1.25 * small as f64,
        "peak heap grew from {small} to {large} bytes with 10x the replicates"
    );
    // The same with practices.csv (months 0, 6, …, 24: 1 million rows, about
    // 90 MB, at 1000 replicates): the rows stream out run by run.
    let every = || Some(Selection::parse(Some(6), None, None).unwrap());
    let small_p = peak_of_run(dir.path(), 100, every());
    let large_p = peak_of_run(dir.path(), 1000, every());
    let written = std::fs::metadata(dir.path().join("r1000-true/practices.csv"))
        .unwrap()
        .len();
    eprintln!(
        "peak heap with --practices: {small_p} bytes (100 replicates), {large_p} bytes \
         (1000 replicates, practices.csv {written} bytes)"
    );
    assert!(written > 5 * large_p as u64, "the large run is not large");
    assert!(
        (large_p as f64) < 1.25 * small_p as f64,
        "peak heap with --practices grew from {small_p} to {large_p} bytes with 10x the replicates"
    );
}
