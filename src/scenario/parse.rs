//! TOML text → validated [`Scenario`]. Every problem is collected with its
//! line and column, so a user sees all of them at once.

use super::population::Population;
use super::schema::{self, Kind, Params, SPECS, Spec};
use super::{Event, MAX_CCGS, MAX_MONTHS, MAX_REPLICATES, NarrativeShock, Scenario};
use crate::error::{Diagnostic, Error, Result, nearest};
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

type Item<'a> = Spanned<DeValue<'a>>;

/// Sections besides the parameter sections.
const EXTRA_SECTIONS: [&str; 4] = ["scenario", "population", "events", "model"];
const SCENARIO_KEYS: [&str; 5] = ["name", "description", "months", "replicates", "seed"];
const POPULATION_KEYS: [&str; 6] = [
    "ccgs",
    "practices",
    "median_population",
    "min_population",
    "max_population",
    "patients_per_practice",
];
const EVENT_KEYS: [&str; 7] = [
    "month",
    "label",
    "set",
    "ramp",
    "over",
    "narrative",
    "duration",
];

/// TOML text → a table that keeps every key's and value's position; a syntax
/// error becomes a located diagnostic. Shared by scenario and sweep files.
pub(crate) fn toml_document<'t>(text: &'t str, file: &str) -> Result<DeTable<'t>> {
    DeTable::parse(text).map(|t| t.into_inner()).map_err(|e| {
        let off = e.span().map_or(0, |s| s.start);
        let msg = e.message().trim().replace('\n', "; ");
        Error::Invalid(vec![Diagnostic::at(
            file,
            text,
            off,
            "",
            format!("TOML syntax error: {msg}"),
        )])
    })
}

/// Parse and validate scenario text; `path` is used in messages and as the default name.
pub fn parse(text: &str, path: &Path) -> Result<Scenario> {
    let mut cx = Cx {
        file: path.display().to_string(),
        text,
        diags: Vec::new(),
    };
    let root = toml_document(text, &cx.file)?;

    let default_name = path
        .file_stem()
        .map_or("scenario".to_string(), |s| s.to_string_lossy().to_string());
    let mut scn = Scenario {
        name: default_name,
        description: String::new(),
        months: 60,
        replicates: 20,
        seed: 1,
        params: Params::default(),
        population: None,
        events: Vec::new(),
        source: path.to_path_buf(),
    };

    let param_sections = schema::sections();
    let mut practices_given = None;
    for (key, item) in root.iter() {
        let section = key.get_ref().as_ref();
        let off = key.span().start;
        match section {
            "scenario" => {
                if let Some(t) = cx.table(section, item) {
                    cx.scenario_section(t, &mut scn);
                }
            }
            "population" => {
                if let Some(t) = cx.table(section, item) {
                    scn.population = cx.population(t);
                }
            }
            "model" => {
                if let Some(t) = cx.table(section, item) {
                    cx.model_section(t, &mut scn.params);
                }
            }
            "events" => {} // after everything else: events are checked against `months`.
            s if param_sections.contains(&s) => {
                if let Some(t) = cx.table(section, item) {
                    for (k, v) in t.iter() {
                        let path = format!("{s}.{}", k.get_ref());
                        match schema::spec(&path) {
                            Some(spec) => {
                                if let Some(x) = cx.value(spec, v) {
                                    (spec.set)(&mut scn.params, x);
                                    if spec.path == "ccg.practices" {
                                        practices_given = Some(v.span().start);
                                    }
                                }
                            }
                            None => {
                                let keys =
                                    SPECS.iter().filter(|p| p.section() == s).map(|p| p.key());
                                cx.unknown(
                                    k.span().start,
                                    &path,
                                    k.get_ref(),
                                    keys,
                                    &format!("[{s}]"),
                                );
                            }
                        }
                    }
                }
            }
            other => {
                let all = param_sections.iter().copied().chain(EXTRA_SECTIONS);
                cx.unknown(off, other, other, all, "the file's top level");
            }
        }
    }
    if let Some(item) = root.get("events") {
        match item.get_ref() {
            DeValue::Array(arr) => {
                for ev in arr.iter() {
                    if let Some(e) = cx.event(ev, scn.months) {
                        scn.events.push(e);
                    }
                }
            }
            _ => cx.push(
                item.span().start,
                "events",
                "must be an array of tables, written as [[events]] blocks".into(),
            ),
        }
    }
    cx.cross_checks(&scn, practices_given);
    if cx.diags.is_empty() {
        Ok(scn)
    } else {
        Err(Error::Invalid(cx.diags))
    }
}

/// Parse one value given on its own (a sweep axis, a command-line setting) for `path`,
/// with the same type and range rules as the scenario file.
pub fn parse_value_for(spec: &Spec, v: &toml::Value) -> std::result::Result<f64, String> {
    let num = match (spec.kind, v) {
        (Kind::Bool, toml::Value::Boolean(b)) => return Ok(if *b { 1.0 } else { 0.0 }),
        (Kind::Bool, other) => {
            return Err(format!(
                "expected true or false, found {}",
                other.type_str()
            ));
        }
        (Kind::Int, toml::Value::Integer(i)) => *i as f64,
        (Kind::Int, toml::Value::Float(f)) if f.fract() == 0.0 && f.is_finite() => *f,
        (Kind::Int, other) => {
            return Err(format!(
                "expected {}, found {}",
                spec.allowed(),
                describe(other)
            ));
        }
        (Kind::Float, toml::Value::Integer(i)) => *i as f64,
        (Kind::Float, toml::Value::Float(f)) => *f,
        (Kind::Float, other) => {
            return Err(format!("expected a number, found {}", other.type_str()));
        }
    };
    check_range(spec, num)
}

/// "string \"forty\"", "float 2.5": what was found, for messages.
fn describe(v: &toml::Value) -> String {
    match v {
        toml::Value::String(_) | toml::Value::Float(_) | toml::Value::Integer(_) => {
            format!("{} {v}", v.type_str())
        }
        other => other.type_str().to_string(),
    }
}

fn check_range(spec: &Spec, x: f64) -> std::result::Result<f64, String> {
    if !x.is_finite() {
        return Err(format!(
            "{x} is not a finite number; allowed {}",
            spec.allowed()
        ));
    }
    if x < spec.min || x > spec.max {
        return Err(format!("{x} is out of range; allowed {}", spec.allowed()));
    }
    Ok(x)
}

struct Cx<'t> {
    file: String,
    text: &'t str,
    diags: Vec<Diagnostic>,
}

impl Cx<'_> {
    fn push(&mut self, offset: usize, key: &str, message: String) {
        self.diags
            .push(Diagnostic::at(&self.file, self.text, offset, key, message));
    }

    fn unknown<'a>(
        &mut self,
        offset: usize,
        shown: &str,
        word: &str,
        candidates: impl IntoIterator<Item = &'a str> + Clone,
        place: &str,
    ) {
        let hint = match nearest(word, candidates.clone()) {
            Some(n) => format!("did you mean `{n}`?"),
            None => {
                let list: Vec<&str> = candidates.into_iter().collect();
                format!("allowed: {}", list.join(", "))
            }
        };
        self.push(offset, shown, format!("unknown key in {place}; {hint}"));
    }

    fn table<'a, 'i>(&mut self, section: &str, item: &'a Item<'i>) -> Option<&'a DeTable<'i>> {
        match item.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.push(
                    item.span().start,
                    section,
                    format!(
                        "must be a table, written [{section}], found {}",
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    /// A number (or bool) for a parameter, type- and range-checked.
    fn value(&mut self, spec: &Spec, item: &Item) -> Option<f64> {
        let v = match to_value(item.get_ref()) {
            Some(v) => v,
            None => {
                self.push(
                    item.span().start,
                    spec.path,
                    format!(
                        "expected {}, found {}",
                        spec.allowed(),
                        item.get_ref().type_str()
                    ),
                );
                return None;
            }
        };
        match parse_value_for(spec, &v) {
            Ok(x) => Some(x),
            Err(m) => {
                self.push(item.span().start, spec.path, m);
                None
            }
        }
    }

    /// An integer key outside the parameter table (months, replicates, …).
    fn int(&mut self, key: &str, item: &Item, min: i64, max: i64) -> Option<i64> {
        let allowed = format!("allowed an integer from {min} to {max}");
        match to_value(item.get_ref()) {
            Some(toml::Value::Integer(i)) if (min..=max).contains(&i) => Some(i),
            Some(toml::Value::Integer(i)) => {
                self.push(
                    item.span().start,
                    key,
                    format!("{i} is out of range; {allowed}"),
                );
                None
            }
            _ => {
                self.push(
                    item.span().start,
                    key,
                    format!(
                        "expected an integer, found {}; {allowed}",
                        item.get_ref().type_str()
                    ),
                );
                None
            }
        }
    }

    /// A positive, finite number outside the parameter table.
    fn number(&mut self, key: &str, item: &Item, min: f64, max: f64) -> Option<f64> {
        let allowed = format!("allowed a number from {min} to {max}");
        let x = match to_value(item.get_ref()) {
            Some(toml::Value::Integer(i)) => i as f64,
            Some(toml::Value::Float(f)) => f,
            _ => {
                let found = item.get_ref().type_str();
                self.push(
                    item.span().start,
                    key,
                    format!("expected a number, found {found}; {allowed}"),
                );
                return None;
            }
        };
        if !x.is_finite() || x < min || x > max {
            self.push(
                item.span().start,
                key,
                format!("{x} is out of range; {allowed}"),
            );
            return None;
        }
        Some(x)
    }

    fn string(&mut self, key: &str, item: &Item) -> Option<String> {
        match item.get_ref() {
            DeValue::String(s) if s.len() <= 10_000 => Some(s.to_string()),
            DeValue::String(_) => {
                self.push(
                    item.span().start,
                    key,
                    "is longer than 10,000 characters".into(),
                );
                None
            }
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

    fn scenario_section(&mut self, t: &DeTable, scn: &mut Scenario) {
        for (k, v) in t.iter() {
            let key = format!("scenario.{}", k.get_ref());
            match k.get_ref().as_ref() {
                "name" => {
                    if let Some(s) = self.string(&key, v) {
                        if s.trim().is_empty() || s.contains(['/', '\\', '\0']) {
                            self.push(v.span().start, &key, "must be non-empty and must not contain / or \\ (it names the output folder)".into());
                        } else {
                            scn.name = s;
                        }
                    }
                }
                "description" => {
                    if let Some(s) = self.string(&key, v) {
                        scn.description = s;
                    }
                }
                "months" => {
                    if let Some(m) = self.int(&key, v, 1, MAX_MONTHS as i64) {
                        scn.months = m as u32;
                    }
                }
                "replicates" => {
                    if let Some(r) = self.int(&key, v, 1, MAX_REPLICATES as i64) {
                        scn.replicates = r as u32;
                    }
                }
                "seed" => {
                    if let Some(s) = self.int(&key, v, 0, i64::MAX) {
                        scn.seed = s as u64;
                    }
                }
                other => self.unknown(k.span().start, &key, other, SCENARIO_KEYS, "[scenario]"),
            }
        }
    }

    /// The `[model]` table: each key one of its allowed words.
    fn model_section(&mut self, t: &DeTable, params: &mut Params) {
        for (k, v) in t.iter() {
            let key = format!("model.{}", k.get_ref());
            let Some(spec) = schema::option_spec(k.get_ref()) else {
                let keys = schema::OPTIONS.iter().map(|o| o.key);
                self.unknown(k.span().start, &key, k.get_ref(), keys, "[model]");
                continue;
            };
            let allowed = spec
                .values
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" or ");
            match v.get_ref() {
                DeValue::String(w) if (spec.set)(&mut params.model, w) => {}
                DeValue::String(w) => self.push(
                    v.span().start,
                    &key,
                    format!("\"{w}\" is not an option; allowed {allowed}"),
                ),
                other => self.push(
                    v.span().start,
                    &key,
                    format!(
                        "expected a string, found {}; allowed {allowed}",
                        other.type_str()
                    ),
                ),
            }
        }
    }

    fn population(&mut self, t: &DeTable) -> Option<Population> {
        let mut pop = Population::default();
        let mut ok = true;
        let mut list_at = None;
        for (k, v) in t.iter() {
            let key = format!("population.{}", k.get_ref());
            let got = match k.get_ref().as_ref() {
                "ccgs" => self
                    .int(&key, v, 1, MAX_CCGS as i64)
                    .map(|c| pop.ccgs = c as u32),
                "practices" => {
                    list_at = Some(v.span().start);
                    self.size_list(&key, v).map(|l| pop.practices = Some(l))
                }
                "median_population" => self
                    .number(&key, v, 1.0, 1e8)
                    .map(|x| pop.median_population = x),
                "min_population" => self
                    .number(&key, v, 1.0, 1e8)
                    .map(|x| pop.min_population = x),
                "max_population" => self
                    .number(&key, v, 1.0, 1e8)
                    .map(|x| pop.max_population = x),
                "patients_per_practice" => self
                    .number(&key, v, 100.0, 1e6)
                    .map(|x| pop.patients_per_practice = x),
                other => {
                    self.unknown(k.span().start, &key, other, POPULATION_KEYS, "[population]");
                    None
                }
            };
            ok &= got.is_some();
        }
        if !ok {
            return None;
        }
        match (&pop.practices, t.get("ccgs")) {
            (Some(list), Some(c)) if list.len() != pop.ccgs as usize => {
                self.push(
                    c.span().start,
                    "population.ccgs",
                    format!(
                        "is {} but `practices` lists {} CCGs; give one or make them agree",
                        pop.ccgs,
                        list.len()
                    ),
                );
                return None;
            }
            (Some(list), None) => pop.ccgs = list.len() as u32,
            _ => {}
        }
        let off = list_at.unwrap_or(0);
        if pop.practices.is_none()
            && !(pop.min_population <= pop.median_population
                && pop.median_population <= pop.max_population)
        {
            self.push(
                off,
                "population.median_population",
                format!(
                    "need min_population ≤ median_population ≤ max_population, found {} ≤ {} ≤ {}",
                    pop.min_population, pop.median_population, pop.max_population
                ),
            );
            return None;
        }
        let sizes = pop.sizes();
        if let Some(&big) = sizes.iter().max() {
            let max = schema::spec("ccg.practices").map_or(1000.0, |s| s.max) as u32;
            if big > max {
                self.push(
                    off,
                    "population",
                    format!("the largest CCG would have {big} practices; allowed at most {max} (lower max_population or raise patients_per_practice)"),
                );
                return None;
            }
        }
        Some(pop)
    }

    fn size_list(&mut self, key: &str, item: &Item) -> Option<Vec<u32>> {
        let max = schema::spec("ccg.practices").map_or(1000.0, |s| s.max) as i64;
        let DeValue::Array(arr) = item.get_ref() else {
            self.push(
                item.span().start,
                key,
                "expected a list of practice counts, e.g. [12, 40, 120]".into(),
            );
            return None;
        };
        if arr.is_empty() || arr.len() > MAX_CCGS as usize {
            self.push(
                item.span().start,
                key,
                format!("must list 1 to {MAX_CCGS} CCG sizes"),
            );
            return None;
        }
        let mut out = Vec::with_capacity(arr.len());
        for v in arr.iter() {
            out.push(self.int(key, v, 1, max)? as u32);
        }
        Some(out)
    }

    fn event(&mut self, item: &Item, months: u32) -> Option<Event> {
        let start = item.span().start;
        let DeValue::Table(t) = item.get_ref() else {
            self.push(
                start,
                "events",
                "each event must be a table, written [[events]]".into(),
            );
            return None;
        };
        let before = self.diags.len();
        let mut ev = Event {
            month: 0,
            label: String::new(),
            set: Vec::new(),
            ramp: Vec::new(),
            ramp_months: 0,
            narrative: None,
            line: Diagnostic::at("", self.text, start, "", String::new()).line,
        };
        let mut month_seen = false;
        let (mut strength, mut duration, mut over) = (None, None, None);
        for (k, v) in t.iter() {
            let key = format!("events.{}", k.get_ref());
            match k.get_ref().as_ref() {
                "month" => {
                    month_seen = true;
                    if let Some(m) = self.int(&key, v, 0, months as i64) {
                        ev.month = m as u32;
                    } else if let Some(toml::Value::Integer(m)) = to_value(v.get_ref()) {
                        // Say why plainly: the horizon, not the number, is the limit.
                        if m > months as i64 {
                            self.diags.pop();
                            self.push(v.span().start, &key, format!("month {m} is past the horizon ([scenario] months = {months}); allowed months 0 to {months}"));
                        }
                    }
                }
                "label" => ev.label = self.string(&key, v).unwrap_or_default(),
                "set" => ev.set = self.assignments(&key, v, false),
                "ramp" => ev.ramp = self.assignments(&key, v, true),
                "over" => over = self.int(&key, v, 1, MAX_MONTHS as i64).map(|x| x as u32),
                "narrative" => strength = self.number(&key, v, 0.0, 1.0),
                "duration" => duration = self.int(&key, v, 1, MAX_MONTHS as i64).map(|x| x as u32),
                other => self.unknown(k.span().start, &key, other, EVENT_KEYS, "[[events]]"),
            }
        }
        if !month_seen {
            self.push(
                start,
                "events.month",
                "every event needs a `month` (0 = April 2013)".into(),
            );
        }
        match (t.contains_key("ramp"), over) {
            (true, Some(o)) => ev.ramp_months = o,
            (true, None) if !t.contains_key("over") => self.push(
                start,
                "events.over",
                "a `ramp` needs `over`, the number of months it takes".into(),
            ),
            (false, Some(_)) => self.push(
                start,
                "events.over",
                "`over` only applies to a `ramp`".into(),
            ),
            _ => {}
        }
        match (strength, duration) {
            (Some(s), Some(d)) => {
                ev.narrative = Some(NarrativeShock {
                    strength: s,
                    duration: d,
                })
            }
            (Some(_), None) if !t.contains_key("duration") => self.push(
                start,
                "events.duration",
                "a `narrative` shock needs `duration` in months".into(),
            ),
            (None, Some(_)) if !t.contains_key("narrative") => self.push(
                start,
                "events.narrative",
                "`duration` only applies to a `narrative` shock".into(),
            ),
            _ => {}
        }
        if ev.set.is_empty()
            && ev.ramp.is_empty()
            && ev.narrative.is_none()
            && self.diags.len() == before
        {
            self.push(
                start,
                "events",
                "an event must `set` or `ramp` a parameter, or give a `narrative` shock".into(),
            );
        }
        (self.diags.len() == before).then_some(ev)
    }

    /// `{ "ccg.allowance_per_head" = 22.0, ... }` in an event.
    fn assignments(&mut self, key: &str, item: &Item, ramp: bool) -> Vec<(&'static str, f64)> {
        let DeValue::Table(t) = item.get_ref() else {
            self.push(
                item.span().start,
                key,
                "expected a table of dotted paths, e.g. { \"ccg.allowance_per_head\" = 22.0 }"
                    .into(),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        // `{ ccg.allowance_per_head = 22 }` without quotes is a nested table: flatten it.
        let mut flat = Vec::new();
        flatten(t, String::new(), &mut flat);
        for (path, off, v) in flat {
            let Some(spec) = schema::spec(&path) else {
                let all = SPECS.iter().map(|s| s.path);
                self.unknown(
                    off,
                    &format!("{key}.{path}"),
                    &path,
                    all,
                    "the parameter paths",
                );
                continue;
            };
            if !spec.dynamic {
                self.push(
                    off,
                    spec.path,
                    "is fixed when the CCG is built and cannot be changed by an event".into(),
                );
                continue;
            }
            if ramp && spec.kind != Kind::Float {
                self.push(
                    off,
                    spec.path,
                    "only numeric (non-integer) parameters can be ramped; use `set`".into(),
                );
                continue;
            }
            if let Some(x) = self.value(spec, v) {
                out.push((spec.path, x));
            }
        }
        out
    }

    fn cross_checks(&mut self, scn: &Scenario, practices_given: Option<usize>) {
        let p = &scn.params;
        if scn.population.is_none() && p.ccg.localities as usize > p.ccg.practices as usize {
            let off = self.text.find("localities").unwrap_or(0);
            self.push(
                off,
                "ccg.localities",
                format!(
                    "{} localities for {} practices; allowed at most one locality per practice",
                    p.ccg.localities, p.ccg.practices
                ),
            );
        }
        if let (Some(off), Some(_)) = (practices_given, &scn.population) {
            self.push(
                off,
                "ccg.practices",
                "conflicts with [population], which sets each CCG's practices; remove one".into(),
            );
        }
        let b = &p.behaviour;
        if !(b.cut_1 < b.cut_2 && b.cut_2 < b.cut_3) {
            let off = self.text.find("cut_").unwrap_or(0);
            self.push(
                off,
                "behaviour.cut_1",
                format!(
                    "cut points must rise: cut_1 < cut_2 < cut_3, found {} / {} / {}",
                    b.cut_1, b.cut_2, b.cut_3
                ),
            );
        }
    }
}

fn flatten<'a>(t: &'a DeTable, prefix: String, out: &mut Vec<(String, usize, &'a Item<'a>)>) {
    for (k, v) in t.iter() {
        let path = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        match v.get_ref() {
            DeValue::Table(inner) => flatten(inner, path, out),
            _ => out.push((path, k.span().start, v)),
        }
    }
}

/// Scalar TOML values as `toml::Value`; `None` for arrays, tables and datetimes.
fn to_value(v: &DeValue) -> Option<toml::Value> {
    Some(match v {
        DeValue::Boolean(b) => toml::Value::Boolean(*b),
        DeValue::Integer(i) => {
            toml::Value::Integer(i64::from_str_radix(i.as_str(), i.radix()).ok()?)
        }
        DeValue::Float(f) => toml::Value::Float(f.as_str().replace('_', "").parse().ok()?),
        DeValue::String(s) => toml::Value::String(s.to_string()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Scenario> {
        parse(text, Path::new("t.toml"))
    }

    fn errs(text: &str) -> Vec<Diagnostic> {
        match p(text) {
            Err(Error::Invalid(d)) => d,
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn empty_file_is_all_defaults() {
        let s = p("").unwrap();
        assert_eq!(s.params, Params::default());
        assert_eq!(s.name, "t");
        assert_eq!(s.ccg_sizes(), vec![40]);
    }

    #[test]
    fn values_land_in_params() {
        let s = p("[ccg]\npractices = 12\nallowance_per_head = 22\n[constitution]\ndispute_procedure = false\n").unwrap();
        assert_eq!(s.params.ccg.practices, 12);
        assert_eq!(s.params.ccg.allowance_per_head, 22.0);
        assert!(!s.params.constitution.dispute_procedure);
    }

    #[test]
    fn typo_suggests_nearest_key_with_location() {
        let d = errs("[constitution]\nsanctons = 0.5\n");
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].line, d[0].col), (2, 1));
        assert!(
            d[0].message.contains("did you mean `sanctions`"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn out_of_range_and_nan_name_the_range() {
        let d = errs("[constitution]\nsanctions = 1.5\npeer_review = nan\n");
        assert_eq!(d.len(), 2);
        assert!(
            d.iter()
                .any(|d| d.key == "constitution.sanctions" && d.message.contains("from 0 to 1"))
        );
        assert!(
            d.iter()
                .any(|d| d.key == "constitution.peer_review" && d.message.contains("finite"))
        );
    }

    #[test]
    fn events_parse_and_are_checked() {
        let s = p("[scenario]\nmonths = 36\n[[events]]\nmonth = 24\nset = { \"ccg.allowance_per_head\" = 22.0 }\n[[events]]\nmonth = 12\nnarrative = 0.5\nduration = 6\n").unwrap();
        assert_eq!(s.events.len(), 2);
        assert_eq!(s.events[0].set, vec![("ccg.allowance_per_head", 22.0)]);
        assert_eq!(
            s.events[1].narrative,
            Some(NarrativeShock {
                strength: 0.5,
                duration: 6
            })
        );
        let d = errs(
            "[scenario]\nmonths = 10\n[[events]]\nmonth = 24\nset = { \"ccg.allowance_per_hed\" = 22.0 }\n",
        );
        assert!(d.iter().any(|d| d.message.contains("past the horizon")));
        assert!(
            d.iter()
                .any(|d| d.message.contains("did you mean `ccg.allowance_per_head`"))
        );
    }

    #[test]
    fn population_list_and_distribution() {
        let s = p("[population]\npractices = [12, 40, 120]\n").unwrap();
        assert_eq!(s.ccg_sizes(), vec![12, 40, 120]);
        let s = p("[population]\nccgs = 211\nmedian_population = 221000\nmin_population = 63100\nmax_population = 869400\npatients_per_practice = 7200\n").unwrap();
        let sizes = s.ccg_sizes();
        assert_eq!(sizes.len(), 211);
        assert!(sizes[0] >= 8 && sizes[0] <= 10, "{}", sizes[0]);
        assert!(*sizes.last().unwrap() <= 121);
    }
}
