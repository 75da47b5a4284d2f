//! `ccgsim sensitivity`: a sweep file with a `[morris]` or `[sobol_indices]`
//! design, run (or one shard of it) exactly like `ccgsim sweep`; a whole
//! result also gets indices.csv (from the sweep layer) and its figures.

use super::sweep::{SweepArgs, run_loaded};
use ccgsim::error::{Error, Result};
use ccgsim::sweep;

pub fn run(a: SweepArgs) -> Result<()> {
    let sw = sweep::load(&a.sweep)?;
    if sw.indices.is_none() {
        return Err(Error::Usage(format!(
            "{} has a [{}] design; `ccgsim sensitivity` needs [morris] or [sobol_indices] (run plain sweeps with `ccgsim sweep`)",
            a.sweep.display(),
            sw.design.name()
        )));
    }
    let whole = a.shard.is_none();
    let report = run_loaded(a, &sw)?;
    if whole && !report.path.join("plots").exists() {
        super::plot::sweep_figures(&report.path, None, false)?;
    } else {
        println!(
            "when every shard is done: ccgsim merge <shard folders> --out DIR, then ccgsim plot sweep DIR"
        );
    }
    Ok(())
}
