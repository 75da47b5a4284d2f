//! The reducer of sensitivity designs: runs → sensitivity indices.
//!
//! An experiment is a design proposing points, the engine evaluating each
//! point's replicates, and a reducer turning the runs into outcomes. For
//! `[morris]` and `[sobol_indices]` designs this module is that reducer. Its
//! estimators are pure functions of per-point outcome values (tested on
//! functions with known indices); [`write_indices`] feeds them from a
//! finished folder's points.csv and runs.csv, so a whole run and a merge of
//! shards compute the same indices from the same bytes.
//!
//! - Sobol: first-order S1 by Saltelli et al. (2010, eq. b of table 2),
//!   total ST by Jansen (1999), over the Saltelli scheme of
//!   [`design::saltelli`]; variance from the A and B rows together.
//! - Morris: elementary effects along the trajectories of [`design::morris`],
//!   in units of each parameter's full range; μ* (mean |EE|, Campolongo et
//!   al. 2007), μ (mean EE) and σ (sd of EE, Morris 1991).
//! - Intervals: percentile bootstrap (95 %) over base rows (Sobol) or
//!   trajectories (Morris), resampled from streams of the design key.
//! - PRCC (Marino et al. 2008) for `plot sweep` on sampled designs.

use super::design::{self, Design};
use super::finish::{self, POINTS, RUNS};
use super::manifest::SweepManifest;
use crate::error::{Error, Result};
use crate::model::rng::Stream;
use crate::output::FileInfo;
use crate::output::tables::format_number;
use crate::stats;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const INDICES: &str = "indices.csv";
/// Outcomes that are not a runs.csv column but computed from `failed` and
/// `failed_month`: the share of a point's runs that failed, and the mean
/// month of failure with runs that never failed counted at the horizon.
pub const FAILURE_PROBABILITY: &str = "failure_probability";
pub const TIME_TO_FAILURE: &str = "time_to_failure";
/// Percentile bootstrap interval level.
pub const CI_LEVEL: f64 = 0.95;

/// What the reducer computes, fixed when the sensitivity file is read (and
/// kept in the manifest, so `merge` can compute it too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexSpec {
    pub design: Design,
    /// Outcome names, in output order.
    pub outcomes: Vec<String>,
    /// Each parameter's range, in points.csv column order.
    pub low: Vec<f64>,
    pub high: Vec<f64>,
    /// The key the design was drawn from (Morris orders, bootstrap streams).
    pub key: u64,
}

/// An estimate with its bootstrap interval (NaN where undefined).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// One row of indices.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    pub outcome: String,
    pub parameter: String,
    pub index: &'static str,
    pub value: Estimate,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// S1 and ST of each of `k` parameters from the outputs `y` of the Saltelli
/// scheme (n rows of k + 2 values: f(A_j), f(B_j), f(AB_j^1…k)).
fn sobol_point(k: usize, y: &[f64], rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let w = k + 2;
    let n = rows.len() as f64;
    let m = rows.iter().map(|&j| y[j * w] + y[j * w + 1]).sum::<f64>() / (2.0 * n);
    let var = rows
        .iter()
        .map(|&j| (y[j * w] - m).powi(2) + (y[j * w + 1] - m).powi(2))
        .sum::<f64>()
        / (2.0 * n);
    let mut s1 = vec![0.0; k];
    let mut st = vec![0.0; k];
    for &j in rows {
        let (a, b) = (y[j * w], y[j * w + 1]);
        for i in 0..k {
            let ab = y[j * w + 2 + i];
            s1[i] += b * (ab - a);
            st[i] += (a - ab).powi(2);
        }
    }
    for i in 0..k {
        s1[i] /= n * var;
        st[i] /= 2.0 * n * var;
    }
    (s1, st)
}

/// Sobol S1 and ST (per parameter) with bootstrap intervals over base rows.
pub fn sobol(k: usize, y: &[f64], bootstrap: usize, key: u64) -> (Vec<Estimate>, Vec<Estimate>) {
    assert!(k > 0 && y.len() % (k + 2) == 0);
    let n = y.len() / (k + 2);
    let all: Vec<usize> = (0..n).collect();
    let (s1, st) = sobol_point(k, y, &all);
    let mut boot_s1 = vec![Vec::with_capacity(bootstrap); k];
    let mut boot_st = vec![Vec::with_capacity(bootstrap); k];
    let mut rows = vec![0; n];
    for b in 0..bootstrap {
        let mut s = Stream::derive(key, &[0x5053, b as u64]);
        rows.iter_mut().for_each(|r| *r = s.below(n));
        let (a, t) = sobol_point(k, y, &rows);
        for i in 0..k {
            boot_s1[i].push(a[i]);
            boot_st[i].push(t[i]);
        }
    }
    (with_ci(&s1, boot_s1), with_ci(&st, boot_st))
}

fn with_ci(est: &[f64], mut boot: Vec<Vec<f64>>) -> Vec<Estimate> {
    est.iter()
        .zip(boot.iter_mut())
        .map(|(&e, b)| {
            let (lo, hi) = percentile_interval(b);
            Estimate {
                estimate: e,
                ci_low: lo,
                ci_high: hi,
            }
        })
        .collect()
}

/// The central 95 % of bootstrap values; NaN if there are none or any is NaN.
fn percentile_interval(b: &mut [f64]) -> (f64, f64) {
    if b.is_empty() || b.iter().any(|v| v.is_nan()) {
        return (f64::NAN, f64::NAN);
    }
    b.sort_by(f64::total_cmp);
    let tail = (1.0 - CI_LEVEL) / 2.0;
    (
        stats::quantile_sorted(b, tail),
        stats::quantile_sorted(b, 1.0 - tail),
    )
}

/// Elementary effects `ee[t][i]` of trajectory t for parameter i: the change
/// in `y` over the step that moved i, divided by that step in units of i's
/// range (from the values actually run, `unit[p][i]` ∈ [0, 1]). NaN where a
/// step did not change the value (an integer range narrower than the grid).
pub fn elementary_effects(unit: &[Vec<f64>], orders: &[Vec<usize>], y: &[f64]) -> Vec<Vec<f64>> {
    let k = orders.first().map_or(0, Vec::len);
    orders
        .iter()
        .enumerate()
        .map(|(t, order)| {
            let mut ee = vec![f64::NAN; k];
            for (s, &i) in order.iter().enumerate() {
                let (p0, p1) = (t * (k + 1) + s, t * (k + 1) + s + 1);
                let dx = unit[p1][i] - unit[p0][i];
                if dx != 0.0 {
                    ee[i] = (y[p1] - y[p0]) / dx;
                }
            }
            ee
        })
        .collect()
}

/// μ*, μ and σ of each parameter's elementary effects over trajectories.
fn morris_point(k: usize, ee: &[Vec<f64>], rows: &[usize]) -> [Vec<f64>; 3] {
    let mut out = [vec![0.0; k], vec![0.0; k], vec![0.0; k]];
    for i in 0..k {
        let e: Vec<f64> = rows
            .iter()
            .map(|&t| ee[t][i])
            .filter(|v| !v.is_nan())
            .collect();
        if e.is_empty() {
            for o in out.iter_mut() {
                o[i] = f64::NAN;
            }
            continue;
        }
        let mu = mean(&e);
        out[0][i] = e.iter().map(|v| v.abs()).sum::<f64>() / e.len() as f64;
        out[1][i] = mu;
        out[2][i] = if e.len() > 1 {
            (e.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / (e.len() - 1) as f64).sqrt()
        } else {
            f64::NAN
        };
    }
    out
}

/// Morris μ*, μ, σ per parameter with bootstrap intervals over trajectories.
pub fn morris(ee: &[Vec<f64>], bootstrap: usize, key: u64) -> [Vec<Estimate>; 3] {
    let r = ee.len();
    let k = ee.first().map_or(0, Vec::len);
    let all: Vec<usize> = (0..r).collect();
    let est = morris_point(k, ee, &all);
    let mut boot: [Vec<Vec<f64>>; 3] = std::array::from_fn(|_| vec![Vec::new(); k]);
    let mut rows = vec![0; r];
    for b in 0..bootstrap {
        let mut s = Stream::derive(key, &[0x4d4f, b as u64]);
        rows.iter_mut().for_each(|t| *t = s.below(r));
        let m = morris_point(k, ee, &rows);
        for (bx, mx) in boot.iter_mut().zip(&m) {
            for i in 0..k {
                bx[i].push(mx[i]);
            }
        }
    }
    let [b0, b1, b2] = boot;
    [
        with_ci(&est[0], b0),
        with_ci(&est[1], b1),
        with_ci(&est[2], b2),
    ]
}

/// Ranks 1…n, ties given their average rank.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &p in &idx[i..=j] {
            r[p] = avg;
        }
        i = j + 1;
    }
    r
}

/// Residuals of `y` after least squares on `xs` (with an intercept), by
/// Gram–Schmidt orthogonalisation of the regressors.
fn residuals(y: &[f64], xs: &[&Vec<f64>]) -> Vec<f64> {
    let n = y.len();
    let mut basis: Vec<Vec<f64>> = vec![vec![1.0 / (n as f64).sqrt(); n]];
    for x in xs {
        let mut v = (*x).clone();
        for q in &basis {
            let d: f64 = v.iter().zip(q).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(q).for_each(|(a, b)| *a -= d * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-9 * (n as f64) {
            v.iter_mut().for_each(|a| *a /= norm);
            basis.push(v);
        }
    }
    let mut r = y.to_vec();
    for q in &basis {
        let d: f64 = r.iter().zip(q).map(|(a, b)| a * b).sum();
        r.iter_mut().zip(q).for_each(|(a, b)| *a -= d * b);
    }
    r
}

/// Partial rank correlation coefficient of `y` with each column of `x`
/// (Marino et al. 2008): the correlation of the residuals of rank(x_i) and
/// rank(y) after a linear fit on the ranks of the other columns. Rows where
/// `y` is NaN are left out; NaN when the residuals do not vary.
pub fn prcc(x: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    let keep: Vec<usize> = (0..y.len()).filter(|&r| !y[r].is_nan()).collect();
    let ry = ranks(&keep.iter().map(|&r| y[r]).collect::<Vec<_>>());
    let rx: Vec<Vec<f64>> = x
        .iter()
        .map(|c| ranks(&keep.iter().map(|&r| c[r]).collect::<Vec<_>>()))
        .collect();
    // Residual sums below this share of the ranks' own spread are round-off.
    let m = mean(&ry);
    let tiny = 1e-10 * ry.iter().map(|v| (v - m).powi(2)).sum::<f64>();
    (0..x.len())
        .map(|i| {
            let others: Vec<&Vec<f64>> = (0..x.len()).filter(|&j| j != i).map(|j| &rx[j]).collect();
            let ex = residuals(&rx[i], &others);
            let ey = residuals(&ry, &others);
            let sxy: f64 = ex.iter().zip(&ey).map(|(a, b)| a * b).sum();
            let sxx: f64 = ex.iter().map(|a| a * a).sum();
            let syy: f64 = ey.iter().map(|a| a * a).sum();
            if sxx > tiny && syy > tiny {
                sxy / (sxx * syy).sqrt()
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// Every index of every outcome, in output order (outcome, then parameter,
/// then index), from per-point outcome values `y[outcome][point]` and the
/// points' values in units of each range.
pub fn compute(
    spec: &IndexSpec,
    params: &[String],
    unit: &[Vec<f64>],
    y: &[Vec<f64>],
) -> Vec<IndexRow> {
    let k = params.len();
    let mut rows = Vec::new();
    let orders = match spec.design {
        Design::Morris {
            trajectories,
            levels,
            ..
        } => design::morris(trajectories, k, levels, spec.key).1,
        _ => Vec::new(),
    };
    for (o, outcome) in spec.outcomes.iter().enumerate() {
        let named: Vec<(&'static str, Vec<Estimate>)> = match spec.design {
            Design::SobolIndices { bootstrap, .. } => {
                let (s1, st) = sobol(k, &y[o], bootstrap, spec.key);
                vec![("S1", s1), ("ST", st)]
            }
            Design::Morris { bootstrap, .. } => {
                let ee = elementary_effects(unit, &orders, &y[o]);
                let [a, b, c] = morris(&ee, bootstrap, spec.key);
                vec![("mu_star", a), ("mu", b), ("sigma", c)]
            }
            _ => Vec::new(),
        };
        for (i, p) in params.iter().enumerate() {
            for (name, est) in &named {
                rows.push(IndexRow {
                    outcome: outcome.clone(),
                    parameter: p.clone(),
                    index: name,
                    value: est[i],
                });
            }
        }
    }
    rows
}

/// indices.csv bytes: `outcome,parameter,index,estimate,ci_low,ci_high`
/// (empty cells where an index is undefined, e.g. an outcome that never varies).
pub fn indices_csv(rows: &[IndexRow]) -> Vec<u8> {
    let mut out = b"outcome,parameter,index,estimate,ci_low,ci_high\n".to_vec();
    let mut num = String::new();
    for r in rows {
        out.extend(format!("{},{},{}", r.outcome, r.parameter, r.index).as_bytes());
        for v in [r.value.estimate, r.value.ci_low, r.value.ci_high] {
            format_number(v, &mut num);
            out.push(b',');
            out.extend(num.as_bytes());
        }
        out.push(b'\n');
    }
    out
}

/// Per outcome, per point: the outcome averaged over the point's runs.
pub fn point_outcomes(dir: &Path, m: &SweepManifest, outcomes: &[String]) -> Result<Vec<Vec<f64>>> {
    let runs = dir.join(RUNS);
    let mut y = vec![Vec::with_capacity(m.points as usize); outcomes.len()];
    let horizon = m.months as f64;
    finish::by_point(&runs, m.points, m.runs_per_point, |_, headers, rows| {
        let col = |name: &str| finish::column(headers, name, &runs);
        for (o, name) in outcomes.iter().enumerate() {
            let values: Vec<f64> = match name.as_str() {
                FAILURE_PROBABILITY => {
                    let c = col("failed")?;
                    rows.iter().map(|r| f64::from(&r[c] == "1")).collect()
                }
                TIME_TO_FAILURE => {
                    let (c, t) = (col("failed")?, col("failed_month")?);
                    rows.iter()
                        .map(|r| {
                            if &r[c] == "1" {
                                finish::number(&r[t])
                            } else {
                                horizon
                            }
                        })
                        .collect()
                }
                other => {
                    let c = col(other)?;
                    rows.iter().map(|r| finish::number(&r[c])).collect()
                }
            };
            y[o].push(mean(&values));
        }
        Ok(())
    })?;
    Ok(y)
}

/// Points of points.csv in units of each parameter's range.
fn unit_points(dir: &Path, spec: &IndexSpec) -> Result<Vec<Vec<f64>>> {
    let path = dir.join(POINTS);
    let mut r = csv::Reader::from_path(&path)
        .map_err(|e| Error::Refused(format!("cannot read {}: {e}", path.display())))?;
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| Error::Refused(format!("{} is damaged: {e}", path.display())))?;
        let row: Vec<f64> = (0..spec.low.len())
            .map(|i| {
                let v = rec.get(i + 1).map_or(f64::NAN, finish::number);
                let span = spec.high[i] - spec.low[i];
                if span > 0.0 {
                    (v - spec.low[i]) / span
                } else {
                    0.0
                }
            })
            .collect();
        out.push(row);
    }
    Ok(out)
}

/// indices.csv of a complete (whole or merged) sensitivity folder.
pub fn write_indices(dir: &Path, m: &SweepManifest, spec: &IndexSpec) -> Result<FileInfo> {
    let unit = unit_points(dir, spec)?;
    if unit.len() as u64 != m.points {
        return Err(Error::Refused(format!(
            "{} holds {} points, the manifest {}",
            dir.join(POINTS).display(),
            unit.len(),
            m.points
        )));
    }
    let y = point_outcomes(dir, m, &spec.outcomes)?;
    let rows = compute(spec, &m.columns, &unit, &y);
    let bytes = indices_csv(&rows);
    finish::write_file(&dir.join(INDICES), |f| f.write(&bytes, rows.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn prcc_sees_monotone_effects_through_other_parameters() {
        let n = 400;
        let mut s = Stream::derive(5, &[]);
        let x: Vec<Vec<f64>> = (0..3).map(|_| (0..n).map(|_| s.unit()).collect()).collect();
        // Monotone in x0 (up) and x1 (down), x2 irrelevant, a little noise.
        let y: Vec<f64> = (0..n)
            .map(|r| (3.0 * x[0][r]).exp() - 8.0 * x[1][r].powi(3) + 0.2 * s.unit())
            .collect();
        let p = prcc(&x, &y);
        // Strong, with the right signs; not ±1, since the ranks of a sum are
        // not a linear function of the inputs' ranks.
        assert!(p[0] > 0.8, "{p:?}");
        assert!(p[1] < -0.7, "{p:?}");
        assert!(p[2].abs() < 0.15, "{p:?}");
        // y a monotone function of x1 alone: its PRCC is exactly 1, and the
        // others' undefined (nothing of y is left once x1 is accounted for).
        let y1: Vec<f64> = x[1].iter().map(|v| v.powi(3)).collect();
        let q = prcc(&x, &y1);
        assert!((q[1] - 1.0).abs() < 1e-9 && q[0].is_nan(), "{q:?}");
    }

    #[test]
    fn morris_of_a_linear_function_is_its_slopes() {
        let (unit, orders) = design::morris(10, 3, 4, 3);
        let y: Vec<f64> = unit.iter().map(|u| 2.0 * u[0] - 5.0 * u[1]).collect();
        let ee = elementary_effects(&unit, &orders, &y);
        let [ms, mu, sd] = morris(&ee, 50, 1);
        assert!((ms[0].estimate - 2.0).abs() < 1e-9 && (mu[0].estimate - 2.0).abs() < 1e-9);
        assert!((ms[1].estimate - 5.0).abs() < 1e-9 && (mu[1].estimate + 5.0).abs() < 1e-9);
        assert!(sd[0].estimate.abs() < 1e-9 && ms[2].estimate == 0.0);
    }

    use std::f64::consts::PI;

    /// Ishigami on [−π, π]³ (a = 7, b = 0.1), with a fourth, dummy input.
    fn ishigami(u: &[f64]) -> f64 {
        let x: Vec<f64> = u.iter().map(|v| -PI + 2.0 * PI * v).collect();
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    fn saltelli_y(n: usize, k: usize, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
        design::saltelli(n, k, 11).iter().map(|u| f(u)).collect()
    }

    /// Analytic Ishigami indices (Ishigami & Homma 1990; Saltelli et al. 2008).
    const ISHIGAMI_S1: [f64; 4] = [0.3139, 0.4424, 0.0, 0.0];
    const ISHIGAMI_ST: [f64; 4] = [0.5576, 0.4424, 0.2437, 0.0];

    #[test]
    fn sobol_recovers_the_ishigami_indices() {
        // n = 8192 base rows (49,152 evaluations): every index within 0.02
        // of its analytic value, and every 95 % interval covers it.
        let y = saltelli_y(8192, 4, ishigami);
        let (s1, st) = sobol(4, &y, 200, 3);
        for i in 0..4 {
            eprintln!(
                "x{}: S1 {:.4} [{:.4}, {:.4}] (analytic {}), ST {:.4} [{:.4}, {:.4}] (analytic {})",
                i + 1,
                s1[i].estimate,
                s1[i].ci_low,
                s1[i].ci_high,
                ISHIGAMI_S1[i],
                st[i].estimate,
                st[i].ci_low,
                st[i].ci_high,
                ISHIGAMI_ST[i]
            );
            for (e, truth) in [(s1[i], ISHIGAMI_S1[i]), (st[i], ISHIGAMI_ST[i])] {
                assert!(
                    (e.estimate - truth).abs() < 0.02,
                    "x{}: {e:?} vs {truth}",
                    i + 1
                );
                assert!(
                    e.ci_low <= truth + 1e-4 && truth - 1e-4 <= e.ci_high,
                    "x{}: {e:?}",
                    i + 1
                );
            }
        }
        // The dummy cannot matter: f(A) = f(AB_4) in every row, so ST is exactly 0.
        assert_eq!(st[3].estimate, 0.0);
    }

    /// Sobol's G-function with a = (0, 1, 4.5, 9, 99, 99).
    const G_A: [f64; 6] = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0];
    fn g_function(u: &[f64]) -> f64 {
        u.iter()
            .zip(&G_A)
            .map(|(x, ai)| ((4.0 * x - 2.0).abs() + ai) / (1.0 + ai))
            .product()
    }

    #[test]
    fn sobol_recovers_the_g_function_indices() {
        // V_i = 1/(3(1+a_i)²), V = Π(1 + V_i) − 1.
        let a = G_A;
        let vi: Vec<f64> = a
            .iter()
            .map(|ai| 1.0 / (3.0 * (1.0 + ai) * (1.0 + ai)))
            .collect();
        let v = vi.iter().map(|x| 1.0 + x).product::<f64>() - 1.0;
        let y = saltelli_y(8192, 6, g_function);
        let (s1, st) = sobol(6, &y, 200, 3);
        for i in 0..6 {
            let s1_true = vi[i] / v;
            let st_true = vi[i]
                * (0..6)
                    .filter(|&j| j != i)
                    .map(|j| 1.0 + vi[j])
                    .product::<f64>()
                / v;
            eprintln!(
                "x{}: S1 {:.4} (analytic {s1_true:.4}), ST {:.4} (analytic {st_true:.4})",
                i + 1,
                s1[i].estimate,
                st[i].estimate
            );
            assert!(
                (s1[i].estimate - s1_true).abs() < 0.02,
                "S1 x{}: {:?} vs {s1_true}",
                i + 1,
                s1[i]
            );
            assert!(
                (st[i].estimate - st_true).abs() < 0.02,
                "ST x{}: {:?} vs {st_true}",
                i + 1,
                st[i]
            );
        }
    }

    #[test]
    fn morris_ranks_the_g_function_inputs_by_importance() {
        let (unit, orders) = design::morris(200, 6, 4, 9);
        let y: Vec<f64> = unit.iter().map(|u| g_function(u)).collect();
        let [ms, _, sd] = morris(&elementary_effects(&unit, &orders, &y), 100, 2);
        for i in 0..3 {
            assert!(ms[i].estimate > ms[i + 1].estimate, "{ms:?}");
            assert!(ms[i].ci_low <= ms[i].estimate && ms[i].estimate <= ms[i].ci_high);
        }
        assert!(
            ms[4].estimate < 0.05 && sd[0].estimate > 0.5,
            "{ms:?} {sd:?}"
        );
    }
}
