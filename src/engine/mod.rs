//! The simulation engine: one CCG-run from month 0 to the horizon, and many runs
//! in parallel with results handed back in run order.

pub mod schedule;

use crate::error::Result;
use crate::model::{Ccg, Observation, rng::Stream};
use crate::scenario::Scenario;
use rayon::prelude::*;
pub use schedule::Schedule;

/// Where a run sits in its scenario: replicate-major, then CCG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId {
    pub replicate: u32,
    pub ccg: u32,
}

/// A finished CCG-run: its monthly observations (months 0..=horizon) and outcome.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub id: RunId,
    pub practices: u32,
    pub months: Vec<Observation>,
    pub failed_month: Option<u32>,
}

/// Everything the runs of one scenario share.
#[derive(Debug, Clone)]
pub struct Plan {
    pub scenario: Scenario,
    pub schedule: Schedule,
    pub sizes: Vec<u32>,
    /// Extra coordinates mixed into every run's random stream (a sweep's point id).
    pub stream_prefix: Vec<u64>,
    /// Per-replicate parameters drawn from the scenario's posterior (`--posterior`).
    pub ensemble: Option<std::sync::Arc<crate::calibrate::posterior::Ensemble>>,
}

impl Plan {
    pub fn new(scenario: Scenario) -> Plan {
        Plan {
            schedule: Schedule::new(&scenario),
            sizes: scenario.ccg_sizes(),
            ensemble: (scenario.posterior.as_ref()).map(|p| p.ensemble(&scenario).into()),
            scenario,
            stream_prefix: Vec::new(),
        }
    }

    /// The parameters in force for `replicate`: its posterior particle's, if any.
    pub fn schedule_of(&self, replicate: u32) -> &Schedule {
        match &self.ensemble {
            Some(e) => &e.schedules[e.pick[replicate as usize] as usize],
            None => &self.schedule,
        }
    }

    pub fn runs(&self) -> u64 {
        self.scenario.replicates as u64 * self.sizes.len() as u64
    }

    pub fn run_id(&self, index: u64) -> RunId {
        let c = self.sizes.len() as u64;
        RunId {
            replicate: (index / c) as u32,
            ccg: (index % c) as u32,
        }
    }

    /// The random stream of a run: derived from (seed, prefix…, replicate, ccg).
    pub fn stream(&self, id: RunId) -> Stream {
        let mut coords = self.stream_prefix.clone();
        coords.extend([id.replicate as u64, id.ccg as u64]);
        Stream::derive(self.scenario.seed, &coords)
    }

    /// Run one CCG from month 0 to the horizon, calling `observe` each month.
    pub fn simulate(&self, id: RunId, mut observe: impl FnMut(u32, &Ccg)) -> Ccg {
        let n = self.sizes[id.ccg as usize] as usize;
        let schedule = self.schedule_of(id.replicate);
        let mut ccg = Ccg::new(schedule.params(0), n, self.stream(id));
        observe(0, &ccg);
        for t in 1..=self.scenario.months {
            ccg.step(schedule.params(t), schedule.shock(t));
            observe(t, &ccg);
        }
        ccg
    }

    /// Run one CCG and keep every month's observation.
    pub fn record(&self, index: u64) -> RunRecord {
        self.record_with(index, |_, _, _| {})
    }

    /// As [`record`](Self::record), also showing each month's CCG (after its
    /// observation is taken) and the parameters in force to `also`, which
    /// only reads it: the run and its record are the same as without it.
    pub fn record_with(
        &self,
        index: u64,
        mut also: impl FnMut(u32, &Ccg, &crate::scenario::Params),
    ) -> RunRecord {
        let id = self.run_id(index);
        let mut months = Vec::with_capacity(self.scenario.months as usize + 1);
        let schedule = self.schedule_of(id.replicate);
        let ccg = self.simulate(id, |t, c| {
            let p = schedule.params(t);
            months.push(c.observe(p));
            also(t, c, p);
        });
        RunRecord {
            id,
            practices: self.sizes[id.ccg as usize],
            months,
            failed_month: ccg.failed_month,
        }
    }
}

/// Compute `work(i)` for i in `range` on the current rayon pool and hand each
/// result to `sink` in index order, a bounded batch at a time, so memory stays
/// flat however many runs there are. While the calling thread hands one batch
/// to `sink` (typically writing files), the pool already computes the next, so
/// the serial writing overlaps the parallel work; at most two batches are held.
pub fn ordered_map<T: Send>(
    range: std::ops::Range<u64>,
    batch: u64,
    work: impl Fn(u64) -> T + Sync,
    mut sink: impl FnMut(u64, T) -> Result<()>,
) -> Result<()> {
    let batch = batch.max(1);
    let end = range.end;
    let compute = |start: u64| -> Vec<T> {
        (start..(start + batch).min(end))
            .into_par_iter()
            .map(&work)
            .collect()
    };
    let mut start = range.start;
    if start >= end {
        return Ok(());
    }
    let mut current = compute(start);
    loop {
        let next_start = (start + batch).min(end);
        let mut next = None;
        let mut handed = Ok(());
        // `in_place_scope` runs the sink here, on the calling thread (so `sink`
        // need not be `Send`), and waits for the spawned batch, helping with
        // it once the sink is done.
        rayon::in_place_scope(|s| {
            if next_start < end {
                s.spawn(|_| next = Some(compute(next_start)));
            }
            for (k, item) in current.drain(..).enumerate() {
                handed = sink(start + k as u64, item);
                if handed.is_err() {
                    break;
                }
            }
        });
        handed?;
        match next {
            Some(n) => {
                current = n;
                start = next_start;
            }
            None => return Ok(()),
        }
    }
}

/// Most worker threads a pool may have: more than any machine's cores, fewer than
/// the tens of thousands that make start-up and work stealing crawl for minutes.
pub const MAX_THREADS: usize = 1024;

/// A rayon pool of `threads` workers (0 = one per core).
pub fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    if threads > MAX_THREADS {
        return Err(crate::error::Error::Usage(format!(
            "--threads {threads} is out of range; allowed 0 (one per core) to {MAX_THREADS}"
        )));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| {
            crate::error::Error::Refused(format!("cannot start {threads} worker threads: {e}"))
        })
}
