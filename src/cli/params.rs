//! `ccgsim params`: every scenario parameter with its default and range.

use ccgsim::scenario::schema::{self, Kind, SPECS};

pub fn run(markdown: bool) {
    if markdown {
        super::emit(&schema::markdown_table());
        return;
    }
    let mut text = String::new();
    for s in SPECS {
        let default = match s.kind {
            Kind::Bool => (s.default != 0.0).to_string(),
            _ => s.default.to_string(),
        };
        text.push_str(&format!(
            "{:<40} {:>10}   {}  [{}]\n",
            s.path,
            default,
            s.doc,
            s.allowed()
        ));
    }
    super::emit(&text);
}
