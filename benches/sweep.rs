//! Sweep throughput: CCG-runs per second through `sweep::run`, including
//! chunk files, assembly and statistics (a 4-point grid × 25 replicates of
//! a 40-practice CCG over 60 months = 100 CCG-runs per iteration).

use ccgsim::sweep::{self, SweepOptions, manifest::Shard};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn sweep_throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("base.toml"),
        "[scenario]\nmonths = 60\n[ccg]\npractices = 40\n",
    )
    .unwrap();
    let text = "base = \"base.toml\"\nreplicates = 25\n[grid]\n\"constitution.sanctions\" = [0.0, 0.3, 0.6, 1.0]\n";
    let sw = sweep::parse(text, &dir.path().join("bench.toml")).unwrap();
    let mut g = c.benchmark_group("sweep");
    g.throughput(Throughput::Elements(sw.total_runs()));
    g.sample_size(10);
    let mut k = 0;
    g.bench_function("grid_100_runs", |b| {
        b.iter_batched(
            || {
                k += 1;
                dir.path().join(format!("out-{k}"))
            },
            |out| {
                sweep::run(
                    &sw,
                    &SweepOptions {
                        out,
                        shard: Shard::WHOLE,
                        threads: 0,
                        quiet: true,
                        timeseries_quantiles: None,
                        format: Default::default(),
                    },
                )
                .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, sweep_throughput);
criterion_main!(benches);
