//! `ccgsim calibrate FILE --out DIR`: ABC-SMC posterior of scenario parameters
//! against observed figures (resumable; see docs/CALIBRATION.md).

use ccgsim::calibrate::{self, output};
use ccgsim::error::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct CalibrateArgs {
    /// Calibration file (TOML): [calibration], [[priors]], [[targets]]
    file: PathBuf,
    /// Result folder [default: output/calib-<file name>]; a killed run resumes
    /// from the checkpoints in .<name>.calibration beside it
    #[arg(long)]
    out: Option<PathBuf>,
    /// Skip the figures in <out>/plots/
    #[arg(long)]
    no_plots: bool,
    #[command(flatten)]
    exec: super::Execution,
}

pub fn run(a: CalibrateArgs) -> Result<()> {
    let cal = calibrate::load(&a.file)?;
    let out = a.out.unwrap_or_else(|| {
        let stem = a
            .file
            .file_stem()
            .map_or("calibration".into(), |s| s.to_string_lossy().to_string());
        PathBuf::from("output").join(format!("calib-{stem}"))
    });
    if !a.exec.quiet {
        eprintln!(
            "calibrating {} parameter(s) against {} target(s): {} particles × up to {} generations, {} replicate(s) per particle, into {}",
            cal.priors.len(),
            cal.targets.len(),
            cal.settings.particles,
            cal.settings.generations,
            cal.replicates,
            out.display()
        );
    }
    let report = output::calibrate(
        &cal,
        &output::Options {
            out,
            threads: a.exec.threads,
            force: a.exec.force,
            quiet: a.exec.quiet,
            plots: !a.no_plots,
        },
    )?;
    let mut text = format!(
        "{:<36} {:>10} {:>22}\n",
        "parameter", "median", "90% credible interval"
    );
    for (path, med, lo, hi) in &report.marginals {
        text += &format!("{path:<36} {med:>10.4}   [{lo:.4}, {hi:.4}]\n");
    }
    text += &format!(
        "wrote {} ({} generation(s), {} resumed, {:.1} s)\n",
        report.path.display(),
        report.generations.len(),
        report.resumed,
        report.seconds
    );
    super::emit(&text);
    Ok(())
}
