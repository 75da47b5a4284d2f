//! Arbitrary bytes → sweep file parsing and validation (grid, LHS and Sobol
//! designs, every axis value checked like a scenario value, cross-checks at every
//! point). `base = "base.toml"` resolves to the shipped baseline scenario, copied
//! once into a temporary folder. A valid sweep is pushed a little further: its
//! first point's scenario, its plan and points.csv.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn sweep_path() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ccgsim-fuzz-sweep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("base.toml"),
            include_str!("../../scenarios/baseline.toml"),
        )
        .unwrap();
        dir.join("sweep.toml")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ccgsim::sweep::parse(text, sweep_path()) {
        Err(e) => {
            let _ = e.to_string();
        }
        Ok(sweep) => {
            let _ = sweep.total_runs();
            if !sweep.points.is_empty() {
                let _ = sweep.point_plan(0);
            }
            if sweep.points.len() <= 10_000 {
                let _ = sweep.points_csv();
            }
        }
    }
});
