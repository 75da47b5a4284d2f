//! Null models: a pattern claimed to emerge from a feedback is measured twice,
//! in the model and in the same model with that feedback cut (parameter
//! overrides through the same path as `ccgsim validate --set`). The claim
//! stands only if the pattern holds in the model *and fails in the null*: a
//! pattern the null reproduces does not need the feedback.

use super::patterns::{
    Direction, END, QIPP_WINDOW, SEED_000, SEED_001, SEED_002, YEAR_2013, narrative_of,
};
use super::{Check, Estimate, Lab, parse_overrides};

/// A feedback and the overrides that cut it.
#[derive(Debug, Clone, Copy)]
pub struct NullModel {
    /// The pattern whose emergence is tested (2, 5, 9).
    pub pattern: u8,
    /// The emergent claim.
    pub claim: &'static str,
    /// The feedback cut, in words.
    pub null: &'static str,
    /// `path=value` overrides that cut it (as for `ccgsim validate --set`).
    pub sets: &'static [&'static str],
    /// Whether it counts toward the verdict. A null that cuts only one of two
    /// loops behind the same claim is reported (it shows whether either loop
    /// alone carries the pattern) but does not count.
    pub counted: bool,
}

/// The null models of issue #14.
pub const NULLS: &[NullModel] = &[
    NullModel {
        pattern: 2,
        claim: "the size effect comes from voice dilution",
        null: "no voice dilution: a member's voice does not depend on CCG size",
        sets: &["behaviour.voice_size_exponent=0"],
        counted: true,
    },
    NullModel {
        pattern: 5,
        claim: "hysteresis comes from performance feeding back: members' belief in the CCG \
                (credibility) and its money (the balance) both follow what it delivers",
        null: "neither follows performance: credibility relaxes back to members' starting \
               belief whatever the CCG delivers, and the CCG's balance no longer moves with \
               performance (no deficit, no deficit cuts)",
        sets: &[
            "behaviour.credibility_performance=0",
            "ccg_finance.spend_gain=0",
        ],
        counted: true,
    },
    NullModel {
        pattern: 5,
        claim: "(one loop cut) hysteresis needs credibility to follow performance",
        null: "credibility relaxes back to members' starting belief; the balance still \
               follows performance",
        sets: &["behaviour.credibility_performance=0"],
        counted: false,
    },
    NullModel {
        pattern: 5,
        claim: "(one loop cut) hysteresis needs the balance to follow performance",
        null: "the CCG's balance no longer moves with performance; credibility still \
               follows it",
        sets: &["ccg_finance.spend_gain=0"],
        counted: false,
    },
    NullModel {
        pattern: 9,
        claim: "bunched QIPP hurts more than the same load spread out because the responses to overload are convex",
        null: "no convex response to overload: no squared-overload term in the drive to engage, and a leader's quit hazard (exponential in workload) no longer rises with workload",
        sets: &["behaviour.eng_overload=0", "behaviour.quit_workload=0"],
        counted: true,
    },
];

/// One pattern measured in the model and in its null.
#[derive(Debug, Clone)]
pub struct NullContrast {
    pub spec: NullModel,
    pub scenario: String,
    pub measure: String,
    /// The pattern's criterion, in words.
    pub criterion: String,
    pub model: Estimate,
    pub null: Estimate,
    /// Model − null, paired by replicate (the same seeds and practices).
    pub difference: Estimate,
    pub model_holds: bool,
    pub null_holds: bool,
    /// Why the null could not be built (an override the schema rejects).
    pub error: Option<String>,
}

impl NullContrast {
    /// The model's effect is larger than the null's, paired by replicate, in the
    /// pattern's direction (95% CI of model − null on that side of zero), so a
    /// null that fails only for want of power does not count as beaten.
    pub fn model_beats_null(&self) -> bool {
        match self.spec.pattern {
            2 => self.difference.above_zero(),
            _ => self.difference.below_zero(),
        }
    }

    /// The claim beats its null: the pattern holds in the model, fails in the
    /// null, and the model's effect exceeds the null's.
    pub fn pass(&self) -> bool {
        self.error.is_none() && self.model_holds && !self.null_holds && self.model_beats_null()
    }

    /// The table line: the null's estimate, passing when the pattern holds in the
    /// model and fails in the null.
    pub fn check(&self) -> Check {
        let sets = self.spec.sets.join(", ");
        Check {
            pattern: format!("N{}", self.spec.pattern),
            claim: format!(
                "Null model for pattern {}: {}",
                self.spec.pattern, self.spec.claim
            ),
            source: source(self.spec.pattern).into(),
            scenario: self.scenario.clone(),
            measure: match &self.error {
                Some(e) => format!("{}; null ({sets}) could not be built: {e}", self.measure),
                None => format!(
                    "{} in the null ({}; {sets}); model: {}; model − null (paired): {}",
                    self.measure,
                    self.spec.null,
                    super::report::estimate_text(&self.model),
                    super::report::estimate_text(&self.difference)
                ),
            },
            estimate: self.null,
            criterion: format!(
                "pattern ({}) holds in the model and fails in the null; model − null on the pattern's side of 0 (95% CI)",
                self.criterion
            ),
            pass: self.pass(),
        }
    }
}

/// A paired difference's verdict in the pattern's direction.
fn holds(e: &Estimate, dir: Direction) -> bool {
    match dir {
        Direction::Positive => e.above_zero(),
        Direction::Negative => e.below_zero(),
    }
}

/// Per-replicate differences `a − b` of the mean of `f` over months `from..=to`.
fn paired(
    lab: &Lab,
    a: &str,
    b: &str,
    from: u32,
    to: u32,
    f: fn(&crate::model::Observation) -> f64,
) -> Vec<f64> {
    let xa = lab.window(&lab.scenario(a), from, to, f);
    let xb = lab.window(&lab.scenario(b), from, to, f);
    xa.iter().zip(&xb).map(|(x, y)| x - y).collect()
}

/// A criterion on an estimate, given the failure line.
type Criterion = fn(&Estimate, f64) -> bool;

/// Measure pattern `n`'s emergent claim under `lab`: per-replicate values,
/// their estimate and whether the pattern's criterion holds.
fn measure(lab: &Lab, n: u8) -> (Vec<f64>, Estimate, bool) {
    let (xs, holds): (Vec<f64>, Criterion) = match n {
        2 => {
            let (a, b) = YEAR_2013;
            let xs = paired(
                lab,
                "ccg-size-small.toml",
                "ccg-size-large.toml",
                a,
                b,
                |o| o.ownership_members,
            );
            (xs, |e: &Estimate, _| holds(e, Direction::Positive))
        }
        5 => {
            let (start, duration, _) = narrative_of(lab);
            let stop = start + duration;
            let narr = lab.scenario("failure-narrative.toml");
            let (ea, eb) = END;
            debug_assert!(ea > stop);
            let xs = lab.window(&narr, ea, eb, |o| o.engaged_share);
            (xs, |e: &Estimate, line: f64| e.hi < line)
        }
        9 => {
            let (a, b) = QIPP_WINDOW;
            let xs = paired(lab, "qipp-bunched.toml", "qipp-spread.toml", a, b, |o| {
                o.engaged_share
            });
            (xs, |e: &Estimate, _| holds(e, Direction::Negative))
        }
        _ => panic!("no null model for pattern {n}"),
    };
    let line = lab
        .scenario("failure-narrative.toml")
        .params
        .failure
        .engaged_line;
    let e = Estimate::of(&xs);
    let h = holds(&e, line);
    (xs, e, h)
}

/// Words for pattern `n`'s measure: (scenario, measure, criterion).
fn words(lab: &Lab, n: u8) -> (String, String, String) {
    match n {
        2 => (
            "ccg-size-small.toml vs ccg-size-large.toml".into(),
            "member ownership, 12 − 120 practices, months 3–9".into(),
            "> 0, 95% CI above 0".into(),
        ),
        5 => {
            let (start, duration, _) = narrative_of(lab);
            let stop = start + duration;
            let line = lab
                .scenario("failure-narrative.toml")
                .params
                .failure
                .engaged_line;
            (
                "failure-narrative.toml".into(),
                format!(
                    "engaged share at the end of the run, {}–{} months after the narrative stopped (months {}–{})",
                    END.0 - stop,
                    END.1 - stop,
                    END.0,
                    END.1
                ),
                format!("< {line}, 95% CI below: it stays low"),
            )
        }
        9 => (
            "qipp-bunched.toml vs qipp-spread.toml".into(),
            "engaged share, bunched − spread, months 12–60 (equal total QIPP load)".into(),
            "< 0, 95% CI below 0".into(),
        ),
        _ => panic!("no null model for pattern {n}"),
    }
}

/// Every null model of [`NULLS`] against the model of `lab`.
pub fn null_contrasts(lab: &Lab) -> Vec<NullContrast> {
    NULLS
        .iter()
        .map(|spec| {
            let (scenario, measure_words, criterion) = words(lab, spec.pattern);
            let (xs, model, model_holds) = measure(lab, spec.pattern);
            let sets: Vec<String> = spec.sets.iter().map(|s| s.to_string()).collect();
            let none = Estimate {
                mean: f64::NAN,
                lo: f64::NAN,
                hi: f64::NAN,
                n: 0,
            };
            let (null, difference, null_holds, error) = match parse_overrides(&sets) {
                Ok(more) => {
                    let (ys, e, h) = measure(&lab.with(&more), spec.pattern);
                    (e, Estimate::paired_difference(&xs, &ys), h, None)
                }
                Err(e) => (none, none, false, Some(e.to_string().replace('\n', " "))),
            };
            NullContrast {
                spec: *spec,
                scenario,
                measure: measure_words,
                criterion,
                model,
                null,
                difference,
                model_holds,
                null_holds,
                error,
            }
        })
        .collect()
}

/// The seed the pattern rests on (for the sources list).
fn source(n: u8) -> &'static str {
    match n {
        2 => SEED_001,
        5 => SEED_002,
        _ => SEED_000,
    }
}
