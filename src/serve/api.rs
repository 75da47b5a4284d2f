//! The JSON API behind the classroom page, independent of HTTP so it can be
//! tested directly. The server keeps no state: each `run` request carries the
//! whole settings timeline (preset, parameters, events, months, seed) and the
//! trajectory is re-simulated from month 0, which determinism makes consistent
//! from one request to the next.
//!
//! Parameters and events are validated by the scenario parser itself: the
//! request is written out as scenario TOML and handed to [`scenario::parse`], so
//! ranges, types, "fixed parameter" rules and messages are the CLI's own.

use super::presets::{self, Preset};
use crate::engine::{Plan, RunId};
use crate::error::{Error, nearest};
use crate::model::Observation;
use crate::scenario::{self, Event, Kind, SPECS, Scenario, schema};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// Bounds on the work one request can ask for: at most
/// `MAX_FUTURES × 1000 practices × MAX_MONTHS` practice-months (30 million, about
/// a second on two cores, see benches/serve_api.rs), and a small body.
pub const MAX_MONTHS: u32 = 600;
pub const MAX_FUTURES: u32 = 50;
pub const MAX_EVENTS: usize = 500;
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Most values (parameters, event fields, `set` entries, nested values) one
/// request may hold: the page sends tens, and each costs a check and perhaps a
/// message, so a 256 kB body of 20,000 unknown keys is refused up front.
pub const MAX_VALUES: usize = 5_000;
/// Longest problem message in an answer (in characters).
pub const MAX_MESSAGE_CHARS: usize = 400;
/// Most problems one answer lists; the rest are counted ("and N more").
pub const MAX_PROBLEMS: usize = crate::error::MAX_SHOWN_PROBLEMS;

/// The four observables the page charts, also returned for every future.
pub const CHART_SERIES: [&str; 4] = [
    "engaged_share",
    "ownership_members",
    "credibility",
    "performance",
];

/// One problem with a request: the key it is about and what would be accepted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl Problem {
    fn new(key: &str, message: impl Into<String>) -> Problem {
        Problem {
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// `POST /api/run` body. Parameter values and events are written exactly as in a
/// scenario file: `"constitution.sanctions": 0.5`, `{"month": 12, "failure_narrative": 0.8,
/// "duration": 6}`, `{"month": 3, "set": {"ccg.allowance_per_head": 22}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// A bundled scenario (file stem) giving the starting parameters.
    #[serde(default)]
    pub preset: Option<String>,
    /// Dotted parameter path → value, overriding the preset.
    #[serde(default)]
    pub params: Map<String, Value>,
    #[serde(default)]
    pub events: Vec<Value>,
    /// Months to simulate after month 0, 0 to MAX_MONTHS (default: the preset's).
    #[serde(default)]
    pub months: Option<Value>,
    /// Default: the preset's.
    #[serde(default)]
    pub seed: Option<Value>,
    /// Number of futures (seeds) to run; 1 = just the main run.
    #[serde(default)]
    pub futures: Option<Value>,
}

/// Month-by-month observables of one future, for the four charted series.
#[derive(Debug, Clone, Serialize)]
pub struct Future {
    pub series: BTreeMap<&'static str, Vec<f64>>,
    pub failed_month: Option<u32>,
}

/// The practices at the last month of the main run, one entry per practice.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Grid {
    pub locality: Vec<u16>,
    /// 0 not, 1 somewhat, 2 moderately, 3 highly engaged.
    pub engagement: Vec<u8>,
    pub ownership: Vec<f64>,
    pub leader: Vec<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunResponse {
    pub preset: String,
    pub months: u32,
    pub seed: u64,
    pub practices: usize,
    pub localities: usize,
    /// Every observable (CSV column) of the main run, months 0..=months.
    pub series: BTreeMap<&'static str, Vec<f64>>,
    /// Narrative shock strength in force each month (0 = none, 1 = strongest failure narrative).
    pub narrative_shock: Vec<f64>,
    pub failed_month: Option<u32>,
    /// One entry per future when more than one was asked for (the first is the main run).
    pub futures: Vec<Future>,
    pub grid: Grid,
}

/// Parse, validate and run a request body.
pub fn run_json(body: &[u8]) -> Result<RunResponse, Vec<Problem>> {
    if body.len() > MAX_BODY_BYTES {
        return Err(vec![body_too_large()]);
    }
    let req: RunRequest = serde_json::from_slice(body).map_err(|e| {
        vec![Problem::new(
            "body",
            format!("not a valid run request: {e}"),
        )]
    })?;
    let values =
        count_values(req.params.values(), MAX_VALUES) + count_values(req.events.iter(), MAX_VALUES);
    // (Too many events is reported as such by `build`.)
    if values > MAX_VALUES && req.events.len() <= MAX_EVENTS {
        return Err(vec![Problem::new(
            "body",
            format!(
                "the request holds more than {MAX_VALUES} parameters and event settings; \
                 the page sends a few dozen"
            ),
        )]);
    }
    let (scn, months, futures) = build(&req).map_err(cap_problems)?;
    Ok(simulate(scn, months, futures))
}

/// Values in `vs`, nested ones included, counting no further than `stop`.
fn count_values<'a>(vs: impl Iterator<Item = &'a Value>, stop: usize) -> usize {
    let mut n = 0;
    let mut stack: Vec<&Value> = vs.collect();
    while let Some(v) = stack.pop() {
        n += 1;
        if n > stop {
            break;
        }
        match v {
            Value::Array(a) => stack.extend(a),
            Value::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
    n
}

/// The first [`MAX_PROBLEMS`] problems and, if there were more, one saying how
/// many more: an answer stays small however bad the request.
pub fn cap_problems(mut problems: Vec<Problem>) -> Vec<Problem> {
    // A long list of allowed keys is said once in full at most (GET /api/meta has it).
    for p in &mut problems {
        if p.message.chars().count() > MAX_MESSAGE_CHARS {
            p.message = p
                .message
                .chars()
                .take(MAX_MESSAGE_CHARS)
                .collect::<String>()
                + "…";
        }
    }
    // Up to one more than the cap is shown whole, which also makes capping twice harmless.
    if problems.len() > MAX_PROBLEMS + 1 {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(Problem::new(
            "",
            format!("… and {more} more (only the first {MAX_PROBLEMS} are shown)"),
        ));
    }
    problems
}

pub fn body_too_large() -> Problem {
    Problem::new(
        "body",
        format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// The request as a validated [`Scenario`] (with `replicates` = futures), the
/// months to report (0 = just the starting state) and the number of futures.
pub fn build(req: &RunRequest) -> Result<(Scenario, u32, u32), Vec<Problem>> {
    let mut problems = Vec::new();
    let preset = match req.preset.as_deref() {
        None => presets::all().first(),
        Some(id) => presets::find(id).or_else(|| {
            let ids = presets::all().iter().map(|p| p.id.as_str());
            let hint = match nearest(id, ids.clone()) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("allowed: {}", ids.collect::<Vec<_>>().join(", ")),
            };
            problems.push(Problem::new("preset", format!("unknown preset; {hint}")));
            None
        }),
    };
    let months = int_field(
        "months",
        req.months.as_ref(),
        0,
        MAX_MONTHS as u64,
        &mut problems,
    );
    let seed = int_field("seed", req.seed.as_ref(), 0, i64::MAX as u64, &mut problems);
    let futures = int_field(
        "futures",
        req.futures.as_ref(),
        1,
        MAX_FUTURES as u64,
        &mut problems,
    )
    .unwrap_or(1) as u32;
    if req.events.len() > MAX_EVENTS {
        problems.push(Problem::new(
            "events",
            format!(
                "{} events; allowed at most {MAX_EVENTS} per request",
                req.events.len()
            ),
        ));
    }
    let Some(preset) = preset else {
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let months = months.map_or(preset.scenario.months.min(MAX_MONTHS), |m| m as u32);
    let seed = seed.unwrap_or(preset.scenario.seed);
    let (text, mut problems) = scenario_toml(preset, req, months.max(1), seed, futures);
    match scenario::parse(&text, Path::new("request")) {
        Ok(scn) if problems.is_empty() => Ok((scn, months, futures)),
        Ok(_) => Err(problems),
        Err(Error::Invalid(diags)) => {
            problems.extend(diags.into_iter().map(|d| Problem {
                key: d.key,
                message: d.message,
            }));
            Err(problems)
        }
        Err(other) => {
            problems.push(Problem::new("", other.to_string()));
            Err(problems)
        }
    }
}

/// An optional non-negative integer field of the request, range-checked.
fn int_field(
    key: &str,
    v: Option<&Value>,
    min: u64,
    max: u64,
    problems: &mut Vec<Problem>,
) -> Option<u64> {
    let v = v?;
    match v.as_u64() {
        Some(x) if (min..=max).contains(&x) => Some(x),
        _ => {
            let allowed = format!("allowed an integer from {min} to {max}");
            let msg = if v.is_i64() || v.is_u64() {
                format!("{v} is out of range; {allowed}")
            } else {
                format!("expected an integer, found {v}; {allowed}")
            };
            problems.push(Problem::new(key, msg));
            None
        }
    }
}

/// Scenario TOML text for the request (the preset's parameters, the request's
/// overrides and events, the run settings) and the problems found on the way:
/// what can be written is still parsed, so the user sees every problem at once.
fn scenario_toml(
    preset: &Preset,
    req: &RunRequest,
    months: u32,
    seed: u64,
    futures: u32,
) -> (String, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut doc = toml::Table::new();
    let mut run = toml::Table::new();
    run.insert("name".into(), preset.id.clone().into());
    run.insert("months".into(), i64::from(months).into());
    run.insert("seed".into(), toml::Value::Integer(seed as i64));
    run.insert("replicates".into(), i64::from(futures).into());
    doc.insert("scenario".into(), run.into());
    for spec in SPECS {
        put(
            &mut doc,
            spec.path,
            typed_toml(spec.kind, (spec.get)(&preset.scenario.params)),
        );
    }
    for (path, v) in &req.params {
        if schema::spec(path).is_none() {
            let hint = match nearest(path, SPECS.iter().map(|s| s.path)) {
                Some(n) => format!("did you mean `{n}`?"),
                None => "GET /api/meta lists the parameters".to_string(),
            };
            problems.push(Problem::new(path, format!("unknown parameter; {hint}")));
            continue;
        }
        match json_to_toml(v) {
            Some(t) => put(&mut doc, path, t),
            None => problems.push(Problem::new(path, "expected a value, found null")),
        }
    }
    let mut events = Vec::new();
    for (i, e) in req.events.iter().enumerate() {
        match json_to_toml(e) {
            Some(t @ toml::Value::Table(_)) => events.push(t),
            _ => problems.push(Problem::new(
                "events",
                format!("event {} must be an object such as {{\"month\": 12, \"failure_narrative\": 0.8, \"duration\": 6}}", i + 1),
            )),
        }
    }
    if !events.is_empty() {
        doc.insert("events".into(), toml::Value::Array(events));
    }
    let text = toml::to_string(&doc).unwrap_or_else(|e| {
        problems.push(Problem::new("", format!("cannot encode the request: {e}")));
        String::new()
    });
    (text, problems)
}

/// Insert `value` at `section.key` (the path is known to be in the schema).
fn put(doc: &mut toml::Table, path: &str, value: toml::Value) {
    let (section, key) = path.split_once('.').unwrap_or(("", path));
    let table = doc
        .entry(section)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(t) = table {
        t.insert(key.to_string(), value);
    }
}

fn typed_toml(kind: Kind, v: f64) -> toml::Value {
    match kind {
        Kind::Bool => toml::Value::Boolean(v != 0.0),
        Kind::Int => toml::Value::Integer(v as i64),
        Kind::Float => toml::Value::Float(v),
    }
}

fn typed_json(kind: Kind, v: f64) -> Value {
    match kind {
        Kind::Bool => Value::Bool(v != 0.0),
        Kind::Int => json!(v as i64),
        Kind::Float => json!(v),
    }
}

/// JSON → TOML; `None` where TOML has no equivalent (null).
fn json_to_toml(v: &Value) -> Option<toml::Value> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(a) => toml::Value::Array(a.iter().map(json_to_toml).collect::<Option<_>>()?),
        Value::Object(o) => {
            let mut t = toml::Table::new();
            for (k, v) in o {
                t.insert(k.clone(), json_to_toml(v)?);
            }
            toml::Value::Table(t)
        }
    })
}

/// Run every future of a validated scenario (in parallel; results in seed
/// order) and collect what the page draws up to month `months`. The scenario
/// itself runs at least one month, so month 0 alone can be shown.
pub fn simulate(scn: Scenario, months: u32, futures: u32) -> RunResponse {
    let preset = scn.name.clone();
    let seed = scn.seed;
    let plan = Plan::new(scn);
    let runs: Vec<OneRun> = (0..futures)
        .into_par_iter()
        .map(|replicate| one_run(&plan, replicate, months))
        .collect();
    let column = |run: &OneRun, name: &str| -> Vec<f64> {
        let k = Observation::COLUMNS.iter().position(|c| *c == name);
        run.obs
            .iter()
            .map(|o| k.map_or(f64::NAN, |k| o.values()[k]))
            .collect()
    };
    let main = &runs[0];
    let series = Observation::COLUMNS
        .iter()
        .map(|&name| (name, column(main, name)))
        .collect();
    let futures_out = if futures > 1 {
        runs.iter()
            .map(|r| Future {
                series: CHART_SERIES.iter().map(|&n| (n, column(r, n))).collect(),
                failed_month: r.failed_month,
            })
            .collect()
    } else {
        Vec::new()
    };
    RunResponse {
        preset,
        months,
        seed,
        practices: main.grid.locality.len(),
        localities: main.localities,
        series,
        narrative_shock: (0..=months).map(|t| plan.schedule.shock(t)).collect(),
        failed_month: main.failed_month,
        futures: futures_out,
        grid: runs.into_iter().next().map(|r| r.grid).unwrap_or_default(),
    }
}

/// One future up to month `months`: its observations, failure and final practices.
struct OneRun {
    obs: Vec<Observation>,
    failed_month: Option<u32>,
    grid: Grid,
    localities: usize,
}

fn one_run(plan: &Plan, replicate: u32, months: u32) -> OneRun {
    let mut obs: Vec<Observation> = Vec::with_capacity(months as usize + 1);
    let (mut grid, mut localities) = (Grid::default(), 0);
    let ccg = plan.simulate(RunId { replicate, ccg: 0 }, |t, c| {
        if t > months {
            return;
        }
        obs.push(c.observe(plan.schedule.params(t)));
        if t == months {
            let ps = &c.practices;
            grid = Grid {
                locality: ps.locality.clone(),
                engagement: ps.engagement.clone(),
                ownership: ps.ownership.clone(),
                leader: ps.leader.clone(),
            };
            localities = c.localities;
        }
    });
    OneRun {
        obs,
        failed_month: ccg.failed_month.filter(|&m| m <= months),
        grid,
        localities,
    }
}

/// `GET /api/meta`: limits, the parameter table and the presets, so the page
/// builds its controls from the same ranges the server enforces.
pub fn meta() -> Value {
    let params: Vec<Value> = SPECS
        .iter()
        .map(|s| {
            json!({
                "path": s.path, "kind": s.kind, "default": typed_json(s.kind, s.default),
                "min": s.min, "max": s.max, "dynamic": s.dynamic, "unit": s.unit, "doc": s.doc,
            })
        })
        .collect();
    let presets: Vec<Value> = presets::all()
        .iter()
        .map(|p| {
            let scn = &p.scenario;
            let values: Map<String, Value> = SPECS
                .iter()
                .map(|s| (s.path.to_string(), typed_json(s.kind, (s.get)(&scn.params))))
                .collect();
            json!({
                "id": p.id, "file": format!("scenarios/{}", p.file), "name": scn.name,
                "description": scn.description, "months": scn.months.min(MAX_MONTHS),
                "seed": scn.seed, "params": values,
                "population_ccgs": scn.population.as_ref().map(|p| p.sizes().len()),
                "events": scn.events.iter().map(event_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "limits": {
            "months": MAX_MONTHS, "futures": MAX_FUTURES, "events": MAX_EVENTS,
            "body_bytes": MAX_BODY_BYTES,
        },
        "chart_series": CHART_SERIES,
        "params": params,
        "presets": presets,
    })
}

/// A scenario event in the request's JSON form, so the page can send preset
/// events back unchanged.
fn event_json(e: &Event) -> Value {
    let assign = |list: &[(&'static str, f64)]| -> Map<String, Value> {
        list.iter()
            .map(|&(path, v)| {
                let kind = schema::spec(path).map_or(Kind::Float, |s| s.kind);
                (path.to_string(), typed_json(kind, v))
            })
            .collect()
    };
    let mut m = Map::new();
    m.insert("month".into(), json!(e.month));
    if !e.label.is_empty() {
        m.insert("label".into(), json!(e.label));
    }
    if !e.set.is_empty() {
        m.insert("set".into(), Value::Object(assign(&e.set)));
    }
    if !e.ramp.is_empty() {
        m.insert("ramp".into(), Value::Object(assign(&e.ramp)));
        m.insert("over".into(), json!(e.ramp_months));
    }
    if let Some(n) = e.narrative {
        m.insert("failure_narrative".into(), json!(n.strength));
        m.insert("duration".into(), json!(n.duration));
    }
    Value::Object(m)
}
