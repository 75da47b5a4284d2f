//! How much of the tipping-point uncertainty the calibration data leave: the
//! share of CCGs tipped by a 6-month failure narrative of strength 0.2
//! (failure-narrative.toml with its strength set to 0.2), per posterior particle.
//!
//! `cargo run --release --example tipping_share -- output/calib/posterior.csv [particles] [replicates]`
//!
//! Draws `particles` particles by weight (default 100), runs `replicates` CCGs
//! (default 40) under each with the same random numbers, and counts a CCG as
//! tipped when its engaged share over months 54–60 is below the failure line
//! (as pattern 5 of `ccgsim validate` does). Prints the posterior median and
//! 90% interval of the tipped share, and the share under the current defaults.
//! Then the out-of-sample 2016 figures (months 33–39, January–July 2016, as in
//! `ccgsim validate`, of running-cost-cut.toml,
//! which has the April 2015 cut) under the posterior: one particle per
//! replicate, 400 replicates, the mean and 90% interval of the replicates.

use ccgsim::calibrate::Posterior;
use ccgsim::engine::Plan;
use ccgsim::scenario::Scenario;
use ccgsim::validate::{Lab, window_mean};
use rayon::prelude::*;
use std::path::Path;

/// An observable of a month.
type Column = fn(&ccgsim::model::Observation) -> f64;

fn tipped_share(scn: &Scenario) -> f64 {
    let plan = Plan::new(scn.clone());
    let line = scn.params.failure.engaged_line;
    let tipped: usize = (0..plan.runs())
        .into_par_iter()
        .map(|i| usize::from(window_mean(&plan.record(i), 54, 60, |o| o.engaged_share) < line))
        .sum();
    tipped as f64 / plan.runs() as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: tipping_share POSTERIOR.csv [particles] [replicates]");
        std::process::exit(2);
    };
    let m: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let k: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(40);
    let post = match Posterior::load(Path::new(path)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(e.exit_code());
        }
    };
    let mut scn = Lab::new(k).scenario("failure-narrative.toml");
    for e in &mut scn.events {
        if let Some(n) = e.narrative.as_mut() {
            n.strength = 0.2;
        }
    }
    let defaults = tipped_share(&scn);
    let mut shares: Vec<f64> = (0..m as u32)
        .map(|j| tipped_share(&post.scenario_for(&scn, post.draw(scn.seed, j))))
        .collect();
    shares.sort_by(f64::total_cmp);
    let q = |x| ccgsim::stats::quantile_sorted(&shares, x);
    println!(
        "share of CCGs tipped by a 6-month narrative of 0.2 ({m} posterior draws × {k} CCGs): median {:.3}, 90% interval [{:.3}, {:.3}]; defaults {:.3}",
        q(0.5),
        q(0.05),
        q(0.95),
        defaults
    );
    let mut cut = Lab::new(400).scenario("running-cost-cut.toml");
    cut.posterior = Some(std::sync::Arc::new(post));
    let plan = Plan::new(cut);
    let figures: [(&str, f64, Column); 3] = [
        (
            "GP leaders highly engaged, 2016 (observed 64%)",
            0.64,
            |o| o.leaders_highly_engaged,
        ),
        (
            "leaders lacking time or support, 2016 (observed about 40%)",
            0.40,
            |o| o.leaders_lacking_support,
        ),
        (
            "members without a role able to influence decisions, 2016 (observed about 20%)",
            0.20,
            |o| o.influence_members,
        ),
    ];
    for (name, observed, col) in figures {
        let mut v: Vec<f64> = (0..plan.runs())
            .into_par_iter()
            .map(|i| window_mean(&plan.record(i), 33, 39, col))
            .filter(|x| x.is_finite())
            .collect();
        v.sort_by(f64::total_cmp);
        let q = |x| ccgsim::stats::quantile_sorted(&v, x);
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        println!(
            "{name}: posterior-predictive mean {mean:.3}, 90% interval [{:.3}, {:.3}], covers {}",
            q(0.05),
            q(0.95),
            q(0.05) <= observed && observed <= q(0.95)
        );
    }
}
