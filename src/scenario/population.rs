//! A population of CCGs in one scenario: an explicit list of sizes, or sizes
//! spread like England's 2013 CCG populations.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Population {
    pub ccgs: u32,
    /// Explicit practices per CCG; when given, the population figures are unused.
    pub practices: Option<Vec<u32>>,
    pub median_population: f64,
    pub min_population: f64,
    pub max_population: f64,
    pub patients_per_practice: f64,
}

impl Default for Population {
    /// England, April 2013 (ONS mid-2012; NHS practice statistics).
    fn default() -> Self {
        Population {
            ccgs: 211,
            practices: None,
            median_population: 221_000.0,
            min_population: 63_100.0,
            max_population: 869_400.0,
            patients_per_practice: 7_200.0,
        }
    }
}

impl Population {
    /// Practices per CCG, smallest CCG first. Populations are the lognormal's
    /// quantiles at (i + ½)/n, so the median is exact and no random draw is needed;
    /// the spread is set so the extreme quantiles meet the smallest and largest CCG.
    pub fn sizes(&self) -> Vec<u32> {
        if let Some(list) = &self.practices {
            return list.clone();
        }
        let n = self.ccgs.max(1) as usize;
        let std_normal = Normal::standard();
        let z_max = std_normal.inverse_cdf(1.0 - 0.5 / n as f64);
        let sigma = if n > 1 && z_max > 0.0 {
            (self.max_population.ln() - self.min_population.ln()) / (2.0 * z_max)
        } else {
            0.0
        };
        (0..n)
            .map(|i| {
                let z = std_normal.inverse_cdf((i as f64 + 0.5) / n as f64);
                let pop = (self.median_population.ln() + sigma * z)
                    .exp()
                    .clamp(self.min_population, self.max_population);
                (pop / self.patients_per_practice).round().max(1.0) as u32
            })
            .collect()
    }
}
