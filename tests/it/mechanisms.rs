//! Every v2 mechanism seen acting (docs/ODD.md §7): each test runs many
//! replicates of a small scenario and compares it, replicate by replicate (same
//! seed: common random numbers), with the same scenario where the mechanism is
//! removed (docs/ODD.md §10), or checks a rate against a stated tolerance.

use ccgsim::engine::{Plan, RunRecord};
use ccgsim::model::Observation;
use ccgsim::model::equations as eq;
use ccgsim::scenario::{Params, parse};
use ccgsim::validate::Estimate;
use std::collections::BTreeMap;
use std::path::Path;

const REPLICATES: u32 = 100;

/// A scenario of `practices` practices over `months` with `settings` ("section.key", value)
/// and raw `tail` text (events, [model]).
fn scenario(practices: u32, months: u32, settings: &[(&str, &str)], tail: &str) -> String {
    let mut sections: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    sections
        .entry("ccg")
        .or_default()
        .push(format!("practices = {practices}"));
    for (path, v) in settings {
        let (s, k) = path.split_once('.').unwrap();
        sections.entry(s).or_default().push(format!("{k} = {v}"));
    }
    let mut text = format!("[scenario]\nmonths = {months}\nreplicates = {REPLICATES}\nseed = 11\n");
    for (s, lines) in sections {
        text.push_str(&format!("[{s}]\n{}\n", lines.join("\n")));
    }
    text.push_str(tail);
    text
}

fn runs(text: &str) -> Vec<RunRecord> {
    let scn = parse(text, Path::new("t.toml")).expect("valid scenario");
    let plan = Plan::new(scn);
    (0..plan.runs()).map(|i| plan.record(i)).collect()
}

/// Per run, the mean of `f` over months `a..=b` (NaN months skipped).
fn window(rs: &[RunRecord], a: usize, b: usize, f: fn(&Observation) -> f64) -> Vec<f64> {
    rs.iter()
        .map(|r| {
            let xs: Vec<f64> = r.months[a..=b]
                .iter()
                .map(f)
                .filter(|x| x.is_finite())
                .collect();
            xs.iter().sum::<f64>() / xs.len().max(1) as f64
        })
        .collect()
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// `a − b` paired over replicates lies wholly above zero (95% t-interval).
fn assert_above(a: &[f64], b: &[f64], what: &str) {
    let d = Estimate::paired_difference(a, b);
    assert!(
        d.above_zero(),
        "{what}: paired difference {:.4} [{:.4}, {:.4}] is not above 0",
        d.mean,
        d.lo,
        d.hi
    );
}

const FAILURE_NARRATIVE: &str = "[[events]]\nmonth = 12\nlabel = \"abolition predicted\"\nfailure_narrative = 0.6\nduration = 6\n";

#[test]
fn leaders_step_down_at_about_the_2013_rate() {
    // England's 211 CCGs as in england-2013.toml (3 governing-body GPs + one lead
    // per locality: 6.8 posts per CCG, against Pulse's 6.4 GPs per board). Pulse
    // (2013): one board in three lost a GP member in April–September 2013.
    // Tolerance: 1/3 ± 0.10 over 10 × 211 CCG-runs (the calibration band).
    let rs = runs(
        "[scenario]\nmonths = 6\nreplicates = 10\nseed = 11\n[population]\nccgs = 211\nmedian_population = 221000\nmin_population = 63100\nmax_population = 869400\npatients_per_practice = 6570\n",
    );
    let lost: Vec<f64> = rs
        .iter()
        .map(|r| {
            let s: f64 = r.months[1..=6].iter().map(|o| o.leader_stepdowns).sum();
            (s > 0.0) as u8 as f64
        })
        .collect();
    let share = mean(&lost);
    assert!(
        (0.23..=0.43).contains(&share),
        "share of boards losing a GP in months 1-6 = {share}"
    );
    // Removing the mechanism (docs/ODD.md §10) removes every step-down.
    let none = runs(&scenario(
        35,
        24,
        &[("behaviour.quit_rate", "0"), ("ccg.term_months", "10000")],
        "",
    ));
    let total: f64 = none
        .iter()
        .flat_map(|r| r.months.iter().map(|o| o.leader_stepdowns))
        .sum();
    assert_eq!(total, 0.0);
}

#[test]
fn quit_hazard_rises_with_workload_and_burnout() {
    let months = 36;
    let stepdowns = |settings: &[(&str, &str)]| {
        window(&runs(&scenario(40, months, settings, "")), 1, 36, |o| {
            o.leader_stepdowns
        })
    };
    let base = stepdowns(&[("ccg.term_months", "10000")]);
    let heavy = stepdowns(&[("ccg.term_months", "10000"), ("environment.qipp", "0.8")]);
    assert_above(
        &heavy,
        &base,
        "step-downs under heavy QIPP workload − baseline",
    );
    let flat = stepdowns(&[
        ("ccg.term_months", "10000"),
        ("environment.qipp", "0.8"),
        ("behaviour.quit_workload", "0"),
        ("behaviour.quit_burnout", "0"),
    ]);
    assert_above(
        &heavy,
        &flat,
        "step-downs with the hazard rising − flat hazard",
    );
}

#[test]
fn terms_end_and_some_leaders_leave_then() {
    // No mid-term quitting: nobody leaves before the first term ends at month 12,
    // and at month 12 a share (1 − restand·(1 − burnout)) of the 7 leaders leave.
    let rs = runs(&scenario(
        40,
        12,
        &[("behaviour.quit_rate", "0"), ("ccg.term_months", "12")],
        "",
    ));
    for r in &rs {
        for (t, o) in r.months[..12].iter().enumerate() {
            assert_eq!(o.leader_stepdowns, 0.0, "month {t}");
        }
    }
    let per_run = mean(&window(&rs, 12, 12, |o| o.leader_stepdowns));
    assert!(
        (1.0..=6.0).contains(&per_run),
        "leavers at the first term end per run = {per_run}"
    );
}

#[test]
fn succession_planning_refills_posts_faster() {
    let vacancies = |s: &str| {
        window(
            &runs(&scenario(40, 60, &[("ccg.succession_planning", s)], "")),
            1,
            60,
            |o| o.leader_vacancies,
        )
    };
    let without = vacancies("0");
    let with = vacancies("1");
    assert_above(
        &without,
        &with,
        "vacancies without − with succession planning",
    );
    // Posts never refilled (and no NHS England appointments): vacancies only accumulate.
    let rs = runs(&scenario(
        40,
        60,
        &[
            ("behaviour.fill_rate", "0"),
            ("behaviour.fill_rate_succession", "0"),
            ("intervention.rate", "0"),
        ],
        "",
    ));
    for r in &rs {
        assert!(
            r.months
                .windows(2)
                .all(|w| w[1].leader_vacancies >= w[0].leader_vacancies)
        );
    }
    assert!(mean(&window(&rs, 60, 60, |o| o.leader_vacancies)) > mean(&without));
}

#[test]
fn the_recruitment_pool_shrinks_with_workload() {
    let settings = |k: &'static str| {
        vec![
            ("environment.qipp", "0.8"),
            ("behaviour.recruit_workload", k),
        ]
    };
    let shrinking = window(&runs(&scenario(40, 60, &settings("6"), "")), 1, 60, |o| {
        o.leader_vacancies
    });
    let fixed = window(&runs(&scenario(40, 60, &settings("0"), "")), 1, 60, |o| {
        o.leader_vacancies
    });
    assert_above(&shrinking, &fixed, "vacancies, pool shrinking − fixed pool");
}

#[test]
fn vacancies_load_the_remaining_leaders_and_lower_performance() {
    let never = [
        ("behaviour.fill_rate", "0"),
        ("behaviour.fill_rate_succession", "0"),
    ];
    let loaded = runs(&scenario(40, 60, &never, ""));
    let mut unloaded_settings = never.to_vec();
    unloaded_settings.push(("behaviour.vacancy_load", "0"));
    let unloaded = runs(&scenario(40, 60, &unloaded_settings, ""));
    assert_above(
        &window(&loaded, 24, 60, |o| o.leader_burnout),
        &window(&unloaded, 24, 60, |o| o.leader_burnout),
        "leader burnout, vacancy load − none",
    );
    let refilled = runs(&scenario(40, 60, &[], ""));
    assert_above(
        &window(&refilled, 24, 60, |o| o.performance),
        &window(&loaded, 24, 60, |o| o.performance),
        "performance, posts refilled − never refilled",
    );
}

#[test]
fn a_new_leader_arrives_fresh() {
    // Every leader leaves at month 12 (no re-standing) and deputies fill the
    // posts at once: the month-12 leaders are all new.
    let rs = runs(&scenario(
        40,
        12,
        &[
            ("behaviour.restand", "0"),
            ("behaviour.quit_rate", "0"),
            ("ccg.term_months", "12"),
            ("ccg.succession_planning", "1"),
            ("behaviour.fill_rate_succession", "1"),
        ],
        "",
    ));
    let p = Params::default();
    for r in &rs {
        let o = &r.months[12];
        assert!(o.leader_stepdowns >= 1.0);
        if o.leaders > 0.0 {
            assert_eq!(o.leaders_highly_engaged, 1.0);
            assert!((o.leader_burnout - p.behaviour.new_leader_burnout).abs() < 1e-12);
        }
    }
}

#[test]
fn sanctions_deter_so_the_penalty_paid_falls_as_practices_comply() {
    let heavy = [
        ("constitution.sanctions", "0.9"),
        ("constitution.dispute_procedure", "false"),
    ];
    let deterred = runs(&scenario(40, 24, &heavy, ""));
    let mut no_deterrence = heavy.to_vec();
    no_deterrence.push(("behaviour.eng_sanctions", "0"));
    let undeterred = runs(&scenario(40, 24, &no_deterrence, ""));
    let penalty = |rs: &[RunRecord]| window(rs, 1, 12, |o| o.penalty);
    let engaged = |rs: &[RunRecord]| window(rs, 1, 12, |o| o.engaged_share);
    assert_above(
        &penalty(&undeterred),
        &penalty(&deterred),
        "penalty paid, no deterrence − deterrence",
    );
    assert_above(
        &engaged(&deterred),
        &engaged(&undeterred),
        "engaged share, deterrence − none",
    );
    // The penalty falls only on practices that do not comply.
    for r in &deterred {
        for o in &r.months {
            assert!(o.penalty <= 0.9 * 0.4 * (1.0 - o.engaged_share) + 0.36 * 0.5);
        }
    }
}

#[test]
fn sanctions_still_erode_ownership() {
    let heavy = [
        ("constitution.sanctions", "0.9"),
        ("constitution.dispute_procedure", "false"),
    ];
    let eroding = runs(&scenario(40, 60, &heavy, ""));
    let mut none = heavy.to_vec();
    none.extend([
        ("behaviour.own_threat", "0"),
        ("behaviour.own_penalty", "0"),
    ]);
    let kept = runs(&scenario(40, 60, &none, ""));
    assert_above(
        &window(&kept, 48, 60, |o| o.ownership_members),
        &window(&eroding, 48, 60, |o| o.ownership_members),
        "member ownership, no erosion − erosion",
    );
}

#[test]
fn the_conditional_threat_traps_less_than_v1_pressure() {
    let heavy = [
        ("constitution.sanctions", "0.9"),
        ("constitution.dispute_procedure", "false"),
        ("environment.funding_squeeze", "0.6"),
    ];
    let conditional = runs(&scenario(40, 60, &heavy, ""));
    let pressure = runs(&scenario(
        40,
        60,
        &heavy,
        "[model]\nsanction = \"pressure\"\n",
    ));
    assert_above(
        &window(&conditional, 24, 60, |o| o.engaged_share),
        &window(&pressure, 24, 60, |o| o.engaged_share),
        "engaged share, conditional threat − penalty as pressure",
    );
}

/// Of the runs that were in a failed state at some month ≤ 48, the share out of
/// failure at month 60.
fn recovered(rs: &[RunRecord]) -> (f64, usize) {
    let failed: Vec<&RunRecord> = rs
        .iter()
        .filter(|r| r.months[..=48].iter().any(|o| o.in_failure == 1.0))
        .collect();
    let out = failed
        .iter()
        .filter(|r| r.months[60].in_failure == 0.0)
        .count();
    (out as f64 / failed.len().max(1) as f64, failed.len())
}

#[test]
fn nhs_england_intervention_ends_some_failures() {
    let with = runs(&scenario(40, 60, &[], FAILURE_NARRATIVE));
    let without = runs(&scenario(
        40,
        60,
        &[("intervention.rate", "0")],
        FAILURE_NARRATIVE,
    ));
    let (r_with, n_with) = recovered(&with);
    let (r_without, n_without) = recovered(&without);
    assert!(
        n_with >= 80 && n_without >= 80,
        "{n_with} / {n_without} failed"
    );
    let intervened = with
        .iter()
        .filter(|r| r.months.iter().any(|o| o.intervention == 1.0))
        .count();
    assert!(intervened >= 50, "{intervened} runs saw an intervention");
    // At least 10 points more failures ended with intervention than without.
    assert!(
        r_with >= r_without + 0.10,
        "out of failure at month 60: {r_with:.2} with intervention, {r_without:.2} without"
    );
    // Imposed control costs ownership while in force.
    let costless = runs(&scenario(
        40,
        60,
        &[("intervention.threat", "0")],
        FAILURE_NARRATIVE,
    ));
    assert_above(
        &window(&costless, 24, 60, |o| o.ownership_members),
        &window(&with, 24, 60, |o| o.ownership_members),
        "member ownership, costless − costly intervention",
    );
}

#[test]
fn managers_and_support_deliver_when_gps_disengage() {
    let rs = runs(&scenario(
        40,
        60,
        &[("intervention.rate", "0")],
        FAILURE_NARRATIVE,
    ));
    let gp_only = runs(&scenario(
        40,
        60,
        &[
            ("intervention.rate", "0"),
            ("behaviour.perf_engagement_weight", "1"),
        ],
        FAILURE_NARRATIVE,
    ));
    // Just after failure, posts still mostly filled: managers and support deliver.
    let perf = window(&rs, 24, 30, |o| o.performance);
    assert!(
        mean(&perf) > 0.15,
        "failed CCGs still deliver: {}",
        mean(&perf)
    );
    assert_above(
        &perf,
        &window(&gp_only, 24, 30, |o| o.performance),
        "performance, with managerial term − GP engagement only",
    );
}

#[test]
fn an_overspend_withholds_the_quality_premium() {
    let failing = runs(&scenario(
        40,
        60,
        &[("intervention.rate", "0")],
        FAILURE_NARRATIVE,
    ));
    let healthy = runs(&scenario(40, 60, &[], ""));
    for r in failing.iter().chain(&healthy) {
        for t in (12..=60).step_by(12) {
            let o = &r.months[t];
            if o.ccg_balance < 0.0 {
                assert_eq!(o.quality_premium, 0.0, "month {t}");
            } else {
                assert!(o.quality_premium > 0.0, "month {t}");
            }
        }
    }
    assert_above(
        &window(&healthy, 48, 60, |o| o.quality_premium),
        &window(&failing, 48, 60, |o| o.quality_premium),
        "quality premium, healthy − failed",
    );
    assert!(mean(&window(&failing, 48, 60, |o| o.ccg_balance)) < 0.0);
}

/// The finance loop acts in the bundled running-cost cut: a CCG that delivers
/// less than its break-even overspends, and the deficit cuts its support, so
/// support ends lower than the cut alone makes it (against the same CCGs with
/// the balance held at 0, `ccg_finance.spend_gain = 0`).
#[test]
fn the_running_cost_cut_runs_ccgs_into_deficit_which_cuts_support() {
    let cut = "[[events]]\nmonth = 24\nlabel = \"cut\"\nset = { \"ccg.allowance_per_head\" = 22.0, \"co_commissioning.level\" = 2 }\n";
    let with = runs(&scenario(40, 60, &[], cut));
    let without = runs(&scenario(40, 60, &[("ccg_finance.spend_gain", "0")], cut));
    let healthy = runs(&scenario(40, 60, &[], ""));
    // Healthy CCGs stay in surplus; cut ones end in deficit.
    assert!(mean(&window(&healthy, 48, 60, |o| o.ccg_balance)) > 0.0);
    assert!(mean(&window(&with, 54, 60, |o| o.ccg_balance)) < 0.0);
    assert_above(
        &window(&without, 48, 60, |o| o.support),
        &window(&with, 48, 60, |o| o.support),
        "support, no finance loop − finance loop, under the cut",
    );
}

#[test]
fn co_commissioning_brings_money_as_well_as_stalled_decisions() {
    let co = [("co_commissioning.level", "3")];
    let with = runs(&scenario(40, 48, &co, ""));
    let no_benefit = runs(&scenario(
        40,
        48,
        &[co[0], ("behaviour.cocomm_investment", "0")],
        "",
    ));
    assert_above(
        &window(&no_benefit, 12, 48, |o| o.finance),
        &window(&with, 12, 48, |o| o.finance),
        "finance pressure, no benefit − benefit",
    );
    let no_stall = runs(&scenario(
        40,
        48,
        &[co[0], ("behaviour.coi_stall", "0")],
        "",
    ));
    assert_above(
        &window(&no_stall, 12, 48, |o| o.performance),
        &window(&with, 12, 48, |o| o.performance),
        "performance, no stalling − conflicts stall decisions",
    );
    let scrutiny = runs(&scenario(
        40,
        48,
        &[co[0], ("co_commissioning.lay_scrutiny", "1")],
        "",
    ));
    assert_above(
        &window(&scrutiny, 12, 48, |o| o.performance),
        &window(&with, 12, 48, |o| o.performance),
        "performance, lay scrutiny − none",
    );
}

#[test]
fn structure_scales_with_ccg_size() {
    let p = Params::default();
    for (n, localities, posts) in [(12, 1, 4), (40, 4, 7), (120, 12, 15), (1, 1, 1)] {
        let l = eq::localities(&p, n);
        assert_eq!(l, localities, "{n} practices");
        assert_eq!(eq::leader_posts(&p, n, l), posts, "{n} practices");
    }
    // Half rounds away from zero: 15 practices / 10 = 1.5 → 2 localities.
    assert_eq!(eq::localities(&p, 15), 2);
    // Small practices have less slack: one GP carries CCG work alone.
    let single = eq::slack(&p, eq::gps(&p, 1000.0));
    let large = eq::slack(&p, eq::gps(&p, 15000.0));
    assert!(single > 1.0 && large < 1.0, "{single} {large}");
    let small_lists = |k: &'static str| {
        runs(&scenario(
            40,
            24,
            &[
                ("ccg.list_size_median", "2500"),
                ("behaviour.capacity_exponent", k),
            ],
            "",
        ))
    };
    assert_above(
        &window(&small_lists("0.5"), 1, 24, |o| o.workload),
        &window(&small_lists("0"), 1, 24, |o| o.workload),
        "workload of small practices, with − without the capacity penalty",
    );
}

#[test]
fn peer_review_works_in_small_face_to_face_groups() {
    let review = |settings: &[(&str, &str)]| {
        let mut s = vec![("constitution.peer_review", "0.9")];
        s.extend_from_slice(settings);
        window(&runs(&scenario(40, 48, &s, "")), 12, 48, |o| {
            o.engaged_share
        })
    };
    let small_groups = review(&[]);
    let one_big_group = review(&[("ccg.localities", "1")]);
    let on_paper = review(&[("constitution.face_to_face", "0")]);
    assert_above(
        &small_groups,
        &one_big_group,
        "engaged, localities of 10 − one of 40",
    );
    assert_above(&small_groups, &on_paper, "engaged, face to face − on paper");
}
