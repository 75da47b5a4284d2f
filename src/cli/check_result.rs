//! `ccgsim check-result DIR`: is this result folder complete, partial or tampered?

use ccgsim::error::{Error, Result};
use ccgsim::output::verify::{Verdict, verify};
use std::path::Path;

/// Prints what was checked and found; exit 0 only for a complete result.
pub fn cmd_check_result(dir: &Path) -> Result<()> {
    let v = verify(dir)?;
    for name in &v.checked {
        ccgsim::outln!("ok        {name}");
    }
    for f in &v.findings {
        ccgsim::outln!("{:<9} {}", f.verdict.word(), f.message);
    }
    for name in &v.unlisted {
        ccgsim::outln!("note      {name} is not listed in the manifest (not checked)");
    }
    match v.verdict {
        Verdict::Complete => {
            ccgsim::outln!("{}: complete", dir.display());
            Ok(())
        }
        other => Err(Error::Refused(format!(
            "{} is {}: do not use it; rerun the command that wrote it",
            dir.display(),
            other.word()
        ))),
    }
}
