//! Calibration file (TOML) → validated [`Calibration`]. The same document
//! parser as scenario and sweep files, and every problem located to line and
//! column; target scenarios are read (and their own errors reported) as
//! scenario files, relative to the calibration file.

use super::abc::Settings;
use super::{Calibration, Dist, Observed, Prior, Reduce};
use crate::error::{Diagnostic, Error, Result, nearest};
use crate::model::Observation;
use crate::scenario::{Kind, SPECS, Scenario, schema};
use crate::sweep::parse::Cx;
use crate::sweep::{Axis, Target};
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

type Item<'a> = Spanned<DeValue<'a>>;

const TOP_KEYS: [&str; 3] = ["calibration", "priors", "targets"];
const CALIBRATION_KEYS: [&str; 7] = [
    "particles",
    "generations",
    "seed",
    "replicates",
    "quantile",
    "min_fall",
    "max_attempts",
];
const PRIOR_KEYS: [&str; 5] = ["path", "uniform", "normal", "lognormal", "bounds"];
const TARGET_KEYS: [&str; 8] = [
    "name",
    "scenario",
    "observable",
    "months",
    "reduce",
    "value",
    "sd",
    "n",
];

pub const MAX_PARTICLES: i64 = 100_000;
pub const MAX_GENERATIONS: i64 = 100;
pub const MAX_CALIBRATION_REPLICATES: i64 = 10_000;
/// Smallest prior probability inside a prior's bounds.
const MIN_MASS: f64 = 1e-9;

pub fn load(path: &Path) -> Result<Calibration> {
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io("read calibration file", path, e))?
        .len();
    if len > crate::scenario::MAX_SCENARIO_BYTES {
        return Err(Error::Invalid(vec![Diagnostic::unplaced(
            &path.display().to_string(),
            "",
            format!("the file is {len} bytes; is this the right file?"),
        )]));
    }
    let text = crate::sweep::parse::read_utf8(path, "read calibration file")?;
    parse(&text, path)
}

impl Cx<'_> {
    fn unknown_keys(&mut self, t: &DeTable, allowed: &[&str], place: &str, prefix: &str) {
        for (k, _) in t.iter() {
            let key: &str = k.get_ref().as_ref();
            if !allowed.contains(&key) {
                let hint = match nearest(key, allowed.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => format!("allowed: {}", allowed.join(", ")),
                };
                self.push(
                    k.span().start,
                    &format!("{prefix}{key}"),
                    format!("unknown key in {place}; {hint}"),
                );
            }
        }
    }

    fn number(&mut self, key: &str, item: &Item) -> Option<f64> {
        let x = match item.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|v| v as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => None,
        };
        match x {
            Some(v) if v.is_finite() => Some(v),
            _ => {
                self.push(
                    item.span().start,
                    key,
                    format!(
                        "expected a finite number, found {}",
                        item.get_ref().type_str()
                    ),
                );
                None
            }
        }
    }

    fn string<'a>(&mut self, key: &str, item: &'a Item) -> Option<&'a str> {
        match item.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            other => {
                self.push(
                    item.span().start,
                    key,
                    format!("expected a string, found {}", other.type_str()),
                );
                None
            }
        }
    }

    /// A two-number array `[a, b]`.
    fn pair(&mut self, key: &str, item: &Item, what: &str) -> Option<(f64, f64)> {
        match item.get_ref() {
            DeValue::Array(a) if a.len() == 2 => {
                let x = self.number(key, &a[0]);
                let y = self.number(key, &a[1]);
                Some((x?, y?))
            }
            _ => {
                self.push(
                    item.span().start,
                    key,
                    format!("expected two numbers {what}"),
                );
                None
            }
        }
    }

    fn tables<'a, 'i>(&mut self, key: &str, item: &'a Item<'i>) -> Vec<&'a Item<'i>> {
        match item.get_ref() {
            DeValue::Array(arr) => arr
                .iter()
                .filter(|v| {
                    let ok = matches!(v.get_ref(), DeValue::Table(_));
                    if !ok {
                        self.push(
                            v.span().start,
                            key,
                            format!("must be a table, written [[{key}]]"),
                        );
                    }
                    ok
                })
                .collect(),
            _ => {
                self.push(
                    item.span().start,
                    key,
                    format!("must be an array of tables, written as [[{key}]] blocks"),
                );
                Vec::new()
            }
        }
    }
}

fn table<'a, 'i>(item: &'a Item<'i>) -> &'a DeTable<'i> {
    match item.get_ref() {
        DeValue::Table(t) => t,
        _ => unreachable!("checked by Cx::tables"),
    }
}

/// `p` relative to the calibration file's folder (absolute paths kept).
fn resolve(file: &Path, p: &str) -> PathBuf {
    let b = Path::new(p);
    if b.is_absolute() {
        return b.to_path_buf();
    }
    match file.parent() {
        Some(d) => d.join(b),
        None => b.to_path_buf(),
    }
}

/// Parse and validate calibration text; `path` locates messages and scenarios.
pub fn parse(text: &str, path: &Path) -> Result<Calibration> {
    let mut cx = Cx {
        file: path.display().to_string(),
        text,
        diags: Vec::new(),
    };
    let root = crate::scenario::toml_document(text, &cx.file)?;
    cx.unknown_keys(&root, &TOP_KEYS, "a calibration file", "");

    // [calibration]
    let mut particles = 1000i64;
    let mut generations = 10i64;
    let mut seed = 1i64;
    let mut replicates = 10i64;
    let mut quantile = 0.5;
    let mut min_fall = 0.05;
    let mut max_attempts = None;
    match root.get("calibration").map(|i| (i, i.get_ref())) {
        Some((_, DeValue::Table(t))) => {
            cx.unknown_keys(t, &CALIBRATION_KEYS, "[calibration]", "calibration.");
            if let Some(v) = t.get("particles") {
                particles = cx.int("calibration.particles", v, 2, MAX_PARTICLES).unwrap_or(particles);
            }
            if let Some(v) = t.get("generations") {
                generations = cx
                    .int("calibration.generations", v, 1, MAX_GENERATIONS)
                    .unwrap_or(generations);
            }
            if let Some(v) = t.get("seed") {
                seed = cx.int("calibration.seed", v, 0, i64::MAX).unwrap_or(seed);
            }
            if let Some(v) = t.get("replicates") {
                replicates = cx
                    .int("calibration.replicates", v, 1, MAX_CALIBRATION_REPLICATES)
                    .unwrap_or(replicates);
            }
            if let Some(v) = t.get("quantile") {
                match cx.number("calibration.quantile", v) {
                    Some(q) if q > 0.0 && q < 1.0 => quantile = q,
                    Some(q) => cx.push(
                        v.span().start,
                        "calibration.quantile",
                        format!("{q} is out of range; allowed a number strictly between 0 and 1"),
                    ),
                    None => {}
                }
            }
            if let Some(v) = t.get("min_fall") {
                match cx.number("calibration.min_fall", v) {
                    Some(q) if (0.0..1.0).contains(&q) => min_fall = q,
                    Some(q) => cx.push(
                        v.span().start,
                        "calibration.min_fall",
                        format!("{q} is out of range; allowed a number from 0 up to (not including) 1"),
                    ),
                    None => {}
                }
            }
            if let Some(v) = t.get("max_attempts") {
                max_attempts = cx.int("calibration.max_attempts", v, 1, i64::MAX);
            }
        }
        Some((i, other)) => cx.push(
            i.span().start,
            "calibration",
            format!("must be a table, written [calibration], found {}", other.type_str()),
        ),
        None => cx.push(
            0,
            "calibration",
            "a calibration file needs a [calibration] section (particles, generations, seed, replicates)".into(),
        ),
    }

    // [[priors]]
    let mut priors = Vec::new();
    let mut axes = Vec::new();
    let prior_items = match root.get("priors") {
        Some(item) => cx.tables("priors", item),
        None => {
            cx.push(
                0,
                "priors",
                "a calibration needs at least one [[priors]] block".into(),
            );
            Vec::new()
        }
    };
    for item in prior_items {
        if let Some((prior, axis)) = prior(&mut cx, item) {
            if axes.iter().any(|a: &Axis| a.path == axis.path) {
                cx.push(
                    item.span().start,
                    &axis.path,
                    "this parameter already has a prior".into(),
                );
                continue;
            }
            priors.push(prior);
            axes.push(axis);
        }
    }

    // [[targets]]
    let mut targets = Vec::new();
    let mut scenarios: Vec<(PathBuf, Scenario)> = Vec::new();
    let target_items = match root.get("targets") {
        Some(item) => cx.tables("targets", item),
        None => {
            cx.push(
                0,
                "targets",
                "a calibration needs at least one [[targets]] block".into(),
            );
            Vec::new()
        }
    };
    for item in target_items {
        if let Some(t) = target(&mut cx, item, path, &mut scenarios) {
            targets.push(t);
        }
    }

    if !cx.diags.is_empty() {
        return Err(Error::Invalid(cx.diags));
    }
    // Each scenario runs with the calibration's replicates and seed, and only
    // as far as its last target month (later events cannot change earlier months).
    let mut scns = Vec::new();
    for (g, (_, mut s)) in scenarios.into_iter().enumerate() {
        let horizon = targets
            .iter()
            .filter(|t: &&Observed| t.scenario == g)
            .map(|t| t.to)
            .max()
            .unwrap_or(s.months)
            .max(1);
        s.months = horizon;
        s.events.retain(|e| e.month <= horizon);
        s.replicates = replicates as u32;
        s.seed = seed as u64;
        scns.push(s);
    }
    let settings = Settings {
        particles: particles as usize,
        generations: generations as u32,
        seed: seed as u64,
        quantile,
        min_fall,
        max_attempts: max_attempts.map_or(1000 * particles as u64, |m| m as u64),
        show_progress: false,
    };
    let file_hash = blake3::hash(text.as_bytes()).to_hex().to_string();
    let identity = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "settings": settings,
        "replicates": replicates,
        "priors": priors,
        "targets": targets,
        "scenarios": scns.iter().map(|s| crate::output::manifest::scenario_json(s).1).collect::<Vec<_>>(),
    });
    Ok(Calibration {
        file: path.to_path_buf(),
        file_hash,
        hash: blake3::hash(identity.to_string().as_bytes())
            .to_hex()
            .to_string(),
        settings,
        replicates: replicates as u32,
        priors,
        axes,
        targets,
        scenarios: scns,
    })
}

fn prior(cx: &mut Cx, item: &Item) -> Option<(Prior, Axis)> {
    let t = table(item);
    let start = item.span().start;
    cx.unknown_keys(t, &PRIOR_KEYS, "[[priors]]", "priors.");
    let Some(p) = t.get("path") else {
        cx.push(
            start,
            "priors.path",
            "a prior needs `path`, a parameter such as \"behaviour.eng_credibility\"".into(),
        );
        return None;
    };
    let name = cx.string("priors.path", p)?;
    let Some(spec) = schema::spec(name) else {
        let hint = match nearest(name, SPECS.iter().map(|s| s.path)) {
            Some(n) => format!("did you mean `{n}`?"),
            None => "see `ccgsim params` for the parameter paths".into(),
        };
        cx.push(
            p.span().start,
            name,
            format!("unknown parameter path; {hint}"),
        );
        return None;
    };
    if spec.kind != Kind::Float {
        cx.push(
            p.span().start,
            name,
            format!(
                "only number parameters can be calibrated; `{name}` is {}",
                spec.allowed()
            ),
        );
        return None;
    }
    let shapes: Vec<&str> = ["uniform", "normal", "lognormal"]
        .into_iter()
        .filter(|k| t.contains_key(*k))
        .collect();
    if shapes.len() != 1 {
        cx.push(
            start,
            name,
            format!(
                "a prior has exactly one of uniform = [low, high], normal = [mean, sd], lognormal = [median, sd_log]; found {}",
                if shapes.is_empty() { "none".to_string() } else { shapes.join(" and ") }
            ),
        );
        return None;
    }
    let shape = shapes[0];
    let item = &t[shape];
    let (a, b) = cx.pair(name, item, "in [ ]")?;
    let off = item.span().start;
    let allowed = spec.allowed();
    let (dist, mut low, mut high) = match shape {
        "uniform" => {
            if a >= b {
                cx.push(
                    off,
                    name,
                    format!("impossible prior: low {a} is not below high {b}"),
                );
                return None;
            }
            (Dist::Uniform { low: a, high: b }, a, b)
        }
        "normal" => {
            if b <= 0.0 {
                cx.push(
                    off,
                    name,
                    format!("impossible prior: sd {b} must be positive"),
                );
                return None;
            }
            (Dist::Normal { mean: a, sd: b }, spec.min, spec.max)
        }
        _ => {
            if a <= 0.0 || b <= 0.0 {
                cx.push(
                    off,
                    name,
                    format!("impossible prior: lognormal needs a positive median and sd_log, found [{a}, {b}]"),
                );
                return None;
            }
            (
                Dist::Lognormal {
                    median: a,
                    sd_log: b,
                },
                spec.min.max(0.0),
                spec.max,
            )
        }
    };
    if let Some(bi) = t.get("bounds") {
        if shape == "uniform" {
            cx.push(
                bi.span().start,
                name,
                "a uniform prior is bounded by its own [low, high]; remove `bounds`".into(),
            );
            return None;
        }
        let (l, h) = cx.pair(name, bi, "[low, high]")?;
        if l >= h {
            cx.push(
                bi.span().start,
                name,
                format!("impossible prior: bounds [{l}, {h}] are empty"),
            );
            return None;
        }
        low = l;
        high = h;
    }
    if low < spec.min || high > spec.max {
        cx.push(
            off,
            name,
            format!("impossible prior: its range [{low}, {high}] leaves the parameter's allowed range ({allowed})"),
        );
        return None;
    }
    let prior = Prior {
        path: spec.path.to_string(),
        dist,
        low,
        high,
    };
    if prior.mass() < MIN_MASS {
        cx.push(
            off,
            name,
            format!(
                "impossible prior: almost none of its probability ({:.1e}) lies within [{low}, {high}]",
                prior.mass()
            ),
        );
        return None;
    }
    Some((prior, Axis::new(spec.path, spec.kind, Target::Param(spec))))
}

fn target(
    cx: &mut Cx,
    item: &Item,
    file: &Path,
    scenarios: &mut Vec<(PathBuf, Scenario)>,
) -> Option<Observed> {
    let t = table(item);
    let start = item.span().start;
    cx.unknown_keys(t, &TARGET_KEYS, "[[targets]]", "targets.");
    let before = cx.diags.len();
    let need = |cx: &mut Cx, k: &str| -> Option<()> {
        if t.contains_key(k) {
            Some(())
        } else {
            cx.push(
                start,
                &format!("targets.{k}"),
                format!("a target needs `{k}`"),
            );
            None
        }
    };
    let name =
        need(cx, "name").and_then(|_| cx.string("targets.name", &t["name"]).map(str::to_string));
    let scenario = need(cx, "scenario").and_then(|_| {
        let item = &t["scenario"];
        let p = resolve(file, cx.string("targets.scenario", item)?);
        if !p.is_file() {
            cx.push(
                item.span().start,
                "targets.scenario",
                format!("scenario file {} does not exist", p.display()),
            );
            return None;
        }
        if let Some(g) = scenarios.iter().position(|(q, _)| *q == p) {
            return Some(g);
        }
        match Scenario::load(&p) {
            Ok(s) => {
                scenarios.push((p, s));
                Some(scenarios.len() - 1)
            }
            Err(Error::Invalid(d)) => {
                cx.diags.extend(d);
                None
            }
            Err(e) => {
                cx.push(item.span().start, "targets.scenario", e.to_string());
                None
            }
        }
    });
    let observable = need(cx, "observable").and_then(|_| {
        let item = &t["observable"];
        let o = cx.string("targets.observable", item)?;
        match Observation::COLUMNS.iter().position(|c| *c == o) {
            Some(c) => Some((o.to_string(), c)),
            None => {
                let hint = match nearest(o, Observation::COLUMNS.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => format!("allowed: {}", Observation::COLUMNS.join(", ")),
                };
                cx.push(
                    item.span().start,
                    "targets.observable",
                    format!("unknown observable; {hint}"),
                );
                None
            }
        }
    });
    let months = need(cx, "months").and_then(|_| {
        let item = &t["months"];
        let (a, b) = cx.pair("targets.months", item, "[first, last] (integers)")?;
        let horizon = scenario.map(|g| scenarios[g].1.months as f64);
        if a.fract() != 0.0
            || b.fract() != 0.0
            || a < 0.0
            || a > b
            || horizon.is_some_and(|h| b > h)
        {
            cx.push(
                item.span().start,
                "targets.months",
                format!(
                    "expected whole months first ≤ last within 0 to {}, found [{a}, {b}]",
                    horizon.map_or("the scenario's months".to_string(), |h| h.to_string())
                ),
            );
            return None;
        }
        Some((a as u32, b as u32))
    });
    let reduce = match t.get("reduce") {
        None => Some(Reduce::Mean),
        Some(item) => match cx.string("targets.reduce", item)? {
            "mean" => Some(Reduce::Mean),
            "any" => Some(Reduce::Any),
            other => {
                cx.push(
                    item.span().start,
                    "targets.reduce",
                    format!(
                        "unknown reduction `{other}`; allowed: mean (the window's mean), any (1 when the observable is above zero in any month of the window, else 0)"
                    ),
                );
                None
            }
        },
    };
    let value = need(cx, "value").and_then(|_| cx.number("targets.value", &t["value"]));
    let se = match (t.get("sd"), t.get("n")) {
        (Some(sd), None) => match cx.number("targets.sd", sd) {
            Some(s) if s > 0.0 => Some(s),
            Some(s) => {
                cx.push(
                    sd.span().start,
                    "targets.sd",
                    format!("sd {s} must be positive"),
                );
                None
            }
            None => None,
        },
        (None, Some(n)) => {
            let n = cx.int("targets.n", n, 1, i64::MAX);
            match (n, value) {
                (Some(n), Some(v)) if v > 0.0 && v < 1.0 => Some((v * (1.0 - v) / n as f64).sqrt()),
                (Some(_), Some(v)) => {
                    cx.push(
                        t["value"].span().start,
                        "targets.value",
                        format!("with `n` (a survey share) the value must lie strictly between 0 and 1, found {v}"),
                    );
                    None
                }
                _ => None,
            }
        }
        _ => {
            cx.push(
                start,
                "targets.sd",
                "a target needs exactly one of `sd` (standard error) or `n` (survey size)".into(),
            );
            None
        }
    };
    if cx.diags.len() != before {
        return None;
    }
    let (observable, column) = observable?;
    let (from, to) = months?;
    Some(Observed {
        name: name?,
        scenario: scenario?,
        observable,
        column,
        from,
        to,
        reduce: reduce?,
        value: value?,
        se: se?,
    })
}
