//! The numbers behind the sweep figures (`<stem>.csv` beside each), kept apart
//! from the drawing code in `sweep.rs`.

use super::sweep::{Curve, Heatmap};
use super::table::Table;

impl Heatmap {
    /// One row per drawn cell or point: both parameter values and the value
    /// shown by its colour. The `*_name` columns hold the axis labels.
    pub fn data(&self) -> Table {
        let mut t = Table::new(&["x_name", "x", "y_name", "y", "value_name", "value"]);
        for ((&x, &y), &v) in self.x.iter().zip(&self.y).zip(&self.v) {
            t.push(vec![
                self.x_label.as_str().into(),
                x.into(),
                self.y_label.as_str().into(),
                y.into(),
                self.value_label.as_str().into(),
                v.into(),
            ]);
        }
        t
    }
}

impl Curve {
    /// One row per series and sweep point: the drawn mean and its band.
    pub fn data(&self) -> Table {
        let mut t = Table::new(&["series", "x_name", "x", "mean", "ci_low", "ci_high"]);
        for s in &self.series {
            for (i, &x) in self.x.iter().enumerate() {
                let at = |v: &[f64]| v.get(i).copied().unwrap_or(f64::NAN);
                t.push(vec![
                    s.label.as_str().into(),
                    self.x_label.as_str().into(),
                    x.into(),
                    at(&s.mean).into(),
                    at(&s.ci_low).into(),
                    at(&s.ci_high).into(),
                ]);
            }
        }
        t
    }
}
