//! Progress for long jobs: a bar with rate and ETA on a terminal, a plain line
//! every few seconds (and one at the end) in a log file or pipe, and silence in
//! CI (`CI` set) or when asked (`--quiet`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: Option<ProgressBar>,
    plain: Option<Plain>,
}

struct Plain {
    total: u64,
    done: u64,
    unit: &'static str,
    start: Instant,
    last: Instant,
    every: Duration,
}

/// Seconds between plain progress lines in a log (SLURM output, a pipe).
pub const PLAIN_EVERY_SECONDS: f64 = 5.0;
/// Environment variable overriding [`PLAIN_EVERY_SECONDS`] (tests use 0).
pub const ENV_PLAIN_EVERY: &str = "CCGSIM_PROGRESS_EVERY";

fn plain_interval() -> Duration {
    let secs = std::env::var(ENV_PLAIN_EVERY)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(PLAIN_EVERY_SECONDS);
    Duration::from_secs_f64(secs.min(86_400.0))
}

impl Progress {
    /// `quiet` silences it; so does a non-terminal stderr when `CI` is set.
    pub fn new(total: u64, unit: &'static str, quiet: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let ci = std::env::var_os("CI").is_some();
        if quiet || (!terminal && ci) {
            return Progress {
                bar: None,
                plain: None,
            };
        }
        if terminal {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{bar:40}} {{pos}}/{{len}} {unit} ({{per_sec}}, ETA {{eta}})"
                ))
                .expect("valid template"),
            );
            return Progress {
                bar: Some(bar),
                plain: None,
            };
        }
        let now = Instant::now();
        Progress {
            bar: None,
            plain: Some(Plain {
                total,
                done: 0,
                unit,
                start: now,
                last: now,
                every: plain_interval(),
            }),
        }
    }

    pub fn inc(&mut self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
        if let Some(p) = &mut self.plain {
            p.done += n;
            if p.last.elapsed() >= p.every {
                p.last = Instant::now();
                let secs = p.start.elapsed().as_secs_f64();
                let rate = p.done as f64 / secs.max(1e-9);
                let eta = (p.total - p.done.min(p.total)) as f64 / rate.max(1e-9);
                crate::warnln!(
                    "progress: {}/{} {} ({:.0}/s, {:.0}% done, ETA {:.0} s)",
                    p.done,
                    p.total,
                    p.unit,
                    rate,
                    100.0 * p.done as f64 / p.total.max(1) as f64,
                    eta
                );
            }
        }
    }

    pub fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
        if let Some(p) = self.plain {
            eprintln!(
                "progress: {}/{} {} done in {:.1} s",
                p.done,
                p.total,
                p.unit,
                p.start.elapsed().as_secs_f64()
            );
        }
    }
}
