//! Events turned into the parameters in force each month, computed once per
//! scenario and shared by all its runs.

use crate::scenario::{Params, Scenario, schema};

/// Parameters and narrative shock for months 0..=months.
#[derive(Debug, Clone)]
pub struct Schedule {
    params: Vec<Params>,
    shock: Vec<f64>,
}

struct Ramp {
    path: &'static str,
    from: f64,
    to: f64,
    start: u32,
    over: u32,
}

impl Schedule {
    /// Events at month `m` apply before month `m` is computed, in file order; a
    /// `set` stops a running ramp of the same parameter, a new ramp replaces it.
    /// A ramp reaches its target after `over` months: month `start + j` has
    /// `from + (to − from)·(j + 1)/over`.
    pub fn new(scn: &Scenario) -> Schedule {
        let months = scn.months as usize;
        let mut params = Vec::with_capacity(months + 1);
        let mut shock = vec![0.0; months + 1];
        let mut current = scn.params.clone();
        let mut ramps: Vec<Ramp> = Vec::new();
        for t in 0..=scn.months {
            for r in &ramps {
                let j = (t - r.start).min(r.over - 1);
                let v = r.from + (r.to - r.from) * (j + 1) as f64 / r.over as f64;
                set(&mut current, r.path, v);
            }
            ramps.retain(|r| t - r.start + 1 < r.over);
            for ev in scn.events.iter().filter(|e| e.month == t) {
                for &(path, v) in &ev.set {
                    ramps.retain(|r| r.path != path);
                    set(&mut current, path, v);
                }
                for &(path, to) in &ev.ramp {
                    ramps.retain(|r| r.path != path);
                    let from = current.get(path).unwrap_or(to);
                    let r = Ramp {
                        path,
                        from,
                        to,
                        start: t,
                        over: ev.ramp_months.max(1),
                    };
                    set(&mut current, path, r.from + (r.to - r.from) / r.over as f64);
                    if r.over > 1 {
                        ramps.push(r);
                    }
                }
                if let Some(n) = ev.narrative {
                    let end = (t as usize + n.duration as usize).min(months + 1);
                    for s in &mut shock[t as usize..end] {
                        *s += n.strength;
                    }
                }
            }
            params.push(current.clone());
        }
        Schedule { params, shock }
    }

    pub fn params(&self, month: u32) -> &Params {
        &self.params[month as usize]
    }

    /// Total narrative shock strength in force in `month`.
    pub fn shock(&self, month: u32) -> f64 {
        self.shock[month as usize]
    }
}

fn set(p: &mut Params, path: &str, v: f64) {
    if let Some(s) = schema::spec(path) {
        (s.set)(p, v);
    }
}
