//! Pattern-oriented validation (MODEL.md §5): one test per pattern, each over
//! many replicates with paired (common-random-number) comparisons and 95%
//! confidence intervals that must exclude zero in the expected direction, plus
//! the calibration figures of §6. The tests call the same code as
//! `ccgsim validate`, so the command and the tests measure the same thing.

use ccgsim::validate::{self, Check, Lab};

/// Replicates per experiment in the tests (the command defaults to 100).
const REPLICATES: u32 = 60;

fn lab() -> Lab {
    const { assert!(REPLICATES >= validate::MIN_REPLICATES) };
    Lab::new(REPLICATES)
}

fn describe(c: &Check) -> String {
    format!(
        "pattern {} — {} [{}]: {} = {} (95% CI {:.4} to {:.4}, n = {}); criterion {}",
        c.pattern,
        c.claim,
        c.scenario,
        c.measure,
        c.estimate.mean,
        c.estimate.lo,
        c.estimate.hi,
        c.estimate.n,
        c.criterion
    )
}

fn assert_all(checks: &[Check]) {
    assert!(!checks.is_empty());
    let failed: Vec<String> = checks.iter().filter(|c| !c.pass).map(describe).collect();
    assert!(failed.is_empty(), "failed:\n{}", failed.join("\n"));
    for c in checks {
        assert!(
            c.estimate.n >= validate::MIN_REPLICATES as usize || c.estimate.n == 1,
            "{} rests on {} replicates",
            describe(c),
            c.estimate.n
        );
    }
}

/// The calibration figures whose claims start with `names` (computed once).
fn figures(lab: &Lab, names: &[&str]) -> Vec<Check> {
    let all = validate::figures(lab);
    names
        .iter()
        .map(|n| {
            all.iter()
                .find(|c| c.claim.starts_with(n))
                .cloned()
                .unwrap_or_else(|| panic!("no figure {n}"))
        })
        .collect()
}

#[test]
fn pattern_1_leaders_report_more_ownership() {
    let lab = lab();
    assert_all(&validate::pattern(&lab, 1));
    // Near the article: about a third of members without a role agree, under half overall.
    assert_all(&figures(
        &lab,
        &["Members agreeing", "… about a third", "… leaders higher"],
    ));
}

#[test]
fn pattern_2_larger_ccgs_have_lower_ownership_and_engagement() {
    let lab = lab();
    assert_all(&validate::pattern(&lab, 2));
    // Near the article: 56% agreement in the smallest case-study CCG, 39% in the largest.
    assert_all(&figures(
        &lab,
        &[
            "Ownership agreement in the smallest",
            "Ownership agreement in the largest",
        ],
    ));
}

#[test]
fn pattern_3_leaders_high_engagement_declines_and_most_lack_support() {
    let lab = lab();
    assert_all(&validate::pattern(&lab, 3));
    // Near the article: 19% → 12% highly engaged, ~71% at least somewhat engaged,
    // a minority of leaders with enough time, support and training.
    assert_all(&figures(
        &lab,
        &[
            "Respondents highly engaged, 2013",
            "Respondents highly engaged, 2014",
            "At least somewhat engaged, 2013",
            "At least somewhat engaged, 2014",
            "GP leaders with enough time",
        ],
    ));
}

#[test]
fn pattern_4_sanctions_buy_compliance_not_ownership() {
    assert_all(&validate::pattern(&lab(), 4));
}

#[test]
fn pattern_5_failure_narrative_tips_and_stays_low() {
    let checks = validate::pattern(&lab(), 5);
    // Ends high without the narrative, lower with it, still below the failure
    // line 18–24 months after the narrative stopped and at the end of the run,
    // and NHS England intervenes in the failed CCGs, whose managers and
    // turnaround team still commission above the failure line.
    let hysteresis: Vec<Check> = checks
        .iter()
        .filter(|c| !c.scenario.contains("swept"))
        .cloned()
        .collect();
    assert_eq!(hysteresis.len(), 6);
    assert_all(&hysteresis);
}

#[test]
fn pattern_5_narrative_strength_has_a_sharp_tipping_point() {
    let lab = lab();
    let sweep = validate::sweep_narrative(&lab, &validate::sweep_strengths());
    // No narrative: (almost) no CCG ends low; the strongest: (almost) all do.
    assert!(sweep[0].low <= 0.1, "{:?}", lows(&sweep));
    assert!(sweep.last().unwrap().low >= 0.9, "{:?}", lows(&sweep));
    // Each CCG's response to the strength is a step: its end engagement falls
    // mostly between two neighbouring strengths (a smooth slope would spread the
    // fall evenly over the 40 steps, a ratio of 1/40).
    let ratios = validate::step_ratios(&sweep);
    let est = validate::Estimate::of(&ratios);
    assert!(
        est.n >= validate::MIN_REPLICATES as usize,
        "only {} replicates tip",
        est.n
    );
    assert!(
        est.lo > validate::MIN_STEP_RATIO,
        "step ratio {est:?}: a slope, not a tipping point"
    );
    // Bistability: whatever the strength, runs end high or low, rarely in between.
    let between = validate::between_share(&sweep);
    assert!(between <= validate::MAX_BETWEEN, "{between}");
}

fn lows(sweep: &[validate::SweepPoint]) -> Vec<(f64, f64)> {
    sweep.iter().map(|p| (p.strength, p.low)).collect()
}

#[test]
fn pattern_6_running_cost_cut_strains_engagement() {
    assert_all(&validate::pattern(&lab(), 6));
}

#[test]
fn pattern_7_peer_review_sustains_engagement() {
    assert_all(&validate::pattern(&lab(), 7));
}

#[test]
fn pattern_8_co_commissioning_conflicts_and_lay_scrutiny() {
    assert_all(&validate::pattern(&lab(), 8));
}

#[test]
fn pattern_9_bunched_qipp_hurts_more_than_spread() {
    assert_all(&validate::pattern(&lab(), 9));
}

#[test]
fn england_2013_structure_and_figures() {
    let checks: Vec<Check> = validate::figures(&lab())
        .into_iter()
        .filter(|c| c.scenario.starts_with("england-2013"))
        .collect();
    assert_eq!(checks.len(), 13);
    assert_all(&checks);
}

#[test]
fn validation_does_not_depend_on_thread_count() {
    let lab = Lab::new(validate::MIN_REPLICATES);
    let one = ccgsim::engine::pool(1)
        .unwrap()
        .install(|| validate::pattern(&lab, 9));
    let two = ccgsim::engine::pool(2)
        .unwrap()
        .install(|| validate::pattern(&lab, 9));
    let est = |cs: &[Check]| cs.iter().map(|c| c.estimate).collect::<Vec<_>>();
    assert_eq!(est(&one), est(&two));
}

#[test]
fn validation_doc_is_current() {
    // docs/VALIDATION.md is generated; if the model or a scenario changes, regenerate it.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/VALIDATION.md"))
        .expect("docs/VALIDATION.md is readable");
    let now = Lab::default().validate().to_markdown();
    assert!(
        doc == now,
        "docs/VALIDATION.md is stale: regenerate with `cargo run --release -- validate --out docs/VALIDATION.md --force`"
    );
}

#[test]
fn overrides_are_checked_like_scenario_values() {
    assert!(validate::parse_overrides(&["behaviour.cut_1=3.5".into()]).is_ok());
    for bad in [
        "behaviour.cut_1=9",
        "behaviour.nope=1",
        "ccg.practices=0",
        "x",
    ] {
        assert!(
            validate::parse_overrides(&[bad.into()]).is_err(),
            "{bad} was accepted"
        );
    }
}

#[test]
fn emergent_patterns_beat_their_null_models() {
    // Each claimed emergent pattern holds in the model and fails when the
    // feedback it is claimed to emerge from is cut (issue #14).
    let lab = lab();
    let nulls = validate::null_contrasts(&lab);
    assert_eq!(nulls.len(), validate::NULLS.len());
    let failed: Vec<String> = nulls
        .iter()
        .filter(|n| n.spec.counted && !n.pass())
        .map(|n| describe(&n.check()))
        .collect();
    assert!(
        failed.is_empty(),
        "null models not beaten:\n{}",
        failed.join("\n")
    );
    // The uncounted nulls of pattern 5 cut one of its two loops each: cutting
    // either must weaken the lock-in (a higher end engaged share than the
    // model's, paired 95% CI of model − null below zero), even where the other
    // loop still holds the CCG low.
    let partial: Vec<_> = nulls.iter().filter(|n| !n.spec.counted).collect();
    assert_eq!(partial.len(), 2, "two one-loop nulls of pattern 5");
    for n in partial {
        assert_eq!(n.spec.pattern, 5);
        assert!(
            n.difference.below_zero(),
            "cutting one loop did not weaken hysteresis: {}",
            describe(&n.check())
        );
    }
}

#[test]
fn sanity_checks_do_not_count_and_identities_are_labelled() {
    let lab = Lab::new(validate::MIN_REPLICATES);
    let mut checks = Vec::new();
    for n in [1, 6, 8, 9] {
        checks.extend(validate::pattern(&lab, n));
    }
    // Every pattern keeps at least one counted, behavioural check beside its
    // labelled sanity checks, and no identity is counted.
    for n in [1u8, 6, 8, 9] {
        let of = |g| {
            checks
                .iter()
                .filter(|c| c.pattern_number() == Some(n) && c.group() == g)
                .count()
        };
        assert!(of(validate::Group::Pattern) >= 1, "pattern {n}");
        assert!(of(validate::Group::Sanity) >= 1, "pattern {n}");
    }
    for c in &checks {
        let identity = c.measure.contains("support capacity")
            || c.measure.contains("conflict of interest")
            || c.measure.contains("peak mean workload")
            || c.measure.contains("work beyond capacity")
            || c.measure.contains("leaders − members");
        assert_eq!(identity, !c.counts(), "{}", describe(c));
        if !c.counts() {
            assert!(c.measure.starts_with("sanity"), "{}", describe(c));
        }
    }
    // A failing sanity check does not fail the verdict; a failing counted check does.
    let mut report = validate::Report {
        replicates: lab.replicates,
        seed: None,
        overrides: Default::default(),
        checks: checks.clone(),
        nulls: Vec::new(),
    };
    let all = report.all_pass();
    for c in report.checks.iter_mut().filter(|c| !c.counts()) {
        c.pass = false;
    }
    assert_eq!(report.all_pass(), all);
    if let Some(c) = report.checks.iter_mut().find(|c| c.counts()) {
        c.pass = false;
    }
    assert!(!report.all_pass());
}
