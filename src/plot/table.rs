//! The numbers behind a figure: a tidy table (one row per plotted point,
//! snake_case columns) written as `<stem>.csv` beside `<stem>.png`, so a figure
//! can be redrawn in R or matplotlib from exactly what was drawn.

use crate::output::tables::push_number;

/// One cell: text (a series or branch name) or a number (NaN = empty cell).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Num(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<f64> for Cell {
    fn from(v: f64) -> Cell {
        Cell::Num(v)
    }
}
impl From<f32> for Cell {
    fn from(v: f32) -> Cell {
        Cell::Num(v as f64)
    }
}
impl From<u32> for Cell {
    fn from(v: u32) -> Cell {
        Cell::Num(v as f64)
    }
}
impl From<usize> for Cell {
    fn from(v: usize) -> Cell {
        Cell::Num(v as f64)
    }
}

/// A figure's plotted values in long format.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(columns: &[&str]) -> Table {
        Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Append a row (as many cells as columns).
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// CSV text: header, then rows; numbers with up to six decimals, text
    /// quoted when it holds a comma, quote or line break.
    pub fn csv(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut line = |cells: &mut dyn Iterator<Item = Vec<u8>>| {
            for (i, c) in cells.enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&c);
            }
            out.push(b'\n');
        };
        line(&mut self.columns.iter().map(|c| c.as_bytes().to_vec()));
        for row in &self.rows {
            line(&mut row.iter().map(|c| match c {
                Cell::Num(v) => {
                    let mut b = Vec::new();
                    push_number(*v, &mut b);
                    b
                }
                Cell::Text(t) => quote(t).into_bytes(),
            }));
        }
        out
    }
}

fn quote(t: &str) -> String {
    if t.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_text_are_written_tidily() {
        let mut t = Table::new(&["series", "month", "median"]);
        t.push(vec!["a, b".into(), 3u32.into(), 0.25f64.into()]);
        t.push(vec!["c".into(), 4u32.into(), f64::NAN.into()]);
        assert_eq!(
            String::from_utf8(t.csv()).unwrap(),
            "series,month,median\n\"a, b\",3,0.25\nc,4,\n"
        );
    }
}
