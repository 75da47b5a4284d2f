//! The classroom API (`ccgsim serve`): validation is the scenario parser's,
//! work is bounded, and the trajectories are the engine's.

use ccgsim::engine::Plan;
use ccgsim::error::Error;
use ccgsim::scenario::{self, Kind, SPECS};
use ccgsim::serve::api::{self, MAX_BODY_BYTES, MAX_EVENTS, MAX_FUTURES, MAX_MONTHS, Problem};
use ccgsim::serve::presets;
use serde_json::{Value, json};
use std::path::Path;

fn run(body: Value) -> Result<api::RunResponse, Vec<Problem>> {
    api::run_json(body.to_string().as_bytes())
}

fn problems(body: Value) -> Vec<Problem> {
    match run(body) {
        Ok(_) => panic!("expected the request to be refused"),
        Err(p) => p,
    }
}

/// The parser's (key, message) for a one-value scenario file.
fn parser_says(path: &str, value: &str) -> Vec<(String, String)> {
    let (section, key) = path.split_once('.').unwrap();
    match scenario::parse(
        &format!("[{section}]\n{key} = {value}\n"),
        Path::new("x.toml"),
    ) {
        Err(Error::Invalid(d)) => d.into_iter().map(|d| (d.key, d.message)).collect(),
        other => panic!("{path} = {value} should be invalid, got {other:?}"),
    }
}

#[test]
fn every_parameter_is_checked_with_the_parsers_range_and_message() {
    for spec in SPECS {
        // Just past the top of the range, and a value of the wrong type.
        let (json_value, toml_value) = match spec.kind {
            Kind::Bool => (json!(2), "2".to_string()),
            Kind::Int => (
                json!(spec.max as i64 + 1),
                format!("{}", spec.max as i64 + 1),
            ),
            Kind::Float => (json!(spec.max + 1.0), format!("{:?}", spec.max + 1.0)),
        };
        for (j, t) in [(json_value, toml_value), (json!("high"), "\"high\"".into())] {
            let got: Vec<(String, String)> =
                problems(json!({ "months": 3, "params": { spec.path: j } }))
                    .into_iter()
                    .map(|p| (p.key, p.message))
                    .collect();
            assert_eq!(got, parser_says(spec.path, &t), "{}", spec.path);
        }
    }
}

#[test]
fn values_in_range_are_accepted_and_used() {
    let out = run(json!({
        "months": 2,
        "params": { "ccg.practices": 17, "ccg.localities": 3, "constitution.dispute_procedure": false },
    }))
    .unwrap();
    assert_eq!(out.practices, 17);
    assert_eq!(out.localities, 3);
    assert_eq!(out.grid.locality.len(), 17);
    assert_eq!(out.grid.locality.iter().max(), Some(&2));
}

#[test]
fn unknown_parameters_get_a_suggestion_and_all_problems_are_reported_together() {
    let p = problems(json!({
        "months": 3,
        "params": { "constitution.sanctons": 0.5, "constitution.peer_review": -1 },
    }));
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p.iter().any(|p| p.key == "constitution.sanctons"
        && p.message.contains("did you mean `constitution.sanctions`")));
    assert!(p.iter().any(|p| p.key == "constitution.peer_review"
        && p.message.contains("allowed a number from 0 to 1")));
}

#[test]
fn events_follow_the_scenario_rules() {
    // A structural parameter cannot change mid-run, exactly as in a scenario file.
    let p = problems(json!({
        "months": 12,
        "events": [{ "month": 6, "set": { "ccg.practices": 80 } }],
    }));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].key, "ccg.practices");
    assert!(p[0].message.contains("cannot be changed by an event"));
    // A narrative needs a duration; an event past the horizon is refused.
    let p = problems(json!({
        "months": 12,
        "events": [{ "month": 3, "failure_narrative": 0.5 }, { "month": 13, "failure_narrative": 0.5, "duration": 2 }],
    }));
    assert!(p.iter().any(|p| p.key == "events.duration"), "{p:?}");
    assert!(
        p.iter().any(|p| p.message.contains("past the horizon")),
        "{p:?}"
    );
    // Events that are not objects.
    let p = problems(json!({ "months": 12, "events": [3] }));
    assert_eq!(p[0].key, "events");
}

#[test]
fn work_per_request_is_bounded() {
    let key = |p: Vec<Problem>| p.into_iter().map(|p| p.key).collect::<Vec<_>>();
    assert_eq!(
        key(problems(json!({ "months": MAX_MONTHS + 1 }))),
        ["months"]
    );
    assert_eq!(key(problems(json!({ "months": -1 }))), ["months"]);
    assert_eq!(
        key(problems(json!({ "months": 12, "futures": 0 }))),
        ["futures"]
    );
    assert_eq!(
        key(problems(
            json!({ "months": 12, "futures": MAX_FUTURES + 1 })
        )),
        ["futures"]
    );
    let p = problems(json!({ "months": 12, "futures": 2.5 }));
    assert_eq!(
        (p[0].key.as_str(), p[0].message.as_str()),
        (
            "futures",
            "expected an integer, found 2.5; allowed an integer from 1 to 50"
        )
    );
    let p = problems(json!({ "months": 601 }));
    assert_eq!(
        p[0].message,
        "601 is out of range; allowed an integer from 0 to 600"
    );
    assert_eq!(
        key(problems(
            json!({ "months": 12, "params": { "ccg.practices": 1001 } })
        )),
        ["ccg.practices"]
    );
    let many: Vec<Value> = (0..=MAX_EVENTS)
        .map(|_| json!({ "month": 1, "failure_narrative": 0.1, "duration": 1 }))
        .collect();
    assert_eq!(
        key(problems(json!({ "months": 12, "events": many }))),
        ["events"]
    );
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(key(api::run_json(&big).unwrap_err()), ["body"]);
    // Not JSON, unknown fields, unknown preset.
    assert_eq!(key(api::run_json(b"{months: 3").unwrap_err()), ["body"]);
    assert_eq!(
        key(problems(json!({ "months": 3, "replicates": 9 }))),
        ["body"]
    );
    let p = problems(json!({ "preset": "baselin", "months": 3 }));
    assert_eq!(p[0].key, "preset");
    assert!(
        p[0].message.contains("did you mean `baseline`"),
        "{:?}",
        p[0]
    );
    // The largest request allowed still runs.
    let out = run(json!({
        "months": MAX_MONTHS, "futures": MAX_FUTURES, "params": { "ccg.practices": 1000 },
    }))
    .unwrap();
    assert_eq!(out.futures.len(), MAX_FUTURES as usize);
    assert_eq!(out.series["engaged_share"].len(), MAX_MONTHS as usize + 1);
}

#[test]
fn trajectories_are_the_engines_and_later_requests_extend_earlier_ones() {
    let preset = presets::find("baseline").expect("baseline is bundled");
    let mut scn = preset.scenario.clone();
    scn.months = 36;
    scn.seed = 7;
    let engine = Plan::new(scn).record(0);
    let out = run(json!({ "preset": "baseline", "months": 36, "seed": 7 })).unwrap();
    let engaged: Vec<f64> = engine.months.iter().map(|o| o.engaged_share).collect();
    let credibility: Vec<f64> = engine.months.iter().map(|o| o.credibility).collect();
    assert_eq!(out.series["engaged_share"], engaged);
    assert_eq!(out.series["credibility"], credibility);

    // The page re-simulates from month 0 each tick: a shorter request is a prefix.
    let events = json!([{ "month": 5, "failure_narrative": 1.0, "duration": 10 },
                        { "month": 8, "set": { "constitution.sanctions": 0.9 } }]);
    let long = run(json!({ "months": 30, "seed": 3, "events": events })).unwrap();
    let short = run(json!({ "months": 12, "seed": 3, "events": events })).unwrap();
    for (name, values) in &short.series {
        let a: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        let b: Vec<String> = long.series[name][..=12]
            .iter()
            .map(|v| format!("{v:?}"))
            .collect();
        assert_eq!(a, b, "{name}");
    }
    let shock: Vec<bool> = long.narrative_shock.iter().map(|&s| s > 0.0).collect();
    assert_eq!(
        shock,
        (0..=30).map(|t| (5..15).contains(&t)).collect::<Vec<_>>()
    );
}

#[test]
fn month_zero_shows_the_starting_state_and_futures_vary_by_seed() {
    let out = run(json!({ "months": 0 })).unwrap();
    assert_eq!(out.series["engaged_share"].len(), 1);
    assert_eq!(out.grid.engagement.len(), out.practices);
    assert!(out.futures.is_empty());

    let out = run(json!({ "months": 24, "futures": 20 })).unwrap();
    assert_eq!(out.futures.len(), 20);
    assert_eq!(
        out.futures[0].series["credibility"],
        out.series["credibility"]
    );
    let distinct: std::collections::BTreeSet<String> = out
        .futures
        .iter()
        .map(|f| format!("{:?}", f.series["ownership_members"]))
        .collect();
    assert_eq!(distinct.len(), 20, "each future has its own random stream");
}

#[test]
fn every_bundled_scenario_is_a_preset_and_round_trips_through_meta() {
    assert_eq!(presets::all().len(), presets::bundled_files().len());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".toml") {
            assert!(
                presets::bundled_files().contains(&name.as_str()),
                "scenarios/{name} is not offered by `ccgsim serve`: add it to FILES in src/serve/presets.rs"
            );
        }
    }
    assert_eq!(presets::all()[0].id, "baseline");
    let meta = api::meta();
    for p in meta["presets"].as_array().unwrap() {
        // The page sends a preset's values and events back; the server must accept them.
        let out = run(json!({
            "preset": p["id"], "params": p["params"], "events": p["events"],
            "months": p["months"], "seed": p["seed"],
        }));
        assert!(out.is_ok(), "{}: {:?}", p["id"], out.err());
    }
    assert_eq!(meta["params"].as_array().unwrap().len(), SPECS.len());
    assert_eq!(meta["limits"]["futures"], MAX_FUTURES);
}
