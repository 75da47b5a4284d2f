//! Cost of one classroom request (`POST /api/run` without the HTTP layer): the
//! page re-simulates from month 0 on every tick, so this is the time per tick.

use ccgsim::serve::api;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn request(practices: u32, months: u32, futures: u32) -> Vec<u8> {
    format!(
        r#"{{"months": {months}, "futures": {futures}, "params": {{"ccg.practices": {practices}}},
            "events": [{{"month": 12, "failure_narrative": 0.8, "duration": 12}},
                       {{"month": 30, "set": {{"constitution.sanctions": 0.6}}}}]}}"#
    )
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("serve_run");
    for (name, practices, months, futures) in [
        ("tick_40_practices_120_months", 40, 120, 1),
        ("tick_40_practices_120_months_20_futures", 40, 120, 20),
        ("tick_150_practices_240_months_20_futures", 150, 240, 20),
    ] {
        let body = request(practices, months, futures);
        g.bench_function(name, |b| {
            b.iter(|| api::run_json(black_box(&body)).unwrap())
        });
    }
    g.finish();
    // The largest request the server accepts, to check the bound keeps it short.
    let mut g = c.benchmark_group("serve_run_largest");
    g.sample_size(10);
    let body = request(1000, api::MAX_MONTHS, api::MAX_FUTURES);
    g.bench_function("1000_practices_600_months_50_futures", |b| {
        b.iter(|| api::run_json(black_box(&body)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
