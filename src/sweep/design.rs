//! Design points: the cartesian grid, Latin hypercube samples and scrambled
//! Sobol sequences. LHS and Sobol work in the unit cube; [`Range::at`] maps a
//! unit coordinate to a parameter value (integers stay integers).

use crate::model::rng::Stream;
use crate::output::tables::format_number;
use serde::{Deserialize, Serialize};

/// `sobol_burley` gives at most 2^16 points and 256 dimensions.
pub const SOBOL_MAX_POINTS: usize = 1 << 16;
pub const SOBOL_MAX_DIMENSIONS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "design")]
pub enum Design {
    Grid,
    Lhs {
        n: usize,
    },
    Sobol {
        n: usize,
    },
    /// Morris screening: `trajectories` one-at-a-time paths of k + 1 points
    /// on a grid of `levels` levels per parameter.
    Morris {
        trajectories: usize,
        levels: usize,
        bootstrap: usize,
    },
    /// Sobol indices by the Saltelli (2010) scheme: n·(k + 2) points.
    #[serde(rename = "sobol_indices")]
    SobolIndices {
        n: usize,
        bootstrap: usize,
    },
}

impl Design {
    pub fn name(&self) -> &'static str {
        match self {
            Design::Grid => "grid",
            Design::Lhs { .. } => "lhs",
            Design::Sobol { .. } => "sobol",
            Design::Morris { .. } => "morris",
            Design::SobolIndices { .. } => "sobol_indices",
        }
    }

    /// Sensitivity designs give every point the same random streams (common
    /// random numbers): a run then depends on the parameters alone, so an
    /// index measures the parameters' effect, not seed noise, and a parameter
    /// that cannot matter gets exactly zero.
    pub fn common_random_numbers(&self) -> bool {
        matches!(self, Design::Morris { .. } | Design::SobolIndices { .. })
    }
}

/// A sampled parameter's range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub low: f64,
    pub high: f64,
    pub integer: bool,
}

impl Range {
    /// The value at unit coordinate `u` ∈ [0, 1). Integers: each of the
    /// `high − low + 1` values owns an equal slice of [0, 1). Numbers: rounded
    /// to the 6 decimals written in points.csv, so the file holds exactly
    /// the value that was simulated.
    pub fn at(&self, u: f64) -> f64 {
        if self.integer {
            let span = self.high - self.low + 1.0;
            return (self.low + (u * span).floor()).min(self.high);
        }
        let x = self.low + u * (self.high - self.low);
        let mut s = String::new();
        format_number(x, &mut s);
        s.parse::<f64>().unwrap_or(x).clamp(self.low, self.high)
    }
}

/// Every combination of the listed values; the first axis varies slowest.
pub fn grid(lists: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut points = vec![Vec::new()];
    for list in lists {
        points = points
            .into_iter()
            .flat_map(|p| {
                list.iter().map(move |&v| {
                    let mut q = p.clone();
                    q.push(v);
                    q
                })
            })
            .collect();
    }
    points
}

/// `n` points of a Latin hypercube in `dims` dimensions: in every dimension,
/// each of the `n` equal strata [k/n, (k+1)/n) holds exactly one point, at a
/// uniform position inside it. Strata are shuffled per dimension from `key`.
pub fn lhs(n: usize, dims: usize, key: u64) -> Vec<Vec<f64>> {
    let mut points = vec![Vec::with_capacity(dims); n];
    for d in 0..dims {
        let mut s = Stream::derive(key, &[d as u64]);
        let strata = s.sample_indices(n, n);
        for (p, &k) in points.iter_mut().zip(&strata) {
            p.push((k as f64 + s.unit()) / n as f64);
        }
    }
    points
}

/// The first `n` points of an Owen-scrambled Sobol sequence (Burley 2020)
/// in `dims` ≤ 256 dimensions, scrambled by `key`.
pub fn sobol(n: usize, dims: usize, key: u64) -> Vec<Vec<f64>> {
    assert!(n <= SOBOL_MAX_POINTS && dims <= SOBOL_MAX_DIMENSIONS);
    let seed = (key ^ (key >> 32)) as u32;
    (0..n)
        .map(|i| {
            (0..dims)
                .map(|d| sobol_burley::sample(i as u32, d as u32, seed) as f64)
                .collect()
        })
        .collect()
}

/// Morris (1991) trajectories in the unit cube: each starts at a random
/// point of the grid {0, 1/(p−1), …, 1} and moves one parameter at a time, in
/// random order, by Δ = p / (2(p − 1)) (up where that stays inside, else
/// down). Returns the `r·(k+1)` points, trajectory-major, and for each
/// trajectory the parameter changed at each of its k steps.
pub fn morris(r: usize, k: usize, levels: usize, key: u64) -> (Vec<Vec<f64>>, Vec<Vec<usize>>) {
    let step = morris_delta(levels);
    let top = (levels - 1) as f64;
    let mut points = Vec::with_capacity(r * (k + 1));
    let mut orders = Vec::with_capacity(r);
    for t in 0..r {
        let mut s = Stream::derive(key, &[t as u64]);
        let mut x: Vec<f64> = (0..k).map(|_| s.below(levels) as f64 / top).collect();
        let order = s.sample_indices(k, k);
        points.push(x.clone());
        for &i in &order {
            x[i] = if x[i] + step <= 1.0 + 1e-12 {
                x[i] + step
            } else {
                x[i] - step
            };
            x[i] = x[i].clamp(0.0, 1.0);
            points.push(x.clone());
        }
        orders.push(order);
    }
    (points, orders)
}

/// Morris's step Δ = p / (2(p − 1)) for `levels` = p ≥ 2.
pub fn morris_delta(levels: usize) -> f64 {
    levels as f64 / (2.0 * (levels as f64 - 1.0))
}

/// The Saltelli (2010) scheme from a 2k-dimensional scrambled Sobol sample:
/// rows A (first k columns) and B (last k). For each row j the points are
/// A_j, B_j, then A_j with column i taken from B_j (i = 1…k): n·(k+2) points.
pub fn saltelli(n: usize, k: usize, key: u64) -> Vec<Vec<f64>> {
    let base = sobol(n, 2 * k, key);
    let mut points = Vec::with_capacity(n * (k + 2));
    for row in base {
        let (a, b) = row.split_at(k);
        points.push(a.to_vec());
        points.push(b.to_vec());
        for i in 0..k {
            let mut ab = a.to_vec();
            ab[i] = b[i];
            points.push(ab);
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_the_cartesian_product_first_axis_slowest() {
        let g = grid(&[vec![1.0, 2.0], vec![10.0, 20.0, 30.0]]);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], vec![1.0, 10.0]);
        assert_eq!(g[1], vec![1.0, 20.0]);
        assert_eq!(g[5], vec![2.0, 30.0]);
    }

    #[test]
    fn lhs_puts_one_point_in_every_stratum() {
        let n = 50;
        let pts = lhs(n, 3, 9);
        for d in 0..3 {
            let mut strata: Vec<usize> = pts.iter().map(|p| (p[d] * n as f64) as usize).collect();
            strata.sort();
            assert_eq!(strata, (0..n).collect::<Vec<_>>(), "dimension {d}");
        }
        assert_ne!(lhs(n, 3, 10), pts, "another key, another design");
    }

    #[test]
    fn sobol_points_lie_in_the_unit_cube_and_fill_it_evenly() {
        let pts = sobol(256, 2, 3);
        assert!(pts.iter().flatten().all(|&u| (0.0..1.0).contains(&u)));
        // A (0,m,2)-net: each of the 16×16 cells holds exactly one of 256 points.
        let mut cells: Vec<usize> = pts
            .iter()
            .map(|p| (p[0] * 16.0) as usize * 16 + (p[1] * 16.0) as usize)
            .collect();
        cells.sort();
        cells.dedup();
        assert_eq!(cells.len(), 256);
    }

    #[test]
    fn morris_moves_one_parameter_per_step_by_delta() {
        let (pts, orders) = morris(20, 4, 4, 7);
        assert_eq!(pts.len(), 20 * 5);
        let d = morris_delta(4);
        for (t, order) in orders.iter().enumerate() {
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(sorted, vec![0, 1, 2, 3]);
            for (s, &i) in order.iter().enumerate() {
                let (a, b) = (&pts[t * 5 + s], &pts[t * 5 + s + 1]);
                for j in 0..4 {
                    if j == i {
                        assert!(((a[j] - b[j]).abs() - d).abs() < 1e-12);
                    } else {
                        assert_eq!(a[j], b[j]);
                    }
                }
            }
        }
        assert!(pts.iter().flatten().all(|&u| (0.0..=1.0).contains(&u)));
    }

    #[test]
    fn saltelli_rows_share_columns_with_a_and_b() {
        let pts = saltelli(8, 3, 1);
        assert_eq!(pts.len(), 8 * 5);
        for j in 0..8 {
            let (a, b) = (&pts[j * 5], &pts[j * 5 + 1]);
            for i in 0..3 {
                let ab = &pts[j * 5 + 2 + i];
                for c in 0..3 {
                    assert_eq!(ab[c], if c == i { b[c] } else { a[c] });
                }
            }
        }
    }

    #[test]
    fn integer_ranges_give_integers_and_cover_both_ends() {
        let r = Range {
            low: 12.0,
            high: 14.0,
            integer: true,
        };
        assert_eq!(r.at(0.0), 12.0);
        assert_eq!(r.at(0.34), 13.0);
        assert_eq!(r.at(0.999_999), 14.0);
        let f = Range {
            low: 0.0,
            high: 1.0,
            integer: false,
        };
        assert_eq!(f.at(0.123_456_789), 0.123457);
    }
}
