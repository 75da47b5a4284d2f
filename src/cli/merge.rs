//! `ccgsim merge`: join the shard folders of one sweep into its whole result.

use ccgsim::error::Result;
use ccgsim::sweep::merge;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct MergeArgs {
    /// Shard result folders (any order), e.g. results/part-*
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Result folder for the merged sweep (must not exist)
    #[arg(long)]
    out: PathBuf,
    /// Print nothing but errors
    #[arg(long, short)]
    quiet: bool,
    /// Table format of the merged result: csv or parquet [default: the format
    /// the shards were run with]
    #[arg(long, value_name = "csv|parquet")]
    format: Option<String>,
}

pub fn run(a: MergeArgs) -> Result<()> {
    let format = a
        .format
        .as_deref()
        .map(ccgsim::output::Format::parse)
        .transpose()?;
    let r = merge::merge_as(&a.shards, &a.out, format)?;
    if a.quiet {
        return Ok(());
    }
    ccgsim::outln!(
        "merged {} shard(s) into {} ({} points, {} CCG-runs)",
        r.shards,
        r.path.display(),
        r.points,
        r.runs
    );
    Ok(())
}
