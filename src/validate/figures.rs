//! The calibration figures of MODEL.md §6 beside the model's value, each with the
//! tolerance band it must land in. Survey figures are read from the months the
//! surveys stand for: 2013 = months 3–9, 2014 = months 15–21 (month 0 = April 2013).

use super::patterns::{YEAR_2013, YEAR_2014};
use super::{Check, Estimate, Lab, window_mean};
use crate::model::Observation;
use crate::scenario::Scenario;

const STUDY_2013: &str = "[Naylor2013] King's Fund / Nuffield Trust, \"Clinical commissioning groups: supporting improvement in general practice?\" (2013)";
const STUDY_HSJ: &str = "[HSJ2013] the same study, reported in HSJ (2013)";
const STUDY_2014: &str = "[Robertson2014] King's Fund / Nuffield Trust, \"CCGs one year on\" (2014); [HolderRobertson2015]";
const ONS: &str =
    "[ONS2013] ONS mid-2012 CCG populations; [HSCIC2015] NHS practice statistics (Oct 2014)";

/// A figure check: the model's mean must lie in `[lo, hi]`.
#[allow(clippy::too_many_arguments)]
fn band(
    claim: &str,
    source: &str,
    scenario: &str,
    measure: &str,
    xs: &[f64],
    lo: f64,
    hi: f64,
    target: &str,
) -> Check {
    let estimate = Estimate::of(xs);
    Check {
        pattern: "F".into(),
        claim: claim.into(),
        source: source.into(),
        scenario: scenario.into(),
        measure: measure.into(),
        estimate,
        criterion: format!("{target}: mean within [{lo:.2}, {hi:.2}]"),
        pass: estimate.mean >= lo && estimate.mean <= hi,
    }
}

/// Every §6 figure, computed on the bundled scenarios.
pub fn figures(lab: &Lab) -> Vec<Check> {
    let (a, b) = YEAR_2013;
    let (c, d) = YEAR_2014;
    let base = lab.scenario("baseline.toml");
    let w = |s: &Scenario, from, to, f: fn(&Observation) -> f64| lab.window(s, from, to, f);
    let agree = w(&base, a, b, |o| o.ownership_agree);
    let agree_m = w(&base, a, b, |o| o.ownership_agree_members);
    let agree_l = w(&base, a, b, |o| o.ownership_agree_leaders);
    let small = w(&lab.scenario("ccg-size-small.toml"), a, b, |o| {
        o.ownership_agree
    });
    let large = w(&lab.scenario("ccg-size-large.toml"), a, b, |o| {
        o.ownership_agree
    });
    let high13 = w(&base, a, b, |o| o.highly_engaged_share);
    let high14 = w(&base, c, d, |o| o.highly_engaged_share);
    let eng13 = w(&base, a, b, |o| o.engaged_share);
    let eng14 = w(&base, c, d, |o| o.engaged_share);
    let lacking = w(&base, c, d, |o| o.leaders_lacking_support);
    let leaders_gap = Estimate::paired_difference(&agree_l, &agree_m);

    let mut out = vec![
        band(
            "Members agreeing the CCG is owned by its members, 2013: fewer than half overall",
            STUDY_2013,
            "baseline.toml",
            "share agreeing (ownership > 0.5), all practices, months 3–9",
            &agree,
            0.30,
            0.499,
            "below one half",
        ),
        band(
            "… about a third among GPs with no formal role",
            STUDY_2013,
            "baseline.toml",
            "share agreeing, members without a leadership role, months 3–9",
            &agree_m,
            0.25,
            0.41,
            "1/3 ± 0.08",
        ),
        Check {
            pattern: "F".into(),
            claim: "… leaders higher".into(),
            source: STUDY_2013.into(),
            scenario: "baseline.toml".into(),
            measure: format!(
                "share agreeing, leaders (mean {:.2}) − members without a role, months 3–9",
                Estimate::of(&agree_l).mean
            ),
            estimate: leaders_gap,
            criterion: "> 0 (95% CI above 0)".into(),
            pass: leaders_gap.above_zero(),
        },
        band(
            "Ownership agreement in the smallest case-study CCG, 2013: 56%",
            STUDY_HSJ,
            "ccg-size-small.toml (12 practices)",
            "share agreeing, all practices, months 3–9",
            &small,
            0.48,
            0.64,
            "0.56 ± 0.08",
        ),
        band(
            "Ownership agreement in the largest case-study CCG, 2013: 39%",
            STUDY_HSJ,
            "ccg-size-large.toml (120 practices)",
            "share agreeing, all practices, months 3–9",
            &large,
            0.31,
            0.47,
            "0.39 ± 0.08",
        ),
        band(
            "Respondents highly engaged, 2013: 19%",
            STUDY_2014,
            "baseline.toml",
            "highly engaged share (level 3), months 3–9",
            &high13,
            0.15,
            0.23,
            "0.19 ± 0.04",
        ),
        band(
            "Respondents highly engaged, 2014: 12%",
            STUDY_2014,
            "baseline.toml",
            "highly engaged share (level 3), months 15–21",
            &high14,
            0.08,
            0.16,
            "0.12 ± 0.04",
        ),
        band(
            "At least somewhat engaged, 2013: about 71%",
            STUDY_2014,
            "baseline.toml",
            "engaged share (level ≥ 1), months 3–9",
            &eng13,
            0.65,
            0.77,
            "0.71 ± 0.06",
        ),
        band(
            "At least somewhat engaged, 2014: about 71% (stays)",
            STUDY_2014,
            "baseline.toml",
            "engaged share (level ≥ 1), months 15–21",
            &eng14,
            0.65,
            0.77,
            "0.71 ± 0.06",
        ),
        band(
            "GP leaders with enough time, support and training, 2014: a minority",
            STUDY_2014,
            "baseline.toml",
            "share of leaders lacking time or support (burnout > 0.5), months 15–21",
            &lacking,
            0.5,
            1.0,
            "more than half lacking",
        ),
    ];
    out.extend(england(lab));
    out
}

/// National figures: the structure of england-2013.toml and its 2013/2014 survey
/// figures (practice-weighted over the 211 CCGs, one value per replicate).
fn england(lab: &Lab) -> Vec<Check> {
    let mut scn = lab.scenario("england-2013.toml");
    // Each replicate is all 211 CCGs; the fewest replicates a claim may rest on suffices.
    scn.replicates = super::MIN_REPLICATES.min(lab.replicates);
    let sizes = scn.ccg_sizes();
    let total: u32 = sizes.iter().sum();
    let ccgs = sizes.len() as u32;
    let (a, b) = YEAR_2013;
    let (c, d) = YEAR_2014;
    let per_run = lab.run(&scn, |r| {
        let f = |from, to, g: fn(&Observation) -> f64| window_mean(r, from, to, g);
        (
            r.practices as f64,
            [
                f(a, b, |o| o.ownership_agree),
                f(a, b, |o| o.highly_engaged_share),
                f(c, d, |o| o.highly_engaged_share),
                f(a, b, |o| o.engaged_share),
                f(c, d, |o| o.engaged_share),
            ],
        )
    });
    // Practice-weighted national value per replicate.
    let national = |k: usize| -> Vec<f64> {
        per_run
            .chunks(ccgs as usize)
            .map(|rep| {
                let w: f64 = rep.iter().map(|x| x.0).sum();
                rep.iter().map(|x| x.0 * x.1[k]).sum::<f64>() / w
            })
            .collect()
    };
    let exact = |x: f64| Estimate {
        mean: x,
        lo: x,
        hi: x,
        n: 1,
    };
    let sc = "england-2013.toml";
    vec![
        Check {
            pattern: "F".into(),
            claim: "CCGs in England, April 2013: 211".into(),
            source: ONS.into(),
            scenario: sc.into(),
            measure: "CCGs in the population".into(),
            estimate: exact(ccgs as f64),
            criterion: "= 211".into(),
            pass: ccgs == 211,
        },
        Check {
            pattern: "F".into(),
            claim: "Practices in England, Oct 2014: 7,875".into(),
            source: ONS.into(),
            scenario: sc.into(),
            measure: format!(
                "practices over all CCGs ({}–{} per CCG)",
                sizes.iter().min().unwrap_or(&0),
                sizes.iter().max().unwrap_or(&0)
            ),
            estimate: exact(total as f64),
            criterion: "7,875 ± 2%: within [7,718, 8,033]".into(),
            pass: (7718..=8033).contains(&total),
        },
        band(
            "England: ownership agreement, 2013: fewer than half",
            STUDY_2013,
            sc,
            "practice-weighted share agreeing, months 3–9",
            &national(0),
            0.30,
            0.499,
            "below one half",
        ),
        band(
            "England: highly engaged, 2013: 19%",
            STUDY_2014,
            sc,
            "practice-weighted highly engaged share, months 3–9",
            &national(1),
            0.15,
            0.23,
            "0.19 ± 0.04",
        ),
        band(
            "England: highly engaged, 2014: 12%",
            STUDY_2014,
            sc,
            "practice-weighted highly engaged share, months 15–21",
            &national(2),
            0.08,
            0.16,
            "0.12 ± 0.04",
        ),
        band(
            "England: at least somewhat engaged, 2013: about 71%",
            STUDY_2014,
            sc,
            "practice-weighted engaged share, months 3–9",
            &national(3),
            0.65,
            0.77,
            "0.71 ± 0.06",
        ),
        band(
            "England: at least somewhat engaged, 2014: about 71%",
            STUDY_2014,
            sc,
            "practice-weighted engaged share, months 15–21",
            &national(4),
            0.65,
            0.77,
            "0.71 ± 0.06",
        ),
    ]
}
