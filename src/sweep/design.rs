//! Design points: the cartesian grid, Latin hypercube samples and scrambled
//! Sobol sequences. LHS and Sobol work in the unit cube; [`Range::at`] maps a
//! unit coordinate to a parameter value (integers stay integers).

use crate::model::rng::Stream;
use crate::output::tables::format_number;
use serde::Serialize;

/// `sobol_burley` gives at most 2^16 points and 256 dimensions.
pub const SOBOL_MAX_POINTS: usize = 1 << 16;
pub const SOBOL_MAX_DIMENSIONS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "design")]
pub enum Design {
    Grid,
    Lhs { n: usize },
    Sobol { n: usize },
}

impl Design {
    pub fn name(&self) -> &'static str {
        match self {
            Design::Grid => "grid",
            Design::Lhs { .. } => "lhs",
            Design::Sobol { .. } => "sobol",
        }
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
