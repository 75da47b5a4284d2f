//! Criterion benchmarks of the hot paths (docs/PERFORMANCE.md explains how to
//! run them and what the figures mean). Throughput is reported in elements:
//! practice-months for the model, runs for the engine, bytes for the CSV.
//!
//! `cargo bench --bench engine` runs them all; `-- step/40` picks one.
//!
//! The machine this project is built on is shared, so the one-thread benches
//! measure the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), which
//! does not count time the thread spends waiting for a core; the thread-scaling
//! bench must measure wall time and is only meaningful on an idle machine.

use ccgsim::engine::{self, Plan};
use ccgsim::model::Ccg;
use ccgsim::model::rng::Stream;
use ccgsim::output::tables;
use ccgsim::scenario::{Params, Scenario, parse};
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// CPU time of the calling thread, in nanoseconds.
struct ThreadCpu;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "CLOCK_THREAD_CPUTIME_ID is available");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns() - start
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        // Nanoseconds, like wall time: reuse its units and throughput scaling.
        static WALL: WallTime = WallTime;
        WALL.formatter()
    }
}

fn scenario(text: &str) -> Scenario {
    parse(text, Path::new("bench.toml")).expect("bench scenario is valid")
}

/// One month of one CCG, no output: the engine's inner loop.
fn step(c: &mut Criterion<ThreadCpu>) {
    let p = Params::default();
    let mut g = c.benchmark_group("step");
    for n in [12usize, 40, 150] {
        let mut ccg = Ccg::new(&p, n, Stream::derive(1, &[n as u64]));
        // Let the state settle so the benchmark measures a typical month.
        for _ in 0..24 {
            ccg.step(&p, 0.0);
        }
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| ccg.step(black_box(&p), black_box(0.0)))
        });
    }
    g.finish();
    // One month's observation of a settled CCG: what recording adds per month.
    let mut g = c.benchmark_group("observe");
    for n in [40usize] {
        let mut ccg = Ccg::new(&p, n, Stream::derive(1, &[n as u64]));
        for _ in 0..24 {
            ccg.step(&p, 0.0);
        }
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(&ccg).observe(black_box(&p)))
        });
    }
    g.finish();
}

/// A whole CCG-run: build 40 practices and step 120 months, with and without
/// recording the monthly observations.
fn run(c: &mut Criterion<ThreadCpu>) {
    let plan = Plan::new(scenario(
        "[scenario]\nmonths = 120\nreplicates = 1000\n[ccg]\npractices = 40\n",
    ));
    let mut g = c.benchmark_group("run");
    g.throughput(Throughput::Elements(40 * 120));
    let mut i = 0u64;
    g.bench_function("40x120/no_output", |b| {
        b.iter(|| {
            i += 1;
            black_box(plan.simulate(plan.run_id(i % 1000), |_, _| {}))
        })
    });
    g.bench_function("40x120/record", |b| {
        b.iter(|| {
            i += 1;
            black_box(plan.record(i % 1000))
        })
    });
    g.bench_function("40x120/record_and_format", |b| {
        b.iter(|| {
            i += 1;
            black_box(tables::format_run(
                &plan.record(i % 1000),
                true,
                &tables::RowPrefix::new("bench"),
            ))
        })
    });
    g.finish();
}

/// The engine alone on England's CCGs (scenarios/england-2013.toml: 211 CCGs of
/// 10 to 125 practices, 120 months), one replicate per iteration, no output:
/// the engine-only figure for the England end-to-end run (benches/speed_ratio.sh),
/// whose CCGs are mostly smaller than the 40 of `run/40x120`.
fn england(c: &mut Criterion<ThreadCpu>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/england-2013.toml");
    let text = std::fs::read_to_string(&path).expect("scenarios/england-2013.toml");
    let mut scn = parse(&text, &path).expect("england-2013 is valid");
    // As `ccgsim run --months 120 --replicates 1` sets them.
    scn.override_from_command_line(None, Some(1), Some(120))
        .expect("valid overrides");
    let plan = Plan::new(scn);
    let (_, practice_months) = plan.scenario.workload();
    let mut g = c.benchmark_group("england");
    g.sample_size(10);
    g.throughput(Throughput::Elements(practice_months));
    g.bench_function("211x120/no_output", |b| {
        b.iter(|| {
            for i in 0..plan.runs() {
                black_box(plan.simulate(plan.run_id(i), |_, _| {}));
            }
        })
    });
    g.finish();
}

/// CSV formatting: one run's 121 timeseries rows, and single numbers.
fn csv(c: &mut Criterion<ThreadCpu>) {
    let plan = Plan::new(scenario(
        "[scenario]\nmonths = 120\nreplicates = 1\n[ccg]\npractices = 40\n",
    ));
    let rec = plan.record(0);
    let bytes = tables::format_run(&rec, true, &tables::RowPrefix::new("bench"))
        .timeseries
        .len() as u64;
    let prefix = tables::RowPrefix::new("bench");
    let mut g = c.benchmark_group("csv");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("format_run/121_rows", |b| {
        b.iter(|| black_box(tables::format_run(black_box(&rec), true, &prefix)))
    });
    let values: Vec<f64> = rec.months.iter().flat_map(|o| o.values()).collect();
    g.throughput(Throughput::Elements(values.len() as u64));
    let mut s = String::new();
    g.bench_function("format_number", |b| {
        b.iter(|| {
            for &v in &values {
                tables::format_number(black_box(v), &mut s);
                black_box(&s);
            }
        })
    });
    g.finish();
}

/// A multi-run job (240 CCG-runs of 40 practices × 120 months, results
/// formatted and handed back in order) on 1 and 2 worker threads.
fn scaling(c: &mut Criterion) {
    let plan = Plan::new(scenario(
        "[scenario]\nmonths = 120\nreplicates = 240\n[ccg]\npractices = 40\n",
    ));
    let runs = plan.runs();
    let prefix = tables::RowPrefix::new("bench");
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(runs * 40 * 120));
    for threads in [1usize, 2] {
        let pool = engine::pool(threads).expect("pool");
        g.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, _| {
            b.iter(|| {
                pool.install(|| {
                    let mut bytes = 0usize;
                    engine::ordered_map(
                        0..runs,
                        32 * threads as u64,
                        |i| tables::format_run(&plan.record(i), true, &prefix),
                        |_, f| {
                            bytes += f.timeseries.len();
                            Ok(())
                        },
                    )
                    .expect("in memory");
                    black_box(bytes)
                })
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = one_thread;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = step, run, england, csv
}
criterion_group!(threads, scaling);
criterion_main!(one_thread, threads);
