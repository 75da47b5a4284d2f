//! Arbitrary bytes → scenario parsing and validation. Whatever the input, parsing
//! must return a scenario or located diagnostics, never panic, hang or abort.
//! A valid scenario is then pushed a little further (size estimates, event
//! schedule, and one short run of its first CCG) to catch values that validate
//! but break the model.
#![no_main]

use ccgsim::engine::Plan;
use ccgsim::output::space;
use ccgsim::scenario::parse;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text, Path::new("fuzz.toml")) {
        Err(e) => {
            // Rendering the message slices the source text: it must not panic either.
            let _ = e.to_string();
        }
        Ok(mut scn) => {
            let _ = scn.workload();
            let _ = space::run_output_bytes(&scn);
            let _ = space::run_memory_bytes(&scn);
            // Keep each input fast: a short horizon and one replicate.
            let _ = scn.override_run(None, Some(1), Some(scn.months.min(6)));
            let plan = Plan::new(scn);
            let rec = plan.record(0);
            assert_eq!(rec.months.len() as u32, plan.scenario.months + 1);
        }
    }
});
