//! `ccgsim validate`: run the pattern experiments and calibration figures, print
//! the table, and optionally write it as Markdown (docs/VALIDATION.md).

use ccgsim::engine;
use ccgsim::error::{Error, Result};
use ccgsim::validate::{self, Lab};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct ValidateArgs {
    /// Replicates per experiment (at least 30)
    #[arg(long, default_value_t = validate::DEFAULT_REPLICATES)]
    replicates: u32,
    /// Write the table as Markdown here, e.g. docs/VALIDATION.md
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the --out file if it exists (otherwise an existing file is refused)
    #[arg(long)]
    force: bool,
    /// Override a parameter in every scenario, e.g. --set behaviour.eng_peer=2.5 (repeatable)
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Use this seed in every scenario instead of the files' own (a fresh, still paired sample)
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (0 = one per core)
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Draw each replicate's parameters from this posterior.csv (`ccgsim calibrate`)
    #[arg(long)]
    posterior: Option<PathBuf>,
}

pub fn run(a: ValidateArgs) -> Result<()> {
    if a.replicates < validate::MIN_REPLICATES || a.replicates > 100_000 {
        return Err(Error::Usage(format!(
            "--replicates {} is out of range; allowed an integer from {} to 100000",
            a.replicates,
            validate::MIN_REPLICATES
        )));
    }
    let lab = Lab {
        replicates: a.replicates,
        overrides: validate::parse_overrides(&a.set)?,
        seed: a.seed,
        posterior: ccgsim::calibrate::posterior::load_opt(a.posterior.as_deref())?,
    };
    if let Some(path) = &a.out {
        refuse_existing(path, a.force)?;
    }
    let pool = engine::pool(a.threads)?;
    let report = pool.install(|| lab.validate());
    print!("{}", report.to_text());
    if let Some(path) = a.out {
        write_atomically(&path, report.to_markdown().as_bytes())?;
        ccgsim::outln!("wrote {}", path.display());
    }
    let failed = report.failures();
    if failed.is_empty() {
        Ok(())
    } else {
        let ids: Vec<String> = failed.iter().map(|c| c.pattern.clone()).collect();
        Err(Error::Refused(format!(
            "validation failed: {} counted check{} failed (table lines {}); see FAIL above",
            failed.len(),
            if failed.len() == 1 { "" } else { "s" },
            ids.join("; ")
        )))
    }
}

/// `--out` never replaces an existing file unless `--force` is given.
fn refuse_existing(path: &std::path::Path, force: bool) -> Result<()> {
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "--out {} is a folder; give a file name, e.g. docs/VALIDATION.md",
            path.display()
        )));
    }
    if path.exists() && !force {
        return Err(Error::Usage(format!(
            "--out {} exists; add --force to replace it",
            path.display()
        )));
    }
    Ok(())
}

/// Write to a temporary file beside `path`, then rename it into place.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("create folder", parent, e))?;
    }
    let tmp = path.with_extension(format!("md.partial-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| Error::io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("write", path, e))
}
