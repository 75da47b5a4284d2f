//! For any valid scenario — every parameter drawn from its whole range, with the
//! ends (0 and 1 for shares) drawn often — the model keeps every share in [0, 1],
//! produces nothing infinite and no NaN except the documented empty cells (leader
//! figures with no leader in post, member figures when every practice holds a
//! post), and its output has exactly the months, replicates and CCGs asked for.
//!
//! Scenarios are written out as TOML and read back through the parser, so the
//! file format and the model are exercised together.

use ccgsim::engine::Plan;
use ccgsim::model::Observation;
use ccgsim::output::verify::{Verdict, verify};
use ccgsim::run::{RunOptions, run};
use ccgsim::scenario::{Kind, SPECS, Scenario, Spec, parse};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// Keys drawn specially (structure and the ordered cut points).
const SPECIAL: [&str; 5] = [
    "ccg.practices",
    "ccg.localities",
    "behaviour.cut_1",
    "behaviour.cut_2",
    "behaviour.cut_3",
];

/// A value for `spec`: often an end of its range, otherwise anywhere inside.
fn draw(spec: &'static Spec) -> BoxedStrategy<f64> {
    let (lo, hi) = (spec.min, spec.max);
    match spec.kind {
        Kind::Bool => any::<bool>().prop_map(|b| f64::from(u8::from(b))).boxed(),
        Kind::Int => prop_oneof![
            1 => Just(lo),
            1 => Just(hi),
            3 => (lo as i64..=hi as i64).prop_map(|x| x as f64),
        ]
        .boxed(),
        Kind::Float => prop_oneof![
            1 => Just(lo),
            1 => Just(hi),
            3 => lo..=hi,
        ]
        .boxed(),
    }
}

#[derive(Debug, Clone)]
struct Drawn {
    values: BTreeMap<&'static str, f64>,
    months: u32,
    replicates: u32,
    seed: u64,
    /// `None`: one CCG of `ccg.practices`; else explicit CCG sizes.
    population: Option<Vec<u32>>,
    events: Vec<String>,
}

fn practices() -> impl Strategy<Value = u32> {
    prop_oneof![Just(1u32), Just(2), Just(1000), 1u32..60]
}

fn event(months: u32) -> impl Strategy<Value = String> {
    let dynamic: Vec<&'static Spec> = SPECS.iter().filter(|s| s.dynamic).collect();
    let floats: Vec<&'static Spec> = dynamic
        .iter()
        .copied()
        .filter(|s| s.kind == Kind::Float && !s.path.starts_with("behaviour.cut_"))
        .collect();
    let set = proptest::sample::select(
        dynamic
            .into_iter()
            .filter(|s| !s.path.starts_with("behaviour.cut_"))
            .collect::<Vec<_>>(),
    )
    .prop_flat_map(|s| draw(s).prop_map(move |v| (s, v)))
    .prop_map(|(s, v)| format!("set = {{ \"{}\" = {} }}", s.path, lit(s, v)));
    let ramp = (
        proptest::sample::select(floats).prop_flat_map(|s| draw(s).prop_map(move |v| (s, v))),
        1u32..30,
    )
        .prop_map(|((s, v), over)| {
            format!("ramp = {{ \"{}\" = {} }}\nover = {over}", s.path, lit(s, v))
        });
    let narrative = (prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0], 1u32..=1200)
        .prop_map(|(x, d)| format!("narrative = {x:?}\nduration = {d}"));
    (0..=months, prop_oneof![set, ramp, narrative])
        .prop_map(|(m, body)| format!("[[events]]\nmonth = {m}\n{body}\n"))
}

fn lit(spec: &Spec, v: f64) -> String {
    match spec.kind {
        Kind::Bool => (v != 0.0).to_string(),
        Kind::Int => (v as i64).to_string(),
        Kind::Float => format!("{v:?}"),
    }
}

fn scenario() -> impl Strategy<Value = Drawn> {
    let plain: Vec<BoxedStrategy<(&'static str, f64)>> = SPECS
        .iter()
        .filter(|s| !SPECIAL.contains(&s.path))
        .map(|s| draw(s).prop_map(move |v| (s.path, v)).boxed())
        .collect();
    let cut = || prop_oneof![Just(-20.0), Just(20.0), -20.0f64..=20.0];
    let cuts = (cut(), cut(), cut())
        .prop_map(|(a, b, c)| {
            let mut x = [a, b, c];
            x.sort_by(f64::total_cmp);
            x
        })
        .prop_filter("cut points must rise", |x| x[0] < x[1] && x[1] < x[2]);
    let months = prop_oneof![Just(1u32), Just(2), 1u32..40, Just(120)];
    let structure = prop_oneof![
        3 => practices().prop_flat_map(|n| (Just(n), 1..=n.min(100))).prop_map(|(n, l)| (n, l, None)),
        1 => (prop::collection::vec(practices(), 1..4), 1u32..=100)
            .prop_map(|(sizes, l)| (40, l, Some(sizes))),
    ];
    (plain, cuts, months, 1u32..=3, any::<u64>(), structure).prop_flat_map(
        |(plain, cuts, months, replicates, seed, (n, localities, population))| {
            prop::collection::vec(event(months), 0..5).prop_map(move |events| {
                let mut values: BTreeMap<&'static str, f64> = plain.iter().copied().collect();
                values.insert("behaviour.cut_1", cuts[0]);
                values.insert("behaviour.cut_2", cuts[1]);
                values.insert("behaviour.cut_3", cuts[2]);
                values.insert("ccg.localities", localities as f64);
                if population.is_none() {
                    values.insert("ccg.practices", n as f64);
                }
                Drawn {
                    values,
                    months,
                    replicates,
                    seed: seed >> 1, // TOML integers are signed
                    population: population.clone(),
                    events,
                }
            })
        },
    )
}

fn to_toml(d: &Drawn) -> String {
    let mut t = String::new();
    writeln!(
        t,
        "[scenario]\nmonths = {}\nreplicates = {}\nseed = {}",
        d.months, d.replicates, d.seed
    )
    .unwrap();
    if let Some(sizes) = &d.population {
        writeln!(t, "[population]\npractices = {sizes:?}").unwrap();
    }
    let mut section = "";
    for (path, v) in &d.values {
        let spec = ccgsim::scenario::schema::spec(path).unwrap();
        if spec.section() != section {
            section = spec.section();
            writeln!(t, "[{section}]").unwrap();
        }
        writeln!(t, "{} = {}", spec.key(), lit(spec, *v)).unwrap();
    }
    for e in &d.events {
        t.push_str(e);
    }
    t
}

/// NaN is allowed only where the docs say a cell is empty.
fn check_observation(o: &Observation, practices: u32, t: usize) {
    let cols = Observation::COLUMNS;
    let vals = o.values();
    let leaders = o.leaders;
    assert!(
        leaders.fract() == 0.0 && leaders >= 0.0,
        "month {t}: leaders {leaders}"
    );
    assert!(leaders <= o.leader_posts && o.leader_posts <= practices as f64);
    for (name, v) in cols.iter().zip(vals) {
        let leader_col = matches!(
            *name,
            "ownership_leaders"
                | "ownership_agree_leaders"
                | "leaders_highly_engaged"
                | "leaders_lacking_support"
                | "leader_burnout"
        );
        let member_col = matches!(
            *name,
            "ownership_members" | "ownership_agree_members" | "influence_members"
        );
        if v.is_nan() {
            assert!(
                (leader_col && leaders == 0.0) || (member_col && leaders == practices as f64),
                "month {t}: {name} is NaN with {leaders} leaders of {practices}"
            );
            continue;
        }
        assert!(v.is_finite(), "month {t}: {name} = {v}");
        match *name {
            "leaders" | "leader_posts" | "allowance_per_head" | "leader_stepdowns"
            | "leader_vacancies" | "quality_premium" | "localities" => {
                assert!(v >= 0.0, "month {t}: {name} = {v}")
            }
            "ccg_balance" => assert!((-1.0..=1.0).contains(&v), "month {t}: {name} = {v}"),
            "narrative" => assert!((-1.0..=1.0).contains(&v), "month {t}: {name} = {v}"),
            "workload" | "overload" => assert!(v >= 0.0, "month {t}: {name} = {v}"),
            _ => assert!(
                (0.0..=1.0).contains(&v),
                "month {t}: {name} = {v} outside [0, 1]"
            ),
        }
    }
    assert!(o.highly_engaged_share <= o.engaged_share);
    assert!(
        o.overload <= o.workload,
        "month {t}: overload above workload"
    );
}

fn parse_drawn(d: &Drawn) -> Scenario {
    let text = to_toml(d);
    match parse(&text, Path::new("drawn.toml")) {
        Ok(s) => s,
        Err(e) => panic!("a valid scenario was refused:\n{e}\n---\n{text}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_valid_scenario_runs_within_bounds(d in scenario()) {
        let scn = parse_drawn(&d);
        for (path, v) in &d.values {
            prop_assert_eq!(scn.params.get(path), Some(*v), "{}", path);
        }
        let sizes = scn.ccg_sizes();
        let plan = Plan::new(scn);
        prop_assert_eq!(plan.runs(), d.replicates as u64 * sizes.len() as u64);
        for i in 0..plan.runs() {
            let rec = plan.record(i);
            prop_assert_eq!(rec.id.replicate as u64, i / sizes.len() as u64);
            prop_assert_eq!(rec.practices, sizes[rec.id.ccg as usize]);
            prop_assert_eq!(rec.months.len() as u32, d.months + 1);
            if let Some(m) = rec.failed_month {
                prop_assert!(m <= d.months);
            }
            for (t, o) in rec.months.iter().enumerate() {
                check_observation(o, rec.practices, t);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    /// The whole `run` command on random valid scenarios: row counts in the files
    /// and manifest match the scenario, and check-result calls the folder complete.
    #[test]
    fn run_output_matches_the_scenario(d in scenario()) {
        let scn = parse_drawn(&d);
        let ccgs = scn.ccg_sizes().len() as u64;
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("result");
        run(scn, &RunOptions { threads: 2, ..RunOptions::new(&out) }).unwrap();
        let runs = d.replicates as u64 * ccgs;
        let lines = |f: &str| std::fs::read_to_string(out.join(f)).unwrap().lines().count() as u64 - 1;
        prop_assert_eq!(lines("summary.csv"), runs);
        prop_assert_eq!(lines("timeseries.csv"), runs * (d.months as u64 + 1));
        let v = verify(&out).unwrap();
        prop_assert_eq!(v.verdict, Verdict::Complete, "{:?}", v.findings);
    }
}
